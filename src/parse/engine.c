/*
 * The declarative format engine: parses one record with a loaded definition
 * into named fields, then maps those onto the normalized event. Everything a
 * record yields that no normalized field takes goes to `extra`.
 *
 * Hot path: per record, fields live in the state's arena (reset each record)
 * and names are found through a small hash index, so the cost is linear in
 * the record size.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "format-internal.h"
#include "tl/entity.h"
#include "tl/grow.h"
#include "tl/json.h"
#include "tl/banned.h"

#define MATCH_LIMIT 10000000u
#define DEPTH_LIMIT 100000u

static struct tl_parse *engine_new(const struct tl_format *f, struct tl_time_ctx *tctx, struct tl_err *err)
{
	struct tl_parse *p = calloc(1, sizeof(*p));
	if (!p) {
		tl_errf(err, "out of memory");
		return NULL;
	}
	p->f = f;
	p->tctx = tctx;
	p->sep = f->sep;
	p->md = pcre2_match_data_create(64, NULL);
	p->mctx = pcre2_match_context_create(NULL);
	p->jit = pcre2_jit_stack_create(32 * 1024, 4 * 1024 * 1024, NULL);
	if (!p->md || !p->mctx) {
		tl_errf(err, "out of memory");
		tl_parse_free(p);
		return NULL;
	}
	/* hostile patterns or input must end in a reject, never a hang */
	pcre2_set_match_limit(p->mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(p->mctx, DEPTH_LIMIT);
	if (p->jit)
		pcre2_jit_stack_assign(p->mctx, NULL, p->jit);
	if (f->ncols) {
		p->cols = f->cols;
		p->ncols = f->ncols;
	}
	return p;
}

static void free_cols(struct tl_parse *p)
{
	if (p->cols && p->cols != p->f->cols) {
		for (size_t i = 0; i < p->ncols; i++)
			free(p->cols[i]);
		free(p->cols);
	}
	p->cols = NULL;
	p->ncols = 0;
}

static void engine_free(struct tl_parse *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nkids; i++)
		tl_parse_free(p->kids[i]);
	free(p->kids);
	free(p->vals);
	free_cols(p);
	free(p->unset);
	free(p->empty);
	free(p->numeric);
	pcre2_match_data_free(p->md);
	pcre2_match_context_free(p->mctx);
	pcre2_jit_stack_free(p->jit);
	tl_arena_release(&p->arena);
	free(p->fields);
	free(p->index);
	free(p->extra);
	tl_buf_release(&p->path);
	tl_buf_release(&p->tmp);
	free(p);
}

/* Whether S (LEN bytes) is the C string N: the first byte decides most
 * (this runs for every field of every record), strlen only after. */
static int same_str(const char *n, const char *s, size_t len)
{
	return n[0] == (len ? s[0] : 0) && strlen(n) == len && !memcmp(n, s, len);
}

static int is_null(const struct tl_parse *p, const char *s, size_t len)
{
	for (size_t i = 0; i < p->f->nnulls; i++)
		if (same_str(p->f->nulls[i], s, len))
			return 1;
	if (p->unset && same_str(p->unset, s, len))
		return 1;
	if (p->empty && same_str(p->empty, s, len))
		return 1;
	return 0;
}

static int add_field(struct tl_parse *p, const char *name, const char *s, size_t len, enum tl_val_kind kind)
{
	if (kind == TL_V_STR && is_null(p, s, len))
		return 0;
	/* per field of every record: the test keeps the common path as cheap as it was */
	if (p->nf == p->capf) {
		/* the capacity doubles while it stays within 100000 fields */
		struct tl_field *v =
			p->capf * 2 > 100000 ? NULL : tl_grow(p->fields, &p->capf, p->nf + 1, sizeof(*v), 64);
		if (!v)
			return -1;
		p->fields = v;
	}
	struct tl_field *f = &p->fields[p->nf++];
	f->name = name;
	f->v.s = s;
	f->v.len = len;
	f->kind = kind;
	f->used = 0;
	return 0;
}

static uint32_t hash_name(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static int build_index(struct tl_parse *p)
{
	size_t cap = 64;
	while (cap < p->nf * 2)
		cap *= 2;
	if (cap > p->index_cap) {
		int32_t *v = realloc(p->index, cap * sizeof(*v));
		if (!v)
			return -1;
		p->index = v;
		p->index_cap = cap;
	}
	memset(p->index, 0xff, p->index_cap * sizeof(*p->index));
	unsigned *next = NULL; /* per first occurrence: the next #N to try, so a name repeated n times costs O(n) */
	for (size_t i = 0; i < p->nf; i++) {
		/* A repeated name (k=1 k=2, a JSON object with a key twice, an embedded
		 * key equal to an outer one) must not reach `extra` twice, where two JSON
		 * readers would keep different values: the first occurrence keeps the
		 * name, the Nth becomes "name#N" (the first such name that is free). */
		const char *base = p->fields[i].name;
		uint32_t h = hash_name(base, strlen(base)) & (p->index_cap - 1);
		while (p->index[h] >= 0 && strcmp(p->fields[p->index[h]].name, base))
			h = (h + 1) & (p->index_cap - 1);
		if (p->index[h] < 0) {
			p->index[h] = (int32_t)i;
			continue;
		}
		size_t owner = (size_t)p->index[h];
		if (!next) {
			if (!(next = tl_arena_alloc(&p->arena, p->nf * sizeof(*next))))
				return -1;
			memset(next, 0, p->nf * sizeof(*next));
		}
		size_t blen = strlen(base) + 12;
		char *alt = tl_arena_alloc(&p->arena, blen);
		if (!alt)
			return -1;
		for (unsigned dup = next[owner] > 2 ? next[owner] : 2;; dup++) {
			snprintf(alt, blen, "%s#%u", base, dup);
			uint32_t k = hash_name(alt, strlen(alt)) & (p->index_cap - 1);
			while (p->index[k] >= 0 && strcmp(p->fields[p->index[k]].name, alt))
				k = (k + 1) & (p->index_cap - 1);
			if (p->index[k] < 0) {
				p->index[k] = (int32_t)i;
				p->fields[i].name = alt;
				next[owner] = dup + 1;
				break;
			}
		}
	}
	return 0;
}

static struct tl_field *find(struct tl_parse *p, const char *name, size_t len)
{
	uint32_t h = hash_name(name, len) & (p->index_cap - 1);
	while (p->index[h] >= 0) {
		struct tl_field *f = &p->fields[p->index[h]];
		if (!strncmp(f->name, name, len) && f->name[len] == 0)
			return f;
		h = (h + 1) & (p->index_cap - 1);
	}
	return NULL;
}

/* Value of a present, non-empty, non-null field. Array selections and
 * transforms ("target[?type=User].alternateId", "proctitle|hex") are ref.c's. */
static struct tl_field *find_value(struct tl_parse *p, const char *name, size_t len)
{
	struct tl_field *f = tl_ref_complex(name, len) ? tl_ref_resolve(p, name, len) : find(p, name, len);
	return f && f->v.len && f->kind != TL_V_NULL ? f : NULL;
}

int tl_parse_add(struct tl_parse *p, const char *name, const char *s, size_t len, enum tl_val_kind kind)
{
	return add_field(p, name, s, len, kind);
}

struct tl_field *tl_parse_find(struct tl_parse *p, const char *name, size_t len)
{
	return find(p, name, len);
}


/* Resolve one alternative: field name, "=constant" or "{a}{b}" template. A
 * template is a rendering (a message), so it leaves its fields for `extra`
 * unless CONSUME says the parts now live elsewhere (the timestamp). */
static int resolve(struct tl_parse *p, const char *alt, struct tl_val *out, int consume)
{
	if (alt[0] == '=') {
		out->s = alt + 1;
		out->len = strlen(alt + 1);
		return 1;
	}
	if (!strchr(alt, '{')) {
		struct tl_field *f = find_value(p, alt, strlen(alt));
		if (!f)
			return 0;
		f->used = 1; /* a reference's copy (ref.c) takes nothing: its source stays in extra */
		*out = f->v;
		return 1;
	}
	tl_buf_reset(&p->tmp);
	struct tl_field *used[32];
	size_t nused = 0;
	for (const char *c = alt; *c;) {
		if (*c == '{') {
			const char *e = strchr(c, '}');
			if (!e)
				return 0;
			struct tl_field *f = find_value(p, c + 1, (size_t)(e - c - 1));
			if (!f)
				return 0;
			if (nused < 32)
				used[nused++] = f;
			tl_buf_add(&p->tmp, f->v.s, f->v.len);
			c = e + 1;
		} else {
			tl_buf_addc(&p->tmp, *c++);
		}
	}
	for (size_t i = 0; consume && i < nused; i++)
		used[i]->used = 1;
	out->s = tl_arena_strndup(&p->arena, p->tmp.data ? p->tmp.data : "", p->tmp.len);
	out->len = p->tmp.len;
	return out->s != NULL;
}

static int resolve_alts(struct tl_parse *p, const struct tl_alts *a, struct tl_val *out, int consume)
{
	for (size_t i = 0; i < a->n; i++)
		if (resolve(p, a->v[i], out, consume))
			return 1;
	return 0;
}

/* ---- parse methods: each fills p->fields from the record text ---- */

static enum tl_parse_status match_limit_reason(int rc, struct tl_err *err)
{
	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT)
		tl_errf(err, "pattern match limit exceeded (regex too costly for this record)");
	else
		tl_errf(err, "pattern match failed (pcre2 error %d)", rc);
	return TL_PARSE_REJECT;
}

