/* cmd_item.c - tongxin item. Being written. */
#include "cli.h"

int
verb_item(struct cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argc;
	(void)argv;
	return verb_usage("item", 0);
}
