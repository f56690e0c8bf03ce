/*
 * The case folder: CASE/evidence/ (read-only inputs), CASE/case.db,
 * CASE/tl.json (config), CASE/formats/ (user format definitions), CASE/out/.
 *
 * Ownership: struct tl_case owns its path strings and config; release with
 * tl_case_release().
 */
#ifndef TL_CASE_H
#define TL_CASE_H

#include <stddef.h>

#include "tl/config.h"
#include "tl/util.h"

struct tl_case {
	char *root;       /* absolute, resolved */
	char *db_path;
	char *config_path;
	char *evidence;
	char *formats_dir;
	char *out_dir;
	struct tl_config cfg;
};

/* Create the folder layout and the config template; existing parts are kept.
 * *created is set to 1 when tl.json was written. */
int tl_case_init(const char *root, int *created, struct tl_err *err);

/* Open an existing case (it must have tl.json or case.db) and load its config. */
int tl_case_open(const char *root, struct tl_case *c, struct tl_err *err);
void tl_case_release(struct tl_case *c);

/* PATH (absolute or relative to the working directory) as a path relative to
 * the case root, resolving symlinks; -1 if it lies outside the case. */
int tl_case_relpath(const struct tl_case *c, const char *path, char *out, size_t len, struct tl_err *err);

#endif
