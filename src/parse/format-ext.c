/*
 * Loading the parts of the definition language that let one file hold several
 * layouts: "envelope" (a transport header read once), "dispatch" and "claims"
 * (which definition parses each record), "cases" (layouts chosen by a field
 * value inside one definition) and "column_sets" (columns chosen by a value).
 * docs/format-definitions.md describes them; engine.c runs them. Linking the
 * dispatch tables needs the whole set of formats, so it happens after every
 * load (tl_formats_link), not in tl_format_load.
 */
#define _POSIX_C_SOURCE 200809L
#include "format-internal.h"

#include <stdlib.h>
#include <string.h>

#include "tl/banned.h"

#define KEYMAP_MAX 65536

static uint32_t hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static char *dup_n(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = 0;
	}
	return p;
}

int tl_keymap_get(const struct tl_keymap *m, const char *s, size_t len)
{
	if (!m->cap)
		return -1;
	for (uint32_t h = hash(s, len) & (m->cap - 1);; h = (h + 1) & (m->cap - 1)) {
		const char *k = m->keys[h];
		if (!k)
			return -1;
		if (!strncmp(k, s, len) && !k[len])
			return m->vals[h];
	}
}

int tl_keymap_put(struct tl_keymap *m, const char *key, int val)
{
	if (tl_keymap_get(m, key, strlen(key)) >= 0)
		return 1;
	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		if (cap > KEYMAP_MAX)
			return -1;
		struct tl_keymap nm = { calloc(cap, sizeof(char *)), calloc(cap, sizeof(int)), cap, 0 };
		if (!nm.keys || !nm.vals) {
			free(nm.keys);
			free(nm.vals);
			return -1;
		}
		for (size_t i = 0; i < m->cap; i++) {
			if (!m->keys[i])
				continue;
			uint32_t h = hash(m->keys[i], strlen(m->keys[i])) & (cap - 1);
			while (nm.keys[h])
				h = (h + 1) & (cap - 1);
			nm.keys[h] = m->keys[i];
			nm.vals[h] = m->vals[i];
			nm.n++;
		}
		free(m->keys);
		free(m->vals);
		*m = nm;
	}
	uint32_t h = hash(key, strlen(key)) & (m->cap - 1);
	while (m->keys[h])
		h = (h + 1) & (m->cap - 1);
	if (!(m->keys[h] = dup_n(key, strlen(key))))
		return -1;
	m->vals[h] = val;
	m->n++;
	return 0;
}

