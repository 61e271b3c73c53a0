/*
 * bench_apply.c - (b) the rate at which the server applies pushed rows,
 * against plain INSERTs of the same rows into the same server table.
 *
 * The pushed transactions are made as an office makes them: member rows
 * are captured by a replica (rep_begin/rep_insert/rep_commit) and read back
 * with rep_outbox_peek(), then grouped into PushRequests the way sync does
 * (at most 256 transactions and 4 MiB each). They are applied with
 * store_push_raw() in this process, each transaction with its packed bytes
 * as tongxind hands them over (no network: that is bench_bootstrap's and
 * bench_noop's business) on a store made by "tongxind init", in which a
 * branch organisation has been pushed first.
 *
 * The baseline inserts the very same rows (same ids, same values, with the
 * server's bookkeeping columns) with one prepared statement into the member
 * table of an identical copy of that store, opened with the same pragmas
 * (WAL, synchronous=FULL), one server transaction per PushRequest like
 * store_push. Each figure is the median of REPEATS runs on fresh copies.
 *
 * Two shapes are measured: a bulk import (local transactions of 1000 rows)
 * and interactive entry (one row per local transaction).
 *
 * Besides wall times it prints the ratio of CPU times (user + system of
 * this process), which other programs on the machine disturb much less;
 * it leaves out waiting for fsync.
 *
 * Goals (issue 11): apply >= 60% of the plain rate for bulk transactions,
 * >= 50% for one-row transactions.
 *
 * usage: bench_apply [ROWS [SINGLE_TXNS [REPEATS]]]   (defaults 100000 10000 5)
 *   (environment, for a profiler: BENCH_APPLY_SHAPES=2 runs the one-row shape
 *   only, BENCH_APPLY_SIDE=plain or apply one side only)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "harness.h"
#include "store.h"
#include "value.h"

#define MAX_REPEATS 15
#define PUSH_TXNS 256                    /* as sync.c's PUSH_BATCH_TXNS */
#define PUSH_BYTES (4u * 1024u * 1024u)  /* as sync.c's PUSH_BATCH_BYTES */

/* One shape of pushed data, ready to apply. */
struct load {
	const char *name;
	Tongxin__Txn **txns;       /* as read from the outbox */
	size_t ntxns;
	size_t nrows;
	Tongxin__PushRequest *reqs;/* batches over txns */
	size_t nreqs;
	ProtobufCBinaryData *raw;  /* each txn's bytes as the server receives them */
	size_t *req_first;         /* index of each batch's first txn */
	Tongxin__Value *flat;      /* nrows * ncols values (borrowed strings), for plain */
	const char **ids;          /* nrows ids, for plain */
	size_t *req_rows;          /* rows in each batch */
};

static const char *base;
static char template_db[4200];
static char branch_scope[512];
static struct store_actor actor;

static void
copy_file(const char *from, const char *to)
{
	char buf[1 << 16];
	int in = open(from, O_RDONLY), out;
	ssize_t n;

	if (in < 0 || (out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		bx_die("copy %s to %s: %s", from, to, strerror(errno));
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)n) != n)
			bx_die("copy to %s: %s", to, strerror(errno));
	close(in);
	if (fsync(out) != 0 || close(out) != 0)
		bx_die("copy to %s: %s", to, strerror(errno));
}

/* A fresh copy of the template store in base/NAME; returns its directory. */
static const char *
fresh_store(const char *name)
{
	static char dir[4200];
	char db[4300];

	snprintf(dir, sizeof dir, "%s/%s", base, name);
	bx_rm_rf(dir);
	if (mkdir(dir, 0700) != 0)
		bx_die("mkdir %s: %s", dir, strerror(errno));
	snprintf(db, sizeof db, "%s/tongxind.db", dir);
	copy_file(template_db, db);
	return dir;
}

