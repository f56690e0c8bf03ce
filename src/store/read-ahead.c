/*
 * Reading ahead (see store-internal.h and tl_store_read_ahead() in
 * include/tl/store.h). Correlation and the entities refresh read the case's
 * events and write what they derive; on one connection the two take turns.
 * Here the reads run on a second, read-only connection in the `tl-ahead`
 * thread: it steps the same statements the caller would have and copies
 * each row into one of two batches while the caller (the writer of the
 * case) works through the other. Rows come back in the statements' order,
 * so the caller sees exactly what it would have read itself.
 *
 * A batch is one array of row structs plus one buffer of their strings; in
 * the batch a row's string pointers hold 1 + the string's offset in that
 * buffer (0: NULL), and become pointers again as the row is handed out, so
 * the buffer may move while it grows.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store-internal.h"
#include "tl/bindings.h"
#include "tl/grow.h"
#include "tl/twin.h"
#include "tl/banned.h"

#define AHEAD_ROWS 4096
#define AHEAD_BYTES (4u << 20) /* a batch's strings; one row may go past it */

/* The string members of each row: a member added to a row struct of
 * include/tl/bindings.h that points at text must be listed here, or the
 * caller would read the reader's statement memory after it moved on (the
 * size checks below fail the build as a reminder). */
static const size_t session_strs[] = {
	offsetof(struct tl_session_row, kind),	      offsetof(struct tl_session_row, user),
	offsetof(struct tl_session_row, assigned_ip), offsetof(struct tl_session_row, client_host),
	offsetof(struct tl_session_row, ended_by),    offsetof(struct tl_session_row, start_path),
	offsetof(struct tl_session_row, end_path),
};
static const size_t ident_strs[] = {
	offsetof(struct tl_ident_row, family),	   offsetof(struct tl_ident_row, format),
	offsetof(struct tl_ident_row, class),	   offsetof(struct tl_ident_row, action),
	offsetof(struct tl_ident_row, outcome),	   offsetof(struct tl_ident_row, event_code),
	offsetof(struct tl_ident_row, user),	   offsetof(struct tl_ident_row, host),
	offsetof(struct tl_ident_row, src_ip),	   offsetof(struct tl_ident_row, session_id),
	offsetof(struct tl_ident_row, logon_type), offsetof(struct tl_ident_row, initiated),
	offsetof(struct tl_ident_row, path),
};
static const size_t addr_strs[] = {
	offsetof(struct tl_addr_row, src_ip),
	offsetof(struct tl_addr_row, dst_ip),
	offsetof(struct tl_addr_row, family),
};
#if UINTPTR_MAX == 0xffffffffffffffffu
_Static_assert(sizeof(struct tl_session_row) == 7 * 8 + 2 * 4 + 8 * 8, "tl_session_row changed: see session_strs");
_Static_assert(sizeof(struct tl_ident_row) == 2 * 8 + 13 * 8 + 8, "tl_ident_row changed: see ident_strs");
_Static_assert(sizeof(struct tl_addr_row) == 2 * 8 + 2 * 8 + 4 * 4 + 8, "tl_addr_row changed: see addr_strs");
#endif

struct batch {
	unsigned char *rows;
	size_t n;
	struct tl_buf strs;
	int last;   /* the statement's end (or its error) is after this batch */
	int failed; /* ... and it was an error, in ahead->err */
};

struct tl_ahead {
	void *inner; /* the reader thread's alone once started */
	const struct tl_ahead_source *src;
	size_t row_size;
	const size_t *strs;
	size_t nstrs;
	struct tl_twin tw; /* whose turn b[i] is; tw.cur: the batch the caller reads */
	struct batch b[2];
	struct tl_err err;
	/* the caller's */
	size_t pos; /* the next row of b[tw.cur] */
	unsigned char *row; /* the row handed out */
};

