/* cmd_meeting.c - tongxin meeting. Being written. */
#include "cli.h"

int
verb_meeting(struct cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argc;
	(void)argv;
	return verb_usage("meeting", 0);
}
