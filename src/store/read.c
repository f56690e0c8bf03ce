/*
 * Reading the case database (see include/tl/store.h): events, evidence files
 * and rejects as iterators over prepared statements, the consistency check,
 * and tl sql's read-only statements with the authorizer that keeps them so.
 *
 * Every SELECT of tl lives here (or in store.c); what callers get is rows in
 * the structs of store.h, never a statement.
 */
#define _POSIX_C_SOURCE 200809L
#include "tl/store.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "store-internal.h"
#include "tl/entity.h"
#include "tl/grow.h"
#include "tl/banned.h"

struct counts;
static void counts_free(struct counts *c);

enum iter_kind { IT_EVENTS, IT_FILES, IT_REJECTS, IT_ENTITIES, IT_VALUES, IT_COUNTS };

struct tl_store_iter {
	enum iter_kind kind;
	sqlite3 *db;
	sqlite3_stmt *st;
	int core_only, count_rows, ncols;
	union {
		struct tl_event_row ev;
		struct tl_file_rec file;
		struct tl_reject_row rej;
		struct tl_entity_row ent;
		struct tl_count_row cnt;
	} row;
	char sha_hex[65];        /* IT_EVENTS: raw_sha256 as text (stored as bytes) */
	struct tl_value *values; /* IT_VALUES: ncols of them */
	struct counts *counts;   /* IT_COUNTS: the groups, counted when the iterator was made */
	struct tl_line_index *lines; /* IT_EVENTS with record_index: each record's place on its line */
};

void tl_store_iter_free(struct tl_store_iter *it)
{
	if (!it)
		return;
	sqlite3_finalize(it->st);
	counts_free(it->counts);
	tl_line_index_free(it->lines);
	free(it->values);
	free(it);
}

static struct tl_store_iter *iter_new(struct tl_store *s, enum iter_kind kind, const char *sql, const char *what,
				      struct tl_err *err)
{
	struct tl_store_iter *it = calloc(1, sizeof(*it));
	if (!it) {
		tl_errf(err, "out of memory");
		return NULL;
	}
	it->kind = kind;
	it->db = tl_store_handle(s);
	if (sqlite3_prepare_v2(it->db, sql, -1, &it->st, NULL) != SQLITE_OK) {
		tl_errf(err, "%s: %s", what, sqlite3_errmsg(it->db));
		tl_store_iter_free(it);
		return NULL;
	}
	return it;
}

