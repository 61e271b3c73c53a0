/*
 * admin.c - the street administrators' verbs: conflicts (list, show side by
 * side, resolve), audit and devices. They ask the server; the server checks
 * the certificate's role, so an office device gets a clear refusal.
 *
 * Each verb and sub-verb is a row of cmd_entries_conflicts /
 * cmd_entries_audit / cmd_entries_devices (cmd.h), parsed by cmd_parse
 * (--note=TEXT, `--`, options in any order). A conflict lives on the
 * server, which matches its id or the id's last 6+ characters; its
 * refusals are told as dom_row_handle tells a local record's: 9 for no
 * such conflict, 7 for an ambiguous or malformed handle (the candidates
 * listed). A missing required option or an unknown option is 2, an invalid
 * value 7.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli.h"
#include "cmd.h"
#include "dom_admin.h"
#include "dom_handle.h"
#include "frame.h"
#include "reason.h"
#include "schema.h"
#include "sync.h"
#include "text.h"
#include "validate.h"
#include "value.h"
#include "vocab.h"

/*
 * Print why a request to the server failed and return its exit code.
 * Everything these verbs print that came from the server (names, reasons,
 * resolutions, ids) goes through a table or text_show(): another office
 * chose much of it.
 */
static int
refused(const struct dom_admin_err *e, const char *verb)
{
	fprintf(stderr, "tongxin %s: %s\n", verb, text_show(e->detail));
	return fail_exit(e->fail);
}

/* The requests' options from the global ones. */
static struct dom_admin_opts
opts_of(const struct cli *cli)
{
	struct dom_admin_opts o = { cli->server, cli->operator_name };
	return o;
}

/* Parse YYYY-MM-DD as local midnight in Unix ms. -1 if invalid. */
static int64_t
date_ms(const char *s)
{
	struct tm tm;

	if (!validate_date(s))
		return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = atoi(s + 5) - 1;
	tm.tm_mday = atoi(s + 8);
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm) * 1000;
}

static const char *
kind_label(const char *kind)
{
	return vocab_show(vocab_get("conflict_kind"), kind);
}

/*
 * A resolution as people read it: the decision's label, then what follows
 * it ("set name=张三" -> "录入合并值 name=张三").
 */
static const char *
resolution_label(const char *res, int with_code, char *buf, size_t cap)
{
	size_t n = strcspn(res, " :");
	char code[32];
	const char *l;

	snprintf(code, sizeof code, "%.*s", (int)(n < sizeof code ? n : sizeof code - 1), res);
	if ((l = vocab_label(vocab_get("decision"), code)) == NULL)
		return res;
	if (with_code)
		snprintf(buf, cap, "%s %s", l, res);
	else
		snprintf(buf, cap, "%s%s", l, res + n);
	return buf;
}

/* "已处理 resolved": a conflict's status with its label. */
static const char *
status_label(const char *status, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s %s", vocab_show(vocab_get("conflict_status"), status), status);
	return buf;
}

/* What the list's callback writes to. */
struct admin_table {
	struct cli *cli;
	struct table *t;
	int handle;    /* whether the table has the handle column (--json) */
};

/*
 * One conflict as a row of the list: people read the short handle
 * (dom_short), the reason in Chinese and the decision's label; --csv and
 * --json keep the whole id, the server's reason sentence and the stored
 * resolution, and add the Chinese reason as reason_text; --json also the
 * handle.
 */
static void
conflict_row(const struct dom_conflict *c, void *arg)
{
	struct admin_table *l = arg;
	char when[32], res[1100];
	const char *why = c->reason_text;
	const char *cells[13], **p = cells;
	bool text = l->cli->fmt == TABLE_TEXT;

	fmt_time(c->received_ms, when, sizeof when);
	*p++ = text ? dom_short(c->id) : c->id;
	if (l->handle)
		*p++ = dom_short(c->id);
	*p++ = c->kind;
	*p++ = c->org_code;
	*p++ = c->device_name;
	*p++ = c->table >= 0 ? schema_tables[c->table].name : "?";
	*p++ = text ? dom_short(c->row_id) : c->row_id;
	*p++ = when;
	*p++ = c->status;
	*p++ = text ? why : c->reason;
	*p++ = text ? resolution_label(c->resolution, 0, res, sizeof res) : c->resolution;
	*p++ = c->resolved_by;
	if (!text)
		*p++ = why;
	table_add(l->t, cells);
}

