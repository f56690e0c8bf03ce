/*
 * Entities of a case (include/tl/entities.h, docs/correlation.md#entities):
 * which event fields name which kind of entity, the case config's aliases
 * over the rules of tl/entity.h, the incremental count kept in the case
 * database, the pivots tl timeline expands, and the tl entities listing.
 *
 * The refresh reads each new event once, through the store, and counts in
 * memory: every distinct raw value is canonicalized once (a cache keyed by
 * field kind and text), and an entity named twice by one event (host and
 * src_host) counts that event once.
 */
#define _POSIX_C_SOURCE 200809L
#include "tl/entities.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "tl/entity.h"
#include "tl/grow.h"
#include "tl/json.h"
#include "tl/time.h"
#include "tl/banned.h"

/* Evidence is hostile: past this many distinct raw values or entities the
 * refresh stops with an error instead of exhausting memory. */
#define DISTINCT_MAX (16u << 20)
/* Distinct entities, spellings or raw values held before the counts so far
 * are added to the store and the tables start afresh: the store adds counts
 * to rows it has (an upsert), so this bounds memory (a few hundred bytes
 * each: some 30 MB at the bound) whatever the number of distinct addresses
 * in a file, at the price of resolving a value seen again after a flush
 * once more. */
#define FLUSH_AT (64u << 10)

/* The bound, or TL_ENTITIES_FLUSH_AT when set (tests: a small case then
 * flushes many times and must count exactly as with one flush). */
static size_t flush_at(void)
{
	const char *v = getenv("TL_ENTITIES_FLUSH_AT");
	long n = v ? strtol(v, NULL, 10) : 0;
	return n > 0 ? (size_t)n : FLUSH_AT;
}

/* What a field holds, which decides the rule applied to its text. */
enum kind { K_USER, K_HOST, K_IP, K_DOMAIN, K_URL, K_FILE, K_PROCESS, K_HASH, K_RESOURCE, K_ARNS };

static const struct {
	enum tl_field_id field;
	enum kind kind;
} field_kinds[] = {
	{ TL_F_user, K_USER },		 { TL_F_target_user, K_USER },	 { TL_F_host, K_HOST },
	{ TL_F_src_host, K_HOST },	 { TL_F_dst_host, K_HOST },	 { TL_F_src_ip, K_IP },
	{ TL_F_dst_ip, K_IP },		 { TL_F_src_nat_ip, K_IP },	 { TL_F_dst_nat_ip, K_IP },
	{ TL_F_domain, K_DOMAIN },	 { TL_F_url, K_URL },		 { TL_F_file, K_FILE },
	{ TL_F_file_name, K_FILE },	 { TL_F_process, K_PROCESS },	 { TL_F_parent_process, K_PROCESS },
	{ TL_F_file_hash, K_HASH },
};
#define N_FIELDS (sizeof(field_kinds) / sizeof(field_kinds[0]))
/* file_name is the base name of file: an entity of its own only without file */
#define SLOT_FILE 11
#define SLOT_FILE_NAME 12

/* Cloud resources, from the audit formats' extra (keys as the formats leave
 * them): CloudTrail's resources[].ARN and S3 bucket, Azure's resourceId,
 * GCP's resourceName, GitHub's repo, Microsoft 365's ObjectId. */
static const struct {
	const char *key;
	enum kind kind;
	const char *prefix; /* put before the value to make it a name of its own */
} extra_kinds[] = {
	{ "resources", K_ARNS, NULL },
	{ "requestParameters.bucketName", K_RESOURCE, "arn:aws:s3:::" },
	{ "resourceId", K_RESOURCE, NULL },
	{ "protoPayload.resourceName", K_RESOURCE, NULL },
	{ "repo", K_RESOURCE, "github:" },
	{ "ObjectId", K_RESOURCE, NULL },
};
#define N_EXTRA (sizeof(extra_kinds) / sizeof(extra_kinds[0]))

/* ---- a string-keyed hash map (key bytes -> int32 index) ---------------------- */

struct slot {
	char *key;
	size_t len;
	uint64_t h;
	int32_t val;
};
struct map {
	struct slot *s;
	size_t cap, n;
};

static uint64_t hash_more(uint64_t h, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
	return h;
}

static uint64_t hash(const char *p, size_t n)
{
	uint64_t h = hash_more(1469598103934665603ull, p, n);
	return h ^ (h >> 29);
}

/* hash() of the key "K" followed by V, without building it */
static uint64_t hash_kv(char k, const char *v, size_t n)
{
	uint64_t h = hash_more(1469598103934665603ull, &k, 1);
	h = hash_more(h, v, n);
	return h ^ (h >> 29);
}

static struct slot *map_find(struct map *m, const char *key, size_t len, uint64_t h)
{
	size_t mask = m->cap - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct slot *s = &m->s[i];
		if (!s->key || (s->h == h && s->len == len && !memcmp(s->key, key, len)))
			return s;
	}
}

/* map_find for the key "K" followed by V (the hot path: no copy). */
static struct slot *map_find_kv(struct map *m, char k, const char *v, size_t n, uint64_t h)
{
	if (!m->cap)
		return NULL;
	size_t mask = m->cap - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct slot *s = &m->s[i];
		if (!s->key || (s->h == h && s->len == n + 1 && s->key[0] == k && !memcmp(s->key + 1, v, n)))
			return s;
	}
}

/* The slot for KEY: found (key set) or empty, to be filled by map_put. */
static struct slot *map_get(struct map *m, const char *key, size_t len, uint64_t h)
{
	if (!m->cap)
		return NULL;
	return map_find(m, key, len, h);
}

