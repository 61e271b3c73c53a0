/*
 * web_api_report.c - the desk's API for 报表 reports and 核对:
 *
 *   GET /api/report/profile|compliance|inactive|overdue|terms|roster|branches|cobuild
 *       the report as typed JSON;
 *   GET /api/report/NAME.csv
 *       the same rows as `tongxin report NAME --csv` prints them (the one
 *       CSV writer, table.c: UTF-8 BOM, citizen IDs kept as text, formula
 *       cells neutralised), as an attachment with a Chinese file name;
 *   GET /api/report/roster-export.csv?org=CODE[&all=1]
 *       every member's record as `tongxin member export` writes it, the
 *       file `member import` takes back unchanged (dom_roster.h);
 *   GET /api/reconcile, /api/reconcile.csv
 *       the street's cross-office checks (tongxin reconcile), for
 *       administrator replicas only (403 otherwise).
 *
 * Options are the CLI's, as query parameters: org (an organisation code),
 * as_of (YYYY-MM-DD); compliance year, month, quarter, lecture_months;
 * inactive months; terms within_months; cobuild year. A bad option is 422 naming it.
 * Handlers translate HTTP to the domain layer (dom_report.h); no SQL here.
 */
#include "web_api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "dom_cobuild.h"
#include "dom_feedback.h"
#include "dom_report.h"
#include "dom_roster.h"
#include "table.h"
#include "validate.h"
#include "vocab.h"

/* The reports the desk serves, as named in the path and the CLI. */
enum report_kind { R_PROFILE, R_COMPLIANCE, R_INACTIVE, R_OVERDUE, R_TERMS, R_ROSTER, R_RECONCILE,
	R_BRANCHES, R_ROSTER_EXPORT, R_COBUILD };

/* A report's names: in the path, and the file name's Chinese title. */
static const struct {
	const char *name, *title;
} report_names[] = {
	[R_PROFILE] = { "profile", "党员队伍结构" },
	[R_COMPLIANCE] = { "compliance", "三会一课落实情况" },
	[R_INACTIVE] = { "inactive", "不活跃党员" },
	[R_OVERDUE] = { "overdue", "逾期未销号问题清单" },
	[R_TERMS] = { "terms", "换届提醒" },
	[R_ROSTER] = { "roster", "党员花名册" },
	[R_RECONCILE] = { "reconcile", "街道核对" },
	[R_BRANCHES] = { "branches", "支部规模" },
	[R_ROSTER_EXPORT] = { "roster-export", "党员信息（可导入）" },
	[R_COBUILD] = { "cobuild", "共建共治工作" },
};

/* A request's options, resolved. */
struct report_args {
	struct dom_report_scope scope;
	struct dom_compliance_period period;   /* compliance */
	int months;                            /* inactive, terms */
	char year[8];                          /* cobuild: YYYY */
};

/*
 * Query parameter name as a whole number in [lo, hi] into *out, or keep
 * *out when absent or empty. -1 having answered 422 when it is not one.
 */
static int
arg_int(struct call *c, const char *name, long lo, long hi, int *out)
{
	const char *s = web_arg(c, name);
	char *end, msg[160];
	long v;

	if (s == NULL || s[0] == '\0')
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		snprintf(msg, sizeof msg, "%s 须为 %ld 到 %ld 之间的整数 must be a whole number "
		    "from %ld to %ld", name, lo, hi, lo, hi);
		web_reply_error(c->req, 422, "invalid", msg, name);
		return -1;
	}
	*out = (int)v;
	return 0;
}

