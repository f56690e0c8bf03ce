/*
 * Timestamp parsing, zone conversion and formatting; see include/tl/time.h.
 *
 * Everything is hand-rolled on purpose: libc's time functions depend on TZ,
 * the locale and the host's tz build, and a timeline must come out the same
 * on the examiner's laptop and in CI.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "tl/time.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tl/banned.h"

#define TL_DAY INT64_C(86400)
/* Instants the parser accepts: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z. */
#define TL_MIN_SECS INT64_C(-62135596800)
#define TL_MAX_SECS INT64_C(253402300799)

/* TZif sanity limits: real files are a few KB with a few hundred
 * transitions; anything far beyond is corrupt or hostile. */
#define TL_TZIF_MAX_BYTES (1024L * 1024L)
#define TL_TZIF_MAX_TIMES 65536u
#define TL_TZIF_MAX_TYPES 256u
#define TL_TZIF_MAX_CHARS 4096u
#define TL_TZIF_MAX_LEAPS 4096u
#define TL_TZ_FOOTER_MAX 256
#define TL_TZ_NAME_MAX 255

/* ---------------------------------------------------------------- */
/* calendar */

static int64_t tl_floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b < 0) ? q - 1 : q;
}

static int64_t tl_floormod(int64_t a, int64_t b)
{
	int64_t r = a % b;
	return r < 0 ? r + b : r;
}

/* H. Hinnant's algorithms: exact for the whole proleptic Gregorian range. */
int64_t tl_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void tl_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int tl_is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int tl_days_in_month(int64_t y, int m)
{
	static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && tl_is_leap(y) ? 29 : dim[m - 1];
}

/* 0 = Sunday; 1970-01-01 was a Thursday. */
static int tl_weekday(int64_t days)
{
	return (int)tl_floormod(days + 4, 7);
}

size_t tl_time_format_iso(tl_us t, char *buf, size_t len)
{
	int64_t secs = tl_floordiv(t, TL_US_PER_SEC);
	int64_t us = tl_floormod(t, TL_US_PER_SEC);
	int64_t sod = tl_floormod(secs, TL_DAY);
	int64_t y;
	unsigned m, d;

	tl_civil_from_days(tl_floordiv(secs, TL_DAY), &y, &m, &d);
	if (len)
		buf[0] = '\0';
	/* The fixed layout has room for four year digits only. */
	if (len < 28 || y < 0 || y > 9999)
		return 0;
	int n = snprintf(buf, len, "%04d-%02u-%02uT%02d:%02d:%02d.%06dZ", (int)y, m, d,
			 (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60), (int)us);
	return n == 27 ? 27 : 0;
}

/* ---------------------------------------------------------------- */
/* cursor over bounded, not necessarily NUL-terminated text */

struct tl_cur {
	const char *p;
	const char *end;
};

static int tl_peek(const struct tl_cur *c)
{
	return c->p < c->end ? (unsigned char)*c->p : -1;
}

static int tl_eof(const struct tl_cur *c)
{
	return c->p >= c->end;
}

static int tl_is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

