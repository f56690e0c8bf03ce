/*
 * Time-bounded bindings and attribution (include/tl/correlate.h; the rules
 * are documented in docs/correlation.md#bindings-and-attribution, and this
 * file follows that page section by section).
 *
 * Memory does not grow with the evidence: strings are interned once
 * (canonical user, host and address texts, evidence paths: they grow with
 * the entities, not the events); candidates go to the store, which sorts
 * them on disk and hands them back one subject after the other, each in
 * time order, so only what is open at one moment of one subject's history
 * is in memory while its bindings are made and written; attribution then reads the bound addresses' events one address
 * after the other and looks bindings up in a small cache of subjects loaded
 * back from the bindings table, with a binary search per event. The store is
 * read through narrow iterators (include/tl/bindings.h) that use the
 * existing indexes, so a case whose events name no bound address pays
 * almost nothing.
 *
 * What this is not: entity normalization (tl_entity_canon does that), or a
 * guess. Where the evidence binds one address to two people at once the
 * event stays unattributed and the conflict is recorded.
 */
#define _POSIX_C_SOURCE 200809L
#include "tl/correlate.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "tl/bindings.h"
#include "tl/entity.h"
#include "tl/grow.h"
#include "tl/json.h"
#include "correlate-internal.h"
#include "tl/banned.h"

/* Bindings held for attribution (48 bytes each: 24 MB): the bound addresses are
 * attributed in chunks whose bindings fit in half of it, the rest serves the
 * other side of an event and the hosts' users. */
#define CACHE_BINDINGS (1u << 19)
/* A subject with more bindings than this (1.84 M for one address in 50 M
 * generated Squid lines: 88 MB) is loaded in windows of time of about as
 * many, each reaching an hour (WINDOW_SLACK) further back than the event
 * that asked, so that rows a little out of order in time stay in it. */
#define WINDOW_BINDINGS (1 << 16)
#define WINDOW_SLACK ((int64_t)3600 * 1000000)
#define PAGE_CACHE_KIB 16384 /* SQLite's page cache while correlating: its reads are the events' index order anyway */

/* ---- interned strings ---------------------------------------------------------- */

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static int32_t intern_find(const struct intern *t, const char *s)
{
	if (!t->nslot)
		return -1;
	for (size_t i = fnv(s) & (t->nslot - 1);; i = (i + 1) & (t->nslot - 1)) {
		uint32_t v = t->slot[i];
		if (!v)
			return -1;
		if (!strcmp(t->s[v - 1], s))
			return (int32_t)(v - 1);
	}
}

/* The id of S, added when new; -1 when out of memory or full. */
int32_t tl_corr_intern_get(struct intern *t, const char *s)
{
	int32_t id = intern_find(t, s);
	if (id >= 0)
		return id;
	if (t->n >= MAX_STRINGS)
		return -1;
	if ((t->n + 1) * 2 > t->nslot) {
		size_t ns = t->nslot ? t->nslot * 2 : 1024;
		uint32_t *slot = calloc(ns, sizeof(*slot));
		if (!slot)
			return -1;
		for (size_t k = 0; k < t->n; k++) {
			size_t i = fnv(t->s[k]) & (ns - 1);
			while (slot[i])
				i = (i + 1) & (ns - 1);
			slot[i] = (uint32_t)k + 1;
		}
		free(t->slot);
		t->slot = slot;
		t->nslot = ns;
	}
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 256;
		char **ns = realloc(t->s, nc * sizeof(*ns));
		if (!ns)
			return -1;
		t->s = ns;
		int32_t *nk = realloc(t->canon, nc * sizeof(*nk));
		if (!nk)
			return -1;
		t->canon = nk;
		t->cap = nc;
	}
	char *dup = strdup(s);
	if (!dup)
		return -1;
	size_t i = fnv(s) & (t->nslot - 1);
	while (t->slot[i])
		i = (i + 1) & (t->nslot - 1);
	t->slot[i] = (uint32_t)t->n + 1;
	t->s[t->n] = dup;
	t->canon[t->n] = -1;
	return (int32_t)t->n++;
}

static void intern_release(struct intern *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->s[i]);
	free(t->s);
	free(t->canon);
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

/* The canonical id of RAW as an entity of type T (cached per spelling), or -1
 * when it is not one (an empty user, "-" as an address). -2: out of memory. */
static int32_t canon(struct corr *c, enum tl_entity_type t, const char *raw)
{
	if (!raw || !*raw)
		return -1;
	char key[512];
	size_t n = strlen(raw);
	if (n > sizeof(key) - 2)
		return -1; /* no user, host or address is that long */
	key[0] = t == TL_ENT_USER ? 'u' : t == TL_ENT_HOST ? 'h' : 'i';
	memcpy(key + 1, raw, n + 1);
	int32_t k = intern_find(&c->raw, key);
	if (k >= 0)
		return c->raw.canon[k];
	if ((k = tl_corr_intern_get(&c->raw, key)) < 0)
		return -2;
	char *out = NULL;
	struct tl_err e;
	int32_t id = -1;
	if (tl_entity_canon(t, raw, &out, &e) == 0 && out && *out && (id = tl_corr_intern_get(&c->str, out)) < 0)
		id = -2;
	free(out);
	if (id == -2)
		return -2;
	c->raw.canon[k] = id;
	return id;
}

/* Hands a candidate to the store's sorter (SESS: its logon session key, or NULL). */
static int add_cand(struct corr *c, const struct cand *x, const char *sess)
{
	if (c->inc) {
		int r = tl_corr_inc_cand(c, &x, &sess); /* 1: not for the sorter */
		if (r)
			return r < 0 ? -1 : 0;
	}
	if (c->n_cands >= MAX_CANDS) {
		c->sum.skipped++;
		return 0;
	}
	c->n_cands++;
	struct tl_cand_row r = { 0 };
	r.kind = x->kind;
	r.tier = x->tier;
	r.source = x->source;
	r.rule = x->rule;
	r.firm = x->firm;
	r.subject = c->str.s[x->subj];
	r.val = x->val;
	r.has_start = x->has_start;
	r.start = x->start;
	r.has_end = x->has_end;
	r.end = x->end;
	r.start_event = x->start_event;
	r.end_event = x->end_event;
	r.events = x->events;
	r.sess = sess;
	r.path0 = x->ev_path[0];
	r.line0 = x->ev_line[0];
	r.path1 = x->ev_path[1];
	r.line1 = x->ev_line[1];
	if (tl_cand_sort_add(c->sort, &r, &c->serr)) {
		c->store_failed = 1;
		return -1;
	}
	return 0;
}

static void cand_init(struct cand *x, enum kind k, enum source src, int32_t subj, int32_t val)
{
	memset(x, 0, sizeof(*x));
	x->kind = (uint8_t)k;
	x->source = (uint8_t)src;
	x->subj = subj;
	x->val = val;
	x->ev_path[0] = x->ev_path[1] = -1;
	x->events = 1;
}

/* ---- addresses ---------------------------------------------------------------------- */

/* RFC 1918 and unique-local IPv6 (fc00::/7): the addresses of the inside. */
static int inside_addr(const char *ip)
{
	unsigned char a[16];
	if (inet_pton(AF_INET, ip, a) == 1)
		return a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) || (a[0] == 192 && a[1] == 168);
	if (inet_pton(AF_INET6, ip, a) == 1)
		return (a[0] & 0xfe) == 0xfc;
	return 0;
}

/* Loopback, unspecified and link-local addresses bind nothing: every host has them. */
static int local_addr(const char *ip)
{
	unsigned char a[16];
	if (inet_pton(AF_INET, ip, a) == 1)
		return a[0] == 127 || a[0] == 0 || (a[0] == 169 && a[1] == 254);
	if (inet_pton(AF_INET6, ip, a) == 1) {
		static const unsigned char zero[16];
		if (!memcmp(a, zero, 15) && (a[15] == 0 || a[15] == 1))
			return 1;
		return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
	}
	return 1; /* not an address at all */
}

/* ---- which events are evidence of a binding --------------------------------------- */

static int is_success(const struct tl_ident_row *r)
{
	return r->outcome && !strcmp(r->outcome, "success");
}

static int is_logoff(const struct tl_ident_row *r)
{
	if (r->event_code && (!strcmp(r->event_code, "4634") || !strcmp(r->event_code, "4647")))
		return 1;
	return r->class && !strcmp(r->class, "authentication") && r->action &&
	       (!strcasecmp(r->action, "logoff") || !strcasecmp(r->action, "logout"));
}

/* Accounts that are not a person: the machine itself and the built-in
 * service identities. Compared on the part after a domain separator. */
static int service_account(const char *user, int process_owner)
{
	const char *u = user, *bs = strrchr(user, '\\');
	if (bs)
		u = bs + 1;
	size_t n = strlen(u);
	if (!n || u[n - 1] == '$')
		return 1;
	static const char *const names[] = { "system", "local service", "network service", "localservice",
					     "networkservice", "anonymous logon", "-" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(u, names[i]))
			return 1;
	if (!strncasecmp(u, "dwm-", 4) || !strncasecmp(u, "umfd-", 5))
		return 1;
	/* daemons run as root: a process owned by root says nothing about who sat at the host */
	return process_owner && !strcmp(u, "root");
}

