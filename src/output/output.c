/* Timeline query and writers (see include/tl/output.h). */
#define _POSIX_C_SOURCE 200809L
#include "tl/output.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "attribution.h"
#include "tl/event.h"
#include "tl/json.h"
#include "output-internal.h"
#include "tl/banned.h"

/* A stored value as JSON: null, a number where it was stored as an integer, else a string. */
static void json_val(struct tl_buf *b, const struct tl_value *v)
{
	if (v->type == TL_VALUE_NULL) {
		tl_buf_adds(b, "null");
		return;
	}
	if (v->type == TL_VALUE_INT) {
		tl_buf_addf(b, "%lld", (long long)v->i);
		return;
	}
	tl_json_put_strn(b, v->s, v->len);
}

static void key(struct tl_buf *b, const char *k, int first)
{
	tl_json_put_key(b, k, first);
}

static void jsonl_row(struct tl_buf *b, const struct tl_event_row *r, int tags, int attribution,
		      const struct tl_copy_group *g)
{
	char iso[40];
	tl_time_format_iso(r->ts, iso, sizeof(iso));
	tl_buf_addf(b, "{\"ts\":\"%s\"", iso);
	key(b, "ts_raw", 0);
	json_val(b, &r->ts_raw);
	key(b, "ts_rule", 0);
	json_val(b, &r->ts_rule);
	key(b, "ts_skew_us", 0);
	json_val(b, &r->ts_skew_us);
	key(b, "family", 0);
	json_val(b, &r->family);
	key(b, "format", 0);
	json_val(b, &r->format);
	for (int i = 0; i < TL_F_COUNT; i++) {
		key(b, tl_field_name((enum tl_field_id)i), 0);
		json_val(b, &r->f[i]);
	}
	key(b, "indicator", 0);
	json_val(b, &r->indicator);
	key(b, "extra", 0);
	if (r->extra.s)
		tl_buf_add(b, r->extra.s, r->extra.len);
	else if (r->extra.type == TL_VALUE_INT)
		tl_buf_addf(b, "%lld", (long long)r->extra.i);
	key(b, "evidence", 0);
	tl_buf_addc(b, '{');
	key(b, "path", 1);
	json_val(b, &r->path);
	key(b, "line", 0);
	json_val(b, &r->line);
	key(b, "offset", 0);
	json_val(b, &r->offset);
	key(b, "length", 0);
	json_val(b, &r->length);
	key(b, "sha256", 0);
	json_val(b, &r->sha256);
	key(b, "parser", 0);
	json_val(b, &r->parser);
	key(b, "parser_version", 0);
	json_val(b, &r->parser_version);
	key(b, "sequence", 0);
	json_val(b, &r->seq);
	tl_buf_addc(b, '}');
	/* additive: only an annotated event has the key, so the events digest
	 * (which never asks for tags) does not move when an analyst tags */
	if (tags && r->tags.s) {
		key(b, "tags", 0);
		tl_buf_add(b, r->tags.s, r->tags.len);
	}
	/* additive too: only on attributed events (docs/timeline-jsonl.md) */
	if (attribution)
		tl_attr_jsonl(b, r);
	if (g)
		tl_copies_put_json(b, g);
	tl_buf_adds(b, "}\n");
}

/* The text of a value (integers written into NUM), or NULL for NULL. */
static const char *val_text(const struct tl_value *v, char num[24], size_t *len)
{
	if (v->type == TL_VALUE_INT) {
		*len = tl_fmt_i64(v->i, num);
		return num;
	}
	*len = v->s ? v->len : 0;
	return v->s;
}

/* A cell that a spreadsheet would run as a formula gets a leading apostrophe. */
static void csv_cell(struct tl_buf *b, const char *s, size_t len, int raw)
{
	if (!s)
		return;
	int formula = !raw && len && strchr("=+-@\t\r", s[0]);
	/* plain negative numbers are data, not formulas */
	if (formula && s[0] == '-' && len > 1) {
		int64_t n;
		formula = tl_parse_i64(s, len, &n) != 0;
	}
	tl_buf_add(b, formula ? "\"'" : "\"", formula ? 2 : 1);
	/* runs between quotes go in whole: a cell is mostly one run */
	const char *end = s + len;
	while (s < end) {
		const char *q = memchr(s, '"', (size_t)(end - s));
		size_t run = q ? (size_t)(q - s) + 1 : (size_t)(end - s);
		tl_buf_add(b, s, run);
		if (q)
			tl_buf_addc(b, '"');
		s += run;
	}
	tl_buf_addc(b, '"');
}

