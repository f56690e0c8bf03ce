/*
 * The entity graph of a case (include/tl/graph-build.h): the relationships
 * each event gives, derived from its normalized fields (never per format),
 * and the breadth-first walk that gathers the neighbourhood of the pivots one
 * indexed lookup per node and column. The rules are in docs/correlation.md#graph.
 *
 * Counts are exact for every edge shown: an edge is kept only when one of its
 * ends was expanded (all of that end's events in the time range were read),
 * and every event is read into the graph once, whichever node found it.
 */
#define _POSIX_C_SOURCE 200809L
#include "tl/graph-build.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tl/grow.h"
#include "tl/json.h"
#include "tl/banned.h"

/* Spellings of a node as stored, each looked up once in the node's columns. */
#define FORMS_MAX 8
struct forms {
	char *raw[FORMS_MAX];
	unsigned char done[FORMS_MAX];
	unsigned n;
	int aliased; /* the spellings the entities table knows were added */
};

struct session {
	int type;            /* TL_ENT_USER (vpn) or TL_ENT_HOST (dhcp) */
	char *who, *ip;      /* canonical */
	char *raw_who, *raw_ip; /* as stored: what lookups of the two nodes need */
	tl_us first, last;
	int64_t bytes, line;
	char *path;
	int used;
};

struct builder {
	struct tl_store *s;
	const struct tl_graph_opts *o;
	struct tl_graph *g;
	struct tl_err *err;
	int pivoted;                 /* with seeds: record forms and expand */
	struct forms *forms;         /* parallel to g->nodes */
	size_t *addr_domain;         /* parallel too: for an address, the one domain events name with it
					(ADDR_NONE, ADDR_MANY) */
	size_t n_forms;
	int64_t *seen;               /* event ids read (open addressing, 0 empty; ids are > 0) */
	size_t n_seen, cap_seen;
	int64_t events_read;
	int64_t walk_budget;         /* events the walk may still read beyond the pivots' own */
	size_t over_budget;          /* nodes of this hop left unexpanded for it */
	size_t hubs;                 /* hubs of this hop, the first HUBS_NAMED named in hub_names */
	struct tl_buf hub_names;
	struct session *ses;
	size_t n_ses;
	struct tl_graph_iter *it;    /* the events being read: asked for the bindings they name */
};

#define SESSIONS_MAX 1000000
#define ADDR_NONE SIZE_MAX
#define ADDR_MANY (SIZE_MAX - 1)
#define HUBS_NAMED 5

int tl_graph_seed_check(enum tl_entity_type type, const char *value, char **canon, struct tl_err *err)
{
	*canon = NULL;
	switch (type) {
	case TL_ENT_URL:
	case TL_ENT_HASH:
		return tl_errf(err, "--entity '%s:%s': the graph cannot start from a %s (start from its domain or file)",
			       tl_entity_type_name(type), value, tl_entity_type_name(type));
	default: break;
	}
	if (!*value)
		return tl_errf(err, "--entity '%s:': the value is empty", tl_entity_type_name(type));
	if (type == TL_ENT_IP) {
		/* the graph pivots on one address; a block belongs to tl timeline */
		unsigned char a[16];
		if (inet_pton(AF_INET, value, a) != 1 && inet_pton(AF_INET6, value, a) != 1)
			return tl_errf(err, "--entity 'ip:%s': not an IPv4 or IPv6 address", value);
	}
	struct tl_err e;
	if (tl_entity_canon(type, value, canon, &e))
		return tl_errf(err, "--entity '%s:%s': %s", tl_entity_type_name(type), value, e.msg);
	return 0;
}

/* ---- nodes and their spellings ---------------------------------------------------- */

static int forms_fit(struct builder *b)
{
	if (b->n_forms >= b->g->n_nodes)
		return 0;
	size_t n = b->g->cap_nodes;
	struct forms *f = realloc(b->forms, n * sizeof(*f));
	if (!f)
		return tl_errf(b->err, "out of memory");
	memset(f + b->n_forms, 0, (n - b->n_forms) * sizeof(*f));
	b->forms = f;
	size_t *a = realloc(b->addr_domain, n * sizeof(*a));
	if (!a)
		return tl_errf(b->err, "out of memory");
	for (size_t i = b->n_forms; i < n; i++)
		a[i] = ADDR_NONE;
	b->addr_domain = a;
	b->n_forms = n;
	return 0;
}

static int add_form(struct builder *b, size_t idx, const char *raw)
{
	struct forms *f = &b->forms[idx];
	for (unsigned i = 0; i < f->n; i++)
		if (!strcmp(f->raw[i], raw))
			return 0;
	if (f->n >= FORMS_MAX)
		return 0; /* a ninth spelling of one entity is not worth another lookup */
	if (!(f->raw[f->n] = strdup(raw)))
		return tl_errf(b->err, "out of memory");
	f->done[f->n++] = 0;
	return 0;
}

/* The node of entity TYPE spelled RAW into *IDX: 0, 1 when RAW is not one
 * (tl_entity_canon refused it), -1 on error. LOOKUP: RAW came from a column
 * the node can be looked up in, so it is one of its spellings. */
static int entity(struct builder *b, int type, const char *raw, int lookup, size_t *idx)
{
	char *canon = NULL;
	struct tl_err e;
	if (type == TL_GN_POLICY) {
		if (!(canon = strdup(raw)))
			return tl_errf(b->err, "out of memory");
	} else if (tl_entity_canon((enum tl_entity_type)type, raw, &canon, &e)) {
		return 1;
	}
	int rc = tl_graph_node(b->g, type, canon, NULL, idx, b->err);
	free(canon);
	if (rc < 0 || forms_fit(b))
		return -1;
	if (lookup && b->pivoted && add_form(b, *idx, raw))
		return -1;
	return 0;
}

