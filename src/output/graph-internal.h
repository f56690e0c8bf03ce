/*
 * Shared by the graph writers of src/output only (graph-*.c): the text
 * helpers each language's escaping starts from, and the writers themselves
 * behind tl_graph_write() (include/tl/graph-output.h).
 */
#ifndef TL_GRAPH_INTERNAL_H
#define TL_GRAPH_INTERNAL_H

#include <stdio.h>

#include "tl/graph-output.h"

/* Call FN(CTX, c) for each character of S: a valid UTF-8 sequence whole (as
 * its first byte with LEN > 1), anything else as '?'. At most MAX bytes of
 * S are read (0: all); *CUT says whether S was longer. */
typedef int (*graph_char_fn)(void *ctx, const char *c, size_t len);
int graph_text(const char *s, size_t max, graph_char_fn fn, void *ctx, int *cut);

/* "2026-11-19T23:05:41.000000Z" */
void graph_iso(tl_us t, char buf[40]);

int graph_write_graphml(FILE *out, const struct tl_graph *g, struct tl_err *err);
int graph_write_json(FILE *out, const struct tl_graph *g, struct tl_err *err);
/* Draw the dot text DOT as FORMAT ("svg", "png") with libgvc. */
int graph_draw(FILE *out, const char *dot, const char *format, struct tl_err *err);

#endif
