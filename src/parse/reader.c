/*
 * Framing of evidence streams into records (see include/tl/reader.h).
 *
 * Compressed bytes come through libarchive's "raw" format with the
 * decompression filters tl allows (bzip2, xz, lzip, zstd, stacked as found;
 * libarchive decides by content), plain files straight from the descriptor
 * once libarchive has found no filter, so offsets are always in the
 * decompressed stream; or from a caller's source (an archive member,
 * src/ingest/archive.c).
 * A gzip file is the exception: it is read through zlib, because libarchive
 * (3.6) does not check a gzip member's CRC-32 and length trailer, and a
 * corrupted .gz must end as an error, never as different evidence.
 * A sliding window holds at most max_record + one chunk of the stream: memory
 * stays bounded however long a line is.
 */
#define _POSIX_C_SOURCE 200809L
#include "tl/reader.h"

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

#include "tl/json.h"
#include "tl/banned.h"

#define CHUNK (1u << 20)
#define EXCERPT 4096

enum enc { ENC_UTF8, ENC_UTF16LE, ENC_UTF16BE };

struct line {
	const unsigned char *p; /* content, without terminator */
	size_t len;
	size_t term;            /* terminator bytes following the content */
	unsigned char termb[4]; /* those bytes */
	uint64_t off;
	uint64_t lineno;
	int oversize;
	uint64_t full_len;      /* oversize: full content length */
	char sha[65];           /* oversize: hash of the full content */
};

struct tl_reader {
	struct archive *ar;     /* a file, plain or compressed (NULL: empty file, gzip, or src) */
	gzFile gz;              /* a gzip file (zlib checks its trailer) */
	unsigned char *gzblock; /* gzip with another compression inside: libarchive reads through zlib */
	char gzfailure[256];
	int fd;
	struct tl_source src;   /* tl_reader_open_source() */
	char compression[64];   /* tl_stream_compression() of ar */
	int compressed;
	struct tl_framing_spec spec;
	unsigned char *buf;
	size_t cap, start, end;
	uint64_t base;          /* stream offset of buf[0] */
	int eof;
	int failed;
	char failure[256];      /* the read error, reported again on every later call */
	enum enc enc;
	uint64_t lineno;        /* number of the next line */
	struct tl_buf text;
	struct tl_buf raw;
	struct tl_buf excerpt;
	struct tl_sha256 *sha;  /* the records' digest, made at the first record */
	/* multi-line / CSV: a line read ahead that starts the next record */
	int have_pending;
	struct tl_buf pending;
	uint64_t pending_off, pending_line;
	size_t pending_term;
	unsigned char pending_termb[4];
	/* JSON document scanner */
	int js_phase, js_depth, js_instr, js_esc, js_arr_depth;
	char js_key[128];
	size_t js_keylen;
	int js_inkey;
	int js_done;            /* 2: the current record outgrew max_record */
	int js_keeping;         /* the bytes from js_from on belong to a record */
	size_t js_from;
	uint64_t js_off, js_line;
	/* XML element scanner (shares the record-keeping of the JSON one) */
	int xs_phase, xs_depth, xs_tag, xs_closing, xs_slash, xs_name_bad;
	unsigned xs_quote;
	char xs_name[64];
	size_t xs_namelen;
	uint32_t gzip_max_ratio; /* tl_reader_gzip_limits() */
	uint64_t gzip_max_bytes;
};

int tl_stream_filters(struct archive *a, struct tl_err *err)
{
	/* Named one by one: support_filter_all would also run external programs
	 * (lrzip, lzop, grzip) on evidence. A filter libarchive was built without
	 * answers ARCHIVE_WARN (it would fall back to a program): refused too. */
	static const struct {
		const char *name;
		int (*add)(struct archive *);
	} filters[] = {
		{ "gzip", archive_read_support_filter_gzip }, { "bzip2", archive_read_support_filter_bzip2 },
		{ "xz", archive_read_support_filter_xz },     { "lzip", archive_read_support_filter_lzip },
		{ "zstd", archive_read_support_filter_zstd },
	};
	for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++)
		if (filters[i].add(a) != ARCHIVE_OK)
			return tl_errf(err, "libarchive cannot decompress %s without an external program", filters[i].name);
	return 0;
}

const char *tl_stream_compression(struct archive *a, char *buf, size_t len)
{
	/* filter 0 is the outermost decoder seen from the data; the last is the file itself */
	size_t n = 0;
	int count = archive_filter_count(a);
	buf[0] = 0;
	for (int i = count - 2; i >= 0; i--) {
		const char *name = archive_filter_name(a, i);
		int k = snprintf(buf + n, len - n, "%s%s", n ? "+" : "", name ? name : "?");
		if (k < 0 || (size_t)k >= len - n)
			break;
		n += (size_t)k;
	}
	if (!n)
		snprintf(buf, len, "none");
	return buf;
}

/* Decompression-bomb guards: stop a compressed stream that grows too large or
 * expands too much. The compressed offset includes libarchive's read-ahead,
 * so the ratio is never overestimated. Checked before each read, like a read
 * error: what was decompressed before it is still framed. */
static int bomb_check(struct tl_reader *r, struct tl_err *err)
{
	uint64_t total = r->base + r->end;
	int64_t c = r->gz ? (int64_t)gzoffset(r->gz) : archive_filter_bytes(r->ar, -1);
	uint64_t comp = c > 0 ? (uint64_t)c : 0;
	uint64_t ratio = r->gzip_max_ratio;
	if (r->gzip_max_bytes && total > r->gzip_max_bytes) {
		snprintf(r->failure, sizeof(r->failure),
			 "%s stream decompresses to more than %llu bytes (limits.gzip_max_bytes); stopped at "
			 "decompressed offset %llu - raise limits.gzip_max_bytes in tl.json to read it",
			 r->compression, (unsigned long long)r->gzip_max_bytes, (unsigned long long)total);
	} else if (ratio != UINT32_MAX && total > TL_GZIP_RATIO_AFTER && comp > 0 && total / comp > ratio) {
		snprintf(r->failure, sizeof(r->failure),
			 "%s stream expands more than %llu:1 (a decompression bomb?); stopped at decompressed "
			 "offset %llu (compressed offset %llu) - raise limits.gzip_max_ratio in tl.json to read it",
			 r->compression, (unsigned long long)ratio, (unsigned long long)total, (unsigned long long)comp);
	} else {
		return 1;
	}
	r->eof = 1;
	r->failed = 1;
	return tl_errf(err, "%s", r->failure);
}

