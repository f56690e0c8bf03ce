/*
 * The entity graph model (include/tl/graph.h): nodes and edges in two arrays
 * with open-addressing hashes beside them, so that reading a hundred thousand
 * events into a graph is a hash probe per relationship. What a relationship
 * means and where it comes from is analysis's business (src/analysis/graph.c);
 * how it is drawn is output's.
 */
#define _POSIX_C_SOURCE 200809L
#include "tl/graph.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tl/grow.h"
#include "tl/banned.h"

static const char *const node_type_names[TL_GN_TYPES] = { "user", "host",  "ip",   "domain",   "url",   "file",
							  "process", "hash", "email", "resource", "policy" };

const char *tl_graph_node_type_name(int type)
{
	return type >= 0 && type < TL_GN_TYPES ? node_type_names[type] : "?";
}

static const char *const edge_type_names[TL_GE_TYPES] = {
#define TL_X_NAME(name) #name,
	TL_GRAPH_EDGE_TYPES(TL_X_NAME)
#undef TL_X_NAME
};

const char *tl_graph_edge_type_name(int type)
{
	return type >= 0 && type < TL_GE_TYPES ? edge_type_names[type] : "?";
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ c[i]) * 1099511628211ULL;
	return h;
}

static uint64_t node_hash(int type, const char *value)
{
	unsigned char t = (unsigned char)type;
	return fnv(fnv(1469598103934665603ULL, &t, 1), value, strlen(value));
}

/* An edge is keyed by (type, attributed, from, to): an attributed edge never
 * merges with the direct one of the same type, so each count stays exact. */
static uint64_t edge_hash(int type, int attributed, size_t from, size_t to)
{
	uint64_t k[3] = { (uint64_t)type | (uint64_t)(attributed != 0) << 32, from, to };
	return fnv(1469598103934665603ULL, k, sizeof(k));
}

/* Rebuild both hashes with room for twice what they hold. */
static int rehash_nodes(struct tl_graph *g, size_t want)
{
	size_t n = 64;
	while (n < want * 2)
		n *= 2;
	size_t *slot = calloc(n, sizeof(*slot));
	if (!slot)
		return -1;
	for (size_t i = 0; i < g->n_nodes; i++) {
		size_t h = (size_t)node_hash(g->nodes[i].type, g->nodes[i].value) & (n - 1);
		while (slot[h])
			h = (h + 1) & (n - 1);
		slot[h] = i + 1;
	}
	free(g->nslot);
	g->nslot = slot;
	g->n_nslot = n;
	return 0;
}

static int rehash_edges(struct tl_graph *g, size_t want)
{
	size_t n = 64;
	while (n < want * 2)
		n *= 2;
	size_t *slot = calloc(n, sizeof(*slot));
	if (!slot)
		return -1;
	for (size_t i = 0; i < g->n_edges; i++) {
		const struct tl_graph_edge *e = &g->edges[i];
		size_t h = (size_t)edge_hash(e->type, e->attributed, e->from, e->to) & (n - 1);
		while (slot[h])
			h = (h + 1) & (n - 1);
		slot[h] = i + 1;
	}
	free(g->eslot);
	g->eslot = slot;
	g->n_eslot = n;
	return 0;
}

void tl_graph_release(struct tl_graph *g)
{
	for (size_t i = 0; i < g->n_nodes; i++) {
		free(g->nodes[i].value);
		free(g->nodes[i].label);
	}
	for (size_t i = 0; i < g->cap_paths; i++)
		free(g->paths[i]);
	free(g->paths);
	free(g->nodes);
	free(g->edges);
	free(g->nslot);
	free(g->eslot);
	free(g->bindings);
	free(g->bslot);
	tl_strlist_release(&g->notes);
	memset(g, 0, sizeof(*g));
}

int tl_graph_find(const struct tl_graph *g, int type, const char *value, size_t *idx)
{
	if (!g->n_nslot)
		return 0;
	size_t h = (size_t)node_hash(type, value) & (g->n_nslot - 1);
	for (; g->nslot[h]; h = (h + 1) & (g->n_nslot - 1)) {
		const struct tl_graph_node *n = &g->nodes[g->nslot[h] - 1];
		if (n->type == type && !strcmp(n->value, value)) {
			*idx = g->nslot[h] - 1;
			return 1;
		}
	}
	return 0;
}

