/*
 * Shared by the files of src/store only: the SQLite handle behind a store.
 * Nothing outside src/store may include this (tests/arch checks it); the rest
 * of tl reads through the iterators of include/tl/store.h.
 */
#ifndef TL_STORE_INTERNAL_H
#define TL_STORE_INTERNAL_H

#include <sqlite3.h>

#include "tl/store.h"

sqlite3 *tl_store_handle(struct tl_store *s);
/* Non-zero when the database has the annotation tables (schema v4). */
int tl_store_has_annotations(struct tl_store *s);
/* Register tl's SQL functions on DB: tl_cidr(ADDRESS, CIDR) is 1 when the
 * address lies in the block (IPv4 or IPv6), 0 otherwise (or NULL input). */
void tl_store_functions(sqlite3 *db);
/* tl_unhex(TEXT) (also an SQL function): the 32 bytes of a SHA-256 written
 * as 64 lower-case hex digits; 0, or -1 (OUT untouched) for anything else. */
int tl_store_sha_unhex(const char *hex, size_t len, unsigned char out[32]);
/* The 64 lower-case hex digits and NUL of 32 bytes into OUT. */
void tl_store_sha_hex(const unsigned char *sha, char out[65]);
/* tl_store_add_event_json() with PV's hash already as its 32 bytes SHA
 * (NULL: PV->sha256 is not 64 hex digits and is stored as it is): the writer
 * thread's caller converts it, so the thread that holds the database does
 * only the database's work (src/store/writer.c). */
int tl_store_add_event_sha(struct tl_store *s, const struct tl_event *ev, const char *extra, size_t extra_len,
			   const struct tl_prov *pv, const unsigned char *sha, struct tl_err *err);
/* N events, EV[i] with EXTRA[i] (EXTRA_LEN[i] bytes), PV[i] and SHA[i] (NULL
 * entries, or SHA NULL: unhexed from PV[i]): the same rows, in the same
 * order and with the same ids, as N calls of tl_store_add_event_sha, written
 * TL_STORE_INSERT_ROWS to a statement (the rest one by one). Every string
 * must stay valid until the call returns. */
int tl_store_add_events_sha(struct tl_store *s, size_t n, const struct tl_event *ev, const char *const *extra,
			    const size_t *extra_len, const struct tl_prov *const *pv, const unsigned char *const *sha,
			    struct tl_err *err);

/* The conditions of Q->fields (src/store/chain.c): appended to a WHERE
 * clause with parameters numbered from *PARAM on, then bound from P on;
 * returns the next parameter number. */
void tl_store_fields_where(const struct tl_event_query *q, struct tl_buf *b, int *param);
int tl_store_fields_bind(sqlite3_stmt *st, const struct tl_event_query *q, int p);

/* Runs of events (src/store/lines.c, schema v12): consecutive ids of one
 * evidence file whose lines and offsets never decrease. The writer keeps
 * the open run in memory and writes it (INSERT OR REPLACE, keyed by its
 * first id) when the next event does not extend it, at each commit and
 * at the end of each file. */
struct tl_event_run {
	int64_t file_id, first_id, last_id, first_line, last_line, first_offset, last_offset;
	int open, dirty;
};
/* Extend R with event ID stored at PV: 1 done, 0 when it starts a new run
 * (write R if dirty, then tl_event_run_start). */
int tl_event_run_extend(struct tl_event_run *r, int64_t id, const struct tl_prov *pv);
void tl_event_run_start(struct tl_event_run *r, int64_t id, const struct tl_prov *pv);
/* ST: INSERT OR REPLACE INTO event_runs with the 7 columns in order. */
int tl_event_run_write(sqlite3 *db, sqlite3_stmt *st, const struct tl_event_run *r, struct tl_err *err);

/* Lookups of records by evidence line through event_runs. */
struct tl_line_index;
struct tl_line_index *tl_line_index_new(sqlite3 *db, struct tl_err *err);
void tl_line_index_free(struct tl_line_index *x);
/* Event ID at OFFSET on (FILE_ID, LINE): *POS its place among the line's
 * records in offset order (those at its offset included), *N their count. */
int tl_line_index_place(struct tl_line_index *x, int64_t file_id, int64_t line, int64_t id, int64_t offset,
			int64_t *pos, int64_t *n, struct tl_err *err);
