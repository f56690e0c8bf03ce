/*
 * Correlation's working storage (include/tl/bindings.h): the candidates of a
 * correlation run sorted by SQLite in temporary tables, which spill to disk,
 * instead of in an array that grows with the evidence; and the bindings of
 * one subject read back for attribution. Rows only: the rules are in
 * src/analysis/correlate.c.
 */
#define _POSIX_C_SOURCE 200809L
#include "tl/bindings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store-internal.h"
#include "tl/grow.h"
#include "tl/banned.h"

static int fail(sqlite3 *db, struct tl_err *err, const char *what)
{
	return tl_errf(err, "case database: %s: %s", what, sqlite3_errmsg(db));
}

static void opt_int(sqlite3_stmt *st, int i, int has, int64_t v)
{
	if (has)
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

static void opt_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

struct tl_cand_sort {
	sqlite3 *db;
	sqlite3_stmt *add, *logoff, *read;
	struct tl_cand_row row;
};

void tl_cand_sort_free(struct tl_cand_sort *cs)
{
	if (!cs)
		return;
	sqlite3_finalize(cs->add);
	sqlite3_finalize(cs->logoff);
	sqlite3_finalize(cs->read);
	sqlite3_exec(cs->db, "DROP TABLE IF EXISTS temp.tl_cand; DROP TABLE IF EXISTS temp.tl_logoff;", NULL, NULL,
		     NULL);
	free(cs);
}

struct tl_cand_sort *tl_store_cand_sort_new(struct tl_store *s, struct tl_err *err)
{
	struct tl_cand_sort *cs = calloc(1, sizeof(*cs));
	if (!cs) {
		tl_errf(err, "out of memory");
		return NULL;
	}
	cs->db = tl_store_handle(s);
	/* no index on tl_cand: one ORDER BY sorts it once (SQLite's external
	 * sorter, bounded by the cache size); tl_logoff is probed per logon */
	if (sqlite3_exec(cs->db,
			 "DROP TABLE IF EXISTS temp.tl_cand; DROP TABLE IF EXISTS temp.tl_logoff; "
			 "CREATE TEMP TABLE tl_cand (k INTEGER, subj TEXT, tier INTEGER, src INTEGER, rule INTEGER, "
			 "firm INTEGER, val INTEGER, s INTEGER, e INTEGER, se INTEGER, ee INTEGER, n INTEGER, "
			 "sess TEXT, p0 INTEGER, l0 INTEGER, p1 INTEGER, l1 INTEGER); "
			 "CREATE TEMP TABLE tl_logoff (sess TEXT, ts INTEGER, event INTEGER, path INTEGER, line INTEGER); "
			 "CREATE INDEX temp.tl_logoff_sess ON tl_logoff (sess, ts, event);",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(cs->db,
			       "INSERT INTO temp.tl_cand VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &cs->add,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(cs->db, "INSERT INTO temp.tl_logoff VALUES (?,?,?,?,?)", -1, &cs->logoff, NULL) !=
		    SQLITE_OK) {
		fail(cs->db, err, "correlation work tables");
		tl_cand_sort_free(cs);
		return NULL;
	}
	return cs;
}

int tl_cand_sort_add(struct tl_cand_sort *cs, const struct tl_cand_row *r, struct tl_err *err)
{
	sqlite3_stmt *st = cs->add;
	sqlite3_bind_int(st, 1, r->kind);
	sqlite3_bind_text(st, 2, r->subject, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, r->tier);
	sqlite3_bind_int(st, 4, r->source);
	sqlite3_bind_int(st, 5, r->rule);
	sqlite3_bind_int(st, 6, r->firm);
	sqlite3_bind_int(st, 7, r->val);
	opt_int(st, 8, r->has_start, r->start);
	opt_int(st, 9, r->has_end, r->end);
	sqlite3_bind_int64(st, 10, r->start_event);
	sqlite3_bind_int64(st, 11, r->end_event);
	sqlite3_bind_int64(st, 12, r->events);
	opt_text(st, 13, r->sess);
	sqlite3_bind_int(st, 14, r->path0);
	sqlite3_bind_int64(st, 15, r->line0);
	sqlite3_bind_int(st, 16, r->path1);
	sqlite3_bind_int64(st, 17, r->line1);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : fail(cs->db, err, "storing a binding candidate");
}

int tl_cand_sort_logoff(struct tl_cand_sort *cs, const char *sess, tl_us ts, int64_t event, int32_t path,
			int64_t line, struct tl_err *err)
{
	sqlite3_stmt *st = cs->logoff;
	sqlite3_bind_text(st, 1, sess, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, ts);
	sqlite3_bind_int64(st, 3, event);
	sqlite3_bind_int(st, 4, path);
	sqlite3_bind_int64(st, 5, line);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : fail(cs->db, err, "storing a logoff");
}

int tl_cand_sort_next(struct tl_cand_sort *cs, const struct tl_cand_row **row, struct tl_err *err)
{
	if (!cs->read &&
	    sqlite3_prepare_v2(cs->db,
			       "SELECT c.k, c.subj, c.tier, c.src, c.rule, c.firm, c.val, c.s, c.e, c.se, c.ee, c.n, "
			       "c.sess, c.p0, c.l0, c.p1, c.l1, l.ts, l.event, l.path, l.line FROM temp.tl_cand c "
			       "LEFT JOIN temp.tl_logoff l ON c.sess IS NOT NULL AND l.rowid = (SELECT x.rowid FROM "
			       "temp.tl_logoff x WHERE x.sess = c.sess AND x.ts >= c.s ORDER BY x.ts, x.event LIMIT 1) "
			       "ORDER BY c.k, c.subj, c.tier, c.s",
			       -1, &cs->read, NULL) != SQLITE_OK)
		return fail(cs->db, err, "sorting binding candidates");
	int rc = sqlite3_step(cs->read);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return fail(cs->db, err, "sorting binding candidates");
	sqlite3_stmt *st = cs->read;
	struct tl_cand_row *r = &cs->row;
	r->kind = sqlite3_column_int(st, 0);
	r->subject = (const char *)sqlite3_column_text(st, 1);
	if (!r->subject)
		r->subject = "";
	r->tier = sqlite3_column_int(st, 2);
	r->source = sqlite3_column_int(st, 3);
	r->rule = sqlite3_column_int(st, 4);
	r->firm = sqlite3_column_int(st, 5);
	r->val = sqlite3_column_int(st, 6);
	r->has_start = sqlite3_column_type(st, 7) != SQLITE_NULL;
	r->start = sqlite3_column_int64(st, 7);
	r->has_end = sqlite3_column_type(st, 8) != SQLITE_NULL;
	r->end = sqlite3_column_int64(st, 8);
	r->start_event = sqlite3_column_int64(st, 9);
	r->end_event = sqlite3_column_int64(st, 10);
	r->events = sqlite3_column_int64(st, 11);
	r->sess = (const char *)sqlite3_column_text(st, 12);
	r->path0 = sqlite3_column_int(st, 13);
	r->line0 = sqlite3_column_int64(st, 14);
	r->path1 = sqlite3_column_int(st, 15);
	r->line1 = sqlite3_column_int64(st, 16);
	r->has_logoff = sqlite3_column_type(st, 17) != SQLITE_NULL;
	r->logoff_ts = sqlite3_column_int64(st, 17);
	r->logoff_event = sqlite3_column_int64(st, 18);
	r->logoff_path = sqlite3_column_int(st, 19);
	r->logoff_line = sqlite3_column_int64(st, 20);
	*row = r;
	return 1;
}

/* Ids are stable (schema v13), so they no longer follow the bindings' order:
 * the order is spelt out, the bindings' order of src/analysis/correlate.c
 * (tier, start with none first, value, source by precedence), ids breaking
 * the rest. */
#define SOURCE_RANK                                                                                            \
	"CASE source WHEN 'vpn' THEN 0 WHEN 'dhcp' THEN 1 WHEN 'logon' THEN 2 WHEN 'sso' THEN 3 "              \
	"WHEN 'proxy-auth' THEN 4 WHEN 'edr' THEN 5 ELSE 6 END"

struct tl_subject_bindings {
	sqlite3 *db;
	sqlite3_stmt *all, *win, *nth, *st; /* st: the statement of the current subject */
	int windowed, narrow;
	tl_us lo, hi, nlo, nhi;
	struct tl_binding b;
};

#define SUBJECT_COLS "SELECT id, value, start_ts, end_ts, end_rule, source FROM bindings "
#define SUBJECT_ORDER "ORDER BY source = 'inventory', start_ts, value, " SOURCE_RANK ", id"

struct tl_subject_bindings *tl_store_subject_bindings_new(struct tl_store *s, int windowed, tl_us lo, tl_us hi,
							  struct tl_err *err)
{
	struct tl_subject_bindings *sb = calloc(1, sizeof(*sb));
	if (!sb) {
		tl_errf(err, "out of memory");
		return NULL;
	}
	sb->db = tl_store_handle(s);
	sb->windowed = windowed;
	sb->lo = lo;
	sb->hi = hi;
	/* bindings_subject (kind, subject, start_ts) finds them; windowed: three
	 * disjoint parts, each through an index (bindings_open the last) */
	if (sqlite3_prepare_v2(sb->db, SUBJECT_COLS "WHERE kind = ?1 AND subject = ?2 " SUBJECT_ORDER, -1, &sb->all,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(sb->db,
			       "SELECT * FROM (" SUBJECT_COLS "WHERE kind = ?1 AND subject = ?2 AND start_ts IS NULL "
			       "UNION ALL " SUBJECT_COLS "WHERE kind = ?1 AND subject = ?2 AND start_ts BETWEEN ?3 AND ?4 "
			       "UNION ALL " SUBJECT_COLS "WHERE kind = ?1 AND subject = ?2 AND end_ts IS NULL AND "
			       "start_ts < ?3) " SUBJECT_ORDER,
			       -1, &sb->win, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(sb->db,
			       "SELECT start_ts FROM bindings WHERE kind = ?1 AND subject = ?2 AND start_ts >= ?3 "
			       "ORDER BY start_ts LIMIT 1 OFFSET ?4",
			       -1, &sb->nth, NULL) != SQLITE_OK) {
		fail(sb->db, err, "reading bindings");
		tl_subject_bindings_free(sb);
		return NULL;
	}
	return sb;
}

void tl_subject_bindings_narrow(struct tl_subject_bindings *sb, int on, tl_us lo, tl_us hi)
{
	sb->narrow = on;
	sb->nlo = lo;
	sb->nhi = hi;
}

int tl_subject_bindings_nth_start(struct tl_subject_bindings *sb, const char *kind, const char *subject, tl_us from,
				  int64_t n, tl_us *start, struct tl_err *err)
{
	sqlite3_stmt *q = sb->nth;
	sqlite3_reset(q);
	sqlite3_bind_text(q, 1, kind, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, subject, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 3, from);
	sqlite3_bind_int64(q, 4, n);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*start = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(sb->db, err, "reading bindings");
	return rc == SQLITE_ROW;
}

int tl_subject_bindings_next(struct tl_subject_bindings *sb, const char *kind, const char *subject, int start,
			     const struct tl_binding **row, struct tl_err *err)
{
	if (start) {
		if (sb->st)
			sqlite3_reset(sb->st);
		/* the window given at _new and the subject's own, both at once */
		tl_us lo = sb->lo, hi = sb->hi;
		if (sb->narrow) {
			lo = sb->windowed && lo > sb->nlo ? lo : sb->nlo;
			hi = sb->windowed && hi < sb->nhi ? hi : sb->nhi;
		}
		int windowed = sb->windowed || sb->narrow;
		sb->st = windowed ? sb->win : sb->all;
		sqlite3_bind_text(sb->st, 1, kind, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(sb->st, 2, subject, -1, SQLITE_TRANSIENT);
		if (windowed) {
			sqlite3_bind_int64(sb->st, 3, lo);
			sqlite3_bind_int64(sb->st, 4, hi);
		}
	}
	sqlite3_stmt *st = sb->st;
	if (!st)
		return 0;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return 0;
	}
	if (rc != SQLITE_ROW)
		return fail(sb->db, err, "reading bindings");
	struct tl_binding *b = &sb->b;
	memset(b, 0, sizeof(*b));
	b->id = sqlite3_column_int64(st, 0);
	b->value = (const char *)sqlite3_column_text(st, 1);
	b->has_start = sqlite3_column_type(st, 2) != SQLITE_NULL;
	b->start = sqlite3_column_int64(st, 2);
	b->has_end = sqlite3_column_type(st, 3) != SQLITE_NULL;
	b->end = sqlite3_column_int64(st, 3);
	b->end_rule = (const char *)sqlite3_column_text(st, 4);
	b->source = (const char *)sqlite3_column_text(st, 5);
	if (!b->value)
		b->value = "";
	if (!b->end_rule)
		b->end_rule = "";
	if (!b->source)
		b->source = "";
	*row = b;
	return 1;
}

void tl_subject_bindings_free(struct tl_subject_bindings *sb)
{
	if (!sb)
		return;
	sqlite3_finalize(sb->all);
	sqlite3_finalize(sb->win);
	sqlite3_finalize(sb->nth);
	free(sb);
}

/* ---- what correlation was computed from --------------------------------------------- */

/* Non-zero when the database has the correlation_* tables (schema v10). */
static int has_state(sqlite3 *db)
{
	sqlite3_stmt *st;
	int yes = 0;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'correlation_state'", -1,
			       &st, NULL) == SQLITE_OK)
		yes = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return yes;
}

void tl_corr_state_release(struct tl_corr_state *st)
{
	free(st->pending);
	memset(st, 0, sizeof(*st));
}

int tl_store_corr_state_get(struct tl_store *s, const char *digest, struct tl_corr_state *st, struct tl_err *err)
{
	sqlite3 *db = tl_store_handle(s);
	sqlite3_stmt *q = NULL;
	memset(st, 0, sizeof(*st));
	if (!has_state(db))
		return 0;
	/* a file deleted (trigger: stale), re-counted or changed status, another
	 * digest, or a file still being ingested: nothing can be kept */
	if (sqlite3_prepare_v2(db,
			       "SELECT s.sessions, s.bindings, s.conflicts, s.attributed_user, s.attributed_host, "
			       "s.conflicted, s.skipped, s.max_span FROM correlation_state s WHERE s.stale = 0 AND s.digest = ?1 "
			       "AND (SELECT count(*) FROM correlation_state) = 1 "
			       "AND NOT EXISTS (SELECT 1 FROM correlation_files k LEFT JOIN evidence_files f ON f.id = k.file_id "
			       "WHERE f.id IS NULL OR f.events IS NOT k.events OR f.status IS NOT k.status) "
			       "AND NOT EXISTS (SELECT 1 FROM evidence_files WHERE status = 'ingesting')",
			       -1, &q, NULL) != SQLITE_OK)
		return fail(db, err, "reading the correlation state");
	sqlite3_bind_text(q, 1, digest, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		st->usable = 1;
		st->sessions = sqlite3_column_int64(q, 0);
		st->bindings = sqlite3_column_int64(q, 1);
		st->conflicts = sqlite3_column_int64(q, 2);
		st->attributed_user = sqlite3_column_int64(q, 3);
		st->attributed_host = sqlite3_column_int64(q, 4);
		st->conflicted = sqlite3_column_int64(q, 5);
		st->skipped = sqlite3_column_int64(q, 6);
		st->max_span = sqlite3_column_int64(q, 7);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(db, err, "reading the correlation state");
	if (!st->usable)
		return 0;
	if (sqlite3_prepare_v2(db,
			       "SELECT id FROM evidence_files WHERE id NOT IN (SELECT file_id FROM correlation_files) "
			       "ORDER BY id",
			       -1, &q, NULL) != SQLITE_OK)
		return fail(db, err, "reading the correlation state");
	size_t cap = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t *v = tl_grow(st->pending, &cap, st->n_pending + 1, sizeof(*v), 16);
		if (!v) {
			sqlite3_finalize(q);
			return tl_errf(err, "out of memory");
		}
		st->pending = v;
		st->pending[st->n_pending++] = sqlite3_column_int64(q, 0);
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : fail(db, err, "reading the correlation state");
}

int tl_store_corr_state_put(struct tl_store *s, const char *digest, const struct tl_corr_state *st, const char *mode,
			    int stale, struct tl_err *err)
{
	sqlite3 *db = tl_store_handle(s);
	sqlite3_stmt *q = NULL;
	if (!has_state(db))
		return 0;
	if (sqlite3_exec(db,
			 "DELETE FROM correlation_state; DELETE FROM correlation_files; "
			 "INSERT INTO correlation_files (file_id, status, events) SELECT id, status, events FROM "
			 "evidence_files WHERE status <> 'ingesting';",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "INSERT INTO correlation_state (digest, sessions, stale, mode, bindings, conflicts, "
			       "attributed_user, attributed_host, conflicted, skipped, max_span, next_binding, "
			       "next_conflict) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
			       -1, &q, NULL) != SQLITE_OK)
		return fail(db, err, "recording the correlation state");
	sqlite3_bind_text(q, 1, digest, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, st->sessions);
	sqlite3_bind_int(q, 3, stale);
	sqlite3_bind_text(q, 4, mode, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 5, st->bindings);
	sqlite3_bind_int64(q, 6, st->conflicts);
	sqlite3_bind_int64(q, 7, st->attributed_user);
	sqlite3_bind_int64(q, 8, st->attributed_host);
	sqlite3_bind_int64(q, 9, st->conflicted);
	sqlite3_bind_int64(q, 10, st->skipped);
	sqlite3_bind_int64(q, 11, st->max_span);
	sqlite3_bind_int64(q, 12, st->next_binding);
	sqlite3_bind_int64(q, 13, st->next_conflict);
	int rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : fail(db, err, "recording the correlation state");
}

int tl_store_corr_spellings_put(struct tl_store *s, const char *const *ips, const char *const *canon, size_t n,
				struct tl_err *err)
{
	sqlite3 *db = tl_store_handle(s);
	sqlite3_stmt *q = NULL;
	if (!has_state(db))
		return 0;
	if (sqlite3_exec(db, "DELETE FROM correlation_spellings", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO correlation_spellings (ip, canonical) VALUES (?, ?)", -1, &q,
			       NULL) != SQLITE_OK)
		return fail(db, err, "recording address spellings");
	int rc = SQLITE_DONE;
	for (size_t i = 0; i < n && rc == SQLITE_DONE; i++) {
		sqlite3_bind_text(q, 1, ips[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, canon[i], -1, SQLITE_STATIC);
		rc = sqlite3_step(q);
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : fail(db, err, "recording address spellings");
}

/* Calls FN with the two text columns of every row of SQL (plus the third as
 * an integer when it has one). */
static int each_row(sqlite3 *db, const char *sql, int three, int (*fn2)(void *, const char *, const char *),
		    int (*fn3)(void *, const char *, const char *, int64_t), void *arg, struct tl_err *err)
{
	sqlite3_stmt *q;
	if (!has_state(db))
		return 0;
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return fail(db, err, "reading correlation rows");
	int rc, stop = 0;
	while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *a = (const char *)sqlite3_column_text(q, 0), *b = (const char *)sqlite3_column_text(q, 1);
		stop = three ? fn3(arg, a ? a : "", b ? b : "", sqlite3_column_int64(q, 2)) : fn2(arg, a ? a : "", b ? b : "");
	}
	sqlite3_finalize(q);
	if (stop)
		return stop;
	return rc == SQLITE_DONE ? 0 : fail(db, err, "reading correlation rows");
}

int tl_store_corr_spellings(struct tl_store *s, int (*fn)(void *arg, const char *ip, const char *canonical), void *arg,
			    struct tl_err *err)
{
	return each_row(tl_store_handle(s), "SELECT ip, canonical FROM correlation_spellings ORDER BY ip", 0, fn, NULL,
			arg, err);
}

int tl_store_binding_subjects(struct tl_store *s,
			      int (*fn)(void *arg, const char *kind, const char *subject, int64_t n), void *arg,
			      struct tl_err *err)
{
	return each_row(tl_store_handle(s),
			"SELECT kind, subject, count(*) FROM bindings GROUP BY kind, subject ORDER BY kind, subject", 1,
			NULL, fn, arg, err);
}

int64_t tl_store_cache_limit(struct tl_store *s, int64_t kib)
{
	sqlite3 *db = tl_store_handle(s);
	sqlite3_stmt *q;
	int64_t was = 0;
	if (sqlite3_prepare_v2(db, "PRAGMA cache_size", -1, &q, NULL) == SQLITE_OK) {
		if (sqlite3_step(q) == SQLITE_ROW)
			was = sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
	}
	if (was) {
		char sql[64];
		snprintf(sql, sizeof(sql), "PRAGMA cache_size=%lld", kib > 0 ? -(long long)kib : (long long)was);
		sqlite3_exec(db, sql, NULL, NULL, NULL);
	}
	return was;
}

void tl_store_cache_restore(struct tl_store *s, int64_t was)
{
	if (!was)
		return;
	char sql[64];
	snprintf(sql, sizeof(sql), "PRAGMA cache_size=%lld", (long long)was);
	sqlite3_exec(tl_store_handle(s), sql, NULL, NULL, NULL);
}
