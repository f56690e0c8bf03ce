/*
 * Gaps and tamper indicators found in the evidence itself, one mechanism for
 * every format. What each format contributes is declared in its definition:
 *   "sequence": the source's own record number (EventRecordID, auditd serial):
 *               a jump or a step back within a file is a sequence break;
 *   "ordered_within": seconds: the source writes records in time order, so a
 *               step back in time larger than that is the clock going backwards
 *               (the value ingest used, stored with each evidence file, not
 *               today's definition);
 *   "maps": {"indicator": ...}: records that are tampering in themselves
 *               (log cleared, logging stopped, audit rules changed).
 * Silences — a time gap far longer than the file's own rhythm — are found for
 * every format.
 */
#ifndef TL_GAPS_H
#define TL_GAPS_H

#include "tl/store.h"
#include "tl/time.h"
#include "tl/util.h"

enum tl_gap_kind { TL_GAP_SEQUENCE, TL_GAP_CLOCK, TL_GAP_SILENCE, TL_GAP_INDICATOR, TL_GAP_KINDS };

struct tl_gap {
	enum tl_gap_kind kind;
	const char *path;   /* evidence file, relative to the case */
	int64_t line;       /* where it shows */
	tl_us ts;           /* the event after the gap (or the indicator event) */
	tl_us prev_ts;      /* the event before it (SILENCE, CLOCK) */
	const char *detail; /* one line, for people */
};

/* Name of KIND: "sequence-break", "clock-backwards", "silence", "tamper-indicator". */
const char *tl_gap_kind_name(enum tl_gap_kind kind);

/* Scan every evidence file of S and call CB for each gap, in order of path
 * then line. COUNTS (may be NULL, TL_GAP_KINDS long) gets totals. Returns the
 * number of gaps, or -1. */
long tl_gaps_scan(struct tl_store *s, int (*cb)(void *ctx, const struct tl_gap *g), void *ctx, long *counts,
		  struct tl_err *err);

#endif
