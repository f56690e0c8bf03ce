/*
 * Helpers shared by commands: opening a case with its formats, writing an
 * output into CASE/out/, and gathering what the running command did to the
 * case so that main() can write its custody entry when it returns.
 */
#ifndef TL_CLI_COMMON_H
#define TL_CLI_COMMON_H

#include <stdint.h>
#include <stdio.h>

#include "tl/case.h"
#include "tl/format.h"

/* Built-in formats plus the case's own (C may be NULL). Prints errors; 0 or -1. */
int cli_load_formats(const struct tl_case *c, struct tl_formats *fs);

/* Print the load warnings of FS's formats from index FROM on (not built-ins). */
void cli_format_warnings(const struct tl_formats *fs, size_t from);

/* Print a stored detection decision (evidence_files.detection) as a table of
 * candidates, each line starting with INDENT; -1 if JSON is not one. */
int cli_detection_show(FILE *out, const char *json, const char *indent);

/* tl_case_open() that also makes the command's custody entry go to this case. */
int cli_open_case(const char *path, struct tl_case *c);

/* Record for the custody entry: an input or output (relative to the case) and its hash. */
void cli_custody_case(const char *root, const char *config_sha256);
void cli_custody_input(const char *relpath, const char *sha256);
/* The tz database version the command read times with (ingest). */
void cli_custody_tzdata(const char *version);
void cli_custody_output(const char *relpath, const char *sha256);

/* The command changed the case's annotations (tl tag, tl timeline --save): it
 * goes into replay.tl even without an output. ARGV_INDEX (of the command's
 * argv, 0 none) is recorded in replay.tl as WORD: a stable event reference in
 * place of a row id that a rebuilt case would not share. JSON (may be NULL)
 * is the custody entry's "annotation" object: what was added. */
void cli_custody_annotates(int argv_index, const char *word, const char *json);

/* The candidate closest to WORD by edit distance if it is close enough to be
 * a typo, else NULL (for "did you mean"). */
const char *cli_did_you_mean(const char *word, const char *const *candidates, size_t n);

struct tl_store;
struct tl_tz;
/* Resolve an event reference (a row id, or PATH:LINE[#N] with PATH as the
 * text timeline shows it): 1 and *ID, 0 if there is no such event, -1. */
int cli_event_ref(struct tl_store *s, const char *ref, int64_t *id, struct tl_err *err);
/* --tz ZONE: an IANA name or "local"; 0, or a usage exit status. */
int cli_load_tz(const char *name, struct tl_tz **tz);

/* Append the custody entry of this command (if it touched a case). Called by main(). */
void cli_custody_finish(int argc, char **argv, int exit_code);

/* An output file in CASE/out/: NAME is relative to CASE/out and may not
 * climb out of it. The file is written under a temporary name and renamed
 * into place on success, so a failed command never leaves half an output. */
struct cli_output {
	FILE *fp;       /* af.fp */
	struct tl_atomic_file af;
	char rel[4096]; /* relative to the case folder: "out/NAME" */
};
int cli_output_open(const struct tl_case *c, const char *name, struct cli_output *o);
/* Close, hash, rename into place and record it for custody; OK false discards it. */
int cli_output_close(struct cli_output *o, int ok);

#endif
