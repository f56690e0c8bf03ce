/*
 * The replay script, CASE/replay.tl: every analysis command that wrote into
 * CASE/out/ as one line, plain text, editable by hand:
 *
 *     # comments and blank lines are ignored
 *     tl timeline --output jsonl -o timeline.jsonl CASE
 *     #> out/timeline.jsonl 5d1c0c...   (the SHA-256 that step produced)
 *
 * The word CASE stands for the case folder; arguments are quoted like a POSIX
 * shell would need ('...' and "..."). "#>" lines are the expected outputs of
 * the step above them: `tl replay` re-runs the steps on a fresh case built from
 * the same evidence and compares.
 */
#ifndef TL_REPLAY_H
#define TL_REPLAY_H

#include <stddef.h>
#include <stdio.h>

#include "tl/case.h"
#include "tl/custody.h"
#include "tl/util.h"

struct tl_replay_step {
	unsigned line;          /* in replay.tl */
	char **argv;            /* argv[0] is "tl"; NULL-terminated */
	int argc;
	struct tl_custody_file *expect;
	size_t n_expect;
};

struct tl_replay {
	struct tl_replay_step *steps;
	size_t n;
};

/* Non-zero if a successful COMMAND that wrote outputs is a replay step. manifest
 * and package are not: their outputs hold custody entries, which a replayed
 * case numbers its own way. The custody log and verify use the same rule. */
int tl_replay_is_step(const char *command);

/* Append a step: ARGV (argc entries, argv[0] the program) with the entry equal
 * to CASE_ARG (by pointer) written as CASE, and its outputs as expectations. */
int tl_replay_append(const char *case_root, int argc, char *const *argv, const char *case_arg,
		     const struct tl_custody_file *outputs, size_t n_outputs, struct tl_err *err);

/* Read CASE_ROOT/replay.tl. A missing file is an empty script. Errors name replay.tl:LINE. */
int tl_replay_load(const char *case_root, struct tl_replay *r, struct tl_err *err);
void tl_replay_release(struct tl_replay *r);

/* ---- replaying (tl replay) ---------------------------------------------------------- */

/* The evidence files case C was built from, in path order, into EVIDENCE; the
 * ones no longer in the case also into MISSING. 0, or -1 if the case's store
 * cannot be read. */
int tl_replay_evidence(const struct tl_case *c, struct tl_strlist *evidence, struct tl_strlist *missing,
		       struct tl_err *err);

/* Build a fresh case at INTO (created) from C: its tl.json, EVIDENCE (mtimes
 * kept: yearless timestamps take their year from them; may be empty, the
 * files then come run by run through tl_replay_copy_evidence) and its own
 * formats. */
int tl_replay_rebuild(const struct tl_case *c, const char *into, const struct tl_strlist *evidence,
		      struct tl_err *err);

/* Copy EVIDENCE (paths relative to the case) from C into the case at INTO, mtimes kept. */
int tl_replay_copy_evidence(const struct tl_case *c, const char *into, const struct tl_strlist *evidence,
			    struct tl_err *err);

/* Runs one tl command (ARGV[0] "tl", NULL-terminated) and returns its exit
 * status, or -1. The command line supplies it: each step runs as its own tl
 * process, so the new case gets its own custody log as if an analyst had
 * typed the steps. */
typedef int (*tl_replay_run_fn)(void *ctx, char **argv);

/* Run every step of R on INTO (rebuilt and ingested) with CASE replaced by
 * INTO, and compare each output with the one recorded: one line per step and
 * per output (MATCH / DIFFER, with the first differing line for text) on OUT,
 * the caller's stream. Counts go to *MATCH and *DIFFER. */
void tl_replay_run(const struct tl_replay *r, const char *case_root, const char *into, tl_replay_run_fn run,
		   void *ctx, FILE *out, long *match, long *differ);

/* ---- per-file outcomes: what the original ingest made of each file --------------- */

/* One evidence file as an ingest left it. A file tl could not read
 * ("unsupported"), a duplicate, a --format choice are outcomes like any other:
 * replay repeats them and reports a difference, never stops on them. */
struct tl_replay_file {
	char *path;   /* relative to the case ("ARCHIVE!/MEMBER" for a member) */
	char *copy;   /* the file to copy for it: the archive for a member */
	char *status; /* done, partial, failed, unsupported, duplicate, ... */
	char *format; /* "" when none */
	char *forced; /* the --format NAME the analyst gave, or NULL */
	long batch;   /* tl_replay_batches: the custody entry of the ingest that took it in; 0 none */
};

struct tl_replay_files {
	struct tl_replay_file *v;
	size_t n;
	int from_manifest; /* no case.db (an extracted package): read from out/manifest.json */
};

/* The outcomes of the case at ROOT: from DB_PATH when it exists, else from
 * ROOT/out/manifest.json (which records status, format and format_rule of
 * each file). 0, or -1 with ERR when neither can be read. */
int tl_replay_outcomes(const char *root, const char *db_path, struct tl_replay_files *f, struct tl_err *err);
void tl_replay_files_release(struct tl_replay_files *f);

/* The ingest history: for each file of F, into its `batch`, the custody
 * sequence number of the first `tl ingest` entry of CASE_ROOT/custody.jsonl
 * whose inputs hold its copy with the content the case holds now (superseded
 * content was taken in by a later run), else the first that read that path
 * at all, else 0 (no entry read it: it should not happen). Replay repeats the
 * runs in that order, each with its own files, because correlation numbers
 * the bindings of later runs after the earlier ones. *HAVE_LOG is 0 when the
 * case has no custody log (every batch 0). Damaged log lines are skipped
 * (tl verify reports them). 0, or -1 (ERR) when the log cannot be opened. */
int tl_replay_batches(const char *case_root, struct tl_replay_files *f, int *have_log, struct tl_err *err);

/* Compare the outcomes WAS (the original run) with NOW (the replay): one
 * "DIFFER evidence ..." line on OUT per file whose status or format changed,
 * or that is only in one of them; then one MATCH line for the rest. Returns
 * the number of differences; *match gets the number of files that agree. */
long tl_replay_compare_outcomes(const struct tl_replay_files *was, const struct tl_replay_files *now, FILE *out,
				long *match);

/* Split a line into words like a POSIX shell would (quotes, backslashes; no
 * expansion). Returns the number of words (NULL-terminated *argv), or -1. */
int tl_replay_split(const char *line, char ***argv);

#endif
