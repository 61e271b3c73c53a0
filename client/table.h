/*
 * table.h - output of lists: an aligned table on a terminal (Chinese text
 * aligned by display width), CSV (UTF-8 with a BOM, so spreadsheets open
 * it), or JSON (an array of objects keyed by column id).
 */
#ifndef TX_TABLE_H
#define TX_TABLE_H

#include <stdio.h>

enum table_format { TABLE_TEXT, TABLE_CSV, TABLE_JSON };

struct table;

/* A table with ncols columns: ids (JSON keys) and headers (shown to people). */
struct table *table_new(int ncols, const char *const *ids, const char *const *headers);
/* Append a row of ncols strings (copied; NULL prints empty / null). */
int table_add(struct table *t, const char *const *cells);
/* Print and free. */
void table_print(struct table *t, FILE *f, enum table_format fmt);
void table_free(struct table *t);
size_t table_rows(const struct table *t);

#endif
