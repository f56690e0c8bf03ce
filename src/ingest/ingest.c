/*
 * The ingest pipeline (see include/tl/ingest.h): walk -> hash -> classify ->
 * detect -> frame -> parse -> store, one file at a time, in sorted order.
 *
 * Memory is bounded by the reader's window and one record's parse arena; the
 * database sees large transactions of prepared inserts.
 */
#define _POSIX_C_SOURCE 200809L
#include "tl/ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tl/archive.h"
#include "tl/correlate.h"
#include "tl/copies.h"
#include "tl/detect.h"
#include "tl/entities.h"
#include "tl/reader.h"
#include "tl/store.h"
#include "tl/store-copies.h"
#include "tl/time.h"
#include "tl/writer.h"
#include "tl/banned.h"

#define COMMIT_EVERY 200000
#define EXCERPT_BYTES 256

/* What the walker met on the way, as ingest reports it. */
struct walk_log {
	FILE *log;
	struct tl_ingest_summary *sum;
};

static void walk_problem(void *ctx, enum tl_walk_problem what, const char *rel, int errnum)
{
	struct walk_log *w = ctx;
	switch (what) {
	case TL_WALK_UNREADABLE:
		fprintf(w->log, "error: cannot read '%s': %s\n", rel, strerror(errnum));
		w->sum->failed++;
		break;
	case TL_WALK_DIR_UNREADABLE:
		fprintf(w->log, "error: cannot read directory '%s': %s\n", rel, strerror(errnum));
		w->sum->failed++;
		break;
	case TL_WALK_BROKEN_LINK:
		fprintf(w->log, "error: broken symbolic link '%s'\n", rel);
		w->sum->failed++;
		break;
	case TL_WALK_LINK_OUTSIDE:
		fprintf(w->log, "warning: '%s' links outside the case; not followed (use --follow-symlinks)\n", rel);
		break;
	case TL_WALK_LOOP:
		fprintf(w->log, "warning: '%s' is a directory already walked (symlink loop?); skipped\n", rel);
		break;
	case TL_WALK_TOO_DEEP:
		fprintf(w->log, "warning: '%s': directories nested too deep; skipped\n", rel);
		break;
	}
}

/* Every file below REL (relative to the case root), hidden ones too: they are evidence. */
static void walk(const struct tl_case *c, const char *rel, const struct tl_ingest_opts *o, struct tl_strlist *out,
		 FILE *log, struct tl_ingest_summary *sum)
{
	struct walk_log wl = { log, sum };
	struct tl_walk_opts wo = { .recurse = 1, .follow_outside = o->follow_symlinks, .boundary = c->root,
				   .report = walk_problem, .ctx = &wl };
	tl_walk(c->root, rel, &wo, out);
}


struct ingest_run {
	char remembered[128]; /* the format forced with --format when this file was ingested before */
	struct tl_case *c;
	const struct tl_formats *fs;
	const struct tl_ingest_opts *o;
	struct tl_store *store; /* touched here only while the writer is synced */
	struct tl_writer *w;
	magic_t magic;
	FILE *log;
	struct tl_ingest_summary *sum;
	uint64_t total_bytes, done_bytes;
	size_t nfiles, fileno;
	double t0, last_progress;
	/* archive members (src/ingest/archive.c): the archive being read and the
	 * member whose bytes the reader takes, NULL for a plain file */
	const char *container, *container_sha256;
	struct tl_archive *member;
	int fatal;
	struct tl_copies_scope scope; /* what copies keying needs of the file being read */
};

static void progress(struct ingest_run *r, uint64_t file_pos, int final)
{
	if (!r->o->progress)
		return;
	double now = tl_now_monotonic();
	if (!final && now - r->last_progress < 0.5)
		return;
	r->last_progress = now;
	double el = now - r->t0 > 1e-6 ? now - r->t0 : 1e-6;
	uint64_t done = r->done_bytes + file_pos;
	double mbs = done / el / 1e6;
	double eta = done && r->total_bytes > done ? (r->total_bytes - done) / (done / el) : 0;
	fprintf(r->log, "\r%zu/%zu files  %.1f MB/s  %.0f events/s  %lld rejects  ETA %.0fs   %s", r->fileno,
		r->nfiles, mbs, r->sum->events / el, (long long)r->sum->rejects, eta, final ? "\n" : "");
	fflush(r->log);
}

static int reparse_wanted(const struct tl_ingest_opts *o, const char *rel, const char *format)
{
	if (!o->reparse)
		return 0;
	const char *only = o->reparse_only;
	if (!only)
		return 1;
	size_t n = strlen(only);
	while (n > 1 && only[n - 1] == '/')
		n--;
	return !strcmp(format, only) || (!strncmp(rel, only, n) && (rel[n] == 0 || rel[n] == '/' || rel[n] == '!'));
}

