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
	/* Streaming (table_stream_begin): rows go to out as they are added; cells stays NULL. */
	enum stream_stage { STREAM_OFF, STREAM_MEASURE, STREAM_WRITE } stage;
	FILE *out;
	enum table_format fmt;
	int *w;                /* TEXT: the widest rendering of each column (measuring pass) */
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

static int stream_row(struct table *t, const char *const *cells);

int
table_add(struct table *t, const char *const *cells)
{
	if (t->stage != STREAM_OFF)
		return stream_row(t, cells);
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

/* CSV: the BOM and the header line. */
static void
csv_head(const struct table *t, FILE *f)
{
	fputs("\xef\xbb\xbf", f);
	for (int c = 0; c < t->ncols; c++) {
		if (c)
			fputc(',', f);
		csv_cell(f, t->headers[c], false);
	}
	fputs("\r\n", f);
}

/* CSV: one row of ncols cells. */
static void
csv_row(const struct table *t, FILE *f, const char *const *cells)
{
	for (int c = 0; c < t->ncols; c++) {
		if (c)
			fputc(',', f);
		csv_cell(f, shown(t, c, cells[c]), kind_of(t, c) == COLK_NUMBER);
	}
	fputs("\r\n", f);
}

/* The cells of kept row r, as a row of table_add() is given. */
static const char *const *
kept_row(const struct table *t, size_t r)
{
	return (const char *const *)&t->cells[r * (size_t)t->ncols];
}

static void
print_csv(const struct table *t, FILE *f)
{
	csv_head(t, f);
	for (size_t r = 0; r < t->rows; r++)
		csv_row(t, f, kept_row(t, r));
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

/* JSON: one row object; first says it is the array's first element. */
static void
json_row(const struct table *t, FILE *f, const char *const *cells, bool first)
{
	fputs(first ? "\n {" : ",\n {", f);
	for (int c = 0; c < t->ncols; c++) {
		if (c)
			fputs(", ", f);
		json_cell(t, f, c, cells[c]);
	}
	fputc('}', f);
}

static void
print_json(const struct table *t, FILE *f)
{
	fputc('[', f);
	for (size_t r = 0; r < t->rows; r++)
		json_row(t, f, kept_row(t, r), r == 0);
	fputs(t->rows ? "\n]\n" : "]\n", f);
}

/*
 * The aligned text table. A cell is shown as its rendering (text_safe of
 * what it shows: labels, 是/否), and the widths are those of what is
 * printed. The rendering is made afresh when measuring and when printing,
 * so nothing but the widths is kept between the two.
 */

/* The rendering of a cell (malloc'd; "?" when out of memory), or NULL for an empty cell. */
static char *
text_cell(const struct table *t, int c, const char *cell)
{
	char *safe;

	if (cell == NULL)
		return NULL;
	safe = text_safe_dup(shown(t, c, cell), 0);
	return safe != NULL ? safe : strdup("?");
}

/* Widen w[] to the renderings of one row. */
static void
text_measure(const struct table *t, int *w, const char *const *cells)
{
	for (int c = 0; c < t->ncols; c++) {
		char *s = text_cell(t, c, cells[c]);
		int cw = s ? text_width(s) : 0;
		if (cw > w[c])
			w[c] = cw;
		free(s);
	}
}

/* The header widths: where measuring starts. */
static void
text_widths_init(const struct table *t, int *w)
{
	for (int c = 0; c < t->ncols; c++)
		w[c] = text_width(t->headers[c]);
}

/* One line: each cell padded to its column's width but the last; headers are shown as they are. */
static void
text_line(const struct table *t, FILE *f, const int *w, const char *const *cells, bool header)
{
	for (int c = 0; c < t->ncols; c++) {
		char *s = header ? NULL : text_cell(t, c, cells[c]);
		const char *p = header ? cells[c] : s ? s : "";
		if (c == t->ncols - 1)
			fputs(p, f);
		else {
			text_pad(f, p, w[c]);
			fputs("  ", f);
		}
		free(s);
	}
	fputc('\n', f);
}

static void
print_text(const struct table *t, FILE *f)
{
	int *w;

	if ((w = calloc((size_t)t->ncols, sizeof *w)) == NULL)
		return;
	text_widths_init(t, w);
	for (size_t r = 0; r < t->rows; r++)
		text_measure(t, w, kept_row(t, r));
	text_line(t, f, w, t->headers, true);
	for (size_t r = 0; r < t->rows; r++)
		text_line(t, f, w, kept_row(t, r), false);
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
	for (int c = 0; t->cells != NULL && t->rows > 0 && c < t->ncols; c++) {
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
	for (size_t i = 0; t->cells != NULL && i < t->rows * (size_t)t->ncols; i++)
		free(t->cells[i]);   /* a streamed table kept none (cells NULL) */
	free(t->cells);
	free(t->number);
	free(t->vocab);
	free(t->w);
	free(t);
}

/* --- streaming (see table.h) --------------------------------------------- */

int
table_stream_begin(struct table *t, FILE *f, enum table_format fmt)
{
	if (t->stage != STREAM_OFF || t->rows > 0)
		return -1;   /* rows kept already, or streaming already */
	t->out = f;
	t->fmt = fmt;
	if (fmt == TABLE_CSV) {
		csv_head(t, f);
		t->stage = STREAM_WRITE;
	} else if (fmt == TABLE_JSON) {
		fputc('[', f);
		t->stage = STREAM_WRITE;
	} else {
		if ((t->w = calloc((size_t)t->ncols, sizeof *t->w)) == NULL)
			return -1;
		text_widths_init(t, t->w);
		t->stage = STREAM_MEASURE;
	}
	return 0;
}

bool
table_stream_measuring(const struct table *t)
{
	return t->stage == STREAM_MEASURE;
}

void
table_stream_text(struct table *t)
{
	if (t->stage != STREAM_MEASURE)
		return;
	text_line(t, t->out, t->w, t->headers, true);
	t->stage = STREAM_WRITE;
}

/*
 * A row added while streaming: measured (TEXT, first pass; counted by
 * table_rows), or written at once. The TEXT write pass does not count:
 * table_rows stays the number of rows the list has, measured.
 */
static int
stream_row(struct table *t, const char *const *cells)
{
	if (t->stage == STREAM_MEASURE) {
		text_measure(t, t->w, cells);
		t->rows++;
		return 0;
	}
	if (t->fmt == TABLE_TEXT)
		text_line(t, t->out, t->w, cells, false);
	else if (t->fmt == TABLE_CSV)
		csv_row(t, t->out, cells);
	else
		json_row(t, t->out, cells, t->rows == 0);
	if (t->fmt != TABLE_TEXT)
		t->rows++;
	return ferror(t->out) ? -1 : 0;
}

int
table_stream_end(struct table *t)
{
	int rc;

	if (t == NULL)
		return -1;
	if (t->stage == STREAM_WRITE && t->fmt == TABLE_JSON)
		fputs(t->rows ? "\n]\n" : "]\n", t->out);
	rc = t->stage != STREAM_OFF && ferror(t->out) ? -1 : 0;
	table_free(t);
	return rc;
}

int
table_stream(struct table *t, FILE *f, enum table_format fmt, table_fill_fn fill,
    table_head_fn head, void *arg)
{
	int rc = 0, show = 1;

	if (t == NULL)
		return -1;
	if (table_stream_begin(t, f, fmt) != 0) {
		table_free(t);
		return -1;
	}
	if (fill(t, arg) != 0)
		rc = -1;
	else if (table_stream_measuring(t)) {
		if (head != NULL && (show = head(t, arg)) < 0)
			rc = -1;
		else if (show) {
			table_stream_text(t);
			if (fill(t, arg) != 0)
				rc = -1;
		}
	}
	return table_stream_end(t) != 0 ? -1 : rc;
}
