/*
 * cmd_meeting.c - tongxin meeting: organisational life (组织生活) records.
 *
 * A meeting and its attendance rows are written in one local transaction,
 * so the server applies them whole or queues them whole as a conflict.
 * Everything is checked before the transaction starts: a command that
 * fails leaves the replica and its outbox exactly as they were.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "validate.h"
#include "value.h"
#include "vocab.h"

#define MAX_COLS 32
/*
 * The meeting row and its attendance must fit in one outbox transaction
 * (replica.c cuts a local transaction at REP_TXN_MAX_CHANGES changes), or
 * the server could apply the meeting without part of its attendance.
 */
#define MAX_ATTENDEES (REP_TXN_MAX_CHANGES - 1)

#define MCOL(name) schema_col_index(&schema_tables[TBL_MEETING], name)
#define ACOL(name) schema_col_index(&schema_tables[TBL_ATTENDANCE], name)

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
	char member[ID_TEXT_LEN + 1];  /* the member's id, once resolved */
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
 * Empty entries (a trailing comma) are skipped. Returns 0 or an exit
 * code, having printed why.
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
		if (excused && (a->reason == NULL || a->reason[0] == '\0')) {
			fprintf(stderr, "tongxin %s: 请假须说明事由 excused member \"%s\" needs a reason "
			    "(--excused ID:REASON)\n", verbname, key);
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
 * Resolve every attendee to a member of this replica, once each, and check
 * the reasons against the schema. Returns 0 or EXIT_INVALID, having printed
 * why.
 */
static int
roll_resolve(sqlite3 *db, struct roll *rl, const char *verbname)
{
	const struct col_def *reason_col = &schema_tables[TBL_ATTENDANCE].cols[ACOL("reason")];
	char why[512];

	if (rl->n > MAX_ATTENDEES) {
		fprintf(stderr, "tongxin %s: 出勤名单过长 %zu members on the roll; at most %d per "
		    "meeting\n", verbname, rl->n, MAX_ATTENDEES);
		return EXIT_INVALID;
	}
	for (size_t i = 0; i < rl->n; i++) {
		struct attendee *a = &rl->a[i];
		if (member_id(db, a->key, a->member) != 0) {
			fprintf(stderr, "tongxin %s: 未找到党员 no member \"%s\" in this replica\n",
			    verbname, a->key);
			return EXIT_INVALID;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(rl->a[j].member, a->member) == 0) {
				if (strcmp(rl->a[j].key, a->key) == 0)
					fprintf(stderr, "tongxin %s: 党员重复 member \"%s\" is listed more "
					    "than once\n", verbname, a->key);
				else
					fprintf(stderr, "tongxin %s: 党员重复 member \"%s\" is listed more "
					    "than once (also as \"%s\")\n", verbname, a->key,
					    rl->a[j].key);
				return EXIT_INVALID;
			}
		if (a->reason != NULL) {
			Tongxin__Value v;
			value_set_text(&v, a->reason);
			if (validate_value(reason_col, &v, why, sizeof why) != 0) {
				fprintf(stderr, "tongxin %s: %s (member \"%s\")\n", verbname, why, a->key);
				return EXIT_INVALID;
			}
		}
	}
	return 0;
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
	const struct table_def *td = &schema_tables[TBL_MEETING];
	sqlite3 *db = replica_db(r);
	Tongxin__Value vals[MAX_COLS];
	int set[MAX_COLS] = { 0 }, rc = EXIT_INVALID, dissolved = 0;
	char org[ID_TEXT_LEN + 1], id[ID_TEXT_LEN + 1], today[11], why[512], err[512] = "";
	size_t counts[3] = { 0, 0, 0 };
	struct roll rl = { 0 };
	sqlite3_stmt *st;

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
	for (int c = 0; c < td->ncols; c++)
		if ((td->cols[c].flags & COLF_REQUIRED) && !set[c]) {
			char opt[64];
			snprintf(opt, sizeof opt, "%s", td->cols[c].name);
			for (char *p = opt; *p; p++)
				if (*p == '_')
					*p = '-';
			fprintf(stderr, "tongxin %s: 缺少必填项 %s (--%s)\n", verbname, td->cols[c].label,
			    opt);
			goto out;
		}
	if ((rc = check_values(TBL_MEETING, vals, set, 0, verbname)) != 0)
		goto out;
	rc = EXIT_INVALID;
	today_str(today);
	if (validate_row(TBL_MEETING, vals, today, why, sizeof why) != 0) {
		fprintf(stderr, "tongxin %s: %s\n", verbname, text_show(why));
		goto out;
	}
	if (sqlite3_prepare_v2(db, "SELECT coalesce(dissolved, 0) FROM org WHERE id = ?1", -1, &st,
	    NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, vals[MCOL("org_id")].s, -1, SQLITE_STATIC);
		dissolved = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) != 0;
		sqlite3_finalize(st);
	}
	if (dissolved) {
		fprintf(stderr, "tongxin %s: 组织已撤销 the organisation is dissolved; no meetings can "
		    "be recorded for it\n", verbname);
		goto out;
	}
	if ((rc = roll_resolve(db, &rl, verbname)) != 0)
		goto out;

	/* Everything is checked: the meeting and its roll in one local transaction. */
	if (rep_begin(r, cli->operator_name) != 0 ||
	    rep_insert(r, TBL_MEETING, vals, id, err, sizeof err) != 0)
		goto write_fail;
	for (size_t i = 0; i < rl.n; i++) {
		Tongxin__Value av[MAX_COLS];
		char aid[ID_TEXT_LEN + 1];
		memset(av, 0, sizeof av);
		value_set_text(&av[ACOL("meeting_id")], id);
		value_set_text(&av[ACOL("member_id")], rl.a[i].member);
		value_set_text(&av[ACOL("status")], rl.a[i].status);
		if (rl.a[i].reason != NULL)
			value_set_text(&av[ACOL("reason")], rl.a[i].reason);
		if (rep_insert(r, TBL_ATTENDANCE, av, aid, err, sizeof err) != 0)
			goto write_fail;
		counts[rl.a[i].status[0] == 'p' ? 0 : rl.a[i].status[0] == 'e' ? 1 : 2]++;
	}
	if ((rc = commit_or_fail(r, verbname)) == EXIT_OK && !cli->quiet)
		printf("已添加会议 Added meeting %s %s「%s」(id %s): 出席 %zu, 请假 %zu, 缺席 %zu\n",
		    vals[MCOL("held_on")].s, kind_label(vals[MCOL("kind")].s),
		    text_show(vals[MCOL("topic")].s), id, counts[0], counts[1], counts[2]);
	goto out;
write_fail:
	fprintf(stderr, "tongxin %s: %s\n", verbname, err[0] ? err : "cannot write the replica");
	rep_rollback(r);
	rc = EXIT_FAIL;
out:
	roll_free(&rl);
	return rc;
}

