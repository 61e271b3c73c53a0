/*
 * fuzz_store.c - libFuzzer target: a hostile community office pushes
 * whatever it likes at the store, and nothing outside its subtree changes.
 *
 * Set-up, once per process: a store in a private folder (on /dev/shm when
 * there is one: every push ends in an fsync) holding a street JD01, its
 * communities SQ01 and SQ02 with branches (one of SQ01's dissolved),
 * members (one deleted on each side), meetings with attendance, list items,
 * an activist (applicant) and a sanction (discipline) on each side,
 * transfers in every state (SQ01 -> SQ02 accepted and pending, SQ02 -> SQ01
 * pending and rejected), an open conflict of the office, and transactions
 * 1..OFFICE_SEQS that the office SQ01 has already pushed (applied, rejected,
 * conflict), so their sequence numbers are taken. The three devices are in
 * the device table. That file is the template: every input starts from a
 * fresh copy of it, so an input means the same thing whenever it runs.
 *
 * An input is pushed as the office of SQ01 (scope /JD01/SQ01/). Its first
 * byte picks how the rest is read:
 *   byte0 % 4 == 0  raw: the rest is a PushRequest in wire form, decoded by
 *                   the server's own frame_decode() (bounded arena) as the
 *                   push field of an Envelope;
 *   otherwise       structured: the bytes drive a generator of plausible
 *                   transactions (ids of real rows of both communities and
 *                   of rows inserted earlier in the same input, column
 *                   indexes 0..40 and far beyond, every op and some that do
 *                   not exist, reused and re-sent sequence numbers,
 *                   transfers from and to either community, values of every
 *                   type, valid citizen ID numbers, other rows' unique values).
 *
 * Mode 2 (the target fuzz_store_resolve, or TX_FUZZ_RESOLVE=1): after the
 * push, the street's administrator settles every open conflict of the office
 * with take-office. Take-office applies the office's transaction: it must do
 * so within the office's scope.
 *
 * Mode 3 (the target fuzz_store_recover, or TX_FUZZ_RECOVER=1): the template
 * is what a restore leaves (issue 12, item 7): meta restored_version = the
 * template's version, version_floor = restored_version + RESTORE_VERSION_GAP,
 * a fixed new epoch (FUZZ_EPOCH, so raw inputs can name it), then a few
 * changes made after the restore (rows above the floor: a recovered copy of
 * them is queued, not written) and one row the street's administrator has
 * already recovered. The office sends RecoverRequests instead of a push:
 *   byte0 % 4 == 0  raw: the rest is one RecoverRequest in wire form, decoded
 *                   by frame_decode() as the recover field of an Envelope;
 *   otherwise       structured: one to three requests (the epoch mostly
 *                   right, done now and then, so a later request meets a
 *                   finished recovery) of rows from the same generator's ids
 *                   (real rows of both communities, new ids, bad ids),
 *                   columns and values; versions inside, at and outside the
 *                   window (restored_version, version_floor); tombstones;
 *                   transfers in every state; the same row again from
 *                   another version; too few or too many values; now and
 *                   then WIRE_MAX_RECOVER_ROWS rows or one more.
 * When byte0 has bit 2 set (or TX_FUZZ_RESOLVE=1), the street's administrator
 * then settles every open conflict of the office with take-office, as in
 * mode 2: the recovered ones ("recovered", their sequence the version the
 * row had before the restore) too.
 * Its oracle is the scope oracle below (nothing outside SQ01's subtree
 * changes, no row disappears, every live row obeys the rules, the office's
 * community stays), plus: store_recover returns 0 with counts that add up to
 * the rows sent (once the recovery finished: the device's totals again,
 * finished set, nothing changed), as many new conflicts as it counts, no
 * row at a version inside the lost window, a lone copy of a row outside the
 * scope refused or queued, never known (the office learns nothing there); or -1 having changed nothing,
 * and only for a request it must refuse whole (another epoch, too many rows).
 *
 * The oracle, besides ASan and UBSan, after every input:
 *   - store_push returns 0 with one result per transaction (the same seq, a
 *     known status, a conflict id with every conflict), or -1 having changed
 *     nothing; store_conflict_resolve returns 0, or -1 having changed nothing;
 *   - scope: every row that lay outside SQ01's subtree (neither _scope nor
 *     _scope2 under /JD01/SQ01/) is byte for byte what it was, bookkeeping
 *     columns included; the one exception is a member whom another community
 *     asked to transfer to SQ01 and whose transfer the office accepted (the
 *     member must then lie in SQ01). A member that left SQ01 by a transfer is
 *     outside too: take-office of the office's old edit must not touch it.
 *     Every new row lies in SQ01 by its own scope (a transfer's sending side
 *     is the office). No row disappears;
 *   - no push result carries the values of a row outside the scope, and no
 *     result's reason names the id or citizen ID number of one that the input
 *     did not name itself;
 *   - the office's own community is still there: not deleted, dissolved or
 *     re-kinded;
 *   - every live row obeys the rules of common/validate.c: each value, the
 *     row's own rules (citizen ID region and gender digit, probation,
 *     reduction, the applicant's steps...), the organisation tree, members
 *     and applicants only in a branch or a group (the template too).
 * A violation prints the row, the column and both values, then the push's
 * results, and calls __builtin_trap().
 *
 * Environment:
 *   TX_FUZZ_RESOLVE=0|1     override the mode of the target
 *   TX_FUZZ_RECOVER=0|1     override the mode of the target (recovery, mode 3)
 *   TX_FUZZ_LEAKS=0         do not fail when a result's reason names the id or the
 *                           citizen ID number of a row outside the scope that
 *                           the input did not name itself (issue 8, item 2)
 *   TX_FUZZ_RULES=0         do not fail when a live row breaks a rule of
 *                           common/validate.c (a value, the row's own rules, the
 *                           organisation tree, members only in a branch or group)
 *   TX_FUZZ_OWN_ORG=0       do not fail when the office deletes, dissolves or
 *                           re-kinds its own community (issue 8, item 10)
 *   TX_FUZZ_DIR=DIR         where the private folder is made (default /dev/shm,
 *                           else $TMPDIR, else /tmp)
 *   TX_FUZZ_KEEP=1          keep the folder after a violation (the path is printed)
 *   TX_FUZZ_VERBOSE=1       print every result and every resolution
 *   TX_FUZZ_PROFILE=1       print the CPU time per input of each phase at exit
 *   TX_FUZZ_DUMP_RAW=FILE   write each input's push to FILE as a raw-mode input (what
 *                           a structured input means, independent of the generator)
 *   TX_FUZZ_WRITE_SEEDS=DIR write seed inputs into DIR and exit (the corpus in
 *                           tests/fuzz/corpus_store/ was made so)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>
#include <openssl/evp.h>

#include "bounds.h"
#include "db.h"
#include "frame.h"
#include "ids.h"
#include "reason.h"
#include "schema.h"
#include "store.h"
#include "validate.h"

#ifndef TX_FUZZ_RESOLVE_DEFAULT
#define TX_FUZZ_RESOLVE_DEFAULT 0
#endif
#ifndef TX_FUZZ_RECOVER_DEFAULT
#define TX_FUZZ_RECOVER_DEFAULT 0
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define STREET_CODE "JD01"
#define OFFICE_CODE "SQ01"
#define OFFICE_SCOPE "/JD01/SQ01/"
#define OTHER_SCOPE "/JD01/SQ02/"
#define ADMIN_DEV "de000000-0000-7000-8000-000000000001"
#define OFFICE_DEV "de000000-0000-7000-8000-000000000101"
#define OTHER_DEV "de000000-0000-7000-8000-000000000201"
/* The epoch the recovery mode's template was restored into (fixed: raw inputs name it). */
#define FUZZ_EPOCH "e0000000-0000-7000-8000-0000000000e1"

#define MAX_ROWS 256          /* template rows, all tables */
#define MAX_NEW 64            /* rows an input inserts that the generator remembers */
#define MAX_TXNS 6
#define MAX_CHANGES 40

/* Tags of the fixed row ids: "TT0000nn-0000-7000-8000-0000000000nn". */
enum { TAG_ORG = 0x0a, TAG_MEMBER, TAG_MEETING, TAG_ATT, TAG_ITEM, TAG_TRANSFER, TAG_APPLICANT,
	TAG_DISCIPLINE };

/* ------------------------------------------------------------ failures */

static struct {
	char dir[4096];
	char path[4200];         /* the store's file */
	struct store *s;
	int resolve;             /* mode 2 */
	int recover;             /* mode 3 */
	struct store_epoch epoch; /* mode 3: what the restore left */
	int leaks, own_org, rules, keep, verbose;
	int dirty;               /* the store's file differs from the template */
	sqlite3 *aux;            /* the oracle's own connection to the store's file */
	uint8_t tmpl_digest[32]; /* of every synced row and of the bookkeeping tables */
	char street_id[40];
	uint64_t tmpl_hlc;       /* the highest _hlc in the template */
	uint64_t office_seqs;    /* sequences 1..office_seqs are taken */
	uint8_t *office_txn[16]; /* the office's template transactions, packed */
	size_t office_txn_len[16];
	const Tongxin__PushRequest *cur_req;    /* for the failure report */
	const Tongxin__PushResponse *cur_resp;
	const Tongxin__RecoverRequest *cur_rreq;   /* mode 3, for the failure report */
	const Tongxin__RecoverResponse *cur_rresp;
	char cur_resolve[256];   /* the resolution under way, for the failure report */
	const char *dump_raw;    /* TX_FUZZ_DUMP_RAW */
} G;

static struct store_actor office = { .device_id = OFFICE_DEV, .device_name = "office-sq01",
	.role = "office", .scope = OFFICE_SCOPE, .operator_name = "fuzz-clerk" };
static struct store_actor other = { .device_id = OTHER_DEV, .device_name = "office-sq02",
	.role = "office", .scope = OTHER_SCOPE, .operator_name = "other-clerk" };
static struct store_actor admin = { .device_id = ADMIN_DEV, .device_name = "street-admin",
	.role = "admin", .scope = "/" STREET_CODE "/", .operator_name = "fuzz-admin" };

static void
remove_dir(const char *dir)
{
	static const char *const files[] = { "tongxind.db", "tongxind.db-wal",
	    "tongxind.db-shm", "tongxind.db-journal" };
	char p[4300];

	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
}

static void print_profile(void);
static void q_close_all(void);

static void
at_exit(void)
{
	print_profile();
	q_close_all();
	sqlite3_close(G.aux);
	G.aux = NULL;
	if (G.s != NULL) {
		store_close(G.s);
		G.s = NULL;
	}
	if (G.dir[0] != '\0')
		remove_dir(G.dir);
}

static void print_results(void);

/* A broken property: say what, show the push, keep the input (libFuzzer does). */
static void fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void
fail(const char *fmt, ...)
{
	va_list ap;
	char msg[4096];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* Values come from the input: no control character reaches the terminal. */
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	fprintf(stderr, "\n==fuzz_store== INVARIANT BROKEN (%s mode): %s\n",
	    G.recover ? "recover" : G.resolve ? "push + take-office" : "push", msg);
	if (G.recover && G.cur_resolve[0])
		fprintf(stderr, "==fuzz_store== (the office's recovery was done; the template's "
		    "open conflicts and the recovered ones are being settled)\n");
	if (G.cur_resolve[0])
		fprintf(stderr, "==fuzz_store== during %s\n", G.cur_resolve);
	print_results();
	if (G.keep) {
		fprintf(stderr, "==fuzz_store== the store is kept in %s\n", G.dir);
	} else {
		if (G.s != NULL)
			store_close(G.s);
		G.s = NULL;
		remove_dir(G.dir);
	}
	G.dir[0] = '\0';
	fflush(stderr);
	__builtin_trap();
}

/* Set-up could not be made: not the input's fault. */
static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz_store: set-up: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* TX_FUZZ_PROFILE=1: CPU time per phase, printed at exit. */
enum { PH_RESET, PH_GEN, PH_PUSH, PH_CHECK, PH_RESOLVE, PH_COUNT };
static const char *const ph_names[PH_COUNT] = { "reset", "generate", "push", "check", "resolve" };
static double ph_time[PH_COUNT];
static unsigned long ph_inputs;
/* What the inputs reached: results by status, pushes refused, resolutions. */
static unsigned long n_status[5], n_push_failed, n_settled, n_refused;
static int profile;

static double
cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define PHASE(ph, stmt)							\
	do {								\
		double t0_ = profile ? cpu_now() : 0;			\
		stmt;							\
		if (profile)						\
			ph_time[ph] += cpu_now() - t0_;			\
	} while (0)

static void
print_profile(void)
{
	if (!profile || ph_inputs == 0)
		return;
	fprintf(stderr, "fuzz_store: CPU per input over %lu inputs:", ph_inputs);
	for (int i = 0; i < PH_COUNT; i++)
		fprintf(stderr, " %s %.3f ms", ph_names[i], 1e3 * ph_time[i] / (double)ph_inputs);
	if (G.recover) {
		fprintf(stderr, "\nfuzz_store: rows applied %lu, known %lu, conflicts %lu, rejected %lu; "
		    "recoveries failed %lu\n", n_status[0], n_status[1], n_status[2], n_status[3],
		    n_push_failed);
		return;
	}
	fprintf(stderr, "\nfuzz_store: results applied %lu, merged %lu, conflict %lu, rejected %lu; "
	    "pushes failed %lu; take-office settled %lu, refused %lu\n", n_status[0], n_status[1],
	    n_status[2], n_status[3], n_push_failed, n_settled, n_refused);
}

/* ------------------------------------------- memory of one message */

/*
 * Every piece of a generated message is its own malloc, so ASan sees a read
 * past any array; all of them go at once when the input is done.
 */
static void **allocs;
static size_t nallocs, capallocs;

static void *
fz_alloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (p == NULL)
		die("out of memory");
	if (nallocs == capallocs) {
		capallocs = capallocs ? capallocs * 2 : 1024;
		if ((allocs = realloc(allocs, capallocs * sizeof *allocs)) == NULL)
			die("out of memory");
	}
	allocs[nallocs++] = p;
	return p;
}

static char *
fz_strdup(const char *s)
{
	size_t n = strlen(s);
	char *p = fz_alloc(n + 1);
	memcpy(p, s, n);
	return p;
}

static void
fz_release(void)
{
	for (size_t i = 0; i < nallocs; i++)
		free(allocs[i]);
	nallocs = 0;
}

static void *
pb_alloc(void *data, size_t n)
{
	(void)data;
	return fz_alloc(n);
}

static void
pb_free(void *data, void *p)
{
	(void)data;
	(void)p;
}

static ProtobufCAllocator fz_allocator = { pb_alloc, pb_free, NULL };

/* --------------------------------------------------- message builders */

static const char *
fid(int tag, int n, char buf[40])
{
	snprintf(buf, 40, "%02x0000%02x-0000-7000-8000-%012x", tag, n & 0xff, n);
	return buf;
}

static Tongxin__Value *
val_text(const char *s)
{
	Tongxin__Value *v = fz_alloc(sizeof *v);
	tongxin__value__init(v);
	if (s != NULL) {
		v->kind_case = TONGXIN__VALUE__KIND_S;
		v->s = fz_strdup(s);
	}
	return v;
}

static Tongxin__Value *
val_int(int64_t i)
{
	Tongxin__Value *v = fz_alloc(sizeof *v);
	tongxin__value__init(v);
	v->kind_case = TONGXIN__VALUE__KIND_I;
	v->i = i;
	return v;
}

/* "#n" is the integer n, NULL is NULL, anything else is text. */
static Tongxin__Value *
val_spec(const char *spec)
{
	if (spec != NULL && spec[0] == '#')
		return val_int(strtoll(spec + 1, NULL, 10));
	return val_text(spec);
}

static Tongxin__Change *
ch_new(int t, const char *id, Tongxin__Change__Op op)
{
	Tongxin__Change *c = fz_alloc(sizeof *c);

	tongxin__change__init(c);
	c->table = (uint32_t)t;
	c->row_id = fz_strdup(id);
	c->op = op;
	c->cols = fz_alloc(MAX_CHANGES * sizeof *c->cols);
	c->values = fz_alloc(MAX_CHANGES * sizeof *c->values);
	c->before = fz_alloc(MAX_CHANGES * sizeof *c->before);
	return c;
}

/* Add a column by name; before is used unless the change is an insert. */
static void
ch_col(Tongxin__Change *c, const char *col, const char *val, const char *before)
{
	int k = schema_col_index(&schema_tables[c->table], col);

	if (k < 0)
		die("no column %s.%s", schema_tables[c->table].name, col);
	c->cols[c->n_cols++] = (uint32_t)k;
	c->values[c->n_values++] = val_spec(val);
	if (c->op != TONGXIN__CHANGE__OP__OP_INSERT)
		c->before[c->n_before++] = val_spec(before);
}

static Tongxin__Txn *
txn_new(uint64_t seq)
{
	Tongxin__Txn *tx = fz_alloc(sizeof *tx);

	tongxin__txn__init(tx);
	tx->seq = seq;
	tx->hlc = hlc_next(G.tmpl_hlc);
	G.tmpl_hlc = tx->hlc;
	tx->local_time_ms = now_ms();
	tx->operator_name = fz_strdup("setup");
	tx->changes = fz_alloc(MAX_CHANGES * sizeof *tx->changes);
	return tx;
}

