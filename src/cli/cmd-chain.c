/* tl chain CASE --entity TYPE:VALUE: causality chains from a pivot. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "common.h"
#include "tl/chain-out.h"
#include "tl/chain.h"
#include "tl/store.h"

static const char usage[] =
	"usage: tl chain --entity TYPE:VALUE [options] CASE\n\n"
	"Follows causal links from the events that name an entity: process trees,\n"
	"what each process did, a file written then executed, a download written to\n"
	"disk, a file flagged by DLP then uploaded, a bulk export then a transfer out,\n"
	"a name resolved then connected to, one connection seen by the host and by a\n"
	"network sensor, a service installed then started, a process opening or\n"
	"injecting into another, a logon and what happened in its session. Each\n"
	"chain is printed in time order; every step names its evidence (file:line)\n"
	"and why it follows from an earlier step.\n\n"
	"  --entity TYPE:VALUE   the pivot; TYPE is user, host, ip, domain, file,\n"
	"                        process, hash or url (required, once)\n"
	"  --from TIME           only events at or after TIME (ISO 8601; UTC if no offset)\n"
	"  --to TIME             only events before TIME\n"
	"  --window DURATION     how far apart a finding and an upload, an answer and\n"
	"                        a connection, ... may be (30s, 5m, 2h; default 10m)\n"
	"  --max-steps N         steps shown per chain (default 200)\n"
	"  --budget PAGES        database pages the walk may read (default 2000000,\n"
	"                        a few seconds); past it the walk stops, keeps the\n"
	"                        chains found and says what it did not explore\n"
	"  --output FORMAT       text (default), jsonl or md\n"
	"  -o, --out NAME        write to CASE/out/NAME (recorded in the custody log\n"
	"                        and replay.tl) instead of stdout\n"
	"  -h, --help            this help\n\n"
	"A pivot that starts no chain says so (exit 0). See docs/commands/chain.md\n"
	"and docs/correlation.md#chains for the rules.\n";

enum { O_ENTITY = 256, O_FROM, O_TO, O_WINDOW, O_OUTPUT, O_MAXSTEPS, O_BUDGET };

static const struct option longopts[] = {
	{ "entity", required_argument, NULL, O_ENTITY }, { "from", required_argument, NULL, O_FROM },
	{ "to", required_argument, NULL, O_TO },	 { "window", required_argument, NULL, O_WINDOW },
	{ "output", required_argument, NULL, O_OUTPUT }, { "max-steps", required_argument, NULL, O_MAXSTEPS },
	{ "out", required_argument, NULL, 'o' },	 { "help", no_argument, NULL, 'h' },
	{ "budget", required_argument, NULL, O_BUDGET },
	{ NULL, 0, NULL, 0 },
};

/* "30s", "5m", "2h", "1d", or plain seconds; -1 if not a duration. */
static int64_t parse_duration(const char *s)
{
	char *end;
	long long n = strtoll(s, &end, 10);
	if (end == s || n <= 0 || n > 366LL * 86400)
		return -1;
	long long mul = !*end || !strcmp(end, "s") ? 1 : !strcmp(end, "m") ? 60 : !strcmp(end, "h") ? 3600
		      : !strcmp(end, "d") ? 86400 : -1;
	return mul < 0 ? -1 : (int64_t)(n * mul) * TL_US_PER_SEC;
}

