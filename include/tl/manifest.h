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
#include "tl/json.h"
#include "tl/sums.h"
#include "tl/util.h"

struct tl_manifest_info {
	const char *tool_version;
	const char *build_id;
};

/* Write both files into CASE/out. *digest (65 bytes, may be NULL) gets the events digest. */
int tl_manifest_write(const struct tl_case *c, const struct tl_formats *fs, const struct tl_manifest_info *info,
		      char *digest, struct tl_err *err);

/* SHA256SUMS must say exactly what the manifest M says: one line per evidence
 * file ("../" + path, or its archive once), per output, and one for
 * manifest.json with MANIFEST_SHA (the hash of the bytes M was parsed from).
 * A line the manifest does not list (added), a listed file without a line
 * (removed) and a line with another hash (edited) each print a FAIL line on
 * OUT naming it; WHOSE ("manifest", "signed manifest") says which manifest.
 * Ticks S's entries off (used). *checked gets the number of files compared.
 * Returns the number of failures. */
long tl_manifest_check_sums(const struct tl_json *m, const char *manifest_sha, struct tl_sums *s, const char *whose,
			    FILE *out, long *checked);

/* The case's own files the manifest M vouches for, re-hashed: tl.json against
 * case_config_sha256 (a case without one hashes as empty) and each case format
 * (origin "formats/...") against its sha256. One "OK   ..." or "FAIL ...:
 * reason" line each on OUT (may be NULL); the first failure also into ERR.
 * Returns the number of failures. Case verify and package write both call it,
 * so a package that would fail this at the recipient is refused at the sender. */
long tl_manifest_check_config(const struct tl_case *c, const struct tl_json *m, FILE *out, long *ok,
			      struct tl_err *err);

/* Outputs M lists that were written before the events last changed: marked
 * "stale" by tl manifest, or written by a custody entry before the last
 * ingest (tl_custody_last_change). A "STALE out/NAME: ..." line each on OUT
 * (may be NULL); the first into ERR. Returns how many. */
long tl_manifest_stale(const struct tl_case *c, const struct tl_json *m, FILE *out, struct tl_err *err);

/* The custody anchor: the head M recorded ("custody": {"entries": N,
 * "head_sha256": H}) must be the hash of entry N of the log LOG (LEN bytes).
 * Prints "OK   custody anchor ...", or "FAIL custody anchor: ..." (entries
 * removed, history rewritten), then "UNSIGNED custody entries N+1-M" when
 * entries that changed the case follow the anchor (*HEAD_N gets M: the
 * current head, see tl_custody_head); a note when M records no anchor.
 * Adds to *ok; returns the number of failures. Case verify and package
 * verify both call it. */
long tl_manifest_check_anchor(const struct tl_json *m, const char *log, size_t len, long head_n, FILE *out, long *ok);

#endif
