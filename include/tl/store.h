/*
 * The case database: SQLite schema, migrations, and bulk writes.
 *
 * Schema version lives in `PRAGMA user_version`; tl_store_open() migrates an
 * older database forward and refuses a newer one. Writes are batched in large
 * transactions through prepared statements; values are always bound.
 *
 * Ownership: tl_store_open() returns a store the caller closes with
 * tl_store_close(). Strings passed in are copied by SQLite.
 */
#ifndef TL_STORE_H
#define TL_STORE_H

#include <sqlite3.h>
#include <stdint.h>

#include "tl/event.h"
#include "tl/util.h"

#define TL_SCHEMA_VERSION 3

struct tl_store;

enum tl_store_mode { TL_STORE_READONLY, TL_STORE_WRITE };

/* Open (and with WRITE, create or migrate) the database at PATH. */
struct tl_store *tl_store_open(const char *path, enum tl_store_mode mode, struct tl_err *err);
void tl_store_close(struct tl_store *s);
sqlite3 *tl_store_db(struct tl_store *s);

/* What the database knows about an evidence file. */
struct tl_file_row {
	int64_t id;
	char status[16];    /* "ingesting", "done", "partial", "failed", "unsupported", "duplicate" */
	char sha256[65];
};

/* Look up PATH; returns 1 and fills *row if known, 0 if not, -1 on error. */
int tl_store_file_get(struct tl_store *s, const char *path, struct tl_file_row *row, struct tl_err *err);
/* Path of a done file with SHA256, for duplicate detection; 1 found, 0 not. */
int tl_store_file_by_sha(struct tl_store *s, const char *sha256, char *path, size_t len, struct tl_err *err);

struct tl_file_info {
	const char *path;     /* relative to the case folder */
	int64_t size;
	int64_t mtime;        /* seconds, UTC */
	const char *sha256;
	const char *magic;    /* libmagic description */
	const char *compression; /* "none" or "gzip" */
	const char *encoding;
	const char *format;   /* NULL if none detected */
	const char *format_version;
	int confidence;
	const char *format_rule; /* "detected", "--format", "config" */
	/* an archive member: the archive (relative to the case) and the member's
	 * path inside it; NULL for a plain file. path is then "ARCHIVE!/MEMBER". */
	const char *container;
	const char *container_sha256;
	const char *member;
	/* what ingest used, so later analysis uses the same facts: the definition
	 * text's SHA-256, its ordered_within (µs, 0 none), and the detection
	 * decision as JSON (candidates with scores and sample parse rates) */
	const char *definition_sha256;
	int64_t ordered_within_us;
	const char *detection;
};

/* Keep the record of PATH's current version in superseded_files (NEW_SHA256
 * replaces it); tl_store_file_begin() then removes its rows. */
int tl_store_file_supersede(struct tl_store *s, const char *path, const char *new_sha256, struct tl_err *err);

/* Start (or restart) a file: removes rows of a previous unfinished attempt. */
int tl_store_file_begin(struct tl_store *s, const struct tl_file_info *fi, int64_t *id, struct tl_err *err);

struct tl_file_counts {
	int64_t records, events, rejects, meta;
	int64_t first_ts, last_ts; /* valid when events > 0 */
	int64_t bytes;             /* decompressed bytes read */
	int64_t merged;            /* records folded into another record's event (auditd); records = events + rejects + merged */
};

/* Finish a file with STATUS ("done", "partial", "failed", "duplicate", "unsupported"),
 * the text ENCODING found (may be NULL) and an optional error. */
int tl_store_file_end(struct tl_store *s, int64_t id, const char *status, const struct tl_file_counts *c,
		      const char *encoding, const char *error, struct tl_err *err);

/* Drop the query indexes before a bulk load / build them after it (idempotent). */
int tl_store_index_drop(struct tl_store *s, struct tl_err *err);
int tl_store_index_build(struct tl_store *s, struct tl_err *err);

/* Begin / commit the current bulk transaction. */
int tl_store_begin(struct tl_store *s, struct tl_err *err);
int tl_store_commit(struct tl_store *s, struct tl_err *err);

int tl_store_add_event(struct tl_store *s, const struct tl_event *ev, const struct tl_prov *pv, struct tl_err *err);
/* The same with EV's `extra` already rendered as JSON (ev->extra is ignored). */
int tl_store_add_event_json(struct tl_store *s, const struct tl_event *ev, const char *extra, size_t extra_len,
			    const struct tl_prov *pv, struct tl_err *err);
int tl_store_add_reject(struct tl_store *s, const struct tl_prov *pv, const char *reason, const char *excerpt,
			size_t excerpt_len, struct tl_err *err);

#endif