int tl_graph_node(struct tl_graph *g, int type, const char *value, const char *label, size_t *idx,
		  struct tl_err *err)
{
	if (tl_graph_find(g, type, value, idx)) {
		/* a pivot is named by its value; the first event that describes it
		 * (a process's image) gives it its label */
		struct tl_graph_node *n = &g->nodes[*idx];
		if (label && !strcmp(n->label, n->value) && strcmp(label, value)) {
			char *l = strdup(label);
			if (!l)
				return tl_errf(err, "out of memory");
			free(n->label);
			n->label = l;
		}
		return 1;
	}
	if (g->n_nodes >= TL_GRAPH_NODES_LIMIT)
		return tl_errf(err, "the graph holds %d nodes, the most it may", TL_GRAPH_NODES_LIMIT);
	struct tl_graph_node *v = tl_grow(g->nodes, &g->cap_nodes, g->n_nodes + 1, sizeof(*v), 64);
	if (!v)
		return tl_errf(err, "out of memory");
	g->nodes = v;
	struct tl_graph_node *n = &g->nodes[g->n_nodes];
	memset(n, 0, sizeof(*n));
	n->type = type;
	n->dist = -1;
	n->value = strdup(value);
	n->label = strdup(label ? label : value);
	if (!n->value || !n->label) {
		free(n->value);
		free(n->label);
		return tl_errf(err, "out of memory");
	}
	*idx = g->n_nodes++;
	if ((g->n_nodes * 2 > g->n_nslot && rehash_nodes(g, g->n_nodes)) || !g->n_nslot) {
		g->n_nodes--;
		free(n->value);
		free(n->label);
		return tl_errf(err, "out of memory");
	}
	size_t h = (size_t)node_hash(type, value) & (g->n_nslot - 1);
	while (g->nslot[h] && g->nslot[h] != *idx + 1)
		h = (h + 1) & (g->n_nslot - 1);
	g->nslot[h] = *idx + 1;
	return 0;
}

static int loc_cmp(const char *pa, int64_t la, const char *pb, int64_t lb)
{
	int c = strcmp(pa, pb);
	return c ? c : (la > lb) - (la < lb);
}

/* The graph's copy of PATH (added once), or NULL when memory ran out. */
static const char *intern(struct tl_graph *g, const char *path)
{
	if (g->n_paths * 2 >= g->cap_paths) {
		size_t cap = g->cap_paths ? g->cap_paths * 2 : 64;
		char **v = calloc(cap, sizeof(*v));
		if (!v)
			return NULL;
		for (size_t i = 0; i < g->cap_paths; i++)
			if (g->paths[i]) {
				size_t h = (size_t)node_hash(0, g->paths[i]) & (cap - 1);
				while (v[h])
					h = (h + 1) & (cap - 1);
				v[h] = g->paths[i];
			}
		free(g->paths);
		g->paths = v;
		g->cap_paths = cap;
	}
	size_t h = (size_t)node_hash(0, path) & (g->cap_paths - 1);
	for (; g->paths[h]; h = (h + 1) & (g->cap_paths - 1))
		if (!strcmp(g->paths[h], path))
			return g->paths[h];
	if (!(g->paths[h] = strdup(path)))
		return NULL;
	g->n_paths++;
	return g->paths[h];
}

/* Keep the TL_GRAPH_EVIDENCE_MAX smallest locations, sorted: the same ones
 * whatever order the events came in. */
static int keep_evidence(struct tl_graph *g, struct tl_graph_edge *e, const char *path, int64_t line)
{
	size_t pos = e->n_ev;
	while (pos > 0 && loc_cmp(path, line, e->ev[pos - 1].path, e->ev[pos - 1].line) < 0)
		pos--;
	if (pos < e->n_ev && !loc_cmp(path, line, e->ev[pos].path, e->ev[pos].line))
		return 0; /* one record, several events (several answers): one location */
	if (pos > 0 && !loc_cmp(path, line, e->ev[pos - 1].path, e->ev[pos - 1].line))
		return 0;
	if (pos >= TL_GRAPH_EVIDENCE_MAX)
		return 0;
	const char *p = intern(g, path);
	if (!p)
		return -1;
	if (e->n_ev == TL_GRAPH_EVIDENCE_MAX)
		e->n_ev--;
	memmove(&e->ev[pos + 1], &e->ev[pos], (e->n_ev - pos) * sizeof(e->ev[0]));
	e->ev[pos].path = p;
	e->ev[pos].line = line;
	e->n_ev++;
	return 0;
}

