/*
 * Loading the language additions of format definitions that live outside
 * format.c: escape-aware kv options and embedded_json with a prefix. Same
 * rules as format.c: unknown or misplaced settings are errors with
 * ORIGIN:LINE:COL, so a typo cannot silently change how records split.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format-internal.h"
#include "tl/banned.h"

static int bad(struct tl_err *err, const struct tl_format *f, const struct tl_json *at, const char *msg)
{
	return tl_errf(err, "%s:%u:%u: %s", f->origin, at ? at->line : 1, at ? at->col : 1, msg);
}

int tl_format_load_kv(struct tl_format *f, const struct tl_json *parse, struct tl_err *err)
{
	const struct tl_json *q = tl_json_get(parse, "quote"), *v = tl_json_get(parse, "values"),
			     *e = tl_json_get(parse, "escapes");
	struct tl_kv_opts *o = &f->kv;
	memset(o, 0, sizeof(*o));
	o->pair_sep = f->sep;
	o->kv_sep = f->kv_sep;
	f->quote = '"';
	o->quotes[0] = '"';
	if (q) {
		if (q->type != TL_JSON_STRING || q->len >= sizeof(o->quotes) || memchr(q->str, 0, q->len))
			return bad(err, f, q, "\"quote\" is a string of up to 7 quote characters, or \"\" for none");
		memcpy(o->quotes, q->str, q->len + 1);
		f->quote = q->str[0];
		for (size_t i = 0; i < q->len; i++)
			if (q->str[i] == f->sep || q->str[i] == f->kv_sep || q->str[i] == '\\')
				return bad(err, f, q, "a quote character cannot be a separator or a backslash");
		o->extended |= q->len > 1;
	}
	if (v) {
		if (v->type != TL_JSON_STRING || (strcmp(v->str, "to-separator") && strcmp(v->str, "to-next-key")))
			return bad(err, f, v, "\"values\" is \"to-separator\" or \"to-next-key\"");
		o->to_next_key = !strcmp(v->str, "to-next-key");
		o->extended |= o->to_next_key;
	}
	if (e) {
		if (e->type != TL_JSON_BOOL)
			return bad(err, f, e, "\"escapes\" is true or false");
		o->escapes = e->boolean;
		o->extended |= o->escapes;
	}
	return 0;
}

int tl_format_kv_keys_unused(struct tl_format *f, const struct tl_json *parse, struct tl_err *err)
{
	static const char *const kv_only[] = { "values", "escapes", "pair_separator", "kv_separator", NULL };
	/* the new parse types take no options of the others (older types keep their leniency) */
	static const char *const others[] = { "patterns", "separator", "quote", "header", "columns", NULL };
	for (const char *const *k = kv_only; *k; k++) {
		const struct tl_json *v = tl_json_get(parse, *k);
		if (v) {
			char m[128];
			snprintf(m, sizeof(m), "\"%s\" goes with kv parsing only", *k);
			return bad(err, f, v, m);
		}
	}
	if (f->parse != TL_PARSE_CEF && f->parse != TL_PARSE_LEEF && f->parse != TL_PARSE_XML)
		return 0;
	for (const char *const *k = others; *k; k++) {
		const struct tl_json *v = tl_json_get(parse, *k);
		if (v) {
			char m[128];
			snprintf(m, sizeof(m), "\"%s\" is not an option of cef, leef or xml parsing", *k);
			return bad(err, f, v, m);
		}
	}
	return 0;
}

/* "embedded_json": "F" | ["F", {"field": "G", "prefix": "g"}] */
int tl_format_load_embedded(struct tl_format *f, const struct tl_json *emb, struct tl_err *err)
{
	size_t n = emb->type == TL_JSON_ARRAY ? emb->n : 1;
	if (emb->type != TL_JSON_ARRAY && emb->type != TL_JSON_STRING && emb->type != TL_JSON_OBJECT)
		return bad(err, f, emb, "\"embedded_json\" is a field name, an object {\"field\", \"prefix\"} or an array of them");
	f->embedded = calloc(n ? n : 1, sizeof(char *));
	f->embedded_prefix = calloc(n ? n : 1, sizeof(char *));
	if (!f->embedded || !f->embedded_prefix)
		return tl_errf(err, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const struct tl_json *e = emb->type == TL_JSON_ARRAY ? emb->kids[i] : emb;
		const char *field = NULL, *prefix = NULL;
		if (e->type == TL_JSON_STRING) {
			field = e->str;
		} else if (e->type == TL_JSON_OBJECT) {
			for (size_t k = 0; k < e->n; k++) {
				const struct tl_json *v = e->kids[k];
				if (strcmp(e->keys[k], "field") && strcmp(e->keys[k], "prefix"))
					return bad(err, f, v, "unknown key in embedded_json entry (field prefix)");
				if (v->type != TL_JSON_STRING || !v->len)
					return bad(err, f, v, "embedded_json \"field\" and \"prefix\" are non-empty strings");
				if (!strcmp(e->keys[k], "field"))
					field = v->str;
				else
					prefix = v->str;
			}
			if (!field)
				return bad(err, f, e, "an embedded_json entry needs \"field\"");
			if (prefix && (strchr(prefix, '[') || strchr(prefix, '|') || strchr(prefix, '{')))
				return bad(err, f, e, "an embedded_json \"prefix\" cannot contain '[', '|' or '{'");
		} else {
			return bad(err, f, e, "an embedded_json entry is a field name or {\"field\", \"prefix\"}");
		}
		size_t fl = strlen(field) + 1;
		f->embedded[i] = malloc(fl);
		if (!f->embedded[i])
			return tl_errf(err, "out of memory");
		memcpy(f->embedded[i], field, fl);
		f->nembedded++;
		if (prefix) {
			size_t pl = strlen(prefix) + 1;
			if (!(f->embedded_prefix[i] = malloc(pl)))
				return tl_errf(err, "out of memory");
			memcpy(f->embedded_prefix[i], prefix, pl);
		}
	}
	return 0;
}

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* "+hh", "+hhmm", "+hh:mm" within -14:00..+14:00 */
static int valid_offset(const char *s)
{
	size_t n = strlen(s);
	if ((n != 3 && n != 5 && n != 6) || (s[0] != '+' && s[0] != '-'))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!(s[i] >= '0' && s[i] <= '9') && !(i == 3 && n == 6 && s[i] == ':'))
			return 0;
	int h = (s[1] - '0') * 10 + (s[2] - '0');
	int m = n == 3 ? 0 : (s[n - 2] - '0') * 10 + (s[n - 1] - '0');
	return h <= 14 && m <= 59;
}

