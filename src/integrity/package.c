/*
 * Handoff packages (see include/tl/package.h): a POSIX tar stream (ustar, with
 * pax extended headers only where ustar cannot hold a name or size) in a gzip
 * stream, both written and read through libarchive. The gzip header carries
 * no time and no name, every entry the same owner, mode and time, so the bytes
 * depend on the case alone (and on the libarchive and zlib that made them).
 *
 * Writing streams every file through a 1 MiB buffer and hashes it on the way,
 * so a file that changed since `tl manifest` is caught without reading it
 * twice. Reading streams too: members are hashed as they pass and only the
 * small ones the checks need (SHA256SUMS, manifest.json, custody.jsonl) are
 * kept in memory, each with a cap. Nothing is ever extracted.
 */
#define _POSIX_C_SOURCE 200809L
#include "tl/package.h"
#include "tl/sums.h"
#include "tl/manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "tl/custody.h"
#include "tl/grow.h"
#include "tl/json.h"
#include "tl/store.h"
#include "tl/banned.h"

#define IOBUF (1u << 20)
#define MAX_NAME 4096
#define MAX_MEMBERS (1L << 20)
#define MAX_SUMS (64u << 20)
#define MAX_MANIFEST (64u << 20)
#define MAX_CUSTODY (256u << 20)

/* ------------------------------------------------------------------------ */
/* SHA256SUMS lines (coreutils' format, backslash-escaped names)            */

/* ------------------------------------------------------------------------ */
/* Writing: libarchive, its output hashed on the way to the file            */

struct pkw {
	struct archive *a;
	int fd;
	struct tl_sha256 *h;
	unsigned char *io;      /* IOBUF bytes for reading files */
	struct tl_err *err;
	const char *path;
	int failed;
	int write_errno;
	struct tl_package_result *res;
	/* folders already written, so each gets one entry before its first file */
	char **dirs;
	size_t ndirs, capdirs;
	const char *top;
};

static la_ssize_t pkw_write(struct archive *a, void *ctx, const void *buf, size_t len)
{
	struct pkw *w = ctx;
	const unsigned char *p = buf;
	for (size_t off = 0; off < len;) {
		ssize_t n = write(w->fd, p + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			w->write_errno = n < 0 ? errno : ENOSPC;
			archive_set_error(a, w->write_errno, "%s", strerror(w->write_errno));
			return -1;
		}
		off += (size_t)n;
	}
	tl_sha256_update(w->h, buf, len);
	return (la_ssize_t)len;
}

/* libarchive's complaint as the package's error. */
static int pkw_fail(struct pkw *w)
{
	const char *m = archive_error_string(w->a);
	w->failed = 1;
	return tl_errf(w->err, "cannot write '%s': %s", w->path, m ? m : "libarchive error");
}

/* What `tl manifest` writes beside the manifest after SHA256SUMS (so SHA256SUMS
 * cannot list them; they are derived from manifest.json): its signature and
 * its CASE/UCO rendering. They travel with it, checked by other means. */
static const char *const companions[] = { "manifest.json.sig", "manifest.case-uco.jsonld" };
#define N_COMPANIONS (sizeof(companions) / sizeof(companions[0]))

static int is_companion(const char *name)
{
	for (size_t i = 0; i < N_COMPANIONS; i++)
		if (!strcmp(name, companions[i]))
			return 1;
	return 0;
}

/* The header of a member: a folder (DIR) or a file of SIZE bytes. */
static int header(struct pkw *w, const char *name, unsigned long long size, int dir)
{
	struct archive_entry *e = archive_entry_new();
	if (!e)
		return w->failed = 1, tl_errf(w->err, "out of memory");
	archive_entry_copy_pathname(e, name);
	archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(e, dir ? 0755 : 0644);
	archive_entry_set_size(e, dir ? 0 : (la_int64_t)size);
	archive_entry_set_mtime(e, 0, 0); /* see package.h */
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_copy_uname(e, "tl");
	archive_entry_copy_gname(e, "tl");
	int r = archive_write_header(w->a, e);
	archive_entry_free(e);
	return r == ARCHIVE_OK ? 0 : pkw_fail(w);
}

/* Folder entries for every parent of REL not yet written. */
static int parents(struct pkw *w, const char *rel)
{
	char dir[MAX_NAME + 8];
	for (const char *p = rel;; p++) {
		if (*p == 0)
			return 0;
		if (*p != '/')
			continue;
		int n = snprintf(dir, sizeof(dir), "%s/%.*s/", w->top, (int)(p - rel), rel);
		if (n < 0 || (size_t)n >= sizeof(dir))
			return w->failed = 1, tl_errf(w->err, "path too long: '%s'", rel);
		int seen = 0;
		for (size_t i = 0; i < w->ndirs && !seen; i++)
			seen = !strcmp(w->dirs[i], dir);
		if (seen)
			continue;
		char **v = tl_grow(w->dirs, &w->capdirs, w->ndirs + 1, sizeof(*v), 16);
		if (!v)
			return w->failed = 1, tl_errf(w->err, "out of memory");
		w->dirs = v;
		if (!(w->dirs[w->ndirs] = strdup(dir)))
			return w->failed = 1, tl_errf(w->err, "out of memory");
		w->ndirs++;
		if (header(w, dir, 0, 1))
			return -1;
	}
}

