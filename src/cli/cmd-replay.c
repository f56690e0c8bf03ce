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
	"the first differing line for text. Each evidence file's outcome (ingested,\n"
	"unsupported, duplicate, its format, a --format choice) is repeated as the\n"
	"original run had it and compared: a file tl could not read then is expected,\n"
	"a different outcome is a DIFFER. CASE may be an extracted package made with\n"
	"--with-evidence (no case.db: the outcomes come from out/manifest.json).\n"
	"Stops before producing anything if an evidence file is missing.\n"
	"Exit status 0 all match, 5 some differ.\n";

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
	struct tl_strlist evidence = TL_STRLIST_INIT, missing = TL_STRLIST_INIT, forced = TL_STRLIST_INIT;
	struct tl_replay_files was = { 0 }, now = { 0 };
	char tmpl[] = "/tmp/tl-replay-XXXXXX", dbnew[4200];
	int rc = TL_EXIT_OK;
	if (tl_replay_load(cs.root, &rp, &err)) {
		rc = cli_error("%s", err.msg);
		goto cleanup;
	}
	/* what the original run made of each file: from case.db, or from the
	 * manifest of an extracted package (which has no case.db) */
	if (tl_replay_outcomes(cs.root, cs.db_path, &was, &err)) {
		rc = cli_error("replay: %s", err.msg);
		goto cleanup_replay;
	}
	for (size_t i = 0; i < was.n; i++) {
		const char *p = was.v[i].copy;
		if (evidence.n && !strcmp(evidence.v[evidence.n - 1], p))
			continue; /* an archive's members come together */
		char path[4200];
		struct stat eb;
		if (tl_pathf(path, sizeof(path), &err, "%s/%s", cs.root, p) || stat(path, &eb) != 0) {
			if (tl_strlist_add(&missing, p))
				break;
		} else if (tl_strlist_add(&evidence, p)) {
			break;
		}
	}
	for (size_t i = 0; i < missing.n; i++)
		cli_error("replay: evidence file '%s' is missing", missing.v[i]);
	if (missing.n) {
		rc = cli_error("replay stopped before producing anything: evidence is missing%s",
			       was.from_manifest ? " (a package made without --with-evidence cannot be replayed)" : "");
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
	/* the analyst's --format choices first, as they were given; then the rest
	 * as detected. A file tl could not read then is expected not to be read
	 * now (exit 4): the outcomes are compared below, file by file. */
	for (size_t i = 0; i < was.n; i++) {
		const char *fmt = was.v[i].forced;
		int seen = 0;
		for (size_t k = 0; fmt && k < forced.n && !seen; k++)
			seen = !strcmp(forced.v[k], fmt);
		if (!fmt || seen)
			continue;
		if (tl_strlist_add(&forced, fmt)) {
			rc = cli_error("out of memory");
			goto cleanup_replay;
		}
		struct tl_strlist args = TL_STRLIST_INIT;
		char path[4200];
		int bad = tl_strlist_add(&args, "tl") || tl_strlist_add(&args, "ingest") ||
			  tl_strlist_add(&args, "--no-progress") || tl_strlist_add(&args, "--quiet") ||
			  tl_strlist_add(&args, "--format") || tl_strlist_add(&args, fmt) || tl_strlist_add(&args, into);
		for (size_t k = i; !bad && k < was.n; k++) {
			if (!was.v[k].forced || strcmp(was.v[k].forced, fmt))
				continue;
			bad = tl_pathf(path, sizeof(path), &err, "%s/%s", into, was.v[k].copy) || tl_strlist_add(&args, path);
		}
		char **av = bad ? NULL : calloc(args.n + 1, sizeof(*av));
		int st = -1;
		if (av) {
			for (size_t k = 0; k < args.n; k++)
				av[k] = args.v[k];
			st = run_tl(NULL, av);
		}
		free(av);
		tl_strlist_release(&args);
		if (st != 0 && st != TL_EXIT_REJECTS && st != TL_EXIT_PARTIAL) {
			rc = cli_error("replay: ingest --format %s of the new case exited %d", fmt, st);
			goto cleanup_replay;
		}
	}
	char *ingest[] = { "tl", "ingest", "--no-progress", "--quiet", (char *)into, NULL };
	int st = run_tl(NULL, ingest);
	if (st != 0 && st != TL_EXIT_REJECTS && st != TL_EXIT_PARTIAL) {
		rc = cli_error("replay: ingest of the new case exited %d", st);
		goto cleanup_replay;
	}
	long match, differ, omatch = 0, odiffer = 0;
	if (tl_pathf(dbnew, sizeof(dbnew), &err, "%s/case.db", into) || tl_replay_outcomes(into, dbnew, &now, &err)) {
		rc = cli_error("replay: %s", err.msg);
		goto cleanup_replay;
	}
	odiffer = tl_replay_compare_outcomes(&was, &now, stdout, &omatch);
	tl_replay_run(&rp, cs.root, into, run_tl, NULL, stdout, &match, &differ);
	printf("replay: %ld outputs, %ld match, %ld differ\n", match + differ, match, differ);
	printf("replay: %zu evidence files, %ld as the original run had them, %ld differ\n", was.n, omatch, odiffer);
	rc = differ || odiffer ? TL_EXIT_MISMATCH : TL_EXIT_OK;
cleanup_replay:
	tl_replay_release(&rp);
cleanup:
	tl_replay_files_release(&was);
	tl_replay_files_release(&now);
	tl_strlist_release(&evidence);
	tl_strlist_release(&missing);
	tl_strlist_release(&forced);
	tl_case_release(&cs);
	return rc;
}
