/*
 * Files and folders (include/tl/util.h, "files and folders"): the one
 * directory walker, reading a whole file with a limit, the temporary file
 * renamed into place, mkdir -p and copying with the mtime kept. Every module
 * that touches the file system this way goes through here.
 */
#define _POSIX_C_SOURCE 200809L
#include "tl/util.h"

#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <limits.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tl/banned.h"

/* ---- the walker -------------------------------------------------------------------- */

static int by_name(const FTSENT **a, const FTSENT **b)
{
	return strcmp((*a)->fts_name, (*b)->fts_name);
}

static void report(const struct tl_walk_opts *o, enum tl_walk_problem what, const char *rel, int errnum)
{
	if (o->report)
		o->report(o->ctx, what, rel, errnum);
}

/* Non-zero if PATH resolves to BOUNDARY or below it. */
static int inside(const char *path, const char *boundary)
{
	char real[PATH_MAX];
	if (!realpath(path, real))
		return 0;
	size_t bl = strlen(boundary);
	return !strncmp(real, boundary, bl) && (real[bl] == '/' || real[bl] == 0 || (bl == 1 && boundary[0] == '/'));
}

void tl_walk(const char *root, const char *start, const struct tl_walk_opts *o, struct tl_strlist *out)
{
	char top[PATH_MAX], boundary[PATH_MAX];
	size_t first = out->n;
	snprintf(top, sizeof(top), "%s%s%s", root, *start ? "/" : "", start);
	if (o->boundary)
		snprintf(boundary, sizeof(boundary), "%s", o->boundary);
	else if (!realpath(root, boundary))
		snprintf(boundary, sizeof(boundary), "%s", root);
	size_t toplen = strlen(top);
	char *paths[] = { top, NULL };
	/* FTS_PHYSICAL: links come back as FTS_SL, and only the ones the policy
	 * allows are followed (fts_set FTS_FOLLOW), which also makes fts report a
	 * link back to an ancestor as FTS_DC */
	FTS *fts = fts_open(paths, FTS_PHYSICAL | FTS_NOCHDIR, by_name);
	if (!fts) {
		report(o, TL_WALK_UNREADABLE, start, errno);
		return;
	}
	FTSENT *e;
	while ((e = fts_read(fts))) {
		/* the entry's path relative to ROOT: START plus what fts added below TOP */
		char rel[PATH_MAX];
		const char *below = e->fts_path + (strlen(e->fts_path) >= toplen ? toplen : strlen(e->fts_path));
		snprintf(rel, sizeof(rel), "%s%s", start, *start ? below : below + (*below == '/'));
		int hidden = e->fts_level > 0 && e->fts_name[0] == '.';
		switch (e->fts_info) {
		case FTS_D:
			if (hidden && o->skip_hidden) {
				fts_set(fts, e, FTS_SKIP);
			} else if (e->fts_level > 0 && !o->recurse) {
				fts_set(fts, e, FTS_SKIP);
			} else if (e->fts_level >= TL_WALK_MAX_DEPTH) {
				report(o, TL_WALK_TOO_DEEP, rel, 0);
				fts_set(fts, e, FTS_SKIP);
			}
			break;
		case FTS_DC: report(o, TL_WALK_LOOP, rel, 0); break;
		case FTS_DNR: report(o, TL_WALK_DIR_UNREADABLE, rel, e->fts_errno); break;
		case FTS_NS:
		case FTS_ERR: report(o, TL_WALK_UNREADABLE, rel, e->fts_errno); break;
		case FTS_SL: {
			struct stat st;
			if (hidden && o->skip_hidden)
				break;
			if (stat(e->fts_accpath, &st) != 0) {
				report(o, TL_WALK_BROKEN_LINK, rel, errno);
			} else if (!o->follow_outside && !inside(e->fts_accpath, boundary)) {
				report(o, TL_WALK_LINK_OUTSIDE, rel, 0);
			} else if (!S_ISDIR(st.st_mode) || e->fts_level == 0 || o->recurse) {
				fts_set(fts, e, FTS_FOLLOW);
			}
			break;
		}
		case FTS_SLNONE: report(o, TL_WALK_BROKEN_LINK, rel, ENOENT); break;
		case FTS_F:
			if (!(hidden && o->skip_hidden))
				tl_strlist_add(out, rel);
			break;
		default: break; /* FTS_DP (leaving a folder), devices, fifos, sockets */
		}
	}
	fts_close(fts);
	/* bytewise order of the whole path, whatever order the walk found them in */
	struct tl_strlist mine = { out->v + first, out->n - first, out->n - first };
	tl_strlist_sort(&mine);
}

void tl_dir_files(const char *dir, int recurse, struct tl_strlist *out)
{
	struct tl_walk_opts o = { .recurse = recurse, .skip_hidden = 1 };
	tl_walk(dir, "", &o, out);
}

/* ---- whole files ----------------------------------------------------------------- */