/* A whole number of days in [0, 36500] for option name into *ms (now minus the days). */
static int
days_ago(const struct cmd_args *a, const char *name, int64_t *ms)
{
	const char *v = cmd_get(a, name);
	char *end;
	long days;

	if (v == NULL)
		return 0;
	errno = 0;
	days = strtol(v, &end, 10);
	if (errno || end == v || *end || days < 0 || days > 36500) {
		fprintf(stderr, "tongxin conflicts list: --%s 须为 0 到 36500 的天数 takes a number of "
		    "days, not \"%.40s\"\n", name, text_show(v));
		return EXIT_INVALID;
	}
	*ms = (int64_t)time(NULL) * 1000 - days * 86400000LL;
	return 0;
}

static int
conflicts_list(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char *const ids[] = { "id", "handle", "kind", "office", "device", "table",
		"row_id", "received", "status", "reason", "resolution", "resolved_by", "reason_text" };
	static const char *const hdr[] = { "编号", "简号", "类型", "社区", "设备", "表", "记录",
		"收到时间", "状态", "原因", "处理", "处理人", "原因说明" };
	static const char *const ids_nh[] = { "id", "kind", "office", "device", "table", "row_id",
		"received", "status", "reason", "resolution", "resolved_by", "reason_text" };
	static const char *const hdr_nh[] = { "编号", "类型", "社区", "设备", "表", "记录",
		"收到时间", "状态", "原因", "处理", "处理人", "原因说明" };
	struct dom_conflict_filter f = { 0 };
	struct dom_admin_opts o = opts_of(cli);
	struct admin_table l = { cli, NULL, cli->fmt == TABLE_JSON };
	struct dom_admin_err e;
	int rc, h;

	f.office = cmd_get(a, "office");
	f.table = cmd_get(a, "table");
	f.status = cmd_get(a, "status");
	if ((rc = days_ago(a, "older-than", &f.older_than_ms)) != 0 ||
	    (rc = days_ago(a, "newer-than", &f.newer_than_ms)) != 0)
		return rc;
	h = l.handle;
	/*
	 * Without the handle column (text, --csv) the id's key and header skip
	 * it; text has no reason_text column (its 原因 is already Chinese).
	 */
	l.t = h ? table_new(13, ids, hdr) : table_new(cli->fmt == TABLE_TEXT ? 11 : 12, ids_nh,
	    hdr_nh);
	if (l.t == NULL)
		return EXIT_FAIL;
	table_set_vocab(l.t, 1 + h, vocab_get("conflict_kind"));
	table_set_vocab(l.t, 7 + h, vocab_get("conflict_status"));
	rc = dom_admin_conflicts(r, &o, &f, conflict_row, &l, &e);
	if (rc != 0) {
		table_free(l.t);
		return refused(&e, "conflicts list");
	}
	if (cli->fmt == TABLE_TEXT && table_rows(l.t) == 0) {
		table_free(l.t);
		printf("没有冲突 No %s conflicts.\n", f.status && f.status[0] ? text_show(f.status) :
		    "open");
	} else {
		table_print(l.t, stdout, cli->fmt);
	}
	return EXIT_OK;
}

static const char *
op_label(const char *op)
{
	return strcmp(op, "insert") == 0 ? "新增 insert" : strcmp(op, "update") == 0 ?
	    "修改 update" : "删除 delete";
}

/* What conflicts show keeps between its callbacks. */
struct show_state {
	struct cli *cli;
	char id[128], status[32];
};

/*
 * conflicts show --json: one object. Codes with their labels (kind, status,
 * resolution), times as text and Unix ms, and per change the columns side
 * by side with stored values (null where there is none) and "differs".
 */
