/*
 * Field references beyond a plain name (docs/format-definitions.md#references):
 *
 *   target[?type=User].alternateId          element of a JSON array chosen by a sibling field
 *   ExtendedProperties[?Name=UserAgent].Value
 *   request.ipChain[0].ip                   element by position (0 is the first)
 *   target[*].alternateId                   every element's value, joined with ", "
 *   proctitle|hex|nul_to_space              a value decoded by transforms, in order
 *   RemoteUrl|url_host                      the host of a URL, lower case
 *
 * Arrays are captured whole by the JSON flattener (their JSON text is one
 * field and stays in `extra`); a selection parses that text when a mapping
 * asks for it, so records that never use one pay nothing. A resolved
 * reference is a copy and takes nothing: the array keeps what the selection
 * did not show, and a transformed field stays in `extra` as the record wrote
 * it (lower, trim and url lose information; nothing a record held is dropped).
 *
 * A failed transform (odd hex, bad base64) leaves the reference unresolved,
 * so the next alternative can take the raw value.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "format-internal.h"
#include "tl/entity.h"
#include "tl/banned.h"

/* A value made by a reference: lives in the parse arena for one record. */
struct ref_field {
	struct tl_field f;
};

static const char *const transforms[] = { "hex", "base64", "url", "lower", "upper", "trim", "nul_to_space", "dns_labels",
					  "account_name", "account_domain", "url_host", NULL };

static int known_transform(const char *s, size_t n)
{
	for (const char *const *t = transforms; *t; t++)
		if (strlen(*t) == n && !memcmp(*t, s, n))
			return 1;
	return 0;
}

int tl_ref_complex(const char *name, size_t len)
{
	return memchr(name, '[', len) || memchr(name, '|', len);
}

/* ---- load-time checks ---- */

static int check_path(const char *s, size_t n, char *msg, size_t ml, const char *whole)
{
	const char *b = memchr(s, '[', n), *end = s + n;
	if (!b)
		return 0;
	if (b == s)
		return snprintf(msg, ml, "field reference \"%s\" has no field before '['", whole), -1;
	while (b < end) {
		if (*b == '[') {
			const char *c = memchr(b, ']', (size_t)(end - b));
			if (!c)
				return snprintf(msg, ml, "field reference \"%s\": '[' is not closed", whole), -1;
			const char *in = b + 1;
			size_t il = (size_t)(c - in);
			if (il == 1 && *in == '*') {
				/* every element */
			} else if (il && *in == '?') {
				const char *eq = memchr(in, '=', il);
				if (!eq || eq == in + 1)
					return snprintf(msg, ml, "field reference \"%s\": a selector is [?key=value]", whole),
					       -1;
			} else {
				if (!il || il > 6)
					return snprintf(msg, ml, "field reference \"%s\": a selector is [N], [*] or [?key=value]",
							whole), -1;
				for (size_t i = 0; i < il; i++)
					if (in[i] < '0' || in[i] > '9')
						return snprintf(msg, ml,
								"field reference \"%s\": a selector is [N], [*] or [?key=value]",
								whole), -1;
			}
			b = c + 1;
		} else if (*b == '.') {
			const char *k = b + 1;
			while (k < end && *k != '.' && *k != '[')
				k++;
			if (k == b + 1)
				return snprintf(msg, ml, "field reference \"%s\": empty key after '.'", whole), -1;
			b = k;
		} else {
			return snprintf(msg, ml, "field reference \"%s\": expected '.', '[' or the end after ']'", whole),
			       -1;
		}
	}
	return 0;
}

static int check_name(const char *s, size_t n, char *msg, size_t ml, const char *whole)
{
	const char *bar = memchr(s, '|', n);
	size_t pl = bar ? (size_t)(bar - s) : n;
	if (!pl)
		return snprintf(msg, ml, "field reference \"%s\" has no field before '|'", whole), -1;
	if (check_path(s, pl, msg, ml, whole))
		return -1;
	while (bar) {
		const char *t = bar + 1, *next = memchr(t, '|', (size_t)(s + n - t));
		size_t tl = (size_t)((next ? next : s + n) - t);
		if (!known_transform(t, tl))
			return snprintf(msg, ml, "unknown transform \"%.*s\" in \"%s\" (hex, base64, url, lower, upper, trim, "
					"nul_to_space, dns_labels, account_name, account_domain, url_host)", (int)tl, t, whole), -1;
		bar = next;
	}
	return 0;
}

