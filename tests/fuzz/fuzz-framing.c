/* Fuzz every framing of the reader (src/reader.c): lines (also JSON lines,
 * key=value, W3C, Zeek TSV), multi-line with a start regex, CSV with quoted
 * newlines, JSON documents with and without wrapper keys, tiny record limits,
 * and gzip: the input compressed, and the input's raw bytes as a deflate stream. */
#include <zlib.h>

#include "fuzz.h"

static const char *const records_keys[] = { "Records", "Events", NULL };

static void all_framings(const char *path)
{
	static pcre2_code *start;
	if (!start) {
		int e;
		PCRE2_SIZE off;
		start = pcre2_compile((PCRE2_SPTR) "^(\\d{4}-|<\\d+>|\\S+ \\d+ )", PCRE2_ZERO_TERMINATED, 0, &e, &off, NULL);
		if (!start)
			abort();
	}
	const struct tl_framing_spec specs[] = {
		{ TL_FRAME_LINES, NULL, NULL, 1u << 20 },
		{ TL_FRAME_LINES, NULL, NULL, 64 },
		{ TL_FRAME_MULTILINE, start, NULL, 1u << 20 },
		{ TL_FRAME_MULTILINE, start, NULL, 64 },
		{ TL_FRAME_CSV, NULL, NULL, 1u << 20 },
		{ TL_FRAME_CSV, NULL, NULL, 64 },
		{ TL_FRAME_JSON, NULL, NULL, 1u << 20 },
		{ TL_FRAME_JSON, NULL, records_keys, 1u << 20 },
		{ TL_FRAME_JSON, NULL, records_keys, 64 },
	};
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		fuzz_read(path, &specs[i], NULL, 100000);
	char head[512];
	int gz;
	struct tl_err err;
	tl_reader_head(path, head, sizeof(head), &gz, &err);
}

/* DATA compressed as gzip (windowBits 31). */
static unsigned char *gzip(const uint8_t *data, size_t size, size_t *out_len)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	size_t cap = deflateBound(&z, size) + 32;
	unsigned char *out = malloc(cap);
	if (!out) {
		deflateEnd(&z);
		return NULL;
	}
	z.next_in = (Bytef *)data;
	z.avail_in = (uInt)size;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	int rc = deflate(&z, Z_FINISH);
	*out_len = cap - z.avail_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(out);
		return NULL;
	}
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	all_framings(fuzz_file(data, size));
	/* the same bytes gzip-compressed */
	size_t zlen;
	unsigned char *z = gzip(data, size, &zlen);
	if (z) {
		all_framings(fuzz_file(z, zlen));
		free(z);
	}
	/* the raw bytes behind a gzip header: hostile deflate data and trailers */
	unsigned char *h = malloc(size + 10);
	if (h) {
		static const unsigned char hdr[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
		memcpy(h, hdr, 10);
		if (size)
			memcpy(h + 10, data, size);
		const struct tl_framing_spec lines = { TL_FRAME_LINES, NULL, NULL, 1u << 20 };
		fuzz_read(fuzz_file(h, size + 10), &lines, NULL, 100000);
		free(h);
	}
	return 0;
}