static const struct tl_format *choose_format(struct ingest_run *r, const char *abs,
					     struct tl_file_info *fi, const struct tl_source_settings *ss,
					     char **detection, struct tl_err *err)
{
	/* a format the analyst forced on this file once stays its format */
	const char *forced = r->o->format ? r->o->format : r->remembered[0] ? r->remembered : ss->format;
	if (forced) {
		const struct tl_format *f = tl_formats_find(r->fs, forced);
		fi->format_rule = r->o->format || r->remembered[0] ? "--format" : "config";
		fi->confidence = 100;
		if (!f)
			tl_errf(err, "unknown format '%s' (see tl formats)", forced);
		return f;
	}
	/* detection proves itself on sampled records (src/ingest/detect.c); a
	 * member is judged on its first TL_DETECT_MEMBER_BYTES, peeked from the
	 * archive (read again from its start when it is ingested) */
	struct tl_detection d;
	const struct tl_format *f = NULL;
	int drc;
	memset(&d, 0, sizeof(d));
	if (r->member) {
		char *buf = malloc(TL_DETECT_MEMBER_BYTES);
		long n = buf ? tl_archive_peek(r->member, buf, TL_DETECT_MEMBER_BYTES, err) : tl_errf(err, "out of memory");
		drc = n < 0 ? -1 : tl_detect_buffer(r->fs, buf, (size_t)n, fi->mtime, &d, err);
		free(buf);
	} else {
		drc = tl_detect_file(r->fs, abs, &d, err);
	}
	if (drc == 0) {
		if (!r->member)
			fi->compression = d.compression;
		fi->confidence = d.confidence;
		fi->format_rule = "detected";
		f = d.format;
		if (!f)
			tl_errf(err, "%s", d.reason);
		*detection = d.json;
		d.json = NULL;
	}
	tl_detection_release(&d);
	return f;
}

static int reject(struct ingest_run *r, const struct tl_prov *pv, const struct tl_record *rec, const char *why,
		  struct tl_file_counts *fc)
{
	size_t n = rec->raw_len < EXCERPT_BYTES ? rec->raw_len : EXCERPT_BYTES;
	fc->rejects++;
	return tl_writer_add_reject(r->w, pv, why, rec->raw, n);
}

static int store_event(struct ingest_run *r, struct tl_event *ev, const struct tl_prov *pv, int64_t skew,
		       struct tl_file_counts *fc)
{
	ev->ts_skew_us = skew;
	ev->ts += skew;
	if (!fc->events || ev->ts < fc->first_ts)
		fc->first_ts = ev->ts;
	if (!fc->events || ev->ts > fc->last_ts)
		fc->last_ts = ev->ts;
	fc->events++;
	tl_copies_scope_add(&r->scope, ev);
	return tl_writer_add_event(r->w, ev, pv);
}

/* Events of record groups that a grouping parser (auditd) has finished: each
 * carries the provenance of its group's first record. */
static int store_ready(struct ingest_run *r, struct tl_parse *p, struct tl_prov *pv, int64_t skew,
		       struct tl_file_counts *fc)
{
	struct tl_event ev;
	struct tl_record origin;
	struct tl_err err;
	enum tl_parse_status st;
	while ((st = tl_parse_ready(p, &ev, &origin, &err)) != TL_PARSE_META) {
		pv->line = origin.line;
		pv->offset = origin.offset;
		pv->length = origin.length;
		memcpy(pv->sha256, origin.sha256, 65);
		pv->has_sha_bin = 0; /* a parser's own record: the hex is what it gave */
		if (st == TL_PARSE_EVENT ? store_event(r, &ev, pv, skew, fc) : reject(r, pv, &origin, err.msg, fc))
			return -1;
	}
	return 0;
}

/* Stream one file's records to the writer. Returns 0, -1 if the read failed
 * part-way (ferr says why), -2 if the database writer failed (fatal). */
