/* tl graph CASE: the entity graph of a case or of the neighbourhood of some entities. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "common.h"
#include "tl/case.h"
#include "tl/graph-build.h"
#include "tl/graph-output.h"
#include "tl/store.h"

static const char usage[] =
	"usage: tl graph [options] CASE\n\n"
	"Draws entities (users, hosts, addresses, domains, files, processes, cloud\n"
	"resources, DLP policies) as nodes and what the events say about them as\n"
	"typed edges (logged_in_from, assigned_ip, resolved_to, connected_to,\n"
	"uploaded_to, created_file, parent_of, flagged_by_dlp, ...), each with first\n"
	"and last time, count, bytes and its evidence (file:line). See\n"
	"docs/commands/graph.md and docs/correlation.md#graph.\n\n"
	"  --entity TYPE:VALUE    start from this entity (repeatable); TYPE is user,\n"
	"                         host, ip, domain, file, process (a GUID), email or\n"
	"                         resource. Without: the whole case\n"
	"  --depth N              hops from the entities (0-6, default 1)\n"
	"  --max-nodes N          nodes shown (default 200; the nearest, then the busiest)\n"
	"  --from TIME            events at or after TIME (ISO 8601; no offset means UTC)\n"
	"  --to TIME              events before TIME\n"
	"  --output FORMAT        dot (default), graphml, json (Cytoscape.js), svg or png\n"
	"  -o, --out NAME         write to CASE/out/NAME (recorded in the custody log\n"
	"                         and covered by tl manifest) instead of stdout\n"
	"  -h, --help             this help\n\n"
	"What the graph leaves out (a node cap, hubs not expanded) is said on stderr\n"
	"and in the output itself.\n";

enum { O_ENTITY = 256, O_DEPTH, O_FROM, O_TO, O_OUTPUT, O_MAX };

static const struct option longopts[] = {
	{ "entity", required_argument, NULL, O_ENTITY }, { "depth", required_argument, NULL, O_DEPTH },
	{ "from", required_argument, NULL, O_FROM },	 { "to", required_argument, NULL, O_TO },
	{ "output", required_argument, NULL, O_OUTPUT }, { "max-nodes", required_argument, NULL, O_MAX },
	{ "out", required_argument, NULL, 'o' },	 { "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

#define SEEDS_MAX 32

static int number(const char *s, long lo, long hi, long *out)
{
	char *end;
	long n = strtol(s, &end, 10);
	if (end == s || *end || n < lo || n > hi)
		return -1;
	*out = n;
	return 0;
}

int cmd_graph(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return TL_EXIT_OK;
	}
	struct tl_graph_seed seeds[SEEDS_MAX];
	struct tl_graph_opts o = { .seeds = seeds, .depth = 1 };
	enum tl_graph_format fmt = TL_GRAPH_DOT;
	const char *out_name = NULL;
	char *owned[SEEDS_MAX];
	size_t n_owned = 0;
	int rc = TL_EXIT_OK, c;
	long n;
	optind = 0;
	opterr = 0;
	while (rc == TL_EXIT_OK && (c = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
		switch (c) {
		case O_ENTITY: {
			const char *colon = strchr(optarg, ':');
			if (!colon || colon == optarg) {
				rc = cli_usage_error(usage, "--entity wants TYPE:VALUE, got '%s'", optarg);
				break;
			}
			if (o.n_seeds >= SEEDS_MAX) {
				rc = cli_usage_error(usage, "--entity: at most %d", SEEDS_MAX);
				break;
			}
			char *type = strndup(optarg, (size_t)(colon - optarg));
			if (!type) {
				rc = cli_error("out of memory");
				break;
			}
			owned[n_owned++] = type;
			enum tl_entity_type t;
			if (tl_entity_type_parse(type, &t)) {
				rc = cli_usage_error(usage, "--entity '%s': unknown type '%s' (user host ip domain file process "
							    "email resource)",
						     optarg, type);
				break;
			}
			char *canon;
			struct tl_err err;
			if (tl_graph_seed_check(t, colon + 1, &canon, &err)) {
				rc = cli_usage_error(usage, "%s", err.msg);
				break;
			}
			free(canon);
			seeds[o.n_seeds].type = t;
			seeds[o.n_seeds++].value = colon + 1;
			break;
		}
		case O_DEPTH:
			if (number(optarg, 0, TL_GRAPH_DEPTH_MAX, &n))
				rc = cli_usage_error(usage, "--depth: '%s' is not a number from 0 to %d", optarg,
						     TL_GRAPH_DEPTH_MAX);
			else
				o.depth = (int)n;
			break;
		case O_MAX:
			if (number(optarg, 1, 5000, &n))
				rc = cli_usage_error(usage, "--max-nodes: '%s' is not a number from 1 to 5000", optarg);
			else
				o.max_nodes = (size_t)n;
			break;
		case O_FROM:
		case O_TO:
			if (tl_time_parse_arg(optarg, c == O_FROM ? &o.from : &o.to))
				rc = cli_usage_error(usage, "--%s: '%s' is not an ISO 8601 time", c == O_FROM ? "from" : "to",
						     optarg);
			*(c == O_FROM ? &o.has_from : &o.has_to) = 1;
			break;
		case O_OUTPUT:
			if (tl_graph_format_parse(optarg, &fmt))
				rc = cli_usage_error(usage, "--output: '%s' is not dot, graphml, json, svg or png", optarg);
			break;
		case 'o': out_name = optarg; break;
		case ':': rc = cli_usage_error(usage, "option '%s' needs a value", argv[optind - 1]); break;
		default: rc = cli_usage_error(usage, "unknown option '%s'", argv[optind - 1]); break;
		}
	}
	if (rc == TL_EXIT_OK && optind != argc - 1)
		rc = cli_usage_error(usage, "graph takes one case folder");
	if (rc == TL_EXIT_OK && o.has_from && o.has_to && o.from >= o.to)
		rc = cli_usage_error(usage, "--from must be before --to");
	if (rc == TL_EXIT_OK && fmt == TL_GRAPH_PNG && !out_name && isatty(STDOUT_FILENO))
		rc = cli_usage_error(usage, "--output png is binary: write it with -o NAME or redirect it");
	if (rc != TL_EXIT_OK)
		goto done;

	struct tl_case cs;
	struct tl_err err;
	if (cli_open_case(argv[optind], &cs)) {
		rc = TL_EXIT_ERROR;
		goto done;
	}
	struct tl_store *s = tl_store_open(cs.db_path, TL_STORE_READONLY, &err);
	struct tl_graph g = TL_GRAPH_INIT;
	if (!s) {
		rc = cli_error("%s (has anything been ingested?)", err.msg);
	} else if (tl_graph_build(s, &o, &g, &err)) {
		rc = cli_error("%s", err.msg);
	} else {
		for (size_t i = 0; i < g.notes.n; i++)
			fprintf(stderr, "tl: note: %s\n", g.notes.v[i]);
		if (!g.n_nodes)
			fprintf(stderr, "tl: note: no entities found\n");
		struct cli_output out = { 0 };
		if (out_name && cli_output_open(&cs, out_name, &out)) {
			rc = TL_EXIT_ERROR;
		} else {
			if (tl_graph_write(out_name ? out.fp : stdout, &g, fmt, &err))
				rc = cli_error("%s", err.msg);
			if (out_name ? cli_output_close(&out, rc == TL_EXIT_OK) != 0 : fflush(stdout) != 0)
				rc = rc ? rc : cli_error("cannot write the graph");
		}
	}
	tl_graph_release(&g);
	tl_store_close(s);
	tl_case_release(&cs);
done:
	for (size_t i = 0; i < n_owned; i++)
		free(owned[i]);
	return rc;
}

/* Graphviz 2.42 keeps memory to the end of the process (its configuration,
 * dot's virtual edges, fontconfig's and pango's font caches) that no call of
 * its API gives back. A sanitized tl would report it on every picture; these
 * default suppressions of LeakSanitizer (read only in sanitized builds) name
 * those libraries alone, so a leak of tl's own is still reported. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
	return "print_suppressions=0";
}
const char *__lsan_default_suppressions(void)
{
	return "leak:libgvc.so\n"
	       "leak:libcgraph.so\n"
	       "leak:libgvplugin_\n"
	       "leak:libfontconfig.so\n"
	       "leak:libpango\n"
	       "leak:libcairo.so\n"
	       "leak:libglib-2.0.so\n"
	       "leak:libgobject-2.0.so\n";
}
