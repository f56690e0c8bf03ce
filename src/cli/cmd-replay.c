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
static int run_tl(void *ctx, char **argv)
{
	(void)ctx;
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
	struct tl_strlist evidence = TL_STRLIST_INIT, missing = TL_STRLIST_INIT;
	char tmpl[] = "/tmp/tl-replay-XXXXXX";
	int rc = TL_EXIT_OK;
	if (tl_replay_load(cs.root, &rp, &err)) {
		rc = cli_error("%s", err.msg);
		goto cleanup;
	}
	if (tl_replay_evidence(&cs, &evidence, &missing, &err)) {
		rc = cli_error("%s", err.msg);
		goto cleanup_replay;
	}
	for (size_t i = 0; i < missing.n; i++)
		cli_error("replay: evidence file '%s' is missing", missing.v[i]);
	if (missing.n) {
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
	if (tl_replay_rebuild(&cs, into, &evidence, &err)) {
		rc = cli_error("%s", err.msg);
		goto cleanup_replay;
	}
	printf("replaying %zu steps of %s/replay.tl into %s\n", rp.n, cs.root, into);
	/* a format the analyst forced with --format is not what detection would
	 * choose: those files are ingested first the same way */
	struct tl_store *orig = tl_store_open(cs.db_path, TL_STORE_READONLY, &err);
	struct tl_store_iter *fit = orig ? tl_store_files(orig, NULL, &err) : NULL;
	const struct tl_file_rec *f;
	while (fit && tl_store_next_file(fit, &f, &err) == 1) {
		if (!f->format_rule || strcmp(f->format_rule, "--format") || !f->format || f->container)
			continue;
		char path[8192];
		snprintf(path, sizeof(path), "%s/%s", into, f->path);
		char *one[] = { "tl", "ingest", "--no-progress", "--quiet", "--format", (char *)f->format, (char *)into, path,
				NULL };
		int fst = run_tl(NULL, one);
		if (fst != 0 && fst != TL_EXIT_REJECTS)
			cli_error("replay: ingest of '%s' with --format %s exited %d", f->path, f->format, fst);
	}
	tl_store_iter_free(fit);
	tl_store_close(orig);
	char *ingest[] = { "tl", "ingest", "--no-progress", "--quiet", (char *)into, NULL };
	int st = run_tl(NULL, ingest);
	if (st != 0 && st != TL_EXIT_REJECTS) {
		rc = cli_error("replay: ingest of the new case exited %d", st);
		goto cleanup_replay;
	}
	long match, differ;
	tl_replay_run(&rp, cs.root, into, run_tl, NULL, stdout, &match, &differ);
	printf("replay: %ld outputs, %ld match, %ld differ\n", match + differ, match, differ);
	rc = differ ? TL_EXIT_MISMATCH : TL_EXIT_OK;
cleanup_replay:
	tl_replay_release(&rp);
cleanup:
	tl_strlist_release(&evidence);
	tl_strlist_release(&missing);
	tl_case_release(&cs);
	return rc;
}
