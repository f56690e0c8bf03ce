/* Unit tests for include/tl/time.h. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tl/time.h"

/* 2027-01-15T00:00:00Z and 2026-03-10T00:00:00Z, used as file mtimes. */
#define REF_2027_01 INT64_C(1799971200)
#define REF_2026_03 INT64_C(1773100800)

static void iso(tl_us t, char *buf)
{
	assert_int_equal(tl_time_format_iso(t, buf, 32), 27);
}

/* Parse TEXT with FORMAT in CTX and compare with the expected ISO string and,
 * when RULE is non-NULL, the rule. */
static void expect(struct tl_time_ctx *ctx, const char *format, const char *text,
		   const char *want, const char *rule)
{
	tl_us t = 0;
	char buf[32], got_rule[128];
	int rc = tl_time_parse(ctx, format, text, strlen(text), &t, got_rule, sizeof(got_rule));
	if (rc != 0)
		fail_msg("%s: '%s' did not parse", format, text);
	iso(t, buf);
	assert_string_equal(buf, want);
	if (rule)
		assert_string_equal(got_rule, rule);
}

static void reject(struct tl_time_ctx *ctx, const char *format, const char *text)
{
	tl_us t = 0;
	char rule[64];
	if (tl_time_parse(ctx, format, text, strlen(text), &t, rule, sizeof(rule)) == 0)
		fail_msg("%s: '%s' should have been rejected", format, text);
}

static struct tl_tz *load(const char *name)
{
	struct tl_tz *tz = NULL;
	char err[256] = "";
	if (tl_tz_load(name, &tz, err, sizeof(err)) != 0)
		fail_msg("loading %s: %s", name, err);
	assert_non_null(tz);
	assert_string_equal(tl_tz_name(tz), name);
	return tz;
}

static tl_us us(const char *iso_text)
{
	tl_us t = 0;
	if (tl_time_parse_arg(iso_text, &t) != 0)
		fail_msg("parse_arg '%s' failed", iso_text);
	return t;
}

static int64_t secs(const char *iso_text)
{
	return us(iso_text) / TL_US_PER_SEC;
}

/* ---------------------------------------------------------------- */