/* 1 row, 0 done, -1 error; WHAT prefixes the error. */
static int step(struct tl_store_iter *it, enum iter_kind kind, const char *what, struct tl_err *err)
{
	if (it->kind != kind)
		return tl_errf(err, "%s: wrong kind of iterator", what);
	int rc = sqlite3_step(it->st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return tl_errf(err, "%s: %s", what, sqlite3_errmsg(it->db));
}

static void value(sqlite3_stmt *st, int col, int want_text, struct tl_value *v)
{
	v->i = 0;
	v->s = NULL;
	v->len = 0;
	switch (sqlite3_column_type(st, col)) {
	case SQLITE_NULL: v->type = TL_VALUE_NULL; return;
	case SQLITE_INTEGER:
		v->type = TL_VALUE_INT;
		v->i = sqlite3_column_int64(st, col);
		if (!want_text)
			return;
		break;
	default: v->type = TL_VALUE_TEXT; break;
	}
	v->s = (const char *)sqlite3_column_text(st, col);
	v->len = v->s ? (size_t)sqlite3_column_bytes(st, col) : 0;
	if (!v->s)
		v->s = "";
}

static const char *text_or_null(sqlite3_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(st, col);
}

/* ---- events ---------------------------------------------------------------- */

static const struct {
	const char *type;
	const char *cond;       /* exact */
	const char *cond_nocase; /* the default: ASCII case ignored */
} entity_cond[] = {
	{ "user", "e.user = ?", "e.user = ? COLLATE NOCASE" },
	{ "host", "e.host = ?", "e.host = ? COLLATE NOCASE" },
	{ "ip", "(e.src_ip = ?1 OR e.dst_ip = ?1)", NULL },
	/* a domain and its subdomains; no LIKE, so '_' and '%' in the value are literal */
	{ "domain", "(e.domain = ?1 OR substr(e.domain, -length(?1) - 1) = '.' || ?1)",
	  "(e.domain = ?1 COLLATE NOCASE OR lower(substr(e.domain, -length(?1) - 1)) = '.' || lower(?1))" },
	{ "url", "e.url = ?", NULL },
	{ "file", "(e.file = ?1 OR e.file_name = ?1)", NULL },
	{ "process", "(e.process = ?1 OR substr(e.process, -length(?1) - 1) IN ('\\' || ?1, '/' || ?1))", NULL },
	{ "hash", "e.file_hash = ?", NULL },
};

int tl_store_entity_type_valid(const char *type)
{
	for (size_t i = 0; i < sizeof(entity_cond) / sizeof(entity_cond[0]); i++)
		if (!strcmp(entity_cond[i].type, type))
			return 1;
	return 0;
}

/* Each condition uses its own numbered parameter so "?1" style reuse works. */
static void add_cond(struct tl_buf *q, const char *cond, int param)
{
	for (const char *c = cond; *c; c++) {
		if (*c == '?') {
			tl_buf_addf(q, "?%d", param);
			if (c[1] == '1')
				c++;
		} else {
			tl_buf_addc(q, *c);
		}
	}
}

/* With ATTR_PARAM (> 0), a user or host also matches the events attributed
 * to it (schema v6): the canonical value is bound to that parameter. */
static void entity_sql(struct tl_buf *b, const struct tl_entity *en, int exact, int param, int attr_param)
{
	if (attr_param > 0) {
		tl_buf_adds(b, "(");
		entity_sql(b, en, exact, param, 0);
		tl_buf_addf(b, " OR e.id IN (SELECT a.event_id FROM attributions a WHERE a.kind = '%s' AND a.value = ?%d))",
			    !strcmp(en->type, "user") ? "user" : "host", attr_param);
		return;
	}
	/* an address block: "10.0.0.0/8", "2001:db8::/32" */
	if (!strcmp(en->type, "ip") && strchr(en->value, '/')) {
		add_cond(b, "(tl_cidr(e.src_ip, ?1) OR tl_cidr(e.dst_ip, ?1))", param);
		return;
	}
	for (size_t k = 0; k < sizeof(entity_cond) / sizeof(entity_cond[0]); k++)
		if (!strcmp(entity_cond[k].type, en->type))
			add_cond(b, !exact && entity_cond[k].cond_nocase ? entity_cond[k].cond_nocase : entity_cond[k].cond,
				 param);
}

/* Which optional tables the database has: annotations (v5), bindings (v6). */
enum { HAVE_ANNOTATIONS = 1, HAVE_BINDINGS = 2 };

static int have_tables(struct tl_store *s)
{
	sqlite3_stmt *st;
	int have = tl_store_has_annotations(s) ? HAVE_ANNOTATIONS : 0;
	if (sqlite3_prepare_v2(tl_store_handle(s),
			       "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'attributions'", -1, &st,
			       NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		have |= HAVE_BINDINGS;
	sqlite3_finalize(st);
	return have;
}

/* An entity pivot that takes attributed events in. */
static int pivot_attributed(const struct tl_event_query *q, int have, const struct tl_entity *en)
{
	return q->attributed && (have & HAVE_BINDINGS) && (!strcmp(en->type, "user") || !strcmp(en->type, "host"));
}

/* Columns selected, in this order. */
enum {
	C_TS, C_LINE, C_OFFSET, C_FILE_ID, C_SEQ, C_INDICATOR, C_PATH, C_LENGTH, C_SHA, C_ID, C_LINE_POS, C_LINE_N,
	C_CORE, C_TS_RAW = C_CORE, C_TS_RULE, C_TS_SKEW, C_FAMILY, C_FORMAT, C_EXTRA, C_PARSER, C_PVER, C_TAGS,
	C_FIELDS
};

/* One arm of an entity pivot: the events whose COL is VALUE byte for byte,
 * a subset of what the entity matches (exact or not, attributed or not),
 * read in time order through the index events_COL (col, ts). */
struct arm {
	const char *col;
	const char *value;
};

/* The WHERE clause of Q (after FROM events e JOIN evidence_files f); the
 * parameters are numbered from *PARAM on, bound by bind_where() in order.
 * With ARM, the arm stands for the entities. */
static void build_where(const struct tl_event_query *q, int annotations, const struct arm *arm, struct tl_buf *b,
			int *param)
{
	tl_buf_adds(b, " WHERE 1");
	if (q->has_from)
		tl_buf_addf(b, " AND e.ts >= ?%d", (*param)++);
	if (q->has_to)
		tl_buf_addf(b, " AND e.ts < ?%d", (*param)++);
	if (q->file_id)
		tl_buf_addf(b, " AND e.file_id = ?%d", (*param)++);
	if (q->event_id)
		tl_buf_addf(b, " AND e.id = ?%d", (*param)++);
	if (q->has_offset_min)
		tl_buf_addf(b, " AND e.offset >= ?%d", (*param)++);
	if (q->has_offset_max)
		tl_buf_addf(b, " AND e.offset < ?%d", (*param)++);
	if (arm) {
		tl_buf_addf(b, " AND e.%s = ?%d", arm->col, (*param)++);
	} else if (q->n_entities) {
		tl_buf_adds(b, " AND (");
		for (size_t i = 0; i < q->n_entities; i++) {
			if (i)
				tl_buf_adds(b, " OR ");
			int p = (*param)++;
			entity_sql(b, &q->entities[i], q->exact, p,
				   pivot_attributed(q, annotations, &q->entities[i]) ? (*param)++ : 0);
		}
		tl_buf_adds(b, ")");
	}
	size_t counts[4] = { q->n_families, q->n_formats, q->n_outcomes, q->n_actions };
	/* family and format are the event's parser's (schema v11): the few
	 * matching event_parsers ids are gathered once, and the query stays
	 * free to start from any index of event_rows */
	const char *cols[4] = { "e.parser_id IN (SELECT id FROM event_parsers WHERE family",
				"e.parser_id IN (SELECT id FROM event_parsers WHERE format", "e.outcome",
				"e.action COLLATE NOCASE" };
	for (int l = 0; l < 4; l++) {
		if (!counts[l])
			continue;
		tl_buf_addf(b, " AND %s IN (", cols[l]);
		for (size_t i = 0; i < counts[l]; i++)
			tl_buf_addf(b, "%s?%d", i ? "," : "", (*param)++);
		tl_buf_adds(b, l < 2 ? "))" : ")");
	}
	if (q->tag) {
		if (!(annotations & HAVE_ANNOTATIONS))
			tl_buf_adds(b, " AND 0");
		else if (*q->tag)
			tl_buf_addf(b, " AND EXISTS (SELECT 1 FROM annotations a WHERE a.path = f.path AND "
				       "a.offset = e.offset AND a.tag = ?%d)", (*param)++);
		else
			tl_buf_adds(b, " AND EXISTS (SELECT 1 FROM annotations a WHERE a.path = f.path AND "
				       "a.offset = e.offset)");
	}
	tl_store_fields_where(q, b, param);
}

static int bind_where(sqlite3_stmt *st, const struct tl_event_query *q, int annotations, const struct arm *arm, int p)
{
	if (q->has_from)
		sqlite3_bind_int64(st, p++, q->from);
	if (q->has_to)
		sqlite3_bind_int64(st, p++, q->to);
	if (q->file_id)
		sqlite3_bind_int64(st, p++, q->file_id);
	if (q->event_id)
		sqlite3_bind_int64(st, p++, q->event_id);
	if (q->has_offset_min)
		sqlite3_bind_int64(st, p++, q->offset_min);
	if (q->has_offset_max)
		sqlite3_bind_int64(st, p++, q->offset_max);
	if (arm)
		sqlite3_bind_text(st, p++, arm->value, -1, SQLITE_TRANSIENT);
	for (size_t i = 0; !arm && i < q->n_entities; i++) {
		sqlite3_bind_text(st, p++, q->entities[i].value, -1, SQLITE_TRANSIENT);
		if (pivot_attributed(q, annotations, &q->entities[i])) {
			/* attributions hold canonical values; a value that is not one matches none */
			char *canon = NULL;
			enum tl_entity_type t = !strcmp(q->entities[i].type, "user") ? TL_ENT_USER : TL_ENT_HOST;
			if (q->exact)
				sqlite3_bind_text(st, p, q->entities[i].value, -1, SQLITE_TRANSIENT);
			else if (tl_entity_canon(t, q->entities[i].value, &canon, NULL) == 0 && canon)
				sqlite3_bind_text(st, p, canon, -1, SQLITE_TRANSIENT);
			else
				sqlite3_bind_null(st, p);
			free(canon);
			p++;
		}
	}
	const char *const *lists[4] = { q->families, q->formats, q->outcomes, q->actions };
	size_t counts[4] = { q->n_families, q->n_formats, q->n_outcomes, q->n_actions };
	for (int l = 0; l < 4; l++)
		for (size_t i = 0; i < counts[l]; i++)
			sqlite3_bind_text(st, p++, lists[l][i], -1, SQLITE_TRANSIENT);
	if (q->tag && (annotations & HAVE_ANNOTATIONS) && *q->tag)
		sqlite3_bind_text(st, p++, q->tag, -1, SQLITE_TRANSIENT);
	return tl_store_fields_bind(st, q, p);
}

/* BOUND (with HAS_BOUND): the page holds only events at or before it (at or
 * after it when the page is read backwards), see page_bound(). */
static void build_query(const struct tl_event_query *q, int annotations, int has_bound, tl_us bound,
			struct tl_buf *b)
{
	int param = 1;
	static const char *const order[3][2] = {
		{ "e.ts, f.path, e.offset", "e.ts DESC, f.path DESC, e.offset DESC" },
		{ "e.file_id, e.offset", "e.file_id DESC, e.offset DESC" },
		{ "e.file_id, e.ts, e.offset", "e.file_id DESC, e.ts DESC, e.offset DESC" },
	};
	/* the same orders over the columns of a subquery (tail) */
	static const char *const outer[3][2] = {
		{ "ts, path, offset", "ts DESC, path DESC, offset DESC" },
		{ "file_id, offset", "file_id DESC, offset DESC" },
		{ "file_id, ts, offset", "file_id DESC, ts DESC, offset DESC" },
	};
	int o = q->order == TL_ORDER_RECORDS ? 1 : q->order == TL_ORDER_FILE_TIME ? 2 : 0;
	int tail = q->tail && q->limit > 0;
	if (tail)
		tl_buf_adds(b, "SELECT * FROM (");
	/* C_LINE_POS, C_LINE_N: with record_index, filled from event_runs
	 * row by row (tl_store_next_event) */
	tl_buf_adds(b, "SELECT e.ts, e.line, e.offset, e.file_id, e.seq, e.indicator, f.path, e.length, e.raw_sha256, "
		       "e.id, 0, 0");
	if (!q->core_only) {
		tl_buf_adds(b, ", e.ts_raw, p.ts_rule, e.ts_skew_us, p.family, p.format, e.extra, p.parser, p.parser_version");
		if (annotations & HAVE_ANNOTATIONS)
			tl_buf_adds(b, ", (SELECT CASE WHEN count(*) THEN json_group_array(json_object('tag', t.tag, "
				       "'note', t.note)) END FROM (SELECT a.tag, a.note FROM annotations a WHERE "
				       "a.path = f.path AND a.offset = e.offset ORDER BY a.tag) t)");
		else
			tl_buf_adds(b, ", NULL");
#define TL_X_SEL(name, kind) tl_buf_adds(b, ", e." #name);
		TL_EVENT_FIELDS(TL_X_SEL)
#undef TL_X_SEL
		/* C_ATTR: per kind, the attribution and its binding (aliased: a tail
		 * query selects them again from a subquery) */
		for (int k = 0; k < 2; k++) {
			const char *a = k ? "ah" : "au", *bb = k ? "bh" : "bu";
			if (q->attribution && (annotations & HAVE_BINDINGS))
				tl_buf_addf(b, ", %s.value AS %s_value, %s.via AS %s_via, %s.via_binding_id AS %s_vb, %s.id AS %s_id, "
					       "%s.kind AS %s_kind, %s.subject AS %s_subject, %s.value AS %s_bvalue, "
					       "%s.start_ts AS %s_start, %s.end_ts AS %s_end, %s.end_rule AS %s_rule, "
					       "%s.source AS %s_source, %s.evidence AS %s_evidence",
					    a, a, a, a, a, a, bb, bb, bb, bb, bb, bb, bb, bb, bb, bb, bb, bb, bb, bb, bb, bb, bb, bb);
			else
				tl_buf_adds(b, ", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL");
		}
	}
	/* the base table, not the events view: its hash bytes are turned into
	 * hex in C, and its parser's columns come from one join */
	tl_buf_adds(b, " FROM event_rows e JOIN evidence_files f ON f.id = e.file_id");
	if (!q->core_only)
		tl_buf_adds(b, " LEFT JOIN event_parsers p ON p.id = e.parser_id");
	if (!q->core_only && q->attribution && (annotations & HAVE_BINDINGS))
		tl_buf_adds(b, " LEFT JOIN attributions au ON au.event_id = e.id AND au.kind = 'user'"
			       " LEFT JOIN bindings bu ON bu.id = au.binding_id"
			       " LEFT JOIN attributions ah ON ah.event_id = e.id AND ah.kind = 'host'"
			       " LEFT JOIN bindings bh ON bh.id = ah.binding_id");
	build_where(q, annotations, NULL, b, &param);
	if (has_bound)
		tl_buf_addf(b, " AND e.ts %s %lld", (q->reverse ^ tail) & 1 ? ">=" : "<=", (long long)bound);
	tl_buf_addf(b, " ORDER BY %s", order[o][(q->reverse ^ tail) & 1]);
	if (q->limit > 0)
		tl_buf_addf(b, " LIMIT %lld", (long long)q->limit);
	if (tail)
		tl_buf_addf(b, ") ORDER BY %s", outer[o][q->reverse & 1]);
}

/* TL_DEBUG_SQL names a file each timeline statement is appended to (tests
 * show with it that a page is bounded); a file, never stdout or stderr. */
static void debug_sql(const char *sql)
{
	const char *path = getenv("TL_DEBUG_SQL");
	FILE *f = path && *path ? fopen(path, "a") : NULL;
	if (f) {
		fprintf(f, "%s\n", sql);
		fclose(f);
	}
}

/* Whether the index events_COL delivers ts order within a value: (col, ts).
 * A case made before the indexes had ts keeps its old ones. */
static int arm_indexed(sqlite3 *db, const char *col)
{
	char name[32];
	sqlite3_stmt *st = NULL;
	snprintf(name, sizeof(name), "events_%s", col);
	int ok = sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_index_info(?1) WHERE seqno = 1 AND name = 'ts'", -1, &st,
				    NULL) == SQLITE_OK &&
		 sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return ok;
}

/* A page of an entity pivot (a limit of N rows in timeline order) would sort
 * every event of the entity before keeping N: 846k of them for a busy
 * address of a 10 M case. Each arm (src_ip = X, dst_ip = X, user = X...)
 * gives the ts of its N-th event in page order cheaply through its (col, ts)
 * index, every other filter applied; the N first events of the union are
 * all at or before the smallest of those (at or after the largest,
 * backwards), ties included, so the page query adds that bound and sorts a
 * few rows. An arm with fewer than N events, and what has no arm
 * (attributed events, address blocks, paths...), bound nothing. *BOUND is
 * set and 1 returned when some arm bounds the page. TL_PAGE_BOUND=0 turns it
 * off (the tests compare both). */
static int page_bound(struct tl_store *s, const struct tl_event_query *q, int annotations, tl_us *bound)
{
	int tail = q->tail && q->limit > 0, back = (q->reverse ^ tail) & 1, found = 0;
	const char *env = getenv("TL_PAGE_BOUND");
	if (q->limit <= 0 || !q->n_entities || q->order != TL_ORDER_TIMELINE || q->event_id || (env && !strcmp(env, "0")))
		return 0;
	sqlite3 *db = tl_store_handle(s);
	static const char *const cols[] = { "src_ip", "dst_ip", "user", "host", "domain" };
	int indexed[5] = { -1, -1, -1, -1, -1 };
	for (size_t i = 0; i < q->n_entities; i++) {
		const struct tl_entity *en = &q->entities[i];
		int c0, c1;
		if (!strcmp(en->type, "ip") && !strchr(en->value, '/'))
			c0 = 0, c1 = 2;
		else if (!strcmp(en->type, "user"))
			c0 = 2, c1 = 3;
		else if (!strcmp(en->type, "host"))
			c0 = 3, c1 = 4;
		else if (!strcmp(en->type, "domain"))
			c0 = 4, c1 = 5;
		else
			continue;
		for (int c = c0; c < c1; c++) {
			if (indexed[c] < 0)
				indexed[c] = arm_indexed(db, cols[c]);
			if (!indexed[c])
				continue;
			struct arm arm = { cols[c], en->value };
			struct tl_buf b = TL_BUF_INIT;
			int param = 1;
			sqlite3_stmt *st = NULL;
			tl_buf_adds(&b, "SELECT e.ts FROM event_rows e");
			/* as in counts: only the tag filter reads the evidence path;
			 * CROSS keeps the events first, in their index's order */
			if (q->tag)
				tl_buf_adds(&b, " CROSS JOIN evidence_files f ON f.id = e.file_id");
			build_where(q, annotations, &arm, &b, &param);
			tl_buf_addf(&b, " ORDER BY e.ts%s LIMIT 1 OFFSET %lld", back ? " DESC" : "",
				    (long long)(q->limit - 1));
			if (b.data) {
				debug_sql(b.data);
				if (sqlite3_prepare_v2(db, b.data, -1, &st, NULL) == SQLITE_OK) {
					bind_where(st, q, annotations, &arm, 1);
					if (sqlite3_step(st) == SQLITE_ROW) {
						tl_us ts = sqlite3_column_int64(st, 0);
						if (!found || (back ? ts > *bound : ts < *bound))
							*bound = ts;
						found = 1;
					}
				}
				sqlite3_finalize(st);
			}
			tl_buf_release(&b);
		}
	}
	return found;
}

struct tl_store_iter *tl_store_events(struct tl_store *s, const struct tl_event_query *q, struct tl_err *err)
{
	struct tl_buf b = TL_BUF_INIT;
	for (size_t i = 0; i < q->n_entities; i++)
		if (!tl_store_entity_type_valid(q->entities[i].type)) {
			tl_errf(err, "unknown entity type '%s'", q->entities[i].type);
			return NULL;
		}
	int annotations = have_tables(s);
	tl_us bound = 0;
	int has_bound = page_bound(s, q, annotations, &bound);
	build_query(q, annotations, has_bound, bound, &b);
	if (b.data)
		debug_sql(b.data);
	struct tl_store_iter *it = b.data ? iter_new(s, IT_EVENTS, b.data, "timeline query", err) : NULL;
	if (!b.data)
		tl_errf(err, "out of memory");
	tl_buf_release(&b);
	if (!it)
		return NULL;
	it->core_only = q->core_only;
	if (q->record_index && !(it->lines = tl_line_index_new(tl_store_handle(s), err))) {
		tl_store_iter_free(it);
		return NULL;
	}
	bind_where(it->st, q, annotations, NULL, 1);
	return it;
}

int tl_store_next_event(struct tl_store_iter *it, const struct tl_event_row **row, struct tl_err *err)
{
	int rc = step(it, IT_EVENTS, "timeline query", err);
	if (rc != 1)
		return rc;
	struct tl_event_row *r = &it->row.ev;
	sqlite3_stmt *st = it->st;
	r->ts = sqlite3_column_int64(st, C_TS);
	r->file_id = sqlite3_column_int64(st, C_FILE_ID);
	r->id = sqlite3_column_int64(st, C_ID);
	r->line_pos = sqlite3_column_int64(st, C_LINE_POS);
	r->line_records = sqlite3_column_int64(st, C_LINE_N);
	if (it->lines && tl_line_index_place(it->lines, r->file_id, sqlite3_column_int64(st, C_LINE), r->id,
					     sqlite3_column_int64(st, C_OFFSET), &r->line_pos, &r->line_records, err))
		return -1;
	value(st, C_LINE, 0, &r->line);
	value(st, C_OFFSET, 0, &r->offset);
	value(st, C_SEQ, 0, &r->seq);
	value(st, C_INDICATOR, 0, &r->indicator);
	value(st, C_PATH, 0, &r->path);
	value(st, C_LENGTH, 0, &r->length);
	if (sqlite3_column_type(st, C_SHA) == SQLITE_BLOB && sqlite3_column_bytes(st, C_SHA) == 32) {
		/* as the events view shows it: lower-case hex */
		tl_store_sha_hex(sqlite3_column_blob(st, C_SHA), it->sha_hex);
		r->sha256.type = TL_VALUE_TEXT;
		r->sha256.i = 0;
		r->sha256.s = it->sha_hex;
		r->sha256.len = 64;
	} else {
		value(st, C_SHA, 0, &r->sha256);
	}
	r->tags.type = TL_VALUE_NULL;
	if (!it->core_only) {
		value(st, C_TS_RAW, 0, &r->ts_raw);
		value(st, C_TS_RULE, 0, &r->ts_rule);
		value(st, C_TS_SKEW, 0, &r->ts_skew_us);
		value(st, C_FAMILY, 0, &r->family);
		value(st, C_FORMAT, 0, &r->format);
		value(st, C_EXTRA, 0, &r->extra);
		value(st, C_PARSER, 0, &r->parser);
		value(st, C_PVER, 0, &r->parser_version);
		value(st, C_TAGS, 0, &r->tags);
		for (int i = 0; i < TL_F_COUNT; i++)
			value(st, C_FIELDS + i, 0, &r->f[i]);
		struct tl_event_attribution *at[2] = { &r->attr_user, &r->attr_host };
		for (int k = 0; k < 2; k++) {
			struct tl_value *v[12] = { &at[k]->value, &at[k]->via, &at[k]->via_binding, &at[k]->id,
						   &at[k]->kind, &at[k]->subject, &at[k]->bvalue, &at[k]->start,
						   &at[k]->end, &at[k]->end_rule, &at[k]->source, &at[k]->evidence };
			for (int i = 0; i < 12; i++)
				value(st, C_FIELDS + TL_F_COUNT + k * 12 + i, 0, v[i]);
		}
	} else {
		memset(&r->attr_user, 0, sizeof(r->attr_user));
		memset(&r->attr_host, 0, sizeof(r->attr_host));
	}
	*row = r;
	return 1;
}

int tl_store_event_locate(struct tl_store *s, const char *path, int64_t line, int64_t n, int64_t *id,
			  struct tl_err *err)
{
	sqlite3 *db = tl_store_handle(s);
	sqlite3_stmt *st;
	/* the N-th record of the line in offset order, through event_runs */
	if (sqlite3_prepare_v2(db, "SELECT id FROM evidence_files WHERE path = ?1", -1, &st, NULL) != SQLITE_OK)
		return tl_errf(err, "event lookup: %s", sqlite3_errmsg(db));
	sqlite3_bind_text(st, 1, path, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	int64_t file_id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? 0 : tl_errf(err, "event lookup: %s", sqlite3_errmsg(db));
	struct tl_line_index *x = tl_line_index_new(db, err);
	if (!x)
		return -1;
	int ret = tl_line_index_nth(x, file_id, line, n > 0 ? n : 1, id, err);
	tl_line_index_free(x);
	return ret;
}

/* ---- counts -------------------------------------------------------------------- */

static const struct {
	const char *name;
	const char *expr;
} count_keys[] = {
	{ "hour", "(e.ts - (e.ts % 3600000000)) - CASE WHEN e.ts % 3600000000 < 0 THEN 3600000000 ELSE 0 END" },
	{ "day", "(e.ts - (e.ts % 86400000000)) - CASE WHEN e.ts % 86400000000 < 0 THEN 86400000000 ELSE 0 END" },
	{ "family", "p.family" },     { "format", "p.format" },	  { "class", "e.class" },
	{ "user", "e.user" },	      { "host", "e.host" },	  { "src_ip", "e.src_ip" },
	{ "dst_ip", "e.dst_ip" },     { "dst_port", "e.dst_port" }, { "domain", "e.domain" },
	{ "action", "e.action" },     { "outcome", "e.outcome" },	  { "file", "e.file" },
};

int tl_store_count_key_valid(const char *key)
{
	for (size_t i = 0; i < sizeof(count_keys) / sizeof(count_keys[0]); i++)
		if (!strcmp(count_keys[i].name, key))
			return 1;
	return 0;
}

/* Counting groups in a hash table while the rows stream in: SQLite's GROUP BY
 * sorts every row first, which on 1 M events costs more than the scan. */
struct group {
	char *key;                /* the key values serialized (the hash key) */
	size_t key_len;
	struct tl_value v[TL_COUNT_KEYS_MAX]; /* text points into key */
	int64_t events;
	tl_us first, last;
};
#define GROUPS_MAX 5000000 /* distinct key combinations; evidence can make any number */

struct counts {
	struct group *g;
	size_t n, cap;
	size_t *slot; /* open addressing: index + 1, 0 empty */
	size_t nslot;
	size_t next;  /* iteration */
	int nkeys;
};

static uint64_t hash_bytes(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
	return h;
}

static int value_cmp(const struct tl_value *a, const struct tl_value *b)
{
	/* SQLite's order: NULL, then numbers, then text (bytewise) */
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	if (a->type == TL_VALUE_INT)
		return a->i < b->i ? -1 : a->i > b->i;
	if (a->type == TL_VALUE_NULL)
		return 0;
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->s, b->s, n);
	return c ? c : a->len < b->len ? -1 : a->len > b->len;
}

static int nkeys_sort;
static int group_cmp(const void *x, const void *y)
{
	const struct group *a = x, *b = y;
	for (int i = 0; i < nkeys_sort; i++) {
		int c = value_cmp(&a->v[i], &b->v[i]);
		if (c)
			return c;
	}
	return 0;
}

static void counts_free(struct counts *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->g[i].key);
	free(c->g);
	free(c->slot);
	free(c);
}

static int counts_grow(struct counts *c)
{
	size_t nslot = c->nslot ? c->nslot * 2 : 1024;
	size_t *slot = calloc(nslot, sizeof(*slot));
	if (!slot)
		return -1;
	for (size_t i = 0; i < c->n; i++) {
		size_t h = (size_t)hash_bytes(c->g[i].key, c->g[i].key_len) & (nslot - 1);
		while (slot[h])
			h = (h + 1) & (nslot - 1);
		slot[h] = i + 1;
	}
	free(c->slot);
	c->slot = slot;
	c->nslot = nslot;
	return 0;
}

/* Add one row (its key values in columns 0..nkeys-1, ts after them). */
static int counts_add(struct counts *c, sqlite3_stmt *st, struct tl_buf *key, struct tl_err *err)
{
	tl_buf_reset(key);
	struct tl_value v[TL_COUNT_KEYS_MAX];
	for (int i = 0; i < c->nkeys; i++) {
		value(st, i, 0, &v[i]);
		tl_buf_addc(key, (char)('0' + v[i].type));
		if (v[i].type == TL_VALUE_INT)
			tl_buf_add(key, &v[i].i, sizeof(v[i].i));
		else if (v[i].type == TL_VALUE_TEXT) {
			uint64_t l = v[i].len;
			tl_buf_add(key, &l, sizeof(l));
			tl_buf_add(key, v[i].s, v[i].len);
			tl_buf_addc(key, 0); /* a row's text is NUL-terminated (store.h) */
		}
	}
	tl_us ts = sqlite3_column_int64(st, c->nkeys);
	if (!key->data)
		return tl_errf(err, "out of memory");
	if ((c->n + 1) * 2 > c->nslot && counts_grow(c))
		return tl_errf(err, "out of memory");
	size_t h = (size_t)hash_bytes(key->data, key->len) & (c->nslot - 1);
	while (c->slot[h]) {
		struct group *g = &c->g[c->slot[h] - 1];
		if (g->key_len == key->len && !memcmp(g->key, key->data, key->len)) {
			g->events++;
			if (ts < g->first)
				g->first = ts;
			if (ts > g->last)
				g->last = ts;
			return 0;
		}
		h = (h + 1) & (c->nslot - 1);
	}
	if (c->n >= GROUPS_MAX)
		return tl_errf(err, "counts: more than %d groups; count by fewer or coarser keys", GROUPS_MAX);
	struct group *grown = tl_grow(c->g, &c->cap, c->n + 1, sizeof(*grown), 256);
	if (!grown)
		return tl_errf(err, "out of memory");
	c->g = grown;
	struct group *g = &c->g[c->n];
	memset(g, 0, sizeof(*g));
	if (!(g->key = malloc(key->len)))
		return tl_errf(err, "out of memory");
	memcpy(g->key, key->data, key->len);
	g->key_len = key->len;
	/* the values, re-pointed into the stored key */
	size_t at = 0;
	for (int i = 0; i < c->nkeys; i++) {
		g->v[i].type = v[i].type;
		at++;
		if (v[i].type == TL_VALUE_INT) {
			g->v[i].i = v[i].i;
			at += sizeof(int64_t);
		} else if (v[i].type == TL_VALUE_TEXT) {
			at += sizeof(uint64_t);
			g->v[i].s = g->key + at;
			g->v[i].len = v[i].len;
			at += v[i].len + 1;
		}
	}
	g->events = 1;
	g->first = g->last = ts;
	c->slot[h] = ++c->n;
	return 0;
}

struct tl_store_iter *tl_store_counts(struct tl_store *s, const struct tl_event_query *q, const char *const *by,
				      size_t n_by, struct tl_err *err)
{
	if (n_by < 1 || n_by > TL_COUNT_KEYS_MAX) {
		tl_errf(err, "counts: between 1 and %d keys", TL_COUNT_KEYS_MAX);
		return NULL;
	}
	int annotations = have_tables(s), param = 1;
	struct tl_buf b = TL_BUF_INIT;
	tl_buf_adds(&b, "SELECT ");
	for (size_t i = 0; i < n_by; i++) {
		size_t k = 0;
		while (k < sizeof(count_keys) / sizeof(count_keys[0]) && strcmp(count_keys[k].name, by[i]))
			k++;
		if (k == sizeof(count_keys) / sizeof(count_keys[0])) {
			tl_errf(err, "unknown count key '%s'", by[i]);
			tl_buf_release(&b);
			return NULL;
		}
		tl_buf_addf(&b, "%s, ", count_keys[k].expr);
	}
	/* the parser's join is left out by SQLite when no key reads it */
	tl_buf_adds(&b, "e.ts FROM event_rows e LEFT JOIN event_parsers p ON p.id = e.parser_id");
	/* the join is only needed by filters that read the evidence path */
	if (q->tag)
		tl_buf_adds(&b, " JOIN evidence_files f ON f.id = e.file_id");
	build_where(q, annotations, NULL, &b, &param);
	struct tl_store_iter *it = b.data ? iter_new(s, IT_COUNTS, b.data, "counts", err) : NULL;
	if (!b.data)
		tl_errf(err, "out of memory");
	tl_buf_release(&b);
	if (!it)
		return NULL;
	struct counts *c = calloc(1, sizeof(*c));
	struct tl_buf key = TL_BUF_INIT;
	int rc = c ? 0 : tl_errf(err, "out of memory");
	if (c)
		c->nkeys = (int)n_by;
	bind_where(it->st, q, annotations, NULL, 1);
	while (!rc && (rc = step(it, IT_COUNTS, "counts", err)) == 1)
		rc = counts_add(c, it->st, &key, err);
	tl_buf_release(&key);
	if (rc < 0) {
		counts_free(c);
		tl_store_iter_free(it);
		return NULL;
	}
	nkeys_sort = c->nkeys;
	qsort(c->g, c->n, sizeof(*c->g), group_cmp);
	it->counts = c;
	it->ncols = (int)n_by;
	return it;
}

int tl_store_next_count(struct tl_store_iter *it, const struct tl_count_row **row, struct tl_err *err)
{
	if (it->kind != IT_COUNTS || !it->counts)
		return tl_errf(err, "counts: wrong kind of iterator");
	struct counts *c = it->counts;
	if (c->next >= c->n)
		return 0;
	struct group *g = &c->g[c->next++];
	struct tl_count_row *r = &it->row.cnt;
	memset(r, 0, sizeof(*r));
	for (int i = 0; i < c->nkeys; i++)
		r->key[i] = g->v[i];
	r->events = g->events;
	r->first_ts = g->first;
	r->last_ts = g->last;
	*row = r;
	return 1;
}

/* ---- annotations --------------------------------------------------------------- */

/* When an annotation was made (kept in the case, never written into an output). */
static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int exec_bound(struct tl_store *s, const char *sql, const char *const *text, int ntext, const int64_t *ints,
		      int nints, const char *what, struct tl_err *err)
{
	sqlite3 *db = tl_store_handle(s);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return tl_errf(err, "%s: %s", what, sqlite3_errmsg(db));
	int p = 1;
	for (int i = 0; i < ntext; i++)
		if (text[i])
			sqlite3_bind_text(st, p++, text[i], -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_null(st, p++);
	for (int i = 0; i < nints; i++)
		sqlite3_bind_int64(st, p++, ints[i]);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : tl_errf(err, "%s: %s", what, sqlite3_errmsg(db));
}

int tl_store_tag_add(struct tl_store *s, const char *path, int64_t offset, const char *sha256, const char *tag,
		     const char *note, struct tl_err *err)
{
	const char *text[4] = { path, sha256, tag, note };
	int64_t ints[2] = { offset, now_us() };
	return exec_bound(s,
			  "INSERT INTO annotations (path, raw_sha256, tag, note, offset, created) VALUES (?,?,?,?,?,?) "
			  "ON CONFLICT (path, offset, tag) DO UPDATE SET note = excluded.note, "
			  "raw_sha256 = excluded.raw_sha256",
			  text, 4, ints, 2, "tag", err);
}

int tl_store_search_save(struct tl_store *s, const char *name, const char *args, struct tl_err *err)
{
	const char *text[2] = { name, args };
	int64_t ints[1] = { now_us() };
	return exec_bound(s, "INSERT OR REPLACE INTO saved_searches (name, args, created) VALUES (?,?,?)", text, 2,
			  ints, 1, "saved search", err);
}

int tl_store_search_get(struct tl_store *s, const char *name, struct tl_buf *out, struct tl_err *err)
{
	if (!tl_store_has_annotations(s))
		return 0;
	sqlite3 *db = tl_store_handle(s);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT args FROM saved_searches WHERE name = ?", -1, &st, NULL) != SQLITE_OK)
		return tl_errf(err, "saved search: %s", sqlite3_errmsg(db));
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st), ret;
	if (rc == SQLITE_ROW)
		ret = tl_buf_adds(out, (const char *)sqlite3_column_text(st, 0)) ? tl_errf(err, "out of memory") : 1;
	else
		ret = rc == SQLITE_DONE ? 0 : tl_errf(err, "saved search: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return ret;
}

/* ---- SQL functions ------------------------------------------------------------- */

/* ADDR inside the block CIDR ("10.0.0.0/8", "2001:db8::/32")? */
static int in_cidr(const char *addr, const char *cidr)
{
	char net[64];
	const char *slash = strchr(cidr, '/');
	if (!addr || !slash || (size_t)(slash - cidr) >= sizeof(net))
		return 0;
	memcpy(net, cidr, (size_t)(slash - cidr));
	net[slash - cidr] = 0;
	unsigned char a[16], n[16];
	int fam = strchr(net, ':') ? AF_INET6 : AF_INET, len = fam == AF_INET6 ? 16 : 4;
	if (inet_pton(fam, net, n) != 1 || inet_pton(fam, addr, a) != 1)
		return 0;
	char *end;
	long bits = strtol(slash + 1, &end, 10);
	if (*end || end == slash + 1 || bits < 0 || bits > len * 8)
		return 0;
	for (int i = 0; i < len && bits > 0; i++, bits -= 8) {
		unsigned mask = bits >= 8 ? 0xffu : (0xffu << (8 - bits)) & 0xffu;
		if ((a[i] & mask) != (n[i] & mask))
			return 0;
	}
	return 1;
}

static void fn_cidr(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqlite3_result_int(ctx, in_cidr((const char *)sqlite3_value_text(argv[0]),
					(const char *)sqlite3_value_text(argv[1])));
}

/* Value + 1 of each lower-case hex digit, 0 for any other byte. */
static const unsigned char unhex_digit[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4,   ['4'] = 5,   ['5'] = 6,   ['6'] = 7,   ['7'] = 8,
	['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
};

int tl_store_sha_unhex(const char *hex, size_t len, unsigned char out[32])
{
	unsigned char b[32];
	if (!hex || len != 64)
		return -1;
	/* by table, with no branch per digit: the digits of a hash are random,
	 * and a digit-or-letter branch was mispredicted for every other one
	 * (once per stored event) */
	unsigned bad = 0;
	for (size_t i = 0; i < 32; i++) {
		unsigned hi = unhex_digit[(unsigned char)hex[2 * i]], lo = unhex_digit[(unsigned char)hex[2 * i + 1]];
		bad |= (hi - 1) | (lo - 1);
		b[i] = (unsigned char)((hi - 1) << 4 | (lo - 1));
	}
	if (bad > 15)
		return -1;
	memcpy(out, b, sizeof(b));
	return 0;
}

void tl_store_sha_hex(const unsigned char *sha, char out[65])
{
	static const char digits[] = "0123456789abcdef";
	for (int i = 0; i < 32; i++) {
		out[2 * i] = digits[sha[i] >> 4];
		out[2 * i + 1] = digits[sha[i] & 15];
	}
	out[64] = 0;
}

/* The migration to v11 stores each event's hash as bytes; a value that is
 * not a lower-case hex SHA-256 (a hand-edited database) stays as it was, so
 * the events view shows it unchanged. */
static void fn_unhex(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	unsigned char sha[32];
	const char *t = sqlite3_value_type(argv[0]) == SQLITE_TEXT ? (const char *)sqlite3_value_text(argv[0]) : NULL;
	if (t && tl_store_sha_unhex(t, (size_t)sqlite3_value_bytes(argv[0]), sha) == 0)
		sqlite3_result_blob(ctx, sha, sizeof(sha), SQLITE_TRANSIENT);
	else
		sqlite3_result_value(ctx, argv[0]);
}

void tl_store_functions(sqlite3 *db)
{
	sqlite3_create_function(db, "tl_unhex", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL, fn_unhex,
				NULL, NULL);
	sqlite3_create_function(db, "tl_cidr", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL, fn_cidr,
				NULL, NULL);
}

/* ---- evidence files ------------------------------------------------------------ */

enum {
	F_ID, F_PATH, F_STATUS, F_SHA, F_SIZE, F_MTIME, F_MAGIC, F_COMPRESSION, F_ENCODING, F_FORMAT, F_FVERSION,
	F_FRULE, F_CONFIDENCE, F_ERROR, F_CONTAINER, F_CSHA, F_MEMBER, F_DEFSHA, F_ORDERED, F_DETECTION, F_RECORDS,
	F_EVENTS, F_REJECTS, F_META, F_BYTES, F_MERGED, F_FIRST, F_LAST, F_STORED_EVENTS, F_STORED_REJECTS
};

struct tl_store_iter *tl_store_files(struct tl_store *s, const struct tl_file_query *q, struct tl_err *err)
{
	char sql[1024];
	snprintf(sql, sizeof(sql),
		 "SELECT id, path, status, sha256, size, mtime, magic, compression, encoding, format, format_version, "
		 "format_rule, confidence, error, container, container_sha256, member, definition_sha256, "
		 "ordered_within_us, detection, records, events, rejects, meta, bytes, merged, first_ts, last_ts%s "
		 "FROM evidence_files f%s ORDER BY path",
		 q && q->count_rows ? ", (SELECT count(*) FROM events e WHERE e.file_id = f.id), "
				      "(SELECT count(*) FROM rejects r WHERE r.file_id = f.id)"
				    : "",
		 q && q->with_events ? " WHERE events > 0" : "");
	struct tl_store_iter *it = iter_new(s, IT_FILES, sql, "evidence files", err);
	if (it)
		it->count_rows = q && q->count_rows;
	return it;
}

int tl_store_next_file(struct tl_store_iter *it, const struct tl_file_rec **row, struct tl_err *err)
{
	int rc = step(it, IT_FILES, "evidence files", err);
	if (rc != 1)
		return rc;
	struct tl_file_rec *f = &it->row.file;
	sqlite3_stmt *st = it->st;
	memset(f, 0, sizeof(*f));
	f->id = sqlite3_column_int64(st, F_ID);
	f->path = text_or_null(st, F_PATH);
	f->status = text_or_null(st, F_STATUS);
	f->sha256 = text_or_null(st, F_SHA);
	f->size = sqlite3_column_int64(st, F_SIZE);
	f->mtime = sqlite3_column_int64(st, F_MTIME);
	f->magic = text_or_null(st, F_MAGIC);
	f->compression = text_or_null(st, F_COMPRESSION);
	f->encoding = text_or_null(st, F_ENCODING);
	f->format = text_or_null(st, F_FORMAT);
	f->format_version = text_or_null(st, F_FVERSION);
	f->format_rule = text_or_null(st, F_FRULE);
	f->confidence = sqlite3_column_int(st, F_CONFIDENCE);
	f->error = text_or_null(st, F_ERROR);
	f->container = text_or_null(st, F_CONTAINER);
	f->container_sha256 = text_or_null(st, F_CSHA);
	f->member = text_or_null(st, F_MEMBER);
	f->definition_sha256 = text_or_null(st, F_DEFSHA);
	f->has_ordered_within = sqlite3_column_type(st, F_ORDERED) != SQLITE_NULL;
	f->ordered_within_us = sqlite3_column_int64(st, F_ORDERED);
	f->detection = text_or_null(st, F_DETECTION);
	f->counts.records = sqlite3_column_int64(st, F_RECORDS);
	f->counts.events = sqlite3_column_int64(st, F_EVENTS);
	f->counts.rejects = sqlite3_column_int64(st, F_REJECTS);
	f->counts.meta = sqlite3_column_int64(st, F_META);
	f->counts.bytes = sqlite3_column_int64(st, F_BYTES);
	f->counts.merged = sqlite3_column_int64(st, F_MERGED);
	f->has_first = sqlite3_column_type(st, F_FIRST) != SQLITE_NULL;
	f->has_last = sqlite3_column_type(st, F_LAST) != SQLITE_NULL;
	f->counts.first_ts = sqlite3_column_int64(st, F_FIRST);
	f->counts.last_ts = sqlite3_column_int64(st, F_LAST);
	if (it->count_rows) {
		f->stored_events = sqlite3_column_int64(st, F_STORED_EVENTS);
		f->stored_rejects = sqlite3_column_int64(st, F_STORED_REJECTS);
	}
	/* a tampered database may hold NULL where tl always writes text */
	if (!f->path)
		f->path = "";
	if (!f->status)
		f->status = "";
	if (!f->sha256)
		f->sha256 = "";
	*row = f;
	return 1;
}

int tl_store_file_unfinished(const struct tl_file_rec *f)
{
	return !strcmp(f->status, "ingesting");
}

int tl_store_file_balanced(const struct tl_file_rec *f)
{
	/* an unfinished attempt (an ingest killed, or running now) has rows but
	 * no counts yet: the next tl ingest clears and redoes it */
	if (tl_store_file_unfinished(f))
		return 1;
	const struct tl_file_counts *c = &f->counts;
	return c->records == c->events + c->rejects + c->merged && c->events == f->stored_events &&
	       c->rejects == f->stored_rejects;
}

/* ---- rejects ------------------------------------------------------------------- */

struct tl_store_iter *tl_store_rejects(struct tl_store *s, int64_t file_id, struct tl_err *err)
{
	struct tl_store_iter *it =
		iter_new(s, IT_REJECTS,
			 "SELECT r.file_id, f.path, r.line, r.offset, r.length, r.raw_sha256, r.reason, r.excerpt "
			 "FROM rejects r JOIN evidence_files f ON f.id = r.file_id WHERE ?1 = 0 OR r.file_id = ?1 "
			 "ORDER BY f.path, r.offset",
			 "rejects", err);
	if (it)
		sqlite3_bind_int64(it->st, 1, file_id);
	return it;
}

int tl_store_next_reject(struct tl_store_iter *it, const struct tl_reject_row **row, struct tl_err *err)
{
	int rc = step(it, IT_REJECTS, "rejects", err);
	if (rc != 1)
		return rc;
	struct tl_reject_row *r = &it->row.rej;
	sqlite3_stmt *st = it->st;
	r->file_id = sqlite3_column_int64(st, 0);
	r->path = text_or_null(st, 1);
	r->line = sqlite3_column_int64(st, 2);
	r->offset = sqlite3_column_int64(st, 3);
	r->length = sqlite3_column_int64(st, 4);
	r->sha256 = text_or_null(st, 5);
	r->reason = text_or_null(st, 6);
	r->excerpt = sqlite3_column_blob(st, 7);
	r->excerpt_len = (size_t)sqlite3_column_bytes(st, 7);
	*row = r;
	return 1;
}

/* ---- entities ------------------------------------------------------------------ */

/* The columns each entity type is read from (as in entity_cond). */
static const struct {
	const char *type;
	const char *cols[3];
} entity_cols[] = {
	{ "user", { "user" } },	      { "host", { "host" } },		 { "ip", { "src_ip", "dst_ip" } },
	{ "domain", { "domain" } },   { "url", { "url" } },		 { "file", { "file", "file_name" } },
	{ "process", { "process" } }, { "hash", { "file_hash" } },
};

struct tl_store_iter *tl_store_entity_values(struct tl_store *s, const char *type, struct tl_err *err)
{
	size_t k = 0;
	while (k < sizeof(entity_cols) / sizeof(entity_cols[0]) && strcmp(entity_cols[k].type, type))
		k++;
	if (k == sizeof(entity_cols) / sizeof(entity_cols[0])) {
		tl_errf(err, "unknown entity type '%s'", type);
		return NULL;
	}
	struct tl_buf b = TL_BUF_INIT;
	tl_buf_adds(&b, "SELECT v, count(*), min(ts), max(ts) FROM (");
	for (int c = 0; c < 3 && entity_cols[k].cols[c]; c++)
		tl_buf_addf(&b, "%sSELECT %s AS v, ts FROM events WHERE %s IS NOT NULL", c ? " UNION ALL " : "",
			    entity_cols[k].cols[c], entity_cols[k].cols[c]);
	tl_buf_adds(&b, ") GROUP BY v ORDER BY v");
	struct tl_store_iter *it = b.data ? iter_new(s, IT_ENTITIES, b.data, "entities", err) : NULL;
	if (!b.data)
		tl_errf(err, "out of memory");
	tl_buf_release(&b);
	return it;
}

int tl_store_next_entity(struct tl_store_iter *it, const struct tl_entity_row **row, struct tl_err *err)
{
	int rc = step(it, IT_ENTITIES, "entities", err);
	if (rc != 1)
		return rc;
	struct tl_entity_row *r = &it->row.ent;
	r->value = (const char *)sqlite3_column_text(it->st, 0);
	if (!r->value)
		r->value = "";
	r->events = sqlite3_column_int64(it->st, 1);
	r->first_ts = sqlite3_column_int64(it->st, 2);
	r->last_ts = sqlite3_column_int64(it->st, 3);
	*row = r;
	return 1;
}

/* ---- summaries and checks ---------------------------------------------------- */

int tl_store_formats_used(struct tl_store *s, struct tl_strlist *out, struct tl_err *err)
{
	sqlite3 *db = tl_store_handle(s);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT DISTINCT format FROM evidence_files WHERE format IS NOT NULL ORDER BY format",
			       -1, &st, NULL) != SQLITE_OK)
		return tl_errf(err, "formats: %s", sqlite3_errmsg(db));
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (tl_strlist_add(out, (const char *)sqlite3_column_text(st, 0))) {
			sqlite3_finalize(st);
			return tl_errf(err, "out of memory");
		}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : tl_errf(err, "formats: %s", sqlite3_errmsg(db));
}

int tl_store_check(struct tl_store *s, char *result, size_t len)
{
	sqlite3 *db = tl_store_handle(s);
	sqlite3_stmt *st;
	const char *res = NULL;
	if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		res = (const char *)sqlite3_column_text(st, 0);
	int rc = !res ? -1 : strcmp(res, "ok") ? 1 : 0;
	snprintf(result, len, "%s", res ? res : sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc;
}

/* ---- tl sql -------------------------------------------------------------------- */

/* Allow reading only: the case database is evidence of what tl did. */
static int authorizer(void *u, int action, const char *a, const char *b, const char *c, const char *d)
{
	(void)u, (void)b, (void)c, (void)d;
	switch (action) {
	case SQLITE_SELECT:
	case SQLITE_READ:
	case SQLITE_FUNCTION:
	case SQLITE_RECURSIVE:
		return SQLITE_OK;
	case SQLITE_PRAGMA:
		/* reading a pragma is fine (user_version, table_info(x)); setting one is not.
		 * table-valued pragmas pass their argument in b; assignments in b too, so
		 * only the ones that merely name a table are let through with one. */
		if (!b)
			return SQLITE_OK;
		return a && (!strcmp(a, "table_info") || !strcmp(a, "table_xinfo") || !strcmp(a, "index_list") ||
			     !strcmp(a, "index_info") || !strcmp(a, "foreign_key_list"))
			       ? SQLITE_OK : SQLITE_DENY;
	default:
		return SQLITE_DENY;
	}
}

struct tl_store_iter *tl_store_query_readonly(struct tl_store *s, const char *text, struct tl_err *err)
{
	sqlite3 *db = tl_store_handle(s);
	struct tl_store_iter *it = calloc(1, sizeof(*it));
	if (!it) {
		tl_errf(err, "out of memory");
		return NULL;
	}
	it->kind = IT_VALUES;
	it->db = db;
	/* the authorizer stays on this handle: the store is opened for one command */
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
	sqlite3_set_authorizer(db, authorizer, NULL);
	const char *tail;
	if (sqlite3_prepare_v2(db, text, -1, &it->st, &tail) != SQLITE_OK) {
		tl_errf(err, "%s", sqlite3_errmsg(db));
		goto fail;
	}
	if (!it->st || !sqlite3_stmt_readonly(it->st) || (tail && strspn(tail, " \t\r\n;") != strlen(tail))) {
		tl_errf(err, "one read-only statement, please");
		goto fail;
	}
	it->ncols = sqlite3_column_count(it->st);
	it->values = calloc((size_t)it->ncols + 1, sizeof(*it->values));
	if (!it->values) {
		tl_errf(err, "out of memory");
		goto fail;
	}
	return it;
fail:
	tl_store_iter_free(it);
	return NULL;
}

int tl_store_query_columns(const struct tl_store_iter *it)
{
	return it->ncols;
}

const char *tl_store_query_column_name(const struct tl_store_iter *it, int col)
{
	const char *n = sqlite3_column_name(it->st, col);
	return n ? n : "";
}

int tl_store_next_values(struct tl_store_iter *it, const struct tl_value **values, struct tl_err *err)
{
	int rc = sqlite3_step(it->st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return tl_errf(err, "%s", sqlite3_errmsg(it->db));
	for (int i = 0; i < it->ncols; i++)
		value(it->st, i, 1, &it->values[i]);
	*values = it->values;
	return 1;
}
