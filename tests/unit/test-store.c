/* Unit tests: the SQLite case database (src/store/store.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tl/store.h"

static char dir[] = "/tmp/tl-test-store-XXXXXX";
static char db[256];

static int64_t scalar(struct tl_store *s, const char *sql)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(tl_store_db(s), sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void test_schema_and_rows(void **state)
{
	(void)state;
	struct tl_err err;
	struct tl_store *s = tl_store_open(db, TL_STORE_WRITE, &err);
	assert_non_null(s);
	assert_int_equal(scalar(s, "PRAGMA user_version"), TL_SCHEMA_VERSION);
	struct tl_file_info fi = { .path = "evidence/a.log", .size = 10, .mtime = 1, .sha256 = "ab", .magic = "ASCII text",
				    .compression = "none", .encoding = "utf-8", .format = "squid-native", .format_version = "1",
				    .confidence = 90, .format_rule = "detected" };
	int64_t id;
	assert_int_equal(tl_store_begin(s, &err), 0);
	assert_int_equal(tl_store_file_begin(s, &fi, &id, &err), 0);
	struct tl_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.ts = 5;
	ev.ts_raw.s = "5";
	ev.ts_raw.len = 1;
	ev.family = "proxy";
	ev.format = "squid-native";
	ev.f[TL_F_src_port].s = "443";
	ev.f[TL_F_src_port].len = 3;
	ev.f[TL_F_dst_port].s = "http";
	ev.f[TL_F_dst_port].len = 4;
	struct tl_extra x = { "k", { "v\"", 2 }, TL_V_STR };
	ev.extra = &x;
	ev.n_extra = 1;
	struct tl_prov pv = { id, 1, 0, 10, "" };
	memset(pv.sha256, 'a', 64);
	assert_int_equal(tl_store_add_event(s, &ev, &pv, &err), 0);
	assert_int_equal(tl_store_add_reject(s, &pv, "bad", "xx", 2, &err), 0);
	struct tl_file_counts fc = { .records = 2, .events = 1, .rejects = 1, .first_ts = 5, .last_ts = 5, .bytes = 10 };
	assert_int_equal(tl_store_file_end(s, id, "done", &fc, "utf-8", NULL, &err), 0);
	assert_int_equal(tl_store_commit(s, &err), 0);
	/* integer fields are stored as integers when they are integers, text otherwise */
	assert_int_equal(scalar(s, "SELECT typeof(src_port) = 'integer' AND typeof(dst_port) = 'text' FROM events"), 1);
	assert_int_equal(scalar(s, "SELECT extra = '{\"k\":\"v\\\"\"}' FROM events"), 1);
	assert_int_equal(scalar(s, "SELECT records = events + rejects FROM evidence_files"), 1);
	char path[64];
	assert_int_equal(tl_store_file_by_sha(s, "ab", path, sizeof(path), &err), 1);
	assert_string_equal(path, "evidence/a.log");
	/* starting a known file again removes the rows of the earlier attempt */
	assert_int_equal(tl_store_file_begin(s, &fi, &id, &err), 0);
	assert_int_equal(scalar(s, "SELECT count(*) FROM events"), 0);
	assert_int_equal(scalar(s, "SELECT count(*) FROM rejects"), 0);
	tl_store_close(s);
}

static void test_newer_schema_is_refused(void **state)
{
	(void)state;
	struct tl_err err;
	struct tl_store *s = tl_store_open(db, TL_STORE_WRITE, &err);
	assert_non_null(s);
	sqlite3_exec(tl_store_db(s), "PRAGMA user_version=99", NULL, NULL, NULL);
	tl_store_close(s);
	assert_null(tl_store_open(db, TL_STORE_WRITE, &err));
	assert_non_null(strstr(err.msg, "schema version 99"));
}

static void test_not_a_database(void **state)
{
	(void)state;
	struct tl_err err;
	char p[300];
	snprintf(p, sizeof(p), "%s/junk.db", dir);
	FILE *f = fopen(p, "wb");
	fputs("this is not sqlite, just text that is long enough to be a header.....................", f);
	fclose(f);
	assert_null(tl_store_open(p, TL_STORE_READONLY, &err));
	assert_non_null(strstr(err.msg, "junk.db"));
	unlink(p);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(db, sizeof(db), "%s/case.db", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char p[300];
	const char *suffix[] = { "", "-wal", "-shm" };
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", db, suffix[i]);
		unlink(p);
	}
	rmdir(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema_and_rows),
		cmocka_unit_test(test_newer_schema_is_refused),
		cmocka_unit_test(test_not_a_database),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
