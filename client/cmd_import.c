/* cmd_import.c - tongxin member import. Being written. */
#include "cli.h"

int
member_import(struct cli *cli, struct replica *r, int argc, char **argv)
{
	(void)cli;
	(void)r;
	(void)argc;
	(void)argv;
	return verb_usage("member", 0);
}
