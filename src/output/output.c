/* Timeline query and writers (see include/tl/output.h). */
#define _POSIX_C_SOURCE 200809L
#include "tl/output.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "tl/event.h"
#include "tl/banned.h"

/* Columns selected, in this order. */
enum {
	C_TS, C_TS_RAW, C_TS_RULE, C_TS_SKEW, C_FAMILY, C_FORMAT, C_FIELDS,
	C_EXTRA = C_FIELDS + TL_F_COUNT, C_PATH, C_LINE, C_OFFSET, C_LENGTH, C_SHA, C_PARSER, C_PVER, C_INDICATOR, C_SEQ,
	C_NCOLS
};

static const struct {
	const char *type;
	const char *cond;
} entity_cond[] = {
	{ "user", "e.user = ?" },
	{ "host", "e.host = ?" },
	{ "ip", "(e.src_ip = ?1 OR e.dst_ip = ?1)" },
	/* a domain and its subdomains; no LIKE, so '_' and '%' in the value are literal */
	{ "domain", "(e.domain = ?1 OR substr(e.domain, -length(?1) - 1) = '.' || ?1)" },
	{ "url", "e.url = ?" },
	{ "file", "(e.file = ?1 OR e.file_name = ?1)" },
	{ "process", "(e.process = ?1 OR substr(e.process, -length(?1) - 1) IN ('\\' || ?1, '/' || ?1))" },
	{ "hash", "e.file_hash = ?" },
};

int tl_entity_type_valid(const char *type)
{
	for (size_t i = 0; i < sizeof(entity_cond) / sizeof(entity_cond[0]); i++)
		if (!strcmp(entity_cond[i].type, type))
			return 1;
	return 0;
}

/* Each condition uses its own numbered parameter so "?1" style reuse works. */
static void add_cond(struct tl_buf *q, const char *cond, int param)
{
	for (const char *c = cond; *c; c++) {
		if (*c == '?') {
			tl_buf_addf(q, "?%d", param);
			if (c[1] == '1')
				c++;
		} else {
			tl_buf_addc(q, *c);
		}
	}
}

static int build_query(const struct tl_filter *flt, struct tl_buf *q)
{
	int param = 1;
	tl_buf_adds(q, "SELECT e.ts, e.ts_raw, e.ts_rule, e.ts_skew_us, e.family, e.format");
#define TL_X_SEL(name, kind) tl_buf_adds(q, ", e." #name);
	TL_EVENT_FIELDS(TL_X_SEL)
#undef TL_X_SEL
	tl_buf_adds(q, ", e.extra, f.path, e.line, e.offset, e.length, e.raw_sha256, e.parser, e.parser_version, "
		       "e.indicator, e.seq FROM events e JOIN evidence_files f ON f.id = e.file_id WHERE 1");
	if (flt->has_from)
		tl_buf_addf(q, " AND e.ts >= ?%d", param++);
	if (flt->has_to)
		tl_buf_addf(q, " AND e.ts < ?%d", param++);
	if (flt->n_entities) {
		tl_buf_adds(q, " AND (");
		for (size_t i = 0; i < flt->n_entities; i++) {
			if (i)
				tl_buf_adds(q, " OR ");
			for (size_t k = 0; k < sizeof(entity_cond) / sizeof(entity_cond[0]); k++)
				if (!strcmp(entity_cond[k].type, flt->entities[i].type))
					add_cond(q, entity_cond[k].cond, param);
			param++;
		}
		tl_buf_adds(q, ")");
	}
	size_t counts[2] = { flt->n_families, flt->n_formats };
	const char *cols[2] = { "e.family", "e.format" };
	for (int l = 0; l < 2; l++) {
		if (!counts[l])
			continue;
		tl_buf_addf(q, " AND %s IN (", cols[l]);
		for (size_t i = 0; i < counts[l]; i++)
			tl_buf_addf(q, "%s?%d", i ? "," : "", param++);
		tl_buf_adds(q, ")");
	}
	tl_buf_adds(q, " ORDER BY e.ts, f.path, e.offset");
	return param;
}

static void bind_filter(sqlite3_stmt *st, const struct tl_filter *flt)
{
	int p = 1;
	if (flt->has_from)
		sqlite3_bind_int64(st, p++, flt->from);
	if (flt->has_to)
		sqlite3_bind_int64(st, p++, flt->to);
	for (size_t i = 0; i < flt->n_entities; i++)
		sqlite3_bind_text(st, p++, flt->entities[i].value, -1, SQLITE_STATIC);
	for (size_t i = 0; i < flt->n_families; i++)
		sqlite3_bind_text(st, p++, flt->families[i], -1, SQLITE_STATIC);
	for (size_t i = 0; i < flt->n_formats; i++)
		sqlite3_bind_text(st, p++, flt->formats[i], -1, SQLITE_STATIC);
}

