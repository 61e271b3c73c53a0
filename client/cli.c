/*
 * cli.c - tongxin's verbs: join, status, sync, and the record verbs.
 *
 * Every verb is a row in one const table (name, usage, help, handler).
 * Global options (--replica, --server, --operator, --csv, --json) may
 * appear anywhere on the line and are taken out before the verb runs.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "db.h"
#include "cmd.h"
#include "dom_handle.h"
#include "dom_report.h"
#include "domain.h"
#include "ids.h"
#include "log.h"
#include "schema.h"
#include "sync.h"
#include "text.h"
#include "validate.h"
#include "value.h"
#include "vocab.h"
#include "web.h"

#define MAX_COLS 32

/* 志愿服务 and 考核/评星定级/积分 (cmd_volunteer.c, cmd_assess.c). */
int verb_volunteer(struct cli *cli, int argc, char **argv);
int verb_assess(struct cli *cli, int argc, char **argv);

struct verb {
	const char *name;
	const char *usage;
	const char *help;
	/*
	 * Runs the verb: cmd_run over the verb's table (cmd.h), which parses the
	 * whole line after the verb word itself, global options included.
	 */
	int (*run)(struct cli *, int, char **);
};

static int verb_join(struct cli *, int, char **);
static int verb_status(struct cli *, int, char **);
static int verb_sync(struct cli *, int, char **);
static int run_table(const struct cmd_entry *, struct cli *, int, char **);
static bool ran;
static int join_exec(struct cli *, const struct cmd_args *);
static int status_exec(struct cli *, const struct cmd_args *);

