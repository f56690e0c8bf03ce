/*
 * tl time: the one module that parses, converts and formats timestamps.
 *
 * Nothing here consults the TZ environment variable, the C locale, or libc's
 * localtime/gmtime/mktime/strptime: zones are read from the system tz
 * database (TZif files) and calendar arithmetic is done by hand, so results
 * are the same on every machine.
 *
 * Instants are int64 microseconds since 1970-01-01T00:00:00Z (proleptic
 * Gregorian, no leap seconds). Supported years: 1..9999.
 *
 * Ownership: tl_tz_load() allocates, tl_tz_free() releases (accepts NULL).
 * A struct tl_time_ctx borrows its zone; the caller keeps the zone alive.
 */
#ifndef TL_TIME_H
#define TL_TIME_H

#include <stddef.h>
#include <stdint.h>

typedef int64_t tl_us;

#define TL_US_PER_SEC INT64_C(1000000)

/* An IANA zone loaded from the tz database. Opaque. */
struct tl_tz;

/* Load zone NAME ("UTC", "Europe/Berlin") from $TZDIR or /usr/share/zoneinfo.
 * Returns 0 and sets *out, or -1 with a message in err. */
int tl_tz_load(const char *name, struct tl_tz **out, char *err, size_t errlen);

/* Release a zone; accepts NULL. */
void tl_tz_free(struct tl_tz *tz);

/* The name the zone was loaded with; "UTC" for NULL. */
const char *tl_tz_name(const struct tl_tz *tz);

/* UTC offset in seconds east of Greenwich in force at UTC second T. */
int32_t tl_tz_offset_at(const struct tl_tz *tz, int64_t t_utc);

#define TL_TZ_AMBIGUOUS 1 /* wall time occurs twice (fall back): earlier instant chosen */
#define TL_TZ_GAP 2       /* wall time does not exist (spring forward): shifted by the gap */

/* Convert wall-clock seconds LOCAL (seconds since epoch as if the wall clock were
 * UTC) in zone TZ to UTC seconds. *flags (may be NULL) gets TL_TZ_* bits. */
int64_t tl_tz_local_to_utc(const struct tl_tz *tz, int64_t local, int *flags);

/* Days since 1970-01-01 of civil date Y-M-D (M 1..12, D 1..31). */
int64_t tl_days_from_civil(int64_t y, unsigned m, unsigned d);

/* Civil date of day Z since 1970-01-01. */
void tl_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

/* Write T as "YYYY-MM-DDTHH:MM:SS.ffffffZ" (always 6 fraction digits) into
 * buf (len >= 32). Returns the length written (27), 0 if it does not fit
 * (also for years outside 0000..9999, which the layout cannot hold). */
size_t tl_time_format_iso(tl_us t, char *buf, size_t len);

/* Parse an ISO 8601 instant given on the command line ("2026-11-19",
 * "2026-11-19T23:52", "2026-11-19T23:52:10.5Z", "...+08:00"); naive means UTC.
 * Returns 0 on success, -1 on error. */
int tl_time_parse_arg(const char *text, tl_us *out);

/*
 * Per-source context for parsing record timestamps. Set it up with
 * tl_time_ctx_init() once per evidence file, then call tl_time_parse() for
 * every record of that file in order (the yearless rollover rule is stateful).
 */
struct tl_time_ctx {
	const struct tl_tz *zone; /* zone for naive times; NULL means UTC */
	const char *zone_source;  /* why that zone: "config", "format", "default" */
	int year_hint;            /* year for yearless stamps from the case config; 0 = none */
	int ref_year;             /* year of the file's context (mtime), used without a hint */
	int ref_month;            /* month 1..12 of that context */
	int64_t ref_utc;          /* the file's mtime (UTC seconds) as given to init:
				   * the only time a snapshot file without times has */
	/* rollover state, managed by tl_time_parse() */
	int cur_year;
	int last_month;           /* previous yearless month (0 = none yet); the
				   * implementation also keeps a "rolled over" flag here */
	/* DST by evidence order (docs/time.md "The repeated hour"): set
	 * ordered_within_us after init to the source's order promise (0: none,
	 * TL_DST_ORDER_DEFAULT_US applies); the rest is managed by tl_time_parse() */
	int64_t ordered_within_us;
	tl_us high_water;         /* latest instant this file has reached */
	int has_high_water;
	tl_us known_water;        /* the same over instants that were not left
				   * undecided (unambiguous, or decided by order) */
	int has_known_water;
	int64_t fold_second;      /* UTC second of the fall-back whose second occurrence
				   * the file has moved into (0: none) */
};

