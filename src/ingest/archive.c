/*
 * Archive members as evidence (see include/tl/archive.h).
 *
 * Two libarchive handles per member: the archive itself (the outer one, which
 * undoes the archive's own compression: deflate in a zip, the gzip of a
 * .tar.gz) and, over the member's bytes, a "raw" one with tl's decoders, so a
 * member access.log.gz is framed decompressed like a single .gz file. The bomb
 * guards count what comes out of the inner handle.
 *
 * Gzip is the exception, at both levels, as for single files
 * (src/parse/reader.c): libarchive 3.6 does not check a gzip member's CRC-32
 * and length, zlib does. A .tar.gz is handed to libarchive already inflated
 * by zlib's gzread(); a .gz member is inflated here with inflate().
 *
 * Not here: framing (src/parse/reader.c reads a member through a struct
 * tl_source), what becomes of a member's records (src/ingest/ingest.c).
 */
#define _POSIX_C_SOURCE 200809L
#include "tl/archive.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

#include "tl/grow.h"
#include "tl/reader.h"
#include "tl/banned.h"

#define OCHUNK (64u * 1024)
#define NESTED_HEAD 512 /* enough to see a tar header's "ustar" at 257 */

/* A gzip file handed to libarchive inflated (zlib checks the trailers). */
struct gzsrc {
	gzFile g;
	unsigned char buf[OCHUNK];
	char msg[200];
};

struct tl_archive {
	struct archive *outer;
	int fd;
	struct gzsrc *gz;      /* the archive file is gzip: a .tar.gz */
	uint64_t file_size;
	int64_t file_mtime;
	const char *label;
	struct tl_archive_limits lim;
	char outer_filters[64];
	/* the current member */
	struct archive *inner;
	z_stream z;            /* a gzip member: inflated here, not by libarchive */
	int zinit, zbetween;   /* between two gzip members (or at the end) */
	unsigned char *obuf;   /* the outer bytes handed to the inner handle */
	size_t first_len;      /* a first chunk read ahead (to see an empty member) */
	int first_pending;
	char outer_msg[256];   /* an error of the outer handle, seen by the inner one */
	int ended, failed;
	int over_limit;        /* failed on limits.gzip_max_bytes / gzip_max_ratio */
	char failure[512];
	uint64_t out_bytes;    /* decompressed bytes of the member so far */
	struct tl_sha256 *h;
	struct tl_buf head;    /* tl_archive_peek()'s bytes, handed out again first */
	size_t head_pos;
	int reading;           /* tl_archive_read() was called: no more peeking */
	char compression[96];
};

/* A member name shown in a message: cut short, control bytes escaped. */
static void shown(const char *name, char *out, size_t len)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)name; *p && n + 8 < len; p++) {
		if (*p < 0x20 || *p == 0x7f)
			n += (size_t)snprintf(out + n, len - n, "\\x%02x", *p);
		else
			out[n++] = (char)*p;
		if (n > 200) {
			n += (size_t)snprintf(out + n, len - n, "...");
			break;
		}
	}
	out[n < len ? n : len - 1] = 0;
}

static int register_formats(struct archive *a)
{
	/* the container formats evidence arrives in; each is fuzzed (tests/fuzz/fuzz-archive.c) */
	return archive_read_support_format_zip(a) != ARCHIVE_OK || archive_read_support_format_tar(a) != ARCHIVE_OK ||
	       archive_read_support_format_7zip(a) != ARCHIVE_OK || archive_read_support_format_rar(a) != ARCHIVE_OK ||
	       archive_read_support_format_rar5(a) != ARCHIVE_OK || archive_read_support_format_cpio(a) != ARCHIVE_OK;
}

