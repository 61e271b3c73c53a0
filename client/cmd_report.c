/*
 * cmd_report.c - tongxin report: the checks a street quotes, computed on
 * the local replica, offline.
 *
 * Every figure comes from one prepared SQL statement with bound
 * parameters; C only parses options, pivots rows and formats shares.
 * --org CODE restricts a report to that organisation's subtree (a
 * recursive walk of org.parent_id); without it the whole replica counts.
 * --as-of DATE (default today) fixes "today", so a report can be re-run
 * for a past date and tests get fixed answers.
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

#include "domain.h"
#include "text.h"
#include "validate.h"
#include "vocab.h"

/*
 * The SQL these reports share with the desk's dashboard is the domain
 * layer's (domain.h): one query for a figure wherever it is shown.
 */
#define SUBTREE_CTE DOM_SUBTREE_CTE
#define MEMBER_CURRENT DOM_MEMBER_CURRENT

/* Options every report takes, resolved. */
struct report_ctx {
	struct cli *cli;
	sqlite3 *db;
	const char *verbname;
	const char *org_code;          /* --org as given, or NULL */
	char org_id[ID_TEXT_LEN + 1];  /* its id, "" when NULL */
	char org_name[256];            /* its name, for titles */
	char as_of[11];                /* --as-of or today */
};

/* --- small helpers ------------------------------------------------------- */

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

static int
days_in_month(int y, int m)
{
	static const int md[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return md[m - 1];
}

/*
 * Date d (valid YYYY-MM-DD) moved by months, the day clamped to the end of
 * the month (2024-08-31 - 6 months = 2024-02-29), as calendars and
 * people count, unlike SQLite's date() which overflows into March.
 */
static void
date_add_months(const char *d, int months, char out[11])
{
	int y = atoi(d), m = atoi(d + 5), day = atoi(d + 8);
	int idx = y * 12 + (m - 1) + months;

	y = idx / 12;
	m = idx % 12 + 1;
	if (day > days_in_month(y, m))
		day = days_in_month(y, m);
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
	    (unsigned)day % 100u);
}

/*
 * A share of n in total, rounded half up to one decimal ("61.1%"); integer
 * arithmetic, so 1 in 16 is 6.3% on every machine. "-" when total is 0.
 */
static void
fmt_share(long long n, long long total, char *buf, size_t cap)
{
	long long tenths;

	if (total <= 0) {
		snprintf(buf, cap, "-");
		return;
	}
	tenths = (n * 2000 + total) / (2 * total);
	snprintf(buf, cap, "%lld.%lld%%", tenths / 10, tenths % 10);
}

/* Prepare sql, or print why and return NULL. */
static sqlite3_stmt *
prepare(struct report_ctx *x, const char *sql)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(x->db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "tongxin %s: %s\n", x->verbname, sqlite3_errmsg(x->db));
		return NULL;
	}
	return st;
}

/* Bind the organisation restriction to ?1. */
static void
bind_org(struct report_ctx *x, sqlite3_stmt *st)
{
	if (x->org_id[0])
		sqlite3_bind_text(st, 1, x->org_id, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 1);
}

/* The scope as people read it: "第一社区 (SQ01)" or "全部 whole replica". */
static void
scope_text(const struct report_ctx *x, char *buf, size_t cap)
{
	if (x->org_code)
		snprintf(buf, cap, "%s (%s)", text_show(x->org_name), text_show(x->org_code));
	else
		snprintf(buf, cap, "本副本全部组织 whole replica");
}

static int
oom(struct report_ctx *x, sqlite3_stmt *st, struct table *t)
{
	sqlite3_finalize(st);
	table_free(t);
	fprintf(stderr, "tongxin %s: out of memory\n", x->verbname);
	return EXIT_FAIL;
}

static int
step_fail(struct report_ctx *x, sqlite3_stmt *st, struct table *t)
{
	fprintf(stderr, "tongxin %s: %s\n", x->verbname, sqlite3_errmsg(x->db));
	sqlite3_finalize(st);
	table_free(t);
	return EXIT_FAIL;
}

