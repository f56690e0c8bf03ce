/* tl bindings CASE: who held which address and who used which host, from when to when, with evidence. */
#include <getopt.h>
#include <string.h>

#include "cmd.h"
#include "common.h"
#include "tl/output.h"
#include "tl/store.h"

static const char usage[] =
	"usage: tl bindings [options] CASE\n\n"
	"Lists the time-bounded bindings correlation derived from the evidence: an\n"
	"address held by a user (ip-user: VPN sessions, logons, sign-ins, proxy\n"
	"authentication) or a host (ip-host: DHCP leases, EDR, inventory), a host\n"
	"used by a user (host-user: interactive logons, process owners), each with\n"
	"start, end, the rule that decided the end, its source, how many events it\n"
	"was attributed to and the evidence lines that justify it; then the\n"
	"conflicts: one subject bound to two values at once, whose events stay\n"
	"unattributed. See docs/correlation.md.\n\n"
	"  --kind KIND            only ip-user, ip-host or host-user\n"
	"  --entity TYPE:VALUE    only bindings of this user, host or ip (either side)\n"
	"  --output FORMAT        text (default) or jsonl\n"
	"  -o, --out NAME         write to CASE/out/NAME instead of stdout\n"
	"  -h, --help             this help\n";

int cmd_bindings(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "kind", required_argument, NULL, 'k' }, { "entity", required_argument, NULL, 'e' },
		{ "output", required_argument, NULL, 'f' }, { "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *kind = NULL, *entity = NULL, *out_name = NULL;
	enum tl_out_format fmt = TL_OUT_TEXT;
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
		switch (c) {
		case 'k':
			if (strcmp(optarg, "ip-user") && strcmp(optarg, "ip-host") && strcmp(optarg, "host-user"))
				return cli_usage_error(usage, "--kind: unknown kind '%s' (ip-user ip-host host-user)", optarg);
			kind = optarg;
			break;
		case 'e': entity = optarg; break;
		case 'o': out_name = optarg; break;
		case 'f':
			if (!strcmp(optarg, "text"))
				fmt = TL_OUT_TEXT;
			else if (!strcmp(optarg, "jsonl"))
				fmt = TL_OUT_JSONL;
			else
				return cli_usage_error(usage, "--output: '%s' is not text or jsonl", optarg);
			break;
		case 'h': fputs(usage, stdout); return TL_EXIT_OK;
		case ':': return cli_usage_error(usage, "option '%s' needs a value", argv[optind - 1]);
		default: return cli_usage_error(usage, "bindings: bad option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error(usage, "bindings takes one case folder");
	struct tl_entity en = { 0 };
	char type[16];
	if (entity) {
		const char *colon = strchr(entity, ':');
		if (!colon || colon == entity || (size_t)(colon - entity) >= sizeof(type) || !colon[1])
			return cli_usage_error(usage, "--entity wants TYPE:VALUE, got '%s'", entity);
		memcpy(type, entity, (size_t)(colon - entity));
		type[colon - entity] = 0;
		if (strcmp(type, "user") && strcmp(type, "host") && strcmp(type, "ip"))
			return cli_usage_error(usage, "--entity: unknown type '%s' (user host ip)", type);
		en.type = type;
		en.value = colon + 1;
	}
	struct tl_case cs;
	struct tl_err err;
	if (cli_open_case(argv[optind], &cs))
		return TL_EXIT_ERROR;
	int rc = TL_EXIT_OK;
	struct tl_store *s = tl_store_open(cs.db_path, TL_STORE_READONLY, &err);
	struct cli_output out = { 0 };
	if (!s) {
		rc = cli_error("%s (has anything been ingested?)", err.msg);
	} else if (out_name && cli_output_open(&cs, out_name, &out)) {
		rc = TL_EXIT_ERROR;
	} else {
		long n = tl_bindings_write(s, kind, entity ? &en : NULL, fmt, out_name ? out.fp : stdout, &err);
		if (n < 0)
			rc = cli_error("%s", err.msg);
		if (out_name ? cli_output_close(&out, rc == TL_EXIT_OK) != 0 : fflush(stdout) != 0)
			rc = rc ? rc : cli_error("cannot write output");
	}
	tl_store_close(s);
	tl_case_release(&cs);
	return rc;
}
