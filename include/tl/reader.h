/*
 * Framing: turn an evidence byte stream into records, each with its exact
 * location. A record's raw bytes are the bytes of the (decompressed) stream
 * it came from, without its final line terminator; its text is what parsers
 * see (the same bytes for UTF-8, transcoded to UTF-8 for UTF-16 input, with a
 * trailing CR removed).
 *
 * Framing knows nothing of formats beyond its spec. It never drops bytes
 * silently: blank lines are returned as records with len 0 and the caller
 * decides; oversize records are returned flagged, with a bounded excerpt.
 *
 * Ownership: a reader owns its source; record pointers are valid until the
 * next tl_reader_next() call.
 */
#ifndef TL_READER_H
#define TL_READER_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>

#include "tl/util.h"

enum tl_framing {
	TL_FRAME_LINES,     /* one record per line (also JSON lines, key=value, W3C, Zeek TSV) */
	TL_FRAME_MULTILINE, /* a record starts at a line matching `start`; others continue it */
	TL_FRAME_CSV,       /* lines, but a quoted field may contain newlines */
	TL_FRAME_JSON,      /* a JSON document: top-level array, or the arrays under `records_keys` */
	TL_FRAME_XML,       /* each <element>...</element> is a record, wherever lines break */
};

struct tl_framing_spec {
	enum tl_framing kind;
	const pcre2_code *start;  /* MULTILINE: borrowed */
	const char *const *records_keys; /* JSON: names of wrapper arrays ({"Records":[...]}), NULL-terminated; may be NULL.
					  * XML: records_keys[0] is the name of the record element ("Event") */
	size_t max_record;        /* bytes; larger records are flagged oversize */
};

/* Decompression-bomb guards, for every decoder (gzip, bzip2, xz, lzip, zstd;
 * the names keep their first user, gzip); plain files are not limited. Past a
 * limit the stream ends with a read error (records before it stay valid). */
#define TL_GZIP_MAX_RATIO 1000u          /* default decompressed:compressed ratio */
#define TL_GZIP_RATIO_AFTER (64u << 20)  /* the ratio is checked past this many decompressed bytes */

struct tl_record {
	const char *text;   /* UTF-8 (usually) text for parsing; NUL-terminated */
	size_t len;
	const char *raw;    /* the stream bytes (only an excerpt when oversize) */
	size_t raw_len;
	uint64_t line;      /* first line, 1-based */
	uint64_t offset;    /* in the decompressed stream */
	uint64_t length;    /* full length in the stream */
	char sha256[65];    /* of the full raw bytes */
	unsigned char sha_bin[32]; /* the same as bytes, when has_sha_bin */
	int has_sha_bin;
	int oversize;       /* record longer than max_record: text is not available */
	int structural;     /* JSON framing: the document itself is malformed here */
};

struct tl_reader;
struct archive;

/* A byte source the reader pulls from instead of a file (an archive member:
 * src/ingest/archive.c). READ puts up to CAP bytes in BUF and returns their
 * count, 0 at the end, -1 on an error (ERR says what). The source applies its
 * own bomb guards. */
struct tl_source {
	long (*read)(void *ctx, void *buf, size_t cap, struct tl_err *err);
	void *ctx;
};

/* Open PATH read-only: plain, or compressed with gzip, bzip2, xz, lzip or
 * zstd (decided by content, not by name; stacked decoders are undone too). */
struct tl_reader *tl_reader_open(const char *path, const struct tl_framing_spec *spec, struct tl_err *err);

/* Frame the bytes of SRC (borrowed; it must outlive the reader). */
struct tl_reader *tl_reader_open_source(const struct tl_source *src, const struct tl_framing_spec *spec,
					struct tl_err *err);

/* The decoders undone, outermost first, '+'-joined ("gzip", "xz"), or "none". */
const char *tl_reader_compression(const struct tl_reader *r);

/* Set the guards: MAX_RATIO decompressed bytes per compressed byte (0: the
 * default TL_GZIP_MAX_RATIO; UINT32_MAX: none), MAX_BYTES decompressed bytes
 * (0: no limit). Call right after tl_reader_open(). */
void tl_reader_gzip_limits(struct tl_reader *r, uint32_t max_ratio, uint64_t max_bytes);

/* Next record: 1 and *rec filled, 0 at end, -1 on a read error (err says what;
 * records already returned stay valid evidence). */
int tl_reader_next(struct tl_reader *r, struct tl_record *rec, struct tl_err *err);

/* Reading ahead (tl ingest --threads 2 or more): RD's records read —
 * decompressed, decoded, framed and hashed — in a thread of their own, a
 * batch of at most 4096 records / 4 MB ahead of the caller (two batches).
 * tl_reader_ahead_next() has tl_reader_next()'s contract and gives the same
 * records in the same order, each valid until the next call;
 * tl_reader_ahead_pos() is tl_reader_pos() as of the last record given.
 * RD is not to be used until tl_reader_ahead_stop() (accepts NULL), which
 * stops the thread, wherever it is, and gives RD back. _start gives NULL
 * when no thread could be started (read RD directly then). */
struct tl_reader_ahead;
struct tl_reader_ahead *tl_reader_ahead_start(struct tl_reader *rd);
int tl_reader_ahead_next(struct tl_reader_ahead *a, struct tl_record *rec, struct tl_err *err);
uint64_t tl_reader_ahead_pos(const struct tl_reader_ahead *a);
void tl_reader_ahead_stop(struct tl_reader_ahead *a);

/* Bytes of the decompressed stream consumed so far; compressed bytes read. */
uint64_t tl_reader_pos(const struct tl_reader *r);
uint64_t tl_reader_compressed_pos(const struct tl_reader *r);

/* Text encoding detected from the byte order mark: "utf-8", "utf-16le", "utf-16be". */
const char *tl_reader_encoding(const struct tl_reader *r);

/* Close and free; accepts NULL. */
/* The bytes [OFFSET, OFFSET+LENGTH) of PATH's decompressed stream (the raw
 * bytes of a record as ingest located it) appended to OUT; -1 with ERR when
 * the file cannot be read or ends before them. UTF-16 text is not transcoded:
 * offsets are those of the stream. */
int tl_reader_range(const char *path, uint64_t offset, size_t length, struct tl_buf *out, struct tl_err *err);

void tl_reader_free(struct tl_reader *r);

/* Read up to CAP bytes of the decompressed start of PATH into BUF, for detection;
 * returns bytes read or -1. *COMPRESSION gets a static name: "none", "gzip",
 * "bzip2", "xz", "lzip", "zstd", or "multiple" for stacked decoders. UTF-16
 * input is handed back transcoded (tl_reader_sniff_text). */
long tl_reader_head(const char *path, char *buf, size_t cap, const char **compression, struct tl_err *err);

/* N bytes of a stream's start in BUF (capacity CAP): UTF-16 with a byte order
 * mark is transcoded in place to UTF-8 for the sniff rules; the new length. */
long tl_reader_sniff_text(char *buf, long n, size_t cap);

/* The compression libmagic's description MAGIC names, as tl_reader_head() would. */
const char *tl_reader_compression_of(const char *magic);

/* The stream layer shared with archives: register on A the decoders tl allows
 * (never an external program), and name those A found, outermost first, in
 * BUF ("none" if none). */
int tl_stream_filters(struct archive *a, struct tl_err *err);
const char *tl_stream_compression(struct archive *a, char *buf, size_t len);

#endif
