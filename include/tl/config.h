/*
 * The case configuration, CASE/tl.json: per-evidence settings chosen by path
 * glob (IANA zone for naive timestamps, year for yearless ones, clock skew,
 * forced format), identity aliases, the asset inventory (and the path of an
 * inventory CSV, not read yet).
 *
 * JSON with // comments; unknown keys are errors so a typo cannot silently
 * change a timeline. Errors name tl.json:LINE:COL.
 *
 * Ownership: a struct tl_config owns everything in it; release with
 * tl_config_release().
 */
#ifndef TL_CONFIG_H
#define TL_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "tl/util.h"

struct tl_source_rule {
	char *glob;      /* relative to the case folder, e.g. "evidence/proxy/" followed by a double star */
	char *timezone;  /* NULL: not set by this rule */
	int year;        /* 0: not set */
	int64_t skew_us; /* added to parsed times */
	int has_skew;
	char *format;
};

/* "aliases" (older name "identity_aliases"): one identity, the other names
 * it goes by (employee id, personal e-mail, other accounts). CANONICAL is as
 * written in tl.json; src/analysis/entities.c applies the user rules to it. */
struct tl_alias {
	char *canonical;
	char **names;
	size_t n;
};

/* "inventory": one asset: a host, its owner (an identity; NULL if none
 * given) and its fixed addresses, as written in tl.json. */
struct tl_asset {
	char *host;
	char *owner;
	char **ips;
	size_t n_ips;
};

struct tl_config {
	struct tl_source_rule *rules;
	size_t n_rules;
	struct tl_alias *aliases;
	size_t n_aliases;
	struct tl_asset *inventory;
	size_t n_inventory;
	char *assets;
	/* "limits": gzip decompression-bomb guards, as tl_reader_gzip_limits() takes
	 * them (ratio 0: the default, UINT32_MAX: none; bytes 0: none) */
	uint32_t gzip_max_ratio;
	uint64_t gzip_max_bytes;
	/* "attribution": how long a binding whose end the evidence does not say
	 * lasts (docs/correlation.md), microseconds; 0: the default */
	int64_t logon_window_us, proxy_window_us, edr_window_us;
	char sha256[65]; /* of the file's bytes; all zeros text when there is no file */
};

/* Settings in force for one evidence path: for each setting, the first rule
 * (in file order) whose glob matches and that sets it. Strings are borrowed. */
struct tl_source_settings {
	const char *timezone;
	int year;
	int64_t skew_us;
	const char *format;
};

/* Load PATH; a missing file gives an empty config. */
int tl_config_load(const char *path, struct tl_config *cfg, struct tl_err *err);
/* Parse TEXT (NAME used in messages). */
int tl_config_parse(const char *name, const char *text, size_t len, struct tl_config *cfg, struct tl_err *err);
void tl_config_release(struct tl_config *cfg);
void tl_config_for_path(const struct tl_config *cfg, const char *relpath, struct tl_source_settings *out);

/* The documented template `tl init` writes. */
extern const char tl_config_template[];

#endif
