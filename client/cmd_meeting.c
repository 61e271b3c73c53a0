/*
 * cmd_meeting.c - tongxin meeting: organisational life (组织生活) records.
 *
 * The sub-verbs are rows of cmd_entries_meeting, parsed by cmd_parse (see
 * cmd.h); a meeting is named by its handle (dom_handle.h: the id or its last
 * 6+ characters, what the list shows) and an attendee by any member handle
 * (citizen ID, id suffix, a name one member has). The rules, the SQL and the
 * write are the domain layer's (dom_work.h), which the desk calls too: a
 * meeting and its attendance rows are checked and written in one local
 * transaction, and a command that fails leaves the replica and its outbox
 * exactly as they were.
 *
 * Exit statuses (cli_guide.md): 2 a usage error (an unknown option, a
 * missing required option), 7 invalid input or an ambiguous handle, 9 no
 * such meeting, member or organisation, 1 the replica failed.
 */
#include "cli.h"
#include "cmd.h"
#include "dom_handle.h"
#include "dom_work.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "validate.h"
#include "value.h"
#include "vocab.h"

#define MAX_COLS DOM_MAX_COLS

#define MCOL(name) schema_col_index(&schema_tables[TBL_MEETING], name)

/* Meeting kinds and attendance states: the vocabulary's (common/vocab.c). */
#define KINDS vocab_get("meeting_kind")

/* The schema value for a kind given as a label, code or alias, or NULL. */
static const char *
kind_canon(const char *s)
{
	return vocab_parse(KINDS, s);
}

/* The Chinese name of a kind (the value itself if it is not known). */
static const char *
kind_label(const char *id)
{
	return vocab_show(KINDS, id);
}

/* Print why a kind is unknown, with the list of kinds. */
static void
bad_kind(const char *verbname, const char *given)
{
	vocab_refuse(verbname, "会议类型", "--kind", KINDS, given);
}

/* Print why a handle names no single record (with the candidates) and return its exit status. */
static int
handle_refused(const struct dom_error *e, const char *verbname)
{
	fprintf(stderr, "tongxin %s: %s\n", verbname, text_show(e->msg));
	return cmd_exit_of(e->kind);
}

/*
 * The organisation named by code on the command line (--org), or the
 * device's own when code is NULL. 0 with id set, or an exit status having
 * said why: 9 for a code no organisation of the replica has.
 */
static int
org_resolve(struct replica *r, const char *code, char id[ID_TEXT_LEN + 1], const char *verbname)
{
	if (code != NULL) {
		if (org_id_by_code(replica_db(r), code, id) == 0)
			return 0;
		fprintf(stderr, "tongxin %s: 未知组织 unknown organisation code \"%s\"\n", verbname,
		    text_show(code));
		return EXIT_NOT_FOUND;
	}
	if (org_id_by_code(replica_db(r), replica_info(r)->org_code, id) == 0)
		return 0;
	fprintf(stderr, "tongxin %s: this device's organisation %s is not in the replica yet; run "
	    "\"tongxin sync\" first or give --org CODE\n", verbname, replica_info(r)->org_code);
	return EXIT_INVALID;
}

/* --- attendance lists ---------------------------------------------------- */

/* One member on the roll of a meeting, as given on the command line. */
struct attendee {
	char *key;              /* a member handle as given (owned): id suffix, citizen ID, name */
	char *reason;           /* excused: the reason (owned), else NULL */
	const char *status;     /* "present", "excused" or "absent" (static) */
};

struct roll {
	struct attendee *a;
	size_t n, cap;
};

static void
roll_free(struct roll *rl)
{
	for (size_t i = 0; i < rl->n; i++) {
		free(rl->a[i].key);
		free(rl->a[i].reason);
	}
	free(rl->a);
	memset(rl, 0, sizeof *rl);
}

/* A copy of s[0..n) without leading and trailing blanks. NULL on OOM. */
static char *
dup_trim(const char *s, size_t n)
{
	char *out;

	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(out, s, n);
	out[n] = '\0';
	return out;
}

/*
 * Append the comma-separated entries of list to the roll with status.
 * Excused entries are ID:REASON, ID any member handle (a full-width colon
 * also separates).
 * Empty entries (a trailing comma) are skipped. Only the syntax is checked
 * here; the rules (a reason for the excused, ...) are dom_meeting_add's.
 * Returns 0 or an exit code, having printed why.
 */