static int ingest_records(struct ingest_run *r, const char *abs, const struct tl_format *f,
			  struct tl_time_ctx *tctx, int64_t skew, int64_t file_id, struct tl_file_counts *fc,
			  const char **encoding, struct tl_err *ferr)
{
	struct tl_err err;
	struct tl_reader *rd = NULL;
	struct tl_source src = { tl_archive_read, r->member };
	struct tl_parse *p = tl_parse_new(f, tctx, ferr);
	if (!p)
		return -1;
	/* a C parser may read the file itself (a binary format through its library) */
	int own = tl_parse_open(p, r->member ? NULL : abs, ferr);
	if (own < 0 || (!own && !(rd = r->member ? tl_reader_open_source(&src, tl_format_framing(f), ferr)
						 : tl_reader_open(abs, tl_format_framing(f), ferr)))) {
		tl_parse_free(p);
		return -1;
	}
	if (rd) {
		tl_reader_gzip_limits(rd, r->c->cfg.gzip_max_ratio, r->c->cfg.gzip_max_bytes);
		*encoding = tl_reader_encoding(rd);
	}
	/* with a second core, the records are read (and hashed) ahead in a
	 * thread of their own; parsing stays here, in record order */
	struct tl_reader_ahead *ra = rd && r->o->threads != 1 ? tl_reader_ahead_start(rd) : NULL;
	struct tl_record rec;
	struct tl_event ev;
	struct tl_prov pv;
	int rc;
	pv.file_id = file_id;
	while ((rc = ra ? tl_reader_ahead_next(ra, &rec, ferr) : rd ? tl_reader_next(rd, &rec, ferr)
								    : tl_parse_next(p, &rec, ferr)) == 1) {
		pv.line = rec.line;
		pv.offset = rec.offset;
		pv.length = rec.length;
		memcpy(pv.sha256, rec.sha256, 65);
		/* the reader's records carry the bytes too; a C parser's own give the hex only */
		pv.has_sha_bin = rd && rec.has_sha_bin;
		if (pv.has_sha_bin)
			memcpy(pv.sha_bin, rec.sha_bin, 32);
		enum tl_parse_status st = tl_parse_record(p, &rec, &ev, &err);
		if (st == TL_PARSE_META) {
			fc->meta++;
			continue;
		}
		fc->records++;
		int wrc = 0;
		if (st == TL_PARSE_REJECT)
			wrc = reject(r, &pv, &rec, err.msg, fc);
		else if (st == TL_PARSE_EVENT)
			wrc = store_event(r, &ev, &pv, skew, fc);
		else if (st == TL_PARSE_MERGED)
			fc->merged++; /* PENDING: counted when its group comes out */
		if (wrc || store_ready(r, p, &pv, skew, fc)) {
			rc = -2;
			break;
		}
		if ((fc->records & 4095) == 0)
			progress(r, ra ? tl_reader_ahead_pos(ra) : rd ? tl_reader_pos(rd) : tl_parse_pos(p), 0);
	}
	tl_reader_ahead_stop(ra);
	/* end of file, or of what could be read: groups still open are events too */
	if (rc != -2) {
		tl_parse_finish(p);
		if (store_ready(r, p, &pv, skew, fc))
			rc = -2;
	}
	fc->bytes = (int64_t)(rd ? tl_reader_pos(rd) : tl_parse_pos(p));
	tl_parse_free(p);
	tl_reader_free(rd);
	return rc == -2 ? -2 : rc < 0 ? -1 : 0;
}

static void add_counts(struct tl_ingest_summary *s, const struct tl_file_counts *c)
{
	s->records += c->records;
	s->events += c->events;
	s->rejects += c->rejects;
	s->merged += c->merged;
	s->meta += c->meta;
	s->bytes += (uint64_t)c->bytes;
}

static int ingest_archive(struct ingest_run *r, const char *rel, const char *abs, const char *sha,
			  const struct stat *st, struct tl_err *err);

/* One evidence file; or, with M, one member of the archive r->container
 * (REL is then "ARCHIVE!/MEMBER" and r->member reads its bytes). */
