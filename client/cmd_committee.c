/*
 * cmd_committee.c - tongxin committee: 委员会 and 党员中心户: committee
 * seats with terms, and member households that keep in touch with a
 * grid's households.
 *
 * The rules and the writes are the domain layer's (dom_committee.h), which
 * the desk calls too; this file parses and prints. A seat is named by its
 * handle (the id's last 6+ characters, the 编号 committee list shows, or
 * the name of one current seat); a center by its handle or the name of its
 * member; a member by any member handle; an organisation by its code.
 *
 * `committee household SUB` is a second table of sub-verbs, run with the
 * verb words "committee household" so that usage and messages name it.
 *
 * Exit statuses: 2 a usage error, 7 a refused rule, invalid input or an
 * ambiguous handle (nothing changed), 9 no such seat, center, member or
 * organisation, 1 the replica failed.
 */
#include "cli.h"
#include "cmd.h"
#include "dom_committee.h"
#include "dom_handle.h"
#include "dom_unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "validate.h"
#include "vocab.h"

/* The organisation of code: 0 with id set, or 9 having said why. */
static int
org_resolve(struct replica *r, const char *code, char id[ID_TEXT_LEN + 1], const char *verbname)
{
	if (strlen(code) <= 64 && org_id_by_code(replica_db(r), code, id) == 0)
		return 0;
	fprintf(stderr, "tongxin %s: 未知组织 unknown organisation code \"%s\" (本副本中没有该组织 "
	    "not in this replica)\n", verbname, text_show(code));
	return EXIT_NOT_FOUND;
}

/* --- committee list ---------------------------------------------------------------- */

struct seat_list {
	struct cli *cli;
	struct table *t;
};

static void
seat_row(const struct dom_seat_row *s, void *arg)
{
	struct seat_list *l = arg;
	const char *cells[11];
	char mbuf[128], nbuf[700];
	bool text = l->cli->fmt == TABLE_TEXT;

	cells[0] = text ? dom_short(s->id) : s->id;
	cells[1] = s->org_code;
	cells[2] = s->org_name;
	cells[3] = s->role;
	cells[4] = s->name;
	if (s->member_id && text && s->left && s->current)
		snprintf(mbuf, sizeof mbuf, "%s（已减少或党籍不正常，请办理离任）", dom_short(s->member_id));
	cells[5] = s->member_id ? (text ? (s->left && s->current ? mbuf : dom_short(s->member_id)) :
	    s->member_id) : (text ? "（兼职，非本组织党员）" : NULL);
	cells[6] = s->started_on;
	cells[7] = s->ended_on;
	if (text && s->clash)
		snprintf(nbuf, sizeof nbuf, "注意：本组织有两名现任书记，请结束其中一人的任职%s%s",
		    s->note ? "；" : "", s->note ? s->note : "");
	cells[8] = text && s->clash ? nbuf : s->note;
	cells[9] = s->left ? "1" : "0";
	cells[10] = s->clash ? "1" : "0";
	table_add(l->t, cells);
}

static int
cm_list(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char *const ids[] = { "id", "org_code", "org", "role", "name", "member_id",
		"started_on", "ended_on", "note", "member_left", "secretary_clash" };
	static const char *const hdr[] = { "编号", "组织编码", "组织", "职务", "姓名", "党员",
		"任职日期", "离任日期", "备注", "党员已减少", "书记重复" };
	struct seat_list l = { cli, NULL };
	struct dom_seat_query q = { .all = cmd_has(a, "all") };
	char org[ID_TEXT_LEN + 1];
	struct dom_error e;
	int rc;

	if (cmd_has(a, "org")) {
		if ((rc = org_resolve(r, cmd_get(a, "org"), org, "committee list")) != 0)
			return rc;
		q.org_id = org;
	}
	/* Text shows a holder who left (党员) and two current secretaries (备注); CSV and JSON have columns. */
	if ((l.t = table_new(cli->fmt == TABLE_TEXT ? 9 : 11, ids, hdr)) == NULL)
		return EXIT_FAIL;
	table_set_vocab(l.t, 3, vocab_get("committee_role"));
	table_set_bool(l.t, 9);
	table_set_bool(l.t, 10);
	if (dom_committee_list(r, &q, seat_row, &l, &e) != 0) {
		table_free(l.t);
		return cmd_refused(&e, "committee list");
	}
	if (cli->fmt == TABLE_TEXT && table_rows(l.t) == 0) {
		table_free(l.t);
		printf("没有%s委员会职务 No %scommittee seats.\n", q.all ? "" : "现任", q.all ? "" :
		    "current ");
		return EXIT_OK;
	}
	table_print(l.t, stdout, cli->fmt);
	return EXIT_OK;
}

