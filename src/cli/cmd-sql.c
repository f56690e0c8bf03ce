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

/* Allow reading only: the case database is evidence of what tl did. */
static int authorizer(void *u, int action, const char *a, const char *b, const char *c, const char *d)
{
	(void)u, (void)b, (void)c, (void)d;
	switch (action) {
	case SQLITE_SELECT:
	case SQLITE_READ:
	case SQLITE_FUNCTION:
	case SQLITE_RECURSIVE:
		return SQLITE_OK;
	case SQLITE_PRAGMA:
		/* reading a pragma is fine (user_version, table_info(x)); setting one is not.
		 * table-valued pragmas pass their argument in b; assignments in b too, so
		 * only the ones that merely name a table are let through with one. */
		if (!b)
			return SQLITE_OK;
		return a && (!strcmp(a, "table_info") || !strcmp(a, "table_xinfo") || !strcmp(a, "index_list") ||
			     !strcmp(a, "index_info") || !strcmp(a, "foreign_key_list"))
			       ? SQLITE_OK : SQLITE_DENY;
	default:
		return SQLITE_DENY;
	}
}

static void put_value(struct tl_buf *b, sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return;
	const char *s = (const char *)sqlite3_column_text(st, col);
	size_t n = (size_t)sqlite3_column_bytes(st, col), run = 0;
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
	sqlite3 *db = tl_store_db(s);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
	sqlite3_set_authorizer(db, authorizer, NULL);
	sqlite3_stmt *st;
	const char *tail;
	int out_rc = TL_EXIT_OK;
	if (sqlite3_prepare_v2(db, sql, -1, &st, &tail) != SQLITE_OK) {
		out_rc = cli_error("sql: %s", sqlite3_errmsg(db));
		goto done;
	}
	if (!st || !sqlite3_stmt_readonly(st) || (tail && strspn(tail, " \t\r\n;") != strlen(tail))) {
		out_rc = cli_error("sql: one read-only statement, please");
		goto done;
	}
	int ncol = sqlite3_column_count(st);
	struct tl_buf b = TL_BUF_INIT;
	for (int i = 0; i < ncol; i++) {
		if (i)
			tl_buf_addc(&b, '\t');
		const char *name = sqlite3_column_name(st, i);
		tl_term_escape(&b, name, strlen(name));
	}
	tl_buf_addc(&b, '\n');
	fwrite(b.data, 1, b.len, fp);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		tl_buf_reset(&b);
		for (int i = 0; i < ncol; i++) {
			if (i)
				tl_buf_addc(&b, '\t');
			put_value(&b, st, i);
		}
		tl_buf_addc(&b, '\n');
		fwrite(b.data, 1, b.len, fp);
	}
	if (rc != SQLITE_DONE)
		out_rc = cli_error("sql: %s", sqlite3_errmsg(db));
	tl_buf_release(&b);
done:
	sqlite3_finalize(st);
	tl_store_close(s);
	if (out_name && cli_output_close(&out, out_rc == TL_EXIT_OK) && out_rc == TL_EXIT_OK)
		out_rc = TL_EXIT_ERROR;
	tl_case_release(&cs);
	return out_rc;
}
