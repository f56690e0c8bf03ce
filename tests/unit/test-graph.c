/* Unit tests: the entity graph model (src/event/graph.c) and its text writers
 * (src/output/graph-*.c): aggregation that does not depend on the order
 * events arrive in, bounded evidence, renumbering, and hostile text (quotes,
 * backslashes, markup, control bytes, broken UTF-8) escaped for each language. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <unistd.h>

#include "../../src/output/graph-internal.h"
#include "tl/graph-output.h"
#include "tl/graph.h"

static size_t node(struct tl_graph *g, int type, const char *value)
{
	size_t i;
	struct tl_err err;
	assert_true(tl_graph_node(g, type, value, NULL, &i, &err) >= 0);
	return i;
}

static void link_at(struct tl_graph *g, size_t a, size_t b, tl_us ts, const char *path, int64_t line)
{
	struct tl_err err;
	assert_int_equal(tl_graph_link(g, TL_GE_connected_to, a, b, ts, ts, 10, path, line, &err), 0);
}

/* The same events in two orders give the same edge: first, last, count,
 * bytes, and the first TL_GRAPH_EVIDENCE_MAX locations by path and line. */
static void test_order_independent(void **state)
{
	(void)state;
	struct tl_graph g1 = TL_GRAPH_INIT, g2 = TL_GRAPH_INIT;
	static const int64_t lines[] = { 9, 3, 7, 1, 12, 5, 3, 2 };
	size_t n = sizeof(lines) / sizeof(lines[0]);
	size_t a1 = node(&g1, TL_ENT_IP, "10.0.0.1"), b1 = node(&g1, TL_ENT_IP, "10.0.0.2");
	size_t a2 = node(&g2, TL_ENT_IP, "10.0.0.1"), b2 = node(&g2, TL_ENT_IP, "10.0.0.2");
	for (size_t i = 0; i < n; i++) {
		link_at(&g1, a1, b1, (tl_us)lines[i] * 1000, "evidence/b.log", lines[i]);
		link_at(&g2, a2, b2, (tl_us)lines[n - 1 - i] * 1000, "evidence/b.log", lines[n - 1 - i]);
	}
	link_at(&g1, a1, b1, 50, "evidence/a.log", 40);
	link_at(&g2, a2, b2, 50, "evidence/a.log", 40);
	assert_int_equal(g1.n_edges, 1);
	const struct tl_graph_edge *e1 = &g1.edges[0], *e2 = &g2.edges[0];
	assert_int_equal(e1->count, 9);
	assert_int_equal(e1->bytes, 90);
	assert_int_equal(e1->first, 50);
	assert_int_equal(e1->last, 12000);
	assert_int_equal(e1->n_ev, TL_GRAPH_EVIDENCE_MAX);
	assert_string_equal(e1->ev[0].path, "evidence/a.log");
	/* line 3 twice is one location */
	static const int64_t want[] = { 40, 1, 2, 3, 5 };
	for (size_t k = 0; k < TL_GRAPH_EVIDENCE_MAX; k++) {
		assert_int_equal(e1->ev[k].line, want[k]);
		assert_int_equal(e2->ev[k].line, want[k]);
		assert_string_equal(e1->ev[k].path, e2->ev[k].path);
	}
	assert_int_equal(e2->count, e1->count);
	assert_int_equal(e2->first, e1->first);
	assert_int_equal(e2->last, e1->last);
	tl_graph_release(&g1);
	tl_graph_release(&g2);
}

