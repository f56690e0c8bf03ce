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

/* Append one line for NAME to B. 0, or -1 when B is full or memory ran out
 * (the caller must not write a file that lost a line). */
int tl_sums_add_line(struct tl_buf *b, const char *sha, const char *name);

/* The entries of S in the order of their lines in the file (S keeps them
 * sorted by name): an array of S->n pointers into S the caller frees, or
 * NULL when out of memory. O(n log n): the file may be a hostile 64 MiB. */
struct tl_sum **tl_sums_in_file_order(struct tl_sums *s);

/* Resolve "out/" + NAME (a SHA256SUMS name, relative to CASE/out) lexically
 * into OUT (LEN bytes), relative to the case folder: "../evidence/a.log"
 * gives "evidence/a.log". -1 when NAME is absolute, climbs out of the case
 * folder, resolves to the folder itself or does not fit. */
int tl_sums_resolve(const char *name, char *out, size_t len);

#endif
