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