static int map_put(struct map *m, const char *key, size_t len, uint64_t h, int32_t val)
{
	if (m->n >= DISTINCT_MAX)
		return -1;
	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 1024;
		struct slot *old = m->s;
		size_t ocap = m->cap;
		if (!(m->s = calloc(cap, sizeof(*m->s)))) {
			m->s = old;
			return -1;
		}
		m->cap = cap;
		for (size_t i = 0; i < ocap; i++)
			if (old[i].key)
				*map_find(m, old[i].key, old[i].len, old[i].h) = old[i];
		free(old);
	}
	struct slot *s = map_find(m, key, len, h);
	if (!(s->key = malloc(len + 1)))
		return -1;
	memcpy(s->key, key, len);
	s->key[len] = 0;
	s->len = len;
	s->h = h;
	s->val = val;
	m->n++;
	return 0;
}

static void map_release(struct map *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->s[i].key);
	free(m->s);
	memset(m, 0, sizeof(*m));
}

/* ---- the count ----------------------------------------------------------------- */

struct ent {
	enum tl_entity_type type;
	char *value;       /* points into the entity map's key, after the type byte */
	char *registrable; /* owned */
	int64_t events;
	tl_us first, last;
	uint64_t row; /* the last event counted, so one event counts once */
};

struct alias {
	int32_t ent;
	char *text; /* owned */
	int64_t events;
	uint64_t row;
};

/* What one raw value of one kind gave: up to 3 (entity, alias) pairs
 * (a user e-mail spelling: the user and the e-mail; a URL: it and its host). */
struct raw {
	int n;
	int32_t ent[3], alias[3];
};

struct count {
	const struct tl_config *cfg;
	struct tl_store_entities *w; /* where counts are flushed */
	struct tl_entities_early *early; /* counting beside the index build: W is opened late */
	size_t flush_at;
	struct map raws, ents, aliases;
	struct raw *rv;
	size_t n_rv, cap_rv;
	struct ent *ev;
	size_t n_ev, cap_ev;
	struct alias *av;
	size_t n_av, cap_av;
	uint64_t row;
	struct tl_buf key;
	/* per field, the last short value and what it gave: neighbouring events
	 * repeat their client, server and user far more often than chance */
	struct {
		char text[120];
		size_t len;
		int32_t raw;
	} memo[N_FIELDS + N_EXTRA];
};

/* The entity (T, VALUE), made on first sight: its index, or -1. */
static int32_t entity(struct count *c, enum tl_entity_type t, const char *value)
{
	tl_buf_reset(&c->key);
	tl_buf_addc(&c->key, (char)('a' + t));
	tl_buf_adds(&c->key, value);
	if (!c->key.data)
		return -1;
	uint64_t h = hash(c->key.data, c->key.len);
	struct slot *s = map_get(&c->ents, c->key.data, c->key.len, h);
	if (s && s->key)
		return s->val;
	struct ent *ev = tl_grow(c->ev, &c->cap_ev, c->n_ev + 1, sizeof(*ev), 256);
	if (!ev)
		return -1;
	c->ev = ev;
	if (map_put(&c->ents, c->key.data, c->key.len, h, (int32_t)c->n_ev))
		return -1;
	s = map_get(&c->ents, c->key.data, c->key.len, h);
	struct ent *e = &c->ev[c->n_ev];
	memset(e, 0, sizeof(*e));
	e->type = t;
	e->value = s->key + 1;
	e->row = UINT64_MAX;
	if (t == TL_ENT_DOMAIN)
		tl_entity_registrable(value, &e->registrable);
	return (int32_t)c->n_ev++;
}

/* ALIAS of entity ENT unless it is the canonical value itself: its index,
 * -1 for none, -2 on error. */
static int32_t alias_of(struct count *c, int32_t ent, const char *alias)
{
	if (!strcmp(alias, c->ev[ent].value))
		return -1;
	tl_buf_reset(&c->key);
	tl_buf_add(&c->key, &ent, sizeof(ent));
	tl_buf_adds(&c->key, alias);
	if (!c->key.data)
		return -2;
	uint64_t h = hash(c->key.data, c->key.len);
	struct slot *s = map_get(&c->aliases, c->key.data, c->key.len, h);
	if (s && s->key)
		return s->val;
	struct alias *av = tl_grow(c->av, &c->cap_av, c->n_av + 1, sizeof(*av), 256);
	if (!av)
		return -2;
	c->av = av;
	if (map_put(&c->aliases, c->key.data, c->key.len, h, (int32_t)c->n_av))
		return -2;
	struct alias *a = &c->av[c->n_av];
	a->ent = ent;
	a->events = 0;
	a->row = UINT64_MAX;
	if (!(a->text = strdup(alias)))
		return -2;
	return (int32_t)c->n_av++;
}

static int add_pair(struct count *c, struct raw *r, enum tl_entity_type t, const char *canon, const char *alias)
{
	int32_t e = entity(c, t, canon);
	if (e < 0)
		return -1;
	int32_t a = alias ? alias_of(c, e, alias) : -1;
	if (a == -2)
		return -1;
	r->ent[r->n] = e;
	r->alias[r->n] = a;
	r->n++;
	return 0;
}

static int ieq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		int x = (unsigned char)*a, y = (unsigned char)*b;
		if ((x >= 'A' && x <= 'Z' ? x + 32 : x) != (y >= 'A' && y <= 'Z' ? y + 32 : y))
			return 0;
	}
	return *a == *b;
}

/* The identity a configured alias spelling names, or NULL. */
static const char *configured(const struct tl_config *cfg, const char *spelling)
{
	for (size_t i = 0; cfg && i < cfg->n_aliases; i++) {
		if (ieq(cfg->aliases[i].canonical, spelling))
			return cfg->aliases[i].canonical;
		for (size_t k = 0; k < cfg->aliases[i].n; k++)
			if (ieq(cfg->aliases[i].names[k], spelling))
				return cfg->aliases[i].canonical;
	}
	return NULL;
}

