/*
 * The store's side of correlation: the tables of time-bounded bindings,
 * attributions and binding conflicts (schema v6, docs/schema.md), and the
 * narrow reads correlation starts from (sessions, identity events, events
 * that carry a bound address). The rules that decide what a binding is, how
 * long it lasts and which one wins live in src/analysis/correlate.c; this
 * header only moves rows, so no rule is hidden in a query.
 *
 * Ownership: strings passed in are copied. Rows handed out by an iterator are
 * borrowed until the next call on it. An iterator is freed with
 * tl_bind_iter_free() (accepts NULL) before the store is closed.
 */
#ifndef TL_BINDINGS_H
#define TL_BINDINGS_H

#include <stdint.h>

#include "tl/store.h"
#include "tl/time.h"
#include "tl/util.h"

/* ---- writing (one transaction: every row of a correlation run or none) ---- */

struct tl_binding {
	int64_t id;                 /* chosen by the caller: ids are part of the outputs, so deterministic */
	const char *kind;           /* "ip-user", "ip-host", "host-user" */
	const char *subject, *value;
	int has_start, has_end;     /* no start: since before the evidence; no end: open-ended */
	tl_us start, end;           /* end exclusive */
	const char *end_rule, *source;
	int64_t start_event, end_event; /* events.id, 0: none */
	int64_t events;
	const char *evidence;       /* JSON array of {"path","line"} */
};

struct tl_binding_conflict {
	int64_t id;
	const char *kind, *subject;
	int64_t binding_a, binding_b;
	int has_start, has_end;
	tl_us start, end;
	int64_t events;
};

struct tl_bind_writer;
/* Begin a transaction that replaces every binding, attribution and conflict. */
struct tl_bind_writer *tl_store_bindings_replace(struct tl_store *s, struct tl_err *err);
int tl_bind_writer_binding(struct tl_bind_writer *w, const struct tl_binding *b, struct tl_err *err);
int tl_bind_writer_conflict(struct tl_bind_writer *w, const struct tl_binding_conflict *c, struct tl_err *err);
/* VIA_BINDING 0: none. */
int tl_bind_writer_attribution(struct tl_bind_writer *w, int64_t event_id, const char *kind, const char *value,
			       int64_t binding_id, const char *via, int64_t via_binding, struct tl_err *err);
/* Commit (COMMIT non-zero, ERR may report a failure) or roll back, and free W. */
int tl_bind_writer_end(struct tl_bind_writer *w, int commit, struct tl_err *err);

/* ---- reading what correlation starts from ---- */

struct tl_bind_iter;
void tl_bind_iter_free(struct tl_bind_iter *it);

/* The sessions view (docs/schema.md#sessions): one row per VPN session or
 * DHCP lease with an assigned address. */
struct tl_session_row {
	const char *kind;           /* "vpn", "dhcp" */
	const char *user, *assigned_ip, *client_host; /* NULL when unknown */
	const char *ended_by;       /* logged reassigned restart open */
	int has_start, has_end;
	tl_us start, end;
	int64_t start_event, end_event; /* 0: none */
	const char *start_path, *end_path; /* NULL with no such event */
	int64_t start_line, end_line;
	int has_log_start;          /* a session whose start is not in the evidence: */
	tl_us log_start;            /* the first time of the file its end is in */
};
struct tl_bind_iter *tl_store_sessions(struct tl_store *s, struct tl_err *err);
int tl_store_next_session(struct tl_bind_iter *it, const struct tl_session_row **row, struct tl_err *err);

/* Events that name a user together with an address or a host (logons,
 * sign-ins, proxy authentication, process owners), and logoffs; in no
 * particular order. Fields are NULL when the event lacks them. */
struct tl_ident_row {
	int64_t id;
	tl_us ts;
	const char *family, *format, *class, *action, *outcome, *event_code;
	const char *user, *host, *src_ip, *session_id;
	const char *logon_type;     /* Windows LogonType, from extra */
	const char *initiated;      /* Sysmon network: "true" when the host made the connection */
	const char *path;
	int64_t line;
};
struct tl_bind_iter *tl_store_identity_events(struct tl_store *s, struct tl_err *err);
int tl_store_next_identity(struct tl_bind_iter *it, const struct tl_ident_row **row, struct tl_err *err);

