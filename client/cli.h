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
	EXIT_FAIL = 1,         /* the command failed (a local error) */
	EXIT_USAGE = 2,        /* bad command line */
	EXIT_UNREACHABLE = 3,  /* server unreachable */
	EXIT_REFUSED = 4,      /* the server refused this device (TLS, revoked, unknown) */
	EXIT_MISMATCH = 5,     /* protocol version or schema mismatch */
	EXIT_SERVER = 6,       /* the server failed or broke the protocol */
	EXIT_INVALID = 7,      /* invalid input: nothing was changed */
	EXIT_DAMAGED = 8,      /* the local replica file is damaged: run tongxin doctor */
	EXIT_NOT_FOUND = 9,    /* no such record (member, meeting, item, transfer, conflict...) */
	EXIT_REJECTED = 10,    /* sync: done, but the server rejected at least one change */
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
/* Print a verb's usage (to stdout when ok) and return EXIT_OK or EXIT_USAGE. */
int verb_usage(const char *name, int ok);
/* Whether --help or -h is among the arguments. */
int has_help(int argc, char **argv);
/* The exit code for a failed exchange with the server. */
int fail_exit(int sync_fail);
/* Local time of Unix milliseconds as "YYYY-MM-DD HH:MM:SS" ("never" for 0). */
void fmt_time(int64_t ms, char *buf, size_t cap);

/* --- helpers for record verbs (cli.c) --- */

/* An organisation's id by its code in the replica. 0 found, -1 not. */
int org_id_by_code(sqlite3 *db, const char *code, char id[ID_TEXT_LEN + 1]);
/*
 * A row of table t by its full id or a unique suffix of 6 or more
 * characters (what the lists show). what_zh / what_en name the kind of
 * record in messages ("会议" / "meeting"). Returns 0 with id set, or an
 * exit code having printed why (EXIT_USAGE for a malformed key, EXIT_FAIL
 * for none or several).
 */
int row_by_suffix(sqlite3 *db, int t, const char *key, char id[ID_TEXT_LEN + 1],
    const char *verbname, const char *what_zh, const char *what_en);
/* A member's id by id or citizen ID number. 0 found, -1 not. */
int member_id(sqlite3 *db, const char *key, char id[ID_TEXT_LEN + 1]);
/*
 * Parse n (name, value) pairs for table t (the name without "--", as
 * cmd_args' field_name/field_val give them) into vals (borrowing the strings) and mark set[] for each column given. Column names take dashes
 * for underscores; --branch / --org (and --parent for org) take an
 * organisation code. Returns 0 or an exit code, having printed why.
 */
int parse_fields(sqlite3 *db, int t, int n, const char *const *fname, const char *const *fval,
    Tongxin__Value *vals, int *set, const char *verbname);
/* Validate set values (and required ones when insert); prints the first problem. */
int check_values(int t, const Tongxin__Value *vals, const int *set, int insert,
    const char *verbname);
struct vocab;
/*
 * Print that given is not one of vocabulary v's values for an option
 * (what: the Chinese name, opt: "--education"), listing the allowed labels
 * with their codes. Returns EXIT_INVALID.
 */
int vocab_refuse(const char *verbname, const char *what, const char *opt, const struct vocab *v,
    const char *given);
/*
 * Print one row of table t (its id and vals, which are cleared) as --csv or
 * --json want it: typed, codes with their labels (see table.h).
 */
int row_print(struct cli *cli, int t, const char *id, Tongxin__Value *vals);
/* A value as people read it: a vocabulary's label, 是/否, else value_str. */
const char *value_label(const struct col_def *cd, const Tongxin__Value *v, char *buf, size_t cap);
/* Commit the open local transaction or print why not. Returns an exit code. */
int commit_or_fail(struct replica *r, const char *verbname);
/* Update the given --field value columns of one row, validated. Returns an exit code. */
int edit_row(struct cli *cli, struct replica *r, int t, const char *id, int n,
    const char *const *fname, const char *const *fval, const char *verbname);

/* Domain verbs, one file each (cmd_*.c). */
int verb_meeting(struct cli *cli, int argc, char **argv);
int verb_item(struct cli *cli, int argc, char **argv);
int verb_develop(struct cli *cli, int argc, char **argv);
int verb_service(struct cli *cli, int argc, char **argv);
/* 驻区单位 and 共建协议 (cmd_unit.c). */
int verb_unit(struct cli *cli, int argc, char **argv);
int verb_agreement(struct cli *cli, int argc, char **argv);
int verb_dues(struct cli *cli, int argc, char **argv);
int verb_committee(struct cli *cli, int argc, char **argv);

int verb_transfer(struct cli *cli, int argc, char **argv);
int verb_report(struct cli *cli, int argc, char **argv);
int verb_reconcile(struct cli *cli, int argc, char **argv);
/* doctor: check and rebuild the replica file (cmd_doctor.c). */
int verb_doctor(struct cli *cli, int argc, char **argv);
/* member import (cmd_import.c), called from verb_member. */
int member_import(struct cli *cli, struct replica *r, int argc, char **argv);

/* Administrators' verbs (admin.c). */
int verb_conflicts(struct cli *cli, int argc, char **argv);
int verb_audit(struct cli *cli, int argc, char **argv);
int verb_devices(struct cli *cli, int argc, char **argv);

#endif
