/*
 * cmd_import.c - tongxin member import: members from a spreadsheet (CSV).
 *
 * The file has a header row naming the national form's columns, in Chinese
 * (the schema's labels: 姓名, 性别, 公民身份号码, 所在党支部, ...) or English
 * (the column names), and values as clerks write them (男/女, 正式党员, 大专,
 * 是/否, 2020/1/5). Every row is checked exactly as "member add" checks
 * one member, plus citizen ID numbers unique within the file.
 *
 * Nothing is half-imported. The rows are checked and written inside one
 * local transaction (BEGIN IMMEDIATE, so nothing changes underneath the
 * checks); if any row is bad the transaction is rolled back and the replica
 * and its outbox are exactly as before, unless --take-good asks for the
 * good rows. The bad rows go to an error file (the original columns plus a
 * 错误 column with the reasons) that the clerk fixes and imports again:
 * the 错误 column is ignored on import. The error file is written by the
 * client's one CSV writer (table.h), and every cell read here first loses
 * the marks that writer adds (an apostrophe before a formula start, a TAB
 * before a citizen ID number), so what "tongxin" exports comes back as the
 * same values.
 *
 * Inputs are bounded before they are parsed: the file size, the bytes of
 * one record, the fields of one record and the number of rows.
 */
#include "cli.h"
#include "cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dom_roster.h"
#include "text.h"
#include "validate.h"
#include "value.h"
#include "vocab.h"

#define MAX_COLS 32
#define IMPORT_MAX_FILE   (50u * 1024 * 1024)  /* bytes of the whole file */
#define IMPORT_MAX_RECORD 65536                /* bytes of one record */
#define IMPORT_MAX_FIELDS 64                   /* fields of one record */
#define IMPORT_MAX_ROWS   500000               /* data rows */
#define IMPORT_SHOW_ERRORS 10                  /* bad rows echoed on the terminal */

#define MEMBER (&schema_tables[TBL_MEMBER])

static const char verbname[] = "member import";

/* --- CSV reading (RFC 4180, in place) ------------------------------------ */

/* The file in memory; fields are unescaped in place and NUL-terminated. */
struct csv {
	char *buf;      /* len + 1 bytes */
	size_t len, pos;
};

/*
 * Read the next record into f[0..*nf). Quoted fields may hold commas,
 * doubled quotes and line breaks; records end with CRLF, LF or CR.
 * Returns 1 with a record, 0 at the end, -1 with err set (a record too
 * long, too many fields, an unterminated quote).
 */
static int
csv_next(struct csv *c, char **f, int *nf, char *err, size_t cap)
{
	char *p = c->buf + c->pos, *end = c->buf + c->len, *start = p;
	int n = 0;

	if (p >= end)
		return 0;
	for (;;) {
		char *fs = p, *w = p, delim;

		if (n == IMPORT_MAX_FIELDS) {
			snprintf(err, cap, "一行超过 %d 个字段 more than %d fields in a row",
			    IMPORT_MAX_FIELDS, IMPORT_MAX_FIELDS);
			return -1;
		}
		if (p < end && *p == '"') {
			p++;
			for (;;) {
				if (p >= end || p - start > IMPORT_MAX_RECORD) {
					snprintf(err, cap, p >= end ? "引号未闭合 a quoted field is not "
					    "closed" : "一行超过 %d 字节 a row is longer than %d bytes",
					    IMPORT_MAX_RECORD, IMPORT_MAX_RECORD);
					return -1;
				}
				if (*p == '"') {
					if (p + 1 < end && p[1] == '"') {
						*w++ = '"';
						p += 2;
						continue;
					}
					p++;
					break;
				}
				*w++ = *p++;
			}
		}
		/* Unquoted text, or (leniently) text after a closing quote. */
		while (p < end && *p != ',' && *p != '\n' && *p != '\r')
			*w++ = *p++;
		if (p - start > IMPORT_MAX_RECORD) {
			snprintf(err, cap, "一行超过 %d 字节 a row is longer than %d bytes",
			    IMPORT_MAX_RECORD, IMPORT_MAX_RECORD);
			return -1;
		}
		delim = p < end ? *p : '\n';
		if (p < end)
			p++;
		*w = '\0';   /* w <= the delimiter's place; buf has a spare byte at the end */
		f[n++] = fs;
		if (delim == ',')
			continue;
		if (delim == '\r' && p < end && *p == '\n')
			p++;
		break;
	}
	c->pos = (size_t)(p - c->buf);
	*nf = n;
	return 1;
}

/* --- header ------------------------------------------------------------- */

#define HDR_IGNORE (-1)   /* a column that is not data (序号, the error column) */
#define HDR_ERROR  (-2)   /* the 错误 column of an error file */

/* Other names clerks' spreadsheets use for the columns. */
static const struct {
	const char *name, *col;
} header_aliases[] = {
	{ "branch", "org_id" }, { "org", "org_id" }, { "branch_code", "org_id" },
	{ "党支部", "org_id" }, { "支部", "org_id" }, { "所在支部", "org_id" },
	{ "所在党组织", "org_id" },
	{ "身份证号", "id_number" }, { "身份证号码", "id_number" },
	{ "公民身份证号码", "id_number" }, { "公民身份证号", "id_number" },
	{ "文化程度", "education" }, { "党员类别", "category" }, { "类别", "category" },
	{ "入党时间", "join_date" }, { "转正时间", "full_date" }, { "出生年月日", "birth_date" },
	{ "电话", "phone" }, { "手机", "phone" }, { "手机号码", "phone" }, { "联系方式", "phone" },
	{ "住址", "address" }, { "家庭地址", "address" }, { "工作单位及职务", "job" },
	{ "report_org", "report_org_id" }, { "在职党员报到社区", "report_org_id" },
};

