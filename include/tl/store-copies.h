/*
 * Copies in the store: the tables that say which events are copies of one
 * occurrence (the same record delivered twice: a CloudTrail file re-delivered,
 * Sysmon as EVTX and as forwarded JSON, syslog relayed by two collectors).
 * The rules that decide it are analysis (include/tl/copies.h); this is only
 * how the decisions are kept and read (docs/schema.md, table copies).
 *
 * Every event keeps its own row and provenance; a group of copies is the set
 * of `copies` rows sharing an occurrence_id (the event id of the first copy tl
 * saw). Lookup keys (64-bit, from a SHA-256) live in `copy_keys`, never as an
 * index on events.
 *
 * Ownership: tl_copies_db_open() returns a handle the caller frees with
 * tl_copies_db_free() before closing the store; it holds prepared statements
 * on the store. Rows handed out are borrowed until the next call on the
 * handle. Writing needs a store opened WRITE, inside tl_store_begin/commit.
 */
#ifndef TL_STORE_COPIES_H
#define TL_STORE_COPIES_H

#include <stddef.h>
#include <stdint.h>

#include "tl/store.h"

struct tl_copies_db;

struct tl_copies_db *tl_copies_db_open(struct tl_store *s, struct tl_err *err);
void tl_copies_db_free(struct tl_copies_db *c);

/* Non-zero when the case holds at least one group of copies. */
int tl_copies_any(struct tl_copies_db *c, struct tl_err *err);

/* What keying knows of an evidence file with events (done or partial). */
struct tl_copy_file {
	int64_t id;
	tl_us first_ts, last_ts; /* the time span of its events (evidence_files) */
	int has_span;
	int seen;                /* a copies run has dealt with it (copy_files): its keyed
				  * ranges are in copy_ranges, none when nothing is keyed */
	int scoped;              /* ingest described it (copy_scope): SELF and FAMILIES hold */
	int self;                /* two of its own records may be copies of one */
	uint64_t families;       /* what its keys can meet: a bit per family, the top bit Zeek */
};
/* Every such file, in id order, into a malloc'd array *FILES (the caller frees it). */
int tl_copies_files(struct tl_copies_db *c, struct tl_copy_file **files, size_t *n, struct tl_err *err);
/* Record what ingest learnt of FILE_ID while storing it (copy_scope). S is open
 * for writing, inside the transaction that stores the file. */
int tl_copies_file_scope(struct tl_store *s, int64_t file_id, int self, uint64_t families, struct tl_err *err);

/* The format of FILE_ID's first event in record order into OUT ("" when it
 * has none). */
int tl_copies_file_format(struct tl_copies_db *c, int64_t file_id, char *out, size_t cap, struct tl_err *err);
/* The events of FILE_ID in record order (offset, then id), with only what
 * keying reads: id, ts, file_id, family, format, extra, seq and the
 * normalized fields; the row's other members are empty. NARROW reads only
 * the fields a record identity needs (host, class, action, event_code; the
 * others NULL) until tl_copies_events_fields() reads the current row's
 * others: for files whose records are nearly all keyed by identity. Begin,
 * then next until it returns 0; a row is borrowed until the next call. */
int tl_copies_events_begin(struct tl_copies_db *c, int64_t file_id, int narrow, struct tl_err *err);
int tl_copies_events_next(struct tl_copies_db *c, const struct tl_event_row **r, struct tl_err *err);
int tl_copies_events_fields(struct tl_copies_db *c, struct tl_err *err);
/* The events of FILE_ID with FROM <= ts <= TO, in time order (ties in
 * record order), every field read; then tl_copies_events_next() as above.
 * Read through the time index: the cost is the events of every file in the
 * range, so it is for ranges that hold a small part of the file. */
int tl_copies_events_range(struct tl_copies_db *c, int64_t file_id, tl_us from, tl_us to, struct tl_err *err);
/* Mark FILE_ID dealt with (copy_files), with the range of its event ids
 * (one file is stored in one piece), so that clearing the file clears its
 * keys and ranges. */
int tl_copies_file_seen(struct tl_copies_db *c, int64_t file_id, struct tl_err *err);

/* The time ranges of a file whose events are keyed (copy_ranges): closed,
 * disjoint and not adjacent; INT64_MIN..INT64_MAX is the whole file. */
struct tl_copy_range {
	int64_t file_id;
	tl_us from, to;
};
/* Every keyed range, by file id then start, into a malloc'd array *R. */
int tl_copies_ranges(struct tl_copies_db *c, struct tl_copy_range **r, size_t *n, struct tl_err *err);
/* Replace FILE_ID's keyed ranges with R (N of them; FILE_ID members ignored). */
int tl_copies_ranges_set(struct tl_copies_db *c, int64_t file_id, const struct tl_copy_range *r, size_t n,
			 struct tl_err *err);

/* Events stored under KEY (up to MAX, lowest id first), with their time, file
 * and CHECK: keys are 128 bits, KEY indexed and CHECK compared, so that
 * crafted log lines cannot pose as copies of each other by a 64-bit collision. */
struct tl_copy_cand {
	int64_t event_id, file_id, check;
	tl_us ts;
};
int tl_copies_key_find(struct tl_copies_db *c, int64_t key, struct tl_copy_cand *out, size_t max, size_t *n,
		       struct tl_err *err);
int tl_copies_key_add(struct tl_copies_db *c, int64_t key, int64_t check, int64_t event_id, struct tl_err *err);

/* The group of EVENT_ID: 1 and *OCCURRENCE, 0 when it is in none, -1. */
int tl_copies_group_of(struct tl_copies_db *c, int64_t event_id, int64_t *occurrence, struct tl_err *err);
/* Put EVENT_ID into group OCCURRENCE with BASIS ("record-id" or "content"). */
int tl_copies_link(struct tl_copies_db *c, int64_t event_id, int64_t occurrence, const char *basis,
		   struct tl_err *err);

/* Groups that lost a copy when ingest cleared a file: each is given a new
 * first copy, or dissolved when one copy is left. Returns how many were
 * regrouped, or -1. */
long tl_copies_regroup(struct tl_copies_db *c, struct tl_err *err);

/* The copies of group OCCURRENCE in timeline order (ts, evidence path,
 * offset): begin, then next until it returns 0. */
struct tl_copy_member {
	int64_t event_id;
	tl_us ts;
	const char *path;       /* evidence path */
	int64_t line, offset, length;
	const char *sha256;
	const char *basis;
};
int tl_copies_members_begin(struct tl_copies_db *c, int64_t occurrence, struct tl_err *err);
int tl_copies_members_next(struct tl_copies_db *c, const struct tl_copy_member **m, struct tl_err *err);

#endif