static void test_civil(void **state)
{
	(void)state;
	int64_t y;
	unsigned m, d;
	assert_int_equal(tl_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(tl_days_from_civil(2000, 3, 1), 11017);
	assert_int_equal(tl_days_from_civil(1969, 12, 31), -1);
	assert_int_equal(tl_days_from_civil(1, 1, 1), -719162);
	for (int64_t z = -800000; z < 3000000; z += 7) {
		tl_civil_from_days(z, &y, &m, &d);
		assert_int_equal(tl_days_from_civil(y, m, d), z);
	}
	tl_civil_from_days(-1, &y, &m, &d);
	assert_int_equal(y, 1969);
	assert_int_equal(m, 12);
	assert_int_equal(d, 31);
}

static void test_format_iso(void **state)
{
	(void)state;
	char buf[32];
	iso(0, buf);
	assert_string_equal(buf, "1970-01-01T00:00:00.000000Z");
	iso(-1, buf);
	assert_string_equal(buf, "1969-12-31T23:59:59.999999Z");
	iso(-86400 * TL_US_PER_SEC, buf);
	assert_string_equal(buf, "1969-12-31T00:00:00.000000Z");
	iso(-TL_US_PER_SEC / 2, buf);
	assert_string_equal(buf, "1969-12-31T23:59:59.500000Z");
	iso(INT64_C(-14182940) * TL_US_PER_SEC, buf);
	assert_string_equal(buf, "1969-07-20T20:17:40.000000Z");
	iso(INT64_C(-62135596800) * TL_US_PER_SEC, buf);
	assert_string_equal(buf, "0001-01-01T00:00:00.000000Z");
	iso(INT64_C(253402300799) * TL_US_PER_SEC + 999999, buf);
	assert_string_equal(buf, "9999-12-31T23:59:59.999999Z");
	iso(INT64_C(1779148330) * TL_US_PER_SEC + 123456, buf);
	assert_string_equal(buf, "2026-05-18T23:52:10.123456Z");
	/* year 10000 does not fit the layout; nor does a short buffer */
	assert_int_equal(tl_time_format_iso(INT64_C(253402300800) * TL_US_PER_SEC, buf, 32), 0);
	assert_int_equal(tl_time_format_iso(0, buf, 20), 0);
	assert_int_equal(tl_time_format_iso(INT64_MIN, buf, 32), 0);
	assert_int_equal(tl_time_format_iso(INT64_MAX, buf, 32), 0);
}

static void test_epoch(void **state)
{
	(void)state;
	struct tl_time_ctx ctx;
	tl_us t;
	char rule[32];
	tl_time_ctx_init(&ctx, NULL, NULL, 0, 0);

	assert_int_equal(tl_time_parse(&ctx, "epoch", "1588205199", 10, &t, rule, sizeof(rule)), 0);
	assert_int_equal(t, INT64_C(1588205199000000));
	assert_string_equal(rule, "utc");
	assert_int_equal(tl_time_parse(&ctx, "epoch", "1588205199824", 13, &t, NULL, 0), 0);
	assert_int_equal(t, INT64_C(1588205199824000));
	assert_int_equal(tl_time_parse(&ctx, "epoch", "1588205199824370", 16, &t, NULL, 0), 0);
	assert_int_equal(t, INT64_C(1588205199824370));
	/* exact decimal: a double would give ...824369 */
	assert_int_equal(tl_time_parse(&ctx, "epoch", "1588205199.82437", 16, &t, NULL, 0), 0);
	assert_int_equal(t, INT64_C(1588205199824370));
	assert_int_equal(tl_time_parse(&ctx, "epoch", "1598040493.253", 14, &t, NULL, 0), 0);
	assert_int_equal(t, INT64_C(1598040493253000));
	assert_int_equal(tl_time_parse(&ctx, "epoch", "1598040493.123456789", 20, &t, NULL, 0), 0);
	assert_int_equal(t, INT64_C(1598040493123456));
	/* ms with a fraction of a millisecond */
	assert_int_equal(tl_time_parse(&ctx, "epoch", "1588205199824.5", 15, &t, NULL, 0), 0);
	assert_int_equal(t, INT64_C(1588205199824500));
	/* 16 digits with leading zeros still means microseconds */
	assert_int_equal(tl_time_parse(&ctx, "epoch", "0000000000000042", 16, &t, NULL, 0), 0);
	assert_int_equal(t, 42);
	/* negative epochs, including fractions, floor to the microsecond */
	assert_int_equal(tl_time_parse(&ctx, "epoch", "-1.5", 4, &t, NULL, 0), 0);
	assert_int_equal(t, -1500000);
	assert_int_equal(tl_time_parse(&ctx, "epoch", "-86400", 6, &t, NULL, 0), 0);
	assert_int_equal(t, INT64_C(-86400000000));
	assert_int_equal(tl_time_parse(&ctx, "epoch", "-1.0000005", 10, &t, NULL, 0), 0);
	assert_int_equal(t, -1000001);
	/* fixed units */
	assert_int_equal(tl_time_parse(&ctx, "epoch_ms", "1000", 4, &t, NULL, 0), 0);
	assert_int_equal(t, 1000000);
	assert_int_equal(tl_time_parse(&ctx, "epoch_us", "5", 1, &t, NULL, 0), 0);
	assert_int_equal(t, 5);
	assert_int_equal(tl_time_parse(&ctx, "epoch_s", "100000000000", 12, &t, NULL, 0), 0);
	assert_int_equal(t, INT64_C(100000000000000000));
	assert_int_equal(tl_time_parse(&ctx, "epoch_ms", "1588205199824.37", 16, &t, NULL, 0), 0);
	assert_int_equal(t, INT64_C(1588205199824370));
	/* trailing whitespace is fine, trailing garbage is not */
	assert_int_equal(tl_time_parse(&ctx, "epoch", "1588205199 \r\n", 13, &t, NULL, 0), 0);
	assert_int_equal(t, INT64_C(1588205199000000));
	/* LEN bounds the text: no NUL needed */
	assert_int_equal(tl_time_parse(&ctx, "epoch", "12345678901", 3, &t, NULL, 0), 0);
	assert_int_equal(t, 123 * TL_US_PER_SEC);
	reject(&ctx, "epoch", "12a");
	reject(&ctx, "epoch", "abc");
	reject(&ctx, "epoch", "");
	reject(&ctx, "epoch", "-");
	reject(&ctx, "epoch", "1.");
	reject(&ctx, "epoch", ".5");
	reject(&ctx, "epoch", "1.1234567891");
	reject(&ctx, "epoch", "99999999999999999999999");
	reject(&ctx, "epoch_s", "9999999999999");
}

static void test_iso8601(void **state)
{
	(void)state;
	struct tl_time_ctx ctx;
	tl_time_ctx_init(&ctx, NULL, NULL, 0, 0);
	expect(&ctx, "iso8601", "2026-11-19T23:52:10.123Z", "2026-11-19T23:52:10.123000Z", "utc");
	expect(&ctx, "iso8601", "2026-11-19 23:52:10.123Z", "2026-11-19T23:52:10.123000Z", "utc");
	expect(&ctx, "iso8601", "2026-11-19T23:52:10+08:00", "2026-11-19T15:52:10.000000Z",
	       "offset");
	expect(&ctx, "iso8601", "2026-11-19T23:52:10.5+0800", "2026-11-19T15:52:10.500000Z",
	       "offset");
	expect(&ctx, "iso8601", "2026-11-19T23:52:10-05", "2026-11-20T04:52:10.000000Z", "offset");
	expect(&ctx, "iso8601", "2026-11-19 23:52:10 +0130", "2026-11-19T22:22:10.000000Z",
	       "offset");
	expect(&ctx, "iso8601", "2026-11-19T23:52:10,25Z", "2026-11-19T23:52:10.250000Z", "utc");
	expect(&ctx, "iso8601", "2026-11-19T23:52:10.123456789Z", "2026-11-19T23:52:10.123456Z",
	       "utc");
	expect(&ctx, "iso8601", "2026-11-19T23:52:10", "2026-11-19T23:52:10.000000Z",
	       "zone=UTC(default)");
	/* leap second */
	expect(&ctx, "iso8601", "2016-12-31T23:59:60Z", "2016-12-31T23:59:59.999999Z", "utc");
	expect(&ctx, "iso8601", "2028-02-29T00:00:00Z", "2028-02-29T00:00:00.000000Z", "utc");
	reject(&ctx, "iso8601", "2026-11-19T23:52:10.1234567891Z");
	reject(&ctx, "iso8601", "2026-13-01T00:00:00Z");
	reject(&ctx, "iso8601", "2026-02-29T00:00:00Z");
	reject(&ctx, "iso8601", "2026-11-31T00:00:00Z");
	reject(&ctx, "iso8601", "2026-11-19T24:00:00Z");
	reject(&ctx, "iso8601", "2026-11-19T23:60:00Z");
	reject(&ctx, "iso8601", "2026-11-19T23:59:61Z");
	reject(&ctx, "iso8601", "2026-11-19T23:52:10Zx");
	reject(&ctx, "iso8601", "2026-11-19T23:52:10+25:00");
	reject(&ctx, "iso8601", "0000-01-01T00:00:00Z");
	reject(&ctx, "iso8601", "10000-01-01T00:00:00Z");
	reject(&ctx, "iso8601", "garbage");
	reject(&ctx, "iso8601", "");
	reject(&ctx, "iso8601", " 2026-11-19T23:52:10Z");
	/* year 1 and 9999 are the edges */
	expect(&ctx, "iso8601", "0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000000Z", "utc");
	expect(&ctx, "iso8601", "9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999Z",
	       "utc");
}

static void test_named_formats(void **state)
{
	(void)state;
	struct tl_time_ctx ctx;
	tl_time_ctx_init(&ctx, NULL, NULL, 2026, 0);
	expect(&ctx, "rfc3164", "Nov  9 23:55:01", "2026-11-09T23:55:01.000000Z",
	       "zone=UTC(default);year=2026(hint)");
	expect(&ctx, "rfc3164", "Nov 19 23:55:01.250", "2026-11-19T23:55:01.250000Z",
	       "zone=UTC(default);year=2026(hint)");
	expect(&ctx, "rfc3164", "nov 19 23:55:01", "2026-11-19T23:55:01.000000Z", NULL);
	expect(&ctx, "bind", "19-Nov-2026 23:45:12.123", "2026-11-19T23:45:12.123000Z",
	       "zone=UTC(default)");
	expect(&ctx, "bind", "19-NOV-2026 23:45:12", "2026-11-19T23:45:12.000000Z", NULL);
	expect(&ctx, "windows", "2026-11-19 23:52:10.123", "2026-11-19T23:52:10.123000Z",
	       "zone=UTC(default)");
	expect(&ctx, "windows", "2026-11-19 23:52:10", "2026-11-19T23:52:10.000000Z", NULL);
	expect(&ctx, "apache", "[19/Nov/2026:23:45:12 +0800]", "2026-11-19T15:45:12.000000Z",
	       "offset");
	expect(&ctx, "apache", "19/Nov/2026:23:45:12 +0800", "2026-11-19T15:45:12.000000Z",
	       "offset");
	expect(&ctx, "apache", "[19/Nov/2026:23:45:12 -0000]", "2026-11-19T23:45:12.000000Z",
	       "offset");
	reject(&ctx, "apache", "[19/Nov/2026:23:45:12 +0800");
	reject(&ctx, "apache", "19/Nov/2026:23:45:12");
	reject(&ctx, "rfc3164", "Foo  9 23:55:01");
	reject(&ctx, "rfc3164", "Nov  9 23:55:01 host");
	reject(&ctx, "bind", "19-Nov-2026 23:45:12.");
	reject(&ctx, "windows", "2026-13-19 23:52:10");
	reject(&ctx, "nosuchformat", "2026-11-19 23:52:10");
}

static void test_patterns(void **state)
{
	(void)state;
	struct tl_time_ctx ctx;
	tl_time_ctx_init(&ctx, NULL, "format", 2026, 0);
	expect(&ctx, "%b %e %H:%M:%S %Y", "Nov  9 23:55:01 2025", "2025-11-09T23:55:01.000000Z",
	       "zone=UTC(format)");
	expect(&ctx, "%d/%m/%y %H:%M:%S.%f %z", "19/11/26 23:52:10.5 +01:00",
	       "2026-11-19T22:52:10.500000Z", "offset");
	expect(&ctx, "%d/%m/%y", "01/02/69", "1969-02-01T00:00:00.000000Z", NULL);
	expect(&ctx, "%d/%m/%y", "01/02/68", "2068-02-01T00:00:00.000000Z", NULL);
	expect(&ctx, "%Y%m%d%H%M%S", "20261119235210", "2026-11-19T23:52:10.000000Z", NULL);
	expect(&ctx, "%Y-%m-%dT%H:%M:%S%z", "2026-11-19T23:52:10Z", "2026-11-19T23:52:10.000000Z",
	       "utc");
	expect(&ctx, "%Y-%m-%dT%H:%M:%S%z", "2026-11-19T23:52:10+08", "2026-11-19T15:52:10.000000Z",
	       "offset");
	expect(&ctx, "%e.%m.%Y %H:%M 100%%", " 9.11.2026 23:52 100%", "2026-11-09T23:52:00.000000Z",
	       NULL);
	expect(&ctx, "%b %d %H:%M:%S", "December  1 10:00:00", "2026-12-01T10:00:00.000000Z",
	       "zone=UTC(format);year=2026(hint)");
	expect(&ctx, "%Y-%m-%d %H:%M:%S.%f", "2026-11-19 23:52:10.000001",
	       "2026-11-19T23:52:10.000001Z", NULL);
	reject(&ctx, "%Y-%m-%d %H:%M:%S.%f", "2026-11-19 23:52:10.1234567890");
	reject(&ctx, "%Y-%m-%d", "2026-11-19x");
	reject(&ctx, "%Y-%m-%d", "2026-11-");
	reject(&ctx, "%Y-%m-%d %H", "2026-11-19");
	reject(&ctx, "%H:%M:%S", "23:52:10");
	reject(&ctx, "%Y-%m-%d %Q", "2026-11-19 x");

	assert_true(tl_time_format_valid("epoch"));
	assert_true(tl_time_format_valid("epoch_s"));
	assert_true(tl_time_format_valid("epoch_ms"));
	assert_true(tl_time_format_valid("epoch_us"));
	assert_true(tl_time_format_valid("iso8601"));
	assert_true(tl_time_format_valid("rfc3164"));
	assert_true(tl_time_format_valid("bind"));
	assert_true(tl_time_format_valid("windows"));
	assert_true(tl_time_format_valid("apache"));
	assert_true(tl_time_format_valid("%Y-%m-%d"));
	assert_true(tl_time_format_valid("%b %e %H:%M:%S.%f %z %%"));
	assert_false(tl_time_format_valid(""));
	assert_false(tl_time_format_valid(NULL));
	assert_false(tl_time_format_valid("hello"));
	assert_false(tl_time_format_valid("%Y-%m-%d %Q"));
	assert_false(tl_time_format_valid("%Y-%m-%d %"));
	assert_false(tl_time_format_valid("%Y-%m-%d %H:%M:%S%."));
	assert_false(tl_time_format_valid("%H:%M:%S"));
}

/* %a %A %Z %I %p %j, and 19-digit epochs (nanoseconds). */
static void test_new_directives(void **state)
{
	(void)state;
	struct tl_time_ctx ctx;
	tl_time_ctx_init(&ctx, NULL, "format", 2026, 0);
	/* day names must agree with the date; they are checked, never used to guess */
	expect(&ctx, "%a %b %d %H:%M:%S %Y", "Thu Nov 19 23:52:10 2026", "2026-11-19T23:52:10.000000Z", NULL);
	expect(&ctx, "%A, %d %b %Y", "thursday, 19 Nov 2026", "2026-11-19T00:00:00.000000Z", NULL);
	reject(&ctx, "%a %b %d %H:%M:%S %Y", "Fri Nov 19 23:52:10 2026");
	/* yearless with a day name: the inferred year is checked too */
	expect(&ctx, "%a %b %e %H:%M:%S", "Thu Nov 19 01:02:03", "2026-11-19T01:02:03.000000Z", NULL);
	/* %Z: only names that mean UTC; an optional offset may follow */
	expect(&ctx, "%b %d %Y %H:%M:%S %Z", "Nov 19 2026 23:52:10 UTC", "2026-11-19T23:52:10.000000Z", "utc");
	expect(&ctx, "%b %d %Y %H:%M:%S %Z", "Nov 19 2026 23:52:10 GMT", "2026-11-19T23:52:10.000000Z", "utc");
	expect(&ctx, "%b %d %Y %H:%M:%S %Z", "Nov 19 2026 23:52:10 GMT+01:00", "2026-11-19T22:52:10.000000Z",
	       "offset");
	reject(&ctx, "%b %d %Y %H:%M:%S %Z", "Nov 19 2026 23:52:10 CST");
	/* a numeric offset: what a name the definition maps has become */
	expect(&ctx, "%b %d %Y %H:%M:%S %Z", "Nov 19 2026 23:52:10 +01:00", "2026-11-19T22:52:10.000000Z", "offset");
	reject(&ctx, "%b %d %Y %H:%M:%S %Z", "Nov 19 2026 23:52:10 UTCX");
	/* 12-hour clock */
	expect(&ctx, "%m/%d/%Y %I:%M:%S %p", "11/19/2026 11:52:10 PM", "2026-11-19T23:52:10.000000Z", NULL);
	expect(&ctx, "%m/%d/%Y %I:%M:%S %p", "11/19/2026 12:05:00 am", "2026-11-19T00:05:00.000000Z", NULL);
	expect(&ctx, "%m/%d/%Y %I:%M:%S %p", "11/19/2026 12:05:00 PM", "2026-11-19T12:05:00.000000Z", NULL);
	reject(&ctx, "%m/%d/%Y %I:%M:%S %p", "11/19/2026 13:05:00 PM");
	reject(&ctx, "%m/%d/%Y %I:%M:%S %p", "11/19/2026 0:05:00 AM");
	/* day of the year */
	expect(&ctx, "%Y-%j %H:%M:%S", "2026-323 23:52:10", "2026-11-19T23:52:10.000000Z", NULL);
	expect(&ctx, "%Y%j", "2024366", "2024-12-31T00:00:00.000000Z", NULL);
	reject(&ctx, "%Y%j", "2026366");
	reject(&ctx, "%Y%j", "2026000");
	/* validity */
	assert_true(tl_time_format_valid("epoch_ns"));
	assert_true(tl_time_format_valid("%Y-%j"));
	assert_true(tl_time_format_valid("%a %d %b %Y %I:%M %p %Z"));
	assert_false(tl_time_format_valid("%j %H:%M"));         /* no year */
	assert_false(tl_time_format_valid("%d %b %Y %I:%M"));   /* %I without %p */
	assert_false(tl_time_format_valid("%d %b %Y %H:%M %p")); /* %p without %I */

	/* epochs: 19 digits are nanoseconds, by magnitude or by name */
	tl_us t;
	char rule[64];
	assert_int_equal(tl_time_parse(&ctx, "epoch", "1795129930123456789", 19, &t, rule, sizeof(rule)), 0);
	assert_int_equal(t, INT64_C(1795129930123456));
	assert_string_equal(rule, "utc");
	assert_int_equal(tl_time_parse(&ctx, "epoch_ns", "1795129930123456789", 19, &t, NULL, 0), 0);
	assert_int_equal(t, INT64_C(1795129930123456));
	assert_int_equal(tl_time_parse(&ctx, "epoch_ns", "1000", 4, &t, NULL, 0), 0);
	assert_int_equal(t, 1);
	assert_int_equal(tl_time_parse(&ctx, "epoch_ns", "-1", 2, &t, NULL, 0), 0);
	assert_int_equal(t, -1);
	assert_int_equal(tl_time_parse(&ctx, "epoch", "1795129930123", 13, &t, NULL, 0), 0);
	assert_int_equal(t, INT64_C(1795129930123000));
	assert_int_equal(tl_time_parse(&ctx, "epoch", "1795129930123456", 16, &t, NULL, 0), 0);
	assert_int_equal(t, INT64_C(1795129930123456));
	reject(&ctx, "epoch_ns", "99999999999999999999");
}

static void test_parse_arg(void **state)
{
	(void)state;
	char buf[32];
	tl_us t;
	iso(us("2026-11-19"), buf);
	assert_string_equal(buf, "2026-11-19T00:00:00.000000Z");
	iso(us("2026-11-19T23:52"), buf);
	assert_string_equal(buf, "2026-11-19T23:52:00.000000Z");
	iso(us("2026-11-19T23:52:10.5Z"), buf);
	assert_string_equal(buf, "2026-11-19T23:52:10.500000Z");
	iso(us("2026-11-19T23:52:10+08:00"), buf);
	assert_string_equal(buf, "2026-11-19T15:52:10.000000Z");
	iso(us("2026-11-19 23:52:10"), buf);
	assert_string_equal(buf, "2026-11-19T23:52:10.000000Z");
	iso(us("1969-07-20T20:17:40Z"), buf);
	assert_string_equal(buf, "1969-07-20T20:17:40.000000Z");
	assert_int_equal(tl_time_parse_arg("2026-11", &t), -1);
	assert_int_equal(tl_time_parse_arg("x", &t), -1);
	assert_int_equal(tl_time_parse_arg("", &t), -1);
	assert_int_equal(tl_time_parse_arg("2026-11-19T", &t), -1);
	assert_int_equal(tl_time_parse_arg("2026-11-19T23", &t), -1);
	assert_int_equal(tl_time_parse_arg("2026-13-19", &t), -1);
	assert_int_equal(tl_time_parse_arg("2026-11-19T23:52:10+08:00 junk", &t), -1);
	assert_int_equal(tl_time_parse_arg(NULL, &t), -1);
}

static void test_berlin(void **state)
{
	(void)state;
	struct tl_tz *tz = load("Europe/Berlin");
	struct tl_time_ctx ctx;
	tl_time_ctx_init(&ctx, tz, "config", 0, 0);
	expect(&ctx, "windows", "2026-07-01 12:00:00", "2026-07-01T10:00:00.000000Z",
	       "zone=Europe/Berlin(config)");
	expect(&ctx, "windows", "2026-01-15 12:00:00", "2026-01-15T11:00:00.000000Z",
	       "zone=Europe/Berlin(config)");
	/* spring forward: 02:00-03:00 does not exist; 02:30 is read as 03:30 CEST */
	expect(&ctx, "windows", "2026-03-29 02:30:00", "2026-03-29T01:30:00.000000Z",
	       "zone=Europe/Berlin(config);gap");
	expect(&ctx, "windows", "2026-03-29 01:59:59", "2026-03-29T00:59:59.000000Z",
	       "zone=Europe/Berlin(config)");
	expect(&ctx, "windows", "2026-03-29 03:00:00", "2026-03-29T01:00:00.000000Z",
	       "zone=Europe/Berlin(config)");
	/* fall back: 02:30 happens twice; after March the earlier (CEST) instant keeps order */
	expect(&ctx, "windows", "2026-10-25 02:30:00", "2026-10-25T00:30:00.000000Z",
	       "zone=Europe/Berlin(config);ambiguous;first-by-order");
	expect(&ctx, "windows", "2026-10-25 03:00:00", "2026-10-25T02:00:00.000000Z",
	       "zone=Europe/Berlin(config)");
	/* explicit offsets beat the zone */
	expect(&ctx, "iso8601", "2026-07-01T12:00:00Z", "2026-07-01T12:00:00.000000Z", "utc");

	int flags = -1;
	assert_int_equal(tl_tz_local_to_utc(tz, secs("2026-10-25T02:30:00"), &flags),
			 secs("2026-10-25T00:30:00Z"));
	assert_int_equal(flags, TL_TZ_AMBIGUOUS);
	assert_int_equal(tl_tz_local_to_utc(tz, secs("2026-03-29T02:30:00"), &flags),
			 secs("2026-03-29T01:30:00Z"));
	assert_int_equal(flags, TL_TZ_GAP);
	assert_int_equal(tl_tz_local_to_utc(tz, secs("2026-06-01T00:00:00"), NULL),
			 secs("2026-05-31T22:00:00Z"));

	/* exact transition instants */
	assert_int_equal(tl_tz_offset_at(tz, secs("2026-03-29T00:59:59Z")), 3600);
	assert_int_equal(tl_tz_offset_at(tz, secs("2026-03-29T01:00:00Z")), 7200);
	assert_int_equal(tl_tz_offset_at(tz, secs("2026-10-25T00:59:59Z")), 7200);
	assert_int_equal(tl_tz_offset_at(tz, secs("2026-10-25T01:00:00Z")), 3600);
	/* beyond the last explicit transition: the POSIX footer rules */
	assert_int_equal(tl_tz_offset_at(tz, secs("2090-07-01T12:00:00Z")), 7200);
	assert_int_equal(tl_tz_offset_at(tz, secs("2090-01-01T12:00:00Z")), 3600);
	assert_int_equal(tl_tz_offset_at(tz, secs("2090-03-26T00:59:59Z")), 3600);
	assert_int_equal(tl_tz_offset_at(tz, secs("2090-03-26T01:00:00Z")), 7200);
	assert_int_equal(tl_tz_offset_at(tz, secs("2090-10-29T01:00:00Z")), 3600);
	expect(&ctx, "windows", "2090-07-01 12:00:00", "2090-07-01T10:00:00.000000Z", NULL);
	/* history: Berlin had LMT before 1893 and double summer time in 1945/1947 */
	assert_int_equal(tl_tz_offset_at(tz, secs("1880-01-01T00:00:00Z")), 3208);
	assert_int_equal(tl_tz_offset_at(tz, secs("1947-06-01T00:00:00Z")), 10800);
	tl_tz_free(tz);
}

static void test_new_york(void **state)
{
	(void)state;
	struct tl_tz *tz = load("America/New_York");
	struct tl_time_ctx ctx;
	tl_time_ctx_init(&ctx, tz, "config", 0, 0);
	expect(&ctx, "windows", "2026-01-15 12:00:00", "2026-01-15T17:00:00.000000Z",
	       "zone=America/New_York(config)");
	expect(&ctx, "windows", "2026-07-04 12:00:00", "2026-07-04T16:00:00.000000Z", NULL);
	expect(&ctx, "windows", "2026-03-08 02:30:00", "2026-03-08T07:30:00.000000Z",
	       "zone=America/New_York(config);gap");
	expect(&ctx, "windows", "2026-11-01 01:30:00", "2026-11-01T05:30:00.000000Z",
	       "zone=America/New_York(config);ambiguous;first-by-order");
	expect(&ctx, "windows", "1969-07-20 16:17:40", "1969-07-20T20:17:40.000000Z", NULL);
	/* alone in its file, a repeated-hour stamp has no order to go by: first, flagged */
	tl_time_ctx_init(&ctx, tz, "config", 0, 0);
	expect(&ctx, "windows", "2026-11-01 01:30:00", "2026-11-01T05:30:00.000000Z",
	       "zone=America/New_York(config);ambiguous");
	assert_int_equal(tl_tz_offset_at(tz, secs("2090-07-01T12:00:00Z")), -4 * 3600);
	assert_int_equal(tl_tz_offset_at(tz, secs("2090-12-01T12:00:00Z")), -5 * 3600);
	tl_tz_free(tz);
}

/* The firewall: four lines across the 2026-11-01 fall-back in New York. */
static void test_dst_by_order(void **state)
{
	(void)state;
	struct tl_tz *tz = load("America/New_York");
	struct tl_time_ctx ctx;
	const char *z = "zone=America/New_York(format);year=2026(hint)";
	char r[128];
	tl_time_ctx_init(&ctx, tz, "format", 2026, 0);
	snprintf(r, sizeof(r), "%s;ambiguous", z);
	expect(&ctx, "rfc3164", "Nov  1 01:30:00", "2026-11-01T05:30:00.000000Z", r);
	/* still undecided: nothing shows the file was before the change (it may have started after it) */
	expect(&ctx, "rfc3164", "Nov  1 01:50:00", "2026-11-01T05:50:00.000000Z", r);
	snprintf(r, sizeof(r), "%s;ambiguous;second-by-order", z);
	expect(&ctx, "rfc3164", "Nov  1 01:10:00", "2026-11-01T06:10:00.000000Z", r);
	/* once in the second occurrence the file stays there, even if the first would keep order */
	expect(&ctx, "rfc3164", "Nov  1 01:40:00", "2026-11-01T06:40:00.000000Z", r);
	expect(&ctx, "rfc3164", "Nov  1 01:45:00", "2026-11-01T06:45:00.000000Z", r);
	expect(&ctx, "rfc3164", "Nov  1 02:05:00", "2026-11-01T07:05:00.000000Z", z);

	/* jitter within the tolerance is not the move into the second occurrence */
	tl_time_ctx_init(&ctx, tz, "format", 2026, 0);
	ctx.ordered_within_us = 5 * TL_US_PER_SEC;
	expect(&ctx, "rfc3164", "Nov  1 00:59:58", "2026-11-01T04:59:58.000000Z", z);
	snprintf(r, sizeof(r), "%s;ambiguous;first-by-order", z);
	expect(&ctx, "rfc3164", "Nov  1 01:59:58", "2026-11-01T05:59:58.000000Z", r);
	expect(&ctx, "rfc3164", "Nov  1 01:59:55", "2026-11-01T05:59:55.000000Z", r);
	/* six seconds back is more than the promise: the clock went back */
	snprintf(r, sizeof(r), "%s;ambiguous;second-by-order", z);
	expect(&ctx, "rfc3164", "Nov  1 01:59:52", "2026-11-01T06:59:52.000000Z", r);

	/* neither occurrence keeps order (a stamp from long after): today's choice, flagged */
	tl_time_ctx_init(&ctx, tz, "format", 2026, 0);
	expect(&ctx, "windows", "2026-12-01 00:00:00", "2026-12-01T05:00:00.000000Z", NULL);
	expect(&ctx, "windows", "2026-11-01 01:30:00", "2026-11-01T05:30:00.000000Z",
	       "zone=America/New_York(format);ambiguous");

	/* spring forward: a gap stays a gap, whatever came before */
	expect(&ctx, "windows", "2026-03-08 02:30:00", "2026-03-08T07:30:00.000000Z",
	       "zone=America/New_York(format);gap");

	/* a time before the repeated hour shows the file is in its first pass */
	tl_time_ctx_init(&ctx, tz, "format", 0, 0);
	expect(&ctx, "windows", "2026-11-01 00:55:00", "2026-11-01T04:55:00.000000Z", NULL);
	expect(&ctx, "windows", "2026-11-01 01:30:00", "2026-11-01T05:30:00.000000Z",
	       "zone=America/New_York(format);ambiguous;first-by-order");
	expect(&ctx, "windows", "2026-11-01 01:50:00", "2026-11-01T05:50:00.000000Z",
	       "zone=America/New_York(format);ambiguous;first-by-order");
	expect(&ctx, "windows", "2026-11-01 01:05:00", "2026-11-01T06:05:00.000000Z",
	       "zone=America/New_York(format);ambiguous;second-by-order");

	/* the next year's fall-back is another fold: first occurrence again */
	tl_time_ctx_init(&ctx, tz, "format", 0, 0);
	expect(&ctx, "windows", "2026-11-01 01:50:00", "2026-11-01T05:50:00.000000Z", NULL);
	expect(&ctx, "windows", "2026-11-01 01:10:00", "2026-11-01T06:10:00.000000Z",
	       "zone=America/New_York(format);ambiguous;second-by-order");
	expect(&ctx, "windows", "2027-11-07 01:10:00", "2027-11-07T05:10:00.000000Z",
	       "zone=America/New_York(format);ambiguous;first-by-order");
	tl_tz_free(tz);
}

static void test_tz_db_version(void **state)
{
	(void)state;
	char v[32];
	const char *got = tl_tz_db_version(v, sizeof(v));
	assert_ptr_equal(got, v);
	assert_true(strlen(v) > 0);
	FILE *fp = fopen("/usr/share/zoneinfo/tzdata.zi", "r");
	if (fp) {
		char line[64] = "";
		assert_non_null(fgets(line, sizeof(line), fp));
		fclose(fp);
		assert_non_null(strstr(line, v));
		assert_string_not_equal(v, "unknown");
	}
}

static void test_rollover(void **state)
{
	(void)state;
	struct tl_time_ctx ctx;
	/* file written mid-January 2027, starts in December: December is 2026 */
	tl_time_ctx_init(&ctx, NULL, NULL, 0, REF_2027_01);
	assert_int_equal(ctx.ref_year, 2027);
	assert_int_equal(ctx.ref_month, 1);
	expect(&ctx, "rfc3164", "Dec 30 23:00:00", "2026-12-30T23:00:00.000000Z",
	       "zone=UTC(default);year=2026(mtime)");
	expect(&ctx, "rfc3164", "Dec 31 23:59:59", "2026-12-31T23:59:59.000000Z",
	       "zone=UTC(default);year=2026(mtime)");
	expect(&ctx, "rfc3164", "Jan  1 00:00:01", "2027-01-01T00:00:01.000000Z",
	       "zone=UTC(default);year=2027(rollover)");
	expect(&ctx, "rfc3164", "Jan  2 00:00:00", "2027-01-02T00:00:00.000000Z",
	       "zone=UTC(default);year=2027(rollover)");
	/* a record with its own year does not disturb the state */
	expect(&ctx, "iso8601", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00.000000Z", "utc");
	/* small backwards steps (out-of-order records) are not a new year */
	expect(&ctx, "rfc3164", "Jan  1 12:00:00", "2027-01-01T12:00:00.000000Z",
	       "zone=UTC(default);year=2027(rollover)");

	/* same with a hint */
	tl_time_ctx_init(&ctx, NULL, "config", 2026, REF_2027_01);
	expect(&ctx, "rfc3164", "Nov 30 00:00:00", "2026-11-30T00:00:00.000000Z",
	       "zone=UTC(config);year=2026(hint)");
	expect(&ctx, "rfc3164", "Dec 31 23:59:59", "2026-12-31T23:59:59.000000Z",
	       "zone=UTC(config);year=2026(hint)");
	expect(&ctx, "rfc3164", "Jan  1 00:00:01", "2027-01-01T00:00:01.000000Z",
	       "zone=UTC(config);year=2027(rollover)");
	/* a rejected record leaves the state alone */
	reject(&ctx, "rfc3164", "Dec 32 00:00:00");
	expect(&ctx, "rfc3164", "Feb  1 00:00:00", "2027-02-01T00:00:00.000000Z",
	       "zone=UTC(config);year=2027(rollover)");
}

static void test_year_from_mtime(void **state)
{
	(void)state;
	struct tl_time_ctx ctx;
	/* mtime March 2026: a November record must be from 2025 */
	tl_time_ctx_init(&ctx, NULL, NULL, 0, REF_2026_03);
	expect(&ctx, "rfc3164", "Nov  9 23:55:01", "2025-11-09T23:55:01.000000Z",
	       "zone=UTC(default);year=2025(mtime)");
	expect(&ctx, "rfc3164", "Feb  1 10:00:00", "2026-02-01T10:00:00.000000Z",
	       "zone=UTC(default);year=2026(rollover)");
	tl_time_ctx_init(&ctx, NULL, NULL, 0, REF_2026_03);
	expect(&ctx, "rfc3164", "Mar  9 23:55:01", "2026-03-09T23:55:01.000000Z",
	       "zone=UTC(default);year=2026(mtime)");
	/* Feb 29 exists only in leap years, so the inferred year matters */
	tl_time_ctx_init(&ctx, NULL, NULL, 0, REF_2026_03);
	reject(&ctx, "rfc3164", "Feb 29 00:00:00");
	tl_time_ctx_init(&ctx, NULL, NULL, 2028, REF_2026_03);
	expect(&ctx, "rfc3164", "Feb 29 00:00:00", "2028-02-29T00:00:00.000000Z", NULL);
	/* zone applies to yearless stamps too */
	struct tl_tz *tz = load("Europe/Berlin");
	tl_time_ctx_init(&ctx, tz, "format", 0, REF_2026_03);
	expect(&ctx, "rfc3164", "Jul  1 12:00:00", "2025-07-01T10:00:00.000000Z",
	       "zone=Europe/Berlin(format);year=2025(mtime)");
	tl_tz_free(tz);
}

static void test_rejects(void **state)
{
	(void)state;
	struct tl_time_ctx ctx;
	tl_us t = 0;
	tl_time_ctx_init(&ctx, NULL, NULL, 2026, 0);
	reject(&ctx, "windows", "2026-13-01 00:00:00");
	reject(&ctx, "windows", "garbage");
	reject(&ctx, "windows", "");
	reject(&ctx, "windows", "0000-01-01 00:00:00");
	reject(&ctx, "windows", "10000-01-01 00:00:00");
	reject(&ctx, "bind", "19-Nov-0000 23:45:12");
	reject(&ctx, "rfc3164", "");
	reject(&ctx, "epoch", "garbage");
	/* a result outside years 1..9999 after applying the offset */
	reject(&ctx, "iso8601", "0001-01-01T00:00:00+01:00");
	assert_int_equal(tl_time_parse(NULL, "epoch", "1", 1, &t, NULL, 0), -1);
	assert_int_equal(tl_time_parse(&ctx, NULL, "1", 1, &t, NULL, 0), -1);
}

static void test_tz_names(void **state)
{
	(void)state;
	struct tl_tz *tz = (struct tl_tz *)&tz;
	char err[256];
	const char *bad[] = { "../etc/passwd", "Europe/../../etc/passwd", "/etc/localtime", "",
			      "Europe/Berlin\n", "Europe/Nowhere", "Europe" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(tl_tz_load(bad[i], &tz, err, sizeof(err)), -1);
		assert_null(tz);
		assert_true(strlen(err) > 0);
	}
	assert_int_equal(tl_tz_load("../x", &tz, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ".."));
	assert_int_equal(tl_tz_load(NULL, &tz, err, sizeof(err)), -1);
	/* NULL err is allowed */
	assert_int_equal(tl_tz_load("Nope/Nope", &tz, NULL, 0), -1);
	tl_tz_free(NULL);
	assert_string_equal(tl_tz_name(NULL), "UTC");
	assert_int_equal(tl_tz_offset_at(NULL, 0), 0);
}

static void test_tz_env_ignored(void **state)
{
	(void)state;
	setenv("TZ", "Asia/Tokyo", 1);
	struct tl_time_ctx ctx;
	tl_time_ctx_init(&ctx, NULL, NULL, 0, REF_2027_01);
	expect(&ctx, "windows", "2026-11-19 23:52:10.123", "2026-11-19T23:52:10.123000Z",
	       "zone=UTC(default)");
	expect(&ctx, "rfc3164", "Jan  1 00:00:00", "2027-01-01T00:00:00.000000Z",
	       "zone=UTC(default);year=2027(mtime)");
	struct tl_tz *tz = load("Europe/Berlin");
	tl_time_ctx_init(&ctx, tz, "config", 0, 0);
	expect(&ctx, "windows", "2026-07-01 12:00:00", "2026-07-01T10:00:00.000000Z", NULL);
	tl_tz_free(tz);
	char buf[32];
	iso(0, buf);
	assert_string_equal(buf, "1970-01-01T00:00:00.000000Z");
	unsetenv("TZ");
}

/* ---------------------------------------------------------------- */
/* synthetic TZif files in a private $TZDIR */

static char tzdir[64];

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* One time type (offset OFF), no transitions; FOOTER NULL means version 1. */
static size_t make_tzif(unsigned char *b, int32_t off, const char *footer, uint32_t typecnt)
{
	size_t n = 0;
	for (int block = 0; block < (footer ? 2 : 1); block++) {
		memcpy(b + n, "TZif", 4);
		memset(b + n + 4, 0, 16);
		b[n + 4] = footer ? '2' : 0;
		uint32_t counts[6] = { 0, 0, 0, 0, typecnt, 4 };
		for (int i = 0; i < 6; i++)
			put32(b + n + 20 + 4 * i, counts[i]);
		n += 44;
		put32(b + n, (uint32_t)off);
		b[n + 4] = 0;
		b[n + 5] = 0;
		memcpy(b + n + 6, "XXX", 4);
		n += 10;
	}
	if (footer)
		n += (size_t)snprintf((char *)b + n, 300, "\n%s\n", footer);
	return n;
}

static void write_file(const char *name, const unsigned char *data, size_t n)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", tzdir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	fclose(f);
}

static void write_zone(const char *name, int32_t off, const char *footer)
{
	unsigned char b[512];
	write_file(name, b, make_tzif(b, off, footer, 1));
}

static int tzdir_setup(void **state)
{
	(void)state;
	snprintf(tzdir, sizeof(tzdir), "/tmp/tl-test-tz-XXXXXX");
	if (!mkdtemp(tzdir))
		return -1;
	setenv("TZDIR", tzdir, 1);
	return 0;
}

static int tzdir_teardown(void **state)
{
	(void)state;
	const char *names[] = { "V1", "Plus3", "Sydney", "Nuuk", "Jul", "Zero", "Perm",
				"Bad", "Big", "Absurd", "NoTypes", "Junk" };
	char path[256];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tzdir, names[i]);
		unlink(path);
	}
	rmdir(tzdir);
	unsetenv("TZDIR");
	return 0;
}

