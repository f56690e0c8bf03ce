/*
 * The case store: the only module that knows how events, evidence files and
 * rejects are kept (today SQLite, src/store/store.c; docs/schema.md). Everyone
 * else writes through tl_store_add_*() / tl_writer and reads through the
 * iterators below, so the schema can change in one place and a second backend
 * (a distributed column store for cases that outgrow one machine) can sit
 * behind the same calls. Hence no SQL text and no sqlite types in this header.
 *
 * The schema version is kept in the database (docs/schema.md); tl_store_open()
 * migrates an older database forward and refuses a newer one. Writes are
 * batched in large transactions; values are always bound, never formatted
 * into a query.
 *
 * Ownership: tl_store_open() returns a store the caller closes with
 * tl_store_close(), after freeing every iterator it opened on it. Strings
 * passed in are copied. Rows handed out by an iterator are borrowed: valid
 * until the next call on that iterator. One thread per store.
 */
#ifndef TL_STORE_H
#define TL_STORE_H

#include <stdint.h>

#include "tl/event.h"
#include "tl/time.h"
#include "tl/util.h"

#define TL_SCHEMA_VERSION 14

struct tl_store;

enum tl_store_mode { TL_STORE_READONLY, TL_STORE_WRITE };

/* Open (and with WRITE, create or migrate) the database at PATH. */
struct tl_store *tl_store_open(const char *path, enum tl_store_mode mode, struct tl_err *err);
void tl_store_close(struct tl_store *s);

/* What the database knows about an evidence file. */
struct tl_file_row {
	int64_t id;
	char status[16];    /* "ingesting", "done", "partial", "failed", "unsupported", "duplicate" */
	char sha256[65];
	char format[128];       /* "" when none */
	char format_rule[16];   /* "detected", "--format", "config"; "" when none */
};

/* Look up PATH; returns 1 and fills *row if known, 0 if not, -1 on error. */
int tl_store_file_get(struct tl_store *s, const char *path, struct tl_file_row *row, struct tl_err *err);
/* Path of a done file with SHA256, for duplicate detection; 1 found, 0 not. */
int tl_store_file_by_sha(struct tl_store *s, const char *sha256, char *path, size_t len, struct tl_err *err);

struct tl_file_info {
	const char *path;     /* relative to the case folder */
	int64_t size;
	int64_t mtime;        /* seconds, UTC */
	const char *sha256;
	const char *magic;    /* libmagic description */
	const char *compression; /* "none" or "gzip" */
	const char *encoding;
	const char *format;   /* NULL if none detected */
	const char *format_version;
	int confidence;
	const char *format_rule; /* "detected", "--format", "config" */
	/* an archive member: the archive (relative to the case) and the member's
	 * path inside it; NULL for a plain file. path is then "ARCHIVE!/MEMBER". */
	const char *container;
	const char *container_sha256;
	const char *member;
	/* what ingest used, so later analysis uses the same facts: the definition
	 * text's SHA-256, its ordered_within (µs, 0 none), and the detection
	 * decision as JSON (candidates with scores and sample parse rates) */
	const char *definition_sha256;
	int64_t ordered_within_us;
	const char *detection;
};

/* Keep the record of PATH's current version in superseded_files (NEW_SHA256
 * replaces it); tl_store_file_begin() then removes its rows. */
int tl_store_file_supersede(struct tl_store *s, const char *path, const char *new_sha256, struct tl_err *err);

/* Start (or restart) a file: removes rows of a previous unfinished attempt. */
int tl_store_file_begin(struct tl_store *s, const struct tl_file_info *fi, int64_t *id, struct tl_err *err);

struct tl_file_counts {
	int64_t records, events, rejects, meta;
	int64_t first_ts, last_ts; /* valid when events > 0 */
	int64_t bytes;             /* decompressed bytes read */
	int64_t merged;            /* records folded into another record's event (auditd); records = events + rejects + merged */
};

/* Finish a file with STATUS ("done", "partial", "failed", "duplicate", "unsupported"),
 * the text ENCODING found (may be NULL) and an optional error. */
int tl_store_file_end(struct tl_store *s, int64_t id, const char *status, const struct tl_file_counts *c,
		      const char *encoding, const char *error, struct tl_err *err);