static const char *base_name(const char *path)
{
	const char *p = path;
	for (const char *c = path; *c; c++)
		if (*c == '/' || *c == '\\')
			p = c + 1;
	return *p ? p : path;
}

/* A process: its GUID when the source gives one (an instance, looked up in
 * both GUID columns), else its image (a leaf). */
static int process(struct builder *b, const char *guid, const char *image, size_t *idx)
{
	if (guid && *guid) {
		/* what tells instances apart: a Sysmon GUID {machine-time-time-key-session}
		 * shares its first and last groups across a machine, so its middle
		 * three; other forms (aid:pid, device:pid:start) their end */
		char label[512];
		const char *g = guid + (*guid == '{');
		size_t n = strlen(guid);
		const char *d1 = strchr(g, '-'), *d4 = d1 ? strchr(d1 + 1, '-') : NULL;
		d4 = d4 ? strchr(d4 + 1, '-') : NULL;
		d4 = d4 ? strchr(d4 + 1, '-') : NULL;
		if (d1 && d4 && d1 - g == 8 && d4 - d1 == 15)
			snprintf(label, sizeof(label), "%s {..%.*s..}", image && *image ? base_name(image) : "process",
				 (int)(d4 - d1 - 1), d1 + 1);
		else
			snprintf(label, sizeof(label), "%s %s%s", image && *image ? base_name(image) : "process",
				 n > 12 ? ".." : "", n > 12 ? guid + n - 12 : guid);
		if (tl_graph_node(b->g, TL_ENT_PROCESS, guid, label, idx, b->err) < 0 || forms_fit(b))
			return -1;
		return b->pivoted && add_form(b, *idx, guid) ? -1 : 0;
	}
	if (!image || !*image)
		return 1;
	return entity(b, TL_ENT_PROCESS, image, 0, idx);
}

/* ---- relationships of one event ---------------------------------------------------- */

static const char *fs(const struct tl_graph_row *r, enum tl_field_id id)
{
	const struct tl_value *v = &r->f[id];
	return v->type == TL_VALUE_NULL || !v->s || !*v->s ? NULL : v->s;
}

static int64_t fi(const struct tl_graph_row *r, enum tl_field_id id)
{
	const struct tl_value *v = &r->f[id];
	return v->type == TL_VALUE_INT ? v->i : 0;
}

static int eq(const char *a, const char *b)
{
	return a && !strcmp(a, b);
}

static int has_word(const char *s, const char *const *words)
{
	if (!s)
		return 0;
	char low[128];
	size_t n = 0;
	for (; s[n] && n < sizeof(low) - 1; n++)
		low[n] = (char)tolower((unsigned char)s[n]);
	low[n] = 0;
	for (; *words; words++)
		if (strstr(low, *words))
			return 1;
	return 0;
}

