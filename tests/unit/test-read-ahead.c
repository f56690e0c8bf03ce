/*
 * Unit tests: reading ahead (src/store/read-ahead.c). A counting source
 * stands in for a statement on the reader connection: the rows must come
 * back whole and in order across many batches, strings (NULL, empty, larger
 * than a batch's string budget) included; an error must arrive after the
 * rows before it; a caller that stops early must stop the thread; the
 * source is freed exactly once in every case.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "store-internal.h"

struct row {
	int64_t n;
	const char *a, *b; /* a: "row-N"; b: NULL on odd rows, empty or huge now and then */
	int x;
};

struct src {
	int64_t next, rows, fail_at;
	int *freed;
	char abuf[32];
	char *huge;
	struct row r;
};

#define HUGE_BYTES (5u << 20) /* past one batch's string budget (4 MB) */

static int src_next(void *inner, const void **row, struct tl_err *err)
{
	struct src *s = inner;
	if (s->next == s->fail_at)
		return tl_errf(err, "broken at row %lld", (long long)s->next);
	if (s->next == s->rows)
		return 0;
	int64_t n = s->next++;
	snprintf(s->abuf, sizeof(s->abuf), "row-%lld", (long long)n);
	s->r.n = n;
	s->r.a = s->abuf;
	s->r.b = n % 2 ? NULL : n % 1000 == 0 ? "" : n == 4242 ? s->huge : "even";
	s->r.x = (int)(n * 7);
	*row = &s->r;
	return 1;
}

static void src_free(void *inner)
{
	struct src *s = inner;
	(*s->freed)++;
	free(s->huge);
	free(s);
}

static const size_t strs[] = { offsetof(struct row, a), offsetof(struct row, b) };
static const struct tl_ahead_source source = { src_next, src_free, sizeof(struct row), strs, 2 };

static struct src *src_new(int64_t rows, int64_t fail_at, int *freed)
{
	struct src *s = calloc(1, sizeof(*s));
	assert_non_null(s);
	s->rows = rows;
	s->fail_at = fail_at;
	s->freed = freed;
	s->huge = malloc(HUGE_BYTES + 1);
	assert_non_null(s->huge);
	memset(s->huge, 'h', HUGE_BYTES);
	s->huge[HUGE_BYTES] = 0;
	return s;
}

static void check_row(const struct row *r, int64_t n)
{
	char want[32];
	snprintf(want, sizeof(want), "row-%lld", (long long)n);
	assert_int_equal(r->n, n);
	assert_string_equal(r->a, want);
	assert_int_equal(r->x, (int)(n * 7));
	if (n % 2)
		assert_null(r->b);
	else if (n % 1000 == 0)
		assert_string_equal(r->b, "");
	else if (n == 4242)
		assert_int_equal(strlen(r->b), HUGE_BYTES);
	else
		assert_string_equal(r->b, "even");
}

static void test_every_row_in_order(void **state)
{
	(void)state;
	int freed = 0;
	struct tl_err err;
	const int64_t rows = 20000; /* five batches of 4096 */
	struct tl_ahead *a = tl_ahead_run(&source, src_new(rows, -1, &freed), &err);
	assert_non_null(a);
	const void *r;
	int64_t n = 0;
	int rc;
	while ((rc = tl_ahead_next(a, &r, &err)) == 1)
		check_row(r, n++);
	assert_int_equal(rc, 0);
	assert_int_equal(n, rows);
	assert_int_equal(tl_ahead_next(a, &r, &err), 0); /* the end stays the end */
	tl_ahead_free(a);
	assert_int_equal(freed, 1);
}

static void test_error_after_the_rows_before_it(void **state)
{
	(void)state;
	int freed = 0;
	struct tl_err err;
	struct tl_ahead *a = tl_ahead_run(&source, src_new(20000, 9000, &freed), &err);
	assert_non_null(a);
	const void *r;
	int64_t n = 0;
	int rc;
	while ((rc = tl_ahead_next(a, &r, &err)) == 1)
		check_row(r, n++);
	assert_int_equal(rc, -1);
	assert_int_equal(n, 9000);
	assert_string_equal(err.msg, "broken at row 9000");
	tl_ahead_free(a);
	assert_int_equal(freed, 1);
}

static void test_stop_early(void **state)
{
	(void)state;
	int freed = 0;
	struct tl_err err;
	for (int stop_at = 0; stop_at < 3; stop_at++) {
		struct tl_ahead *a = tl_ahead_run(&source, src_new(1000000, -1, &freed), &err);
		assert_non_null(a);
		const void *r;
		/* none, one, or past the first batch */
		for (int64_t n = 0; n < (stop_at == 0 ? 0 : stop_at == 1 ? 1 : 5000); n++) {
			assert_int_equal(tl_ahead_next(a, &r, &err), 1);
			check_row(r, n);
		}
		tl_ahead_free(a);
	}
	assert_int_equal(freed, 3);
	tl_ahead_free(NULL);
}

static void test_empty(void **state)
{
	(void)state;
	int freed = 0;
	struct tl_err err;
	struct tl_ahead *a = tl_ahead_run(&source, src_new(0, -1, &freed), &err);
	assert_non_null(a);
	const void *r;
	assert_int_equal(tl_ahead_next(a, &r, &err), 0);
	tl_ahead_free(a);
	assert_int_equal(freed, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_row_in_order),
		cmocka_unit_test(test_error_after_the_rows_before_it),
		cmocka_unit_test(test_stop_early),
		cmocka_unit_test(test_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
