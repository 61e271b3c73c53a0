/* cmd_report.c - tongxin report. Being written. */
#include "cli.h"

int
verb_report(struct cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argc;
	(void)argv;
	return verb_usage("report", 0);
}