/* Windows logon types, as numbers or names (MDE, CrowdStrike). */
static int logon_type_in(const char *t, const char *const *list)
{
	for (; *list; list++)
		if (!strcasecmp(t, *list))
			return 1;
	return 0;
}
static const char *const remote_types[] = { "3", "8", "10", "Network", "NetworkCleartext", "RemoteInteractive", NULL };
static const char *const interactive_types[] = { "2", "7", "10", "11", "Interactive", "Unlock", "RemoteInteractive",
						 "CachedInteractive", NULL };

int32_t tl_corr_path_id(struct corr *c, const char *path)
{
	return tl_corr_intern_get(&c->str, path ? path : "");
}

static int add_windowed(struct corr *c, enum kind k, enum source src, int32_t subj, int32_t val,
			const struct tl_ident_row *r, int64_t window, const char *sess)
{
	struct cand x;
	cand_init(&x, k, src, subj, val);
	x.start = r->ts;
	x.has_start = 1;
	x.end = r->ts + window;
	x.has_end = 1;
	x.rule = R_WINDOW;
	x.start_event = r->id;
	if ((x.ev_path[0] = tl_corr_path_id(c, r->path)) < 0)
		return -1;
	x.ev_line[0] = r->line;
	return add_cand(c, &x, sess);
}

static int add_logoff(struct corr *c, const char *sess, const struct tl_ident_row *r)
{
	if (c->inc && tl_corr_inc_logoff(c))
		return 0;
	if (c->n_logoffs >= MAX_CANDS) {
		c->sum.skipped++;
		return 0;
	}
	c->n_logoffs++;
	int32_t path = tl_corr_path_id(c, r->path);
	if (path < 0)
		return -1;
	if (tl_cand_sort_logoff(c->sort, sess, r->ts, r->id, path, r->line, &c->serr)) {
		c->store_failed = 1;
		return -1;
	}
	return 0;
}

/* The logon session an event belongs to: host and the source's logon id, as
 * text in B. 1: a key, 0: none, -1: out of memory. Not interned: there is
 * one per logon, and the store matches them. */
static int session_key(struct corr *c, const struct tl_ident_row *r, int32_t host, struct tl_buf *b)
{
	if (!r->session_id || !*r->session_id || host < 0)
		return 0;
	tl_buf_reset(b);
	return tl_buf_addf(b, "\x1f%s\x1f%s", c->str.s[host], r->session_id) || !b->data ? -1 : 1;
}

/* One event that names a user: which bindings it is evidence of
 * (docs/correlation.md, "Sources"). */
int tl_corr_identity(struct corr *c, const struct tl_ident_row *r)
{
	int32_t user = canon(c, TL_ENT_USER, r->user);
	int32_t host = canon(c, TL_ENT_HOST, r->host);
	if (user == -2 || host == -2)
		return -1;
	int auth = r->class && !strcmp(r->class, "authentication");
	int endpoint = !strcmp(r->family, "edr") || !strcmp(r->family, "hids");
	if (auth && is_logoff(r)) {
		int has = session_key(c, r, host, &c->skey);
		return has < 0 ? -1 : has ? add_logoff(c, c->skey.data, r) : 0;
	}
	if (user < 0 || service_account(r->user, 0))
		return 0;
	int32_t ip = -1;
	if (r->src_ip && !local_addr(r->src_ip) && (ip = canon(c, TL_ENT_IP, r->src_ip)) == -2)
		return -1;
	int64_t lw = c->o.logon_window_us, pw = c->o.proxy_window_us;
	/* proxy authentication: the user the proxy authenticated, at the client's address */
	if (!strcmp(r->family, "proxy"))
		return ip >= 0 ? add_windowed(c, K_IP_USER, S_PROXY, ip, user, r, pw, NULL) : 0;
	if (auth && is_success(r)) {
		int has = session_key(c, r, host, &c->skey);
		if (has < 0)
			return -1;
		const char *sess = has ? c->skey.data : NULL;
		/* a sign-in to a cloud identity provider from an inside address */
		if (!strcmp(r->family, "audit"))
			return ip >= 0 && inside_addr(r->src_ip) ? add_windowed(c, K_IP_USER, S_SSO, ip, user, r, lw, NULL) : 0;
		/* logons on hosts (any address but their own), Kerberos and NTLM seen on the
		 * wire (inside addresses); VPN and firewall logons name the outside address */
		int wire = !strcmp(r->family, "flow");
		if (!endpoint && !wire)
			return 0;
		if (ip >= 0 && (!wire || inside_addr(r->src_ip)) &&
		    (!r->logon_type || logon_type_in(r->logon_type, remote_types)) &&
		    add_windowed(c, K_IP_USER, S_LOGON, ip, user, r, lw, sess))
			return -1;
		if (endpoint && host >= 0 && (!r->logon_type || logon_type_in(r->logon_type, interactive_types)) &&
		    add_windowed(c, K_HOST_USER, S_LOGON, host, user, r, lw, sess))
			return -1;
		return 0;
	}
	/* a process owner: someone was using the host */
	if (!strcmp(r->family, "edr") && r->class && !strcmp(r->class, "process_activity") && host >= 0 &&
	    !service_account(r->user, 1))
		return add_windowed(c, K_HOST_USER, S_EDR, host, user, r, lw, NULL);
	return 0;
}

/* An EDR network event: the host it came from had that address. */
int tl_corr_host_address(struct corr *c, const struct tl_ident_row *r)
{
	if (strcmp(r->family, "edr") || !r->host || !r->src_ip || local_addr(r->src_ip) || !r->class ||
	    strcmp(r->class, "network_activity"))
		return 0;
	/* Sysmon: an inbound connection names the remote side as its source */
	if (r->initiated && strcasecmp(r->initiated, "true"))
		return 0;
	int32_t host = canon(c, TL_ENT_HOST, r->host), ip = canon(c, TL_ENT_IP, r->src_ip);
	if (host == -2 || ip == -2)
		return -1;
	return host >= 0 && ip >= 0 ? add_windowed(c, K_IP_HOST, S_EDR, ip, host, r, c->o.edr_window_us, NULL) : 0;
}

int tl_corr_session(struct corr *c, const struct tl_session_row *r)
{
	int dhcp = !strcmp(r->kind, "dhcp");
	int32_t ip = canon(c, TL_ENT_IP, r->assigned_ip);
	int32_t val = dhcp ? canon(c, TL_ENT_HOST, r->client_host) : canon(c, TL_ENT_USER, r->user);
	if (ip == -2 || val == -2)
		return -1;
	if (ip < 0 || val < 0)
		return 0; /* a lease to a client that sent no name binds no host */
	struct cand x;
	cand_init(&x, dhcp ? K_IP_HOST : K_IP_USER, dhcp ? S_DHCP : S_VPN, ip, val);
	x.firm = 1;
	if (r->has_start) {
		x.start = r->start;
		x.has_start = 1;
	} else if (r->has_log_start) {
		/* the log begins mid-session: it began no later than the log did */
		x.start = r->log_start;
		x.has_start = 1;
	}
	x.start_event = r->start_event;
	if (r->start_path && (x.ev_path[0] = tl_corr_path_id(c, r->start_path)) < 0)
		return -1;
	x.ev_line[0] = r->start_line;
	if (!strcmp(r->ended_by, "open")) {
		x.rule = R_OPEN;
	} else {
		x.has_end = r->has_end;
		x.end = r->end;
		x.end_event = r->end_event;
		x.rule = !strcmp(r->ended_by, "reassigned") ? R_NEXT
			 : !strcmp(r->ended_by, "restart")  ? R_RESTART
			 : dhcp				    ? R_LEASE_END
							    : R_SESSION_END;
		if (!x.has_end)
			x.rule = R_OPEN;
		if (r->end_path && (x.ev_path[1] = tl_corr_path_id(c, r->end_path)) < 0)
			return -1;
		x.ev_line[1] = r->end_line;
	}
	return add_cand(c, &x, NULL);
}

static int inventory(struct corr *c, const struct tl_inventory_entry *e)
{
	int32_t host = canon(c, TL_ENT_HOST, e->host);
	int32_t owner = e->owner ? canon(c, TL_ENT_USER, e->owner) : -1;
	if (host == -2 || owner == -2)
		return -1;
	if (host < 0)
		return 0;
	struct cand x;
	for (size_t i = 0; i <= e->n_ips; i++) {
		int32_t subj = host, val = owner;
		enum kind k = K_HOST_USER;
		if (i < e->n_ips) {
			if ((subj = canon(c, TL_ENT_IP, e->ips[i])) == -2)
				return -1;
			val = host;
			k = K_IP_HOST;
		}
		if (subj < 0 || val < 0)
			continue;
		cand_init(&x, k, S_INVENTORY, subj, val);
		x.firm = 1;
		x.tier = 1;
		x.rule = R_OPEN;
		if (add_cand(c, &x, NULL))
			return -1;
	}
	return 0;
}

static struct corr *sort_ctx; /* qsort has no context argument */