static la_ssize_t gzsrc_read(struct archive *a, void *ctx, const void **buf)
{
	struct gzsrc *g = ctx;
	*buf = g->buf;
	int n = gzread(g->g, g->buf, sizeof(g->buf));
	int code = Z_OK;
	const char *m = gzerror(g->g, &code);
	if (n < 0 || (n == 0 && code != Z_OK && code != Z_STREAM_END)) {
		const char *p = m && !strncmp(m, "<fd:", 4) ? strstr(m, ": ") : NULL;
		snprintf(g->msg, sizeof(g->msg), "truncated or corrupt gzip stream: %s", p ? p + 2 : m ? m : "zlib error");
		archive_set_error(a, EIO, "%s", g->msg);
		return -1;
	}
	return n;
}

static void gzsrc_free(struct gzsrc *g)
{
	if (g) {
		gzclose_r(g->g);
		free(g);
	}
}

/* Open PATH with the container formats, tl's decoders and "raw" last (which
 * takes whatever no container format claims). A gzip file is inflated by
 * zlib on the way in (*GZ, freed by the caller after the archive). */
static struct archive *open_outer(const char *path, int *fd, struct gzsrc **gz, struct tl_err *err)
{
	unsigned char magic[2];
	*gz = NULL;
	*fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (*fd < 0) {
		tl_errf(err, "cannot open '%s': %s", path, strerror(errno));
		return NULL;
	}
	struct archive *a = archive_read_new();
	if (!a) {
		tl_errf(err, "out of memory");
		return NULL;
	}
	if (tl_stream_filters(a, err) || register_formats(a) || archive_read_support_format_raw(a) != ARCHIVE_OK) {
		if (!err->msg[0])
			tl_errf(err, "libarchive: %s", archive_error_string(a));
		archive_read_free(a);
		return NULL;
	}
	int r;
	if (pread(*fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
		int dfd = dup(*fd);
		*gz = calloc(1, sizeof(**gz));
		if (dfd < 0 || !*gz || !((*gz)->g = gzdopen(dfd, "rb"))) {
			if (dfd >= 0)
				close(dfd);
			free(*gz);
			*gz = NULL;
			archive_read_free(a);
			tl_errf(err, "cannot read '%s': %s", path, strerror(errno));
			return NULL;
		}
		r = archive_read_open(a, *gz, NULL, gzsrc_read, NULL);
	} else {
		r = archive_read_open_fd(a, *fd, 256 * 1024);
	}
	if (r != ARCHIVE_OK) {
		const char *m = archive_error_string(a);
		tl_errf(err, "cannot read '%s': %s", path, m ? m : "unrecognised data");
		archive_read_free(a);
		gzsrc_free(*gz);
		*gz = NULL;
		return NULL;
	}
	return a;
}

int tl_archive_probe(const char *path, char *format, size_t len, struct tl_err *err)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return tl_errf(err, "cannot read '%s': %s", path, strerror(errno));
	if (st.st_size == 0)
		return 0;
	int fd;
	struct gzsrc *gz;
	struct archive *a = open_outer(path, &fd, &gz, err);
	if (!a) {
		if (fd >= 0)
			close(fd);
		/* not even one stream: the reader says why, as for any unreadable file */
		return 0;
	}
	struct archive_entry *e;
	int r = archive_read_next_header(a, &e);
	int fmt = archive_format(a);
	int is = fmt != 0 && (fmt & ARCHIVE_FORMAT_BASE_MASK) != ARCHIVE_FORMAT_RAW;
	if (is)
		snprintf(format, len, "%s", archive_format_name(a));
	/* a damaged archive is still an archive: tl_archive_each() says what is wrong */
	(void)r;
	archive_read_free(a);
	gzsrc_free(gz);
	close(fd);
	return is;
}

