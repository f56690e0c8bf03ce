/*
 * The C parser registry (include/tl/registry.h) and the adapter that makes
 * each registered parser a struct tl_format: the same tl_parse_* entry points
 * the declarative engine answers, plus grouping (many records, one event) and
 * parsers that read their file themselves. Not here: any format's knowledge
 * (parsers/FAMILY/NAME.c).
 */
#define _POSIX_C_SOURCE 200809L
#include "tl/registry.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "format-internal.h"
#include "tl/grow.h"
#include "tl/banned.h"

extern const struct tl_c_parser tl_parser_auditd;
extern const struct tl_c_parser tl_parser_evtx;
extern const struct tl_c_parser tl_parser_openvpn_ipp;
extern const struct tl_c_parser tl_parser_openvpn_status;
extern const struct tl_c_parser tl_parser_windows_dhcp;

/* Sorted by name; tests/unit/test-registry.c checks the order and the rest. */
const struct tl_c_parser *const tl_c_parsers[] = {
	&tl_parser_auditd,
	&tl_parser_evtx,
	&tl_parser_openvpn_ipp,
	&tl_parser_openvpn_status,
	&tl_parser_windows_dhcp,
};
const size_t tl_c_parser_count = sizeof(tl_c_parsers) / sizeof(tl_c_parsers[0]);

static const struct tl_parser_ops c_ops;

struct tl_format *tl_format_from_parser(const struct tl_c_parser *cp, struct tl_err *err)
{
	if (cp->abi != TL_PARSER_ABI || !cp->name || !cp->family || !cp->version || !cp->probe || !cp->parse ||
	    !cp->state_new || !cp->state_free || (cp->open && (!cp->next || !cp->pos))) {
		tl_errf(err, "C parser '%s' is incomplete or built for another ABI", cp->name ? cp->name : "?");
		return NULL;
	}
	struct tl_format *f = calloc(1, sizeof(*f));
	char origin[256], id[256];
	if (!f) {
		tl_errf(err, "out of memory");
		return NULL;
	}
	snprintf(origin, sizeof(origin), "builtin:%s", cp->source ? cp->source : cp->name);
	/* a C parser has no definition text: its identity is name and version */
	snprintf(id, sizeof(id), "c-parser:%s:%s", cp->name, cp->version);
	tl_sha256_hex(id, strlen(id), f->sha256);
	f->cp = cp;
	f->ops = &c_ops;
	f->name = strdup(cp->name);
	f->family = strdup(cp->family);
	f->version = strdup(cp->version);
	f->title = strdup(cp->title ? cp->title : "");
	f->origin = strdup(origin);
	f->framing.kind = TL_FRAME_LINES;
	f->framing.max_record = cp->max_record ? cp->max_record : 64u << 10;
	f->ordered_within_us = cp->ordered_within_us;
	if (!f->name || !f->family || !f->version || !f->title || !f->origin) {
		tl_format_free(f);
		tl_errf(err, "out of memory");
		return NULL;
	}
	return f;
}

int tl_registry_sniff(const struct tl_format *f, const char *head, size_t len)
{
	int s = f->cp->probe(head, len);
	return s < 0 ? 0 : s > 100 ? 100 : s;
}

/* ---- the adapter ---- */

static struct tl_parse *c_new(const struct tl_format *f, struct tl_time_ctx *tctx, struct tl_err *err)
{
	struct tl_parse *p = calloc(1, sizeof(*p));
	if (!p) {
		tl_errf(err, "out of memory");
		return NULL;
	}
	p->f = f;
	p->tctx = tctx;
	p->impl = f->cp->state_new(err);
	if (!p->impl) {
		free(p);
		return NULL;
	}
	return p;
}

static void c_free(struct tl_parse *p)
{
	if (!p)
		return;
	p->f->cp->state_free(p->impl);
	tl_arena_release(&p->arena);
	free(p->extra);
	free(p->index);
	free(p);
}

static void begin_event(struct tl_parse *p, struct tl_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	tl_arena_reset(&p->arena);
	ev->family = p->f->family;
	ev->format = p->f->name;
	ev->parser_version = p->f->version;
	ev->extra = p->extra;
}

