/* table.c - see table.h. */
#include "table.h"

#include <stdlib.h>
#include <string.h>

#include "text.h"

struct table {
	int ncols;
	const char *const *ids;
	const char *const *headers;
	char **cells;          /* rows * ncols, NULL for empty */
	size_t rows, cap;
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

static void
csv_cell(FILE *f, const char *s)
{
	if (s == NULL)
		return;
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void
json_str(FILE *f, const char *s)
{
	if (s == NULL) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", f);
		else if (ch == '\r')
			fputs("\\r", f);
		else if (ch == '\t')
			fputs("\\t", f);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

void
table_print(struct table *t, FILE *f, enum table_format fmt)
{
	int *w;

	if (fmt == TABLE_CSV) {
		fputs("\xef\xbb\xbf", f);
		for (int c = 0; c < t->ncols; c++) {
			if (c)
				fputc(',', f);
			csv_cell(f, t->headers[c]);
		}
		fputs("\r\n", f);
		for (size_t r = 0; r < t->rows; r++) {
			for (int c = 0; c < t->ncols; c++) {
				if (c)
					fputc(',', f);
				csv_cell(f, t->cells[r * (size_t)t->ncols + (size_t)c]);
			}
			fputs("\r\n", f);
		}
	} else if (fmt == TABLE_JSON) {
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
	} else if ((w = calloc((size_t)t->ncols, sizeof *w)) != NULL) {
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
	free(t);
}