/* Pack the file at PATH as TOP/REL; SHA gets its hash. LOCK takes a shared
 * flock while reading (the custody log, which tl appends to under flock). */
static int pack_file(struct pkw *w, const char *path, const char *rel, int lock, char sha[65])
{
	char name[MAX_NAME + 8];
	int n = snprintf(name, sizeof(name), "%s/%s", w->top, rel);
	if (n < 0 || (size_t)n >= sizeof(name))
		return w->failed = 1, tl_errf(w->err, "path too long: '%s'", rel);
	int fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return w->failed = 1, tl_errf(w->err, "cannot read '%s': %s", path, strerror(errno));
	struct stat st;
	if (lock)
		flock(fd, LOCK_SH);
	int rc = -1;
	struct tl_sha256 *h = tl_sha256_new();
	if (!h) {
		w->failed = 1;
		tl_errf(w->err, "out of memory");
		goto done;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		w->failed = 1;
		tl_errf(w->err, "'%s' is not a regular file", path);
		goto done;
	}
	unsigned long long size = (unsigned long long)st.st_size, left = size;
	if (parents(w, rel) || header(w, name, size, 0))
		goto done;
	while (left) {
		size_t want = left < IOBUF ? (size_t)left : IOBUF;
		ssize_t got = read(fd, w->io, want);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			w->failed = 1;
			tl_errf(w->err, "'%s' %s while being packaged", path, got < 0 ? strerror(errno) : "shrank");
			goto done;
		}
		tl_sha256_update(h, w->io, (size_t)got);
		for (size_t off = 0; off < (size_t)got;) {
			la_ssize_t k = archive_write_data(w->a, w->io + off, (size_t)got - off);
			if (k <= 0) {
				pkw_fail(w);
				goto done;
			}
			off += (size_t)k;
		}
		left -= (unsigned long long)got;
	}
	char extra;
	if (read(fd, &extra, 1) != 0) {
		w->failed = 1;
		tl_errf(w->err, "'%s' grew while being packaged", path);
		goto done;
	}
	w->res->members++;
	w->res->bytes += (long long)size;
	rc = 0;
done:
	if (h)
		tl_sha256_final_hex(h, sha);
	if (lock)
		flock(fd, LOCK_UN);
	close(fd);
	return rc;
}