/* Ties between candidates are broken by where their evidence is (path, line),
 * then by event id, which orders records of one file as the file does: row
 * ids alone depend on the order files were ingested in, and a replay must
 * give the same bindings. */
static int cmp_evidence(const struct cand *a, const struct cand *b)
{
	const struct corr *c = sort_ctx;
	int r;
	if (a->ev_path[0] != b->ev_path[0]) {
		if (a->ev_path[0] < 0 || b->ev_path[0] < 0)
			return a->ev_path[0] < b->ev_path[0] ? -1 : 1;
		if ((r = strcmp(c->str.s[a->ev_path[0]], c->str.s[b->ev_path[0]])))
			return r;
	}
	if (a->ev_line[0] != b->ev_line[0])
		return a->ev_line[0] < b->ev_line[0] ? -1 : 1;
	return cmp_i64(a->start_event, b->start_event);
}

/* Group order: kind, subject, tier, start, value, source, evidence. */
static int cmp_cand_group(const void *pa, const void *pb)
{
	const struct cand *a = pa, *b = pb;
	int r;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->subj != b->subj)
		return a->subj < b->subj ? -1 : 1;
	if (a->tier != b->tier)
		return a->tier < b->tier ? -1 : 1;
	if ((r = cmp_start(a->has_start, a->start, b->has_start, b->start)))
		return r;
	/* values by text, not intern id: which of two successors starting at one
	 * instant ends a window must not depend on the order rows were read in */
	if (a->val != b->val && (r = strcmp(sort_ctx->str.s[a->val], sort_ctx->str.s[b->val])))
		return r;
	if (a->source != b->source)
		return a->source < b->source ? -1 : 1;
	return cmp_evidence(a, b);
}

/* ---- one group in time slices ----------------------------------------------------------
 *
 * The candidates of one (kind, subject, tier) come back from the store in
 * start order, and a busy address (a NAT, a proxy's client) has hundreds of
 * thousands of them. They are made into bindings in slices, each pass
 * finishing what no later candidate can change and carrying the rest, so
 * memory holds what is open at one moment of the subject's history rather
 * than the whole of it:
 *  - pending candidates whose window a later one may still cut (a window
 *    ends where the first later candidate of another value that starts
 *    strictly after it begins: "next-assignment"); they are merged in group
 *    order once that is known;
 *  - per (value, source), the windowed binding that later windows may still
 *    join (windows that overlap or touch are one binding);
 *  - finished bindings that a binding still to come may overlap (conflicts).
 * Bindings are numbered as they are made: group order (start, value text,
 * source, evidence) is the order of their first candidates and so the
 * final order of the ids (kind, subject text, tier, start, value text,
 * source, evidence: texts, not intern ids, so the ids do not depend on the
 * order rows were read in). A binding is written once it is final, so rows
 * may reach the table out of id order. A conflict is found when the later
 * of its two bindings is final; a group's conflicts are put in (a, b) order
 * when it ends, the order of a scan of the bindings in id order. */

#define SLICE_DEFAULT 65536    /* candidates read between two passes (TL_CORR_SLICE for tests) */
#define MAX_PENDING (1u << 18) /* candidates of one group not merged yet (88 B each): 200 a second for 20 min */
#define MAX_OPEN (1u << 17)    /* windowed bindings still open (~300 B each) */
#define MAX_ACTIVE (1u << 19)  /* final bindings a later one may overlap (40 B each) */

/* Something of the open group went past a ceiling: counted, and the first
 * such subject named for the ingest's warning. */
static void skip_in_group(struct corr *c)
{
	c->sum.skipped++;
	if (!c->sum.skipped_at[0])
		snprintf(c->sum.skipped_at, sizeof(c->sum.skipped_at), "%s %s", kind_name[c->g_kind],
			 c->str.s[c->g_subj]);
}

/* A window ends where the next binding of the subject to someone else begins
 * ("next-assignment"): the evidence has moved on. The first N pending
 * candidates are all there are up to the last complete instant; FINAL: no
 * candidate follows, else none starts before HZ. done[i]: the end of
 * candidate i is known. */
static int truncate_windows(struct corr *c, size_t n, int final, int hz_has, tl_us hz)
{
	if (!n)
		return 0;
	size_t *nd = malloc(n * sizeof(*nd));
	if (!nd)
		return -1;
	struct cand *x = c->cands;
	/* nd[i]: the first index after i whose value differs from x[i]'s */
	nd[n - 1] = n;
	for (size_t i = n - 1; i-- > 0;)
		nd[i] = x[i + 1].val != x[i].val ? i + 1 : nd[i + 1];
	for (size_t i = 0; i < n; i++) {
		c->done[i] = 1;
		if (x[i].firm || !x[i].has_start || !x[i].has_end)
			continue;
		size_t j = nd[i];
		/* a different value starting at the same instant is a conflict, not a successor */
		while (j < n && (!x[j].has_start || x[j].start <= x[i].start))
			j = j + 1 < n && x[j + 1].val != x[i].val ? j + 1 : j + 1 < n ? nd[j + 1] : n;
		if (j < n) {
			/* found again on a later pass: the end it cut to is not cut again */
			if (x[j].start < x[i].end) {
				x[i].end = x[j].start;
				x[i].rule = R_NEXT;
				x[i].end_event = x[j].start_event;
				x[i].ev_path[1] = x[j].ev_path[0];
				x[i].ev_line[1] = x[j].ev_line[0];
			}
			continue;
		}
		/* no successor yet: known only when none can start before the end */
		c->done[i] = final || (hz_has && hz >= x[i].end);
	}
	free(nd);
	return 0;
}

static void bnd_evidence(struct bnd *d, int32_t path, int64_t line)
{
	if (path < 0 || d->nev >= MAX_EVIDENCE)
		return;
	for (int32_t i = 0; i < d->nev; i++)
		if (d->ev_path[i] == path && d->ev_line[i] == line)
			return;
	d->ev_path[d->nev] = path;
	d->ev_line[d->nev++] = line;
}

static int overlap(const struct act *x, const struct act *y)
{
	int x_before_y_ends = !y->has_end || !x->has_start || x->start < y->end;
	int y_before_x_ends = !x->has_end || !y->has_start || y->start < x->end;
	return x_before_y_ends && y_before_x_ends;
}

static int cmp_conflict(const struct conflict *x, const struct conflict *y)
{
	return x->a != y->a ? cmp_i64(x->a, y->a) : cmp_i64(x->b, y->b);
}

static int cmp_conflict_q(const void *pa, const void *pb)
{
	return cmp_conflict(pa, pb);
}

/* Max-heap by (a, b) over the group's conflicts once the table is full. */
static void conflict_sift(struct conflict *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && cmp_conflict(&h[l], &h[m]) > 0)
			m = l;
		if (r < n && cmp_conflict(&h[r], &h[m]) > 0)
			m = r;
		if (m == i)
			return;
		struct conflict t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

/* Two bindings of the group's subject to different values at once: X the
 * one made first (the lower id or key). Past MAX_CONFLICTS the group keeps its lowest (a, b) pairs, the
 * ones a scan in id order would have kept, and counts the rest as skipped. */
static int add_conflict(struct corr *c, const struct act *x, const struct act *y)
{
	struct conflict k = { 0 };
	k.a = x->id;
	k.b = y->id;
	k.kind = (uint8_t)c->g_kind;
	k.subj = c->g_subj;
	k.has_start = y->has_start;
	k.start = y->start;
	k.has_end = x->has_end && y->has_end;
	k.end = !x->has_end ? y->end : !y->has_end ? x->end : x->end < y->end ? x->end : y->end;
	k.events = 0;
	if (c->n_conflicts >= MAX_CONFLICTS) {
		skip_in_group(c);
		struct conflict *h = c->conflicts + c->grp_conf0;
		size_t n = c->n_conflicts - c->grp_conf0;
		if (!n)
			return 0;
		if (!c->conf_heap) {
			for (size_t i = n / 2; i-- > 0;)
				conflict_sift(h, n, i);
			c->conf_heap = 1;
		}
		if (cmp_conflict(&k, &h[0]) < 0) {
			h[0] = k;
			conflict_sift(h, n, 0);
		}
		return 0;
	}
	if (!c->conflicts && !(c->conflicts = calloc(MAX_CONFLICTS, sizeof(*c->conflicts))))
		return -1;
	c->conflicts[c->n_conflicts++] = k;
	return 0;
}

/* The evidence column of D: a JSON array of {path, line}. -1: out of memory. */
int tl_corr_bnd_evidence_json(const struct corr *c, const struct bnd *d, struct tl_buf *ev)
{
	tl_buf_reset(ev);
	tl_buf_addc(ev, '[');
	for (int32_t k = 0; k < d->nev; k++) {
		tl_buf_adds(ev, k ? ",{" : "{");
		tl_json_put_key(ev, "path", 1);
		tl_json_put_str(ev, c->str.s[d->ev_path[k]]);
		tl_json_put_key(ev, "line", 0);
		tl_buf_addf(ev, "%lld}", (long long)d->ev_line[k]);
	}
	return tl_buf_addc(ev, ']') || !ev->data ? -1 : 0;
}

