/*
 * cmd_life.c - the member sub-verbs of the end of membership and of
 * discipline: leave (党员减少: death, withdrawal, removal, expulsion),
 * discipline (党纪处分), sanctions (a member's sanctions) and history (the
 * member's life in date order).
 *
 * The rules and the writes are the domain layer's (dom_life.h), which the
 * desk calls too; this file parses and prints. A member is named by any
 * member handle (dom_handle.h). Exit statuses: 2 a usage error (a missing
 * required option), 7 invalid input (a member who left already, a date in
 * the future, an unknown kind ...), 9 no such member, 1 the replica failed.
 */
#include "cli.h"
#include "cmd.h"
#include "dom_handle.h"
#include "dom_life.h"

#include <stdio.h>
#include <string.h>

#include "table.h"
#include "text.h"
#include "value.h"
#include "vocab.h"

/* The domain's refusal after the verb's name; the exit status (cmd_exit_of). */
static int
refused(const char *verbname, const struct dom_error *e)
{
	fprintf(stderr, "tongxin %s: %s\n", verbname, text_show(e->msg));
	return cmd_exit_of(e->kind);
}

/*
 * The member named by the handle a->argv[0], and its name (for the
 * confirmation; "" when unreadable). 0, or an exit status having said why.
 */
static int
member_of(struct replica *r, const struct cmd_args *a, const char *verbname,
    char id[ID_TEXT_LEN + 1], char name[256])
{
	Tongxin__Value vals[DOM_MAX_COLS];
	char org[256], rep[256];
	struct dom_error e;
	int c = schema_col_index(&schema_tables[TBL_MEMBER], "name");

	name[0] = '\0';
	if (dom_member_handle(r, a->argv[0], id, &e) != 0)
		return refused(verbname, &e);
	memset(vals, 0, sizeof vals);
	if (dom_member_get(r, id, vals, org, rep, &e) == 0 &&
	    vals[c].kind_case == TONGXIN__VALUE__KIND_S)
		snprintf(name, 256, "%s", vals[c].s);
	for (int k = 0; k < DOM_MAX_COLS; k++)
		value_clear(&vals[k]);
	return 0;
}

/* --- member leave ------------------------------------------------------------ */

static int
life_leave(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "member leave";
	struct dom_leave l = { .reason = cmd_get(a, "reason"), .date = cmd_get(a, "date"),
		.note = cmd_get(a, "note") };
	char id[ID_TEXT_LEN + 1], name[256];
	struct dom_error e;
	int rc;

	if ((rc = member_of(r, a, verbname, id, name)) != 0)
		return rc;
	if (dom_member_leave(r, cli->operator_name, id, &l, false, &e) != 0)
		return refused(verbname, &e);
	if (!cli->quiet)
		printf("已登记党员减少 %s：%s，%s\n", text_show(name),
		    vocab_show(vocab_get("leave_reason"), vocab_parse(vocab_get("leave_reason"),
		    l.reason)), l.date);
	return EXIT_OK;
}

/* --- member discipline ------------------------------------------------------- */

static int
life_discipline(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "member discipline";
	struct dom_sanction s = { .kind = cmd_get(a, "kind"), .decided_on = cmd_get(a, "date"),
		.decided_by = cmd_get(a, "by"), .grounds = cmd_get(a, "grounds"),
		.until = cmd_get(a, "until"), .note = cmd_get(a, "note") };
	const char *kind;
	char id[ID_TEXT_LEN + 1], name[256], did[ID_TEXT_LEN + 1];
	struct dom_error e;
	int rc;

	if ((rc = member_of(r, a, verbname, id, name)) != 0)
		return rc;
	if (dom_discipline_add(r, cli->operator_name, id, &s, false, did, &e) != 0)
		return refused(verbname, &e);
	if (cli->quiet)
		return EXIT_OK;
	kind = vocab_parse(vocab_get("discipline_kind"), s.kind);
	printf("已登记党纪处分 %s：%s，%s（编号 %s）\n", text_show(name),
	    vocab_show(vocab_get("discipline_kind"), kind), s.decided_on, dom_short(did));
	if (strcmp(kind, "expulsion") == 0)
		printf("已登记党员减少 %s：%s，%s\n", text_show(name),
		    vocab_show(vocab_get("leave_reason"), "expulsion"), s.decided_on);
	return EXIT_OK;
}

/* --- member sanctions -------------------------------------------------------- */

/* The table being filled. */
struct fill_ctx {
	struct table *t;
	enum table_format fmt;
	bool oom;
};