static int ingest_file(struct ingest_run *r, const char *rel, const struct tl_member *m, struct tl_err *err)
{
	char abs[PATH_MAX], sha[65];
	struct stat st;
	struct tl_err ferr;
	snprintf(abs, sizeof(abs), "%s/%s", r->c->root, m ? r->container : rel);
	r->sum->files++;
	if (m) {
		memset(&st, 0, sizeof(st));
		st.st_size = (off_t)m->size;
		st.st_mtime = (time_t)m->mtime;
		memcpy(sha, m->sha256, 65);
	} else if (stat(abs, &st) != 0 || tl_file_sha256(abs, sha, &ferr)) {
		fprintf(r->log, "error: cannot read '%s': %s\n", rel, errno ? strerror(errno) : ferr.msg);
		r->sum->failed++;
		return 0;
	}
	if (r->o->on_file && !m)
		r->o->on_file(r->o->ctx, rel, sha);
	if (!m) {
		int handled = ingest_archive(r, rel, abs, sha, &st, err);
		if (handled)
			return handled < 0 ? -1 : 0;
	}
	struct tl_file_row row;
	if (tl_writer_sync(r->w, err))
		return -1;
	int known = tl_store_file_get(r->store, rel, &row, err);
	if (known < 0)
		return -1;
	r->remembered[0] = 0;
	if (known && !strcmp(row.format_rule, "--format"))
		snprintf(r->remembered, sizeof(r->remembered), "%s", row.format);
	if (known && !strcmp(row.status, "done") && !strcmp(row.sha256, sha) && reparse_wanted(r->o, rel, row.format)) {
		/* the same evidence read with today's definition: tl_store_file_begin()
		 * replaces the file's events and rejects */
		fprintf(r->log, "%s: re-parsed with %s\n", rel,
			r->o->format ? r->o->format : r->remembered[0] ? r->remembered : "the format detected now");
		r->sum->reparsed++;
	} else if (known && !strcmp(row.status, "done")) {
		if (!strcmp(row.sha256, sha)) {
			if (!r->o->quiet)
				fprintf(r->log, "%s: unchanged since it was ingested (sha256 %.12s...), skipped\n", rel, sha);
			r->sum->unchanged++;
			return 0;
		}
		if (!r->o->new_version) {
			fprintf(r->log, "error: '%s' changed since it was ingested (sha256 was %.12s..., now %.12s...); "
					"refusing to mix versions of evidence (ingest it with --new-version to replace "
					"the old version)\n", rel, row.sha256, sha);
			r->sum->failed++;
			return 0;
		}
		/* the analyst says so: the old version's events go, its record stays */
		fprintf(r->log, "%s: new version (sha256 %.12s... replaces %.12s...; the old one is kept in "
				"superseded_files)\n", rel, sha, row.sha256);
		if (tl_store_file_supersede(r->store, rel, sha, err))
			return -1;
	}
	struct tl_file_info fi = { 0 };
	fi.path = rel;
	fi.size = st.st_size;
	fi.mtime = st.st_mtime;
	fi.sha256 = sha;
	if (m) {
		char head[4096];
		long hn = tl_archive_peek(r->member, head, sizeof(head), &ferr);
		fi.magic = r->magic && hn >= 0 ? magic_buffer(r->magic, head, (size_t)hn) : NULL;
		fi.container = r->container;
		fi.container_sha256 = r->container_sha256;
		fi.member = m->name;
	} else {
		fi.magic = r->magic ? magic_file(r->magic, abs) : NULL;
	}
	char magic_copy[256];
	snprintf(magic_copy, sizeof(magic_copy), "%s", fi.magic ? fi.magic : "unknown");
	fi.magic = magic_copy;
	fi.compression = m ? m->compression : tl_reader_compression_of(magic_copy);
	struct tl_file_counts fc = { 0 };
	int64_t id;
	char dup_of[PATH_MAX];
	if (tl_store_file_by_sha(r->store, sha, dup_of, sizeof(dup_of), err) == 1 && strcmp(dup_of, rel)) {
		if (tl_store_file_begin(r->store, &fi, &id, err))
			return -1;
		snprintf(ferr.msg, sizeof(ferr.msg), "same content as '%s'", dup_of);
		if (!r->o->quiet)
			fprintf(r->log, "%s: same content as '%s', not ingested twice\n", rel, dup_of);
		r->sum->duplicates++;
		return tl_store_file_end(r->store, id, "duplicate", &fc, NULL, ferr.msg, err);
	}
	struct tl_source_settings ss;
	tl_config_for_path(&r->c->cfg, rel, &ss);
	char *detection = NULL;
	const struct tl_format *f = choose_format(r, abs, &fi, &ss, &detection, &ferr);
	fi.detection = detection;
	if (f) {
		fi.format = tl_format_name(f);
		fi.format_version = tl_format_version(f);
		fi.definition_sha256 = tl_format_sha256(f);
		fi.ordered_within_us = tl_format_ordered_within(f);
	}
	int brc = tl_store_file_begin(r->store, &fi, &id, err);
	free(detection);
	fi.detection = NULL;
	if (brc)
		return -1;
	if (!f) {
		int binary = strstr(magic_copy, "text") == NULL && strstr(magic_copy, "JSON") == NULL &&
			     strcmp(magic_copy, "empty") != 0 && fi.size > 0;
		char why[600];
		snprintf(why, sizeof(why), "%s%s", binary ? "binary data; " : "", ferr.msg);
		fprintf(r->log, "error: '%s': not ingested: %s (force one with --format)\n", rel, why);
		r->sum->unsupported++;
		return tl_store_file_end(r->store, id, "unsupported", &fc, NULL, why, err);
	}
	/* zone: the case config for this path, else the format's default, else UTC */
	const char *zname = ss.timezone ? ss.timezone : tl_format_zone(f);
	const char *zsrc = ss.timezone ? "config" : zname ? "format" : "default";
	struct tl_tz *tz = NULL;
	if (zname && tl_tz_load(zname, &tz, ferr.msg, sizeof(ferr.msg))) {
		fprintf(r->log, "error: '%s': time zone '%s': %s\n", rel, zname, ferr.msg);
		r->sum->failed++;
		return tl_store_file_end(r->store, id, "failed", &fc, NULL, ferr.msg, err);
	}
	struct tl_time_ctx tctx;
	tl_time_ctx_init(&tctx, tz, zsrc, ss.year, (int64_t)st.st_mtime);
	tctx.ordered_within_us = tl_format_ordered_within(f); /* the repeated hour goes by file order */
	const char *encoding = "utf-8";
	memset(&r->scope, 0, sizeof(r->scope));
	int rc = ingest_records(r, abs, f, &tctx, ss.skew_us, id, &fc, &encoding, &ferr);
	tl_tz_free(tz);
	/* the file's rows are all stored before its counts are */
	if (tl_writer_sync(r->w, err) || rc == -2)
		return -1;
	add_counts(r->sum, &fc);
	r->done_bytes += m ? 0 : (uint64_t)st.st_size;
	const char *status = "done";
	const char *why = NULL;
	if (rc) {
		status = fc.records || fc.meta ? "partial" : "failed";
		why = ferr.msg;
		fprintf(r->log, "error: '%s': %s%s\n", rel, ferr.msg,
			fc.records ? "; records before that point were kept" : "");
		if (fc.records || fc.meta)
			r->sum->partial++;
		else
			r->sum->failed++;
	} else {
		r->sum->ingested++;
	}
	if (tl_store_file_end(r->store, id, status, &fc, encoding, why, err))
		return -1;
	return fc.events ? tl_copies_file_scope(r->store, id, r->scope.self, r->scope.families, err) : 0;
}

