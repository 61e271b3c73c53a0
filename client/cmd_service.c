/*
 * cmd_service.c - tongxin service: 在职党员到社区报到 (双报到): the limited
 * records of in-service members who report to a community, the services
 * they do, and the report back to their units (反馈原单位).
 *
 * The rules and the writes are the domain layer's (dom_service.h), which
 * the desk calls too; this file parses and prints. A report is named by its
 * handle (the id's last 6+ characters, the 编号 service list shows, or the
 * name one open report has); a member by any member handle.
 *
 * At the member's own office, service report MEMBER --community CODE is
 * member report with a date and the unit; service list/back show its
 * members' reports and the hours the community recorded. At the community,
 * service list shows who reported to it, service record enters a service,
 * service add registers a person from outside the street.
 *
 * Exit statuses (cli_guide.md): 2 a usage error, 7 invalid input or an
 * ambiguous handle (nothing changed), 9 no such report, member or
 * organisation, 1 the replica failed.
 */
#include "cli.h"
#include "cmd.h"
#include "dom_handle.h"
#include "dom_service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "validate.h"

/* The organisation of code: 0 with id set, or 9 having said why. */
static int
org_resolve(struct replica *r, const char *code, char id[ID_TEXT_LEN + 1], const char *verbname)
{
	if (org_id_by_code(replica_db(r), code, id) == 0)
		return 0;
	fprintf(stderr, "tongxin %s: 未知组织 unknown organisation code \"%s\" (本副本中没有该组织；"
	    "报到社区须在本副本中 the community must be in this replica)\n", verbname, text_show(code));
	return EXIT_NOT_FOUND;
}

/* An organisation as lists show it: its name, or, held by the other office only, a hint. */
static const char *
org_label(const char *name, const char *id, char buf[64])
{
	if (name)
		return name;
	if (id == NULL)
		return "";
	snprintf(buf, 64, "其他组织 %s", dom_short(id));
	return buf;
}

/* Which side of the report this office is on. */
static const char *
side_label(const struct dom_service_row *s)
{
	if (s->outside)
		return "街道外 outside";
	if (s->to_here && s->from_here)
		return "本街道 both";
	return s->to_here ? "报到本社区 to us" : "本组织党员 ours";
}

/* --- service report (member report with its options) --------------------- */