/* Named groups of a successful match become fields. */
static int add_groups(struct tl_parse *p, const pcre2_code *re, const char *text, int rc)
{
	uint32_t count, size;
	PCRE2_SPTR table;
	pcre2_pattern_info(re, PCRE2_INFO_NAMECOUNT, &count);
	pcre2_pattern_info(re, PCRE2_INFO_NAMEENTRYSIZE, &size);
	pcre2_pattern_info(re, PCRE2_INFO_NAMETABLE, &table);
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(p->md);
	for (uint32_t k = 0; k < count; k++) {
		PCRE2_SPTR e = table + k * size;
		unsigned g = (unsigned)(e[0] << 8 | e[1]);
		if (g >= (unsigned)rc || ov[2 * g] == PCRE2_UNSET)
			continue;
		if (add_field(p, (const char *)e + 2, text + ov[2 * g], ov[2 * g + 1] - ov[2 * g], TL_V_STR))
			return -1;
	}
	return 0;
}

/* Delimited and key=value records may sit behind a header (syslog, CEF):
 * "prefix" is a regex whose named groups become fields; the body starts where it ends. */
static enum tl_parse_status match_prefix(struct tl_parse *p, const char *text, size_t len, size_t *body,
					 struct tl_err *err)
{
	*body = 0;
	if (!p->f->prefix)
		return TL_PARSE_EVENT;
	int rc = pcre2_match(p->f->prefix, (PCRE2_SPTR)text, len, 0, 0, p->md, p->mctx);
	if (rc < 0) {
		if (rc != PCRE2_ERROR_NOMATCH)
			return match_limit_reason(rc, err);
		tl_errf(err, "record does not match the prefix pattern of %s", p->f->name);
		return TL_PARSE_REJECT;
	}
	if (add_groups(p, p->f->prefix, text, rc)) {
		tl_errf(err, "too many fields");
		return TL_PARSE_REJECT;
	}
	*body = pcre2_get_ovector_pointer(p->md)[1];
	return TL_PARSE_EVENT;
}

static enum tl_parse_status parse_regex(struct tl_parse *p, const char *text, size_t len, struct tl_err *err)
{
	const struct tl_format *f = p->f;
	for (size_t i = 0; i < f->npats; i++) {
		int rc = pcre2_match(f->pats[i], (PCRE2_SPTR)text, len, 0, 0, p->md, p->mctx);
		if (rc == PCRE2_ERROR_NOMATCH)
			continue;
		if (rc < 0)
			return match_limit_reason(rc, err);
		if (add_groups(p, f->pats[i], text, rc)) {
			tl_errf(err, "too many fields");
			return TL_PARSE_REJECT;
		}
		return TL_PARSE_EVENT;
	}
	tl_errf(err, "record does not match any pattern of %s", f->name);
	return TL_PARSE_REJECT;
}

/* Split TEXT on SEP honouring QUOTE ("" inside quotes is a quote); values that
 * needed unquoting are copied into the arena. Calls back per value. */
static int split(struct tl_parse *p, const char *text, size_t len, char sep, char quote,
		 int (*cb)(struct tl_parse *, size_t, const char *, size_t), int collapse)
{
	size_t i = 0, n = 0;
	for (;;) {
		if (collapse)
			while (i < len && text[i] == sep)
				i++;
		if (collapse && i >= len)
			break;
		const char *v = text + i;
		size_t vl;
		if (quote && i < len && (text[i] == quote || (p->f->quote2 && text[i] == p->f->quote2))) {
			char q = text[i];
			tl_buf_reset(&p->tmp);
			i++;
			while (i < len) {
				if (text[i] == q) {
					if (i + 1 < len && text[i + 1] == q) {
						tl_buf_addc(&p->tmp, q);
						i += 2;
						continue;
					}
					i++;
					break;
				}
				tl_buf_addc(&p->tmp, text[i++]);
			}
			vl = p->tmp.len;
			v = tl_arena_strndup(&p->arena, p->tmp.data ? p->tmp.data : "", vl);
			if (!v)
				return -1;
			while (i < len && text[i] != sep)
				i++;
		} else {
			const char *e = memchr(text + i, sep, len - i);
			vl = e ? (size_t)(e - v) : len - i;
			i += vl;
		}
		if (cb(p, n++, v, vl))
			return -1;
		if (i >= len)
			break;
		i++; /* the separator */
		if (!collapse && i == len) {
			if (cb(p, n++, text + len, 0))
				return -1;
			break;
		}
	}
	return (int)n;
}

static int count_cb(struct tl_parse *p, size_t i, const char *v, size_t l)
{
	(void)p, (void)i, (void)v, (void)l;
	return 0;
}

static int is_number(const char *v, size_t l)
{
	size_t i = v[0] == '-' ? 1 : 0, digits = 0, dot = 0;
	for (; i < l; i++) {
		if (v[i] == '.' && !dot && digits)
			dot = 1;
		else if (v[i] >= '0' && v[i] <= '9')
			digits++;
		else
			return 0;
	}
	return digits > 0 && v[l - 1] != '.';
}

static int value_cb(struct tl_parse *p, size_t i, const char *v, size_t l)
{
	if (i >= p->ncols)
		return -1;
	int num = i < p->nnumeric && p->numeric[i] && l && is_number(v, l);
	return add_field(p, p->cols[i], v, l, num ? TL_V_NUM : TL_V_STR);
}

static int type_cb(struct tl_parse *p, size_t i, const char *v, size_t l)
{
	static const char *const numeric[] = { "count", "int", "double", "interval", "port", "time", NULL };
	unsigned char *t = realloc(p->numeric, i + 1);
	if (!t)
		return -1;
	p->numeric = t;
	p->nnumeric = i + 1;
	t[i] = 0;
	for (const char *const *n = numeric; *n; n++)
		if (strlen(*n) == l && !memcmp(*n, v, l))
			t[i] = 1;
	return 0;
}

static int col_cb(struct tl_parse *p, size_t i, const char *v, size_t l)
{
	(void)i;
	char **c = realloc(p->cols, (p->ncols + 1) * sizeof(*c));
	if (!c)
		return -1;
	p->cols = c;
	c[p->ncols] = malloc(l + 1);
	if (!c[p->ncols])
		return -1;
	memcpy(c[p->ncols], v, l);
	c[p->ncols][l] = 0;
	p->ncols++;
	return 0;
}

/* Zeek writes "\x09" for its separator; decode \xHH escapes. */
static char *decode_escapes(const char *s, size_t len)
{
	char *o = malloc(len + 1);
	size_t n = 0;
	if (!o)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 3 < len && s[i + 1] == 'x') {
			char hx[3] = { s[i + 2], s[i + 3], 0 };
			char *end;
			long v = strtol(hx, &end, 16);
			if (end == hx + 2) {
				o[n++] = (char)v;
				i += 3;
				continue;
			}
		}
		o[n++] = s[i];
	}
	o[n] = 0;
	return o;
}

static enum tl_parse_status set_columns(struct tl_parse *p, const char *s, size_t len, char sep, int collapse,
					struct tl_err *err)
{
	free_cols(p);
	if (split(p, s, len, sep, 0, col_cb, collapse) < 0 || !p->ncols) {
		tl_errf(err, "unreadable fields header");
		return TL_PARSE_REJECT;
	}
	p->header_seen = 1;
	return TL_PARSE_META;
}

static int starts(const char *s, size_t len, const char *pfx)
{
	size_t n = strlen(pfx);
	return len >= n && !memcmp(s, pfx, n);
}

