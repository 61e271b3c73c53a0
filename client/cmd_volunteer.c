/*
 * cmd_volunteer.c - tongxin volunteer: 志愿服务 teams, activities, hours and
 * the year's report (docs/cobuilding.md). The rules and the writes are
 * dom_volunteer.h's; this file parses and prints.
 *
 * Exit statuses: 2 a usage error, 7 invalid input or an ambiguous handle
 * (nothing changed), 9 no such team, activity, member, report or
 * organisation, 1 the replica failed.
 */
#include "cli.h"
#include "cmd.h"
#include "dom_handle.h"
#include "dom_service.h"
#include "dom_volunteer.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

struct out {
	struct cli *cli;
	struct table *t;
	int64_t minutes, people;
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

static int
team_add(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	struct dom_team_req q = {
		.name = cmd_get(a, "name"), .leader = cmd_get(a, "leader"),
		.founded_on = cmd_get(a, "founded-on"), .note = cmd_get(a, "note"),
	};
	char org[ID_TEXT_LEN + 1], id[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (cmd_get(a, "org") != NULL) {
		if (dom_service_org_by_code(r, cmd_get(a, "org"), org, &e) != 0)
			return cmd_refused(&e, "volunteer team add");
		q.org_id = org;
	}
	if (dom_volunteer_team_add(r, cli->operator_name, &q, id, &e) != 0)
		return cmd_refused(&e, "volunteer team add");
	if (!cli->quiet)
		printf("已成立志愿服务队 Team added「%s」(编号 %s)\n", text_show(q.name), dom_short(id));
	return EXIT_OK;
}

static void
team_row(const struct dom_team_row *t, void *arg)
{
	struct out *o = arg;
	char n[24], p[24], h[24];
	const char *cells[9];

	snprintf(n, sizeof n, "%" PRId64, t->activities);
	snprintf(p, sizeof p, "%" PRId64, t->people);
	dom_service_hours_show(t->minutes, h);
	cells[0] = o->cli->fmt == TABLE_TEXT ? dom_short(t->id) : t->id;
	cells[1] = t->name;
	cells[2] = t->org_name ? t->org_name : t->org_code;
	cells[3] = t->leader;
	cells[4] = t->founded_on;
	cells[5] = t->ended_on;
	cells[6] = n;
	cells[7] = p;
	cells[8] = h;
	table_add(o->t, cells);
	o->minutes += t->minutes;
}

static struct table *
team_table(void)
{
	static const char *const ids[] = { "id", "team", "org", "leader", "founded_on", "ended_on",
		"activities", "participations", "hours" };
	static const char *const hdr[] = { "编号", "服务队", "所属组织", "队长", "成立日期",
		"撤销日期", "活动次数", "参加人次", "服务时长（小时）" };
	struct table *t = table_new(9, ids, hdr);

	if (t != NULL) {
		table_set_number(t, 6);
		table_set_number(t, 7);
		table_set_number(t, 8);
	}
	return t;
}

static int
team_list(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	struct out o = { cli, NULL, 0, 0 };
	struct dom_error e;

	if ((o.t = team_table()) == NULL)
		return EXIT_FAIL;
	if (dom_volunteer_team_list(r, cmd_get(a, "year"), team_row, &o, &e) != 0) {
		table_free(o.t);
		return cmd_refused(&e, "volunteer team list");
	}
	return finish(cli, o.t, "没有志愿服务队 No volunteer teams.");
}

static int
activity_add(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	char team[ID_TEXT_LEN + 1], id[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (dom_volunteer_team_handle(r, cmd_get(a, "team"), team, &e) != 0 ||
	    dom_volunteer_activity_add(r, cli->operator_name, team, cmd_get(a, "date"),
	    cmd_get(a, "topic"), cmd_get(a, "place"), cmd_get(a, "note"), id, &e) != 0)
		return cmd_refused(&e, "volunteer activity add");
	if (!cli->quiet)
		printf("已登记志愿活动 Activity recorded (编号 %s)\n", dom_short(id));
	return EXIT_OK;
}

static int
hours_add(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	struct dom_hours_req q = {
		.name = cmd_get(a, "name"), .hours = cmd_get(a, "hours"), .note = cmd_get(a, "note"),
	};
	char act[ID_TEXT_LEN + 1], member[ID_TEXT_LEN + 1], report[ID_TEXT_LEN + 1];
	char id[ID_TEXT_LEN + 1];
	int who = cmd_has(a, "member") + cmd_has(a, "report") + cmd_has(a, "name");
	struct dom_error e;

	if (who != 1) {
		fprintf(stderr, "tongxin volunteer hours: 请给出一位参加者：--member、--report 或 --name，"
		    "只能一项 (one of --member, --report, --name)\n");
		return EXIT_USAGE;
	}
	if (dom_row_handle(r, TBL_VOLUNTEER_ACTIVITY, a->argv[0], "志愿活动", act, &e) != 0)
		return cmd_refused(&e, "volunteer hours");
	q.activity_id = act;
	if (cmd_has(a, "member")) {
		if (dom_member_handle(r, cmd_get(a, "member"), member, &e) != 0)
			return cmd_refused(&e, "volunteer hours");
		q.member_id = member;
	}
	if (cmd_has(a, "report")) {
		if (dom_service_handle(r, cmd_get(a, "report"), report, &e) != 0)
			return cmd_refused(&e, "volunteer hours");
		q.report_id = report;
	}
	if (dom_volunteer_hours_add(r, cli->operator_name, &q, id, &e) != 0)
		return cmd_refused(&e, "volunteer hours");
	if (!cli->quiet)
		printf("已登记服务时长 Hours recorded (编号 %s)\n", dom_short(id));
	return EXIT_OK;
}

static void
activity_row(const struct dom_activity_row *v, void *arg)
{
	struct out *o = arg;
	char n[24], h[24];
	const char *cells[8];

	snprintf(n, sizeof n, "%" PRId64, v->people);
	dom_service_hours_show(v->minutes, h);
	cells[0] = o->cli->fmt == TABLE_TEXT ? dom_short(v->id) : v->id;
	cells[1] = v->held_on;
	cells[2] = v->team_name;
	cells[3] = v->org_name;
	cells[4] = v->topic;
	cells[5] = v->place;
	cells[6] = n;
	cells[7] = h;
	table_add(o->t, cells);
}

static int
activity_list(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char *const ids[] = { "id", "date", "team", "org", "topic", "place",
		"participants", "hours" };
	static const char *const hdr[] = { "编号", "日期", "服务队", "所属组织", "活动内容", "地点",
		"参加人数", "服务时长（小时）" };
	struct out o = { cli, table_new(8, ids, hdr), 0, 0 };
	struct dom_error e;

	if (o.t == NULL)
		return EXIT_FAIL;
	table_set_number(o.t, 6);
	table_set_number(o.t, 7);
	if (dom_volunteer_activity_list(r, cmd_get(a, "year"), activity_row, &o, &e) != 0) {
		table_free(o.t);
		return cmd_refused(&e, "volunteer list");
	}
	return finish(cli, o.t, "没有志愿活动 No activities.");
}

static const char *
kind_label(const char *k)
{
	return strcmp(k, "member") == 0 ? "党员" : strcmp(k, "in_service") == 0 ? "在职党员（报到）" :
	    "居民";
}

static void
person_row(const struct dom_volunteer_person *p, void *arg)
{
	struct out *o = arg;
	char n[24], h[24];
	const char *cells[5];

	snprintf(n, sizeof n, "%" PRId64, p->activities);
	dom_service_hours_show(p->minutes, h);
	cells[0] = p->name;
	cells[1] = o->cli->fmt == TABLE_TEXT ? kind_label(p->kind) : p->kind;
	cells[2] = p->org_name;
	cells[3] = n;
	cells[4] = h;
	table_add(o->t, cells);
	o->minutes += p->minutes;
	o->people++;
}

static int
report(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char *const ids[] = { "name", "kind", "org", "activities", "hours" };
	static const char *const hdr[] = { "姓名", "身份", "所在组织", "参加活动", "服务时长（小时）" };
	struct out p = { cli, table_new(5, ids, hdr), 0, 0 }, t = { cli, team_table(), 0, 0 };
	struct dom_error e;
	char h[24];

	if (p.t == NULL || t.t == NULL) {
		table_free(p.t);
		table_free(t.t);
		return EXIT_FAIL;
	}
	table_set_number(p.t, 3);
	table_set_number(p.t, 4);
	if (dom_volunteer_people(r, cmd_get(a, "year"), person_row, &p, &e) != 0 ||
	    dom_volunteer_team_list(r, cmd_get(a, "year"), team_row, &t, &e) != 0) {
		table_free(p.t);
		table_free(t.t);
		return cmd_refused(&e, "volunteer report");
	}
	if (cli->fmt == TABLE_JSON) {
		printf("{\"year\": \"%s\", \"people\": ", cmd_get(a, "year"));
		table_print(p.t, stdout, TABLE_JSON);
		printf(", \"teams\": ");
		table_print(t.t, stdout, TABLE_JSON);
		printf("}\n");
		return EXIT_OK;
	}
	if (cli->fmt == TABLE_CSV) {
		table_print(p.t, stdout, TABLE_CSV);
		table_free(t.t);
		return EXIT_OK;
	}
	dom_service_hours_show(p.minutes, h);
	printf("%s 年志愿服务 Volunteering in %s: %" PRId64 " 人, 共 %s 小时\n\n",
	    cmd_get(a, "year"), cmd_get(a, "year"), p.people, h);
	printf("每人服务时长 Hours per person:\n");
	finish(cli, p.t, "（无 none）");
	printf("\n各服务队 Per team:\n");
	return finish(cli, t.t, "（无 none）");
}

static void
back_row(const struct dom_volunteer_back_row *b, void *arg)
{
	struct out *o = arg;
	char h[24];
	const char *cells[8];

	dom_service_hours_show(b->minutes, h);
	cells[0] = b->name;
	cells[1] = b->unit;
	cells[2] = b->home_name;
	cells[3] = b->community;
	cells[4] = b->held_on ? b->held_on : "（见报到社区 at the community）";
	cells[5] = b->topic;
	cells[6] = h;
	cells[7] = o->cli->fmt == TABLE_TEXT ? dom_short(b->report_id) : b->report_id;
	table_add(o->t, cells);
	o->minutes += b->minutes;
}

static int
back(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char *const ids[] = { "name", "unit", "home_org", "community", "date", "topic",
		"hours", "report" };
	static const char *const hdr[] = { "姓名", "工作单位", "所在党组织", "报到社区", "活动日期",
		"活动内容", "服务时长（小时）", "报到编号" };
	struct out o = { cli, table_new(8, ids, hdr), 0, 0 };
	struct dom_error e;
	char h[24];

	if (o.t == NULL)
		return EXIT_FAIL;
	table_set_number(o.t, 6);
	if (dom_volunteer_back(r, cmd_get(a, "year"), back_row, &o, &e) != 0) {
		table_free(o.t);
		return cmd_refused(&e, "volunteer back");
	}
	if (cli->fmt == TABLE_TEXT && table_rows(o.t) > 0) {
		table_print(o.t, stdout, TABLE_TEXT);
		dom_service_hours_show(o.minutes, h);
		printf("合计 total: %s 小时\n", h);
		return EXIT_OK;
	}
	return finish(cli, o.t, "没有在职党员的志愿服务时长 No in-service members' hours.");
}

static int exec_team_add(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, team_add); }
static int exec_team_list(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, team_list); }
static int exec_activity_add(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, activity_add); }
static int exec_hours(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, hours_add); }
static int exec_list(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, activity_list); }
static int exec_report(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, report); }
static int exec_back(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, back); }