static void test_tzif_footers(void **state)
{
	(void)state;
	struct tl_tz *tz;

	write_zone("V1", 19800, NULL);
	tz = load("V1");
	assert_int_equal(tl_tz_offset_at(tz, secs("2026-07-01T00:00:00Z")), 19800);
	tl_tz_free(tz);

	write_zone("Plus3", 0, "<+03>-3");
	tz = load("Plus3");
	assert_int_equal(tl_tz_offset_at(tz, secs("2026-07-01T00:00:00Z")), 10800);
	tl_tz_free(tz);

	write_zone("Sydney", 0, "AEST-10AEDT,M10.1.0,M4.1.0/3");
	tz = load("Sydney");
	assert_int_equal(tl_tz_offset_at(tz, secs("2026-01-15T00:00:00Z")), 39600);
	assert_int_equal(tl_tz_offset_at(tz, secs("2026-07-01T00:00:00Z")), 36000);
	assert_int_equal(tl_tz_offset_at(tz, secs("2026-04-04T15:59:59Z")), 39600);
	assert_int_equal(tl_tz_offset_at(tz, secs("2026-04-04T16:00:00Z")), 36000);
	assert_int_equal(tl_tz_offset_at(tz, secs("2026-10-03T15:59:59Z")), 36000);
	assert_int_equal(tl_tz_offset_at(tz, secs("2026-10-03T16:00:00Z")), 39600);
	assert_int_equal(tl_tz_offset_at(tz, secs("2026-12-31T23:00:00Z")), 39600);
	tl_tz_free(tz);

	/* negative rule times (RFC 8536 extension) */
	write_zone("Nuuk", 0, "<-02>2<-01>,M3.5.0/-1,M10.5.0/0");
	tz = load("Nuuk");
	assert_int_equal(tl_tz_offset_at(tz, secs("2026-03-29T00:59:59Z")), -7200);
	assert_int_equal(tl_tz_offset_at(tz, secs("2026-03-29T01:00:00Z")), -3600);
	assert_int_equal(tl_tz_offset_at(tz, secs("2026-10-25T00:59:59Z")), -3600);
	assert_int_equal(tl_tz_offset_at(tz, secs("2026-10-25T01:00:00Z")), -7200);
	tl_tz_free(tz);

	/* Jn never counts Feb 29 */
	write_zone("Jul", 0, "XXX0YYY,J60/0,J300/0");
	tz = load("Jul");
	assert_int_equal(tl_tz_offset_at(tz, secs("2028-02-29T23:59:59Z")), 0);
	assert_int_equal(tl_tz_offset_at(tz, secs("2028-03-01T00:00:00Z")), 3600);
	assert_int_equal(tl_tz_offset_at(tz, secs("2028-10-26T22:59:59Z")), 3600);
	assert_int_equal(tl_tz_offset_at(tz, secs("2028-10-26T23:00:00Z")), 0);
	tl_tz_free(tz);

	/* zero-based n counts Feb 29 */
	write_zone("Zero", 0, "XXX0YYY,59/0,299/0");
	tz = load("Zero");
	assert_int_equal(tl_tz_offset_at(tz, secs("2028-02-28T23:59:59Z")), 0);
	assert_int_equal(tl_tz_offset_at(tz, secs("2028-02-29T00:00:00Z")), 3600);
	assert_int_equal(tl_tz_offset_at(tz, secs("2027-02-28T23:59:59Z")), 0);
	assert_int_equal(tl_tz_offset_at(tz, secs("2027-03-01T00:00:00Z")), 3600);
	tl_tz_free(tz);

	/* permanent DST via hour 25 */
	write_zone("Perm", 0, "<+00>0<+01>,0/0,J365/25");
	tz = load("Perm");
	assert_int_equal(tl_tz_offset_at(tz, secs("2026-01-01T00:00:00Z")), 3600);
	assert_int_equal(tl_tz_offset_at(tz, secs("2026-06-01T00:00:00Z")), 3600);
	assert_int_equal(tl_tz_offset_at(tz, secs("2026-12-31T23:59:59Z")), 3600);
	tl_tz_free(tz);
}

