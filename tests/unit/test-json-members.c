/*
 * Unit tests: json_members (src/store/json-members.c), which reads top-level
 * members of `extra` in C where it is sure of what SQLite's
 * CASE WHEN json_valid(X) THEN json_extract(X, '$."KEY"') END gives. Every
 * answer it calls sure is compared with SQLite's on hand-written and random
 * (valid and broken) documents; and it must be sure of tl's own extra.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "json-members.h"

static const char *const keys[] = { "a", "resources", "b.c", "b\\u0041", "", "n" };
#define NK (sizeof(keys) / sizeof(keys[0]))

static sqlite3 *db;
static sqlite3_stmt *q;

/* Compare json_members on TEXT (N bytes) with SQLite: 1 when json_members
 * was sure (and agreed: a disagreement fails the test), 0 when it was not. */
static int check(const char *text, size_t n)
{
	size_t lens[NK];
	struct json_member m[NK];
	for (size_t k = 0; k < NK; k++)
		lens[k] = strlen(keys[k]);
	if (!json_members(text, n, keys, lens, NK, m))
		return 0;
	sqlite3_reset(q);
	sqlite3_bind_text(q, 1, text, (int)n, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	for (size_t k = 0; k < NK; k++) {
		const char *want = (const char *)sqlite3_column_text(q, (int)k);
		size_t wn = want ? (size_t)sqlite3_column_bytes(q, (int)k) : 0;
		if (!want != !m[k].start || (want && (wn != m[k].len || memcmp(want, m[k].start, wn)))) {
			fprintf(stderr, "json_members disagrees with SQLite on key '%s' of: %.*s\n  sqlite: %s\n  ours: %.*s\n",
				keys[k], (int)n, text, want ? want : "(null)", m[k].start ? (int)m[k].len : 6,
				m[k].start ? m[k].start : "(null)");
			fail();
		}
	}
	return 1;
}

static int checks(const char *text)
{
	return check(text, strlen(text));
}

static int setup(void **state)
{
	(void)state;
	char sql[2048] = "SELECT ";
	for (size_t k = 0; k < NK; k++) {
		char one[160];
		snprintf(one, sizeof(one), "%sCASE WHEN json_valid(?1) THEN json_extract(?1, '$.\"%s\"') END", k ? ", " : "",
			 keys[k]);
		strcat(sql, one);
	}
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sqlite3_finalize(q);
	sqlite3_close(db);
	return 0;
}

/* tl's own extra (compact, as the writer leaves it): always sure. */
static void test_compact_extra_is_sure(void **state)
{
	(void)state;
	assert_true(checks("{}"));
	assert_true(checks("{\"a\":\"x\"}"));
	assert_true(checks("{\"eventVersion\":\"1.10\",\"a\":\"arn:aws:s3:::bucket\",\"readOnly\":true,\"responseElements\":null,"
			   "\"resources\":[{\"type\":\"AWS::S3::Object\",\"ARN\":\"arn:aws:s3:::b/o\"},{\"ARN\":\"x y\"}],"
			   "\"b.c\":\"dotted key\",\"n\":null}"));
	assert_true(checks("{\"resources\":[],\"a\":{},\"b.c\":[[[]]],\"x\":-0.5e+3}"));
	assert_true(checks(" {\"a\" : \"spaces around are fine\" } \n"));
	assert_true(checks("{\"a\":\"first\",\"a\":\"second\"}"));   /* the first of equal keys */
	assert_true(checks("{\"b\\u0041\":\"raw key text\"}"));      /* keys compared as written */
	assert_true(checks("{\"bA\":\"not b\\u0041\"}"));
	assert_true(checks("{\"\":\"empty key\"}"));
	assert_true(checks("{\"x\":\"\\n escapes elsewhere\",\"a\":\"\"}"));
}

/* What it must leave to SQLite. */
static void test_not_sure(void **state)
{
	(void)state;
	const char *const unsure[] = {
		"{\"a\":\"esc\\\"aped\"}", /* an escape in a value asked for */
		"{\"a\":12}",              /* numbers, true, false: SQLite's own text */
		"{\"a\":true}",
		"{\"a\":[1, 2]}",          /* white space SQLite's rendering drops */
		"{\"a\":\"x\",}",          /* not RFC 8259 */
		"{\"a\":\"x\"} x",
		"{\"a\":01}",
		"{\"a\":'x'}",
		"[\"a\"]",
		"{\"a\":\"\x01\"}",
		"",
		"{\"a\":\"x\"",
	};
	for (size_t i = 0; i < sizeof(unsure) / sizeof(unsure[0]); i++)
		assert_false(checks(unsure[i]));
	/* a NUL inside: SQLite stops there */
	assert_false(check("{\"a\":\"x\"}\0junk", 14));
	/* deeper than JSON_MEMBERS_DEPTH */
	char deep[512] = "{\"a\":";
	for (int i = 0; i < JSON_MEMBERS_DEPTH + 1; i++)
		strcat(deep, "[");
	for (int i = 0; i < JSON_MEMBERS_DEPTH + 1; i++)
		strcat(deep, "]");
	strcat(deep, "}");
	assert_false(checks(deep));
}

/* ---- random documents --------------------------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static void put(char *b, size_t *n, size_t cap, const char *s)
{
	size_t l = strlen(s);
	if (*n + l < cap) {
		memcpy(b + *n, s, l);
		*n += l;
	}
}

static void ws(char *b, size_t *n, size_t cap)
{
	static const char *const w[] = { "", "", "", "", " ", "\n", "\t", "\r", "  " };
	put(b, n, cap, w[rnd(9)]);
}

static void string(char *b, size_t *n, size_t cap)
{
	static const char *const parts[] = { "x", "arn:aws:s3:::b", "\\\"", "\\\\", "\\n", "\\u0041", "\\ud83d\\ude00", " ",
					     "\xc3\xa9", "/", "\\/", "{", "]", ":", "," };
	put(b, n, cap, "\"");
	for (unsigned i = rnd(4); i > 0; i--)
		put(b, n, cap, parts[rnd(15)]);
	put(b, n, cap, "\"");
}

static void value(char *b, size_t *n, size_t cap, int depth)
{
	static const char *const scalars[] = { "null", "true", "false", "0", "-1", "12.5", "1e3", "-0.0E-2", "123456789012345678901" };
	unsigned t = depth > 4 ? rnd(2) : rnd(4);
	if (t == 0) {
		string(b, n, cap);
	} else if (t == 1) {
		put(b, n, cap, scalars[rnd(9)]);
	} else {
		int obj = t == 3;
		put(b, n, cap, obj ? "{" : "[");
		for (unsigned i = rnd(4), first = 1; i > 0; i--, first = 0) {
			if (!first)
				put(b, n, cap, ",");
			ws(b, n, cap);
			if (obj) {
				string(b, n, cap);
				ws(b, n, cap);
				put(b, n, cap, ":");
				ws(b, n, cap);
			}
			value(b, n, cap, depth + 1);
			ws(b, n, cap);
		}
		put(b, n, cap, obj ? "}" : "]");
	}
}

static void test_random_documents(void **state)
{
	(void)state;
	char b[8192];
	int sure = 0, total = 0;
	for (int round = 0; round < 20000; round++) {
		size_t n = 0;
		ws(b, &n, sizeof(b));
		put(b, &n, sizeof(b), "{");
		for (unsigned i = rnd(6), first = 1; i > 0; i--, first = 0) {
			if (!first)
				put(b, &n, sizeof(b), ",");
			ws(b, &n, sizeof(b));
			put(b, &n, sizeof(b), "\"");
			put(b, &n, sizeof(b), rnd(3) ? keys[rnd(NK)] : "other");
			put(b, &n, sizeof(b), "\"");
			ws(b, &n, sizeof(b));
			put(b, &n, sizeof(b), ":");
			ws(b, &n, sizeof(b));
			value(b, &n, sizeof(b), 1);
			ws(b, &n, sizeof(b));
		}
		put(b, &n, sizeof(b), "}");
		ws(b, &n, sizeof(b));
		/* a third broken: a byte changed, dropped or the text cut */
		if (rnd(3) == 0 && n > 1) {
			size_t at = rnd((unsigned)n);
			static const char junk[] = "\"\\{}[],: x0\x01";
			switch (rnd(3)) {
			case 0: b[at] = junk[rnd(sizeof(junk) - 1)]; break;
			case 1: memmove(b + at, b + at + 1, n - at - 1), n--; break;
			default: n = at; break;
			}
		}
		sure += check(b, n);
		total++;
	}
	/* the test must be able to fail: the fast path answers often */
	assert_true(sure > total / 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compact_extra_is_sure),
		cmocka_unit_test(test_not_sure),
		cmocka_unit_test(test_random_documents),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
