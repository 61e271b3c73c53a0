/*
 * dom_report.c - the reports and the street's checks on the replica; see
 * dom_report.h. Every figure comes from one prepared statement with bound
 * parameters (the SQL the dashboard shares is domain.h's); C only pivots
 * rows, formats shares and lays the rows out as tables.
 */
#include "dom_report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"
#include "text.h"
#include "validate.h"
#include "value.h"
#include "vocab.h"

/* --- helpers --------------------------------------------------------------- */

/* Fill e and return -1. */
static int
fail(struct dom_error *e, enum dom_fail kind, const char *fmt, ...)
{
	va_list ap;

	e->kind = kind;
	e->col = -1;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return -1;
}

static int
db_fail(struct replica *r, struct dom_error *e)
{
	return fail(e, DOM_FAIL, "副本读写失败 the replica could not be used: %s",
	    sqlite3_errmsg(replica_db(r)));
}

static int
oom(struct dom_error *e)
{
	return fail(e, DOM_FAIL, "内存不足 out of memory");
}

/* Prepare sql on the replica, or fill e and return NULL. */
static sqlite3_stmt *
prepare(struct replica *r, const char *sql, struct dom_error *e)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(replica_db(r), sql, -1, &st, NULL) != SQLITE_OK) {
		db_fail(r, e);
		return NULL;
	}
	return st;
}

/* Bind the organisation restriction to ?1 (NULL: the whole replica). */
static void
bind_org(const struct dom_report_scope *s, sqlite3_stmt *st)
{
	if (s->org_id[0])
		sqlite3_bind_text(st, 1, s->org_id, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 1);
}

