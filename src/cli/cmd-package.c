/* tl package [--with-evidence] [--force] -o FILE.tar.gz CASE: a handoff package. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <string.h>

#include "cmd.h"
#include "common.h"
#include "tl/manifest.h"
#include "tl/package.h"

static const char usage[] =
	"usage: tl package [--with-evidence] [--historical] [--force] -o FILE.tar.gz CASE\n\n"
	"Writes one .tar.gz holding, under a folder named after CASE: out/manifest.json,\n"
	"out/SHA256SUMS, custody.jsonl, replay.tl, tl.json, formats/*.json and every\n"
	"output in out/ that SHA256SUMS lists; with --with-evidence the evidence\n"
	"files too. Run tl manifest first: a file that changed since is refused, one\n"
	"written since is left out (with a note), and so are tl.json and formats/ that\n"
	"changed since: refused. An output written before the events last changed\n"
	"(an ingest since) is stale and refused unless --historical.\n"
	"The same case gives the same bytes.\n"
	"The recipient checks it with:  tl verify --package FILE.tar.gz\n\n"
	"  -o, --out FILE       where to write the package (required; any path)\n"
	"  --with-evidence      include the evidence files\n"
	"  --historical         ship stale outputs anyway, as history (the manifest\n"
	"                       marks them \"stale\"; the recipient's verify says so)\n"
	"  --force              replace FILE if it exists\n";

int cmd_package(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' },	  { "with-evidence", no_argument, NULL, 'E' },
		{ "force", no_argument, NULL, 'f' },	  { "help", no_argument, NULL, 'h' },
		{ "historical", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	if (cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return TL_EXIT_OK;
	}
	struct tl_package_opts o = { 0, 0, 0 };
	const char *dest = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': dest = optarg; break;
		case 'E': o.with_evidence = 1; break;
		case 'f': o.force = 1; break;
		case 'H': o.historical = 1; break;
		case 'h': fputs(usage, stdout); return TL_EXIT_OK;
		default: return cli_usage_error(usage, "unknown option");
		}
	}
	if (!dest || !*dest)
		return cli_usage_error(usage, "package needs -o FILE.tar.gz");
	if (argc - optind != 1)
		return cli_usage_error(usage, "package takes one case folder");
	struct tl_case cs;
	if (cli_open_case(argv[optind], &cs))
		return TL_EXIT_ERROR;
	struct tl_err err;
	struct tl_package_result res;
	int rc = TL_EXIT_OK;
	if (tl_package_write(&cs, dest, &o, &res, stderr, &err)) {
		rc = cli_error("%s", err.msg);
	} else {
		/* inside the case it is an output like any other, in the custody log;
		 * elsewhere the analyst keeps the hash printed here */
		char rel[4096];
		struct tl_err e;
		int inside = tl_case_relpath(&cs, dest, rel, sizeof(rel), &e) == 0;
		if (inside)
			cli_custody_output(rel, res.sha256);
		printf("wrote %s: %ld files, %lld bytes before compression%s\n", dest, res.members, res.bytes,
		       o.with_evidence ? ", with evidence" : "");
		printf("sha256 %s  %s\n", res.sha256, dest);
	}
	tl_case_release(&cs);
	return rc;
}