/* --- report profile ------------------------------------------------------ */

static int
report_profile(struct report_ctx *x, int argc, char **argv)
{
	static const char *const ids[] = { "item", "label", "count", "share" };
	static const char *const hdr[] = { "项目 item", "说明", "人数", "占比" };
	static const struct {
		const char *id, *label, *note;
	} rows[] = {
		{ "total", "党员总数", "members in normal standing" },
		{ "aged_60_plus", "60岁以上", "aged 60 or over" },
		{ "retired", "离退休", "retired" },
		{ "junior_high_or_below", "初中及以下学历", "junior high school or below" },
		{ "relocated", "拆迁党员", "relocated (demolition)" },
		{ "mobile", "流动党员", "mobile (working away)" },
		{ "lost_contact", "失联党员", "lost contact" },
		{ "probationary", "预备党员", "probationary" },
	};
	enum { NROWS = sizeof rows / sizeof rows[0] };
	long long n[NROWS];
	char cutoff[11], scope[300];
	struct table *t;
	sqlite3_stmt *st;
	int rc;

	if (argc > 0) {
		fprintf(stderr, "tongxin %s: unknown option %s\n", x->verbname, argv[0]);
		return EXIT_USAGE;
	}
	/* Aged 60+: the 60th birthday is on or before the date (29 Feb → 28 Feb). */
	date_add_years(x->as_of, -60, cutoff);
	if ((st = prepare(x, SUBTREE_CTE
	    " SELECT count(*), coalesce(sum(m.birth_date <= ?2), 0),"
	    " coalesce(sum(m.retired = 1), 0),"
	    " coalesce(sum(m.education IN ('primary', 'junior_high')), 0),"
	    " coalesce(sum(m.relocated = 1), 0), coalesce(sum(m.mobile = 1), 0),"
	    " coalesce(sum(m.lost_contact = 1), 0), coalesce(sum(m.category = 'probationary'), 0)"
	    " FROM member m WHERE (?1 IS NULL OR m.org_id IN sub) AND " MEMBER_CURRENT)) == NULL)
		return EXIT_FAIL;
	bind_org(x, st);
	sqlite3_bind_text(st, 2, cutoff, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW)
		return step_fail(x, st, NULL);
	for (int i = 0; i < NROWS; i++)
		n[i] = sqlite3_column_int64(st, i);
	sqlite3_finalize(st);

	if ((t = table_new(4, ids, hdr)) == NULL)
		return oom(x, NULL, NULL);
	table_set_number(t, 2);
	table_set_number(t, 3);
	for (int i = 0; i < NROWS; i++) {
		char count[32], share[32], label[128];
		const char *cells[4];
		snprintf(count, sizeof count, "%lld", n[i]);
		fmt_share(n[i], n[0], share, sizeof share);
		snprintf(label, sizeof label, "%s %s", rows[i].label, rows[i].note);
		cells[0] = x->cli->fmt == TABLE_TEXT ? rows[i].label : rows[i].id;
		cells[1] = x->cli->fmt == TABLE_TEXT ? rows[i].note : label;
		cells[2] = count;
		cells[3] = share;
		if (table_add(t, cells) != 0)
			return oom(x, NULL, t);
	}
	if (x->cli->fmt == TABLE_TEXT) {
		scope_text(x, scope, sizeof scope);
		printf("党员队伍结构 Member profile: %s, 截至 as of %s\n\n", scope, x->as_of);
	}
	table_print(t, stdout, x->cli->fmt);
	return EXIT_OK;
}

/* --- report compliance --------------------------------------------------- */

/* The kinds of 三会一课 that are required, in the order they are shown. */
static const struct {
	const char *id;
} life_kinds[] = {
	{ "committee_meeting" },
	{ "group_meeting" },
	{ "general_meeting" },
	{ "party_lecture" },
	{ "theme_day" },
};
#define NLIFE 5

/* The Chinese name of the k-th required kind. */
static const char *
life_label(int k)
{
	return vocab_show(vocab_get("meeting_kind"), life_kinds[k].id);
}

