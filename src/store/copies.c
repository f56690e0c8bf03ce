/* The copies tables (include/tl/store-copies.h): prepared statements and nothing else. */
#define _POSIX_C_SOURCE 200809L
#include "tl/store-copies.h"

#include <stdlib.h>
#include <string.h>

#include "store-internal.h"
#include "tl/grow.h"
#include "tl/banned.h"

enum {
	Q_ANY,
	Q_FILES,
	Q_EVENTS,
	Q_EVENTS_NARROW,
	Q_EVENTS_RANGE,
	Q_EVENT_FIELDS,
	Q_FILE_FORMAT,
	Q_FILE_SEEN,
	Q_RANGES,
	Q_RANGES_DEL,
	Q_RANGE_ADD,
	Q_KEY_FIND,
	Q_KEY_ADD,
	Q_KEY_REPLACE,
	Q_GROUP_OF,
	Q_LINK,
	Q_LINK_REPLACE,
	Q_DIRTY,
	Q_DIRTY_DEL,
	Q_GROUP_COUNT,
	Q_GROUP_DEL,
	Q_GROUP_MOVE,
	Q_MEMBERS,
	Q_COUNT
};

static const char *const sql[Q_COUNT] = {
	[Q_ANY] = "SELECT 1 FROM copies LIMIT 1",
	[Q_FILES] = "SELECT f.id, f.first_ts, f.last_ts, k.file_id IS NOT NULL, s.file_id IS NOT NULL, s.self, s.families "
		    "FROM evidence_files f LEFT JOIN copy_files k ON k.file_id = f.id "
		    "LEFT JOIN copy_scope s ON s.file_id = f.id "
		    "WHERE f.events > 0 AND f.status IN ('done', 'partial') ORDER BY f.id",
	/* Q_EVENTS, Q_EVENTS_RANGE and Q_EVENT_FIELDS are built from the field
	 * list (events_sql, range_sql, fields_sql) */
	[Q_EVENTS_NARROW] = "SELECT id, ts, family, format, extra, seq, host, class, action, event_code "
			    "FROM events WHERE file_id = ? ORDER BY offset, id",
	[Q_FILE_FORMAT] = "SELECT format FROM events WHERE file_id = ? ORDER BY offset, id LIMIT 1",
	/* the file's event ids from its runs (one file is stored in one piece) */
	[Q_FILE_SEEN] = "INSERT OR REPLACE INTO copy_files (file_id, first_event, last_event) "
			"SELECT ?1, min(first_id), max(last_id) FROM event_runs WHERE file_id = ?1 HAVING count(*) > 0",
	[Q_RANGES] = "SELECT file_id, ts_from, ts_to FROM copy_ranges ORDER BY file_id, ts_from",
	[Q_RANGES_DEL] = "DELETE FROM copy_ranges WHERE file_id = ?",
	[Q_RANGE_ADD] = "INSERT INTO copy_ranges (file_id, ts_from, ts_to) VALUES (?, ?, ?)",
	/* the join drops a key whose event is gone */
	[Q_KEY_FIND] = "SELECT k.event_id, e.file_id, e.ts, k.key_check FROM copy_keys k JOIN events e ON e.id = k.event_id "
		       "WHERE k.key = ? ORDER BY k.event_id LIMIT ?",
	/* a row is added with a plain INSERT, and replaced only when the event
	 * already has one (add_or_replace): SQLite runs every INSERT OR REPLACE
	 * into an indexed table under a statement journal, which writes each
	 * page the row touches to a temporary file first (5x the cost) */
	[Q_KEY_ADD] = "INSERT INTO copy_keys (event_id, key, key_check) VALUES (?, ?, ?)",
	[Q_KEY_REPLACE] = "INSERT OR REPLACE INTO copy_keys (event_id, key, key_check) VALUES (?, ?, ?)",
	[Q_GROUP_OF] = "SELECT occurrence_id FROM copies WHERE event_id = ?",
	[Q_LINK] = "INSERT INTO copies (event_id, occurrence_id, basis) VALUES (?, ?, ?)",
	[Q_LINK_REPLACE] = "INSERT OR REPLACE INTO copies (event_id, occurrence_id, basis) VALUES (?, ?, ?)",
	[Q_DIRTY] = "SELECT occurrence_id FROM copy_dirty ORDER BY occurrence_id LIMIT 1",
	[Q_DIRTY_DEL] = "DELETE FROM copy_dirty WHERE occurrence_id = ?",
	[Q_GROUP_COUNT] = "SELECT count(*), min(event_id), sum(event_id = ?1) FROM copies WHERE occurrence_id = ?1",
	[Q_GROUP_DEL] = "DELETE FROM copies WHERE occurrence_id = ?",
	[Q_GROUP_MOVE] = "UPDATE copies SET occurrence_id = ? WHERE occurrence_id = ?",
	[Q_MEMBERS] = "SELECT e.id, e.ts, f.path, e.line, e.offset, e.length, e.raw_sha256, c.basis "
		      "FROM copies c JOIN events e ON e.id = c.event_id JOIN evidence_files f ON f.id = e.file_id "
		      "WHERE c.occurrence_id = ? ORDER BY e.ts, f.path, e.offset",
};