static int tl_is_alpha(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static int tl_lower(int ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch + ('a' - 'A') : ch;
}

static int tl_lit(struct tl_cur *c, int ch)
{
	if (tl_peek(c) != ch)
		return -1;
	c->p++;
	return 0;
}

/* Greedy: MIN..MAX decimal digits. */
static int tl_num(struct tl_cur *c, int min, int max, int *val)
{
	int n = 0, v = 0;
	while (n < max && tl_is_digit(tl_peek(c))) {
		v = v * 10 + (*c->p - '0');
		c->p++;
		n++;
	}
	*val = v;
	return n >= min ? 0 : -1;
}

/* 1..9 digits, truncated to microseconds; a tenth digit is left in the text
 * so the caller sees it as trailing garbage. */
static int tl_frac(struct tl_cur *c, int32_t *usec)
{
	int n = 0, v = 0;
	while (n < 9 && tl_is_digit(tl_peek(c))) {
		if (n < 6)
			v = v * 10 + (*c->p - '0');
		c->p++;
		n++;
	}
	if (n == 0)
		return -1;
	for (int i = n; i < 6; i++)
		v *= 10;
	*usec = v;
	return 0;
}

static void tl_trim_right(struct tl_cur *c)
{
	while (c->end > c->p) {
		char ch = c->end[-1];
		if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n')
			break;
		c->end--;
	}
}

static const char *const tl_months[12] = {
	"january", "february", "march", "april", "may", "june",
	"july", "august", "september", "october", "november", "december",
};

static int tl_match_ci(const struct tl_cur *c, const char *word, size_t n)
{
	if ((size_t)(c->end - c->p) < n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (tl_lower((unsigned char)c->p[i]) != word[i])
			return 0;
	return 1;
}

/* English month name, full or three-letter, any case. */
static int tl_month_name(struct tl_cur *c, int *mon)
{
	for (int i = 0; i < 12; i++) {
		size_t full = strlen(tl_months[i]);
		if (tl_match_ci(c, tl_months[i], full)) {
			c->p += full;
			*mon = i + 1;
			return 0;
		}
		if (tl_match_ci(c, tl_months[i], 3)) {
			c->p += 3;
			*mon = i + 1;
			return 0;
		}
	}
	return -1;
}

/* Z, +hh, +hhmm, +hh:mm. */
static int tl_offset(struct tl_cur *c, int32_t *off, int *is_z)
{
	int ch = tl_peek(c), h, m = 0;
	*is_z = 0;
	if (ch == 'Z' || ch == 'z') {
		c->p++;
		*off = 0;
		*is_z = 1;
		return 0;
	}
	if (ch != '+' && ch != '-')
		return -1;
	c->p++;
	if (tl_num(c, 2, 2, &h))
		return -1;
	if (tl_peek(c) == ':') {
		c->p++;
		if (tl_num(c, 2, 2, &m))
			return -1;
	} else if (tl_is_digit(tl_peek(c)) && tl_num(c, 2, 2, &m)) {
		return -1;
	}
	if (h > 23 || m > 59)
		return -1;
	*off = (ch == '-' ? -1 : 1) * (h * 3600 + m * 60);
	return 0;
}

/* ---------------------------------------------------------------- */
/* POSIX TZ strings (TZif footer, RFC 8536 section 3.3) */

struct tl_tz_date {
	char kind; /* 'J' 1..365 without Feb 29, 'D' 0..365 with it, 'M' month.week.day */
	int n, m, w, d;
	int32_t secs; /* local time of the change; RFC 8536 allows -167h..167h */
};

struct tl_tz_posix {
	int32_t std_off; /* seconds east */
	int32_t dst_off;
	int has_dst;
	struct tl_tz_date start, end;
};

static int tl_px_name(struct tl_cur *c)
{
	int n = 0;
	if (tl_peek(c) == '<') {
		c->p++;
		while (!tl_eof(c) && *c->p != '>') {
			int ch = (unsigned char)*c->p;
			if (!tl_is_alpha(ch) && !tl_is_digit(ch) && ch != '+' && ch != '-')
				return -1;
			c->p++;
			n++;
		}
		return tl_lit(c, '>') == 0 && n >= 3 ? 0 : -1;
	}
	while (tl_is_alpha(tl_peek(c))) {
		c->p++;
		n++;
	}
	return n >= 3 ? 0 : -1;
}

/* [+-]hh[:mm[:ss]], returned as signed seconds. */
static int tl_px_hms(struct tl_cur *c, int maxh, int32_t *secs)
{
	int sign = 1, h, m = 0, s = 0;
	if (tl_peek(c) == '+' || tl_peek(c) == '-')
		sign = *c->p++ == '-' ? -1 : 1;
	if (tl_num(c, 1, 3, &h) || h > maxh)
		return -1;
	if (tl_peek(c) == ':') {
		c->p++;
		if (tl_num(c, 1, 2, &m) || m > 59)
			return -1;
		if (tl_peek(c) == ':') {
			c->p++;
			if (tl_num(c, 1, 2, &s) || s > 59)
				return -1;
		}
	}
	*secs = sign * (h * 3600 + m * 60 + s);
	return 0;
}

static int tl_px_date(struct tl_cur *c, struct tl_tz_date *d)
{
	int ch = tl_peek(c);
	memset(d, 0, sizeof(*d));
	if (ch == 'J') {
		c->p++;
		d->kind = 'J';
		if (tl_num(c, 1, 3, &d->n) || d->n < 1 || d->n > 365)
			return -1;
	} else if (ch == 'M') {
		c->p++;
		d->kind = 'M';
		if (tl_num(c, 1, 2, &d->m) || d->m < 1 || d->m > 12 || tl_lit(c, '.') ||
		    tl_num(c, 1, 1, &d->w) || d->w < 1 || d->w > 5 || tl_lit(c, '.') ||
		    tl_num(c, 1, 1, &d->d) || d->d > 6)
			return -1;
	} else {
		d->kind = 'D';
		if (tl_num(c, 1, 3, &d->n) || d->n > 365)
			return -1;
	}
	d->secs = 7200;
	if (tl_peek(c) == '/') {
		c->p++;
		return tl_px_hms(c, 167, &d->secs);
	}
	return 0;
}

static int tl_px_parse(const char *s, size_t n, struct tl_tz_posix *px)
{
	struct tl_cur c = { s, s + n };
	int32_t v;

	memset(px, 0, sizeof(*px));
	if (tl_px_name(&c) || tl_px_hms(&c, 24, &v))
		return -1;
	px->std_off = -v; /* POSIX counts west-positive */
	if (tl_eof(&c))
		return 0;
	if (tl_px_name(&c))
		return -1;
	px->has_dst = 1;
	px->dst_off = px->std_off + 3600;
	if (!tl_eof(&c) && tl_peek(&c) != ',') {
		if (tl_px_hms(&c, 24, &v))
			return -1;
		px->dst_off = -v;
	}
	if (tl_eof(&c)) {
		/* No rule given: POSIX leaves it to the implementation; tzcode uses US rules. */
		struct tl_tz_date us_start = { 'M', 0, 3, 2, 0, 7200 };
		struct tl_tz_date us_end = { 'M', 0, 11, 1, 0, 7200 };
		px->start = us_start;
		px->end = us_end;
		return 0;
	}
	if (tl_lit(&c, ',') || tl_px_date(&c, &px->start) || tl_lit(&c, ',') ||
	    tl_px_date(&c, &px->end))
		return -1;
	return tl_eof(&c) ? 0 : -1;
}

/* Days since the epoch on which rule date D falls in year Y. */
static int64_t tl_px_day(const struct tl_tz_date *d, int64_t y)
{
	int64_t jan1 = tl_days_from_civil(y, 1, 1);
	if (d->kind == 'J')
		return jan1 + d->n - 1 + (tl_is_leap(y) && d->n >= 60);
	if (d->kind == 'D')
		return jan1 + d->n;
	int64_t first = tl_days_from_civil(y, (unsigned)d->m, 1);
	int64_t day = first + (d->d - tl_weekday(first) + 7) % 7 + (d->w - 1) * 7;
	if (day >= first + tl_days_in_month(y, d->m))
		day -= 7; /* week 5 means "last" */
	return day;
}

static int32_t tl_px_offset(const struct tl_tz_posix *px, int64_t t)
{
	if (!px->has_dst)
		return px->std_off;
	int64_t y;
	unsigned m, d;
	tl_civil_from_days(tl_floordiv(t + px->std_off, TL_DAY), &y, &m, &d);
	int64_t start = tl_px_day(&px->start, y) * TL_DAY + px->start.secs - px->std_off;
	int64_t end = tl_px_day(&px->end, y) * TL_DAY + px->end.secs - px->dst_off;
	int dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
	return dst ? px->dst_off : px->std_off;
}

/* ---------------------------------------------------------------- */
/* zones */

struct tl_tz {
	char *name;
	uint32_t ntrans;
	uint32_t ntypes;
	int64_t *trans;       /* UTC seconds, strictly ascending */
	uint8_t *trans_type;  /* index into type_off */
	int32_t *type_off;    /* seconds east */
	int has_posix;        /* footer governs after the last transition */
	struct tl_tz_posix posix;
};

static int tl_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

void tl_tz_free(struct tl_tz *tz)
{
	if (!tz)
		return;
	free(tz->name);
	free(tz->trans);
	free(tz->trans_type);
	free(tz->type_off);
	free(tz);
}

const char *tl_tz_name(const struct tl_tz *tz)
{
	return tz ? tz->name : "UTC";
}

int32_t tl_tz_offset_at(const struct tl_tz *tz, int64_t t_utc)
{
	if (!tz)
		return 0;
	uint32_t n = tz->ntrans;
	if (n == 0 || t_utc >= tz->trans[n - 1]) {
		if (tz->has_posix)
			return tl_px_offset(&tz->posix, t_utc);
		return n == 0 ? tz->type_off[0] : tz->type_off[tz->trans_type[n - 1]];
	}
	if (t_utc < tz->trans[0])
		return tz->type_off[0]; /* RFC 8536: type 0 before the first transition */
	uint32_t lo = 0, hi = n - 1; /* trans[lo] <= t < trans[hi] */
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (tz->trans[mid] <= t_utc)
			lo = mid;
		else
			hi = mid;
	}
	return tz->type_off[tz->trans_type[lo]];
}

/*
 * A wall time maps to UTC as LOCAL - off for every offset OFF that is in force
 * at that instant. Offsets near LOCAL are probed a couple of days either
 * side, which covers any real zone (offsets stay within +-26h and
 * transitions are far more than two days apart).
 */
static int64_t tl_tz_local_both(const struct tl_tz *tz, int64_t local, int *flags, int64_t *second);

int64_t tl_tz_local_to_utc(const struct tl_tz *tz, int64_t local, int *flags)
{
	return tl_tz_local_both(tz, local, flags, NULL);
}

/* As tl_tz_local_to_utc(); *SECOND (may be NULL) gets the later instant of an
 * ambiguous wall time (the second occurrence), else the result itself. */
static int64_t tl_tz_local_both(const struct tl_tz *tz, int64_t local, int *flags, int64_t *second)
{
	if (flags)
		*flags = 0;
	if (second)
		*second = local;
	if (!tz)
		return local;
	int32_t before = tl_tz_offset_at(tz, local - 2 * TL_DAY);
	int32_t after = tl_tz_offset_at(tz, local + 2 * TL_DAY);
	int32_t cand[4] = { before, after, tl_tz_offset_at(tz, local - before),
			    tl_tz_offset_at(tz, local - after) };
	int64_t lo = 0, hi = 0;
	int found = 0;
	for (int i = 0; i < 4; i++) {
		int64_t u = local - cand[i];
		if (tl_tz_offset_at(tz, u) != cand[i])
			continue;
		if (!found || u < lo)
			lo = u;
		if (!found || u > hi)
			hi = u;
		found = 1;
	}
	if (!found) {
		/* Spring-forward gap: read the wall clock with the old offset,
		 * which lands the same distance past the jump. */
		if (flags)
			*flags = TL_TZ_GAP;
		if (second)
			*second = local - before;
		return local - before;
	}
	if (hi != lo && flags)
		*flags = TL_TZ_AMBIGUOUS;
	if (second)
		*second = hi;
	return lo;
}

static int tl_tz_name_ok(const char *name, char *err, size_t errlen)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > TL_TZ_NAME_MAX)
		return tl_err(err, errlen, "invalid time zone name");
	if (name[0] == '/' || strstr(name, ".."))
		return tl_err(err, errlen, "time zone name '%s' must be relative without '..'",
			      name);
	for (size_t i = 0; i < n; i++) {
		int ch = (unsigned char)name[i];
		if (!tl_is_alpha(ch) && !tl_is_digit(ch) && !strchr("/_-+.", ch))
			return tl_err(err, errlen, "time zone name '%s' has invalid characters",
				      name);
	}
	return 0;
}