/* The archive's own way of compressing this member, as a layer name. */
static void member_layers(struct tl_archive *a, char *out, size_t len)
{
	const char *fmt = archive_format_name(a->outer);
	char method[32] = "";
	int base = archive_format(a->outer) & ARCHIVE_FORMAT_BASE_MASK;
	if (base == ARCHIVE_FORMAT_ZIP && fmt) {
		/* "ZIP 2.0 (deflation)", "ZIP 1.0 (uncompressed)", "ZIP 6.3 (lzma)" */
		const char *p = strchr(fmt, '(');
		if (p && strncmp(p, "(uncompressed)", 14)) {
			snprintf(method, sizeof(method), "%s", p + 1);
			char *q = strchr(method, ')');
			if (q)
				*q = 0;
			if (!strcmp(method, "deflation"))
				snprintf(method, sizeof(method), "deflate");
		}
	} else if (base == ARCHIVE_FORMAT_7ZIP) {
		snprintf(method, sizeof(method), "7z");
	} else if (base == ARCHIVE_FORMAT_RAR || base == ARCHIVE_FORMAT_RAR_V5) {
		snprintf(method, sizeof(method), "rar");
	}
	snprintf(out, len, "%s%s%s", strcmp(a->outer_filters, "none") ? a->outer_filters : "",
		 strcmp(a->outer_filters, "none") && method[0] ? "+" : "", method);
}

static la_ssize_t inner_read(struct archive *in, void *ctx, const void **buf)
{
	struct tl_archive *a = ctx;
	*buf = a->obuf;
	if (a->first_pending) {
		a->first_pending = 0;
		return (la_ssize_t)a->first_len;
	}
	la_ssize_t n = archive_read_data(a->outer, a->obuf, OCHUNK);
	if (n < 0) {
		const char *m = archive_error_string(a->outer);
		snprintf(a->outer_msg, sizeof(a->outer_msg), "%s", m ? m : "read error");
		archive_set_error(in, EIO, "%s", a->outer_msg);
		return -1;
	}
	return n;
}

static void member_reset(struct tl_archive *a)
{
	if (a->inner)
		archive_read_free(a->inner);
	a->inner = NULL;
	if (a->zinit)
		inflateEnd(&a->z);
	a->zinit = a->zbetween = 0;
	a->first_pending = 0;
	a->outer_msg[0] = 0;
	a->ended = a->failed = a->over_limit = 0;
	a->failure[0] = 0;
	a->out_bytes = 0;
	if (a->h) {
		char unused[65];
		tl_sha256_final_hex(a->h, unused); /* frees it */
		a->h = NULL;
	}
	tl_buf_reset(&a->head);
	a->head_pos = 0;
	a->reading = 0;
}

static int member_fail(struct tl_archive *a, struct tl_err *err, const char *fmt, const char *what)
{
	a->failed = 1;
	snprintf(a->failure, sizeof(a->failure), fmt, what);
	return tl_errf(err, "%s", a->failure);
}

/* Start reading the current entry of the outer handle. */
static int member_open(struct tl_archive *a, struct tl_err *err)
{
	member_reset(a);
	a->h = tl_sha256_new();
	if (!a->h)
		return tl_errf(err, "out of memory");
	char layers[64];
	member_layers(a, layers, sizeof(layers));
	la_ssize_t n = archive_read_data(a->outer, a->obuf, OCHUNK);
	if (n < 0) {
		const char *m = archive_error_string(a->outer);
		return member_fail(a, err, "cannot read the member: %s", m ? m : "read error");
	}
	if (n == 0) {
		a->ended = 1;
		snprintf(a->compression, sizeof(a->compression), "%s", layers[0] ? layers : "none");
		return 0;
	}
	a->first_len = (size_t)n;
	a->first_pending = 1;
	if (n >= 2 && a->obuf[0] == 0x1f && a->obuf[1] == 0x8b) {
		memset(&a->z, 0, sizeof(a->z));
		if (inflateInit2(&a->z, 15 + 16) != Z_OK)
			return member_fail(a, err, "%s", "cannot start zlib");
		a->zinit = 1;
		snprintf(a->compression, sizeof(a->compression), "%s%sgzip", layers, layers[0] ? "+" : "");
		return 0;
	}
	struct archive_entry *e;
	a->inner = archive_read_new();
	if (!a->inner)
		return tl_errf(err, "out of memory");
	if (tl_stream_filters(a->inner, err) || archive_read_support_format_raw(a->inner) != ARCHIVE_OK)
		return member_fail(a, err, "%s", err->msg);
	if (archive_read_open(a->inner, a, NULL, inner_read, NULL) != ARCHIVE_OK ||
	    archive_read_next_header(a->inner, &e) != ARCHIVE_OK) {
		const char *m = a->outer_msg[0] ? a->outer_msg : archive_error_string(a->inner);
		return member_fail(a, err, "cannot read the member: %s", m ? m : "read error");
	}
	char inner[64];
	tl_stream_compression(a->inner, inner, sizeof(inner));
	int has_inner = strcmp(inner, "none") != 0;
	snprintf(a->compression, sizeof(a->compression), "%s%s%s", layers, layers[0] && has_inner ? "+" : "",
		 has_inner ? inner : layers[0] ? "" : "none");
	return 0;
}

