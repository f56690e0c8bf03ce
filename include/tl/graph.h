/*
 * The entity graph as data (docs/commands/graph.md): nodes are entities (the
 * types of tl/entity.h, plus DLP policies), edges are typed relationships
 * with when they were first and last seen, how often, how many bytes, and
 * where the evidence for them is. tl_graph_build() (tl/graph-build.h, in
 * analysis) fills one from the case; the writers of tl/graph-output.h (in
 * output) turn it into dot, GraphML, Cytoscape JSON, SVG or PNG. This header
 * knows neither: it is the model they share, so it lives in the event layer
 * beside tl/entity.h.
 *
 * Ownership: a graph owns every string it holds (node values and labels,
 * evidence paths, notes); the caller passes in borrowed text and releases the
 * graph with tl_graph_release(). Node indexes are stable until tl_graph_keep()
 * or tl_graph_sort(), which renumber them.
 */
#ifndef TL_GRAPH_H
#define TL_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "tl/entity.h"
#include "tl/time.h"
#include "tl/util.h"

/* Node types: the entity types, in their order, then the graph's own. */
#define TL_GN_POLICY TL_ENT_TYPES /* a DLP rule or policy (DLP events' `rule`) */
#define TL_GN_TYPES (TL_ENT_TYPES + 1)

/* "user", ..., "resource", "policy". */
const char *tl_graph_node_type_name(int type);

#define TL_GRAPH_EDGE_TYPES(X) \
	X(logged_in_from)   /* user -> ip: a logon or sign-in from that address */ \
	X(logged_on_to)     /* user -> host: a logon on that machine (EDR, HIDS) */ \
	X(assigned_ip)      /* user -> ip: a VPN session; host -> ip: a DHCP lease (the sessions view) */ \
	X(resolved_to)      /* domain -> ip: a DNS answer */ \
	X(queried)          /* ip -> domain: a DNS query */ \
	X(connected_to)     /* ip -> ip, ip -> domain: flows, firewall, proxy, EDR network */ \
	X(uploaded_to)      /* ip or user -> domain: PUT/POST, or bytes out >= TL_GRAPH_BULK_BYTES */ \
	X(downloaded_from)  /* ip or user -> domain: bytes in >= TL_GRAPH_BULK_BYTES */ \
	X(created_file)     /* host or process -> file: EDR file events that create or write */ \
	X(executed)         /* host or user -> process: process starts */ \
	X(parent_of)        /* process -> process: process_guid / parent_process_guid */ \
	X(flagged_by_dlp)   /* file or user -> policy: DLP findings */ \
	X(accessed_resource) /* user -> resource: cloud and platform audit events */

enum tl_graph_edge_type {
#define TL_X_EDGE(name) TL_GE_##name,
	TL_GRAPH_EDGE_TYPES(TL_X_EDGE)
#undef TL_X_EDGE
	TL_GE_TYPES
};
const char *tl_graph_edge_type_name(int type);

/* Transfers at least this large count as uploads / downloads. */
#define TL_GRAPH_BULK_BYTES 1048576
/* Evidence locations kept per edge: the first ones by (path, line); the
 * total is always the edge's count. */
#define TL_GRAPH_EVIDENCE_MAX 5
/* Nodes a graph holds while it is built, whatever the case holds. */
#define TL_GRAPH_NODES_LIMIT 1000000
#define TL_GRAPH_EDGES_LIMIT 4000000
#define TL_GRAPH_NOTES_MAX 64

struct tl_graph_loc {
	const char *path; /* the graph's own copy, one per distinct path (a case has few files, a graph many edges) */
	int64_t line;
};

struct tl_graph_node {
	int type;        /* TL_ENT_* or TL_GN_POLICY */
	char *value;     /* canonical (tl_entity_canon); a process is its GUID */
	char *label;     /* what a picture shows (a process: image name and GUID) */
	int dist;        /* hops from the nearest pivot; -1 none (the whole case has no pivot) */
	int expanded;    /* every event naming it (in the time range) was read */
	int64_t weight;  /* sum of its edges' counts */
	tl_us first, last; /* of its edges; valid when weight > 0 */
};

/* A binding that attributed an event to a user (docs/correlation.md#attribution):
 * what an attributed edge rests on besides the events themselves. */
struct tl_graph_binding {
	int64_t id;              /* bindings.id */
	const char *kind;        /* ip-user, ip-host, host-user */
	const char *source;      /* vpn, dhcp, logon, ... */
	const char *subject;     /* the address (or host) bound */
	const char *via;         /* src_ip, dst_ip, src_ip>host, dst_ip>host */
	const char *path;        /* the binding's first evidence; NULL none */
	int64_t line;
};
/* Bindings kept per attributed edge: the lowest (id, via). A binding is one
 * per (id, via): the same session may attribute by src_ip and by dst_ip. */
