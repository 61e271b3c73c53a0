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
#include "frame.h"
#include "schema.h"
#include "sync.h"
#include "text.h"
#include "validate.h"
#include "value.h"
#include "vocab.h"

/*
 * One exchange with the server; prints the failure and returns its exit code.
 * Everything these verbs print that came from the server (names, reasons,
 * resolutions, ids) goes through a table or text_show(): another office
 * chose much of it.
 */
static int
ask(struct cli *cli, struct replica *r, Tongxin__Envelope *req, Tongxin__Envelope__BodyCase want,
    Tongxin__Envelope **reply, const char *verb)
{
	struct sync_opts o = { 0 };
	enum sync_fail f;
	char err[1024] = "";

	o.server = cli->server;
	o.operator_name = cli->operator_name;
	if (sync_request(r, &o, req, want, reply, &f, err, sizeof err) != 0) {
		fprintf(stderr, "tongxin %s: %s\n", verb, text_show(err));
		return fail_exit(f);
	}
	return EXIT_OK;
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

static int
conflicts_list(struct cli *cli, struct replica *r, int argc, char **argv)
{
	static const char *const ids[] = { "id", "kind", "office", "device", "table", "row_id",
		"received", "status", "reason", "resolution", "resolved_by" };
	static const char *const hdr[] = { "编号", "类型", "社区", "设备", "表", "记录", "收到时间",
		"状态", "原因", "处理", "处理人" };
	Tongxin__ConflictListRequest lr = TONGXIN__CONFLICT_LIST_REQUEST__INIT;
	Tongxin__ConflictFilter f = TONGXIN__CONFLICT_FILTER__INIT;
	Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT, *in = NULL;
	struct table *t;
	int rc;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (v == NULL)
			return verb_usage("conflicts", 0);
		if (strcmp(a, "--office") == 0)
			f.office = (char *)v;
		else if (strcmp(a, "--table") == 0)
			f.table = (char *)v;
		else if (strcmp(a, "--status") == 0)
			f.status = (char *)v;
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
	lr.filter = &f;
	env.body_case = TONGXIN__ENVELOPE__BODY_CONFLICT_LIST;
	env.conflict_list = &lr;
	if ((rc = ask(cli, r, &env, TONGXIN__ENVELOPE__BODY_CONFLICT_LIST_RESULT, &in,
	    "conflicts list")) != EXIT_OK)
		return rc;
	if ((t = table_new(11, ids, hdr)) == NULL) {
		envelope_free(in);
		return EXIT_FAIL;
	}
	table_set_vocab(t, 1, vocab_get("conflict_kind"));
	table_set_vocab(t, 7, vocab_get("conflict_status"));
	for (size_t i = 0; i < in->conflict_list_result->n_conflicts; i++) {
		const Tongxin__ConflictInfo *c = in->conflict_list_result->conflicts[i];
		char when[32], res[1100];
		const char *cells[11];
		fmt_time(c->received_at_ms, when, sizeof when);
		cells[0] = cli->fmt == TABLE_TEXT && strlen(c->id) > 8 ? c->id + strlen(c->id) - 8 : c->id;
		cells[1] = c->kind;
		cells[2] = c->org_code;
		cells[3] = c->device_name;
		cells[4] = c->table < TBL_COUNT ? schema_tables[c->table].name : "?";
		cells[5] = cli->fmt == TABLE_TEXT && strlen(c->row_id) > 8 ?
		    c->row_id + strlen(c->row_id) - 8 : c->row_id;
		cells[6] = when;
		cells[7] = c->status;
		cells[8] = c->reason;
		cells[9] = cli->fmt == TABLE_TEXT ? resolution_label(c->resolution, 0, res, sizeof res) :
		    c->resolution;
		cells[10] = c->resolved_by;
		table_add(t, cells);
	}
	if (cli->fmt == TABLE_TEXT && table_rows(t) == 0) {
		table_free(t);
		printf("没有冲突 No %s conflicts.\n", f.status[0] ? f.status : "open");
	} else {
		table_print(t, stdout, cli->fmt);
	}
	envelope_free(in);
	return EXIT_OK;
}

/* Find column k's value in a change; NULL if the change does not touch it. */
static const Tongxin__Value *
change_value(const Tongxin__Change *c, uint32_t k, int before)
{
	for (size_t i = 0; i < c->n_cols; i++)
		if (c->cols[i] == k) {
			if (before)
				return i < c->n_before ? c->before[i] : NULL;
			return i < c->n_values ? c->values[i] : NULL;
		}
	return NULL;
}

static const char *
op_label(Tongxin__Change__Op op)
{
	switch (op) {
	case TONGXIN__CHANGE__OP__OP_INSERT: return "新增 insert";
	case TONGXIN__CHANGE__OP__OP_UPDATE: return "修改 update";
	default: return "删除 delete";
	}
}

/* The server's row for change ch of conflict c (the clashing row for a duplicate), or NULL. */
static const Tongxin__Row *
server_row(const Tongxin__ConflictInfo *c, const Tongxin__Change *ch)
{
	if (c->current_row && c->current_row->table == ch->table &&
	    (strcmp(c->current_row->row_id, ch->row_id) == 0 ||
	     (strcmp(ch->row_id, c->row_id) == 0 && strcmp(c->kind, "unique") == 0)))
		return c->current_row;
	return NULL;
}

/*
 * conflicts show --json: one object. Codes with their labels (kind, status,
 * resolution), times as text and Unix ms, and per change the columns side
 * by side with stored values (null where there is none) and "differs".
 */
static void
conflict_json(const Tongxin__ConflictInfo *c)
{
	static const char *const ids[] = { "id", "kind", "status", "resolution", "resolved_by",
		"reason", "office", "device", "operator", "made", "made_ms", "hlc", "received",
		"received_ms", "server_writer", "server_written", "table", "row_id" };
	static const char *const cids[] = { "column", "label", "base", "server", "office", "differs" };
	enum { N = sizeof ids / sizeof ids[0] };
	char t1[32], t2[32], t3[32], m1[24], m2[24], hlc[24], dec[32];
	const char *cells[N];
	struct table *t = table_new(N, ids, ids);

	if (t == NULL)
		return;
	fmt_time(c->local_time_ms, t1, sizeof t1);
	fmt_time(c->received_at_ms, t2, sizeof t2);
	fmt_time(c->server_written_at_ms, t3, sizeof t3);
	snprintf(m1, sizeof m1, "%lld", (long long)c->local_time_ms);
	snprintf(m2, sizeof m2, "%lld", (long long)c->received_at_ms);
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
	cells[16] = c->table < TBL_COUNT ? schema_tables[c->table].name : NULL;
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
	for (size_t i = 0; c->txn != NULL && i < c->txn->n_changes; i++) {
		const Tongxin__Change *ch = c->txn->changes[i];
		const Tongxin__Row *cur;
		const struct table_def *td;
		struct table *ct;

		if (ch->table >= TBL_COUNT)
			continue;
		td = &schema_tables[ch->table];
		cur = server_row(c, ch);
		printf("%s\n {\"op\": \"%s\", \"table\": \"%s\", \"row_id\": ", i ? "," : "",
		    ch->op == TONGXIN__CHANGE__OP__OP_INSERT ? "insert" :
		    ch->op == TONGXIN__CHANGE__OP__OP_UPDATE ? "update" : "delete", td->name);
		table_json_str(stdout, ch->row_id);
		fputs(", \"server_row_id\": ", stdout);
		table_json_str(stdout, cur ? cur->row_id : NULL);
		fputs(", \"server_deleted\": ", stdout);
		fputs(cur == NULL ? "null" : cur->deleted ? "true" : "false", stdout);
		fputs(", \"columns\": ", stdout);
		if ((ct = table_new(6, cids, cids)) == NULL)
			break;
		table_set_bool(ct, 5);
		for (int k = 0; k < td->ncols; k++) {
			const Tongxin__Value *office = change_value(ch, (uint32_t)k, 0);
			const Tongxin__Value *base = change_value(ch, (uint32_t)k, 1);
			const Tongxin__Value *server = cur && !cur->deleted && (size_t)k < cur->n_values ?
			    cur->values[k] : NULL;
			char bb[256], sb[256], ob[256];
			const char *cc[6];
			if (office == NULL && (cur == NULL || ch->op != TONGXIN__CHANGE__OP__OP_INSERT))
				continue;
			cc[0] = td->cols[k].name;
			cc[1] = td->cols[k].label;
			cc[2] = base && base->kind_case != TONGXIN__VALUE__KIND__NOT_SET ?
			    value_str(base, bb, sizeof bb) : NULL;
			cc[3] = server && server->kind_case != TONGXIN__VALUE__KIND__NOT_SET ?
			    value_str(server, sb, sizeof sb) : NULL;
			cc[4] = ch->op != TONGXIN__CHANGE__OP__OP_DELETE && office &&
			    office->kind_case != TONGXIN__VALUE__KIND__NOT_SET ?
			    value_str(office, ob, sizeof ob) : NULL;
			cc[5] = server && office && ch->op != TONGXIN__CHANGE__OP__OP_DELETE ?
			    (value_eq(server, office) ? "0" : "1") : NULL;
			table_add(ct, cc);
		}
		table_print(ct, stdout, TABLE_JSON);
		fputc('}', stdout);
	}
	fputs("]}\n", stdout);
}

/* A value in the side-by-side view: labels for people, stored values for machines. */
static const char *
shown_value(const struct cli *cli, const struct col_def *cd, const Tongxin__Value *v, char *buf,
    size_t cap)
{
	return cli->fmt == TABLE_TEXT ? value_label(cd, v, buf, cap) : value_str(v, buf, cap);
}

static int
conflicts_show(struct cli *cli, struct replica *r, const char *id)
{
	Tongxin__ConflictShowRequest sr = TONGXIN__CONFLICT_SHOW_REQUEST__INIT;
	Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT, *in = NULL;
	const Tongxin__ConflictInfo *c;
	char t1[32], t2[32], t3[32], res[1100], t3tmp[64];
	int rc;

	sr.id = (char *)id;
	env.body_case = TONGXIN__ENVELOPE__BODY_CONFLICT_SHOW;
	env.conflict_show = &sr;
	if ((rc = ask(cli, r, &env, TONGXIN__ENVELOPE__BODY_CONFLICT_SHOW_RESULT, &in,
	    "conflicts show")) != EXIT_OK)
		return rc;
	c = in->conflict_show_result->conflict;
	if (cli->fmt == TABLE_JSON) {
		conflict_json(c);
		envelope_free(in);
		return EXIT_OK;
	}
	fmt_time(c->local_time_ms, t1, sizeof t1);
	fmt_time(c->received_at_ms, t2, sizeof t2);
	fmt_time(c->server_written_at_ms, t3, sizeof t3);
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
	if (c->txn == NULL) {
		envelope_free(in);
		return EXIT_OK;
	}
	for (size_t i = 0; i < c->txn->n_changes; i++) {
		const Tongxin__Change *ch = c->txn->changes[i];
		const struct table_def *td;
		const Tongxin__Row *cur = NULL;
		static const char *const ids[] = { "column", "base", "server", "office", "differs" };
		static const char *const hdr[] = { "字段 field", "原值 base", "服务器 server",
			"社区 office", "" };
		struct table *t;

		if (ch->table >= TBL_COUNT)
			continue;
		td = &schema_tables[ch->table];
		/* The server side: the clashing row when it is another one (a duplicate). */
		if (c->current_row && c->current_row->table == ch->table &&
		    (strcmp(c->current_row->row_id, ch->row_id) == 0 ||
		     (strcmp(ch->row_id, c->row_id) == 0 && strcmp(c->kind, "unique") == 0)))
			cur = c->current_row;
		printf("\n  #%zu %s %s %s", i + 1, op_label(ch->op), td->label, text_show(ch->row_id));
		if (cur && strcmp(cur->row_id, ch->row_id) != 0)
			printf(" (the server's row %s)", text_show(cur->row_id));
		printf("\n");
		if ((t = table_new(5, ids, hdr)) == NULL)
			break;
		for (int k = 0; k < td->ncols; k++) {
			const Tongxin__Value *office = change_value(ch, (uint32_t)k, 0);
			const Tongxin__Value *base = change_value(ch, (uint32_t)k, 1);
			const Tongxin__Value *server = cur && !cur->deleted && (size_t)k < cur->n_values ?
			    cur->values[k] : NULL;
			char name[128], bb[256] = "", sb[256] = "", ob[256] = "", tmp[256];
			const char *cells[5];
			if (office == NULL && (cur == NULL || ch->op != TONGXIN__CHANGE__OP__OP_INSERT))
				continue;
			snprintf(name, sizeof name, "%s %s", td->cols[k].label, td->cols[k].name);
			if (base)
				snprintf(bb, sizeof bb, "%s", shown_value(cli, &td->cols[k], base, tmp, sizeof tmp));
			if (server)
				snprintf(sb, sizeof sb, "%s", shown_value(cli, &td->cols[k], server, tmp, sizeof tmp));
			else if (cur && cur->deleted)
				snprintf(sb, sizeof sb, "%s", ch->op == TONGXIN__CHANGE__OP__OP_INSERT &&
				    cur->version == 0 ? "(无 not on the server)" : "(已删除 deleted)");
			if (office)
				snprintf(ob, sizeof ob, "%s", shown_value(cli, &td->cols[k], office, tmp, sizeof tmp));
			cells[0] = name;
			cells[1] = base ? bb : "";
			cells[2] = sb;
			cells[3] = ch->op == TONGXIN__CHANGE__OP__OP_DELETE ? "(删除 delete)" : ob;
			cells[4] = (server && office && !value_eq(server, office)) ? "≠" : "";
			table_add(t, cells);
		}
		table_print(t, stdout, cli->fmt);
	}
	if (strcmp(c->status, "open") == 0)
		printf("\n处理 Settle with: tongxin conflicts resolve %s --keep-server | --take-office | "
		    "--set COLUMN=VALUE\n", text_show(strlen(c->id) > 8 ? c->id + strlen(c->id) - 8 :
		    c->id));
	envelope_free(in);
	return EXIT_OK;
}

static int
conflicts_resolve(struct cli *cli, struct replica *r, const char *id, int argc, char **argv)
{
	Tongxin__ConflictResolveRequest rr = TONGXIN__CONFLICT_RESOLVE_REQUEST__INIT;
	Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT, *in = NULL;
	Tongxin__ConflictShowRequest sr = TONGXIN__CONFLICT_SHOW_REQUEST__INIT;
	Tongxin__Envelope senv = TONGXIN__ENVELOPE__INIT, *sin = NULL;
	Tongxin__Value vals[32], *vptr[32];
	uint32_t cols[32];
	int decisions = 0, rc, nset = 0;
	char *sets[32];

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--keep-server") == 0) {
			rr.decision = TONGXIN__CONFLICT_RESOLVE_REQUEST__DECISION__KEEP_SERVER;
			decisions++;
		} else if (strcmp(argv[i], "--take-office") == 0) {
			rr.decision = TONGXIN__CONFLICT_RESOLVE_REQUEST__DECISION__TAKE_OFFICE;
			decisions++;
		} else if (strcmp(argv[i], "--set") == 0 && i + 1 < argc) {
			if (nset == 32)
				return verb_usage("conflicts", 0);
			sets[nset++] = argv[++i];
		} else if (strcmp(argv[i], "--note") == 0 && i + 1 < argc) {
			rr.note = argv[++i];
		} else {
			return verb_usage("conflicts", 0);
		}
	}
	if (nset > 0) {
		rr.decision = TONGXIN__CONFLICT_RESOLVE_REQUEST__DECISION__SET;
		decisions++;
	}
	if (decisions != 1) {
		fprintf(stderr, "tongxin conflicts resolve: choose one of --keep-server, --take-office "
		    "or --set COLUMN=VALUE\n");
		return EXIT_USAGE;
	}
	if (nset > 0) {
		/* Columns are named; the conflict says which table they belong to. */
		const struct table_def *td;
		sr.id = (char *)id;
		senv.body_case = TONGXIN__ENVELOPE__BODY_CONFLICT_SHOW;
		senv.conflict_show = &sr;
		if ((rc = ask(cli, r, &senv, TONGXIN__ENVELOPE__BODY_CONFLICT_SHOW_RESULT, &sin,
		    "conflicts resolve")) != EXIT_OK)
			return rc;
		if (sin->conflict_show_result->conflict->table >= TBL_COUNT) {
			envelope_free(sin);
			return EXIT_FAIL;
		}
		td = &schema_tables[sin->conflict_show_result->conflict->table];
		envelope_free(sin);
		for (int k = 0; k < nset; k++) {
			char *eq = strchr(sets[k], '=');
			int c;
			if (eq == NULL) {
				fprintf(stderr, "tongxin conflicts resolve: --set takes COLUMN=VALUE, got \"%s\"\n",
				    sets[k]);
				return EXIT_USAGE;
			}
			*eq = '\0';
			if ((c = schema_col_index(td, sets[k])) < 0) {
				fprintf(stderr, "tongxin conflicts resolve: %s has no column \"%s\"\n",
				    td->name, sets[k]);
				return EXIT_INVALID;
			}
			cols[k] = (uint32_t)c;
			/* Labels and aliases as everywhere else: --set education=本科. */
			if (vocab_of_col(&td->cols[c]) != NULL && eq[1] != '\0') {
				const char *stored = vocab_col_store(&td->cols[c], eq + 1);
				char opt[80];
				snprintf(opt, sizeof opt, "--set %s=", sets[k]);
				if (stored == NULL)
					return vocab_refuse("conflicts resolve", td->cols[c].label, opt,
					    vocab_of_col(&td->cols[c]), eq + 1);
				if (td->cols[c].type == COL_BOOL)
					value_set_int(&vals[k], stored[0] == '1');
				else
					value_set_text(&vals[k], stored);
			} else if (td->cols[c].type == COL_INT || td->cols[c].type == COL_BOOL)
				value_set_int(&vals[k], strtoll(eq + 1, NULL, 10));
			else if (eq[1] == '\0')
				value_set_null(&vals[k]);
			else
				value_set_text(&vals[k], eq + 1);
			vptr[k] = &vals[k];
		}
		rr.cols = cols;
		rr.n_cols = (size_t)nset;
		rr.values = vptr;
		rr.n_values = (size_t)nset;
	}
	rr.id = (char *)id;
	env.body_case = TONGXIN__ENVELOPE__BODY_CONFLICT_RESOLVE;
	env.conflict_resolve = &rr;
	if ((rc = ask(cli, r, &env, TONGXIN__ENVELOPE__BODY_CONFLICT_RESOLVE_RESULT, &in,
	    "conflicts resolve")) != EXIT_OK)
		return rc;
	printf("已处理 Resolved conflict %s: %s\n"
	    "The decision is in the audit trail; replicas receive it at their next sync.\n",
	    text_show(in->conflict_resolve_result->id),
	    text_show(in->conflict_resolve_result->resolution));
	envelope_free(in);
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