/* A gzip member inflated by zlib, which checks each gzip member's CRC-32 and
 * length. Like gzread(): concatenated gzip members are one stream; bytes after
 * a member that do not start another are ignored. -1 with a->outer_msg. */
static la_ssize_t gz_pull(struct tl_archive *a, void *buf, size_t cap)
{
	z_stream *z = &a->z;
	z->next_out = buf;
	z->avail_out = (uInt)(cap < (1u << 30) ? cap : (1u << 30));
	uInt want = z->avail_out;
	while (z->avail_out == want) {
		if (z->avail_in == 0) {
			la_ssize_t n;
			if (a->first_pending) {
				a->first_pending = 0;
				n = (la_ssize_t)a->first_len;
			} else {
				n = archive_read_data(a->outer, a->obuf, OCHUNK);
			}
			if (n < 0) {
				const char *m = archive_error_string(a->outer);
				snprintf(a->outer_msg, sizeof(a->outer_msg), "%s", m ? m : "read error");
				return -1;
			}
			if (n == 0) {
				if (a->zbetween)
					break;
				snprintf(a->outer_msg, sizeof(a->outer_msg), "truncated gzip stream");
				return -1;
			}
			z->next_in = a->obuf;
			z->avail_in = (uInt)n;
		}
		if (a->zbetween) {
			if (z->next_in[0] != 0x1f || (z->avail_in > 1 && z->next_in[1] != 0x8b)) {
				z->avail_in = 0; /* not another member: trailing bytes, ignored (as gzread does) */
				break;
			}
			inflateReset(z);
			a->zbetween = 0;
		}
		int r = inflate(z, Z_NO_FLUSH);
		if (r == Z_STREAM_END) {
			a->zbetween = 1;
		} else if (r != Z_OK && r != Z_BUF_ERROR) {
			snprintf(a->outer_msg, sizeof(a->outer_msg), "corrupt gzip stream: %s", z->msg ? z->msg : "zlib error");
			return -1;
		}
	}
	return (la_ssize_t)(want - z->avail_out);
}

