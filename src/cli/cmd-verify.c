/* tl verify [--pubkey PUB.pem] CASE: re-check everything the case's integrity rests on.
 * tl verify --package FILE.tar.gz: the same for a handoff package, unpacked by nobody. */
#include <getopt.h>
#include <string.h>

#include "cmd.h"
#include "common.h"
#include "tl/manifest.h"
#include "tl/package.h"
#include "tl/sign.h"
#include "tl/verify.h"

static const char usage[] =
	"usage: tl verify [--pubkey PUB.pem] CASE\n"
	"       tl verify --package FILE.tar.gz\n\n"
	"Re-hashes every evidence file against what ingest recorded, checks the\n"
	"database (SQLite quick_check), recomputes the events digest and compares it\n"
	"with out/manifest.json, re-hashes every file listed in out/SHA256SUMS, and\n"
	"walks the custody log's hash chain. Prints one OK or FAIL line per item,\n"
	"then a summary. Exit status 5 if anything failed (each failure is named).\n\n"
	"  --pubkey PUB.pem   also check out/manifest.json.sig (tl manifest --sign)\n"
	"                     with this Ed25519 public key, and that out/SHA256SUMS\n"
	"                     says what the signed manifest says\n"
	"  --package FILE     check a package written by tl package instead of a case:\n"
	"                     read as a stream (nothing is extracted), every line of\n"
	"                     its out/SHA256SUMS against the member it names (evidence\n"
	"                     lines skipped when it holds no evidence), tl.json and\n"
	"                     formats/ against the manifest, the custody chain. No case\n"
	"                     is opened, so no custody entry; exit 1 if FILE cannot be\n"
	"                     read as a package at all\n";

int cmd_verify(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pubkey", required_argument, NULL, 'p' }, { "package", required_argument, NULL, 'P' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *pubkey = NULL, *package = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': pubkey = optarg; break;
		case 'P': package = optarg; break;
		case 'h': fputs(usage, stdout); return TL_EXIT_OK;
		default: return cli_usage_error(usage, "verify: bad option");
		}
	}
	struct tl_err err;
	if (package) {
		if (optind != argc || pubkey)
			return cli_usage_error(usage, "verify --package takes one package file and no case or --pubkey");
		long failed = tl_package_verify(package, stdout, &err);
		if (failed < 0)
			return cli_error("%s", err.msg);
		return failed ? TL_EXIT_MISMATCH : TL_EXIT_OK;
	}
	if (optind != argc - 1)
		return cli_usage_error(usage, "verify takes one case folder");
	/* an unusable key is the caller's mistake, not a mismatch: say so before checking anything */
	if (pubkey && tl_sign_check_pubkey(pubkey, &err))
		return cli_error("%s", err.msg);
	struct tl_case cs;
	if (cli_open_case(argv[optind], &cs))
		return TL_EXIT_ERROR;
	long failed = tl_verify_signed(&cs, pubkey, stdout, &err);
	tl_case_release(&cs);
	if (failed < 0)
		return cli_error("%s", err.msg);
	return failed ? TL_EXIT_MISMATCH : TL_EXIT_OK;
}
