/*
 * The custody log, CASE/custody.jsonl: one JSON line per tl command that read
 * or wrote the case — when, who, where, which tool build, the command line,
 * the config hash, inputs and outputs with their SHA-256, and the result.
 * Each entry carries the SHA-256 of the previous line, so editing, reordering
 * or deleting an entry breaks the chain where it happened.
 *
 * Appends are serialized with an exclusive flock on the log: concurrent tl
 * processes never interleave. The log is append-only; tl never rewrites it.
 */
#ifndef TL_CUSTODY_H
#define TL_CUSTODY_H

#include <stddef.h>
#include <stdio.h>

#include "tl/util.h"

struct tl_custody_file {
	const char *path;   /* relative to the case folder */
	char sha256[65];
};

struct tl_custody_entry {
	int argc;
	char *const *argv;
	const char *tool_version;
	const char *build_id;
	const char *config_sha256;
	const struct tl_custody_file *inputs;
	size_t n_inputs;
	const struct tl_custody_file *outputs;
	size_t n_outputs;
	const char *events_digest; /* canonical digest after the command, or NULL */
	int exit_code;
	const char *tzdata;        /* tz database version times were read with (ingest), or NULL */
	const char *annotation;    /* what tl tag / tl timeline --save added: a JSON object, or NULL */
};

/* Append E to CASE_ROOT/custody.jsonl; *seq (may be NULL) gets its number. */
int tl_custody_append(const char *case_root, const struct tl_custody_entry *e, long *seq, struct tl_err *err);

/* Check the chain. Prints one line per problem on REPORT (may be NULL);
 * *entries gets the number of entries. Returns the number of problems, or -1
 * if the log cannot be read (a missing log is 0 entries, no problem). */
long tl_custody_verify(const char *case_root, FILE *report, long *entries, struct tl_err *err);

/* The same check over a log already in memory (DATA, LEN bytes; DATA may be
 * NULL when LEN is 0), e.g. one read out of a package. Returns the number of
 * problems; *entries gets the number of entries. */
long tl_custody_verify_buffer(const char *data, size_t len, FILE *report, long *entries);

/* The distinct tz database versions ingests recorded ("tzdata"), sorted, into
 * OUT (appended). A missing log adds nothing. */
void tl_custody_tzdata(const char *case_root, struct tl_strlist *out);

/* For each of the N FILES, the sequence number of the last entry that wrote
 * it with that SHA-256, or 0, into SEQ[i]. Reads the log once. */
void tl_custody_producers(const char *case_root, const struct tl_custody_file *files, size_t n, long *seq);

#endif
