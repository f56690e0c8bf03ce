/*
 * Where an event's record sits on its evidence line, without an index on
 * (file_id, line, offset) (schema v12, docs/schema.md#event-runs).
 *
 * The single writer stores a file's events in record order, so a file's
 * events are a few runs of consecutive ids. event_runs holds each run: a
 * run ends where the file changes, an id is skipped, or the line or the
 * offset goes back (a grouping parser may finish its groups out of order;
 * a C parser may give an offset of 0). Within a run the lines and offsets
 * never decrease, so the records of a line are a range of ids found by
 * binary search on rowid (about 20 point lookups on a run of a million
 * events), and a record's place among them by a second binary search on
 * the offset. This replaces events_line: 17 MB and a tenth of the index
 * build on 1 M Squid lines (docs/performance.md).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "store-internal.h"
#include "tl/banned.h"

/* runs of one line kept in the cache; a line spread over more (a pathological
 * interleaving) is counted by a scan of the file's events instead */
#define LINE_RUNS_MAX 64

struct tl_line_index {
	sqlite3 *db;
	sqlite3_stmt *runs, *probe, *scan, *nth;
	int64_t file_id, line; /* the line cached, file_id 0 none */
	size_t nruns;
	int many;              /* more than LINE_RUNS_MAX runs hold the line */
	int64_t a[LINE_RUNS_MAX], b[LINE_RUNS_MAX]; /* the id ranges of the runs that hold it */
	int64_t last_id, last_line, last_offset;    /* the last probe: neighbours are probed twice */
	int last_found;
};

void tl_line_index_free(struct tl_line_index *x)
{
	if (!x)
		return;
	sqlite3_finalize(x->runs);
	sqlite3_finalize(x->probe);
	sqlite3_finalize(x->scan);
	sqlite3_finalize(x->nth);
	free(x);
}

struct tl_line_index *tl_line_index_new(sqlite3 *db, struct tl_err *err)
{
	struct tl_line_index *x = calloc(1, sizeof(*x));
	if (!x) {
		tl_errf(err, "out of memory");
		return NULL;
	}
	x->db = db;
	x->last_id = -1;
	if (sqlite3_prepare_v2(db,
			       "SELECT first_id, last_id FROM event_runs WHERE file_id = ?1 AND first_line <= ?2 "
			       "AND last_line >= ?2 ORDER BY first_id",
			       -1, &x->runs, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT line, offset FROM event_rows WHERE id = ?1", -1, &x->probe, NULL) !=
		    SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "SELECT coalesce(sum(offset <= ?3), 0), count(*) FROM event_rows WHERE file_id = ?1 AND "
			       "line = ?2",
			       -1, &x->scan, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "SELECT id FROM event_rows WHERE file_id = ?1 AND line = ?2 ORDER BY offset, id "
			       "LIMIT 1 OFFSET ?3",
			       -1, &x->nth, NULL) != SQLITE_OK) {
		tl_errf(err, "line lookup: %s", sqlite3_errmsg(db));
		tl_line_index_free(x);
		return NULL;
	}
	return x;
}

/* The line and offset of event ID: 1, 0 when there is none, -1 on error. */
static int probe(struct tl_line_index *x, int64_t id, int64_t *line, int64_t *offset, struct tl_err *err)
{
	if (id == x->last_id) {
		*line = x->last_line;
		*offset = x->last_offset;
		return x->last_found;
	}
	sqlite3_stmt *st = x->probe;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*line = sqlite3_column_int64(st, 0);
		*offset = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return tl_errf(err, "line lookup: %s", sqlite3_errmsg(x->db));
	x->last_id = id;
	x->last_line = *line;
	x->last_offset = *offset;
	x->last_found = rc == SQLITE_ROW;
	return x->last_found;
}

/* Whether event ID of a run is past the key: its line above LINE, or with
 * BY_OFFSET, on LINE with its offset above OFFSET. 1, 0, -1 on error. */
static int past(struct tl_line_index *x, int64_t id, int64_t line, int by_offset, int64_t offset, struct tl_err *err)
{
	int64_t l = 0, o = 0;
	int rc = probe(x, id, &l, &o, err);
	if (rc < 0)
		return -1;
	/* a missing id cannot be inside a run: the run is stale, read it as ending there */
	return !rc || l > line || (by_offset && l == line && o > offset);
}

