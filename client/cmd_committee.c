/*
 * cmd_committee.c - tongxin committee: 委员会 and 党员中心户: committee seats with terms, and member households that keep in touch with a grid's households.
 *
 * The rules and the writes are the domain layer's; this file parses and
 * prints. (Being built: see issue 10.)
 */
#include "cli.h"
#include "cmd.h"

#include <stdio.h>

static const struct cmd_entry cmd_entries_committee[] = {
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

int
verb_committee(struct cli *cli, int argc, char **argv)
{
	if (cmd_entries_committee[0].verb == NULL) {
		fprintf(stderr, "tongxin committee: 尚未提供 not available yet\n");
		return 2;
	}
	return cmd_run(cmd_entries_committee, cli, argc, argv);
}
