/*
 * Unit tests: the case store (src/store). The store's own API hides SQLite;
 * the test looks under it with a second, plain sqlite3 connection on the
 * same file (how a database was written is what these tests are about).
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

#include "tl/store.h"

static char dir[] = "/tmp/tl-test-store-XXXXXX";
static char db[256];

static int64_t scalar(struct tl_store *s, const char *sql)
{
	(void)s;
	sqlite3 *raw;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open_v2(db, &raw, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(raw, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(raw);
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
	struct tl_prov pv = { .file_id = id, .line = 1, .offset = 0, .length = 10, .sha256 = "" };
	memset(pv.sha256, 'a', 64);
	assert_int_equal(tl_store_add_event(s, &ev, &pv, &err), 0);
	assert_int_equal(tl_store_add_reject(s, &pv, "bad", "xx", 2, &err), 0);
	struct tl_file_counts fc = { .records = 2, .events = 1, .rejects = 1, .first_ts = 5, .last_ts = 5, .bytes = 10 };
	assert_int_equal(tl_store_file_end(s, id, "done", &fc, "utf-8", NULL, &err), 0);
	assert_int_equal(tl_store_commit(s, &err), 0);
	/* integer fields are stored as integers when they are integers, text otherwise */
	assert_int_equal(scalar(s, "SELECT typeof(src_port) = 'integer' AND typeof(dst_port) = 'text' FROM events"), 1);
	assert_int_equal(scalar(s, "SELECT extra = '{\"k\":\"v\\\"\"}' FROM events"), 1);
	/* the accounting as the store reads it back: rows it actually stored, not
	 * the counts this test handed it */
	struct tl_file_query fq = { .count_rows = 1 };
	const struct tl_file_rec *f;
	struct tl_store_iter *it = tl_store_files(s, &fq, &err);
	assert_non_null(it);
	assert_int_equal(tl_store_next_file(it, &f, &err), 1);
	assert_int_equal(f->stored_events, 1);
	assert_int_equal(f->stored_rejects, 1);
	assert_int_equal(f->counts.records, 2);
	assert_true(tl_store_file_balanced(f));
	assert_int_equal(tl_store_next_file(it, &f, &err), 0);
	tl_store_iter_free(it);
	assert_int_equal(scalar(s, "SELECT count(*) FROM events WHERE file_id = (SELECT id FROM evidence_files)"), 1);
	assert_int_equal(scalar(s, "SELECT count(*) FROM rejects WHERE file_id = (SELECT id FROM evidence_files)"), 1);
	/* counts that claim a row the store does not hold are found out */
	struct tl_file_info fi2 = fi;
	fi2.path = "evidence/b.log";
	fi2.sha256 = "cd";
	int64_t id2;
	assert_int_equal(tl_store_begin(s, &err), 0);
	assert_int_equal(tl_store_file_begin(s, &fi2, &id2, &err), 0);
	struct tl_file_counts lie = { .records = 2, .events = 2, .rejects = 0 };
	assert_int_equal(tl_store_file_end(s, id2, "done", &lie, NULL, NULL, &err), 0);
	assert_int_equal(tl_store_commit(s, &err), 0);
	it = tl_store_files(s, &fq, &err);
	assert_non_null(it);
	int unbalanced = 0;
	while (tl_store_next_file(it, &f, &err) == 1)
		if (!strcmp(f->path, "evidence/b.log"))
			unbalanced = !tl_store_file_balanced(f) && f->stored_events == 0;
	tl_store_iter_free(it);
	assert_true(unbalanced);
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
	tl_store_close(s);
	sqlite3 *raw;
	assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
	sqlite3_exec(raw, "PRAGMA user_version=99", NULL, NULL, NULL);
	sqlite3_close(raw);
	assert_null(tl_store_open(db, TL_STORE_WRITE, &err));
	assert_non_null(strstr(err.msg, "schema version 99"));
}

/* A database left at an older version (made by an older tl) is migrated by a
 * writer; a read-only command says how to bring it up to date. */
#define TL_STR_(x) #x
#define TL_STR(x) TL_STR_(x)