/* The bindings iterators (include/tl/bindings.h) as sources. */
static int next_session(void *inner, const void **row, struct tl_err *err)
{
	const struct tl_session_row *r = NULL;
	int rc = tl_store_next_session(inner, &r, err);
	*row = r;
	return rc;
}

static int next_ident(void *inner, const void **row, struct tl_err *err)
{
	const struct tl_ident_row *r = NULL;
	int rc = tl_store_next_identity(inner, &r, err);
	*row = r;
	return rc;
}

static int next_addr(void *inner, const void **row, struct tl_err *err)
{
	const struct tl_addr_row *r = NULL;
	int rc = tl_store_next_addr(inner, &r, err);
	*row = r;
	return rc;
}

static void free_iter(void *inner)
{
	tl_bind_iter_free(inner);
}

#define NSTRS(a) (sizeof(a) / sizeof((a)[0]))
static const struct tl_ahead_source bind_sources[] = {
	[TL_AHEAD_SESSIONS] = { next_session, free_iter, sizeof(struct tl_session_row), session_strs, NSTRS(session_strs) },
	[TL_AHEAD_IDENT] = { next_ident, free_iter, sizeof(struct tl_ident_row), ident_strs, NSTRS(ident_strs) },
	[TL_AHEAD_ADDR] = { next_addr, free_iter, sizeof(struct tl_addr_row), addr_strs, NSTRS(addr_strs) },
};

/* One row into B. */
static int copy_row(struct tl_ahead *a, struct batch *b, const void *row)
{
	unsigned char *dst = b->rows + b->n * a->row_size;
	memcpy(dst, row, a->row_size);
	for (size_t i = 0; i < a->nstrs; i++) {
		const char *s;
		memcpy(&s, dst + a->strs[i], sizeof(s));
		uintptr_t v = 0;
		if (s) {
			v = (uintptr_t)b->strs.len + 1;
			if (tl_buf_add(&b->strs, s, strlen(s) + 1))
				return -1;
		}
		memcpy(dst + a->strs[i], &v, sizeof(v));
	}
	b->n++;
	return 0;
}

/* Fill B from the inner iterator until it is full or the rows end. */
static void fill(struct tl_ahead *a, struct batch *b)
{
	b->n = 0;
	tl_buf_reset(&b->strs);
	while (b->n < AHEAD_ROWS && b->strs.len < AHEAD_BYTES) {
		const void *row = NULL;
		int rc = tl_twin_stopped(&a->tw) ? 0 : a->src->next(a->inner, &row, &a->err);
		if (rc == 1 && copy_row(a, b, row)) {
			tl_errf(&a->err, "reading ahead: out of memory");
			rc = -1;
		}
		if (rc != 1) {
			b->last = 1;
			b->failed = rc < 0;
			return;
		}
	}
}

static int fill_twin(void *ctx, int i)
{
	struct tl_ahead *a = ctx;
	fill(a, &a->b[i]);
	return a->b[i].last;
}

struct tl_ahead *tl_ahead_run(const struct tl_ahead_source *src, void *inner, struct tl_err *err)
{
	struct tl_ahead *a = calloc(1, sizeof(*a));
	if (!a) {
		src->free(inner);
		tl_errf(err, "out of memory");
		return NULL;
	}
	a->inner = inner;
	a->src = src;
	a->row_size = src->row_size;
	a->strs = src->strs;
	a->nstrs = src->nstrs;
	if (!(a->row = malloc(a->row_size)))
		goto fail;
	for (int i = 0; i < 2; i++) {
		/* one row's strings may pass AHEAD_BYTES; an event is far below this */
		a->b[i].strs.max = AHEAD_BYTES + (64u << 20);
		if (!(a->b[i].rows = malloc(AHEAD_ROWS * a->row_size)))
			goto fail;
	}
	if (tl_twin_start(&a->tw, "tl-ahead", fill_twin, a) == 0)
		return a;
fail:
	for (int i = 0; i < 2; i++)
		free(a->b[i].rows);
	free(a->row);
	free(a);
	src->free(inner);
	tl_errf(err, "cannot start reading ahead");
	return NULL;
}