struct tl_copies_db {
	sqlite3 *db;
	sqlite3_stmt *st[Q_COUNT];
	struct tl_copy_member m;
	struct tl_event_row row;
	char events_sql[2048], range_sql[2048], fields_sql[2048];
	int narrow; /* the rows read are Q_EVENTS_NARROW's */
	int cur;    /* the statement the rows are read from */
};

static int fail(struct tl_copies_db *c, struct tl_err *err, const char *what)
{
	return tl_errf(err, "copies: %s: %s", what, sqlite3_errmsg(c->db));
}

/* The statement Q, reset and ready to bind. */
static sqlite3_stmt *stmt(struct tl_copies_db *c, int q, struct tl_err *err)
{
	const char *text = q == Q_EVENTS	   ? c->events_sql
			   : q == Q_EVENTS_RANGE ? c->range_sql
			   : q == Q_EVENT_FIELDS ? c->fields_sql
						 : sql[q];
	if (!c->st[q] && sqlite3_prepare_v2(c->db, text, -1, &c->st[q], NULL) != SQLITE_OK) {
		fail(c, err, "preparing a statement");
		return NULL;
	}
	sqlite3_reset(c->st[q]);
	sqlite3_clear_bindings(c->st[q]);
	return c->st[q];
}

/* Run a statement that returns no rows. */
static int run(struct tl_copies_db *c, sqlite3_stmt *st, struct tl_err *err, const char *what)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : fail(c, err, what);
}

