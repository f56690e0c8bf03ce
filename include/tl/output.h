/*
 * Timeline output: select events from the case database with filters and
 * write them as a readable table, CSV, or JSONL (the stable machine contract,
 * docs/timeline-jsonl.md). Order is total: ts, evidence path, offset.
 *
 * Text from evidence is escaped for every sink: terminals never see raw
 * control bytes, CSV cells that would run as spreadsheet formulas are
 * neutralized unless asked otherwise.
 */
#ifndef TL_OUTPUT_H
#define TL_OUTPUT_H

#include <sqlite3.h>
#include <stdio.h>

#include "tl/time.h"
#include "tl/util.h"

enum tl_out_format { TL_OUT_TEXT, TL_OUT_CSV, TL_OUT_JSONL };

struct tl_entity {
	const char *type;  /* user host ip domain url file process hash */
	const char *value;
};

struct tl_filter {
	int has_from, has_to;
	tl_us from, to;                 /* inclusive from, exclusive to */
	struct tl_entity *entities;     /* any of them matches */
	size_t n_entities;
	const char **families;          /* any of them */
	size_t n_families;
	const char **formats;
	size_t n_formats;
	const char *grep;               /* PCRE2 over the event's JSONL line */
	int csv_raw;                    /* do not neutralize formula-like CSV cells */
};

/* Non-zero if TYPE is an entity type the filter knows. */
int tl_entity_type_valid(const char *type);

/* Write the filtered timeline of DB to OUT. Returns the number of events written, or -1. */
long tl_timeline_write(sqlite3 *db, const struct tl_filter *flt, enum tl_out_format fmt, FILE *out,
		       struct tl_err *err);

/* The canonical digest of all events: SHA-256 of the unfiltered JSONL timeline
 * (the documented contract, in its total order), so it depends on neither the
 * database file's bytes nor the order things were inserted. Returns the number
 * of events, or -1. */
long tl_events_digest(sqlite3 *db, char out[65], struct tl_err *err);

#endif