/* The edge (TYPE, ATTRIBUTED, FROM, TO), or NULL. */
static struct tl_graph_edge *edge_find(struct tl_graph *g, int type, int attributed, size_t from, size_t to)
{
	if (!g->n_eslot)
		return NULL;
	size_t h = (size_t)edge_hash(type, attributed, from, to) & (g->n_eslot - 1);
	for (; g->eslot[h]; h = (h + 1) & (g->n_eslot - 1)) {
		struct tl_graph_edge *c = &g->edges[g->eslot[h] - 1];
		if (c->type == type && c->attributed == attributed && c->from == from && c->to == to)
			return c;
	}
	return NULL;
}

static size_t binding_hash(int64_t id, const char *via)
{
	uint64_t k = (uint64_t)id * 0x9E3779B97F4A7C15ULL;
	return (size_t)fnv(k, via ? via : "", via ? strlen(via) : 0);
}

static int binding_is(const struct tl_graph_binding *b, int64_t id, const char *via)
{
	return b->id == id && !strcmp(b->via, via ? via : "");
}

const struct tl_graph_binding *tl_graph_binding_find(const struct tl_graph *g, int64_t id, const char *via)
{
	if (!g->n_bslot)
		return NULL;
	for (size_t h = binding_hash(id, via) & (g->n_bslot - 1); g->bslot[h]; h = (h + 1) & (g->n_bslot - 1))
		if (binding_is(&g->bindings[g->bslot[h] - 1], id, via))
			return &g->bindings[g->bslot[h] - 1];
	return NULL;
}

/* The graph's one copy of binding B (by id and via) into *IDX: 0, or -1 out of memory. */
static int binding_add(struct tl_graph *g, const struct tl_graph_binding *b, size_t *idx)
{
	if (g->n_bindings * 2 >= g->n_bslot) {
		size_t n = g->n_bslot ? g->n_bslot * 2 : 64;
		size_t *slot = calloc(n, sizeof(*slot));
		if (!slot)
			return -1;
		for (size_t i = 0; i < g->n_bindings; i++) {
			size_t h = binding_hash(g->bindings[i].id, g->bindings[i].via) & (n - 1);
			while (slot[h])
				h = (h + 1) & (n - 1);
			slot[h] = i + 1;
		}
		free(g->bslot);
		g->bslot = slot;
		g->n_bslot = n;
	}
	size_t h = binding_hash(b->id, b->via) & (g->n_bslot - 1);
	for (; g->bslot[h]; h = (h + 1) & (g->n_bslot - 1))
		if (binding_is(&g->bindings[g->bslot[h] - 1], b->id, b->via)) {
			*idx = g->bslot[h] - 1;
			return 0;
		}
	struct tl_graph_binding *v = tl_grow(g->bindings, &g->cap_bindings, g->n_bindings + 1, sizeof(*v), 16);
	if (!v)
		return -1;
	g->bindings = v;
	struct tl_graph_binding c = *b;
	/* the strings are few and repeat (a handful of sources, vias, subjects) */
	const char **str[] = { &c.kind, &c.source, &c.subject, &c.via, &c.path };
	for (size_t i = 0; i < sizeof(str) / sizeof(str[0]); i++)
		if (*str[i] && !(*str[i] = intern(g, *str[i])))
			return -1;
	if (!c.kind)
		c.kind = intern(g, "");
	if (!c.source)
		c.source = intern(g, "");
	if (!c.subject)
		c.subject = intern(g, "");
	if (!c.via)
		c.via = intern(g, "");
	if (!c.kind || !c.source || !c.subject || !c.via)
		return -1;
	g->bindings[g->n_bindings] = c;
	g->bslot[h] = ++g->n_bindings;
	*idx = g->n_bindings - 1;
	return 0;
}

static int bind_cmp(const struct tl_graph_binding *a, const struct tl_graph_binding *b)
{
	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	return strcmp(a->via, b->via);
}

/* Keep the TL_GRAPH_BINDINGS_MAX lowest bindings (id, via) of edge E, sorted. */
static void keep_binding(struct tl_graph *g, struct tl_graph_edge *e, size_t bi)
{
	const struct tl_graph_binding *nb = &g->bindings[bi];
	size_t pos = e->n_bind;
	while (pos > 0 && bind_cmp(nb, &g->bindings[e->bind[pos - 1]]) < 0)
		pos--;
	if ((pos > 0 && !bind_cmp(nb, &g->bindings[e->bind[pos - 1]])) ||
	    (pos < e->n_bind && !bind_cmp(nb, &g->bindings[e->bind[pos]])))
		return;
	if (pos >= TL_GRAPH_BINDINGS_MAX) {
		e->more_bindings = 1;
		return;
	}
	if (e->n_bind == TL_GRAPH_BINDINGS_MAX) {
		e->more_bindings = 1;
		e->n_bind--;
	}
	memmove(&e->bind[pos + 1], &e->bind[pos], (e->n_bind - pos) * sizeof(e->bind[0]));
	e->bind[pos] = bi;
	e->n_bind++;
}