/* Decompressed bytes straight from the member, hashed and guarded. */
static long member_pull(struct tl_archive *a, void *buf, size_t cap, struct tl_err *err)
{
	if (a->failed)
		return tl_errf(err, "%s", a->failure);
	if (a->ended || (!a->inner && !a->zinit))
		return 0;
	la_ssize_t n = a->zinit ? gz_pull(a, buf, cap) : archive_read_data(a->inner, buf, cap);
	if (n < 0) {
		const char *m = a->outer_msg[0] ? a->outer_msg : a->inner ? archive_error_string(a->inner) : NULL;
		char at[64];
		snprintf(at, sizeof(at), "%llu", (unsigned long long)a->out_bytes);
		a->failed = 1;
		snprintf(a->failure, sizeof(a->failure), "truncated or corrupt member at decompressed offset %s: %s", at,
			 m ? m : "read error");
		return tl_errf(err, "%s", a->failure);
	}
	if (n == 0) {
		a->ended = 1;
		return 0;
	}
	a->out_bytes += (uint64_t)n;
	tl_sha256_update(a->h, buf, (size_t)n);
	uint64_t ratio = a->lim.max_ratio ? a->lim.max_ratio : TL_GZIP_MAX_RATIO;
	if (a->lim.max_bytes && a->out_bytes > a->lim.max_bytes) {
		a->failed = a->over_limit = 1;
		snprintf(a->failure, sizeof(a->failure),
			 "member decompresses to more than %llu bytes (limits.gzip_max_bytes) - raise "
			 "limits.gzip_max_bytes in tl.json to read it",
			 (unsigned long long)a->lim.max_bytes);
		return tl_errf(err, "%s", a->failure);
	}
	/* the member's compressed bytes are not known to libarchive's API, but
	 * they are at most the archive file: a ratio to its size never overestimates */
	if (ratio != UINT32_MAX && a->out_bytes > TL_GZIP_RATIO_AFTER && a->file_size > 0 &&
	    a->out_bytes / a->file_size > ratio) {
		a->failed = a->over_limit = 1;
		snprintf(a->failure, sizeof(a->failure),
			 "member expands more than %llu:1 against the whole archive (a decompression bomb?); stopped at "
			 "decompressed offset %llu - raise limits.gzip_max_ratio in tl.json to read it",
			 (unsigned long long)ratio, (unsigned long long)a->out_bytes);
		return tl_errf(err, "%s", a->failure);
	}
	return (long)n;
}

long tl_archive_peek(struct tl_archive *a, char *buf, size_t cap, struct tl_err *err)
{
	/* a later, larger peek reads on: ingest peeks for libmagic, then for detection */
	if (a->reading)
		return tl_errf(err, "internal error: a member peeked at after it was read");
	char tmp[16384];
	while (a->head.len < cap && !a->ended) {
		size_t want = cap - a->head.len < sizeof(tmp) ? cap - a->head.len : sizeof(tmp);
		long n = member_pull(a, tmp, want, err);
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		if (tl_buf_add(&a->head, tmp, (size_t)n))
			return tl_errf(err, "out of memory");
	}
	size_t n = a->head.len < cap ? a->head.len : cap;
	if (n)
		memcpy(buf, a->head.data, n);
	return (long)n;
}

long tl_archive_read(void *ctx, void *buf, size_t cap, struct tl_err *err)
{
	struct tl_archive *a = ctx;
	a->reading = 1;
	if (a->head_pos < a->head.len) {
		size_t n = a->head.len - a->head_pos < cap ? a->head.len - a->head_pos : cap;
		memcpy(buf, a->head.data + a->head_pos, n);
		a->head_pos += n;
		return (long)n;
	}
	return member_pull(a, buf, cap, err);
}

/* Why the member's name or kind keeps it out, or NULL; *STATUS the row's status. */
static const char *refuse_entry(struct archive_entry *e, const struct tl_archive_limits *lim, const char **status,
				int *over_limit, char *why, size_t len)
{
	*over_limit = 0;
	const char *name = archive_entry_pathname(e);
	*status = "failed";
	if (!name || !*name)
		return "the member has no name";
	if (strlen(name) > TL_ARCHIVE_MAX_NAME)
		return "the member's name is longer than 1024 bytes";
	if (name[0] == '/' || name[0] == '\\' ||
	    (((name[0] | 0x20) >= 'a' && (name[0] | 0x20) <= 'z') && name[1] == ':'))
		return "its path is absolute (it would land outside wherever the archive is unpacked)";
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return "its name holds control characters";
	for (const char *p = name; *p;) {
		size_t n = strcspn(p, "/\\");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return "its path climbs out of the archive ('..')";
		p += n;
		if (*p)
			p++;
	}
	*status = "unsupported";
	if (archive_entry_hardlink(e)) {
		char s[240];
		shown(archive_entry_hardlink(e), s, sizeof(s));
		snprintf(why, len, "a hard link to '%s' (links are not followed)", s);
		return why;
	}
	switch (archive_entry_filetype(e)) {
	case AE_IFREG:
		break;
	case AE_IFLNK: {
		char s[240];
		shown(archive_entry_symlink(e) ? archive_entry_symlink(e) : "", s, sizeof(s));
		snprintf(why, len, "a symbolic link to '%s' (links are not followed)", s);
		return why;
	}
	default:
		return "a device, FIFO or socket, not a file";
	}
	if (archive_entry_is_encrypted(e))
		return "encrypted (tl reads no passwords; decrypt it and ingest the result)";
	if (lim->max_bytes && archive_entry_size_is_set(e) && (uint64_t)archive_entry_size(e) > lim->max_bytes) {
		*status = "failed";
		*over_limit = 1;
		snprintf(why, len, "it declares %lld bytes, more than limits.gzip_max_bytes (%llu)",
			 (long long)archive_entry_size(e), (unsigned long long)lim->max_bytes);
		return why;
	}
	return NULL;
}