static void json_str_col(struct tl_buf *b, sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL) {
		tl_buf_adds(b, "null");
		return;
	}
	if (sqlite3_column_type(st, col) == SQLITE_INTEGER) {
		tl_buf_addf(b, "%lld", (long long)sqlite3_column_int64(st, col));
		return;
	}
	const char *s = (const char *)sqlite3_column_text(st, col);
	tl_buf_addc(b, '"');
	tl_json_escape(b, s, (size_t)sqlite3_column_bytes(st, col));
	tl_buf_addc(b, '"');
}

static void key(struct tl_buf *b, const char *k, int first)
{
	tl_buf_addf(b, "%s\"%s\":", first ? "" : ",", k);
}

static void jsonl_row(struct tl_buf *b, sqlite3_stmt *st)
{
	char iso[40];
	tl_time_format_iso(sqlite3_column_int64(st, C_TS), iso, sizeof(iso));
	tl_buf_addf(b, "{\"ts\":\"%s\"", iso);
	key(b, "ts_raw", 0);
	json_str_col(b, st, C_TS_RAW);
	key(b, "ts_rule", 0);
	json_str_col(b, st, C_TS_RULE);
	key(b, "ts_skew_us", 0);
	json_str_col(b, st, C_TS_SKEW);
	key(b, "family", 0);
	json_str_col(b, st, C_FAMILY);
	key(b, "format", 0);
	json_str_col(b, st, C_FORMAT);
	for (int i = 0; i < TL_F_COUNT; i++) {
		key(b, tl_field_name((enum tl_field_id)i), 0);
		json_str_col(b, st, C_FIELDS + i);
	}
	key(b, "indicator", 0);
	json_str_col(b, st, C_INDICATOR);
	key(b, "extra", 0);
	tl_buf_add(b, sqlite3_column_text(st, C_EXTRA), (size_t)sqlite3_column_bytes(st, C_EXTRA));
	key(b, "evidence", 0);
	tl_buf_addc(b, '{');
	key(b, "path", 1);
	json_str_col(b, st, C_PATH);
	key(b, "line", 0);
	json_str_col(b, st, C_LINE);
	key(b, "offset", 0);
	json_str_col(b, st, C_OFFSET);
	key(b, "length", 0);
	json_str_col(b, st, C_LENGTH);
	key(b, "sha256", 0);
	json_str_col(b, st, C_SHA);
	key(b, "parser", 0);
	json_str_col(b, st, C_PARSER);
	key(b, "parser_version", 0);
	json_str_col(b, st, C_PVER);
	key(b, "sequence", 0);
	json_str_col(b, st, C_SEQ);
	tl_buf_adds(b, "}}\n");
}

