/*
 * Building the entity graph of a case (docs/commands/graph.md, docs/correlation.md#graph):
 * which relationships each event gives, and which part of the case a graph
 * shows. Reads through the store's graph lookups (tl/store.h), which go
 * through an index for every pivot: the neighbourhood of a few entities
 * costs what their own events cost, not what the case holds.
 *
 * Ownership: the caller owns the graph (tl/graph.h) it passes in, empty.
 */
#ifndef TL_GRAPH_BUILD_H
#define TL_GRAPH_BUILD_H

#include <stddef.h>

#include "tl/entity.h"
#include "tl/graph.h"
#include "tl/store.h"

#define TL_GRAPH_DEFAULT_NODES 200 /* nodes shown unless asked otherwise */
#define TL_GRAPH_DEPTH_MAX 6
/* A node with more events than this (in one column, in the time range) is a
 * hub — a DNS server, a proxy, a NAT address — and is shown but not expanded;
 * a pivot may have TL_GRAPH_PIVOT_EVENTS. */
#define TL_GRAPH_HUB_EVENTS 5000
#define TL_GRAPH_PIVOT_EVENTS 50000
/* Events a walk reads beyond its pivots' own: a node whose events would pass
 * it is shown, not expanded (with a note), so a walk costs about the same on
 * any case (docs/commands/graph.md#cost). */
#define TL_GRAPH_WALK_EVENTS 60000
/* Events a walk reads, whatever the case holds (the whole case reads each
 * event once, bounded by the nodes and edges a graph holds instead). */
#define TL_GRAPH_EVENTS_MAX 5000000

struct tl_graph_seed {
	enum tl_entity_type type;
	const char *value; /* as the analyst wrote it */
};

struct tl_graph_opts {
	const struct tl_graph_seed *seeds; /* none: the whole case */
	size_t n_seeds;
	int depth;                         /* hops from the seeds (0..TL_GRAPH_DEPTH_MAX) */
	int has_from, has_to;
	tl_us from, to;                    /* events in [from, to) */
	size_t max_nodes;                  /* 0: TL_GRAPH_DEFAULT_NODES */
};

/* Check a pivot before any work: 0 and its canonical text in *CANON (the
 * caller frees), or -1 with ERR naming VALUE (an empty value, an address that
 * is not one, an entity of a type the graph cannot start from). */
int tl_graph_seed_check(enum tl_entity_type type, const char *value, char **canon, struct tl_err *err);

/* Fill G (empty) with the graph O asks for, sorted (tl_graph_sort); what it
 * leaves out is said in G's notes. 0, or -1 with ERR. */
int tl_graph_build(struct tl_store *s, const struct tl_graph_opts *o, struct tl_graph *g, struct tl_err *err);

#endif
