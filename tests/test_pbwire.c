/*
 * test_pbwire.c - common/pbwire (the protobuf wire format by hand) against
 * protobuf-c: what the writer makes is byte for byte what protobuf-c packs
 * and unpacks to the same message (varints at every length boundary,
 * zigzag, doubles, strings, nested messages, a whole pull frame); the
 * reader walks protobuf-c's bytes and refuses what is not a well-formed
 * message level (truncated, an overlong varint, a bad wire type, field 0,
 * a length past the end); the writer's cap holds.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "pbwire.h"
#include "tongxin.pb-c.h"

static int failures;

#define CHECK(cond, ...) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: CHECK FAILED: %s: ", __FILE__, __LINE__, #cond); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
		failures++; \
	} \
} while (0)

/* protobuf-c's bytes of a message into a malloc'd buffer. */
static uint8_t *
packed(const ProtobufCMessage *m, size_t *n)
{
	uint8_t *p;

	*n = protobuf_c_message_get_packed_size(m);
	p = malloc(*n ? *n : 1);
	protobuf_c_message_pack(m, p);
	return p;
}

/* The writer's bytes equal protobuf-c's for message m. */
static int
same_bytes(const struct pbw *w, const ProtobufCMessage *m)
{
	size_t n;
	uint8_t *p = packed(m, &n);
	int ok = !w->failed && w->len == n && (n == 0 || memcmp(w->p, p, n) == 0);

	free(p);
	return ok;
}

static void
test_varints(void)
{
	static const uint64_t vs[] = { 1, 127, 128, 16383, 16384, (1u << 21) - 1, 1u << 21,
		(1u << 28) - 1, 1u << 28, UINT32_MAX, (uint64_t)1 << 35, ((uint64_t)1 << 42) - 1,
		(uint64_t)1 << 49, (uint64_t)1 << 56, ((uint64_t)1 << 63) - 1, (uint64_t)1 << 63,
		UINT64_MAX };
	struct pbw w;

	pbw_init(&w, 1024);
	for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++) {
		Tongxin__PullRequest m = TONGXIN__PULL_REQUEST__INIT, *u;

		pbw_reset(&w);
		pbw_uint(&w, 2, vs[i]);
		m.evict_cursor = vs[i];
		CHECK(same_bytes(&w, &m.base), "uint64 %llu", (unsigned long long)vs[i]);
		CHECK(w.len == 1 + pb_varint_size(vs[i]), "varint size of %llu",
		    (unsigned long long)vs[i]);
		u = tongxin__pull_request__unpack(NULL, w.len, w.p);
		CHECK(u != NULL && u->evict_cursor == vs[i], "unpack %llu", (unsigned long long)vs[i]);
		tongxin__pull_request__free_unpacked(u, NULL);
	}
	/* A uint32 field, and a zero written on purpose (protobuf-c reads it as the default). */
	{
		Tongxin__PullRequest *u;
		pbw_reset(&w);
		pbw_uint(&w, 3, UINT32_MAX);
		pbw_uint(&w, 4, 0);
		u = tongxin__pull_request__unpack(NULL, w.len, w.p);
		CHECK(u != NULL && u->max_rows == UINT32_MAX && u->note_cursor == 0, "uint32/zero");
		tongxin__pull_request__free_unpacked(u, NULL);
	}
	pbw_free(&w);
}