/*
 * One row per branch, kind and required cycle (or one row with a NULL
 * label for a kind with none), in display order: the cycle's label and
 * the number of meetings held in it. C adds them up per branch.
 *
 * Cycles are aligned to the calendar year: months; quarters for the
 * general meeting; blocks of ?5 months (a divisor of 12) for Party
 * lectures. A cycle is required when it lies inside the period [?3, ?4],
 * has ended by the date ?6 (a month still in progress is not yet due, so
 * no branch falls short of it), the branch was founded on or before its
 * first day, and - for group meetings - the branch has Party groups.
 * Meetings count when held in the cycle: by the branch itself, or by one
 * of its groups for group meetings (mown gives each meeting the branch it
 * counts for; the join on it is one pass with an automatic index, not a
 * scan per branch and cycle).
 */
static const char compliance_sql[] = DOM_COMPLIANCE_CTE
	" SELECT br.id, br.code, br.name, k.ord, req.label, req.n"
	" FROM br JOIN kinds k LEFT JOIN req ON req.bid = br.id AND req.kind = k.kind"
	" ORDER BY br.code, br.id, k.ord, req.cs";

/* One branch's figures, added up from its rows. */
struct branch_row {
	char id[ID_TEXT_LEN + 1], code[65], name[256];
	long long required[NLIFE], covered[NLIFE];
	char miss[NLIFE][256];   /* labels of the cycles without a meeting, per kind */
	char missing[1400];      /* "支委会 2024-05; 主题党日 2024-05 2024-06" */
	int short_;
};

static int
add_branch_row(struct report_ctx *x, struct table *t, struct table *shorts,
    struct branch_row *b)
{
	const char *cells[10];
	char cell[NLIFE][48];
	int text = x->cli->fmt == TABLE_TEXT;

	for (int k = 0; k < NLIFE; k++)
		if (b->covered[k] < b->required[k]) {
			size_t len = strlen(b->missing);
			b->short_ = 1;
			snprintf(b->missing + len, sizeof b->missing - len, "%s%s %s", len ? "; " : "",
			    life_label(k), b->miss[k]);
		}
	cells[0] = b->code;
	cells[1] = b->name;
	for (int k = 0; k < NLIFE; k++) {
		if (b->required[k] == 0)
			snprintf(cell[k], sizeof cell[k], "-");
		else
			snprintf(cell[k], sizeof cell[k], "%lld/%lld", b->covered[k], b->required[k]);
		cells[2 + k] = cell[k];
	}
	cells[7] = b->short_ ? (text ? "未达标 short" : "short") : (text ? "达标 ok" : "ok");
	cells[8] = b->missing;
	if (table_add(t, cells) != 0)
		return -1;
	if (b->short_ && shorts != NULL) {
		const char *sc[3] = { b->code, b->name, b->missing };
		if (table_add(shorts, sc) != 0)
			return -1;
	}
	return 0;
}

