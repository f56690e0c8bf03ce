/*
 * Timeline output: read events through the store's query API with filters and
 * write them as a readable table, CSV, or JSONL (the stable machine contract,
 * docs/timeline-jsonl.md). Order is total: ts, evidence path, offset.
 *
 * Text from evidence is escaped for every sink: terminals never see raw
 * control bytes, CSV cells that would run as spreadsheet formulas are
 * neutralized unless asked otherwise.
 */
#ifndef TL_OUTPUT_H
#define TL_OUTPUT_H

#include <stdio.h>

#include "tl/store.h"
#include "tl/time.h"
#include "tl/util.h"

enum tl_out_format { TL_OUT_TEXT, TL_OUT_CSV, TL_OUT_JSONL };

struct tl_filter {
	struct tl_event_query q;        /* which events (time range, entities, families, formats) */
	const char *grep;               /* PCRE2 over the event's JSONL line */
	int csv_raw;                    /* do not neutralize formula-like CSV cells */
};

/* Write the filtered timeline of S to OUT. Returns the number of events written, or -1. */
long tl_timeline_write(struct tl_store *s, const struct tl_filter *flt, enum tl_out_format fmt, FILE *out,
		       struct tl_err *err);

/* The canonical digest of all events: SHA-256 of the unfiltered JSONL timeline
 * (the documented contract, in its total order), so it depends on neither the
 * database file's bytes nor the order things were inserted. Returns the number
 * of events, or -1. */
long tl_events_digest(struct tl_store *s, char out[65], struct tl_err *err);

#endif
