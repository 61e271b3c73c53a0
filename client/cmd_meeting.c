/*
 * cmd_meeting.c - tongxin meeting: organisational life (组织生活) records.
 *
 * The options are parsed here; the rules, the SQL and the write are the
 * domain layer's (dom_work.h), which the desk calls too: a meeting and its
 * attendance rows are checked and written in one local transaction, and a
 * command that fails leaves the replica and its outbox exactly as they were.
 */
#include "cli.h"
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

/* A meeting by its full id or a unique suffix (see row_by_suffix). */
static int
meeting_resolve(sqlite3 *db, const char *key, char id[ID_TEXT_LEN + 1], const char *verbname)
{
	return row_by_suffix(db, TBL_MEETING, key, id, verbname, "会议", "meeting");
}

/* --- attendance lists ---------------------------------------------------- */

/* One member on the roll of a meeting, as given on the command line. */
struct attendee {
	char *key;              /* member id or citizen ID number as given (owned) */
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
 * Excused entries are ID:REASON (a full-width colon also separates).
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
 * a missing item with the option that gives it, and the exit code. bad is
 * the roll entry concerned, or -1 for the meeting itself.
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
	return e->kind == DOM_INVALID || e->kind == DOM_MISSING ? EXIT_INVALID : EXIT_FAIL;
}

/* --- meeting add --------------------------------------------------------- */

/* The plain text options of meeting add and their columns. */
static const struct {
	const char *opt;
	const char *col;
} meeting_text_opts[] = {
	{ "--held-on", "held_on" },
	{ "--topic", "topic" },
	{ "--host", "host" },
	{ "--recorder", "recorder" },
	{ "--minutes", "minutes" },
};

