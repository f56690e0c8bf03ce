/* tl manifest CASE: write out/manifest.json and out/SHA256SUMS. */
#include <string.h>

#include "cmd.h"
#include "common.h"
#include "tl/manifest.h"

static const char usage[] =
	"usage: tl manifest CASE\n\n"
	"Writes CASE/out/manifest.json — tool build, case config hash, every format\n"
	"used with its hash, every evidence file with size, SHA-256, format and\n"
	"counts, the canonical digest of all events, and every file in CASE/out with\n"
	"its SHA-256 and the custody entry that produced it — and CASE/out/SHA256SUMS,\n"
	"which coreutils checks alone:  cd CASE/out && sha256sum -c SHA256SUMS\n";

int cmd_manifest(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return TL_EXIT_OK;
	}
	if (argc != 2)
		return cli_usage_error(usage, "manifest takes one case folder");
	struct tl_case cs;
	if (cli_open_case(argv[1], &cs))
		return TL_EXIT_ERROR;
	struct tl_formats fs = TL_FORMATS_INIT;
	int rc = TL_EXIT_OK;
	struct tl_err err;
	char digest[65];
	struct tl_manifest_info info = { TL_VERSION, tl_build_id };
	if (cli_load_formats(&cs, &fs)) {
		rc = TL_EXIT_ERROR;
	} else if (tl_manifest_write(&cs, &fs, &info, digest, &err)) {
		rc = cli_error("%s", err.msg);
	} else {
		const char *names[] = { "manifest.json", "SHA256SUMS" };
		for (int i = 0; i < 2; i++) {
			char path[4200], sha[65], rel[64];
			snprintf(path, sizeof(path), "%s/%s", cs.out_dir, names[i]);
			snprintf(rel, sizeof(rel), "out/%s", names[i]);
			if (tl_file_sha256(path, sha, &err) == 0)
				cli_custody_output(rel, sha);
		}
		printf("wrote %s/manifest.json and SHA256SUMS (events digest %s)\n", cs.out_dir, digest);
	}
	tl_formats_release(&fs);
	tl_case_release(&cs);
	return rc;
}
