/*
 * Reading ahead (see store-internal.h and tl_store_read_ahead() in
 * include/tl/store.h). Correlation reads the case's identity and address
 * events and writes bindings and attributions; on one connection the two
 * take turns. Here the reads run on a second, read-only connection in the
 * `tl-ahead` thread: it steps the same statement the caller would have and
 * copies each row into one of two batches while the caller (the writer of
 * the case) works through the other. Rows come back in the statement's
 * order, so correlation sees exactly what it would have read itself.
 *
 * A batch is one array of row structs plus one buffer of their strings; in
 * the batch a row's string pointers hold 1 + the string's offset in that
 * buffer (0: NULL), and become pointers again as the row is handed out, so
 * the buffer may move while it grows.
 */
#define _GNU_SOURCE /* pthread_setname_np: the reader shows as its own thread in perf and top */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store-internal.h"
#include "tl/bindings.h"
#include "tl/banned.h"

#define AHEAD_ROWS 4096
#define AHEAD_BYTES (4u << 20) /* a batch's strings; one row may go past it */
#define AHEAD_ROW_MAX 512      /* bytes of the largest row struct below */

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
	struct tl_bind_iter *inner; /* the reader thread's alone once started */
	enum tl_ahead_kind kind;
	size_t row_size;
	const size_t *strs;
	size_t nstrs;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct batch b[2];
	int full[2]; /* b[i] is filled and not yet read to its end */
	int stop;    /* the caller is done: stop reading */
	struct tl_err err;
	/* the caller's */
	int cur;    /* the batch being read, -1 before the first */
	size_t pos; /* its next row */
	unsigned char row[AHEAD_ROW_MAX];
};

/* The next row of the inner iterator: 1, 0 at its end, -1 on error. */
static int inner_next(struct tl_ahead *a, const void **row, struct tl_err *err)
{
	int rc;
	switch (a->kind) {
	case TL_AHEAD_SESSIONS: {
		const struct tl_session_row *r;
		rc = tl_store_next_session(a->inner, &r, err);
		*row = r;
		return rc;
	}
	case TL_AHEAD_IDENT: {
		const struct tl_ident_row *r;
		rc = tl_store_next_identity(a->inner, &r, err);
		*row = r;
		return rc;
	}
	case TL_AHEAD_ADDR: {
		const struct tl_addr_row *r;
		rc = tl_store_next_addr(a->inner, &r, err);
		*row = r;
		return rc;
	}
	}
	return tl_errf(err, "reading ahead: unknown kind of rows");
}

static int stopped(struct tl_ahead *a)
{
	return __atomic_load_n(&a->stop, __ATOMIC_RELAXED);
}

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
		int rc = stopped(a) ? 0 : inner_next(a, &row, &a->err);
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

static void *run(void *arg)
{
	struct tl_ahead *a = arg;
	pthread_setname_np(pthread_self(), "tl-ahead");
	for (int i = 0;; i ^= 1) {
		pthread_mutex_lock(&a->mu);
		while (a->full[i] && !a->stop)
			pthread_cond_wait(&a->cv, &a->mu);
		pthread_mutex_unlock(&a->mu);
		if (stopped(a))
			break;
		fill(a, &a->b[i]);
		pthread_mutex_lock(&a->mu);
		a->full[i] = 1;
		pthread_cond_broadcast(&a->cv);
		pthread_mutex_unlock(&a->mu);
		if (a->b[i].last)
			break;
	}
	return NULL;
}

struct tl_ahead *tl_ahead_start(struct tl_bind_iter *inner, enum tl_ahead_kind kind, struct tl_err *err)
{
	struct tl_ahead *a = calloc(1, sizeof(*a));
	if (!a) {
		tl_errf(err, "out of memory");
		return NULL;
	}
	a->inner = inner;
	a->kind = kind;
	a->cur = -1;
	switch (kind) {
	case TL_AHEAD_SESSIONS:
		a->row_size = sizeof(struct tl_session_row);
		a->strs = session_strs;
		a->nstrs = sizeof(session_strs) / sizeof(session_strs[0]);
		break;
	case TL_AHEAD_IDENT:
		a->row_size = sizeof(struct tl_ident_row);
		a->strs = ident_strs;
		a->nstrs = sizeof(ident_strs) / sizeof(ident_strs[0]);
		break;
	case TL_AHEAD_ADDR:
		a->row_size = sizeof(struct tl_addr_row);
		a->strs = addr_strs;
		a->nstrs = sizeof(addr_strs) / sizeof(addr_strs[0]);
		break;
	}
	for (int i = 0; i < 2; i++) {
		/* one row's strings may pass AHEAD_BYTES; an event is far below this */
		a->b[i].strs.max = AHEAD_BYTES + (64u << 20);
		if (!(a->b[i].rows = malloc(AHEAD_ROWS * a->row_size)))
			goto fail;
	}
	if (a->row_size > AHEAD_ROW_MAX)
		goto fail;
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	if (pthread_create(&a->th, NULL, run, a) != 0) {
		pthread_mutex_destroy(&a->mu);
		pthread_cond_destroy(&a->cv);
		goto fail;
	}
	return a;
fail:
	for (int i = 0; i < 2; i++)
		free(a->b[i].rows);
	free(a);
	tl_errf(err, "cannot start reading ahead");
	return NULL;
}

int tl_ahead_next(struct tl_ahead *a, const void **row, struct tl_err *err)
{
	for (;;) {
		struct batch *b = a->cur >= 0 ? &a->b[a->cur] : NULL;
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
		int next = a->cur >= 0 ? a->cur ^ 1 : 0;
		pthread_mutex_lock(&a->mu);
		if (b) {
			/* read to its end: the reader may fill it again */
			a->full[a->cur] = 0;
			pthread_cond_broadcast(&a->cv);
		}
		while (!a->full[next])
			pthread_cond_wait(&a->cv, &a->mu);
		pthread_mutex_unlock(&a->mu);
		a->cur = next;
		a->pos = 0;
	}
}

void tl_ahead_free(struct tl_ahead *a)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->mu);
	__atomic_store_n(&a->stop, 1, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
	pthread_join(a->th, NULL);
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->cv);
	tl_bind_iter_free(a->inner);
	for (int i = 0; i < 2; i++) {
		free(a->b[i].rows);
		tl_buf_release(&a->b[i].strs);
	}
	free(a);
}
