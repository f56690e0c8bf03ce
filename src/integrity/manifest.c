/*
 * Manifest, SHA256SUMS and verification (see include/tl/manifest.h).
 *
 * Paths in SHA256SUMS are relative to CASE/out/ (evidence as ../evidence/...)
 * so the folder can be checked where it lies, or after being copied.
 */
#define _POSIX_C_SOURCE 200809L
#include "tl/manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tl/archive.h"
#include "tl/custody.h"
#include "tl/gaps.h"
#include "tl/json.h"
#include "tl/output.h"
#include "tl/replay.h"
#include "tl/store.h"
#include "tl/sums.h"
#include "tl/time.h"
#include "tl/banned.h"

static void jstr(struct tl_buf *b, const char *s)
{
	tl_buf_addc(b, '"');
	tl_json_escape(b, s ? s : "", s ? strlen(s) : 0);
	tl_buf_addc(b, '"');
}

static void jtime(struct tl_buf *b, sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL) {
		tl_buf_adds(b, "null");
		return;
	}
	char iso[40];
	tl_time_format_iso(sqlite3_column_int64(st, col), iso, sizeof(iso));
	tl_buf_addf(b, "\"%s\"", iso);
}

int tl_manifest_write(const struct tl_case *c, const struct tl_formats *fs, const struct tl_manifest_info *info,
		      char *digest_out, struct tl_err *err)
{
	struct tl_store *s = tl_store_open(c->db_path, TL_STORE_READONLY, err);
	if (!s)
		return -1;
	sqlite3 *db = tl_store_db(s);
	struct tl_buf m = TL_BUF_INIT, sums = TL_BUF_INIT;
	struct tl_strlist outs = TL_STRLIST_INIT, rels = TL_STRLIST_INIT, containers = TL_STRLIST_INIT;
	struct tl_custody_file *produced = NULL;
	const char **names = NULL;
	long *seqs = NULL;
	sqlite3_stmt *st = NULL;
	int rc = -1;
	char digest[65];
	long nev = tl_events_digest(db, digest, err);
	if (nev < 0)
		goto cleanup;
	tl_buf_adds(&m, "{\n  \"manifest_version\": 1,\n  \"tool\": {\"name\": \"tl\", \"version\": ");
	jstr(&m, info->tool_version);
	tl_buf_adds(&m, ", \"build\": ");
	jstr(&m, info->build_id);
	tl_buf_addf(&m, "},\n  \"case_config_sha256\": \"%s\",\n  \"formats\": [", c->cfg.sha256);
	if (sqlite3_prepare_v2(db, "SELECT DISTINCT format FROM evidence_files WHERE format IS NOT NULL ORDER BY format",
			       -1, &st, NULL) != SQLITE_OK) {
		tl_errf(err, "manifest: %s", sqlite3_errmsg(db));
		goto cleanup;
	}
	int first = 1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const struct tl_format *f = tl_formats_find(fs, name);
		tl_buf_adds(&m, first ? "\n    {\"name\": " : ",\n    {\"name\": ");
		first = 0;
		jstr(&m, name);
		if (f) {
			/* a case format's origin is its path: keep it relative to the case */
			const char *origin = tl_format_origin(f);
			size_t rl = strlen(c->root);
			if (!strncmp(origin, c->root, rl) && origin[rl] == '/')
				origin += rl + 1;
			tl_buf_adds(&m, ", \"version\": ");
			jstr(&m, tl_format_version(f));
			tl_buf_adds(&m, ", \"origin\": ");
			jstr(&m, origin);
			tl_buf_addf(&m, ", \"sha256\": \"%s\"}", tl_format_sha256(f));
		} else {
			tl_buf_adds(&m, ", \"missing\": true}");
		}
	}
	sqlite3_finalize(st);
	tl_buf_adds(&m, "\n  ],\n  \"evidence\": [");
	if (sqlite3_prepare_v2(db,
			       "SELECT path, size, sha256, format, status, records, events, rejects, meta, first_ts, last_ts, "
			       "container, container_sha256, member FROM evidence_files ORDER BY path",
			       -1, &st, NULL) != SQLITE_OK) {
		tl_errf(err, "manifest: %s", sqlite3_errmsg(db));
		st = NULL;
		goto cleanup;
	}
	first = 1;
	long long tot[4] = { 0 };
	long files = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *path = (const char *)sqlite3_column_text(st, 0);
		const char *sha = (const char *)sqlite3_column_text(st, 2);
		tl_buf_adds(&m, first ? "\n    {\"path\": " : ",\n    {\"path\": ");
		first = 0;
		jstr(&m, path);
		tl_buf_addf(&m, ", \"size\": %lld, \"sha256\": \"%s\", \"format\": ", (long long)sqlite3_column_int64(st, 1),
			    sha);
		if (sqlite3_column_type(st, 3) == SQLITE_NULL)
			tl_buf_adds(&m, "null");
		else
			jstr(&m, (const char *)sqlite3_column_text(st, 3));
		tl_buf_adds(&m, ", \"status\": ");
		jstr(&m, (const char *)sqlite3_column_text(st, 4));
		long long r = sqlite3_column_int64(st, 5), e = sqlite3_column_int64(st, 6), j = sqlite3_column_int64(st, 7),
			  x = sqlite3_column_int64(st, 8);
		tl_buf_addf(&m, ", \"records\": %lld, \"events\": %lld, \"rejects\": %lld, \"meta\": %lld, \"first_ts\": ", r,
			    e, j, x);
		jtime(&m, st, 9);
		tl_buf_adds(&m, ", \"last_ts\": ");
		jtime(&m, st, 10);
		const char *container = (const char *)sqlite3_column_text(st, 11);
		const char *csha = (const char *)sqlite3_column_text(st, 12);
		if (container) {
			/* an archive member: SHA256SUMS names the archive, which sha256sum can check */
			tl_buf_adds(&m, ", \"container\": ");
			jstr(&m, container);
			tl_buf_addf(&m, ", \"container_sha256\": \"%s\", \"member\": ", csha ? csha : "");
			jstr(&m, (const char *)sqlite3_column_text(st, 13));
		}
		tl_buf_addc(&m, '}');
		tot[0] += r, tot[1] += e, tot[2] += j, tot[3] += x;
		files++;
		char rel[4200];
		snprintf(rel, sizeof(rel), "../%s", container ? container : path);
		/* an archive is listed once, also when a row of its own (it could not be
		 * read whole) sorts right before its members' rows */
		int listed = containers.n && !strcmp(containers.v[containers.n - 1], rel);
		for (size_t k = 0; container && k < containers.n && !listed; k++)
			listed = !strcmp(containers.v[k], rel);
		if (!listed)
			tl_strlist_add(&containers, rel);
		if (!listed)
			tl_sums_add_line(&sums, container ? (csha ? csha : "") : sha, rel);
	}
	sqlite3_finalize(st);
	st = NULL;
	tl_buf_addf(&m, "\n  ],\n  \"totals\": {\"files\": %ld, \"records\": %lld, \"events\": %lld, \"rejects\": %lld, "
			"\"meta\": %lld},\n",
		    files, tot[0], tot[1], tot[2], tot[3]);
	if (nev != tot[1]) {
		tl_errf(err, "manifest: the database holds %ld events but its files account for %lld", nev, tot[1]);
		goto cleanup;
	}
	tl_buf_addf(&m, "  \"events_digest\": {\"algorithm\": \"sha256 of the unfiltered timeline JSONL "
			"(docs/timeline-jsonl.md)\", \"events\": %ld, \"sha256\": \"%s\"",
		    nev, digest);
	long gaps[TL_GAP_KINDS];
	if (tl_gaps_scan(db, fs, NULL, NULL, gaps, err) < 0)
		goto cleanup;
	tl_buf_addf(&m, "},\n  \"gaps\": {\"sequence_breaks\": %ld, \"clock_backwards\": %ld, \"silences\": %ld, "
			"\"tamper_indicators\": %ld},\n  \"outputs\": [",
		    gaps[TL_GAP_SEQUENCE], gaps[TL_GAP_CLOCK], gaps[TL_GAP_SILENCE], gaps[TL_GAP_INDICATOR]);
	tl_dir_files(c->out_dir, 1, &outs);
	/* hash every output first, then find what produced them in one read of the log */
	produced = calloc(outs.n + 1, sizeof(*produced));
	names = calloc(outs.n + 1, sizeof(*names));
	seqs = calloc(outs.n + 1, sizeof(*seqs));
	if (!produced || !names || !seqs) {
		tl_errf(err, "out of memory");
		goto cleanup;
	}
	size_t nfiles = 0;
	for (size_t i = 0; i < outs.n; i++) {
		if (!strcmp(outs.v[i], "manifest.json") || !strcmp(outs.v[i], "SHA256SUMS"))
			continue;
		char path[4200], rel[4200];
		snprintf(path, sizeof(path), "%s/%s", c->out_dir, outs.v[i]);
		if (tl_file_sha256(path, produced[nfiles].sha256, err)) {
			char why[sizeof(err->msg)];
			snprintf(why, sizeof(why), "%s", err->msg);
			tl_errf(err, "cannot hash '%s': %s", path, why);
			goto cleanup;
		}
		snprintf(rel, sizeof(rel), "out/%s", outs.v[i]);
		if (tl_strlist_add(&rels, rel)) {
			tl_errf(err, "out of memory");
			goto cleanup;
		}
		produced[nfiles].path = rels.v[rels.n - 1];
		names[nfiles++] = outs.v[i];
	}
	tl_custody_producers(c->root, produced, nfiles, seqs);
	for (size_t i = 0; i < nfiles; i++) {
		tl_buf_adds(&m, i ? ",\n    {\"path\": " : "\n    {\"path\": ");
		jstr(&m, names[i]);
		tl_buf_addf(&m, ", \"sha256\": \"%s\", \"custody_entry\": ", produced[i].sha256);
		if (seqs[i])
			tl_buf_addf(&m, "%ld}", seqs[i]);
		else
			tl_buf_adds(&m, "null}");
		tl_sums_add_line(&sums, produced[i].sha256, names[i]);
	}
	tl_buf_adds(&m, "\n  ]\n}\n");
	char mpath[4200], spath[4200], msha[65];
	snprintf(mpath, sizeof(mpath), "%s/manifest.json", c->out_dir);
	snprintf(spath, sizeof(spath), "%s/SHA256SUMS", c->out_dir);
	tl_sha256_hex(m.data, m.len, msha);
	tl_sums_add_line(&sums, msha, "manifest.json");
	if (mkdir(c->out_dir, 0755) != 0 && errno != EEXIST) {
		tl_errf(err, "cannot create '%s': %s", c->out_dir, strerror(errno));
		goto cleanup;
	}
	if (tl_write_atomic(mpath, m.data, m.len, err) || tl_write_atomic(spath, sums.data, sums.len, err))
		goto cleanup;
	if (digest_out)
		memcpy(digest_out, digest, 65);
	rc = 0;
