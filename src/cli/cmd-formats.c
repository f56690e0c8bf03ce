/* tl formats: list formats; tl formats test NAME FILE: show how records parse. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "common.h"
#include "tl/format.h"
#include "tl/reader.h"

static const char usage[] =
	"usage: tl formats [--case CASE]\n"
	"       tl formats test [--case CASE] [--max N] NAME FILE\n\n"
	"Lists every format tl knows (built-in and, with --case, CASE/formats/):\n"
	"name, family, version, origin and title.\n\n"
	"'test' frames FILE with format NAME and shows, record by record, the fields\n"
	"parsed and the normalized event (or the reject reason): the tool for writing\n"
	"a format definition. --max limits the records shown (default 20).\n";

static void show(const char *k, const char *s, size_t len, const char *note)
{
	struct tl_buf b = TL_BUF_INIT;
	tl_term_escape(&b, s, len > 300 ? 300 : len);
	printf("    %-24s %s%s%s\n", k, b.data ? b.data : "", len > 300 ? "..." : "", note);
	tl_buf_release(&b);
}

static int test_format(const struct tl_format *f, const char *path, long max)
{
	struct tl_err err;
	struct tl_reader *r = tl_reader_open(path, tl_format_framing(f), &err);
	if (!r)
		return cli_error("%s", err.msg);
	/* times as ingest would see them without a case config: the format's zone, the file's mtime */
	struct tl_tz *tz = NULL;
	struct stat fst;
	char msg[256];
	if (tl_format_zone(f) && tl_tz_load(tl_format_zone(f), &tz, msg, sizeof(msg))) {
		tl_reader_free(r);
		return cli_error("%s", msg);
	}
	struct tl_time_ctx tctx;
	tl_time_ctx_init(&tctx, tz, tz ? "format" : "default", 0, stat(path, &fst) == 0 ? (int64_t)fst.st_mtime : 0);
	struct tl_parse *p = tl_parse_new(f, &tctx, &err);
	if (!p) {
		tl_tz_free(tz);
		tl_reader_free(r);
		return cli_error("%s", err.msg);
	}
	struct tl_record rec;
	struct tl_event ev;
	long shown = 0, events = 0, rejects = 0, meta = 0;
	int rc;
	while ((rc = tl_reader_next(r, &rec, &err)) == 1) {
		enum tl_parse_status st = tl_parse_record(p, &rec, &ev, &err);
		if (st == TL_PARSE_META) {
			meta++;
			continue;
		}
		st == TL_PARSE_EVENT ? events++ : rejects++;
		if (shown >= max)
			continue;
		shown++;
		/* a dispatcher hands records to other definitions: name the one that parsed it */
		int other = st == TL_PARSE_EVENT && ev.format && strcmp(ev.format, tl_format_name(f));
		printf("%s:%llu: offset %llu, %llu bytes: %s%s%s\n", path, (unsigned long long)rec.line,
		       (unsigned long long)rec.offset, (unsigned long long)rec.length,
		       st == TL_PARSE_EVENT ? "event" : "REJECT", other ? " of " : "", other ? ev.format : "");
		if (st == TL_PARSE_REJECT) {
			printf("    reason: %s\n", err.msg);
			continue;
		}
		const struct tl_field *fl;
		size_t n = tl_parse_fields(p, &fl);
		printf("  parsed fields:\n");
		for (size_t i = 0; i < n; i++)
			show(fl[i].name, fl[i].v.s, fl[i].v.len, fl[i].used ? "" : "   (-> extra)");
		printf("  event:\n");
		char iso[40];
		tl_time_format_iso(ev.ts, iso, sizeof(iso));
		printf("    %-24s %s  (from '%.*s', %s)\n", "ts", iso, (int)ev.ts_raw.len, ev.ts_raw.s, ev.ts_rule);
		for (int i = 0; i < TL_F_COUNT; i++)
			if (ev.f[i].s)
				show(tl_field_name((enum tl_field_id)i), ev.f[i].s, ev.f[i].len, "");
	}
	if (rc < 0)
		fprintf(stderr, "tl: error: %s: %s\n", path, err.msg);
	printf("%ld events, %ld rejects, %ld header/blank lines\n", events, rejects, meta);
	tl_parse_free(p);
	tl_tz_free(tz);
	tl_reader_free(r);
	return rc < 0 ? TL_EXIT_PARTIAL : rejects ? TL_EXIT_REJECTS : TL_EXIT_OK;
}

int cmd_formats(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "case", required_argument, NULL, 'c' }, { "max", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *case_dir = NULL;
	long max = 20;
	int c;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': case_dir = optarg; break;
		case 'm': {
			char *end;
			max = strtol(optarg, &end, 10);
			if (*end || max < 0)
				return cli_usage_error(usage, "--max wants a number of records, got '%s'", optarg);
			break;
		}
		case 'h': fputs(usage, stdout); return TL_EXIT_OK;
		default: return cli_usage_error(usage, "formats: bad option");
		}
	}
	int testing = optind < argc && !strcmp(argv[optind], "test");
	if ((testing && argc - optind != 3) || (!testing && optind != argc))
		return cli_usage_error(usage, "formats: wrong arguments");
	struct tl_case cs;
	int have_case = 0;
	if (case_dir) {
		if (cli_open_case(case_dir, &cs))
			return TL_EXIT_ERROR;
		have_case = 1;
	}
	struct tl_formats fs = TL_FORMATS_INIT;
	if (cli_load_formats(have_case ? &cs : NULL, &fs)) {
		if (have_case)
			tl_case_release(&cs);
		return TL_EXIT_ERROR;
	}
	int rc = TL_EXIT_OK;
	if (testing) {
		const struct tl_format *f = tl_formats_find(&fs, argv[optind + 1]);
		rc = f ? test_format(f, argv[optind + 2], max)
		       : cli_error("unknown format '%s' (see tl formats)", argv[optind + 1]);
	} else {
		printf("%-22s %-9s %-8s %-34s %s\n", "name", "family", "version", "origin", "title");
		for (size_t i = 0; i < fs.n; i++)
			printf("%-22s %-9s %-8s %-34s %s\n", tl_format_name(fs.v[i]), tl_format_family(fs.v[i]),
			       tl_format_version(fs.v[i]), tl_format_origin(fs.v[i]), tl_format_title(fs.v[i]));
	}
	tl_formats_release(&fs);
	if (have_case)
		tl_case_release(&cs);
	return rc;
}
