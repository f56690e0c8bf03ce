/*
 * Hand-off timeline formats (docs/timeline-formats.md): Timesketch's JSONL
 * and CSV import (the documented mandatory `message`, `datetime`,
 * `timestamp_desc`, with `timestamp` and every other field as attributes),
 * plaso's 17-column l2tcsv and the 5-field TLN. Each row keeps its evidence
 * location so that an analyst in the other tool can come back to the bytes.
 *
 * Not here: which rows (src/output/output.c) and copies (copies-out.c).
 */
#define _POSIX_C_SOURCE 200809L
#include "output-internal.h"

#include <stdlib.h>
#include <string.h>

#include "tl/event.h"
#include "tl/json.h"
#include "tl/banned.h"

/* What tl's time means, the same for every source: when the source says the
 * event happened (after the zone and skew rules of docs/time.md). */
#define TIMESTAMP_DESC "Event Time"
/* l2tcsv: the short description is cut here (bytes, at a UTF-8 boundary) */
#define SHORT_MAX 100

static const char *vtext(const struct tl_value *v, char num[24], size_t *len)
{
	if (v->type == TL_VALUE_INT) {
		*len = (size_t)snprintf(num, 24, "%lld", (long long)v->i);
		return num;
	}
	*len = v->s ? v->len : 0;
	return v->s;
}

static void add_val(struct tl_buf *b, const struct tl_value *v)
{
	char num[24];
	size_t n;
	const char *s = vtext(v, num, &n);
	if (s)
		tl_buf_add(b, s, n);
}

static int set(const struct tl_value *v)
{
	return v->type == TL_VALUE_INT || (v->s && v->len);
}

static void endpoint(struct tl_buf *b, const struct tl_value *ip, const struct tl_value *port)
{
	int v6 = ip->s && memchr(ip->s, ':', ip->len) && set(port);
	if (!set(ip)) {
		tl_buf_addc(b, '-');
	} else {
		tl_buf_adds(b, v6 ? "[" : "");
		add_val(b, ip);
		tl_buf_adds(b, v6 ? "]" : "");
	}
	if (set(port)) {
		tl_buf_addc(b, ':');
		add_val(b, port);
	}
}

/* One line that says what happened: action (outcome) user= host= src -> dst:
 * the most telling text. Never empty. Raw evidence text: each sink escapes it. */
static void summary(struct tl_buf *b, const struct tl_event_row *r, int with_detail)
{
	size_t start = b->len;
#define SEP() tl_buf_adds(b, b->len > start ? " " : "")
	if (set(&r->f[TL_F_action])) {
		SEP();
		add_val(b, &r->f[TL_F_action]);
	}
	if (set(&r->f[TL_F_outcome]) && strcmp(r->f[TL_F_outcome].s ? r->f[TL_F_outcome].s : "", "unknown")) {
		SEP();
		tl_buf_addc(b, '(');
		add_val(b, &r->f[TL_F_outcome]);
		tl_buf_addc(b, ')');
	}
	if (set(&r->f[TL_F_user])) {
		SEP();
		tl_buf_adds(b, "user=");
		add_val(b, &r->f[TL_F_user]);
	}
	if (set(&r->f[TL_F_host])) {
		SEP();
		tl_buf_adds(b, "host=");
		add_val(b, &r->f[TL_F_host]);
	}
	if (set(&r->f[TL_F_src_ip]) || set(&r->f[TL_F_dst_ip])) {
		SEP();
		endpoint(b, &r->f[TL_F_src_ip], &r->f[TL_F_src_port]);
		tl_buf_adds(b, " -> ");
		endpoint(b, &r->f[TL_F_dst_ip], &r->f[TL_F_dst_port]);
	}
	static const int pref[] = { TL_F_message, TL_F_url, TL_F_domain, TL_F_file, TL_F_process_cmdline,
				    TL_F_process };
	for (size_t i = 0; with_detail && i < sizeof(pref) / sizeof(pref[0]); i++) {
		if (!set(&r->f[pref[i]]))
			continue;
		tl_buf_adds(b, b->len > start ? ": " : "");
		add_val(b, &r->f[pref[i]]);
		break;
	}
	if (b->len == start) {
		add_val(b, &r->format);
		tl_buf_adds(b, " event");
	}
#undef SEP
}

/* ---- CSV cells (RFC 4180) ------------------------------------------------ */

