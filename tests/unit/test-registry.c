/* Unit tests for include/tl/registry.h: the C parser table checked whole, and
 * record grouping (auditd) through the generic tl_parse_* entry points. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sqlite3.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "format-internal.h"
#include "tl/case.h"
#include "tl/format.h"
#include "tl/ingest.h"
#include "tl/registry.h"
#include "tl/store.h"

/* Parse TEXT ('\n' between records) as ingest does; count what comes out. */
struct run {
	int events, rejects, merged, pending, meta;
	char first_reason[256];
	char codes[16][128]; /* event_code of the first events, in the order they came out */
	uint64_t lines[16];  /* provenance line of those events */
};

static void count(struct run *out, enum tl_parse_status st, const struct tl_event *ev, uint64_t line,
		  const struct tl_err *err)
{
	if (st == TL_PARSE_EVENT) {
		if (out->events < 16) {
			snprintf(out->codes[out->events], sizeof(out->codes[0]), "%.*s",
				 (int)ev->f[TL_F_event_code].len, ev->f[TL_F_event_code].s ? ev->f[TL_F_event_code].s : "");
			out->lines[out->events] = line;
		}
		out->events++;
	} else if (st == TL_PARSE_REJECT) {
		if (!out->rejects)
			snprintf(out->first_reason, sizeof(out->first_reason), "%s", err->msg);
		out->rejects++;
	}
}

static void run_text(const struct tl_format *f, const char *text, struct run *out)
{
	struct tl_time_ctx tctx;
	struct tl_err err;
	memset(out, 0, sizeof(*out));
	tl_time_ctx_init(&tctx, NULL, "default", 0, 0);
	struct tl_parse *p = tl_parse_new(f, &tctx, &err);
	assert_non_null(p);
	const char *s = text;
	uint64_t line = 0;
	struct tl_event ev;
	struct tl_record origin;
	enum tl_parse_status st;
	while (*s) {
		const char *e = strchr(s, '\n');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		char *copy = strndup(s, n);
		assert_non_null(copy);
		struct tl_record rec;
		memset(&rec, 0, sizeof(rec));
		rec.text = rec.raw = copy;
		rec.len = rec.raw_len = rec.length = n;
		rec.line = ++line;
		st = tl_parse_record(p, &rec, &ev, &err);
		if (st == TL_PARSE_MERGED)
			out->merged++;
		else if (st == TL_PARSE_PENDING)
			out->pending++;
		else if (st == TL_PARSE_META)
			out->meta++;
		else
			count(out, st, &ev, rec.line, &err);
		free(copy);
		while ((st = tl_parse_ready(p, &ev, &origin, &err)) != TL_PARSE_META)
			count(out, st, &ev, origin.line, &err);
		s += n + (e != NULL);
	}
	tl_parse_finish(p);
	while ((st = tl_parse_ready(p, &ev, &origin, &err)) != TL_PARSE_META)
		count(out, st, &ev, origin.line, &err);
	tl_parse_free(p);
}