static void test_tzif_rejects(void **state)
{
	(void)state;
	struct tl_tz *tz = NULL;
	char err[256];
	unsigned char b[512];

	write_zone("Bad", 0, "CET-1CEST,M13.5.0,M10.5.0/3");
	assert_int_equal(tl_tz_load("Bad", &tz, err, sizeof(err)), -1);
	assert_null(tz);

	write_file("NoTypes", b, make_tzif(b, 0, "UTC0", 0));
	assert_int_equal(tl_tz_load("NoTypes", &tz, err, sizeof(err)), -1);

	size_t n = make_tzif(b, 0, "UTC0", 1);
	put32(b + 20 + 12, 0x7fffffff); /* timecnt */
	write_file("Absurd", b, n);
	assert_int_equal(tl_tz_load("Absurd", &tz, err, sizeof(err)), -1);

	write_file("Junk", (const unsigned char *)"not a tzif file", 15);
	assert_int_equal(tl_tz_load("Junk", &tz, err, sizeof(err)), -1);

	size_t big = 1024 * 1024 + 16;
	unsigned char *huge = calloc(1, big);
	assert_non_null(huge);
	memcpy(huge, b, n);
	write_file("Big", huge, big);
	free(huge);
	assert_int_equal(tl_tz_load("Big", &tz, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "1 MB"));

	/* UTC works even when the tz database lacks it */
	tz = load("UTC");
	assert_int_equal(tl_tz_offset_at(tz, 1234567890), 0);
	assert_int_equal(tl_tz_local_to_utc(tz, 1234567890, NULL), 1234567890);
	tl_tz_free(tz);
	tz = load("Etc/UTC");
	struct tl_time_ctx ctx;
	tl_time_ctx_init(&ctx, tz, "config", 0, 0);
	expect(&ctx, "windows", "2026-11-19 23:52:10", "2026-11-19T23:52:10.000000Z",
	       "zone=Etc/UTC(config)");
	tl_tz_free(tz);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_civil),
		cmocka_unit_test(test_format_iso),
		cmocka_unit_test(test_epoch),
		cmocka_unit_test(test_iso8601),
		cmocka_unit_test(test_named_formats),
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_new_directives),
		cmocka_unit_test(test_parse_arg),
		cmocka_unit_test(test_berlin),
		cmocka_unit_test(test_new_york),
		cmocka_unit_test(test_dst_by_order),
		cmocka_unit_test(test_tz_db_version),
		cmocka_unit_test(test_rollover),
		cmocka_unit_test(test_year_from_mtime),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_tz_names),
		cmocka_unit_test(test_tz_env_ignored),
		cmocka_unit_test_setup_teardown(test_tzif_footers, tzdir_setup, tzdir_teardown),
		cmocka_unit_test_setup_teardown(test_tzif_rejects, tzdir_setup, tzdir_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