int
verb_audit(struct cli *cli, int argc, char **argv)
{
	static const char *const ids[] = { "version", "at", "device", "operator", "action", "table",
		"row_id", "detail" };
	static const char *const hdr[] = { "序号", "时间", "设备", "操作人", "动作", "表", "记录",
		"内容" };
	Tongxin__AuditRequest ar = TONGXIN__AUDIT_REQUEST__INIT;
	Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT, *in = NULL;
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
			ar.row_id = (char *)v;
		else if (strcmp(argv[i], "--device") == 0)
			ar.device_name = (char *)v;
		else if (strcmp(argv[i], "--since") == 0) {
			if ((ar.since_ms = date_ms(v)) < 0) {
				fprintf(stderr, "tongxin audit: --since takes a date YYYY-MM-DD\n");
				return EXIT_USAGE;
			}
		} else if (strcmp(argv[i], "--limit") == 0)
			ar.limit = (uint32_t)strtoul(v, NULL, 10);
		else
			return verb_usage("audit", 0);
	}
	if ((r = cli_open(cli)) == NULL)
		return EXIT_FAIL;
	env.body_case = TONGXIN__ENVELOPE__BODY_AUDIT;
	env.audit = &ar;
	rc = ask(cli, r, &env, TONGXIN__ENVELOPE__BODY_AUDIT_RESULT, &in, "audit");
	replica_close(r);
	if (rc != EXIT_OK)
		return rc;
	if ((t = table_new(8, ids, hdr)) == NULL) {
		envelope_free(in);
		return EXIT_FAIL;
	}
	table_set_number(t, 0);
	for (size_t i = 0; i < in->audit_result->n_entries; i++) {
		const Tongxin__AuditEntry *e = in->audit_result->entries[i];
		char ver[24], when[32];
		const char *cells[8];
		snprintf(ver, sizeof ver, "%llu", (unsigned long long)e->version);
		fmt_time(e->at_ms, when, sizeof when);
		cells[0] = ver;
		cells[1] = when;
		cells[2] = e->device_name;
		cells[3] = e->operator_name;
		cells[4] = e->action;
		cells[5] = e->table < TBL_COUNT ? schema_tables[e->table].name : "";
		cells[6] = e->row_id;
		cells[7] = e->detail;
		table_add(t, cells);
	}
	table_print(t, stdout, cli->fmt);
	envelope_free(in);
	return EXIT_OK;
}

