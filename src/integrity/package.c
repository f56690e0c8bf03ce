/*
 * Handoff packages (see include/tl/package.h): a POSIX ustar stream, with pax
 * extended headers for names over 100 bytes or sizes over 8 GiB, deflated by
 * zlib into a gzip stream written here rather than through gzopen(), so that
 * the gzip header's time is 0 and the bytes depend on the case alone.
 *
 * Writing streams every file through a 1 MiB buffer and hashes it on the way,
 * so a file that changed since `tl manifest` is caught without reading it
 * twice. Reading streams too: members are hashed as they pass and only the
 * small ones the checks need (SHA256SUMS, manifest.json, custody.jsonl) are
 * kept in memory, each with a cap.
 */
#define _POSIX_C_SOURCE 200809L
#include "tl/package.h"
#include "tl/sums.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "tl/custody.h"
#include "tl/json.h"
#include "tl/store.h"
#include "tl/banned.h"

#define BLOCK 512
#define IOBUF (1u << 20)
#define USTAR_MAX_SIZE 077777777777LL /* 11 octal digits */
#define MAX_NAME 4096
#define MAX_MEMBERS (1L << 20)
#define MAX_SUMS (64u << 20)
#define MAX_MANIFEST (64u << 20)
#define MAX_CUSTODY (256u << 20)
#define MAX_PAX (1u << 20)

/* ------------------------------------------------------------------------ */
/* SHA256SUMS lines (coreutils' format, backslash-escaped names)            */

/* ------------------------------------------------------------------------ */
/* Writing: gzip by hand, so its header holds no time                       */

struct gzw {
	int fd;
	z_stream z;
	int zinit;
	struct tl_sha256 *h;
	unsigned char zout[1u << 16];
	unsigned char *io;      /* IOBUF bytes for reading files */
	struct tl_err *err;
	const char *path;
	int failed;
	struct tl_package_result *res;
	/* folders already written, so each gets one entry before its first file */
	char **dirs;
	size_t ndirs, capdirs;
	const char *top;
};

static int gzw_deflate(struct gzw *w, const void *p, size_t len, int flush)
{
	if (w->failed)
		return -1;
	w->z.next_in = (Bytef *)(uintptr_t)p;
	w->z.avail_in = (uInt)len;
	do {
		w->z.next_out = w->zout;
		w->z.avail_out = sizeof(w->zout);
		int zr = deflate(&w->z, flush);
		if (zr == Z_STREAM_ERROR) {
			w->failed = 1;
			return tl_errf(w->err, "cannot compress: %s", w->z.msg ? w->z.msg : "zlib error");
		}
		size_t have = sizeof(w->zout) - w->z.avail_out;
		for (size_t off = 0; off < have;) {
			ssize_t n = write(w->fd, w->zout + off, have - off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				w->failed = 1;
				return tl_errf(w->err, "cannot write '%s': %s", w->path, n < 0 ? strerror(errno) : "short write");
			}
			off += (size_t)n;
		}
		tl_sha256_update(w->h, w->zout, have);
	} while (w->z.avail_out == 0 || (flush == Z_FINISH && w->z.avail_in));
	return 0;
}

/* Feed LEN bytes (any size; zlib's avail_in is 32-bit, so in slices). */
static int gzw_put(struct gzw *w, const void *p, size_t len)
{
	const char *c = p;
	while (len) {
		size_t k = len > (1u << 30) ? (1u << 30) : len;
		if (gzw_deflate(w, c, k, Z_NO_FLUSH))
			return -1;
		c += k, len -= k;
	}
	return 0;
}

