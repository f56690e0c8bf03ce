/*
 * Pictures of the entity graph (include/tl/graph-output.h): the dot text of
 * graph-dot.c laid out by Graphviz's dot engine and rendered by its own
 * plugins (SVG by the core, PNG by cairo), through libgvc rather than a
 * `dot` process, so a picture needs no program on PATH.
 *
 * libcgraph reports problems by printing them unless it is handed a function:
 * agseterrf() routes every message into a buffer that ends up in the error,
 * so nothing of Graphviz reaches the terminal.
 */
#define _POSIX_C_SOURCE 200809L
#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>
#include <stdio.h>
#include <string.h>

#include "graph-internal.h"
#include "tl/banned.h"

/* Graphviz's messages of the running draw (one draw at a time: tl is one thread). */
static char gv_msgs[400];

static int gv_msg(char *msg)
{
	size_t n = strlen(gv_msgs);
	if (n < sizeof(gv_msgs) - 1)
		snprintf(gv_msgs + n, sizeof(gv_msgs) - n, "%s", msg);
	return 0;
}

/* The messages as one line: newlines folded, trailing space cut. */
static const char *gv_message(void)
{
	for (char *p = gv_msgs; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	size_t n = strlen(gv_msgs);
	while (n && gv_msgs[n - 1] == ' ')
		gv_msgs[--n] = 0;
	return *gv_msgs ? gv_msgs : "no message";
}

int graph_draw(FILE *out, const char *dot, const char *format, struct tl_err *err)
{
	gv_msgs[0] = 0;
	agusererrf prev = agseterrf(gv_msg);
	agerrlevel_t prev_level = agseterr(AGWARN);
	int rc = 0;
	GVC_t *gvc = gvContext();
	Agraph_t *G = NULL;
	char *data = NULL;
	unsigned int len = 0;
	if (!gvc) {
		rc = tl_errf(err, "graphviz: cannot start: %s", gv_message());
		goto cleanup;
	}
	if (!(G = agmemread(dot))) {
		rc = tl_errf(err, "graphviz: cannot read the graph: %s", gv_message());
		goto cleanup;
	}
	if (gvLayout(gvc, G, "dot") != 0) {
		rc = tl_errf(err, "graphviz: layout failed: %s", gv_message());
		goto cleanup;
	}
	if (gvRenderData(gvc, G, format, &data, &len) != 0 || !data) {
		rc = tl_errf(err, "graphviz: cannot render %s: %s", format, gv_message());
		gvFreeLayout(gvc, G);
		goto cleanup;
	}
	if (fwrite(data, 1, len, out) != len)
		rc = tl_errf(err, "cannot write the %s picture", format);
	gvFreeRenderData(data);
	gvFreeLayout(gvc, G);
cleanup:
	if (G)
		agclose(G);
	if (gvc)
		gvFreeContext(gvc);
	agseterr(prev_level);
	agseterrf(prev);
	return rc;
}
