/*
 * cmd.c - one parser for every verb's command line (see cmd.h): the
 * entry's options, the global options and, for CMD_FIELDS entries, one
 * option per schema column, all handed to getopt_long.
 */
#include "cmd.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "domain.h"
#include "schema.h"
#include "text.h"
#include "vocab.h"

/* getopt_long's val for the global options and the column options. */
enum {
	OPT_BASE = 1,          /* the entry's option i is OPT_BASE + i (0 means unknown to getopt) */
	G_REPLICA = 1000, G_SERVER, G_OPERATOR, G_CSV, G_JSON, G_QUIET, G_HELP,
	FIELD_BASE = 2000,
};

static const struct option globals[] = {
	{ "replica", required_argument, NULL, G_REPLICA },
	{ "server", required_argument, NULL, G_SERVER },
	{ "operator", required_argument, NULL, G_OPERATOR },
	{ "csv", no_argument, NULL, G_CSV },
	{ "json", no_argument, NULL, G_JSON },
	{ "quiet", no_argument, NULL, G_QUIET },
	{ "help", no_argument, NULL, G_HELP },
};
#define NGLOBALS (sizeof globals / sizeof globals[0])

/* "member add" or "sync": the words that name e in messages. */
static void
entry_name(const struct cmd_entry *e, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s%s%s", e->verb, e->sub ? " " : "", e->sub ? e->sub : "");
}

static int
nopts(const struct cmd_entry *e)
{
	int n = 0;
	while (e->opts && e->opts[n].name)
		n++;
	return n;
}

/* Whether name is one of e's declared options or a global option. */
static bool
declared(const struct cmd_entry *e, const char *name)
{
	for (int i = 0; e->opts && e->opts[i].name; i++)
		if (strcmp(e->opts[i].name, name) == 0)
			return true;
	for (size_t g = 0; g < NGLOBALS; g++)
		if (strcmp(globals[g].name, name) == 0)
			return true;
	return false;
}

/*
 * The option name for column c of table t as the CLI spells it: org_id is
 * --branch for members and --org elsewhere, parent_id is --parent, others
 * their name with dashes.
 */
static void
field_option(int t, int c, char *buf, size_t cap)
{
	const char *name = schema_tables[t].cols[c].name;

	if (strcmp(name, "org_id") == 0)
		snprintf(buf, cap, "%s", t == TBL_MEMBER ? "branch" : "org");
	else if (strcmp(name, "parent_id") == 0)
		snprintf(buf, cap, "parent");
	else
		snprintf(buf, cap, "%s", name);
	for (char *p = buf; *p; p++)
		if (*p == '_')
			*p = '-';
}

int
cmd_parse(const struct cmd_entry *e, struct cli *cli, int argc, char **argv,
    struct cmd_args *a, bool *help)
{
	struct option longopts[CMD_MAX_OPTS + NGLOBALS + CMD_MAX_FIELDS + 1];
	static char fnames[CMD_MAX_FIELDS][64];
	char who[64];
	int n = 0, no = nopts(e), ch;

	memset(a, 0, sizeof *a);
	a->entry = e;
	*help = false;
	entry_name(e, who, sizeof who);
	if (no > CMD_MAX_OPTS) {
		fprintf(stderr, "tongxin %s: too many options declared\n", who);
		return EXIT_USAGE;
	}
	for (int i = 0; i < no; i++)
		longopts[n++] = (struct option){ e->opts[i].name,
		    e->opts[i].arg ? required_argument : no_argument, NULL, OPT_BASE + i };
	for (size_t g = 0; g < NGLOBALS; g++)
		longopts[n++] = globals[g];
	if (e->flags & CMD_FIELDS) {
		const struct table_def *td = &schema_tables[e->fields_table];
		for (int c = 0; c < td->ncols && c < CMD_MAX_FIELDS; c++) {
			field_option(e->fields_table, c, fnames[c], sizeof fnames[c]);
			if (declared(e, fnames[c]))
				continue;
			longopts[n++] = (struct option){ fnames[c], required_argument, NULL,
			    FIELD_BASE + c };
		}
	}
	longopts[n] = (struct option){ NULL, 0, NULL, 0 };

