/* table.c - see table.h. */
#include "table.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

struct table {
	int ncols;
	const char *const *ids;
	const char *const *headers;
	char **cells;          /* rows * ncols, NULL for empty */
	size_t rows, cap;
	unsigned char *number; /* ncols flags: the column holds numbers (NULL: none does) */
};

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

void
table_set_number(struct table *t, int col)
{
	if (col < 0 || col >= t->ncols)
		return;
	if (t->number == NULL && (t->number = calloc((size_t)t->ncols, 1)) == NULL)
		return;   /* out of memory: the column is written as text, which is safe */
	t->number[col] = 1;
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
			csv_cell(f, t->cells[r * (size_t)t->ncols + (size_t)c],
			    t->number != NULL && t->number[c]);
		}
		fputs("\r\n", f);
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
			json_str(f, t->ids[c]);
			fputs(": ", f);
			json_str(f, t->cells[r * (size_t)t->ncols + (size_t)c]);
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
			char *safe = text_safe_dup(t->cells[i], 0);
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
table_free(struct table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->rows * (size_t)t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->number);
	free(t);
}
