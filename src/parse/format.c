/*
 * Loading and checking format definitions (the declarative language of
 * docs/format-definitions.md). Parsing records with a loaded definition is in
 * engine.c; this file only turns JSON into a validated struct tl_format.
 */
#define _POSIX_C_SOURCE 200809L
#include "format-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tl/registry.h"
#include "tl/banned.h"

static int bad(struct tl_err *err, const char *origin, const struct tl_json *at, const char *fmt, const char *a)
{
	char m[1024];
	snprintf(m, sizeof(m), fmt, a ? a : "");
	return tl_errf(err, "%s:%u:%u: %s", origin, at ? at->line : 1, at ? at->col : 1, m);
}

pcre2_code *tl_format_compile(const char *origin, const struct tl_json *at, const char *pat,
			      uint32_t opts, struct tl_err *err)
{
	int code;
	PCRE2_SIZE where;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, opts, &code, &where, NULL);
	if (!re) {
		PCRE2_UCHAR msg[160];
		pcre2_get_error_message(code, msg, sizeof(msg));
		tl_errf(err, "%s:%u:%u: bad pattern at offset %zu: %s", origin, at->line, at->col,
			(size_t)where, (char *)msg);
		return NULL;
	}
	/* JIT is an optimisation: where it is unavailable the interpreter is used */
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	return re;
}

/* A typo must not silently drop a mapping: every object of the language has a
 * closed set of keys. KEYS is a space-separated list. */
static int check_keys(const char *origin, const struct tl_json *obj, const char *what, const char *keys,
		      struct tl_err *err)
{
	if (!obj || obj->type != TL_JSON_OBJECT)
		return 0;
	for (size_t i = 0; i < obj->n; i++) {
		const char *k = obj->keys[i], *p = keys;
		size_t kl = strlen(k);
		int found = 0;
		while (*p && !found) {
			size_t l = strcspn(p, " ");
			found = l == kl && !strncmp(p, k, l);
			p += l + (p[l] == ' ');
		}
		if (!found)
			return tl_errf(err, "%s:%u:%u: unknown key \"%s\" in %s (%s)", origin, obj->kids[i]->line,
				       obj->kids[i]->col, k, what, keys);
	}
	return 0;
}

static int get_str(const char *origin, const struct tl_json *obj, const char *key, int required,
		   char **out, struct tl_err *err)
{
	const struct tl_json *v = tl_json_get(obj, key);
	if (!v) {
		if (required)
			return bad(err, origin, obj, "missing required key \"%s\"", key);
		return 0;
	}
	if (v->type != TL_JSON_STRING)
		return bad(err, origin, v, "\"%s\" must be a string", key);
	*out = strdup(v->str);
	return *out ? 0 : tl_errf(err, "out of memory");
}

/* A string or an array of strings. */
static int get_strs(const char *origin, const struct tl_json *v, char ***out, size_t *n, struct tl_err *err)
{
	if (v->type == TL_JSON_STRING) {
		*out = calloc(1, sizeof(char *));
		if (!*out || !((*out)[0] = strdup(v->str)))
			return tl_errf(err, "out of memory");
		*n = 1;
		return 0;
	}
	if (v->type != TL_JSON_ARRAY)
		return bad(err, origin, v, "expected a string or an array of strings%s", NULL);
	*out = calloc(v->n ? v->n : 1, sizeof(char *));
	if (!*out)
		return tl_errf(err, "out of memory");
	for (size_t i = 0; i < v->n; i++) {
		if (v->kids[i]->type != TL_JSON_STRING)
			return bad(err, origin, v->kids[i], "expected a string%s", NULL);
		if (!((*out)[i] = strdup(v->kids[i]->str)))
			return tl_errf(err, "out of memory");
		(*n)++;
	}
	return 0;
}