static int
roll_add(struct roll *rl, const char *list, const char *status, const char *verbname)
{
	int excused = strcmp(status, "excused") == 0;
	const char *p = list;

	while (*p) {
		const char *end = strchr(p, ','), *colon = NULL, *c1, *c2;
		size_t len = end ? (size_t)(end - p) : strlen(p), klen, sep = 0;
		struct attendee *a;
		char *key;

		if (excused) {
			c1 = memchr(p, ':', len);
			c2 = NULL;
			for (const char *q = p; q + 3 <= p + len; q++)
				if (memcmp(q, "\xef\xbc\x9a", 3) == 0) {   /* U+FF1A '：' */
					c2 = q;
					break;
				}
			if (c1 && (!c2 || c1 < c2)) {
				colon = c1;
				sep = 1;
			} else if (c2) {
				colon = c2;
				sep = 3;
			}
		}
		klen = colon ? (size_t)(colon - p) : len;
		if ((key = dup_trim(p, klen)) == NULL)
			goto oom;
		if (key[0] == '\0' && !colon) {
			free(key);   /* an empty entry */
			goto next;
		}
		if (rl->n == rl->cap) {
			size_t ncap = rl->cap ? rl->cap * 2 : 16;
			struct attendee *na = realloc(rl->a, ncap * sizeof *na);
			if (na == NULL) {
				free(key);
				goto oom;
			}
			rl->a = na;
			rl->cap = ncap;
		}
		a = &rl->a[rl->n++];
		memset(a, 0, sizeof *a);
		a->key = key;
		a->status = status;
		if (colon && (a->reason = dup_trim(colon + sep, len - klen - sep)) == NULL)
			goto oom;
		if (key[0] == '\0') {
			fprintf(stderr, "tongxin %s: 请假项缺少党员 the excused entry \"%.*s\" names no "
			    "member (--excused ID:REASON)\n", verbname, (int)len, p);
			return EXIT_INVALID;
		}
	next:
		if (end == NULL)
			break;
		p = end + 1;
	}
	return 0;
oom:
	fprintf(stderr, "tongxin %s: out of memory\n", verbname);
	return EXIT_FAIL;
}

/*
 * The domain's refusal as the CLI reports it: the message after the verb,
 * a missing item with the option that gives it, and the exit status
 * (cmd_exit_of). bad is the roll entry concerned, or -1 for the meeting
 * itself.
 */
static int
meeting_refused(const struct dom_error *e, int bad, const char *verbname)
{
	const char *opt = NULL;
	char buf[64];

	if (e->kind == DOM_MISSING && e->col >= 0 && bad >= 0) {
		opt = "--excused ID:REASON";
	} else if (e->kind == DOM_MISSING && e->col >= 0) {
		snprintf(buf, sizeof buf, "--%s", schema_tables[TBL_MEETING].cols[e->col].name);
		for (char *p = buf; *p; p++)
			if (*p == '_')
				*p = '-';
		opt = strcmp(buf, "--org-id") == 0 ? "--org" : buf;
	}
	if (opt)
		fprintf(stderr, "tongxin %s: %s (%s)\n", verbname, text_show(e->msg), opt);
	else
		fprintf(stderr, "tongxin %s: %s\n", verbname, text_show(e->msg));
	return cmd_exit_of(e->kind);
}

/* --- meeting add --------------------------------------------------------- */

/* The plain text options of meeting add and their columns. */
static const struct {
	const char *opt;
	const char *col;
} meeting_text_opts[] = {
	{ "held-on", "held_on" },
	{ "topic", "topic" },
	{ "host", "host" },
	{ "recorder", "recorder" },
	{ "minutes", "minutes" },
};

/*
 * Why the domain refused the roll entry key: when no member of the replica
 * has that handle, say so and return EXIT_NOT_FOUND (no such member is 9
 * whatever the verb); otherwise 0 and the caller reports the refusal as
 * usual. The domain resolved the entry inside its transaction; this only
 * classifies its refusal, it decides nothing.
 */
