/*
 * Growing a dynamic array (src/base/grow.c): the one place that doubles a
 * capacity and checks that COUNT * SIZE still fits in size_t, so that no
 * call site forgets the check or starts from a different size by accident.
 *
 * tl_grow(V, &CAP, NEED, SIZE, FIRST) returns an array with room for at
 * least NEED elements of SIZE bytes:
 *   - V itself when *CAP >= NEED (and V is not NULL): nothing is done;
 *   - else V reallocated to max(FIRST, 2 * *CAP, NEED, 1) elements, and
 *     *CAP set to that count;
 *   - NULL when that count, or its size in bytes, would overflow size_t,
 *     or realloc fails: V is then still valid and still the caller's, and
 *     *CAP unchanged.
 * The caller stores the result back only when it is not NULL:
 *
 *	struct item *v = tl_grow(l->v, &l->cap, l->n + 1, sizeof(*v), 16);
 *	if (!v)
 *		return tl_errf(err, "out of memory");
 *	l->v = v;
 *
 * Parallel arrays sharing one capacity grow each from a copy of it and
 * store the capacity once all have grown, so that a failure half-way never
 * leaves the capacity larger than one of the arrays.
 *
 * The maximum a buffer may reach (evidence is hostile) is the caller's:
 * check it before asking for more.
 */
#ifndef TL_GROW_H
#define TL_GROW_H

#include <stddef.h>

/* The reallocation behind tl_grow(); call tl_grow(). */
void *tl_grow_realloc(void *v, size_t *cap, size_t need, size_t size, size_t first);

/* Inline so that the common case, room already there, costs one compare. */
static inline void *tl_grow(void *v, size_t *cap, size_t need, size_t size, size_t first)
{
	if (need <= *cap && v)
		return v;
	return tl_grow_realloc(v, cap, need, size, first);
}

#endif