static void
conflict_json_head(const struct dom_conflict *c, void *arg)
{
	static const char *const ids[] = { "id", "kind", "status", "resolution", "resolved_by",
		"reason", "office", "device", "operator", "made", "made_ms", "hlc", "received",
		"received_ms", "server_writer", "server_written", "table", "row_id", "handle",
		"reason_text" };
	enum { N = sizeof ids / sizeof ids[0] };
	char t1[32], t2[32], t3[32], m1[24], m2[24], hlc[24], dec[32];
	const char *cells[N];
	struct table *t = table_new(N, ids, ids);

	(void)arg;
	if (t == NULL)
		return;
	fmt_time(c->made_ms, t1, sizeof t1);
	fmt_time(c->received_ms, t2, sizeof t2);
	fmt_time(c->server_written_ms, t3, sizeof t3);
	snprintf(m1, sizeof m1, "%lld", (long long)c->made_ms);
	snprintf(m2, sizeof m2, "%lld", (long long)c->received_ms);
	snprintf(hlc, sizeof hlc, "%llu", (unsigned long long)c->hlc);
	/* The decision's code; what follows it (set's values) stays in resolution_detail. */
	snprintf(dec, sizeof dec, "%.*s", (int)strcspn(c->resolution, " :"), c->resolution);
	cells[0] = c->id;
	cells[1] = c->kind;
	cells[2] = c->status;
	cells[3] = dec[0] ? dec : NULL;
	cells[4] = c->resolved_by[0] ? c->resolved_by : NULL;
	cells[5] = c->reason;
	cells[6] = c->org_code;
	cells[7] = c->device_name;
	cells[8] = c->operator_name[0] ? c->operator_name : NULL;
	cells[9] = t1;
	cells[10] = m1;
	cells[11] = hlc;
	cells[12] = t2;
	cells[13] = m2;
	cells[14] = c->server_writer[0] ? c->server_writer : NULL;
	cells[15] = c->server_writer[0] ? t3 : NULL;
	cells[16] = c->table >= 0 ? schema_tables[c->table].name : NULL;
	cells[17] = c->row_id;
	cells[18] = dom_short(c->id);
	cells[19] = c->reason_text;
	table_set_vocab(t, 1, vocab_get("conflict_kind"));
	table_set_vocab(t, 2, vocab_get("conflict_status"));
	table_set_vocab(t, 3, vocab_get("decision"));
	table_set_number(t, 10);
	table_set_number(t, 11);
	table_set_number(t, 13);
	table_add(t, cells);
	table_print_object(t, stdout, 0);
	fputs(", \"resolution_detail\": ", stdout);
	table_json_str(stdout, c->resolution[0] ? c->resolution : NULL);
	fputs(", \"changes\": [", stdout);
}

static void
conflict_json_change(const struct dom_conflict_change *ch, void *arg)
{
	static const char *const cids[] = { "column", "label", "base", "server", "office", "differs" };
	const struct table_def *td = &schema_tables[ch->table];
	bool del = strcmp(ch->op, "delete") == 0;
	struct table *ct;

	(void)arg;
	printf("%s\n {\"op\": \"%s\", \"table\": \"%s\", \"row_id\": ", ch->index ? "," : "",
	    ch->op, td->name);
	table_json_str(stdout, ch->row_id);
	fputs(", \"server_row_id\": ", stdout);
	table_json_str(stdout, ch->server_row_id);
	fputs(", \"server_deleted\": ", stdout);
	fputs(!ch->has_server_row ? "null" : ch->server_deleted ? "true" : "false", stdout);
	fputs(", \"columns\": ", stdout);
	if ((ct = table_new(6, cids, cids)) == NULL)
		return;
	table_set_bool(ct, 5);
	for (int i = 0; i < ch->ncols; i++) {
		const struct dom_conflict_col *k = &ch->cols[i];
		char bb[256], sb[256], ob[256];
		const char *cc[6];
		cc[0] = td->cols[k->col].name;
		cc[1] = td->cols[k->col].label;
		cc[2] = k->base && k->base->kind_case != TONGXIN__VALUE__KIND__NOT_SET ?
		    value_str(k->base, bb, sizeof bb) : NULL;
		cc[3] = k->server && k->server->kind_case != TONGXIN__VALUE__KIND__NOT_SET ?
		    value_str(k->server, sb, sizeof sb) : NULL;
		cc[4] = !del && k->office && k->office->kind_case != TONGXIN__VALUE__KIND__NOT_SET ?
		    value_str(k->office, ob, sizeof ob) : NULL;
		cc[5] = k->server && k->office && !del ? (value_eq(k->server, k->office) ? "0" : "1") :
		    NULL;
		table_add(ct, cc);
	}
	table_print(ct, stdout, TABLE_JSON);
	fputc('}', stdout);
}