/* EDR network events that name their host and an address but no user: where
 * a host was seen with an address (the same row shape; user NULL). */
struct tl_bind_iter *tl_store_host_addr_events(struct tl_store *s, struct tl_err *err);

/* Events whose src_ip (DST: dst_ip) is one of IPS (as stored, compared
 * exactly), in no particular order; without WITH_USER only those that name
 * no user. What attribution looks at: the address index serves it, so the
 * cost follows the bound addresses' events, not the case. */
struct tl_addr_row {
	int64_t id;
	tl_us ts;
	const char *src_ip, *dst_ip; /* NULL when absent */
	int has_user, has_host, has_src_host, has_dst_host;
	const char *family;
};
struct tl_bind_iter *tl_store_addr_events(struct tl_store *s, const char *const *ips, size_t n, int dst,
				      int with_user, struct tl_err *err);
int tl_store_next_addr(struct tl_bind_iter *it, const struct tl_addr_row **row, struct tl_err *err);

/* ---- correlation's working storage: bounded memory at any case size ---- */

/* A binding candidate as correlation derives it (src/analysis/correlate.c
 * gives the fields their meaning). The store only sorts them, in temporary
 * tables that spill to disk, so memory does not grow with the evidence.
 * VAL and the paths are the caller's ids, stored and handed back as given. */
struct tl_cand_row {
	int kind, tier, source, rule, firm;
	const char *subject;        /* canonical text: the sort key */
	int32_t val;
	int has_start, has_end;
	tl_us start, end;
	int64_t start_event, end_event, events;
	const char *sess;           /* logon session key, NULL: none */
	int32_t path0, path1;       /* evidence of the start and the end, -1 none */
	int64_t line0, line1;
	/* on reading, for a row with SESS: the first logoff of SESS at or after
	 * START (the earliest, then the lowest event id) */
	int has_logoff;
	tl_us logoff_ts;
	int64_t logoff_event, logoff_line;
	int32_t logoff_path;
};
struct tl_cand_sort;
struct tl_cand_sort *tl_store_cand_sort_new(struct tl_store *s, struct tl_err *err);
int tl_cand_sort_add(struct tl_cand_sort *cs, const struct tl_cand_row *r, struct tl_err *err);
int tl_cand_sort_logoff(struct tl_cand_sort *cs, const char *sess, tl_us ts, int64_t event, int32_t path,
			int64_t line, struct tl_err *err);
/* The candidates in (kind, subject, tier, start) order, a NULL start first
 * (correlation builds a subject's bindings in time slices), other keys
 * unspecified: 1 and *ROW (borrowed until the next call), 0 at the end, -1 on
 * error.
 * No add after the first call. */
int tl_cand_sort_next(struct tl_cand_sort *cs, const struct tl_cand_row **row, struct tl_err *err);
/* Drops the temporary tables. Accepts NULL. */
void tl_cand_sort_free(struct tl_cand_sort *cs);

/* The bindings of one (KIND, SUBJECT) as written, in id order (which is
 * tier, start, value order): attribution loads one address's bindings at a
 * time instead of holding the case's. Prepared statements, re-bound.
 * WINDOWED: only those with no start, with a start in [LO, HI], or with no
 * end and a start before LO (the index bindings_open finds these): every
 * binding that can cover a time in [LO + D, HI] when no finite binding lasts
 * longer than D. */
struct tl_subject_bindings;
struct tl_subject_bindings *tl_store_subject_bindings_new(struct tl_store *s, int windowed, tl_us lo, tl_us hi,
							  struct tl_err *err);
/* For the subjects started from now on, also only the bindings with no
 * start, a start in [LO, HI], or no end and a start before LO (within the
 * window given at _new): what attribution needs of a busy subject at times
 * in [LO + D, HI]. ON = 0 lifts it. */
void tl_subject_bindings_narrow(struct tl_subject_bindings *sb, int on, tl_us lo, tl_us hi);
/* The start of the (N + 1)-th binding of (KIND, SUBJECT) in start order
 * among those starting at or after FROM: 1 and *START, 0 when there are no
 * more than N, -1 on error. One index range of N entries. */