static const struct cmd_entry cmd_entries_join[] = {
	{ "join", NULL, "BUNDLE", 1, 1, NULL, 0, 0,
	  "加入：用 tongxind enroll 签发的设备包建立本地副本。Set up a local replica from a\n"
	  "device bundle issued by \"tongxind enroll\". Works offline: the first contact\n"
	  "waits for the first sync. The credential is kept beside the replica\n"
	  "(PATH.credential, mode 0600).\n", join_exec },
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};
static const struct cmd_opt status_opts[] = {
	{ "check", NULL, 0, "并连接服务器检查 also connect to the server and report success or why not" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_entry cmd_entries_status[] = {
	{ "status", NULL, NULL, 0, 0, status_opts, 0, 0,
	  "状态：副本、设备、组织、角色、服务器、最近联系、待发送的修改，以及本机修改中\n"
	  "进入冲突或被拒绝的。Show the replica, device, organisation, role, server, last\n"
	  "contact, the changes waiting to be sent, and this device's changes that went to\n"
	  "conflict or were rejected.\n"
	  "每次都检查本机数据文件。It checks the replica file every time (PRAGMA quick_check,\n"
	  "exit 8 when damaged); other commands check it when it changed since tongxin\n"
	  "last closed it, and tongxin doctor checks it whole.\n", status_exec },
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};
static int sync_exec(struct cli *, const struct cmd_args *);

static const struct cmd_opt sync_opts[] = {
	{ "push-only", NULL, 0, "只发送本机的修改 only send the waiting changes" },
	{ "pull-only", NULL, 0, "只取回街道的数据 only receive" },
	{ "verify", NULL, 0, "然后请服务器核对本副本 then have the server compare the replica with its data" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_entry cmd_entries_sync[] = {
	{ "sync", NULL, NULL, 0, 0, sync_opts, 0, 0,
	  "同步：发送本机待发送的修改，再取回本组织范围内的变化。Send the waiting changes, then\n"
	  "receive what changed in this device's scope. Prints what was pushed, applied,\n"
	  "merged, put in conflict, rejected and pulled.\n"
	  "Exit status 10 when the sync finished but the server rejected at least one change\n"
	  "(the reasons are printed, and kept for tongxin status); 3-6 when the server could\n"
	  "not be used.\n", sync_exec },
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};
static int verb_org(struct cli *, int, char **);
/* 微心愿 and 民情回音壁 (cmd_wish.c, cmd_feedback.c). */
int verb_wish(struct cli *cli, int argc, char **argv);
int verb_feedback(struct cli *cli, int argc, char **argv);
/* 服务群众专项经费 (cmd_fund.c). */
int verb_fund(struct cli *cli, int argc, char **argv);
static int verb_member(struct cli *, int, char **);

static const struct verb verbs[] = {
	{ "join", "join BUNDLE [--replica PATH] [--server HOST:PORT]",
	  "Set up a local replica from a device bundle issued by \"tongxind enroll\".\n"
	  "Works offline: the first contact waits for the first sync. The credential\n"
	  "is kept beside the replica (PATH.credential, mode 0600).\n", verb_join },
	{ "status", "status [--check]",
	  "Show the replica, device, organisation, role, server, last contact, the\n"
	  "changes waiting to be sent, and this device's changes that went to conflict\n"
	  "or were rejected.\n"
	  "  --check   also connect to the server and report success or the reason\n", verb_status },
	{ "sync", "sync [--push-only | --pull-only] [--verify] [--quiet]",
	  "Send the waiting changes, then receive what changed in this device's scope.\n"
	  "Prints what was pushed, applied, merged, put in conflict, rejected and pulled.\n"
	  "  --verify   then have the server compare the replica with its own data\n"
	  "Exit status 10 when the server rejected at least one change.\n",
	  verb_sync },
	{ "org", "org add --code CODE --name NAME --kind KIND [--parent CODE] [--FIELD VALUE...]\n"
	  "       tongxin org edit CODE --FIELD VALUE...\n"
	  "       tongxin org list\n"
	  "       tongxin org tree",
	  "Organisations (组织). --parent defaults to this device's organisation.\n"
	  "Fields: --branch-type,\n"
	  "--secretary, --founded-on, --term-start, --term-end, --dissolved.\n", verb_org },
	{ "member", "member add --name NAME --gender G --ethnicity E --id-number N\n"
	  "            --education E --category C --branch CODE --join-date D\n"
	  "            [--FIELD VALUE...]\n"
	  "       tongxin member edit ID --FIELD VALUE...\n"
	  "       tongxin member delete ID\n"
	  "       tongxin member show ID\n"
	  "       tongxin member list [--branch CODE] [--all]\n"
	  "       tongxin member find TEXT\n"
	  "       tongxin member lost ID [--since DATE] [--note TEXT] | found ID\n"
	  "       tongxin member mobile ID --to DESTINATION | return ID\n"
	  "       tongxin member report ID --community CODE\n"
	  "       tongxin member import FILE.csv [--errors FILE] [--take-good] [--check]\n"
	  "       tongxin member export [--branch CODE] [--all] FILE.csv|-\n"
	  "       tongxin member promote MEMBER --date D --meeting MEETING\n"
	  "       tongxin member extend MEMBER --until D --meeting MEETING\n"
	  "       tongxin member leave MEMBER --reason R --date D [--note TEXT]\n"
	  "       tongxin member discipline MEMBER --kind K --date D --grounds TEXT [--until D]",
	  "Party members (党员). ID is the member's id or citizen ID number. The birth\n"
	  "date is taken from the citizen ID number when not given. Fields use the\n"
	  "schema's column names with dashes: --phone, --address, --job, --full-date,\n"
	  "--retired, --relocated, --mobile, --flow-to, ...\n"
	  "import: a CSV with the national form's columns (姓名, 性别, 公民身份号码, 所在党支部\n"
	  "CODE or name, ...); nothing is imported if a row is bad unless --take-good; bad rows\n"
	  "go to FILE.errors.csv with a 错误 column (fix and import it again); --check only checks.\n",
	  verb_member },
	{ "meeting", "meeting add --org CODE --kind KIND --held-on DATE --topic TEXT [--host NAME]\n"
	  "            [--recorder NAME] [--minutes TEXT] [--present IDS] [--excused ID:REASON,...]\n"
	  "            [--absent IDS]\n"
	  "       tongxin meeting list [--org CODE] [--kind KIND] [--from DATE] [--to DATE]\n"
	  "       tongxin meeting show ID",
	  "组织生活 Organisational life (三会一课 and more; KIND below). A meeting and its\n"
	  "attendance are one local transaction. IDS: member ids or citizen ID numbers,\n"
	  "comma-separated.\n",
	  verb_meeting },
	{ "item", "item add --kind KIND --title TEXT [--org CODE] [--detail TEXT] [--due-on DATE]\n"
	  "       tongxin item claim ID --branch CODE | --unit UNIT | --member M [--date DATE]\n"
	  "       tongxin item progress CLAIM | done CLAIM --result TEXT [--date DATE]\n"
	  "       tongxin item withdraw CLAIM [--note TEXT] | claims [ID]\n"
	  "       tongxin item rectify ID --note TEXT [--date DATE]\n"
	  "       tongxin item close ID [--note TEXT] [--date DATE]\n"
	  "       tongxin item list [--kind KIND] [--open] [--org CODE]\n"
	  "       tongxin item board [--month YYYY-MM] [--org CODE]",
	  "清单 Lists (KIND below): claims (双向认领) by branches, resident units and\n"
	  "members, with their state (claimed, in progress, done, withdrawn);\n"
	  "rectification (整改), close-out (销号) and the month's public board (公示).\n",
	  verb_item },
	{ "unit", "unit add --name NAME --kind KIND [--credit-code CODE] [--community CODE] [...]\n"
	  "       tongxin unit edit UNIT [--ITEM VALUE...]\n"
	  "       tongxin unit list [--all] | show UNIT",
	  "驻区单位 Resident units of the community's 大党委 (共驻共建): registered by the\n"
	  "community they sit in, seen by the communities they co-build with.\n",
	  verb_unit },
	{ "agreement", "agreement add --unit UNIT [--signed-on D] [--ends-on D] [--unit-commits T]\n"
	  "            [--community-commits T]\n"
	  "       tongxin agreement end AGREEMENT [--date D] | delete AGREEMENT | list [--all]",
	  "共建协议 Co-building agreements between a community and a resident unit; a unit of\n"
	  "another community is named by its credit code.\n",
	  verb_agreement },
	{ "transfer", "transfer request MEMBER --to CODE [--reason TEXT] [--date DATE]\n"
	  "       tongxin transfer accept ID [--note TEXT]\n"
	  "       tongxin transfer reject ID --note TEXT\n"
	  "       tongxin transfer withdraw ID\n"
	  "       tongxin transfer list [--all]",
	  "组织关系转接 Transfers between communities: the sending office requests, the\n"
	  "receiving office accepts or rejects after its next sync, and only acceptance\n"
	  "moves the member (the sending office's replicas then drop the member's data).\n",
	  verb_transfer },
	{ "develop", "develop add --name NAME --gender G --ethnicity E --id-number N --branch CODE\n"
	  "            --applied-on D [--FIELD VALUE...]\n"
	  "       tongxin develop list [--stage S] [--branch CODE]\n"
	  "       tongxin develop show PERSON\n"
	  "       tongxin develop activist|candidate|admit PERSON --date D --meeting MEETING\n"
	  "       tongxin develop stop PERSON [--note TEXT]\n"
	  "       tongxin develop due [--month YYYY-MM]",
	  "发展党员 The development pipeline: 入党申请人 -> 入党积极分子 -> 发展对象 ->\n"
	  "预备党员 (admit makes the member record), each step with its date and the branch\n"
	  "meeting that decided it; due lists who is due for the next step this month and\n"
	  "who is overdue (probationary members' 转正 included).\n", verb_develop },
	{ "service", "service list [--all] [--year YYYY] | show REPORT | back [--year YYYY]\n"
	  "       tongxin service report MEMBER --community CODE [--date D] [--unit U] [--phone P]\n"
	  "       tongxin service add --name NAME --reported-on D [--unit U] [--phone P] [--community CODE]\n"
	  "       tongxin service record REPORT --date D --activity TEXT --hours H | end REPORT [--date D]",
	  "双报到 In-service members who report to this community (在职党员到社区报到): the\n"
	  "limited record the community keeps (name, unit, phone; never the citizen ID),\n"
	  "the services they do and their hours; back: the report to their units (反馈原单位).\n",
	  verb_service },
	{ "volunteer", "volunteer team add --name N [--leader L] [--org CODE] [--founded-on D] | team list\n"
	  "       tongxin volunteer activity add --team TEAM --date D --topic T [--place P]\n"
	  "       tongxin volunteer hours ACTIVITY (--member M | --report REPORT | --name NAME) --hours H\n"
	  "       tongxin volunteer list [--year YYYY] | report --year YYYY | back [--year YYYY]",
	  "志愿服务 Volunteer teams, their activities and each participant's hours (members,\n"
	  "in-service members reported here, residents); report: per person and team;\n"
	  "back: in-service members' hours for their units (反馈原单位).\n",
	  verb_volunteer },
	{ "assess", "assess indicator add --year YYYY --target T --code C --name N --points P\n"
	  "       tongxin assess indicator list [--year YYYY] | check --year YYYY | edit ...\n"
	  "       tongxin assess score ORG --indicator C --year YYYY --points P --scorer NAME\n"
	  "       tongxin assess stars BRANCH --year YYYY --stars 1..5 [--by ORG]\n"
	  "       tongxin assess report --year YYYY [--target T] | points --year YYYY [--branch CODE]",
	  "考核 The street's 100-point assessment of communities and branches: indicators,\n"
	  "scores, grades (>= 90 优秀, < 70 不称职), 评星定级 stars, and member points (积分).\n",
	  verb_assess },
	{ "wish", "wish list [--status S] [--month YYYY-MM] | show WISH | report --year YYYY\n"
	  "       tongxin wish add --resident NAME --wish TEXT [--org CODE] [--household ADDR] [--grid G]\n"
	  "            [--value YUAN] [--date D]\n"
	  "       tongxin wish claim WISH --member M | --unit UNIT | --branch CODE [--date D]\n"
	  "       tongxin wish fulfil WISH [--date D] [--photo REF] [--note T] | cancel WISH [--note T]",
	  "微心愿 Residents' small wishes: posted, claimed by a member, a resident unit or a\n"
	  "branch, fulfilled or cancelled; report: per organisation and month, posted,\n"
	  "claimed, fulfilled and the value fulfilled (元).\n",
	  verb_wish },
	{ "feedback", "feedback list [--status S] | show FB | overdue [--as-of D]\n"
	  "       tongxin feedback add --content TEXT --source S --category C [--resident NAME]\n"
	  "            [--phone P] [--grid G] [--org CODE] [--date D]\n"
	  "       tongxin feedback assign FB --member M | --handler NAME\n"
	  "       tongxin feedback reply FB --reply TEXT [--date D] | close FB",
	  "民情回音壁 Residents' opinions: received, handled, answered (回音) and closed;\n"
	  "overdue: not replied within 7 days of receipt.\n",
	  verb_feedback },
	{ "fund", "fund budget --year YYYY --amount YUAN [--org CODE] [--date D]\n"
	  "       tongxin fund spend --amount YUAN --purpose TEXT --approver NAME [--date D]\n"
	  "            [--item ITEM] [--wish WISH]\n"
	  "       tongxin fund list [--year YYYY] | disclose --quarter YYYY-Qn",
	  "服务群众专项经费 Service funds: a community's budget per year (one), spending\n"
	  "entries with the running balance (beyond the budget: recorded with a warning),\n"
	  "and the quarter's disclosure (党务公开).\n",
	  verb_fund },
	{ "dues", "dues set MEMBER --class C [--base YUAN] | show MEMBER [--month YYYY-MM]\n"
	  "       tongxin dues pay|fix MEMBER --month YYYY-MM [--amount YUAN] [--date D] [--by NAME]\n"
	  "       tongxin dues pay-all --month YYYY-MM [--branch CODE] | list [--month YYYY-MM] [--branch CODE]\n"
	  "       tongxin dues arrears [--as-of YYYY-MM] [--branch CODE]",
	  "党费 Dues by the 党费收缴 rules: each member's class and base, the month's amount,\n"
	  "payments per month (one per member and month; the same month paid at two\n"
	  "offices is a conflict for the street), arrears (3 months: warning; 6: 党章).\n",
	  verb_dues },
	{ "committee", "committee list [--org CODE] [--all] | add --org CODE (--member MEMBER | --name NAME)\n"
	  "            --role R --from D\n"
	  "       tongxin committee end SEAT [--date D]\n"
	  "       tongxin committee household list [--org CODE] [--all] | add --member MEMBER --from D\n"
	  "            [--grid G] [--address A]\n"
	  "       tongxin committee household cover CENTER --name NAME --address A [--phone P]\n"
	  "       tongxin committee household show CENTER | end CENTER [--date D]",
	  "班子 Committee seats (书记, 副书记, 组织委员 ...) with their terms, and 党员中心户\n"
	  "with the households they cover.\n",
	  verb_committee },
	{ "report", "report profile|compliance|inactive|overdue|terms|roster|branches|cobuild\n"
	  "              [--org CODE] [options]",
	  "Reports on the local replica, offline: member profile shares, 三会一课\n"
	  "compliance per branch, members without organisational life for 6 months,\n"
	  "overdue problem items, committee terms expiring, the roster, branch sizes,\n"
	  "the year's co-building and service work per community.\n"
	  "--csv / --json for machines.\n",
	  verb_report },
	{ "reconcile", "reconcile",
	  "Street-wide cross-office checks on this replica (the street's replica holds\n"
	  "every office): members in dissolved organisations, probationary members past\n"
	  "their year, lost contact for 6+ months, transfers waiting 30+ days, missing\n"
	  "secretaries, member records that fail a rule, branches over 50 members or\n"
	  "under 3 full members. Members who left (党员减少) are no findings.\n", verb_reconcile },
	{ "conflicts", "conflicts [list] [--office CODE] [--table T] [--older-than DAYS] [--status S]\n"
	  "       tongxin conflicts show ID\n"
	  "       tongxin conflicts resolve ID --keep-server | --take-office | --set COLUMN=VALUE...\n"
	  "            [--note TEXT]",
	  "Administrators: the conflict queue on the server. ID is the conflict id or its\n"
	  "last 6+ characters. list shows open conflicts (--status resolved|auto|rejected|all for\n"
	  "others); show puts base, server value and office value side by side; resolve\n"
	  "settles it: keep the server's value, take the office's, or enter merged values\n"
	  "for the conflicted row. A resolution is an ordinary change that reaches every\n"
	  "replica in scope, and is kept in the audit trail. Needs an admin certificate.\n",
	  verb_conflicts },
	{ "audit", "audit [--row ID] [--device NAME] [--since YYYY-MM-DD] [--limit N]",
	  "Administrators: who changed what, from which device, and when.\n", verb_audit },
	{ "devices", "devices",
	  "Administrators: every device's last contact, pushed transactions, open\n"
	  "conflicts and the result of its last replica check (tongxin sync --verify).\n",
	  verb_devices },
	{ "doctor", "doctor [--rebuild]",
	  "Check the replica file whole (PRAGMA integrity_check) and its credential.\n"
	  "  --rebuild  rebuild the replica from the server with the same credential: the\n"
	  "             unsent changes that are still readable are kept (with their sequence\n"
	  "             numbers) and sent, the server's data comes back by a full sync, and\n"
	  "             the old file is kept beside it as PATH.damaged-YYYYMMDD-HHMMSS (0600).\n"
	  "             Nothing is changed unless the sync succeeds.\n"
	  "Exit 0 sound (or rebuilt), 8 damaged (or the credential unreadable: join the\n"
	  "bundle again), 3-6 the server could not be used for the rebuild.\n", verb_doctor },
	{ "ui", "ui [--listen 127.0.0.1:PORT] [--open] [--insecure-listen]",
	  "工作台 The clerk's web desk on this replica, in a browser, offline. Prints a link\n"
	  "with a one-time token; opening it signs the browser in (a session cookie).\n"
	  "  --listen HOST:PORT   where to listen (default 127.0.0.1:0, a free port)\n"
	  "  --open               open the link in the desktop's browser (xdg-open)\n"
	  "  --insecure-listen    allow an address other than loopback. The desk has no\n"
	  "                       TLS: on another address anyone on the network can read\n"
	  "                       the personal data it shows. Without this flag such an\n"
	  "                       address is refused (exit 2).\n"
	  "Stops on Ctrl+C (SIGINT) or SIGTERM.\n", verb_ui },
};
#define NVERBS (sizeof verbs / sizeof verbs[0])

static const char exit_codes_help[] =
	"Exit status: 0 success, 1 failure, 2 usage error, 3 server unreachable,\n"
	"4 refused by the server, 5 protocol or schema mismatch, 6 server error,\n"
	"7 invalid input (nothing changed), 8 damaged replica file (run tongxin doctor),\n"
	"9 no such record, 10 sync done but the server rejected a change.\n";

/*
 * The options of each verb whose values come from the vocabulary: the
 * enum and yes/no columns of its table (all of them when cols is NULL).
 */
static const struct {
	const char *verb;
	int table;
	const char *const *cols;
} vocab_opts[] = {
	{ "member", TBL_MEMBER, NULL },
	{ "org", TBL_ORG, NULL },
	{ "meeting", TBL_MEETING, NULL },
	{ "item", TBL_LIST_ITEM, (const char *const[]){ "kind", NULL } },
	{ "unit", TBL_RESIDENT_UNIT, (const char *const[]){ "kind", NULL } },
};

/* Print words (each "label code") after a hanging indent, wrapped at 80 columns. */
static void
help_wrap(FILE *f, const struct vocab *v, int indent)
{
	int col = indent;

	for (size_t i = 0; i < v->n; i++) {
		char word[128];
		int w;
		if (strcmp(v->entries[i].code, v->entries[i].label) == 0)
			snprintf(word, sizeof word, "%s%s", v->entries[i].label, i + 1 < v->n ? "、" : "");
		else
			snprintf(word, sizeof word, "%s %s%s", v->entries[i].label, v->entries[i].code,
			    i + 1 < v->n ? "、" : "");
		w = text_width(word);
		if (col > indent && col + w > 80) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		}
		fputs(word, f);
		col += w;
	}
	fputc('\n', f);
}

/* The allowed values of a verb's options, generated from the vocabulary. */
static void
vocab_help(FILE *f, const char *verb)
{
	for (size_t k = 0; k < sizeof vocab_opts / sizeof vocab_opts[0]; k++) {
		const struct table_def *td = &schema_tables[vocab_opts[k].table];
		int nbool = 0;
		if (strcmp(vocab_opts[k].verb, verb) != 0)
			continue;
		fprintf(f, "可选值 Allowed values (the label, the code or a common alias):\n");
		for (int c = 0; c < td->ncols; c++) {
			const struct vocab *v = vocab_of_col(&td->cols[c]);
			char opt[64];
			int matched = vocab_opts[k].cols == NULL;
			for (const char *const *n = vocab_opts[k].cols; n && *n && !matched; n++)
				matched = strcmp(*n, td->cols[c].name) == 0;
			if (v == NULL || !matched || td->cols[c].type == COL_BOOL)
				continue;
			snprintf(opt, sizeof opt, "--%s", td->cols[c].name);
			for (char *p = opt; *p; p++)
				if (*p == '_')
					*p = '-';
			fprintf(f, "  %-14s ", opt);
			if (v->store_label)
				fprintf(f, "%s (GB 3304):\n%*s", td->cols[c].label, 17, "");
			help_wrap(f, v, 17);
		}
		for (int c = 0; c < td->ncols; c++)
			if (td->cols[c].type == COL_BOOL && vocab_opts[k].cols == NULL) {
				char opt[64];
				snprintf(opt, sizeof opt, "%s--%s", nbool++ ? ", " : "  ", td->cols[c].name);
				for (char *p = opt; *p; p++)
					if (*p == '_')
						*p = '-';
				fputs(opt, f);
			}
		if (nbool) {
			fputs(": ", f);   /* two short words: they stay on this line */
			help_wrap(f, vocab_get("bool"), 17);
		}
	}
}

static void
usage_all(FILE *f)
{
	fprintf(f, "usage: tongxin [--replica PATH] [--server HOST:PORT] [--operator NAME] "
	    "VERB ...\n\nTongxin (同心) community office client %s.\n\nVerbs:\n", TONGXIN_VERSION);
	for (size_t i = 0; i < NVERBS; i++)
		fprintf(f, "  tongxin %s\n", verbs[i].usage);
	fprintf(f, "\nGlobal options:\n"
	    "  --replica PATH      the local replica (default $TONGXIN_REPLICA, else ./tongxin.db)\n"
	    "  --server HOST:PORT  override the server address from the bundle\n"
	    "  --operator NAME     the person at the keyboard, recorded with each change\n"
	    "  --csv, --json       machine-readable lists\n"
	    "  --quiet, -q         print only errors\n\n%s", exit_codes_help);
}

int
verb_usage(const char *name, int ok)
{
	for (size_t i = 0; i < NVERBS; i++)
		if (strcmp(verbs[i].name, name) == 0) {
			FILE *f = ok ? stdout : stderr;
			fprintf(f, "usage: tongxin %s\n\n%s", verbs[i].usage, verbs[i].help);
			vocab_help(f, name);
			fprintf(f, "\n%s", exit_codes_help);
		}
	return ok ? EXIT_OK : EXIT_USAGE;
}

int
has_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

struct replica *
cli_open(const struct cli *cli)
{
	char err[1024] = "";
	struct replica *r = replica_open(cli->replica, err, sizeof err);
	if (r == NULL)
		fprintf(stderr, "tongxin: %s\n", err);
	return r;
}

/*
 * cli_open for tongxin status, which the clerk runs to see whether all is
 * well: the replica file is checked at every open, whatever its mark.
 */
static struct replica *
cli_open_checked(const struct cli *cli)
{
	char err[1024] = "";
	struct replica *r = replica_open_checked(cli->replica, err, sizeof err);
	if (r == NULL)
		fprintf(stderr, "tongxin: %s\n", err);
	return r;
}

int
fail_exit(int f)
{
	switch (f) {
	case SYNC_UNREACHABLE: return EXIT_UNREACHABLE;
	case SYNC_TLS:
	case SYNC_REFUSED: return EXIT_REFUSED;
	case SYNC_MISMATCH: return EXIT_MISMATCH;
	case SYNC_PROTOCOL:
	case SYNC_SERVER: return EXIT_SERVER;
	case SYNC_DECLINED: return EXIT_INVALID;
	default: return EXIT_FAIL;   /* SYNC_NOT_FOUND, SYNC_LOCAL */
	}
}

void
fmt_time(int64_t ms, char *buf, size_t cap)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms == 0) {
		snprintf(buf, cap, "从未 never");
		return;
	}
	localtime_r(&t, &tm);
	strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm);
}