	/* optind 0: GNU getopt starts afresh (a test may parse several lines). */
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":hq", longopts, NULL)) != -1) {
		const char *given = argv[optind - 1];

		switch (ch) {
		case G_REPLICA: cli->replica = optarg; break;
		case G_SERVER: cli->server = optarg; break;
		case G_OPERATOR:
			if (strlen(optarg) > 64) {
				fprintf(stderr, "tongxin %s: 经办人姓名超过64字节 the operator name is longer "
				    "than 64 bytes\n", who);
				return EXIT_USAGE;
			}
			cli->operator_name = optarg;
			break;
		case G_CSV: cli->fmt = TABLE_CSV; break;
		case G_JSON: cli->fmt = TABLE_JSON; break;
		case 'q':
		case G_QUIET: cli->quiet = 1; break;
		case 'h':
		case G_HELP: *help = true; break;
		case ':':
			fprintf(stderr, "tongxin %s: 选项 %s 缺少取值 option needs a value\n", who, given);
			return EXIT_USAGE;
		case '?':
			if (optopt && optopt < FIELD_BASE && strncmp(given, "--", 2) == 0 &&
			    strchr(given, '='))
				fprintf(stderr, "tongxin %s: 选项 %.*s 不带取值 option takes no value\n",
				    who, (int)(strchr(given, '=') - given), given);
			else
				fprintf(stderr, "tongxin %s: 未知选项 unknown option %s (see tongxin %s "
				    "--help)\n", who, given, who);
			return EXIT_USAGE;
		default:
			if (ch >= FIELD_BASE) {
				int c = ch - FIELD_BASE;
				if (a->nfields == CMD_MAX_FIELDS) {
					fprintf(stderr, "tongxin %s: 选项过多 too many options\n", who);
					return EXIT_USAGE;
				}
				snprintf(a->field_buf[a->nfields], sizeof a->field_buf[0], "%s",
				    fnames[c]);
				a->field_name[a->nfields] = a->field_buf[a->nfields];
				a->field_val[a->nfields++] = optarg;
			} else if (ch >= OPT_BASE && ch < OPT_BASE + no) {
				ch -= OPT_BASE;
				a->val[ch] = e->opts[ch].arg ? optarg : "";
				a->count[ch]++;
				if (e->opts[ch].flags & CMD_OPT_MULTI) {
					if (a->nmulti == CMD_MAX_FIELDS) {
						fprintf(stderr, "tongxin %s: 选项 --%s 给得过多 given too many "
						    "times\n", who, e->opts[ch].name);
						return EXIT_USAGE;
					}
					a->multi_opt[a->nmulti] = ch;
					a->multi_val[a->nmulti++] = a->val[ch];
				} else if (a->count[ch] > 1) {
					fprintf(stderr, "tongxin %s: 选项 --%s 重复 given more than once\n",
					    who, e->opts[ch].name);
					return EXIT_USAGE;
				}
			}
			break;
		}
	}
	if (*help)
		return 0;
	for (int i = optind; i < argc; i++) {
		if (a->argc == CMD_MAX_FIELDS || (e->max_args >= 0 && a->argc >= e->max_args)) {
			fprintf(stderr, "tongxin %s: 多余的参数 unexpected argument \"%s\"\n", who,
			    argv[i]);
			return EXIT_USAGE;
		}
		a->argv[a->argc++] = argv[i];
	}
	if (a->argc < e->min_args) {
		fprintf(stderr, "tongxin %s: 缺少参数 %s missing argument\n", who,
		    e->args ? e->args : "");
		return EXIT_USAGE;
	}
	for (int i = 0; i < no; i++)
		if ((e->opts[i].flags & CMD_OPT_REQUIRED) && a->val[i] == NULL) {
			fprintf(stderr, "tongxin %s: 缺少必填选项 --%s %s missing required option\n",
			    who, e->opts[i].name, e->opts[i].arg ? e->opts[i].arg : "");
			return EXIT_USAGE;
		}
	return 0;
}

static int
opt_index(const struct cmd_args *a, const char *name)
{
	const struct cmd_entry *e = a->entry;
	for (int i = 0; e->opts && e->opts[i].name; i++)
		if (strcmp(e->opts[i].name, name) == 0)
			return i;
	return -1;
}

const char *
cmd_get(const struct cmd_args *a, const char *name)
{
	int i = opt_index(a, name);
	return i < 0 ? NULL : a->val[i];
}

bool
cmd_has(const struct cmd_args *a, const char *name)
{
	return cmd_get(a, name) != NULL;
}

const struct cmd_entry *
cmd_find(const struct cmd_entry *table, const char *verb, const char *sub)
{
	for (const struct cmd_entry *e = table; e->verb; e++) {
		if (strcmp(e->verb, verb) != 0)
			continue;
		if (e->sub == NULL || (sub && strcmp(e->sub, sub) == 0))
			return e;
	}
	return NULL;
}

void
cmd_usage_line(FILE *f, const struct cmd_entry *e)
{
	char who[64];

	entry_name(e, who, sizeof who);
	fprintf(f, "tongxin %s", who);
	if (e->args)
		fprintf(f, " %s", e->args);
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; e->opts && e->opts[i].name; i++) {
			const struct cmd_opt *o = &e->opts[i];
			bool req = o->flags & CMD_OPT_REQUIRED;
			if (req != (pass == 0))
				continue;
			fprintf(f, " %s--%s%s%s%s%s", req ? "" : "[", o->name, o->arg ? " " : "",
			    o->arg ? o->arg : "", req ? "" : "]",
			    o->flags & CMD_OPT_MULTI ? "..." : "");
		}
	if (e->flags & CMD_FIELDS)
		fputs(" [--FIELD VALUE...]", f);
	fputc('\n', f);
}

