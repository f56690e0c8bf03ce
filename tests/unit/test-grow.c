/* Unit tests: growing a dynamic array (src/base/grow.c): the capacity
 * sequence, a need past double, and the overflow that must leave the array
 * and its capacity as they were; and a byte buffer (src/base/buf.c) refusing
 * a length that would wrap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tl/grow.h"
#include "tl/util.h"

static void test_sequence(void **state)
{
	(void)state;
	int *v = NULL;
	size_t cap = 0, n = 0;
	size_t seen[8], k = 0, last = 0;
	for (; n < 1000; n++) {
		int *g = tl_grow(v, &cap, n + 1, sizeof(*v), 16);
		assert_non_null(g);
		v = g;
		v[n] = (int)n;
		if (cap != last && k < 8)
			seen[k++] = last = cap;
	}
	/* FIRST, then doubling; the contents move with the array */
	const size_t want[] = { 16, 32, 64, 128, 256, 512, 1024 };
	assert_int_equal(k, 7);
	for (size_t i = 0; i < k; i++)
		assert_int_equal(seen[i], want[i]);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(v[i], (int)i);
	/* room already there: the same array back, capacity unchanged */
	assert_ptr_equal(tl_grow(v, &cap, 1000, sizeof(*v), 16), v);
	assert_int_equal(cap, 1024);
	free(v);
}

static void test_need_past_double(void **state)
{
	(void)state;
	size_t cap = 0;
	char *v = tl_grow(NULL, &cap, 3, 1, 8);
	assert_non_null(v);
	assert_int_equal(cap, 8);
	/* 2 * 8 = 16 is not enough for 100: exactly what is needed */
	char *g = tl_grow(v, &cap, 100, 1, 8);
	assert_non_null(g);
	assert_int_equal(cap, 100);
	memset(g, 'x', 100);
	free(g);
	/* no FIRST: the first growth gives what is needed, and never 0 */
	cap = 0;
	v = tl_grow(NULL, &cap, 0, sizeof(long), 0);
	assert_non_null(v);
	assert_int_equal(cap, 1);
	g = tl_grow(v, &cap, 2, sizeof(long), 0);
	assert_non_null(g);
	assert_int_equal(cap, 2);
	free(g);
}

static void test_overflow(void **state)
{
	(void)state;
	size_t cap = 0;
	long *v = tl_grow(NULL, &cap, 4, sizeof(*v), 4);
	assert_non_null(v);
	v[0] = 42;
	/* NEED elements of SIZE bytes do not fit in size_t */
	size_t too_many = SIZE_MAX / sizeof(*v) + 1;
	assert_null(tl_grow(v, &cap, too_many, sizeof(*v), 4));
	assert_int_equal(cap, 4);
	/* doubling a capacity past SIZE_MAX / 2 is refused, not wrapped */
	size_t huge = SIZE_MAX / 2 + 1;
	assert_null(tl_grow(v, &huge, huge + 1, 1, 0));
	assert_int_equal(huge, SIZE_MAX / 2 + 1);
	/* V is still the caller's and intact */
	assert_int_equal(v[0], 42);
	assert_ptr_equal(tl_grow(v, &cap, 4, sizeof(*v), 4), v);
	free(v);
}

/* A byte buffer asked for room that would wrap len + n + 1 refuses it and
 * says so (it used to report room when the sum wrapped to 0). */
static void test_buf_wrap(void **state)
{
	(void)state;
	struct tl_buf b = TL_BUF_INIT;
	assert_int_equal(tl_buf_add(&b, "ab", 2), 0);
	assert_int_equal(tl_buf_grow(&b, SIZE_MAX - 2), -1);
	assert_int_equal(b.failed, 1);
	assert_int_equal(b.len, 2);
	assert_string_equal(b.data, "ab");
	tl_buf_release(&b);
	struct tl_buf e = TL_BUF_INIT;
	assert_int_equal(tl_buf_grow(&e, SIZE_MAX), -1);
	assert_int_equal(e.failed, 1);
	tl_buf_release(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sequence),
		cmocka_unit_test(test_need_past_double),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_buf_wrap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
