/* tl timeline CASE: the chronological timeline, filtered; tl stats CASE: counts of the same selection. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "common.h"
#include "tl/bindings.h"
#include "tl/case.h"
#include "tl/entities.h"
#include "tl/json.h"
#include "tl/output.h"
#include "tl/store.h"

static const char usage[] =
	"usage: tl timeline [options] CASE\n\n"
	"Prints events in time order (UTC), then by evidence path and offset.\n\n"
	"Filters (AND between kinds, OR within one kind):\n"
	"  --from TIME            events at or after TIME (ISO 8601; no offset means UTC)\n"
	"  --to TIME              events before TIME\n"
	"  --around EVENT         events near one event (id or PATH:LINE[#N]) from every source\n"
	"  --window DURATION      with --around: how far each side (30s, 5m, 2h, 1d; default 5m)\n"
	"  --entity TYPE:VALUE    events about an entity; TYPE is user, host, ip, domain,\n"
	"                         url, file, process or hash; ip takes a CIDR block too;\n"
	"                         user, host and domain ignore case; repeatable\n"
	"  --exact                entity values compare case-sensitively\n"
	"  --no-attributed        user and host entities match only events naming them,\n"
	"                         not those attributed to them through bindings\n"
	"                         (docs/correlation.md; marked ~ in text)\n"
	"  --family NAME          only this family (edr hids firewall proxy vpn dns flow\n"
	"                         dlp audit); repeatable\n"
	"  --format-name NAME     only events of this format; repeatable\n"
	"  --outcome VALUE        only this outcome (success, failure, unknown); repeatable\n"
	"  --action VALUE         only this action (any case); repeatable\n"
	"  --tag TAG              only events tagged TAG ('' any tag; see tl tag)\n"
	"  --grep PCRE            only events whose JSONL line matches PCRE\n"
	"  --saved NAME           the filters saved under NAME (more options add to them)\n"
	"  --save NAME            save this command's filters under NAME (recorded in replay.tl)\n\n"
	"Output:\n"
	"  --limit N              at most N events (the first N)\n"
	"  --tail N               the last N events\n"
	"  --reverse              newest first\n"
	"  --tz ZONE              text: times in ZONE (IANA name or 'local'); CSV/JSONL stay UTC\n"
	"  --no-header            text: no header row\n"
	"  --wide                 text: evidence paths whole (a long one is otherwise\n"
	"                         shortened in the middle; tl show takes either)\n"
	"  --output FORMAT        text (default), csv or jsonl (docs/timeline-jsonl.md);\n"
	"                         timesketch, timesketch-csv, l2tcsv or tln to hand on\n"
	"                         (docs/timeline-formats.md)\n"
	"  --all-copies           a row for every copy of a record delivered twice (by\n"
	"                         default one row per occurrence lists every copy's evidence)\n"
	"  --csv-raw              do not neutralize CSV cells that look like formulas\n"
	"  -o, --out NAME         write to CASE/out/NAME (recorded in the custody log\n"
	"                         and covered by tl manifest) instead of stdout\n"
	"  -h, --help             this help\n\n"
	"A filter that matches nothing says so on stderr (exit 0).\n";

static const char stats_usage[] =
	"usage: tl stats [options] CASE\n\n"
	"Counts events by one or more keys, with the first and last time each was seen.\n\n"
	"  --by KEYS              comma-separated, up to 4: hour day family format class user\n"
	"                         host src_ip dst_ip dst_port domain action outcome file\n"
	"                         (default: family)\n"
	"  --output FORMAT        text (default), csv or jsonl\n"
	"  --tz ZONE              text: hours and days in ZONE (buckets stay UTC hours/days)\n"
	"  -o, --out NAME         write to CASE/out/NAME instead of stdout\n"
	"  the filters of tl timeline: --from --to --around --window --entity --exact --no-attributed\n"
	"  --family --format-name --outcome --action --tag --saved\n"
	"  -h, --help             this help\n";

static const char *const families_known[] = { "edr", "hids", "firewall", "proxy", "vpn", "dns", "flow", "dlp", "audit" };
#define N_FAMILIES (sizeof(families_known) / sizeof(families_known[0]))

enum { O_FROM = 256, O_TO, O_ENTITY, O_FAMILY, O_FORMAT, O_GREP, O_OUTPUT, O_CSVRAW, O_OUTCOME, O_ACTION, O_EXACT,
       O_LIMIT, O_TAIL, O_REVERSE, O_TZ, O_NOHEADER, O_AROUND, O_WINDOW, O_SAVE, O_SAVED, O_TAG, O_BY, O_WIDE,
       O_NOATTR, O_ALLCOPIES };

static const struct option longopts[] = {
	{ "from", required_argument, NULL, O_FROM },	     { "to", required_argument, NULL, O_TO },
	{ "entity", required_argument, NULL, O_ENTITY },     { "family", required_argument, NULL, O_FAMILY },
	{ "format-name", required_argument, NULL, O_FORMAT }, { "grep", required_argument, NULL, O_GREP },
	{ "output", required_argument, NULL, O_OUTPUT },     { "csv-raw", no_argument, NULL, O_CSVRAW },
	{ "outcome", required_argument, NULL, O_OUTCOME },   { "action", required_argument, NULL, O_ACTION },
	{ "exact", no_argument, NULL, O_EXACT },	     { "limit", required_argument, NULL, O_LIMIT },
	{ "tail", required_argument, NULL, O_TAIL },	     { "reverse", no_argument, NULL, O_REVERSE },
	{ "tz", required_argument, NULL, O_TZ },	     { "no-header", no_argument, NULL, O_NOHEADER },
	{ "around", required_argument, NULL, O_AROUND },     { "window", required_argument, NULL, O_WINDOW },
	{ "save", required_argument, NULL, O_SAVE },	     { "saved", required_argument, NULL, O_SAVED },
	{ "tag", required_argument, NULL, O_TAG },	     { "by", required_argument, NULL, O_BY },
	{ "wide", no_argument, NULL, O_WIDE },	     { "no-attributed", no_argument, NULL, O_NOATTR },
	{ "all-copies", no_argument, NULL, O_ALLCOPIES },
	{ "out", required_argument, NULL, 'o' },	     { "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Everything the options asked for; strings point into argv or OWNED. */
