/* cmd_transfer.c - tongxin transfer. Being written. */
#include "cli.h"

int
verb_transfer(struct cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argc;
	(void)argv;
	return verb_usage("transfer", 0);
}