static Tongxin__Change *
txn_add(Tongxin__Txn *tx, Tongxin__Change *c)
{
	tx->changes[tx->n_changes++] = c;
	return c;
}

static Tongxin__PushRequest *
push_new(void)
{
	Tongxin__PushRequest *r = fz_alloc(sizeof *r);
	tongxin__push_request__init(r);
	r->txns = fz_alloc(MAX_TXNS * sizeof *r->txns);
	return r;
}

/* Push one set-up transaction and insist on the expected outcome. */
static void
setup_push(const struct store_actor *who, Tongxin__Txn *tx, Tongxin__TxnResult__Status want)
{
	Tongxin__PushRequest req = TONGXIN__PUSH_REQUEST__INIT;
	Tongxin__PushResponse *resp = NULL;
	char err[512] = "";

	req.n_txns = 1;
	req.txns = &tx;
	if (store_push(G.s, who, &req, &resp, err, sizeof err) != 0)
		die("push %s seq %llu: %s", who->device_name, (unsigned long long)tx->seq, err);
	if (resp->n_results != 1 || resp->results[0]->status != want)
		die("push %s seq %llu: status %d, wanted %d: %s", who->device_name,
		    (unsigned long long)tx->seq, resp->n_results ? (int)resp->results[0]->status : -1,
		    (int)want, resp->n_results ? resp->results[0]->reason : "");
	if (who == &office && tx->seq < 16) {
		G.office_txn_len[tx->seq] = tongxin__txn__get_packed_size(tx);
		if ((G.office_txn[tx->seq] = malloc(G.office_txn_len[tx->seq] + 1)) == NULL)
			die("out of memory");
		tongxin__txn__pack(tx, G.office_txn[tx->seq]);
		if (tx->seq > G.office_seqs)
			G.office_seqs = tx->seq;
	}
	tongxin__push_response__free_unpacked(resp, NULL);
	fz_release();
}

/*
 * A valid citizen ID number born on birth (YYYY-MM-DD), numbered n, for a
 * man or a woman: the 17th digit is odd for a man (GB 11643), as the
 * client and the server check against the gender column.
 */
static void
make_id_number(const char *region, const char *birth, unsigned n, int male, char out[19])
{
	snprintf(out, 19, "%.6s%.4s%.2s%.2s%03u", region, birth, birth + 5, birth + 8,
	    (n % 500) * 2 + (male ? 1 : 0));
	out[17] = id_number_check_char(out);
	out[18] = '\0';
}

/* ------------------------------------------------------------ set-up */

struct org_spec { int n; const char *code, *name, *kind, *branch_type; int parent; int dissolved; };
static const struct org_spec orgs[] = {
	{ 1, "SQ01", "幸福社区党委", "community", NULL, 0, 0 },
	{ 2, "SQ02", "和平社区党委", "community", NULL, 0, 0 },
	{ 3, "SQ01-01", "幸福社区第一党支部", "branch", "residential", 1, 0 },
	{ 4, "SQ01-02", "幸福社区离退休党支部", "branch", "retired", 1, 0 },
	{ 5, "SQ02-01", "和平社区第一党支部", "branch", "residential", 2, 0 },
	{ 6, "SQ02-02", "和平社区网格党支部", "branch", "grid", 2, 0 },
	{ 7, "SQ01-09", "幸福社区临时党支部", "branch", "temporary", 1, 1 },
	{ 8, "SQ02-01-G1", "和平社区第一党小组", "group", NULL, 5, 0 },
};

struct member_spec { int n; int org; const char *name, *gender, *birth, *phone; };
static const struct member_spec members[] = {
	{ 1, 3, "张伟", "male", "1958-03-12", "13800000001" },
	{ 2, 3, "王芳", "female", "1972-11-02", "13800000002" },
	{ 3, 3, "李强", "male", "1985-06-30", "13800000003" },
	{ 4, 4, "刘洋", "female", "1949-01-20", "13800000004" },
	{ 5, 3, "陈静", "female", "1990-09-09", "13800000005" },   /* deleted */
	{ 6, 3, "杨磊", "male", "1966-04-15", "13800000006" },    /* transferred to SQ02 */
	{ 11, 5, "赵敏", "female", "1963-08-08", "13900000011" },
	{ 12, 5, "孙浩", "male", "1979-12-24", "13900000012" },
	{ 13, 5, "周杰", "male", "1988-02-29", "13900000013" },   /* transfer to SQ01 rejected */
	{ 14, 6, "吴霞", "female", "1955-07-07", "13900000014" },  /* transfer to SQ01 pending */
	{ 15, 6, "郑凯", "male", "1992-05-05", "13900000015" },   /* deleted */
};

static const char *
org_id(int n, char buf[40])
{
	if (n == 0) {
		snprintf(buf, 40, "%s", G.street_id);
		return buf;
	}
	return fid(TAG_ORG, n, buf);
}

static Tongxin__Change *
member_insert(const struct member_spec *m)
{
	char id[40], org[40], idn[19], join[11], full[11];
	Tongxin__Change *c = ch_new(TBL_MEMBER, fid(TAG_MEMBER, m->n, id), TONGXIN__CHANGE__OP__OP_INSERT);

	make_id_number(m->n < 10 ? "110105" : "110108", m->birth, (unsigned)m->n * 7,
	    strcmp(m->gender, "male") == 0, idn);
	date_add_years(m->birth, 22, join);
	date_add_years(m->birth, 23, full);
	ch_col(c, "name", m->name, NULL);
	ch_col(c, "gender", m->gender, NULL);
	ch_col(c, "ethnicity", "汉族", NULL);
	ch_col(c, "id_number", idn, NULL);
	ch_col(c, "birth_date", m->birth, NULL);
	ch_col(c, "education", "bachelor", NULL);
	ch_col(c, "category", "full", NULL);
	ch_col(c, "org_id", org_id(m->org, org), NULL);
	ch_col(c, "join_date", join, NULL);
	ch_col(c, "full_date", full, NULL);
	ch_col(c, "phone", m->phone, NULL);
	ch_col(c, "address", "幸福路1号", NULL);
	ch_col(c, "standing", "normal", NULL);
	ch_col(c, "retired", m->org == 4 ? "#1" : "#0", NULL);
	return c;
}

static Tongxin__Change *
transfer_insert(int n, int member, int from, const char *to_code, const char *name)
{
	char id[40], b[40];
	Tongxin__Change *c = ch_new(TBL_TRANSFER, fid(TAG_TRANSFER, n, id), TONGXIN__CHANGE__OP__OP_INSERT);

	ch_col(c, "member_id", fid(TAG_MEMBER, member, b), NULL);
	ch_col(c, "from_org_id", org_id(from, b), NULL);
	ch_col(c, "to_org_code", to_code, NULL);
	ch_col(c, "member_name", name, NULL);
	ch_col(c, "requested_on", "2024-03-01", NULL);
	ch_col(c, "reason", "搬家", NULL);
	ch_col(c, "status", "requested", NULL);
	return c;
}

static void
enrol(const char *id, const char *name, const char *code, const char *role, const char *serial)
{
	struct store_device d;
	char err[256];

	memset(&d, 0, sizeof d);
	snprintf(d.id, sizeof d.id, "%s", id);
	snprintf(d.name, sizeof d.name, "%s", name);
	snprintf(d.org_code, sizeof d.org_code, "%s", code);
	snprintf(d.role, sizeof d.role, "%s", role);
	snprintf(d.serial, sizeof d.serial, "%s", serial);
	d.enrolled_at = now_ms();
	if (store_device_add(G.s, &d, err, sizeof err) != 0)
		die("device %s: %s", name, err);
}

static void
build_template(void)
{
	const Tongxin__TxnResult__Status OK = TONGXIN__TXN_RESULT__STATUS__APPLIED;
	char err[512] = "", a[40], b[40], today[11];
	Tongxin__Txn *tx;
	Tongxin__Change *c;
	uint64_t aseq = 1, pseq = 1, oseq = 1;

	today_str(today);
	if ((G.s = store_open(G.dir, 1, err, sizeof err)) == NULL)
		die("store_open: %s", err);
	if (store_init_street(G.s, "同心街道", STREET_CODE, err, sizeof err) != 0)
		die("store_init_street: %s", err);
	if (store_setting(G.s, "street_id", G.street_id, sizeof G.street_id) != 0)
		die("no street_id setting");
	enrol(ADMIN_DEV, admin.device_name, STREET_CODE, "admin", "f001");
	enrol(OFFICE_DEV, office.device_name, OFFICE_CODE, "office", "f101");
	enrol(OTHER_DEV, other.device_name, "SQ02", "office", "f201");

	/* The street's administrator: the organisation tree. */
	tx = txn_new(aseq++);
	for (size_t i = 0; i < sizeof orgs / sizeof orgs[0]; i++) {
		c = txn_add(tx, ch_new(TBL_ORG, fid(TAG_ORG, orgs[i].n, a), TONGXIN__CHANGE__OP__OP_INSERT));
		ch_col(c, "code", orgs[i].code, NULL);
		ch_col(c, "name", orgs[i].name, NULL);
		ch_col(c, "kind", orgs[i].kind, NULL);
		if (orgs[i].branch_type)
			ch_col(c, "branch_type", orgs[i].branch_type, NULL);
		ch_col(c, "parent_id", org_id(orgs[i].parent, b), NULL);
		ch_col(c, "secretary", "书记", NULL);
		ch_col(c, "founded_on", "2010-07-01", NULL);
		ch_col(c, "term_start", "2021-07-01", NULL);
		ch_col(c, "term_end", "2026-06-30", NULL);
		ch_col(c, "dissolved", "#0", NULL);
	}
	setup_push(&admin, tx, OK);
	/* A dissolved branch in SQ01. */
	tx = txn_new(aseq++);
	c = txn_add(tx, ch_new(TBL_ORG, fid(TAG_ORG, 7, a), TONGXIN__CHANGE__OP__OP_UPDATE));
	ch_col(c, "dissolved", "#1", "#0");
	setup_push(&admin, tx, OK);

	/* Members of both communities. */
	tx = txn_new(aseq++);
	for (size_t i = 0; i < sizeof members / sizeof members[0]; i++)
		txn_add(tx, member_insert(&members[i]));
	setup_push(&admin, tx, OK);

	/* A meeting in each community with attendance, and list items. */
	tx = txn_new(aseq++);
	for (int k = 0; k < 2; k++) {
		int br = k ? 5 : 3, m0 = k ? 11 : 1;
		c = txn_add(tx, ch_new(TBL_MEETING, fid(TAG_MEETING, k + 1, a), TONGXIN__CHANGE__OP__OP_INSERT));
		ch_col(c, "org_id", org_id(br, b), NULL);
		ch_col(c, "kind", "committee_meeting", NULL);
		ch_col(c, "held_on", "2024-05-10", NULL);
		ch_col(c, "topic", k ? "和平社区支委会" : "幸福社区支委会", NULL);
		ch_col(c, "host", "书记", NULL);
		ch_col(c, "minutes", "会议记录", NULL);
		for (int j = 0; j < 2; j++) {
			c = txn_add(tx, ch_new(TBL_ATTENDANCE, fid(TAG_ATT, k * 10 + j + 1, a),
			    TONGXIN__CHANGE__OP__OP_INSERT));
			ch_col(c, "meeting_id", fid(TAG_MEETING, k + 1, b), NULL);
			ch_col(c, "member_id", fid(TAG_MEMBER, m0 + j, b), NULL);
			ch_col(c, "status", j ? "excused" : "present", NULL);
			if (j)
				ch_col(c, "reason", "出差", NULL);
		}
		c = txn_add(tx, ch_new(TBL_LIST_ITEM, fid(TAG_ITEM, k + 1, a), TONGXIN__CHANGE__OP__OP_INSERT));
		ch_col(c, "org_id", org_id(br, b), NULL);
		ch_col(c, "kind", "problem", NULL);
		ch_col(c, "title", k ? "楼道堆物" : "路灯不亮", NULL);
		ch_col(c, "due_on", "2024-12-31", NULL);
		ch_col(c, "status", "open", NULL);
	}
	setup_push(&admin, tx, OK);

	/*
	 * The member's life (issue 10): an activist in each community, named by
	 * its branch committee a year after applying, and a sanction on a
	 * member of each (a 留党察看 with its end in SQ01, a 警告 in SQ02).
	 */
	tx = txn_new(aseq++);
	for (int k = 0; k < 2; k++) {
		char idn[19];
		const char *birth = k ? "1996-09-18" : "1998-04-01";
		c = txn_add(tx, ch_new(TBL_APPLICANT, fid(TAG_APPLICANT, k + 1, a),
		    TONGXIN__CHANGE__OP__OP_INSERT));
		ch_col(c, "org_id", org_id(k ? 5 : 3, b), NULL);
		ch_col(c, "name", k ? "古丽·阿不都" : "林晓燕", NULL);
		ch_col(c, "gender", "female", NULL);
		ch_col(c, "ethnicity", k ? "维吾尔族" : "汉族", NULL);
		make_id_number(k ? "650102" : "110105", birth, 40 + (unsigned)k, 0, idn);
		ch_col(c, "id_number", idn, NULL);
		ch_col(c, "birth_date", birth, NULL);
		ch_col(c, "education", "bachelor", NULL);
		ch_col(c, "stage", "activist", NULL);
		ch_col(c, "applied_on", "2023-03-01", NULL);
		ch_col(c, "activist_on", "2024-05-10", NULL);
		ch_col(c, "activist_meeting_id", fid(TAG_MEETING, k + 1, b), NULL);
		c = txn_add(tx, ch_new(TBL_DISCIPLINE, fid(TAG_DISCIPLINE, k + 1, a),
		    TONGXIN__CHANGE__OP__OP_INSERT));
		ch_col(c, "member_id", fid(TAG_MEMBER, k ? 12 : 3, b), NULL);
		ch_col(c, "kind", k ? "warning" : "probation", NULL);
		ch_col(c, "decided_on", "2024-02-20", NULL);
		ch_col(c, "decided_by", "街道党工委", NULL);
		ch_col(c, "grounds", "违反组织纪律", NULL);
		if (!k)
			ch_col(c, "until", "2025-02-20", NULL);
	}
	setup_push(&admin, tx, OK);

	/* One deleted member on each side. */
	tx = txn_new(aseq++);
	txn_add(tx, ch_new(TBL_MEMBER, fid(TAG_MEMBER, 5, a), TONGXIN__CHANGE__OP__OP_DELETE));
	txn_add(tx, ch_new(TBL_MEMBER, fid(TAG_MEMBER, 15, a), TONGXIN__CHANGE__OP__OP_DELETE));
	setup_push(&admin, tx, OK);

	/* The office: what it has already pushed (sequences 1..N are taken). */
	tx = txn_new(oseq++);
	c = txn_add(tx, ch_new(TBL_LIST_ITEM, fid(TAG_ITEM, 3, a), TONGXIN__CHANGE__OP__OP_INSERT));
	ch_col(c, "org_id", org_id(4, b), NULL);
	ch_col(c, "kind", "need", NULL);
	ch_col(c, "title", "老人助餐", NULL);
	ch_col(c, "status", "open", NULL);
	setup_push(&office, tx, OK);

	tx = txn_new(oseq++);
	c = txn_add(tx, ch_new(TBL_MEMBER, fid(TAG_MEMBER, 1, a), TONGXIN__CHANGE__OP__OP_UPDATE));
	ch_col(c, "phone", "13811111111", members[0].phone);
	setup_push(&office, tx, OK);

	/* SQ01 -> SQ02: one to be accepted by SQ02, one left pending. */
	tx = txn_new(oseq++);
	txn_add(tx, transfer_insert(1, 6, 3, "SQ02-01", "杨磊"));
	setup_push(&office, tx, OK);
	tx = txn_new(oseq++);
	txn_add(tx, transfer_insert(2, 2, 3, "SQ02-02", "王芳"));
	setup_push(&office, tx, OK);

	/* A write outside its scope, refused and kept in txn_log. */
	tx = txn_new(oseq++);
	c = txn_add(tx, ch_new(TBL_MEMBER, fid(TAG_MEMBER, 12, a), TONGXIN__CHANGE__OP__OP_UPDATE));
	ch_col(c, "phone", "13000000000", members[7].phone);
	setup_push(&office, tx, TONGXIN__TXN_RESULT__STATUS__REJECTED);

	/* A same-field clash, left open in the queue. */
	tx = txn_new(oseq++);
	c = txn_add(tx, ch_new(TBL_MEMBER, fid(TAG_MEMBER, 3, a), TONGXIN__CHANGE__OP__OP_UPDATE));
	ch_col(c, "name", "李强强", "李墙");
	setup_push(&office, tx, TONGXIN__TXN_RESULT__STATUS__CONFLICT);

	/* SQ02: accepts the first transfer, asks for two of its own to SQ01. */
	tx = txn_new(pseq++);
	c = txn_add(tx, ch_new(TBL_TRANSFER, fid(TAG_TRANSFER, 1, a), TONGXIN__CHANGE__OP__OP_UPDATE));
	ch_col(c, "status", "accepted", "requested");
	ch_col(c, "decided_on", today, NULL);
	setup_push(&other, tx, OK);
	tx = txn_new(pseq++);
	txn_add(tx, transfer_insert(3, 14, 6, "SQ01-01", "吴霞"));
	setup_push(&other, tx, OK);
	tx = txn_new(pseq++);
	txn_add(tx, transfer_insert(4, 13, 5, "SQ01-02", "周杰"));
	setup_push(&other, tx, OK);

	/* The office turns the second one down. */
	tx = txn_new(oseq++);
	c = txn_add(tx, ch_new(TBL_TRANSFER, fid(TAG_TRANSFER, 4, a), TONGXIN__CHANGE__OP__OP_UPDATE));
	ch_col(c, "status", "rejected", "requested");
	ch_col(c, "decided_on", today, NULL);
	ch_col(c, "decision_note", "不在本社区居住", NULL);
	setup_push(&office, tx, OK);
	(void)aseq;
}

