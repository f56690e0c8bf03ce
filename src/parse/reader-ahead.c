/*
 * Reading a file's records ahead (include/tl/reader.h, tl_reader_ahead_*):
 * the reader (decompression, decoding, framing, SHA-256 of each record) runs
 * in the `tl-read` thread and copies each record into one of two batches
 * while the caller parses the other. Parsing, with its per-file state (time
 * context, grouping, headers), stays in the caller's thread and sees the
 * records in the reader's order, so the events are the ones one thread
 * makes. A batch is one array of records plus one buffer of their bytes, in
 * which a record's text and raw bytes sit at offsets (the buffer may move
 * while it grows).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tl/reader.h"
#include "tl/twin.h"
#include "tl/banned.h"

#define AHEAD_RECORDS 4096
#define AHEAD_BYTES (4u << 20) /* a batch's bytes; one record may go past it */

struct rec {
	struct tl_record r; /* text and raw: offsets + 1 in the batch (0: NULL) */
	uint64_t pos;       /* tl_reader_pos() after this record */
};

struct batch {
	struct rec *recs;
	size_t n;
	struct tl_buf bytes;
	int last;        /* the reader's end (or error) comes after this batch */
	int rc;          /* ... with this result of tl_reader_next: 0 or -1 */
	struct tl_err err; /* ... and this error */
};

struct tl_reader_ahead {
	struct tl_reader *rd; /* the thread's until tl_reader_ahead_stop() */
	struct tl_twin tw; /* whose turn b[i] is; tw.cur: the batch the caller reads */
	struct batch b[2];
	/* the caller's */
	size_t next; /* the next record of b[tw.cur] */
	uint64_t pos;
};

static uintptr_t put(struct batch *b, const char *s, size_t n)
{
	if (!s)
		return 0;
	uintptr_t at = (uintptr_t)b->bytes.len + 1;
	/* text is NUL-terminated for the parsers */
	if (tl_buf_add(&b->bytes, s, n) || tl_buf_addc(&b->bytes, 0))
		return UINTPTR_MAX;
	return at;
}

static void fill(struct tl_reader_ahead *a, struct batch *b)
{
	b->n = 0;
	tl_buf_reset(&b->bytes);
	while (b->n < AHEAD_RECORDS && b->bytes.len < AHEAD_BYTES) {
		struct tl_record r;
		int rc = tl_twin_stopped(&a->tw) ? 0 : tl_reader_next(a->rd, &r, &b->err);
		if (rc != 1) {
			b->last = 1;
			b->rc = rc < 0 ? -1 : 0;
			return;
		}
		struct rec *x = &b->recs[b->n];
		x->r = r;
		uintptr_t text = put(b, r.text, r.len);
		/* most framings hand the same bytes as text and raw: kept once */
		uintptr_t raw = r.raw == r.text && r.raw_len == r.len ? text : put(b, r.raw, r.raw_len);
		if (text == UINTPTR_MAX || raw == UINTPTR_MAX) {
			tl_errf(&b->err, "reading ahead: out of memory");
			b->last = 1;
			b->rc = -1;
			return;
		}
		x->r.text = (const char *)text;
		x->r.raw = (const char *)raw;
		x->pos = tl_reader_pos(a->rd);
		b->n++;
	}
}

static int fill_twin(void *ctx, int i)
{
	struct tl_reader_ahead *a = ctx;
	fill(a, &a->b[i]);
	return a->b[i].last;
}

struct tl_reader_ahead *tl_reader_ahead_start(struct tl_reader *rd)
{
	struct tl_reader_ahead *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->rd = rd;
	a->pos = tl_reader_pos(rd);
	for (int i = 0; i < 2; i++) {
		/* one record past AHEAD_BYTES: at most the reader's own window */
		a->b[i].bytes.max = AHEAD_BYTES + (256u << 20);
		if (!(a->b[i].recs = malloc(AHEAD_RECORDS * sizeof(struct rec))))
			goto fail;
	}
	if (tl_twin_start(&a->tw, "tl-read", fill_twin, a) == 0)
		return a;
fail:
	free(a->b[0].recs);
	free(a->b[1].recs);
	free(a);
	return NULL;
}

int tl_reader_ahead_next(struct tl_reader_ahead *a, struct tl_record *rec, struct tl_err *err)
{
	for (;;) {
		struct batch *b = a->tw.cur >= 0 ? &a->b[a->tw.cur] : NULL;
		if (b && a->next < b->n) {
			const struct rec *x = &b->recs[a->next++];
			uintptr_t text = (uintptr_t)x->r.text, raw = (uintptr_t)x->r.raw;
			*rec = x->r;
			rec->text = text ? b->bytes.data + text - 1 : NULL;
			rec->raw = raw ? b->bytes.data + raw - 1 : NULL;
			a->pos = x->pos;
			return 1;
		}
		if (b && b->last) {
			if (b->rc < 0)
				tl_errf(err, "%s", b->err.msg);
			return b->rc;
		}
		tl_twin_next(&a->tw);
		a->next = 0;
	}
}

uint64_t tl_reader_ahead_pos(const struct tl_reader_ahead *a)
{
	return a->pos;
}

void tl_reader_ahead_stop(struct tl_reader_ahead *a)
{
	if (!a)
		return;
	tl_twin_stop(&a->tw);
	for (int i = 0; i < 2; i++) {
		free(a->b[i].recs);
		tl_buf_release(&a->b[i].bytes);
	}
	free(a);
}
