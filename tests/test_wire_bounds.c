/*
 * test_wire_bounds.c - the bounds every request body is checked against
 * before its handler runs (server_check_body, common/bounds.h; issue 8).
 *
 * Table-driven: each case builds one envelope with one field at or just
 * over its limit and states the answer: accepted, or the error code and a
 * phrase of the reason that names the field. Then the schema is checked
 * against the wire's limits: no text column may be longer than a Value
 * may carry, and no table may have more columns than a change may name,
 * or an honest client would be refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "schema.h"
#include "server.h"
#include "tongxin.pb-c.h"

static int failures, ncases;
static char *strs[256];    /* what str() made, freed at the end */
static size_t nstrs;

/* A string of n bytes of c, kept until the end of the test. */
static char *
str(size_t n, char c)
{
	char *p = malloc(n + 1);

	if (p == NULL || nstrs == sizeof strs / sizeof strs[0]) {
		fprintf(stderr, "test_wire_bounds: out of memory\n");
		exit(2);
	}
	memset(p, c, n);
	p[n] = '\0';
	return strs[nstrs++] = p;
}

/* What a case expects: 0 accepted, else the code and a phrase of the reason. */
static void
expect(const char *name, const Tongxin__Envelope *env, int code, const char *phrase)
{
	Tongxin__ErrorCode got = 0;
	char why[512] = "";
	int rc = server_check_body(env, &got, why, sizeof why);

	ncases++;
	if (code == 0 && rc == 0)
		return;
	if (code != 0 && rc != 0 && (int)got == code && strstr(why, phrase) != NULL)
		return;
	failures++;
	fprintf(stderr, "FAIL %s: got %s (code %d, \"%s\"), want %s (code %d, \"%s\")\n", name,
	    rc ? "refused" : "accepted", (int)got, why, code ? "refused" : "accepted", code,
	    phrase ? phrase : "");
}

#define TOO_LARGE TONGXIN__ERROR_CODE__ERR_TOO_LARGE
#define BAD TONGXIN__ERROR_CODE__ERR_BAD_REQUEST

static void
hello_cases(void)
{
	Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT;
	Tongxin__Hello h = TONGXIN__HELLO__INIT;
	uint8_t hash[65] = { 0 };
	static const struct {
		const char *name;
		int field;        /* 0 operator, 1 program_version, 2 replica_id */
		size_t len;
		int code;
		const char *phrase;
	} t[] = {
		{ "hello: operator_name 64", 0, 64, 0, NULL },
		{ "hello: operator_name 65", 0, 65, TOO_LARGE, "operator_name is 65 bytes" },
		{ "hello: operator_name 0.4 MB", 0, 409600, TOO_LARGE, "operator_name is 409600" },
		{ "hello: program_version 65", 1, 65, TOO_LARGE, "program_version is 65 bytes" },
		{ "hello: replica_id 37", 2, 37, TOO_LARGE, "replica_id is 37 bytes" },
		{ "hello: replica_id not a UUID", 2, 36, BAD, "replica_id is not a replica identity" },
	};

	env.body_case = TONGXIN__ENVELOPE__BODY_HELLO;
	env.hello = &h;
	h.schema_hash.data = hash;
	h.schema_hash.len = 32;
	expect("hello: defaults", &env, 0, NULL);
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char *s = str(t[i].len, t[i].field == 2 ? 'z' : 'x');
		h.operator_name = t[i].field == 0 ? s : "";
		h.program_version = t[i].field == 1 ? s : "";
		h.replica_id = t[i].field == 2 ? s : "";
		expect(t[i].name, &env, t[i].code, t[i].phrase);
	}
	h.operator_name = h.program_version = "";
	h.replica_id = "01928f3e-7c1a-7b2d-9e4f-0a1b2c3d4e5f";
	expect("hello: a UUID replica_id", &env, 0, NULL);
	h.replica_id = "";
	h.schema_hash.len = 65;
	expect("hello: schema_hash of 65 bytes", &env, TOO_LARGE, "schema_hash is 65 bytes");
}

