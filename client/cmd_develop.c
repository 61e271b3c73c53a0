/*
 * cmd_develop.c - tongxin develop (发展党员: the development pipeline) and
 * the member sub-verbs of probation: promote (转正) and extend (延长预备期).
 *
 * The rules and the writes are the domain layer's (dom_develop.h), which
 * the desk calls too; this file parses and prints. A person in the
 * pipeline is named by an applicant handle (citizen ID, the id's last 6+
 * characters as develop list shows them, or a name one applicant has), a
 * member by a member handle, a meeting by its handle (meeting list's 编号).
 *
 * Exit statuses (cli_guide.md): 2 a usage error (an unknown option, a
 * missing required option), 7 invalid input or an ambiguous handle, 9 no
 * such person, meeting or organisation, 1 the replica failed.
 */
#include "cli.h"
#include "cmd.h"
#include "dom_develop.h"
#include "dom_handle.h"
#include "dom_work.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "validate.h"
#include "value.h"
#include "vocab.h"

#define ACOL(name) schema_col_index(&schema_tables[TBL_APPLICANT], name)
#define STAGES vocab_get("dev_stage")

/* Whether an entry's exec ran: cmd_run returned 0 without it only for --help. */
static bool ran;

/*
 * The domain's refusal: the message after the verb, the option that gives
 * a missing item, the exit status (cmd_exit_of).
 */
static int
refused(const struct dom_error *e, int t, const char *verbname)
{
	static const struct {
		const char *col, *opt;
	} opts[] = { { "org_id", "--branch" }, { "activist_meeting_id", "--meeting" },
		{ "candidate_meeting_id", "--meeting" }, { "admitted_meeting_id", "--meeting" },
		{ "full_meeting_id", "--meeting" }, { "extension_meeting_id", "--meeting" },
		{ "probation_until", "--until" }, { "education", "--education" } };
	const char *opt = NULL;

	if (e->kind == DOM_MISSING && e->col >= 0 && t >= 0)
		for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++)
			if (strcmp(schema_tables[t].cols[e->col].name, opts[k].col) == 0)
				opt = opts[k].opt;
	if (opt)
		fprintf(stderr, "tongxin %s: %s (%s)\n", verbname, text_show(e->msg), opt);
	else
		fprintf(stderr, "tongxin %s: %s\n", verbname, text_show(e->msg));
	return cmd_exit_of(e->kind);
}

/* The organisation of code (--branch): 0 with id set, or 9 having said why. */
static int
branch_resolve(struct replica *r, const char *code, char id[ID_TEXT_LEN + 1],
    const char *verbname)
{
	if (org_id_by_code(replica_db(r), code, id) == 0)
		return 0;
	fprintf(stderr, "tongxin %s: 未知组织 unknown organisation code \"%s\"\n", verbname,
	    text_show(code));
	return EXIT_NOT_FOUND;
}

/* --- develop add ---------------------------------------------------------- */

static int
dev_add(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "develop add";
	static const struct {
		const char *opt, *col;
	} items[] = { { "name", "name" }, { "gender", "gender" }, { "ethnicity", "ethnicity" },
		{ "id-number", "id_number" }, { "birth-date", "birth_date" },
		{ "applied-on", "applied_on" }, { "education", "education" }, { "phone", "phone" },
		{ "job", "job" }, { "note", "note" }, { "id-region-verified", "id_region_verified" } };
	const struct table_def *td = &schema_tables[TBL_APPLICANT];
	Tongxin__Value vals[DOM_MAX_COLS];
	int set[DOM_MAX_COLS] = { 0 }, rc;
	char org[ID_TEXT_LEN + 1], id[ID_TEXT_LEN + 1];
	struct dom_error e;

	memset(vals, 0, sizeof vals);
	if ((rc = branch_resolve(r, cmd_get(a, "branch"), org, verbname)) != 0)
		return rc;
	value_set_text(&vals[ACOL("org_id")], org);
	set[ACOL("org_id")] = 1;
	for (size_t k = 0; k < sizeof items / sizeof items[0]; k++) {
		const char *v = cmd_get(a, items[k].opt);
		int c = ACOL(items[k].col);
		if (v == NULL || v[0] == '\0')
			continue;
		if (td->cols[c].type == COL_ENUM && vocab_col_store(&td->cols[c], v) == NULL)
			return vocab_refuse(verbname, td->cols[c].label, items[k].opt,
			    vocab_of_col(&td->cols[c]), v);
		if (dom_value_parse(&td->cols[c], v, &vals[c], &e) != 0)
			return refused(&e, -1, verbname);
		set[c] = 1;
	}
	if (dom_applicant_add(r, cli->operator_name, vals, set, false, id, &e) != 0)
		return refused(&e, TBL_APPLICANT, verbname);
	if (!cli->quiet)
		printf("已登记入党申请人 Added applicant %s (编号 %s)\n",
		    text_show(vals[ACOL("name")].s), dom_short(id));
	return EXIT_OK;
}

