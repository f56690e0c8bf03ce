/*
 * tl replay CASE [--into NEWCASE]: rebuild the case from its evidence, run
 * by run as its custody log says it was ingested, run
 * every step of CASE/replay.tl on the new case, and compare each output's
 * SHA-256 with the one recorded. Each step runs as its own tl process, so the
 * new case gets its own custody log as if an analyst had typed the steps.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
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
	"evidence, config and formats, repeating CASE's ingest runs in order, each\n"
	"with the files it took in (from CASE/custody.jsonl: binding ids depend on\n"
	"it), runs every step of CASE/replay.tl\n"
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

/* The next batch after PREV in run order (custody entry numbers; 0, files no
 * ingest read, as LONG_MAX: last), or 0 when there is none. */
static long next_batch(const struct tl_replay_files *f, long prev)
{
	long best = 0;
	for (size_t i = 0; i < f->n; i++) {
		long b = f->v[i].batch ? f->v[i].batch : LONG_MAX;
		if (b > prev && (!best || b < best))
			best = b;
	}
	return best;
}

/* Run tl ingest [--format FMT] on PATHS of INTO; a file tl cannot read is an
 * outcome (exit 4), compared afterwards, not a reason to stop. */
static int run_ingest(const char *into, const char *fmt, const struct tl_strlist *paths)
{
	struct tl_strlist args = TL_STRLIST_INIT;
	struct tl_err err;
	char path[4200];
	int bad = tl_strlist_add(&args, "tl") || tl_strlist_add(&args, "ingest") ||
		  tl_strlist_add(&args, "--no-progress") || tl_strlist_add(&args, "--quiet");
	if (fmt && !bad)
		bad = tl_strlist_add(&args, "--format") || tl_strlist_add(&args, fmt);
	bad = bad || tl_strlist_add(&args, into);
	for (size_t k = 0; !bad && k < paths->n; k++)
		bad = tl_pathf(path, sizeof(path), &err, "%s/%s", into, paths->v[k]) || tl_strlist_add(&args, path);
	char **av = bad ? NULL : calloc(args.n + 1, sizeof(*av));
	int st = -1;
	if (av) {
		for (size_t k = 0; k < args.n; k++)
			av[k] = args.v[k];
		st = run_tl(NULL, av);
	}
	free(av);
	tl_strlist_release(&args);
	if (st != 0 && st != TL_EXIT_REJECTS && st != TL_EXIT_PARTIAL)
		return cli_error("replay: ingest%s%s of the new case exited %d", fmt ? " --format " : "", fmt ? fmt : "", st);
	return 0;
}

/* Repeat one original ingest run, batch B (a custody entry number; 0: the
 * files no entry read): copy the files it took in, then ingest those the
 * analyst forced with --format, format by format, and then the rest, as
 * detected. Files of earlier runs are in the case already, as they were. */
static int ingest_run(const struct tl_case *cs, const char *into, const struct tl_replay_files *was, long b,
		      size_t k, size_t runs)
{
	struct tl_strlist copies = TL_STRLIST_INIT, fmts = TL_STRLIST_INIT, paths = TL_STRLIST_INIT;
	struct tl_err err;
	int rc = 0;
	/* in path order: an archive's members come together */
	for (size_t i = 0; !rc && i < was->n; i++)
		if (was->v[i].batch == b && (!copies.n || strcmp(copies.v[copies.n - 1], was->v[i].copy)))
			rc = tl_strlist_add(&copies, was->v[i].copy);
	for (size_t i = 0; !rc && i < was->n; i++) {
		const char *fmt = was->v[i].forced;
		int seen = 0;
		for (size_t n = 0; fmt && n < fmts.n && !seen; n++)
			seen = !strcmp(fmts.v[n], fmt);
		if (was->v[i].batch == b && fmt && !seen)
			rc = tl_strlist_add(&fmts, fmt);
	}
	if (rc) {
		rc = cli_error("out of memory");
		goto out;
	}
	char as[64] = "files no ingest read";
	if (b)
		snprintf(as, sizeof(as), "as custody entry %ld", b);
	printf("ingest run %zu of %zu (%s): %zu evidence files%s\n", k, runs, as, copies.n,
	       fmts.n ? ", some with --format" : "");
	if (tl_replay_copy_evidence(cs, into, &copies, &err)) {
		rc = cli_error("%s", err.msg);
		goto out;
	}
	/* "" for the files ingested as detected: last, as the original run had them */
	for (size_t f = 0; !rc && f <= fmts.n; f++) {
		const char *fmt = f < fmts.n ? fmts.v[f] : NULL;
		tl_strlist_release(&paths);
		for (size_t i = 0; !rc && i < was->n; i++) {
			const struct tl_replay_file *w = &was->v[i];
			if (w->batch != b || (fmt ? !w->forced || strcmp(w->forced, fmt) : w->forced != NULL))
				continue;
			if (!paths.n || strcmp(paths.v[paths.n - 1], w->copy))
				rc = tl_strlist_add(&paths, w->copy);
		}
		if (rc)
			rc = cli_error("out of memory");
		else if (paths.n)
			rc = run_ingest(into, fmt, &paths);
	}
out:
	tl_strlist_release(&copies);
	tl_strlist_release(&fmts);
	tl_strlist_release(&paths);
	return rc;
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
	int have_log;
	struct tl_strlist none = TL_STRLIST_INIT;
	if (tl_replay_batches(cs.root, &was, &have_log, &err) || tl_replay_rebuild(&cs, into, &none, &err)) {
		rc = cli_error("%s", err.msg);
		goto cleanup_replay;
	}
	printf("replaying %zu steps of %s/replay.tl into %s\n", rp.n, cs.root, into);
	/* the original ingest runs, in order, each with the files it took in:
	 * the ids of the bindings a run adds follow those of the runs before it
	 * (docs/correlation.md#stable-binding-ids). Files no ingest read (it
	 * should not happen) come last: batch 0 sorts after every entry. */
	if (!have_log && was.n)
		printf("NOTE no custody.jsonl: the evidence is ingested in one run\n");
	for (size_t i = 0; have_log && i < was.n; i++)
		if (!was.v[i].batch)
			printf("NOTE evidence %s: read by no ingest in custody.jsonl, ingested with the last run\n",
			       was.v[i].path);
	size_t runs = 0;
	for (long prev = 0, b; (b = next_batch(&was, prev)) != 0; prev = b)
		runs++;
	size_t k = 0;
	for (long prev = 0, b; (b = next_batch(&was, prev)) != 0; prev = b) {
		k++;
		if (ingest_run(&cs, into, &was, b == LONG_MAX ? 0 : b, k, runs)) {
			rc = TL_EXIT_ERROR;
			goto cleanup_replay;
		}
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
	tl_case_release(&cs);
	return rc;
}
