/*
 * cmd_item.c - tongxin item: list-based management (清单式管理).
 *
 * Items are responsibility, problem, learning, resource, activity, need and
 * project items. Their life is a small state machine kept in "status":
 *
 *   open --claim--> claimed --close--> closed     (need, project, resource)
 *   open --rectify--> rectified --close--> closed (problem: 整改, then 销号)
 *   open --close--> closed                        (every kind but problem)
 *
 * Each step is one local transaction of one row update, checked in full
 * (validate_row on the row as it would be) before anything is written.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#include "text.h"
#include "validate.h"
#include "value.h"
#include "vocab.h"

#define MAX_COLS 32
#define ICOL(name) schema_col_index(&schema_tables[TBL_LIST_ITEM], name)

/* Item kinds and states: the vocabulary's (common/vocab.c). */
#define KINDS vocab_get("item_kind")

/* The schema value for a kind given as a label, code or alias (问题清单), or NULL. */
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

static void
bad_kind(const char *verbname, const char *given)
{
	vocab_refuse(verbname, "清单类型", "--kind", KINDS, given);
}

/* An item by its full id or a unique suffix (see row_by_suffix). */
static int
item_resolve(sqlite3 *db, const char *key, char id[ID_TEXT_LEN + 1], const char *verbname)
{
	return row_by_suffix(db, TBL_LIST_ITEM, key, id, verbname, "清单", "item");
}

/* The text of column c of a row, or NULL. */
static const char *
col_text(const Tongxin__Value *v, int c)
{
	return v[c].kind_case == TONGXIN__VALUE__KIND_S ? v[c].s : NULL;
}

/* --- item add ------------------------------------------------------------ */

static int
item_add(struct cli *cli, struct replica *r, int argc, char **argv)
{
	static const char verbname[] = "item add";
	static const struct {
		const char *opt;
		const char *col;
	} text_opts[] = {
		{ "--title", "title" },
		{ "--detail", "detail" },
		{ "--due-on", "due_on" },
	};
	const struct table_def *td = &schema_tables[TBL_LIST_ITEM];
	sqlite3 *db = replica_db(r);
	Tongxin__Value vals[MAX_COLS];
	int set[MAX_COLS] = { 0 }, rc;
	char org[ID_TEXT_LEN + 1], id[ID_TEXT_LEN + 1], today[11], why[512], err[512] = "";

	memset(vals, 0, sizeof vals);
	for (int i = 0; i < argc; i += 2) {
		const char *o = argv[i], *v;
		size_t k;

		if (strncmp(o, "--", 2) != 0 || i + 1 >= argc) {
			fprintf(stderr, "tongxin %s: expected --OPTION VALUE, got \"%s\"\n", verbname, o);
			return EXIT_USAGE;
		}
		v = argv[i + 1];
		if (strcmp(o, "--org") == 0) {
			if (org_id_by_code(db, v, org) != 0) {
				fprintf(stderr, "tongxin %s: 未知组织 unknown organisation code \"%s\"\n",
				    verbname, v);
				return EXIT_INVALID;
			}
			value_set_text(&vals[ICOL("org_id")], org);
			set[ICOL("org_id")] = 1;
			continue;
		}
		if (strcmp(o, "--kind") == 0) {
			const char *k2 = kind_canon(v);
			if (k2 == NULL) {
				bad_kind(verbname, v);
				return EXIT_INVALID;
			}
			value_set_text(&vals[ICOL("kind")], k2);
			set[ICOL("kind")] = 1;
			continue;
		}
		for (k = 0; k < sizeof text_opts / sizeof text_opts[0]; k++)
			if (strcmp(o, text_opts[k].opt) == 0)
				break;
		if (k == sizeof text_opts / sizeof text_opts[0]) {
			fprintf(stderr, "tongxin %s: unknown option %s\n", verbname, o);
			return EXIT_USAGE;
		}
		if (v[0] == '\0')
			value_set_null(&vals[ICOL(text_opts[k].col)]);
		else
			value_set_text(&vals[ICOL(text_opts[k].col)], v);
		set[ICOL(text_opts[k].col)] = v[0] != '\0';
	}
	if (!set[ICOL("org_id")]) {
		if (org_id_by_code(db, replica_info(r)->org_code, org) != 0) {
			fprintf(stderr, "tongxin %s: this device's organisation %s is not in the replica "
			    "yet; run \"tongxin sync\" first or give --org CODE\n", verbname,
			    replica_info(r)->org_code);
			return EXIT_INVALID;
		}
		value_set_text(&vals[ICOL("org_id")], org);
		set[ICOL("org_id")] = 1;
	}
	value_set_text(&vals[ICOL("status")], "open");
	set[ICOL("status")] = 1;
	for (int c = 0; c < td->ncols; c++)
		if ((td->cols[c].flags & COLF_REQUIRED) && !set[c]) {
			char opt[64];
			snprintf(opt, sizeof opt, "%s", td->cols[c].name);
			for (char *p = opt; *p; p++)
				if (*p == '_')
					*p = '-';
			fprintf(stderr, "tongxin %s: 缺少必填项 %s (--%s)\n", verbname, td->cols[c].label,
			    opt);
			return EXIT_INVALID;
		}
	if ((rc = check_values(TBL_LIST_ITEM, vals, set, 0, verbname)) != 0)
		return rc;
	today_str(today);
	if (validate_row(TBL_LIST_ITEM, vals, today, why, sizeof why) != 0) {
		fprintf(stderr, "tongxin %s: %s\n", verbname, text_show(why));
		return EXIT_INVALID;
	}
	if (rep_begin(r, cli->operator_name) != 0 ||
	    rep_insert(r, TBL_LIST_ITEM, vals, id, err, sizeof err) != 0) {
		fprintf(stderr, "tongxin %s: %s\n", verbname, err[0] ? err : "cannot write the replica");
		rep_rollback(r);
		return EXIT_FAIL;
	}
	if ((rc = commit_or_fail(r, verbname)) == EXIT_OK && !cli->quiet)
		printf("已添加清单 Added %s item「%s」(id %s)\n", kind_label(vals[ICOL("kind")].s),
		    text_show(vals[ICOL("title")].s), id);
	return rc;
}