/* A cell: quoted only when it holds a comma, a quote or a line break, quotes
 * doubled. EVIDENCE text that a spreadsheet would run as a formula gets a
 * leading apostrophe unless RAW (the rule of tl's own CSV). FLAT turns every
 * control byte into a space: l2tcsv is read line by line by most tools. */
static void cell(struct tl_buf *b, const char *s, size_t n, int evidence, int raw, int flat)
{
	if (!s)
		return;
	int formula = evidence && !raw && n && strchr("=+-@\t\r", s[0]);
	if (formula && s[0] == '-' && n > 1) {
		int64_t v;
		formula = tl_parse_i64(s, n, &v) != 0;
	}
	int quote = 0;
	for (size_t i = 0; i < n && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || (!flat && (s[i] == '\n' || s[i] == '\r'));
	if (quote)
		tl_buf_addc(b, '"');
	if (formula)
		tl_buf_addc(b, '\'');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"')
			tl_buf_addc(b, '"');
		tl_buf_addc(b, flat && (c < 0x20 || c == 0x7f) ? ' ' : (char)c);
	}
	if (quote)
		tl_buf_addc(b, '"');
}

static void vcell(struct tl_buf *b, const struct tl_value *v, int evidence, int raw, int flat)
{
	char num[24];
	size_t n;
	const char *s = vtext(v, num, &n);
	cell(b, s, n, evidence && v->type != TL_VALUE_INT, raw, flat);
}

/* ---- Timesketch ----------------------------------------------------------- */

/* "2015-07-24T19:01:01.000000+00:00": ISO 8601 as Timesketch's docs show it. */
static void ts_datetime(tl_us t, char *out, size_t len)
{
	char iso[48];
	size_t n = tl_time_format_iso(t, iso, sizeof(iso));
	if (n && iso[n - 1] == 'Z')
		iso[n - 1] = 0;
	snprintf(out, len, "%s+00:00", iso);
}

static const char *attr_name(int field)
{
	/* Timesketch's message is the summary; the source's own message stays */
	return field == TL_F_message ? "event_message" : tl_field_name((enum tl_field_id)field);
}

static void json_v(struct tl_buf *b, const struct tl_value *v)
{
	if (v->type == TL_VALUE_INT)
		tl_buf_addf(b, "%lld", (long long)v->i);
	else if (v->s)
		tl_json_put_strn(b, v->s, v->len);
	else
		tl_buf_adds(b, "null");
}

static void timesketch_jsonl(struct tl_buf *b, const struct tl_event_row *r, const struct tl_copy_group *g,
			     int tags)
{
	struct tl_buf msg = TL_BUF_INIT;
	char when[64];
	summary(&msg, r, 1);
	ts_datetime(r->ts, when, sizeof(when));
	tl_buf_adds(b, "{\"message\":");
	tl_json_put_strn(b, msg.data, msg.len);
	tl_buf_addf(b, ",\"datetime\":\"%s\",\"timestamp\":%lld,\"timestamp_desc\":\"" TIMESTAMP_DESC "\"", when,
		    (long long)r->ts);
	tl_buf_release(&msg);
	tl_json_put_key(b, "data_type", 0);
	tl_buf_adds(b, "\"tl:");
	if (r->format.s)
		tl_json_escape(b, r->format.s, r->format.len);
	tl_buf_addc(b, '"');
	const struct {
		const char *k;
		const struct tl_value *v;
	} head[] = { { "family", &r->family }, { "format", &r->format }, { "ts_raw", &r->ts_raw },
		     { "ts_rule", &r->ts_rule }, { "ts_skew_us", &r->ts_skew_us } };
	for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++) {
		tl_json_put_key(b, head[i].k, 0);
		json_v(b, head[i].v);
	}
	/* attributes with a value only: an absent key and null mean the same to
	 * Timesketch, and rows stay small */
	for (int i = 0; i < TL_F_COUNT; i++) {
		if (r->f[i].type == TL_VALUE_NULL)
			continue;
		tl_json_put_key(b, attr_name(i), 0);
		json_v(b, &r->f[i]);
	}
	if (r->indicator.type != TL_VALUE_NULL) {
		tl_json_put_key(b, "indicator", 0);
		json_v(b, &r->indicator);
	}
	/* one string: source fields differ in type from record to record, which
	 * an index mapping of nested attributes would refuse */
	tl_json_put_key(b, "extra", 0);
	if (r->extra.s)
		tl_json_put_strn(b, r->extra.s, r->extra.len);
	else
		tl_buf_adds(b, "\"{}\"");
	const struct {
		const char *k;
		const struct tl_value *v;
	} ev[] = { { "evidence_path", &r->path },     { "evidence_line", &r->line },
		   { "evidence_offset", &r->offset }, { "evidence_length", &r->length },
		   { "evidence_sha256", &r->sha256 }, { "parser", &r->parser },
		   { "parser_version", &r->parser_version } };
	for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]); i++) {
		tl_json_put_key(b, ev[i].k, 0);
		json_v(b, ev[i].v);
	}
	if (r->seq.type != TL_VALUE_NULL) {
		tl_json_put_key(b, "sequence", 0);
		json_v(b, &r->seq);
	}
	if (tags && r->tags.s) {
		tl_json_put_key(b, "tl_tags", 0);
		tl_json_put_strn(b, r->tags.s, r->tags.len);
	}
	if (g) {
		struct tl_buf arr = TL_BUF_INIT;
		tl_copies_put_array(&arr, g);
		tl_buf_addf(b, ",\"copies\":%zu", g->n);
		tl_json_put_key(b, "copies_evidence", 0);
		tl_json_put_strn(b, arr.data, arr.len);
		tl_buf_release(&arr);
	}
	tl_buf_adds(b, "}\n");
}