static enum tl_parse_status zeek_directive(struct tl_parse *p, const char *s, size_t len, struct tl_err *err)
{
	if (starts(s, len, "#separator ")) {
		char *v = decode_escapes(s + 11, len - 11);
		if (!v || strlen(v) != 1) {
			free(v);
			tl_errf(err, "unsupported #separator");
			return TL_PARSE_REJECT;
		}
		p->sep = v[0];
		free(v);
		return TL_PARSE_META;
	}
	const char *e = memchr(s, p->sep, len);
	size_t nl = e ? (size_t)(e - s) : len;
	const char *rest = e ? e + 1 : s + len;
	size_t rl = e ? len - nl - 1 : 0;
	if (nl == 7 && !memcmp(s, "#fields", 7)) {
		p->nnumeric = 0; /* types of the old header no longer apply */
		return set_columns(p, rest, rl, p->sep, 0, err);
	}
	if (nl == 6 && !memcmp(s, "#types", 6)) {
		p->nnumeric = 0;
		split(p, rest, rl, p->sep, 0, type_cb, 0);
		return TL_PARSE_META;
	}
	if (nl == 5 && !memcmp(s, "#path", 5)) {
		size_t n = rl < sizeof(p->zeek_path) - 1 ? rl : sizeof(p->zeek_path) - 1;
		memcpy(p->zeek_path, rest, n);
		p->zeek_path[n] = 0;
		return TL_PARSE_META;
	}
	char **slot = nl == 12 && !memcmp(s, "#unset_field", 12) ? &p->unset
		    : nl == 12 && !memcmp(s, "#empty_field", 12) ? &p->empty : NULL;
	if (slot) {
		free(*slot);
		*slot = malloc(rl + 1);
		if (*slot) {
			memcpy(*slot, rest, rl);
			(*slot)[rl] = 0;
		}
	}
	return TL_PARSE_META;
}

static int keep_cb(struct tl_parse *p, size_t i, const char *v, size_t l)
{
	if (i >= p->cap_vals) {
		/* the capacity doubles while it stays within 100000 values */
		struct tl_val *nv =
			p->cap_vals * 2 > 100000 ? NULL : tl_grow(p->vals, &p->cap_vals, i + 1, sizeof(*nv), 64);
		if (!nv)
			return -1;
		p->vals = nv;
	}
	p->vals[i].s = v;
	p->vals[i].len = l;
	return 0;
}

/* Column sets: the record's own values decide its later columns (pfSense
 * filterlog: IP version, then protocol). Values past the last named column are
 * kept as column_N (1-based) when the definition says so. */
static enum tl_parse_status split_columns(struct tl_parse *p, const char *text, size_t len, char sep, int collapse,
					  struct tl_err *err)
{
	const struct tl_format *f = p->f;
	int n = split(p, text, len, sep, f->quote, keep_cb, collapse);
	if (n < 0) {
		tl_errf(err, "out of memory splitting fields");
		return TL_PARSE_REJECT;
	}
	size_t i = 0, named = p->ncols, short_min = 0;
	for (; i < p->ncols && i < (size_t)n; i++)
		if (add_field(p, p->cols[i], p->vals[i].s, p->vals[i].len, TL_V_STR))
			goto oom;
	const char *first_missing = NULL;
	for (size_t s = 0; s < f->ncolsets && i == named; s++) {
		const struct tl_colset *c = &f->colsets[s];
		int set = -1;
		for (size_t k = 0; k < p->nf && set < 0; k++)
			if (!strcmp(p->fields[k].name, c->by)) {
				set = tl_keymap_get(&c->map, p->fields[k].v.s, p->fields[k].v.len);
				if (set < 0)
					set = c->dflt;
			}
		if (set < 0)
			break;
		named += c->nsets[set];
		size_t k = 0;
		for (; k < c->nsets[set] && i < (size_t)n; k++, i++)
			if (add_field(p, c->sets[set][k], p->vals[i].s, p->vals[i].len, TL_V_STR))
				goto oom;
		if (k < c->nsets[set] && c->min && c->min[set] && k >= c->min[set]) {
			short_min = 1;
			first_missing = c->sets[set][k];
		}
	}
	if ((size_t)n < named && short_min) {
		/* the layout of another version: the fields it has are placed, and
		 * the event says which are absent rather than passing for whole */
		char note[160];
		int m = snprintf(note, sizeof(note), "found %d of %zu fields; \"%s\" and later absent", n, named, first_missing);
		if (m < 0 || (size_t)m >= sizeof(note))
			m = snprintf(note, sizeof(note), "found %d of %zu fields", n, named);
		char *nv = tl_arena_strndup(&p->arena, note, (size_t)m);
		if (!nv || add_field(p, "columns_missing", nv, (size_t)m, TL_V_STR))
			goto oom;
		return TL_PARSE_EVENT;
	}
	if ((size_t)n < named) {
		tl_errf(err, "expected %zu fields, found %d", named, n);
		return TL_PARSE_REJECT;
	}
	if ((size_t)n > named && !f->keep_extra_columns) {
		tl_errf(err, "expected %zu fields, found %d", named, n);
		return TL_PARSE_REJECT;
	}
	for (; i < (size_t)n; i++) {
		char name[32];
		snprintf(name, sizeof(name), "column_%zu", i + 1);
		char *nm = tl_arena_strndup(&p->arena, name, strlen(name));
		if (!nm || add_field(p, nm, p->vals[i].s, p->vals[i].len, TL_V_STR))
			goto oom;
	}
	return TL_PARSE_EVENT;
oom:
	tl_errf(err, "too many fields");
	return TL_PARSE_REJECT;
}

static enum tl_parse_status parse_delimited(struct tl_parse *p, const char *text, size_t len, struct tl_err *err)
{
	const struct tl_format *f = p->f;
	if (f->header == TL_HDR_ZEEK && len && text[0] == '#')
		return zeek_directive(p, text, len, err);
	if (f->header == TL_HDR_W3C && len && text[0] == '#') {
		if (starts(text, len, "#Fields:"))
			return set_columns(p, text + 8, len - 8, ' ', 1, err);
		return TL_PARSE_META;
	}
	if (f->header == TL_HDR_FIRST && !p->header_seen)
		return set_columns(p, text, len, p->sep, 0, err);
	/* a header line anywhere (S3 objects concatenated) names the columns from
	 * there on; before one, "columns" and the column sets apply */
	if (f->header_re) {
		int rc = pcre2_match(f->header_re, (PCRE2_SPTR)text, len, 0, 0, p->md, p->mctx);
		if (rc >= 0)
			return set_columns(p, text, len, p->sep, 0, err);
		if (rc != PCRE2_ERROR_NOMATCH)
			return match_limit_reason(rc, err);
	}
	if (!p->ncols) {
		tl_errf(err, "data before any fields header");
		return TL_PARSE_REJECT;
	}
	size_t body;
	enum tl_parse_status pst = match_prefix(p, text, len, &body, err);
	if (pst != TL_PARSE_EVENT)
		return pst;
	text += body;
	len -= body;
	int collapse = f->header == TL_HDR_W3C;
	char sep = collapse ? ' ' : p->sep;
	if ((f->ncolsets || f->keep_extra_columns) && !(f->header_re && p->header_seen))
		return split_columns(p, text, len, sep, collapse, err);
	int n = split(p, text, len, sep, f->quote, count_cb, collapse);
	if (n != (int)p->ncols) {
		tl_errf(err, "expected %zu fields, found %d", p->ncols, n);
		return TL_PARSE_REJECT;
	}
	if (split(p, text, len, sep, f->quote, value_cb, collapse) < 0) {
		tl_errf(err, "out of memory splitting fields");
		return TL_PARSE_REJECT;
	}
	return TL_PARSE_EVENT;
}