/* Whole file into memory, refusing anything larger than any real TZif. */
static int tl_read_small(const char *path, unsigned char **out, size_t *outlen)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	unsigned char *buf = malloc(TL_TZIF_MAX_BYTES + 1);
	size_t n = buf ? fread(buf, 1, TL_TZIF_MAX_BYTES + 1, f) : 0;
	int bad = !buf || ferror(f) || n > TL_TZIF_MAX_BYTES;
	fclose(f);
	if (bad) {
		free(buf);
		return n > TL_TZIF_MAX_BYTES ? -2 : -1;
	}
	*out = buf;
	*outlen = n;
	return 0;
}

struct tl_tzif_counts {
	uint32_t isut, isstd, leap, time, type, chars;
};

static uint32_t tl_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t tl_be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)tl_be32(p) << 32 | tl_be32(p + 4));
}

static int tl_tzif_header(const unsigned char *b, size_t n, size_t pos,
			  struct tl_tzif_counts *k, int *version)
{
	if (pos > n || n - pos < 44 || memcmp(b + pos, "TZif", 4) != 0)
		return -1;
	*version = b[pos + 4];
	const unsigned char *p = b + pos + 20;
	k->isut = tl_be32(p);
	k->isstd = tl_be32(p + 4);
	k->leap = tl_be32(p + 8);
	k->time = tl_be32(p + 12);
	k->type = tl_be32(p + 16);
	k->chars = tl_be32(p + 20);
	if (k->type == 0 || k->type > TL_TZIF_MAX_TYPES || k->time > TL_TZIF_MAX_TIMES ||
	    k->chars == 0 || k->chars > TL_TZIF_MAX_CHARS || k->leap > TL_TZIF_MAX_LEAPS ||
	    (k->isut != 0 && k->isut != k->type) || (k->isstd != 0 && k->isstd != k->type))
		return -1;
	return 0;
}

static uint64_t tl_tzif_block_len(const struct tl_tzif_counts *k, unsigned tsize)
{
	return (uint64_t)k->time * (tsize + 1) + (uint64_t)k->type * 6 + k->chars +
	       (uint64_t)k->leap * (tsize + 4) + k->isstd + k->isut;
}