/* Tolerance for reading the repeated hour in file order when the format
 * promises no order: a step back of up to this is jitter, not the move into
 * the second occurrence. */
#define TL_DST_ORDER_DEFAULT_US (60 * TL_US_PER_SEC)

/* Initialise CTX; ZONE may be NULL (UTC). REF_UTC is the file's mtime in UTC
 * seconds, used to infer years when YEAR_HINT is 0. */
void tl_time_ctx_init(struct tl_time_ctx *ctx, const struct tl_tz *zone,
		      const char *zone_source, int year_hint, int64_t ref_utc);

/*
 * Parse TEXT (LEN bytes, not necessarily NUL-terminated) according to FORMAT
 * and store the UTC instant in *out.
 *
 * FORMAT is a name or a pattern:
 *   "epoch"     seconds, milliseconds or microseconds since 1970 chosen by
 *               magnitude, optional decimal fraction ("1598040493.253")
 *               (19 digits or more: nanoseconds)
 *   "epoch_s", "epoch_ms", "epoch_us", "epoch_ns"   a fixed unit
 *   "iso8601"   2026-11-19T23:52:10.123Z, with space instead of T, with or
 *               without fraction and offset (+08:00, +0800, +08, Z)
 *   "rfc3164"   "Nov  9 23:55:01" (yearless; optional fraction)
 *   "bind"      "19-Nov-2026 23:45:12.123"
 *   "windows"   "2026-11-19 23:52:10.123"
 *   "apache"    "[19/Nov/2026:23:45:12 +0800]" (brackets optional)
 *   or a pattern of literal characters and directives:
 *   %Y year, %y 2-digit year (69..99 -> 19xx), %m month, %d day, %e day
 *   possibly space-padded, %H %M %S, %f fraction (1..9 digits, truncated to
 *   microseconds), %b month name abbreviation (English, case-insensitive),
 *   %z offset (Z, +hh, +hhmm, +hh:mm), %Z zone name meaning UTC (UTC, GMT,
 *   UT, Z, optionally followed by an offset: "GMT+01:00") or a numeric
 *   offset; other abbreviations do not match, %a %A day name (must agree with the date), %I hour 1..12
 *   with %p AM/PM, %j day of the year (needs a year), %% a percent sign,
 *   and a space that matches one or more spaces.
 *
 * Naive times (no offset in the text, not epoch) are in ctx->zone. A format
 * without a year takes ctx->year_hint, else the year inferred from the file's
 * context, and moves to the next year when months go backwards by more than
 * six within the file (December -> January).
 *
 * RULE (RULELEN bytes, may be NULL) receives how the zone and year were decided,
 * e.g. "offset", "utc", "zone=Europe/Berlin(config)", "zone=UTC(default);year=2026(hint)",
 * "zone=UTC(format);year=2027(rollover)", with ";gap" appended in a
 * spring-forward gap and, in a repeated (fall-back) hour, ";ambiguous;first-by-order"
 * or ";ambiguous;second-by-order" when the file's own order decided which
 * occurrence, or plain ";ambiguous" (first occurrence) when it could not.
 * Calls must come in file order: the choice depends on the records before.
 *
 * Returns 0 on success, -1 if the text does not match the format or is out
 * of range (years outside 1..9999, month 13, second 61...).
 */
int tl_time_parse(struct tl_time_ctx *ctx, const char *format, const char *text,
		  size_t len, tl_us *out, char *rule, size_t rulelen);

/* Version of the tz database zones are read from ("2026a", from the first
 * line of $TZDIR or /usr/share/zoneinfo tzdata.zi), or "unknown". Writes at
 * most LEN bytes into BUF (LEN >= 8) and returns BUF. */
const char *tl_tz_db_version(char *buf, size_t len);

/* Non-zero if FORMAT names a known format or is a syntactically valid pattern. */
int tl_time_format_valid(const char *format);

#endif
