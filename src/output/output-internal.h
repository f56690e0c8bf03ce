/*
 * Shared by the files of src/output only: copies of one occurrence as the
 * timeline writers see them (src/output/copies-out.c), and the hand-off
 * formats Timesketch, l2tcsv and TLN (src/output/formats-ext.c,
 * docs/timeline-formats.md). output.c drives the rows; these render them.
 */
#ifndef TL_OUTPUT_INTERNAL_H
#define TL_OUTPUT_INTERNAL_H

#include "tl/output.h"

/* The copies of the row being written: every copy's evidence in timeline
 * order (at most TL_COPIES_LISTED of them; N counts all). */
#define TL_COPIES_LISTED 256
struct tl_copy_ev {
	char *path, *sha256;
	int64_t line, offset;
	tl_us ts;
};
struct tl_copy_group {
	int64_t occurrence;
	size_t n, listed;
	const char *basis;
	struct tl_copy_ev ev[TL_COPIES_LISTED];
};

/* Per timeline run: which occurrences were shown already. NULL from _new with
 * no error when there is nothing to do (MODE 0, or the case has no copies). */
struct tl_copyset;
struct tl_copyset *tl_copyset_new(struct tl_store *s, int mode, struct tl_err *err);
void tl_copyset_free(struct tl_copyset *cs);
/* Decide for row R (rows come in timeline order, backwards with REVERSE):
 * 1 write it, 0 skip it (a copy of an occurrence already written), -1 error.
 * After 1, *G is R's group, or NULL when R is no copy. */
int tl_copyset_row(struct tl_copyset *cs, const struct tl_event_row *r, int reverse,
		   const struct tl_copy_group **g, struct tl_err *err);

/* ,"copies":[{"path","line","offset","sha256"},...],"copies_basis":"..." */
void tl_copies_put_json(struct tl_buf *b, const struct tl_copy_group *g);
/* The JSON array alone (CSV cells, Timesketch attribute). */
void tl_copies_put_array(struct tl_buf *b, const struct tl_copy_group *g);
/* The text timeline's marker: "  ×N [other copies' path:line ...]". */
void tl_copies_put_text(struct tl_buf *b, const struct tl_copy_group *g, const struct tl_event_row *r);

/* The hand-off formats: header (nothing for TLN and Timesketch JSONL) and one row. */
void tl_ext_header(struct tl_buf *b, enum tl_out_format fmt, int tags, int copies);
void tl_ext_row(struct tl_buf *b, enum tl_out_format fmt, const struct tl_event_row *r, const struct tl_copy_group *g,
		int csv_raw, int tags, int copies);

#endif