static void
test_values(void)
{
	static const int64_t is[] = { 0, 1, -1, 2, -2, 63, -64, 64, -65, 8191, -8192, INT32_MAX,
		INT32_MIN, INT64_MAX, INT64_MIN, INT64_MIN + 1 };
	const double rs[] = { 0.0, -0.0, 1.5, -1e300, DBL_MIN, DBL_MAX, 4.9e-324, INFINITY,
		-INFINITY, NAN, 3.141592653589793 };
	char big[300];
	const char *ss[] = { "", "a", "党员花名册", "第一社区（东门）１号", big };
	struct pbw w;

	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	pbw_init(&w, 4096);
	for (size_t i = 0; i < sizeof is / sizeof is[0]; i++) {
		Tongxin__Value m = TONGXIN__VALUE__INIT, *u;
		pbw_reset(&w);
		pbw_sint(&w, 1, is[i]);
		m.kind_case = TONGXIN__VALUE__KIND_I;
		m.i = is[i];
		CHECK(same_bytes(&w, &m.base), "sint64 %lld", (long long)is[i]);
		u = tongxin__value__unpack(NULL, w.len, w.p);
		CHECK(u != NULL && u->kind_case == TONGXIN__VALUE__KIND_I && u->i == is[i],
		    "unpack sint64 %lld", (long long)is[i]);
		tongxin__value__free_unpacked(u, NULL);
	}
	for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++) {
		Tongxin__Value m = TONGXIN__VALUE__INIT, *u;
		pbw_reset(&w);
		pbw_double(&w, 2, rs[i]);
		m.kind_case = TONGXIN__VALUE__KIND_R;
		m.r = rs[i];
		CHECK(same_bytes(&w, &m.base), "double %g", rs[i]);
		u = tongxin__value__unpack(NULL, w.len, w.p);
		CHECK(u != NULL && u->kind_case == TONGXIN__VALUE__KIND_R &&
		    memcmp(&u->r, &rs[i], sizeof rs[i]) == 0, "unpack double %g", rs[i]);
		tongxin__value__free_unpacked(u, NULL);
	}
	for (size_t i = 0; i < sizeof ss / sizeof ss[0]; i++) {
		Tongxin__Value m = TONGXIN__VALUE__INIT, *u;
		pbw_reset(&w);
		pbw_bytes(&w, 3, ss[i], strlen(ss[i]));
		m.kind_case = TONGXIN__VALUE__KIND_S;
		m.s = (char *)ss[i];
		CHECK(same_bytes(&w, &m.base), "string of %zu bytes", strlen(ss[i]));
		u = tongxin__value__unpack(NULL, w.len, w.p);
		CHECK(u != NULL && u->kind_case == TONGXIN__VALUE__KIND_S && strcmp(u->s, ss[i]) == 0,
		    "unpack string %zu", i);
		tongxin__value__free_unpacked(u, NULL);
	}
	pbw_free(&w);
}

/* A Row{3, "r-1", 9, values [i=-5, NULL, s="王"]} by hand into w, via the scratch v. */
static void
row_by_hand(struct pbw *w, struct pbw *v)
{
	pbw_uint(w, 1, 3);
	pbw_bytes(w, 2, "r-1", 3);
	pbw_uint(w, 3, 9);
	pbw_reset(v);
	pbw_sint(v, 1, -5);
	pbw_bytes(w, 5, v->p, v->len);
	pbw_bytes(w, 5, NULL, 0);
	pbw_reset(v);
	pbw_bytes(v, 3, "王", strlen("王"));
	pbw_bytes(w, 5, v->p, v->len);
}