static int tl_tzif_decode(struct tl_tz *tz, const unsigned char *p,
			  const struct tl_tzif_counts *k, unsigned tsize)
{
	tz->ntrans = k->time;
	tz->ntypes = k->type;
	tz->trans = malloc(sizeof(int64_t) * (k->time ? k->time : 1));
	tz->trans_type = malloc(k->time ? k->time : 1);
	tz->type_off = malloc(sizeof(int32_t) * k->type);
	if (!tz->trans || !tz->trans_type || !tz->type_off)
		return -1;
	for (uint32_t i = 0; i < k->time; i++) {
		const unsigned char *q = p + (size_t)i * tsize;
		tz->trans[i] = tsize == 8 ? tl_be64(q) : (int32_t)tl_be32(q);
		if (i && tz->trans[i] <= tz->trans[i - 1])
			return -1;
	}
	p += (size_t)k->time * tsize;
	for (uint32_t i = 0; i < k->time; i++) {
		if (p[i] >= k->type)
			return -1;
		tz->trans_type[i] = p[i];
	}
	p += k->time;
	for (uint32_t i = 0; i < k->type; i++, p += 6) {
		int32_t off = (int32_t)tl_be32(p);
		if (off < -25 * 3600 || off > 26 * 3600 || p[4] > 1 || p[5] >= k->chars)
			return -1;
		tz->type_off[i] = off;
	}
	return 0;
}

/* Footer: "\n" TZ-string "\n" right after the v2+ data block. */
static int tl_tzif_footer(struct tl_tz *tz, const unsigned char *b, size_t n, size_t pos)
{
	if (pos >= n)
		return 0; /* tolerate a truncated-but-otherwise-valid file */
	if (b[pos] != '\n')
		return -1;
	const unsigned char *s = b + pos + 1;
	const unsigned char *nl = memchr(s, '\n', n - pos - 1);
	if (!nl || nl - s > TL_TZ_FOOTER_MAX)
		return -1;
	if (nl == s)
		return 0;
	tz->has_posix = 1;
	return tl_px_parse((const char *)s, (size_t)(nl - s), &tz->posix);
}

static int tl_tzif_parse(struct tl_tz *tz, const unsigned char *b, size_t n)
{
	struct tl_tzif_counts k;
	int version;
	if (tl_tzif_header(b, n, 0, &k, &version))
		return -1;
	uint64_t len = tl_tzif_block_len(&k, 4);
	if (len > n - 44)
		return -1;
	if (version == 0)
		return tl_tzif_decode(tz, b + 44, &k, 4);
	if (version < '2')
		return -1;
	size_t pos = 44 + (size_t)len;
	int v2;
	if (tl_tzif_header(b, n, pos, &k, &v2))
		return -1;
	pos += 44;
	len = tl_tzif_block_len(&k, 8);
	if (len > n - pos)
		return -1;
	if (tl_tzif_decode(tz, b + pos, &k, 8))
		return -1;
	return tl_tzif_footer(tz, b, n, pos + (size_t)len);
}

static struct tl_tz *tl_tz_utc(void)
{
	struct tl_tz *tz = calloc(1, sizeof(*tz));
	if (!tz)
		return NULL;
	tz->ntypes = 1;
	tz->type_off = calloc(1, sizeof(int32_t));
	if (!tz->type_off) {
		free(tz);
		return NULL;
	}
	return tz;
}

int tl_tz_load(const char *name, struct tl_tz **out, char *err, size_t errlen)
{
	char path[4096];
	unsigned char *buf = NULL;
	size_t n = 0;

	*out = NULL;
	if (tl_tz_name_ok(name, err, errlen))
		return -1;
	const char *dir = getenv("TZDIR");
	if (!dir || !*dir)
		dir = "/usr/share/zoneinfo";
	int plen = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (plen < 0 || (size_t)plen >= sizeof(path))
		return tl_err(err, errlen, "time zone path too long");
	int rc = tl_read_small(path, &buf, &n);
	struct tl_tz *tz = NULL;
	if (rc == 0) {
		tz = calloc(1, sizeof(*tz));
		if (tz && tl_tzif_parse(tz, buf, n)) {
			tl_tz_free(tz);
			free(buf);
			return tl_err(err, errlen, "%s: not a valid TZif file", path);
		}
	} else if (rc == -1 && (!strcmp(name, "UTC") || !strcmp(name, "Etc/UTC"))) {
		tz = tl_tz_utc(); /* minimal containers ship without tzdata */
	} else {
		return tl_err(err, errlen, rc == -2 ? "%s: larger than 1 MB, not a TZif file"
						  : "unknown time zone '%s' (cannot read %s)",
			      rc == -2 ? path : name, path);
	}
	free(buf);
	if (tz)
		tz->name = strdup(name);
	if (!tz || !tz->name) {
		tl_tz_free(tz);
		return tl_err(err, errlen, "out of memory");
	}
	*out = tz;
	return 0;
}

/* ---------------------------------------------------------------- */
/* record timestamps */

struct tl_fields {
	int year, mon, day, hour, min, sec;
	int32_t usec;
	int32_t off; /* seconds east, when has_off */
	int has_year, has_mon, has_day, has_off, off_z;
	int wday;    /* %a/%A: 1 = Sunday .. 7, checked against the date; 0 when absent */
	int yday;    /* %j: 1..366, turned into month and day once the year is known; 0 when absent */
	int ampm;    /* %p: 1 = AM, 2 = PM; 0 when absent */
	int hour12;  /* %I was used: hour is 1..12 on a 12-hour clock */
};

static int tl_fields_check(struct tl_fields *f)
{
	if (f->year < 1 || f->year > 9999 || f->mon < 1 || f->mon > 12 || f->day < 1 ||
	    f->day > tl_days_in_month(f->year, f->mon) || f->hour > 23 || f->min > 59 ||
	    f->sec > 60)
		return -1;
	if (f->sec == 60) {
		/* Leap second: no place for it in POSIX time, keep it in order. */
		f->sec = 59;
		f->usec = 999999;
	}
	return 0;
}

/* What %I%p, %j and %a add once the year is known: a 12-hour clock, a day of
 * the year, and a day name that must agree with the date (a mismatch means
 * the pattern is reading the wrong thing, so the record is not guessed at). */