int tl_entities_user_identity(const struct tl_config *cfg, const char *value, char **out, struct tl_err *err)
{
	*out = NULL;
	char *canon;
	const char *id = NULL;
	/* the spelling as written first: "ACME\mei.chen" may be configured
	 * while "OTHER\mei.chen" is someone else */
	while (*value == ' ' || *value == '\t')
		value++;
	char *trim = strdup(value);
	if (!trim)
		return tl_errf(err, "out of memory");
	size_t n = strlen(trim);
	while (n && (trim[n - 1] == ' ' || trim[n - 1] == '\t'))
		trim[--n] = 0;
	id = configured(cfg, trim);
	free(trim);
	if (!id) {
		if (tl_entity_canon(TL_ENT_USER, value, &canon, err))
			return -1;
		id = configured(cfg, canon);
		if (!id) {
			*out = canon;
			return 0;
		}
		free(canon);
	}
	/* the configured identity is a user name too, by the same rule */
	return tl_entity_canon(TL_ENT_USER, id, out, err);
}

/* What raw value V of kind K names, into R. 0, or -1 on error (a value that
 * is no entity gives R->n == 0 and 0). */
static int resolve(struct count *c, enum kind k, const char *v, struct raw *r)
{
	char *canon = NULL, *other = NULL;
	struct tl_err e;
	int rc = 0;
	r->n = 0;
	switch (k) {
	case K_USER:
		if (tl_entities_user_identity(c->cfg, v, &canon, &e) == 0) {
			rc = add_pair(c, r, TL_ENT_USER, canon, v);
			/* a UPN or e-mail spelling is also the address itself */
			if (!rc && strchr(v, '@') && !strchr(v, '\\') && tl_entity_canon(TL_ENT_EMAIL, v, &other, &e) == 0)
				rc = add_pair(c, r, TL_ENT_EMAIL, other, v);
		}
		break;
	case K_HOST:
	case K_DOMAIN:
		if (tl_entity_is_ip(v)) {
			if (tl_entity_canon(TL_ENT_IP, v, &canon, &e) == 0)
				rc = add_pair(c, r, TL_ENT_IP, canon, v);
		} else if (tl_entity_canon(k == K_HOST ? TL_ENT_HOST : TL_ENT_DOMAIN, v, &canon, &e) == 0) {
			rc = add_pair(c, r, k == K_HOST ? TL_ENT_HOST : TL_ENT_DOMAIN, canon, v);
		}
		break;
	case K_IP:
		if (tl_entity_canon(TL_ENT_IP, v, &canon, &e) == 0)
			rc = add_pair(c, r, TL_ENT_IP, canon, v);
		break;
	case K_URL:
		/* V is the URL up to the end of its authority (url_key): the URL
		 * itself is no counted entity (docs/correlation.md#entities), the
		 * domain or address it names is */
		if (tl_entity_canon(TL_ENT_URL, v, &canon, &e) == 0) {
			char *host = NULL;
			if (tl_entity_url_host(v, &host) == 0) {
				enum tl_entity_type t = tl_entity_is_ip(host) ? TL_ENT_IP : TL_ENT_DOMAIN;
				if (tl_entity_canon(t, host, &other, &e) == 0)
					rc = add_pair(c, r, t, other, NULL);
			}
			free(host);
		}
		break;
	case K_FILE:
	case K_PROCESS:
	case K_HASH:
	case K_RESOURCE: {
		static const enum tl_entity_type t[] = { [K_FILE] = TL_ENT_FILE, [K_PROCESS] = TL_ENT_PROCESS,
							 [K_HASH] = TL_ENT_HASH, [K_RESOURCE] = TL_ENT_RESOURCE };
		if (tl_entity_canon(t[k], v, &canon, &e) == 0)
			rc = add_pair(c, r, t[k], canon, v);
		break;
	}
	case K_ARNS: {
		/* a JSON array of objects with "ARN": read the ARNs, nothing else */
		const char *p = v;
		while (r->n < 3 && (p = strstr(p, "\"ARN\":\""))) {
			p += 7;
			size_t n = strcspn(p, "\"\\");
			if (p[n] != '"')
				break;
			free(canon);
			canon = strndup(p, n);
			char *arn = NULL;
			if (canon && tl_entity_canon(TL_ENT_RESOURCE, canon, &arn, &e) == 0) {
				rc = add_pair(c, r, TL_ENT_RESOURCE, arn, NULL);
				free(arn);
			}
			p += n;
			if (rc)
				break;
		}
		break;
	}
	}
	free(canon);
	free(other);
	return rc;
}

static void touch(struct count *c, int32_t e, int32_t a, tl_us ts)
{
	struct ent *en = &c->ev[e];
	if (en->row != c->row) {
		en->row = c->row;
		if (!en->events || ts < en->first)
			en->first = ts;
		if (!en->events || ts > en->last)
			en->last = ts;
		en->events++;
	}
	if (a >= 0 && c->av[a].row != c->row) {
		c->av[a].row = c->row;
		c->av[a].events++;
	}
}

