/*
 * cli.h - tongxin's command line: global options, the verb table, exit codes.
 */
#ifndef TX_CLI_H
#define TX_CLI_H

#include "replica.h"
#include "table.h"

/* Exit codes, documented in --help. Append only. */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,         /* the command failed (local error, not found) */
	EXIT_USAGE = 2,        /* bad command line */
	EXIT_UNREACHABLE = 3,  /* server unreachable */
	EXIT_REFUSED = 4,      /* the server refused this device (TLS, revoked, unknown) */
	EXIT_MISMATCH = 5,     /* protocol version or schema mismatch */
	EXIT_SERVER = 6,       /* the server failed or broke the protocol */
	EXIT_INVALID = 7,      /* invalid input: nothing was changed */
};

/* Options every command takes. */
struct cli {
	const char *replica;       /* --replica, $TONGXIN_REPLICA, ./tongxin.db */
	const char *server;        /* --server HOST:PORT */
	const char *operator_name; /* --operator NAME, $TONGXIN_OPERATOR */
	enum table_format fmt;     /* --csv / --json */
	int quiet;
};

int tongxin_main(int argc, char **argv);

/* Open the replica named by the global options, or print why not. */
struct replica *cli_open(const struct cli *cli);

#endif
