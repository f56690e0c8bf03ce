/* tl detect FILE...: which format would read each file, and why (every candidate). */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "common.h"
#include "tl/detect.h"
#include "tl/json.h"

static const char usage[] =
	"usage: tl detect [--case CASE] [--brief | --json] FILE...\n\n"
	"Shows how tl ingest would detect each FILE's format: every candidate that\n"
	"the sniff rules nominate, with its family, sniff score, the records of the\n"
	"file's start it parsed (events, rejects, records too large to sample), the\n"
	"share that parsed, its specificity and evidence, and its verdict: chosen,\n"
	"beaten, tie, below-threshold, weak-sniff or excluded (a Zeek log of another\n"
	"#path). With --case, CASE/formats/ take part too. Nothing is written.\n\n"
	"  --brief   one line per file: FORMAT<TAB>FILE ('-' when unsupported)\n"
	"  --json    one line per file: {\"file\":...,\"detection\":{...}}, the JSON\n"
	"            that tl ingest stores in evidence_files.detection\n\n"
	"Exit status 4 when some file has no format, 1 when one cannot be read.\n";

static const char *jstr(const struct tl_json *o, const char *k)
{
	const struct tl_json *v = tl_json_get(o, k);
	return v && (v->type == TL_JSON_STRING || v->type == TL_JSON_NUMBER) ? v->str : "-";
}

static void esc(FILE *out, const char *s)
{
	struct tl_buf b = TL_BUF_INIT;
	tl_term_escape(&b, s, strlen(s));
	fputs(b.data ? b.data : "", out);
	tl_buf_release(&b);
}

int cli_detection_show(FILE *out, const char *json, const char *indent)
{
	struct tl_err err;
	struct tl_json *j = tl_json_parse("detection", json, strlen(json), &err);
	const struct tl_json *cs = j ? tl_json_get(j, "candidates") : NULL;
	if (!cs || cs->type != TL_JSON_ARRAY) {
		tl_json_free(j);
		return -1;
	}
	const struct tl_json *zp = tl_json_get(j, "zeek_path");
	if (zp && zp->type == TL_JSON_STRING) {
		fprintf(out, "%sZeek #path: ", indent);
		esc(out, zp->str);
		fputc('\n', out);
	}
	if (!cs->n) {
		fprintf(out, "%sno candidate: no format's sniff rules match the start of the file\n", indent);
	} else {
		fprintf(out, "%s%-20s %-8s %5s %7s %6s %7s %7s %7s %6s %5s %8s  %-15s %s\n", indent, "candidate", "family",
			"sniff", "sampled", "events", "rejects", "generic", "skipped", "rate%", "spec", "evidence", "verdict", "why");
		for (size_t i = 0; i < cs->n; i++) {
			const struct tl_json *c = cs->kids[i];
			fprintf(out, "%s%-20s %-8s %5s %7s %6s %7s %7s %7s %6s %5s %8s  %-15s ", indent, jstr(c, "format"),
				jstr(c, "family"), jstr(c, "sniff"), jstr(c, "sampled"), jstr(c, "events"),
				jstr(c, "rejects"), jstr(c, "unclaimed"), jstr(c, "skipped"), jstr(c, "rate"), jstr(c, "specificity"),
				jstr(c, "evidence"), jstr(c, "verdict"));
			esc(out, jstr(c, "why"));
			fputc('\n', out);
		}
	}
	tl_json_free(j);
	return 0;
}

int cmd_detect(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "case", required_argument, NULL, 'c' }, { "brief", no_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },      { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *case_dir = NULL;
	int brief = 0, json = 0, c;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': case_dir = optarg; break;
		case 'b': brief = 1; break;
		case 'j': json = 1; break;
		case 'h': fputs(usage, stdout); return TL_EXIT_OK;
		default: return cli_usage_error(usage, "detect: bad option");
		}
	}
	if (optind == argc)
		return cli_usage_error(usage, "detect: name at least one file");
	if (brief && json)
		return cli_usage_error(usage, "detect: --brief and --json do not go together");
	struct tl_case cs;
	if (case_dir && cli_open_case(case_dir, &cs))
		return TL_EXIT_ERROR;
	struct tl_formats fs = TL_FORMATS_INIT;
	int loaded = cli_load_formats(case_dir ? &cs : NULL, &fs);
	if (case_dir)
		tl_case_release(&cs);
	if (loaded)
		return TL_EXIT_ERROR;
	int rc = TL_EXIT_OK;
	for (int i = optind; i < argc; i++) {
		struct tl_detection d;
		struct tl_err err;
		if (tl_detect_file(&fs, argv[i], &d, &err)) {
			if (strstr(err.msg, argv[i]))
				cli_error("%s", err.msg);
			else
				cli_error("cannot read '%s': %s", argv[i], err.msg);
			rc = TL_EXIT_ERROR;
			tl_detection_release(&d);
			continue;
		}
		if (!d.format && rc == TL_EXIT_OK)
			rc = TL_EXIT_PARTIAL;
		if (brief) {
			printf("%s\t", d.format ? tl_format_name(d.format) : "-");
			esc(stdout, argv[i]);
			putchar('\n');
		} else if (json) {
			struct tl_buf b = TL_BUF_INIT;
			tl_json_escape(&b, argv[i], strlen(argv[i]));
			printf("{\"file\":\"%s\",\"detection\":%s}\n", b.data ? b.data : "", d.json ? d.json : "null");
			tl_buf_release(&b);
		} else {
			esc(stdout, argv[i]);
			if (d.format) {
				printf(": %s (%s, confidence %d)\n", tl_format_name(d.format), tl_format_family(d.format),
				       d.confidence);
			} else {
				fputs(": unsupported: ", stdout);
				esc(stdout, d.reason);
				putchar('\n');
			}
			if (d.json && d.window_bytes)
				cli_detection_show(stdout, d.json, "  ");
		}
		tl_detection_release(&d);
	}
	tl_formats_release(&fs);
	return rc;
}