/* key=value pairs; a bare token (netfilter's DF, SYN) is a flag: key = token, value true. */
static enum tl_parse_status parse_kv(struct tl_parse *p, const char *text, size_t len, struct tl_err *err)
{
	const struct tl_format *f = p->f;
	size_t i;
	enum tl_parse_status st = match_prefix(p, text, len, &i, err);
	if (st != TL_PARSE_EVENT)
		return st;
	int pairs = 0;
	if (f->kv.extended && (pairs = tl_kv_split(p, &f->kv, text + i, len - i)) < 0) {
		tl_errf(err, "too many fields");
		return TL_PARSE_REJECT;
	}
	while (!f->kv.extended && i < len) {
		while (i < len && (text[i] == f->sep || text[i] == ' '))
			i++;
		if (i >= len)
			break;
		size_t ks = i;
		while (i < len && text[i] != f->kv_sep && text[i] != f->sep && text[i] != ' ')
			i++;
		char *key = tl_arena_strndup(&p->arena, text + ks, i - ks);
		if (!key)
			return TL_PARSE_REJECT;
		if (i >= len || text[i] != f->kv_sep) {
			if (add_field(p, key, "true", 4, TL_V_BOOL))
				return TL_PARSE_REJECT;
			continue;
		}
		i++;
		const char *v = text + i;
		size_t vl;
		if (f->quote && i < len && text[i] == f->quote) {
			const char *e = memchr(text + i + 1, f->quote, len - i - 1);
			v = text + i + 1;
			vl = e ? (size_t)(e - v) : len - i - 1;
			i = e ? (size_t)(e - text) + 1 : len;
		} else {
			const char *e = memchr(text + i, f->sep, len - i);
			vl = e ? (size_t)(e - v) : len - i;
			i += vl;
		}
		if (add_field(p, key, v, vl, TL_V_STR))
			return TL_PARSE_REJECT;
		pairs++;
	}
	if (!pairs) {
		tl_errf(err, "no key%cvalue pairs found", f->kv_sep);
		return TL_PARSE_REJECT;
	}
	return TL_PARSE_EVENT;
}

/* JSON: objects are flattened to dotted keys; arrays are kept whole as JSON text. */
static int j_key_name(struct tl_parse *p, const char **out)
{
	*out = tl_arena_strndup(&p->arena, p->path.data ? p->path.data : "", p->path.len);
	return *out ? 0 : -1;
}

static int j_scalar(struct tl_parse *p, const char *s, size_t len, enum tl_val_kind kind)
{
	if (p->arr_depth)
		return 1;
	if (p->depth == 0)
		return 0; /* a record must be an object */
	const char *name;
	const char *v = tl_arena_strndup(&p->arena, s, len);
	if (!v || j_key_name(p, &name) || add_field(p, name, v, len, kind))
		return 0;
	return 1;
}

static int j_null(void *ctx) { return j_scalar(ctx, "null", 4, TL_V_NULL); }
static int j_bool(void *ctx, int b) { return j_scalar(ctx, b ? "true" : "false", b ? 4 : 5, TL_V_BOOL); }
static int j_number(void *ctx, const char *s, size_t l) { return j_scalar(ctx, s, l, TL_V_NUM); }
static int j_string(void *ctx, const unsigned char *s, size_t l) { return j_scalar(ctx, (const char *)s, l, TL_V_STR); }

static int j_start_map(void *ctx)
{
	struct tl_parse *p = ctx;
	if (p->arr_depth)
		return 1;
	if (p->depth >= 255) {
		p->too_deep = 1;
		return 0;
	}
	p->path_stack[p->depth++] = p->path.len;
	return 1;
}

static int j_key(void *ctx, const unsigned char *s, size_t l)
{
	struct tl_parse *p = ctx;
	if (p->arr_depth)
		return 1;
	size_t base = p->path_stack[p->depth - 1];
	p->path.len = base;
	if (base && tl_buf_addc(&p->path, '.'))
		return 0;
	return tl_buf_add(&p->path, s, l) == 0;
}

static int j_end_map(void *ctx)
{
	struct tl_parse *p = ctx;
	if (p->arr_depth)
		return 1;
	p->depth--;
	p->path.len = p->depth > 0 ? p->path_stack[p->depth] : 0;
	return 1;
}

/* An array opens at byte AT of the text read (p->jtext). */
static int array_open(struct tl_parse *p, size_t at)
{
	if (p->depth == 0)
		return 0;
	if (p->arr_depth++ == 0)
		p->arr_start = at;
	return 1;
}

static int j_start_array(void *ctx)
{
	struct tl_parse *p = ctx;
	return array_open(p, yajl_get_bytes_consumed(p->yajl) - 1);
}

/* Arrays are kept as JSON text; whitespace outside strings is dropped so a
 * pretty-printed source still yields one-line JSONL. The array ends before
 * byte END. */
static int array_close(struct tl_parse *p, size_t end)
{
	if (--p->arr_depth != 0)
		return 1;
	const char *src = p->jtext + p->arr_start;
	size_t n = end - p->arr_start, k = 0;
	char *out = tl_arena_alloc(&p->arena, n + 1);
	if (!out)
		return 0;
	int instr = 0, esc = 0;
	for (size_t i = 0; i < n; i++) {
		char c = src[i];
		if (instr) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				instr = 0;
		} else if (c == '"') {
			instr = 1;
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			continue;
		}
		out[k++] = c;
	}
	out[k] = 0;
	return j_scalar(p, out, k, TL_V_JSON);
}

static int j_end_array(void *ctx)
{
	struct tl_parse *p = ctx;
	return array_close(p, yajl_get_bytes_consumed(p->yajl));
}

static const yajl_callbacks jcb = {
	j_null, j_bool, NULL, NULL, j_number, j_string, j_start_map, j_key, j_end_map, j_start_array, j_end_array,
};

/* The state every JSON reading starts from. */
static void flatten_reset(struct tl_parse *p, const char *prefix, const char *text)
{
	p->jtext = text;
	p->depth = 0;
	p->arr_depth = 0;
	p->too_deep = 0;
	tl_buf_reset(&p->path);
	if (prefix)
		tl_buf_adds(&p->path, prefix);
	p->path_stack[0] = 0;
}

static enum tl_parse_status flatten_json(struct tl_parse *p, const char *prefix, const char *text, size_t len,
					 struct tl_err *err)
{
	yajl_handle h = yajl_alloc(&jcb, NULL, p);
	if (!h) {
		tl_errf(err, "out of memory");
		return TL_PARSE_REJECT;
	}
	p->yajl = h;
	flatten_reset(p, prefix, text);
	yajl_status st = yajl_parse(h, (const unsigned char *)text, len);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	enum tl_parse_status rc = TL_PARSE_EVENT;
	if (st != yajl_status_ok) {
		unsigned char *m = yajl_get_error(h, 0, (const unsigned char *)text, len);
		size_t at = yajl_get_bytes_consumed(h);
		if (p->too_deep)
			tl_errf(err, "JSON objects nested more than 255 deep at byte %zu", at);
		else
			tl_errf(err, "invalid JSON at byte %zu: %s", at, m ? (char *)m : "parse error");
		size_t n = strlen(err ? err->msg : "");
		if (err && n && err->msg[n - 1] == '\n')
			err->msg[n - 1] = 0;
		if (m)
			yajl_free_error(h, m);
		rc = TL_PARSE_REJECT;
	}
	yajl_free(h);
	p->yajl = NULL;
	return rc;
}

static enum tl_parse_status parse_json(struct tl_parse *p, const char *text, size_t len, struct tl_err *err)
{
	size_t i = 0;
	while (i < len && strchr(" \t\r\n", text[i]))
		i++;
	if (i == len || text[i] != '{') {
		tl_errf(err, "record is not a JSON object");
		return TL_PARSE_REJECT;
	}
	return flatten_json(p, NULL, text, len, err);
}

/* Fields holding JSON text (CloudTrail LookupEvents' CloudTrailEvent, the Purview
 * CSV's AuditData column) are flattened into fields of their own, whatever the
 * parse method that found them. */
static enum tl_parse_status flatten_embedded(struct tl_parse *p, struct tl_err *err)
{
	for (size_t k = 0; k < p->f->nembedded; k++) {
		size_t n = p->nf;
		for (size_t i2 = 0; i2 < n; i2++) {
			struct tl_field *fl = &p->fields[i2];
			if (fl->kind != TL_V_STR || strcmp(fl->name, p->f->embedded[k]))
				continue;
			struct tl_val v = fl->v;
			const char *pre = p->f->embedded_prefix ? p->f->embedded_prefix[k] : NULL;
			if (flatten_json(p, pre, v.s, v.len, err) != TL_PARSE_EVENT)
				return TL_PARSE_REJECT;
			p->fields[i2].used = 1; /* its content now stands as fields */
		}
	}
	return TL_PARSE_EVENT;
}

/* ---- mapping onto the normalized event ---- */

static int valid_ip(const char *s, size_t len)
{
	char tmp[64];
	unsigned char out[16];
	if (len == 0 || len >= sizeof(tmp))
		return 0;
	memcpy(tmp, s, len);
	tmp[len] = 0;
	char *pct = strchr(tmp, '%'); /* IPv6 zone index */
	if (pct)
		*pct = 0;
	return inet_pton(AF_INET, tmp, out) == 1 || inet_pton(AF_INET6, tmp, out) == 1;
}

