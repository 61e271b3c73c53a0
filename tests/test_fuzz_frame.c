/*
 * test_fuzz_frame.c - a deterministic mutation fuzzer for the frame reader
 * (frame_peek + frame_decode), run by ctest.
 *
 * It starts from valid encoded envelopes of every body type, mutates them
 * (bit flips, byte changes, truncations, length-field changes, inserted,
 * deleted and duplicated ranges, splices, random bytes) and feeds each
 * result through a stream reader exactly as the server and the client use
 * the two functions. The oracle is the sanitizers (build with
 * -DTONGXIN_SANITIZE=ON): no input may crash, leak or read out of bounds.
 * Two properties are checked as well: whatever decodes re-encodes, and
 * decoding that encoding gives the same bytes again; and frame_peek never
 * reports a body longer than the cap in force.
 *
 *   test_fuzz_frame                      200000 iterations, seed 0x7478
 *   test_fuzz_frame -n N -s SEED         other counts and seeds
 *   test_fuzz_frame FILE...              replay saved inputs
 *
 * A known protobuf-c quirk (field number 0 in a two-byte key; see
 * test_frame.c) is counted and reported, not failed, unless TX_STRICT=1.
 *
 * When an input crashes the program, it is written to
 * fuzz-frame-crash.bin in $TMPDIR (or /tmp) before the process dies, so it
 * can be replayed. Built with -DTX_LIBFUZZER the file instead provides
 * LLVMFuzzerTestOneInput for clang's libFuzzer.
 */
#include "frame.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pull_raw.h"
#include "schema.h"

#define FUZZ_MAX_INPUT 8192        /* mutated inputs stay below this */
#define DEFAULT_ITERATIONS 200000
#define DEFAULT_SEED 0x7478u

#ifndef TX_LIBFUZZER
static int failures;
#endif

/* What the inputs reached, printed at the end to show the fuzzer is not just bouncing off. */
static unsigned long n_frames, n_decoded, n_refused, n_bodies[8], n_field_zero;

/* TX_STRICT=1: known product bugs count as failures too. */
static int strict;

/* Under libFuzzer a failed property must end the run so the input is kept. */
#ifdef TX_LIBFUZZER
#define CHECK_FAILED() abort()
#else
#define CHECK_FAILED() failures++
#endif

#define CHECK(cond, ...)                                                         \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stderr, "%s:%d: check failed: %s\n  ", __FILE__, \
			    __LINE__, #cond);                                    \
			fprintf(stderr, __VA_ARGS__);                            \
			fputc('\n', stderr);                                     \
			CHECK_FAILED();                                          \
		}                                                                \
	} while (0)

/* --- the target ------------------------------------------------------------ */

/* Read every field of a decoded envelope, so a bad pointer shows up here. */
static size_t
touch_value(const Tongxin__Value *v)
{
	if (v->kind_case == TONGXIN__VALUE__KIND_S)
		return strlen(v->s);
	return (size_t)v->kind_case;
}

static size_t
touch_row(const Tongxin__Row *r)
{
	size_t n = strlen(r->row_id) + r->table + (size_t)r->version + r->deleted;
	for (size_t i = 0; i < r->n_values; i++)
		n += touch_value(r->values[i]);
	return n;
}