/* --- claim, rectify, close ----------------------------------------------- */

enum item_step { STEP_CLAIM, STEP_RECTIFY, STEP_CLOSE };

/*
 * Take an item one step (claim, rectify or close): parse ID and the step's
 * options, check the step against the item's kind and status, and update
 * the row in one local transaction. Returns an exit code.
 */
static int
item_step(struct cli *cli, struct replica *r, enum item_step step, int argc, char **argv)
{
	static const char *const verbnames[] = { "item claim", "item rectify", "item close" };
	const char *verbname = verbnames[step];
	const struct table_def *td = &schema_tables[TBL_LIST_ITEM];
	Tongxin__Value cur[MAX_COLS], newv[MAX_COLS], setv[4];
	uint32_t cols[4];
	size_t n = 0;
	const char *by = NULL, *note = NULL, *date = NULL, *kind, *status;
	char id[ID_TEXT_LEN + 1], today[11], why[512], err[512] = "";
	int rc, date_col, note_col;

	if (argc < 1 || strncmp(argv[0], "--", 2) == 0) {
		fprintf(stderr, "tongxin %s: which item? give its id or its last 6+ characters\n",
		    verbname);
		return EXIT_USAGE;
	}
	for (int i = 1; i < argc; i += 2) {
		const char *o = argv[i];
		if (i + 1 >= argc) {
			fprintf(stderr, "tongxin %s: %s needs a value\n", verbname, o);
			return EXIT_USAGE;
		}
		if (strcmp(o, "--date") == 0)
			date = argv[i + 1];
		else if (step == STEP_CLAIM && strcmp(o, "--by") == 0)
			by = argv[i + 1];
		else if (step != STEP_CLAIM && strcmp(o, "--note") == 0)
			note = argv[i + 1];
		else {
			fprintf(stderr, "tongxin %s: unknown option %s\n", verbname, o);
			return EXIT_USAGE;
		}
	}
	if (step == STEP_CLAIM && (by == NULL || by[0] == '\0')) {
		fprintf(stderr, "tongxin %s: 缺少认领方 --by NAME (the branch or unit that claims it) "
		    "is required\n", verbname);
		return EXIT_INVALID;
	}
	if (step == STEP_RECTIFY && (note == NULL || note[0] == '\0')) {
		fprintf(stderr, "tongxin %s: 缺少整改情况 --note TEXT (what was done) is required\n",
		    verbname);
		return EXIT_INVALID;
	}
	if (note != NULL && note[0] == '\0')
		note = NULL;
	date_col = ICOL(step == STEP_CLAIM ? "claimed_on" : step == STEP_RECTIFY ? "rectified_on" :
	    "closed_on");
	note_col = ICOL(step == STEP_CLAIM ? "claimed_by" : step == STEP_RECTIFY ? "rectification" :
	    "close_note");
	today_str(today);
	if (date == NULL)
		date = today;
	{
		/* The date's form first, so the message names the column. */
		Tongxin__Value dv;
		value_set_text(&dv, date);
		if (validate_value(&td->cols[date_col], &dv, why, sizeof why) != 0) {
			fprintf(stderr, "tongxin %s: %s\n", verbname, text_show(why));
			return EXIT_INVALID;
		}
		if (strcmp(date, today) > 0) {
			fprintf(stderr, "tongxin %s: %s %s 晚于今天 (in the future)\n", verbname,
			    td->cols[date_col].label, date);
			return EXIT_INVALID;
		}
	}
	if ((rc = item_resolve(replica_db(r), argv[0], id, verbname)) != 0)
		return rc;
	memset(cur, 0, sizeof cur);
	if (rep_get(r, TBL_LIST_ITEM, id, cur, NULL) != 1) {
		fprintf(stderr, "tongxin %s: cannot read item %s\n", verbname, id);
		return EXIT_FAIL;
	}
	rc = EXIT_INVALID;
	kind = col_text(cur, ICOL("kind"));
	status = col_text(cur, ICOL("status"));
	if (kind == NULL || status == NULL) {
		fprintf(stderr, "tongxin %s: item %s has no kind or status\n", verbname, id);
		goto out;
	}
	if (strcmp(status, "closed") == 0) {
		fprintf(stderr, "tongxin %s: 清单已销号 the item was closed on %s\n", verbname,
		    col_text(cur, ICOL("closed_on")) ? text_show(col_text(cur, ICOL("closed_on"))) :
		    "?");
		goto out;
	}
	switch (step) {
	case STEP_CLAIM:
		if (strcmp(kind, "need") != 0 && strcmp(kind, "project") != 0 &&
		    strcmp(kind, "resource") != 0) {
			fprintf(stderr, "tongxin %s: 只有需求、项目、资源清单可以认领 only need, project "
			    "and resource items are claimed; this is a %s (%s) item\n", verbname,
			    text_show(kind_label(kind)), text_show(kind));
			goto out;
		}
		if (strcmp(status, "claimed") == 0) {
			fprintf(stderr, "tongxin %s: 已被认领 the item was already claimed by %s on %s\n",
			    verbname, text_show(col_text(cur, ICOL("claimed_by")) ?
			    col_text(cur, ICOL("claimed_by")) : "?"), text_show(col_text(cur,
			    ICOL("claimed_on")) ? col_text(cur, ICOL("claimed_on")) : "?"));
			goto out;
		}
		break;
	case STEP_RECTIFY:
		if (strcmp(kind, "problem") != 0) {
			fprintf(stderr, "tongxin %s: 只有问题清单需要整改 only problem items are rectified; "
			    "this is a %s (%s) item\n", verbname, text_show(kind_label(kind)),
			    text_show(kind));
			goto out;
		}
		break;
	case STEP_CLOSE:
		if (strcmp(kind, "problem") == 0 && strcmp(status, "rectified") != 0) {
			fprintf(stderr, "tongxin %s: 问题清单须先整改再销号 a problem item must be "
			    "rectified before it is closed: tongxin item rectify %s --note TEXT\n",
			    verbname, argv[0]);
			goto out;
		}
		break;
	}
	/* A step never comes before the one it follows. */
	{
		static const char *const earlier[] = { "claimed_on", "rectified_on" };
		for (size_t k = 0; step == STEP_CLOSE && k < 2; k++) {
			const char *e = col_text(cur, ICOL(earlier[k]));
			if (e != NULL && strcmp(date, e) < 0) {
				fprintf(stderr, "tongxin %s: %s %s 早于%s %s\n", verbname,
				    td->cols[date_col].label, date, td->cols[ICOL(earlier[k])].label,
				    text_show(e));
				goto out;
			}
		}
	}

	cols[n] = (uint32_t)ICOL("status");
	value_set_text(&setv[n++], step == STEP_CLAIM ? "claimed" : step == STEP_RECTIFY ?
	    "rectified" : "closed");
	cols[n] = (uint32_t)date_col;
	value_set_text(&setv[n++], date);
	cols[n] = (uint32_t)note_col;
	value_set_text(&setv[n++], step == STEP_CLAIM ? by : note);

	/* The row as it would be, checked whole. */
	memcpy(newv, cur, sizeof newv);   /* borrowed strings */
	for (size_t k = 0; k < n; k++) {
		if (validate_value(&td->cols[cols[k]], &setv[k], why, sizeof why) != 0) {
			fprintf(stderr, "tongxin %s: %s\n", verbname, text_show(why));
			goto out;
		}
		newv[cols[k]] = setv[k];
	}
	if (validate_row(TBL_LIST_ITEM, newv, today, why, sizeof why) != 0) {
		fprintf(stderr, "tongxin %s: %s\n", verbname, text_show(why));
		goto out;
	}
	if (rep_begin(r, cli->operator_name) != 0 ||
	    rep_update(r, TBL_LIST_ITEM, id, cols, setv, n, err, sizeof err) != 0) {
		fprintf(stderr, "tongxin %s: %s\n", verbname, err[0] ? err : "cannot write the replica");
		rep_rollback(r);
		rc = EXIT_FAIL;
		goto out;
	}
	if ((rc = commit_or_fail(r, verbname)) == EXIT_OK && !cli->quiet) {
		const char *title = col_text(cur, ICOL("title")) ? col_text(cur, ICOL("title")) : "";
		if (step == STEP_CLAIM)
			printf("已认领 Claimed %s item「%s」by %s on %s\n", text_show(kind_label(kind)),
			    text_show(title), text_show(by), date);
		else if (step == STEP_RECTIFY)
			printf("已整改 Rectified problem item「%s」on %s\n", text_show(title), date);
		else
			printf("已销号 Closed %s item「%s」on %s\n", text_show(kind_label(kind)),
			    text_show(title), date);
	}
out:
	for (int c = 0; c < td->ncols; c++)
		value_clear(&cur[c]);
	return rc;
}

