/*
 * What src/analysis/correlate.c and src/analysis/correlate-inc.c share: one
 * correlation run's state (struct corr) and the rules both apply. Internal
 * to src/analysis; the public contract is include/tl/correlate.h.
 *
 * correlate.c holds every rule of docs/correlation.md#bindings-and-attribution
 * and runs the whole recompute; correlate-inc.c keeps binding ids stable
 * across runs and runs the incremental path (#stable-binding-ids,
 * #incremental) by applying those same rules to part of the case:
 *  - correlate.c gives it the rules as functions (deriving candidates from
 *    identity events and sessions, building a subject's bindings, writing a
 *    binding, attributing an event) and calls its hooks at fixed points of a
 *    run: every candidate (tl_corr_inc_cand), every logoff, a group's
 *    begin, each binding made and final, each pass, the group's end, and
 *    before and after a whole run (tl_corr_ids_begin, tl_corr_ids_end);
 *  - correlate-inc.c owns struct corr_inc (c->inc, NULL in a first run,
 *    where every hook but tl_corr_ids_begin is a no-op or not called) and the
 *    group fields marked as its own below (g_match, g_made, g_numbered,
 *    g_ids, g_wait), and never changes how a binding is built.
 * Ownership: everything hangs off struct corr and is freed by correlate.c's
 * corr_free (which calls tl_corr_inc_free). Strings are interned ids into
 * c->str, valid for the run.
 */
#ifndef TL_CORRELATE_INTERNAL_H
#define TL_CORRELATE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tl/bindings.h"
#include "tl/correlate.h"
#include "tl/time.h"
#include "tl/util.h"

/* Evidence is hostile: every table has a ceiling. Beyond it a candidate is
 * skipped and counted (summary.skipped), never silently merged. */
#define MAX_STRINGS (16u << 20)
#define MAX_CANDS (32u << 20)
#define MAX_CONFLICTS 100000
#define MAX_EVIDENCE 16 /* {path,line} kept per binding; `events` counts them all */

enum kind { K_HOST_USER, K_IP_HOST, K_IP_USER, K_KINDS };
static const char *const kind_name[K_KINDS] = { "host-user", "ip-host", "ip-user" };

/* Sources in order of precedence, for choosing the justification among
 * bindings that agree. */
enum source { S_VPN, S_DHCP, S_LOGON, S_SSO, S_PROXY, S_EDR, S_INVENTORY };
static const char *const source_name[] = { "vpn", "dhcp", "logon", "sso", "proxy-auth", "edr", "inventory" };

enum rule { R_SESSION_END, R_LEASE_END, R_NEXT, R_RESTART, R_LOGOFF, R_WINDOW, R_OPEN };
static const char *const rule_name[] = { "session-end", "lease-end", "next-assignment", "server-restart",
					 "logoff", "window", "open-ended" };

/* Interned strings: ids are indexes into s, stable for the run. */
struct intern {
	char **s;
	int32_t *canon; /* per string, for the raw-spelling table: canonical id, -1 not one */
	size_t n, cap;
	uint32_t *slot; /* id + 1, 0 empty */
	size_t nslot;
};

struct cand {
	tl_us start, end;
	int64_t start_event, end_event, events;
	int32_t subj, val;
	int32_t ev_path[2];       /* evidence of the start and the end, -1 none */
	int64_t ev_line[2];
	uint8_t kind, source, rule, has_start, has_end, firm, tier;
};

struct bnd {
	struct cand c;
	int64_t id; /* matched with stored bindings: its order of making until final (g_ids) */
	int32_t nev;
	int32_t ev_path[MAX_EVIDENCE];
	int64_t ev_line[MAX_EVIDENCE];
};

struct conflict {
	int64_t id;   /* binding_conflicts.id; 0: deleted by an incremental run */
	int64_t a, b; /* binding ids, a the earlier in the bindings' order */
	uint8_t kind;
	int32_t subj;
	int has_start, has_end;
	tl_us start, end;
	int64_t events;
};

/* A final binding of the open group that one still to come may overlap. */
struct act {
	int64_t id;
	tl_us start, end;
	int32_t val;
	uint8_t has_start, has_end;
};

