/* tl init CASE: create a case folder. */
#include <string.h>

#include "cmd.h"
#include "common.h"
#include "tl/case.h"

static const char usage[] =
	"usage: tl init CASE\n\n"
	"Creates CASE/ with evidence/ (put the raw logs here; tl only reads them),\n"
	"formats/ (your own format definitions), out/ (outputs), and a documented\n"
	"tl.json config template. An existing case is left as it is.\n";

int cmd_init(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return TL_EXIT_OK;
	}
	if (argc != 2)
		return cli_usage_error(usage, "init takes exactly one case folder");
	struct tl_err err;
	int created;
	if (tl_case_init(argv[1], &created, &err))
		return cli_error("%s", err.msg);
	printf("%s case '%s'\n", created ? "created" : "kept existing", argv[1]);
	struct tl_case cs;
	if (cli_open_case(argv[1], &cs) == 0)
		tl_case_release(&cs);
	return TL_EXIT_OK;
}
