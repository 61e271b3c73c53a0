/* dom_cobuild.c - the street's co-building report on the replica; see dom_cobuild.h. */
#include "dom_cobuild.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dom_dues.h"
#include "dom_feedback.h"
#include "dom_service.h"
#include "points.h"
#include "table.h"
#include "validate.h"

/*
 * One query: the communities under the scope (?1 its root, "" the whole
 * replica), each with its subtree (sub), and per community the year's
 * figures. ?2 and ?3 the year's first and last day, ?4 the reply days, ?5
 * the day "overdue" is counted on.
 */
static const char cobuild_sql[] =
	"WITH RECURSIVE"
	" within(id) AS (SELECT id FROM org WHERE ?1 = '' OR id = ?1"
	"   UNION ALL SELECT o.id FROM org o JOIN within w ON o.parent_id = w.id),"
	" comm(id, code, name, up1, up2) AS (SELECT o.id, o.code, o.name, o.parent_id, p.parent_id"
	"   FROM org o LEFT JOIN org p ON p.id = o.parent_id WHERE o.kind = 'community'"
	"   AND coalesce(o.dissolved, 0) = 0 AND (?1 = '' OR o.id IN (SELECT id FROM within))),"
	" sub(root, id) AS (SELECT id, id FROM comm"
	"   UNION ALL SELECT s.root, o.id FROM org o JOIN sub s ON o.parent_id = s.id)"
	" SELECT c.id, c.code, c.name,"
	"  (SELECT count(*) FROM resident_unit u WHERE u.org_id = c.id"
	"    AND (u.joined_on IS NULL OR u.joined_on <= ?3) AND (u.left_on IS NULL OR u.left_on >= ?2)),"
	"  (SELECT count(*) FROM agreement a WHERE a.org_id = c.id AND a.signed_on <= ?3"
	"    AND (a.ended_on IS NULL OR a.ended_on >= ?2) AND (a.ends_on IS NULL OR a.ends_on >= ?2)),"
	"  (SELECT count(*) FROM committee_member m WHERE m.org_id = c.id AND m.unit_id IS NOT NULL"
	"    AND m.started_on <= ?3 AND (m.ended_on IS NULL OR m.ended_on >= ?2)),"
	"  (SELECT count(*) FROM claim k JOIN list_item i ON i.id = k.item_id"
	"    WHERE i.org_id IN (SELECT id FROM sub WHERE root = c.id) AND k.claimed_on BETWEEN ?2 AND ?3),"
	"  (SELECT count(*) FROM claim k JOIN list_item i ON i.id = k.item_id"
	"    WHERE i.org_id IN (SELECT id FROM sub WHERE root = c.id) AND k.state = 'done'"
	"    AND k.done_on BETWEEN ?2 AND ?3),"
	"  (SELECT count(*) FROM list_item i WHERE i.org_id IN (SELECT id FROM sub WHERE root = c.id)"
	"    AND i.status = 'closed' AND i.closed_on BETWEEN ?2 AND ?3),"
	"  (SELECT count(*) FROM micro_wish w WHERE w.org_id IN (SELECT id FROM sub WHERE root = c.id)"
	"    AND w.posted_on BETWEEN ?2 AND ?3),"
	"  (SELECT count(*) FROM micro_wish w WHERE w.org_id IN (SELECT id FROM sub WHERE root = c.id)"
	"    AND w.status = 'fulfilled' AND w.fulfilled_on BETWEEN ?2 AND ?3),"
	"  (SELECT coalesce(sum(w.value), 0) FROM micro_wish w"
	"    WHERE w.org_id IN (SELECT id FROM sub WHERE root = c.id)"
	"    AND w.status = 'fulfilled' AND w.fulfilled_on BETWEEN ?2 AND ?3),"
	"  (SELECT count(*) FROM feedback f WHERE f.org_id IN (SELECT id FROM sub WHERE root = c.id)"
	"    AND f.received_on BETWEEN ?2 AND ?3),"
	"  (SELECT count(*) FROM feedback f WHERE f.org_id IN (SELECT id FROM sub WHERE root = c.id)"
	"    AND f.received_on BETWEEN ?2 AND ?3 AND f.replied_on IS NOT NULL"
	"    AND f.replied_on <= date(f.received_on, '+' || ?4 || ' days')),"
	"  (SELECT count(*) FROM feedback f WHERE f.org_id IN (SELECT id FROM sub WHERE root = c.id)"
	"    AND f.received_on BETWEEN ?2 AND ?3 AND date(f.received_on, '+' || ?4 || ' days') < ?5"
	"    AND (f.replied_on IS NULL OR f.replied_on > date(f.received_on, '+' || ?4 || ' days'))),"
	"  (SELECT coalesce(sum(h.minutes), 0) FROM volunteer_hours h"
	"    JOIN volunteer_activity v ON v.id = h.activity_id JOIN volunteer_team t ON t.id = v.team_id"
	"    WHERE t.org_id IN (SELECT id FROM sub WHERE root = c.id) AND v.held_on BETWEEN ?2 AND ?3),"
	"  (SELECT b.amount FROM fund_budget b WHERE b.org_id = c.id AND b.year = CAST(substr(?2, 1, 4)"
	"    AS INTEGER) LIMIT 1),"
	"  (SELECT coalesce(sum(x.amount), 0) FROM fund_spending x WHERE x.org_id = c.id"
	"    AND x.spent_on BETWEEN ?2 AND ?3),"
	/* The year's assessment by its street's (or district's) indicators for communities. */
	"  (SELECT coalesce(sum(s.points10), 0) FROM assessment_score s"
	"    JOIN assessment_indicator i ON i.id = s.indicator_id WHERE s.org_id = c.id"
	"    AND i.year = CAST(substr(?2, 1, 4) AS INTEGER) AND i.target = 'community'"
	"    AND i.org_id IN (c.up1, c.up2)),"
	"  (SELECT count(*) FROM assessment_score s"
	"    JOIN assessment_indicator i ON i.id = s.indicator_id WHERE s.org_id = c.id"
	"    AND i.year = CAST(substr(?2, 1, 4) AS INTEGER) AND i.target = 'community'"
	"    AND i.org_id IN (c.up1, c.up2)),"
	"  (SELECT count(*) FROM assessment_indicator i"
	"    WHERE i.year = CAST(substr(?2, 1, 4) AS INTEGER) AND i.target = 'community'"
	"    AND i.org_id IN (c.up1, c.up2))"
	" FROM comm c ORDER BY c.code";