/* The first N bytes of V are the value counted (the whole of it but for a URL). */
static int count_value(struct count *c, size_t slot, enum kind k, const char *v, size_t n, const char *prefix,
		       tl_us ts, struct tl_err *err)
{
	if (c->memo[slot].len == n && n < sizeof(c->memo[slot].text) && !memcmp(c->memo[slot].text, v, n)) {
		const struct raw *r = &c->rv[c->memo[slot].raw];
		for (int i = 0; i < r->n; i++)
			touch(c, r->ent[i], r->alias[i], ts);
		return 0;
	}
	char kc = (char)('a' + k);
	uint64_t h = hash_kv(kc, v, n);
	struct slot *s = map_find_kv(&c->raws, kc, v, n, h);
	if (!s || !s->key) {
		/* canonicalize once per distinct value */
		char *keep = malloc(n + 2), *full = NULL;
		struct raw *rv = keep ? tl_grow(c->rv, &c->cap_rv, c->n_rv + 1, sizeof(*rv), 256) : NULL;
		if (!rv) {
			free(keep);
			return tl_errf(err, "out of memory");
		}
		c->rv = rv;
		keep[0] = kc;
		memcpy(keep + 1, v, n);
		keep[n + 1] = 0;
		if (prefix) {
			size_t len = strlen(prefix) + n + 1;
			if (!(full = malloc(len))) {
				free(keep);
				return tl_errf(err, "out of memory");
			}
			snprintf(full, len, "%s%s", prefix, keep + 1);
		}
		struct raw r;
		int rc = resolve(c, k, full ? full : keep + 1, &r);
		free(full);
		if (rc || map_put(&c->raws, keep, n + 1, h, (int32_t)c->n_rv)) {
			free(keep);
			return tl_errf(err, "entities: out of memory (more than %u distinct values?)", DISTINCT_MAX);
		}
		free(keep);
		c->rv[c->n_rv] = r;
		s = map_find_kv(&c->raws, kc, v, n, h);
		if (!s || !s->key)
			return tl_errf(err, "entities: lost a value");
		s->val = (int32_t)c->n_rv++;
	}
	const struct raw *r = &c->rv[s->val];
	for (int i = 0; i < r->n; i++)
		touch(c, r->ent[i], r->alias[i], ts);
	if (n < sizeof(c->memo[slot].text)) {
		memcpy(c->memo[slot].text, v, n);
		c->memo[slot].len = n;
		c->memo[slot].raw = s->val;
	}
	return 0;
}

/* What of URL V (N bytes) decides what it names: the scheme and the
 * authority. Keyed by that, the URLs of one site are resolved once, not once
 * per path and query string (nearly every URL of a proxy log is its own). */
static size_t url_key(const char *v, size_t n)
{
	const char *sep = strstr(v, "://");
	/* without a scheme only a CONNECT authority names a host: all of it decides */
	if (!sep)
		return n;
	const char *auth = sep + 3;
	return (size_t)(auth - v) + strcspn(auth, "/?#");
}

static int write_counts(struct tl_store_entities *w, struct count *c, struct tl_err *err);
static void count_release(struct count *c);
static int open_late(struct count *c, struct tl_err *err);

/* The counts so far into the store, and every table emptied. */
static int count_flush(struct count *c, struct tl_err *err)
{
	if ((!c->w && open_late(c, err)) || write_counts(c->w, c, err))
		return -1;
	struct count fresh;
	memset(&fresh, 0, sizeof(fresh));
	fresh.cfg = c->cfg;
	fresh.w = c->w;
	fresh.early = c->early;
	fresh.flush_at = c->flush_at;
	fresh.row = c->row;
	fresh.key = c->key; /* the scratch buffer is kept */
	c->key = (struct tl_buf)TL_BUF_INIT;
	count_release(c);
	*c = fresh;
	for (size_t i = 0; i < N_FIELDS + N_EXTRA; i++)
		c->memo[i].len = SIZE_MAX; /* matches nothing */
	return 0;
}

static int count_row(void *ctx, const struct tl_entity_source_row *row, struct tl_err *err)
{
	struct count *c = ctx;
	if ((c->n_ev >= c->flush_at || c->n_av >= c->flush_at || c->n_rv >= c->flush_at) && count_flush(c, err))
		return -1;
	c->row++;

	for (size_t i = 0; i < N_FIELDS; i++) {
		const char *v = row->v[i];
		if (!v || (i == SLOT_FILE_NAME && row->v[SLOT_FILE]))
			continue;
		size_t n = strlen(v);
		/* longer than any name the rules accept: not an entity, not cached */
		if (n > 4096)
			continue;
		if (field_kinds[i].kind == K_URL)
			n = url_key(v, n);
		if (count_value(c, i, field_kinds[i].kind, v, n, NULL, row->ts, err))
			return -1;
	}
	for (size_t i = 0; i < N_EXTRA; i++) {
		const char *v = row->v[N_FIELDS + i];
		size_t n = v ? strlen(v) : 0;
		if (v && n <= 4096 &&
		    count_value(c, N_FIELDS + i, extra_kinds[i].kind, v, n, extra_kinds[i].prefix, row->ts, err))
			return -1;
	}
	return 0;
}

/* The configured aliases as the counts depend on them: identity, names, in
 * file order (the first identity to claim a spelling gets it). */
static void config_digest(const struct tl_config *cfg, char out[65])
{
	struct tl_buf b = TL_BUF_INIT;
	tl_buf_adds(&b, "entities-v1\n");
	for (size_t i = 0; cfg && i < cfg->n_aliases; i++) {
		tl_json_put_str(&b, cfg->aliases[i].canonical);
		for (size_t k = 0; k < cfg->aliases[i].n; k++) {
			tl_buf_addc(&b, ' ');
			tl_json_put_str(&b, cfg->aliases[i].names[k]);
		}
		tl_buf_addc(&b, '\n');
	}
	tl_sha256_hex(b.data ? b.data : "", b.len, out);
	tl_buf_release(&b);
}

static int row_cmp(const void *a, const void *b)
{
	const struct tl_entity_count *x = a, *y = b;
	/* the type names are tl_entity_type_name()'s: equal names, equal pointers */
	int t = x->type == y->type ? 0 : strcmp(x->type, y->type);
	return t ? t : strcmp(x->value, y->value);
}

