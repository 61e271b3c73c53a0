/* pull_raw.c - see pull_raw.h. */
#include "pull_raw.h"

#include <stdlib.h>
#include <string.h>

#include "pbwire.h"
#include "tongxin.pb-c.h"

/* Field numbers, from proto/tongxin.proto (checked below against protobuf-c's descriptors). */
#define ENV_PULL_RESULT 23
#define PULL_ROWS 1
enum { ROW_TABLE = 1, ROW_ID = 2, ROW_VERSION = 3, ROW_DELETED = 4, ROW_VALUES = 5, ROW_AS_SENT = 6 };
enum { VALUE_I = 1, VALUE_R = 2, VALUE_S = 3 };

/* Whether field number n of message d is called name. */
static int
named(const ProtobufCMessageDescriptor *d, unsigned n, const char *name)
{
	const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(d, n);

	return f != NULL && strcmp(f->name, name) == 0;
}

/* The numbers above are the .proto's: a renumbered field must not go unnoticed. */
static int
numbers_checked(void)
{
	return named(&tongxin__envelope__descriptor, ENV_PULL_RESULT, "pull_result") &&
	    named(&tongxin__pull_response__descriptor, PULL_ROWS, "rows") &&
	    named(&tongxin__row__descriptor, ROW_TABLE, "table") &&
	    named(&tongxin__row__descriptor, ROW_ID, "row_id") &&
	    named(&tongxin__row__descriptor, ROW_VERSION, "version") &&
	    named(&tongxin__row__descriptor, ROW_DELETED, "deleted") &&
	    named(&tongxin__row__descriptor, ROW_VALUES, "values") &&
	    named(&tongxin__row__descriptor, ROW_AS_SENT, "as_sent") &&
	    named(&tongxin__value__descriptor, VALUE_I, "i") &&
	    named(&tongxin__value__descriptor, VALUE_R, "r") &&
	    named(&tongxin__value__descriptor, VALUE_S, "s");
}

/* One Value message into *v. 0, or -1 if malformed. */
static int
value_read(const uint8_t *p, size_t n, struct raw_value *v)
{
	struct pbr r;
	struct pb_field f;
	int rc;

	memset(v, 0, sizeof *v);
	pbr_init(&r, p, n);
	while ((rc = pbr_next(&r, &f)) == 1) {
		switch (f.field) {
		case VALUE_I:
			if (f.wt != PB_VARINT)
				return -1;
			v->kind = TONGXIN__VALUE__KIND_I;
			v->i = (int64_t)(f.v >> 1) ^ -(int64_t)(f.v & 1);   /* sint64: zigzag */
			break;
		case VALUE_R:
			if (f.wt != PB_I64)
				return -1;
			v->kind = TONGXIN__VALUE__KIND_R;
			memcpy(&v->r, &f.v, sizeof v->r);
			break;
		case VALUE_S:
			if (f.wt != PB_LEN)
				return -1;
			v->kind = TONGXIN__VALUE__KIND_S;
			v->s = (const char *)f.data;
			v->len = f.len;
			break;
		default:
			break;   /* unknown: skipped, as protobuf-c keeps and ignores it */
		}
	}
	return rc;
}

int
pull_raw_row(const uint8_t *p, size_t n, struct raw_row *row)
{
	struct pbr r;
	struct pb_field f;
	int rc;

	row->table = 0;
	row->row_id = "";
	row->row_id_len = 0;
	row->version = 0;
	row->deleted = row->as_sent = false;
	row->n_values = 0;
	pbr_init(&r, p, n);
	while ((rc = pbr_next(&r, &f)) == 1) {
		switch (f.field) {
		case ROW_TABLE:
		case ROW_VERSION:
		case ROW_DELETED:
		case ROW_AS_SENT:
			if (f.wt != PB_VARINT)
				return -1;
			if (f.field == ROW_TABLE)
				row->table = (uint32_t)f.v;
			else if (f.field == ROW_VERSION)
				row->version = f.v;
			else if (f.field == ROW_DELETED)
				row->deleted = f.v != 0;
			else
				row->as_sent = f.v != 0;
			break;
		case ROW_ID:
			if (f.wt != PB_LEN)
				return -1;
			row->row_id = (const char *)f.data;
			row->row_id_len = f.len;
			break;
		case ROW_VALUES:
			if (f.wt != PB_LEN || row->n_values == WIRE_MAX_COLS ||
			    value_read(f.data, f.len, &row->values[row->n_values]) != 0)
				return -1;
			row->n_values++;
			break;
		default:
			break;
		}
	}
	return rc;
}