cleanup:
	sqlite3_finalize(st);
	tl_store_close(s);
	tl_buf_release(&m);
	tl_buf_release(&sums);
	tl_strlist_release(&outs);
	tl_strlist_release(&rels);
	tl_strlist_release(&containers);
	free(produced);
	free(names);
	free(seqs);
	return rc;
}

struct tally {
	FILE *out;
	long ok, failed;
};

static void okline(struct tally *t, const char *what)
{
	fprintf(t->out, "OK   %s\n", what);
	t->ok++;
}

static void failline(struct tally *t, const char *what, const char *why)
{
	fprintf(t->out, "FAIL %s: %s\n", what, why);
	t->failed++;
}

static void check_database(sqlite3 *db, struct tally *t)
{
	sqlite3_stmt *st;
	const char *res = NULL;
	if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		res = (const char *)sqlite3_column_text(st, 0);
	if (res && !strcmp(res, "ok"))
		okline(t, "case.db (SQLite quick_check)");
	else
		failline(t, "case.db", res ? res : sqlite3_errmsg(db));
	sqlite3_finalize(st);
}

/* One archive, scanned once for all its members' rows (include/tl/archive.h). */
struct archive_hashes {
	char rel[4200];
	int state;           /* 0 not scanned, 1 scanned, -1 unreadable */
	char why[512];
	struct tl_strlist names, shas;
};