struct tl_copies_db *tl_copies_db_open(struct tl_store *s, struct tl_err *err)
{
	struct tl_copies_db *c = calloc(1, sizeof(*c));
	if (!c) {
		tl_errf(err, "out of memory");
		return NULL;
	}
	c->db = tl_store_handle(s);
	/* the columns keying reads, no more: a timeline row has eighty */
	size_t n = (size_t)snprintf(c->events_sql, sizeof(c->events_sql), "SELECT id, ts, family, format, extra, seq");
#define TL_X_SEL(name, kind)                                                                                 \
	if (n < sizeof(c->events_sql))                                                                       \
		n += (size_t)snprintf(c->events_sql + n, sizeof(c->events_sql) - n, ", " #name);
	TL_EVENT_FIELDS(TL_X_SEL)
#undef TL_X_SEL
	/* a time range of a file: through events_ts, whose rows of other files
	 * are skipped (the unary + keeps SQLite from choosing events_file, which
	 * would read the whole file); the ties in record order, for the content
	 * ordinal */
	if (n < sizeof(c->events_sql) &&
	    (size_t)snprintf(c->range_sql, sizeof(c->range_sql), "%s%s", c->events_sql,
			     " FROM events WHERE ts BETWEEN ?2 AND ?3 AND +file_id = ?1 ORDER BY ts, offset, id") >=
		    sizeof(c->range_sql))
		n = sizeof(c->events_sql);
	if (n < sizeof(c->events_sql))
		n += (size_t)snprintf(c->events_sql + n, sizeof(c->events_sql) - n,
				      " FROM events WHERE file_id = ? ORDER BY offset, id");
	size_t m = (size_t)snprintf(c->fields_sql, sizeof(c->fields_sql), "SELECT NULL");
#define TL_X_SEL(name, kind)                                                                                 \
	if (m < sizeof(c->fields_sql))                                                                       \
		m += (size_t)snprintf(c->fields_sql + m, sizeof(c->fields_sql) - m, ", " #name);
	TL_EVENT_FIELDS(TL_X_SEL)
#undef TL_X_SEL
	if (m < sizeof(c->fields_sql))
		m += (size_t)snprintf(c->fields_sql + m, sizeof(c->fields_sql) - m, " FROM events WHERE id = ?");
	if (n >= sizeof(c->events_sql) || m >= sizeof(c->fields_sql)) {
		free(c);
		tl_errf(err, "copies: event query too long");
		return NULL;
	}
	return c;
}

void tl_copies_db_free(struct tl_copies_db *c)
{
	if (!c)
		return;
	for (int i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(c->st[i]);
	free(c);
}

int tl_copies_any(struct tl_copies_db *c, struct tl_err *err)
{
	sqlite3_stmt *st = stmt(c, Q_ANY, err);
	if (!st)
		return -1;
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : fail(c, err, "reading copies");
}

int tl_copies_files(struct tl_copies_db *c, struct tl_copy_file **files, size_t *n, struct tl_err *err)
{
	sqlite3_stmt *st = stmt(c, Q_FILES, err);
	size_t cap = 0;
	*files = NULL;
	*n = 0;
	if (!st)
		return -1;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct tl_copy_file *v = tl_grow(*files, &cap, *n + 1, sizeof(*v), 64);
		if (!v) {
			sqlite3_reset(st);
			return tl_errf(err, "out of memory");
		}
		*files = v;
		struct tl_copy_file *f = &(*files)[(*n)++];
		f->id = sqlite3_column_int64(st, 0);
		f->has_span = sqlite3_column_type(st, 1) == SQLITE_INTEGER && sqlite3_column_type(st, 2) == SQLITE_INTEGER;
		f->first_ts = sqlite3_column_int64(st, 1);
		f->last_ts = sqlite3_column_int64(st, 2);
		f->seen = sqlite3_column_int(st, 3);
		f->scoped = sqlite3_column_int(st, 4);
		f->self = sqlite3_column_int(st, 5);
		f->families = (uint64_t)sqlite3_column_int64(st, 6);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : fail(c, err, "listing files to key");
}

int tl_copies_file_scope(struct tl_store *s, int64_t file_id, int self, uint64_t families, struct tl_err *err)
{
	sqlite3 *db = tl_store_handle(s);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO copy_scope (file_id, self, families) VALUES (?, ?, ?)", -1,
			       &st, NULL) != SQLITE_OK)
		return tl_errf(err, "copies: describing a file: %s", sqlite3_errmsg(db));
	sqlite3_bind_int64(st, 1, file_id);
	sqlite3_bind_int(st, 2, self != 0);
	sqlite3_bind_int64(st, 3, (int64_t)families);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : tl_errf(err, "copies: describing a file: %s", sqlite3_errmsg(db));
}

int tl_copies_file_format(struct tl_copies_db *c, int64_t file_id, char *out, size_t cap, struct tl_err *err)
{
	sqlite3_stmt *st = stmt(c, Q_FILE_FORMAT, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, file_id);
	int rc = sqlite3_step(st);
	const char *f = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
	snprintf(out, cap, "%s", f ? f : "");
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(c, err, "reading a file's format");
}

int tl_copies_events_begin(struct tl_copies_db *c, int64_t file_id, int narrow, struct tl_err *err)
{
	sqlite3_stmt *st = stmt(c, narrow ? Q_EVENTS_NARROW : Q_EVENTS, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, file_id);
	c->row.file_id = file_id;
	c->narrow = narrow;
	c->cur = narrow ? Q_EVENTS_NARROW : Q_EVENTS;
	return 0;
}

int tl_copies_events_range(struct tl_copies_db *c, int64_t file_id, tl_us from, tl_us to, struct tl_err *err)
{
	sqlite3_stmt *st = stmt(c, Q_EVENTS_RANGE, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, file_id);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
	c->row.file_id = file_id;
	c->narrow = 0;
	c->cur = Q_EVENTS_RANGE;
	return 0;
}

/* As the timeline iterator reads a column (src/store/read.c): an integer as
 * one, everything else as its text, so that keys do not depend on the reader. */
static void value(sqlite3_stmt *st, int col, struct tl_value *v)
{
	v->i = 0;
	v->s = NULL;
	v->len = 0;
	switch (sqlite3_column_type(st, col)) {
	case SQLITE_NULL: v->type = TL_VALUE_NULL; return;
	case SQLITE_INTEGER:
		v->type = TL_VALUE_INT;
		v->i = sqlite3_column_int64(st, col);
		return;
	default: v->type = TL_VALUE_TEXT; break;
	}
	v->s = (const char *)sqlite3_column_text(st, col);
	v->len = v->s ? (size_t)sqlite3_column_bytes(st, col) : 0;
	if (!v->s)
		v->s = "";
}

int tl_copies_events_next(struct tl_copies_db *c, const struct tl_event_row **r, struct tl_err *err)
{
	sqlite3_stmt *st = c->cur ? c->st[c->cur] : NULL;
	if (!st)
		return tl_errf(err, "copies: events read before begin");
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return 0;
	}
	if (rc != SQLITE_ROW)
		return fail(c, err, "reading events to key");
	struct tl_event_row *e = &c->row;
	e->id = sqlite3_column_int64(st, 0);
	e->ts = sqlite3_column_int64(st, 1);
	value(st, 2, &e->family);
	value(st, 3, &e->format);
	value(st, 4, &e->extra);
	value(st, 5, &e->seq);
	if (c->narrow) {
		for (int i = 0; i < TL_F_COUNT; i++)
			e->f[i] = (struct tl_value){ .type = TL_VALUE_NULL };
		value(st, 6, &e->f[TL_F_host]);
		value(st, 7, &e->f[TL_F_class]);
		value(st, 8, &e->f[TL_F_action]);
		value(st, 9, &e->f[TL_F_event_code]);
	} else {
		for (int i = 0; i < TL_F_COUNT; i++)
			value(st, 6 + i, &e->f[i]);
	}
	*r = e;
	return 1;
}

