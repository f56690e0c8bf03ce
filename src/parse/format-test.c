/*
 * `tl formats test` (see include/tl/format.h): the tool for writing a format
 * definition, which shows record by record what framing and the definition
 * make of a file. The report goes to the caller's stream; the command line
 * decides the exit status.
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

int tl_format_test(const struct tl_format *f, const char *path, long max, FILE *out, long *events, long *rejects,
		   long *meta, struct tl_err *err)
{
	*events = *rejects = *meta = 0;
	struct tl_reader *r = tl_reader_open(path, tl_format_framing(f), err);
	if (!r)
		return -1;
	/* times as ingest would see them without a case config: the format's zone, the file's mtime */
	struct tl_tz *tz = NULL;
	struct stat fst;
	char msg[256];
	if (tl_format_zone(f) && tl_tz_load(tl_format_zone(f), &tz, msg, sizeof(msg))) {
		tl_reader_free(r);
		return tl_errf(err, "%s", msg);
	}
	struct tl_time_ctx tctx;
	tl_time_ctx_init(&tctx, tz, tz ? "format" : "default", 0, stat(path, &fst) == 0 ? (int64_t)fst.st_mtime : 0);
	struct tl_parse *p = tl_parse_new(f, &tctx, err);
	if (!p) {
		tl_tz_free(tz);
		tl_reader_free(r);
		return -1;
	}
	struct tl_record rec;
	struct tl_event ev;
	struct tl_err rerr;
	long shown = 0;
	int rc;
	while ((rc = tl_reader_next(r, &rec, &rerr)) == 1) {
		enum tl_parse_status st = tl_parse_record(p, &rec, &ev, &rerr);
		if (st == TL_PARSE_META) {
			(*meta)++;
			continue;
		}
		st == TL_PARSE_EVENT ? (*events)++ : (*rejects)++;
		if (shown >= max)
			continue;
		shown++;
		fprintf(out, "%s:%llu: offset %llu, %llu bytes: %s\n", path, (unsigned long long)rec.line,
			(unsigned long long)rec.offset, (unsigned long long)rec.length,
			st == TL_PARSE_EVENT ? "event" : "REJECT");
		if (st == TL_PARSE_REJECT) {
			fprintf(out, "    reason: %s\n", rerr.msg);
			continue;
		}
		const struct tl_field *fl;
		size_t n = tl_parse_fields(p, &fl);
		fprintf(out, "  parsed fields:\n");
		for (size_t i = 0; i < n; i++)
			show(out, fl[i].name, fl[i].v.s, fl[i].v.len, fl[i].used ? "" : "   (-> extra)");
		fprintf(out, "  event:\n");
		char iso[40];
		tl_time_format_iso(ev.ts, iso, sizeof(iso));
		fprintf(out, "    %-24s %s  (from '%.*s', %s)\n", "ts", iso, (int)ev.ts_raw.len, ev.ts_raw.s, ev.ts_rule);
		for (int i = 0; i < TL_F_COUNT; i++)
			if (ev.f[i].s)
				show(out, tl_field_name((enum tl_field_id)i), ev.f[i].s, ev.f[i].len, "");
	}
	if (rc < 0)
		tl_errf(err, "%s: %s", path, rerr.msg);
	tl_parse_free(p);
	tl_tz_free(tz);
	tl_reader_free(r);
	return rc < 0 ? -2 : 0;
}
