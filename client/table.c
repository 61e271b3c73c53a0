/* table.c - see table.h. */
#include "table.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "vocab.h"

struct table {
	int ncols;
	const char *const *ids;
	const char *const *headers;
	char **cells;          /* rows * ncols, NULL for empty */
	size_t rows, cap;
	unsigned char *number; /* ncols kinds (enum col_kind; NULL: every column is text) */
	const struct vocab **vocab; /* ncols: the vocabulary of a COLK_VOCAB column */
};

/* What a column holds (see table.h). */
enum col_kind { COLK_TEXT, COLK_NUMBER, COLK_VOCAB, COLK_BOOL };

struct table *
table_new(int ncols, const char *const *ids, const char *const *headers)
{
	struct table *t = calloc(1, sizeof *t);
	if (t == NULL)
		return NULL;
	t->ncols = ncols;
	t->ids = ids;
	t->headers = headers;
	return t;
}

static void
set_kind(struct table *t, int col, enum col_kind k, const struct vocab *v)
{
	if (t == NULL || col < 0 || col >= t->ncols)
		return;
	if (t->number == NULL && (t->number = calloc((size_t)t->ncols, 1)) == NULL)
		return;   /* out of memory: the column is written as text, which is safe */
	if (k == COLK_VOCAB) {
		if (v == NULL)
			return;
		if (t->vocab == NULL && (t->vocab = calloc((size_t)t->ncols, sizeof *t->vocab)) == NULL)
			return;
		t->vocab[col] = v;
	}
	t->number[col] = (unsigned char)k;
}

void
table_set_number(struct table *t, int col)
{
	set_kind(t, col, COLK_NUMBER, NULL);
}

void
table_set_vocab(struct table *t, int col, const struct vocab *v)
{
	set_kind(t, col, COLK_VOCAB, v);
}

void
table_set_bool(struct table *t, int col)
{
	set_kind(t, col, COLK_BOOL, NULL);
}

void
table_set_col(struct table *t, int col, const struct col_def *cd)
{
	if (cd->type == COL_BOOL)
		table_set_bool(t, col);
	else if (cd->type == COL_INT)
		table_set_number(t, col);
	else if (vocab_of_col(cd) != NULL)
		table_set_vocab(t, col, vocab_of_col(cd));
}

static enum col_kind
kind_of(const struct table *t, int col)
{
	return t->number == NULL ? COLK_TEXT : (enum col_kind)t->number[col];
}

/* The entry for a stored value of column col's vocabulary, or NULL. */
static const struct vocab_entry *
entry_of(const struct table *t, int col, const char *stored)
{
	const struct vocab *v = t->vocab[col];

	for (size_t i = 0; stored != NULL && i < v->n; i++)
		if (strcmp(v->stored[i], stored) == 0)
			return &v->entries[i];
	return NULL;
}

/* What text and CSV show for a cell: labels for vocabularies, 是/否 for booleans. */
static const char *
shown(const struct table *t, int col, const char *cell)
{
	const struct vocab_entry *e;

	if (cell == NULL)
		return NULL;
	switch (kind_of(t, col)) {
	case COLK_VOCAB:
		e = entry_of(t, col, cell);
		return e ? e->label : cell;
	case COLK_BOOL:
		return strcmp(cell, "0") == 0 ? "否" : strcmp(cell, "") == 0 ? "" : "是";
	default:
		return cell;
	}
}

size_t
table_rows(const struct table *t)
{
	return t->rows;
}

int
table_add(struct table *t, const char *const *cells)
{
	if (t->rows == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 16;
		char **n = realloc(t->cells, ncap * (size_t)t->ncols * sizeof *n);
		if (n == NULL)
			return -1;
		t->cells = n;
		t->cap = ncap;
	}
	for (int c = 0; c < t->ncols; c++) {
		char **slot = &t->cells[t->rows * (size_t)t->ncols + (size_t)c];
		*slot = cells[c] ? strdup(cells[c]) : NULL;
		if (cells[c] && *slot == NULL) {
			while (c-- > 0)
				free(t->cells[t->rows * (size_t)t->ncols + (size_t)c]);
			return -1;
		}
	}
	t->rows++;
	return 0;
}