static void
sanction_row(const struct dom_sanction_row *s, void *arg)
{
	struct fill_ctx *fc = arg;
	const char *cells[8];
	int k = 0;

	cells[k++] = fc->fmt == TABLE_TEXT ? dom_short(s->id) : s->id;
	if (fc->fmt == TABLE_JSON)
		cells[k++] = dom_short(s->id);
	cells[k++] = s->kind;
	cells[k++] = s->decided_on;
	cells[k++] = s->decided_by;
	cells[k++] = s->grounds;
	cells[k++] = s->until;
	cells[k++] = s->note;
	if (table_add(fc->t, cells) != 0)
		fc->oom = true;
}

static int
life_sanctions(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "member sanctions";
	const char *ids[] = { "id", "handle", "kind", "decided_on", "decided_by", "grounds", "until",
		"note" };
	const char *hdr[] = { "编号", "编号", "处分种类", "处分日期", "决定机关", "处分事由",
		"察看期满", "备注" };
	int handle = cli->fmt == TABLE_JSON, rc;   /* whether the table has the handle column */
	char id[ID_TEXT_LEN + 1], name[256];
	struct fill_ctx fc = { .fmt = cli->fmt };
	struct dom_error e;
	bool more = false;

	if ((rc = member_of(r, a, verbname, id, name)) != 0)
		return rc;
	if (!handle) {   /* the id's header and key move over the handle's */
		hdr[1] = hdr[0];
		ids[1] = ids[0];
	}
	if ((fc.t = table_new(7 + handle, ids + 1 - handle, hdr + 1 - handle)) == NULL) {
		fprintf(stderr, "tongxin %s: 内存不足 out of memory\n", verbname);
		return EXIT_FAIL;
	}
	table_set_vocab(fc.t, 1 + handle, vocab_get("discipline_kind"));
	if (dom_discipline_list(r, id, sanction_row, &fc, &more, &e) != 0 || fc.oom) {
		table_free(fc.t);
		if (fc.oom) {
			fprintf(stderr, "tongxin %s: 内存不足 out of memory\n", verbname);
			return EXIT_FAIL;
		}
		return refused(verbname, &e);
	}
	if (cli->fmt == TABLE_TEXT && table_rows(fc.t) == 0) {
		table_free(fc.t);
		printf("%s 没有党纪处分记录 No sanctions.\n", text_show(name));
		return EXIT_OK;
	}
	table_print(fc.t, stdout, cli->fmt);
	if (more)
		fprintf(stderr, "tongxin %s: 只列出前 %d 条 only the first %d are listed\n", verbname,
		    DOM_LIFE_MAX_SANCTIONS, DOM_LIFE_MAX_SANCTIONS);
	return EXIT_OK;
}

/* --- member history ---------------------------------------------------------- */

static void
history_row(const struct dom_life_event *ev, void *arg)
{
	struct fill_ctx *fc = arg;
	const char *cells[] = { ev->date, ev->event, ev->title, ev->detail };

	/* People read the title; machines get the event's code as well. */
	if (table_add(fc->t, fc->fmt == TABLE_TEXT ? (const char *const[]){ ev->date, ev->title,
	    ev->detail } : cells) != 0)
		fc->oom = true;
}

static int
life_history(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "member history";
	const char *ids[] = { "date", "event", "title", "detail" };
	const char *hdr[] = { "日期", "事件", "事项", "说明" };
	const char *ids_text[] = { "date", "title", "detail" };
	const char *hdr_text[] = { "日期", "事项", "说明" };
	char id[ID_TEXT_LEN + 1], name[256];
	struct fill_ctx fc = { .fmt = cli->fmt };
	struct dom_error e;
	int rc;

	if ((rc = member_of(r, a, verbname, id, name)) != 0)
		return rc;
	fc.t = cli->fmt == TABLE_TEXT ? table_new(3, ids_text, hdr_text) : table_new(4, ids, hdr);
	if (fc.t == NULL) {
		fprintf(stderr, "tongxin %s: 内存不足 out of memory\n", verbname);
		return EXIT_FAIL;
	}
	if (dom_member_history(r, id, history_row, &fc, &e) != 0 || fc.oom) {
		table_free(fc.t);
		if (fc.oom) {
			fprintf(stderr, "tongxin %s: 内存不足 out of memory\n", verbname);
			return EXIT_FAIL;
		}
		return refused(verbname, &e);
	}
	if (cli->fmt == TABLE_TEXT)
		printf("%s 的党员历程 The life of a member, in date order:\n", text_show(name));
	table_print(fc.t, stdout, cli->fmt);
	return EXIT_OK;
}

