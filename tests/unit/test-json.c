/* Unit tests: JSON trees with positions (src/base/json.c) and escaping (src/base/json.c, src/base/text.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "tl/json.h"
#include "tl/util.h"

static struct tl_json *parse(const char *s, struct tl_err *err)
{
	return tl_json_parse("t.json", s, strlen(s), err);
}

static void test_positions(void **state)
{
	(void)state;
	struct tl_err err;
	struct tl_json *j = parse("// comment\n{\n  \"a\": 1,\n  \"b\": [true, null, \"x\"]\n}\n", &err);
	assert_non_null(j);
	assert_int_equal(j->type, TL_JSON_OBJECT);
	const struct tl_json *a = tl_json_get(j, "a");
	assert_non_null(a);
	assert_int_equal(a->type, TL_JSON_NUMBER);
	assert_string_equal(a->str, "1");
	assert_int_equal(a->line, 3);
	assert_int_equal(a->col, 8);
	const struct tl_json *b = tl_json_get(j, "b");
	assert_int_equal(b->type, TL_JSON_ARRAY);
	assert_int_equal(b->n, 3);
	assert_int_equal(b->kids[2]->type, TL_JSON_STRING);
	assert_int_equal(b->kids[2]->line, 4);
	assert_int_equal(b->kids[2]->col, 21);
	assert_null(tl_json_get(j, "missing"));
	tl_json_free(j);
}

static void test_errors_name_line_and_column(void **state)
{
	(void)state;
	struct tl_err err;
	assert_null(parse("{\n  \"a\": 1,\n  \"b\": nope\n}", &err));
	assert_non_null(strstr(err.msg, "t.json:3:"));
	assert_null(parse("", &err));
	assert_null(parse("{\"a\":", &err));
	assert_non_null(strstr(err.msg, "t.json:1:"));
}

static void test_depth_limit(void **state)
{
	(void)state;
	struct tl_err err;
	size_t n = 100000;
	char *s = malloc(2 * n + 1);
	memset(s, '[', n);
	memset(s + n, ']', n);
	s[2 * n] = 0;
	assert_null(tl_json_parse("deep", s, 2 * n, &err));
	assert_non_null(strstr(err.msg, "nesting deeper"));
	free(s);
}

static void test_json_escape(void **state)
{
	(void)state;
	struct tl_buf b = TL_BUF_INIT;
	tl_json_escape(&b, "a\"b\\c\n\x01\xc3\xa9\xff", 10);
	assert_string_equal(b.data, "a\\\"b\\\\c\\n\\u0001\xc3\xa9\\udcff");
	tl_buf_reset(&b);
	/* overlong encoding of '/' and a lone surrogate are not UTF-8 */
	tl_json_escape(&b, "\xc0\xaf\xed\xa0\x80", 5);
	assert_string_equal(b.data, "\\udcc0\\udcaf\\udced\\udca0\\udc80");
	tl_buf_release(&b);
}

static void test_term_escape(void **state)
{
	(void)state;
	struct tl_buf b = TL_BUF_INIT;
	tl_term_escape(&b, "ok\x1b[31mred\xc2\x9b\xe2\x82\xac", 15);
	assert_string_equal(b.data, "ok\\x1b[31mred\\xc2\\x9b\xe2\x82\xac");
	tl_buf_release(&b);
}

static void test_buf_max(void **state)
{
	(void)state;
	struct tl_buf b = TL_BUF_INIT;
	b.max = 8;
	assert_int_equal(tl_buf_add(&b, "12345678", 8), 0);
	assert_int_equal(b.failed, 0);
	assert_int_equal(tl_buf_add(&b, "9", 1), -1);
	assert_int_equal(b.len, 8);
	/* the refusal stays visible after later appends that fit, and after a reset:
	 * a row built from many appends is checked once */
	assert_int_equal(b.failed, 1);
	tl_buf_reset(&b);
	assert_int_equal(tl_buf_addc(&b, 'x'), 0);
	assert_int_equal(b.failed, 1);
	tl_buf_release(&b);
	assert_int_equal(b.failed, 0);
}

static void test_glob(void **state)
{
	(void)state;
	assert_true(tl_glob_match("evidence/**", "evidence/a/b/c.log"));
	assert_true(tl_glob_match("evidence/*.log", "evidence/x.log"));
	assert_false(tl_glob_match("evidence/*.log", "evidence/a/x.log"));
	assert_true(tl_glob_match("evidence/**/*.gz", "evidence/a/b/x.gz"));
	assert_true(tl_glob_match("evidence/**/*.gz", "evidence/x.gz"));
	assert_true(tl_glob_match("evidence/fw?.log", "evidence/fw1.log"));
	assert_false(tl_glob_match("evidence/fw?.log", "evidence/fw/.log"));
}

