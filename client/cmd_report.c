/*
 * cmd_report.c - tongxin report: the checks a street quotes, computed on
 * the local replica, offline.
 *
 * The figures are the domain layer's (dom_report.h): the desk shows and
 * exports the very same rows. This file parses the options, prints the
 * titles and summaries people read, and prints the tables (text, --csv or
 * --json through table.c).
 * --org CODE restricts a report to that organisation's subtree; without it
 * the whole replica counts. --as-of DATE (default today) fixes "today", so
 * a report can be re-run for a past date and tests get fixed answers.
 *
 * Member reports count the members of DOM_MEMBER_COUNTED (dom_report.h):
 * in normal standing (党籍正常) and not reduced (党员减少: left_reason set,
 * expelled, deceased); the roster lists the members on the books
 * (DOM_MEMBER_ACTIVE: suspended ones too, shown as such).
 *
 * Each report is one row of cmd_entries_report (cmd.h): its options are
 * parsed by cmd_parse (getopt_long: --org=SQ01, --, global options
 * anywhere). Exit statuses: 2 for the command line's shape (an unknown
 * option or report, a missing value, --month with --quarter); 7 for a value
 * that is wrong (a number out of range, a bad date); 9 for a code that
 * names nothing (--org NOPE), as every "no such record" is 9.
 */
#include "cli.h"
#include "cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dom_cobuild.h"
#include "dom_feedback.h"
#include "dom_report.h"
#include "text.h"
#include "validate.h"

/* Options every report takes, resolved. */
struct report_ctx {
	struct cli *cli;
	struct replica *r;
	const char *verbname;
	struct dom_report_scope scope;
};

