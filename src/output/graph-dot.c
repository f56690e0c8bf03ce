/*
 * The entity graph as Graphviz dot text (include/tl/graph-output.h), the
 * picture's whole design: one cluster per entity type, a shape and colour
 * per type, labelled edges, a legend, and the graph's notes along the
 * bottom. SVG and PNG are this text drawn by libgvc (graph-draw.c), so what
 * `--output dot` prints is exactly what the pictures show.
 */
#define _POSIX_C_SOURCE 200809L
#include <string.h>

#include "graph-internal.h"
#include "tl/banned.h"

int tl_graph_format_parse(const char *name, enum tl_graph_format *f)
{
	static const char *const names[] = { "dot", "graphml", "json", "svg", "png" };
	for (int i = 0; i < 5; i++)
		if (!strcmp(name, names[i])) {
			*f = (enum tl_graph_format)i;
			return 0;
		}
	return -1;
}

int graph_text(const char *s, size_t max, graph_char_fn fn, void *ctx, int *cut)
{
	size_t len = strlen(s), i = 0;
	if (cut)
		*cut = max && len > max;
	if (max && len > max)
		len = max;
	while (i < len) {
		size_t k = tl_utf8_seq((const unsigned char *)s + i, len - i);
		if (k == 0) {
			if (fn(ctx, "?", 1))
				return -1;
			i++;
			continue;
		}
		if (fn(ctx, s + i, k))
			return -1;
		i += k;
	}
	return 0;
}

void graph_iso(tl_us t, char buf[40])
{
	tl_time_format_iso(t, buf, 40);
}

static const struct style {
	const char *shape, *fill;
} styles[TL_GN_TYPES] = {
	[TL_ENT_USER] = { "box", "#cfe2ff" },	     [TL_ENT_HOST] = { "box3d", "#e2e3e5" },
	[TL_ENT_IP] = { "ellipse", "#fff3cd" },	     [TL_ENT_DOMAIN] = { "hexagon", "#d1e7dd" },
	[TL_ENT_URL] = { "parallelogram", "#e0f7fa" }, [TL_ENT_FILE] = { "note", "#ffffff" },
	[TL_ENT_PROCESS] = { "component", "#ffe5d0" }, [TL_ENT_HASH] = { "octagon", "#f8f9fa" },
	[TL_ENT_EMAIL] = { "tab", "#e8daef" },	     [TL_ENT_RESOURCE] = { "cylinder", "#d6eaf8" },
	[TL_GN_POLICY] = { "invhouse", "#f8d7da" },
};

/* Inside a dot "string": quote and backslash escaped, control bytes and
 * broken UTF-8 as '?' (a newline would end the label's line). */
static int dot_char(void *ctx, const char *c, size_t len)
{
	struct tl_buf *b = ctx;
	if (len == 1 && (*c == '"' || *c == '\\'))
		return tl_buf_addc(b, '\\') || tl_buf_addc(b, *c);
	if (len == 1 && ((unsigned char)*c < 0x20 || *c == 0x7f))
		return tl_buf_addc(b, '?');
	return tl_buf_add(b, c, len);
}

static int dot_str(struct tl_buf *b, const char *s)
{
	return graph_text(s, 0, dot_char, b, NULL);
}

/* A long value keeps its end (the file name, the registrable domain). */
#define LABEL_MAX 40
static int dot_label(struct tl_buf *b, const char *s)
{
	size_t len = strlen(s);
	if (len <= LABEL_MAX)
		return dot_str(b, s);
	const char *p = s + len - (LABEL_MAX - 3);
	while (p > s && ((unsigned char)*p & 0xC0) == 0x80)
		p++;
	return tl_buf_adds(b, "...") || dot_str(b, p);
}

static void human_bytes(int64_t n, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int u = 0;
	while (v >= 1024 && u < 4)
		v /= 1024, u++;
	if (u == 0)
		snprintf(buf, len, "%lld B", (long long)n);
	else
		snprintf(buf, len, "%.1f %s", v, units[u]);
}

static const char *edge_color(int type)
{
	switch (type) {
	case TL_GE_uploaded_to:
	case TL_GE_flagged_by_dlp: return "#c0392b";
	case TL_GE_downloaded_from: return "#d35400";
	case TL_GE_assigned_ip:
	case TL_GE_logged_in_from:
	case TL_GE_logged_on_to: return "#1f5fa8";
	default: return "#555555";
	}
}

