/*
 * cmd_reconcile.c - tongxin reconcile: the street's cross-office checks,
 * run on a replica (the street's replica holds every office's rows), so
 * they work offline. Each finding names the organisation and the record.
 * The checks are the domain layer's (dom_reconcile, dom_report.h), which
 * the desk's 核对 page shows as well.
 */
#include <stdio.h>

#include "cli.h"
#include "dom_report.h"
#include "validate.h"

int
verb_reconcile(struct cli *cli, int argc, char **argv)
{
	struct dom_error e;
	struct replica *r;
	struct table *t;
	char today[11];
	int64_t findings = 0;

	if (has_help(argc, argv))
		return verb_usage("reconcile", 1);
	if (argc != 1)
		return verb_usage("reconcile", 0);
	if ((r = cli_open(cli)) == NULL)
		return EXIT_FAIL;
	today_str(today);
	if (dom_reconcile_table(r, today, &t, &findings, &e) != 0) {
		fprintf(stderr, "tongxin reconcile: %s\n", e.msg);
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