static int tl_fields_finish(struct tl_fields *f)
{
	if (f->ampm) {
		if (f->hour < 1 || f->hour > 12)
			return -1;
		f->hour = f->hour % 12 + (f->ampm == 2 ? 12 : 0);
	}
	if (f->yday) {
		int64_t y;
		unsigned m, d;
		tl_civil_from_days(tl_days_from_civil(f->year, 1, 1) + f->yday - 1, &y, &m, &d);
		if (y != f->year || ((f->has_mon || f->has_day) && ((int)m != f->mon || (int)d != f->day)))
			return -1;
		f->mon = (int)m;
		f->day = (int)d;
	}
	if (f->wday && (f->mon < 1 || f->mon > 12 || f->day < 1 || f->day > tl_days_in_month(f->year, f->mon) ||
			tl_weekday(tl_days_from_civil(f->year, (unsigned)f->mon, (unsigned)f->day)) != f->wday - 1))
		return -1;
	return 0;
}

static int64_t tl_fields_local(const struct tl_fields *f)
{
	return tl_days_from_civil(f->year, (unsigned)f->mon, (unsigned)f->day) * TL_DAY +
	       f->hour * 3600 + f->min * 60 + f->sec;
}

/* Offset after an ISO time, optionally preceded by spaces ("... 10:00 +0800"). */
static int tl_iso_zone(struct tl_cur *c, struct tl_fields *f)
{
	const char *save = c->p;
	while (tl_peek(c) == ' ')
		c->p++;
	int ch = tl_peek(c);
	if (ch == '+' || ch == '-' || (c->p == save && (ch == 'Z' || ch == 'z'))) {
		f->has_off = 1;
		return tl_offset(c, &f->off, &f->off_z);
	}
	c->p = save;
	return 0;
}

/* YYYY-MM-DD[(T| )HH:MM[:SS[.f]]][zone] */
static int tl_parse_iso(struct tl_cur *c, struct tl_fields *f)
{
	if (tl_num(c, 4, 4, &f->year) || tl_lit(c, '-') || tl_num(c, 2, 2, &f->mon) ||
	    tl_lit(c, '-') || tl_num(c, 2, 2, &f->day))
		return -1;
	f->has_year = f->has_mon = f->has_day = 1;
	if (tl_eof(c))
		return 0;
	int ch = tl_peek(c);
	if (ch != 'T' && ch != 't' && ch != ' ')
		return -1;
	c->p++;
	if (tl_num(c, 2, 2, &f->hour) || tl_lit(c, ':') || tl_num(c, 2, 2, &f->min))
		return -1;
	if (tl_peek(c) == ':') {
		c->p++;
		if (tl_num(c, 2, 2, &f->sec))
			return -1;
		if ((tl_peek(c) == '.' || tl_peek(c) == ',')) {
			c->p++;
			if (tl_frac(c, &f->usec))
				return -1;
		}
	}
	if (tl_iso_zone(c, f))
		return -1;
	return tl_eof(c) ? 0 : -1;
}

static const char *const tl_days[7] = {
	"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
};

/* English day name, full or three-letter, any case. */
static int tl_day_name(struct tl_cur *c, int *wday)
{
	for (int i = 0; i < 7; i++) {
		size_t full = strlen(tl_days[i]);
		if (tl_match_ci(c, tl_days[i], full) || tl_match_ci(c, tl_days[i], 3)) {
			c->p += tl_match_ci(c, tl_days[i], full) ? full : 3;
			*wday = i + 1;
			return 0;
		}
	}
	return -1;
}

/*
 * %Z: only the names that mean UTC everywhere, or a numeric offset. Other
 * abbreviations are ambiguous (CST is three different zones, IST two) and
 * guessing one would move events by hours without a trace, so they do not
 * match: the record is rejected with every format tried named, unless the
 * definition says what its names mean (timestamp.zone_names, applied by the
 * format engine before the text gets here).
 */
static int tl_zone_abbrev(struct tl_cur *c, int32_t *off, int *is_z)
{
	static const char *const utc[] = { "utc", "gmt", "ut", "z" };
	/* a numeric offset is what a name the definition maps (zone_names) has become */
	if (tl_peek(c) == '+' || tl_peek(c) == '-')
		return tl_offset(c, off, is_z);
	for (size_t i = 0; i < sizeof(utc) / sizeof(utc[0]); i++) {
		size_t n = strlen(utc[i]);
		if (tl_match_ci(c, utc[i], n) && (c->p + n == c->end || !tl_is_alpha((unsigned char)c->p[n]))) {
			c->p += n;
			*off = 0;
			*is_z = 1;
			/* "GMT+01:00", "UTC-5": a numeric offset may follow the name */
			if (tl_peek(c) == '+' || tl_peek(c) == '-') {
				const char *save = c->p;
				int h;
				int sign = *c->p++ == '-' ? -1 : 1;
				if (tl_num(c, 1, 2, &h) || h > 23) {
					c->p = save;
					return 0;
				}
				int m = 0;
				if (tl_peek(c) == ':')
					c->p++;
				if (tl_is_digit(tl_peek(c)) && (tl_num(c, 2, 2, &m) || m > 59))
					return -1;
				*off = sign * (h * 3600 + m * 60);
				*is_z = 0;
			}
			return 0;
		}
	}
	return -1;
}

/* Pattern directives; '.' (optional ".fff" or ",fff") is internal to the
 * named formats and not part of the public pattern language. */
static int tl_directive(struct tl_cur *c, int d, struct tl_fields *f)
{
	int v;
	switch (d) {
	case 'Y':
		f->has_year = 1;
		return tl_num(c, 4, 4, &f->year);
	case 'y':
		f->has_year = 1;
		if (tl_num(c, 2, 2, &v))
			return -1;
		f->year = v >= 69 ? 1900 + v : 2000 + v; /* the POSIX %y pivot */
		return 0;
	case 'm':
		f->has_mon = 1;
		return tl_num(c, 1, 2, &f->mon);
	case 'b':
		f->has_mon = 1;
		return tl_month_name(c, &f->mon);
	case 'd':
	case 'e':
		if (d == 'e' && tl_peek(c) == ' ')
			c->p++;
		f->has_day = 1;
		return tl_num(c, 1, 2, &f->day);
	case 'H':
		return tl_num(c, 1, 2, &f->hour);
	case 'M':
		return tl_num(c, 1, 2, &f->min);
	case 'S':
		return tl_num(c, 1, 2, &f->sec);
	case 'f':
		return tl_frac(c, &f->usec);
	case '.':
		if ((tl_peek(c) == '.' || tl_peek(c) == ',') && c->end - c->p > 1 &&
		    tl_is_digit((unsigned char)c->p[1])) {
			c->p++;
			return tl_frac(c, &f->usec);
		}
		return 0;
	case 'z':
		f->has_off = 1;
		return tl_offset(c, &f->off, &f->off_z);
	case 'Z':
		f->has_off = 1;
		return tl_zone_abbrev(c, &f->off, &f->off_z);
	case 'a':
	case 'A':
		return tl_day_name(c, &f->wday);
	case 'I':
		f->hour12 = 1;
		return tl_num(c, 1, 2, &f->hour);
	case 'p':
		if (tl_match_ci(c, "am", 2) || tl_match_ci(c, "pm", 2)) {
			f->ampm = tl_lower((unsigned char)*c->p) == 'a' ? 1 : 2;
			c->p += 2;
			return 0;
		}
		if (tl_match_ci(c, "a.m.", 4) || tl_match_ci(c, "p.m.", 4)) {
			f->ampm = tl_lower((unsigned char)*c->p) == 'a' ? 1 : 2;
			c->p += 4;
			return 0;
		}
		return -1;
	case 'j':
		if (tl_num(c, 1, 3, &f->yday) || f->yday < 1 || f->yday > 366)
			return -1;
		return 0;
	case '%':
		return tl_lit(c, '%');
	}
	return -1;
}

