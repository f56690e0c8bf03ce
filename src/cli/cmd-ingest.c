/* tl ingest CASE [PATH...]: parse evidence into the case database. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "common.h"
#include "tl/ingest.h"
#include "tl/time.h"

static const char usage[] =
	"usage: tl ingest [options] CASE [PATH...]\n\n"
	"Parses every evidence file under PATH (default CASE/evidence; paths must lie\n"
	"inside CASE) into CASE/case.db. A relative PATH is taken relative to CASE\n"
	"when it names something there (as tl shows paths: evidence/proxy), else\n"
	"relative to the current directory. Formats are detected from content; gzip,\n"
	"bzip2, xz, lzip and zstd are read transparently; zip, tar and 7z archives are\n"
	"read in place, each member a file of its own (ARCHIVE!/MEMBER). Files already\n"
	"ingested with the same SHA-256 are skipped.\n\n"
	"Options:\n"
	"  --format NAME       use format NAME for every file (see tl formats)\n"
	"  --progress          show progress even when stderr is not a terminal\n"
	"  --no-progress       never show progress\n"
	"  --follow-symlinks   follow symbolic links that leave the case folder\n"
	"  --new-version       a file whose content changed since it was ingested\n"
	"                      replaces its old version (recorded in superseded_files)\n"
	"                      instead of being refused\n"
	"  --reparse[=FORMAT|PATH]\n"
	"                      parse unchanged files again with today's definitions\n"
	"                      (all, those of FORMAT, or those at or under PATH,\n"
	"                      relative to the case); their events and rejects are\n"
	"                      replaced. A --format given when a file was first\n"
	"                      ingested is used again (so is it by tl replay)\n"
	"  --commit-every N    rows per database transaction (default 200000); smaller\n"
	"                      values commit part-way through small files, for crash tests\n"
	"  --threads N         1: parse and store on one core; 2 or more: store on a\n"
	"                      thread of its own (default: TL_THREADS, else the\n"
	"                      number of cores). The database is the same either way.\n"
	"  --indexes WHEN      auto (default): keep the query indexes and update them\n"
	"                      when the new data is under 25% of the case, else drop\n"
	"                      them and build them once at the end; keep; rebuild\n"
	"  -q, --quiet         warnings and errors only: no summary, no line per\n"
	"                      unchanged or duplicate file\n"
	"  --timings           after the summary, the CPU (user + system) and wall\n"
	"                      seconds of each phase: load, index, copies, entities,\n"
	"                      correlation, the rest of the run, and the total\n"
	"  -h, --help          this help\n\n"
	"Exit status: 0 all records became events; 3 some records were rejected;\n"
	"4 some files were not ingested; 1 error; 2 usage.\n";

static void note_input(void *ctx, const char *rel, const char *sha256)
{
	(void)ctx;
	cli_custody_input(rel, sha256);
}

/* --timings: where the run's time went, on stderr after the summary. "other"
 * is what no phase holds: start-up, loading the definitions, closing the
 * database. Measurements only: nothing of this enters an output or the case. */
static void print_timings(const struct tl_ingest_summary *s, double cpu0, double wall0)
{
	double cpu = 0, wall = 0;
	fprintf(stderr, "timings (CPU = user + system seconds of every thread; wall = elapsed seconds):\n");
	fprintf(stderr, "  %-12s %10s %10s\n", "phase", "CPU s", "wall s");
	for (int p = 0; p < TL_INGEST_PHASES; p++) {
		fprintf(stderr, "  %-12s %10.3f %10.3f\n", tl_ingest_phase_name((enum tl_ingest_phase)p), s->phase[p].cpu,
			s->phase[p].wall);
		cpu += s->phase[p].cpu;
		wall += s->phase[p].wall;
	}
	double tcpu = tl_now_cpu() - cpu0, twall = tl_now_monotonic() - wall0;
	fprintf(stderr, "  %-12s %10.3f %10.3f\n", "other", tcpu > cpu ? tcpu - cpu : 0, twall > wall ? twall - wall : 0);
	fprintf(stderr, "  %-12s %10.3f %10.3f\n", "total", tcpu, twall);
	if (s->corr_mode && !strcmp(s->corr_mode, "incremental"))
		fprintf(stderr, "correlation: incremental (%lld subjects rebuilt; bindings: %lld kept, %lld added, %lld deleted)\n",
			(long long)s->corr_rebuilt, (long long)s->corr_kept, (long long)s->corr_added,
			(long long)s->corr_deleted);
	else if (s->corr_mode)
		fprintf(stderr, "correlation: %s%s%s%s\n", s->corr_mode, s->corr_why ? " (" : "", s->corr_why ? s->corr_why : "",
			s->corr_why ? ")" : "");
}

static int threads_arg(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);
	return *s && !*end && n >= 1 && n <= 256 ? (int)n : -1;
}