/* A case-relative path from the database must stay inside the case. */
static int safe_rel(const char *rel)
{
	if (!*rel || rel[0] == '/')
		return 0;
	for (const char *p = rel; *p;) {
		size_t l = strcspn(p, "/");
		if (l == 0 || (l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		p += l + (p[l] == '/');
	}
	return 1;
}

/* Pack one file that out/SHA256SUMS must list under KEY; a listed file whose
 * bytes changed stops the package (it would not verify). */
static int pack_listed(struct pkw *w, struct tl_sums *s, const char *path, const char *rel, const char *key)
{
	char sha[65];
	struct tl_sum *e = tl_sums_find(s, key);
	if (pack_file(w, path, rel, 0, sha))
		return -1;
	if (e && strcmp(e->sha, sha)) {
		w->failed = 1;
		return tl_errf(w->err,
			       "%s changed after tl manifest (sha256 is %.16s..., out/SHA256SUMS recorded %.16s...): "
			       "see tl verify",
			       rel, sha, e->sha);
	}
	if (e)
		e->used = 1;
	return 0;
}

static int write_tar(struct pkw *w, const struct tl_case *c, const struct tl_package_opts *o, struct tl_sums *s,
		     const struct stat *dest_st, FILE *notes)
{
	char path[8400], sha[65];
	/* the manifest first, so a reader sees what to expect before the rest */
	if (tl_pathf(path, sizeof(path), w->err, "%s/manifest.json", c->out_dir) ||
	    pack_listed(w, s, path, "out/manifest.json", "manifest.json"))
		return -1;
	if (tl_pathf(path, sizeof(path), w->err, "%s/SHA256SUMS", c->out_dir) || pack_file(w, path, "out/SHA256SUMS", 0, sha))
		return -1;
	for (size_t i = 0; i < N_COMPANIONS; i++) {
		struct stat st;
		char rel[200];
		if (tl_pathf(path, sizeof(path), w->err, "%s/%s", c->out_dir, companions[i]) ||
		    tl_pathf(rel, sizeof(rel), w->err, "out/%s", companions[i]))
			return w->failed = 1, -1;
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && pack_file(w, path, rel, 0, sha))
			return -1;
	}
	const char *loose[] = { "custody.jsonl", "replay.tl", "tl.json" };
	for (int i = 0; i < 3; i++) {
		struct stat st;
		if (tl_pathf(path, sizeof(path), w->err, "%s/%s", c->root, loose[i]))
			return w->failed = 1, -1;
		if (lstat(path, &st) == 0 && pack_file(w, path, loose[i], i == 0, sha))
			return -1;
	}
	struct tl_strlist l = TL_STRLIST_INIT;
	tl_dir_files(c->formats_dir, 0, &l);
	for (size_t i = 0; i < l.n; i++) {
		size_t nl = strlen(l.v[i]);
		if (nl <= 5 || strcmp(l.v[i] + nl - 5, ".json"))
			continue;
		char rel[4200];
		if (tl_pathf(path, sizeof(path), w->err, "%s/%s", c->formats_dir, l.v[i]) ||
		    tl_pathf(rel, sizeof(rel), w->err, "formats/%s", l.v[i]) || pack_file(w, path, rel, 0, sha)) {
			tl_strlist_release(&l);
			return -1;
		}
	}
	tl_strlist_release(&l);
	tl_dir_files(c->out_dir, 1, &l);
	for (size_t i = 0; i < l.n; i++) {
		char rel[4200];
		struct stat st;
		if (!strcmp(l.v[i], "manifest.json") || !strcmp(l.v[i], "SHA256SUMS") || is_companion(l.v[i]))
			continue;
		if (tl_pathf(path, sizeof(path), w->err, "%s/%s", c->out_dir, l.v[i]) ||
		    tl_pathf(rel, sizeof(rel), w->err, "out/%s", l.v[i])) {
			tl_strlist_release(&l);
			return w->failed = 1, -1;
		}
		struct tl_sum *e = tl_sums_find(s, l.v[i]);
		/* the file this package replaces (--force) is not part of it */
		if (dest_st && stat(path, &st) == 0 && st.st_dev == dest_st->st_dev && st.st_ino == dest_st->st_ino) {
			if (e)
				e->used = 1;
			continue;
		}
		if (!e) {
			if (notes)
				fprintf(notes, "note: %s left out: not in out/SHA256SUMS (run tl manifest to include it)\n",
					rel);
			continue;
		}
		if (pack_listed(w, s, path, rel, l.v[i])) {
			tl_strlist_release(&l);
			return -1;
		}
	}
	tl_strlist_release(&l);
	if (!o->with_evidence)
		return 0;
	struct tl_store *st = tl_store_open(c->db_path, TL_STORE_READONLY, w->err);
	if (!st)
		return w->failed = 1, -1;
	const struct tl_file_rec *fr;
	struct tl_store_iter *q = tl_store_files(st, NULL, w->err);
	if (!q) {
		tl_store_close(st);
		return w->failed = 1, -1;
	}
	/* an archive member's evidence is its archive, packed once; sorted, so
	 * that the same case always packs in the same order */
	struct tl_strlist rels = TL_STRLIST_INIT;
	int rc = 0, sr;
	while (!rc && (sr = tl_store_next_file(q, &fr, w->err)) == 1)
		if (tl_strlist_add(&rels, fr->container ? fr->container : fr->path))
			rc = tl_errf(w->err, "out of memory");
	if (!rc && sr < 0)
		rc = -1;
	tl_store_iter_free(q);
	tl_store_close(st);
	tl_strlist_sort(&rels);
	for (size_t i = 0; !rc && i < rels.n; i++) {
		const char *rel = rels.v[i];
		char key[4200];
		if (i && !strcmp(rel, rels.v[i - 1]))
			continue;
		if (!*rel || !safe_rel(rel)) {
			rc = tl_errf(w->err, "case.db names evidence '%s' outside the case", *rel ? rel : "(null)");
			break;
		}
		if (tl_pathf(key, sizeof(key), w->err, "../%s", rel)) {
			rc = -1;
			break;
		}
		if (!tl_sums_find(s, key)) {
			if (notes)
				fprintf(notes, "note: %s left out: not in out/SHA256SUMS (run tl manifest to include it)\n",
					rel);
			continue;
		}
		if (tl_pathf(path, sizeof(path), w->err, "%s/%s", c->root, rel)) {
			rc = -1;
			break;
		}
		rc = pack_listed(w, s, path, rel, key);
	}
	tl_strlist_release(&rels);
	if (rc)
		w->failed = 1;
	return rc;
}

int tl_package_write(const struct tl_case *c, const char *dest, const struct tl_package_opts *o,
		     struct tl_package_result *res, FILE *notes, struct tl_err *err)
{
	memset(res, 0, sizeof(*res));
	const char *top = strrchr(c->root, '/');
	top = top ? top + 1 : c->root;
	if (!*top || !strcmp(top, ".") || !strcmp(top, ".."))
		return tl_errf(err, "cannot name a package after the case folder '%s'", c->root);
	if (strlen(top) > 255)
		return tl_errf(err, "the case folder's name is too long for a package");
	char mpath[4200], spath[4200];
	if (tl_pathf(mpath, sizeof(mpath), err, "%s/manifest.json", c->out_dir) ||
	    tl_pathf(spath, sizeof(spath), err, "%s/SHA256SUMS", c->out_dir))
		return -1;
	struct stat st, dest_st;
	if (stat(mpath, &st) != 0 || stat(spath, &st) != 0)
		return tl_errf(err, "%s has no out/manifest.json and out/SHA256SUMS: run tl manifest %s first", c->root,
			       c->root);
	int dest_exists = lstat(dest, &dest_st) == 0;
	if (dest_exists && !o->force)
		return tl_errf(err, "'%s' exists (--force replaces it)", dest);
	if (dest_exists && S_ISDIR(dest_st.st_mode))
		return tl_errf(err, "'%s' is a folder", dest);

	struct tl_buf sb = TL_BUF_INIT;
	struct tl_sums s;
	memset(&s, 0, sizeof(s));
	if (tl_read_file(spath, MAX_SUMS, &sb, err))
		return -1;
	if (tl_sums_parse(sb.data ? sb.data : "", sb.len, &s)) {
		tl_buf_release(&sb);
		tl_sums_release(&s);
		return tl_errf(err, "out of memory");
	}
	tl_buf_release(&sb);
	if (s.bad) {
		unsigned line = s.first_bad;
		tl_sums_release(&s);
		return tl_errf(err, "out/SHA256SUMS line %u is malformed: run tl manifest again", line);
	}
	/* what tl verify CASE checks and the recipient's tl verify --package would
	 * fail: refused here rather than found there */
	struct tl_buf mb = TL_BUF_INIT;
	struct tl_json *mj = NULL;
	long bad = 0;
	if (tl_read_file(mpath, 1u << 30, &mb, err) ||
	    !(mj = tl_json_parse("out/manifest.json", mb.data ? mb.data : "", mb.len, err))) {
		bad = 1;
	} else {
		long ok = 0;
		bad = tl_manifest_check_config(c, mj, NULL, &ok, err);
		if (!bad && !o->historical)
			bad = tl_manifest_stale(c, mj, NULL, err);
	}
	tl_json_free(mj);
	tl_buf_release(&mb);
	if (bad) {
		tl_sums_release(&s);
		return -1;
	}

	/* the temporary file is hidden beside DEST: same file system for the
	 * final rename, and skipped if DEST lies in out/ */
	char tmp[4200];
	const char *slash = strrchr(dest, '/');
	int n = slash ? snprintf(tmp, sizeof(tmp), "%.*s/.%s.tmp-%ld", (int)(slash - dest), dest, slash + 1,
				 (long)getpid())
		      : snprintf(tmp, sizeof(tmp), ".%s.tmp-%ld", dest, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp) || (slash && !slash[1])) {
		tl_sums_release(&s);
		return tl_errf(err, "bad package name '%s'", dest);
	}
	struct pkw *w = calloc(1, sizeof(*w));
	int rc = -1;
	if (w)
		w->fd = -1;
	if (!w || !(w->io = malloc(IOBUF)) || !(w->h = tl_sha256_new()) || !(w->a = archive_write_new())) {
		tl_errf(err, "out of memory");
		goto cleanup;
	}
	w->fd = -1;
	w->err = err;
	w->path = dest;
	w->res = res;
	w->top = top;
	w->fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		tl_errf(err, "cannot create '%s': %s", tmp, strerror(errno));
		goto cleanup;
	}
	/* pax only where ustar cannot hold a member; gzip with no time in its
	 * header; the last block not padded (zeros after the gzip stream would be
	 * trailing garbage to gzip -d). A gzip filter that would run an external
	 * program (ARCHIVE_WARN) is not deterministic either: refused. */
	if (archive_write_set_format_pax_restricted(w->a) != ARCHIVE_OK ||
	    archive_write_add_filter_gzip(w->a) != ARCHIVE_OK ||
	    archive_write_set_filter_option(w->a, "gzip", "timestamp", NULL) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(w->a, 1) != ARCHIVE_OK ||
	    archive_write_open2(w->a, w, NULL, pkw_write, NULL, NULL) != ARCHIVE_OK) {
		pkw_fail(w);
		goto cleanup;
	}
	if (write_tar(w, c, o, &s, dest_exists ? &dest_st : NULL, notes))
		goto cleanup;
	for (size_t i = 0; i < s.n; i++) {
		/* evidence lines without --with-evidence are expected to be absent */
		if (s.v[i].used || (!o->with_evidence && !strncmp(s.v[i].name, "../", 3)))
			continue;
		tl_errf(err, "out/SHA256SUMS lists '%s' but the case has no such file: see tl verify", s.v[i].name);
		goto cleanup;
	}
	/* the end of the archive: two zero blocks, then the gzip trailer */
	if (archive_write_close(w->a) != ARCHIVE_OK) {
		pkw_fail(w);
		goto cleanup;
	}
	if (fsync(w->fd) != 0) {
		tl_errf(err, "cannot write '%s': %s", tmp, strerror(errno));
		goto cleanup;
	}
	int fd = w->fd;
	w->fd = -1;
	if (close(fd) != 0) {
		tl_errf(err, "cannot write '%s': %s", tmp, strerror(errno));
		goto cleanup;
	}
	if (o->force) {
		if (rename(tmp, dest) != 0) {
			tl_errf(err, "cannot write '%s': %s", dest, strerror(errno));
			goto cleanup;
		}
	} else if (link(tmp, dest) != 0) {
		/* link() never replaces a file that appeared meanwhile; where links
		 * are not supported, rename() after one more look will do */
		if (errno == EEXIST || lstat(dest, &st) == 0 || rename(tmp, dest) != 0) {
			tl_errf(err, "cannot write '%s': %s", dest, errno == EEXIST ? "it exists now" : strerror(errno));
			goto cleanup;
		}
	} else {
		unlink(tmp);
	}
	tl_sha256_final_hex(w->h, res->sha256);
	w->h = NULL;
	rc = 0;
