/*
 * The entity graph as GraphML (include/tl/graph-output.h): the XML Gephi and
 * yEd open, with a key per attribute (type, label, value, depth, first, last,
 * count, bytes, evidence) so either tool can size, colour and filter by them.
 * XML 1.0 cannot carry most control characters at all, so they become '?'.
 */
#define _POSIX_C_SOURCE 200809L
#include <string.h>

#include "graph-internal.h"
#include "tl/banned.h"

static int xml_char(void *ctx, const char *c, size_t len)
{
	FILE *out = ctx;
	if (len > 1)
		/* U+FFFE and U+FFFF are not XML characters either */
		return (len == 3 && (unsigned char)c[0] == 0xEF && (unsigned char)c[1] == 0xBF &&
			((unsigned char)c[2] == 0xBE || (unsigned char)c[2] == 0xBF))
			       ? (fputc('?', out) == EOF ? -1 : 0)
			       : (fwrite(c, 1, len, out) == len ? 0 : -1);
	const char *rep = NULL;
	switch (*c) {
	case '&': rep = "&amp;"; break;
	case '<': rep = "&lt;"; break;
	case '>': rep = "&gt;"; break;
	case '"': rep = "&quot;"; break;
	case '\'': rep = "&apos;"; break;
	default:
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			rep = "?";
	}
	if (rep)
		return fputs(rep, out) == EOF ? -1 : 0;
	return fputc(*c, out) == EOF ? -1 : 0;
}

static void xml(FILE *out, const char *s)
{
	graph_text(s, 0, xml_char, out, NULL);
}

static void data_str(FILE *out, const char *key, const char *s)
{
	fprintf(out, "<data key=\"%s\">", key);
	xml(out, s);
	fputs("</data>", out);
}

static const char *const keys[][4] = {
	/* id, for, attr.name, attr.type */
	{ "type", "node", "type", "string" },	       { "label", "node", "label", "string" },
	{ "value", "node", "value", "string" },	       { "depth", "node", "depth", "int" },
	{ "weight", "node", "count", "long" },	       { "first", "node", "first", "string" },
	{ "last", "node", "last", "string" },	       { "etype", "edge", "type", "string" },
	{ "elabel", "edge", "label", "string" },       { "efirst", "edge", "first", "string" },
	{ "elast", "edge", "last", "string" },	       { "count", "edge", "count", "long" },
	{ "bytes", "edge", "bytes", "long" },	       { "evidence", "edge", "evidence", "string" },
	{ "evidence_total", "edge", "evidence_total", "long" },
	{ "attributed", "edge", "attributed", "boolean" },   { "bindings", "edge", "bindings", "string" },
};

int graph_write_graphml(FILE *out, const struct tl_graph *g, struct tl_err *err)
{
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	      "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\" "
	      "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
	      "xsi:schemaLocation=\"http://graphml.graphdrawing.org/xmlns "
	      "http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd\">\n",
	      out);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		fprintf(out, "  <key id=\"%s\" for=\"%s\" attr.name=\"%s\" attr.type=\"%s\"/>\n", keys[i][0], keys[i][1],
			keys[i][2], keys[i][3]);
	fputs("  <graph id=\"tl\" edgedefault=\"directed\">\n", out);
	/* GraphML allows one desc: the notes joined */
	for (size_t i = 0; i < g->notes.n; i++) {
		fputs(i ? "; " : "    <desc>", out);
		xml(out, g->notes.v[i]);
	}
	if (g->notes.n)
		fputs("</desc>\n", out);
	char t[40];
	for (size_t i = 0; i < g->n_nodes; i++) {
		const struct tl_graph_node *n = &g->nodes[i];
		fprintf(out, "    <node id=\"n%zu\">", i + 1);
		data_str(out, "type", tl_graph_node_type_name(n->type));
		data_str(out, "label", n->label);
		data_str(out, "value", n->value);
		if (n->dist >= 0)
			fprintf(out, "<data key=\"depth\">%d</data>", n->dist);
		fprintf(out, "<data key=\"weight\">%lld</data>", (long long)n->weight);
		if (n->weight) {
			graph_iso(n->first, t);
			data_str(out, "first", t);
			graph_iso(n->last, t);
			data_str(out, "last", t);
		}
		fputs("</node>\n", out);
	}
	for (size_t i = 0; i < g->n_edges; i++) {
		const struct tl_graph_edge *e = &g->edges[i];
		fprintf(out, "    <edge id=\"e%zu\" source=\"n%zu\" target=\"n%zu\">", i + 1, e->from + 1, e->to + 1);
		data_str(out, "etype", tl_graph_edge_type_name(e->type));
		data_str(out, "elabel", tl_graph_edge_type_name(e->type));
		graph_iso(e->first, t);
		data_str(out, "efirst", t);
		graph_iso(e->last, t);
		data_str(out, "elast", t);
		fprintf(out, "<data key=\"count\">%lld</data><data key=\"bytes\">%lld</data><data key=\"evidence\">",
			(long long)e->count, (long long)e->bytes);
		for (size_t k = 0; k < e->n_ev; k++) {
			if (k)
				fputs("; ", out);
			xml(out, e->ev[k].path);
			fprintf(out, ":%lld", (long long)e->ev[k].line);
		}
		fprintf(out, "</data><data key=\"evidence_total\">%lld</data>", (long long)e->count);
		if (e->attributed) {
			fputs("<data key=\"attributed\">true</data><data key=\"bindings\">", out);
			for (size_t k = 0; k < e->n_bind; k++) {
				const struct tl_graph_binding *bd = &g->bindings[e->bind[k]];
				fprintf(out, "%s%lld ", k ? "; " : "", (long long)bd->id);
				xml(out, bd->source);
				fputc(' ', out);
				xml(out, bd->kind);
				fputc(' ', out);
				xml(out, bd->subject);
				fputs(" via ", out);
				xml(out, bd->via);
				if (bd->path) {
					fputs(" ", out);
					xml(out, bd->path);
					fprintf(out, ":%lld", (long long)bd->line);
				}
			}
			fputs(e->more_bindings ? "; ...</data>" : "</data>", out);
		}
		fputs("</edge>\n", out);
	}
	fputs("  </graph>\n</graphml>\n", out);
	if (ferror(out))
		return tl_errf(err, "cannot write the graph");
	return 0;
}