static void csv_header(struct tl_buf *b, int tags, int attribution, int copies)
{
	tl_buf_adds(b, "ts,ts_raw,ts_rule,ts_skew_us,family,format");
	for (int i = 0; i < TL_F_COUNT; i++)
		tl_buf_addf(b, ",%s", tl_field_name((enum tl_field_id)i));
	tl_buf_adds(b, ",extra,evidence_path,evidence_line,evidence_offset,evidence_length,evidence_sha256");
	tl_buf_adds(b, tags ? ",tags" : "");
	tl_buf_adds(b, copies ? ",copies,copies_evidence" : "");
	tl_buf_adds(b, attribution ? ",attributed_user,attributed_host,attribution\r\n" : "\r\n");
}

static void csv_row(struct tl_buf *b, const struct tl_event_row *r, int raw, int tags, int attribution, int copies,
		    const struct tl_copy_group *g)
{
	char iso[40], num[24];
	size_t n;
	tl_time_format_iso(r->ts, iso, sizeof(iso));
	tl_buf_adds(b, iso);
	/* the columns of csv_header(), in its order */
	const struct tl_value *cols[5 + TL_F_COUNT + 7];
	size_t k = 0;
	cols[k++] = &r->ts_raw;
	cols[k++] = &r->ts_rule;
	cols[k++] = &r->ts_skew_us;
	cols[k++] = &r->family;
	cols[k++] = &r->format;
	for (int i = 0; i < TL_F_COUNT; i++)
		cols[k++] = &r->f[i];
	cols[k++] = &r->extra;
	cols[k++] = &r->path;
	cols[k++] = &r->line;
	cols[k++] = &r->offset;
	cols[k++] = &r->length;
	cols[k++] = &r->sha256;
	if (tags)
		cols[k++] = &r->tags;
	for (size_t c = 0; c < k; c++) {
		tl_buf_addc(b, ',');
		const char *s = val_text(cols[c], num, &n);
		csv_cell(b, s, n, raw);
	}
	if (copies) {
		/* the number of copies (1: none), and their evidence as JSON */
		tl_buf_addf(b, ",%zu,", g ? g->n : (size_t)1);
		if (g) {
			struct tl_buf arr = TL_BUF_INIT;
			tl_copies_put_array(&arr, g);
			csv_cell(b, arr.data, arr.len, 1);
			b->failed |= arr.failed;
			tl_buf_release(&arr);
		}
	}
	if (attribution) {
		struct tl_buf obj = TL_BUF_INIT;
		tl_attr_object(&obj, r);
		for (int who = 0; who < 2; who++) {
			tl_buf_addc(b, ',');
			const struct tl_value *v = who ? &r->attr_host.value : &r->attr_user.value;
			csv_cell(b, v->s, v->len, raw);
		}
		tl_buf_addc(b, ',');
		csv_cell(b, obj.data, obj.len, raw);
		b->failed |= obj.failed;
		tl_buf_release(&obj);
	}
	tl_buf_adds(b, "\r\n");
}

/* ---- text ----------------------------------------------------------------------- */

void tl_time_format_display(tl_us t, const struct tl_tz *tz, int digits, char *buf, size_t len)
{
	int32_t off = 0;
	if (tz) {
		int64_t sec = t / TL_US_PER_SEC - (t % TL_US_PER_SEC < 0);
		off = tl_tz_offset_at(tz, sec);
	}
	char iso[40];
	if (!tl_time_format_iso(t + (tl_us)off * TL_US_PER_SEC, iso, sizeof(iso))) {
		snprintf(buf, len, "%lld", (long long)t);
		return;
	}
	/* "YYYY-MM-DDTHH:MM:SS.ffffffZ": keep DIGITS of the fraction */
	size_t keep = digits > 0 ? 20 + (size_t)digits : 19;
	iso[keep] = 0;
	if (!tz)
		snprintf(buf, len, "%sZ", iso);
	else
		snprintf(buf, len, "%s%c%02d:%02d", iso, off < 0 ? '-' : '+', (off < 0 ? -off : off) / 3600,
			 (off < 0 ? -off : off) / 60 % 60);
}

/* The columns of the text timeline, in order; DETAIL runs to the end of the line. */
enum { T_TIME, T_FAMILY, T_ACTION, T_OUTCOME, T_USER, T_SRC, T_DST, T_EVIDENCE, T_DETAIL, T_NCOLS };
static const char *const t_head[T_NCOLS] = { "TIME", "FAMILY", "ACTION", "OUTCOME", "USER", "SOURCE",
					     "DESTINATION", "EVIDENCE", "DETAIL" };
/* widths fit the first rows; a longer value later overflows its column rather than lose text */
static const size_t t_cap[T_NCOLS] = { 40, 8, 28, 7, 24, 47, 47, 72, 0 };
#define TEXT_SAMPLE 1000
#define EVIDENCE_SHORT 48 /* longest evidence path shown whole without --wide */