/* Acknowledge outbox transactions [seq0, seq0+n) as applied, so the outbox empties. */
static void
ack_all(struct replica *r, Tongxin__Txn **txns, size_t n)
{
	Tongxin__PushResponse resp = TONGXIN__PUSH_RESPONSE__INIT;
	Tongxin__TxnResult *res = calloc(n, sizeof *res);
	Tongxin__TxnResult **ptrs = calloc(n, sizeof *ptrs);
	char err[512] = "";

	if (res == NULL || ptrs == NULL)
		bx_die("out of memory");
	for (size_t i = 0; i < n; i++) {
		tongxin__txn_result__init(&res[i]);
		res[i].seq = txns[i]->seq;
		res[i].status = TONGXIN__TXN_RESULT__STATUS__APPLIED;
		ptrs[i] = &res[i];
	}
	resp.results = ptrs;
	resp.n_results = n;
	if (rep_ack(r, &resp, NULL, err, sizeof err) != 0)
		bx_die("rep_ack: %s", err);
	free(res);
	free(ptrs);
}

/* Read the whole outbox, then empty it. */
static void
take_outbox(struct replica *r, struct load *ld)
{
	int n = rep_outbox_peek(r, 1u << 24, (size_t)-1, &ld->txns);

	if (n <= 0)
		bx_die("the outbox is empty");
	ld->ntxns = (size_t)n;
	ack_all(r, ld->txns, ld->ntxns);
}

/* Group the transactions into PushRequests as sync does, and flatten rows for plain. */
static void
prepare_load(struct load *ld)
{
	const struct table_def *td = &schema_tables[TBL_MEMBER];
	size_t bytes = 0, row = 0;

	ld->reqs = calloc(ld->ntxns, sizeof *ld->reqs);
	ld->req_rows = calloc(ld->ntxns, sizeof *ld->req_rows);
	ld->raw = calloc(ld->ntxns, sizeof *ld->raw);
	ld->req_first = calloc(ld->ntxns, sizeof *ld->req_first);
	if (ld->reqs == NULL || ld->req_rows == NULL || ld->raw == NULL || ld->req_first == NULL)
		bx_die("out of memory");
	ld->nrows = 0;
	for (size_t i = 0; i < ld->ntxns; i++) {
		size_t len = tongxin__txn__get_packed_size(ld->txns[i]);
		Tongxin__PushRequest *q = ld->nreqs ? &ld->reqs[ld->nreqs - 1] : NULL;
		/* The outbox bytes, as the client sends them and tongxind cuts them out of the frame. */
		if ((ld->raw[i].data = malloc(len ? len : 1)) == NULL)
			bx_die("out of memory");
		ld->raw[i].len = tongxin__txn__pack(ld->txns[i], ld->raw[i].data);
		if (q == NULL || q->n_txns == PUSH_TXNS || bytes + len > PUSH_BYTES) {
			ld->req_first[ld->nreqs] = i;
			q = &ld->reqs[ld->nreqs++];
			tongxin__push_request__init(q);
			q->txns = &ld->txns[i];
			bytes = 0;
		}
		q->n_txns++;
		bytes += len;
		ld->req_rows[ld->nreqs - 1] += ld->txns[i]->n_changes;
		ld->nrows += ld->txns[i]->n_changes;
	}
	ld->flat = calloc(ld->nrows * (size_t)td->ncols, sizeof *ld->flat);
	ld->ids = calloc(ld->nrows, sizeof *ld->ids);
	if (ld->flat == NULL || ld->ids == NULL)
		bx_die("out of memory");
	for (size_t i = 0; i < ld->ntxns; i++)
		for (size_t j = 0; j < ld->txns[i]->n_changes; j++, row++) {
			const Tongxin__Change *c = ld->txns[i]->changes[j];
			Tongxin__Value *v = &ld->flat[row * (size_t)td->ncols];
			for (int k = 0; k < td->ncols; k++)
				value_set_null(&v[k]);
			for (size_t k = 0; k < c->n_cols; k++)
				v[c->cols[k]] = *c->values[k];   /* borrowed */
			ld->ids[row] = c->row_id;
		}
}

/*
 * Apply the load with store_push_raw (what tongxind calls: each transaction
 * with its bytes as received) on a fresh store; wall (and *cpu) seconds in it.
 */
