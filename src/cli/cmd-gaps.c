/* tl gaps CASE: gaps and tamper indicators in the evidence. */
#include <string.h>

#include "cmd.h"
#include "common.h"
#include "tl/gaps.h"
#include "tl/store.h"

static const char usage[] =
	"usage: tl gaps CASE\n\n"
	"Lists, per evidence file, what suggests evidence is missing or was tampered\n"
	"with: breaks in the source's own record numbers, the clock going backwards\n"
	"in a source that writes in time order, silences far longer than the file's\n"
	"own rhythm, and records that are tampering in themselves (logging stopped,\n"
	"log cleared). Each line: kind, evidence file:line, UTC time, detail.\n"
	"tl manifest counts them. See docs/gaps.md.\n";

static int print_gap(void *ctx, const struct tl_gap *g)
{
	(void)ctx;
	char iso[40];
	struct tl_buf b = TL_BUF_INIT;
	tl_time_format_iso(g->ts, iso, sizeof(iso));
	tl_term_escape(&b, g->path, strlen(g->path));
	tl_buf_addf(&b, ":%lld  ", (long long)g->line);
	tl_term_escape(&b, g->detail, strlen(g->detail));
	printf("%-17s %s  %s\n", tl_gap_kind_name(g->kind), iso, b.data);
	tl_buf_release(&b);
	return 0;
}

int cmd_gaps(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return TL_EXIT_OK;
	}
	if (argc != 2)
		return cli_usage_error(usage, "gaps takes one case folder");
	struct tl_case cs;
	struct tl_err err;
	if (cli_open_case(argv[1], &cs))
		return TL_EXIT_ERROR;
	struct tl_store *s = NULL;
	int rc = TL_EXIT_OK;
	if (!(s = tl_store_open(cs.db_path, TL_STORE_READONLY, &err))) {
		rc = cli_error("%s (has anything been ingested?)", err.msg);
	} else {
		long counts[TL_GAP_KINDS];
		long n = tl_gaps_scan(s, print_gap, NULL, counts, &err);
		if (n < 0)
			rc = cli_error("%s", err.msg);
		else
			printf("%ld found: %ld sequence breaks, %ld clock going backwards, %ld silences, %ld tamper "
			       "indicators\n",
			       n, counts[TL_GAP_SEQUENCE], counts[TL_GAP_CLOCK], counts[TL_GAP_SILENCE],
			       counts[TL_GAP_INDICATOR]);
	}
	tl_store_close(s);
	tl_case_release(&cs);
	return rc;
}
