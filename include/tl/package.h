/*
 * Handoff packages: one .tar.gz holding what a recipient needs to check a
 * case's results without tl's database — out/manifest.json, out/SHA256SUMS,
 * custody.jsonl, replay.tl, tl.json, the case formats (formats/NAME.json),
 * every output under out/,
 * and on request the evidence itself — all under one top folder named after
 * the case folder.
 *
 * The bytes depend only on the case's files, never on the clock, the owner or
 * where the case lies: every member has mtime 0, uid/gid 0, owner "tl", mode
 * 0644 (folders 0755), members come in a fixed order, and the gzip header
 * carries no time or name. The same case packages to the same bytes (with the
 * same zlib).
 *
 * The writer refuses to make a package that would not verify: every file it
 * packs must match out/SHA256SUMS, and every line there must be packed (the
 * evidence lines only with evidence). The reader walks a package as a stream
 * — nothing is written to disk — and treats it as hostile.
 */
#ifndef TL_PACKAGE_H
#define TL_PACKAGE_H

#include <stdio.h>

#include "tl/case.h"
#include "tl/util.h"

struct tl_package_opts {
	int with_evidence; /* pack the evidence files the database lists */
	int force;         /* replace DEST if it exists */
	int historical;    /* ship outputs written before the events last changed (else refused) */
};

struct tl_package_result {
	char sha256[65];   /* of the .tar.gz as written */
	long members;      /* files packed */
	long long bytes;   /* their total size, uncompressed */
};

/* Write the package of case C to DEST (any path; written under a temporary
 * name beside it and moved into place only when complete). Files in out/ (and
 * evidence) that out/SHA256SUMS does not list are left out with a "note:" line
 * on NOTES (may be NULL): the package holds what the manifest vouches for.
 * Refused, as tl verify CASE would fail them: tl.json or a case format that
 * changed since tl manifest, and (unless O->historical) a stale output. */
int tl_package_write(const struct tl_case *c, const char *dest, const struct tl_package_opts *o,
		     struct tl_package_result *res, FILE *notes, struct tl_err *err);

/* Check the package at PATH without unpacking it: every line of its
 * out/SHA256SUMS against the member it names, tl.json and formats/ against
 * the manifest, the custody chain, and the archive's own structure. One
 * "OK   ...", "FAIL ...: reason" or "SKIP ...: reason" line per item on OUT,
 * then "verify: N ok, M failed". Returns the number of failures, or -1 when
 * PATH cannot be opened or holds no tar members at all. */
long tl_package_verify(const char *path, FILE *out, struct tl_err *err);

#endif