int tl_corr_write_binding(struct corr *c, struct tl_bind_writer *w, const struct bnd *d, struct tl_err *err)
{
	struct tl_buf *ev = &c->evbuf;
	if (tl_corr_bnd_evidence_json(c, d, ev))
		return tl_errf(err, "out of memory");
	struct tl_binding b = { 0 };
	b.id = d->id;
	b.kind = kind_name[d->c.kind];
	b.subject = c->str.s[d->c.subj];
	b.value = c->str.s[d->c.val];
	b.has_start = d->c.has_start;
	b.start = d->c.start;
	b.has_end = d->c.has_end;
	b.end = d->c.end;
	b.end_rule = rule_name[d->c.rule];
	b.source = source_name[d->c.source];
	b.start_event = d->c.start_event;
	b.end_event = d->c.end_event;
	b.events = d->c.events;
	b.evidence = ev->data;
	return tl_bind_writer_binding(w, &b, err);
}

/* Drops the final bindings that end before every binding not final yet
 * starts: the open ones and those still to come (at or after c->lo). Called
 * when the list has doubled, so a busy subject's scan stays short. */
static void prune_active(struct corr *c)
{
	if (c->lo_has) {
		tl_us lo = c->lo;
		for (size_t i = 0; i < c->n_bnds; i++)
			if (c->bnds[i].c.start < lo)
				lo = c->bnds[i].c.start;
		size_t k = 0;
		for (size_t i = 0; i < c->n_act; i++)
			if (!c->act[i].has_end || c->act[i].end > lo)
				c->act[k++] = c->act[i];
		c->n_act = k;
	}
	c->act_prune_at = 2 * c->n_act + 16;
}

/* A binding that nothing can change any more: its end's evidence, its
 * conflicts with the final bindings it overlaps, the row. */
static int close_bnd(struct corr *c, struct tl_bind_writer *w, struct bnd *d, struct tl_err *err)
{
	const struct cand *x = &d->c;
	if (c->n_act >= c->act_prune_at)
		prune_active(c);
	if (x->rule != R_WINDOW)
		bnd_evidence(d, x->ev_path[1], x->ev_line[1]);
	if (x->has_start && x->has_end && x->end - x->start > c->max_span)
		c->max_span = x->end - x->start;
	struct act a = { d->id, x->start, x->end, x->val, x->has_start, x->has_end };
	for (size_t i = 0; i < c->n_act; i++) {
		const struct act *o = &c->act[i];
		if (o->val == a.val || !overlap(o, &a))
			continue;
		if (o->id < a.id ? add_conflict(c, o, &a) : add_conflict(c, &a, o))
			return tl_errf(err, "out of memory");
	}
	if (c->n_act >= c->max_active) {
		skip_in_group(c); /* its conflicts with bindings still to come go unrecorded */
	} else {
		struct act *v = tl_grow(c->act, &c->cap_act, c->n_act + 1, sizeof(*v), 64);
		if (!v)
			return tl_errf(err, "out of memory");
		c->act = v;
		c->act[c->n_act++] = a;
	}
	return c->g_match ? tl_corr_ids_final(c, w, d, err) : tl_corr_write_binding(c, w, d, err);
}

/* A binding's id is given as it is made (the ids' order), or, matched with
 * stored bindings, once it is final (until then: its order of making). */
static int new_bnd(struct corr *c, struct bnd *d, const struct cand *x)
{
	memset(d, 0, sizeof(*d));
	d->c = *x;
	if (!c->g_match)
		d->id = ++c->next_id;
	else if (tl_corr_ids_made(c))
		return -1;
	else
		d->id = c->g_made;
	c->grp_bindings++;
	bnd_evidence(d, x->ev_path[0], x->ev_line[0]);
	return 0;
}

/* The open windowed bindings by (value, source): 1 + index in c->bnds. */
static size_t head_hash(int32_t val, int source, size_t nslot)
{
	uint64_t k = ((uint64_t)(uint32_t)val << 3 | (uint64_t)source) * 0x9E3779B97F4A7C15ull;
	return (size_t)(k >> 32) & (nslot - 1);
}

static int heads_rehash(struct corr *c, size_t want)
{
	size_t ns = 64;
	while (ns < 2 * want)
		ns *= 2;
	if (ns != c->nhslot) {
		uint32_t *v = realloc(c->hslot, ns * sizeof(*v));
		if (!v)
			return -1;
		c->hslot = v;
		c->nhslot = ns;
	}
	memset(c->hslot, 0, ns * sizeof(*c->hslot));
	for (size_t i = 0; i < c->n_bnds; i++) {
		size_t h = head_hash(c->bnds[i].c.val, c->bnds[i].c.source, ns);
		while (c->hslot[h])
			h = (h + 1) & (ns - 1);
		c->hslot[h] = (uint32_t)i + 1;
	}
	return 0;
}

static uint32_t *head_slot(struct corr *c, int32_t val, int source)
{
	size_t h = head_hash(val, source, c->nhslot);
	for (;; h = (h + 1) & (c->nhslot - 1)) {
		uint32_t v = c->hslot[h];
		if (!v || (c->bnds[v - 1].c.val == val && c->bnds[v - 1].c.source == source))
			return &c->hslot[h];
	}
}

/* Closes the open windowed bindings that end before LO (when LO_KNOWN: no
 * window still to merge starts before it), or all of them (ALL). */
static int close_heads(struct corr *c, struct tl_bind_writer *w, int all, int lo_known, tl_us lo,
		       struct tl_err *err)
{
	size_t k = 0;
	for (size_t i = 0; i < c->n_bnds; i++) {
		struct bnd *d = &c->bnds[i];
		if (all || (lo_known && d->c.end < lo)) {
			if (close_bnd(c, w, d, err))
				return -1;
			continue;
		}
		if (k != i)
			c->bnds[k] = *d;
		k++;
	}
	if (k != c->n_bnds) {
		c->n_bnds = k;
		if (heads_rehash(c, k + 1))
			return tl_errf(err, "out of memory");
	}
	c->heads_at = 2 * c->n_bnds + 16;
	return 0;
}

/* One candidate, in group order, whose end is known: a firm binding of its
 * own, or a window that joins its value's and source's open binding. */
static int merge_one(struct corr *c, struct tl_bind_writer *w, const struct cand *x, struct tl_err *err)
{
	if (x->firm) {
		struct bnd d;
		if (new_bnd(c, &d, x))
			return tl_errf(err, "out of memory");
		return close_bnd(c, w, &d, err);
	}
	/* the open bindings no window from X on can join are final: closed when
	 * their number has doubled, so a subject with many users keeps few open */
	if (c->n_bnds >= c->heads_at && close_heads(c, w, 0, c->lo_has, c->lo, err))
		return -1;
	if ((c->n_bnds + 1) * 2 > c->nhslot && heads_rehash(c, c->n_bnds + 1))
		return tl_errf(err, "out of memory");
	uint32_t *slot = head_slot(c, x->val, x->source);
	if (*slot) {
		struct bnd *cur = &c->bnds[*slot - 1];
		if (x->start <= cur->c.end) {
			if (x->end > cur->c.end) {
				cur->c.end = x->end;
				cur->c.rule = x->rule;
				cur->c.end_event = x->end_event;
				cur->c.ev_path[1] = x->ev_path[1];
				cur->c.ev_line[1] = x->ev_line[1];
			}
			cur->c.events += x->events;
			bnd_evidence(cur, x->ev_path[0], x->ev_line[0]);
			return 0;
		}
		if (close_bnd(c, w, cur, err))
			return -1;
		return new_bnd(c, cur, x) ? tl_errf(err, "out of memory") : 0;
	}
	if (c->n_bnds >= c->max_open) {
		skip_in_group(c);
		return 0;
	}
	struct bnd *v = tl_grow(c->bnds, &c->cap_bnds, c->n_bnds + 1, sizeof(*v), 64);
	if (!v)
		return tl_errf(err, "out of memory");
	c->bnds = v;
	if (new_bnd(c, &c->bnds[c->n_bnds], x))
		return tl_errf(err, "out of memory");
	*slot = (uint32_t)c->n_bnds++ + 1;
	return 0;
}

/* After a pass: close the open bindings no later window can join, and drop
 * the final ones no binding still to come can overlap. */
static int settle(struct corr *c, struct tl_bind_writer *w, int final, struct tl_err *err)
{
	/* every candidate not merged yet starts at or after LO (NULL: a
	 * firm one without a start, which comes first and overlaps anything) */
	int lo_known = 0, null_left = 0;
	tl_us lo = 0;
	for (size_t i = 0; i < c->n_cands_grp && !lo_known; i++) {
		if (c->cands[i].has_start) {
			lo = c->cands[i].start;
			lo_known = 1;
		} else {
			null_left = 1;
		}
	}
	if (!lo_known && c->seen_has) {
		lo = c->seen;
		lo_known = 1;
	}
	if (close_heads(c, w, final, lo_known, lo, err))
		return -1;
	if (final) {
		c->n_act = 0;
		return 0;
	}
	if (null_left || !lo_known)
		return 0;
	for (size_t i = 0; i < c->n_bnds; i++)
		if (c->bnds[i].c.start < lo)
			lo = c->bnds[i].c.start;
	size_t k = 0;
	for (size_t i = 0; i < c->n_act; i++)
		if (!c->act[i].has_end || c->act[i].end > lo)
			c->act[k++] = c->act[i];
	c->n_act = k;
	/* no binding still to be final starts before LO: nor does a stored one it matches */
	return c->g_match ? tl_corr_ids_settle(c, w, lo, err) : 0;
}

