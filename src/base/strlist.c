/* A growable list of strings it owns (include/tl/util.h, "string lists"). */
#define _POSIX_C_SOURCE 200809L
#include "tl/util.h"

#include <stdlib.h>
#include <string.h>
#include "tl/grow.h"
#include "tl/banned.h"

int tl_strlist_add(struct tl_strlist *l, const char *s)
{
	char **v = tl_grow(l->v, &l->cap, l->n + 1, sizeof(*v), 32);
	if (!v)
		return -1;
	l->v = v;
	size_t n = strlen(s) + 1;
	char *copy = malloc(n);
	if (!copy)
		return -1;
	memcpy(copy, s, n);
	l->v[l->n++] = copy;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void tl_strlist_sort(struct tl_strlist *l)
{
	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), cmp_str);
}

void tl_strlist_release(struct tl_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}