cleanup:
	if (w) {
		if (w->fd >= 0)
			close(w->fd);
		if (rc)
			unlink(tmp);
		if (w->a)
			archive_write_free(w->a);
		if (w->h) {
			char junk[65];
			tl_sha256_final_hex(w->h, junk);
		}
		for (size_t i = 0; i < w->ndirs; i++)
			free(w->dirs[i]);
		free(w->dirs);
		free(w->io);
		free(w);
	}
	tl_sums_release(&s);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Reading: walk the tar stream, hash each member, keep what the checks need */

struct member {
	char *name; /* relative to the top folder */
	char sha[65];
	unsigned long long size;
	int covered;
};

struct reader {
	struct archive *a;
	FILE *out;
	long ok, failed, skipped;
	char *top;
	struct member *m;
	size_t n, cap;
	int any_evidence;
	int complete; /* the walk reached the end of the archive */
	struct tl_buf sums, manifest, custody;
	int have_sums, have_manifest, have_custody;
	char reason[600]; /* why the walk stopped early, or "" */
	unsigned char io[1u << 16];
};

/* NAME as it may be shown on a terminal: hostile names carry escapes. */
static void show(struct tl_buf *b, const char *name)
{
	tl_buf_reset(b);
	tl_term_escape(b, name, strlen(name));
	if (!b->data)
		tl_buf_adds(b, "");
}

