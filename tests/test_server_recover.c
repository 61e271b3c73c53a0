/*
 * test_server_recover.c - the recovery after a restore (issue 12, item 7):
 * every rule of store_recover (server/store_restore.c) and of the
 * replica's side (client/replica_recover.c, client/sync.c do_recover),
 * each as a case that could fail. tests/it_restore.sh tells the whole
 * story end to end; this test pins the rules one by one.
 *
 * A real tongxind on a private port; an administrator A and two office
 * replicas B and C of community SQ01 (in-process sync_run); three office
 * devices without replica (RB, RC of SQ01, RE of SQ02) that send
 * RecoverRequests of their own making through a raw session (hostile.h),
 * so that every row, version and order is chosen by the test.
 *
 * Three stretches of the server's life:
 *   0. never restored: a RecoverRequest is an Error and changes nothing;
 *      the replicas' tombstones (table gone): a pull that deletes a row and
 *      an acknowledged own delete leave one, a transaction the server did
 *      not apply does not;
 *   1. backup, restore, then the table of raw RecoverRequests (rules 1-6:
 *      later version wins in either order, changed since the restore goes
 *      to the conflict queue once and take-office writes it, version
 *      bounds, batch bound, another epoch, scope without a leak, forged and
 *      invalid inserts, tombstones, finished);
 *   2. backup, acknowledged changes from B and C that cross (B holds one
 *      row at V1 and another at V2, C the other way round) and pending
 *      changes of B's clerk, restore: rep_recover_scan sends the base of a
 *      pending row and skips a row made locally; C recovers first, then B,
 *      whose pending changes reach the server on top of the recovered
 *      state; every replica converges.
 *
 * Each case's check names its rule. Two of them once failed and were
 * fixed: take-office on a "recovered" conflict was refused (its stored
 * transaction had no sequence), and a copy sent again after the street
 * settled its conflict was queued again.
 */
#include "sync_harness.h"
#include "hostile.h"
#include "bounds.h"
#include "store.h"

static struct h_server S;
static struct h_dev A, B, C;
static char sq01b1[ID_TEXT_LEN + 1], sq02b1[ID_TEXT_LEN + 1];
static char bundle_a[4300];
static struct store_epoch EP;    /* the server's epoch, as its database says */

/* The raw devices: name, organisation, bundle, device id. */
enum { D_RB, D_RC, D_RE, D_COUNT };
static struct {
	const char *name, *org;
	char bundle[4300];
	char id[40];
} RD[D_COUNT] = { { "rb", "SQ01", "", "" }, { "rc", "SQ01", "", "" }, { "re", "SQ02", "", "" } };

/*
 * The members of SQ01 the cases use, made by the administrator before any
 * backup (job 原岗位). Index 0 is no row (the end of a case's row list).
 */
enum {
	M_NONE,
	M_V1_FIRST,      /* rule 1: V1 recovered first, then V2 */
	M_V2_FIRST,      /* rule 1: V2 first, then V1 */
	M_CHANGED,       /* rule 2: changed since the restore, a differing copy */
	M_SAME,          /* rule 2: changed since the restore, an identical copy */
	M_BOUND_LO,      /* rule 3: version restored_version refused, one above taken */
	M_BOUND_HI,      /* rule 3: version_floor refused, one below taken */
	M_DEL_RESTORED,  /* rule 5: a tombstone of a row as restored */
	M_DEL_CHANGED,   /* rule 5: a tombstone of a row changed since */
	M_DONE,          /* rule 6 */
	M_T1, M_T2,      /* rule 5, replica side (stretch 0) */
	M_W, M_W2,       /* rules 7 and 8 (stretch 2) */
	M_BACK,          /* rule 1: changed after the backup and changed back (phone P(40)) */
	M_MOVE,          /* rule 4: a recovered copy that moves the member to SQ02 */
	M_COUNT,
	/* New rows, made by the test (values in XV). */
	NEW_OK = 100,      /* a valid member of SQ01B1 (RB: applied) */
	NEW_FORGED,        /* a valid member of SQ01B1 sent by RE (SQ02): refused */
	NEW_OWN,           /* a valid member of SQ02B1 sent by RE: applied */
	NEW_BAD_ID,        /* a member of SQ01B1 with a wrong check digit: refused */
	NEW_END
};
#define NX (NEW_END - NEW_OK)
static char MID[M_COUNT][ID_TEXT_LEN + 1];
static char XID[NX][ID_TEXT_LEN + 1];
static Tongxin__Value XV[NX][32];
static struct h_member XM[NX];

#define JOB0 "原岗位"

static const char *
row_id_of(int row)
{
	return row >= NEW_OK ? XID[row - NEW_OK] : MID[row];
}

/* ------------------------------------------------------------ the server */

/* One text column of a server row ("" for NULL or no row); the server may be running. */
static void
srv_col(int row, const char *col, char *buf, size_t cap)
{
	sqlite3 *db = srv_db(&S);
	char sql[256];

	snprintf(sql, sizeof sql, "SELECT %s FROM member WHERE id = ?1", col);
	h_sql_text(db, sql, row_id_of(row), buf, cap);
	sqlite3_close(db);
}

static int64_t
srv_int(const char *sql, const char *a1, const char *a2)
{
	sqlite3 *db = srv_db(&S);
	int64_t v = h_sql_int(db, sql, a1, a2);
	sqlite3_close(db);
	return v;
}

/* What the server's database says of its epoch (after every start). */
static void
epoch_read(void)
{
	sqlite3 *db = srv_db(&S);

	memset(&EP, 0, sizeof EP);
	h_sql_text(db, "SELECT value FROM meta WHERE key = 'epoch'", NULL, EP.epoch,
	    sizeof EP.epoch);
	EP.restored_version = (uint64_t)h_sql_int(db, "SELECT coalesce((SELECT CAST(value AS"
	    " INTEGER) FROM meta WHERE key = 'restored_version'), 0)", NULL, NULL);
	EP.version_floor = (uint64_t)h_sql_int(db, "SELECT coalesce((SELECT CAST(value AS"
	    " INTEGER) FROM meta WHERE key = 'version_floor'), 0)", NULL, NULL);
	sqlite3_close(db);
	H_CHECK(EP.epoch[0] != '\0', "the server's database has no epoch");
}

/*
 * What a request that changes nothing must leave as it was: the members
 * (count, versions, deletions), the conflict queue, the rows recovered,
 * the audit log and the version counter.
 */
static void
state_take(char *out, size_t cap)
{
	sqlite3 *db = srv_db(&S);

	h_sql_text(db, "SELECT (SELECT count(*) || '/' || total(_version) || '/' || total(_deleted)"
	    " FROM member) || ' conflicts ' || (SELECT count(*) FROM conflict) || ' recovered ' ||"
	    " (SELECT count(*) || '/' || total(version) FROM recovered) || ' audit ' ||"
	    " (SELECT count(*) FROM audit) || ' version ' || (SELECT value FROM meta WHERE key ="
	    " 'version')", NULL, out, cap);
	sqlite3_close(db);
}