/* Drop the query indexes before a bulk load / build them after it (idempotent). */
int tl_store_index_drop(struct tl_store *s, struct tl_err *err);
int tl_store_index_build(struct tl_store *s, struct tl_err *err);
/* Helper threads the index build may sort with (0: none, the default). The
 * indexes are the same either way. */
void tl_store_sort_threads(struct tl_store *s, int n);
/* Open a second, read-only connection to PATH (S's own database) on which
 * correlation's whole-case reads of committed events (tl_store_sessions,
 * tl_store_identity_events, tl_store_host_addr_events, tl_store_addr_events
 * of include/tl/bindings.h) run in a thread of their own, a batch of rows
 * ahead of the caller, while the caller writes on S (tl ingest --threads 2).
 * The rows, and their order, are those S itself would read: the same
 * statement on the same schema. Closed with S. A failure leaves S as it was. */
int tl_store_read_ahead(struct tl_store *s, const char *path, struct tl_err *err);
/* Bytes of evidence (stored size) the case holds in done or partial files:
 * what an ingest weighs its new data against to keep or rebuild the indexes. */
int tl_store_case_bytes(struct tl_store *s, int64_t *bytes, struct tl_err *err);
/* 1 if PATH (a file, or an archive through its members) is ingested and done, 0 if not, -1 on error. */
int tl_store_path_ingested(struct tl_store *s, const char *path, struct tl_err *err);

/* Begin / commit the current bulk transaction. */
int tl_store_begin(struct tl_store *s, struct tl_err *err);
int tl_store_commit(struct tl_store *s, struct tl_err *err);

int tl_store_add_event(struct tl_store *s, const struct tl_event *ev, const struct tl_prov *pv, struct tl_err *err);
/* The same with EV's `extra` already rendered as JSON (ev->extra is ignored). */
int tl_store_add_event_json(struct tl_store *s, const struct tl_event *ev, const char *extra, size_t extra_len,
			    const struct tl_prov *pv, struct tl_err *err);
/* Rows the writer gathers for one multi-row INSERT (src/store/writer.c). */
#define TL_STORE_INSERT_ROWS 16
int tl_store_add_reject(struct tl_store *s, const struct tl_prov *pv, const char *reason, const char *excerpt,
			size_t excerpt_len, struct tl_err *err);

/* ---- reading ------------------------------------------------------------ */

/* A value as stored: NULL, an integer, or text (anything else reads as text).
 * S is set for TEXT (LEN bytes, NUL-terminated) and NULL otherwise. */
enum tl_value_type { TL_VALUE_NULL, TL_VALUE_INT, TL_VALUE_TEXT };
struct tl_value {
	enum tl_value_type type;
	int64_t i;
	const char *s;
	size_t len;
};

/* One iterator type for every kind of row; opaque so a backend can stream
 * from anywhere. Free with tl_store_iter_free() (accepts NULL). Each _next
 * returns 1 with a row, 0 at the end, -1 on error (ERR filled). */
struct tl_store_iter;
void tl_store_iter_free(struct tl_store_iter *it);

/* Events about an entity: TYPE is one of user host ip domain url file process
 * hash (see docs/commands/timeline.md for what each matches). */
struct tl_entity {
	const char *type;
	const char *value;
};
/* Non-zero if TYPE is an entity type the store can select on. */
int tl_store_entity_type_valid(const char *type);

enum tl_event_order {
	TL_ORDER_TIMELINE, /* ts, evidence path, offset: the total order of every output */
	TL_ORDER_RECORDS,  /* file order (offset); meant with file_id set */
	TL_ORDER_FILE_TIME /* ts, offset; meant with file_id set */
};

struct tl_field_match;