/* The id of the NTH (1-based) record of (FILE_ID, LINE) in (offset, id)
 * order: 1 found, 0 none, -1 error. */
int tl_line_index_nth(struct tl_line_index *x, int64_t file_id, int64_t line, int64_t nth, int64_t *id,
		      struct tl_err *err);

/* A binding's evidence stored compactly (src/store/bindings-evidence.c,
 * schema v12): binding_rows.evidence holds [[binding_paths.id, line], ...]
 * where correlation wrote [{"path":..., "line":...}, ...]; the view
 * bindings shows the latter again, byte for byte. */
struct tl_bind_paths;
struct tl_bind_paths *tl_bind_paths_new(sqlite3 *db, struct tl_err *err);
void tl_bind_paths_free(struct tl_bind_paths *x);
/* JSON (correlation's evidence array) as stored into OUT: packed when it
 * has exactly the form correlation writes, else as given. */
int tl_bind_evidence_pack(struct tl_bind_paths *x, const char *json, struct tl_buf *out, struct tl_err *err);
/* The DDL of the view bindings, and the copy of a v11 bindings table into
 * binding_rows (the migration). */
extern const char tl_bind_evidence_view[];
int tl_bind_evidence_migrate(sqlite3 *db, struct tl_err *err);
/* tl_store_read_ahead()'s reader connection for one iterator at a time:
 * NULL when there is none or another iterator holds it; given back when that
 * iterator is freed. */
struct tl_store *tl_store_reader_take(struct tl_store *s);
void tl_store_reader_give(struct tl_store *s);

/* Reading ahead (src/store/read-ahead.c): rows that NEXT takes from INNER,
 * whose statements are on a reader connection, are read on a thread of
 * their own, which copies each row (ROW_SIZE bytes whose `const char *`
 * members at STRS point at text, copied too) into one of two batches while
 * the caller reads the other. tl_ahead_next() hands them back in INNER's
 * order, each valid until the next call; tl_ahead_free() stops the thread
 * and frees INNER with FREE (so does a failed start). */
struct tl_ahead_source {
	int (*next)(void *inner, const void **row, struct tl_err *err); /* 1, 0 at the end, -1 */
	void (*free)(void *inner);
	size_t row_size;
	const size_t *strs;
	size_t nstrs;
};
struct tl_ahead;
struct tl_ahead *tl_ahead_run(const struct tl_ahead_source *src, void *inner, struct tl_err *err);
/* INNER, an iterator of include/tl/bindings.h of KIND opened on a reader. */
enum tl_ahead_kind { TL_AHEAD_SESSIONS, TL_AHEAD_IDENT, TL_AHEAD_ADDR };
struct tl_bind_iter;
struct tl_ahead *tl_ahead_start(struct tl_bind_iter *inner, enum tl_ahead_kind kind, struct tl_err *err);
int tl_ahead_next(struct tl_ahead *a, const void **row, struct tl_err *err);
void tl_ahead_free(struct tl_ahead *a);

/* tl_store_entities_scan() (src/store/entities.c) with the events read
 * ahead on the reader connection RD: FILES (stepped here) gives each
 * pending file and whether it has extra keys; PLAIN and FULL are the
 * statements reading a file's values without and with them, FALLBACK the
 * one reading the extra keys where json_members is not sure (as
 * tl_store_entities_extra does it on the caller's connection). */
struct tl_entity_source_query;
int tl_store_entities_scan_ahead(struct tl_store *rd, sqlite3_stmt *files, const char *plain, const char *full,
				 const char *fallback, const struct tl_entity_source_query *q,
				 int (*fn)(void *ctx, const struct tl_entity_source_row *row, struct tl_err *err),
				 void *ctx, struct tl_err *err);
/* The extra keys of Q of the current row of EV (extra in column COL) into
 * V: read in C into SCRATCH where json_members is sure of SQLite's answer,
 * else by FALLBACK (the statement of ?1 and the keys' paths), whose row
 * holds them until its next reset. LENS: the keys' lengths. */
int tl_store_entities_extra(sqlite3_stmt *ev, int col, const struct tl_entity_source_query *q, const size_t *lens,
			    sqlite3_stmt *fallback, struct tl_buf *scratch, const char **v, struct tl_err *err);

#endif