static void
test_nested(void)
{
	Tongxin__Value v0 = TONGXIN__VALUE__INIT, v1 = TONGXIN__VALUE__INIT, v2 = TONGXIN__VALUE__INIT;
	Tongxin__Value *vals[] = { &v0, &v1, &v2 };
	Tongxin__Row row = TONGXIN__ROW__INIT;
	Tongxin__Row *rows[] = { &row, &row };
	uint64_t cursors[] = { 0, 1, 300, UINT64_MAX };
	Tongxin__PullResponse pr = TONGXIN__PULL_RESPONSE__INIT;
	Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT, *dec;
	struct pbw w, r, v;
	uint8_t *frame;
	size_t flen, len = 0;

	v0.kind_case = TONGXIN__VALUE__KIND_I;
	v0.i = -5;
	v2.kind_case = TONGXIN__VALUE__KIND_S;
	v2.s = "王";
	row.table = 3;
	row.row_id = "r-1";
	row.version = 9;
	row.values = vals;
	row.n_values = 3;
	pbw_init(&w, 1 << 16);
	pbw_init(&r, 1 << 16);
	pbw_init(&v, 1 << 16);
	row_by_hand(&w, &v);
	CHECK(same_bytes(&w, &row.base), "row");

	/* PullResponse{rows [row, row], cursors packed, more} */
	pr.rows = rows;
	pr.n_rows = 2;
	pr.cursors = cursors;
	pr.n_cursors = 4;
	pr.more = 1;
	pbw_reset(&w);
	for (int i = 0; i < 2; i++) {
		pbw_reset(&r);
		row_by_hand(&r, &v);
		pbw_bytes(&w, 1, r.p, r.len);
	}
	for (int i = 0; i < 4; i++)
		len += pb_varint_size(cursors[i]);
	pbw_tag(&w, 2, PB_LEN);
	pbw_varint(&w, len);
	for (int i = 0; i < 4; i++)
		pbw_varint(&w, cursors[i]);
	pbw_uint(&w, 5, 1);
	CHECK(same_bytes(&w, &pr.base), "pull response");

	/* The frame: header and Envelope{id 300, pull_result} as frame_encode makes it. */
	env.id = 300;
	env.body_case = TONGXIN__ENVELOPE__BODY_PULL_RESULT;
	env.pull_result = &pr;
	frame = frame_encode(&env, &flen);
	pbw_reset(&r);
	pbw_uint(&r, 1, 300);
	pbw_bytes(&r, 23, w.p, w.len);
	CHECK(frame != NULL && flen == r.len + FRAME_HDR_LEN &&
	    memcmp(frame + FRAME_HDR_LEN, r.p, r.len) == 0, "envelope");
	dec = frame_decode(r.p, r.len);
	CHECK(dec != NULL && dec->id == 300 && dec->pull_result->n_rows == 2 &&
	    dec->pull_result->rows[1]->n_values == 3 &&
	    dec->pull_result->rows[1]->values[1]->kind_case == TONGXIN__VALUE__KIND__NOT_SET &&
	    strcmp(dec->pull_result->rows[1]->values[2]->s, "王") == 0 &&
	    dec->pull_result->n_cursors == 4 && dec->pull_result->cursors[3] == UINT64_MAX,
	    "frame_decode of the hand-made envelope");
	envelope_free(dec);
	free(frame);

	/* The reader walks protobuf-c's row: each field, then a nested value. */
	{
		size_t n;
		uint8_t *p = packed(&row.base, &n);
		struct pbr rd, in;
		struct pb_field f;
		int k = 0, rc;

		pbr_init(&rd, p, n);
		while ((rc = pbr_next(&rd, &f)) == 1) {
			switch (k++) {
			case 0: CHECK(f.field == 1 && f.wt == PB_VARINT && f.v == 3, "table"); break;
			case 1: CHECK(f.field == 2 && f.wt == PB_LEN && f.len == 3 &&
				    memcmp(f.data, "r-1", 3) == 0, "row_id"); break;
			case 2: CHECK(f.field == 3 && f.v == 9, "version"); break;
			case 3: {
				struct pb_field g;
				CHECK(f.field == 5 && f.wt == PB_LEN, "value 0");
				pbr_init(&in, f.data, f.len);
				CHECK(pbr_next(&in, &g) == 1 && g.field == 1 && g.wt == PB_VARINT &&
				    g.v == 9 /* zigzag(-5) */, "value 0's i");
				CHECK(pbr_next(&in, &g) == 0, "value 0 ends");
				break;
			}
			case 4: CHECK(f.field == 5 && f.len == 0, "the NULL value"); break;
			case 5: CHECK(f.field == 5 && f.len == 2 + strlen("王"), "value 2"); break;
			default: CHECK(0, "an extra field %u", f.field);
			}
		}
		CHECK(rc == 0 && k == 6, "the row's six fields, then the end (rc %d, %d fields)", rc, k);
		free(p);
	}
	pbw_free(&w);
	pbw_free(&r);
	pbw_free(&v);
}

/* pbr_next over bytes: the results until the end or a refusal, the last returned. */
static int
walk(const uint8_t *p, size_t n)
{
	struct pbr r;
	struct pb_field f;
	int rc;

	pbr_init(&r, p, n);
	while ((rc = pbr_next(&r, &f)) == 1)
		;
	return rc;
}