/* "zone_names": {"CET": "+01:00", "CEST": "+02:00"}: what this source means by
 * the abbreviations it writes. tl never guesses one (docs/time.md). */
int tl_format_load_zone_names(struct tl_format *f, const struct tl_json *zn, struct tl_err *err)
{
	if (zn->type != TL_JSON_OBJECT)
		return bad(err, f, zn, "\"zone_names\" is an object of zone name -> offset (\"CET\": \"+01:00\")");
	f->zone_names = calloc(zn->n ? zn->n : 1, sizeof(char *));
	f->zone_offsets = calloc(zn->n ? zn->n : 1, sizeof(char *));
	if (!f->zone_names || !f->zone_offsets)
		return tl_errf(err, "out of memory");
	for (size_t i = 0; i < zn->n; i++) {
		const char *k = zn->keys[i];
		const struct tl_json *v = zn->kids[i];
		size_t kl = strlen(k);
		int ok = kl >= 1 && kl <= 10;
		for (size_t c = 0; c < kl; c++)
			ok &= is_alpha(k[c]);
		if (!ok)
			return bad(err, f, v, "a zone name in \"zone_names\" is 1 to 10 letters");
		if (v->type != TL_JSON_STRING || !valid_offset(v->str))
			return bad(err, f, v, "a \"zone_names\" offset is \"+hh:mm\", \"+hhmm\" or \"+hh\" (at most 14 hours)");
		f->zone_names[i] = malloc(kl + 1);
		f->zone_offsets[i] = malloc(v->len + 1);
		if (!f->zone_names[i] || !f->zone_offsets[i]) {
			free(f->zone_names[i]);
			free(f->zone_offsets[i]);
			return tl_errf(err, "out of memory");
		}
		memcpy(f->zone_names[i], k, kl + 1);
		memcpy(f->zone_offsets[i], v->str, v->len + 1);
		f->nzone_names++;
	}
	return 0;
}

const char *tl_format_zone_name_apply(const struct tl_format *f, const char *text, size_t len, struct tl_buf *out)
{
	for (size_t i = 0; i < len; i++) {
		if (!is_alpha(text[i]) || (i && is_alpha(text[i - 1])))
			continue;
		size_t e = i;
		while (e < len && is_alpha(text[e]))
			e++;
		for (size_t k = 0; k < f->nzone_names; k++) {
			const char *z = f->zone_names[k];
			if (strlen(z) != e - i || memcmp(z, text + i, e - i))
				continue;
			tl_buf_reset(out);
			if (tl_buf_add(out, text, i) || tl_buf_adds(out, f->zone_offsets[k]) ||
			    tl_buf_add(out, text + e, len - e))
				return NULL;
			return z;
		}
		i = e;
	}
	return NULL;
}

/* "framing": {"type": "xml", "element": "Event"} */
int tl_format_load_xml_framing(struct tl_format *f, const struct tl_json *framing, struct tl_err *err)
{
	const struct tl_json *e = tl_json_get(framing, "element");
	if (tl_json_get(framing, "records"))
		return bad(err, f, tl_json_get(framing, "records"), "\"records\" goes with json framing only");
	if (!e)
		return bad(err, f, framing, "xml framing needs \"element\" (the name of the record element, such as \"Event\")");
	int ok = e->type == TL_JSON_STRING && e->len >= 1 && e->len <= 63;
	for (size_t i = 0; ok && i < e->len; i++) {
		char c = e->str[i];
		ok = is_alpha(c) || c == '_' || c == ':' || (i && ((c >= '0' && c <= '9') || c == '.' || c == '-'));
	}
	if (!ok)
		return bad(err, f, e, "\"element\" is an XML name of up to 63 characters ([A-Za-z_:][A-Za-z0-9._:-]*)");
	if (!(f->xml_element[0] = malloc(e->len + 1)))
		return tl_errf(err, "out of memory");
	memcpy(f->xml_element[0], e->str, e->len + 1);
	f->framing.records_keys = (const char *const *)f->xml_element;
	return 0;
}
