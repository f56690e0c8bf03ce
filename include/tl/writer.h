/*
 * The single SQLite writer: a thread that takes batches of parsed events and
 * rejects and inserts them, so parsing the next batch overlaps with storing
 * this one. Order is kept (one queue, one writer), so the database is the same
 * as a single-threaded ingest would make.
 *
 * Ownership: tl_writer_add_* copy everything they are given; the store is
 * borrowed and must not be touched by the caller except between
 * tl_writer_sync() and the next add.
 */
#ifndef TL_WRITER_H
#define TL_WRITER_H

#include "tl/event.h"
#include "tl/store.h"
#include "tl/util.h"

struct tl_writer;

/* Start the writer on S, COMMIT_EVERY rows per transaction. THREADED 0 stores
 * each batch in the caller's thread (one core); 1 starts the writer thread. */
struct tl_writer *tl_writer_new(struct tl_store *s, long commit_every, int threaded, struct tl_err *err);

/* Queue an event (its extra rendered here, in the caller's thread) or a reject. -1 if the writer failed. */
int tl_writer_add_event(struct tl_writer *w, const struct tl_event *ev, const struct tl_prov *pv);
int tl_writer_add_reject(struct tl_writer *w, const struct tl_prov *pv, const char *reason, const char *excerpt,
			 size_t excerpt_len);

/* Wait until everything queued is written; 0, or -1 with the writer's first error. */
int tl_writer_sync(struct tl_writer *w, struct tl_err *err);

/* Sync, stop the thread and free; accepts NULL. Returns tl_writer_sync()'s result. */
int tl_writer_free(struct tl_writer *w, struct tl_err *err);

#endif
