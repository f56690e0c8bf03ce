/*
 * Unit tests: bindings and attribution (src/analysis/correlate.c) over a case
 * database written row by row, so that each rule of docs/correlation.md is
 * checked on exactly the events it is about. Results are read back with a
 * plain sqlite3 connection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

/* the events below list only the fields they are about */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include "tl/correlate.h"
#include "tl/store.h"

#define H (3600LL * 1000000) /* an hour in microseconds */
#define T0 (1795046400LL * 1000000) /* 2026-11-19T00:00:00Z */

static char dir[] = "/tmp/tl-test-correlate-XXXXXX";
static char db[256];
static struct tl_store *s;
static int64_t file_id;
static uint64_t line;

/* The text of the first column of the first row of SQL ("" for NULL, "none" without a row). */
static const char *q(const char *sql)
{
	static char out[1024];
	sqlite3 *raw;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open_v2(db, &raw, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	if (sqlite3_prepare_v2(raw, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(raw));
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		snprintf(out, sizeof(out), "%s", t ? t : "");
	} else {
		snprintf(out, sizeof(out), "none");
	}
	sqlite3_finalize(st);
	sqlite3_close(raw);
	return out;
}

/* q() with "%llu" in SQL replaced by ID. */
static const char *qid(const char *sql, uint64_t id)
{
	char buf[1024];
	snprintf(buf, sizeof(buf), sql, (unsigned long long)id);
	return q(buf);
}

static void set(struct tl_val *v, const char *text)
{
	v->s = text;
	v->len = text ? strlen(text) : 0;
}

struct ev {
	int64_t ts;
	const char *family, *cls, *action, *outcome, *user, *host, *src_ip, *dst_ip, *extra, *session;
	const char *src_host, *src_mac;
};

/* Add E as an event of one evidence file; returns its line. */
static uint64_t add(const struct ev *e)
{
	struct tl_err err;
	struct tl_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.ts = e->ts;
	set(&ev.ts_raw, "x");
	ev.family = e->family;
	ev.format = "test";
	set(&ev.f[TL_F_class], e->cls);
	set(&ev.f[TL_F_action], e->action);
	set(&ev.f[TL_F_outcome], e->outcome);
	set(&ev.f[TL_F_user], e->user);
	set(&ev.f[TL_F_host], e->host);
	set(&ev.f[TL_F_src_ip], e->src_ip);
	set(&ev.f[TL_F_dst_ip], e->dst_ip);
	set(&ev.f[TL_F_session_id], e->session);
	set(&ev.f[TL_F_src_host], e->src_host);
	set(&ev.f[TL_F_src_mac], e->src_mac);
	const char *x = e->extra ? e->extra : "{}";
	struct tl_prov pv = { .file_id = file_id, .line = ++line, .offset = line * 100, .length = 10, .sha256 = "" };
	memset(pv.sha256, 'a', 64);
	assert_int_equal(tl_store_add_event_json(s, &ev, x, strlen(x), &pv, &err), 0);
	return line;
}

static int setup(void **state)
{
	(void)state;
	struct tl_err err;
	if (!mkdtemp(dir))
		return -1;
	snprintf(db, sizeof(db), "%s/case.db", dir);
	s = tl_store_open(db, TL_STORE_WRITE, &err);
	if (!s)
		return -1;
	struct tl_file_info fi = { .path = "evidence/t.log", .size = 1, .mtime = 1, .sha256 = "ab", .format = "test",
				    .format_rule = "detected", .compression = "none" };
	if (tl_store_begin(s, &err) || tl_store_file_begin(s, &fi, &file_id, &err))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tl_store_close(s);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return getenv("KEEP") ? 0 : system(cmd);
}

static void correlate(const struct tl_correlate_opts *o, struct tl_correlate_summary *sum)
{
	struct tl_err err;
	assert_int_equal(tl_store_commit(s, &err), 0);
	if (tl_correlate(s, o, sum, &err))
		fail_msg("tl_correlate: %s", err.msg);
	assert_int_equal(tl_store_begin(s, &err), 0);
}

static void test_rules(void **state)
{
	(void)state;
	const char *ok = "success", *auth = "authentication";
	/* SSO: from an inside address it binds, from outside it does not */
	add(&(struct ev){ T0 + 1 * H, "audit", auth, "sign-in", ok, "Alice", NULL, "10.0.0.5" });
	add(&(struct ev){ T0 + 1 * H, "audit", auth, "sign-in", ok, "carol", NULL, "198.51.100.7" });
	/* a later sign-in by bob from the same address ends alice's window there */
	add(&(struct ev){ T0 + 3 * H, "audit", auth, "sign-in", ok, "bob", NULL, "10.0.0.5" });
	/* two of erin's proxy authentications 10 minutes apart: one window */
	add(&(struct ev){ T0 + 1 * H, "proxy", "http_activity", "allow", ok, "erin", NULL, "10.0.0.9" });
	add(&(struct ev){ T0 + 1 * H + 600000000LL, "proxy", "http_activity", "allow", ok, "erin", NULL, "10.0.0.9" });
	/* a network logon (type 3) on a server from a workstation; a machine account's is ignored */
	add(&(struct ev){ T0 + 5 * H, "edr", auth, "logon", ok, "dave", "DC01", "10.0.0.20", NULL,
			  "{\"LogonType\":\"3\"}", "0x1" });
	add(&(struct ev){ T0 + 5 * H, "edr", auth, "logon", ok, "WS9$", "DC01", "10.0.0.21", NULL, "{\"LogonType\":\"3\"}" });
	/* an interactive logon ended by its logoff: host-user until the logoff */
	add(&(struct ev){ T0 + 1 * H, "edr", auth, "logon", ok, "frank", "WS-FRANK", "127.0.0.1", NULL,
			  "{\"LogonType\":\"2\"}", "0x77" });
	add(&(struct ev){ T0 + 2 * H, "edr", auth, "logoff", ok, "frank", "WS-FRANK", NULL, NULL, "{}", "0x77" });
	/* an EDR network event: WS-FRANK has 10.0.0.30 */
	add(&(struct ev){ T0 + 1 * H + 1, "edr", "network_activity", "connect", NULL, NULL, "WS-FRANK", "10.0.0.30",
			  "203.0.113.1", "{\"Initiated\":\"true\"}" });
	/* two sign-ins from one address at the same instant: a conflict */
	add(&(struct ev){ T0 + 6 * H, "audit", auth, "sign-in", ok, "gina", NULL, "10.0.0.40" });
	add(&(struct ev){ T0 + 6 * H, "audit", auth, "sign-in", ok, "hugo", NULL, "10.0.0.40" });

	/* events that name only addresses */
	uint64_t e_alice = add(&(struct ev){ T0 + 2 * H, "dns", "dns_activity", "query", NULL, NULL, NULL, "10.0.0.5", "10.0.0.53" });
	uint64_t e_bob = add(&(struct ev){ T0 + 4 * H, "dns", "dns_activity", "query", NULL, NULL, NULL, "10.0.0.5", "10.0.0.53" });
	uint64_t e_late = add(&(struct ev){ T0 + 2 * H, "flow", "network_activity", "close", NULL, NULL, NULL, "198.51.100.7", "10.0.0.9" });
	uint64_t e_dst = add(&(struct ev){ T0 + 1 * H + 700000000LL, "flow", "network_activity", "close", NULL, NULL, NULL, "203.0.113.9",
			  "10.0.0.9" });
	uint64_t e_dave = add(&(struct ev){ T0 + 6 * H, "firewall", "network_activity", "allow", NULL, NULL, "fw1", "10.0.0.20", "8.8.8.8" });
	uint64_t e_chain = add(&(struct ev){ T0 + 1 * H + 60000000LL, "proxy", "http_activity", "allow", NULL, NULL, NULL, "10.0.0.30",
			  "203.0.113.2" });
	uint64_t e_past = add(&(struct ev){ T0 + 3 * H, "proxy", "http_activity", "allow", NULL, NULL, NULL, "10.0.0.30", "203.0.113.2" });
	uint64_t e_conf = add(&(struct ev){ T0 + 6 * H + 1, "dns", "dns_activity", "query", NULL, NULL, NULL, "10.0.0.40", "10.0.0.53" });
	uint64_t e_own = add(&(struct ev){ T0 + 2 * H, "proxy", "http_activity", "allow", ok, "mallory", NULL, "10.0.0.6", "1.1.1.1" });
	uint64_t e_inv = add(&(struct ev){ T0 + 2 * H, "flow", "network_activity", "close", NULL, NULL, NULL, "10.77.0.1", "10.77.0.2" });

	static const char *const ips[] = { "10.77.0.1" };
	struct tl_inventory_entry inv[] = { { "WS-INV", "ivan", ips, 1 } };
	struct tl_correlate_opts o = { 0, 0, 0, inv, 1 };
	struct tl_correlate_summary sum;
	correlate(&o, &sum);

	/* SSO */
	assert_string_equal(q("SELECT count(*) FROM bindings WHERE subject = '198.51.100.7'"), "0");
	assert_string_equal(q("SELECT value || ' ' || source || ' ' || end_rule || ' ' || ((end_ts - start_ts) / 3600000000) "
			      "FROM bindings WHERE subject = '10.0.0.5' ORDER BY start_ts"),
			    "alice sso next-assignment 2");
	assert_string_equal(qid("SELECT value FROM attributions WHERE event_id = %llu AND kind = 'user'", e_alice), "alice");
	assert_string_equal(qid("SELECT value FROM attributions WHERE event_id = %llu AND kind = 'user'", e_bob), "bob");
	/* proxy windows merged; dst side; the window's end */
	assert_string_equal(q("SELECT events || ' ' || ((end_ts - start_ts) / 60000000) FROM bindings WHERE subject = '10.0.0.9'"),
			    "2 25");
	assert_string_equal(qid("SELECT value || ' ' || via FROM attributions WHERE event_id = %llu", e_dst), "erin dst_ip");
	assert_string_equal(qid("SELECT count(*) FROM attributions WHERE event_id = %llu", e_late), "0");
	/* logons */
	assert_string_equal(q("SELECT value || ' ' || source FROM bindings WHERE kind = 'ip-user' AND subject = '10.0.0.20'"),
			    "dave logon");
	assert_string_equal(q("SELECT count(*) FROM bindings WHERE subject = '10.0.0.21'"), "0");
	assert_string_equal(qid("SELECT value FROM attributions WHERE event_id = %llu AND kind = 'user'", e_dave), "dave");
	assert_string_equal(q("SELECT value || ' ' || end_rule || ' ' || ((end_ts - start_ts) / 3600000000) FROM bindings "
			      "WHERE kind = 'host-user'"),
			    "frank logoff 1");
	/* address -> host (EDR) -> user (logon) */
	assert_string_equal(qid("SELECT group_concat(kind || '=' || value || '/' || via, ' ') FROM "
				"(SELECT * FROM attributions WHERE event_id = %llu ORDER BY kind)",
				e_chain),
			    "host=ws-frank/src_ip user=frank/src_ip>host");
	assert_string_equal(qid("SELECT count(*) FROM attributions WHERE event_id = %llu", e_past), "0");
	/* conflict: recorded, event not attributed */
	assert_string_equal(q("SELECT count(*) || ' ' || sum(events) FROM binding_conflicts WHERE subject = '10.0.0.40'"), "1 1");
	assert_string_equal(qid("SELECT count(*) FROM attributions WHERE event_id = %llu", e_conf), "0");
	assert_int_equal(sum.conflicts, 1);
	assert_int_equal(sum.conflicted, 1);
	/* own user kept */
	assert_string_equal(qid("SELECT count(*) FROM attributions WHERE event_id = %llu AND kind = 'user'", e_own), "0");
	/* inventory: open-ended, before the evidence; the chain reaches its owner */
	assert_string_equal(q("SELECT coalesce(start_ts, 'null') || ' ' || coalesce(end_ts, 'null') || ' ' || end_rule FROM "
			      "bindings WHERE source = 'inventory' AND kind = 'ip-host'"),
			    "null null open-ended");
	assert_string_equal(qid("SELECT group_concat(kind || '=' || value, ' ') FROM (SELECT * FROM attributions WHERE "
				"event_id = %llu ORDER BY kind)",
				e_inv),
			    "host=ws-inv user=ivan");

	/* run again: the same rows, ids included */
	char before[1024];
	snprintf(before, sizeof(before), "%s",
		 q("SELECT group_concat(id || kind || subject || value, ',') FROM (SELECT * FROM bindings ORDER BY id)"));
	correlate(&o, &sum);
	assert_string_equal(q("SELECT group_concat(id || kind || subject || value, ',') FROM (SELECT * FROM bindings ORDER BY id)"),
			    before);
	/* events untouched */
	assert_string_equal(q("SELECT count(*) FROM events WHERE user IS NULL"), "10");
	assert_string_equal(q("SELECT count(*) FROM attributions"), "9");
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_rules) };
	return cmocka_run_group_tests(tests, setup, teardown);
}
