/*
 * cmd_item.c - tongxin item: list-based management (清单式管理).
 *
 * Items are responsibility, problem, learning, resource, activity, need and
 * project items; their life (claim 认领, rectify 整改, close out 销号) and
 * its rules are the domain layer's (dom_work.h), which the desk calls too.
 * This file parses the options and prints the answers.
 */
#include "cli.h"
#include "dom_work.h"

#include <stdio.h>
#include <string.h>

#include "text.h"
#include "validate.h"
#include "value.h"
#include "vocab.h"

#define MAX_COLS DOM_MAX_COLS
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

/*
 * The domain's refusal as the CLI reports it: the message after the verb,
 * a missing item with the option that gives it (before the message's
 * parenthesis, after its first word), and the exit code.
 */
static int
item_refused(const struct dom_error *e, const char *opt, const char *verbname)
{
	const char *msg = text_show(e->msg), *sp;

	if (e->kind == DOM_MISSING && opt != NULL && (sp = strstr(msg, " (")) != NULL)
		fprintf(stderr, "tongxin %s: %.*s %s%s\n", verbname, (int)(sp - msg), msg, opt, sp);
	else if (e->kind == DOM_MISSING && opt != NULL)
		fprintf(stderr, "tongxin %s: %s (%s)\n", verbname, msg, opt);
	else
		fprintf(stderr, "tongxin %s: %s\n", verbname, msg);
	return e->kind == DOM_INVALID || e->kind == DOM_MISSING ? EXIT_INVALID : EXIT_FAIL;
}

/* The option that gives a list item's column ("--due-on"; "--org" for org_id). */
static const char *
item_opt(int col, char buf[64])
{
	if (col < 0)
		return NULL;
	snprintf(buf, 64, "--%s", schema_tables[TBL_LIST_ITEM].cols[col].name);
	for (char *p = buf; *p; p++)
		if (*p == '_')
			*p = '-';
	return strcmp(buf, "--org-id") == 0 ? "--org" : buf;
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
	sqlite3 *db = replica_db(r);
	Tongxin__Value vals[MAX_COLS];
	int set[MAX_COLS] = { 0 };
	char org[ID_TEXT_LEN + 1], id[ID_TEXT_LEN + 1], opt[64];
	struct dom_error e;

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
	if (dom_item_add(r, cli->operator_name, vals, set, false, id, &e) != 0)
		return item_refused(&e, item_opt(e.col, opt), verbname);
	if (!cli->quiet)
		printf("已添加清单 Added %s item「%s」(id %s)\n", kind_label(vals[ICOL("kind")].s),
		    text_show(vals[ICOL("title")].s), id);
	return EXIT_OK;
}

/* --- claim, rectify, close ----------------------------------------------- */

/*
 * Take an item one step (claim, rectify or close): parse ID and the step's
 * options and hand them to dom_item_step, which checks the step against
 * the item's kind, status and dates in the write's transaction. Returns an
 * exit code.
 */
static int
item_step(struct cli *cli, struct replica *r, enum dom_item_step step, int argc, char **argv)
{
	static const char *const verbnames[] = { "item claim", "item rectify", "item close" };
	static const char *const text_opts[] = { "--by NAME", "--note TEXT", "--note TEXT" };
	const char *verbname = verbnames[step];
	const char *by = NULL, *note = NULL, *date = NULL;
	struct dom_item_done done;
	struct dom_error e;
	char id[ID_TEXT_LEN + 1];
	int rc;

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
		else if (step == DOM_ITEM_CLAIM && strcmp(o, "--by") == 0)
			by = argv[i + 1];
		else if (step != DOM_ITEM_CLAIM && strcmp(o, "--note") == 0)
			note = argv[i + 1];
		else {
			fprintf(stderr, "tongxin %s: unknown option %s\n", verbname, o);
			return EXIT_USAGE;
		}
	}
	if ((rc = item_resolve(replica_db(r), argv[0], id, verbname)) != 0)
		return rc;
	if (dom_item_step(r, cli->operator_name, id, step, date, step == DOM_ITEM_CLAIM ? by : note,
	    false, &done, &e) != 0) {
		if (done.need_rectify) {
			fprintf(stderr, "tongxin %s: %s: tongxin item rectify %s --note TEXT\n",
			    verbname, text_show(e.msg), text_show(argv[0]));
			return EXIT_INVALID;
		}
		return item_refused(&e, text_opts[step], verbname);
	}
	if (cli->quiet)
		return EXIT_OK;
	if (step == DOM_ITEM_CLAIM)
		printf("已认领 Claimed %s item「%s」by %s on %s\n", text_show(kind_label(done.kind)),
		    text_show(done.title), text_show(by), done.date);
	else if (step == DOM_ITEM_RECTIFY)
		printf("已整改 Rectified problem item「%s」on %s\n", text_show(done.title), done.date);
	else
		printf("已销号 Closed %s item「%s」on %s\n", text_show(kind_label(done.kind)),
		    text_show(done.title), done.date);
	return EXIT_OK;
}

/* --- item list ----------------------------------------------------------- */

/* The list being filled, for list_row. */
struct list_ctx {
	struct table *t;
	enum table_format fmt;
	bool oom;
};

/* One item as a row of the list's table. */
static void
list_row(const struct dom_item_row *i, void *arg)
{
	struct list_ctx *lc = arg;
	const char *cells[] = { i->id, i->kind, i->title, i->org_name, i->status, i->due_on,
		i->claimed_by, i->claimed_on, i->rectified_on, i->closed_on };

	/* People read the last 8 characters; machines get the whole id. */
	if (lc->fmt == TABLE_TEXT && cells[0] && strlen(cells[0]) > 8)
		cells[0] += strlen(cells[0]) - 8;
	if (table_add(lc->t, cells) != 0)
		lc->oom = true;
}

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
	bool open_only = false;
	struct table *t;
	char oid[ID_TEXT_LEN + 1];

	for (int i = 0; i < argc; i++) {
		const char *o = argv[i];
		if (strcmp(o, "--open") == 0) {
			open_only = true;
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
	if ((t = table_new(NC, ids, hdr)) == NULL) {
		fprintf(stderr, "tongxin %s: out of memory\n", verbname);
		return EXIT_FAIL;
	}
	table_set_vocab(t, 1, KINDS);
	table_set_vocab(t, 4, vocab_get("item_status"));
	{
		/* --org takes in the organisation's whole subtree. */
		struct dom_item_query q = { .org_id = org ? oid : NULL, .kind = kind,
			.open_only = open_only };
		struct list_ctx lc = { .t = t, .fmt = cli->fmt };
		struct dom_error e;
		if (dom_item_list(r, &q, list_row, &lc, &e) != 0 || lc.oom) {
			table_free(t);
			if (lc.oom) {
				fprintf(stderr, "tongxin %s: out of memory\n", verbname);
				return EXIT_FAIL;
			}
			return item_refused(&e, NULL, verbname);
		}
	}
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
		rc = item_step(cli, r, (enum dom_item_step)rc, argc - 2, argv + 2);
	else if (strcmp(argv[1], "add") == 0)
		rc = item_add(cli, r, argc - 2, argv + 2);
	else
		rc = item_list(cli, r, argc - 2, argv + 2);
	replica_close(r);
	return rc;
}
