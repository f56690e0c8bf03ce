/* tl rejects CASE: the records no format could turn into events, with why. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <string.h>

#include "cmd.h"
#include "common.h"
#include "tl/case.h"
#include "tl/output.h"
#include "tl/store.h"

static const char usage[] =
	"usage: tl rejects [options] CASE\n\n"
	"Lists rejected records in file and offset order: PATH:LINE: reason, then an\n"
	"escaped excerpt of the record (200 bytes at most). 'tl show' does not apply:\n"
	"a reject has no event; its raw bytes are at the offset shown by --output jsonl.\n\n"
	"  --file TEXT            only files whose path contains TEXT\n"
	"  --reason TEXT          only rejects whose reason contains TEXT\n"
	"  --output FORMAT        text (default) or jsonl (path, line, offset, length,\n"
	"                         sha256, reason, excerpt)\n"
	"  -h, --help             this help\n";

int cmd_rejects(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "file", required_argument, NULL, 'f' },   { "reason", required_argument, NULL, 'r' },
		{ "output", required_argument, NULL, 'O' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = NULL, *reason = NULL;
	enum tl_out_format fmt = TL_OUT_TEXT;
	int c;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': file = optarg; break;
		case 'r': reason = optarg; break;
		case 'O':
			if (!strcmp(optarg, "text"))
				fmt = TL_OUT_TEXT;
			else if (!strcmp(optarg, "jsonl"))
				fmt = TL_OUT_JSONL;
			else
				return cli_usage_error(usage, "--output: '%s' is not text or jsonl", optarg);
			break;
		case 'h': fputs(usage, stdout); return TL_EXIT_OK;
		default: return cli_usage_error(usage, "rejects: bad option");
		}
	}
	if (optind != argc - 1)
		return cli_usage_error(usage, "rejects takes one case folder");
	struct tl_case cs;
	struct tl_err err;
	if (cli_open_case(argv[optind], &cs))
		return TL_EXIT_ERROR;
	int rc = TL_EXIT_OK;
	struct tl_store *s = tl_store_open(cs.db_path, TL_STORE_READONLY, &err);
	if (!s) {
		rc = cli_error("%s (has anything been ingested?)", err.msg);
	} else {
		long n = tl_rejects_write(s, file, reason, fmt, stdout, &err);
		if (n < 0)
			rc = cli_error("%s", err.msg);
		else if (n == 0)
			fprintf(stderr, "tl: %s\n", file || reason ? "no rejects match" : "no rejected records");
	}
	tl_store_close(s);
	tl_case_release(&cs);
	return rc;
}