static void test_self_link_and_types(void **state)
{
	(void)state;
	struct tl_graph g = TL_GRAPH_INIT;
	struct tl_err err;
	size_t a = node(&g, TL_ENT_PROCESS, "{g1}");
	assert_int_equal(tl_graph_link(&g, TL_GE_parent_of, a, a, 1, 1, 0, "p", 1, &err), 0);
	assert_int_equal(g.n_edges, 0); /* a process that names itself its parent is not an edge */
	size_t b = node(&g, TL_ENT_PROCESS, "{g2}");
	assert_int_equal(tl_graph_link(&g, TL_GE_parent_of, a, b, 1, 1, 0, "p", 1, &err), 0);
	assert_int_equal(tl_graph_link(&g, TL_GE_parent_of, b, a, 2, 2, 0, "p", 2, &err), 0);
	assert_int_equal(g.n_edges, 2); /* a cycle is two edges, each once */
	assert_int_equal(node(&g, TL_ENT_PROCESS, "{g1}"), a);
	assert_int_not_equal(node(&g, TL_ENT_USER, "{g1}"), a); /* type is part of the identity */
	assert_string_equal(tl_graph_edge_type_name(TL_GE_accessed_resource), "accessed_resource");
	assert_string_equal(tl_graph_node_type_name(TL_GN_POLICY), "policy");
	tl_graph_release(&g);
}

/* Sorting renumbers nodes by (type, value) and keeps every edge on its ends. */
static void test_keep_and_sort(void **state)
{
	(void)state;
	struct tl_graph g = TL_GRAPH_INIT;
	struct tl_err err;
	size_t z = node(&g, TL_ENT_DOMAIN, "z.example"), u = node(&g, TL_ENT_USER, "mchen"),
	       a = node(&g, TL_ENT_DOMAIN, "a.example"), x = node(&g, TL_ENT_IP, "10.0.0.9");
	link_at(&g, u, z, 1, "p", 1);
	link_at(&g, u, a, 2, "p", 2);
	link_at(&g, x, a, 3, "p", 3);
	unsigned char keep[4] = { 1, 1, 1, 0 };
	(void)z;
	assert_int_equal(tl_graph_keep(&g, keep, &err), 0);
	assert_int_equal(g.n_nodes, 3);
	assert_int_equal(g.n_edges, 2);
	assert_int_equal(tl_graph_sort(&g, &err), 0);
	assert_string_equal(g.nodes[0].value, "mchen");
	assert_string_equal(g.nodes[1].value, "a.example");
	assert_string_equal(g.nodes[2].value, "z.example");
	assert_int_equal(g.edges[0].from, 0);
	assert_int_equal(g.edges[0].to, 1);
	assert_int_equal(g.edges[1].to, 2);
	assert_int_equal(g.nodes[0].weight, 2);
	tl_graph_release(&g);
}

/* Not inlined: gcc 12 at -O2 sees &text escape into open_memstream(), assumes
 * TEXT may then point at itself, and calls every later use of the buffer a
 * dangling pointer to the local (-Wdangling-pointer). It is the heap buffer
 * open_memstream() allocated, valid until freed. */
__attribute__((noinline)) static char *render(const struct tl_graph *g, enum tl_graph_format f)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);
	struct tl_err err;
	assert_non_null(fp);
	assert_int_equal(tl_graph_write(fp, g, f, &err), 0);
	fclose(fp);
	return text;
}

/* An attributed edge is its own edge beside the direct one of the same type;
 * it keeps the lowest binding ids (each once), moves with them when retargeted,
 * sorts after the direct one, and says what it rests on in every output. */