/* The synced columns of a row, read from db into v (schema order); 0, or -1 when absent. */
static int
read_row_values(sqlite3 *db, int t, const char *id, Tongxin__Value *v)
{
	const struct table_def *td = &schema_tables[t];
	char sql[4096];
	size_t n = 0;
	sqlite3_stmt *st;
	int rc;

	n += (size_t)snprintf(sql + n, sizeof sql - n, "SELECT ");
	for (int k = 0; k < td->ncols && n < sizeof sql; k++)
		n += (size_t)snprintf(sql + n, sizeof sql - n, "%s\"%s\"", k ? ", " : "",
		    td->cols[k].name);
	snprintf(sql + n, sizeof sql - n, " FROM %s WHERE id = ?1", td->name);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		die("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int k = 0; k < td->ncols; k++) {
			tongxin__value__init(&v[k]);
			if (sqlite3_column_type(st, k) == SQLITE_INTEGER) {
				v[k].kind_case = TONGXIN__VALUE__KIND_I;
				v[k].i = sqlite3_column_int64(st, k);
			} else if (sqlite3_column_type(st, k) != SQLITE_NULL) {
				v[k].kind_case = TONGXIN__VALUE__KIND_S;
				v[k].s = fz_strdup((const char *)sqlite3_column_text(st, k));
			}
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/*
 * Mode 3: the template becomes what a restore leaves (as store_restore's
 * restored_prepare does it): the epoch FUZZ_EPOCH, restored_version = the
 * template's version, version_floor = that + RESTORE_VERSION_GAP, the
 * version counter at the floor, nothing recovered. The store reads its
 * epoch at store_open, so it is closed and opened again. Then what happens
 * after a restore: the street changes a member on each side and the office
 * an item (rows above the floor: a recovered copy of them is queued), and
 * the street's administrator recovers a member of SQ01 from
 * restored_version + 100 (an older copy is known, a newer one written).
 */
static void
restore_template(void)
{
	const Tongxin__TxnResult__Status OK = TONGXIN__TXN_RESULT__STATUS__APPLIED;
	Tongxin__RecoverRequest req = TONGXIN__RECOVER_REQUEST__INIT;
	Tongxin__RecoverResponse *out = NULL;
	Tongxin__Row row = TONGXIN__ROW__INIT, *rowp = &row;
	Tongxin__Value *vals[64], v4[64];
	const struct table_def *mt = &schema_tables[TBL_MEMBER];
	char err[512] = "", a[40];
	sqlite3 *db = NULL;
	Tongxin__Txn *tx;
	Tongxin__Change *c;
	uint64_t v;

	store_close(G.s);
	G.s = NULL;
	if (sqlite3_open_v2(G.path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		die("open %s: %s", G.path, sqlite3_errmsg(db));
	v = (uint64_t)db_meta_get_int(db, "version", 0);
	if (v == 0 || sqlite3_exec(db, "BEGIN; DELETE FROM recovered; DELETE FROM recovery",
	    NULL, NULL, NULL) != SQLITE_OK ||
	    db_meta_set(db, "epoch", FUZZ_EPOCH) != 0 ||
	    db_meta_set_int(db, "restored_version", (int64_t)v) != 0 ||
	    db_meta_set_int(db, "version_floor", (int64_t)(v + RESTORE_VERSION_GAP)) != 0 ||
	    db_meta_set_int(db, "version", (int64_t)(v + RESTORE_VERSION_GAP)) != 0 ||
	    db_meta_set_int(db, "restored_at", now_ms()) != 0 ||
	    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		die("cannot make the template a restored one: %s", sqlite3_errmsg(db));
	sqlite3_close(db);
	if ((G.s = store_open(G.dir, 0, err, sizeof err)) == NULL)
		die("store_open after the restore: %s", err);
	store_epoch(G.s, &G.epoch);
	if (strcmp(G.epoch.epoch, FUZZ_EPOCH) != 0 || G.epoch.restored_version != v ||
	    G.epoch.version_floor != v + RESTORE_VERSION_GAP)
		die("the store did not take the restored epoch");

	/* After the restore: the street changes a member on each side, the office an item. */
	tx = txn_new(100);
	c = txn_add(tx, ch_new(TBL_MEMBER, fid(TAG_MEMBER, 3, a), TONGXIN__CHANGE__OP__OP_UPDATE));
	ch_col(c, "address", "复原后路3号", "幸福路1号");
	c = txn_add(tx, ch_new(TBL_MEMBER, fid(TAG_MEMBER, 12, a), TONGXIN__CHANGE__OP__OP_UPDATE));
	ch_col(c, "address", "复原后路12号", "幸福路1号");
	setup_push(&admin, tx, OK);
	tx = txn_new(G.office_seqs + 1);
	c = txn_add(tx, ch_new(TBL_LIST_ITEM, fid(TAG_ITEM, 1, a), TONGXIN__CHANGE__OP__OP_UPDATE));
	ch_col(c, "title", "路灯已报修", "路灯不亮");
	setup_push(&office, tx, OK);

	/* The street's administrator recovered member 4 from a later version. */
	if (mt->ncols > 64 || sqlite3_open_v2(G.path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    read_row_values(db, TBL_MEMBER, fid(TAG_MEMBER, 4, a), v4) != 0)
		die("cannot read member 4: %s", sqlite3_errmsg(db));
	sqlite3_close(db);
	v4[schema_col_index(mt, "phone")] = *val_text("13800000044");
	for (int k = 0; k < mt->ncols; k++)
		vals[k] = &v4[k];
	row.table = TBL_MEMBER;
	row.row_id = fz_strdup(a);
	row.version = v + 100;
	row.values = vals;
	row.n_values = (size_t)mt->ncols;
	req.epoch = (char *)FUZZ_EPOCH;
	req.rows = &rowp;
	req.n_rows = 1;
	if (store_recover(G.s, &admin, &req, &out, err, sizeof err) != 0)
		die("the administrator's recovery: %s", err);
	if (out->applied != 1)
		die("the administrator's recovery: applied %u, known %u, conflicts %u, rejected %u",
		    out->applied, out->known, out->conflicts, out->rejected);
	tongxin__recover_response__free_unpacked(out, NULL);
	fz_release();
}

/* ----------------------------------------------- the template's rows */

/* A row as the template holds it: every column of SELECT *, rendered. */
struct trow {
	int t;
	char id[64];
	char scope[512], scope2[512];
	int outside;              /* neither scope under OFFICE_SCOPE: must not change */
	int id_known;             /* outside, but its id is a value of a row the office pulls */
	int deleted;
	uint64_t version;
	char **repr;              /* per column of SELECT * */
	Tongxin__Value *v;        /* the synced columns, schema order */
};

static struct trow rows[MAX_ROWS];
static int nrows;
static char **colnames[TBL_COUNT];
static int ncolall[TBL_COUNT];
static int by_table[TBL_COUNT][MAX_ROWS], nby_table[TBL_COUNT];
/* Pending transfers that another community addressed to SQ01. */
static int inbound[16], ninbound;
static const char *org_codes[32];
static int norg_codes;

static int
office_sees(const char *scope)
{
	return scope != NULL && strncmp(scope, OFFICE_SCOPE, strlen(OFFICE_SCOPE)) == 0;
}

/* Render column i of st's current row; returns buf (grown as needed). */
static char *
repr(sqlite3_stmt *st, int i, char **buf, size_t *cap)
{
	size_t need;
	const unsigned char *p;
	int n;

	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL:
		need = 2;
		break;
	case SQLITE_INTEGER:
	case SQLITE_FLOAT:
		need = 48;
		break;
	default:
		need = 2 * (size_t)sqlite3_column_bytes(st, i) + 4;
	}
	if (need > *cap) {
		*cap = need * 2;
		if ((*buf = realloc(*buf, *cap)) == NULL)
			die("out of memory");
	}
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL:
		snprintf(*buf, *cap, "-");
		break;
	case SQLITE_INTEGER:
		snprintf(*buf, *cap, "i:%lld", (long long)sqlite3_column_int64(st, i));
		break;
	case SQLITE_FLOAT:
		snprintf(*buf, *cap, "r:%.17g", sqlite3_column_double(st, i));
		break;
	case SQLITE_TEXT:
		p = sqlite3_column_text(st, i);
		n = sqlite3_column_bytes(st, i);
		(*buf)[0] = 't';
		(*buf)[1] = ':';
		memcpy(*buf + 2, p, (size_t)n);
		(*buf)[2 + n] = '\0';
		/* Text with a NUL in it is told apart by its hex form. */
		if (memchr(p, 0, (size_t)n) == NULL)
			break;
		/* fall through */
	default:
		p = sqlite3_column_blob(st, i);
		n = sqlite3_column_bytes(st, i);
		(*buf)[0] = 'x';
		(*buf)[1] = ':';
		for (int k = 0; k < n; k++)
			snprintf(*buf + 2 + 2 * k, 3, "%02x", p[k]);
		(*buf)[2 + 2 * n] = '\0';
	}
	return *buf;
}

/*
 * The oracle reads the store's file through its own connection, never
 * through the store. Its statements are prepared once and kept; each use
 * ends with q_done(), so no read transaction outlives a check.
 */
static struct {
	char *sql;
	sqlite3_stmt *st;
} qcache[512];
static int nqcache;

static sqlite3_stmt *
q(const char *sql)
{
	sqlite3_stmt *st;

	for (int i = 0; i < nqcache; i++)
		if (strcmp(qcache[i].sql, sql) == 0)
			return qcache[i].st;
	if (sqlite3_prepare_v3(G.aux, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
		die("prepare %s: %s", sql, sqlite3_errmsg(G.aux));
	if (nqcache == (int)(sizeof qcache / sizeof qcache[0]))
		die("too many kept statements");
	qcache[nqcache].sql = strdup(sql);
	qcache[nqcache++].st = st;
	return st;
}

static void
q_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static void
q_close_all(void)
{
	for (int i = 0; i < nqcache; i++) {
		sqlite3_finalize(qcache[i].st);
		free(qcache[i].sql);
	}
	nqcache = 0;
}

static int
col_of(int t, const char *name)
{
	for (int i = 0; i < ncolall[t]; i++)
		if (strcmp(colnames[t][i], name) == 0)
			return i;
	die("table %s has no column %s", schema_tables[t].name, name);
}

/* The text of a template row's synced column, or NULL. */
static const char *
tv(const struct trow *r, const char *col)
{
	int k = schema_col_index(&schema_tables[r->t], col);
	return k >= 0 && r->v[k].kind_case == TONGXIN__VALUE__KIND_S ? r->v[k].s : NULL;
}

static void
load_template_rows(void)
{
	char sql[256], *buf = NULL;
	size_t cap = 0;

	for (int t = 0; t < TBL_COUNT; t++) {
		const struct table_def *td = &schema_tables[t];
		sqlite3_stmt *st;
		int idc, sc, s2c, dc, vc;

		snprintf(sql, sizeof sql, "SELECT * FROM %s ORDER BY id", td->name);
		st = q(sql);
		ncolall[t] = sqlite3_column_count(st);
		colnames[t] = calloc((size_t)ncolall[t], sizeof *colnames[t]);
		for (int i = 0; i < ncolall[t]; i++)
			colnames[t][i] = strdup(sqlite3_column_name(st, i));
		idc = col_of(t, "id");
		sc = col_of(t, "_scope");
		s2c = col_of(t, "_scope2");
		dc = col_of(t, "_deleted");
		vc = col_of(t, "_version");
		while (sqlite3_step(st) == SQLITE_ROW) {
			struct trow *r;
			if (nrows == MAX_ROWS)
				die("more than %d rows in the template", MAX_ROWS);
			r = &rows[nrows];
			r->t = t;
			snprintf(r->id, sizeof r->id, "%s", (const char *)sqlite3_column_text(st, idc));
			snprintf(r->scope, sizeof r->scope, "%s", (const char *)sqlite3_column_text(st, sc));
			if (sqlite3_column_type(st, s2c) != SQLITE_NULL)
				snprintf(r->scope2, sizeof r->scope2, "%s",
				    (const char *)sqlite3_column_text(st, s2c));
			r->outside = !office_sees(r->scope) && !office_sees(r->scope2);
			r->deleted = sqlite3_column_int(st, dc);
			r->version = (uint64_t)sqlite3_column_int64(st, vc);
			r->repr = calloc((size_t)ncolall[t], sizeof *r->repr);
			r->v = calloc((size_t)td->ncols, sizeof *r->v);
			for (int i = 0; i < ncolall[t]; i++)
				r->repr[i] = strdup(repr(st, i, &buf, &cap));
			for (int k = 0; k < td->ncols; k++) {
				int i = col_of(t, td->cols[k].name);
				tongxin__value__init(&r->v[k]);
				switch (sqlite3_column_type(st, i)) {
				case SQLITE_INTEGER:
					r->v[k].kind_case = TONGXIN__VALUE__KIND_I;
					r->v[k].i = sqlite3_column_int64(st, i);
					break;
				case SQLITE_TEXT:
					r->v[k].kind_case = TONGXIN__VALUE__KIND_S;
					r->v[k].s = strdup((const char *)sqlite3_column_text(st, i));
					break;
				default:
					break;
				}
			}
			{
				int hc = col_of(t, "_hlc");
				uint64_t h = (uint64_t)sqlite3_column_int64(st, hc);
				if (h > G.tmpl_hlc)
					G.tmpl_hlc = h;
			}
			by_table[t][nby_table[t]++] = nrows;
			nrows++;
		}
		q_done(st);
	}
	free(buf);
	for (int i = 0; i < nrows; i++) {
		const struct trow *r = &rows[i];
		if (r->t == TBL_ORG && tv(r, "code") && norg_codes < 32)
			org_codes[norg_codes++] = tv(r, "code");
		if (r->t == TBL_TRANSFER && !office_sees(r->scope) && office_sees(r->scope2) &&
		    tv(r, "status") && strcmp(tv(r, "status"), "requested") == 0 && ninbound < 16)
			inbound[ninbound++] = i;
	}
	if (ninbound == 0)
		die("no pending transfer to SQ01 in the template");
	/* A row the office pulls shows its values, ids of rows outside the scope
	 * included (a transfer's destination branch): a reason naming such an id
	 * tells the office nothing new. */
	for (int j = 0; j < nrows; j++) {
		if (!rows[j].outside)
			continue;
		for (int i = 0; i < nrows && !rows[j].id_known; i++) {
			if (rows[i].outside)
				continue;
			for (int c = 0; c < ncolall[rows[i].t]; c++)
				if (strcmp(colnames[rows[i].t][c], "id") != 0 &&
				    strstr(rows[i].repr[c], rows[j].id) != NULL) {
					rows[j].id_known = 1;
					break;
				}
		}
	}
}

static const struct trow *
trow_find(int t, const char *id)
{
	for (int k = 0; k < nby_table[t]; k++)
		if (strcmp(rows[by_table[t][k]].id, id) == 0)
			return &rows[by_table[t][k]];
	return NULL;
}

/* SHA-256 of every row of every synced table and of the bookkeeping tables. */
static void
digest_all(uint8_t out[32])
{
	static const char *const extra[] = {
		"SELECT * FROM txn_log ORDER BY device_id, seq",
		"SELECT * FROM conflict ORDER BY id",
		"SELECT * FROM audit ORDER BY version",
		"SELECT * FROM evict ORDER BY version",
		"SELECT key, value FROM meta ORDER BY key",
		"SELECT * FROM recovered ORDER BY tbl, row_id",
		"SELECT * FROM recovery ORDER BY device_id, epoch",
		"SELECT * FROM recovered_conflict ORDER BY device_id, tbl, row_id, origin",
	};
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char sql[256], *buf = NULL;
	size_t cap = 0;

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		die("sha256");
	for (int t = 0; t < TBL_COUNT + (int)(sizeof extra / sizeof extra[0]); t++) {
		sqlite3_stmt *st;
		if (t < TBL_COUNT)
			snprintf(sql, sizeof sql, "SELECT * FROM %s ORDER BY id", schema_tables[t].name);
		else
			snprintf(sql, sizeof sql, "%s", extra[t - TBL_COUNT]);
		st = q(sql);
		while (sqlite3_step(st) == SQLITE_ROW) {
			for (int i = 0; i < sqlite3_column_count(st); i++) {
				const char *p = repr(st, i, &buf, &cap);
				EVP_DigestUpdate(ctx, p, strlen(p) + 1);
			}
		}
		q_done(st);
		EVP_DigestUpdate(ctx, "|", 1);
	}
	EVP_DigestFinal_ex(ctx, out, NULL);
	EVP_MD_CTX_free(ctx);
	free(buf);
}

/* --------------------------------------------------------- the oracle */

static const char *
status_name(int st)
{
	static const char *const n[] = { "applied", "merged", "conflict", "rejected" };
	return st >= 0 && st < 4 ? n[st] : "?";
}

/* s with control characters shown as '?', cut to fit buf. */
static const char *
safe(const char *s, char *buf, size_t cap)
{
	size_t i = 0;

	for (; s != NULL && s[i] != '\0' && i + 1 < cap; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}

static void
print_results(void)
{
	char b1[64], b2[600];

	const Tongxin__PushRequest *q = G.cur_req;
	const Tongxin__PushResponse *r = G.cur_resp;

	if (G.cur_rreq != NULL) {
		/* Mode 3: the recovery request, versions relative to the lost window. */
		const Tongxin__RecoverRequest *rq = G.cur_rreq;
		const Tongxin__RecoverResponse *o = G.cur_rresp;
		fprintf(stderr, "==fuzz_store== the recovery: epoch %s%s, %zu row(s), done %d "
		    "(restored_version %llu, version_floor %llu)\n", safe(rq->epoch, b1, 41),
		    strcmp(rq->epoch, G.epoch.epoch) == 0 ? " (right)" : " (wrong)", rq->n_rows,
		    (int)rq->done, (unsigned long long)G.epoch.restored_version,
		    (unsigned long long)G.epoch.version_floor);
		if (o != NULL)
			fprintf(stderr, "  -> applied %u, known %u, conflicts %u, rejected %u, "
			    "finished %d\n", o->applied, o->known, o->conflicts, o->rejected,
			    (int)o->finished);
		for (size_t i = 0; i < rq->n_rows && i < 24; i++) {
			const Tongxin__Row *row = rq->rows[i];
			fprintf(stderr, "  row %zu: %s %s version rv%+lld%s, %zu value(s)\n", i,
			    row->table < TBL_COUNT ? schema_tables[row->table].name : "table?",
			    safe(row->row_id, b1, 41),
			    (long long)(row->version - G.epoch.restored_version),
			    row->deleted ? " deleted" : "", row->n_values);
		}
		return;
	}
	if (q == NULL)
		return;
	fprintf(stderr, "==fuzz_store== the push: %zu transaction(s)\n", q->n_txns);
	for (size_t i = 0; i < q->n_txns && i < 16; i++) {
		const Tongxin__Txn *tx = q->txns[i];
		fprintf(stderr, "  txn %zu seq %llu, %zu change(s)", i, (unsigned long long)tx->seq,
		    tx->n_changes);
		if (r != NULL && i < r->n_results)
			fprintf(stderr, " -> %s%s: %s", status_name((int)r->results[i]->status),
			    r->results[i]->duplicate ? " (duplicate)" : "",
			    safe(r->results[i]->reason, b2, sizeof b2));
		fputc('\n', stderr);
		for (size_t k = 0; k < tx->n_changes && k < 12; k++) {
			const Tongxin__Change *c = tx->changes[k];
			fprintf(stderr, "    %s %s %s cols", c->op == 0 ? "insert" : c->op == 1 ?
			    "update" : c->op == 2 ? "delete" : "op?",
			    c->table < TBL_COUNT ? schema_tables[c->table].name : "table?",
			    safe(c->row_id, b1, 41));
			for (size_t j = 0; j < c->n_cols && j < 16; j++)
				fprintf(stderr, " %u", c->cols[j]);
			fputc('\n', stderr);
		}
	}
}

/* Whether template member row r may have changed: an inbound transfer of it was accepted. */
static int
accepted_inbound(const struct trow *r)
{
	sqlite3_stmt *st;
	int ok = 0;

	if (r->t != TBL_MEMBER)
		return 0;
	st = q("SELECT status FROM transfer WHERE id = ?1");
	for (int i = 0; i < ninbound && !ok; i++) {
		const struct trow *tr = &rows[inbound[i]];
		if (tv(tr, "member_id") == NULL || strcmp(tv(tr, "member_id"), r->id) != 0)
			continue;
		sqlite3_bind_text(st, 1, tr->id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL &&
		    strcmp((const char *)sqlite3_column_text(st, 0), "accepted") == 0)
			ok = 1;
		q_done(st);
	}
	return ok;
}

static void check_rules(const char *when);

/* The scope invariant over the store's file as it is now (and the rules, check_rules). */
static void
check_scope(const char *when)
{
	static char *buf;
	static size_t cap;
	char sql[256];
	uint8_t seen[MAX_ROWS];

	memset(seen, 0, sizeof seen);
	for (int t = 0; t < TBL_COUNT; t++) {
		const struct table_def *td = &schema_tables[t];
		int idc = col_of(t, "id"), sc = col_of(t, "_scope"), s2c = col_of(t, "_scope2");
		sqlite3_stmt *st;

		snprintf(sql, sizeof sql, "SELECT * FROM %s ORDER BY id", td->name);
		st = q(sql);
		if (sqlite3_column_count(st) != ncolall[t])
			fail("%s: table %s has %d columns, the template %d", when, td->name,
			    sqlite3_column_count(st), ncolall[t]);
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *id = (const char *)sqlite3_column_text(st, idc);
			const char *scope = (const char *)sqlite3_column_text(st, sc);
			const char *scope2 = (const char *)sqlite3_column_text(st, s2c);
			const struct trow *r = trow_find(t, id ? id : "");

			if (r == NULL) {
				/* A new row: the office made it, so it lies in the office's subtree. */
				if (scope == NULL || !office_sees(scope))
					fail("%s: new %s row %s lies outside %s: _scope %s, _scope2 %s",
					    when, td->name, id ? id : "(null)", OFFICE_SCOPE,
					    scope ? scope : "NULL", scope2 ? scope2 : "NULL");
				continue;
			}
			seen[r - rows] = 1;
			if (!r->outside)
				continue;
			for (int i = 0; i < ncolall[t]; i++) {
				const char *now = repr(st, i, &buf, &cap);
				if (strcmp(now, r->repr[i]) == 0)
					continue;
				/* A member another community sent to SQ01, accepted by the office. */
				if (scope != NULL && office_sees(scope) && accepted_inbound(r))
					break;
				fail("%s: %s row %s (outside %s: _scope %s%s%s) changed: column %s was %.300s, "
				    "is %.300s", when, td->name, r->id, OFFICE_SCOPE, r->scope,
				    r->scope2[0] ? ", _scope2 " : "", r->scope2, colnames[t][i], r->repr[i], now);
			}
		}
		q_done(st);
	}
	for (int i = 0; i < nrows; i++)
		if (rows[i].outside && !seen[i])
			fail("%s: %s row %s (outside %s) has disappeared", when,
			    schema_tables[rows[i].t].name, rows[i].id, OFFICE_SCOPE);
	check_rules(when);
	if (G.own_org) {
		sqlite3_stmt *st = q("SELECT _deleted, coalesce(dissolved, 0), code, kind"
		    " FROM org WHERE _scope = ?1");
		sqlite3_bind_text(st, 1, OFFICE_SCOPE, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_int(st, 0) != 0 ||
		    sqlite3_column_int(st, 1) != 0 || sqlite3_column_text(st, 2) == NULL ||
		    strcmp((const char *)sqlite3_column_text(st, 2), OFFICE_CODE) != 0 ||
		    sqlite3_column_text(st, 3) == NULL ||
		    strcmp((const char *)sqlite3_column_text(st, 3), "community") != 0)
			fail("%s: the office's own community %s was deleted, dissolved or re-kinded",
			    when, OFFICE_CODE);
		q_done(st);
	}
}

/*
 * The rules every live row obeys (common/validate.c): each value against its
 * column, the row's own rules (the citizen ID's region and gender digit,
 * probation, reduction, the applicant's steps ...), the organisation tree,
 * and members and applicants only in a branch or a group. The client checks
 * them at entry and the store on every write, so no input may leave a row
 * that breaks one; the template is held to them too (the fuzzer explores
 * only a store that can exist).
 */
static void
check_rules(const char *when)
{
	static const char *const holders[] = {
		"SELECT m.id, 'member', o.kind FROM member m LEFT JOIN org o ON o.id = m.org_id"
		" WHERE m._deleted = 0",
		"SELECT a.id, 'applicant', o.kind FROM applicant a LEFT JOIN org o ON o.id = a.org_id"
		" WHERE a._deleted = 0",
	};
	char sql[256], today[11], why[REASON_TEXT_MAX];
	Tongxin__Value v[64];
	struct reason r;
	sqlite3_stmt *st;

	if (!G.rules)
		return;
	today_str(today);
	for (int t = 0; t < TBL_COUNT; t++) {
		const struct table_def *td = &schema_tables[t];
		int ci[64], idc = col_of(t, "id");

		if (td->ncols > 64)
			die("table %s has %d columns", td->name, td->ncols);
		for (int k = 0; k < td->ncols; k++)
			ci[k] = col_of(t, td->cols[k].name);
		snprintf(sql, sizeof sql, "SELECT * FROM %s WHERE _deleted = 0 ORDER BY id", td->name);
		st = q(sql);
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *id = (const char *)sqlite3_column_text(st, idc);
			/* The values are borrowed from the statement until its next step. */
			for (int k = 0; k < td->ncols; k++) {
				tongxin__value__init(&v[k]);
				if (sqlite3_column_type(st, ci[k]) == SQLITE_INTEGER) {
					v[k].kind_case = TONGXIN__VALUE__KIND_I;
					v[k].i = sqlite3_column_int64(st, ci[k]);
				} else if (sqlite3_column_type(st, ci[k]) != SQLITE_NULL) {
					v[k].kind_case = TONGXIN__VALUE__KIND_S;
					v[k].s = (char *)sqlite3_column_text(st, ci[k]);
				}
			}
			for (int k = 0; k < td->ncols; k++)
				if (validate_value_reason(&td->cols[k], &v[k], &r) != 0) {
					reason_text(&r, REASON_EN, why, sizeof why);
					fail("%s: %s row %s breaks a rule: %s", when, td->name,
					    id ? id : "(null)", why);
				}
			if (validate_row_reason(t, v, today, &r) != 0) {
				reason_text(&r, REASON_EN, why, sizeof why);
				fail("%s: %s row %s breaks a rule: %s", when, td->name, id ? id : "(null)",
				    why);
			}
		}
		q_done(st);
	}
	st = q("SELECT c.id, c.kind, p.kind FROM org c LEFT JOIN org p ON p.id = c.parent_id"
	    " WHERE c._deleted = 0 ORDER BY c.id");
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(st, 1);
		const char *parent = (const char *)sqlite3_column_text(st, 2);
		if (!org_kind_allowed(parent, kind))
			fail("%s: org %s of kind %s stands under %s", when,
			    (const char *)sqlite3_column_text(st, 0), kind ? kind : "NULL",
			    parent ? parent : "nothing");
	}
	q_done(st);
	for (size_t i = 0; i < sizeof holders / sizeof holders[0]; i++) {
		st = q(holders[i]);
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *kind = (const char *)sqlite3_column_text(st, 2);
			if (!org_kind_holds_members(kind))
				fail("%s: %s %s belongs to an organisation of kind %s", when,
				    (const char *)sqlite3_column_text(st, 1),
				    (const char *)sqlite3_column_text(st, 0), kind ? kind : "NULL");
		}
		q_done(st);
	}
}

/* Whether a row lies outside the scope both in the template (if it was there) and now. */
static int
outside_now(int t, const char *id)
{
	const struct trow *r;
	sqlite3_stmt *st;
	char sql[256];
	int out = 0;

	if (t < 0 || t >= TBL_COUNT)
		return 0;
	if ((r = trow_find(t, id)) != NULL && !r->outside)
		return 0;
	snprintf(sql, sizeof sql, "SELECT _scope, coalesce(_scope2, '') FROM %s WHERE id = ?1",
	    schema_tables[t].name);
	st = q(sql);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		out = !office_sees((const char *)sqlite3_column_text(st, 0)) &&
		    !office_sees((const char *)sqlite3_column_text(st, 1));
	q_done(st);
	return out;
}

/* One result per transaction, well formed; no values of rows outside the scope. */
static void
check_results(const Tongxin__PushRequest *req, const Tongxin__PushResponse *resp,
    const uint8_t *sent, size_t sent_len)
{
	if (resp == NULL)
		fail("store_push returned 0 without a response");
	if (resp->n_results != req->n_txns)
		fail("%zu transactions, %zu results", req->n_txns, resp->n_results);
	for (size_t i = 0; i < resp->n_results; i++) {
		const Tongxin__TxnResult *r = resp->results[i];
		if (r == NULL)
			fail("result %zu is missing", i);
		if (r->seq != req->txns[i]->seq)
			fail("result %zu answers seq %llu, the transaction has seq %llu", i,
			    (unsigned long long)r->seq, (unsigned long long)req->txns[i]->seq);
		if ((unsigned)r->status > TONGXIN__TXN_RESULT__STATUS__REJECTED)
			fail("result %zu has status %d", i, (int)r->status);
		if (r->status == TONGXIN__TXN_RESULT__STATUS__CONFLICT &&
		    (r->conflict_id == NULL || r->conflict_id[0] == '\0'))
			fail("result %zu is a conflict without a conflict id", i);
		for (size_t k = 0; k < r->n_rows; k++) {
			const Tongxin__Row *row = r->rows[k];
			if (row->deleted || row->as_sent || row->n_values == 0)
				continue;
			if (outside_now((int)row->table, row->row_id))
				fail("result %zu carries the values of %s row %s, outside %s", i,
				    row->table < TBL_COUNT ? schema_tables[row->table].name : "?",
				    row->row_id, OFFICE_SCOPE);
		}
		if (!G.leaks || r->reason == NULL || r->reason[0] == '\0')
			continue;
		for (int j = 0; j < nrows; j++) {
			const char *secret[2] = { rows[j].id_known ? NULL : rows[j].id,
			    rows[j].t == TBL_MEMBER ? tv(&rows[j], "id_number") : NULL };
			if (!rows[j].outside)
				continue;
			for (int s = 0; s < 2; s++)
				if (secret[s] != NULL && strstr(r->reason, secret[s]) != NULL &&
				    memmem(sent, sent_len, secret[s], strlen(secret[s])) == NULL)
					fail("result %zu's reason names %s of %s row %s outside %s, which the "
					    "input never named: \"%s\"", i, s ? "the citizen ID" : "the id",
					    schema_tables[rows[j].t].name, rows[j].id, OFFICE_SCOPE, r->reason);
		}
	}
}

/* ----------------------------------------------- the store per input */

/*
 * The template is a copy of every table of the store's file in an in-memory
 * database attached to the oracle's connection. Putting it back is a plain
 * write transaction (delete, insert): the schema stays as it is, so neither
 * connection has to read it again or prepare its statements anew, and
 * SQLite tells the store's connection that the data changed. The store keeps
 * its version counter, which only grows, so versions stay unique.
 */
static char *restore_sql[2 * 64];
static int nrestore;

static void
aux_exec(const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(G.aux, sql, NULL, NULL, &msg) != SQLITE_OK)
		die("%s: %s", sql, msg ? msg : sqlite3_errmsg(G.aux));
}

static void
save_template(void)
{
	sqlite3_stmt *st;
	char sql[512];

	aux_exec("ATTACH ':memory:' AS tmpl");
	if (sqlite3_prepare_v2(G.aux, "SELECT name FROM main.sqlite_schema WHERE type = 'table'"
	    " AND (name NOT LIKE 'sqlite%' OR name = 'sqlite_sequence') ORDER BY name", -1, &st,
	    NULL) != SQLITE_OK)
		die("sqlite_schema: %s", sqlite3_errmsg(G.aux));
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		if (nrestore + 2 > (int)(sizeof restore_sql / sizeof restore_sql[0]))
			die("too many tables");
		snprintf(sql, sizeof sql, "DELETE FROM main.\"%s\"", name);
		restore_sql[nrestore++] = strdup(sql);
		snprintf(sql, sizeof sql, "INSERT INTO main.\"%s\" SELECT * FROM tmpl.\"%s\"", name,
		    name);
		restore_sql[nrestore++] = strdup(sql);
	}
	sqlite3_finalize(st);
	for (int i = 1; i < nrestore; i += 2) {
		const char *name = strchr(restore_sql[i], '"');
		snprintf(sql, sizeof sql, "CREATE TABLE tmpl.%.*s AS SELECT * FROM main.%.*s",
		    (int)(strchr(name + 1, '"') - name + 1), name,
		    (int)(strchr(name + 1, '"') - name + 1), name);
		aux_exec(sql);
	}
}

static void
reset_store(void)
{
	aux_exec("BEGIN IMMEDIATE");
	for (int i = 0; i < nrestore; i++) {
		sqlite3_stmt *st = q(restore_sql[i]);
		int rc = sqlite3_step(st);
		q_done(st);
		if (rc != SQLITE_DONE)
			die("%s: %s", restore_sql[i], sqlite3_errmsg(G.aux));
	}
	aux_exec("COMMIT");
	G.dirty = 0;
}

/* Remove the folders of earlier runs of this target that died (their pid is gone). */
static void
sweep_stale(const char *parent)
{
	DIR *d = opendir(parent);
	struct dirent *e;
	char p[4200];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		long pid;
		if (sscanf(e->d_name, "tx-fuzz-store-%ld-", &pid) != 1 || pid <= 0)
			continue;
		if (pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(p, sizeof p, "%s/%s", parent, e->d_name);
		remove_dir(p);
	}
	closedir(d);
}

static void
make_dir(void)
{
	const char *env = getenv("TX_FUZZ_DIR"), *tmp = getenv("TMPDIR"), *parent;
	struct stat sb;

	if (env && env[0])
		parent = env;
	else if (stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) && access("/dev/shm", W_OK) == 0)
		parent = "/dev/shm";
	else
		parent = tmp && tmp[0] ? tmp : "/tmp";
	sweep_stale(parent);
	snprintf(G.dir, sizeof G.dir, "%s/tx-fuzz-store-%ld-XXXXXX", parent, (long)getpid());
	if (mkdtemp(G.dir) == NULL)
		die("mkdtemp %s: %s", G.dir, strerror(errno));
	snprintf(G.path, sizeof G.path, "%s/tongxind.db", G.dir);
}