/* Which events. Zeroed means all of them in timeline order. */
struct tl_event_query {
	int has_from, has_to;
	tl_us from, to;                   /* inclusive from, exclusive to */
	const struct tl_entity *entities; /* any of them matches */
	size_t n_entities;
	const char *const *families;      /* any of them */
	size_t n_families;
	const char *const *formats;
	size_t n_formats;
	int64_t file_id;                  /* 0: every evidence file */
	enum tl_event_order order;
	int core_only;                    /* fill only ts, seq, indicator and the evidence location */
	/* added for the analyst's filters (docs/commands/timeline.md) */
	const char *const *outcomes;      /* any of them (success, failure, unknown, ...) */
	size_t n_outcomes;
	const char *const *actions;       /* any of them, compared without case */
	size_t n_actions;
	int exact;                        /* entity values compare case-sensitively (default: user,
					     host and domain ignore ASCII case) */
	int64_t event_id;                 /* 0: any; else only this event */
	int has_offset_min, has_offset_max;
	int64_t offset_min, offset_max;   /* with file_id: offset >= min, offset < max */
	int64_t limit;                    /* 0: no limit */
	int reverse;                      /* the order backwards */
	int tail;                         /* with limit: the last LIMIT events, still in order */
	int record_index;                 /* fill line_pos / line_records (costs an index probe per row) */
	const char *tag;                  /* only events carrying this tag ("" any tag) */
	const struct tl_field_match *fields; /* all of them hold (struct at the end of this header) */
	size_t n_fields;
	/* added for attribution (docs/correlation.md#bindings-and-attribution): */
	int attributed;                   /* a user or host entity also matches the events attributed to it */
	int attribution;                  /* fill attr_user / attr_host of each row (not with core_only) */
};

/* What an event is attributed to and why (schema v6): the canonical value,
 * the address it was reached through (via: src_ip, dst_ip, src_ip>host,
 * dst_ip>host) and the binding that justifies it. All NULL when none. */
struct tl_event_attribution {
	struct tl_value value, via, via_binding;
	struct tl_value id, kind, subject, bvalue, start, end, end_rule, source;
	struct tl_value evidence;          /* JSON array of {"path","line"} */
};

/* An event as stored, with where it came from. */
struct tl_event_row {
	tl_us ts;
	struct tl_value ts_raw, ts_rule, ts_skew_us, family, format;
	struct tl_value f[TL_F_COUNT];     /* TL_EVENT_FIELDS; integers where the text was one */
	struct tl_value indicator, seq;
	struct tl_value extra;             /* JSON object text */
	int64_t file_id;
	struct tl_value path, line, offset, length, sha256, parser, parser_version;
	int64_t id;                        /* the event's row id in this case (not stable across replays) */
	int64_t line_pos, line_records;    /* with record_index: place among the records of its line, 1-based */
	struct tl_value tags;              /* JSON array of {"tag","note"} or NULL (not with core_only) */
	struct tl_event_attribution attr_user, attr_host; /* with the query's attribution */
};

struct tl_store_iter *tl_store_events(struct tl_store *s, const struct tl_event_query *q, struct tl_err *err);
int tl_store_next_event(struct tl_store_iter *it, const struct tl_event_row **row, struct tl_err *err);

/* The id of the Nth (1-based) event recorded on LINE of the evidence file at
 * PATH: 1 and *ID, 0 if there is none, -1 on error. */
int tl_store_event_locate(struct tl_store *s, const char *path, int64_t line, int64_t n, int64_t *id,
			  struct tl_err *err);

/* Counts of the events Q selects, grouped by up to 4 keys BY (names from
 * tl_store_count_key_valid: hour day family format class user host src_ip
 * dst_ip dst_port domain action outcome file), in key order. A key's value is
 * NULL where events lack it; hour and day are the UTC start of the bucket. */
#define TL_COUNT_KEYS_MAX 4
int tl_store_count_key_valid(const char *key);
struct tl_count_row {
	struct tl_value key[TL_COUNT_KEYS_MAX];
	int64_t events;
	tl_us first_ts, last_ts;
};
struct tl_store_iter *tl_store_counts(struct tl_store *s, const struct tl_event_query *q, const char *const *by,
				      size_t n_by, struct tl_err *err);
int tl_store_next_count(struct tl_store_iter *it, const struct tl_count_row **row, struct tl_err *err);

/* Annotations (schema v4; docs/commands/tag.md): a tag names an event by its
 * evidence PATH, OFFSET and raw record SHA256; adding the same tag again
 * replaces its note. Saved searches keep tl timeline's filter options as a
 * JSON array ARGS under NAME (saving a NAME again replaces it). Neither
 * changes an event or the events digest. Writing needs a store opened WRITE. */
