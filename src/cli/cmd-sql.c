/* tl sql CASE "SELECT ...": read-only queries on the case database. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <string.h>

#include "cmd.h"
#include "common.h"
#include "tl/case.h"
#include "tl/store.h"

static const char usage[] =
	"usage: tl sql [-o NAME] CASE \"SELECT ...\"\n\n"
	"Runs one read-only statement against CASE/case.db and prints a header line\n"
	"and one line per row, tab-separated (NULL prints as empty; tabs, newlines and\n"
	"control bytes in values are escaped). Writes, ATTACH, PRAGMA changes and\n"
	"extension loading are refused. Tables: events, evidence_files, rejects\n"
	"(docs/schema.md).\n\n"
	"  -o, --out NAME   write to CASE/out/NAME instead of stdout (recorded in the\n"
	"                   custody log and covered by tl manifest)\n";

static void put_value(struct tl_buf *b, const struct tl_value *v)
{
	if (v->type == TL_VALUE_NULL)
		return;
	const char *s = v->s;
	size_t n = v->len, run = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '\t' && s[i] != '\n' && s[i] != '\\')
			continue;
		tl_term_escape(b, s + run, i - run);
		if (i < n)
			tl_buf_adds(b, s[i] == '\t' ? "\\t" : s[i] == '\n' ? "\\n" : "\\\\");
		run = i + 1;
	}
}

int cmd_sql(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *out_name = NULL;
	int c;
	/* "+": the statement may start with '-' ("-- comment"), so options come first */
	while ((c = getopt_long(argc, argv, "+ho:", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': out_name = optarg; break;
		case 'h': fputs(usage, stdout); return TL_EXIT_OK;
		default: return cli_usage_error(usage, "sql: bad option");
		}
	}
	if (argc - optind != 2)
		return cli_usage_error(usage, "sql takes a case folder and one statement");
	const char *case_dir = argv[optind], *sql = argv[optind + 1];
	struct tl_case cs;
	struct tl_err err;
	if (cli_open_case(case_dir, &cs))
		return TL_EXIT_ERROR;
	struct tl_store *s = tl_store_open(cs.db_path, TL_STORE_READONLY, &err);
	struct cli_output out = { 0 };
	if (!s || (out_name && cli_output_open(&cs, out_name, &out))) {
		int rc = s ? TL_EXIT_ERROR : cli_error("%s", err.msg);
		tl_store_close(s);
		tl_case_release(&cs);
		return rc;
	}
	FILE *fp = out_name ? out.fp : stdout;
	struct tl_store_iter *it = tl_store_query_readonly(s, sql, &err);
	const struct tl_value *vals;
	struct tl_buf b = TL_BUF_INIT;
	int out_rc = TL_EXIT_OK;
	if (!it) {
		out_rc = cli_error("sql: %s", err.msg);
		goto done;
	}
	int ncol = tl_store_query_columns(it);
	for (int i = 0; i < ncol; i++) {
		if (i)
			tl_buf_addc(&b, '\t');
		const char *name = tl_store_query_column_name(it, i);
		tl_term_escape(&b, name, strlen(name));
	}
	tl_buf_addc(&b, '\n');
	fwrite(b.data, 1, b.len, fp);
	int rc;
	while ((rc = tl_store_next_values(it, &vals, &err)) == 1) {
		tl_buf_reset(&b);
		for (int i = 0; i < ncol; i++) {
			if (i)
				tl_buf_addc(&b, '\t');
			put_value(&b, &vals[i]);
		}
		tl_buf_addc(&b, '\n');
		fwrite(b.data, 1, b.len, fp);
	}
	if (rc < 0)
		out_rc = cli_error("sql: %s", err.msg);
done:
	tl_buf_release(&b);
	tl_store_iter_free(it);
	tl_store_close(s);
	if (out_name && cli_output_close(&out, out_rc == TL_EXIT_OK) && out_rc == TL_EXIT_OK)
		out_rc = TL_EXIT_ERROR;
	tl_case_release(&cs);
	return out_rc;
}
