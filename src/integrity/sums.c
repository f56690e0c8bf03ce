/* SHA256SUMS reading and writing (see include/tl/sums.h). */
#define _POSIX_C_SOURCE 200809L
#include "tl/sums.h"

#include <stdlib.h>
#include <string.h>

#include "tl/banned.h"

static int sum_cmp(const void *a, const void *b)
{
	return strcmp(((const struct tl_sum *)a)->name, ((const struct tl_sum *)b)->name);
}

/* Parse TEXT; malformed lines are counted, not fatal. -1 only on OOM. */
int tl_sums_parse(const char *text, size_t len, struct tl_sums *s)
{
	memset(s, 0, sizeof(*s));
	size_t cap = 0, start = 0;
	unsigned lineno = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && text[i] != '\n')
			continue;
		if (i == len && i == start)
			break;
		lineno++;
		const char *l = text + start;
		size_t ll = i - start;
		start = i + 1;
		int esc = ll && l[0] == '\\';
		const char *p = l + esc;
		size_t pl = ll - (size_t)esc;
		int hexok = pl >= 67 && p[64] == ' ' && p[65] == ' ';
		for (size_t k = 0; hexok && k < 64; k++)
			hexok = (p[k] >= '0' && p[k] <= '9') || (p[k] >= 'a' && p[k] <= 'f');
		if (!hexok || memchr(p, 0, pl)) {
			if (!s->bad++)
				s->first_bad = lineno;
			continue;
		}
		char *name = malloc(pl - 66 + 1);
		if (!name)
			return -1;
		size_t k = 0;
		for (size_t q = 66; q < pl; q++) {
			if (esc && p[q] == '\\' && q + 1 < pl && p[q + 1] == 'n')
				name[k++] = '\n', q++;
			else if (esc && p[q] == '\\' && q + 1 < pl && p[q + 1] == '\\')
				name[k++] = '\\', q++;
			else
				name[k++] = p[q];
		}
		name[k] = 0;
		if (s->n == cap) {
			cap = cap ? cap * 2 : 64;
			struct tl_sum *v = realloc(s->v, cap * sizeof(*v));
			if (!v) {
				free(name);
				return -1;
			}
			s->v = v;
		}
		struct tl_sum *e = &s->v[s->n++];
		e->name = name;
		memcpy(e->sha, p, 64);
		e->sha[64] = 0;
		e->line = lineno;
		e->used = 0;
	}
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), sum_cmp);
	return 0;
}

struct tl_sum *tl_sums_find(struct tl_sums *s, const char *name)
{
	struct tl_sum key = { (char *)name, "", 0, 0 };
	return s->n ? bsearch(&key, s->v, s->n, sizeof(*s->v), sum_cmp) : NULL;
}

void tl_sums_release(struct tl_sums *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].name);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

void tl_sums_add_line(struct tl_buf *b, const char *sha, const char *name)
{
	int esc = strpbrk(name, "\\\n") != NULL;
	if (esc)
		tl_buf_addc(b, '\\');
	tl_buf_addf(b, "%s  ", sha);
	for (const char *p = name; *p; p++) {
		if (esc && *p == '\\')
			tl_buf_adds(b, "\\\\");
		else if (esc && *p == '\n')
			tl_buf_adds(b, "\\n");
		else
			tl_buf_addc(b, *p);
	}
	tl_buf_addc(b, '\n');
}
