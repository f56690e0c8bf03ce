/* tl sources CASE: per evidence file, what it became; totals that add up. */
#define _POSIX_C_SOURCE 200809L
#include <string.h>

#include "cmd.h"
#include "common.h"
#include "tl/case.h"
#include "tl/store.h"

static const char usage[] =
	"usage: tl sources [--why] CASE\n\n"
	"Lists every evidence file tl has seen: status, format, records, events,\n"
	"rejects, records merged into another record's event (auditd), header/blank\n"
	"lines and time span, then totals. For every file, records = events +\n"
	"rejects + merged. Exit status 1 if the counts do not add up.\n\n"
	"  --why   under each file, how its format was decided: every candidate of\n"
	"          detection with its sniff score, sampled records and parse rate\n"
	"          (as tl detect shows it), or that the format was forced\n";

static void span(int have, tl_us ts, char *buf, size_t len)
{
	if (!have)
		snprintf(buf, len, "-");
	else
		tl_time_format_iso(ts, buf, len);
}

int cmd_sources(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return TL_EXIT_OK;
	}
	int why_detected = argc == 3 && !strcmp(argv[1], "--why");
	if (argc != 2 + why_detected || argv[argc - 1][0] == '-')
		return cli_usage_error(usage, "sources takes one case folder");
	struct tl_case cs;
	struct tl_err err;
	if (cli_open_case(argv[argc - 1], &cs))
		return TL_EXIT_ERROR;
	struct tl_store *s = tl_store_open(cs.db_path, TL_STORE_READONLY, &err);
	tl_case_release(&cs);
	if (!s)
		return cli_error("%s (has anything been ingested?)", err.msg);
	struct tl_file_query q = { .count_rows = 1 };
	struct tl_store_iter *it = tl_store_files(s, &q, &err);
	const struct tl_file_rec *f;
	int rc = TL_EXIT_OK, more;
	if (!it) {
		tl_store_close(s);
		return cli_error("sources query: %s", err.msg);
	}
	long long t[5] = { 0 };
	int files = 0;
	struct tl_buf b = TL_BUF_INIT;
	printf("%-11s %-16s %9s %9s %8s %7s %6s  %-27s %-27s %s\n", "status", "format", "records", "events",
	       "rejects", "merged", "meta", "first", "last", "path");
	while ((more = tl_store_next_file(it, &f, &err)) == 1) {
		long long rec = f->counts.records, ev = f->counts.events, rj = f->counts.rejects, meta = f->counts.meta,
			  mg = f->counts.merged;
		char first[40], last[40];
		span(f->has_first, f->counts.first_ts, first, sizeof(first));
		span(f->has_last, f->counts.last_ts, last, sizeof(last));
		tl_buf_reset(&b);
		tl_term_escape(&b, f->path, strlen(f->path));
		printf("%-11s %-16s %9lld %9lld %8lld %7lld %6lld  %-27s %-27s %s\n", f->status, f->format ? f->format : "-",
		       rec, ev, rj, mg, meta, first, last, b.data);
		const char *why = f->error;
		if (why && *why) {
			tl_buf_reset(&b);
			tl_term_escape(&b, why, strlen(why));
			printf("%-11s   ^ %s\n", "", b.data);
		}
		if (why_detected) {
			const char *det = f->detection;
			const char *rule = f->format_rule;
			if (det && *det) {
				if (cli_detection_show(stdout, det, "              "))
					printf("%-11s   ^ detection record is not readable JSON\n", "");
			} else if (rule && (!strcmp(rule, "--format") || !strcmp(rule, "config"))) {
				printf("%-11s   ^ format forced by %s, not detected\n", "", rule);
			}
		}
		if (tl_store_file_unfinished(f))
			printf("%-11s   ^ unfinished: %lld events and %lld rejects stored so far by an ingest that was "
			       "interrupted or is still running; tl ingest redoes this file\n",
			       "", (long long)f->stored_events, (long long)f->stored_rejects);
		/* the stored counts must agree with each other and with the rows */
		if (!tl_store_file_balanced(f)) {
			fprintf(stderr, "tl: error: counts do not add up for '%s'\n", f->path);
			rc = TL_EXIT_ERROR;
		}
		t[0] += rec, t[1] += ev, t[2] += rj, t[3] += meta, t[4] += f->counts.merged;
		files++;
	}
	tl_store_iter_free(it);
	tl_buf_release(&b);
	if (more < 0)
		rc = cli_error("sources query: %s", err.msg);
	printf("%-11s %-16s %9lld %9lld %8lld %7lld %6lld  %d files; records = events + rejects + merged: %s\n",
	       "total", "", t[0], t[1], t[2], t[4], t[3], files,
	       t[0] == t[1] + t[2] + t[4] && rc == TL_EXIT_OK ? "yes" : "NO");
	tl_store_close(s);
	return rc;
}