/* --- develop edit --------------------------------------------------------- */

/* The applicant named by handle, or an exit status having said why. */
static int applicant_resolve(struct replica *r, const char *handle, char id[ID_TEXT_LEN + 1],
    const char *verbname);

static int
dev_edit(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "develop edit";
	static const struct {
		const char *opt, *col;
	} items[] = { { "name", "name" }, { "gender", "gender" }, { "ethnicity", "ethnicity" },
		{ "education", "education" }, { "phone", "phone" }, { "job", "job" },
		{ "note", "note" }, { "id-region-verified", "id_region_verified" } };
	const struct table_def *td = &schema_tables[TBL_APPLICANT];
	Tongxin__Value vals[DOM_MAX_COLS];
	int set[DOM_MAX_COLS] = { 0 }, rc;
	char id[ID_TEXT_LEN + 1];
	struct dom_error e;

	memset(vals, 0, sizeof vals);
	if ((rc = applicant_resolve(r, a->argv[0], id, verbname)) != 0)
		return rc;
	for (size_t k = 0; k < sizeof items / sizeof items[0]; k++) {
		const char *v = cmd_get(a, items[k].opt);
		int c = ACOL(items[k].col);
		if (v == NULL)
			continue;
		/* An empty value clears an optional item (a required one is refused). */
		if (v[0] != '\0' && td->cols[c].type == COL_ENUM &&
		    vocab_col_store(&td->cols[c], v) == NULL)
			return vocab_refuse(verbname, td->cols[c].label, items[k].opt,
			    vocab_of_col(&td->cols[c]), v);
		if (dom_value_parse(&td->cols[c], v, &vals[c], &e) != 0)
			return refused(&e, -1, verbname);
		set[c] = 1;
	}
	if (dom_applicant_edit(r, cli->operator_name, id, vals, set, false, &e) != 0)
		return refused(&e, TBL_APPLICANT, verbname);
	if (!cli->quiet)
		printf("已修改 Updated applicant %s\n", dom_short(id));
	return EXIT_OK;
}

/* --- develop list --------------------------------------------------------- */

struct list_ctx {
	struct table *t;
	enum table_format fmt;
	bool oom;
};

static void
list_row(const struct dom_dev_row *d, void *arg)
{
	struct list_ctx *lc = arg;
	const char *cells[12], *id = d->id ? d->id : "";
	int k = 0;

	cells[k++] = lc->fmt == TABLE_TEXT ? dom_short(id) : id;
	if (lc->fmt == TABLE_JSON)
		cells[k++] = dom_short(id);
	cells[k++] = d->name;
	cells[k++] = d->gender;
	cells[k++] = d->stage;
	cells[k++] = d->org_name;
	cells[k++] = d->applied_on;
	cells[k++] = d->activist_on;
	cells[k++] = d->candidate_on;
	cells[k++] = d->admitted_on;
	cells[k++] = d->next_on;
	if (table_add(lc->t, cells) != 0)
		lc->oom = true;
}