/* --- meeting list -------------------------------------------------------- */

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
	sqlite3_stmt *st;
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
	if ((from && !validate_date(from)) || (to && !validate_date(to))) {
		fprintf(stderr, "tongxin %s: 日期 \"%s\" 无效，应为 YYYY-MM-DD\n", verbname,
		    from && !validate_date(from) ? from : to);
		return EXIT_INVALID;
	}
	if (from && to && strcmp(from, to) > 0) {
		fprintf(stderr, "tongxin %s: 起始日期 %s 晚于截止日期 %s (--from is after --to)\n",
		    verbname, from, to);
		return EXIT_INVALID;
	}
	/* --org takes in the organisation's whole subtree: a community sees its branches. */
	if ((t = table_new(9, ids, hdr)) == NULL || sqlite3_prepare_v2(replica_db(r),
	    "WITH RECURSIVE sub(id) AS (SELECT id FROM org WHERE code = ?1"
	    "  UNION SELECT o.id FROM org o JOIN sub ON o.parent_id = sub.id)"
	    " SELECT m.id, m.held_on, m.kind, coalesce(o.name, m.org_id), m.topic, m.host,"
	    " (SELECT count(*) FROM attendance a WHERE a.meeting_id = m.id AND a.status = 'present'),"
	    " (SELECT count(*) FROM attendance a WHERE a.meeting_id = m.id AND a.status = 'excused'),"
	    " (SELECT count(*) FROM attendance a WHERE a.meeting_id = m.id AND a.status = 'absent')"
	    " FROM meeting m LEFT JOIN org o ON o.id = m.org_id"
	    " WHERE (?1 IS NULL OR m.org_id IN (SELECT id FROM sub))"
	    " AND (?2 IS NULL OR m.kind = ?2) AND (?3 IS NULL OR m.held_on >= ?3)"
	    " AND (?4 IS NULL OR m.held_on <= ?4)"
	    " ORDER BY m.held_on, o.code, m.id", -1, &st, NULL) != SQLITE_OK) {
		table_free(t);
		fprintf(stderr, "tongxin %s: %s\n", verbname, sqlite3_errmsg(replica_db(r)));
		return EXIT_FAIL;
	}
	sqlite3_bind_text(st, 1, org, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, to, -1, SQLITE_STATIC);
	table_set_vocab(t, 2, KINDS);
	for (int c = 6; c < 9; c++)
		table_set_number(t, c);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *cells[9];
		for (int c = 0; c < 9; c++)
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

