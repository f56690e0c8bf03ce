/* Unit tests: framing of byte streams into records with exact locations (src/parse/reader.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "tl/reader.h"

static char path[] = "/tmp/tl-test-reader-XXXXXX";

static void write_file(const void *data, size_t len, int gz)
{
	if (gz) {
		gzFile g = gzopen(path, "wb");
		gzwrite(g, data, (unsigned)len);
		gzclose(g);
		return;
	}
	FILE *f = fopen(path, "wb");
	fwrite(data, 1, len, f);
	fclose(f);
}

struct got {
	char text[8][256];
	uint64_t line[8], off[8], len[8];
	int oversize[8], structural[8];
	int n;
};

static int frame(const struct tl_framing_spec *spec, struct got *g)
{
	struct tl_err err;
	struct tl_reader *r = tl_reader_open(path, spec, &err);
	assert_non_null(r);
	struct tl_record rec;
	int rc;
	memset(g, 0, sizeof(*g));
	while ((rc = tl_reader_next(r, &rec, &err)) == 1 && g->n < 8) {
		snprintf(g->text[g->n], 256, "%.*s", (int)rec.len, rec.text);
		g->line[g->n] = rec.line;
		g->off[g->n] = rec.offset;
		g->len[g->n] = rec.length;
		g->oversize[g->n] = rec.oversize;
		g->structural[g->n] = rec.structural;
		g->n++;
	}
	tl_reader_free(r);
	return rc;
}

static void test_lines_crlf_and_last_line(void **state)
{
	(void)state;
	struct tl_framing_spec spec = { TL_FRAME_LINES, NULL, NULL, 0 };
	struct got g;
	write_file("a\r\n\nbb\nccc", 10, 0);
	assert_int_equal(frame(&spec, &g), 0);
	assert_int_equal(g.n, 4);
	assert_string_equal(g.text[0], "a");
	assert_int_equal(g.len[0], 1);
	assert_string_equal(g.text[1], "");
	assert_string_equal(g.text[2], "bb");
	assert_int_equal(g.off[2], 4);
	assert_int_equal(g.line[2], 3);
	assert_string_equal(g.text[3], "ccc");
	assert_int_equal(g.off[3], 7);
}

static void test_gzip_offsets_are_decompressed(void **state)
{
	(void)state;
	struct tl_framing_spec spec = { TL_FRAME_LINES, NULL, NULL, 0 };
	struct got g;
	write_file("one\ntwo\n", 8, 1);
	assert_int_equal(frame(&spec, &g), 0);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.text[1], "two");
	assert_int_equal(g.off[1], 4);
}

static void test_oversize_line_is_flagged_and_skipped(void **state)
{
	(void)state;
	struct tl_framing_spec spec = { TL_FRAME_LINES, NULL, NULL, 100 };
	struct got g;
	size_t n = 5000;
	char *data = malloc(n + 10);
	memset(data, 'x', n);
	memcpy(data + n, "\nok\n", 4);
	write_file(data, n + 4, 0);
	free(data);
	assert_int_equal(frame(&spec, &g), 0);
	assert_int_equal(g.n, 2);
	assert_true(g.oversize[0]);
	assert_int_equal(g.len[0], 5000);
	assert_string_equal(g.text[1], "ok");
	assert_int_equal(g.line[1], 2);
	assert_int_equal(g.off[1], 5001);
}

static void test_utf16le_is_transcoded_with_source_offsets(void **state)
{
	(void)state;
	struct tl_framing_spec spec = { TL_FRAME_LINES, NULL, NULL, 0 };
	struct got g;
	/* BOM, "hé\r\n", "x\n" in UTF-16LE */
	static const unsigned char d[] = { 0xFF, 0xFE, 'h', 0, 0xE9, 0, '\r', 0, '\n', 0, 'x', 0, '\n', 0 };
	write_file(d, sizeof(d), 0);
	assert_int_equal(frame(&spec, &g), 0);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.text[0], "h\xc3\xa9");
	assert_int_equal(g.off[0], 2);
	assert_int_equal(g.len[0], 4);
	assert_string_equal(g.text[1], "x");
	assert_int_equal(g.off[1], 10);
}

static void test_multiline(void **state)
{
	(void)state;
	int code;
	PCRE2_SIZE where;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR) "^\\d", PCRE2_ZERO_TERMINATED, 0, &code, &where, NULL);
	struct tl_framing_spec spec = { TL_FRAME_MULTILINE, re, NULL, 0 };
	struct got g;
	write_file("1 first\n  more\n  more2\n2 second\n", 32, 0);
	assert_int_equal(frame(&spec, &g), 0);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.text[0], "1 first\n  more\n  more2");
	assert_int_equal(g.len[0], 22);
	assert_int_equal(g.line[1], 4);
	assert_int_equal(g.off[1], 23);
	pcre2_code_free(re);
}

static void test_csv_quoted_newline(void **state)
{
	(void)state;
	struct tl_framing_spec spec = { TL_FRAME_CSV, NULL, NULL, 0 };
	struct got g;
	write_file("a,b\n1,\"x\ny\"\n2,z\n", 16, 0);
	assert_int_equal(frame(&spec, &g), 0);
	assert_int_equal(g.n, 3);
	assert_string_equal(g.text[1], "1,\"x\ny\"");
	assert_int_equal(g.line[2], 4);
}

