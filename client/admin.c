/*
 * admin.c - the street administrators' verbs: conflicts (list, show side by
 * side, resolve), audit and devices. They ask the server; the server checks
 * the certificate's role, so an office device gets a clear refusal.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "dom_admin.h"
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
};

static void
conflict_row(const struct dom_conflict *c, void *arg)
{
	struct admin_table *l = arg;
	char when[32], res[1100];
	const char *cells[11];

	fmt_time(c->received_ms, when, sizeof when);
	cells[0] = l->cli->fmt == TABLE_TEXT && strlen(c->id) > 8 ? c->id + strlen(c->id) - 8 : c->id;
	cells[1] = c->kind;
	cells[2] = c->org_code;
	cells[3] = c->device_name;
	cells[4] = c->table >= 0 ? schema_tables[c->table].name : "?";
	cells[5] = l->cli->fmt == TABLE_TEXT && strlen(c->row_id) > 8 ?
	    c->row_id + strlen(c->row_id) - 8 : c->row_id;
	cells[6] = when;
	cells[7] = c->status;
	cells[8] = c->reason;
	cells[9] = l->cli->fmt == TABLE_TEXT ? resolution_label(c->resolution, 0, res, sizeof res) :
	    c->resolution;
	cells[10] = c->resolved_by;
	table_add(l->t, cells);
}

static int
conflicts_list(struct cli *cli, struct replica *r, int argc, char **argv)
{
	static const char *const ids[] = { "id", "kind", "office", "device", "table", "row_id",
		"received", "status", "reason", "resolution", "resolved_by" };
	static const char *const hdr[] = { "编号", "类型", "社区", "设备", "表", "记录", "收到时间",
		"状态", "原因", "处理", "处理人" };
	struct dom_conflict_filter f = { 0 };
	struct dom_admin_opts o = opts_of(cli);
	struct admin_table l = { cli, NULL };
	struct dom_admin_err e;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (v == NULL)
			return verb_usage("conflicts", 0);
		if (strcmp(a, "--office") == 0)
			f.office = v;
		else if (strcmp(a, "--table") == 0)
			f.table = v;
		else if (strcmp(a, "--status") == 0)
			f.status = v;
		else if (strcmp(a, "--older-than") == 0 || strcmp(a, "--newer-than") == 0) {
			char *end;
			long days;
			errno = 0;
			days = strtol(v, &end, 10);
			if (errno || *end || days < 0 || days > 36500) {
				fprintf(stderr, "tongxin conflicts list: %s takes a number of days\n", a);
				return EXIT_USAGE;
			}
			if (strcmp(a, "--older-than") == 0)
				f.older_than_ms = (int64_t)time(NULL) * 1000 - days * 86400000LL;
			else
				f.newer_than_ms = (int64_t)time(NULL) * 1000 - days * 86400000LL;
		} else
			return verb_usage("conflicts", 0);
		i++;
	}
	if ((l.t = table_new(11, ids, hdr)) == NULL)
		return EXIT_FAIL;
	table_set_vocab(l.t, 1, vocab_get("conflict_kind"));
	table_set_vocab(l.t, 7, vocab_get("conflict_status"));
	if (dom_admin_conflicts(r, &o, &f, conflict_row, &l, &e) != 0) {
		table_free(l.t);
		return refused(&e, "conflicts list");
	}
	if (cli->fmt == TABLE_TEXT && table_rows(l.t) == 0) {
		table_free(l.t);
		printf("没有冲突 No %s conflicts.\n", f.status && f.status[0] ? f.status : "open");
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
		"received_ms", "server_writer", "server_written", "table", "row_id" };
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
	    c->resolution[0] ? " — " : "", text_show(resolution_label(c->resolution, 1, res, sizeof res)),
	    c->resolved_by[0] ? " by " : "", text_show(c->resolved_by));
	printf("  原因 Reason:    %s\n", text_show(c->reason));
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

static int
conflicts_show(struct cli *cli, struct replica *r, const char *id)
{
	struct dom_admin_opts o = opts_of(cli);
	struct show_state s = { .cli = cli };
	struct dom_admin_err e;
	bool json = cli->fmt == TABLE_JSON;

	if (dom_admin_conflict(r, &o, id, json ? conflict_json_head : conflict_text_head,
	    json ? conflict_json_change : conflict_text_change, &s, &e) != 0)
		return refused(&e, "conflicts show");
	if (json)
		fputs("]}\n", stdout);
	else if (strcmp(s.status, "open") == 0)
		printf("\n处理 Settle with: tongxin conflicts resolve %s --keep-server | --take-office | "
		    "--set COLUMN=VALUE\n", text_show(strlen(s.id) > 8 ? s.id + strlen(s.id) - 8 :
		    s.id));
	return EXIT_OK;
}

static int
conflicts_resolve(struct cli *cli, struct replica *r, const char *id, int argc, char **argv)
{
	struct dom_resolve q = { .id = id };
	struct dom_admin_opts o = opts_of(cli);
	struct dom_admin_err e;
	char rid[ID_TEXT_LEN + 1], res[1024];
	int decisions = 0;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--keep-server") == 0) {
			q.decision = DOM_KEEP_SERVER;
			decisions++;
		} else if (strcmp(argv[i], "--take-office") == 0) {
			q.decision = DOM_TAKE_OFFICE;
			decisions++;
		} else if (strcmp(argv[i], "--set") == 0 && i + 1 < argc) {
			char *eq;
			if (q.nset == DOM_RESOLVE_MAX_SET)
				return verb_usage("conflicts", 0);
			if ((eq = strchr(argv[++i], '=')) == NULL) {
				fprintf(stderr, "tongxin conflicts resolve: --set takes COLUMN=VALUE, got \"%s\"\n",
				    argv[i]);
				return EXIT_USAGE;
			}
			*eq = '\0';
			q.set_col[q.nset] = argv[i];
			q.set_val[q.nset++] = eq + 1;
		} else if (strcmp(argv[i], "--note") == 0 && i + 1 < argc) {
			q.note = argv[++i];
		} else {
			return verb_usage("conflicts", 0);
		}
	}
	if (q.nset > 0) {
		q.decision = DOM_SET;
		decisions++;
	}
	if (decisions != 1) {
		fprintf(stderr, "tongxin conflicts resolve: choose one of --keep-server, --take-office "
		    "or --set COLUMN=VALUE\n");
		return EXIT_USAGE;
	}
	if (dom_admin_resolve(r, &o, &q, rid, res, &e) != 0)
		return refused(&e, "conflicts resolve");
	printf("已处理 Resolved conflict %s: %s\n"
	    "The decision is in the audit trail; replicas receive it at their next sync.\n",
	    text_show(rid), text_show(res));
	return EXIT_OK;
}

int
verb_conflicts(struct cli *cli, int argc, char **argv)
{
	struct replica *r;
	int rc;

	if (has_help(argc, argv))
		return verb_usage("conflicts", 1);
	if ((r = cli_open(cli)) == NULL)
		return EXIT_FAIL;
	if (argc < 2 || strcmp(argv[1], "list") == 0)
		rc = conflicts_list(cli, r, argc < 2 ? 0 : argc - 2, argv + 2);
	else if (strncmp(argv[1], "--", 2) == 0)
		rc = conflicts_list(cli, r, argc - 1, argv + 1);
	else if (strcmp(argv[1], "show") == 0 && argc == 3)
		rc = conflicts_show(cli, r, argv[2]);
	else if (strcmp(argv[1], "resolve") == 0 && argc >= 3)
		rc = conflicts_resolve(cli, r, argv[2], argc - 3, argv + 3);
	else
		rc = verb_usage("conflicts", 0);
	replica_close(r);
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

int
verb_audit(struct cli *cli, int argc, char **argv)
{
	static const char *const ids[] = { "version", "at", "device", "operator", "action", "table",
		"row_id", "detail" };
	static const char *const hdr[] = { "序号", "时间", "设备", "操作人", "动作", "表", "记录",
		"内容" };
	struct dom_audit_query q = { 0 };
	struct dom_admin_opts o = opts_of(cli);
	struct dom_admin_err e;
	struct replica *r;
	struct table *t;
	int rc;

	if (has_help(argc, argv))
		return verb_usage("audit", 1);
	for (int i = 1; i < argc; i += 2) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (v == NULL)
			return verb_usage("audit", 0);
		if (strcmp(argv[i], "--row") == 0)
			q.row_id = v;
		else if (strcmp(argv[i], "--device") == 0)
			q.device = v;
		else if (strcmp(argv[i], "--since") == 0) {
			if ((q.since_ms = date_ms(v)) < 0) {
				fprintf(stderr, "tongxin audit: --since takes a date YYYY-MM-DD\n");
				return EXIT_USAGE;
			}
		} else if (strcmp(argv[i], "--limit") == 0)
			q.limit = (uint32_t)strtoul(v, NULL, 10);
		else
			return verb_usage("audit", 0);
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

int
verb_devices(struct cli *cli, int argc, char **argv)
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

	if (has_help(argc, argv))
		return verb_usage("devices", 1);
	if (argc != 1)
		return verb_usage("devices", 0);
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
