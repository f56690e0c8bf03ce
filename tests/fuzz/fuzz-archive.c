/* Fuzz the archive readers (src/ingest/archive.c and the stream layer of
 * src/parse/reader.c): the input as an archive (zip, tar, 7z, rar, cpio,
 * compressed tar) scanned and walked member by member, each member peeked at
 * and framed to its end, as ingest and verify read them; and the input as one
 * stream (bzip2, xz, lzip, zstd, gzip, plain); and as a handoff package
 * (tl_package_verify). Members are refused or read, never extracted; limits
 * keep a bomb from taking the run's time. */
#include "fuzz.h"

#include "tl/archive.h"
#include "tl/package.h"

static int on_scanned(void *ctx, const struct tl_member *m, struct tl_archive *a, struct tl_err *err)
{
	(void)a;
	(void)err;
	/* a refused member has a reason and a status; a read one a full hash */
	if (m->refused ? !m->status : strlen(m->sha256) != 64)
		abort();
	++*(long *)ctx;
	return 0;
}

static int on_member(void *ctx, const struct tl_member *m, struct tl_archive *a, struct tl_err *err)
{
	(void)ctx;
	(void)err;
	if (!a)
		return m->refused ? 0 : (abort(), 0);
	char head[512];
	struct tl_err e;
	long n = tl_archive_peek(a, head, sizeof(head), &e);
	if (n < 0 || (size_t)n > sizeof(head))
		abort();
	const struct tl_framing_spec spec = { TL_FRAME_LINES, NULL, NULL, 256 };
	struct tl_source src = { tl_archive_read, a };
	struct tl_reader *r = tl_reader_open_source(&src, &spec, &e);
	struct tl_record rec;
	uint64_t bytes = 0;
	while (r && tl_reader_next(r, &rec, &e) == 1)
		bytes += rec.length;
	/* the member was framed whole: its size as scanned bounds what was framed */
	if (r && bytes > m->size)
		abort();
	tl_reader_free(r);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(data, size);
	const struct tl_archive_limits lim = { 1000, 4u << 20 };
	struct tl_err err;
	char format[64];
	if (tl_archive_probe(path, format, sizeof(format), &err) == 1) {
		long scanned = 0;
		tl_archive_scan(path, "fuzz", &lim, on_scanned, &scanned, &err);
		tl_archive_each(path, "fuzz", &lim, on_member, NULL, &err);
	}
	/* as one stream, as tl_reader_open() reads a single compressed file */
	const struct tl_framing_spec spec = { TL_FRAME_LINES, NULL, NULL, 256 };
	struct tl_reader *r = tl_reader_open(path, &spec, &err);
	struct tl_record rec;
	if (r) {
		tl_reader_gzip_limits(r, 1000, 4u << 20);
		while (tl_reader_next(r, &rec, &err) == 1)
			;
	}
	tl_reader_free(r);
	char head[512];
	const char *compression;
	tl_reader_head(path, head, sizeof(head), &compression, &err);
	/* as a handoff package: tl verify --package reads it through libarchive too */
	static FILE *devnull;
	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		abort();
	tl_package_verify(path, devnull, &err);
	return 0;
}