/* -------------------------------------------------- the generator */

struct in {
	const uint8_t *p;
	size_t n;
};

static unsigned
in_u8(struct in *b)
{
	if (b->n == 0)
		return 0;
	b->n--;
	return *b->p++;
}

static unsigned
in_below(struct in *b, unsigned n)
{
	unsigned v;

	if (n <= 1)
		return 0;
	v = in_u8(b);
	if (n > 256)
		v = v << 8 | in_u8(b);
	return v % n;
}

static uint64_t
in_u64(struct in *b, int bytes)
{
	uint64_t v = 0;
	for (int i = 0; i < bytes; i++)
		v = v << 8 | in_u8(b);
	return v;
}

/* A row the generator can name: from the template, or inserted earlier in this input. */
struct grow {
	int t;
	const char *id;
	const Tongxin__Value *v;   /* schema order */
	uint64_t version;
};

static struct {
	struct grow fresh[MAX_NEW];
	int nfresh;
	unsigned serial;           /* for new ids */
	uint64_t next_seq;
} gen;

static int
pool_size(int t)
{
	int n = nby_table[t];
	for (int i = 0; i < gen.nfresh; i++)
		n += gen.fresh[i].t == t;
	return n;
}

static struct grow
pool_pick(struct in *b, int t)
{
	struct grow g = { t, NULL, NULL, 0 };
	int n = pool_size(t), k = (int)in_below(b, (unsigned)(n ? n : 1));

	if (k < nby_table[t]) {
		const struct trow *r = &rows[by_table[t][k]];
		g.id = r->id;
		g.v = r->v;
		g.version = r->version;
		return g;
	}
	k -= nby_table[t];
	for (int i = 0; i < gen.nfresh; i++)
		if (gen.fresh[i].t == t && k-- == 0)
			return gen.fresh[i];
	g.id = rows[0].id;
	g.v = rows[0].v;
	g.t = rows[0].t;
	return g;
}