static void r_ok(struct reader *r, const char *what, const char *detail)
{
	struct tl_buf b = TL_BUF_INIT;
	show(&b, what);
	fprintf(r->out, "OK   %s%s\n", b.data ? b.data : "", detail ? detail : "");
	tl_buf_release(&b);
	r->ok++;
}

static void r_line(struct reader *r, const char *tag, const char *what, const char *why)
{
	struct tl_buf b = TL_BUF_INIT;
	show(&b, what);
	fprintf(r->out, "%s %s: %s\n", tag, b.data ? b.data : "", why);
	tl_buf_release(&b);
}

static void r_fail(struct reader *r, const char *what, const char *why)
{
	r_line(r, "FAIL", what, why);
	r->failed++;
}

/* Read and hash the current member's data (SIZE bytes as its header says),
 * keeping them in KEEP (may be NULL; a member over KEEP's max is hashed but
 * not kept). -1 when the stream is damaged or cut short (r->reason). */
static int r_data(struct reader *r, unsigned long long size, struct tl_sha256 *h, struct tl_buf *keep, int *kept)
{
	unsigned long long got = 0;
	if (kept)
		*kept = keep != NULL;
	for (;;) {
		la_ssize_t n = archive_read_data(r->a, r->io, sizeof(r->io));
		if (n == 0)
			break;
		if (n < 0) {
			const char *m = archive_error_string(r->a);
			snprintf(r->reason, sizeof(r->reason), "damaged or cut short at byte %lld of the tar stream (%s)",
				 (long long)archive_filter_bytes(r->a, 0), m ? m : "read error");
			return -1;
		}
		got += (unsigned long long)n;
		if (h)
			tl_sha256_update(h, r->io, (size_t)n);
		if (keep && kept && *kept && tl_buf_add(keep, r->io, (size_t)n))
			*kept = 0;
	}
	if (got != size) {
		snprintf(r->reason, sizeof(r->reason), "cut short at byte %lld of the tar stream",
			 (long long)archive_filter_bytes(r->a, 0));
		return -1;
	}
	return 0;
}

/* The tar type flag of an entry, for messages. */
static char type_flag(struct archive_entry *e)
{
	if (archive_entry_hardlink(e))
		return '1';
	switch (archive_entry_filetype(e)) {
	case AE_IFREG:
		return '0';
	case AE_IFLNK:
		return '2';
	case AE_IFCHR:
		return '3';
	case AE_IFBLK:
		return '4';
	case AE_IFDIR:
		return '5';
	case AE_IFIFO:
		return '6';
	default:
		return '?';
	}
}

/* Split NAME into the top folder and the rest; -1 if it is absolute, climbs
 * with "..", or has empty or "." parts (a leading "./" is allowed). */
static int split_name(char *name, char **top, char **rest)
{
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	if (!*name || name[0] == '/')
		return -1;
	size_t l = strlen(name);
	while (l > 1 && name[l - 1] == '/')
		name[--l] = 0; /* folders end in '/' */
	for (const char *p = name; *p;) {
		size_t cl = strcspn(p, "/");
		if (cl == 0 || (cl == 1 && p[0] == '.') || (cl == 2 && p[0] == '.' && p[1] == '.'))
			return -1;
		p += cl + (p[cl] == '/');
	}
	char *slash = strchr(name, '/');
	*top = name;
	*rest = slash ? slash + 1 : name + l;
	if (slash)
		*slash = 0;
	return 0;
}

static int member_cmp(const void *a, const void *b)
{
	return strcmp(((const struct member *)a)->name, ((const struct member *)b)->name);
}

static struct member *member_find(struct reader *r, const char *name)
{
	struct member key = { (char *)name, "", 0, 0 };
	return r->n ? bsearch(&key, r->m, r->n, sizeof(*r->m), member_cmp) : NULL;
}

/* Walk every member. Returns 0 at the end of the archive, -1 when it stopped
 * early (r->reason). libarchive reads the tar headers (ustar, pax, GNU long
 * names) and checks their checksums; the names are judged here. */
