/*
 * cmd_reconcile.c - tongxin reconcile: the street's cross-office checks,
 * run on a replica (the street's replica holds every office's rows), so
 * they work offline. Each finding names the organisation and the record.
 * The checks are the domain layer's (dom_reconcile, dom_report.h), which
 * the desk's 核对 page shows as well.
 *
 * One row of the command table (cmd_entries_reconcile, cmd.h): no options
 * of its own and no arguments; the global ones (--csv, --json, --replica)
 * are parsed by cmd_parse. It names no record, so it has no "not found".
 */
#include <stdio.h>

#include "cli.h"
#include "cmd.h"
#include "dom_report.h"
#include "text.h"
#include "validate.h"

/*
 * Run the checks on the replica of the global options and print the
 * findings (text: a sentence when there are none and the count after the
 * table). Exit 0 whatever was found: findings are the report, not a failure.
 */
static int
exec_reconcile(struct cli *cli, const struct cmd_args *a)
{
	struct dom_error e;
	struct replica *r;
	struct table *t;
	char today[11];
	int64_t findings = 0;

	(void)a;
	if ((r = cli_open(cli)) == NULL)
		return EXIT_FAIL;
	today_str(today);
	if (dom_reconcile_table(r, today, &t, &findings, &e) != 0) {
		fprintf(stderr, "tongxin reconcile: %s\n", text_show(e.msg));
		replica_close(r);
		return EXIT_FAIL;
	}
	if (cli->fmt == TABLE_TEXT && findings == 0) {
		table_free(t);
		printf("核对无异常 Reconciliation found nothing to fix in %s.\n", replica_info(r)->path);
	} else {
		table_print(t, stdout, cli->fmt);
		if (cli->fmt == TABLE_TEXT)
			printf("共 %lld 项 %lld findings.\n", (long long)findings, (long long)findings);
	}
	replica_close(r);
	return EXIT_OK;
}

/* Declared here until cli.h lists every verb's table. */
extern const struct cmd_entry cmd_entries_reconcile[];

const struct cmd_entry cmd_entries_reconcile[] = {
	{ "reconcile", NULL, NULL, 0, 0, NULL, 0, 0,
	  "街道核对 Street-wide cross-office checks on this replica (the street's replica\n"
	  "holds every office): members in dissolved organisations, probationary members\n"
	  "past their year, lost contact for 6+ months, transfers waiting 30+ days, missing\n"
	  "secretaries, member records that fail a rule.\n"
	  "--csv, --json 机器可读 machine-readable output.\n"
	  "退出状态 Exit status: 0 成功 ok (with findings or none), 1 失败 the replica\n"
	  "cannot be read, 2 命令行有误 usage error, 8 本机数据文件已损坏 damaged replica\n"
	  "file (run tongxin doctor).\n",
	  exec_reconcile },
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

/* tongxin reconcile: its one row, parsed and run by cmd_run. */
int
verb_reconcile(struct cli *cli, int argc, char **argv)
{
	return cmd_run(cmd_entries_reconcile, cli, argc, argv);
}
