/*
 * JSON trees with positions (see include/tl/json.h). Positions come from
 * yajl_get_bytes_consumed() inside each callback, which points just past the
 * token; the start of a value is found by scanning back over the token.
 */
#define _POSIX_C_SOURCE 200809L
#include "tl/json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>
#include "tl/grow.h"
#include "tl/banned.h"

#define JSON_MAX_DEPTH 256

struct builder {
	yajl_handle h;
	const char *text;
	struct tl_json *stack[JSON_MAX_DEPTH];
	char *pending_key;
	int depth;
	struct tl_json *root;
	int failed;
	const char *why;
	/* where the last position was computed: offsets only grow, so each one is
	 * found from the previous one, never from byte 0 (linear, not quadratic) */
	size_t pos_off;
	unsigned pos_line, pos_col;
};

static void pos_of(const char *text, size_t off, unsigned *line, unsigned *col)
{
	unsigned l = 1, c = 1;
	for (size_t i = 0; i < off; i++) {
		if (text[i] == '\n')
			l++, c = 1;
		else
			c++;
	}
	*line = l;
	*col = c;
}

static void pos_at(struct builder *b, size_t off, unsigned *line, unsigned *col)
{
	if (off < b->pos_off) {
		b->pos_off = 0;
		b->pos_line = b->pos_col = 1;
	}
	unsigned l = b->pos_line, c = b->pos_col;
	for (size_t i = b->pos_off; i < off; i++) {
		if (b->text[i] == '\n')
			l++, c = 1;
		else
			c++;
	}
	b->pos_off = off;
	*line = b->pos_line = l;
	*col = b->pos_col = c;
}

/* Whether the member arrays of a value with N members are full. Their
 * capacity is not stored (a tree holds many small arrays): it is 4, then it
 * doubles at powers of two, so a large array is not reallocated (and possibly
 * copied) once per member. */
static int full(size_t n)
{
	return n == 0 || (n >= 4 && !(n & (n - 1)));
}

static int attach(struct builder *b, struct tl_json *v)
{
	size_t off = yajl_get_bytes_consumed(b->h);
	/* back up to the start of the token just consumed */
	if (off > 0)
		off--;
	if (v->type == TL_JSON_STRING) {
		while (off > 0 && b->text[off] != '"')
			off--;
		if (off > 0)
			off--;
		/* the opening quote: an escaped one (\") inside the string is not it */
		for (;;) {
			while (off > 0 && b->text[off] != '"')
				off--;
			size_t bs = 0;
			while (off > bs && b->text[off - 1 - bs] == '\\')
				bs++;
			if (off == 0 || bs % 2 == 0)
				break;
			off--;
		}
	} else if (v->type != TL_JSON_ARRAY && v->type != TL_JSON_OBJECT) {
		while (off > 0 && !strchr(" \t\r\n,:[{", b->text[off - 1]))
			off--;
	}
	pos_at(b, off, &v->line, &v->col);
	if (b->depth == 0) {
		b->root = v;
		return 1;
	}
	struct tl_json *parent = b->stack[b->depth - 1];
	if (full(parent->n)) {
		/* kids and keys share the capacity: each grows from a copy of it */
		size_t ck = parent->n, cs = parent->n;
		struct tl_json **kids = tl_grow(parent->kids, &ck, parent->n + 1, sizeof(*kids), 4);
		if (!kids)
			goto oom;
		parent->kids = kids;
		if (parent->type == TL_JSON_OBJECT) {
			char **keys = tl_grow(parent->keys, &cs, parent->n + 1, sizeof(*keys), 4);
			if (!keys)
				goto oom;
			parent->keys = keys;
		}
	}
	if (parent->type == TL_JSON_OBJECT) {
		parent->keys[parent->n] = b->pending_key;
		b->pending_key = NULL;
	}
	parent->kids[parent->n++] = v;
	return 1;
oom:
	tl_json_free(v);
	b->failed = 1;
	b->why = "out of memory";
	return 0;
}

static struct tl_json *node(enum tl_json_type t)
{
	struct tl_json *v = calloc(1, sizeof(*v));
	if (v)
		v->type = t;
	return v;
}

static int scalar(struct builder *b, enum tl_json_type t, const char *s, size_t len, int boolean)
{
	struct tl_json *v = node(t);
	if (!v)
		return 0;
	v->boolean = boolean;
	if (s) {
		v->str = malloc(len + 1);
		if (!v->str) {
			free(v);
			return 0;
		}
		memcpy(v->str, s, len);
		v->str[len] = 0;
		v->len = len;
	}
	return attach(b, v);
}

static int cb_null(void *ctx) { return scalar(ctx, TL_JSON_NULL, NULL, 0, 0); }
static int cb_bool(void *ctx, int v) { return scalar(ctx, TL_JSON_BOOL, NULL, 0, v); }
static int cb_number(void *ctx, const char *s, size_t l) { return scalar(ctx, TL_JSON_NUMBER, s, l, 0); }
static int cb_string(void *ctx, const unsigned char *s, size_t l)
{
	return scalar(ctx, TL_JSON_STRING, (const char *)s, l, 0);
}