struct opts {
	struct tl_filter flt;
	enum tl_out_format fmt;
	const char *out_name, *tz_name, *around, *save, *saved;
	int64_t window_us;
	int all_copies;
	struct tl_entity entities[64];
	const char *families[32], *formats[64], *outcomes[16], *actions[32], *by[TL_COUNT_KEYS_MAX];
	size_t n_by;
	struct tl_strlist owned;
	struct tl_buf save_args; /* the filter options as a JSON array, for --save */
	const char *format_names[64];
	size_t n_format_names;
};

/* "30s", "5m", "2h", "1d", or plain seconds; -1 if not a duration. */
static int64_t parse_duration(const char *s)
{
	char *end;
	long long n = strtoll(s, &end, 10);
	if (end == s || n < 0 || n > 366LL * 86400)
		return -1;
	long long mul = !*end || !strcmp(end, "s") ? 1 : !strcmp(end, "m") ? 60 : !strcmp(end, "h") ? 3600
		      : !strcmp(end, "d") ? 86400 : -1;
	return mul < 0 ? -1 : (int64_t)(n * mul) * TL_US_PER_SEC;
}

static int push(const char **v, size_t *n, size_t cap, const char *s, const char *usage_text, const char *what)
{
	if (*n >= cap)
		return cli_usage_error(usage_text, "%s: at most %zu values", what, cap);
	v[(*n)++] = s;
	return 0;
}

/* Parse the options of ARGV into O; a filter option is also added to
 * O->save_args. Returns 0, or an exit status. */
