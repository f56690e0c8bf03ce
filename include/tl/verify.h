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

#endif