static int link_edge(struct tl_graph *g, int type, int attributed, size_t from, size_t to, tl_us first, tl_us last,
		     int64_t bytes, const char *path, int64_t line, struct tl_graph_edge **out, struct tl_err *err)
{
	*out = NULL;
	if (from == to)
		return 0;
	struct tl_graph_edge *e = edge_find(g, type, attributed, from, to);
	if (!e) {
		if (g->n_edges >= TL_GRAPH_EDGES_LIMIT)
			return tl_errf(err, "the graph holds %d edges, the most it may", TL_GRAPH_EDGES_LIMIT);
		struct tl_graph_edge *v = tl_grow(g->edges, &g->cap_edges, g->n_edges + 1, sizeof(*v), 64);
		if (!v)
			return tl_errf(err, "out of memory");
		g->edges = v;
		e = &g->edges[g->n_edges++];
		memset(e, 0, sizeof(*e));
		e->type = type;
		e->attributed = attributed;
		e->from = from;
		e->to = to;
		e->first = first;
		e->last = last;
		if (g->n_edges * 2 > g->n_eslot) {
			if (rehash_edges(g, g->n_edges))
				return g->n_edges--, tl_errf(err, "out of memory");
		} else {
			size_t h = (size_t)edge_hash(type, attributed, from, to) & (g->n_eslot - 1);
			while (g->eslot[h])
				h = (h + 1) & (g->n_eslot - 1);
			g->eslot[h] = g->n_edges;
		}
	}
	if (first < e->first)
		e->first = first;
	if (last > e->last)
		e->last = last;
	e->count++;
	if (bytes > 0 && e->bytes <= INT64_MAX - bytes)
		e->bytes += bytes;
	if (path && keep_evidence(g, e, path, line))
		return tl_errf(err, "out of memory");
	*out = e;
	return 0;
}

int tl_graph_link(struct tl_graph *g, int type, size_t from, size_t to, tl_us first, tl_us last, int64_t bytes,
		  const char *path, int64_t line, struct tl_err *err)
{
	struct tl_graph_edge *e;
	return link_edge(g, type, 0, from, to, first, last, bytes, path, line, &e, err);
}

int tl_graph_link_attributed(struct tl_graph *g, int type, size_t from, size_t to, tl_us first, tl_us last,
			     int64_t bytes, const char *path, int64_t line, const struct tl_graph_binding *bind,
			     struct tl_err *err)
{
	struct tl_graph_edge *e;
	size_t bi;
	if (link_edge(g, type, 1, from, to, first, last, bytes, path, line, &e, err))
		return -1;
	if (!e || !bind)
		return 0;
	if (binding_add(g, bind, &bi))
		return tl_errf(err, "out of memory");
	keep_binding(g, e, bi);
	return 0;
}

int tl_graph_retarget(struct tl_graph *g, size_t i, size_t to, struct tl_err *err)
{
	struct tl_graph_edge old = g->edges[i];
	if (old.to == to || old.count == 0)
		return 0;
	g->edges[i].count = 0;
	g->edges[i].n_ev = 0;
	/* the first piece of evidence makes (or finds) the edge; the rest is added */
	const char *p0 = old.n_ev ? old.ev[0].path : NULL;
	struct tl_graph_edge *e;
	if (link_edge(g, old.type, old.attributed, old.from, to, old.first, old.last, old.bytes, p0,
		      old.n_ev ? old.ev[0].line : 0, &e, err))
		return -1;
	if (!e)
		return tl_errf(err, "graph: a moved edge went missing");
	e->count += old.count - 1;
	for (size_t k = 1; k < old.n_ev; k++)
		if (keep_evidence(g, e, old.ev[k].path, old.ev[k].line))
			return tl_errf(err, "out of memory");
	for (size_t k = 0; k < old.n_bind; k++)
		keep_binding(g, e, old.bind[k]);
	e->more_bindings |= old.more_bindings;
	return 0;
}