/* Resolve the options of report k from the query string; -1 having answered. */
static int
report_args(struct call *c, enum report_kind k, struct report_args *a)
{
	struct dom_compliance_query q = { 0 };
	struct dom_error e;

	memset(a, 0, sizeof *a);
	if (dom_report_scope(c->w->r, web_arg(c, "org"), web_arg(c, "as_of"), &a->scope, &e) != 0) {
		if (e.kind == DOM_FAIL)
			web_reply_dom_error(c, &e, -1);
		else
			web_reply_error(c->req, 422, "invalid", e.msg,
			    e.kind == DOM_NOT_FOUND ? "org" : "as_of");
		return -1;
	}
	switch (k) {
	case R_COMPLIANCE:
		q.lecture_months = 3;
		if (arg_int(c, "year", 1900, 9999, &q.year) || arg_int(c, "month", 1, 12, &q.month) ||
		    arg_int(c, "quarter", 1, 4, &q.quarter) ||
		    arg_int(c, "lecture_months", 1, 12, &q.lecture_months))
			return -1;
		if (dom_compliance_period(&q, a->scope.as_of, &a->period, &e) != 0) {
			web_reply_error(c->req, 422, "invalid", e.msg, NULL);
			return -1;
		}
		return 0;
	case R_COBUILD: {
		int y;
		/* The year of the report's date unless one is given. */
		y = atoi(a->scope.as_of);
		if (arg_int(c, "year", 2000, 2100, &y))
			return -1;
		snprintf(a->year, sizeof a->year, "%04d", y);
		return 0;
	}
	case R_INACTIVE:
		a->months = 6;
		return arg_int(c, "months", 1, 120, &a->months);
	case R_TERMS:
		a->months = 6;
		return arg_int(c, "within_months", 0, 120, &a->months);
	default:
		return 0;
	}
}

/* "scope": where and as of when, as the page titles it. */
static void
put_scope(struct jw *j, const struct dom_report_scope *s)
{
	char text[300];

	dom_report_scope_text(s, text, sizeof text);
	jw_key(j, "scope");
	jw_obj(j);
	jw_kstr(j, "org_code", s->org_code[0] ? s->org_code : NULL);
	jw_kstr(j, "org_name", s->org_name[0] ? s->org_name : NULL);
	jw_kstr(j, "as_of", s->as_of);
	jw_kstr(j, "text", text);
	jw_end_obj(j);
}

/* A share as both a number of tenths of a percent and its text ("61.1%"). */
static void
put_share(struct jw *j, int64_t n, int64_t total)
{
	char text[32];

	dom_share_text(n, total, text, sizeof text);
	jw_key(j, "share_tenths");
	if (total > 0)
		jw_int(j, dom_share_tenths(n, total));
	else
		jw_null(j);
	jw_kstr(j, "share", text);
}

/* Answer a failed report: the domain's error. */
static void
reply_failed(struct call *c, struct evbuffer *b, const struct dom_error *e)
{
	evbuffer_free(b);
	web_reply_dom_error(c, e, -1);
}

/* --- the JSON answers ------------------------------------------------------ */