/* --- committee add / end ------------------------------------------------------------ */

static int
cm_add(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "committee add";
	struct dom_seat_req q = { 0 };
	struct dom_seat_done done;
	char org[ID_TEXT_LEN + 1], mid[ID_TEXT_LEN + 1], uid[ID_TEXT_LEN + 1];
	const char *role;
	struct dom_error e;
	int rc;

	if (cmd_has(a, "member") == cmd_has(a, "name")) {
		fprintf(stderr, "tongxin %s: 请给出 --member（本组织党员）或 --name（兼职委员）之一 "
		    "give either --member or --name\n", verbname);
		return EXIT_USAGE;
	}
	if ((rc = org_resolve(r, cmd_get(a, "org"), org, verbname)) != 0)
		return rc;
	if (cmd_has(a, "member")) {
		if (dom_member_handle(r, cmd_get(a, "member"), mid, &e) != 0)
			return cmd_refused(&e, verbname);
		q.member_id = mid;
	}
	if (cmd_has(a, "unit")) {
		if (dom_unit_handle(r, cmd_get(a, "unit"), uid, &e) != 0)
			return cmd_refused(&e, verbname);
		q.unit_id = uid;
	}
	q.org_id = org;
	q.name = cmd_get(a, "name");
	q.role = cmd_get(a, "role");
	q.from = cmd_get(a, "from");
	q.note = cmd_get(a, "note");
	if (dom_committee_add(r, cli->operator_name, &q, false, &done, &e) != 0)
		return cmd_refused(&e, verbname);
	if (cli->quiet)
		return EXIT_OK;
	role = vocab_parse(vocab_get("committee_role"), q.role);
	printf("已任职 Seat %s: %s 任 %s，自 %s。\n", dom_short(done.id),
	    q.member_id ? "" : text_show(q.name), vocab_show(vocab_get("committee_role"), role),
	    q.from);
	if (done.ended_id[0])
		printf("前任书记 %s 的任职于 %s 结束 (the previous secretary's seat %s ended).\n",
		    text_show(done.ended_name), done.ended_on, dom_short(done.ended_id));
	if (role && strcmp(role, "secretary") == 0)
		printf("组织的书记已改为新任书记 The organisation's secretary is the new one.\n");
	return EXIT_OK;
}

