/*
 * The SQL of correlation (include/tl/bindings.h): writing bindings,
 * attributions and conflicts in one transaction, and the few reads the
 * correlation rules start from. Which events count as evidence of a binding,
 * how long a binding lasts and which one wins is decided in
 * src/analysis/correlate.c, not here: these queries only narrow the rows
 * down with the indexes the events table already has.
 */
#define _POSIX_C_SOURCE 200809L
#include "tl/bindings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store-internal.h"
#include "tl/banned.h"

static int sqlfail(sqlite3 *db, struct tl_err *err, const char *what)
{
	return tl_errf(err, "case database: %s: %s", what, sqlite3_errmsg(db));
}

static int run(sqlite3 *db, const char *sql, struct tl_err *err)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		tl_errf(err, "case database: %s", msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* Non-zero when the database has the bindings tables (schema v6). */
static int has_bindings(sqlite3 *db)
{
	sqlite3_stmt *st;
	int yes = 0;
	/* a view over binding_rows since v12 */
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') AND name = 'bindings'",
			       -1, &st, NULL) == SQLITE_OK)
		yes = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return yes;
}

/* ---- writing -------------------------------------------------------------------- */

struct tl_bind_writer {
	sqlite3 *db;
	sqlite3_stmt *bind, *conflict, *attr, *conflict_events;
	struct tl_bind_paths *paths; /* the evidence stored compactly (bindings-evidence.c) */
	struct tl_buf evidence;
	/* stable ids (schema v13), prepared on first use */
	sqlite3_stmt *keep, *del_bind, *del_conf, *del_conf_rows, *conflicted, *unattr_sel, *unattr_del, *unconf_sel,
		*unconf_del;
};

enum writer_mode { W_REPLACE, W_APPEND, W_REBUILD };

