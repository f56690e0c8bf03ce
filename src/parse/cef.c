/*
 * CEF (ArcSight Common Event Format) and LEEF (IBM QRadar Log Event Extended
 * Format) records: a pipe-separated header and key=value extensions. They
 * are carriers: firewalls, DLP, proxies and EDR products all write them, so
 * the parse only exposes what the carrier says; a definition maps it.
 *
 *   CEF:0|Vendor|Product|1.0|100|Name with \| pipe|5|src=10.0.0.1 msg=two words act=a\=b
 *   LEEF:1.0|Vendor|Product|1.0|EventID|<TAB>src=10.0.0.1<TAB>usrName=x
 *   LEEF:2.0|Vendor|Product|1.0|EventID|^|src=10.0.0.1^usrName=x
 *
 * Text before "CEF:"/"LEEF:" (a syslog header the definition's `prefix` did
 * not take) is kept as the field syslog.header.
 *
 * CEF rules (ArcSight "Implementing ArcSight CEF", rev. 25): in the header
 * \| and \\ are escapes; in extensions \= \\ \n \r are, and a value runs to
 * the space before the next key=, so values may contain spaces. A key K with
 * a key KLabel beside it (cs1/cs1Label, cn2/cn2Label, flexString1/
 * flexString1Label, deviceCustomDate1/deviceCustomDate1Label, ...) is
 * renamed to the label's text, and the label itself is taken.
 */
#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <string.h>

#include "format-internal.h"
#include "tl/banned.h"

#define MAX_LABELS 64

/* Where the carrier starts: at TEXT or after a space, "CEF:" + digit. */
static const char *find_magic(const char *text, size_t len, const char *magic)
{
	size_t ml = strlen(magic);
	for (size_t i = 0; i + ml < len; i++)
		if ((i == 0 || text[i - 1] == ' ' || text[i - 1] == '\t') && !memcmp(text + i, magic, ml) &&
		    text[i + ml] >= '0' && text[i + ml] <= '9')
			return text + i;
	return NULL;
}

static int add_header_prefix(struct tl_parse *p, const char *text, const char *at)
{
	size_t n = (size_t)(at - text);
	while (n && (text[n - 1] == ' ' || text[n - 1] == '\t'))
		n--;
	size_t s = 0;
	while (s < n && (text[s] == ' ' || text[s] == '\t'))
		s++;
	return n > s ? tl_parse_add(p, "syslog.header", text + s, n - s, TL_V_STR) : 0;
}

/* One header field up to an unescaped '|'; decodes \| and \\ (CEF only). */
static const char *header_field(struct tl_parse *p, const char **cur, const char *end, int escapes, size_t *out)
{
	const char *s = *cur, *c = s;
	int esc = 0;
	while (c < end && *c != '|') {
		if (escapes && *c == '\\' && c + 1 < end) {
			esc = 1;
			c++;
		}
		c++;
	}
	if (c >= end)
		return NULL;
	*cur = c + 1;
	if (!esc) {
		*out = (size_t)(c - s);
		return s;
	}
	char *d = tl_arena_alloc(&p->arena, (size_t)(c - s) + 1);
	size_t n = 0;
	if (!d)
		return NULL;
	for (const char *q = s; q < c; q++) {
		if (*q == '\\' && q + 1 < c && (q[1] == '|' || q[1] == '\\'))
			q++;
		d[n++] = *q;
	}
	d[n] = 0;
	*out = n;
	return d;
}

/* A header with fewer than seven fields. When an escaped pipe ("\\|") is
 * what swallowed a separator, name its column (1-based, in the record): the
 * producer meant a separator and escaped it, or wrote a lone backslash before
 * one (a Windows path ending in '\\'). */
static enum tl_parse_status short_header(const char *text, const char *at, const char *end, int got,
					 struct tl_err *err)
{
	const char *esc = NULL;
	for (const char *c = at; c + 1 < end; c++)
		if (*c == '\\') {
			if (c[1] == '|' && !esc)
				esc = c;
			c++;
		}
	if (esc)
		tl_errf(err, "CEF header has %d of 7 fields: broken CEF escaping at column %zu ('\\|' is a pipe in a value, not a separator)",
			got, (size_t)(esc - text) + 1);
	else
		tl_errf(err, "CEF header has %d of 7 fields", got);
	return TL_PARSE_REJECT;
}

/* KLabel=text names K: rename K, take the label. */
static int apply_labels(struct tl_parse *p, size_t from)
{
	size_t labels = 0;
	for (size_t i = from; i < p->nf && labels < MAX_LABELS; i++) {
		struct tl_field *l = &p->fields[i];
		size_t kl = strlen(l->name);
		if (kl <= 5 || strcmp(l->name + kl - 5, "Label"))
			continue;
		labels++;
		if (!l->v.len)
			continue;
		for (size_t k = from; k < p->nf; k++) {
			struct tl_field *f = &p->fields[k];
			if (strlen(f->name) != kl - 5 || memcmp(f->name, l->name, kl - 5))
				continue;
			char *name = tl_arena_strndup(&p->arena, l->v.s, l->v.len);
			if (!name)
				return -1;
			f->name = name;
			l->used = 1;
			break;
		}
	}
	return 0;
}

