/*
 * Stable binding ids and incremental correlation with new binding evidence
 * (docs/correlation.md#stable-binding-ids, #incremental).
 *
 * It applies correlate.c's rules (truncating, merging, ordering bindings,
 * attribution) to a part of the case instead of all of it; what the two
 * files share, and which hooks correlate.c calls when, is
 * correlate-internal.h.
 *
 * Ids: a binding whose content (value, start, end, end rule, source, events,
 * evidence lines) a run leaves unchanged keeps the id an earlier run gave it,
 * and takes the new ids of its start and end events when a re-parse has
 * numbered them again; every other binding gets a new id above the highest
 * ever given, in the bindings' order (kind, subject, tier, start, value,
 * source, evidence), so a single run numbers 1..N as it always did.
 * Bindings are built in time slices (correlate.c) and become final out of
 * that order: see the ids of the open group below. The stored bindings they
 * are matched with are read by time in step with the slices (a window from
 * the earliest start of a binding not final yet to a page past the latest
 * matched), so a busy subject's stored history is never held whole.
 *
 * Incremental: the new files' events give binding candidates for some
 * subjects (kind, subject). A new candidate can change only the stored
 * bindings its window reaches, and each of those the ones it overlaps; the
 * REGION of a subject is that closure, in time (read from the store a page
 * at a time: only its bounds are held). Every candidate, old and
 * new, that starts in a region is derived again from the events of the
 * region's time (events_ts), the region's bindings are rebuilt from them by
 * the whole run's code and compared with the stored ones: equal ones are
 * kept, the others deleted and the new ones added. The events whose
 * attribution can change are those of a changed binding's address within
 * its time (through a changed ip-host binding for a changed host-user one),
 * those of a new address spelling, and the new files': each is attributed
 * again from scratch. Where the new evidence cannot be scoped so (a logoff,
 * a logon session, a changed sessions view, the first ip-host binding, a
 * region with a quarter of the case's events or without a bound in time),
 * the whole run is taken instead.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tl/bindings.h"
#include "tl/grow.h"
#include "correlate-internal.h"
#include "tl/banned.h"


#define INC_REGION_SHARE 4 /* a region with more than 1/4 of the case's events: the whole run is cheaper */

enum inc_phase { P_FULL, P_NEW, P_REGION };

/* A stored binding, to be matched against a rebuilt one. */
struct oldb {
	int64_t id;
	int32_t val;
	int8_t rule, source;
	uint8_t has_start, has_end, used;
	tl_us start, end;
	int64_t start_event, end_event, events;
	char *evidence;
};

/* A subject the new files bring candidates for, and its region (closed). */
struct aff {
	uint8_t kind;
	int32_t subj;
	uint8_t has_lo, has_hi;
	tl_us lo, hi;
	tl_us lo0; /* the first new candidate's start: a binding ending there is in the region while lo is */
};

/* An address (or, HOST, a host) whose events' attribution may change in [lo, hi]. */
struct span {
	int32_t subj;
	uint8_t host;
	tl_us lo, hi;
};

struct corr_inc {
	enum inc_phase phase;
	struct tl_store *s;
	struct tl_stored_bindings *stored;
	int64_t base;      /* the highest binding id given before this run */
	int64_t old_max;   /* P_FULL: bindings up to it not kept are swept */
	const char *why;   /* P_NEW: why the whole run is needed */
	struct aff *aff;
	size_t n_aff, cap_aff;
	int sorted;
	int64_t span;      /* P_REGION: the longest finite binding stored (regions are read by it) */
	/* The open group's stored bindings that a binding not final yet may
	 * match: from the earliest start still to come (a pass moves it on) to a
	 * page past the latest binding matched, in (start, id) order. In a region
	 * run only the region's, read from its start. */
	const struct aff *g_aff; /* P_REGION: the open group's region */
	struct oldb *old;
	size_t n_old, cap_old;
	int w_part;        /* read next: 0 those without a start, 1 those with, 2 nothing more */
	tl_us w_start;     /* the last row read (part 1), or where part 1 begins */
	int64_t w_id;
	int w_oom;
	struct span *spans;
	size_t n_spans, cap_spans;
	int64_t *deleted;
	size_t n_deleted, cap_deleted;
	struct cand tmp;
	struct tl_buf ev;
	int64_t kept, added;
	char path[4096];
};

static int rule_of(const char *name)
{
	for (size_t i = 0; i < sizeof(rule_name) / sizeof(rule_name[0]); i++)
		if (!strcmp(rule_name[i], name))
			return (int)i;
	return -1;
}

static int source_index(const char *name)
{
	for (size_t i = 0; i < sizeof(source_name) / sizeof(source_name[0]); i++)
		if (!strcmp(source_name[i], name))
			return (int)i;
	return -1;
}

static void oldb_release(struct oldb *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].evidence);
	free(v);
}

void tl_corr_inc_free(struct corr_inc *x)
{
	if (!x)
		return;
	tl_stored_bindings_free(x->stored);
	free(x->aff);
	oldb_release(x->old, x->n_old);
	free(x->spans);
	free(x->deleted);
	tl_buf_release(&x->ev);
	free(x);
}

static int cmp_aff(const void *pa, const void *pb)
{
	const struct aff *a = pa, *b = pb;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	return a->subj < b->subj ? -1 : a->subj > b->subj;
}

static struct aff *aff_find(struct corr_inc *x, int kind, int32_t subj)
{
	struct aff key = { 0 };
	if (!x->n_aff)
		return NULL;
	key.kind = (uint8_t)kind;
	key.subj = subj;
	if (x->sorted)
		return bsearch(&key, x->aff, x->n_aff, sizeof(*x->aff), cmp_aff);
	for (size_t i = 0; i < x->n_aff; i++)
		if (x->aff[i].kind == kind && x->aff[i].subj == subj)
			return &x->aff[i];
	return NULL;
}