/* Up to CAP bytes of the stream: the count, 0 at its end, -1 (r->failure set). */
static long pull(struct tl_reader *r, unsigned char *p, size_t cap)
{
	if (r->src.read) {
		struct tl_err e;
		long n = r->src.read(r->src.ctx, p, cap, &e);
		if (n < 0)
			snprintf(r->failure, sizeof(r->failure), "%s", e.msg);
		return n;
	}
	if (r->gz && !r->ar) {
		int n = gzread(r->gz, p, (unsigned)(cap < (1u << 30) ? cap : (1u << 30)));
		int code = Z_OK;
		const char *m = gzerror(r->gz, &code);
		if (n < 0 || (n == 0 && code != Z_OK && code != Z_STREAM_END)) {
			snprintf(r->failure, sizeof(r->failure),
				 "truncated or corrupt stream at decompressed offset %llu: %s",
				 (unsigned long long)(r->base + r->end), m);
			return -1;
		}
		return n;
	}
	if (!r->ar) {
		if (r->fd < 0)
			return 0;
		ssize_t n;
		do
			n = read(r->fd, p, cap);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			snprintf(r->failure, sizeof(r->failure), "cannot read at offset %llu: %s",
				 (unsigned long long)(r->base + r->end), strerror(errno));
		return (long)n;
	}
	la_ssize_t n = archive_read_data(r->ar, p, cap);
	if (n < 0) {
		const char *m = archive_error_string(r->ar);
		snprintf(r->failure, sizeof(r->failure), "truncated or corrupt %s stream at decompressed offset %llu: %s",
			 r->compression, (unsigned long long)(r->base + r->end), m ? m : "read error");
		return -1;
	}
	return (long)n;
}

static int fill(struct tl_reader *r, struct tl_err *err)
{
	if (r->eof)
		return 0;
	if (r->compressed && bomb_check(r, err) < 0)
		return -1;
	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->base += r->start;
		r->end -= r->start;
		r->start = 0;
	}
	/* the window grows with what was read: a small file never costs a 1 MiB
	 * window (one per open: the fuzzers open thousands of files a second) */
	size_t step = 16384, seen = (size_t)(r->base + r->end);
	while (step < CHUNK && step < seen)
		step *= 2;
	if (r->cap - r->end < step) {
		size_t ncap = r->end + step;
		unsigned char *nb = realloc(r->buf, ncap);
		if (!nb)
			return tl_errf(err, "out of memory reading stream");
		r->buf = nb;
		r->cap = ncap;
	}
	long n = pull(r, r->buf + r->end, r->cap - r->end);
	if (n <= 0) {
		r->eof = 1;
		if (n < 0) {
			r->failed = 1;
			return tl_errf(err, "%s", r->failure);
		}
		return 0;
	}
	r->end += (size_t)n;
	return 1;
}

static void detect_bom(struct tl_reader *r, struct tl_err *err)
{
	while (r->end - r->start < 3 && !r->eof)
		if (fill(r, err) < 0)
			return;
	const unsigned char *b = r->buf + r->start;
	size_t n = r->end - r->start;
	if (n >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF)
		r->start += 3;
	else if (n >= 2 && b[0] == 0xFF && b[1] == 0xFE)
		r->enc = ENC_UTF16LE, r->start += 2;
	else if (n >= 2 && b[0] == 0xFE && b[1] == 0xFF)
		r->enc = ENC_UTF16BE, r->start += 2;
}

/* Whether N bytes at M start like one of tl_stream_filters()' decoders
 * (bzip2, xz, lzip, zstd and its skippable frames). */
static int filter_magic(const unsigned char *m, ssize_t n)
{
	static const unsigned char xz[6] = { 0xFD, '7', 'z', 'X', 'Z', 0 };
	return n >= 3 && ((m[0] == 'B' && m[1] == 'Z' && m[2] == 'h') || (n >= 6 && !memcmp(m, xz, 6)) ||
			  (n >= 4 && !memcmp(m, "LZIP", 4)) ||
			  (n >= 4 && m[0] == 0x28 && m[1] == 0xB5 && m[2] == 0x2F && m[3] == 0xFD) ||
			  (n >= 4 && (m[0] & 0xF0) == 0x50 && m[1] == 0x2A && m[2] == 0x4D && m[3] == 0x18));
}

/* libarchive's read callback over the zlib stream: a gzip file whose
 * content is compressed again (.xz.gz) is decoded layer by layer, zlib still
 * checking the gzip trailer. */
static la_ssize_t gz_block(struct archive *a, void *ctx, const void **out)
{
	struct tl_reader *r = ctx;
	int n = gzread(r->gz, r->gzblock, 65536);
	int code = Z_OK;
	const char *m = gzerror(r->gz, &code);
	if (n < 0 || (n == 0 && code != Z_OK && code != Z_STREAM_END)) {
		snprintf(r->gzfailure, sizeof(r->gzfailure), "%s", m);
		archive_set_error(a, EIO, "gzip: %s", m);
		return -1;
	}
	*out = r->gzblock;
	return n;
}

/* After gzip, another decoder's magic: put libarchive on top of zlib. 0, or -1
 * when the inner stream cannot be opened (as a file of that kind would not be). */
static int open_stacked(struct tl_reader *r, const char *path, struct tl_err *err)
{
	/* a look at the content through a handle of its own: r->gz stays at its
	 * start, and a stream corrupt from the first block is left for the
	 * ordinary gzip path to report */
	unsigned char m[6];
	int pfd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	gzFile peek = pfd >= 0 ? gzdopen(pfd, "rb") : NULL;
	int n = peek ? gzread(peek, m, sizeof(m)) : -1;
	if (peek)
		gzclose_r(peek);
	else if (pfd >= 0)
		close(pfd);
	if (n < 3 || !filter_magic(m, n))
		return 0;
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	if (!a || !(r->gzblock = malloc(65536))) {
		archive_read_free(a);
		return tl_errf(err, "out of memory");
	}
	if (tl_stream_filters(a, err) || archive_read_support_format_raw(a) != ARCHIVE_OK) {
		archive_read_free(a);
		return -1;
	}
	if (archive_read_open(a, r, NULL, gz_block, NULL) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK) {
		const char *why = archive_error_string(a);
		tl_errf(err, "cannot read '%s': %s", path, why ? why : "unreadable stream");
		archive_read_free(a);
		return -1;
	}
	r->ar = a;
	return 0;
}