static const struct cmd_opt team_add_opts[] = {
	{ "name", "NAME", CMD_OPT_REQUIRED, "服务队名称 the team's name" },
	{ "leader", "NAME", 0, "队长 its leader" },
	{ "org", "CODE", 0, "所属组织 (default this office's own organisation)" },
	{ "founded-on", "DATE", 0, "成立日期 YYYY-MM-DD" },
	{ "note", "TEXT", 0, "备注" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt year_opts[] = {
	{ "year", "YYYY", 0, "只计该年度 only that year" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt year_req_opts[] = {
	{ "year", "YYYY", CMD_OPT_REQUIRED, "年度 the year" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt activity_add_opts[] = {
	{ "team", "TEAM", CMD_OPT_REQUIRED, "服务队：编号或名称 the team" },
	{ "date", "DATE", CMD_OPT_REQUIRED, "活动日期 YYYY-MM-DD" },
	{ "topic", "TEXT", CMD_OPT_REQUIRED, "活动内容 what was done" },
	{ "place", "TEXT", 0, "地点" },
	{ "note", "TEXT", 0, "备注" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt hours_opts[] = {
	{ "member", "MEMBER", 0, "本组织党员：编号、身份证号或姓名 a member of this office" },
	{ "report", "REPORT", 0, "向本社区报到的在职党员：报到编号或姓名 an in-service member "
	  "reported here" },
	{ "name", "NAME", 0, "非党员居民姓名 a resident who is not a member" },
	{ "hours", "H", CMD_OPT_REQUIRED, "服务时长（小时），如 2 或 1.5 hours" },
	{ "note", "TEXT", 0, "备注" },
	{ NULL, NULL, 0, NULL },
};

#define VOLUNTEER_TAIL                                                                       \
	"TEAM: 服务队编号（末尾至少6位）或名称; ACTIVITY: 活动编号 (volunteer list).\n"          \
	"退出状态 Exit status: 0 成功 ok, 2 命令行有误 usage error, 7 取值无效或编号不唯一\n"   \
	"invalid value or ambiguous handle (nothing changed), 9 无此记录 no such record.\n"

static const struct cmd_entry cmd_entries_volunteer[] = {
	{ "volunteer", "list", NULL, 0, 0, year_opts, 0, 0,
	  "志愿活动 The activities (of the year), with participants and hours.\n" VOLUNTEER_TAIL,
	  exec_list },
	{ "volunteer", "report", NULL, 0, 0, year_req_opts, 0, 0,
	  "志愿服务统计 The year's hours per person (members, in-service members reported\n"
	  "here, residents) and per team; --csv gives the per-person table.\n" VOLUNTEER_TAIL,
	  exec_report },
	{ "volunteer", "back", NULL, 0, 0, year_opts, 0, 0,
	  "反馈原单位 In-service members' hours for their units: at the member's own office\n"
	  "(the community's activity is not held there, so its date shows at the community;\n"
	  "such hours are listed with every year).\n" VOLUNTEER_TAIL, exec_back },
	{ "volunteer", "hours", "ACTIVITY", 1, 1, hours_opts, 0, 0,
	  "登记服务时长 One participant's hours at an activity: a member of this office\n"
	  "(--member), an in-service member reported to this community (--report: his own\n"
	  "office sees the hours too), or a resident who is not a member (--name). The\n"
	  "name is always kept; one entry per person and activity.\n" VOLUNTEER_TAIL, exec_hours },
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

static const struct cmd_entry cmd_entries_team[] = {
	{ "volunteer team", "add", NULL, 0, 0, team_add_opts, 0, 0,
	  "成立志愿服务队 A volunteer team of an organisation of this replica.\n" VOLUNTEER_TAIL,
	  exec_team_add },
	{ "volunteer team", "list", NULL, 0, 0, year_opts, 0, 0,
	  "志愿服务队 The teams, with their activities, participations and hours (of the year).\n"
	  VOLUNTEER_TAIL, exec_team_list },
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

static const struct cmd_entry cmd_entries_activity[] = {
	{ "volunteer activity", "add", NULL, 0, 0, activity_add_opts, 0, 0,
	  "登记志愿活动 An activity of a team: date (not in the future, within the team's\n"
	  "life), what was done, where.\n" VOLUNTEER_TAIL, exec_activity_add },
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

/* Run sub-table tab with verb word "volunteer WORD" in place of argv[0..1]. */
static int
run_sub(const struct cmd_entry *tab, const char *word, struct cli *cli, int argc, char **argv)
{
	char verb[32];
	char **av;
	int rc;

	snprintf(verb, sizeof verb, "volunteer %s", word);
	if ((av = calloc((size_t)argc, sizeof *av)) == NULL) {
		fprintf(stderr, "tongxin volunteer: 内存不足 out of memory\n");
		return EXIT_FAIL;
	}
	av[0] = verb;
	for (int i = 2; i < argc; i++)
		av[i - 1] = argv[i];
	rc = cmd_run(tab, cli, argc - 1, av);
	free(av);
	return rc;
}

int
verb_volunteer(struct cli *cli, int argc, char **argv)
{
	static const struct cmd_entry *const all[] = { cmd_entries_volunteer, cmd_entries_team,
		cmd_entries_activity };

	if (argc > 1 && strcmp(argv[1], "team") == 0)
		return run_sub(cmd_entries_team, "team", cli, argc, argv);
	if (argc > 1 && strcmp(argv[1], "activity") == 0)
		return run_sub(cmd_entries_activity, "activity", cli, argc, argv);
	return cmd_run_tables(all, 3, cli, argc, argv);
}
