/* Case configuration (see include/tl/config.h and docs/case-config.md). */
#define _POSIX_C_SOURCE 200809L
#include "tl/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tl/json.h"
#include "tl/time.h"
#include "tl/banned.h"

const char tl_config_template[] =
	"// tl case configuration. JSON with // comments. See docs/case-config.md.\n"
	"{\n"
	"  \"version\": 1,\n"
	"\n"
	"  // Settings per evidence path, relative to this folder. For each setting the\n"
	"  // first rule whose glob matches wins ('*' within a folder, '**' across).\n"
	"  //   timezone      IANA zone for timestamps written without an offset\n"
	"  //   year          year for timestamps written without one (RFC 3164 syslog)\n"
	"  //   skew_seconds  correction added to this source's clock (may be fractional)\n"
	"  //   format        force a format instead of detecting it (see `tl formats`)\n"
	"  \"sources\": [\n"
	"    // { \"path\": \"evidence/fw/**\", \"timezone\": \"Europe/Berlin\", \"year\": 2026, \"skew_seconds\": -42 }\n"
	"  ],\n"
	"\n"
	"  // One person, many names: identity -> the names other systems use.\n"
	"  \"aliases\": {\n"
	"    // \"jdoe\": [\"E10442\", \"john.doe@example.com\", \"EXAMPLE\\\\jdoe\"]\n"
	"  },\n"
	"\n"
	"  // Asset inventory: a host, its owner and its fixed addresses.\n"
	"  \"inventory\": [\n"
	"    // { \"host\": \"ws-0142\", \"owner\": \"jdoe\", \"ips\": [\"10.20.1.42\"] }\n"
	"  ],\n"
	"\n"
	"  // Asset inventory (CSV with a header: ip,host,owner,...), relative to this folder.\n"
	"  \"assets\": null\n"
	"}\n";

static int at(struct tl_err *err, const char *name, const struct tl_json *v, const char *msg)
{
	return tl_errf(err, "%s:%u:%u: %s", name, v->line, v->col, msg);
}

static int parse_rule(const char *name, const struct tl_json *o, struct tl_source_rule *r, struct tl_err *err)
{
	if (o->type != TL_JSON_OBJECT)
		return at(err, name, o, "a source rule must be an object");
	for (size_t i = 0; i < o->n; i++) {
		const char *k = o->keys[i];
		const struct tl_json *v = o->kids[i];
		if (!strcmp(k, "path") || !strcmp(k, "timezone") || !strcmp(k, "format")) {
			if (v->type != TL_JSON_STRING)
				return at(err, name, v, "expected a string");
			char **slot = !strcmp(k, "path") ? &r->glob : !strcmp(k, "timezone") ? &r->timezone : &r->format;
			free(*slot);
			*slot = strdup(v->str);
			if (slot == &r->timezone) {
				struct tl_tz *tz;
				char msg[256], full[320];
				if (tl_tz_load(v->str, &tz, msg, sizeof(msg))) {
					/* the zone loader's message names the zone already */
					snprintf(full, sizeof(full), "%s", msg);
					return at(err, name, v, full);
				}
				tl_tz_free(tz);
			}
		} else if (!strcmp(k, "year")) {
			int64_t y;
			if (v->type != TL_JSON_NUMBER || tl_parse_i64(v->str, v->len, &y) || y < 1 || y > 9999)
				return at(err, name, v, "\"year\" must be a whole number from 1 to 9999");
			r->year = (int)y;
		} else if (!strcmp(k, "skew_seconds")) {
			char *end;
			double d = v->type == TL_JSON_NUMBER ? strtod(v->str, &end) : 0;
			if (v->type != TL_JSON_NUMBER || *end || d > 1e9 || d < -1e9)
				return at(err, name, v, "\"skew_seconds\" must be a number of seconds");
			r->skew_us = (int64_t)(d * 1e6 + (d < 0 ? -0.5 : 0.5));
			r->has_skew = 1;
		} else {
			char msg[200];
			snprintf(msg, sizeof(msg), "unknown key \"%s\" in source rule (path, timezone, year, skew_seconds, format)", k);
			return at(err, name, v, msg);
		}
	}
	if (!r->glob)
		return at(err, name, o, "a source rule needs \"path\"");
	return 0;
}

