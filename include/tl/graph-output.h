/*
 * The entity graph written out (docs/commands/graph.md): Graphviz dot text,
 * GraphML (Gephi, yEd), Cytoscape.js JSON, and SVG or PNG drawn through
 * Graphviz's own library (libgvc) from the same dot text. Every writer takes
 * a sorted graph (tl_graph_sort) and writes it in that order, with no time
 * of writing, so the bytes depend on the graph alone.
 *
 * Text from the evidence (names, paths, rules) is escaped for each language
 * and cut short in pictures; bytes that are not UTF-8 become '?'. Graphviz's
 * own complaints are routed into ERR, never printed.
 */
#ifndef TL_GRAPH_OUTPUT_H
#define TL_GRAPH_OUTPUT_H

#include <stdio.h>

#include "tl/graph.h"
#include "tl/util.h"

enum tl_graph_format { TL_GRAPH_DOT, TL_GRAPH_GRAPHML, TL_GRAPH_JSON, TL_GRAPH_SVG, TL_GRAPH_PNG };

/* "dot", "graphml", "json", "svg", "png" -> *F: 0, or -1 for another name. */
int tl_graph_format_parse(const char *name, enum tl_graph_format *f);

/* The dot text of G (what svg and png draw) appended to OUT: 0 or -1. */
int tl_graph_dot(const struct tl_graph *g, struct tl_buf *out, struct tl_err *err);

/* G in format F to OUT: 0, or -1 with ERR (a write error, Graphviz's message). */
int tl_graph_write(FILE *out, const struct tl_graph *g, enum tl_graph_format f, struct tl_err *err);

#endif
