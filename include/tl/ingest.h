/*
 * Ingest: walk evidence paths, classify and detect each file's format, stream
 * its records through the parser and into the case database, and account for
 * every record (event, reject, merged into another record's event, or
 * header/blank "meta").
 *
 * Evidence is opened read-only. Files are processed in sorted order of their
 * case-relative paths so results do not depend on directory order.
 */
#ifndef TL_INGEST_H
#define TL_INGEST_H

#include <stdint.h>
#include <stdio.h>

#include "tl/case.h"
#include "tl/format.h"
#include "tl/util.h"

struct tl_ingest_opts {
	const char *format;   /* force this format for every file (NULL: config, then detection) */
	int progress;         /* show a progress line on LOG */
	int follow_symlinks;  /* follow links that leave the case folder */
	int threads;          /* 1: parse and store on one core; 0 or 2 and more: a writer thread */
	int new_version;      /* a file whose content changed replaces its earlier version */
	long commit_every;    /* rows per transaction; 0: the default. The result is the same either way */
	/* the query indexes during the load: AUTO keeps them when the new data is
	 * small against the case (updated row by row) and otherwise drops them
	 * and builds them once at the end; KEEP and REBUILD force either */
	enum { TL_INDEXES_AUTO, TL_INDEXES_KEEP, TL_INDEXES_REBUILD } indexes;
	int quiet;            /* LOG gets warnings and errors only (no line per unchanged or duplicate file) */
	/* re-parse files already ingested and unchanged (after a definition
	 * changed): all of them, or those whose format is REPARSE_ONLY or whose
	 * path (relative to the case) is or lies under REPARSE_ONLY. A format
	 * given with --format when a file was first ingested is used again. */
	int reparse;
	const char *reparse_only;
	/* told of every evidence file read, with its SHA-256 (for the custody log); may be NULL */
	void (*on_file)(void *ctx, const char *relpath, const char *sha256);
	void *ctx;
};

/* The phases of an ingest, in the order they run (tl ingest --timings):
 * LOAD is everything up to the load's commit (finding the files, hashing,
 * detection, parsing, storing, and dropping the indexes when they are rebuilt),
 * INDEX the query-index build, then the three correlation passes. */
enum tl_ingest_phase {
	TL_INGEST_LOAD,
	TL_INGEST_INDEX,
	TL_INGEST_COPIES,
	TL_INGEST_ENTITIES,
	TL_INGEST_CORRELATE,
	TL_INGEST_PHASES
};

/* Where a phase's time went. CPU is user + system seconds of the whole
 * process (the writer thread and SQLite's sort threads included); wall is
 * monotonic seconds. Measurements, never part of a reproducible output. */
struct tl_ingest_timing {
	double cpu, wall;
};

struct tl_ingest_summary {
	int64_t files, ingested, unchanged, duplicates, unsupported, failed, partial;
	int64_t reparsed;     /* of ingested: files parsed again with --reparse */
	int64_t records, events, rejects, merged, meta; /* records = events + rejects + merged */
	uint64_t bytes;
	double seconds;
	/* near zero for a phase with nothing to do; zero after a failure stopped the run before it */
	struct tl_ingest_timing phase[TL_INGEST_PHASES];
	/* how correlation went (static texts, NULL when it did not run): "full",
	 * "incremental" or "unchanged", and for a full run after an incremental
	 * try, why; the subjects rebuilt, the bindings kept, added and deleted */
	const char *corr_mode, *corr_why;
	int64_t corr_rebuilt, corr_kept, corr_added, corr_deleted;
};

/* "load", "index", "copies", "entities", "correlation" for enum tl_ingest_phase P. */
const char *tl_ingest_phase_name(enum tl_ingest_phase p);

/* Ingest PATHS (n of them; none means CASE/evidence). Per-file problems are
 * reported on LOG and counted in *sum; returns -1 only when the case itself
 * cannot be worked on (database, formats). */
int tl_ingest(struct tl_case *c, const struct tl_formats *fs, char *const *paths, size_t n,
	      const struct tl_ingest_opts *opts, struct tl_ingest_summary *sum, FILE *log, struct tl_err *err);

#endif
