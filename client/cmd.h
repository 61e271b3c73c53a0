/*
 * cmd.h - the command line's verbs as one table of entries (tmux's
 * cmd_entry): each verb and sub-verb is one row naming its options, its
 * positional arguments, its flags and its handler, and one parser
 * (getopt_long) reads every command line the same way:
 *
 *   - `--opt value` and `--opt=value`; a value that looks like an option is
 *     still the value (`--address --csv` sets the address to "--csv");
 *   - `--` ends the options: what follows is positional even if it starts
 *     with a dash;
 *   - options and positional arguments may come in any order;
 *   - the global options (--replica, --server, --operator, --csv, --json,
 *     --quiet/-q, --help/-h) are accepted by every verb, before or after it;
 *   - entries with CMD_FIELDS also take one --COLUMN VALUE option per column
 *     of their table (dashes for underscores), collected in order;
 *   - a missing required option, an unknown option, an option without its
 *     value, too few or too many positional arguments are all usage errors:
 *     a Chinese-first message naming the problem and exit status 2.
 */
#ifndef TX_CMD_H
#define TX_CMD_H

#include <stdbool.h>
#include <stdio.h>

struct cli;

/* Most options an entry may declare, and most --COLUMN VALUE pairs it takes. */
#define CMD_MAX_OPTS 24
#define CMD_MAX_FIELDS 64

/* One option of an entry. */
struct cmd_opt {
	const char *name;      /* long name without dashes: "branch" */
	const char *arg;       /* the value's name in usage ("CODE"); NULL: a flag with no value */
	unsigned flags;        /* CMD_OPT_* */
	const char *help;      /* one line, Chinese first; may be NULL */
};
#define CMD_OPT_REQUIRED 0x1   /* the command cannot run without it */
#define CMD_OPT_MULTI 0x2      /* may be given more than once (each value kept, up to CMD_MAX_FIELDS) */

/* Entry flags. */
#define CMD_FIELDS 0x4         /* takes --COLUMN VALUE for the columns of fields_table */

struct cmd_args;

/* One verb or sub-verb. */
struct cmd_entry {
	const char *verb;          /* "member" */
	const char *sub;           /* "add"; NULL when the verb has no sub-verbs */
	const char *args;          /* positional arguments in usage: "ID", "FILE.csv", NULL */
	int min_args, max_args;    /* how many positional arguments (max_args -1: any) */
	const struct cmd_opt *opts;    /* ended by a row with name NULL; may be NULL */
	int fields_table;          /* the schema table of CMD_FIELDS */
	unsigned flags;            /* CMD_* */
	const char *help;          /* what it does, Chinese first, lines ended by \n */
	int (*exec)(struct cli *cli, const struct cmd_args *a);
};

/* A parsed command line. Strings are borrowed from argv. */
struct cmd_args {
	const struct cmd_entry *entry;
	int argc;                          /* positional arguments, in order */
	char *argv[CMD_MAX_FIELDS];
	const char *val[CMD_MAX_OPTS];     /* each option's last value ("" for a flag); NULL: absent */
	int count[CMD_MAX_OPTS];           /* how many times each option was given */
	/* CMD_OPT_MULTI values, in order, with the option's index. */
	int nmulti;
	int multi_opt[CMD_MAX_FIELDS];
	const char *multi_val[CMD_MAX_FIELDS];
	/* --COLUMN VALUE pairs (CMD_FIELDS), in order: the name as given (without "--"), the value. */
	int nfields;
	const char *field_name[CMD_MAX_FIELDS];
	const char *field_val[CMD_MAX_FIELDS];
	char field_buf[CMD_MAX_FIELDS][64];
};

/*
 * Parse a command line for entry e. argv[0] is the verb (or sub-verb) word
 * itself; parsing starts at argv[1]. Global options found among the options
 * are applied to cli (and --help sets *help). Returns 0, or EXIT_USAGE (2)
 * having printed why to stderr as "tongxin VERB [SUB]: ...".
 */
int cmd_parse(const struct cmd_entry *e, struct cli *cli, int argc, char **argv,
    struct cmd_args *a, bool *help);

/* The value of option name ("" for a given flag), or NULL when absent. name must be declared. */
const char *cmd_get(const struct cmd_args *a, const char *name);
/* Whether option name was given. */
bool cmd_has(const struct cmd_args *a, const char *name);

/*
 * The entry of table (ended by a row with verb NULL) for verb and sub (sub
 * may be NULL or any word; an entry with sub NULL matches its verb alone).
 * NULL when there is none.
 */
const struct cmd_entry *cmd_find(const struct cmd_entry *table, const char *verb,
    const char *sub);

/*
 * Run one verb from its table (ended by a row with verb NULL; every row the
 * same verb). argv[0] is the verb word, argv[1] the sub-verb when the
 * table has sub-verbs. `tongxin VERB --help` (or no sub-verb) prints every
 * entry's usage; `tongxin VERB SUB --help` the entry's usage and help.
 * Returns the entry's exit status, or EXIT_USAGE for an unknown sub-verb or
 * a usage error (having said why).
 */
int cmd_run(const struct cmd_entry *table, struct cli *cli, int argc, char **argv);
/*
 * The same for a verb whose sub-verbs come from several tables (the first
 * table names the verb; its first entry's sub-verbs come first in usage).
 * The tables must be empty of none: each has at least one entry.
 */
int cmd_run_tables(const struct cmd_entry *const *tables, size_t n, struct cli *cli, int argc,
    char **argv);

/* The member verb's further sub-verbs (cmd_develop.c, cmd_life.c); see cli.c's verb_member. */
extern const struct cmd_entry cmd_entries_member_develop[];
extern const struct cmd_entry cmd_entries_member_life[];

/*
 * The exit status of a domain refusal of kind k (domain.h), the same in
 * every verb: no such record 9, invalid input (an ambiguous handle
 * included) or a missing item 7, a replica failure 1. (A missing required
 * option never reaches the domain: cmd_parse refuses it with 2.)
 */
int cmd_exit_of(int k);

struct dom_error;
struct replica;
/* A domain refusal said as "tongxin VERB: message" on stderr; its exit status (cmd_exit_of). */
int cmd_refused(const struct dom_error *e, const char *verbname);
/*
 * Run one sub-verb on the replica the global options name: open it, call
 * run, close it. run's exit status (EXIT_FAIL when the replica cannot be
 * opened, having said why).
 */
int cmd_with_replica(struct cli *cli, const struct cmd_args *a,
    int (*run)(struct cli *, struct replica *, const struct cmd_args *));

struct vocab;
/*
 * The allowed values of option opt (e.g. "--kind"), from vocabulary v, as
 * --help lists them: a header line, then "label code" words wrapped at 80
 * columns under a hanging indent (a label that is its own code once).
 */
void cmd_help_values(FILE *f, const char *opt, const struct vocab *v);

/* "tongxin member add --name NAME ... [--phone VALUE]": one usage line of e. */
void cmd_usage_line(FILE *f, const struct cmd_entry *e);
/* The usage line, the help text and each option's help line of e. */
void cmd_usage(FILE *f, const struct cmd_entry *e);

#endif
