/*
 * cmd_service.c - tongxin service: 在职党员到社区报到 (双报到): the limited records of in-service members who report to this community, the services they do, and the report back to their units.
 *
 * The rules and the writes are the domain layer's; this file parses and
 * prints. (Being built: see issue 10.)
 */
#include "cli.h"
#include "cmd.h"

#include <stdio.h>

static const struct cmd_entry cmd_entries_service[] = {
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

int
verb_service(struct cli *cli, int argc, char **argv)
{
	if (cmd_entries_service[0].verb == NULL) {
		fprintf(stderr, "tongxin service: 尚未提供 not available yet\n");
		return 2;
	}
	return cmd_run(cmd_entries_service, cli, argc, argv);
}
