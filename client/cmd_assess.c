/*
 * cmd_assess.c - tongxin assess: the yearly 100-point assessment (考核),
 * 评星定级 and member points (积分) (docs/cobuilding.md). The rules and the
 * writes are dom_assess.h's, the thresholds and weights common/points.h;
 * this file parses and prints.
 *
 * Exit statuses: 2 a usage error, 7 invalid input (nothing changed; an
 * indicator at a device that only reads them), 9 no such organisation or
 * indicator, 1 the replica failed.
 */
#include "cli.h"
#include "cmd.h"
#include "dom_assess.h"
#include "dom_handle.h"
#include "dom_service.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "points.h"
#include "text.h"
#include "vocab.h"

struct out {
	struct cli *cli;
	struct table *t;
};

/* Print t (or say none as a text table's only line); t is freed either way. */
static int
finish(struct cli *cli, struct table *t, const char *none)
{
	if (cli->fmt == TABLE_TEXT && table_rows(t) == 0) {
		printf("%s\n", none);
		table_free(t);
	} else {
		table_print(t, stdout, cli->fmt);
	}
	return EXIT_OK;
}

static void
indicator_req(const struct cmd_args *a, struct dom_indicator_req *q)
{
	memset(q, 0, sizeof *q);
	q->year = cmd_get(a, "year");
	q->target = cmd_get(a, "target");
	q->code = cmd_get(a, "code");
	q->name = cmd_get(a, "name");
	q->points = cmd_get(a, "points");
	q->evidence = cmd_get(a, "evidence");
}

static int
indicator_add(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	struct dom_indicator_req q;
	char id[ID_TEXT_LEN + 1];
	struct dom_error e;

	indicator_req(a, &q);
	if (dom_assess_indicator_add(r, cli->operator_name, &q, id, &e) != 0)
		return cmd_refused(&e, "assess indicator add");
	if (!cli->quiet)
		printf("已设考核指标 Indicator %s「%s」added (编号 %s)\n", text_show(q.code),
		    text_show(q.name), dom_short(id));
	return EXIT_OK;
}

static int
indicator_edit(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	struct dom_indicator_req q;
	struct dom_error e;

	indicator_req(a, &q);
	if (dom_assess_indicator_edit(r, cli->operator_name, &q, &e) != 0)
		return cmd_refused(&e, "assess indicator edit");
	if (!cli->quiet)
		printf("已修改考核指标 Indicator %s updated\n", text_show(q.code));
	return EXIT_OK;
}

static void
indicator_row(const struct dom_indicator_row *i, void *arg)
{
	struct out *o = arg;
	char y[8], p[24];
	const char *cells[8];

	snprintf(y, sizeof y, "%" PRId64, i->year);
	snprintf(p, sizeof p, "%" PRId64, i->points);
	cells[0] = y;
	cells[1] = i->target;
	cells[2] = i->code;
	cells[3] = i->name;
	cells[4] = p;
	cells[5] = i->evidence;
	cells[6] = i->org_name ? i->org_name : "上级组织 the street";
	cells[7] = o->cli->fmt == TABLE_TEXT ? dom_short(i->id) : i->id;
	table_add(o->t, cells);
}

static int
indicator_list(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char *const ids[] = { "year", "target", "code", "name", "points", "evidence",
		"set_by", "id" };
	static const char *const hdr[] = { "年度", "考核对象", "指标编号", "考核指标", "分值",
		"考核依据", "制定组织", "编号" };
	struct out o = { cli, table_new(8, ids, hdr) };
	struct dom_error e;

	if (o.t == NULL)
		return EXIT_FAIL;
	table_set_number(o.t, 0);
	table_set_vocab(o.t, 1, vocab_get("assess_target"));
	table_set_number(o.t, 4);
	if (dom_assess_indicator_list(r, cmd_get(a, "year"), indicator_row, &o, &e) != 0) {
		table_free(o.t);
		return cmd_refused(&e, "assess indicator list");
	}
	return finish(cli, o.t, "没有考核指标 No indicators (the street sets them; sync to receive "
	    "them).");
}

struct check {
	struct cli *cli;
	int bad;
	struct table *t;
};

static void
check_row(const struct dom_indicator_total *t, void *arg)
{
	struct check *c = arg;
	char n[24], p[24];
	const char *cells[4];

	snprintf(n, sizeof n, "%" PRId64, t->indicators);
	snprintf(p, sizeof p, "%" PRId64, t->points);
	cells[0] = t->target;
	cells[1] = n;
	cells[2] = p;
	cells[3] = t->points == ASSESS_FULL ? "1" : "0";
	table_add(c->t, cells);
	if (t->points != ASSESS_FULL)
		c->bad++;
}

