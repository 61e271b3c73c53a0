/*
 * test_cmd.c - the command line's one parser (client/cmd.c) and the one
 * kind of handle (client/dom_handle.c), table-driven:
 *
 *   - `--opt value`, `--opt=value`, a value that looks like an option
 *     (`--address --csv` is an address), `--` ending the options, options
 *     and arguments in any order, global options before or after the verb;
 *   - usage errors, each exit status 2 with its message: a missing required
 *     option, an unknown option, an option without its value, a flag given a
 *     value, too many or too few arguments, a repeated single option;
 *   - cmd_run: the sub-verb found and run with its arguments, an unknown
 *     or missing sub-verb a usage error listing the sub-verbs, --help;
 *   - the short handle lists show (dom_short).
 *
 * Exit status 0 when every check holds; otherwise each failed check is
 * printed and the status is 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd.h"
#include "dom_handle.h"
#include "schema.h"

static int failures, checks;

#define CHECK(cond, ...)                                                         \
	do {                                                                     \
		checks++;                                                        \
		if (!(cond)) {                                                   \
			fprintf(stderr, "%s:%d: check failed: %s\n  ", __FILE__, \
			    __LINE__, #cond);                                    \
			fprintf(stderr, __VA_ARGS__);                            \
			fputc('\n', stderr);                                     \
			failures++;                                              \
		}                                                                \
	} while (0)

static const struct cmd_opt add_opts[] = {
	{ "name", "NAME", CMD_OPT_REQUIRED, "姓名" },
	{ "to", "CODE", 0, "转入组织" },
	{ "dry-run", NULL, 0, "只检查" },
	{ "present", "ID", CMD_OPT_MULTI, "出席" },
	{ NULL, NULL, 0, NULL },
};

static int exec_none(struct cli *cli, const struct cmd_args *a) { (void)cli; (void)a; return 0; }

static int split(char *line, char **argv, int cap);

/* Records what cmd_run handed to it: the first positional argument. */
static char ran_with[64];
static int
exec_show(struct cli *cli, const struct cmd_args *a)
{
	(void)cli;
	snprintf(ran_with, sizeof ran_with, "%s", a->argc ? a->argv[0] : "");
	return 42;
}
static const struct cmd_entry member_table[] = {
	{ "member", "add", NULL, 0, 0, add_opts, TBL_MEMBER, CMD_FIELDS, "添加党员\n", exec_none },
	{ "member", "show", "ID", 1, 1, NULL, 0, 0, "一名党员\n", exec_show },
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

/* cmd_run on a command line; its stderr to errbuf. */
static int
run(const char *line, char *errbuf, size_t errcap)
{
	static char copy[1024];
	static char *argv[64];
	struct cli cli = { 0 };
	int argc, rc;
	FILE *f = tmpfile(), *out = stdout, *err = stderr;

	snprintf(copy, sizeof copy, "%s", line);
	argc = split(copy, argv, 64);
	stderr = f;
	stdout = f;
	rc = cmd_run(member_table, &cli, argc, argv);
	stderr = err;
	stdout = out;
	rewind(f);
	errbuf[fread(errbuf, 1, errcap - 1, f)] = '\0';
	fclose(f);
	return rc;
}

static const struct cmd_entry table[] = {
	{ "member", "add", NULL, 0, 0, add_opts, TBL_MEMBER, CMD_FIELDS, "添加党员\n",
	  exec_none },
	{ "member", "show", "ID", 1, 1, NULL, 0, 0, "一名党员\n", exec_none },
	{ "sync", NULL, NULL, 0, 0, NULL, 0, 0, "同步\n", exec_none },
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

/* Split a command line on spaces ("\\s" stands for a space inside a word) into argv. */
static int
split(char *line, char **argv, int cap)
{
	int n = 0;
	for (char *tok = strtok(line, " "); tok && n < cap - 1; tok = strtok(NULL, " ")) {
		for (char *p = tok; (p = strstr(p, "\\s")) != NULL;) {
			*p = ' ';
			memmove(p + 1, p + 2, strlen(p + 2) + 1);
		}
		argv[n++] = tok;
	}
	argv[n] = NULL;
	return n;
}

/* Parse line for entry e; stderr of the parse goes to errbuf. */
static int
parse(const struct cmd_entry *e, const char *line, struct cli *cli, struct cmd_args *a,
    char *errbuf, size_t errcap)
{
	static char copy[1024];
	static char *argv[64];
	bool help;
	int argc, rc;
	FILE *f = tmpfile(), *saved = stderr;

	snprintf(copy, sizeof copy, "%s", line);
	argc = split(copy, argv, 64);
	memset(cli, 0, sizeof *cli);
	stderr = f;
	rc = cmd_parse(e, cli, argc, argv, a, &help);
	stderr = saved;
	rewind(f);
	errbuf[fread(errbuf, 1, errcap - 1, f)] = '\0';
	fclose(f);
	return rc;
}

static const char *
field(const struct cmd_args *a, const char *name)
{
	for (int i = 0; i < a->nfields; i++)
		if (strcmp(a->field_name[i], name) == 0)
			return a->field_val[i];
	return NULL;
}

static void
test_parse(void)
{
	const struct cmd_entry *add = cmd_find(table, "member", "add");
	const struct cmd_entry *show = cmd_find(table, "member", "show");
	const struct cmd_entry *sync = cmd_find(table, "sync", "anything");
	struct cmd_args a;
	struct cli cli;
	char err[1024];
	int rc;

	CHECK(add && add->sub && strcmp(add->sub, "add") == 0, "cmd_find member add");
	CHECK(sync && sync->sub == NULL, "cmd_find sync (no sub-verbs)");
	CHECK(cmd_find(table, "member", "nope") == NULL, "unknown sub-verb");
	CHECK(cmd_find(table, "nope", NULL) == NULL, "unknown verb");

	rc = parse(add, "add --name 王芳 --address --csv --phone=138 --to=SQ02 -q", &cli, &a,
	    err, sizeof err);
	CHECK(rc == 0, "rc %d: %s", rc, err);
	CHECK(cmd_get(&a, "name") && strcmp(cmd_get(&a, "name"), "王芳") == 0, "name");
	CHECK(field(&a, "address") && strcmp(field(&a, "address"), "--csv") == 0,
	    "a value that looks like an option is the value: %s", field(&a, "address"));
	CHECK(cli.fmt == TABLE_TEXT, "--csv as a value did not switch to CSV");
	CHECK(field(&a, "phone") && strcmp(field(&a, "phone"), "138") == 0, "--phone=138");
	CHECK(cmd_get(&a, "to") && strcmp(cmd_get(&a, "to"), "SQ02") == 0, "--to=SQ02");
	CHECK(cli.quiet == 1, "-q");
	CHECK(!cmd_has(&a, "dry-run"), "flag absent");

	rc = parse(add, "add --json --name 李\\s四 --dry-run --branch SQ01-01 --replica x.db",
	    &cli, &a, err, sizeof err);
	CHECK(rc == 0, "rc %d: %s", rc, err);
	CHECK(cli.fmt == TABLE_JSON && cli.replica && strcmp(cli.replica, "x.db") == 0,
	    "global options after the verb");
	CHECK(strcmp(cmd_get(&a, "name"), "李 四") == 0 && cmd_has(&a, "dry-run"), "values");
	CHECK(field(&a, "branch") && strcmp(field(&a, "branch"), "SQ01-01") == 0, "--branch");

	rc = parse(add, "add --name A --present 1 --present 2 --present 3", &cli, &a, err,
	    sizeof err);
	CHECK(rc == 0 && a.nmulti == 3 && strcmp(a.multi_val[2], "3") == 0, "multi: %d %s", rc, err);

	rc = parse(show, "show -- -123456", &cli, &a, err, sizeof err);
	CHECK(rc == 0 && a.argc == 1 && strcmp(a.argv[0], "-123456") == 0,
	    "-- ends the options: %d %s", rc, err);
	rc = parse(show, "show --json 123456", &cli, &a, err, sizeof err);
	CHECK(rc == 0 && a.argc == 1 && cli.fmt == TABLE_JSON, "option before argument");

	/* Usage errors: exit 2, a message naming the problem. */
	static const struct {
		int which;          /* 0 add, 1 show */
		const char *line, *msg;
	} bad[] = {
		{ 0, "add --phone 1", "缺少必填选项 --name" },
		{ 0, "add --name A --nosuch 1", "未知选项" },
		{ 0, "add --name A --bogus-field=1", "未知选项" },
		{ 0, "add --name", "缺少取值" },
		{ 0, "add --name A --dry-run=yes", "不带取值" },
		{ 0, "add --name A --name B", "重复" },
		{ 0, "add --name A stray", "多余的参数" },
		{ 1, "show", "缺少参数 ID" },
		{ 1, "show a b", "多余的参数" },
		{ 0, "add --name A --csv=1", "不带取值" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		rc = parse(bad[i].which ? show : add, bad[i].line, &cli, &a, err, sizeof err);
		CHECK(rc == EXIT_USAGE && strstr(err, bad[i].msg) != NULL,
		    "\"%s\": rc %d, stderr \"%s\", wanted \"%s\"", bad[i].line, rc, err, bad[i].msg);
	}
}

static void
test_run(void)
{
	char out[2048];
	int rc;

	rc = run("member show --json 12345678", out, sizeof out);
	CHECK(rc == 42 && strcmp(ran_with, "12345678") == 0, "member show ran: %d %s", rc, ran_with);
	rc = run("member nosuch", out, sizeof out);
	CHECK(rc == EXIT_USAGE && strstr(out, "未知子命令") && strstr(out, "tongxin member show ID"),
	    "unknown sub-verb: %d %s", rc, out);
	rc = run("member", out, sizeof out);
	CHECK(rc == EXIT_USAGE && strstr(out, "tongxin member add --name NAME"), "no sub-verb: %s", out);
	rc = run("member --help", out, sizeof out);
	CHECK(rc == 0 && strstr(out, "tongxin member show ID"), "verb help: %s", out);
	rc = run("member add --help", out, sizeof out);
	CHECK(rc == 0 && strstr(out, "添加党员") && strstr(out, "--present ID"), "sub help: %s", out);
	rc = run("member show", out, sizeof out);
	CHECK(rc == EXIT_USAGE && strstr(out, "缺少参数"), "missing argument: %s", out);
}

int
main(void)
{
	test_parse();
	test_run();
	CHECK(strcmp(dom_short("0123456789abcdef"), "89abcdef") == 0, "dom_short");
	CHECK(strcmp(dom_short("abc"), "abc") == 0, "dom_short of a short id");
	if (failures)
		fprintf(stderr, "test_cmd: %d of %d checks failed\n", failures, checks);
	else
		printf("test_cmd: %d checks passed\n", checks);
	return failures != 0;
}
