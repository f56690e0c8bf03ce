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
 * OUT (appended). A missing log adds nothing. 0, or -1 (ERR) when the log
 * cannot be read or memory runs out: a manifest must not omit them silently. */
int tl_custody_tzdata(const char *case_root, struct tl_strlist *out, struct tl_err *err);

/* For each of the N FILES, the sequence number of the last entry that wrote
 * it with that SHA-256, or 0, into SEQ[i]. Reads the log once. 0, or -1
 * (ERR) when the log exists but cannot be read. */
int tl_custody_producers(const char *case_root, const struct tl_custody_file *files, size_t n, long *seq,
			 struct tl_err *err);

/* The chain's head as of the last entry that changed the case (any command
 * but manifest and verify, which only read it or rewrite the manifest, so
 * that the same case still gives the same manifest): *entries gets that
 * entry's number and HEAD its SHA-256 (0 and 64 zeros when there is none).
 * tl manifest records it, so that rewriting any entry up to it changes what
 * the (signed) manifest says. -1 (ERR) when the log cannot be read. */
int tl_custody_head(const char *case_root, long *entries, char head[65], struct tl_err *err);

/* The SHA-256 of entry N (1-based) of a log in memory into OUT; -1 when the
 * log holds fewer than N complete entries. */
int tl_custody_entry_sha256(const char *data, size_t len, long n, char out[65]);

/* The sequence number of the last entry that may have changed the events
 * (an ingest, whatever its exit status: ingest commits file by file), or 0.
 * Outputs written by an earlier entry describe older events: stale. */
long tl_custody_last_change(const char *case_root);

#endif