int
dom_report_cobuild(struct replica *r, const struct dom_report_scope *s, const char *year,
    void (*each)(const struct dom_cobuild_row *row, void *arg), void *arg, struct dom_error *e)
{
	struct dom_snapshot snap;
	sqlite3_stmt *st;
	char first[11], last[11], upto[11];
	int rc;

	dom_error_clear(e);
	if (year == NULL || strlen(year) != 4 || strspn(year, "0123456789") != 4 ||
	    strcmp(year, "2000") < 0 || strcmp(year, "2100") > 0)
		return dom_err(e, DOM_INVALID, -1, "年份“%s”无效 (YYYY, 2000-2100)",
		    year ? year : "");
	snprintf(first, sizeof first, "%s-01-01", year);
	snprintf(last, sizeof last, "%s-12-31", year);
	/* Overdue as of the report's date, but not past the year's end. */
	snprintf(upto, sizeof upto, "%s", strcmp(s->as_of, last) < 0 ? s->as_of : last);
	if (dom_read_begin(r, &snap, e) != 0)
		return -1;
	if (sqlite3_prepare_v2(replica_db(r), cobuild_sql, -1, &st, NULL) != SQLITE_OK) {
		dom_db_err(r, e);
		dom_read_end(r, &snap);
		return -1;
	}
	sqlite3_bind_text(st, 1, s->org_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, first, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, last, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, FEEDBACK_REPLY_DAYS);
	sqlite3_bind_text(st, 5, upto, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_cobuild_row c = {
			.org_id = (const char *)sqlite3_column_text(st, 0),
			.code = (const char *)sqlite3_column_text(st, 1),
			.name = (const char *)sqlite3_column_text(st, 2),
			.units = sqlite3_column_int64(st, 3),
			.agreements = sqlite3_column_int64(st, 4),
			.part_timers = sqlite3_column_int64(st, 5),
			.claims = sqlite3_column_int64(st, 6),
			.claims_done = sqlite3_column_int64(st, 7),
			.items_closed = sqlite3_column_int64(st, 8),
			.wishes = sqlite3_column_int64(st, 9),
			.wishes_done = sqlite3_column_int64(st, 10),
			.wish_value = sqlite3_column_int64(st, 11),
			.opinions = sqlite3_column_int64(st, 12),
			.on_time = sqlite3_column_int64(st, 13),
			.overdue = sqlite3_column_int64(st, 14),
			.volunteer_minutes = sqlite3_column_int64(st, 15),
			.has_budget = sqlite3_column_type(st, 16) != SQLITE_NULL,
			.budget = sqlite3_column_int64(st, 16),
			.spent = sqlite3_column_int64(st, 17),
			.assess_total10 = sqlite3_column_int64(st, 18),
			.assess_scored = sqlite3_column_int64(st, 19),
			.assess_indicators = sqlite3_column_int64(st, 20),
		};
		each(&c, arg);
	}
	sqlite3_finalize(st);
	dom_read_end(r, &snap);
	return rc == SQLITE_DONE ? 0 : dom_db_err(r, e);
}