/* A member the archive layer refused: a row saying why, an error line. */
static int record_refused(struct ingest_run *r, const char *path, const struct tl_member *m, struct tl_err *err)
{
	struct tl_file_info fi = { 0 };
	struct tl_file_counts fc = { 0 };
	struct tl_file_row row;
	int64_t id;
	fi.path = path;
	fi.size = (int64_t)m->size;
	fi.mtime = m->mtime;
	fi.sha256 = m->sha256;
	fi.compression = m->compression;
	fi.container = r->container;
	fi.container_sha256 = r->container_sha256;
	fi.member = m->name;
	r->sum->files++;
	if (!strcmp(m->status, "unsupported"))
		r->sum->unsupported++;
	else
		r->sum->failed++;
	char why[700];
	snprintf(why, sizeof(why), "refused: %s", m->refused);
	/* member names are the archive maker's: control bytes shown escaped */
	struct tl_buf shown = TL_BUF_INIT;
	tl_term_escape(&shown, path, strlen(path));
	fprintf(r->log, "error: '%s': %s\n", shown.data ? shown.data : "", why);
	tl_buf_release(&shown);
	if (tl_writer_sync(r->w, err))
		return -1;
	int known = tl_store_file_get(r->store, path, &row, err);
	if (known < 0)
		return -1;
	if (known && !strcmp(row.status, "done"))
		return 0; /* ingested before under other limits: kept */
	if (tl_store_file_begin(r->store, &fi, &id, err))
		return -1;
	return tl_store_file_end(r->store, id, m->status, &fc, NULL, why, err);
}

static int member_cb(void *ctx, const struct tl_member *m, struct tl_archive *a, struct tl_err *err)
{
	struct ingest_run *r = ctx;
	char path[PATH_MAX + TL_ARCHIVE_MAX_NAME + 8];
	snprintf(path, sizeof(path), "%s!/%s", r->container, m->name);
	r->member = a;
	int rc = m->refused ? record_refused(r, path, m, err) : ingest_file(r, path, m, err);
	r->member = NULL;
	if (rc)
		r->fatal = 1;
	return rc;
}

/* An archive's members are evidence files of their own (include/tl/archive.h).
 * Returns 1 when REL was an archive and has been read, 0 when it is not one,
 * -1 on a fatal (database) error. */