static void test_json_records_document(void **state)
{
	(void)state;
	static const char *const keys[] = { "Records", NULL };
	struct tl_framing_spec spec = { TL_FRAME_JSON, NULL, keys, 0 };
	struct got g;
	const char *doc = "{\"Records\": [\n {\"a\": \"]}\"},\n {\"b\": [1,{\"c\":2}]}\n]}";
	write_file(doc, strlen(doc), 0);
	assert_int_equal(frame(&spec, &g), 0);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.text[0], "{\"a\": \"]}\"}");
	assert_int_equal(g.line[0], 2);
	assert_int_equal(g.off[0], 15);
	assert_string_equal(g.text[1], "{\"b\": [1,{\"c\":2}]}");
	assert_int_equal(g.line[1], 3);
}

static void test_json_lines_and_garbage(void **state)
{
	(void)state;
	static const char *const keys[] = { "Records", NULL };
	struct tl_framing_spec spec = { TL_FRAME_JSON, NULL, keys, 0 };
	struct got g;
	const char *doc = "{\"x\":1}\nnot json here\n{\"y\":{\"Records\":[1]}}\n{\"z\":";
	write_file(doc, strlen(doc), 0);
	assert_int_equal(frame(&spec, &g), 0);
	assert_int_equal(g.n, 4);
	assert_string_equal(g.text[0], "{\"x\":1}");
	assert_true(g.structural[1]);
	assert_int_equal(g.line[1], 2);
	/* a nested "Records" key is data, not the wrapper */
	assert_string_equal(g.text[2], "{\"y\":{\"Records\":[1]}}");
	assert_int_equal(g.line[2], 3);
	assert_true(g.structural[3]);
}

static void test_truncated_gzip_is_an_error(void **state)
{
	(void)state;
	struct tl_framing_spec spec = { TL_FRAME_LINES, NULL, NULL, 0 };
	struct got g;
	char data[4000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)("abcdefgh\n"[i % 9] + (i % 7 == 0));
	write_file(data, sizeof(data), 1);
	FILE *f = fopen(path, "rb");
	unsigned char gzb[8000];
	size_t n = fread(gzb, 1, sizeof(gzb), f);
	fclose(f);
	f = fopen(path, "wb");
	fwrite(gzb, 1, n / 2, f);
	fclose(f);
	assert_int_equal(frame(&spec, &g), -1);
}

/* A decompression bomb: lines, then 80 MiB of zeros (about 1030:1). */
static void test_gzip_bomb_is_stopped(void **state)
{
	(void)state;
	struct tl_framing_spec spec = { TL_FRAME_LINES, NULL, NULL, 0 };
	size_t zlen = 80u << 20;
	char *z = calloc(1, zlen);
	assert_non_null(z);
	memcpy(z, "one\ntwo\n", 8);
	gzFile g = gzopen(path, "wb9");
	assert_int_equal(gzwrite(g, z, (unsigned)zlen), (int)zlen);
	gzclose(g);
	free(z);
	struct tl_err err;
	struct tl_reader *r = tl_reader_open(path, &spec, &err);
	assert_non_null(r);
	struct tl_record rec;
	assert_int_equal(tl_reader_next(r, &rec, &err), 1);
	assert_int_equal(tl_reader_next(r, &rec, &err), 1);
	assert_string_equal(rec.text, "two");
	int rc;
	while ((rc = tl_reader_next(r, &rec, &err)) == 1)
		;
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err.msg, "gzip stream expands more than 1000:1 (a decompression bomb?)"));
	assert_true(tl_reader_pos(r) < (72u << 20));
	tl_reader_free(r);
	/* the same stream with the ratio guard off and a byte limit instead */
	r = tl_reader_open(path, &spec, &err);
	assert_non_null(r);
	tl_reader_gzip_limits(r, UINT32_MAX, 5u << 20);
	while ((rc = tl_reader_next(r, &rec, &err)) == 1)
		;
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err.msg, "more than 5242880 bytes (limits.gzip_max_bytes)"));
	tl_reader_free(r);
	/* no limits: read to the end */
	r = tl_reader_open(path, &spec, &err);
	assert_non_null(r);
	tl_reader_gzip_limits(r, UINT32_MAX, 0);
	while ((rc = tl_reader_next(r, &rec, &err)) == 1)
		;
	assert_int_equal(rc, 0);
	assert_true(tl_reader_pos(r) == zlen);
	tl_reader_free(r);
}

static int setup(void **state)
{
	(void)state;
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_crlf_and_last_line),
		cmocka_unit_test(test_gzip_bomb_is_stopped),
		cmocka_unit_test(test_gzip_offsets_are_decompressed),
		cmocka_unit_test(test_oversize_line_is_flagged_and_skipped),
		cmocka_unit_test(test_utf16le_is_transcoded_with_source_offsets),
		cmocka_unit_test(test_multiline),
		cmocka_unit_test(test_csv_quoted_newline),
		cmocka_unit_test(test_json_records_document),
		cmocka_unit_test(test_json_lines_and_garbage),
		cmocka_unit_test(test_truncated_gzip_is_an_error),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