static int
report_compliance(struct report_ctx *x, int argc, char **argv)
{
	static const char *const ids[] = { "code", "branch", "committee_meeting", "group_meeting",
		"general_meeting", "party_lecture", "theme_day", "result", "missing" };
	const char *hdr[] = { "编码", "支部", life_label(0), life_label(1), life_label(2),
		life_label(3), life_label(4), "结果", "缺项 missing" };
	static const char *const sids[] = { "code", "branch", "missing" };
	static const char *const shdr[] = { "编码", "支部", "缺项 missing" };
	long year = atoi(x->as_of), month = 0, quarter = 0, lecture = 3, m1, m2;
	int have_year = 0, nbranches = 0, nshort = 0, rc;
	char start[64], end[64], period[64], scope[300];
	struct table *t = NULL, *shorts = NULL;
	struct branch_row b;
	sqlite3_stmt *st = NULL;

	for (int i = 0; i < argc; i += 2) {
		const char *o = argv[i];
		long *dst = NULL, lo = 0, hi = 0;
		if (i + 1 >= argc) {
			fprintf(stderr, "tongxin %s: %s needs a value\n", x->verbname, o);
			return EXIT_USAGE;
		}
		if (strcmp(o, "--year") == 0) {
			dst = &year, lo = 1900, hi = 9999;
			have_year = 1;
		} else if (strcmp(o, "--month") == 0)
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
	/* The period: a month, a quarter, the year; by default the quarter of the date. */
	if (month)
		m1 = m2 = month;
	else if (quarter)
		m1 = quarter * 3 - 2, m2 = quarter * 3;
	else if (have_year)
		m1 = 1, m2 = 12;
	else {
		quarter = (atoi(x->as_of + 5) + 2) / 3;
		m1 = quarter * 3 - 2, m2 = quarter * 3;
	}
	snprintf(start, sizeof start, "%04ld-%02ld-01", year, m1);
	snprintf(end, sizeof end, "%04ld-%02ld-%02d", year, m2, days_in_month((int)year, (int)m2));
	if (month)
		snprintf(period, sizeof period, "%04ld-%02ld", year, month);
	else if (quarter)
		snprintf(period, sizeof period, "%04ld-Q%ld", year, quarter);
	else
		snprintf(period, sizeof period, "%04ld", year);

	if ((st = prepare(x, compliance_sql)) == NULL)
		return EXIT_FAIL;
	bind_org(x, st);
	sqlite3_bind_int64(st, 2, year);
	sqlite3_bind_text(st, 3, start, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, end, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, lecture);
	sqlite3_bind_text(st, 6, x->as_of, -1, SQLITE_STATIC);
	if ((t = table_new(9, ids, hdr)) == NULL ||
	    (x->cli->fmt == TABLE_TEXT && (shorts = table_new(3, sids, shdr)) == NULL)) {
		table_free(shorts);
		return oom(x, st, t);
	}
	for (int k = 2; k < 2 + NLIFE; k++)
		table_set_number(t, k);
	memset(&b, 0, sizeof b);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *bid = (const char *)sqlite3_column_text(st, 0);
		const char *label = (const char *)sqlite3_column_text(st, 4);
		int k = sqlite3_column_int(st, 3) - 1;
		long long n = sqlite3_column_int64(st, 5);

		if (bid == NULL || k < 0 || k >= NLIFE)
			continue;
		if (nbranches == 0 || strcmp(b.id, bid) != 0) {
			if (nbranches > 0) {
				if (add_branch_row(x, t, shorts, &b) != 0) {
					table_free(shorts);
					return oom(x, st, t);
				}
				nshort += b.short_;
			}
			memset(&b, 0, sizeof b);
			snprintf(b.id, sizeof b.id, "%s", bid);
			snprintf(b.code, sizeof b.code, "%s", sqlite3_column_text(st, 1) ?
			    (const char *)sqlite3_column_text(st, 1) : "");
			snprintf(b.name, sizeof b.name, "%s", sqlite3_column_text(st, 2) ?
			    (const char *)sqlite3_column_text(st, 2) : "");
			nbranches++;
		}
		if (label == NULL)
			continue;   /* no cycle of this kind is due */
		b.required[k]++;
		if (n > 0) {
			b.covered[k]++;
		} else {
			size_t len = strlen(b.miss[k]);
			snprintf(b.miss[k] + len, sizeof b.miss[k] - len, "%s%s", len ? " " : "", label);
		}
	}
	if (rc != SQLITE_DONE) {
		table_free(shorts);
		return step_fail(x, st, t);
	}
	sqlite3_finalize(st);
	if (nbranches > 0) {
		if (add_branch_row(x, t, shorts, &b) != 0) {
			table_free(shorts);
			return oom(x, NULL, t);
		}
		nshort += b.short_;
	}
	if (x->cli->fmt != TABLE_TEXT) {
		table_print(t, stdout, x->cli->fmt);
		return EXIT_OK;
	}
	scope_text(x, scope, sizeof scope);
	printf("三会一课 Compliance %s (%s ~ %s): %s, 截至 as of %s\n"
	    "要求 required: 支委会、党小组会、主题党日每月 monthly; 党员大会每季度 quarterly; "
	    "党课每 %ld 个月 every %ld month%s\n\n", period, start, end, scope, x->as_of, lecture,
	    lecture, lecture == 1 ? "" : "s");
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
	static const char *const ids[] = { "branch_code", "branch", "name", "last_attended",
		"days_since", "note", "member_id" };
	static const char *const hdr[] = { "编码", "支部", "姓名", "最近参加", "间隔天数", "备注",
		"编号" };
	long months = 6;
	long long total = 0;
	char since[11], scope[300], share[32];
	struct table *t;
	sqlite3_stmt *st;
	int rc;

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
	/* The window is (as-of - N months, as-of]: 6 months to 2024-06-30 start after 2023-12-30. */
	date_add_months(x->as_of, -(int)months, since);
	if ((st = prepare(x, SUBTREE_CTE
	    " SELECT count(*) FROM member m WHERE (?1 IS NULL OR m.org_id IN sub) AND "
	    MEMBER_CURRENT)) == NULL)
		return EXIT_FAIL;
	bind_org(x, st);
	if (sqlite3_step(st) == SQLITE_ROW)
		total = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);

	if ((st = prepare(x, SUBTREE_CTE
	    " SELECT code, oname, name, last, CAST(julianday(?2) - julianday(last) AS INTEGER),"
	    "  trim(CASE WHEN mobile = 1 THEN '流动 ' ELSE '' END"
	    "  || CASE WHEN lost = 1 THEN '失联 ' ELSE '' END"
	    "  || CASE WHEN category = 'probationary' THEN '预备 ' ELSE '' END), id"
	    " FROM (SELECT m.id, m.name, m.mobile, m.lost_contact AS lost, m.category,"
	    "  o.code, o.name AS oname,"
	    "  (SELECT max(mt.held_on) FROM attendance a JOIN meeting mt ON mt.id = a.meeting_id"
	    "   WHERE a.member_id = m.id AND a.status = 'present' AND mt.held_on <= ?2) AS last"
	    "  FROM member m LEFT JOIN org o ON o.id = m.org_id"
	    "  WHERE (?1 IS NULL OR m.org_id IN sub) AND " MEMBER_CURRENT ")"
	    " WHERE last IS NULL OR last <= ?3"
	    " ORDER BY code, last IS NOT NULL, last, name, id")) == NULL)
		return EXIT_FAIL;
	bind_org(x, st);
	sqlite3_bind_text(st, 2, x->as_of, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, since, -1, SQLITE_STATIC);
	if ((t = table_new(7, ids, hdr)) == NULL)
		return oom(x, st, NULL);
	table_set_number(t, 4);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *cells[7];
		for (int c = 0; c < 7; c++)
			cells[c] = (const char *)sqlite3_column_text(st, c);
		if (cells[3] == NULL) {
			cells[3] = x->cli->fmt == TABLE_TEXT ? "从未 never" : NULL;
			cells[4] = NULL;
		}
		if (table_add(t, cells) != 0)
			return oom(x, st, t);
	}
	if (rc != SQLITE_DONE)
		return step_fail(x, st, t);
	sqlite3_finalize(st);
	if (x->cli->fmt != TABLE_TEXT) {
		table_print(t, stdout, x->cli->fmt);
		return EXIT_OK;
	}
	scope_text(x, scope, sizeof scope);
	fmt_share((long long)table_rows(t), total, share, sizeof share);
	printf("%ld个月未参加组织生活的党员 Members with no organisational life in the %ld months "
	    "to %s (none since %s): %s\n\n", months, months, x->as_of, since, scope);
	if (table_rows(t) == 0) {
		table_free(t);
		printf("没有 None: every one of %lld members attended.\n", total);
		return EXIT_OK;
	}
	printf("共 %zu 人 of %lld members (%s)\n", table_rows(t), total, share);
	table_print(t, stdout, TABLE_TEXT);
	return EXIT_OK;
}

