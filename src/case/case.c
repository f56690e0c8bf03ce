/* Case folder layout (see include/tl/case.h). */
#define _POSIX_C_SOURCE 200809L
#include "tl/case.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tl/banned.h"

static char *join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *p = malloc(la + lb + 2);
	if (!p)
		return NULL;
	memcpy(p, a, la);
	p[la] = '/';
	memcpy(p + la + 1, b, lb + 1);
	return p;
}

static int mkdir_p(const char *path, struct tl_err *err)
{
	if (mkdir(path, 0755) == 0 || errno == EEXIST)
		return 0;
	return tl_errf(err, "cannot create '%s': %s", path, strerror(errno));
}

/* The case folder and any missing parents (like mkdir -p). */
static int mkdir_parents(const char *root, struct tl_err *err)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s", root);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir_p(tmp, err))
			return -1;
		*p = '/';
	}
	return mkdir_p(tmp, err);
}

int tl_case_init(const char *root, int *created, struct tl_err *err)
{
	static const char *const dirs[] = { "evidence", "formats", "out" };
	*created = 0;
	if (mkdir_parents(root, err))
		return -1;
	for (size_t i = 0; i < 3; i++) {
		char *p = join(root, dirs[i]);
		int rc = p ? mkdir_p(p, err) : tl_errf(err, "out of memory");
		free(p);
		if (rc)
			return -1;
	}
	char *cfg = join(root, "tl.json");
	if (!cfg)
		return tl_errf(err, "out of memory");
	/* O_EXCL: never overwrite an analyst's config */
	int fd = open(cfg, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd >= 0) {
		size_t n = strlen(tl_config_template);
		ssize_t w = write(fd, tl_config_template, n);
		close(fd);
		if (w != (ssize_t)n) {
			free(cfg);
			return tl_errf(err, "cannot write config template");
		}
		*created = 1;
	} else if (errno != EEXIST) {
		tl_errf(err, "cannot create '%s': %s", cfg, strerror(errno));
		free(cfg);
		return -1;
	}
	free(cfg);
	return 0;
}

int tl_case_open(const char *root, struct tl_case *c, struct tl_err *err)
{
	memset(c, 0, sizeof(*c));
	char real[PATH_MAX];
	if (!realpath(root, real))
		return tl_errf(err, "cannot open case '%s': %s", root, strerror(errno));
	c->root = strdup(real);
	c->db_path = join(real, "case.db");
	c->config_path = join(real, "tl.json");
	c->evidence = join(real, "evidence");
	c->formats_dir = join(real, "formats");
	c->out_dir = join(real, "out");
	if (!c->root || !c->db_path || !c->config_path || !c->evidence || !c->formats_dir || !c->out_dir) {
		tl_case_release(c);
		return tl_errf(err, "out of memory");
	}
	struct stat st;
	if (stat(c->config_path, &st) != 0 && stat(c->db_path, &st) != 0) {
		tl_errf(err, "'%s' is not a tl case (no tl.json or case.db); create one with: tl init %s", root, root);
		tl_case_release(c);
		return -1;
	}
	if (tl_config_load(c->config_path, &c->cfg, err)) {
		tl_case_release(c);
		return -1;
	}
	return 0;
}

void tl_case_release(struct tl_case *c)
{
	free(c->root);
	free(c->db_path);
	free(c->config_path);
	free(c->evidence);
	free(c->formats_dir);
	free(c->out_dir);
	tl_config_release(&c->cfg);
	memset(c, 0, sizeof(*c));
}

int tl_case_relpath(const struct tl_case *c, const char *path, char *out, size_t len, struct tl_err *err)
{
	char real[PATH_MAX];
	if (!realpath(path, real))
		return tl_errf(err, "cannot resolve '%s': %s", path, strerror(errno));
	size_t rl = strlen(c->root);
	if (strncmp(real, c->root, rl) != 0 || (real[rl] != '/' && real[rl] != 0))
		return tl_errf(err, "'%s' is outside the case folder '%s'", path, c->root);
	const char *rel = real[rl] == '/' ? real + rl + 1 : real + rl;
	if (strlen(rel) >= len)
		return tl_errf(err, "path too long: '%s'", path);
	memcpy(out, rel, strlen(rel) + 1);
	return 0;
}
