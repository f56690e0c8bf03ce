/*
 * The writer thread (see include/tl/writer.h). Two batches ping-pong: the
 * parsing thread fills one while the writer stores the other. Each batch is
 * one byte buffer plus fixed-size items that point into it by offset, so a
 * batch costs two allocations however many events it holds.
 */
#define _GNU_SOURCE /* pthread_setname_np: the writer shows as its own thread in perf and top */
#include "tl/writer.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "store-internal.h"

#define BATCH_ITEMS 4096
#define BATCH_BYTES (8u << 20)
#define NONE UINT32_MAX

enum { SLOT_TS_RAW = TL_F_COUNT, SLOT_TS_RULE, SLOT_EXTRA, SLOT_INDICATOR, NSLOTS };
enum { SLOT_REASON = 0, SLOT_EXCERPT = 1 };

struct item {
	int is_reject;
	tl_us ts;
	int64_t skew;
	int has_seq;
	int64_t seq;
	const char *family, *format, *pver; /* owned by the format set, which outlives ingest */
	struct tl_prov pv;
	unsigned char sha[32]; /* pv.sha256 as bytes, when has_sha */
	int has_sha;
	uint32_t off[NSLOTS];
	uint32_t len[NSLOTS];
};

struct batch {
	struct item *items;
	size_t n;
	struct tl_buf data;
};

/* The events gathered for one multi-row insert (store_batch). */
struct rows {
	size_t n;
	struct tl_event ev[TL_STORE_INSERT_ROWS];
	const char *extra[TL_STORE_INSERT_ROWS];
	size_t extra_len[TL_STORE_INSERT_ROWS];
	const struct tl_prov *pv[TL_STORE_INSERT_ROWS];
	const unsigned char *sha[TL_STORE_INSERT_ROWS]; /* converted on the parsing side, or NULL */
};

struct tl_writer {
	struct tl_store *s;
	long commit_every, since_commit;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct batch b[2];
	struct batch *fill;   /* the caller's */
	struct batch *queued; /* handed over, not yet taken */
	int busy;             /* the writer is storing a batch */
	int stop;
	int failed;
	int threaded;
	struct tl_err err;
	struct tl_buf scratch; /* the caller's: extra JSON */
	struct rows rows;      /* the writer's: events of the next insert */
};

static int put(struct batch *b, struct item *it, int slot, const char *s, size_t len)
{
	if (!s) {
		it->off[slot] = 0;
		it->len[slot] = NONE;
		return 0;
	}
	if (len >= NONE || b->data.len + len >= NONE)
		return -1;
	it->off[slot] = (uint32_t)b->data.len;
	it->len[slot] = (uint32_t)len;
	return tl_buf_add(&b->data, s, len);
}

static struct tl_val get(const struct batch *b, const struct item *it, int slot)
{
	struct tl_val v = { NULL, 0 };
	if (it->len[slot] != NONE) {
		v.s = b->data.data + it->off[slot];
		v.len = it->len[slot];
	}
	return v;
}

static int flush_rows(struct tl_writer *w, struct rows *r)
{
	size_t n = r->n;
	r->n = 0;
	return n ? tl_store_add_events_sha(w->s, n, r->ev, r->extra, r->extra_len, r->pv, r->sha, &w->err) : 0;
}

static int store_batch(struct tl_writer *w, struct batch *b)
{
	struct rows *rows = &w->rows;
	if (tl_store_begin(w->s, &w->err))
		return -1;
	for (size_t i = 0; i < b->n; i++) {
		const struct item *it = &b->items[i];
		int rc;
		if (it->is_reject) {
			struct tl_val reason = get(b, it, SLOT_REASON), ex = get(b, it, SLOT_EXCERPT);
			/* the reason was stored with its NUL so it can be bound as a C string */
			rc = flush_rows(w, rows) ||
			     tl_store_add_reject(w->s, &it->pv, reason.s, ex.s ? ex.s : "", ex.len, &w->err);
		} else {
			/* the batch's bytes stay put until it is stored: the rows point into them */
			struct tl_event *ev = &rows->ev[rows->n];
			ev->ts = it->ts;
			ev->ts_skew_us = it->skew;
			ev->family = it->family;
			ev->format = it->format;
			ev->parser_version = it->pver;
			ev->ts_raw = get(b, it, SLOT_TS_RAW);
			struct tl_val rule = get(b, it, SLOT_TS_RULE), extra = get(b, it, SLOT_EXTRA);
			ev->ts_rule = rule.s;
			for (int f = 0; f < TL_F_COUNT; f++)
				ev->f[f] = get(b, it, f);
			ev->indicator = get(b, it, SLOT_INDICATOR);
			ev->has_seq = it->has_seq;
			ev->seq = it->seq;
			rows->extra[rows->n] = extra.s;
			rows->extra_len[rows->n] = extra.len;
			rows->pv[rows->n] = &it->pv;
			rows->sha[rows->n] = it->has_sha ? it->sha : NULL;
			rc = ++rows->n == TL_STORE_INSERT_ROWS ? flush_rows(w, rows) : 0;
		}
		if (rc)
			return -1;
		if (++w->since_commit >= w->commit_every) {
			w->since_commit = 0;
			if (flush_rows(w, rows) || tl_store_commit(w->s, &w->err) || tl_store_begin(w->s, &w->err))
				return -1;
		}
	}
	return flush_rows(w, rows);
}

static void *run(void *arg)
{
	struct tl_writer *w = arg;
	pthread_setname_np(pthread_self(), "tl-writer");
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->queued && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->queued)
			break;
		struct batch *b = w->queued;
		w->queued = NULL;
		w->busy = 1;
		int failed = w->failed;
		pthread_mutex_unlock(&w->mu);
		/* after a failure, batches are dropped: the caller learns at the next sync */
		int rc = failed ? 0 : store_batch(w, b);
		b->n = 0;
		tl_buf_reset(&b->data);
		pthread_mutex_lock(&w->mu);
		if (rc)
			w->failed = 1;
		w->busy = 0;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