int tl_store_tag_add(struct tl_store *s, const char *path, int64_t offset, const char *sha256, const char *tag,
		     const char *note, struct tl_err *err);
int tl_store_search_save(struct tl_store *s, const char *name, const char *args, struct tl_err *err);
/* ARGS of saved search NAME appended to OUT: 1, 0 if there is none, -1. */
int tl_store_search_get(struct tl_store *s, const char *name, struct tl_buf *out, struct tl_err *err);

/* Evidence files in path order, with what ingest recorded about them. */
struct tl_file_query {
	int with_events;  /* only files that gave events */
	int count_rows;   /* also count the event and reject rows actually stored (slower) */
};

struct tl_file_rec {
	int64_t id;
	const char *path, *status, *sha256;
	int64_t size, mtime;
	const char *magic, *compression, *encoding; /* NULL if unknown */
	const char *format, *format_version, *format_rule;
	int confidence;
	const char *error;
	const char *container, *container_sha256, *member;
	/* the facts ingest used, so later analysis uses the same ones (NULL / 0
	 * for a file ingested by a tl before schema v3) */
	const char *definition_sha256;
	int has_ordered_within;
	int64_t ordered_within_us;
	const char *detection;
	struct tl_file_counts counts; /* first_ts/last_ts valid with has_span */
	int has_first, has_last;
	int64_t stored_events, stored_rejects; /* with count_rows */
};

struct tl_store_iter *tl_store_files(struct tl_store *s, const struct tl_file_query *q, struct tl_err *err);
int tl_store_next_file(struct tl_store_iter *it, const struct tl_file_rec **row, struct tl_err *err);

/* The accounting rule of docs/schema.md for a file read with count_rows: a
 * finished file's records = events + rejects + merged, and its events and
 * rejects are the rows stored. 1 if it holds (or the file is unfinished). */
int tl_store_file_balanced(const struct tl_file_rec *f);
/* Non-zero for a file an ingest started and did not finish. */
int tl_store_file_unfinished(const struct tl_file_rec *f);

/* Rejected records of FILE_ID (0: all) in file and offset order. */
struct tl_reject_row {
	int64_t file_id;
	const char *path;
	int64_t line, offset, length;
	const char *sha256, *reason;
	const char *excerpt; /* raw bytes, not NUL-safe */
	size_t excerpt_len;
};
struct tl_store_iter *tl_store_rejects(struct tl_store *s, int64_t file_id, struct tl_err *err);
int tl_store_next_reject(struct tl_store_iter *it, const struct tl_reject_row **row, struct tl_err *err);

/* The values an entity type takes across all events (what correlation starts
 * from): each distinct value, in bytewise order, with how many events carry
 * it and when it was first and last seen. TYPE as for struct tl_entity; "ip"
 * counts source and destination addresses, "file" paths and names. */
struct tl_entity_row {
	const char *value;
	int64_t events;
	tl_us first_ts, last_ts;
};
struct tl_store_iter *tl_store_entity_values(struct tl_store *s, const char *type, struct tl_err *err);
int tl_store_next_entity(struct tl_store_iter *it, const struct tl_entity_row **row, struct tl_err *err);

/* Distinct format names of the evidence files, sorted, into OUT. */
int tl_store_formats_used(struct tl_store *s, struct tl_strlist *out, struct tl_err *err);

/* The backend's own consistency check: 0 and "ok" in RESULT when whole, else
 * 1 and its first complaint (or -1 when it could not run; RESULT says why). */
int tl_store_check(struct tl_store *s, char *result, size_t len);

/* One read-only statement in the backend's own query language (tl sql): a
 * statement that would write, attach, change settings or load code is refused
 * before it runs. Values are read with tl_store_next_values(); every non-NULL
 * value has its text in S (integers too). */
struct tl_store_iter *tl_store_query_readonly(struct tl_store *s, const char *text, struct tl_err *err);
int tl_store_query_columns(const struct tl_store_iter *it);
const char *tl_store_query_column_name(const struct tl_store_iter *it, int col);
int tl_store_next_values(struct tl_store_iter *it, const struct tl_value **values, struct tl_err *err);

