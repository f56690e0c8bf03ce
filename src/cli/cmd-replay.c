/*
 * tl replay CASE [--into NEWCASE]: rebuild the case from its evidence, run
 * every step of CASE/replay.tl on the new case, and compare each output's
 * SHA-256 with the one recorded. Each step runs as its own tl process, so the
 * new case gets its own custody log as if an analyst had typed the steps.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd.h"
#include "common.h"
#include "tl/manifest.h"
#include "tl/replay.h"
#include "tl/store.h"

static const char usage[] =
	"usage: tl replay [--into NEWCASE] CASE\n\n"
	"Builds a fresh case (NEWCASE, default a new folder under /tmp) from CASE's\n"
	"evidence, config and formats, ingests it, runs every step of CASE/replay.tl\n"
	"with CASE replaced by the new case, and compares each output's SHA-256 with\n"
	"the one recorded beside the step: one MATCH/DIFFER line per output, with\n"
	"the first differing line for text. Stops before producing anything if an\n"
	"evidence file is missing. Exit status 0 all match, 5 some differ.\n";

/* Run tl (this binary) with ARGV; returns its exit status, or -1. */
static int run_tl(char **argv)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0) {
			dup2(null, 1); /* steps that print go nowhere: their files are what counts */
			close(null);
		}
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	int st;
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static int mkdirs(const char *path)
{
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(tmp, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* Copy SRC to DST keeping its mtime (yearless timestamps take their year from it). */
static int copy_file(const char *src, const char *dst)
{
	struct stat st;
	if (stat(src, &st) != 0)
		return -1;
	char dir[4200];
	snprintf(dir, sizeof(dir), "%s", dst);
	char *slash = strrchr(dir, '/');
	if (slash) {
		*slash = 0;
		if (mkdirs(dir))
			return -1;
	}
	int in = open(src, O_RDONLY | O_CLOEXEC), out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	int rc = in < 0 || out < 0 ? -1 : 0;
	char buf[65536];
	ssize_t n;
	while (!rc && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			rc = -1;
	if (in >= 0)
		close(in);
	if (out >= 0) {
		struct timespec times[2] = { st.st_atim, st.st_mtim };
		if (!rc && futimens(out, times) != 0)
			rc = -1;
		close(out);
	}
	return rc;
}

/* Evidence files the case was built from; -1 if any is missing (each named). */
static int evidence_list(const struct tl_case *c, char ***out, size_t *n)
{
	struct tl_err err;
	*out = NULL;
	*n = 0;
	struct tl_store *s = tl_store_open(c->db_path, TL_STORE_READONLY, &err);
	if (!s)
		return cli_error("%s", err.msg), -1;
	sqlite3_stmt *st;
	int missing = 0;
	if (sqlite3_prepare_v2(tl_store_db(s), "SELECT path FROM evidence_files ORDER BY path", -1, &st, NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *rel = (const char *)sqlite3_column_text(st, 0);
			char path[4200];
			struct stat sb;
			snprintf(path, sizeof(path), "%s/%s", c->root, rel);
			if (stat(path, &sb) != 0) {
				fprintf(stderr, "tl: error: replay: evidence file '%s' is missing\n", rel);
				missing = 1;
			}
			char **v = realloc(*out, (*n + 1) * sizeof(*v));
			if (!v)
				break;
			*out = v;
			v[(*n)++] = strdup(rel);
		}
		sqlite3_finalize(st);
	}
	tl_store_close(s);
	return missing ? -1 : 0;
}

/* Print the first line where two text files differ. */
static void first_difference(const char *a, const char *b)
{
	FILE *fa = fopen(a, "r"), *fb = fopen(b, "r");
	if (!fa || !fb) {
		if (fa)
			fclose(fa);
		if (fb)
			fclose(fb);
		return;
	}
	char *la = NULL, *lb = NULL;
	size_t ca = 0, cb = 0;
	long line = 0;
	for (;;) {
		ssize_t na = getline(&la, &ca, fa), nb = getline(&lb, &cb, fb);
		line++;
		if (na < 0 && nb < 0)
			break;
		if (na != nb || (na > 0 && memcmp(la, lb, (size_t)na))) {
			struct tl_buf x = TL_BUF_INIT, y = TL_BUF_INIT;
			if (na > 0)
				tl_term_escape(&x, la, (size_t)(na > 200 ? 200 : na));
			if (nb > 0)
				tl_term_escape(&y, lb, (size_t)(nb > 200 ? 200 : nb));
			printf("      first difference at line %ld:\n      - %s\n      + %s\n", line,
			       na > 0 ? x.data : "(end of file)", nb > 0 ? y.data : "(end of file)");
			tl_buf_release(&x);
			tl_buf_release(&y);
			break;
		}
	}
	free(la);
	free(lb);
	fclose(fa);
	fclose(fb);
}

static int prepare(const struct tl_case *c, const char *into, char **evidence, size_t n)
{
	struct tl_err err;
	int created;
	if (tl_case_init(into, &created, &err))
		return cli_error("%s", err.msg), -1;
	char src[4200], dst[4200];
	snprintf(src, sizeof(src), "%s", c->config_path);
	snprintf(dst, sizeof(dst), "%s/tl.json", into);
	unlink(dst);
	if (access(src, F_OK) == 0 && copy_file(src, dst))
		return cli_error("replay: cannot copy tl.json into '%s'", into), -1;
	for (size_t i = 0; i < n; i++) {
		snprintf(src, sizeof(src), "%s/%s", c->root, evidence[i]);
		snprintf(dst, sizeof(dst), "%s/%s", into, evidence[i]);
		if (copy_file(src, dst))
			return cli_error("replay: cannot copy '%s' into '%s': %s", evidence[i], into, strerror(errno)), -1;
	}
	/* the case's own formats: every *.json in CASE/formats */
	struct tl_formats fs = TL_FORMATS_INIT;
	if (tl_formats_add_dir(&fs, c->formats_dir, &err) == 0) {
		for (size_t i = 0; i < fs.n; i++) {
			const char *o = tl_format_origin(fs.v[i]);
			const char *base = strrchr(o, '/');
			snprintf(dst, sizeof(dst), "%s/formats/%s", into, base ? base + 1 : o);
			copy_file(o, dst);
		}
	}
	tl_formats_release(&fs);
	return 0;
}

int cmd_replay(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "into", required_argument, NULL, 'i' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *into = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': into = optarg; break;
		case 'h': fputs(usage, stdout); return TL_EXIT_OK;
		default: return cli_usage_error(usage, "replay: bad option");
		}
	}
	if (optind != argc - 1)
		return cli_usage_error(usage, "replay takes one case folder");
	struct tl_case cs;
	if (cli_open_case(argv[optind], &cs))
		return TL_EXIT_ERROR;
	struct tl_replay rp;
	struct tl_err err;
	char **evidence = NULL;
	size_t nev = 0;
	char tmpl[] = "/tmp/tl-replay-XXXXXX";
	int rc = TL_EXIT_OK;
	if (tl_replay_load(cs.root, &rp, &err)) {
		rc = cli_error("%s", err.msg);
		goto cleanup;
	}
	if (evidence_list(&cs, &evidence, &nev)) {
		rc = cli_error("replay stopped before producing anything: evidence is missing");
		goto cleanup_replay;
	}
	struct stat sb;
	if (into && stat(into, &sb) == 0) {
		rc = cli_error("replay: '%s' already exists; give a new folder", into);
		goto cleanup_replay;
	}
	if (!into && !(into = mkdtemp(tmpl))) {
		rc = cli_error("replay: cannot create a folder under /tmp: %s", strerror(errno));
		goto cleanup_replay;
	}
	if (prepare(&cs, into, evidence, nev)) {
		rc = TL_EXIT_ERROR;
		goto cleanup_replay;
	}
	printf("replaying %zu steps of %s/replay.tl into %s\n", rp.n, cs.root, into);
	char *ingest[] = { "tl", "ingest", "--no-progress", "--quiet", (char *)into, NULL };
	int st = run_tl(ingest);
	if (st != 0 && st != TL_EXIT_REJECTS) {
		rc = cli_error("replay: ingest of the new case exited %d", st);
		goto cleanup_replay;
	}
	long match = 0, differ = 0;
	for (size_t i = 0; i < rp.n; i++) {
		struct tl_replay_step *s = &rp.steps[i];
		char **av = calloc((size_t)s->argc + 1, sizeof(char *));
		if (!av)
			break;
		for (int k = 0; k < s->argc; k++)
			av[k] = !strcmp(s->argv[k], "CASE") ? (char *)into : s->argv[k];
		st = run_tl(av);
		free(av);
		printf("step %zu (replay.tl:%u): exit %d\n", i + 1, s->line, st);
		for (size_t k = 0; k < s->n_expect; k++) {
			char path[4200], orig[4200], sha[65];
			snprintf(path, sizeof(path), "%s/%s", into, s->expect[k].path);
			snprintf(orig, sizeof(orig), "%s/%s", cs.root, s->expect[k].path);
			if (tl_file_sha256(path, sha, &err)) {
				printf("  DIFFER %s: not produced (%s)\n", s->expect[k].path, err.msg);
				differ++;
			} else if (strcmp(sha, s->expect[k].sha256)) {
				printf("  DIFFER %s: sha256 %.16s..., recorded %.16s...\n", s->expect[k].path, sha,
				       s->expect[k].sha256);
				first_difference(orig, path);
				differ++;
			} else {
				printf("  MATCH  %s %.16s...\n", s->expect[k].path, sha);
				match++;
			}
		}
	}
	printf("replay: %ld outputs, %ld match, %ld differ\n", match + differ, match, differ);
	rc = differ ? TL_EXIT_MISMATCH : TL_EXIT_OK;
cleanup_replay:
	tl_replay_release(&rp);
cleanup:
	for (size_t i = 0; i < nev; i++)
		free(evidence[i]);
	free(evidence);
	tl_case_release(&cs);
	return rc;
}