static int open_container(struct builder *b, enum tl_json_type t)
{
	if (b->depth >= JSON_MAX_DEPTH) {
		b->failed = 1;
		b->why = "nesting deeper than 256 levels";
		return 0;
	}
	struct tl_json *v = node(t);
	if (!v || !attach(b, v))
		return 0;
	b->stack[b->depth++] = v;
	return 1;
}

static int cb_start_map(void *ctx) { return open_container(ctx, TL_JSON_OBJECT); }
static int cb_start_array(void *ctx) { return open_container(ctx, TL_JSON_ARRAY); }
static int cb_end(void *ctx)
{
	struct builder *b = ctx;
	b->depth--;
	return 1;
}

static int cb_key(void *ctx, const unsigned char *s, size_t l)
{
	struct builder *b = ctx;
	free(b->pending_key);
	b->pending_key = malloc(l + 1);
	if (!b->pending_key)
		return 0;
	memcpy(b->pending_key, s, l);
	b->pending_key[l] = 0;
	return 1;
}

static const yajl_callbacks callbacks = {
	cb_null, cb_bool, NULL, NULL, cb_number, cb_string,
	cb_start_map, cb_key, cb_end, cb_start_array, cb_end,
};

struct tl_json *tl_json_parse(const char *name, const char *text, size_t len, struct tl_err *err)
{
	struct builder b;
	memset(&b, 0, sizeof(b));
	b.text = text;
	b.pos_line = b.pos_col = 1;
	b.h = yajl_alloc(&callbacks, NULL, &b);
	if (!b.h) {
		tl_errf(err, "%s: out of memory", name);
		return NULL;
	}
	yajl_config(b.h, yajl_allow_comments, 1);
	yajl_status st = yajl_parse(b.h, (const unsigned char *)text, len);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(b.h);
	if (st != yajl_status_ok || b.failed || !b.root) {
		size_t off = yajl_get_bytes_consumed(b.h);
		unsigned line, col;
		pos_of(text, off < len ? off : len, &line, &col);
		const char *why = b.why;
		unsigned char *msg = NULL;
		if (!why) {
			msg = yajl_get_error(b.h, 0, (const unsigned char *)text, len);
			why = msg ? (const char *)msg : "invalid JSON";
		}
		if (!b.root && st == yajl_status_ok && !b.failed)
			why = "empty document";
		tl_errf(err, "%s:%u:%u: %s", name, line, col, why);
		/* yajl ends its messages with a newline */
		size_t n = strlen(err ? err->msg : "");
		if (err && n && err->msg[n - 1] == '\n')
			err->msg[n - 1] = 0;
		if (msg)
			yajl_free_error(b.h, msg);
		yajl_free(b.h);
		free(b.pending_key);
		tl_json_free(b.root);
		return NULL;
	}
	yajl_free(b.h);
	free(b.pending_key);
	return b.root;
}

void tl_json_free(struct tl_json *j)
{
	if (!j)
		return;
	/* iterative over siblings, recursion bounded by JSON_MAX_DEPTH */
	for (size_t i = 0; i < j->n; i++) {
		tl_json_free(j->kids[i]);
		if (j->keys)
			free(j->keys[i]);
	}
	free(j->kids);
	free(j->keys);
	free(j->str);
	free(j);
}

const struct tl_json *tl_json_get(const struct tl_json *obj, const char *key)
{
	if (!obj || obj->type != TL_JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < obj->n; i++)
		if (strcmp(obj->keys[i], key) == 0)
			return obj->kids[i];
	return NULL;
}

/* ---- writing: the one JSON writer every output uses ---------------------------- */

size_t tl_json_plain_len(const char *s, size_t n)
{
	const uint64_t ones = UINT64_C(0x0101010101010101), high = UINT64_C(0x8080808080808080);
	size_t i = 0;
	/* per byte of a little-endian word, the high bit of BAD says: below
	 * 0x20, from 0x7f up, a quote or a backslash. A borrow only runs upwards,
	 * from a byte that is itself bad, so the lowest bit set is the first bad
	 * byte exactly */
	while (i + 8 <= n) {
		uint64_t w;
		memcpy(&w, s + i, 8);
		uint64_t q = w ^ (ones * '"'), bs = w ^ (ones * '\\'), del = w ^ (ones * 0x7f);
		uint64_t bad = ((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((bs - ones) & ~bs) | ((del - ones) & ~del) | w;
		bad &= high;
		if (bad) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			return i + ((size_t)__builtin_ctzll(bad) >> 3);
#else
			break;
#endif
		}
		i += 8;
	}
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			break;
		i++;
	}
	return i;
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
			size_t j = i + 1 + tl_json_plain_len(s + i + 1, len - i - 1);
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

int tl_json_put_strn(struct tl_buf *b, const char *s, size_t len)
{
	return tl_buf_addc(b, '"') || tl_json_escape(b, s, len) || tl_buf_addc(b, '"') ? -1 : 0;
}

int tl_json_put_str(struct tl_buf *b, const char *s)
{
	return tl_json_put_strn(b, s ? s : "", s ? strlen(s) : 0);
}

int tl_json_put_key(struct tl_buf *b, const char *key, int first)
{
	return (first ? 0 : tl_buf_addc(b, ',')) || tl_json_put_str(b, key) || tl_buf_addc(b, ':') ? -1 : 0;
}