/* ---- chains (docs/correlation.md#chains) ---------------------------------
 * Conditions on single normalized fields, for the link rules of tl chain
 * (src/analysis/chain.c): struct tl_event_query.fields, all of which must
 * hold. FIELD is a TL_F_* id; VALUE the text compared (NULL: IVALUE, for
 * integer fields). OP says how:
 *   TL_MATCH_EQ         the field equals VALUE (IVALUE)
 *   TL_MATCH_GE         the integer field is at least IVALUE
 *   TL_MATCH_PATH_TAIL  the field is VALUE, or a path ending in \VALUE or /VALUE
 *   TL_MATCH_SET        the field is present (any value)
 *   TL_MATCH_EQ_BY_TIME as EQ, but the time range (a few seconds) narrows
 *                       better than the field's own index would
 * NOCASE compares text ignoring ASCII case. Rows come from tl_store_events()
 * as usual, in the query's order; a field without an index is narrowed by
 * the time range, so callers give one. */
enum tl_match_op { TL_MATCH_EQ, TL_MATCH_GE, TL_MATCH_PATH_TAIL, TL_MATCH_SET, TL_MATCH_EQ_BY_TIME };
struct tl_field_match {
	int field;          /* enum tl_field_id */
	enum tl_match_op op;
	const char *value;
	int64_t ivalue;
	int nocase;
};

/* A work budget for a walk of many lookups (tl chain): between
 * tl_store_budget_begin() and tl_store_budget_end(), every database page the
 * statements of S visit (from the page cache or the file; a row read through
 * an index visits 3 or 4) is added to B->used; once B->used passes B->max
 * the running statement stops (its caller sees an error) and so does every
 * later one, and B->spent is set. B is the caller's and outlives the pair. */
struct tl_store_budget {
	int64_t max, used;
	int spent;
	struct tl_store *s; /* set by tl_store_budget_begin */
	int64_t base;       /* the connection's page count at the start */
};
void tl_store_budget_begin(struct tl_store *s, struct tl_store_budget *b);
void tl_store_budget_end(struct tl_store *s, struct tl_store_budget *b);

/* Whether any event has FIELD (a TL_F_* id) set, answered through the
 * field's index: 1 yes, 0 none, 2 unknown (the field has no index to ask
 * cheaply), -1 error. Lets a caller skip lookups that cannot match. */
int tl_store_field_present(struct tl_store *s, int field, struct tl_err *err);
/* Whether any event is of FAMILY ("edr", "dlp", ...), from the first event of
 * each evidence file (a file's events are all of its format's family): 1 or
 * 0, -1 on error. */
int tl_store_family_present(struct tl_store *s, const char *family, struct tl_err *err);
/* How many events have FIELD = VALUE, counted up to LIMIT through the
 * field's (field, ts) index without reading an event; LIMIT for a field
 * without one (user, host, src_ip, dst_ip, domain have). -1 on error. */
int64_t tl_store_field_count(struct tl_store *s, int field, const char *value, int64_t limit, struct tl_err *err);

/* A hint that the caller will run many small lookups on S (tl chain): the
 * store may keep up to BYTES of the database in memory for this connection. */
void tl_store_read_cache(struct tl_store *s, int64_t bytes);
/* ---- entities (schema v6; docs/correlation.md#entities) ------------------------
 * The entities table is kept up to date incrementally: the events of each
 * evidence file are counted into it once. The rules that turn a field's text
 * into an entity are the caller's (src/analysis/entities.c); the store only
 * hands out the raw values and keeps the counts. */

/* What to read from the events not yet counted: FIELDS (event fields) and,
 * for events of family EXTRA_FAMILY only, the values of top-level EXTRA_KEYS
 * of `extra` (parsing JSON only where it can pay off). */
struct tl_entity_source_query {
	const enum tl_field_id *fields;
	size_t n_fields;
	const char *const *extra_keys;
	size_t n_extra;
	const char *extra_family;
};
/* One event: its time and the values asked for, fields first then extra
 * keys; each NULL or text (integers as text). Borrowed for the call. */
struct tl_entity_source_row {
	tl_us ts;
	const char *const *v;
};
typedef int (*tl_entity_source_fn)(void *ctx, const struct tl_entity_source_row *row, struct tl_err *err);

