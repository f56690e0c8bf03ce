/*
 * The entity graph's reads (include/tl/store.h, "the entity graph"): events
 * that name one value in one column, through that column's index and no
 * other way, the sessions view, and bounded counts that recognise a hub
 * (a DNS server, a proxy) before its million events are read.
 *
 * INDEXED BY makes the planner's choice a contract: if the index is missing
 * the statement fails instead of silently scanning ten million rows.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "store-internal.h"
#include "tl/banned.h"

struct tl_graph_iter {
	sqlite3 *db;
	sqlite3_stmt *st;
	sqlite3_stmt *path_st;  /* the evidence path of a file id, asked when it changes */
	sqlite3_stmt *bind_st;  /* a binding, asked once per binding a graph meets */
	struct tl_graph_binding_row bind;
	int64_t path_id;
	struct tl_buf path;
	int sessions;
	int attr; /* rows carry the attribution columns */
	struct tl_graph_row row;
	struct tl_graph_session ses;
};

static const struct {
	const char *col, *index;
} cols[] = {
	[TL_GC_ALL] = { NULL, NULL },
	[TL_GC_USER] = { "user", "events_user" },
	[TL_GC_HOST] = { "host", "events_host" },
	[TL_GC_SRC_IP] = { "src_ip", "events_src_ip" },
	[TL_GC_DST_IP] = { "dst_ip", "events_dst_ip" },
	[TL_GC_DOMAIN] = { "domain", "events_domain" },
	[TL_GC_FILE] = { "file", "events_file_path" },
	[TL_GC_PROCESS_GUID] = { "process_guid", "events_process_guid" },
	[TL_GC_PARENT_GUID] = { "parent_process_guid", "events_parent_guid" },
	[TL_GC_ATTR_USER] = { "user", "attributions_value" },
};

/* Whether the case has the attributions table (schema 6 and later). */
static int have_attributions(struct tl_store *s)
{
	sqlite3_stmt *st;
	int have = sqlite3_prepare_v2(tl_store_handle(s),
				      "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'attributions'", -1, &st,
				      NULL) == SQLITE_OK &&
		   sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return have;
}

/* FROM ... WHERE ... of Q into B; parameters: ?1 value, ?2 from, ?3 to.
 * ATTR: with each event's user attribution, joined by the attributions
 * primary key: one lookup per row (the binding is asked apart, once). */
static int where(struct tl_buf *b, const struct tl_graph_query *q, int attr, struct tl_err *err)
{
	if ((unsigned)q->col >= sizeof(cols) / sizeof(cols[0]))
		return tl_errf(err, "graph query: unknown column");
	if (q->col == TL_GC_ALL)
		tl_buf_adds(b, " FROM event_rows e");
	else if (q->col == TL_GC_ATTR_USER)
		tl_buf_adds(b, " FROM attributions ax INDEXED BY attributions_value JOIN event_rows e ON e.id = ax.event_id");
	else
		/* the base table: INDEXED BY names an index of a table, never of a view */
		tl_buf_addf(b, " FROM event_rows e INDEXED BY %s", cols[q->col].index);
	if (attr)
		tl_buf_adds(b, " LEFT JOIN attributions au ON au.event_id = e.id AND au.kind = 'user'");
	if (q->col == TL_GC_ALL)
		tl_buf_adds(b, " WHERE 1");
	else if (q->col == TL_GC_ATTR_USER)
		tl_buf_adds(b, " WHERE ax.kind = 'user' AND ax.value = ?1");
	else
		tl_buf_addf(b, " WHERE e.%s = ?1 AND e.%s IS NOT NULL", cols[q->col].col, cols[q->col].col);
	if (q->has_from)
		tl_buf_adds(b, " AND e.ts >= ?2");
	if (q->has_to)
		tl_buf_adds(b, " AND e.ts < ?3");
	return 0;
}