/* Whether a spreadsheet could take s for a formula: OWASP's list, through apostrophes. */
static bool
is_formula_start(const char *s)
{
	while (*s == '\'')
		s++;
	return *s == '=' || *s == '+' || *s == '-' || *s == '@' || *s == '\t' || *s == '\r';
}

/*
 * Whether s is a digit string a spreadsheet would turn into a number and
 * damage: 11 or more digits, 17 digits and an X, or a leading zero.
 */
static bool
is_long_digits(const char *s)
{
	size_t n = strspn(s, "0123456789");

	if (n == 17 && (s[17] == 'X' || s[17] == 'x') && s[18] == '\0')
		return true;
	return s[n] == '\0' && (n >= 11 || (n >= 2 && s[0] == '0'));
}

/* Whether s is a plain number: -3, 12, 12.5, 40%, or the placeholder "-". */
static bool
is_plain_number(const char *s)
{
	const char *p = s;

	if (strcmp(s, "-") == 0)
		return true;
	if (*p == '-')
		p++;
	if (!isdigit((unsigned char)*p))
		return false;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == '%')
		p++;
	return *p == '\0';
}

char *
table_csv_unmark(char *cell)
{
	if (cell[0] == '\'' && is_formula_start(cell + 1))
		return cell + 1;
	if (cell[0] == '\t' && is_long_digits(cell + 1))
		return cell + 1;
	return cell;
}

/* Write one CSV cell made safe (see table.h); number says the column holds numbers. */
static void
csv_cell(FILE *f, const char *raw, bool number)
{
	char *s;
	const char *mark = "";

	if (raw == NULL)
		return;
	if ((s = text_safe_dup(raw, TEXT_KEEP_BREAKS)) == NULL) {
		fputs("?", f);   /* out of memory: never the raw text */
		return;
	}
	if (number && is_plain_number(s))
		mark = "";
	else if (is_formula_start(s))
		mark = "'";
	else if (is_long_digits(s))
		mark = "\t";
	/* The mark is part of the cell: inside the quotes when there are quotes. */
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(mark, f);
		fputs(s, f);
	} else {
		fputc('"', f);
		fputs(mark, f);
		for (const char *p = s; *p; p++) {
			if (*p == '"')
				fputc('"', f);
			fputc(*p, f);
		}
		fputc('"', f);
	}
	free(s);
}

/* Write s as a JSON string (see table.h), or null. */
static void
json_str(FILE *f, const char *s)
{
	if (s == NULL) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	while (*s) {
		uint32_t cp;
		size_t n = text_decode(s, &cp);

		if (n == 0) {
			fputs("\\ufffd", f);
			s++;
			continue;
		}
		if (cp == '"' || cp == '\\')
			fprintf(f, "\\%c", (int)cp);
		else if (cp == '\n')
			fputs("\\n", f);
		else if (cp == '\r')
			fputs("\\r", f);
		else if (cp == '\t')
			fputs("\\t", f);
		else if (is_text_unsafe(cp))
			fprintf(f, "\\u%04x", (unsigned)cp);
		else
			fwrite(s, 1, n, f);
		s += n;
	}
	fputc('"', f);
}

static void
print_csv(const struct table *t, FILE *f)
{
	fputs("\xef\xbb\xbf", f);
	for (int c = 0; c < t->ncols; c++) {
		if (c)
			fputc(',', f);
		csv_cell(f, t->headers[c], false);
	}
	fputs("\r\n", f);
	for (size_t r = 0; r < t->rows; r++) {
		for (int c = 0; c < t->ncols; c++) {
			if (c)
				fputc(',', f);
			csv_cell(f, shown(t, c, t->cells[r * (size_t)t->ncols + (size_t)c]),
			    kind_of(t, c) == COLK_NUMBER);
		}
		fputs("\r\n", f);
	}
}

/* A JSON number as it may be written: -3, 12, 12.5 (not "40%", not "-", not "007"). */
static bool
is_json_number(const char *s)
{
	const char *p = s + (*s == '-');

	if (!is_plain_number(s) || strchr(s, '%') != NULL || strcmp(s, "-") == 0)
		return false;
	return !(p[0] == '0' && isdigit((unsigned char)p[1]));
}

