/*
 * The field conditions of struct tl_event_query (include/tl/store.h, end):
 * what tl chain's link rules ask of the store — "events whose process_guid is
 * X", "whose file is a path ending in \q4.7z", "with at least 1 MiB sent" —
 * as SQL appended to the events query of read.c. Field names come from
 * TL_EVENT_FIELDS, never from the caller's text; values are always bound.
 *
 * Not here: which conditions a rule needs (src/analysis/chain.c).
 */
#include <stdio.h>
#include <string.h>

#include "store-internal.h"
#include "tl/banned.h"

static int field_ok(const struct tl_field_match *m)
{
	return m->field >= 0 && m->field < TL_F_COUNT;
}

void tl_store_fields_where(const struct tl_event_query *q, struct tl_buf *b, int *param)
{
	for (size_t i = 0; i < q->n_fields; i++) {
		const struct tl_field_match *m = &q->fields[i];
		if (!field_ok(m)) {
			tl_buf_adds(b, " AND 0");
			continue;
		}
		const char *col = tl_field_name((enum tl_field_id)m->field);
		const char *coll = m->nocase && m->value ? " COLLATE NOCASE" : "";
		switch (m->op) {
		case TL_MATCH_EQ: tl_buf_addf(b, " AND e.%s = ?%d%s", col, (*param)++, coll); break;
		/* unary + keeps SQLite from choosing the column's index over events_ts */
		case TL_MATCH_EQ_BY_TIME: tl_buf_addf(b, " AND +e.%s = ?%d%s", col, (*param)++, coll); break;
		case TL_MATCH_GE: tl_buf_addf(b, " AND e.%s >= ?%d", col, (*param)++); break;
		case TL_MATCH_SET: tl_buf_addf(b, " AND e.%s IS NOT NULL", col); break;
		case TL_MATCH_PATH_TAIL: {
			/* the whole value, or its last component after \ or / */
			int p = (*param)++;
			if (m->nocase)
				tl_buf_addf(b, " AND (e.%s = ?%d COLLATE NOCASE OR lower(substr(e.%s, -length(?%d) - 1)) IN "
					       "('\\' || lower(?%d), '/' || lower(?%d)))", col, p, col, p, p, p);
			else
				tl_buf_addf(b, " AND (e.%s = ?%d OR substr(e.%s, -length(?%d) - 1) IN ('\\' || ?%d, '/' || "
					       "?%d))", col, p, col, p, p, p);
			break;
		}
		}
	}
}

int tl_store_fields_bind(sqlite3_stmt *st, const struct tl_event_query *q, int p)
{
	for (size_t i = 0; i < q->n_fields; i++) {
		const struct tl_field_match *m = &q->fields[i];
		if (!field_ok(m) || m->op == TL_MATCH_SET)
			continue;
		if (m->value && m->op != TL_MATCH_GE)
			sqlite3_bind_text(st, p++, m->value, -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_int64(st, p++, m->ivalue);
	}
	return p;
}

void tl_store_read_cache(struct tl_store *s, int64_t bytes)
{
	char sql[64];
	/* negative: KiB; a connection setting, so a read-only store may change it */
	snprintf(sql, sizeof(sql), "PRAGMA cache_size=%lld", -(long long)(bytes / 1024));
	sqlite3_exec(tl_store_handle(s), sql, NULL, NULL, NULL);
}

/* Pages the connection has visited, from its cache or the file. */
static int64_t pages_visited(sqlite3 *db)
{
	int hit = 0, miss = 0, hw;
	sqlite3_db_status(db, SQLITE_DBSTATUS_CACHE_HIT, &hit, &hw, 0);
	sqlite3_db_status(db, SQLITE_DBSTATUS_CACHE_MISS, &miss, &hw, 0);
	/* the counters are int: read as unsigned they last 4 G pages */
	return (int64_t)(unsigned)hit + (int64_t)(unsigned)miss;
}

/* Every BUDGET_OPS virtual-machine instructions: a page read costs far more
 * than an instruction, so pages are what is counted; the instructions only
 * say when to look. */
#define BUDGET_OPS 1000

static int budget_tick(void *ctx)
{
	struct tl_store_budget *b = ctx;
	b->used = pages_visited(tl_store_handle(b->s)) - b->base;
	if (b->used > b->max)
		b->spent = 1;
	return b->spent;
}

void tl_store_budget_begin(struct tl_store *s, struct tl_store_budget *b)
{
	b->s = s;
	b->used = 0;
	b->spent = 0;
	b->base = pages_visited(tl_store_handle(s));
	sqlite3_progress_handler(tl_store_handle(s), BUDGET_OPS, budget_tick, b);
}

void tl_store_budget_end(struct tl_store *s, struct tl_store_budget *b)
{
	sqlite3 *db = tl_store_handle(s);
	sqlite3_progress_handler(db, 0, NULL, NULL);
	b->used = pages_visited(db) - b->base;
}

int tl_store_field_present(struct tl_store *s, int field, struct tl_err *err)
{
	/* the fields whose index holds only the events that have them
	 * (store.c: partial indexes WHERE col IS NOT NULL) */
	static const int indexed[] = { TL_F_user, TL_F_host, TL_F_src_ip, TL_F_dst_ip, TL_F_domain, TL_F_file,
				       TL_F_process_guid, TL_F_parent_process_guid };
	int known = 0;
	for (size_t i = 0; i < sizeof(indexed) / sizeof(indexed[0]); i++)
		known |= indexed[i] == field;
	if (!known)
		return 2;
	char sql[160];
	const char *col = tl_field_name((enum tl_field_id)field);
	snprintf(sql, sizeof(sql), "SELECT EXISTS (SELECT 1 FROM events WHERE %s IS NOT NULL)", col);
	sqlite3 *db = tl_store_handle(s);
	sqlite3_stmt *st = NULL;
	int rc = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		rc = sqlite3_column_int(st, 0) != 0;
	else
		tl_errf(err, "case database: looking for %s: %s", col, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc;
}

int tl_store_family_present(struct tl_store *s, const char *family, struct tl_err *err)
{
	/* one family per evidence file (its format's): the first event of each
	 * file says, through events_line, without reading the others */
	sqlite3 *db = tl_store_handle(s);
	sqlite3_stmt *st = NULL;
	int rc = -1;
	if (sqlite3_prepare_v2(db,
			       "SELECT EXISTS (SELECT 1 FROM evidence_files f WHERE "
			       "(SELECT family FROM events WHERE file_id = f.id LIMIT 1) = ?1)",
			       -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_bind_text(st, 1, family, -1, SQLITE_STATIC) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		rc = sqlite3_column_int(st, 0) != 0;
	else
		tl_errf(err, "case database: looking for family '%s': %s", family, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc;
}

int64_t tl_store_field_count(struct tl_store *s, int field, const char *value, int64_t limit, struct tl_err *err)
{
	static const int indexed[] = { TL_F_user, TL_F_host, TL_F_src_ip, TL_F_dst_ip, TL_F_domain };
	int known = 0;
	for (size_t i = 0; i < sizeof(indexed) / sizeof(indexed[0]); i++)
		known |= indexed[i] == field;
	if (!known)
		return limit;
	char sql[200];
	const char *col = tl_field_name((enum tl_field_id)field);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM (SELECT 1 FROM events WHERE %s = ?1 LIMIT ?2)", col);
	sqlite3 *db = tl_store_handle(s);
	sqlite3_stmt *st = NULL;
	int64_t n = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_bind_int64(st, 2, limit) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	else
		tl_errf(err, "case database: counting %s: %s", col, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return n;
}
