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

enum tl_parse_kind { TL_PARSE_REGEX, TL_PARSE_JSON, TL_PARSE_DELIMITED, TL_PARSE_KV, TL_PARSE_CEF, TL_PARSE_LEEF,
		     TL_PARSE_XML };
enum tl_header { TL_HDR_NONE, TL_HDR_FIRST, TL_HDR_ZEEK, TL_HDR_W3C };

/* How key=value text is split (kv.c): the kv parse type with its escape-aware
 * options, and the extensions of CEF and LEEF. */
struct tl_kv_opts {
	char pair_sep, kv_sep;
	char quotes[8];  /* characters that open a quoted value; "" for none */
	int to_next_key; /* a value runs to the last separator before the next key= (CEF) */
	int escapes;     /* backslash escapes in values: \= \\ \n \r \t and escaped quotes */
	int extended;    /* any of the above beyond the plain kv of old: kv.c parses */
};

struct tl_sniff {
	pcre2_code *re;
	int score;
};

/* A string -> index hash (open addressing), for dispatch values, case keys and
 * column-set selectors: one lookup per record, however many entries. */
struct tl_keymap {
	char **keys;
	int *vals;
	size_t cap, n;
};
/* 0 added, 1 KEY already present (nothing changed), -1 out of memory. */
int tl_keymap_put(struct tl_keymap *m, const char *key, int val);
/* Value stored for S (LEN bytes), or -1. */
int tl_keymap_get(const struct tl_keymap *m, const char *s, size_t len);
void tl_keymap_release(struct tl_keymap *m);

enum tl_envelope { TL_ENV_NONE, TL_ENV_SYSLOG };

/* The pieces of a syslog header (envelope.c); absent parts have .s NULL. */
struct tl_syslog_hdr {
	struct tl_val pri, version, ts, host, program, pid, msgid, sd;
	size_t body;  /* offset of the message */
	int rfc5424;
};
/* 0 if TEXT starts with a syslog header, -1 if not. */
int tl_syslog_header(const char *s, size_t len, struct tl_syslog_hdr *h);

/* Per-record dispatch: the value of `by` picks the definition that parses the record. */
struct tl_dispatch {
	struct tl_alts by;
	char **to_keys, **to_names; /* explicit "to" object */
	unsigned *to_line, *to_col;
	size_t nto;
	char *to_template;          /* "zeek-{}-json": every loaded name of that shape is a target */
	char *dflt;                 /* definition for values nobody claims, or NULL */
	unsigned line, col;
	int reject_unclaimed;       /* else the dispatcher's own mapping makes a generic event */
	int unclaimed_proves;       /* "unclaimed": "generic": those generic events are evidence
	                             * of the format in detection (the parse is the format, as
	                             * CEF's; a syslog envelope is only a transport) */
	/* filled by tl_formats_link() */
	struct tl_keymap map;       /* value -> index in targets */
	const struct tl_format **targets;
	size_t ntargets;
	int dflt_slot;              /* index in targets, or -1 */
};

/* "claims": {"DISPATCHER": ["value", ...]}: this definition parses those records. */
struct tl_claim {
	char *dispatcher;
	char **values;
	size_t nvalues;
	unsigned line, col;
};

/* "cases": layouts chosen by the value of one field. Each case is a partial
 * definition (patterns, fields, maps) consulted before the definition's own. */
struct tl_cases {
	char *by, *on;
	struct tl_keymap map;       /* key -> index in v */
	struct tl_format **v;
	size_t n;
};

/* "column_sets": after the columns known so far, the value of `by` picks the
 * columns that follow. Stages apply in order. */
struct tl_colset {
	char *by;
	struct tl_keymap map;       /* value -> index in sets */
	char ***sets;
	size_t *nsets;
	size_t n;
	int dflt;                   /* index in sets, or -1 */
	size_t *min;                /* parallel to sets: values a record may stop after
				       (a device of another version), 0 = all */
};