/* The first id of (LO, HI] past the key, knowing LO is not and that the
 * ids past it follow all those that are not (lines and offsets never
 * decrease within a run); HI + 1 when none is. Gallops from LO: a line's
 * records are few next to a run's, so the answer is usually a probe or two
 * away. */
static int first_past(struct tl_line_index *x, int64_t lo, int64_t hi, int64_t line, int by_offset, int64_t offset,
		      int64_t *out, struct tl_err *err)
{
	int64_t step = 1, top = hi + 1;
	while (lo + step <= hi) {
		int rc = past(x, lo + step, line, by_offset, offset, err);
		if (rc < 0)
			return -1;
		if (rc) {
			top = lo + step;
			break;
		}
		lo += step;
		step *= 2;
	}
	/* lo is not past, top is (or hi + 1): halve between them */
	while (top - lo > 1) {
		int64_t mid = lo + (top - lo) / 2;
		int rc = past(x, mid, line, by_offset, offset, err);
		if (rc < 0)
			return -1;
		if (rc)
			top = mid;
		else
			lo = mid;
	}
	*out = top;
	return 0;
}

/* The last id of [A, HI) whose line is below LINE, A - 1 when none is,
 * knowing HI's line is LINE or above: galloping down from HI. */
static int last_before(struct tl_line_index *x, int64_t a, int64_t hi, int64_t line, int64_t *out, struct tl_err *err)
{
	int64_t step = 1, bottom = a - 1;
	while (hi - step >= a) {
		int64_t l = 0, o = 0;
		int rc = probe(x, hi - step, &l, &o, err);
		if (rc < 0)
			return -1;
		if (rc && l < line) {
			bottom = hi - step;
			break;
		}
		hi -= step;
		step *= 2;
	}
	while (hi - bottom > 1) {
		int64_t mid = bottom + (hi - bottom) / 2, l = 0, o = 0;
		int rc = probe(x, mid, &l, &o, err);
		if (rc < 0)
			return -1;
		if (rc && l < line)
			bottom = mid;
		else
			hi = mid;
	}
	*out = bottom;
	return 0;
}

/* The runs that hold (FILE_ID, LINE), cached for the next rows. */
static int line_runs(struct tl_line_index *x, int64_t file_id, int64_t line, struct tl_err *err)
{
	if (x->file_id == file_id && x->line == line)
		return 0;
	x->file_id = 0;
	x->nruns = 0;
	x->many = 0;
	sqlite3_stmt *st = x->runs;
	sqlite3_bind_int64(st, 1, file_id);
	sqlite3_bind_int64(st, 2, line);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (x->nruns == LINE_RUNS_MAX) {
			x->many = 1;
			break;
		}
		x->a[x->nruns] = sqlite3_column_int64(st, 0);
		x->b[x->nruns++] = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return tl_errf(err, "line lookup: %s", sqlite3_errmsg(x->db));
	x->file_id = file_id;
	x->line = line;
	return 0;
}

/* The records of LINE in run [A, B]: ids *LO..*HI (*LO > *HI: none). */
static int run_line(struct tl_line_index *x, int64_t a, int64_t b, int64_t line, int64_t *lo, int64_t *hi,
		    struct tl_err *err)
{
	int64_t l = 0, o = 0;
	int rc = probe(x, a, &l, &o, err);
	if (rc < 0)
		return -1;
	if (!rc || l > line) {
		*lo = a, *hi = a - 1;
		return 0;
	}
	if (l == line)
		*lo = a;
	else if (first_past(x, a, b, line - 1, 0, 0, lo, err))
		return -1;
	if (*lo > b || (rc = probe(x, *lo, &l, &o, err)) <= 0 || l > line) {
		/* no record of LINE in the run */
		*hi = *lo - 1;
		return rc < 0 ? -1 : 0;
	}
	if (first_past(x, *lo, b, line, 0, 0, hi, err))
		return -1;
	(*hi)--;
	return 0;
}

