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
 * Member reports count members in normal standing (党籍正常): members
 * whose standing is suspended, expelled or deceased are not part of a
 * branch's membership figures.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dom_report.h"
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

/* Print a domain failure and return its exit code. */
static int
report_fail(struct report_ctx *x, const struct dom_error *e)
{
	fprintf(stderr, "tongxin %s: %s\n", x->verbname, e->msg);
	return e->kind == DOM_INVALID ? EXIT_USAGE : e->kind == DOM_NOT_FOUND ? EXIT_INVALID :
	    EXIT_FAIL;
}

static int
is_text(const struct report_ctx *x)
{
	return x->cli->fmt == TABLE_TEXT;
}

/* --- report profile ------------------------------------------------------ */

static int
report_profile(struct report_ctx *x, int argc, char **argv)
{
	struct dom_error e;
	struct table *t;
	char scope[300];

	if (argc > 0) {
		fprintf(stderr, "tongxin %s: unknown option %s\n", x->verbname, argv[0]);
		return EXIT_USAGE;
	}
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

static int
report_compliance(struct report_ctx *x, int argc, char **argv)
{
	long year = 0, month = 0, quarter = 0, lecture = 3;
	struct dom_compliance_query q;
	struct dom_compliance_period p;
	struct table *t, *shorts;
	struct dom_error e;
	int nbranches = 0, nshort = 0;
	char scope[300];

	for (int i = 0; i < argc; i += 2) {
		const char *o = argv[i];
		long *dst = NULL, lo = 0, hi = 0;
		if (i + 1 >= argc) {
			fprintf(stderr, "tongxin %s: %s needs a value\n", x->verbname, o);
			return EXIT_USAGE;
		}
		if (strcmp(o, "--year") == 0)
			dst = &year, lo = 1900, hi = 9999;
		else if (strcmp(o, "--month") == 0)
			dst = &month, lo = 1, hi = 12;
		else if (strcmp(o, "--quarter") == 0)
			dst = &quarter, lo = 1, hi = 4;
		else if (strcmp(o, "--lecture-months") == 0)
			dst = &lecture, lo = 1, hi = 12;
		else {
			fprintf(stderr, "tongxin %s: unknown option %s\n", x->verbname, o);
			return EXIT_USAGE;
		}
		if (parse_int(argv[i + 1], lo, hi, dst) != 0) {
			fprintf(stderr, "tongxin %s: %s must be a number from %ld to %ld, not \"%s\"\n",
			    x->verbname, o, lo, hi, argv[i + 1]);
			return EXIT_USAGE;
		}
	}
	if (month && quarter) {
		fprintf(stderr, "tongxin %s: give --month or --quarter, not both\n", x->verbname);
		return EXIT_USAGE;
	}
	if (12 % lecture != 0) {
		fprintf(stderr, "tongxin %s: --lecture-months must divide the year: 1, 2, 3, 4, 6 "
		    "or 12\n", x->verbname);
		return EXIT_USAGE;
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
	    "要求 required: 支委会、党小组会、主题党日每月 monthly; 党员大会每季度 quarterly; "
	    "党课每 %d 个月 every %d month%s\n\n", p.label, p.start, p.end, scope, x->scope.as_of,
	    p.lecture_months, p.lecture_months, p.lecture_months == 1 ? "" : "s");
	if (nbranches == 0) {
		table_free(t);
		table_free(shorts);
		printf("没有党支部 No branches in this scope.\n");
		return EXIT_OK;
	}
	table_print(t, stdout, TABLE_TEXT);
	printf("\n(举办/应办 months or quarters with a meeting / those due; - none due: not in "
	    "this period, not yet ended, or no Party groups)\n");
	if (nshort == 0) {
		table_free(shorts);
		printf("全部达标 All %d branches meet the requirements.\n", nbranches);
	} else {
		printf("\n未达标 short: %d of %d branches\n", nshort, nbranches);
		table_print(shorts, stdout, TABLE_TEXT);
	}
	return EXIT_OK;
}

/* --- report inactive ----------------------------------------------------- */

static int
report_inactive(struct report_ctx *x, int argc, char **argv)
{
	long months = 6;
	int64_t total = 0;
	char since[11], scope[300], share[32];
	struct dom_error e;
	struct table *t;

	for (int i = 0; i < argc; i += 2) {
		if (i + 1 >= argc || strcmp(argv[i], "--months") != 0) {
			fprintf(stderr, "tongxin %s: unknown option %s\n", x->verbname, argv[i]);
			return EXIT_USAGE;
		}
		if (parse_int(argv[i + 1], 1, 120, &months) != 0) {
			fprintf(stderr, "tongxin %s: --months must be a number from 1 to 120\n",
			    x->verbname);
			return EXIT_USAGE;
		}
	}
	if (dom_inactive_table(x->r, &x->scope, (int)months, is_text(x), &t, &total, since,
	    &e) != 0)
		return report_fail(x, &e);
	if (!is_text(x)) {
		table_print(t, stdout, x->cli->fmt);
		return EXIT_OK;
	}
	dom_report_scope_text(&x->scope, scope, sizeof scope);
	dom_share_text((int64_t)table_rows(t), total, share, sizeof share);
	printf("%ld个月未参加组织生活的党员 Members with no organisational life in the %ld months "
	    "to %s (none since %s): %s\n\n", months, months, x->scope.as_of, since, scope);
	if (table_rows(t) == 0) {
		table_free(t);
		printf("没有 None: every one of %lld members attended.\n", (long long)total);
		return EXIT_OK;
	}
	printf("共 %zu 人 of %lld members (%s)\n", table_rows(t), (long long)total, share);
	table_print(t, stdout, TABLE_TEXT);
	return EXIT_OK;
}

/* --- report overdue ------------------------------------------------------ */

static int
report_overdue(struct report_ctx *x, int argc, char **argv)
{
	char scope[300];
	struct dom_error e;
	struct table *t;

	if (argc > 0) {
		fprintf(stderr, "tongxin %s: unknown option %s\n", x->verbname, argv[0]);
		return EXIT_USAGE;
	}
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
report_terms(struct report_ctx *x, int argc, char **argv)
{
	long months = 6;
	char until[11], scope[300];
	int noverdue = 0;
	int64_t unknown = 0;
	struct dom_error e;
	struct table *t;

	for (int i = 0; i < argc; i += 2) {
		if (i + 1 >= argc || strcmp(argv[i], "--within-months") != 0) {
			fprintf(stderr, "tongxin %s: unknown option %s\n", x->verbname, argv[i]);
			return EXIT_USAGE;
		}
		if (parse_int(argv[i + 1], 0, 120, &months) != 0) {
			fprintf(stderr, "tongxin %s: --within-months must be a number from 0 to 120\n",
			    x->verbname);
			return EXIT_USAGE;
		}
	}
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

static int
report_roster(struct report_ctx *x, int argc, char **argv)
{
	char scope[300];
	struct dom_error e;
	struct table *t;

	if (argc > 0) {
		fprintf(stderr, "tongxin %s: unknown option %s\n", x->verbname, argv[0]);
		return EXIT_USAGE;
	}
	if (dom_roster_table(x->r, &x->scope, &t, &e) != 0)
		return report_fail(x, &e);
	if (is_text(x)) {
		dom_report_scope_text(&x->scope, scope, sizeof scope);
		printf("党员花名册 Roster: %s, 共 %zu 人 members\n\n", scope, table_rows(t));
	}
	table_print(t, stdout, x->cli->fmt);
	return EXIT_OK;
}

/* --- dispatch ------------------------------------------------------------ */

static const struct {
	const char *name;
	int (*run)(struct report_ctx *, int, char **);
} reports[] = {
	{ "profile", report_profile },
	{ "compliance", report_compliance },
	{ "inactive", report_inactive },
	{ "overdue", report_overdue },
	{ "terms", report_terms },
	{ "roster", report_roster },
};

static const char report_help[] =
	"Reports:\n"
	"  profile      党员队伍结构: members, and the count and share aged 60+ (from the\n"
	"               birth date), retired, junior high or below, relocated, mobile,\n"
	"               lost contact and probationary\n"
	"  compliance [--year YYYY] [--month M | --quarter Q] [--lecture-months N]\n"
	"               三会一课 per branch: 支委会, 党小组会 (branches with groups) and\n"
	"               主题党日 monthly, 党员大会 quarterly, 党课 every N months (default 3);\n"
	"               only periods that have ended by the date are due; the period\n"
	"               defaults to the quarter of the date; lists the branches that\n"
	"               fall short (未达标)\n"
	"  inactive [--months N]\n"
	"               members not present at any meeting in the last N months (default 6)\n"
	"  overdue      problem items past their due date and not closed out (销号)\n"
	"  terms [--within-months N]\n"
	"               committees whose term ended or ends within N months (default 6)\n"
	"  roster       党员花名册: the members on the books (not expelled or deceased) in\n"
	"               the national form's columns, by organisation and name\n"
	"Options of every report:\n"
	"  --org CODE     only that organisation and everything under it (default: all)\n"
	"  --as-of DATE   compute as of this date (default today)\n"
	"  --csv, --json  machine-readable output\n";

int
verb_report(struct cli *cli, int argc, char **argv)
{
	static const char *const verbnames[] = { "report profile", "report compliance",
		"report inactive", "report overdue", "report terms", "report roster" };
	const char *org_code = NULL, *as_of = NULL;
	struct report_ctx x;
	struct dom_error e;
	char **rest;
	int nrest = 0, rc = EXIT_USAGE, which = -1;

	if (has_help(argc, argv) || argc < 2) {
		rc = verb_usage("report", argc >= 2);
		fputs(report_help, argc >= 2 ? stdout : stderr);
		return rc;
	}
	for (size_t i = 0; i < sizeof reports / sizeof reports[0]; i++)
		if (strcmp(argv[1], reports[i].name) == 0)
			which = (int)i;
	if (which < 0) {
		fprintf(stderr, "tongxin report: unknown report \"%s\"\n", argv[1]);
		fputs(report_help, stderr);
		return EXIT_USAGE;
	}
	memset(&x, 0, sizeof x);
	x.cli = cli;
	x.verbname = verbnames[which];
	if ((rest = calloc((size_t)argc, sizeof *rest)) == NULL)
		return EXIT_FAIL;
	/* Take out the options every report shares; the report parses the rest. */
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--org") == 0 || strcmp(argv[i], "--as-of") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "tongxin %s: %s needs a value\n", x.verbname, argv[i]);
				goto out;
			}
			if (argv[i][2] == 'o')
				org_code = argv[++i];
			else if (!validate_date(argv[++i])) {
				fprintf(stderr, "tongxin %s: --as-of 日期 \"%s\" 无效，应为 YYYY-MM-DD\n",
				    x.verbname, argv[i]);
				goto out;
			} else
				as_of = argv[i];
		} else {
			rest[nrest++] = argv[i];
		}
	}
	if ((x.r = cli_open(cli)) == NULL) {
		rc = EXIT_FAIL;
		goto out;
	}
	if (dom_report_scope(x.r, org_code, as_of, &x.scope, &e) != 0)
		rc = report_fail(&x, &e);   /* an unknown --org: EXIT_INVALID */
	else
		rc = reports[which].run(&x, nrest, rest);
	replica_close(x.r);
out:
	free(rest);
	return rc;
}