static int
svc_report(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "service report";
	struct dom_report_req q = { 0 };
	char mid[ID_TEXT_LEN + 1], org[ID_TEXT_LEN + 1], id[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (dom_member_handle(r, a->argv[0], mid, &e) != 0)
		return cmd_refused(&e, verbname);
	q.member_id = mid;
	/* A community this replica does not hold is named by its code; the server resolves it. */
	if (org_id_by_code(replica_db(r), cmd_get(a, "community"), org) == 0)
		q.community_id = org;
	else
		q.community_code = cmd_get(a, "community");
	q.date = cmd_get(a, "date");
	q.unit = cmd_get(a, "unit");
	q.phone = cmd_get(a, "phone");
	q.note = cmd_get(a, "note");
	if (dom_member_report(r, cli->operator_name, &q, false, id, &e) != 0)
		return cmd_refused(&e, verbname);
	if (!cli->quiet)
		printf("已报到 Reported to %s (report %s).\n"
		    "The community sees the report (name, unit, phone) after both offices have synced.\n",
		    text_show(cmd_get(a, "community")), dom_short(id));
	return EXIT_OK;
}

/* --- service add ----------------------------------------------------------- */

static int
svc_add(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "service add";
	struct dom_report_req q = { 0 };
	char org[ID_TEXT_LEN + 1], id[ID_TEXT_LEN + 1];
	struct dom_error e;
	int rc;

	if (cmd_has(a, "community")) {
		if ((rc = org_resolve(r, cmd_get(a, "community"), org, verbname)) != 0)
			return rc;
		q.community_id = org;
	}
	q.name = cmd_get(a, "name");
	q.date = cmd_get(a, "reported-on");
	q.unit = cmd_get(a, "unit");
	q.phone = cmd_get(a, "phone");
	q.note = cmd_get(a, "note");
	if (dom_service_add(r, cli->operator_name, &q, id, &e) != 0)
		return cmd_refused(&e, verbname);
	if (!cli->quiet)
		printf("已登记报到 Registered %s (report %s).\n", text_show(q.name), dom_short(id));
	return EXIT_OK;
}

/* --- service record / end ----------------------------------------------------- */

static int
svc_record(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "service record";
	char rid[ID_TEXT_LEN + 1], id[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (dom_service_handle(r, a->argv[0], rid, &e) != 0)
		return cmd_refused(&e, verbname);
	if (dom_service_record(r, cli->operator_name, rid, cmd_get(a, "date"),
	    cmd_get(a, "activity"), cmd_get(a, "hours"), cmd_get(a, "note"), id, &e) != 0)
		return cmd_refused(&e, verbname);
	if (!cli->quiet)
		printf("已登记服务 Recorded the service (%s) for report %s.\n", dom_short(id),
		    dom_short(rid));
	return EXIT_OK;
}

static int
svc_end(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "service end";
	char rid[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (dom_service_handle(r, a->argv[0], rid, &e) != 0)
		return cmd_refused(&e, verbname);
	if (dom_service_end(r, cli->operator_name, rid, cmd_get(a, "date"), &e) != 0)
		return cmd_refused(&e, verbname);
	if (!cli->quiet)
		printf("已结束报到 Ended report %s.\n", dom_short(rid));
	return EXIT_OK;
}

/* --- service list / back --------------------------------------------------------- */

/* What the list callbacks write to. */
struct svc_list {
	struct cli *cli;
	struct table *t;
	int handle;     /* whether the table has the handle column (--json) */
	bool back;      /* the report back's columns */
};

static void
list_row(const struct dom_service_row *s, void *arg)
{
	struct svc_list *l = arg;
	const char *cells[14], **c = cells;
	char nbuf[24], hours[24], ob[64], hb[64];

	snprintf(nbuf, sizeof nbuf, "%lld", (long long)s->services);
	dom_service_hours_show(s->minutes, hours);
	*c++ = l->cli->fmt == TABLE_TEXT ? dom_short(s->id) : s->id;
	if (l->handle)
		*c++ = dom_short(s->id);
	*c++ = s->name;
	*c++ = s->unit;
	if (!l->back) {
		*c++ = s->phone;
		*c++ = side_label(s);
	}
	*c++ = s->outside ? "（街道外）" : org_label(s->home_name, s->home_org_id, hb);
	*c++ = org_label(s->org_name, s->org_id, ob);
	*c++ = s->reported_on;
	*c++ = s->ended_on;
	*c++ = nbuf;
	*c++ = hours;
	if (l->back)
		*c++ = s->activities;
	table_add(l->t, cells);
}

/* A table of the list's or the back report's columns (with the handle in JSON). */
static struct table *
list_table(struct svc_list *l)
{
	static const char *const ids[] = { "id", "handle", "name", "unit", "phone", "side",
		"home_org", "community", "reported_on", "ended_on", "services", "hours",
		"activities" };
	static const char *const hdr[] = { "编号", "简号", "姓名", "工作单位", "联系电话", "类别",
		"所在组织", "报到社区", "报到日期", "结束日期", "服务次数", "服务时长（小时）",
		"服务内容" };
	/* table_new keeps the arrays: they outlive this call (the CLI makes one table at a time). */
	static const char *i2[2][13], *h2[2][13];
	const char **ii = i2[l->back], **hh = h2[l->back];
	int n = 0;
	struct table *t;

	for (int k = 0; k < 13; k++) {
		if ((k == 1 && !l->handle) || ((k == 4 || k == 5) && l->back) ||
		    (k == 12 && !l->back))
			continue;
		ii[n] = ids[k];
		hh[n++] = hdr[k];
	}
	if ((t = table_new(n, ii, hh)) != NULL) {
		table_set_number(t, n - (l->back ? 3 : 2));
		table_set_number(t, n - (l->back ? 2 : 1));
	}
	return t;
}

static int
svc_list(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	struct svc_list l = { cli, NULL, cli->fmt == TABLE_JSON, false };
	struct dom_service_query q = { .all = cmd_has(a, "all"), .year = cmd_get(a, "year") };
	struct dom_error e;

	if ((l.t = list_table(&l)) == NULL)
		return EXIT_FAIL;
	if (dom_service_list(r, &q, list_row, &l, &e) != 0) {
		table_free(l.t);
		return cmd_refused(&e, "service list");
	}
	if (cli->fmt == TABLE_TEXT && table_rows(l.t) == 0) {
		table_free(l.t);
		printf("没有%s报到登记 No %sreports.\n", q.all ? "" : "进行中的", q.all ? "" : "open ");
		return EXIT_OK;
	}
	table_print(l.t, stdout, cli->fmt);
	return EXIT_OK;
}

static int
svc_back(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	struct svc_list l = { cli, NULL, cli->fmt == TABLE_JSON, true };
	struct dom_service_query q = { .year = cmd_get(a, "year"), .activities = true };
	char year[11];
	struct dom_error e;

	if (q.year == NULL) {
		today_str(year);
		year[4] = '\0';
		q.year = year;
	}
	if ((l.t = list_table(&l)) == NULL)
		return EXIT_FAIL;
	if (dom_service_list(r, &q, list_row, &l, &e) != 0) {
		table_free(l.t);
		return cmd_refused(&e, "service back");
	}
	if (cli->fmt == TABLE_TEXT) {
		printf("%s 年在职党员到社区报到服务情况（反馈原单位）Services of %s, for the members' units\n",
		    q.year, q.year);
		if (table_rows(l.t) == 0) {
			table_free(l.t);
			printf("没有报到登记 No reports.\n");
			return EXIT_OK;
		}
	}
	table_print(l.t, stdout, cli->fmt);
	return EXIT_OK;
}

/* --- service show ------------------------------------------------------------------ */

struct svc_show {
	struct cli *cli;
	struct table *t;
};

static void
show_rec(const struct dom_service_rec *s, void *arg)
{
	struct svc_show *w = arg;
	char hours[24];
	const char *cells[5];

	dom_service_hours_show(s->minutes, hours);
	cells[0] = w->cli->fmt == TABLE_TEXT ? dom_short(s->id) : s->id;
	cells[1] = s->served_on;
	cells[2] = s->activity;
	cells[3] = hours;
	cells[4] = s->note;
	table_add(w->t, cells);
}

static int
svc_show(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char *const rids[] = { "id", "date", "activity", "hours", "note" };
	static const char *const rhdr[] = { "编号", "服务日期", "服务内容", "时长（小时）", "备注" };
	struct svc_list l = { cli, NULL, cli->fmt == TABLE_JSON, false };
	struct svc_show w = { cli, NULL };
	char rid[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (dom_service_handle(r, a->argv[0], rid, &e) != 0)
		return cmd_refused(&e, "service show");
	if ((l.t = list_table(&l)) == NULL || (w.t = table_new(5, rids, rhdr)) == NULL) {
		table_free(l.t);
		return EXIT_FAIL;
	}
	table_set_number(w.t, 3);
	if (dom_service_get(r, rid, list_row, &l, &e) != 0 ||
	    dom_service_records(r, rid, show_rec, &w, &e) != 0) {
		table_free(l.t);
		table_free(w.t);
		return cmd_refused(&e, "service show");
	}
	if (cli->fmt == TABLE_JSON) {
		table_print_object(l.t, stdout, 0);
		printf(", \"records\": ");
		table_print(w.t, stdout, TABLE_JSON);
		printf("}\n");
		return EXIT_OK;
	}
	table_print(l.t, stdout, cli->fmt);
	if (cli->fmt == TABLE_TEXT)
		printf("\n服务记录 Services:\n");
	if (cli->fmt == TABLE_TEXT && table_rows(w.t) == 0) {
		table_free(w.t);
		printf("（尚无 none yet）\n");
		return EXIT_OK;
	}
	table_print(w.t, stdout, cli->fmt);
	return EXIT_OK;
}

/* Each sub-verb's exec: the replica opened around it. */
static int exec_report(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, svc_report); }
static int exec_add(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, svc_add); }
static int exec_record(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, svc_record); }
static int exec_end(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, svc_end); }
static int exec_list(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, svc_list); }
static int exec_back(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, svc_back); }
static int exec_show(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, svc_show); }

