/*
 * cmd_dues.c - tongxin dues: 党费: each member's monthly dues by the 党费收缴 rules, payments per month, arrears.
 *
 * The rules and the writes are the domain layer's; this file parses and
 * prints. (Being built: see issue 10.)
 */
#include "cli.h"
#include "cmd.h"

#include <stdio.h>

static const struct cmd_entry cmd_entries_dues[] = {
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

int
verb_dues(struct cli *cli, int argc, char **argv)
{
	if (cmd_entries_dues[0].verb == NULL) {
		fprintf(stderr, "tongxin dues: 尚未提供 not available yet\n");
		return 2;
	}
	return cmd_run(cmd_entries_dues, cli, argc, argv);
}