/* Both "aliases" and its older name "identity_aliases" add to one list. */
static int parse_aliases(const char *name, const struct tl_json *o, struct tl_config *cfg, struct tl_err *err)
{
	if (o->type != TL_JSON_OBJECT)
		return at(err, name, o, "aliases must be an object: identity -> array of names");
	struct tl_alias *grown = realloc(cfg->aliases, (cfg->n_aliases + o->n + 1) * sizeof(*cfg->aliases));
	if (!grown)
		return tl_errf(err, "out of memory");
	cfg->aliases = grown;
	for (size_t i = 0; i < o->n; i++) {
		const struct tl_json *v = o->kids[i];
		struct tl_alias *a = &cfg->aliases[cfg->n_aliases++];
		memset(a, 0, sizeof(*a));
		a->canonical = strdup(o->keys[i]);
		if (!a->canonical)
			return tl_errf(err, "out of memory");
		if (v->type != TL_JSON_ARRAY)
			return at(err, name, v, "aliases are an array of names");
		a->names = calloc(v->n ? v->n : 1, sizeof(char *));
		if (!a->names)
			return tl_errf(err, "out of memory");
		for (size_t k = 0; k < v->n; k++) {
			if (v->kids[k]->type != TL_JSON_STRING || !v->kids[k]->str[0])
				return at(err, name, v->kids[k], "an alias must be a non-empty string");
			if (!(a->names[a->n] = strdup(v->kids[k]->str)))
				return tl_errf(err, "out of memory");
			a->n++;
		}
	}
	return 0;
}

static int parse_asset(const char *name, const struct tl_json *o, struct tl_asset *a, struct tl_err *err)
{
	if (o->type != TL_JSON_OBJECT)
		return at(err, name, o, "an inventory entry must be an object");
	for (size_t i = 0; i < o->n; i++) {
		const char *k = o->keys[i];
		const struct tl_json *v = o->kids[i];
		if (!strcmp(k, "host") || !strcmp(k, "owner")) {
			char **slot = !strcmp(k, "host") ? &a->host : &a->owner;
			if (v->type != TL_JSON_STRING || !v->str[0])
				return at(err, name, v, "expected a non-empty string");
			if (*slot)
				return at(err, name, v, "duplicate key in inventory entry");
			if (!(*slot = strdup(v->str)))
				return tl_errf(err, "out of memory");
		} else if (!strcmp(k, "ips")) {
			if (v->type != TL_JSON_ARRAY)
				return at(err, name, v, "\"ips\" must be an array of addresses");
			if (a->ips)
				return at(err, name, v, "duplicate key in inventory entry");
			a->ips = calloc(v->n ? v->n : 1, sizeof(char *));
			if (!a->ips)
				return tl_errf(err, "out of memory");
			for (size_t j = 0; j < v->n; j++) {
				if (v->kids[j]->type != TL_JSON_STRING || !v->kids[j]->str[0])
					return at(err, name, v->kids[j], "an address must be a non-empty string");
				if (!(a->ips[a->n_ips] = strdup(v->kids[j]->str)))
					return tl_errf(err, "out of memory");
				a->n_ips++;
			}
		} else {
			char msg[200];
			snprintf(msg, sizeof(msg), "unknown key \"%s\" in inventory entry (host, owner, ips)", k);
			return at(err, name, v, msg);
		}
	}
	if (!a->host)
		return at(err, name, o, "an inventory entry needs \"host\"");
	return 0;
}

static int parse_inventory(const char *name, const struct tl_json *v, struct tl_config *cfg, struct tl_err *err)
{
	if (v->type != TL_JSON_ARRAY)
		return at(err, name, v, "\"inventory\" must be an array");
	cfg->inventory = calloc(v->n ? v->n : 1, sizeof(*cfg->inventory));
	if (!cfg->inventory)
		return tl_errf(err, "out of memory");
	for (size_t i = 0; i < v->n; i++)
		if (parse_asset(name, v->kids[i], &cfg->inventory[cfg->n_inventory++], err))
			return -1;
	return 0;
}