struct tl_format {
	char *name, *family, *version, *title, *origin;
	char sha256[65];         /* of the text (and its bases); a dispatcher's also covers its targets */
	char own_sha256[65];     /* of the text and its bases alone */
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
	char quote2;              /* delimited: a second quote character, or 0 */
	pcre2_code *prefix;       /* delimited, kv: header before the body */
	enum tl_header header;
	pcre2_code *header_re;    /* delimited: a line matching it names the columns (AWS VPC flow in S3) */
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
	char *rt_field;                /* record_type: the field naming a record's type, or NULL */
	char **rt_values;              /* record_type: the types this reads */
	size_t nrt_values;
	/* envelopes, dispatch, cases, column sets (format-ext.c) */
	enum tl_envelope envelope;
	int has_parse;                 /* a definition with an envelope may leave the message unparsed */
	struct tl_dispatch *dispatch;
	struct tl_claim *claims;
	size_t nclaims;
	struct tl_cases *cases;
	struct tl_colset *colsets;
	size_t ncolsets;
	int keep_extra_columns;        /* values past the last column go to extra as column_N */
	char *text;                    /* the definition's JSON (as written), for "extends" */
	size_t text_len;
	/* language additions (kv.c, cef.c, xml.c, ref.c) */
	struct tl_kv_opts kv;
	char **embedded_prefix;  /* parallel to embedded: namespace of the inner keys, or NULL */
	char **zone_names, **zone_offsets; /* timestamp.zone_names: "CET" -> "+01:00" */
	size_t nzone_names;
	char *xml_element[2];    /* framing xml: the record element, NULL-terminated (records_keys of the spec) */
	/* "rename": parsed field names put under the names a shared mapping uses */
	char **rename_from, **rename_to;
	unsigned char *rename_upper; /* upper-case the first letter of what follows a prefix */
	size_t nrename;
	/* "name_value": arrays of {name, value} objects read as fields (EvtxECmd's Data) */
	char **nv_field, **nv_name, **nv_value, **nv_prefix;
	size_t nnv;
	/* "embedded_xml": a field whose text is one XML element, flattened as the xml parse does */
	char *embedded_xml;
	/* "split": a field of KEY=VALUE pairs (Sysmon's Hashes) read as fields PREFIX+KEY */
	char *split_field, *split_prefix, *split_pair, *split_kv;
	struct tl_strlist warnings; /* load warnings: mapped fields no sample produces */
};

/* Loading helpers of format.c shared with format-ext.c. */
int tl_fmt_bad(struct tl_err *err, const char *origin, const struct tl_json *at, const char *fmt, const char *a);
int tl_fmt_check_keys(const char *origin, const struct tl_json *obj, const char *what, const char *keys,
		      struct tl_err *err);
int tl_fmt_get_strs(const char *origin, const struct tl_json *v, char ***out, size_t *n, struct tl_err *err);
void tl_fmt_free_strs(char **v, size_t n);
int tl_fmt_parse_alts(const char *origin, const struct tl_json *v, struct tl_alts *a, struct tl_err *err);
int tl_fmt_load_fields(struct tl_format *f, const struct tl_json *root, struct tl_err *err);
int tl_fmt_load_maps(struct tl_format *f, const struct tl_json *root, struct tl_err *err);

/* format-ext.c: the keys of the envelope/dispatch language. */
int tl_fmt_load_ext(struct tl_format *f, const struct tl_json *root, struct tl_err *err);
int tl_fmt_load_colsets(struct tl_format *f, const struct tl_json *parse, struct tl_err *err);
void tl_fmt_free_ext(struct tl_format *f);
/* Where "extends" finds a base by name: loaded definitions, then texts not loaded yet. */
struct tl_def_pool {
	const struct tl_formats *loaded;
	const char *const *texts;
	const size_t *lens;
	const char *const *origins;
	size_t n;
};
struct tl_format *tl_format_load_pool(const char *origin, const char *text, size_t len, const struct tl_def_pool *pool,
				      struct tl_err *err);
/* ROOT with its "extends" chain applied (consumes ROOT; NULL on error). The
 * texts of the bases are appended to CHAIN_TEXT so the definition's hash covers them. */
struct tl_json *tl_fmt_apply_extends(const char *origin, struct tl_json *root, const struct tl_def_pool *pool,
				     struct tl_buf *chain_text, struct tl_err *err);
