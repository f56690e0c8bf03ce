/*
 * Copies: the rules that decide when two events are copies of one occurrence
 * (the same record delivered twice), docs/correlation.md#copies.
 *
 * Both events stay, each with its own provenance; they are linked in the
 * store's copies table (include/tl/store-copies.h), and timelines show the
 * occurrence once with every copy's evidence. Two bases, in this order:
 *
 *   record-id  the source's own identity of the record where it has one:
 *              CloudTrail eventID, Okta uuid, M365 Id, Entra id, GCP insertId,
 *              Windows Channel + Computer + EventRecordID + event ID (in every
 *              Windows form: EVTX, XML, Winlogbeat, NXLog, ...), Zeek uid + ts
 *              (between different files only);
 *   content    otherwise: the same ts, family and normalized fields, between
 *              different evidence files (two identical lines in one file are
 *              two occurrences; the k-th of a file pairs with the k-th of
 *              another).
 *
 * Not copies: files with the same bytes (ingest already records them as
 * `duplicate` and reads them once).
 */
#ifndef TL_COPIES_H
#define TL_COPIES_H

#include <stdint.h>

#include "tl/event.h"
#include "tl/store.h"
#include "tl/util.h"

struct tl_copies_stats {
	int64_t files;        /* evidence files keyed by this run */
	int64_t events;       /* their events */
	int64_t by_record;    /* of those, keyed by the source's record identity */
	int64_t by_content;   /* keyed by content */
	int64_t linked;       /* events linked to an earlier copy */
	int64_t unkeyed;      /* files left unkeyed: nothing can be a copy of their events yet */
	long regrouped;       /* groups repaired after ingest cleared a file */
};

/* Bring the copies of S up to date: key the events not keyed yet that can
 * have copies — every event of a file that may copy its own records or that
 * ingest did not describe, else those in the part of its span that another
 * file of a family it holds covers, widened by 2 s
 * (docs/correlation.md#when-files-are-keyed) — and link them to their copies
 * anywhere in the case, as if every file had been keyed whole. Work is
 * proportional to those events (one indexed look-up each). S is open for
 * writing and not inside a transaction. */
int tl_copies_update(struct tl_store *s, struct tl_copies_stats *st, struct tl_err *err);

/* What ingest learns of a file's events while it stores them, so that a
 * file none of whose events can have a copy is not keyed (the store keeps it
 * with tl_copies_file_scope): SELF when two of its own records may be copies
 * (a record identity other than Zeek's), and FAMILIES, a bit for each family
 * its events hold (hashed to 63 bits) and the top bit for Zeek identities.
 * Start from all zero. */
struct tl_copies_scope {
	int self;
	uint64_t families;
	/* the family and format last added: a file's events share the same
	 * strings, so the per-format part runs once per run of them */
	const char *last_family, *last_format;
};
/* Add event EV, as ingest stores it, to SC. Cheap: runs for every event. */
void tl_copies_scope_add(struct tl_copies_scope *sc, const struct tl_event *ev);

/* The record identity of event R into OUT (empty when it has none), how far
 * apart in time two events with that identity may be and still be copies
 * (*TOLERANCE_US; -1 for no limit), and whether they must come from different
 * evidence files (*OTHER_FILE: an identity that a source may legitimately log
 * twice, such as Zeek's uid+ts). For tests and docs. */
int tl_copies_identity(const struct tl_event_row *r, struct tl_buf *out, int64_t *tolerance_us, int *other_file);

#endif