/* --- report overdue ------------------------------------------------------ */

static int
report_overdue(struct report_ctx *x, int argc, char **argv)
{
	static const char *const ids[] = { "org_code", "org", "title", "due_on", "status",
		"days_overdue", "claimed_by", "id" };
	static const char *const hdr[] = { "编码", "组织", "问题事项", "期限", "状态", "逾期天数",
		"认领方", "编号" };
	char scope[300];
	struct table *t;
	sqlite3_stmt *st;
	int rc;

	if (argc > 0) {
		fprintf(stderr, "tongxin %s: unknown option %s\n", x->verbname, argv[0]);
		return EXIT_USAGE;
	}
	if ((st = prepare(x, SUBTREE_CTE
	    " SELECT o.code, o.name, i.title, i.due_on, coalesce(i.status, 'open'),"
	    "  CAST(julianday(?2) - julianday(i.due_on) AS INTEGER) AS late, i.claimed_by, i.id"
	    " FROM list_item i LEFT JOIN org o ON o.id = i.org_id"
	    " WHERE" DOM_OVERDUE_WHERE
	    " ORDER BY late DESC, o.code, i.title, i.id")) == NULL)
		return EXIT_FAIL;
	bind_org(x, st);
	sqlite3_bind_text(st, 2, x->as_of, -1, SQLITE_STATIC);
	if ((t = table_new(8, ids, hdr)) == NULL)
		return oom(x, st, NULL);
	table_set_number(t, 5);
	table_set_vocab(t, 4, vocab_get("item_status"));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *cells[8];
		for (int c = 0; c < 8; c++)
			cells[c] = (const char *)sqlite3_column_text(st, c);
		if (x->cli->fmt == TABLE_TEXT) {
			/* People read the last 8 characters (item commands take 6+); machines the id. */
			if (cells[7] && strlen(cells[7]) > 8)
				cells[7] += strlen(cells[7]) - 8;
		}
		if (table_add(t, cells) != 0)
			return oom(x, st, t);
	}
	if (rc != SQLITE_DONE)
		return step_fail(x, st, t);
	sqlite3_finalize(st);
	if (x->cli->fmt != TABLE_TEXT) {
		table_print(t, stdout, x->cli->fmt);
		return EXIT_OK;
	}
	scope_text(x, scope, sizeof scope);
	printf("逾期未销号问题 Problem items overdue and not closed out: %s, 截至 as of %s\n\n",
	    scope, x->as_of);
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