/* A refresh: one write transaction. Opening it decides whether what was
 * counted before still holds: when an evidence file counted earlier was
 * replaced or re-parsed since, or CONFIG_DIGEST (the caller's digest of the
 * configuration its rules used) changed, every count is dropped and all
 * events are counted again (*REBUILT = 1). */
struct tl_store_entities;
struct tl_store_entities *tl_store_entities_open(struct tl_store *s, const char *config_digest, int *rebuilt,
						 struct tl_err *err);
/* Calls FN for every event of the evidence files not yet counted. */
int tl_store_entities_scan(struct tl_store_entities *w, const struct tl_entity_source_query *q,
			   tl_entity_source_fn fn, void *ctx, struct tl_err *err);
/* The same reads before the refresh is opened, on S's reader connection
 * (tl_store_read_ahead) in one read transaction, so that they may run in
 * another thread while S's connection builds the query indexes: *REBUILT
 * as tl_store_entities_open() with CONFIG_DIGEST will find it, then FN for
 * the events tl_store_entities_scan() would give, in its order. Valid while
 * nothing but the index build writes between this and that open. Returns 1
 * (nothing read) when S has no free reader connection. */
int tl_store_entities_scan_early(struct tl_store *s, const char *config_digest, int *rebuilt,
				 const struct tl_entity_source_query *q, tl_entity_source_fn fn, void *ctx,
				 struct tl_err *err);
/* Adds each row's EVENTS (with their first and last time; EVENTS 0 for an
 * entity only configured) to the entity (TYPE, VALUE), creating it; in the
 * order given, many rows per statement. */
struct tl_entity_count {
	const char *type, *value, *registrable;
	int64_t events;
	tl_us first_ts, last_ts;
};
int tl_store_entities_put(struct tl_store_entities *w, const struct tl_entity_count *rows, size_t n,
			  struct tl_err *err);
/* Adds EVENTS to ALIAS of entity (TYPE, VALUE), which must exist; SOURCE
 * "seen" or "config" ("config" sticks once set). Adding a configured alias
 * again with 0 events changes nothing. */
int tl_store_entities_alias(struct tl_store_entities *w, const char *type, const char *value, const char *alias,
			    const char *source, int64_t events, struct tl_err *err);
/* COMMIT non-zero: records the files scanned as counted and commits; zero:
 * rolls back. Frees W either way (accepts NULL). */
int tl_store_entities_close(struct tl_store_entities *w, int commit, struct tl_err *err);

/* Entities in (type, value) order, TYPE NULL for all. ALIASES is a JSON array
 * of {"alias","source","events"} in alias order ("[]" when none). */
struct tl_entity_rec {
	const char *type, *value, *registrable; /* registrable NULL when none */
	int64_t events;
	int has_span;                         /* first_ts/last_ts valid (events were seen) */
	tl_us first_ts, last_ts;
	const char *aliases;
};
typedef int (*tl_entity_rec_fn)(void *ctx, const struct tl_entity_rec *r, struct tl_err *err);
/* Only types after AFTER and before BEFORE (each NULL: no bound), so that a
 * caller can put the url entities in their place; url rows are never kept
 * (see tl_store_urls_each) and rows of that type left by an older tl are
 * skipped. */
int tl_store_entities_each(struct tl_store *s, const char *type, const char *after, const char *before,
			   tl_entity_rec_fn fn, void *ctx, struct tl_err *err);

/* URL entities are not kept in the entities table: nearly every URL is its
 * own (a query string, a session id), so the table would hold a row and an
 * index entry per request for a pivot analysts make on the domain
 * (docs/correlation.md#entities). They are read from the events when asked.
 * CANON gives the canonical text of a raw url (malloc'd into *OUT, 0), or
 * non-zero when it is no URL. FN gets every distinct url value of the events
 * with its canonical form, in (canonical, raw) order; LIKE non-NULL keeps
 * only the values equal to it ignoring ASCII case (the spellings of one URL).
 * Values longer than 4096 bytes name no entity and are skipped. */
typedef int (*tl_url_canon_fn)(const char *raw, char **out);
struct tl_url_rec {
	const char *canon, *raw;
	int64_t events;
	tl_us first_ts, last_ts;
};
typedef int (*tl_url_rec_fn)(void *ctx, const struct tl_url_rec *r, struct tl_err *err);
int tl_store_urls_each(struct tl_store *s, tl_url_canon_fn canon, const char *like, tl_url_rec_fn fn, void *ctx,
		       struct tl_err *err);