/* ---- the hooks of correlate.c ---------------------------------------------------------- */

/* P_NEW: a new candidate widens its subject's region. */
static int note_new(struct corr *c, const struct cand *x, const char *sess)
{
	struct corr_inc *in = c->inc;
	if (sess) {
		/* its end waits for a logoff that may be in any file */
		in->why = "a logon session";
		return 1;
	}
	if (x->tier || !x->has_start) {
		in->why = "a candidate without a time";
		return 1;
	}
	struct aff *a = aff_find(in, x->kind, x->subj);
	if (!a) {
		struct aff *v = tl_grow(in->aff, &in->cap_aff, in->n_aff + 1, sizeof(*v), 64);
		if (!v)
			return -1;
		in->aff = v;
		a = &in->aff[in->n_aff++];
		memset(a, 0, sizeof(*a));
		a->kind = x->kind;
		a->subj = x->subj;
		a->has_lo = a->has_hi = 1;
		a->lo = x->start;
		a->hi = x->has_end ? x->end : x->start;
	}
	if (x->start < a->lo)
		a->lo = x->start;
	if (!x->has_end)
		a->has_hi = 0;
	else if (x->end > a->hi)
		a->hi = x->end;
	if (x->start > a->hi)
		a->hi = x->start;
	return 1;
}

/* P_REGION: an old logon in a region ends where its stored binding says (no
 * logoff is new, or the run would not be incremental). */
static int logon_end(struct corr *c, struct cand *x)
{
	tl_us end, ts;
	int64_t end_event, line;
	struct tl_err e;
	int rc = tl_stored_bindings_logoff(c->inc->stored, kind_name[x->kind], c->str.s[x->subj], x->start, x->start_event,
					   &end, &end_event, &e);
	if (rc > 0)
		rc = tl_store_event_place(c->inc->s, end_event, &ts, c->inc->path, sizeof(c->inc->path), &line, &e);
	else if (rc == 0)
		return 0;
	if (rc < 0) {
		c->serr = e;
		c->store_failed = 1;
		return -1;
	}
	x->end = end;
	x->has_end = 1;
	x->rule = R_LOGOFF;
	x->firm = 1;
	x->end_event = end_event;
	x->ev_path[1] = rc ? tl_corr_path_id(c, c->inc->path) : -1;
	x->ev_line[1] = rc ? line : 0;
	return x->ev_path[1] < -1 ? -1 : 0;
}

int tl_corr_inc_cand(struct corr *c, const struct cand **xp, const char **sess)
{
	struct corr_inc *in = c->inc;
	if (in->phase == P_FULL)
		return 0;
	if (in->phase == P_NEW)
		return note_new(c, *xp, *sess) < 0 ? -1 : 1;
	const struct cand *x = *xp;
	const struct aff *a = x->tier ? NULL : aff_find(in, x->kind, x->subj);
	if (!a)
		return 1;
	if (x->has_start ? (a->has_lo && x->start < a->lo) || (a->has_hi && x->start > a->hi) : a->has_lo)
		return 1;
	if (*sess) {
		in->tmp = *x;
		if (logon_end(c, &in->tmp))
			return -1;
		*xp = &in->tmp;
		*sess = NULL;
	}
	return 0;
}

int tl_corr_inc_logoff(struct corr *c)
{
	struct corr_inc *in = c->inc;
	if (in->phase == P_NEW && !in->why)
		in->why = "a logoff";
	return in->phase != P_FULL;
}

/* ---- matching rebuilt bindings with stored ones ------------------------------------------ */

#define WIN_PAGE 512 /* stored bindings read at once (fewer with tiny slices: TL_CORR_SLICE, for tests) */

static int win_page(const struct corr *c)
{
	return c->slice < WIN_PAGE ? (int)c->slice : WIN_PAGE;
}

static int intersects(const struct oldb *b, const struct aff *a, int closed);
static int group_done(struct corr *c, struct tl_bind_writer *w, size_t conf_mark, struct tl_err *err);
static int add_span(struct corr_inc *in, int32_t subj, int host, int has_lo, tl_us lo, int has_hi, tl_us hi);

/* One stored row read for the open group: kept in the window when a
 * binding of the group may still match it. */
static int win_row(void *arg, const struct tl_binding *b)
{
	struct corr *c = arg;
	struct corr_inc *in = c->inc;
	in->w_start = b->start;
	in->w_id = b->id;
	struct oldb o = { 0 };
	o.has_start = (uint8_t)b->has_start;
	o.start = b->start;
	o.has_end = (uint8_t)b->has_end;
	o.end = b->end;
	if (in->g_aff) {
		const struct aff *a = in->g_aff;
		/* past the region's end: nothing further can be in it */
		if (b->has_start && a->has_hi && b->start > a->hi) {
			in->w_part = 2;
			return 1;
		}
		if (!intersects(&o, a, a->has_lo && a->lo == a->lo0))
			return 0;
	}
	struct oldb *v = tl_grow(in->old, &in->cap_old, in->n_old + 1, sizeof(*v), 64);
	if (!v) {
		in->w_oom = 1;
		return -1;
	}
	in->old = v;
	o.id = b->id;
	o.val = tl_corr_intern_get(&c->str, b->value);
	o.rule = (int8_t)rule_of(b->end_rule);
	o.source = (int8_t)source_index(b->source);
	o.start_event = b->start_event;
	o.end_event = b->end_event;
	o.events = b->events;
	if (o.val < 0 || !(o.evidence = strdup(b->evidence))) {
		in->w_oom = 1;
		return -1;
	}
	in->old[in->n_old++] = o;
	return 0;
}