/* Host part of a URL ("http://h:80/x", "h:443" for CONNECT), unless it is an
 * address: the entities' rule (tl_entity_url_host_span), not a copy of it. */
static int host_of_url(const struct tl_val *u, struct tl_val *out)
{
	size_t off, n;
	if (tl_entity_url_host_span(u->s, u->len, 0, &off, &n) || (off && u->s[off - 1] == '[') ||
	    valid_ip(u->s + off, n))
		return 0;
	out->s = u->s + off;
	out->len = n;
	return 1;
}

static void apply_vmap(struct tl_parse *p, const struct tl_vmap *m, struct tl_event *ev)
{
	struct tl_val *dst = m->target == TL_F_INDICATOR ? &ev->indicator : &ev->f[m->target];
	if (dst->s)
		return;
	struct tl_field *src = find_value(p, m->from, strlen(m->from));
	const char *out = NULL;
	if (!src) {
		out = m->missing;
	} else {
		for (size_t i = 0; i < m->nvals && !out; i++)
			if (strlen(m->keys[i]) == src->v.len && !memcmp(m->keys[i], src->v.s, src->v.len))
				out = m->vals[i];
		for (size_t i = 0; i < m->nmatch && !out; i++)
			if (pcre2_match(m->mre[i], (PCRE2_SPTR)src->v.s, src->v.len, 0, 0, p->md, p->mctx) >= 0)
				out = m->mvals[i];
		if (!out)
			out = m->dflt;
	}
	if (out) {
		dst->s = out;
		dst->len = strlen(out);
	}
}

/* Formats of the times a syslog envelope carries (RFC 3164 with and without a
 * year, RFC 3339 from RFC 5424 and rsyslog templates). */
static const char *const env_ts_formats[] = { "rfc3164", "%b %e %Y %H:%M:%S", "%b %e %Y %H:%M:%S.%f", "iso8601" };

static enum tl_parse_status fill_timestamp(struct tl_parse *p, struct tl_event *ev, struct tl_err *err)
{
	const struct tl_format *f = p->f;
	const char *const *fmts = (const char *const *)f->ts_formats;
	size_t nfmts = f->nts_formats;
	/* the payload's own time when it has one, else the envelope's */
	if (!resolve_alts(p, &f->ts, &ev->ts_raw, 1)) {
		if (!p->has_env || !resolve(p, "syslog.timestamp", &ev->ts_raw, 1)) {
			tl_errf(err, "no timestamp (field %s)", f->ts.n ? f->ts.v[0] : "syslog.timestamp");
			return TL_PARSE_REJECT;
		}
		fmts = env_ts_formats;
		nfmts = sizeof(env_ts_formats) / sizeof(env_ts_formats[0]);
	}
	char rule[128];
	/* a zone name the definition maps is read as its offset; ts_raw keeps the name */
	struct tl_val text = ev->ts_raw;
	struct tl_buf named = TL_BUF_INIT;
	named.max = 4096;
	const char *zname = f->nzone_names ? tl_format_zone_name_apply(f, text.s, text.len, &named) : NULL;
	if (zname) {
		text.s = named.data;
		text.len = named.len;
	}
	for (size_t i = 0; i < nfmts; i++) {
		if (tl_time_parse(p->tctx, fmts[i], text.s, text.len, &ev->ts, rule, sizeof(rule)) == 0) {
			if (zname) {
				size_t n = strlen(rule);
				snprintf(rule + n, sizeof(rule) - n, ";zone-name=%s(format)", zname);
			}
			ev->ts_rule = tl_arena_strndup(&p->arena, rule, strlen(rule));
			tl_buf_release(&named);
			return TL_PARSE_EVENT;
		}
	}
	tl_buf_release(&named);
	struct tl_buf shown = TL_BUF_INIT;
	tl_term_escape(&shown, ev->ts_raw.s, ev->ts_raw.len > 64 ? 64 : ev->ts_raw.len);
	/* name every format tried: the examiner must see which readings were refused */
	struct tl_buf tried = TL_BUF_INIT;
	tried.max = 512;
	for (size_t i = 0; i < nfmts; i++)
		if (tl_buf_adds(&tried, i ? ", " : "") || tl_buf_adds(&tried, fmts[i]))
			break;
	if (nfmts > 1)
		tl_errf(err, "timestamp '%s' matches none of: %s", shown.data ? shown.data : "",
			tried.data ? tried.data : "");
	else
		tl_errf(err, "timestamp '%s' does not match %s", shown.data ? shown.data : "", fmts[0]);
	tl_buf_release(&shown);
	tl_buf_release(&tried);
	return TL_PARSE_REJECT;
}

/* Fields the envelope gives every payload unless the payload maps them itself. */
static void envelope_defaults(struct tl_parse *p, struct tl_event *ev)
{
	static const struct {
		int id;
		const char *from;
	} d[] = { { TL_F_host, "syslog.host" },
		  { TL_F_process, "syslog.program" },
		  { TL_F_process_pid, "syslog.pid" },
		  { TL_F_message, "syslog.message" } };
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		/* a parsed message says what it means through the definition's own mapping */
		if (!ev->f[d[i].id].s && !(d[i].id == TL_F_message && p->f->has_parse))
			resolve(p, d[i].from, &ev->f[d[i].id], 0);
}

static enum tl_parse_status map_event(struct tl_parse *p, struct tl_event *ev, struct tl_err *err)
{
	const struct tl_format *f = p->f;
	if (build_index(p)) {
		tl_errf(err, "out of memory");
		return TL_PARSE_REJECT;
	}
	enum tl_parse_status st = fill_timestamp(p, ev, err);
	if (st != TL_PARSE_EVENT)
		return st;
	const struct tl_format *cs = p->cur_case;
	for (int i = 0; i < TL_F_COUNT; i++) {
		/* a case's mapping first, then the definition's */
		if (!(cs && cs->fields[i].n && resolve_alts(p, &cs->fields[i], &ev->f[i], 0)) &&
		    (!f->fields[i].n || !resolve_alts(p, &f->fields[i], &ev->f[i], 0)))
			continue;
		/* a field that cannot hold the value (no address in an address field, an
		 * address in domain, no whole number in a count) leaves it in extra, where
		 * its text survives intact */
		int64_t n;
		if (((i == TL_F_src_ip || i == TL_F_dst_ip || i == TL_F_src_nat_ip || i == TL_F_dst_nat_ip) &&
		     !valid_ip(ev->f[i].s, ev->f[i].len)) ||
		    (i == TL_F_domain && valid_ip(ev->f[i].s, ev->f[i].len)) ||
		    (tl_field_kind((enum tl_field_id)i) == 'I' && tl_parse_i64(ev->f[i].s, ev->f[i].len, &n))) {
			for (size_t k = 0; k < p->nf; k++)
				if (p->fields[k].v.s == ev->f[i].s)
					p->fields[k].used = 0;
			ev->f[i].s = NULL;
			ev->f[i].len = 0;
		}
	}
	if (p->has_env)
		envelope_defaults(p, ev);
	for (size_t i = 0; cs && i < cs->nvmaps; i++)
		apply_vmap(p, &cs->vmaps[i], ev);
	for (size_t i = 0; i < f->nvmaps; i++)
		apply_vmap(p, &f->vmaps[i], ev);
	/* the sequence number is read, not taken: it stays in extra as the source wrote it */
	for (size_t i = 0; i < f->sequence.n && !ev->has_seq; i++) {
		struct tl_field *sf = find_value(p, f->sequence.v[i], strlen(f->sequence.v[i]));
		if (sf && tl_parse_i64(sf->v.s, sf->v.len, &ev->seq) == 0)
			ev->has_seq = 1;
	}
	if (!ev->f[TL_F_domain].s && ev->f[TL_F_url].s)
		host_of_url(&ev->f[TL_F_url], &ev->f[TL_F_domain]);
	size_t nx = 0;
	for (size_t i = 0; i < p->nf; i++)
		nx += !p->fields[i].used;
	if (nx > p->cap_extra) {
		struct tl_extra *x = realloc(p->extra, nx * sizeof(*x));
		if (!x) {
			tl_errf(err, "out of memory");
			return TL_PARSE_REJECT;
		}
		p->extra = x;
		p->cap_extra = nx;
	}
	ev->extra = p->extra;
	ev->n_extra = 0;
	for (size_t i = 0; i < p->nf; i++) {
		if (p->fields[i].used)
			continue;
		struct tl_extra *x = &p->extra[ev->n_extra++];
		x->key = p->fields[i].name;
		x->v = p->fields[i].v;
		x->kind = p->fields[i].kind;
	}
	return TL_PARSE_EVENT;
}

