/* tl sources CASE: per evidence file, what it became; totals that add up. */
#define _POSIX_C_SOURCE 200809L
#include <string.h>

#include "cmd.h"
#include "common.h"
#include "tl/case.h"
#include "tl/output.h"
#include "tl/store.h"

static const char usage[] =
	"usage: tl sources CASE\n\n"
	"Lists every evidence file tl has seen: status, format, records, events,\n"
	"rejects, records merged into another record's event (auditd), header/blank\n"
	"lines and time span, then totals. For every file, records = events +\n"
	"rejects + merged. Exit status 1 if the counts do not add up.\n";

static void span(sqlite3_stmt *st, int col, char *buf, size_t len)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		snprintf(buf, len, "-");
	else
		tl_time_format_iso(sqlite3_column_int64(st, col), buf, len);
}

int cmd_sources(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return TL_EXIT_OK;
	}
	if (argc != 2)
		return cli_usage_error(usage, "sources takes one case folder");
	struct tl_case cs;
	struct tl_err err;
	if (cli_open_case(argv[1], &cs))
		return TL_EXIT_ERROR;
	struct tl_store *s = tl_store_open(cs.db_path, TL_STORE_READONLY, &err);
	tl_case_release(&cs);
	if (!s)
		return cli_error("%s (has anything been ingested?)", err.msg);
	sqlite3_stmt *st;
	sqlite3 *db = tl_store_db(s);
	int rc = TL_EXIT_OK;
	if (sqlite3_prepare_v2(db,
			       "SELECT path, status, coalesce(format, '-'), records, events, rejects, meta, first_ts, "
			       "last_ts, coalesce(error, ''), "
			       "(SELECT count(*) FROM events e WHERE e.file_id = f.id), "
			       "(SELECT count(*) FROM rejects r WHERE r.file_id = f.id), merged "
			       "FROM evidence_files f ORDER BY path",
			       -1, &st, NULL) != SQLITE_OK) {
		tl_store_close(s);
		return cli_error("sources query: %s", sqlite3_errmsg(db));
	}
	long long t[5] = { 0 };
	int files = 0;
	struct tl_buf b = TL_BUF_INIT;
	printf("%-11s %-16s %9s %9s %8s %7s %6s  %-27s %-27s %s\n", "status", "format", "records", "events",
	       "rejects", "merged", "meta", "first", "last", "path");
	while (sqlite3_step(st) == SQLITE_ROW) {
		long long rec = sqlite3_column_int64(st, 3), ev = sqlite3_column_int64(st, 4),
			  rj = sqlite3_column_int64(st, 5), meta = sqlite3_column_int64(st, 6),
			  mg = sqlite3_column_int64(st, 12);
		char first[40], last[40];
		span(st, 7, first, sizeof(first));
		span(st, 8, last, sizeof(last));
		tl_buf_reset(&b);
		const char *path = (const char *)sqlite3_column_text(st, 0);
		tl_term_escape(&b, path, strlen(path));
		printf("%-11s %-16s %9lld %9lld %8lld %7lld %6lld  %-27s %-27s %s\n", sqlite3_column_text(st, 1),
		       sqlite3_column_text(st, 2), rec, ev, rj, mg, meta, first, last, b.data);
		const char *why = (const char *)sqlite3_column_text(st, 9);
		if (why && *why) {
			tl_buf_reset(&b);
			tl_term_escape(&b, why, strlen(why));
			printf("%-11s   ^ %s\n", "", b.data);
		}
		/* an unfinished attempt (an ingest killed, or running now) has rows but
		 * no counts yet: the next tl ingest clears and redoes it */
		int unfinished = !strcmp((const char *)sqlite3_column_text(st, 1), "ingesting");
		if (unfinished)
			printf("%-11s   ^ unfinished: %lld events and %lld rejects stored so far by an ingest that was "
			       "interrupted or is still running; tl ingest redoes this file\n",
			       "", (long long)sqlite3_column_int64(st, 10), (long long)sqlite3_column_int64(st, 11));
		/* the stored counts must agree with each other and with the rows */
		if (!unfinished &&
		    (rec != ev + rj + mg || ev != sqlite3_column_int64(st, 10) || rj != sqlite3_column_int64(st, 11))) {
			fprintf(stderr, "tl: error: counts do not add up for '%s'\n", path);
			rc = TL_EXIT_ERROR;
		}
		t[0] += rec, t[1] += ev, t[2] += rj, t[3] += meta, t[4] += mg;
		files++;
	}
	sqlite3_finalize(st);
	tl_buf_release(&b);
	printf("%-11s %-16s %9lld %9lld %8lld %7lld %6lld  %d files; records = events + rejects + merged: %s\n",
	       "total", "", t[0], t[1], t[2], t[4], t[3], files,
	       t[0] == t[1] + t[2] + t[4] && rc == TL_EXIT_OK ? "yes" : "NO");
	tl_store_close(s);
	return rc;
}