static int walk(struct reader *r)
{
	for (;;) {
		struct archive_entry *e;
		int x = archive_read_next_header(r->a, &e);
		if (x == ARCHIVE_EOF)
			return 0;
		if (x != ARCHIVE_OK && x != ARCHIVE_WARN) {
			const char *m = archive_error_string(r->a);
			snprintf(r->reason, sizeof(r->reason), "damaged or cut short at byte %lld of the tar stream (%s)",
				 (long long)archive_filter_bytes(r->a, 0), m ? m : "unreadable");
			return -1;
		}
		const char *name = archive_entry_pathname(e);
		char raw[MAX_NAME + 8];
		if (!name || strlen(name) > MAX_NAME) {
			snprintf(raw, sizeof(raw), "%.200s...", name ? name : "(no name)");
			r_fail(r, raw, "member name missing or longer than 4096 bytes");
			if (r_data(r, (unsigned long long)archive_entry_size(e), NULL, NULL, NULL))
				return -1;
			continue;
		}
		snprintf(raw, sizeof(raw), "%s", name);
		char shown_name[MAX_NAME + 8];
		snprintf(shown_name, sizeof(shown_name), "%s", raw);
		char type = type_flag(e);
		unsigned long long size = archive_entry_size(e) > 0 ? (unsigned long long)archive_entry_size(e) : 0;
		char *top, *rest;
		if (split_name(raw, &top, &rest) != 0) {
			r_fail(r, shown_name, "unsafe member name (absolute, or with '..'): not a tl package member");
		} else if (r->top && strcmp(top, r->top)) {
			r_fail(r, shown_name, "outside the package's top folder");
		} else if (!r->top && !(r->top = strdup(top))) {
			snprintf(r->reason, sizeof(r->reason), "out of memory");
			return -1;
		} else if (type == '5') {
			; /* a folder: nothing to check */
		} else if (type != '0' || !*rest) {
			char why[80];
			snprintf(why, sizeof(why), "unexpected member type '%c' (tl packages hold only files and folders)",
				 type);
			r_fail(r, shown_name, why);
		} else if (r->n >= (size_t)MAX_MEMBERS) {
			snprintf(r->reason, sizeof(r->reason), "more than %ld members", MAX_MEMBERS);
			return -1;
		} else {
			struct tl_buf *keep = !strcmp(rest, "out/SHA256SUMS")	 ? &r->sums
					      : !strcmp(rest, "out/manifest.json") ? &r->manifest
					      : !strcmp(rest, "custody.jsonl")	 ? &r->custody
										 : NULL;
			int *have = keep == &r->sums ? &r->have_sums
				    : keep == &r->manifest ? &r->have_manifest
				    : keep == &r->custody ? &r->have_custody
							  : NULL;
			if (keep) {
				/* a second copy of one of these is caught as a duplicate below */
				if (*have)
					keep = NULL;
				else
					tl_buf_reset(keep);
			}
			if (keep)
				keep->max = keep == &r->custody ? MAX_CUSTODY : keep == &r->sums ? MAX_SUMS : MAX_MANIFEST;
			struct member *v = tl_grow(r->m, &r->cap, r->n + 1, sizeof(*v), 64);
			if (!v) {
				snprintf(r->reason, sizeof(r->reason), "out of memory");
				return -1;
			}
			r->m = v;
			struct member *m = &r->m[r->n];
			struct tl_sha256 *hs = tl_sha256_new();
			m->name = strdup(rest);
			if (!hs || !m->name) {
				free(m->name);
				if (hs)
					tl_sha256_final_hex(hs, m->sha);
				snprintf(r->reason, sizeof(r->reason), "out of memory");
				return -1;
			}
			int kept = 0;
			int drc = r_data(r, size, hs, keep, &kept);
			tl_sha256_final_hex(hs, m->sha);
			if (drc) {
				free(m->name);
				return -1;
			}
			m->size = size;
			m->covered = 0;
			r->n++;
			if (keep && !kept)
				r_fail(r, shown_name, "too large to check");
			else if (keep)
				*have = 1;
			if (!strncmp(rest, "evidence/", 9))
				r->any_evidence = 1;
			continue;
		}
		/* links and devices carry no data; anything else is read past */
		if (type != '1' && type != '2' && type != '3' && type != '4' && type != '6' &&
		    r_data(r, size, NULL, NULL, NULL))
			return -1;
	}
}