static const char *
new_id(struct in *b)
{
	char buf[40];
	unsigned r = in_u8(b);

	snprintf(buf, sizeof buf, "1f%06x-%04x-7000-8000-%012x", ++gen.serial, r, gen.serial);
	return fz_strdup(buf);
}

static const char *
bad_id(struct in *b)
{
	static const char *const ids[] = { "", "x", "0A000001-0000-7000-8000-000000000001",
		"0a000001-0000-7000-8000-0000000000011", "0a000001_0000_7000_8000_000000000001",
		"../../etc/passwd", "0a000001-0000-7000-8000-00000000000", "%s%s%n",
		"0a000001-0000-7000-8000-00000000000\xe4", "' OR 1=1 --" };
	return ids[in_below(b, sizeof ids / sizeof ids[0])];
}

/* An id for an existing-row reference or target: mostly real rows, of either community. */
static const char *
pick_id(struct in *b, int t)
{
	unsigned k = in_below(b, 20);

	if (k < 15 && pool_size(t) > 0)
		return pool_pick(b, t).id;
	if (k < 17)
		return pool_pick(b, (int)in_below(b, TBL_COUNT)).id;
	if (k < 19)
		return new_id(b);
	return bad_id(b);
}

/* Valid dates first: gen_id_number takes one of the first seven. */
static const char *const dates[] = { "1950-01-01", "1970-06-15", "1990-02-28", "2000-02-29",
	"2010-07-01", "2024-03-01", "2024-05-10", "today", "today", "2012-12-12",
	"2099-12-31", "2023-02-29", "1899-12-31", "2024-13-01", "2024-1-1", "" };
static const char *const texts[] = { "张三", "李四", "测试", "a", "Robert'); DROP TABLE member;--",
	"\xe2\x80\xae" "evil", "\x1b[31mred", "line\nbreak", "=1+1", "\xc2\x9b" "31m", "tab\there",
	"\xff\xfe", "\xed\xa0\x80", "emoji \xf0\x9f\x98\x80", "   ", "NULL",
	"\xe3\x80\x80\xe3\x80\x80" /* full-width blanks */, "阿依古丽·买买提", "Jean-Pierre",
	"张三1", " 张三", "张  三" };

static Tongxin__Value *
gen_long(struct in *b, int max)
{
	int n = max > 0 ? max + (int)in_below(b, 3) - 1 : 300 + (int)in_below(b, 1000);
	Tongxin__Value *v = fz_alloc(sizeof *v);
	char *s;

	if (n < 0)
		n = 0;
	s = fz_alloc((size_t)n + 1);
	/* Three-byte characters, cut at the byte limit: a character may be split. */
	for (int i = 0; i < n; i++)
		s[i] = in_below(b, 2) ? "\xe5\x85\x9a"[i % 3] : 'a';
	tongxin__value__init(v);
	v->kind_case = TONGXIN__VALUE__KIND_S;
	v->s = s;
	return v;
}

/*
 * A citizen ID number for birth (or one of the valid dates) and gender
 * (NULL: either): mostly valid, so that changes get past the ID checks to
 * the store's deeper rules; now and then a wrong check character, a
 * 17th digit of the other gender, or a region code GB/T 2260 lacks
 * (101376), each refused with its own reason.
 */
static Tongxin__Value *
gen_id_number(struct in *b, const char *birth, const char *gender)
{
	static const char *const regions[] = { "110105", "110108", "310101", "440305",
		"110103" /* 崇文区: abolished, still valid */, "101376" /* not a region */ };
	char out[19], day[11];
	int male = gender != NULL ? strcmp(gender, "male") == 0 : (int)in_below(b, 2);
	unsigned bad = in_below(b, 16);

	if (birth == NULL || !validate_date(birth)) {
		snprintf(day, sizeof day, "%s", dates[in_below(b, 7)]);
		birth = day;
	}
	if (bad == 1)
		male = !male;   /* the 17th digit says the other gender */
	make_id_number(regions[in_below(b, bad == 2 ? 6 : 5)], birth, in_below(b, 1000), male, out);
	if (bad == 0)
		out[17] = out[17] == '0' ? '1' : '0';   /* a wrong check character */
	return val_text(out);
}

/* A value for column k of table t; cur is the row it would change (may be NULL). */
static Tongxin__Value *
gen_value(struct in *b, int t, unsigned k, const Tongxin__Value *cur)
{
	const struct table_def *td = &schema_tables[t];
	const struct col_def *cd;
	unsigned how = in_below(b, 32);
	Tongxin__Value *v;
	char today[11];

	if (k >= (unsigned)td->ncols)
		how = in_below(b, 6);
	switch (how) {
	case 0:
		return val_text(NULL);
	case 1:
		return in_below(b, 2) ? val_int((int64_t)in_u64(b, 8)) : val_text("1");
	case 2:
		v = val_int(0);
		v->kind_case = TONGXIN__VALUE__KIND_R;
		v->r = in_below(b, 2) ? 1.5 : -0.0;
		return v;
	case 3:
		return val_text(texts[in_below(b, sizeof texts / sizeof texts[0])]);
	case 4:
		return gen_long(b, k < (unsigned)td->ncols ? td->cols[k].max_len : 0);
	case 5:
		if (k < (unsigned)td->ncols && pool_size(t) > 0) {
			/* The same column of another row: unique values clash. */
			struct grow g = pool_pick(b, t);
			if (g.v != NULL) {
				v = fz_alloc(sizeof *v);
				*v = g.v[k];
				return v;
			}
		}
		return val_text(NULL);
	default:
		break;
	}
	cd = &td->cols[k];
	switch (cd->type) {
	case COL_INT:
		return val_int((int64_t)in_below(b, 100) - 1);
	case COL_BOOL:
		return val_int(in_below(b, 8) == 0 ? 2 : (int64_t)in_below(b, 2));
	case COL_DATE: {
		const char *d = dates[in_below(b, in_below(b, 4) ? 10 : sizeof dates / sizeof dates[0])];
		if (strcmp(d, "today") == 0) {
			today_str(today);
			d = today;
		}
		return val_text(d);
	}
	case COL_ENUM: {
		int n = 0;
		while (cd->enum_vals[n] != NULL)
			n++;
		if (in_below(b, 10) == 0)
			return val_text(in_below(b, 2) ? "street" : "Requested");
		return val_text(cd->enum_vals[in_below(b, (unsigned)n)]);
	}
	case COL_REF:
		return val_text(pick_id(b, schema_table_index(cd->ref_table)));
	case COL_TEXT:
		break;
	}
	if (strcmp(cd->name, "id_number") == 0) {
		const char *birth = NULL, *gender = NULL;
		int bc = schema_col_index(td, "birth_date"), gc = schema_col_index(td, "gender");
		if (cur != NULL && bc >= 0 && cur[bc].kind_case == TONGXIN__VALUE__KIND_S)
			birth = cur[bc].s;
		if (cur != NULL && gc >= 0 && cur[gc].kind_case == TONGXIN__VALUE__KIND_S)
			gender = cur[gc].s;
		return gen_id_number(b, birth, gender);
	}
	if (strcmp(cd->name, "code") == 0 || strcmp(cd->name, "to_org_code") == 0) {
		/* Mostly codes that exist (a clash for a new org, a real destination for a transfer). */
		static const char *const extra[] = { "SQ01-03", "SQ02-03", "SQ03", "JD02", "SQ01/X",
			"", "sq01", "SQ01-05" };
		if (in_below(b, 8) != 0)
			return val_text(org_codes[in_below(b, (unsigned)norg_codes)]);
		return val_text(extra[in_below(b, sizeof extra / sizeof extra[0])]);
	}
	return val_text(texts[in_below(b, 6)]);
}

/* Column indexes no table has, and a few it has twice. */
static uint32_t
evil_col(struct in *b, int ncols)
{
	static const uint32_t cols[] = { 32, 40, 63, 64, 65, 100000000, 0x7fffffff, 0xffffffff };
	unsigned k = in_below(b, 11);

	if (k < 8)
		return cols[k];
	if (k == 8)
		return (uint32_t)ncols;
	if (k == 9)
		return (uint32_t)in_u64(b, 4);
	return (uint32_t)ncols + in_below(b, 40);
}

static void
add_col(Tongxin__Change *c, uint32_t k, Tongxin__Value *v, Tongxin__Value *before)
{
	if (c->n_cols >= MAX_CHANGES)
		return;
	c->cols[c->n_cols++] = k;
	c->values[c->n_values++] = v;
	if (before != NULL)
		c->before[c->n_before++] = before;
}

static Tongxin__Value *
copy_of(const Tongxin__Value *cur)
{
	Tongxin__Value *v = fz_alloc(sizeof *v);
	if (cur != NULL)
		*v = *cur;
	else
		tongxin__value__init(v);
	return v;
}

/* A member's current branch, from the generator's view of the row. */
static const char *
member_org(const struct grow *m)
{
	int oc = schema_col_index(&schema_tables[TBL_MEMBER], "org_id");
	return m->v && m->v[oc].kind_case == TONGXIN__VALUE__KIND_S ? m->v[oc].s : NULL;
}

static Tongxin__Change *
gen_insert(struct in *b, int t)
{
	const struct table_def *td = &schema_tables[t];
	unsigned k = in_below(b, 20);
	const char *id = k < 17 ? new_id(b) : k < 19 ? pick_id(b, t) : bad_id(b);
	Tongxin__Change *c = ch_new(t, id, TONGXIN__CHANGE__OP__OP_INSERT);
	Tongxin__Value *v = fz_alloc((size_t)td->ncols * sizeof *v);
	struct grow base = pool_pick(b, t);
	unsigned nmut = in_below(b, 3), shape = in_below(b, 10);

	/* Start from a copy of a real row of the table, then change a few columns. */
	for (int i = 0; i < td->ncols; i++) {
		if (base.v != NULL && base.t == t)
			v[i] = base.v[i];
		else
			tongxin__value__init(&v[i]);
	}
	if ((t == TBL_MEMBER || t == TBL_APPLICANT) && in_below(b, 5) != 0) {
		int ic = schema_col_index(td, "id_number"), bc = schema_col_index(td, "birth_date");
		int gc = schema_col_index(td, "gender");
		v[ic] = *gen_id_number(b, v[bc].kind_case == TONGXIN__VALUE__KIND_S ? v[bc].s : NULL,
		    v[gc].kind_case == TONGXIN__VALUE__KIND_S ? v[gc].s : NULL);
	}
	if (t == TBL_TRANSFER && in_below(b, 8) != 0) {
		/*
		 * A request that makes sense: a member of either community, from
		 * where it is now, to an organisation that exists, not yet decided.
		 */
		static const char *const undecided[] = { "to_org_id", "decided_on", "decision_note" };
		struct grow m = pool_pick(b, TBL_MEMBER);
		const char *from = member_org(&m);
		int nc = schema_col_index(&schema_tables[TBL_MEMBER], "name");
		v[schema_col_index(td, "member_id")] = *val_text(m.id);
		if (from != NULL && in_below(b, 8) != 0)
			v[schema_col_index(td, "from_org_id")] = *val_text(from);
		else
			v[schema_col_index(td, "from_org_id")] = *val_text(pick_id(b, TBL_ORG));
		v[schema_col_index(td, "to_org_code")] =
		    *val_text(org_codes[in_below(b, (unsigned)norg_codes)]);
		for (size_t i = 0; i < sizeof undecided / sizeof undecided[0]; i++)
			tongxin__value__init(&v[schema_col_index(td, undecided[i])]);
		if (in_below(b, 8) == 0)
			v[schema_col_index(td, "to_org_id")] = *val_text(pick_id(b, TBL_ORG));
		if (m.v != NULL)
			v[schema_col_index(td, "member_name")] = m.v[nc];
		v[schema_col_index(td, "status")] = *val_text(in_below(b, 16) ? "requested" : "accepted");
		nmut = in_below(b, 4) == 0;
	} else if (td->scope_col >= 0 && in_below(b, 3) == 0) {
		/* Somewhere else in the tree, in either community. */
		v[td->scope_col] = *val_text(pick_id(b, schema_table_index(td->cols[td->scope_col].ref_table)));
	}
	for (unsigned i = 0; i < nmut; i++) {
		unsigned col = in_below(b, (unsigned)td->ncols);
		v[col] = *gen_value(b, t, col, v);
	}
	if (shape < 7) {
		for (int i = 0; i < td->ncols; i++)
			add_col(c, (uint32_t)i, copy_of(&v[i]), NULL);
	} else if (shape < 9) {
		/* Some columns only: the rest is missing. */
		for (int i = 0; i < td->ncols; i++)
			if (in_below(b, 4) != 0)
				add_col(c, (uint32_t)i, copy_of(&v[i]), NULL);
	} else {
		/* Every column, and one more that does not exist or repeats. */
		for (int i = 0; i < td->ncols; i++)
			add_col(c, (uint32_t)i, copy_of(&v[i]), NULL);
		add_col(c, in_below(b, 3) ? evil_col(b, td->ncols) : in_below(b, (unsigned)td->ncols),
		    gen_value(b, t, 0, NULL), NULL);
	}
	if (gen.nfresh < MAX_NEW && id_valid(id)) {
		struct grow *g = &gen.fresh[gen.nfresh++];
		g->t = t;
		g->id = id;
		g->v = v;
		g->version = 0;
	}
	return c;
}

