/*
 * tl verify: checks that what the manifest and the custody log say still
 * holds (src/integrity/verify.c).
 */
#ifndef TL_VERIFY_H
#define TL_VERIFY_H

#include <stdio.h>

#include "tl/case.h"
#include "tl/util.h"

/* Verify the case: evidence against the database, SHA256SUMS, the events digest
 * in manifest.json against the database, replay.tl against the custody log,
 * the custody chain, the database itself. One "OK ..." or "FAIL ..." line per
 * item on OUT (the caller's stream). Returns the number of failures, or -1
 * when the case cannot be read at all. */
long tl_verify(const struct tl_case *c, FILE *out, struct tl_err *err);

/* tl_verify, then, when PUBKEY is not NULL, the signature of out/manifest.json
 * (tl_sign_verify_manifest). manifest.json and SHA256SUMS are read once: the
 * bytes the signature covers are the bytes the files were checked against.
 * SHA256SUMS lines naming files outside the case folder are refused unread;
 * SHA256SUMS must list exactly what the manifest lists. Outputs written
 * before the last ingest print a STALE line (not a failure). The custody
 * chain is checked up to the head the manifest recorded; later entries print
 * an UNSIGNED line; the current head is printed for recording elsewhere. */
long tl_verify_signed(const struct tl_case *c, const char *pubkey, FILE *out, struct tl_err *err);

#endif