int tl_read_fd(int fd, const char *name, size_t max, struct tl_buf *b, struct tl_err *err)
{
	char chunk[65536];
	ssize_t n;
	int rc = 0;
	size_t keep = b->max;
	b->max = max;
	while (!rc && (n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = tl_errf(err, "cannot read '%s': %s", name, strerror(errno));
		} else if (tl_buf_add(b, chunk, (size_t)n)) {
			tl_errf(err, "'%s' is larger than %zu bytes", name, max);
			rc = -2;
		}
	}
	b->max = keep;
	return rc;
}

int tl_read_file(const char *path, size_t max, struct tl_buf *b, struct tl_err *err)
{
	int fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return tl_errf(err, "cannot read '%s': %s", path, strerror(errno));
	int rc = tl_read_fd(fd, path, max, b, err);
	close(fd);
	return rc;
}

/* ---- the temporary file renamed into place -------------------------------------- */

int tl_atomic_open(struct tl_atomic_file *af, const char *path, struct tl_err *err)
{
	memset(af, 0, sizeof(*af));
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	int n = snprintf(af->tmp, sizeof(af->tmp), "%.*s.%s.tmp-%ld", (int)(base - path), path, base, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(af->tmp) || strlen(path) >= sizeof(af->path))
		return tl_errf(err, "path too long: '%s'", path);
	snprintf(af->path, sizeof(af->path), "%s", path);
	int fd = open(af->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return tl_errf(err, "cannot create '%s': %s", af->tmp, strerror(errno));
	af->fp = fdopen(fd, "w");
	if (!af->fp) {
		close(fd);
		unlink(af->tmp);
		return tl_errf(err, "cannot write '%s'", af->tmp);
	}
	return 0;
}

void tl_atomic_abort(struct tl_atomic_file *af)
{
	if (!af->fp)
		return;
	fclose(af->fp);
	af->fp = NULL;
	unlink(af->tmp);
}

int tl_atomic_commit(struct tl_atomic_file *af, char sha256[65], struct tl_err *err)
{
	if (!af->fp)
		return tl_errf(err, "cannot write '%s'", af->path);
	int ok = fflush(af->fp) == 0 && fsync(fileno(af->fp)) == 0;
	int saved = errno;
	if (fclose(af->fp) != 0 && ok)
		ok = 0, saved = errno;
	af->fp = NULL;
	if (ok && rename(af->tmp, af->path) != 0)
		ok = 0, saved = errno;
	if (!ok) {
		unlink(af->tmp);
		return tl_errf(err, "cannot write '%s': %s", af->path, strerror(saved));
	}
	/* hash what landed, not what was meant to */
	if (sha256 && tl_file_sha256(af->path, sha256, err))
		return tl_errf(err, "cannot read back '%s'", af->path);
	return 0;
}

int tl_write_atomic(const char *path, const void *data, size_t len, struct tl_err *err)
{
	struct tl_atomic_file af;
	if (tl_atomic_open(&af, path, err))
		return -1;
	if (len && fwrite(data, 1, len, af.fp) != len) {
		int saved = errno;
		tl_atomic_abort(&af);
		return tl_errf(err, "cannot write '%s': %s", path, strerror(saved));
	}
	return tl_atomic_commit(&af, NULL, err);
}

/* ---- folders and copies ------------------------------------------------------------ */

int tl_pathf(char *buf, size_t len, struct tl_err *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		return tl_errf(err, "path too long (over %zu bytes): '%.60s...'", len ? len - 1 : 0, buf);
	return 0;
}

int tl_mkdirs(const char *path, struct tl_err *err)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return tl_errf(err, "path too long: '%s'", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
			return tl_errf(err, "cannot create '%s': %s", tmp, strerror(errno));
		*p = '/';
	}
	if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
		return tl_errf(err, "cannot create '%s': %s", tmp, strerror(errno));
	return 0;
}

int tl_file_copy(const char *src, const char *dst, struct tl_err *err)
{
	struct stat st;
	if (stat(src, &st) != 0)
		return tl_errf(err, "%s", strerror(errno));
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", dst);
	char *slash = strrchr(dir, '/');
	if (slash) {
		*slash = 0;
		if (tl_mkdirs(dir, err))
			return -1;
	}
	int in = open(src, O_RDONLY | O_CLOEXEC), out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	int rc = in < 0 || out < 0 ? -1 : 0, saved = errno;
	char buf[65536];
	ssize_t n;
	while (!rc && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			rc = -1, saved = errno;
	if (in >= 0)
		close(in);
	if (out >= 0) {
		/* yearless timestamps take their year from the mtime: keep it */
		struct timespec times[2] = { st.st_atim, st.st_mtim };
		if (!rc && futimens(out, times) != 0)
			rc = -1, saved = errno;
		close(out);
	}
	return rc ? tl_errf(err, "%s", strerror(saved)) : 0;
}