int tl_line_index_place(struct tl_line_index *x, int64_t file_id, int64_t line, int64_t id, int64_t offset,
			int64_t *pos, int64_t *n, struct tl_err *err)
{
	*pos = *n = 0;
	if (line_runs(x, file_id, line, err))
		return -1;
	if (x->many) {
		sqlite3_stmt *st = x->scan;
		sqlite3_bind_int64(st, 1, file_id);
		sqlite3_bind_int64(st, 2, line);
		sqlite3_bind_int64(st, 3, offset);
		int rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*pos = sqlite3_column_int64(st, 0);
			*n = sqlite3_column_int64(st, 1);
		}
		sqlite3_reset(st);
		return rc == SQLITE_ROW ? 0 : tl_errf(err, "line lookup: %s", sqlite3_errmsg(x->db));
	}
	for (size_t i = 0; i < x->nruns; i++) {
		int64_t a = x->a[i], b = x->b[i], lo, hi, upto;
		if (id >= a && id <= b) {
			/* the event's own run: its line's records are around it */
			if (last_before(x, a, id, line, &lo, err) || first_past(x, id, b, line, 1, offset, &upto, err) ||
			    first_past(x, upto - 1, b, line, 0, 0, &hi, err))
				return -1;
			lo++;
			hi--;
		} else {
			if (run_line(x, a, b, line, &lo, &hi, err))
				return -1;
			if (lo > hi)
				continue;
			if (first_past(x, lo, hi, line, 1, offset, &upto, err))
				return -1;
			/* lo itself may be past the offset */
			if (upto == lo + 1 && past(x, lo, line, 1, offset, err) == 1)
				upto = lo;
		}
		*n += hi - lo + 1;
		*pos += upto - lo;
	}
	return 0;
}

int tl_line_index_nth(struct tl_line_index *x, int64_t file_id, int64_t line, int64_t nth, int64_t *id,
		      struct tl_err *err)
{
	*id = 0;
	if (nth < 1)
		return 0;
	if (line_runs(x, file_id, line, err))
		return -1;
	int64_t lo = 0, hi = -1, found = 0;
	for (size_t i = 0; !x->many && i < x->nruns; i++) {
		int64_t l, h;
		if (run_line(x, x->a[i], x->b[i], line, &l, &h, err))
			return -1;
		if (l <= h && found++ == 0)
			lo = l, hi = h;
	}
	if (!x->many && found <= 1) {
		/* within a run, id order is (offset, id) order */
		if (found && nth <= hi - lo + 1)
			*id = lo + nth - 1;
		return *id != 0;
	}
	/* the line's records in several runs: ordered by a scan of the file's events */
	sqlite3_stmt *st = x->nth;
	sqlite3_bind_int64(st, 1, file_id);
	sqlite3_bind_int64(st, 2, line);
	sqlite3_bind_int64(st, 3, nth - 1);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return tl_errf(err, "line lookup: %s", sqlite3_errmsg(x->db));
	return rc == SQLITE_ROW;
}

/* ---- the writer's side ---------------------------------------------------- */

int tl_event_run_extend(struct tl_event_run *r, int64_t id, const struct tl_prov *pv)
{
	int64_t line = (int64_t)pv->line, offset = (int64_t)pv->offset;
	if (!r->open || r->file_id != pv->file_id || id != r->last_id + 1 || line < r->last_line ||
	    offset < r->last_offset)
		return 0;
	r->last_id = id;
	r->last_line = line;
	r->last_offset = offset;
	r->dirty = 1;
	return 1;
}

void tl_event_run_start(struct tl_event_run *r, int64_t id, const struct tl_prov *pv)
{
	r->open = r->dirty = 1;
	r->file_id = pv->file_id;
	r->first_id = r->last_id = id;
	r->first_line = r->last_line = (int64_t)pv->line;
	r->first_offset = r->last_offset = (int64_t)pv->offset;
}

int tl_event_run_write(sqlite3 *db, sqlite3_stmt *st, const struct tl_event_run *r, struct tl_err *err)
{
	sqlite3_bind_int64(st, 1, r->first_id);
	sqlite3_bind_int64(st, 2, r->last_id);
	sqlite3_bind_int64(st, 3, r->file_id);
	sqlite3_bind_int64(st, 4, r->first_line);
	sqlite3_bind_int64(st, 5, r->last_line);
	sqlite3_bind_int64(st, 6, r->first_offset);
	sqlite3_bind_int64(st, 7, r->last_offset);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : tl_errf(err, "case database: recording a run of events: %s", sqlite3_errmsg(db));
}