struct text_state {
	struct tl_buf cells[T_NCOLS];
	char **sample; /* rows rendered before the widths are known: T_NCOLS cells each */
	size_t n_sample;
	int fail[TEXT_SAMPLE + 1];
	size_t width[T_NCOLS];
	int digits, started;
};

static void add_value(struct tl_buf *b, const struct tl_value *v, size_t max)
{
	char num[24];
	size_t n;
	const char *s = val_text(v, num, &n);
	if (s)
		tl_term_escape(b, s, n > max ? max : n);
}

static void add_endpoint(struct tl_buf *b, const struct tl_value *ip, const struct tl_value *port)
{
	if (ip->type == TL_VALUE_NULL && port->type == TL_VALUE_NULL) {
		tl_buf_addc(b, '-');
		return;
	}
	int v6 = ip->s && memchr(ip->s, ':', ip->len) && port->type != TL_VALUE_NULL;
	if (v6)
		tl_buf_addc(b, '[');
	add_value(b, ip, 64);
	if (v6)
		tl_buf_addc(b, ']');
	if (port->type != TL_VALUE_NULL) {
		tl_buf_addc(b, ':');
		add_value(b, port, 8);
	}
}

static int is_failure(const struct tl_event_row *r)
{
	const struct tl_value *o = &r->f[TL_F_outcome];
	return o->s && (!strcmp(o->s, "failure") || !strcmp(o->s, "deny") || !strcmp(o->s, "denied"));
}

/* The cells of one row into ST->cells. */
static void text_cells(struct text_state *st, const struct tl_event_row *r, const struct tl_filter *flt,
		       const struct tl_copy_group *g)
{
	char num[24];
	size_t n;
	for (int c = 0; c < T_NCOLS; c++)
		tl_buf_reset(&st->cells[c]);
	/* the time is rendered later, when the fraction digits are decided */
	tl_buf_addf(&st->cells[T_TIME], "%lld", (long long)r->ts);
	add_value(&st->cells[T_FAMILY], &r->family, 16);
	add_value(&st->cells[T_ACTION], &r->f[TL_F_action], 64);
	if (is_failure(r))
		tl_buf_adds(&st->cells[T_OUTCOME], "FAILED");
	else if (r->f[TL_F_outcome].s && !strcmp(r->f[TL_F_outcome].s, "success"))
		tl_buf_adds(&st->cells[T_OUTCOME], "ok");
	else
		add_value(&st->cells[T_OUTCOME], &r->f[TL_F_outcome], 16);
	add_value(&st->cells[T_USER], &r->f[TL_F_user], 64);
	/* an attributed user is marked: the event itself does not name them */
	if (r->f[TL_F_user].type == TL_VALUE_NULL && r->attr_user.value.type != TL_VALUE_NULL) {
		tl_buf_addc(&st->cells[T_USER], '~');
		add_value(&st->cells[T_USER], &r->attr_user.value, 64);
	}
	add_endpoint(&st->cells[T_SRC], &r->f[TL_F_src_ip], &r->f[TL_F_src_port]);
	add_endpoint(&st->cells[T_DST], &r->f[TL_F_dst_ip], &r->f[TL_F_dst_port]);
	for (int c = T_FAMILY; c < T_EVIDENCE; c++)
		if (!st->cells[c].len)
			tl_buf_addc(&st->cells[c], '-');
	struct tl_buf *e = &st->cells[T_EVIDENCE];
	const char *p = val_text(&r->path, num, &n);
	/* every evidence path starts so: the rest is what tells files apart */
	if (p && n > 9 && !strncmp(p, "evidence/", 9))
		p += 9, n -= 9;
	/* a long name keeps its start and its end, which tell files apart; tl
	 * show takes the shortened form as it is (--wide shows it whole) */
	if (p && !flt->wide && n > EVIDENCE_SHORT) {
		tl_term_escape(e, p, 16);
		tl_buf_adds(e, "...");
		tl_term_escape(e, p + n - (EVIDENCE_SHORT - 19), EVIDENCE_SHORT - 19);
	} else {
		tl_term_escape(e, p ? p : "", n);
	}
	tl_buf_addf(e, ":%lld", (long long)(r->line.type == TL_VALUE_INT ? r->line.i : 0));
	if (r->line_records > 1)
		tl_buf_addf(e, "#%lld", (long long)r->line_pos);
	struct tl_buf *d = &st->cells[T_DETAIL];
	/* the most telling text the event has */
	static const int pref[] = { TL_F_message, TL_F_url, TL_F_domain, TL_F_file, TL_F_process_cmdline };
	int shown = -1;
	for (size_t i = 0; i < sizeof(pref) / sizeof(pref[0]); i++) {
		const char *t = val_text(&r->f[pref[i]], num, &n);
		if (t) {
			tl_term_escape(d, t, n > 160 ? 160 : n);
			shown = pref[i];
			break;
		}
	}
	/* what the action was done to: an account, an object */
	if (r->f[TL_F_target_user].type != TL_VALUE_NULL) {
		tl_buf_adds(d, "  target=");
		add_value(d, &r->f[TL_F_target_user], 128);
	}
	if (shown != TL_F_file && r->f[TL_F_file].type != TL_VALUE_NULL) {
		tl_buf_adds(d, "  file=");
		add_value(d, &r->f[TL_F_file], 200);
	}
	/* volume is what exfiltration looks like: show it where a source logged it */
	if (r->f[TL_F_bytes_out].type == TL_VALUE_INT)
		tl_buf_addf(d, "  out=%lld", (long long)r->f[TL_F_bytes_out].i);
	if (r->f[TL_F_bytes_in].type == TL_VALUE_INT)
		tl_buf_addf(d, "  in=%lld", (long long)r->f[TL_F_bytes_in].i);
	if (g)
		tl_copies_put_text(d, g, r);
	if (r->indicator.type != TL_VALUE_NULL) {
		tl_buf_adds(d, "  !! ");
		add_value(d, &r->indicator, 200);
	}
	if (flt->attribution)
		tl_attr_text(d, r);
	if (flt->annotations && r->tags.s) {
		/* [{"tag":"x","note":...},...]: the tag names only; tl show has the notes */
		const char *t = r->tags.s;
		while ((t = strstr(t, "{\"tag\":\""))) {
			t += 8;
			const char *end = t;
			while (*end && *end != '"')
				end += *end == '\\' && end[1] ? 2 : 1;
			tl_buf_adds(d, "  #");
			tl_term_escape(d, t, (size_t)(end - t));
			t = end;
		}
	}
}