static void free_strs(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int parse_alts(const char *origin, const struct tl_json *v, struct tl_alts *a, struct tl_err *err)
{
	char **s = NULL;
	size_t n = 0;
	if (get_strs(origin, v, &s, &n, err)) {
		free_strs(s, n);
		return -1;
	}
	a->v = s;
	a->n = n;
	for (size_t i = 0; i < n; i++) {
		const struct tl_json *at = v->type == TL_JSON_ARRAY ? v->kids[i] : v;
		char msg[512];
		if (!s[i][0])
			return bad(err, origin, v, "empty field reference%s", NULL);
		if (tl_ref_check(s[i], msg, sizeof(msg)))
			return bad(err, origin, at, "%s", msg);
	}
	return 0;
}

static const char *const families[] = { "edr", "hids", "firewall", "proxy", "vpn", "dns", "flow", "dlp", "audit", NULL };

static int load_framing(struct tl_format *f, const struct tl_json *root, struct tl_err *err)
{
	const struct tl_json *fr = tl_json_get(root, "framing");
	f->framing.kind = TL_FRAME_LINES;
	f->framing.max_record = 64u << 20;
	if (!fr)
		return 0;
	if (fr->type != TL_JSON_OBJECT)
		return bad(err, f->origin, fr, "\"framing\" must be an object%s", NULL);
	if (check_keys(f->origin, fr, "framing", "type start records element max_record", err))
		return -1;
	char *type = NULL;
	if (get_str(f->origin, fr, "type", 1, &type, err))
		return -1;
	int rc = 0;
	if (!strcmp(type, "lines")) {
		f->framing.kind = TL_FRAME_LINES;
	} else if (!strcmp(type, "csv")) {
		f->framing.kind = TL_FRAME_CSV;
	} else if (!strcmp(type, "multiline")) {
		char *start = NULL;
		f->framing.kind = TL_FRAME_MULTILINE;
		if (get_str(f->origin, fr, "start", 1, &start, err)) {
			rc = -1;
		} else {
			f->start_re = tl_format_compile(f->origin, tl_json_get(fr, "start"), start, 0, err);
			f->framing.start = f->start_re;
			rc = f->start_re ? 0 : -1;
		}
		free(start);
	} else if (!strcmp(type, "json")) {
		const struct tl_json *rk = tl_json_get(fr, "records");
		f->framing.kind = TL_FRAME_JSON;
		if (rk && !(rc = get_strs(f->origin, rk, &f->records_keys, &f->nrecords_keys, err))) {
			/* NULL-terminate for the reader */
			char **v = realloc(f->records_keys, (f->nrecords_keys + 1) * sizeof(char *));
			if (!v)
				rc = tl_errf(err, "out of memory");
			else
				v[f->nrecords_keys] = NULL, f->records_keys = v;
			f->framing.records_keys = (const char *const *)f->records_keys;
		}
	} else if (!strcmp(type, "xml")) {
		f->framing.kind = TL_FRAME_XML;
		rc = tl_format_load_xml_framing(f, fr, err);
	} else {
		rc = bad(err, f->origin, fr, "unknown framing type \"%s\" (lines, multiline, csv, json, xml)", type);
	}
	if (!rc && f->framing.kind != TL_FRAME_XML && tl_json_get(fr, "element"))
		rc = bad(err, f->origin, tl_json_get(fr, "element"), "\"element\" goes with xml framing only%s", NULL);
	const struct tl_json *mx = tl_json_get(fr, "max_record");
	if (!rc && mx) {
		int64_t v;
		if (mx->type != TL_JSON_NUMBER || tl_parse_i64(mx->str, mx->len, &v) || v < 64)
			rc = bad(err, f->origin, mx, "\"max_record\" must be a byte count%s", NULL);
		else
			f->framing.max_record = (size_t)v;
	}
	free(type);
	return rc;
}

static int one_char(const char *origin, const struct tl_json *obj, const char *key, char dflt, char *out,
		    struct tl_err *err)
{
	char *s = NULL;
	*out = dflt;
	if (get_str(origin, obj, key, 0, &s, err))
		return -1;
	if (!s)
		return 0;
	int rc = 0;
	if (!strcmp(s, "\\t") || !strcmp(s, "tab"))
		*out = '\t';
	else if (strlen(s) == 1)
		*out = s[0];
	else if (!s[0] && !strcmp(key, "quote"))
		*out = 0;
	else
		rc = bad(err, origin, tl_json_get(obj, key), "\"%s\" must be a single character", key);
	free(s);
	return rc;
}

static int load_parse(struct tl_format *f, const struct tl_json *root, struct tl_err *err)
{
	const struct tl_json *p = tl_json_get(root, "parse");
	if (!p && f->envelope)
		return 0; /* the envelope's message is the record's message */
	if (!p || p->type != TL_JSON_OBJECT)
		return bad(err, f->origin, p ? p : root, "\"parse\" object is required%s", NULL);
	if (check_keys(f->origin, p, "parse",
		       "type patterns separator quote header columns pair_separator kv_separator prefix embedded_json "
		       "column_sets extra_columns values escapes header_match",
		       err))
		return -1;
	f->has_parse = 1;
	char *type = NULL;
	if (get_str(f->origin, p, "type", 1, &type, err))
		return -1;
	int rc = 0;
	if (!strcmp(type, "regex")) {
		const struct tl_json *pats = tl_json_get(p, "patterns");
		char **s = NULL;
		size_t n = 0;
		f->parse = TL_PARSE_REGEX;
		if (!pats) {
			rc = bad(err, f->origin, p, "regex parse needs \"patterns\"%s", NULL);
		} else if (!(rc = get_strs(f->origin, pats, &s, &n, err))) {
			f->pats = calloc(n ? n : 1, sizeof(*f->pats));
			for (size_t i = 0; i < n && !rc; i++) {
				const struct tl_json *at = pats->type == TL_JSON_ARRAY ? pats->kids[i] : pats;
				f->pats[i] = tl_format_compile(f->origin, at, s[i], 0, err);
				if (!f->pats[i])
					rc = -1;
				else
					f->npats++;
			}
		}
		free_strs(s, n);
	} else if (!strcmp(type, "json")) {
		f->parse = TL_PARSE_JSON;
	} else if (!strcmp(type, "delimited")) {
		char *hdr = NULL;
		f->parse = TL_PARSE_DELIMITED;
		rc = one_char(f->origin, p, "separator", ',', &f->sep, err);
		/* two quote characters: a value opened by either runs to the same one
		 * (Blue Coat exports quote a user agent with ' or ") */
		char *q = NULL;
		if (!rc && !get_str(f->origin, p, "quote", 0, &q, err) && q && strlen(q) == 2 && q[0] != q[1]) {
			f->quote = q[0];
			f->quote2 = q[1];
		} else if (!rc) {
			rc = one_char(f->origin, p, "quote", 0, &f->quote, err);
		}
		free(q);
		if (!rc)
			rc = get_str(f->origin, p, "header", 0, &hdr, err);
		if (!rc) {
			if (!hdr || !strcmp(hdr, "none"))
				f->header = TL_HDR_NONE;
			else if (!strcmp(hdr, "first-line"))
				f->header = TL_HDR_FIRST;
			else if (!strcmp(hdr, "zeek"))
				f->header = TL_HDR_ZEEK;
			else if (!strcmp(hdr, "w3c"))
				f->header = TL_HDR_W3C;
			else
				rc = bad(err, f->origin, tl_json_get(p, "header"),
					 "unknown header mode \"%s\" (none, first-line, zeek, w3c)", hdr);
		}
		const struct tl_json *cols = tl_json_get(p, "columns");
		if (!rc && cols)
			rc = get_strs(f->origin, cols, &f->cols, &f->ncols, err);
		if (!rc && f->header == TL_HDR_NONE && !f->ncols)
			rc = bad(err, f->origin, p, "delimited parse without a header needs \"columns\"%s", NULL);
		if (!rc)
			rc = tl_fmt_load_colsets(f, p, err);
		const struct tl_json *hm = tl_json_get(p, "header_match");
		if (!rc && hm) {
			char *s = NULL;
			if (f->header != TL_HDR_NONE)
				rc = bad(err, f->origin, hm, "\"header_match\" goes with \"header\": \"none\"%s", NULL);
			else
				rc = get_str(f->origin, p, "header_match", 0, &s, err);
			if (!rc && !(f->header_re = tl_format_compile(f->origin, hm, s, 0, err)))
				rc = -1;
			free(s);
		}
		free(hdr);
	} else if (!strcmp(type, "kv")) {
		if (tl_json_get(p, "column_sets") || tl_json_get(p, "extra_columns")) {
			free(type);
			return bad(err, f->origin, p, "\"column_sets\" and \"extra_columns\" go with delimited parsing%s", NULL);
		}
		f->parse = TL_PARSE_KV;
		rc = one_char(f->origin, p, "pair_separator", ' ', &f->sep, err);
		if (!rc)
			rc = one_char(f->origin, p, "kv_separator", '=', &f->kv_sep, err);
		if (!rc)
			rc = tl_format_load_kv(f, p, err);
	} else if (!strcmp(type, "cef")) {
		f->parse = TL_PARSE_CEF;
	} else if (!strcmp(type, "leef")) {
		f->parse = TL_PARSE_LEEF;
	} else if (!strcmp(type, "xml")) {
		f->parse = TL_PARSE_XML;
	} else {
		rc = bad(err, f->origin, p, "unknown parse type \"%s\" (regex, json, delimited, kv, cef, leef, xml)", type);
	}
	if (!rc && f->parse != TL_PARSE_KV)
		rc = tl_format_kv_keys_unused(f, p, err);
	if (!rc && f->parse != TL_PARSE_DELIMITED && tl_json_get(p, "header_match"))
		rc = bad(err, f->origin, tl_json_get(p, "header_match"), "\"header_match\" goes with delimited parsing%s", NULL);
	const struct tl_json *emb = tl_json_get(p, "embedded_json");
	if (!rc && emb)
		rc = tl_format_load_embedded(f, emb, err);
	const struct tl_json *pre = tl_json_get(p, "prefix");
	if (!rc && pre) {
		char *s = NULL;
		if (f->parse != TL_PARSE_DELIMITED && f->parse != TL_PARSE_KV && f->parse != TL_PARSE_CEF &&
		    f->parse != TL_PARSE_LEEF)
			rc = bad(err, f->origin, pre, "\"prefix\" goes with delimited, kv, cef and leef parsing%s", NULL);
		else
			rc = get_str(f->origin, p, "prefix", 0, &s, err);
		if (!rc && !(f->prefix = tl_format_compile(f->origin, pre, s, 0, err)))
			rc = -1;
		free(s);
	}
	free(type);
	return rc;
}

static int load_timestamp(struct tl_format *f, const struct tl_json *root, struct tl_err *err)
{
	const struct tl_json *t = tl_json_get(root, "timestamp");
	if (!t && f->envelope)
		return 0; /* the envelope's time */
	if (!t || t->type != TL_JSON_OBJECT)
		return bad(err, f->origin, t ? t : root, "\"timestamp\" object is required%s", NULL);
	if (check_keys(f->origin, t, "timestamp", "field formats zone zone_names", err))
		return -1;
	const struct tl_json *zn = tl_json_get(t, "zone_names");
	if (zn && tl_format_load_zone_names(f, zn, err))
		return -1;
	const struct tl_json *fld = tl_json_get(t, "field");
	const struct tl_json *fmts = tl_json_get(t, "formats");
	if (!fld)
		return bad(err, f->origin, t, "\"timestamp\" needs \"field\"%s", NULL);
	if (!fmts)
		return bad(err, f->origin, t, "\"timestamp\" needs \"formats\"%s", NULL);
	if (parse_alts(f->origin, fld, &f->ts, err) || get_strs(f->origin, fmts, &f->ts_formats, &f->nts_formats, err))
		return -1;
	for (size_t i = 0; i < f->nts_formats; i++)
		if (!tl_time_format_valid(f->ts_formats[i]))
			return bad(err, f->origin, fmts, "unknown timestamp format \"%s\"", f->ts_formats[i]);
	if (get_str(f->origin, t, "zone", 0, &f->zone, err))
		return -1;
	struct tl_tz *tz;
	char msg[256];
	/* a bad zone would fail every file later: refuse the definition now */
	if (f->zone && tl_tz_load(f->zone, &tz, msg, sizeof(msg)))
		return bad(err, f->origin, tl_json_get(t, "zone"), "%s", msg);
	if (f->zone)
		tl_tz_free(tz);
	return 0;
}

static int load_fields(struct tl_format *f, const struct tl_json *root, struct tl_err *err)
{
	const struct tl_json *m = tl_json_get(root, "fields");
	if (!m)
		return 0;
	if (m->type != TL_JSON_OBJECT)
		return bad(err, f->origin, m, "\"fields\" must be an object%s", NULL);
	for (size_t i = 0; i < m->n; i++) {
		int id = tl_field_lookup(m->keys[i]);
		if (id < 0)
			return bad(err, f->origin, m->kids[i], "\"%s\" is not a normalized field (see docs/event-model.md)",
				   m->keys[i]);
		/* a repeated key would replace (and leak) the first mapping */
		if (f->fields[id].v)
			return bad(err, f->origin, m->kids[i], "\"%s\" is mapped twice", m->keys[i]);
		if (parse_alts(f->origin, m->kids[i], &f->fields[id], err))
			return -1;
	}
	return 0;
}

static int load_rule(struct tl_format *f, int target, const struct tl_json *r, struct tl_err *err)
{
	if (r->type != TL_JSON_OBJECT)
		return bad(err, f->origin, r, "a map rule must be an object%s", NULL);
	if (check_keys(f->origin, r, "map rule", "from values match default missing", err))
		return -1;
	struct tl_vmap *v = realloc(f->vmaps, (f->nvmaps + 1) * sizeof(*v));
	if (!v)
		return tl_errf(err, "out of memory");
	f->vmaps = v;
	v = &f->vmaps[f->nvmaps++];
	memset(v, 0, sizeof(*v));
	v->target = target;
	if (get_str(f->origin, r, "from", 1, &v->from, err) || get_str(f->origin, r, "default", 0, &v->dflt, err) ||
	    get_str(f->origin, r, "missing", 0, &v->missing, err))
		return -1;
	char msg[512];
	if (v->from[0] == '=' || strchr(v->from, '{'))
		return bad(err, f->origin, tl_json_get(r, "from"), "\"from\" names a parsed field, not a constant or template: \"%s\"",
			   v->from);
	if (tl_ref_check(v->from, msg, sizeof(msg)))
		return bad(err, f->origin, tl_json_get(r, "from"), "%s", msg);
	const struct tl_json *vals = tl_json_get(r, "values");
	if (vals) {
		if (vals->type != TL_JSON_OBJECT)
			return bad(err, f->origin, vals, "\"values\" must be an object%s", NULL);
		v->keys = calloc(vals->n + 1, sizeof(char *));
		v->vals = calloc(vals->n + 1, sizeof(char *));
		if (!v->keys || !v->vals)
			return tl_errf(err, "out of memory");
		for (size_t i = 0; i < vals->n; i++) {
			if (vals->kids[i]->type != TL_JSON_STRING)
				return bad(err, f->origin, vals->kids[i], "map values must be strings%s", NULL);
			v->keys[i] = strdup(vals->keys[i]);
			v->vals[i] = strdup(vals->kids[i]->str);
			v->nvals++;
		}
	}
	const struct tl_json *match = tl_json_get(r, "match");
	if (match) {
		if (match->type != TL_JSON_ARRAY)
			return bad(err, f->origin, match, "\"match\" must be an array of [pattern, value]%s", NULL);
		v->mre = calloc(match->n + 1, sizeof(*v->mre));
		v->mvals = calloc(match->n + 1, sizeof(char *));
		if (!v->mre || !v->mvals)
			return tl_errf(err, "out of memory");
		for (size_t i = 0; i < match->n; i++) {
			const struct tl_json *pair = match->kids[i];
			if (pair->type != TL_JSON_ARRAY || pair->n != 2 || pair->kids[0]->type != TL_JSON_STRING ||
			    pair->kids[1]->type != TL_JSON_STRING)
				return bad(err, f->origin, pair, "\"match\" entries are [pattern, value]%s", NULL);
			v->mre[i] = tl_format_compile(f->origin, pair->kids[0], pair->kids[0]->str, 0, err);
			if (!v->mre[i])
				return -1;
			v->mvals[i] = strdup(pair->kids[1]->str);
			v->nmatch++;
		}
	}
	return 0;
}

static int load_maps(struct tl_format *f, const struct tl_json *root, struct tl_err *err)
{
	const struct tl_json *m = tl_json_get(root, "maps");
	if (!m)
		return 0;
	if (m->type != TL_JSON_OBJECT)
		return bad(err, f->origin, m, "\"maps\" must be an object%s", NULL);
	for (size_t i = 0; i < m->n; i++) {
		/* "indicator" names a tamper indicator (log cleared, logging stopped) for tl gaps */
		int id = strcmp(m->keys[i], "indicator") ? tl_field_lookup(m->keys[i]) : TL_F_INDICATOR;
		if (id < 0)
			return bad(err, f->origin, m->kids[i], "\"%s\" is not a normalized field", m->keys[i]);
		const struct tl_json *r = m->kids[i];
		if (r->type == TL_JSON_ARRAY) {
			for (size_t k = 0; k < r->n; k++)
				if (load_rule(f, id, r->kids[k], err))
					return -1;
		} else if (load_rule(f, id, r, err)) {
			return -1;
		}
	}
	return 0;
}

static int load_sniff(struct tl_format *f, const struct tl_json *root, struct tl_err *err)
{
	const struct tl_json *s = tl_json_get(root, "sniff");
	if (!s || s->type != TL_JSON_ARRAY || !s->n)
		return bad(err, f->origin, s ? s : root, "\"sniff\" must be a non-empty array of rules%s", NULL);
	f->sniffs = calloc(s->n, sizeof(*f->sniffs));
	if (!f->sniffs)
		return tl_errf(err, "out of memory");
	for (size_t i = 0; i < s->n; i++) {
		const struct tl_json *r = s->kids[i];
		const struct tl_json *re = tl_json_get(r, "regex"), *sc = tl_json_get(r, "score");
		if (check_keys(f->origin, r, "sniff rule", "regex score", err))
			return -1;
		int64_t score;
		if (!re || re->type != TL_JSON_STRING)
			return bad(err, f->origin, r, "a sniff rule needs a \"regex\" string%s", NULL);
		if (!sc || sc->type != TL_JSON_NUMBER || tl_parse_i64(sc->str, sc->len, &score) || score < 0 || score > 100)
			return bad(err, f->origin, r, "a sniff rule needs a \"score\" from 0 to 100%s", NULL);
		f->sniffs[i].re = tl_format_compile(f->origin, re, re->str, PCRE2_MULTILINE, err);
		if (!f->sniffs[i].re)
			return -1;
		f->sniffs[i].score = (int)score;
		f->nsniffs++;
	}
	return 0;
}

static int check_samples_seen(struct tl_format *f, const struct tl_json *root, unsigned char *seen,
			      struct tl_err *err);

/* Does the record just parsed by P have field NAME (LEN bytes; a selection or
 * transforms allowed)? A field present with a null value counts. */
static int sample_has(struct tl_parse *p, const char *name, size_t len)
{
	if (memchr(name, '[', len))
		return tl_ref_resolve(p, name, len) != NULL;
	const char *bar = memchr(name, '|', len);
	return tl_parse_find(p, name, bar ? (size_t)(bar - name) : len) != NULL;
}

/* For every field-mapping alternative, note in SEEN (one flag per alternative,
 * in target order) whether the record just parsed has all the fields it names. */
static void note_produced(const struct tl_format *f, struct tl_parse *p, unsigned char *seen)
{
	size_t k = 0;
	for (int t = 0; t < TL_F_COUNT; t++) {
		for (size_t a = 0; a < f->fields[t].n; a++, k++) {
			const char *alt = f->fields[t].v[a];
			if (seen[k] || alt[0] == '=')
				continue;
			int all = 1;
			if (strchr(alt, '{')) {
				for (const char *o = strchr(alt, '{'); o && all; o = strchr(o + 1, '{')) {
					const char *c = strchr(o, '}');
					if (c)
						all = sample_has(p, o + 1, (size_t)(c - o - 1));
				}
			} else {
				all = sample_has(p, alt, strlen(alt));
			}
			seen[k] = (unsigned char)all;
		}
	}
}

/* A mapping none of whose names any sample produced: most often a typo
 * ({actoin}), else a sample missing. A warning: samples need not cover every
 * variant of a record. */
static void warn_unproduced(struct tl_format *f, const unsigned char *seen)
{
	size_t k = 0;
	for (int t = 0; t < TL_F_COUNT; t++)
		for (size_t a = 0; a < f->fields[t].n; a++, k++) {
			const char *alt = f->fields[t].v[a];
			if (seen[k] || alt[0] == '=')
				continue;
			char msg[512];
			snprintf(msg, sizeof(msg), "%s: \"fields\".%s: no sample produces '%s' (a misspelled field, or add a "
				 "sample that has it)", f->origin, tl_field_name((enum tl_field_id)t), alt);
			tl_strlist_add(&f->warnings, msg);
		}
}

size_t tl_format_warnings(const struct tl_format *f, const char *const **out)
{
	*out = (const char *const *)f->warnings.v;
	return f->warnings.n;
}

/* Like lnav: every sample must parse, so a definition proves itself at load. */
static int check_samples(struct tl_format *f, const struct tl_json *root, struct tl_err *err)
{
	size_t nalts = 0;
	for (int t = 0; t < TL_F_COUNT; t++)
		nalts += f->fields[t].n;
	unsigned char *seen = calloc(nalts + 1, 1);
	if (!seen)
		return tl_errf(err, "out of memory");
	int rc = check_samples_seen(f, root, seen, err);
	/* a dispatcher's records go to its targets: its own mapping is not the whole story */
	if (!rc && !f->dispatch)
		warn_unproduced(f, seen);
	free(seen);
	return rc;
}

static int check_samples_seen(struct tl_format *f, const struct tl_json *root, unsigned char *seen, struct tl_err *err)
{
	const struct tl_json *s = tl_json_get(root, "samples");
	if (!s || s->type != TL_JSON_ARRAY || !s->n)
		return bad(err, f->origin, s ? s : root, "\"samples\" must be a non-empty array%s", NULL);
	for (size_t i = 0; i < s->n; i++) {
		const struct tl_json *sm = s->kids[i];
		struct tl_time_ctx tctx;
		tl_time_ctx_init(&tctx, NULL, "default", 2026, 0);
		struct tl_err perr;
		struct tl_parse *p = tl_parse_new(f, &tctx, &perr);
		if (!p)
			return tl_errf(err, "%s: %s", f->origin, perr.msg);
		p->no_dispatch = 1; /* targets are not linked yet: the sample tests this definition's own mapping */
		size_t nl = sm->type == TL_JSON_ARRAY ? sm->n : 1;
		enum tl_parse_status st = TL_PARSE_REJECT;
		snprintf(perr.msg, sizeof(perr.msg), "sample must be a string or an array of lines");
		for (size_t k = 0; k < nl; k++) {
			const struct tl_json *line = sm->type == TL_JSON_ARRAY ? sm->kids[k] : sm;
			if (line->type != TL_JSON_STRING) {
				st = TL_PARSE_REJECT;
				break;
			}
			struct tl_record rec;
			memset(&rec, 0, sizeof(rec));
			rec.text = rec.raw = line->str;
			rec.len = rec.raw_len = rec.length = line->len;
			rec.line = k + 1;
			struct tl_event ev;
			st = tl_parse_record(p, &rec, &ev, &perr);
			if (st == TL_PARSE_REJECT)
				break;
			if (st == TL_PARSE_EVENT)
				note_produced(f, p, seen);
		}
		tl_parse_free(p);
		if (st != TL_PARSE_EVENT)
			return bad(err, f->origin, sm, "sample does not parse: %s",
				   st != TL_PARSE_META ? perr.msg
				   : sm->type == TL_JSON_STRING
					   /* a header format reads its header first: a lone line is taken for it */
					   ? "the line was read as a header or directive; a format with a header "
					     "needs each sample as an array of lines, header first: [\"HEADER\", \"RECORD\"]"
					   : "last line is not a record");
	}
	return 0;
}

struct tl_format *tl_format_load(const char *origin, const char *text, size_t len, struct tl_err *err)
{
	return tl_format_load_pool(origin, text, len, NULL, err);
}

struct tl_format *tl_format_load_pool(const char *origin, const char *text, size_t len, const struct tl_def_pool *pool,
				      struct tl_err *err)
{
	struct tl_json *root = tl_json_parse(origin, text, len, err);
	if (!root)
		return NULL;
	/* with "extends", what the definition produces depends on its bases too: hash them all */
	struct tl_buf chain = TL_BUF_INIT;
	chain.max = 64u << 20;
	tl_buf_add(&chain, text, len);
	if (tl_json_get(root, "extends") && !(root = tl_fmt_apply_extends(origin, root, pool, &chain, err))) {
		tl_buf_release(&chain);
		return NULL;
	}
	struct tl_format *f = calloc(1, sizeof(*f));
	if (!f) {
		tl_json_free(root);
		tl_buf_release(&chain);
		tl_errf(err, "out of memory");
		return NULL;
	}
	f->origin = strdup(origin);
	f->ops = &tl_engine_ops;
	if ((f->text = malloc(len + 1))) {
		memcpy(f->text, text, len);
		f->text[len] = 0;
		f->text_len = len;
	}
	tl_sha256_hex(chain.data ? chain.data : "", chain.len, f->sha256);
	memcpy(f->own_sha256, f->sha256, sizeof(f->sha256));
	tl_buf_release(&chain);
	int rc = -1;
	if (root->type != TL_JSON_OBJECT) {
		bad(err, origin, root, "a format definition is a JSON object%s", NULL);
		goto cleanup;
	}
	if (get_str(origin, root, "name", 1, &f->name, err) || get_str(origin, root, "family", 1, &f->family, err) ||
	    get_str(origin, root, "version", 1, &f->version, err) || get_str(origin, root, "title", 0, &f->title, err))
		goto cleanup;
	for (const char *c = f->name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-')) {
			bad(err, origin, tl_json_get(root, "name"), "format names use [a-z0-9-] only: \"%s\"", f->name);
			goto cleanup;
		}
	int known = 0;
	for (const char *const *fam = families; *fam; fam++)
		known |= !strcmp(*fam, f->family);
	if (!known) {
		bad(err, origin, tl_json_get(root, "family"),
		    "unknown family \"%s\" (edr, hids, firewall, proxy, vpn, dns, flow, dlp, audit)", f->family);
		goto cleanup;
	}
	static const char *const keys[] = { "name", "family", "version", "title", "reference", "framing", "parse",
					    "null_values", "timestamp", "fields", "maps", "sniff", "samples",
					    "sequence", "ordered_within", "zeek_path", "envelope", "dispatch", "claims",
					    "cases", "extends", "record_type", "rename", "name_value", "embedded_xml", "split",
					    NULL };
	for (size_t i = 0; i < root->n; i++) {
		const char *const *k = keys;
		while (*k && strcmp(*k, root->keys[i]))
			k++;
		if (!*k) {
			/* a typo must not silently drop a mapping */
			bad(err, origin, root->kids[i], "unknown key \"%s\"", root->keys[i]);
			goto cleanup;
		}
	}
	const struct tl_json *seq = tl_json_get(root, "sequence"), *ow = tl_json_get(root, "ordered_within");
	if (seq && parse_alts(origin, seq, &f->sequence, err))
		goto cleanup;
	if (ow) {
		char *end = NULL;
		double sec = ow->type == TL_JSON_NUMBER ? strtod(ow->str, &end) : -1;
		if (ow->type != TL_JSON_NUMBER || *end || sec < 0 || sec > 1e7) {
			bad(err, origin, ow, "\"ordered_within\" is a number of seconds%s", NULL);
			goto cleanup;
		}
		f->ordered_within_us = (int64_t)(sec * 1e6);
	}
	/* Zeek names its log in the header (#path) or each record (_path): detection
	 * lets that name decide, so a dns.log is never read by the conn.log definition */
	if (get_str(origin, root, "zeek_path", 0, &f->zeek_path, err))
		goto cleanup;
	if (f->zeek_path && (!f->zeek_path[0] || (strcmp(f->zeek_path, "*") && strspn(f->zeek_path,
			"abcdefghijklmnopqrstuvwxyz0123456789_-.") != strlen(f->zeek_path)))) {
		bad(err, origin, tl_json_get(root, "zeek_path"), "\"zeek_path\" is a Zeek log name (dns, conn) or \"*\"%s",
		    NULL);
		goto cleanup;
	}
	/* a definition for one record type of a mixed stream (Suricata EVE
	 * event_type) rejects the others, so that detection and a forced format
	 * never read a flow record as a DNS one */
	const struct tl_json *rt = tl_json_get(root, "record_type");
	if (rt) {
		const struct tl_json *rv = rt->type == TL_JSON_OBJECT ? tl_json_get(rt, "values") : NULL;
		if (rt->type != TL_JSON_OBJECT) {
			bad(err, origin, rt, "\"record_type\" is an object {\"field\": F, \"values\": [...]}%s", NULL);
			goto cleanup;
		}
		if (check_keys(origin, rt, "record_type", "field values", err) ||
		    get_str(origin, rt, "field", 1, &f->rt_field, err))
			goto cleanup;
		if (!rv) {
			bad(err, origin, rt, "\"record_type\" needs \"values\"%s", NULL);
			goto cleanup;
		}
		if (get_strs(origin, rv, &f->rt_values, &f->nrt_values, err))
			goto cleanup;
	}
	const struct tl_json *nulls = tl_json_get(root, "null_values");
	if (tl_fmt_load_ext(f, root, err) || load_framing(f, root, err) || load_parse(f, root, err) ||
	    load_timestamp(f, root, err) ||
	    load_fields(f, root, err) || load_maps(f, root, err) || load_sniff(f, root, err) ||
	    (nulls && get_strs(origin, nulls, &f->nulls, &f->nnulls, err)) || check_samples(f, root, err))
		goto cleanup;
	rc = 0;
cleanup:
	tl_json_free(root);
	if (rc) {
		tl_format_free(f);
		return NULL;
	}
	return f;
}

void tl_format_free(struct tl_format *f)
{
	if (!f)
		return;
	tl_strlist_release(&f->warnings);
	free(f->name);
	free(f->family);
	free(f->version);
	free(f->title);
	free(f->origin);
	free_strs(f->records_keys, f->nrecords_keys);
	free(f->zone);
	pcre2_code_free(f->start_re);
	pcre2_code_free(f->prefix);
	pcre2_code_free(f->header_re);
	for (size_t i = 0; i < f->npats; i++)
		pcre2_code_free(f->pats[i]);
	free(f->pats);
	free_strs(f->cols, f->ncols);
	free_strs(f->nulls, f->nnulls);
	free_strs(f->embedded, f->nembedded);
	free_strs(f->embedded_prefix, f->embedded_prefix ? f->nembedded : 0);
	free_strs(f->zone_names, f->nzone_names);
	free(f->xml_element[0]);
	free_strs(f->zone_offsets, f->nzone_names);
	free_strs(f->ts.v, f->ts.n);
	free_strs(f->sequence.v, f->sequence.n);
	free_strs(f->ts_formats, f->nts_formats);
	for (int i = 0; i < TL_F_COUNT; i++)
		free_strs(f->fields[i].v, f->fields[i].n);
	for (size_t i = 0; i < f->nvmaps; i++) {
		struct tl_vmap *v = &f->vmaps[i];
		free(v->from);
		free(v->dflt);
		free(v->missing);
		free_strs(v->keys, v->nvals);
		free_strs(v->vals, v->nvals);
		for (size_t k = 0; k < v->nmatch; k++)
			pcre2_code_free(v->mre[k]);
		free(v->mre);
		free_strs(v->mvals, v->nmatch);
	}
	free(f->vmaps);
	for (size_t i = 0; i < f->nsniffs; i++)
		pcre2_code_free(f->sniffs[i].re);
	free(f->sniffs);
	free(f->zeek_path);
	free(f->rt_field);
	free_strs(f->rt_values, f->nrt_values);
	tl_fmt_free_ext(f);
	free(f->text);
	free(f);
}

const char *tl_format_name(const struct tl_format *f) { return f->name; }
const char *tl_format_family(const struct tl_format *f) { return f->family; }
const char *tl_format_version(const struct tl_format *f) { return f->version; }
const char *tl_format_title(const struct tl_format *f) { return f->title ? f->title : ""; }
const char *tl_format_origin(const struct tl_format *f) { return f->origin; }
const char *tl_format_sha256(const struct tl_format *f) { return f->sha256; }
const struct tl_framing_spec *tl_format_framing(const struct tl_format *f) { return &f->framing; }
const char *tl_format_zone(const struct tl_format *f) { return f->zone; }
int tl_format_dispatches(const struct tl_format *f) { return f->dispatch != NULL; }
int tl_format_unclaimed_proves(const struct tl_format *f) { return f->dispatch && f->dispatch->unclaimed_proves; }
int64_t tl_format_ordered_within(const struct tl_format *f) { return f->ordered_within_us; }
const char *tl_format_zeek_path(const struct tl_format *f) { return f->zeek_path; }

int tl_format_sniff(const struct tl_format *f, const char *head, size_t len)
{
	if (f->cp) /* a C parser probes for itself */
		return tl_registry_sniff(f, head, len);
	int best = 0;
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	if (!md)
		return 0;
	for (size_t i = 0; i < f->nsniffs; i++) {
		if (f->sniffs[i].score <= best)
			continue;
		if (pcre2_match(f->sniffs[i].re, (PCRE2_SPTR)head, len, 0, 0, md, NULL) >= 0)
			best = f->sniffs[i].score;
	}
	pcre2_match_data_free(md);
	return best;
}

struct tl_parse *tl_parse_new(const struct tl_format *f, struct tl_time_ctx *tctx, struct tl_err *err)
{
	return f->ops->state_new(f, tctx, err);
}

void tl_parse_free(struct tl_parse *p)
{
	if (p)
		p->f->ops->state_free(p);
}

enum tl_parse_status tl_parse_record(struct tl_parse *p, const struct tl_record *rec, struct tl_event *ev,
				     struct tl_err *err)
{
	return p->f->ops->parse(p, rec, ev, err);
}

static int add_format(struct tl_formats *fs, struct tl_format *f, struct tl_err *err)
{
	if (tl_formats_find(fs, f->name)) {
		tl_errf(err, "%s: format \"%s\" is already defined", f->origin, f->name);
		tl_format_free(f);
		return -1;
	}
	struct tl_format **v = realloc(fs->v, (fs->n + 1) * sizeof(*v));
	if (!v) {
		tl_format_free(f);
		return tl_errf(err, "out of memory");
	}
	fs->v = v;
	/* keep sorted by name: listings and detection ties are deterministic */
	size_t i = fs->n;
	while (i > 0 && strcmp(fs->v[i - 1]->name, f->name) > 0) {
		fs->v[i] = fs->v[i - 1];
		i--;
	}
	fs->v[i] = f;
	fs->n++;
	return 0;
}

/* Load TEXTS (ORIGINS) into FS; "extends" may name any of them or a loaded one. */
static int add_texts(struct tl_formats *fs, const char *const *texts, const size_t *lens, const char *const *origins,
		     size_t n, struct tl_err *err)
{
	struct tl_def_pool pool = { fs, texts, lens, origins, n };
	for (size_t i = 0; i < n; i++) {
		struct tl_format *f = tl_format_load_pool(origins[i], texts[i], lens[i], &pool, err);
		if (!f || add_format(fs, f, err))
			return -1;
	}
	return 0;
}

int tl_formats_add_builtin(struct tl_formats *fs, struct tl_err *err)
{
	size_t n = tl_builtin_format_count;
	const char **texts = calloc(n + 1, sizeof(char *));
	char **origins = calloc(n + 1, sizeof(char *));
	size_t *lens = calloc(n + 1, sizeof(size_t));
	int rc = texts && origins && lens ? 0 : tl_errf(err, "out of memory");
	for (size_t i = 0; i < n && !rc; i++) {
		char origin[256];
		snprintf(origin, sizeof(origin), "builtin:%s", tl_builtin_formats[i].path);
		texts[i] = tl_builtin_formats[i].text;
		lens[i] = tl_builtin_formats[i].len;
		if (!(origins[i] = strdup(origin)))
			rc = tl_errf(err, "out of memory");
	}
	if (!rc)
		rc = add_texts(fs, texts, lens, (const char *const *)origins, n, err);
	free(texts);
	free(lens);
	free_strs(origins, n);
	/* the registered C parsers (registry.c) join before dispatch is linked:
	 * a dispatcher may hand records to one */
	for (size_t i = 0; i < tl_c_parser_count && !rc; i++) {
		struct tl_format *f = tl_format_from_parser(tl_c_parsers[i], err);
		if (!f || add_format(fs, f, err))
			rc = -1;
	}
	return rc ? rc : tl_formats_link(fs, err);
}


/* The first problem of the walk over a formats folder; a missing folder is none. */
struct dir_problem {
	int errnum;
	char rel[256];
};

static void dir_problem(void *ctx, enum tl_walk_problem what, const char *rel, int errnum)
{
	struct dir_problem *p = ctx;
	if (p->errnum || (what == TL_WALK_UNREADABLE && errnum == ENOENT && !*rel))
		return;
	p->errnum = errnum ? errnum : ELOOP;
	snprintf(p->rel, sizeof(p->rel), "%s", rel);
}

int tl_formats_add_dir(struct tl_formats *fs, const char *dir, struct tl_err *err)
{
	/* definitions are configuration, not evidence: a link to a shared one is followed */
	struct dir_problem problem = { 0, "" };
	struct tl_walk_opts wo = { .skip_hidden = 1, .follow_outside = 1, .report = dir_problem, .ctx = &problem };
	struct tl_strlist names = TL_STRLIST_INIT;
	tl_walk(dir, "", &wo, &names);
	if (problem.errnum) {
		tl_strlist_release(&names);
		return tl_errf(err, "cannot read '%s%s%s': %s", dir, *problem.rel ? "/" : "", problem.rel,
			       strerror(problem.errnum));
	}
	int rc = 0;
	/* read every file first: a definition may extend one that sorts after it */
	size_t n = 0;
	char **texts = calloc(names.n + 1, sizeof(char *)), **paths = calloc(names.n + 1, sizeof(char *));
	size_t *lens = calloc(names.n + 1, sizeof(size_t));
	if (!texts || !paths || !lens)
		rc = tl_errf(err, "out of memory");
	for (size_t i = 0; i < names.n && !rc; i++) {
		size_t l = strlen(names.v[i]);
		if (l <= 5 || strcmp(names.v[i] + l - 5, ".json"))
			continue;
		char path[4096];
		struct tl_buf b = TL_BUF_INIT;
		snprintf(path, sizeof(path), "%s/%s", dir, names.v[i]);
		if (tl_read_file(path, 4u << 20, &b, err)) {
			tl_buf_release(&b);
			rc = -1;
			break;
		}
		paths[n] = strdup(path);
		lens[n] = b.len;
		texts[n] = b.data ? b.data : strdup("");
		if (!texts[n] || !paths[n])
			rc = tl_errf(err, "out of memory");
		n++;
	}
	if (!rc)
		rc = add_texts(fs, (const char *const *)texts, lens, (const char *const *)paths, n, err);
	if (!rc)
		rc = tl_formats_link(fs, err);
	if (texts)
		free_strs(texts, n);
	if (paths)
		free_strs(paths, n);
	free(lens);
	tl_strlist_release(&names);
	return rc;
}

int tl_formats_add_file(struct tl_formats *fs, const char *path, struct tl_err *err)
{
	struct tl_buf b = TL_BUF_INIT;
	if (tl_read_file(path, 4u << 20, &b, err)) {
		tl_buf_release(&b);
		return -1;
	}
	const char *text = b.data ? b.data : "";
	size_t len = b.len;
	int rc = add_texts(fs, &text, &len, &path, 1, err);
	if (!rc)
		rc = tl_formats_link(fs, err);
	tl_buf_release(&b);
	return rc;
}

/* Loading helpers shared with format-ext.c. */
int tl_fmt_bad(struct tl_err *err, const char *origin, const struct tl_json *at, const char *fmt, const char *a)
{
	return bad(err, origin, at, fmt, a);
}
int tl_fmt_check_keys(const char *origin, const struct tl_json *obj, const char *what, const char *keys,
		      struct tl_err *err)
{
	return check_keys(origin, obj, what, keys, err);
}
int tl_fmt_get_strs(const char *origin, const struct tl_json *v, char ***out, size_t *n, struct tl_err *err)
{
	return get_strs(origin, v, out, n, err);
}
void tl_fmt_free_strs(char **v, size_t n) { free_strs(v, n); }
int tl_fmt_parse_alts(const char *origin, const struct tl_json *v, struct tl_alts *a, struct tl_err *err)
{
	return parse_alts(origin, v, a, err);
}
int tl_fmt_load_fields(struct tl_format *f, const struct tl_json *root, struct tl_err *err)
{
	return load_fields(f, root, err);
}
int tl_fmt_load_maps(struct tl_format *f, const struct tl_json *root, struct tl_err *err)
{
	return load_maps(f, root, err);
}

const struct tl_format *tl_formats_find(const struct tl_formats *fs, const char *name)
{
	for (size_t i = 0; i < fs->n; i++)
		if (!strcmp(fs->v[i]->name, name))
			return fs->v[i];
	return NULL;
}

void tl_formats_release(struct tl_formats *fs)
{
	for (size_t i = 0; i < fs->n; i++)
		tl_format_free(fs->v[i]);
	free(fs->v);
	fs->v = NULL;
	fs->n = 0;
}

const struct tl_format *tl_formats_detect(const struct tl_formats *fs, const char *head, size_t len, int *score)
{
	const struct tl_format *best = NULL;
	int bs = 0;
	for (size_t i = 0; i < fs->n; i++) {
		int s = tl_format_sniff(fs->v[i], head, len);
		if (s > bs)
			best = fs->v[i], bs = s;
	}
	*score = bs;
	return bs >= 50 ? best : NULL;
}