enum { COB_NCOLS = 20 };

struct cob_fill {
	struct table *t;
	bool text;
	int n;
	struct dom_cobuild_row sum;
};

static void
cob_cells(struct cob_fill *f, const struct dom_cobuild_row *c, const char *code, const char *name)
{
	char num[13][24], value[32], hours[24], budget[32], spent[32], share[16], points[24];
	const char *cells[COB_NCOLS];
	const int64_t v[] = { c->units, c->agreements, c->part_timers, c->claims, c->claims_done,
		c->items_closed, c->wishes, c->wishes_done, c->opinions, c->on_time, c->overdue };
	int k = 0;

	cells[k++] = code;
	cells[k++] = name;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		snprintf(num[i], sizeof num[i], "%lld", (long long)v[i]);
		cells[k++] = num[i];
		if (i == 7)   /* after the wishes fulfilled: their value */
			cells[k++] = dom_yuan_text(c->wish_value, value);
	}
	dom_share_text(c->on_time, c->opinions, share, sizeof share);
	cells[k++] = share;
	dom_service_hours_show(c->volunteer_minutes, hours);
	cells[k++] = hours;
	cells[k++] = c->has_budget ? dom_yuan_text(c->budget, budget) : (f->text ? "-" : NULL);
	cells[k++] = dom_yuan_text(c->spent, spent);
	if (c->assess_scored > 0)
		snprintf(points, sizeof points, "%lld.%lld", (long long)(c->assess_total10 / 10),
		    (long long)(c->assess_total10 % 10));
	cells[k++] = c->assess_scored > 0 ? points : (f->text ? "-" : NULL);
	cells[k++] = c->assess_indicators > 0 || f->text ? dom_cobuild_grade(c) : NULL;
	table_add(f->t, cells);
}

const char *
dom_cobuild_grade(const struct dom_cobuild_row *c)
{
	if (c->assess_indicators == 0)
		return "-";
	if (c->assess_scored < c->assess_indicators)
		return "未评完";
	return assess_grade_label(assess_grade_of(c->assess_total10));
}

static void
cob_row(const struct dom_cobuild_row *c, void *arg)
{
	struct cob_fill *f = arg;
	struct dom_cobuild_row *s = &f->sum;

	cob_cells(f, c, c->code, c->name);
	f->n++;
	s->units += c->units;
	s->agreements += c->agreements;
	s->part_timers += c->part_timers;
	s->claims += c->claims;
	s->claims_done += c->claims_done;
	s->items_closed += c->items_closed;
	s->wishes += c->wishes;
	s->wishes_done += c->wishes_done;
	s->wish_value += c->wish_value;
	s->opinions += c->opinions;
	s->on_time += c->on_time;
	s->overdue += c->overdue;
	s->volunteer_minutes += c->volunteer_minutes;
	s->budget += c->budget;
	s->spent += c->spent;
	s->has_budget |= c->has_budget;
}

int
dom_cobuild_table(struct replica *r, const struct dom_report_scope *s, const char *year,
    bool text, struct table **out, struct dom_error *e)
{
	static const char *const ids[COB_NCOLS] = { "code", "name", "units", "agreements",
		"part_time_members", "claims", "claims_done", "items_closed", "wishes",
		"wishes_fulfilled", "wish_value_yuan", "opinions", "replied_on_time",
		"overdue", "on_time_share", "volunteer_hours", "fund_budget_yuan",
		"fund_spent_yuan", "assessment_points", "assessment_grade" };
	static const char *const hdr[COB_NCOLS] = { "编码", "社区", "驻区单位", "共建协议",
		"兼职委员", "认领", "认领完成", "清单销号", "微心愿", "已实现", "实现价值（元）",
		"民情收集", "按时回音", "逾期未回音", "按时回音率", "志愿服务（小时）", "经费预算（元）",
		"经费支出（元）", "考核得分", "考核等级" };
	struct cob_fill f = { 0 };

	*out = NULL;
	if ((f.t = table_new(COB_NCOLS, ids, hdr)) == NULL)
		return dom_err(e, DOM_FAIL, -1, "out of memory");
	for (int i = 2; i < COB_NCOLS - 1; i++)
		if (i != 14)   /* the share is text ("87.5%", "-"), as is the grade */
			table_set_number(f.t, i);
	f.text = text;
	if (dom_report_cobuild(r, s, year, cob_row, &f, e) != 0) {
		table_free(f.t);
		return -1;
	}
	if (text && f.n > 1) {
		/* A total of grades means nothing: the line leaves them out. */
		f.sum.assess_scored = f.sum.assess_indicators = 0;
		cob_cells(&f, &f.sum, "", "合计 total");
	}
	*out = f.t;
	return 0;
}
