/*
 * Fuzz the format-definition loader (src/parse/format.c) and the engine it
 * configures (src/parse/engine.c): the input up to its first NUL byte is a
 * definition; if it loads, the bytes after the NUL are an evidence file
 * framed and parsed through it (a bounded number of records), and sniffed.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t dlen = nul ? (size_t)(nul - data) : size;
	struct tl_err err;
	struct tl_format *f = tl_format_load("fuzz.json", (const char *)data, dlen, &err);
	if (!f)
		return 0;
	const uint8_t *tail = nul ? nul + 1 : data + size;
	size_t tlen = (size_t)(data + size - tail);
	(void)tl_format_sniff(f, (const char *)tail, tlen);
	struct tl_time_ctx tctx;
	tl_time_ctx_init(&tctx, NULL, "default", 0, INT64_C(1795129200));
	struct tl_parse *p = tl_parse_new(f, &tctx, &err);
	if (p) {
		fuzz_read(fuzz_file(tail, tlen), tl_format_framing(f), p, 64);
		tl_parse_free(p);
	}
	tl_format_free(f);
	return 0;
}