/* Committees' terms (换届): see DOM_TERM_SELECT. */
#define TERM_SELECT DOM_TERM_SELECT

static int
report_terms(struct report_ctx *x, int argc, char **argv)
{
	static const char *const ids[] = { "code", "name", "kind", "term_start", "term_end",
		"status", "days" };
	static const char *const hdr[] = { "编码", "名称", "类别", "届期开始", "届期结束",
		"状态", "逾期/剩余天数" };
	long months = 6;
	char until[11], scope[300];
	struct table *t;
	sqlite3_stmt *st;
	int rc, text = x->cli->fmt == TABLE_TEXT, noverdue = 0;
	long long unknown = 0;

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
	date_add_months(x->as_of, (int)months, until);
	if ((st = prepare(x, SUBTREE_CTE
	    " SELECT code, name, kind, term_start, computed, term_end,"
	    "  CAST(julianday(?2) - julianday(term_end) AS INTEGER)"
	    " FROM (" TERM_SELECT ") WHERE term_end IS NOT NULL AND term_end <= ?3"
	    " ORDER BY term_end, code")) == NULL)
		return EXIT_FAIL;
	bind_org(x, st);
	sqlite3_bind_text(st, 2, x->as_of, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, until, -1, SQLITE_STATIC);
	if ((t = table_new(7, ids, hdr)) == NULL)
		return oom(x, st, NULL);
	table_set_number(t, 6);   /* days left are negative */
	table_set_vocab(t, 2, vocab_get("org_kind"));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *cells[7];
		char end[32], days[32];
		long long d = sqlite3_column_int64(st, 6);   /* > 0: days past the end */
		int overdue = d > 0;

		cells[0] = (const char *)sqlite3_column_text(st, 0);
		cells[1] = (const char *)sqlite3_column_text(st, 1);
		cells[2] = (const char *)sqlite3_column_text(st, 2);
		cells[3] = (const char *)sqlite3_column_text(st, 3);
		snprintf(end, sizeof end, "%s%s", (const char *)sqlite3_column_text(st, 5),
		    text && sqlite3_column_int(st, 4) ? " (推算)" : "");
		cells[4] = end;
		cells[5] = overdue ? (text ? "已到期 overdue" : "overdue") :
		    (text ? "即将到期 expiring" : "expiring");
		/* Days overdue, or days left (0: ends today). */
		snprintf(days, sizeof days, "%lld", overdue ? d : -d);
		cells[6] = days;
		noverdue += overdue;
		if (table_add(t, cells) != 0)
			return oom(x, st, t);
	}
	if (rc != SQLITE_DONE)
		return step_fail(x, st, t);
	sqlite3_finalize(st);
	if (!text) {
		table_print(t, stdout, x->cli->fmt);
		return EXIT_OK;
	}
	if ((st = prepare(x, SUBTREE_CTE " SELECT count(*) FROM (" TERM_SELECT
	    ") WHERE term_end IS NULL")) != NULL) {
		bind_org(x, st);
		if (sqlite3_step(st) == SQLITE_ROW)
			unknown = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	scope_text(x, scope, sizeof scope);
	printf("换届提醒 Terms expired or expiring by %s (within %ld months): %s, 截至 as of %s\n"
	    "届期 terms: 社区党委/党总支 5 年 years, 党支部 3 年 years; (推算) computed from the "
	    "term start\n\n", until, months, scope, x->as_of);
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
		    "(tongxin org edit CODE --term-start DATE)\n", unknown);
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
	"Options of every report:\n"
	"  --org CODE     only that organisation and everything under it (default: all)\n"
	"  --as-of DATE   compute as of this date (default today)\n"
	"  --csv, --json  machine-readable output\n";

