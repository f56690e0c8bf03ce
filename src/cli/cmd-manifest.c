/* tl manifest [--sign KEY.pem] [--output case-uco] CASE: write out/manifest.json
 * and out/SHA256SUMS, optionally signed and as CASE/UCO JSON-LD. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "common.h"
#include "tl/manifest.h"
#include "tl/sign.h"
#include "tl/uco.h"

static const char usage[] =
	"usage: tl manifest [--sign KEY.pem] [--output case-uco] CASE\n\n"
	"Writes CASE/out/manifest.json — tool build, case config hash, every format\n"
	"used with its hash, every evidence file with size, SHA-256, format and\n"
	"counts, the canonical digest of all events, and every file in CASE/out with\n"
	"its SHA-256 and the custody entry that produced it — and CASE/out/SHA256SUMS,\n"
	"which coreutils checks alone:  cd CASE/out && sha256sum -c SHA256SUMS\n\n"
	"  --sign KEY.pem       also write out/manifest.json.sig, a detached Ed25519\n"
	"                       signature (base64, one line) made with the PEM private\n"
	"                       key (openssl genpkey -algorithm ed25519 -out KEY.pem);\n"
	"                       check it with: tl verify --pubkey PUB.pem CASE\n"
	"  --output case-uco    also write out/manifest.case-uco.jsonld, the manifest\n"
	"                       as CASE/UCO JSON-LD for other forensic tools\n\n"
	"Those two are made from manifest.json, so manifest.json does not list them;\n"
	"each run removes the ones a previous run left, as they describe the manifest\n"
	"being replaced.\n";

/* Files made from manifest.json: stale once it is rewritten, and if left in
 * out/ the new manifest would list them, so a re-run would never reproduce it. */
static const char *const derived[] = { "manifest.json.sig", "manifest.case-uco.jsonld" };

static void record_output(const struct tl_case *cs, const char *name)
{
	char path[4200], sha[65], rel[4200];
	struct tl_err err;
	if (tl_pathf(path, sizeof(path), &err, "%s/%s", cs->out_dir, name) == 0 &&
	    tl_pathf(rel, sizeof(rel), &err, "out/%s", name) == 0 && tl_file_sha256(path, sha, &err) == 0)
		cli_custody_output(rel, sha);
}

int cmd_manifest(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "sign", required_argument, NULL, 's' }, { "output", required_argument, NULL, 'O' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *key = NULL;
	int uco = 0, c;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's': key = optarg; break;
		case 'O':
			if (strcmp(optarg, "case-uco"))
				return cli_usage_error(usage, "--output: '%s' is not a manifest output (case-uco)", optarg);
			uco = 1;
			break;
		case 'h': fputs(usage, stdout); return TL_EXIT_OK;
		default: return cli_usage_error(usage, "manifest: bad option");
		}
	}
	if (optind != argc - 1)
		return cli_usage_error(usage, "manifest takes one case folder");
	struct tl_case cs;
	if (cli_open_case(argv[optind], &cs))
		return TL_EXIT_ERROR;
	struct tl_formats fs = TL_FORMATS_INIT;
	int rc = TL_EXIT_OK;
	struct tl_err err;
	char digest[65], mpath[4200], path[4200];
	struct tl_manifest_info info = { TL_VERSION, tl_build_id };
	if (tl_pathf(mpath, sizeof(mpath), &err, "%s/manifest.json", cs.out_dir)) {
		rc = cli_error("%s", err.msg);
		goto cleanup;
	}
	if (cli_load_formats(&cs, &fs)) {
		rc = TL_EXIT_ERROR;
		goto cleanup;
	}
	for (size_t i = 0; i < sizeof(derived) / sizeof(derived[0]); i++) {
		if (tl_pathf(path, sizeof(path), &err, "%s/%s", cs.out_dir, derived[i])) {
			rc = cli_error("%s", err.msg);
			goto cleanup;
		}
		if (unlink(path) != 0 && errno != ENOENT) {
			rc = cli_error("cannot remove the previous '%s': %s", path, strerror(errno));
			goto cleanup;
		}
	}
	if (tl_manifest_write(&cs, &fs, &info, digest, &err)) {
		rc = cli_error("%s", err.msg);
		goto cleanup;
	}
	record_output(&cs, "manifest.json");
	record_output(&cs, "SHA256SUMS");
	printf("wrote %s/manifest.json and SHA256SUMS (events digest %s)\n", cs.out_dir, digest);
	/* the manifest stands on its own: a failed extra below leaves it written */
	if (uco) {
		if (tl_pathf(path, sizeof(path), &err, "%s/%s", cs.out_dir, derived[1]) ||
		    tl_uco_write(&cs, mpath, path, &err)) {
			rc = cli_error("%s", err.msg);
		} else {
			record_output(&cs, derived[1]);
			printf("wrote %s (CASE/UCO JSON-LD)\n", path);
		}
	}
	if (key) {
		if (tl_pathf(path, sizeof(path), &err, "%s/%s", cs.out_dir, derived[0]) ||
		    tl_sign_file(key, mpath, path, &err)) {
			rc = cli_error("%s", err.msg);
		} else {
			record_output(&cs, derived[0]);
			printf("wrote %s (Ed25519 signature of manifest.json)\n", path);
		}
	}
cleanup:
	tl_formats_release(&fs);
	tl_case_release(&cs);
	return rc;
}