/* Resolve dispatch targets and claims over the whole set (after every load). */
int tl_formats_link(struct tl_formats *fs, struct tl_err *err);

/* The declarative engine (engine.c). */
extern const struct tl_parser_ops tl_engine_ops;

/* A registered C parser as a format (registry.c). */
struct tl_c_parser;
struct tl_format *tl_format_from_parser(const struct tl_c_parser *cp, struct tl_err *err);
int tl_registry_sniff(const struct tl_format *f, const char *head, size_t len);
/* Engine services for the parse methods in their own files (engine.c). A field
 * NAME is borrowed: static text or the parse arena. Values of kind TL_V_STR
 * equal to a null value are dropped. 0 or -1 (too many fields, no memory). */
int tl_parse_add(struct tl_parse *p, const char *name, const char *s, size_t len, enum tl_val_kind kind);
/* A present field by name (valid only once the record's index is built, i.e. while mapping). */
struct tl_field *tl_parse_find(struct tl_parse *p, const char *name, size_t len);

/* kv.c: split TEXT into fields by O; returns the number of key=value pairs, or -1 (out of memory). */
int tl_kv_split(struct tl_parse *p, const struct tl_kv_opts *o, const char *text, size_t len);
/* cef.c: CEF and LEEF records (anything before "CEF:"/"LEEF:" becomes syslog.header). */
enum tl_parse_status tl_cef_parse(struct tl_parse *p, const char *text, size_t len, struct tl_err *err);
enum tl_parse_status tl_leef_parse(struct tl_parse *p, const char *text, size_t len, struct tl_err *err);
/* xml.c: one XML element per record, flattened to dotted fields. */
enum tl_parse_status tl_xml_parse(struct tl_parse *p, const char *text, size_t len, struct tl_err *err);
/* ref.c: references with array selectors ("a[?k=v].b") or transforms ("a|hex").
 * tl_ref_check validates one at load (0, or -1 with the reason in MSG);
 * tl_ref_complex says whether NAME needs tl_ref_resolve, which returns a copy
 * in the arena (not one of the parsed fields: taking it takes nothing) or NULL. */
int tl_ref_check(const char *ref, char *msg, size_t msglen);
int tl_ref_complex(const char *name, size_t len);
struct tl_field *tl_ref_resolve(struct tl_parse *p, const char *name, size_t len);

/* format-lang.c: loading the language additions. kv options ("quote" with
 * several characters, "values", "escapes") into f->kv; checking that they
 * are not given to other parse types; embedded_json entries that are objects
 * {"field", "prefix"}. Each returns 0 or -1 with ORIGIN:LINE:COL in ERR. */
int tl_format_load_kv(struct tl_format *f, const struct tl_json *parse, struct tl_err *err);
int tl_format_kv_keys_unused(struct tl_format *f, const struct tl_json *parse, struct tl_err *err);
int tl_format_load_embedded(struct tl_format *f, const struct tl_json *emb, struct tl_err *err);
int tl_format_load_zone_names(struct tl_format *f, const struct tl_json *zn, struct tl_err *err);
int tl_format_load_xml_framing(struct tl_format *f, const struct tl_json *framing, struct tl_err *err);
/* If TEXT holds a zone name of F's zone_names as a whole word, write TEXT with
 * it replaced by its offset into OUT and return the name; else NULL. */
const char *tl_format_zone_name_apply(const struct tl_format *f, const char *text, size_t len, struct tl_buf *out);

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
	/* dispatch: one state per target, made on first use; `last` parsed the last record */
	struct tl_parse **kids;
	size_t nkids;
	struct tl_parse *last;
	int no_dispatch;         /* samples test the dispatcher's own mapping */
	int has_env;             /* this record's fields include an envelope's */
	const struct tl_format *cur_case;
	const struct tl_record *rec; /* the record being parsed, for targets that are C parsers */
	struct tl_parse *parent; /* the dispatcher that made this target's state, or NULL */
	struct tl_val *vals;     /* column sets: values before they get names */
	size_t cap_vals;
};

#endif