/* A definition for one Zeek log reads only that log's records: a second header
 * block with another #path (concatenated logs), or a JSON record whose _path
 * (@stream in OTRF exports) names another log, is not its to read. */
static enum tl_parse_status zeek_path_check(struct tl_parse *p, struct tl_err *err)
{
	const char *want = p->f->zeek_path;
	if (!want || !strcmp(want, "*"))
		return TL_PARSE_EVENT;
	const char *got = p->zeek_path;
	size_t gl = strlen(got);
	for (size_t i = 0; !gl && i < p->nf; i++)
		if (p->fields[i].kind == TL_V_STR && (!strcmp(p->fields[i].name, "_path") || !strcmp(p->fields[i].name, "@stream"))) {
			got = p->fields[i].v.s;
			gl = p->fields[i].v.len;
		}
	if (!gl || (gl == strlen(want) && !memcmp(got, want, gl)))
		return TL_PARSE_EVENT;
	struct tl_buf shown = TL_BUF_INIT;
	tl_term_escape(&shown, got, gl > 40 ? 40 : gl);
	tl_errf(err, "record of a Zeek '%s' log; %s reads '%s' logs", shown.data ? shown.data : "", p->f->name, want);
	tl_buf_release(&shown);
	return TL_PARSE_REJECT;
}

/* record_type: the definition reads only records whose FIELD is one of its values */
static enum tl_parse_status record_type_check(struct tl_parse *p, struct tl_err *err)
{
	const struct tl_format *f = p->f;
	if (!f->rt_field)
		return TL_PARSE_EVENT;
	for (size_t i = 0; i < p->nf; i++) {
		if (strcmp(p->fields[i].name, f->rt_field))
			continue;
		for (size_t k = 0; k < f->nrt_values; k++)
			if (p->fields[i].v.len == strlen(f->rt_values[k]) &&
			    !memcmp(p->fields[i].v.s, f->rt_values[k], p->fields[i].v.len))
				return TL_PARSE_EVENT;
		struct tl_buf shown = TL_BUF_INIT;
		tl_term_escape(&shown, p->fields[i].v.s, p->fields[i].v.len > 40 ? 40 : p->fields[i].v.len);
		tl_errf(err, "record of %s '%s'; %s reads %s '%s'%s", f->rt_field, shown.data ? shown.data : "", f->name,
			f->rt_field, f->rt_values[0], f->nrt_values > 1 ? " and others" : "");
		tl_buf_release(&shown);
		return TL_PARSE_REJECT;
	}
	tl_errf(err, "no %s to tell the record's type; %s reads %s '%s'", f->rt_field, f->name, f->rt_field,
		f->rt_values[0]);
	return TL_PARSE_REJECT;
}

static int blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n' && s[i] != '\f' && s[i] != '\v')
			return 0;
	return 1;
}

/* ---- envelopes, dispatch and cases ---- */

static int add_val(struct tl_parse *p, const char *name, struct tl_val v)
{
	return v.s ? add_field(p, name, v.s, v.len, TL_V_STR) : 0;
}

/* N in decimal as a field (twice per syslog record: by hand, not snprintf). */
static int add_num(struct tl_parse *p, const char *name, long n)
{
	char b[24], *e = b + sizeof(b);
	unsigned long u = n < 0 ? 0ul - (unsigned long)n : (unsigned long)n;
	do
		*--e = (char)('0' + u % 10);
	while (u /= 10);
	if (n < 0)
		*--e = '-';
	size_t len = (size_t)(b + sizeof(b) - e);
	char *v = tl_arena_strndup(&p->arena, e, len);
	return v ? add_field(p, name, v, len, TL_V_NUM) : -1;
}

/* RFC 5424 STRUCTURED-DATA: [id name="value" ...] becomes sd.<id>.<name>;
 * in values a backslash escapes the quote, itself and the closing bracket. */
static int add_sd(struct tl_parse *p, const char *s, size_t len)
{
	size_t i = 0;
	while (i < len && s[i] == '[') {
		size_t b = ++i;
		while (i < len && s[i] != ' ' && s[i] != ']')
			i++;
		struct tl_val id = { s + b, i - b };
		while (i < len && s[i] == ' ') {
			size_t nb = ++i;
			while (i < len && s[i] != '=' && s[i] != ']' && s[i] != ' ')
				i++;
			if (i + 1 >= len || s[i] != '=' || s[i + 1] != '"')
				return 0; /* malformed: keep what was read */
			size_t nl = i - nb;
			i += 2;
			tl_buf_reset(&p->tmp);
			while (i < len && s[i] != '"') {
				if (s[i] == '\\' && i + 1 < len && (s[i + 1] == '"' || s[i + 1] == '\\' || s[i + 1] == ']'))
					i++;
				tl_buf_addc(&p->tmp, s[i++]);
			}
			i++;
			char *name = tl_arena_alloc(&p->arena, 3 + id.len + 1 + nl + 1);
			char *v = tl_arena_strndup(&p->arena, p->tmp.data ? p->tmp.data : "", p->tmp.len);
			if (!name || !v)
				return -1;
			memcpy(name, "sd.", 3);
			memcpy(name + 3, id.s, id.len);
			name[3 + id.len] = '.';
			memcpy(name + 4 + id.len, s + nb, nl);
			name[4 + id.len + nl] = 0;
			if (add_field(p, name, v, p->tmp.len, TL_V_STR))
				return -1;
		}
		while (i < len && s[i] != ']')
			i++;
		i++;
	}
	return 0;
}

/* The syslog envelope: header fields, then TEXT and LEN become the message. A
 * relay that prepends its own header keeps it as syslog.relay.*; the inner
 * header, the origin's, gives syslog.*. */
static enum tl_parse_status read_syslog(struct tl_parse *p, const char **text, size_t *len, struct tl_err *err)
{
	struct tl_syslog_hdr h, in;
	if (tl_syslog_header(*text, *len, &h)) {
		tl_errf(err, "record has no syslog header");
		return TL_PARSE_REJECT;
	}
	const char *body = *text + h.body;
	size_t blen = *len - h.body;
	/* an inner header needs a program or a PRI of its own: a message that merely
	 * starts with a time is not a relayed header */
	if (!tl_syslog_header(body, blen, &in) && in.ts.s && (in.program.s || in.pri.s) &&
	    (!h.program.s || in.pri.s)) {
		if (add_val(p, "syslog.relay.host", h.host) || add_val(p, "syslog.relay.timestamp", h.ts) ||
		    add_val(p, "syslog.relay.pri", h.pri))
			goto oom;
		if (!in.pri.s)
			in.pri = h.pri;
		body += in.body;
		blen -= in.body;
		h = in;
	}
	if (h.pri.s) {
		long pri = strtol(h.pri.s, NULL, 10);
		if (add_field(p, "syslog.pri", h.pri.s, h.pri.len, TL_V_NUM) || add_num(p, "syslog.facility", pri / 8) ||
		    add_num(p, "syslog.severity", pri % 8))
			goto oom;
	}
	if (add_val(p, "syslog.version", h.version) || add_val(p, "syslog.timestamp", h.ts) ||
	    add_val(p, "syslog.host", h.host) || add_val(p, "syslog.program", h.program) ||
	    add_val(p, "syslog.pid", h.pid) || add_val(p, "syslog.msgid", h.msgid) ||
	    (h.sd.s && add_sd(p, h.sd.s, h.sd.len)))
		goto oom;
	if (blen && add_field(p, "syslog.message", body, blen, TL_V_STR))
		goto oom;
	p->has_env = 1;
	*text = body;
	*len = blen;
	return TL_PARSE_EVENT;
oom:
	tl_errf(err, "too many fields");
	return TL_PARSE_REJECT;
}

static enum tl_parse_status parse_method(struct tl_parse *p, const char *text, size_t len, struct tl_err *err)
{
	switch (p->f->parse) {
	case TL_PARSE_REGEX:
		return parse_regex(p, text, len, err);
	case TL_PARSE_JSON:
		return parse_json(p, text, len, err);
	case TL_PARSE_DELIMITED:
		return parse_delimited(p, text, len, err);
	case TL_PARSE_CEF:
	case TL_PARSE_LEEF: {
		size_t body;
		enum tl_parse_status st = match_prefix(p, text, len, &body, err);
		if (st == TL_PARSE_EVENT)
			st = (p->f->parse == TL_PARSE_CEF ? tl_cef_parse : tl_leef_parse)(p, text + body, len - body, err);
		return st;
	}
	case TL_PARSE_XML:
		return tl_xml_parse(p, text, len, err);
	default:
		return parse_kv(p, text, len, err);
	}
}

