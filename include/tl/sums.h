/*
 * SHA256SUMS in the format coreutils reads and writes ("HASH  NAME", and a
 * leading backslash when NAME holds a newline or backslash, which are then
 * escaped). Written by tl manifest; read by tl verify, tl package and the
 * signature check.
 *
 * Ownership: struct tl_sums owns its names; release with tl_sums_release().
 */
#ifndef TL_SUMS_H
#define TL_SUMS_H

#include <stddef.h>

#include "tl/util.h"

struct tl_sum {
	char *name;    /* unescaped */
	char sha[65];
	unsigned line; /* in the file */
	int used;      /* for callers that tick entries off */
};

struct tl_sums {
	struct tl_sum *v; /* sorted by name */
	size_t n;
	unsigned bad;       /* malformed lines */
	unsigned first_bad; /* line of the first one */
};

/* Parse TEXT; malformed lines are counted, not fatal. -1 only when out of memory. */
int tl_sums_parse(const char *text, size_t len, struct tl_sums *s);
struct tl_sum *tl_sums_find(struct tl_sums *s, const char *name);
void tl_sums_release(struct tl_sums *s);

/* Append one line for NAME to B. */
void tl_sums_add_line(struct tl_buf *b, const char *sha, const char *name);

#endif