static int tl_match_pattern(struct tl_cur *c, const char *pat, struct tl_fields *f)
{
	for (const char *q = pat; *q; q++) {
		if (*q == '%') {
			if (!q[1] || tl_directive(c, (unsigned char)*++q, f))
				return -1;
		} else if (*q == ' ') {
			if (tl_lit(c, ' '))
				return -1;
			while (tl_peek(c) == ' ')
				c->p++;
		} else if (tl_lit(c, (unsigned char)*q)) {
			return -1;
		}
	}
	return tl_eof(c) && ((f->has_mon && f->has_day) || f->yday) ? 0 : -1;
}

static const struct {
	const char *name;
	const char *pattern;
} tl_named[] = {
	{ "rfc3164", "%b %e %H:%M:%S%." },
	{ "bind", "%d-%b-%Y %H:%M:%S%." },
	{ "windows", "%Y-%m-%d %H:%M:%S%." },
	{ "apache", "%d/%b/%Y:%H:%M:%S %z" },
};

static const char *tl_named_pattern(const char *format)
{
	for (size_t i = 0; i < sizeof(tl_named) / sizeof(tl_named[0]); i++)
		if (!strcmp(format, tl_named[i].name))
			return tl_named[i].pattern;
	return NULL;
}

/* Nanoseconds are finer than an instant: the unit is a divisor, not a multiplier. */
#define TL_EPOCH_NS INT64_C(-1000)

/* Epoch unit in microseconds; 0 means "choose by magnitude", TL_EPOCH_NS nanoseconds. */
static int64_t tl_epoch_unit(const char *format)
{
	if (!strcmp(format, "epoch_s"))
		return TL_US_PER_SEC;
	if (!strcmp(format, "epoch_ms"))
		return 1000;
	if (!strcmp(format, "epoch_us"))
		return 1;
	if (!strcmp(format, "epoch_ns"))
		return TL_EPOCH_NS;
	return 0;
}

static int tl_is_epoch(const char *format)
{
	return !strcmp(format, "epoch") || tl_epoch_unit(format) != 0;
}

int tl_time_format_valid(const char *format)
{
	if (!format || !*format)
		return 0;
	if (tl_is_epoch(format) || !strcmp(format, "iso8601") || tl_named_pattern(format))
		return 1;
	int mon = 0, day = 0, year = 0, yday = 0, h12 = 0, ampm = 0, h24 = 0;
	for (const char *q = format; *q; q++) {
		if (*q != '%')
			continue;
		q++;
		if (!*q || !strchr("YymbdeHMSfzZaAIpj%", *q))
			return 0;
		mon |= *q == 'm' || *q == 'b';
		day |= *q == 'd' || *q == 'e';
		year |= *q == 'Y' || *q == 'y';
		yday |= *q == 'j';
		h12 |= *q == 'I';
		h24 |= *q == 'H';
		ampm |= *q == 'p';
	}
	/* a 12-hour clock needs its AM/PM and the reverse; a day of the year needs its year */
	if (h12 != ampm || (h12 && h24) || (yday && !year))
		return 0;
	return (mon && day) || yday; /* without them no instant can be formed */
}

/*
 * Exact decimal epoch: digits are accumulated as integers, never doubles,
 * so "1588205199.82437" is 1588205199824370 us, not ...369.
 */
static int tl_parse_epoch(struct tl_cur *c, int64_t unit, tl_us *out)
{
	int neg = 0, nint = 0, nfrac = 0;
	uint64_t ip = 0, frac = 0;

	if (tl_peek(c) == '-' || tl_peek(c) == '+')
		neg = *c->p++ == '-';
	while (tl_is_digit(tl_peek(c))) {
		if (ip > (UINT64_MAX - 9) / 10)
			return -1;
		ip = ip * 10 + (uint64_t)(*c->p++ - '0');
		nint++;
	}
	if (nint == 0)
		return -1;
	if (tl_peek(c) == '.') {
		c->p++;
		while (nfrac < 9 && tl_is_digit(tl_peek(c))) {
			frac = frac * 10 + (uint64_t)(*c->p++ - '0');
			nfrac++;
		}
		if (nfrac == 0)
			return -1;
	}
	if (!tl_eof(c))
		return -1;
	for (int i = nfrac; i < 9; i++)
		frac *= 10; /* now in nanounits */
	if (unit == 0)
		unit = nint >= 19 || ip >= UINT64_C(100000000000000000) ? TL_EPOCH_NS
		       : nint >= 16 || ip >= UINT64_C(100000000000000) ? 1
		       : ip >= UINT64_C(100000000000)		   ? 1000
								   : TL_US_PER_SEC;
	if (unit == TL_EPOCH_NS) {
		/* 19-digit epochs (Go, Zeek, CrowdStrike): digits past the microsecond floor */
		if (ip > (uint64_t)INT64_MAX)
			return -1;
		int64_t mag = (int64_t)(ip / 1000u);
		*out = neg ? -mag - (ip % 1000u != 0 || frac != 0) : mag;
		return 0;
	}
	if (ip > (uint64_t)(INT64_MAX / unit) - 1)
		return -1;
	uint64_t sub = frac * (uint64_t)unit;
	int64_t mag = (int64_t)ip * unit + (int64_t)(sub / 1000000000u);
	/* Truncation means "floor" on a timeline, also before 1970. */
	*out = neg ? -mag - (sub % 1000000000u != 0) : mag;
	return 0;
}