/* "name_value": each element {NAME: n, VALUE: v} of an array field becomes the
 * field PREFIX+n = v (EvtxECmd writes EventData as such an array). The array
 * stays in extra only when an element could not be read. */
static enum tl_parse_status apply_name_value(struct tl_parse *p, struct tl_err *err)
{
	const struct tl_format *f = p->f;
	for (size_t k = 0; k < f->nnv; k++) {
		size_t nf = p->nf, at = nf;
		for (size_t i = 0; i < nf && at == nf; i++)
			if (!strcmp(p->fields[i].name, f->nv_field[k]) && p->fields[i].kind == TL_V_JSON)
				at = i;
		if (at == nf)
			continue;
		struct tl_json *j = tl_json_parse("name_value", p->fields[at].v.s, p->fields[at].v.len, NULL);
		int ok = j && j->type == TL_JSON_ARRAY;
		for (size_t i = 0; ok && i < j->n; i++) {
			const struct tl_json *e = j->kids[i], *n = tl_json_get(e, f->nv_name[k]),
					     *v = tl_json_get(e, f->nv_value[k]);
			if (e->type != TL_JSON_OBJECT || !n || n->type != TL_JSON_STRING || !n->len) {
				ok = 0;
				break;
			}
			size_t pl = strlen(f->nv_prefix[k]);
			char *name = tl_arena_alloc(&p->arena, pl + n->len + 1);
			const char *val = v && (v->type == TL_JSON_STRING || v->type == TL_JSON_NUMBER)
						  ? tl_arena_strndup(&p->arena, v->str, v->len)
						  : "";
			if (!name || !val || add_field(p, name, val, v && v->str ? v->len : 0,
						       v && v->type == TL_JSON_NUMBER ? TL_V_NUM : TL_V_STR)) {
				tl_json_free(j);
				tl_errf(err, "too many fields");
				return TL_PARSE_REJECT;
			}
			memcpy(name, f->nv_prefix[k], pl);
			memcpy(name + pl, n->str, n->len);
			name[pl + n->len] = 0;
		}
		tl_json_free(j);
		if (ok)
			p->fields[at].used = 1;
	}
	return TL_PARSE_EVENT;
}

/* "embedded_xml": the field's text is an XML element (Sysmon for Linux's
 * event in a syslog message or a Log Analytics column): its flattened fields
 * join the record's and the field itself is taken. */
static enum tl_parse_status apply_embedded_xml(struct tl_parse *p, struct tl_err *err)
{
	struct tl_val v = { NULL, 0 };
	for (size_t i = 0; i < p->nf && !v.s; i++)
		if (!strcmp(p->fields[i].name, p->f->embedded_xml) && p->fields[i].kind == TL_V_STR && p->fields[i].v.len) {
			v = p->fields[i].v;
			p->fields[i].used = 1;
		}
	if (!v.s)
		return TL_PARSE_EVENT;
	enum tl_parse_status st = tl_xml_parse(p, v.s, v.len, err);
	if (st == TL_PARSE_META) {
		tl_errf(err, "%s holds no XML element", p->f->embedded_xml);
		return TL_PARSE_REJECT;
	}
	return st;
}

/* "split": FIELD holds KEY=VALUE pairs ("SHA1=…,MD5=…,SHA256=…"): each becomes
 * the field PREFIX+KEY. The field itself is not taken (kept as written);
 * a piece without the kv separator is skipped. */
static const char *find_sep(const char *s, size_t len, const char *sep, size_t sl)
{
	for (size_t i = 0; i + sl <= len; i++)
		if (s[i] == sep[0] && !memcmp(s + i, sep, sl))
			return s + i;
	return NULL;
}

static enum tl_parse_status apply_split(struct tl_parse *p, struct tl_err *err)
{
	const struct tl_format *f = p->f;
	struct tl_val v = { NULL, 0 };
	for (size_t i = 0; i < p->nf && !v.s; i++)
		if (!strcmp(p->fields[i].name, f->split_field) && p->fields[i].kind == TL_V_STR)
			v = p->fields[i].v;
	size_t pl = strlen(f->split_prefix), ps = strlen(f->split_pair), ks = strlen(f->split_kv);
	for (size_t a = 0; v.s && a < v.len;) {
		const char *end = find_sep(v.s + a, v.len - a, f->split_pair, ps);
		size_t b = end ? (size_t)(end - v.s) : v.len;
		const char *eq = find_sep(v.s + a, b - a, f->split_kv, ks);
		if (eq && eq > v.s + a) {
			size_t kl = (size_t)(eq - (v.s + a));
			char *name = tl_arena_alloc(&p->arena, pl + kl + 1);
			if (!name || add_field(p, name, eq + ks, (size_t)(v.s + b - eq - ks), TL_V_STR)) {
				tl_errf(err, "too many fields");
				return TL_PARSE_REJECT;
			}
			memcpy(name, f->split_prefix, pl);
			memcpy(name + pl, v.s + a, kl);
			name[pl + kl] = 0;
		}
		a = b + ps;
	}
	return TL_PARSE_EVENT;
}

/* "rename": the first rule that applies to a field's name renames it. */
static enum tl_parse_status apply_rename(struct tl_parse *p, struct tl_err *err)
{
	const struct tl_format *f = p->f;
	for (size_t i = 0; i < p->nf; i++) {
		const char *name = p->fields[i].name;
		for (size_t k = 0; k < f->nrename; k++) {
			const char *from = f->rename_from[k];
			size_t fl = strlen(from);
			int prefix = from[fl - 1] == '.';
			if (prefix ? strncmp(name, from, fl) || !name[fl] : strcmp(name, from))
				continue;
			const char *rest = prefix ? name + fl : "";
			size_t tl = strlen(f->rename_to[k]), rl = strlen(rest);
			char *n = tl_arena_alloc(&p->arena, tl + rl + 1);
			if (!n) {
				tl_errf(err, "out of memory");
				return TL_PARSE_REJECT;
			}
			memcpy(n, f->rename_to[k], tl);
			memcpy(n + tl, rest, rl + 1);
			if (f->rename_upper[k] && n[tl] >= 'a' && n[tl] <= 'z')
				n[tl] = (char)(n[tl] - 'a' + 'A');
			p->fields[i].name = n;
			break;
		}
	}
	return TL_PARSE_EVENT;
}

/* Cases: the value of `by` picks a case (hash lookup); its patterns run on the
 * field `on` and add their groups; its fields and maps come before the
 * definition's. A value without a case uses the definition alone. */
static enum tl_parse_status apply_case(struct tl_parse *p, struct tl_err *err)
{
	const struct tl_cases *c = p->f->cases;
	p->cur_case = NULL;
	if (build_index(p)) {
		tl_errf(err, "out of memory");
		return TL_PARSE_REJECT;
	}
	struct tl_val key = { NULL, 0 };
	if (strchr(c->by, '{')) {
		/* a template joins several fields into the key ("{Provider.Name}:{EventID}") */
		if (!resolve(p, c->by, &key, 0))
			return TL_PARSE_EVENT;
	} else {
		struct tl_field *k = find_value(p, c->by, strlen(c->by));
		if (!k)
			return TL_PARSE_EVENT;
		key = k->v; /* adding fields below may move p->fields */
	}
	int i = tl_keymap_get(&c->map, key.s, key.len);
	if (i < 0)
		return TL_PARSE_EVENT;
	const struct tl_format *cs = c->v[i];
	p->cur_case = cs;
	if (!cs->npats)
		return TL_PARSE_EVENT;
	struct tl_field *on = find_value(p, c->on, strlen(c->on));
	struct tl_val v = on ? on->v : (struct tl_val){ "", 0 };
	for (size_t n = 0; n < cs->npats; n++) {
		int rc = pcre2_match(cs->pats[n], (PCRE2_SPTR)v.s, v.len, 0, 0, p->md, p->mctx);
		if (rc == PCRE2_ERROR_NOMATCH)
			continue;
		if (rc < 0)
			return match_limit_reason(rc, err);
		if (add_groups(p, cs->pats[n], v.s, rc)) {
			tl_errf(err, "too many fields");
			return TL_PARSE_REJECT;
		}
		return TL_PARSE_EVENT;
	}
	struct tl_buf shown = TL_BUF_INIT;
	tl_term_escape(&shown, key.s, key.len > 64 ? 64 : key.len);
	/* name the definition: a device line in an unknown variant says what it was tried as */
	tl_errf(err, "%s '%s': record does not match any pattern of its case in %s", c->by, shown.data ? shown.data : "",
		p->f->name);
	tl_buf_release(&shown);
	return TL_PARSE_REJECT;
}

