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
};

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

static struct tl_bind_writer *writer_new(struct tl_store *s, int replace, struct tl_err *err)
{
	struct tl_bind_writer *w = calloc(1, sizeof(*w));
	if (!w) {
		tl_errf(err, "out of memory");
		return NULL;
	}
	w->db = tl_store_handle(s);
	if (run(w->db,
		replace ? "SAVEPOINT tl_bindings; DELETE FROM attributions; DELETE FROM binding_conflicts; "
			  "DELETE FROM binding_rows;"
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
	return writer_new(s, 1, err);
}

struct tl_bind_writer *tl_store_bindings_append(struct tl_store *s, struct tl_err *err)
{
	return writer_new(s, 0, err);
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
	b->value = col_text(st, 3);
	b->has_start = col_has(st, 4);
	b->start = sqlite3_column_int64(st, 4);
	b->has_end = col_has(st, 5);
	b->end = sqlite3_column_int64(st, 5);
	b->end_rule = col_text(st, 6);
	b->source = col_text(st, 7);
	b->start_event = sqlite3_column_int64(st, 8);
	b->end_event = sqlite3_column_int64(st, 9);
	b->events = sqlite3_column_int64(st, 10);
	b->evidence = col_text(st, 11);
	r->attributed = sqlite3_column_int64(st, 12);
	/* a tampered database may hold NULL where tl always writes text */
	if (!b->kind)
		b->kind = "";
	if (!b->subject)
		b->subject = "";
	if (!b->value)
		b->value = "";
	if (!b->end_rule)
		b->end_rule = "";
	if (!b->source)
		b->source = "";
	if (!b->evidence)
		b->evidence = "[]";
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