static int tl_in_range(int64_t secs)
{
	return secs >= TL_MIN_SECS && secs <= TL_MAX_SECS;
}

/*
 * last_month packs the previous yearless month (low 4 bits, 0 before the
 * first record) and whether a rollover has happened (TL_ROLLED), so the rule
 * can keep saying "(rollover)" for the rest of the file.
 */
#define TL_ROLLED 16

/* Year for a yearless record of month MON; *state gets the last_month value
 * to store once the record is known to be valid. */
static int tl_year_infer(const struct tl_time_ctx *ctx, int mon, int *state)
{
	int last = ctx->last_month & 15, year = ctx->cur_year;
	*state = ctx->last_month & TL_ROLLED;
	if (last == 0) {
		if (ctx->year_hint > 0)
			year = ctx->year_hint;
		else /* a log cannot be newer than its mtime */
			year = ctx->ref_year - (mon > ctx->ref_month);
	} else if (mon < last - 6) {
		year++;
		*state = TL_ROLLED;
	}
	*state |= mon;
	return year;
}

static const char *tl_year_why(const struct tl_time_ctx *ctx)
{
	if (ctx->last_month & TL_ROLLED)
		return "rollover";
	return ctx->year_hint > 0 ? "hint" : "mtime";
}

void tl_time_ctx_init(struct tl_time_ctx *ctx, const struct tl_tz *zone,
		      const char *zone_source, int year_hint, int64_t ref_utc)
{
	int64_t y;
	unsigned m, d;
	tl_civil_from_days(tl_floordiv(ref_utc, TL_DAY), &y, &m, &d);
	memset(ctx, 0, sizeof(*ctx));
	ctx->zone = zone;
	ctx->zone_source = zone_source;
	ctx->year_hint = year_hint > 0 ? year_hint : 0;
	ctx->ref_year = (int)y;
	ctx->ref_month = (int)m;
	ctx->ref_utc = ref_utc;
}

#define TL_DST_FIRST 4  /* ambiguous, first occurrence chosen by file order */
#define TL_DST_SECOND 8 /* ambiguous, second occurrence chosen by file order */

/* A NUL-terminated string of at most CAP - 1 bytes, appended to. */
struct tl_rule_out {
	char *p;
	size_t cap, n;
};

/* Append S, cut as snprintf would cut it. */
static void tl_rule_add(struct tl_rule_out *o, const char *s)
{
	size_t l = strlen(s);
	if (o->n + 1 >= o->cap)
		return;
	if (l > o->cap - 1 - o->n)
		l = o->cap - 1 - o->n;
	memcpy(o->p + o->n, s, l);
	o->n += l;
	o->p[o->n] = '\0';
}

/* The rule is written once per record: by hand, not by snprintf, whose
 * format parsing cost more than reading the timestamp did. The text is what
 * "%s%s%s%s%s" of the parts would give. */
static void tl_write_rule(char *rule, size_t rulelen, const struct tl_time_ctx *ctx,
			  const struct tl_fields *f, int year_known, const char *why,
			  int flags)
{
	char base[TL_TZ_NAME_MAX + 64] = "", year[48] = "";
	if (!rule || !rulelen)
		return;
	struct tl_rule_out b = { base, sizeof(base), 0 }, y = { year, sizeof(year), 0 }, r = { rule, rulelen, 0 };
	if (f->has_off) {
		tl_rule_add(&b, f->off_z ? "utc" : "offset");
	} else {
		tl_rule_add(&b, "zone=");
		tl_rule_add(&b, tl_tz_name(ctx->zone));
		tl_rule_add(&b, "(");
		tl_rule_add(&b, ctx->zone_source ? ctx->zone_source : "default");
		tl_rule_add(&b, ")");
	}
	if (!year_known) {
		char num[16], *e = num + sizeof(num) - 1;
		long v = f->year < 0 ? -(long)f->year : f->year;
		*e = '\0';
		do
			*--e = (char)('0' + v % 10);
		while (v /= 10);
		if (f->year < 0)
			*--e = '-';
		tl_rule_add(&y, ";year=");
		tl_rule_add(&y, e);
		tl_rule_add(&y, "(");
		tl_rule_add(&y, why);
		tl_rule_add(&y, ")");
	}
	rule[0] = '\0';
	tl_rule_add(&r, base);
	tl_rule_add(&r, year);
	tl_rule_add(&r, flags & TL_TZ_AMBIGUOUS ? ";ambiguous" : "");
	tl_rule_add(&r, flags & TL_DST_SECOND ? ";second-by-order" : flags & TL_DST_FIRST ? ";first-by-order" : "");
	tl_rule_add(&r, flags & TL_TZ_GAP ? ";gap" : "");
}