static void opt_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static void opt_int(sqlite3_stmt *st, int i, int has, int64_t v)
{
	if (has)
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

static struct tl_bind_writer *writer_new(struct tl_store *s, enum writer_mode mode, struct tl_err *err)
{
	struct tl_bind_writer *w = calloc(1, sizeof(*w));
	if (!w) {
		tl_errf(err, "out of memory");
		return NULL;
	}
	w->db = tl_store_handle(s);
	/* attribution_conflicts is schema v13's: a database is migrated before correlation writes to it */
	if (run(w->db,
		mode == W_REPLACE   ? "SAVEPOINT tl_bindings; DELETE FROM attributions; DELETE FROM binding_conflicts; "
				      "DELETE FROM attribution_conflicts; DELETE FROM binding_rows;"
		: mode == W_REBUILD ? "SAVEPOINT tl_bindings; DELETE FROM attributions; DELETE FROM binding_conflicts; "
				      "DELETE FROM attribution_conflicts; DROP TABLE IF EXISTS temp.tl_kept; "
				      "CREATE TEMP TABLE tl_kept (id INTEGER PRIMARY KEY);"
				    : "SAVEPOINT tl_bindings;",
		err)) {
		free(w);
		return NULL;
	}
	if (sqlite3_prepare_v2(w->db,
			       "INSERT INTO binding_rows (id, kind, subject, value, start_ts, end_ts, end_rule, source, "
			       "start_event_id, end_event_id, events, evidence) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
			       -1, &w->bind, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(w->db,
			       "INSERT INTO binding_conflicts (id, kind, subject, binding_a, binding_b, start_ts, end_ts, "
			       "events) VALUES (?,?,?,?,?,?,?,?)",
			       -1, &w->conflict, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(w->db,
			       "INSERT INTO attributions (event_id, kind, value, binding_id, via, via_binding_id) "
			       "VALUES (?,?,?,?,?,?)",
			       -1, &w->attr, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(w->db, "UPDATE binding_conflicts SET events = ? WHERE id = ?", -1, &w->conflict_events,
			       NULL) != SQLITE_OK ||
	    !(w->paths = tl_bind_paths_new(w->db, err))) {
		if (w->bind && w->conflict && w->attr && w->conflict_events)
			err = NULL; /* tl_bind_paths_new said why */
		sqlfail(w->db, err, "preparing the bindings");
		tl_bind_writer_end(w, 0, NULL);
		return NULL;
	}
	return w;
}

struct tl_bind_writer *tl_store_bindings_replace(struct tl_store *s, struct tl_err *err)
{
	return writer_new(s, W_REPLACE, err);
}

struct tl_bind_writer *tl_store_bindings_append(struct tl_store *s, struct tl_err *err)
{
	return writer_new(s, W_APPEND, err);
}

struct tl_bind_writer *tl_store_bindings_rebuild(struct tl_store *s, struct tl_err *err)
{
	return writer_new(s, W_REBUILD, err);
}

/* Runs *ST (prepared from SQL on first use) with integer parameters A and B
 * (B < 0: only A), stepping through its rows: FN per row when given. */
static int step_ids(struct tl_bind_writer *w, sqlite3_stmt **st, const char *sql, int64_t a, int64_t b,
		    int (*fn)(void *arg, sqlite3_stmt *row), void *arg, struct tl_err *err)
{
	if (!*st && sqlite3_prepare_v2(w->db, sql, -1, st, NULL) != SQLITE_OK)
		return sqlfail(w->db, err, "preparing a bindings change");
	sqlite3_bind_int64(*st, 1, a);
	if (b >= 0)
		sqlite3_bind_int64(*st, 2, b);
	int rc;
	while ((rc = sqlite3_step(*st)) == SQLITE_ROW)
		if (fn && fn(arg, *st))
			break;
	int bad = rc != SQLITE_DONE && rc != SQLITE_ROW ? sqlfail(w->db, err, "changing bindings") : 0;
	sqlite3_reset(*st);
	return bad;
}

int tl_bind_writer_keep(struct tl_bind_writer *w, int64_t id, struct tl_err *err)
{
	return step_ids(w, &w->keep, "INSERT OR IGNORE INTO temp.tl_kept (id) VALUES (?)", id, -1, NULL, NULL, err);
}

int tl_bind_writer_set_events(struct tl_bind_writer *w, int64_t id, int64_t start_event, int64_t end_event,
			      struct tl_err *err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(w->db, "UPDATE binding_rows SET start_event_id = ?, end_event_id = ? WHERE id = ?", -1,
			       &st, NULL) != SQLITE_OK)
		return sqlfail(w->db, err, "preparing a bindings change");
	opt_int(st, 1, start_event != 0, start_event);
	opt_int(st, 2, end_event != 0, end_event);
	sqlite3_bind_int64(st, 3, id);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sqlfail(w->db, err, "changing a binding's events");
}

int tl_bind_writer_sweep(struct tl_bind_writer *w, int64_t upto, struct tl_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc = step_ids(w, &st, "DELETE FROM binding_rows WHERE id <= ? AND id NOT IN (SELECT id FROM temp.tl_kept)", upto,
			  -1, NULL, NULL, err);
	sqlite3_finalize(st);
	return rc;
}

int tl_bind_writer_delete_binding(struct tl_bind_writer *w, int64_t id, struct tl_err *err)
{
	return step_ids(w, &w->del_bind, "DELETE FROM binding_rows WHERE id = ?", id, -1, NULL, NULL, err);
}

int tl_bind_writer_delete_conflict(struct tl_bind_writer *w, int64_t id, struct tl_err *err)
{
	return step_ids(w, &w->del_conf, "DELETE FROM binding_conflicts WHERE id = ?", id, -1, NULL, NULL, err) ||
			       step_ids(w, &w->del_conf_rows, "DELETE FROM attribution_conflicts WHERE conflict_id = ?", id,
					-1, NULL, NULL, err)
		       ? -1
		       : 0;
}

int tl_bind_writer_conflicted(struct tl_bind_writer *w, int64_t event_id, const char *kind, int64_t conflict_id,
			      struct tl_err *err)
{
	if (!w->conflicted &&
	    sqlite3_prepare_v2(w->db,
			       "INSERT OR REPLACE INTO attribution_conflicts (event_id, kind, conflict_id) VALUES (?,?,?)",
			       -1, &w->conflicted, NULL) != SQLITE_OK)
		return sqlfail(w->db, err, "preparing the attribution conflicts");
	sqlite3_bind_int64(w->conflicted, 1, event_id);
	sqlite3_bind_text(w->conflicted, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(w->conflicted, 3, conflict_id);
	int rc = sqlite3_step(w->conflicted);
	sqlite3_reset(w->conflicted);
	return rc == SQLITE_DONE ? 0 : sqlfail(w->db, err, "inserting an attribution conflict");
}

struct unattr {
	int64_t *user, *host;
};

static int count_kind(void *arg, sqlite3_stmt *row)
{
	struct unattr *u = arg;
	const char *k = (const char *)sqlite3_column_text(row, 0);
	if (k && !strcmp(k, "host"))
		(*u->host)++;
	else
		(*u->user)++;
	return 0;
}

static int count_row(void *arg, sqlite3_stmt *row)
{
	(void)row;
	(*(int64_t *)arg)++;
	return 0;
}

int tl_bind_writer_unattribute(struct tl_bind_writer *w, int64_t event_id, int64_t *user, int64_t *host,
			       int64_t *conflicted, struct tl_err *err)
{
	struct unattr u = { user, host };
	int64_t before = *user + *host, cbefore = *conflicted;
	if (step_ids(w, &w->unattr_sel, "SELECT kind FROM attributions WHERE event_id = ?", event_id, -1, count_kind, &u,
		     err) ||
	    (*user + *host != before && step_ids(w, &w->unattr_del, "DELETE FROM attributions WHERE event_id = ?",
						 event_id, -1, NULL, NULL, err)) ||
	    step_ids(w, &w->unconf_sel, "SELECT 1 FROM attribution_conflicts WHERE event_id = ?", event_id, -1, count_row,
		     conflicted, err) ||
	    (*conflicted != cbefore && step_ids(w, &w->unconf_del, "DELETE FROM attribution_conflicts WHERE event_id = ?",
						event_id, -1, NULL, NULL, err)))
		return -1;
	return 0;
}

int tl_bind_writer_recount_conflicts(struct tl_bind_writer *w, int64_t *total, struct tl_err *err)
{
	sqlite3_stmt *st = NULL;
	*total = 0;
	if (run(w->db,
		"UPDATE binding_conflicts SET events = (SELECT count(*) FROM attribution_conflicts a "
		"WHERE a.conflict_id = binding_conflicts.id)",
		err))
		return -1;
	if (sqlite3_prepare_v2(w->db, "SELECT count(*) FROM attribution_conflicts", -1, &st, NULL) != SQLITE_OK)
		return sqlfail(w->db, err, "counting attribution conflicts");
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*total = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : sqlfail(w->db, err, "counting attribution conflicts");
}

int tl_bind_writer_conflict_events(struct tl_bind_writer *w, int64_t id, int64_t events, struct tl_err *err)
{
	sqlite3_stmt *st = w->conflict_events;
	sqlite3_bind_int64(st, 1, events);
	sqlite3_bind_int64(st, 2, id);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sqlfail(w->db, err, "counting a conflict's events");
}

int tl_bind_writer_binding(struct tl_bind_writer *w, const struct tl_binding *b, struct tl_err *err)
{
	sqlite3_stmt *st = w->bind;
	sqlite3_bind_int64(st, 1, b->id);
	sqlite3_bind_text(st, 2, b->kind, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, b->subject, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, b->value, -1, SQLITE_TRANSIENT);
	opt_int(st, 5, b->has_start, b->start);
	opt_int(st, 6, b->has_end, b->end);
	sqlite3_bind_text(st, 7, b->end_rule, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 8, b->source, -1, SQLITE_TRANSIENT);
	opt_int(st, 9, b->start_event != 0, b->start_event);
	opt_int(st, 10, b->end_event != 0, b->end_event);
	sqlite3_bind_int64(st, 11, b->events);
	if (tl_bind_evidence_pack(w->paths, b->evidence ? b->evidence : "[]", &w->evidence, err))
		return -1;
	sqlite3_bind_text(st, 12, w->evidence.data ? w->evidence.data : "[]", -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sqlfail(w->db, err, "inserting a binding");
}

int tl_bind_writer_conflict(struct tl_bind_writer *w, const struct tl_binding_conflict *c, struct tl_err *err)
{
	sqlite3_stmt *st = w->conflict;
	sqlite3_bind_int64(st, 1, c->id);
	sqlite3_bind_text(st, 2, c->kind, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, c->subject, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, c->binding_a);
	sqlite3_bind_int64(st, 5, c->binding_b);
	opt_int(st, 6, c->has_start, c->start);
	opt_int(st, 7, c->has_end, c->end);
	sqlite3_bind_int64(st, 8, c->events);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sqlfail(w->db, err, "inserting a binding conflict");
}

int tl_bind_writer_attribution(struct tl_bind_writer *w, int64_t event_id, const char *kind, const char *value,
			       int64_t binding_id, const char *via, int64_t via_binding, struct tl_err *err)
{
	sqlite3_stmt *st = w->attr;
	sqlite3_bind_int64(st, 1, event_id);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, value, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, binding_id);
	sqlite3_bind_text(st, 5, via, -1, SQLITE_STATIC);
	opt_int(st, 6, via_binding != 0, via_binding);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sqlfail(w->db, err, "inserting an attribution");
}

int tl_bind_writer_end(struct tl_bind_writer *w, int commit, struct tl_err *err)
{
	if (!w)
		return 0;
	sqlite3_finalize(w->bind);
	sqlite3_finalize(w->conflict);
	sqlite3_finalize(w->attr);
	sqlite3_finalize(w->conflict_events);
	tl_bind_paths_free(w->paths);
	tl_buf_release(&w->evidence);
	sqlite3_stmt *more[] = { w->keep,	  w->del_bind,   w->del_conf,   w->del_conf_rows, w->conflicted,
				 w->unattr_sel, w->unattr_del, w->unconf_sel, w->unconf_del };
	for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++)
		sqlite3_finalize(more[i]);
	int rc = 0;
	if (commit)
		rc = run(w->db, "RELEASE tl_bindings", err);
	if (!commit || rc)
		run(w->db, "ROLLBACK TO tl_bindings; RELEASE tl_bindings", NULL);
	free(w);
	return rc;
}

/* ---- reading -------------------------------------------------------------------- */

enum bind_kind { B_SESSIONS, B_IDENT, B_ADDR, B_BINDINGS, B_CONFLICTS };

struct tl_bind_iter {
	enum bind_kind kind;
	sqlite3 *db;
	sqlite3_stmt *st;
	int empty; /* a case before schema v6: no rows */
	/* rows read ahead on the reader connection of OWNER (read-ahead.c) */
	struct tl_ahead *ahead;
	struct tl_store *owner;
	union {
		struct tl_session_row ses;
		struct tl_ident_row id;
		struct tl_addr_row addr;
		struct tl_binding_row bind;
		struct tl_binding_conflict conf;
	} row;
};

void tl_bind_iter_free(struct tl_bind_iter *it)
{
	if (!it)
		return;
	if (it->ahead) {
		tl_ahead_free(it->ahead);
		tl_store_reader_give(it->owner);
	}
	sqlite3_finalize(it->st);
	free(it);
}

/* INNER, opened on S's reader connection RD, read ahead; NULL (RD given back)
 * when it cannot be, and the caller reads on S itself. */
static struct tl_bind_iter *ahead(struct tl_store *s, enum bind_kind kind, enum tl_ahead_kind ak,
				  struct tl_bind_iter *inner)
{
	struct tl_err e;
	struct tl_bind_iter *it = inner ? calloc(1, sizeof(*it)) : NULL;
	if (it && !(it->ahead = tl_ahead_start(inner, ak, &e))) {
		free(it);
		it = NULL;
		inner = NULL; /* a start that fails frees it */
	}
	if (!it) {
		tl_bind_iter_free(inner);
		tl_store_reader_give(s);
		return NULL;
	}
	it->kind = kind;
	it->owner = s;
	return it;
}

/* In a typed next function: the next row read ahead, when IT reads ahead. */
#define NEXT_AHEAD(it, k, row, err)                                                     \
	do {                                                                            \
		if ((it)->ahead) {                                                      \
			const void *r_;                                                 \
			if ((it)->kind != (k))                                          \
				return tl_errf(err, "wrong kind of iterator");          \
			int rc_ = tl_ahead_next((it)->ahead, &r_, err);                 \
			if (rc_ == 1)                                                   \
				*(row) = r_;                                            \
			return rc_;                                                     \
		}                                                                       \
	} while (0)

static struct tl_bind_iter *iter(struct tl_store *s, enum bind_kind kind, const char *sql, const char *what,
				 struct tl_err *err)
{
	struct tl_bind_iter *it = calloc(1, sizeof(*it));
	if (!it) {
		tl_errf(err, "out of memory");
		return NULL;
	}
	it->kind = kind;
	it->db = tl_store_handle(s);
	if (sqlite3_prepare_v2(it->db, sql, -1, &it->st, NULL) != SQLITE_OK) {
		tl_errf(err, "%s: %s", what, sqlite3_errmsg(it->db));
		tl_bind_iter_free(it);
		return NULL;
	}
	return it;
}

static int next(struct tl_bind_iter *it, enum bind_kind kind, const char *what, struct tl_err *err)
{
	if (it->kind != kind)
		return tl_errf(err, "%s: wrong kind of iterator", what);
	if (it->empty)
		return 0;
	int rc = sqlite3_step(it->st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : tl_errf(err, "%s: %s", what, sqlite3_errmsg(it->db));
}

static const char *col_text(sqlite3_stmt *st, int c)
{
	return (const char *)sqlite3_column_text(st, c);
}

static int col_has(sqlite3_stmt *st, int c)
{
	return sqlite3_column_type(st, c) != SQLITE_NULL;
}

/* B's value, start, end, end rule, source, start and end events, events and
 * evidence from ST's columns C.. in that order (the order both binding
 * readers select them in); a tampered database may hold NULL where tl
 * always writes text. */
static void binding_cols(sqlite3_stmt *st, int c, struct tl_binding *b)
{
	b->value = col_text(st, c);
	b->has_start = col_has(st, c + 1);
	b->start = sqlite3_column_int64(st, c + 1);
	b->has_end = col_has(st, c + 2);
	b->end = sqlite3_column_int64(st, c + 2);
	b->end_rule = col_text(st, c + 3);
	b->source = col_text(st, c + 4);
	b->start_event = sqlite3_column_int64(st, c + 5);
	b->end_event = sqlite3_column_int64(st, c + 6);
	b->events = sqlite3_column_int64(st, c + 7);
	b->evidence = col_text(st, c + 8);
	if (!b->value)
		b->value = "";
	if (!b->end_rule)
		b->end_rule = "";
	if (!b->source)
		b->source = "";
	if (!b->evidence)
		b->evidence = "[]";
}

struct tl_bind_iter *tl_store_sessions(struct tl_store *s, struct tl_err *err)
{
	struct tl_store *rd = tl_store_reader_take(s);
	struct tl_bind_iter *a = rd ? ahead(s, B_SESSIONS, TL_AHEAD_SESSIONS, tl_store_sessions(rd, err)) : NULL;
	if (a)
		return a;
	/* a session whose start is not in the evidence began before its log did:
	 * the first time of that file is the latest it can have begun */
	return iter(s, B_SESSIONS,
		    "SELECT x.kind, x.user, x.assigned_ip, x.client_host, x.ended_by, x.start_us, x.end_us, "
		    "x.start_event, x.end_event, x.start_file, x.start_line, x.end_file, x.end_line, "
		    "(SELECT f.first_ts FROM evidence_files f WHERE f.path = x.end_file) "
		    "FROM sessions x WHERE x.assigned_ip IS NOT NULL",
		    "sessions", err);
}

int tl_store_next_session(struct tl_bind_iter *it, const struct tl_session_row **row, struct tl_err *err)
{
	NEXT_AHEAD(it, B_SESSIONS, row, err);
	int rc = next(it, B_SESSIONS, "sessions", err);
	if (rc != 1)
		return rc;
	sqlite3_stmt *st = it->st;
	struct tl_session_row *r = &it->row.ses;
	memset(r, 0, sizeof(*r));
	r->kind = col_text(st, 0);
	r->user = col_text(st, 1);
	r->assigned_ip = col_text(st, 2);
	r->client_host = col_text(st, 3);
	r->ended_by = col_text(st, 4);
	r->has_start = col_has(st, 5);
	r->start = sqlite3_column_int64(st, 5);
	r->has_end = col_has(st, 6);
	r->end = sqlite3_column_int64(st, 6);
	r->start_event = sqlite3_column_int64(st, 7);
	r->end_event = sqlite3_column_int64(st, 8);
	r->start_path = col_text(st, 9);
	r->start_line = sqlite3_column_int64(st, 10);
	r->end_path = col_text(st, 11);
	r->end_line = sqlite3_column_int64(st, 12);
	r->has_log_start = col_has(st, 13);
	r->log_start = sqlite3_column_int64(st, 13);
	if (!r->kind)
		r->kind = "";
	if (!r->ended_by)
		r->ended_by = "";
	*row = r;
	return 1;
}

/* The columns of an identity row; LogonType is looked up only where it can
 * be (authentication events), Initiated only on network events: json_extract
 * on every row would cost more than the scan. */
#define IDENT_COLS                                                                                               \
	"SELECT e.id, e.ts, e.family, e.format, e.class, e.action, e.outcome, e.event_code, e.user, e.host, "   \
	"e.src_ip, e.session_id, "                                                                              \
	"CASE WHEN e.class = 'authentication' THEN coalesce(json_extract(e.extra, '$.LogonType'), "             \
	"json_extract(e.extra, '$.\"EventData.LogonType\"'), json_extract(e.extra, '$.logon_type')) END, "      \
	"CASE WHEN e.class = 'network_activity' THEN coalesce(json_extract(e.extra, '$.Initiated'), "           \
	"json_extract(e.extra, '$.\"EventData.Initiated\"')) END, f.path, e.line "                              \
	"FROM events e JOIN evidence_files f ON f.id = e.file_id "
#define IDENT_COLS_IN                                                                                            \
	"SELECT e.id, e.ts, e.family, e.format, e.class, e.action, e.outcome, e.event_code, e.user, e.host, "   \
	"e.src_ip, e.session_id, "                                                                              \
	"CASE WHEN e.class = 'authentication' THEN coalesce(json_extract(e.extra, '$.LogonType'), "             \
	"json_extract(e.extra, '$.\"EventData.LogonType\"'), json_extract(e.extra, '$.logon_type')) END, "      \
	"CASE WHEN e.class = 'network_activity' THEN coalesce(json_extract(e.extra, '$.Initiated'), "           \
	"json_extract(e.extra, '$.\"EventData.Initiated\"')) END, f.path, e.line "                              \
	"FROM temp.tl_corr_files n CROSS JOIN events e ON e.file_id = n.file_id JOIN evidence_files f ON f.id = e.file_id "

struct tl_bind_iter *tl_store_identity_events(struct tl_store *s, struct tl_err *err)
{
	struct tl_store *rd = tl_store_reader_take(s);
	struct tl_bind_iter *a = rd ? ahead(s, B_IDENT, TL_AHEAD_IDENT, tl_store_identity_events(rd, err)) : NULL;
	if (a)
		return a;
	/* user IS NOT NULL first: the partial index events_user serves it */
	return iter(s, B_IDENT, IDENT_COLS "WHERE e.user IS NOT NULL AND (e.src_ip IS NOT NULL OR e.host IS NOT NULL)",
		    "identity events", err);
}

struct tl_bind_iter *tl_store_host_addr_events(struct tl_store *s, struct tl_err *err)
{
	struct tl_store *rd = tl_store_reader_take(s);
	struct tl_bind_iter *a = rd ? ahead(s, B_IDENT, TL_AHEAD_IDENT, tl_store_host_addr_events(rd, err)) : NULL;
	if (a)
		return a;
	/* only host IS NOT NULL may use an index (events_host): the unary + keeps
	 * the planner from walking every address of the case through events_src_ip */
	return iter(s, B_IDENT,
		    IDENT_COLS "WHERE e.host IS NOT NULL AND +e.user IS NULL AND +e.src_ip IS NOT NULL AND +e.family = 'edr' "
			       "AND +e.class = 'network_activity'",
		    "host address events", err);
}

/* The ids of FILES in temp.tl_corr_files, which the restricted reads drive. */
static int put_files(sqlite3 *db, const int64_t *files, size_t n, struct tl_err *err)
{
	sqlite3_stmt *ins;
	if (run(db, "CREATE TEMP TABLE IF NOT EXISTS tl_corr_files (file_id INTEGER PRIMARY KEY); "
		    "DELETE FROM temp.tl_corr_files;", err))
		return -1;
	if (sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO temp.tl_corr_files VALUES (?)", -1, &ins, NULL) != SQLITE_OK)
		return sqlfail(db, err, "new files");
	for (size_t i = 0; i < n; i++) {
		sqlite3_bind_int64(ins, 1, files[i]);
		int rc = sqlite3_step(ins);
		sqlite3_reset(ins);
		if (rc != SQLITE_DONE) {
			sqlite3_finalize(ins);
			return sqlfail(db, err, "new files");
		}
	}
	sqlite3_finalize(ins);
	return 0;
}

int tl_store_files_span(struct tl_store *s, const int64_t *files, size_t n, tl_us *lo, tl_us *hi, struct tl_err *err)
{
	sqlite3 *db = tl_store_handle(s);
	sqlite3_stmt *st;
	if (put_files(db, files, n, err))
		return -1;
	if (sqlite3_prepare_v2(db,
			       "SELECT min(e.ts), max(e.ts) FROM temp.tl_corr_files n CROSS JOIN events e "
			       "ON e.file_id = n.file_id",
			       -1, &st, NULL) != SQLITE_OK)
		return sqlfail(db, err, "new files' times");
	int rc = sqlite3_step(st), has = 0;
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*lo = sqlite3_column_int64(st, 0);
		*hi = sqlite3_column_int64(st, 1);
		has = 1;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? has : sqlfail(db, err, "new files' times");
}

struct tl_bind_iter *tl_store_identity_events_in(struct tl_store *s, const int64_t *files, size_t n, int host_addr,
						 struct tl_err *err)
{
	if (put_files(tl_store_handle(s), files, n, err))
		return NULL;
	/* the files drive (CROSS JOIN): their events through events_line */
	if (host_addr)
		return iter(s, B_IDENT,
			    IDENT_COLS_IN "WHERE e.host IS NOT NULL AND e.user IS NULL AND e.src_ip IS NOT NULL AND "
					  "e.family = 'edr' AND e.class = 'network_activity'",
			    "host address events", err);
	return iter(s, B_IDENT, IDENT_COLS_IN "WHERE e.user IS NOT NULL AND (e.src_ip IS NOT NULL OR e.host IS NOT NULL)",
		    "identity events", err);
}

int tl_store_next_identity(struct tl_bind_iter *it, const struct tl_ident_row **row, struct tl_err *err)
{
	NEXT_AHEAD(it, B_IDENT, row, err);
	int rc = next(it, B_IDENT, "identity events", err);
	if (rc != 1)
		return rc;
	sqlite3_stmt *st = it->st;
	struct tl_ident_row *r = &it->row.id;
	r->id = sqlite3_column_int64(st, 0);
	r->ts = sqlite3_column_int64(st, 1);
	r->family = col_text(st, 2);
	r->format = col_text(st, 3);
	r->class = col_text(st, 4);
	r->action = col_text(st, 5);
	r->outcome = col_text(st, 6);
	r->event_code = col_text(st, 7);
	r->user = col_text(st, 8);
	r->host = col_text(st, 9);
	r->src_ip = col_text(st, 10);
	r->session_id = col_text(st, 11);
	r->logon_type = col_text(st, 12);
	r->initiated = col_text(st, 13);
	r->path = col_text(st, 14);
	r->line = sqlite3_column_int64(st, 15);
	if (!r->family)
		r->family = "";
	if (!r->format)
		r->format = "";
	if (!r->path)
		r->path = "";
	*row = r;
	return 1;
}

/* The addresses IPS into temp.tl_bound_ip (emptied first), so that one
 * statement reads every event of every bound address through the address
 * index. */
static int put_bound_ips(sqlite3 *db, const char *const *ips, size_t n, struct tl_err *err)
{
	sqlite3_stmt *ins;
	if (run(db, "CREATE TEMP TABLE IF NOT EXISTS tl_bound_ip (ip TEXT PRIMARY KEY) WITHOUT ROWID; "
		    "DELETE FROM temp.tl_bound_ip;", err))
		return -1;
	if (sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO temp.tl_bound_ip (ip) VALUES (?)", -1, &ins, NULL) != SQLITE_OK)
		return sqlfail(db, err, "bound addresses");
	int rc = SQLITE_DONE;
	for (size_t i = 0; i < n && rc == SQLITE_DONE; i++) {
		sqlite3_bind_text(ins, 1, ips[i], -1, SQLITE_STATIC);
		rc = sqlite3_step(ins);
		sqlite3_reset(ins);
	}
	/* the message is read before finalize, which would reset it */
	int bad = rc != SQLITE_DONE ? sqlfail(db, err, "bound addresses") : 0;
	sqlite3_finalize(ins);
	return bad;
}

struct tl_bind_iter *tl_store_addr_events(struct tl_store *s, const char *const *ips, size_t n, int dst,
				      int with_user, struct tl_err *err)
{
	struct tl_store *rd = tl_store_reader_take(s);
	struct tl_bind_iter *a =
		rd ? ahead(s, B_ADDR, TL_AHEAD_ADDR, tl_store_addr_events(rd, ips, n, dst, with_user, err)) : NULL;
	if (a)
		return a;
	if (put_bound_ips(tl_store_handle(s), ips, n, err))
		return NULL;
	/* the bound addresses drive (CROSS JOIN), each probes the covering index;
	 * IN gathers the ids sorted, so the rows are then read, and their
	 * attributions written, in id order rather than all over the file */
	char sql[640];
	snprintf(sql, sizeof(sql),
		 "SELECT e.id, e.ts, e.src_ip, e.dst_ip, e.user IS NOT NULL, e.host IS NOT NULL, "
		 "e.src_host IS NOT NULL, e.dst_host IS NOT NULL, e.family FROM events e WHERE e.id IN "
		 "(SELECT x.id FROM temp.tl_bound_ip b CROSS JOIN events x ON x.%s = b.ip WHERE x.%s IS NOT NULL)%s",
		 dst ? "dst_ip" : "src_ip", dst ? "dst_ip" : "src_ip", with_user ? "" : " AND +e.user IS NULL");
	return iter(s, B_ADDR, sql, "address events", err);
}

struct tl_bind_iter *tl_store_addr_events_in(struct tl_store *s, const char *const *ips, size_t n, const int64_t *files,
					     size_t nf, int with_user, struct tl_err *err)
{
	sqlite3 *db = tl_store_handle(s);
	if (put_files(db, files, nf, err) || put_bound_ips(db, ips, n, err))
		return NULL;
	/* the new files drive: the cost follows their events, not the case's */
	char sql[640];
	snprintf(sql, sizeof(sql),
		 "SELECT e.id, e.ts, e.src_ip, e.dst_ip, e.user IS NOT NULL, e.host IS NOT NULL, "
		 "e.src_host IS NOT NULL, e.dst_host IS NOT NULL, e.family FROM temp.tl_corr_files n CROSS JOIN events e "
		 "ON e.file_id = n.file_id WHERE (e.src_ip IN temp.tl_bound_ip OR e.dst_ip IN temp.tl_bound_ip)%s "
		 "ORDER BY e.id",
		 with_user ? "" : " AND e.user IS NULL");
	return iter(s, B_ADDR, sql, "address events", err);
}

int tl_store_next_addr(struct tl_bind_iter *it, const struct tl_addr_row **row, struct tl_err *err)
{
	NEXT_AHEAD(it, B_ADDR, row, err);
	int rc = next(it, B_ADDR, "address events", err);
	if (rc != 1)
		return rc;
	sqlite3_stmt *st = it->st;
	struct tl_addr_row *r = &it->row.addr;
	r->id = sqlite3_column_int64(st, 0);
	r->ts = sqlite3_column_int64(st, 1);
	r->src_ip = col_text(st, 2);
	r->dst_ip = col_text(st, 3);
	r->has_user = sqlite3_column_int(st, 4);
	r->has_host = sqlite3_column_int(st, 5);
	r->has_src_host = sqlite3_column_int(st, 6);
	r->has_dst_host = sqlite3_column_int(st, 7);
	r->family = col_text(st, 8);
	if (!r->family)
		r->family = "";
	*row = r;
	return 1;
}

/* ---- the results ------------------------------------------------------------------ */

int tl_store_bindings_count(struct tl_store *s, int64_t *n, struct tl_err *err)
{
	sqlite3 *db = tl_store_handle(s);
	sqlite3_stmt *st;
	*n = 0;
	if (!has_bindings(db))
		return 0;
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM bindings", -1, &st, NULL) != SQLITE_OK)
		return sqlfail(db, err, "counting bindings");
	if (sqlite3_step(st) == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 0;
}

static struct tl_bind_iter *filtered(struct tl_store *s, enum bind_kind kind, const char *sql, const char *what,
				     const char *k, const char *value, struct tl_err *err)
{
	struct tl_bind_iter *it = NULL;
	if (!has_bindings(tl_store_handle(s))) {
		if ((it = calloc(1, sizeof(*it)))) {
			it->kind = kind;
			it->empty = 1;
		} else {
			tl_errf(err, "out of memory");
		}
		return it;
	}
	if (!(it = iter(s, kind, sql, what, err)))
		return NULL;
	opt_text(it->st, 1, k);
	opt_text(it->st, 2, value);
	return it;
}

struct tl_bind_iter *tl_store_bindings(struct tl_store *s, const char *kind, const char *value, struct tl_err *err)
{
	return filtered(s, B_BINDINGS,
			/* attributions has no index on binding_id: the counts come
			 * from one pass over it, not one scan per binding listed
			 * (which made a first page of 50 cost 50 scans) */
			"SELECT b.id, b.kind, b.subject, b.value, b.start_ts, b.end_ts, b.end_rule, b.source, "
			"b.start_event_id, b.end_event_id, b.events, b.evidence, coalesce(n.n, 0) FROM bindings b "
			"LEFT JOIN (SELECT binding_id, count(*) AS n FROM attributions GROUP BY binding_id) n "
			"ON n.binding_id = b.id "
			"WHERE (?1 IS NULL OR b.kind = ?1) AND (?2 IS NULL OR b.subject = ?2 OR b.value = ?2) "
			"ORDER BY b.kind, b.subject, b.start_ts, b.id",
			"bindings", kind, value, err);
}

int tl_store_next_binding(struct tl_bind_iter *it, const struct tl_binding_row **row, struct tl_err *err)
{
	int rc = next(it, B_BINDINGS, "bindings", err);
	if (rc != 1)
		return rc;
	sqlite3_stmt *st = it->st;
	struct tl_binding_row *r = &it->row.bind;
	struct tl_binding *b = &r->b;
	memset(r, 0, sizeof(*r));
	b->id = sqlite3_column_int64(st, 0);
	b->kind = col_text(st, 1);
	b->subject = col_text(st, 2);
	binding_cols(st, 3, b);
	r->attributed = sqlite3_column_int64(st, 12);
	if (!b->kind)
		b->kind = "";
	if (!b->subject)
		b->subject = "";
	*row = r;
	return 1;
}

struct tl_bind_iter *tl_store_conflicts(struct tl_store *s, const char *kind, const char *value, struct tl_err *err)
{
	return filtered(s, B_CONFLICTS,
			"SELECT c.id, c.kind, c.subject, c.binding_a, c.binding_b, c.start_ts, c.end_ts, c.events "
			"FROM binding_conflicts c WHERE (?1 IS NULL OR c.kind = ?1) AND (?2 IS NULL OR c.subject = ?2 "
			"OR EXISTS (SELECT 1 FROM bindings b WHERE b.id IN (c.binding_a, c.binding_b) AND b.value = ?2)) "
			"ORDER BY c.id",
			"binding conflicts", kind, value, err);
}

int tl_store_next_conflict(struct tl_bind_iter *it, const struct tl_binding_conflict **row, struct tl_err *err)
{
	int rc = next(it, B_CONFLICTS, "binding conflicts", err);
	if (rc != 1)
		return rc;
	sqlite3_stmt *st = it->st;
	struct tl_binding_conflict *c = &it->row.conf;
	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(st, 0);
	c->kind = col_text(st, 1);
	c->subject = col_text(st, 2);
	c->binding_a = sqlite3_column_int64(st, 3);
	c->binding_b = sqlite3_column_int64(st, 4);
	c->has_start = col_has(st, 5);
	c->start = sqlite3_column_int64(st, 5);
	c->has_end = col_has(st, 6);
	c->end = sqlite3_column_int64(st, 6);
	c->events = sqlite3_column_int64(st, 7);
	if (!c->kind)
		c->kind = "";
	if (!c->subject)
		c->subject = "";
	*row = c;
	return 1;
}

/* ---- stable ids and incremental correlation (schema v13) ---------------------------- */

int tl_store_binding_counters(struct tl_store *s, int64_t *binding, int64_t *conflict, struct tl_err *err)
{
	sqlite3 *db = tl_store_handle(s);
	sqlite3_stmt *st;
	*binding = *conflict = 0;
	if (!has_bindings(db))
		return 0;
	/* the state remembers ids given and since deleted; the tables cover a
	 * case correlated before the state kept them */
	if (sqlite3_prepare_v2(db,
			       "SELECT max(coalesce((SELECT max(next_binding) FROM correlation_state), 0), "
			       "coalesce((SELECT max(id) FROM binding_rows), 0)), "
			       "max(coalesce((SELECT max(next_conflict) FROM correlation_state), 0), "
			       "coalesce((SELECT max(id) FROM binding_conflicts), 0))",
			       -1, &st, NULL) != SQLITE_OK)
		return sqlfail(db, err, "reading the binding ids");
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*binding = sqlite3_column_int64(st, 0);
		*conflict = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : sqlfail(db, err, "reading the binding ids");
}

struct tl_stored_bindings {
	sqlite3 *db;
	sqlite3_stmt *page[3]; /* per enum tl_stored_order */
	sqlite3_stmt *unbounded, *logon;
};

#define STORED_COLS                                                                                              \
	"SELECT id, value, start_ts, end_ts, end_rule, source, start_event_id, end_event_id, events, evidence "   \
	"FROM bindings WHERE kind = ?1 AND subject = ?2 AND (source = 'inventory') = ?3 AND id <= ?4 "

struct tl_stored_bindings *tl_store_stored_bindings_new(struct tl_store *s, struct tl_err *err)
{
	struct tl_stored_bindings *sb = calloc(1, sizeof(*sb));
	if (!sb) {
		tl_errf(err, "out of memory");
		return NULL;
	}
	sb->db = tl_store_handle(s);
	/* bindings_subject (kind, subject, start_ts, then the id) serves each
	 * page as one seek and a walk: a page costs its rows, not the subject's.
	 * The inventory's bindings (tier 1) are told by their source. */
	static const char *const page_sql[3] = {
		STORED_COLS "AND start_ts IS NULL AND id > ?6 ORDER BY id LIMIT ?7",
		STORED_COLS "AND start_ts >= ?5 AND (start_ts > ?5 OR id > ?6) ORDER BY start_ts, id LIMIT ?7",
		STORED_COLS "AND start_ts <= ?5 AND (start_ts < ?5 OR id < ?6) ORDER BY start_ts DESC, id DESC LIMIT ?7",
	};
	for (int i = 0; i < 3; i++)
		if (sqlite3_prepare_v2(sb->db, page_sql[i], -1, &sb->page[i], NULL) != SQLITE_OK)
			goto fail;
	/* bindings_open serves the first part, bindings_subject the second */
	if (sqlite3_prepare_v2(sb->db,
			       "SELECT start_ts, end_ts FROM binding_rows WHERE kind = ?1 AND subject = ?2 AND end_ts IS NULL "
			       "AND (source = 'inventory') = ?3 AND id <= ?4 UNION ALL "
			       "SELECT start_ts, end_ts FROM binding_rows WHERE kind = ?1 AND subject = ?2 AND start_ts IS NULL "
			       "AND end_ts IS NOT NULL AND (source = 'inventory') = ?3 AND id <= ?4",
			       -1, &sb->unbounded, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(sb->db,
			       "SELECT end_ts, end_event_id FROM binding_rows WHERE kind = ?1 AND subject = ?2 AND "
			       "start_ts = ?3 AND start_event_id = ?4 AND end_rule = 'logoff' AND end_ts IS NOT NULL AND "
			       "source <> 'inventory' ORDER BY id LIMIT 1",
			       -1, &sb->logon, NULL) != SQLITE_OK)
		goto fail;
	return sb;
fail:
	sqlfail(sb->db, err, "reading stored bindings");
	tl_stored_bindings_free(sb);
	return NULL;
}

static void stored_bind(sqlite3_stmt *st, const char *kind, const char *subject, int tier, int64_t upto)
{
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, subject, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 3, tier != 0);
	sqlite3_bind_int64(st, 4, upto);
}

long tl_stored_bindings_page(struct tl_stored_bindings *sb, const char *kind, const char *subject, int tier,
			     int64_t upto, enum tl_stored_order order, tl_us key_start, int64_t key_id, int limit,
			     int (*fn)(void *arg, const struct tl_binding *row), void *arg, struct tl_err *err)
{
	if ((unsigned)order > TL_STORED_DOWN)
		return tl_errf(err, "reading stored bindings: no such order");
	sqlite3_stmt *st = sb->page[order];
	stored_bind(st, kind, subject, tier, upto);
	sqlite3_bind_int64(st, 5, key_start);
	sqlite3_bind_int64(st, 6, key_id);
	sqlite3_bind_int(st, 7, limit);
	long n = 0;
	int rc = SQLITE_DONE, stop = 0;
	struct tl_binding b;
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&b, 0, sizeof(b));
		b.id = sqlite3_column_int64(st, 0);
		b.kind = kind;
		b.subject = subject;
		binding_cols(st, 1, &b);
		n++;
		stop = fn(arg, &b);
	}
	long out = stop < 0 ? -1 : stop || rc == SQLITE_DONE ? n : sqlfail(sb->db, err, "reading stored bindings");
	/* reset before the caller goes on writing: no read is open between pages */
	sqlite3_reset(st);
	return out;
}

int tl_stored_bindings_unbounded(struct tl_stored_bindings *sb, const char *kind, const char *subject, int tier,
				 int64_t upto, int (*fn)(void *arg, int has_start, tl_us start, int has_end, tl_us end),
				 void *arg, struct tl_err *err)
{
	sqlite3_stmt *st = sb->unbounded;
	stored_bind(st, kind, subject, tier, upto);
	int rc = SQLITE_DONE, stop = 0;
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW)
		stop = fn(arg, col_has(st, 0), sqlite3_column_int64(st, 0), col_has(st, 1), sqlite3_column_int64(st, 1));
	int out = stop ? stop : rc == SQLITE_DONE ? 0 : sqlfail(sb->db, err, "reading stored bindings");
	sqlite3_reset(st);
	return out;
}

int tl_stored_bindings_logoff(struct tl_stored_bindings *sb, const char *kind, const char *subject, tl_us start,
			      int64_t start_event, tl_us *end, int64_t *end_event, struct tl_err *err)
{
	sqlite3_stmt *st = sb->logon;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, subject, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, start);
	sqlite3_bind_int64(st, 4, start_event);
	int rc = sqlite3_step(st), out = 0;
	if (rc == SQLITE_ROW) {
		*end = sqlite3_column_int64(st, 0);
		*end_event = sqlite3_column_int64(st, 1);
		out = 1;
	} else if (rc != SQLITE_DONE) {
		out = sqlfail(sb->db, err, "reading stored bindings");
	}
	sqlite3_reset(st);
	return out;
}

void tl_stored_bindings_free(struct tl_stored_bindings *sb)
{
	if (!sb)
		return;
	for (int i = 0; i < 3; i++)
		sqlite3_finalize(sb->page[i]);
	sqlite3_finalize(sb->unbounded);
	sqlite3_finalize(sb->logon);
	free(sb);
}

struct tl_bind_iter *tl_store_identity_events_span(struct tl_store *s, tl_us lo, tl_us hi, int host_addr,
						   struct tl_err *err)
{
	/* the time index drives (the unary + keeps the planner off events_user):
	 * the cost follows the span's events, not the case's */
	struct tl_bind_iter *it =
		host_addr ? iter(s, B_IDENT,
				 IDENT_COLS "WHERE e.ts BETWEEN ?1 AND ?2 AND +e.host IS NOT NULL AND +e.user IS NULL AND "
					    "+e.src_ip IS NOT NULL AND +e.family = 'edr' AND +e.class = 'network_activity'",
				 "host address events", err)
			  : iter(s, B_IDENT,
				 IDENT_COLS "WHERE e.ts BETWEEN ?1 AND ?2 AND +e.user IS NOT NULL AND "
					    "(+e.src_ip IS NOT NULL OR +e.host IS NOT NULL)",
				 "identity events", err);
	if (it) {
		sqlite3_bind_int64(it->st, 1, lo);
		sqlite3_bind_int64(it->st, 2, hi);
	}
	return it;
}

/* The first integer column of SQL's one row, with integer parameters P (N of them). */
static int one_int(sqlite3 *db, const char *sql, const int64_t *p, int n, int64_t *out, struct tl_err *err)
{
	sqlite3_stmt *st;
	*out = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return sqlfail(db, err, "correlation's counts");
	for (int i = 0; i < n; i++)
		sqlite3_bind_int64(st, i + 1, p[i]);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	int bad = rc != SQLITE_ROW && rc != SQLITE_DONE ? sqlfail(db, err, "correlation's counts") : 0;
	sqlite3_finalize(st);
	return bad;
}

int tl_store_events_in_span(struct tl_store *s, tl_us lo, tl_us hi, int64_t limit, int64_t *n, struct tl_err *err)
{
	int64_t p[3] = { lo, hi, limit };
	return one_int(tl_store_handle(s),
		       "SELECT count(*) FROM (SELECT 1 FROM event_rows WHERE ts BETWEEN ?1 AND ?2 LIMIT ?3)", p, 3, n, err);
}

int tl_store_events_total(struct tl_store *s, const int64_t *files, size_t n, int64_t *total, int64_t *first,
			  struct tl_err *err)
{
	sqlite3 *db = tl_store_handle(s);
	if (one_int(db, "SELECT coalesce(sum(events), 0) FROM evidence_files", NULL, 0, total, err) ||
	    put_files(db, files, n, err))
		return -1;
	/* events_file (file_id, offset) finds each file's events */
	return one_int(db,
		       "SELECT coalesce(min(e.id), 0) FROM temp.tl_corr_files n CROSS JOIN event_rows e "
		       "ON e.file_id = n.file_id",
		       NULL, 0, first, err);
}

int tl_store_event_place(struct tl_store *s, int64_t id, tl_us *ts, char *path, size_t size, int64_t *line,
			 struct tl_err *err)
{
	sqlite3 *db = tl_store_handle(s);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db,
			       "SELECT e.ts, f.path, e.line FROM event_rows e JOIN evidence_files f ON f.id = e.file_id "
			       "WHERE e.id = ?",
			       -1, &st, NULL) != SQLITE_OK)
		return sqlfail(db, err, "reading an event's place");
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st), found = rc == SQLITE_ROW;
	if (found) {
		*ts = sqlite3_column_int64(st, 0);
		snprintf(path, size, "%s", col_text(st, 1) ? col_text(st, 1) : "");
		*line = sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	return found || rc == SQLITE_DONE ? found : sqlfail(db, err, "reading an event's place");
}

int tl_store_bound_subjects(struct tl_store *s, int (*fn)(void *arg, const char *kind, const char *subject),
			    void *arg, struct tl_err *err)
{
	sqlite3 *db = tl_store_handle(s);
	sqlite3_stmt *st;
	/* per canonical address two index probes; the hosts one probe each
	 * (the next subject after the last): never a walk over the bindings */
	if (sqlite3_prepare_v2(db,
			       "SELECT k.kind, a.canonical FROM (SELECT DISTINCT canonical FROM correlation_spellings) a, "
			       "(SELECT 'ip-host' AS kind UNION ALL SELECT 'ip-user') k WHERE EXISTS (SELECT 1 FROM "
			       "bindings b WHERE b.kind = k.kind AND b.subject = a.canonical)",
			       -1, &st, NULL) != SQLITE_OK)
		return sqlfail(db, err, "reading bound subjects");
	int rc, stop = 0;
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW)
		stop = fn(arg, col_text(st, 0) ? col_text(st, 0) : "", col_text(st, 1) ? col_text(st, 1) : "");
	sqlite3_finalize(st);
	if (stop)
		return stop;
	if (rc != SQLITE_DONE)
		return sqlfail(db, err, "reading bound subjects");
	if (sqlite3_prepare_v2(db, "SELECT min(subject) FROM bindings WHERE kind = 'host-user' AND subject > ?", -1, &st,
			       NULL) != SQLITE_OK)
		return sqlfail(db, err, "reading bound hosts");
	struct tl_buf last = TL_BUF_INIT;
	tl_buf_adds(&last, "");
	for (;;) {
		sqlite3_bind_text(st, 1, last.data ? last.data : "", -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(st);
		const char *h = rc == SQLITE_ROW ? col_text(st, 0) : NULL;
		if (!h)
			break;
		if ((stop = fn(arg, "host-user", h)))
			break;
		tl_buf_reset(&last);
		if (tl_buf_adds(&last, h)) {
			stop = tl_errf(err, "out of memory");
			break;
		}
		sqlite3_reset(st);
	}
	int bad = !stop && rc != SQLITE_ROW && rc != SQLITE_DONE ? sqlfail(db, err, "reading bound hosts") : 0;
	sqlite3_finalize(st);
	tl_buf_release(&last);
	return stop ? stop : bad;
}

int tl_store_corr_spellings_add(struct tl_store *s, const char *const *ips, const char *const *canon, size_t n,
				struct tl_err *err)
{
	sqlite3 *db = tl_store_handle(s);
	sqlite3_stmt *q = NULL;
	if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO correlation_spellings (ip, canonical) VALUES (?, ?)", -1, &q,
			       NULL) != SQLITE_OK)
		return sqlfail(db, err, "recording address spellings");
	int rc = SQLITE_DONE;
	for (size_t i = 0; i < n && rc == SQLITE_DONE; i++) {
		sqlite3_bind_text(q, 1, ips[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, canon[i], -1, SQLITE_STATIC);
		rc = sqlite3_step(q);
		sqlite3_reset(q);
	}
	int bad = rc != SQLITE_DONE ? sqlfail(db, err, "recording address spellings") : 0;
	sqlite3_finalize(q);
	return bad;
}