static enum tl_parse_status run(struct tl_parse *p, const char *text, size_t len, int parsed, struct tl_event *ev,
				struct tl_err *err);

/* Hand the record to the definition its `by` value names. The envelope (or, for
 * a dispatcher without one, the whole parse) is not repeated: the target starts
 * from the dispatcher's fields. */
static enum tl_parse_status dispatch(struct tl_parse *p, const char *text, size_t len, int parsed,
				     struct tl_event *ev, struct tl_err *err, int *done)
{
	const struct tl_dispatch *d = p->f->dispatch;
	*done = 0;
	/* one name looked up once: a scan is cheaper than building the index */
	struct tl_field *k = NULL, joined = { 0 };
	for (size_t i = 0; i < d->by.n && !k; i++) {
		if (strchr(d->by.v[i], '{')) {
			/* a template ("{cef.device_vendor}|{cef.device_product}"): a product
			 * name alone ("DLP") is not unique across vendors */
			if (build_index(p)) {
				tl_errf(err, "out of memory");
				*done = 1;
				return TL_PARSE_REJECT;
			}
			if (resolve(p, d->by.v[i], &joined.v, 0)) {
				joined.name = d->by.v[i];
				k = &joined;
			}
			continue;
		}
		for (size_t j = 0; j < p->nf && !k; j++)
			if (p->fields[j].v.len && p->fields[j].kind != TL_V_NULL && !strcmp(p->fields[j].name, d->by.v[i]))
				k = &p->fields[j];
	}
	int slot = k ? tl_keymap_get(&d->map, k->v.s, k->v.len) : -1;
	if (slot < 0)
		slot = d->dflt_slot;
	if (slot < 0) {
		if (!d->reject_unclaimed)
			return TL_PARSE_EVENT; /* the dispatcher's own mapping: a generic event */
		*done = 1;
		if (!k) {
			tl_errf(err, "no %s to choose a definition by", d->by.v[0]);
			return TL_PARSE_REJECT;
		}
		struct tl_buf shown = TL_BUF_INIT;
		tl_term_escape(&shown, k->v.s, k->v.len > 64 ? 64 : k->v.len);
		tl_errf(err, "no definition for %s '%s'", k->name, shown.data ? shown.data : "");
		tl_buf_release(&shown);
		return TL_PARSE_REJECT;
	}
	*done = 1;
	if ((size_t)slot >= p->nkids) {
		struct tl_parse **v = realloc(p->kids, d->ntargets * sizeof(*v));
		if (!v) {
			tl_errf(err, "out of memory");
			return TL_PARSE_REJECT;
		}
		for (size_t i = p->nkids; i < d->ntargets; i++)
			v[i] = NULL;
		p->kids = v;
		p->nkids = d->ntargets;
	}
	struct tl_parse *kid = p->kids[slot];
	if (!kid && !(kid = p->kids[slot] = tl_parse_new(d->targets[slot], p->tctx, err)))
		return TL_PARSE_REJECT;
	kid->parent = p;
	p->last = kid;
	if (kid->f->ops != &tl_engine_ops) {
		/* a C parser knows nothing of our fields: it gets the message as its record */
		struct tl_record r = *p->rec;
		r.text = text;
		r.len = len;
		return tl_parse_record(kid, &r, ev, err);
	}
	tl_arena_reset(&kid->arena);
	kid->nf = 0;
	kid->has_env = p->has_env;
	kid->cur_case = NULL;
	kid->last = kid;
	for (size_t i = 0; i < p->nf; i++)
		if (add_field(kid, p->fields[i].name, p->fields[i].v.s, p->fields[i].v.len, p->fields[i].kind)) {
			tl_errf(err, "too many fields");
			return TL_PARSE_REJECT;
		}
	return run(kid, text, len, parsed, ev, err);
}

static enum tl_parse_status run(struct tl_parse *p, const char *text, size_t len, int parsed, struct tl_event *ev,
				struct tl_err *err)
{
	const struct tl_format *f = p->f;
	enum tl_parse_status st = TL_PARSE_EVENT;
	if (f->envelope == TL_ENV_SYSLOG && !p->has_env && (st = read_syslog(p, &text, &len, err)) != TL_PARSE_EVENT)
		return st;
	if (f->dispatch && !p->no_dispatch) {
		int done;
		if (!f->envelope && !parsed) {
			if ((st = parse_method(p, text, len, err)) != TL_PARSE_EVENT)
				return st;
			parsed = 1;
		}
		st = dispatch(p, text, len, parsed, ev, err, &done);
		if (done || st != TL_PARSE_EVENT)
			return st;
	}
	if (!parsed && f->has_parse)
		st = parse_method(p, text, len, err);
	/* a parsed message stands as its fields: its text does not go to extra again */
	for (size_t i = 0; i < p->nf && p->has_env && f->has_parse; i++)
		if (!strcmp(p->fields[i].name, "syslog.message"))
			p->fields[i].used = 1;
	if (st == TL_PARSE_EVENT && f->nembedded)
		st = flatten_embedded(p, err);
	if (st == TL_PARSE_EVENT && f->embedded_xml)
		st = apply_embedded_xml(p, err);
	if (st == TL_PARSE_EVENT && f->nnv)
		st = apply_name_value(p, err);
	if (st == TL_PARSE_EVENT && f->nrename)
		st = apply_rename(p, err);
	if (st == TL_PARSE_EVENT && f->split_field)
		st = apply_split(p, err);
	if (st == TL_PARSE_EVENT)
		st = zeek_path_check(p, err);
	if (st == TL_PARSE_EVENT)
		st = record_type_check(p, err);
	if (st == TL_PARSE_EVENT && f->cases)
		st = apply_case(p, err);
	if (st != TL_PARSE_EVENT)
		return st;
	ev->family = f->family;
	ev->format = f->name;
	ev->parser_version = f->version;
	return map_event(p, ev, err);
}

static enum tl_parse_status engine_parse(struct tl_parse *p, const struct tl_record *rec, struct tl_event *ev,
					 struct tl_err *err)
{
	memset(ev, 0, sizeof(*ev));
	tl_arena_reset(&p->arena);
	p->nf = 0;
	p->has_env = 0;
	p->cur_case = NULL;
	p->last = p;
	p->rec = rec;
	if (rec->oversize) {
		tl_errf(err, "record of %llu bytes exceeds the %zu-byte limit", (unsigned long long)rec->length,
			p->f->framing.max_record);
		return TL_PARSE_REJECT;
	}
	if (rec->structural) {
		tl_errf(err, "%.*s", (int)rec->len, rec->text);
		return TL_PARSE_REJECT;
	}
	if (blank(rec->text, rec->len))
		return TL_PARSE_META;
	return run(p, rec->text, rec->len, 0, ev, err);
}

/* A dispatcher whose target is a grouping C parser (auditd records forwarded
 * through syslog): the target's groups end inside it, so the dispatcher drains
 * them as its own. Definitions do not group; only C targets are asked. */
static enum tl_parse_status engine_ready(struct tl_parse *p, struct tl_event *ev, struct tl_record *origin,
					 struct tl_err *err)
{
	for (size_t i = 0; i < p->nkids; i++) {
		if (!p->kids[i] || p->kids[i]->f->ops == &tl_engine_ops)
			continue;
		enum tl_parse_status st = tl_parse_ready(p->kids[i], ev, origin, err);
		if (st != TL_PARSE_META) {
			p->last = p->kids[i];
			return st;
		}
	}
	return TL_PARSE_META;
}

static void engine_finish(struct tl_parse *p)
{
	for (size_t i = 0; i < p->nkids; i++)
		if (p->kids[i] && p->kids[i]->f->ops != &tl_engine_ops)
			tl_parse_finish(p->kids[i]);
}

const struct tl_parser_ops tl_engine_ops = { .kind = "definition", .state_new = engine_new, .state_free = engine_free,
					     .parse = engine_parse, .ready = engine_ready, .finish = engine_finish };

size_t tl_parse_fields(const struct tl_parse *p, const struct tl_field **out)
{
	/* after dispatch, the fields are those of the definition that parsed the record */
	if (p->last && p->last != p)
		p = p->last;
	*out = p->fields;
	return p->nf;
}