int tl_copies_events_fields(struct tl_copies_db *c, struct tl_err *err)
{
	if (!c->narrow)
		return 0;
	sqlite3_stmt *st = stmt(c, Q_EVENT_FIELDS, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, c->row.id);
	if (sqlite3_step(st) != SQLITE_ROW)
		return fail(c, err, "reading an event to key");
	/* the row stays this statement's until the next event's fields are read */
	for (int i = 0; i < TL_F_COUNT; i++)
		value(st, 1 + i, &c->row.f[i]);
	return 0;
}

int tl_copies_file_seen(struct tl_copies_db *c, int64_t file_id, struct tl_err *err)
{
	sqlite3_stmt *st = stmt(c, Q_FILE_SEEN, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, file_id);
	return run(c, st, err, "marking a file keyed");
}

int tl_copies_ranges(struct tl_copies_db *c, struct tl_copy_range **r, size_t *n, struct tl_err *err)
{
	sqlite3_stmt *st = stmt(c, Q_RANGES, err);
	size_t cap = 0;
	*r = NULL;
	*n = 0;
	if (!st)
		return -1;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct tl_copy_range *v = tl_grow(*r, &cap, *n + 1, sizeof(*v), 64);
		if (!v) {
			sqlite3_reset(st);
			return tl_errf(err, "out of memory");
		}
		*r = v;
		struct tl_copy_range *x = &(*r)[(*n)++];
		x->file_id = sqlite3_column_int64(st, 0);
		x->from = sqlite3_column_int64(st, 1);
		x->to = sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : fail(c, err, "reading keyed ranges");
}

int tl_copies_ranges_set(struct tl_copies_db *c, int64_t file_id, const struct tl_copy_range *r, size_t n,
			 struct tl_err *err)
{
	sqlite3_stmt *st = stmt(c, Q_RANGES_DEL, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, file_id);
	if (run(c, st, err, "replacing keyed ranges"))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!(st = stmt(c, Q_RANGE_ADD, err)))
			return -1;
		sqlite3_bind_int64(st, 1, file_id);
		sqlite3_bind_int64(st, 2, r[i].from);
		sqlite3_bind_int64(st, 3, r[i].to);
		if (run(c, st, err, "recording a keyed range"))
			return -1;
	}
	return 0;
}

int tl_copies_key_find(struct tl_copies_db *c, int64_t key, struct tl_copy_cand *out, size_t max, size_t *n,
		       struct tl_err *err)
{
	sqlite3_stmt *st = stmt(c, Q_KEY_FIND, err);
	*n = 0;
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, key);
	sqlite3_bind_int64(st, 2, (int64_t)max);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < max) {
		out[*n].event_id = sqlite3_column_int64(st, 0);
		out[*n].file_id = sqlite3_column_int64(st, 1);
		out[*n].ts = sqlite3_column_int64(st, 2);
		out[(*n)++].check = sqlite3_column_int64(st, 3);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : fail(c, err, "finding a key");
}

/* Store the row (event id A, B, then C, or TEXT when not NULL) with the plain
 * INSERT Q, or with REPLACE, the same statement OR REPLACE, when a row of
 * that event exists: a one-row INSERT that meets its key stops before it
 * writes, and the transaction goes on. */
