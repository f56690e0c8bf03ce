/* tl timeline CASE: the chronological timeline, filtered. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "common.h"
#include "tl/case.h"
#include "tl/output.h"
#include "tl/store.h"

static const char usage[] =
	"usage: tl timeline [options] CASE\n\n"
	"Prints events in time order (UTC), then by evidence path and offset.\n\n"
	"Options:\n"
	"  --from TIME            events at or after TIME (ISO 8601; no offset means UTC)\n"
	"  --to TIME              events before TIME\n"
	"  --entity TYPE:VALUE    events about an entity; TYPE is user, host, ip, domain,\n"
	"                         url, file, process or hash; repeat for any of several\n"
	"  --family NAME          only this family (edr hids firewall proxy vpn dns flow\n"
	"                         dlp audit); repeatable\n"
	"  --format-name NAME     only events of this format; repeatable\n"
	"  --grep PCRE            only events whose JSONL line matches PCRE\n"
	"  --output FORMAT        text (default), csv or jsonl (docs/timeline-jsonl.md)\n"
	"  --csv-raw              do not neutralize CSV cells that look like formulas\n"
	"  -o, --out NAME         write to CASE/out/NAME (recorded in the custody log\n"
	"                         and covered by tl manifest) instead of stdout\n"
	"  -h, --help             this help\n";

static int family_valid(const char *name)
{
	static const char *const families[] = { "edr", "hids", "firewall", "proxy", "vpn", "dns", "flow", "dlp", "audit" };
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (!strcmp(families[i], name))
			return 1;
	return 0;
}

int cmd_timeline(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "from", required_argument, NULL, 'F' }, { "to", required_argument, NULL, 'T' },
		{ "entity", required_argument, NULL, 'e' }, { "family", required_argument, NULL, 'm' },
		{ "format-name", required_argument, NULL, 'n' }, { "grep", required_argument, NULL, 'g' },
		{ "output", required_argument, NULL, 'O' }, { "csv-raw", no_argument, NULL, 'R' },
		{ "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct tl_filter flt = { 0 };
	enum tl_out_format fmt = TL_OUT_TEXT;
	int c, rc = TL_EXIT_OK;
	const char *out_name = NULL;
	struct tl_entity *entities = calloc((size_t)argc, sizeof(*entities));
	const char **families = calloc((size_t)argc, sizeof(char *)), **formats = calloc((size_t)argc, sizeof(char *));
	char **owned = calloc((size_t)argc, sizeof(char *));
	size_t nowned = 0;
	flt.q.entities = entities;
	flt.q.families = families;
	flt.q.formats = formats;
	if (!entities || !families || !formats || !owned) {
		rc = cli_error("out of memory");
		goto cleanup;
	}
	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		switch (c) {
		case 'F':
		case 'T':
			if (tl_time_parse_arg(optarg, c == 'F' ? &flt.q.from : &flt.q.to)) {
				rc = cli_usage_error(usage, "--%s: '%s' is not an ISO 8601 time", c == 'F' ? "from" : "to",
						     optarg);
				goto cleanup;
			}
			*(c == 'F' ? &flt.q.has_from : &flt.q.has_to) = 1;
			break;
		case 'e': {
			char *colon = strchr(optarg, ':');
			char *dup = strdup(optarg);
			if (!colon || !dup) {
				free(dup);
				rc = cli_usage_error(usage, "--entity wants TYPE:VALUE, got '%s'", optarg);
				goto cleanup;
			}
			owned[nowned++] = dup;
			dup[colon - optarg] = 0;
			if (!tl_store_entity_type_valid(dup)) {
				rc = cli_usage_error(usage, "--entity: unknown type '%s'", dup);
				goto cleanup;
			}
			entities[flt.q.n_entities].type = dup;
			entities[flt.q.n_entities++].value = dup + (colon - optarg) + 1;
			break;
		}
		case 'm':
			if (!family_valid(optarg)) {
				rc = cli_usage_error(usage, "--family: '%s' is not one of edr hids firewall proxy vpn dns "
							    "flow dlp audit", optarg);
				goto cleanup;
			}
			families[flt.q.n_families++] = optarg;
			break;
		case 'n': formats[flt.q.n_formats++] = optarg; break;
		case 'g': flt.grep = optarg; break;
		case 'R': flt.csv_raw = 1; break;
		case 'o': out_name = optarg; break;
		case 'O':
			if (!strcmp(optarg, "text"))
				fmt = TL_OUT_TEXT;
			else if (!strcmp(optarg, "csv"))
				fmt = TL_OUT_CSV;
			else if (!strcmp(optarg, "jsonl"))
				fmt = TL_OUT_JSONL;
			else {
				rc = cli_usage_error(usage, "--output: '%s' is not text, csv or jsonl", optarg);
				goto cleanup;
			}
			break;
		case 'h': fputs(usage, stdout); goto cleanup;
		default: rc = cli_usage_error(usage, "timeline: bad option"); goto cleanup;
		}
	}
	if (optind != argc - 1) {
		rc = cli_usage_error(usage, "timeline takes one case folder");
		goto cleanup;
	}
	struct tl_case cs;
	struct tl_err err;
	if (cli_open_case(argv[optind], &cs)) {
		rc = TL_EXIT_ERROR;
		goto cleanup;
	}
	struct cli_output out = { 0 };
	struct tl_store *s = tl_store_open(cs.db_path, TL_STORE_READONLY, &err);
	if (!s) {
		rc = cli_error("%s (has anything been ingested?)", err.msg);
	} else if (out_name && cli_output_open(&cs, out_name, &out)) {
		rc = TL_EXIT_ERROR;
	} else {
		if (tl_timeline_write(s, &flt, fmt, out_name ? out.fp : stdout, &err) < 0)
			rc = cli_error("%s", err.msg);
		if (out_name ? cli_output_close(&out, rc == TL_EXIT_OK) != 0 : fflush(stdout) != 0)
			rc = rc ? rc : cli_error("cannot write output");
	}
	tl_store_close(s);
	tl_case_release(&cs);
cleanup:
	for (size_t i = 0; i < nowned; i++)
		free(owned[i]);
	free(owned);
	free(entities);
	free(families);
	free(formats);
	return rc;
}