static int write_counts(struct tl_store_entities *w, struct count *c, struct tl_err *err)
{
	/* in the order first seen: the same evidence gives the same entity ids */
	struct tl_entity_count *rows = malloc((c->n_ev ? c->n_ev : 1) * sizeof(*rows));
	if (!rows)
		return tl_errf(err, "out of memory");
	size_t n = 0;
	for (size_t i = 0; i < c->n_ev; i++) {
		const struct ent *e = &c->ev[i];
		if (e->events)
			rows[n++] = (struct tl_entity_count){ tl_entity_type_name(e->type), e->value, e->registrable,
							      e->events, e->first, e->last };
	}
	qsort(rows, n, sizeof(*rows), row_cmp);
	int rc = tl_store_entities_put(w, rows, n, err);
	free(rows);
	for (size_t i = 0; i < c->n_av && !rc; i++) {
		const struct alias *a = &c->av[i];
		const struct ent *e = &c->ev[a->ent];
		if (a->events)
			rc = tl_store_entities_alias(w, tl_entity_type_name(e->type), e->value, a->text, "seen", a->events,
						     err);
	}
	return rc;
}

static int write_config(struct tl_store_entities *w, const struct tl_config *cfg, struct tl_err *err)
{
	for (size_t i = 0; cfg && i < cfg->n_aliases; i++) {
		char *id;
		struct tl_err e;
		/* an identity that is no user name ("-") cannot be pivoted on: skipped */
		if (tl_entity_canon(TL_ENT_USER, cfg->aliases[i].canonical, &id, &e))
			continue;
		struct tl_entity_count row = { "user", id, NULL, 0, 0, 0 };
		int rc = tl_store_entities_put(w, &row, 1, err);
		for (size_t k = 0; k < cfg->aliases[i].n && !rc; k++)
			if (strcmp(cfg->aliases[i].names[k], id))
				rc = tl_store_entities_alias(w, "user", id, cfg->aliases[i].names[k], "config", 0, err);
		free(id);
		if (rc)
			return -1;
	}
	return 0;
}

static void count_release(struct count *c)
{
	for (size_t i = 0; i < c->n_ev; i++)
		free(c->ev[i].registrable);
	for (size_t i = 0; i < c->n_av; i++)
		free(c->av[i].text);
	free(c->ev);
	free(c->av);
	free(c->rv);
	map_release(&c->raws);
	map_release(&c->ents);
	map_release(&c->aliases);
	tl_buf_release(&c->key);
}

static void count_init(struct count *c, const struct tl_config *cfg, struct tl_store_entities *w)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < N_FIELDS + N_EXTRA; i++)
		c->memo[i].len = SIZE_MAX; /* matches nothing */
	c->cfg = cfg;
	c->w = w;
	c->flush_at = flush_at();
	c->key.max = 1u << 20;
}

/* What the refresh reads of each event (FIELDS and KEYS are filled). */
static struct tl_entity_source_query source_query(enum tl_field_id fields[N_FIELDS], const char *keys[N_EXTRA])
{
	for (size_t i = 0; i < N_FIELDS; i++)
		fields[i] = field_kinds[i].field;
	for (size_t i = 0; i < N_EXTRA; i++)
		keys[i] = extra_kinds[i].key;
	return (struct tl_entity_source_query){ fields, N_FIELDS, keys, N_EXTRA, "audit" };
}

int tl_entities_refresh(struct tl_store *s, const struct tl_config *cfg, struct tl_err *err)
{
	char digest[65];
	int rebuilt;
	config_digest(cfg, digest);
	struct tl_store_entities *w = tl_store_entities_open(s, digest, &rebuilt, err);
	if (!w)
		return -1;
	struct count c;
	count_init(&c, cfg, w);
	enum tl_field_id fields[N_FIELDS];
	const char *keys[N_EXTRA];
	struct tl_entity_source_query q = source_query(fields, keys);
	int rc = tl_store_entities_scan(w, &q, count_row, &c, err);
	if (!rc)
		rc = write_counts(w, &c, err);
	if (!rc)
		rc = write_config(w, cfg, err);
	count_release(&c);
	if (tl_store_entities_close(w, !rc, rc ? NULL : err))
		rc = -1;
	return rc;
}

/* ---- the refresh beside the index build ------------------------------------------ */

/* tl_entities_refresh_start(): the counting runs in a thread of its own on
 * the store's reader connection while the caller's connection builds the
 * indexes; the first write (a flush at FLUSH_AT, else the final one) waits
 * at GATE until the caller hands its connection over. */
struct tl_entities_early {
	struct tl_store *s;
	const struct tl_config *cfg;
	char digest[65];
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int gate;    /* 0: the caller holds the connection; 1: write; -1: give up */
	int rc;      /* the thread's result: 0, -1 (err), 1 (nothing done: no reader) */
	int rebuilt; /* what the early reads found, which the open must find too */
	struct tl_err err;
};

/* The refresh opened at the first write, once the caller allows it. */
static int open_late(struct count *c, struct tl_err *err)
{
	struct tl_entities_early *e = c->early;
	if (!e)
		return tl_errf(err, "entities: no refresh open");
	pthread_mutex_lock(&e->mu);
	while (!e->gate)
		pthread_cond_wait(&e->cv, &e->mu);
	int go = e->gate > 0;
	pthread_mutex_unlock(&e->mu);
	if (!go)
		return tl_errf(err, "entities: not counted (the ingest stopped)");
	int rebuilt;
	if (!(c->w = tl_store_entities_open(e->s, e->digest, &rebuilt, err)))
		return -1;
	/* only the index build ran in between: a difference is a bug, not evidence */
	return rebuilt == e->rebuilt ? 0 : tl_errf(err, "entities: the case changed while they were counted");
}

