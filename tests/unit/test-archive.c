/* Unit tests: archive members as evidence (src/ingest/archive.c). The archives
 * are written here with libarchive's writer, so each test says exactly which
 * entries (names, types, sizes) the reader meets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>

#include "tl/archive.h"
#include "tl/reader.h"

static char path[] = "/tmp/tl-test-archive-XXXXXX";

struct entry {
	const char *name;
	const char *data; /* NULL: a symlink to /etc/passwd */
	size_t len;       /* 0: strlen(data) */
};

/* Write ENTRIES as a zip (FORMAT "zip") or a tar.gz ("tar.gz"). */
static void make(const char *format, const struct entry *e, size_t n)
{
	struct archive *a = archive_write_new();
	if (!strcmp(format, "zip")) {
		assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK);
	} else {
		assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
		assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
	}
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *x = archive_entry_new();
		size_t len = e[i].data ? (e[i].len ? e[i].len : strlen(e[i].data)) : 0;
		archive_entry_copy_pathname(x, e[i].name);
		archive_entry_set_mtime(x, 1795129200, 0);
		if (e[i].data) {
			archive_entry_set_filetype(x, AE_IFREG);
			archive_entry_set_perm(x, 0644);
			archive_entry_set_size(x, (la_int64_t)len);
		} else {
			archive_entry_set_filetype(x, AE_IFLNK);
			archive_entry_set_perm(x, 0777);
			archive_entry_copy_symlink(x, "/etc/passwd");
		}
		assert_int_equal(archive_write_header(a, x), ARCHIVE_OK);
		if (len)
			assert_int_equal(archive_write_data(a, e[i].data, len), (la_ssize_t)len);
		archive_entry_free(x);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

struct seen {
	int n;
	char name[8][64];
	char sha[8][65];
	char refused[8][200];
	char status[8][16];
	char text[8][256]; /* what the reader framed (tl_archive_each only) */
	int64_t mtime[8];
};

static int collect(void *ctx, const struct tl_member *m, struct tl_archive *a, struct tl_err *err)
{
	struct seen *s = ctx;
	(void)err;
	int i = s->n++;
	snprintf(s->name[i], sizeof(s->name[i]), "%s", m->name);
	snprintf(s->sha[i], sizeof(s->sha[i]), "%s", m->sha256);
	snprintf(s->refused[i], sizeof(s->refused[i]), "%s", m->refused ? m->refused : "");
	snprintf(s->status[i], sizeof(s->status[i]), "%s", m->status ? m->status : "");
	s->mtime[i] = m->mtime;
	if (!a)
		return 0;
	/* peek twice (as ingest does), then frame from the first byte */
	char head[64];
	struct tl_err e;
	assert_true(tl_archive_peek(a, head, 4, &e) >= 0);
	long hn = tl_archive_peek(a, head, sizeof(head), &e);
	assert_true(hn >= 0);
	const struct tl_framing_spec spec = { TL_FRAME_LINES, NULL, NULL, 0 };
	struct tl_source src = { tl_archive_read, a };
	struct tl_reader *r = tl_reader_open_source(&src, &spec, &e);
	assert_non_null(r);
	struct tl_record rec;
	size_t used = 0;
	while (tl_reader_next(r, &rec, &e) == 1)
		used += (size_t)snprintf(s->text[i] + used, sizeof(s->text[i]) - used, "%.*s|", (int)rec.len, rec.text);
	tl_reader_free(r);
	return 0;
}