static const char *const cef_names[] = { "cef.device_vendor", "cef.device_product", "cef.device_version",
					 "cef.signature_id",  "cef.name",	    "cef.severity" };

enum tl_parse_status tl_cef_parse(struct tl_parse *p, const char *text, size_t len, struct tl_err *err)
{
	const char *end = text + len, *at = find_magic(text, len, "CEF:");
	if (!at) {
		tl_errf(err, "no CEF header (CEF:version|vendor|product|...)");
		return TL_PARSE_REJECT;
	}
	if (add_header_prefix(p, text, at))
		goto oom;
	const char *cur = at + 4;
	size_t n;
	const char *v = header_field(p, &cur, end, 1, &n);
	if (!v)
		return short_header(text, at, end, 0, err);
	if (tl_parse_add(p, "cef.version", v, n, TL_V_STR))
		goto oom;
	for (int i = 0; i < 6; i++) {
		if (!(v = header_field(p, &cur, end, 1, &n)))
			return short_header(text, at, end, i + 1, err);
		if (tl_parse_add(p, cef_names[i], v, n, TL_V_STR))
			goto oom;
	}
	/* an odd run of backslashes at the very end escapes nothing: the producer
	 * cut a value or did not escape a path, and what follows is unknowable */
	const char *e = end;
	while (e > cur && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	size_t bs = 0;
	while (e - bs > cur && e[-1 - (ptrdiff_t)bs] == '\\')
		bs++;
	if (bs % 2) {
		tl_errf(err, "broken CEF escaping at column %zu: '\\' at the end of the record escapes nothing",
			(size_t)(e - text));
		return TL_PARSE_REJECT;
	}
	static const struct tl_kv_opts ext = { ' ', '=', "", 1, 1, 1 };
	size_t first = p->nf;
	if (tl_kv_split(p, &ext, cur, (size_t)(end - cur)) < 0 || apply_labels(p, first))
		goto oom;
	return TL_PARSE_EVENT;
oom:
	tl_errf(err, "too many fields");
	return TL_PARSE_REJECT;
}

/* LEEF 2.0 names its attribute separator: one character, or its code as
 * "x09"/"0x09" (QRadar's own examples use both). Empty means tab. */
static int leef_delimiter(const char *v, size_t n, char *out)
{
	if (n == 0) {
		*out = '\t';
		return 0;
	}
	if (n == 1) {
		*out = v[0];
		return 0;
	}
	size_t i = (n > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) ? 2 : (v[0] == 'x' || v[0] == 'X') ? 1 : n;
	if (i >= n || n - i > 2)
		return -1;
	unsigned c = 0;
	for (; i < n; i++) {
		char h = v[i];
		unsigned d = h >= '0' && h <= '9' ? (unsigned)(h - '0')
			   : h >= 'a' && h <= 'f' ? (unsigned)(h - 'a' + 10)
			   : h >= 'A' && h <= 'F' ? (unsigned)(h - 'A' + 10) : 16u;
		if (d > 15)
			return -1;
		c = c * 16 + d;
	}
	if (!c)
		return -1;
	*out = (char)c;
	return 0;
}

static const char *const leef_names[] = { "leef.vendor", "leef.product", "leef.product_version", "leef.event_id" };

enum tl_parse_status tl_leef_parse(struct tl_parse *p, const char *text, size_t len, struct tl_err *err)
{
	const char *end = text + len, *at = find_magic(text, len, "LEEF:");
	if (!at) {
		tl_errf(err, "no LEEF header (LEEF:version|vendor|product|version|event id|...)");
		return TL_PARSE_REJECT;
	}
	if (add_header_prefix(p, text, at))
		goto oom;
	const char *cur = at + 5;
	size_t n;
	const char *v = header_field(p, &cur, end, 0, &n);
	if (!v) {
		tl_errf(err, "LEEF header has 0 of 5 fields");
		return TL_PARSE_REJECT;
	}
	if (tl_parse_add(p, "leef.version", v, n, TL_V_STR))
		goto oom;
	int v2 = n >= 1 && v[0] == '2';
	for (int i = 0; i < 4; i++) {
		if (!(v = header_field(p, &cur, end, 0, &n))) {
			tl_errf(err, "LEEF header has %d of 5 fields", i + 1);
			return TL_PARSE_REJECT;
		}
		if (tl_parse_add(p, leef_names[i], v, n, TL_V_STR))
			goto oom;
	}
	struct tl_kv_opts o = { '\t', '=', "", 0, 0, 1 };
	if (v2) {
		/* the delimiter field; some producers leave it out (then attributes follow) */
		const char *save = cur;
		const char *d = header_field(p, &cur, end, 0, &n);
		if (d && !memchr(d, '=', n)) {
			if (leef_delimiter(d, n, &o.pair_sep)) {
				tl_errf(err, "LEEF 2.0 delimiter '%.*s' is neither one character nor a hex code",
					(int)(n > 16 ? 16 : n), d);
				return TL_PARSE_REJECT;
			}
			if (tl_parse_add(p, "leef.delimiter", d, n, TL_V_STR))
				goto oom;
		} else {
			cur = save;
		}
	}
	if (tl_kv_split(p, &o, cur, (size_t)(end - cur)) < 0)
		goto oom;
	return TL_PARSE_EVENT;
oom:
	tl_errf(err, "too many fields");
	return TL_PARSE_REJECT;
}