/* tongxind backup of the running server into TMP/name. */
static void
backup_take(const char *name, char *file, size_t cap)
{
	char out[4300];
	int rc;

	snprintf(file, cap, "%s/%s", H.tmp, name);
	snprintf(out, sizeof out, "%s.out", file);
	{
		const char *argv[] = { H.tongxind, "backup", S.dir, file, NULL };
		rc = h_run(argv, out, NULL);
	}
	H_CHECK(rc == 0, "tongxind backup exited %d: %s", rc, h_slurp_tail(out, 2000));
}

/* Stop the server, put the backup back with store_restore, start it again. */
static void
restore_from(const char *file)
{
	struct store_restore_report rep;
	char err[1024] = "", old[40];

	snprintf(old, sizeof old, "%s", EP.epoch);
	srv_stop(&S);
	H_CHECK(store_restore(S.dir, file, NULL, &rep, err, sizeof err) == 0, "store_restore: %s", err);
	srv_start(&S);
	epoch_read();
	H_CHECK(strcmp(EP.epoch, old) != 0 && EP.restored_version > 0 &&
	    EP.version_floor > EP.restored_version, "the restore gave epoch %s (was %s), restored "
	    "version %llu, floor %llu", EP.epoch, old, (unsigned long long)EP.restored_version,
	    (unsigned long long)EP.version_floor);
	h_log("restored: epoch %s, versions %llu..%llu lost", EP.epoch,
	    (unsigned long long)EP.restored_version + 1, (unsigned long long)EP.version_floor - 1);
}

/* ------------------------------------------------------ recovered rows */

/* How a case's row names its version: from the restored version or from the floor. */
enum vbase { V_RV, V_FLOOR };

/* One row of a RecoverRequest: a member's server state (or a new row's values) with changes. */
struct rspec {
	int row;                 /* M_* or NEW_*; M_NONE ends the list */
	enum vbase base;
	int64_t off;             /* version = base + off */
	int deleted;             /* a tombstone */
	const char *col1, *val1; /* text columns that differ from the server's (NULL: none) */
	const char *col2, *val2;
};

/* A malloc'd Value (freed with the row by tongxin__row__free_unpacked). */
static void
row_set(Tongxin__Row *row, const char *col, const char *val)
{
	int k = h_col(TBL_MEMBER, col);
	Tongxin__Value v;

	tongxin__value__free_unpacked(row->values[k], NULL);
	/* "@SQ02B1": the id of SQ02's branch, known only at run time. */
	value_set_text(&v, strcmp(val, "@SQ02B1") == 0 ? sq02b1 : val);
	row->values[k] = hx_value_dup(&v);
}

/* The Row message a spec describes; every part malloc'd (tongxin__row__free_unpacked). */
static Tongxin__Row *
row_make(const struct rspec *sp)
{
	const struct table_def *td = &schema_tables[TBL_MEMBER];
	Tongxin__Row *row = hx_xalloc(sizeof *row);

	tongxin__row__init(row);
	row->table = TBL_MEMBER;
	row->row_id = hx_xstrdup(row_id_of(sp->row));
	row->version = (sp->base == V_RV ? EP.restored_version : EP.version_floor) +
	    (uint64_t)sp->off;
	if (sp->deleted) {
		row->deleted = 1;
		return row;
	}
	row->values = hx_xalloc((size_t)td->ncols * sizeof *row->values);
	row->n_values = (size_t)td->ncols;
	if (sp->row >= NEW_OK) {
		for (int k = 0; k < td->ncols; k++)
			row->values[k] = hx_value_dup(&XV[sp->row - NEW_OK][k]);
	} else {
		sqlite3 *db = srv_db(&S);
		sqlite3_stmt *st;
		char sql[4096];
		size_t n = (size_t)snprintf(sql, sizeof sql, "SELECT id");

		for (int k = 0; k < td->ncols; k++)
			n += (size_t)snprintf(sql + n, sizeof sql - n, ", %s", td->cols[k].name);
		snprintf(sql + n, sizeof sql - n, " FROM member WHERE id = ?1");
		H_CHECK(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s",
		    sqlite3_errmsg(db));
		sqlite3_bind_text(st, 1, row->row_id, -1, SQLITE_STATIC);
		H_CHECK(sqlite3_step(st) == SQLITE_ROW, "no member %s on the server", row->row_id);
		for (int k = 0; k < td->ncols; k++) {
			Tongxin__Value v;
			H_CHECK(value_from_column(st, k + 1, &v) == 0, "out of memory");
			row->values[k] = hx_value_dup(&v);
			value_clear(&v);
		}
		sqlite3_finalize(st);
		sqlite3_close(db);
	}
	if (sp->col1 != NULL)
		row_set(row, sp->col1, sp->val1);
	if (sp->col2 != NULL)
		row_set(row, sp->col2, sp->val2);
	return row;
}

/* What the server answered to one RecoverRequest. */
struct answer {
	int rc;                  /* 0 a RecoverResponse, -1 an Error, -2 no answer */
	int code;                /* the Error's code */
	char err[1024];
	uint32_t applied, known, conflicts, rejected;
	int finished;
};

/* Send one RecoverRequest of raw device dev through a session of its own. */
static void
recover_send(int dev, const char *epoch, Tongxin__Row **rows, size_t n, int done,
    struct answer *a)
{
	Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT, *in = NULL;
	Tongxin__RecoverRequest req = TONGXIN__RECOVER_REQUEST__INIT;
	struct hx x;

	memset(a, 0, sizeof *a);
	H_CHECK(hx_open(&x, RD[dev].bundle, S.addr, "恢复测试", 60000) == 0, "%s cannot open a "
	    "session: %s", RD[dev].name, x.err);
	snprintf(RD[dev].id, sizeof RD[dev].id, "%s", x.device_id);
	req.epoch = (char *)epoch;
	req.rows = rows;
	req.n_rows = n;
	req.done = done;
	env.body_case = TONGXIN__ENVELOPE__BODY_RECOVER;
	env.recover = &req;
	if (hx_request(&x, &env, TONGXIN__ENVELOPE__BODY_RECOVER_RESULT, &in) == 0) {
		const Tongxin__RecoverResponse *r = in->recover_result;
		a->applied = r->applied;
		a->known = r->known;
		a->conflicts = r->conflicts;
		a->rejected = r->rejected;
		a->finished = r->finished;
		envelope_free(in);
	} else {
		a->rc = x.code != 0 ? -1 : -2;
		a->code = x.code;
		snprintf(a->err, sizeof a->err, "%s", x.err);
	}
	hx_close(&x);
}

/* ---------------------------------------------------------- the cases */

struct rcase {
	const char *what;                /* the rule, as a sentence */
	int dev;                         /* D_* */
	struct rspec rows[4];            /* ended by row M_NONE */
	int bulk;                        /* instead: this many tombstones of rows never seen */
	int other_epoch;                 /* name an epoch that is not the server's */
	int done;
	int want_code;                   /* an Error with this code is expected (0: none) */
	uint32_t applied, known, conflicts, rejected;
	int finished;
	int totals;                      /* the counts are the device's totals: not checked */
	int unchanged;                   /* the server's state must be exactly as before */
	int chk_row;                     /* afterwards: this member's column ... */
	const char *chk_col, *chk_val;   /* ... holds this text ("1" for _deleted) */
	void (*extra)(const struct rcase *k);
	void (*pre)(void);               /* run before the request (an ordinary change) */
};