static int prepare(struct tl_store *s, const char *sql, const struct tl_graph_query *q, sqlite3_stmt **st,
		   struct tl_err *err)
{
	sqlite3 *db = tl_store_handle(s);
	if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK) {
		const char *m = sqlite3_errmsg(db);
		if (q->col != TL_GC_ALL && strstr(m, "no such index"))
			return tl_errf(err, "the case database lacks the index '%s': run tl ingest on the case once to "
					    "build it (evidence already ingested is not read again)",
				       cols[q->col].index);
		return tl_errf(err, "graph query: %s", m);
	}
	if (q->col != TL_GC_ALL)
		sqlite3_bind_text(*st, 1, q->value ? q->value : "", -1, SQLITE_TRANSIENT);
	if (q->has_from)
		sqlite3_bind_int64(*st, 2, q->from);
	if (q->has_to)
		sqlite3_bind_int64(*st, 3, q->to);
	return 0;
}

/* A walk reads a few hundred scattered stretches of the events table: a
 * larger page cache and a memory map save re-reading and copying pages. Set
 * on the connection once, by the first graph lookup; harmless to repeat. */
static void tune(struct tl_store *s)
{
	sqlite3_exec(tl_store_handle(s), "PRAGMA cache_size=-65536; PRAGMA mmap_size=2147483648", NULL, NULL, NULL);
}

static struct tl_graph_iter *iter_new(struct tl_store *s, const char *sql, const struct tl_graph_query *q,
				      struct tl_err *err)
{
	struct tl_graph_iter *it = calloc(1, sizeof(*it)); /* fields not read stay NULL */
	if (!it) {
		tl_errf(err, "out of memory");
		return NULL;
	}
	it->db = tl_store_handle(s);
	if (prepare(s, sql, q, &it->st, err)) {
		free(it);
		return NULL;
	}
	return it;
}

void tl_store_graph_iter_free(struct tl_graph_iter *it)
{
	if (!it)
		return;
	sqlite3_finalize(it->st);
	sqlite3_finalize(it->path_st);
	sqlite3_finalize(it->bind_st);
	tl_buf_release(&it->path);
	free(it);
}

enum { C_ID, C_TS, C_FAMILY, C_FILE_ID, C_LINE, C_EXTRA, C_FIELDS };
/* after the fields, when the case has attributions */
enum { A_USER, A_BINDING, A_VIA };

/* The fields relationships are made of (src/analysis/graph.c); the others
 * stay NULL in the row, and `extra` is read only where DNS answers live. */
static const enum tl_field_id graph_fields[] = {
	TL_F_class,	  TL_F_action,	    TL_F_outcome,	   TL_F_user,	       TL_F_host,
	TL_F_src_ip,	  TL_F_dst_ip,	    TL_F_domain,	   TL_F_url,	       TL_F_file,
	TL_F_file_name,	  TL_F_process,	    TL_F_process_guid,   TL_F_parent_process, TL_F_parent_process_guid,
	TL_F_http_method, TL_F_bytes_in,	    TL_F_bytes_out,	   TL_F_rule,
};
#define N_GRAPH_FIELDS (sizeof(graph_fields) / sizeof(graph_fields[0]))

struct tl_graph_iter *tl_store_graph_events(struct tl_store *s, const struct tl_graph_query *q, struct tl_err *err)
{
	static struct tl_store *tuned;
	if (tuned != s)
		tune(s), tuned = s;
	struct tl_buf b = TL_BUF_INIT;
	/* the path is looked up apart, once per run of rows from one file: a
	 * join would search evidence_files for every row */
	tl_buf_adds(&b, "SELECT e.id, e.ts, (SELECT family FROM event_parsers WHERE id = e.parser_id), e.file_id, e.line, "
			"CASE WHEN e.class = 'dns_activity' THEN e.extra END");
	for (size_t i = 0; i < N_GRAPH_FIELDS; i++)
		tl_buf_addf(&b, ", e.%s", tl_field_name(graph_fields[i]));
	int attr = have_attributions(s);
	if (attr)
		tl_buf_adds(&b, ", au.value, au.binding_id, au.via");
	else if (q->col == TL_GC_ATTR_USER)
		tl_buf_adds(&b, " FROM event_rows e WHERE 0"); /* nothing is attributed in a case without bindings */
	struct tl_graph_iter *it = NULL;
	if (!attr && q->col == TL_GC_ATTR_USER) {
		if (!b.data)
			tl_errf(err, "out of memory");
		else
			it = iter_new(s, b.data, &(struct tl_graph_query){ .col = TL_GC_ALL }, err);
	} else if (where(&b, q, attr, err) == 0) {
		if (!b.data)
			tl_errf(err, "out of memory");
		else
			it = iter_new(s, b.data, q, err);
	}
	tl_buf_release(&b);
	if (it) {
		it->path.max = 65536; /* an evidence path, as ingest stored it */
		it->attr = attr;
	}
	return it;
}

