/* Shared command helpers (see common.h). */
#include "common.h"

#include "cmd.h"

int cli_load_formats(const struct tl_case *c, struct tl_formats *fs)
{
	struct tl_err err;
	if (tl_formats_add_builtin(fs, &err) || (c && tl_formats_add_dir(fs, c->formats_dir, &err))) {
		cli_error("%s", err.msg);
		tl_formats_release(fs);
		return -1;
	}
	return 0;
}