static void test_parse_i64(void **state)
{
	(void)state;
	int64_t v;
	assert_int_equal(tl_parse_i64("-42", 3, &v), 0);
	assert_int_equal(v, -42);
	assert_int_equal(tl_parse_i64("9223372036854775807", 19, &v), 0);
	assert_int_equal(tl_parse_i64("9223372036854775808", 19, &v), -1);
	assert_int_equal(tl_parse_i64("-9223372036854775808", 20, &v), 0);
	assert_int_equal(tl_parse_i64("12a", 3, &v), -1);
	assert_int_equal(tl_parse_i64("", 0, &v), -1);
	/* tl_fmt_i64 writes what printf's %lld writes, the extremes included */
	static const int64_t vals[] = { 0, 7, -1, 10, -10, 1234567890123, INT64_MAX, INT64_MIN, INT64_MIN + 1 };
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		char want[32], got[21];
		int n = snprintf(want, sizeof(want), "%lld", (long long)vals[i]);
		assert_int_equal(tl_fmt_i64(vals[i], got), (size_t)n);
		assert_string_equal(got, want);
	}
}

/* A manifest of 4,000 evidence files (1.2 MB): reading it was quadratic
 * (positions recomputed from byte 0 for every node, 9 s at -O2 before the fix)
 * and must be linear: well under a second even under ASan. */
static void test_linear(void **state)
{
	(void)state;
	enum { N = 4000 };
	struct tl_buf b = TL_BUF_INIT;
	assert_int_equal(tl_buf_adds(&b, "{\n  \"evidence\": ["), 0);
	for (int i = 0; i < N; i++)
		assert_int_equal(tl_buf_addf(&b, "%s\n    {\"path\": \"evidence/host%05d/syslog.log\", \"size\": 123456, "
					   "\"sha256\": \"%064x\", \"format\": \"syslog\", \"status\": \"ingested\", "
					   "\"records\": 100, \"events\": 100, \"rejects\": 0, \"meta\": 0, \"first_ts\": "
					   "\"2024-01-01T00:00:00Z\", \"last_ts\": \"2024-01-02T00:00:00Z\"}",
					   i ? "," : "", i, i),
				 0);
	assert_int_equal(tl_buf_adds(&b, "\n  ]\n}\n"), 0);
	struct timespec t0, t1;
	struct tl_err err;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct tl_json *j = tl_json_parse("m.json", b.data, b.len, &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_non_null(j);
	const struct tl_json *ev = tl_json_get(j, "evidence");
	assert_int_equal(ev->n, N);
	/* positions still right at the end: line 2 + N, the string after "sha256": */
	const struct tl_json *last = ev->kids[N - 1];
	assert_int_equal(last->line, 2 + N);
	assert_int_equal(last->col, 5);
	assert_int_equal(tl_json_get(last, "sha256")->line, 2 + N);
	assert_int_equal(tl_json_get(last, "sha256")->col, 73);
	print_message("parsed %d members in %.3f s\n", N, secs);
	assert_true(secs < 2.0);
	tl_json_free(j);
	tl_buf_release(&b);
}

/* tl_json_plain_len, eight bytes at a time, against the byte rule: every
 * byte value at every position of buffers of every length up to 40. */
static void test_plain_len(void **state)
{
	(void)state;
	char b[40];
	for (int v = 0; v < 256; v++)
		for (size_t len = 1; len <= sizeof(b); len++)
			for (size_t at = 0; at < len; at += (len > 12 ? 3 : 1)) {
				memset(b, 'a', sizeof(b));
				b[at] = (char)v;
				int plain = v >= 0x20 && v < 0x7f && v != '"' && v != '\\';
				assert_int_equal(tl_json_plain_len(b, len), plain ? len : at);
			}
	assert_int_equal(tl_json_plain_len("", 0), 0);
	assert_int_equal(tl_json_plain_len("abcdefghijklmnop\x80", 17), 16);
	assert_int_equal(tl_json_plain_len("abcdefgh\"ijklmnop", 17), 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_positions),	 cmocka_unit_test(test_errors_name_line_and_column),
		cmocka_unit_test(test_depth_limit),	 cmocka_unit_test(test_json_escape),
		cmocka_unit_test(test_term_escape),	 cmocka_unit_test(test_buf_max),
		cmocka_unit_test(test_glob),		 cmocka_unit_test(test_parse_i64),
		cmocka_unit_test(test_linear),		 cmocka_unit_test(test_plain_len),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