static int
indicator_check(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char *const ids[] = { "target", "indicators", "points", "complete" };
	static const char *const hdr[] = { "考核对象", "指标数", "合计分值", "满100分" };
	struct check c = { cli, 0, table_new(4, ids, hdr) };
	struct dom_error e;

	if (c.t == NULL)
		return EXIT_FAIL;
	table_set_vocab(c.t, 0, vocab_get("assess_target"));
	table_set_number(c.t, 1);
	table_set_number(c.t, 2);
	table_set_bool(c.t, 3);
	if (dom_assess_indicator_totals(r, cmd_get(a, "year"), check_row, &c, &e) != 0) {
		table_free(c.t);
		return cmd_refused(&e, "assess indicator check");
	}
	table_print(c.t, stdout, cli->fmt);
	if (cli->fmt == TABLE_TEXT)
		printf(c.bad ? "%s 年的考核指标合计不是 %d 分 The year's indicators do not add up to %d.\n" :
		    "%s 年的考核指标合计均为 %d 分 The year's indicators add up to %d.\n",
		    cmd_get(a, "year"), ASSESS_FULL, ASSESS_FULL);
	return c.bad ? EXIT_INVALID : EXIT_OK;
}

static int
score(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	struct dom_score_req q = {
		.org_code = a->argv[0], .indicator = cmd_get(a, "indicator"),
		.year = cmd_get(a, "year"), .points = cmd_get(a, "points"),
		.scorer = cmd_get(a, "scorer"), .date = cmd_get(a, "date"),
		.evidence = cmd_get(a, "evidence"),
	};
	char id[ID_TEXT_LEN + 1];
	struct dom_error e;
	bool edited;

	if (dom_assess_score(r, cli->operator_name, &q, &edited, id, &e) != 0)
		return cmd_refused(&e, "assess score");
	if (!cli->quiet)
		printf(edited ? "已修改评分 Score changed: %s %s %s 分\n" :
		    "已评分 Scored: %s %s %s 分\n", text_show(q.org_code), text_show(q.indicator),
		    text_show(q.points));
	return EXIT_OK;
}

static int
stars(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	struct dom_stars_req q = {
		.org_code = a->argv[0], .year = cmd_get(a, "year"), .stars = cmd_get(a, "stars"),
		.by = cmd_get(a, "by"), .date = cmd_get(a, "date"), .note = cmd_get(a, "note"),
	};
	struct dom_error e;
	bool edited;

	if (dom_assess_stars(r, cli->operator_name, &q, &edited, &e) != 0)
		return cmd_refused(&e, "assess stars");
	if (!cli->quiet)
		printf(edited ? "已修改星级 Rating changed: %s %s 星\n" : "已评定星级 Rated: %s %s 星\n",
		    text_show(q.org_code), text_show(q.stars));
	return EXIT_OK;
}

static void
report_row(const struct dom_assess_row *g, void *arg)
{
	struct out *o = arg;
	char total[24], n[48], s[8] = "";
	const char *cells[7];
	enum assess_grade grade = assess_grade_of(g->total10);

	points_show10(g->total10, total);
	snprintf(n, sizeof n, "%" PRId64 "/%" PRId64, g->scored, g->indicators);
	if (g->stars > 0)
		snprintf(s, sizeof s, "%" PRId64, g->stars);
	cells[0] = g->code;
	cells[1] = g->name;
	cells[2] = g->target;
	cells[3] = n;
	cells[4] = total;
	/* No indicators for its kind this year: nothing to grade; some unscored: not yet. */
	cells[5] = g->indicators == 0 ? (o->cli->fmt == TABLE_TEXT ? "-" : NULL) :
	    !g->complete ? (o->cli->fmt == TABLE_TEXT ? "未评完 incomplete" : NULL) :
	    o->cli->fmt == TABLE_TEXT ? assess_grade_label(grade) : assess_grade_code(grade);
	cells[6] = s;
	table_add(o->t, cells);
}