/* An archive inside the archive, by its signature. */
static const char *nested_kind(const unsigned char *p, size_t n)
{
	if (n >= 4 && !memcmp(p, "PK\3\4", 4))
		return "zip";
	if (n >= 6 && !memcmp(p, "7z\xBC\xAF\x27\x1C", 6))
		return "7z";
	if (n >= 6 && !memcmp(p, "Rar!\x1A\x07", 6))
		return "rar";
	if (n >= 262 && !memcmp(p + 257, "ustar", 5))
		return "tar";
	return NULL;
}

struct scanned {
	char *name;
	uint64_t size;
	int64_t mtime;
	char sha256[65];
	char compression[96];
	char *refused;
	const char *status;
};

struct scan {
	struct scanned *v;
	size_t n, cap;
};

static void scan_release(struct scan *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].name);
		free(s->v[i].refused);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int archive_init(struct tl_archive *a, const char *path, const char *label,
			const struct tl_archive_limits *lim, struct tl_err *err)
{
	memset(a, 0, sizeof(*a));
	a->fd = -1;
	a->label = label;
	a->lim = *lim;
	struct stat st;
	if (stat(path, &st) != 0)
		return tl_errf(err, "cannot read '%s': %s", label, strerror(errno));
	a->file_size = (uint64_t)st.st_size;
	a->file_mtime = (int64_t)st.st_mtime;
	a->obuf = malloc(OCHUNK);
	if (!a->obuf)
		return tl_errf(err, "out of memory");
	a->outer = open_outer(path, &a->fd, &a->gz, err);
	return a->outer ? 0 : -1;
}

static void archive_release(struct tl_archive *a)
{
	member_reset(a);
	tl_buf_release(&a->head);
	if (a->outer)
		archive_read_free(a->outer);
	gzsrc_free(a->gz);
	if (a->fd >= 0)
		close(a->fd);
	free(a->obuf);
}

/* Next member entry (directories skipped): 1, 0 at the end, -1 damaged (ERR). */
static int next_entry(struct tl_archive *a, struct archive_entry **e, size_t seen, struct tl_err *err)
{
	for (;;) {
		int r = archive_read_next_header(a->outer, e);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			const char *m = archive_error_string(a->outer);
			return tl_errf(err, "cannot read archive '%s' past its member %zu: %s", a->label, seen,
				       m ? m : "damaged");
		}
		if (seen == 0 && a->outer_filters[0] == 0) {
			char f[56];
			tl_stream_compression(a->outer, f, sizeof(f));
			snprintf(a->outer_filters, sizeof(a->outer_filters), "%s%s%s", a->gz ? "gzip" : "",
				 a->gz && strcmp(f, "none") ? "+" : "", a->gz && !strcmp(f, "none") ? "" : f);
		}
		if (archive_entry_filetype(*e) == AE_IFDIR)
			continue;
		if (seen >= TL_ARCHIVE_MAX_MEMBERS)
			return tl_errf(err, "archive '%s' has more than %d members; the rest were not read", a->label,
				       TL_ARCHIVE_MAX_MEMBERS);
		return 1;
	}
}

static void fill_member(struct tl_member *m, const struct scanned *s)
{
	m->name = s->name;
	m->size = s->size;
	m->mtime = s->mtime;
	memcpy(m->sha256, s->sha256, 65);
	m->compression = s->compression;
	m->refused = s->refused;
	m->status = s->status;
}