int cmd_ingest(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' }, { "progress", no_argument, NULL, 'p' },
		{ "no-progress", no_argument, NULL, 'P' }, { "follow-symlinks", no_argument, NULL, 'L' },
		{ "quiet", no_argument, NULL, 'q' }, { "threads", required_argument, NULL, 't' },
		{ "new-version", no_argument, NULL, 'N' }, { "reparse", optional_argument, NULL, 'r' }, { "commit-every", required_argument, NULL, 'C' }, { "indexes", required_argument, NULL, 'I' },
		{ "timings", no_argument, NULL, 'T' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct tl_ingest_opts o = { 0 };
	int quiet = 0, timings = 0, c;
	/* the process's clocks at start: --timings counts start-up in "other" and "total" */
	double cpu0 = 0, wall0 = tl_now_monotonic();
	o.progress = isatty(2);
	while ((c = getopt_long(argc, argv, "f:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': o.format = optarg; break;
		case 'p': o.progress = 1; break;
		case 'P': o.progress = 0; break;
		case 'L': o.follow_symlinks = 1; break;
		case 'N': o.new_version = 1; break;
		case 'r':
			o.reparse = 1;
			o.reparse_only = optarg;
			break;
		case 'C': {
			char *end;
			o.commit_every = strtol(optarg, &end, 10);
			if (*end || o.commit_every < 1)
				return cli_usage_error(usage, "--commit-every wants a number of rows, got '%s'", optarg);
			break;
		}
		case 't':
			if ((o.threads = threads_arg(optarg)) < 1)
				return cli_usage_error(usage, "--threads wants a number from 1 to 256, got '%s'", optarg);
			break;
		case 'I':
			if (!strcmp(optarg, "auto"))
				o.indexes = TL_INDEXES_AUTO;
			else if (!strcmp(optarg, "keep"))
				o.indexes = TL_INDEXES_KEEP;
			else if (!strcmp(optarg, "rebuild"))
				o.indexes = TL_INDEXES_REBUILD;
			else
				return cli_usage_error(usage, "--indexes is auto, keep or rebuild");
			break;
		case 'q': quiet = o.quiet = 1; break;
		case 'T': timings = 1; break;
		case 'h': fputs(usage, stdout); return TL_EXIT_OK;
		default: return cli_usage_error(usage, "ingest: bad option");
		}
	}
	if (optind >= argc)
		return cli_usage_error(usage, "ingest needs a case folder");
	if (!o.threads) {
		const char *env = getenv("TL_THREADS");
		long cores = sysconf(_SC_NPROCESSORS_ONLN);
		if (env && *env && (o.threads = threads_arg(env)) < 1)
			return cli_usage_error(usage, "TL_THREADS wants a number from 1 to 256, got '%s'", env);
		if (!o.threads)
			o.threads = cores >= 1 && cores <= 256 ? (int)cores : 2;
	}
	struct tl_case cs;
	struct tl_err err;
	if (cli_open_case(argv[optind], &cs))
		return TL_EXIT_ERROR;
	o.on_file = note_input;
	char tzv[32];
	cli_custody_tzdata(tl_tz_db_version(tzv, sizeof(tzv))); /* a tz release can move a DST date */
	struct tl_formats fs = TL_FORMATS_INIT;
	if (cli_load_formats(&cs, &fs)) {
		tl_case_release(&cs);
		return TL_EXIT_ERROR;
	}
	if (o.format && !tl_formats_find(&fs, o.format)) {
		tl_formats_release(&fs);
		tl_case_release(&cs);
		return cli_error("unknown format '%s' (see tl formats)", o.format);
	}
	/* tl names every path relative to the case; so may the analyst */
	size_t npaths = (size_t)(argc - optind - 1);
	char **paths = calloc(npaths + 1, sizeof(char *));
	struct tl_strlist owned = TL_STRLIST_INIT;
	for (size_t i = 0; paths && i < npaths; i++) {
		const char *p = argv[optind + 1 + i];
		char in_case[8192];
		snprintf(in_case, sizeof(in_case), "%s/%s", cs.root, p);
		paths[i] = (char *)p;
		if (p[0] != '/' && access(in_case, F_OK) == 0 && tl_strlist_add(&owned, in_case) == 0)
			paths[i] = owned.v[owned.n - 1];
	}
	struct tl_ingest_summary s;
	int rc = paths ? tl_ingest(&cs, &fs, paths, npaths, &o, &s, stderr, &err) : tl_errf(&err, "out of memory");
	free(paths);
	tl_strlist_release(&owned);
	tl_formats_release(&fs);
	tl_case_release(&cs);
	if (rc)
		return cli_error("%s", err.msg);
	if (!quiet) {
		/* grouped records (auditd) are part of another record's event: say so, so the sum adds up */
		char merged[64] = "";
		if (s.merged)
			snprintf(merged, sizeof(merged), ", %lld merged", (long long)s.merged);
		char reparsed[48] = "";
		if (s.reparsed)
			snprintf(reparsed, sizeof(reparsed), ", %lld re-parsed", (long long)s.reparsed);
		fprintf(stderr,
			"ingested %lld of %lld files (%lld unchanged, %lld duplicates, %lld unsupported, %lld failed, "
			"%lld partial%s): %lld records -> %lld events, %lld rejects%s; %lld header/blank lines; "
			"%.1f MB in %.2fs\n",
			(long long)s.ingested, (long long)s.files, (long long)s.unchanged, (long long)s.duplicates,
			(long long)s.unsupported, (long long)s.failed, (long long)s.partial, reparsed, (long long)s.records,
			(long long)s.events, (long long)s.rejects, merged, (long long)s.meta, s.bytes / 1e6, s.seconds);
	}
	if (timings)
		print_timings(&s, cpu0, wall0);
	if (s.failed || s.unsupported || s.partial)
		return TL_EXIT_PARTIAL;
	return s.rejects ? TL_EXIT_REJECTS : TL_EXIT_OK;
}