static int
report(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char *const ids[] = { "code", "name", "target", "scored", "total", "grade",
		"stars" };
	static const char *const hdr[] = { "组织编码", "组织", "考核对象", "已评指标", "总分",
		"等次", "星级" };
	struct out o = { cli, table_new(7, ids, hdr) };
	const char *target = cmd_get(a, "target");
	struct dom_error e;
	const struct vocab *v = vocab_get("assess_target");
	const char *code;

	if (o.t == NULL)
		return EXIT_FAIL;
	table_set_vocab(o.t, 2, v);
	table_set_number(o.t, 4);
	table_set_number(o.t, 6);
	if (target && (code = vocab_parse(v, target)) != NULL)
		target = code;
	if (dom_assess_report(r, cmd_get(a, "year"), target, report_row, &o, &e) != 0) {
		table_free(o.t);
		return cmd_refused(&e, "assess report");
	}
	if (cli->fmt == TABLE_TEXT) {
		printf("%s 年度考核 Assessment %s\n%s\n", cmd_get(a, "year"), cmd_get(a, "year"),
		    assess_grade_rule());
		printf("等次在全部指标评分后给出 a grade stands once every indicator is scored\n\n");
	}
	return finish(cli, o.t, "没有社区党委或党支部 No communities or branches here.");
}

static void
points_row(const struct dom_points_row *p, void *arg)
{
	struct out *o = arg;
	char present[24], hours[24], dues[24], total[24];
	const char *cells[7];

	snprintf(present, sizeof present, "%" PRId64, p->present);
	dom_service_hours_show(p->minutes, hours);
	snprintf(dues, sizeof dues, "%" PRId64, p->dues_months);
	points_show10(p->total10, total);
	cells[0] = p->name;
	cells[1] = p->org_name ? p->org_name : p->org_code;
	cells[2] = present;
	cells[3] = hours;
	cells[4] = dues;
	cells[5] = total;
	cells[6] = o->cli->fmt == TABLE_TEXT ? dom_short(p->member_id) : p->member_id;
	table_add(o->t, cells);
}

static int
points(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char *const ids[] = { "name", "branch", "present", "volunteer_hours",
		"dues_on_time", "points", "member" };
	static const char *const hdr[] = { "姓名", "所在支部", "参加组织生活（次）", "志愿服务（小时）",
		"按时交纳党费（月）", "积分", "党员编号" };
	struct out o = { cli, table_new(7, ids, hdr) };
	struct dom_error e;

	if (o.t == NULL)
		return EXIT_FAIL;
	for (int c = 2; c <= 5; c++)
		table_set_number(o.t, c);
	if (dom_assess_points(r, cmd_get(a, "year"), cmd_get(a, "branch"), points_row, &o,
	    &e) != 0) {
		table_free(o.t);
		return cmd_refused(&e, "assess points");
	}
	if (cli->fmt == TABLE_TEXT)
		printf("%s 年党员积分 Member points %s\n%s\n\n", cmd_get(a, "year"), cmd_get(a, "year"),
		    points_rule_text());
	return finish(cli, o.t, "没有党员 No members.");
}

static int exec_ind_add(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, indicator_add); }
static int exec_ind_edit(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, indicator_edit); }
static int exec_ind_list(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, indicator_list); }
static int exec_ind_check(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, indicator_check); }
static int exec_score(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, score); }
static int exec_stars(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, stars); }
static int exec_report(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, report); }
static int exec_points(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, points); }