/* A value in the side-by-side view: labels for people, stored values for machines. */
static const char *
shown_value(const struct cli *cli, const struct col_def *cd, const Tongxin__Value *v, char *buf,
    size_t cap)
{
	return cli->fmt == TABLE_TEXT ? value_label(cd, v, buf, cap) : value_str(v, buf, cap);
}

static void
conflict_text_head(const struct dom_conflict *c, void *arg)
{
	struct show_state *s = arg;
	char t1[32], t2[32], t3[32], res[1100], t3tmp[64];

	snprintf(s->id, sizeof s->id, "%s", c->id);
	snprintf(s->status, sizeof s->status, "%s", c->status);
	fmt_time(c->made_ms, t1, sizeof t1);
	fmt_time(c->received_ms, t2, sizeof t2);
	fmt_time(c->server_written_ms, t3, sizeof t3);
	printf("冲突 Conflict %s\n", text_show(c->id));
	printf("  类型 Kind:      %s\n  状态 Status:    %s%s%s%s%s\n", text_show(kind_label(c->kind)),
	    text_show(status_label(c->status, t3tmp, sizeof t3tmp)),
	    c->resolution[0] ? " — " : "", text_show(resolution_label(c->resolution, 0, res, sizeof res)),
	    c->resolved_by[0] ? " by " : "", text_show(c->resolved_by));
	printf("  原因 Reason:    %s\n", text_show(c->reason_text));
	printf("  社区 Office:    %s (%s)%s%s, made %s (HLC %llu), received %s\n",
	    text_show(c->device_name), text_show(c->org_code), c->operator_name[0] ? ", operator " : "",
	    text_show(c->operator_name), t1, (unsigned long long)c->hlc, t2);
	if (c->server_writer[0])
		printf("  服务器 Server:  value last written by %s at %s\n", text_show(c->server_writer),
		    t3);
}

static void
conflict_text_change(const struct dom_conflict_change *ch, void *arg)
{
	static const char *const ids[] = { "column", "base", "server", "office", "differs" };
	static const char *const hdr[] = { "字段 field", "原值 base", "服务器 server",
		"社区 office", "" };
	struct show_state *s = arg;
	const struct table_def *td = &schema_tables[ch->table];
	bool del = strcmp(ch->op, "delete") == 0;
	struct table *t;

	printf("\n  #%d %s %s %s", ch->index + 1, op_label(ch->op), td->label, text_show(ch->row_id));
	if (ch->server_row_id && strcmp(ch->server_row_id, ch->row_id) != 0)
		printf(" (the server's row %s)", text_show(ch->server_row_id));
	printf("\n");
	if ((t = table_new(5, ids, hdr)) == NULL)
		return;
	for (int i = 0; i < ch->ncols; i++) {
		const struct dom_conflict_col *k = &ch->cols[i];
		const struct col_def *cd = &td->cols[k->col];
		char name[128], bb[256] = "", sb[256] = "", ob[256] = "", tmp[256];
		const char *cells[5];
		snprintf(name, sizeof name, "%s %s", cd->label, cd->name);
		if (k->base)
			snprintf(bb, sizeof bb, "%s", shown_value(s->cli, cd, k->base, tmp, sizeof tmp));
		if (k->server)
			snprintf(sb, sizeof sb, "%s", shown_value(s->cli, cd, k->server, tmp, sizeof tmp));
		else if (ch->server_deleted)
			snprintf(sb, sizeof sb, "%s", ch->server_never ? "(无 not on the server)" :
			    "(已删除 deleted)");
		if (k->office)
			snprintf(ob, sizeof ob, "%s", shown_value(s->cli, cd, k->office, tmp, sizeof tmp));
		cells[0] = name;
		cells[1] = k->base ? bb : "";
		cells[2] = sb;
		cells[3] = del ? "(删除 delete)" : ob;
		cells[4] = (k->server && k->office && !value_eq(k->server, k->office)) ? "≠" : "";
		table_add(t, cells);
	}
	table_print(t, stdout, s->cli->fmt);
}

