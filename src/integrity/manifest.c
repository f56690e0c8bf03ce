/*
 * Manifest and SHA256SUMS (see include/tl/manifest.h); tl verify, which
 * checks them, is verify.c.
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

#include "tl/custody.h"
#include "tl/gaps.h"
#include "tl/json.h"
#include "tl/output.h"
#include "tl/store.h"
#include "tl/sums.h"
#include "tl/time.h"
#include "tl/banned.h"

static void jstr(struct tl_buf *b, const char *s)
{
	tl_json_put_str(b, s);
}

static void jtime(struct tl_buf *b, int have, tl_us ts)
{
	if (!have) {
		tl_buf_adds(b, "null");
		return;
	}
	char iso[40];
	tl_time_format_iso(ts, iso, sizeof(iso));
	tl_buf_addf(b, "\"%s\"", iso);
}

int tl_manifest_write(const struct tl_case *c, const struct tl_formats *fs, const struct tl_manifest_info *info,
		      char *digest_out, struct tl_err *err)
{
	struct tl_store *s = tl_store_open(c->db_path, TL_STORE_READONLY, err);
	if (!s)
		return -1;
	struct tl_buf m = TL_BUF_INIT, sums = TL_BUF_INIT;
	struct tl_strlist outs = TL_STRLIST_INIT, rels = TL_STRLIST_INIT, used = TL_STRLIST_INIT,
			  containers = TL_STRLIST_INIT;
	struct tl_custody_file *produced = NULL;
	const char **names = NULL;
	long *seqs = NULL;
	struct tl_store_iter *files = NULL;
	const struct tl_file_rec *fr;
	int rc = -1, more = 0;
	char digest[65];
	long nev = tl_events_digest(s, digest, err);
	if (nev < 0)
		goto cleanup;
	tl_buf_adds(&m, "{\n  \"manifest_version\": 1,\n  \"tool\": {\"name\": \"tl\", \"version\": ");
	jstr(&m, info->tool_version);
	tl_buf_adds(&m, ", \"build\": ");
	jstr(&m, info->build_id);
	tl_buf_addf(&m, "},\n  \"case_config_sha256\": \"%s\",\n", c->cfg.sha256);
	/* the tz rules the events' times were read with, as each ingest recorded them in custody */
	struct tl_strlist tzv = TL_STRLIST_INIT;
	tl_custody_tzdata(c->root, &tzv);
	tl_buf_adds(&m, "  \"tzdata\": [");
	for (size_t i = 0; i < tzv.n; i++) {
		tl_buf_adds(&m, i ? ", " : "");
		jstr(&m, tzv.v[i]);
	}
	tl_buf_adds(&m, "],\n  \"formats\": [");
	tl_strlist_release(&tzv);
	if (tl_store_formats_used(s, &used, err))
		goto cleanup;
	int first = 1;
	for (size_t u = 0; u < used.n; u++) {
		const char *name = used.v[u];
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
	tl_buf_adds(&m, "\n  ],\n  \"evidence\": [");
	if (!(files = tl_store_files(s, NULL, err)))
		goto cleanup;
	first = 1;
	long long tot[4] = { 0 };
	long nfile = 0;
	while ((more = tl_store_next_file(files, &fr, err)) == 1) {
		const char *path = fr->path;
		const char *sha = fr->sha256;
		tl_buf_adds(&m, first ? "\n    {\"path\": " : ",\n    {\"path\": ");
		first = 0;
		jstr(&m, path);
		tl_buf_addf(&m, ", \"size\": %lld, \"sha256\": \"%s\", \"format\": ", (long long)fr->size, sha);
		if (!fr->format)
			tl_buf_adds(&m, "null");
		else
			jstr(&m, fr->format);
		tl_buf_adds(&m, ", \"status\": ");
		jstr(&m, fr->status);
		long long r = fr->counts.records, e = fr->counts.events, j = fr->counts.rejects, x = fr->counts.meta;
		tl_buf_addf(&m, ", \"records\": %lld, \"events\": %lld, \"rejects\": %lld, \"meta\": %lld, \"first_ts\": ", r,
			    e, j, x);
		jtime(&m, fr->has_first, fr->counts.first_ts);
		tl_buf_adds(&m, ", \"last_ts\": ");
		jtime(&m, fr->has_last, fr->counts.last_ts);
		const char *container = fr->container;
		const char *csha = fr->container_sha256;
		if (container) {
			/* an archive member: SHA256SUMS names the archive, which sha256sum can check */
			tl_buf_adds(&m, ", \"container\": ");
			jstr(&m, container);
			tl_buf_addf(&m, ", \"container_sha256\": \"%s\", \"member\": ", csha ? csha : "");
			jstr(&m, fr->member ? fr->member : "");
		}
		tl_buf_addc(&m, '}');
		tot[0] += r, tot[1] += e, tot[2] += j, tot[3] += x;
		nfile++;
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
	tl_store_iter_free(files);
	files = NULL;
	if (more < 0)
		goto cleanup;
	tl_buf_addf(&m, "\n  ],\n  \"totals\": {\"files\": %ld, \"records\": %lld, \"events\": %lld, \"rejects\": %lld, "
			"\"meta\": %lld},\n",
		    nfile, tot[0], tot[1], tot[2], tot[3]);
	if (nev != tot[1]) {
		tl_errf(err, "manifest: the database holds %ld events but its files account for %lld", nev, tot[1]);
		goto cleanup;
	}
	tl_buf_addf(&m, "  \"events_digest\": {\"algorithm\": \"sha256 of the unfiltered timeline JSONL "
			"(docs/timeline-jsonl.md)\", \"events\": %ld, \"sha256\": \"%s\"",
		    nev, digest);
	long gaps[TL_GAP_KINDS];
	if (tl_gaps_scan(s, NULL, NULL, gaps, err) < 0)
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
	tl_store_iter_free(files);
	tl_store_close(s);
	tl_strlist_release(&used);
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

