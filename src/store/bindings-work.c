/*
 * Correlation's working storage (include/tl/bindings.h): the candidates of a
 * correlation run sorted by SQLite in temporary tables, which spill to disk,
 * instead of in an array that grows with the evidence; and the bindings of
 * one subject read back for attribution. Rows only: the rules are in
 * src/analysis/correlate.c.
 */
#define _POSIX_C_SOURCE 200809L
#include "tl/bindings.h"

#include <stdlib.h>
#include <string.h>

#include "store-internal.h"
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
			       "ORDER BY c.k, c.subj, c.tier",
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

struct tl_subject_bindings {
	sqlite3 *db;
	sqlite3_stmt *st;
	struct tl_binding b;
};

struct tl_subject_bindings *tl_store_subject_bindings_new(struct tl_store *s, struct tl_err *err)
{
	struct tl_subject_bindings *sb = calloc(1, sizeof(*sb));
	if (!sb) {
		tl_errf(err, "out of memory");
		return NULL;
	}
	sb->db = tl_store_handle(s);
	/* bindings_subject (kind, subject, start_ts) finds them; ids are few per subject */
	if (sqlite3_prepare_v2(sb->db,
			       "SELECT id, value, start_ts, end_ts, end_rule, source FROM bindings "
			       "WHERE kind = ?1 AND subject = ?2 ORDER BY id",
			       -1, &sb->st, NULL) != SQLITE_OK) {
		fail(sb->db, err, "reading bindings");
		free(sb);
		return NULL;
	}
	return sb;
}

int tl_subject_bindings_next(struct tl_subject_bindings *sb, const char *kind, const char *subject, int start,
			     const struct tl_binding **row, struct tl_err *err)
{
	sqlite3_stmt *st = sb->st;
	if (start) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, kind, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, subject, -1, SQLITE_TRANSIENT);
	}
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
	sqlite3_finalize(sb->st);
	free(sb);
}