static int collect_member(void *ctx, const struct tl_member *m, struct tl_archive *a, struct tl_err *err)
{
	struct archive_hashes *h = ctx;
	(void)a;
	(void)err;
	tl_strlist_add(&h->names, m->name);
	tl_strlist_add(&h->shas, m->sha256);
	return 0;
}

static void check_member(const struct tl_case *c, struct archive_hashes *h, const char *rel, const char *want,
			 const char *container, const char *csha, const char *member, struct tally *t)
{
	char path[4200], got[65], why[700];
	struct tl_err e;
	if (strcmp(h->rel, container)) {
		tl_strlist_release(&h->names);
		tl_strlist_release(&h->shas);
		snprintf(h->rel, sizeof(h->rel), "%s", container);
		snprintf(path, sizeof(path), "%s/%s", c->root, container);
		/* the archive's own bytes first: they are what was delivered */
		if (tl_file_sha256(path, got, &e)) {
			snprintf(why, sizeof(why), "cannot read: %s", e.msg);
			failline(t, container, why);
		} else if (strcmp(got, csha ? csha : "")) {
			snprintf(why, sizeof(why), "sha256 is %.16s..., ingest recorded %.16s...", got, csha ? csha : "");
			failline(t, container, why);
		} else {
			snprintf(why, sizeof(why), "%s (archive)", container);
			okline(t, why);
		}
		struct tl_archive_limits lim = { c->cfg.gzip_max_ratio, c->cfg.gzip_max_bytes };
		int rc = tl_archive_scan(path, container, &lim, collect_member, h, &e);
		h->state = rc < 0 ? -1 : 1;
		snprintf(h->why, sizeof(h->why), "%s", rc ? e.msg : "");
	}
	if (h->state < 0) {
		snprintf(why, sizeof(why), "cannot read the archive: %s", h->why);
		failline(t, rel, why);
		return;
	}
	for (size_t i = 0; i < h->names.n; i++)
		if (!strcmp(h->names.v[i], member ? member : "")) {
			const char *sha = h->shas.v[i];
			if (!*want && !*sha)
				snprintf(why, sizeof(why), "%s (refused at ingest and now: not read)", rel);
			else if (strcmp(sha, want))
				break;
			else
				snprintf(why, sizeof(why), "%s", rel);
			okline(t, why);
			return;
		}
	for (size_t i = 0; i < h->names.n; i++)
		if (!strcmp(h->names.v[i], member ? member : "")) {
			snprintf(why, sizeof(why), "sha256 is %.16s..., ingest recorded %.16s...", h->shas.v[i], want);
			failline(t, rel, why);
			return;
		}
	failline(t, rel, h->state && h->why[0] ? h->why : "no such member in the archive");
}

