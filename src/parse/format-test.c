/*
 * `tl formats test` (see include/tl/format.h): the tool for writing a format
 * definition, which shows record by record what framing and the definition
 * make of a file, including the groups a grouping parser (auditd) makes. The
 * report goes to the caller's stream; the command line decides the exit status.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "tl/format.h"
#include "tl/banned.h"

static void show(FILE *out, const char *k, const char *s, size_t len, const char *note)
{
	struct tl_buf b = TL_BUF_INIT;
	tl_term_escape(&b, s, len > 300 ? 300 : len);
	fprintf(out, "    %-24s %s%s%s\n", k, b.data ? b.data : "", len > 300 ? "..." : "", note);
	tl_buf_release(&b);
}

/* One parsed record or finished group, as `formats test` shows it. */
static void show_result(FILE *out, const struct tl_format *f, struct tl_parse *p, const char *path, const struct tl_record *rec,
			enum tl_parse_status st, const struct tl_event *ev, const struct tl_err *err, int group)
{
	/* a dispatcher hands records to other definitions: name the one that parsed it */
	int other = st == TL_PARSE_EVENT && ev->format && strcmp(ev->format, tl_format_name(f));
	fprintf(out, "%s:%llu: offset %llu, %llu bytes: %s%s%s\n", path, (unsigned long long)rec->line,
		(unsigned long long)rec->offset, (unsigned long long)rec->length,
		st == TL_PARSE_EVENT	 ? (group ? "event (group starting here)" : "event")
		: st == TL_PARSE_PENDING ? "opens a group (its event follows when the group ends)"
		: st == TL_PARSE_MERGED	 ? "merged into an open group"
					 : "REJECT",
		other ? " of " : "", other ? ev->format : "");
	if (st == TL_PARSE_REJECT) {
		fprintf(out, "    reason: %s\n", err->msg);
		return;
	}
	if (st != TL_PARSE_EVENT)
		return;
	const struct tl_field *fl;
	size_t n = group ? 0 : tl_parse_fields(p, &fl);
	if (n) {
		fprintf(out, "  parsed fields:\n");
		for (size_t i = 0; i < n; i++)
			show(out, fl[i].name, fl[i].v.s, fl[i].v.len, fl[i].used ? "" : "   (-> extra)");
	}
	fprintf(out, "  event:\n");
	char iso[40];
	tl_time_format_iso(ev->ts, iso, sizeof(iso));
	fprintf(out, "    %-24s %s  (from '%.*s', %s)\n", "ts", iso, (int)ev->ts_raw.len, ev->ts_raw.s, ev->ts_rule);
	for (int i = 0; i < TL_F_COUNT; i++)
		if (ev->f[i].s)
			show(out, tl_field_name((enum tl_field_id)i), ev->f[i].s, ev->f[i].len, "");
	if (!n && ev->n_extra) {
		fprintf(out, "  extra:\n");
		for (size_t i = 0; i < ev->n_extra; i++)
			show(out, ev->extra[i].key, ev->extra[i].v.s, ev->extra[i].v.len, "");
	}
}

int tl_format_test(const struct tl_format *f, const char *path, long max, FILE *out, struct tl_format_test_counts *c,
		   struct tl_err *err)
{
	memset(c, 0, sizeof(*c));
	/* times as ingest would see them without a case config: the format's zone, the file's mtime */
	struct tl_tz *tz = NULL;
	struct stat fst;
	char msg[256];
	if (tl_format_zone(f) && tl_tz_load(tl_format_zone(f), &tz, msg, sizeof(msg)))
		return tl_errf(err, "%s", msg);
	struct tl_time_ctx tctx;
	tl_time_ctx_init(&tctx, tz, tz ? "format" : "default", 0, stat(path, &fst) == 0 ? (int64_t)fst.st_mtime : 0);
	tctx.ordered_within_us = tl_format_ordered_within(f);
	struct tl_parse *p = tl_parse_new(f, &tctx, err);
	if (!p) {
		tl_tz_free(tz);
		return -1;
	}
	/* a C parser may read the file itself; everything else is framed by the reader */
	struct tl_reader *r = NULL;
	int own = tl_parse_open(p, path, err);
	if (own < 0 || (!own && !(r = tl_reader_open(path, tl_format_framing(f), err)))) {
		tl_parse_free(p);
		tl_tz_free(tz);
		return -1;
	}
	struct tl_record rec, origin;
	struct tl_event ev;
	struct tl_err rerr;
	long shown = 0;
	int rc = 0, done = 0;
	enum tl_parse_status st;
	while (!done) {
		rc = r ? tl_reader_next(r, &rec, &rerr) : tl_parse_next(p, &rec, &rerr);
		if (rc == 1) {
			st = tl_parse_record(p, &rec, &ev, &rerr);
			if (st == TL_PARSE_META) {
				c->meta++;
				continue;
			}
			if (st == TL_PARSE_EVENT)
				c->events++;
			else if (st == TL_PARSE_REJECT)
				c->rejects++;
			else if (st == TL_PARSE_MERGED)
				c->merged++;
			if (shown < max) {
				shown++;
				show_result(out, f, p, path, &rec, st, &ev, &rerr, 0);
			}
		} else {
			if (rc < 0)
				tl_errf(err, "%s: %s", path, rerr.msg);
			tl_parse_finish(p); /* what is still open at the end is an event too */
			done = 1;
		}
		/* groups a grouping parser (auditd) has finished */
		while ((st = tl_parse_ready(p, &ev, &origin, &rerr)) != TL_PARSE_META) {
			st == TL_PARSE_EVENT ? c->events++ : c->rejects++;
			if (shown < max) {
				shown++;
				show_result(out, f, p, path, &origin, st, &ev, &rerr, 1);
			}
		}
	}
	tl_parse_free(p);
	tl_tz_free(tz);
	tl_reader_free(r);
	return rc < 0 ? -2 : 0;
}
