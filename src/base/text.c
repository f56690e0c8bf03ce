/*
 * Text: UTF-8 validation, escaping for terminals, integers, globs
 * (include/tl/util.h, "text"). JSON escaping is in json.c.
 */
#define _POSIX_C_SOURCE 200809L
#include "tl/util.h"

#include <stdlib.h>
#include <string.h>
#include "tl/banned.h"

size_t tl_utf8_seq(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	size_t n;
	unsigned min;
	unsigned cp;
	if ((c & 0xE0) == 0xC0) {
		n = 2, cp = c & 0x1F, min = 0x80;
	} else if ((c & 0xF0) == 0xE0) {
		n = 3, cp = c & 0x0F, min = 0x800;
	} else if ((c & 0xF8) == 0xF0) {
		n = 4, cp = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	/* overlong forms, surrogates and values past U+10FFFF are not UTF-8 */
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

int tl_term_escape(struct tl_buf *b, const char *s, size_t len)
{
	static const char hx[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		unsigned char c = u[i];
		size_t k = c >= 0x20 && c != 0x7F ? tl_utf8_seq(u + i, len - i) : 0;
		/* C1 controls (U+0080..U+009F) act as escapes on some terminals */
		if (k == 2 && c == 0xC2 && u[i + 1] < 0xA0)
			k = 0;
		if (k) {
			if (tl_buf_add(b, s + i, k))
				return -1;
			i += k;
			continue;
		}
		char esc[4] = { '\\', 'x', hx[c >> 4], hx[c & 15] };
		if (tl_buf_add(b, esc, 4))
			return -1;
		i++;
	}
	return 0;
}

size_t tl_fmt_i64(int64_t v, char buf[21])
{
	char tmp[20];
	size_t n = 0, len = 0;
	/* the magnitude as unsigned: -INT64_MIN does not fit an int64_t */
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		buf[len++] = '-';
	while (n)
		buf[len++] = tmp[--n];
	buf[len] = 0;
	return len;
}

int tl_parse_i64(const char *s, size_t len, int64_t *out)
{
	size_t i = 0;
	int neg = 0;
	if (i < len && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	if (i == len)
		return -1;
	uint64_t v = 0;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_C(9223372036854775808) - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (!neg && v > INT64_MAX)
		return -1;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

/* Results already known for (pattern position, subject position): without them a
 * pattern of many stars backtracks exponentially ("*a*a*a*a...b" against "aaaa...").
 * The depth at a pattern position is the number of stars before it, so a cached
 * result is exact. */
struct glob_memo {
	const char *p0, *s0;
	size_t slen1;
	unsigned char *m; /* 0 unknown, 1 no match, 2 match; NULL: not cached */
};

static int glob_rec(struct glob_memo *g, const char *p, const char *s, int depth);

static int glob_step(struct glob_memo *g, const char *p, const char *s, int depth)
{
	for (; *p; p++, s++) {
		if (p[0] == '*' && p[1] == '*') {
			p += 2;
			if (*p == '/')
				p++;
			for (const char *t = s;; t++) {
				if (glob_rec(g, p, t, depth + 1))
					return 1;
				if (!*t)
					return 0;
			}
		}
		if (*p == '*') {
			for (const char *t = s;; t++) {
				if (glob_rec(g, p + 1, t, depth + 1))
					return 1;
				if (!*t || *t == '/')
					return 0;
			}
		}
		if (!*s)
			return 0;
		if (*p != '?' && *p != *s)
			return 0;
		if (*p == '?' && *s == '/')
			return 0;
	}
	return *s == 0;
}

static int glob_rec(struct glob_memo *g, const char *p, const char *s, int depth)
{
	if (depth > 64)
		return 0;
	unsigned char *slot = g->m ? &g->m[(size_t)(p - g->p0) * g->slen1 + (size_t)(s - g->s0)] : NULL;
	if (slot && *slot)
		return *slot - 1;
	int r = glob_step(g, p, s, depth);
	if (slot)
		*slot = (unsigned char)(r + 1);
	return r;
}

int tl_glob_match(const char *pat, const char *s)
{
	struct glob_memo g = { pat, s, strlen(s) + 1, NULL };
	size_t plen1 = strlen(pat) + 1;
	if (strchr(pat, '*') && plen1 <= (SIZE_MAX >> 1) / g.slen1 && plen1 * g.slen1 <= (size_t)64 << 20)
		g.m = calloc(plen1, g.slen1);
	int r = glob_rec(&g, pat, s, 0);
	free(g.m);
	return r;
}