static int name_cmp(const void *x, const void *y)
{
	const struct scanned *const *a = x, *const *b = y;
	int c = strcmp((*a)->name, (*b)->name);
	return c ? c : *a < *b ? -1 : *a > *b;
}

/* Pass one: every member's name, size, hash and refusal. Returns 0, 1 damaged
 * (ERR; what was scanned is kept), -1. */
static int scan_all(const char *path, const char *label, const struct tl_archive_limits *lim, struct scan *s,
		    struct tl_err *err)
{
	struct tl_archive a;
	int rc = 0;
	if (archive_init(&a, path, label, lim, err)) {
		archive_release(&a);
		return -1;
	}
	struct archive_entry *e;
	int r;
	while ((r = next_entry(&a, &e, s->n, err)) == 1) {
		struct scanned *nv = tl_grow(s->v, &s->cap, s->n + 1, sizeof(*nv), 64);
		if (!nv) {
			rc = tl_errf(err, "out of memory");
			break;
		}
		s->v = nv;
		struct scanned *m = &s->v[s->n];
		memset(m, 0, sizeof(*m));
		const char *name = archive_entry_pathname(e);
		char cut[TL_ARCHIVE_MAX_NAME + 8];
		snprintf(cut, sizeof(cut), "%s", name ? name : "");
		m->name = strdup(cut);
		if (!m->name) {
			rc = tl_errf(err, "out of memory");
			break;
		}
		s->n++;
		m->mtime = archive_entry_mtime_is_set(e) ? (int64_t)archive_entry_mtime(e) : a.file_mtime;
		m->size = archive_entry_size_is_set(e) && archive_entry_size(e) > 0 ? (uint64_t)archive_entry_size(e) : 0;
		char why[600];
		struct tl_err me;
		int over = 0;
		const char *refused = refuse_entry(e, lim, &m->status, &over, why, sizeof(why));
		snprintf(m->compression, sizeof(m->compression), "none");
		if (!refused) {
			unsigned char head[NESTED_HEAD];
			long n = member_open(&a, &me) ? -1 : tl_archive_peek(&a, (char *)head, sizeof(head), &me);
			snprintf(m->compression, sizeof(m->compression), "%s", a.compression[0] ? a.compression : "none");
			const char *kind = n > 0 ? nested_kind(head, (size_t)n) : NULL;
			if (kind) {
				snprintf(why, sizeof(why), "a %s archive inside the archive (tl opens one level; extract it "
					 "into evidence/ to ingest it)", kind);
				refused = why;
				m->status = "unsupported";
			}
			char buf[16384];
			long k = n;
			while (k > 0)
				k = member_pull(&a, buf, sizeof(buf), &me);
			if (k < 0 || n < 0) {
				snprintf(why, sizeof(why), "%s", me.msg);
				refused = why;
				m->status = "failed";
				over = a.over_limit;
			} else {
				tl_sha256_final_hex(a.h, m->sha256);
				a.h = NULL;
				m->size = a.out_bytes;
			}
		}
		if (refused && !(m->refused = strdup(refused))) {
			rc = tl_errf(err, "out of memory");
			break;
		}
		/* Past a member over a limit, the next header lies behind the rest of
		 * its data: a seek in a zip, but in a compressed tar, a 7z or rar
		 * solid block, getting there means decompressing all of it - which is
		 * what the limit is there to prevent. */
		if (over && (archive_format(a.outer) & ARCHIVE_FORMAT_BASE_MASK) != ARCHIVE_FORMAT_ZIP) {
			char nm[240];
			shown(m->name, nm, sizeof(nm));
			rc = tl_errf(err, "stopped reading archive '%s' after its member '%s', which is over a limit (in "
					  "%s, reading past it means decompressing it)", label, nm,
				     archive_format_name(a.outer) ? archive_format_name(a.outer) : "this format");
			rc = 1;
			break;
		}
	}
	if (r < 0 && !rc)
		rc = 1;
	archive_release(&a);
	/* two members of one name would be one evidence path: the first one read wins */
	struct scanned **byname = s->n ? malloc(s->n * sizeof(*byname)) : NULL;
	if (s->n && !byname)
		return tl_errf(err, "out of memory");
	for (size_t i = 0; i < s->n; i++)
		byname[i] = &s->v[i];
	if (s->n)
		qsort(byname, s->n, sizeof(*byname), name_cmp);
	for (size_t i = 1; i < s->n; i++)
		if (!strcmp(byname[i]->name, byname[i - 1]->name) && !byname[i]->refused) {
			byname[i]->refused = strdup("another member of the same name comes first in the archive");
			byname[i]->status = "failed";
			if (!byname[i]->refused)
				rc = tl_errf(err, "out of memory");
		}
	free(byname);
	return rc;
}

