/*
 * The evidence manifest: CASE/out/manifest.json (what the case is made of and
 * what was made from it) and CASE/out/SHA256SUMS (the same hashes in the form
 * `cd CASE/out && sha256sum -c SHA256SUMS` checks with coreutils alone).
 *
 * Everything in them is derived from the case — nothing from the clock or the
 * case's absolute path — so the same case gives the same manifest anywhere.
 */
#ifndef TL_MANIFEST_H
#define TL_MANIFEST_H

#include <stdio.h>

#include "tl/case.h"
#include "tl/format.h"
#include "tl/util.h"

struct tl_manifest_info {
	const char *tool_version;
	const char *build_id;
};

/* Write both files into CASE/out. *digest (65 bytes, may be NULL) gets the events digest. */
int tl_manifest_write(const struct tl_case *c, const struct tl_formats *fs, const struct tl_manifest_info *info,
		      char *digest, struct tl_err *err);

#endif