static void text_emit(struct tl_buf *b, struct text_state *st, char *const *cells, int fail,
		      const struct tl_filter *flt)
{
	char when[64];
	tl_time_format_display((tl_us)strtoll(cells[T_TIME], NULL, 10), flt->tz, st->digits, when, sizeof(when));
	/* a row that needs more precision than the first rows did keeps it */
	tl_us t = (tl_us)strtoll(cells[T_TIME], NULL, 10);
	int need = t % 1000000 == 0 ? 0 : t % 1000 == 0 ? 3 : 6;
	if (need > st->digits)
		tl_time_format_display(t, flt->tz, need, when, sizeof(when));
	for (int c = 0; c < T_NCOLS; c++) {
		const char *v = c == T_TIME ? when : cells[c];
		size_t start = b->len;
		if (c == T_OUTCOME && fail && flt->color)
			tl_buf_adds(b, "\033[1;31m");
		tl_buf_adds(b, v);
		if (c == T_OUTCOME && fail && flt->color) {
			tl_buf_adds(b, "\033[0m");
			start += 11;
		}
		if (c == T_DETAIL)
			break;
		while (b->len - start < st->width[c])
			tl_buf_addc(b, ' ');
		tl_buf_adds(b, "  ");
	}
	while (b->len && b->data[b->len - 1] == ' ')
		b->len--;
	tl_buf_addc(b, '\n');
}

static void text_widths(struct text_state *st, const struct tl_filter *flt)
{
	st->digits = 0;
	for (size_t i = 0; i < st->n_sample; i++) {
		tl_us t = (tl_us)strtoll(st->sample[i * T_NCOLS + T_TIME], NULL, 10);
		int need = t % 1000000 == 0 ? 0 : t % 1000 == 0 ? 3 : 6;
		if (need > st->digits)
			st->digits = need;
	}
	char when[64];
	tl_time_format_display(0, flt->tz, st->digits, when, sizeof(when));
	for (int c = 0; c < T_NCOLS; c++) {
		st->width[c] = c == T_TIME ? strlen(when) : strlen(t_head[c]);
		for (size_t i = 0; c != T_TIME && i < st->n_sample; i++) {
			size_t w = strlen(st->sample[i * T_NCOLS + c]);
			if (w > st->width[c])
				st->width[c] = w;
		}
		if (t_cap[c] && st->width[c] > t_cap[c])
			st->width[c] = t_cap[c];
	}
}