/* --- item list ----------------------------------------------------------- */

static int
item_list(struct cli *cli, struct replica *r, int argc, char **argv)
{
	static const char verbname[] = "item list";
	static const char *const ids[] = { "id", "kind", "title", "org", "status", "due_on",
		"claimed_by", "claimed_on", "rectified_on", "closed_on" };
	static const char *const hdr[] = { "编号", "类型", "事项", "组织", "状态", "期限",
		"认领方", "认领日期", "整改日期", "销号日期" };
	enum { NC = 10 };
	const char *org = NULL, *kind = NULL;
	int open_only = 0;
	struct table *t;
	sqlite3_stmt *st;
	char oid[ID_TEXT_LEN + 1];

	for (int i = 0; i < argc; i++) {
		const char *o = argv[i];
		if (strcmp(o, "--open") == 0) {
			open_only = 1;
			continue;
		}
		if (i + 1 >= argc || (strcmp(o, "--kind") != 0 && strcmp(o, "--org") != 0)) {
			fprintf(stderr, "tongxin %s: unknown option %s\n", verbname, o);
			return EXIT_USAGE;
		}
		if (strcmp(o, "--kind") == 0) {
			if ((kind = kind_canon(argv[i + 1])) == NULL) {
				bad_kind(verbname, argv[i + 1]);
				return EXIT_INVALID;
			}
		} else {
			org = argv[i + 1];
			if (org_id_by_code(replica_db(r), org, oid) != 0) {
				fprintf(stderr, "tongxin %s: 未知组织 unknown organisation code \"%s\"\n",
				    verbname, org);
				return EXIT_INVALID;
			}
		}
		i++;
	}
	/* --org takes in the organisation's whole subtree. Open items first, by due date. */
	if ((t = table_new(NC, ids, hdr)) == NULL || sqlite3_prepare_v2(replica_db(r),
	    "WITH RECURSIVE sub(id) AS (SELECT id FROM org WHERE code = ?1"
	    "  UNION SELECT o.id FROM org o JOIN sub ON o.parent_id = sub.id)"
	    " SELECT i.id, i.kind, i.title, coalesce(o.name, i.org_id), i.status, i.due_on,"
	    " i.claimed_by, i.claimed_on, i.rectified_on, i.closed_on"
	    " FROM list_item i LEFT JOIN org o ON o.id = i.org_id"
	    " WHERE (?1 IS NULL OR i.org_id IN (SELECT id FROM sub))"
	    " AND (?2 IS NULL OR i.kind = ?2) AND (?3 = 0 OR i.status <> 'closed')"
	    " ORDER BY i.status = 'closed', coalesce(i.due_on, '9999-99-99'), i.id", -1, &st,
	    NULL) != SQLITE_OK) {
		table_free(t);
		fprintf(stderr, "tongxin %s: %s\n", verbname, sqlite3_errmsg(replica_db(r)));
		return EXIT_FAIL;
	}
	sqlite3_bind_text(st, 1, org, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, open_only);
	table_set_vocab(t, 1, KINDS);
	table_set_vocab(t, 4, vocab_get("item_status"));
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *cells[NC];
		for (int c = 0; c < NC; c++)
			cells[c] = (const char *)sqlite3_column_text(st, c);
		/* People read the last 8 characters; machines get the whole id. */
		if (cli->fmt == TABLE_TEXT && cells[0] && strlen(cells[0]) > 8)
			cells[0] += strlen(cells[0]) - 8;
		if (table_add(t, cells) != 0) {
			sqlite3_finalize(st);
			table_free(t);
			fprintf(stderr, "tongxin %s: out of memory\n", verbname);
			return EXIT_FAIL;
		}
	}
	sqlite3_finalize(st);
	if (cli->fmt == TABLE_TEXT && table_rows(t) == 0) {
		table_free(t);
		printf("没有清单事项 No items.\n");
		return EXIT_OK;
	}
	table_print(t, stdout, cli->fmt);
	return EXIT_OK;
}

int
verb_item(struct cli *cli, int argc, char **argv)
{
	static const char *const steps[] = { "claim", "rectify", "close" };
	struct replica *r;
	int rc = -1;

	if (has_help(argc, argv) || argc < 2)
		return verb_usage("item", argc >= 2);
	for (int s = 0; s < 3 && rc < 0; s++)
		if (strcmp(argv[1], steps[s]) == 0)
			rc = s;
	if (rc < 0 && strcmp(argv[1], "add") != 0 && strcmp(argv[1], "list") != 0)
		return verb_usage("item", 0);
	if ((r = cli_open(cli)) == NULL)
		return EXIT_FAIL;
	if (rc >= 0)
		rc = item_step(cli, r, (enum item_step)rc, argc - 2, argv + 2);
	else if (strcmp(argv[1], "add") == 0)
		rc = item_add(cli, r, argc - 2, argv + 2);
	else
		rc = item_list(cli, r, argc - 2, argv + 2);
	replica_close(r);
	return rc;
}