/* Reads the open group's stored bindings on until every one starting at or
 * before (HAS_T, T) is in the window (ALL: every one). */
static int win_fill(struct corr *c, int all, int has_t, tl_us t, struct tl_err *err)
{
	struct corr_inc *in = c->inc;
	while (in->w_part < 2) {
		/* the last row read starts after T: the rest do too */
		if (!all && in->w_part == 1 && (!has_t || (in->w_id && in->w_start > t)))
			return 0;
		enum tl_stored_order order = in->w_part ? TL_STORED_UP : TL_STORED_NO_START;
		long n = tl_stored_bindings_page(in->stored, kind_name[c->g_kind], c->str.s[c->g_subj], c->g_tier, in->base,
						 order, in->w_start, in->w_id, win_page(c), win_row, c, err);
		if (n < 0)
			return in->w_oom ? tl_errf(err, "out of memory") : -1;
		if (in->w_part < 2 && n < win_page(c)) {
			/* this part is read: the next begins at the first start */
			in->w_part++;
			in->w_start = INT64_MIN;
			in->w_id = 0;
		}
	}
	return 0;
}

/* The window's stored bindings from index K on stay; those before it no
 * binding of the group can match any more: in a region run, deleted when
 * no rebuilt binding matched them, and where they were is where attribution
 * looks again. */
static int win_drop(struct corr *c, struct tl_bind_writer *w, size_t k, struct tl_err *err)
{
	struct corr_inc *in = c->inc;
	for (size_t i = 0; i < k; i++) {
		const struct oldb *o = &in->old[i];
		if (in->phase != P_REGION || o->used)
			continue;
		if (tl_bind_writer_delete_binding(w, o->id, err))
			return -1;
		int64_t *v = tl_grow(in->deleted, &in->cap_deleted, in->n_deleted + 1, sizeof(*v), 256);
		if (!v)
			return tl_errf(err, "out of memory");
		in->deleted = v;
		in->deleted[in->n_deleted++] = o->id;
		if (add_span(in, c->g_subj, c->g_kind == K_HOST_USER, o->has_start, o->start, o->has_end, o->end))
			return tl_errf(err, "out of memory");
	}
	for (size_t i = 0; i < k; i++)
		free(in->old[i].evidence);
	if (in->n_old > k)
		memmove(in->old, in->old + k, (in->n_old - k) * sizeof(*in->old));
	in->n_old -= k;
	return 0;
}

/* After a pass: no binding of the group that is not final yet starts before
 * LO, so the stored ones that start before it are done with. */
int tl_corr_ids_settle(struct corr *c, struct tl_bind_writer *w, tl_us lo, struct tl_err *err)
{
	struct corr_inc *in = c->inc;
	if (in->phase == P_REGION) {
		/* the unmatched ones are deleted: every one before LO is read */
		if (win_fill(c, 0, 1, lo, err))
			return -1;
	} else if (in->w_part == 0 || (in->w_part == 1 && (!in->w_id || in->w_start < lo))) {
		/* the whole run sweeps what it did not keep: those before LO
		 * need not be read at all */
		in->w_part = 1;
		in->w_start = lo;
		in->w_id = 0;
	}
	size_t k = 0;
	while (k < in->n_old && cmp_start(in->old[k].has_start, in->old[k].start, 1, lo) < 0)
		k++;
	return k ? win_drop(c, w, k, err) : 0;
}

/* The stored binding equal in content to D among OLD (start order), unused:
 * its index, or -1. Event ids are not content: the evidence lines are. */
static long match_old(struct corr *c, const struct bnd *d, struct oldb *old, size_t n, int *ev_made, struct tl_err *err)
{
	struct corr_inc *in = c->inc;
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (cmp_start(old[mid].has_start, old[mid].start, d->c.has_start, d->c.start) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < n && !cmp_start(old[i].has_start, old[i].start, d->c.has_start, d->c.start); i++) {
		const struct oldb *o = &old[i];
		if (o->used || o->val != d->c.val || o->rule != d->c.rule || o->source != d->c.source ||
		    o->has_end != d->c.has_end || (o->has_end && o->end != d->c.end) || o->events != d->c.events)
			continue;
		if (!*ev_made) {
			if (tl_corr_bnd_evidence_json(c, d, &in->ev)) {
				tl_errf(err, "out of memory");
				return -2;
			}
			*ev_made = 1;
		}
		if (!strcmp(o->evidence, in->ev.data))
			return (long)i;
	}
	return -1;
}

static int add_span(struct corr_inc *in, int32_t subj, int host, int has_lo, tl_us lo, int has_hi, tl_us hi)
{
	struct span *v = tl_grow(in->spans, &in->cap_spans, in->n_spans + 1, sizeof(*v), 256);
	if (!v)
		return -1;
	in->spans = v;
	struct span *p = &in->spans[in->n_spans++];
	p->subj = subj;
	p->host = (uint8_t)host;
	p->lo = has_lo ? lo : INT64_MIN;
	p->hi = has_hi ? hi : INT64_MAX;
	return 0;
}

/* ---- the ids of the open group (correlate.c builds it in slices) ----------------------------
 *
 * A binding is matched with the stored ones when it is final, which in the
 * slices is when it is closed, and that is not the order the bindings were
 * made in (a window stays open while later firm bindings close). New ids
 * must still follow the bindings' order, which is their order of making, so
 * a new binding final before an earlier one has its id waits, with its row,
 * until every binding made before it has one. Until the group ends its
 * conflicts name bindings by their order of making. */

