/*
 * value.h - column values: the wire's Tongxin__Value bound to and read from
 * SQLite. A Value whose kind is unset is SQL NULL. Strings in values made by
 * value_from_column() are malloc'd and freed by value_clear().
 */
#ifndef TX_VALUE_H
#define TX_VALUE_H

#include <sqlite3.h>
#include "tongxin.pb-c.h"

/* Bind v to parameter idx of st (text is bound SQLITE_TRANSIENT). */
int value_bind(sqlite3_stmt *st, int idx, const Tongxin__Value *v);
/* The same, text bound SQLITE_STATIC: v must outlive the statement's next step. */
int value_bind_static(sqlite3_stmt *st, int idx, const Tongxin__Value *v);
/* Fill out (initialised here) from column col of st's current row. -1 on OOM. */
int value_from_column(sqlite3_stmt *st, int col, Tongxin__Value *out);
/* Whether column col of st's current row equals v (NULL equals NULL). */
int value_equals_column(sqlite3_stmt *st, int col, const Tongxin__Value *v);
int value_eq(const Tongxin__Value *a, const Tongxin__Value *b);
/* Deep copy (strings duplicated). -1 on OOM. */
int value_copy(Tongxin__Value *dst, const Tongxin__Value *src);
/* Free a string held by v and reset it to NULL; accepts NULL. */
void value_clear(Tongxin__Value *v);
/*
 * Free the fields unknown to this version that protobuf-c kept in a Value
 * unpacked with its default allocator (v's value stays). For a message
 * whose values are then cleared and refilled: value_clear does not look
 * at them (it takes any Value whose kind is set), so they would be lost.
 */
void value_drop_unknown(Tongxin__Value *v);
/* Value constructors (no allocation: s is borrowed). */
void value_set_text(Tongxin__Value *v, const char *s);
void value_set_int(Tongxin__Value *v, int64_t i);
void value_set_null(Tongxin__Value *v);
/* Render for people: NULL prints as "∅". Returns buf. */
const char *value_str(const Tongxin__Value *v, char *buf, size_t cap);

#endif