/* Rule 1: the recovered table remembers the version a row came from. */
static uint64_t
recovered_origin(int row)
{
	return (uint64_t)srv_int("SELECT coalesce((SELECT origin FROM recovered WHERE row_id = ?1),"
	    " 0)", row_id_of(row), NULL);
}

static int admin_resolve(const char *cid, Tongxin__ConflictResolveRequest__Decision decision,
    char *err, size_t errlen);

/* The street keeps its own row against RB's recovered tombstone of M_DEL_CHANGED. */
static void
pre_keep_server(void)
{
	char cid[ID_TEXT_LEN + 1], err[1024];
	sqlite3 *db = srv_db(&S);

	h_sql_text(db, "SELECT id FROM conflict WHERE kind = 'recovered' AND status = 'open' AND"
	    " row_id = ?1", MID[M_DEL_CHANGED], cid, sizeof cid);
	sqlite3_close(db);
	H_CHECK(cid[0] && admin_resolve(cid, TONGXIN__CONFLICT_RESOLVE_REQUEST__DECISION__KEEP_SERVER,
	    err, sizeof err) == 0, "keep-server on the recovered tombstone %s: %s", cid, err);
}

/* The street changes a row recovered before (an ordinary push after the recovery). */
static void
pre_change_recovered(void)
{
	dev_sync(&A, &S, NULL);
	dev_begin(&A);
	dev_update1(&A, TBL_MEMBER, MID[M_V1_FIRST], "job", "恢复后街道改的岗位", 0);
	dev_commit(&A);
	dev_sync(&A, &S, NULL);
}

static void
extra_origin_v2(const struct rcase *k)
{
	uint64_t o = recovered_origin(k->rows[0].row);

	H_CHECK(o == EP.restored_version + 200, "%s: the recovered table says the row came from "
	    "version %llu, not %llu", k->what, (unsigned long long)o,
	    (unsigned long long)EP.restored_version + 200);
}

/* The open "recovered" conflicts of a member row from raw device dev. */
static int64_t
recovered_conflicts(int row, int dev)
{
	return srv_int("SELECT count(*) FROM conflict WHERE kind = 'recovered' AND status = 'open'"
	    " AND row_id = ?1 AND device_id = ?2", row_id_of(row), RD[dev].id);
}

static void
extra_queued_once(const struct rcase *k)
{
	int64_t n = recovered_conflicts(k->rows[0].row, k->dev);

	H_CHECK(n == 1, "%s: %lld open conflicts of kind \"recovered\" for the row, not 1",
	    k->what, (long long)n);
}

/* The administrator settles conflict cid; 0, or -1 with the server's refusal in err. */
static int
admin_resolve(const char *cid, Tongxin__ConflictResolveRequest__Decision decision, char *err,
    size_t errlen)
{
	Tongxin__ConflictResolveRequest rr = TONGXIN__CONFLICT_RESOLVE_REQUEST__INIT;
	Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT, *in = NULL;
	struct hx x;
	int rc;

	H_CHECK(hx_open(&x, bundle_a, S.addr, "街道组织委员", 60000) == 0, "admin session: %s",
	    x.err);
	rr.id = (char *)cid;
	rr.decision = decision;
	env.body_case = TONGXIN__ENVELOPE__BODY_CONFLICT_RESOLVE;
	env.conflict_resolve = &rr;
	rc = hx_request(&x, &env, TONGXIN__ENVELOPE__BODY_CONFLICT_RESOLVE_RESULT, &in);
	snprintf(err, errlen, "%s", rc == 0 ? "" : x.err);
	envelope_free(in);
	hx_close(&x);
	return rc;
}

/*
 * Rule 2, the administrator's side: take-office on the queued conflict
 * writes the recovered values (the phone the device had, and the job as it
 * was before the street changed it).
 */
