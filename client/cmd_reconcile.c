/*
 * cmd_reconcile.c - tongxin reconcile: the street's cross-office checks,
 * run on a replica (the street's replica holds every office's rows), so
 * they work offline. Each finding names the organisation and the record.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "validate.h"
#include "value.h"
#include "vocab.h"

#define MAX_COLS 32

/* A check: a title and a query returning (organisation, record, detail). */
struct check {
	const char *title;
	const char *sql;   /* ?1 = today (YYYY-MM-DD) */
};

static const struct check checks[] = {
	{ "党员所在支部已撤销 Members in a dissolved organisation",
	  "SELECT o.name, m.name, '所在组织 ' || o.code || ' 已撤销' FROM member m"
	  " JOIN org o ON o.id = m.org_id WHERE coalesce(o.dissolved, 0) = 1" },
	{ "党员不在党支部 Members not attached to a branch or group",
	  "SELECT coalesce(o.name, '?'), m.name,"
	  " '组织类别 ' || coalesce(vocab_label('org_kind', o.kind), '缺失 missing')"
	  " FROM member m LEFT JOIN org o ON o.id = m.org_id"
	  " WHERE o.id IS NULL OR o.kind NOT IN ('branch', 'group', 'general_branch')" },
	{ "预备期已满未转正 Probationary members past their year",
	  "SELECT o.name, m.name, '入党日期 ' || m.join_date FROM member m"
	  " LEFT JOIN org o ON o.id = m.org_id WHERE m.category = 'probationary'"
	  " AND date(m.join_date, '+1 year') < ?1" },
	{ "失联超过6个月 Lost contact for 6 months or more",
	  "SELECT o.name, m.name, '失联日期 ' || m.lost_since FROM member m"
	  " LEFT JOIN org o ON o.id = m.org_id WHERE m.lost_contact = 1"
	  " AND m.lost_since <= date(?1, '-6 months')" },
	{ "转接超过30天未办理 Transfers waiting more than 30 days",
	  "SELECT coalesce(f.name, ''), coalesce(t.member_name, ''),"
	  " '申请 ' || t.requested_on || ' → ' || t.to_org_code FROM transfer t"
	  " LEFT JOIN org f ON f.id = t.from_org_id WHERE t.status = 'requested'"
	  " AND t.requested_on < date(?1, '-30 days')" },
	{ "组织未配书记 Organisations without a secretary",
	  "SELECT o.name, o.code, vocab_label('org_kind', o.kind) FROM org o"
	  " WHERE coalesce(o.dissolved, 0) = 0"
	  " AND o.kind IN ('community', 'general_branch', 'branch')"
	  " AND (o.secretary IS NULL OR o.secretary = '')" },
	{ "出勤记录指向不存在的党员 Attendance of unknown members",
	  "SELECT coalesce(o.name, ''), mt.topic, a.member_id FROM attendance a"
	  " JOIN meeting mt ON mt.id = a.meeting_id LEFT JOIN org o ON o.id = mt.org_id"
	  " WHERE NOT EXISTS (SELECT 1 FROM member m WHERE m.id = a.member_id)"
	  " AND NOT EXISTS (SELECT 1 FROM transfer t WHERE t.member_id = a.member_id"
	  "   AND t.status = 'accepted')" },
};

int
verb_reconcile(struct cli *cli, int argc, char **argv)
{
	static const char *const ids[] = { "check", "organisation", "record", "detail" };
	static const char *const hdr[] = { "检查项", "组织", "记录", "说明" };
	struct replica *r;
	struct table *t;
	char today[11];
	long findings = 0;

	if (has_help(argc, argv))
		return verb_usage("reconcile", 1);
	if (argc != 1)
		return verb_usage("reconcile", 0);
	if ((r = cli_open(cli)) == NULL)
		return EXIT_FAIL;
	/* The checks' texts name kinds by their labels (vocab_label in SQL). */
	if (vocab_sql_register(replica_db(r)) != SQLITE_OK ||
	    (t = table_new(4, ids, hdr)) == NULL) {
		replica_close(r);
		return EXIT_FAIL;
	}
	today_str(today);
	for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(replica_db(r), checks[i].sql, -1, &st, NULL) != SQLITE_OK) {
			fprintf(stderr, "tongxin reconcile: %s\n", sqlite3_errmsg(replica_db(r)));
			continue;
		}
		if (sqlite3_bind_parameter_count(st) >= 1)
			sqlite3_bind_text(st, 1, today, -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *cells[4] = { checks[i].title,
				(const char *)sqlite3_column_text(st, 0),
				(const char *)sqlite3_column_text(st, 1),
				(const char *)sqlite3_column_text(st, 2) };
			table_add(t, cells);
			findings++;
		}
		sqlite3_finalize(st);
	}
	/* Records entered before the rules existed, or imported: check every member. */
	{
		sqlite3_stmt *st;
		const struct table_def *md = &schema_tables[TBL_MEMBER];
		if (sqlite3_prepare_v2(replica_db(r), "SELECT m.id, coalesce(o.name, '') FROM member m"
		    " LEFT JOIN org o ON o.id = m.org_id", -1, &st, NULL) == SQLITE_OK) {
			while (sqlite3_step(st) == SQLITE_ROW) {
				Tongxin__Value v[MAX_COLS];
				char why[256], id[ID_TEXT_LEN + 1], org[256];
				memset(v, 0, sizeof v);
				snprintf(id, sizeof id, "%s", (const char *)sqlite3_column_text(st, 0));
				snprintf(org, sizeof org, "%s", (const char *)sqlite3_column_text(st, 1));
				if (rep_get(r, TBL_MEMBER, id, v, NULL) == 1 &&
				    validate_row(TBL_MEMBER, v, today, why, sizeof why) != 0) {
					const char *cells[4] = { "党员信息不一致 Member record fails a rule", org,
						v[schema_col_index(md, "name")].s, why };
					table_add(t, cells);
					findings++;
				}
				for (int c = 0; c < md->ncols; c++)
					value_clear(&v[c]);
			}
			sqlite3_finalize(st);
		}
	}
	if (cli->fmt == TABLE_TEXT && findings == 0) {
		table_free(t);
		printf("核对无异常 Reconciliation found nothing to fix in %s.\n", replica_info(r)->path);
	} else {
		table_print(t, stdout, cli->fmt);
		if (cli->fmt == TABLE_TEXT)
			printf("共 %ld 项 %ld findings.\n", findings, findings);
	}
	replica_close(r);
	return EXIT_OK;
}