static void check_sums_lines(struct reader *r)
{
	struct tl_sums s;
	if (tl_sums_parse(r->sums.data ? r->sums.data : "", r->sums.len, &s)) {
		r_fail(r, "out/SHA256SUMS", "out of memory");
		return;
	}
	if (s.bad) {
		char why[80];
		snprintf(why, sizeof(why), "%u malformed line(s), the first at line %u", s.bad, s.first_bad);
		r_fail(r, "out/SHA256SUMS", why);
	}
	/* in the file's own order, as sha256sum -c would report */
	struct tl_sum **order = tl_sums_in_file_order(&s);
	if (!order) {
		tl_sums_release(&s);
		r_fail(r, "out/SHA256SUMS", "out of memory");
		return;
	}
	int manifest_line = 0;
	for (size_t i = 0; i < s.n; i++) {
		struct tl_sum *e = order[i];
		char what[MAX_NAME + 40], path[MAX_NAME + 8], why[600];
		snprintf(what, sizeof(what), "out/SHA256SUMS: %s", e->name);
		if (tl_sums_resolve(e->name, path, sizeof(path))) {
			r_fail(r, what, "names a file outside the package");
			continue;
		}
		if (!strcmp(path, "out/manifest.json"))
			manifest_line = 1;
		if (!strcmp(path, "out/SHA256SUMS")) {
			r_fail(r, what, "SHA256SUMS cannot list itself");
			continue;
		}
		struct member *m = member_find(r, path);
		if (!m) {
			/* a package cut short may have lost its evidence: only a whole one can say it has none */
			if (!strncmp(path, "evidence/", 9) && !r->any_evidence && r->complete) {
				r_line(r, "SKIP", what, "not in package (packaged without evidence)");
				r->skipped++;
			} else {
				r_fail(r, what, "not in package");
			}
			continue;
		}
		m->covered = 1;
		if (strcmp(m->sha, e->sha)) {
			snprintf(why, sizeof(why), "sha256 is %.16s..., the manifest recorded %.16s...", m->sha, e->sha);
			r_fail(r, what, why);
		} else {
			r_ok(r, what, NULL);
		}
	}
	if (!manifest_line)
		r_fail(r, "out/SHA256SUMS", "no line for manifest.json");
	free(order);
	/* as tl verify CASE: SHA256SUMS lists exactly what the manifest lists */
	struct tl_err e;
	struct tl_json *mj = r->have_manifest ? tl_json_parse("out/manifest.json", r->manifest.data ? r->manifest.data : "",
							       r->manifest.len, &e) : NULL;
	if (mj) {
		char msha[65];
		long checked = 0;
		tl_sha256_hex(r->manifest.data ? r->manifest.data : "", r->manifest.len, msha);
		long bad = tl_manifest_check_sums(mj, msha, &s, "manifest", r->out, &checked);
		if (bad) {
			r->failed += bad;
		} else {
			char what[120];
			snprintf(what, sizeof(what), "out/SHA256SUMS lists what out/manifest.json lists (%ld files)", checked);
			r_ok(r, what, NULL);
		}
		tl_json_free(mj);
	}
	tl_sums_release(&s);
}

/* tl.json and formats/ against the manifest's hashes of them. */
static void check_config(struct reader *r)
{
	struct tl_err e;
	struct tl_json *j = tl_json_parse("out/manifest.json", r->manifest.data ? r->manifest.data : "",
					  r->manifest.len, &e);
	if (!j) {
		r_fail(r, "out/manifest.json", e.msg);
		return;
	}
	const struct tl_json *cfg = tl_json_get(j, "case_config_sha256");
	struct member *m = member_find(r, "tl.json");
	char none[65], why[600];
	tl_sha256_hex("", 0, none);
	if (!cfg || cfg->type != TL_JSON_STRING) {
		r_fail(r, "out/manifest.json", "no case_config_sha256");
	} else if (!m) {
		/* a case without tl.json hashes its config as empty */
		if (strcmp(cfg->str, none))
			r_fail(r, "tl.json", "not in package");
	} else {
		m->covered = 1;
		if (strcmp(m->sha, cfg->str)) {
			snprintf(why, sizeof(why), "sha256 is %.16s..., the manifest recorded %.16s...", m->sha, cfg->str);
			r_fail(r, "tl.json", why);
		} else {
			r_ok(r, "tl.json", " (= manifest case_config_sha256)");
		}
	}
	const struct tl_json *fs = tl_json_get(j, "formats");
	for (size_t i = 0; fs && fs->type == TL_JSON_ARRAY && i < fs->n; i++) {
		const struct tl_json *o = tl_json_get(fs->kids[i], "origin");
		const struct tl_json *h = tl_json_get(fs->kids[i], "sha256");
		if (!o || !h || o->type != TL_JSON_STRING || h->type != TL_JSON_STRING ||
		    strncmp(o->str, "formats/", 8))
			continue; /* built-in formats live in the binary */
		struct member *f = member_find(r, o->str);
		if (!f) {
			r_fail(r, o->str, "not in package (the manifest names it as a format used)");
			continue;
		}
		f->covered = 1;
		if (strcmp(f->sha, h->str)) {
			snprintf(why, sizeof(why), "sha256 is %.16s..., the manifest recorded %.16s...", f->sha, h->str);
			r_fail(r, o->str, why);
		} else {
			r_ok(r, o->str, " (= manifest formats)");
		}
	}
	/* the sender shipped them with --historical: the recipient hears it too */
	const struct tl_json *outs = tl_json_get(j, "outputs");
	for (size_t i = 0; outs && outs->type == TL_JSON_ARRAY && i < outs->n; i++) {
		const struct tl_json *p = tl_json_get(outs->kids[i], "path"), *st = tl_json_get(outs->kids[i], "stale");
		if (p && p->type == TL_JSON_STRING && st && st->type == TL_JSON_BOOL && st->boolean) {
			char what[MAX_NAME + 8];
			snprintf(what, sizeof(what), "out/%s", p->str);
			r_line(r, "STALE", what, "written before the events last changed (shipped as history)");
		}
	}
	tl_json_free(j);
}

