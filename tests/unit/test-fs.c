/* Unit tests: files and folders of the base layer (src/base/fs.c): the one
 * walker and its symlink policy, the temporary file renamed into place. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "tl/util.h"

static char dir[] = "/tmp/tl-test-fs-XXXXXX";

static void put(const char *rel, const char *text)
{
	char p[512];
	struct tl_err err;
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	char d[512];
	snprintf(d, sizeof(d), "%s", p);
	*strrchr(d, '/') = 0;
	assert_int_equal(tl_mkdirs(d, &err), 0);
	assert_int_equal(tl_write_atomic(p, text, strlen(text), &err), 0);
}

static void link_to(const char *target, const char *rel)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	assert_int_equal(symlink(target, p), 0);
}

struct problems {
	char text[2048];
};

static void note(void *ctx, enum tl_walk_problem what, const char *rel, int errnum)
{
	(void)errnum;
	struct problems *p = ctx;
	size_t n = strlen(p->text);
	snprintf(p->text + n, sizeof(p->text) - n, "%d:%s;", (int)what, rel);
}

static void test_walk(void **state)
{
	(void)state;
	put("case/evidence/b.log", "b");
	put("case/evidence/a-c.log", "x");
	put("case/evidence/a/z.log", "z");
	put("case/evidence/.hidden", "h");
	put("case/other/inside.log", "i");
	put("outside.log", "o");
	link_to("../other/inside.log", "case/evidence/in-link");
	link_to("../../outside.log", "case/evidence/out-link");
	link_to("nowhere", "case/evidence/broken");
	link_to("..", "case/evidence/a/up");
	char root[512];
	snprintf(root, sizeof(root), "%s/case", dir);
	char real[4096];
	assert_non_null(realpath(root, real));

	struct tl_strlist l = TL_STRLIST_INIT;
	struct problems pr = { "" };
	struct tl_walk_opts o = { .recurse = 1, .boundary = real, .report = note, .ctx = &pr };
	tl_walk(root, "evidence", &o, &l);
	/* sorted bytewise over the whole path; hidden files kept; the inside link followed */
	const char *want[] = { "evidence/.hidden", "evidence/a-c.log", "evidence/a/z.log", "evidence/b.log",
			       "evidence/in-link" };
	assert_int_equal(l.n, 5);
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(l.v[i], want[i]);
	assert_non_null(strstr(pr.text, "2:evidence/broken;"));
	assert_non_null(strstr(pr.text, "3:evidence/out-link;"));
	assert_non_null(strstr(pr.text, "4:evidence/a/up;"));
	tl_strlist_release(&l);

	/* following links out of the boundary when asked; hidden skipped; no recursion */
	memset(&pr, 0, sizeof(pr));
	struct tl_walk_opts o2 = { .skip_hidden = 1, .follow_outside = 1, .boundary = real, .report = note, .ctx = &pr };
	tl_walk(root, "evidence", &o2, &l);
	const char *want2[] = { "evidence/a-c.log", "evidence/b.log", "evidence/in-link", "evidence/out-link" };
	assert_int_equal(l.n, 4);
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(l.v[i], want2[i]);
	tl_strlist_release(&l);

	/* a missing start is reported, not fatal */
	memset(&pr, 0, sizeof(pr));
	tl_walk(root, "nope", &o, &l);
	assert_int_equal(l.n, 0);
	assert_non_null(strstr(pr.text, "0:nope;"));
}

static void test_atomic(void **state)
{
	(void)state;
	char p[512], sha[65];
	struct tl_err err;
	struct tl_atomic_file af;
	snprintf(p, sizeof(p), "%s/out.txt", dir);
	assert_int_equal(tl_atomic_open(&af, p, &err), 0);
	fputs("abc", af.fp);
	assert_int_not_equal(access(p, F_OK), 0); /* nothing at the final name yet */
	assert_int_equal(tl_atomic_commit(&af, sha, &err), 0);
	assert_string_equal(sha, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(tl_atomic_open(&af, p, &err), 0);
	fputs("half", af.fp);
	tl_atomic_abort(&af);
	struct tl_buf b = TL_BUF_INIT;
	assert_int_equal(tl_read_file(p, 100, &b, &err), 0);
	assert_string_equal(b.data, "abc"); /* the old file, whole */
	tl_buf_release(&b);
	assert_int_equal(tl_read_file(p, 2, &b, &err), -2); /* too large, not unreadable */
	assert_non_null(strstr(err.msg, "larger than 2 bytes"));
	tl_buf_release(&b);
	struct tl_strlist l = TL_STRLIST_INIT;
	tl_dir_files(dir, 0, &l);
	assert_int_equal(l.n, 2); /* outside.log, out.txt: no temporaries left */
	tl_strlist_release(&l);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_atomic),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
