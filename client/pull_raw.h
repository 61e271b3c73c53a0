/*
 * pull_raw.h - a pull page read in place: its rows are walked from the
 * frame's bytes and bound to SQLite from there, with no protobuf-c message
 * per row and value.
 *
 * protobuf-c unpacked a page of 5,000 members (1.7 MB) into 16.6 MB of
 * structs (a message per value), about a fifth of a first pull's CPU and
 * most of the memory it touched. Here the frame is split once: the rows
 * (PullResponse field 1) are noted as slices of the frame and checked; the
 * rest of the envelope (cursors, evictions, resolutions, more) is copied
 * into a small envelope of its own that frame_decode unpacks as before. A
 * page the split refuses is refused whole, as protobuf-c would refuse it.
 */
#ifndef TX_PULL_RAW_H
#define TX_PULL_RAW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bounds.h"

/* Rows one page may carry: the server's own cap (store_internal.h PULL_MAX_ROWS). */
#define PULL_RAW_MAX_ROWS 5000

/* A page's bytes and what the split found in them. Zero-initialise; pull_raw_free. */
struct pull_raw {
	uint8_t *buf;             /* the frame's body, owned; rows point into it */
	size_t cap;               /* bytes allocated at buf */
	uint8_t *rest;            /* the envelope without its rows, owned */
	size_t rest_cap, rest_len;
	const uint8_t **row_p;    /* each row's bytes (a Row message), inside buf */
	size_t *row_n;
	size_t n_rows;            /* rows found by the last split */
};

/* One Value as read: kind is the protobuf-c case (0 when no kind is set: NULL). */
struct raw_value {
	int kind;
	int64_t i;
	double r;
	const char *s;            /* not NUL-terminated: len bytes */
	size_t len;
};

/* One Row as read; row_id and string values point into the page's bytes. */
struct raw_row {
	uint32_t table;
	const char *row_id;
	size_t row_id_len;
	uint64_t version;
	bool deleted, as_sent;
	size_t n_values;
	struct raw_value values[WIRE_MAX_COLS];
};

/*
 * Split the envelope of len bytes at pg->buf: note its pull_result rows and
 * check each (pull_raw_row), and write every other field, in order, into
 * pg->rest. An envelope that carries no pull_result is copied whole. 0, or
 * -1 if the bytes are not a well-formed envelope, a row is malformed, or
 * there are more than PULL_RAW_MAX_ROWS rows; -2 if memory ran out.
 */
int pull_raw_split(struct pull_raw *pg, size_t len);

/*
 * pull_raw_split of a copy of the len bytes at body, kept in pg->buf (for
 * readers that hold the bytes elsewhere: a benchmark, a test). The same
 * returns.
 */
int pull_raw_split_copy(struct pull_raw *pg, const uint8_t *body, size_t len);

/*
 * Read the Row message of n bytes at p into *row. 0, or -1 if malformed (a
 * field of the wrong wire type, more than WIRE_MAX_COLS values, bad bytes).
 * As protobuf-c reads it: the last occurrence of a singular field wins,
 * unknown fields are skipped.
 */
int pull_raw_row(const uint8_t *p, size_t n, struct raw_row *row);

/* Free what pg holds (not pg itself); pg is zeroed and may be reused. */
void pull_raw_free(struct pull_raw *pg);

#endif