/* One pass over the pending candidates: order them, cut the windows whose
 * successor is known, merge the longest prefix whose ends are known. FINAL:
 * the group has no more candidates. */
static int group_pass(struct corr *c, struct tl_bind_writer *w, int final, struct tl_err *err)
{
	size_t n = c->n_cands_grp, m = n;
	struct cand *x = c->cands;
	c->since_pass = 0;
	c->pass_seen = c->seen;
	c->pass_seen_has = c->seen_has;
	sort_ctx = c;
	if (n)
		qsort(x, n, sizeof(*x), cmp_cand_group);
	/* candidates at the instant last read may be followed by more at that
	 * instant, which could come first in group order: they wait */
	if (!final)
		while (m > 0 && x[m - 1].has_start == c->seen_has && (!c->seen_has || x[m - 1].start == c->seen))
			m--;
	if (truncate_windows(c, m, final, c->seen_has, c->seen))
		return tl_errf(err, "out of memory");
	size_t k = 0;
	while (k < m && c->done[k])
		k++;
	for (size_t i = 0; i < k; i++) {
		/* the rest start no earlier (a NULL start sorts first) */
		c->lo_has = x[i].has_start;
		c->lo = x[i].start;
		if (merge_one(c, w, &x[i], err))
			return -1;
	}
	memmove(x, x + k, (n - k) * sizeof(*x));
	c->n_cands_grp = n - k;
	return settle(c, w, final, err);
}

/* ---- one subject at a time: candidates to bindings, written as they are made ---------- */

/* Room in the per-string arrays for string id ID. */
int tl_corr_grow_bound(struct corr *c, int32_t id)
{
	if ((size_t)id < c->cap_bound)
		return 0;
	size_t nc = c->cap_bound ? c->cap_bound : 1024, oc = c->cap_bound;
	while (nc <= (size_t)id)
		nc *= 2;
	uint8_t *v = realloc(c->bound, nc);
	if (!v)
		return -1;
	memset(v + oc, 0, nc - oc);
	c->bound = v;
	int64_t *na = realloc(c->n_addr, nc * sizeof(*na));
	if (!na)
		return -1;
	memset(na + oc, 0, (nc - oc) * sizeof(*na));
	c->n_addr = na;
	for (int k = 0; k < K_KINDS; k++) {
		uint32_t *sl = realloc(c->slot[k], nc * sizeof(*sl));
		if (!sl)
			return -1;
		memset(sl + oc, 0, (nc - oc) * sizeof(*sl));
		c->slot[k] = sl;
	}
	c->cap_bound = nc;
	return 0;
}

int tl_corr_is_bound(const struct corr *c, enum kind k, int32_t id)
{
	return id >= 0 && (size_t)id < c->cap_bound && (c->bound[id] & (1u << k));
}


static int group_begin(struct corr *c, int kind, int32_t subj, int tier, struct tl_err *err)
{
	if (tl_corr_grow_bound(c, subj))
		return tl_errf(err, "out of memory");
	c->g_open = 1;
	c->g_kind = kind;
	c->g_subj = subj;
	c->g_tier = tier;
	c->grp_bindings = 0;
	c->grp_conf0 = c->n_conflicts;
	c->conf_heap = 0;
	c->lo_has = 0;
	c->act_prune_at = 16;
	c->heads_at = 16;
	c->seen_has = c->pass_seen_has = 0;
	c->seen = c->pass_seen = 0;
	c->since_pass = 0;
	c->bound[subj] |= (uint8_t)(1u << kind);
	c->has_ip_host |= kind == K_IP_HOST;
	return tl_corr_ids_group_begin(c, err);
}

/* The group's last pass; its conflicts in (a, b) order (the bindings' order
 * of making, which is their ids' order among new ones), then their ids. */
static int group_end(struct corr *c, struct tl_bind_writer *w, struct tl_err *err)
{
	if (!c->g_open)
		return 0;
	c->g_open = 0;
	if (group_pass(c, w, 1, err))
		return -1;
	if (c->n_conflicts > c->grp_conf0)
		qsort(c->conflicts + c->grp_conf0, c->n_conflicts - c->grp_conf0, sizeof(*c->conflicts),
		      cmp_conflict_q);
	if (c->g_kind != K_HOST_USER)
		c->n_addr[c->g_subj] += c->grp_bindings;
	c->sum.bindings += c->grp_bindings;
	return tl_corr_ids_group_end(c, w, err);
}

/* A candidate of the open group, in start order. Past max_pending
 * candidates whose ends are not known yet (one value's windows, hours of
 * them, never cut by another) it is skipped and counted. */
static int group_add(struct corr *c, struct tl_bind_writer *w, const struct cand *x, struct tl_err *err)
{
	c->seen_has = x->has_start;
	c->seen = x->start;
	if (c->n_cands_grp >= c->max_pending) {
		/* a pass helps only when time has moved on since the last one; it
		 * is tried every sixteenth of the ceiling, not at every arrival */
		c->since_pass++;
		if ((c->seen_has != c->pass_seen_has || c->seen != c->pass_seen) &&
		    c->since_pass > c->max_pending / 16 && group_pass(c, w, 0, err))
			return -1;
		if (c->n_cands_grp >= c->max_pending) {
			skip_in_group(c);
			return 0;
		}
	}
	if (c->n_cands_grp == c->cap_cands) {
		size_t nc = c->cap_cands ? c->cap_cands * 2 : 1024;
		struct cand *v = realloc(c->cands, nc * sizeof(*v));
		if (!v)
			return tl_errf(err, "out of memory");
		c->cands = v;
		uint8_t *d = realloc(c->done, nc);
		if (!d)
			return tl_errf(err, "out of memory");
		c->done = d;
		c->cap_cands = nc;
	}
	c->cands[c->n_cands_grp++] = *x;
	if (++c->since_pass >= c->slice)
		return group_pass(c, w, 0, err);
	return 0;
}

/* The store hands the candidates back grouped by (kind, subject text, tier),
 * which is the order of the binding ids, each group in start order: a group
 * is built in slices, and finished before the next is read. */
int tl_corr_build_bindings(struct corr *c, struct tl_bind_writer *w, struct tl_err *err)
{
	const struct tl_cand_row *r;
	int rc, kind = -1, tier = -1;
	int32_t subj = -1;
	while ((rc = tl_cand_sort_next(c->sort, &r, err)) == 1) {
		if (subj < 0 || r->kind != kind || r->tier != tier || strcmp(c->str.s[subj], r->subject)) {
			if (group_end(c, w, err))
				return -1;
			if ((subj = tl_corr_intern_get(&c->str, r->subject)) < 0)
				return tl_errf(err, "out of memory");
			kind = r->kind;
			tier = r->tier;
			if (kind < 0 || kind >= K_KINDS)
				return tl_errf(err, "correlation: a binding candidate came back damaged");
			if (group_begin(c, kind, subj, tier, err))
				return -1;
		}
		if (r->kind < 0 || r->kind >= K_KINDS || r->val < 0 || (size_t)r->val >= c->str.n ||
		    r->path0 >= (int32_t)c->str.n || r->path1 >= (int32_t)c->str.n)
			return tl_errf(err, "correlation: a binding candidate came back damaged");
		struct cand x;
		cand_init(&x, (enum kind)r->kind, (enum source)r->source, subj, r->val);
		x.tier = (uint8_t)r->tier;
		x.rule = (uint8_t)r->rule;
		x.firm = (uint8_t)r->firm;
		x.has_start = (uint8_t)r->has_start;
		x.start = r->start;
		x.has_end = (uint8_t)r->has_end;
		x.end = r->end;
		x.start_event = r->start_event;
		x.end_event = r->end_event;
		x.events = r->events;
		x.ev_path[0] = r->path0;
		x.ev_line[0] = r->line0;
		x.ev_path[1] = r->path1;
		x.ev_line[1] = r->line1;
		/* a logon whose logoff is in the evidence ends there */
		if (r->sess && r->has_logoff) {
			x.end = r->logoff_ts;
			x.has_end = 1;
			x.rule = R_LOGOFF;
			x.firm = 1;
			x.end_event = r->logoff_event;
			x.ev_path[1] = r->logoff_path;
			x.ev_line[1] = r->logoff_line;
		}
		if (group_add(c, w, &x, err))
			return -1;
	}
	if (rc < 0)
		return -1;
	return group_end(c, w, err);
}

/* ---- attribution ---------------------------------------------------------------------- */

static int source_of(const char *name)
{
	for (size_t i = 0; i < sizeof(source_name) / sizeof(source_name[0]); i++)
		if (!strcmp(source_name[i], name))
			return (int)i;
	return S_INVENTORY;
}

static void cache_drop(struct corr *c, struct subject_cache *e)
{
	c->slot[e->kind][e->subj] = 0;
	c->cached -= e->n;
	free(e->v);
	e->v = NULL;
	e->n = e->n0 = 0;
	e->valid = 0;
}

