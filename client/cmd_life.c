/*
 * cmd_life.c - the member sub-verbs of the end of membership and of
 * discipline: leave (党员减少: death, withdrawal, removal, expulsion) and
 * discipline (党纪处分).
 *
 * The rules and the writes are the domain layer's; this file parses and
 * prints. (Being built: see issue 10.)
 */
#include "cli.h"
#include "cmd.h"

const struct cmd_entry cmd_entries_member_life[] = {
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};