static const char *const header_ignored[] = { "序号", "no", "no.", "#" };

/* Trim blanks (ASCII and the ideographic space U+3000) in place. */
static char *
trim(char *s)
{
	char *e;

	for (;;) {
		if (*s == ' ' || *s == '\t')
			s++;
		else if (strncmp(s, "\xe3\x80\x80", 3) == 0)
			s += 3;
		else
			break;
	}
	e = s + strlen(s);
	for (;;) {
		if (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		else if (e - s >= 3 && memcmp(e - 3, "\xe3\x80\x80", 3) == 0)
			e -= 3;
		else
			break;
	}
	*e = '\0';
	return s;
}

/* Whether s is empty or only blanks (ASCII space, TAB, U+3000), as trim() sees them. */
static int
blank_only(const char *s)
{
	for (;;) {
		if (*s == ' ' || *s == '\t')
			s++;
		else if (strncmp(s, "\xe3\x80\x80", 3) == 0)
			s += 3;
		else
			return *s == '\0';
	}
}

/* The column a header cell names: a member column index, HDR_IGNORE, HDR_ERROR or -3. */
static int
header_column(const char *h)
{
	char name[64];
	int c;

	if (h[0] == '\0')
		return HDR_IGNORE;
	if (strcmp(h, "错误") == 0 || strcasecmp(h, "error") == 0 || strcmp(h, "错误原因") == 0)
		return HDR_ERROR;
	for (size_t i = 0; i < sizeof header_ignored / sizeof header_ignored[0]; i++)
		if (strcasecmp(h, header_ignored[i]) == 0)
			return HDR_IGNORE;
	snprintf(name, sizeof name, "%s", h);
	for (char *p = name; *p; p++) {
		if (*p == '-' || *p == ' ')
			*p = '_';
		else if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	}
	for (c = 0; c < MEMBER->ncols; c++)
		if (strcmp(h, MEMBER->cols[c].label) == 0 || strcmp(name, MEMBER->cols[c].name) == 0)
			return c;
	for (size_t i = 0; i < sizeof header_aliases / sizeof header_aliases[0]; i++)
		if (strcmp(h, header_aliases[i].name) == 0 || strcmp(name, header_aliases[i].name) == 0)
			return schema_col_index(MEMBER, header_aliases[i].col);
	return -3;
}

/* --- values as clerks write them ----------------------------------------- */

/*
 * The allowed values of a vocabulary, for an error cell: every label when
 * they are few, else the first few and how many there are (58 民族).
 */
static void
enum_choices(const struct vocab *v, char *buf, size_t cap)
{
	if (v->n <= 16) {
		vocab_list(v, 0, "/", buf, cap);
		return;
	}
	snprintf(buf, cap, "%s/%s/%s 等 %zu 项之一", v->entries[0].label, v->entries[1].label,
	    v->entries[2].label, v->n);
}

/* A yes/no cell: 1, 0, or -1 when it is neither. Empty is no. */
static int
bool_value(const char *s)
{
	const char *code = s[0] == '\0' ? "0" : vocab_parse(vocab_get("bool"), s);
	return code == NULL ? -1 : code[0] == '1';
}

/* Read a run of 1..max digits at *p. */
static int
digits(const char **p, int max, int *out)
{
	int n = 0, v = 0;

	while (n < max && **p >= '0' && **p <= '9') {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	*out = v;
	return n;
}

/*
 * A date as spreadsheets write it - 2020-01-05, 2020/1/5, 2020.1.5,
 * 2020年1月5日, 20200105 - as YYYY-MM-DD in out. 0 if it has that shape
 * (the calendar is checked later), -1 if not.
 */
static int
date_normalise(const char *s, char out[11])
{
	const char *p = s;
	int y, m, d;

	if (strlen(s) == 8 && digits(&p, 8, &y) == 8) {
		snprintf(out, 11, "%.4s-%.2s-%.2s", s, s + 4, s + 6);
		return 0;
	}
	p = s;
	if (digits(&p, 4, &y) != 4)
		return -1;
	if (*p == '-' || *p == '/' || *p == '.')
		p++;
	else if (strncmp(p, "年", 3) == 0)
		p += 3;
	else
		return -1;
	if (digits(&p, 2, &m) == 0)
		return -1;
	if (*p == '-' || *p == '/' || *p == '.')
		p++;
	else if (strncmp(p, "月", 3) == 0)
		p += 3;
	else
		return -1;
	if (digits(&p, 2, &d) == 0)
		return -1;
	if (strncmp(p, "日", 3) == 0)
		p += 3;
	if (*p != '\0')
		return -1;
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
	    (unsigned)d % 100u);
	return 0;
}

/* --- checking one row ---------------------------------------------------- */

/* The statements an import keeps prepared. */
struct import_stmts {
	sqlite3_stmt *org_code;   /* id, dissolved of an org by code */
	sqlite3_stmt *org_name;   /* ... by name */
	sqlite3_stmt *member_idn; /* a member by citizen ID number */
};

/* Citizen ID numbers seen in the file: open addressing, key -> first row. */
struct idset {
	struct idslot {
		char id[19];
		long row;
	} *slot;
	size_t cap, n;
};

static uint32_t
id_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The row where id was first seen, or 0 after recording it at row. -1 on OOM. */
static long
idset_check(struct idset *s, const char *id, long row)
{
	size_t i;

	if (s->n * 2 >= s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 1024;
		struct idslot *ns = calloc(ncap, sizeof *ns);
		if (ns == NULL)
			return -1;
		for (size_t k = 0; k < s->cap; k++)
			if (s->slot[k].row) {
				for (i = id_hash(s->slot[k].id) & (ncap - 1); ns[i].row;
				    i = (i + 1) & (ncap - 1))
					;
				ns[i] = s->slot[k];
			}
		free(s->slot);
		s->slot = ns;
		s->cap = ncap;
	}
	for (i = id_hash(id) & (s->cap - 1); s->slot[i].row; i = (i + 1) & (s->cap - 1))
		if (strcmp(s->slot[i].id, id) == 0)
			return s->slot[i].row;
	snprintf(s->slot[i].id, sizeof s->slot[i].id, "%s", id);
	s->slot[i].row = row;
	s->n++;
	return 0;
}

/* A growing "；"-separated list of reasons. */
struct reasons {
	char text[2048];
	size_t len;
	int n;
};

static void
reason_add(struct reasons *rs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
reason_add(struct reasons *rs, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (rs->len + 4 >= sizeof rs->text)
		return;
	if (rs->n++ > 0) {
		memcpy(rs->text + rs->len, "；", 3);
		rs->len += 3;
	}
	va_start(ap, fmt);
	w = vsnprintf(rs->text + rs->len, sizeof rs->text - rs->len, fmt, ap);
	va_end(ap);
	if (w > 0)
		rs->len += (size_t)w < sizeof rs->text - rs->len ? (size_t)w :
		    sizeof rs->text - rs->len - 1;
}

/* An organisation named by code or name: 0 with id, or a reason. */
static int
org_lookup(struct import_stmts *s, const char *key, char id[ID_TEXT_LEN + 1],
    const struct col_def *cd, struct reasons *rs)
{
	sqlite3_stmt *st = s->org_code;
	int found = 0, dissolved = 0;

	for (int pass = 0; pass < 2 && found == 0; pass++, st = s->org_name) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW) {
			if (found++ == 0) {
				snprintf(id, ID_TEXT_LEN + 1, "%s", (const char *)sqlite3_column_text(st, 0));
				dissolved = sqlite3_column_int(st, 1);
			}
		}
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
	if (found == 0) {
		reason_add(rs, "未知组织 %s \"%s\" (unknown organisation code or name)", cd->label, key);
		return -1;
	}
	if (found > 1) {
		reason_add(rs, "%s \"%s\" 有多个同名组织，请填写组织编码 (ambiguous name; give the code)",
		    cd->label, key);
		return -1;
	}
	if (dissolved) {
		reason_add(rs, "%s \"%s\" 已撤销 (the organisation is dissolved)", cd->label, key);
		return -1;
	}
	return 0;
}

/* Scratch space for one row's converted values. */
struct rowvals {
	Tongxin__Value v[MAX_COLS];
	int set[MAX_COLS];
	int bad[MAX_COLS];   /* given, but not a valid value (already reported) */
	char dates[MAX_COLS][11];
	char refs[MAX_COLS][ID_TEXT_LEN + 1];
	char birth[11];
	char scratch[IMPORT_MAX_RECORD + IMPORT_MAX_FIELDS + 16];
};

/*
 * Convert and check one data row (fields f[0..nf), header map map[0..nh)).
 * Fills rv for rep_insert and returns 0, or returns -1 with the reasons.
 */
static int
check_row(struct import_stmts *s, struct idset *seen, long row, char **f, int nf,
    const int *map, int nh, const char *today, struct rowvals *rv, struct reasons *rs)
{
	const struct table_def *td = MEMBER;
	int c_id = schema_col_index(td, "id_number"), c_birth = schema_col_index(td, "birth_date");
	int c_standing = schema_col_index(td, "standing");
	char *sp = rv->scratch, why[512];
	long first;

	memset(rv->v, 0, sizeof rv->v);
	memset(rv->set, 0, sizeof rv->set);
	memset(rv->bad, 0, sizeof rv->bad);
	/* Cells beyond the header are an error only when something is in them. */
	for (int i = nh; i < nf; i++)
		if (f[i][0] != '\0') {
			reason_add(rs, "第 %d 列有内容但表头只有 %d 列 (a value beyond the header's "
			    "columns)", i + 1, nh);
			return -1;
		}
	if (nf > nh)
		nf = nh;
	for (int i = 0; i < nf; i++) {
		const struct col_def *cd;
		char *val;
		size_t len;
		int c = map[i];

		if (c < 0)
			continue;
		cd = &td->cols[c];
		/*
		 * A private copy: without the CSV writer's mark, line breaks
		 * inside a cell as LF, trimmed, and ="..." (a spreadsheet's text
		 * formula) unwrapped. Free text (address, job, notes...) keeps
		 * its blanks as they are, so what member export wrote comes back
		 * the same; a cell of blanks only is empty all the same.
		 */
		val = sp;
		for (const char *p = table_csv_unmark(f[i]); *p; p++)
			if (!(p[0] == '\r' && p[1] == '\n'))
				*sp++ = *p;
		*sp++ = '\0';
		if (cd->type == COL_TEXT && c != c_id && !(cd->flags & COLF_PERSON_NAME)) {
			if (blank_only(val))
				val[0] = '\0';
		} else {
			val = trim(val);
		}
		len = strlen(val);
		if (len >= 3 && val[0] == '=' && val[1] == '"' && val[len - 1] == '"') {
			val[len - 1] = '\0';
			val += 2;
		}
		if (c == c_id) {
			if (val[0] == '\'')
				val++;
			for (char *p = val; *p; p++)
				if (*p == 'x')
					*p = 'X';
		}
		rv->set[c] = 1;
		if (cd->type == COL_BOOL) {
			int b = bool_value(val);
			if (b < 0) {
				reason_add(rs, "%s 应填“是”或“否”，不是 \"%s\"", cd->label, val);
				rv->bad[c] = 1;
				continue;
			}
			value_set_int(&rv->v[c], b);
			continue;
		}
		if (val[0] == '\0') {
			value_set_null(&rv->v[c]);
			continue;
		}
		if (cd->type == COL_ENUM) {
			const char *e = vocab_col_store(cd, val);
			char choices[256];
			if (e == NULL) {
				enum_choices(vocab_of_col(cd), choices, sizeof choices);
				reason_add(rs, "%s \"%s\" 无效，应为 %s", cd->label, val, choices);
				rv->bad[c] = 1;
				continue;
			}
			value_set_text(&rv->v[c], e);
		} else if (cd->type == COL_DATE) {
			if (date_normalise(val, rv->dates[c]) == 0)
				value_set_text(&rv->v[c], rv->dates[c]);
			else
				value_set_text(&rv->v[c], val);   /* validate_value says why */
		} else if (cd->type == COL_REF) {
			if (org_lookup(s, val, rv->refs[c], cd, rs) != 0) {
				rv->bad[c] = 1;
				continue;
			}
			value_set_text(&rv->v[c], rv->refs[c]);
		} else if (cd->type == COL_INT) {
			/* A whole number (dues_base in fen); anything else is refused as such. */
			char *endp;
			long long n;
			errno = 0;
			n = strtoll(val, &endp, 10);
			if (errno != 0 || *endp != '\0' || endp == val) {
				reason_add(rs, "%s 应为整数，不是 \"%s\"", cd->label, val);
				rv->bad[c] = 1;
				continue;
			}
			value_set_int(&rv->v[c], n);
		} else {
			value_set_text(&rv->v[c], val);
		}
		if (validate_value(cd, &rv->v[c], why, sizeof why) != 0) {
			rv->bad[c] = 1;
			if (c == c_id && (strchr(val, 'E') || strchr(val, 'e')) && strchr(val, '+'))
				reason_add(rs, "%s（被表格软件转成了科学计数法，请把该列设为文本 the "
				    "spreadsheet turned it into a number; format the column as text）", why);
			else
				reason_add(rs, "%s", why);
		}
	}
	/* As member add: the birth date from the citizen ID number, standing normal, flags no. */
	if (rv->v[c_id].kind_case == TONGXIN__VALUE__KIND_S && strlen(rv->v[c_id].s) == 18 &&
	    rv->v[c_birth].kind_case == TONGXIN__VALUE__KIND__NOT_SET) {
		snprintf(rv->birth, sizeof rv->birth, "%.4s-%.2s-%.2s", rv->v[c_id].s + 6,
		    rv->v[c_id].s + 10, rv->v[c_id].s + 12);
		value_set_text(&rv->v[c_birth], rv->birth);
		rv->set[c_birth] = 1;
	}
	if (rv->v[c_standing].kind_case == TONGXIN__VALUE__KIND__NOT_SET) {
		value_set_text(&rv->v[c_standing], "normal");
		rv->set[c_standing] = 1;
	}
	for (int c = 0; c < td->ncols; c++) {
		if (td->cols[c].type == COL_BOOL && rv->v[c].kind_case == TONGXIN__VALUE__KIND__NOT_SET)
			value_set_int(&rv->v[c], 0);
		/* A birth date missing because the citizen ID number is missing or bad is not news. */
		if ((td->cols[c].flags & COLF_REQUIRED) &&
		    rv->v[c].kind_case == TONGXIN__VALUE__KIND__NOT_SET && !rv->bad[c] &&
		    !(c == c_birth && (rv->bad[c_id] ||
		    rv->v[c_id].kind_case == TONGXIN__VALUE__KIND__NOT_SET)))
			reason_add(rs, "缺少必填项 %s", td->cols[c].label);
	}
	if (rs->n == 0 && validate_row(TBL_MEMBER, rv->v, today, why, sizeof why) != 0)
		reason_add(rs, "%s", why);
	/* Unique within the file and against the replica. */
	if (rv->v[c_id].kind_case == TONGXIN__VALUE__KIND_S && strlen(rv->v[c_id].s) == 18) {
		const char *idn = rv->v[c_id].s;
		if ((first = idset_check(seen, idn, row)) < 0) {
			reason_add(rs, "out of memory");
		} else if (first > 0) {
			reason_add(rs, "公民身份号码 %s 与第 %ld 行重复 (the same citizen ID number as "
			    "row %ld)", idn, first, first);
		} else {
			sqlite3_bind_text(s->member_idn, 1, idn, -1, SQLITE_STATIC);
			if (sqlite3_step(s->member_idn) == SQLITE_ROW)
				reason_add(rs, "公民身份号码 %s 已登记 (member %s)", idn,
				    (const char *)sqlite3_column_text(s->member_idn, 0));
			sqlite3_reset(s->member_idn);
			sqlite3_clear_bindings(s->member_idn);
		}
	}
	return rs->n ? -1 : 0;
}

/* --- the error file ------------------------------------------------------ */

/* A bad row kept for the error file: its fields (pointers into the file) and why. */
struct bad_row {
	long row;
	int nf;
	char **f;
	char *why;
};

/*
 * Write the error file: the header without any old 错误 column, then 错误;
 * each bad row's original fields and its reasons, through the one CSV
 * writer (table.h), so formula cells are neutralised and citizen ID numbers
 * stay text when the clerk opens it. A field goes in without the mark it
 * may have had (the writer marks it again), so the corrected file imports
 * the values the original one meant. Written beside and renamed into
 * place, so a half-written file never replaces a good one.
 */
static int
write_errors(const char *path, char **hdr, const int *map, int nh, const struct bad_row *bad,
    size_t nbad)
{
	char tmp[4200];
	const char **cols, **cells;
	struct table *t;
	FILE *f;
	int ok = 1, ncols = 0;

	if (snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid()) >= (int)sizeof tmp) {
		fprintf(stderr, "tongxin %s: error file name too long\n", verbname);
		return -1;
	}
	cols = malloc(((size_t)nh + 1) * sizeof *cols);
	cells = malloc(((size_t)nh + 1) * sizeof *cells);
	if (cols == NULL || cells == NULL) {
		free(cols);
		free(cells);
		fprintf(stderr, "tongxin %s: out of memory\n", verbname);
		return -1;
	}
	for (int i = 0; i < nh; i++)
		if (map[i] != HDR_ERROR)
			cols[ncols++] = hdr[i];
	cols[ncols++] = "错误";
	if ((t = table_new(ncols, cols, cols)) == NULL)
		ok = 0;
	for (size_t k = 0; ok && k < nbad; k++) {
		int n = 0;
		for (int i = 0; i < nh; i++)
			if (map[i] != HDR_ERROR)
				cells[n++] = i < bad[k].nf ? table_csv_unmark(bad[k].f[i]) : "";
		cells[n] = bad[k].why;
		ok = table_add(t, cells) == 0;
	}
	if (!ok) {
		table_free(t);
		free(cols);
		free(cells);
		fprintf(stderr, "tongxin %s: out of memory\n", verbname);
		return -1;
	}
	if ((f = fopen(tmp, "w")) == NULL) {
		fprintf(stderr, "tongxin %s: cannot write %s: %s\n", verbname, tmp, strerror(errno));
		table_free(t);
		free(cols);
		free(cells);
		return -1;
	}
	table_print(t, f, TABLE_CSV);
	free(cols);
	free(cells);
	ok = !ferror(f);
	if (fclose(f) != 0)
		ok = 0;
	if (!ok || rename(tmp, path) != 0) {
		fprintf(stderr, "tongxin %s: cannot write %s: %s\n", verbname, path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* --- the command --------------------------------------------------------- */

/* Echo the first bad rows on stderr, so the clerk sees what is wrong at once. */
static void
show_bad(const struct bad_row *bad, size_t nbad, const char *errpath)
{
	for (size_t i = 0; i < nbad && i < IMPORT_SHOW_ERRORS; i++)
		fprintf(stderr, "  %s\n", text_show(bad[i].why));
	if (nbad > IMPORT_SHOW_ERRORS)
		fprintf(stderr, "  ... %zu more in %s\n", nbad - IMPORT_SHOW_ERRORS, errpath);
}

/* Read the whole file (at most IMPORT_MAX_FILE bytes). Returns an exit code. */
static int
read_file(const char *path, struct csv *c)
{
	struct stat sb;
	size_t got = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "tongxin %s: cannot open %s: %s\n", verbname, path, strerror(errno));
		return EXIT_FAIL;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		fprintf(stderr, "tongxin %s: %s is not a regular file\n", verbname, path);
		close(fd);
		return EXIT_FAIL;
	}
	if ((uint64_t)sb.st_size > IMPORT_MAX_FILE) {
		fprintf(stderr, "tongxin %s: 文件过大 %s is %lld bytes; at most %u MiB per import "
		    "(split it)\n", verbname, path, (long long)sb.st_size, IMPORT_MAX_FILE >> 20);
		close(fd);
		return EXIT_INVALID;
	}
	if ((c->buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		fprintf(stderr, "tongxin %s: out of memory\n", verbname);
		close(fd);
		return EXIT_FAIL;
	}
	/* Read no more than was announced, even if the file grows meanwhile. */
	while (got < (size_t)sb.st_size) {
		ssize_t n = read(fd, c->buf + got, (size_t)sb.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "tongxin %s: cannot read %s: %s\n", verbname, path,
			    strerror(errno));
			close(fd);
			return EXIT_FAIL;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	c->len = got;
	c->buf[got] = '\0';
	c->pos = 0;
	if (got >= 3 && memcmp(c->buf, "\xef\xbb\xbf", 3) == 0)
		c->pos = 3;
	return EXIT_OK;
}

/* The default error file: FILE.csv -> FILE.errors.csv. -1 if it does not fit. */
static int
default_error_path(const char *in, char *out, size_t cap)
{
	static const char suffix[] = ".errors.csv";
	size_t n = strlen(in);

	if (n > 4 && strcasecmp(in + n - 4, ".csv") == 0)
		n -= 4;
	if (n + sizeof suffix > cap)
		return -1;
	memcpy(out, in, n);
	memcpy(out + n, suffix, sizeof suffix);
	return 0;
}

/* Whether two paths name the same existing file. */
static int
same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	    sa.st_ino == sb.st_ino;
}

static int
import_usage(void)
{
	fprintf(stderr, "usage: tongxin member import FILE.csv [--errors ERRFILE] [--take-good] "
	    "[--check]\n"
	    "  A CSV file (UTF-8, comma-separated) whose first row names the columns, in\n"
	    "  Chinese (姓名, 性别, 民族, 公民身份号码, 学历, 人员类别, 所在党支部, 入党日期,\n"
	    "  转正日期, 联系电话, ...) or English (name, gender, ..., branch). 所在党支部 takes\n"
	    "  the branch's code or name. Nothing is imported if any row is bad; the bad\n"
	    "  rows go to ERRFILE (default FILE.errors.csv) with a 错误 column: fix them and\n"
	    "  import that file again.\n"
	    "  --take-good  import the good rows anyway and leave the bad ones in ERRFILE\n"
	    "  --check      only check the file and write ERRFILE; change nothing\n");
	return EXIT_USAGE;
}

/* Print progress on a terminal: "\r<what> 45%". */
static void
progress(int on, const char *what, size_t done, size_t total)
{
	if (on)
		fprintf(stderr, "\r%s %3zu%%", what, total ? done * 100 / total : 100);
}

int
member_import(struct cli *cli, struct replica *r, int argc, char **argv)
{
	const char *path = NULL, *errpath = NULL;
	char errbuf[4200], today[11], err[512] = "";
	int take_good = 0, check_only = 0, rc = EXIT_FAIL, nh = 0, show;
	int map[IMPORT_MAX_FIELDS];
	char *hdr[IMPORT_MAX_FIELDS], *f[IMPORT_MAX_FIELDS];
	struct csv c = { 0 };
	struct import_stmts s = { 0 };
	struct idset seen = { 0 };
	struct bad_row *bad = NULL;
	struct rowvals *rv = NULL;
	size_t nbad = 0, badcap = 0;
	long rows = 0, good = 0, row = 1;
	int nf, k, in_txn = 0, cache_old = 0;
	sqlite3 *db = replica_db(r);

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--take-good") == 0)
			take_good = 1;
		else if (strcmp(argv[i], "--check") == 0)
			check_only = 1;
		else if (strcmp(argv[i], "--errors") == 0 && i + 1 < argc)
			errpath = argv[++i];
		else if (argv[i][0] == '-' || path != NULL)
			return import_usage();
		else
			path = argv[i];
	}
	if (path == NULL)
		return import_usage();
	if (errpath == NULL) {
		if (default_error_path(path, errbuf, sizeof errbuf) != 0) {
			fprintf(stderr, "tongxin %s: the file name is too long\n", verbname);
			return EXIT_USAGE;
		}
		errpath = errbuf;
	}
	if (strcmp(errpath, path) == 0 || same_file(errpath, path)) {
		fprintf(stderr, "tongxin %s: the error file must not be the file being imported\n",
		    verbname);
		return EXIT_USAGE;
	}
	if ((rc = read_file(path, &c)) != EXIT_OK)
		return rc;
	show = isatty(2) && c.len > (1u << 20);
	today_str(today);

	/* The header. */
	rc = EXIT_INVALID;
	if ((k = csv_next(&c, hdr, &nh, err, sizeof err)) <= 0) {
		fprintf(stderr, "tongxin %s: %s: %s\n", verbname, path,
		    k == 0 ? "文件为空 the file is empty" : err);
		goto out;
	}
	for (int i = 0; i < nh; i++) {
		hdr[i] = trim(hdr[i]);
		if (!validate_utf8(hdr[i])) {
			fprintf(stderr, "tongxin %s: %s 不是 UTF-8 编码 is not UTF-8 text (GBK? save it "
			    "from the spreadsheet as \"CSV UTF-8\")\n", verbname, path);
			goto out;
		}
		if ((map[i] = header_column(hdr[i])) == -3) {
			fprintf(stderr, "tongxin %s: 未知列 unknown column \"%s\" (column %d); columns "
			    "are the form's items:", verbname, text_show(hdr[i]), i + 1);
			for (int cc = 0; cc < MEMBER->ncols; cc++)
				fprintf(stderr, "%s %s", cc ? "," : "", MEMBER->cols[cc].label);
			fputc('\n', stderr);
			goto out;
		}
		/*
		 * A reference to a meeting (延长预备期会议, 转正会议) names a row of the
		 * replica it came from; a file cannot carry it (member export leaves
		 * it out): the step is recorded with member extend / member promote.
		 */
		if (map[i] >= 0 && MEMBER->cols[map[i]].type == COL_REF &&
		    strcmp(MEMBER->cols[map[i]].ref_table, "org") != 0) {
			fprintf(stderr, "tongxin %s: 列 \"%s\" 不能导入 column %d cannot be imported: it "
			    "names a meeting of another replica (record the step with member extend or "
			    "member promote); remove the column\n", verbname, text_show(hdr[i]), i + 1);
			goto out;
		}
		for (int j = 0; j < i; j++)
			if (map[i] >= 0 && map[j] == map[i]) {
				fprintf(stderr, "tongxin %s: 列重复 columns \"%s\" and \"%s\" are both %s\n",
				    verbname, text_show(hdr[j]), text_show(hdr[i]),
				    MEMBER->cols[map[i]].label);
				goto out;
			}
	}
	for (int cc = 0; cc < MEMBER->ncols; cc++) {
		const struct col_def *cd = &MEMBER->cols[cc];
		int have = 0;
		if (!(cd->flags & COLF_REQUIRED) || strcmp(cd->name, "birth_date") == 0 ||
		    strcmp(cd->name, "standing") == 0)
			continue;   /* taken from the citizen ID number; "normal" */
		for (int i = 0; i < nh; i++)
			have |= map[i] == cc;
		if (!have) {
			fprintf(stderr, "tongxin %s: 缺少必填列 the file has no column %s (%s)\n",
			    verbname, cd->label, cd->name);
			goto out;
		}
	}

	if (sqlite3_prepare_v2(db, "SELECT id, coalesce(dissolved, 0) FROM org WHERE code = ?1",
	    -1, &s.org_code, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT id, coalesce(dissolved, 0) FROM org WHERE name = ?1"
	    " LIMIT 2", -1, &s.org_name, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT id FROM member WHERE id_number = ?1 LIMIT 1", -1,
	    &s.member_idn, NULL) != SQLITE_OK) {
		fprintf(stderr, "tongxin %s: %s\n", verbname, sqlite3_errmsg(db));
		rc = EXIT_FAIL;
		goto out;
	}
	if ((rv = malloc(sizeof *rv)) == NULL)
		goto oom;
	dom_cache_raise(db, DOM_BULK_CACHE_KIB, &cache_old);
	/* Checks and writes in one transaction: nothing changes underneath the checks. */
	if (rep_begin(r, cli->operator_name) != 0) {
		fprintf(stderr, "tongxin %s: cannot start a transaction on the replica: %s\n",
		    verbname, sqlite3_errmsg(db));
		rc = EXIT_FAIL;
		goto out;
	}
	in_txn = 1;

	while ((k = csv_next(&c, f, &nf, err, sizeof err)) > 0) {
		struct reasons rs;
		int empty = 1;
		row++;
		for (int i = 0; i < nf && empty; i++)
			empty = f[i][0] == '\0';
		if (empty)
			continue;   /* spreadsheets leave rows of empty cells at the end */
		if (++rows > IMPORT_MAX_ROWS) {
			fprintf(stderr, "tongxin %s: 行数过多 more than %d rows; split the file\n",
			    verbname, IMPORT_MAX_ROWS);
			goto out;
		}
		if (show && rows % 1000 == 0)
			progress(show, check_only ? "检查 checking" : "导入 importing", c.pos, c.len);
		rs.len = 0;
		rs.n = 0;
		rs.text[0] = '\0';
		if (check_row(&s, &seen, row, f, nf, map, nh, today, rv, &rs) != 0) {
			struct bad_row *b;
			if (nbad == badcap) {
				size_t ncap = badcap ? badcap * 2 : 64;
				struct bad_row *nb = realloc(bad, ncap * sizeof *nb);
				if (nb == NULL)
					goto oom;
				bad = nb;
				badcap = ncap;
			}
			b = &bad[nbad];
			b->row = row;
			b->nf = nf;
			b->f = malloc((size_t)nf * sizeof *b->f);
			b->why = malloc(rs.len + 32);
			if (b->f == NULL || b->why == NULL) {
				free(b->f);
				free(b->why);
				goto oom;
			}
			/* The fields are NUL-terminated in the file buffer, which outlives them. */
			memcpy(b->f, f, (size_t)nf * sizeof *b->f);
			snprintf(b->why, rs.len + 32, "第%ld行: %s", row, rs.text);
			nbad++;
			continue;
		}
		good++;
		/* All or nothing: once a row is bad, the rest are only checked. */
		if (check_only || (nbad > 0 && !take_good))
			continue;
		{
			char id[ID_TEXT_LEN + 1];
			if (rep_insert(r, TBL_MEMBER, rv->v, id, err, sizeof err) != 0) {
				fprintf(stderr, "tongxin %s: row %ld: %s\n", verbname, row, text_show(err));
				rc = EXIT_FAIL;
				goto out;
			}
		}
	}
	if (show)
		fputs("\r\033[K", stderr);
	if (k < 0) {
		fprintf(stderr, "tongxin %s: %s 第%ld行 row %ld: %s; nothing was imported\n", verbname,
		    path, row + 1, row + 1, err);
		goto out;
	}
	if (rows == 0) {
		fprintf(stderr, "tongxin %s: %s 没有数据行 has no data rows; nothing was imported\n",
		    verbname, path);
		goto out;
	}
	if (nbad > 0 && write_errors(errpath, hdr, map, nh, bad, nbad) != 0) {
		rc = EXIT_FAIL;
		goto out;
	}
	if (check_only || (nbad > 0 && !take_good) || good == 0) {
		rep_rollback(r);
		in_txn = 0;
		printf("读取 rows read: %ld, 可导入 good: %ld, 错误 errors: %zu%s%s\n", rows, good, nbad,
		    nbad ? ", 错误清单 error file: " : "", nbad ? errpath : "");
		if (check_only && nbad == 0) {
			printf("检查通过 The file is good; nothing was imported (--check).\n");
			rc = EXIT_OK;
		} else if (check_only) {
			printf("未导入 Nothing was imported (--check).\n");
		} else if (good == 0) {
			fprintf(stderr, "tongxin %s: 没有可导入的行 none of the %ld rows can be imported; "
			    "fix them in %s and import that file.\n", verbname, rows, errpath);
		} else {
			fprintf(stderr, "tongxin %s: %zu 行有错误，未导入任何记录 %zu rows have errors; "
			    "nothing was imported.\n  Fix the rows in %s and import that file, or use "
			    "--take-good to import the %ld good rows.\n", verbname, nbad, nbad, errpath,
			    good);
		}
		show_bad(bad, nbad, errpath);
		goto out;
	}
	if (show)
		fprintf(stderr, "保存 saving %ld rows...", good);
	if (rep_commit(r, err, sizeof err) != 0) {
		in_txn = 0;
		if (show)
			fputs("\r\033[K", stderr);
		fprintf(stderr, "tongxin %s: %s; nothing was imported\n", verbname, err);
		rc = EXIT_FAIL;
		goto out;
	}
	in_txn = 0;
	if (show)
		fputs("\r\033[K", stderr);
	printf("读取 rows read: %ld, 导入 imported: %ld, 错误 errors: %zu\n", rows, good, nbad);
	if (nbad > 0) {
		printf("已跳过 skipped %zu bad rows (--take-good); 错误清单 error file: %s\n", nbad,
		    errpath);
		show_bad(bad, nbad, errpath);
	}
	printf("已导入 Imported %ld members in one local transaction; \"tongxin sync\" sends "
	    "them.\n", good);
	rc = EXIT_OK;
	goto out;
oom:
	fprintf(stderr, "tongxin %s: out of memory\n", verbname);
	rc = EXIT_FAIL;
out:
	if (in_txn)
		rep_rollback(r);
	dom_cache_restore(db, cache_old);
	sqlite3_finalize(s.org_code);
	sqlite3_finalize(s.org_name);
	sqlite3_finalize(s.member_idn);
	for (size_t i = 0; i < nbad; i++) {
		free(bad[i].f);
		free(bad[i].why);
	}
	free(bad);
	free(seen.slot);
	free(rv);
	free(c.buf);
	return rc;
}

/* --- member export: the import's counterpart ----------------------------- */

/*
 * member export [--branch CODE] [--all] FILE.csv|-: every member on the
 * books (--all: also those who left) under the branch (its subtree; default
 * the whole replica), one row each, as dom_roster_export_write() makes it:
 * the import's header names, values the import accepts. Written by the one
 * CSV writer (table.h) as the rows are read (dom_roster_export_write: no
 * row is kept): citizen ID numbers stay text, formula cells are
 * neutralised, and "member import" reads each cell back without those
 * marks, so export then import is lossless. The file is written beside and
 * renamed into place (a refused or failed export leaves no file); "-"
 * writes to standard output.
 */
int
member_export_exec(struct cli *cli, const struct cmd_args *a)
{
	static const char xverb[] = "member export";
	const char *branch = cmd_get(a, "branch"), *path = a->argv[0];
	char tmp[4200], org[ID_TEXT_LEN + 1] = "";
	int rc = EXIT_FAIL;
	long rows = 0;
	struct replica *r;
	struct dom_error e;
	FILE *f;

	if ((r = cli_open(cli)) == NULL)
		return EXIT_FAIL;
	if (branch != NULL && org_id_by_code(replica_db(r), branch, org) != 0) {
		fprintf(stderr, "tongxin %s: 未知组织 unknown organisation code \"%s\"\n", xverb,
		    text_show(branch));
		rc = EXIT_NOT_FOUND;
		goto out;
	}
	if (strcmp(path, "-") == 0) {
		if (dom_roster_export_write(r, org, cmd_has(a, "all"), stdout, &rows, &e) != 0) {
			fprintf(stderr, "tongxin %s: %s\n", xverb, e.msg);
			rc = e.kind == DOM_INVALID ? EXIT_INVALID : EXIT_FAIL;
			goto out;
		}
		rc = fflush(stdout) == 0 && !ferror(stdout) ? EXIT_OK : EXIT_FAIL;
		goto out;
	}
	if (snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid()) >= (int)sizeof tmp) {
		fprintf(stderr, "tongxin %s: the file name is too long\n", xverb);
		rc = EXIT_USAGE;
		goto out;
	}
	if ((f = fopen(tmp, "w")) == NULL) {
		fprintf(stderr, "tongxin %s: cannot write %s: %s\n", xverb, tmp, strerror(errno));
		goto out;
	}
	if (dom_roster_export_write(r, org, cmd_has(a, "all"), f, &rows, &e) != 0) {
		fprintf(stderr, "tongxin %s: %s\n", xverb, e.msg);
		rc = e.kind == DOM_INVALID ? EXIT_INVALID : EXIT_FAIL;
		fclose(f);
		unlink(tmp);
		goto out;
	}
	if (ferror(f) | (fclose(f) != 0) || rename(tmp, path) != 0) {
		fprintf(stderr, "tongxin %s: cannot write %s: %s\n", xverb, path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (!cli->quiet)
		fprintf(stderr, "已导出 Exported %ld members to %s (\"tongxin member import\" takes "
		    "it back).\n", rows, path);
	rc = EXIT_OK;
out:
	replica_close(r);
	return rc;
}