long tl_package_verify(const char *path, FILE *out, struct tl_err *err)
{
	int fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return tl_errf(err, "cannot open '%s': %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return tl_errf(err, "'%s' is not a file", path);
	}
	long rc;
	struct reader *r = calloc(1, sizeof(*r));
	struct archive *a = r ? archive_read_new() : NULL;
	if (!a) {
		close(fd);
		free(r);
		return tl_errf(err, "out of memory");
	}
	r->a = a;
	r->out = out;
	/* a package is tar in gzip (an uncompressed tar is read too); nothing else */
	if (archive_read_support_filter_gzip(a) != ARCHIVE_OK || archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    archive_read_open_fd(a, fd, 1u << 17) != ARCHIVE_OK) {
		const char *m = archive_error_string(a);
		rc = tl_errf(err, "'%s' is not a readable tl package: not a tar or tar.gz archive, or damaged or cut "
				  "short (%s)", path, m ? m : "unrecognised data");
		goto cleanup;
	}
	struct tl_buf init = TL_BUF_INIT;
	r->sums = r->manifest = r->custody = init;
	int walked = walk(r);
	if (walked && r->n == 0) {
		rc = tl_errf(err, "'%s' is not a readable tl package: %s", path, r->reason);
		goto cleanup;
	}
	r->complete = walked == 0;
	if (walked)
		r_fail(r, "package", r->reason);
	if (r->n)
		qsort(r->m, r->n, sizeof(*r->m), member_cmp);
	for (size_t i = 1; i < r->n; i++)
		if (!strcmp(r->m[i].name, r->m[i - 1].name) && (i < 2 || strcmp(r->m[i - 1].name, r->m[i - 2].name)))
			r_fail(r, r->m[i].name, "appears more than once in the package (which copy is meant?)");
	struct tl_buf topb = TL_BUF_INIT;
	show(&topb, r->top ? r->top : "?");
	fprintf(out, "note: package of case '%s', %zu files%s\n", topb.data ? topb.data : "?", r->n,
		r->any_evidence ? ", with evidence" : r->complete ? ", without evidence" : "");
	tl_buf_release(&topb);
	if (r->have_sums)
		check_sums_lines(r);
	else
		r_fail(r, "out/SHA256SUMS", "not in package");
	struct member *m = member_find(r, "out/SHA256SUMS");
	if (m)
		m->covered = 1;
	if (r->have_manifest)
		check_config(r);
	else if (!member_find(r, "out/manifest.json"))
		r_fail(r, "out/manifest.json", "not in package");
	if ((m = member_find(r, "custody.jsonl")))
		m->covered = 1;
	if (r->have_custody) {
		long entries, bad = tl_custody_verify_buffer(r->custody.data, r->custody.len, out, &entries);
		if (bad) {
			r->failed += bad;
		} else {
			char what[80];
			snprintf(what, sizeof(what), "custody.jsonl (%ld entries, chain intact)", entries);
			r_ok(r, what, NULL);
		}
		/* the anchor the (signed) manifest recorded, as tl verify CASE checks it */
		struct tl_err je;
		struct tl_json *mj = r->have_manifest ? tl_json_parse("out/manifest.json",
								       r->manifest.data ? r->manifest.data : "",
								       r->manifest.len, &je) : NULL;
		if (mj)
			r->failed += tl_manifest_check_anchor(mj, r->custody.data, r->custody.len, 0, out, &r->ok);
		tl_json_free(mj);
	} else if (!m) {
		r_fail(r, "custody.jsonl", "not in package");
	}
	for (size_t i = 0; i < N_COMPANIONS; i++) {
		char name[200];
		snprintf(name, sizeof(name), "out/%s", companions[i]);
		if (!(m = member_find(r, name)))
			continue;
		m->covered = 1;
		if (i == 0)
			fprintf(out, "note: %s is the manifest's signature: extract it and run "
				     "openssl pkeyutl -verify (docs/commands/manifest.md)\n", name);
		else
			fprintf(out, "note: %s is derived from the manifest, not covered by SHA256SUMS\n", name);
	}
	if ((m = member_find(r, "replay.tl"))) {
		m->covered = 1;
		fprintf(out, "note: replay.tl is not covered by the manifest (the outputs of its steps are)\n");
	}
	for (size_t i = 0; i < r->n; i++) {
		if (r->m[i].covered || (i && !strcmp(r->m[i].name, r->m[i - 1].name)))
			continue; /* a duplicate was reported above */
		if (!strncmp(r->m[i].name, "formats/", 8) && !strchr(r->m[i].name + 8, '/')) {
			r_line(r, "SKIP", r->m[i].name, "no event used this format, so the manifest does not list it");
			r->skipped++;
		} else {
			r_fail(r, r->m[i].name, "in the package but not in out/SHA256SUMS (added after tl manifest?)");
		}
		r->m[i].covered = 1; /* duplicates: once */
	}
	fprintf(out, "verify: %ld ok, %ld failed\n", r->ok, r->failed);
	rc = r->failed;
cleanup:
	archive_read_free(a);
	close(fd);
	for (size_t i = 0; i < r->n; i++)
		free(r->m[i].name);
	free(r->m);
	free(r->top);
	tl_buf_release(&r->sums);
	tl_buf_release(&r->manifest);
	tl_buf_release(&r->custody);
	free(r);
	return rc;
}