static void text_header(struct tl_buf *b, struct text_state *st, const struct tl_filter *flt)
{
	char head[80];
	snprintf(head, sizeof(head), "TIME (%s)", flt->tz ? tl_tz_name(flt->tz) : "UTC");
	char *cells[T_NCOLS];
	for (int c = 0; c < T_NCOLS; c++)
		cells[c] = (char *)t_head[c];
	for (int c = 0; c < T_NCOLS; c++) {
		const char *v = c == T_TIME ? head : cells[c];
		size_t start = b->len;
		tl_buf_adds(b, v);
		if (c == T_DETAIL)
			break;
		while (b->len - start < st->width[c])
			tl_buf_addc(b, ' ');
		tl_buf_adds(b, "  ");
	}
	tl_buf_addc(b, '\n');
}

static void text_state_release(struct text_state *st)
{
	for (size_t i = 0; i < st->n_sample * T_NCOLS; i++)
		free(st->sample[i]);
	free(st->sample);
	for (int c = 0; c < T_NCOLS; c++)
		tl_buf_release(&st->cells[c]);
}

/* Text rows go through here: the first TEXT_SAMPLE rows are held to size the
 * columns, then everything streams. FINISH flushes what is held. */
static int text_put(struct text_state *st, const struct tl_event_row *r, const struct tl_filter *flt,
		    struct tl_buf *line, int finish, const struct tl_copy_group *g)
{
	if (!finish) {
		text_cells(st, r, flt, g);
		if (st->started) {
			char *cells[T_NCOLS];
			for (int c = 0; c < T_NCOLS; c++)
				cells[c] = st->cells[c].data ? st->cells[c].data : "";
			text_emit(line, st, cells, is_failure(r), flt);
			return 0;
		}
		if (!st->sample && !(st->sample = calloc(TEXT_SAMPLE * T_NCOLS, sizeof(char *))))
			return -1;
		for (int c = 0; c < T_NCOLS; c++)
			if (!(st->sample[st->n_sample * T_NCOLS + c] = strdup(st->cells[c].data ? st->cells[c].data : "")))
				return -1;
		st->fail[st->n_sample++] = is_failure(r);
		if (st->n_sample < TEXT_SAMPLE)
			return 0;
	}
	if (st->started)
		return 0;
	st->started = 1;
	text_widths(st, flt);
	if (!flt->no_header && st->n_sample)
		text_header(line, st, flt);
	for (size_t i = 0; i < st->n_sample; i++)
		text_emit(line, st, st->sample + i * T_NCOLS, st->fail[i], flt);
	return 0;
}

typedef int (*sink_fn)(void *ctx, const char *p, size_t n);

static int file_sink(void *ctx, const char *p, size_t n)
{
	return fwrite(p, 1, n, ctx) == n ? 0 : -1;
}

static int sha_sink(void *ctx, const char *p, size_t n)
{
	tl_sha256_update(ctx, p, n);
	return 0;
}

/* Whether ROW is written after the store's selection: it matches --grep (RE),
 * and is not a copy of an occurrence written already (CS); *G its copies.
 * 1 yes, 0 no, -1 error. */
static int pick(const struct tl_event_row *row, pcre2_code *re, pcre2_match_data *md, struct tl_buf *json,
		int attribution, struct tl_copyset *cs, int reverse, const struct tl_copy_group **g, struct tl_err *err)
{
	*g = NULL;
	if (re) {
		tl_buf_reset(json);
		jsonl_row(json, row, 0, attribution, NULL);
		if (pcre2_match(re, (PCRE2_SPTR)json->data, json->len, 0, 0, md, NULL) < 0)
			return 0;
	}
	return cs ? tl_copyset_row(cs, row, reverse, g, err) : 1;
}