int cmd_chain(int argc, char **argv)
{
	struct tl_chain_opts o;
	memset(&o, 0, sizeof(o));
	enum tl_chain_format fmt = TL_CHAIN_TEXT;
	const char *out_name = NULL, *entity = NULL;
	char *type = NULL;
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
		switch (c) {
		case O_ENTITY:
			if (entity)
				return cli_usage_error(usage, "--entity: one pivot per chain command");
			entity = optarg;
			break;
		case O_FROM:
		case O_TO:
			if (tl_time_parse_arg(optarg, c == O_FROM ? &o.from : &o.to))
				return cli_usage_error(usage, "--%s: '%s' is not an ISO 8601 time", c == O_FROM ? "from" : "to",
						       optarg);
			*(c == O_FROM ? &o.has_from : &o.has_to) = 1;
			break;
		case O_WINDOW:
			if ((o.window_us = parse_duration(optarg)) < 0)
				return cli_usage_error(usage, "--window: '%s' is not a duration (30s, 5m, 2h, 1d)", optarg);
			break;
		case O_MAXSTEPS: {
			char *end;
			long long n = strtoll(optarg, &end, 10);
			if (*end || end == optarg || n <= 0 || n > 100000)
				return cli_usage_error(usage, "--max-steps: '%s' is not a number from 1 to 100000", optarg);
			o.max_steps = (size_t)n;
			break;
		}
		case O_BUDGET: {
			char *end;
			long long n = strtoll(optarg, &end, 10);
			if (*end || end == optarg || n <= 0 || n > 1000000000000LL)
				return cli_usage_error(usage, "--budget: '%s' is not a number of pages from 1 to 10^12", optarg);
			o.budget = n;
			break;
		}
		case O_OUTPUT:
			if (!strcmp(optarg, "text"))
				fmt = TL_CHAIN_TEXT;
			else if (!strcmp(optarg, "jsonl"))
				fmt = TL_CHAIN_JSONL;
			else if (!strcmp(optarg, "md"))
				fmt = TL_CHAIN_MD;
			else
				return cli_usage_error(usage, "--output: '%s' is not text, jsonl or md", optarg);
			break;
		case 'o': out_name = optarg; break;
		case 'h': fputs(usage, stdout); return TL_EXIT_OK;
		case ':': return cli_usage_error(usage, "option '%s' needs a value", argv[optind - 1]);
		default: return cli_usage_error(usage, "chain: bad option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error(usage, "chain takes one case folder");
	if (!entity)
		return cli_usage_error(usage, "chain needs a pivot: --entity TYPE:VALUE");
	const char *colon = strchr(entity, ':');
	if (!colon || colon == entity)
		return cli_usage_error(usage, "--entity wants TYPE:VALUE, got '%s'", entity);
	if (!(type = strndup(entity, (size_t)(colon - entity))))
		return cli_error("out of memory");
	o.type = type;
	o.value = colon + 1;
	struct tl_err err;
	if (tl_chain_pivot_check(&o, &err)) {
		free(type);
		return cli_usage_error(usage, "--entity '%s': %s", entity, err.msg);
	}
	if (o.has_from && o.has_to && o.from >= o.to) {
		free(type);
		return cli_usage_error(usage, "--from is not before --to: the time range is empty");
	}
	struct tl_case cs;
	if (cli_open_case(argv[optind], &cs)) {
		free(type);
		return TL_EXIT_ERROR;
	}
	int rc = TL_EXIT_OK;
	struct tl_chain_set set;
	memset(&set, 0, sizeof(set));
	struct tl_store *s = tl_store_open(cs.db_path, TL_STORE_READONLY, &err);
	if (!s) {
		rc = cli_error("%s (has anything been ingested?)", err.msg);
	} else if (tl_chain_build(s, &o, &set, &err)) {
		rc = cli_error("%s", err.msg);
	} else {
		struct cli_output out = { 0 };
		if (out_name && cli_output_open(&cs, out_name, &out)) {
			rc = TL_EXIT_ERROR;
		} else {
			FILE *fp = out_name ? out.fp : stdout;
			if (tl_chain_write(&set, fmt, fp, &err))
				rc = cli_error("%s", err.msg);
			if (out_name ? cli_output_close(&out, rc == TL_EXIT_OK) != 0 : fflush(stdout) != 0)
				rc = rc ? rc : cli_error("cannot write output");
			/* jsonl carries no notes: a walk cut short is said beside it */
			for (size_t i = 0; !rc && fmt == TL_CHAIN_JSONL && set.budget_spent && i < set.notes.n; i++)
				if (strstr(set.notes.v[i], "budget"))
					fprintf(stderr, "tl: note: %s\n", set.notes.v[i]);
			if (!rc && !set.n && set.budget_spent)
				fprintf(stderr, "tl: no chains from %s found before the walk's budget ran out (%zu event%s "
						"name%s it; see the note)\n",
					set.pivot, set.seeds, set.seeds == 1 ? "" : "s", set.seeds == 1 ? "s" : "");
			else if (!rc && !set.n)
				fprintf(stderr, "tl: no chains from %s: %zu event%s name%s it and none is linked to another\n",
					set.pivot, set.seeds, set.seeds == 1 ? "" : "s", set.seeds == 1 ? "s" : "");
		}
	}
	tl_chain_set_release(&set);
	tl_store_close(s);
	tl_case_release(&cs);
	free(type);
	return rc;
}
