/*
 * cmd_develop.c - tongxin develop (发展党员: the development pipeline) and
 * the member sub-verbs of probation: promote (转正) and extend (延长预备期).
 *
 * The rules and the writes are the domain layer's; this file parses and
 * prints. (Being built: see issue 10.)
 */
#include "cli.h"
#include "cmd.h"

#include <stdio.h>

const struct cmd_entry cmd_entries_member_develop[] = {
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

static const struct cmd_entry cmd_entries_develop[] = {
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

int
verb_develop(struct cli *cli, int argc, char **argv)
{
	if (cmd_entries_develop[0].verb == NULL) {
		fprintf(stderr, "tongxin develop: 尚未提供 not available yet\n");
		return 2;
	}
	return cmd_run(cmd_entries_develop, cli, argc, argv);
}