/* Open PATH as one stream: gzip through zlib (*GZ, which then owns the
 * descriptor), other decoders through libarchive ("raw" with the decoders of
 * tl_stream_filters(): *AR). Both stay NULL for a plain or empty file, read
 * from *FD directly (libarchive calls an empty file an unrecognised format).
 * The caller closes *FD. */
static int open_file(const char *path, int *fd, struct archive **ar, gzFile *gz, struct tl_err *err)
{
	struct stat st;
	unsigned char magic[2];
	*ar = NULL;
	*gz = NULL;
	*fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (*fd < 0)
		return tl_errf(err, "cannot open '%s': %s", path, strerror(errno));
	if (fstat(*fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0)
		return 0;
	if (pread(*fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
		/* zlib takes the descriptor: closed by gzclose_r() */
		*gz = gzdopen(*fd, "rb");
		if (!*gz)
			return tl_errf(err, "cannot read '%s'", path);
		*fd = -1;
		return 0;
	}
	/* no filter's magic (tl_stream_filters): a plain file, read directly
	 * without setting up libarchive to find that out (one per open: the
	 * fuzzers open thousands of files a second) */
	unsigned char m[6] = { 0 };
	int regular = fstat(*fd, &st) == 0 && S_ISREG(st.st_mode);
	ssize_t got = pread(*fd, m, sizeof(m), 0);
	int maybe = filter_magic(m, got);
	if (!maybe && regular)
		return 0;
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	if (!a)
		return tl_errf(err, "out of memory");
	if (tl_stream_filters(a, err) || archive_read_support_format_raw(a) != ARCHIVE_OK) {
		archive_read_free(a);
		return -1;
	}
	/* libarchive's block is allocated whole: not 256 KiB to probe a small file */
	size_t block = 256 * 1024;
	if (regular && st.st_size > 0 && (unsigned long long)st.st_size < block)
		block = st.st_size < 4096 ? 4096 : (size_t)st.st_size;
	if (archive_read_open_fd(a, *fd, block) != ARCHIVE_OK || archive_read_next_header(a, &e) != ARCHIVE_OK) {
		const char *why = archive_error_string(a);
		tl_errf(err, "cannot read '%s': %s", path, why ? why : "unreadable stream");
		archive_read_free(a);
		return -1;
	}
	if (archive_filter_count(a) <= 1) {
		/* plain: read the file itself, without libarchive's copy in between */
		archive_read_free(a);
		if (lseek(*fd, 0, SEEK_SET) != 0)
			return tl_errf(err, "cannot read '%s': %s", path, strerror(errno));
		return 0;
	}
	*ar = a;
	return 0;
}

static struct tl_reader *reader_new(const struct tl_framing_spec *spec, struct tl_err *err)
{
	struct tl_reader *r = calloc(1, sizeof(*r));
	if (!r) {
		tl_errf(err, "out of memory");
		return NULL;
	}
	r->fd = -1;
	r->spec = *spec;
	if (!r->spec.max_record)
		r->spec.max_record = 64u << 20;
	r->gzip_max_ratio = TL_GZIP_MAX_RATIO;
	r->lineno = 1;
	r->text.max = r->raw.max = r->spec.max_record + 16;
	snprintf(r->compression, sizeof(r->compression), "none");
	return r;
}

struct tl_reader *tl_reader_open(const char *path, const struct tl_framing_spec *spec, struct tl_err *err)
{
	struct tl_reader *r = reader_new(spec, err);
	if (!r)
		return NULL;
	if (open_file(path, &r->fd, &r->ar, &r->gz, err)) {
		tl_reader_free(r);
		return NULL;
	}
	if (r->gz) {
		/* 256 KiB for throughput, but not for a file smaller than that */
		struct stat st;
		unsigned gbuf = 256 * 1024;
		if (fstat(r->fd, &st) == 0 && st.st_size >= 0 && (unsigned long long)st.st_size * 4 < gbuf)
			gbuf = st.st_size * 4 < 16384 ? 16384 : (unsigned)st.st_size * 4;
		gzbuffer(r->gz, gbuf);
		snprintf(r->compression, sizeof(r->compression), "gzip");
		r->compressed = 1;
		if (open_stacked(r, path, err)) {
			tl_reader_free(r);
			return NULL;
		}
		if (r->ar) {
			char inner[64];
			tl_stream_compression(r->ar, inner, sizeof(inner));
			snprintf(r->compression, sizeof(r->compression), "gzip+%s", inner);
		}
	} else if (r->ar) {
		tl_stream_compression(r->ar, r->compression, sizeof(r->compression));
		r->compressed = archive_filter_count(r->ar) > 1;
	}
	detect_bom(r, err);
	return r;
}

struct tl_reader *tl_reader_open_source(const struct tl_source *src, const struct tl_framing_spec *spec,
					struct tl_err *err)
{
	struct tl_reader *r = reader_new(spec, err);
	if (!r)
		return NULL;
	r->src = *src;
	detect_bom(r, err);
	return r;
}

int tl_reader_range(const char *path, uint64_t offset, size_t length, struct tl_buf *out, struct tl_err *err)
{
	static const struct tl_framing_spec lines = { 0 };
	struct tl_reader *r = tl_reader_open(path, &lines, err);
	int rc = -1;
	if (!r)
		return -1;
	/* the bytes before OFFSET are read and dropped: a compressed stream has no
	 * index to seek by. The buffer holds stream bytes [base, base + end). */
	for (;;) {
		uint64_t pos = r->base, end = r->base + r->end;
		if (end > offset && out->len < length) {
			size_t from = pos < offset ? (size_t)(offset - pos) : 0, take = r->end - from;
			if (take > length - out->len)
				take = length - out->len;
			if (tl_buf_add(out, r->buf + from, take)) {
				tl_errf(err, "out of memory");
				break;
			}
		}
		if (out->len >= length) {
			rc = 0;
			break;
		}
		r->start = r->end;
		int more = fill(r, err);
		if (more < 0)
			break;
		if (more == 0) {
			tl_errf(err, "'%s' ends at decompressed offset %llu, before the record's end", path,
				(unsigned long long)(r->base + r->end));
			break;
		}
	}
	tl_reader_free(r);
	return rc;
}

const char *tl_reader_compression(const struct tl_reader *r)
{
	return r->compression;
}

void tl_reader_gzip_limits(struct tl_reader *r, uint32_t max_ratio, uint64_t max_bytes)
{
	r->gzip_max_ratio = max_ratio ? max_ratio : TL_GZIP_MAX_RATIO;
	r->gzip_max_bytes = max_bytes;
}

void tl_reader_free(struct tl_reader *r)
{
	if (!r)
		return;
	if (r->ar)
		archive_read_free(r->ar);
	if (r->gz)
		gzclose_r(r->gz);
	free(r->gzblock);
	if (r->fd >= 0)
		close(r->fd);
	free(r->buf);
	tl_buf_release(&r->text);
	tl_buf_release(&r->raw);
	tl_buf_release(&r->excerpt);
	tl_buf_release(&r->pending);
	tl_sha256_free(r->sha);
	free(r);
}

uint64_t tl_reader_pos(const struct tl_reader *r)
{
	return r->base + r->start;
}

uint64_t tl_reader_compressed_pos(const struct tl_reader *r)
{
	int64_t n = r->gz ? (int64_t)gzoffset(r->gz) : r->ar ? archive_filter_bytes(r->ar, -1) : 0;
	return n > 0 ? (uint64_t)n : r->base + r->start;
}

const char *tl_reader_encoding(const struct tl_reader *r)
{
	return r->enc == ENC_UTF16LE ? "utf-16le" : r->enc == ENC_UTF16BE ? "utf-16be" : "utf-8";
}

/* Index of the newline in buf[from, end), honouring UTF-16 alignment, or -1. */
static long find_newline(const struct tl_reader *r, size_t from)
{
	if (r->enc == ENC_UTF8) {
		const unsigned char *p = memchr(r->buf + from, '\n', r->end - from);
		return p ? (long)(p - r->buf) : -1;
	}
	/* code units start at even stream offsets (the BOM is at 0) */
	size_t i = from;
	if ((r->base + i) & 1)
		i++;
	for (; i + 1 < r->end; i += 2) {
		if (r->enc == ENC_UTF16LE && r->buf[i] == '\n' && r->buf[i + 1] == 0)
			return (long)i;
		if (r->enc == ENC_UTF16BE && r->buf[i] == 0 && r->buf[i + 1] == '\n')
			return (long)i;
	}
	return -1;
}

/* Width of the line terminator ending at newline index NL, and of any CR before it. */
static size_t cr_width(const struct tl_reader *r, size_t line_start, size_t nl)
{
	if (r->enc == ENC_UTF8)
		return nl > line_start && r->buf[nl - 1] == '\r' ? 1 : 0;
	if (nl >= line_start + 2) {
		const unsigned char *p = r->buf + nl - 2;
		if ((r->enc == ENC_UTF16LE && p[0] == '\r' && p[1] == 0) ||
		    (r->enc == ENC_UTF16BE && p[0] == 0 && p[1] == '\r'))
			return 2;
	}
	return 0;
}

/* Skip an oversize line, hashing it; leaves a bounded excerpt. */
static int skip_oversize(struct tl_reader *r, struct line *l, struct tl_err *err)
{
	struct tl_sha256 *h = tl_sha256_new();
	if (!h)
		return tl_errf(err, "out of memory");
	tl_buf_reset(&r->excerpt);
	uint64_t total = 0;
	size_t nlw = r->enc == ENC_UTF8 ? 1 : 2;
	for (;;) {
		long nl = find_newline(r, r->start);
		size_t upto = nl >= 0 ? (size_t)nl : r->end;
		size_t n = upto - r->start;
		if (r->excerpt.len < EXCERPT)
			tl_buf_add(&r->excerpt, r->buf + r->start,
				   n < EXCERPT - r->excerpt.len ? n : EXCERPT - r->excerpt.len);
		tl_sha256_update(h, r->buf + r->start, n);
		total += n;
		r->start = upto;
		if (nl >= 0) {
			r->start += nlw;
			l->term = nlw;
			break;
		}
		int f = fill(r, err);
		if (f <= 0) {
			l->term = 0;
			if (f < 0) {
				tl_sha256_final_hex(h, l->sha);
				return -1;
			}
			break;
		}
	}
	tl_sha256_final_hex(h, l->sha);
	l->p = (const unsigned char *)r->excerpt.data;
	l->len = r->excerpt.len;
	l->full_len = total;
	l->oversize = 1;
	return 1;
}

/* Next physical line; 1, 0 at end, -1 on error. */
static int next_line(struct tl_reader *r, struct line *l, struct tl_err *err)
{
	size_t scanned = r->start;
	memset(l, 0, sizeof(*l));
	for (;;) {
		long nl = find_newline(r, scanned);
		if (nl >= 0 && (size_t)nl - r->start > r->spec.max_record) {
			l->off = r->base + r->start;
			l->lineno = r->lineno++;
			return skip_oversize(r, l, err);
		}
		if (nl >= 0) {
			size_t s = r->start;
			size_t cr = cr_width(r, s, (size_t)nl);
			size_t nlw = r->enc == ENC_UTF8 ? 1 : 2;
			l->p = r->buf + s;
			l->len = (size_t)nl - s - cr;
			l->term = cr + nlw;
			memcpy(l->termb, r->buf + nl - cr, l->term);
			l->off = r->base + s;
			l->lineno = r->lineno++;
			r->start = (size_t)nl + nlw;
			return 1;
		}
		if (r->end - r->start > r->spec.max_record) {
			l->off = r->base + r->start;
			l->lineno = r->lineno++;
			return skip_oversize(r, l, err);
		}
		scanned = r->end > 0 && r->end - 1 > r->start ? r->end - 1 : r->start;
		size_t keep = scanned - r->start;
		int f = fill(r, err);
		scanned = r->start + keep;
		if (f < 0 && r->end == r->start)
			return -1;
		if (f <= 0) {
			if (r->end == r->start)
				return f;
			/* last line without terminator */
			l->p = r->buf + r->start;
			l->len = r->end - r->start;
			l->off = r->base + r->start;
			l->lineno = r->lineno++;
			r->start = r->end;
			return 1;
		}
	}
}

static void put_utf8(struct tl_buf *b, unsigned cp)
{
	char o[4];
	size_t n;
	if (cp < 0x80)
		o[0] = (char)cp, n = 1;
	else if (cp < 0x800)
		o[0] = (char)(0xC0 | cp >> 6), o[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
	else if (cp < 0x10000)
		o[0] = (char)(0xE0 | cp >> 12), o[1] = (char)(0x80 | ((cp >> 6) & 0x3F)),
		o[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
	else
		o[0] = (char)(0xF0 | cp >> 18), o[1] = (char)(0x80 | ((cp >> 12) & 0x3F)),
		o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), o[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
	tl_buf_add(b, o, n);
}

/* Append UTF-16 bytes to OUT as UTF-8; unpaired surrogates become U+FFFD. */
static void utf16_to_utf8(enum enc e, const unsigned char *p, size_t len, struct tl_buf *out)
{
	for (size_t i = 0; i + 1 < len; i += 2) {
		unsigned u = e == ENC_UTF16LE ? (unsigned)(p[i] | p[i + 1] << 8) : (unsigned)(p[i] << 8 | p[i + 1]);
		if (u >= 0xD800 && u < 0xDC00 && i + 3 < len) {
			unsigned v = e == ENC_UTF16LE ? (unsigned)(p[i + 2] | p[i + 3] << 8)
						     : (unsigned)(p[i + 2] << 8 | p[i + 3]);
			if (v >= 0xDC00 && v < 0xE000) {
				put_utf8(out, 0x10000 + ((u - 0xD800) << 10) + (v - 0xDC00));
				i += 2;
				continue;
			}
		}
		if (u >= 0xD800 && u < 0xE000)
			u = 0xFFFD;
		put_utf8(out, u);
	}
	if (len & 1)
		put_utf8(out, 0xFFFD);
}

/* Fill REC from RAW bytes (already collected); computes text and hash. */
static void finish_record(struct tl_reader *r, struct tl_record *rec, const char *raw, size_t rawlen)
{
	rec->raw = raw;
	rec->raw_len = rawlen;
	rec->length = rawlen;
	if (!r->sha)
		r->sha = tl_sha256_new();
	/* the bytes too: the store keeps them as bytes, and unhexing every
	 * record's text again cost it more than the hex did */
	if (r->sha)
		rec->has_sha_bin = tl_sha256_next_both(r->sha, raw, rawlen, rec->sha_bin, rec->sha256);
	else
		tl_sha256_hex(raw, rawlen, rec->sha256);
	if (r->enc == ENC_UTF8) {
		rec->text = raw;
		rec->len = rawlen;
	} else {
		tl_buf_reset(&r->text);
		utf16_to_utf8(r->enc, (const unsigned char *)raw, rawlen, &r->text);
		rec->text = r->text.data ? r->text.data : "";
		rec->len = r->text.len;
	}
}

static int record_from_line(struct tl_reader *r, const struct line *l, struct tl_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->line = l->lineno;
	rec->offset = l->off;
	if (l->oversize) {
		rec->oversize = 1;
		rec->raw = rec->text = (const char *)l->p;
		rec->raw_len = rec->len = l->len;
		rec->length = l->full_len;
		memcpy(rec->sha256, l->sha, 65);
		return 1;
	}
	/* the window may hold the line without a NUL after it; copy only when needed */
	if (r->enc == ENC_UTF8 && l->term) {
		/* the byte after the content is CR or LF: safe to terminate in place */
		((unsigned char *)l->p)[l->len] = 0;
		finish_record(r, rec, (const char *)l->p, l->len);
		return 1;
	}
	tl_buf_reset(&r->raw);
	tl_buf_add(&r->raw, l->p, l->len);
	finish_record(r, rec, r->raw.data ? r->raw.data : "", r->raw.len);
	return 1;
}

static int starts_record(const struct tl_reader *r, const struct line *l)
{
	if (r->spec.kind != TL_FRAME_MULTILINE || !r->spec.start)
		return 1;
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	int rc = pcre2_match(r->spec.start, l->p, l->len, 0, 0, md, NULL);
	pcre2_match_data_free(md);
	return rc >= 0;
}

/* Number of unescaped double quotes decides whether a CSV record continues. */
static int quotes_open(const unsigned char *p, size_t len, int open)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] == '"')
			open = !open;
	return open;
}

/* MULTILINE and CSV: gather physical lines into one record in r->raw,
 * keeping the original terminator bytes between them. */
static int next_joined(struct tl_reader *r, struct tl_record *rec, struct tl_err *err)
{
	struct line l;
	uint64_t off, lineno;
	unsigned char termb[4];
	size_t term;
	tl_buf_reset(&r->raw);
	if (r->have_pending) {
		tl_buf_add(&r->raw, r->pending.data, r->pending.len);
		off = r->pending_off;
		lineno = r->pending_line;
		term = r->pending_term;
		memcpy(termb, r->pending_termb, sizeof(termb));
		r->have_pending = 0;
	} else {
		int rc = next_line(r, &l, err);
		if (rc <= 0)
			return rc;
		if (l.oversize)
			return record_from_line(r, &l, rec);
		tl_buf_add(&r->raw, l.p, l.len);
		off = l.off;
		lineno = l.lineno;
		term = l.term;
		memcpy(termb, l.termb, sizeof(termb));
	}
	int open = r->spec.kind == TL_FRAME_CSV ? quotes_open((unsigned char *)r->raw.data, r->raw.len, 0) : 0;
	while (r->spec.kind != TL_FRAME_CSV || open) {
		int rc = next_line(r, &l, err);
		if (rc < 0)
			return -1;
		if (rc == 0)
			break;
		if (l.oversize || (r->spec.kind == TL_FRAME_MULTILINE && starts_record(r, &l)) ||
		    r->raw.len + l.len + term > r->spec.max_record) {
			/* the line belongs to the next record (an oversize one is emitted
			 * as its own flagged record next time, from its excerpt) */
			tl_buf_reset(&r->pending);
			tl_buf_add(&r->pending, l.p, l.len);
			r->pending_off = l.off;
			r->pending_line = l.lineno;
			r->pending_term = l.term;
			memcpy(r->pending_termb, l.termb, sizeof(l.termb));
			r->have_pending = 1;
			break;
		}
		tl_buf_add(&r->raw, termb, term);
		tl_buf_add(&r->raw, l.p, l.len);
		term = l.term;
		memcpy(termb, l.termb, sizeof(termb));
		if (r->spec.kind == TL_FRAME_CSV)
			open = quotes_open(l.p, l.len, open);
	}
	memset(rec, 0, sizeof(*rec));
	rec->line = lineno;
	rec->offset = off;
	finish_record(r, rec, r->raw.data ? r->raw.data : "", r->raw.len);
	return 1;
}

/*
 * JSON framing reads a stream of top-level JSON values (one document, JSON
 * lines, or values simply concatenated). Each top-level object is a record,
 * unless it holds the array named by records_keys ({"Records":[...]} as
 * CloudTrail delivers), in which case each element of that array is a record;
 * a top-level array's elements are records too. A byte scanner cuts the
 * records out with their offsets; they are parsed later, one at a time, so a
 * multi-GB document never sits in memory whole.
 */
enum { JS_TOP, JS_WHOLE, JS_ARRAY, JS_ELEMENT, JS_SKIP, JS_GARBAGE };

static int js_emit(struct tl_reader *r, struct tl_record *rec, uint64_t off, uint64_t line, int structural,
		   const char *why)
{
	memset(rec, 0, sizeof(*rec));
	rec->line = line;
	rec->offset = off;
	if (structural) {
		/* keep the bytes seen as the excerpt; the reason goes first */
		rec->structural = 1;
		rec->text = why;
		rec->len = strlen(why);
		rec->raw = r->raw.data ? r->raw.data : "";
		rec->raw_len = r->raw.len;
		rec->length = tl_reader_pos(r) - off;
		tl_sha256_hex(rec->raw, rec->raw_len, rec->sha256);
		return 1;
	}
	/* an XML record ends at its '>' exactly (and a UTF-16 one must keep its last 0 byte) */
	while (r->spec.kind != TL_FRAME_XML && r->raw.len && strchr(" \t\r\n", r->raw.data[r->raw.len - 1]))
		r->raw.data[--r->raw.len] = 0;
	finish_record(r, rec, r->raw.data ? r->raw.data : "", r->raw.len);
	return 1;
}

/* The bytes of the record being cut out are copied span by span, not byte by
 * byte: from js_from to UPTO in the window. */
static void js_flush(struct tl_reader *r, size_t upto)
{
	if (r->js_keeping && r->js_done != 2 && upto > r->js_from) {
		size_t n = upto - r->js_from;
		if (r->raw.len + n > r->spec.max_record)
			r->js_done = 2; /* over the limit: stop keeping bytes, report at the end */
		else
			tl_buf_add(&r->raw, r->buf + r->js_from, n);
	}
	r->js_from = upto;
}

/* Start keeping bytes at window index AT (a record begins there). */
static void js_begin(struct tl_reader *r, size_t at)
{
	tl_buf_reset(&r->raw);
	r->js_done = 0;
	r->js_keeping = 1;
	r->js_from = at;
	r->js_off = r->base + at;
	r->js_line = r->lineno;
}

static int js_end(struct tl_reader *r, struct tl_record *rec, size_t upto, const char *why)
{
	js_flush(r, upto);
	r->js_keeping = 0;
	if (r->js_done == 2)
		return js_emit(r, rec, r->js_off, r->js_line, 1,
			       r->spec.kind == TL_FRAME_XML ? "XML record exceeds the size limit"
							    : "JSON record exceeds the size limit");
	return js_emit(r, rec, r->js_off, r->js_line, why != NULL, why);
}

static int is_records_key(const struct tl_reader *r)
{
	for (const char *const *k = r->spec.records_keys; k && *k; k++)
		if (strlen(*k) == r->js_keylen && !memcmp(r->js_key, *k, r->js_keylen))
			return 1;
	return 0;
}

static int next_json(struct tl_reader *r, struct tl_record *rec, struct tl_err *err)
{
	for (;;) {
		if (r->start >= r->end) {
			js_flush(r, r->end);
			int f = fill(r, err);
			r->js_from = r->start;
			if (f < 0)
				return -1;
			if (f == 0) {
				int phase = r->js_phase;
				r->js_phase = JS_TOP;
				if (phase == JS_TOP || (phase == JS_ARRAY && !r->js_keeping && r->js_depth == 0))
					return 0;
				return js_end(r, rec, r->end, phase == JS_GARBAGE ? "not JSON"
					: "JSON ends in the middle of a value (truncated)");
			}
			continue;
		}
		if (r->js_instr) {
			/* inside a string only a quote or a backslash matters */
			const unsigned char *p = r->buf + r->start, *e = r->buf + r->end;
			if (r->js_esc) {
				r->js_esc = 0;
				p++;
			}
			if (!r->js_inkey) {
				/* a value: runs of plain bytes a word at a time */
				while ((p += tl_json_plain_len((const char *)p, (size_t)(e - p))) < e && *p != '"' && *p != '\\')
					p++;
			}
			while (p < e && *p != '"' && *p != '\\') {
				if (r->js_inkey && r->js_keylen < sizeof(r->js_key) - 1)
					r->js_key[r->js_keylen++] = (char)*p;
				p++;
			}
			r->start = (size_t)(p - r->buf);
			if (p == e)
				continue;
			r->start++;
			if (*p == '\\')
				r->js_esc = 1;
			else
				r->js_instr = 0, r->js_inkey = 0;
			continue;
		}
		size_t at = r->start;
		unsigned char c = r->buf[r->start++];
		if (c == '\n')
			r->lineno++;
		if (r->js_phase == JS_GARBAGE) {
			if (c == '\n') {
				r->js_phase = JS_TOP;
				return js_end(r, rec, at, "not JSON");
			}
			continue;
		}
		int ws = c == ' ' || c == '\t' || c == '\r' || c == '\n';
		if (r->js_phase == JS_TOP) {
			if (ws)
				continue;
			r->js_keylen = 0;
			if (c == '{') {
				js_begin(r, at);
				r->js_phase = JS_WHOLE;
				r->js_depth = 1;
			} else if (c == '[') {
				r->js_phase = JS_ARRAY;
				r->js_depth = 1;
				r->js_arr_depth = 1;
			} else {
				js_begin(r, at);
				r->js_phase = JS_GARBAGE;
			}
			continue;
		}
		if (r->js_phase == JS_ARRAY) {
			if (ws || c == ',')
				continue;
			if (c == ']') {
				r->js_depth--;
				r->js_phase = r->js_depth == 0 ? JS_TOP : JS_SKIP;
				continue;
			}
			js_begin(r, at);
			r->js_phase = JS_ELEMENT;
			if (c == '"')
				r->js_instr = 1;
			else if (c == '{' || c == '[')
				r->js_depth++;
			continue;
		}
		if (r->js_phase == JS_ELEMENT && r->js_depth == r->js_arr_depth && (c == ',' || c == ']')) {
			if (c == ']') {
				r->js_depth--;
				r->js_phase = r->js_depth == 0 ? JS_TOP : JS_SKIP;
			} else {
				r->js_phase = JS_ARRAY;
			}
			return js_end(r, rec, at, NULL);
		}
		switch (c) {
		case '"':
			r->js_instr = 1;
			if (r->js_phase == JS_WHOLE && r->js_depth == 1) {
				r->js_inkey = 1;
				r->js_keylen = 0;
			}
			break;
		case '[':
			r->js_depth++;
			if (r->js_phase == JS_WHOLE && r->js_depth == 2 && is_records_key(r)) {
				/* the wrapper is not a record: its array elements are */
				r->js_phase = JS_ARRAY;
				r->js_arr_depth = 2;
				r->js_keeping = 0;
			}
			break;
		case '{':
			r->js_depth++;
			break;
		case ']':
		case '}':
			r->js_depth--;
			if (r->js_depth == 0) {
				int phase = r->js_phase;
				r->js_phase = JS_TOP;
				if (phase == JS_WHOLE)
					return js_end(r, rec, r->start, NULL);
			}
			break;
		case ':':
		case ',':
			break;
		default:
			if (r->js_phase == JS_WHOLE && r->js_depth == 1 && !ws)
				r->js_keylen = 0; /* a scalar value: the last key is not ours */
		}
	}
}

/*
 * XML framing cuts each <E ...>...</E> element (E = records_keys[0]) out of the
 * stream wherever the lines break: `wevtutil qe /f:xml` writes Windows events
 * back to back on one line, with no root element. Between records, markup
 * (an XML declaration, an <Events> wrapper's tags, comments) is structure
 * and not stored, like the wrapper of a JSON document; other text there is a
 * structural reject. Inside a record only tags named E are counted, quotes
 * in tags respected; CDATA is not interpreted. UTF-16 streams are scanned in
 * code units. Parsing the element is the xml parse type's job.
 */
enum { XS_TOP, XS_TOP_NAME, XS_SKIP_TAG, XS_OUTSIDE, XS_REC_TEXT, XS_REC_NAME, XS_REC_TAG };

/* Code unit at window index I: its width (1 or 2), or 0 when the window ends first. */
static int xs_unit(const struct tl_reader *r, size_t i, unsigned *u)
{
	if (r->enc == ENC_UTF8) {
		if (i >= r->end)
			return 0;
		*u = r->buf[i];
		return 1;
	}
	if (i + 1 >= r->end)
		return 0;
	*u = r->enc == ENC_UTF16LE ? (unsigned)(r->buf[i] | r->buf[i + 1] << 8) : (unsigned)(r->buf[i] << 8 | r->buf[i + 1]);
	return 2;
}

static int xs_space(unsigned u)
{
	return u == ' ' || u == '\t' || u == '\r' || u == '\n';
}

static void xs_name_add(struct tl_reader *r, unsigned u)
{
	if (u < 128 && r->xs_namelen < sizeof(r->xs_name) - 1)
		r->xs_name[r->xs_namelen++] = (char)u;
	else
		r->xs_name_bad = 1;
}

static int xs_name_is_element(const struct tl_reader *r)
{
	const char *e = r->spec.records_keys ? r->spec.records_keys[0] : NULL;
	if (!e)
		return 0;
	size_t n = strlen(e);
	return !r->xs_name_bad && r->xs_namelen == n && !memcmp(r->xs_name, e, n);
}

static int next_xml(struct tl_reader *r, struct tl_record *rec, struct tl_err *err)
{
	for (;;) {
		unsigned u;
		int w = xs_unit(r, r->start, &u);
		if (!w) {
			js_flush(r, r->start);
			int f = fill(r, err);
			r->js_from = r->start;
			if (f < 0)
				return -1;
			if (f == 0) {
				int phase = r->xs_phase;
				r->xs_phase = XS_TOP;
				if (!r->js_keeping || phase == XS_SKIP_TAG)
					return 0; /* a dangling odd byte, or an unfinished wrapper tag (structure) */
				r->start = r->end;
				return js_end(r, rec, r->end, phase == XS_OUTSIDE ? "text outside any XML record element"
					: "XML ends in the middle of an element (truncated)");
			}
			continue;
		}
		size_t at = r->start;
		r->start += (size_t)w;
		if (u == '\n')
			r->lineno++;
		switch (r->xs_phase) {
		case XS_TOP:
			if (xs_space(u))
				continue;
			js_begin(r, at);
			r->xs_phase = u == '<' ? XS_TOP_NAME : XS_OUTSIDE;
			r->xs_namelen = 0;
			r->xs_name_bad = 0;
			continue;
		case XS_OUTSIDE:
			if (u != '<')
				continue;
			r->start = at; /* the '<' starts what comes next */
			r->xs_phase = XS_TOP;
			return js_end(r, rec, at, "text outside any XML record element");
		case XS_TOP_NAME:
			if (!xs_space(u) && u != '>' && u != '/' && u != '<') {
				xs_name_add(r, u);
				continue;
			}
			if (xs_name_is_element(r)) {
				r->xs_phase = XS_REC_TAG;
				r->xs_depth = 1;
				r->xs_tag = 1;
				r->xs_quote = 0;
				r->xs_slash = 0;
				break; /* the delimiter is part of the tag */
			}
			/* a declaration, a wrapper's tag, a comment: structure, not a record */
			r->js_keeping = 0;
			tl_buf_reset(&r->raw);
			r->xs_phase = u == '>' ? XS_TOP : XS_SKIP_TAG;
			r->xs_quote = 0;
			continue;
		case XS_SKIP_TAG:
			if (r->xs_quote)
				r->xs_quote = u == r->xs_quote ? 0 : r->xs_quote;
			else if (u == '"' || u == '\'')
				r->xs_quote = u;
			else if (u == '>')
				r->xs_phase = XS_TOP;
			continue;
		case XS_REC_TEXT:
			if (u == '<') {
				r->xs_phase = XS_REC_NAME;
				r->xs_namelen = 0;
				r->xs_name_bad = 0;
				r->xs_closing = 0;
			}
			continue;
		case XS_REC_NAME:
			if (u == '/' && !r->xs_namelen && !r->xs_closing) {
				r->xs_closing = 1;
				continue;
			}
			if (!xs_space(u) && u != '>' && u != '/' && u != '<') {
				xs_name_add(r, u);
				continue;
			}
			r->xs_tag = xs_name_is_element(r) ? (r->xs_closing ? 2 : 1) : 0;
			if (r->xs_tag == 1)
				r->xs_depth++;
			r->xs_phase = XS_REC_TAG;
			r->xs_quote = 0;
			r->xs_slash = 0;
			break;
		default:
			break;
		}
		/* XS_REC_TAG: inside a tag of the record, up to its '>' */
		if (r->xs_quote) {
			if (u == r->xs_quote)
				r->xs_quote = 0;
			continue;
		}
		if (u == '"' || u == '\'') {
			r->xs_quote = u;
			r->xs_slash = 0;
			continue;
		}
		if (u != '>') {
			r->xs_slash = u == '/';
			continue;
		}
		if ((r->xs_tag == 1 && r->xs_slash) || r->xs_tag == 2)
			r->xs_depth--;
		r->xs_phase = XS_REC_TEXT;
		if (r->xs_depth == 0) {
			r->xs_phase = XS_TOP;
			return js_end(r, rec, r->start, NULL);
		}
	}
}

int tl_reader_next(struct tl_reader *r, struct tl_record *rec, struct tl_err *err)
{
	/* records before a read error were returned; the error itself comes once they are done */
	if (r->failed && r->start >= r->end && !r->have_pending)
		return tl_errf(err, "%s", r->failure);
	switch (r->spec.kind) {
	case TL_FRAME_JSON:
		return next_json(r, rec, err);
	case TL_FRAME_XML:
		return next_xml(r, rec, err);
	case TL_FRAME_MULTILINE:
	case TL_FRAME_CSV:
		return next_joined(r, rec, err);
	default: {
		struct line l;
		int rc = next_line(r, &l, err);
		if (rc <= 0)
			return rc;
		return record_from_line(r, &l, rec);
	}
	}
}

long tl_reader_sniff_text(char *buf, long n, size_t cap)
{
	/* sniff rules are written for UTF-8 text: show them UTF-16 input transcoded */
	const unsigned char *u = (const unsigned char *)buf;
	if (n >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF))) {
		struct tl_buf t = TL_BUF_INIT;
		utf16_to_utf8(u[0] == 0xFF ? ENC_UTF16LE : ENC_UTF16BE, u + 2, (size_t)(n - 2) & ~(size_t)1, &t);
		n = (long)(t.len < cap ? t.len : cap);
		if (n)
			memcpy(buf, t.data, (size_t)n);
		tl_buf_release(&t);
	}
	return n;
}

