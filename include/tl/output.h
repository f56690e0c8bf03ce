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

enum tl_out_format {
	TL_OUT_TEXT,
	TL_OUT_CSV,
	TL_OUT_JSONL,
	/* hand-off formats, docs/timeline-formats.md */
	TL_OUT_TIMESKETCH,     /* Timesketch JSONL import: message, datetime, timestamp_desc + attributes */
	TL_OUT_TIMESKETCH_CSV, /* the same as CSV with a header */
	TL_OUT_L2TCSV,         /* plaso / log2timeline l2tcsv, 17 columns */
	TL_OUT_TLN             /* TLN: Time|Source|System|User|Description */
};

/* 0 and *FMT for a timeline output NAME ("text", "csv", "jsonl", "timesketch",
 * "timesketch-csv", "l2tcsv", "tln"); -1 for anything else. */
int tl_out_format_parse(const char *name, enum tl_out_format *fmt);

/* struct tl_filter.copies: how copies of one occurrence are shown
 * (docs/correlation.md#copies). 0 is every event a row with no copy
 * information — the events digest, which must never depend on correlation. */
enum { TL_COPIES_ONCE = 1, TL_COPIES_ALL = 2 };

struct tl_filter {
	struct tl_event_query q;        /* which events (time range, entities, families, formats) */
	const char *grep;               /* PCRE2 over the event's JSONL line */
	int csv_raw;                    /* do not neutralize formula-like CSV cells */
	/* text only: */
	const struct tl_tz *tz;         /* show times in this zone (NULL: UTC); CSV and JSONL stay UTC */
	int color;                      /* mark failures in red (the caller decides: a terminal only) */
	int no_header;                  /* omit the header row */
	int wide;                       /* evidence paths whole (else a long one is shortened in the middle) */
	/* every format: show and export tags (JSONL "tags", CSV "tags", text "#tag") */
	int annotations;
	/* every format: what each event is attributed to (JSONL "attributed_user",
	 * "attributed_host", "attribution"; CSV the same columns; text "~user") */
	int attribution;
	/* TL_COPIES_ONCE: one row per occurrence with every copy's evidence (JSONL
	 * "copies", CSV copies columns, text "×N"); TL_COPIES_ALL: every copy a
	 * row, each with that evidence; 0: neither */
	int copies;
};

/* Write the filtered timeline of S to OUT. Returns the number of events written, or -1. */
long tl_timeline_write(struct tl_store *s, const struct tl_filter *flt, enum tl_out_format fmt, FILE *out,
		       struct tl_err *err);

/* Count rows of tl_store_counts() written as an aligned table (TL_OUT_TEXT),
 * CSV or JSONL; BY names the keys. Hours and days print as ISO 8601 in TZ
 * (NULL: UTC). Returns the number of rows, or -1. */
long tl_counts_write(struct tl_store *s, const struct tl_event_query *q, const char *const *by, size_t n_by,
		     enum tl_out_format fmt, const struct tl_tz *tz, FILE *out, struct tl_err *err);

/* Rejected records: file:line, reason and an escaped excerpt per line (text)
 * or one JSON object per line; only those whose path contains PATH_PART and
 * whose reason contains REASON_PART (either may be NULL). Returns the count. */
long tl_rejects_write(struct tl_store *s, const char *path_part, const char *reason_part, enum tl_out_format fmt,
		      FILE *out, struct tl_err *err);

/* One event in full for tl show: every non-null field, extra, tags and its
 * evidence location, as "key: value" lines. */
void tl_event_write_detail(const struct tl_event_row *r, FILE *out);
/* tl show's copies section: when EVENT_ID is a copy of one occurrence
 * (docs/correlation.md#copies), every copy in timeline order with its event
 * id, evidence path:line, offset, length and SHA-256, this one marked, and the
 * basis (record-id or content). Writes nothing for an event without copies.
 * Returns the number of copies (0: none), or -1. */
long tl_event_write_copies(struct tl_store *s, int64_t event_id, FILE *out, struct tl_err *err);
/* A time as shown in text outputs: ISO 8601 in TZ (NULL: UTC, "Z"). */
void tl_time_format_display(tl_us t, const struct tl_tz *tz, int digits, char *buf, size_t len);

/* The canonical digest of all events: SHA-256 of the unfiltered JSONL timeline
 * (the documented contract, in its total order), so it depends on neither the
 * database file's bytes nor the order things were inserted. Returns the number
 * of events, or -1. */
long tl_events_digest(struct tl_store *s, char out[65], struct tl_err *err);

/* Bindings and their conflicts (tl bindings, docs/commands/bindings.md):
 * those of KIND (NULL: all) whose subject or value is the entity EN (NULL:
 * all; type user, host or ip, compared after tl_entity_canon), as a table
 * (TL_OUT_TEXT) or JSONL, with their evidence. A case without any says "none
 * available". Returns the number of bindings written, or -1. */
long tl_bindings_write(struct tl_store *s, const char *kind, const struct tl_entity *en, enum tl_out_format fmt,
		       FILE *out, struct tl_err *err);

#endif
