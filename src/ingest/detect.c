/*
 * Detection that proves itself on records (include/tl/detect.h,
 * docs/detection.md): sniff rules nominate, a bounded sample of each
 * candidate's parse decides. This file reads the evidence file and parses
 * samples; it never touches the store, and --format/config forcing stays in
 * the caller.
 */
#define _POSIX_C_SOURCE 200809L
#include "tl/detect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tl/reader.h"
#include "tl/time.h"
#include "tl/banned.h"

/* Zeek writes one log per file and names it in the header: "#path<sep>dns".
 * The separator is whatever #separator said; any non-name byte is taken. */
static void window_zeek_path(const char *w, size_t len, char *out, size_t cap)
{
	out[0] = 0;
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(w + i, '\n', len - i);
		size_t l = nl ? (size_t)(nl - (w + i)) : len - i;
		const char *s = w + i;
		if (l > 6 && !memcmp(s, "#path", 5) && (s[5] == '\t' || s[5] == ' ' || s[5] == ',' || s[5] == '|')) {
			size_t k = 0;
			for (size_t j = 6; j < l && s[j] != '\r' && k + 1 < cap; j++)
				out[k++] = s[j];
			out[k] = 0;
			return;
		}
		if (!nl)
			break;
		i += l + 1;
	}
}

/* What detection reads: a file by path, or the first bytes of a stream held
 * in memory (an archive member, peeked by the caller). */
struct det_in {
	const char *path;
	const char *buf;
	size_t len;
};

struct mem_src {
	struct tl_source src;
	const struct det_in *in;
	size_t pos;
};

static long mem_read(void *ctx, void *buf, size_t cap, struct tl_err *err)
{
	struct mem_src *m = ctx;
	size_t n = m->in->len - m->pos < cap ? m->in->len - m->pos : cap;
	memcpy(buf, m->in->buf + m->pos, n);
	m->pos += n;
	return (long)n;
}

/* A reader over IN; *MEM (freed by the caller after the reader) backs a buffer. */
static struct tl_reader *open_in(const struct det_in *in, const struct tl_framing_spec *spec, struct mem_src **mem,
				 struct tl_err *err)
{
	*mem = NULL;
	if (in->path)
		return tl_reader_open(in->path, spec, err);
	struct mem_src *m = calloc(1, sizeof(*m));
	if (!m) {
		tl_errf(err, "out of memory");
		return NULL;
	}
	m->src.read = mem_read;
	m->src.ctx = m;
	m->in = in;
	struct tl_reader *rd = tl_reader_open_source(&m->src, spec, err);
	if (!rd)
		free(m);
	else
		*mem = m;
	return rd;
}

/* The sniff window: the decompressed head, and when its first line fills it
 * (a giant first line would blind the sniff rules), the lines after it that
 * are under the window size, until the window is full again. */
static int build_window(const struct det_in *in, struct tl_buf *w, const char **compression, long *skipped,
			struct tl_err *err)
{
	if (tl_buf_grow(w, TL_DETECT_WINDOW + 1))
		return tl_errf(err, "out of memory");
	long n;
	if (in->path) {
		n = tl_reader_head(in->path, w->data, TL_DETECT_WINDOW, compression, err);
	} else {
		n = (long)(in->len < TL_DETECT_WINDOW ? in->len : TL_DETECT_WINDOW);
		memcpy(w->data, in->buf, (size_t)n);
		n = tl_reader_sniff_text(w->data, n, TL_DETECT_WINDOW);
	}
	if (n < 0)
		return -1;
	w->len = (size_t)n;
	w->data[n] = 0;
	if (n < TL_DETECT_WINDOW || memchr(w->data, '\n', (size_t)n))
		return 0;
	struct tl_framing_spec spec = { TL_FRAME_LINES, NULL, NULL, TL_DETECT_WINDOW };
	struct tl_err rerr;
	struct mem_src *mem;
	struct tl_reader *rd = open_in(in, &spec, &mem, &rerr);
	if (!rd)
		return 0; /* the head alone is still a window */
	struct tl_record rec;
	*skipped = 0;
	while (w->len < 2 * TL_DETECT_WINDOW && tl_reader_pos(rd) < TL_DETECT_SCAN_BYTES &&
	       tl_reader_next(rd, &rec, &rerr) == 1) {
		if (rec.oversize || rec.line == 1) {
			(*skipped)++;
			continue;
		}
		if (w->len + rec.len + 1 > 2 * TL_DETECT_WINDOW)
			break;
		if (tl_buf_addc(w, '\n') || tl_buf_add(w, rec.text, rec.len))
			break;
	}
	tl_reader_free(rd);
	free(mem);
	return 0;
}