static int gzw_finish(struct gzw *w)
{
	if (w->failed)
		return -1;
	w->z.next_in = NULL;
	w->z.avail_in = 0;
	for (;;) {
		w->z.next_out = w->zout;
		w->z.avail_out = sizeof(w->zout);
		int zr = deflate(&w->z, Z_FINISH);
		if (zr == Z_STREAM_ERROR)
			return w->failed = 1, tl_errf(w->err, "cannot compress");
		size_t have = sizeof(w->zout) - w->z.avail_out;
		for (size_t off = 0; off < have;) {
			ssize_t n = write(w->fd, w->zout + off, have - off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return w->failed = 1,
				       tl_errf(w->err, "cannot write '%s': %s", w->path, n < 0 ? strerror(errno) : "short write");
			off += (size_t)n;
		}
		tl_sha256_update(w->h, w->zout, have);
		if (zr == Z_STREAM_END)
			return 0;
	}
}

static const unsigned char zeros[BLOCK];

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

static int pad(struct gzw *w, unsigned long long size)
{
	size_t r = (size_t)(size % BLOCK);
	return r ? gzw_put(w, zeros, BLOCK - r) : 0;
}

static void octal(char *field, size_t width, unsigned long long v)
{
	/* width-1 digits and a NUL, as GNU tar and POSIX both read */
	snprintf(field, width, "%0*llo", (int)(width - 1), v);
}

/* One pax record, "LEN key=value\n", where LEN counts itself. */
static int pax_record(struct tl_buf *b, const char *key, const char *val)
{
	size_t body = 1 + strlen(key) + 1 + strlen(val) + 1, len = body + 1;
	char digits[32];
	for (;;) {
		int d = snprintf(digits, sizeof(digits), "%zu", len);
		if (body + (size_t)d == len)
			break;
		len = body + (size_t)d;
	}
	return tl_buf_addf(b, "%s %s=%s\n", digits, key, val);
}

static int header_block(struct gzw *w, const char *name, unsigned long long size, char type, unsigned mode)
{
	unsigned char h[BLOCK];
	memset(h, 0, sizeof(h));
	size_t nl = strlen(name);
	memcpy(h, name, nl > 100 ? 100 : nl);
	octal((char *)h + 100, 8, mode);
	octal((char *)h + 108, 8, 0);
	octal((char *)h + 116, 8, 0);
	octal((char *)h + 124, 12, size > (unsigned long long)USTAR_MAX_SIZE ? 0 : size);
	octal((char *)h + 136, 12, 0); /* mtime: see package.h */
	memset(h + 148, ' ', 8);
	h[156] = (unsigned char)type;
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memcpy(h + 265, "tl", 2);
	memcpy(h + 297, "tl", 2);
	unsigned sum = 0;
	for (size_t i = 0; i < BLOCK; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
	return gzw_put(w, h, BLOCK);
}

/* The header(s) of a member: a pax header first when ustar cannot hold it. */
static int header(struct gzw *w, const char *name, unsigned long long size, char type, unsigned mode)
{
	if (strlen(name) > 100 || size > (unsigned long long)USTAR_MAX_SIZE) {
		struct tl_buf b = TL_BUF_INIT;
		char num[32];
		snprintf(num, sizeof(num), "%llu", size);
		int rc = (strlen(name) > 100 ? pax_record(&b, "path", name) : 0) |
			 (size > (unsigned long long)USTAR_MAX_SIZE ? pax_record(&b, "size", num) : 0);
		if (rc || !b.data) {
			tl_buf_release(&b);
			w->failed = 1;
			return tl_errf(w->err, "out of memory");
		}
		rc = header_block(w, "././@PaxHeader", b.len, 'x', 0644) || gzw_put(w, b.data, b.len) ||
		     pad(w, b.len);
		tl_buf_release(&b);
		if (rc)
			return -1;
	}
	return header_block(w, name, size, type, mode);
}

/* Folder entries for every parent of REL not yet written. */
static int parents(struct gzw *w, const char *rel)
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
		if (w->ndirs == w->capdirs) {
			size_t cap = w->capdirs ? w->capdirs * 2 : 16;
			char **v = realloc(w->dirs, cap * sizeof(*v));
			if (!v)
				return w->failed = 1, tl_errf(w->err, "out of memory");
			w->dirs = v;
			w->capdirs = cap;
		}
		if (!(w->dirs[w->ndirs] = strdup(dir)))
			return w->failed = 1, tl_errf(w->err, "out of memory");
		w->ndirs++;
		if (header(w, dir, 0, '5', 0755))
			return -1;
	}
}