struct tl_ahead *tl_ahead_start(struct tl_bind_iter *inner, enum tl_ahead_kind kind, struct tl_err *err)
{
	return tl_ahead_run(&bind_sources[kind], inner, err);
}

int tl_ahead_next(struct tl_ahead *a, const void **row, struct tl_err *err)
{
	for (;;) {
		struct batch *b = a->tw.cur >= 0 ? &a->b[a->tw.cur] : NULL;
		if (b && a->pos < b->n) {
			unsigned char *r = a->row;
			memcpy(r, b->rows + a->pos * a->row_size, a->row_size);
			for (size_t i = 0; i < a->nstrs; i++) {
				uintptr_t v;
				memcpy(&v, r + a->strs[i], sizeof(v));
				const char *s = v ? b->strs.data + v - 1 : NULL;
				memcpy(r + a->strs[i], &s, sizeof(s));
			}
			a->pos++;
			*row = r;
			return 1;
		}
		if (b && b->last)
			return b->failed ? tl_errf(err, "%s", a->err.msg) : 0;
		tl_twin_next(&a->tw);
		a->pos = 0;
	}
}

void tl_ahead_free(struct tl_ahead *a)
{
	if (!a)
		return;
	tl_twin_stop(&a->tw);
	a->src->free(a->inner);
	for (int i = 0; i < 2; i++) {
		free(a->b[i].rows);
		tl_buf_release(&a->b[i].strs);
	}
	free(a->row);
	free(a);
}

/* ---- the entities refresh's scan ------------------------------------------------ */

#define ENT_VALUES 64 /* SOURCE_MAX of src/store/entities.c */

struct ent_row {
	int64_t ts;
	const char *v[ENT_VALUES];
};

struct ent_scan {
	struct tl_ahead_source src;
	size_t strs[ENT_VALUES];
	sqlite3 *db;
	sqlite3_stmt *st[2]; /* without, with the extra keys */
	sqlite3_stmt *fallback; /* the extra keys json_members is not sure of */
	const struct tl_entity_source_query *q;
	size_t lens[ENT_VALUES];
	struct tl_buf scratch; /* the extra keys' values of the row */
	int64_t *ids;
	unsigned char *with_extra;
	size_t nfiles, next_file;
	size_t n_fields, n;
	sqlite3_stmt *cur; /* reading the events of ids[next_file] */
	struct ent_row row;
};

static void ent_free(void *inner)
{
	struct ent_scan *e = inner;
	sqlite3_finalize(e->st[0]);
	sqlite3_finalize(e->st[1]);
	sqlite3_finalize(e->fallback);
	tl_buf_release(&e->scratch);
	free(e->ids);
	free(e->with_extra);
	free(e);
}

static int ent_next(void *inner, const void **row, struct tl_err *err)
{
	struct ent_scan *e = inner;
	for (;;) {
		if (e->cur) {
			int rc = sqlite3_step(e->cur);
			if (rc == SQLITE_ROW) {
				e->row.ts = sqlite3_column_int64(e->cur, 0);
				for (size_t i = 0; i < e->n_fields; i++)
					e->row.v[i] = (const char *)sqlite3_column_text(e->cur, (int)i + 1);
				/* the extra keys as tl_store_entities_scan() reads them */
				if (e->cur == e->st[1] && e->n > e->n_fields &&
				    tl_store_entities_extra(e->cur, (int)e->n_fields + 1, e->q, e->lens, e->fallback,
							    &e->scratch, e->row.v + e->n_fields, err))
					return -1;
				*row = &e->row;
				return 1;
			}
			sqlite3_reset(e->cur);
			e->cur = NULL;
			if (rc != SQLITE_DONE)
				return tl_errf(err, "case database: reading events for entities: %s", sqlite3_errmsg(e->db));
			e->next_file++;
			continue;
		}
		if (e->next_file == e->nfiles)
			return 0;
		e->cur = e->st[e->with_extra[e->next_file] ? 1 : 0];
		for (size_t i = 0; i < ENT_VALUES; i++)
			e->row.v[i] = NULL;
		sqlite3_bind_int64(e->cur, 1, e->ids[e->next_file]);
	}
}