static int parse(struct opts *o, int argc, char **argv, const char *usage_text, int stats, int saved_pass)
{
	struct tl_event_query *q = &o->flt.q;
	int c;
	optind = 0; /* glibc: start afresh (a saved search is a second parse) */
	opterr = 0; /* the messages below say it once, with a suggestion */
	while ((c = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
		int filter = 1;
		switch (c) {
		case O_FROM:
		case O_TO:
			if (tl_time_parse_arg(optarg, c == O_FROM ? &q->from : &q->to))
				return cli_usage_error(usage_text, "--%s: '%s' is not an ISO 8601 time",
						       c == O_FROM ? "from" : "to", optarg);
			*(c == O_FROM ? &q->has_from : &q->has_to) = 1;
			break;
		case O_ENTITY: {
			char *colon = strchr(optarg, ':');
			if (!colon || colon == optarg)
				return cli_usage_error(usage_text, "--entity wants TYPE:VALUE, got '%s'", optarg);
			if (tl_strlist_add(&o->owned, optarg))
				return cli_error("out of memory");
			char *dup = o->owned.v[o->owned.n - 1];
			dup[colon - optarg] = 0;
			if (!tl_store_entity_type_valid(dup))
				return cli_usage_error(usage_text, "--entity: unknown type '%s' (user host ip domain url file "
								   "process hash)", dup);
			if (q->n_entities >= sizeof(o->entities) / sizeof(o->entities[0]))
				return cli_usage_error(usage_text, "--entity: at most 64");
			o->entities[q->n_entities].type = dup;
			o->entities[q->n_entities++].value = dup + (colon - optarg) + 1;
			break;
		}
		case O_FAMILY: {
			int ok = 0;
			for (size_t i = 0; i < N_FAMILIES; i++)
				ok |= !strcmp(families_known[i], optarg);
			if (!ok) {
				const char *near = cli_did_you_mean(optarg, families_known, N_FAMILIES);
				return cli_usage_error(usage_text, "--family: unknown family '%s'%s%s%s (edr hids firewall "
								   "proxy vpn dns flow dlp audit)", optarg,
						       near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
			}
			if (push(o->families, &q->n_families, 32, optarg, usage_text, "--family"))
				return TL_EXIT_USAGE;
			break;
		}
		case O_FORMAT:
			if (push(o->formats, &q->n_formats, 64, optarg, usage_text, "--format-name"))
				return TL_EXIT_USAGE;
			break;
		case O_OUTCOME:
			if (push(o->outcomes, &q->n_outcomes, 16, optarg, usage_text, "--outcome"))
				return TL_EXIT_USAGE;
			break;
		case O_ACTION:
			if (push(o->actions, &q->n_actions, 32, optarg, usage_text, "--action"))
				return TL_EXIT_USAGE;
			break;
		case O_EXACT: q->exact = 1; break;
		case O_NOATTR: q->attributed = 0; break;
		case O_TAG: q->tag = optarg; break;
		case O_GREP: o->flt.grep = optarg; break;
		case O_AROUND: o->around = optarg; break;
		case O_WINDOW:
			if ((o->window_us = parse_duration(optarg)) < 0)
				return cli_usage_error(usage_text, "--window: '%s' is not a duration (30s, 5m, 2h, 1d)", optarg);
			break;
		case O_SAVED:
			filter = 0;
			if (saved_pass)
				return cli_usage_error(usage_text, "--saved inside a saved search");
			o->saved = optarg;
			break;
		default: filter = 0; break;
		}
		if (!filter) {
			switch (c) {
			case O_SAVED: break;
			case O_CSVRAW: o->flt.csv_raw = 1; break;
			case O_REVERSE: q->reverse = 1; break;
			case O_NOHEADER: o->flt.no_header = 1; break;
			case O_WIDE: o->flt.wide = 1; break;
			case O_ALLCOPIES:
				if (stats)
					return cli_usage_error(usage_text, "--all-copies belongs to tl timeline");
				o->all_copies = 1;
				break;
			case O_TZ: o->tz_name = optarg; break;
			case O_SAVE: o->save = optarg; break;
			case 'o': o->out_name = optarg; break;
			case O_LIMIT:
			case O_TAIL: {
				char *end;
				long long n = strtoll(optarg, &end, 10);
				if (*end || end == optarg || n <= 0)
					return cli_usage_error(usage_text, "--%s: '%s' is not a positive number",
							       c == O_LIMIT ? "limit" : "tail", optarg);
				q->limit = n;
				q->tail = c == O_TAIL;
				break;
			}
			case O_BY: {
				if (!stats)
					return cli_usage_error(usage_text, "--by belongs to tl stats");
				if (tl_strlist_add(&o->owned, optarg))
					return cli_error("out of memory");
				o->n_by = 0;
				char *p = o->owned.v[o->owned.n - 1];
				while (p) {
					char *comma = strchr(p, ',');
					if (comma)
						*comma = 0;
					if (!tl_store_count_key_valid(p))
						return cli_usage_error(usage_text, "--by: unknown key '%s'", p);
					if (o->n_by >= TL_COUNT_KEYS_MAX)
						return cli_usage_error(usage_text, "--by: at most %d keys", TL_COUNT_KEYS_MAX);
					o->by[o->n_by++] = p;
					p = comma ? comma + 1 : NULL;
				}
				break;
			}
			case O_OUTPUT:
				if (stats && !strcmp(optarg, "json"))
					o->fmt = TL_OUT_JSONL;
				else if (tl_out_format_parse(optarg, &o->fmt) ||
					 (stats && o->fmt != TL_OUT_TEXT && o->fmt != TL_OUT_CSV && o->fmt != TL_OUT_JSONL))
					return cli_usage_error(usage_text, stats ? "--output: '%s' is not text, csv or jsonl"
										 : "--output: '%s' is not text, csv, jsonl, "
										   "timesketch, timesketch-csv, l2tcsv or tln",
							       optarg);
				break;
			case 'h': fputs(usage_text, stdout); return -1;
			case ':': return cli_usage_error(usage_text, "option '%s' needs a value", argv[optind - 1]);
			default: {
				const char *bad = argv[optind - 1];
				static const char *const names[] = { "--from", "--to", "--entity", "--family", "--format-name",
								     "--grep", "--output", "--csv-raw", "--outcome", "--action",
								     "--exact", "--limit", "--tail", "--reverse", "--tz",
								     "--no-header", "--around", "--window", "--save", "--saved",
								     "--tag", "--by", "--out", "--wide", "--no-attributed", "--all-copies" };
				char word[64];
				snprintf(word, sizeof(word), "%.*s", (int)strcspn(bad, "="), bad);
				const char *near = cli_did_you_mean(word, names, sizeof(names) / sizeof(names[0]));
				return cli_usage_error(usage_text, "%s: bad option '%s'%s%s%s", stats ? "stats" : "timeline", bad,
						       near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
			}
			}
			continue;
		}
		/* a filter: kept for --save as the words given */
		if (!saved_pass) {
			const struct option *lo = longopts;
			while (lo->name && lo->val != c)
				lo++;
			char word[64];
			snprintf(word, sizeof(word), "--%s", lo->name ? lo->name : "?");
			tl_buf_adds(&o->save_args, o->save_args.len > 1 ? "," : "");
			tl_json_put_str(&o->save_args, word);
			if (lo->has_arg) {
				tl_buf_addc(&o->save_args, ',');
				tl_json_put_str(&o->save_args, optarg);
			}
		}
	}
	return 0;
}

/* Apply the options of saved search NAME to O. */
static int apply_saved(struct opts *o, struct tl_store *s, const char *usage_text, int stats)
{
	struct tl_buf args = TL_BUF_INIT;
	struct tl_err err;
	int rc = tl_store_search_get(s, o->saved, &args, &err);
	if (rc <= 0) {
		tl_buf_release(&args);
		return rc < 0 ? cli_error("%s", err.msg)
			      : cli_usage_error(usage_text, "--saved: no saved search '%s' (save one with --save)", o->saved);
	}
	struct tl_json *j = tl_json_parse("saved search", args.data, args.len, &err);
	tl_buf_release(&args);
	if (!j || j->type != TL_JSON_ARRAY) {
		tl_json_free(j);
		return cli_error("saved search '%s' is damaged", o->saved);
	}
	char **av = calloc(j->n + 2, sizeof(char *));
	if (!av) {
		tl_json_free(j);
		return cli_error("out of memory");
	}
	av[0] = "saved";
	for (size_t i = 0; i < j->n; i++) {
		if (j->kids[i]->type != TL_JSON_STRING || tl_strlist_add(&o->owned, j->kids[i]->str)) {
			free(av);
			tl_json_free(j);
			return cli_error("saved search '%s' is damaged", o->saved);
		}
		av[i + 1] = o->owned.v[o->owned.n - 1];
	}
	/* the saved words are added to those given; tl_strlist_add may move
	 * its array but not the strings, so AV stays valid */
	rc = parse(o, (int)j->n + 1, av, usage_text, stats, 1);
	free(av);
	tl_json_free(j);
	return rc;
}

/* Resolve an event reference: a row id, or PATH:LINE[#N] (PATH as shown by
 * the text timeline, with or without "evidence/"). 1 found, 0 not, -1. */
int cli_event_ref(struct tl_store *s, const char *ref, int64_t *id, struct tl_err *err)
{
	char *end;
	long long n = strtoll(ref, &end, 10);
	if (!*end && end != ref) {
		*id = n;
		struct tl_event_query q = { 0 };
		q.event_id = n;
		q.core_only = 1;
		struct tl_store_iter *it = tl_store_events(s, &q, err);
		const struct tl_event_row *row;
		int rc = it ? tl_store_next_event(it, &row, err) : -1;
		tl_store_iter_free(it);
		return rc;
	}
	char path[4200];
	const char *colon = strrchr(ref, ':');
	if (!colon || (size_t)(colon - ref) >= sizeof(path) - 10)
		return 0;
	long long line = strtoll(colon + 1, &end, 10), pos = 1;
	if (end == colon + 1 || line <= 0)
		return 0;
	if (*end == '#') {
		char *e2;
		pos = strtoll(end + 1, &e2, 10);
		if (e2 == end + 1 || *e2 || pos <= 0)
			return 0;
	} else if (*end) {
		return 0;
	}
	snprintf(path, sizeof(path), "%.*s", (int)(colon - ref), ref);
	char *dots = strstr(path, "...");
	if (dots) {
		/* the text timeline's shortened form: START...END of one evidence path */
		*dots = 0;
		const char *start = path, *tailpart = dots + 3;
		struct tl_store_iter *it = tl_store_files(s, NULL, err);
		const struct tl_file_rec *f;
		char found[4200] = "";
		int matches = 0, more;
		while (it && (more = tl_store_next_file(it, &f, err)) == 1) {
			const char *p = f->path;
			if (strncmp(p, start, strlen(start)) && !strncmp(p, "evidence/", 9))
				p += 9;
			size_t pl = strlen(p), el = strlen(tailpart);
			if (!strncmp(p, start, strlen(start)) && pl >= el && !strcmp(p + pl - el, tailpart)) {
				snprintf(found, sizeof(found), "%s", f->path);
				matches++;
			}
		}
		tl_store_iter_free(it);
		if (matches != 1)
			return 0;
		snprintf(path, sizeof(path), "%s", found);
	}
	int rc = tl_store_event_locate(s, path, line, pos, id, err);
	if (rc == 0 && strncmp(path, "evidence/", 9)) {
		snprintf(path, sizeof(path), "evidence/%.*s", (int)(colon - ref), ref);
		rc = tl_store_event_locate(s, path, line, pos, id, err);
	}
	return rc;
}

/* Load --tz: an IANA name or "local" (TZ, else /etc/localtime). */
int cli_load_tz(const char *name, struct tl_tz **tz)
{
	char buf[256], msg[256];
	if (!strcmp(name, "local")) {
		const char *env = getenv("TZ");
		ssize_t n;
		if (env && *env)
			snprintf(buf, sizeof(buf), "%s", env[0] == ':' ? env + 1 : env);
		else if ((n = readlink("/etc/localtime", buf, sizeof(buf) - 1)) > 0) {
			buf[n] = 0;
			const char *z = strstr(buf, "zoneinfo/");
			if (z)
				memmove(buf, z + 9, strlen(z + 9) + 1);
		} else
			snprintf(buf, sizeof(buf), "UTC");
		name = buf;
	}
	if (tl_tz_load(name, tz, msg, sizeof(msg)))
		return cli_usage_error("", "--tz: %s", msg);
	return 0;
}

/* An entity pivot on a user or host says when the case has nothing to
 * attribute with: the pivot then holds only events naming the entity. */
static void attribution_note(struct tl_store *s, const struct tl_event_query *q)
{
	int pivot = 0;
	for (size_t i = 0; i < q->n_entities; i++)
		pivot |= !strcmp(q->entities[i].type, "user") || !strcmp(q->entities[i].type, "host");
	int64_t n = 0;
	struct tl_err err;
	if (pivot && tl_store_bindings_count(s, &n, &err) == 0 && n == 0)
		fprintf(stderr, "tl: attribution: none available (no VPN session, DHCP lease, logon, sign-in, proxy "
				"authentication or inventory binding in this case): only events naming the entity\n");
}

static int run(int argc, char **argv, int stats)
{
	const char *usage_text = stats ? stats_usage : usage;
	struct opts *o = calloc(1, sizeof(*o));
	struct tl_tz *tz = NULL;
	struct tl_store *s = NULL;
	struct tl_case cs;
	int have_case = 0, rc;
	struct tl_err err;
	struct tl_entity_pivots pivots = TL_ENTITY_PIVOTS_INIT;
	if (!o)
		return cli_error("out of memory");
	o->window_us = 5 * 60 * TL_US_PER_SEC;
	o->flt.q.entities = o->entities;
	o->flt.q.families = o->families;
	o->flt.q.formats = o->formats;
	o->flt.q.outcomes = o->outcomes;
	o->flt.q.actions = o->actions;
	o->flt.q.attributed = 1;
	tl_buf_addc(&o->save_args, '[');
	rc = parse(o, argc, argv, usage_text, stats, 0);
	if (rc) {
		rc = rc < 0 ? TL_EXIT_OK : rc;
		goto cleanup;
	}
	tl_buf_addc(&o->save_args, ']');
	if (optind != argc - 1) {
		rc = cli_usage_error(usage_text, "%s takes one case folder", stats ? "stats" : "timeline");
		goto cleanup;
	}
	if (o->tz_name && (rc = cli_load_tz(o->tz_name, &tz)))
		goto cleanup;
	o->flt.tz = tz;
	if (cli_open_case(argv[optind], &cs)) {
		rc = TL_EXIT_ERROR;
		goto cleanup;
	}
	have_case = 1;
	s = tl_store_open(cs.db_path, o->save ? TL_STORE_WRITE : TL_STORE_READONLY, &err);
	if (!s) {
		rc = cli_error("%s (has anything been ingested?)", err.msg);
		goto cleanup;
	}
	if (o->saved && (rc = apply_saved(o, s, usage_text, stats)))
		goto cleanup;
	struct tl_event_query *q = &o->flt.q;
	/* a name no format has is a typo, not an empty answer */
	if (q->n_formats) {
		struct tl_formats fs = TL_FORMATS_INIT;
		struct tl_strlist used = TL_STRLIST_INIT, names = TL_STRLIST_INIT;
		int loaded = cli_load_formats(&cs, &fs) == 0;
		tl_store_formats_used(s, &used, &err);
		for (size_t i = 0; loaded && i < fs.n; i++)
			tl_strlist_add(&names, tl_format_name(fs.v[i]));
		for (size_t i = 0; i < used.n; i++)
			tl_strlist_add(&names, used.v[i]);
		for (size_t i = 0; i < q->n_formats && !rc; i++) {
			int ok = 0;
			for (size_t k = 0; k < names.n; k++)
				ok |= !strcmp(names.v[k], q->formats[i]);
			if (!ok) {
				const char *near = cli_did_you_mean(q->formats[i], (const char *const *)names.v, names.n);
				rc = cli_usage_error(usage_text, "--format-name: unknown format '%s'%s%s%s", q->formats[i],
						     near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
			}
		}
		tl_formats_release(&fs);
		tl_strlist_release(&used);
		tl_strlist_release(&names);
		if (rc)
			goto cleanup;
	}
	if (o->around) {
		int64_t id;
		int found = cli_event_ref(s, o->around, &id, &err);
		if (found <= 0) {
			rc = found < 0 ? cli_error("%s", err.msg)
				       : cli_usage_error(usage_text, "--around: no event '%s' (an id or PATH:LINE[#N])",
							 o->around);
			goto cleanup;
		}
		struct tl_event_query one = { 0 };
		const struct tl_event_row *row;
		one.event_id = id;
		one.core_only = 1;
		struct tl_store_iter *it = tl_store_events(s, &one, &err);
		if (!it || tl_store_next_event(it, &row, &err) != 1) {
			tl_store_iter_free(it);
			rc = cli_error("%s", err.msg);
			goto cleanup;
		}
		q->has_from = q->has_to = 1;
		q->from = row->ts - o->window_us;
		q->to = row->ts + o->window_us + 1;
		tl_store_iter_free(it);
	}
	/* an entity stands for every spelling the case knows of it (its aliases,
	 * docs/correlation.md#entities); --exact looks for the text as given */
	if (q->n_entities && !q->exact) {
		if (tl_entities_expand(s, &cs.cfg, q->entities, q->n_entities, &pivots, &err)) {
			rc = cli_error("%s", err.msg);
			goto cleanup;
		}
		q->entities = pivots.v;
		q->n_entities = pivots.n;
	}
	if (q->has_from && q->has_to && q->from >= q->to) {
		rc = cli_usage_error(usage_text, "--from is not before --to: the time range is empty");
		goto cleanup;
	}
	if (o->save) {
		if (tl_store_search_save(s, o->save, o->save_args.data, &err)) {
			rc = cli_error("%s", err.msg);
			goto cleanup;
		}
		struct tl_buf note_json = TL_BUF_INIT;
		tl_buf_adds(&note_json, "{\"kind\":\"saved_search\",\"name\":");
		tl_json_put_str(&note_json, o->save);
		tl_buf_addf(&note_json, ",\"args\":%s}", o->save_args.data);
		cli_custody_annotates(0, NULL, note_json.data);
		tl_buf_release(&note_json);
	}
	o->flt.annotations = 1;
	o->flt.attribution = 1;
	o->flt.copies = o->all_copies ? TL_COPIES_ALL : TL_COPIES_ONCE;
	o->flt.color = !o->out_name && o->fmt == TL_OUT_TEXT && isatty(1) && !getenv("NO_COLOR");
	struct cli_output out = { 0 };
	if (o->out_name && cli_output_open(&cs, o->out_name, &out)) {
		rc = TL_EXIT_ERROR;
		goto cleanup;
	}
	FILE *fp = o->out_name ? out.fp : stdout;
	long n;
	if (stats) {
		static const char *const def[] = { "family" };
		n = tl_counts_write(s, q, o->n_by ? o->by : def, o->n_by ? o->n_by : 1, o->fmt, tz, fp, &err);
	} else {
		n = tl_timeline_write(s, &o->flt, o->fmt, fp, &err);
	}
	if (n < 0)
		rc = cli_error("%s", err.msg);
	if (o->out_name ? cli_output_close(&out, rc == TL_EXIT_OK) != 0 : fflush(stdout) != 0)
		rc = rc ? rc : cli_error("cannot write output");
	int filtered = q->has_from || q->has_to || q->n_entities || q->n_families || q->n_formats || q->n_outcomes ||
		       q->n_actions || q->tag || o->flt.grep;
	if (n == 0 && !rc)
		fprintf(stderr, "tl: %s\n", filtered ? "no events match the filters" : "the case has no events");
	if (!rc && q->attributed)
		attribution_note(s, q);
cleanup:
	tl_entity_pivots_release(&pivots);
	tl_store_close(s);
	if (have_case)
		tl_case_release(&cs);
	tl_tz_free(tz);
	tl_strlist_release(&o->owned);
	tl_buf_release(&o->save_args);
	free(o);
	return rc;
}

int cmd_timeline(int argc, char **argv)
{
	return run(argc, argv, 0);
}

int cmd_stats(int argc, char **argv)
{
	return run(argc, argv, 1);
}