static long write_rows(struct tl_store *s, const struct tl_filter *flt, enum tl_out_format fmt, sink_fn sink,
		       void *ctx, struct tl_err *err)
{
	struct tl_buf line = TL_BUF_INIT, json = TL_BUF_INIT;
	struct tl_store_iter *it = NULL;
	const struct tl_event_row *row;
	const struct tl_copy_group *g;
	pcre2_code *re = NULL;
	pcre2_match_data *md = NULL;
	struct text_state ts;
	struct tl_copyset *cs = NULL;
	long count = -1;
	int rc;
	memset(&ts, 0, sizeof(ts));
	if (flt->grep) {
		int code;
		PCRE2_SIZE where;
		re = pcre2_compile((PCRE2_SPTR)flt->grep, PCRE2_ZERO_TERMINATED, 0, &code, &where, NULL);
		if (!re) {
			PCRE2_UCHAR msg[160];
			pcre2_get_error_message(code, msg, sizeof(msg));
			tl_errf(err, "--grep: bad pattern at offset %zu: %s", (size_t)where, (char *)msg);
			goto cleanup;
		}
		pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
		md = pcre2_match_data_create_from_pattern(re, NULL);
	}
	struct tl_event_query q = flt->q;
	int64_t limit = q.limit > 0 ? q.limit : 0, skip = 0;
	int tail = q.tail && limit;
	if (!q.event_id)
		q.order = TL_ORDER_TIMELINE;
	q.core_only = 0;
	q.record_index = fmt == TL_OUT_TEXT;
	q.attribution = flt->attribution;
	/* one row per occurrence: copies are skipped here, after the store */
	if (flt->copies) {
		err->msg[0] = 0;
		if (!(cs = tl_copyset_new(s, flt->copies, err)) && err->msg[0])
			goto cleanup;
	}
	int copies_cols = cs != NULL;
	/* --grep and copies decide after the store: the limit is counted here
	 * then, and --tail first counts what would be written (a second pass
	 * costs a scan but keeps memory flat and the text table whole) */
	int after = re || (cs && flt->copies == TL_COPIES_ONCE);
	int64_t store_cap = 0, consumed = 0, skip_store = 0; /* rows asked of the store, read, and read before */
	if (after) {
		q.limit = 0;
		q.tail = 0;
		/* a first page of occurrences needs little more than its rows
		 * (copies are few): ask for that, so the store can pick the top
		 * rows instead of ordering the whole selection, and ask again for
		 * the rest only when skipped copies used it up */
		if (!re && !tail && limit)
			q.limit = store_cap = limit * 2 + 64;
	}
	if (after && tail) {
		int64_t total = 0;
		if (!(it = tl_store_events(s, &q, err)))
			goto cleanup;
		while ((rc = tl_store_next_event(it, &row, err)) == 1) {
			int p = pick(row, re, md, &json, flt->attribution, cs, q.reverse, &g, err);
			if (p < 0)
				goto cleanup;
			total += p;
		}
		tl_store_iter_free(it);
		it = NULL;
		if (rc < 0)
			goto cleanup;
		skip = total > limit ? total - limit : 0;
		tl_copyset_free(cs);
		if (flt->copies && !(cs = tl_copyset_new(s, flt->copies, err)) && err->msg[0])
			goto cleanup;
	}
	if (!(it = tl_store_events(s, &q, err)))
		goto cleanup;
	if (fmt == TL_OUT_CSV)
		csv_header(&line, flt->annotations, flt->attribution, copies_cols);
	else
		tl_ext_header(&line, fmt, flt->annotations, copies_cols);
	if (line.len && sink(ctx, line.data, line.len)) {
		tl_errf(err, "cannot write output");
		goto cleanup;
	}
	count = 0;
more:
	while ((rc = tl_store_next_event(it, &row, err)) == 1) {
		if (consumed++ < skip_store)
			continue;
		int p = pick(row, re, md, &json, flt->attribution, cs, q.reverse, &g, err);
		if (p < 0) {
			count = -1;
			goto cleanup;
		}
		if (!p)
			continue;
		if (skip) {
			skip--;
			continue;
		}
		if (after && limit && !tail && count >= limit)
			break;
		tl_buf_reset(&line);
		if (fmt == TL_OUT_JSONL)
			jsonl_row(&line, row, flt->annotations, flt->attribution, g);
		else if (fmt == TL_OUT_CSV)
			csv_row(&line, row, flt->csv_raw, flt->annotations, flt->attribution, copies_cols, g);
		else if (fmt != TL_OUT_TEXT)
			tl_ext_row(&line, fmt, row, g, flt->csv_raw, flt->annotations, copies_cols);
		else if (text_put(&ts, row, flt, &line, 0, g)) {
			tl_errf(err, "out of memory");
			count = -1;
			goto cleanup;
		}
		if (line.failed) {
			tl_errf(err, "out of memory writing an event row");
			count = -1;
			goto cleanup;
		}
		count++;
		if (line.len && sink(ctx, line.data, line.len)) {
			tl_errf(err, "cannot write output");
			count = -1;
			goto cleanup;
		}
	}
	if (rc < 0) {
		count = -1;
		goto cleanup;
	}
	if (store_cap && consumed == store_cap && count < limit) {
		/* the capped selection ran out: the same order again, uncapped,
		 * past the rows already read */
		tl_store_iter_free(it);
		q.limit = 0;
		store_cap = 0;
		skip_store = consumed;
		consumed = 0;
		if (!(it = tl_store_events(s, &q, err))) {
			count = -1;
			goto cleanup;
		}
		goto more;
	}
	if (fmt == TL_OUT_TEXT) {
		tl_buf_reset(&line);
		if (text_put(&ts, NULL, flt, &line, 1, NULL) || (line.len && sink(ctx, line.data, line.len))) {
			tl_errf(err, "cannot write output");
			count = -1;
		}
	}
cleanup:
	text_state_release(&ts);
	tl_store_iter_free(it);
	tl_copyset_free(cs);
	pcre2_match_data_free(md);
	pcre2_code_free(re);
	tl_buf_release(&line);
	tl_buf_release(&json);
	return count;
}