int tl_store_entities_scan_ahead(struct tl_store *rd, sqlite3_stmt *files, const char *plain, const char *full,
				 const char *fallback, const struct tl_entity_source_query *q,
				 int (*fn)(void *ctx, const struct tl_entity_source_row *row, struct tl_err *err),
				 void *ctx, struct tl_err *err)
{
	struct ent_scan *e = calloc(1, sizeof(*e));
	size_t cap = 0;
	int frc;
	if (!e)
		return tl_errf(err, "out of memory");
	e->db = tl_store_handle(rd);
	e->n_fields = q->n_fields;
	e->n = q->n_fields + q->n_extra;
	if (e->n > ENT_VALUES) {
		ent_free(e);
		return tl_errf(err, "entities: more than %d values per event", ENT_VALUES);
	}
	/* the pending files, as the caller's transaction sees them */
	while ((frc = sqlite3_step(files)) == SQLITE_ROW) {
		if (e->nfiles == cap) {
			/* two arrays, one capacity: raised once both have grown */
			size_t ci = cap, cx = cap;
			int64_t *ids = tl_grow(e->ids, &ci, e->nfiles + 1, sizeof(*ids), 64);
			if (ids)
				e->ids = ids;
			unsigned char *x = ids ? tl_grow(e->with_extra, &cx, e->nfiles + 1, sizeof(*x), 64) : NULL;
			if (!x) {
				ent_free(e);
				return tl_errf(err, "out of memory");
			}
			e->with_extra = x;
			cap = ci;
		}
		e->ids[e->nfiles] = sqlite3_column_int64(files, 0);
		e->with_extra[e->nfiles++] = (unsigned char)sqlite3_column_int(files, 1);
	}
	if (frc != SQLITE_DONE) {
		ent_free(e);
		return tl_errf(err, "case database: reading events for entities: %s",
			       sqlite3_errmsg(sqlite3_db_handle(files)));
	}
	if (sqlite3_prepare_v2(e->db, plain, -1, &e->st[0], NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(e->db, full, -1, &e->st[1], NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(e->db, fallback, -1, &e->fallback, NULL) != SQLITE_OK) {
		tl_errf(err, "case database: reading events for entities: %s", sqlite3_errmsg(e->db));
		ent_free(e);
		return -1;
	}
	/* the keys were checked by the caller */
	e->q = q;
	e->scratch.max = (size_t)1 << 31; /* a value is at most a whole row, which SQLite held */
	for (size_t i = 0; i < q->n_extra; i++) {
		char path[256];
		snprintf(path, sizeof(path), "$.\"%s\"", q->extra_keys[i]);
		sqlite3_bind_text(e->fallback, (int)i + 2, path, -1, SQLITE_TRANSIENT);
		e->lens[i] = strlen(q->extra_keys[i]);
	}
	for (size_t i = 0; i < ENT_VALUES; i++)
		e->strs[i] = offsetof(struct ent_row, v) + i * sizeof(const char *);
	e->src = (struct tl_ahead_source){ ent_next, ent_free, sizeof(struct ent_row), e->strs, e->n };
	struct tl_ahead *a = tl_ahead_run(&e->src, e, err);
	if (!a)
		return -1;
	const void *r;
	int rc;
	while ((rc = tl_ahead_next(a, &r, err)) == 1) {
		const struct ent_row *x = r;
		struct tl_entity_source_row row = { x->ts, x->v };
		if (fn(ctx, &row, err)) {
			rc = -1;
			break;
		}
	}
	tl_ahead_free(a);
	return rc < 0 ? -1 : 0;
}