/* An update or delete of a row the generator knows, or of one it makes up. */
static Tongxin__Change *
gen_modify(struct in *b, int t, Tongxin__Change__Op op)
{
	const struct table_def *td = &schema_tables[t];
	unsigned k = in_below(b, 20);
	struct grow row = { t, NULL, NULL, 0 };
	Tongxin__Change *c;
	unsigned ncol, shape = in_below(b, 12);

	if (k < 16)
		row = pool_pick(b, t);
	if (row.id == NULL || row.t != t) {
		row.v = NULL;
		row.id = k < 18 ? pick_id(b, t) : bad_id(b);
	}
	c = ch_new(t, row.id, op);
	switch (in_below(b, 5)) {
	case 0: c->base_version = 0; break;
	case 1: c->base_version = in_u64(b, 2); break;
	case 2: c->base_version = row.version > 1 ? row.version - 1 : 0; break;   /* merges */
	default: c->base_version = row.version; break;
	}
	if (t == TBL_TRANSFER && op == TONGXIN__CHANGE__OP__OP_UPDATE && in_below(b, 5) < 3) {
		/* A decision: accepted or rejected, against what the office saw. */
		static const char *const st[] = { "accepted", "rejected", "requested", "accepted" };
		int sc = schema_col_index(td, "status");
		char today[11];
		today_str(today);
		add_col(c, (uint32_t)sc, val_text(st[in_below(b, 4)]),
		    in_below(b, 6) ? val_text("requested") : copy_of(row.v ? &row.v[sc] : NULL));
		if (in_below(b, 2))
			add_col(c, (uint32_t)schema_col_index(td, "decided_on"), val_text(today),
			    copy_of(row.v ? &row.v[schema_col_index(td, "decided_on")] : NULL));
		if (in_below(b, 4) == 0) {
			unsigned col = in_below(b, (unsigned)td->ncols);
			if (col != (unsigned)sc)
				add_col(c, col, gen_value(b, t, col, row.v), copy_of(row.v ? &row.v[col] : NULL));
		}
		return c;
	}
	if (op == TONGXIN__CHANGE__OP__OP_DELETE && in_below(b, 2))
		return c;   /* a delete without a base */
	ncol = 1 + in_below(b, 3);
	for (unsigned i = 0; i < ncol; i++) {
		unsigned col = in_below(b, (unsigned)td->ncols);
		const Tongxin__Value *cur = row.v ? &row.v[col] : NULL;
		int dup = 0;
		for (size_t j = 0; j < c->n_cols; j++)
			dup |= c->cols[j] == col;
		if (dup && shape != 0)
			continue;
		add_col(c, col, op == TONGXIN__CHANGE__OP__OP_DELETE ? copy_of(NULL) :
		    gen_value(b, t, col, row.v),
		    in_below(b, 7) ? copy_of(cur) : gen_value(b, t, col, NULL));
	}
	if (shape == 1 || shape == 2) {
		uint32_t col = evil_col(b, td->ncols);
		add_col(c, col, gen_value(b, t, col, NULL), gen_value(b, t, col, NULL));
	}
	if (shape == 3 && c->n_before > 0)
		c->n_before--;   /* base and values of different lengths */
	return c;
}

static Tongxin__Change *
gen_change(struct in *b)
{
	static const int weights[] = { TBL_MEMBER, TBL_MEMBER, TBL_MEMBER, TBL_MEMBER, TBL_TRANSFER,
		TBL_TRANSFER, TBL_TRANSFER, TBL_TRANSFER, TBL_ORG, TBL_ORG, TBL_MEETING, TBL_ATTENDANCE,
		TBL_ATTENDANCE, TBL_LIST_ITEM, TBL_LIST_ITEM, TBL_MEETING, TBL_MEMBER, -1 };
	int t = weights[in_below(b, sizeof weights / sizeof weights[0])];
	unsigned op = in_below(b, 16);
	Tongxin__Change *c;

	if (t < 0 || t >= TBL_COUNT) {
		/* A table that does not exist, with another table's columns. */
		c = gen_modify(b, (int)in_below(b, TBL_COUNT), (Tongxin__Change__Op)in_below(b, 3));
		c->table = in_below(b, 2) ? TBL_COUNT + in_below(b, 4) : (uint32_t)in_u64(b, 4);
		return c;
	}
	if (op < 5)
		return gen_insert(b, t);
	if (op < 11)
		return gen_modify(b, t, TONGXIN__CHANGE__OP__OP_UPDATE);
	if (op < 14)
		return gen_modify(b, t, TONGXIN__CHANGE__OP__OP_DELETE);
	c = gen_modify(b, t, TONGXIN__CHANGE__OP__OP_UPDATE);
	c->op = (Tongxin__Change__Op)(op == 14 ? 3 : (int)in_u64(b, 4));
	return c;
}

static Tongxin__Txn *
gen_txn(struct in *b, const Tongxin__PushRequest *req)
{
	static const char *const ops[] = { "", "张三", "clerk\nforged log line", "\x1b]0;x\x07" };
	Tongxin__Txn *tx;
	unsigned how = in_below(b, 16), n;

	if (how == 0 && G.office_seqs > 0) {
		/* One of the office's own transactions again, exactly: a re-send. */
		uint64_t seq = 1 + in_below(b, (unsigned)G.office_seqs);
		if (G.office_txn[seq] != NULL &&
		    (tx = tongxin__txn__unpack(&fz_allocator, G.office_txn_len[seq], G.office_txn[seq])) != NULL)
			return tx;
	}
	tx = fz_alloc(sizeof *tx);
	tongxin__txn__init(tx);
	if (how < 11)
		tx->seq = gen.next_seq++;
	else if (how < 13)
		tx->seq = 1 + in_below(b, (unsigned)(G.office_seqs ? G.office_seqs : 1));   /* reused */
	else if (how == 13)
		tx->seq = in_below(b, 2) ? 0 : req->n_txns > 0 ? req->txns[req->n_txns - 1]->seq : 0;
	else if (how == 14)
		tx->seq = in_below(b, 2) ? UINT64_MAX : (uint64_t)INT64_MAX + 1;
	else
		tx->seq = gen.next_seq + 1000 + in_u64(b, 2);
	switch (in_below(b, 8)) {
	case 0: tx->hlc = 0; break;
	case 1: tx->hlc = UINT64_MAX - 1; break;
	case 2: tx->hlc = G.tmpl_hlc - 1000; break;
	default: tx->hlc = G.tmpl_hlc + 1 + in_u64(b, 2); break;
	}
	tx->local_time_ms = (int64_t)in_u64(b, 1) * 1000;
	tx->operator_name = fz_strdup(ops[in_below(b, 4)]);
	/* One change most often: a transaction applies only if every change does. */
	switch (in_below(b, 20)) {
	case 0: n = 0; break;
	case 1: n = MAX_CHANGES; break;
	case 2: case 3: case 4: case 5: case 6: case 7: case 8: case 9: n = 1; break;
	default: n = 2 + in_below(b, 4); break;
	}
	tx->changes = fz_alloc((n ? n : 1) * sizeof *tx->changes);
	for (unsigned i = 0; i < n; i++) {
		tx->changes[tx->n_changes++] = gen_change(b);
		if (b->n == 0)
			break;
	}
	return tx;
}

static Tongxin__PushRequest *
gen_push(struct in *b)
{
	Tongxin__PushRequest *req = push_new();
	unsigned n = in_below(b, 24) == 0 ? 0 : 1 + in_below(b, MAX_TXNS - 1);

	memset(&gen, 0, sizeof gen);
	gen.next_seq = G.office_seqs + 1;
	for (unsigned i = 0; i < n; i++) {
		req->txns[req->n_txns] = gen_txn(b, req);
		req->n_txns++;
		if (b->n == 0)
			break;
	}
	return req;
}

/* ---------------------------------------------------------- one input */

/*
 * The raw bytes as an Envelope with a push body (field 20, length-delimited)
 * or, in mode 3, a recover body (field 42).
 */
static Tongxin__Envelope *
decode_raw(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size + 16);
	size_t n = 0, len = size;
	Tongxin__Envelope *env;
	Tongxin__Envelope__BodyCase want = G.recover ? TONGXIN__ENVELOPE__BODY_RECOVER :
	    TONGXIN__ENVELOPE__BODY_PUSH;

	if (buf == NULL)
		die("out of memory");
	if (G.recover) {
		buf[n++] = 0xd2;   /* (42 << 3) | 2, as a varint */
		buf[n++] = 0x02;
	} else {
		buf[n++] = 0xa2;   /* (20 << 3) | 2, as a varint */
		buf[n++] = 0x01;
	}
	do {
		buf[n++] = (uint8_t)((len & 0x7f) | (len > 0x7f ? 0x80 : 0));
		len >>= 7;
	} while (len != 0);
	memcpy(buf + n, data, size);
	env = frame_decode(buf, n + size);
	free(buf);
	if (env != NULL && env->body_case != want) {
		envelope_free(env);
		env = NULL;
	}
	return env;
}

/* Mode 2: every open conflict of the office, settled with take-office by the street. */
static void
resolve_all(void)
{
	Tongxin__ConflictFilter f = TONGXIN__CONFLICT_FILTER__INIT;
	Tongxin__ConflictListResponse *list = NULL;
	char err[1024] = "";

	f.office = OFFICE_CODE;
	f.status = "open";
	if (store_conflict_list(G.s, &f, &list, err, sizeof err) != 0)
		fail("store_conflict_list: %s", err);
	for (size_t i = 0; i < list->n_conflicts; i++) {
		Tongxin__ConflictResolveRequest req = TONGXIN__CONFLICT_RESOLVE_REQUEST__INIT;
		Tongxin__ConflictResolveResponse *out = NULL;
		uint8_t before[32], after[32];
		int rc;

		req.id = list->conflicts[i]->id;
		req.decision = TONGXIN__CONFLICT_RESOLVE_REQUEST__DECISION__TAKE_OFFICE;
		snprintf(G.cur_resolve, sizeof G.cur_resolve, "take-office of conflict %s (%s, seq %llu)",
		    req.id, list->conflicts[i]->kind, (unsigned long long)list->conflicts[i]->seq);
		digest_all(before);
		err[0] = '\0';
		rc = store_conflict_resolve(G.s, &admin, &req, &out, err, sizeof err);
		if (G.verbose)
			fprintf(stderr, "fuzz_store: take-office %s (%s): %s%s\n", req.id,
			    list->conflicts[i]->kind, rc == 0 ? "settled" : "refused: ", rc == 0 ? "" : err);
		if (rc != 0 && rc != -1)
			fail("store_conflict_resolve returned %d", rc);
		if (rc == 0)
			n_settled++;
		else
			n_refused++;
		if (rc == 0 && out == NULL)
			fail("store_conflict_resolve returned 0 without a response");
		if (rc == -1) {
			digest_all(after);
			if (memcmp(before, after, sizeof before) != 0)
				fail("take-office of conflict %s failed (%s) but changed the store",
				    req.id, err);
		}
		if (out != NULL)
			tongxin__conflict_resolve_response__free_unpacked(out, NULL);
		check_scope("after take-office");
		G.cur_resolve[0] = '\0';
	}
	tongxin__conflict_list_response__free_unpacked(list, NULL);
}

static void
run_push(const Tongxin__PushRequest *req)
{
	Tongxin__PushResponse *resp = NULL;
	char err[1024] = "";
	uint8_t *sent = NULL;
	size_t sent_len = 0;
	int rc;

	G.cur_req = req;
	G.cur_resp = NULL;
	G.dirty = 1;
	if (G.dump_raw != NULL) {
		/* The push in wire form, as a raw-mode input: it means the same to any generator. */
		size_t n = tongxin__push_request__get_packed_size(req);
		uint8_t *p = malloc(n + 1);
		FILE *f = fopen(G.dump_raw, "wb");
		if (p == NULL || f == NULL)
			die("%s: %s", G.dump_raw, strerror(errno));
		p[0] = 0;
		tongxin__push_request__pack(req, p + 1);
		fwrite(p, 1, n + 1, f);
		fclose(f);
		free(p);
	}
	PHASE(PH_PUSH, rc = store_push(G.s, &office, req, &resp, err, sizeof err));
	G.cur_resp = resp;
	if (G.verbose) {
		fprintf(stderr, "fuzz_store: store_push -> %d %s\n", rc, err);
		print_results();
	}
	double t0 = profile ? cpu_now() : 0;
	if (rc == 0) {
		if (G.leaks) {
			sent_len = tongxin__push_request__get_packed_size(req);
			if ((sent = malloc(sent_len + 1)) == NULL)
				die("out of memory");
			tongxin__push_request__pack(req, sent);
		}
		check_results(req, resp, sent, sent_len);
		free(sent);
		for (size_t i = 0; i < resp->n_results; i++)
			n_status[resp->results[i]->status < 4 ? resp->results[i]->status : 4]++;
	} else if (rc == -1) {
		uint8_t d[32];
		n_push_failed++;
		if (resp != NULL)
			fail("store_push returned -1 with a response");
		digest_all(d);
		if (memcmp(d, G.tmpl_digest, sizeof d) != 0)
			fail("store_push failed (%s) but changed the store", err);
	} else {
		fail("store_push returned %d", rc);
	}
	check_scope("after the push");
	if (profile)
		ph_time[PH_CHECK] += cpu_now() - t0;
	if (G.resolve)
		PHASE(PH_RESOLVE, resolve_all());
	G.cur_req = NULL;
	G.cur_resp = NULL;
	if (resp != NULL)
		tongxin__push_response__free_unpacked(resp, NULL);
}

/* ------------------------------------------------ recovery (mode 3) */

#define MAX_RECOVER_REQS 3
#define MAX_RECOVER_GEN 12     /* rows the generator makes per request (then repeats) */

/* A version for a recovered row: mostly inside the lost window, often at or beyond its ends. */
static uint64_t
gen_rversion(struct in *b)
{
	const uint64_t rv = G.epoch.restored_version, fl = G.epoch.version_floor;

	switch (in_below(b, 20)) {
	case 0: return rv;
	case 1: return fl;
	case 2: return rv - 1;
	case 3: return fl - 1;
	case 4: return fl + 1 + in_u64(b, 1);
	case 5: return 0;
	case 6: return in_below(b, 2) ? UINT64_MAX : (uint64_t)INT64_MAX + 1;
	case 7: return in_u64(b, 8);
	case 8: return 1 + in_u64(b, 1);   /* a version the template hands out */
	default: return rv + 1 + in_u64(b, 1);   /* small: two copies of a row meet */
	}
}

/*
 * A transfer record as a replica may hold it after the backup: a member of
 * either community, from where it is or elsewhere, to an organisation that
 * exists (or not), in any state, decided or not.
 */
static void
gen_transfer_values(struct in *b, Tongxin__Value *v)
{
	const struct table_def *td = &schema_tables[TBL_TRANSFER];
	const struct col_def *sc = &td->cols[schema_col_index(td, "status")];
	struct grow m = pool_pick(b, TBL_MEMBER);
	const char *from = member_org(&m);
	int nst = 0, nc = schema_col_index(&schema_tables[TBL_MEMBER], "name");
	char today[11];

	while (sc->enum_vals[nst] != NULL)
		nst++;
	today_str(today);
	v[schema_col_index(td, "member_id")] = *val_text(m.id);
	v[schema_col_index(td, "from_org_id")] = *val_text(from != NULL && in_below(b, 6) != 0 ?
	    from : pick_id(b, TBL_ORG));
	v[schema_col_index(td, "to_org_code")] =
	    *val_text(org_codes[in_below(b, (unsigned)norg_codes)]);
	if (m.v != NULL)
		v[schema_col_index(td, "member_name")] = m.v[nc];
	v[schema_col_index(td, "status")] = *val_text(sc->enum_vals[in_below(b, (unsigned)nst)]);
	if (in_below(b, 3) != 0)
		v[schema_col_index(td, "decided_on")] = *val_text(in_below(b, 4) ? today : "2024-03-02");
	else
		tongxin__value__init(&v[schema_col_index(td, "decided_on")]);
	if (in_below(b, 4) == 0)
		v[schema_col_index(td, "to_org_id")] = *val_text(pick_id(b, TBL_ORG));
	else
		tongxin__value__init(&v[schema_col_index(td, "to_org_id")]);
}