static int
cm_end(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "committee end";
	char sid[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (dom_committee_handle(r, a->argv[0], sid, &e) != 0)
		return cmd_refused(&e, verbname);
	if (dom_committee_end(r, cli->operator_name, sid, cmd_get(a, "date"), &e) != 0)
		return cmd_refused(&e, verbname);
	if (!cli->quiet)
		printf("已离任 Seat %s ended.\n", dom_short(sid));
	return EXIT_OK;
}

/* --- committee household ------------------------------------------------------------ */

static const char *const center_ids[] = { "id", "org_code", "org", "member", "member_id",
	"grid", "address", "started_on", "ended_on", "households", "note", "member_left" };
static const char *const center_hdr[] = { "编号", "支部编码", "所在党支部", "中心户党员",
	"党员编号", "网格", "住址", "设立日期", "撤销日期", "联系户数", "备注", "党员已减少" };

struct center_list {
	struct cli *cli;
	struct table *t;
};

static void
center_row(const struct dom_center_row *c, void *arg)
{
	struct center_list *l = arg;
	const char *cells[12];
	char n[24], who[200];
	bool text = l->cli->fmt == TABLE_TEXT;

	snprintf(n, sizeof n, "%lld", (long long)c->households);
	snprintf(who, sizeof who, "%s（已减少或党籍不正常，请撤销）", c->member_name ? c->member_name : "");
	cells[0] = text ? dom_short(c->id) : c->id;
	cells[1] = c->org_code;
	cells[2] = c->org_name;
	cells[3] = text && c->left && !c->ended_on ? who : c->member_name;
	cells[4] = c->member_id ? (text ? dom_short(c->member_id) : c->member_id) : NULL;
	cells[5] = c->grid;
	cells[6] = c->address;
	cells[7] = c->started_on;
	cells[8] = c->ended_on;
	cells[9] = n;
	cells[10] = c->note;
	cells[11] = c->left ? "1" : "0";
	table_add(l->t, cells);
}

/* Text shows a member who left in the 中心户党员 column; CSV and JSON have member_left. */
static struct table *
center_table(const struct cli *cli)
{
	struct table *t = table_new(cli->fmt == TABLE_TEXT ? 11 : 12, center_ids, center_hdr);

	if (t) {
		table_set_number(t, 9);
		table_set_bool(t, 11);
	}
	return t;
}

static int
hh_list(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	struct center_list l = { cli, NULL };
	struct dom_center_query q = { .all = cmd_has(a, "all") };
	char org[ID_TEXT_LEN + 1];
	struct dom_error e;
	int rc;

	if (cmd_has(a, "org")) {
		if ((rc = org_resolve(r, cmd_get(a, "org"), org, "committee household list")) != 0)
			return rc;
		q.org_id = org;
	}
	if ((l.t = center_table(cli)) == NULL)
		return EXIT_FAIL;
	if (dom_center_list(r, &q, center_row, &l, &e) != 0) {
		table_free(l.t);
		return cmd_refused(&e, "committee household list");
	}
	if (cli->fmt == TABLE_TEXT && table_rows(l.t) == 0) {
		table_free(l.t);
		printf("没有党员中心户 No member centers.\n");
		return EXIT_OK;
	}
	table_print(l.t, stdout, cli->fmt);
	return EXIT_OK;
}

static int
hh_add(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "committee household add";
	struct dom_center_req q = { 0 };
	char mid[ID_TEXT_LEN + 1], id[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (dom_member_handle(r, cmd_get(a, "member"), mid, &e) != 0)
		return cmd_refused(&e, verbname);
	q.member_id = mid;
	q.grid = cmd_get(a, "grid");
	q.address = cmd_get(a, "address");
	q.from = cmd_get(a, "from");
	q.note = cmd_get(a, "note");
	if (dom_center_add(r, cli->operator_name, &q, id, &e) != 0)
		return cmd_refused(&e, verbname);
	if (!cli->quiet)
		printf("已设立党员中心户 Center %s set up.\n", dom_short(id));
	return EXIT_OK;
}

static int
hh_cover(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "committee household cover";
	struct dom_household_req q = { 0 };
	char cid[ID_TEXT_LEN + 1], id[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (dom_center_handle(r, a->argv[0], cid, &e) != 0)
		return cmd_refused(&e, verbname);
	q.head_name = cmd_get(a, "name");
	q.address = cmd_get(a, "address");
	q.phone = cmd_get(a, "phone");
	q.note = cmd_get(a, "note");
	if (dom_center_cover(r, cli->operator_name, cid, &q, id, &e) != 0)
		return cmd_refused(&e, verbname);
	if (!cli->quiet)
		printf("已登记联系户 Household %s covered by center %s.\n", dom_short(id),
		    dom_short(cid));
	return EXIT_OK;
}

static int
hh_end(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "committee household end";
	char cid[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (dom_center_handle(r, a->argv[0], cid, &e) != 0)
		return cmd_refused(&e, verbname);
	if (dom_center_end(r, cli->operator_name, cid, cmd_get(a, "date"), &e) != 0)
		return cmd_refused(&e, verbname);
	if (!cli->quiet)
		printf("已撤销党员中心户 Center %s closed.\n", dom_short(cid));
	return EXIT_OK;
}

struct hh_show {
	struct cli *cli;
	struct table *t;
};

static void
household_row(const struct dom_household_row *h, void *arg)
{
	struct hh_show *w = arg;
	const char *cells[5];

	cells[0] = w->cli->fmt == TABLE_TEXT ? dom_short(h->id) : h->id;
	cells[1] = h->head_name;
	cells[2] = h->address;
	cells[3] = h->phone;
	cells[4] = h->note;
	table_add(w->t, cells);
}

static int
hh_show(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char *const hids[] = { "id", "head_name", "address", "phone", "note" };
	static const char *const hhdr[] = { "编号", "户主姓名", "住址", "联系电话", "备注" };
	struct center_list l = { cli, NULL };
	struct hh_show w = { cli, NULL };
	char cid[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (dom_center_handle(r, a->argv[0], cid, &e) != 0)
		return cmd_refused(&e, "committee household show");
	if ((l.t = center_table(cli)) == NULL || (w.t = table_new(5, hids, hhdr)) == NULL) {
		table_free(l.t);
		return EXIT_FAIL;
	}
	if (dom_center_get(r, cid, center_row, &l, &e) != 0 ||
	    dom_center_households(r, cid, household_row, &w, &e) != 0) {
		table_free(l.t);
		table_free(w.t);
		return cmd_refused(&e, "committee household show");
	}
	if (cli->fmt == TABLE_JSON) {
		table_print_object(l.t, stdout, 0);
		printf(", \"households\": ");
		table_print(w.t, stdout, TABLE_JSON);
		printf("}\n");
		return EXIT_OK;
	}
	table_print(l.t, stdout, cli->fmt);
	if (cli->fmt == TABLE_TEXT)
		printf("\n联系户 Households (最多 %d 户 at most):\n", DOM_CENTER_MAX_HOUSEHOLDS);
	if (cli->fmt == TABLE_TEXT && table_rows(w.t) == 0) {
		table_free(w.t);
		printf("（尚无 none yet）\n");
		return EXIT_OK;
	}
	table_print(w.t, stdout, cli->fmt);
	return EXIT_OK;
}

/* Each sub-verb's exec: the replica opened around it. */
static int exec_list(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, cm_list); }
static int exec_add(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, cm_add); }
static int exec_end(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, cm_end); }
static int exec_hlist(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, hh_list); }
static int exec_hadd(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, hh_add); }
static int exec_hcover(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, hh_cover); }
static int exec_hend(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, hh_end); }
static int exec_hshow(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, hh_show); }

