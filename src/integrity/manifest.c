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

static int jstr(struct tl_buf *b, const char *s)
{
	return tl_json_put_str(b, s);
}

static int jtime(struct tl_buf *b, int have, tl_us ts)
{
	if (!have)
		return tl_buf_adds(b, "null");
	char iso[40];
	tl_time_format_iso(ts, iso, sizeof(iso));
	return tl_buf_addf(b, "\"%s\"", iso);
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
	int rc = -1, more = 0, oom = 0;
	char digest[65];
	long nev = tl_events_digest(s, digest, err);
	if (nev < 0)
		goto cleanup;
	oom |= tl_buf_adds(&m, "{\n  \"manifest_version\": 1,\n  \"tool\": {\"name\": \"tl\", \"version\": ");
	oom |= jstr(&m, info->tool_version);
	oom |= tl_buf_adds(&m, ", \"build\": ");
	oom |= jstr(&m, info->build_id);
	oom |= tl_buf_addf(&m, "},\n  \"case_config_sha256\": \"%s\",\n", c->cfg.sha256);
	/* the tz rules the events' times were read with, as each ingest recorded them in custody */
	struct tl_strlist tzv = TL_STRLIST_INIT;
	if (tl_custody_tzdata(c->root, &tzv, err)) {
		tl_strlist_release(&tzv);
		goto cleanup;
	}
	oom |= tl_buf_adds(&m, "  \"tzdata\": [");
	for (size_t i = 0; i < tzv.n; i++) {
		oom |= tl_buf_adds(&m, i ? ", " : "");
		oom |= jstr(&m, tzv.v[i]);
	}
	oom |= tl_buf_adds(&m, "],\n  \"formats\": [");
	tl_strlist_release(&tzv);
	if (tl_store_formats_used(s, &used, err))
		goto cleanup;
	int first = 1;
	for (size_t u = 0; u < used.n; u++) {
		const char *name = used.v[u];
		const struct tl_format *f = tl_formats_find(fs, name);
		oom |= tl_buf_adds(&m, first ? "\n    {\"name\": " : ",\n    {\"name\": ");
		first = 0;
		oom |= jstr(&m, name);
		if (f) {
			/* a case format's origin is its path: keep it relative to the case */
			const char *origin = tl_format_origin(f);
			size_t rl = strlen(c->root);
			if (!strncmp(origin, c->root, rl) && origin[rl] == '/')
				origin += rl + 1;
			oom |= tl_buf_adds(&m, ", \"version\": ");
			oom |= jstr(&m, tl_format_version(f));
			oom |= tl_buf_adds(&m, ", \"origin\": ");
			oom |= jstr(&m, origin);
			oom |= tl_buf_addf(&m, ", \"sha256\": \"%s\"}", tl_format_sha256(f));
		} else {
			oom |= tl_buf_adds(&m, ", \"missing\": true}");
		}
	}
	oom |= tl_buf_adds(&m, "\n  ],\n  \"evidence\": [");
	if (!(files = tl_store_files(s, NULL, err)))
		goto cleanup;
	first = 1;
	long long tot[4] = { 0 };
	long nfile = 0;
	while ((more = tl_store_next_file(files, &fr, err)) == 1) {
		const char *path = fr->path;
		const char *sha = fr->sha256;
		oom |= tl_buf_adds(&m, first ? "\n    {\"path\": " : ",\n    {\"path\": ");
		first = 0;
		oom |= jstr(&m, path);
		oom |= tl_buf_addf(&m, ", \"size\": %lld, \"sha256\": \"%s\", \"format\": ", (long long)fr->size, sha);
		if (!fr->format)
			oom |= tl_buf_adds(&m, "null");
		else
			oom |= jstr(&m, fr->format);
		if (fr->format_rule && !strcmp(fr->format_rule, "--format"))
			oom |= tl_buf_adds(&m, ", \"format_rule\": \"--format\"");
		oom |= tl_buf_adds(&m, ", \"status\": ");
		oom |= jstr(&m, fr->status);
		long long r = fr->counts.records, e = fr->counts.events, j = fr->counts.rejects, x = fr->counts.meta;
		oom |= tl_buf_addf(&m, ", \"records\": %lld, \"events\": %lld, \"rejects\": %lld, \"meta\": %lld, \"first_ts\": ", r,
			    e, j, x);
		oom |= jtime(&m, fr->has_first, fr->counts.first_ts);
		oom |= tl_buf_adds(&m, ", \"last_ts\": ");
		oom |= jtime(&m, fr->has_last, fr->counts.last_ts);
		const char *container = fr->container;
		const char *csha = fr->container_sha256;
		if (container) {
			/* an archive member: SHA256SUMS names the archive, which sha256sum can check */
			oom |= tl_buf_adds(&m, ", \"container\": ");
			oom |= jstr(&m, container);
			oom |= tl_buf_addf(&m, ", \"container_sha256\": \"%s\", \"member\": ", csha ? csha : "");
			oom |= jstr(&m, fr->member ? fr->member : "");
		}
		oom |= tl_buf_addc(&m, '}');
		tot[0] += r, tot[1] += e, tot[2] += j, tot[3] += x;
		nfile++;
		char rel[4200];
		if (tl_pathf(rel, sizeof(rel), err, "../%s", container ? container : path))
			goto cleanup;
		/* an archive is listed once, also when a row of its own (it could not be
		 * read whole) sorts right before its members' rows */
		int listed = containers.n && !strcmp(containers.v[containers.n - 1], rel);
		for (size_t k = 0; container && k < containers.n && !listed; k++)
			listed = !strcmp(containers.v[k], rel);
		if (!listed)
			oom |= tl_strlist_add(&containers, rel);
		if (!listed)
			oom |= tl_sums_add_line(&sums, container ? (csha ? csha : "") : sha, rel);
	}
	tl_store_iter_free(files);
	files = NULL;
	if (more < 0)
		goto cleanup;
	oom |= tl_buf_addf(&m, "\n  ],\n  \"totals\": {\"files\": %ld, \"records\": %lld, \"events\": %lld, \"rejects\": %lld, "
			"\"meta\": %lld},\n",
		    nfile, tot[0], tot[1], tot[2], tot[3]);
	if (nev != tot[1]) {
		tl_errf(err, "manifest: the database holds %ld events but its files account for %lld", nev, tot[1]);
		goto cleanup;
	}
	oom |= tl_buf_addf(&m, "  \"events_digest\": {\"algorithm\": \"sha256 of the unfiltered timeline JSONL "
			"(docs/timeline-jsonl.md)\", \"events\": %ld, \"sha256\": \"%s\"",
		    nev, digest);
	long gaps[TL_GAP_KINDS];
	if (tl_gaps_scan(s, NULL, NULL, gaps, err) < 0)
		goto cleanup;
	oom |= tl_buf_addf(&m, "},\n  \"gaps\": {\"sequence_breaks\": %ld, \"clock_backwards\": %ld, \"silences\": %ld, "
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
		if (tl_pathf(path, sizeof(path), err, "%s/%s", c->out_dir, outs.v[i]) ||
		    tl_pathf(rel, sizeof(rel), err, "out/%s", outs.v[i]))
			goto cleanup;
		if (tl_file_sha256(path, produced[nfiles].sha256, err)) {
			char why[sizeof(err->msg)];
			snprintf(why, sizeof(why), "%s", err->msg);
			tl_errf(err, "cannot hash '%s': %s", path, why);
			goto cleanup;
		}
		if (tl_strlist_add(&rels, rel)) {
			tl_errf(err, "out of memory");
			goto cleanup;
		}
		produced[nfiles].path = rels.v[rels.n - 1];
		names[nfiles++] = outs.v[i];
	}
	if (tl_custody_producers(c->root, produced, nfiles, seqs, err))
		goto cleanup;
	/* an output written before the last ingest describes older events */
	long changed = tl_custody_last_change(c->root);
	for (size_t i = 0; i < nfiles; i++) {
		oom |= tl_buf_adds(&m, i ? ",\n    {\"path\": " : "\n    {\"path\": ");
		oom |= jstr(&m, names[i]);
		oom |= tl_buf_addf(&m, ", \"sha256\": \"%s\", \"custody_entry\": ", produced[i].sha256);
		if (seqs[i])
			oom |= tl_buf_addf(&m, "%ld", seqs[i]);
		else
			oom |= tl_buf_adds(&m, "null");
		if (seqs[i] && seqs[i] < changed)
			oom |= tl_buf_addf(&m, ", \"stale\": true, \"events_changed_at\": %ld", changed);
		oom |= tl_buf_addc(&m, '}');
		oom |= tl_sums_add_line(&sums, produced[i].sha256, names[i]);
	}
	/* the chain's head as this command found it (its own entry comes after):
	 * rewriting any entry up to it now changes the manifest, and its signature */
	long centries;
	char chead[65];
	if (tl_custody_head(c->root, &centries, chead, err))
		goto cleanup;
	oom |= tl_buf_addf(&m, "\n  ],\n  \"custody\": {\"entries\": %ld, \"head_sha256\": \"%s\"}\n}\n", centries,
			   chead);
	char mpath[4200], spath[4200], msha[65];
	if (tl_pathf(mpath, sizeof(mpath), err, "%s/manifest.json", c->out_dir) ||
	    tl_pathf(spath, sizeof(spath), err, "%s/SHA256SUMS", c->out_dir))
		goto cleanup;
	tl_sha256_hex(m.data, m.len, msha);
	oom |= tl_sums_add_line(&sums, msha, "manifest.json");
	if (oom) {
		/* never a manifest that lost a line: it would be hashed into the chain as if whole */
		tl_errf(err, "manifest: out of memory while writing '%s'", mpath);
		goto cleanup;
	}
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


static long expect_line(struct tl_sums *s, const char *name, const char *sha, const char *whose, FILE *out,
			long *checked)
{
	struct tl_sum *e = tl_sums_find(s, name);
	if (e && e->used && !strcmp(e->sha, sha))
		return 0; /* an archive named by several members' rows */
	(*checked)++;
	if (!e) {
		fprintf(out, "FAIL out/SHA256SUMS: %s: in the %s but not listed (line removed)\n", name, whose);
		return 1;
	}
	e->used = 1;
	if (strcmp(e->sha, sha)) {
		fprintf(out, "FAIL out/SHA256SUMS: %s: lists %.16s..., the %s recorded %.16s... (line edited)\n", name,
			e->sha, whose, sha);
		return 1;
	}
	return 0;
}

static const char *str_of(const struct tl_json *o, const char *key)
{
	const struct tl_json *v = tl_json_get(o, key);
	return v && v->type == TL_JSON_STRING ? v->str : NULL;
}

long tl_manifest_check_sums(const struct tl_json *m, const char *manifest_sha, struct tl_sums *s, const char *whose,
			    FILE *out, long *checked)
{
	long bad = 0;
	*checked = 0;
	for (size_t i = 0; i < s->n; i++)
		s->v[i].used = 0;
	const struct tl_json *ev = tl_json_get(m, "evidence"), *outs = tl_json_get(m, "outputs");
	for (size_t i = 0; ev && ev->type == TL_JSON_ARRAY && i < ev->n; i++) {
		const char *path = str_of(ev->kids[i], "path"), *sha = str_of(ev->kids[i], "sha256");
		const char *container = str_of(ev->kids[i], "container");
		if (container) {
			path = container;
			sha = str_of(ev->kids[i], "container_sha256");
		}
		if (!path || !sha) {
			fprintf(out, "FAIL out/manifest.json: evidence entry %zu has no path or sha256\n", i + 1);
			bad++;
			continue;
		}
		size_t n = strlen(path) + 4;
		char *name = malloc(n);
		if (!name) {
			fprintf(out, "FAIL out/SHA256SUMS: out of memory\n");
			return bad + 1;
		}
		snprintf(name, n, "../%s", path);
		bad += expect_line(s, name, sha, whose, out, checked);
		free(name);
	}
	for (size_t i = 0; outs && outs->type == TL_JSON_ARRAY && i < outs->n; i++) {
		const char *path = str_of(outs->kids[i], "path"), *sha = str_of(outs->kids[i], "sha256");
		if (!path || !sha) {
			fprintf(out, "FAIL out/manifest.json: output entry %zu has no path or sha256\n", i + 1);
			bad++;
			continue;
		}
		bad += expect_line(s, path, sha, whose, out, checked);
	}
	bad += expect_line(s, "manifest.json", manifest_sha, whose, out, checked);
	struct tl_sum **order = tl_sums_in_file_order(s);
	if (!order) {
		fprintf(out, "FAIL out/SHA256SUMS: out of memory\n");
		return bad + 1;
	}
	for (size_t i = 0; i < s->n; i++)
		if (!order[i]->used) {
			fprintf(out, "FAIL out/SHA256SUMS: %s: line %u is not in the %s (line added)\n", order[i]->name,
				order[i]->line, whose);
			bad++;
		}
	free(order);
	return bad;
}

static long config_line(FILE *out, long *ok, struct tl_err *err, long bad, const char *what, const char *why)
{
	if (!why) {
		if (out)
			fprintf(out, "OK   %s (= manifest)\n", what);
		(*ok)++;
		return bad;
	}
	if (out)
		fprintf(out, "FAIL %s: %s\n", what, why);
	if (!bad)
		tl_errf(err, "'%s' %s: run tl manifest again (it is what the manifest vouches for)", what, why);
	return bad + 1;
}

static const char *rehash(const char *path, const char *want, int missing_is_empty, char *why, size_t wl)
{
	char got[65];
	struct tl_err e;
	if (tl_file_sha256(path, got, &e)) {
		if (!missing_is_empty || access(path, F_OK) == 0) {
			snprintf(why, wl, "cannot read: %s", e.msg);
			return why;
		}
		tl_sha256_hex("", 0, got);
	}
	if (strcmp(got, want)) {
		snprintf(why, wl, "sha256 is %.16s..., the manifest recorded %.16s... (changed since tl manifest)", got,
			 want);
		return why;
	}
	return NULL;
}

long tl_manifest_check_config(const struct tl_case *c, const struct tl_json *m, FILE *out, long *ok,
			      struct tl_err *err)
{
	long bad = 0;
	char path[4200], why[700];
	const char *cfg = str_of(m, "case_config_sha256");
	if (!cfg)
		bad = config_line(out, ok, err, bad, "out/manifest.json", "no case_config_sha256");
	else if (tl_pathf(path, sizeof(path), NULL, "%s/tl.json", c->root))
		bad = config_line(out, ok, err, bad, "tl.json", "path too long");
	else
		bad = config_line(out, ok, err, bad, "tl.json", rehash(path, cfg, 1, why, sizeof(why)));
	const struct tl_json *fs = tl_json_get(m, "formats");
	for (size_t i = 0; fs && fs->type == TL_JSON_ARRAY && i < fs->n; i++) {
		const char *o = str_of(fs->kids[i], "origin"), *h = str_of(fs->kids[i], "sha256");
		if (!o || !h || strncmp(o, "formats/", 8))
			continue; /* built-in formats live in the binary */
		char rel[4200], up[4200];
		/* resolved as a SHA256SUMS name relative to out/: it must stay in formats/ */
		if (tl_pathf(up, sizeof(up), NULL, "../%s", o) || tl_sums_resolve(up, rel, sizeof(rel)) ||
		    strncmp(rel, "formats/", 8))
			bad = config_line(out, ok, err, bad, o, "names a file outside the case's formats/ folder");
		else if (tl_pathf(path, sizeof(path), NULL, "%s/%s", c->root, rel))
			bad = config_line(out, ok, err, bad, o, "path too long");
		else
			bad = config_line(out, ok, err, bad, o, rehash(path, h, 0, why, sizeof(why)));
	}
	return bad;
}

long tl_manifest_stale(const struct tl_case *c, const struct tl_json *m, FILE *out, struct tl_err *err)
{
	const struct tl_json *outs = tl_json_get(m, "outputs");
	long changed = tl_custody_last_change(c->root), n = 0;
	for (size_t i = 0; outs && outs->type == TL_JSON_ARRAY && i < outs->n; i++) {
		const char *p = str_of(outs->kids[i], "path");
		const struct tl_json *ce = tl_json_get(outs->kids[i], "custody_entry"), *st = tl_json_get(outs->kids[i], "stale");
		const struct tl_json *at = tl_json_get(outs->kids[i], "events_changed_at");
		if (!p)
			continue;
		long seq = ce && ce->type == TL_JSON_NUMBER ? strtol(ce->str, NULL, 10) : 0;
		long when = at && at->type == TL_JSON_NUMBER ? strtol(at->str, NULL, 10) : changed;
		int marked = st && st->type == TL_JSON_BOOL && st->boolean;
		if (!marked && !(seq && seq < changed))
			continue;
		if (!marked)
			when = changed;
		if (out)
			fprintf(out, "STALE out/%s: written by custody entry %ld, before the events last changed (entry %ld)\n",
				p, seq, when);
		if (!n++)
			tl_errf(err, "out/%s is stale: written by custody entry %ld, before the events last changed (entry "
				     "%ld); write it again (tl replay re-runs the steps) or pass --historical to ship it as history",
				p, seq, when);
	}
	return n;
}

long tl_manifest_check_anchor(const struct tl_json *m, const char *log, size_t len, long head_n, FILE *out, long *ok)
{
	const struct tl_json *cu = tl_json_get(m, "custody");
	const char *h = str_of(cu, "head_sha256");
	const struct tl_json *n = tl_json_get(cu, "entries");
	if (!h || !n || n->type != TL_JSON_NUMBER) {
		fprintf(out, "note: out/manifest.json records no custody head (written by an older tl): the chain is not "
			     "anchored\n");
		return 0;
	}
	long want = strtol(n->str, NULL, 10);
	char got[65];
	int have = 1;
	if (want == 0)
		memset(got, '0', 64), got[64] = 0;
	else
		have = tl_custody_entry_sha256(log, len, want, got) == 0;
	if (!have) {
		fprintf(out, "FAIL custody anchor: the manifest anchors the chain at entry %ld, the log holds fewer "
			     "(entries removed)\n", want);
		return 1;
	}
	if (strcmp(got, h)) {
		fprintf(out, "FAIL custody anchor: entry %ld hashes to %.16s..., the manifest recorded %.16s... (history "
			     "rewritten)\n", want, got, h);
		return 1;
	}
	fprintf(out, "OK   custody anchor (entries 1-%ld as the manifest recorded them)\n", want);
	(*ok)++;
	if (head_n > want)
		fprintf(out, "UNSIGNED custody entries %ld-%ld: changed the case after the manifest's anchor; run tl "
			     "manifest (--sign) to cover them\n", want + 1, head_n);
	return 0;
}