static size_t
touch(const Tongxin__Envelope *e)
{
	size_t n = strlen(envelope_body_name(e)) + e->id;

	switch (e->body_case) {
	case TONGXIN__ENVELOPE__BODY_HELLO:
		n += e->hello->schema_hash.len + strlen(e->hello->program_version) +
		    strlen(e->hello->operator_name);
		if (e->hello->schema_hash.len > 0)
			n += e->hello->schema_hash.data[e->hello->schema_hash.len - 1];
		break;
	case TONGXIN__ENVELOPE__BODY_WELCOME:
		n += strlen(e->welcome->server_version) + strlen(e->welcome->device_name) +
		    strlen(e->welcome->device_id) + strlen(e->welcome->org_code) +
		    strlen(e->welcome->role) + strlen(e->welcome->street_name);
		break;
	case TONGXIN__ENVELOPE__BODY_ERROR:
		n += strlen(e->error->message) + (size_t)e->error->code;
		break;
	case TONGXIN__ENVELOPE__BODY_PUSH:
		for (size_t i = 0; i < e->push->n_txns; i++) {
			const Tongxin__Txn *t = e->push->txns[i];
			n += strlen(t->operator_name) + (size_t)t->seq;
			for (size_t j = 0; j < t->n_changes; j++) {
				const Tongxin__Change *c = t->changes[j];
				n += strlen(c->row_id) + (size_t)c->op;
				for (size_t k = 0; k < c->n_cols; k++)
					n += c->cols[k];
				for (size_t k = 0; k < c->n_values; k++)
					n += touch_value(c->values[k]);
				for (size_t k = 0; k < c->n_before; k++)
					n += touch_value(c->before[k]);
			}
		}
		break;
	case TONGXIN__ENVELOPE__BODY_PUSH_RESULT:
		for (size_t i = 0; i < e->push_result->n_results; i++) {
			const Tongxin__TxnResult *r = e->push_result->results[i];
			n += strlen(r->reason) + strlen(r->conflict_id) + (size_t)r->status;
			for (size_t j = 0; j < r->n_rows; j++)
				n += touch_row(r->rows[j]);
		}
		break;
	case TONGXIN__ENVELOPE__BODY_PULL:
		for (size_t i = 0; i < e->pull->n_cursors; i++)
			n += (size_t)e->pull->cursors[i];
		break;
	case TONGXIN__ENVELOPE__BODY_PULL_RESULT:
		for (size_t i = 0; i < e->pull_result->n_rows; i++)
			n += touch_row(e->pull_result->rows[i]);
		for (size_t i = 0; i < e->pull_result->n_evictions; i++)
			n += strlen(e->pull_result->evictions[i]->row_id);
		for (size_t i = 0; i < e->pull_result->n_cursors; i++)
			n += (size_t)e->pull_result->cursors[i];
		break;
	default:
		break;
	}
	return n;
}

/* Index into n_bodies: 0 no body, then hello, welcome, error, push, push-result, pull, pull-result. */
static unsigned
body_slot(const Tongxin__Envelope *e)
{
	switch (e->body_case) {
	case TONGXIN__ENVELOPE__BODY_HELLO: return 1;
	case TONGXIN__ENVELOPE__BODY_WELCOME: return 2;
	case TONGXIN__ENVELOPE__BODY_ERROR: return 3;
	case TONGXIN__ENVELOPE__BODY_PUSH: return 4;
	case TONGXIN__ENVELOPE__BODY_PUSH_RESULT: return 5;
	case TONGXIN__ENVELOPE__BODY_PULL: return 6;
	case TONGXIN__ENVELOPE__BODY_PULL_RESULT: return 7;
	default: return 0;
	}
}

/*
 * Whether m or any message below it kept an unknown field with field number
 * 0: protobuf-c accepts one in a non-minimal two-byte key (0x80 0x00) but
 * refuses the one-byte key it writes when packing the message again.
 */
static int
unknown_field_zero(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const char *base = (const char *)m;

	for (unsigned i = 0; i < m->n_unknown_fields; i++)
		if (m->unknown_fields[i].tag == 0)
			return 1;
	for (unsigned f = 0; f < d->n_fields; f++) {
		const ProtobufCFieldDescriptor *fd = &d->fields[f];
		if (fd->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + fd->quantifier_offset);
			ProtobufCMessage *const *arr = *(ProtobufCMessage *const *const *)(base + fd->offset);
			for (size_t k = 0; k < n; k++)
				if (arr[k] != NULL && unknown_field_zero(arr[k]))
					return 1;
		} else {
			const ProtobufCMessage *sub;
			if ((fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
			    *(const uint32_t *)(base + fd->quantifier_offset) != fd->id)
				continue;
			sub = *(ProtobufCMessage *const *)(base + fd->offset);
			if (sub != NULL && unknown_field_zero(sub))
				return 1;
		}
	}
	return 0;
}