struct tl_writer *tl_writer_new(struct tl_store *s, long commit_every, int threaded, struct tl_err *err)
{
	struct tl_writer *w = calloc(1, sizeof(*w));
	if (!w) {
		tl_errf(err, "out of memory");
		return NULL;
	}
	w->s = s;
	w->commit_every = commit_every > 0 ? commit_every : 1;
	for (int i = 0; i < 2; i++) {
		w->b[i].items = malloc(BATCH_ITEMS * sizeof(struct item));
		if (!w->b[i].items) {
			free(w->b[0].items);
			free(w);
			tl_errf(err, "out of memory");
			return NULL;
		}
	}
	w->fill = &w->b[0];
	w->threaded = threaded;
	pthread_mutex_init(&w->mu, NULL);
	if (!threaded)
		return w;
	pthread_cond_init(&w->cv, NULL);
	if (pthread_create(&w->th, NULL, run, w) != 0) {
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		free(w->b[0].items);
		free(w->b[1].items);
		free(w);
		tl_errf(err, "cannot start the database writer thread");
		return NULL;
	}
	return w;
}

/* Hand the filled batch over and take the free one; waits while the writer is behind. */
static int hand_over(struct tl_writer *w)
{
	if (!w->threaded) {
		/* one core: store the batch right here */
		if (!w->failed && w->fill->n && store_batch(w, w->fill))
			w->failed = 1;
		w->fill->n = 0;
		tl_buf_reset(&w->fill->data);
		return w->failed ? -1 : 0;
	}
	pthread_mutex_lock(&w->mu);
	while (w->queued || w->busy)
		pthread_cond_wait(&w->cv, &w->mu);
	int failed = w->failed;
	if (w->fill->n) {
		w->queued = w->fill;
		w->fill = w->fill == &w->b[0] ? &w->b[1] : &w->b[0];
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return failed ? -1 : 0;
}

static struct item *next_item(struct tl_writer *w)
{
	if ((w->fill->n == BATCH_ITEMS || w->fill->data.len >= BATCH_BYTES) && hand_over(w))
		return NULL;
	struct item *it = &w->fill->items[w->fill->n];
	memset(it, 0, sizeof(*it));
	return it;
}

int tl_writer_add_event(struct tl_writer *w, const struct tl_event *ev, const struct tl_prov *pv)
{
	struct item *it = next_item(w);
	if (!it)
		return -1;
	struct batch *b = w->fill;
	it->ts = ev->ts;
	it->skew = ev->ts_skew_us;
	it->family = ev->family;
	it->format = ev->format;
	it->pver = ev->parser_version;
	it->pv = *pv;
	if (pv->has_sha_bin) {
		memcpy(it->sha, pv->sha_bin, 32);
		it->has_sha = 1;
	} else {
		it->has_sha = tl_store_sha_unhex(pv->sha256, strlen(pv->sha256), it->sha) == 0;
	}
	it->has_seq = ev->has_seq;
	it->seq = ev->seq;
	tl_buf_reset(&w->scratch);
	int rc = tl_event_extra_json(ev, &w->scratch);
	for (int f = 0; f < TL_F_COUNT && !rc; f++)
		rc = put(b, it, f, ev->f[f].s, ev->f[f].len);
	if (!rc)
		rc = put(b, it, SLOT_TS_RAW, ev->ts_raw.s, ev->ts_raw.len);
	if (!rc)
		rc = put(b, it, SLOT_TS_RULE, ev->ts_rule ? ev->ts_rule : "", ev->ts_rule ? strlen(ev->ts_rule) + 1 : 1);
	if (!rc)
		rc = put(b, it, SLOT_INDICATOR, ev->indicator.s, ev->indicator.len);
	if (!rc)
		rc = put(b, it, SLOT_EXTRA, w->scratch.data ? w->scratch.data : "{}", w->scratch.data ? w->scratch.len : 2);
	if (rc)
		return -1;
	b->n++;
	return 0;
}

int tl_writer_add_reject(struct tl_writer *w, const struct tl_prov *pv, const char *reason, const char *excerpt,
			 size_t excerpt_len)
{
	struct item *it = next_item(w);
	if (!it)
		return -1;
	it->is_reject = 1;
	it->pv = *pv;
	if (put(w->fill, it, SLOT_REASON, reason, strlen(reason) + 1) ||
	    put(w->fill, it, SLOT_EXCERPT, excerpt, excerpt_len))
		return -1;
	w->fill->n++;
	return 0;
}

int tl_writer_sync(struct tl_writer *w, struct tl_err *err)
{
	int rc = hand_over(w);
	pthread_mutex_lock(&w->mu);
	while (w->queued || w->busy)
		pthread_cond_wait(&w->cv, &w->mu);
	if (w->failed)
		rc = -1;
	pthread_mutex_unlock(&w->mu);
	if (rc)
		tl_errf(err, "%s", w->err.msg[0] ? w->err.msg : "database writer failed");
	return rc;
}

int tl_writer_free(struct tl_writer *w, struct tl_err *err)
{
	if (!w)
		return 0;
	int rc = tl_writer_sync(w, err);
	if (w->threaded) {
		pthread_mutex_lock(&w->mu);
		w->stop = 1;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->th, NULL);
	}
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	for (int i = 0; i < 2; i++) {
		free(w->b[i].items);
		tl_buf_release(&w->b[i].data);
	}
	tl_buf_release(&w->scratch);
	free(w);
	return rc;
}