int tl_subject_bindings_nth_start(struct tl_subject_bindings *sb, const char *kind, const char *subject, tl_us from,
				  int64_t n, tl_us *start, struct tl_err *err);
/* 1 and *ROW (only id, value, start, end, end_rule, source filled; borrowed
 * until the next call), 0 at the end. START restarts with a new subject. */
int tl_subject_bindings_next(struct tl_subject_bindings *sb, const char *kind, const char *subject, int start,
			     const struct tl_binding **row, struct tl_err *err);
void tl_subject_bindings_free(struct tl_subject_bindings *sb);

/* Correlation's page cache: KIB for the run (SQLite's sorter also keeps up
 * to one cache's worth of rows in memory, so the ingest's 64 MB cache made
 * correlation peak near 300 MB on 10 M Squid lines); returns the setting to
 * give back to tl_store_cache_restore (0: none known, nothing changed). */
int64_t tl_store_cache_limit(struct tl_store *s, int64_t kib);
void tl_store_cache_restore(struct tl_store *s, int64_t was);

/* ---- what correlation was computed from (schema v9, correlation_*) ---- */

/* The state of the last run. USABLE: it reflects options DIGEST, nothing was
 * deleted since and every file it reflected is unchanged; then the files it
 * does not reflect yet are PENDING (ascending ids). */
struct tl_corr_state {
	int usable;
	int64_t sessions;           /* the sessions digest then */
	int64_t bindings, conflicts, attributed_user, attributed_host, conflicted, skipped;
	int64_t max_span;           /* the longest finite binding (end - start) */
	int64_t next_binding, next_conflict; /* the highest ids ever given (schema v12): never reused */
	int64_t *pending;
	size_t n_pending;
};
int tl_store_corr_state_get(struct tl_store *s, const char *digest, struct tl_corr_state *st, struct tl_err *err);
void tl_corr_state_release(struct tl_corr_state *st);
/* Records ST's digests and summary and MODE ("full", "incremental",
 * "unchanged"), and every evidence file (but one being ingested) as
 * reflected. STALE: the next run recomputes whole. In the open transaction. */
int tl_store_corr_state_put(struct tl_store *s, const char *digest, const struct tl_corr_state *st, const char *mode,
			    int stale, struct tl_err *err);
/* Replaces the address spellings the rules saw (IPS[i] canonical CANON[i]). */
int tl_store_corr_spellings_put(struct tl_store *s, const char *const *ips, const char *const *canon, size_t n,
				struct tl_err *err);
/* Calls FN for every recorded spelling, then for every (kind, subject) of the
 * bindings with its number of bindings; a non-zero FN stops and is returned. */
int tl_store_corr_spellings(struct tl_store *s, int (*fn)(void *arg, const char *ip, const char *canonical), void *arg,
			    struct tl_err *err);
int tl_store_binding_subjects(struct tl_store *s,
			      int (*fn)(void *arg, const char *kind, const char *subject, int64_t n), void *arg,
			      struct tl_err *err);
/* A writer that keeps the rows there (tl_store_bindings_replace deletes
 * them): new attributions and conflict counts only. */
struct tl_bind_writer *tl_store_bindings_append(struct tl_store *s, struct tl_err *err);
int tl_bind_writer_conflict_events(struct tl_bind_writer *w, int64_t id, int64_t events, struct tl_err *err);
/* The earliest and latest time of FILES' events: 1 and *LO, *HI, 0 none. */
int tl_store_files_span(struct tl_store *s, const int64_t *files, size_t n, tl_us *lo, tl_us *hi, struct tl_err *err);
/* The identity events (HOST_ADDR: the host address events) of FILES only. */
struct tl_bind_iter *tl_store_identity_events_in(struct tl_store *s, const int64_t *files, size_t n, int host_addr,
						 struct tl_err *err);
/* The events of FILES whose src_ip or dst_ip is one of IPS (rows as
 * tl_store_addr_events'). */
struct tl_bind_iter *tl_store_addr_events_in(struct tl_store *s, const char *const *ips, size_t n, const int64_t *files,
					     size_t nf, int with_user, struct tl_err *err);