static void
json_profile(struct call *c, const struct report_args *a)
{
	int64_t n[DOM_PROFILE_N];
	struct dom_error e;
	struct evbuffer *b;
	struct jw j;

	if (dom_report_profile(c->w->r, &a->scope, n, &e) != 0) {
		web_reply_dom_error(c, &e, -1);
		return;
	}
	if ((b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	put_scope(&j, &a->scope);
	jw_key(&j, "items");
	jw_arr(&j);
	for (int i = 0; i < DOM_PROFILE_N; i++) {
		jw_obj(&j);
		jw_kstr(&j, "id", dom_profile_items[i].id);
		jw_kstr(&j, "label", dom_profile_items[i].label);
		jw_kint(&j, "count", n[i]);
		put_share(&j, n[i], n[0]);
		jw_end_obj(&j);
	}
	jw_end_arr(&j);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

static void
put_branch(const struct dom_compliance_row *br, void *arg)
{
	const struct col_def *kind = web_col(TBL_MEETING, "kind");
	struct jw *j = arg;

	jw_obj(j);
	jw_kstr(j, "id", br->id);
	jw_kstr(j, "code", br->code);
	jw_kstr(j, "name", br->name);
	jw_kbool(j, "short", br->short_);
	/* ok, short, not_due (尚未到期), none (无要求), no_members (无党员): said, not implied. */
	jw_kstr(j, "state", dom_life_state_code(br->state));
	jw_kstr(j, "state_label", dom_life_state_label(br->state));
	jw_kint(j, "members", br->members);
	jw_kint(j, "full", br->full);
	jw_kstr(j, "missing", br->missing);
	jw_kstr(j, "pending", br->pending);
	jw_key(j, "kinds");
	jw_arr(j);
	for (int k = 0; k < DOM_LIFE_N; k++) {
		jw_obj(j);
		web_jw_coded(j, "kind", kind, dom_life_kinds[k]);
		jw_kint(j, "required", br->kind[k].required);
		jw_kint(j, "covered", br->kind[k].covered);
		jw_kint(j, "pending", br->kind[k].pending);
		jw_key(j, "cycles");
		jw_arr(j);
		for (int y = 0; y < br->kind[k].ncycles; y++) {
			jw_obj(j);
			jw_kstr(j, "label", br->kind[k].cycle[y].label);
			jw_kint(j, "held", br->kind[k].cycle[y].held);
			jw_end_obj(j);
		}
		jw_end_arr(j);
		jw_end_obj(j);
	}
	jw_end_arr(j);
	jw_end_obj(j);
}

static void
json_compliance(struct call *c, const struct report_args *a)
{
	const struct col_def *kind = web_col(TBL_MEETING, "kind");
	const struct dom_compliance_period *p = &a->period;
	int nbranches = 0, nshort = 0;
	struct dom_error e;
	struct evbuffer *b;
	struct jw j;

	if ((b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	put_scope(&j, &a->scope);
	jw_key(&j, "period");
	jw_obj(&j);
	jw_kstr(&j, "label", p->label);
	jw_kstr(&j, "start", p->start);
	jw_kstr(&j, "end", p->end);
	jw_kint(&j, "year", p->year);
	jw_kint(&j, "month", p->month);
	jw_kint(&j, "quarter", p->quarter);
	jw_kint(&j, "lecture_months", p->lecture_months);
	{
		char pending[1400];
		/* false: nothing of the period has come due yet (本季度尚未到期). */
		jw_kbool(&j, "any_due", dom_compliance_any_due(p, a->scope.as_of));
		dom_compliance_pending(p, a->scope.as_of, pending, sizeof pending);
		jw_kstr(&j, "pending", pending);
	}
	jw_end_obj(&j);
	jw_key(&j, "kinds");
	jw_arr(&j);
	for (int k = 0; k < DOM_LIFE_N; k++) {
		jw_obj(&j);
		jw_kstr(&j, "code", dom_life_kinds[k]);
		jw_kstr(&j, "label", vocab_col_label(kind, dom_life_kinds[k]));
		jw_end_obj(&j);
	}
	jw_end_arr(&j);
	jw_key(&j, "branches");
	jw_arr(&j);
	if (dom_report_compliance(c->w->r, &a->scope, p, put_branch, &j, &nbranches, &nshort,
	    &e) != 0) {
		reply_failed(c, b, &e);
		return;
	}
	jw_end_arr(&j);
	jw_kint(&j, "nbranches", nbranches);
	jw_kint(&j, "nshort", nshort);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

/* Rows of a list being written, and how many. */
struct list_out {
	struct jw *j;
	int64_t n;
};

static void
put_inactive(const struct dom_inactive_row *m, void *arg)
{
	struct list_out *o = arg;
	struct jw *j = o->j;

	o->n++;
	jw_obj(j);
	jw_kstr(j, "member_id", m->member_id);
	jw_kstr(j, "name", m->name);
	jw_kstr(j, "branch_code", m->branch_code);
	jw_kstr(j, "branch_name", m->branch_name);
	jw_kstr(j, "last_attended", m->last_attended);
	jw_key(j, "days_since");
	if (m->days_since < 0)
		jw_null(j);
	else
		jw_int(j, m->days_since);
	jw_kstr(j, "note", m->note);
	jw_end_obj(j);
}

static void
json_inactive(struct call *c, const struct report_args *a)
{
	struct dom_error e;
	struct evbuffer *b;
	struct jw j;
	struct list_out o = { .j = &j };
	int64_t members = 0;
	char since[11];

	if ((b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	put_scope(&j, &a->scope);
	jw_kint(&j, "months", a->months);
	jw_key(&j, "rows");
	jw_arr(&j);
	if (dom_report_inactive(c->w->r, &a->scope, a->months, put_inactive, &o, &members, since,
	    &e) != 0) {
		reply_failed(c, b, &e);
		return;
	}
	jw_end_arr(&j);
	jw_kstr(&j, "since", since);
	jw_kint(&j, "members", members);
	jw_kint(&j, "count", o.n);
	put_share(&j, o.n, members);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

static void
put_overdue(const struct dom_overdue_row *i, void *arg)
{
	struct list_out *o = arg;
	struct jw *j = o->j;

	o->n++;
	jw_obj(j);
	jw_kstr(j, "id", i->id);
	jw_kstr(j, "org_code", i->org_code);
	jw_kstr(j, "org_name", i->org_name);
	jw_kstr(j, "title", i->title);
	jw_kstr(j, "due_on", i->due_on);
	web_jw_coded(j, "status", web_col(TBL_LIST_ITEM, "status"), i->status);
	jw_kstr(j, "claimed_by", i->claimed_by);
	jw_kint(j, "days_overdue", i->days_overdue);
	jw_end_obj(j);
}

static void
json_overdue(struct call *c, const struct report_args *a)
{
	struct dom_error e;
	struct evbuffer *b;
	struct jw j;
	struct list_out o = { .j = &j };

	if ((b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	put_scope(&j, &a->scope);
	jw_key(&j, "rows");
	jw_arr(&j);
	if (dom_report_overdue(c->w->r, &a->scope, put_overdue, &o, &e) != 0) {
		reply_failed(c, b, &e);
		return;
	}
	jw_end_arr(&j);
	jw_kint(&j, "count", o.n);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

static void
put_term(const struct dom_term_row *t, void *arg)
{
	struct list_out *o = arg;
	struct jw *j = o->j;

	o->n++;
	jw_obj(j);
	jw_kstr(j, "code", t->code);
	jw_kstr(j, "name", t->name);
	web_jw_coded(j, "kind", web_col(TBL_ORG, "kind"), t->kind);
	jw_kstr(j, "term_start", t->term_start);
	jw_kstr(j, "term_end", t->term_end);
	jw_kbool(j, "computed", t->computed);
	jw_kbool(j, "overdue", t->overdue);
	jw_kint(j, "days", t->days);
	jw_end_obj(j);
}

static void
json_terms(struct call *c, const struct report_args *a)
{
	struct dom_error e;
	struct evbuffer *b;
	struct jw j;
	struct list_out o = { .j = &j };
	int64_t unknown = 0;
	char until[11];

	if ((b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	put_scope(&j, &a->scope);
	jw_kint(&j, "within_months", a->months);
	jw_key(&j, "rows");
	jw_arr(&j);
	if (dom_report_terms(c->w->r, &a->scope, a->months, put_term, &o, until, &unknown,
	    &e) != 0) {
		reply_failed(c, b, &e);
		return;
	}
	jw_end_arr(&j);
	jw_kstr(&j, "until", until);
	jw_kint(&j, "unknown", unknown);
	jw_kint(&j, "count", o.n);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

static void
put_roster(const struct dom_roster_row *m, void *arg)
{
	struct list_out *o = arg;
	struct jw *j = o->j;

	o->n++;
	jw_obj(j);
	jw_kstr(j, "id", m->id);
	jw_kstr(j, "org_code", m->org_code);
	jw_kstr(j, "org_name", m->org_name);
	jw_kstr(j, "name", m->name);
	web_jw_coded(j, "gender", web_col(TBL_MEMBER, "gender"), m->gender);
	web_jw_coded(j, "ethnicity", web_col(TBL_MEMBER, "ethnicity"), m->ethnicity);
	jw_kstr(j, "id_number", m->id_number);
	jw_kstr(j, "birth_date", m->birth_date);
	web_jw_coded(j, "education", web_col(TBL_MEMBER, "education"), m->education);
	web_jw_coded(j, "category", web_col(TBL_MEMBER, "category"), m->category);
	jw_kstr(j, "join_date", m->join_date);
	jw_kstr(j, "full_date", m->full_date);
	jw_kstr(j, "job", m->job);
	jw_kstr(j, "phone", m->phone);
	jw_kstr(j, "address", m->address);
	web_jw_coded(j, "standing", web_col(TBL_MEMBER, "standing"), m->standing);
	jw_kbool(j, "lost_contact", m->lost_contact);
	jw_kstr(j, "lost_since", m->lost_since);
	jw_kbool(j, "mobile", m->mobile);
	jw_kstr(j, "flow_to", m->flow_to);
	jw_kbool(j, "retired", m->retired);
	jw_kbool(j, "in_service", m->in_service);
	jw_kbool(j, "relocated", m->relocated);
	jw_end_obj(j);
}

static void
json_roster(struct call *c, const struct report_args *a)
{
	struct dom_error e;
	struct evbuffer *b;
	struct jw j;
	struct list_out o = { .j = &j };

	if ((b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	put_scope(&j, &a->scope);
	jw_key(&j, "rows");
	jw_arr(&j);
	if (dom_report_roster(c->w->r, &a->scope, DOM_ROSTER_MAX, put_roster, &o, &e) != 0) {
		reply_failed(c, b, &e);
		return;
	}
	jw_end_arr(&j);
	jw_kint(&j, "count", o.n);
	jw_kint(&j, "max", DOM_ROSTER_MAX);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

/* --- CSV downloads ------------------------------------------------------------ */

/* Append s to buf (cap) percent-encoded as RFC 5987 wants (attr-char kept). */
static void
pct_append(char *buf, size_t cap, const char *s)
{
	static const char keep[] = "!#$&+-.^_`|~";
	size_t len = strlen(buf);

	for (const unsigned char *p = (const unsigned char *)s; *p && len + 4 < cap; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    (*p < 0x80 && strchr(keep, *p) != NULL))
			buf[len++] = (char)*p;
		else
			len += (size_t)snprintf(buf + len, cap - len, "%%%02X", *p);
	}
	buf[len] = '\0';
}

/* Append s to buf (cap) with only letters, digits, - and _ (others become _). */
static void
ascii_append(char *buf, size_t cap, const char *s)
{
	size_t len = strlen(buf);

	for (const unsigned char *p = (const unsigned char *)s; *p && len + 1 < cap; p++)
		buf[len++] = (char)(((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-') ? *p : '_');
	buf[len] = '\0';
}

/*
 * The Content-Disposition of report k's download: an ASCII file name for
 * old clients and the Chinese one as filename* (RFC 6266 / RFC 5987), e.g.
 * 党员队伍结构_第一社区_2024-06-30.csv.
 */
static void
disposition(enum report_kind k, const struct dom_report_scope *s, char *out, size_t cap)
{
	char ascii[160] = "", zh[900] = "", name[600];

	ascii_append(ascii, sizeof ascii, "tongxin-");
	ascii_append(ascii, sizeof ascii, report_names[k].name);
	if (s->org_code[0]) {
		ascii_append(ascii, sizeof ascii, "-");
		ascii_append(ascii, sizeof ascii, s->org_code);
	}
	ascii_append(ascii, sizeof ascii, "-");
	ascii_append(ascii, sizeof ascii, s->as_of);
	snprintf(name, sizeof name, "%s_%.200s_%s.csv", report_names[k].title,
	    s->org_name[0] ? s->org_name : "全部", s->as_of);
	pct_append(zh, sizeof zh, name);
	snprintf(out, cap, "attachment; filename=\"%s.csv\"; filename*=UTF-8''%s", ascii, zh);
}

/* The headers of a streamed CSV download (the roster export): type, a Chinese file name, not cached. */
static void
csv_headers(struct call *c, enum report_kind k, const struct dom_report_scope *s)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);
	char disp[1200];

	disposition(k, s, disp, sizeof disp);
	evhttp_add_header(h, "Content-Type", "text/csv; charset=utf-8");
	evhttp_add_header(h, "Content-Disposition", disp);
	evhttp_add_header(h, "Cache-Control", "no-store");
}

/* Send table t (taken) as a CSV attachment through the one CSV writer, with the report's file name. */
static void
reply_csv(struct call *c, enum report_kind k, const struct dom_report_scope *s, struct table *t)
{
	char disp[1200];

	disposition(k, s, disp, sizeof disp);
	web_reply_csv(c, t, disp);
}

/*
 * Send the roster export as a CSV attachment without holding it: the
 * domain layer writes it into an unlinked private temporary file as it
 * reads the members (dom_roster_export_write, the CLI's own path), and
 * libevent sends the file as the socket drains. A street's roster costs
 * the desk a few megabytes of memory instead of the whole table and its
 * CSV text.
 */
static void
reply_roster_export(struct call *c, const struct report_args *a, bool all)
{
	struct evbuffer_file_segment *seg;
	struct evbuffer *b = NULL;
	struct dom_error e;
	FILE *f;
	off_t size;
	int fd = -1;

	if ((f = tmpfile()) == NULL) {
		web_reply_error(c->req, 500, "internal", "无法创建临时文件 cannot create a temporary file",
		    NULL);
		return;
	}
	if (dom_roster_export_write(c->w->r, a->scope.org_id, all, f, NULL, &e) != 0) {
		fclose(f);
		web_reply_dom_error(c, &e, -1);
		return;
	}
	if (fflush(f) != 0 || (size = ftello(f)) < 0 || (fd = dup(fileno(f))) < 0) {
		fclose(f);
		web_reply_error(c->req, 500, "internal", "无法写出 the export cannot be written", NULL);
		return;
	}
	fclose(f);
	/* The segment owns fd from here: freeing the last reference closes it. */
	if ((seg = evbuffer_file_segment_new(fd, 0, size, EVBUF_FS_CLOSE_ON_FREE)) == NULL) {
		close(fd);
		web_reply_error(c->req, 500, "internal", "内存不足 out of memory", NULL);
		return;
	}
	if ((b = evbuffer_new()) == NULL || evbuffer_add_file_segment(b, seg, 0, size) != 0) {
		evbuffer_file_segment_free(seg);
		evbuffer_free(b);
		web_reply_error(c->req, 500, "internal", "内存不足 out of memory", NULL);
		return;
	}
	evbuffer_file_segment_free(seg);
	csv_headers(c, R_ROSTER_EXPORT, &a->scope);
	evhttp_send_reply(c->req, 200, "OK", b);
	evbuffer_free(b);
}

/* Report k's rows as the CLI's --csv table. */
static void
csv_report(struct call *c, enum report_kind k, const struct report_args *a)
{
	struct table *t = NULL, *shorts = NULL;
	struct dom_error e;
	int64_t n;
	char edge[11];
	int rc = -1;

	switch (k) {
	case R_PROFILE:
		rc = dom_profile_table(c->w->r, &a->scope, false, &t, &e);
		break;
	case R_COMPLIANCE:
		rc = dom_compliance_table(c->w->r, &a->scope, &a->period, false, &t, &shorts, NULL,
		    NULL, &e);
		break;
	case R_INACTIVE:
		rc = dom_inactive_table(c->w->r, &a->scope, a->months, false, &t, &n, edge, &e);
		break;
	case R_OVERDUE:
		rc = dom_overdue_table(c->w->r, &a->scope, false, &t, &e);
		break;
	case R_TERMS:
		rc = dom_terms_table(c->w->r, &a->scope, a->months, false, &t, NULL, NULL, edge, &e);
		break;
	case R_ROSTER:
		rc = dom_roster_table(c->w->r, &a->scope, &t, &e);
		break;
	case R_RECONCILE:
		rc = dom_reconcile_table(c->w->r, a->scope.as_of, &t, &n, &e);
		break;
	case R_BRANCHES:
		rc = dom_branches_table(c->w->r, &a->scope, false, &t, NULL, &e);
		break;
	case R_COBUILD:
		rc = dom_cobuild_table(c->w->r, &a->scope, a->year, false, &t, &e);
		break;
	case R_ROSTER_EXPORT: {
		/* The file "member import" takes back: tongxin member export's, byte for byte. */
		const char *all = web_arg(c, "all");
		reply_roster_export(c, a, all != NULL && strcmp(all, "1") == 0);
		return;
	}
	}
	table_free(shorts);
	if (rc != 0) {
		web_reply_dom_error(c, &e, -1);
		return;
	}
	reply_csv(c, k, &a->scope, t);
}

/* 支部规模: each branch's size and its warnings (dom_report_branches). */
static void
put_branch_size(const struct dom_branch_row *b, void *arg)
{
	struct list_out *o = arg;
	char warn[400];

	dom_branch_warning(b, warn, sizeof warn);
	jw_obj(o->j);
	jw_kstr(o->j, "code", b->code);
	jw_kstr(o->j, "name", b->name);
	jw_kstr(o->j, "parent_code", b->parent_code);
	jw_kint(o->j, "members", b->members);
	jw_kint(o->j, "full", b->full);
	jw_kint(o->j, "probationary", b->probationary);
	jw_kint(o->j, "groups", b->groups);
	jw_kbool(o->j, "committee", b->committee);
	jw_kbool(o->j, "warn", b->too_big || b->too_small);
	jw_kstr(o->j, "warning", warn);
	jw_end_obj(o->j);
	o->n++;
}

static void
json_branches(struct call *c, const struct report_args *a)
{
	struct dom_error e;
	struct evbuffer *b;
	struct jw j;
	struct list_out o = { .j = &j };
	int nwarn = 0;

	if ((b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	put_scope(&j, &a->scope);
	jw_kint(&j, "max_members", DOM_BRANCH_MAX_MEMBERS);
	jw_kint(&j, "min_full", DOM_BRANCH_MIN_FULL);
	jw_kint(&j, "committee_min_full", DOM_COMMITTEE_MIN_FULL);
	jw_key(&j, "rows");
	jw_arr(&j);
	if (dom_report_branches(c->w->r, &a->scope, put_branch_size, &o, &nwarn, &e) != 0) {
		reply_failed(c, b, &e);
		return;
	}
	jw_end_arr(&j);
	jw_kint(&j, "count", o.n);
	jw_kint(&j, "nwarn", nwarn);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

/* 共建共治: per community, the year's figures (dom_report_cobuild). */
static void
put_cobuild(const struct dom_cobuild_row *r, void *arg)
{
	struct list_out *o = arg;

	jw_obj(o->j);
	jw_kstr(o->j, "code", r->code);
	jw_kstr(o->j, "name", r->name);
	jw_kint(o->j, "units", r->units);
	jw_kint(o->j, "agreements", r->agreements);
	jw_kint(o->j, "part_time_members", r->part_timers);
	jw_kint(o->j, "claims", r->claims);
	jw_kint(o->j, "claims_done", r->claims_done);
	jw_kint(o->j, "items_closed", r->items_closed);
	jw_kint(o->j, "wishes", r->wishes);
	jw_kint(o->j, "wishes_fulfilled", r->wishes_done);
	jw_kint(o->j, "wish_value_fen", r->wish_value);
	jw_kint(o->j, "opinions", r->opinions);
	jw_kint(o->j, "replied_on_time", r->on_time);
	jw_kint(o->j, "overdue", r->overdue);
	jw_kint(o->j, "volunteer_minutes", r->volunteer_minutes);
	jw_key(o->j, "fund_budget_fen");
	if (r->has_budget)
		jw_int(o->j, r->budget);
	else
		jw_null(o->j);
	jw_kint(o->j, "fund_spent_fen", r->spent);
	jw_kint(o->j, "assessment_points10", r->assess_total10);
	jw_kint(o->j, "assessment_scored", r->assess_scored);
	jw_kint(o->j, "assessment_indicators", r->assess_indicators);
	jw_kstr(o->j, "assessment_grade", dom_cobuild_grade(r));
	jw_end_obj(o->j);
	o->n++;
}

static void
json_cobuild(struct call *c, const struct report_args *a)
{
	struct dom_error e;
	struct evbuffer *b;
	struct jw j;
	struct list_out o = { .j = &j };

	if ((b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	put_scope(&j, &a->scope);
	jw_kstr(&j, "year", a->year);
	jw_kint(&j, "reply_days", FEEDBACK_REPLY_DAYS);
	jw_key(&j, "rows");
	jw_arr(&j);
	if (dom_report_cobuild(c->w->r, &a->scope, a->year, put_cobuild, &o, &e) != 0) {
		reply_failed(c, b, &e);
		return;
	}
	jw_end_arr(&j);
	jw_kint(&j, "count", o.n);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

/* --- routes ---------------------------------------------------------------------- */

/* Report k: its options, then JSON or CSV. */
static void
serve(struct call *c, enum report_kind k, bool csv)
{
	struct report_args a;

	if (report_args(c, k, &a) != 0)
		return;
	if (csv) {
		csv_report(c, k, &a);
		return;
	}
	switch (k) {
	case R_PROFILE: json_profile(c, &a); break;
	case R_COMPLIANCE: json_compliance(c, &a); break;
	case R_INACTIVE: json_inactive(c, &a); break;
	case R_OVERDUE: json_overdue(c, &a); break;
	case R_TERMS: json_terms(c, &a); break;
	case R_ROSTER: json_roster(c, &a); break;
	case R_BRANCHES: json_branches(c, &a); break;
	case R_COBUILD: json_cobuild(c, &a); break;
	default: break;
	}
}

/* Whether this replica is a street administrator's; else answer 403. */
static bool
is_admin(struct call *c)
{
	if (strcmp(replica_info(c->w->r)->role, "admin") == 0)
		return true;
	web_reply_error(c->req, 403, "admin_only", "核对只在街道管理员的副本上进行 "
	    "reconciliation runs on the street administrator's replica", NULL);
	return false;
}

static void
put_finding(const struct dom_finding *f, void *arg)
{
	struct jw *j = arg;

	jw_obj(j);
	jw_kstr(j, "check", f->check);
	jw_kstr(j, "organisation", f->organisation);
	jw_kstr(j, "record", f->record);
	jw_kstr(j, "detail", f->detail);
	jw_end_obj(j);
}

static void
api_reconcile(struct call *c)
{
	struct dom_error e;
	struct evbuffer *b;
	struct jw j;
	int64_t n = 0;
	char today[11];

	if (!is_admin(c) || (b = web_new_body(c, &j)) == NULL)
		return;
	today_str(today);
	jw_obj(&j);
	jw_kstr(&j, "today", today);
	jw_key(&j, "findings");
	jw_arr(&j);
	if (dom_reconcile(c->w->r, today, put_finding, &j, &n, &e) != 0) {
		reply_failed(c, b, &e);
		return;
	}
	jw_end_arr(&j);
	jw_kint(&j, "count", n);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

static void
api_reconcile_csv(struct call *c)
{
	struct report_args a;

	if (!is_admin(c))
		return;
	memset(&a, 0, sizeof a);
	today_str(a.scope.as_of);
	csv_report(c, R_RECONCILE, &a);
}

static void api_profile(struct call *c) { serve(c, R_PROFILE, false); }
static void api_profile_csv(struct call *c) { serve(c, R_PROFILE, true); }
static void api_compliance(struct call *c) { serve(c, R_COMPLIANCE, false); }
static void api_compliance_csv(struct call *c) { serve(c, R_COMPLIANCE, true); }
static void api_inactive(struct call *c) { serve(c, R_INACTIVE, false); }
static void api_inactive_csv(struct call *c) { serve(c, R_INACTIVE, true); }
static void api_overdue(struct call *c) { serve(c, R_OVERDUE, false); }
static void api_overdue_csv(struct call *c) { serve(c, R_OVERDUE, true); }
static void api_terms(struct call *c) { serve(c, R_TERMS, false); }
static void api_terms_csv(struct call *c) { serve(c, R_TERMS, true); }
static void api_roster(struct call *c) { serve(c, R_ROSTER, false); }
static void api_roster_csv(struct call *c) { serve(c, R_ROSTER, true); }
static void api_branches(struct call *c) { serve(c, R_BRANCHES, false); }
static void api_branches_csv(struct call *c) { serve(c, R_BRANCHES, true); }
static void api_cobuild(struct call *c) { serve(c, R_COBUILD, false); }
static void api_cobuild_csv(struct call *c) { serve(c, R_COBUILD, true); }
static void api_roster_export_csv(struct call *c) { serve(c, R_ROSTER_EXPORT, true); }

const struct web_route web_routes_report[] = {
	{ EVHTTP_REQ_GET, "/api/report/profile", api_profile },
	{ EVHTTP_REQ_GET, "/api/report/profile.csv", api_profile_csv },
	{ EVHTTP_REQ_GET, "/api/report/compliance", api_compliance },
	{ EVHTTP_REQ_GET, "/api/report/compliance.csv", api_compliance_csv },
	{ EVHTTP_REQ_GET, "/api/report/inactive", api_inactive },
	{ EVHTTP_REQ_GET, "/api/report/inactive.csv", api_inactive_csv },
	{ EVHTTP_REQ_GET, "/api/report/overdue", api_overdue },
	{ EVHTTP_REQ_GET, "/api/report/overdue.csv", api_overdue_csv },
	{ EVHTTP_REQ_GET, "/api/report/terms", api_terms },
	{ EVHTTP_REQ_GET, "/api/report/terms.csv", api_terms_csv },
	{ EVHTTP_REQ_GET, "/api/report/roster", api_roster },
	{ EVHTTP_REQ_GET, "/api/report/roster.csv", api_roster_csv },
	{ EVHTTP_REQ_GET, "/api/report/branches", api_branches },
	{ EVHTTP_REQ_GET, "/api/report/branches.csv", api_branches_csv },
	{ EVHTTP_REQ_GET, "/api/report/cobuild", api_cobuild },
	{ EVHTTP_REQ_GET, "/api/report/cobuild.csv", api_cobuild_csv },
	{ EVHTTP_REQ_GET, "/api/report/roster-export.csv", api_roster_export_csv },
	{ EVHTTP_REQ_GET, "/api/reconcile", api_reconcile },
	{ EVHTTP_REQ_GET, "/api/reconcile.csv", api_reconcile_csv },
	{ 0, NULL, NULL },
};