long tl_timeline_write(struct tl_store *s, const struct tl_filter *flt, enum tl_out_format fmt, FILE *out,
		       struct tl_err *err)
{
	return write_rows(s, flt, fmt, file_sink, out, err);
}

long tl_events_digest(struct tl_store *s, char out[65], struct tl_err *err)
{
	struct tl_filter all;
	memset(&all, 0, sizeof(all));
	struct tl_sha256 *h = tl_sha256_new();
	if (!h)
		return tl_errf(err, "out of memory");
	long n = write_rows(s, &all, TL_OUT_JSONL, sha_sink, h, err);
	tl_sha256_final_hex(h, out);
	return n;
}

/* ---- counts, rejects, one event ------------------------------------------------ */

long tl_counts_write(struct tl_store *s, const struct tl_event_query *q, const char *const *by, size_t n_by,
		     enum tl_out_format fmt, const struct tl_tz *tz, FILE *out, struct tl_err *err)
{
	struct tl_store_iter *it = tl_store_counts(s, q, by, n_by, err);
	if (!it)
		return -1;
	struct tl_buf b = TL_BUF_INIT;
	const struct tl_count_row *r;
	long count = 0;
	int rc;
	if (fmt == TL_OUT_CSV) {
		for (size_t i = 0; i < n_by; i++)
			tl_buf_addf(&b, "%s,", by[i]);
		tl_buf_adds(&b, "events,first,last\r\n");
	}
	while ((rc = tl_store_next_count(it, &r, err)) == 1) {
		char first[64], last[64], num[24];
		tl_time_format_iso(r->first_ts, first, sizeof(first));
		tl_time_format_iso(r->last_ts, last, sizeof(last));
		if (fmt == TL_OUT_JSONL)
			tl_buf_addc(&b, '{');
		for (size_t i = 0; i < n_by; i++) {
			const struct tl_value *v = &r->key[i];
			int bucket = !strcmp(by[i], "hour") || !strcmp(by[i], "day");
			char when[64];
			size_t n = 0;
			const char *t = NULL;
			if (bucket && v->type == TL_VALUE_INT) {
				if (fmt == TL_OUT_TEXT)
					tl_time_format_display(v->i, tz, 0, when, sizeof(when));
				else
					tl_time_format_iso(v->i, when, sizeof(when));
				t = when;
				n = strlen(when);
			} else {
				t = val_text(v, num, &n);
			}
			if (fmt == TL_OUT_JSONL) {
				key(&b, by[i], i == 0);
				if (t && (bucket || v->type != TL_VALUE_INT))
					tl_json_put_strn(&b, t, n);
				else
					json_val(&b, v);
			} else if (fmt == TL_OUT_CSV) {
				csv_cell(&b, t, n, 0);
				tl_buf_addc(&b, ',');
			} else {
				size_t start = b.len;
				if (t)
					tl_term_escape(&b, t, n > 80 ? 80 : n);
				else
					tl_buf_addc(&b, '-');
				size_t w = bucket ? strlen(when) : 24;
				while (b.len - start < w)
					tl_buf_addc(&b, ' ');
				tl_buf_adds(&b, "  ");
			}
		}
		if (fmt == TL_OUT_JSONL)
			tl_buf_addf(&b, ",\"events\":%lld,\"first\":\"%s\",\"last\":\"%s\"}\n", (long long)r->events, first,
				    last);
		else if (fmt == TL_OUT_CSV)
			tl_buf_addf(&b, "%lld,%s,%s\r\n", (long long)r->events, first, last);
		else
			tl_buf_addf(&b, "%10lld  %s  %s\n", (long long)r->events, first, last);
		if (fwrite(b.data, 1, b.len, out) != b.len) {
			rc = tl_errf(err, "cannot write output");
			break;
		}
		tl_buf_reset(&b);
		count++;
	}
	if (b.len && fwrite(b.data, 1, b.len, out) != b.len)
		rc = tl_errf(err, "cannot write output");
	tl_buf_release(&b);
	tl_store_iter_free(it);
	return rc < 0 ? -1 : count;
}