/* What the candidates' search of an ambiguous conflict handle collects. */
struct candidates {
	const char *key;
	int n;
	char msg[1024];
};

/* Add c to the candidates when its id ends with the handle (any case). */
static void
candidate(const struct dom_conflict *c, void *arg)
{
	struct candidates *k = arg;
	size_t n = strlen(c->id), kl = strlen(k->key), len = strlen(k->msg);

	if (kl > n || strcasecmp(c->id + n - kl, k->key) != 0)
		return;
	if (k->n < 5)
		snprintf(k->msg + len, sizeof k->msg - len, "%s%s（%s）", k->n ? "、" : "",
		    text_show(dom_short(c->id)), text_show(kind_label(c->kind)));
	else if (k->n == 5)
		snprintf(k->msg + len, sizeof k->msg - len, "……");
	k->n++;
}

/*
 * A conflict handle the server may not even look at: the id or its last
 * 6..36 characters. 0, or EXIT_INVALID having said why as dom_row_handle
 * says it of a local record.
 */
static int
conflict_key_ok(const char *key, const char *verb)
{
	size_t n = strlen(key);

	if (n >= 6 && n <= ID_TEXT_LEN)
		return 0;
	fprintf(stderr, "tongxin %s: 冲突编号“%s”无效：请给出完整编号或其末尾至少6位 (give the id or "
	    "its last 6+ characters)\n", verb, text_show(key));
	return EXIT_INVALID;
}

/*
 * Why the server did not find the conflict named by key, told as a local
 * handle's refusal is (dom_handle.h): no such conflict 9; a handle that
 * ends several conflicts' ids 7, listing them (a second request, for the
 * candidates); anything else as refused() tells it.
 */
static int
conflict_refused(struct replica *r, const struct dom_admin_opts *o, const struct dom_admin_err *e,
    const char *key, const char *verb)
{
	if (strstr(e->detail, "is ambiguous") != NULL) {
		struct dom_conflict_filter f = { .status = "all" };
		struct candidates k = { .key = key };
		struct dom_admin_err e2;

		if (dom_admin_conflicts(r, o, &f, candidate, &k, &e2) != 0)
			k.msg[0] = '\0';
		fprintf(stderr, "tongxin %s: “%s”对应多条冲突，请给出更长的编号 (ambiguous): %s\n", verb,
		    text_show(key), k.msg);
		return EXIT_INVALID;
	}
	if (strstr(e->detail, "no conflict") != NULL) {
		fprintf(stderr, "tongxin %s: 街道服务器上没有冲突“%s” (not found)\n", verb,
		    text_show(key));
		return EXIT_NOT_FOUND;
	}
	return refused(e, verb);
}

static int
conflicts_show(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	struct dom_admin_opts o = opts_of(cli);
	struct show_state s = { .cli = cli };
	struct dom_admin_err e;
	bool json = cli->fmt == TABLE_JSON;
	const char *id = a->argv[0];
	int rc;

	if ((rc = conflict_key_ok(id, "conflicts show")) != 0)
		return rc;
	rc = dom_admin_conflict(r, &o, id, json ? conflict_json_head : conflict_text_head,
	    json ? conflict_json_change : conflict_text_change, &s, &e);
	if (rc != 0)
		return conflict_refused(r, &o, &e, id, "conflicts show");
	if (json)
		fputs("]}\n", stdout);
	else if (strcmp(s.status, "open") == 0)
		printf("\n处理 Settle with: tongxin conflicts resolve %s --keep-server | --take-office | "
		    "--set COLUMN=VALUE\n", text_show(dom_short(s.id)));
	return EXIT_OK;
}

