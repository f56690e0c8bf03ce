/*
 * The error buffer, growable byte buffers with a hard maximum, and the
 * per-record arena (include/tl/util.h, "errors", "buffers", "arena").
 */
#define _POSIX_C_SOURCE 200809L
#include "tl/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tl/banned.h"

int tl_errf(struct tl_err *err, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -1;
}

int tl_buf_grow(struct tl_buf *b, size_t n)
{
	/* len + n + 1 must not wrap (n == SIZE_MAX would make it 0: "room") */
	if (n > SIZE_MAX - 1 - b->len) {
		b->failed = 1;
		return -1;
	}
	size_t need = b->len + n + 1;
	if (b->max && need > b->max + 1) {
		b->failed = 1;
		return -1;
	}
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap * 2 < cap ? need : cap * 2;
	if (b->max && cap > b->max + 1)
		cap = b->max + 1;
	char *p = realloc(b->data, cap);
	if (!p) {
		b->failed = 1;
		return -1;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

int tl_buf_add(struct tl_buf *b, const void *p, size_t len)
{
	if (tl_buf_grow(b, len))
		return -1;
	if (len)
		memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = 0;
	return 0;
}

int tl_buf_addc(struct tl_buf *b, char c)
{
	if (b->len + 2 <= b->cap) {
		b->data[b->len++] = c;
		b->data[b->len] = 0;
		return 0;
	}
	return tl_buf_add(b, &c, 1);
}

int tl_buf_adds(struct tl_buf *b, const char *s)
{
	return tl_buf_add(b, s, strlen(s));
}

int tl_buf_addf(struct tl_buf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = 1;
		return -1;
	}
	if ((size_t)n < sizeof(tmp))
		return tl_buf_add(b, tmp, (size_t)n);
	if (tl_buf_grow(b, (size_t)n))
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void tl_buf_reset(struct tl_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = 0;
}

void tl_buf_release(struct tl_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->failed = 0;
}

struct tl_arena_block {
	struct tl_arena_block *next;
	size_t cap, used;
	_Alignas(16) unsigned char mem[];
};

void *tl_arena_alloc(struct tl_arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	struct tl_arena_block *b = a->head;
	if (!b || b->cap - b->used < n) {
		size_t cap = n > 65536 ? n : 65536;
		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->cap = cap;
		b->used = 0;
		b->next = a->head;
		a->head = b;
	}
	void *p = b->mem + b->used;
	b->used += n;
	a->used += n;
	return p;
}

char *tl_arena_strndup(struct tl_arena *a, const char *s, size_t len)
{
	char *p = tl_arena_alloc(a, len + 1);
	if (!p)
		return NULL;
	if (len)
		memcpy(p, s, len);
	p[len] = 0;
	return p;
}

/* Keep the newest block (the usual working set) and free the rest. */
void tl_arena_reset(struct tl_arena *a)
{
	struct tl_arena_block *b = a->head;
	if (!b)
		return;
	struct tl_arena_block *rest = b->next;
	while (rest) {
		struct tl_arena_block *n = rest->next;
		free(rest);
		rest = n;
	}
	b->next = NULL;
	b->used = 0;
	a->used = 0;
}

void tl_arena_release(struct tl_arena *a)
{
	struct tl_arena_block *b = a->head;
	while (b) {
		struct tl_arena_block *n = b->next;
		free(b);
		b = n;
	}
	a->head = NULL;
	a->used = 0;
}