long tl_rejects_write(struct tl_store *s, const char *path_part, const char *reason_part, enum tl_out_format fmt,
		      FILE *out, struct tl_err *err)
{
	struct tl_store_iter *it = tl_store_rejects(s, 0, err);
	if (!it)
		return -1;
	struct tl_buf b = TL_BUF_INIT;
	const struct tl_reject_row *r;
	long count = 0;
	int rc;
	while ((rc = tl_store_next_reject(it, &r, err)) == 1) {
		const char *path = r->path ? r->path : "", *reason = r->reason ? r->reason : "";
		if ((path_part && !strstr(path, path_part)) || (reason_part && !strstr(reason, reason_part)))
			continue;
		tl_buf_reset(&b);
		size_t ex = r->excerpt_len > 200 ? 200 : r->excerpt_len;
		if (fmt == TL_OUT_JSONL) {
			tl_buf_adds(&b, "{\"path\":");
			tl_json_put_str(&b, path);
			tl_buf_addf(&b, ",\"line\":%lld,\"offset\":%lld,\"length\":%lld,\"sha256\":", (long long)r->line,
				    (long long)r->offset, (long long)r->length);
			tl_json_put_str(&b, r->sha256 ? r->sha256 : "");
			tl_buf_adds(&b, ",\"reason\":");
			tl_json_put_str(&b, reason);
			tl_buf_adds(&b, ",\"excerpt\":");
			tl_json_put_strn(&b, r->excerpt ? r->excerpt : "", r->excerpt ? r->excerpt_len : 0);
			tl_buf_adds(&b, "}\n");
		} else {
			tl_term_escape(&b, path, strlen(path));
			tl_buf_addf(&b, ":%lld: ", (long long)r->line);
			tl_term_escape(&b, reason, strlen(reason));
			tl_buf_adds(&b, "\n    ");
			if (r->excerpt)
				tl_term_escape(&b, r->excerpt, ex);
			if (ex < r->excerpt_len)
				tl_buf_adds(&b, "...");
			tl_buf_addc(&b, '\n');
		}
		if (fwrite(b.data, 1, b.len, out) != b.len) {
			rc = tl_errf(err, "cannot write output");
			break;
		}
		count++;
	}
	tl_buf_release(&b);
	tl_store_iter_free(it);
	return rc < 0 ? -1 : count;
}

void tl_event_write_detail(const struct tl_event_row *r, FILE *out)
{
	struct tl_buf b = TL_BUF_INIT;
	char iso[40], num[24];
	size_t n;
	tl_time_format_iso(r->ts, iso, sizeof(iso));
	tl_buf_addf(&b, "%-20s %lld\n%-20s %s\n", "id", (long long)r->id, "ts", iso);
	const struct {
		const char *k;
		const struct tl_value *v;
	} head[] = { { "ts_raw", &r->ts_raw }, { "ts_rule", &r->ts_rule }, { "family", &r->family },
		     { "format", &r->format } };
	for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++) {
		const char *t = val_text(head[i].v, num, &n);
		tl_buf_addf(&b, "%-20s ", head[i].k);
		tl_term_escape(&b, t ? t : "-", t ? n : 1);
		tl_buf_addc(&b, '\n');
	}
	for (int i = 0; i < TL_F_COUNT; i++) {
		const char *t = val_text(&r->f[i], num, &n);
		if (!t)
			continue;
		tl_buf_addf(&b, "%-20s ", tl_field_name((enum tl_field_id)i));
		tl_term_escape(&b, t, n);
		tl_buf_addc(&b, '\n');
	}
	if (r->indicator.s) {
		tl_buf_addf(&b, "%-20s ", "indicator");
		tl_term_escape(&b, r->indicator.s, r->indicator.len);
		tl_buf_addc(&b, '\n');
	}
	if (r->extra.s) {
		tl_buf_addf(&b, "%-20s ", "extra");
		tl_term_escape(&b, r->extra.s, r->extra.len);
		tl_buf_addc(&b, '\n');
	}
	if (r->tags.s) {
		tl_buf_addf(&b, "%-20s ", "tags");
		tl_term_escape(&b, r->tags.s, r->tags.len);
		tl_buf_addc(&b, '\n');
	}
	if (tl_attr_any(r)) {
		struct tl_buf obj = TL_BUF_INIT;
		tl_attr_object(&obj, r);
		tl_buf_addf(&b, "%-20s ", "attribution");
		tl_term_escape(&b, obj.data ? obj.data : "", obj.len);
		tl_buf_addc(&b, '\n');
		tl_buf_release(&obj);
	}
	const char *p = val_text(&r->path, num, &n);
	tl_buf_addf(&b, "%-20s ", "evidence");
	tl_term_escape(&b, p ? p : "", p ? n : 0);
	tl_buf_addf(&b, ":%lld", (long long)(r->line.type == TL_VALUE_INT ? r->line.i : 0));
	if (r->line_records > 1)
		tl_buf_addf(&b, "#%lld", (long long)r->line_pos);
	tl_buf_addf(&b, "  offset %lld, length %lld\n", (long long)r->offset.i, (long long)r->length.i);
	fwrite(b.data, 1, b.len, out);
	tl_buf_release(&b);
}