long tl_reader_head(const char *path, char *buf, size_t cap, const char **compression, struct tl_err *err)
{
	/* the names of filters are static strings in libarchive; keep ours so */
	static const char *const known[] = { "gzip", "bzip2", "xz", "lzip", "zstd" };
	const struct tl_framing_spec spec = { TL_FRAME_LINES, NULL, NULL, 0 };
	*compression = "none";
	/* the same stream the reader would frame (gzip, other decoders, both
	 * stacked, plain), read raw: no BOM handling, no framing */
	struct tl_reader *r = reader_new(&spec, err);
	if (!r)
		return -1;
	if (open_file(path, &r->fd, &r->ar, &r->gz, err) || (r->gz && open_stacked(r, path, err))) {
		tl_reader_free(r);
		return -1;
	}
	if (r->gz) {
		*compression = r->ar ? "multiple" : "gzip";
		snprintf(r->compression, sizeof(r->compression), "%s", *compression);
	} else if (r->ar) {
		tl_stream_compression(r->ar, r->compression, sizeof(r->compression));
		*compression = "multiple"; /* e.g. xz inside zstd: tl_reader_compression() names them */
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (!strcmp(r->compression, known[i]))
				*compression = known[i];
	}
	long n = 0;
	while ((size_t)n < cap) {
		long k = pull(r, (unsigned char *)buf + n, cap - (size_t)n);
		if (k < 0) {
			tl_errf(err, "'%s': %s", path, r->failure);
			tl_reader_free(r);
			return -1;
		}
		if (k == 0)
			break;
		n += k;
	}
	tl_reader_free(r);
	return tl_reader_sniff_text(buf, n, cap);
}

const char *tl_reader_compression_of(const char *magic)
{
	/* libmagic's descriptions: "gzip compressed data", "bzip2 compressed data",
	 * "XZ compressed data", "Zstandard compressed data", "lzip compressed data" */
	static const char *const m[][2] = {
		{ "gzip compressed", "gzip" }, { "bzip2 compressed", "bzip2" },    { "XZ compressed", "xz" },
		{ "Zstandard compressed", "zstd" }, { "lzip compressed", "lzip" },
	};
	for (size_t i = 0; magic && i < sizeof(m) / sizeof(m[0]); i++)
		if (strstr(magic, m[i][0]))
			return m[i][1];
	return "none";
}