static void
extra_take_office(const struct rcase *k)
{
	char cid[ID_TEXT_LEN + 1], phone[64], job[64], status[32], err[1024];
	sqlite3 *db;

	extra_queued_once(k);
	db = srv_db(&S);
	{
		sqlite3_stmt *st;
		H_CHECK(sqlite3_prepare_v2(db, "SELECT id FROM conflict WHERE kind = 'recovered' AND"
		    " status = 'open' AND row_id = ?1", -1, &st, NULL) == SQLITE_OK, "prepare");
		sqlite3_bind_text(st, 1, MID[M_CHANGED], -1, SQLITE_STATIC);
		H_CHECK(sqlite3_step(st) == SQLITE_ROW, "no conflict");
		snprintf(cid, sizeof cid, "%s", (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	/* The resolution takes the stored transaction as it is: it must have a sequence. */
	H_CHECK(admin_resolve(cid, TONGXIN__CONFLICT_RESOLVE_REQUEST__DECISION__TAKE_OFFICE, err,
	    sizeof err) == 0, "%s: take-office on the recovered conflict %s was refused: %s",
	    k->what, cid, err);
	srv_col(M_CHANGED, "phone", phone, sizeof phone);
	srv_col(M_CHANGED, "job", job, sizeof job);
	db = srv_db(&S);
	h_sql_text(db, "SELECT status FROM conflict WHERE id = ?1", cid, status, sizeof status);
	sqlite3_close(db);
	H_CHECK(strcmp(phone, "13900000031") == 0 && strcmp(job, JOB0) == 0, "%s: after "
	    "take-office the row holds phone %s and job %s, not the recovered 13900000031 and "
	    JOB0, k->what, phone, job);
	H_CHECK(strcmp(status, "open") != 0, "%s: the conflict is still open after take-office",
	    k->what);
	h_log("  take-office on %s wrote the recovered values", cid);
}

/* Rule 4: a forged or invalid insert leaves no such row. */
static void
extra_no_row(const struct rcase *k)
{
	H_CHECK(srv_int("SELECT count(*) FROM member WHERE id = ?1", row_id_of(k->rows[0].row),
	    NULL) == 0, "%s: the refused row is on the server", k->what);
}

/* Rule 4: the member is still in SQ01's branch. */
static void
extra_not_moved(const struct rcase *k)
{
	char org[ID_TEXT_LEN + 1];

	srv_col(k->rows[0].row, "org_id", org, sizeof org);
	H_CHECK(strcmp(org, sq01b1) == 0, "%s: the member moved to %s", k->what, org);
}

/* Rule 4: a valid insert in the device's own scope is there (the control of the refusals). */
static void
extra_row_there(const struct rcase *k)
{
	H_CHECK(srv_int("SELECT count(*) FROM member WHERE id = ?1 AND _deleted = 0",
	    row_id_of(k->rows[0].row), NULL) == 1, "%s: the recovered row is not on the server",
	    k->what);
}

/* Rule 5: a tombstone of a changed row leaves it live and queues it. */
static void
extra_tomb_queued(const struct rcase *k)
{
	extra_queued_once(k);
	H_CHECK(srv_int("SELECT _deleted FROM member WHERE id = ?1", row_id_of(k->rows[0].row),
	    NULL) == 0, "%s: the row changed since the restore was deleted", k->what);
}

/* Rule 6: the device's recovery is recorded as finished. */
static void
extra_finished(const struct rcase *k)
{
	H_CHECK(srv_int("SELECT count(*) FROM recovery WHERE device_id = ?1 AND epoch = ?2 AND"
	    " finished_at IS NOT NULL", RD[k->dev].id, EP.epoch) == 1, "%s: no finished recovery "
	    "of %s in epoch %s", k->what, RD[k->dev].name, EP.epoch);
}

#define P(x) "139000000" #x
static const struct rcase CASES[] = {
	/* Rule 1: the later version wins, in either order; the recovered table remembers it. */
	{ "rule 1: V1 recovered first is written", D_RB,
	  { { M_V1_FIRST, V_RV, 100, 0, "phone", P(11), NULL, NULL } },
	  .applied = 1, .chk_row = M_V1_FIRST, .chk_col = "phone", .chk_val = P(11) },
	{ "rule 1: V2 recovered second overwrites V1", D_RC,
	  { { M_V1_FIRST, V_RV, 200, 0, "phone", P(12), NULL, NULL } },
	  .applied = 1, .chk_row = M_V1_FIRST, .chk_col = "phone", .chk_val = P(12),
	  .extra = extra_origin_v2 },
	{ "rule 1: V2 recovered first is written", D_RC,
	  { { M_V2_FIRST, V_RV, 200, 0, "phone", P(22), NULL, NULL } },
	  .applied = 1, .chk_row = M_V2_FIRST, .chk_col = "phone", .chk_val = P(22) },
	{ "rule 1: V1 recovered second is known and changes nothing", D_RB,
	  { { M_V2_FIRST, V_RV, 100, 0, "phone", P(21), NULL, NULL } },
	  .known = 1, .unchanged = 1, .chk_row = M_V2_FIRST, .chk_col = "phone", .chk_val = P(22),
	  .extra = extra_origin_v2 },
	{ "rule 1: the same V2 again is known", D_RB,
	  { { M_V1_FIRST, V_RV, 200, 0, "phone", P(12), NULL, NULL } },
	  .known = 1, .unchanged = 1 },

	{ "rule 1: a copy the server holds as restored is known ...", D_RB,
	  { { M_BACK, V_RV, 300, 0, NULL, NULL, NULL, NULL } },
	  .known = 1, .chk_row = M_BACK, .chk_col = "phone", .chk_val = P(40) },
	{ "rule 1: ... and an older, differing copy after it is known too", D_RC,
	  { { M_BACK, V_RV, 100, 0, "phone", P(41), NULL, NULL } },
	  .known = 1, .unchanged = 1, .chk_row = M_BACK, .chk_col = "phone", .chk_val = P(40) },

	/* Rule 2: a row the server changed since the restore (the street edited its job). */
	{ "rule 2: a later copy of a row changed since its recovery is queued, not written", D_RB,
	  { { M_V1_FIRST, V_RV, 250, 0, "phone", P(14), NULL, NULL } },
	  .conflicts = 1, .chk_row = M_V1_FIRST, .chk_col = "phone", .chk_val = P(12),
	  .extra = extra_queued_once, .pre = pre_change_recovered },
	{ "rule 2: a differing copy of a changed row is queued as \"recovered\"", D_RB,
	  { { M_CHANGED, V_RV, 300, 0, "phone", P(31), "job", JOB0 } },
	  .conflicts = 1, .chk_row = M_CHANGED, .chk_col = "job", .chk_val = "街道改后岗位",
	  .extra = extra_queued_once },
	{ "rule 2: the same copy again is known, not queued twice", D_RB,
	  { { M_CHANGED, V_RV, 300, 0, "phone", P(31), "job", JOB0 } },
	  .known = 1, .unchanged = 1, .extra = extra_take_office },
	{ "rule 2: an identical copy of a changed row is known", D_RB,
	  { { M_SAME, V_RV, 300, 0, NULL, NULL, NULL, NULL } },
	  .known = 1, .unchanged = 1 },

	/* Rule 3: the versions the restore lost, and nothing else. */
	{ "rule 3: version restored_version is refused", D_RB,
	  { { M_BOUND_LO, V_RV, 0, 0, "phone", P(51), NULL, NULL } },
	  .rejected = 1, .unchanged = 1, .chk_row = M_BOUND_LO, .chk_col = "phone",
	  .chk_val = P(50) },
	{ "rule 3: version version_floor is refused", D_RB,
	  { { M_BOUND_HI, V_FLOOR, 0, 0, "phone", P(61), NULL, NULL } },
	  .rejected = 1, .unchanged = 1, .chk_row = M_BOUND_HI, .chk_col = "phone",
	  .chk_val = P(60) },
	{ "rule 3: a version above the floor is refused", D_RB,
	  { { M_BOUND_HI, V_FLOOR, 1000, 0, "phone", P(61), NULL, NULL } },
	  .rejected = 1, .unchanged = 1 },
	{ "rule 3: restored_version + 1 and version_floor - 1 are taken", D_RB,
	  { { M_BOUND_LO, V_RV, 1, 0, "phone", P(52), NULL, NULL },
	    { M_BOUND_HI, V_FLOOR, -1, 0, "phone", P(62), NULL, NULL } },
	  .applied = 2, .chk_row = M_BOUND_HI, .chk_col = "phone", .chk_val = P(62) },
	{ "rule 3: WIRE_MAX_RECOVER_ROWS rows are taken", D_RC, { { M_NONE } },
	  .bulk = WIRE_MAX_RECOVER_ROWS, .known = WIRE_MAX_RECOVER_ROWS, .unchanged = 1 },
	{ "rule 3: one row more is refused whole", D_RC, { { M_NONE } },
	  .bulk = WIRE_MAX_RECOVER_ROWS + 1, .want_code = TONGXIN__ERROR_CODE__ERR_TOO_LARGE,
	  .unchanged = 1 },
	{ "rule 3: a request naming another epoch is an Error", D_RB,
	  { { M_DONE, V_RV, 500, 0, "phone", P(91), NULL, NULL } },
	  .other_epoch = 1, .want_code = TONGXIN__ERROR_CODE__ERR_BAD_REQUEST, .unchanged = 1,
	  .chk_row = M_DONE, .chk_col = "phone", .chk_val = P(90) },

	/* Rule 4: scope, and the same checks a push gets. */
	{ "rule 4: another community's row, differing, is kept for the street, not written", D_RE,
	  { { M_V1_FIRST, V_RV, 300, 0, "phone", P(13), NULL, NULL } },
	  .conflicts = 1, .chk_row = M_V1_FIRST, .chk_col = "phone",
	  .chk_val = P(12) },
	{ "rule 4: another community's row, identical, is kept too (not \"known\": no leak)", D_RE,
	  { { M_V1_FIRST, V_RV, 302, 0, NULL, NULL, NULL, NULL } },
	  .conflicts = 1 },
	{ "rule 4: another community's row, as a tombstone, is kept, not applied", D_RE,
	  { { M_V1_FIRST, V_RV, 301, 1, NULL, NULL, NULL, NULL } },
	  .conflicts = 1, .chk_row = M_V1_FIRST, .chk_col = "_deleted",
	  .chk_val = "0" },
	{ "rule 4: a copy that moves an own row into another community is kept, not applied", D_RB,
	  { { M_MOVE, V_RV, 300, 0, "org_id", "@SQ02B1", NULL, NULL } },
	  .conflicts = 1, .extra = extra_not_moved },
	{ "rule 4: a forged insert into another community is kept, not written", D_RE,
	  { { NEW_FORGED, V_RV, 300, 0, NULL, NULL, NULL, NULL } },
	  .conflicts = 1, .extra = extra_no_row },
	{ "rule 4: an insert with an invalid citizen ID is refused (its shape, as in a push)", D_RB,
	  { { NEW_BAD_ID, V_RV, 300, 0, NULL, NULL, NULL, NULL } },
	  .rejected = 1, .unchanged = 1, .extra = extra_no_row },
	{ "rule 4: a valid insert in the device's own community is written", D_RE,
	  { { NEW_OWN, V_RV, 300, 0, NULL, NULL, NULL, NULL } },
	  .applied = 1, .extra = extra_row_there },
	{ "rule 4: a valid lost insert of SQ01 is written", D_RB,
	  { { NEW_OK, V_RV, 300, 0, NULL, NULL, NULL, NULL } },
	  .applied = 1, .extra = extra_row_there },

	/* Rule 5: tombstones. */
	{ "rule 5: a tombstone of a row as restored deletes it", D_RB,
	  { { M_DEL_RESTORED, V_RV, 400, 1, NULL, NULL, NULL, NULL } },
	  .applied = 1, .chk_row = M_DEL_RESTORED, .chk_col = "_deleted", .chk_val = "1" },
	{ "rule 5: the same tombstone again is known", D_RC,
	  { { M_DEL_RESTORED, V_RV, 400, 1, NULL, NULL, NULL, NULL } },
	  .known = 1, .unchanged = 1 },
	{ "rule 5: a tombstone from a later version than the recovered copy deletes it", D_RB,
	  { { M_V2_FIRST, V_RV, 250, 1, NULL, NULL, NULL, NULL } },
	  .applied = 1, .chk_row = M_V2_FIRST, .chk_col = "_deleted", .chk_val = "1" },
	{ "rule 5: a live copy older than that tombstone is known and does not bring it back",
	  D_RC, { { M_V2_FIRST, V_RV, 220, 0, "phone", P(23), NULL, NULL } },
	  .known = 1, .unchanged = 1, .chk_row = M_V2_FIRST, .chk_col = "_deleted",
	  .chk_val = "1" },
	{ "rule 5: a live copy of a row the restored server holds deleted brings it back", D_RB,
	  { { M_T2, V_RV, 300, 0, "job", "恢复的岗位", NULL, NULL } },
	  .applied = 1, .chk_row = M_T2, .chk_col = "_deleted || job", .chk_val = "0恢复的岗位" },
	{ "rule 5: a tombstone of a row changed since is queued", D_RB,
	  { { M_DEL_CHANGED, V_RV, 400, 1, NULL, NULL, NULL, NULL } },
	  .conflicts = 1, .extra = extra_tomb_queued },

	{ "rule 2: the same copy again after the street kept its own row is known, not queued "
	  "again", D_RB, { { M_DEL_CHANGED, V_RV, 400, 1, NULL, NULL, NULL, NULL } },
	  .known = 1, .unchanged = 1, .pre = pre_keep_server },

	/* Rule 6: after the device's last batch, nothing more from it. */
	{ "rule 6: the last batch is taken and finishes the device's recovery", D_RB,
	  { { M_DONE, V_RV, 500, 0, "phone", P(92), NULL, NULL } },
	  .done = 1, .applied = 1, .finished = 1, .chk_row = M_DONE, .chk_col = "phone",
	  .chk_val = P(92), .extra = extra_finished },
	{ "rule 6: a request after the last batch is answered finished and applies nothing", D_RB,
	  { { M_DONE, V_RV, 600, 0, "phone", P(93), NULL, NULL },
	    { NEW_OK, V_RV, 600, 0, "job", "之后的岗位", NULL, NULL } },
	  .finished = 1, .totals = 1, .unchanged = 1, .chk_row = M_DONE, .chk_col = "phone",
	  .chk_val = P(92) },
	{ "rule 6: another device's recovery goes on", D_RC,
	  { { M_DONE, V_RV, 600, 0, "phone", P(94), NULL, NULL } },
	  .applied = 1, .chk_row = M_DONE, .chk_col = "phone", .chk_val = P(94) },
};

/* Run one case: build its rows, send them, check the answer and the server's state. */
static void
case_run(const struct rcase *k)
{
	size_t n = 0, cap = (size_t)(k->bulk ? k->bulk : 4);
	Tongxin__Row **rows = hx_xalloc(cap * sizeof *rows);
	char before[512], after[512], got[256], other[ID_TEXT_LEN + 1];
	struct answer a;

	if (k->bulk) {
		for (int i = 0; i < k->bulk; i++) {
			struct rspec sp = { M_NONE, V_RV, 1 + i % 7, 1, NULL, NULL, NULL, NULL };
			Tongxin__Row *r = row_make(&sp);
			free(r->row_id);
			r->row_id = hx_xalloc(ID_TEXT_LEN + 1);
			H_CHECK(id_new(r->row_id) == 0, "id_new");
			rows[n++] = r;
		}
	} else {
		for (size_t i = 0; i < 4 && k->rows[i].row != M_NONE; i++)
			rows[n++] = row_make(&k->rows[i]);
	}
	H_CHECK(id_new(other) == 0, "id_new");
	if (k->pre != NULL)
		k->pre();
	state_take(before, sizeof before);
	recover_send(k->dev, k->other_epoch ? other : EP.epoch, rows, n, k->done, &a);
	h_log("%s: %s", k->what, a.rc == 0 ? "answered" : a.err);
	if (k->want_code) {
		H_CHECK(a.rc == -1 && a.code == k->want_code, "%s: expected Error %d, got %s (code %d, "
		    "%s)", k->what, k->want_code, a.rc == 0 ? "a RecoverResponse" : a.rc == -1 ?
		    "an Error" : "no answer", a.code, a.err);
	} else {
		H_CHECK(a.rc == 0, "%s: no RecoverResponse: %s (code %d)", k->what, a.err, a.code);
		int same = k->totals || (a.applied == k->applied && a.known == k->known &&
		    a.conflicts == k->conflicts && a.rejected == k->rejected);
		H_CHECK(same, "%s: answered %u applied,"
		    " %u known, %u conflicts, %u rejected; expected %u, %u, %u, %u", k->what,
		    a.applied, a.known, a.conflicts, a.rejected, k->applied, k->known, k->conflicts,
		    k->rejected);
		H_CHECK(a.finished == k->finished, "%s: finished is %d, expected %d", k->what,
		    a.finished, k->finished);
	}
	state_take(after, sizeof after);
	if (k->unchanged)
		H_CHECK(strcmp(before, after) == 0, "%s: the server changed:\n    before %s\n    after  "
		    "%s", k->what, before, after);
	if (k->chk_row != M_NONE) {
		srv_col(k->chk_row, k->chk_col, got, sizeof got);
		H_CHECK(strcmp(got, k->chk_val) == 0, "%s: afterwards %s is \"%s\", expected \"%s\"",
		    k->what, k->chk_col, got, k->chk_val);
	}
	if (k->extra != NULL)
		k->extra(k);
	for (size_t i = 0; i < n; i++)
		tongxin__row__free_unpacked(rows[i], NULL);
	free(rows);
}

/* ------------------------------------------------------------- replicas */

/* A replica's _version of a member (0 when it does not hold it). */
static uint64_t
rep_version(struct h_dev *d, int row)
{
	return (uint64_t)h_sql_int(replica_db(d->r), "SELECT coalesce((SELECT _version FROM member"
	    " WHERE id = ?1), 0)", MID[row], NULL);
}

/* A replica's tombstone version of a row (0 when it has none). */
static uint64_t
rep_gone(struct h_dev *d, int row)
{
	return (uint64_t)h_sql_int(replica_db(d->r), "SELECT coalesce((SELECT version FROM gone"
	    " WHERE row_id = ?1), 0)", MID[row], NULL);
}

/* What rep_recover_scan handed over: a few columns of each row and how it was batched. */
struct scanned {
	struct {
		char id[ID_TEXT_LEN + 1];
		uint64_t version;
		int deleted;
		char phone[32], job[64], address[128];
	} row[256];
	int n, calls, lasts, last_call, over_max;
	size_t max;
};

static void
text_of(const Tongxin__Row *r, const char *col, char *buf, size_t cap)
{
	int k = h_col(TBL_MEMBER, col);

	buf[0] = '\0';
	if (!r->deleted && (size_t)k < r->n_values &&
	    r->values[k]->kind_case == TONGXIN__VALUE__KIND_S)
		snprintf(buf, cap, "%s", r->values[k]->s);
}

static int
scan_each(Tongxin__Row *const *rows, size_t n, bool last, void *arg)
{
	struct scanned *sc = arg;

	sc->calls++;
	if (last) {
		sc->lasts++;
		sc->last_call = sc->calls;
	}
	if (n > sc->max)
		sc->over_max++;
	for (size_t i = 0; i < n && sc->n < 256; i++) {
		const Tongxin__Row *r = rows[i];
		if (r->table != TBL_MEMBER)
			continue;
		snprintf(sc->row[sc->n].id, sizeof sc->row[sc->n].id, "%s", r->row_id);
		sc->row[sc->n].version = r->version;
		sc->row[sc->n].deleted = r->deleted;
		text_of(r, "phone", sc->row[sc->n].phone, sizeof sc->row[sc->n].phone);
		text_of(r, "job", sc->row[sc->n].job, sizeof sc->row[sc->n].job);
		text_of(r, "address", sc->row[sc->n].address, sizeof sc->row[sc->n].address);
		sc->n++;
	}
	return 0;
}

static int
scanned_find(const struct scanned *sc, const char *id)
{
	for (int i = 0; i < sc->n; i++)
		if (strcmp(sc->row[i].id, id) == 0)
			return i;
	return -1;
}

/* ----------------------------------------------------------------- setup */

/* The street, two communities with a branch each, the members, the devices. */
static void
setup(void)
{
	char street[ID_TEXT_LEN + 1], sq01[ID_TEXT_LEN + 1], sq02[ID_TEXT_LEN + 1];
	Tongxin__Value v[32];
	struct h_member m;

	srv_init(&S, "srv");
	srv_start(&S);
	dev_new(&A, &S, "JD01", "admin", 1);
	snprintf(bundle_a, sizeof bundle_a, "%s/admin.bundle", H.tmp);
	dev_sync(&A, &S, NULL);
	H_CHECK(h_org_id(replica_db(A.r), "JD01", street), "no street row");
	dev_add_org(&A, "SQ01", "和平社区", "community", street, sq01);
	dev_add_org(&A, "SQ01B1", "和平社区第一支部", "branch", sq01, sq01b1);
	dev_add_org(&A, "SQ02", "幸福社区", "community", street, sq02);
	dev_add_org(&A, "SQ02B1", "幸福社区第一支部", "branch", sq02, sq02b1);
	dev_begin(&A);
	for (int i = M_V1_FIRST; i < M_COUNT; i++) {
		char phone[16];
		h_member_vals(v, &m, sq01b1, NULL);
		h_set(v, TBL_MEMBER, "job", JOB0);
		/* Phones the cases name: member i has P(i0) (i up to M_DONE). */
		snprintf(phone, sizeof phone, "139000000%02d", i * 10 % 100);
		h_set(v, TBL_MEMBER, "phone", phone);
		dev_insert(&A, TBL_MEMBER, v, MID[i]);
	}
	dev_commit(&A);
	dev_sync(&A, &S, NULL);
	/* New rows the recovery cases send (not on the server). */
	for (int i = 0; i < NX; i++) {
		int x = NEW_OK + i;
		h_member_vals(XV[i], &XM[i], x == NEW_OWN ? sq02b1 : sq01b1, NULL);
		H_CHECK(id_new(XID[i]) == 0, "id_new");
		if (x == NEW_BAD_ID) {
			/* The same number with a wrong check digit. */
			XM[i].idn[17] = XM[i].idn[17] == '1' ? '2' : '1';
			value_set_text(&XV[i][h_col(TBL_MEMBER, "id_number")], XM[i].idn);
		}
	}
	for (int d = 0; d < D_COUNT; d++) {
		snprintf(RD[d].bundle, sizeof RD[d].bundle, "%s/%s.bundle", H.tmp, RD[d].name);
		srv_enroll(&S, RD[d].org, RD[d].name, 0, RD[d].bundle);
	}
	dev_new(&B, &S, "SQ01", "b1", 0);
	dev_new(&C, &S, "SQ01", "c1", 0);
	dev_sync(&B, &S, NULL);
	dev_sync(&C, &S, NULL);
	epoch_read();
}

/* ------------------------------------------------------------ stretches */

/* Stretch 0: never restored; the replicas' tombstones. */
static void
stretch_never_restored(void)
{
	static const struct rcase never = { "rule 3: a server never restored answers an Error",
		D_RB, { { M_DONE, V_RV, 5, 0, "phone", P(99), NULL, NULL } },
		.want_code = TONGXIN__ERROR_CODE__ERR_BAD_REQUEST, .unchanged = 1,
		.chk_row = M_DONE, .chk_col = "phone", .chk_val = P(90) };
	struct sync_report rep;
	enum sync_fail f;
	char err[1024], st[32], q[128], cid[ID_TEXT_LEN + 1];
	uint64_t v;

	H_CHECK(EP.restored_version == 0 && EP.version_floor == 0, "a new server says it was "
	    "restored");
	case_run(&never);

	/* Rule 5, the replica side: an acknowledged own delete leaves a tombstone ... */
	dev_begin(&B);
	dev_delete(&B, TBL_MEMBER, MID[M_T1]);
	dev_commit(&B);
	dev_sync(&B, &S, NULL);
	v = (uint64_t)srv_int("SELECT _version FROM member WHERE id = ?1 AND _deleted = 1",
	    MID[M_T1], NULL);
	H_CHECK(v > 0 && rep_gone(&B, M_T1) == v, "rule 5: B's acknowledged delete left tombstone "
	    "version %llu; the server deleted the row at %llu", (unsigned long long)rep_gone(&B, M_T1),
	    (unsigned long long)v);
	/* ... and so does a pull that deletes a row. */
	dev_sync(&C, &S, NULL);
	H_CHECK(rep_gone(&C, M_T1) == v && rep_version(&C, M_T1) == 0, "rule 5: C's pull of the "
	    "deletion left tombstone version %llu (expected %llu), the row %s",
	    (unsigned long long)rep_gone(&C, M_T1), (unsigned long long)v,
	    rep_version(&C, M_T1) ? "still there" : "gone");
	/* A transaction the server did not apply leaves none, though its row is deleted there. */
	dev_begin(&A);
	dev_delete(&A, TBL_MEMBER, MID[M_T2]);
	dev_commit(&A);
	dev_sync(&A, &S, NULL);
	dev_begin(&B);
	dev_update1(&B, TBL_MEMBER, MID[M_T2], "job", "删除后的修改", 0);
	dev_commit(&B);
	H_CHECK(dev_sync_try(&B, &S, 1, 0, &rep, &f, err, sizeof err) == 0, "B's push: %s", err);
	snprintf(q, sizeof q, "SELECT status FROM outcome WHERE seq = %lld",
	    (long long)dev_next_seq(&B) - 1);
	h_sql_text(replica_db(B.r), q, NULL, st, sizeof st);
	H_CHECK(strcmp(st, "applied") != 0 && strcmp(st, "merged") != 0, "setup: B's update of a "
	    "deleted row came back %s", st);
	H_CHECK(rep_gone(&B, M_T2) == 0, "rule 5: B recorded a tombstone (version %llu) for the "
	    "row its %s transaction named", (unsigned long long)rep_gone(&B, M_T2), st);
	h_log("rule 5 (replica): tombstones from an own delete and a pull; none from a %s "
	    "transaction", st);
	/* Settled, so that later recoveries do not send it again (it_restore covers that). */
	snprintf(q, sizeof q, "SELECT conflict_id FROM outcome WHERE seq = %lld",
	    (long long)dev_next_seq(&B) - 1);
	h_sql_text(replica_db(B.r), q, NULL, cid, sizeof cid);
	H_CHECK(cid[0] && admin_resolve(cid, TONGXIN__CONFLICT_RESOLVE_REQUEST__DECISION__KEEP_SERVER,
	    err, sizeof err) == 0, "keep-server on B's conflict %s: %s", cid, err);
	dev_sync(&B, &S, NULL);
	dev_sync(&C, &S, NULL);
}

/* Stretch 1: backup, restore, the table of raw recoveries. */
static void
stretch_table(void)
{
	char file[4300];

	backup_take("one.bak", file, sizeof file);
	restore_from(file);
	/* The street's changes since the restore (A's recovery has nothing to send). */
	dev_begin(&A);
	dev_update1(&A, TBL_MEMBER, MID[M_CHANGED], "job", "街道改后岗位", 0);
	dev_update1(&A, TBL_MEMBER, MID[M_SAME], "job", "街道改后岗位", 0);
	dev_update1(&A, TBL_MEMBER, MID[M_DEL_CHANGED], "job", "街道改后岗位", 0);
	dev_commit(&A);
	{
		struct sync_report rep;
		dev_sync(&A, &S, &rep);
		H_CHECK(rep.restored && rep.recover_rows == 0 && rep.acks.applied == 1, "A's sync "
		    "after the restore: restored %d, %llu rows sent back, %lld applied", rep.restored,
		    (unsigned long long)rep.recover_rows, (long long)rep.acks.applied);
	}
	for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++)
		case_run(&CASES[i]);
}

/* Stretch 2: what the replicas send back, and a sync that meets the new epoch. */
static void
stretch_replicas(void)
{
	char file[4300], old_epoch[40], err[1024] = "", phone[32], job[64], addr[128];
	char nm[ID_TEXT_LEN + 1];
	uint64_t b_w, b_w2, c_w, c_w2, nrows, open0;
	struct sync_report rep;
	enum sync_fail f;
	struct scanned *sc;
	Tongxin__Value v[32];
	struct h_member m;
	int i;

	/* Everyone in the restored server's epoch, then the backup. */
	dev_sync(&B, &S, NULL);
	dev_sync(&C, &S, NULL);
	dev_sync(&A, &S, NULL);
	backup_take("two.bak", file, sizeof file);

	/* Acknowledged since: W is at V1 on B and V2 on C; W2 the other way round. */
	dev_begin(&B);
	dev_update1(&B, TBL_MEMBER, MID[M_W], "phone", "13911110001", 0);
	dev_update1(&B, TBL_MEMBER, MID[M_W2], "phone", "13911110002", 0);
	dev_commit(&B);
	dev_sync(&B, &S, NULL);
	dev_sync(&C, &S, NULL);
	dev_begin(&C);
	dev_update1(&C, TBL_MEMBER, MID[M_W], "job", "C改的岗位", 0);
	dev_commit(&C);
	dev_sync(&C, &S, NULL);
	dev_begin(&B);
	dev_update1(&B, TBL_MEMBER, MID[M_W2], "job", "B改的岗位", 0);
	dev_commit(&B);
	H_CHECK(dev_sync_try(&B, &S, 1, 0, &rep, &f, err, sizeof err) == 0, "B's push: %s", err);
	b_w = rep_version(&B, M_W);
	b_w2 = rep_version(&B, M_W2);
	c_w = rep_version(&C, M_W);
	c_w2 = rep_version(&C, M_W2);
	H_CHECK(b_w < c_w && c_w2 < b_w2, "setup: B holds W at %llu and W2 at %llu, C W at %llu "
	    "and W2 at %llu", (unsigned long long)b_w, (unsigned long long)b_w2,
	    (unsigned long long)c_w, (unsigned long long)c_w2);
	/* B's clerk goes on without syncing: two pending changes of W, one of W2, a new member. */
	dev_begin(&B);
	dev_update1(&B, TBL_MEMBER, MID[M_W], "address", "和平路1号", 0);
	dev_commit(&B);
	dev_begin(&B);
	dev_update1(&B, TBL_MEMBER, MID[M_W], "address", "和平路2号", 0);
	dev_update1(&B, TBL_MEMBER, MID[M_W], "phone", "13911110009", 0);
	dev_commit(&B);
	dev_begin(&B);
	dev_update1(&B, TBL_MEMBER, MID[M_W2], "address", "幸福路3号", 0);
	h_member_vals(v, &m, sq01b1, NULL);
	dev_insert(&B, TBL_MEMBER, v, nm);
	dev_commit(&B);

	snprintf(old_epoch, sizeof old_epoch, "%s", EP.epoch);
	restore_from(file);
	open0 = (uint64_t)srv_int("SELECT count(*) FROM conflict WHERE status = 'open'", NULL,
	    NULL);

	/* Rule 3 once more: the epoch of before this restore is another epoch now. */
	{
		Tongxin__Row *none[1];
		struct answer a;
		recover_send(D_RC, old_epoch, none, 0, 1, &a);
		H_CHECK(a.rc == -1 && a.code == TONGXIN__ERROR_CODE__ERR_BAD_REQUEST, "rule 3: a "
		    "request naming the epoch before the restore: rc %d code %d (%s)", a.rc, a.code,
		    a.err);
		H_CHECK(srv_int("SELECT count(*) FROM recovery", NULL, NULL) == 0, "rule 3: the "
		    "refused request was recorded");
	}

	/* Rule 7: what B's replica sends back. */
	sc = calloc(1, sizeof *sc);
	H_CHECK(sc != NULL, "out of memory");
	sc->max = 1;
	H_CHECK(rep_recover_scan(B.r, EP.restored_version, EP.version_floor, 1, scan_each, sc,
	    &nrows, err, sizeof err) == 0, "rep_recover_scan: %s", err);
	H_CHECK(sc->lasts == 1 && sc->last_call == sc->calls && sc->over_max == 0 &&
	    (uint64_t)sc->n == nrows, "rule 7: %d batches, last set %d times (on call %d), %d over "
	    "the size, %d rows seen of %llu", sc->calls, sc->lasts, sc->last_call, sc->over_max,
	    sc->n, (unsigned long long)nrows);
	i = scanned_find(sc, MID[M_W]);
	H_CHECK(i >= 0, "rule 7: W (acknowledged at a lost version, changes pending) is not sent");
	H_CHECK(sc->row[i].version == b_w && !sc->row[i].deleted &&
	    strcmp(sc->row[i].phone, "13911110001") == 0 && sc->row[i].address[0] == '\0' &&
	    strcmp(sc->row[i].job, JOB0) == 0, "rule 7: W goes back at version %llu (B holds %llu) "
	    "with phone %s, address \"%s\", job %s; expected its base: 13911110001, no address, "
	    JOB0, (unsigned long long)sc->row[i].version, (unsigned long long)b_w,
	    sc->row[i].phone, sc->row[i].address, sc->row[i].job);
	i = scanned_find(sc, MID[M_W2]);
	H_CHECK(i >= 0 && sc->row[i].version == b_w2 && sc->row[i].address[0] == '\0' &&
	    strcmp(sc->row[i].job, "B改的岗位") == 0, "rule 7: W2 goes back as %s%s, address "
	    "\"%s\"", i < 0 ? "nothing" : "job ", i < 0 ? "" : sc->row[i].job,
	    i < 0 ? "" : sc->row[i].address);
	H_CHECK(scanned_find(sc, nm) < 0, "rule 7: a member made here and never pushed is sent "
	    "back");
	h_log("rule 7: B sends back %d rows, W and W2 as their bases, not its new member", sc->n);
	free(sc);

	/* Rule 8: C recovers first (W at V2, W2 at V1), then B. */
	dev_sync(&C, &S, &rep);
	H_CHECK(rep.restored && rep.recover_applied == 2 && rep.recover_known == 0 &&
	    rep.recover_conflicts == 0 && rep.recover_rejected == 0, "rule 8: C's recovery: "
	    "restored %d, %llu applied, %llu known, %llu conflicts, %llu rejected", rep.restored,
	    (unsigned long long)rep.recover_applied, (unsigned long long)rep.recover_known,
	    (unsigned long long)rep.recover_conflicts, (unsigned long long)rep.recover_rejected);
	dev_sync(&B, &S, &rep);
	H_CHECK(rep.restored && rep.recover_applied == 1 && rep.recover_known == 1 &&
	    rep.recover_conflicts == 0 && rep.recover_rejected == 0, "rule 8: B's recovery: "
	    "restored %d, %llu applied, %llu known, %llu conflicts, %llu rejected", rep.restored,
	    (unsigned long long)rep.recover_applied, (unsigned long long)rep.recover_known,
	    (unsigned long long)rep.recover_conflicts, (unsigned long long)rep.recover_rejected);
	H_CHECK(rep.pushed_txns == 3 && rep.acks.conflict == 0 && rep.acks.rejected == 0 &&
	    rep.acks.applied + rep.acks.merged == 3, "rule 8: B's pending changes after its "
	    "recovery: %lld pushed, %lld applied, %lld merged, %lld conflicts, %lld rejected",
	    (long long)rep.pushed_txns, (long long)rep.acks.applied, (long long)rep.acks.merged,
	    (long long)rep.acks.conflict, (long long)rep.acks.rejected);
	srv_col(M_W, "phone", phone, sizeof phone);
	srv_col(M_W, "job", job, sizeof job);
	srv_col(M_W, "coalesce(address, '')", addr, sizeof addr);
	H_CHECK(strcmp(phone, "13911110009") == 0 && strcmp(job, "C改的岗位") == 0 &&
	    strcmp(addr, "和平路2号") == 0, "rule 8: W on the server is %s / %s / %s; expected B's "
	    "pending phone and address on C's acknowledged job", phone, job, addr);
	srv_col(M_W2, "phone", phone, sizeof phone);
	srv_col(M_W2, "job", job, sizeof job);
	srv_col(M_W2, "coalesce(address, '')", addr, sizeof addr);
	H_CHECK(strcmp(phone, "13911110002") == 0 && strcmp(job, "B改的岗位") == 0 &&
	    strcmp(addr, "幸福路3号") == 0, "rule 8: W2 on the server is %s / %s / %s; expected "
	    "B's acknowledged phone and job and its pending address", phone, job, addr);
	H_CHECK(srv_int("SELECT count(*) FROM member WHERE id = ?1 AND _deleted = 0", nm, NULL) == 1,
	    "rule 8: B's new member did not reach the server");
	H_CHECK((uint64_t)srv_int("SELECT count(*) FROM conflict WHERE status = 'open'", NULL,
	    NULL) == open0, "rule 8: the recovery queued conflicts");
	dev_sync(&A, &S, &rep);
	H_CHECK(rep.restored && rep.recover_rows == 0, "A's recovery sent %llu rows",
	    (unsigned long long)rep.recover_rows);
	dev_sync(&C, &S, NULL);
	dev_sync(&B, &S, &rep);
	H_CHECK(!rep.restored, "B recovered twice");
	h_require_equal(&S, &A);
	h_require_equal(&S, &B);
	h_require_equal(&S, &C);
	h_log("rule 8: C then B recovered; B's pending changes are on the server; all converge");
}

int
main(void)
{
	h_init("test_server_recover", 15);
	setup();
	stretch_never_restored();
	stretch_table();
	stretch_replicas();
	srv_stop(&S);
	dev_close(&A);
	dev_close(&B);
	dev_close(&C);
	return h_done();
}