static const struct cmd_opt list_opts[] = {
	{ "org", "CODE", 0, "该组织及其下属组织 this organisation and those under it" },
	{ "all", NULL, 0, "包括已离任的 also the ended seats" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt add_opts[] = {
	{ "org", "CODE", CMD_OPT_REQUIRED, "组织编码 the organisation's code" },
	{ "role", "R", CMD_OPT_REQUIRED, "职务 书记 secretary、副书记 deputy、组织委员、宣传委员、"
	  "纪检委员、青年委员、妇女委员、委员、兼职委员 part_time" },
	{ "from", "DATE", CMD_OPT_REQUIRED, "任职日期 YYYY-MM-DD" },
	{ "member", "MEMBER", 0, "本组织的正式党员 a full member of the organisation (any handle)" },
	{ "name", "NAME", 0, "兼职委员的姓名 the name of a part-time member from outside" },
	{ "unit", "UNIT", 0, "兼职委员所在的驻区单位 the part-time member's resident unit" },
	{ "note", "TEXT", 0, "备注" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt end_opts[] = {
	{ "date", "DATE", 0, "离任日期 YYYY-MM-DD (default today)" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt hlist_opts[] = {
	{ "org", "CODE", 0, "该组织及其下属组织 this organisation and those under it" },
	{ "all", NULL, 0, "包括已撤销的 also the closed centers" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt hadd_opts[] = {
	{ "member", "MEMBER", CMD_OPT_REQUIRED, "中心户党员 the member (any handle)" },
	{ "from", "DATE", CMD_OPT_REQUIRED, "设立日期 YYYY-MM-DD" },
	{ "grid", "G", 0, "网格 the grid" },
	{ "address", "A", 0, "住址 (default the member's address)" },
	{ "note", "TEXT", 0, "备注" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt hcover_opts[] = {
	{ "name", "NAME", CMD_OPT_REQUIRED, "户主姓名 the head of the household" },
	{ "address", "A", CMD_OPT_REQUIRED, "住址" },
	{ "phone", "P", 0, "联系电话" },
	{ "note", "TEXT", 0, "备注" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt hend_opts[] = {
	{ "date", "DATE", 0, "撤销日期 YYYY-MM-DD (default today)" },
	{ NULL, NULL, 0, NULL },
};

#define SEAT_TAIL                                                                           \
	"SEAT: 职务编号末尾至少6位，或现任者的姓名 the seat's id or its last 6+ characters (the\n" \
	"编号 of committee list), or the name of one current seat's holder.\n"                  \
	"退出状态 Exit status: 0 成功 ok, 2 命令行有误 usage error, 7 不符合规则、取值无效或编号\n" \
	"不唯一 a rule refused it, invalid value or ambiguous handle (nothing changed),\n"    \
	"9 无此记录 no such seat, member or organisation.\n"
#define CENTER_TAIL                                                                         \
	"CENTER: 中心户编号末尾至少6位，或中心户党员的姓名 the center's id or its last 6+\n"       \
	"characters, or the name of its member.\n"                                          \
	"退出状态 Exit status: 0, 2 usage error, 7 refused (nothing changed), 9 not found.\n"

static const struct cmd_entry cmd_entries_committee[] = {
	{ "committee", "list", NULL, 0, 0, list_opts, 0, 0,
	  "列出委员会 The committees' current seats with their terms, by organisation\n"
	  "(--all: also the ended seats).\n" SEAT_TAIL, exec_list },
	{ "committee", "add", NULL, 0, 0, add_opts, 0, 0,
	  "任职 A seat on an organisation's committee. Rules (nothing is written when one\n"
	  "refuses): --member names a full member in normal standing of the organisation\n"
	  "or one under it (预备党员没有被选举权); --name only for a 兼职委员 (part_time); a\n"
	  "branch with fewer than 7 full members has no 支委会, only a 书记 and at most one\n"
	  "副书记; a Party group has no committee; one current seat per person. A new 书记\n"
	  "ends the previous secretary's seat the day before his start, and the\n"
	  "organisation's 书记 (org.secretary) becomes his name, in the same transaction;\n"
	  "a start not after the previous secretary's is refused.\n" SEAT_TAIL, exec_add },
	{ "committee", "end", "SEAT", 1, 1, end_opts, 0, 0,
	  "离任 The seat ends on the date (not before its start, not after today). A\n"
	  "secretary's end clears the organisation's 书记.\n" SEAT_TAIL, exec_end },
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

static const struct cmd_entry cmd_entries_household[] = {
	{ "committee household", "list", NULL, 0, 0, hlist_opts, 0, 0,
	  "列出党员中心户 The open member centers (--all: also closed ones) with the number\n"
	  "of households each keeps in touch with.\n" CENTER_TAIL, exec_hlist },
	{ "committee household", "add", NULL, 0, 0, hadd_opts, 0, 0,
	  "设立党员中心户 A member's household becomes a center: an active member of a\n"
	  "branch (or of one of its groups), one open center per member.\n" CENTER_TAIL,
	  exec_hadd },
	{ "committee household", "cover", "CENTER", 1, 1, hcover_opts, 0, 0,
	  "登记联系户 A household the center keeps in touch with: the head's name (汉字 or\n"
	  "Latin letters), the address; at most 30 households a center (our rule; 10-15 is\n"
	  "usual), one open center per household.\n" CENTER_TAIL, exec_hcover },
	{ "committee household", "show", "CENTER", 1, 1, NULL, 0, 0,
	  "查看党员中心户 One center and its households.\n" CENTER_TAIL, exec_hshow },
	{ "committee household", "end", "CENTER", 1, 1, hend_opts, 0, 0,
	  "撤销党员中心户 The center closes on the date.\n" CENTER_TAIL, exec_hend },
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

/*
 * tongxin committee SUB ... and tongxin committee household SUB ...: the
 * second runs the household table with "committee household" as its verb.
 */
int
verb_committee(struct cli *cli, int argc, char **argv)
{
	static const struct cmd_entry *const both[] = { cmd_entries_committee,
		cmd_entries_household };
	char verb[] = "committee household";
	char **av;
	int rc;

	if (argc > 1 && strcmp(argv[1], "household") == 0) {
		if ((av = calloc((size_t)argc, sizeof *av)) == NULL) {
			fprintf(stderr, "tongxin committee: 内存不足 out of memory\n");
			return EXIT_FAIL;
		}
		av[0] = verb;
		for (int i = 2; i < argc; i++)
			av[i - 1] = argv[i];
		rc = cmd_run(cmd_entries_household, cli, argc - 1, av);
		free(av);
		return rc;
	}
	return cmd_run_tables(both, 2, cli, argc, argv);
}
