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

#include "tl/event.h"
#include "tl/reader.h"
#include "tl/time.h"
#include "tl/util.h"

enum tl_parse_status {
	TL_PARSE_EVENT,  /* *ev filled */
	TL_PARSE_REJECT, /* reason in err */
	TL_PARSE_META,   /* not a record: blank line, header or directive (counted, not stored) */
};

struct tl_format;
struct tl_parse;

/* One parsed field, as `tl formats test` shows it. */
struct tl_field {
	const char *name;
	struct tl_val v;
	enum tl_val_kind kind;
	int used; /* taken by a normalized field */
};

/* The interface every parser implements (declarative engine or C code). */
struct tl_parser_ops {
	const char *kind; /* "definition" or "c" */
	struct tl_parse *(*state_new)(const struct tl_format *f, struct tl_time_ctx *tctx, struct tl_err *err);
	void (*state_free)(struct tl_parse *p); /* accepts NULL */
	enum tl_parse_status (*parse)(struct tl_parse *p, const struct tl_record *rec,
				      struct tl_event *ev, struct tl_err *err);
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

/* Confidence 0..100 that HEAD (the start of a decompressed stream) is this format. */
int tl_format_sniff(const struct tl_format *f, const char *head, size_t len);

/* Per-file parse state. TCTX is borrowed and must outlive the state. */
struct tl_parse *tl_parse_new(const struct tl_format *f, struct tl_time_ctx *tctx, struct tl_err *err);
void tl_parse_free(struct tl_parse *p);
enum tl_parse_status tl_parse_record(struct tl_parse *p, const struct tl_record *rec,
				     struct tl_event *ev, struct tl_err *err);
/* Fields of the last record parsed (for `tl formats test`). */
size_t tl_parse_fields(const struct tl_parse *p, const struct tl_field **out);

/* A set of formats: built-ins plus a case's own. */
struct tl_formats {
	struct tl_format **v;
	size_t n;
};
#define TL_FORMATS_INIT { NULL, 0 }

/* Add the built-in definitions (compiled in from parsers/). */
int tl_formats_add_builtin(struct tl_formats *fs, struct tl_err *err);
/* Add every *.json definition in DIR (missing DIR is fine); a user format may
 * not reuse a built-in name. */
int tl_formats_add_dir(struct tl_formats *fs, const char *dir, struct tl_err *err);
const struct tl_format *tl_formats_find(const struct tl_formats *fs, const char *name);
void tl_formats_release(struct tl_formats *fs);

/* Best format for HEAD; *score gets its confidence. NULL if none reaches 50. */
const struct tl_format *tl_formats_detect(const struct tl_formats *fs, const char *head, size_t len, int *score);

#endif