/* Room for at least need bytes at *p (of *cap); the old bytes are not kept. 0, or -1. */
static int
room(uint8_t **p, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	free(*p);
	*cap = 0;
	if ((*p = malloc(need)) == NULL)
		return -1;
	*cap = need;
	return 0;
}

/*
 * One pull_result's bytes: note its rows, and write the field again into
 * out with every other field of it. Returns the bytes written, or -1.
 */
static long
split_result(struct pull_raw *pg, const uint8_t *p, size_t n, uint8_t *out)
{
	struct pbr r;
	struct pb_field f;
	size_t keep = 0, w;
	const uint8_t *at;
	int rc;

	/* First the rows and the length of what stays. */
	pbr_init(&r, p, n);
	for (at = r.p; (rc = pbr_next(&r, &f)) == 1; at = r.p) {
		struct raw_row row;
		if (f.field != PULL_ROWS) {
			keep += (size_t)(r.p - at);
			continue;
		}
		if (f.wt != PB_LEN || pg->n_rows == PULL_RAW_MAX_ROWS ||
		    pull_raw_row(f.data, f.len, &row) != 0)
			return -1;
		pg->row_p[pg->n_rows] = f.data;
		pg->row_n[pg->n_rows++] = f.len;
	}
	if (rc != 0)
		return -1;
	/* Then the field again, without them. */
	w = (size_t)(pb_put_varint(out, (uint64_t)ENV_PULL_RESULT << 3 | PB_LEN) - out);
	w = (size_t)(pb_put_varint(out + w, keep) - out);
	pbr_init(&r, p, n);
	for (at = r.p; pbr_next(&r, &f) == 1; at = r.p)
		if (f.field != PULL_ROWS) {
			memcpy(out + w, at, (size_t)(r.p - at));
			w += (size_t)(r.p - at);
		}
	return (long)w;
}

int
pull_raw_split(struct pull_raw *pg, size_t len)
{
	struct pbr r;
	struct pb_field f;
	const uint8_t *at;
	size_t out = 0;
	int rc;

	pg->n_rows = 0;
	pg->rest_len = 0;
	if (!numbers_checked())   /* a few lookups a page: cheaper than keeping it thread-safe */
		return -1;
	/* What stays is never longer than what came, plus a field header per pull_result. */
	if (room(&pg->rest, &pg->rest_cap, len + 64) != 0)
		return -2;
	if (pg->row_p == NULL &&
	    ((pg->row_p = malloc(PULL_RAW_MAX_ROWS * sizeof *pg->row_p)) == NULL ||
	    (pg->row_n = malloc(PULL_RAW_MAX_ROWS * sizeof *pg->row_n)) == NULL)) {
		free(pg->row_p);
		pg->row_p = NULL;
		return -2;
	}
	pbr_init(&r, pg->buf, len);
	for (at = r.p; (rc = pbr_next(&r, &f)) == 1; at = r.p) {
		if (f.field == ENV_PULL_RESULT) {
			long w;
			/* A second pull_result needs its own header: room was kept for a few. */
			if (f.wt != PB_LEN || out + f.len + 16 > pg->rest_cap ||
			    (w = split_result(pg, f.data, f.len, pg->rest + out)) < 0)
				return -1;
			out += (size_t)w;
		} else {
			/* Another member of the body oneof replaces the pull_result read so far. */
			if (f.field != 1 &&
			    protobuf_c_message_descriptor_get_field(&tongxin__envelope__descriptor,
			    f.field) != NULL)
				pg->n_rows = 0;
			memcpy(pg->rest + out, at, (size_t)(r.p - at));
			out += (size_t)(r.p - at);
		}
	}
	if (rc != 0)
		return -1;
	pg->rest_len = out;
	return 0;
}

int
pull_raw_split_copy(struct pull_raw *pg, const uint8_t *body, size_t len)
{
	if (len == 0)
		return -1;   /* no frame is empty (frame_peek refuses it) */
	if (room(&pg->buf, &pg->cap, len) != 0)
		return -2;
	memcpy(pg->buf, body, len);
	return pull_raw_split(pg, len);
}

void
pull_raw_free(struct pull_raw *pg)
{
	free(pg->buf);
	free(pg->rest);
	free(pg->row_p);
	free(pg->row_n);
	memset(pg, 0, sizeof *pg);
}