static void test_older_schema_readonly(void **state)
{
	(void)state;
	struct tl_err err;
	char side[300];
	unlink(db); /* the test before left it at version 99 */
	snprintf(side, sizeof(side), "%s-wal", db);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", db);
	unlink(side);
	struct tl_store *s = tl_store_open(db, TL_STORE_WRITE, &err);
	assert_non_null(s);
	tl_store_close(s);
	sqlite3 *raw;
	assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
	sqlite3_exec(raw, "PRAGMA user_version=2", NULL, NULL, NULL);
	sqlite3_close(raw);
	assert_null(tl_store_open(db, TL_STORE_READONLY, &err));
	assert_non_null(strstr(err.msg, "older than this tl's"));
	assert_non_null(strstr(err.msg, "run tl ingest"));
	sqlite3_open(db, &raw);
	sqlite3_exec(raw, "PRAGMA user_version=" TL_STR(TL_SCHEMA_VERSION), NULL, NULL, NULL);
	sqlite3_close(raw);
	s = tl_store_open(db, TL_STORE_READONLY, &err);
	assert_non_null(s);
	tl_store_close(s);
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

/* Rows written through the store come back through its iterators, with the
 * ingest-time facts of each file, and the accounting rule holds. */
/* Schema v9: an event's family, format, version and time rule are one
 * event_parsers row, its hash 32 bytes; the events view and the store's
 * iterator give back exactly what was written. More distinct time rules than
 * the writer remembers (1024) are looked up in SQL, with the same result. */
static void test_parser_dictionary(void **state)
{
	(void)state;
	struct tl_err err;
	char p[300], sql[300];
	snprintf(p, sizeof(p), "%s/dict.db", dir);
	struct tl_store *s = tl_store_open(p, TL_STORE_WRITE, &err);
	assert_non_null(s);
	struct tl_file_info fi = { .path = "evidence/d.log", .size = 10, .mtime = 1, .sha256 = "ef", .format = "fmt",
				   .confidence = 90, .format_rule = "detected" };
	int64_t id;
	assert_int_equal(tl_store_begin(s, &err), 0);
	assert_int_equal(tl_store_file_begin(s, &fi, &id, &err), 0);
	struct tl_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.ts_raw.s = "x";
	ev.ts_raw.len = 1;
	ev.family = "proxy";
	ev.format = "fmt";
	ev.parser_version = "2.0.0";
	struct tl_prov pv = { .file_id = id, .line = 1, .offset = 0, .length = 10, .sha256 = "" };
	const char *sha = "0123456789abcdeffedcba98765432100123456789abcdeffedcba9876543210";
	memcpy(pv.sha256, sha, 65);
	char rule[32];
	enum { RULES = 1100, EVENTS = 2 * RULES };
	for (int i = 0; i < EVENTS; i++) {
		snprintf(rule, sizeof(rule), "r-%d", i % RULES);
		ev.ts_rule = rule;
		ev.ts = i;
		pv.offset = (uint64_t)i;
		assert_int_equal(tl_store_add_event(s, &ev, &pv, &err), 0);
	}
	assert_int_equal(tl_store_commit(s, &err), 0);
	tl_store_close(s);
	char keep[256];
	snprintf(keep, sizeof(keep), "%s", db);
	snprintf(db, sizeof(db), "%s", p);
	assert_int_equal(scalar(NULL, "SELECT count(*) FROM event_parsers"), RULES);
	assert_int_equal(scalar(NULL, "SELECT count(*) FROM events WHERE ts_rule = 'r-' || (offset % 1100) AND "
				      "family = 'proxy' AND format = 'fmt' AND parser = 'fmt' AND parser_version = '2.0.0'"),
			 EVENTS);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE raw_sha256 = '%s'", sha);
	assert_int_equal(scalar(NULL, sql), EVENTS);
	assert_int_equal(scalar(NULL, "SELECT count(*) FROM event_rows WHERE typeof(raw_sha256) = 'blob' AND "
				      "length(raw_sha256) = 32"), EVENTS);
	snprintf(db, sizeof(db), "%s", keep);
	/* the iterator reads the base table: the same text */
	s = tl_store_open(p, TL_STORE_READONLY, &err);
	assert_non_null(s);
	struct tl_event_query q = { .file_id = id, .order = TL_ORDER_RECORDS };
	struct tl_store_iter *it = tl_store_events(s, &q, &err);
	assert_non_null(it);
	const struct tl_event_row *r;
	int n = 0;
	while (tl_store_next_event(it, &r, &err) == 1) {
		snprintf(rule, sizeof(rule), "r-%d", n % RULES);
		assert_int_equal(r->sha256.len, 64);
		assert_string_equal(r->sha256.s, sha);
		assert_string_equal(r->ts_rule.s, rule);
		assert_string_equal(r->family.s, "proxy");
		assert_string_equal(r->parser_version.s, "2.0.0");
		n++;
	}
	assert_int_equal(n, EVENTS);
	tl_store_iter_free(it);
	/* a family filter selects through the dictionary */
	const char *fam = "proxy", *other = "dns";
	struct tl_event_query fq = { .families = &fam, .n_families = 1, .core_only = 1 };
	it = tl_store_events(s, &fq, &err);
	assert_non_null(it);
	for (n = 0; tl_store_next_event(it, &r, &err) == 1; n++)
		;
	assert_int_equal(n, EVENTS);
	tl_store_iter_free(it);
	fq.families = &other;
	it = tl_store_events(s, &fq, &err);
	assert_non_null(it);
	assert_int_equal(tl_store_next_event(it, &r, &err), 0);
	tl_store_iter_free(it);
	tl_store_close(s);
	unlink(p);
	snprintf(p, sizeof(p), "%s/dict.db-wal", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/dict.db-shm", dir);
	unlink(p);
}

static void test_query_api(void **state)
{
	(void)state;
	struct tl_err err;
	char p[300];
	snprintf(p, sizeof(p), "%s/q.db", dir);
	struct tl_store *s = tl_store_open(p, TL_STORE_WRITE, &err);
	assert_non_null(s);
	struct tl_file_info fi = { .path = "evidence/b.log", .size = 10, .mtime = 1, .sha256 = "cd", .format = "fmt",
				   .confidence = 90, .format_rule = "detected", .definition_sha256 = "defsha",
				   .ordered_within_us = 5000000, .detection = "{\"chosen\":\"fmt\"}" };
	int64_t id;
	assert_int_equal(tl_store_begin(s, &err), 0);
	assert_int_equal(tl_store_file_begin(s, &fi, &id, &err), 0);
	struct tl_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.ts_raw.s = "x";
	ev.ts_raw.len = 1;
	ev.family = "proxy";
	ev.format = "fmt";
	struct tl_prov pv = { .file_id = id, .line = 1, .offset = 0, .length = 10, .sha256 = "" };
	memset(pv.sha256, 'a', 64);
	const char *users[] = { "alice", "bob", "alice" };
	for (int i = 0; i < 3; i++) {
		ev.ts = 30 - i * 10; /* stored in reverse time order */
		ev.f[TL_F_user].s = users[i];
		ev.f[TL_F_user].len = strlen(users[i]);
		ev.f[TL_F_dst_port].s = "443";
		ev.f[TL_F_dst_port].len = 3;
		pv.line = (uint64_t)i + 1;
		pv.offset = (uint64_t)i * 10;
		assert_int_equal(tl_store_add_event(s, &ev, &pv, &err), 0);
	}
	assert_int_equal(tl_store_add_reject(s, &pv, "bad", "x\0y", 3, &err), 0);
	struct tl_file_counts fc = { .records = 4, .events = 3, .rejects = 1, .first_ts = 10, .last_ts = 30 };
	assert_int_equal(tl_store_file_end(s, id, "done", &fc, NULL, NULL, &err), 0);
	assert_int_equal(tl_store_commit(s, &err), 0);

	const struct tl_value *v0;
	/* timeline order, and an entity filter */
	struct tl_entity alice = { "user", "alice" };
	struct tl_event_query q = { .entities = &alice, .n_entities = 1 };
	struct tl_store_iter *it = tl_store_events(s, &q, &err);
	const struct tl_event_row *r;
	assert_non_null(it);
	assert_int_equal(tl_store_next_event(it, &r, &err), 1);
	assert_int_equal(r->ts, 10);
	assert_string_equal(r->f[TL_F_user].s, "alice");
	assert_int_equal(r->f[TL_F_dst_port].type, TL_VALUE_INT);
	assert_int_equal(r->f[TL_F_dst_port].i, 443);
	assert_string_equal(r->path.s, "evidence/b.log");
	assert_int_equal(tl_store_next_event(it, &r, &err), 1);
	assert_int_equal(r->ts, 30);
	assert_int_equal(tl_store_next_event(it, &r, &err), 0);
	tl_store_iter_free(it);
	/* record order within a file */
	struct tl_event_query rq = { .file_id = id, .order = TL_ORDER_RECORDS, .core_only = 1 };
	it = tl_store_events(s, &rq, &err);
	assert_non_null(it);
	for (int64_t line = 1; line <= 3; line++) {
		assert_int_equal(tl_store_next_event(it, &r, &err), 1);
		assert_int_equal(r->line.i, line);
	}
	tl_store_iter_free(it);
	struct tl_entity bad = { "colour", "red" };
	struct tl_event_query bq = { .entities = &bad, .n_entities = 1 };
	assert_null(tl_store_events(s, &bq, &err));
	assert_non_null(strstr(err.msg, "colour"));

	/* files carry the facts ingest used, and balance */
	struct tl_file_query fq = { .count_rows = 1 };
	const struct tl_file_rec *f;
	it = tl_store_files(s, &fq, &err);
	assert_non_null(it);
	assert_int_equal(tl_store_next_file(it, &f, &err), 1);
	assert_string_equal(f->definition_sha256, "defsha");
	assert_int_equal(f->has_ordered_within, 1);
	assert_int_equal(f->ordered_within_us, 5000000);
	assert_string_equal(f->detection, "{\"chosen\":\"fmt\"}");
	assert_int_equal(f->stored_events, 3);
	assert_int_equal(f->stored_rejects, 1);
	assert_true(tl_store_file_balanced(f));
	struct tl_file_rec off = *f;
	off.stored_events = 2;
	assert_false(tl_store_file_balanced(&off));
	assert_int_equal(tl_store_next_file(it, &f, &err), 0);
	tl_store_iter_free(it);

	const struct tl_reject_row *rj;
	it = tl_store_rejects(s, 0, &err);
	assert_non_null(it);
	assert_int_equal(tl_store_next_reject(it, &rj, &err), 1);
	assert_string_equal(rj->reason, "bad");
	assert_int_equal(rj->excerpt_len, 3);
	assert_memory_equal(rj->excerpt, "x\0y", 3);
	tl_store_iter_free(it);

	/* what correlation starts from: each user once, with its count and span */
	const struct tl_entity_row *er;
	it = tl_store_entity_values(s, "user", &err);
	assert_non_null(it);
	assert_int_equal(tl_store_next_entity(it, &er, &err), 1);
	assert_string_equal(er->value, "alice");
	assert_int_equal(er->events, 2);
	assert_int_equal(er->first_ts, 10);
	assert_int_equal(er->last_ts, 30);
	assert_int_equal(tl_store_next_entity(it, &er, &err), 1);
	assert_string_equal(er->value, "bob");
	assert_int_equal(tl_store_next_entity(it, &er, &err), 0);
	tl_store_iter_free(it);
	assert_null(tl_store_entity_values(s, "colour", &err));

	struct tl_strlist used = TL_STRLIST_INIT;
	assert_int_equal(tl_store_formats_used(s, &used, &err), 0);
	assert_int_equal(used.n, 1);
	assert_string_equal(used.v[0], "fmt");
	tl_strlist_release(&used);
	/* the analyst's API: case-insensitive users, limits, tail, reverse, counts, locations, tags */
	struct tl_entity upper = { "user", "ALICE" };
	struct tl_event_query cq = { .entities = &upper, .n_entities = 1 };
	it = tl_store_events(s, &cq, &err);
	int n = 0;
	while (tl_store_next_event(it, &r, &err) == 1)
		n++;
	tl_store_iter_free(it);
	assert_int_equal(n, 2);
	cq.exact = 1;
	it = tl_store_events(s, &cq, &err);
	assert_int_equal(tl_store_next_event(it, &r, &err), 0);
	tl_store_iter_free(it);
	struct tl_event_query tq = { .limit = 1, .tail = 1 };
	it = tl_store_events(s, &tq, &err);
	assert_int_equal(tl_store_next_event(it, &r, &err), 1);
	assert_int_equal(r->ts, 30);
	assert_int_equal(tl_store_next_event(it, &r, &err), 0);
	tl_store_iter_free(it);
	struct tl_event_query rv = { .reverse = 1, .record_index = 1 };
	it = tl_store_events(s, &rv, &err);
	assert_int_equal(tl_store_next_event(it, &r, &err), 1);
	assert_int_equal(r->ts, 30);
	assert_int_equal(r->line_pos, 1);
	assert_int_equal(r->line_records, 1);
	tl_store_iter_free(it);
	int64_t eid = 0;
	assert_int_equal(tl_store_event_locate(s, "evidence/b.log", 2, 1, &eid, &err), 1);
	assert_int_equal(tl_store_event_locate(s, "evidence/b.log", 2, 2, &eid, &err), 0);
	const char *by[] = { "user", "dst_port" };
	const struct tl_count_row *cr;
	it = tl_store_counts(s, &q, by, 2, &err); /* q: the alice filter */
	assert_non_null(it);
	assert_int_equal(tl_store_next_count(it, &cr, &err), 1);
	assert_string_equal(cr->key[0].s, "alice");
	assert_int_equal(cr->key[1].i, 443);
	assert_int_equal(cr->events, 2);
	assert_int_equal(cr->first_ts, 10);
	assert_int_equal(cr->last_ts, 30);
	assert_int_equal(tl_store_next_count(it, &cr, &err), 0);
	tl_store_iter_free(it);
	const char *badkey[] = { "weekday" };
	assert_null(tl_store_counts(s, &q, badkey, 1, &err));
	assert_int_equal(tl_store_tag_add(s, "evidence/b.log", 10, "aa", "exfil", "a note", &err), 0);
	assert_int_equal(tl_store_tag_add(s, "evidence/b.log", 10, "aa", "exfil", "note 2", &err), 0);
	struct tl_event_query tg = { .tag = "exfil" };
	it = tl_store_events(s, &tg, &err);
	assert_int_equal(tl_store_next_event(it, &r, &err), 1);
	assert_int_equal(r->offset.i, 10);
	assert_string_equal(r->tags.s, "[{\"tag\":\"exfil\",\"note\":\"note 2\"}]");
	assert_int_equal(tl_store_next_event(it, &r, &err), 0);
	tl_store_iter_free(it);
	struct tl_buf args = TL_BUF_INIT;
	assert_int_equal(tl_store_search_get(s, "x", &args, &err), 0);
	assert_int_equal(tl_store_search_save(s, "x", "[\"--outcome\",\"failure\"]", &err), 0);
	assert_int_equal(tl_store_search_get(s, "x", &args, &err), 1);
	assert_string_equal(args.data, "[\"--outcome\",\"failure\"]");
	tl_buf_release(&args);
	/* address blocks, v4 and v6, through the SQL function the store registers */
	const char *cidr[][3] = { { "10.20.1.15", "10.20.0.0/16", "1" }, { "10.21.1.15", "10.20.0.0/16", "0" },
				  { "2001:db8::17", "2001:db8::/32", "1" }, { "2001:db9::17", "2001:db8::/32", "0" },
				  { "10.0.0.1", "10.0.0.1/32", "1" }, { "10.0.0.1", "10.0.0.0/33", "0" },
				  { "10.0.0.1", "2001:db8::/32", "0" }, { "1.2.3.4", "0.0.0.0/0", "1" } };
	for (size_t i = 0; i < sizeof(cidr) / sizeof(cidr[0]); i++) {
		char sql[200];
		snprintf(sql, sizeof(sql), "SELECT tl_cidr('%s', '%s')", cidr[i][0], cidr[i][1]);
		it = tl_store_query_readonly(s, sql, &err);
		assert_non_null(it);
		assert_int_equal(tl_store_next_values(it, &v0, &err), 1);
		if (strcmp(v0[0].s, cidr[i][2]))
			fail_msg("tl_cidr('%s', '%s') = %s", cidr[i][0], cidr[i][1], v0[0].s);
		tl_store_iter_free(it);
	}
	char check[64];
	assert_int_equal(tl_store_check(s, check, sizeof(check)), 0);
	assert_string_equal(check, "ok");
	tl_store_close(s);

	/* tl sql: reading is fine, writing is refused before it runs */
	s = tl_store_open(p, TL_STORE_READONLY, &err);
	assert_non_null(s);
	it = tl_store_query_readonly(s, "SELECT count(*) AS n, 'a' FROM events", &err);
	assert_non_null(it);
	const struct tl_value *v;
	assert_int_equal(tl_store_query_columns(it), 2);
	assert_string_equal(tl_store_query_column_name(it, 0), "n");
	assert_int_equal(tl_store_next_values(it, &v, &err), 1);
	assert_string_equal(v[0].s, "3");
	assert_int_equal(tl_store_next_values(it, &v, &err), 0);
	tl_store_iter_free(it);
	const char *refused[] = { "DELETE FROM events", "PRAGMA user_version=1", "ATTACH 'x.db' AS x",
				  "SELECT 1; SELECT 2", "SELECT load_extension('x')" };
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		it = tl_store_query_readonly(s, refused[i], &err);
		if (it) {
			/* load_extension is refused when it runs */
			assert_int_equal(tl_store_next_values(it, &v, &err), -1);
			tl_store_iter_free(it);
		}
	}
	tl_store_close(s);
	assert_int_equal(scalar(NULL, "SELECT 1"), 1);
	const char *suffix[] = { "", "-wal", "-shm" };
	for (int i = 0; i < 3; i++) {
		char q2[320];
		snprintf(q2, sizeof(q2), "%s%s", p, suffix[i]);
		unlink(q2);
	}
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(db, sizeof(db), "%s/case.db", dir);
	return 0;
}

/* The load runs without SQLite's foreign-key checks (a statement journal per
 * multi-row insert, src/store/store.c load_begin): the store itself must keep
 * a row from naming a file that is not the one being stored. */
static void test_file_key(void **state)
{
	(void)state;
	struct tl_err err;
	char p[300];
	snprintf(p, sizeof(p), "%s/fk.db", dir);
	struct tl_store *s = tl_store_open(p, TL_STORE_WRITE, &err);
	assert_non_null(s);
	struct tl_file_info fi = { .path = "evidence/k.log", .size = 10, .mtime = 1, .sha256 = "ab", .format = "fmt",
				   .confidence = 90, .format_rule = "detected" };
	int64_t id;
	struct tl_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.ts_raw.s = "x";
	ev.ts_raw.len = 1;
	ev.family = "proxy";
	ev.format = "fmt";
	struct tl_prov pv = { .file_id = 0, .line = 1, .offset = 0, .length = 10, .sha256 = "" };
	memset(pv.sha256, 'a', 64);
	assert_int_equal(tl_store_begin(s, &err), 0);
	/* no file begun: nothing may be stored */
	pv.file_id = 1;
	assert_int_not_equal(tl_store_add_event(s, &ev, &pv, &err), 0);
	assert_non_null(strstr(err.msg, "not the file being stored"));
	assert_int_not_equal(tl_store_add_reject(s, &pv, "bad", "x", 1, &err), 0);
	assert_int_equal(tl_store_file_begin(s, &fi, &id, &err), 0);
	/* another id than the file's, in every insert path */
	pv.file_id = id + 1;
	assert_int_not_equal(tl_store_add_event(s, &ev, &pv, &err), 0);
	assert_int_not_equal(tl_store_add_reject(s, &pv, "bad", "x", 1, &err), 0);
	pv.file_id = id;
	assert_int_equal(tl_store_add_event(s, &ev, &pv, &err), 0);
	assert_int_equal(tl_store_add_reject(s, &pv, "bad", "x", 1, &err), 0);
	struct tl_file_counts fc = { .records = 2, .events = 1, .rejects = 1, .first_ts = 0, .last_ts = 0, .bytes = 10 };
	assert_int_equal(tl_store_file_end(s, id, "done", &fc, NULL, NULL, &err), 0);
	/* once the file is finished it takes no more rows */
	assert_int_not_equal(tl_store_add_event(s, &ev, &pv, &err), 0);
	assert_int_equal(tl_store_commit(s, &err), 0);
	tl_store_close(s);
	/* only the good rows are there, and SQLite's own check is back on after
	 * a load, for the store's other writes */
	sqlite3 *raw;
	assert_int_equal(sqlite3_open(p, &raw), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(raw, "SELECT (SELECT count(*) FROM event_rows), (SELECT count(*) FROM rejects)",
					    -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 1);
	assert_int_equal(sqlite3_column_int(st, 1), 1);
	sqlite3_finalize(st);
	sqlite3_close(raw);
	s = tl_store_open(p, TL_STORE_WRITE, &err);
	assert_non_null(s);
	assert_int_equal(tl_store_begin(s, &err), 0);
	assert_int_equal(tl_store_commit(s, &err), 0);
	struct tl_store_iter *it = tl_store_query_readonly(s, "PRAGMA foreign_keys", &err);
	assert_non_null(it);
	const struct tl_value *v;
	assert_int_equal(tl_store_next_values(it, &v, &err), 1);
	assert_int_equal(v[0].type, TL_VALUE_INT);
	assert_int_equal(v[0].i, 1);
	tl_store_iter_free(it);
	tl_store_close(s);
	char q[310];
	const char *suffix[] = { "", "-wal", "-shm" };
	for (int i = 0; i < 3; i++) {
		snprintf(q, sizeof(q), "%s%s", p, suffix[i]);
		unlink(q);
	}
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
		cmocka_unit_test(test_older_schema_readonly),
		cmocka_unit_test(test_not_a_database),
		cmocka_unit_test(test_query_api),
		cmocka_unit_test(test_parser_dictionary),
		cmocka_unit_test(test_file_key),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