/* The aliases of entity (TYPE, VALUE) appended to OUT (alias order): 1 when
 * the entity is known, 0 when not, -1 on error. */
int tl_store_entity_aliases(struct tl_store *s, const char *type, const char *value, struct tl_strlist *out,
			    struct tl_err *err);

/* ---- the entity graph (src/store/graph.c; docs/commands/graph.md) ---------- */

/* The column a graph lookup pivots on. Each has its own index, and a lookup
 * goes through that index or fails ("run tl ingest ... to build it"): a pivot
 * never scans the whole case. TL_GC_ALL reads every event (in the time range). */
enum tl_graph_col {
	TL_GC_ALL, TL_GC_USER, TL_GC_HOST, TL_GC_SRC_IP, TL_GC_DST_IP, TL_GC_DOMAIN, TL_GC_FILE,
	TL_GC_PROCESS_GUID, TL_GC_PARENT_GUID,
	TL_GC_ATTR_USER /* events attributed to the user (canonical) by a binding, through attributions_value */
};
struct tl_graph_query {
	enum tl_graph_col col;
	const char *value;   /* compared exactly (as stored) */
	int has_from, has_to;
	tl_us from, to;      /* inclusive from, exclusive to */
};
/* What a graph needs of an event: the normalized fields relationships are
 * made of (class action outcome user host src_ip dst_ip domain url file
 * file_name process process_guid parent_process parent_process_guid
 * http_method bytes_in bytes_out rule; the others are NULL), `extra` of DNS
 * events (NULL otherwise) and where it is. */
struct tl_graph_row {
	int64_t id;
	tl_us ts;
	const char *family, *path, *extra;
	int64_t line;
	struct tl_value f[TL_F_COUNT];
	/* the user a binding attributes the event to (docs/correlation.md#attribution),
	 * read by the event's key whatever the lookup: NULL when none; then the
	 * binding's id and the side it went through (src_ip, dst_ip, src_ip>host...) */
	const char *attr_user, *attr_via;
	int64_t attr_binding;
};
/* A binding as a graph shows it (tl_store_graph_binding). */
struct tl_graph_binding_row {
	const char *kind, *source, *subject; /* ip-user, vpn, 10.50.0.22 */
	const char *path;                    /* its first evidence; NULL none */
	int64_t line;
};
/* One VPN session or DHCP lease of the sessions view (docs/schema.md#sessions). */
struct tl_graph_session {
	const char *kind, *user, *assigned_ip, *client_host; /* NULL when absent */
	int has_start, has_end;
	tl_us start, end;
	const char *start_file, *end_file;
	int64_t start_line, end_line, bytes; /* bytes in + out, 0 unknown */
};
struct tl_graph_iter;
/* Events of Q, in no particular order (the caller aggregates). */
struct tl_graph_iter *tl_store_graph_events(struct tl_store *s, const struct tl_graph_query *q, struct tl_err *err);
int tl_store_graph_next(struct tl_graph_iter *it, const struct tl_graph_row **row, struct tl_err *err);
/* Sessions that overlap Q's time range (Q's column and value are ignored). */
struct tl_graph_iter *tl_store_graph_sessions(struct tl_store *s, const struct tl_graph_query *q, struct tl_err *err);
int tl_store_graph_next_session(struct tl_graph_iter *it, const struct tl_graph_session **row, struct tl_err *err);
void tl_store_graph_iter_free(struct tl_graph_iter *it);
/* Binding ID (a row's attr_binding) into *ROW, its strings borrowed until the
 * next call on IT: asked once per binding a graph meets, not per event. 1
 * found, 0 not, -1 on error. */
int tl_store_graph_binding(struct tl_graph_iter *it, int64_t id, const struct tl_graph_binding_row **row,
			   struct tl_err *err);
/* How many events Q selects, counted no further than MAX + 1 (a hub is
 * recognised without reading it); -1 on error. */
int64_t tl_store_graph_count(struct tl_store *s, const struct tl_graph_query *q, int64_t max, struct tl_err *err);

#endif