void tl_keymap_release(struct tl_keymap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

static int str_key(const char *origin, const struct tl_json *obj, const char *key, int required, char **out,
		   struct tl_err *err)
{
	const struct tl_json *v = tl_json_get(obj, key);
	if (!v)
		return required ? tl_fmt_bad(err, origin, obj, "missing required key \"%s\"", key) : 0;
	if (v->type != TL_JSON_STRING || !v->len)
		return tl_fmt_bad(err, origin, v, "\"%s\" must be a non-empty string", key);
	*out = dup_n(v->str, v->len);
	return *out ? 0 : tl_errf(err, "out of memory");
}

/* Keys of a "cases" or "sets" object may list several values: "302013,302015". */
static int put_keys(const char *origin, const struct tl_json *at, struct tl_keymap *m, const char *keys, int val,
		    struct tl_err *err)
{
	for (const char *k = keys;;) {
		size_t l = strcspn(k, ",");
		char *one = dup_n(k, l);
		int rc = one ? tl_keymap_put(m, one, val) : -1;
		free(one);
		if (rc == 1)
			return tl_fmt_bad(err, origin, at, "value \"%s\" is listed twice", keys);
		if (rc)
			return tl_errf(err, "out of memory");
		if (!k[l])
			return 0;
		k += l + 1;
	}
}

static int load_envelope(struct tl_format *f, const struct tl_json *root, struct tl_err *err)
{
	const struct tl_json *e = tl_json_get(root, "envelope");
	if (!e)
		return 0;
	if (e->type != TL_JSON_STRING || strcmp(e->str, "syslog"))
		return tl_fmt_bad(err, f->origin, e, "unknown envelope%s (syslog)", e->type == TL_JSON_STRING ? "" : " type");
	f->envelope = TL_ENV_SYSLOG;
	return 0;
}

static int load_dispatch(struct tl_format *f, const struct tl_json *root, struct tl_err *err)
{
	const struct tl_json *d = tl_json_get(root, "dispatch");
	if (!d)
		return 0;
	if (d->type != TL_JSON_OBJECT)
		return tl_fmt_bad(err, f->origin, d, "\"dispatch\" must be an object%s", NULL);
	if (tl_fmt_check_keys(f->origin, d, "dispatch", "by to default unclaimed", err))
		return -1;
	struct tl_dispatch *x = calloc(1, sizeof(*x));
	if (!x)
		return tl_errf(err, "out of memory");
	f->dispatch = x;
	x->line = d->line;
	x->col = d->col;
	x->dflt_slot = -1;
	const struct tl_json *by = tl_json_get(d, "by"), *to = tl_json_get(d, "to"), *un = tl_json_get(d, "unclaimed");
	if (!by)
		return tl_fmt_bad(err, f->origin, d, "\"dispatch\" needs \"by\" (the field whose value picks the definition)%s",
				  NULL);
	if (tl_fmt_parse_alts(f->origin, by, &x->by, err) || str_key(f->origin, d, "default", 0, &x->dflt, err))
		return -1;
	for (size_t i = 0; i < x->by.n; i++)
		if (x->by.v[i][0] == '=')
			return tl_fmt_bad(err, f->origin, by, "\"by\" names a field or a template, not a constant: \"%s\"",
					  x->by.v[i]);
	if (un && (un->type != TL_JSON_STRING ||
		   (strcmp(un->str, "event") && strcmp(un->str, "reject") && strcmp(un->str, "generic"))))
		return tl_fmt_bad(err, f->origin, un, "\"unclaimed\" is \"event\", \"generic\" or \"reject\"%s", NULL);
	x->reject_unclaimed = un && !strcmp(un->str, "reject");
	x->unclaimed_proves = un && !strcmp(un->str, "generic");
	if (x->reject_unclaimed && x->dflt)
		return tl_fmt_bad(err, f->origin, un, "\"unclaimed\": \"reject\" contradicts \"default\"%s", NULL);
	if (to && to->type == TL_JSON_STRING) {
		const char *b = strstr(to->str, "{}");
		if (!b || strstr(b + 2, "{}"))
			return tl_fmt_bad(err, f->origin, to, "a \"to\" template holds \"{}\" once: \"%s\"", to->str);
		x->to_template = dup_n(to->str, to->len);
	} else if (to && to->type == TL_JSON_OBJECT) {
		x->to_keys = calloc(to->n + 1, sizeof(char *));
		x->to_names = calloc(to->n + 1, sizeof(char *));
		x->to_line = calloc(to->n + 1, sizeof(unsigned));
		x->to_col = calloc(to->n + 1, sizeof(unsigned));
		if (!x->to_keys || !x->to_names || !x->to_line || !x->to_col)
			return tl_errf(err, "out of memory");
		for (size_t i = 0; i < to->n; i++) {
			if (to->kids[i]->type != TL_JSON_STRING)
				return tl_fmt_bad(err, f->origin, to->kids[i], "\"to\" values are definition names%s", NULL);
			x->to_keys[i] = dup_n(to->keys[i], strlen(to->keys[i]));
			x->to_names[i] = dup_n(to->kids[i]->str, to->kids[i]->len);
			x->to_line[i] = to->kids[i]->line;
			x->to_col[i] = to->kids[i]->col;
			x->nto++;
			if (!x->to_keys[i] || !x->to_names[i])
				return tl_errf(err, "out of memory");
		}
	} else if (to) {
		return tl_fmt_bad(err, f->origin, to, "\"to\" is an object (value -> definition) or a name template%s",
				  NULL);
	}
	return 0;
}

static int load_claims(struct tl_format *f, const struct tl_json *root, struct tl_err *err)
{
	const struct tl_json *c = tl_json_get(root, "claims");
	if (!c)
		return 0;
	if (c->type != TL_JSON_OBJECT || !c->n)
		return tl_fmt_bad(err, f->origin, c,
				  "\"claims\" is an object: dispatcher name -> the values this definition parses%s", NULL);
	if (!(f->claims = calloc(c->n, sizeof(*f->claims))))
		return tl_errf(err, "out of memory");
	for (size_t i = 0; i < c->n; i++) {
		struct tl_claim *cl = &f->claims[f->nclaims++];
		cl->line = c->kids[i]->line;
		cl->col = c->kids[i]->col;
		if (!(cl->dispatcher = dup_n(c->keys[i], strlen(c->keys[i]))))
			return tl_errf(err, "out of memory");
		if (tl_fmt_get_strs(f->origin, c->kids[i], &cl->values, &cl->nvalues, err))
			return -1;
	}
	return 0;
}

static int load_cases(struct tl_format *f, const struct tl_json *root, struct tl_err *err)
{
	const struct tl_json *c = tl_json_get(root, "cases");
	if (!c)
		return 0;
	if (c->type != TL_JSON_OBJECT)
		return tl_fmt_bad(err, f->origin, c, "\"cases\" must be an object%s", NULL);
	if (tl_fmt_check_keys(f->origin, c, "cases", "by on values", err))
		return -1;
	struct tl_cases *x = calloc(1, sizeof(*x));
	if (!x)
		return tl_errf(err, "out of memory");
	f->cases = x;
	const struct tl_json *vals = tl_json_get(c, "values");
	if (str_key(f->origin, c, "by", 1, &x->by, err) || str_key(f->origin, c, "on", 0, &x->on, err))
		return -1;
	if (!vals || vals->type != TL_JSON_OBJECT || !vals->n)
		return tl_fmt_bad(err, f->origin, vals ? vals : c, "\"cases\" needs \"values\": an object of cases%s", NULL);
	if (!(x->v = calloc(vals->n, sizeof(*x->v))))
		return tl_errf(err, "out of memory");
	for (size_t i = 0; i < vals->n; i++) {
		const struct tl_json *cj = vals->kids[i];
		if (cj->type != TL_JSON_OBJECT)
			return tl_fmt_bad(err, f->origin, cj, "a case must be an object%s", NULL);
		if (tl_fmt_check_keys(f->origin, cj, "case", "patterns fields maps", err))
			return -1;
		struct tl_format *k = calloc(1, sizeof(*k));
		if (!k)
			return tl_errf(err, "out of memory");
		x->v[x->n++] = k;
		k->origin = dup_n(f->origin, strlen(f->origin));
		k->name = dup_n(vals->keys[i], strlen(vals->keys[i]));
		if (!k->origin || !k->name)
			return tl_errf(err, "out of memory");
		if (put_keys(f->origin, cj, &x->map, vals->keys[i], (int)i, err))
			return -1;
		const struct tl_json *pats = tl_json_get(cj, "patterns");
		if (pats) {
			char **s = NULL;
			size_t n = 0;
			int rc = 0;
			if (!x->on)
				return tl_fmt_bad(err, f->origin, pats,
						  "case patterns need \"on\" in \"cases\" (the field they match)%s", NULL);
			if (tl_fmt_get_strs(f->origin, pats, &s, &n, err)) {
				tl_fmt_free_strs(s, n);
				return -1;
			}
			k->pats = calloc(n ? n : 1, sizeof(*k->pats));
			for (size_t p = 0; k->pats && p < n && !rc; p++) {
				const struct tl_json *at = pats->type == TL_JSON_ARRAY ? pats->kids[p] : pats;
				if (!(k->pats[p] = tl_format_compile(f->origin, at, s[p], 0, err)))
					rc = -1;
				else
					k->npats++;
			}
			tl_fmt_free_strs(s, n);
			if (rc || !k->pats)
				return rc ? rc : tl_errf(err, "out of memory");
		}
		if (tl_fmt_load_fields(k, cj, err) || tl_fmt_load_maps(k, cj, err))
			return -1;
	}
	return 0;
}

/* "min": N for every set of the stage, or {"VALUE[,VALUE]": N, ...}: a record
 * whose values stop inside the set, after at least N of its columns, is still
 * an event (its fields say how many were missing) — the layout of another
 * version of the device, whose later fields are absent, not a record in an
 * unknown variant. */
static int set_min(struct tl_format *f, struct tl_colset *c, size_t k, const struct tl_json *v, struct tl_err *err)
{
	char *end = NULL;
	unsigned long n = v->type == TL_JSON_NUMBER ? strtoul(v->str, &end, 10) : 0;
	if (v->type != TL_JSON_NUMBER || !end || *end || n < 1 || n > c->nsets[k])
		return tl_fmt_bad(err, f->origin, v, "a column set \"min\" is a count from 1 to the set's columns%s", NULL);
	c->min[k] = n;
	return 0;
}

static int load_colset_min(struct tl_format *f, struct tl_colset *c, const struct tl_json *sets, const struct tl_json *mj,
			   struct tl_err *err)
{
	if (mj->type == TL_JSON_NUMBER) {
		for (size_t k = 0; k < c->n; k++)
			if (set_min(f, c, k, mj, err))
				return -1;
		return 0;
	}
	if (mj->type != TL_JSON_OBJECT)
		return tl_fmt_bad(err, f->origin, mj, "a column set \"min\" is a count or an object: set -> count%s", NULL);
	for (size_t m = 0; m < mj->n; m++) {
		size_t k = 0;
		while (k < sets->n && strcmp(sets->keys[k], mj->keys[m]))
			k++;
		if (k == sets->n)
			return tl_fmt_bad(err, f->origin, mj->kids[m], "\"min\" names \"%s\", which is not a set of this stage",
					  mj->keys[m]);
		if (set_min(f, c, k, mj->kids[m], err))
			return -1;
	}
	return 0;
}

int tl_fmt_load_colsets(struct tl_format *f, const struct tl_json *parse, struct tl_err *err)
{
	const struct tl_json *ex = tl_json_get(parse, "extra_columns"), *cs = tl_json_get(parse, "column_sets");
	if (ex && (ex->type != TL_JSON_STRING || (strcmp(ex->str, "keep") && strcmp(ex->str, "reject"))))
		return tl_fmt_bad(err, f->origin, ex, "\"extra_columns\" is \"keep\" or \"reject\"%s", NULL);
	f->keep_extra_columns = ex && !strcmp(ex->str, "keep");
	if (!cs)
		return 0;
	if (cs->type != TL_JSON_ARRAY || !cs->n)
		return tl_fmt_bad(err, f->origin, cs, "\"column_sets\" is an array of {\"by\", \"sets\"}%s", NULL);
	if (f->header != TL_HDR_NONE)
		return tl_fmt_bad(err, f->origin, cs, "\"column_sets\" go with \"header\": \"none\"%s", NULL);
	if (!(f->colsets = calloc(cs->n, sizeof(*f->colsets))))
		return tl_errf(err, "out of memory");
	for (size_t i = 0; i < cs->n; i++) {
		const struct tl_json *st = cs->kids[i], *sets = tl_json_get(st, "sets"), *dj = tl_json_get(st, "default"),
				     *mj = tl_json_get(st, "min");
		struct tl_colset *c = &f->colsets[f->ncolsets++];
		c->dflt = -1;
		if (st->type != TL_JSON_OBJECT)
			return tl_fmt_bad(err, f->origin, st, "a column set stage must be an object%s", NULL);
		if (tl_fmt_check_keys(f->origin, st, "column set", "by sets default min", err) ||
		    str_key(f->origin, st, "by", 1, &c->by, err))
			return -1;
		if (!sets || sets->type != TL_JSON_OBJECT || !sets->n)
			return tl_fmt_bad(err, f->origin, sets ? sets : st, "a column set stage needs \"sets\": value -> columns%s",
					  NULL);
		size_t n = sets->n + (dj ? 1 : 0);
		c->sets = calloc(n, sizeof(*c->sets));
		c->nsets = calloc(n, sizeof(*c->nsets));
		c->min = calloc(n, sizeof(*c->min));
		if (!c->sets || !c->nsets || !c->min)
			return tl_errf(err, "out of memory");
		for (size_t k = 0; k < n; k++) {
			const struct tl_json *cols = k < sets->n ? sets->kids[k] : dj;
			c->n++; /* counted first: a half-read set is freed with the rest */
			if (tl_fmt_get_strs(f->origin, cols, &c->sets[k], &c->nsets[k], err))
				return -1;
			if (k < sets->n && put_keys(f->origin, cols, &c->map, sets->keys[k], (int)k, err))
				return -1;
		}
		if (dj)
			c->dflt = (int)sets->n;
		if (mj && load_colset_min(f, c, sets, mj, err))
			return -1;
		/* the selector must be a column known before this stage, or the stage never applies */
		int known = 0;
		for (size_t k = 0; k < f->ncols && !known; k++)
			known = !strcmp(f->cols[k], c->by);
		for (size_t s = 0; s < i && !known; s++)
			for (size_t k = 0; k < f->colsets[s].n && !known; k++)
				for (size_t j = 0; j < f->colsets[s].nsets[k] && !known; j++)
					known = !strcmp(f->colsets[s].sets[k][j], c->by);
		if (!known)
			return tl_fmt_bad(err, f->origin, tl_json_get(st, "by"),
					  "column set selector \"%s\" is not a column of an earlier stage", c->by);
	}
	return 0;
}

/* "rename": { "FROM": "TO" | {"to": "TO", "case": "upper-first"}, ... }: a FROM
 * ending in '.' is a prefix (the rest of the name follows TO), else a whole
 * name. The first rule that applies, in the order written, renames. */
static int load_rename(struct tl_format *f, const struct tl_json *root, struct tl_err *err)
{
	const struct tl_json *r = tl_json_get(root, "rename");
	if (!r)
		return 0;
	if (r->type != TL_JSON_OBJECT || !r->n || r->n > 256)
		return tl_fmt_bad(err, f->origin, r, "\"rename\" must be an object of 1 to 256 names%s", NULL);
	f->rename_from = calloc(r->n, sizeof(char *));
	f->rename_to = calloc(r->n, sizeof(char *));
	f->rename_upper = calloc(r->n, 1);
	if (!f->rename_from || !f->rename_to || !f->rename_upper)
		return tl_errf(err, "out of memory");
	for (size_t i = 0; i < r->n; i++) {
		const struct tl_json *v = r->kids[i], *to = v;
		if (!r->keys[i][0] || strpbrk(r->keys[i], "[|{"))
			return tl_fmt_bad(err, f->origin, v, "\"rename\" keys are field names or prefixes ending in '.'%s",
					  NULL);
		if (v->type == TL_JSON_OBJECT) {
			if (tl_fmt_check_keys(f->origin, v, "rename", "to case", err))
				return -1;
			const struct tl_json *c = tl_json_get(v, "case");
			to = tl_json_get(v, "to");
			if (c && (c->type != TL_JSON_STRING || strcmp(c->str, "upper-first")))
				return tl_fmt_bad(err, f->origin, c, "\"case\" is \"upper-first\"%s", NULL);
			f->rename_upper[i] = c != NULL;
		}
		if (!to || to->type != TL_JSON_STRING || strpbrk(to->str, "[|{"))
			return tl_fmt_bad(err, f->origin, v, "a rename gives a name (string) or {\"to\": NAME}%s", NULL);
		size_t kl = strlen(r->keys[i]);
		if (r->keys[i][kl - 1] != '.' && !to->len)
			return tl_fmt_bad(err, f->origin, v, "a whole name cannot be renamed to nothing%s", NULL);
		f->rename_from[i] = dup_n(r->keys[i], kl);
		f->rename_to[i] = dup_n(to->str, to->len);
		f->nrename = i + 1;
		if (!f->rename_from[i] || !f->rename_to[i])
			return tl_errf(err, "out of memory");
	}
	return 0;
}

/* "name_value": [{"field": F, "name": N, "value": V, "prefix": P}]: F holds a
 * JSON array of objects; each element's V becomes the field P + its N. */
static int load_name_value(struct tl_format *f, const struct tl_json *root, struct tl_err *err)
{
	const struct tl_json *a = tl_json_get(root, "name_value");
	if (!a)
		return 0;
	if (a->type != TL_JSON_ARRAY || !a->n || a->n > 16)
		return tl_fmt_bad(err, f->origin, a, "\"name_value\" must be an array of 1 to 16 objects%s", NULL);
	f->nv_field = calloc(a->n, sizeof(char *));
	f->nv_name = calloc(a->n, sizeof(char *));
	f->nv_value = calloc(a->n, sizeof(char *));
	f->nv_prefix = calloc(a->n, sizeof(char *));
	if (!f->nv_field || !f->nv_name || !f->nv_value || !f->nv_prefix)
		return tl_errf(err, "out of memory");
	for (size_t i = 0; i < a->n; i++) {
		const struct tl_json *o = a->kids[i];
		f->nnv = i + 1;
		if (o->type != TL_JSON_OBJECT)
			return tl_fmt_bad(err, f->origin, o, "a \"name_value\" entry is an object%s", NULL);
		if (tl_fmt_check_keys(f->origin, o, "name_value", "field name value prefix", err) ||
		    str_key(f->origin, o, "field", 1, &f->nv_field[i], err) ||
		    str_key(f->origin, o, "name", 1, &f->nv_name[i], err) ||
		    str_key(f->origin, o, "value", 1, &f->nv_value[i], err))
			return -1;
		const struct tl_json *pf = tl_json_get(o, "prefix");
		if (pf && pf->type != TL_JSON_STRING)
			return tl_fmt_bad(err, f->origin, pf, "\"prefix\" must be a string%s", NULL);
		f->nv_prefix[i] = pf ? dup_n(pf->str, pf->len) : dup_n("", 0);
		if (!f->nv_prefix[i])
			return tl_errf(err, "out of memory");
	}
	return 0;
}

/* "split": {"field": F, "prefix": P, "pair_separator": ",", "kv_separator": "="};
 * separators are 1 to 8 characters (OSSEC separates pairs by two spaces). */
static int load_split(struct tl_format *f, const struct tl_json *root, struct tl_err *err)
{
	const struct tl_json *o = tl_json_get(root, "split");
	if (!o)
		return 0;
	if (o->type != TL_JSON_OBJECT)
		return tl_fmt_bad(err, f->origin, o, "\"split\" must be an object%s", NULL);
	if (tl_fmt_check_keys(f->origin, o, "split", "field prefix pair_separator kv_separator", err) ||
	    str_key(f->origin, o, "field", 1, &f->split_field, err))
		return -1;
	const struct tl_json *pf = tl_json_get(o, "prefix"), *ps = tl_json_get(o, "pair_separator"),
			     *ks = tl_json_get(o, "kv_separator");
	if ((pf && pf->type != TL_JSON_STRING) || (ps && (ps->type != TL_JSON_STRING || !ps->len || ps->len > 8)) ||
	    (ks && (ks->type != TL_JSON_STRING || !ks->len || ks->len > 8)))
		return tl_fmt_bad(err, f->origin, o,
				  "\"split\": prefix is a string, the separators 1 to 8 characters%s", NULL);
	f->split_prefix = pf ? dup_n(pf->str, pf->len) : dup_n("", 0);
	f->split_pair = ps ? dup_n(ps->str, ps->len) : dup_n(",", 1);
	f->split_kv = ks ? dup_n(ks->str, ks->len) : dup_n("=", 1);
	if (!f->split_prefix || !f->split_pair || !f->split_kv)
		return tl_errf(err, "out of memory");
	if (!strcmp(f->split_pair, f->split_kv))
		return tl_fmt_bad(err, f->origin, o, "\"split\": the two separators must differ%s", NULL);
	return 0;
}

int tl_fmt_load_ext(struct tl_format *f, const struct tl_json *root, struct tl_err *err)
{
	if (load_envelope(f, root, err) || load_dispatch(f, root, err) || load_claims(f, root, err) ||
	    load_cases(f, root, err) || load_rename(f, root, err) || load_name_value(f, root, err) ||
	    str_key(f->origin, root, "embedded_xml", 0, &f->embedded_xml, err) || load_split(f, root, err))
		return -1;
	if (f->dispatch && f->nclaims)
		return tl_fmt_bad(err, f->origin, tl_json_get(root, "claims"),
				  "a dispatcher cannot itself be a dispatch target%s", NULL);
	return 0;
}

static void free_dispatch_links(struct tl_dispatch *d)
{
	tl_keymap_release(&d->map);
	free(d->targets);
	d->targets = NULL;
	d->ntargets = 0;
	d->dflt_slot = -1;
}

void tl_fmt_free_ext(struct tl_format *f)
{
	tl_fmt_free_strs(f->rename_from, f->nrename);
	tl_fmt_free_strs(f->rename_to, f->nrename);
	free(f->rename_upper);
	tl_fmt_free_strs(f->nv_field, f->nnv);
	tl_fmt_free_strs(f->nv_name, f->nnv);
	tl_fmt_free_strs(f->nv_value, f->nnv);
	tl_fmt_free_strs(f->nv_prefix, f->nnv);
	free(f->embedded_xml);
	free(f->split_field);
	free(f->split_prefix);
	free(f->split_pair);
	free(f->split_kv);
	struct tl_dispatch *d = f->dispatch;
	if (d) {
		tl_fmt_free_strs(d->by.v, d->by.n);
		tl_fmt_free_strs(d->to_keys, d->nto);
		tl_fmt_free_strs(d->to_names, d->nto);
		free(d->to_line);
		free(d->to_col);
		free(d->to_template);
		free(d->dflt);
		free_dispatch_links(d);
		free(d);
	}
	for (size_t i = 0; i < f->nclaims; i++) {
		free(f->claims[i].dispatcher);
		tl_fmt_free_strs(f->claims[i].values, f->claims[i].nvalues);
	}
	free(f->claims);
	if (f->cases) {
		for (size_t i = 0; i < f->cases->n; i++)
			tl_format_free(f->cases->v[i]);
		free(f->cases->v);
		free(f->cases->by);
		free(f->cases->on);
		tl_keymap_release(&f->cases->map);
		free(f->cases);
	}
	for (size_t i = 0; i < f->ncolsets; i++) {
		struct tl_colset *c = &f->colsets[i];
		for (size_t k = 0; k < c->n; k++)
			tl_fmt_free_strs(c->sets[k], c->nsets[k]);
		free(c->sets);
		free(c->nsets);
		free(c->min);
		free(c->by);
		tl_keymap_release(&c->map);
	}
	free(f->colsets);
}

/* Slot of target T in D, added if new. */
static int target_slot(struct tl_dispatch *d, const struct tl_format *t)
{
	for (size_t i = 0; i < d->ntargets; i++)
		if (d->targets[i] == t)
			return (int)i;
	const struct tl_format **v = realloc(d->targets, (d->ntargets + 1) * sizeof(*v));
	if (!v)
		return -1;
	d->targets = v;
	v[d->ntargets] = t;
	return (int)d->ntargets++;
}

static int link_target(const char *origin, unsigned line, unsigned col, struct tl_dispatch *d, const char *value,
		       const struct tl_format *t, struct tl_err *err)
{
	if (t->dispatch)
		return tl_errf(err, "%s:%u:%u: \"%s\" is a dispatcher and cannot be a dispatch target", origin, line, col,
			       t->name);
	int slot = target_slot(d, t);
	if (slot < 0)
		return tl_errf(err, "out of memory");
	if (!value) {
		d->dflt_slot = slot;
		return 0;
	}
	int rc = tl_keymap_put(&d->map, value, slot);
	if (rc < 0)
		return tl_errf(err, "out of memory");
	if (rc == 1 && d->targets[tl_keymap_get(&d->map, value, strlen(value))] != t)
		return tl_errf(err, "%s:%u:%u: value \"%s\" is claimed by two definitions (\"%s\" and \"%s\")", origin, line,
			       col, value, d->targets[tl_keymap_get(&d->map, value, strlen(value))]->name, t->name);
	return 0;
}

int tl_formats_link(struct tl_formats *fs, struct tl_err *err)
{
	for (size_t i = 0; i < fs->n; i++)
		if (fs->v[i]->dispatch)
			free_dispatch_links(fs->v[i]->dispatch);
	/* claims first: a definition that claims a value is the one that asked for it,
	 * so it wins over a dispatcher's template; two claims for one value are an error */
	for (size_t i = 0; i < fs->n; i++) {
		struct tl_format *f = fs->v[i];
		for (size_t c = 0; c < f->nclaims; c++) {
			struct tl_claim *cl = &f->claims[c];
			struct tl_format *d = NULL;
			for (size_t k = 0; k < fs->n && !d; k++)
				if (!strcmp(fs->v[k]->name, cl->dispatcher))
					d = fs->v[k];
			if (!d || !d->dispatch)
				return tl_errf(err, "%s:%u:%u: claims name \"%s\", which is not a loaded dispatcher", f->origin,
					       cl->line, cl->col, cl->dispatcher);
			for (size_t v = 0; v < cl->nvalues; v++)
				if (link_target(f->origin, cl->line, cl->col, d->dispatch, cl->values[v], f, err))
					return -1;
		}
	}
	for (size_t i = 0; i < fs->n; i++) {
		struct tl_format *f = fs->v[i];
		struct tl_dispatch *d = f->dispatch;
		if (!d)
			continue;
		for (size_t k = 0; k < d->nto; k++) {
			const struct tl_format *t = tl_formats_find(fs, d->to_names[k]);
			if (!t)
				return tl_errf(err, "%s:%u:%u: dispatch target \"%s\" is not a loaded definition", f->origin,
					       d->to_line[k], d->to_col[k], d->to_names[k]);
			if (tl_keymap_get(&d->map, d->to_keys[k], strlen(d->to_keys[k])) < 0 &&
			    link_target(f->origin, d->to_line[k], d->to_col[k], d, d->to_keys[k], t, err))
				return -1;
		}
		if (d->to_template) {
			const char *b = strstr(d->to_template, "{}");
			size_t pl = (size_t)(b - d->to_template), sl = strlen(b + 2);
			for (size_t k = 0; k < fs->n; k++) {
				const char *nm = fs->v[k]->name;
				size_t nl = strlen(nm);
				if (nl <= pl + sl || strncmp(nm, d->to_template, pl) || strcmp(nm + nl - sl, b + 2) ||
				    fs->v[k]->dispatch)
					continue;
				/* names use '-' where the values (Zeek's dce_rpc) use '_': both spellings map */
				char *v = dup_n(nm + pl, nl - pl - sl);
				int rc = v ? 0 : tl_errf(err, "out of memory");
				for (int pass = 0; pass < 2 && !rc; pass++) {
					if (pass)
						for (char *c = v; *c; c++)
							*c = *c == '-' ? '_' : *c;
					if (tl_keymap_get(&d->map, v, strlen(v)) < 0)
						rc = link_target(f->origin, d->line, d->col, d, v, fs->v[k], err);
				}
				free(v);
				if (rc)
					return -1;
			}
		}
		if (d->dflt) {
			const struct tl_format *t = tl_formats_find(fs, d->dflt);
			if (!t)
				return tl_errf(err, "%s:%u:%u: dispatch default \"%s\" is not a loaded definition", f->origin,
					       d->line, d->col, d->dflt);
			if (link_target(f->origin, d->line, d->col, d, NULL, t, err))
				return -1;
		}
		/* what a file read through a dispatcher gives depends on its targets too:
		 * the hash ingest records for the file covers them (in name order) */
		struct tl_buf b = TL_BUF_INIT;
		tl_buf_adds(&b, f->own_sha256);
		for (size_t k = 0; k < fs->n; k++)
			for (size_t t = 0; t < d->ntargets; t++)
				if (d->targets[t] == fs->v[k])
					tl_buf_addf(&b, "\n%s %s", fs->v[k]->name, fs->v[k]->sha256);
		tl_sha256_hex(b.data ? b.data : "", b.len, f->sha256);
		tl_buf_release(&b);
	}
	return 0;
}

/* ---- extends: a definition written as changes to another ---- */

#define EXTENDS_DEPTH 8

/* Text of the definition named NAME: a loaded one, else one of the pool's
 * not-yet-loaded texts (a case folder's definitions may extend each other in
 * any file order). */
static int pool_find(const struct tl_def_pool *pool, const char *name, const char **text, size_t *len,
		     const char **origin)
{
	if (!pool)
		return -1;
	const struct tl_format *f = pool->loaded ? tl_formats_find(pool->loaded, name) : NULL;
	if (f && f->text) {
		*text = f->text, *len = f->text_len, *origin = f->origin;
		return 0;
	}
	for (size_t i = 0; i < pool->n; i++) {
		struct tl_err e;
		struct tl_json *j = tl_json_parse(pool->origins[i], pool->texts[i], pool->lens[i], &e);
		const struct tl_json *nm = j ? tl_json_get(j, "name") : NULL;
		int hit = nm && nm->type == TL_JSON_STRING && !strcmp(nm->str, name);
		tl_json_free(j);
		if (hit) {
			*text = pool->texts[i], *len = pool->lens[i], *origin = pool->origins[i];
			return 0;
		}
	}
	return -1;
}

/* Put KEY -> V into OBJ (replacing a member of that name); takes KEY and V. */
static int obj_put(struct tl_json *obj, char *key, struct tl_json *v)
{
	for (size_t i = 0; i < obj->n; i++)
		if (!strcmp(obj->keys[i], key)) {
			tl_json_free(obj->kids[i]);
			free(key);
			obj->kids[i] = v;
			return 0;
		}
	char **k = realloc(obj->keys, (obj->n + 1) * sizeof(*k));
	if (k)
		obj->keys = k;
	struct tl_json **kd = k ? realloc(obj->kids, (obj->n + 1) * sizeof(*kd)) : NULL;
	if (!kd) {
		free(key);
		tl_json_free(v);
		return -1;
	}
	obj->kids = kd;
	obj->keys[obj->n] = key;
	obj->kids[obj->n++] = v;
	return 0;
}

/* BASE with CHILD's members applied: "fields" and "maps" merge entry by entry,
 * every other member replaces the base's, "claims" only comes from CHILD.
 * Consumes CHILD. */
static int merge(struct tl_json *base, struct tl_json *child)
{
	int rc = 0;
	/* claims are not inherited: a variant must not take over its base's records;
	 * nor is dispatch: a variant of a dispatcher is what it dispatches to (a
	 * vendor's CEF mapping written as changes to the generic cef) */
	for (size_t i = 0; i < base->n;)
		if (!strcmp(base->keys[i], "claims") || !strcmp(base->keys[i], "dispatch")) {
			tl_json_free(base->kids[i]);
			free(base->keys[i]);
			memmove(base->kids + i, base->kids + i + 1, (base->n - i - 1) * sizeof(*base->kids));
			memmove(base->keys + i, base->keys + i + 1, (base->n - i - 1) * sizeof(*base->keys));
			base->n--;
		} else {
			i++;
		}
	for (size_t i = 0; i < child->n && !rc; i++) {
		char *k = child->keys[i];
		struct tl_json *v = child->kids[i];
		if (!strcmp(k, "extends"))
			continue;
		child->keys[i] = NULL;
		child->kids[i] = NULL;
		struct tl_json *b = (struct tl_json *)tl_json_get(base, k);
		if ((!strcmp(k, "fields") || !strcmp(k, "maps")) && b && b->type == TL_JSON_OBJECT &&
		    v->type == TL_JSON_OBJECT) {
			for (size_t m = 0; m < v->n && !rc; m++) {
				rc = obj_put(b, v->keys[m], v->kids[m]);
				v->keys[m] = NULL;
				v->kids[m] = NULL;
			}
			free(k);
			tl_json_free(v);
		} else {
			rc = obj_put(base, k, v);
		}
	}
	tl_json_free(child);
	return rc;
}

struct tl_json *tl_fmt_apply_extends(const char *origin, struct tl_json *root, const struct tl_def_pool *pool,
				     struct tl_buf *chain_text, struct tl_err *err)
{
	const char *chain[EXTENDS_DEPTH + 1];
	size_t depth = 0;
	const struct tl_json *nm = tl_json_get(root, "name");
	chain[depth++] = nm && nm->type == TL_JSON_STRING ? nm->str : "";
	struct tl_json *cur = root;
	const char *cur_origin = origin;
	/* walk up the chain, keeping each level's tree; merge top-down at the end */
	struct tl_json *levels[EXTENDS_DEPTH + 1];
	size_t nlev = 0;
	levels[nlev++] = root;
	for (;;) {
		const struct tl_json *ext = tl_json_get(cur, "extends");
		if (!ext)
			break;
		if (ext->type != TL_JSON_STRING || !ext->len) {
			tl_fmt_bad(err, cur_origin, ext, "\"extends\" names a definition%s", NULL);
			goto fail;
		}
		for (size_t i = 0; i < depth; i++)
			if (!strcmp(chain[i], ext->str)) {
				struct tl_buf m = TL_BUF_INIT;
				for (size_t k = 0; k < depth; k++)
					tl_buf_addf(&m, "%s -> ", chain[k]);
				tl_buf_adds(&m, ext->str);
				tl_errf(err, "%s:%u:%u: \"extends\" makes a cycle: %s", cur_origin, ext->line, ext->col,
					m.data ? m.data : "");
				tl_buf_release(&m);
				goto fail;
			}
		if (depth >= EXTENDS_DEPTH) {
			tl_fmt_bad(err, cur_origin, ext, "\"extends\" chains more than 8 definitions%s", NULL);
			goto fail;
		}
		const char *text, *borigin;
		size_t len;
		if (pool_find(pool, ext->str, &text, &len, &borigin)) {
			tl_fmt_bad(err, cur_origin, ext, "\"extends\" names \"%s\", which is not a known definition", ext->str);
			goto fail;
		}
		struct tl_json *b = tl_json_parse(borigin, text, len, err);
		if (!b)
			goto fail;
		if (chain_text) {
			tl_buf_addc(chain_text, 0);
			tl_buf_add(chain_text, text, len);
		}
		chain[depth++] = ext->str;
		levels[nlev++] = b;
		cur = b;
		cur_origin = borigin;
	}
	/* levels[nlev-1] is the root of the chain: apply each extending level in turn */
	while (nlev > 1) {
		struct tl_json *child = levels[nlev - 2];
		if (merge(levels[nlev - 1], child)) {
			levels[nlev - 2] = NULL;
			tl_errf(err, "out of memory");
			goto fail;
		}
		levels[nlev - 2] = levels[nlev - 1];
		nlev--;
	}
	return levels[0];
fail:
	for (size_t i = 0; i < nlev; i++)
		tl_json_free(levels[i]);
	return NULL;
}