/* A non-negative integer no larger than MAX; 0 or -1 (after an error). */
static int limit_value(const char *name, const struct tl_json *v, uint64_t max, uint64_t *out, struct tl_err *err)
{
	char *end;
	errno = 0;
	unsigned long long n = v->type == TL_JSON_NUMBER && v->str[0] != '-' ? strtoull(v->str, &end, 10) : 0;
	if (v->type != TL_JSON_NUMBER || v->str[0] == '-' || *end || errno || n > max)
		return at(err, name, v, "a limit is a whole number, 0 for no limit");
	*out = n;
	return 0;
}

static int parse_limits(const char *name, const struct tl_json *o, struct tl_config *cfg, struct tl_err *err)
{
	if (o->type != TL_JSON_OBJECT)
		return at(err, name, o, "\"limits\" must be an object");
	for (size_t i = 0; i < o->n; i++) {
		const char *k = o->keys[i];
		const struct tl_json *v = o->kids[i];
		uint64_t n;
		if (!strcmp(k, "gzip_max_ratio")) {
			if (limit_value(name, v, UINT32_MAX - 1, &n, err))
				return -1;
			cfg->gzip_max_ratio = n ? (uint32_t)n : UINT32_MAX;
		} else if (!strcmp(k, "gzip_max_bytes")) {
			if (limit_value(name, v, UINT64_MAX, &n, err))
				return -1;
			cfg->gzip_max_bytes = n;
		} else {
			char msg[200];
			snprintf(msg, sizeof(msg), "unknown limit \"%s\" (gzip_max_ratio, gzip_max_bytes)", k);
			return at(err, name, v, msg);
		}
	}
	return 0;
}

/* "attribution": { "logon_window": "8h", "proxy_window": "15m", "edr_window": "1h" } */
static int parse_attribution(const char *name, const struct tl_json *o, struct tl_config *cfg, struct tl_err *err)
{
	if (o->type != TL_JSON_OBJECT)
		return at(err, name, o, "\"attribution\" must be an object");
	for (size_t i = 0; i < o->n; i++) {
		const char *k = o->keys[i];
		const struct tl_json *v = o->kids[i];
		int64_t *slot = !strcmp(k, "logon_window")   ? &cfg->logon_window_us
				: !strcmp(k, "proxy_window") ? &cfg->proxy_window_us
				: !strcmp(k, "edr_window")   ? &cfg->edr_window_us
							     : NULL;
		if (!slot) {
			char msg[200];
			snprintf(msg, sizeof(msg), "unknown key \"%s\" in \"attribution\" (logon_window, proxy_window, edr_window)", k);
			return at(err, name, v, msg);
		}
		char *end = NULL;
		long long n = v->type == TL_JSON_STRING ? strtoll(v->str, &end, 10) : -1;
		long long mul = !end || end == v->str ? -1
				: !strcmp(end, "s")   ? 1
				: !strcmp(end, "m")   ? 60
				: !strcmp(end, "h")   ? 3600
				: !strcmp(end, "d")   ? 86400
						      : -1;
		if (mul < 0 || n <= 0 || n > 366LL * 86400 / mul)
			return at(err, name, v, "a window is a duration such as \"30s\", \"15m\", \"8h\" or \"1d\" (at most a year)");
		*slot = (int64_t)(n * mul) * 1000000;
	}
	return 0;
}

