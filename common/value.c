/* value.c - see value.h. */
#include "value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
value_set_null(Tongxin__Value *v)
{
	tongxin__value__init(v);
}

void
value_set_text(Tongxin__Value *v, const char *s)
{
	tongxin__value__init(v);
	if (s != NULL) {
		v->kind_case = TONGXIN__VALUE__KIND_S;
		v->s = (char *)s;
	}
}

void
value_set_int(Tongxin__Value *v, int64_t i)
{
	tongxin__value__init(v);
	v->kind_case = TONGXIN__VALUE__KIND_I;
	v->i = i;
}

int
value_bind(sqlite3_stmt *st, int idx, const Tongxin__Value *v)
{
	switch (v->kind_case) {
	case TONGXIN__VALUE__KIND_I: return sqlite3_bind_int64(st, idx, v->i);
	case TONGXIN__VALUE__KIND_R: return sqlite3_bind_double(st, idx, v->r);
	case TONGXIN__VALUE__KIND_S: return sqlite3_bind_text(st, idx, v->s, -1, SQLITE_TRANSIENT);
	default: return sqlite3_bind_null(st, idx);
	}
}

int
value_bind_static(sqlite3_stmt *st, int idx, const Tongxin__Value *v)
{
	if (v->kind_case == TONGXIN__VALUE__KIND_S)
		return sqlite3_bind_text(st, idx, v->s, -1, SQLITE_STATIC);
	return value_bind(st, idx, v);
}

int
value_from_column(sqlite3_stmt *st, int col, Tongxin__Value *out)
{
	tongxin__value__init(out);
	switch (sqlite3_column_type(st, col)) {
	case SQLITE_INTEGER:
		out->kind_case = TONGXIN__VALUE__KIND_I;
		out->i = sqlite3_column_int64(st, col);
		break;
	case SQLITE_FLOAT:
		out->kind_case = TONGXIN__VALUE__KIND_R;
		out->r = sqlite3_column_double(st, col);
		break;
	case SQLITE_TEXT:
	case SQLITE_BLOB: {
		const unsigned char *t = sqlite3_column_text(st, col);
		int n = sqlite3_column_bytes(st, col);
		char *s = malloc((size_t)n + 1);
		if (s == NULL)
			return -1;
		memcpy(s, t, (size_t)n);
		s[n] = '\0';
		out->kind_case = TONGXIN__VALUE__KIND_S;
		out->s = s;
		break;
	}
	default:
		break;
	}
	return 0;
}

int
value_equals_column(sqlite3_stmt *st, int col, const Tongxin__Value *v)
{
	int t = sqlite3_column_type(st, col);

	switch (v->kind_case) {
	case TONGXIN__VALUE__KIND_I:
		return t == SQLITE_INTEGER && sqlite3_column_int64(st, col) == v->i;
	case TONGXIN__VALUE__KIND_R:
		return t == SQLITE_FLOAT && sqlite3_column_double(st, col) == v->r;
	case TONGXIN__VALUE__KIND_S:
		return t == SQLITE_TEXT &&
		    strcmp((const char *)sqlite3_column_text(st, col), v->s) == 0;
	default:
		return t == SQLITE_NULL;
	}
}

int
value_eq(const Tongxin__Value *a, const Tongxin__Value *b)
{
	if (a->kind_case != b->kind_case)
		return 0;
	switch (a->kind_case) {
	case TONGXIN__VALUE__KIND_I: return a->i == b->i;
	case TONGXIN__VALUE__KIND_R: return a->r == b->r;
	case TONGXIN__VALUE__KIND_S: return strcmp(a->s, b->s) == 0;
	default: return 1;
	}
}

int
value_copy(Tongxin__Value *dst, const Tongxin__Value *src)
{
	/*
	 * The value only: a Value from the wire may carry fields this version
	 * does not know (protobuf-c keeps them in base), which stay src's. A
	 * copy of the whole struct shared them, and a clear of either copy
	 * lost or freed them under the other.
	 */
	const Tongxin__Value in = *src;   /* dst may be src */

	tongxin__value__init(dst);
	dst->kind_case = in.kind_case;
	switch (in.kind_case) {
	case TONGXIN__VALUE__KIND_I: dst->i = in.i; break;
	case TONGXIN__VALUE__KIND_R: dst->r = in.r; break;
	case TONGXIN__VALUE__KIND_S:
		if ((dst->s = strdup(in.s)) == NULL) {
			tongxin__value__init(dst);
			return -1;
		}
		break;
	default: break;
	}
	return 0;
}

void
value_clear(Tongxin__Value *v)
{
	if (v == NULL)
		return;
	if (v->kind_case == TONGXIN__VALUE__KIND_S)
		free(v->s);
	tongxin__value__init(v);
}

void
value_drop_unknown(Tongxin__Value *v)
{
	for (unsigned i = 0; i < v->base.n_unknown_fields; i++)
		free(v->base.unknown_fields[i].data);
	free(v->base.unknown_fields);
	v->base.unknown_fields = NULL;
	v->base.n_unknown_fields = 0;
}

const char *
value_str(const Tongxin__Value *v, char *buf, size_t cap)
{
	switch (v->kind_case) {
	case TONGXIN__VALUE__KIND_I: snprintf(buf, cap, "%lld", (long long)v->i); break;
	case TONGXIN__VALUE__KIND_R: snprintf(buf, cap, "%g", v->r); break;
	case TONGXIN__VALUE__KIND_S: snprintf(buf, cap, "%s", v->s); break;
	default: snprintf(buf, cap, "∅"); break;
	}
	return buf;
}