/*
 * Decode one body; if it decodes, check that it re-encodes and that the
 * encoding is a fixed point (decode(encode(x)) encodes to the same bytes).
 */
/*
 * The client's in-place reader of pull pages (client/pull_raw.c) on the
 * same bytes: it must never read out of bounds (ASan), and when it and
 * frame_decode (e) both take a page, they find as many rows in it.
 */
static void
raw_split_check(const uint8_t *body, size_t len, const Tongxin__Envelope *e)
{
	struct pull_raw raw = { 0 };
	int rc;

	if (len == 0 || (raw.buf = malloc(len)) == NULL)
		return;
	raw.cap = len;
	memcpy(raw.buf, body, len);
	rc = pull_raw_split(&raw, len);
	if (rc == 0 && e != NULL && e->body_case == TONGXIN__ENVELOPE__BODY_PULL_RESULT)
		CHECK(raw.n_rows == e->pull_result->n_rows, "the in-place reader finds %zu rows, "
		    "protobuf-c %zu", raw.n_rows, e->pull_result->n_rows);
	pull_raw_free(&raw);
}

static size_t
decode_body(const uint8_t *body, size_t len)
{
	Tongxin__Envelope *e = frame_decode(body, len), *e2;
	uint8_t *f1, *f2;
	size_t n1 = 0, n2 = 0, sum;

	raw_split_check(body, len, e);
	if (e == NULL) {
		n_refused++;
		return 0;
	}
	n_decoded++;
	n_bodies[body_slot(e)]++;
	sum = touch(e);
	f1 = frame_encode(e, &n1);
	if (f1 == NULL) {   /* an envelope with nothing in it: nothing to send */
		envelope_free(e);
		return sum;
	}
	e2 = frame_decode(f1 + FRAME_HDR_LEN, n1 - FRAME_HDR_LEN);
	if (e2 == NULL && !strict && unknown_field_zero(&e->base)) {
		/* Known: protobuf-c keeps field number 0 from a two-byte key (see test_frame.c). */
		n_field_zero++;
	} else {
		CHECK(e2 != NULL, "a re-encoded envelope (%zu bytes) does not decode", n1);
	}
	envelope_free(e);
	if (e2 != NULL) {
		f2 = frame_encode(e2, &n2);
		CHECK(f2 != NULL && n2 == n1 && memcmp(f1, f2, n1) == 0,
		    "encoding is not stable: %zu then %zu bytes", n1, n2);
		free(f2);
		envelope_free(e2);
	}
	free(f1);
	return sum;
}

/*
 * Run one input through a stream reader with the given cap, as the server
 * does: take whole frames off the front until one is missing or bad. Also
 * decode the bytes after the header directly, whatever the header says, so
 * that mutated bodies are exercised even when the length no longer fits.
 */
static void
run_input(const uint8_t *data, size_t len)
{
	static const size_t caps[] = { FRAME_MAX_PREAUTH, FRAME_MAX, 64 };
	volatile size_t sink = 0;

	for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
		size_t off = 0;
		for (int frames = 0; frames < 64; frames++) {
			uint32_t blen = 0;
			enum frame_status st = frame_peek(data + off, len - off, caps[c], &blen);
			if (st != FRAME_OK) {
				if (st == FRAME_NEED_MORE && len - off >= FRAME_HDR_LEN)
					CHECK(blen > 0 && blen <= caps[c] && blen > len - off - FRAME_HDR_LEN,
					    "NEED_MORE with body_len %u, %zu bytes present, cap %zu", blen,
					    len - off - FRAME_HDR_LEN, caps[c]);
				break;
			}
			CHECK(blen > 0 && blen <= caps[c] && blen <= len - off - FRAME_HDR_LEN,
			    "FRAME_OK with body_len %u, %zu bytes present, cap %zu", blen,
			    len - off - FRAME_HDR_LEN, caps[c]);
			n_frames++;
			/* An exact-size copy, so ASan sees a read past the body. */
			{
				uint8_t *body = malloc(blen);
				memcpy(body, data + off + FRAME_HDR_LEN, blen);
				sink += decode_body(body, blen);
				free(body);
			}
			off += FRAME_HDR_LEN + blen;
		}
	}
	if (len > FRAME_HDR_LEN) {
		uint8_t *body = malloc(len - FRAME_HDR_LEN);
		memcpy(body, data + FRAME_HDR_LEN, len - FRAME_HDR_LEN);
		sink += decode_body(body, len - FRAME_HDR_LEN);
		free(body);
	}
	(void)sink;
}