static void check_evidence(const struct tl_case *c, sqlite3 *db, struct tally *t)
{
	sqlite3_stmt *st;
	struct archive_hashes ah = { .state = 0 };
	if (sqlite3_prepare_v2(db, "SELECT path, sha256, container, container_sha256, member FROM evidence_files "
				   "ORDER BY path", -1, &st, NULL) != SQLITE_OK) {
		failline(t, "case.db", sqlite3_errmsg(db));
		return;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *rel = (const char *)sqlite3_column_text(st, 0), *want = (const char *)sqlite3_column_text(st, 1);
		const char *container = (const char *)sqlite3_column_text(st, 2);
		char path[4200], got[65], why[600];
		struct tl_err e;
		if (container) {
			check_member(c, &ah, rel, want, container, (const char *)sqlite3_column_text(st, 3),
				     (const char *)sqlite3_column_text(st, 4), t);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", c->root, rel);
		if (tl_file_sha256(path, got, &e)) {
			snprintf(why, sizeof(why), "cannot read: %s", e.msg);
			failline(t, rel, why);
		} else if (strcmp(got, want)) {
			snprintf(why, sizeof(why), "sha256 is %.16s..., ingest recorded %.16s...", got, want);
			failline(t, rel, why);
		} else {
			okline(t, rel);
		}
	}
	sqlite3_finalize(st);
	tl_strlist_release(&ah.names);
	tl_strlist_release(&ah.shas);
}

/* Each line of SHA256SUMS: the file it names, re-hashed. */
static void check_sums(const struct tl_case *c, struct tally *t)
{
	char spath[4200];
	struct tl_buf text = TL_BUF_INIT;
	struct tl_err e;
	snprintf(spath, sizeof(spath), "%s/SHA256SUMS", c->out_dir);
	if (access(spath, F_OK) != 0) {
		fprintf(t->out, "note: no out/SHA256SUMS yet (tl manifest writes it); outputs not checked\n");
		return;
	}
	struct tl_sums sums;
	if (tl_read_file(spath, 64u << 20, &text, &e) || tl_sums_parse(text.data ? text.data : "", text.len, &sums)) {
		failline(t, "out/SHA256SUMS", e.msg);
		tl_buf_release(&text);
		return;
	}
	if (sums.bad) {
		char why[80];
		snprintf(why, sizeof(why), "%u malformed lines, the first at line %u", sums.bad, sums.first_bad);
		failline(t, "out/SHA256SUMS", why);
	}
	for (size_t i = 0; i < sums.n; i++) {
		char path[8300], got[65], what[4200], why[600];
		snprintf(path, sizeof(path), "%s/%s", c->out_dir, sums.v[i].name);
		snprintf(what, sizeof(what), "out/SHA256SUMS: %s", sums.v[i].name);
		if (tl_file_sha256(path, got, &e)) {
			snprintf(why, sizeof(why), "cannot read: %s", e.msg);
			failline(t, what, why);
		} else if (strcmp(got, sums.v[i].sha)) {
			snprintf(why, sizeof(why), "sha256 is %.16s..., the manifest recorded %.16s...", got, sums.v[i].sha);
			failline(t, what, why);
		} else {
			okline(t, what);
		}
	}
	tl_sums_release(&sums);
	tl_buf_release(&text);
}

static void check_digest(const struct tl_case *c, sqlite3 *db, struct tally *t)
{
	char mpath[4200], got[65], why[600];
	snprintf(mpath, sizeof(mpath), "%s/manifest.json", c->out_dir);
	FILE *f = fopen(mpath, "rb");
	if (!f)
		return;
	struct tl_buf b = TL_BUF_INIT;
	char chunk[65536];
	size_t n;
	b.max = 1u << 30;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && !tl_buf_add(&b, chunk, n))
		;
	fclose(f);
	struct tl_err e;
	struct tl_json *j = tl_json_parse("out/manifest.json", b.data ? b.data : "", b.len, &e);
	const struct tl_json *d = j ? tl_json_get(tl_json_get(j, "events_digest"), "sha256") : NULL;
	if (!d || d->type != TL_JSON_STRING) {
		failline(t, "out/manifest.json", j ? "no events_digest" : e.msg);
	} else if (tl_events_digest(db, got, &e) < 0) {
		failline(t, "events digest", e.msg);
	} else if (strcmp(got, d->str)) {
		snprintf(why, sizeof(why), "the database's events now digest to %.16s..., the manifest recorded %.16s...",
			 got, d->str);
		failline(t, "events digest", why);
	} else {
		okline(t, "events digest (database events = manifest)");
	}
	tl_json_free(j);
	tl_buf_release(&b);
}

