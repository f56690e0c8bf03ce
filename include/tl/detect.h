/*
 * Detection: which format reads an evidence file, decided on evidence from
 * its own records (docs/detection.md).
 *
 * Sniff rules only nominate: every format whose rules match the file's sniff
 * window is a candidate, and each candidate parses a bounded sample of the
 * file's first records with its own framing. The file goes to the candidate
 * with the best evidence (sniff score x share of sampled records that became
 * events, then specificity: normalized fields filled per event). A candidate
 * under TL_DETECT_MIN_SNIFF or TL_DETECT_MIN_RATE cannot claim the file; two
 * equal best candidates claim it neither. A Zeek log's own name (#path in a
 * TSV header, _path or @stream in a JSON record) decides between Zeek
 * definitions; the generic reader (zeek_path "*") takes only logs that have
 * no definition of their own.
 *
 * The window is not blinded by one giant line: when the first line fills the
 * head, the following lines under TL_DETECT_WINDOW bytes are added to it.
 * Sampled records over TL_DETECT_RECORD_MAX bytes are skipped, not counted.
 *
 * Detection reads the file (plain or compressed) or a member's first bytes, and nothing else: no store, no
 * case. Ownership: a struct tl_detection owns its candidates and JSON; the
 * formats it points to belong to the struct tl_formats passed in.
 */
#ifndef TL_DETECT_H
#define TL_DETECT_H

#include <stddef.h>
#include <stdint.h>

#include "tl/format.h"
#include "tl/util.h"

#define TL_DETECT_WINDOW (64 * 1024)         /* sniff window, and the longest line it takes */
#define TL_DETECT_SAMPLE_RECORDS 200         /* records parsed per candidate, at most */
#define TL_DETECT_SAMPLE_BYTES (4u << 20)    /* record bytes parsed per candidate, at most */
#define TL_DETECT_SCAN_BYTES (128u << 20)    /* stream bytes read per candidate (or for the window), at most */
#define TL_DETECT_RECORD_MAX (1u << 20)      /* sampled records longer than this are skipped */
#define TL_DETECT_MIN_SNIFF 50               /* sniff score a claim needs */
#define TL_DETECT_MIN_RATE 50                /* percent of sampled records that must become events */

struct tl_detect_candidate {
	const struct tl_format *f;
	int sniff;           /* 0..100 */
	long sampled;        /* records parsed (events + rejects); meta lines are not records */
	long events, rejects;
	long unclaimed;      /* a dispatcher's generic events (no definition claims the record): not evidence */
	long skipped;        /* records over TL_DETECT_RECORD_MAX, not parsed */
	int rate;            /* per mille of sampled that became events; -1: nothing sampled */
	int specificity;     /* normalized fields filled per event, x10 */
	long evidence;       /* sniff x rate (per mille); sniff x 1000 when nothing was sampled */
	const char *verdict; /* chosen, tie, beaten, below-threshold, weak-sniff, excluded */
	char why[256];
};

struct tl_detection {
	const struct tl_format *format; /* the claim, or NULL: unsupported */
	int confidence;                 /* 0..100: the winner's evidence */
	const char *compression;        /* "none", "gzip", "bzip2", "xz", "lzip", "zstd", "multiple" */
	char zeek_path[64];             /* the #path of a Zeek TSV header; "" if none */
	size_t window_bytes;
	long window_skipped;            /* lines over TL_DETECT_WINDOW left out of the window */
	struct tl_detect_candidate *cand; /* best first */
	size_t ncand;
	char reason[768];               /* unsupported: why, naming the best candidates */
	char *json;                     /* the whole decision, compact deterministic JSON */
};

/* Decide the format of the file at PATH among FS. Returns 0 with D filled
 * (D->format NULL and D->reason set when nothing may claim it), or -1 when the
 * file cannot be read (ERR says why). Release D with tl_detection_release()
 * in either case. */
int tl_detect_file(const struct tl_formats *fs, const char *path, struct tl_detection *d, struct tl_err *err);

/* The same over the first LEN bytes of a stream held in memory (an archive
 * member: the caller peeks up to TL_DETECT_MEMBER_BYTES of it; compressed
 * bytes are decompressed as a file's would be). MTIME stands for the file's
 * modification time in yearless stamps. C parsers that read a file themselves
 * are not sampled here: they need a file. */
#define TL_DETECT_MEMBER_BYTES (8u << 20)
int tl_detect_buffer(const struct tl_formats *fs, const char *buf, size_t len, int64_t mtime, struct tl_detection *d,
		     struct tl_err *err);
void tl_detection_release(struct tl_detection *d);

#endif