/* Pack the file at PATH as TOP/REL; SHA gets its hash. LOCK takes a shared
 * flock while reading (the custody log, which tl appends to under flock). */
static int pack_file(struct gzw *w, const char *path, const char *rel, int lock, char sha[65])
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
	if (parents(w, rel) || header(w, name, size, '0', 0644))
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
		if (gzw_put(w, w->io, (size_t)got))
			goto done;
		left -= (unsigned long long)got;
	}
	char extra;
	if (read(fd, &extra, 1) != 0) {
		w->failed = 1;
		tl_errf(w->err, "'%s' grew while being packaged", path);
		goto done;
	}
	if (pad(w, size))
		goto done;
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
static int pack_listed(struct gzw *w, struct tl_sums *s, const char *path, const char *rel, const char *key)
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

static int write_tar(struct gzw *w, const struct tl_case *c, const struct tl_package_opts *o, struct tl_sums *s,
		     const struct stat *dest_st, FILE *notes)
{
	char path[8400], sha[65];
	/* the manifest first, so a reader sees what to expect before the rest */
	snprintf(path, sizeof(path), "%s/manifest.json", c->out_dir);
	if (pack_listed(w, s, path, "out/manifest.json", "manifest.json"))
		return -1;
	snprintf(path, sizeof(path), "%s/SHA256SUMS", c->out_dir);
	if (pack_file(w, path, "out/SHA256SUMS", 0, sha))
		return -1;
	for (size_t i = 0; i < N_COMPANIONS; i++) {
		struct stat st;
		char rel[200];
		snprintf(path, sizeof(path), "%s/%s", c->out_dir, companions[i]);
		snprintf(rel, sizeof(rel), "out/%s", companions[i]);
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && pack_file(w, path, rel, 0, sha))
			return -1;
	}
	const char *loose[] = { "custody.jsonl", "replay.tl", "tl.json" };
	for (int i = 0; i < 3; i++) {
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", c->root, loose[i]);
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
		snprintf(path, sizeof(path), "%s/%s", c->formats_dir, l.v[i]);
		snprintf(rel, sizeof(rel), "formats/%s", l.v[i]);
		if (pack_file(w, path, rel, 0, sha)) {
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
		snprintf(path, sizeof(path), "%s/%s", c->out_dir, l.v[i]);
		snprintf(rel, sizeof(rel), "out/%s", l.v[i]);
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
	sqlite3 *db = tl_store_db(st);
	sqlite3_stmt *q;
	int rc = 0;
	/* an archive member's evidence is its archive, packed once */
	if (sqlite3_prepare_v2(db, "SELECT DISTINCT coalesce(container, path) FROM evidence_files ORDER BY 1", -1, &q,
			       NULL) != SQLITE_OK) {
		tl_store_close(st);
		return w->failed = 1, tl_errf(w->err, "case.db: %s", sqlite3_errmsg(db));
	}
	int sr;
	while (!rc && (sr = sqlite3_step(q)) == SQLITE_ROW) {
		const char *rel = (const char *)sqlite3_column_text(q, 0);
		char key[4200];
		if (!rel || !safe_rel(rel)) {
			rc = tl_errf(w->err, "case.db names evidence '%s' outside the case", rel ? rel : "(null)");
			break;
		}
		snprintf(key, sizeof(key), "../%s", rel);
		if (!tl_sums_find(s, key)) {
			if (notes)
				fprintf(notes, "note: %s left out: not in out/SHA256SUMS (run tl manifest to include it)\n",
					rel);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", c->root, rel);
		rc = pack_listed(w, s, path, rel, key);
	}
	if (!rc && sr != SQLITE_DONE)
		rc = tl_errf(w->err, "case.db: %s", sqlite3_errmsg(db));
	sqlite3_finalize(q);
	tl_store_close(st);
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
	snprintf(mpath, sizeof(mpath), "%s/manifest.json", c->out_dir);
	snprintf(spath, sizeof(spath), "%s/SHA256SUMS", c->out_dir);
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
	struct gzw *w = calloc(1, sizeof(*w));
	int rc = -1;
	if (w)
		w->fd = -1;
	if (!w || !(w->io = malloc(IOBUF)) || !(w->h = tl_sha256_new())) {
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
	/* windowBits 15+16: a gzip wrapper; the header set here has no name, no
	 * time and a fixed OS byte (3, Unix) so the bytes do not depend on the build */
	if (deflateInit2(&w->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		tl_errf(err, "cannot start compression");
		goto cleanup;
	}
	w->zinit = 1;
	gz_header gh;
	memset(&gh, 0, sizeof(gh));
	gh.os = 3;
	deflateSetHeader(&w->z, &gh);
	if (write_tar(w, c, o, &s, dest_exists ? &dest_st : NULL, notes))
		goto cleanup;
	for (size_t i = 0; i < s.n; i++) {
		/* evidence lines without --with-evidence are expected to be absent */
		if (s.v[i].used || (!o->with_evidence && !strncmp(s.v[i].name, "../", 3)))
			continue;
		tl_errf(err, "out/SHA256SUMS lists '%s' but the case has no such file: see tl verify", s.v[i].name);
		goto cleanup;
	}
	/* the end of the archive: two zero blocks */
	if (gzw_put(w, zeros, BLOCK) || gzw_put(w, zeros, BLOCK) || gzw_finish(w))
		goto cleanup;
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
		if (w->zinit)
			deflateEnd(&w->z);
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
	gzFile gz;
	FILE *out;
	long ok, failed, skipped;
	unsigned long long offset; /* uncompressed bytes read */
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

/* zlib's message without the "<fd:N>: " it puts before it. */
static const char *gz_msg(const char *msg)
{
	const char *p = msg && !strncmp(msg, "<fd:", 4) ? strstr(msg, ": ") : NULL;
	return p ? p + 2 : msg ? msg : "zlib error";
}

/* Read exactly LEN bytes; 1 done, 0 clean end before any byte, -1 cut short
 * or damaged (r->reason says which). */
static int r_read(struct reader *r, void *p, size_t len)
{
	size_t got = 0;
	while (got < len) {
		int n = gzread(r->gz, (char *)p + got, (unsigned)(len - got));
		if (n <= 0) {
			int zerr = Z_OK;
			const char *msg = gzerror(r->gz, &zerr);
			if (n == 0 && zerr == Z_OK && got == 0)
				return 0;
			if (zerr != Z_OK && zerr != Z_STREAM_END)
				snprintf(r->reason, sizeof(r->reason), "damaged or cut short at byte %llu of the tar stream (%s)",
					 r->offset + got, zerr == Z_ERRNO ? strerror(errno) : gz_msg(msg));
			else
				snprintf(r->reason, sizeof(r->reason), "cut short at byte %llu of the tar stream",
					 r->offset + got);
			r->offset += got;
			return -1;
		}
		got += (size_t)n;
	}
	r->offset += len;
	return 1;
}

/* Read and hash SIZE bytes of member data plus padding, keeping them in KEEP
 * (may be NULL; a member over KEEP's max is hashed but not kept). */
static int r_data(struct reader *r, unsigned long long size, struct tl_sha256 *h, struct tl_buf *keep, int *kept)
{
	unsigned long long total = (size + BLOCK - 1) / BLOCK * BLOCK, left = total;
	if (kept)
		*kept = keep != NULL;
	while (left) {
		size_t want = left < sizeof(r->io) ? (size_t)left : sizeof(r->io);
		if (r_read(r, r->io, want) != 1) {
			if (!r->reason[0])
				snprintf(r->reason, sizeof(r->reason), "cut short at byte %llu of the tar stream", r->offset);
			return -1;
		}
		unsigned long long done = total - left;
		size_t data = done >= size ? 0 : (size - done < want ? (size_t)(size - done) : want);
		if (h)
			tl_sha256_update(h, r->io, data);
		if (keep && kept && *kept && tl_buf_add(keep, r->io, data))
			*kept = 0;
		left -= want;
	}
	return 0;
}

/* A numeric header field: octal digits (space or NUL ended) or GNU base-256. */
static int parse_num(const unsigned char *f, size_t w, unsigned long long *out)
{
	unsigned long long v = 0;
	if (f[0] & 0x80) {
		if (f[0] != 0x80)
			return -1; /* negative */
		for (size_t i = 1; i < w; i++) {
			if (v >> 55)
				return -1;
			v = v << 8 | f[i];
		}
		*out = v;
		return 0;
	}
	size_t i = 0;
	while (i < w && f[i] == ' ')
		i++;
	for (; i < w && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v >> 60)
			return -1;
		v = v * 8 + (unsigned)(f[i] - '0');
	}
	for (; i < w; i++)
		if (f[i] != ' ' && f[i] != 0)
			return -1;
	*out = v;
	return 0;
}

static int checksum_ok(const unsigned char *h)
{
	unsigned long long want;
	if (parse_num(h + 148, 8, &want))
		return 0;
	unsigned long u = 0;
	long s = 0;
	for (int i = 0; i < BLOCK; i++) {
		unsigned char c = (i >= 148 && i < 156) ? ' ' : h[i];
		u += c;
		s += (signed char)c;
	}
	/* some old tars summed signed bytes */
	return want == u || (long long)want == s;
}

/* Pax records "LEN key=value\n": the path and size overrides, if any. */
static int parse_pax(const char *p, size_t len, char **path, unsigned long long *size, int *has_size)
{
	size_t i = 0;
	while (i < len) {
		size_t j = i, rl = 0;
		while (j < len && p[j] >= '0' && p[j] <= '9' && rl < len)
			rl = rl * 10 + (size_t)(p[j++] - '0');
		if (j >= len || p[j] != ' ' || rl == 0 || rl > len - i || p[i + rl - 1] != '\n')
			return -1;
		const char *kv = p + j + 1, *end = p + i + rl - 1;
		const char *eq = memchr(kv, '=', (size_t)(end - kv));
		if (!eq)
			return -1;
		size_t kl = (size_t)(eq - kv), vl = (size_t)(end - eq - 1);
		if (kl == 4 && !memcmp(kv, "path", 4)) {
			if (vl == 0 || vl > MAX_NAME || memchr(eq + 1, 0, vl))
				return -1;
			free(*path);
			if (!(*path = malloc(vl + 1)))
				return -1;
			memcpy(*path, eq + 1, vl);
			(*path)[vl] = 0;
		} else if (kl == 4 && !memcmp(kv, "size", 4)) {
			int64_t v;
			if (tl_parse_i64(eq + 1, vl, &v) || v < 0)
				return -1;
			*size = (unsigned long long)v;
			*has_size = 1;
		}
		i += rl;
	}
	return 0;
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
 * early (r->reason). */
static int walk(struct reader *r)
{
	unsigned char h[BLOCK];
	char *pax_path = NULL, *long_name = NULL;
	unsigned long long pax_size = 0;
	int has_pax_size = 0, rc = -1;
	for (;;) {
		unsigned long long at = r->offset;
		int got = r_read(r, h, BLOCK);
		if (got == 0) {
			snprintf(r->reason, sizeof(r->reason), "ends without the end-of-archive marker (cut short?)");
			break;
		}
		if (got < 0)
			break;
		if (!memcmp(h, zeros, BLOCK)) {
			/* the end: one more zero block, then only zeros until the gzip end */
			got = r_read(r, h, BLOCK);
			if (got == 1 && memcmp(h, zeros, BLOCK)) {
				snprintf(r->reason, sizeof(r->reason), "a lone zero block at byte %llu", at);
				break;
			}
			if (got < 0)
				break;
			int n;
			while ((n = gzread(r->gz, r->io, sizeof(r->io))) > 0) {
				for (int i = 0; i < n; i++)
					if (r->io[i]) {
						snprintf(r->reason, sizeof(r->reason), "data after the end of the archive");
						goto out;
					}
				r->offset += (unsigned long long)n;
			}
			int zerr = Z_OK;
			const char *msg = gzerror(r->gz, &zerr);
			if (n < 0 || (zerr != Z_OK && zerr != Z_STREAM_END)) {
				snprintf(r->reason, sizeof(r->reason), "damaged or cut short after the end of the archive (%s)",
					 gz_msg(msg));
				break;
			}
			rc = 0;
			break;
		}
		if (!checksum_ok(h)) {
			snprintf(r->reason, sizeof(r->reason),
				 "bad tar header checksum at byte %llu (damaged, or not a tar archive)", at);
			break;
		}
		unsigned long long size;
		if (parse_num(h + 124, 12, &size)) {
			snprintf(r->reason, sizeof(r->reason), "bad size field in the tar header at byte %llu", at);
			break;
		}
		char type = (char)h[156];
		if (type == 'x' || type == 'g' || type == 'L') {
			unsigned long long cap = type == 'L' ? MAX_NAME + 1 : MAX_PAX;
			if (size > cap) {
				snprintf(r->reason, sizeof(r->reason), "oversized extended header at byte %llu", at);
				break;
			}
			struct tl_buf b = TL_BUF_INIT;
			int kept;
			b.max = (size_t)cap + 1;
			if (r_data(r, size, NULL, &b, &kept)) {
				tl_buf_release(&b);
				break;
			}
			int bad = !kept;
			if (!bad && type == 'x')
				bad = parse_pax(b.data ? b.data : "", b.len, &pax_path, &pax_size, &has_pax_size);
			if (!bad && type == 'L') {
				free(long_name);
				long_name = strndup(b.data ? b.data : "", b.len);
				bad = !long_name || !*long_name;
			}
			tl_buf_release(&b);
			if (bad) {
				snprintf(r->reason, sizeof(r->reason), "malformed extended header at byte %llu", at);
				break;
			}
			continue;
		}
		if (has_pax_size)
			size = pax_size;
		char raw[MAX_NAME + 300];
		if (pax_path)
			snprintf(raw, sizeof(raw), "%s", pax_path);
		else if (long_name)
			snprintf(raw, sizeof(raw), "%s", long_name);
		else if (!memcmp(h + 257, "ustar\0", 6) && h[345])
			snprintf(raw, sizeof(raw), "%.155s/%.100s", (const char *)h + 345, (const char *)h);
		else
			snprintf(raw, sizeof(raw), "%.100s", (const char *)h);
		free(pax_path), free(long_name);
		pax_path = long_name = NULL;
		has_pax_size = 0;
		char shown_name[MAX_NAME + 300];
		snprintf(shown_name, sizeof(shown_name), "%s", raw);
		char *top, *rest;
		int regular = type == '0' || type == 0 || type == '7';
		if (type == '1' || type == '2' || type == '3' || type == '4' || type == '6')
			size = 0; /* links and devices carry no data */
		if (split_name(raw, &top, &rest) != 0) {
			r_fail(r, shown_name, "unsafe member name (absolute, or with '..'): not a tl package member");
		} else if (r->top && strcmp(top, r->top)) {
			r_fail(r, shown_name, "outside the package's top folder");
		} else if (!r->top && !(r->top = strdup(top))) {
			snprintf(r->reason, sizeof(r->reason), "out of memory");
			break;
		} else if (type == '5') {
			; /* a folder: nothing to check */
		} else if (!regular || !*rest) {
			char why[80];
			snprintf(why, sizeof(why), "unexpected member type '%c' (tl packages hold only files and folders)",
				 type >= 0x20 && type < 0x7f ? type : '?');
			r_fail(r, shown_name, why);
		} else if (r->n >= (size_t)MAX_MEMBERS) {
			snprintf(r->reason, sizeof(r->reason), "more than %ld members", MAX_MEMBERS);
			break;
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
			if (r->n == r->cap) {
				size_t cap = r->cap ? r->cap * 2 : 64;
				struct member *v = realloc(r->m, cap * sizeof(*v));
				if (!v) {
					snprintf(r->reason, sizeof(r->reason), "out of memory");
					break;
				}
				r->m = v;
				r->cap = cap;
			}
			struct member *m = &r->m[r->n];
			struct tl_sha256 *hs = tl_sha256_new();
			m->name = strdup(rest);
			if (!hs || !m->name) {
				free(m->name);
				if (hs)
					tl_sha256_final_hex(hs, m->sha);
				snprintf(r->reason, sizeof(r->reason), "out of memory");
				break;
			}
			int kept = 0;
			int drc = r_data(r, size, hs, keep, &kept);
			tl_sha256_final_hex(hs, m->sha);
			if (drc) {
				free(m->name);
				break;
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
		if (r_data(r, size, NULL, NULL, NULL))
			break;
	}
out:
	free(pax_path);
	free(long_name);
	return rc;
}

/* "out/" + NAME from SHA256SUMS, resolved to a path under the top folder;
 * -1 if it climbs out of it. */
static int resolve_sum(const char *name, char *out, size_t len)
{
	char tmp[MAX_NAME + 8];
	int n = snprintf(tmp, sizeof(tmp), "out/%s", name);
	if (n < 0 || (size_t)n >= sizeof(tmp) || name[0] == '/')
		return -1;
	size_t o = 0;
	for (const char *p = tmp; *p;) {
		size_t cl = strcspn(p, "/");
		if (cl == 0 || (cl == 1 && p[0] == '.')) {
			; /* "a//b", "a/./b" */
		} else if (cl == 2 && p[0] == '.' && p[1] == '.') {
			if (o == 0)
				return -1;
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else {
			if (o + (o ? 1 : 0) + cl + 1 > len)
				return -1;
			if (o)
				out[o++] = '/';
			memcpy(out + o, p, cl);
			o += cl;
		}
		p += cl + (p[cl] == '/');
	}
	out[o] = 0;
	return o ? 0 : -1;
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
	struct tl_sum **order = calloc(s.n ? s.n : 1, sizeof(*order));
	if (!order) {
		tl_sums_release(&s);
		r_fail(r, "out/SHA256SUMS", "out of memory");
		return;
	}
	for (size_t i = 0; i < s.n; i++)
		order[i] = &s.v[i];
	for (size_t i = 1; i < s.n; i++)
		for (size_t k = i; k > 0 && order[k - 1]->line > order[k]->line; k--) {
			struct tl_sum *t = order[k];
			order[k] = order[k - 1];
			order[k - 1] = t;
		}
	int manifest_line = 0;
	for (size_t i = 0; i < s.n; i++) {
		struct tl_sum *e = order[i];
		char what[MAX_NAME + 40], path[MAX_NAME + 8], why[600];
		snprintf(what, sizeof(what), "out/SHA256SUMS: %s", e->name);
		if (resolve_sum(e->name, path, sizeof(path))) {
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
	struct reader *r = calloc(1, sizeof(*r));
	gzFile gz = r ? gzdopen(fd, "rb") : NULL;
	if (!gz) {
		close(fd);
		free(r);
		return tl_errf(err, "out of memory");
	}
	r->gz = gz;
	r->out = out;
	gzbuffer(gz, 1u << 17);
	struct tl_buf init = TL_BUF_INIT;
	r->sums = r->manifest = r->custody = init;
	long rc;
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
	gzclose(gz);
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
