/*
 * The entity graph in Cytoscape.js's JSON (include/tl/graph-output.h):
 * {"elements":{"nodes":[{"data":{...}}],"edges":[{"data":{...}}]}} — what
 * cy.add() and cy.json() take — one element per line, plus "notes" beside
 * "elements" (Cytoscape ignores keys it does not know).
 */
#define _POSIX_C_SOURCE 200809L
#include <string.h>

#include "graph-internal.h"
#include "tl/json.h"
#include "tl/banned.h"

int graph_write_json(FILE *out, const struct tl_graph *g, struct tl_err *err)
{
	struct tl_buf b = TL_BUF_INIT;
	b.max = (size_t)64 << 20; /* one element's line */
	char t[40];
	int rc = 0;
	fputs("{\"elements\":{\"nodes\":[", out);
	for (size_t i = 0; i < g->n_nodes && !rc; i++) {
		const struct tl_graph_node *n = &g->nodes[i];
		tl_buf_reset(&b);
		tl_buf_addf(&b, "%s\n{\"data\":{\"id\":\"n%zu\",\"type\":", i ? "," : "", i + 1);
		tl_json_put_str(&b, tl_graph_node_type_name(n->type));
		tl_buf_adds(&b, ",\"label\":");
		tl_json_put_str(&b, n->label);
		tl_buf_adds(&b, ",\"value\":");
		tl_json_put_str(&b, n->value);
		if (n->dist >= 0)
			tl_buf_addf(&b, ",\"depth\":%d", n->dist);
		tl_buf_addf(&b, ",\"expanded\":%s,\"count\":%lld", n->expanded ? "true" : "false", (long long)n->weight);
		if (n->weight) {
			graph_iso(n->first, t);
			tl_buf_addf(&b, ",\"first\":\"%s\"", t);
			graph_iso(n->last, t);
			tl_buf_addf(&b, ",\"last\":\"%s\"", t);
		}
		rc = tl_buf_adds(&b, "}}");
		if (!rc && fwrite(b.data, 1, b.len, out) != b.len)
			rc = -1;
	}
	fputs("],\n\"edges\":[", out);
	for (size_t i = 0; i < g->n_edges && !rc; i++) {
		const struct tl_graph_edge *e = &g->edges[i];
		const char *type = tl_graph_edge_type_name(e->type);
		tl_buf_reset(&b);
		tl_buf_addf(&b, "%s\n{\"data\":{\"id\":\"e%zu\",\"source\":\"n%zu\",\"target\":\"n%zu\",\"type\":\"%s\","
				"\"label\":\"%s\"",
			    i ? "," : "", i + 1, e->from + 1, e->to + 1, type, type);
		graph_iso(e->first, t);
		tl_buf_addf(&b, ",\"first\":\"%s\"", t);
		graph_iso(e->last, t);
		tl_buf_addf(&b, ",\"last\":\"%s\",\"count\":%lld,\"bytes\":%lld,\"evidence\":[", t, (long long)e->count,
			    (long long)e->bytes);
		for (size_t k = 0; k < e->n_ev; k++) {
			tl_buf_adds(&b, k ? ",{\"path\":" : "{\"path\":");
			tl_json_put_str(&b, e->ev[k].path);
			tl_buf_addf(&b, ",\"line\":%lld}", (long long)e->ev[k].line);
		}
		tl_buf_addf(&b, "],\"evidence_total\":%lld", (long long)e->count);
		if (e->attributed) {
			/* the bindings the attribution rests on (docs/correlation.md#attribution) */
			tl_buf_adds(&b, ",\"attributed\":true,\"bindings\":[");
			for (size_t k = 0; k < e->n_bind; k++) {
				const struct tl_graph_binding *bd = &g->bindings[e->bind[k]];
				tl_buf_addf(&b, "%s{\"id\":%lld,\"kind\":", k ? "," : "", (long long)bd->id);
				tl_json_put_str(&b, bd->kind);
				tl_buf_adds(&b, ",\"source\":");
				tl_json_put_str(&b, bd->source);
				tl_buf_adds(&b, ",\"subject\":");
				tl_json_put_str(&b, bd->subject);
				tl_buf_adds(&b, ",\"via\":");
				tl_json_put_str(&b, bd->via);
				if (bd->path) {
					tl_buf_adds(&b, ",\"path\":");
					tl_json_put_str(&b, bd->path);
					tl_buf_addf(&b, ",\"line\":%lld", (long long)bd->line);
				}
				tl_buf_addc(&b, '}');
			}
			tl_buf_addf(&b, "]%s", e->more_bindings ? ",\"bindings_more\":true" : "");
		}
		rc = tl_buf_adds(&b, "}}");
		if (!rc && fwrite(b.data, 1, b.len, out) != b.len)
			rc = -1;
	}
	fputs("]},\n\"notes\":[", out);
	for (size_t i = 0; i < g->notes.n && !rc; i++) {
		tl_buf_reset(&b);
		if (i)
			tl_buf_addc(&b, ',');
		rc = tl_json_put_str(&b, g->notes.v[i]);
		if (!rc && fwrite(b.data, 1, b.len, out) != b.len)
			rc = -1;
	}
	fputs("]}\n", out);
	tl_buf_release(&b);
	if (rc || ferror(out))
		return tl_errf(err, "cannot write the graph");
	return 0;
}