static enum tl_parse_status c_parse(struct tl_parse *p, const struct tl_record *rec, struct tl_event *ev,
				    struct tl_err *err)
{
	begin_event(p, ev);
	if (rec->oversize) {
		tl_errf(err, "record of %llu bytes exceeds the %zu-byte limit", (unsigned long long)rec->length,
			p->f->framing.max_record);
		return TL_PARSE_REJECT;
	}
	enum tl_parse_status st = p->f->cp->parse(p->impl, p, rec, ev, err);
	/* a parser that does not group must not claim to */
	if ((st == TL_PARSE_PENDING || st == TL_PARSE_MERGED) && !p->f->cp->flush) {
		tl_errf(err, "%s: parser grouped a record but cannot flush groups", p->f->name);
		return TL_PARSE_REJECT;
	}
	return st;
}

static enum tl_parse_status c_ready(struct tl_parse *p, struct tl_event *ev, struct tl_record *origin,
				    struct tl_err *err)
{
	if (!p->f->cp->flush)
		return TL_PARSE_META;
	begin_event(p, ev);
	return p->f->cp->flush(p->impl, p, p->at_eof, ev, origin, err);
}

static void c_finish(struct tl_parse *p)
{
	p->at_eof = 1;
}

static int c_open(struct tl_parse *p, const char *path, struct tl_err *err)
{
	if (!p->f->cp->open)
		return 0;
	return p->f->cp->open(p->impl, path, err) < 0 ? -1 : 1;
}

static int c_next(struct tl_parse *p, struct tl_record *rec, struct tl_err *err)
{
	return p->f->cp->next(p->impl, rec, err);
}

static uint64_t c_pos(const struct tl_parse *p)
{
	return p->f->cp->pos ? p->f->cp->pos(p->impl) : 0;
}

static const struct tl_parser_ops c_ops = { "c", c_new, c_free, c_parse, c_ready, c_finish, c_open, c_next, c_pos };

/* ---- the generic entry points (a definition has none of these powers) ---- */

int tl_parse_open(struct tl_parse *p, const char *path, struct tl_err *err)
{
	if (!p->f->ops->open)
		return 0;
	/* an archive member is a stream, not a file a library could open */
	if (!path)
		return tl_errf(err, "%s reads whole files itself and cannot read an archive member; extract the archive "
				    "into evidence/ to ingest it",
			       p->f->name);
	return p->f->ops->open(p, path, err);
}

int tl_parse_next(struct tl_parse *p, struct tl_record *rec, struct tl_err *err)
{
	if (!p->f->ops->next)
		return tl_errf(err, "%s: the parser does not read files itself", p->f->name);
	return p->f->ops->next(p, rec, err);
}

uint64_t tl_parse_pos(const struct tl_parse *p)
{
	return p->f->ops->pos ? p->f->ops->pos(p) : 0;
}

enum tl_parse_status tl_parse_ready(struct tl_parse *p, struct tl_event *ev, struct tl_record *origin,
				    struct tl_err *err)
{
	return p->f->ops->ready ? p->f->ops->ready(p, ev, origin, err) : TL_PARSE_META;
}

void tl_parse_finish(struct tl_parse *p)
{
	if (p->f->ops->finish)
		p->f->ops->finish(p);
}

/* ---- helpers for parsers ---- */

int tl_parse_envelope(struct tl_parse *p, const char *name, const char **s, size_t *len)
{
	const struct tl_parse *d = p->parent;
	if (!d || !d->has_env)
		return 0;
	/* a handful of header fields: a scan, the dispatcher builds no index */
	for (size_t i = 0; i < d->nf; i++) {
		const struct tl_field *f = &d->fields[i];
		if (f->v.len && f->kind != TL_V_NULL && !strcmp(f->name, name)) {
			*s = f->v.s;
			*len = f->v.len;
			return 1;
		}
	}
	return 0;
}

struct tl_format *tl_registry_load_builtin(const char *name, struct tl_err *err)
{
	char want[128];
	size_t wl = (size_t)snprintf(want, sizeof(want), "/%s.json", name);
	for (size_t i = 0; i < tl_builtin_format_count; i++) {
		const char *path = tl_builtin_formats[i].path;
		size_t pl = strlen(path);
		if (pl < wl || strcmp(path + pl - wl, want))
			continue;
		char origin[256];
		snprintf(origin, sizeof(origin), "builtin:%s", path);
		return tl_format_load(origin, tl_builtin_formats[i].text, tl_builtin_formats[i].len, err);
	}
	tl_errf(err, "no built-in definition '%s'", name);
	return NULL;
}