static double
run_apply(const struct load *ld, int k, double *cpu)
{
	char name[64], err[1024] = "";
	struct store *s;
	double spent = 0;

	*cpu = 0;
	snprintf(name, sizeof name, "apply-%d", k);
	if ((s = store_open(fresh_store(name), 0, err, sizeof err)) == NULL)
		bx_die("store_open: %s", err);
	bx_settle();
	for (size_t i = 0; i < ld->nreqs; i++) {
		Tongxin__PushResponse *resp = NULL;
		double c0 = bx_cpu(), t0 = bx_now();
		if (store_push_raw(s, &actor, &ld->reqs[i], &ld->raw[ld->req_first[i]], &resp, err,
		    sizeof err) != 0)
			bx_die("store_push_raw: %s", err);
		spent += bx_now() - t0;
		*cpu += bx_cpu() - c0;
		for (size_t j = 0; j < resp->n_results; j++)
			if (resp->results[j]->status != TONGXIN__TXN_RESULT__STATUS__APPLIED ||
			    resp->results[j]->duplicate)
				bx_die("transaction %llu was not applied: %s",
				    (unsigned long long)resp->results[j]->seq,
				    resp->results[j]->reason[0] ? resp->results[j]->reason : "duplicate");
		tongxin__push_response__free_unpacked(resp, NULL);
	}
	if (store_count(s, "member") != (int64_t)ld->nrows)
		bx_die("the store holds %lld members, expected %zu",
		    (long long)store_count(s, "member"), ld->nrows);
	store_close(s);
	bx_rm_rf(fresh_store(name));
	return spent;
}

/* Plain INSERTs of the same rows on a fresh copy; wall (and *cpu) seconds. */
static double
run_plain(const struct load *ld, int k, double *cpu)
{
	const struct table_def *td = &schema_tables[TBL_MEMBER];
	char name[64], path[4300], err[1024] = "";
	const char *dir;
	struct bx_srv_cols srv = { 0, branch_scope, 0, actor.device_id };
	sqlite3 *db;
	sqlite3_stmt *st;
	uint64_t version = 1000;
	size_t row = 0;
	double t0, t1;

	snprintf(name, sizeof name, "plain-%d", k);
	dir = fresh_store(name);
	snprintf(path, sizeof path, "%s/tongxind.db", dir);
	if ((db = db_open(path, 0, 1, err, sizeof err)) == NULL)
		bx_die("%s", err);
	st = bx_plain_prepare(db, TBL_MEMBER, 1);
	bx_settle();
	*cpu = bx_cpu();
	t0 = bx_now();
	for (size_t i = 0; i < ld->nreqs; i++) {
		bx_exec(db, "BEGIN IMMEDIATE");
		for (size_t j = 0; j < ld->req_rows[i]; j++, row++) {
			srv.hlc = ++version;
			bx_plain_bind(st, TBL_MEMBER, ld->ids[row], &ld->flat[row * (size_t)td->ncols],
			    version, &srv);
			bx_step(db, st);
		}
		bx_exec(db, "COMMIT");
	}
	t1 = bx_now();
	*cpu = bx_cpu() - *cpu;
	sqlite3_finalize(st);
	db_close(db);
	bx_rm_rf(dir);
	return t1 - t0;
}