static tl_us sat_sub(tl_us a, int64_t b)
{
	return a < INT64_MIN + b ? INT64_MIN : a - b;
}

/* Whether SUBJ (kind K) is loaded in a window for time T (*ON), and which:
 * the bindings starting in [*LO, *HI], about c->window of them, where *LO
 * is as far before T as a binding may last, plus the slack; 0, or -1 on
 * failure (ERR). */
static int window_for(struct corr *c, enum kind k, int32_t subj, tl_us t, int *on, tl_us *lo, tl_us *hi,
		      struct tl_err *err)
{
	tl_us s;
	int rc;
	*on = 0;
	/* few: all of them, as long as the cache holds them. A whole run counted
	 * each address's bindings (both kinds: one kind may be windowed with
	 * fewer, which changes nothing but the loads), so only the others ask. */
	if (c->addr_counts && k != K_HOST_USER) {
		if (c->n_addr[subj] <= c->window)
			return 0;
	} else if ((rc = tl_subject_bindings_nth_start(c->sb, kind_name[k], c->str.s[subj], INT64_MIN, c->window, &s,
							err)) <= 0) {
		return rc;
	}
	int64_t back = c->attr_span > INT64_MAX - WINDOW_SLACK ? INT64_MAX : c->attr_span + WINDOW_SLACK;
	*lo = sat_sub(t, back);
	*hi = INT64_MAX;
	/* more than the window's worth may start between LO and T: take them all */
	for (int64_t n = c->window; n > 0; n = n < INT64_MAX / 2 ? n * 2 : -1) {
		if ((rc = tl_subject_bindings_nth_start(c->sb, kind_name[k], c->str.s[subj], *lo, n, &s, err)) < 0)
			return -1;
		if (rc == 0)
			break;
		if (s > t) {
			*hi = s - 1;
			break;
		}
	}
	*on = 1;
	c->win_loads++;
	return 0;
}

/* The bindings of SUBJ (kind K) that can cover time T, from the cache or
 * loaded back from the store; NULL when it has none (or on failure:
 * *FAILED, ERR). The less recently used subjects make room. */
static const struct subject_cache *subject_bindings(struct corr *c, enum kind k, int32_t subj, tl_us t, int *failed,
						   struct tl_err *err)
{
	if (!tl_corr_is_bound(c, k, subj))
		return NULL;
	if (c->slot[k][subj]) {
		struct subject_cache *x = &c->cache[c->slot[k][subj] - 1];
		if (!x->windowed || (t >= x->tlo && t <= x->thi)) {
			x->used = ++c->clock;
			return x;
		}
		cache_drop(c, x);
		/* events far out of time order: a window per event would cost more
		 * than all of the subject's bindings, so the busy subjects are
		 * loaded whole again (the same bindings, more memory) */
		if (++c->win_misses > 64 + c->win_loads / 2)
			c->window = INT64_MAX;
	}
	if (c->cached >= CACHE_BINDINGS) {
		/* the older half goes in one sweep, so that a full cache costs one
		 * scan per many loads, not one per load */
		uint64_t lo = UINT64_MAX, hi = 0;
		for (size_t i = 0; i < c->n_cache; i++)
			if (c->cache[i].valid) {
				lo = c->cache[i].used < lo ? c->cache[i].used : lo;
				hi = c->cache[i].used > hi ? c->cache[i].used : hi;
			}
		for (size_t i = 0; i < c->n_cache; i++)
			if (c->cache[i].valid && c->cache[i].used <= lo + (hi - lo) / 2)
				cache_drop(c, &c->cache[i]);
	}
	struct subject_cache *e = NULL;
	for (size_t i = 0; i < c->n_cache && !e; i++)
		if (!c->cache[i].valid)
			e = &c->cache[i];
	if (!e) {
		struct subject_cache *v = tl_grow(c->cache, &c->cap_cache, c->n_cache + 1, sizeof(*v), 64);
		if (!v) {
			*failed = 1;
			tl_errf(err, "out of memory");
			return NULL;
		}
		c->cache = v;
		e = &c->cache[c->n_cache++];
		memset(e, 0, sizeof(*e));
	}
	const struct tl_binding *b;
	size_t cap = 0;
	int rc, first = 1, windowed = 0;
	tl_us lo = 0, hi = 0;
	if (c->window < INT64_MAX && window_for(c, k, subj, t, &windowed, &lo, &hi, err)) {
		*failed = 1;
		return NULL;
	}
	tl_subject_bindings_narrow(c->sb, windowed, lo, hi);
	while ((rc = tl_subject_bindings_next(c->sb, kind_name[k], c->str.s[subj], first, &b, err)) == 1) {
		first = 0;
		struct cb *v = tl_grow(e->v, &cap, e->n + 1, sizeof(*v), 16);
		if (!v) {
			rc = tl_errf(err, "out of memory");
			break;
		}
		e->v = v;
		int32_t val = tl_corr_intern_get(&c->str, b->value);
		if (val < 0 || tl_corr_grow_bound(c, val)) {
			rc = tl_errf(err, "out of memory");
			break;
		}
		struct cb *d = &e->v[e->n];
		d->id = b->id;
		d->has_start = (uint8_t)b->has_start;
		d->start = b->start;
		d->has_end = (uint8_t)b->has_end;
		d->end = b->end;
		d->val = val;
		d->source = (uint8_t)source_of(b->source);
		d->firm = d->source == S_VPN || d->source == S_DHCP || d->source == S_INVENTORY ||
			  !strcmp(b->end_rule, "logoff");
		int tier = d->source == S_INVENTORY;
		/* ids run tier 0 then tier 1; maxend runs within a tier */
		const struct cb *prev = e->n > e->n0 || (!tier && e->n) ? &e->v[e->n - 1] : NULL;
		d->has_maxend = d->has_end && (!prev || prev->has_maxend);
		d->maxend = !prev || d->end > prev->maxend ? d->end : prev->maxend;
		e->n++;
		if (!tier)
			e->n0 = e->n;
	}
	if (rc < 0) {
		free(e->v);
		e->v = NULL;
		e->n = e->n0 = 0;
		*failed = 1;
		return NULL;
	}
	/* held until evicted: no room to spare beyond the bindings themselves */
	if (cap > e->n && e->n) {
		struct cb *v = realloc(e->v, e->n * sizeof(*v));
		if (v)
			e->v = v;
	}
	e->valid = 1;
	e->windowed = windowed;
	e->tlo = windowed ? lo + c->attr_span : 0; /* no overflow: LO is at most T - attr_span */
	e->thi = hi;
	e->kind = (int)k;
	e->subj = subj;
	e->used = ++c->clock;
	c->cached += e->n;
	c->slot[k][subj] = (uint32_t)(e - c->cache) + 1;
	return e;
}

static int cb_covers(const struct cb *x, tl_us t)
{
	return (!x->has_start || x->start <= t) && (!x->has_end || t < x->end);
}

/* The binding of SUBJ (kind K) that covers T: 1 and *BEST, 0 none, -1 when
 * bindings to different values cover it (*A and *B two of them), -2 on
 * failure (ERR). Evidence bindings first; the inventory only where they say
 * nothing. */
static int resolve(struct corr *c, enum kind k, int32_t subj, tl_us t, struct cb *best, struct cb *ca,
		   struct cb *cb, struct tl_err *err)
{
	int failed = 0;
	const struct subject_cache *e = subject_bindings(c, k, subj, t, &failed, err);
	if (!e)
		return failed ? -2 : 0;
	for (int tier = 0; tier < 2; tier++) {
		size_t a = tier ? e->n0 : 0, lo = a, hi = tier ? e->n : e->n0;
		if (a == hi)
			continue;
		while (lo < hi) { /* the first binding starting after T */
			size_t mid = (lo + hi) / 2;
			const struct cb *x = &e->v[mid];
			if (!x->has_start || x->start <= t)
				lo = mid + 1;
			else
				hi = mid;
		}
		size_t bi = 0;
		int found = 0;
		for (size_t i = lo; i-- > a;) {
			const struct cb *d = &e->v[i];
			if (d->has_maxend && d->maxend <= t)
				break; /* nothing at or before i reaches T */
			if (!cb_covers(d, t))
				continue;
			if (!found) {
				bi = i;
				found = 1;
				continue;
			}
			const struct cb *x = &e->v[bi];
			if (d->val != x->val) {
				*ca = *d;
				*cb = *x;
				return -1;
			}
			/* agreeing bindings: the firm one, then the stronger source, then the later start */
			if (d->firm > x->firm || (d->firm == x->firm && d->source < x->source))
				bi = i;
		}
		if (found) {
			*best = e->v[bi];
			return 1;
		}
	}
	return 0;
}

/* Event EVENT's SIDE ("user", "host") is left unattributed by the conflict of
 * X and Y: counted, and recorded for a later run that attributes it again. */