static int ingest_archive(struct ingest_run *r, const char *rel, const char *abs, const char *sha,
			  const struct stat *st, struct tl_err *err)
{
	char format[64];
	struct tl_err e = { { 0 } };
	if (tl_archive_probe(abs, format, sizeof(format), &e) != 1)
		return 0;
	struct tl_archive_limits lim = { r->c->cfg.gzip_max_ratio, r->c->cfg.gzip_max_bytes };
	int64_t files_before = r->sum->files;
	r->sum->files--; /* the archive is counted as its members */
	r->container = rel;
	r->container_sha256 = sha;
	r->fatal = 0;
	int rc = tl_archive_each(abs, rel, &lim, member_cb, r, &e);
	r->container = r->container_sha256 = NULL;
	if (r->fatal) {
		tl_errf(err, "%s", e.msg);
		return -1;
	}
	r->done_bytes += (uint64_t)st->st_size;
	if (rc == 0 && r->sum->files > files_before - 1)
		return 1;
	/* nothing of it was read, or not all of it: the archive's own row says why */
	const char *why = rc ? e.msg : "the archive holds no files";
	fprintf(r->log, "error: '%s': %s%s\n", rel, why, r->sum->files > files_before - 1 ? "; the members before that point were read" : "");
	struct tl_file_info fi = { 0 };
	struct tl_file_counts fc = { 0 };
	int64_t id;
	fi.path = rel;
	fi.size = st->st_size;
	fi.mtime = st->st_mtime;
	fi.sha256 = sha;
	fi.magic = format;
	fi.compression = "none";
	r->sum->files++;
	r->sum->failed++;
	if (tl_writer_sync(r->w, err) || tl_store_file_begin(r->store, &fi, &id, err) ||
	    tl_store_file_end(r->store, id, rc ? "failed" : "unsupported", &fc, NULL, why, err))
		return -1;
	return 1;
}

/* Keep the query indexes and update them row by row, or drop them and sort
 * them once at the end? Updating costs per new row (and more as the indexes
 * outgrow the page cache); rebuilding costs per row of the whole case. The
 * crossover, measured on a 1 M-event Squid case (docs/performance.md), is
 * near INDEX_KEEP_PCT % new data: below it an addition costs in proportion to
 * itself, not to the case. New is what is not ingested yet (an unchanged file
 * is skipped); files to be parsed again count as new. */
#define INDEX_KEEP_PCT 25
static int index_plan(struct ingest_run *r, const struct tl_strlist *files, int *rebuild, struct tl_err *err)
{
	int64_t have;
	uint64_t fresh = 0;
	if (r->o->indexes == TL_INDEXES_KEEP || r->o->indexes == TL_INDEXES_REBUILD) {
		*rebuild = r->o->indexes == TL_INDEXES_REBUILD;
		return 0;
	}
	if (tl_store_case_bytes(r->store, &have, err))
		return -1;
	for (size_t i = 0; i < files->n && have > 0; i++) {
		struct stat st;
		char abs[PATH_MAX];
		snprintf(abs, sizeof(abs), "%s/%s", r->c->root, files->v[i]);
		if (stat(abs, &st) != 0)
			continue;
		int known = r->o->reparse ? 0 : tl_store_path_ingested(r->store, files->v[i], err);
		if (known < 0)
			return -1;
		if (!known)
			fresh += (uint64_t)st.st_size;
	}
	*rebuild = have <= 0 || fresh * 100 > (uint64_t)have * INDEX_KEEP_PCT;
	return 0;
}

const char *tl_ingest_phase_name(enum tl_ingest_phase p)
{
	static const char *const names[TL_INGEST_PHASES] = { "load", "index", "copies", "entities", "correlation" };
	return (unsigned)p < TL_INGEST_PHASES ? names[p] : "?";
}

/* Adds the CPU and wall time since MARK to phase P of SUM and moves MARK on
 * (tl ingest --timings: where an ingest's time goes). */
static void phase_end(struct tl_ingest_summary *sum, enum tl_ingest_phase p, double mark[2])
{
	double cpu = tl_now_cpu(), wall = tl_now_monotonic();
	sum->phase[p].cpu += cpu - mark[0];
	sum->phase[p].wall += wall - mark[1];
	mark[0] = cpu;
	mark[1] = wall;
}

/* With a second core, the entities refresh and correlation read the
 * committed events on a second connection in a thread of their own while
 * this one writes (include/tl/store.h). Without it (it could not be opened)
 * the same rows are read on this one. */
static void read_ahead(struct ingest_run *r, const struct tl_ingest_opts *opts)
{
	struct tl_err e;
	if (opts->threads != 1)
		tl_store_read_ahead(r->store, r->c->db_path, &e);
}

/* With a second core, the entities refresh reads and counts the committed
 * events on the reader connection while this one builds the query indexes,
 * which the refresh neither reads nor writes; it writes when the build is
 * done (include/tl/entities.h). NULL: it runs after copies, as with one core. */