static void timesketch_csv_header(struct tl_buf *b, int tags, int copies)
{
	tl_buf_adds(b, "message,datetime,timestamp,timestamp_desc,data_type,family,format,ts_raw,ts_rule,ts_skew_us");
	for (int i = 0; i < TL_F_COUNT; i++)
		tl_buf_addf(b, ",%s", attr_name(i));
	tl_buf_adds(b, ",indicator,extra,evidence_path,evidence_line,evidence_offset,evidence_length,evidence_sha256,"
		       "parser,parser_version,sequence");
	tl_buf_adds(b, tags ? ",tl_tags" : "");
	tl_buf_adds(b, copies ? ",copies,copies_evidence\r\n" : "\r\n");
}

static void timesketch_csv(struct tl_buf *b, const struct tl_event_row *r, const struct tl_copy_group *g, int raw,
			   int tags, int copies)
{
	struct tl_buf t = TL_BUF_INIT;
	char when[64];
	summary(&t, r, 1);
	cell(b, t.data ? t.data : "", t.len, 1, raw, 0);
	ts_datetime(r->ts, when, sizeof(when));
	tl_buf_addf(b, ",%s,%lld," TIMESTAMP_DESC ",tl:", when, (long long)r->ts);
	tl_buf_reset(&t);
	add_val(&t, &r->format);
	cell(b, t.data ? t.data : "", t.len, 0, raw, 0);
	const struct tl_value *cols[5 + TL_F_COUNT + 9];
	size_t k = 0;
	cols[k++] = &r->family;
	cols[k++] = &r->format;
	cols[k++] = &r->ts_raw;
	cols[k++] = &r->ts_rule;
	cols[k++] = &r->ts_skew_us;
	for (int i = 0; i < TL_F_COUNT; i++)
		cols[k++] = &r->f[i];
	cols[k++] = &r->indicator;
	cols[k++] = &r->extra;
	cols[k++] = &r->path;
	cols[k++] = &r->line;
	cols[k++] = &r->offset;
	cols[k++] = &r->length;
	cols[k++] = &r->sha256;
	cols[k++] = &r->parser;
	cols[k++] = &r->parser_version;
	for (size_t c = 0; c < k; c++) {
		tl_buf_addc(b, ',');
		vcell(b, cols[c], 1, raw, 0);
	}
	tl_buf_addc(b, ',');
	vcell(b, &r->seq, 0, raw, 0);
	if (tags) {
		tl_buf_addc(b, ',');
		vcell(b, &r->tags, 1, raw, 0);
	}
	if (copies) {
		tl_buf_addf(b, ",%zu,", g ? g->n : (size_t)1);
		if (g) {
			tl_buf_reset(&t);
			tl_copies_put_array(&t, g);
			cell(b, t.data, t.len, 1, raw, 0);
		}
	}
	tl_buf_adds(b, "\r\n");
	tl_buf_release(&t);
}

/* ---- l2tcsv --------------------------------------------------------------- */

