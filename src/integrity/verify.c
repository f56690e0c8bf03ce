/*
 * tl verify (see include/tl/verify.h): evidence against the hashes ingest
 * recorded, out/SHA256SUMS, the events digest of out/manifest.json, replay.tl
 * against the custody log, the custody chain and the store's own check. One
 * OK or FAIL line per item on the caller's stream; it decides what to do.
 */
#define _POSIX_C_SOURCE 200809L
#include "tl/verify.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tl/custody.h"
#include "tl/json.h"
#include "tl/output.h"
#include "tl/replay.h"
#include "tl/manifest.h"
#include "tl/sign.h"
#include "tl/store.h"
#include "tl/sums.h"
#include "tl/archive.h"
#include "tl/banned.h"

struct tally {
	FILE *out;
	long ok, failed, stale;
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

static void check_database(struct tl_store *s, struct tally *t)
{
	char res[512];
	if (tl_store_check(s, res, sizeof(res)) == 0)
		okline(t, "case.db (SQLite quick_check)");
	else
		failline(t, "case.db", res);
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
	if (tl_strlist_add(&h->names, m->name) || tl_strlist_add(&h->shas, m->sha256))
		return tl_errf(err, "out of memory");
	return 0;
}

static void check_member(const struct tl_case *c, struct archive_hashes *h, const struct tl_file_rec *f,
			 struct tally *t)
{
	char path[4200], got[65], why[700];
	struct tl_err e;
	const char *rel = f->path, *want = f->sha256, *container = f->container, *member = f->member;
	const char *csha = f->container_sha256 ? f->container_sha256 : "";
	if (strcmp(h->rel, container)) {
		tl_strlist_release(&h->names);
		tl_strlist_release(&h->shas);
		snprintf(h->rel, sizeof(h->rel), "%s", container);
		/* the archive's own bytes first: they are what was delivered */
		if (tl_pathf(path, sizeof(path), &e, "%s/%s", c->root, container)) {
			failline(t, container, e.msg);
			h->state = -1;
			snprintf(h->why, sizeof(h->why), "%s", e.msg);
			goto scanned;
		}
		if (tl_file_sha256(path, got, &e)) {
			snprintf(why, sizeof(why), "cannot read: %s", e.msg);
			failline(t, container, why);
		} else if (strcmp(got, csha)) {
			snprintf(why, sizeof(why), "sha256 is %.16s..., ingest recorded %.16s...", got, csha);
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
scanned:
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

static void check_evidence(const struct tl_case *c, struct tl_store *s, struct tally *t)
{
	struct tl_err qe;
	struct tl_store_iter *it = tl_store_files(s, NULL, &qe);
	const struct tl_file_rec *f;
	struct archive_hashes ah = { .state = 0 };
	if (!it) {
		failline(t, "case.db", qe.msg);
		return;
	}
	while (tl_store_next_file(it, &f, &qe) == 1) {
		const char *rel = f->path, *want = f->sha256;
		char path[4200], got[65], why[600];
		struct tl_err e;
		if (f->container) {
			check_member(c, &ah, f, t);
			continue;
		}
		if (tl_pathf(path, sizeof(path), &e, "%s/%s", c->root, rel)) {
			failline(t, rel, e.msg);
		} else if (tl_file_sha256(path, got, &e)) {
			snprintf(why, sizeof(why), "cannot read: %s", e.msg);
			failline(t, rel, why);
		} else if (strcmp(got, want)) {
			snprintf(why, sizeof(why), "sha256 is %.16s..., ingest recorded %.16s...", got, want);
			failline(t, rel, why);
		} else {
			okline(t, rel);
		}
	}
	tl_store_iter_free(it);
	tl_strlist_release(&ah.names);
	tl_strlist_release(&ah.shas);
}

/* What verify reads once and checks everything against: a second read could
 * see other bytes than the first (the signature check, the digest). */
struct snapshot {
	struct tl_buf manifest, sums;
	int have_manifest, have_sums;
	struct tl_json *m; /* parsed from manifest, or NULL */
	char msha[65];
	char why[600];     /* why m is NULL */
};

/* Each line of SHA256SUMS: the file it names, re-hashed; then the lines
 * against the manifest, so that an added, removed or edited line is named. */
static void check_sums(const struct tl_case *c, struct snapshot *sn, struct tally *t)
{
	struct tl_err e;
	if (!sn->have_sums) {
		fprintf(t->out, "note: no out/SHA256SUMS yet (tl manifest writes it); outputs not checked\n");
		return;
	}
	struct tl_sums sums;
	if (tl_sums_parse(sn->sums.data ? sn->sums.data : "", sn->sums.len, &sums)) {
		failline(t, "out/SHA256SUMS", "out of memory");
		return;
	}
	if (sums.bad) {
		char why[80];
		snprintf(why, sizeof(why), "%u malformed lines, the first at line %u", sums.bad, sums.first_bad);
		failline(t, "out/SHA256SUMS", why);
	}
	struct tl_sum **order = tl_sums_in_file_order(&sums);
	for (size_t i = 0; order && i < sums.n; i++) {
		const struct tl_sum *l = order[i];
		char path[8300], rel[4200], got[65], what[4200], why[600];
		snprintf(what, sizeof(what), "out/SHA256SUMS: %s", l->name);
		/* the case folder is all verify vouches for: a line naming /etc/hostname
		 * or ../../x would have it hash a file nobody handed over */
		if (tl_sums_resolve(l->name, rel, sizeof(rel))) {
			failline(t, what, "names a file outside the case folder (not read)");
			continue;
		}
		int is_manifest = !strcmp(rel, "out/manifest.json") && sn->have_manifest;
		if (is_manifest) {
			/* the bytes read once for everything else, not a second read */
			memcpy(got, sn->msha, 65);
		}
		if (tl_pathf(path, sizeof(path), &e, "%s/%s", c->root, rel)) {
			failline(t, what, e.msg);
		} else if (!is_manifest && tl_file_sha256(path, got, &e)) {
			snprintf(why, sizeof(why), "cannot read: %s", e.msg);
			failline(t, what, why);
		} else if (strcmp(got, l->sha)) {
			snprintf(why, sizeof(why), "sha256 is %.16s..., the manifest recorded %.16s...", got, l->sha);
			failline(t, what, why);
		} else {
			okline(t, what);
		}
	}
	if (!order)
		failline(t, "out/SHA256SUMS", "out of memory");
	free(order);
	if (sn->m) {
		long checked = 0, bad = tl_manifest_check_sums(sn->m, sn->msha, &sums, "manifest", t->out, &checked);
		t->failed += bad;
		if (!bad) {
			char what[120];
			snprintf(what, sizeof(what), "out/SHA256SUMS lists what out/manifest.json lists (%ld files)", checked);
			okline(t, what);
		}
	}
	tl_sums_release(&sums);
}

static void check_digest(struct tl_store *s, struct snapshot *sn, struct tally *t)
{
	char got[65], why[600];
	struct tl_err e;
	if (!sn->have_manifest)
		return;
	const struct tl_json *d = sn->m ? tl_json_get(tl_json_get(sn->m, "events_digest"), "sha256") : NULL;
	if (!d || d->type != TL_JSON_STRING) {
		failline(t, "out/manifest.json", sn->m ? "no events_digest" : sn->why);
	} else if (tl_events_digest(s, got, &e) < 0) {
		failline(t, "events digest", e.msg);
	} else if (strcmp(got, d->str)) {
		snprintf(why, sizeof(why), "the database's events now digest to %.16s..., the manifest recorded %.16s...",
			 got, d->str);
		failline(t, "events digest", why);
	} else {
		okline(t, "events digest (database events = manifest)");
	}
}

/* Outputs written before the events last changed describe older events: said
 * on a STALE line, not a failure (the file is what it was), but never as current. */
static void check_stale(const struct tl_case *c, struct snapshot *sn, struct tally *t)
{
	if (sn->m)
		t->stale += tl_manifest_stale(c, sn->m, t->out, NULL);
}

/* tl.json and the case formats, as package verify checks them at the recipient. */
static void check_config(const struct tl_case *c, struct snapshot *sn, struct tally *t)
{
	if (sn->m)
		t->failed += tl_manifest_check_config(c, sn->m, t->out, &t->ok, NULL);
}

/* The chain up to the head the manifest recorded is what the manifest (and
 * its signature) vouches for; entries after it are intact links of a chain
 * nothing outside the log vouches for yet. */
static void check_anchor(const struct tl_case *c, struct snapshot *sn, struct tally *t)
{
	long entries;
	char head[65], path[4200];
	struct tl_err e;
	if (tl_custody_head(c->root, &entries, head, &e)) {
		failline(t, "custody.jsonl", e.msg);
		return;
	}
	fprintf(t->out, "custody head: entry %ld, sha256 %s (record it outside the case: it pins everything up to it)\n",
		entries, head);
	if (!sn->m)
		return;
	struct tl_buf log = TL_BUF_INIT;
	if (!tl_pathf(path, sizeof(path), &e, "%s/custody.jsonl", c->root) && access(path, F_OK) == 0 &&
	    tl_read_file(path, 1u << 30, &log, &e)) {
		failline(t, "custody.jsonl", e.msg);
	} else {
		t->failed += tl_manifest_check_anchor(sn->m, log.data, log.len, entries, t->out, &t->ok);
	}
	tl_buf_release(&log);
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
	if (tl_pathf(path, sizeof(path), &e, "%s/custody.jsonl", c->root) || tl_replay_load(c->root, &rp, &e)) {
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

static void snapshot_read(const struct tl_case *c, struct snapshot *sn)
{
	char path[4200];
	struct tl_err e;
	if (!tl_pathf(path, sizeof(path), &e, "%s/manifest.json", c->out_dir) && access(path, F_OK) == 0) {
		sn->have_manifest = 1;
		/* a manifest past the limit is cut short and then fails to parse: reported */
		if (tl_read_file(path, 1u << 30, &sn->manifest, &e))
			snprintf(sn->why, sizeof(sn->why), "%s", e.msg);
		else if (!(sn->m = tl_json_parse("out/manifest.json", sn->manifest.data ? sn->manifest.data : "",
						 sn->manifest.len, &e)))
			snprintf(sn->why, sizeof(sn->why), "%s", e.msg);
		tl_sha256_hex(sn->manifest.data ? sn->manifest.data : "", sn->manifest.len, sn->msha);
	}
	if (!tl_pathf(path, sizeof(path), &e, "%s/SHA256SUMS", c->out_dir) && access(path, F_OK) == 0) {
		sn->have_sums = 1;
		if (tl_read_file(path, 64u << 20, &sn->sums, &e))
			tl_buf_reset(&sn->sums);
	}
}

long tl_verify(const struct tl_case *c, FILE *out, struct tl_err *err)
{
	return tl_verify_signed(c, NULL, out, err);
}

long tl_verify_signed(const struct tl_case *c, const char *pubkey, FILE *out, struct tl_err *err)
{
	struct tally t = { out, 0, 0, 0 };
	struct snapshot sn;
	memset(&sn, 0, sizeof(sn));
	snapshot_read(c, &sn);
	struct tl_store *s = tl_store_open(c->db_path, TL_STORE_READONLY, err);
	if (s) {
		check_database(s, &t);
		check_evidence(c, s, &t);
		check_digest(s, &sn, &t);
		tl_store_close(s);
	} else {
		failline(&t, "case.db", err->msg);
	}
	check_sums(c, &sn, &t);
	check_config(c, &sn, &t);
	check_stale(c, &sn, &t);
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
	check_anchor(c, &sn, &t);
	if (t.stale)
		fprintf(out, "verify: %ld ok, %ld failed, %ld stale\n", t.ok, t.failed, t.stale);
	else
		fprintf(out, "verify: %ld ok, %ld failed\n", t.ok, t.failed);
	long failed = t.failed;
	if (pubkey) {
		if (!sn.have_manifest || !sn.have_sums) {
			fprintf(out, "FAIL out/manifest.json.sig: no out/manifest.json or out/SHA256SUMS to check it against\n");
			failed++;
		} else {
			long sb = tl_sign_verify_manifest(c, pubkey, sn.manifest.data, sn.manifest.len, sn.sums.data,
							  sn.sums.len, out, err);
			failed = sb < 0 ? -1 : failed + sb;
		}
	}
	tl_json_free(sn.m);
	tl_buf_release(&sn.manifest);
	tl_buf_release(&sn.sums);
	return failed;
}
