/*
 * validate.h - checks shared by the client (at entry) and the server (on
 * apply): a value against its column, citizen ID numbers, dates.
 * Each returns 0 when valid, or -1 with a sentence in why.
 */
#ifndef TX_VALIDATE_H
#define TX_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include "schema.h"
#include "tongxin.pb-c.h"

/* A value for column c: its type, length, enum list and date form. NULL is allowed here. */
int validate_value(const struct col_def *c, const Tongxin__Value *v, char *why, size_t cap);
/* A YYYY-MM-DD date from 1900 on that exists in the calendar. */
int validate_date(const char *s);
/*
 * An 18-character citizen ID number (GB 11643-1999): 17 digits, a valid
 * birth date in positions 7-14, and the ISO 7064 MOD 11-2 check character.
 */
int validate_id_number(const char *s, char *why, size_t cap);
/* Whether s is a 统一社会信用代码 (GB 32100): 18 characters, its check character right. */
int validate_credit_code(const char *s);
/* The check character ('0'-'9' or 'X') for the first 17 digits of s. */
char id_number_check_char(const char *s17);
/*
 * The rules that tie a row's columns together (a member's dates against
 * the citizen ID number and each other, no dates in the future, flags with
 * their details). v holds every column of table t in schema order; today
 * is YYYY-MM-DD. Checked at entry and again by the server.
 */
int validate_row(int t, const Tongxin__Value *v, const char *today, char *why, size_t cap);
/*
 * validate_row, also saying which column of t the broken rule concerns (the
 * one a form shows the message beside): *col is its index, or -1 when the
 * rule concerns the row as a whole.
 */
int validate_row_col(int t, const Tongxin__Value *v, const char *today, char *why, size_t cap,
    int *col);
/* Today's local date as YYYY-MM-DD. */
void today_str(char out[11]);
/* Date d plus years (Feb 29 becomes Feb 28), as YYYY-MM-DD. */
void date_add_years(const char *d, int years, char out[11]);

/* Whether s is valid UTF-8 without control characters other than tab and newline. */
int validate_utf8(const char *s);
/* Whether valid UTF-8 s holds only blanks (ASCII, U+3000 and no-break spaces); "" is blank. */
bool is_blank_text(const char *s);
/*
 * Whether valid UTF-8 s is what a person's name can be: Chinese characters,
 * Latin letters (accented ones too), and between them single spaces,
 * hyphens or the middle dot of transliterated minority and foreign names.
 */
bool is_person_name(const char *s);

/*
 * The organisation tree (PRODUCT.md): which kind may stand directly under
 * which. parent_kind NULL asks about the root (only the street). Checked
 * by the client at entry and by the server on every write of an org row.
 */
bool org_kind_allowed(const char *parent_kind, const char *kind);
/* The kinds allowed directly under parent_kind, into out (at most cap); returns how many. */
size_t org_kinds_under(const char *parent_kind, const char **out, size_t cap);
/* Whether members may belong directly to an organisation of this kind (a branch or a group). */
bool org_kind_holds_members(const char *kind);
/*
 * The meeting kinds that may decide what column col of table t records
 * (a member's full membership: a 支部党员大会), NULL-terminated; NULL when
 * the column is not such a reference.
 */
const char *const *meeting_kinds_for(int t, const char *col);

#endif