static int
meeting_add(struct cli *cli, struct replica *r, int argc, char **argv)
{
	static const char verbname[] = "meeting add";
	sqlite3 *db = replica_db(r);
	Tongxin__Value vals[MAX_COLS];
	int set[MAX_COLS] = { 0 }, rc = EXIT_INVALID, counts[3], bad = -1;
	char org[ID_TEXT_LEN + 1], id[ID_TEXT_LEN + 1];
	struct dom_attendee *att = NULL;
	struct dom_error e;
	struct roll rl = { 0 };

	memset(vals, 0, sizeof vals);
	for (int i = 0; i < argc; i += 2) {
		const char *o = argv[i], *v;
		size_t k;

		if (strncmp(o, "--", 2) != 0 || i + 1 >= argc) {
			fprintf(stderr, "tongxin %s: expected --OPTION VALUE, got \"%s\"\n", verbname, o);
			rc = EXIT_USAGE;
			goto out;
		}
		v = argv[i + 1];
		if (strcmp(o, "--org") == 0) {
			if (org_id_by_code(db, v, org) != 0) {
				fprintf(stderr, "tongxin %s: 未知组织 unknown organisation code \"%s\"\n",
				    verbname, v);
				goto out;
			}
			value_set_text(&vals[MCOL("org_id")], org);
			set[MCOL("org_id")] = 1;
		} else if (strcmp(o, "--kind") == 0) {
			const char *k2 = kind_canon(v);
			if (k2 == NULL) {
				bad_kind(verbname, v);
				goto out;
			}
			value_set_text(&vals[MCOL("kind")], k2);
			set[MCOL("kind")] = 1;
		} else if (strcmp(o, "--present") == 0 || strcmp(o, "--excused") == 0 ||
		    strcmp(o, "--absent") == 0) {
			if ((rc = roll_add(&rl, v, o + 2, verbname)) != 0)
				goto out;
			rc = EXIT_INVALID;
		} else {
			for (k = 0; k < sizeof meeting_text_opts / sizeof meeting_text_opts[0]; k++)
				if (strcmp(o, meeting_text_opts[k].opt) == 0)
					break;
			if (k == sizeof meeting_text_opts / sizeof meeting_text_opts[0]) {
				fprintf(stderr, "tongxin %s: unknown option %s\n", verbname, o);
				rc = EXIT_USAGE;
				goto out;
			}
			/* An empty value leaves an optional column empty. */
			if (v[0] == '\0')
				value_set_null(&vals[MCOL(meeting_text_opts[k].col)]);
			else
				value_set_text(&vals[MCOL(meeting_text_opts[k].col)], v);
			set[MCOL(meeting_text_opts[k].col)] = v[0] != '\0';
		}
	}
	/* The meeting belongs to the device's organisation unless told otherwise. */
	if (!set[MCOL("org_id")]) {
		if (org_id_by_code(db, replica_info(r)->org_code, org) != 0) {
			fprintf(stderr, "tongxin %s: this device's organisation %s is not in the replica "
			    "yet; run \"tongxin sync\" first or give --org CODE\n", verbname,
			    replica_info(r)->org_code);
			goto out;
		}
		value_set_text(&vals[MCOL("org_id")], org);
		set[MCOL("org_id")] = 1;
	}
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

/* One meeting as a row of the list's table. */
static void
list_row(const struct dom_meeting_row *m, void *arg)
{
	struct list_ctx *lc = arg;
	char n[3][24];
	const char *cells[9] = { m->id, m->held_on, m->kind, m->org_name, m->topic, m->host,
		n[0], n[1], n[2] };

	for (int i = 0; i < 3; i++)
		snprintf(n[i], sizeof n[i], "%lld", (long long)m->counts[i]);
	/* People read the last 8 characters; machines get the whole id. */
	if (lc->fmt == TABLE_TEXT && cells[0] && strlen(cells[0]) > 8)
		cells[0] += strlen(cells[0]) - 8;
	if (table_add(lc->t, cells) != 0)
		lc->oom = true;
}

static int
meeting_list(struct cli *cli, struct replica *r, int argc, char **argv)
{
	static const char verbname[] = "meeting list";
	static const char *const ids[] = { "id", "held_on", "kind", "org", "topic", "host",
		"present", "excused", "absent" };
	const char *hdr[] = { "编号", "日期", "类型", "组织", "主题", "主持人",
		vocab_show(vocab_get("attendance"), "present"),
		vocab_show(vocab_get("attendance"), "excused"),
		vocab_show(vocab_get("attendance"), "absent") };
	const char *org = NULL, *kind = NULL, *kind_given = NULL, *from = NULL, *to = NULL;
	struct table *t;
	char oid[ID_TEXT_LEN + 1];

	for (int i = 0; i < argc; i += 2) {
		const char *o = argv[i];
		if (i + 1 >= argc) {
			fprintf(stderr, "tongxin %s: %s needs a value\n", verbname, o);
			return EXIT_USAGE;
		}
		if (strcmp(o, "--org") == 0)
			org = argv[i + 1];
		else if (strcmp(o, "--kind") == 0)
			kind_given = argv[i + 1];
		else if (strcmp(o, "--from") == 0)
			from = argv[i + 1];
		else if (strcmp(o, "--to") == 0)
			to = argv[i + 1];
		else {
			fprintf(stderr, "tongxin %s: unknown option %s\n", verbname, o);
			return EXIT_USAGE;
		}
	}
	if (org && org_id_by_code(replica_db(r), org, oid) != 0) {
		fprintf(stderr, "tongxin %s: 未知组织 unknown organisation code \"%s\"\n", verbname, org);
		return EXIT_INVALID;
	}
	if (kind_given && (kind = kind_canon(kind_given)) == NULL) {
		bad_kind(verbname, kind_given);
		return EXIT_INVALID;
	}
	if ((t = table_new(9, ids, hdr)) == NULL) {
		fprintf(stderr, "tongxin %s: out of memory\n", verbname);
		return EXIT_FAIL;
	}
	table_set_vocab(t, 2, KINDS);
	for (int c = 6; c < 9; c++)
		table_set_number(t, c);
	{
		struct dom_meeting_query q = { .org_id = org ? oid : NULL, .kind = kind, .from = from,
			.to = to };
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
 * meeting show --json: the meeting's columns (typed, the kind with its
 * label), the organisation's name, the counts, and the roll as "attendance".
 * Frees roll.
 */
static void
meeting_json(const char *id, const Tongxin__Value *vals, const char *org, const int n[3],
    struct table *roll)
{
	const struct table_def *td = &schema_tables[TBL_MEETING];
	const char *ids[MAX_COLS + 5], *cells[MAX_COLS + 5];
	char counts[3][16];
	int k = 0;
	struct table *t;

	ids[k] = "id";
	cells[k++] = id;
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
	table_set_vocab(t, 1 + MCOL("kind"), KINDS);
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
meeting_show(struct cli *cli, struct replica *r, const char *key)
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
	int rc, w = text_width("编号"), n[3];
	struct dom_error e;
	struct table *t;

	if ((rc = meeting_resolve(replica_db(r), key, id, verbname)) != 0)
		return rc;
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

int
verb_meeting(struct cli *cli, int argc, char **argv)
{
	struct replica *r;
	int rc;

	if (has_help(argc, argv) || argc < 2)
		return verb_usage("meeting", argc >= 2);
	if (strcmp(argv[1], "add") != 0 && strcmp(argv[1], "list") != 0 &&
	    !(strcmp(argv[1], "show") == 0 && argc == 3))
		return verb_usage("meeting", 0);
	if ((r = cli_open(cli)) == NULL)
		return EXIT_FAIL;
	if (strcmp(argv[1], "add") == 0)
		rc = meeting_add(cli, r, argc - 2, argv + 2);
	else if (strcmp(argv[1], "list") == 0)
		rc = meeting_list(cli, r, argc - 2, argv + 2);
	else
		rc = meeting_show(cli, r, argv[2]);
	replica_close(r);
	return rc;
}