static int add_or_replace(struct tl_copies_db *c, int q, int replace, int64_t a, int64_t b, int64_t cv,
			  const char *text, struct tl_err *err, const char *what)
{
	for (int pass = 0; pass < 2; pass++) {
		sqlite3_stmt *st = stmt(c, pass ? replace : q, err);
		if (!st)
			return -1;
		sqlite3_bind_int64(st, 1, a);
		sqlite3_bind_int64(st, 2, b);
		if (text)
			sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
		else
			sqlite3_bind_int64(st, 3, cv);
		int rc = sqlite3_step(st);
		int ext = rc == SQLITE_DONE ? SQLITE_OK : sqlite3_extended_errcode(c->db);
		sqlite3_reset(st);
		if (rc == SQLITE_DONE)
			return 0;
		if (pass || ext != SQLITE_CONSTRAINT_PRIMARYKEY)
			return fail(c, err, what);
	}
	return 0;
}

int tl_copies_key_add(struct tl_copies_db *c, int64_t key, int64_t check, int64_t event_id, struct tl_err *err)
{
	return add_or_replace(c, Q_KEY_ADD, Q_KEY_REPLACE, event_id, key, check, NULL, err, "adding a key");
}

int tl_copies_group_of(struct tl_copies_db *c, int64_t event_id, int64_t *occurrence, struct tl_err *err)
{
	sqlite3_stmt *st = stmt(c, Q_GROUP_OF, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, event_id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*occurrence = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : fail(c, err, "reading a group");
}

int tl_copies_link(struct tl_copies_db *c, int64_t event_id, int64_t occurrence, const char *basis,
		   struct tl_err *err)
{
	return add_or_replace(c, Q_LINK, Q_LINK_REPLACE, event_id, occurrence, 0, basis, err, "linking a copy");
}

long tl_copies_regroup(struct tl_copies_db *c, struct tl_err *err)
{
	long done = 0;
	for (;;) {
		sqlite3_stmt *st = stmt(c, Q_DIRTY, err);
		if (!st)
			return -1;
		int rc = sqlite3_step(st);
		if (rc == SQLITE_DONE) {
			sqlite3_reset(st);
			return done;
		}
		if (rc != SQLITE_ROW)
			return fail(c, err, "reading groups to regroup");
		int64_t occ = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		if (!(st = stmt(c, Q_GROUP_COUNT, err)))
			return -1;
		sqlite3_bind_int64(st, 1, occ);
		if (sqlite3_step(st) != SQLITE_ROW)
			return fail(c, err, "counting a group");
		int64_t left = sqlite3_column_int64(st, 0), first = sqlite3_column_int64(st, 1);
		int has_head = sqlite3_column_int64(st, 2) > 0;
		sqlite3_reset(st);
		if (left <= 1) {
			/* one copy left is no longer a copy of anything */
			if (!(st = stmt(c, Q_GROUP_DEL, err)))
				return -1;
			sqlite3_bind_int64(st, 1, occ);
			if (run(c, st, err, "dissolving a group"))
				return -1;
		} else if (!has_head) {
			if (!(st = stmt(c, Q_GROUP_MOVE, err)))
				return -1;
			sqlite3_bind_int64(st, 1, first);
			sqlite3_bind_int64(st, 2, occ);
			if (run(c, st, err, "regrouping"))
				return -1;
		}
		if (!(st = stmt(c, Q_DIRTY_DEL, err)))
			return -1;
		sqlite3_bind_int64(st, 1, occ);
		if (run(c, st, err, "regrouping"))
			return -1;
		done++;
	}
}

int tl_copies_members_begin(struct tl_copies_db *c, int64_t occurrence, struct tl_err *err)
{
	sqlite3_stmt *st = stmt(c, Q_MEMBERS, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, occurrence);
	return 0;
}

int tl_copies_members_next(struct tl_copies_db *c, const struct tl_copy_member **m, struct tl_err *err)
{
	sqlite3_stmt *st = c->st[Q_MEMBERS];
	if (!st)
		return tl_errf(err, "copies: members read before begin");
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return 0;
	}
	if (rc != SQLITE_ROW)
		return fail(c, err, "reading copies");
	c->m.event_id = sqlite3_column_int64(st, 0);
	c->m.ts = sqlite3_column_int64(st, 1);
	c->m.path = (const char *)sqlite3_column_text(st, 2);
	c->m.line = sqlite3_column_int64(st, 3);
	c->m.offset = sqlite3_column_int64(st, 4);
	c->m.length = sqlite3_column_int64(st, 5);
	c->m.sha256 = (const char *)sqlite3_column_text(st, 6);
	c->m.basis = (const char *)sqlite3_column_text(st, 7);
	if (!c->m.path)
		c->m.path = "";
	if (!c->m.sha256)
		c->m.sha256 = "";
	if (!c->m.basis)
		c->m.basis = "";
	*m = &c->m;
	return 1;
}