static int count_conflict(struct corr *c, struct tl_bind_writer *w, int64_t event, const char *side,
			  const struct cb *x, const struct cb *y, struct tl_err *err)
{
	c->sum.conflicted++;
	for (size_t i = 0; i < c->n_conflicts; i++) {
		struct conflict *k = &c->conflicts[i];
		if (k->id && ((k->a == x->id && k->b == y->id) || (k->a == y->id && k->b == x->id))) {
			k->events++;
			return tl_bind_writer_conflicted(w, event, side, k->id, err);
		}
	}
	return 0;
}

/* The address's canonical id if some binding has it as subject, else -1. */
int32_t tl_corr_bound_addr(const struct corr *c, const char *ip)
{
	if (!ip)
		return -1;
	char key[512];
	size_t n = strlen(ip);
	if (n > sizeof(key) - 2)
		return -1;
	key[0] = 'i';
	memcpy(key + 1, ip, n + 1);
	int32_t k = intern_find(&c->raw, key);
	return k >= 0 ? c->raw.canon[k] : -1;
}

int tl_corr_attribute_row(struct corr *c, struct tl_bind_writer *w, const struct tl_addr_row *r, struct tl_err *err)
{
	int32_t addr[2] = { tl_corr_bound_addr(c, r->src_ip), tl_corr_bound_addr(c, r->dst_ip) };
	static const char *const via[2] = { "src_ip", "dst_ip" }, *const via_host[2] = { "src_ip>host", "dst_ip>host" };
	struct cb best, h, ca, cb;
	/* the user: the initiator's address first, then the other side */
	for (int i = 0; i < 2 && !r->has_user; i++) {
		if (addr[i] < 0)
			continue;
		int rc = resolve(c, K_IP_USER, addr[i], r->ts, &best, &ca, &cb, err);
		if (rc == -2)
			return -1;
		if (rc < 0) {
			if (count_conflict(c, w, r->id, "user", &ca, &cb, err))
				return -1;
			break;
		}
		if (rc > 0) {
			c->sum.attributed_user++;
			if (tl_bind_writer_attribution(w, r->id, "user", c->str.s[best.val], best.id, via[i], 0, err))
				return -1;
			break;
		}
		/* no one held the address, but a host did, and someone used that host */
		if ((rc = resolve(c, K_IP_HOST, addr[i], r->ts, &h, &ca, &cb, err)) == 0)
			continue;
		if (rc > 0 && (rc = resolve(c, K_HOST_USER, h.val, r->ts, &best, &ca, &cb, err)) == 0)
			continue;
		if (rc == -2)
			return -1;
		if (rc < 0) {
			if (count_conflict(c, w, r->id, "user", &ca, &cb, err))
				return -1;
			break;
		}
		c->sum.attributed_user++;
		if (tl_bind_writer_attribution(w, r->id, "user", c->str.s[best.val], best.id, via_host[i], h.id, err))
			return -1;
		break;
	}
	/* the host: unless the event names the host at that address (or, for an
	 * endpoint's own event, is the host) */
	int endpoint = !strcmp(r->family, "edr") || !strcmp(r->family, "hids");
	int need[2] = { !r->has_src_host && !(endpoint && r->has_host), !r->has_dst_host };
	for (int i = 0; i < 2; i++) {
		if (addr[i] < 0 || !need[i])
			continue;
		int rc = resolve(c, K_IP_HOST, addr[i], r->ts, &best, &ca, &cb, err);
		if (rc == -2)
			return -1;
		if (rc < 0) {
			if (count_conflict(c, w, r->id, "host", &ca, &cb, err))
				return -1;
			break;
		}
		if (rc > 0) {
			c->sum.attributed_host++;
			if (tl_bind_writer_attribution(w, r->id, "host", c->str.s[best.val], best.id, via[i], 0, err))
				return -1;
			break;
		}
	}
	return 0;
}

static int write_conflicts(struct corr *c, struct tl_bind_writer *w, struct tl_err *err)
{
	for (size_t i = 0; i < c->n_conflicts; i++) {
		const struct conflict *k = &c->conflicts[i];
		struct tl_binding_conflict r = { 0 };
		r.id = k->id;
		r.kind = kind_name[k->kind];
		r.subject = c->str.s[k->subj];
		r.binding_a = k->a;
		r.binding_b = k->b;
		r.has_start = k->has_start;
		r.start = k->start;
		r.has_end = k->has_end;
		r.end = k->end;
		r.events = k->events;
		if (tl_bind_writer_conflict(w, &r, err))
			return -1;
	}
	return 0;
}

/* ---- the run ------------------------------------------------------------------------- */

static uint64_t hash_str(uint64_t h, const char *s)
{
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (h ^ (s ? 0x1f : 0x1e)) * 1099511628211ull; /* NULL and "" differ */
}

static uint64_t hash_i64(uint64_t h, int has, int64_t v)
{
	char b[32];
	snprintf(b, sizeof(b), "%d:%lld", has, (long long)v);
	return hash_str(h, b);
}

/* One sessions row, every field the rules read. */
uint64_t tl_corr_session_hash(const struct tl_session_row *r)
{
	uint64_t h = 1469598103934665603ull;
	h = hash_str(h, r->kind);
	h = hash_str(h, r->user);
	h = hash_str(h, r->assigned_ip);
	h = hash_str(h, r->client_host);
	h = hash_str(h, r->ended_by);
	h = hash_i64(h, r->has_start, r->start);
	h = hash_i64(h, r->has_end, r->end);
	h = hash_i64(h, 1, r->start_event);
	h = hash_i64(h, 1, r->end_event);
	h = hash_str(h, r->start_path);
	h = hash_i64(h, 1, r->start_line);
	h = hash_str(h, r->end_path);
	h = hash_i64(h, 1, r->end_line);
	return hash_i64(h, r->has_log_start, r->log_start);
}

/* What the rows depend on besides the events: the rules' version, the
 * windows and the inventory. Change "tl-correlate-1" with any rule of this
 * file: cases correlated by the older rules are then recomputed whole. */
