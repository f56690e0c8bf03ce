/* placeholder: being written */
#include "cmd.h"

int cmd_gaps(int argc, char **argv)
{
	(void)argc, (void)argv;
	return cli_error("tl gaps is not written yet");
}
