/* Internals shared by format.c (loading) and engine.c (parsing); not a public contract. */
#ifndef TL_FORMAT_INTERNAL_H
#define TL_FORMAT_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "tl/format.h"
#include "tl/json.h"

/* Alternatives for one value: a field name, "=constant", or a "{a} {b}" template. */
struct tl_alts {
	char **v;
	size_t n;
};

struct tl_vmap {
	int target;
	char *from;
	char **keys, **vals; /* exact matches */
	size_t nvals;
	pcre2_code **mre;    /* regex matches, in order */
	char **mvals;
	size_t nmatch;
	char *dflt;          /* field present, nothing matched */
	char *missing;       /* field absent */
};

enum tl_parse_kind { TL_PARSE_REGEX, TL_PARSE_JSON, TL_PARSE_DELIMITED, TL_PARSE_KV };
enum tl_header { TL_HDR_NONE, TL_HDR_FIRST, TL_HDR_ZEEK, TL_HDR_W3C };

struct tl_sniff {
	pcre2_code *re;
	int score;
};

struct tl_format {
	char *name, *family, *version, *title, *origin;
	char sha256[65];
	const struct tl_parser_ops *ops;
	const struct tl_c_parser *cp;  /* a registered C parser (registry.c), or NULL for a definition */
	struct tl_framing_spec framing;
	pcre2_code *start_re;
	char **records_keys;      /* NULL-terminated */
	size_t nrecords_keys;
	enum tl_parse_kind parse;
	pcre2_code **pats;
	size_t npats;
	char sep, quote, kv_sep;
	pcre2_code *prefix;       /* delimited, kv: header before the body */
	enum tl_header header;
	char **cols;
	size_t ncols;
	char **embedded;
	size_t nembedded;
	char **nulls;
	size_t nnulls;
	struct tl_alts ts;
	char **ts_formats;
	size_t nts_formats;
	char *zone;
	struct tl_alts fields[TL_F_COUNT];
	struct tl_alts sequence;       /* the source's record sequence number field */
	int64_t ordered_within_us;     /* records are written in time order, give or take this; 0: not ordered */
	struct tl_vmap *vmaps;
	size_t nvmaps;
	struct tl_sniff *sniffs;
	size_t nsniffs;
	char *zeek_path;               /* the Zeek log this reads ("dns"), "*" any; NULL: not a Zeek log */
};

/* The declarative engine (engine.c). */
extern const struct tl_parser_ops tl_engine_ops;

/* A registered C parser as a format (registry.c). */
struct tl_c_parser;
struct tl_format *tl_format_from_parser(const struct tl_c_parser *cp, struct tl_err *err);
int tl_registry_sniff(const struct tl_format *f, const char *head, size_t len);

/* Compile PAT; on error report ORIGIN:LINE:COL of AT. */
pcre2_code *tl_format_compile(const char *origin, const struct tl_json *at, const char *pat, uint32_t opts,
			      struct tl_err *err);

/* Definitions compiled in from parsers/ (generated at build time). */
struct tl_builtin_format {
	const char *path;
	const char *text;
	size_t len;
};
extern const struct tl_builtin_format tl_builtin_formats[];
extern const size_t tl_builtin_format_count;

/* Per-file parse state. C parsers keep their own state in `impl`. */
struct tl_parse {
	const struct tl_format *f;
	struct tl_time_ctx *tctx;
	void *impl;
	struct tl_arena arena;
	struct tl_field *fields;
	size_t nf, capf;
	int32_t *index;          /* open-addressing hash of field names -> position */
	size_t index_cap;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit;
	/* header-driven delimited formats */
	char **cols;
	size_t ncols;
	char sep;
	char *unset, *empty;
	unsigned char *numeric;  /* Zeek #types: column i holds numbers, so `extra` keeps them as numbers */
	size_t nnumeric;
	int header_seen;
	char zeek_path[64];      /* the #path of the current Zeek header block; "" none */
	/* JSON flattening */
	struct tl_buf path;
	size_t path_stack[256];
	int depth;
	int arr_depth;           /* >0: inside an array captured whole */
	size_t arr_start;
	int too_deep;         /* objects nested past the limit: the reason of the reject */
	void *yajl;
	const char *jtext;
	const char *jprefix;     /* key prefix while flattening embedded JSON */
	struct tl_buf tmp;
	struct tl_extra *extra;
	size_t cap_extra;
	int at_eof;              /* C parsers: tl_parse_finish() was called */
};

#endif