void tl_graph_note(struct tl_graph *g, const char *fmt, ...)
{
	if (g->notes.n >= TL_GRAPH_NOTES_MAX)
		return;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < g->notes.n; i++)
		if (!strcmp(g->notes.v[i], msg))
			return;
	tl_strlist_add(&g->notes, msg); /* a note lost to memory exhaustion is not worth failing for */
}

/* Renumber: node i becomes MAP[i] (SIZE_MAX: dropped). */
static int renumber(struct tl_graph *g, const size_t *map, struct tl_err *err)
{
	size_t nn = 0;
	for (size_t i = 0; i < g->n_nodes; i++) {
		if (map[i] == SIZE_MAX) {
			free(g->nodes[i].value);
			free(g->nodes[i].label);
			continue;
		}
		nn = map[i] + 1 > nn ? map[i] + 1 : nn;
	}
	struct tl_graph_node *nodes = malloc((nn ? nn : 1) * sizeof(*nodes));
	if (!nodes)
		return tl_errf(err, "out of memory");
	for (size_t i = 0; i < g->n_nodes; i++)
		if (map[i] != SIZE_MAX)
			nodes[map[i]] = g->nodes[i];
	free(g->nodes);
	g->nodes = nodes;
	g->n_nodes = g->cap_nodes = nn;
	size_t ne = 0;
	for (size_t i = 0; i < g->n_edges; i++) {
		struct tl_graph_edge *e = &g->edges[i];
		if (map[e->from] == SIZE_MAX || map[e->to] == SIZE_MAX || e->count == 0)
			continue;
		e->from = map[e->from];
		e->to = map[e->to];
		g->edges[ne++] = *e;
	}
	g->n_edges = ne;
	if (rehash_nodes(g, g->n_nodes) || rehash_edges(g, g->n_edges))
		return tl_errf(err, "out of memory");
	return 0;
}

int tl_graph_keep(struct tl_graph *g, const unsigned char *keep, struct tl_err *err)
{
	size_t *map = malloc((g->n_nodes ? g->n_nodes : 1) * sizeof(*map));
	if (!map)
		return tl_errf(err, "out of memory");
	size_t k = 0;
	for (size_t i = 0; i < g->n_nodes; i++)
		map[i] = keep[i] ? k++ : SIZE_MAX;
	int rc = renumber(g, map, err);
	free(map);
	return rc;
}

static const struct tl_graph_node *sort_nodes;

static int node_order(const void *a, const void *b)
{
	const struct tl_graph_node *x = &sort_nodes[*(const size_t *)a], *y = &sort_nodes[*(const size_t *)b];
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	return strcmp(x->value, y->value);
}

static int edge_order(const void *a, const void *b)
{
	const struct tl_graph_edge *x = a, *y = b;
	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	if (x->to != y->to)
		return x->to < y->to ? -1 : 1;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	return (x->attributed > y->attributed) - (x->attributed < y->attributed);
}

int tl_graph_sort(struct tl_graph *g, struct tl_err *err)
{
	size_t n = g->n_nodes ? g->n_nodes : 1;
	size_t *order = malloc(n * sizeof(*order)), *map = malloc(n * sizeof(*map));
	if (!order || !map) {
		free(order);
		free(map);
		return tl_errf(err, "out of memory");
	}
	for (size_t i = 0; i < g->n_nodes; i++)
		order[i] = i;
	sort_nodes = g->nodes;
	if (g->n_nodes > 1)
		qsort(order, g->n_nodes, sizeof(*order), node_order);
	sort_nodes = NULL;
	for (size_t i = 0; i < g->n_nodes; i++)
		map[order[i]] = i;
	int rc = renumber(g, map, err);
	free(order);
	free(map);
	if (rc)
		return rc;
	if (g->n_edges > 1)
		qsort(g->edges, g->n_edges, sizeof(*g->edges), edge_order);
	if (rehash_edges(g, g->n_edges))
		return tl_errf(err, "out of memory");
	for (size_t i = 0; i < g->n_nodes; i++)
		g->nodes[i].weight = 0;
	for (size_t i = 0; i < g->n_edges; i++) {
		const struct tl_graph_edge *e = &g->edges[i];
		size_t ends[2] = { e->from, e->to };
		for (int k = 0; k < 2; k++) {
			struct tl_graph_node *nd = &g->nodes[ends[k]];
			if (!nd->weight || e->first < nd->first)
				nd->first = e->first;
			if (!nd->weight || e->last > nd->last)
				nd->last = e->last;
			nd->weight += e->count;
		}
	}
	return 0;
}
