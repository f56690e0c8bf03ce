/*
 * Copies in timelines (docs/correlation.md#copies): one row per occurrence,
 * with every copy's evidence, unless --all-copies. Which copy's row is written:
 * the first one the (filtered) timeline reaches, so an occurrence shows even
 * when the filter keeps only one of its copies, and the choice follows the
 * timeline's total order, never row ids or ingest order.
 */
#define _POSIX_C_SOURCE 200809L
#include "output-internal.h"

#include <stdlib.h>
#include <string.h>

#include "tl/json.h"
#include "tl/store-copies.h"
#include "tl/banned.h"

/* Occurrences written, each with the time past which none of its copies can
 * come (rows arrive in time order): the table holds only groups still open,
 * so it stays as small as the spread of copies in time. */
struct seen {
	int64_t occ;
	tl_us bound;
	int used;
};

struct tl_copyset {
	struct tl_copies_db *db;
	int mode;
	struct seen *tab;
	size_t cap, n;
	struct tl_copy_group g;
};

struct tl_copyset *tl_copyset_new(struct tl_store *s, int mode, struct tl_err *err)
{
	if (!mode)
		return NULL;
	struct tl_copies_db *db = tl_copies_db_open(s, err);
	if (!db)
		return NULL;
	int any = tl_copies_any(db, err);
	if (any <= 0) {
		tl_copies_db_free(db);
		return NULL;
	}
	struct tl_copyset *cs = calloc(1, sizeof(*cs));
	if (!cs) {
		tl_copies_db_free(db);
		tl_errf(err, "out of memory");
		return NULL;
	}
	cs->db = db;
	cs->mode = mode;
	return cs;
}

static void group_release(struct tl_copy_group *g)
{
	for (size_t i = 0; i < g->listed; i++) {
		free(g->ev[i].path);
		free(g->ev[i].sha256);
	}
	g->listed = g->n = 0;
}

void tl_copyset_free(struct tl_copyset *cs)
{
	if (!cs)
		return;
	group_release(&cs->g);
	tl_copies_db_free(cs->db);
	free(cs->tab);
	free(cs);
}

static struct seen *find(struct tl_copyset *cs, int64_t occ)
{
	if (!cs->cap)
		return NULL;
	size_t j = (size_t)((uint64_t)occ * 0x9E3779B97F4A7C15ull >> 20) & (cs->cap - 1);
	while (cs->tab[j].used && cs->tab[j].occ != occ)
		j = (j + 1) & (cs->cap - 1);
	return &cs->tab[j];
}

/* Rebuild the table at twice the live entries, dropping groups whose copies
 * all lie behind NOW. */
static int rebuild(struct tl_copyset *cs, tl_us now, int reverse)
{
	size_t live = 0;
	for (size_t i = 0; i < cs->cap; i++)
		if (cs->tab[i].used && (reverse ? cs->tab[i].bound <= now : cs->tab[i].bound >= now))
			live++;
	size_t cap = 1024;
	while (cap < live * 4)
		cap *= 2;
	struct seen *old = cs->tab;
	size_t oldcap = cs->cap;
	if (!(cs->tab = calloc(cap, sizeof(*cs->tab)))) {
		cs->tab = old;
		return -1;
	}
	cs->cap = cap;
	cs->n = 0;
	for (size_t i = 0; i < oldcap; i++) {
		if (!old[i].used || (reverse ? old[i].bound > now : old[i].bound < now))
			continue;
		*find(cs, old[i].occ) = old[i];
		cs->n++;
	}
	free(old);
	return 0;
}

