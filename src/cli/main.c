/* tl: command dispatch (git-style table) and the help and version commands. */
#define _POSIX_C_SOURCE 200809L
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "common.h"

static const struct command {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
} commands[] = {
	{ "bindings", cmd_bindings, "list who held which address and used which host, when, with evidence" },
	{ "chain", cmd_chain, "follow causal links from an entity: chains with their evidence" },
	{ "detect", cmd_detect, "show which format each file is and why (every candidate)" },
	{ "entities", cmd_entities, "list users, hosts, addresses, domains... with aliases, first/last seen, counts" },
	{ "formats", cmd_formats, "list formats; test a definition against a file" },
	{ "gaps", cmd_gaps, "list gaps and tamper indicators in the evidence" },
	{ "graph", cmd_graph, "draw the entity graph: who and what is linked to what, with evidence" },
	{ "help", cmd_help, "show help for tl or one command" },
	{ "ingest", cmd_ingest, "parse evidence into the case database" },
	{ "init", cmd_init, "create a case folder" },
	{ "manifest", cmd_manifest, "write out/manifest.json and out/SHA256SUMS" },
	{ "package", cmd_package, "write a handoff package (tar.gz) of the case" },
	{ "rejects", cmd_rejects, "list rejected records with file, line, reason and excerpt" },
	{ "replay", cmd_replay, "rebuild the case from its evidence and re-run replay.tl, comparing outputs" },
	{ "show", cmd_show, "show one event, its raw record re-read and re-hashed, and its neighbours" },
	{ "sources", cmd_sources, "account for every evidence file and record" },
	{ "sql", cmd_sql, "run a read-only SQL query on the case database" },
	{ "stats", cmd_stats, "count events by hour, day, user, host, address, action, outcome..." },
	{ "tag", cmd_tag, "tag an event, with a note (kept in the case, replayed)" },
	{ "timeline", cmd_timeline, "print the chronological timeline" },
	{ "verify", cmd_verify, "re-check evidence, outputs, custody chain and event digest" },
	{ "version", cmd_version, "print the version and build id" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char exit_help[] =
	"Exit status:\n"
	"  0  success\n"
	"  1  error: the command could not do what was asked (message on stderr)\n"
	"  2  usage: bad command line\n"
	"  3  done, but some records were rejected (tl sources shows where)\n"
	"  4  done, but some files were not ingested (unreadable, no known format, changed)\n"
	"  5  verify found a mismatch (tl verify names each one)\n";

static void overview(FILE *out)
{
	fprintf(out, "usage: tl <command> [options]\n       tl --version\n\nCommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nEvery command answers -h. 'tl help COMMAND' shows its usage.\n\n%s", exit_help);
}

int cli_error(const char *fmt, ...)
{
	va_list ap;
	fputs("tl: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return TL_EXIT_ERROR;
}

int cli_usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;
	fputs("tl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", usage);
	return TL_EXIT_USAGE;
}

int cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return 1;
	}
	return 0;
}

static const struct command *find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

int cmd_help(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		overview(stdout);
		return TL_EXIT_OK;
	}
	const struct command *c = find(argv[1]);
	if (!c) {
		fprintf(stderr, "tl: '%s' is not a tl command. See 'tl help'.\n", argv[1]);
		return TL_EXIT_USAGE;
	}
	char *av[] = { argv[1], "--help", NULL };
	return c->fn(2, av);
}

int cmd_version(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		printf("usage: tl version\n\nPrints the tl version and the build id (the source commit).\n");
		return TL_EXIT_OK;
	}
	printf("tl %s (build %s)\n", TL_VERSION, tl_build_id);
	return TL_EXIT_OK;
}

int main(int argc, char **argv)
{
	/* outputs must not depend on the machine's locale: stay in "C" */
	setlocale(LC_ALL, "C");
	if (argc < 2) {
		overview(stderr);
		return TL_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
		return cmd_version(1, argv + 1);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		overview(stdout);
		return TL_EXIT_OK;
	}
	const struct command *c = find(argv[1]);
	if (!c) {
		const char *names[NCOMMANDS];
		for (size_t i = 0; i < NCOMMANDS; i++)
			names[i] = commands[i].name;
		const char *near = cli_did_you_mean(argv[1], names, NCOMMANDS);
		fprintf(stderr, "tl: '%s' is not a tl command.%s%s%s See 'tl help'.\n", argv[1],
			near ? " Did you mean '" : "", near ? near : "", near ? "'?" : "");
		return TL_EXIT_USAGE;
	}
	int rc = c->fn(argc - 1, argv + 1);
	/* every command that read or wrote a case leaves one custody entry there */
	cli_custody_finish(argc, argv, rc);
	return rc;
}