static int
dev_list(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "develop list";
	const char *ids[] = { "id", "handle", "name", "gender", "stage", "branch", "applied_on",
		"activist_on", "candidate_on", "admitted_on", "candidate_from" };
	const char *hdr[] = { "编号", "编号", "姓名", "性别", "发展阶段", "所在党支部", "申请日期",
		"积极分子日期", "发展对象日期", "接收日期", "可确定为发展对象" };
	enum { NC = 10 };
	const char *branch = cmd_get(a, "branch"), *stage = cmd_get(a, "stage");
	int handle = cli->fmt == TABLE_JSON, rc;
	char oid[ID_TEXT_LEN + 1];
	struct table *t;
	struct dom_error e;

	if (stage && vocab_parse(STAGES, stage) == NULL)
		return vocab_refuse(verbname, "发展阶段", "--stage", STAGES, stage);
	if (branch && (rc = branch_resolve(r, branch, oid, verbname)) != 0)
		return rc;
	if (!handle) {
		hdr[1] = hdr[0];
		ids[1] = ids[0];
	}
	if ((t = table_new(NC + handle, ids + 1 - handle, hdr + 1 - handle)) == NULL) {
		fprintf(stderr, "tongxin %s: out of memory\n", verbname);
		return EXIT_FAIL;
	}
	table_set_col(t, 2 + handle, &schema_tables[TBL_APPLICANT].cols[ACOL("gender")]);
	table_set_vocab(t, 3 + handle, STAGES);
	{
		struct dom_dev_query q = { .stage = stage, .org_id = branch ? oid : NULL };
		struct list_ctx lc = { .t = t, .fmt = cli->fmt };
		if (dom_dev_list(r, &q, list_row, &lc, &e) != 0 || lc.oom) {
			table_free(t);
			if (lc.oom) {
				fprintf(stderr, "tongxin %s: out of memory\n", verbname);
				return EXIT_FAIL;
			}
			return refused(&e, -1, verbname);
		}
	}
	if (cli->fmt == TABLE_TEXT && table_rows(t) == 0) {
		table_free(t);
		printf("没有入党申请人 No applicants.\n");
		return EXIT_OK;
	}
	table_print(t, stdout, cli->fmt);
	return EXIT_OK;
}

/* --- develop show --------------------------------------------------------- */

/* The applicant named by handle, or an exit status having said why. */
static int
applicant_resolve(struct replica *r, const char *handle, char id[ID_TEXT_LEN + 1],
    const char *verbname)
{
	struct dom_error e;

	if (dom_applicant_handle(r, handle, id, &e) == 0)
		return 0;
	return refused(&e, -1, verbname);
}

/*
 * A reference as the clerk reads it: a meeting by its date and kind with
 * its short handle ("2024-03-15 支委会（91362f46）"), anything else by its
 * short handle, which the other verbs take.
 */
static const char *
ref_shown(struct replica *r, const char *table, const char *id, char *buf, size_t cap)
{
	Tongxin__Value mv[DOM_MAX_COLS];
	char org_name[256], org_code[65];
	int counts[3];
	struct dom_error e;
	const struct table_def *tm = &schema_tables[TBL_MEETING];

	if (table == NULL || strcmp(table, "meeting") != 0 ||
	    dom_meeting_get(r, id, mv, org_name, org_code, counts, NULL, NULL, &e) != 0)
		return dom_short(id);
	{
		const Tongxin__Value *on = &mv[schema_col_index(tm, "held_on")];
		const Tongxin__Value *kind = &mv[schema_col_index(tm, "kind")];
		snprintf(buf, cap, "%s %s（%s）", on->kind_case == TONGXIN__VALUE__KIND_S ? on->s : "",
		    kind->kind_case == TONGXIN__VALUE__KIND_S ?
		    vocab_show(vocab_get("meeting_kind"), kind->s) : "", dom_short(id));
	}
	for (int c = 0; c < tm->ncols; c++)
		value_clear(&mv[c]);
	return buf;
}

static int
dev_show(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "develop show";
	const struct table_def *td = &schema_tables[TBL_APPLICANT];
	Tongxin__Value vals[DOM_MAX_COLS];
	char id[ID_TEXT_LEN + 1], org_name[256], buf[512];
	struct dom_error e;
	int rc, w = text_width("编号 id");

	if ((rc = applicant_resolve(r, a->argv[0], id, verbname)) != 0)
		return rc;
	if (dom_applicant_get(r, id, vals, org_name, &e) != 0)
		return refused(&e, -1, verbname);
	if (cli->fmt == TABLE_JSON || cli->fmt == TABLE_CSV)
		return row_print(cli, TBL_APPLICANT, id, vals);
	for (int c = 0; c < td->ncols; c++)
		if (text_width(td->cols[c].label) > w)
			w = text_width(td->cols[c].label);
	text_pad(stdout, "编号 id", w);
	printf("  %s\n", dom_short(id));
	for (int c = 0; c < td->ncols; c++) {
		const char *shown = "";
		if (vals[c].kind_case != TONGXIN__VALUE__KIND__NOT_SET) {
			if (strcmp(td->cols[c].name, "org_id") == 0 && org_name[0])
				shown = org_name;
			else if (td->cols[c].type == COL_REF && vals[c].kind_case == TONGXIN__VALUE__KIND_S)
				shown = ref_shown(r, td->cols[c].ref_table, vals[c].s, buf, sizeof buf);
			else
				shown = value_label(&td->cols[c], &vals[c], buf, sizeof buf);
		}
		text_pad(stdout, td->cols[c].label, w);
		fputs("  ", stdout);
		text_put_lines(stdout, shown, w + 2);   /* made safe */
		putchar('\n');
		value_clear(&vals[c]);
	}
	return EXIT_OK;
}