/* --- the command table ------------------------------------------------------- */

/* Run one sub-verb on the replica named by the global options, then close it. */
static int
with_replica(struct cli *cli, const struct cmd_args *a,
    int (*fn)(struct cli *, struct replica *, const struct cmd_args *))
{
	struct replica *r;
	int rc;

	if ((r = cli_open(cli)) == NULL)
		return EXIT_FAIL;
	rc = fn(cli, r, a);
	replica_close(r);
	return rc;
}

static int exec_leave(struct cli *cli, const struct cmd_args *a) { return with_replica(cli, a, life_leave); }
static int exec_discipline(struct cli *cli, const struct cmd_args *a) { return with_replica(cli, a, life_discipline); }
static int exec_sanctions(struct cli *cli, const struct cmd_args *a) { return with_replica(cli, a, life_sanctions); }
static int exec_history(struct cli *cli, const struct cmd_args *a) { return with_replica(cli, a, life_history); }

static const struct cmd_opt leave_opts[] = {
	{ "reason", "R", CMD_OPT_REQUIRED, "减少方式 a label, code or alias of the --left-reason "
	  "values below" },
	{ "date", "DATE", CMD_OPT_REQUIRED, "减少日期 YYYY-MM-DD (not in the future nor before "
	  "joining)" },
	{ "note", "TEXT", 0, "减少原因 the circumstances" },
	{ NULL, NULL, 0, NULL },
};

static const struct cmd_opt discipline_opts[] = {
	{ "kind", "K", CMD_OPT_REQUIRED, "处分种类 a label, code or alias (an unknown one lists "
	  "them all)" },
	{ "date", "DATE", CMD_OPT_REQUIRED, "处分日期 YYYY-MM-DD" },
	{ "grounds", "TEXT", CMD_OPT_REQUIRED, "处分事由 the grounds" },
	{ "by", "ORGAN", 0, "决定机关 who decided" },
	{ "until", "DATE", 0, "察看期满 the end of 留党察看 (required for it, within two years)" },
	{ "note", "TEXT", 0, "备注 a note" },
	{ NULL, NULL, 0, NULL },
};

#define LIFE_MEMBER_ARG							\
	"MEMBER: the member's id or its last 6+ characters (the 编号 of member list),\n"	\
	"citizen ID number, or a name that one member has.\n"

const struct cmd_entry cmd_entries_member_life[] = {
	{ "member", "leave", "MEMBER", 1, 1, leave_opts, 0, 0,
	  "党员减少 A member leaves: death (死亡), withdrawal (退党), removal (除名) or\n"
	  "expulsion (开除党籍), with the date. Death sets the standing to 死亡 and\n"
	  "expulsion to 开除党籍 in the same change. The member stays in the replica and in\n"
	  "history (member show, member history) but leaves the counts. There is no undo:\n"
	  "a reduction recorded in error is corrected only by an administrator's edit of the\n"
	  "member (member edit MEMBER --left-reason '' --left-on '' --left-note '' and, after a\n"
	  "death or expulsion, --standing normal); a member who left is refused a second one\n"
	  "(exit 7), and so is a member whose transfer waits for the receiving office.\n"
	  LIFE_MEMBER_ARG, exec_leave },
	{ "member", "discipline", "MEMBER", 1, 1, discipline_opts, 0, 0,
	  "党纪处分 Record a sanction. --kind is one of the five of the 纪律处分条例 (an\n"
	  "unknown one is refused with the list of them). 留党察看 (probation) needs --until,\n"
	  "one or two years after the decision; 开除党籍 (expulsion) also makes the member\n"
	  "leave (党员减少) in the same change. A member who left is refused (exit 7).\n"
	  LIFE_MEMBER_ARG, exec_discipline },
	{ "member", "sanctions", "MEMBER", 1, 1, NULL, 0, 0,
	  "处分记录 A member's sanctions, by date (--csv and --json keep the whole id).\n"
	  LIFE_MEMBER_ARG, exec_sanctions },
	{ "member", "history", "MEMBER", 1, 1, NULL, 0, 0,
	  "党员历程 A member's life in date order: the application if recorded, joining,\n"
	  "extension of probation, full membership, transfers, lost contact, sanctions and\n"
	  "the end of membership.\n" LIFE_MEMBER_ARG, exec_history },
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};
