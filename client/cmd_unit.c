/*
 * cmd_unit.c - tongxin unit and tongxin agreement: resident units (驻区单位)
 * and the co-building agreements (共建协议) a community signs with them
 * (docs/cobuilding.md). The rules and the writes are dom_unit.h's; this
 * file parses and prints.
 *
 * A unit is named by its 编号 (the id's last 6+ characters), its credit
 * code, or a name one unit has; an agreement by its 编号. A unit of another
 * community is named in agreement add by its 18-character credit code: the
 * server finds it, and this office's replica holds it after the next sync.
 *
 * Exit statuses: 2 a usage error, 7 invalid input or an ambiguous handle
 * (nothing changed), 9 no such unit, agreement or organisation, 1 the
 * replica failed.
 */
#include "cli.h"
#include "cmd.h"
#include "dom_handle.h"
#include "dom_unit.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "vocab.h"

/* The organisation of --community CODE into id (NULL code: id empty). 0, or 9 having said why. */
static int
community_opt(struct replica *r, const char *code, char id[ID_TEXT_LEN + 1], const char *verbname)
{
	id[0] = '\0';
	if (code == NULL || org_id_by_code(replica_db(r), code, id) == 0)
		return 0;
	fprintf(stderr, "tongxin %s: 未知组织 unknown organisation code \"%s\"\n", verbname,
	    text_show(code));
	return EXIT_NOT_FOUND;
}

/* The unit's items from the options. */
static void
unit_req(const struct cmd_args *a, struct dom_unit_req *q)
{
	memset(q, 0, sizeof *q);
	q->name = cmd_get(a, "name");
	q->kind = cmd_get(a, "kind");
	q->credit_code = cmd_get(a, "credit-code");
	q->party_org = cmd_get(a, "party-org");
	q->party_members = cmd_get(a, "party-members");
	q->contact_name = cmd_get(a, "contact");
	q->contact_phone = cmd_get(a, "phone");
	q->address = cmd_get(a, "address");
	q->joined_on = cmd_get(a, "joined-on");
	q->left_on = cmd_get(a, "left-on");
	q->note = cmd_get(a, "note");
}

static int
unit_add(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	struct dom_unit_req q;
	char org[ID_TEXT_LEN + 1], id[ID_TEXT_LEN + 1];
	struct dom_error e;
	int rc;

	unit_req(a, &q);
	if ((rc = community_opt(r, cmd_get(a, "community"), org, "unit add")) != 0)
		return rc;
	q.community_id = org[0] ? org : NULL;
	if (dom_unit_add(r, cli->operator_name, &q, id, &e) != 0)
		return cmd_refused(&e, "unit add");
	if (!cli->quiet)
		printf("已登记驻区单位 Registered resident unit「%s」(编号 %s)\n", text_show(q.name),
		    dom_short(id));
	return EXIT_OK;
}

static int
unit_edit(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	struct dom_unit_req q;
	char id[ID_TEXT_LEN + 1];
	struct dom_error e;

	unit_req(a, &q);
	if (dom_unit_handle(r, a->argv[0], id, &e) != 0 ||
	    dom_unit_edit(r, cli->operator_name, id, &q, &e) != 0)
		return cmd_refused(&e, "unit edit");
	if (!cli->quiet)
		printf("已修改驻区单位 Updated unit %s\n", dom_short(id));
	return EXIT_OK;
}

/* --- unit list / show ---------------------------------------------------------------- */

struct unit_list {
	struct cli *cli;
	struct table *t;
};

static struct table *
unit_table(void)
{
	static const char *const ids[] = { "id", "name", "kind", "credit_code", "community",
		"party_org", "party_members", "contact", "phone", "agreements", "part_time_members",
		"own" };
	static const char *const hdr[] = { "编号", "单位名称", "类别", "统一社会信用代码", "所在社区",
		"单位党组织", "党员人数", "联系人", "联系电话", "有效协议", "兼职委员", "本社区" };
	struct table *t = table_new(12, ids, hdr);

	if (t != NULL) {
		table_set_vocab(t, 2, vocab_get("unit_kind"));
		table_set_number(t, 6);
		table_set_number(t, 9);
		table_set_number(t, 10);
		table_set_bool(t, 11);
	}
	return t;
}