int tl_graph_dot(const struct tl_graph *g, struct tl_buf *b, struct tl_err *err)
{
	int present[TL_GN_TYPES] = { 0 };
	for (size_t i = 0; i < g->n_nodes; i++)
		present[g->nodes[i].type] = 1;
	tl_buf_adds(b, "digraph tl {\n"
		       "  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=11, nodesep=0.3, ranksep=1.2, "
		       "newrank=true, labelloc=b, labeljust=l");
	if (g->notes.n || !g->n_nodes) {
		tl_buf_adds(b, ", label=\"");
		if (!g->n_nodes)
			tl_buf_adds(b, "no entities found\\l");
		for (size_t i = 0; i < g->notes.n; i++) {
			tl_buf_adds(b, "note: ");
			dot_str(b, g->notes.v[i]);
			tl_buf_adds(b, "\\l");
		}
		tl_buf_adds(b, "\"");
	}
	tl_buf_adds(b, "];\n"
		       "  node [fontname=\"Helvetica\", fontsize=10, style=\"filled\", penwidth=1];\n"
		       "  edge [fontname=\"Helvetica\", fontsize=8, arrowsize=0.7];\n");
	for (int t = 0; t < TL_GN_TYPES; t++) {
		if (!present[t])
			continue;
		const char *name = tl_graph_node_type_name(t);
		tl_buf_addf(b, "  subgraph \"cluster_%s\" {\n    label=\"%s\"; style=\"dashed,rounded\"; color=\"#adb5bd\"; "
			       "fontcolor=\"#495057\";\n",
			    name, name);
		for (size_t i = 0; i < g->n_nodes; i++) {
			const struct tl_graph_node *n = &g->nodes[i];
			if (n->type != t)
				continue;
			tl_buf_addf(b, "    n%zu [label=\"", i + 1);
			dot_label(b, n->label);
			tl_buf_addf(b, "\", shape=%s, fillcolor=\"%s\", tooltip=\"%s: ", styles[t].shape, styles[t].fill,
				    name);
			dot_str(b, n->value);
			tl_buf_adds(b, "\"");
			if (n->dist == 0)
				tl_buf_adds(b, ", penwidth=2.5");
			tl_buf_adds(b, "];\n");
		}
		tl_buf_adds(b, "  }\n");
	}
	for (size_t i = 0; i < g->n_edges; i++) {
		const struct tl_graph_edge *e = &g->edges[i];
		char first[40], last[40], bytes[32] = "";
		graph_iso(e->first, first);
		graph_iso(e->last, last);
		if (e->bytes > 0) {
			char h[24];
			human_bytes(e->bytes, h, sizeof(h));
			snprintf(bytes, sizeof(bytes), ", %s", h);
		}
		/* an attributed edge is dotted (DLP findings are dashed): the user is
		 * not in its events, a binding says they were hers */
		tl_buf_addf(b, "  n%zu -> n%zu [label=\"%s%s (%lld%s)\", color=\"%s\", fontcolor=\"%s\"%s, tooltip=\"%s .. %s",
			    e->from + 1, e->to + 1, tl_graph_edge_type_name(e->type), e->attributed ? ", attributed" : "",
			    (long long)e->count, bytes, edge_color(e->type), edge_color(e->type),
			    e->attributed			      ? ", style=dotted, penwidth=1.6"
			    : e->type == TL_GE_flagged_by_dlp ? ", style=dashed"
							      : "",
			    first, last);
		for (size_t k = 0; k < e->n_ev; k++) {
			tl_buf_adds(b, k ? ", " : "; ");
			dot_str(b, e->ev[k].path);
			tl_buf_addf(b, ":%lld", (long long)e->ev[k].line);
		}
		if ((int64_t)e->n_ev < e->count)
			tl_buf_addf(b, " (%zu of %lld)", e->n_ev, (long long)e->count);
		for (size_t k = 0; k < e->n_bind; k++) {
			const struct tl_graph_binding *bd = &g->bindings[e->bind[k]];
			tl_buf_addf(b, "%s binding %lld (", k ? ";" : "; attributed by", (long long)bd->id);
			dot_str(b, bd->source);
			tl_buf_adds(b, " ");
			dot_str(b, bd->kind);
			tl_buf_adds(b, " ");
			dot_str(b, bd->subject);
			tl_buf_adds(b, " via ");
			dot_str(b, bd->via);
			if (bd->path) {
				tl_buf_adds(b, ", ");
				dot_str(b, bd->path);
				tl_buf_addf(b, ":%lld", (long long)bd->line);
			}
			tl_buf_adds(b, ")");
		}
		if (e->more_bindings)
			tl_buf_adds(b, "; ...");
		tl_buf_adds(b, "\"];\n");
	}
	/* the legend: one sample of each type present, stacked in one rank (a column left to right) */
	if (g->n_nodes) {
		tl_buf_adds(b, "  subgraph \"cluster_legend\" {\n    label=\"legend\"; style=\"rounded\"; color=\"#6c757d\"; "
			       "fontcolor=\"#212529\"; rank=same;\n");
		for (int t = 0; t < TL_GN_TYPES; t++) {
			if (!present[t])
				continue;
			const char *name = tl_graph_node_type_name(t);
			tl_buf_addf(b, "    \"legend_%s\" [label=\"%s\", shape=%s, fillcolor=\"%s\", fontsize=9];\n", name, name,
				    styles[t].shape, styles[t].fill);
		}
		tl_buf_adds(b, "  }\n");
	}
	tl_buf_adds(b, "}\n");
	/* an append that failed (memory) left the text without its end */
	if (!b->data || b->len < 2 || memcmp(b->data + b->len - 2, "}\n", 2))
		return tl_errf(err, "out of memory writing the graph");
	return 0;
}

int tl_graph_write(FILE *out, const struct tl_graph *g, enum tl_graph_format f, struct tl_err *err)
{
	if (f == TL_GRAPH_GRAPHML)
		return graph_write_graphml(out, g, err);
	if (f == TL_GRAPH_JSON)
		return graph_write_json(out, g, err);
	struct tl_buf b = TL_BUF_INIT;
	b.max = (size_t)1 << 30;
	int rc = tl_graph_dot(g, &b, err);
	if (rc == 0 && f == TL_GRAPH_DOT) {
		if (fwrite(b.data, 1, b.len, out) != b.len)
			rc = tl_errf(err, "cannot write the graph");
	} else if (rc == 0) {
		rc = graph_draw(out, b.data, f == TL_GRAPH_SVG ? "svg" : "png", err);
	}
	tl_buf_release(&b);
	return rc;
}