#ifdef TX_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run_input(data, size);
	return 0;
}
#else

/* --- crash capture ----------------------------------------------------------- */

static const uint8_t *cur_data;
static size_t cur_len;
static char crash_path[4096];

/* Write the current input out; async-signal-safe. */
static void
save_current(void)
{
	int fd;

	if (cur_data == NULL || crash_path[0] == '\0')
		return;
	if ((fd = open(crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
		return;
	if (write(fd, cur_data, cur_len) < 0) {
		/* nothing more to do in a dying process */
	}
	close(fd);
	if (write(2, "test_fuzz_frame: input saved to ", 32) < 0 ||
	    write(2, crash_path, strlen(crash_path)) < 0 || write(2, "\n", 1) < 0) {
		/* as above */
	}
}

static void
on_fatal_signal(int sig)
{
	save_current();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* The sanitizers call this before they end the process (weak: absent otherwise). */
extern void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

/* --- seeds --------------------------------------------------------------------- */

struct blob {
	uint8_t *p;
	size_t len;
};

static struct blob seeds[16];
static size_t nseeds;

static void
add_seed(Tongxin__Envelope *env)
{
	size_t n;
	uint8_t *f = frame_encode(env, &n);

	if (f == NULL || n > FUZZ_MAX_INPUT / 2) {
		fprintf(stderr, "test_fuzz_frame: cannot encode a %s seed\n", envelope_body_name(env));
		exit(1);
	}
	seeds[nseeds].p = f;
	seeds[nseeds].len = n;
	nseeds++;
}

static void
make_seeds(void)
{
	uint8_t hash[32];
	Tongxin__Envelope env;

	schema_hash(hash);
	{
		Tongxin__Hello h = TONGXIN__HELLO__INIT;
		env = (Tongxin__Envelope)TONGXIN__ENVELOPE__INIT;
		h.protocol_version = PROTOCOL_VERSION;
		h.schema_hash.data = hash;
		h.schema_hash.len = sizeof hash;
		h.program_version = TONGXIN_VERSION;
		h.operator_name = "王小红";
		env.id = 1;
		env.body_case = TONGXIN__ENVELOPE__BODY_HELLO;
		env.hello = &h;
		add_seed(&env);
	}
	{
		Tongxin__Welcome w = TONGXIN__WELCOME__INIT;
		env = (Tongxin__Envelope)TONGXIN__ENVELOPE__INIT;
		w.protocol_version = PROTOCOL_VERSION;
		w.server_version = TONGXIN_VERSION;
		w.device_name = "和平社区-电脑1";
		w.device_id = "0190f4a2-7c3b-7d41-9a3e-5b2c1d0e8f7a";
		w.org_code = "SQ01";
		w.role = "office";
		w.street_name = "和平街道";
		w.server_time_ms = 1700000000123ULL;
		env.id = 1;
		env.body_case = TONGXIN__ENVELOPE__BODY_WELCOME;
		env.welcome = &w;
		add_seed(&env);
	}
	{
		Tongxin__Error e = TONGXIN__ERROR__INIT;
		env = (Tongxin__Envelope)TONGXIN__ENVELOPE__INIT;
		e.code = TONGXIN__ERROR_CODE__ERR_PROTOCOL_VERSION;
		e.message = "protocol version 1 required (the client speaks version 2)";
		e.required_protocol_version = 1;
		env.id = 1;
		env.body_case = TONGXIN__ENVELOPE__BODY_ERROR;
		env.error = &e;
		add_seed(&env);
	}
	{
		Tongxin__Value v[4] = { TONGXIN__VALUE__INIT, TONGXIN__VALUE__INIT,
			TONGXIN__VALUE__INIT, TONGXIN__VALUE__INIT };
		Tongxin__Value *pv[4] = { &v[0], &v[1], &v[2], &v[3] };
		uint32_t cols[4] = { 0, 3, 7, 9 };
		Tongxin__Change ch[2] = { TONGXIN__CHANGE__INIT, TONGXIN__CHANGE__INIT };
		Tongxin__Change *pch[2] = { &ch[0], &ch[1] };
		Tongxin__Txn t[2] = { TONGXIN__TXN__INIT, TONGXIN__TXN__INIT };
		Tongxin__Txn *pt[2] = { &t[0], &t[1] };
		Tongxin__PushRequest p = TONGXIN__PUSH_REQUEST__INIT;

		v[0].kind_case = TONGXIN__VALUE__KIND_S;
		v[0].s = "李建国";
		v[1].kind_case = TONGXIN__VALUE__KIND_I;
		v[1].i = -1;
		v[2].kind_case = TONGXIN__VALUE__KIND_R;
		v[2].r = 0.5;
		ch[0].table = TBL_MEMBER;
		ch[0].row_id = "0190f4a2-7c3b-7d41-9a3e-5b2c1d0e8f7a";
		ch[0].op = TONGXIN__CHANGE__OP__OP_UPDATE;
		ch[0].n_cols = 4;
		ch[0].cols = cols;
		ch[0].n_values = 4;
		ch[0].values = pv;
		ch[0].n_before = 2;
		ch[0].before = pv + 2;
		ch[0].base_version = 12;
		ch[1].table = TBL_ORG;
		ch[1].row_id = "0190f4a2-7c3b-7d41-9a3e-5b2c1d0e8f7b";
		ch[1].op = TONGXIN__CHANGE__OP__OP_DELETE;
		t[0].seq = 1;
		t[0].hlc = 0x0190f4a27c3b0001ULL;
		t[0].local_time_ms = 1700000000000LL;
		t[0].operator_name = "张三";
		t[0].n_changes = 2;
		t[0].changes = pch;
		t[1].seq = 2;
		t[1].n_changes = 1;
		t[1].changes = pch + 1;
		p.n_txns = 2;
		p.txns = pt;
		env = (Tongxin__Envelope)TONGXIN__ENVELOPE__INIT;
		env.id = 2;
		env.body_case = TONGXIN__ENVELOPE__BODY_PUSH;
		env.push = &p;
		add_seed(&env);

		{
			Tongxin__Row row = TONGXIN__ROW__INIT, *prow = &row;
			Tongxin__TxnResult r[2] = { TONGXIN__TXN_RESULT__INIT, TONGXIN__TXN_RESULT__INIT };
			Tongxin__TxnResult *pr[2] = { &r[0], &r[1] };
			Tongxin__PushResponse resp = TONGXIN__PUSH_RESPONSE__INIT;

			row.table = TBL_MEMBER;
			row.row_id = ch[0].row_id;
			row.version = 99;
			row.n_values = 4;
			row.values = pv;
			r[0].seq = 1;
			r[0].status = TONGXIN__TXN_RESULT__STATUS__CONFLICT;
			r[0].reason = "同一字段被同时修改 same field changed concurrently";
			r[0].conflict_id = "0190f4a2-7c3b-7d41-9a3e-5b2c1d0e8f7c";
			r[0].n_rows = 1;
			r[0].rows = &prow;
			r[1].seq = 2;
			r[1].duplicate = 1;
			resp.n_results = 2;
			resp.results = pr;
			env = (Tongxin__Envelope)TONGXIN__ENVELOPE__INIT;
			env.id = 2;
			env.body_case = TONGXIN__ENVELOPE__BODY_PUSH_RESULT;
			env.push_result = &resp;
			add_seed(&env);
		}
		{
			Tongxin__Row rows[3] = { TONGXIN__ROW__INIT, TONGXIN__ROW__INIT, TONGXIN__ROW__INIT };
			Tongxin__Row *prows[3] = { &rows[0], &rows[1], &rows[2] };
			Tongxin__Eviction ev = TONGXIN__EVICTION__INIT, *pev = &ev;
			uint64_t cursors[TBL_COUNT] = { 5, 300, 1ULL << 40 };
			Tongxin__PullResponse pr = TONGXIN__PULL_RESPONSE__INIT;

			for (int i = 0; i < 3; i++) {
				rows[i].table = (uint32_t)i;
				rows[i].row_id = "0190f4a2-7c3b-7d41-9a3e-5b2c1d0e8f7d";
				rows[i].version = (uint64_t)i + 1;
				rows[i].n_values = i == 2 ? 0 : 4;
				rows[i].values = pv;
				rows[i].deleted = i == 2;
			}
			ev.table = TBL_MEMBER;
			ev.row_id = "0190f4a2-7c3b-7d41-9a3e-5b2c1d0e8f7e";
			pr.n_rows = 3;
			pr.rows = prows;
			pr.n_cursors = TBL_COUNT;
			pr.cursors = cursors;
			pr.evict_cursor = 4;
			pr.n_evictions = 1;
			pr.evictions = &pev;
			pr.more = 1;
			pr.total_estimate = 12345;
			env = (Tongxin__Envelope)TONGXIN__ENVELOPE__INIT;
			env.id = 3;
			env.body_case = TONGXIN__ENVELOPE__BODY_PULL_RESULT;
			env.pull_result = &pr;
			add_seed(&env);
		}
	}
	{
		uint64_t cursors[TBL_COUNT] = { 1, 2, 3, 4, 5, 6 };
		Tongxin__PullRequest p = TONGXIN__PULL_REQUEST__INIT;
		p.n_cursors = TBL_COUNT;
		p.cursors = cursors;
		p.evict_cursor = 7;
		p.max_rows = 100;
		env = (Tongxin__Envelope)TONGXIN__ENVELOPE__INIT;
		env.id = 3;
		env.body_case = TONGXIN__ENVELOPE__BODY_PULL;
		env.pull = &p;
		add_seed(&env);
	}
}

/* --- mutation ---------------------------------------------------------------------- */

static uint64_t rng_state;

/* splitmix64: small, fast, and the same on every machine. */
static uint64_t
rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static size_t
rnd_below(size_t n)
{
	return n == 0 ? 0 : (size_t)(rnd() % n);
}

/* Values that sit on the edges of varints and frame caps. */
static const uint32_t interesting[] = {
	0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x3fff, 0x4000, 0xffff, FRAME_MAX_PREAUTH - 1,
	FRAME_MAX_PREAUTH, FRAME_MAX_PREAUTH + 1, FRAME_MAX, FRAME_MAX + 1, 0x7fffffff,
	0x80000000u, 0xffffffffu,
};

/* Apply one mutation to buf (len bytes, room for FUZZ_MAX_INPUT). Returns the new length. */
static size_t
mutate(uint8_t *buf, size_t len)
{
	size_t pos = rnd_below(len ? len : 1), n;

	switch (rnd_below(13)) {
	case 0:   /* flip one bit */
		if (len)
			buf[pos] ^= (uint8_t)(1u << rnd_below(8));
		break;
	case 1:   /* a random byte */
		if (len)
			buf[pos] = (uint8_t)rnd();
		break;
	case 2:   /* an interesting byte */
		if (len) {
			static const uint8_t ib[] = { 0x00, 0x01, 0x7f, 0x80, 0xff, 0x08, 0x0a, 0x12 };
			buf[pos] = ib[rnd_below(sizeof ib)];
		}
		break;
	case 3:   /* truncate */
		len = rnd_below(len + 1);
		break;
	case 4:   /* rewrite the frame's length field */
		if (len >= FRAME_HDR_LEN) {
			uint32_t v;
			switch (rnd_below(3)) {
			case 0: v = interesting[rnd_below(sizeof interesting / sizeof interesting[0])]; break;
			case 1: v = (uint32_t)(len - FRAME_HDR_LEN) + (uint32_t)rnd_below(9) - 4; break;
			default: v = (uint32_t)rnd(); break;
			}
			buf[0] = (uint8_t)(v >> 24);
			buf[1] = (uint8_t)(v >> 16);
			buf[2] = (uint8_t)(v >> 8);
			buf[3] = (uint8_t)v;
		}
		break;
	case 5:   /* insert random bytes */
		n = 1 + rnd_below(16);
		if (len + n <= FUZZ_MAX_INPUT) {
			memmove(buf + pos + n, buf + pos, len - pos);
			for (size_t i = 0; i < n; i++)
				buf[pos + i] = (uint8_t)rnd();
			len += n;
		}
		break;
	case 6:   /* delete a range */
		n = rnd_below(len - pos + 1);
		memmove(buf + pos, buf + pos + n, len - pos - n);
		len -= n;
		break;
	case 7:   /* duplicate a range (repeated fields, nested lengths) */
		n = rnd_below(len - pos + 1);
		if (len + n <= FUZZ_MAX_INPUT) {
			size_t at = rnd_below(len + 1);
			uint8_t tmp[FUZZ_MAX_INPUT];
			memcpy(tmp, buf + pos, n);
			memmove(buf + at + n, buf + at, len - at);
			memcpy(buf + at, tmp, n);
			len += n;
		}
		break;
	case 8:   /* splice in part of another seed */
		{
			const struct blob *s = &seeds[rnd_below(nseeds)];
			size_t from = rnd_below(s->len);
			n = rnd_below(s->len - from + 1);
			if (pos + n <= FUZZ_MAX_INPUT) {
				memcpy(buf + pos, s->p + from, n);
				if (pos + n > len)
					len = pos + n;
			}
		}
		break;
	case 9:   /* append another whole frame (coalesced input) */
		{
			const struct blob *s = &seeds[rnd_below(nseeds)];
			if (len + s->len <= FUZZ_MAX_INPUT) {
				memcpy(buf + len, s->p, s->len);
				len += s->len;
			}
		}
		break;
	case 10:  /* a long varint: 0xff run */
		n = 1 + rnd_below(12);
		for (size_t i = pos; i < len && i < pos + n; i++)
			buf[i] = 0xff;
		break;
	case 11:  /* add or subtract a little from a byte (length prefixes) */
		if (len)
			buf[pos] = (uint8_t)(buf[pos] + (int)rnd_below(33) - 16);
		break;
	default:  /* replace everything with random bytes */
		len = rnd_below(64);
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)rnd();
		break;
	}
	return len;
}

/* After mutating a body, sometimes make the header honest again so the body is reached. */
static void
fix_header(uint8_t *buf, size_t len)
{
	uint32_t v;

	if (len <= FRAME_HDR_LEN)
		return;
	v = (uint32_t)(len - FRAME_HDR_LEN);
	buf[0] = (uint8_t)(v >> 24);
	buf[1] = (uint8_t)(v >> 16);
	buf[2] = (uint8_t)(v >> 8);
	buf[3] = (uint8_t)v;
}

static int
replay(const char *path)
{
	FILE *f = fopen(path, "rb");
	static uint8_t buf[FRAME_MAX + FRAME_HDR_LEN + 1];
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "test_fuzz_frame: %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	cur_data = buf;
	cur_len = n;
	run_input(buf, n);
	printf("replayed %s (%zu bytes)\n", path, n);
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned long iterations = DEFAULT_ITERATIONS;
	uint64_t seed = DEFAULT_SEED;
	static uint8_t buf[FUZZ_MAX_INPUT];
	const char *tmp = getenv("TMPDIR");
	struct timespec t0, t1;
	int i, nfiles = 0;

	strict = 1;   /* the product bugs it reported are fixed: properties fail hard */
	snprintf(crash_path, sizeof crash_path, "%s/fuzz-frame-crash.bin",
	    tmp && tmp[0] ? tmp : "/tmp");
	signal(SIGSEGV, on_fatal_signal);
	signal(SIGBUS, on_fatal_signal);
	signal(SIGABRT, on_fatal_signal);
	signal(SIGFPE, on_fatal_signal);
	if (__sanitizer_set_death_callback != NULL)
		__sanitizer_set_death_callback(save_current);

	for (i = 1; i < argc; i++) {
		if ((strcmp(argv[i], "-n") == 0 || strcmp(argv[i], "-s") == 0) && i + 1 < argc) {
			char *end;
			unsigned long long v = strtoull(argv[i + 1], &end, 0);
			if (*end != '\0') {
				fprintf(stderr, "test_fuzz_frame: bad number \"%s\"\n", argv[i + 1]);
				return 2;
			}
			if (argv[i][1] == 'n')
				iterations = (unsigned long)v;
			else
				seed = v;
			i++;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			printf("usage: test_fuzz_frame [-n ITERATIONS] [-s SEED] [FILE...]\n");
			return 0;
		} else {
			if (replay(argv[i]) != 0)
				return 2;
			nfiles++;
		}
	}
	if (nfiles > 0)
		return failures ? 1 : 0;

	make_seeds();
	rng_state = seed;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* The seeds themselves first: they must decode. */
	for (size_t s = 0; s < nseeds; s++) {
		Tongxin__Envelope *e = frame_decode(seeds[s].p + FRAME_HDR_LEN,
		    seeds[s].len - FRAME_HDR_LEN);
		CHECK(e != NULL, "seed %zu does not decode", s);
		envelope_free(e);
		cur_data = seeds[s].p;
		cur_len = seeds[s].len;
		run_input(seeds[s].p, seeds[s].len);
	}
	for (unsigned long it = 0; it < iterations; it++) {
		const struct blob *s = &seeds[rnd_below(nseeds)];
		size_t len = s->len;
		int nmut = 1 + (int)rnd_below(4);

		memcpy(buf, s->p, len);
		for (int m = 0; m < nmut; m++)
			len = mutate(buf, len);
		if (rnd_below(2) == 0)
			fix_header(buf, len);
		cur_data = buf;
		cur_len = len;
		run_input(buf, len);
		if (failures > 0) {
			fprintf(stderr, "test_fuzz_frame: failed at iteration %lu (seed %#llx)\n", it,
			    (unsigned long long)seed);
			save_current();
			break;
		}
	}
	cur_data = NULL;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (size_t s = 0; s < nseeds; s++)
		free(seeds[s].p);
	if (failures) {
		fprintf(stderr, "test_fuzz_frame: %d checks failed\n", failures);
		return 1;
	}
	printf("test_fuzz_frame: %lu iterations from %zu seeds (seed %#llx) in %.1f s, no failure\n",
	    iterations, nseeds, (unsigned long long)seed,
	    (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	printf("  frames taken off the stream %lu; bodies decoded %lu, refused %lu\n"
	    "  decoded by body: none %lu, hello %lu, welcome %lu, error %lu, push %lu, push-result %lu, "
	    "pull %lu, pull-result %lu\n", n_frames, n_decoded, n_refused, n_bodies[0], n_bodies[1],
	    n_bodies[2], n_bodies[3], n_bodies[4], n_bodies[5], n_bodies[6], n_bodies[7]);
	if (n_field_zero)
		printf("  KNOWN BUG (not failing; TX_STRICT=1 fails): %lu decoded inputs kept field "
		    "number 0 and did not decode again once re-encoded\n", n_field_zero);
	return 0;
}
#endif /* TX_LIBFUZZER */