static void
unit_row(const struct dom_unit_row *u, void *arg)
{
	struct unit_list *l = arg;
	char members[24] = "", agreements[24], part[24], where[160];
	const char *cells[12];

	if (u->party_members >= 0)
		snprintf(members, sizeof members, "%" PRId64, u->party_members);
	snprintf(agreements, sizeof agreements, "%" PRId64, u->agreements);
	snprintf(part, sizeof part, "%" PRId64, u->part_timers);
	if (u->org_name)
		snprintf(where, sizeof where, "%s", u->org_name);
	else
		snprintf(where, sizeof where, "其他社区 another community");
	cells[0] = l->cli->fmt == TABLE_TEXT ? dom_short(u->id) : u->id;
	cells[1] = u->name;
	cells[2] = u->kind;
	cells[3] = u->credit_code;
	cells[4] = where;
	cells[5] = u->party_org;
	cells[6] = members;
	cells[7] = u->contact_name;
	cells[8] = u->contact_phone;
	cells[9] = agreements;
	cells[10] = part;
	cells[11] = u->own ? "1" : "0";
	table_add(l->t, cells);
}

static int
unit_list(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	struct unit_list l = { cli, NULL };
	struct dom_error e;

	if ((l.t = unit_table()) == NULL)
		return EXIT_FAIL;
	if (dom_unit_list(r, cmd_has(a, "all"), unit_row, &l, &e) != 0) {
		table_free(l.t);
		return cmd_refused(&e, "unit list");
	}
	if (cli->fmt == TABLE_TEXT && table_rows(l.t) == 0) {
		table_free(l.t);
		printf("没有驻区单位 No resident units.\n");
		return EXIT_OK;
	}
	table_print(l.t, stdout, cli->fmt);
	return EXIT_OK;
}

/* --- agreements ------------------------------------------------------------------------ */

static struct table *
agreement_table(void)
{
	static const char *const ids[] = { "id", "community", "unit", "unit_code", "signed_on",
		"ends_on", "ended_on", "in_force", "unit_commits", "community_commits", "note" };
	static const char *const hdr[] = { "编号", "社区", "驻区单位", "统一社会信用代码", "签订日期",
		"到期日期", "终止日期", "有效", "单位承诺", "社区承诺", "备注" };
	struct table *t = table_new(11, ids, hdr);

	if (t != NULL)
		table_set_bool(t, 7);
	return t;
}

static void
agreement_row(const struct dom_agreement_row *g, void *arg)
{
	struct unit_list *l = arg;
	const char *cells[11];

	cells[0] = l->cli->fmt == TABLE_TEXT ? dom_short(g->id) : g->id;
	cells[1] = g->org_name ? g->org_name : g->org_code;
	cells[2] = g->unit_name ? g->unit_name : "（同步后显示 after the next sync）";
	cells[3] = g->unit_code;
	cells[4] = g->signed_on;
	cells[5] = g->ends_on;
	cells[6] = g->ended_on;
	cells[7] = g->in_force ? "1" : "0";
	cells[8] = g->unit_commits;
	cells[9] = g->community_commits;
	cells[10] = g->note;
	table_add(l->t, cells);
}