/* ---- stable ids: rebuilding some or all subjects (schema v12) ---- */

/* Binding ids are stable: a binding whose content a later run does not
 * change keeps its id, one that changes is deleted and its successor gets a
 * new id above every id ever given (docs/correlation.md#stable-binding-ids).
 * The highest ids ever given, binding and conflict (from correlation_state
 * and the tables, whichever is higher; 0 and 0 in a case never correlated). */
int tl_store_binding_counters(struct tl_store *s, int64_t *binding, int64_t *conflict, struct tl_err *err);
/* Begin a transaction that keeps the bindings (the caller keeps, deletes and
 * adds them one by one) but deletes every attribution, attribution conflict
 * and conflict: the whole recompute over existing bindings. */
struct tl_bind_writer *tl_store_bindings_rebuild(struct tl_store *s, struct tl_err *err);
/* Whole recompute: binding ID is still right; tl_bind_writer_sweep then
 * deletes every binding up to UPTO that was not kept. */
int tl_bind_writer_keep(struct tl_bind_writer *w, int64_t id, struct tl_err *err);
/* Binding ID, kept, names the events that began and ended it by new ids (a
 * re-parse numbers a file's events again; its evidence lines are the same). */
int tl_bind_writer_set_events(struct tl_bind_writer *w, int64_t id, int64_t start_event, int64_t end_event,
			      struct tl_err *err);
int tl_bind_writer_sweep(struct tl_bind_writer *w, int64_t upto, struct tl_err *err);
/* Deletes binding ID (conflict ID, with its attribution conflict rows). */
int tl_bind_writer_delete_binding(struct tl_bind_writer *w, int64_t id, struct tl_err *err);
int tl_bind_writer_delete_conflict(struct tl_bind_writer *w, int64_t id, struct tl_err *err);
/* EVENT_ID's KIND ("user", "host") was left unattributed by conflict ID. */
int tl_bind_writer_conflicted(struct tl_bind_writer *w, int64_t event_id, const char *kind, int64_t conflict_id,
			      struct tl_err *err);
/* Removes EVENT_ID's attributions and attribution conflict rows, adding how
 * many of each went to *USER, *HOST and *CONFLICTED. */
int tl_bind_writer_unattribute(struct tl_bind_writer *w, int64_t event_id, int64_t *user, int64_t *host,
			       int64_t *conflicted, struct tl_err *err);
/* Every conflict's events from its attribution conflict rows; *TOTAL their number. */
int tl_bind_writer_recount_conflicts(struct tl_bind_writer *w, int64_t *total, struct tl_err *err);

/* The stored bindings of one (KIND, SUBJECT, TIER: 1 the inventory's) that
 * a run over stored ids matches its bindings with, read a page at a time so
 * that only what a slice can match is held (docs/correlation.md#cost).
 * Only ids up to UPTO: the bindings stored before the run, not those it is
 * writing. Every column; KIND and SUBJECT are the caller's. */
struct tl_stored_bindings;
struct tl_stored_bindings *tl_store_stored_bindings_new(struct tl_store *s, struct tl_err *err);
enum tl_stored_order {
	TL_STORED_NO_START, /* those without a start, by id, after id KEY_ID */
	TL_STORED_UP,       /* those with a start, by (start, id), after (KEY_START, KEY_ID) */
	TL_STORED_DOWN      /* those with a start, by (start, id) descending, before (KEY_START, KEY_ID) */
};
/* Up to LIMIT rows in ORDER: FN per row (borrowed for the call; 0 goes on,
 * 1 stops, -1 fails with the caller's error). The read is over when it
 * returns, so the caller may write bindings between pages. The number of
 * rows given to FN (fewer than LIMIT: no more), -1 on error. */
long tl_stored_bindings_page(struct tl_stored_bindings *sb, const char *kind, const char *subject, int tier,
			     int64_t upto, enum tl_stored_order order, tl_us key_start, int64_t key_id, int limit,
			     int (*fn)(void *arg, const struct tl_binding *row), void *arg, struct tl_err *err);
/* FN(start, end) for each of them without a start or without an end; a
 * non-zero FN stops and is returned. */