/* A binding as attribution needs it, loaded back from the store. */
struct cb {
	int64_t id;
	tl_us start, end;
	tl_us maxend;      /* the latest end of this and every earlier binding of its tier */
	int32_t val;
	uint8_t has_start, has_end, has_maxend, firm, source;
};

/* The bindings of one (kind, subject), tier 0 (evidence) then tier 1 (inventory). */
struct subject_cache {
	int valid, kind;
	int32_t subj;
	uint64_t used;
	struct cb *v;
	size_t n, n0;
	int windowed;   /* only the bindings that can cover a time in [tlo, thi] */
	tl_us tlo, thi;
};

struct corr {
	struct intern str; /* canonical values and evidence paths */
	struct intern raw; /* "T" + raw text -> canonical id (T: u user, h host, i ip) */
	struct tl_cand_sort *sort; /* every candidate, sorted by the store */
	int64_t n_cands, n_logoffs;
	/* the open group (kind, subject, tier), built in slices */
	struct cand *cands; /* its candidates not merged yet, in group order */
	uint8_t *done;      /* per candidate: its end is known (one pass) */
	size_t n_cands_grp, cap_cands;
	struct bnd *bnds;   /* its windowed bindings that later windows may still join */
	size_t n_bnds, cap_bnds, heads_at;
	uint32_t *hslot;    /* (value, source) -> 1 + index in bnds */
	size_t nhslot;
	struct act *act;    /* its final bindings that one still to come may overlap */
	size_t n_act, cap_act, act_prune_at;
	int lo_has;         /* no candidate still to merge starts before lo (NULL ones come first) */
	tl_us lo;
	int g_open, g_kind, g_tier;
	int32_t g_subj;
	int64_t grp_bindings;
	size_t grp_conf0;   /* its first conflict */
	int conf_heap;      /* its conflicts are a max-heap: the table is full */
	int seen_has, pass_seen_has;
	tl_us seen, pass_seen; /* the start of the last candidate read, and at the last pass */
	size_t slice, since_pass;
	size_t max_pending, max_open, max_active; /* the ceilings (TL_CORR_LIMIT for tests) */
	struct tl_buf evbuf;
	int64_t next_id;    /* the highest binding id given: new ones are numbered on from it */
	int64_t next_conflict;
	struct corr_inc *inc; /* stable ids and incremental runs (correlate-inc.c; NULL: a first run) */
	/* A run over stored bindings (correlate-inc.c) knows a binding's id only
	 * when it is final: until then the group's bindings are keyed by their
	 * order of making (1, 2, ...), which is the ids' order. */
	int g_match;        /* the open group's bindings are matched with stored ones */
	int64_t g_made, g_numbered; /* bindings made in the group; those numbered (a prefix) */
	int64_t *g_ids;     /* per binding made: its id; 0 not final yet, -1 new and waiting */
	struct bnd **g_wait; /* per binding made: a new final one waiting for an earlier one's id */
	size_t cap_gids;
	int64_t max_span;   /* the longest finite binding written */
	int64_t attr_span;  /* the longest finite binding attribution may meet */
	int64_t window;     /* a subject with more bindings is loaded in windows of time (TL_CORR_WINDOW) */
	uint64_t win_loads, win_misses; /* windowed loads; those that dropped a window for another */
	uint8_t *bound;     /* per str id: bit 1 << kind when it is the subject of a binding of that kind */
	int64_t *n_addr;    /* per str id: its ip-user and ip-host bindings */
	int addr_counts;    /* n_addr counts every binding (a whole run), not only those rebuilt */
	uint32_t *slot[K_KINDS]; /* per str id: 1 + its cache entry, 0 none */
	size_t cap_bound;
	struct conflict *conflicts;
	size_t n_conflicts;
	struct subject_cache *cache;
	size_t n_cache, cap_cache, cached; /* cached: bindings held */
	uint64_t clock;
	struct tl_subject_bindings *sb;
	struct tl_correlate_opts o;
	struct tl_correlate_summary sum;
	int has_ip_host; /* some address is bound to a host: events with a user may get one */
	struct tl_buf skey; /* the current logon session key */
	struct tl_err serr; /* a store failure behind a -1 (else: out of memory) */
	int store_failed;
	uint64_t sessions;  /* digest of the sessions rows: a sum, so in any order */
};