static const struct cmd_opt report_opts[] = {
	{ "community", "CODE", CMD_OPT_REQUIRED, "报到社区的代码 the community's code" },
	{ "date", "DATE", 0, "报到日期 YYYY-MM-DD (default today)" },
	{ "unit", "TEXT", 0, "工作单位 the member's unit (default his 工作岗位)" },
	{ "phone", "TEXT", 0, "联系电话 (default the member's phone)" },
	{ "note", "TEXT", 0, "备注" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt add_opts[] = {
	{ "name", "NAME", CMD_OPT_REQUIRED, "姓名" },
	{ "reported-on", "DATE", CMD_OPT_REQUIRED, "报到日期 YYYY-MM-DD" },
	{ "unit", "TEXT", 0, "工作单位" },
	{ "phone", "TEXT", 0, "联系电话" },
	{ "note", "TEXT", 0, "备注" },
	{ "community", "CODE", 0, "报到社区 (default this office's own community)" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt record_opts[] = {
	{ "date", "DATE", CMD_OPT_REQUIRED, "服务日期 YYYY-MM-DD" },
	{ "activity", "TEXT", CMD_OPT_REQUIRED, "服务内容 what he did" },
	{ "hours", "H", CMD_OPT_REQUIRED, "服务时长（小时）hours, e.g. 2 or 1.5" },
	{ "note", "TEXT", 0, "备注" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt end_opts[] = {
	{ "date", "DATE", 0, "结束日期 YYYY-MM-DD (default today)" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt list_opts[] = {
	{ "all", NULL, 0, "包括已结束的 also the ended reports" },
	{ "year", "YYYY", 0, "只计该年的服务 count that year's services only" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt back_opts[] = {
	{ "year", "YYYY", 0, "年度 the year (default this year)" },
	{ NULL, NULL, 0, NULL },
};

#define SERVICE_TAIL                                                                        \
	"REPORT: 报到登记编号末尾至少6位或姓名 the report's id or its last 6+ characters\n"    \
	"(the 编号 of service list), or the name one open report has.\n"                   \
	"退出状态 Exit status: 0 成功 ok, 2 命令行有误 usage error, 7 取值无效或编号不唯一\n"  \
	"invalid value or ambiguous handle (nothing changed), 9 无此记录 no such report,\n"   \
	"member or organisation.\n"

static const struct cmd_entry cmd_entries_service[] = {
	{ "service", "list", NULL, 0, 0, list_opts, 0, 0,
	  "列出报到登记 The reports in this replica: at the community, who reported to it;\n"
	  "at the member's office, its members' reports; with the services and hours\n"
	  "recorded. Open reports only unless --all.\n" SERVICE_TAIL, exec_list },
	{ "service", "show", "REPORT", 1, 1, NULL, 0, 0,
	  "查看报到登记 One report and every service recorded on it.\n" SERVICE_TAIL, exec_show },
	{ "service", "report", "MEMBER", 1, 1, report_opts, 0, 0,
	  "党员到社区报到 member report with its date and unit: the member's in_service and\n"
	  "report_org_id, and the community's limited record (name, unit, phone; never the\n"
	  "citizen ID) in one local transaction. The community must be a 社区党委 in this\n"
	  "replica. MEMBER: any member handle.\n" SERVICE_TAIL, exec_report },
	{ "service", "add", NULL, 0, 0, add_opts, 0, 0,
	  "登记街道外党员报到 A Party member from outside the street reports to this\n"
	  "community: the community keeps the same limited record.\n" SERVICE_TAIL, exec_add },
	{ "service", "record", "REPORT", 1, 1, record_opts, 0, 0,
	  "登记服务 A service the reported member did (by the community).\n" SERVICE_TAIL,
	  exec_record },
	{ "service", "end", "REPORT", 1, 1, end_opts, 0, 0,
	  "结束报到 The report ends (the member moved or left the unit).\n" SERVICE_TAIL,
	  exec_end },
	{ "service", "back", NULL, 0, 0, back_opts, 0, 0,
	  "反馈原单位 Per member and unit, the services and hours of the year, for the\n"
	  "report back to the members' units (reports open during the year).\n" SERVICE_TAIL,
	  exec_back },
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

/* tongxin service SUB ...: the sub-verb's row of cmd_entries_service, run by cmd_run. */
int
verb_service(struct cli *cli, int argc, char **argv)
{
	return cmd_run(cmd_entries_service, cli, argc, argv);
}
