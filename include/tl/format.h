/*
 * Formats: how an evidence stream becomes events.
 *
 * Most formats are data: a JSON definition (docs/format-definitions.md) giving
 * framing, a parse method (regex with named groups, JSON, delimited with
 * headers, key=value, CEF, LEEF, XML), a timestamp rule, field mappings
 * (with array selections and transforms), value maps, sniff rules and sample
 * records. Built-in definitions live in parsers/ and are
 * compiled into the binary; users add theirs in CASE/formats/.
 *
 * Formats that need state or binary decoding are C parsers implementing the
 * same struct tl_parser_ops; the declarative engine is one such implementation.
 *
 * Ownership: a struct tl_formats owns every format in it; a format owns its
 * compiled patterns. A struct tl_parse (per-file parse state) borrows its
 * format and owns its arena; events it fills point into that arena and are
 * valid until the next tl_parse_record() call.
 */
#ifndef TL_FORMAT_H
#define TL_FORMAT_H

#include <stddef.h>
#include <stdio.h>

#include "tl/event.h"
#include "tl/reader.h"
#include "tl/time.h"
#include "tl/util.h"

enum tl_parse_status {
	TL_PARSE_EVENT,  /* *ev filled */
	TL_PARSE_REJECT, /* reason in err */
	TL_PARSE_META,   /* not a record: blank line, header or directive (counted, not stored) */
	/* grouping parsers only (many records -> one event, include/tl/registry.h): */
	TL_PARSE_PENDING, /* the record opened a group: its event (or reject) comes from tl_parse_ready() */
	TL_PARSE_MERGED,  /* the record joined a pending group: counted as merged, part of that event */
};

struct tl_format;
struct tl_parse;

/* Non-zero if ST means the parser took the record: an event now, or part of
 * one later (PENDING, MERGED). Detection that proves a format on sample
 * records should count these, not only TL_PARSE_EVENT. */
static inline int tl_parse_took(enum tl_parse_status st)
{
	return st == TL_PARSE_EVENT || st == TL_PARSE_PENDING || st == TL_PARSE_MERGED;
}

/* One parsed field, as `tl formats test` shows it. */
struct tl_field {
	const char *name;
	struct tl_val v;
	enum tl_val_kind kind;
	int used; /* taken by a normalized field */
};

/* The interface every parser implements (declarative engine or C code). The
 * optional members (NULL for the engine) come from the C parser registry. */
struct tl_parser_ops {
	const char *kind; /* "definition" or "c" */
	struct tl_parse *(*state_new)(const struct tl_format *f, struct tl_time_ctx *tctx, struct tl_err *err);
	void (*state_free)(struct tl_parse *p); /* accepts NULL */
	enum tl_parse_status (*parse)(struct tl_parse *p, const struct tl_record *rec,
				      struct tl_event *ev, struct tl_err *err);
	enum tl_parse_status (*ready)(struct tl_parse *p, struct tl_event *ev, struct tl_record *origin,
				      struct tl_err *err);
	void (*finish)(struct tl_parse *p);
	int (*open)(struct tl_parse *p, const char *path, struct tl_err *err);
	int (*next)(struct tl_parse *p, struct tl_record *rec, struct tl_err *err);
	uint64_t (*pos)(const struct tl_parse *p);
};

/* Load one definition from TEXT. ORIGIN is "builtin" or the file path (used in
 * error messages as ORIGIN:LINE:COL). Compiles patterns and checks samples. */
struct tl_format *tl_format_load(const char *origin, const char *text, size_t len, struct tl_err *err);
void tl_format_free(struct tl_format *f);

const char *tl_format_name(const struct tl_format *f);
const char *tl_format_family(const struct tl_format *f);
const char *tl_format_version(const struct tl_format *f);
const char *tl_format_title(const struct tl_format *f);
const char *tl_format_origin(const struct tl_format *f);
const char *tl_format_sha256(const struct tl_format *f); /* of the definition text */
const struct tl_framing_spec *tl_format_framing(const struct tl_format *f);
/* Default zone for naive times named by the definition, or NULL. */
const char *tl_format_zone(const struct tl_format *f);
/* How far out of time order the source writes records (µs); 0 if it does not promise order. */
int64_t tl_format_ordered_within(const struct tl_format *f);

/* The Zeek log a definition reads ("dns"; "*" for any), or NULL when it is
 * not a Zeek log. Detection lets a file's #path (or records' _path) decide. */
const char *tl_format_zeek_path(const struct tl_format *f);

/* Non-zero for a definition that hands records to others (dispatch); its
 * events under its own name are generic ones, for records nobody claims. */
int tl_format_dispatches(const struct tl_format *f);