/* One typed member of a row object (see table.h). */
static void
json_cell(const struct table *t, FILE *f, int c, const char *cell)
{
	const struct vocab_entry *e;
	char key[96];

	json_str(f, t->ids[c]);
	fputs(": ", f);
	switch (kind_of(t, c)) {
	case COLK_NUMBER:
		if (cell != NULL && is_json_number(cell))
			fputs(cell, f);
		else if (cell == NULL || strcmp(cell, "-") == 0 || cell[0] == '\0')
			fputs("null", f);
		else
			json_str(f, cell);
		return;
	case COLK_BOOL:
		fputs(cell == NULL || cell[0] == '\0' ? "null" : strcmp(cell, "0") == 0 ? "false" :
		    "true", f);
		return;
	case COLK_VOCAB:
		e = entry_of(t, c, cell);
		json_str(f, cell);
		snprintf(key, sizeof key, "%s_%s", t->ids[c], t->vocab[c]->store_label ? "code" :
		    "label");
		fputs(", ", f);
		json_str(f, key);
		fputs(": ", f);
		json_str(f, e == NULL ? (t->vocab[c]->store_label ? NULL : cell) :
		    t->vocab[c]->store_label ? e->code : e->label);
		return;
	default:
		json_str(f, cell);
		return;
	}
}

static void
print_json(const struct table *t, FILE *f)
{
	fputc('[', f);
	for (size_t r = 0; r < t->rows; r++) {
		fputs(r ? ",\n {" : "\n {", f);
		for (int c = 0; c < t->ncols; c++) {
			if (c)
				fputs(", ", f);
			json_cell(t, f, c, t->cells[r * (size_t)t->ncols + (size_t)c]);
		}
		fputc('}', f);
	}
	fputs(t->rows ? "\n]\n" : "]\n", f);
}

/*
 * The aligned text table. Every cell is first replaced by its rendering
 * (text_safe), so the widths are those of what is printed; the table is
 * freed right after, so its cells may change.
 */
static void
print_text(struct table *t, FILE *f)
{
	size_t ncells = t->rows * (size_t)t->ncols;
	int *w;

	for (size_t i = 0; i < ncells; i++)
		if (t->cells[i] != NULL) {
			char *safe = text_safe_dup(shown(t, (int)(i % (size_t)t->ncols), t->cells[i]), 0);
			free(t->cells[i]);
			t->cells[i] = safe != NULL ? safe : strdup("?");
		}
	if ((w = calloc((size_t)t->ncols, sizeof *w)) == NULL)
		return;
	for (int c = 0; c < t->ncols; c++)
		w[c] = text_width(t->headers[c]);
	for (size_t r = 0; r < t->rows; r++)
		for (int c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * (size_t)t->ncols + (size_t)c];
			int cw = s ? text_width(s) : 0;
			if (cw > w[c])
				w[c] = cw;
		}
	for (int c = 0; c < t->ncols; c++) {
		if (c == t->ncols - 1)
			fputs(t->headers[c], f);
		else {
			text_pad(f, t->headers[c], w[c]);
			fputs("  ", f);
		}
	}
	fputc('\n', f);
	for (size_t r = 0; r < t->rows; r++) {
		for (int c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * (size_t)t->ncols + (size_t)c];
			if (c == t->ncols - 1)
				fputs(s ? s : "", f);
			else {
				text_pad(f, s ? s : "", w[c]);
				fputs("  ", f);
			}
		}
		fputc('\n', f);
	}
	free(w);
}

void
table_print(struct table *t, FILE *f, enum table_format fmt)
{
	if (fmt == TABLE_CSV)
		print_csv(t, f);
	else if (fmt == TABLE_JSON)
		print_json(t, f);
	else
		print_text(t, f);
	table_free(t);
}

void
table_print_object(struct table *t, FILE *f, int close)
{
	fputc('{', f);
	for (int c = 0; t->rows > 0 && c < t->ncols; c++) {
		if (c)
			fputs(", ", f);
		json_cell(t, f, c, t->cells[c]);
	}
	if (close)
		fputs("}\n", f);
	table_free(t);
}

void
table_json_str(FILE *f, const char *s)
{
	json_str(f, s);
}

void
table_free(struct table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->rows * (size_t)t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->number);
	free(t->vocab);
	free(t);
}