/* One row a replica sends back; prev are the rows already in this input. */
static Tongxin__Row *
gen_row(struct in *b, Tongxin__Row *const *prev, size_t nprev)
{
	static const int weights[] = { TBL_MEMBER, TBL_MEMBER, TBL_MEMBER, TBL_MEMBER, TBL_TRANSFER,
		TBL_TRANSFER, TBL_TRANSFER, TBL_TRANSFER, TBL_ORG, TBL_ORG, TBL_MEETING, TBL_ATTENDANCE,
		TBL_ATTENDANCE, TBL_LIST_ITEM, TBL_LIST_ITEM, TBL_APPLICANT, TBL_DISCIPLINE, -1 };
	Tongxin__Row *r = fz_alloc(sizeof *r);
	const struct table_def *td;
	struct grow base = { 0, NULL, NULL, 0 };
	Tongxin__Value *v;
	const char *id;
	unsigned k, nmut, shape;
	int t, fresh = 0;

	tongxin__row__init(r);
	if (nprev > 0 && in_below(b, 6) == 0) {
		/* The same row again: another replica's copy, from another version. */
		const Tongxin__Row *p = prev[in_below(b, (unsigned)nprev)];
		t = p->table < TBL_COUNT ? (int)p->table : TBL_MEMBER;
		id = p->row_id;
		if (p->table < TBL_COUNT && p->n_values == (size_t)schema_tables[t].ncols) {
			Tongxin__Value *pv = fz_alloc((size_t)schema_tables[t].ncols * sizeof *pv);
			for (int i = 0; i < schema_tables[t].ncols; i++)
				pv[i] = *p->values[i];
			base.v = pv;
			base.t = t;
		}
	} else {
		t = weights[in_below(b, sizeof weights / sizeof weights[0])];
		if (t < 0)
			t = (int)in_below(b, TBL_COUNT);
		k = in_below(b, 20);
		if (k < 12 && pool_size(t) > 0) {
			base = pool_pick(b, t);
			id = base.id;
		} else if (k < 17) {
			id = new_id(b);
			fresh = 1;
		} else if (k < 19) {
			id = pick_id(b, (int)in_below(b, TBL_COUNT));
		} else {
			id = bad_id(b);
		}
	}
	td = &schema_tables[t];
	r->table = (uint32_t)t;
	r->row_id = fz_strdup(id);
	r->version = gen_rversion(b);
	if (base.v == NULL || base.t != t)
		base = pool_pick(b, t);   /* a new row starts as a copy of a real one */
	v = fz_alloc((size_t)td->ncols * sizeof *v);
	for (int i = 0; i < td->ncols; i++) {
		if (base.v != NULL && base.t == t)
			v[i] = base.v[i];
		else
			tongxin__value__init(&v[i]);
	}
	if (fresh && (t == TBL_MEMBER || t == TBL_APPLICANT) && in_below(b, 5) != 0) {
		int ic = schema_col_index(td, "id_number"), bc = schema_col_index(td, "birth_date");
		int gc = schema_col_index(td, "gender");
		v[ic] = *gen_id_number(b, v[bc].kind_case == TONGXIN__VALUE__KIND_S ? v[bc].s : NULL,
		    v[gc].kind_case == TONGXIN__VALUE__KIND_S ? v[gc].s : NULL);
	}
	if (t == TBL_TRANSFER && in_below(b, 4) != 0)
		gen_transfer_values(b, v);
	else if (td->scope_col >= 0 && in_below(b, 4) == 0)
		v[td->scope_col] = *val_text(pick_id(b,
		    schema_table_index(td->cols[td->scope_col].ref_table)));
	nmut = in_below(b, 4);
	for (unsigned i = 0; i < nmut; i++) {
		unsigned col = in_below(b, (unsigned)td->ncols);
		v[col] = *gen_value(b, t, col, v);
	}
	r->deleted = in_below(b, 6) == 0;
	shape = in_below(b, 16);
	r->values = fz_alloc(((size_t)td->ncols + 1) * sizeof *r->values);
	if (!r->deleted || shape == 0) {
		/* Every column in schema order; now and then one too few or one too many. */
		size_t n = (size_t)td->ncols;
		if (shape == 1 && n > 0)
			n--;
		for (size_t i = 0; i < n; i++)
			r->values[r->n_values++] = copy_of(&v[i]);
		if (shape == 2)
			r->values[r->n_values++] = gen_value(b, t, 0, NULL);
	}
	r->as_sent = in_below(b, 32) == 0;
	if (in_below(b, 24) == 0)
		r->table = in_below(b, 2) ? TBL_COUNT + in_below(b, 4) : (uint32_t)in_u64(b, 4);
	if (fresh && gen.nfresh < MAX_NEW && id_valid(id) && r->table == (uint32_t)t &&
	    !r->deleted) {
		struct grow *g = &gen.fresh[gen.nfresh++];
		g->t = t;
		g->id = r->row_id;
		g->v = v;
		g->version = r->version;
	}
	return r;
}

/* One request of rows: mostly into the right epoch, now and then the last one (done). */
static Tongxin__RecoverRequest *
gen_recover_req(struct in *b, Tongxin__Row **all, size_t *nall)
{
	Tongxin__RecoverRequest *req = fz_alloc(sizeof *req);
	unsigned n, big = 0;

	tongxin__recover_request__init(req);
	switch (in_below(b, 16)) {
	case 0: req->epoch = fz_strdup(""); break;
	case 1: req->epoch = fz_strdup("e0000000-0000-7000-8000-0000000000e0"); break;
	case 2: req->epoch = fz_strdup(FUZZ_EPOCH "x"); break;
	default: req->epoch = fz_strdup(G.epoch.epoch); break;
	}
	req->done = in_below(b, 3) == 0;
	switch (in_below(b, 48)) {
	case 0: n = 0; break;
	case 1: n = 1 + in_below(b, 4); big = WIRE_MAX_RECOVER_ROWS + in_below(b, 2); break;
	default: n = 1 + in_below(b, MAX_RECOVER_GEN); break;
	}
	req->rows = fz_alloc(((big > n ? big : n) + 1) * sizeof *req->rows);
	for (unsigned i = 0; i < n; i++) {
		req->rows[req->n_rows++] = gen_row(b, all, *nall);
		if (*nall < 64)
			all[(*nall)++] = req->rows[req->n_rows - 1];
		if (b->n == 0)
			break;
	}
	/* As many rows as a request may carry (or one more): the generated ones again. */
	if (big > req->n_rows && req->n_rows > 0) {
		size_t made = req->n_rows;
		for (size_t i = made; i < big; i++)
			req->rows[i] = req->rows[i % made];
		req->n_rows = big;
	}
	return req;
}

/* How many rows of the conflict queue, read by the oracle. */
static long long
conflict_count(void)
{
	sqlite3_stmt *st = q("SELECT count(*) FROM conflict");
	long long n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	q_done(st);
	return n;
}

/* No row of any synced table at a version the restore lost: every write is above the floor. */
static void
check_window(const char *when)
{
	char sql[256];

	for (int t = 0; t < TBL_COUNT; t++) {
		sqlite3_stmt *st;
		snprintf(sql, sizeof sql, "SELECT id, _version FROM %s WHERE _version > ?1 AND"
		    " _version <= ?2 LIMIT 1", schema_tables[t].name);
		st = q(sql);
		sqlite3_bind_int64(st, 1, (sqlite3_int64)G.epoch.restored_version);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)G.epoch.version_floor);
		if (sqlite3_step(st) == SQLITE_ROW)
			fail("%s: %s row %s has version %lld, inside the window the restore lost "
			    "(%llu, %llu]", when, schema_tables[t].name,
			    (const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1),
			    (unsigned long long)G.epoch.restored_version,
			    (unsigned long long)G.epoch.version_floor);
		q_done(st);
	}
}

/* What the office recovered so far in this input: the device's totals, and whether it finished. */
struct rec_sum {
	unsigned applied, known, conflicts, rejected;
	int finished;
	int calls;   /* store_recover calls made for this input */
	const Tongxin__RecoverRequest *prev[MAX_RECOVER_REQS];   /* the requests made */
};

/* Whether an earlier request of this input sent this row at this version. */
static int
sent_before(const struct rec_sum *sum, const Tongxin__Row *row)
{
	for (int i = 0; i < sum->calls && i < MAX_RECOVER_REQS; i++)
		for (size_t k = 0; sum->prev[i] != NULL && k < sum->prev[i]->n_rows; k++) {
			const Tongxin__Row *p = sum->prev[i]->rows[k];
			if (p->table == row->table && p->version == row->version &&
			    strcmp(p->row_id, row->row_id) == 0)
				return 1;
		}
	return 0;
}

/* One RecoverRequest of the office, and the oracle after it. */
static void
run_recover(const Tongxin__RecoverRequest *req, struct rec_sum *sum)
{
	Tongxin__RecoverResponse *o = NULL;
	char err[1024] = "";
	uint8_t before[32], after[32];
	long long nconf = -1;
	int rc, refuse, outside;

	G.cur_rreq = req;
	G.cur_rresp = NULL;
	/* The first call meets the template, whose digest is known. */
	if (sum->calls > 0)
		digest_all(before);
	else
		memcpy(before, G.tmpl_digest, sizeof before);
	nconf = conflict_count();
	/*
	 * A single row that lies outside the scope now: refused or queued for the
	 * street, whatever it says; never known (the office would learn that the
	 * server holds what it sent) nor written. Unless this input sent the same
	 * row and version before: a copy already queued is known (not queued twice).
	 */
	outside = req->n_rows == 1 && req->rows[0]->table < TBL_COUNT &&
	    req->rows[0]->row_id != NULL && !sent_before(sum, req->rows[0]) &&
	    outside_now((int)req->rows[0]->table, req->rows[0]->row_id);
	G.dirty = 1;
	if (G.dump_raw != NULL) {
		size_t n = tongxin__recover_request__get_packed_size(req);
		uint8_t *p = malloc(n + 1);
		FILE *f = fopen(G.dump_raw, sum->calls > 0 ? "ab" : "wb");
		if (p == NULL || f == NULL)
			die("%s: %s", G.dump_raw, strerror(errno));
		p[0] = 0;
		tongxin__recover_request__pack(req, p + 1);
		fwrite(p, 1, n + 1, f);
		fclose(f);
		free(p);
	}
	PHASE(PH_PUSH, rc = store_recover(G.s, &office, req, &o, err, sizeof err));
	if (sum->calls < MAX_RECOVER_REQS)
		sum->prev[sum->calls] = req;
	sum->calls++;
	G.cur_rresp = o;
	if (G.verbose) {
		fprintf(stderr, "fuzz_store: store_recover -> %d %s\n", rc, err);
		print_results();
	}
	double t0 = profile ? cpu_now() : 0;
	/* A request the server must refuse whole: another epoch, or too many rows. */
	refuse = strcmp(req->epoch, G.epoch.epoch) != 0 || req->n_rows > WIRE_MAX_RECOVER_ROWS;
	if (rc == 0) {
		unsigned total;
		if (o == NULL)
			fail("store_recover returned 0 without a response");
		if (refuse)
			fail("store_recover took a request it must refuse whole (%s)",
			    req->n_rows > WIRE_MAX_RECOVER_ROWS ? "too many rows" : "another epoch");
		total = o->applied + o->known + o->conflicts + o->rejected;
		if (sum->finished) {
			/* Finished: the totals again, nothing taken. */
			if (!o->finished || o->applied != sum->applied || o->known != sum->known ||
			    o->conflicts != sum->conflicts || o->rejected != sum->rejected)
				fail("after a finished recovery the server answered applied %u, known %u, "
				    "conflicts %u, rejected %u, finished %d; the totals are %u, %u, %u, %u",
				    o->applied, o->known, o->conflicts, o->rejected, (int)o->finished,
				    sum->applied, sum->known, sum->conflicts, sum->rejected);
			digest_all(after);
			if (memcmp(before, after, sizeof before) != 0)
				fail("a request after a finished recovery changed the store");
		} else {
			if (total != req->n_rows)
				fail("%zu rows sent, the counts add up to %u (applied %u, known %u, "
				    "conflicts %u, rejected %u)", req->n_rows, total, o->applied, o->known,
				    o->conflicts, o->rejected);
			if ((int)o->finished != (req->done != 0))
				fail("done %d, finished %d", (int)req->done, (int)o->finished);
			if (conflict_count() - nconf != (long long)o->conflicts)
				fail("the response counts %u conflicts, the queue grew by %lld",
				    o->conflicts, conflict_count() - nconf);
			if (outside && (o->applied != 0 || o->known != 0))
				fail("a row outside %s was %s, not refused or queued (the office learns "
				    "what the server holds there)", OFFICE_SCOPE,
				    o->applied ? "written" : "known");
			sum->applied += o->applied;
			sum->known += o->known;
			sum->conflicts += o->conflicts;
			sum->rejected += o->rejected;
			sum->finished = o->finished;
		}
		n_status[0] += o->applied;
		n_status[1] += o->known;
		n_status[2] += o->conflicts;
		n_status[3] += o->rejected;
	} else if (rc == -1) {
		n_push_failed++;
		if (o != NULL)
			fail("store_recover returned -1 with a response");
		digest_all(after);
		if (memcmp(before, after, sizeof before) != 0)
			fail("store_recover failed (%s) but changed the store", err);
		if (!refuse)
			fail("store_recover failed on a request of the right epoch and %zu rows: %s",
			    req->n_rows, err);
	} else {
		fail("store_recover returned %d", rc);
	}
	check_scope("after the recovery");
	check_window("after the recovery");
	if (profile)
		ph_time[PH_CHECK] += cpu_now() - t0;
	G.cur_rreq = NULL;
	G.cur_rresp = NULL;
	if (o != NULL)
		tongxin__recover_response__free_unpacked(o, NULL);
}

/* Mode 3, structured: one to three requests of generated rows. */
static void
run_recover_gen(struct in *b)
{
	Tongxin__RecoverRequest *reqs[MAX_RECOVER_REQS];
	Tongxin__Row *all[64];
	size_t nall = 0;
	unsigned n;
	struct rec_sum sum;

	memset(&gen, 0, sizeof gen);
	memset(&sum, 0, sizeof sum);
	double t0 = profile ? cpu_now() : 0;
	n = in_below(b, 4) == 0 ? 2 + in_below(b, MAX_RECOVER_REQS - 1) : 1;
	for (unsigned i = 0; i < n; i++)
		reqs[i] = gen_recover_req(b, all, &nall);
	if (profile)
		ph_time[PH_GEN] += cpu_now() - t0;
	for (unsigned i = 0; i < n; i++)
		run_recover(reqs[i], &sum);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	ph_inputs++;
	if (G.dirty)
		PHASE(PH_RESET, reset_store());
	if (data[0] % 4 == 0) {
		Tongxin__Envelope *env;
		PHASE(PH_GEN, env = decode_raw(data + 1, size - 1));
		if (env != NULL && G.recover) {
			struct rec_sum sum;
			memset(&sum, 0, sizeof sum);
			run_recover(env->recover, &sum);
			if (G.resolve || (data[0] & 4) != 0)
				PHASE(PH_RESOLVE, resolve_all());
		} else if (env != NULL) {
			run_push(env->push);
		}
		if (env != NULL)
			envelope_free(env);
	} else if (G.recover) {
		struct in b = { data + 1, size - 1 };
		run_recover_gen(&b);
		fz_release();
		if (G.resolve || (data[0] & 4) != 0)
			PHASE(PH_RESOLVE, resolve_all());
	} else {
		struct in b = { data + 1, size - 1 };
		Tongxin__PushRequest *req;
		PHASE(PH_GEN, req = gen_push(&b));
		run_push(req);
		fz_release();
	}
	return 0;
}

/* ------------------------------------------------------------- seeds */

static void
write_seed(const char *dir, const char *name, uint8_t mode, const uint8_t *p, size_t n)
{
	char path[4300];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL)
		die("%s: %s", path, strerror(errno));
	fputc(mode, f);
	fwrite(p, 1, n, f);
	fclose(f);
}

static void
write_push_seed(const char *dir, const char *name, Tongxin__PushRequest *req)
{
	size_t n = tongxin__push_request__get_packed_size(req);
	uint8_t *p = malloc(n + 1);

	if (p == NULL)
		die("out of memory");
	tongxin__push_request__pack(req, p);
	write_seed(dir, name, 0, p, n);
	free(p);
	fz_release();
}