static int
attendee_missing(struct replica *r, const char *key, const struct dom_error *e,
    const char *verbname)
{
	char id[ID_TEXT_LEN + 1];
	struct dom_error e2;

	if (e->kind != DOM_INVALID || dom_member_handle(r, key, id, &e2) == 0 ||
	    e2.kind != DOM_NOT_FOUND)
		return 0;
	fprintf(stderr, "tongxin %s: %s\n", verbname, text_show(e->msg));
	return EXIT_NOT_FOUND;
}

static int
meeting_add(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "meeting add";
	Tongxin__Value vals[MAX_COLS];
	int set[MAX_COLS] = { 0 }, rc, counts[3], bad = -1;
	char org[ID_TEXT_LEN + 1], id[ID_TEXT_LEN + 1];
	const char *kind;
	struct dom_attendee *att = NULL;
	struct dom_error e;
	struct roll rl = { 0 };

	memset(vals, 0, sizeof vals);
	if ((rc = org_resolve(r, cmd_get(a, "org"), org, verbname)) != 0)
		return rc;
	value_set_text(&vals[MCOL("org_id")], org);
	set[MCOL("org_id")] = 1;
	if ((kind = kind_canon(cmd_get(a, "kind"))) == NULL) {
		bad_kind(verbname, cmd_get(a, "kind"));
		return EXIT_INVALID;
	}
	value_set_text(&vals[MCOL("kind")], kind);
	set[MCOL("kind")] = 1;
	for (size_t k = 0; k < sizeof meeting_text_opts / sizeof meeting_text_opts[0]; k++) {
		const char *v = cmd_get(a, meeting_text_opts[k].opt);
		int c = MCOL(meeting_text_opts[k].col);
		/* An empty value leaves an optional column empty (a required one is refused). */
		if (v == NULL || v[0] == '\0')
			continue;
		value_set_text(&vals[c], v);
		set[c] = 1;
	}
	/* The roll in the order given: each --present/--excused/--absent is a comma list. */
	for (int i = 0; i < a->nmulti; i++)
		if ((rc = roll_add(&rl, a->multi_val[i], a->entry->opts[a->multi_opt[i]].name,
		    verbname)) != 0)
			goto out;
	if ((att = calloc(rl.n ? rl.n : 1, sizeof *att)) == NULL) {
		fprintf(stderr, "tongxin %s: out of memory\n", verbname);
		rc = EXIT_FAIL;
		goto out;
	}
	for (size_t i = 0; i < rl.n; i++) {
		att[i].member = rl.a[i].key;
		att[i].status = rl.a[i].status;
		att[i].reason = rl.a[i].reason;
	}
	if (dom_meeting_add(r, cli->operator_name, vals, set, att, rl.n, false, id, counts, &bad,
	    &e) != 0) {
		if (bad < 0 || (size_t)bad >= rl.n ||
		    (rc = attendee_missing(r, rl.a[bad].key, &e, verbname)) == 0)
			rc = meeting_refused(&e, bad, verbname);
		goto out;
	}
	rc = EXIT_OK;
	if (!cli->quiet)
		printf("已添加会议 Added meeting %s %s「%s」(id %s): 出席 %d, 请假 %d, 缺席 %d\n",
		    vals[MCOL("held_on")].s, kind_label(vals[MCOL("kind")].s),
		    text_show(vals[MCOL("topic")].s), id, counts[DOM_PRESENT], counts[DOM_EXCUSED],
		    counts[DOM_ABSENT]);
out:
	free(att);
	roll_free(&rl);
	return rc;
}

/* --- meeting list -------------------------------------------------------- */

/* The list being filled, for list_row. */
struct list_ctx {
	struct table *t;
	enum table_format fmt;
	bool oom;
};

/*
 * One meeting as a row of the list's table: people read the short handle
 * (dom_short) in the text table; CSV and JSON keep the whole id, and JSON
 * also has the handle.
 */