/* Whether the group's bindings are matched with stored ones (else: numbered
 * as they are made, as a first run does), and which stored ones those are. */
int tl_corr_ids_group_begin(struct corr *c, struct tl_err *err)
{
	struct corr_inc *in = c->inc;
	c->g_made = c->g_numbered = 0;
	c->g_match = in && !(in->phase == P_FULL && !in->old_max);
	if (!c->g_match)
		return 0;
	oldb_release(in->old, in->n_old);
	in->old = NULL;
	in->n_old = in->cap_old = 0;
	in->w_part = 0;
	in->w_start = INT64_MIN;
	in->w_id = 0;
	in->g_aff = NULL;
	if (in->phase == P_FULL)
		return 0;
	const struct aff *a = c->g_tier ? NULL : aff_find(in, c->g_kind, c->g_subj);
	if (!a)
		return tl_errf(err, "correlation: a binding outside the region was rebuilt");
	/* only the region's may match: bounded in time (or the run is whole),
	 * so none is without a start, and none that starts before the region
	 * by more than the longest binding reaches it */
	in->g_aff = a;
	in->w_part = 1;
	in->w_start = a->lo - in->span;
	return 0;
}

/* Room for one more binding of the group; its key is c->g_made. */
int tl_corr_ids_made(struct corr *c)
{
	if ((size_t)c->g_made == c->cap_gids) {
		size_t nc = c->cap_gids ? c->cap_gids * 2 : 256;
		int64_t *v = realloc(c->g_ids, nc * sizeof(*v));
		if (!v)
			return -1;
		c->g_ids = v;
		struct bnd **q = realloc(c->g_wait, nc * sizeof(*q));
		if (!q)
			return -1;
		c->g_wait = q;
		c->cap_gids = nc;
	}
	c->g_ids[c->g_made] = 0;
	c->g_wait[c->g_made++] = NULL;
	return 0;
}

/* D (keyed by its order of making) is final: a stored equal binding's id
 * (its row is there), else the next new id once every binding made before
 * it has one, and its row. */
int tl_corr_ids_final(struct corr *c, struct tl_bind_writer *w, struct bnd *d, struct tl_err *err)
{
	struct corr_inc *in = c->inc;
	int64_t k = d->id - 1;
	int ev_made = 0;
	if (win_fill(c, 0, d->c.has_start, d->c.start, err))
		return -1;
	long m = match_old(c, d, in->old, in->n_old, &ev_made, err);
	if (m < -1)
		return -1;
	if (m >= 0) {
		struct oldb *o = &in->old[m];
		o->used = 1;
		c->g_ids[k] = o->id;
		in->kept++;
		if (in->phase == P_FULL && tl_bind_writer_keep(w, o->id, err))
			return -1;
		/* the same evidence lines under new event ids (a re-parse) is the same binding */
		if ((o->start_event != d->c.start_event || o->end_event != d->c.end_event) &&
		    tl_bind_writer_set_events(w, o->id, d->c.start_event, d->c.end_event, err))
			return -1;
	} else {
		c->g_ids[k] = -1;
		if (k != c->g_numbered) {
			/* an earlier binding is still open: this one's id and row wait */
			if (!(c->g_wait[k] = malloc(sizeof(*d))))
				return tl_errf(err, "out of memory");
			*c->g_wait[k] = *d;
			return 0;
		}
	}
	while (c->g_numbered < c->g_made && c->g_ids[c->g_numbered]) {
		int64_t i = c->g_numbered++;
		if (c->g_ids[i] != -1)
			continue;
		struct bnd *x = c->g_wait[i] ? c->g_wait[i] : d;
		x->id = c->g_ids[i] = ++c->next_id;
		in->added++;
		int rc;
		if (in->phase == P_REGION && add_span(in, x->c.subj, x->c.kind == K_HOST_USER, x->c.has_start, x->c.start,
						      x->c.has_end, x->c.end))
			rc = tl_errf(err, "out of memory");
		else
			rc = tl_corr_write_binding(c, w, x, err);
		free(c->g_wait[i]);
		c->g_wait[i] = NULL;
		if (rc)
			return -1;
	}
	return 0;
}

/* The group has ended, every binding final: its conflicts name them by id;
 * in a region run the stored bindings no rebuilt one equals are deleted,
 * and what changed is where attribution looks again. Then the conflicts'
 * ids (group_done). */
int tl_corr_ids_group_end(struct corr *c, struct tl_bind_writer *w, struct tl_err *err)
{
	struct corr_inc *in = c->inc;
	if (c->g_match) {
		if (c->g_numbered != c->g_made)
			return tl_errf(err, "correlation: a binding of '%s' was never final", c->str.s[c->g_subj]);
		for (size_t i = c->grp_conf0; i < c->n_conflicts; i++) {
			struct conflict *k = &c->conflicts[i];
			k->a = c->g_ids[k->a - 1];
			k->b = c->g_ids[k->b - 1];
		}
		/* the region's stored bindings no rebuilt one equals go (the
		 * whole run sweeps them at its end) */
		if (in->phase == P_REGION && win_fill(c, 1, 0, 0, err))
			return -1;
		if (win_drop(c, w, in->n_old, err))
			return -1;
		c->g_match = 0;
	}
	return group_done(c, w, c->grp_conf0, err);
}

/* The conflicts the group just found (from CONF_MARK on) get their ids; in a
 * region run those between two kept bindings are stored already, the others
 * are written now (their events are counted at the end). */