static void *early_run(void *arg)
{
	struct tl_entities_early *e = arg;
	struct count c;
	count_init(&c, e->cfg, NULL);
	c.early = e;
	enum tl_field_id fields[N_FIELDS];
	const char *keys[N_EXTRA];
	struct tl_entity_source_query q = source_query(fields, keys);
	int rc = tl_store_entities_scan_early(e->s, e->digest, &e->rebuilt, &q, count_row, &c, &e->err);
	if (!rc && !c.w)
		rc = open_late(&c, &e->err);
	if (!rc)
		rc = write_counts(c.w, &c, &e->err);
	if (!rc)
		rc = write_config(c.w, e->cfg, &e->err);
	count_release(&c);
	if (c.w && tl_store_entities_close(c.w, !rc, rc ? NULL : &e->err))
		rc = -1;
	e->rc = rc;
	return NULL;
}

struct tl_entities_early *tl_entities_refresh_start(struct tl_store *s, const struct tl_config *cfg)
{
	struct tl_entities_early *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->s = s;
	e->cfg = cfg;
	config_digest(cfg, e->digest);
	pthread_mutex_init(&e->mu, NULL);
	pthread_cond_init(&e->cv, NULL);
	if (pthread_create(&e->th, NULL, early_run, e) != 0) {
		pthread_mutex_destroy(&e->mu);
		pthread_cond_destroy(&e->cv);
		free(e);
		return NULL;
	}
	return e;
}

int tl_entities_refresh_finish(struct tl_entities_early *e, int write, struct tl_err *err)
{
	pthread_mutex_lock(&e->mu);
	e->gate = write ? 1 : -1;
	pthread_cond_broadcast(&e->cv);
	pthread_mutex_unlock(&e->mu);
	pthread_join(e->th, NULL);
	int rc = e->rc;
	if (rc < 0)
		tl_errf(err, "%s", e->err.msg);
	pthread_mutex_destroy(&e->mu);
	pthread_cond_destroy(&e->cv);
	free(e);
	return rc;
}

/* ---- url entities, read from the events ----------------------------------------- */

static int url_canon(const char *raw, char **out)
{
	struct tl_err e;
	return tl_entity_canon(TL_ENT_URL, raw, out, &e) ? -1 : 0;
}

/* Spellings kept per URL entity: past this many the rest are left out. */
#define URL_ALIASES_MAX 1000

/* The spellings of URL CANON (raw values equal to it by the url rule). */
struct url_spellings {
	const char *canon;
	struct tl_strlist *out;
};

static int url_spelling(void *ctx, const struct tl_url_rec *r, struct tl_err *err)
{
	struct url_spellings *u = ctx;
	if (strcmp(r->canon, u->canon) || !strcmp(r->raw, u->canon))
		return 0;
	return tl_strlist_add(u->out, r->raw) ? tl_errf(err, "out of memory") : 0;
}

/* ---- pivots -------------------------------------------------------------------- */

static int pivot_add(struct tl_entity_pivots *p, const char *type, const char *value, struct tl_err *err)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->v[i].type, type) && !strcmp(p->v[i].value, value))
			return 0;
	if (p->n >= TL_PIVOTS_MAX)
		return tl_errf(err, "--entity: more than %d spellings to look for", TL_PIVOTS_MAX);
	if (p->n % 64 == 0) {
		struct tl_entity *v = realloc(p->v, (p->n + 64) * sizeof(*v));
		if (!v)
			return tl_errf(err, "out of memory");
		p->v = v;
	}
	/* the strings live in p->text: pointers into it stay valid as it grows */
	if (tl_strlist_add(&p->text, value))
		return tl_errf(err, "out of memory");
	p->v[p->n].type = type;
	p->v[p->n].value = p->text.v[p->text.n - 1];
	p->n++;
	return 0;
}

int tl_entities_expand(struct tl_store *s, const struct tl_config *cfg, const struct tl_entity *in, size_t n,
		       struct tl_entity_pivots *out, struct tl_err *err)
{
	for (size_t i = 0; i < n; i++) {
		const char *type = in[i].type, *value = in[i].value;
		if (pivot_add(out, type, value, err))
			return -1;
		enum tl_entity_type t;
		char *canon = NULL;
		struct tl_err e;
		/* an address block, a type the rules do not know, a value that is
		 * no entity: looked for as given */
		if (tl_entity_type_parse(type, &t) || (t == TL_ENT_IP && strchr(value, '/')))
			continue;
		if (t == TL_ENT_USER ? tl_entities_user_identity(cfg, value, &canon, &e)
				     : tl_entity_canon(t, value, &canon, &e))
			continue;
		struct tl_strlist names = TL_STRLIST_INIT;
		int rc = pivot_add(out, type, canon, err);
		if (t == TL_ENT_URL) {
			/* no url entities are kept: the spellings come from the events */
			struct url_spellings u = { canon, &names };
			if (!rc && tl_store_urls_each(s, url_canon, canon, url_spelling, &u, err))
				rc = -1;
		} else if (!rc && tl_store_entity_aliases(s, type, canon, &names, err) < 0) {
			rc = -1;
		}
		/* the configured names, also when tl.json changed after the last ingest */
		for (size_t a = 0; !rc && t == TL_ENT_USER && cfg && a < cfg->n_aliases; a++) {
			char *id;
			if (tl_entity_canon(TL_ENT_USER, cfg->aliases[a].canonical, &id, &e))
				continue;
			if (!strcmp(id, canon))
				for (size_t k = 0; k < cfg->aliases[a].n; k++)
					if (tl_strlist_add(&names, cfg->aliases[a].names[k]))
						rc = tl_errf(err, "out of memory");
			free(id);
		}
		for (size_t a = 0; !rc && a < names.n; a++)
			rc = pivot_add(out, type, names.v[a], err);
		tl_strlist_release(&names);
		free(canon);
		if (rc)
			return -1;
	}
	return 0;
}

void tl_entity_pivots_release(struct tl_entity_pivots *p)
{
	free(p->v);
	tl_strlist_release(&p->text);
	p->v = NULL;
	p->n = 0;
}

