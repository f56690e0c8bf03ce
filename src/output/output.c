/* Timeline query and writers (see include/tl/output.h). */
#define _POSIX_C_SOURCE 200809L
#include "tl/output.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "tl/event.h"
#include "tl/json.h"
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

static void jsonl_row(struct tl_buf *b, const struct tl_event_row *r)
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
	tl_buf_adds(b, "}}\n");
}

/* The text of a value (integers written into NUM), or NULL for NULL. */
static const char *val_text(const struct tl_value *v, char num[24], size_t *len)
{
	if (v->type == TL_VALUE_INT) {
		*len = (size_t)snprintf(num, 24, "%lld", (long long)v->i);
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
	tl_buf_addc(b, '"');
	if (formula)
		tl_buf_addc(b, '\'');
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"')
			tl_buf_addc(b, '"');
		tl_buf_addc(b, s[i]);
	}
	tl_buf_addc(b, '"');
}

static void csv_header(struct tl_buf *b)
{
	tl_buf_adds(b, "ts,ts_raw,ts_rule,ts_skew_us,family,format");
	for (int i = 0; i < TL_F_COUNT; i++)
		tl_buf_addf(b, ",%s", tl_field_name((enum tl_field_id)i));
	tl_buf_adds(b, ",extra,evidence_path,evidence_line,evidence_offset,evidence_length,evidence_sha256\r\n");
}

static void csv_row(struct tl_buf *b, const struct tl_event_row *r, int raw)
{
	char iso[40], num[24];
	size_t n;
	tl_time_format_iso(r->ts, iso, sizeof(iso));
	tl_buf_adds(b, iso);
	/* the columns of csv_header(), in its order */
	const struct tl_value *cols[5 + TL_F_COUNT + 6];
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
	for (size_t c = 0; c < k; c++) {
		tl_buf_addc(b, ',');
		const char *s = val_text(cols[c], num, &n);
		csv_cell(b, s, n, raw);
	}
	tl_buf_adds(b, "\r\n");
}

static void text_cell(struct tl_buf *b, const struct tl_value *v, size_t width)
{
	char num[24];
	size_t n, start = b->len;
	const char *s = val_text(v, num, &n);
	if (s)
		tl_term_escape(b, s, n > 200 ? 200 : n);
	else
		tl_buf_addc(b, '-');
	/* pad by bytes of ASCII; good enough for aligned columns of ids and addresses */
	while (b->len - start < width)
		tl_buf_addc(b, ' ');
	tl_buf_addc(b, ' ');
}

static void text_row(struct tl_buf *b, const struct tl_event_row *r)
{
	char iso[40], num[24];
	size_t n;
	tl_time_format_iso(r->ts, iso, sizeof(iso));
	tl_buf_adds(b, iso);
	tl_buf_addc(b, ' ');
	text_cell(b, &r->family, 5);
	text_cell(b, &r->f[TL_F_action], 14);
	text_cell(b, &r->f[TL_F_user], 12);
	text_cell(b, &r->f[TL_F_src_ip], 15);
	tl_buf_adds(b, "-> ");
	text_cell(b, &r->f[TL_F_dst_ip], 15);
	/* the most telling text the event has */
	static const int pref[] = { TL_F_message, TL_F_url, TL_F_domain, TL_F_file, TL_F_process_cmdline };
	for (size_t i = 0; i < sizeof(pref) / sizeof(pref[0]); i++) {
		const char *s = val_text(&r->f[pref[i]], num, &n);
		if (s) {
			tl_term_escape(b, s, n > 160 ? 160 : n);
			break;
		}
	}
	/* volume is what exfiltration looks like: show it where a source logged it */
	if (r->f[TL_F_bytes_out].type == TL_VALUE_INT)
		tl_buf_addf(b, "  out=%lld", (long long)r->f[TL_F_bytes_out].i);
	if (r->f[TL_F_bytes_in].type == TL_VALUE_INT)
		tl_buf_addf(b, "  in=%lld", (long long)r->f[TL_F_bytes_in].i);
	if (r->indicator.type != TL_VALUE_NULL) {
		const char *ind = val_text(&r->indicator, num, &n);
		tl_buf_adds(b, "  !! ");
		tl_term_escape(b, ind, n);
	}
	tl_buf_adds(b, "  [");
	const char *p = val_text(&r->path, num, &n);
	tl_term_escape(b, p ? p : "", n);
	tl_buf_addf(b, ":%lld]\n", (long long)(r->line.type == TL_VALUE_INT ? r->line.i : 0));
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

static long write_rows(struct tl_store *s, const struct tl_filter *flt, enum tl_out_format fmt, sink_fn sink,
		       void *ctx, struct tl_err *err)
{
	struct tl_buf line = TL_BUF_INIT, json = TL_BUF_INIT;
	struct tl_store_iter *it = NULL;
	const struct tl_event_row *row;
	pcre2_code *re = NULL;
	pcre2_match_data *md = NULL;
	long count = -1;
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
	q.order = TL_ORDER_TIMELINE;
	q.core_only = 0;
	q.file_id = 0;
	if (!(it = tl_store_events(s, &q, err)))
		goto cleanup;
	if (fmt == TL_OUT_CSV) {
		csv_header(&line);
		if (sink(ctx, line.data, line.len)) {
			tl_errf(err, "cannot write output");
			goto cleanup;
		}
	}
	count = 0;
	int rc;
	while ((rc = tl_store_next_event(it, &row, err)) == 1) {
		if (re) {
			tl_buf_reset(&json);
			jsonl_row(&json, row);
			if (pcre2_match(re, (PCRE2_SPTR)json.data, json.len, 0, 0, md, NULL) < 0)
				continue;
		}
		tl_buf_reset(&line);
		if (fmt == TL_OUT_JSONL)
			jsonl_row(&line, row);
		else if (fmt == TL_OUT_CSV)
			csv_row(&line, row, flt->csv_raw);
		else
			text_row(&line, row);
		if (sink(ctx, line.data, line.len)) {
			tl_errf(err, "cannot write output");
			count = -1;
			goto cleanup;
		}
		count++;
	}
	if (rc < 0)
		count = -1;
cleanup:
	tl_store_iter_free(it);
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
