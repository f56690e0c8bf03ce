/* Gaps and tamper indicators (see include/tl/gaps.h). */
#define _POSIX_C_SOURCE 200809L
#include "tl/gaps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tl/grow.h"
#include "tl/banned.h"

/* A silence is a gap this many times the file's median gap, and at least MIN_SILENCE. */
#define SILENCE_FACTOR 50
#define MIN_SILENCE (15 * 60 * TL_US_PER_SEC)
#define MIN_EVENTS_FOR_RHYTHM 20

const char *tl_gap_kind_name(enum tl_gap_kind kind)
{
	static const char *const names[] = { "sequence-break", "clock-backwards", "silence", "tamper-indicator" };
	return kind < TL_GAP_KINDS ? names[kind] : "?";
}

struct found {
	struct tl_gap g;
	char *detail;
};

struct list {
	struct found *v;
	size_t n, cap;
	int oom; /* a gap was found but could not be kept: the report would be short */
};

static void add(struct list *l, enum tl_gap_kind kind, const char *path, int64_t line, tl_us ts, tl_us prev,
		const char *detail)
{
	struct found *v = tl_grow(l->v, &l->cap, l->n + 1, sizeof(*v), 16);
	if (!v) {
		l->oom = 1;
		return;
	}
	l->v = v;
	struct found *f = &l->v[l->n];
	f->detail = strdup(detail);
	f->g.kind = kind;
	f->g.path = path;
	f->g.line = line;
	f->g.ts = ts;
	f->g.prev_ts = prev;
	if (f->detail)
		l->n++;
	else
		l->oom = 1;
}

