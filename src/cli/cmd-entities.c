/* tl entities CASE: the entities of the case with their aliases and counts. */
#include <getopt.h>
#include <string.h>

#include "cmd.h"
#include "common.h"
#include "tl/entities.h"
#include "tl/entity.h"
#include "tl/store.h"

static const char usage[] =
	"usage: tl entities CASE [--type T] [--grep PATTERN] [--output text|csv|jsonl]\n\n"
	"Lists the entities the events name - users, hosts, addresses, domains, URLs,\n"
	"files, processes, hashes, e-mail addresses, cloud resources - once each by\n"
	"its canonical form, with the registrable domain, first and last seen (UTC),\n"
	"how many events name it and its aliases (spellings seen, with their event\n"
	"counts, and those of tl.json's \"aliases\"). Sorted by type, then value.\n\n"
	"  --type T         only entities of type T: user host ip domain url file\n"
	"                   process hash email resource\n"
	"  --grep PATTERN   only entities whose value, registrable domain or an alias\n"
	"                   matches the PCRE2 pattern (case ignored)\n"
	"  --output F       text (default, tab-separated), csv or jsonl\n\n"
	"The rules: docs/correlation.md#entities.\n";

int cmd_entities(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return TL_EXIT_OK;
	}
	static const struct option longopts[] = { { "type", required_argument, NULL, 't' },
						   { "grep", required_argument, NULL, 'g' },
						   { "output", required_argument, NULL, 'o' },
						   { NULL, 0, NULL, 0 } };
	const char *type = NULL, *grep = NULL;
	enum tl_entities_format fmt = TL_ENTITIES_TEXT;
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		enum tl_entity_type t;
		switch (c) {
		case 't':
			if (tl_entity_type_parse(optarg, &t))
				return cli_usage_error(usage, "--type: unknown entity type '%s' (user host ip domain url file "
							      "process hash email resource)", optarg);
			type = optarg;
			break;
		case 'g': grep = optarg; break;
		case 'o':
			if (!strcmp(optarg, "text"))
				fmt = TL_ENTITIES_TEXT;
			else if (!strcmp(optarg, "csv"))
				fmt = TL_ENTITIES_CSV;
			else if (!strcmp(optarg, "jsonl"))
				fmt = TL_ENTITIES_JSONL;
			else
				return cli_usage_error(usage, "--output: unknown format '%s' (text, csv, jsonl)", optarg);
			break;
		case ':': return cli_usage_error(usage, "%s needs a value", argv[optind - 1]);
		default: return cli_usage_error(usage, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error(usage, "entities takes one case folder");
	struct tl_case cs;
	struct tl_err err;
	if (cli_open_case(argv[optind], &cs))
		return TL_EXIT_ERROR;
	int rc = TL_EXIT_OK;
	struct tl_store *s = tl_store_open(cs.db_path, TL_STORE_READONLY, &err);
	if (!s) {
		rc = cli_error("%s (has anything been ingested?)", err.msg);
	} else {
		long n;
		if (tl_entities_write(s, type, grep, fmt, stdout, &n, &err))
			rc = strncmp(err.msg, "--grep", 6) ? cli_error("%s", err.msg) : cli_usage_error(usage, "%s", err.msg);
		else if (fflush(stdout) != 0)
			rc = cli_error("cannot write output");
	}
	tl_store_close(s);
	tl_case_release(&cs);
	return rc;
}