static void
list_row(const struct dom_meeting_row *m, void *arg)
{
	struct list_ctx *lc = arg;
	char n[3][24];
	const char *cells[10], *id = m->id ? m->id : "";
	int k = 0;

	for (int i = 0; i < 3; i++)
		snprintf(n[i], sizeof n[i], "%lld", (long long)m->counts[i]);
	cells[k++] = lc->fmt == TABLE_TEXT ? dom_short(id) : id;
	if (lc->fmt == TABLE_JSON)
		cells[k++] = dom_short(id);
	cells[k++] = m->held_on;
	cells[k++] = m->kind;
	cells[k++] = m->org_name;
	cells[k++] = m->topic;
	cells[k++] = m->host;
	for (int i = 0; i < 3; i++)
		cells[k++] = n[i];
	if (table_add(lc->t, cells) != 0)
		lc->oom = true;
}

static int
meeting_list(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "meeting list";
	const char *ids[] = { "id", "handle", "held_on", "kind", "org", "topic", "host",
		"present", "excused", "absent" };
	const char *hdr[] = { "编号", "编号", "日期", "类型", "组织", "主题", "主持人",
		vocab_show(vocab_get("attendance"), "present"),
		vocab_show(vocab_get("attendance"), "excused"),
		vocab_show(vocab_get("attendance"), "absent") };
	const char *org = cmd_get(a, "org"), *kind = NULL, *kind_given = cmd_get(a, "kind");
	int handle = cli->fmt == TABLE_JSON, rc;   /* whether the table has the handle column */
	struct table *t;
	char oid[ID_TEXT_LEN + 1];

	if (org && (rc = org_resolve(r, org, oid, verbname)) != 0)
		return rc;
	if (kind_given && (kind = kind_canon(kind_given)) == NULL) {
		bad_kind(verbname, kind_given);
		return EXIT_INVALID;
	}
	/* Without the handle column, the id's header and key move over it. */
	if (!handle) {
		hdr[1] = hdr[0];
		ids[1] = ids[0];
	}
	if ((t = table_new(9 + handle, ids + 1 - handle, hdr + 1 - handle)) == NULL) {
		fprintf(stderr, "tongxin %s: out of memory\n", verbname);
		return EXIT_FAIL;
	}
	table_set_vocab(t, 2 + handle, KINDS);
	for (int c = 6 + handle; c < 9 + handle; c++)
		table_set_number(t, c);
	{
		struct dom_meeting_query q = { .org_id = org ? oid : NULL, .kind = kind,
			.from = cmd_get(a, "from"), .to = cmd_get(a, "to") };
		struct list_ctx lc = { .t = t, .fmt = cli->fmt };
		struct dom_error e;
		if (dom_meeting_list(r, &q, list_row, &lc, &e) != 0 || lc.oom) {
			table_free(t);
			if (lc.oom) {
				fprintf(stderr, "tongxin %s: out of memory\n", verbname);
				return EXIT_FAIL;
			}
			return meeting_refused(&e, -1, verbname);
		}
	}
	if (cli->fmt == TABLE_TEXT && table_rows(t) == 0) {
		table_free(t);
		printf("没有会议记录 No meetings.\n");
		return EXIT_OK;
	}
	table_print(t, stdout, cli->fmt);
	return EXIT_OK;
}

/* --- meeting show -------------------------------------------------------- */

/*
 * Print "label  value" with the label padded to w columns; the value is made
 * safe, and its further lines (minutes) are indented under it.
 */
static void
show_line(const char *label, const char *value, int w)
{
	text_pad(stdout, label, w);
	fputs("  ", stdout);
	text_put_lines(stdout, value, w + 2);
	putchar('\n');
}

/*
 * meeting show --json: the id and its short handle, the meeting's columns
 * (typed, the kind with its label), the organisation's name, the counts,
 * and the roll as "attendance". Frees roll.
 */
static void
meeting_json(const char *id, const Tongxin__Value *vals, const char *org, const int n[3],
    struct table *roll)
{
	const struct table_def *td = &schema_tables[TBL_MEETING];
	const char *ids[MAX_COLS + 6], *cells[MAX_COLS + 6];
	char counts[3][16];
	int k = 0;
	struct table *t;