/* Parse a bounded sample of PATH's first records with candidate C's format. */
static void sample(struct tl_detect_candidate *c, const struct det_in *in, int64_t mtime)
{
	const struct tl_format *f = c->f;
	struct tl_framing_spec spec = *tl_format_framing(f);
	if (!spec.max_record || spec.max_record > TL_DETECT_RECORD_MAX)
		spec.max_record = TL_DETECT_RECORD_MAX;
	struct tl_err err;
	/* zones change which instant a time is, not whether it parses: UTC will do */
	struct tl_time_ctx tctx;
	tl_time_ctx_init(&tctx, NULL, "default", 0, mtime);
	struct tl_parse *p = tl_parse_new(f, &tctx, &err);
	if (!p)
		return;
	/* a C parser may read the file itself (EVTX); everything else is framed here */
	struct tl_reader *rd = NULL;
	struct mem_src *mem = NULL;
	int own = tl_parse_open(p, in->path, &err);
	if (own < 0 || (!own && !(rd = open_in(in, &spec, &mem, &err)))) {
		tl_parse_free(p);
		return;
	}
	struct tl_record rec, origin;
	struct tl_event ev;
	size_t bytes = 0;
	long filled = 0;
	while (c->sampled < TL_DETECT_SAMPLE_RECORDS && bytes < TL_DETECT_SAMPLE_BYTES &&
	       (rd ? tl_reader_pos(rd) : tl_parse_pos(p)) < TL_DETECT_SCAN_BYTES &&
	       (rd ? tl_reader_next(rd, &rec, &err) : tl_parse_next(p, &rec, &err)) == 1) {
		if (rec.oversize) {
			c->skipped++;
			continue;
		}
		enum tl_parse_status st = tl_parse_record(p, &rec, &ev, &err);
		if (st == TL_PARSE_META)
			continue;
		c->sampled++;
		bytes += rec.len;
		/* a record that opened or joined a group (auditd) was taken; its
		 * group may still be rejected below */
		if (!tl_parse_took(st)) {
			c->rejects++;
		} else if (st == TL_PARSE_EVENT && tl_format_dispatches(f) && !tl_format_unclaimed_proves(f) &&
			   ev.format && !strcmp(ev.format, tl_format_name(f))) {
			/* a dispatcher's generic event for a record no definition claims
			 * (a syslog program, a Zeek stream tl has no definition for) says
			 * only that the envelope parsed: no evidence of the format */
			c->unclaimed++;
		} else {
			c->events++;
			if (st == TL_PARSE_EVENT)
				for (int i = 0; i < TL_F_COUNT; i++)
					filled += ev.f[i].s != NULL;
		}
		while ((st = tl_parse_ready(p, &ev, &origin, &err)) != TL_PARSE_META) {
			if (st == TL_PARSE_REJECT && c->events) {
				c->events--;
				c->rejects++;
			} else if (st == TL_PARSE_EVENT) {
				for (int i = 0; i < TL_F_COUNT; i++)
					filled += ev.f[i].s != NULL;
			}
		}
	}
	tl_parse_free(p);
	tl_reader_free(rd);
	free(mem);
	/* a dispatcher proves itself through the records its targets parse: with at
	 * least one of those, the records nobody claims count too (they become
	 * generic events, which is right for a relay file mixing programs); with
	 * none, the file holds nothing tl has a definition for */
	long taken = c->events + (c->events ? c->unclaimed : 0);
	if (c->sampled) {
		c->rate = (int)(taken * 1000 / c->sampled);
		c->evidence = (long)c->sniff * c->rate;
	}
	if (c->events)
		c->specificity = (int)(filled * 10 / c->events);
}

static int rank(const void *a, const void *b)
{
	const struct tl_detect_candidate *x = a, *y = b;
	int xe = !strcmp(x->verdict, "excluded"), ye = !strcmp(y->verdict, "excluded");
	if (xe != ye)
		return xe - ye;
	if (x->evidence != y->evidence)
		return x->evidence > y->evidence ? -1 : 1;
	if (x->specificity != y->specificity)
		return x->specificity > y->specificity ? -1 : 1;
	return strcmp(tl_format_name(x->f), tl_format_name(y->f));
}