/* --- steps ------------------------------------------------------------------ */

/* The meeting named by handle (dom_row_handle), or an exit status having said why. */
static int
meeting_resolve(struct replica *r, const char *handle, char id[ID_TEXT_LEN + 1],
    const char *verbname)
{
	struct dom_error e;

	if (dom_row_handle(r, TBL_MEETING, handle, "会议", id, &e) == 0)
		return 0;
	fprintf(stderr, "tongxin %s: %s (--meeting)\n", verbname, text_show(e.msg));
	return cmd_exit_of(e.kind);
}

/* The step of an entry's sub-verb. */
static enum dom_dev_step
step_of(const char *sub)
{
	for (int s = DOM_DEV_ACTIVIST; s <= DOM_DEV_EXTEND; s++)
		if (strcmp(dom_dev_step_name((enum dom_dev_step)s), sub) == 0)
			return (enum dom_dev_step)s;
	return DOM_DEV_ACTIVIST;
}

/*
 * Take the step of the entry's sub-verb for the person a->argv[0] with the
 * meeting --meeting, through dom_dev_step (every rule in the write's
 * transaction). Returns an exit status.
 */
static int
dev_step(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	enum dom_dev_step step = step_of(a->entry->sub);
	int t = dom_dev_step_table(step), rc;
	char verbname[32], id[ID_TEXT_LEN + 1], mid[ID_TEXT_LEN + 1];
	struct dom_dev_args args = { .date = cmd_get(a, "date") };
	struct dom_dev_done done;
	struct dom_error e;

	snprintf(verbname, sizeof verbname, "%s %s", a->entry->verb, a->entry->sub);
	if (t == TBL_APPLICANT)
		rc = applicant_resolve(r, a->argv[0], id, verbname);
	else if (dom_member_handle(r, a->argv[0], id, &e) != 0)
		rc = refused(&e, -1, verbname);
	else
		rc = 0;
	if (rc != 0 || (rc = meeting_resolve(r, cmd_get(a, "meeting"), mid, verbname)) != 0)
		return rc;
	args.meeting_id = mid;
	if (step == DOM_DEV_EXTEND)
		args.until = cmd_get(a, "until");
	if (step == DOM_DEV_ADMIT) {
		args.education = cmd_get(a, "education");
		args.address = cmd_get(a, "address");
		args.phone = cmd_get(a, "phone");
		args.job = cmd_get(a, "job");
		if (args.education && args.education[0] &&
		    vocab_col_store(&schema_tables[TBL_MEMBER].cols[schema_col_index(
		    &schema_tables[TBL_MEMBER], "education")], args.education) == NULL)
			return vocab_refuse(verbname, "学历", "--education", vocab_get("education"),
			    args.education);
	}
	if (dom_dev_step(r, cli->operator_name, id, step, &args, false, &done, &e) != 0)
		return refused(&e, t, verbname);
	if (cli->quiet)
		return EXIT_OK;
	switch (step) {
	case DOM_DEV_ACTIVIST:
		printf("已确定为入党积极分子 %s is an activist from %s\n", text_show(done.name), done.date);
		break;
	case DOM_DEV_CANDIDATE:
		printf("已确定为发展对象 %s is a development candidate from %s\n", text_show(done.name),
		    done.date);
		break;
	case DOM_DEV_ADMIT:
		printf("已接收为预备党员 %s is a probationary member from %s (党员编号 %s)\n",
		    text_show(done.name), done.date, dom_short(done.member_id));
		break;
	case DOM_DEV_PROMOTE:
		printf("已转为正式党员 %s is a full member from %s\n", text_show(done.name), done.date);
		break;
	case DOM_DEV_EXTEND:
		printf("已延长预备期 %s's probation now ends on %s\n", text_show(done.name), done.date);
		break;
	}
	return EXIT_OK;
}