int tl_ref_check(const char *ref, char *msg, size_t msglen)
{
	if (ref[0] == '=')
		return 0;
	if (!strchr(ref, '{'))
		return check_name(ref, strlen(ref), msg, msglen, ref);
	for (const char *c = ref; (c = strchr(c, '{')); ) {
		const char *e = strchr(c, '}');
		if (!e)
			return snprintf(msg, msglen, "template \"%s\": '{' is not closed", ref), -1;
		if (e == c + 1)
			return snprintf(msg, msglen, "template \"%s\" has an empty {}", ref), -1;
		if (check_name(c + 1, (size_t)(e - c - 1), msg, msglen, ref))
			return -1;
		c = e + 1;
	}
	return 0;
}

/* ---- transforms ---- */

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Apply transform T (TL bytes) to V in place of a fresh arena copy; 0 or -1 (does not apply). */
static int transform(struct tl_parse *p, const char *t, size_t tl, struct tl_val *v)
{
	const char *s = v->s;
	size_t n = v->len, k = 0;
	char *d = tl_arena_alloc(&p->arena, n + 1);
	if (!d)
		return -1;
	if (tl == 3 && !memcmp(t, "hex", 3)) {
		/* auditd proctitle, execve a0..: bytes as hex pairs */
		if (n % 2)
			return -1;
		for (size_t i = 0; i < n; i += 2) {
			int h = hexval(s[i]), l = hexval(s[i + 1]);
			if (h < 0 || l < 0)
				return -1;
			d[k++] = (char)(h * 16 + l);
		}
	} else if (tl == 6 && !memcmp(t, "base64", 6)) {
		/* standard or URL-safe alphabet, padding optional */
		unsigned acc = 0;
		int bits = 0;
		size_t i = 0;
		for (; i < n && s[i] != '='; i++) {
			int c = b64val(s[i]);
			if (c < 0)
				return -1;
			acc = (acc << 6) | (unsigned)c;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				d[k++] = (char)((acc >> bits) & 0xff);
			}
		}
		for (; i < n; i++)
			if (s[i] != '=')
				return -1;
		if (bits >= 6)
			return -1; /* one stray character cannot encode a byte */
	} else if (tl == 3 && !memcmp(t, "url", 3)) {
		/* %XX only; a '%' not followed by two hex digits stays as written */
		for (size_t i = 0; i < n; i++) {
			int h, l;
			if (s[i] == '%' && i + 2 < n && (h = hexval(s[i + 1])) >= 0 && (l = hexval(s[i + 2])) >= 0) {
				d[k++] = (char)(h * 16 + l);
				i += 2;
			} else {
				d[k++] = s[i];
			}
		}
	} else if (tl == 5 && (!memcmp(t, "lower", 5) || !memcmp(t, "upper", 5))) {
		int up = t[0] == 'u';
		for (size_t i = 0; i < n; i++) {
			char c = s[i];
			if (up && c >= 'a' && c <= 'z')
				c = (char)(c - 32);
			else if (!up && c >= 'A' && c <= 'Z')
				c = (char)(c + 32);
			d[k++] = c;
		}
	} else if (tl == 4 && !memcmp(t, "trim", 4)) {
		size_t a = 0, b = n;
		while (a < b && strchr(" \t\r\n", s[a]) && s[a])
			a++;
		while (b > a && strchr(" \t\r\n", s[b - 1]) && s[b - 1])
			b--;
		memcpy(d, s + a, b - a);
		k = b - a;
	} else if (tl == 12 && !memcmp(t, "nul_to_space", 12)) {
		/* argv joined by NULs (auditd proctitle) reads as a command line */
		while (n && !s[n - 1])
			n--;
		for (size_t i = 0; i < n; i++)
			d[k++] = s[i] ? s[i] : ' ';
	} else if (tl == 10 && !memcmp(t, "dns_labels", 10)) {
		/* the Windows DNS Server debug log writes names as length-prefixed
		 * labels, "(7)updates(7)example(3)org(0)": dotted, the root is "." */
		size_t i = 0;
		while (i < n) {
			if (s[i] != '(')
				return -1;
			size_t len = 0, j = i + 1;
			while (j < n && s[j] >= '0' && s[j] <= '9' && len < 1000)
				len = len * 10 + (size_t)(s[j++] - '0');
			if (j == i + 1 || j >= n || s[j] != ')' || len > n - j - 1)
				return -1;
			i = j + 1;
			if (!len)
				break;
			if (k)
				d[k++] = '.';
			memcpy(d + k, s + i, len);
			k += len;
			i += len;
		}
		if (i != n)
			return -1;
		if (!k)
			d[k++] = '.';
	} else if ((tl == 12 && !memcmp(t, "account_name", 12)) || (tl == 14 && !memcmp(t, "account_domain", 14))) {
		/* DOMAIN\user or user@domain: one part of the account; fails (the
		 * reference is unresolved) when the value has no domain part */
		int dom = tl == 14;
		const char *bs = memchr(s, '\\', n), *at = bs ? NULL : memchr(s, '@', n);
		const char *sep = bs ? bs : at;
		if (!sep || sep == s || sep == s + n - 1)
			return dom ? -1 : (memcpy(d, s, n), d[n] = 0, v->s = d, v->len = n, 0);
		const char *a = (bs ? !dom : dom) ? sep + 1 : s, *b = (bs ? !dom : dom) ? s + n : sep;
		memcpy(d, a, (size_t)(b - a));
		k = (size_t)(b - a);
	} else if (tl == 8 && !memcmp(t, "url_host", 8)) {
		/* the entities' rule, with a bare "host[:port][/path]" too (Defender's
		 * RemoteUrl is "the URL or FQDN"); host names ignore case */
		size_t off, hn;
		if (tl_entity_url_host_span(s, n, TL_URL_HOST_BARE, &off, &hn))
			return -1;
		for (size_t i = 0; i < hn; i++) {
			char c = s[off + i];
			d[k++] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
		}
	} else {
		return -1;
	}
	d[k] = 0;
	v->s = d;
	v->len = k;
	return 0;
}