/* "100.0" from per mille */
static void pm(char *buf, size_t cap, long v)
{
	snprintf(buf, cap, "%ld.%ld", v / 10, v % 10);
}

/* "sniff 90, 100.0% of 20 sampled records parse" */
static void stats(const struct tl_detect_candidate *c, char *buf, size_t cap)
{
	char r[16];
	if (c->rate < 0) {
		snprintf(buf, cap, "sniff %d, no record sampled", c->sniff);
		return;
	}
	pm(r, sizeof(r), c->rate);
	snprintf(buf, cap, "sniff %d, %s%% of %ld sampled records parse", c->sniff, r, c->sampled);
}

static void describe(const struct tl_detect_candidate *c, char *buf, size_t cap)
{
	char st[128];
	if (!strcmp(c->verdict, "excluded"))
		snprintf(st, sizeof(st), "%s", c->why);
	else
		stats(c, st, sizeof(st));
	snprintf(buf, cap, "%s (%s)", tl_format_name(c->f), st);
}

static void decide(struct tl_detection *d)
{
	struct tl_detect_candidate *v = d->cand;
	size_t n = d->ncand;
	char r[16];
	for (size_t i = 0; i < n; i++) {
		if (v[i].verdict)
			continue;
		pm(r, sizeof(r), v[i].rate < 0 ? 0 : v[i].rate);
		if (v[i].sniff < TL_DETECT_MIN_SNIFF) {
			v[i].verdict = "weak-sniff";
			snprintf(v[i].why, sizeof(v[i].why), "sniff score %d is under the %d a claim needs", v[i].sniff,
				 TL_DETECT_MIN_SNIFF);
		} else if (v[i].rate >= 0 && v[i].rate < TL_DETECT_MIN_RATE * 10) {
			v[i].verdict = "below-threshold";
			snprintf(v[i].why, sizeof(v[i].why),
				 "%s%% of %ld sampled records parse, under the %d%% a claim needs%s", r, v[i].sampled,
				 TL_DETECT_MIN_RATE,
				 v[i].unclaimed && !v[i].events
					 ? " (no sampled record is claimed by a definition: generic events of the dispatcher "
					   "alone prove nothing)"
					 : "");
		} else {
			v[i].verdict = "eligible";
		}
	}
	/* nothing to sample (only headers, or only giant records): the sniff alone speaks */
	for (size_t i = 0; i < n; i++)
		if (v[i].rate < 0)
			v[i].evidence = (long)v[i].sniff * 1000;
	qsort(v, n, sizeof(*v), rank);
	/* the best eligible candidate: ranking is by evidence, whatever the verdict */
	size_t top = n;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].verdict, "eligible")) {
			top = i;
			break;
		}
	if (top == n) {
		char a[300], b[300];
		if (!n) {
			snprintf(d->reason, sizeof(d->reason),
				 "no known format recognised (no format's sniff rules match the start of the file)");
			return;
		}
		describe(&v[0], a, sizeof(a));
		if (n > 1)
			describe(&v[1], b, sizeof(b));
		snprintf(d->reason, sizeof(d->reason), "no known format recognised; best candidates: %s%s%s", a,
			 n > 1 ? ", " : "", n > 1 ? b : "");
		return;
	}
	size_t ties = 1;
	for (size_t i = top + 1; i < n; i++)
		if (!strcmp(v[i].verdict, "eligible") && v[i].evidence == v[top].evidence &&
		    v[i].specificity == v[top].specificity)
			ties++;
	if (ties > 1) {
		struct tl_buf names = TL_BUF_INIT;
		names.max = 400;
		for (size_t i = top; i < n; i++) {
			if (strcmp(v[i].verdict, "eligible") || v[i].evidence != v[top].evidence ||
			    v[i].specificity != v[top].specificity)
				continue;
			tl_buf_addf(&names, "%s'%s'", names.len ? " and " : "", tl_format_name(v[i].f));
			v[i].verdict = "tie";
		}
		char a[160];
		stats(&v[top], a, sizeof(a));
		for (size_t i = top; i < n; i++)
			if (!strcmp(v[i].verdict, "tie"))
				snprintf(v[i].why, sizeof(v[i].why), "fits exactly as well as another candidate");
		snprintf(d->reason, sizeof(d->reason), "formats fit equally well: %s (each: %s); neither claims the file",
			 names.data ? names.data : "", a);
		tl_buf_release(&names);
		return;
	}
	v[top].verdict = "chosen";
	d->format = v[top].f;
	d->confidence = (int)(v[top].evidence / 1000);
	snprintf(v[top].why, sizeof(v[top].why), "best evidence");
	for (size_t i = top + 1; i < n; i++)
		if (!strcmp(v[i].verdict, "eligible")) {
			v[i].verdict = "beaten";
			snprintf(v[i].why, sizeof(v[i].why), "less evidence than %s", tl_format_name(d->format));
		}
}

