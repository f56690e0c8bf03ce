/* placeholder: being written */
#include "cmd.h"

int cmd_package(int argc, char **argv)
{
	(void)argc, (void)argv;
	return cli_error("tl package is not written yet");
}