static int
conflicts_resolve(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	struct dom_resolve q = { .id = a->argv[0] };
	struct dom_admin_opts o = opts_of(cli);
	struct dom_admin_err e;
	char rid[ID_TEXT_LEN + 1], res[1024], lab[1100];
	char cols[DOM_RESOLVE_MAX_SET][64];
	int decisions = 0, rc;

	if (cmd_has(a, "keep-server")) {
		q.decision = DOM_KEEP_SERVER;
		decisions++;
	}
	if (cmd_has(a, "take-office")) {
		q.decision = DOM_TAKE_OFFICE;
		decisions++;
	}
	q.note = cmd_get(a, "note");
	for (int i = 0; i < a->nmulti; i++) {
		const char *v = a->multi_val[i], *eq = strchr(v, '=');
		if (q.nset == DOM_RESOLVE_MAX_SET) {
			fprintf(stderr, "tongxin conflicts resolve: --set 至多 %d 个 at most %d columns\n",
			    DOM_RESOLVE_MAX_SET, DOM_RESOLVE_MAX_SET);
			return EXIT_USAGE;
		}
		if (eq == NULL || eq == v || (size_t)(eq - v) >= sizeof cols[0]) {
			fprintf(stderr, "tongxin conflicts resolve: --set 应为 takes COLUMN=VALUE, got "
			    "\"%.60s\"\n", text_show(v));
			return EXIT_USAGE;
		}
		snprintf(cols[q.nset], sizeof cols[0], "%.*s", (int)(eq - v), v);
		q.set_col[q.nset] = cols[q.nset];
		q.set_val[q.nset++] = eq + 1;
	}
	if (q.nset > 0) {
		q.decision = DOM_SET;
		decisions++;
	}
	if (decisions != 1) {
		fprintf(stderr, "tongxin conflicts resolve: 请选择且只选择一种处理 choose one of "
		    "--keep-server, --take-office or --set COLUMN=VALUE\n");
		return EXIT_USAGE;
	}
	if ((rc = conflict_key_ok(q.id, "conflicts resolve")) != 0)
		return rc;
	if (dom_admin_resolve(r, &o, &q, rid, res, &e) != 0)
		return conflict_refused(r, &o, &e, q.id, "conflicts resolve");
	printf("已处理 Resolved conflict %s: %s\n"
	    "The decision is in the audit trail; replicas receive it at their next sync.\n",
	    text_show(rid), text_show(resolution_label(res, 0, lab, sizeof lab)));
	return EXIT_OK;
}

static int
exec_conflicts_list(struct cli *c, const struct cmd_args *a)
{
	return cmd_with_replica(c, a, conflicts_list);
}

static int
exec_conflicts_show(struct cli *c, const struct cmd_args *a)
{
	return cmd_with_replica(c, a, conflicts_show);
}

static int
exec_conflicts_resolve(struct cli *c, const struct cmd_args *a)
{
	return cmd_with_replica(c, a, conflicts_resolve);
}