/* --- join ---------------------------------------------------------------- */

static int
verb_join(struct cli *cli, int argc, char **argv)
{
	return run_table(cmd_entries_join, cli, argc, argv);
}

/* join BUNDLE: a new replica from a device bundle (offline). */
static int
join_exec(struct cli *cli, const struct cmd_args *a)
{
	char err[1024] = "";
	struct replica *r;
	const struct rep_info *i;

	ran = true;
	if (replica_join(cli->replica, a->argv[0], cli->server, err, sizeof err) != 0) {
		fprintf(stderr, "tongxin join: %s\n", err);
		return EXIT_FAIL;
	}
	if ((r = cli_open(cli)) == NULL)
		return EXIT_FAIL;
	i = replica_info(r);
	printf("已加入 Joined as device %s (%s) of organisation %s\n"
	    "  replica: %s\n  server:  %s\n"
	    "Run \"tongxin sync\" when the network is up.\n", i->device, i->role, i->org_code,
	    i->path, i->server);
	replica_close(r);
	return EXIT_OK;
}

/* --- status -------------------------------------------------------------- */

static void
print_outcomes(sqlite3 *db, int limit)
{
	sqlite3_stmt *st;
	int n = 0;

	if (sqlite3_prepare_v2(db, "SELECT seq, status, reason, conflict_id, at, resolution FROM outcome"
	    " WHERE status IN ('conflict', 'rejected') OR reason IS NOT NULL ORDER BY seq DESC LIMIT ?1", -1, &st,
	    NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int(st, 1, limit);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char when[32];
		const char *status = (const char *)sqlite3_column_text(st, 1);
		if (n++ == 0)
			printf("本机修改的处理结果 What became of this device's changes:\n");
		fmt_time(sqlite3_column_int64(st, 4), when, sizeof when);
		printf("  #%lld %s %s %s%s%s: %s%s%s\n", (long long)sqlite3_column_int64(st, 0), when,
		    vocab_show(vocab_get("outcome"), status), status,
		    sqlite3_column_type(st, 3) != SQLITE_NULL ? " " : "",
		    sqlite3_column_type(st, 3) != SQLITE_NULL ?
		    text_show(dom_short((const char *)sqlite3_column_text(st, 3))) : "",
		    text_show((const char *)sqlite3_column_text(st, 2)),
		    sqlite3_column_type(st, 5) != SQLITE_NULL ? " → " : "",
		    text_show((const char *)sqlite3_column_text(st, 5)));
	}
	sqlite3_finalize(st);
}

/* Values this office wrote that a newer edit elsewhere replaced. */
static void
print_notices(sqlite3 *db, int limit)
{
	sqlite3_stmt *st;
	int n = 0;

	if (sqlite3_prepare_v2(db, "SELECT at, text FROM notice ORDER BY at DESC LIMIT ?1", -1, &st,
	    NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int(st, 1, limit);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char when[32];
		if (n++ == 0)
			printf("本机数据被更新 Values this device wrote that newer edits replaced:\n");
		fmt_time(sqlite3_column_int64(st, 0), when, sizeof when);
		printf("  %s %s\n", when, text_show((const char *)sqlite3_column_text(st, 1)));
	}
	sqlite3_finalize(st);
}

/*
 * status --json: one object, typed; "outcomes" and "notices" as in the text
 * (the 20 and 10 latest); "check" only with --check (check_rc < 0: not run).
 */
static void
status_json(struct replica *r, const struct rep_info *i, const char *server, int check_rc,
    const char *check_text)
{
	static const char *const ids[] = { "replica", "device", "role", "org", "street", "server",
		"last_contact", "last_contact_ms", "pending_txns", "pending_changes" };
	static const char *const oids[] = { "seq", "status", "reason", "conflict_id", "at",
		"resolution" };
	static const char *const nids[] = { "at", "text" };
	const char *cells[10];
	char when[32], ms[24], txns[24], changes[24];
	struct table *t = table_new(10, ids, ids), *o = table_new(6, oids, oids),
	    *n = table_new(2, nids, nids);
	sqlite3_stmt *st;

	if (t == NULL || o == NULL || n == NULL) {
		table_free(t);
		table_free(o);
		table_free(n);
		return;
	}
	fmt_time(i->last_contact, when, sizeof when);
	snprintf(ms, sizeof ms, "%lld", (long long)i->last_contact);
	snprintf(txns, sizeof txns, "%lld", (long long)i->pending_txns);
	snprintf(changes, sizeof changes, "%lld", (long long)i->pending_changes);
	cells[0] = i->path;
	cells[1] = i->device;
	cells[2] = i->role;
	cells[3] = i->org_code;
	cells[4] = i->street[0] ? i->street : NULL;
	cells[5] = server;
	cells[6] = i->last_contact ? when : NULL;
	cells[7] = i->last_contact ? ms : NULL;
	cells[8] = txns;
	cells[9] = changes;
	table_set_vocab(t, 2, vocab_get("role"));
	for (int c = 7; c < 10; c++)
		table_set_number(t, c);
	table_add(t, cells);
	table_set_number(o, 0);
	table_set_vocab(o, 1, vocab_get("outcome"));
	if (sqlite3_prepare_v2(replica_db(r), "SELECT seq, status, reason, conflict_id, at, resolution"
	    " FROM outcome WHERE status IN ('conflict', 'rejected') OR reason IS NOT NULL"
	    " ORDER BY seq DESC LIMIT 20", -1, &st, NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *oc[6];
			for (int c = 0; c < 6; c++)
				oc[c] = (const char *)sqlite3_column_text(st, c);
			fmt_time(sqlite3_column_int64(st, 4), when, sizeof when);
			oc[4] = when;
			table_add(o, oc);
		}
		sqlite3_finalize(st);
	}
	if (sqlite3_prepare_v2(replica_db(r), "SELECT at, text FROM notice ORDER BY at DESC LIMIT 10",
	    -1, &st, NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *nc[2];
			fmt_time(sqlite3_column_int64(st, 0), when, sizeof when);
			nc[0] = when;
			nc[1] = (const char *)sqlite3_column_text(st, 1);
			table_add(n, nc);
		}
		sqlite3_finalize(st);
	}
	table_print_object(t, stdout, 0);
	if (check_rc >= 0) {
		printf(", \"check\": %s, \"check_detail\": ", check_rc == 0 ? "true" : "false");
		table_json_str(stdout, check_text);
	}
	fputs(", \"outcomes\": ", stdout);
	table_print(o, stdout, TABLE_JSON);
	fputs(", \"notices\": ", stdout);
	table_print(n, stdout, TABLE_JSON);
	fputs("}\n", stdout);
}

static int
verb_status(struct cli *cli, int argc, char **argv)
{
	return run_table(cmd_entries_status, cli, argc, argv);
}

/* status: the replica's state; with --check a connection to the server as well. */
static int
status_exec(struct cli *cli, const struct cmd_args *a)
{
	struct replica *r;
	const struct rep_info *i;
	int check = cmd_has(a, "check"), rc = EXIT_OK;
	char when[32];

	ran = true;
	if ((r = cli_open_checked(cli)) == NULL)
		return EXIT_FAIL;
	i = replica_info(r);
	if (cli->fmt == TABLE_JSON) {
		char text[1200] = "";
		int crc = -1;
		if (check) {
			struct sync_opts o = { 0 };
			struct sync_report rep;
			enum sync_fail f;
			char err[1024] = "";
			o.server = cli->server;
			o.operator_name = cli->operator_name;
			o.check_only = 1;
			if (sync_run(r, &o, &rep, &f, err, sizeof err) != 0) {
				snprintf(text, sizeof text, "%s", err);
				rc = fail_exit(f);
				crc = 1;
			} else {
				snprintf(text, sizeof text, "connected to %s (tongxind %s) as %s", rep.street,
				    rep.server_version, rep.device);
				crc = 0;
			}
		}
		status_json(r, replica_info(r), cli->server ? cli->server : i->server, crc, text);
		replica_close(r);
		return rc;
	}
	fmt_time(i->last_contact, when, sizeof when);
	printf("副本 Replica:      %s\n设备 Device:       %s (%s %s)\n组织 Organisation: %s\n"
	    "街道 Street:       %s\n服务器 Server:     %s\n最近联系 Last contact: %s\n"
	    "待发送 Pending:    %lld transactions, %lld changes\n", i->path, i->device,
	    vocab_show(vocab_get("role"), i->role), i->role, i->org_code,
	    i->street[0] ? text_show(i->street) : "(not yet contacted)",
	    cli->server ? cli->server : i->server,
	    when, (long long)i->pending_txns, (long long)i->pending_changes);
	print_outcomes(replica_db(r), 20);
	print_notices(replica_db(r), 10);
	if (check) {
		struct sync_opts o = { 0 };
		struct sync_report rep;
		enum sync_fail f;
		char err[1024] = "";
		o.server = cli->server;
		o.operator_name = cli->operator_name;
		o.check_only = 1;
		if (sync_run(r, &o, &rep, &f, err, sizeof err) != 0) {
			printf("连接检查 Check:    failed: %s\n", text_show(err));
			rc = fail_exit(f);
		} else {
			printf("连接检查 Check:    ok: connected to %s (tongxind %s) as %s\n",
			    text_show(rep.street), text_show(rep.server_version), text_show(rep.device));
		}
	}
	replica_close(r);
	return rc;
}

/* --- sync ---------------------------------------------------------------- */

static int
verb_sync(struct cli *cli, int argc, char **argv)
{
	return cmd_run(cmd_entries_sync, cli, argc, argv);
}

static int
sync_exec(struct cli *cli, const struct cmd_args *a)
{
	struct replica *r;
	struct sync_opts o = { 0 };
	struct sync_report rep;
	enum sync_fail f;
	char err[1024] = "";
	int rc;

	o.push_only = cmd_has(a, "push-only");
	o.pull_only = cmd_has(a, "pull-only");
	o.verify = cmd_has(a, "verify");
	if (o.push_only && o.pull_only) {
		fprintf(stderr, "tongxin sync: --push-only 与 --pull-only 只能选一个 "
		    "(choose one of --push-only and --pull-only)\n");
		return EXIT_USAGE;
	}
	if ((r = cli_open(cli)) == NULL)
		return EXIT_FAIL;
	o.server = cli->server;
	o.operator_name = cli->operator_name;
	o.progress = !cli->quiet && isatty(2);
	o.die_after_push = getenv("TONGXIN_TEST_DIE_AFTER_PUSH") != NULL;
	rc = sync_run(r, &o, &rep, &f, err, sizeof err);
	if (rc != 0) {
		fprintf(stderr, "tongxin sync: %s\n", text_show(err));
		if (rep.pushed_txns)
			fprintf(stderr, "  (%lld transactions were acknowledged before the failure)\n",
			    (long long)rep.pushed_txns);
		replica_close(r);
		return fail_exit(f);
	}
	if (!cli->quiet) {
		printf("同步完成 Sync complete with %s (%s)\n", text_show(rep.street),
		    cli->server ? cli->server : replica_info(r)->server);
		printf("  推送 pushed %lld transactions: %lld applied, %lld merged, %lld conflict, "
		    "%lld rejected", (long long)rep.pushed_txns, (long long)rep.acks.applied,
		    (long long)rep.acks.merged, (long long)rep.acks.conflict,
		    (long long)rep.acks.rejected);
		if (rep.acks.duplicate)
			printf(" (%lld already known to the server)", (long long)rep.acks.duplicate);
		printf("\n  拉取 pulled %llu rows, removed %llu that left this device's scope\n",
		    (unsigned long long)rep.pulled_rows, (unsigned long long)rep.evicted_rows);
		if (rep.restored)
			printf("  服务器已从备份恢复，已补传本机保存的修改 The server was restored from a backup:\n"
			    "    sent back %llu rows it had lost (%llu written, %llu it had already,\n"
			    "    %llu queued as conflicts for the street, %llu refused), and %llu kept\n"
			    "    conflicts again; every table was pulled again\n",
			    (unsigned long long)rep.recover_rows, (unsigned long long)rep.recover_applied,
			    (unsigned long long)rep.recover_known,
			    (unsigned long long)rep.recover_conflicts,
			    (unsigned long long)rep.recover_rejected,
			    (unsigned long long)rep.resent_conflicts);
		if (rep.resolutions)
			printf("  已处理冲突 %llu of this device's conflicts were settled by the street\n",
			    (unsigned long long)rep.resolutions);
		if (rep.verify[0])
			printf("  副本核对 replica check: %s\n", text_show(rep.verify));
		if (rep.notices)
			print_notices(replica_db(r), (int)rep.notices);
		if (rep.acks.conflict || rep.acks.rejected || rep.acks.noted || rep.resolutions)
			print_outcomes(replica_db(r), (int)(rep.acks.conflict + rep.acks.rejected +
			    rep.acks.noted + (int64_t)rep.resolutions));
	}
	replica_close(r);
	if (rep.acks.rejected) {
		/* Never silent, not even with --quiet: a script sees it in the status too. */
		fprintf(stderr, "tongxin sync: 有 %lld 个修改被街道服务器退回，未生效；原因见上方或 "
		    "tongxin status (%lld changes were rejected)\n", (long long)rep.acks.rejected,
		    (long long)rep.acks.rejected);
		return EXIT_REJECTED;
	}
	return EXIT_OK;
}

/* --- records ------------------------------------------------------------- */

/* Find an organisation's id by code in the replica. 0 found, -1 not. */
int
org_id_by_code(sqlite3 *db, const char *code, char id[ID_TEXT_LEN + 1])
{
	sqlite3_stmt *st;
	int rc = -1;

	if (sqlite3_prepare_v2(db, "SELECT id FROM org WHERE code = ?1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(id, ID_TEXT_LEN + 1, "%s", (const char *)sqlite3_column_text(st, 0));
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

/*
 * Parse "--field value" pairs into values for table t. Column names take
 * dashes for underscores; --branch and --parent take organisation codes.
 * Marks set[] for the columns given. Returns 0, or an exit code.
 */
int
parse_fields(sqlite3 *db, int t, int n, const char *const *fname, const char *const *fval,
    Tongxin__Value *vals, int *set, const char *verbname)
{
	const struct table_def *td = &schema_tables[t];
	static char ids[8][ID_TEXT_LEN + 1];
	int nid = 0;

	for (int i = 0; i < n; i++) {
		char name[64], optbuf[72];
		const char *opt = optbuf, *val = fval[i];
		int c;

		snprintf(optbuf, sizeof optbuf, "--%s", fname[i]);
		snprintf(name, sizeof name, "%s", fname[i]);
		for (char *p = name; *p; p++)
			if (*p == '-')
				*p = '_';
		if ((strcmp(name, "branch") == 0 && t != TBL_ORG) ||
		    (strcmp(name, "parent") == 0 && t == TBL_ORG) ||
		    strcmp(name, "org") == 0) {
			if (nid == 8 || org_id_by_code(db, val, ids[nid]) != 0) {
				fprintf(stderr, "tongxin %s: 未知组织 unknown organisation code \"%s\"\n",
				    verbname, val);
				return EXIT_INVALID;
			}
			c = schema_col_index(td, t == TBL_ORG ? "parent_id" : "org_id");
			value_set_text(&vals[c], ids[nid++]);
			set[c] = 1;
			continue;
		}
		if ((c = schema_col_index(td, name)) < 0) {
			fprintf(stderr, "tongxin %s: unknown field --%s\n", verbname, opt + 2);
			return EXIT_USAGE;
		}
		if (td->cols[c].type == COL_BOOL) {
			const char *b = vocab_parse(vocab_get("bool"), val);
			if (b == NULL)
				return vocab_refuse(verbname, td->cols[c].label, opt, vocab_get("bool"),
				    val);
			value_set_int(&vals[c], b[0] == '1');
		} else if (td->cols[c].type == COL_ENUM && val[0] != '\0') {
			const char *stored = vocab_col_store(&td->cols[c], val);
			if (stored == NULL)
				return vocab_refuse(verbname, td->cols[c].label, opt,
				    vocab_of_col(&td->cols[c]), val);
			value_set_text(&vals[c], stored);
		} else if (td->cols[c].type == COL_INT) {
			char *end;
			long long v;
			{
				errno = 0;
				v = strtoll(val, &end, 10);
				if (errno || *end || end == val) {
					fprintf(stderr, "tongxin %s: %s (--%s) must be a number\n", verbname,
					    td->cols[c].label, opt + 2);
					return EXIT_INVALID;
				}
			}
			value_set_int(&vals[c], v);
		} else if (val[0] == '\0') {
			value_set_null(&vals[c]);
		} else {
			value_set_text(&vals[c], val);
		}
		set[c] = 1;
	}
	return 0;
}

int
vocab_refuse(const char *verbname, const char *what, const char *opt, const struct vocab *v,
    const char *given)
{
	char allowed[2048];

	vocab_list(v, strcmp(v->name, "ethnicity") != 0, "、", allowed, sizeof allowed);
	fprintf(stderr, "tongxin %s: %s (%s) 取值 \"%s\" 无效 invalid value; 可选 allowed: %s\n",
	    verbname, what, opt, text_show(given), allowed);
	if (v->store_label || strcmp(v->name, "ethnicity") == 0)
		fprintf(stderr, "  (也可填写代码 or the GB 3304 code, e.g. 01 = %s)\n",
		    v->entries[0].label);
	return EXIT_INVALID;
}

/* Validate every set value; print the first problem. */
int
check_values(int t, const Tongxin__Value *vals, const int *set, int insert, const char *verbname)
{
	const struct table_def *td = &schema_tables[t];
	char why[512];

	for (int c = 0; c < td->ncols; c++) {
		if (insert && (td->cols[c].flags & COLF_REQUIRED) &&
		    vals[c].kind_case == TONGXIN__VALUE__KIND__NOT_SET) {
			char opt[64];
			/* Name the option the clerk types, not the column. */
			if (strcmp(td->cols[c].name, "org_id") == 0)
				snprintf(opt, sizeof opt, "%s", t == TBL_MEMBER ? "branch" : "org");
			else if (strcmp(td->cols[c].name, "parent_id") == 0)
				snprintf(opt, sizeof opt, "parent");
			else
				snprintf(opt, sizeof opt, "%s", td->cols[c].name);
			for (char *p = opt; *p; p++)
				if (*p == '_')
					*p = '-';
			fprintf(stderr, "tongxin %s: 缺少必填项 %s (--%s)\n", verbname, td->cols[c].label,
			    opt);
			return EXIT_INVALID;
		}
		if (set[c] && validate_value(&td->cols[c], &vals[c], why, sizeof why) != 0) {
			fprintf(stderr, "tongxin %s: %s\n", verbname, why);
			return EXIT_INVALID;
		}
	}
	if (insert) {
		char today[11];
		today_str(today);
		if (validate_row(t, vals, today, why, sizeof why) != 0) {
			fprintf(stderr, "tongxin %s: %s\n", verbname, why);
			return EXIT_INVALID;
		}
	}
	return 0;
}

/* Commit a single-row write, printing errors. */
int
commit_or_fail(struct replica *r, const char *verbname)
{
	char err[512] = "";
	if (rep_commit(r, err, sizeof err) != 0) {
		fprintf(stderr, "tongxin %s: %s\n", verbname, err);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int dom_exit(const struct dom_error *e, int t, const char *verbname);

/* org add: the domain layer validates (tree rules included) and writes in one transaction. */
static int
org_add(struct cli *cli, struct replica *r, int n, const char *const *fname,
    const char *const *fval)
{
	const struct table_def *td = &schema_tables[TBL_ORG];
	Tongxin__Value vals[MAX_COLS];
	int set[MAX_COLS] = { 0 }, rc;
	char id[ID_TEXT_LEN + 1], parent[ID_TEXT_LEN + 1];
	struct dom_error e;

	memset(vals, 0, sizeof vals);
	if ((rc = parse_fields(replica_db(r), TBL_ORG, n, fname, fval, vals, set, "org add")) != 0)
		return rc;
	if (!set[schema_col_index(td, "parent_id")]) {
		if (org_id_by_code(replica_db(r), replica_info(r)->org_code, parent) != 0) {
			fprintf(stderr, "tongxin org add: this device's organisation %s is not in the "
			    "replica yet; run \"tongxin sync\" first or give --parent CODE\n",
			    replica_info(r)->org_code);
			return EXIT_INVALID;
		}
		value_set_text(&vals[schema_col_index(td, "parent_id")], parent);
		set[schema_col_index(td, "parent_id")] = 1;
	}
	if (dom_org_add(r, cli->operator_name, vals, set, false, id, &e) != 0)
		return dom_exit(&e, TBL_ORG, "org add");
	if (!cli->quiet)
		printf("已添加组织 Added organisation %s %s (id %s)\n",
		    text_show(vals[schema_col_index(td, "code")].s),
		    text_show(vals[schema_col_index(td, "name")].s), id);
	return EXIT_OK;
}

/*
 * Update the given columns of a row: parse the options, then the domain
 * layer validates (the row as it is in the transaction) and writes.
 */
int
edit_row(struct cli *cli, struct replica *r, int t, const char *id, int n,
    const char *const *fname, const char *const *fval, const char *verbname)
{
	Tongxin__Value vals[MAX_COLS];
	int set[MAX_COLS] = { 0 }, rc;
	struct dom_error e;

	memset(vals, 0, sizeof vals);
	if (n == 0) {
		fprintf(stderr, "tongxin %s: nothing to change (give --FIELD VALUE)\n", verbname);
		return EXIT_USAGE;
	}
	if ((rc = parse_fields(replica_db(r), t, n, fname, fval, vals, set, verbname)) != 0)
		return rc;
	if (dom_row_edit(r, cli->operator_name, t, id, vals, set, false, &e) != 0)
		return dom_exit(&e, t, verbname);
	if (!cli->quiet)
		printf("已修改 Updated %s %s\n", schema_tables[t].name, id);
	return EXIT_OK;
}

static int
org_list(struct cli *cli, struct replica *r)
{
	static const char *const ids[] = { "code", "name", "kind", "parent", "secretary", "members" };
	static const char *const hdr[] = { "编码", "名称", "类别", "上级", "书记", "党员数" };
	struct table *t = table_new(6, ids, hdr);
	sqlite3_stmt *st;

	if (t == NULL || sqlite3_prepare_v2(replica_db(r),
	    "SELECT o.code, o.name, o.kind, p.code, o.secretary,"
	    " (SELECT count(*) FROM member m WHERE m.org_id = o.id AND " DOM_MEMBER_COUNTED ")"
	    " FROM org o LEFT JOIN org p ON p.id = o.parent_id ORDER BY o.code", -1, &st,
	    NULL) != SQLITE_OK) {
		table_free(t);
		return EXIT_FAIL;
	}
	table_set_vocab(t, 2, vocab_get("org_kind"));
	table_set_number(t, 5);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *cells[6];
		for (int c = 0; c < 6; c++)
			cells[c] = (const char *)sqlite3_column_text(st, c);
		table_add(t, cells);
	}
	sqlite3_finalize(st);
	table_print(t, stdout, cli->fmt);
	return EXIT_OK;
}

/* One organisation in the tree view. */
struct tnode {
	char id[ID_TEXT_LEN + 1];
	char parent[ID_TEXT_LEN + 1];
	char *code, *name, *kind, *secretary;
	int dissolved;
	long direct, total;
};

static const char *
org_kind_label(const char *kind)
{
	return vocab_show(vocab_get("org_kind"), kind);
}

/* The tree as rows for --csv / --json: parent codes, direct and subtree member counts. */
static void
tree_rows(struct cli *cli, struct tnode *n, size_t cnt)
{
	static const char *const ids[] = { "code", "name", "kind", "parent", "secretary",
		"dissolved", "members", "members_total" };
	static const char *const hdr[] = { "编码", "名称", "类别", "上级", "书记", "已撤销",
		"直属党员", "党员总数" };
	struct table *t = table_new(8, ids, hdr);

	if (t == NULL)
		return;
	table_set_vocab(t, 2, vocab_get("org_kind"));
	table_set_bool(t, 5);
	table_set_number(t, 6);
	table_set_number(t, 7);
	for (size_t i = 0; i < cnt; i++) {
		char direct[24], total[24];
		const char *parent = NULL, *cells[8];
		for (size_t j = 0; j < cnt && parent == NULL; j++)
			if (strcmp(n[j].id, n[i].parent) == 0)
				parent = n[j].code;
		snprintf(direct, sizeof direct, "%ld", n[i].direct);
		snprintf(total, sizeof total, "%ld", n[i].total);
		cells[0] = n[i].code;
		cells[1] = n[i].name;
		cells[2] = n[i].kind;
		cells[3] = parent;
		cells[4] = n[i].secretary;
		cells[5] = n[i].dissolved ? "1" : "0";
		cells[6] = direct;
		cells[7] = total;
		table_add(t, cells);
	}
	table_print(t, stdout, cli->fmt);
}

/* Sum members over subtrees (depth bounded: the tree is shallow, cycles cannot loop). */
static long
tree_total(struct tnode *n, size_t cnt, size_t i, int depth)
{
	long sum = n[i].direct;
	if (depth > 16)
		return sum;
	for (size_t j = 0; j < cnt; j++)
		if (strcmp(n[j].parent, n[i].id) == 0)
			sum += tree_total(n, cnt, j, depth + 1);
	return n[i].total = sum;
}

static void
tree_print(struct tnode *n, size_t cnt, size_t i, const char *prefix, int last, int depth)
{
	char next[256];
	size_t kids = 0, seen = 0;

	printf("%s%s%s（%s）%s · 党员 %ld", prefix, depth == 0 ? "" : last ? "└─ " : "├─ ",
	    text_show(n[i].name), text_show(n[i].code), text_show(org_kind_label(n[i].kind)),
	    n[i].total);
	if (n[i].secretary && n[i].secretary[0])
		printf(" · 书记 %s", text_show(n[i].secretary));
	if (n[i].dissolved)
		printf(" · 已撤销");
	printf("\n");
	if (depth > 16)
		return;
	snprintf(next, sizeof next, "%s%s", prefix, depth == 0 ? "" : last ? "   " : "│  ");
	for (size_t j = 0; j < cnt; j++)
		kids += strcmp(n[j].parent, n[i].id) == 0;
	for (size_t j = 0; j < cnt; j++)
		if (strcmp(n[j].parent, n[i].id) == 0)
			tree_print(n, cnt, j, next, ++seen == kids, depth + 1);
}

static int
org_tree(struct cli *cli, struct replica *r)
{
	struct tnode *n = NULL;
	size_t cnt = 0, cap = 0;
	sqlite3_stmt *st;

	(void)cli;
	if (sqlite3_prepare_v2(replica_db(r), "SELECT o.id, coalesce(o.parent_id, ''), o.code, o.name,"
	    " o.kind, o.secretary, coalesce(o.dissolved, 0),"
	    " (SELECT count(*) FROM member m WHERE m.org_id = o.id AND " DOM_MEMBER_COUNTED ") FROM org o ORDER BY o.code", -1,
	    &st, NULL) != SQLITE_OK)
		return EXIT_FAIL;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (cnt == cap) {
			struct tnode *nn = realloc(n, (cap = cap ? cap * 2 : 64) * sizeof *n);
			if (nn == NULL)
				break;
			n = nn;
		}
		memset(&n[cnt], 0, sizeof n[cnt]);
		snprintf(n[cnt].id, sizeof n[cnt].id, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(n[cnt].parent, sizeof n[cnt].parent, "%s",
		    (const char *)sqlite3_column_text(st, 1));
		n[cnt].code = strdup((const char *)sqlite3_column_text(st, 2));
		n[cnt].name = strdup((const char *)sqlite3_column_text(st, 3));
		n[cnt].kind = strdup((const char *)sqlite3_column_text(st, 4));
		n[cnt].secretary = sqlite3_column_type(st, 5) == SQLITE_NULL ? NULL :
		    strdup((const char *)sqlite3_column_text(st, 5));
		n[cnt].dissolved = sqlite3_column_int(st, 6);
		n[cnt].direct = sqlite3_column_int64(st, 7);
		cnt++;
	}
	sqlite3_finalize(st);
	if (cnt == 0 && cli->fmt == TABLE_TEXT)
		printf("副本中还没有组织 No organisations in this replica yet; run \"tongxin sync\".\n");
	/* Roots: organisations whose parent this replica does not hold. */
	for (size_t i = 0; i < cnt; i++) {
		int has_parent = 0;
		for (size_t j = 0; j < cnt && !has_parent; j++)
			has_parent = strcmp(n[j].id, n[i].parent) == 0;
		if (!has_parent) {
			tree_total(n, cnt, i, 0);
			if (cli->fmt == TABLE_TEXT)
				tree_print(n, cnt, i, "", 1, 0);
		}
	}
	if (cli->fmt != TABLE_TEXT)
		tree_rows(cli, n, cnt);
	for (size_t i = 0; i < cnt; i++) {
		free(n[i].code);
		free(n[i].name);
		free(n[i].kind);
		free(n[i].secretary);
	}
	free(n);
	return EXIT_OK;
}

/*
 * Whether the running verb reached an exec (false: cmd_run printed a
 * help or refused the line), so a --help can add the allowed values.
 */
/*
 * Run one verb's table, and after a --help that ran nothing add the
 * vocabulary's allowed values (vocab_help) and the exit statuses.
 */
static int
run_table(const struct cmd_entry *table, struct cli *cli, int argc, char **argv)
{
	int rc;

	ran = false;
	rc = cmd_run(table, cli, argc, argv);
	if (rc == EXIT_OK && !ran) {
		fputc('\n', stdout);
		vocab_help(stdout, table->verb);
		fprintf(stdout, "\n%s", exit_codes_help);
	}
	return rc;
}

/*
 * The declared options of a in names (those of the schema, given) followed
 * by the --COLUMN VALUE pairs, as parse_fields takes them. Returns the count.
 */
static int
args_pairs(const struct cmd_args *a, const char *const *declared, const char **names,
    const char **vals)
{
	int n = 0;

	for (const char *const *d = declared; d && *d; d++)
		if (cmd_get(a, *d) != NULL && n < CMD_MAX_FIELDS) {
			names[n] = *d;
			vals[n++] = cmd_get(a, *d);
		}
	for (int i = 0; i < a->nfields && n < CMD_MAX_FIELDS; i++) {
		names[n] = a->field_name[i];
		vals[n++] = a->field_val[i];
	}
	return n;
}

static int
org_add_exec(struct cli *cli, const struct cmd_args *a)
{
	static const char *const declared[] = { "code", "name", "kind", "parent", NULL };
	const char *fname[CMD_MAX_FIELDS], *fval[CMD_MAX_FIELDS];
	struct replica *r;
	int rc, n;

	ran = true;
	n = args_pairs(a, declared, fname, fval);
	if ((r = cli_open(cli)) == NULL)
		return EXIT_FAIL;
	rc = org_add(cli, r, n, fname, fval);
	replica_close(r);
	return rc;
}

static int
org_edit_exec(struct cli *cli, const struct cmd_args *a)
{
	const char *fname[CMD_MAX_FIELDS], *fval[CMD_MAX_FIELDS];
	char id[ID_TEXT_LEN + 1];
	struct replica *r;
	int rc, n;

	ran = true;
	n = args_pairs(a, NULL, fname, fval);
	if (n == 0) {
		fprintf(stderr, "tongxin org edit: nothing to change (give --FIELD VALUE)\n");
		return EXIT_USAGE;
	}
	if ((r = cli_open(cli)) == NULL)
		return EXIT_FAIL;
	if (org_id_by_code(replica_db(r), a->argv[0], id) != 0) {
		fprintf(stderr, "tongxin org edit: 未知组织 unknown organisation code \"%s\"\n",
		    text_show(a->argv[0]));
		rc = EXIT_NOT_FOUND;
	} else {
		rc = edit_row(cli, r, TBL_ORG, id, n, fname, fval, "org edit");
	}
	replica_close(r);
	return rc;
}

static int
org_list_exec(struct cli *cli, const struct cmd_args *a)
{
	struct replica *r;
	int rc;

	(void)a;
	ran = true;
	if ((r = cli_open(cli)) == NULL)
		return EXIT_FAIL;
	rc = org_list(cli, r);
	replica_close(r);
	return rc;
}

static int
org_tree_exec(struct cli *cli, const struct cmd_args *a)
{
	struct replica *r;
	int rc;

	(void)a;
	ran = true;
	if ((r = cli_open(cli)) == NULL)
		return EXIT_FAIL;
	rc = org_tree(cli, r);
	replica_close(r);
	return rc;
}

static const struct cmd_opt org_add_opts[] = {
	{ "code", "CODE", CMD_OPT_REQUIRED, "组织编码 the organisation's code (unique)" },
	{ "name", "NAME", CMD_OPT_REQUIRED, "组织名称 its name" },
	{ "kind", "KIND", CMD_OPT_REQUIRED, "组织类别 its kind (allowed values below)" },
	{ "parent", "CODE", 0, "上级组织 the parent's code (default: this device's organisation)" },
	{ NULL, NULL, 0, NULL },
};

const struct cmd_entry cmd_entries_org[] = {
	{ "org", "add", NULL, 0, 0, org_add_opts, TBL_ORG, CMD_FIELDS,
	  "添加组织 Add an organisation (组织) under its parent, in one local transaction.\n"
	  "Fields: --branch-type, --secretary, --founded-on, --term-start, --term-end,\n"
	  "--dissolved.\n", org_add_exec },
	{ "org", "edit", "CODE", 1, 1, NULL, TBL_ORG, CMD_FIELDS,
	  "修改组织 Change the given fields of the organisation with code CODE.\n", org_edit_exec },
	{ "org", "list", NULL, 0, 0, NULL, 0, 0,
	  "列出组织 The organisations of the replica, by code, with their members (党员数:\n"
	  "in normal standing, not those who left - 党员减少 - nor suspended ones).\n",
	  org_list_exec },
	{ "org", "tree", NULL, 0, 0, NULL, 0, 0,
	  "组织树 The organisations as a tree, with their members counted as report\n"
	  "profile counts them (in normal standing; not those who left, 党员减少).\n",
	  org_tree_exec },
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

static int
verb_org(struct cli *cli, int argc, char **argv)
{
	return run_table(cmd_entries_org, cli, argc, argv);
}

int
row_by_suffix(sqlite3 *db, int t, const char *key, char id[ID_TEXT_LEN + 1],
    const char *verbname, const char *what_zh, const char *what_en)
{
	char sql[160];
	sqlite3_stmt *st;
	size_t len = strlen(key);
	int n = 0;

	if (len < 6 || len > ID_TEXT_LEN) {
		fprintf(stderr, "tongxin %s: 编号无效 give the %s's id or its last 6+ characters, "
		    "not \"%s\"\n", verbname, what_en, key);
		return EXIT_USAGE;
	}
	/* The table name comes from the schema, never from input. */
	snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE id = lower(?1)"
	    " OR substr(id, -length(?1)) = lower(?1) ORDER BY id LIMIT 2", schema_tables[t].name);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "tongxin %s: %s\n", verbname, sqlite3_errmsg(db));
		return EXIT_FAIL;
	}
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW)
		if (n++ == 0)
			snprintf(id, ID_TEXT_LEN + 1, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (n == 0)
		fprintf(stderr, "tongxin %s: 未找到%s no %s \"%s\" in this replica\n", verbname, what_zh,
		    what_en, key);
	else if (n > 1)
		fprintf(stderr, "tongxin %s: 编号不唯一 more than one %s ends in \"%s\"; give more "
		    "characters\n", verbname, what_en, key);
	return n == 1 ? 0 : EXIT_FAIL;
}

/* Resolve a member given by id or citizen ID number. */
int
member_id(sqlite3 *db, const char *key, char id[ID_TEXT_LEN + 1])
{
	sqlite3_stmt *st;
	int rc = -1;

	if (sqlite3_prepare_v2(db, "SELECT id FROM member WHERE id = ?1 OR id_number = ?1", -1, &st,
	    NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(id, ID_TEXT_LEN + 1, "%s", (const char *)sqlite3_column_text(st, 0));
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

/*
 * The domain's failure as the CLI reports it: the message after the verb
 * (a missing item with the option that gives it), and the exit code.
 */
static int
dom_exit(const struct dom_error *e, int t, const char *verbname)
{
	if (e->kind == DOM_MISSING && e->col >= 0) {
		const char *name = schema_tables[t].cols[e->col].name;
		char opt[64];
		/* Name the option the clerk types, not the column. */
		snprintf(opt, sizeof opt, "%s", strcmp(name, "org_id") == 0 ?
		    (t == TBL_MEMBER ? "branch" : "org") : strcmp(name, "parent_id") == 0 ? "parent" :
		    name);
		for (char *p = opt; *p; p++)
			if (*p == '_')
				*p = '-';
		fprintf(stderr, "tongxin %s: %s (--%s)\n", verbname, text_show(e->msg), opt);
	} else {
		fprintf(stderr, "tongxin %s: %s\n", verbname, text_show(e->msg));
	}
	return cmd_exit_of(e->kind);
}

/* member add: the domain layer validates and writes in one local transaction. */
static int
member_add(struct cli *cli, struct replica *r, int n, const char *const *fname,
    const char *const *fval)
{
	const struct table_def *td = &schema_tables[TBL_MEMBER];
	Tongxin__Value vals[MAX_COLS];
	int set[MAX_COLS] = { 0 }, rc;
	char id[ID_TEXT_LEN + 1];
	struct dom_error e;

	memset(vals, 0, sizeof vals);
	if ((rc = parse_fields(replica_db(r), TBL_MEMBER, n, fname, fval, vals, set,
	    "member add")) != 0)
		return rc;
	if (dom_member_add(r, cli->operator_name, vals, set, false, id, &e) != 0)
		return dom_exit(&e, TBL_MEMBER, "member add");
	if (!cli->quiet)
		printf("已添加党员 Added member %s (id %s)\n",
		    text_show(vals[schema_col_index(td, "name")].s), id);
	return EXIT_OK;
}

/* The rows of member list: its query, read once per pass (table_stream). */
struct member_list_fill {
	sqlite3_stmt *st;
	enum table_format fmt;
	bool all;
};

/* Add every row of the query to t (the query restarts: TEXT reads it twice). */
static int
member_list_fill(struct table *t, void *arg)
{
	struct member_list_fill *m = arg;
	int json = m->fmt == TABLE_JSON, off = json ? 1 : 0, rc;

	sqlite3_reset(m->st);
	while ((rc = sqlite3_step(m->st)) == SQLITE_ROW) {
		const char *cells[11];
		const char *id = (const char *)sqlite3_column_text(m->st, 0);
		cells[0] = m->fmt == TABLE_TEXT ? dom_short(id) : id;
		if (json)
			cells[1] = dom_short(id);
		for (int c = 1; c < (m->all ? 10 : 8); c++)
			cells[c + off] = (const char *)sqlite3_column_text(m->st, c);
		if (table_add(t, cells) != 0)
			return -1;
	}
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * member list [--branch CODE] [--all]: the active members (DOM_MEMBER_ACTIVE:
 * not those who left, 党员减少), or with --all every record, with its
 * standing and how the member left (减少方式) as two more columns. Streamed
 * (table.h): a street's million members print in a few megabytes, the text
 * table reading the rows twice in one snapshot to align them.
 */
static int
member_list(struct cli *cli, struct replica *r, int argc, char **argv)
{
	/*
	 * Text shows the short handle (dom_short) in 编号; CSV keeps the whole
	 * id; JSON keeps "id" and adds "handle".
	 */
	static const char *const ids[] = { "id", "handle", "name", "gender", "birth_date",
		"category", "branch", "join_date", "phone", "standing", "left_reason" };
	static const char *const hdr[] = { "编号", "编号", "姓名", "性别", "出生日期", "类别", "支部",
		"入党日期", "电话", "党籍状态", "减少方式" };
	const struct table_def *td = &schema_tables[TBL_MEMBER];
	const char *ids_[11], *hdr_[11];
	int json = cli->fmt == TABLE_JSON, off = json ? 1 : 0, ncols, rc;
	struct dom_snapshot snap;
	struct member_list_fill m = { .fmt = cli->fmt };
	struct dom_error e;
	struct table *t;
	const char *branch = NULL;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--branch") == 0 && i + 1 < argc)
			branch = argv[++i];
		else if (strcmp(argv[i], "--all") == 0)
			m.all = true;
		else
			return verb_usage("member", 0);
	}
	/* The columns: the handle only in JSON; standing and 减少方式 only with --all. */
	ncols = 0;
	for (int c = 0; c < 11; c++) {
		if ((c == 1 && !json) || (c >= 9 && !m.all))
			continue;
		ids_[ncols] = ids[c];
		hdr_[ncols++] = hdr[c];
	}
	if ((t = table_new(ncols, ids_, hdr_)) == NULL ||
	    sqlite3_prepare_v2(replica_db(r),
	    "SELECT m.id, m.name, m.gender, m.birth_date, m.category, o.name, m.join_date,"
	    " m.phone, coalesce(m.standing, 'normal'), m.left_reason"
	    " FROM member m LEFT JOIN org o ON o.id = m.org_id"
	    " WHERE (?1 IS NULL OR o.code = ?1) AND (?2 OR " DOM_MEMBER_ACTIVE ")"
	    " ORDER BY o.code, m.name", -1, &m.st, NULL) != SQLITE_OK) {
		table_free(t);
		return EXIT_FAIL;
	}
	if (branch)
		sqlite3_bind_text(m.st, 1, branch, -1, SQLITE_STATIC);
	sqlite3_bind_int(m.st, 2, m.all);
	/* Codes in the cells: tables show labels, JSON gives both. */
	table_set_col(t, 2 + off, &td->cols[schema_col_index(td, "gender")]);
	table_set_col(t, 4 + off, &td->cols[schema_col_index(td, "category")]);
	if (m.all) {
		table_set_col(t, 8 + off, &td->cols[schema_col_index(td, "standing")]);
		table_set_col(t, 9 + off, &td->cols[schema_col_index(td, "left_reason")]);
	}
	if (dom_read_begin(r, &snap, &e) != 0) {
		sqlite3_finalize(m.st);
		table_free(t);
		fprintf(stderr, "tongxin member list: %s\n", text_show(e.msg));
		return EXIT_FAIL;
	}
	rc = table_stream(t, stdout, cli->fmt, member_list_fill, NULL, &m);
	if (rc != 0 && ferror(stdout) == 0)
		fprintf(stderr, "tongxin member list: 副本读取失败 the replica could not be read: %s\n",
		    sqlite3_errmsg(replica_db(r)));
	sqlite3_finalize(m.st);
	dom_read_end(r, &snap);
	return rc == 0 ? EXIT_OK : EXIT_FAIL;
}

static int
member_show(struct cli *cli, struct replica *r, const char *id)
{
	const struct table_def *td = &schema_tables[TBL_MEMBER];
	Tongxin__Value vals[MAX_COLS];
	uint64_t version;
	char buf[512];
	int w = 0;

	memset(vals, 0, sizeof vals);
	if (rep_get(r, TBL_MEMBER, id, vals, &version) != 1)
		return EXIT_FAIL;
	if (cli->fmt == TABLE_JSON || cli->fmt == TABLE_CSV)
		return row_print(cli, TBL_MEMBER, id, vals);
	for (int c = 0; c < td->ncols; c++)
		if (text_width(td->cols[c].label) > w)
			w = text_width(td->cols[c].label);
	printf("编号 id");
	for (int k = text_width("编号 id"); k < w; k++)
		putchar(' ');
	printf("  %s\n", id);
	for (int c = 0; c < td->ncols; c++) {
		text_pad(stdout, td->cols[c].label, w);
		fputs("  ", stdout);
		text_put_lines(stdout, vals[c].kind_case == TONGXIN__VALUE__KIND__NOT_SET ? "" :
		    value_label(&td->cols[c], &vals[c], buf, sizeof buf), w + 2);   /* made safe */
		putchar('\n');
		value_clear(&vals[c]);
	}
	return EXIT_OK;
}

int
row_print(struct cli *cli, int t, const char *id, Tongxin__Value *vals)
{
	const struct table_def *td = &schema_tables[t];
	const char *ids[MAX_COLS + 1], *cells[MAX_COLS + 1];
	char bufs[MAX_COLS][32];
	struct table *tb;

	ids[0] = "id";
	cells[0] = id;
	for (int c = 0; c < td->ncols; c++) {
		ids[c + 1] = td->cols[c].name;
		cells[c + 1] = vals[c].kind_case == TONGXIN__VALUE__KIND_S ? vals[c].s :
		    vals[c].kind_case == TONGXIN__VALUE__KIND_I ? value_str(&vals[c], bufs[c], 32) : NULL;
	}
	if ((tb = table_new(td->ncols + 1, ids, ids)) == NULL)
		return EXIT_FAIL;
	for (int c = 0; c < td->ncols; c++)
		table_set_col(tb, c + 1, &td->cols[c]);
	table_add(tb, cells);
	if (cli->fmt == TABLE_JSON)
		table_print_object(tb, stdout, 1);   /* one record: an object */
	else
		table_print(tb, stdout, cli->fmt);
	for (int c = 0; c < td->ncols; c++)
		value_clear(&vals[c]);
	return EXIT_OK;
}

const char *
value_label(const struct col_def *cd, const Tongxin__Value *v, char *buf, size_t cap)
{
	if (cd->type == COL_BOOL && v->kind_case == TONGXIN__VALUE__KIND_I)
		return v->i ? "是" : "否";
	if (v->kind_case == TONGXIN__VALUE__KIND_S && vocab_of_col(cd) != NULL)
		return vocab_col_label(cd, v->s);
	return value_str(v, buf, cap);
}

static int
member_find(struct cli *cli, struct replica *r, const char *text)
{
	static const char *const ids[] = { "id", "name", "id_number", "branch", "phone", "flags" };
	static const char *const hdr[] = { "编号", "姓名", "公民身份号码", "支部", "电话", "标记" };
	struct table *t;
	sqlite3_stmt *st;
	char pat[256];

	if (strlen(text) == 0 || strlen(text) > 100) {
		fprintf(stderr, "tongxin member find: give 1 to 100 bytes to search for\n");
		return EXIT_USAGE;
	}
	snprintf(pat, sizeof pat, "%%%s%%", text);
	if ((t = table_new(6, ids, hdr)) == NULL || sqlite3_prepare_v2(replica_db(r),
	    "SELECT m.id, m.name, m.id_number, o.name, m.phone,"
	    " trim(CASE WHEN m.lost_contact THEN '失联 ' ELSE '' END ||"
	    " CASE WHEN m.mobile THEN '流动 ' ELSE '' END || CASE WHEN m.retired THEN '离退休 ' ELSE '' END"
	    " || CASE WHEN m.in_service THEN '在职报到 ' ELSE '' END"
	    " || CASE WHEN m.relocated THEN '拆迁 ' ELSE '' END)"
	    " FROM member m LEFT JOIN org o ON o.id = m.org_id"
	    " WHERE m.name LIKE ?1 OR m.id_number LIKE ?1 OR m.phone LIKE ?1 OR m.address LIKE ?1"
	    " ORDER BY m.name LIMIT 500", -1, &st, NULL) != SQLITE_OK) {
		table_free(t);
		return EXIT_FAIL;
	}
	sqlite3_bind_text(st, 1, pat, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *cells[6];
		for (int c = 0; c < 6; c++)
			cells[c] = (const char *)sqlite3_column_text(st, c);
		table_add(t, cells);
	}
	sqlite3_finalize(st);
	if (cli->fmt == TABLE_TEXT && table_rows(t) == 0) {
		table_free(t);
		printf("未找到 No member matches \"%s\".\n", text);
		return EXIT_FAIL;
	}
	table_print(t, stdout, cli->fmt);
	return EXIT_OK;
}

/*
 * The status verbs are edits of a few fields with their details:
 *   lost ID --since DATE [--note TEXT]     失联 (lost contact)
 *   found ID                               联系恢复
 *   mobile ID --to DESTINATION             流动党员
 *   return ID                              流动结束
 *   report ID --community CODE             在职党员到社区报到
 */
static int
member_status(struct cli *cli, struct replica *r, const char *what, const char *id, int argc,
    char **argv)
{
	const char *since = NULL, *note = NULL, *to = NULL, *community = NULL;
	static const enum dom_member_step steps[] = { DOM_STEP_LOST, DOM_STEP_FOUND, DOM_STEP_MOBILE,
	    DOM_STEP_RETURN, DOM_STEP_REPORT };
	struct dom_step_args a = { 0 };
	char org[ID_TEXT_LEN + 1], verbname[32];
	enum dom_member_step step = DOM_STEP_REPORT;
	struct dom_error e;

	for (int i = 0; i < argc; i += 2) {
		if (i + 1 >= argc)
			return verb_usage("member", 0);
		if (strcmp(argv[i], "--since") == 0)
			since = argv[i + 1];
		else if (strcmp(argv[i], "--note") == 0)
			note = argv[i + 1];
		else if (strcmp(argv[i], "--to") == 0)
			to = argv[i + 1];
		else if (strcmp(argv[i], "--community") == 0)
			community = argv[i + 1];
		else
			return verb_usage("member", 0);
	}
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
		if (strcmp(dom_step_name(steps[i]), what) == 0)
			step = steps[i];
	snprintf(verbname, sizeof verbname, "member %s", dom_step_name(step));
	a.since = since;
	a.note = note;
	a.flow_to = to;
	if (step == DOM_STEP_MOBILE && to == NULL) {
		fprintf(stderr, "tongxin member mobile: --to DESTINATION (外出流向) is required\n");
		return EXIT_USAGE;
	}
	if (step == DOM_STEP_REPORT) {
		if (community == NULL) {
			fprintf(stderr, "tongxin member report: --community CODE is required\n");
			return EXIT_USAGE;
		}
		/* A community this replica lacks (another of the street): the server resolves the code. */
		if (org_id_by_code(replica_db(r), community, org) == 0)
			a.community_id = org;
		else
			a.community_code = community;
	}
	if (dom_member_step(r, cli->operator_name, id, step, &a, false, &e) != 0)
		return dom_exit(&e, TBL_MEMBER, verbname);
	if (!cli->quiet)
		printf("已修改 Updated member %s\n", id);
	return EXIT_OK;
}

/*
 * The declared options of a that were given, then its positional
 * arguments, as the argv of the parsers member list/lost/.../import still
 * have (each value right after its option, so a value that looks like an
 * option stays a value). Returns the count (at most cap).
 */
static int
args_argv(const struct cmd_args *a, char **out, int cap)
{
	int n = 0;

	for (int i = 0; a->entry->opts && a->entry->opts[i].name; i++) {
		const struct cmd_opt *o = &a->entry->opts[i];
		static char names[CMD_MAX_OPTS][40];
		if (a->val[i] == NULL || n + 2 > cap || i >= CMD_MAX_OPTS)
			continue;
		snprintf(names[i], sizeof names[i], "--%s", o->name);
		out[n++] = names[i];
		if (o->arg)
			out[n++] = (char *)a->val[i];
	}
	for (int i = 0; i < a->argc && n < cap; i++)
		out[n++] = a->argv[i];
	return n;
}

/* The member named by handle (dom_member_handle), or an exit status having said why. */
static int
member_resolve(struct replica *r, const char *handle, char id[ID_TEXT_LEN + 1],
    const char *verbname)
{
	struct dom_error e;

	if (dom_member_handle(r, handle, id, &e) == 0)
		return 0;
	fprintf(stderr, "tongxin %s: %s\n", verbname, text_show(e.msg));
	return cmd_exit_of(e.kind);
}

static int
member_add_exec(struct cli *cli, const struct cmd_args *a)
{
	/*
	 * The required fields are --COLUMN VALUE fields, not declared options,
	 * so a later one overrides an earlier one as before (scripts append
	 * overrides); a missing one is still a usage error (2).
	 */
	static const char *const req[][2] = { { "name", "NAME" }, { "gender", "G" },
		{ "ethnicity", "E" }, { "id-number", "N" }, { "education", "E" },
		{ "category", "C" }, { "branch", "CODE" }, { "join-date", "D" } };
	const char *fname[CMD_MAX_FIELDS], *fval[CMD_MAX_FIELDS];
	struct replica *r;
	int rc, n;

	ran = true;
	n = args_pairs(a, NULL, fname, fval);
	for (size_t k = 0; k < sizeof req / sizeof req[0]; k++) {
		bool given = false;
		for (int i = 0; i < n && !given; i++)
			given = strcmp(fname[i], req[k][0]) == 0;
		if (!given) {
			fprintf(stderr, "tongxin member add: 缺少必填选项 --%s %s missing required "
			    "option\n", req[k][0], req[k][1]);
			return EXIT_USAGE;
		}
	}
	if ((r = cli_open(cli)) == NULL)
		return EXIT_FAIL;
	rc = member_add(cli, r, n, fname, fval);
	replica_close(r);
	return rc;
}

/* edit, delete, show, lost, found, mobile, return, report: one member by handle. */
static int
member_one_exec(struct cli *cli, const struct cmd_args *a)
{
	const char *sub = a->entry->sub;
	char id[ID_TEXT_LEN + 1], err[512] = "", verbname[32], *av[CMD_MAX_FIELDS];
	struct replica *r;
	int rc;

	ran = true;
	snprintf(verbname, sizeof verbname, "member %s", sub);
	if ((r = cli_open(cli)) == NULL)
		return EXIT_FAIL;
	if ((rc = member_resolve(r, a->argv[0], id, verbname)) != 0) {
		replica_close(r);
		return rc;
	}
	if (strcmp(sub, "edit") == 0) {
		const char *fname[CMD_MAX_FIELDS], *fval[CMD_MAX_FIELDS];
		int n = args_pairs(a, NULL, fname, fval);
		rc = edit_row(cli, r, TBL_MEMBER, id, n, fname, fval, "member edit");
	} else if (strcmp(sub, "show") == 0) {
		rc = member_show(cli, r, id);
	} else if (strcmp(sub, "delete") == 0) {
		if (rep_begin(r, cli->operator_name) != 0 ||
		    rep_delete(r, TBL_MEMBER, id, err, sizeof err) != 0) {
			fprintf(stderr, "tongxin member delete: %s\n", err);
			rep_rollback(r);
			rc = EXIT_FAIL;
		} else if ((rc = commit_or_fail(r, "member delete")) == EXIT_OK && !cli->quiet) {
			printf("已删除党员 Deleted member %s\n", id);
		}
	} else {
		/* The options only: the member is resolved already. */
		struct cmd_args b = *a;
		b.argc = 0;
		rc = member_status(cli, r, sub, id, args_argv(&b, av, CMD_MAX_FIELDS), av);
	}
	replica_close(r);
	return rc;
}

static int
member_list_exec(struct cli *cli, const struct cmd_args *a)
{
	char *av[CMD_MAX_FIELDS];
	struct replica *r;
	int rc;

	ran = true;
	if ((r = cli_open(cli)) == NULL)
		return EXIT_FAIL;
	rc = member_list(cli, r, args_argv(a, av, CMD_MAX_FIELDS), av);
	replica_close(r);
	return rc;
}

static int
member_find_exec(struct cli *cli, const struct cmd_args *a)
{
	struct replica *r;
	int rc;

	ran = true;
	if ((r = cli_open(cli)) == NULL)
		return EXIT_FAIL;
	rc = member_find(cli, r, a->argv[0]);
	replica_close(r);
	return rc;
}

static int
member_import_exec(struct cli *cli, const struct cmd_args *a)
{
	char *av[CMD_MAX_FIELDS];
	struct replica *r;
	int rc;

	ran = true;
	if ((r = cli_open(cli)) == NULL)
		return EXIT_FAIL;
	rc = member_import(cli, r, args_argv(a, av, CMD_MAX_FIELDS), av);
	replica_close(r);
	return rc;
}

static const struct cmd_opt member_list_opts[] = {
	{ "branch", "CODE", 0, "只列此支部 only this branch's members" },
	{ "all", NULL, 0, "包括已减少的党员 also those who left (死亡、退党、除名、开除)" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt member_lost_opts[] = {
	{ "since", "DATE", 0, "失联日期 since when (default today)" },
	{ "note", "TEXT", 0, "说明 a note" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt member_mobile_opts[] = {
	{ "to", "DESTINATION", CMD_OPT_REQUIRED, "流向 where the member went" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt member_report_opts[] = {
	{ "community", "CODE", CMD_OPT_REQUIRED, "报到的社区 the community's code" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt member_import_opts[] = {
	{ "errors", "FILE", 0, "错误行写到此文件 bad rows go there (default FILE.errors.csv)" },
	{ "take-good", NULL, 0, "导入好的行 import the good rows even if some are bad" },
	{ "check", NULL, 0, "只检查 only check, import nothing" },
	{ NULL, NULL, 0, NULL },
};

#define MEMBER_ARG "MEMBER: 公民身份号码、编号末尾至少6位或姓名 (citizen ID, the id's last\n" \
	"6+ characters as member list shows them, or a name one member has).\n"

int member_export_exec(struct cli *, const struct cmd_args *);   /* cmd_import.c */
const struct cmd_entry cmd_entries_member[] = {
	{ "member", "add", "--name NAME --gender G --ethnicity E --id-number N --education E "
	  "--category C --branch CODE --join-date D", 0, 0, NULL, TBL_MEMBER,
	  CMD_FIELDS,
	  "添加党员 Add a party member (党员), checked and written in one local transaction.\n"
	  "The birth date is taken from the citizen ID number when not given. Fields use\n"
	  "the schema's column names with dashes: --phone, --address, --job, --full-date,\n"
	  "--retired, --relocated, --mobile, --flow-to, ...\n", member_add_exec },
	{ "member", "edit", "MEMBER", 1, 1, NULL, TBL_MEMBER, CMD_FIELDS,
	  "修改党员信息 Change the given fields of one member.\n" MEMBER_ARG, member_one_exec },
	{ "member", "delete", "MEMBER", 1, 1, NULL, 0, 0,
	  "删除党员 Delete one member's record.\n" MEMBER_ARG, member_one_exec },
	{ "member", "show", "MEMBER", 1, 1, NULL, 0, 0,
	  "查看党员 One member's record.\n" MEMBER_ARG, member_one_exec },
	{ "member", "list", NULL, 0, 0, member_list_opts, 0, 0,
	  "列出党员 The members on the books, by name (not those who left: 党员减少, unless\n"
	  "--all, which adds their standing and 减少方式); 编号 is the short handle the other\n"
	  "sub-verbs take.\n",
	  member_list_exec },
	{ "member", "find", "TEXT", 1, 1, NULL, 0, 0,
	  "查找党员 Members whose name, citizen ID or phone contains TEXT.\n", member_find_exec },
	{ "member", "lost", "MEMBER", 1, 1, member_lost_opts, 0, 0,
	  "失联 Mark a member out of contact.\n" MEMBER_ARG, member_one_exec },
	{ "member", "found", "MEMBER", 1, 1, NULL, 0, 0,
	  "恢复联系 A member out of contact is back in touch.\n" MEMBER_ARG, member_one_exec },
	{ "member", "mobile", "MEMBER", 1, 1, member_mobile_opts, 0, 0,
	  "外出流动 A member went away (流动党员).\n" MEMBER_ARG, member_one_exec },
	{ "member", "return", "MEMBER", 1, 1, NULL, 0, 0,
	  "返回 A mobile member is back.\n" MEMBER_ARG, member_one_exec },
	{ "member", "report", "MEMBER", 1, 1, member_report_opts, 0, 0,
	  "到社区报到 A member reports to a community (在职党员到社区报到).\n" MEMBER_ARG,
	  member_one_exec },
	{ "member", "import", "FILE.csv", 1, 1, member_import_opts, 0, 0,
	  "导入 A CSV with the national form's columns (姓名, 性别, 公民身份号码, 所在党支部\n"
	  "CODE or name, ...); nothing is imported if a row is bad unless --take-good; bad\n"
	  "rows go to FILE.errors.csv with a 错误 column (fix and import it again); --check\n"
	  "only checks.\n", member_import_exec },
	{ "member", "export", "FILE.csv|-", 1, 1, member_list_opts, 0, 0,
	  "导出 Every member's record (--all: also those who left) as a CSV that \"member\n"
	  "import\" takes back unchanged: the form's items, flags, probation, 减少, 党费.\n",
	  member_export_exec },
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

/*
 * The member verb's sub-verbs come from three tables: the record itself
 * (above), the development and probation steps (cmd_develop.c) and the
 * end of membership and discipline (cmd_life.c).
 */
static int
verb_member(struct cli *cli, int argc, char **argv)
{
	const struct cmd_entry *const all[] = { cmd_entries_member, cmd_entries_member_develop,
	    cmd_entries_member_life };
	const struct cmd_entry *tables[sizeof all / sizeof all[0]];
	size_t n = 0;
	int rc;

	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		if (all[i]->verb != NULL)   /* an empty table takes no part */
			tables[n++] = all[i];
	ran = false;
	rc = cmd_run_tables(tables, n, cli, argc, argv);
	/*
	 * Only a help (the verb's or a sub-verb's) adds the allowed values: the
	 * sub-verbs of the other tables do not set ran, and their output (JSON)
	 * must stay theirs.
	 */
	if (rc == EXIT_OK && !ran &&
	    (has_help(argc, argv) || (argc > 1 && strcmp(argv[1], "help") == 0))) {
		fputc('\n', stdout);
		vocab_help(stdout, "member");
		fprintf(stdout, "\n%s", exit_codes_help);
	}
	return rc;
}

/* --- main ---------------------------------------------------------------- */

int
tongxin_main(int argc, char **argv)
{
	struct cli cli;
	char **args;
	int n = 0;

	memset(&cli, 0, sizeof cli);
	/*
	 * No OpenSSL clean-up at exit: it frees every table OpenSSL built (4%
	 * of the instructions of a "tongxin sync" with nothing to do), memory
	 * the kernel takes back with the process anyway. Asked before any
	 * other use of OpenSSL, which would register it.
	 */
	OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);
	log_init("tongxin", LOG_LEVEL_WARN, 0);
	if (getenv("TONGXIN_DEBUG") != NULL)
		log_set_level(LOG_LEVEL_DEBUG);   /* e.g. the replica check at open and its time */
	cli.replica = getenv("TONGXIN_REPLICA");
	if (cli.replica == NULL || cli.replica[0] == '\0')
		cli.replica = "tongxin.db";
	cli.operator_name = getenv("TONGXIN_OPERATOR");
	if ((args = calloc((size_t)argc + 1, sizeof *args)) == NULL)
		return EXIT_FAIL;
	/*
	 * The global options before the verb word are read here; everything
	 * from the verb word on is the verb's to parse (cmd_run), so a value
	 * such as `--note --json` stays a value.
	 */
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char **slot = NULL;
		if (n >= 2 || (i > 0 && a[0] != '-')) {
			args[n++] = argv[i];
			continue;
		}
		if (strncmp(a, "--replica=", 10) == 0 || strncmp(a, "--server=", 9) == 0 ||
		    strncmp(a, "--operator=", 11) == 0) {
			const char *v = strchr(a, '=') + 1;
			*(a[2] == 'r' ? &cli.replica : a[2] == 's' ? &cli.server : &cli.operator_name) = v;
			continue;
		}
		if (strcmp(a, "--replica") == 0)
			slot = &cli.replica;
		else if (strcmp(a, "--server") == 0)
			slot = &cli.server;
		else if (strcmp(a, "--operator") == 0)
			slot = &cli.operator_name;
		if (slot != NULL) {
			if (i + 1 >= argc) {
				fprintf(stderr, "tongxin: 选项 %s 缺少取值 option needs a value\n", a);
				free(args);
				return EXIT_USAGE;
			}
			*slot = argv[++i];
			continue;
		}
		if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0)
			cli.quiet = 1;
		else if (strcmp(a, "--csv") == 0)
			cli.fmt = TABLE_CSV;
		else if (strcmp(a, "--json") == 0)
			cli.fmt = TABLE_JSON;
		else
			args[n++] = argv[i];
	}
	if (cli.operator_name && strlen(cli.operator_name) > 64) {
		fprintf(stderr, "tongxin: 经办人姓名超过64字节 the operator name is longer than 64 bytes\n");
		free(args);
		return EXIT_USAGE;
	}
	if (n < 2) {
		usage_all(stderr);
		free(args);
		return EXIT_USAGE;
	}
	if (strcmp(args[1], "--help") == 0 || strcmp(args[1], "-h") == 0 ||
	    strcmp(args[1], "help") == 0) {
		usage_all(stdout);
		free(args);
		return EXIT_OK;
	}
	if (strcmp(args[1], "--version") == 0) {
		version_print("tongxin");
		free(args);
		return EXIT_OK;
	}
	for (size_t i = 0; i < NVERBS; i++)
		if (strcmp(verbs[i].name, args[1]) == 0) {
			int rc = verbs[i].run(&cli, n - 1, args + 1);
			char msg[4600];
			/* A damaged replica never ends in success (an empty list) or a vague failure. */
			if (replica_damaged()) {
				if (replica_damage_untold(msg, sizeof msg))
					fprintf(stderr, "tongxin: %s\n", msg);
				rc = EXIT_DAMAGED;
			}
			free(args);
			return rc;
		}
	fprintf(stderr, "tongxin: unknown verb \"%s\"\n", args[1]);
	usage_all(stderr);
	free(args);
	return EXIT_USAGE;
}