static void to_json(struct tl_detection *d)
{
	struct tl_buf b = TL_BUF_INIT;
	char r[16];
	b.max = 1u << 20;
	tl_buf_addf(&b, "{\"v\":1,\"window\":{\"bytes\":%zu,\"skipped_lines\":%ld},\"zeek_path\":", d->window_bytes,
		    d->window_skipped);
	if (d->zeek_path[0]) {
		tl_buf_addc(&b, '"');
		tl_json_escape(&b, d->zeek_path, strlen(d->zeek_path));
		tl_buf_addc(&b, '"');
	} else {
		tl_buf_adds(&b, "null");
	}
	tl_buf_addf(&b, ",\"limits\":{\"min_sniff\":%d,\"min_rate\":%d,\"records\":%d,\"record_max\":%u}",
		    TL_DETECT_MIN_SNIFF, TL_DETECT_MIN_RATE, TL_DETECT_SAMPLE_RECORDS, TL_DETECT_RECORD_MAX);
	tl_buf_adds(&b, ",\"candidates\":[");
	for (size_t i = 0; i < d->ncand; i++) {
		const struct tl_detect_candidate *c = &d->cand[i];
		tl_buf_addf(&b, "%s{\"format\":\"%s\",\"family\":\"%s\",\"sniff\":%d,\"sampled\":%ld,\"events\":%ld,"
				"\"rejects\":%ld,\"unclaimed\":%ld,\"skipped\":%ld,\"rate\":",
			    i ? "," : "", tl_format_name(c->f), tl_format_family(c->f), c->sniff, c->sampled, c->events,
			    c->rejects, c->unclaimed, c->skipped);
		if (c->rate < 0) {
			tl_buf_adds(&b, "null");
		} else {
			pm(r, sizeof(r), c->rate);
			tl_buf_adds(&b, r);
		}
		tl_buf_addf(&b, ",\"specificity\":%d.%d", c->specificity / 10, c->specificity % 10);
		tl_buf_addf(&b, ",\"evidence\":%ld.%ld,\"verdict\":\"%s\",\"why\":\"", c->evidence / 1000,
			    c->evidence % 1000 / 100, c->verdict);
		tl_json_escape(&b, c->why, strlen(c->why));
		tl_buf_adds(&b, "\"}");
	}
	tl_buf_adds(&b, "],\"format\":");
	if (d->format)
		tl_buf_addf(&b, "\"%s\"", tl_format_name(d->format));
	else
		tl_buf_adds(&b, "null");
	tl_buf_addf(&b, ",\"confidence\":%d,\"reason\":", d->confidence);
	if (d->format) {
		tl_buf_adds(&b, "null");
	} else {
		tl_buf_addc(&b, '"');
		tl_json_escape(&b, d->reason, strlen(d->reason));
		tl_buf_addc(&b, '"');
	}
	tl_buf_addc(&b, '}');
	d->json = b.data; /* NULL when out of memory: the decision itself stands */
}