static struct tl_entities_early *entities_beside(struct ingest_run *r, const struct tl_ingest_opts *opts)
{
	return opts->threads != 1 ? tl_entities_refresh_start(r->store, &r->c->cfg) : NULL;
}

/* The refresh started beside the index build, written (*RC: the build's
 * result, then the refresh's). 1 when it is done, 0 when it is still to run. */
static int entities_written(struct tl_entities_early *early, int *rc, struct tl_err *err)
{
	int erc = tl_entities_refresh_finish(early, !*rc, *rc ? NULL : err);
	if (!*rc && erc < 0)
		*rc = -1;
	return erc == 0;
}

int tl_ingest(struct tl_case *c, const struct tl_formats *fs, char *const *paths, size_t n,
	      const struct tl_ingest_opts *opts, struct tl_ingest_summary *sum, FILE *log, struct tl_err *err)
{
	memset(sum, 0, sizeof(*sum));
	double mark[2] = { tl_now_cpu(), tl_now_monotonic() };
	/* one ingest per case at a time: a second one says so at once instead of
	 * waiting for the database (readers are not affected: WAL). The lock goes
	 * with the process, however it ends; the file itself stays. */
	char lockpath[PATH_MAX];
	snprintf(lockpath, sizeof(lockpath), "%s/.tl-ingest.lock", c->root);
	int lockfd = open(lockpath, O_RDWR | O_CREAT | O_NOCTTY | O_CLOEXEC, 0644);
	if (lockfd < 0)
		return tl_errf(err, "cannot create lock file '%s': %s", lockpath, strerror(errno));
	if (flock(lockfd, LOCK_EX | LOCK_NB) != 0) {
		int busy = errno == EWOULDBLOCK;
		tl_errf(err, busy ? "case is busy (another tl ingest is running on '%s'); run it again when that one has "
				    "finished"
				  : "cannot lock '%s': %s",
			busy ? c->root : lockpath, strerror(errno));
		close(lockfd);
		return -1;
	}
	struct tl_strlist files = TL_STRLIST_INIT;
	if (n == 0) {
		walk(c, "evidence", opts, &files, log, sum);
	} else {
		for (size_t i = 0; i < n; i++) {
			char rel[PATH_MAX];
			struct tl_err e;
			if (tl_case_relpath(c, paths[i], rel, sizeof(rel), &e)) {
				fprintf(log, "error: %s\n", e.msg);
				sum->failed++;
				continue;
			}
			/* case.db, tl.json and out/ are tl's own files, never evidence */
			if (strcmp(rel, "evidence") && strncmp(rel, "evidence/", 9)) {
				fprintf(log, "error: '%s' is not under the case's evidence/ folder\n", paths[i]);
				sum->failed++;
				continue;
			}
			walk(c, rel, opts, &files, log, sum);
		}
	}
	/* an empty folder is most often evidence copied to the wrong place: say so */
	if (!files.n && !sum->failed)
		fprintf(log, "warning: no evidence files under '%s' (copy them into CASE/evidence/)\n",
			n ? paths[0] : "evidence");
	tl_strlist_sort(&files);
	struct ingest_run r = { 0 };
	r.c = c;
	r.fs = fs;
	r.o = opts;
	r.log = log;
	r.sum = sum;
	r.nfiles = files.n;
	r.t0 = r.last_progress = tl_now_monotonic();
	int rc = 0;
	r.store = tl_store_open(c->db_path, TL_STORE_WRITE, err);
	if (!r.store) {
		rc = -1;
		goto cleanup;
	}
	r.magic = magic_open(MAGIC_NONE);
	if (r.magic && magic_load(r.magic, NULL) != 0) {
		fprintf(log, "warning: libmagic database not loaded: %s\n", magic_error(r.magic));
		magic_close(r.magic);
		r.magic = NULL;
	}
	for (size_t i = 0; i < files.n; i++) {
		struct stat st;
		char abs[PATH_MAX];
		snprintf(abs, sizeof(abs), "%s/%s", c->root, files.v[i]);
		if (stat(abs, &st) == 0)
			r.total_bytes += (uint64_t)st.st_size;
	}
	long commit_every = opts->commit_every > 0 ? opts->commit_every : COMMIT_EVERY;
	/* the index build sorts on helper threads while this one scans the table.
	 * SQLite sorts a run in the scanning thread itself whenever every helper
	 * is busy, so one helper per spare core left the scan waiting on sorts:
	 * with threads + 1 helpers the scan hands every run over
	 * (docs/performance.md#threads: 1 M Squid, main thread 3.3 -> 2.6 s) */
	tl_store_sort_threads(r.store, opts->threads == 1 ? 0 : opts->threads + 1);
	int rebuild = 0;
	if (files.n && index_plan(&r, &files, &rebuild, err)) {
		rc = -1;
		goto cleanup;
	}
	if ((rebuild && tl_store_index_drop(r.store, err)) || tl_store_begin(r.store, err) ||
	    !(r.w = tl_writer_new(r.store, commit_every, opts->threads != 1, err))) {
		rc = -1;
		goto cleanup;
	}
	for (size_t i = 0; i < files.n && !rc; i++) {
		r.fileno = i + 1;
		rc = ingest_file(&r, files.v[i], NULL, err);
	}
	if (tl_writer_free(r.w, rc ? NULL : err))
		rc = -1;
	r.w = NULL;
	if (!rc)
		rc = tl_store_commit(r.store, err);
	phase_end(sum, TL_INGEST_LOAD, mark);
	read_ahead(&r, opts);
	struct tl_entities_early *early = !rc && rebuild ? entities_beside(&r, opts) : NULL;
	if (!rc && rebuild)
		rc = tl_store_index_build(r.store, err);
	phase_end(sum, TL_INGEST_INDEX, mark);
	int counted = early ? entities_written(early, &rc, err) : 0;
	phase_end(sum, TL_INGEST_ENTITIES, mark);
	/* correlation: copies of one occurrence among the files just read */
	struct tl_copies_stats copies;
	if (!rc && files.n)
		rc = tl_copies_update(r.store, &copies, err);
	phase_end(sum, TL_INGEST_COPIES, mark);
	/* correlation is brought up to date with what this run added */
	if (!rc && !counted)
		rc = tl_entities_refresh(r.store, &c->cfg, err);
	phase_end(sum, TL_INGEST_ENTITIES, mark);
	/* bindings and attributions follow the evidence: new files without
	 * binding evidence are only attributed, anything else is recomputed
	 * whole, so a file re-parsed or superseded is reflected (docs/correlation.md) */
	if (!rc) {
		/* the case's asset inventory (tl.json "inventory") gives bindings
		 * that evidence overrides: a fixed address, a host's owner */
		struct tl_inventory_entry *inv = NULL;
		if (c->cfg.n_inventory && !(inv = calloc(c->cfg.n_inventory, sizeof(*inv))))
			rc = tl_errf(err, "out of memory");
		for (size_t i = 0; inv && i < c->cfg.n_inventory; i++) {
			const struct tl_asset *a = &c->cfg.inventory[i];
			inv[i] = (struct tl_inventory_entry){ a->host, a->owner, (const char *const *)a->ips, a->n_ips };
		}
		struct tl_correlate_opts co = { c->cfg.logon_window_us, c->cfg.proxy_window_us, c->cfg.edr_window_us,
						inv, inv ? c->cfg.n_inventory : 0 };
		struct tl_correlate_summary cs;
		struct tl_err ce;
		if (rc) {
			/* out of memory above, already in ERR */
		} else if (tl_correlate(r.store, &co, &cs, &ce)) {
			rc = tl_errf(err, "correlation: %s", ce.msg);
		} else {
			sum->corr_mode = cs.mode;
			sum->corr_why = cs.why;
			sum->corr_rebuilt = cs.rebuilt;
			sum->corr_kept = cs.kept;
			sum->corr_added = cs.added;
			sum->corr_deleted = cs.deleted;
			if (cs.conflicts)
				fprintf(log,
					"warning: %lld binding conflict%s: %lld event%s left unattributed (see tl bindings)\n",
					(long long)cs.conflicts, cs.conflicts == 1 ? "" : "s", (long long)cs.conflicted,
					cs.conflicted == 1 ? "" : "s");
			if (cs.skipped)
				fprintf(log,
					"warning: %lld binding candidate%s or conflict%s past correlation's limits not "
					"used%s%s%s\n",
					(long long)cs.skipped, cs.skipped == 1 ? "" : "s", cs.skipped == 1 ? "" : "s",
					cs.skipped_at[0] ? " (first at '" : "", cs.skipped_at, cs.skipped_at[0] ? "')" : "");
		}
		free(inv);
	}
	phase_end(sum, TL_INGEST_CORRELATE, mark);
	progress(&r, 0, 1);
cleanup:
	tl_writer_free(r.w, NULL);
	sum->seconds = tl_now_monotonic() - r.t0;
	if (r.magic)
		magic_close(r.magic);
	tl_store_close(r.store);
	tl_strlist_release(&files);
	close(lockfd);
	return rc;
}