static int
dev_stop(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "develop stop";
	char id[ID_TEXT_LEN + 1];
	struct dom_dev_done done;
	struct dom_error e;
	int rc;

	if ((rc = applicant_resolve(r, a->argv[0], id, verbname)) != 0)
		return rc;
	if (dom_dev_stop(r, cli->operator_name, id, cmd_get(a, "note"), false, &done, &e) != 0)
		return refused(&e, TBL_APPLICANT, verbname);
	if (!cli->quiet)
		printf("已停止培养 %s is no longer in the development pipeline\n", text_show(done.name));
	return EXIT_OK;
}

/* --- develop due ---------------------------------------------------------- */

static void
due_row(const struct dom_due_row *d, void *arg)
{
	struct list_ctx *lc = arg;
	const char *cells[10], *id = d->id ? d->id : "";
	bool json = lc->fmt == TABLE_JSON;
	int k = 0;

	if (json)
		cells[k++] = d->kind == DOM_DUE_CANDIDATE ? "candidate" : "promote";
	cells[k++] = d->kind == DOM_DUE_CANDIDATE ? "可确定为发展对象" : "预备期满转正";
	if (json)
		cells[k++] = d->overdue ? "overdue" : "due";
	cells[k++] = d->overdue ? "逾期" : "本月到期";
	cells[k++] = d->name;
	cells[k++] = d->org_name;
	cells[k++] = d->since;
	cells[k++] = d->due_on;
	cells[k++] = d->extended ? "已延长" : "";
	cells[k++] = lc->fmt == TABLE_TEXT ? dom_short(id) : id;
	if (table_add(lc->t, cells) != 0)
		lc->oom = true;
}

static int
dev_due(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "develop due";
	static const char *const ids_json[] = { "step", "step_label", "status", "status_label",
		"name", "branch", "since", "due_on", "extended", "id" };
	static const char *const ids_text[] = { "step", "status", "name", "branch", "since",
		"due_on", "note", "id" };
	static const char *const hdr_text[] = { "事项", "状态", "姓名", "所在党支部", "起始日期",
		"到期日期", "备注", "编号" };
	char month[8], today[11];
	const char *given = cmd_get(a, "month");
	bool json = cli->fmt == TABLE_JSON;
	struct list_ctx lc = { .fmt = cli->fmt };
	struct dom_error e;

	today_str(today);
	snprintf(month, sizeof month, "%.7s", given ? given : today);
	if (given && strlen(given) != 7) {
		fprintf(stderr, "tongxin %s: 月份“%s”无效，应为 YYYY-MM (give a month such as 2026-11)\n",
		    verbname, text_show(given));
		return EXIT_INVALID;
	}
	lc.t = json ? table_new(10, ids_json, ids_json) : table_new(8, ids_text, hdr_text);
	if (lc.t == NULL) {
		fprintf(stderr, "tongxin %s: out of memory\n", verbname);
		return EXIT_FAIL;
	}
	if (dom_dev_due(r, month, due_row, &lc, &e) != 0 || lc.oom) {
		table_free(lc.t);
		return lc.oom ? EXIT_FAIL : refused(&e, -1, verbname);
	}
	if (cli->fmt == TABLE_TEXT && table_rows(lc.t) == 0) {
		table_free(lc.t);
		printf("%s 没有到期或逾期的发展步骤 Nothing due in %s.\n", month, month);
		return EXIT_OK;
	}
	if (cli->fmt == TABLE_TEXT && !cli->quiet)
		printf("%s 到期与逾期 Due in %s and overdue:\n", month, month);
	table_print(lc.t, stdout, cli->fmt);
	return EXIT_OK;
}

/* --- the command tables ----------------------------------------------------- */

/* Run one sub-verb on the replica named by the global options, then close it. */
static int
with_replica(struct cli *cli, const struct cmd_args *a,
    int (*fn)(struct cli *, struct replica *, const struct cmd_args *))
{
	struct replica *r;
	int rc;

	ran = true;
	if ((r = cli_open(cli)) == NULL)
		return EXIT_FAIL;
	rc = fn(cli, r, a);
	replica_close(r);
	return rc;
}

