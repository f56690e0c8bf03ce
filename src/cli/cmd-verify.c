/* tl verify CASE: re-check everything the case's integrity rests on. */
#include <string.h>

#include "cmd.h"
#include "common.h"
#include "tl/manifest.h"

static const char usage[] =
	"usage: tl verify CASE\n\n"
	"Re-hashes every evidence file against what ingest recorded, checks the\n"
	"database (SQLite quick_check), recomputes the events digest and compares it\n"
	"with out/manifest.json, re-hashes every file listed in out/SHA256SUMS, and\n"
	"walks the custody log's hash chain. Prints one OK or FAIL line per item,\n"
	"then a summary. Exit status 5 if anything failed (each failure is named).\n";

int cmd_verify(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return TL_EXIT_OK;
	}
	if (argc != 2)
		return cli_usage_error(usage, "verify takes one case folder");
	struct tl_case cs;
	if (cli_open_case(argv[1], &cs))
		return TL_EXIT_ERROR;
	struct tl_err err;
	long failed = tl_verify(&cs, stdout, &err);
	tl_case_release(&cs);
	if (failed < 0)
		return cli_error("%s", err.msg);
	return failed ? TL_EXIT_MISMATCH : TL_EXIT_OK;
}
