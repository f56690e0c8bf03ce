/*
 * Commands of the tl CLI. Each cmd-<name>.c parses its options and calls
 * library modules; only these files decide exit codes or print usage.
 *
 * To add a command:
 *  1. write src/cli/cmd-<name>.c with `int cmd_<name>(int argc, char **argv)`
 *     answering -h/--help with its usage on stdout;
 *  2. declare it below and add a row to the table in main.c;
 *  3. add it to CMakeLists.txt, docs/commands/<name>.md and tests/cli/.
 */
#ifndef TL_CLI_CMD_H
#define TL_CLI_CMD_H

#include <stdio.h>

/* Exit status of every command (docs/exit-status.md). */
enum tl_exit {
	TL_EXIT_OK = 0,       /* did everything asked */
	TL_EXIT_ERROR = 1,    /* could not do what was asked (message on stderr) */
	TL_EXIT_USAGE = 2,    /* bad command line */
	TL_EXIT_REJECTS = 3,  /* done, but some records were rejected (see tl sources / rejects table) */
	TL_EXIT_PARTIAL = 4,  /* done, but some files could not be read or had no known format */
	TL_EXIT_MISMATCH = 5, /* tl verify: evidence, an output, the custody chain or the digest does not match */
};

int cmd_help(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_sources(int argc, char **argv);
int cmd_timeline(int argc, char **argv);
int cmd_formats(int argc, char **argv);
int cmd_sql(int argc, char **argv);
int cmd_manifest(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_package(int argc, char **argv);
int cmd_gaps(int argc, char **argv);
int cmd_entities(int argc, char **argv);
int cmd_detect(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_chain(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_rejects(int argc, char **argv);
int cmd_tag(int argc, char **argv);
int cmd_bindings(int argc, char **argv);
int cmd_graph(int argc, char **argv);

/* Print "tl: error: MSG" to stderr and return TL_EXIT_ERROR. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print usage to stderr with a hint and return TL_EXIT_USAGE. */
int cli_usage_error(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* True if argv asks for help (-h or --help anywhere before "--"). */
int cli_wants_help(int argc, char **argv);

#define TL_VERSION "0.1.0"
extern const char tl_build_id[];

#endif