/* The steps of replay.tl must be the ones the custody log says were taken:
 * every successful command that wrote outputs (but manifest and package,
 * which are not steps), in order, with the same output hashes. A swapped,
 * removed or edited step shows here. Steps before the first recorded one
 * came with the case (a fixture's committed replay.tl) and are only noted. */
struct recorded {
	const struct tl_json *outs;
	const char *seq;
};

static int step_matches(const struct tl_replay_step *st, const struct tl_json *outs)
{
	if (st->n_expect != outs->n)
		return 0;
	for (size_t k = 0; k < outs->n; k++) {
		const struct tl_json *op = tl_json_get(outs->kids[k], "path"), *oh = tl_json_get(outs->kids[k], "sha256");
		if (!op || !oh || op->type != TL_JSON_STRING || oh->type != TL_JSON_STRING ||
		    strcmp(op->str, st->expect[k].path) || strcmp(oh->str, st->expect[k].sha256))
			return 0;
	}
	return 1;
}

static int is_step(const struct tl_json *j)
{
	const struct tl_json *ex = tl_json_get(j, "exit"), *argv = tl_json_get(j, "argv"), *outs = tl_json_get(j, "outputs");
	return ex && ex->type == TL_JSON_NUMBER && !strcmp(ex->str, "0") && argv && argv->type == TL_JSON_ARRAY &&
	       argv->n > 1 && argv->kids[1]->type == TL_JSON_STRING && tl_replay_is_step(argv->kids[1]->str) && outs && outs->type == TL_JSON_ARRAY && outs->n > 0;
}

