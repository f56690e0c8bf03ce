/* tl show CASE EVENT: one event in full, its raw record re-read from the
 * evidence and re-hashed against the stored SHA-256, and its neighbours. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "common.h"
#include "tl/case.h"
#include "tl/output.h"
#include "tl/reader.h"
#include "tl/store.h"

static const char usage[] =
	"usage: tl show [options] CASE EVENT\n\n"
	"EVENT is an event id or PATH:LINE[#N] as the text timeline shows it (#N: the\n"
	"Nth record of a line that holds several). Prints the normalized event, then\n"
	"the raw record re-read from the evidence (decompressed as at ingest) and\n"
	"re-hashed: 'raw sha256 ok' or a MISMATCH (exit 5), its copies (the same\n"
	"record in other evidence, with the basis and each copy's path:line, offset\n"
	"and SHA-256), then the records around it in the same file.\n\n"
	"  --context N            records of the same file before and after (default 2)\n"
	"  -h, --help             this help\n";

static int neighbours(struct tl_store *s, const struct tl_event_row *ev, int64_t n, int before, FILE *out,
		      struct tl_err *err)
{
	struct tl_event_query q = { 0 };
	q.file_id = ev->file_id;
	q.order = TL_ORDER_RECORDS;
	q.record_index = 1;
	q.limit = n;
	if (before) {
		q.has_offset_max = 1, q.offset_max = ev->offset.i;
		q.tail = 1;
	} else {
		q.has_offset_min = 1, q.offset_min = ev->offset.i + 1;
	}
	struct tl_filter flt = { 0 };
	flt.q = q;
	flt.no_header = 1;
	flt.annotations = 1;
	flt.attribution = 1;
	return tl_timeline_write(s, &flt, TL_OUT_TEXT, out, err) < 0 ? -1 : 0;
}

int cmd_show(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "context", required_argument, NULL, 'c' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	long context = 2;
	int c;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': {
			char *end;
			context = strtol(optarg, &end, 10);
			if (*end || end == optarg || context < 0 || context > 1000)
				return cli_usage_error(usage, "--context: '%s' is not a number 0..1000", optarg);
			break;
		}
		case 'h': fputs(usage, stdout); return TL_EXIT_OK;
		default: return cli_usage_error(usage, "show: bad option");
		}
	}
	if (optind != argc - 2)
		return cli_usage_error(usage, "show takes a case folder and an event");
	struct tl_case cs;
	struct tl_err err;
	if (cli_open_case(argv[optind], &cs))
		return TL_EXIT_ERROR;
	const char *ref = argv[optind + 1];
	int rc = TL_EXIT_OK;
	struct tl_buf raw = TL_BUF_INIT;
	struct tl_store_iter *it = NULL;
	struct tl_store *s = tl_store_open(cs.db_path, TL_STORE_READONLY, &err);
	int64_t id;
	int found;
	if (!s) {
		rc = cli_error("%s (has anything been ingested?)", err.msg);
		goto cleanup;
	}
	if ((found = cli_event_ref(s, ref, &id, &err)) <= 0) {
		rc = found < 0 ? cli_error("%s", err.msg)
			       : cli_usage_error(usage, "show: no event '%s' (an id or PATH:LINE[#N])", ref);
		goto cleanup;
	}
	struct tl_event_query q = { 0 };
	q.event_id = id;
	q.record_index = 1;
	q.attribution = 1;
	const struct tl_event_row *ev;
	if (!(it = tl_store_events(s, &q, &err)) || tl_store_next_event(it, &ev, &err) != 1) {
		rc = cli_error("%s", err.msg);
		goto cleanup;
	}
	tl_event_write_detail(ev, stdout);
	char path[4200], sha[65];
	snprintf(path, sizeof(path), "%s/%s", cs.root, ev->path.s ? ev->path.s : "");
	if (strstr(ev->path.s ? ev->path.s : "", "!/")) {
		printf("\nraw record: not re-read (an archive member; tl verify checks the archive)\n");
	} else if (tl_reader_range(path, (uint64_t)ev->offset.i, (size_t)ev->length.i, &raw, &err)) {
		rc = cli_error("cannot re-read the raw record: %s", err.msg);
	} else {
		tl_sha256_hex(raw.data ? raw.data : "", raw.len, sha);
		struct tl_buf shown = TL_BUF_INIT;
		tl_term_escape(&shown, raw.data ? raw.data : "", raw.len);
		printf("\nraw record (%zu bytes at offset %lld):\n%s\n", raw.len, (long long)ev->offset.i,
		       shown.data ? shown.data : "");
		tl_buf_release(&shown);
		if (ev->sha256.s && !strcmp(sha, ev->sha256.s)) {
			printf("raw sha256 ok %s\n", sha);
		} else {
			printf("raw sha256 MISMATCH: re-read %s, stored %s\n", sha, ev->sha256.s ? ev->sha256.s : "-");
			cli_error("the evidence no longer holds the record this event was made from");
			rc = TL_EXIT_MISMATCH;
		}
	}
	if (tl_event_write_copies(s, id, stdout, &err) < 0)
		rc = cli_error("%s", err.msg);
	if (context > 0) {
		printf("\ncontext (%ld records each side, same file):\n", context);
		fflush(stdout);
		struct tl_event_row copy = *ev;
		tl_store_iter_free(it); /* EV is borrowed from IT: keep what is needed first */
		it = NULL;
		if (neighbours(s, &copy, context, 1, stdout, &err) || (printf(">>> this event\n"), 0) ||
		    neighbours(s, &copy, context, 0, stdout, &err))
			rc = cli_error("%s", err.msg);
	}
cleanup:
	tl_store_iter_free(it);
	tl_store_close(s);
	tl_buf_release(&raw);
	tl_case_release(&cs);
	return rc;
}