int tl_stored_bindings_unbounded(struct tl_stored_bindings *sb, const char *kind, const char *subject, int tier,
				 int64_t upto, int (*fn)(void *arg, int has_start, tl_us start, int has_end, tl_us end),
				 void *arg, struct tl_err *err);
/* The logon binding of (KIND, SUBJECT), tier 0, that began at START with
 * event START_EVENT and ended at its logoff (the lowest id): 1 and its *END
 * and *END_EVENT, 0 none. */
int tl_stored_bindings_logoff(struct tl_stored_bindings *sb, const char *kind, const char *subject, tl_us start,
			      int64_t start_event, tl_us *end, int64_t *end_event, struct tl_err *err);
void tl_stored_bindings_free(struct tl_stored_bindings *sb);

/* Identity events (HOST_ADDR: host address events) with a time in [LO, HI]. */
struct tl_bind_iter *tl_store_identity_events_span(struct tl_store *s, tl_us lo, tl_us hi, int host_addr,
						   struct tl_err *err);
/* How many events have a time in [LO, HI], counting up to LIMIT. */
int tl_store_events_in_span(struct tl_store *s, tl_us lo, tl_us hi, int64_t limit, int64_t *n, struct tl_err *err);
/* Every event; the smallest event id of FILES (0: none). */
int tl_store_events_total(struct tl_store *s, const int64_t *files, size_t n, int64_t *total, int64_t *first,
			  struct tl_err *err);
/* The time, file path (into PATH, SIZE bytes) and line of event ID: 1, 0 none. */
int tl_store_event_place(struct tl_store *s, int64_t id, tl_us *ts, char *path, size_t size, int64_t *line,
			 struct tl_err *err);
/* Calls FN for every (kind, subject) with a binding: ip-user and ip-host of
 * the recorded address spellings' canonical texts, and every host-user one. */
int tl_store_bound_subjects(struct tl_store *s, int (*fn)(void *arg, const char *kind, const char *subject),
			    void *arg, struct tl_err *err);
/* Adds address spellings (as tl_store_corr_spellings_put, keeping the others). */
int tl_store_corr_spellings_add(struct tl_store *s, const char *const *ips, const char *const *canon, size_t n,
				struct tl_err *err);
/* The ip-host bindings whose value is HOST: FN(subject, start, end) per binding. */
int tl_store_host_addresses(struct tl_store *s, const char *host,
			    int (*fn)(void *arg, const char *subject, int has_start, tl_us start, int has_end, tl_us end),
			    void *arg, struct tl_err *err);
/* The events whose src_ip or dst_ip is SCOPE[i].ip with a time in
 * [lo, hi] (closed; INT64_MIN..INT64_MAX for all time), and the events of
 * FILES whose src_ip or dst_ip is one of IPS; each once, in id order (rows
 * as tl_store_addr_events', events naming a user included). */
struct tl_scope_row {
	const char *ip;
	tl_us lo, hi;
};
struct tl_bind_iter *tl_store_scope_events(struct tl_store *s, const struct tl_scope_row *scope, size_t n,
					   const char *const *ips, size_t nips, const int64_t *files, size_t nf,
					   struct tl_err *err);

/* ---- reading the results (tl bindings, timeline notes) ---- */

/* How many bindings the case has (0 also for a case made before schema v6). */
int tl_store_bindings_count(struct tl_store *s, int64_t *n, struct tl_err *err);

/* Bindings of KIND (NULL: all) whose subject or value is VALUE (NULL: all),
 * in (kind, subject, start, id) order. Conflicts likewise, in id order. */
struct tl_binding_row {
	struct tl_binding b;        /* strings borrowed */
	int64_t attributed;         /* events attributed through it */
};
struct tl_bind_iter *tl_store_bindings(struct tl_store *s, const char *kind, const char *value, struct tl_err *err);
int tl_store_next_binding(struct tl_bind_iter *it, const struct tl_binding_row **row, struct tl_err *err);
struct tl_bind_iter *tl_store_conflicts(struct tl_store *s, const char *kind, const char *value, struct tl_err *err);
int tl_store_next_conflict(struct tl_bind_iter *it, const struct tl_binding_conflict **row, struct tl_err *err);

#endif