static int group_done(struct corr *c, struct tl_bind_writer *w, size_t conf_mark, struct tl_err *err)
{
	struct corr_inc *in = c->inc;
	if (!in || in->phase == P_FULL) {
		for (size_t i = conf_mark; i < c->n_conflicts; i++)
			c->conflicts[i].id = ++c->next_conflict;
		return 0;
	}
	size_t o = conf_mark;
	for (size_t i = conf_mark; i < c->n_conflicts; i++) {
		struct conflict k = c->conflicts[i];
		if (k.a <= in->base && k.b <= in->base)
			continue;
		k.id = ++c->next_conflict;
		c->conflicts[o++] = k;
		struct tl_binding_conflict r = { 0 };
		r.id = k.id;
		r.kind = kind_name[k.kind];
		r.subject = c->str.s[k.subj];
		r.binding_a = k.a;
		r.binding_b = k.b;
		r.has_start = k.has_start;
		r.start = k.start;
		r.has_end = k.has_end;
		r.end = k.end;
		if (tl_bind_writer_conflict(w, &r, err))
			return -1;
	}
	c->n_conflicts = o;
	return 0;
}

/* ---- the whole run over stored bindings ----------------------------------------------------- */

/* Before a whole run: ids go on from the highest ever given; stored bindings
 * are matched group by group (none stored: numbered 1..N as ever). */
int tl_corr_ids_begin(struct corr *c, struct tl_store *s, struct tl_err *err)
{
	int64_t conflict;
	if (tl_store_binding_counters(s, &c->next_id, &conflict, err))
		return -1;
	if (!c->next_id)
		return 0;
	if (!(c->inc = calloc(1, sizeof(*c->inc))))
		return tl_errf(err, "out of memory");
	c->inc->phase = P_FULL;
	c->inc->s = s;
	c->inc->base = c->next_id;
	c->inc->old_max = c->next_id;
	if (!(c->inc->stored = tl_store_stored_bindings_new(s, err)))
		return -1;
	return 0;
}

/* After a whole run's bindings: the stored ones no group kept are deleted. */
int tl_corr_ids_end(struct corr *c, struct tl_bind_writer *w, struct tl_err *err)
{
	c->sum.kept = c->inc ? c->inc->kept : 0;
	c->sum.added = c->inc ? c->inc->added : c->sum.bindings;
	return c->inc && tl_bind_writer_sweep(w, c->inc->old_max, err) ? -1 : 0;
}

/* ---- the incremental run ----------------------------------------------------------------------- */

static int intersects(const struct oldb *b, const struct aff *a, int closed)
{
	int starts_before_end = !b->has_start || !a->has_hi || b->start <= a->hi;
	int ends_after_start = !b->has_end || !a->has_lo || b->end > a->lo || (closed && b->end == a->lo);
	return starts_before_end && ends_after_start;
}

/* A region being widened: the stored bindings are read away from where
 * the new candidates begin, back (DOWN) and forward, a page at a time. */
struct reach {
	struct aff *a;
	int64_t span;
	int down, done;
	tl_us key;
	int64_t key_id;
};

static void reach_add(struct aff *a, const struct oldb *b)
{
	/* a binding ending where the first new candidate starts may take it as
	 * its successor: closed there only */
	if (!intersects(b, a, a->has_lo && a->lo == a->lo0))
		return;
	if (!b->has_start)
		a->has_lo = 0;
	else if (a->has_lo && b->start < a->lo)
		a->lo = b->start;
	if (!b->has_end)
		a->has_hi = 0;
	else if (a->has_hi && b->end > a->hi)
		a->hi = b->end;
}

static int reach_row(void *arg, const struct tl_binding *b)
{
	struct reach *r = arg;
	struct aff *a = r->a;
	r->key = b->start;
	r->key_id = b->id;
	/* back: none before this one reaches the region (no finite binding
	 * is longer than span), forward: none after it starts in it */
	if (r->down ? b->start < a->lo - r->span : b->start > a->hi) {
		r->done = 1;
		return 1;
	}
	if (!b->has_end)
		return 0; /* an open end: tl_stored_bindings_unbounded's */
	struct oldb o = { 0 };
	o.has_start = o.has_end = 1;
	o.start = b->start;
	o.end = b->end;
	reach_add(a, &o);
	return 0;
}

static int reach_unbounded(void *arg, int has_start, tl_us start, int has_end, tl_us end)
{
	struct aff *a = arg;
	struct oldb o = { 0 };
	o.has_start = (uint8_t)has_start;
	o.start = start;
	o.has_end = (uint8_t)has_end;
	o.end = end;
	reach_add(a, &o);
	return !a->has_lo || !a->has_hi; /* unbounded: the run is whole */
}

/* The region of A: every stored binding its new candidates reach, and every
 * one those overlap, until none is left (docs/correlation.md#incremental).
 * Read from where the new candidates begin: back, each binding that reaches
 * the region moving its start back, until none can reach it (a binding
 * that did not reach it then lies after its new start and before its end,
 * so it moves neither); then forward, each moving its end on, until one
 * starts after it; then those without a start or an end. Only the region's
 * bounds are held. */
static int region(struct corr *c, struct aff *a, int64_t max_span, struct tl_err *err)
{
	struct corr_inc *in = c->inc;
	a->lo0 = a->lo;
	for (int down = 1; down >= 0; down--) {
		struct reach r = { a, max_span, down, 0, a->lo0, 0 };
		while (!r.done) {
			long n = tl_stored_bindings_page(in->stored, kind_name[a->kind], c->str.s[a->subj], 0, in->base,
							 down ? TL_STORED_DOWN : TL_STORED_UP, r.key, r.key_id, win_page(c),
							 reach_row, &r, err);
			if (n < 0)
				return -1;
			if (n < win_page(c))
				break;
		}
	}
	return tl_stored_bindings_unbounded(in->stored, kind_name[a->kind], c->str.s[a->subj], 0, in->base,
					    reach_unbounded, a, err) < 0
		       ? -1
		       : 0;
}

