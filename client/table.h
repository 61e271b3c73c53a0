/*
 * table.h - output of lists: an aligned table on a terminal (Chinese text
 * aligned by display width), CSV (UTF-8 with a BOM, so spreadsheets open
 * it), or JSON (an array of objects keyed by column id). This is the one
 * writer of CSV in the client; cells come from other offices, so each
 * format makes them safe in its own way:
 *
 * Text: every cell is rendered with text_safe() (common/text.h): control
 * characters, C1 controls, bidi overrides and bytes that are not UTF-8 are
 * shown as escapes (\n, \x1b, \u009b, \u202e, \xff), so no cell can move
 * the cursor or forge a row. Widths are those of the rendering.
 *
 * CSV (RFC 4180, CRLF, quoted when a cell holds a comma, quote or line
 * break): a cell keeps its TAB and line breaks (CRLF or LF, inside quotes)
 * and has every other unsafe character escaped as in text. Then, for
 * Excel and WPS:
 *   - formula cells are neutralised (OWASP): a cell that begins with
 *     = + - @ TAB or CR - or with apostrophes followed by one of them - gets
 *     one more apostrophe in front, which both spreadsheets show and never
 *     evaluate;
 *   - long digit strings are kept as text: a cell of 11 or more digits (a
 *     citizen ID number, a mobile number), 17 digits and X, or digits with
 *     a leading zero is written after a TAB. Both spreadsheets then keep the
 *     cell as text and show the TAB as nothing, where they would otherwise
 *     show 1.10105E+17 and lose the last digits or the leading zeros. (="…"
 *     works in Excel but is itself a formula; an apostrophe shows.)
 * table_csv_unmark() undoes exactly these two marks, so what this writer
 * exports, "tongxin member import" reads back as the same values.
 * A number column (table_set_number) writes plain numbers (-3, 12.5, 40%)
 * and the placeholder "-" as they are; its other cells are text.
 *
 * JSON: strings escape " and \, every C0 control (\n, \u001b), DEL, the C1
 * controls and the bidi characters above as \uXXXX; bytes that are not
 * UTF-8 become U+FFFD (JSON cannot carry them).
 *
 * Typed columns (table_set_number, table_set_vocab, table_set_bool,
 * table_set_col): cells are always added as the stored text ("female",
 * "1", "12"). Text and CSV show a vocabulary's label (女) and a boolean as
 * 是/否; JSON is typed: a number column's plain numbers are JSON numbers
 * ("-" is null), a boolean is true/false, and a vocabulary column gives
 * the code under its id and the label under id + "_label" ("gender":
 * "female", "gender_label": "女"); for a vocabulary whose column stores the
 * label (ethnicity) the id holds the label and id + "_code" the code.
 */
#ifndef TX_TABLE_H
#define TX_TABLE_H

#include <stdbool.h>
#include <stdio.h>

enum table_format { TABLE_TEXT, TABLE_CSV, TABLE_JSON };

struct table;

/* A table with ncols columns: ids (JSON keys) and headers (shown to people). */
struct table *table_new(int ncols, const char *const *ids, const char *const *headers);
struct vocab;
struct col_def;

/* Mark column col as holding numbers (see above). Ignores a column out of range. */
void table_set_number(struct table *t, int col);
/* Mark column col as holding stored values of vocabulary v (see above). */
void table_set_vocab(struct table *t, int col, const struct vocab *v);
/* Mark column col as holding booleans "1"/"0" (see above). */
void table_set_bool(struct table *t, int col);
/* Type column col after a schema column: its vocabulary, bool or number. */
void table_set_col(struct table *t, int col, const struct col_def *cd);
/*
 * Append a row of ncols strings (copied; NULL prints empty / null); when
 * streaming, write or measure it instead (nothing kept). 0, or -1 (out of
 * memory; a write error while streaming).
 */
int table_add(struct table *t, const char *const *cells);
/* Print and free. */
void table_print(struct table *t, FILE *f, enum table_format fmt);
void table_free(struct table *t);
/*
 * Print the first row as one typed JSON object ("{...}" when close, else
 * "{..." for the caller to add members and the "}") and free the table.
 */
void table_print_object(struct table *t, FILE *f, int close);
/* Write s as a JSON string, escaped as above (NULL: null). */
void table_json_str(FILE *f, const char *s);
/* The rows added; when streaming TEXT, those of the measuring pass. */
size_t table_rows(const struct table *t);

/*
 * Streaming: a list of any length (a street's million members) written as
 * its rows are added, none of them kept; the bytes are exactly those
 * table_print() writes for the same rows.
 *
 * CSV and JSON stream in one pass: table_stream_begin() writes the head
 * (BOM and header line; "["), each table_add() writes its row at once, and
 * table_stream_end() writes the tail ("]") and frees the table.
 *
 * TEXT aligns every column to its widest cell, so it reads the rows twice.
 * table_stream_begin() starts a measuring pass, in which table_add() keeps
 * only each column's widest rendering and counts the rows (table_rows);
 * table_stream_text() writes the header line, and the caller adds the very
 * same rows again (one read snapshot: dom_read_begin), each printed aligned.
 * Why not take the widths from the first screenful and cut what is wider:
 * the clerk reads the list to copy a name, a citizen ID or a phone number
 * from it, and a cut ID is a wrong ID; the list would also differ from the
 * one before (scripts and tests read it). A second pass costs a second
 * read of the rows from SQLite, not memory.
 */
/* Start streaming t to f (see above); 0, or -1 (rows were added already; out of memory). */
int table_stream_begin(struct table *t, FILE *f, enum table_format fmt);
/* Whether t is in TEXT's measuring pass: the rows must be added again after table_stream_text(). */
bool table_stream_measuring(const struct table *t);
/* TEXT: end the measuring pass and write the header line (otherwise nothing). */
void table_stream_text(struct table *t);
/*
 * Write the format's tail and free t (NULL: -1). Returns -1 when writing
 * failed. A TEXT table still measuring writes nothing at all (the caller
 * chose to show no table, e.g. for no rows).
 */
int table_stream_end(struct table *t);
/* Add the rows of a list to t (table_add); 0, or -1 (the failure is the filler's to report). */
typedef int (*table_fill_fn)(struct table *t, void *arg);
/*
 * Called between TEXT's passes, when the row count (table_rows) is known:
 * print what stands above the table; 1 to print the table, 0 to print none
 * (what was printed stands for it), -1 on failure.
 */
typedef int (*table_head_fn)(struct table *t, void *arg);
/*
 * The whole stream: begin, fill, and for TEXT head (may be NULL) and fill
 * again; then end. Frees t. 0, or -1 when a fill, the head or writing failed
 * (what was written stays written).
 */
int table_stream(struct table *t, FILE *f, enum table_format fmt, table_fill_fn fill,
    table_head_fn head, void *arg);

/*
 * A CSV cell as this writer would have marked it, without the mark: the
 * apostrophe in front of a formula start, or the TAB in front of a long
 * digit string. Returns cell itself, or cell + 1; other text is untouched.
 */
char *table_csv_unmark(char *cell);

#endif