/* UTC second at which the offset in force at LO changes, somewhere in (LO, HI]. */
static int64_t tl_tz_change_in(const struct tl_tz *tz, int64_t lo, int64_t hi)
{
	int32_t off = tl_tz_offset_at(tz, lo);
	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;
		if (tl_tz_offset_at(tz, mid) == off)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

/*
 * A wall time in a repeated (fall-back) hour happens twice, at FIRST and at
 * FIRST + the fold. The file's own order decides (docs/time.md):
 *  - once the file has moved into the second occurrence of this fold it stays there;
 *  - a step back (beyond the tolerance) from the latest instant the file has
 *    reached, which only the second occurrence repairs, is the move into it;
 *  - the first occurrence is "by order" only when the file is known to be
 *    before the fold (an instant not left undecided lies before the
 *    change) and the first occurrence keeps order with it.
 * Otherwise the first occurrence stays and only ";ambiguous" is said. Order
 * gives no upper bound: a file silent for over an hour across the change
 * cannot be told apart. Returns the UTC second and adds TL_DST_* to *FLAGS.
 */
static int64_t tl_dst_by_order(struct tl_time_ctx *ctx, int64_t first, int64_t second, int32_t usec,
			       int *flags)
{
	int64_t fold = tl_tz_change_in(ctx->zone, first, second);
	if (ctx->fold_second == fold) {
		*flags |= TL_DST_SECOND;
		return second;
	}
	int64_t tol = ctx->ordered_within_us > 0 ? ctx->ordered_within_us : TL_DST_ORDER_DEFAULT_US;
	/* a tolerance as wide as the fold could never see the move: cap it at half */
	int64_t half = (second - first) * TL_US_PER_SEC / 2;
	if (tol > half)
		tol = half;
	tl_us t1 = first * TL_US_PER_SEC + usec, t2 = second * TL_US_PER_SEC + usec;
	if (ctx->has_high_water && t1 < ctx->high_water - tol && t2 >= ctx->high_water - tol) {
		*flags |= TL_DST_SECOND;
		ctx->fold_second = fold;
		return second;
	}
	if (ctx->has_known_water && ctx->known_water < fold * TL_US_PER_SEC && t1 >= ctx->known_water - tol)
		*flags |= TL_DST_FIRST;
	return first;
}

/* The file has reached instant T; DECIDED: not an ambiguous time left undecided. */
static void tl_time_reached(struct tl_time_ctx *ctx, tl_us t, int decided)
{
	if (!ctx->has_high_water || t > ctx->high_water)
		ctx->high_water = t;
	ctx->has_high_water = 1;
	if (decided && (!ctx->has_known_water || t > ctx->known_water))
		ctx->known_water = t;
	ctx->has_known_water |= decided;
}

/* Fields -> instant, applying offset, zone and year inference. */
static int tl_resolve(struct tl_time_ctx *ctx, struct tl_fields *f, tl_us *out, char *rule,
		      size_t rulelen)
{
	int flags = 0, state = 0;
	if (!f->has_year) {
		if (f->mon < 1 || f->mon > 12)
			return -1;
		f->year = tl_year_infer(ctx, f->mon, &state);
	}
	if (tl_fields_finish(f) || tl_fields_check(f))
		return -1; /* a bad record must not move the rollover state */
	if (!f->has_year) {
		ctx->cur_year = f->year;
		ctx->last_month = state;
	}
	int64_t secs = tl_fields_local(f);
	if (f->has_off)
		secs -= f->off;
	else if (ctx->zone) {
		int64_t second;
		int64_t local = secs;
		secs = tl_tz_local_both(ctx->zone, local, &flags, &second);
		if ((flags & TL_TZ_AMBIGUOUS) && tl_in_range(second))
			secs = tl_dst_by_order(ctx, secs, second, f->usec, &flags);
	}
	if (!tl_in_range(secs))
		return -1;
	*out = secs * TL_US_PER_SEC + f->usec;
	tl_time_reached(ctx, *out, !(flags & TL_TZ_AMBIGUOUS) || (flags & (TL_DST_FIRST | TL_DST_SECOND)));
	tl_write_rule(rule, rulelen, ctx, f, f->has_year, tl_year_why(ctx), flags);
	return 0;
}

int tl_time_parse(struct tl_time_ctx *ctx, const char *format, const char *text,
		  size_t len, tl_us *out, char *rule, size_t rulelen)
{
	struct tl_cur c = { text, text + len };
	struct tl_fields f;
	const char *pat;

	if (rule && rulelen)
		rule[0] = '\0';
	if (!ctx || !format || !text || !out)
		return -1;
	tl_trim_right(&c);
	memset(&f, 0, sizeof(f));
	if (tl_is_epoch(format)) {
		tl_us t;
		if (tl_parse_epoch(&c, tl_epoch_unit(format), &t) ||
		    !tl_in_range(tl_floordiv(t, TL_US_PER_SEC)))
			return -1;
		*out = t;
		tl_time_reached(ctx, t, 1);
		if (rule && rulelen) {
			struct tl_rule_out r = { rule, rulelen, 0 };
			tl_rule_add(&r, "utc");
		}
		return 0;
	}
	if (!strcmp(format, "iso8601")) {
		if (tl_parse_iso(&c, &f))
			return -1;
	} else if ((pat = tl_named_pattern(format)) != NULL) {
		/* Apache's brackets are optional but must pair up. */
		if (!strcmp(format, "apache") && tl_peek(&c) == '[') {
			c.p++;
			if (tl_eof(&c) || c.end[-1] != ']')
				return -1;
			c.end--;
		}
		if (tl_match_pattern(&c, pat, &f))
			return -1;
	} else if (!tl_time_format_valid(format) || tl_match_pattern(&c, format, &f)) {
		return -1;
	}
	return tl_resolve(ctx, &f, out, rule, rulelen);
}

const char *tl_tz_db_version(char *buf, size_t len)
{
	const char *dir = getenv("TZDIR");
	char path[4096], line[128];
	snprintf(buf, len, "unknown");
	if (!dir || !*dir)
		dir = "/usr/share/zoneinfo";
	snprintf(path, sizeof(path), "%s/tzdata.zi", dir);
	FILE *fp = fopen(path, "r");
	if (!fp)
		return buf;
	/* zic's text form opens with "# version 2026a" */
	if (fgets(line, sizeof(line), fp) && !strncmp(line, "# version ", 10)) {
		char *v = line + 10;
		size_t n = 0;
		while (v[n] && (tl_is_alpha((unsigned char)v[n]) || tl_is_digit((unsigned char)v[n]) || v[n] == '.' ||
				v[n] == '-'))
			n++;
		if (n && n < len)
			snprintf(buf, len, "%.*s", (int)n, v);
	}
	fclose(fp);
	return buf;
}

int tl_time_parse_arg(const char *text, tl_us *out)
{
	struct tl_fields f;
	struct tl_cur c;

	if (!text || !out)
		return -1;
	c.p = text;
	c.end = text + strlen(text);
	tl_trim_right(&c);
	memset(&f, 0, sizeof(f));
	if (tl_parse_iso(&c, &f) || tl_fields_check(&f))
		return -1;
	int64_t secs = tl_fields_local(&f) - (f.has_off ? f.off : 0);
	if (!tl_in_range(secs))
		return -1;
	*out = secs * TL_US_PER_SEC + f.usec;
	return 0;
}