	ids[k] = "id";
	cells[k++] = id;
	ids[k] = "handle";
	cells[k++] = dom_short(id);
	for (int c = 0; c < td->ncols; c++) {
		ids[k] = td->cols[c].name;
		cells[k++] = vals[c].kind_case == TONGXIN__VALUE__KIND_S ? vals[c].s : NULL;
	}
	ids[k] = "org";
	cells[k++] = org[0] ? org : NULL;
	for (int i = 0; i < 3; i++) {
		static const char *const names[] = { "present", "excused", "absent" };
		snprintf(counts[i], sizeof counts[i], "%d", n[i]);
		ids[k] = names[i];
		cells[k++] = counts[i];
	}
	if ((t = table_new(k, ids, ids)) == NULL) {
		table_free(roll);
		return;
	}
	table_set_vocab(t, 2 + MCOL("kind"), KINDS);
	for (int i = k - 3; i < k; i++)
		table_set_number(t, i);
	table_add(t, cells);
	table_print_object(t, stdout, 0);
	fputs(", \"attendance\": ", stdout);
	table_print(roll, stdout, TABLE_JSON);
	fputs("}\n", stdout);
}

/* One line of the roll into the table (arg). */
static void
roll_row(const struct dom_attendance_row *a, void *arg)
{
	char gone[160];
	const char *cells[3] = { a->name, a->status, a->reason };   /* the table labels status */

	if (a->name == NULL) {
		snprintf(gone, sizeof gone, "(不在本副本 not in this replica) %s",
		    a->member_id ? a->member_id : "");
		cells[0] = gone;
	}
	table_add(arg, cells);
}

static int
meeting_show(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "meeting show";
	static const char *const ids[] = { "member", "status", "reason" };
	const struct table_def *td = &schema_tables[TBL_MEETING], *ta = &schema_tables[TBL_ATTENDANCE];
	/* The roll's headings are the attendance table's own labels (党员, 出勤, 请假事由). */
	const char *hdr[] = { ta->cols[schema_col_index(ta, "member_id")].label,
		ta->cols[schema_col_index(ta, "status")].label,
		ta->cols[schema_col_index(ta, "reason")].label };
	const struct vocab *att = vocab_get("attendance");
	Tongxin__Value vals[MAX_COLS];
	char id[ID_TEXT_LEN + 1], org[512] = "", name[256], code[65], counts[128];
	int w = text_width("编号"), n[3];
	struct dom_error e;
	struct table *t;

	if (dom_row_handle(r, TBL_MEETING, a->argv[0], "会议", id, &e) != 0)
		return handle_refused(&e, verbname);
	if ((t = table_new(3, ids, hdr)) == NULL) {
		fprintf(stderr, "tongxin %s: out of memory\n", verbname);
		return EXIT_FAIL;
	}
	table_set_vocab(t, 1, att);
	if (dom_meeting_get(r, id, vals, name, code, n, roll_row, t, &e) != 0) {
		table_free(t);
		return meeting_refused(&e, -1, verbname);
	}
	if (name[0])
		snprintf(org, sizeof org, "%s (%s)", name, code);
	for (int c = 0; c < td->ncols; c++)
		if (text_width(td->cols[c].label) > w)
			w = text_width(td->cols[c].label);

	if (cli->fmt == TABLE_JSON) {
		meeting_json(id, vals, org, n, t);
		for (int c = 0; c < td->ncols; c++)
			value_clear(&vals[c]);
		return EXIT_OK;
	}
	show_line("编号", id, w);
	for (int c = 0; c < td->ncols; c++) {
		const char *v = vals[c].kind_case == TONGXIN__VALUE__KIND_S ? vals[c].s : NULL;
		if (c == MCOL("org_id"))
			v = org[0] ? org : v;
		else if (c == MCOL("kind"))
			v = kind_label(v);
		show_line(td->cols[c].label, v, w);
	}
	snprintf(counts, sizeof counts, "%s %d，%s %d，%s %d", vocab_show(att, "present"),
	    n[DOM_PRESENT], vocab_show(att, "excused"), n[DOM_EXCUSED], vocab_show(att, "absent"),
	    n[DOM_ABSENT]);
	show_line(ta->label, counts, w);
	if (table_rows(t) > 0) {
		putchar('\n');
		table_print(t, stdout, TABLE_TEXT);
	} else {
		table_free(t);
	}
	for (int c = 0; c < td->ncols; c++)
		value_clear(&vals[c]);
	return EXIT_OK;
}

/* --- the command table --------------------------------------------------- */

/* Whether an entry's exec ran: cmd_run returned 0 without it only for --help. */
static bool ran;