void
cmd_usage(FILE *f, const struct cmd_entry *e)
{
	fputs("usage: ", f);
	cmd_usage_line(f, e);
	if (e->help)
		fprintf(f, "\n%s", e->help);
	if (e->opts && e->opts[0].name)
		fputc('\n', f);
	for (int i = 0; e->opts && e->opts[i].name; i++) {
		char left[64];
		const struct cmd_opt *o = &e->opts[i];
		snprintf(left, sizeof left, "--%s%s%s", o->name, o->arg ? " " : "",
		    o->arg ? o->arg : "");
		fprintf(f, "  %-22s %s\n", left, o->help ? o->help : "");
	}
}

/* Every entry's usage line of the tables (one verb's), to f. */
static void
usage_tables(FILE *f, const struct cmd_entry *const *tables, size_t n)
{
	bool first = true;

	for (size_t i = 0; i < n; i++)
		for (const struct cmd_entry *e = tables[i]; e->verb; e++) {
			fputs(first ? "usage: " : "       ", f);
			cmd_usage_line(f, e);
			first = false;
		}
	fprintf(f, "\n`tongxin %s SUB --help` 查看子命令的说明 (shows one sub-verb's help).\n",
	    tables[0]->verb);
}

int
cmd_run(const struct cmd_entry *table, struct cli *cli, int argc, char **argv)
{
	return cmd_run_tables(&table, 1, cli, argc, argv);
}

int
cmd_run_tables(const struct cmd_entry *const *tables, size_t n, struct cli *cli, int argc,
    char **argv)
{
	const struct cmd_entry *e = NULL, *table = tables[0];
	struct cmd_args *a;
	bool help;
	int rc, has_subs = table->sub != NULL, skip;

	if (has_subs) {
		const char *sub = argc > 1 ? argv[1] : NULL;
		if (sub == NULL || strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 ||
		    strcmp(sub, "help") == 0) {
			usage_tables(sub ? stdout : stderr, tables, n);
			return sub ? EXIT_OK : EXIT_USAGE;
		}
		for (size_t i = 0; i < n && e == NULL; i++)
			e = cmd_find(tables[i], argv[0], sub);
		if (e == NULL) {
			fprintf(stderr, "tongxin %s: 未知子命令 unknown sub-verb \"%s\"\n", argv[0], sub);
			usage_tables(stderr, tables, n);
			return EXIT_USAGE;
		}
	} else {
		e = table;
	}
	/* The parser reads from argv[1] on: skip the verb word for sub-verbs. */
	skip = has_subs ? 1 : 0;
	if ((a = malloc(sizeof *a)) == NULL) {
		fprintf(stderr, "tongxin %s: 内存不足 out of memory\n", argv[0]);
		return EXIT_FAIL;
	}
	rc = cmd_parse(e, cli, argc - skip, argv + skip, a, &help);
	if (rc == 0 && help) {
		cmd_usage(stdout, e);
		rc = EXIT_OK;
	} else if (rc == 0) {
		rc = e->exec(cli, a);
	}
	free(a);
	return rc;
}

int
cmd_exit_of(int k)
{
	switch (k) {
	case DOM_OK: return EXIT_OK;
	case DOM_NOT_FOUND: return EXIT_NOT_FOUND;
	case DOM_INVALID:
	case DOM_MISSING: return EXIT_INVALID;
	default: return EXIT_FAIL;
	}
}

int
cmd_refused(const struct dom_error *e, const char *verbname)
{
	fprintf(stderr, "tongxin %s: %s\n", verbname, text_show(e->msg));
	return cmd_exit_of(e->kind);
}

int
cmd_with_replica(struct cli *cli, const struct cmd_args *a,
    int (*run)(struct cli *, struct replica *, const struct cmd_args *))
{
	struct replica *r;
	int rc;

	if ((r = cli_open(cli)) == NULL)
		return EXIT_FAIL;
	rc = run(cli, r, a);
	replica_close(r);
	return rc;
}

void
cmd_help_values(FILE *f, const char *opt, const struct vocab *v)
{
	int col = 17;

	fprintf(f, "\n可选值 Allowed values (the label, the code or a common alias):\n  %-14s ", opt);
	for (size_t i = 0; i < v->n; i++) {
		char word[128];
		int w;
		if (strcmp(v->entries[i].code, v->entries[i].label) == 0)
			snprintf(word, sizeof word, "%s%s", v->entries[i].label,
			    i + 1 < v->n ? "、" : "");
		else
			snprintf(word, sizeof word, "%s %s%s", v->entries[i].label, v->entries[i].code,
			    i + 1 < v->n ? "、" : "");
		w = text_width(word);
		if (col > 17 && col + w > 80) {
			fprintf(f, "\n%*s", 17, "");
			col = 17;
		}
		fputs(word, f);
		col += w;
	}
	fputc('\n', f);
}