/* tl's families as l2tcsv/TLN source short names (upper case, as LOG, EVT, REG are) */
static void source_name(struct tl_buf *b, const struct tl_event_row *r)
{
	if (!r->family.s || !r->family.len) {
		tl_buf_adds(b, "LOG");
		return;
	}
	for (size_t i = 0; i < r->family.len; i++) {
		char c = r->family.s[i];
		tl_buf_addc(b, c >= 'a' && c <= 'z' ? (char)(c - 32) : c);
	}
}

/* "MM/DD/YYYY" and "HH:MM:SS" of T in UTC. */
static void l2t_date_time(tl_us t, char *date, size_t dlen, char *tod, size_t tlen)
{
	char iso[48];
	tl_time_format_iso(t, iso, sizeof(iso));
	const char *tp = strchr(iso, 'T');
	if (!tp || tp - iso < 10) {
		snprintf(date, dlen, "-");
		snprintf(tod, tlen, "-");
		return;
	}
	int ylen = (int)(tp - iso) - 6; /* "YYYY-MM-DD": the year may be wider */
	snprintf(date, dlen, "%.2s/%.2s/%.*s", tp - 5, tp - 2, ylen, iso);
	snprintf(tod, tlen, "%.8s", tp + 1);
}

static void cut_utf8(struct tl_buf *b, size_t max)
{
	if (b->len <= max)
		return;
	size_t n = max;
	while (n > 0 && ((unsigned char)b->data[n] & 0xC0) == 0x80)
		n--;
	b->len = n;
	b->data[n] = 0;
	tl_buf_adds(b, "...");
}

static void l2tcsv_row(struct tl_buf *b, const struct tl_event_row *r, const struct tl_copy_group *g, int raw)
{
	struct tl_buf t = TL_BUF_INIT;
	char date[32], tod[16], num[24];
	size_t n;
	l2t_date_time(r->ts, date, sizeof(date), tod, sizeof(tod));
	/* date,time,timezone,MACB: a log record's time is none of M, A, C, B */
	tl_buf_addf(b, "%s,%s,UTC,....,", date, tod);
	source_name(b, r);
	tl_buf_addc(b, ',');
	vcell(b, &r->format, 0, raw, 1);
	tl_buf_adds(b, "," TIMESTAMP_DESC ",");
	if (set(&r->f[TL_F_user]))
		vcell(b, &r->f[TL_F_user], 1, raw, 1);
	else
		tl_buf_addc(b, '-');
	tl_buf_addc(b, ',');
	if (set(&r->f[TL_F_host]))
		vcell(b, &r->f[TL_F_host], 1, raw, 1);
	else
		tl_buf_addc(b, '-');
	tl_buf_addc(b, ',');
	summary(&t, r, 1);
	struct tl_buf shortd = TL_BUF_INIT;
	tl_buf_add(&shortd, t.data, t.len);
	cut_utf8(&shortd, SHORT_MAX);
	cell(b, shortd.data, shortd.len, 1, raw, 1);
	tl_buf_release(&shortd);
	tl_buf_addc(b, ',');
	cell(b, t.data, t.len, 1, raw, 1);
	/* version 2 of the format; the inode of a log record is unknown */
	tl_buf_adds(b, ",2,");
	vcell(b, &r->path, 1, raw, 1);
	tl_buf_adds(b, ",-,");
	/* notes: where the record's bytes are, and its copies */
	tl_buf_reset(&t);
	tl_buf_addf(&t, "line %lld offset %lld length %lld sha256 ", (long long)r->line.i, (long long)r->offset.i,
		    (long long)r->length.i);
	add_val(&t, &r->sha256);
	if (g) {
		tl_buf_addf(&t, "; copies %zu:", g->n);
		for (size_t i = 0; i < g->listed; i++)
			tl_buf_addf(&t, " %s:%lld", g->ev[i].path, (long long)g->ev[i].line);
	}
	cell(b, t.data, t.len, 1, raw, 1);
	tl_buf_adds(b, ",tl:");
	vcell(b, &r->parser, 0, raw, 1);
	tl_buf_addc(b, ',');
	/* extra: "key: value; ..." for the fields no column above holds */
	tl_buf_reset(&t);
	for (int i = 0; i < TL_F_COUNT; i++) {
		if (i == TL_F_user || i == TL_F_host || !set(&r->f[i]))
			continue;
		const char *s = vtext(&r->f[i], num, &n);
		tl_buf_addf(&t, "%s%s: ", t.len ? "; " : "", tl_field_name((enum tl_field_id)i));
		tl_buf_add(&t, s, n);
	}
	if (r->indicator.s) {
		tl_buf_adds(&t, t.len ? "; indicator: " : "indicator: ");
		add_val(&t, &r->indicator);
	}
	tl_buf_adds(&t, t.len ? "; ts_raw: " : "ts_raw: ");
	add_val(&t, &r->ts_raw);
	tl_buf_adds(&t, "; extra: ");
	if (r->extra.s)
		tl_buf_add(&t, r->extra.s, r->extra.len);
	cell(b, t.data, t.len, 1, raw, 1);
	tl_buf_adds(b, "\r\n");
	tl_buf_release(&t);
}

