/*
 * tl show's copies section (docs/commands/show.md, docs/correlation.md#copies):
 * the other events that are copies of the same occurrence as the one shown,
 * each with the evidence an examiner re-reads to check it. Read through the
 * store's copies functions (include/tl/store-copies.h), in their timeline
 * order (ts, evidence path, offset), so the listing is the same on every run.
 */
#define _POSIX_C_SOURCE 200809L
#include <string.h>

#include "tl/output.h"
#include "tl/store-copies.h"
#include "tl/banned.h"

/* A group is normally two or three copies; a case built from many
 * re-deliveries of one file can make more, and the listing stays readable. */
#define SHOW_MAX 100

long tl_event_write_copies(struct tl_store *s, int64_t event_id, FILE *out, struct tl_err *err)
{
	struct tl_copies_db *db = tl_copies_db_open(s, err);
	if (!db)
		return -1;
	struct tl_buf rows = TL_BUF_INIT;
	rows.max = 4u << 20; /* SHOW_MAX rows of escaped paths */
	long n = -1, count = 0;
	int full = 0;
	int64_t occ;
	int in = tl_copies_group_of(db, event_id, &occ, err);
	if (in <= 0) {
		n = in < 0 ? -1 : 0;
		goto cleanup;
	}
	if (tl_copies_members_begin(db, occ, err))
		goto cleanup;
	/* the basis is known only once every member is read: rows are kept first */
	const char *basis = "record-id";
	const struct tl_copy_member *m;
	int rc;
	while ((rc = tl_copies_members_next(db, &m, err)) == 1) {
		if (!strcmp(m->basis, "content"))
			basis = "content";
		if (count++ >= SHOW_MAX)
			continue;
		full |= tl_buf_addf(&rows, "  %s id %-8lld ", m->event_id == event_id ? "*" : " ", (long long)m->event_id);
		full |= tl_term_escape(&rows, m->path, strlen(m->path));
		full |= tl_buf_addf(&rows, ":%lld  offset %lld, length %lld  sha256 %s\n", (long long)m->line,
				    (long long)m->offset, (long long)m->length, m->sha256);
	}
	if (rc < 0)
		goto cleanup;
	if (full) {
		tl_errf(err, "out of memory listing the copies of event %lld", (long long)event_id);
		goto cleanup;
	}
	if (count < 2) {
		n = 0; /* a group of one (its other copy cleared since): not a copy */
		goto cleanup;
	}
	fprintf(out, "\ncopies (%ld, basis %s; * marks this event):\n", count, basis);
	fwrite(rows.data ? rows.data : "", 1, rows.len, out);
	if (count > SHOW_MAX)
		fprintf(out, "  ... and %ld more\n", count - SHOW_MAX);
	n = count;
cleanup:
	tl_buf_release(&rows);
	tl_copies_db_free(db);
	return n;
}