/* ---- array selections ---- */

static const struct tl_json *get_dotted(const struct tl_json *o, const char *k, size_t kl)
{
	char key[256];
	if (kl >= sizeof(key) || !o || o->type != TL_JSON_OBJECT)
		return NULL;
	memcpy(key, k, kl);
	key[kl] = 0;
	const struct tl_json *v = tl_json_get(o, key);
	if (v)
		return v;
	/* "[?a.b=c]": a nested sibling */
	const char *dot = memchr(k, '.', kl);
	if (!dot)
		return NULL;
	key[dot - k] = 0;
	return get_dotted(tl_json_get(o, key), dot + 1, kl - (size_t)(dot - k) - 1);
}

static int scalar_text(const struct tl_json *j, const char **s, size_t *n, enum tl_val_kind *kind)
{
	switch (j->type) {
	case TL_JSON_STRING:
		*s = j->str, *n = j->len, *kind = TL_V_STR;
		return 0;
	case TL_JSON_NUMBER:
		*s = j->str, *n = j->len, *kind = TL_V_NUM;
		return 0;
	case TL_JSON_BOOL:
		*s = j->boolean ? "true" : "false", *n = j->boolean ? 4 : 5, *kind = TL_V_BOOL;
		return 0;
	default:
		return -1;
	}
}

/* Walk the steps of PATH (from its first '[') over node J; matching scalars are
 * appended to OUT (", " between them). Returns how many were appended. */