static inline int cmp_i64(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

/* NULL start first (before the evidence), then by time. */
static inline int cmp_start(int has_a, tl_us a, int has_b, tl_us b)
{
	if (has_a != has_b)
		return has_a ? 1 : -1;
	return has_a ? cmp_i64(a, b) : 0;
}

/* ---- correlate.c: the rules ---- */

/* The id of S, added when new; -1 when out of memory or full. */
int32_t tl_corr_intern_get(struct intern *t, const char *s);
/* PATH (NULL: "") interned. */
int32_t tl_corr_path_id(struct corr *c, const char *path);
/* The candidates an identity event (a host address event) is evidence of, a
 * sessions row's: handed to the sorter, or first to tl_corr_inc_cand. -1:
 * tl_corr_collect_fail says why. */
int tl_corr_identity(struct corr *c, const struct tl_ident_row *r);
int tl_corr_host_address(struct corr *c, const struct tl_ident_row *r);
int tl_corr_session(struct corr *c, const struct tl_session_row *r);
/* One sessions row's digest (every field the rules read). */
uint64_t tl_corr_session_hash(const struct tl_session_row *r);
/* A -1 of the three above as an error: the store's, else out of memory. */
int tl_corr_collect_fail(struct corr *c, struct tl_err *err);
/* Every candidate of c->sort made into bindings, one subject at a time. */
int tl_corr_build_bindings(struct corr *c, struct tl_bind_writer *w, struct tl_err *err);
/* D's evidence column (a JSON array of {path, line}) into EV. -1: out of memory. */
int tl_corr_bnd_evidence_json(const struct corr *c, const struct bnd *d, struct tl_buf *ev);
/* D's row, with the id it has. */
int tl_corr_write_binding(struct corr *c, struct tl_bind_writer *w, const struct bnd *d, struct tl_err *err);
/* Room in the per-string arrays (bound, n_addr, slot) for string id ID. */
int tl_corr_grow_bound(struct corr *c, int32_t id);
/* ID is the subject of a binding of kind K. */
int tl_corr_is_bound(const struct corr *c, enum kind k, int32_t id);
/* The address's canonical id if some binding has it as subject, else -1. */
int32_t tl_corr_bound_addr(const struct corr *c, const char *ip);
/* Attributes one event from the bindings stored (c->sb). */
int tl_corr_attribute_row(struct corr *c, struct tl_bind_writer *w, const struct tl_addr_row *r, struct tl_err *err);

/* ---- correlate-inc.c: stable ids and incremental runs ---- */

/* A candidate about to go to the sorter: 0 it goes (*X and *SESS may be
 * replaced: an old logon ended by its stored logoff), 1 it does not (noted
 * for the region, or outside it), -1 failed. */
int tl_corr_inc_cand(struct corr *c, const struct cand **x, const char **sess);
/* A logoff: 1 not for the sorter (an incremental run), 0 it goes. */
int tl_corr_inc_logoff(struct corr *c);
/* Group hooks (a group: one kind, subject and tier, c->g_*): its begin; one
 * more binding made (c->g_made is its key); D final (matched with a stored
 * one, or numbered and written once every earlier one is); after a pass,
 * nothing not final yet starts before LO; its end. Called only with
 * c->g_match but the first. */
int tl_corr_ids_group_begin(struct corr *c, struct tl_err *err);
int tl_corr_ids_made(struct corr *c);
int tl_corr_ids_final(struct corr *c, struct tl_bind_writer *w, struct bnd *d, struct tl_err *err);
int tl_corr_ids_settle(struct corr *c, struct tl_bind_writer *w, tl_us lo, struct tl_err *err);
int tl_corr_ids_group_end(struct corr *c, struct tl_bind_writer *w, struct tl_err *err);
/* Before a whole run: the ids stored (c->next_id; c->inc when there are
 * some); after its bindings: the stored ones not kept are swept. */
int tl_corr_ids_begin(struct corr *c, struct tl_store *s, struct tl_err *err);
int tl_corr_ids_end(struct corr *c, struct tl_bind_writer *w, struct tl_err *err);
/* The incremental run: 1 done, 0 the whole run is needed (*WHY), -1 error. */
int tl_corr_inc_run(struct corr *c, struct tl_store *s, const char *digest, struct tl_corr_state *st, const char **why,
		    struct tl_err *err);
/* Accepts NULL. */
void tl_corr_inc_free(struct corr_inc *x);

#endif