int tl_store_host_addresses(struct tl_store *s, const char *host,
			    int (*fn)(void *arg, const char *subject, int has_start, tl_us start, int has_end, tl_us end),
			    void *arg, struct tl_err *err)
{
	sqlite3 *db = tl_store_handle(s);
	sqlite3_stmt *st;
	/* ip-host bindings are few (leases, EDR, the inventory): the kind's part
	 * of bindings_subject is walked, there is no index on value */
	if (sqlite3_prepare_v2(db, "SELECT subject, start_ts, end_ts FROM bindings WHERE kind = 'ip-host' AND value = ?",
			       -1, &st, NULL) != SQLITE_OK)
		return sqlfail(db, err, "reading a host's addresses");
	sqlite3_bind_text(st, 1, host, -1, SQLITE_TRANSIENT);
	int rc, stop = 0;
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW)
		stop = fn(arg, col_text(st, 0) ? col_text(st, 0) : "", col_has(st, 1), sqlite3_column_int64(st, 1),
			  col_has(st, 2), sqlite3_column_int64(st, 2));
	int bad = !stop && rc != SQLITE_DONE ? sqlfail(db, err, "reading a host's addresses") : 0;
	sqlite3_finalize(st);
	return stop ? stop : bad;
}

struct tl_bind_iter *tl_store_scope_events(struct tl_store *s, const struct tl_scope_row *scope, size_t n,
					   const char *const *ips, size_t nips, const int64_t *files, size_t nf,
					   struct tl_err *err)
{
	sqlite3 *db = tl_store_handle(s);
	sqlite3_stmt *ins;
	if (put_files(db, files, nf, err) || put_bound_ips(db, ips, nips, err) ||
	    run(db, "CREATE TEMP TABLE IF NOT EXISTS tl_scope (ip TEXT, lo INTEGER, hi INTEGER); "
		    "DELETE FROM temp.tl_scope;", err))
		return NULL;
	if (sqlite3_prepare_v2(db, "INSERT INTO temp.tl_scope VALUES (?,?,?)", -1, &ins, NULL) != SQLITE_OK) {
		sqlfail(db, err, "the events to attribute again");
		return NULL;
	}
	int rc = SQLITE_DONE;
	for (size_t i = 0; i < n && rc == SQLITE_DONE; i++) {
		sqlite3_bind_text(ins, 1, scope[i].ip, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 2, scope[i].lo);
		sqlite3_bind_int64(ins, 3, scope[i].hi);
		rc = sqlite3_step(ins);
		sqlite3_reset(ins);
	}
	int bad = rc != SQLITE_DONE ? sqlfail(db, err, "the events to attribute again") : 0;
	sqlite3_finalize(ins);
	if (bad)
		return NULL;
	/* each part through an index: (src_ip, ts), (dst_ip, ts), the new files'
	 * (file_id, ...); IN gathers the ids sorted and once */
	return iter(s, B_ADDR,
		    "SELECT e.id, e.ts, e.src_ip, e.dst_ip, e.user IS NOT NULL, e.host IS NOT NULL, "
		    "e.src_host IS NOT NULL, e.dst_host IS NOT NULL, e.family FROM events e WHERE e.id IN ("
		    "SELECT x.id FROM temp.tl_scope c CROSS JOIN event_rows x ON x.src_ip = c.ip AND x.ts BETWEEN c.lo AND c.hi "
		    "UNION SELECT x.id FROM temp.tl_scope c CROSS JOIN event_rows x ON x.dst_ip = c.ip AND x.ts BETWEEN c.lo "
		    "AND c.hi UNION SELECT x.id FROM temp.tl_corr_files n CROSS JOIN event_rows x ON x.file_id = n.file_id "
		    "WHERE x.src_ip IN temp.tl_bound_ip OR x.dst_ip IN temp.tl_bound_ip) ORDER BY e.id",
		    "events to attribute again", err);
}