static void test_members_and_refusals(void **state)
{
	(void)state;
	const struct entry e[] = {
		{ "logs/a.log", "one\ntwo\n", 0 },
		{ "../../escaped.log", "x\n", 0 },
		{ "/abs.log", "x\n", 0 },
		{ "logs/link", NULL, 0 },
		{ "inner.zip", "PK\3\4 not really", 0 },
		{ "logs/a.log", "again\n", 0 },
		{ "tab\tname.log", "x\n", 0 },
	};
	make("tar.gz", e, sizeof(e) / sizeof(e[0]));
	struct seen s = { 0 };
	struct tl_err err;
	const struct tl_archive_limits lim = { 0, 0 };
	assert_int_equal(tl_archive_each(path, "t.tar.gz", &lim, collect, &s, &err), 0);
	assert_int_equal(s.n, 7);
	char want[65];
	tl_sha256_hex("one\ntwo\n", 8, want);
	assert_string_equal(s.name[0], "logs/a.log");
	assert_string_equal(s.sha[0], want);
	assert_string_equal(s.refused[0], "");
	assert_string_equal(s.text[0], "one|two|");
	assert_int_equal(s.mtime[0], 1795129200);
	assert_string_equal(s.refused[1], "its path climbs out of the archive ('..')");
	assert_string_equal(s.status[1], "failed");
	assert_non_null(strstr(s.refused[2], "its path is absolute"));
	assert_string_equal(s.refused[3], "a symbolic link to '/etc/passwd' (links are not followed)");
	assert_string_equal(s.status[3], "unsupported");
	assert_non_null(strstr(s.refused[4], "a zip archive inside the archive"));
	assert_string_equal(s.refused[5], "another member of the same name comes first in the archive");
	assert_string_equal(s.refused[6], "its name holds control characters");
}

static void test_limits(void **state)
{
	(void)state;
	static char big[200000];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\n';
	const struct entry e[] = {
		{ "big.log", big, sizeof(big) },
		{ "small.log", "fine\n", 0 },
	};
	make("zip", e, 2);
	struct seen s = { 0 };
	struct tl_err err;
	const struct tl_archive_limits lim = { 0, 100000 };
	assert_int_equal(tl_archive_each(path, "t.zip", &lim, collect, &s, &err), 0);
	assert_int_equal(s.n, 2);
	assert_non_null(strstr(s.refused[0], "limits.gzip_max_bytes"));
	assert_string_equal(s.sha[0], "");
	assert_string_equal(s.refused[1], "");
	assert_string_equal(s.text[1], "fine|");
}

static void test_scan_matches_each(void **state)
{
	(void)state;
	const struct entry e[] = { { "a.log", "1\n2\n3\n", 0 }, { "b/c.log", "4\n", 0 } };
	make("zip", e, 2);
	struct seen one = { 0 }, two = { 0 };
	struct tl_err err;
	const struct tl_archive_limits lim = { 0, 0 };
	assert_int_equal(tl_archive_scan(path, "t.zip", &lim, collect, &one, &err), 0);
	assert_int_equal(tl_archive_each(path, "t.zip", &lim, collect, &two, &err), 0);
	assert_int_equal(one.n, 2);
	assert_int_equal(two.n, 2);
	for (int i = 0; i < 2; i++) {
		assert_string_equal(one.name[i], two.name[i]);
		assert_string_equal(one.sha[i], two.sha[i]);
	}
	char fmt[64];
	assert_int_equal(tl_archive_probe(path, fmt, sizeof(fmt), &err), 1);
}

static void test_plain_and_cut(void **state)
{
	(void)state;
	char fmt[64];
	struct tl_err err;
	FILE *f = fopen(path, "wb");
	fputs("1795129200.000 5 10.0.0.1 TCP_MISS/200 1 GET http://x/ - HIER_NONE/- -\n", f);
	fclose(f);
	assert_int_equal(tl_archive_probe(path, fmt, sizeof(fmt), &err), 0);
	/* a zip cut in its second member: the first is read, the damage reported */
	static char body[4000];
	unsigned x = 12345; /* incompressible enough that deflate keeps it long */
	for (size_t i = 0; i < sizeof(body); i++)
		x = x * 1103515245u + 12345u, body[i] = (char)('!' + (x >> 16) % 90);
	const struct entry e[] = { { "a.log", "first\n", 0 }, { "b.log", body, sizeof(body) } };
	make("zip", e, 2);
	assert_int_equal(truncate(path, 2000), 0);
	struct seen s = { 0 };
	const struct tl_archive_limits lim = { 0, 0 };
	int rc = tl_archive_each(path, "cut.zip", &lim, collect, &s, &err);
	if (!(rc == 1 || (rc == 0 && s.n == 2 && s.refused[1][0])))
		fprintf(stderr, "rc %d n %d [%s] [%s] err %s\n", rc, s.n, s.refused[0], s.refused[1], err.msg);
	assert_true(rc == 1 || (rc == 0 && s.n == 2 && s.refused[1][0]));
	assert_true(s.n >= 1);
}

static int setup(void **state)
{
	(void)state;
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_members_and_refusals),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_scan_matches_each),
		cmocka_unit_test(test_plain_and_cut),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
