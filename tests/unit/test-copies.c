/*
 * Unit tests: the record identities that make two events copies of one
 * occurrence (src/analysis/copies.c, docs/correlation.md#copies). The
 * end-to-end grouping is tests/cli/t1490-copies.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tl/copies.h"

static void text(struct tl_value *v, const char *s)
{
	v->type = TL_VALUE_TEXT;
	v->s = s;
	v->len = strlen(s);
}

static struct tl_event_row row(const char *format, const char *extra)
{
	struct tl_event_row r;
	memset(&r, 0, sizeof(r));
	r.ts = 1795129495907000;
	text(&r.format, format);
	text(&r.family, "audit");
	text(&r.extra, extra);
	return r;
}

/* The identity of R as text with \x1f shown as '|'. */
static int other_file;

static char *identity(const struct tl_event_row *r, int64_t *tol)
{
	static char out[512];
	struct tl_buf b = TL_BUF_INIT;
	tl_copies_identity(r, &b, tol, &other_file);
	snprintf(out, sizeof(out), "%.*s", (int)b.len, b.data ? b.data : "");
	for (char *p = out; *p; p++)
		if (*p == '\x1f')
			*p = '|';
	tl_buf_release(&b);
	return out;
}

static void test_cloud_ids(void **state)
{
	(void)state;
	int64_t tol;
	struct tl_event_row r = row("aws-cloudtrail", "{\"eventVersion\":\"1.09\",\"eventID\":\"3fcf-b182\",\"readOnly\":true}");
	assert_string_equal(identity(&r, &tol), "cloudtrail|3fcf-b182");
	assert_int_equal(tol, -1);
	assert_int_equal(other_file, 0); /* a re-delivered id is a copy even in one file */
	/* a key of the same name inside an array value is not the record's */
	r = row("aws-cloudtrail", "{\"resources\":[{\"eventID\":\"inner\"}],\"eventID\":\"outer\"}");
	assert_string_equal(identity(&r, &tol), "cloudtrail|outer");
	r = row("aws-cloudtrail", "{\"resources\":[{\"eventID\":\"inner\"}]}");
	assert_string_equal(identity(&r, &tol), "");
	r = row("aws-cloudtrail", "{\"eventID\":null}");
	assert_string_equal(identity(&r, &tol), "");
	/* M365's two forms share one namespace */
	r = row("m365-audit", "{\"Id\":\"0a45\"}");
	assert_string_equal(identity(&r, &tol), "m365|0a45");
	r = row("m365-audit-csv", "{\"UserIds\":\"x\",\"Id\":\"0a45\"}");
	assert_string_equal(identity(&r, &tol), "m365|0a45");
	r = row("okta-system-log", "{\"uuid\":\"7c0e\"}");
	assert_string_equal(identity(&r, &tol), "okta|7c0e");
	r = row("squid-native", "{\"eventID\":\"x\"}");
	assert_string_equal(identity(&r, &tol), "");
}

static void test_windows_and_zeek(void **state)
{
	(void)state;
	int64_t tol;
	struct tl_event_row a = row("evtx", "{\"System.EventRecordID\":\"5120\",\"System.Channel\":\"Microsoft-Windows-Sysmon/Operational\"}");
	a.seq.type = TL_VALUE_INT;
	a.seq.i = 5120;
	text(&a.f[TL_F_host], "WS-0231.corp.example.com");
	text(&a.f[TL_F_event_code], "1");
	char want[512];
	snprintf(want, sizeof(want), "%s", identity(&a, &tol));
	assert_int_equal(tol, 2000000);
	assert_non_null(strstr(want, "windows|microsoft-windows-sysmon/operational|"));
	assert_non_null(strstr(want, "|5120|1"));
	/* the same record forwarded: channel and computer in other case, the record id a number */
	struct tl_event_row b = row("winlogbeat-json", "{\"System.Channel\":\"MICROSOFT-Windows-Sysmon/Operational\",\"System.EventRecordID\":5120}");
	b.seq = a.seq;
	text(&b.f[TL_F_host], "ws-0231.corp.example.com");
	text(&b.f[TL_F_event_code], "1");
	assert_string_equal(identity(&b, &tol), want);
	/* another event ID under the same record number is another record */
	text(&b.f[TL_F_event_code], "3");
	assert_string_not_equal(identity(&b, &tol), want);
	/* no record number: no identity (content decides) */
	b.seq.type = TL_VALUE_NULL;
	assert_string_equal(identity(&b, &tol), "");

	struct tl_event_row z = row("zeek-conn", "{\"uid\":\"CHhAvVGS1DHFjwGM9a\",\"service\":\"ssl\"}");
	text(&z.f[TL_F_class], "network_activity");
	text(&z.f[TL_F_action], "close");
	assert_string_equal(identity(&z, &tol), "zeek|network_activity|close|CHhAvVGS1DHFjwGM9a|1795129495907000");
	assert_int_equal(tol, 0);
	assert_int_equal(other_file, 1); /* Zeek writes identical lines into one log */
}

/* What ingest notes per file for lazy keying: self when an event carries an
 * identity one file may repeat, a family bit per family, the top bit Zeek. */
static void test_scope(void **state)
{
	(void)state;
	struct tl_extra chan = { "System.Channel", { "Security", 8 }, TL_V_STR };
	struct tl_extra uid = { "uid", { "C1", 2 }, TL_V_STR };
	struct tl_event ev;
	memset(&ev, 0, sizeof(ev));
	struct tl_copies_scope squid = { 0 }, conn = { 0 }, win = { 0 }, cloud = { 0 }, audit = { 0 };
	ev.family = "proxy";
	ev.format = "squid-native";
	tl_copies_scope_add(&squid, &ev);
	tl_copies_scope_add(&squid, &ev);
	assert_int_equal(squid.self, 0);
	assert_int_equal(__builtin_popcountll(squid.families), 1);
	ev.family = "flow";
	ev.format = "zeek-conn-json";
	ev.extra = &uid;
	ev.n_extra = 1;
	tl_copies_scope_add(&conn, &ev);
	assert_int_equal(conn.self, 0); /* Zeek identities are only between files */
	assert_true(conn.families >> 63);
	assert_true((conn.families & ~((uint64_t)1 << 63) & squid.families) == 0); /* proxy and flow do not meet */
	/* a Windows record: a sequence number and a channel */
	ev.family = "edr";
	ev.format = "winlogbeat-json";
	ev.extra = &chan;
	tl_copies_scope_add(&win, &ev);
	assert_int_equal(win.self, 0); /* no sequence: content decides, between files */
	ev.has_seq = 1;
	ev.seq = 5123;
	tl_copies_scope_add(&win, &ev);
	assert_int_equal(win.self, 1);
	/* an auditd serial is a sequence without a channel */
	ev.family = "hids";
	ev.format = "auditd";
	ev.extra = NULL;
	ev.n_extra = 0;
	tl_copies_scope_add(&audit, &ev);
	assert_int_equal(audit.self, 0);
	ev.has_seq = 0;
	ev.family = "audit";
	ev.format = "aws-cloudtrail";
	tl_copies_scope_add(&cloud, &ev);
	assert_int_equal(cloud.self, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cloud_ids),
		cmocka_unit_test(test_windows_and_zeek),
		cmocka_unit_test(test_scope),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