/* Run one sub-verb on the replica named by the global options, then close it. */
static int
with_replica(struct cli *cli, const struct cmd_args *a,
    int (*fn)(struct cli *, struct replica *, const struct cmd_args *))
{
	struct replica *r;
	int rc;

	ran = true;
	if ((r = cli_open(cli)) == NULL)
		return EXIT_FAIL;
	rc = fn(cli, r, a);
	replica_close(r);
	return rc;
}

static int exec_add(struct cli *cli, const struct cmd_args *a) { return with_replica(cli, a, meeting_add); }
static int exec_list(struct cli *cli, const struct cmd_args *a) { return with_replica(cli, a, meeting_list); }
static int exec_show(struct cli *cli, const struct cmd_args *a) { return with_replica(cli, a, meeting_show); }

static const struct cmd_opt add_opts[] = {
	{ "org", "CODE", 0, "组织代码，默认本设备的组织 the organisation (default: this device's)" },
	{ "kind", "KIND", CMD_OPT_REQUIRED, "会议类型 the kind (allowed values below)" },
	{ "held-on", "DATE", CMD_OPT_REQUIRED, "日期 YYYY-MM-DD, not in the future" },
	{ "topic", "TEXT", CMD_OPT_REQUIRED, "主题 the topic" },
	{ "host", "NAME", 0, "主持人 who chaired it" },
	{ "recorder", "NAME", 0, "记录人 who took the minutes" },
	{ "minutes", "TEXT", 0, "会议记录 the minutes" },
	{ "present", "MEMBERS", CMD_OPT_MULTI, "出席的党员，逗号分隔 members present" },
	{ "excused", "ID:REASON", CMD_OPT_MULTI, "请假的党员:事由，逗号分隔 members excused, why" },
	{ "absent", "MEMBERS", CMD_OPT_MULTI, "缺席的党员 members absent" },
	{ NULL, NULL, 0, NULL },
};

static const struct cmd_opt list_opts[] = {
	{ "org", "CODE", 0, "这个组织及其下级组织 this organisation and those below it" },
	{ "kind", "KIND", 0, "会议类型 the kind" },
	{ "from", "DATE", 0, "起始日期 held on or after" },
	{ "to", "DATE", 0, "截止日期 held on or before" },
	{ NULL, NULL, 0, NULL },
};

const struct cmd_entry cmd_entries_meeting[] = {
	{ "meeting", "add", NULL, 0, 0, add_opts, 0, 0,
	  "记录一次组织生活（三会一课等）及其出勤，在一个本地事务中。\n"
	  "Record a meeting and its attendance as one local transaction.\n"
	  "MEMBERS, ID: 公民身份号码、编号末尾至少6位或姓名，逗号分隔 (citizen ID numbers,\n"
	  "ids' last 6+ characters or names one member has, comma-separated).\n",
	  exec_add },
	{ "meeting", "list", NULL, 0, 0, list_opts, 0, 0,
	  "列出会议，按日期 The meetings, by date; 编号 is the short handle that\n"
	  "meeting show takes (--csv and --json keep the whole id).\n",
	  exec_list },
	{ "meeting", "show", "MEETING", 1, 1, NULL, 0, 0,
	  "一次会议及其出勤 One meeting and its roll. MEETING: its id or the id's last 6+\n"
	  "characters (the 编号 of meeting list).\n",
	  exec_show },
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

/*
 * Whether the help asked for by argv concerns --kind: the verb's (no such
 * sub-verb: a help word) or a sub-verb's that has the option.
 */
static bool
takes_kind(int argc, char **argv)
{
	const struct cmd_entry *e = argc > 1 ? cmd_find(cmd_entries_meeting, argv[0], argv[1]) : NULL;

	for (int i = 0; e && e->opts && e->opts[i].name; i++)
		if (strcmp(e->opts[i].name, "kind") == 0)
			return true;
	return e == NULL;
}

int
verb_meeting(struct cli *cli, int argc, char **argv)
{
	int rc;

	ran = false;
	rc = cmd_run(cmd_entries_meeting, cli, argc, argv);
	/* --help of the verb, or of a sub-verb that takes --kind, also lists the kinds. */
	if (rc == EXIT_OK && !ran && takes_kind(argc, argv))
		cmd_help_values(stdout, "--kind", KINDS);
	return rc;
}