static int
unit_show(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	struct unit_list l = { cli, NULL }, g = { cli, NULL };
	char id[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (dom_unit_handle(r, a->argv[0], id, &e) != 0)
		return cmd_refused(&e, "unit show");
	if ((l.t = unit_table()) == NULL || (g.t = agreement_table()) == NULL) {
		table_free(l.t);
		return EXIT_FAIL;
	}
	if (dom_unit_get(r, id, unit_row, &l, &e) != 0 ||
	    dom_agreement_list(r, id, true, agreement_row, &g, &e) != 0) {
		table_free(l.t);
		table_free(g.t);
		return cmd_refused(&e, "unit show");
	}
	if (cli->fmt == TABLE_JSON) {
		table_print_object(l.t, stdout, 0);
		printf(", \"agreements\": ");
		table_print(g.t, stdout, TABLE_JSON);
		printf("}\n");
		return EXIT_OK;
	}
	table_print(l.t, stdout, cli->fmt);
	if (cli->fmt == TABLE_TEXT)
		printf("\n共建协议 Agreements:\n");
	if (cli->fmt == TABLE_TEXT && table_rows(g.t) == 0) {
		table_free(g.t);
		printf("（尚无 none yet）\n");
		return EXIT_OK;
	}
	table_print(g.t, stdout, cli->fmt);
	return EXIT_OK;
}

static int
agreement_add(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	struct dom_agreement_req q = {
		.unit = cmd_get(a, "unit"), .signed_on = cmd_get(a, "signed-on"),
		.ends_on = cmd_get(a, "ends-on"), .unit_commits = cmd_get(a, "unit-commits"),
		.community_commits = cmd_get(a, "community-commits"), .note = cmd_get(a, "note"),
	};
	char org[ID_TEXT_LEN + 1], id[ID_TEXT_LEN + 1];
	struct dom_error e;
	int rc;

	if ((rc = community_opt(r, cmd_get(a, "community"), org, "agreement add")) != 0)
		return rc;
	q.community_id = org[0] ? org : NULL;
	if (dom_agreement_add(r, cli->operator_name, &q, id, &e) != 0)
		return cmd_refused(&e, "agreement add");
	if (!cli->quiet)
		printf("已签订共建协议 Agreement recorded (编号 %s)\n", dom_short(id));
	return EXIT_OK;
}

static int
agreement_end(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	char id[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (dom_row_handle(r, TBL_AGREEMENT, a->argv[0], "共建协议", id, &e) != 0 ||
	    dom_agreement_end(r, cli->operator_name, id, cmd_get(a, "date"), &e) != 0)
		return cmd_refused(&e, "agreement end");
	if (!cli->quiet)
		printf("已终止共建协议 Agreement %s ended\n", dom_short(id));
	return EXIT_OK;
}

static int
agreement_delete(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	char id[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (dom_row_handle(r, TBL_AGREEMENT, a->argv[0], "共建协议", id, &e) != 0 ||
	    dom_agreement_delete(r, cli->operator_name, id, &e) != 0)
		return cmd_refused(&e, "agreement delete");
	if (!cli->quiet)
		printf("已删除共建协议 Agreement %s deleted\n", dom_short(id));
	return EXIT_OK;
}

static int
agreement_list(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	struct unit_list l = { cli, NULL };
	struct dom_error e;

	if ((l.t = agreement_table()) == NULL)
		return EXIT_FAIL;
	if (dom_agreement_list(r, NULL, cmd_has(a, "all"), agreement_row, &l, &e) != 0) {
		table_free(l.t);
		return cmd_refused(&e, "agreement list");
	}
	if (cli->fmt == TABLE_TEXT && table_rows(l.t) == 0) {
		table_free(l.t);
		printf("没有有效的共建协议 No agreements in force.\n");
		return EXIT_OK;
	}
	table_print(l.t, stdout, cli->fmt);
	return EXIT_OK;
}

static int exec_unit_add(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, unit_add); }
static int exec_unit_edit(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, unit_edit); }
static int exec_unit_list(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, unit_list); }
static int exec_unit_show(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, unit_show); }
static int exec_ag_add(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, agreement_add); }
static int exec_ag_end(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, agreement_end); }
static int exec_ag_delete(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, agreement_delete); }
static int exec_ag_list(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, agreement_list); }

#define UNIT_ITEM_OPTS                                                                          \
	{ "credit-code", "CODE", 0, "统一社会信用代码（18位） the unified social credit code" },  \
	{ "party-org", "NAME", 0, "单位党组织 the unit's Party organisation" },                     \
	{ "party-members", "N", 0, "党员人数 its Party members" },                                  \
	{ "contact", "NAME", 0, "联系人 the unit's contact" },                                      \
	{ "phone", "PHONE", 0, "联系电话" },                                                        \
	{ "address", "TEXT", 0, "单位地址" },                                                       \
	{ "joined-on", "DATE", 0, "加入日期 YYYY-MM-DD" },                                          \
	{ "note", "TEXT", 0, "备注" }