static void
test_refusals(void)
{
	static const struct {
		const char *what;
		uint8_t b[16];
		size_t n;
		int want;
	} cases[] = {
		{ "empty", { 0 }, 0, 0 },
		{ "one varint field", { 0x08, 0x96, 0x01 }, 3, 0 },
		{ "ten-byte varint, top bit 1", { 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		    0xff, 0xff, 0x01 }, 11, 0 },
		{ "ten-byte varint over 64 bits", { 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		    0xff, 0xff, 0x02 }, 11, -1 },
		{ "eleven-byte varint", { 0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
		    0x80, 0x80, 0x00 }, 12, -1 },
		{ "varint cut short", { 0x08, 0x96 }, 2, -1 },
		{ "tag cut short", { 0x80 }, 1, -1 },
		{ "field number 0", { 0x00, 0x01 }, 2, -1 },
		{ "wire type 3 (group)", { 0x0b }, 1, -1 },
		{ "wire type 4 (group end)", { 0x0c }, 1, -1 },
		{ "wire type 6", { 0x0e, 0x00 }, 2, -1 },
		{ "wire type 7", { 0x0f, 0x00 }, 2, -1 },
		{ "fixed64 cut short", { 0x11, 1, 2, 3, 4, 5, 6, 7 }, 8, -1 },
		{ "fixed32 cut short", { 0x15, 1, 2, 3 }, 4, -1 },
		{ "fixed32 whole", { 0x15, 1, 2, 3, 4 }, 5, 0 },
		{ "length past the end", { 0x1a, 0x05, 'a', 'b' }, 4, -1 },
		{ "length's varint cut", { 0x1a, 0x85 }, 2, -1 },
		{ "length of 2^63", { 0x1a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
		    0x01 }, 11, -1 },
		{ "field number past 2^32", { 0xf8, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00 }, 7, -1 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CHECK(walk(cases[i].b, cases[i].n) == cases[i].want, "%s", cases[i].what);
	/* Every proper prefix of a message ending in a length field is refused. */
	{
		Tongxin__Row row = TONGXIN__ROW__INIT;
		size_t n;
		uint8_t *p;
		row.table = 2;
		row.row_id = "0123456789";
		p = packed(&row.base, &n);
		CHECK(walk(p, n) == 0, "the whole row");
		for (size_t k = 3; k < n; k++)   /* after the table field: inside row_id */
			CHECK(walk(p, k) == -1, "the row cut at %zu of %zu bytes", k, n);
		free(p);
	}
}

static void
test_cap(void)
{
	struct pbw w;

	pbw_init(&w, 10);
	pbw_raw(&w, "0123456789", 10);
	CHECK(!w.failed && w.len == 10, "exactly the cap");
	pbw_uint(&w, 1, 1);
	CHECK(w.failed && w.len == 10, "one past the cap fails and writes nothing");
	pbw_raw(&w, "x", 1);
	CHECK(w.failed && w.len == 10, "later writes do nothing");
	pbw_reset(&w);
	CHECK(!w.failed && w.len == 0, "reset");
	pbw_bytes(&w, 1, "0123456789", 10);
	CHECK(w.failed && w.len <= 10, "a field larger than the cap");
	pbw_free(&w);
	pbw_free(&w);   /* a freed buffer may be freed again */
	pbw_init(&w, 1 << 20);
	for (int i = 0; i < 100000; i++)
		pbw_uint(&w, 1, (uint64_t)i);
	CHECK(!w.failed && w.len <= w.cap && w.cap <= w.max, "growth within the cap");
	pbw_free(&w);
}

int
main(void)
{
	test_varints();
	test_values();
	test_nested();
	test_refusals();
	test_cap();
	if (failures) {
		fprintf(stderr, "test_pbwire: %d checks failed\n", failures);
		return 1;
	}
	fprintf(stderr, "test_pbwire: PASS\n");
	return 0;
}
