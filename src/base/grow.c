/*
 * Growing a dynamic array by doubling (include/tl/grow.h). Not a buffer of
 * bytes with a maximum: that is struct tl_buf (src/base/buf.c).
 */
#include <stdint.h>
#include <stdlib.h>

#include "tl/grow.h"
#include "tl/banned.h"

void *tl_grow_realloc(void *v, size_t *cap, size_t need, size_t size, size_t first)
{
	if (need <= *cap && v)
		return v;
	if (*cap > SIZE_MAX / 2)
		return NULL; /* doubling would wrap */
	size_t c = *cap * 2;
	if (c < first)
		c = first;
	if (c < need)
		c = need;
	if (c == 0)
		c = 1;
	/* SIZE 0 would pass any count and realloc(V, 0) may free V: one byte each */
	if (size == 0)
		size = 1;
	if (c > SIZE_MAX / size)
		return NULL;
	void *p = realloc(v, c * size);
	if (!p)
		return NULL;
	*cap = c;
	return p;
}