int
verb_report(struct cli *cli, int argc, char **argv)
{
	struct report_ctx x;
	struct replica *r;
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
	x.verbname = argv[1][0] == 'p' ? "report profile" : argv[1][0] == 'c' ?
	    "report compliance" : argv[1][0] == 'i' ? "report inactive" : argv[1][0] == 'o' ?
	    "report overdue" : "report terms";
	today_str(x.as_of);
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
				x.org_code = argv[++i];
			else if (!validate_date(argv[++i])) {
				fprintf(stderr, "tongxin %s: --as-of 日期 \"%s\" 无效，应为 YYYY-MM-DD\n",
				    x.verbname, argv[i]);
				goto out;
			} else
				snprintf(x.as_of, sizeof x.as_of, "%s", argv[i]);
		} else {
			rest[nrest++] = argv[i];
		}
	}
	if ((r = cli_open(cli)) == NULL) {
		rc = EXIT_FAIL;
		goto out;
	}
	x.db = replica_db(r);
	if (x.org_code != NULL) {
		sqlite3_stmt *st = NULL;
		if (org_id_by_code(x.db, x.org_code, x.org_id) != 0) {
			fprintf(stderr, "tongxin %s: 未知组织 unknown organisation code \"%s\"\n",
			    x.verbname, x.org_code);
			replica_close(r);
			rc = EXIT_INVALID;
			goto out;
		}
		if (sqlite3_prepare_v2(x.db, "SELECT name FROM org WHERE id = ?1", -1, &st,
		    NULL) == SQLITE_OK) {
			sqlite3_bind_text(st, 1, x.org_id, -1, SQLITE_STATIC);
			if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
				snprintf(x.org_name, sizeof x.org_name, "%s",
				    (const char *)sqlite3_column_text(st, 0));
		}
		sqlite3_finalize(st);
	}
	rc = reports[which].run(&x, nrest, rest);
	replica_close(r);
out:
	free(rest);
	return rc;
}