int tl_copyset_row(struct tl_copyset *cs, const struct tl_event_row *r, int reverse,
		   const struct tl_copy_group **g, struct tl_err *err)
{
	int64_t occ;
	*g = NULL;
	int in = tl_copies_group_of(cs->db, r->id, &occ, err);
	if (in <= 0)
		return in < 0 ? -1 : 1;
	struct seen *sn = find(cs, occ);
	if (cs->mode == TL_COPIES_ONCE && sn && sn->used)
		return 0;
	group_release(&cs->g);
	cs->g.occurrence = occ;
	cs->g.basis = "";
	if (tl_copies_members_begin(cs->db, occ, err))
		return -1;
	const struct tl_copy_member *m;
	int rc;
	tl_us lo = r->ts, hi = r->ts;
	while ((rc = tl_copies_members_next(cs->db, &m, err)) == 1) {
		lo = m->ts < lo ? m->ts : lo;
		hi = m->ts > hi ? m->ts : hi;
		cs->g.basis = !strcmp(m->basis, "content") ? "content" : "record-id";
		if (cs->g.listed < TL_COPIES_LISTED) {
			struct tl_copy_ev *e = &cs->g.ev[cs->g.listed];
			if (!(e->path = strdup(m->path)) || !(e->sha256 = strdup(m->sha256))) {
				free(e->path);
				while ((rc = tl_copies_members_next(cs->db, &m, err)) == 1)
					;
				return tl_errf(err, "out of memory");
			}
			e->line = m->line;
			e->offset = m->offset;
			e->ts = m->ts;
			cs->g.listed++;
		}
		cs->g.n++;
	}
	if (rc < 0)
		return -1;
	if (cs->g.n < 2)
		return 1; /* a group of one (a copy cleared since): not a copy */
	*g = &cs->g;
	if (cs->mode != TL_COPIES_ONCE)
		return 1;
	if (cs->n * 2 >= cs->cap && rebuild(cs, r->ts, reverse))
		return tl_errf(err, "out of memory");
	sn = find(cs, occ);
	sn->used = 1;
	sn->occ = occ;
	sn->bound = reverse ? lo : hi;
	cs->n++;
	return 1;
}

void tl_copies_put_array(struct tl_buf *b, const struct tl_copy_group *g)
{
	tl_buf_addc(b, '[');
	for (size_t i = 0; i < g->listed; i++) {
		const struct tl_copy_ev *e = &g->ev[i];
		tl_buf_adds(b, i ? ",{" : "{");
		tl_json_put_key(b, "path", 1);
		tl_json_put_str(b, e->path);
		tl_buf_addf(b, ",\"line\":%lld,\"offset\":%lld", (long long)e->line, (long long)e->offset);
		tl_json_put_key(b, "sha256", 0);
		tl_json_put_str(b, e->sha256);
		tl_buf_addc(b, '}');
	}
	tl_buf_addc(b, ']');
}

void tl_copies_put_json(struct tl_buf *b, const struct tl_copy_group *g)
{
	tl_json_put_key(b, "copies", 0);
	tl_copies_put_array(b, g);
	tl_json_put_key(b, "copies_basis", 0);
	tl_json_put_str(b, g->basis);
	if (g->n > g->listed)
		tl_buf_addf(b, ",\"copies_total\":%zu", g->n);
}

void tl_copies_put_text(struct tl_buf *b, const struct tl_copy_group *g, const struct tl_event_row *r)
{
	/* "×" as UTF-8: the text timeline is UTF-8 already (escaped evidence) */
	tl_buf_addf(b, "  \xc3\x97%zu [", g->n);
	int first = 1;
	size_t shown = 0;
	for (size_t i = 0; i < g->listed; i++) {
		const struct tl_copy_ev *e = &g->ev[i];
		int self = r->path.s && !strcmp(e->path, r->path.s) && r->offset.type == TL_VALUE_INT &&
			   r->offset.i == e->offset;
		if (self)
			continue;
		if (shown == 3) {
			tl_buf_adds(b, " ...");
			break;
		}
		const char *p = e->path;
		if (!strncmp(p, "evidence/", 9))
			p += 9;
		tl_buf_adds(b, first ? "" : " ");
		tl_term_escape(b, p, strlen(p));
		tl_buf_addf(b, ":%lld", (long long)e->line);
		first = 0;
		shown++;
	}
	tl_buf_addc(b, ']');
}