/* Seeds: valid pushes of the office in wire form, and byte strings for the generator. */
static void
write_seeds(const char *dir)
{
	Tongxin__PushRequest *req;
	Tongxin__Txn *tx;
	Tongxin__Change *c;
	char a[40], b[40], today[11];
	uint64_t seq = G.office_seqs + 1;
	uint64_t rng = 0x7478f022u;

	today_str(today);
	/* A new member in SQ01. */
	req = push_new();
	tx = req->txns[req->n_txns++] = txn_new(seq++);
	{
		struct member_spec m = { 21, 3, "黄磊", "male", "1981-10-10", "13700000021" };
		txn_add(tx, member_insert(&m));
	}
	write_push_seed(dir, "raw-member-insert", req);
	/* An update with the right base, and a newer-wins column. */
	req = push_new();
	tx = req->txns[req->n_txns++] = txn_new(seq++);
	c = txn_add(tx, ch_new(TBL_MEMBER, fid(TAG_MEMBER, 2, a), TONGXIN__CHANGE__OP__OP_UPDATE));
	ch_col(c, "address", "和谐路2号", "幸福路1号");
	ch_col(c, "phone", "13822222222", members[1].phone);
	write_push_seed(dir, "raw-member-update", req);
	/* A meeting with attendance, atomic. */
	req = push_new();
	tx = req->txns[req->n_txns++] = txn_new(seq++);
	c = txn_add(tx, ch_new(TBL_MEETING, fid(TAG_MEETING, 9, a), TONGXIN__CHANGE__OP__OP_INSERT));
	ch_col(c, "org_id", fid(TAG_ORG, 3, b), NULL);
	ch_col(c, "kind", "party_lecture", NULL);
	ch_col(c, "held_on", "2024-06-01", NULL);
	ch_col(c, "topic", "党课", NULL);
	for (int j = 0; j < 3; j++) {
		c = txn_add(tx, ch_new(TBL_ATTENDANCE, fid(TAG_ATT, 90 + j, a), TONGXIN__CHANGE__OP__OP_INSERT));
		ch_col(c, "meeting_id", fid(TAG_MEETING, 9, b), NULL);
		ch_col(c, "member_id", fid(TAG_MEMBER, 1 + j, b), NULL);
		ch_col(c, "status", "present", NULL);
	}
	write_push_seed(dir, "raw-meeting", req);
	/* A list item closed, another deleted. */
	req = push_new();
	tx = req->txns[req->n_txns++] = txn_new(seq++);
	c = txn_add(tx, ch_new(TBL_LIST_ITEM, fid(TAG_ITEM, 1, a), TONGXIN__CHANGE__OP__OP_UPDATE));
	ch_col(c, "status", "closed", "open");
	ch_col(c, "closed_on", today, NULL);
	c = txn_add(tx, ch_new(TBL_LIST_ITEM, fid(TAG_ITEM, 3, a), TONGXIN__CHANGE__OP__OP_DELETE));
	ch_col(c, "title", NULL, "老人助餐");
	write_push_seed(dir, "raw-items", req);
	/* A transfer out of SQ01, as the sending office. */
	req = push_new();
	tx = req->txns[req->n_txns++] = txn_new(seq++);
	txn_add(tx, transfer_insert(9, 3, 3, "SQ02-01", "李强"));
	write_push_seed(dir, "raw-transfer-out", req);
	/* The pending transfer to SQ01, accepted by the receiving office. */
	req = push_new();
	tx = req->txns[req->n_txns++] = txn_new(seq++);
	c = txn_add(tx, ch_new(TBL_TRANSFER, fid(TAG_TRANSFER, 3, a), TONGXIN__CHANGE__OP__OP_UPDATE));
	ch_col(c, "status", "accepted", "requested");
	ch_col(c, "decided_on", today, NULL);
	write_push_seed(dir, "raw-transfer-accept", req);
	/* A same-field clash (a stale base) and an update of a deleted member. */
	req = push_new();
	tx = req->txns[req->n_txns++] = txn_new(seq++);
	c = txn_add(tx, ch_new(TBL_MEMBER, fid(TAG_MEMBER, 4, a), TONGXIN__CHANGE__OP__OP_UPDATE));
	ch_col(c, "ethnicity", "回族", "满族");
	tx = req->txns[req->n_txns++] = txn_new(seq++);
	c = txn_add(tx, ch_new(TBL_MEMBER, fid(TAG_MEMBER, 5, a), TONGXIN__CHANGE__OP__OP_UPDATE));
	ch_col(c, "address", "新地址", "幸福路1号");
	write_push_seed(dir, "raw-conflicts", req);
	/* A write to another community's member: refused. */
	req = push_new();
	tx = req->txns[req->n_txns++] = txn_new(seq++);
	c = txn_add(tx, ch_new(TBL_MEMBER, fid(TAG_MEMBER, 11, a), TONGXIN__CHANGE__OP__OP_UPDATE));
	ch_col(c, "phone", "13000000011", members[6].phone);
	write_push_seed(dir, "raw-out-of-scope", req);
	/* A re-send of the office's first transaction: a duplicate. */
	{
		FILE *f;
		char path[4300];
		Tongxin__PushRequest r = TONGXIN__PUSH_REQUEST__INIT;
		Tongxin__Txn *t1 = tongxin__txn__unpack(&fz_allocator, G.office_txn_len[1], G.office_txn[1]);
		uint8_t *p;
		size_t n;
		r.n_txns = 1;
		r.txns = &t1;
		n = tongxin__push_request__get_packed_size(&r);
		p = fz_alloc(n);
		tongxin__push_request__pack(&r, p);
		snprintf(path, sizeof path, "%s/raw-resend", dir);
		if ((f = fopen(path, "wb")) == NULL)
			die("%s: %s", path, strerror(errno));
		fputc(0, f);
		fwrite(p, 1, n, f);
		fclose(f);
		fz_release();
	}
	/*
	 * The attacks of issue 8 that this target found on the code before the
	 * fixes, kept as seeds so every run replays them: a transfer requested
	 * from another community's branch and accepted at once; re-used
	 * sequences planting columns 32, 40 and 10^8 for take-office; a delete
	 * and a move back of the member SQ01 transferred to SQ02.
	 */
	req = push_new();
	tx = req->txns[req->n_txns++] = txn_new(seq++);
	txn_add(tx, transfer_insert(8, 11, 5, "SQ01-01", "赵敏"));
	tx = req->txns[req->n_txns++] = txn_new(seq++);
	c = txn_add(tx, ch_new(TBL_TRANSFER, fid(TAG_TRANSFER, 8, a), TONGXIN__CHANGE__OP__OP_UPDATE));
	ch_col(c, "status", "accepted", "requested");
	write_push_seed(dir, "raw-attack-hijack", req);
	{
		static const uint32_t planted[] = { 32, 40, 100000000 };
		for (int k = 0; k < 3; k++) {
			char name[64];
			req = push_new();
			tx = req->txns[req->n_txns++] = txn_new(1 + (uint64_t)k);
			c = txn_add(tx, ch_new(TBL_MEMBER, fid(TAG_MEMBER, k == 2 ? 30 : 1, a), k == 2 ?
			    TONGXIN__CHANGE__OP__OP_INSERT : TONGXIN__CHANGE__OP__OP_UPDATE));
			c->cols[c->n_cols++] = planted[k];
			c->values[c->n_values++] = val_text("x");
			if (k < 2)
				c->before[c->n_before++] = val_text("y");
			snprintf(name, sizeof name, "raw-attack-planted-col-%u", planted[k]);
			write_push_seed(dir, name, req);
		}
	}
	req = push_new();
	tx = req->txns[req->n_txns++] = txn_new(seq++);
	txn_add(tx, ch_new(TBL_MEMBER, fid(TAG_MEMBER, 6, a), TONGXIN__CHANGE__OP__OP_DELETE));
	write_push_seed(dir, "raw-attack-moved-delete", req);
	req = push_new();
	tx = req->txns[req->n_txns++] = txn_new(seq++);
	c = txn_add(tx, ch_new(TBL_MEMBER, fid(TAG_MEMBER, 6, a), TONGXIN__CHANGE__OP__OP_UPDATE));
	ch_col(c, "org_id", fid(TAG_ORG, 3, b), fid(TAG_ORG, 3, b));
	write_push_seed(dir, "raw-attack-moved-back", req);
	/* Byte strings for the generator, and what it makes of others, in wire form. */
	for (int i = 0; i < 40; i++) {
		uint8_t buf[512];
		size_t n = 8 + (size_t)(i * 13 % 400);
		char name[64];
		for (size_t k = 0; k < n; k++) {
			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			buf[k] = (uint8_t)rng;
		}
		if (i < 28) {
			snprintf(name, sizeof name, "gen-%02d", i);
			write_seed(dir, name, (uint8_t)(1 + i % 3), buf, n);
		} else {
			struct in in = { buf, n };
			snprintf(name, sizeof name, "raw-gen-%02d", i);
			write_push_seed(dir, name, gen_push(&in));
		}
	}
}

/* A template row as a replica sends it back from version, or a tombstone. */
static Tongxin__Row *
seed_row(int t, int tag, int n, uint64_t version, int deleted)
{
	char id[40];
	const struct trow *tr = trow_find(t, fid(tag, n, id));
	Tongxin__Row *r = fz_alloc(sizeof *r);

	if (tr == NULL)
		die("no %s row %s in the template", schema_tables[t].name, id);
	tongxin__row__init(r);
	r->table = (uint32_t)t;
	r->row_id = fz_strdup(id);
	r->version = version;
	r->deleted = deleted;
	r->values = fz_alloc((size_t)schema_tables[t].ncols * sizeof *r->values);
	if (!deleted)
		for (int k = 0; k < schema_tables[t].ncols; k++)
			r->values[r->n_values++] = copy_of(&tr->v[k]);
	return r;
}

/* Set column col of a seed row. */
static void
seed_set(Tongxin__Row *r, const char *col, const char *val)
{
	int k = schema_col_index(&schema_tables[r->table], col);

	if (k < 0 || (size_t)k >= r->n_values)
		die("seed: no column %s", col);
	r->values[k] = val_spec(val);
}

/* mode: 0, or 4 for take-office of the office's open conflicts after the recovery. */
static void
write_recover_seed(const char *dir, const char *name, uint8_t mode, const char *epoch, int done,
    Tongxin__Row **rws, size_t n)
{
	Tongxin__RecoverRequest req = TONGXIN__RECOVER_REQUEST__INIT;
	size_t len;
	uint8_t *p;

	req.epoch = (char *)epoch;
	req.done = done;
	req.rows = rws;
	req.n_rows = n;
	len = tongxin__recover_request__get_packed_size(&req);
	if ((p = malloc(len + 1)) == NULL)
		die("out of memory");
	tongxin__recover_request__pack(&req, p);
	write_seed(dir, name, mode, p, len);
	free(p);
	if (mode == 0)
		fz_release();
}

/* Mode 3's seeds (recover-*): each rule of the recovery once in wire form, and byte strings. */
static void
write_recover_seeds(const char *dir)
{
	const uint64_t rv = G.epoch.restored_version, fl = G.epoch.version_floor;
	Tongxin__Row *r[8];
	char a[40], b[40], idn[19], today[11];
	uint64_t rng = 0x52ec0fe1u;

	today_str(today);
	/* A change of the office's member made after the backup: written. */
	r[0] = seed_row(TBL_MEMBER, TAG_MEMBER, 2, rv + 5, 0);
	seed_set(r[0], "address", "和谐路2号");
	write_recover_seed(dir, "recover-raw-member-update", 0, FUZZ_EPOCH, 0, r, 1);
	/* A member added after the backup: inserted. */
	r[0] = seed_row(TBL_MEMBER, TAG_MEMBER, 1, rv + 6, 0);
	r[0]->row_id = fz_strdup(fid(TAG_MEMBER, 21, a));
	make_id_number("110105", "1981-10-10", 147, 1, idn);
	seed_set(r[0], "name", "黄磊");
	seed_set(r[0], "id_number", idn);
	seed_set(r[0], "birth_date", "1981-10-10");
	seed_set(r[0], "join_date", "2003-10-10");
	seed_set(r[0], "full_date", "2004-10-10");
	seed_set(r[0], "phone", "13700000021");
	write_recover_seed(dir, "recover-raw-member-new", 0, FUZZ_EPOCH, 0, r, 1);
	/* A deletion after the backup: a tombstone. */
	r[0] = seed_row(TBL_LIST_ITEM, TAG_ITEM, 3, rv + 7, 1);
	write_recover_seed(dir, "recover-raw-tombstone", 0, FUZZ_EPOCH, 0, r, 1);
	/* A row the street changed since the restore: queued. */
	r[0] = seed_row(TBL_MEMBER, TAG_MEMBER, 3, rv + 8, 0);
	seed_set(r[0], "phone", "13800000033");
	write_recover_seed(dir, "recover-raw-changed-since-take-office", 4, FUZZ_EPOCH, 0, r, 1);
	write_recover_seed(dir, "recover-raw-changed-since", 0, FUZZ_EPOCH, 0, r, 1);
	/* Another community's members, as they are and changed: refused. */
	r[0] = seed_row(TBL_MEMBER, TAG_MEMBER, 11, rv + 9, 0);
	r[1] = seed_row(TBL_MEMBER, TAG_MEMBER, 12, rv + 9, 0);
	seed_set(r[1], "phone", "13900000120");
	r[2] = seed_row(TBL_MEMBER, TAG_MEMBER, 15, rv + 9, 1);
	write_recover_seed(dir, "recover-raw-outside", 0, FUZZ_EPOCH, 0, r, 3);
	/* Alone, an identical copy of another community's member: refused, not known. */
	r[0] = seed_row(TBL_MEMBER, TAG_MEMBER, 11, rv + 9, 0);
	write_recover_seed(dir, "recover-raw-outside-identical", 0, FUZZ_EPOCH, 0, r, 1);
	/* The window's ends: restored_version and version_floor refused, one inside taken. */
	r[0] = seed_row(TBL_MEMBER, TAG_MEMBER, 2, rv, 0);
	seed_set(r[0], "phone", "13822222220");
	r[1] = seed_row(TBL_MEMBER, TAG_MEMBER, 2, fl, 0);
	seed_set(r[1], "phone", "13822222221");
	r[2] = seed_row(TBL_MEMBER, TAG_MEMBER, 2, rv + 1, 0);
	seed_set(r[2], "phone", "13822222222");
	r[3] = seed_row(TBL_MEMBER, TAG_MEMBER, 2, fl - 1, 0);
	seed_set(r[3], "phone", "13822222223");
	write_recover_seed(dir, "recover-raw-bounds", 0, FUZZ_EPOCH, 0, r, 4);
	/*
	 * Transfers decided after the backup: the inbound one accepted (the
	 * member comes to SQ01), the outbound one rejected, and a decided one
	 * the server never saw (an office's copy is kept for the street).
	 */
	r[0] = seed_row(TBL_TRANSFER, TAG_TRANSFER, 3, rv + 10, 0);
	seed_set(r[0], "status", "accepted");
	seed_set(r[0], "decided_on", today);
	r[1] = seed_row(TBL_TRANSFER, TAG_TRANSFER, 2, rv + 11, 0);
	seed_set(r[1], "status", "rejected");
	seed_set(r[1], "decided_on", today);
	r[2] = seed_row(TBL_TRANSFER, TAG_TRANSFER, 2, rv + 12, 0);
	r[2]->row_id = fz_strdup(fid(TAG_TRANSFER, 9, a));
	seed_set(r[2], "member_id", fid(TAG_MEMBER, 3, b));
	seed_set(r[2], "member_name", "李强");
	seed_set(r[2], "status", "accepted");
	seed_set(r[2], "decided_on", today);
	write_recover_seed(dir, "recover-raw-transfers-take-office", 4, FUZZ_EPOCH, 0, r, 3);
	write_recover_seed(dir, "recover-raw-transfers", 0, FUZZ_EPOCH, 0, r, 3);
	/* The member the administrator recovered from rv + 100: older known, newer written. */
	r[0] = seed_row(TBL_MEMBER, TAG_MEMBER, 4, rv + 50, 0);
	seed_set(r[0], "phone", "13800000045");
	r[1] = seed_row(TBL_MEMBER, TAG_MEMBER, 4, rv + 200, 0);
	seed_set(r[1], "phone", "13800000046");
	write_recover_seed(dir, "recover-raw-older-newer", 0, FUZZ_EPOCH, 0, r, 2);
	/* The same row twice from two versions, the later first. */
	r[0] = seed_row(TBL_MEMBER, TAG_MEMBER, 2, rv + 20, 0);
	seed_set(r[0], "address", "后来路20号");
	r[1] = seed_row(TBL_MEMBER, TAG_MEMBER, 2, rv + 10, 0);
	seed_set(r[1], "address", "先前路10号");
	write_recover_seed(dir, "recover-raw-same-row-twice", 0, FUZZ_EPOCH, 1, r, 2);
	/* Another epoch, and an empty last batch. */
	r[0] = seed_row(TBL_MEMBER, TAG_MEMBER, 2, rv + 5, 0);
	write_recover_seed(dir, "recover-raw-wrong-epoch", 0, "e0000000-0000-7000-8000-0000000000e0", 0,
	    r, 1);
	write_recover_seed(dir, "recover-raw-done", 0, FUZZ_EPOCH, 1, r, 0);
	/* Byte strings for the generator. */
	for (int i = 0; i < 16; i++) {
		uint8_t buf[512];
		size_t n = 16 + (size_t)(i * 29 % 400);
		char name[64];
		for (size_t k = 0; k < n; k++) {
			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			buf[k] = (uint8_t)rng;
		}
		snprintf(name, sizeof name, "recover-gen-%02d", i);
		write_seed(dir, name, (uint8_t)(1 + i % 3), buf, n);
	}
}

/* ---------------------------------------------------------- set-up */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *e, *seeds = getenv("TX_FUZZ_WRITE_SEEDS");

	(void)argc;
	(void)argv;
	G.resolve = TX_FUZZ_RESOLVE_DEFAULT;
	if ((e = getenv("TX_FUZZ_RESOLVE")) != NULL && e[0])
		G.resolve = atoi(e) != 0;
	G.recover = TX_FUZZ_RECOVER_DEFAULT;
	if ((e = getenv("TX_FUZZ_RECOVER")) != NULL && e[0])
		G.recover = atoi(e) != 0;
	G.leaks = (e = getenv("TX_FUZZ_LEAKS")) == NULL || atoi(e) != 0;
	G.own_org = (e = getenv("TX_FUZZ_OWN_ORG")) == NULL || atoi(e) != 0;
	G.rules = (e = getenv("TX_FUZZ_RULES")) == NULL || atoi(e) != 0;
	G.keep = (e = getenv("TX_FUZZ_KEEP")) != NULL && atoi(e) != 0;
	G.verbose = (e = getenv("TX_FUZZ_VERBOSE")) != NULL && atoi(e) != 0;
	profile = (e = getenv("TX_FUZZ_PROFILE")) != NULL && atoi(e) != 0;
	G.dump_raw = (e = getenv("TX_FUZZ_DUMP_RAW")) != NULL && e[0] ? e : NULL;
	make_dir();
	atexit(at_exit);
	build_template();
	if (G.recover)
		restore_template();
	/* The oracle's connection, and the template: a copy in memory of the file now. */
	if (sqlite3_open_v2(G.path, &G.aux, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		die("open %s: %s", G.path, sqlite3_errmsg(G.aux));
	sqlite3_busy_timeout(G.aux, 5000);
	/* The template's copy needs no durability; the store's own commits keep theirs. */
	aux_exec("PRAGMA synchronous = OFF");
	save_template();
	load_template_rows();
	check_rules("the template");
	digest_all(G.tmpl_digest);
	fprintf(stderr, "fuzz_store: %s mode; template of %d rows in %s; office sequences "
	    "1..%llu taken\n", G.recover ? "recover" : G.resolve ? "push + take-office" : "push",
	    nrows, G.dir,
	    (unsigned long long)G.office_seqs);
	if (seeds != NULL && seeds[0]) {
		if (G.recover)
			write_recover_seeds(seeds);
		else
			write_seeds(seeds);
		fprintf(stderr, "fuzz_store: seeds written to %s\n", seeds);
		exit(0);
	}
	return 0;
}
