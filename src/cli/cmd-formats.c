/* tl formats: list formats; tl formats test NAME FILE: show how records parse. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "common.h"
#include "tl/format.h"

static const char usage[] =
	"usage: tl formats [--case CASE]\n"
	"       tl formats test [--case CASE] [--max N] NAME|DEFINITION.json FILE\n\n"
	"Lists every format tl knows (built-in and, with --case, CASE/formats/):\n"
	"name, family, version, origin and title.\n\n"
	"'test' frames FILE with format NAME and shows, record by record, the fields\n"
	"parsed and the normalized event (or the reject reason): the tool for writing\n"
	"a format definition. NAME may be a definition file's path (./x.json): it is\n"
	"loaded beside the built-ins (and CASE's formats). A case's own formats need\n"
	"--case CASE. --max limits the records shown (default 20).\n";

/* One module call; the exit status is decided here. */
static int test_format(const struct tl_format *f, const char *path, long max)
{
	struct tl_err err;
	struct tl_format_test_counts c;
	int rc = tl_format_test(f, path, max, stdout, &c, &err);
	if (rc == -1)
		return cli_error("%s", err.msg);
	if (rc == -2)
		fprintf(stderr, "tl: error: %s\n", err.msg);
	if (c.merged)
		printf("%ld events, %ld rejects, %ld merged, %ld header/blank lines\n", c.events, c.rejects, c.merged,
		       c.meta);
	else
		printf("%ld events, %ld rejects, %ld header/blank lines\n", c.events, c.rejects, c.meta);
	return rc == -2 ? TL_EXIT_PARTIAL : c.rejects ? TL_EXIT_REJECTS : TL_EXIT_OK;
}

int cmd_formats(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "case", required_argument, NULL, 'c' }, { "max", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *case_dir = NULL;
	long max = 20;
	int c;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': case_dir = optarg; break;
		case 'm': {
			char *end;
			max = strtol(optarg, &end, 10);
			if (*end || max < 0)
				return cli_usage_error(usage, "--max wants a number of records, got '%s'", optarg);
			break;
		}
		case 'h': fputs(usage, stdout); return TL_EXIT_OK;
		default: return cli_usage_error(usage, "formats: bad option");
		}
	}
	int testing = optind < argc && !strcmp(argv[optind], "test");
	if ((testing && argc - optind != 3) || (!testing && optind != argc))
		return cli_usage_error(usage, "formats: wrong arguments");
	struct tl_case cs;
	int have_case = 0;
	if (case_dir) {
		if (cli_open_case(case_dir, &cs))
			return TL_EXIT_ERROR;
		have_case = 1;
	}
	struct tl_formats fs = TL_FORMATS_INIT;
	if (cli_load_formats(have_case ? &cs : NULL, &fs)) {
		if (have_case)
			tl_case_release(&cs);
		return TL_EXIT_ERROR;
	}
	int rc = TL_EXIT_OK;
	if (testing) {
		const char *name = argv[optind + 1];
		const struct tl_format *f = tl_formats_find(&fs, name);
		size_t nl = strlen(name);
		struct tl_err err;
		if (!f && (strchr(name, '/') || (nl > 5 && !strcmp(name + nl - 5, ".json")))) {
			/* a definition being written: test it without installing it */
			size_t before = fs.n;
			if (tl_formats_add_file(&fs, name, &err))
				rc = cli_error("%s", err.msg);
			for (size_t i = 0; !rc && fs.n > before && i < fs.n; i++)
				if (!strcmp(tl_format_origin(fs.v[i]), name))
					f = fs.v[i];
			if (f)
				cli_format_warnings(&fs, 0);
		}
		if (f) {
			rc = test_format(f, argv[optind + 2], max);
		} else if (!rc) {
			const char **names = calloc(fs.n + 1, sizeof(char *));
			for (size_t i = 0; names && i < fs.n; i++)
				names[i] = tl_format_name(fs.v[i]);
			const char *near = names ? cli_did_you_mean(name, names, fs.n) : NULL;
			rc = cli_error("unknown format '%s'%s%s%s (see tl formats%s)", name, near ? "; did you mean '" : "",
				       near ? near : "", near ? "'?" : "",
				       have_case ? "" : "; a case's own formats need --case CASE, a definition file a path");
			free(names);
		}
	} else {
		printf("%-22s %-9s %-8s %-34s %s\n", "name", "family", "version", "origin", "title");
		for (size_t i = 0; i < fs.n; i++)
			printf("%-22s %-9s %-8s %-34s %s\n", tl_format_name(fs.v[i]), tl_format_family(fs.v[i]),
			       tl_format_version(fs.v[i]), tl_format_origin(fs.v[i]), tl_format_title(fs.v[i]));
	}
	tl_formats_release(&fs);
	if (have_case)
		tl_case_release(&cs);
	return rc;
}