static const char *text(sqlite3_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(st, col);
}

static int step(struct tl_graph_iter *it, struct tl_err *err)
{
	int rc = sqlite3_step(it->st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return tl_errf(err, "graph query: %s", sqlite3_errmsg(it->db));
}

int tl_store_graph_next(struct tl_graph_iter *it, const struct tl_graph_row **row, struct tl_err *err)
{
	if (it->sessions)
		return tl_errf(err, "graph query: wrong kind of iterator");
	int rc = step(it, err);
	if (rc != 1)
		return rc;
	sqlite3_stmt *st = it->st;
	struct tl_graph_row *r = &it->row;
	r->id = sqlite3_column_int64(st, C_ID);
	r->ts = sqlite3_column_int64(st, C_TS);
	r->family = text(st, C_FAMILY);
	int64_t file_id = sqlite3_column_int64(st, C_FILE_ID);
	if (!it->path.data || file_id != it->path_id) {
		if (!it->path_st &&
		    sqlite3_prepare_v2(it->db, "SELECT path FROM evidence_files WHERE id = ?1", -1, &it->path_st, NULL) != SQLITE_OK)
			return tl_errf(err, "graph query: %s", sqlite3_errmsg(it->db));
		sqlite3_reset(it->path_st);
		sqlite3_bind_int64(it->path_st, 1, file_id);
		const char *p = sqlite3_step(it->path_st) == SQLITE_ROW ? text(it->path_st, 0) : NULL;
		tl_buf_reset(&it->path);
		if (tl_buf_adds(&it->path, p ? p : "") || !it->path.data)
			return tl_errf(err, "out of memory");
		it->path_id = file_id;
	}
	r->path = it->path.data;
	r->line = sqlite3_column_int64(st, C_LINE);
	r->extra = text(st, C_EXTRA);
	for (size_t i = 0; i < N_GRAPH_FIELDS; i++) {
		struct tl_value *v = &r->f[graph_fields[i]];
		int col = C_FIELDS + (int)i;
		v->i = 0;
		v->s = NULL;
		v->len = 0;
		switch (sqlite3_column_type(st, col)) {
		case SQLITE_NULL: v->type = TL_VALUE_NULL; continue;
		case SQLITE_INTEGER: v->type = TL_VALUE_INT; v->i = sqlite3_column_int64(st, col); break;
		default: v->type = TL_VALUE_TEXT; break;
		}
		v->s = text(st, col);
		v->len = v->s ? (size_t)sqlite3_column_bytes(st, col) : 0;
		if (!v->s)
			v->s = "";
	}
	int a = C_FIELDS + (int)N_GRAPH_FIELDS;
	r->attr_user = it->attr ? text(st, a + A_USER) : NULL;
	r->attr_binding = r->attr_user ? sqlite3_column_int64(st, a + A_BINDING) : 0;
	r->attr_via = r->attr_user ? text(st, a + A_VIA) : NULL;
	*row = r;
	return 1;
}

int tl_store_graph_binding(struct tl_graph_iter *it, int64_t id, const struct tl_graph_binding_row **row,
			   struct tl_err *err)
{
	if (!it->bind_st &&
	    sqlite3_prepare_v2(it->db,
			       "SELECT kind, source, subject, "
			       "CASE WHEN json_valid(evidence) THEN json_extract(evidence, '$[0].path') END, "
			       "CASE WHEN json_valid(evidence) THEN json_extract(evidence, '$[0].line') END "
			       "FROM bindings WHERE id = ?1",
			       -1, &it->bind_st, NULL) != SQLITE_OK)
		return tl_errf(err, "graph query: %s", sqlite3_errmsg(it->db));
	sqlite3_reset(it->bind_st);
	sqlite3_bind_int64(it->bind_st, 1, id);
	int rc = sqlite3_step(it->bind_st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return tl_errf(err, "graph query: %s", sqlite3_errmsg(it->db));
	struct tl_graph_binding_row *b = &it->bind;
	b->kind = text(it->bind_st, 0);
	b->source = text(it->bind_st, 1);
	b->subject = text(it->bind_st, 2);
	b->path = text(it->bind_st, 3);
	b->line = sqlite3_column_int64(it->bind_st, 4);
	*row = b;
	return 1;
}

int64_t tl_store_graph_count(struct tl_store *s, const struct tl_graph_query *q, int64_t max, struct tl_err *err)
{
	struct tl_buf b = TL_BUF_INIT;
	if (q->col == TL_GC_ATTR_USER && !have_attributions(s))
		return 0;
	tl_buf_adds(&b, "SELECT count(*) FROM (SELECT 1");
	if (where(&b, q, 0, err)) {
		tl_buf_release(&b);
		return -1;
	}
	tl_buf_addf(&b, " LIMIT %lld)", (long long)max + 1);
	if (!b.data)
		return tl_errf(err, "out of memory");
	sqlite3_stmt *st;
	int rc = prepare(s, b.data, q, &st, err);
	tl_buf_release(&b);
	if (rc)
		return -1;
	int64_t n = -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	else
		tl_errf(err, "graph count: %s", sqlite3_errmsg(tl_store_handle(s)));
	sqlite3_finalize(st);
	return n;
}

struct tl_graph_iter *tl_store_graph_sessions(struct tl_store *s, const struct tl_graph_query *q, struct tl_err *err)
{
	/* the view is evaluated once per graph: its window functions cannot be
	 * narrowed to one user, and it reads only the session events anyway */
	struct tl_graph_query all = { .col = TL_GC_ALL, .has_from = q->has_from, .has_to = q->has_to,
				      .from = q->from, .to = q->to };
	struct tl_buf b = TL_BUF_INIT;
	tl_buf_adds(&b, "SELECT kind, user, assigned_ip, client_host, start_us, end_us, start_file, start_line, end_file, "
			"end_line, coalesce(bytes_in, 0) + coalesce(bytes_out, 0) FROM sessions WHERE 1");
	if (q->has_from)
		tl_buf_adds(&b, " AND (end_us IS NULL OR end_us >= ?2)");
	if (q->has_to)
		tl_buf_adds(&b, " AND (start_us IS NULL OR start_us < ?3)");
	struct tl_graph_iter *it = b.data ? iter_new(s, b.data, &all, err) : NULL;
	if (!b.data)
		tl_errf(err, "out of memory");
	tl_buf_release(&b);
	if (it)
		it->sessions = 1;
	return it;
}

int tl_store_graph_next_session(struct tl_graph_iter *it, const struct tl_graph_session **row, struct tl_err *err)
{
	if (!it->sessions)
		return tl_errf(err, "graph query: wrong kind of iterator");
	int rc = step(it, err);
	if (rc != 1)
		return rc;
	sqlite3_stmt *st = it->st;
	struct tl_graph_session *r = &it->ses;
	r->kind = text(st, 0);
	r->user = text(st, 1);
	r->assigned_ip = text(st, 2);
	r->client_host = text(st, 3);
	r->has_start = sqlite3_column_type(st, 4) != SQLITE_NULL;
	r->start = sqlite3_column_int64(st, 4);
	r->has_end = sqlite3_column_type(st, 5) != SQLITE_NULL;
	r->end = sqlite3_column_int64(st, 5);
	r->start_file = text(st, 6);
	r->start_line = sqlite3_column_int64(st, 7);
	r->end_file = text(st, 8);
	r->end_line = sqlite3_column_int64(st, 9);
	r->bytes = sqlite3_column_int64(st, 10);
	*row = r;
	return 1;
}
