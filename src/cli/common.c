/* Shared command helpers (see common.h). */
#define _POSIX_C_SOURCE 200809L
#include "common.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "tl/custody.h"
#include "tl/replay.h"

int cli_load_formats(const struct tl_case *c, struct tl_formats *fs)
{
	struct tl_err err;
	if (tl_formats_add_builtin(fs, &err) || (c && tl_formats_add_dir(fs, c->formats_dir, &err))) {
		cli_error("%s", err.msg);
		tl_formats_release(fs);
		return -1;
	}
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
} run;

void cli_custody_case(const char *root, const char *config_sha256)
{
	free(run.root);
	run.root = strdup(root);
	snprintf(run.config, sizeof(run.config), "%s", config_sha256 ? config_sha256 : "");
}

static void note(int which, const char *relpath, const char *sha256)
{
	if (run.n[which] == run.cap[which]) {
		size_t cap = run.cap[which] ? run.cap[which] * 2 : 16;
		struct tl_custody_file *v = realloc(run.files[which], cap * sizeof(*v));
		if (!v)
			return;
		run.files[which] = v;
		run.cap[which] = cap;
	}
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
		NULL, exit_code, run.tzdata[0] ? run.tzdata : NULL,
	};
	struct tl_err err;
	if (tl_custody_append(run.root, &e, NULL, &err))
		fprintf(stderr, "tl: error: %s\n", err.msg);
	/* an analysis step that wrote into out/ can be replayed */
	if (exit_code == TL_EXIT_OK && run.n[1] && run.case_arg && argc > 1 && tl_replay_is_step(argv[1]) &&
	    tl_replay_append(run.root, argc, argv, run.case_arg, run.files[1], run.n[1], &err))
		fprintf(stderr, "tl: warning: %s\n", err.msg);
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
