/* SHA256SUMS reading and writing (see include/tl/sums.h). */
#define _POSIX_C_SOURCE 200809L
#include "tl/sums.h"

#include <stdlib.h>
#include <string.h>

#include "tl/grow.h"
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
		struct tl_sum *v = tl_grow(s->v, &cap, s->n + 1, sizeof(*v), 64);
		if (!v) {
			free(name);
			return -1;
		}
		s->v = v;
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

int tl_sums_add_line(struct tl_buf *b, const char *sha, const char *name)
{
	int esc = strpbrk(name, "\\\n") != NULL, bad = 0;
	if (esc)
		bad |= tl_buf_addc(b, '\\');
	bad |= tl_buf_addf(b, "%s  ", sha);
	for (const char *p = name; *p && !bad; p++) {
		if (esc && *p == '\\')
			bad |= tl_buf_adds(b, "\\\\");
		else if (esc && *p == '\n')
			bad |= tl_buf_adds(b, "\\n");
		else
			bad |= tl_buf_addc(b, *p);
	}
	bad |= tl_buf_addc(b, '\n');
	return bad ? -1 : 0;
}

static int line_cmp(const void *a, const void *b)
{
	unsigned x = (*(const struct tl_sum *const *)a)->line, y = (*(const struct tl_sum *const *)b)->line;
	return x < y ? -1 : x > y;
}

struct tl_sum **tl_sums_in_file_order(struct tl_sums *s)
{
	struct tl_sum **order = calloc(s->n ? s->n : 1, sizeof(*order));
	if (!order)
		return NULL;
	for (size_t i = 0; i < s->n; i++)
		order[i] = &s->v[i];
	if (s->n)
		qsort(order, s->n, sizeof(*order), line_cmp);
	return order;
}

int tl_sums_resolve(const char *name, char *out, size_t len)
{
	if (!len)
		return -1;
	out[0] = 0;
	if (name[0] == '/' || strlen(name) + 5 > len)
		return -1;
	char *tmp = malloc(strlen(name) + 5);
	if (!tmp)
		return -1;
	memcpy(tmp, "out/", 4);
	memcpy(tmp + 4, name, strlen(name) + 1);
	size_t o = 0;
	int rc = 0;
	for (const char *p = tmp; *p;) {
		size_t cl = strcspn(p, "/");
		if (cl == 0 || (cl == 1 && p[0] == '.')) {
			; /* "a//b", "a/./b" */
		} else if (cl == 2 && p[0] == '.' && p[1] == '.') {
			if (o == 0) {
				rc = -1;
				break;
			}
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else {
			if (o + (o ? 1 : 0) + cl + 1 > len) {
				rc = -1;
				break;
			}
			if (o)
				out[o++] = '/';
			memcpy(out + o, p, cl);
			o += cl;
		}
		p += cl + (p[cl] == '/');
	}
	free(tmp);
	out[o] = 0;
	return rc || !o ? -1 : 0;
}