static int load_bound(void *arg, const char *kind, const char *subject)
{
	struct corr *c = arg;
	int k;
	for (k = 0; k < K_KINDS && strcmp(kind_name[k], kind); k++)
		;
	int32_t id = tl_corr_intern_get(&c->str, subject);
	if (k == K_KINDS)
		return 0;
	if (id < 0 || tl_corr_grow_bound(c, id))
		return -1;
	c->bound[id] |= (uint8_t)(1u << k);
	c->has_ip_host |= k == K_IP_HOST;
	return 0;
}

static int load_spelling_inc(void *arg, const char *ip, const char *canonical)
{
	struct corr *c = arg;
	char key[512];
	size_t n = strlen(ip);
	if (n > sizeof(key) - 2)
		return 0;
	key[0] = 'i';
	memcpy(key + 1, ip, n + 1);
	int32_t id = tl_corr_intern_get(&c->str, canonical), k = id < 0 ? -1 : tl_corr_intern_get(&c->raw, key);
	if (k < 0)
		return -1;
	c->raw.canon[k] = id;
	return 0;
}

struct host_spans {
	struct corr *c;
	const struct span *h;
	int failed;
};

/* An ip-host binding of a host whose host-user bindings changed: its address
 * in the overlap is where attribution through the host looks again. */
static int host_address_span(void *arg, const char *subject, int has_start, tl_us start, int has_end, tl_us end)
{
	struct host_spans *hs = arg;
	tl_us lo = has_start && start > hs->h->lo ? start : hs->h->lo;
	tl_us hi = has_end && end < hs->h->hi ? end : hs->h->hi;
	if (lo > hi)
		return 0;
	int32_t id = tl_corr_intern_get(&hs->c->str, subject);
	if (id < 0 || add_span(hs->c->inc, id, 0, 1, lo, 1, hi))
		return -1;
	return 0;
}

static int cmp_i64p(const void *a, const void *b)
{
	return cmp_i64(*(const int64_t *)a, *(const int64_t *)b);
}

static int inc_conflicts_load(struct corr *c, struct tl_store *s, struct tl_err *err)
{
	struct tl_bind_iter *it = tl_store_conflicts(s, NULL, NULL, err);
	const struct tl_binding_conflict *r;
	int rc;
	if (!it)
		return -1;
	while ((rc = tl_store_next_conflict(it, &r, err)) == 1) {
		if (c->n_conflicts >= MAX_CONFLICTS) {
			rc = tl_errf(err, "too many binding conflicts");
			break;
		}
		if (!c->conflicts && !(c->conflicts = calloc(MAX_CONFLICTS, sizeof(*c->conflicts)))) {
			rc = tl_errf(err, "out of memory");
			break;
		}
		struct conflict *k = &c->conflicts[c->n_conflicts++];
		k->id = r->id;
		k->a = r->binding_a;
		k->b = r->binding_b;
		k->events = r->events;
	}
	tl_bind_iter_free(it);
	return rc < 0 ? -1 : 0;
}

/* Phase P_NEW: the new files' candidates, which name the subjects to
 * rebuild. 1: scoped, 0: the whole run is needed (*WHY), -1: error. */
static int inc_probe(struct corr *c, struct tl_store *s, const struct tl_corr_state *st, const char **why,
		     struct tl_err *err)
{
	struct corr_inc *in = c->inc;
	const struct tl_ident_row *ir;
	int rc = 0;
	in->phase = P_NEW;
	for (int pass = 0; pass < 2 && !in->why; pass++) {
		struct tl_bind_iter *it = tl_store_identity_events_in(s, st->pending, st->n_pending, pass, err);
		if (!it)
			return -1;
		while (!in->why && (rc = tl_store_next_identity(it, &ir, err)) == 1)
			if ((pass == 0 && tl_corr_identity(c, ir)) || tl_corr_host_address(c, ir)) {
				rc = tl_corr_collect_fail(c, err);
				break;
			}
		tl_bind_iter_free(it);
		if (rc < 0)
			return -1;
	}
	*why = in->why;
	return !in->why;
}