static int cmp_line(const void *a, const void *b)
{
	const struct found *x = a, *y = b;
	return x->g.line < y->g.line ? -1 : x->g.line > y->g.line ? 1 : (int)x->g.kind - (int)y->g.kind;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static void fmt_gap(char *buf, size_t len, tl_us d)
{
	long long s = (long long)(d / TL_US_PER_SEC);
	if (s >= 86400)
		snprintf(buf, len, "%lldd %02lldh%02lldm", s / 86400, s % 86400 / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%02lldh%02lldm%02llds", s / 3600, s % 3600 / 60, s % 60);
}

/* In record order: sequence breaks, clock going backwards, indicators. */
static int scan_order(struct tl_store *s, int64_t file_id, const char *path, int64_t ordered_within, struct list *l,
		      struct tl_err *err)
{
	struct tl_event_query q = { .file_id = file_id, .order = TL_ORDER_RECORDS, .core_only = 1 };
	struct tl_store_iter *it = tl_store_events(s, &q, err);
	const struct tl_event_row *r;
	if (!it)
		return -1;
	int have = 0, have_seq = 0, rc;
	int64_t prev_seq = 0;
	tl_us prev_ts = 0;
	char d[300], a[64], b[64];
	while ((rc = tl_store_next_event(it, &r, err)) == 1) {
		int64_t line = r->line.i;
		tl_us ts = r->ts;
		if (r->seq.type != TL_VALUE_NULL) {
			int64_t seq = r->seq.i;
			if (have_seq && seq != prev_seq + 1) {
				if (seq > prev_seq)
					snprintf(d, sizeof(d), "record number %lld follows %lld: %lld records missing",
						 (long long)seq, (long long)prev_seq, (long long)(seq - prev_seq - 1));
				else
					snprintf(d, sizeof(d), "record number goes back from %lld to %lld", (long long)prev_seq,
						 (long long)seq);
				add(l, TL_GAP_SEQUENCE, path, line, ts, prev_ts, d);
			}
			prev_seq = seq;
			have_seq = 1;
		}
		if (have && ordered_within && ts < prev_ts - ordered_within) {
			tl_time_format_iso(prev_ts, a, sizeof(a));
			tl_time_format_iso(ts, b, sizeof(b));
			fmt_gap(d, 64, prev_ts - ts);
			char full[300];
			snprintf(full, sizeof(full), "time goes back %s: %s after %s", d, b, a);
			add(l, TL_GAP_CLOCK, path, line, ts, prev_ts, full);
		}
		if (r->indicator.type == TL_VALUE_TEXT)
			add(l, TL_GAP_INDICATOR, path, line, ts, 0, r->indicator.s);
		prev_ts = ts;
		have = 1;
	}
	tl_store_iter_free(it);
	return rc < 0 ? -1 : 0;
}

/* In time order: silences far longer than the file's own rhythm. */
static int scan_rhythm(struct tl_store *s, int64_t file_id, const char *path, struct list *l, struct tl_err *err)
{
	struct tl_event_query q = { .file_id = file_id, .order = TL_ORDER_FILE_TIME, .core_only = 1 };
	struct tl_store_iter *it = tl_store_events(s, &q, err);
	const struct tl_event_row *r;
	if (!it)
		return -1;
	size_t n = 0, cap = 0;
	int64_t *ts = NULL, *lines = NULL;
	int rc;
	while ((rc = tl_store_next_event(it, &r, err)) == 1) {
		if (n == cap) {
			/* two arrays, one capacity: raised once both have grown */
			size_t ct = cap, cl = cap;
			int64_t *t2 = tl_grow(ts, &ct, n + 1, sizeof(*ts), 1024);
			if (t2)
				ts = t2;
			int64_t *l2 = t2 ? tl_grow(lines, &cl, n + 1, sizeof(*lines), 1024) : NULL;
			if (!l2) {
				rc = tl_errf(err, "out of memory");
				break;
			}
			lines = l2;
			cap = ct;
		}
		ts[n] = r->ts;
		lines[n++] = r->line.i;
	}
	tl_store_iter_free(it);
	if (rc >= 0 && n >= MIN_EVENTS_FOR_RHYTHM) {
		int64_t *gaps = malloc((n - 1) * sizeof(*gaps));
		if (gaps) {
			for (size_t i = 1; i < n; i++)
				gaps[i - 1] = ts[i] - ts[i - 1];
			qsort(gaps, n - 1, sizeof(*gaps), cmp_i64);
			int64_t median = gaps[(n - 1) / 2];
			int64_t limit = median * SILENCE_FACTOR > MIN_SILENCE ? median * SILENCE_FACTOR : MIN_SILENCE;
			free(gaps);
			for (size_t i = 1; i < n; i++) {
				if (ts[i] - ts[i - 1] <= limit)
					continue;
				char g[64], m[64], a[40], b[40], d[300];
				fmt_gap(g, sizeof(g), ts[i] - ts[i - 1]);
				fmt_gap(m, sizeof(m), median);
				tl_time_format_iso(ts[i - 1], a, sizeof(a));
				tl_time_format_iso(ts[i], b, sizeof(b));
				snprintf(d, sizeof(d), "nothing for %s (%s to %s); the file's median gap is %s", g, a, b, m);
				add(l, TL_GAP_SILENCE, path, lines[i], ts[i], ts[i - 1], d);
			}
		}
	}
	free(ts);
	free(lines);
	return rc < 0 ? -1 : 0;
}

long tl_gaps_scan(struct tl_store *s, int (*cb)(void *ctx, const struct tl_gap *g), void *ctx, long *counts,
		  struct tl_err *err)
{
	if (counts)
		memset(counts, 0, TL_GAP_KINDS * sizeof(*counts));
	struct tl_file_query fq = { .with_events = 1 };
	struct tl_store_iter *files = tl_store_files(s, &fq, err);
	const struct tl_file_rec *f;
	if (!files)
		return -1;
	long total = 0;
	int rc = 0, more = 0;
	while (!rc && (more = tl_store_next_file(files, &f, err)) == 1) {
		int64_t id = f->id;
		char *path = strdup(f->path);
		/* the ordered_within ingest used for this file; a file ingested before
		 * schema v3 has none recorded and gets no clock check */
		int64_t ordered_within = f->has_ordered_within ? f->ordered_within_us : 0;
		struct list l = { 0 };
		rc = !path ? tl_errf(err, "out of memory")
			   : scan_order(s, id, path, ordered_within, &l, err) || scan_rhythm(s, id, path, &l, err);
		if (!rc && l.oom)
			rc = tl_errf(err, "out of memory");
		if (l.n)
			qsort(l.v, l.n, sizeof(*l.v), cmp_line);
		for (size_t i = 0; i < l.n; i++) {
			l.v[i].g.detail = l.v[i].detail;
			if (counts)
				counts[l.v[i].g.kind]++;
			total++;
			if (!rc && cb && cb(ctx, &l.v[i].g))
				rc = -1;
			free(l.v[i].detail);
		}
		free(l.v);
		free(path);
	}
	tl_store_iter_free(files);
	return rc || more < 0 ? -1 : total;
}