static void options_digest(const struct corr *c, char out[17])
{
	uint64_t h = hash_str(1469598103934665603ull, "tl-correlate-1");
	h = hash_i64(h, 1, c->o.logon_window_us);
	h = hash_i64(h, 1, c->o.proxy_window_us);
	h = hash_i64(h, 1, c->o.edr_window_us);
	for (size_t i = 0; i < c->o.n_inventory; i++) {
		const struct tl_inventory_entry *e = &c->o.inventory[i];
		h = hash_str(hash_str(h, e->host), e->owner);
		h = hash_i64(h, 1, (int64_t)e->n_ips);
		for (size_t k = 0; k < e->n_ips; k++)
			h = hash_str(h, e->ips[k]);
	}
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

/* A -1 of the collecting code: the store's error, else out of memory. */
int tl_corr_collect_fail(struct corr *c, struct tl_err *err)
{
	return c->store_failed ? tl_errf(err, "%s", c->serr.msg) : tl_errf(err, "out of memory");
}

static int collect(struct corr *c, struct tl_store *s, struct tl_err *err)
{
	struct tl_bind_iter *it = tl_store_sessions(s, err);
	const struct tl_session_row *sr;
	const struct tl_ident_row *ir;
	int rc;
	if (!it)
		return -1;
	while ((rc = tl_store_next_session(it, &sr, err)) == 1) {
		c->sessions += tl_corr_session_hash(sr);
		if (tl_corr_session(c, sr)) {
			rc = tl_corr_collect_fail(c, err);
			break;
		}
	}
	tl_bind_iter_free(it);
	if (rc < 0)
		return -1;
	for (int pass = 0; pass < 2; pass++) {
		if (!(it = pass ? tl_store_host_addr_events(s, err) : tl_store_identity_events(s, err)))
			return -1;
		while ((rc = tl_store_next_identity(it, &ir, err)) == 1) {
			if ((pass == 0 && tl_corr_identity(c, ir)) || tl_corr_host_address(c, ir)) {
				rc = tl_corr_collect_fail(c, err);
				break;
			}
		}
		tl_bind_iter_free(it);
		if (rc < 0)
			return -1;
	}
	for (size_t i = 0; i < c->o.n_inventory; i++)
		if (inventory(c, &c->o.inventory[i]))
			return tl_corr_collect_fail(c, err);
	return 0;
}

/* The spellings, as the events store them, of the bound addresses from the
 * canonical id *NEXT on, as many addresses as have about half the cache's
 * bindings; *NEXT moves past them. */
static int bound_chunk(struct corr *c, size_t *next, struct tl_strlist *out)
{
	int64_t held = 0;
	size_t end = *next;
	for (; end < c->cap_bound && end < c->str.n; end++) {
		if (!c->n_addr[end])
			continue;
		if (held && held + c->n_addr[end] > CACHE_BINDINGS / 2)
			break;
		held += c->n_addr[end];
	}
	for (size_t k = 0; k < c->raw.n; k++) {
		int32_t id = c->raw.canon[k];
		if (c->raw.s[k][0] == 'i' && id >= 0 && (size_t)id >= *next && (size_t)id < end && c->n_addr[id] &&
		    tl_strlist_add(out, c->raw.s[k] + 1))
			return -1;
	}
	*next = end;
	return 0;
}

/* ---- incremental: nothing new ------------------------------------------------------------ */

/* No file added or changed since the last run, same options: the rows stand. */
static int unchanged(struct corr *c, struct tl_store *s, const char *digest, struct tl_corr_state *st,
		     struct tl_err *err)
{
	if (tl_store_binding_counters(s, &st->next_binding, &st->next_conflict, err) ||
	    tl_store_corr_state_put(s, digest, st, "unchanged", 0, err))
		return -1;
	c->sum.bindings = st->bindings;
	c->sum.conflicts = st->conflicts;
	c->sum.attributed_user = st->attributed_user;
	c->sum.attributed_host = st->attributed_host;
	c->sum.conflicted = st->conflicted;
	c->sum.skipped = st->skipped;
	c->sum.mode = "unchanged";
	return 0;
}

/* ---- the whole recompute ---------------------------------------------------------------- */

/* Every address spelling the rules saw, for the next incremental run. */
static int record_spellings(struct corr *c, struct tl_store *s, struct tl_err *err)
{
	const char **ip = malloc((c->raw.n ? c->raw.n : 1) * sizeof(*ip));
	const char **cn = malloc((c->raw.n ? c->raw.n : 1) * sizeof(*cn));
	size_t n = 0;
	int rc = -1;
	if (!ip || !cn) {
		tl_errf(err, "out of memory");
	} else {
		for (size_t k = 0; k < c->raw.n; k++)
			if (c->raw.s[k][0] == 'i' && c->raw.canon[k] >= 0) {
				ip[n] = c->raw.s[k] + 1;
				cn[n++] = c->str.s[c->raw.canon[k]];
			}
		rc = tl_store_corr_spellings_put(s, ip, cn, n, err);
	}
	free(ip);
	free(cn);
	return rc;
}

static int whole(struct corr *c, struct tl_store *s, const char *digest, struct tl_err *err)
{
	struct tl_bind_writer *w = NULL;
	struct tl_bind_iter *it = NULL;
	struct tl_strlist ips = TL_STRLIST_INIT;
	int rc = -1;
	/* the writer's transaction also holds the work tables; bindings stored
	 * before keep their ids where they come out the same */
	if (tl_corr_ids_begin(c, s, err) ||
	    !(w = c->inc ? tl_store_bindings_rebuild(s, err) : tl_store_bindings_replace(s, err)) ||
	    !(c->sort = tl_store_cand_sort_new(s, err)))
		goto cleanup;
	if (collect(c, s, err) || tl_corr_build_bindings(c, w, err))
		goto cleanup;
	if (tl_corr_ids_end(c, w, err))
		goto cleanup;
	tl_cand_sort_free(c->sort);
	c->sort = NULL;
	c->attr_span = c->max_span;
	c->addr_counts = 1;
	if (!(c->sb = tl_store_subject_bindings_new(s, 0, 0, 0, err)))
		goto cleanup;
	/* the events of bound source addresses, then those of bound destination
	 * addresses whose source is not bound (the first pass decided the others);
	 * events naming their user are read only when a host may be attributed.
	 * The addresses go in chunks whose bindings the cache holds, each read in
	 * event order. */
	for (int dst = 0; dst < 2; dst++) {
		for (size_t next = 0; next < c->cap_bound && next < c->str.n;) {
			const struct tl_addr_row *ar;
			int more;
			tl_strlist_release(&ips);
			if (bound_chunk(c, &next, &ips)) {
				tl_errf(err, "out of memory");
				goto cleanup;
			}
			if (!ips.n)
				continue;
			if (!(it = tl_store_addr_events(s, (const char *const *)ips.v, ips.n, dst, c->has_ip_host, err)))
				goto cleanup;
			while ((more = tl_store_next_addr(it, &ar, err)) == 1)
				if ((!dst || tl_corr_bound_addr(c, ar->src_ip) < 0) && tl_corr_attribute_row(c, w, ar, err))
					goto cleanup;
			if (more < 0)
				goto cleanup;
			tl_bind_iter_free(it);
			it = NULL;
		}
	}
	if (write_conflicts(c, w, err))
		goto cleanup;
	c->sum.conflicts = (int64_t)c->n_conflicts;
	struct tl_corr_state st = { 0 };
	st.sessions = (int64_t)c->sessions;
	st.bindings = c->sum.bindings;
	st.conflicts = c->sum.conflicts;
	st.attributed_user = c->sum.attributed_user;
	st.attributed_host = c->sum.attributed_host;
	st.conflicted = c->sum.conflicted;
	st.skipped = c->sum.skipped;
	st.max_span = c->max_span;
	st.next_binding = c->next_id;
	st.next_conflict = c->next_conflict;
	c->sum.mode = "full";
	/* a run that skipped evidence beyond the limits is not extended piecemeal */
	if (record_spellings(c, s, err) || tl_store_corr_state_put(s, digest, &st, "full", st.skipped > 0, err))
		goto cleanup;
	rc = 0;
cleanup:
	tl_bind_iter_free(it);
	tl_strlist_release(&ips);
	if (w && tl_bind_writer_end(w, rc == 0, rc == 0 ? err : NULL))
		rc = -1;
	return rc;
}

static void corr_free(struct corr *c)
{
	tl_cand_sort_free(c->sort);
	tl_subject_bindings_free(c->sb);
	intern_release(&c->str);
	intern_release(&c->raw);
	tl_buf_release(&c->skey);
	free(c->cands);
	free(c->done);
	free(c->bnds);
	free(c->hslot);
	free(c->act);
	for (int64_t i = 0; c->g_wait && i < c->g_made; i++)
		free(c->g_wait[i]);
	free(c->g_wait);
	free(c->g_ids);
	tl_buf_release(&c->evbuf);
	free(c->bound);
	free(c->n_addr);
	for (int k = 0; k < K_KINDS; k++)
		free(c->slot[k]);
	free(c->conflicts);
	for (size_t i = 0; i < c->n_cache; i++)
		free(c->cache[i].v);
	free(c->cache);
	tl_corr_inc_free(c->inc);
	free(c);
}

static struct corr *corr_new(const struct tl_correlate_opts *opts)
{
	struct corr *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	if (opts)
		c->o = *opts;
	if (c->o.logon_window_us <= 0)
		c->o.logon_window_us = TL_LOGON_WINDOW_DEFAULT;
	if (c->o.proxy_window_us <= 0)
		c->o.proxy_window_us = TL_PROXY_WINDOW_DEFAULT;
	if (c->o.edr_window_us <= 0)
		c->o.edr_window_us = TL_EDR_WINDOW_DEFAULT;
	/* TL_CORR_SLICE=N: a pass every N candidates (tests: tiny slices must
	 * give the bindings of one) */
	const char *sl = getenv("TL_CORR_SLICE");
	long n = sl ? strtol(sl, NULL, 10) : 0;
	c->slice = n > 0 ? (size_t)n : SLICE_DEFAULT;
	/* TL_CORR_WINDOW=N: subjects with more than N bindings loaded in windows
	 * (tests: tiny windows must attribute as whole loads do) */
	const char *win = getenv("TL_CORR_WINDOW");
	long long wn = win ? strtoll(win, NULL, 10) : 0;
	c->window = wn > 0 ? (int64_t)wn : WINDOW_BINDINGS;
	/* TL_CORR_LIMIT=N: every per-subject ceiling N (tests: what is refused is said) */
	const char *lim = getenv("TL_CORR_LIMIT");
	n = lim ? strtol(lim, NULL, 10) : 0;
	c->max_pending = n > 0 ? (size_t)n : MAX_PENDING;
	c->max_open = n > 0 ? (size_t)n : MAX_OPEN;
	c->max_active = n > 0 ? (size_t)n : MAX_ACTIVE;
	return c;
}

int tl_correlate(struct tl_store *s, const struct tl_correlate_opts *opts, struct tl_correlate_summary *sum,
		 struct tl_err *err)
{
	struct corr *c = corr_new(opts);
	struct tl_corr_state st;
	char digest[17];
	int rc;
	if (!c)
		return tl_errf(err, "out of memory");
	options_digest(c, digest);
	int64_t cache_was = tl_store_cache_limit(s, PAGE_CACHE_KIB);
	rc = tl_store_corr_state_get(s, digest, &st, err);
	/* TL_CORR_FULL=1: the whole run, to compare the incremental one with (tests) */
	const char *full = getenv("TL_CORR_FULL");
	if (!rc && st.usable && !(full && !strcmp(full, "1"))) {
		const char *why = NULL;
		rc = st.n_pending ? tl_corr_inc_run(c, s, digest, &st, &why, err) : unchanged(c, s, digest, &st, err) ? -1 : 1;
		if (rc == 0) {
			/* new binding evidence: start over with a clean slate */
			corr_free(c);
			if (!(c = corr_new(opts))) {
				tl_corr_state_release(&st);
				tl_store_cache_restore(s, cache_was);
				return tl_errf(err, "out of memory");
			}
			c->sum.why = why;
		}
	}
	tl_corr_state_release(&st);
	if (rc == 0)
		rc = whole(c, s, digest, err);
	else if (rc == 1)
		rc = 0;
	tl_store_cache_restore(s, cache_was);
	if (sum)
		*sum = c->sum;
	corr_free(c);
	return rc;
}
