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

/* Split a line into words like a POSIX shell would (quotes, backslashes; no
 * expansion). Returns the number of words (NULL-terminated *argv), or -1. */
int tl_replay_split(const char *line, char ***argv);

#endif