int
verb_devices(struct cli *cli, int argc, char **argv)
{
	static const char *const ids[] = { "device", "org", "role", "last_seen", "applied",
		"conflict", "rejected", "open_conflicts", "replica_check", "state" };
	static const char *const hdr[] = { "设备", "组织", "角色", "最近联系", "已应用", "冲突",
		"退回", "未处理冲突", "副本核对", "状态" };
	Tongxin__DevicesRequest dr = TONGXIN__DEVICES_REQUEST__INIT;
	Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT, *in = NULL;
	struct replica *r;
	struct table *t;
	int rc;

	if (has_help(argc, argv))
		return verb_usage("devices", 1);
	if (argc != 1)
		return verb_usage("devices", 0);
	if ((r = cli_open(cli)) == NULL)
		return EXIT_FAIL;
	env.body_case = TONGXIN__ENVELOPE__BODY_DEVICES;
	env.devices = &dr;
	rc = ask(cli, r, &env, TONGXIN__ENVELOPE__BODY_DEVICES_RESULT, &in, "devices");
	replica_close(r);
	if (rc != EXIT_OK)
		return rc;
	if ((t = table_new(10, ids, hdr)) == NULL) {
		envelope_free(in);
		return EXIT_FAIL;
	}
	for (int k = 4; k <= 7; k++)
		table_set_number(t, k);
	for (size_t i = 0; i < in->devices_result->n_devices; i++) {
		const Tongxin__DeviceInfo *d = in->devices_result->devices[i];
		char seen[32], a[24], c[24], j[24], o[24];
		const char *cells[10];
		fmt_time(d->last_seen_ms, seen, sizeof seen);
		snprintf(a, sizeof a, "%lld", (long long)d->txns_applied);
		snprintf(c, sizeof c, "%lld", (long long)d->txns_conflict);
		snprintf(j, sizeof j, "%lld", (long long)d->txns_rejected);
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
	table_print(t, stdout, cli->fmt);
	envelope_free(in);
	return EXIT_OK;
}