static int
meeting_show(struct cli *cli, struct replica *r, const char *key)
{
	static const char verbname[] = "meeting show";
	static const char *const ids[] = { "member", "status", "reason" };
	static const char *const hdr[] = { "党员", "出勤", "请假事由" };
	const struct table_def *td = &schema_tables[TBL_MEETING];
	sqlite3 *db = replica_db(r);
	Tongxin__Value vals[MAX_COLS];
	char id[ID_TEXT_LEN + 1], org[512] = "", counts[128];
	int rc, w = text_width("编号"), n[3] = { 0, 0, 0 };
	struct table *t;
	sqlite3_stmt *st;

	(void)cli;
	if ((rc = meeting_resolve(db, key, id, verbname)) != 0)
		return rc;
	memset(vals, 0, sizeof vals);
	if (rep_get(r, TBL_MEETING, id, vals, NULL) != 1) {
		fprintf(stderr, "tongxin %s: cannot read meeting %s\n", verbname, id);
		return EXIT_FAIL;
	}
	if (sqlite3_prepare_v2(db, "SELECT name, code FROM org WHERE id = ?1", -1, &st,
	    NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, vals[MCOL("org_id")].s, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			snprintf(org, sizeof org, "%s (%s)", (const char *)sqlite3_column_text(st, 0),
			    (const char *)sqlite3_column_text(st, 1));
		sqlite3_finalize(st);
	}
	for (int c = 0; c < td->ncols; c++)
		if (text_width(td->cols[c].label) > w)
			w = text_width(td->cols[c].label);

	/* The roll: present first, then excused, then absent, by name. */
	if ((t = table_new(3, ids, hdr)) == NULL || sqlite3_prepare_v2(db,
	    "SELECT coalesce(p.name, '(不在本副本 not in this replica) ' || a.member_id), a.status,"
	    " a.reason FROM attendance a LEFT JOIN member p ON p.id = a.member_id"
	    " WHERE a.meeting_id = ?1 ORDER BY CASE a.status WHEN 'present' THEN 0"
	    " WHEN 'excused' THEN 1 ELSE 2 END, p.name, a.id", -1, &st, NULL) != SQLITE_OK) {
		table_free(t);
		for (int c = 0; c < td->ncols; c++)
			value_clear(&vals[c]);
		fprintf(stderr, "tongxin %s: %s\n", verbname, sqlite3_errmsg(db));
		return EXIT_FAIL;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	table_set_vocab(t, 1, vocab_get("attendance"));
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *cells[3];
		const char *s = (const char *)sqlite3_column_text(st, 1);
		cells[0] = (const char *)sqlite3_column_text(st, 0);
		cells[1] = s;   /* the code: the table shows its label */
		cells[2] = (const char *)sqlite3_column_text(st, 2);
		if (s != NULL)
			n[s[0] == 'p' ? 0 : s[0] == 'e' ? 1 : 2]++;
		table_add(t, cells);
	}
	sqlite3_finalize(st);

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
	snprintf(counts, sizeof counts, "出席 %d，请假 %d，缺席 %d", n[0], n[1], n[2]);
	show_line("出勤", counts, w);
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