static int detect(const struct tl_formats *fs, const struct det_in *in, int64_t mtime, struct tl_detection *d,
		  struct tl_err *err)
{
	memset(d, 0, sizeof(*d));
	d->compression = "none";
	struct tl_buf w = TL_BUF_INIT;
	w.max = 2 * TL_DETECT_WINDOW + 16;
	if (build_window(in, &w, &d->compression, &d->window_skipped, err)) {
		tl_buf_release(&w);
		return -1;
	}
	d->window_bytes = w.len;
	if (w.len == 0) {
		tl_buf_release(&w);
		snprintf(d->reason, sizeof(d->reason), "empty file");
		to_json(d);
		return 0;
	}
	window_zeek_path(w.data, w.len, d->zeek_path, sizeof(d->zeek_path));
	d->cand = calloc(fs->n ? fs->n : 1, sizeof(*d->cand));
	if (!d->cand) {
		tl_buf_release(&w);
		return tl_errf(err, "out of memory");
	}
	for (size_t i = 0; i < fs->n; i++) {
		int s = tl_format_sniff(fs->v[i], w.data, w.len);
		if (s <= 0)
			continue;
		struct tl_detect_candidate *c = &d->cand[d->ncand++];
		c->f = fs->v[i];
		c->sniff = s;
		c->rate = -1;
	}
	tl_buf_release(&w);
	/* Zeek's own name for the log decides between Zeek definitions: the conn.log
	 * definition parses a dns.log's columns perfectly well, and would be wrong */
	if (d->zeek_path[0]) {
		const char *own = NULL;
		for (size_t i = 0; i < d->ncand && !own; i++) {
			const char *zp = tl_format_zeek_path(d->cand[i].f);
			if (zp && !strcmp(zp, d->zeek_path))
				own = tl_format_name(d->cand[i].f);
		}
		for (size_t i = 0; i < d->ncand; i++) {
			struct tl_detect_candidate *c = &d->cand[i];
			const char *zp = tl_format_zeek_path(c->f);
			if (!zp)
				continue;
			const struct tl_detect_candidate *kin = NULL;
			for (size_t k = 0; k < d->ncand && !kin; k++) {
				const char *kp = tl_format_zeek_path(d->cand[k].f);
				if (kp && strcmp(kp, "*") && strcmp(kp, d->zeek_path) &&
				    strcmp(tl_format_family(d->cand[k].f), tl_format_family(c->f)))
					kin = &d->cand[k];
			}
			if (!strcmp(zp, "*") && own) {
				c->verdict = "excluded";
				snprintf(c->why, sizeof(c->why), "#path '%s' has its own definition (%s)", d->zeek_path, own);
			} else if (!strcmp(zp, "*") && kin) {
				/* a renamed log of another family (a dns log under another #path):
				 * unsupported says more than a claim into the wrong family */
				c->verdict = "excluded";
				snprintf(c->why, sizeof(c->why),
					 "the columns are those of Zeek '%s' logs (%s, family %s): not claimed across families",
					 tl_format_zeek_path(kin->f), tl_format_name(kin->f), tl_format_family(kin->f));
			} else if (strcmp(zp, "*") && strcmp(zp, d->zeek_path)) {
				c->verdict = "excluded";
				snprintf(c->why, sizeof(c->why), "#path is '%s'; this definition reads Zeek '%s' logs",
					 d->zeek_path, zp);
			}
		}
	}
	/* the generic Zeek reader claims only a log that names itself: without a #path
	 * it could not know the log belongs to its family */
	for (size_t i = 0; i < d->ncand && !d->zeek_path[0]; i++) {
		const char *zp = tl_format_zeek_path(d->cand[i].f);
		if (zp && !strcmp(zp, "*")) {
			d->cand[i].verdict = "excluded";
			snprintf(d->cand[i].why, sizeof(d->cand[i].why), "no #path line: the log does not say which it is");
		}
	}
	for (size_t i = 0; i < d->ncand; i++)
		sample(&d->cand[i], in, mtime);
	decide(d);
	to_json(d);
	return 0;
}

int tl_detect_file(const struct tl_formats *fs, const char *path, struct tl_detection *d, struct tl_err *err)
{
	struct det_in in = { path, NULL, 0 };
	struct stat st;
	return detect(fs, &in, stat(path, &st) == 0 ? (int64_t)st.st_mtime : 0, d, err);
}

int tl_detect_buffer(const struct tl_formats *fs, const char *buf, size_t len, int64_t mtime, struct tl_detection *d,
		     struct tl_err *err)
{
	struct det_in in = { NULL, buf, len };
	return detect(fs, &in, mtime, d, err);
}

void tl_detection_release(struct tl_detection *d)
{
	free(d->cand);
	free(d->json);
	d->cand = NULL;
	d->json = NULL;
	d->ncand = 0;
}