static int exec_add(struct cli *cli, const struct cmd_args *a) { return with_replica(cli, a, dev_add); }
static int exec_edit(struct cli *cli, const struct cmd_args *a) { return with_replica(cli, a, dev_edit); }
static int exec_list(struct cli *cli, const struct cmd_args *a) { return with_replica(cli, a, dev_list); }
static int exec_show(struct cli *cli, const struct cmd_args *a) { return with_replica(cli, a, dev_show); }
static int exec_step(struct cli *cli, const struct cmd_args *a) { return with_replica(cli, a, dev_step); }
static int exec_stop(struct cli *cli, const struct cmd_args *a) { return with_replica(cli, a, dev_stop); }
static int exec_due(struct cli *cli, const struct cmd_args *a) { return with_replica(cli, a, dev_due); }

/* member promote / extend: the step of a member, by the same domain module. */
static int
exec_member_step(struct cli *cli, const struct cmd_args *a)
{
	return with_replica(cli, a, dev_step);
}

static const struct cmd_opt add_opts[] = {
	{ "name", "NAME", CMD_OPT_REQUIRED, "姓名" },
	{ "gender", "G", CMD_OPT_REQUIRED, "性别 (男/女)" },
	{ "ethnicity", "E", CMD_OPT_REQUIRED, "民族" },
	{ "id-number", "N", CMD_OPT_REQUIRED, "公民身份号码 (出生日期由此得出 the birth date comes from it)" },
	{ "branch", "CODE", CMD_OPT_REQUIRED, "所在党支部的组织编码 the branch (or group) code" },
	{ "applied-on", "D", CMD_OPT_REQUIRED, "递交入党申请书日期 YYYY-MM-DD" },
	{ "education", "E", 0, "学历" },
	{ "phone", "TEXT", 0, "联系电话" },
	{ "job", "TEXT", 0, "工作岗位" },
	{ "note", "TEXT", 0, "备注" },
	{ "birth-date", "D", 0, "出生日期 (默认取自公民身份号码)" },
	{ "id-region-verified", "0|1", 0, "地区码已核实 a region code GB/T 2260 lacks, checked by a person" },
	{ NULL, NULL, 0, NULL },
};

static const struct cmd_opt edit_opts[] = {
	{ "name", "NAME", 0, "姓名" },
	{ "gender", "G", 0, "性别" },
	{ "ethnicity", "E", 0, "民族" },
	{ "education", "E", 0, "学历 (空值清除 an empty value clears it)" },
	{ "phone", "TEXT", 0, "联系电话" },
	{ "job", "TEXT", 0, "工作岗位" },
	{ "note", "TEXT", 0, "备注" },
	{ "id-region-verified", "0|1", 0, "地区码已核实" },
	{ NULL, NULL, 0, NULL },
};

static const struct cmd_opt list_opts[] = {
	{ "stage", "S", 0, "发展阶段 only this stage (申请人/积极分子/发展对象/预备党员/停止培养)" },
	{ "branch", "CODE", 0, "这个组织及其下级组织 this organisation and those below it" },
	{ NULL, NULL, 0, NULL },
};

static const struct cmd_opt step_opts[] = {
	{ "meeting", "MEETING", CMD_OPT_REQUIRED, "作出决定的会议 the deciding meeting (meeting list's 编号)" },
	{ "date", "D", 0, "日期，默认会议日期 the date (default: the meeting's)" },
	{ NULL, NULL, 0, NULL },
};

static const struct cmd_opt admit_opts[] = {
	{ "meeting", "MEETING", CMD_OPT_REQUIRED, "支部党员大会 the general meeting (meeting list's 编号)" },
	{ "date", "D", 0, "接收日期（入党日期），默认会议日期 the date (default: the meeting's)" },
	{ "education", "E", 0, "学历 (申请时未填则必填 required when the applicant has none)" },
	{ "address", "TEXT", 0, "家庭住址" },
	{ "phone", "TEXT", 0, "联系电话" },
	{ "job", "TEXT", 0, "工作岗位" },
	{ NULL, NULL, 0, NULL },
};

static const struct cmd_opt stop_opts[] = {
	{ "note", "TEXT", 0, "原因 why" },
	{ NULL, NULL, 0, NULL },
};