/* Finish a statement stepped to its end: 0 when it reached SQLITE_DONE. */
static int
finish(struct replica *r, sqlite3_stmt *st, int rc, struct dom_error *e)
{
	if (rc != SQLITE_DONE) {
		db_fail(r, e);
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
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

/* --- scope and shares ------------------------------------------------------ */

int
dom_report_scope(struct replica *r, const char *org_code, const char *as_of,
    struct dom_report_scope *s, struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc;

	memset(s, 0, sizeof *s);
	dom_error_clear(e);
	if (as_of != NULL && as_of[0] != '\0') {
		if (strlen(as_of) != 10 || !validate_date(as_of))
			return fail(e, DOM_INVALID, "日期 \"%.40s\" 无效，应为 YYYY-MM-DD "
			    "the date must be a real YYYY-MM-DD", as_of);
		memcpy(s->as_of, as_of, 11);
	} else {
		today_str(s->as_of);
	}
	if (org_code == NULL || org_code[0] == '\0')
		return 0;
	if (strlen(org_code) >= sizeof s->org_code)
		return fail(e, DOM_NOT_FOUND, "未知组织 unknown organisation code \"%.64s\"", org_code);
	if ((st = prepare(r, "SELECT id, name FROM org WHERE code = ?1", e)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, org_code, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(s->org_id, sizeof s->org_id, "%s", dom_col_text(st, 0) ? dom_col_text(st, 0) : "");
		snprintf(s->org_name, sizeof s->org_name, "%s", dom_col_text(st, 1) ? dom_col_text(st, 1) : "");
		snprintf(s->org_code, sizeof s->org_code, "%s", org_code);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW && s->org_id[0])
		return 0;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(r, e);
	return fail(e, DOM_NOT_FOUND, "未知组织 unknown organisation code \"%s\"", org_code);
}

void
dom_report_scope_text(const struct dom_report_scope *s, char *buf, size_t cap)
{
	if (s->org_code[0])
		snprintf(buf, cap, "%s (%s)", text_show(s->org_name), text_show(s->org_code));
	else
		snprintf(buf, cap, "本副本全部组织 whole replica");
}

int64_t
dom_share_tenths(int64_t n, int64_t total)
{
	if (total <= 0)
		return -1;
	return (n * 2000 + total) / (2 * total);
}

void
dom_share_text(int64_t n, int64_t total, char *buf, size_t cap)
{
	int64_t tenths = dom_share_tenths(n, total);

	if (tenths < 0)
		snprintf(buf, cap, "-");
	else
		snprintf(buf, cap, "%lld.%lld%%", (long long)(tenths / 10), (long long)(tenths % 10));
}

/* --- profile ----------------------------------------------------------------- */

const struct dom_profile_item dom_profile_items[DOM_PROFILE_N] = {
	{ "total", "党员总数", "members in normal standing" },
	{ "women", "女党员", "women" },
	{ "minority", "少数民族党员", "ethnic minorities (not Han)" },
	{ "aged_35_or_under", "35岁及以下", "aged 35 or under" },
	{ "aged_60_plus", "60岁以上", "aged 60 or over" },
	{ "college_or_above", "大专及以上学历", "associate degree or above" },
	{ "junior_high_or_below", "初中及以下学历", "junior high school or below" },
	{ "retired", "离退休", "retired" },
	{ "relocated", "拆迁党员", "relocated (demolition)" },
	{ "mobile", "流动党员", "mobile (working away)" },
	{ "lost_contact", "失联党员", "lost contact" },
	{ "probationary", "预备党员", "probationary" },
};

int
dom_report_profile(struct replica *r, const struct dom_report_scope *s,
    int64_t n[DOM_PROFILE_N], struct dom_error *e)
{
	char cutoff60[11], cutoff36[11];
	sqlite3_stmt *st;

	dom_error_clear(e);
	/*
	 * Ages on the date, by birthdays (29 February counting as 28 February):
	 * 60 or over when the 60th birthday is on or before it; 35 or under
	 * while the 36th birthday is still after it.
	 */
	date_add_years(s->as_of, -60, cutoff60);
	date_add_years(s->as_of, -36, cutoff36);
	/* In the order of dom_profile_items; ethnicity is stored as its label (vocab). */
	if ((st = prepare(r, DOM_SUBTREE_CTE
	    " SELECT count(*), coalesce(sum(m.gender = 'female'), 0),"
	    " coalesce(sum(m.ethnicity <> '汉族'), 0), coalesce(sum(m.birth_date > ?3), 0),"
	    " coalesce(sum(m.birth_date <= ?2), 0),"
	    " coalesce(sum(m.education IN ('associate', 'bachelor', 'master', 'doctorate')), 0),"
	    " coalesce(sum(m.education IN ('primary', 'junior_high')), 0),"
	    " coalesce(sum(m.retired = 1), 0),"
	    " coalesce(sum(m.relocated = 1), 0), coalesce(sum(m.mobile = 1), 0),"
	    " coalesce(sum(m.lost_contact = 1), 0), coalesce(sum(m.category = 'probationary'), 0)"
	    " FROM member m WHERE (?1 IS NULL OR m.org_id IN sub) AND " DOM_MEMBER_COUNTED,
	    e)) == NULL)
		return -1;
	bind_org(s, st);
	sqlite3_bind_text(st, 2, cutoff60, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, cutoff36, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		db_fail(r, e);
		sqlite3_finalize(st);
		return -1;
	}
	for (int i = 0; i < DOM_PROFILE_N; i++)
		n[i] = sqlite3_column_int64(st, i);
	sqlite3_finalize(st);
	return 0;
}

int
dom_profile_table(struct replica *r, const struct dom_report_scope *s, bool text,
    struct table **out, struct dom_error *e)
{
	static const char *const ids[] = { "item", "label", "count", "share" };
	static const char *const hdr[] = { "项目 item", "说明", "人数", "占比" };
	int64_t n[DOM_PROFILE_N];
	struct table *t;

	*out = NULL;
	if (dom_report_profile(r, s, n, e) != 0)
		return -1;
	if ((t = table_new(4, ids, hdr)) == NULL)
		return oom(e);
	table_set_number(t, 2);
	table_set_number(t, 3);
	for (int i = 0; i < DOM_PROFILE_N; i++) {
		const struct dom_profile_item *it = &dom_profile_items[i];
		char count[32], share[32], label[128];
		const char *cells[4];
		snprintf(count, sizeof count, "%lld", (long long)n[i]);
		dom_share_text(n[i], n[0], share, sizeof share);
		snprintf(label, sizeof label, "%s %s", it->label, it->note);
		cells[0] = text ? it->label : it->id;
		cells[1] = text ? it->note : label;
		cells[2] = count;
		cells[3] = share;
		if (table_add(t, cells) != 0) {
			table_free(t);
			return oom(e);
		}
	}
	*out = t;
	return 0;
}

/* --- compliance ---------------------------------------------------------------- */

const char *const dom_life_kinds[DOM_LIFE_N] = {
	"committee_meeting", "group_meeting", "general_meeting", "party_lecture", "theme_day",
};

/* The Chinese name of the k-th required kind. */
static const char *
life_label(int k)
{
	return vocab_show(vocab_get("meeting_kind"), dom_life_kinds[k]);
}

int
dom_compliance_period(const struct dom_compliance_query *q, const char *as_of,
    struct dom_compliance_period *p, struct dom_error *e)
{
	int m1, m2;

	memset(p, 0, sizeof *p);
	dom_error_clear(e);
	if (q->year != 0 && (q->year < 1900 || q->year > 9999))
		return fail(e, DOM_INVALID, "年份须在 1900 到 9999 之间 the year must be 1900-9999");
	if (q->month < 0 || q->month > 12)
		return fail(e, DOM_INVALID, "月份须在 1 到 12 之间 the month must be 1-12");
	if (q->quarter < 0 || q->quarter > 4)
		return fail(e, DOM_INVALID, "季度须在 1 到 4 之间 the quarter must be 1-4");
	if (q->month && q->quarter)
		return fail(e, DOM_INVALID, "月份和季度只能选一个 give a month or a quarter, not both");
	p->lecture_months = q->lecture_months ? q->lecture_months : 3;
	if (p->lecture_months < 1 || p->lecture_months > 12 || 12 % p->lecture_months != 0)
		return fail(e, DOM_INVALID, "党课周期须能整除一年：1、2、3、4、6 或 12 个月 "
		    "the lecture period must divide the year: 1, 2, 3, 4, 6 or 12 months");
	p->year = q->year ? q->year : atoi(as_of);
	p->month = q->month;
	p->quarter = q->quarter;
	/* The period: a month, a quarter, the year; by default the quarter of the date. */
	if (p->month)
		m1 = m2 = p->month;
	else if (p->quarter)
		m1 = p->quarter * 3 - 2, m2 = p->quarter * 3;
	else if (q->year)
		m1 = 1, m2 = 12;
	else {
		p->quarter = (atoi(as_of + 5) + 2) / 3;
		m1 = p->quarter * 3 - 2, m2 = p->quarter * 3;
	}
	snprintf(p->start, sizeof p->start, "%04d-%02d-01", p->year % 10000, m1 % 100);
	snprintf(p->end, sizeof p->end, "%04d-%02d-%02d", p->year % 10000, m2 % 100,
	    days_in_month(p->year, m2) % 100);
	if (p->month)
		snprintf(p->label, sizeof p->label, "%04d-%02d", p->year % 10000, p->month % 100);
	else if (p->quarter)
		snprintf(p->label, sizeof p->label, "%04d-Q%d", p->year % 10000, p->quarter % 10);
	else
		snprintf(p->label, sizeof p->label, "%04d", p->year % 10000);
	return 0;
}

static const char *const life_state_codes[] = {
	[DOM_LIFE_OK] = "ok", [DOM_LIFE_SHORT] = "short", [DOM_LIFE_NOT_DUE] = "not_due",
	[DOM_LIFE_NONE] = "none", [DOM_LIFE_NO_MEMBERS] = "no_members",
};
static const char *const life_state_labels[] = {
	[DOM_LIFE_OK] = "达标", [DOM_LIFE_SHORT] = "未达标", [DOM_LIFE_NOT_DUE] = "尚未到期",
	[DOM_LIFE_NONE] = "无要求", [DOM_LIFE_NO_MEMBERS] = "无党员",
};

const char *
dom_life_state_code(enum dom_life_state st)
{
	return (unsigned)st < sizeof life_state_codes / sizeof life_state_codes[0] ?
	    life_state_codes[st] : "?";
}

const char *
dom_life_state_label(enum dom_life_state st)
{
	return (unsigned)st < sizeof life_state_labels / sizeof life_state_labels[0] ?
	    life_state_labels[st] : "?";
}

/* The cycle length in months of the k-th required kind under period p. */
static int
life_len(const struct dom_compliance_period *p, int k)
{
	static const int len[DOM_LIFE_N] = { 1, 1, 3, 0, 1 };
	return len[k] ? len[k] : p->lecture_months;
}

/* The first and last month of the period. */
static void
period_months(const struct dom_compliance_period *p, int *m1, int *m2)
{
	*m1 = atoi(p->start + 5);
	*m2 = atoi(p->end + 5);
}

bool
dom_compliance_any_due(const struct dom_compliance_period *p, const char *as_of)
{
	char first_end[11];
	int m1, m2;

	period_months(p, &m1, &m2);
	snprintf(first_end, sizeof first_end, "%04d-%02d-%02d", p->year % 10000, m1 % 100,
	    days_in_month(p->year, m1) % 100);
	return strcmp(first_end, as_of) <= 0;
}

void
dom_compliance_pending(const struct dom_compliance_period *p, const char *as_of, char *buf,
    size_t cap)
{
	int m1, m2;

	buf[0] = '\0';
	period_months(p, &m1, &m2);
	for (int k = 0; k < DOM_LIFE_N; k++) {
		int len = life_len(p, k);
		bool named = false;
		/* The cycles aligned to the year that lie inside the period, as the CTE's. */
		for (int m = 1; m <= 12; m += len) {
			int last = m + len - 1;
			char end[11], label[16];
			size_t n;
			if (m < m1 || last > m2)
				continue;
			snprintf(end, sizeof end, "%04d-%02d-%02d", p->year % 10000, last % 100,
			    days_in_month(p->year, last) % 100);
			if (strcmp(end, as_of) <= 0)
				continue;   /* ended: due */
			if (len == 1)
				snprintf(label, sizeof label, "%04d-%02d", p->year % 10000, m % 100);
			else if (len == 3)
				snprintf(label, sizeof label, "%04d-Q%d", p->year % 10000, (m + 2) / 3 % 10);
			else if (len == 12)
				snprintf(label, sizeof label, "%04d", p->year % 10000);
			else
				snprintf(label, sizeof label, "%04d-%02d~%02d", p->year % 10000, m % 100,
				    last % 100);
			n = strlen(buf);
			if (named)
				snprintf(buf + n, cap - n, " %s", label);
			else
				snprintf(buf + n, cap - n, "%s%s %s", n ? "; " : "", life_label(k), label);
			named = true;
		}
	}
}

/*
 * One row per branch and kind, and per cycle the branch owes in the period
 * (or one row with a NULL label for a kind with none), in display order:
 * the cycle's label, the meetings held in it, whether it is due; and the
 * branch's member counts. C adds them up per branch.
 */
static const char compliance_sql[] = DOM_REPORT_COMPLIANCE_CTE
	" SELECT br.id, br.code, br.name, k.ord, req.label, req.n, req.due, br.members, br.full"
	" FROM br JOIN kinds k LEFT JOIN req ON req.bid = br.id AND req.kind = k.kind"
	" ORDER BY br.code, br.id, k.ord, req.cs";

/* One branch being added up, with its own copies of the row's strings. */
struct branch_acc {
	struct dom_compliance_row row;
	char id[ID_TEXT_LEN + 1], code[65], name[256];
	char missing[1400], pending[1400];
	char plabel[DOM_LIFE_N][DOM_CYCLES_MAX][16];   /* the cycles not yet due */
};

/* Append the k-th kind's cycles labels[0..n) to buf as "; 党课 2024-Q2 ...". */
static void
cycles_text(char *buf, size_t cap, int k, char labels[][16], int n)
{
	size_t len = strlen(buf);

	snprintf(buf + len, cap - len, "%s%s", len ? "; " : "", life_label(k));
	for (int c = 0; c < n; c++) {
		len = strlen(buf);
		snprintf(buf + len, cap - len, " %s", labels[c]);
	}
}

/* Finish a branch: its state, missing and pending texts; hand it to each. */
static void
branch_done(struct branch_acc *b, void (*each)(const struct dom_compliance_row *, void *),
    void *arg, int *nshort)
{
	int due = 0, pending = 0;

	for (int k = 0; k < DOM_LIFE_N; k++) {
		char miss[DOM_CYCLES_MAX][16];
		int nmiss = 0;
		due += b->row.kind[k].required;
		pending += b->row.kind[k].pending;
		if (b->row.kind[k].pending > 0)
			cycles_text(b->pending, sizeof b->pending, k, b->plabel[k],
			    b->row.kind[k].pending);
		if (b->row.kind[k].covered >= b->row.kind[k].required)
			continue;
		b->row.short_ = true;
		for (int c = 0; c < b->row.kind[k].ncycles; c++)
			if (b->row.kind[k].cycle[c].held == 0)
				memcpy(miss[nmiss++], b->row.kind[k].cycle[c].label, 16);
		cycles_text(b->missing, sizeof b->missing, k, miss, nmiss);
	}
	if (b->row.members == 0)
		b->row.state = DOM_LIFE_NO_MEMBERS;
	else if (b->row.short_)
		b->row.state = DOM_LIFE_SHORT;
	else if (due > 0)
		b->row.state = DOM_LIFE_OK;
	else
		b->row.state = pending > 0 ? DOM_LIFE_NOT_DUE : DOM_LIFE_NONE;
	b->row.id = b->id;
	b->row.code = b->code;
	b->row.name = b->name;
	b->row.missing = b->missing;
	b->row.pending = b->pending;
	*nshort += b->row.short_;
	each(&b->row, arg);
}

int
dom_report_compliance(struct replica *r, const struct dom_report_scope *s,
    const struct dom_compliance_period *p,
    void (*each)(const struct dom_compliance_row *b, void *arg), void *arg,
    int *nbranches, int *nshort, struct dom_error *e)
{
	struct branch_acc *b;
	sqlite3_stmt *st;
	int rc, nb = 0, ns = 0;

	dom_error_clear(e);
	if ((b = calloc(1, sizeof *b)) == NULL)
		return oom(e);
	if ((st = prepare(r, compliance_sql, e)) == NULL) {
		free(b);
		return -1;
	}
	bind_org(s, st);
	sqlite3_bind_int64(st, 2, p->year);
	sqlite3_bind_text(st, 3, p->start, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, p->end, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, p->lecture_months);
	sqlite3_bind_text(st, 6, s->as_of, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *bid = dom_col_text(st, 0), *label = dom_col_text(st, 4);
		int k = sqlite3_column_int(st, 3) - 1;
		int64_t held = sqlite3_column_int64(st, 5);
		bool due = sqlite3_column_int(st, 6) != 0;

		if (bid == NULL || k < 0 || k >= DOM_LIFE_N)
			continue;
		if (nb == 0 || strcmp(b->id, bid) != 0) {
			if (nb > 0)
				branch_done(b, each, arg, &ns);
			memset(b, 0, sizeof *b);
			snprintf(b->id, sizeof b->id, "%s", bid);
			snprintf(b->code, sizeof b->code, "%s", dom_col_text(st, 1) ? dom_col_text(st, 1) : "");
			snprintf(b->name, sizeof b->name, "%s", dom_col_text(st, 2) ? dom_col_text(st, 2) : "");
			b->row.members = sqlite3_column_int64(st, 7);
			b->row.full = sqlite3_column_int64(st, 8);
			nb++;
		}
		if (label == NULL)
			continue;   /* the branch owes no cycle of this kind */
		/* A cycle not ended yet whose meeting is held already is met early: it counts. */
		if (!due && held == 0) {
			if (b->row.kind[k].pending < DOM_CYCLES_MAX)
				snprintf(b->plabel[k][b->row.kind[k].pending++], 16, "%s", label);
			continue;
		}
		if (b->row.kind[k].ncycles >= DOM_CYCLES_MAX)
			continue;
		{
			struct dom_cycle *c = &b->row.kind[k].cycle[b->row.kind[k].ncycles++];
			snprintf(c->label, sizeof c->label, "%s", label);
			c->held = held;
		}
		b->row.kind[k].required++;
		if (held > 0)
			b->row.kind[k].covered++;
	}
	if (finish(r, st, rc, e) != 0) {
		free(b);
		return -1;
	}
	if (nb > 0)
		branch_done(b, each, arg, &ns);
	free(b);
	if (nbranches)
		*nbranches = nb;
	if (nshort)
		*nshort = ns;
	return 0;
}

/* Tables being filled by a callback, and whether one add failed. */
struct table_fill {
	struct table *t, *shorts;
	bool text, failed;
};

/*
 * A kind's cell: covered/required for the cycles due; "未到期" (not_due)
 * when cycles are owed but none has ended; "-" when nothing is owed.
 */
static void
compliance_add(const struct dom_compliance_row *b, void *arg)
{
	struct table_fill *f = arg;
	const char *cells[12];
	char cell[DOM_LIFE_N][48], members[24], full[24], result[48];

	cells[0] = b->code;
	cells[1] = b->name;
	snprintf(members, sizeof members, "%lld", (long long)b->members);
	snprintf(full, sizeof full, "%lld", (long long)b->full);
	cells[2] = members;
	cells[3] = full;
	for (int k = 0; k < DOM_LIFE_N; k++) {
		if (b->kind[k].required > 0)
			snprintf(cell[k], sizeof cell[k], "%d/%d", b->kind[k].covered,
			    b->kind[k].required);
		else if (b->kind[k].pending > 0)
			snprintf(cell[k], sizeof cell[k], "%s", f->text ? "未到期" : "not_due");
		else
			snprintf(cell[k], sizeof cell[k], "-");
		cells[4 + k] = cell[k];
	}
	if (f->text)
		snprintf(result, sizeof result, "%s %s", dom_life_state_label(b->state),
		    dom_life_state_code(b->state));
	else
		snprintf(result, sizeof result, "%s", dom_life_state_code(b->state));
	cells[9] = result;
	cells[10] = b->missing;
	cells[11] = b->pending;
	if (table_add(f->t, cells) != 0)
		f->failed = true;
	if (b->short_ && f->shorts != NULL) {
		const char *sc[3] = { b->code, b->name, b->missing };
		if (table_add(f->shorts, sc) != 0)
			f->failed = true;
	}
}

int
dom_compliance_table(struct replica *r, const struct dom_report_scope *s,
    const struct dom_compliance_period *p, bool text, struct table **out,
    struct table **shorts, int *nbranches, int *nshort, struct dom_error *e)
{
	static const char *const ids[] = { "code", "branch", "members", "full",
		"committee_meeting", "group_meeting", "general_meeting", "party_lecture", "theme_day",
		"result", "missing", "not_yet_due" };
	static const char *hdr[12] = { "编码", "支部", "党员", "正式党员", NULL, NULL, NULL, NULL,
		NULL, "结果", "缺项 missing", "尚未到期 not yet due" };
	static const char *const sids[] = { "code", "branch", "missing" };
	static const char *const shdr[] = { "编码", "支部", "缺项 missing" };
	struct table_fill f = { .text = text };

	*out = NULL;
	*shorts = NULL;
	for (int k = 0; k < DOM_LIFE_N; k++)
		hdr[4 + k] = life_label(k);   /* the vocabulary's static labels */
	if ((f.t = table_new(12, ids, hdr)) == NULL ||
	    (text && (f.shorts = table_new(3, sids, shdr)) == NULL)) {
		table_free(f.t);
		return oom(e);
	}
	for (int k = 2; k < 4 + DOM_LIFE_N; k++)
		table_set_number(f.t, k);
	if (dom_report_compliance(r, s, p, compliance_add, &f, nbranches, nshort, e) != 0 ||
	    (f.failed && oom(e))) {
		table_free(f.t);
		table_free(f.shorts);
		return -1;
	}
	*out = f.t;
	*shorts = f.shorts;
	return 0;
}

/* --- branches ------------------------------------------------------------------ */

int
dom_report_branches(struct replica *r, const struct dom_report_scope *s,
    void (*each)(const struct dom_branch_row *b, void *arg), void *arg, int *nwarn,
    struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc, nw = 0;

	dom_error_clear(e);
	if ((st = prepare(r, DOM_SUBTREE_CTE ", " DOM_BRANCH_SIZES_CTE
	    " SELECT o.id, o.code, o.name, p.code, p.name, coalesce(bn.members, 0),"
	    "  coalesce(bn.full, 0), coalesce(bn.probationary, 0),"
	    "  (SELECT count(*) FROM org g WHERE g.parent_id = o.id AND g.kind = 'group'"
	    "   AND coalesce(g.dissolved, 0) = 0)"
	    " FROM org o LEFT JOIN org p ON p.id = o.parent_id LEFT JOIN bn ON bn.bid = o.id"
	    " WHERE o.kind = 'branch' AND coalesce(o.dissolved, 0) = 0"
	    "  AND (?1 IS NULL OR o.id IN sub)"
	    " ORDER BY o.code, o.id", e)) == NULL)
		return -1;
	bind_org(s, st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_branch_row b = {
			.id = dom_col_text(st, 0), .code = dom_col_text(st, 1), .name = dom_col_text(st, 2),
			.parent_code = dom_col_text(st, 3), .parent_name = dom_col_text(st, 4),
			.members = sqlite3_column_int64(st, 5), .full = sqlite3_column_int64(st, 6),
			.probationary = sqlite3_column_int64(st, 7), .groups = sqlite3_column_int64(st, 8),
		};
		b.committee = b.full >= DOM_COMMITTEE_MIN_FULL;
		b.too_big = b.members > DOM_BRANCH_MAX_MEMBERS;
		b.too_small = b.full < DOM_BRANCH_MIN_FULL;
		nw += b.too_big || b.too_small;
		each(&b, arg);
	}
	if (finish(r, st, rc, e) != 0)
		return -1;
	if (nwarn)
		*nwarn = nw;
	return 0;
}

void
dom_branch_warning(const struct dom_branch_row *b, char *buf, size_t cap)
{
	size_t n;

	buf[0] = '\0';
	if (b->too_big)
		snprintf(buf, cap, "党员超过%d人（%lld人），应分设党支部或成立党总支 over %d members: "
		    "divide the branch", DOM_BRANCH_MAX_MEMBERS, (long long)b->members,
		    DOM_BRANCH_MAX_MEMBERS);
	n = strlen(buf);
	if (b->too_small)
		snprintf(buf + n, cap - n, "%s正式党员不足%d人（%lld人），应与邻近单位联合建立支部或撤并 "
		    "fewer than %d full members", n ? "; " : "", DOM_BRANCH_MIN_FULL,
		    (long long)b->full, DOM_BRANCH_MIN_FULL);
}

/* The branches table's fill. */
struct branches_fill {
	struct table *t;
	bool text, failed;
};

static void
branch_add(const struct dom_branch_row *b, void *arg)
{
	struct branches_fill *f = arg;
	char nums[4][24], warn[400];
	const char *cells[10];
	const char *committee = b->committee ? (f->text ? "是" : "1") : (f->text ? "否" : "0");

	snprintf(nums[0], sizeof nums[0], "%lld", (long long)b->members);
	snprintf(nums[1], sizeof nums[1], "%lld", (long long)b->full);
	snprintf(nums[2], sizeof nums[2], "%lld", (long long)b->probationary);
	snprintf(nums[3], sizeof nums[3], "%lld", (long long)b->groups);
	dom_branch_warning(b, warn, sizeof warn);
	cells[0] = b->code;
	cells[1] = b->name;
	cells[2] = b->parent_code;
	cells[3] = nums[0];
	cells[4] = nums[1];
	cells[5] = nums[2];
	cells[6] = nums[3];
	cells[7] = committee;
	cells[8] = b->too_big || b->too_small ? (f->text ? "需调整 warn" : "warn") :
	    (f->text ? "正常 ok" : "ok");
	cells[9] = warn;
	if (table_add(f->t, cells) != 0)
		f->failed = true;
}

int
dom_branches_table(struct replica *r, const struct dom_report_scope *s, bool text,
    struct table **out, int *nwarn, struct dom_error *e)
{
	static const char *const ids[] = { "code", "branch", "parent", "members", "full",
		"probationary", "groups", "committee", "result", "warning" };
	static const char *const hdr[] = { "编码", "支部", "上级", "党员", "正式党员", "预备党员",
		"党小组", "设支委会", "结果", "提示 warning" };
	struct branches_fill f = { .text = text };

	*out = NULL;
	if ((f.t = table_new(10, ids, hdr)) == NULL)
		return oom(e);
	for (int c = 3; c <= 6; c++)
		table_set_number(f.t, c);
	if (!text)
		table_set_bool(f.t, 7);
	if (dom_report_branches(r, s, branch_add, &f, nwarn, e) != 0 || (f.failed && oom(e))) {
		table_free(f.t);
		return -1;
	}
	*out = f.t;
	return 0;
}

/* --- inactive ------------------------------------------------------------------ */

int
dom_report_inactive(struct replica *r, const struct dom_report_scope *s, int months,
    void (*each)(const struct dom_inactive_row *m, void *arg), void *arg, int64_t *members,
    char since[11], struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc;

	dom_error_clear(e);
	if (months < 1 || months > 120)
		return fail(e, DOM_INVALID, "月数须在 1 到 120 之间 months must be 1-120");
	/* The window is (as-of - N months, as-of]: 6 months to 2024-06-30 start after 2023-12-30. */
	date_add_months(s->as_of, -months, since);
	if ((st = prepare(r, DOM_SUBTREE_CTE
	    " SELECT count(*) FROM member m WHERE (?1 IS NULL OR m.org_id IN sub) AND "
	    DOM_MEMBER_COUNTED, e)) == NULL)
		return -1;
	bind_org(s, st);
	rc = sqlite3_step(st);
	*members = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return db_fail(r, e);

	if ((st = prepare(r, DOM_SUBTREE_CTE
	    " SELECT code, oname, name, last, CAST(julianday(?2) - julianday(last) AS INTEGER),"
	    "  trim(CASE WHEN mobile = 1 THEN '流动 ' ELSE '' END"
	    "  || CASE WHEN lost = 1 THEN '失联 ' ELSE '' END"
	    "  || CASE WHEN category = 'probationary' THEN '预备 ' ELSE '' END), id"
	    " FROM (SELECT m.id, m.name, m.mobile, m.lost_contact AS lost, m.category,"
	    "  o.code, o.name AS oname,"
	    "  (SELECT max(mt.held_on) FROM attendance a JOIN meeting mt ON mt.id = a.meeting_id"
	    "   WHERE a.member_id = m.id AND a.status IN ('present', 'excused')"
	    "   AND mt.held_on <= ?2) AS last"
	    "  FROM member m LEFT JOIN org o ON o.id = m.org_id"
	    "  WHERE (?1 IS NULL OR m.org_id IN sub) AND " DOM_MEMBER_COUNTED ")"
	    " WHERE last IS NULL OR last <= ?3"
	    " ORDER BY code, last IS NOT NULL, last, name, id", e)) == NULL)
		return -1;
	bind_org(s, st);
	sqlite3_bind_text(st, 2, s->as_of, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, since, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_inactive_row m = {
			.branch_code = dom_col_text(st, 0), .branch_name = dom_col_text(st, 1),
			.name = dom_col_text(st, 2), .last_attended = dom_col_text(st, 3),
			.days_since = sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 :
			    sqlite3_column_int64(st, 4),
			.note = dom_col_text(st, 5), .member_id = dom_col_text(st, 6),
		};
		each(&m, arg);
	}
	return finish(r, st, rc, e);
}

static void
inactive_add(const struct dom_inactive_row *m, void *arg)
{
	struct table_fill *f = arg;
	char days[32];
	const char *cells[7] = { m->branch_code, m->branch_name, m->name, m->last_attended, NULL,
		m->note, m->member_id };

	if (m->last_attended == NULL)
		cells[3] = f->text ? "从未 never" : NULL;
	else {
		snprintf(days, sizeof days, "%lld", (long long)m->days_since);
		cells[4] = days;
	}
	if (table_add(f->t, cells) != 0)
		f->failed = true;
}

struct table *
dom_inactive_table_new(void)
{
	static const char *const ids[] = { "branch_code", "branch", "name", "last_attended",
		"days_since", "note", "member_id" };
	static const char *const hdr[] = { "编码", "支部", "姓名", "最近参加", "间隔天数", "备注",
		"编号" };
	struct table *t = table_new(7, ids, hdr);

	if (t != NULL)
		table_set_number(t, 4);
	return t;
}

int
dom_inactive_fill(struct replica *r, const struct dom_report_scope *s, int months, bool text,
    struct table *t, int64_t *members, char since[11], struct dom_error *e)
{
	struct table_fill f = { .t = t, .text = text };

	if (dom_report_inactive(r, s, months, inactive_add, &f, members, since, e) != 0)
		return -1;
	return f.failed ? fail(e, DOM_FAIL, "内存不足或无法写出 out of memory, or the output "
	    "cannot be written") : 0;
}

int
dom_inactive_table(struct replica *r, const struct dom_report_scope *s, int months,
    bool text, struct table **out, int64_t *members, char since[11], struct dom_error *e)
{
	struct table *t;

	*out = NULL;
	if ((t = dom_inactive_table_new()) == NULL)
		return oom(e);
	if (dom_inactive_fill(r, s, months, text, t, members, since, e) != 0) {
		table_free(t);
		return -1;
	}
	*out = t;
	return 0;
}

/* --- overdue ---------------------------------------------------------------- */

int
dom_report_overdue(struct replica *r, const struct dom_report_scope *s,
    void (*each)(const struct dom_overdue_row *i, void *arg), void *arg, struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc;

	dom_error_clear(e);
	if ((st = prepare(r, DOM_SUBTREE_CTE
	    " SELECT o.code, o.name, i.title, i.due_on, coalesce(i.status, 'open'),"
	    "  CAST(julianday(?2) - julianday(i.due_on) AS INTEGER) AS late, i.claimed_by, i.id"
	    " FROM list_item i LEFT JOIN org o ON o.id = i.org_id"
	    " WHERE" DOM_OVERDUE_WHERE
	    " ORDER BY late DESC, o.code, i.title, i.id", e)) == NULL)
		return -1;
	bind_org(s, st);
	sqlite3_bind_text(st, 2, s->as_of, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_overdue_row i = {
			.org_code = dom_col_text(st, 0), .org_name = dom_col_text(st, 1),
			.title = dom_col_text(st, 2), .due_on = dom_col_text(st, 3), .status = dom_col_text(st, 4),
			.days_overdue = sqlite3_column_int64(st, 5), .claimed_by = dom_col_text(st, 6),
			.id = dom_col_text(st, 7),
		};
		each(&i, arg);
	}
	return finish(r, st, rc, e);
}

static void
overdue_add(const struct dom_overdue_row *i, void *arg)
{
	struct table_fill *f = arg;
	char days[32];
	const char *cells[8] = { i->org_code, i->org_name, i->title, i->due_on, i->status, days,
		i->claimed_by, i->id };

	snprintf(days, sizeof days, "%lld", (long long)i->days_overdue);
	/* People read the last 8 characters (item commands take 6+); machines the id. */
	if (f->text && cells[7] && strlen(cells[7]) > 8)
		cells[7] += strlen(cells[7]) - 8;
	if (table_add(f->t, cells) != 0)
		f->failed = true;
}

int
dom_overdue_table(struct replica *r, const struct dom_report_scope *s, bool text,
    struct table **out, struct dom_error *e)
{
	static const char *const ids[] = { "org_code", "org", "title", "due_on", "status",
		"days_overdue", "claimed_by", "id" };
	static const char *const hdr[] = { "编码", "组织", "问题事项", "期限", "状态", "逾期天数",
		"认领方", "编号" };
	struct table_fill f = { .text = text };

	*out = NULL;
	if ((f.t = table_new(8, ids, hdr)) == NULL)
		return oom(e);
	table_set_number(f.t, 5);
	table_set_vocab(f.t, 4, vocab_get("item_status"));
	if (dom_report_overdue(r, s, overdue_add, &f, e) != 0 || (f.failed && oom(e))) {
		table_free(f.t);
		return -1;
	}
	*out = f.t;
	return 0;
}

/* --- terms ------------------------------------------------------------------- */

int
dom_report_terms(struct replica *r, const struct dom_report_scope *s, int months,
    void (*each)(const struct dom_term_row *t, void *arg), void *arg, char until[11],
    int64_t *unknown, struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc;

	dom_error_clear(e);
	if (months < 0 || months > 120)
		return fail(e, DOM_INVALID, "月数须在 0 到 120 之间 months must be 0-120");
	date_add_months(s->as_of, months, until);
	if ((st = prepare(r, DOM_SUBTREE_CTE
	    " SELECT code, name, kind, term_start, computed, term_end,"
	    "  CAST(julianday(?2) - julianday(term_end) AS INTEGER)"
	    " FROM (" DOM_TERM_SELECT ") WHERE term_end IS NOT NULL AND term_end <= ?3"
	    " ORDER BY term_end, code", e)) == NULL)
		return -1;
	bind_org(s, st);
	sqlite3_bind_text(st, 2, s->as_of, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, until, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t d = sqlite3_column_int64(st, 6);   /* > 0: days past the end */
		struct dom_term_row t = {
			.code = dom_col_text(st, 0), .name = dom_col_text(st, 1), .kind = dom_col_text(st, 2),
			.term_start = dom_col_text(st, 3), .computed = sqlite3_column_int(st, 4) != 0,
			.term_end = dom_col_text(st, 5), .overdue = d > 0, .days = d > 0 ? d : -d,
		};
		each(&t, arg);
	}
	if (finish(r, st, rc, e) != 0)
		return -1;
	if (unknown == NULL)
		return 0;
	if ((st = prepare(r, DOM_SUBTREE_CTE " SELECT count(*) FROM (" DOM_TERM_SELECT
	    ") WHERE term_end IS NULL", e)) == NULL)
		return -1;
	bind_org(s, st);
	rc = sqlite3_step(st);
	*unknown = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : db_fail(r, e);
}

/* The terms table's fill: also counts the overdue rows. */
struct terms_fill {
	struct table_fill f;
	int noverdue;
};

static void
terms_add(const struct dom_term_row *t, void *arg)
{
	struct terms_fill *tf = arg;
	char end[32], days[32];
	const char *cells[7] = { t->code, t->name, t->kind, t->term_start, end, NULL, days };

	snprintf(end, sizeof end, "%s%s", t->term_end ? t->term_end : "",
	    tf->f.text && t->computed ? " (推算)" : "");
	cells[5] = t->overdue ? (tf->f.text ? "已到期 overdue" : "overdue") :
	    (tf->f.text ? "即将到期 expiring" : "expiring");
	/* Days overdue, or days left (0: ends today). */
	snprintf(days, sizeof days, "%lld", (long long)t->days);
	tf->noverdue += t->overdue;
	if (table_add(tf->f.t, cells) != 0)
		tf->f.failed = true;
}

int
dom_terms_table(struct replica *r, const struct dom_report_scope *s, int months, bool text,
    struct table **out, int *noverdue, int64_t *unknown, char until[11], struct dom_error *e)
{
	static const char *const ids[] = { "code", "name", "kind", "term_start", "term_end",
		"status", "days" };
	static const char *const hdr[] = { "编码", "名称", "类别", "届期开始", "届期结束",
		"状态", "逾期/剩余天数" };
	struct terms_fill tf = { .f.text = text };

	*out = NULL;
	if ((tf.f.t = table_new(7, ids, hdr)) == NULL)
		return oom(e);
	table_set_number(tf.f.t, 6);
	table_set_vocab(tf.f.t, 2, vocab_get("org_kind"));
	if (dom_report_terms(r, s, months, terms_add, &tf, until, unknown, e) != 0 ||
	    (tf.f.failed && oom(e))) {
		table_free(tf.f.t);
		return -1;
	}
	if (noverdue)
		*noverdue = tf.noverdue;
	*out = tf.f.t;
	return 0;
}

/* --- roster ------------------------------------------------------------------- */

int
dom_report_roster(struct replica *r, const struct dom_report_scope *s, int limit,
    void (*each)(const struct dom_roster_row *m, void *arg), void *arg, struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc;

	dom_error_clear(e);
	if (limit < 1 || limit > DOM_ROSTER_MAX)
		limit = DOM_ROSTER_MAX;
	if ((st = prepare(r, DOM_SUBTREE_CTE
	    " SELECT m.id, o.code, o.name, m.name, m.gender, m.ethnicity, m.id_number,"
	    "  m.birth_date, m.education, m.category, m.join_date, m.full_date, m.job, m.phone,"
	    "  m.address, coalesce(m.standing, 'normal'), m.lost_contact, m.mobile, m.retired,"
	    "  m.in_service, m.relocated, m.lost_since, m.flow_to"
	    " FROM member m LEFT JOIN org o ON o.id = m.org_id"
	    " WHERE (?1 IS NULL OR m.org_id IN sub)"
	    "  AND " DOM_MEMBER_ACTIVE
	    " ORDER BY o.code, m.name, m.id LIMIT ?2", e)) == NULL)
		return -1;
	bind_org(s, st);
	sqlite3_bind_int(st, 2, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_roster_row m = {
			.id = dom_col_text(st, 0), .org_code = dom_col_text(st, 1), .org_name = dom_col_text(st, 2),
			.name = dom_col_text(st, 3), .gender = dom_col_text(st, 4), .ethnicity = dom_col_text(st, 5),
			.id_number = dom_col_text(st, 6), .birth_date = dom_col_text(st, 7),
			.education = dom_col_text(st, 8), .category = dom_col_text(st, 9),
			.join_date = dom_col_text(st, 10), .full_date = dom_col_text(st, 11),
			.job = dom_col_text(st, 12), .phone = dom_col_text(st, 13), .address = dom_col_text(st, 14),
			.standing = dom_col_text(st, 15),
			.lost_contact = sqlite3_column_int(st, 16) == 1,
			.mobile = sqlite3_column_int(st, 17) == 1,
			.retired = sqlite3_column_int(st, 18) == 1,
			.in_service = sqlite3_column_int(st, 19) == 1,
			.relocated = sqlite3_column_int(st, 20) == 1,
			.lost_since = dom_col_text(st, 21), .flow_to = dom_col_text(st, 22),
		};
		each(&m, arg);
	}
	return finish(r, st, rc, e);
}

/* The roster's columns after the number: member columns of the schema, in the national form's order. */
static const char *const roster_cols[] = { "name", "gender", "ethnicity", "id_number",
	"birth_date", "education", "category", "org_id", "join_date", "full_date", "job", "phone",
	"address", "standing", "lost_contact", "lost_since", "mobile", "flow_to" };
enum { ROSTER_NCOLS = sizeof roster_cols / sizeof roster_cols[0] + 2 };

/* A roster row being added: the sequence number counts rows. */
struct roster_fill {
	struct table_fill f;
	long seq;
};

static void
roster_add(const struct dom_roster_row *m, void *arg)
{
	const struct table_def *td = &schema_tables[TBL_MEMBER];
	struct roster_fill *rf = arg;
	const char *cells[ROSTER_NCOLS];
	char seq[24], note[160] = "";

	snprintf(seq, sizeof seq, "%ld", ++rf->seq);
	cells[0] = seq;
	cells[1] = m->name;
	cells[2] = m->gender;
	cells[3] = m->ethnicity;
	cells[4] = m->id_number;
	cells[5] = m->birth_date;
	cells[6] = m->education;
	cells[7] = m->category;
	cells[8] = m->org_name;
	cells[9] = m->join_date;
	cells[10] = m->full_date;
	cells[11] = m->job;
	cells[12] = m->phone;
	cells[13] = m->address;
	cells[14] = m->standing;
	cells[15] = m->lost_contact ? "1" : "0";
	cells[16] = m->lost_since;
	cells[17] = m->mobile ? "1" : "0";
	cells[18] = m->flow_to;
	/* 备注: the flags of the record that the form has no column for, by their labels. */
	if (m->retired)
		snprintf(note + strlen(note), sizeof note - strlen(note), "%s",
		    td->cols[schema_col_index(td, "retired")].label);
	if (m->in_service)
		snprintf(note + strlen(note), sizeof note - strlen(note), "%s%s", note[0] ? " " : "",
		    td->cols[schema_col_index(td, "in_service")].label);
	if (m->relocated)
		snprintf(note + strlen(note), sizeof note - strlen(note), "%s%s", note[0] ? " " : "",
		    td->cols[schema_col_index(td, "relocated")].label);
	cells[19] = note;
	if (table_add(rf->f.t, cells) != 0)
		rf->f.failed = true;
}

struct table *
dom_roster_table_new(void)
{
	const struct table_def *td = &schema_tables[TBL_MEMBER];
	static const char *ids[ROSTER_NCOLS], *hdr[ROSTER_NCOLS];
	struct table *t;

	/* Ids and headers from the schema (static strings; the same on every call). */
	ids[0] = "seq";
	hdr[0] = "序号";
	for (size_t i = 0; i < ROSTER_NCOLS - 2; i++) {
		const struct col_def *cd = &td->cols[schema_col_index(td, roster_cols[i])];
		ids[1 + i] = strcmp(cd->name, "org_id") == 0 ? "branch" : cd->name;
		hdr[1 + i] = cd->label;
	}
	ids[ROSTER_NCOLS - 1] = "note";
	hdr[ROSTER_NCOLS - 1] = "备注";
	if ((t = table_new(ROSTER_NCOLS, ids, hdr)) == NULL)
		return NULL;
	for (size_t i = 0; i < ROSTER_NCOLS - 2; i++) {
		const struct col_def *cd = &td->cols[schema_col_index(td, roster_cols[i])];
		if (cd->type != COL_REF)
			table_set_col(t, (int)i + 1, cd);
	}
	table_set_number(t, 0);
	return t;
}

int
dom_roster_fill(struct replica *r, const struct dom_report_scope *s, struct table *t,
    struct dom_error *e)
{
	struct roster_fill rf = { .f.t = t, .f.text = false };

	if (dom_report_roster(r, s, DOM_ROSTER_MAX, roster_add, &rf, e) != 0)
		return -1;
	return rf.f.failed ? fail(e, DOM_FAIL, "内存不足或无法写出 out of memory, or the output "
	    "cannot be written") : 0;
}

int
dom_roster_table(struct replica *r, const struct dom_report_scope *s, struct table **out,
    struct dom_error *e)
{
	struct table *t;

	*out = NULL;
	if ((t = dom_roster_table_new()) == NULL)
		return oom(e);
	if (dom_roster_fill(r, s, t, e) != 0) {
		table_free(t);
		return -1;
	}
	*out = t;
	return 0;
}

/* --- reconcile ------------------------------------------------------------------ */

/* A check: a title and a query returning (organisation, record, detail). */
struct check {
	const char *title;
	const char *sql;   /* ?1 = today (YYYY-MM-DD) */
};

static const struct check checks[] = {
	{ "党员所在支部已撤销 Members in a dissolved organisation",
	  "SELECT o.name, m.name, '所在组织 ' || o.code || ' 已撤销' FROM member m"
	  " JOIN org o ON o.id = m.org_id WHERE coalesce(o.dissolved, 0) = 1"
	  " AND " DOM_MEMBER_ACTIVE },
	{ "党员不在党支部 Members not attached to a branch or group",
	  "SELECT coalesce(o.name, '?'), m.name,"
	  " '组织类别 ' || coalesce(vocab_label('org_kind', o.kind), '缺失 missing')"
	  " FROM member m LEFT JOIN org o ON o.id = m.org_id"
	  " WHERE (o.id IS NULL OR o.kind NOT IN ('branch', 'group', 'general_branch'))"
	  " AND " DOM_MEMBER_ACTIVE },
	{ "预备期已满未转正 Probationary members past their year",
	  "SELECT o.name, m.name, '入党日期 ' || m.join_date FROM member m"
	  " LEFT JOIN org o ON o.id = m.org_id WHERE m.category = 'probationary'"
	  " AND coalesce(m.probation_until, date(m.join_date, '+1 year')) < ?1"
	  " AND " DOM_MEMBER_ACTIVE },
	{ "失联超过6个月 Lost contact for 6 months or more",
	  "SELECT o.name, m.name, '失联日期 ' || m.lost_since FROM member m"
	  " LEFT JOIN org o ON o.id = m.org_id WHERE m.lost_contact = 1"
	  " AND m.lost_since <= date(?1, '-6 months') AND " DOM_MEMBER_ACTIVE },
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

/*
 * Records entered before the rules existed, or imported: every member
 * against the row rules (validate_row), as the server would check them.
 */
static int
check_members(struct replica *r, const char *today,
    void (*each)(const struct dom_finding *f, void *arg), void *arg, int64_t *n,
    struct dom_error *e)
{
	const struct table_def *md = &schema_tables[TBL_MEMBER];
	sqlite3_stmt *st;
	int rc;

	if ((st = prepare(r, "SELECT m.id, coalesce(o.name, '') FROM member m"
	    " LEFT JOIN org o ON o.id = m.org_id", e)) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		Tongxin__Value v[DOM_MAX_COLS];
		char why[256], id[ID_TEXT_LEN + 1], org[256];
		memset(v, 0, sizeof v);
		snprintf(id, sizeof id, "%s", dom_col_text(st, 0) ? dom_col_text(st, 0) : "");
		snprintf(org, sizeof org, "%s", dom_col_text(st, 1) ? dom_col_text(st, 1) : "");
		if (rep_get(r, TBL_MEMBER, id, v, NULL) == 1 &&
		    validate_row(TBL_MEMBER, v, today, why, sizeof why) != 0) {
			struct dom_finding f = { "党员信息不一致 Member record fails a rule", org,
				v[schema_col_index(md, "name")].s, why };
			each(&f, arg);
			(*n)++;
		}
		for (int c = 0; c < md->ncols; c++)
			value_clear(&v[c]);
	}
	return finish(r, st, rc, e);
}

/* The branch size findings: over 50 counted members, fewer than 3 full ones. */
struct size_finding {
	void (*each)(const struct dom_finding *f, void *arg);
	void *arg;
	int64_t *n;
};

static void
size_finding(const struct dom_branch_row *b, void *arg)
{
	struct size_finding *sf = arg;
	char warn[400], record[128];

	if (!b->too_big && !b->too_small)
		return;
	dom_branch_warning(b, warn, sizeof warn);
	snprintf(record, sizeof record, "%s", b->code ? b->code : "");
	{
		struct dom_finding f = { "支部规模需调整 Branch size (over 50 members or under 3 full)",
			b->name, record, warn };
		sf->each(&f, sf->arg);
	}
	(*sf->n)++;
}

static int
check_branch_sizes(struct replica *r, void (*each)(const struct dom_finding *f, void *arg),
    void *arg, int64_t *n, struct dom_error *e)
{
	struct dom_report_scope whole;
	struct size_finding sf = { each, arg, n };

	memset(&whole, 0, sizeof whole);
	return dom_report_branches(r, &whole, size_finding, &sf, NULL, e);
}

int
dom_reconcile(struct replica *r, const char *today,
    void (*each)(const struct dom_finding *f, void *arg), void *arg, int64_t *n,
    struct dom_error *e)
{
	int64_t count = 0;

	dom_error_clear(e);
	/* The checks' texts name kinds by their labels (vocab_label in SQL). */
	if (vocab_sql_register(replica_db(r)) != SQLITE_OK)
		return db_fail(r, e);
	for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
		sqlite3_stmt *st;
		int rc;
		if ((st = prepare(r, checks[i].sql, e)) == NULL)
			return -1;
		if (sqlite3_bind_parameter_count(st) >= 1)
			sqlite3_bind_text(st, 1, today, -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			struct dom_finding f = { checks[i].title, dom_col_text(st, 0), dom_col_text(st, 1),
				dom_col_text(st, 2) };
			each(&f, arg);
			count++;
		}
		if (finish(r, st, rc, e) != 0)
			return -1;
	}
	if (check_members(r, today, each, arg, &count, e) != 0 ||
	    check_branch_sizes(r, each, arg, &count, e) != 0)
		return -1;
	if (n)
		*n = count;
	return 0;
}

static void
finding_add(const struct dom_finding *fi, void *arg)
{
	struct table_fill *f = arg;
	const char *cells[4] = { fi->check, fi->organisation, fi->record, fi->detail };

	if (table_add(f->t, cells) != 0)
		f->failed = true;
}

int
dom_reconcile_table(struct replica *r, const char *today, struct table **out, int64_t *n,
    struct dom_error *e)
{
	static const char *const ids[] = { "check", "organisation", "record", "detail" };
	static const char *const hdr[] = { "检查项", "组织", "记录", "说明" };
	struct table_fill f = { .text = false };

	*out = NULL;
	if ((f.t = table_new(4, ids, hdr)) == NULL)
		return oom(e);
	if (dom_reconcile(r, today, finding_add, &f, n, e) != 0 || (f.failed && oom(e))) {
		table_free(f.t);
		return -1;
	}
	*out = f.t;
	return 0;
}
