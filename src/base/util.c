/* Shared helpers; see include/tl/util.h. Not a place for domain logic. */
#define _POSIX_C_SOURCE 200809L
#include "tl/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
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
	size_t need = b->len + n + 1;
	if (need < b->len || (b->max && need > b->max + 1))
		return -1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap * 2 < cap ? need : cap * 2;
	if (b->max && cap > b->max + 1)
		cap = b->max + 1;
	char *p = realloc(b->data, cap);
	if (!p)
		return -1;
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
	if (n < 0)
		return -1;
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

static void hex_encode(const unsigned char *md, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[md[i] >> 4];
		out[2 * i + 1] = hx[md[i] & 15];
	}
	out[2 * n] = 0;
}

void tl_sha256_hex(const void *p, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_Digest(p, len, md, &mdlen, EVP_sha256(), NULL);
	hex_encode(md, 32, out);
}

struct tl_sha256 {
	EVP_MD_CTX *ctx;
};

struct tl_sha256 *tl_sha256_new(void)
{
	struct tl_sha256 *h = malloc(sizeof(*h));
	if (!h)
		return NULL;
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || !EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(h->ctx);
		free(h);
		return NULL;
	}
	return h;
}

void tl_sha256_update(struct tl_sha256 *h, const void *p, size_t len)
{
	EVP_DigestUpdate(h->ctx, p, len);
}

void tl_sha256_final_hex(struct tl_sha256 *h, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_DigestFinal_ex(h->ctx, md, &mdlen);
	hex_encode(md, 32, out);
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

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

int tl_json_escape(struct tl_buf *b, const char *s, size_t len)
{
	static const char hx[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	if (tl_buf_grow(b, len + 8))
		return -1;
	while (i < len) {
		unsigned char c = u[i];
		/* fast path: plain printable ASCII */
		if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
			size_t j = i + 1;
			while (j < len && u[j] >= 0x20 && u[j] < 0x7F && u[j] != '"' && u[j] != '\\')
				j++;
			if (tl_buf_add(b, s + i, j - i))
				return -1;
			i = j;
			continue;
		}
		char esc[8];
		size_t n = 0;
		if (c == '"' || c == '\\') {
			esc[0] = '\\', esc[1] = (char)c, n = 2;
		} else if (c == '\n') {
			esc[0] = '\\', esc[1] = 'n', n = 2;
		} else if (c == '\r') {
			esc[0] = '\\', esc[1] = 'r', n = 2;
		} else if (c == '\t') {
			esc[0] = '\\', esc[1] = 't', n = 2;
		} else if (c < 0x20 || c == 0x7F) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hx[c >> 4], esc[5] = hx[c & 15], n = 6;
		} else {
			size_t k = tl_utf8_seq(u + i, len - i);
			if (k) {
				if (tl_buf_add(b, s + i, k))
					return -1;
				i += k;
				continue;
			}
			/* U+DC80+byte, as Python's surrogateescape: a literal "\\xff" in the
			 * evidence and an invalid byte 0xFF stay distinguishable */
			memcpy(esc, "\\udc", 4);
			esc[4] = hx[c >> 4], esc[5] = hx[c & 15], n = 6;
		}
		if (tl_buf_add(b, esc, n))
			return -1;
		i++;
	}
	return 0;
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

double tl_now_monotonic(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int tl_strlist_add(struct tl_strlist *l, const char *s)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		char **v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
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

static void dir_walk(const char *dir, const char *rel, int recurse, int depth, struct tl_strlist *out)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s%s%s", dir, *rel ? "/" : "", rel);
	DIR *d = depth > 16 ? NULL : opendir(path);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char child[4096], full[8200];
		struct stat st;
		snprintf(child, sizeof(child), "%s%s%s", rel, *rel ? "/" : "", de->d_name);
		snprintf(full, sizeof(full), "%s/%s", dir, child);
		if (lstat(full, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode) && recurse)
			dir_walk(dir, child, recurse, depth + 1, out);
		else if (S_ISREG(st.st_mode))
			tl_strlist_add(out, child);
	}
	closedir(d);
}

void tl_dir_files(const char *dir, int recurse, struct tl_strlist *out)
{
	dir_walk(dir, "", recurse, 0, out);
	tl_strlist_sort(out);
}

int tl_file_sha256(const char *path, char out[65], struct tl_err *err)
{
	int fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return tl_errf(err, "%s", strerror(errno));
	struct tl_sha256 *h = tl_sha256_new();
	char *buf = malloc(1 << 20);
	ssize_t n = -1;
	if (h && buf)
		while ((n = read(fd, buf, 1 << 20)) > 0)
			tl_sha256_update(h, buf, (size_t)n);
	int saved = errno;
	close(fd);
	free(buf);
	if (h)
		tl_sha256_final_hex(h, out);
	if (!h || n < 0)
		return tl_errf(err, "%s", h ? strerror(saved) : "out of memory");
	return 0;
}

int tl_read_file(const char *path, size_t max, struct tl_buf *b, struct tl_err *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return tl_errf(err, "cannot read '%s': %s", path, strerror(errno));
	char chunk[65536];
	size_t n;
	int rc = 0;
	size_t keep = b->max;
	b->max = max;
	while (!rc && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (tl_buf_add(b, chunk, n))
			rc = tl_errf(err, "'%s' is larger than %zu bytes", path, max);
	if (!rc && ferror(f))
		rc = tl_errf(err, "cannot read '%s'", path);
	b->max = keep;
	fclose(f);
	return rc;
}

int tl_write_atomic(const char *path, const void *data, size_t len, struct tl_err *err)
{
	char tmp[4200];
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	/* hidden, so that listings of the folder pass over it */
	snprintf(tmp, sizeof(tmp), "%.*s.%s.tmp-%ld", (int)(base - path), path, base, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return tl_errf(err, "cannot create '%s': %s", tmp, strerror(errno));
	int ok = write(fd, data, len) == (ssize_t)len && fsync(fd) == 0;
	int saved = errno;
	close(fd);
	if (!ok || rename(tmp, path) != 0) {
		if (ok)
			saved = errno;
		unlink(tmp);
		return tl_errf(err, "cannot write '%s': %s", path, strerror(saved));
	}
	return 0;
}
