/* Fuzz every framing of the reader (src/parse/reader.c), one per run chosen by
 * the first byte: lines (also JSON lines,
 * key=value, W3C, Zeek TSV), multi-line with a start regex, CSV with quoted
 * newlines, JSON documents with and without wrapper keys, XML elements, tiny record limits,
 * and gzip: the input compressed, and the input's raw bytes as a deflate stream. */
#include <zlib.h>

#include "fuzz.h"

static const char *const records_keys[] = { "Records", "Events", NULL };

/* A digest of every record's location and bytes: gzip must not change framing. */
static void framing_digest(const char *path, const struct tl_framing_spec *spec, char out[65])
{
	struct tl_err err;
	struct tl_sha256 *h = tl_sha256_new();
	struct tl_reader *r = tl_reader_open(path, spec, &err);
	struct tl_record rec;
	int rc = 0;
	if (!h)
		abort();
	while (r && (rc = tl_reader_next(r, &rec, &err)) == 1) {
		char loc[128];
		int n = snprintf(loc, sizeof(loc), "%llu %llu %llu %d %d ", (unsigned long long)rec.line,
				 (unsigned long long)rec.offset, (unsigned long long)rec.length, rec.oversize, rec.structural);
		tl_sha256_update(h, loc, (size_t)n);
		tl_sha256_update(h, rec.sha256, 64);
	}
	tl_sha256_update(h, rc < 0 ? "error" : "end", rc < 0 ? 5 : 3);
	tl_sha256_final_hex(h, out);
	tl_reader_free(r);
}

static void framings(const char *path, size_t from, size_t to, int head)
{
	static pcre2_code *start;
	if (!start) {
		int e;
		PCRE2_SIZE off;
		start = pcre2_compile((PCRE2_SPTR) "^(\\d{4}-|<\\d+>|\\S+ \\d+ )", PCRE2_ZERO_TERMINATED, 0, &e, &off, NULL);
		if (!start)
			abort();
	}
	static const char *const xml_element[] = { "Event", NULL };
	/* the first four also run over the gzip-compressed input */
	const struct tl_framing_spec specs[] = {
		{ TL_FRAME_LINES, NULL, NULL, 1u << 20 },
		{ TL_FRAME_MULTILINE, start, NULL, 1u << 20 },
		{ TL_FRAME_CSV, NULL, NULL, 1u << 20 },
		{ TL_FRAME_JSON, NULL, records_keys, 1u << 20 },
		{ TL_FRAME_LINES, NULL, NULL, 64 },
		{ TL_FRAME_MULTILINE, start, NULL, 64 },
		{ TL_FRAME_CSV, NULL, NULL, 64 },
		{ TL_FRAME_JSON, NULL, NULL, 1u << 20 },
		{ TL_FRAME_JSON, NULL, records_keys, 64 },
		{ TL_FRAME_XML, NULL, xml_element, 1u << 20 },
		{ TL_FRAME_XML, NULL, xml_element, 64 },
	};
	for (size_t i = from; i < to && i < sizeof(specs) / sizeof(specs[0]); i++)
		fuzz_read(path, &specs[i], NULL, 100000);
	if (head) {
		char buf[512];
		const char *compression;
		struct tl_err err;
		tl_reader_head(path, buf, sizeof(buf), &compression, &err);
	}
}

static void all_framings(const char *path, size_t nspecs)
{
	framings(path, 0, nspecs, 1);
}

static void all_framings_one(const char *path, size_t i)
{
	framings(path, i, i + 1, 0);
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

/* The first byte picks one framing (or the gzip checks), the rest is the
 * input: one reader pass per run instead of twenty keeps the harness fast
 * enough (over 1,000 runs a second) to find something in a CI slot. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned pick = data[0] % 14;
	data++, size--;
	if (pick < 11) {
		all_framings_one(fuzz_file(data, size), pick);
		return 0;
	}
	if (pick == 11) {
		char head[512];
		const char *compression;
		struct tl_err err;
		tl_reader_head(fuzz_file(data, size), head, sizeof(head), &compression, &err);
		return 0;
	}
	if (pick == 12) {
		/* the same bytes gzip-compressed: the framing must not change */
		size_t zlen;
		unsigned char *z = gzip(data, size, &zlen);
		if (!z)
			return 0;
		const struct tl_framing_spec lines = { TL_FRAME_LINES, NULL, NULL, 1u << 20 };
		const struct tl_framing_spec json = { TL_FRAME_JSON, NULL, records_keys, 64 };
		char plain[2][65], gz[2][65];
		framing_digest(fuzz_file(data, size), &lines, plain[0]);
		framing_digest(fuzz_file(data, size), &json, plain[1]);
		all_framings(fuzz_file(z, zlen), 4);
		framing_digest(fuzz_file(z, zlen), &lines, gz[0]);
		framing_digest(fuzz_file(z, zlen), &json, gz[1]);
		free(z);
		int gzipped = size >= 2 && data[0] == 0x1f && data[1] == 0x8b; /* then only one layer comes off */
		for (int i = 0; i < 2 && !gzipped; i++)
			if (strcmp(plain[i], gz[i])) {
				fprintf(stderr, "fuzz-framing: %s framing differs between the plain and the gzip stream\n",
					i ? "json" : "lines");
				abort();
			}
		return 0;
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