static int walk(const struct tl_json *j, const char *path, const char *end, struct tl_buf *out,
		enum tl_val_kind *kind)
{
	if (!j)
		return 0;
	if (path >= end) {
		const char *s;
		size_t n;
		if (scalar_text(j, &s, &n, kind))
			return 0;
		if ((out->len && tl_buf_add(out, ", ", 2)) || tl_buf_add(out, s, n))
			return 0;
		return 1;
	}
	if (*path == '.') {
		const char *k = path + 1, *e = k;
		while (e < end && *e != '.' && *e != '[')
			e++;
		if (!j || j->type != TL_JSON_OBJECT)
			return 0;
		return walk(get_dotted(j, k, (size_t)(e - k)), e, end, out, kind);
	}
	/* '[' */
	const char *c = memchr(path, ']', (size_t)(end - path));
	if (!c || j->type != TL_JSON_ARRAY)
		return 0;
	const char *in = path + 1;
	size_t il = (size_t)(c - in);
	if (il == 1 && *in == '*') {
		int got = 0;
		for (size_t i = 0; i < j->n; i++)
			got += walk(j->kids[i], c + 1, end, out, kind);
		if (got > 1)
			*kind = TL_V_STR;
		return got;
	}
	if (*in == '?') {
		const char *eq = memchr(in, '=', il);
		const char *want = eq + 1;
		size_t wl = (size_t)(c - want);
		for (size_t i = 0; i < j->n; i++) {
			const struct tl_json *sib = get_dotted(j->kids[i], in + 1, (size_t)(eq - in - 1));
			const char *s;
			size_t n;
			enum tl_val_kind k;
			if (sib && !scalar_text(sib, &s, &n, &k) && n == wl && !memcmp(s, want, n))
				return walk(j->kids[i], c + 1, end, out, kind); /* the first match */
		}
		return 0;
	}
	size_t idx = 0;
	for (size_t i = 0; i < il; i++)
		idx = idx * 10 + (size_t)(in[i] - '0');
	return idx < j->n ? walk(j->kids[idx], c + 1, end, out, kind) : 0;
}

static struct ref_field *select_path(struct tl_parse *p, const char *name, size_t len)
{
	const char *b = memchr(name, '[', len);
	struct tl_field *arr = tl_parse_find(p, name, (size_t)(b - name));
	if (!arr || (arr->kind != TL_V_JSON && arr->kind != TL_V_STR) || !arr->v.len)
		return NULL;
	struct tl_err jerr;
	struct tl_json *j = tl_json_parse("record", arr->v.s, arr->v.len, &jerr);
	if (!j)
		return NULL;
	struct tl_buf out = TL_BUF_INIT;
	out.max = 1u << 20;
	enum tl_val_kind kind = TL_V_STR;
	struct ref_field *r = NULL;
	if (walk(j, b, name + len, &out, &kind) > 0) {
		r = tl_arena_alloc(&p->arena, sizeof(*r));
		char *v = r ? tl_arena_strndup(&p->arena, out.data ? out.data : "", out.len) : NULL;
		if (v) {
			memset(r, 0, sizeof(*r));
			r->f.name = tl_arena_strndup(&p->arena, name, len);
			r->f.v.s = v;
			r->f.v.len = out.len;
			r->f.kind = kind;
		} else {
			r = NULL;
		}
	}
	tl_buf_release(&out);
	tl_json_free(j);
	return r && r->f.name ? r : NULL;
}

struct tl_field *tl_ref_resolve(struct tl_parse *p, const char *name, size_t len)
{
	const char *bar = memchr(name, '|', len);
	size_t pl = bar ? (size_t)(bar - name) : len;
	struct ref_field *r;
	if (memchr(name, '[', pl)) {
		if (!(r = select_path(p, name, pl)))
			return NULL;
	} else {
		struct tl_field *f = tl_parse_find(p, name, pl);
		if (!f || f->kind == TL_V_NULL)
			return NULL;
		if (!(r = tl_arena_alloc(&p->arena, sizeof(*r))))
			return NULL;
		r->f = *f;
	}
	while (bar) {
		const char *t = bar + 1, *next = memchr(t, '|', (size_t)(name + len - t));
		if (transform(p, t, (size_t)((next ? next : name + len) - t), &r->f.v))
			return NULL;
		r->f.kind = TL_V_STR;
		bar = next;
	}
	return &r->f;
}