int tl_archive_scan(const char *path, const char *label, const struct tl_archive_limits *lim, tl_archive_fn fn,
		    void *ctx, struct tl_err *err)
{
	struct scan s = { 0 };
	struct tl_err serr = { { 0 } };
	int rc = scan_all(path, label, lim, &s, &serr);
	for (size_t i = 0; rc >= 0 && i < s.n; i++) {
		struct tl_member m;
		fill_member(&m, &s.v[i]);
		if (fn(ctx, &m, NULL, err))
			rc = -1;
	}
	if (rc > 0 || (rc < 0 && serr.msg[0]))
		tl_errf(err, "%s", serr.msg);
	scan_release(&s);
	return rc;
}

int tl_archive_each(const char *path, const char *label, const struct tl_archive_limits *lim, tl_archive_fn fn,
		    void *ctx, struct tl_err *err)
{
	struct scan s = { 0 };
	struct tl_err serr = { { 0 } };
	int damaged = scan_all(path, label, lim, &s, &serr);
	if (damaged < 0) {
		scan_release(&s);
		return tl_errf(err, "%s", serr.msg);
	}
	struct tl_archive a;
	int rc = 0;
	if (archive_init(&a, path, label, lim, err)) {
		archive_release(&a);
		scan_release(&s);
		return -1;
	}
	struct archive_entry *e;
	for (size_t i = 0; i < s.n && !rc; i++) {
		struct tl_member m;
		fill_member(&m, &s.v[i]);
		if (next_entry(&a, &e, i, err) != 1 || strcmp(archive_entry_pathname(e) ? archive_entry_pathname(e) : "",
							       s.v[i].name)) {
			char nm[240];
			shown(s.v[i].name, nm, sizeof(nm));
			tl_errf(err, "archive '%s' changed while it was read (member '%s')", label, nm);
			rc = 1;
			break;
		}
		if (m.refused) {
			rc = fn(ctx, &m, NULL, err) ? -1 : 0;
			continue;
		}
		struct tl_err me;
		if (member_open(&a, &me)) {
			tl_errf(err, "archive '%s' changed while it was read: %s", label, me.msg);
			rc = 1;
			break;
		}
		if (fn(ctx, &m, &a, err)) {
			rc = -1;
			break;
		}
		/* a member read in part is read to its end: its bytes must be the ones scanned */
		if (a.out_bytes) {
			char buf[16384], sha[65];
			long k;
			while ((k = member_pull(&a, buf, sizeof(buf), &me)) > 0)
				;
			if (k == 0) {
				tl_sha256_final_hex(a.h, sha);
				a.h = NULL;
				if (strcmp(sha, m.sha256)) {
					char nm[240];
					shown(m.name, nm, sizeof(nm));
					tl_errf(err, "archive '%s' changed while it was read (member '%s' hashed %.12s..., "
						"then %.12s...)", label, nm, m.sha256, sha);
					rc = 1;
				}
			}
		}
	}
	if (!rc && damaged) {
		tl_errf(err, "%s", serr.msg);
		rc = 1;
	}
	archive_release(&a);
	scan_release(&s);
	return rc;
}