/* Parse a whole decimal number in [lo, hi]. 0 ok, -1 not. */
static int
parse_int(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/*
 * The value of option name as a whole number in [lo, hi] into *out, left
 * as it is (the default) when the option is absent. 0, or EXIT_INVALID
 * having said why: the command line is well formed, the value is wrong.
 */
static int
opt_number(const struct report_ctx *x, const struct cmd_args *a, const char *name, long lo,
    long hi, long *out)
{
	const char *v = cmd_get(a, name);

	if (v == NULL || parse_int(v, lo, hi, out) == 0)
		return 0;
	fprintf(stderr, "tongxin %s: --%s 须为 %ld 到 %ld 的整数 must be a number from %ld to "
	    "%ld, not \"%.40s\"\n", x->verbname, name, lo, hi, lo, hi, v);
	return EXIT_INVALID;
}

/*
 * Print a domain failure and return its exit code, the same in every verb:
 * a wrong value 7, a code that names nothing 9, the replica unreadable 1.
 */
static int
report_fail(struct report_ctx *x, const struct dom_error *e)
{
	fprintf(stderr, "tongxin %s: %s\n", x->verbname, text_show(e->msg));
	return cmd_exit_of(e->kind);
}

static int
is_text(const struct report_ctx *x)
{
	return x->cli->fmt == TABLE_TEXT;
}

/* --- report profile ------------------------------------------------------ */

static int
report_profile(struct report_ctx *x, const struct cmd_args *a)
{
	struct dom_error e;
	struct table *t;
	char scope[300];

	(void)a;
	if (dom_profile_table(x->r, &x->scope, is_text(x), &t, &e) != 0)
		return report_fail(x, &e);
	if (is_text(x)) {
		dom_report_scope_text(&x->scope, scope, sizeof scope);
		printf("党员队伍结构 Member profile: %s, 截至 as of %s\n\n", scope, x->scope.as_of);
	}
	table_print(t, stdout, x->cli->fmt);
	return EXIT_OK;
}

/* --- report compliance --------------------------------------------------- */

/*
 * The verdict under the compliance table: what is due and what is not yet
 * said explicitly. Nothing of the period due yet (the first month not
 * over) is 本季度尚未到期 - neither 全部达标 nor a failure; otherwise the
 * branches short (or 全部达标 for what has come due), then the cycles of
 * the period not yet due. Takes shorts and frees it.
 */
static void
compliance_summary(const struct dom_compliance_period *p, const char *as_of, int nbranches,
    int nshort, struct table *shorts)
{
	const char *span = p->month ? "本月" : p->quarter ? "本季度" : "本年";
	char pending[1400];

	dom_compliance_pending(p, as_of, pending, sizeof pending);
	if (!dom_compliance_any_due(p, as_of)) {
		table_free(shorts);
		printf("%s尚未到期 Nothing in %s is due yet on %s: a month, quarter or lecture "
		    "period is due once it has ended.\n", span, p->label, as_of);
		return;
	}
	if (nshort == 0) {
		table_free(shorts);
		printf("全部达标 All %d branches meet what has come due by %s.\n", nbranches, as_of);
	} else {
		printf("\n未达标 short: %d of %d branches\n", nshort, nbranches);
		table_print(shorts, stdout, TABLE_TEXT);
	}
	if (pending[0])
		printf("%s尚未到期 not yet due on %s: %s\n", span, as_of, pending);
}

static int
report_compliance(struct report_ctx *x, const struct cmd_args *a)
{
	long year = 0, month = 0, quarter = 0, lecture = 3;
	struct dom_compliance_query q;
	struct dom_compliance_period p;
	struct table *t, *shorts;
	struct dom_error e;
	int nbranches = 0, nshort = 0, rc;
	char scope[300];

	if (cmd_has(a, "month") && cmd_has(a, "quarter")) {
		fprintf(stderr, "tongxin %s: --month 与 --quarter 只能给一个 give --month or --quarter, "
		    "not both\n", x->verbname);
		return EXIT_USAGE;
	}
	if ((rc = opt_number(x, a, "year", 1900, 9999, &year)) != 0 ||
	    (rc = opt_number(x, a, "month", 1, 12, &month)) != 0 ||
	    (rc = opt_number(x, a, "quarter", 1, 4, &quarter)) != 0 ||
	    (rc = opt_number(x, a, "lecture-months", 1, 12, &lecture)) != 0)
		return rc;
	if (12 % lecture != 0) {
		fprintf(stderr, "tongxin %s: --lecture-months 须能整除一年 must divide the year: 1, 2, "
		    "3, 4, 6 or 12\n", x->verbname);
		return EXIT_INVALID;
	}
	q = (struct dom_compliance_query){ .year = (int)year, .month = (int)month,
		.quarter = (int)quarter, .lecture_months = (int)lecture };
	if (dom_compliance_period(&q, x->scope.as_of, &p, &e) != 0 ||
	    dom_compliance_table(x->r, &x->scope, &p, is_text(x), &t, &shorts, &nbranches, &nshort,
	    &e) != 0)
		return report_fail(x, &e);
	if (!is_text(x)) {
		table_print(t, stdout, x->cli->fmt);
		return EXIT_OK;
	}
	dom_report_scope_text(&x->scope, scope, sizeof scope);
	printf("三会一课 Compliance %s (%s ~ %s): %s, 截至 as of %s\n"
	    "要求 required: 支委会 (正式党员7人以上的支部 branches with 7+ full members)、党小组会 "
	    "(设党小组的支部 branches with groups)、主题党日每月 monthly; 党员大会每季度 quarterly; "
	    "党课每 %d 个月 every %d month%s; 只计已结束的周期 only cycles that have ended are due\n\n",
	    p.label, p.start, p.end, scope, x->scope.as_of, p.lecture_months, p.lecture_months,
	    p.lecture_months == 1 ? "" : "s");
	if (nbranches == 0) {
		table_free(t);
		table_free(shorts);
		printf("没有党支部 No branches in this scope.\n");
		return EXIT_OK;
	}
	table_print(t, stdout, TABLE_TEXT);
	printf("\n(举办/应办 cycles with a meeting / those due; 未到期 owed but not ended yet; "
	    "- nothing owed: no Party groups, fewer than 7 full members, founded later, or no "
	    "members)\n");
	compliance_summary(&p, x->scope.as_of, nbranches, nshort, shorts);
	return EXIT_OK;
}

/* --- report inactive ----------------------------------------------------- */

/* report inactive as a stream (table.h): what its passes share. */
struct inactive_stream {
	struct report_ctx *x;
	long months;
	int64_t total;
	char since[11];
	struct dom_error e;
};

static int
inactive_fill(struct table *t, void *arg)
{
	struct inactive_stream *is = arg;

	return dom_inactive_fill(is->x->r, &is->x->scope, (int)is->months, is_text(is->x), t,
	    &is->total, is->since, &is->e);
}

/* The title and the count above the text table, or "没有 None" instead of it. */
static int
inactive_head(struct table *t, void *arg)
{
	struct inactive_stream *is = arg;
	char scope[300], share[32];

	dom_report_scope_text(&is->x->scope, scope, sizeof scope);
	dom_share_text((int64_t)table_rows(t), is->total, share, sizeof share);
	printf("%ld个月未参加组织生活的党员 Members with no organisational life in the %ld months "
	    "to %s (none since %s): %s\n\n", is->months, is->months, is->x->scope.as_of, is->since,
	    scope);
	if (table_rows(t) == 0) {
		printf("没有 None: every one of %lld members attended.\n", (long long)is->total);
		return 0;
	}
	printf("共 %zu 人 of %lld members (%s)\n", table_rows(t), (long long)is->total, share);
	return 1;
}

/*
 * The members with no organisational life, streamed (a street's list may
 * be long): rows are written as they are read, the text table reading them
 * twice in one snapshot to align them (table.h).
 */
static int
report_inactive(struct report_ctx *x, const struct cmd_args *a)
{
	struct inactive_stream is = { .x = x, .months = 6 };
	struct table *t;
	struct dom_snapshot snap;
	int rc;

	if ((rc = opt_number(x, a, "months", 1, 120, &is.months)) != 0)
		return rc;
	if ((t = dom_inactive_table_new()) == NULL) {
		dom_err(&is.e, DOM_FAIL, -1, "内存不足 out of memory");
		return report_fail(x, &is.e);
	}
	if (dom_read_begin(x->r, &snap, &is.e) != 0) {
		table_free(t);
		return report_fail(x, &is.e);
	}
	dom_error_clear(&is.e);
	rc = table_stream(t, stdout, x->cli->fmt, inactive_fill, inactive_head, &is);
	dom_read_end(x->r, &snap);
	if (rc != 0 && is.e.kind != DOM_OK)
		return report_fail(x, &is.e);
	return rc == 0 ? EXIT_OK : EXIT_FAIL;
}

/* --- report overdue ------------------------------------------------------ */

static int
report_overdue(struct report_ctx *x, const struct cmd_args *a)
{
	char scope[300];
	struct dom_error e;
	struct table *t;

	(void)a;
	if (dom_overdue_table(x->r, &x->scope, is_text(x), &t, &e) != 0)
		return report_fail(x, &e);
	if (!is_text(x)) {
		table_print(t, stdout, x->cli->fmt);
		return EXIT_OK;
	}
	dom_report_scope_text(&x->scope, scope, sizeof scope);
	printf("逾期未销号问题 Problem items overdue and not closed out: %s, 截至 as of %s\n\n",
	    scope, x->scope.as_of);
	if (table_rows(t) == 0) {
		table_free(t);
		printf("没有 None.\n");
		return EXIT_OK;
	}
	printf("共 %zu 项 items\n", table_rows(t));
	table_print(t, stdout, TABLE_TEXT);
	return EXIT_OK;
}

/* --- report terms -------------------------------------------------------- */

static int
report_terms(struct report_ctx *x, const struct cmd_args *a)
{
	long months = 6;
	char until[11], scope[300];
	int noverdue = 0, rc;
	int64_t unknown = 0;
	struct dom_error e;
	struct table *t;

	if ((rc = opt_number(x, a, "within-months", 0, 120, &months)) != 0)
		return rc;
	if (dom_terms_table(x->r, &x->scope, (int)months, is_text(x), &t, &noverdue,
	    is_text(x) ? &unknown : NULL, until, &e) != 0)
		return report_fail(x, &e);
	if (!is_text(x)) {
		table_print(t, stdout, x->cli->fmt);
		return EXIT_OK;
	}
	dom_report_scope_text(&x->scope, scope, sizeof scope);
	printf("换届提醒 Terms expired or expiring by %s (within %ld months): %s, 截至 as of %s\n"
	    "届期 terms: 社区党委/党总支 5 年 years, 党支部 3 年 years; (推算) computed from the "
	    "term start\n\n", until, months, scope, x->scope.as_of);
	if (table_rows(t) == 0) {
		table_free(t);
		printf("没有 None.\n");
	} else {
		printf("已到期 overdue: %d, 即将到期 expiring: %zu\n", noverdue,
		    table_rows(t) - (size_t)noverdue);
		table_print(t, stdout, TABLE_TEXT);
	}
	if (unknown > 0)
		printf("\n另有 %lld 个组织未登记届期 organisations have no term dates recorded "
		    "(tongxin org edit CODE --term-start DATE)\n", (long long)unknown);
	return EXIT_OK;
}

/* --- report roster ------------------------------------------------------- */

/* report roster as a stream (table.h). */
struct roster_stream {
	struct report_ctx *x;
	struct dom_error e;
};

static int
roster_fill(struct table *t, void *arg)
{
	struct roster_stream *rs = arg;

	return dom_roster_fill(rs->x->r, &rs->x->scope, t, &rs->e);
}

/* The title above the text table, with the count the first pass measured. */
static int
roster_head(struct table *t, void *arg)
{
	struct roster_stream *rs = arg;
	char scope[300];

	dom_report_scope_text(&rs->x->scope, scope, sizeof scope);
	printf("党员花名册 Roster: %s, 共 %zu 人 members\n\n", scope, table_rows(t));
	return 1;
}

/* The roster, streamed as report inactive is. */
static int
report_roster(struct report_ctx *x, const struct cmd_args *a)
{
	struct roster_stream rs = { .x = x };
	struct table *t;
	struct dom_snapshot snap;
	int rc;

	(void)a;
	if ((t = dom_roster_table_new()) == NULL) {
		dom_err(&rs.e, DOM_FAIL, -1, "内存不足 out of memory");
		return report_fail(x, &rs.e);
	}
	if (dom_read_begin(x->r, &snap, &rs.e) != 0) {
		table_free(t);
		return report_fail(x, &rs.e);
	}
	dom_error_clear(&rs.e);
	rc = table_stream(t, stdout, x->cli->fmt, roster_fill, roster_head, &rs);
	dom_read_end(x->r, &snap);
	if (rc != 0 && rs.e.kind != DOM_OK)
		return report_fail(x, &rs.e);
	return rc == 0 ? EXIT_OK : EXIT_FAIL;
}

/* --- report branches ----------------------------------------------------- */

static int
report_branches(struct report_ctx *x, const struct cmd_args *a)
{
	char scope[300];
	struct dom_error e;
	struct table *t;
	size_t nrows;
	int nwarn = 0;

	(void)a;
	if (dom_branches_table(x->r, &x->scope, is_text(x), &t, &nwarn, &e) != 0)
		return report_fail(x, &e);
	if (!is_text(x)) {
		table_print(t, stdout, x->cli->fmt);
		return EXIT_OK;
	}
	dom_report_scope_text(&x->scope, scope, sizeof scope);
	printf("支部规模 Branch sizes: %s\n"
	    "党员 members in normal standing (党小组的在内 groups included); 正式党员%d人以上设支委会 "
	    "a committee with %d+ full members; 提示 warns over %d members or under %d full members\n\n",
	    scope, DOM_COMMITTEE_MIN_FULL, DOM_COMMITTEE_MIN_FULL, DOM_BRANCH_MAX_MEMBERS,
	    DOM_BRANCH_MIN_FULL);
	if (table_rows(t) == 0) {
		table_free(t);
		printf("没有党支部 No branches in this scope.\n");
		return EXIT_OK;
	}
	nrows = table_rows(t);
	table_print(t, stdout, TABLE_TEXT);   /* frees t */
	if (nwarn == 0)
		printf("\n规模均正常 Every branch's size is within the rules.\n");
	else
		printf("\n需调整 to adjust: %d of %zu branches\n", nwarn, nrows);
	return EXIT_OK;
}

/* --- the command table ---------------------------------------------------- */

/*
 * What every report does first: --as-of checked, the replica opened, the
 * scope (--org, the date) resolved; then the report itself (which checks
 * its own options). Returns the exit status.
 */
/* 共建工作 the street's co-building and service work, per community, for a year. */
static int
report_cobuild(struct report_ctx *x, const struct cmd_args *a)
{
	char scope[300], year[8];
	const char *y = cmd_get(a, "year");
	struct dom_error e;
	struct table *t;

	if (y == NULL) {
		snprintf(year, sizeof year, "%.4s", x->scope.as_of);
		y = year;
	}
	if (dom_cobuild_table(x->r, &x->scope, y, is_text(x), &t, &e) != 0)
		return report_fail(x, &e);
	if (!is_text(x)) {
		table_print(t, stdout, x->cli->fmt);
		return EXIT_OK;
	}
	dom_report_scope_text(&x->scope, scope, sizeof scope);
	printf("%s 年共建共治工作 Co-building and service work in %s: %s\n"
	    "按时回音 replied within %d days of receipt; 逾期未回音 not replied although the days "
	    "were over (as of %s or the year's end)\n\n", y, y, scope, FEEDBACK_REPLY_DAYS,
	    x->scope.as_of);
	if (table_rows(t) == 0) {
		table_free(t);
		printf("没有社区 No communities in this scope.\n");
		return EXIT_OK;
	}
	table_print(t, stdout, TABLE_TEXT);
	return EXIT_OK;
}

static int
report_run(struct cli *cli, const struct cmd_args *a,
    int (*run)(struct report_ctx *, const struct cmd_args *))
{
	const char *as_of = cmd_get(a, "as-of");
	struct report_ctx x;
	struct dom_error e;
	char verbname[64];
	int rc;

	memset(&x, 0, sizeof x);
	snprintf(verbname, sizeof verbname, "report %s", a->entry->sub);
	x.cli = cli;
	x.verbname = verbname;
	if (as_of && !validate_date(as_of)) {
		fprintf(stderr, "tongxin %s: --as-of 日期 \"%.40s\" 无效，应为 YYYY-MM-DD\n",
		    x.verbname, as_of);
		return EXIT_INVALID;
	}
	if ((x.r = cli_open(cli)) == NULL)
		return EXIT_FAIL;
	if (dom_report_scope(x.r, cmd_get(a, "org"), as_of, &x.scope, &e) != 0)
		rc = report_fail(&x, &e);   /* an unknown --org: EXIT_NOT_FOUND */
	else
		rc = run(&x, a);
	replica_close(x.r);
	return rc;
}

/* Each report's exec: the shared start (report_run), then the report. */
static int
exec_profile(struct cli *c, const struct cmd_args *a)
{
	return report_run(c, a, report_profile);
}

static int
exec_compliance(struct cli *c, const struct cmd_args *a)
{
	return report_run(c, a, report_compliance);
}

static int
exec_inactive(struct cli *c, const struct cmd_args *a)
{
	return report_run(c, a, report_inactive);
}

static int
exec_overdue(struct cli *c, const struct cmd_args *a)
{
	return report_run(c, a, report_overdue);
}

static int
exec_terms(struct cli *c, const struct cmd_args *a)
{
	return report_run(c, a, report_terms);
}

static int
exec_roster(struct cli *c, const struct cmd_args *a)
{
	return report_run(c, a, report_roster);
}

static int
exec_branches(struct cli *c, const struct cmd_args *a)
{
	return report_run(c, a, report_branches);
}

static int
exec_cobuild(struct cli *c, const struct cmd_args *a)
{
	return report_run(c, a, report_cobuild);
}

/* The options of every report. */
#define REPORT_OPTS                                                                         \
	{ "org", "CODE", 0, "只统计该组织及其下级 this organisation and all under it" },                                                            \
	{ "as-of", "DATE", 0, "按此日期计算 compute as of this date (default today)" }
#define REPORT_END { NULL, NULL, 0, NULL }

static const struct cmd_opt opts_plain[] = { REPORT_OPTS, REPORT_END };
static const struct cmd_opt opts_compliance[] = {
	REPORT_OPTS,
	{ "year", "YYYY", 0, "年份 the year (default: the date's)" },
	{ "month", "M", 0, "只查一个月 one month, 1-12 (not with --quarter)" },
	{ "quarter", "Q", 0, "只查一个季度 one quarter, 1-4 (default: the date's)" },
	{ "lecture-months", "N", 0, "党课每 N 个月一次 1, 2, 3 (default), 4, 6 or 12" },
	REPORT_END,
};
static const struct cmd_opt opts_inactive[] = {
	REPORT_OPTS,
	{ "months", "N", 0, "最近 N 个月 the last N months, 1-120 (default 6)" },
	REPORT_END,
};
static const struct cmd_opt opts_cobuild[] = {
	REPORT_OPTS,
	{ "year", "YYYY", 0, "年份 the year (default: the date's)" },
	REPORT_END,
};
static const struct cmd_opt opts_terms[] = {
	REPORT_OPTS,
	{ "within-months", "N", 0, "N 个月内到期 ending within N months, 0-120 (default 6)" },
	REPORT_END,
};

/* The lines under every report's own help. */
#define REPORT_TAIL                                                                         \
	"--csv, --json 机器可读 machine-readable output.\n"                                   \
	"退出状态 Exit status: 0 成功 ok, 2 命令行有误 usage error, 7 取值无效 invalid\n"      \
	"value (a number out of range, a bad date), 9 无此组织 no organisation has the\n"   \
	"--org code, 8 本机数据文件已损坏 damaged replica file (run tongxin doctor).\n"

/* Declared here until cli.h lists every verb's table. */
extern const struct cmd_entry cmd_entries_report[];

const struct cmd_entry cmd_entries_report[] = {
	{ "report", "profile", NULL, 0, 0, opts_plain, 0, 0,
	  "党员队伍结构 Member profile: members, and the count and share of women, ethnic\n"
	  "minorities (not 汉族), aged 35 or under and aged 60 or over (from the birth date,\n"
	  "on the date), college (大专) or above, junior high or below, retired, relocated,\n"
	  "mobile, lost contact and probationary; members in normal standing (党籍正常) who\n"
	  "have not left (党员减少) count.\n" REPORT_TAIL,
	  exec_profile },
	{ "report", "compliance", NULL, 0, 0, opts_compliance, 0, 0,
	  "三会一课 per branch: 支委会 (branches with 7 or more full members; a smaller\n"
	  "one has only a secretary), 党小组会 (branches with groups) and 主题党日 monthly,\n"
	  "党员大会 quarterly, 党课 every N months (default 3). A month, quarter or lecture\n"
	  "period is due once it has ended by the date: until then it is 未到期 (not yet\n"
	  "due), and with nothing due yet the report says 本季度尚未到期. A branch with no\n"
	  "members (党员减少 and suspended ones do not count) owes nothing (无党员). The\n"
	  "period defaults to the quarter of the date; lists the branches that fall short\n"
	  "(未达标).\n" REPORT_TAIL,
	  exec_compliance },
	{ "report", "inactive", NULL, 0, 0, opts_inactive, 0, 0,
	  "未参加组织生活的党员 Members who took part in no meeting in the last N months\n"
	  "(default 6): present or excused (请假) is taking part (党章 第九条 counts only\n"
	  "absence without good reason); absent or no record is not.\n" REPORT_TAIL,
	  exec_inactive },
	{ "report", "overdue", NULL, 0, 0, opts_plain, 0, 0,
	  "逾期未销号问题 Problem items past their due date and not closed out (销号).\n"
	  REPORT_TAIL,
	  exec_overdue },
	{ "report", "terms", NULL, 0, 0, opts_terms, 0, 0,
	  "换届提醒 Committees whose term ended or ends within N months (default 6).\n"
	  REPORT_TAIL,
	  exec_terms },
	{ "report", "roster", NULL, 0, 0, opts_plain, 0, 0,
	  "党员花名册 The members on the books (not expelled or deceased) in the national\n"
	  "form's columns, by organisation and name.\n" REPORT_TAIL,
	  exec_roster },
	{ "report", "cobuild", NULL, 0, 0, opts_cobuild, 0, 0,
	  "共建共治 Per community, the year's co-building and service work: resident units\n"
	  "and agreements in force, part-time members from units, claims on list items made\n"
	  "and done, items closed out (销号), micro-wishes posted and fulfilled with their\n"
	  "value, opinions received, replied on time and overdue, volunteer hours, the service\n"
	  "fund's budget and spending, the assessment's points and grade (once every\n"
	  "indicator is scored); a total line for several communities.\n" REPORT_TAIL,
	  exec_cobuild },
	{ "report", "branches", NULL, 0, 0, opts_plain, 0, 0,
	  "支部规模 Every branch with its members in normal standing (groups included), full\n"
	  "and probationary members, groups, whether it elects a 支委会 (7+ full members),\n"
	  "and a warning for over 50 members (divide it) or under 3 full members (join or\n"
	  "merge); reconcile gives the same warnings street-wide.\n" REPORT_TAIL,
	  exec_branches },
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

static const char report_help[] =
	"Reports:\n"
	"  profile      党员队伍结构: members, and the count and share of women, ethnic\n"
	"               minorities, aged 35 or under, aged 60+ (from the birth date),\n"
	"               college or above, junior high or below, retired, relocated,\n"
	"               mobile, lost contact and probationary\n"
	"  compliance [--year YYYY] [--month M | --quarter Q] [--lecture-months N]\n"
	"               三会一课 per branch: 支委会 (7+ full members), 党小组会 (branches\n"
	"               with groups) and 主题党日 monthly, 党员大会 quarterly, 党课 every N\n"
	"               months (default 3); a cycle is due once it has ended (未到期 until\n"
	"               then); branches without members owe nothing; the period defaults\n"
	"               to the quarter of the date; lists the branches that fall short\n"
	"               (未达标)\n"
	"  inactive [--months N]\n"
	"               members who took part in no meeting (present or excused) in the\n"
	"               last N months (default 6)\n"
	"  overdue      problem items past their due date and not closed out (销号)\n"
	"  terms [--within-months N]\n"
	"               committees whose term ended or ends within N months (default 6)\n"
	"  roster       党员花名册: the members on the books (not expelled or deceased) in\n"
	"               the national form's columns, by organisation and name\n"
	"  branches     支部规模: each branch's members, full and probationary members,\n"
	"               groups, 支委会 (7+ full members), warnings over 50 members or\n"
	"               under 3 full members\n"
	"Options of every report:\n"
	"  --org CODE     only that organisation and everything under it (default: all)\n"
	"  --as-of DATE   compute as of this date (default today)\n"
	"  --csv, --json  machine-readable output\n"
	"A wrong value (a number out of range, a bad date) exits 7; an --org code\n"
	"that names no organisation exits 9. `tongxin report NAME --help` shows one\n"
	"report's help.\n";

/*
 * tongxin report NAME [options]: the report's row of cmd_entries_report,
 * run by cmd_run. `tongxin report` alone or with --help prints every
 * report's help (as before the table); an unknown NAME is a usage error
 * listing the reports.
 */
int
verb_report(struct cli *cli, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		int rc = verb_usage("report", argc >= 2);
		fputs(report_help, argc >= 2 ? stdout : stderr);
		return rc;
	}
	if (cmd_find(cmd_entries_report, "report", argv[1]) == NULL) {
		fprintf(stderr, "tongxin report: 未知报表 unknown report \"%.64s\"; 可选 reports:",
		    argv[1]);
		for (const struct cmd_entry *e = cmd_entries_report; e->verb; e++)
			fprintf(stderr, " %s", e->sub);
		fputs("\n\n", stderr);
		fputs(report_help, stderr);
		return EXIT_USAGE;
	}
	return cmd_run(cmd_entries_report, cli, argc, argv);
}