static const struct cmd_opt conflicts_list_opts[] = {
	{ "office", "CODE", 0, "只看该社区的 one office's conflicts" },
	{ "table", "T", 0, "只看该表的 one table's (member, org, ...)" },
	{ "status", "S", 0, "open 待处理 (default), resolved 已处理, auto 自动处理, all 全部" },
	{ "older-than", "DAYS", 0, "收到已超过 N 天 received more than N days ago" },
	{ "newer-than", "DAYS", 0, "最近 N 天内收到 received in the last N days" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt conflicts_resolve_opts[] = {
	{ "keep-server", NULL, 0, "保留街道值 keep the server's value" },
	{ "take-office", NULL, 0, "采用社区值 take the office's value" },
	{ "set", "COLUMN=VALUE", CMD_OPT_MULTI, "录入合并值 enter a merged value (repeatable)" },
	{ "note", "TEXT", 0, "处理说明 a note kept with the decision" },
	{ NULL, NULL, 0, NULL },
};

/* The lines under every conflicts sub-verb's help. */
#define CONFLICTS_TAIL                                                                      \
	"CONFLICT: 冲突编号或其末尾至少6位 the conflict's id or its last 6+ characters (the\n" \
	"编号 of conflicts list). Needs an admin certificate.\n"                             \
	"退出状态 Exit status: 0 成功 ok, 2 命令行有误 usage error, 3 服务器不可达\n"          \
	"unreachable, 4 非管理员证书 refused, 7 取值无效或编号不唯一 invalid value or\n"       \
	"ambiguous handle (nothing changed), 9 无此冲突 no such conflict.\n"

/* Declared here until cli.h lists every verb's table. */
extern const struct cmd_entry cmd_entries_conflicts[];

const struct cmd_entry cmd_entries_conflicts[] = {
	{ "conflicts", "list", NULL, 0, 0, conflicts_list_opts, 0, 0,
	  "服务器上的冲突队列 The conflict queue on the server: the open conflicts, or\n"
	  "--status resolved|auto|rejected|all. `tongxin conflicts` alone lists too.\n" CONFLICTS_TAIL,
	  exec_conflicts_list },
	{ "conflicts", "show", "CONFLICT", 1, 1, NULL, 0, 0,
	  "并排显示 Base, server value and office value side by side, both authors.\n"
	  CONFLICTS_TAIL,
	  exec_conflicts_show },
	{ "conflicts", "resolve", "CONFLICT", 1, 1, conflicts_resolve_opts, 0,
	  0,
	  "处理冲突 Settle a conflict: keep the server's value, take the office's, or\n"
	  "enter merged values (one of --keep-server, --take-office, --set). A resolution\n"
	  "is an ordinary change that reaches every replica in scope, and is kept in the\n"
	  "audit trail.\n" CONFLICTS_TAIL,
	  exec_conflicts_resolve },
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

/*
 * tongxin conflicts [SUB] ...: the sub-verb's row of cmd_entries_conflicts,
 * run by cmd_run. No sub-verb, or options straight after the verb, means
 * list (as before the table); --help at the verb lists the sub-verbs.
 */
int
verb_conflicts(struct cli *cli, int argc, char **argv)
{
	char **av;
	int rc;

	if (argc >= 2 && (argv[1][0] != '-' || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0))
		return cmd_run(cmd_entries_conflicts, cli, argc, argv);
	/* "conflicts" or "conflicts --office SQ01": insert the word list. */
	if ((av = calloc((size_t)argc + 2, sizeof *av)) == NULL)
		return EXIT_FAIL;
	av[0] = argv[0];
	av[1] = (char *)"list";
	for (int i = 1; i < argc; i++)
		av[i + 1] = argv[i];
	rc = cmd_run(cmd_entries_conflicts, cli, argc + 1, av);
	free(av);
	return rc;
}

static void
audit_row(const struct dom_audit_entry *a, void *arg)
{
	struct table *t = arg;
	char ver[24], when[32];
	const char *cells[8];

	snprintf(ver, sizeof ver, "%llu", (unsigned long long)a->version);
	fmt_time(a->at_ms, when, sizeof when);
	cells[0] = ver;
	cells[1] = when;
	cells[2] = a->device;
	cells[3] = a->operator_name;
	cells[4] = a->action;
	cells[5] = a->table >= 0 ? schema_tables[a->table].name : "";
	cells[6] = a->row_id;
	cells[7] = a->detail;
	table_add(t, cells);
}

static int
audit_run(struct cli *cli, const struct cmd_args *a)
{
	static const char *const ids[] = { "version", "at", "device", "operator", "action", "table",
		"row_id", "detail" };
	static const char *const hdr[] = { "序号", "时间", "设备", "操作人", "动作", "表", "记录",
		"内容" };
	struct dom_audit_query q = { 0 };
	struct dom_admin_opts o = opts_of(cli);
	struct dom_admin_err e;
	const char *since = cmd_get(a, "since"), *limit = cmd_get(a, "limit");
	struct replica *r;
	struct table *t;
	int rc;

	q.row_id = cmd_get(a, "row");
	q.device = cmd_get(a, "device");
	if (since && (q.since_ms = date_ms(since)) < 0) {
		fprintf(stderr, "tongxin audit: --since 日期“%.40s”无效，应为 YYYY-MM-DD takes a date\n",
		    text_show(since));
		return EXIT_INVALID;
	}
	if (limit) {
		char *end;
		unsigned long n;
		errno = 0;
		n = strtoul(limit, &end, 10);
		if (errno || end == limit || *end || limit[0] == '-' || n == 0 || n > 100000) {
			fprintf(stderr, "tongxin audit: --limit 须为 1 到 100000 的整数 must be a number "
			    "from 1 to 100000, not \"%.40s\"\n", text_show(limit));
			return EXIT_INVALID;
		}
		q.limit = (uint32_t)n;
	}
	if ((r = cli_open(cli)) == NULL)
		return EXIT_FAIL;
	if ((t = table_new(8, ids, hdr)) == NULL) {
		replica_close(r);
		return EXIT_FAIL;
	}
	table_set_number(t, 0);
	rc = dom_admin_audit(r, &o, &q, audit_row, t, &e);
	replica_close(r);
	if (rc != 0) {
		table_free(t);
		return refused(&e, "audit");
	}
	table_print(t, stdout, cli->fmt);
	return EXIT_OK;
}

static const struct cmd_opt audit_opts[] = {
	{ "row", "ID", 0, "只看该记录 one record's history (its full id)" },
	{ "device", "NAME", 0, "只看该设备 one device's changes" },
	{ "since", "DATE", 0, "自该日起 from this date, YYYY-MM-DD" },
	{ "limit", "N", 0, "至多 N 条 at most N entries (default: the server's)" },
	{ NULL, NULL, 0, NULL },
};

/* Declared here until cli.h lists every verb's table. */
extern const struct cmd_entry cmd_entries_audit[];

const struct cmd_entry cmd_entries_audit[] = {
	{ "audit", NULL, NULL, 0, 0, audit_opts, 0, 0,
	  "审计 Administrators: who changed what, from which device, and when.\n"
	  "退出状态 Exit status: 0 ok, 2 usage error, 3 unreachable, 4 refused (not an\n"
	  "administrator), 7 invalid value (--since, --limit).\n",
	  audit_run },
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

/* tongxin audit [options]: cmd_entries_audit's one row, run by cmd_run. */
int
verb_audit(struct cli *cli, int argc, char **argv)
{
	return cmd_run(cmd_entries_audit, cli, argc, argv);
}

static void
device_row(const struct dom_device *d, void *arg)
{
	struct table *t = arg;
	char seen[32], a[24], c[24], j[24], o[24];
	const char *cells[10];

	fmt_time(d->last_seen_ms, seen, sizeof seen);
	snprintf(a, sizeof a, "%lld", (long long)d->applied);
	snprintf(c, sizeof c, "%lld", (long long)d->conflict);
	snprintf(j, sizeof j, "%lld", (long long)d->rejected);
	snprintf(o, sizeof o, "%lld", (long long)d->open_conflicts);
	cells[0] = d->name;
	cells[1] = d->org_code;
	cells[2] = d->role;
	cells[3] = seen;
	cells[4] = a;
	cells[5] = c;
	cells[6] = j;
	cells[7] = o;
	cells[8] = d->replica_check[0] ? d->replica_check : "-";
	cells[9] = d->revoked_at_ms ? "已吊销 revoked" : "正常 active";
	table_add(t, cells);
}

static int
devices_run(struct cli *cli, const struct cmd_args *a)
{
	static const char *const ids[] = { "device", "org", "role", "last_seen", "applied",
		"conflict", "rejected", "open_conflicts", "replica_check", "state" };
	static const char *const hdr[] = { "设备", "组织", "角色", "最近联系", "已应用", "冲突",
		"退回", "未处理冲突", "副本核对", "状态" };
	struct dom_admin_opts o = opts_of(cli);
	struct dom_admin_err e;
	struct replica *r;
	struct table *t;
	int rc;

	(void)a;
	if ((r = cli_open(cli)) == NULL)
		return EXIT_FAIL;
	if ((t = table_new(10, ids, hdr)) == NULL) {
		replica_close(r);
		return EXIT_FAIL;
	}
	for (int k = 4; k <= 7; k++)
		table_set_number(t, k);
	rc = dom_admin_devices(r, &o, device_row, t, &e);
	replica_close(r);
	if (rc != 0) {
		table_free(t);
		return refused(&e, "devices");
	}
	table_print(t, stdout, cli->fmt);
	return EXIT_OK;
}

/* Declared here until cli.h lists every verb's table. */
extern const struct cmd_entry cmd_entries_devices[];

const struct cmd_entry cmd_entries_devices[] = {
	{ "devices", NULL, NULL, 0, 0, NULL, 0, 0,
	  "设备 Administrators: every device's last contact, pushed transactions, open\n"
	  "conflicts and the result of its last replica check (tongxin sync --verify).\n",
	  devices_run },
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

/* tongxin devices: cmd_entries_devices' one row, run by cmd_run. */
int
verb_devices(struct cli *cli, int argc, char **argv)
{
	return cmd_run(cmd_entries_devices, cli, argc, argv);
}