/* ---- TLN ------------------------------------------------------------------ */

/* A TLN field: '|' would split it, so it becomes U+00A6 BROKEN BAR; control
 * bytes would split the line, so they become spaces. */
static void tln_field(struct tl_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '|')
			tl_buf_adds(b, "\xc2\xa6");
		else
			tl_buf_addc(b, c < 0x20 || c == 0x7f ? ' ' : (char)c);
	}
}

static void tln_row(struct tl_buf *b, const struct tl_event_row *r, const struct tl_copy_group *g)
{
	struct tl_buf t = TL_BUF_INIT;
	char num[24], iso[48];
	size_t n;
	/* whole seconds, rounded down (also before 1970) */
	tl_us sec = r->ts / TL_US_PER_SEC - (r->ts % TL_US_PER_SEC < 0);
	tl_buf_addf(b, "%lld|", (long long)sec);
	source_name(b, r);
	tl_buf_addc(b, '|');
	const struct tl_value *sys = set(&r->f[TL_F_host]) ? &r->f[TL_F_host] : &r->f[TL_F_src_host];
	const char *s = vtext(sys, num, &n);
	if (s)
		tln_field(b, s, n);
	tl_buf_addc(b, '|');
	s = vtext(&r->f[TL_F_user], num, &n);
	if (s)
		tln_field(b, s, n);
	tl_buf_addc(b, '|');
	/* the description ends with the full time and where the record is: TLN
	 * keeps seconds only */
	summary(&t, r, 1);
	tl_time_format_iso(r->ts, iso, sizeof(iso));
	tl_buf_addf(&t, " [%s ", iso);
	add_val(&t, &r->path);
	tl_buf_addf(&t, ":%lld", (long long)r->line.i);
	if (g)
		tl_buf_addf(&t, " \xc3\x97%zu", g->n);
	tl_buf_addc(&t, ']');
	tln_field(b, t.data, t.len);
	tl_buf_addc(b, '\n');
	tl_buf_release(&t);
}

/* ---- dispatch ------------------------------------------------------------- */

int tl_out_format_parse(const char *name, enum tl_out_format *fmt)
{
	static const struct {
		const char *name;
		enum tl_out_format f;
	} names[] = { { "text", TL_OUT_TEXT },		     { "csv", TL_OUT_CSV },
		      { "jsonl", TL_OUT_JSONL },	     { "timesketch", TL_OUT_TIMESKETCH },
		      { "timesketch-csv", TL_OUT_TIMESKETCH_CSV }, { "l2tcsv", TL_OUT_L2TCSV },
		      { "tln", TL_OUT_TLN } };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(names[i].name, name)) {
			*fmt = names[i].f;
			return 0;
		}
	return -1;
}

void tl_ext_header(struct tl_buf *b, enum tl_out_format fmt, int tags, int copies)
{
	if (fmt == TL_OUT_TIMESKETCH_CSV)
		timesketch_csv_header(b, tags, copies);
	else if (fmt == TL_OUT_L2TCSV)
		tl_buf_adds(b, "date,time,timezone,MACB,source,sourcetype,type,user,host,short,desc,version,filename,inode,"
			       "notes,format,extra\r\n");
}

void tl_ext_row(struct tl_buf *b, enum tl_out_format fmt, const struct tl_event_row *r, const struct tl_copy_group *g,
		int csv_raw, int tags, int copies)
{
	switch (fmt) {
	case TL_OUT_TIMESKETCH: timesketch_jsonl(b, r, g, tags); break;
	case TL_OUT_TIMESKETCH_CSV: timesketch_csv(b, r, g, csv_raw, tags, copies); break;
	case TL_OUT_L2TCSV: l2tcsv_row(b, r, g, csv_raw); break;
	case TL_OUT_TLN: tln_row(b, r, g); break;
	default: break;
	}
}
