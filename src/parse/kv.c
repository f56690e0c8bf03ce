/*
 * Escape-aware key=value splitting: the kv parse type with "values",
 * "escapes" or several quote characters, and the extensions of CEF and LEEF
 * (cef.c). The plain kv of old (values end at the next separator, one quote
 * character, no escapes) stays in engine.c, so definitions written for it
 * read records exactly as before.
 *
 * What it handles that a split on spaces cannot:
 *   CEF       msg=hello world src=10.0.0.1   -> msg "hello world" (values run to the next key=)
 *   CEF       act=a\=b path=C:\\tmp          -> act "a=b", path "C:\tmp"
 *   FortiGate msg="User 'admin' logged in"   -> quoted value with spaces
 *
 * Not for: nested structures, multi-line values outside quotes.
 */
#define _POSIX_C_SOURCE 200809L
#include <string.h>

#include "format-internal.h"
#include "tl/banned.h"

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Characters of a key that ends one value and starts the next (to-next-key):
 * the CEF dictionary and vendor extensions use letters, digits, _ . and -. */
static int key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
	       c == '-';
}

static int is_sep(const struct tl_kv_opts *o, char c)
{
	return c == o->pair_sep || (o->pair_sep == ' ' && is_space(c));
}

/* Does a key followed by the key=value separator start at K? */
static int key_at(const struct tl_kv_opts *o, const char *text, size_t len, size_t k)
{
	size_t s = k;
	while (k < len && key_char(text[k]))
		k++;
	return k > s && k < len && text[k] == o->kv_sep;
}

/* Copy TEXT[0..len) into the arena, decoding backslash escapes when asked.
 * Unknown escapes stay as written ("C:\dir" survives a producer that did not
 * escape its backslashes). */
static const char *value(struct tl_parse *p, const struct tl_kv_opts *o, const char *v, size_t len, size_t *out)
{
	if (!o->escapes || !memchr(v, '\\', len)) {
		*out = len;
		return v;
	}
	char *d = tl_arena_alloc(&p->arena, len + 1);
	size_t n = 0;
	if (!d)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (v[i] != '\\' || i + 1 == len) {
			d[n++] = v[i];
			continue;
		}
		char c = v[++i];
		switch (c) {
		case 'n':
			d[n++] = '\n';
			break;
		case 'r':
			d[n++] = '\r';
			break;
		case 't':
			d[n++] = '\t';
			break;
		case '\\':
		case '=':
		case '|':
		case '"':
		case '\'':
			d[n++] = c;
			break;
		default:
			d[n++] = '\\';
			d[n++] = c;
		}
	}
	d[n] = 0;
	*out = n;
	return d;
}

int tl_kv_split(struct tl_parse *p, const struct tl_kv_opts *o, const char *text, size_t len)
{
	size_t i = 0;
	int pairs = 0;
	while (i < len) {
		while (i < len && (is_sep(o, text[i]) || text[i] == ' '))
			i++;
		if (i >= len)
			break;
		size_t ks = i;
		while (i < len && text[i] != o->kv_sep && !is_sep(o, text[i]) && text[i] != ' ')
			i++;
		char *key = tl_arena_strndup(&p->arena, text + ks, i - ks);
		if (!key)
			return -1;
		if (i >= len || text[i] != o->kv_sep) {
			/* a bare token (netfilter's DF) is a flag */
			if (tl_parse_add(p, key, "true", 4, TL_V_BOOL))
				return -1;
			continue;
		}
		i++;
		size_t vs = i, ve;
		if (i < len && o->quotes[0] && strchr(o->quotes, text[i])) {
			char q = text[i++];
			vs = i;
			while (i < len && text[i] != q)
				i += o->escapes && text[i] == '\\' && i + 1 < len ? 2 : 1;
			ve = i < len ? i : len;
			if (i < len)
				i++; /* the closing quote */
		} else if (o->to_next_key) {
			/* the value ends at the last separator before the next key= */
			ve = len;
			for (size_t j = i; j < len; j++) {
				if (o->escapes && text[j] == '\\') {
					j++;
					continue;
				}
				if (!is_sep(o, text[j]))
					continue;
				size_t k = j;
				while (k < len && is_sep(o, text[k]))
					k++;
				if (key_at(o, text, len, k)) {
					ve = j;
					break;
				}
				j = k - 1;
			}
			i = ve;
			while (ve > vs && (is_sep(o, text[ve - 1]) || is_space(text[ve - 1])))
				ve--; /* "padded with whitespace" at the end of a record */
		} else {
			while (i < len && !is_sep(o, text[i]))
				i += o->escapes && text[i] == '\\' && i + 1 < len ? 2 : 1;
			ve = i < len ? i : len;
		}
		size_t vl;
		const char *v = value(p, o, text + vs, ve - vs, &vl);
		if (!v || tl_parse_add(p, key, v, vl, TL_V_STR))
			return -1;
		pairs++;
	}
	return pairs;
}