/* A push of one transaction with one change of ncols text values of vlen bytes. */
struct push {
	Tongxin__Envelope env;
	Tongxin__PushRequest req;
	Tongxin__Txn tx, *txp;
	Tongxin__Change ch, *chp;
	Tongxin__Value v[40], *vp[40];
	uint32_t cols[40];
};

static void
push_init(struct push *p, size_t ncols, size_t vlen)
{
	char *text = str(vlen, 'v');

	memset(p, 0, sizeof *p);
	tongxin__envelope__init(&p->env);
	tongxin__push_request__init(&p->req);
	tongxin__txn__init(&p->tx);
	tongxin__change__init(&p->ch);
	for (size_t i = 0; i < 40; i++) {
		tongxin__value__init(&p->v[i]);
		p->v[i].kind_case = TONGXIN__VALUE__KIND_S;
		p->v[i].s = text;
		p->vp[i] = &p->v[i];
		p->cols[i] = (uint32_t)i;
	}
	p->ch.row_id = "01928f3e-7c1a-7b2d-9e4f-0a1b2c3d4e5f";
	p->ch.n_cols = p->ch.n_values = ncols;
	p->ch.cols = p->cols;
	p->ch.values = p->vp;
	p->chp = &p->ch;
	p->tx.seq = 7;
	p->tx.operator_name = "";
	p->tx.n_changes = 1;
	p->tx.changes = &p->chp;
	p->txp = &p->tx;
	p->req.n_txns = 1;
	p->req.txns = &p->txp;
	p->env.body_case = TONGXIN__ENVELOPE__BODY_PUSH;
	p->env.push = &p->req;
}

static void
push_cases(void)
{
	struct push p;
	Tongxin__Txn **many;
	Tongxin__Change **chs;

	push_init(&p, 32, WIRE_MAX_VALUE);
	expect("push: 32 columns of 20000 bytes", &p.env, 0, NULL);
	p.tx.operator_name = str(64, 'o');
	expect("push: operator_name 64", &p.env, 0, NULL);
	p.tx.operator_name = str(409600, 'o');
	expect("push: operator_name 0.4 MB", &p.env, TOO_LARGE,
	    "transaction 0 (seq 7): operator_name is 409600 bytes; at most 64");
	p.tx.operator_name = "";
	p.ch.row_id = str(37, 'r');
	expect("push: row_id 37", &p.env, TOO_LARGE, "change 0: row_id is 37 bytes");
	p.ch.row_id = "01928f3e-7c1a-7b2d-9e4f-0a1b2c3d4e5f";
	p.ch.n_cols = 33;
	expect("push: 33 cols", &p.env, TOO_LARGE, "cols has 33 entries");
	p.ch.n_cols = 32;
	p.ch.n_values = 33;
	expect("push: 33 values", &p.env, TOO_LARGE, "values has 33 entries");
	p.ch.n_values = 32;
	p.ch.n_before = 33;
	p.ch.before = p.vp;
	expect("push: 33 before", &p.env, TOO_LARGE, "before has 33 entries");
	p.ch.n_before = 32;
	expect("push: 32 before of 20000 bytes", &p.env, 0, NULL);
	p.v[5].s = str(WIRE_MAX_VALUE + 1, 'v');
	expect("push: a value of 20001 bytes", &p.env, TOO_LARGE, "values[5] is 20001 bytes");
	p.ch.n_values = 5;
	expect("push: a base value of 20001 bytes", &p.env, TOO_LARGE,
	    "before[5] is 20001 bytes");
	p.v[5].kind_case = TONGXIN__VALUE__KIND_I;
	p.v[5].i = 1;
	expect("push: an integer is not text", &p.env, 0, NULL);

	push_init(&p, 1, 1);
	chs = calloc(WIRE_MAX_CHANGES + 1, sizeof *chs);
	many = calloc(WIRE_MAX_TXNS + 1, sizeof *many);
	if (chs == NULL || many == NULL)
		exit(2);
	for (size_t i = 0; i <= WIRE_MAX_CHANGES; i++)
		chs[i] = &p.ch;
	for (size_t i = 0; i <= WIRE_MAX_TXNS; i++)
		many[i] = &p.tx;
	p.tx.changes = chs;
	p.tx.n_changes = WIRE_MAX_CHANGES;
	expect("push: 2000 changes", &p.env, 0, NULL);
	p.tx.n_changes = WIRE_MAX_CHANGES + 1;
	expect("push: 2001 changes", &p.env, TOO_LARGE, "changes has 2001 entries");
	p.tx.n_changes = 1;
	p.req.txns = many;
	p.req.n_txns = WIRE_MAX_TXNS;
	expect("push: 1024 transactions", &p.env, 0, NULL);
	p.req.n_txns = WIRE_MAX_TXNS + 1;
	expect("push: 1025 transactions", &p.env, TOO_LARGE, "txns has 1025 entries");
	p.req.n_txns = 3;
	many[2] = calloc(1, sizeof **many);
	tongxin__txn__init(many[2]);
	many[2]->seq = 99;
	many[2]->operator_name = str(65, 'o');
	expect("push: the third transaction's operator", &p.env, TOO_LARGE,
	    "transaction 2 (seq 99): operator_name is 65 bytes");
	free(many[2]);
	free(many);
	free(chs);
}