/* The incremental run: 1 done, 0 the whole run is needed (*WHY), -1 error. */
int tl_corr_inc_run(struct corr *c, struct tl_store *s, const char *digest, struct tl_corr_state *st, const char **why,
		   struct tl_err *err)
{
	struct tl_bind_writer *w = NULL;
	struct tl_bind_iter *it = NULL;
	struct tl_strlist ips = TL_STRLIST_INIT;
	struct tl_scope_row *scope = NULL;
	size_t n_scope = 0;
	const struct tl_session_row *sr;
	const struct tl_ident_row *ir;
	int rc = -1, more;
	*why = NULL;
	if (!(c->inc = calloc(1, sizeof(*c->inc))))
		return tl_errf(err, "out of memory");
	struct corr_inc *in = c->inc;
	in->s = s;
	if (tl_store_binding_counters(s, &c->next_id, &c->next_conflict, err))
		return -1;
	in->base = c->next_id;
	if (tl_store_corr_spellings(s, load_spelling_inc, c, err))
		return tl_corr_collect_fail(c, err);
	size_t known = c->raw.n;
	int probed = inc_probe(c, s, st, why, err);
	if (probed <= 0)
		return probed;
	int had_ip_host = 0;
	for (size_t i = 0; i < in->n_aff; i++)
		had_ip_host |= in->aff[i].kind == K_IP_HOST;
	if (had_ip_host) {
		/* the first ip-host binding makes every named user's event a host candidate */
		c->has_ip_host = 0;
		if (tl_store_bound_subjects(s, load_bound, c, err))
			return tl_corr_collect_fail(c, err);
		if (!c->has_ip_host) {
			*why = "the first address bound to a host";
			return 0;
		}
	}
	if (in->n_aff)
		qsort(in->aff, in->n_aff, sizeof(*in->aff), cmp_aff);
	in->sorted = 1;
	int64_t max_span = st->max_span;
	in->span = max_span;
	tl_us R0 = INT64_MAX, R1 = INT64_MIN;
	if (in->n_aff && !(in->stored = tl_store_stored_bindings_new(s, err)))
		return -1;
	for (size_t i = 0; i < in->n_aff; i++) {
		struct aff *a = &in->aff[i];
		if (region(c, a, max_span, err))
			return -1;
		if (!a->has_lo || !a->has_hi) {
			*why = "a binding without a bound in time";
			return 0;
		}
		R0 = a->lo < R0 ? a->lo : R0;
		R1 = a->hi > R1 ? a->hi : R1;
	}
	int64_t total = 0, first_new = 0, in_span = 0;
	if (tl_store_events_total(s, st->pending, st->n_pending, &total, &first_new, err))
		return -1;
	/* TL_CORR_FULL=never: incremental whatever the region's size (tests) */
	const char *knob = getenv("TL_CORR_FULL");
	if (in->n_aff && !(knob && !strcmp(knob, "never"))) {
		if (tl_store_events_in_span(s, R0, R1, total / INC_REGION_SHARE + 1, &in_span, err))
			return -1;
		if (in_span > total / INC_REGION_SHARE) {
			*why = "the new evidence reaches a quarter of the case";
			return 0;
		}
	}
	/* from here on the rows change: one transaction */
	if (!(w = tl_store_bindings_append(s, err)))
		return -1;
	if (inc_conflicts_load(c, s, err) || !(c->sort = tl_store_cand_sort_new(s, err)))
		goto done;
	size_t n_old_conflicts = c->n_conflicts;
	/* the region's candidates: sessions (which must be unchanged), then the
	 * identity and host address events of the regions' time */
	in->phase = P_REGION;
	c->sessions = 0;
	if (!(it = tl_store_sessions(s, err)))
		goto done;
	while ((more = tl_store_next_session(it, &sr, err)) == 1) {
		c->sessions += tl_corr_session_hash(sr);
		if (in->n_aff && tl_corr_session(c, sr)) {
			tl_corr_collect_fail(c, err);
			goto done;
		}
	}
	tl_bind_iter_free(it);
	it = NULL;
	if (more < 0)
		goto done;
	if (c->sessions != (uint64_t)st->sessions) {
		*why = "the sessions changed";
		rc = 0;
		goto done;
	}
	for (int pass = 0; pass < 2 && in->n_aff; pass++) {
		if (!(it = tl_store_identity_events_span(s, R0, R1, pass, err)))
			goto done;
		while ((more = tl_store_next_identity(it, &ir, err)) == 1)
			if ((pass == 0 && tl_corr_identity(c, ir)) || tl_corr_host_address(c, ir)) {
				tl_corr_collect_fail(c, err);
				goto done;
			}
		tl_bind_iter_free(it);
		it = NULL;
		if (more < 0)
			goto done;
	}
	if (in->n_aff && tl_corr_build_bindings(c, w, err))
		goto done;
	tl_cand_sort_free(c->sort);
	c->sort = NULL;
	/* conflicts of deleted bindings go with them */
	if (in->n_deleted)
		qsort(in->deleted, in->n_deleted, sizeof(*in->deleted), cmp_i64p);
	int64_t n_conflicts = 0;
	for (size_t i = 0; i < c->n_conflicts; i++) {
		struct conflict *k = &c->conflicts[i];
		if (i < n_old_conflicts && in->n_deleted &&
		    (bsearch(&k->a, in->deleted, in->n_deleted, sizeof(int64_t), cmp_i64p) ||
		     bsearch(&k->b, in->deleted, in->n_deleted, sizeof(int64_t), cmp_i64p))) {
			if (tl_bind_writer_delete_conflict(w, k->id, err))
				goto done;
			k->id = 0;
			continue;
		}
		n_conflicts++;
	}
	/* a changed host-user binding: the addresses bound to the host then */
	size_t n_spans = in->n_spans;
	for (size_t i = 0; i < n_spans; i++) {
		if (!in->spans[i].host)
			continue;
		struct span h = in->spans[i];
		struct host_spans hs = { c, &h, 0 };
		if (tl_store_host_addresses(s, c->str.s[h.subj], host_address_span, &hs, err)) {
			tl_corr_collect_fail(c, err);
			goto done;
		}
	}
	/* which subjects are bound now, and the address spellings the new files brought */
	c->has_ip_host = 0;
	{
		size_t n_new = 0;
		const char **ipv = malloc((c->raw.n - known + 1) * sizeof(*ipv));
		const char **cnv = malloc((c->raw.n - known + 1) * sizeof(*cnv));
		int bad = !ipv || !cnv;
		for (size_t k = known; !bad && k < c->raw.n; k++)
			if (c->raw.s[k][0] == 'i' && c->raw.canon[k] >= 0) {
				ipv[n_new] = c->raw.s[k] + 1;
				cnv[n_new++] = c->str.s[c->raw.canon[k]];
				/* an address the rules did not know: its events may now
				 * go another way, whenever they are */
				bad = add_span(in, c->raw.canon[k], 0, 0, 0, 0, 0) != 0;
			}
		if (bad) {
			free(ipv);
			free(cnv);
			tl_errf(err, "out of memory");
			goto done;
		}
		int failed = n_new && tl_store_corr_spellings_add(s, ipv, cnv, n_new, err);
		free(ipv);
		free(cnv);
		if (failed)
			goto done;
	}
	if (tl_store_bound_subjects(s, load_bound, c, err)) {
		tl_corr_collect_fail(c, err);
		goto done;
	}
	/* the scope: every spelling of every address whose attribution may change */
	for (size_t k = 0; k < c->raw.n; k++)
		if (c->raw.s[k][0] == 'i' && c->raw.canon[k] >= 0 &&
		    (tl_corr_is_bound(c, K_IP_USER, c->raw.canon[k]) || tl_corr_is_bound(c, K_IP_HOST, c->raw.canon[k])) &&
		    tl_strlist_add(&ips, c->raw.s[k] + 1)) {
			tl_errf(err, "out of memory");
			goto done;
		}
	tl_us lo = INT64_MAX, hi = INT64_MIN;
	int unbounded = 0;
	if (in->n_spans) {
		/* spelling k of address subj: sort once by canonical id */
		size_t *order = malloc((c->raw.n + 1) * sizeof(*order)), n_ord = 0;
		if (!order || !(scope = calloc(in->n_spans * 4 + 1, sizeof(*scope)))) {
			free(order);
			tl_errf(err, "out of memory");
			goto done;
		}
		size_t cap_scope = in->n_spans * 4 + 1;
		for (size_t k = 0; k < c->raw.n; k++)
			if (c->raw.s[k][0] == 'i' && c->raw.canon[k] >= 0)
				order[n_ord++] = k;
		for (size_t i = 0; i < in->n_spans; i++) {
			const struct span *p = &in->spans[i];
			if (p->host)
				continue;
			if (p->lo == INT64_MIN || p->hi == INT64_MAX)
				unbounded = 1;
			else {
				lo = p->lo < lo ? p->lo : lo;
				hi = p->hi > hi ? p->hi : hi;
			}
			for (size_t j = 0; j < n_ord; j++) {
				if (c->raw.canon[order[j]] != p->subj)
					continue;
				if (n_scope == cap_scope) {
					struct tl_scope_row *v = realloc(scope, cap_scope * 2 * sizeof(*v));
					if (!v) {
						free(order);
						tl_errf(err, "out of memory");
						goto done;
					}
					scope = v;
					cap_scope *= 2;
				}
				scope[n_scope].ip = c->raw.s[order[j]] + 1;
				scope[n_scope].lo = p->lo;
				scope[n_scope++].hi = p->hi;
			}
		}
		free(order);
	}
	tl_us flo = 0, fhi = 0;
	int span = tl_store_files_span(s, st->pending, st->n_pending, &flo, &fhi, err);
	if (span < 0)
		goto done;
	if (span) {
		lo = flo < lo ? flo : lo;
		hi = fhi > hi ? fhi : hi;
	}
	if (max_span < c->max_span)
		max_span = c->max_span;
	/* the bindings that can cover the scope's times (all of a subject's when
	 * some address is looked at whenever) */
	c->attr_span = max_span;
	if (!(c->sb = tl_store_subject_bindings_new(s, !unbounded && lo <= hi, lo - max_span, hi, err)))
		goto done;
	int64_t gone_user = 0, gone_host = 0, gone_conflicted = 0;
	if (!(it = tl_store_scope_events(s, scope, n_scope, (const char *const *)ips.v, ips.n, st->pending,
					 st->n_pending, err)))
		goto done;
	const struct tl_addr_row *ar;
	while ((more = tl_store_next_addr(it, &ar, err)) == 1) {
		if ((!first_new || ar->id < first_new) &&
		    tl_bind_writer_unattribute(w, ar->id, &gone_user, &gone_host, &gone_conflicted, err))
			goto done;
		/* as the whole run: a bound source decides; a bound destination
		 * only when the source is no address the rules saw */
		int32_t src = tl_corr_bound_addr(c, ar->src_ip);
		int src_bound = tl_corr_is_bound(c, K_IP_USER, src) || tl_corr_is_bound(c, K_IP_HOST, src);
		if ((src_bound || src < 0) && tl_corr_attribute_row(c, w, ar, err))
			goto done;
	}
	tl_bind_iter_free(it);
	it = NULL;
	if (more < 0)
		goto done;
	int64_t conflicted = 0;
	if ((n_conflicts || st->conflicted) && tl_bind_writer_recount_conflicts(w, &conflicted, err))
		goto done;
	st->bindings += in->added - (int64_t)in->n_deleted;
	st->conflicts = n_conflicts;
	st->attributed_user += c->sum.attributed_user - gone_user;
	st->attributed_host += c->sum.attributed_host - gone_host;
	st->conflicted = conflicted;
	st->max_span = max_span;
	st->next_binding = c->next_id;
	st->next_conflict = c->next_conflict;
	st->skipped += c->sum.skipped;
	if (tl_store_corr_state_put(s, digest, st, "incremental", c->sum.skipped > 0, err))
		goto done;
	c->sum.bindings = st->bindings;
	c->sum.conflicts = st->conflicts;
	c->sum.attributed_user = st->attributed_user;
	c->sum.attributed_host = st->attributed_host;
	c->sum.conflicted = st->conflicted;
	c->sum.skipped = st->skipped;
	c->sum.mode = "incremental";
	c->sum.rebuilt = (int64_t)in->n_aff;
	c->sum.kept = in->kept;
	c->sum.added = in->added;
	c->sum.deleted = (int64_t)in->n_deleted;
	rc = 1;
done:
	tl_bind_iter_free(it);
	tl_strlist_release(&ips);
	free(scope);
	if (tl_bind_writer_end(w, rc == 1, rc == 1 ? err : NULL))
		rc = -1;
	return rc;
}
