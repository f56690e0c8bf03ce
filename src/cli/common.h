/* Helpers shared by commands: opening a case with its formats. */
#ifndef TL_CLI_COMMON_H
#define TL_CLI_COMMON_H

#include "tl/case.h"
#include "tl/format.h"

/* Built-in formats plus the case's own (C may be NULL). Prints errors; 0 or -1. */
int cli_load_formats(const struct tl_case *c, struct tl_formats *fs);

#endif