struct tl_arena *tl_parse_arena(struct tl_parse *p)
{
	return &p->arena;
}

struct tl_time_ctx *tl_parse_time(struct tl_parse *p)
{
	return p->tctx;
}

static int is_address(const char *s, size_t len)
{
	char tmp[64];
	unsigned char out[16];
	if (!len || len >= sizeof(tmp))
		return 0;
	memcpy(tmp, s, len);
	tmp[len] = 0;
	char *pct = strchr(tmp, '%'); /* IPv6 zone index */
	if (pct)
		*pct = 0;
	return inet_pton(AF_INET, tmp, out) == 1 || inet_pton(AF_INET6, tmp, out) == 1;
}

int tl_parse_set(struct tl_parse *p, struct tl_event *ev, enum tl_field_id id, const char *s, size_t len)
{
	if ((int)id < 0 || id >= TL_F_COUNT)
		return -1;
	int64_t n;
	if ((tl_field_kind(id) == 'I' && tl_parse_i64(s, len, &n)) ||
	    ((id == TL_F_src_ip || id == TL_F_dst_ip || id == TL_F_src_nat_ip || id == TL_F_dst_nat_ip) &&
	     !is_address(s, len)))
		return 1;
	char *c = tl_arena_strndup(&p->arena, s, len);
	if (!c)
		return -1;
	ev->f[id].s = c;
	ev->f[id].len = len;
	return 0;
}

static uint32_t key_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* Slot of KEY in the index of this event's extra keys: its entry, or the empty slot where it goes. */
static size_t key_slot(const struct tl_parse *p, const struct tl_event *ev, const char *key)
{
	size_t m = p->index_cap - 1, h = key_hash(key) & m;
	while (p->index[h] >= 0 && strcmp(ev->extra[p->index[h]].key, key))
		h = (h + 1) & m;
	return h;
}

/* Keep the index at most half full; rebuilt from the keys so far. */
static int key_index_fit(struct tl_parse *p, const struct tl_event *ev)
{
	if (p->index_cap && (ev->n_extra + 1) * 2 <= p->index_cap)
		return 0;
	size_t cap = p->index_cap ? p->index_cap * 2 : 64;
	int32_t *v = realloc(p->index, cap * sizeof(*v));
	if (!v)
		return -1;
	p->index = v;
	p->index_cap = cap;
	memset(p->index, 0xff, cap * sizeof(*p->index));
	for (size_t i = 0; i < ev->n_extra; i++)
		p->index[key_slot(p, ev, ev->extra[i].key)] = (int32_t)i;
	return 0;
}

int tl_parse_extra(struct tl_parse *p, struct tl_event *ev, const char *key, const char *s, size_t len,
		   enum tl_val_kind kind)
{
	if (ev->n_extra >= TL_PARSE_MAX_EXTRA)
		return -1;
	if (!ev->n_extra && p->index_cap)
		memset(p->index, 0xff, p->index_cap * sizeof(*p->index)); /* a new event */
	if (key_index_fit(p, ev))
		return -1;
	/* extra is a JSON object: a key the parser gives twice is kept as KEY#2, KEY#3 ... */
	char alt[300];
	size_t slot = key_slot(p, ev, key);
	for (unsigned k = 2; p->index[slot] >= 0; k++) {
		snprintf(alt, sizeof(alt), "%.280s#%u", key, k);
		slot = key_slot(p, ev, alt);
		if (p->index[slot] < 0)
			key = alt;
	}
	if (ev->n_extra == p->cap_extra) {
		struct tl_extra *v = tl_grow(p->extra, &p->cap_extra, ev->n_extra + 1, sizeof(*v), 32);
		if (!v)
			return -1;
		p->extra = v;
	}
	ev->extra = p->extra;
	struct tl_extra *x = &p->extra[ev->n_extra];
	x->key = tl_arena_strndup(&p->arena, key, strlen(key));
	x->v.s = tl_arena_strndup(&p->arena, s, len);
	x->v.len = len;
	x->kind = kind;
	if (!x->key || !x->v.s)
		return -1;
	p->index[slot] = (int32_t)ev->n_extra++;
	return 0;
}
