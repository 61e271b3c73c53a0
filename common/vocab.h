/*
 * vocab.h - the one vocabulary: every enumerated value the product knows,
 * with its code, its Chinese label and the other spellings clerks use.
 *
 * The schema's enum lists (schema.c), validation, the CLI's option parsing
 * and --help, the CSV import, tables, reports, JSON output and the web desk
 * all read these tables; no other file keeps a list of labels.
 *
 * A code is what the database and the wire carry (ASCII, stable, part of
 * the schema hash). A label is what a user sees. Aliases are the other
 * spellings accepted on input (短称, pinyin, English).
 *
 * Ethnicity (民族) is the exception: its column stores the Chinese label
 * ("汉族"), not the GB 3304 number ("01"). Replicas, servers, CSV files and
 * test data written before the vocabulary all hold labels, the reports count
 * minorities as "not 汉族", and clerks read the column directly; storing the
 * label keeps every existing row valid with no migration. The GB 3304
 * number is still the entry's code, accepted on input ("01" -> "汉族") and
 * given in JSON as "ethnicity_code". Such a vocabulary has store_label set,
 * and vocab_col_store()/vocab_col_label() hide the difference.
 *
 * Ethnicity has the 56 民族 of GB 3304-1991 (codes "01".."56") and its two
 * further codes: "97" 其他 (unidentified groups; "穿青人" and "未识别民族" are
 * accepted as aliases of it, as the census records them) and "98"
 * 外国血统中国籍人士 (naturalised citizens of foreign descent).
 *
 * Parsing is forgiving in the ways that cannot be ambiguous: surrounding
 * blanks (ASCII and U+3000) are ignored, codes and ASCII aliases match
 * without regard to ASCII case, labels and Chinese aliases match exactly.
 * Within one vocabulary every code, label and alias names one entry.
 */
#ifndef TX_VOCAB_H
#define TX_VOCAB_H

#include <stdbool.h>
#include <stddef.h>

#include "schema.h"

struct vocab_entry {
	const char *code;               /* stored and sent; ASCII */
	const char *label;              /* Chinese, shown to users */
	const char *const *aliases;     /* NULL-terminated, may be NULL */
};

struct vocab {
	const char *name;               /* "gender", "ethnicity", ... */
	const struct vocab_entry *entries;
	size_t n;
	/*
	 * The values a schema column of this vocabulary stores, in entry
	 * order, NULL-terminated: the codes, or the labels when store_label.
	 * schema.c points its enum_vals here.
	 */
	const char *const *stored;
	bool store_label;
};

/* The vocabulary with this name, or NULL. Names: see vocab_at(). */
const struct vocab *vocab_get(const char *name);
/* The i-th vocabulary (0 <= i < vocab_count()), for listing and tests. */
size_t vocab_count(void);
const struct vocab *vocab_at(size_t i);

/* The Chinese label of code, or NULL if code is not one of v's codes. */
const char *vocab_label(const struct vocab *v, const char *code);
/* The label of code, or code itself if unknown ("" for NULL): for display. */
const char *vocab_show(const struct vocab *v, const char *code);
/* The entry whose code, label or alias is text (see above), or NULL. */
const struct vocab_entry *vocab_find(const struct vocab *v, const char *text);
/* The code for a code, a label or an alias; NULL if none. */
const char *vocab_parse(const struct vocab *v, const char *text);

/*
 * The vocabulary of a schema column: its enum list's, "ethnicity" for the
 * member's ethnicity, "bool" (codes "1" and "0") for COL_BOOL; else NULL.
 */
const struct vocab *vocab_of_col(const struct col_def *c);
/* The value column c stores for text (a code, label or alias); NULL if none. */
const char *vocab_col_store(const struct col_def *c, const char *text);
/* The label for a value column c stores; the value itself if unknown. */
const char *vocab_col_label(const struct col_def *c, const char *stored);
/* The entry for a value column c stores, or NULL. */
const struct vocab_entry *vocab_col_entry(const struct col_def *c, const char *stored);

/*
 * Write the allowed values to buf, separated by sep: labels only
 * (with_codes 0, "男、女") or "label code" pairs ("男 male, 女 female").
 * Always NUL-terminates; returns the length it would have had (as snprintf).
 */
size_t vocab_list(const struct vocab *v, int with_codes, const char *sep, char *buf, size_t cap);

struct sqlite3;
/*
 * Register the SQL function vocab_label(VOCAB, CODE) on db: the label of
 * CODE in vocabulary VOCAB, CODE itself when unknown, NULL for NULL. For
 * report queries that compose text in SQL. 0, or an SQLite error code.
 */
int vocab_sql_register(struct sqlite3 *db);

/* The stored-value lists the schema's enum columns use (see schema.c). */
extern const char *const vocab_vals_org_kind[];
extern const char *const vocab_vals_branch_type[];
extern const char *const vocab_vals_gender[];
extern const char *const vocab_vals_ethnicity[];
extern const char *const vocab_vals_education[];
extern const char *const vocab_vals_category[];
extern const char *const vocab_vals_standing[];
extern const char *const vocab_vals_meeting_kind[];
extern const char *const vocab_vals_attendance[];
extern const char *const vocab_vals_item_kind[];
extern const char *const vocab_vals_item_status[];
extern const char *const vocab_vals_transfer_status[];
extern const char *const vocab_vals_dev_stage[];
extern const char *const vocab_vals_leave_reason[];
extern const char *const vocab_vals_discipline_kind[];
extern const char *const vocab_vals_dues_class[];
extern const char *const vocab_vals_committee_role[];
extern const char *const vocab_vals_unit_kind[];
extern const char *const vocab_vals_claim_state[];
extern const char *const vocab_vals_wish_status[];
extern const char *const vocab_vals_feedback_source[];
extern const char *const vocab_vals_feedback_category[];
extern const char *const vocab_vals_feedback_status[];
extern const char *const vocab_vals_assess_target[];

#endif