static const struct cmd_opt ind_add_opts[] = {
	{ "year", "YYYY", CMD_OPT_REQUIRED, "年度" },
	{ "target", "TARGET", CMD_OPT_REQUIRED, "考核对象 community 社区 | branch 支部" },
	{ "code", "CODE", CMD_OPT_REQUIRED, "指标编号 (unique in the year and target)" },
	{ "name", "NAME", CMD_OPT_REQUIRED, "考核指标 what is assessed" },
	{ "points", "P", CMD_OPT_REQUIRED, "分值 (whole points; a target's total is 100)" },
	{ "evidence", "TEXT", 0, "考核依据 the evidence asked for" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt ind_edit_opts[] = {
	{ "year", "YYYY", CMD_OPT_REQUIRED, "年度" },
	{ "target", "TARGET", CMD_OPT_REQUIRED, "考核对象 community | branch" },
	{ "code", "CODE", CMD_OPT_REQUIRED, "指标编号" },
	{ "name", "NAME", 0, "考核指标" },
	{ "points", "P", 0, "分值" },
	{ "evidence", "TEXT", 0, "考核依据" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt year_opts[] = {
	{ "year", "YYYY", 0, "年度 (default all years)" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt year_req_opts[] = {
	{ "year", "YYYY", CMD_OPT_REQUIRED, "年度" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt score_opts[] = {
	{ "indicator", "CODE", CMD_OPT_REQUIRED, "指标编号 the indicator's code" },
	{ "year", "YYYY", CMD_OPT_REQUIRED, "年度" },
	{ "points", "P", CMD_OPT_REQUIRED, "得分，至多一位小数，如 8.5 (0 .. the indicator's points)" },
	{ "scorer", "NAME", CMD_OPT_REQUIRED, "评分人" },
	{ "date", "DATE", 0, "评分日期 YYYY-MM-DD (default today)" },
	{ "evidence", "TEXT", 0, "评分说明" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt stars_opts[] = {
	{ "year", "YYYY", CMD_OPT_REQUIRED, "年度" },
	{ "stars", "N", CMD_OPT_REQUIRED, "星级 1..5" },
	{ "by", "ORG", 0, "评定组织 who rated" },
	{ "date", "DATE", 0, "评定日期 YYYY-MM-DD (default today)" },
	{ "note", "TEXT", 0, "备注" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt report_opts[] = {
	{ "year", "YYYY", CMD_OPT_REQUIRED, "年度" },
	{ "target", "TARGET", 0, "只看 community 社区 或 branch 支部" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt points_opts[] = {
	{ "year", "YYYY", CMD_OPT_REQUIRED, "年度" },
	{ "branch", "CODE", 0, "只看该支部的党员 only that branch's members" },
	{ NULL, NULL, 0, NULL },
};

#define ASSESS_TAIL                                                                          \
	"退出状态 Exit status: 0 成功 ok, 2 命令行有误 usage error, 7 取值无效 invalid value\n"  \
	"(nothing changed), 9 无此组织或指标 no such organisation or indicator.\n"

static const struct cmd_entry cmd_entries_assess[] = {
	{ "assess", "score", "ORG", 1, 1, score_opts, 0, 0,
	  "评分 Score a community or a branch on one of the year's indicators (tenths of a\n"
	  "point kept). A second score of the same indicator here changes the first; two\n"
	  "devices scoring it meet at the street as a conflict.\n" ASSESS_TAIL, exec_score },
	{ "assess", "stars", "BRANCH", 1, 1, stars_opts, 0, 0,
	  "评星定级 A branch's stars (1-5) for the year; a second rating changes the first.\n"
	  ASSESS_TAIL, exec_stars },
	{ "assess", "report", NULL, 0, 0, report_opts, 0, 0,
	  "考核结果 Per community and branch: indicators scored, total, grade (>= 90 优秀,\n"
	  "< 70 不称职, between 称职; once every indicator is scored) and stars.\n" ASSESS_TAIL,
	  exec_report },
	{ "assess", "points", NULL, 0, 0, points_opts, 0, 0,
	  "党员积分 Per member: organisational life attended (present), volunteering\n"
	  "hours, months of dues paid on time, and the points by the rules printed.\n"
	  ASSESS_TAIL, exec_points },
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

static const struct cmd_entry cmd_entries_indicator[] = {
	{ "assess indicator", "add", NULL, 0, 0, ind_add_opts, 0, 0,
	  "设置考核指标 An indicator of the year's 100-point scheme, set by the street;\n"
	  "every community and branch under it receives it, read only.\n" ASSESS_TAIL,
	  exec_ind_add },
	{ "assess indicator", "edit", NULL, 0, 0, ind_edit_opts, 0, 0,
	  "修改考核指标 Change an indicator's name, points or evidence (the street only).\n"
	  ASSESS_TAIL, exec_ind_edit },
	{ "assess indicator", "list", NULL, 0, 0, year_opts, 0, 0,
	  "考核指标 The indicators this replica holds.\n" ASSESS_TAIL, exec_ind_list },
	{ "assess indicator", "check", NULL, 0, 0, year_req_opts, 0, 0,
	  "核对分值 Whether each target's indicators of the year add up to 100 (exit 7 when\n"
	  "not).\n" ASSESS_TAIL, exec_ind_check },
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

int
verb_assess(struct cli *cli, int argc, char **argv)
{
	static const struct cmd_entry *const all[] = { cmd_entries_assess, cmd_entries_indicator };
	char verb[] = "assess indicator";
	char **av;
	int rc;

	if (argc > 1 && strcmp(argv[1], "indicator") == 0) {
		if ((av = calloc((size_t)argc, sizeof *av)) == NULL) {
			fprintf(stderr, "tongxin assess: 内存不足 out of memory\n");
			return EXIT_FAIL;
		}
		av[0] = verb;
		for (int i = 2; i < argc; i++)
			av[i - 1] = argv[i];
		rc = cmd_run(cmd_entries_indicator, cli, argc - 1, av);
		free(av);
		return rc;
	}
	return cmd_run_tables(all, 2, cli, argc, argv);
}