static const struct cmd_opt due_opts[] = {
	{ "month", "YYYY-MM", 0, "月份，默认本月 the month (default: this month)" },
	{ NULL, NULL, 0, NULL },
};

static const struct cmd_opt extend_opts[] = {
	{ "until", "D", CMD_OPT_REQUIRED, "延长后的预备期满日期 the new end (at most a year more)" },
	{ "meeting", "MEETING", CMD_OPT_REQUIRED, "支部党员大会 the general meeting (meeting list's 编号)" },
	{ NULL, NULL, 0, NULL },
};

#define PERSON_ARG "PERSON: 公民身份号码、编号末尾至少6位或姓名 (citizen ID, the id's last 6+\n" \
	"characters as develop list shows them, or a name one applicant has).\n"
#define MEMBER_ARG "MEMBER: 公民身份号码、编号末尾至少6位或姓名 (citizen ID, the id's last\n" \
	"6+ characters as member list shows them, or a name one member has).\n"

const struct cmd_entry cmd_entries_member_develop[] = {
	{ "member", "promote", "MEMBER", 1, 1, step_opts, 0, 0,
	  "转正 A probationary member becomes a full member, decided by the branch's\n"
	  "支部党员大会, once the probation year (or its extension) has ended.\n" MEMBER_ARG,
	  exec_member_step },
	{ "member", "extend", "MEMBER", 1, 1, extend_opts, 0, 0,
	  "延长预备期 Extend a member's probation (once, at most a year more), decided by\n"
	  "the branch's 支部党员大会.\n" MEMBER_ARG, exec_member_step },
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

static const struct cmd_entry cmd_entries_develop[] = {
	{ "develop", "add", NULL, 0, 0, add_opts, 0, 0,
	  "登记入党申请人 Add a person who applied to join (入党申请人), 18 or older.\n", exec_add },
	{ "develop", "edit", "PERSON", 1, 1, edit_opts, 0, 0,
	  "修改 Correct a person's items before admission (after it, edit the member).\n"
	  "A wrong citizen ID is not edited: stop the record and add the person again.\n"
	  PERSON_ARG, exec_edit },
	{ "develop", "list", NULL, 0, 0, list_opts, 0, 0,
	  "列出发展党员 The people in the pipeline by stage; 编号 is the short handle the\n"
	  "other sub-verbs take.\n", exec_list },
	{ "develop", "show", "PERSON", 1, 1, NULL, 0, 0,
	  "查看 One person's development record.\n" PERSON_ARG, exec_show },
	{ "develop", "activist", "PERSON", 1, 1, step_opts, 0, 0,
	  "确定为入党积极分子 An applicant becomes an activist (支委会 or 支部党员大会).\n"
	  PERSON_ARG, exec_step },
	{ "develop", "candidate", "PERSON", 1, 1, step_opts, 0, 0,
	  "确定为发展对象 An activist of a year's training becomes a development candidate\n"
	  "(支委会 or 支部党员大会).\n" PERSON_ARG, exec_step },
	{ "develop", "admit", "PERSON", 1, 1, admit_opts, 0, 0,
	  "接收为预备党员 A candidate is admitted by the 支部党员大会: the member record is\n"
	  "made (预备党员, joined that day) in the same local transaction.\n" PERSON_ARG, exec_step },
	{ "develop", "stop", "PERSON", 1, 1, stop_opts, 0, 0,
	  "停止培养 End a person's development before admission.\n" PERSON_ARG, exec_stop },
	{ "develop", "due", NULL, 0, 0, due_opts, 0, 0,
	  "到期提醒 Who is due for the next step in the month: activists whose year of\n"
	  "training ends (可确定为发展对象), probationary members whose probation or its\n"
	  "extension ends (转正), and probationary members past it (逾期).\n", exec_due },
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

int
verb_develop(struct cli *cli, int argc, char **argv)
{
	int rc;

	ran = false;
	rc = cmd_run(cmd_entries_develop, cli, argc, argv);
	/* --help of the verb or of add/list also lists the stages. */
	if (rc == EXIT_OK && !ran && (argc < 2 || cmd_find(cmd_entries_develop, argv[0], argv[1]) ==
	    NULL || strcmp(argv[1], "list") == 0))
		cmd_help_values(stdout, "--stage", STAGES);
	return rc;
}