static void test_attributed(void **state)
{
	(void)state;
	struct tl_graph g = TL_GRAPH_INIT;
	struct tl_err err;
	size_t u = node(&g, TL_ENT_USER, "alice"), ip = node(&g, TL_ENT_IP, "198.51.100.210"),
	       d = node(&g, TL_ENT_DOMAIN, "transfer.sh");
	struct tl_graph_binding b[5];
	for (int i = 0; i < 5; i++)
		b[i] = (struct tl_graph_binding){ .id = 9 - i, .kind = "ip-user", .source = "vpn", .subject = "10.50.0.22",
						  .via = "src_ip", .path = i ? "evidence/vpn/asa.log" : NULL, .line = 11 };
	assert_int_equal(tl_graph_link(&g, TL_GE_uploaded_to, u, d, 5, 5, 100, "p", 1, &err), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(tl_graph_link_attributed(&g, TL_GE_uploaded_to, u, ip, 10 + i, 10 + i, 1000, "q", i, &b[i], &err), 0);
	/* the same binding again: one entry */
	assert_int_equal(tl_graph_link_attributed(&g, TL_GE_uploaded_to, u, ip, 20, 20, 0, "q", 9, &b[4], &err), 0);
	assert_int_equal(g.n_edges, 2);
	assert_int_equal(g.n_bindings, 5);
	const struct tl_graph_edge *e = &g.edges[1];
	assert_int_equal(e->attributed, 1);
	assert_int_equal(e->count, 6);
	assert_int_equal(e->n_bind, TL_GRAPH_BINDINGS_MAX);
	assert_int_equal(e->more_bindings, 1);
	assert_int_equal(g.bindings[e->bind[0]].id, 5);
	assert_int_equal(g.bindings[e->bind[2]].id, 7);
	/* moved to the domain: it joins no direct edge, and keeps its bindings */
	assert_int_equal(tl_graph_retarget(&g, 1, d, &err), 0);
	assert_int_equal(tl_graph_sort(&g, &err), 0);
	size_t n = 0;
	for (size_t i = 0; i < g.n_edges; i++)
		n += g.edges[i].count > 0;
	assert_int_equal(n, 2);
	assert_int_equal(g.edges[0].attributed, 0);
	assert_int_equal(g.edges[0].count, 1);
	assert_int_equal(g.edges[1].attributed, 1);
	assert_int_equal(g.edges[1].count, 6);
	assert_int_equal(g.edges[1].bytes, 5000);
	assert_int_equal(g.bindings[g.edges[1].bind[0]].id, 5);
	char *dot = render(&g, TL_GRAPH_DOT), *json = render(&g, TL_GRAPH_JSON), *xml = render(&g, TL_GRAPH_GRAPHML);
	assert_non_null(strstr(dot, "label=\"uploaded_to, attributed (6, 4.9 KiB)\""));
	assert_non_null(strstr(dot, "style=dotted"));
	assert_non_null(strstr(dot, "; attributed by binding 5 (vpn ip-user 10.50.0.22 via src_ip, evidence/vpn/asa.log:11); "
				    "binding 6 (vpn ip-user 10.50.0.22 via src_ip, evidence/vpn/asa.log:11); binding 7 (vpn "
				    "ip-user 10.50.0.22 via src_ip, evidence/vpn/asa.log:11); ...\""));
	assert_non_null(strstr(json, "\"attributed\":true,\"bindings\":[{\"id\":5,\"kind\":\"ip-user\",\"source\":\"vpn\","
				     "\"subject\":\"10.50.0.22\",\"via\":\"src_ip\",\"path\":\"evidence/vpn/asa.log\",\"line\":11}"));
	assert_non_null(strstr(json, "\"bindings_more\":true"));
	assert_non_null(strstr(xml, "<data key=\"attributed\">true</data>"));
	/* the direct edge (e1) says nothing of attribution */
	const char *e1 = strstr(json, "\"id\":\"e1\""), *e2 = strstr(json, "\"id\":\"e2\"");
	assert_non_null(e1);
	assert_non_null(e2);
	assert_true(strstr(e1, "\"attributed\"") > e2);
	free(dot);
	free(json);
	free(xml);
	tl_graph_release(&g);
}

/* What an attacker controls — a user name, a file path — stays inside its
 * string in dot, XML and JSON. */
static void test_hostile_text(void **state)
{
	(void)state;
	struct tl_graph g = TL_GRAPH_INIT;
	struct tl_err err;
	size_t u = node(&g, TL_ENT_USER, "a\"b\\c<d>&e\nf\x01g\xff");
	size_t f = node(&g, TL_ENT_FILE, "C:\\x\"];\n  evil -> pwn [label=\"");
	link_at(&g, u, f, 1, "evidence/x\".log", 1);
	tl_graph_note(&g, "note with \"quotes\" & <tags>");
	assert_int_equal(tl_graph_sort(&g, &err), 0);
	char *dot = render(&g, TL_GRAPH_DOT);
	assert_non_null(strstr(dot, "label=\"a\\\"b\\\\c<d>&e?f?g?\""));
	assert_null(strstr(dot, "\n  evil")); /* the newline did not end the string: no statement of its own */
	assert_non_null(strstr(dot, "C:\\\\x\\\"];?  evil"));
	char *xml = render(&g, TL_GRAPH_GRAPHML);
	assert_non_null(strstr(xml, "a&quot;b\\c&lt;d&gt;&amp;e?f?g?"));
	assert_non_null(strstr(xml, "<desc>note with &quot;quotes&quot; &amp; &lt;tags&gt;</desc>"));
	char *json = render(&g, TL_GRAPH_JSON);
	assert_non_null(strstr(json, "\"value\":\"a\\\"b\\\\c<d>&e\\nf\\u0001g"));
	assert_non_null(strstr(json, "\"notes\":[\"note with \\\"quotes\\\" & <tags>\"]"));
	free(dot);
	free(xml);
	free(json);
	tl_graph_release(&g);
}

static void test_formats(void **state)
{
	(void)state;
	enum tl_graph_format f;
	assert_int_equal(tl_graph_format_parse("graphml", &f), 0);
	assert_int_equal(f, TL_GRAPH_GRAPHML);
	assert_int_equal(tl_graph_format_parse("png", &f), 0);
	assert_int_equal(f, TL_GRAPH_PNG);
	assert_int_equal(tl_graph_format_parse("gif", &f), -1);
	/* an empty graph is still a graph in every language */
	struct tl_graph g = TL_GRAPH_INIT;
	char *dot = render(&g, TL_GRAPH_DOT);
	assert_non_null(strstr(dot, "no entities found"));
	char *json = render(&g, TL_GRAPH_JSON);
	assert_string_equal(json, "{\"elements\":{\"nodes\":[],\n\"edges\":[]},\n\"notes\":[]}\n");
	free(dot);
	free(json);
}

/* Graphviz's complaints end up in the error, not on the terminal. */
static void test_graphviz_quiet(void **state)
{
	(void)state;
	char errpath[] = "/tmp/tl-test-graph-XXXXXX";
	int tmp = mkstemp(errpath);
	assert_true(tmp >= 0);
	fflush(stderr);
	int saved = dup(2);
	dup2(tmp, 2);
	FILE *out = tmpfile();
	struct tl_err err = { "" };
	int rc = graph_draw(out, "digraph tl { a -> ", "svg", &err);
	int rc2 = graph_draw(out, "digraph tl { a -> b [color=\"nosuchcolour\"]; }", "svg", &err);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	fclose(out);
	off_t printed = lseek(tmp, 0, SEEK_END);
	close(tmp);
	unlink(errpath);
	assert_int_equal(rc, -1);
	assert_int_equal(rc2, 0); /* a warning is not a failure */
	assert_int_equal(printed, 0);
	struct tl_err e2;
	FILE *o2 = tmpfile();
	assert_int_equal(graph_draw(o2, "digraph tl { a -> ", "svg", &e2), -1);
	fclose(o2);
	assert_non_null(strstr(e2.msg, "graphviz: cannot read the graph"));
	assert_non_null(strstr(e2.msg, "syntax error"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_independent), cmocka_unit_test(test_self_link_and_types),
		cmocka_unit_test(test_keep_and_sort),	   cmocka_unit_test(test_hostile_text),
		cmocka_unit_test(test_attributed),
		cmocka_unit_test(test_formats),	   cmocka_unit_test(test_graphviz_quiet),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Graphviz keeps memory to the end of the process (see src/cli/cmd-graph.c). */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libgvc.so\nleak:libcgraph.so\nleak:libgvplugin_\nleak:libfontconfig.so\nleak:libpango\n"
	       "leak:libcairo.so\nleak:libglib-2.0.so\nleak:libgobject-2.0.so\n";
}