static int is_ip(const char *s)
{
	unsigned char a[16];
	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

struct ev {
	struct builder *b;
	const struct tl_graph_row *r;
};

/* Address IP was seen standing for domain DOM (an event naming both, a DNS answer). */
static void addr_is(struct builder *b, size_t ip, size_t dom)
{
	size_t *a = &b->addr_domain[ip];
	*a = *a == ADDR_NONE || *a == dom ? dom : ADDR_MANY;
}

static int link_ev(struct ev *x, int type, size_t from, size_t to, int64_t bytes)
{
	return tl_graph_link(x->b->g, type, from, to, x->r->ts, x->r->ts, bytes, x->r->path, x->r->line, x->b->err);
}

/* The edge the event would give its user if it named one, for the user a
 * binding attributes it to (docs/correlation.md#attribution): an address-only
 * proxy or flow record during alice's VPN session is alice's upload. Kept
 * apart from direct edges, with the binding as its evidence. */
static int link_attributed(struct ev *x, int type, size_t to, int64_t bytes)
{
	const struct tl_graph_row *r = x->r;
	size_t u;
	int rc = entity(x->b, TL_ENT_USER, r->attr_user, 0, &u);
	if (rc)
		return rc < 0 ? -1 : 0;
	struct tl_graph_binding bind = { .id = r->attr_binding, .via = r->attr_via };
	const struct tl_graph_binding *known = tl_graph_binding_find(x->b->g, bind.id, bind.via);
	if (known) {
		bind = *known;
	} else {
		/* a binding is read once per graph, not once per event it attributes */
		const struct tl_graph_binding_row *br;
		if ((rc = tl_store_graph_binding(x->b->it, bind.id, &br, x->b->err)) < 0)
			return -1;
		if (rc) {
			bind.kind = br->kind;
			bind.source = br->source;
			bind.subject = br->subject;
			bind.path = br->path;
			bind.line = br->line;
		}
	}
	return tl_graph_link_attributed(x->b->g, type, u, to, r->ts, r->ts, bytes, r->path, r->line, &bind, x->b->err);
}

/* domain -> address for each address answer of a DNS event. Formats keep
 * answers as Zeek does ("answers": a set, in TSV a comma-separated string) or
 * as Suricata does ("dns.answers": objects with rrname, rrtype, rdata). */
static int answers(struct ev *x, size_t dom)
{
	const char *extra = x->r->extra;
	if (!extra || !strstr(extra, "answers"))
		return 0;
	struct tl_err perr;
	struct tl_json *j = tl_json_parse("extra", extra, strlen(extra), &perr);
	if (!j)
		return 0; /* extra is written by tl; a broken one has no answers to give */
	int rc = 0;
	size_t ip, name;
	const struct tl_json *a = tl_json_get(j, "answers");
	if (a && a->type == TL_JSON_STRING) {
		char *copy = strdup(a->str);
		if (!copy)
			rc = tl_errf(x->b->err, "out of memory");
		for (char *save = NULL, *t = copy ? strtok_r(copy, ",", &save) : NULL; t && !rc;
		     t = strtok_r(NULL, ",", &save))
			if (is_ip(t) && (rc = entity(x->b, TL_ENT_IP, t, 0, &ip)) == 0)
				rc = link_ev(x, TL_GE_resolved_to, dom, ip, 0);
		free(copy);
		if (rc > 0)
			rc = 0;
	} else if (a && a->type == TL_JSON_ARRAY) {
		for (size_t i = 0; i < a->n && rc <= 0; i++)
			if (a->kids[i]->type == TL_JSON_STRING && is_ip(a->kids[i]->str) &&
			    (rc = entity(x->b, TL_ENT_IP, a->kids[i]->str, 0, &ip)) == 0)
				rc = link_ev(x, TL_GE_resolved_to, dom, ip, 0);
		if (rc > 0)
			rc = 0;
	}
	a = tl_json_get(j, "dns.answers");
	for (size_t i = 0; a && a->type == TL_JSON_ARRAY && i < a->n && rc == 0; i++) {
		const struct tl_json *rd = tl_json_get(a->kids[i], "rdata"), *rr = tl_json_get(a->kids[i], "rrname");
		if (!rd || rd->type != TL_JSON_STRING || !is_ip(rd->str))
			continue;
		size_t from = dom;
		if (rr && rr->type == TL_JSON_STRING && (rc = entity(x->b, TL_ENT_DOMAIN, rr->str, 0, &name)) < 0)
			break;
		if (rr && rr->type == TL_JSON_STRING && rc == 0)
			from = name;
		if ((rc = entity(x->b, TL_ENT_IP, rd->str, 0, &ip)) == 0)
			rc = link_ev(x, TL_GE_resolved_to, from, ip, 0);
		if (rc > 0)
			rc = 0;
	}
	tl_json_free(j);
	return rc < 0 ? -1 : 0;
}

/* Every relationship EV gives (docs/correlation.md#graph). */
static int derive(struct builder *b, const struct tl_graph_row *r)
{
	struct ev x = { b, r };
	const char *cls = fs(r, TL_F_class), *fam = r->family, *action = fs(r, TL_F_action);
	int failed = eq(fs(r, TL_F_outcome), "failure");
	size_t u = 0, h = 0, s = 0, d = 0, dom = 0, f = 0, p = 0, pp = 0, pol = 0, res = 0;
	int hu = 0, hh = 0, hs = 0, hd = 0, hdom = 0, hf = 0, hp = 0, hpp = 0, hres = 0;
	const char *v;
	int rc = 0;
#define ENT(flag, type, field, lookup, var) \
	if ((v = fs(r, field)) && (rc = entity(b, type, v, lookup, &var)) < 0) \
		return -1; \
	flag = v && rc == 0
	ENT(hu, TL_ENT_USER, TL_F_user, 1, u);
	ENT(hh, TL_ENT_HOST, TL_F_host, 1, h);
	ENT(hs, TL_ENT_IP, TL_F_src_ip, 1, s);
	ENT(hd, TL_ENT_IP, TL_F_dst_ip, 1, d);
	ENT(hdom, TL_ENT_DOMAIN, TL_F_domain, 1, dom);
#undef ENT
	int audit = eq(fam, "audit");
	/* a cloud object (an S3 key, a SharePoint URL) is a resource, an endpoint's path a file */
	int ftype = audit ? TL_ENT_RESOURCE : TL_ENT_FILE;
	if ((v = fs(r, TL_F_file))) {
		if ((rc = entity(b, ftype, v, 1, &f)) < 0)
			return -1;
		hf = rc == 0;
	} else if ((v = fs(r, TL_F_file_name))) {
		if ((rc = entity(b, ftype, v, 0, &f)) < 0)
			return -1;
		hf = rc == 0;
	}

	if (eq(cls, "authentication")) {
		if (!failed && hu && hs && link_ev(&x, TL_GE_logged_in_from, u, s, 0))
			return -1;
		if (!failed && hu && hh && (eq(fam, "edr") || eq(fam, "hids")) && link_ev(&x, TL_GE_logged_on_to, u, h, 0))
			return -1;
		return 0;
	}
	if (eq(cls, "dns_activity")) {
		if (!hdom)
			return 0;
		if (eq(action, "query") && hs && link_ev(&x, TL_GE_queried, s, dom, 0))
			return -1;
		return answers(&x, dom);
	}
	if (eq(cls, "file_activity")) {
		static const char *const writes[] = { "creat", "writ", "renam", "modif", "move", "copy", NULL };
		if (!hf || !has_word(action, writes))
			return 0;
		if ((rc = process(b, fs(r, TL_F_process_guid), fs(r, TL_F_process), &p)) < 0)
			return -1;
		hp = rc == 0;
		if (hh && link_ev(&x, TL_GE_created_file, h, f, 0))
			return -1;
		return hp ? link_ev(&x, TL_GE_created_file, p, f, 0) : 0;
	}
	if (eq(cls, "process_activity")) {
		static const char *const ends[] = { "terminat", "exit", "stop", "snapshot", "removed", NULL };
		if (has_word(action, ends))
			return 0;
		if ((rc = process(b, fs(r, TL_F_process_guid), fs(r, TL_F_process), &p)) < 0)
			return -1;
		if (rc)
			return 0;
		if ((rc = process(b, fs(r, TL_F_parent_process_guid), fs(r, TL_F_parent_process), &pp)) < 0)
			return -1;
		hpp = rc == 0 && fs(r, TL_F_parent_process_guid) && fs(r, TL_F_process_guid);
		if ((hh && link_ev(&x, TL_GE_executed, h, p, 0)) || (hu && link_ev(&x, TL_GE_executed, u, p, 0)) ||
		    (hpp && link_ev(&x, TL_GE_parent_of, pp, p, 0)))
			return -1;
		return 0;
	}
	if (eq(cls, "data_security_finding") || eq(fam, "dlp")) {
		const char *rule = fs(r, TL_F_rule);
		if (rule) {
			if (entity(b, TL_GN_POLICY, rule, 0, &pol) < 0)
				return -1;
			if ((hf && link_ev(&x, TL_GE_flagged_by_dlp, f, pol, 0)) ||
			    (hu && link_ev(&x, TL_GE_flagged_by_dlp, u, pol, 0)))
				return -1;
		}
		if (!eq(fam, "dlp"))
			return 0; /* an audit trail's DLP record names no transfer */
	}
	if (audit) {
		/* the audit trail's domain is the service's endpoint, not a destination */
		if (!hu)
			return 0;
		if (hf) {
			res = f;
			hres = 1;
		} else if ((v = fs(r, TL_F_url))) {
			if ((rc = entity(b, TL_ENT_RESOURCE, v, 0, &res)) < 0)
				return -1;
			hres = rc == 0;
		}
		return hres ? link_ev(&x, TL_GE_accessed_resource, u, res, 0) : 0;
	}
	int net = eq(fam, "flow") || eq(fam, "firewall") || eq(fam, "proxy") || eq(fam, "dlp") ||
		  (eq(fam, "edr") && eq(cls, "network_activity"));
	if (!net || eq(cls, "dhcp_activity"))
		return 0;
	int64_t in = fi(r, TL_F_bytes_in), out = fi(r, TL_F_bytes_out);
	const char *method = fs(r, TL_F_http_method);
	int push = method && (!strcasecmp(method, "PUT") || !strcasecmp(method, "POST"));
	if (hdom && hd)
		addr_is(b, d, dom);
	/* an attributed user gets what a named one would: her uploads and
	 * downloads (a named user's plain connections link only the address) */
	int attr = !hu && r->attr_user && *r->attr_user;
	if (hdom && (hu || hs)) {
		size_t actor = hu ? u : s;
		if (push || out >= TL_GRAPH_BULK_BYTES)
			return link_ev(&x, TL_GE_uploaded_to, actor, dom, out) ||
			       (attr && link_attributed(&x, TL_GE_uploaded_to, dom, out)) ? -1 : 0;
		if (in >= TL_GRAPH_BULK_BYTES)
			return link_ev(&x, TL_GE_downloaded_from, actor, dom, in) ||
			       (attr && link_attributed(&x, TL_GE_downloaded_from, dom, in)) ? -1 : 0;
		return hs ? link_ev(&x, TL_GE_connected_to, s, dom, in + out) : 0;
	}
	/* a flow names addresses only: an upload or download to an address is
	 * moved to the domain when the evidence says which one it stands for
	 * (retarget_bulk, once everything is read) */
	if (hs && hd) {
		if (out >= TL_GRAPH_BULK_BYTES)
			return link_ev(&x, TL_GE_uploaded_to, s, d, out) ||
			       (attr && link_attributed(&x, TL_GE_uploaded_to, d, out)) ? -1 : 0;
		if (in >= TL_GRAPH_BULK_BYTES)
			return link_ev(&x, TL_GE_downloaded_from, s, d, in) ||
			       (attr && link_attributed(&x, TL_GE_downloaded_from, d, in)) ? -1 : 0;
		return link_ev(&x, TL_GE_connected_to, s, d, in + out);
	}
	return 0;
}

/* Uploads and downloads to an address that the events read name with exactly
 * one domain (a TLS SNI, a proxy's host, a DNS answer) go to that domain: the
 * volume is in the flow, the name in another source. An address seen for
 * several domains (a CDN) keeps the address. */
static int retarget_bulk(struct builder *b)
{
	struct tl_graph *g = b->g;
	for (size_t i = 0; i < g->n_edges; i++)
		if (g->edges[i].type == TL_GE_resolved_to && g->edges[i].count)
			addr_is(b, g->edges[i].to, g->edges[i].from);
	size_t n = g->n_edges;
	for (size_t i = 0; i < n; i++) {
		const struct tl_graph_edge *e = &g->edges[i];
		if ((e->type != TL_GE_uploaded_to && e->type != TL_GE_downloaded_from) || !e->count ||
		    g->nodes[e->to].type != TL_ENT_IP)
			continue;
		size_t dom = b->addr_domain[e->to];
		if (dom != ADDR_NONE && dom != ADDR_MANY && tl_graph_retarget(g, i, dom, b->err))
			return -1;
	}
	return 0;
}

/* ---- events read once --------------------------------------------------------------- */

/* 1 if event ID was read already, else 0 (and it now is), -1. */
static int seen(struct builder *b, int64_t id)
{
	if (b->n_seen * 2 >= b->cap_seen) {
		size_t cap = b->cap_seen ? b->cap_seen * 2 : 4096;
		int64_t *v = calloc(cap, sizeof(*v));
		if (!v)
			return tl_errf(b->err, "out of memory");
		for (size_t i = 0; i < b->cap_seen; i++)
			if (b->seen[i]) {
				size_t h = (size_t)((uint64_t)b->seen[i] * 0x9E3779B97F4A7C15ULL) & (cap - 1);
				while (v[h])
					h = (h + 1) & (cap - 1);
				v[h] = b->seen[i];
			}
		free(b->seen);
		b->seen = v;
		b->cap_seen = cap;
	}
	size_t h = (size_t)((uint64_t)id * 0x9E3779B97F4A7C15ULL) & (b->cap_seen - 1);
	for (; b->seen[h]; h = (h + 1) & (b->cap_seen - 1))
		if (b->seen[h] == id)
			return 1;
	b->seen[h] = id;
	b->n_seen++;
	return 0;
}

static int read_events(struct builder *b, const struct tl_graph_query *q)
{
	struct tl_graph_iter *it = tl_store_graph_events(b->s, q, b->err);
	if (!it)
		return -1;
	b->it = it;
	const struct tl_graph_row *r;
	int rc;
	while ((rc = tl_store_graph_next(it, &r, b->err)) == 1) {
		/* one event adds at most a dozen nodes: stop before the model is full */
		if (b->g->n_nodes + 16 > TL_GRAPH_NODES_LIMIT) {
			tl_graph_note(b->g, "stopped reading: more than %d entities; narrow the graph with --from/--to or "
					    "--entity",
				      TL_GRAPH_NODES_LIMIT - 16);
			rc = 0;
			break;
		}
		/* the whole case is one pass over the events: each is met once */
		int dup = b->pivoted ? seen(b, r->id) : 0;
		if (dup < 0 || (!dup && derive(b, r))) {
			rc = -1;
			break;
		}
		if (!dup && ++b->events_read > TL_GRAPH_EVENTS_MAX && b->pivoted) {
			rc = tl_errf(b->err, "more than %d events would be read for this graph: narrow it with --from/--to "
					     "or a smaller --depth",
				     TL_GRAPH_EVENTS_MAX);
			break;
		}
	}
	tl_store_graph_iter_free(it);
	b->it = NULL;
	return rc;
}

/* ---- sessions: who held which address (the sessions view) -------------------------- */

static int load_sessions(struct builder *b)
{
	struct tl_graph_query q = { .has_from = b->o->has_from, .has_to = b->o->has_to, .from = b->o->from, .to = b->o->to };
	struct tl_graph_iter *it = tl_store_graph_sessions(b->s, &q, b->err);
	if (!it)
		return -1;
	const struct tl_graph_session *r;
	int rc;
	size_t cap = 0;
	while ((rc = tl_store_graph_next_session(it, &r, b->err)) == 1) {
		int dhcp = eq(r->kind, "dhcp");
		const char *who = dhcp ? r->client_host : r->user;
		if (!who || !r->assigned_ip || !*who || !*r->assigned_ip)
			continue;
		if (b->n_ses >= SESSIONS_MAX) {
			tl_graph_note(b->g, "only the first %d sessions and leases were read", SESSIONS_MAX);
			break;
		}
		struct session *v = tl_grow(b->ses, &cap, b->n_ses + 1, sizeof(*v), 64);
		if (!v) {
			rc = tl_errf(b->err, "out of memory");
			break;
		}
		b->ses = v;
		struct session *e = &b->ses[b->n_ses];
		memset(e, 0, sizeof(*e));
		e->type = dhcp ? TL_ENT_HOST : TL_ENT_USER;
		struct tl_err ce;
		if (tl_entity_canon(e->type, who, &e->who, &ce) || tl_entity_canon(TL_ENT_IP, r->assigned_ip, &e->ip, &ce)) {
			free(e->who);
			free(e->ip);
			continue;
		}
		e->raw_who = strdup(who);
		e->raw_ip = strdup(r->assigned_ip);
		e->first = r->has_start ? r->start : r->end;
		e->last = r->has_end ? r->end : e->first;
		e->bytes = r->bytes;
		const char *path = r->start_file ? r->start_file : r->end_file;
		e->line = r->start_file ? r->start_line : r->end_line;
		e->path = strdup(path ? path : "");
		if (!e->path || !e->raw_who || !e->raw_ip) {
			free(e->who);
			free(e->ip);
			free(e->raw_who);
			free(e->raw_ip);
			free(e->path);
			rc = tl_errf(b->err, "out of memory");
			break;
		}
		b->n_ses++;
	}
	tl_store_graph_iter_free(it);
	return rc < 0 ? -1 : 0;
}

/* Link session I (once). */
static int use_session(struct builder *b, size_t i)
{
	struct session *e = &b->ses[i];
	if (e->used)
		return 0;
	e->used = 1;
	size_t who, ip;
	int rc = tl_graph_node(b->g, e->type, e->who, NULL, &who, b->err);
	if (rc < 0 || forms_fit(b) || (rc = tl_graph_node(b->g, TL_ENT_IP, e->ip, NULL, &ip, b->err)) < 0 || forms_fit(b))
		return -1;
	/* the spellings as the view stored them are what the nodes' lookups need */
	if (b->pivoted && (add_form(b, who, e->raw_who) || add_form(b, ip, e->raw_ip)))
		return -1;
	return tl_graph_link(b->g, TL_GE_assigned_ip, who, ip, e->first, e->last, e->bytes, e->path, e->line, b->err);
}

/* ---- the walk ------------------------------------------------------------------------- */

static int cols_of(int type, enum tl_graph_col *cols)
{
	switch (type) {
	/* a user's events: those naming her, and those a binding attributes to her */
	case TL_ENT_USER: cols[0] = TL_GC_USER; cols[1] = TL_GC_ATTR_USER; return 2;
	case TL_ENT_EMAIL: cols[0] = TL_GC_USER; return 1;
	case TL_ENT_HOST: cols[0] = TL_GC_HOST; return 1;
	case TL_ENT_IP: cols[0] = TL_GC_SRC_IP; cols[1] = TL_GC_DST_IP; return 2;
	case TL_ENT_DOMAIN: cols[0] = TL_GC_DOMAIN; return 1;
	case TL_ENT_FILE:
	case TL_ENT_RESOURCE: cols[0] = TL_GC_FILE; return 1;
	case TL_ENT_PROCESS: cols[0] = TL_GC_PROCESS_GUID; cols[1] = TL_GC_PARENT_GUID; return 2;
	default: return 0; /* url, hash, policy: no index to look them up by */
	}
}

/* Whether spelling RAW of node IDX is looked up in COL: attributions hold
 * canonical values only, so the other spellings would find nothing there. */
static int canonical_col(const struct builder *b, size_t idx, enum tl_graph_col col, const char *raw)
{
	return col != TL_GC_ATTR_USER || !strcmp(raw, b->g->nodes[idx].value);
}

/* Read every event that names node IDX in one of its spellings not read yet;
 * a hub is left as it is, with a note. */
static int expand(struct builder *b, size_t idx)
{
	enum tl_graph_col cols[2];
	int nc = cols_of(b->g->nodes[idx].type, cols);
	int64_t limit = b->g->nodes[idx].dist == 0 ? TL_GRAPH_PIVOT_EVENTS : TL_GRAPH_HUB_EVENTS;
	struct tl_graph_query q = { .has_from = b->o->has_from, .has_to = b->o->has_to, .from = b->o->from, .to = b->o->to };
	struct forms *f = &b->forms[idx];
	int64_t total = 0;
	/* every spelling the case's entities table has seen for this entity
	 * (alice@example.com and EXAMPLE\alice beside alice): the lookups go by
	 * the text as stored. A process node is a GUID, not an entity there. */
	int type0 = b->g->nodes[idx].type;
	if (!f->aliased && type0 != TL_GN_POLICY && type0 != TL_ENT_PROCESS) {
		struct tl_strlist al = TL_STRLIST_INIT;
		f->aliased = 1;
		int r = tl_store_entity_aliases(b->s, tl_entity_type_name((enum tl_entity_type)type0),
						b->g->nodes[idx].value, &al, b->err);
		for (size_t i = 0; r >= 0 && i < al.n; i++)
			if (add_form(b, idx, al.v[i]))
				r = -1;
		if (r >= 0 && add_form(b, idx, b->g->nodes[idx].value))
			r = -1;
		tl_strlist_release(&al);
		if (r < 0)
			return -1;
	}
	/* a hub is recognised before any of its events is read */
	for (unsigned k = 0; k < f->n; k++)
		for (int c = 0; c < nc && !f->done[k]; c++) {
			if (!canonical_col(b, idx, cols[c], f->raw[k]))
				continue;
			q.col = cols[c];
			q.value = f->raw[k];
			int64_t n = tl_store_graph_count(b->s, &q, limit, b->err);
			if (n < 0)
				return -1;
			if (n > limit) {
				const struct tl_graph_node *nd = &b->g->nodes[idx];
				if (nd->dist == 0)
					tl_graph_note(b->g, "%s '%s' has more than %lld events: shown, not expanded (narrow it "
							    "with --from/--to)",
						      tl_graph_node_type_name(nd->type), nd->value, (long long)limit);
				else if (b->hubs++ < HUBS_NAMED)
					tl_buf_addf(&b->hub_names, "%s%s '%s'", b->hubs > 1 ? ", " : "",
						    tl_graph_node_type_name(nd->type), nd->value);
				for (unsigned i = 0; i < f->n; i++)
					f->done[i] = 1;
				return 0;
			}
			total += n;
		}
	if (b->g->nodes[idx].dist > 0) {
		if (total > b->walk_budget) {
			/* given up for good: a spelling found later must not bring it back */
			b->over_budget++;
			for (unsigned i = 0; i < f->n; i++)
				f->done[i] = 1;
			return 0;
		}
		b->walk_budget -= total;
	}
	for (unsigned k = 0; k < b->forms[idx].n; k++) {
		if (b->forms[idx].done[k])
			continue;
		b->forms[idx].done[k] = 1;
		for (int c = 0; c < nc; c++) {
			if (!canonical_col(b, idx, cols[c], b->forms[idx].raw[k]))
				continue;
			/* derive() may move the forms array: copy the value */
			char *raw = strdup(b->forms[idx].raw[k]);
			if (!raw)
				return tl_errf(b->err, "out of memory");
			q.col = cols[c];
			q.value = raw;
			int rc = read_events(b, &q);
			free(raw);
			if (rc)
				return -1;
		}
	}
	int type = b->g->nodes[idx].type;
	for (size_t i = 0; i < b->n_ses; i++) {
		const struct session *e = &b->ses[i];
		const char *value = b->g->nodes[idx].value;
		if (!e->used && ((type == e->type && !strcmp(e->who, value)) || (type == TL_ENT_IP && !strcmp(e->ip, value))) &&
		    use_session(b, i))
			return -1;
	}
	b->g->nodes[idx].expanded = 1;
	return 0;
}

/* Hops from the nearest seed over the edges known, into every node's dist. */
static void distances(struct tl_graph *g, const unsigned char *seed)
{
	for (size_t i = 0; i < g->n_nodes; i++)
		g->nodes[i].dist = seed[i] ? 0 : -1;
	for (int d = 0, changed = 1; changed; d++) {
		changed = 0;
		for (size_t i = 0; i < g->n_edges; i++) {
			if (!g->edges[i].count)
				continue; /* moved to another end (retarget_bulk) */
			struct tl_graph_node *a = &g->nodes[g->edges[i].from], *z = &g->nodes[g->edges[i].to];
			if (a->dist == d && z->dist < 0)
				z->dist = d + 1, changed = 1;
			else if (z->dist == d && a->dist < 0)
				a->dist = d + 1, changed = 1;
		}
	}
}

static const struct tl_graph_node *rank_nodes;

/* Each node's weight: the counts of its edges so far. */
static void weigh(struct tl_graph *g)
{
	for (size_t i = 0; i < g->n_nodes; i++)
		g->nodes[i].weight = 0;
	for (size_t i = 0; i < g->n_edges; i++) {
		g->nodes[g->edges[i].from].weight += g->edges[i].count;
		g->nodes[g->edges[i].to].weight += g->edges[i].count;
	}
}

static int rank_order(const void *x, const void *y)
{
	const struct tl_graph_node *a = &rank_nodes[*(const size_t *)x], *b = &rank_nodes[*(const size_t *)y];
	if (a->dist != b->dist)
		return a->dist < b->dist ? -1 : 1;
	if (a->weight != b->weight)
		return a->weight > b->weight ? -1 : 1;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	return strcmp(a->value, b->value);
}

/* At most MAX of the nodes marked in KEEP: the nearest, then the busiest. */
static int cap_nodes(struct tl_graph *g, unsigned char *keep, size_t max, struct tl_err *err)
{
	size_t n = 0;
	for (size_t i = 0; i < g->n_nodes; i++)
		n += keep[i] != 0;
	if (n <= max)
		return 0;
	size_t *order = malloc(n * sizeof(*order));
	if (!order)
		return tl_errf(err, "out of memory");
	for (size_t i = 0, k = 0; i < g->n_nodes; i++)
		if (keep[i])
			order[k++] = i;
	for (size_t i = 0; i < g->n_nodes; i++)
		g->nodes[i].weight = 0;
	for (size_t i = 0; i < g->n_edges; i++) {
		const struct tl_graph_edge *e = &g->edges[i];
		if (keep[e->from] && keep[e->to]) {
			g->nodes[e->from].weight += e->count;
			g->nodes[e->to].weight += e->count;
		}
	}
	rank_nodes = g->nodes;
	qsort(order, n, sizeof(*order), rank_order);
	rank_nodes = NULL;
	for (size_t k = max; k < n; k++)
		keep[order[k]] = 0;
	int pivoted = g->nodes[order[0]].dist >= 0;
	free(order);
	tl_graph_note(g, "capped: %zu of %zu nodes shown (%s)", max, n,
		      pivoted ? "nearest the pivots first, then the busiest" : "the busiest");
	return 0;
}

static int walk(struct builder *b, unsigned char **keepp)
{
	struct tl_graph *g = b->g;
	const struct tl_graph_opts *o = b->o;
	size_t max = o->max_nodes ? o->max_nodes : TL_GRAPH_DEFAULT_NODES;
	size_t n_seed = 0;
	for (size_t i = 0; i < o->n_seeds; i++) {
		size_t idx;
		char *canon;
		if (tl_graph_seed_check(o->seeds[i].type, o->seeds[i].value, &canon, b->err))
			return -1;
		/* an address in the user column is that user: the events name it so */
		int type = o->seeds[i].type == TL_ENT_EMAIL ? TL_ENT_USER : (int)o->seeds[i].type;
		int rc = tl_graph_node(g, type, canon, NULL, &idx, b->err);
		free(canon);
		if (rc < 0 || forms_fit(b) || add_form(b, idx, o->seeds[i].value) || add_form(b, idx, g->nodes[idx].value))
			return -1;
		n_seed = g->n_nodes;
	}
	unsigned char *seed = calloc(n_seed ? n_seed : 1, 1);
	if (!seed)
		return tl_errf(b->err, "out of memory");
	for (size_t i = 0; i < n_seed; i++)
		seed[i] = 1;
	int rc = 0;
	unsigned char *isseed = NULL;
	int reached = 0;
	for (int level = 0; level < o->depth && !rc; level++) {
		free(isseed);
		if (!(isseed = calloc(g->n_nodes ? g->n_nodes : 1, 1))) {
			rc = tl_errf(b->err, "out of memory");
			break;
		}
		memcpy(isseed, seed, n_seed);
		distances(g, isseed);
		/* the frontier: the nodes LEVEL hops out that the picture can show —
		 * among everything within LEVEL hops, the MAX nearest, then busiest
		 * (the final cut's order). Expanding more would read events for nodes
		 * that are cut away; this bounds a walk by MAX lookups per hop. */
		size_t nf = 0, nw = 0;
		size_t *front = malloc((g->n_nodes ? g->n_nodes : 1) * sizeof(*front));
		if (!front) {
			rc = tl_errf(b->err, "out of memory");
			break;
		}
		weigh(g);
		for (size_t i = 0; i < g->n_nodes; i++)
			if (g->nodes[i].dist >= 0 && g->nodes[i].dist <= level)
				front[nw++] = i;
		rank_nodes = g->nodes;
		if (nw > 1)
			qsort(front, nw, sizeof(*front), rank_order);
		rank_nodes = NULL;
		size_t beyond = 0;
		for (size_t k = 0; k < nw; k++) {
			if (g->nodes[front[k]].dist != level || g->nodes[front[k]].expanded)
				continue;
			if (k < max)
				front[nf++] = front[k];
			else
				beyond++;
		}
		if (beyond)
			tl_graph_note(g, "depth %d: %zu nodes not expanded, beyond the %zu shown", level, beyond, max);
		b->over_budget = 0;
		b->hubs = 0;
		tl_buf_reset(&b->hub_names);
		for (size_t k = 0; k < nf && !rc; k++)
			rc = expand(b, front[k]);
		free(front);
		if (b->hubs)
			tl_graph_note(g, "depth %d: %zu hubs shown, not expanded (more than %d events each): %s%s", level,
				      b->hubs, TL_GRAPH_HUB_EVENTS, b->hub_names.data ? b->hub_names.data : "",
				      b->hubs > HUBS_NAMED ? ", ..." : "");
		if (b->over_budget)
			tl_graph_note(g, "depth %d: %zu nodes not expanded: their events would pass the walk's budget of %d", level,
				      b->over_budget, TL_GRAPH_WALK_EVENTS);
		/* spellings found after a node was read (JDOE beside jdoe) are read too */
		for (int again = 1; again && !rc;) {
			again = 0;
			for (size_t i = 0; i < g->n_nodes && !rc; i++) {
				if (!g->nodes[i].expanded)
					continue;
				for (unsigned k = 0; k < b->forms[i].n; k++)
					if (!b->forms[i].done[k]) {
						again = 1;
						rc = expand(b, i);
						break;
					}
			}
		}
		reached = level + 1;
		if (rc)
			break;
		free(isseed);
		if (!(isseed = calloc(g->n_nodes ? g->n_nodes : 1, 1))) {
			rc = tl_errf(b->err, "out of memory");
			break;
		}
		memcpy(isseed, seed, n_seed);
	}
	if (!rc && !isseed) {
		if (!(isseed = calloc(g->n_nodes ? g->n_nodes : 1, 1)))
			rc = tl_errf(b->err, "out of memory");
		else
			memcpy(isseed, seed, n_seed);
	}
	free(seed);
	if (!rc)
		rc = retarget_bulk(b);
	if (rc) {
		free(isseed);
		return -1;
	}
	distances(g, isseed);
	/* keep what is near enough, and edges whose counts are whole: one end expanded */
	unsigned char *keep = isseed;
	for (size_t i = 0; i < g->n_nodes; i++)
		keep[i] = keep[i] || (g->nodes[i].dist >= 0 && g->nodes[i].dist <= reached);
	size_t ne = 0;
	for (size_t i = 0; i < g->n_edges; i++) {
		struct tl_graph_edge *e = &g->edges[i];
		if (e->count && keep[e->from] && keep[e->to] && (g->nodes[e->from].expanded || g->nodes[e->to].expanded))
			g->edges[ne++] = *e;
	}
	g->n_edges = ne;
	/* a node left without an edge (it hung off a hub) goes, unless it is a pivot */
	unsigned char *linked = calloc(g->n_nodes ? g->n_nodes : 1, 1);
	if (!linked) {
		free(keep);
		return tl_errf(b->err, "out of memory");
	}
	for (size_t i = 0; i < g->n_edges; i++)
		linked[g->edges[i].from] = linked[g->edges[i].to] = 1;
	for (size_t i = 0; i < g->n_nodes; i++)
		keep[i] = keep[i] && (linked[i] || i < n_seed);
	free(linked);
	*keepp = keep;
	return cap_nodes(g, keep, max, b->err);
}

static int whole_case(struct builder *b, unsigned char **keepp)
{
	struct tl_graph_query q = { .col = TL_GC_ALL, .has_from = b->o->has_from, .has_to = b->o->has_to,
				    .from = b->o->from, .to = b->o->to };
	if (read_events(b, &q))
		return -1;
	for (size_t i = 0; i < b->n_ses; i++)
		if (use_session(b, i))
			return -1;
	if (retarget_bulk(b))
		return -1;
	unsigned char *keep = malloc(b->g->n_nodes ? b->g->n_nodes : 1);
	if (!keep)
		return tl_errf(b->err, "out of memory");
	/* no pivot, no distance; a value that gave no relationship is not shown */
	memset(keep, 0, b->g->n_nodes);
	for (size_t i = 0; i < b->g->n_edges; i++)
		if (b->g->edges[i].count)
			keep[b->g->edges[i].from] = keep[b->g->edges[i].to] = 1;
	for (size_t i = 0; i < b->g->n_nodes; i++) {
		b->g->nodes[i].dist = -1;
		b->g->nodes[i].expanded = 1;
	}
	*keepp = keep;
	return cap_nodes(b->g, keep, b->o->max_nodes ? b->o->max_nodes : TL_GRAPH_DEFAULT_NODES, b->err);
}

int tl_graph_build(struct tl_store *s, const struct tl_graph_opts *o, struct tl_graph *g, struct tl_err *err)
{
	struct builder b = { .s = s, .o = o, .g = g, .err = err, .pivoted = o->n_seeds > 0,
			     .walk_budget = TL_GRAPH_WALK_EVENTS, .hub_names = { NULL, 0, 0, 4096, 0 } };
	if (o->depth < 0 || o->depth > TL_GRAPH_DEPTH_MAX)
		return tl_errf(err, "depth %d is not within 0..%d", o->depth, TL_GRAPH_DEPTH_MAX);
	unsigned char *keep = NULL;
	int rc = load_sessions(&b);
	if (!rc)
		rc = o->n_seeds ? walk(&b, &keep) : whole_case(&b, &keep);
	if (!rc)
		rc = tl_graph_keep(g, keep, err);
	if (!rc)
		rc = tl_graph_sort(g, err);
	free(keep);
	for (size_t i = 0; i < b.n_forms; i++)
		for (unsigned k = 0; k < b.forms[i].n; k++)
			free(b.forms[i].raw[k]);
	free(b.forms);
	free(b.addr_domain);
	free(b.seen);
	for (size_t i = 0; i < b.n_ses; i++) {
		free(b.ses[i].who);
		free(b.ses[i].ip);
		free(b.ses[i].path);
		free(b.ses[i].raw_who);
		free(b.ses[i].raw_ip);
	}
	free(b.ses);
	tl_buf_release(&b.hub_names);
	return rc;
}
