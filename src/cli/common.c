/* Shared command helpers (see common.h). */
#define _POSIX_C_SOURCE 200809L
#include "common.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "tl/custody.h"
#include "tl/grow.h"
#include "tl/replay.h"

void cli_format_warnings(const struct tl_formats *fs, size_t from)
{
	/* the built-ins are checked by their fixtures; an analyst's own are not */
	for (size_t i = from; i < fs->n; i++) {
		if (!strncmp(tl_format_origin(fs->v[i]), "builtin:", 8))
			continue;
		const char *const *w;
		size_t n = tl_format_warnings(fs->v[i], &w);
		for (size_t k = 0; k < n; k++)
			fprintf(stderr, "tl: warning: %s\n", w[k]);
	}
}

int cli_load_formats(const struct tl_case *c, struct tl_formats *fs)
{
	struct tl_err err;
	if (tl_formats_add_builtin(fs, &err) || (c && tl_formats_add_dir(fs, c->formats_dir, &err))) {
		cli_error("%s", err.msg);
		tl_formats_release(fs);
		return -1;
	}
	cli_format_warnings(fs, 0);
	return 0;
}

/* What the running command did; one command per process, so a static will do. */
static struct {
	char *root;
	const char *case_arg; /* the argv element naming the case, for replay.tl */
	char config[65];
	char tzdata[32];
	struct tl_custody_file *files[2];
	size_t n[2], cap[2];
	int annotates;        /* changed the case's annotations: a replay step without outputs */
	int replace_at;       /* argv index whose word replay.tl records as REPLACE_WITH */
	char *replace_with;
	char *annotation;     /* the custody entry's "annotation" object */
} run;

void cli_custody_annotates(int argv_index, const char *word, const char *json)
{
	run.annotates = 1;
	free(run.annotation);
	run.annotation = json ? strdup(json) : NULL;
	free(run.replace_with);
	run.replace_with = word ? strdup(word) : NULL;
	run.replace_at = word ? argv_index : 0;
}

void cli_custody_case(const char *root, const char *config_sha256)
{
	free(run.root);
	run.root = strdup(root);
	snprintf(run.config, sizeof(run.config), "%s", config_sha256 ? config_sha256 : "");
}

static void note(int which, const char *relpath, const char *sha256)
{
	struct tl_custody_file *v = tl_grow(run.files[which], &run.cap[which], run.n[which] + 1, sizeof(*v), 16);
	if (!v)
		return;
	run.files[which] = v;
	struct tl_custody_file *f = &run.files[which][run.n[which]];
	f->path = strdup(relpath);
	if (!f->path)
		return;
	snprintf(f->sha256, sizeof(f->sha256), "%s", sha256);
	run.n[which]++;
}

void cli_custody_tzdata(const char *version)
{
	snprintf(run.tzdata, sizeof(run.tzdata), "%s", version);
}

void cli_custody_input(const char *relpath, const char *sha256)
{
	note(0, relpath, sha256);
}

void cli_custody_output(const char *relpath, const char *sha256)
{
	note(1, relpath, sha256);
}

void cli_custody_finish(int argc, char **argv, int exit_code)
{
	if (!run.root)
		return;
	struct tl_custody_entry e = {
		argc, argv, TL_VERSION, tl_build_id, run.config, run.files[0], run.n[0], run.files[1], run.n[1],
		NULL, exit_code, run.tzdata[0] ? run.tzdata : NULL, exit_code == TL_EXIT_OK ? run.annotation : NULL,
	};
	struct tl_err err;
	if (tl_custody_append(run.root, &e, NULL, &err))
		fprintf(stderr, "tl: error: %s\n", err.msg);
	/* an analysis step that wrote into out/ can be replayed */
	if (exit_code == TL_EXIT_OK && (run.n[1] || run.annotates) && run.case_arg && argc > 1 &&
	    tl_replay_is_step(argv[1])) {
		/* argv[0] is "tl"; the command's own argv starts at 1 */
		char *keep = run.replace_at > 0 && run.replace_at + 1 < argc ? argv[run.replace_at + 1] : NULL;
		if (keep)
			argv[run.replace_at + 1] = run.replace_with;
		if (tl_replay_append(run.root, argc, argv, run.case_arg, run.files[1], run.n[1], &err))
			fprintf(stderr, "tl: warning: %s\n", err.msg);
		if (keep)
			argv[run.replace_at + 1] = keep;
	}
	free(run.replace_with);
	free(run.annotation);
	for (int w = 0; w < 2; w++) {
		for (size_t i = 0; i < run.n[w]; i++)
			free((char *)run.files[w][i].path);
		free(run.files[w]);
	}
	free(run.root);
	memset(&run, 0, sizeof(run));
}

int cli_open_case(const char *path, struct tl_case *c)
{
	struct tl_err err;
	if (tl_case_open(path, c, &err)) {
		cli_error("%s", err.msg);
		return -1;
	}
	cli_custody_case(c->root, c->cfg.sha256);
	run.case_arg = path;
	return 0;
}

static int name_ok(const char *name)
{
	if (!*name || name[0] == '/')
		return 0;
	/* no ".." component anywhere */
	for (const char *p = name; *p;) {
		size_t l = strcspn(p, "/");
		if (l == 2 && p[0] == '.' && p[1] == '.')
			return 0;
		p += l + (p[l] == '/');
	}
	return 1;
}

int cli_output_open(const struct tl_case *c, const char *name, struct cli_output *o)
{
	memset(o, 0, sizeof(*o));
	if (!name_ok(name))
		return cli_error("output '%s' must be a name inside the case's out/ folder (no '..', not absolute)",
				 name), -1;
	char final[4096], dir[4096];
	struct tl_err err;
	snprintf(final, sizeof(final), "%s/%s", c->out_dir, name);
	snprintf(o->rel, sizeof(o->rel), "out/%s", name);
	/* out/ (not tracked by git in fixture cases) and any folder NAME names */
	snprintf(dir, sizeof(dir), "%s", final);
	*strrchr(dir, '/') = 0;
	if (tl_mkdirs(dir, &err))
		return cli_error("%s", err.msg), -1;
	/* the temporary file sits beside the final one, hidden: ".NAME.tmp-PID" */
	if (tl_atomic_open(&o->af, final, &err))
		return cli_error("%s", err.msg), -1;
	o->fp = o->af.fp;
	return 0;
}

int cli_output_close(struct cli_output *o, int ok)
{
	if (!o->fp)
		return -1;
	o->fp = NULL;
	if (!ok) {
		tl_atomic_abort(&o->af);
		return -1;
	}
	/* hash what landed, for custody and the manifest */
	char hex[65];
	struct tl_err err;
	if (tl_atomic_commit(&o->af, hex, &err))
		return cli_error("%s", err.msg), -1;
	cli_custody_output(o->rel, hex);
	return 0;
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return (size_t)-1;
	size_t prev[65], cur[65];
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]), del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, (lb + 1) * sizeof(size_t));
	}
	return prev[lb];
}

const char *cli_did_you_mean(const char *word, const char *const *candidates, size_t n)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1;
	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(word, candidates[i]);
		if (d < best_d)
			best_d = d, best = candidates[i];
	}
	/* a typo is a letter or two, or a third of a long word */
	size_t allowed = strlen(word) / 3 > 2 ? strlen(word) / 3 : 2;
	return best && best_d <= allowed ? best : NULL;
}
