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

/* The conditions of Q->fields (src/store/chain.c): appended to a WHERE
 * clause with parameters numbered from *PARAM on, then bound from P on;
 * returns the next parameter number. */
void tl_store_fields_where(const struct tl_event_query *q, struct tl_buf *b, int *param);
int tl_store_fields_bind(sqlite3_stmt *st, const struct tl_event_query *q, int p);

/* tl_store_read_ahead()'s reader connection for one iterator at a time:
 * NULL when there is none or another iterator holds it; given back when that
 * iterator is freed. */
struct tl_store *tl_store_reader_take(struct tl_store *s);
void tl_store_reader_give(struct tl_store *s);

/* Reading ahead (src/store/bindings-ahead.c): INNER, an iterator of KIND
 * (TL_AHEAD_*) opened on a reader connection, is run to its end on a thread
 * of its own, which copies each row, strings included, into one of two
 * batches while the caller reads the other. tl_ahead_next() hands the rows
 * back in INNER's order, each valid until the next call; tl_ahead_free()
 * stops the thread and frees INNER. */
enum tl_ahead_kind { TL_AHEAD_SESSIONS, TL_AHEAD_IDENT, TL_AHEAD_ADDR };
struct tl_ahead;
struct tl_bind_iter;
struct tl_ahead *tl_ahead_start(struct tl_bind_iter *inner, enum tl_ahead_kind kind, struct tl_err *err);
int tl_ahead_next(struct tl_ahead *a, const void **row, struct tl_err *err);
void tl_ahead_free(struct tl_ahead *a);

#endif