/* ---- tl entities ------------------------------------------------------------------ */

struct lister {
	enum tl_entities_format fmt;
	FILE *out;
	pcre2_code *re;
	pcre2_match_data *md;
	struct tl_buf line;
	long n;
};

static int matches(struct lister *l, const char *s)
{
	return s && pcre2_match(l->re, (PCRE2_SPTR)s, strlen(s), 0, 0, l->md, NULL) >= 0;
}

static void csv_cell(struct tl_buf *b, const char *s)
{
	if (!s)
		return;
	if (!strpbrk(s, ",\"\r\n")) {
		tl_buf_adds(b, s);
		return;
	}
	tl_buf_addc(b, '"');
	for (; *s; s++) {
		if (*s == '"')
			tl_buf_addc(b, '"');
		tl_buf_addc(b, *s);
	}
	tl_buf_addc(b, '"');
}

static int list_one(void *ctx, const struct tl_entity_rec *r, struct tl_err *err)
{
	struct lister *l = ctx;
	struct tl_json *al = tl_json_parse("aliases", r->aliases, strlen(r->aliases), err);
	if (!al)
		return -1;
	if (l->re) {
		int hit = matches(l, r->value) || matches(l, r->registrable);
		for (size_t i = 0; !hit && al->type == TL_JSON_ARRAY && i < al->n; i++) {
			const struct tl_json *a = tl_json_get(al->kids[i], "alias");
			hit = a && a->type == TL_JSON_STRING && matches(l, a->str);
		}
		if (!hit) {
			tl_json_free(al);
			return 0;
		}
	}
	char first[40] = "", last[40] = "";
	if (r->has_span) {
		tl_time_format_iso(r->first_ts, first, sizeof(first));
		tl_time_format_iso(r->last_ts, last, sizeof(last));
	}
	struct tl_buf *b = &l->line;
	tl_buf_reset(b);
	size_t na = al->type == TL_JSON_ARRAY ? al->n : 0;
	if (l->fmt == TL_ENTITIES_JSONL) {
		tl_buf_addc(b, '{');
		tl_json_put_key(b, "type", 1);
		tl_json_put_str(b, r->type);
		tl_json_put_key(b, "value", 0);
		tl_json_put_str(b, r->value);
		tl_json_put_key(b, "registrable", 0);
		if (r->registrable)
			tl_json_put_str(b, r->registrable);
		else
			tl_buf_adds(b, "null");
		tl_json_put_key(b, "first_seen", 0);
		r->has_span ? tl_json_put_str(b, first) : tl_buf_adds(b, "null");
		tl_json_put_key(b, "last_seen", 0);
		r->has_span ? tl_json_put_str(b, last) : tl_buf_adds(b, "null");
		tl_json_put_key(b, "events", 0);
		tl_buf_addf(b, "%lld", (long long)r->events);
		tl_json_put_key(b, "aliases", 0);
		tl_buf_addc(b, '[');
		for (size_t i = 0; i < na; i++) {
			const struct tl_json *a = tl_json_get(al->kids[i], "alias"), *src = tl_json_get(al->kids[i], "source"),
					     *ev = tl_json_get(al->kids[i], "events");
			tl_buf_adds(b, i ? ",{" : "{");
			tl_json_put_key(b, "alias", 1);
			tl_json_put_str(b, a ? a->str : "");
			tl_json_put_key(b, "source", 0);
			tl_json_put_str(b, src ? src->str : "");
			tl_json_put_key(b, "events", 0);
			tl_buf_adds(b, ev && ev->type == TL_JSON_NUMBER ? ev->str : "0");
			tl_buf_addc(b, '}');
		}
		tl_buf_adds(b, "]}\n");
	} else if (l->fmt == TL_ENTITIES_CSV) {
		if (!l->n)
			fputs("type,value,registrable,first_seen,last_seen,events,aliases\n", l->out);
		csv_cell(b, r->type);
		tl_buf_addc(b, ',');
		csv_cell(b, r->value);
		tl_buf_addc(b, ',');
		csv_cell(b, r->registrable);
		tl_buf_addf(b, ",%s,%s,%lld,", first, last, (long long)r->events);
		/* the aliases as a JSON array of strings: lossless in one cell */
		struct tl_buf arr = TL_BUF_INIT;
		tl_buf_addc(&arr, '[');
		for (size_t i = 0; i < na; i++) {
			const struct tl_json *a = tl_json_get(al->kids[i], "alias");
			if (i)
				tl_buf_addc(&arr, ',');
			tl_json_put_str(&arr, a ? a->str : "");
		}
		tl_buf_addc(&arr, ']');
		csv_cell(b, arr.data);
		tl_buf_release(&arr);
		tl_buf_addc(b, '\n');
	} else {
		if (!l->n)
			fputs("type\tvalue\tregistrable\tfirst_seen\tlast_seen\tevents\taliases\n", l->out);
		tl_term_escape(b, r->type, strlen(r->type));
		tl_buf_addc(b, '\t');
		tl_term_escape(b, r->value, strlen(r->value));
		tl_buf_addc(b, '\t');
		if (r->registrable)
			tl_term_escape(b, r->registrable, strlen(r->registrable));
		else
			tl_buf_addc(b, '-');
		tl_buf_addf(b, "\t%s\t%s\t%lld\t", r->has_span ? first : "-", r->has_span ? last : "-",
			    (long long)r->events);
		if (!na)
			tl_buf_addc(b, '-');
		for (size_t i = 0; i < na; i++) {
			const struct tl_json *a = tl_json_get(al->kids[i], "alias"), *src = tl_json_get(al->kids[i], "source"),
					     *ev = tl_json_get(al->kids[i], "events");
			if (i)
				tl_buf_adds(b, ", ");
			if (a)
				tl_term_escape(b, a->str, a->len);
			const char *count = ev && ev->type == TL_JSON_NUMBER ? ev->str : "0";
			if (src && !strcmp(src->str, "config"))
				tl_buf_addf(b, strcmp(count, "0") ? " (%s, config)" : " (config)", count);
			else
				tl_buf_addf(b, " (%s)", count);
		}
		tl_buf_addc(b, '\n');
	}
	tl_json_free(al);
	if (!b->data)
		return tl_errf(err, "out of memory");
	if (fwrite(b->data, 1, b->len, l->out) != b->len)
		return tl_errf(err, "cannot write the entities");
	l->n++;
	return 0;
}