static const struct cmd_opt unit_add_opts[] = {
	{ "name", "NAME", CMD_OPT_REQUIRED, "单位名称 the unit's name" },
	{ "kind", "KIND", CMD_OPT_REQUIRED, "单位类别 机关、事业单位、国有企业、非公企业、学校、"
	  "医疗卫生机构、社会组织、其他" },
	UNIT_ITEM_OPTS,
	{ "community", "CODE", 0, "所在社区 (default this office's own community)" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt unit_edit_opts[] = {
	{ "name", "NAME", 0, "单位名称" },
	{ "kind", "KIND", 0, "单位类别" },
	UNIT_ITEM_OPTS,
	{ "left-on", "DATE", 0, "退出日期（单位迁出或撤销）YYYY-MM-DD" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt all_opts[] = {
	{ "all", NULL, 0, "包括已退出的（协议：包括已终止的） also those that left / ended" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt ag_add_opts[] = {
	{ "unit", "UNIT", CMD_OPT_REQUIRED, "驻区单位：编号、名称或统一社会信用代码 the unit" },
	{ "signed-on", "DATE", 0, "签订日期 YYYY-MM-DD (default today)" },
	{ "ends-on", "DATE", 0, "到期日期 YYYY-MM-DD" },
	{ "unit-commits", "TEXT", 0, "单位承诺 what the unit commits to" },
	{ "community-commits", "TEXT", 0, "社区承诺 what the community commits to" },
	{ "note", "TEXT", 0, "备注" },
	{ "community", "CODE", 0, "签订社区 (default this office's own community)" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt ag_end_opts[] = {
	{ "date", "DATE", 0, "终止日期 YYYY-MM-DD (default today)" },
	{ NULL, NULL, 0, NULL },
};

#define UNIT_TAIL                                                                            \
	"UNIT: 编号（编号末尾至少6位）、统一社会信用代码，或唯一的单位名称 the unit's 编号,\n"        \
	"its credit code, or a name one unit has.\n"                                            \
	"退出状态 Exit status: 0 成功 ok, 2 命令行有误 usage error, 7 取值无效或编号不唯一\n"   \
	"invalid value or ambiguous handle (nothing changed), 9 无此记录 no such record.\n"

static const struct cmd_entry cmd_entries_unit[] = {
	{ "unit", "list", NULL, 0, 0, all_opts, 0, 0,
	  "列出驻区单位 The resident units this replica holds: those of this office's\n"
	  "communities, and those of other communities it has agreements with (read only).\n"
	  UNIT_TAIL, exec_unit_list },
	{ "unit", "show", "UNIT", 1, 1, NULL, 0, 0,
	  "查看驻区单位 One unit with its co-building agreements.\n" UNIT_TAIL, exec_unit_show },
	{ "unit", "add", NULL, 0, 0, unit_add_opts, 0, 0,
	  "登记驻区单位 Register a resident unit of this office's community.\n" UNIT_TAIL,
	  exec_unit_add },
	{ "unit", "edit", "UNIT", 1, 1, unit_edit_opts, 0, 0,
	  "修改驻区单位 Change the items given (an empty value clears one). Only the unit's\n"
	  "own community changes it.\n" UNIT_TAIL, exec_unit_edit },
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

#define AGREEMENT_TAIL                                                                       \
	"AGREEMENT: 协议编号末尾至少6位 the agreement's 编号 (agreement list).\n"                 \
	"退出状态 Exit status: 0 成功 ok, 2 命令行有误 usage error, 7 取值无效或编号不唯一\n"   \
	"invalid value or ambiguous handle (nothing changed), 9 无此记录 no such record.\n"

static const struct cmd_entry cmd_entries_agreement[] = {
	{ "agreement", "list", NULL, 0, 0, all_opts, 0, 0,
	  "列出共建协议 The agreements in force (--all: also the ended ones).\n" AGREEMENT_TAIL,
	  exec_ag_list },
	{ "agreement", "add", NULL, 0, 0, ag_add_opts, 0, 0,
	  "签订共建协议 A co-building agreement between this community and a unit. A unit of\n"
	  "another community is named by its credit code: the street finds it, and this\n"
	  "replica holds it (read only) after the next sync.\n" AGREEMENT_TAIL, exec_ag_add },
	{ "agreement", "end", "AGREEMENT", 1, 1, ag_end_opts, 0, 0,
	  "终止共建协议 The agreement ends (it stays on record).\n" AGREEMENT_TAIL, exec_ag_end },
	{ "agreement", "delete", "AGREEMENT", 1, 1, NULL, 0, 0,
	  "删除共建协议 An agreement entered by mistake goes; a unit of another community is\n"
	  "then no longer shown here.\n" AGREEMENT_TAIL, exec_ag_delete },
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

int
verb_unit(struct cli *cli, int argc, char **argv)
{
	return cmd_run(cmd_entries_unit, cli, argc, argv);
}

int
verb_agreement(struct cli *cli, int argc, char **argv)
{
	return cmd_run(cmd_entries_agreement, cli, argc, argv);
}