#define TL_GRAPH_BINDINGS_MAX 3

struct tl_graph_edge {
	int type;
	/* 1: the edge's user is not in the events but attributed to them by a
	 * binding (an address-only proxy or flow record during her VPN session);
	 * an edge of its own beside any direct one of the same type */
	int attributed;
	size_t from, to; /* node indexes */
	tl_us first, last;
	int64_t count, bytes;
	struct tl_graph_loc ev[TL_GRAPH_EVIDENCE_MAX];
	size_t n_ev;
	size_t bind[TL_GRAPH_BINDINGS_MAX]; /* indexes into the graph's bindings, by binding id */
	size_t n_bind;
	int more_bindings;               /* more distinct bindings than bind[] holds */
};

struct tl_graph {
	struct tl_graph_node *nodes;
	size_t n_nodes, cap_nodes;
	struct tl_graph_edge *edges;
	size_t n_edges, cap_edges;
	struct tl_strlist notes; /* what the picture does not show (caps, hubs), in the order they arose */
	size_t *nslot, n_nslot;  /* hash of nodes by (type, value): index + 1, 0 empty */
	size_t *eslot, n_eslot;  /* hash of edges by (type, from, to) */
	char **paths;            /* evidence paths, each once: open addressing, NULL empty */
	size_t n_paths, cap_paths;
	struct tl_graph_binding *bindings; /* of attributed edges, each once (strings interned with the paths) */
	size_t n_bindings, cap_bindings;
	size_t *bslot, n_bslot;  /* hash of bindings by (id, via) */
};
#define TL_GRAPH_INIT { NULL, 0, 0, NULL, 0, 0, TL_STRLIST_INIT, NULL, 0, NULL, 0, NULL, 0, 0, NULL, 0, 0, NULL, 0 }

void tl_graph_release(struct tl_graph *g);

/* Find or add the node (TYPE, VALUE) into *IDX: 1 found, 0 added, -1 with ERR
 * (out of memory, TL_GRAPH_NODES_LIMIT). LABEL (may be NULL: the value) is
 * used when the node is added. */
int tl_graph_node(struct tl_graph *g, int type, const char *value, const char *label, size_t *idx,
		  struct tl_err *err);
/* 1 and *IDX when (TYPE, VALUE) is a node, else 0. */
int tl_graph_find(const struct tl_graph *g, int type, const char *value, size_t *idx);

/* One more piece of evidence for the edge TYPE FROM -> TO: seen from FIRST to
 * LAST (an event: both its time; a session: its start and end), BYTES
 * transferred (0 none), recorded at PATH:LINE (PATH may be NULL). 0, or -1
 * with ERR. A node is never linked to itself (0, nothing added). */
int tl_graph_link(struct tl_graph *g, int type, size_t from, size_t to, tl_us first, tl_us last, int64_t bytes,
		  const char *path, int64_t line, struct tl_err *err);

/* The graph's binding (ID, VIA), or NULL when no edge holds it yet: the
 * caller fills a binding's details once. */
const struct tl_graph_binding *tl_graph_binding_find(const struct tl_graph *g, int64_t id, const char *via);

/* The same for an attributed edge (struct tl_graph_edge.attributed): the
 * event at PATH:LINE is attributed to the user FROM by binding BIND (copied). */
int tl_graph_link_attributed(struct tl_graph *g, int type, size_t from, size_t to, tl_us first, tl_us last,
			     int64_t bytes, const char *path, int64_t line, const struct tl_graph_binding *bind,
			     struct tl_err *err);

/* Move edge I to end at TO instead (an address that stands for one domain):
 * its counts, times, bytes and evidence join the edge (type, from, TO), and
 * edge I is left with count 0, dropped by the next tl_graph_keep(). 0 or -1. */
int tl_graph_retarget(struct tl_graph *g, size_t i, size_t to, struct tl_err *err);

/* Append a note (printf-style); at most TL_GRAPH_NOTES_MAX are kept. */
void tl_graph_note(struct tl_graph *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Keep the nodes whose KEEP[i] is set and the edges between two of them;
 * indexes are renumbered. 0 or -1 (out of memory). */
int tl_graph_keep(struct tl_graph *g, const unsigned char *keep, struct tl_err *err);

/* The total order every output uses: nodes by (type, value), edges by (from,
 * to, type, attributed) on the new numbers; node weights and first/last
 * recomputed from the edges. Lookups by value no longer work afterwards. 0 or -1. */
int tl_graph_sort(struct tl_graph *g, struct tl_err *err);

#endif