/* One URL entity at a time, from the (canonical, raw) ordered url values. */
struct url_group {
	struct lister *l;
	char *canon;
	int64_t events;
	tl_us first, last;
	struct tl_buf aliases; /* the JSON array of tl_entity_rec, without its brackets */
	size_t n_aliases;
};

static int url_flush(struct url_group *g, struct tl_err *err)
{
	if (!g->canon)
		return 0;
	char *host = NULL, *dom = NULL, *reg = NULL;
	struct tl_err e;
	/* a URL's registrable domain is its host's */
	if (tl_entity_url_host(g->canon, &host) == 0 && !tl_entity_is_ip(host) &&
	    tl_entity_canon(TL_ENT_DOMAIN, host, &dom, &e) == 0)
		tl_entity_registrable(dom, &reg);
	struct tl_buf arr = TL_BUF_INIT;
	tl_buf_addc(&arr, '[');
	if (g->aliases.len)
		tl_buf_add(&arr, g->aliases.data, g->aliases.len);
	tl_buf_addc(&arr, ']');
	struct tl_entity_rec r = { "url", g->canon, reg, g->events, 1, g->first, g->last, arr.data };
	int rc = arr.data ? list_one(g->l, &r, err) : tl_errf(err, "out of memory");
	tl_buf_release(&arr);
	free(host);
	free(dom);
	free(reg);
	free(g->canon);
	g->canon = NULL;
	tl_buf_reset(&g->aliases);
	g->n_aliases = 0;
	return rc;
}

static int url_row(void *ctx, const struct tl_url_rec *r, struct tl_err *err)
{
	struct url_group *g = ctx;
	if (!g->canon || strcmp(g->canon, r->canon)) {
		if (url_flush(g, err))
			return -1;
		if (!(g->canon = strdup(r->canon)))
			return tl_errf(err, "out of memory");
		g->events = 0;
		g->first = r->first_ts;
		g->last = r->last_ts;
	}
	g->events += r->events;
	if (r->first_ts < g->first)
		g->first = r->first_ts;
	if (r->last_ts > g->last)
		g->last = r->last_ts;
	if (strcmp(r->raw, r->canon) && g->n_aliases < URL_ALIASES_MAX) {
		if (g->n_aliases++)
			tl_buf_addc(&g->aliases, ',');
		tl_buf_adds(&g->aliases, "{\"alias\":");
		tl_json_put_str(&g->aliases, r->raw);
		tl_buf_addf(&g->aliases, ",\"source\":\"seen\",\"events\":%lld}", (long long)r->events);
		if (!g->aliases.data)
			return tl_errf(err, "out of memory");
	}
	return 0;
}

static int urls_write(struct tl_store *s, struct lister *l, struct tl_err *err)
{
	struct url_group g;
	memset(&g, 0, sizeof(g));
	g.l = l;
	g.aliases.max = 8u << 20;
	int rc = tl_store_urls_each(s, url_canon, NULL, url_row, &g, err);
	if (!rc)
		rc = url_flush(&g, err);
	free(g.canon);
	tl_buf_release(&g.aliases);
	return rc;
}

int tl_entities_write(struct tl_store *s, const char *type, const char *grep, enum tl_entities_format fmt, FILE *out,
		      long *n, struct tl_err *err)
{
	struct lister l;
	memset(&l, 0, sizeof(l));
	l.fmt = fmt;
	l.out = out;
	l.line.max = 64u << 20;
	if (grep) {
		int code;
		PCRE2_SIZE where;
		l.re = pcre2_compile((PCRE2_SPTR)grep, PCRE2_ZERO_TERMINATED, PCRE2_CASELESS, &code, &where, NULL);
		if (!l.re) {
			PCRE2_UCHAR msg[160];
			pcre2_get_error_message(code, msg, sizeof(msg));
			return tl_errf(err, "--grep: bad pattern at offset %zu: %s", (size_t)where, (char *)msg);
		}
		l.md = pcre2_match_data_create_from_pattern(l.re, NULL);
		if (!l.md) {
			pcre2_code_free(l.re);
			return tl_errf(err, "out of memory");
		}
	}
	/* url entities are read from the events, in their place in type order */
	int rc;
	if (type && !strcmp(type, "url"))
		rc = urls_write(s, &l, err);
	else if (type)
		rc = tl_store_entities_each(s, type, NULL, NULL, list_one, &l, err);
	else if (!(rc = tl_store_entities_each(s, NULL, NULL, "url", list_one, &l, err)) && !(rc = urls_write(s, &l, err)))
		rc = tl_store_entities_each(s, NULL, "url", NULL, list_one, &l, err);
	if (!rc && l.n == 0 && fmt != TL_ENTITIES_JSONL)
		fputs(fmt == TL_ENTITIES_CSV ? "type,value,registrable,first_seen,last_seen,events,aliases\n"
					     : "type\tvalue\tregistrable\tfirst_seen\tlast_seen\tevents\taliases\n",
		      out);
	if (n)
		*n = l.n;
	pcre2_match_data_free(l.md);
	pcre2_code_free(l.re);
	tl_buf_release(&l.line);
	return rc;
}