int
main(int argc, char **argv)
{
	size_t nrows = argc > 1 ? (size_t)bx_arg_long(argv[1], "ROWS") : 100000;
	size_t nsingle = argc > 2 ? (size_t)bx_arg_long(argv[2], "SINGLE_TXNS") : 10000;
	int repeats = argc > 3 ? (int)bx_arg_long(argv[3], "REPEATS") : 5;
	struct bx_street st;
	struct bx_refs refs;
	struct bx_rows comm, org, members;
	struct replica *r;
	struct store *s;
	struct load loads[2];
	char bpath[4200], rpath[4200], err[1024] = "", org_id[ID_TEXT_LEN + 1], buf[3][32];
	char comm_id[ID_TEXT_LEN + 1];
	Tongxin__Txn **otx;
	Tongxin__PushRequest oreq = TONGXIN__PUSH_REQUEST__INIT;
	Tongxin__PushResponse *oresp;
	double rate[2] = { 0, 0 }, load;
	int n, ncpu;
	/* For a profiler: BENCH_APPLY_SHAPES=2 runs the one-row shape only, BENCH_APPLY_SIDE=apply one side. */
	const char *shapes = getenv("BENCH_APPLY_SHAPES"), *side = getenv("BENCH_APPLY_SIDE");

	if (argc > 4 || (argc > 1 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: bench_apply [ROWS [SINGLE_TXNS [REPEATS]]]\n");
		return 2;
	}
	if (repeats > MAX_REPEATS)
		repeats = MAX_REPEATS;
	base = bx_tmpdir("apply");
	bx_street_init(&st, base);
	snprintf(bpath, sizeof bpath, "%s/bench.bundle", base);
	bx_enroll(&st, "bench-apply", bpath);
	snprintf(rpath, sizeof rpath, "%s/office.db", base);
	r = bx_replica_new(rpath, bpath);
	if ((s = store_open(st.dir, 0, err, sizeof err)) == NULL)
		bx_die("store_open: %s", err);
	memset(&actor, 0, sizeof actor);
	{
		static char devid[40];
		snprintf(devid, sizeof devid, "%s", replica_info(r)->device_id);
		actor.device_id = devid;
	}
	actor.device_name = "bench-apply";
	actor.role = "office";
	actor.scope = st.scope;
	actor.operator_name = "bench";

	/*
	 * A branch for the members under a community of the street (the tree
	 * rule: members only in a branch or group, a branch only under a
	 * community), pushed like any office's change: one transaction.
	 */
	memset(&refs, 0, sizeof refs);
	refs.org_id = st.street_id;
	refs.org_kind = "community";
	bx_rows_make(&comm, TBL_ORG, 0, 1, &refs);
	if (rep_begin(r, "bench") != 0 ||
	    rep_insert(r, TBL_ORG, bx_row(&comm, 0), comm_id, err, sizeof err) != 0)
		bx_die("capture the community: %s", err);
	refs.org_id = comm_id;
	refs.org_kind = NULL;
	bx_rows_make(&org, TBL_ORG, 0, 1, &refs);
	if (rep_insert(r, TBL_ORG, bx_row(&org, 0), org_id, err, sizeof err) != 0 ||
	    rep_commit(r, err, sizeof err) != 0)
		bx_die("capture the branch: %s", err);
	if ((n = rep_outbox_peek(r, 16, PUSH_BYTES, &otx)) != 1)
		bx_die("the branch is not in the outbox");
	oreq.txns = otx;
	oreq.n_txns = 1;
	if (store_push(s, &actor, &oreq, &oresp, err, sizeof err) != 0 ||
	    oresp->results[0]->status != TONGXIN__TXN_RESULT__STATUS__APPLIED)
		bx_die("push the branch: %s", err[0] ? err : oresp->results[0]->reason);
	if (rep_ack(r, oresp, NULL, err, sizeof err) != 0)
		bx_die("rep_ack: %s", err);
	tongxin__push_response__free_unpacked(oresp, NULL);
	tongxin__txn__free_unpacked(otx[0], NULL);
	free(otx);
	if (store_org_scope(s, bx_row(&org, 0)[schema_col_index(&schema_tables[TBL_ORG], "code")].s,
	    branch_scope, sizeof branch_scope, NULL, 0) != 0)
		bx_die("the branch has no scope on the server");
	store_close(s);
	snprintf(template_db, sizeof template_db, "%s/template.db", base);
	{
		char from[4300];
		snprintf(from, sizeof from, "%s/tongxind.db", st.dir);
		copy_file(from, template_db);
	}

	/* The members, captured by the replica as an office would. */
	refs.org_id = org_id;
	bx_rows_make(&members, TBL_MEMBER, 0, nrows + nsingle, &refs);
	memset(loads, 0, sizeof loads);
	loads[0].name = "bulk: 1000 rows per txn";
	if (rep_begin(r, "bench") != 0)
		bx_die("rep_begin failed");
	for (size_t i = 0; i < nrows; i++) {
		char id[ID_TEXT_LEN + 1];
		if (rep_insert(r, TBL_MEMBER, bx_row(&members, i), id, err, sizeof err) != 0)
			bx_die("rep_insert: %s", err);
	}
	if (rep_commit(r, err, sizeof err) != 0)
		bx_die("rep_commit: %s", err);
	take_outbox(r, &loads[0]);
	loads[1].name = "interactive: 1 row per txn";
	for (size_t i = 0; i < nsingle; i++) {
		char id[ID_TEXT_LEN + 1];
		if (rep_begin(r, "bench") != 0 ||
		    rep_insert(r, TBL_MEMBER, bx_row(&members, nrows + i), id, err, sizeof err) != 0 ||
		    rep_commit(r, err, sizeof err) != 0)
			bx_die("capture: %s", err);
	}
	take_outbox(r, &loads[1]);
	replica_close(r);

	bx_load(&load, &ncpu);
	printf("(b) server apply: store_push_raw of member inserts captured by a replica vs plain\n"
	    "    prepared INSERTs of the same rows (ids, values, bookkeeping columns) into the same\n"
	    "    member table of an identical store; both: WAL, synchronous=FULL, one server\n"
	    "    transaction per PushRequest (<= %d txns, <= 4 MiB); median of %d runs; files on\n"
	    "    %s; load average %.1f on %d CPUs at start\n",
	    PUSH_TXNS, repeats, bx_fs_name(base), load, ncpu);
	printf("    %-26s %8s %6s %6s %8s %8s %10s %10s  %s\n", "", "", "", "", "", "", "", "",
	    "apply rate/plain");
	printf("    %-26s %8s %6s %6s %8s %8s %10s %10s  %6s %6s\n", "shape", "rows", "txns",
	    "pushes", "plain s", "apply s", "plain r/s", "apply r/s", "wall", "cpu");
	for (int li = 0; li < 2; li++) {
		struct load *ld = &loads[li];
		double tp[MAX_REPEATS], ta[MAX_REPEATS], cp[MAX_REPEATS], ca[MAX_REPEATS], p, a;

		if (shapes != NULL && strchr(shapes, '1' + li) == NULL)
			continue;
		prepare_load(ld);
		for (int k = 0; k < repeats; k++) {
			tp[k] = ta[k] = cp[k] = ca[k] = 1;
			if (k % 2 == 0) {
				if (side == NULL || strcmp(side, "plain") == 0)
					tp[k] = run_plain(ld, k, &cp[k]);
				if (side == NULL || strcmp(side, "apply") == 0)
					ta[k] = run_apply(ld, k, &ca[k]);
			} else {
				if (side == NULL || strcmp(side, "apply") == 0)
					ta[k] = run_apply(ld, k, &ca[k]);
				if (side == NULL || strcmp(side, "plain") == 0)
					tp[k] = run_plain(ld, k, &cp[k]);
			}
		}
		p = bx_median(tp, repeats);
		a = bx_median(ta, repeats);
		rate[li] = p / a;
		printf("    %-26s %8s %6zu %6zu %8.3f %8.3f %10s %10s  %5.1f%% %5.1f%%\n", ld->name,
		    bx_commas((double)ld->nrows, buf[0], sizeof buf[0]), ld->ntxns, ld->nreqs, p, a,
		    bx_commas((double)ld->nrows / p, buf[1], sizeof buf[1]),
		    bx_commas((double)ld->nrows / a, buf[2], sizeof buf[2]), 100 * p / a,
		    100 * bx_median(cp, repeats) / bx_median(ca, repeats));
		fflush(stdout);
	}
	/* A profiling run (one shape or side; the other side's figures are 1) judges nothing. */
	if (shapes == NULL && side == NULL) {
		bx_goal("server apply >= 60% of plain for bulk transactions", rate[0] >= 0.60,
		    "%.1f%% (wall)", 100 * rate[0]);
		bx_goal("server apply >= 50% of plain for one-row transactions", rate[1] >= 0.50,
		    "%.1f%% (wall)", 100 * rate[1]);
	}
	for (int li = 0; li < 2; li++) {
		for (size_t i = 0; i < loads[li].ntxns; i++)
			tongxin__txn__free_unpacked(loads[li].txns[i], NULL);
		for (size_t i = 0; i < loads[li].ntxns; i++)
			free(loads[li].raw[i].data);
		free(loads[li].raw);
		free(loads[li].req_first);
		free(loads[li].txns);
		free(loads[li].reqs);
		free(loads[li].req_rows);
		free(loads[li].flat);
		free(loads[li].ids);
	}
	bx_rows_free(&comm);
	bx_rows_free(&org);
	bx_rows_free(&members);
	return 0;
}