static void check_replay(const struct tl_case *c, struct tally *t)
{
	struct tl_replay rp;
	struct tl_err e;
	char path[4200], what[200];
	snprintf(path, sizeof(path), "%s/custody.jsonl", c->root);
	if (tl_replay_load(c->root, &rp, &e)) {
		failline(t, "replay.tl", e.msg);
		return;
	}
	struct tl_buf log = TL_BUF_INIT;
	struct tl_json **entries = NULL;
	struct recorded *rec = NULL;
	size_t nent = 0, nrec = 0;
	if (access(path, F_OK) == 0 && tl_read_file(path, 1u << 30, &log, &e) == 0) {
		size_t start = 0;
		for (size_t i = 0; i < log.len; i++) {
			if (log.data[i] != '\n')
				continue;
			struct tl_json *j = tl_json_parse("custody.jsonl", log.data + start, i - start, &e);
			start = i + 1;
			if (!j)
				continue; /* the chain check reports it */
			struct tl_json **ne = realloc(entries, (nent + 1) * sizeof(*ne));
			struct recorded *nr = realloc(rec, (nrec + 1) * sizeof(*nr));
			if (ne)
				entries = ne;
			if (nr)
				rec = nr;
			if (!ne || !nr) {
				tl_json_free(j);
				break;
			}
			entries[nent++] = j;
			if (is_step(j)) {
				const struct tl_json *sq = tl_json_get(j, "seq");
				rec[nrec].outs = tl_json_get(j, "outputs");
				rec[nrec++].seq = sq ? sq->str : "?";
			}
		}
	}
	int bad = 0;
	if (rp.n < nrec) {
		failline(t, "replay.tl", "has fewer steps than the custody log recorded (a step was removed)");
		bad = 1;
	}
	size_t first = rp.n >= nrec ? rp.n - nrec : 0;
	for (size_t k = 0; !bad && k < nrec; k++) {
		if (step_matches(&rp.steps[first + k], rec[k].outs))
			continue;
		snprintf(what, sizeof(what), "replay.tl step %zu", first + k + 1);
		failline(t, what, "does not match the custody entry that recorded it (edited, swapped or removed)");
		fprintf(t->out, "     (custody entry %s)\n", rec[k].seq);
		bad = 1;
	}
	if (!bad) {
		snprintf(what, sizeof(what), "replay.tl (%zu steps as the custody log recorded them%s)", nrec,
			 first ? "; earlier steps came with the case" : "");
		okline(t, what);
	}
	for (size_t i = 0; i < nent; i++)
		tl_json_free(entries[i]);
	free(entries);
	free(rec);
	tl_replay_release(&rp);
	tl_buf_release(&log);
}

long tl_verify(const struct tl_case *c, FILE *out, struct tl_err *err)
{
	struct tally t = { out, 0, 0 };
	struct tl_store *s = tl_store_open(c->db_path, TL_STORE_READONLY, err);
	if (s) {
		sqlite3 *db = tl_store_db(s);
		check_database(db, &t);
		check_evidence(c, db, &t);
		check_digest(c, db, &t);
		tl_store_close(s);
	} else {
		failline(&t, "case.db", err->msg);
	}
	check_sums(c, &t);
	check_replay(c, &t);
	long entries;
	struct tl_err e;
	long bad = tl_custody_verify(c->root, out, &entries, &e);
	if (bad < 0) {
		failline(&t, "custody.jsonl", e.msg);
	} else if (bad) {
		t.failed += bad;
	} else {
		char what[80];
		snprintf(what, sizeof(what), "custody.jsonl (%ld entries, chain intact)", entries);
		okline(&t, what);
	}
	fprintf(out, "verify: %ld ok, %ld failed\n", t.ok, t.failed);
	return t.failed;
}