int tl_config_parse(const char *name, const char *text, size_t len, struct tl_config *cfg, struct tl_err *err)
{
	memset(cfg, 0, sizeof(*cfg));
	tl_sha256_hex(text, len, cfg->sha256);
	struct tl_json *root = tl_json_parse(name, text, len, err);
	if (!root)
		return -1;
	int rc = 0;
	if (root->type != TL_JSON_OBJECT) {
		rc = at(err, name, root, "the case config is a JSON object");
		goto cleanup;
	}
	static const char *const top[] = { "version", "sources", "identity_aliases", "assets", "limits", "aliases",
					   "inventory", "attribution" };
	unsigned seen = 0;
	for (size_t i = 0; i < root->n && !rc; i++) {
		const char *k = root->keys[i];
		const struct tl_json *v = root->kids[i];
		/* a second "sources" or "identity_aliases" would overrun the first one's array */
		for (unsigned t = 0; t < sizeof(top) / sizeof(top[0]); t++)
			if (!strcmp(k, top[t]) && (seen & (1u << t))) {
				char msg[200];
				snprintf(msg, sizeof(msg), "duplicate key \"%s\"", k);
				rc = at(err, name, v, msg);
			} else if (!strcmp(k, top[t])) {
				seen |= 1u << t;
			}
		if (rc)
			break;
		if (!strcmp(k, "version")) {
			if (v->type != TL_JSON_NUMBER || strcmp(v->str, "1"))
				rc = at(err, name, v, "unsupported config version (this tl reads version 1)");
		} else if (!strcmp(k, "sources")) {
			if (v->type != TL_JSON_ARRAY) {
				rc = at(err, name, v, "\"sources\" must be an array");
				break;
			}
			cfg->rules = calloc(v->n ? v->n : 1, sizeof(*cfg->rules));
			if (!cfg->rules) {
				rc = tl_errf(err, "out of memory");
				break;
			}
			for (size_t r = 0; r < v->n && !rc; r++) {
				rc = parse_rule(name, v->kids[r], &cfg->rules[r], err);
				cfg->n_rules++;
			}
		} else if (!strcmp(k, "identity_aliases") || !strcmp(k, "aliases")) {
			rc = parse_aliases(name, v, cfg, err);
		} else if (!strcmp(k, "inventory")) {
			rc = parse_inventory(name, v, cfg, err);
		} else if (!strcmp(k, "assets")) {
			if (v->type == TL_JSON_STRING)
				cfg->assets = strdup(v->str);
			else if (v->type != TL_JSON_NULL)
				rc = at(err, name, v, "\"assets\" must be a path or null");
		} else if (!strcmp(k, "limits")) {
			rc = parse_limits(name, v, cfg, err);
		} else if (!strcmp(k, "attribution")) {
			rc = parse_attribution(name, v, cfg, err);
		} else {
			char msg[200];
			snprintf(msg, sizeof(msg),
				 "unknown key \"%s\" (version, sources, aliases, inventory, assets, limits, attribution)", k);
			rc = at(err, name, v, msg);
		}
	}
cleanup:
	tl_json_free(root);
	if (rc)
		tl_config_release(cfg);
	return rc;
}

int tl_config_load(const char *path, struct tl_config *cfg, struct tl_err *err)
{
	memset(cfg, 0, sizeof(*cfg));
	struct stat st;
	if (stat(path, &st) != 0 && errno == ENOENT) {
		tl_sha256_hex("", 0, cfg->sha256);
		return 0;
	}
	struct tl_buf b = TL_BUF_INIT;
	int rc = tl_read_file(path, 16u << 20, &b, err) ? -1 : 0;
	if (!rc)
		rc = tl_config_parse(path, b.data ? b.data : "", b.len, cfg, err);
	tl_buf_release(&b);
	return rc;
}

void tl_config_release(struct tl_config *cfg)
{
	for (size_t i = 0; i < cfg->n_rules; i++) {
		free(cfg->rules[i].glob);
		free(cfg->rules[i].timezone);
		free(cfg->rules[i].format);
	}
	free(cfg->rules);
	for (size_t i = 0; i < cfg->n_aliases; i++) {
		free(cfg->aliases[i].canonical);
		for (size_t k = 0; k < cfg->aliases[i].n; k++)
			free(cfg->aliases[i].names[k]);
		free(cfg->aliases[i].names);
	}
	free(cfg->aliases);
	for (size_t i = 0; i < cfg->n_inventory; i++) {
		free(cfg->inventory[i].host);
		free(cfg->inventory[i].owner);
		for (size_t k = 0; k < cfg->inventory[i].n_ips; k++)
			free(cfg->inventory[i].ips[k]);
		free(cfg->inventory[i].ips);
	}
	free(cfg->inventory);
	free(cfg->assets);
	memset(cfg, 0, sizeof(*cfg));
}

void tl_config_for_path(const struct tl_config *cfg, const char *relpath, struct tl_source_settings *out)
{
	int have_skew = 0;
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < cfg->n_rules; i++) {
		const struct tl_source_rule *r = &cfg->rules[i];
		if (!tl_glob_match(r->glob, relpath))
			continue;
		if (!out->timezone && r->timezone)
			out->timezone = r->timezone;
		if (!out->year && r->year)
			out->year = r->year;
		if (!have_skew && r->has_skew)
			out->skew_us = r->skew_us, have_skew = 1;
		if (!out->format && r->format)
			out->format = r->format;
	}
}