/* Non-zero for a dispatcher whose generic events are evidence of the format
 * ("unclaimed": "generic": its own parse is the format, as CEF's), so that
 * detection counts them; a transport's (syslog) prove nothing. */
int tl_format_unclaimed_proves(const struct tl_format *f);

/* Confidence 0..100 that HEAD (the start of a decompressed stream) is this format. */
int tl_format_sniff(const struct tl_format *f, const char *head, size_t len);

/* Per-file parse state. TCTX is borrowed and must outlive the state. */
struct tl_parse *tl_parse_new(const struct tl_format *f, struct tl_time_ctx *tctx, struct tl_err *err);
void tl_parse_free(struct tl_parse *p);
enum tl_parse_status tl_parse_record(struct tl_parse *p, const struct tl_record *rec,
				     struct tl_event *ev, struct tl_err *err);
/*
 * Grouping and file I/O (C parsers, include/tl/registry.h); for definitions
 * these are no-ops. A caller that parses a whole file:
 *   own = tl_parse_open(p, path, err)   1: read records with tl_parse_next()
 *                                       (PATH NULL: no file, a stream such as
 *                                       an archive member: -1 for such parsers)
 *                                       (same contract as tl_reader_next()),
 *                                       0: frame the file with tl_reader, -1: error
 *   per record: tl_parse_record(), then tl_parse_ready() until TL_PARSE_META
 *   at the end (also after a read error): tl_parse_finish(), then
 *   tl_parse_ready() until TL_PARSE_META.
 * tl_parse_ready() gives a finished group's event (TL_PARSE_EVENT) or reject
 * (TL_PARSE_REJECT, reason in err); *ORIGIN is the group's first record (its
 * provenance; raw/text hold at most a short excerpt), valid like *ev until
 * the next call. Records = events + rejects + merged holds when every
 * PENDING record comes back once from tl_parse_ready().
 */
int tl_parse_open(struct tl_parse *p, const char *path, struct tl_err *err);
int tl_parse_next(struct tl_parse *p, struct tl_record *rec, struct tl_err *err);
uint64_t tl_parse_pos(const struct tl_parse *p); /* bytes read so far by a parser that owns the file */
enum tl_parse_status tl_parse_ready(struct tl_parse *p, struct tl_event *ev, struct tl_record *origin,
				    struct tl_err *err);
void tl_parse_finish(struct tl_parse *p);

/* Fields of the last record parsed (for `tl formats test`). */
size_t tl_parse_fields(const struct tl_parse *p, const struct tl_field **out);

/* `tl formats test` (src/parse/format-test.c): frame PATH with F (or let a C
 * parser read it) and parse it as ingest would without a case config (the
 * format's zone, the file's mtime), writing the first MAX records or groups to
 * OUT, each with its fields and event or reject reason. 0; -1 when it could
 * not start; -2 when reading failed part-way (ERR says why; the counts cover
 * what was read). */
struct tl_format_test_counts {
	long events, rejects, merged, meta;
};
int tl_format_test(const struct tl_format *f, const char *path, long max, FILE *out, struct tl_format_test_counts *c,
		   struct tl_err *err);

/* A set of formats: built-ins plus a case's own. */
struct tl_formats {
	struct tl_format **v;
	size_t n;
};
#define TL_FORMATS_INIT { NULL, 0 }

/* Add the built-in definitions (compiled in from parsers/) and the registered
 * C parsers (include/tl/registry.h), which then list, detect and parse like
 * definitions. */
int tl_formats_add_builtin(struct tl_formats *fs, struct tl_err *err);
/* Add every *.json definition in DIR (missing DIR is fine); a user format may
 * not reuse a built-in name. */
int tl_formats_add_dir(struct tl_formats *fs, const char *dir, struct tl_err *err);
/* Load warnings of F (a field mapping that no sample produces), each
 * "ORIGIN: ..."; *OUT is borrowed from F. Returns their number. */
size_t tl_format_warnings(const struct tl_format *f, const char *const **out);

/* Add the one definition file PATH (tl formats test ./x.json FILE); the
 * format's origin is PATH. */
int tl_formats_add_file(struct tl_formats *fs, const char *path, struct tl_err *err);
const struct tl_format *tl_formats_find(const struct tl_formats *fs, const char *name);
void tl_formats_release(struct tl_formats *fs);

/* Best format for HEAD by sniff rules alone; *score gets its confidence. NULL
 * if none reaches 50. Ingest decides with tl_detect_file() (tl/detect.h), which
 * also parses a sample of records: use that for evidence. */
const struct tl_format *tl_formats_detect(const struct tl_formats *fs, const char *head, size_t len, int *score);

#endif
