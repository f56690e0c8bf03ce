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
#include <stdlib.h>
#include <string.h>

#include "graph-internal.h"
#include "tl/grow.h"
#include "tl/banned.h"

/* Object ids in the order names are first read. cgraph's own discipline uses
 * the address of each interned name as its id, and keeps subgraphs in id
 * order: the clusters were laid out in an order that depended on the heap,
 * so the same dot text gave another picture in another build of tl. Ids
 * counted from the text make the picture a function of the text alone. */
#define SEQ_IDS_MAX 100000
static struct {
	char **names;
	size_t n, cap;
	IDTYPE anon;
	int full;
} seq_ids;

static void *ids_open(Agraph_t *g, Agdisc_t *d)
{
	(void)g;
	(void)d;
	return &seq_ids;
}

static long ids_map(void *state, int objtype, char *str, IDTYPE *id, int createflag)
{
	(void)state;
	(void)objtype;
	if (!str) {
		*id = seq_ids.anon++ * 2 + 1; /* odd: anonymous, as cgraph's own */
		return 1;
	}
	for (size_t i = 0; i < seq_ids.n; i++)
		if (!strcmp(seq_ids.names[i], str)) {
			*id = (IDTYPE)(i + 1) * 2;
			return 1;
		}
	if (!createflag)
		return 0;
	/* the capacity doubles while it stays within SEQ_IDS_MAX */
	int room = seq_ids.n < seq_ids.cap || seq_ids.cap * 2 <= SEQ_IDS_MAX;
	char **nn = room ? tl_grow(seq_ids.names, &seq_ids.cap, seq_ids.n + 1, sizeof(*nn), 256) : NULL;
	if (!nn) {
		seq_ids.full = 1;
		return 0;
	}
	seq_ids.names = nn;
	if (!(seq_ids.names[seq_ids.n] = strdup(str))) {
		seq_ids.full = 1;
		return 0;
	}
	*id = (IDTYPE)(++seq_ids.n) * 2;
	return 1;
}

static long ids_alloc(void *state, int objtype, IDTYPE id)
{
	(void)state;
	(void)objtype;
	(void)id;
	return 0; /* ids are only ever made from names here */
}

static void ids_free(void *state, int objtype, IDTYPE id)
{
	(void)state;
	(void)objtype;
	(void)id;
}

static char *ids_print(void *state, int objtype, IDTYPE id)
{
	(void)state;
	(void)objtype;
	if (id % 2 || id == 0 || id / 2 > seq_ids.n)
		return NULL;
	return seq_ids.names[id / 2 - 1];
}

static void ids_close(void *state)
{
	(void)state;
}

static void ids_register(void *state, int objtype, void *obj)
{
	(void)state;
	(void)objtype;
	(void)obj;
}

static void ids_release(void)
{
	for (size_t i = 0; i < seq_ids.n; i++)
		free(seq_ids.names[i]);
	free(seq_ids.names);
	memset(&seq_ids, 0, sizeof(seq_ids));
}

static Agiddisc_t seq_id_disc = { ids_open, ids_map, ids_alloc, ids_free, ids_print, ids_close, ids_register };

/* The dot text, read through cgraph's I/O discipline. */
struct text_chan {
	const char *p;
	size_t left;
};

static int text_read(void *chan, char *buf, int bufsize)
{
	struct text_chan *c = chan;
	if (bufsize <= 1 || !c->left)
		return 0;
	/* cgraph's reader wants whole lines (its own memiofread does the same) */
	size_t n = 0, max = (size_t)bufsize - 1;
	while (n < max && n < c->left) {
		buf[n] = c->p[n];
		if (c->p[n++] == '\n')
			break;
	}
	c->p += n;
	c->left -= n;
	return (int)n;
}

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
	Agiodisc_t io = AgIoDisc;
	io.afread = text_read;
	Agdisc_t disc = { &AgMemDisc, &seq_id_disc, &io };
	struct text_chan chan = { dot, strlen(dot) };
	if (!(G = agread(&chan, &disc))) {
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
	if (seq_ids.full && !rc)
		rc = tl_errf(err, "graphviz: too many names in the graph");
	ids_release();
	if (gvc)
		gvFreeContext(gvc);
	agseterr(prev_level);
	agseterrf(prev);
	return rc;
}
