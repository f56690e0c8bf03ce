/*
 * The entities tables (schema v6, docs/correlation.md#entities): the raw
 * values of the events not yet counted, handed to the caller's rules, and the
 * counts it makes of them, kept incrementally. What an entity is, and how a
 * spelling becomes canonical, is not decided here (src/analysis/entities.c).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json-members.h"
#include "store-internal.h"
#include "tl/banned.h"

/* At most this many values per scanned event (fields + extra keys). */
#define SOURCE_MAX 64

struct tl_store_entities {
	struct tl_store *s;
	sqlite3 *db;
	sqlite3_stmt *put, *alias;
};

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

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* Rows per INSERT: one statement per row would cost more in starting and
 * resetting it than in the B-tree work (measured: 3x) */
#define PUT_BATCH 64

static sqlite3_stmt *put_stmt(sqlite3 *db, size_t rows);

/* Files whose events are not counted yet; an unfinished one ("ingesting")
 * waits, since its next attempt replaces its events. */
#define PENDING_FILES                                                                                                  \
	"SELECT id FROM evidence_files WHERE status <> 'ingesting' AND id NOT IN (SELECT file_id FROM entity_files)"

struct tl_store_entities *tl_store_entities_open(struct tl_store *s, const char *config_digest, int *rebuilt,
						 struct tl_err *err)
{
	sqlite3 *db = tl_store_handle(s);
	sqlite3_stmt *st = NULL;
	*rebuilt = 0;
	struct tl_store_entities *w = calloc(1, sizeof(*w));
	if (!w) {
		tl_errf(err, "out of memory");
		return NULL;
	}
	w->s = s;
	w->db = db;
	if (run(db, "BEGIN IMMEDIATE", err)) {
		free(w);
		return NULL;
	}
	/* counts made from events that are gone, or under other aliases, cannot
	 * be corrected piecemeal: count again */
	if (sqlite3_prepare_v2(db,
			       "SELECT EXISTS (SELECT 1 FROM entity_files f WHERE f.stale OR NOT EXISTS "
			       "(SELECT 1 FROM evidence_files e WHERE e.id = f.file_id)) "
			       "OR (SELECT digest FROM entity_config) IS NOT ?",
			       -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, config_digest, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		goto fail;
	*rebuilt = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (*rebuilt) {
		if (run(db,
			"DELETE FROM entity_aliases; DELETE FROM entities; DELETE FROM entity_files; "
			"DELETE FROM entity_config;",
			err))
			goto fail_quiet;
		if (sqlite3_prepare_v2(db, "INSERT INTO entity_config (digest) VALUES (?)", -1, &st, NULL) != SQLITE_OK)
			goto fail;
		sqlite3_bind_text(st, 1, config_digest, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto fail;
		sqlite3_finalize(st);
		st = NULL;
	}
	/* url rows an older tl kept: they are read from the events now
	 * (tl_store_urls_each), and a stale count beside them would mislead */
	if (run(db,
		"DELETE FROM entity_aliases WHERE entity_id IN (SELECT id FROM entities WHERE type = 'url'); "
		"DELETE FROM entities WHERE type = 'url';",
		err))
		goto fail_quiet;
	if (!(w->put = put_stmt(db, PUT_BATCH)) ||
	    sqlite3_prepare_v2(db,
			       "INSERT INTO entity_aliases (entity_id, alias, source, events) "
			       "SELECT id, ?3, ?4, ?5 FROM entities WHERE type = ?1 AND value = ?2 "
			       "ON CONFLICT (entity_id, alias) DO UPDATE SET events = events + excluded.events, "
			       "source = CASE WHEN excluded.source = 'config' THEN 'config' ELSE source END",
			       -1, &w->alias, NULL) != SQLITE_OK)
		goto fail;
	return w;
fail:
	sqlfail(db, err, "refreshing entities");
fail_quiet:
	sqlite3_finalize(st);
	tl_store_entities_close(w, 0, NULL);
	return NULL;
}

/* The statement reading Q's values from one file's events; WITH_EXTRA adds
 * the extra column, whose keys are read in C where that is certain and
 * else by fallback_sql (json-members.h). */
static int scan_sql(const struct tl_entity_source_query *q, int with_extra, struct tl_buf *sql)
{
	tl_buf_adds(sql, "SELECT ts");
	for (size_t i = 0; i < q->n_fields; i++)
		tl_buf_addf(sql, ", %s", tl_field_name(q->fields[i]));
	if (with_extra && q->n_extra)
		tl_buf_adds(sql, ", extra");
	tl_buf_adds(sql, " FROM events WHERE file_id = ?1");
	return sql->data ? 0 : -1;
}

/* The extra keys of one extra value ?1, as SQLite reads them. */
static int fallback_sql(const struct tl_entity_source_query *q, struct tl_buf *sql)
{
	tl_buf_adds(sql, "SELECT NULL");
	for (size_t i = 0; i < q->n_extra; i++)
		/* extra nested deeper than SQLite's JSON parser goes is valid
		 * evidence, not an error: no resource from it */
		tl_buf_addf(sql, ", CASE WHEN json_valid(?1) THEN json_extract(?1, ?%zu) END", i + 2);
	return sql->data ? 0 : -1;
}

/* The extra keys of the current row of EV (extra in column COL) into V:
 * read in C into SCRATCH when json_members is sure, else by FALLBACK, whose
 * row then holds them until its next reset. */
int tl_store_entities_extra(sqlite3_stmt *ev, int col, const struct tl_entity_source_query *q, const size_t *lens,
			    sqlite3_stmt *fallback, struct tl_buf *scratch, const char **v, struct tl_err *err)
{
	struct json_member m[SOURCE_MAX];
	const char *x = (const char *)sqlite3_column_text(ev, col);
	size_t xn = x ? (size_t)sqlite3_column_bytes(ev, col) : 0;
	tl_buf_reset(scratch);
	/* every value is a piece of extra: room for all of them and their NULs
	 * first, so that the pointers handed out stay put */
	if (x && sqlite3_column_type(ev, col) == SQLITE_TEXT && tl_buf_grow(scratch, xn + q->n_extra) == 0 &&
	    json_members(x, xn, q->extra_keys, lens, q->n_extra, m)) {
		for (size_t i = 0; i < q->n_extra; i++) {
			if (!m[i].start) {
				v[i] = NULL;
				continue;
			}
			v[i] = scratch->data + scratch->len;
			tl_buf_add(scratch, m[i].start, m[i].len);
			tl_buf_addc(scratch, 0);
		}
		return 0;
	}
	sqlite3_reset(fallback);
	sqlite3_bind_value(fallback, 1, sqlite3_column_value(ev, col));
	if (sqlite3_step(fallback) != SQLITE_ROW)
		return tl_errf(err, "case database: reading events for entities: %s",
			       sqlite3_errmsg(sqlite3_db_handle(fallback)));
	for (size_t i = 0; i < q->n_extra; i++)
		v[i] = (const char *)sqlite3_column_text(fallback, (int)i + 1);
	return 0;
}

int tl_store_entities_scan(struct tl_store_entities *w, const struct tl_entity_source_query *q,
			   tl_entity_source_fn fn, void *ctx, struct tl_err *err)
{
	size_t n = q->n_fields + q->n_extra;
	if (n > SOURCE_MAX)
		return tl_errf(err, "entities: more than %d values per event", SOURCE_MAX);
	struct tl_buf plain = TL_BUF_INIT, full = TL_BUF_INIT, fb = TL_BUF_INIT, scratch = TL_BUF_INIT;
	sqlite3_stmt *files = NULL, *st[2] = { NULL, NULL }, *fallback = NULL;
	size_t lens[SOURCE_MAX];
	int rc = -1;
	if (scan_sql(q, 0, &plain) || scan_sql(q, 1, &full) || fallback_sql(q, &fb)) {
		tl_errf(err, "out of memory");
		goto cleanup;
	}
	/* one family per file (the format's): the file's first event says which */
	if (sqlite3_prepare_v2(w->db,
			       "SELECT p.id, (SELECT family FROM events WHERE file_id = p.id LIMIT 1) = ? FROM (" PENDING_FILES
			       ") p ORDER BY p.id",
			       -1, &files, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(w->db, plain.data, -1, &st[0], NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(w->db, full.data, -1, &st[1], NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(w->db, fb.data, -1, &fallback, NULL) != SQLITE_OK) {
		sqlfail(w->db, err, "reading events for entities");
		goto cleanup;
	}
	sqlite3_bind_text(files, 1, q->extra_family ? q->extra_family : "", -1, SQLITE_STATIC);
	for (size_t i = 0; i < q->n_extra; i++) {
		char path[256];
		if (strchr(q->extra_keys[i], '"') ||
		    (size_t)snprintf(path, sizeof(path), "$.\"%s\"", q->extra_keys[i]) >= sizeof(path)) {
			tl_errf(err, "entities: unusable extra key '%s'", q->extra_keys[i]);
			goto cleanup;
		}
		sqlite3_bind_text(fallback, (int)i + 2, path, -1, SQLITE_TRANSIENT);
		lens[i] = strlen(q->extra_keys[i]);
	}
	/* a value is at most a whole row, which SQLite held */
	scratch.max = (size_t)1 << 31;
	const char *v[SOURCE_MAX];
	struct tl_entity_source_row row = { 0, v };
	int frc;
	struct tl_store *rd = tl_store_reader_take(w->s);
	if (rd) {
		/* the same statements on the reader connection, in a thread of
		 * their own (read-ahead.c); the pending files are this one's */
		rc = tl_store_entities_scan_ahead(rd, files, plain.data, full.data, fb.data, q, fn, ctx, err);
		tl_store_reader_give(w->s);
		goto cleanup;
	}
	while ((frc = sqlite3_step(files)) == SQLITE_ROW) {
		int with_extra = sqlite3_column_int(files, 1) && q->n_extra;
		sqlite3_stmt *ev = st[with_extra ? 1 : 0];
		for (size_t i = q->n_fields; i < n; i++)
			v[i] = NULL;
		sqlite3_bind_int64(ev, 1, sqlite3_column_int64(files, 0));
		int erc;
		while ((erc = sqlite3_step(ev)) == SQLITE_ROW) {
			row.ts = sqlite3_column_int64(ev, 0);
			for (size_t i = 0; i < q->n_fields; i++)
				v[i] = (const char *)sqlite3_column_text(ev, (int)i + 1);
			if (with_extra && tl_store_entities_extra(ev, (int)q->n_fields + 1, q, lens, fallback, &scratch,
								  v + q->n_fields, err))
				goto cleanup;
			if (fn(ctx, &row, err))
				goto cleanup;
		}
		sqlite3_reset(ev);
		if (erc != SQLITE_DONE) {
			sqlfail(w->db, err, "reading events for entities");
			goto cleanup;
		}
	}
	if (frc != SQLITE_DONE) {
		sqlfail(w->db, err, "reading events for entities");
		goto cleanup;
	}
	rc = 0;
cleanup:
	sqlite3_finalize(files);
	sqlite3_finalize(st[0]);
	sqlite3_finalize(st[1]);
	sqlite3_finalize(fallback);
	tl_buf_release(&plain);
	tl_buf_release(&full);
	tl_buf_release(&fb);
	tl_buf_release(&scratch);
	return rc;
}

/* What tl_store_entities_open() and tl_store_entities_scan() will read,
 * read before them on the reader connection, in one read transaction: the
 * committed events as they stand when the load has committed, which nothing
 * between that and the refresh changes (the index build adds indexes only). */
int tl_store_entities_scan_early(struct tl_store *s, const char *config_digest, int *rebuilt,
				 const struct tl_entity_source_query *q, tl_entity_source_fn fn, void *ctx,
				 struct tl_err *err)
{
	struct tl_store *rd = tl_store_reader_take(s);
	if (!rd)
		return 1;
	sqlite3 *db = tl_store_handle(rd);
	struct tl_buf plain = TL_BUF_INIT, full = TL_BUF_INIT, fb = TL_BUF_INIT, files_sql = TL_BUF_INIT;
	sqlite3_stmt *st = NULL, *files = NULL;
	int rc = -1, began = 0;
	*rebuilt = 0;
	for (size_t i = 0; i < q->n_extra; i++) {
		char path[256];
		if (strchr(q->extra_keys[i], '"') ||
		    (size_t)snprintf(path, sizeof(path), "$.\"%s\"", q->extra_keys[i]) >= sizeof(path)) {
			tl_errf(err, "entities: unusable extra key '%s'", q->extra_keys[i]);
			goto done;
		}
	}
	if (q->n_fields + q->n_extra > SOURCE_MAX) {
		tl_errf(err, "entities: more than %d values per event", SOURCE_MAX);
		goto done;
	}
	if (scan_sql(q, 0, &plain) || scan_sql(q, 1, &full) || fallback_sql(q, &fb)) {
		tl_errf(err, "out of memory");
		goto done;
	}
	if (run(db, "BEGIN", err))
		goto done;
	began = 1;
	/* tl_store_entities_open()'s question, on the same snapshot */
	if (sqlite3_prepare_v2(db,
			       "SELECT EXISTS (SELECT 1 FROM entity_files f WHERE f.stale OR NOT EXISTS "
			       "(SELECT 1 FROM evidence_files e WHERE e.id = f.file_id)) "
			       "OR (SELECT digest FROM entity_config) IS NOT ?",
			       -1, &st, NULL) != SQLITE_OK) {
		sqlfail(db, err, "reading events for entities");
		goto done;
	}
	sqlite3_bind_text(st, 1, config_digest, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlfail(db, err, "reading events for entities");
		goto done;
	}
	*rebuilt = sqlite3_column_int(st, 0);
	/* a rebuild forgets every file counted: all of them are pending then */
	tl_buf_addf(&files_sql, "SELECT p.id, (SELECT family FROM events WHERE file_id = p.id LIMIT 1) = ? FROM (%s) p "
				"ORDER BY p.id",
		    *rebuilt ? "SELECT id FROM evidence_files WHERE status <> 'ingesting'" : PENDING_FILES);
	if (!files_sql.data || sqlite3_prepare_v2(db, files_sql.data, -1, &files, NULL) != SQLITE_OK) {
		sqlfail(db, err, "reading events for entities");
		goto done;
	}
	sqlite3_bind_text(files, 1, q->extra_family ? q->extra_family : "", -1, SQLITE_STATIC);
	rc = tl_store_entities_scan_ahead(rd, files, plain.data, full.data, fb.data, q, fn, ctx, err);
done:
	sqlite3_finalize(st);
	sqlite3_finalize(files);
	if (began)
		run(db, "COMMIT", NULL);
	tl_buf_release(&plain);
	tl_buf_release(&full);
	tl_buf_release(&fb);
	tl_buf_release(&files_sql);
	tl_store_reader_give(s);
	return rc;
}

static sqlite3_stmt *put_stmt(sqlite3 *db, size_t rows)
{
	struct tl_buf b = TL_BUF_INIT;
	tl_buf_adds(&b, "INSERT INTO entities (type, value, registrable, first_ts, last_ts, events) VALUES ");
	for (size_t i = 0; i < rows; i++)
		tl_buf_adds(&b, i ? ",(?,?,?,?,?,?)" : "(?,?,?,?,?,?)");
	tl_buf_adds(&b, " ON CONFLICT (type, value) DO UPDATE SET events = events + excluded.events, "
			"first_ts = CASE WHEN first_ts IS NULL OR excluded.first_ts < first_ts THEN excluded.first_ts "
			"ELSE first_ts END, "
			"last_ts = CASE WHEN last_ts IS NULL OR excluded.last_ts > last_ts THEN excluded.last_ts "
			"ELSE last_ts END, "
			"registrable = coalesce(registrable, excluded.registrable)");
	sqlite3_stmt *st = NULL;
	if (b.data)
		sqlite3_prepare_v2(db, b.data, -1, &st, NULL);
	tl_buf_release(&b);
	return st;
}

int tl_store_entities_put(struct tl_store_entities *w, const struct tl_entity_count *rows, size_t n,
			  struct tl_err *err)
{
	while (n) {
		size_t k = n < PUT_BATCH ? n : PUT_BATCH;
		sqlite3_stmt *st = k == PUT_BATCH ? w->put : put_stmt(w->db, k);
		if (!st)
			return sqlfail(w->db, err, "recording entities");
		for (size_t i = 0; i < k; i++) {
			const struct tl_entity_count *r = &rows[i];
			int p = (int)i * 6;
			sqlite3_bind_text(st, p + 1, r->type, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, p + 2, r->value, -1, SQLITE_STATIC);
			bind_text_or_null(st, p + 3, r->registrable);
			if (r->events) {
				sqlite3_bind_int64(st, p + 4, r->first_ts);
				sqlite3_bind_int64(st, p + 5, r->last_ts);
			} else {
				sqlite3_bind_null(st, p + 4);
				sqlite3_bind_null(st, p + 5);
			}
			sqlite3_bind_int64(st, p + 6, r->events);
		}
		int rc = sqlite3_step(st);
		if (st == w->put)
			sqlite3_reset(st);
		else
			sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return sqlfail(w->db, err, "recording entities");
		rows += k;
		n -= k;
	}
	return 0;
}

int tl_store_entities_alias(struct tl_store_entities *w, const char *type, const char *value, const char *alias,
			    const char *source, int64_t events, struct tl_err *err)
{
	sqlite3_stmt *st = w->alias;
	sqlite3_bind_text(st, 1, type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, alias, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, events);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sqlfail(w->db, err, "recording an entity alias");
}

int tl_store_entities_close(struct tl_store_entities *w, int commit, struct tl_err *err)
{
	if (!w)
		return 0;
	sqlite3_finalize(w->put);
	sqlite3_finalize(w->alias);
	int rc = 0;
	if (commit)
		rc = run(w->db, "INSERT INTO entity_files (file_id) " PENDING_FILES "; COMMIT", err);
	if (!commit || rc)
		run(w->db, "ROLLBACK", NULL);
	free(w);
	return rc;
}

int tl_store_entities_each(struct tl_store *s, const char *type, const char *after, const char *before,
			   tl_entity_rec_fn fn, void *ctx, struct tl_err *err)
{
	sqlite3 *db = tl_store_handle(s);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db,
			       "SELECT e.type, e.value, e.registrable, e.events, e.first_ts, e.last_ts, "
			       "(SELECT json_group_array(json_object('alias', alias, 'source', source, 'events', events)) "
			       " FROM (SELECT alias, source, events FROM entity_aliases WHERE entity_id = e.id ORDER BY alias)) "
			       "FROM entities e WHERE (?1 IS NULL OR e.type = ?1) AND (?2 IS NULL OR e.type > ?2) "
			       "AND (?3 IS NULL OR e.type < ?3) AND e.type <> 'url' ORDER BY e.type, e.value",
			       -1, &st, NULL) != SQLITE_OK)
		return sqlfail(db, err, "listing entities");
	bind_text_or_null(st, 1, type);
	bind_text_or_null(st, 2, after);
	bind_text_or_null(st, 3, before);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct tl_entity_rec r = { 0 };
		r.type = (const char *)sqlite3_column_text(st, 0);
		r.value = (const char *)sqlite3_column_text(st, 1);
		r.registrable = (const char *)sqlite3_column_text(st, 2);
		r.events = sqlite3_column_int64(st, 3);
		r.has_span = sqlite3_column_type(st, 4) != SQLITE_NULL;
		r.first_ts = sqlite3_column_int64(st, 4);
		r.last_ts = sqlite3_column_int64(st, 5);
		r.aliases = (const char *)sqlite3_column_text(st, 6);
		if (!r.aliases)
			r.aliases = "[]";
		if (fn(ctx, &r, err)) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sqlfail(db, err, "listing entities");
}

int tl_store_entity_aliases(struct tl_store *s, const char *type, const char *value, struct tl_strlist *out,
			    struct tl_err *err)
{
	sqlite3 *db = tl_store_handle(s);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db,
			       "SELECT a.alias FROM entities e LEFT JOIN entity_aliases a ON a.entity_id = e.id "
			       "WHERE e.type = ? AND e.value = ? ORDER BY a.alias",
			       -1, &st, NULL) != SQLITE_OK)
		return sqlfail(db, err, "looking up entity aliases");
	sqlite3_bind_text(st, 1, type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	int rc, found = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		found = 1;
		const char *a = (const char *)sqlite3_column_text(st, 0);
		if (a && tl_strlist_add(out, a)) {
			sqlite3_finalize(st);
			return tl_errf(err, "out of memory");
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? found : sqlfail(db, err, "looking up entity aliases");
}

/* tl_url_canon(url): the caller's canonical form, or NULL for no URL */
static void url_canon_sql(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	(void)argc;
	const tl_url_canon_fn *canon = sqlite3_user_data(cx);
	const char *raw = (const char *)sqlite3_value_text(argv[0]);
	char *out = NULL;
	if (!raw || (*canon)(raw, &out)) {
		sqlite3_result_null(cx);
		return;
	}
	sqlite3_result_text(cx, out, -1, free);
}

int tl_store_urls_each(struct tl_store *s, tl_url_canon_fn canon, const char *like, tl_url_rec_fn fn, void *ctx,
		       struct tl_err *err)
{
	sqlite3 *db = tl_store_handle(s);
	sqlite3_stmt *st = NULL;
	/* grouped by the raw text first, so that the rule runs once per distinct
	 * value; SQLite's sorter spills to disk, so no count of URLs is too many */
	const char *sql = like ? "SELECT tl_url_canon(u) AS c, u, n, f, l FROM (SELECT url AS u, count(*) AS n, min(ts) AS f, "
				 "max(ts) AS l FROM events WHERE url = ?1 COLLATE NOCASE AND length(url) <= 4096 GROUP BY url) "
				 "ORDER BY c, u"
			       : "SELECT tl_url_canon(u) AS c, u, n, f, l FROM (SELECT url AS u, count(*) AS n, min(ts) AS f, "
				 "max(ts) AS l FROM events WHERE url IS NOT NULL AND length(url) <= 4096 GROUP BY url) "
				 "ORDER BY c, u";
	if (sqlite3_create_function(db, "tl_url_canon", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, &canon, url_canon_sql,
				    NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		sqlfail(db, err, "listing url entities");
		sqlite3_create_function(db, "tl_url_canon", 1, SQLITE_UTF8, NULL, NULL, NULL, NULL);
		return -1;
	}
	if (like)
		sqlite3_bind_text(st, 1, like, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct tl_url_rec r;
		r.canon = (const char *)sqlite3_column_text(st, 0);
		if (!r.canon)
			continue; /* no URL by the rule */
		r.raw = (const char *)sqlite3_column_text(st, 1);
		r.events = sqlite3_column_int64(st, 2);
		r.first_ts = sqlite3_column_int64(st, 3);
		r.last_ts = sqlite3_column_int64(st, 4);
		if (fn(ctx, &r, err)) {
			rc = -1;
			break;
		}
	}
	if (rc != -1 && rc != SQLITE_DONE)
		sqlfail(db, err, "listing url entities");
	sqlite3_finalize(st);
	/* CANON's address lives on this stack frame: the function goes with it */
	sqlite3_create_function(db, "tl_url_canon", 1, SQLITE_UTF8, NULL, NULL, NULL, NULL);
	return rc == SQLITE_DONE ? 0 : -1;
}