static int exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* The table, whole: what a new parser must bring the day it lands. */
static void test_table(void **state)
{
	(void)state;
	struct tl_formats fs = TL_FORMATS_INIT;
	struct tl_err err;
	const char *src = getenv("TL_SOURCE_DIR");
	assert_int_equal(tl_formats_add_builtin(&fs, &err), 0);
	assert_true(tl_c_parser_count >= 1);
	for (size_t i = 0; i < tl_c_parser_count; i++) {
		const struct tl_c_parser *cp = tl_c_parsers[i];
		assert_int_equal(cp->abi, TL_PARSER_ABI);
		assert_non_null(cp->name);
		for (const char *c = cp->name; *c; c++)
			assert_true((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-');
		if (i && strcmp(tl_c_parsers[i - 1]->name, cp->name) >= 0)
			fail_msg("registry not sorted or names repeated at '%s'", cp->name);
		/* found by name as a format, and not shadowing a definition */
		const struct tl_format *f = tl_formats_find(&fs, cp->name);
		assert_non_null(f);
		assert_string_equal(tl_format_family(f), cp->family);
		assert_string_equal(tl_format_version(f), cp->version);
		assert_int_equal(tl_format_ordered_within(f), cp->ordered_within_us);
		/* every sample parses: at least one event, no reject, end-of-file flush included;
		 * only a parser that reads its own (binary) files may come without samples */
		if (!cp->open && (!cp->samples || !cp->samples[0]))
			fail_msg("C parser %s has no samples", cp->name);
		for (const char *const *sm = cp->samples; sm && *sm; sm++) {
			struct run r;
			run_text(f, *sm, &r);
			if (!r.events || r.rejects)
				fail_msg("%s: sample %zu: %d events, %d rejects (%s)", cp->name, (size_t)(sm - cp->samples),
					 r.events, r.rejects, r.first_reason);
			/* and is recognised as its own format */
			int score;
			const struct tl_format *d = tl_formats_detect(&fs, *sm, strlen(*sm), &score);
			if (d != f)
				fail_msg("%s: sample %zu detected as %s", cp->name, (size_t)(sm - cp->samples),
					 d ? tl_format_name(d) : "nothing");
		}
		if (!src)
			continue;
		char p[1024];
		snprintf(p, sizeof(p), "%s/fixtures/%s/%s", src, cp->family, cp->name);
		if (!exists(p))
			fail_msg("C parser %s has no fixtures at %s", cp->name, p);
		snprintf(p, sizeof(p), "%s/docs/formats/%s.md", src, cp->name);
		if (!exists(p))
			fail_msg("C parser %s has no docs page %s", cp->name, p);
		if (cp->source) {
			snprintf(p, sizeof(p), "%s/%s", src, cp->source);
			if (!exists(p))
				fail_msg("C parser %s names a source %s that does not exist", cp->name, p);
		}
		/* the fuzz harness covers the registry by construction; a seed naming the parser must exist */
		char seed[1024];
		snprintf(seed, sizeof(seed), "%s/tests/fuzz/regressions/records", src);
		int found = 0;
		DIR *d = opendir(seed);
		struct dirent *de;
		size_t nl = strlen(cp->name);
		while (d && (de = readdir(d)))
			found |= !strncmp(de->d_name, cp->name, nl) && de->d_name[nl] == '-';
		if (d)
			closedir(d);
		if (!found)
			fail_msg("C parser %s has no fuzz seed tests/fuzz/regressions/records/%s-*", cp->name, cp->name);
	}
	/* the harness iterates the registry, so it cannot forget a parser */
	if (src) {
		char p[1024];
		static char buf[1 << 20]; /* the harness's table grows with every format */
		snprintf(p, sizeof(p), "%s/tests/fuzz/fuzz-records.c", src);
		FILE *fp = fopen(p, "r");
		assert_non_null(fp);
		size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
		buf[n] = 0;
		fclose(fp);
		assert_non_null(strstr(buf, "tl_c_parsers[i]"));
	}
	tl_formats_release(&fs);
}

/* Interleaved serials, an unterminated group and a garbled line: records =
 * events + rejects + merged, and each event comes out whole. */
static void test_auditd_grouping(void **state)
{
	(void)state;
	struct tl_formats fs = TL_FORMATS_INIT;
	struct tl_err err;
	assert_int_equal(tl_formats_add_builtin(&fs, &err), 0);
	const struct tl_format *f = tl_formats_find(&fs, "auditd");
	assert_non_null(f);
	struct run r;
	run_text(f,
		 "type=SYSCALL msg=audit(1795129200.101:21): syscall=59 success=yes pid=2 auid=1000 uid=0 exe=\"/bin/sh\"\n"
		 "type=SYSCALL msg=audit(1795129200.102:22): syscall=2 success=no pid=3 auid=1001 uid=1001 exe=\"/bin/cat\"\n"
		 "type=EXECVE msg=audit(1795129200.101:21): argc=2 a0=\"sh\" a1=2D632069640A\n"
		 "type=PATH msg=audit(1795129200.102:22): item=0 name=\"/etc/shadow\" nametype=NORMAL\n"
		 "type=EOE msg=audit(1795129200.101:21): \n"
		 "type=USER_LOGIN msg=audit(1795129201.000:23): pid=9 uid=0 auid=1000 ses=4 msg='op=login acct=\"alice\" res=success'\n"
		 "garbage that is no audit record\n"
		 "\n"
		 "type=PROCTITLE msg=audit(1795129200.102:22): proctitle=636174002F6574632F736861646F77\n",
		 &r);
	assert_int_equal(r.events, 3);
	assert_int_equal(r.rejects, 1);
	assert_int_equal(r.meta, 1);
	assert_int_equal(r.pending, 2);
	assert_int_equal(r.merged, 4);
	/* records (9 lines - 1 blank) = events + rejects + merged */
	assert_int_equal(8, r.events + r.rejects + r.merged);
	assert_string_equal(r.codes[0], "SYSCALL,EXECVE");  /* closed by its EOE */
	assert_int_equal(r.lines[0], 1);
	assert_string_equal(r.codes[1], "USER_LOGIN");      /* one record, out at once */
	assert_string_equal(r.codes[2], "SYSCALL,PATH,PROCTITLE"); /* flushed at end of file */
	assert_int_equal(r.lines[2], 2);
	assert_non_null(strstr(r.first_reason, "not an audit record"));

	/* more open groups than the cap: the oldest close, none is lost */
	char *big = malloc(300 * 80);
	assert_non_null(big);
	size_t n = 0;
	for (int i = 0; i < 300; i++)
		n += (size_t)snprintf(big + n, 300 * 80 - n, "type=SYSCALL msg=audit(1795129200.%03d:%d): pid=%d\n", i % 1000,
				      i + 1, i);
	run_text(f, big, &r);
	free(big);
	assert_int_equal(r.events, 300);
	assert_int_equal(r.pending, 300);
	tl_formats_release(&fs);
}

/* A definition has none of the grouping or file powers: the generic calls are no-ops. */
static void test_definitions_do_not_group(void **state)
{
	(void)state;
	struct tl_formats fs = TL_FORMATS_INIT;
	struct tl_err err;
	assert_int_equal(tl_formats_add_builtin(&fs, &err), 0);
	const struct tl_format *f = tl_formats_find(&fs, "squid-native");
	assert_non_null(f);
	struct tl_time_ctx tctx;
	tl_time_ctx_init(&tctx, NULL, "default", 0, 0);
	struct tl_parse *p = tl_parse_new(f, &tctx, &err);
	assert_non_null(p);
	assert_int_equal(tl_parse_open(p, "/nonexistent", &err), 0);
	struct tl_event ev;
	struct tl_record origin;
	assert_int_equal(tl_parse_ready(p, &ev, &origin, &err), TL_PARSE_META);
	tl_parse_finish(p);
	assert_int_equal(tl_parse_ready(p, &ev, &origin, &err), TL_PARSE_META);
	tl_parse_free(p);
	tl_formats_release(&fs);
}

/*
 * A parser that reads its file itself and keeps per-file state: records are
 * NUL-terminated "EPOCH USER" strings (a stand-in for a binary format read
 * through a library, as EVTX through libevtx would be).
 */
struct toy {
	FILE *fp;
	uint64_t pos, n;
	char buf[256];
	long users_seen; /* per-file state */
};

static void *toy_new(struct tl_err *err)
{
	struct toy *t = calloc(1, sizeof(*t));
	if (!t)
		tl_errf(err, "out of memory");
	return t;
}

static void toy_free(void *st)
{
	struct toy *t = st;
	if (t && t->fp)
		fclose(t->fp);
	free(t);
}

static int toy_open(void *st, const char *path, struct tl_err *err)
{
	struct toy *t = st;
	t->fp = fopen(path, "rb");
	return t->fp ? 0 : tl_errf(err, "cannot open '%s'", path);
}

static int toy_next(void *st, struct tl_record *rec, struct tl_err *err)
{
	struct toy *t = st;
	size_t n = 0;
	int c;
	(void)err;
	while ((c = fgetc(t->fp)) != EOF && c != 0 && n < sizeof(t->buf) - 1)
		t->buf[n++] = (char)c;
	if (c == EOF && n == 0)
		return 0;
	t->buf[n] = 0;
	memset(rec, 0, sizeof(*rec));
	rec->text = rec->raw = t->buf;
	rec->len = rec->raw_len = rec->length = n;
	rec->line = ++t->n; /* record number */
	rec->offset = t->pos;
	tl_sha256_hex(t->buf, n, rec->sha256);
	t->pos += n + (c == 0);
	return 1;
}

static uint64_t toy_pos(const void *st)
{
	return ((const struct toy *)st)->pos;
}

static enum tl_parse_status toy_parse(void *st, struct tl_parse *p, const struct tl_record *rec,
				      struct tl_event *ev, struct tl_err *err)
{
	struct toy *t = st;
	const char *sp = memchr(rec->text, ' ', rec->len);
	char rule[96];
	if (!sp || tl_time_parse(tl_parse_time(p), "epoch_s", rec->text, (size_t)(sp - rec->text), &ev->ts, rule,
				 sizeof(rule)))
		return tl_errf(err, "toy: expected 'EPOCH USER'"), TL_PARSE_REJECT;
	char n[32];
	snprintf(n, sizeof(n), "%ld", ++t->users_seen);
	ev->ts_raw.s = rec->text;
	ev->ts_raw.len = (size_t)(sp - rec->text);
	ev->ts_rule = "utc";
	if (tl_parse_set(p, ev, TL_F_user, sp + 1, rec->len - (size_t)(sp - rec->text) - 1) ||
	    tl_parse_extra(p, ev, "nth", n, strlen(n), TL_V_NUM))
		return tl_errf(err, "out of memory"), TL_PARSE_REJECT;
	return TL_PARSE_EVENT;
}

static int toy_probe(const char *head, size_t len)
{
	return len > 4 && !memcmp(head, "TOY!", 4) ? 100 : 0;
}

static const char *const toy_samples[] = { "1795129200 alice", NULL };
static const struct tl_c_parser toy_parser = {
	.abi = TL_PARSER_ABI, .name = "toy-file", .family = "edr", .version = "0.1", .title = "test",
	.samples = toy_samples, .probe = toy_probe, .state_new = toy_new, .state_free = toy_free,
	.parse = toy_parse, .open = toy_open, .next = toy_next, .pos = toy_pos,
};

/* Ingest hands the file to a parser that owns its I/O, and the records it
 * makes carry the provenance it gives them. */
static void test_parser_reads_its_file(void **state)
{
	(void)state;
	char root[] = "/tmp/tl-registry-XXXXXX";
	assert_non_null(mkdtemp(root));
	struct tl_err err;
	int created;
	assert_int_equal(tl_case_init(root, &created, &err), 0);
	char path[512];
	snprintf(path, sizeof(path), "%s/evidence/x.toy", root);
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	fwrite("1795129200 alice\0" "bogus\0" "1795129201 bob", 1, 37, fp);
	fclose(fp);

	struct tl_formats fs = TL_FORMATS_INIT;
	struct tl_format *f = tl_format_from_parser(&toy_parser, &err);
	assert_non_null(f);
	fs.v = malloc(sizeof(*fs.v));
	assert_non_null(fs.v);
	fs.v[0] = f;
	fs.n = 1;
	struct tl_case c;
	assert_int_equal(tl_case_open(root, &c, &err), 0);
	struct tl_ingest_opts o = { 0 };
	o.format = "toy-file";
	o.threads = 1;
	struct tl_ingest_summary sum;
	FILE *log = fopen("/dev/null", "w");
	assert_int_equal(tl_ingest(&c, &fs, NULL, 0, &o, &sum, log, &err), 0);
	fclose(log);
	assert_int_equal(sum.records, 3);
	assert_int_equal(sum.events, 2);
	assert_int_equal(sum.rejects, 1);
	assert_int_equal(sum.bytes, 37);
	/* a look under the store, with a plain connection of the test's own */
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(c.db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT line, offset, length, user, json_extract(extra, '$.nth') FROM events ORDER BY line",
					    -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(st, 0), 1);
	assert_int_equal(sqlite3_column_int64(st, 1), 0);
	assert_int_equal(sqlite3_column_int64(st, 2), 16);
	assert_string_equal((const char *)sqlite3_column_text(st, 3), "alice");
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(st, 0), 3);
	assert_int_equal(sqlite3_column_int64(st, 1), 23);
	assert_string_equal((const char *)sqlite3_column_text(st, 3), "bob");
	assert_int_equal(sqlite3_column_int64(st, 4), 2); /* state lived across the file */
	sqlite3_finalize(st);
	sqlite3_close(db);
	tl_case_release(&c);
	tl_formats_release(&fs);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_auditd_grouping),
		cmocka_unit_test(test_definitions_do_not_group),
		cmocka_unit_test(test_parser_reads_its_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