static void
admin_cases(void)
{
	Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT;
	Tongxin__ConflictListRequest cl = TONGXIN__CONFLICT_LIST_REQUEST__INIT;
	Tongxin__ConflictFilter f = TONGXIN__CONFLICT_FILTER__INIT;
	Tongxin__ConflictShowRequest cs = TONGXIN__CONFLICT_SHOW_REQUEST__INIT;
	Tongxin__ConflictResolveRequest cr = TONGXIN__CONFLICT_RESOLVE_REQUEST__INIT;
	Tongxin__AuditRequest au = TONGXIN__AUDIT_REQUEST__INIT;
	Tongxin__DevicesRequest dv = TONGXIN__DEVICES_REQUEST__INIT;
	Tongxin__PullRequest pl = TONGXIN__PULL_REQUEST__INIT;
	Tongxin__ReplicaCheck rc = TONGXIN__REPLICA_CHECK__INIT;
	Tongxin__Value v = TONGXIN__VALUE__INIT, *vp[40];
	uint64_t cursors[TBL_COUNT + 1] = { 0 };
	char *hashes[WIRE_MAX_TABLES + 1];
	uint32_t cols[40] = { 0 };

	env.body_case = TONGXIN__ENVELOPE__BODY_CONFLICT_LIST;
	env.conflict_list = &cl;
	expect("conflict list: no filter", &env, 0, NULL);
	cl.filter = &f;
	f.office = str(64, 'o');
	expect("conflict list: office 64", &env, 0, NULL);
	f.office = str(65, 'o');
	expect("conflict list: office 65", &env, TOO_LARGE, "conflict list: office is 65 bytes");
	f.office = "";
	f.table = str(65, 't');
	expect("conflict list: table 65", &env, TOO_LARGE, "table is 65 bytes");
	f.table = "";
	f.status = str(65, 's');
	expect("conflict list: status 65", &env, TOO_LARGE, "status is 65 bytes");

	env.body_case = TONGXIN__ENVELOPE__BODY_CONFLICT_SHOW;
	env.conflict_show = &cs;
	cs.id = str(64, 'i');
	expect("conflict show: id 64", &env, 0, NULL);
	cs.id = str(65, 'i');
	expect("conflict show: id 65", &env, TOO_LARGE, "conflict show: id is 65 bytes");

	env.body_case = TONGXIN__ENVELOPE__BODY_CONFLICT_RESOLVE;
	env.conflict_resolve = &cr;
	v.kind_case = TONGXIN__VALUE__KIND_S;
	v.s = str(WIRE_MAX_VALUE, 'v');
	for (int i = 0; i < 40; i++)
		vp[i] = &v;
	cr.note = str(WIRE_MAX_NOTE, 'n');
	cr.n_cols = cr.n_values = 32;
	cr.cols = cols;
	cr.values = vp;
	expect("conflict resolve: at every limit", &env, 0, NULL);
	cr.id = str(65, 'i');
	expect("conflict resolve: id 65", &env, TOO_LARGE, "conflict resolve: id is 65 bytes");
	cr.id = "";
	cr.note = str(WIRE_MAX_NOTE + 1, 'n');
	expect("conflict resolve: note 501", &env, TOO_LARGE, "note is 501 bytes; at most 500");
	cr.note = "";
	cr.n_cols = 33;
	expect("conflict resolve: 33 cols", &env, TOO_LARGE, "cols has 33 entries");
	cr.n_cols = 32;
	cr.n_values = 33;
	expect("conflict resolve: 33 values", &env, TOO_LARGE, "values has 33 entries");
	cr.n_values = 32;
	v.s = str(WIRE_MAX_VALUE + 1, 'v');
	expect("conflict resolve: a value of 20001", &env, TOO_LARGE, "values[0] is 20001 bytes");

	env.body_case = TONGXIN__ENVELOPE__BODY_AUDIT;
	env.audit = &au;
	au.row_id = str(36, 'r');
	au.device_name = str(64, 'd');
	expect("audit: at the limits", &env, 0, NULL);
	au.row_id = str(65, 'r');
	expect("audit: row_id 65", &env, TOO_LARGE, "audit: row_id is 65 bytes");
	au.row_id = "";
	au.device_name = str(65, 'd');
	expect("audit: device_name 65", &env, TOO_LARGE, "device_name is 65 bytes");

	env.body_case = TONGXIN__ENVELOPE__BODY_DEVICES;
	env.devices = &dv;
	expect("devices", &env, 0, NULL);

	env.body_case = TONGXIN__ENVELOPE__BODY_PULL;
	env.pull = &pl;
	pl.cursors = cursors;
	pl.n_cursors = TBL_COUNT;
	expect("pull: every table", &env, 0, NULL);
	pl.n_cursors = TBL_COUNT + 1;
	expect("pull: one table too many", &env, BAD, "cursors names");

	env.body_case = TONGXIN__ENVELOPE__BODY_REPLICA_CHECK;
	env.replica_check = &rc;
	for (int i = 0; i <= WIRE_MAX_TABLES; i++)
		hashes[i] = str(64, 'a');
	rc.table_hashes = hashes;
	rc.n_table_hashes = WIRE_MAX_TABLES;
	expect("replica check: 64 hashes", &env, 0, NULL);
	rc.n_table_hashes = WIRE_MAX_TABLES + 1;
	expect("replica check: 65 hashes", &env, TOO_LARGE, "table_hashes has 65 entries");
	rc.n_table_hashes = 2;
	hashes[1] = str(65, 'a');
	expect("replica check: a hash of 65 bytes", &env, TOO_LARGE,
	    "table_hashes[1] is 65 bytes");
}

/* An honest client is never refused: the schema fits the wire's limits. */
static void
schema_cases(void)
{
	for (int t = 0; t < TBL_COUNT; t++) {
		const struct table_def *td = &schema_tables[t];
		ncases++;
		if (td->ncols > WIRE_MAX_COLS) {
			failures++;
			fprintf(stderr, "FAIL schema: table %s has %d columns; a change may name %d\n",
			    td->name, td->ncols, WIRE_MAX_COLS);
		}
		for (int c = 0; c < td->ncols; c++) {
			ncases++;
			if (td->cols[c].max_len > WIRE_MAX_VALUE) {
				failures++;
				fprintf(stderr, "FAIL schema: %s.%s may hold %d bytes; a value carries "
				    "at most %d\n", td->name, td->cols[c].name, td->cols[c].max_len,
				    WIRE_MAX_VALUE);
			}
		}
	}
}

int
main(void)
{
	hello_cases();
	push_cases();
	admin_cases();
	schema_cases();
	while (nstrs > 0)
		free(strs[--nstrs]);
	printf("test_wire_bounds: %d cases, %d failed\n", ncases, failures);
	return failures ? 1 : 0;
}