static const char *col_text(sqlite3_stmt *st, int col, size_t *len)
{
	const char *s = (const char *)sqlite3_column_text(st, col);
	*len = s ? (size_t)sqlite3_column_bytes(st, col) : 0;
	return s;
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

static void csv_row(struct tl_buf *b, sqlite3_stmt *st, int raw)
{
	char iso[40];
	size_t n;
	tl_time_format_iso(sqlite3_column_int64(st, C_TS), iso, sizeof(iso));
	tl_buf_adds(b, iso);
	for (int c = C_TS_RAW; c < C_PARSER; c++) {
		tl_buf_addc(b, ',');
		const char *s = col_text(st, c, &n);
		csv_cell(b, s, n, raw);
	}
	tl_buf_adds(b, "\r\n");
}

static void text_cell(struct tl_buf *b, sqlite3_stmt *st, int col, size_t width)
{
	size_t n, start = b->len;
	const char *s = col_text(st, col, &n);
	if (s)
		tl_term_escape(b, s, n > 200 ? 200 : n);
	else
		tl_buf_addc(b, '-');
	/* pad by bytes of ASCII; good enough for aligned columns of ids and addresses */
	while (b->len - start < width)
		tl_buf_addc(b, ' ');
	tl_buf_addc(b, ' ');
}

static void text_row(struct tl_buf *b, sqlite3_stmt *st)
{
	char iso[40];
	size_t n;
	tl_time_format_iso(sqlite3_column_int64(st, C_TS), iso, sizeof(iso));
	tl_buf_adds(b, iso);
	tl_buf_addc(b, ' ');
	text_cell(b, st, C_FAMILY, 5);
	text_cell(b, st, C_FIELDS + TL_F_action, 14);
	text_cell(b, st, C_FIELDS + TL_F_user, 12);
	text_cell(b, st, C_FIELDS + TL_F_src_ip, 15);
	tl_buf_adds(b, "-> ");
	text_cell(b, st, C_FIELDS + TL_F_dst_ip, 15);
	/* the most telling text the event has */
	static const int pref[] = { TL_F_message, TL_F_url, TL_F_domain, TL_F_file, TL_F_process_cmdline };
	for (size_t i = 0; i < sizeof(pref) / sizeof(pref[0]); i++) {
		const char *s = col_text(st, C_FIELDS + pref[i], &n);
		if (s) {
			tl_term_escape(b, s, n > 160 ? 160 : n);
			break;
		}
	}
	/* volume is what exfiltration looks like: show it where a source logged it */
	if (sqlite3_column_type(st, C_FIELDS + TL_F_bytes_out) == SQLITE_INTEGER)
		tl_buf_addf(b, "  out=%lld", (long long)sqlite3_column_int64(st, C_FIELDS + TL_F_bytes_out));
	if (sqlite3_column_type(st, C_FIELDS + TL_F_bytes_in) == SQLITE_INTEGER)
		tl_buf_addf(b, "  in=%lld", (long long)sqlite3_column_int64(st, C_FIELDS + TL_F_bytes_in));
	if (sqlite3_column_type(st, C_INDICATOR) != SQLITE_NULL) {
		const char *ind = col_text(st, C_INDICATOR, &n);
		tl_buf_adds(b, "  !! ");
		tl_term_escape(b, ind, n);
	}
	tl_buf_adds(b, "  [");
	const char *p = col_text(st, C_PATH, &n);
	tl_term_escape(b, p ? p : "", n);
	tl_buf_addf(b, ":%lld]\n", (long long)sqlite3_column_int64(st, C_LINE));
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

static long write_rows(sqlite3 *db, const struct tl_filter *flt, enum tl_out_format fmt, sink_fn sink, void *ctx,
		       struct tl_err *err)
{
	struct tl_buf q = TL_BUF_INIT, line = TL_BUF_INIT, json = TL_BUF_INIT;
	sqlite3_stmt *st = NULL;
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
	build_query(flt, &q);
	if (sqlite3_prepare_v2(db, q.data, -1, &st, NULL) != SQLITE_OK) {
		tl_errf(err, "timeline query: %s", sqlite3_errmsg(db));
		goto cleanup;
	}
	bind_filter(st, flt);
	if (fmt == TL_OUT_CSV) {
		csv_header(&line);
		if (sink(ctx, line.data, line.len)) {
			tl_errf(err, "cannot write output");
			goto cleanup;
		}
	}
	count = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (re) {
			tl_buf_reset(&json);
			jsonl_row(&json, st);
			if (pcre2_match(re, (PCRE2_SPTR)json.data, json.len, 0, 0, md, NULL) < 0)
				continue;
		}
		tl_buf_reset(&line);
		if (fmt == TL_OUT_JSONL)
			jsonl_row(&line, st);
		else if (fmt == TL_OUT_CSV)
			csv_row(&line, st, flt->csv_raw);
		else
			text_row(&line, st);
		if (sink(ctx, line.data, line.len)) {
			tl_errf(err, "cannot write output");
			count = -1;
			goto cleanup;
		}
		count++;
	}
	if (rc != SQLITE_DONE) {
		tl_errf(err, "timeline query: %s", sqlite3_errmsg(db));
		count = -1;
	}
cleanup:
	sqlite3_finalize(st);
	pcre2_match_data_free(md);
	pcre2_code_free(re);
	tl_buf_release(&q);
	tl_buf_release(&line);
	tl_buf_release(&json);
	return count;
}

long tl_timeline_write(sqlite3 *db, const struct tl_filter *flt, enum tl_out_format fmt, FILE *out,
		       struct tl_err *err)
{
	return write_rows(db, flt, fmt, file_sink, out, err);
}

long tl_events_digest(sqlite3 *db, char out[65], struct tl_err *err)
{
	struct tl_filter all;
	memset(&all, 0, sizeof(all));
	struct tl_sha256 *h = tl_sha256_new();
	if (!h)
		return tl_errf(err, "out of memory");
	long n = write_rows(db, &all, TL_OUT_JSONL, sha_sink, h, err);
	tl_sha256_final_hex(h, out);
	return n;
}
