/*
 * test_sync_resolve.c - the convergence test of the sync engine, extended
 * with conflicting edits and random administrator resolutions (issue 4,
 * "Tests"; PRODUCT.md "Conflicts", invariants 2 and 5), against a real
 * tongxind.
 *
 * A street administrator's device (A) and two community offices (SQ01 and
 * SQ02, two branches each) work offline for many rounds. Besides unrelated
 * random edits (members, meetings with attendance, branches, the street's
 * moves between communities), every round makes edits that collide on
 * purpose:
 *   - the same keep-server field (member name, education, category,
 *     standing; a branch's secretary; a meeting's topic) edited on the
 *     street and in an office;
 *   - an update against a delete, both ways round (the sync order decides
 *     which side arrives first);
 *   - the same citizen ID number registered by two devices;
 *   - members added (and moved, and a meeting held) in a branch that the
 *     street dissolves in the same round;
 *   - a member the street moves to the other community while its office
 *     edits it.
 * Devices sync in a random order, some not at all, some push-only or
 * pull-only. After some rounds, at a random point of the round, the
 * administrator lists the open conflicts (ConflictListRequest), inspects a
 * random subset (ConflictShowRequest) and resolves each with a random
 * decision: keep the server's value, take the office's transaction, or set
 * a valid merged value for the conflicted column. Take-office and set may
 * be refused (a uniqueness clash that still holds, a parent still
 * dissolved, the office deleted the row): then the conflict must stay open
 * and nothing may change. Now and then the administrator also tries to
 * resolve a conflict again, which must be refused and change nothing.
 *
 * Checked at each resolution:
 *   - the open conflicts listed are exactly the server's open conflict rows;
 *   - show keeps both sides (the office's whole transaction, and the
 *     server's row for same-field, update/delete and duplicate conflicts);
 *   - success: the conflict is resolved with the decision and who made it,
 *     the audit has the 'resolve' entry at the resolution's version, every
 *     row the resolution wrote is audited under the administrator's device
 *     and operator; keep-server changes no data; take-office and set leave
 *     every row of the office's transaction as the office (or the merged
 *     value) says;
 *   - refusal: a clear error, the conflict still open, no data and no audit
 *     changed.
 *
 * At the end everyone syncs twice, the administrator resolves nothing
 * more, everyone syncs once again, and then:
 *   - every replica equals the server for its scope, table by table
 *     (rep_table_hash; diffs printed): every resolution reached every
 *     replica in scope;
 *   - nothing is unaccounted for: every local transaction has one outcome
 *     (the harness's h_check_accounted); every conflict outcome names a
 *     conflict of the server that is either open (and listed by
 *     ConflictListRequest "open", with no resolution on the device) or
 *     resolved with a resolution and resolved_by (listed as resolved, with
 *     the 'resolve' audit entry, and the device's outcome row shows the
 *     resolution); every open or resolved conflict on the server is some
 *     device's conflict outcome; the number of open conflicts listed equals
 *     the open rows in the server's database;
 *   - for each take-office / set resolution the server's row still shows
 *     the office's (or merged) values of the conflicted row, unless the
 *     audit shows a later change of that row;
 *   - PRAGMA integrity_check is ok and the server's log holds no sanitizer
 *     report;
 *   - every decision succeeded at least once (and a first, scripted round
 *     with a fixed sync order queued one conflict of each kind:
 *     missing_parent, same_field, update_deleted, delete_updated, unique).
 *
 * The seed is printed (default 4242); TX_SEED=<n> reruns the same choices
 * (conflicts are visited in device and sequence order, not by their random
 * ids), TX_ROUNDS=<n> changes the number of rounds (default 25).
 */
#include "sync_harness.h"
#include "frame.h"
#include "vocab.h"

#define NDEV 3
#define OPERATOR "组织委员老李"
#define MAXC 32

enum { D_KEEP, D_TAKE, D_SET };
static const char *const decision_names[] = { "keep_server", "take_office", "set" };

static struct h_server S;
static struct h_dev A, O1, O2;
static struct h_dev *devs[NDEV] = { &A, &O1, &O2 };
static struct h_dev *offices[2] = { &O1, &O2 };
static char street_id[ID_TEXT_LEN + 1], comm_id[2][ID_TEXT_LEN + 1];
/* Members every device may edit: made by the street before the offices join. */
static struct h_ids hot;

static struct {
	int64_t ops, txns, syncs;
	int64_t same_field, upd_del, same_idn, moved, doomed_made, doomed_hit;
	int64_t batches, listed, tried[3], ok[3], failed[3], again;
} ST;

/* The branch each community's office will fill while the street dissolves it. */
static struct {
	char id[ID_TEXT_LEN + 1];
	int state;  /* 0: none, 1: made by the street, waiting for the office to hold it */
} doomed[2];
static int doomed_seq;

/* A take-office or set resolution: what the conflicted row must show. */
struct res_rec {
	char cid[ID_TEXT_LEN + 1];
	int decision;
	int64_t version;
	int table;
	char row_id[ID_TEXT_LEN + 1];
	int deleted;
	char *q[MAXC];   /* by column: sqlite3_mprintf'd quote() of the expected value, or NULL */
};
static struct res_rec *recs;
static size_t nrecs, caprecs;

static const char *const meeting_kinds[] = { "committee_meeting", "general_meeting",
	"group_meeting", "party_lecture", "theme_day", "life_meeting", "democratic_review" };
static const char *const att_states[] = { "present", "excused", "absent" };

/* ------------------------------------------------------------- picking */

/* A random id from the replica (query with one id column); 0 if there is none. */
static int
pick(struct h_dev *d, const char *sql, char id[ID_TEXT_LEN + 1])
{
	struct h_ids l;
	int found = 0;

	h_sql_ids(replica_db(d->r), sql, NULL, &l);
	if (l.n > 0) {
		snprintf(id, ID_TEXT_LEN + 1, "%s", l.v[h_randn((uint32_t)l.n)]);
		found = 1;
	}
	h_ids_free(&l);
	return found;
}

static int
holds(struct h_dev *d, const char *table, const char *id)
{
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE id = ?1", table);
	return h_sql_int(replica_db(d->r), sql, id, NULL) > 0;
}

/* A member to edit: often one of the shared hot members, if the device holds it. */
static int
pick_member(struct h_dev *d, char id[ID_TEXT_LEN + 1])
{
	if (h_randn(10) < 6 && hot.n > 0) {
		const char *h = hot.v[h_randn((uint32_t)hot.n)];
		if (holds(d, "member", h)) {
			snprintf(id, ID_TEXT_LEN + 1, "%s", h);
			return 1;
		}
	}
	return pick(d, "SELECT id FROM member ORDER BY rowid", id);
}

/* A branch the device believes live. */
static int
pick_branch(struct h_dev *d, char id[ID_TEXT_LEN + 1])
{
	return pick(d, "SELECT id FROM org WHERE kind = 'branch' AND coalesce(dissolved, 0) = 0 "
	    "ORDER BY code", id);
}

/* A row of table (member, meeting, org branches) that both a and b hold; 0 if none. */
static int
pick_shared(struct h_dev *a, struct h_dev *b, const char *table, char id[ID_TEXT_LEN + 1])
{
	struct h_ids l;
	char sql[160];
	int found = 0;

	if (strcmp(table, "org") == 0)
		snprintf(sql, sizeof sql, "SELECT id FROM org WHERE kind = 'branch' AND "
		    "coalesce(dissolved, 0) = 0 ORDER BY code");
	else
		snprintf(sql, sizeof sql, "SELECT id FROM %s ORDER BY rowid", table);
	h_sql_ids(replica_db(a->r), sql, NULL, &l);
	if (l.n > 0) {
		size_t k0 = h_randn((uint32_t)l.n);
		for (size_t k = 0; k < l.n && !found; k++) {
			const char *c = l.v[(k0 + k) % l.n];
			if (holds(b, table, c)) {
				snprintf(id, ID_TEXT_LEN + 1, "%s", c);
				found = 1;
			}
		}
	}
	h_ids_free(&l);
	return found;
}

static void
rand_name(char *buf, size_t cap, const char *prefix)
{
	char name[64];

	h_rand_person_name(name, sizeof name);   /* letters only: a person's name */
	snprintf(buf, cap, "%s%s", prefix, name);
}

/* A random valid value for a keep-server member column into buf. */
static void
member_value(const char *col, char *buf, size_t cap)
{
	if (strcmp(col, "name") == 0)
		rand_name(buf, cap, "");
	else if (strcmp(col, "education") == 0)
		snprintf(buf, cap, "%s", h_educations[h_randn(8)]);
	else if (strcmp(col, "category") == 0)
		snprintf(buf, cap, "%s", h_randn(2) ? "full" : "probationary");
	else if (strcmp(col, "standing") == 0)
		snprintf(buf, cap, "%s", h_randn(3) ? "normal" : "suspended");
	else
		H_CHECK(0, "member_value: no generator for %s", col);
}

/* The text of column col of row id in the device's replica ("" if NULL or none). */
static void
rep_text(struct h_dev *d, const char *table, const char *col, const char *id, char *buf,
    size_t cap)
{
	char sql[160];
	snprintf(sql, sizeof sql, "SELECT %s FROM %s WHERE id = ?1", col, table);
	h_sql_text(replica_db(d->r), sql, id, buf, cap);
}

/* A value of col different from the replica's current one (tries a few times). */
static void
member_value_new(struct h_dev *d, const char *id, const char *col, const char *avoid, char *buf,
    size_t cap)
{
	char cur[128];

	rep_text(d, "member", col, id, cur, sizeof cur);
	for (int i = 0; i < 12; i++) {
		member_value(col, buf, cap);
		if (strcmp(buf, cur) != 0 && (avoid == NULL || i >= 8 || strcmp(buf, avoid) != 0))
			return;
	}
}

/* ----------------------------------------------------------- random work */

static void
op_insert_members(struct h_dev *d)
{
	Tongxin__Value v[32];
	struct h_member m;
	char org[ID_TEXT_LEN + 1], id[ID_TEXT_LEN + 1];
	int k = 1 + (int)h_randn(3);

	if (!pick_branch(d, org))
		return;
	dev_begin(d);
	for (int i = 0; i < k; i++) {
		h_member_vals(v, &m, org, NULL);
		dev_insert(d, TBL_MEMBER, v, id);
	}
	dev_commit(d);
	ST.txns++;
}

/* Set 1-3 random columns of a member (and maybe its branch). */
static void
update_member(struct h_dev *d, const char *id)
{
	static const char *const cols[] = { "name", "phone", "job", "address", "education",
		"category", "standing", "retired", "org_id" };
	char bufs[3][64], err[1024] = "";
	uint32_t c[3];
	Tongxin__Value v[3];
	size_t n = 0;
	int k = 1 + (int)h_randn(3);

	for (int i = 0; i < k; i++) {
		const char *col = cols[h_randn(9)];
		int ci = h_col(TBL_MEMBER, col), dup = 0;
		for (size_t j = 0; j < n; j++)
			dup |= c[j] == (uint32_t)ci;
		if (dup)
			continue;
		c[n] = (uint32_t)ci;
		if (strcmp(col, "phone") == 0)
			snprintf(bufs[n], sizeof bufs[n], "139%08u", h_randn(100000000));
		else if (strcmp(col, "job") == 0)
			snprintf(bufs[n], sizeof bufs[n], "岗位%u", h_randn(100));
		else if (strcmp(col, "address") == 0)
			snprintf(bufs[n], sizeof bufs[n], "同心路%u号", h_randn(500));
		else if (strcmp(col, "org_id") == 0) {
			if (!pick_branch(d, bufs[n]))
				continue;
		} else if (strcmp(col, "retired") != 0)
			member_value(col, bufs[n], sizeof bufs[n]);
		if (strcmp(col, "retired") == 0)
			value_set_int(&v[n], h_randn(2));
		else
			value_set_text(&v[n], bufs[n]);
		n++;
	}
	H_CHECK(rep_update(d->r, TBL_MEMBER, id, c, v, n, err, sizeof err) == 0,
	    "rep_update member %s on %s: %s", id, d->name, err);
}

static void
op_update_members(struct h_dev *d, int rows)
{
	char id[ID_TEXT_LEN + 1];

	dev_begin(d);
	for (int i = 0; i < rows; i++)
		if (pick_member(d, id))
			update_member(d, id);
	dev_commit(d);
	ST.txns++;
}

static void
op_delete_member(struct h_dev *d)
{
	char id[ID_TEXT_LEN + 1];

	if (!pick_member(d, id))
		return;
	dev_begin(d);
	dev_delete(d, TBL_MEMBER, id);
	dev_commit(d);
	ST.txns++;
}

/* A meeting of branch org and its attendance: one local transaction. */
static void
meeting_in(struct h_dev *d, const char *org)
{
	Tongxin__Value v[32];
	char mid[ID_TEXT_LEN + 1], aid[ID_TEXT_LEN + 1];
	char member[ID_TEXT_LEN + 1], date[11], topic[64];
	int k = 1 + (int)h_randn(3);

	dev_begin(d);
	h_vals_null(v, TBL_MEETING);
	h_rand_date(date, 2023, 2024);
	snprintf(topic, sizeof topic, "学习主题%u", h_randn(10000));
	h_set(v, TBL_MEETING, "org_id", org);
	h_set(v, TBL_MEETING, "kind", meeting_kinds[h_randn(7)]);
	h_set(v, TBL_MEETING, "held_on", date);
	h_set(v, TBL_MEETING, "topic", topic);
	h_set(v, TBL_MEETING, "host", "书记");
	dev_insert(d, TBL_MEETING, v, mid);
	for (int i = 0; i < k; i++) {
		if (!pick_member(d, member))
			break;
		h_vals_null(v, TBL_ATTENDANCE);
		h_set(v, TBL_ATTENDANCE, "meeting_id", mid);
		h_set(v, TBL_ATTENDANCE, "member_id", member);
		h_set(v, TBL_ATTENDANCE, "status", att_states[h_randn(3)]);
		dev_insert(d, TBL_ATTENDANCE, v, aid);
	}
	dev_commit(d);
	ST.txns++;
}

static void
op_meeting(struct h_dev *d)
{
	char org[ID_TEXT_LEN + 1];

	if (pick_branch(d, org))
		meeting_in(d, org);
}

static void
op_edit_meeting(struct h_dev *d)
{
	char id[ID_TEXT_LEN + 1], buf[64];

	if (h_randn(2) == 0) {
		if (!pick(d, "SELECT id FROM meeting ORDER BY rowid", id))
			return;
		snprintf(buf, sizeof buf, "改主题%u", h_randn(10000));
		dev_begin(d);
		dev_update1(d, TBL_MEETING, id, h_randn(2) ? "topic" : "minutes", buf, 0);
	} else {
		if (!pick(d, "SELECT id FROM attendance ORDER BY rowid", id))
			return;
		dev_begin(d);
		dev_update1(d, TBL_ATTENDANCE, id, "status", att_states[h_randn(3)], 0);
	}
	dev_commit(d);
	ST.txns++;
}

/* Delete meeting id with its attendance rows (as d sees them), in one transaction. */
static void
delete_meeting(struct h_dev *d, const char *id)
{
	struct h_ids att;

	h_sql_ids(replica_db(d->r), "SELECT id FROM attendance WHERE meeting_id = ?1 ORDER BY id", id,
	    &att);
	dev_begin(d);
	for (size_t i = 0; i < att.n; i++)
		dev_delete(d, TBL_ATTENDANCE, att.v[i]);
	dev_delete(d, TBL_MEETING, id);
	dev_commit(d);
	h_ids_free(&att);
	ST.txns++;
}

static void
op_delete_meeting(struct h_dev *d)
{
	char id[ID_TEXT_LEN + 1];

	if (pick(d, "SELECT id FROM meeting ORDER BY rowid", id))
		delete_meeting(d, id);
}

static void
op_edit_branch(struct h_dev *d)
{
	char id[ID_TEXT_LEN + 1], buf[64];

	if (!pick_branch(d, id))
		return;
	rand_name(buf, sizeof buf, "");
	dev_begin(d);
	dev_update1(d, TBL_ORG, id, "secretary", buf, 0);
	dev_commit(d);
	ST.txns++;
}

/* The street moves a member to a branch of the other community. */
static void
op_cross_move(struct h_dev *d)
{
	char id[ID_TEXT_LEN + 1], org[ID_TEXT_LEN + 1], to[ID_TEXT_LEN + 1], parent[ID_TEXT_LEN + 1];
	char sql[256];

	if (!pick_member(d, id) ||
	    !h_sql_text(replica_db(d->r), "SELECT org_id FROM member WHERE id = ?1", id, org,
	        sizeof org) ||
	    !h_sql_text(replica_db(d->r), "SELECT parent_id FROM org WHERE id = ?1", org, parent,
	        sizeof parent))
		return;
	snprintf(sql, sizeof sql, "SELECT id FROM org WHERE kind = 'branch' AND parent_id <> '%s' "
	    "AND coalesce(dissolved, 0) = 0 ORDER BY code", parent);
	if (!pick(d, sql, to))
		return;
	dev_begin(d);
	dev_update1(d, TBL_MEMBER, id, "org_id", to, 0);
	dev_commit(d);
	ST.txns++;
}

static void
random_op(struct h_dev *d)
{
	uint32_t x = h_randn(100);

	ST.ops++;
	if (d->admin && h_randn(100) < 6)
		op_cross_move(d);
	else if (x < 25)
		op_insert_members(d);
	else if (x < 55)
		op_update_members(d, 1);
	else if (x < 60)
		op_update_members(d, 2 + (int)h_randn(2));
	else if (x < 66)
		op_delete_member(d);
	else if (x < 80)
		op_meeting(d);
	else if (x < 91)
		op_edit_meeting(d);
	else if (x < 94)
		op_delete_meeting(d);
	else
		op_edit_branch(d);
}

/* ------------------------------------------------------ deliberate clashes */

/* x and y change the same keep-server field of one row to different values. */
static void
clash_same_field(struct h_dev *x, struct h_dev *y)
{
	static const char *const cols[] = { "name", "education", "category", "standing" };
	char id[ID_TEXT_LEN + 1], vx[64], vy[64];
	uint32_t what = h_randn(10);

	if (what < 7 && pick_shared(x, y, "member", id)) {
		const char *col = cols[h_randn(4)];
		member_value_new(x, id, col, NULL, vx, sizeof vx);
		member_value_new(y, id, col, vx, vy, sizeof vy);
		dev_begin(x);
		dev_update1(x, TBL_MEMBER, id, col, vx, 0);
		dev_commit(x);
		dev_begin(y);
		dev_update1(y, TBL_MEMBER, id, col, vy, 0);
		dev_commit(y);
	} else if (what < 8 && pick_shared(x, y, "org", id)) {
		rand_name(vx, sizeof vx, "甲");
		rand_name(vy, sizeof vy, "乙");
		dev_begin(x);
		dev_update1(x, TBL_ORG, id, "secretary", vx, 0);
		dev_commit(x);
		dev_begin(y);
		dev_update1(y, TBL_ORG, id, "secretary", vy, 0);
		dev_commit(y);
	} else if (pick_shared(x, y, "meeting", id)) {
		snprintf(vx, sizeof vx, "街道定主题%u", h_randn(100000));
		snprintf(vy, sizeof vy, "社区定主题%u", h_randn(100000));
		dev_begin(x);
		dev_update1(x, TBL_MEETING, id, "topic", vx, 0);
		dev_commit(x);
		dev_begin(y);
		dev_update1(y, TBL_MEETING, id, "topic", vy, 0);
		dev_commit(y);
	} else
		return;
	ST.same_field++;
	ST.txns += 2;
}

/* upd changes a row that del deletes. */
static void
clash_update_delete(struct h_dev *upd, struct h_dev *del)
{
	static const char *const cols[] = { "name", "education", "category", "standing" };
	char id[ID_TEXT_LEN + 1], v[64];

	if (h_randn(10) < 7 && pick_shared(upd, del, "member", id)) {
		const char *col = cols[h_randn(4)];
		member_value_new(upd, id, col, NULL, v, sizeof v);
		dev_begin(upd);
		dev_update1(upd, TBL_MEMBER, id, col, v, 0);
		dev_commit(upd);
		dev_begin(del);
		dev_delete(del, TBL_MEMBER, id);
		dev_commit(del);
		ST.txns += 2;
	} else if (pick_shared(upd, del, "meeting", id)) {
		char att[ID_TEXT_LEN + 1], sql[200];
		snprintf(sql, sizeof sql, "SELECT id FROM attendance WHERE meeting_id = '%s' ORDER BY id",
		    id);
		dev_begin(upd);
		if (h_randn(2) && pick(upd, sql, att) && holds(del, "attendance", att)) {
			char cur[32];
			rep_text(upd, "attendance", "status", att, cur, sizeof cur);
			dev_update1(upd, TBL_ATTENDANCE, att, "status",
			    strcmp(cur, "absent") == 0 ? "excused" : "absent", 0);
		} else {
			snprintf(v, sizeof v, "改期主题%u", h_randn(100000));
			dev_update1(upd, TBL_MEETING, id, "topic", v, 0);
		}
		dev_commit(upd);
		delete_meeting(del, id);
		ST.txns++;
	} else
		return;
	ST.upd_del++;
}

/* x and y register members with the same (new, valid) citizen ID number. */
static void
clash_same_idn(struct h_dev *x, struct h_dev *y)
{
	struct h_dev *both[2] = { x, y };
	char birth[11], idn[19], org[ID_TEXT_LEN + 1], id[ID_TEXT_LEN + 1];
	Tongxin__Value v[32];
	struct h_member m;

	h_rand_date(birth, 1950, 1990);
	h_id_number(idn, birth, (int)h_randn(2));
	for (int i = 0; i < 2; i++) {
		if (!pick_branch(both[i], org))
			continue;
		dev_begin(both[i]);
		h_member_vals(v, &m, org, idn);
		dev_insert(both[i], TBL_MEMBER, v, id);
		if (h_randn(3) == 0) {
			h_member_vals(v, &m, org, NULL);
			dev_insert(both[i], TBL_MEMBER, v, id);
		}
		dev_commit(both[i]);
		ST.txns++;
	}
	ST.same_idn++;
}

/*
 * The street moves a member of office o's community to a branch of the
 * other community while o edits the member: if the move arrives first, o's
 * edit is kept as a "transferred" conflict.
 */
static void
clash_moved(struct h_dev *o)
{
	static const char *const cols[] = { "name", "education", "phone", "address" };
	char id[ID_TEXT_LEN + 1], to[ID_TEXT_LEN + 1], v[64];
	const char *col = cols[h_randn(4)];
	int other = o == &O1 ? 1 : 0;

	if (!pick_shared(o, &A, "member", id) ||
	    !pick(&A, other ? "SELECT id FROM org WHERE kind = 'branch' AND coalesce(dissolved, 0) = 0 "
	        "AND parent_id = (SELECT id FROM org WHERE code = 'SQ02') ORDER BY code" :
	        "SELECT id FROM org WHERE kind = 'branch' AND coalesce(dissolved, 0) = 0 "
	        "AND parent_id = (SELECT id FROM org WHERE code = 'SQ01') ORDER BY code", to))
		return;
	dev_begin(&A);
	dev_update1(&A, TBL_MEMBER, id, "org_id", to, 0);
	dev_commit(&A);
	if (strcmp(col, "phone") == 0)
		snprintf(v, sizeof v, "136%08u", h_randn(100000000));
	else if (strcmp(col, "address") == 0)
		snprintf(v, sizeof v, "搬迁路%u号", h_randn(500));
	else
		member_value_new(o, id, col, NULL, v, sizeof v);
	dev_begin(o);
	dev_update1(o, TBL_MEMBER, id, col, v, 0);
	dev_commit(o);
	ST.moved++;
	ST.txns += 2;
}

/*
 * A branch of community c that the street makes, and once the office holds
 * it, dissolves in the same round as the office adds members to it (and
 * moves one in, and holds a meeting there).
 */
static void
doomed_step(int c)
{
	struct h_dev *o = offices[c];
	char code[32];

	if (doomed[c].state == 0) {
		if (h_randn(10) < 3) {
			snprintf(code, sizeof code, "SQ0%dT%d", c + 1, ++doomed_seq);
			dev_add_org(&A, code, "临时党支部", "branch", comm_id[c], doomed[c].id);
			doomed[c].state = 1;
			ST.doomed_made++;
			ST.txns++;
		}
		return;
	}
	if (h_sql_int(replica_db(o->r), "SELECT count(*) FROM org WHERE id = ?1 AND "
	    "coalesce(dissolved, 0) = 0", doomed[c].id, NULL) == 0 || h_randn(10) < 4)
		return;
	dev_begin(&A);
	dev_update1(&A, TBL_ORG, doomed[c].id, "dissolved", NULL, 1);
	dev_commit(&A);
	{
		Tongxin__Value v[32];
		struct h_member m;
		char id[ID_TEXT_LEN + 1];
		int k = 1 + (int)h_randn(2);
		dev_begin(o);
		for (int i = 0; i < k; i++) {
			h_member_vals(v, &m, doomed[c].id, NULL);
			dev_insert(o, TBL_MEMBER, v, id);
		}
		dev_commit(o);
		if (h_randn(3) == 0 && pick(o, "SELECT id FROM member ORDER BY rowid", id)) {
			dev_begin(o);
			dev_update1(o, TBL_MEMBER, id, "org_id", doomed[c].id, 0);
			dev_commit(o);
			ST.txns++;
		}
		if (h_randn(3) == 0)
			meeting_in(o, doomed[c].id);
	}
	doomed[c].state = 0;
	ST.doomed_hit++;
	ST.txns += 2;
}

/* ------------------------------------------------------ administrator */

static int
admin_ask(Tongxin__Envelope *req, Tongxin__Envelope__BodyCase want, Tongxin__Envelope **reply,
    char *err, size_t errlen)
{
	struct sync_opts o;
	enum sync_fail f;

	memset(&o, 0, sizeof o);
	o.server = S.addr;
	o.operator_name = OPERATOR;
	o.timeout_ms = 60000;
	err[0] = '\0';
	return sync_request(A.r, &o, req, want, reply, &f, err, errlen);
}

static int
cmp_id(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

/* The conflicts the server lists with this status, sorted by id; checks each entry's fields. */
static void
admin_list(const char *status, struct h_ids *out)
{
	Tongxin__ConflictListRequest lr = TONGXIN__CONFLICT_LIST_REQUEST__INIT;
	Tongxin__ConflictFilter f = TONGXIN__CONFLICT_FILTER__INIT;
	Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT, *in = NULL;
	char err[1024];

	memset(out, 0, sizeof *out);
	f.status = (char *)status;
	lr.filter = &f;
	env.body_case = TONGXIN__ENVELOPE__BODY_CONFLICT_LIST;
	env.conflict_list = &lr;
	H_CHECK(admin_ask(&env, TONGXIN__ENVELOPE__BODY_CONFLICT_LIST_RESULT, &in, err,
	    sizeof err) == 0, "conflicts list --status %s: %s", status, err);
	for (size_t i = 0; i < in->conflict_list_result->n_conflicts; i++) {
		const Tongxin__ConflictInfo *c = in->conflict_list_result->conflicts[i];
		H_CHECK(strcmp(c->status, status) == 0, "conflict %s listed for status %s has status "
		    "%s", c->id, status, c->status);
		H_CHECK(c->device_name[0] && c->kind[0] && c->reason[0] && c->row_id[0] && c->seq > 0,
		    "conflict %s is listed without device, kind, reason, row or seq", c->id);
		if (strcmp(status, "resolved") == 0)
			H_CHECK(c->resolution[0] && c->resolved_by[0] && c->resolved_at_ms > 0,
			    "resolved conflict %s is listed without resolution (\"%s\"), who (\"%s\") "
			    "or when", c->id, c->resolution, c->resolved_by);
		else
			H_CHECK(c->resolution[0] == '\0' && c->resolved_by[0] == '\0',
			    "open conflict %s is listed with a resolution \"%s\"", c->id, c->resolution);
		h_ids_add(out, c->id);
	}
	envelope_free(in);
	if (out->n > 1)
		qsort(out->v, out->n, sizeof *out->v, cmp_id);
}

/* The listed conflicts with this status are exactly the server database's. */
static void
check_listed_equals_db(const char *status, const struct h_ids *listed)
{
	sqlite3 *sdb = srv_db(&S);
	struct h_ids db;

	h_sql_ids(sdb, "SELECT id FROM conflict WHERE status = ?1 ORDER BY id", status, &db);
	if (db.n > 1)
		qsort(db.v, db.n, sizeof *db.v, cmp_id);
	H_CHECK(db.n == listed->n, "the server lists %zu %s conflicts, its database holds %zu",
	    listed->n, status, db.n);
	for (size_t i = 0; i < db.n; i++)
		H_CHECK(strcmp(db.v[i], listed->v[i]) == 0, "%s conflicts: the list and the database "
		    "differ at %zu (%s vs %s)", status, i, listed->v[i], db.v[i]);
	h_ids_free(&db);
	sqlite3_close(sdb);
}

static int
in_sorted(const struct h_ids *l, const char *id)
{
	return l->n > 0 && bsearch(id, l->v, l->n, sizeof *l->v, cmp_id) != NULL;
}

static Tongxin__Envelope *
admin_show(const char *cid)
{
	Tongxin__ConflictShowRequest sr = TONGXIN__CONFLICT_SHOW_REQUEST__INIT;
	Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT, *in = NULL;
	char err[1024];

	sr.id = (char *)cid;
	env.body_case = TONGXIN__ENVELOPE__BODY_CONFLICT_SHOW;
	env.conflict_show = &sr;
	H_CHECK(admin_ask(&env, TONGXIN__ENVELOPE__BODY_CONFLICT_SHOW_RESULT, &in, err,
	    sizeof err) == 0, "conflicts show %s: %s", cid, err);
	H_CHECK(in->conflict_show_result->conflict != NULL, "conflicts show %s: no conflict", cid);
	return in;
}

static int
admin_resolve(const char *cid, int decision, const uint32_t *cols, Tongxin__Value *vals,
    size_t n, Tongxin__Envelope **reply, char *err, size_t errlen)
{
	Tongxin__ConflictResolveRequest rr = TONGXIN__CONFLICT_RESOLVE_REQUEST__INIT;
	Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT;
	Tongxin__Value *vp[MAXC];

	rr.id = (char *)cid;
	rr.decision = decision == D_KEEP ? TONGXIN__CONFLICT_RESOLVE_REQUEST__DECISION__KEEP_SERVER :
	    decision == D_TAKE ? TONGXIN__CONFLICT_RESOLVE_REQUEST__DECISION__TAKE_OFFICE :
	    TONGXIN__CONFLICT_RESOLVE_REQUEST__DECISION__SET;
	for (size_t i = 0; i < n; i++)
		vp[i] = &vals[i];
	rr.cols = (uint32_t *)cols;
	rr.n_cols = n;
	rr.values = vp;
	rr.n_values = n;
	if (h_randn(3) == 0)
		rr.note = (char *)"随机处理";
	env.body_case = TONGXIN__ENVELOPE__BODY_CONFLICT_RESOLVE;
	env.conflict_resolve = &rr;
	return admin_ask(&env, TONGXIN__ENVELOPE__BODY_CONFLICT_RESOLVE_RESULT, reply, err, errlen);
}

static struct h_dev *
dev_by_name(const char *name)
{
	for (int i = 0; i < NDEV; i++)
		if (strcmp(devs[i]->name, name) == 0)
			return devs[i];
	return NULL;
}

/* The highest row version in the server's data tables (every data write raises it). */
static int64_t
srv_data_version(sqlite3 *sdb)
{
	int64_t v = 0;
	for (int t = 0; t < TBL_COUNT; t++) {
		char sql[128];
		int64_t x;
		snprintf(sql, sizeof sql, "SELECT coalesce(max(_version), 0) FROM %s",
		    schema_tables[t].name);
		x = h_sql_int(sdb, sql, NULL, NULL);
		if (x > v)
			v = x;
	}
	return v;
}

/* quote() of a value, as SQLite's quote() renders it (sqlite3_free it). */
static char *
vquote(const Tongxin__Value *v)
{
	switch (v->kind_case) {
	case TONGXIN__VALUE__KIND_S: return sqlite3_mprintf("%Q", v->s);
	case TONGXIN__VALUE__KIND_I: return sqlite3_mprintf("%lld", (long long)v->i);
	case TONGXIN__VALUE__KIND_R: return sqlite3_mprintf("%!.15g", v->r);
	default: return sqlite3_mprintf("NULL");
	}
}

/* What a row must look like after the office's transaction was taken. */
struct exp_row {
	int table;
	char id[ID_TEXT_LEN + 1];
	int deleted;
	char *q[MAXC];   /* NULL: not checked */
};

static void
exp_set(struct exp_row *e, uint32_t col, const Tongxin__Value *v)
{
	if (col >= MAXC)
		return;
	sqlite3_free(e->q[col]);
	e->q[col] = vquote(v);
}

/*
 * Lay the office's transaction (and, for set, the merged values over the
 * conflicted row) into rows[]; returns how many rows.
 */
static size_t
expected_rows(const Tongxin__ConflictInfo *ci, const uint32_t *mcols, const Tongxin__Value *mvals,
    size_t nm, struct exp_row *rows, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < ci->txn->n_changes; i++) {
		const Tongxin__Change *c = ci->txn->changes[i];
		struct exp_row *e = NULL;
		for (size_t j = 0; j < n && e == NULL; j++)
			if (rows[j].table == (int)c->table && strcmp(rows[j].id, c->row_id) == 0)
				e = &rows[j];
		if (e == NULL) {
			H_CHECK(n < cap, "too many rows in one transaction");
			e = &rows[n++];
			memset(e, 0, sizeof *e);
			e->table = (int)c->table;
			snprintf(e->id, sizeof e->id, "%s", c->row_id);
		}
		if (c->op == TONGXIN__CHANGE__OP__OP_DELETE) {
			e->deleted = 1;
			continue;
		}
		e->deleted = 0;
		for (size_t k = 0; k < c->n_cols && k < c->n_values; k++)
			exp_set(e, c->cols[k], c->values[k]);
	}
	for (size_t j = 0; j < n && nm > 0; j++)
		if (rows[j].table == (int)ci->table && strcmp(rows[j].id, ci->row_id) == 0)
			for (size_t k = 0; k < nm; k++)
				exp_set(&rows[j], mcols[k], &mvals[k]);
	return n;
}

static void
exp_free(struct exp_row *rows, size_t n)
{
	for (size_t j = 0; j < n; j++)
		for (int k = 0; k < MAXC; k++) {
			sqlite3_free(rows[j].q[k]);
			rows[j].q[k] = NULL;
		}
}

/* Whether the server's row matches e; why (if not NULL) says the first difference. */
static int
srv_row_matches(sqlite3 *sdb, int table, const char *id, int deleted, char *const *q,
    char *why, size_t cap)
{
	const struct table_def *td = &schema_tables[table];
	char sql[256], got[1024];

	snprintf(sql, sizeof sql, "SELECT _deleted FROM %s WHERE id = ?1", td->name);
	if (!h_sql_text(sdb, sql, id, got, sizeof got)) {
		if (why)
			snprintf(why, cap, "%s %s is not on the server", td->name, id);
		return 0;
	}
	if (atoi(got) != deleted) {
		if (why)
			snprintf(why, cap, "%s %s: _deleted is %s, expected %d", td->name, id, got,
			    deleted);
		return 0;
	}
	if (deleted)
		return 1;
	for (int k = 0; k < td->ncols && k < MAXC; k++) {
		if (q[k] == NULL)
			continue;
		snprintf(sql, sizeof sql, "SELECT quote(%s) FROM %s WHERE id = ?1", td->cols[k].name,
		    td->name);
		h_sql_text(sdb, sql, id, got, sizeof got);
		if (strcmp(got, q[k]) != 0) {
			if (why)
				snprintf(why, cap, "%s %s: %s is %s, expected %s", td->name, id,
				    td->cols[k].name, got, q[k]);
			return 0;
		}
	}
	return 1;
}

/* A live branch in scope (from the server), into id; 0 if none. */
static int
srv_live_branch(const char *scope, char id[ID_TEXT_LEN + 1])
{
	sqlite3 *sdb = srv_db(&S);
	struct h_ids l;
	int found = 0;

	h_sql_ids(sdb, "SELECT id FROM org WHERE kind = 'branch' AND _deleted = 0 AND "
	    "coalesce(dissolved, 0) = 0 AND substr(_scope, 1, length(?1)) = ?1 ORDER BY code", scope,
	    &l);
	if (l.n > 0) {
		snprintf(id, ID_TEXT_LEN + 1, "%s", l.v[h_randn((uint32_t)l.n)]);
		found = 1;
	}
	h_ids_free(&l);
	sqlite3_close(sdb);
	return found;
}

/*
 * A valid merged value for column col of the conflicted row into *val
 * (text in buf). Returns 0 when this test has no generator for the column.
 */
static int
merged_value(const Tongxin__ConflictInfo *ci, const Tongxin__Change *ch, struct h_dev *owner,
    uint32_t col, Tongxin__Value *val, char *buf, size_t cap)
{
	const struct table_def *td = &schema_tables[ci->table];
	const char *name = td->cols[col].name;

	switch (ci->table) {
	case TBL_MEMBER:
		if (strcmp(name, "name") == 0 || strcmp(name, "education") == 0 ||
		    strcmp(name, "category") == 0 || strcmp(name, "standing") == 0) {
			member_value(name, buf, cap);
			if (strcmp(name, "name") == 0)
				rand_name(buf, cap, "合并");
		} else if (strcmp(name, "phone") == 0)
			snprintf(buf, cap, "137%08u", h_randn(100000000));
		else if (strcmp(name, "job") == 0)
			snprintf(buf, cap, "合并岗位%u", h_randn(100));
		else if (strcmp(name, "address") == 0)
			snprintf(buf, cap, "合并路%u号", h_randn(500));
		else if (strcmp(name, "retired") == 0) {
			value_set_int(val, h_randn(2));
			return 1;
		} else if (strcmp(name, "org_id") == 0) {
			if (!srv_live_branch(owner->scope, buf))
				return 0;
		} else if (strcmp(name, "id_number") == 0) {
			/* A new number that agrees with the birth date and the gender. */
			char birth[11] = "", gender[16] = "";
			uint32_t bc = (uint32_t)h_col(TBL_MEMBER, "birth_date");
			uint32_t gc = (uint32_t)h_col(TBL_MEMBER, "gender");
			for (size_t k = 0; k < ch->n_cols && k < ch->n_values; k++) {
				if (ch->values[k]->kind_case != TONGXIN__VALUE__KIND_S)
					continue;
				if (ch->cols[k] == bc)
					snprintf(birth, sizeof birth, "%s", ch->values[k]->s);
				else if (ch->cols[k] == gc)
					snprintf(gender, sizeof gender, "%s", ch->values[k]->s);
			}
			if (strlen(birth) != 10 || gender[0] == '\0')
				return 0;
			H_CHECK(cap >= 19, "buffer");
			h_id_number(buf, birth, strcmp(gender, "male") == 0);
		} else
			return 0;
		break;
	case TBL_ORG:
		if (strcmp(name, "secretary") == 0 || strcmp(name, "name") == 0)
			rand_name(buf, cap, "合并");
		else
			return 0;
		break;
	case TBL_MEETING:
		if (strcmp(name, "topic") == 0 || strcmp(name, "minutes") == 0)
			snprintf(buf, cap, "合并主题%u", h_randn(100000));
		else if (strcmp(name, "org_id") == 0 && ch->op == TONGXIN__CHANGE__OP__OP_INSERT) {
			if (!srv_live_branch(owner->scope, buf))
				return 0;
		} else
			return 0;
		break;
	case TBL_ATTENDANCE:
		if (strcmp(name, "status") == 0)
			snprintf(buf, cap, "%s", att_states[h_randn(3)]);
		else if (strcmp(name, "reason") == 0)
			snprintf(buf, cap, "合并事由%u", h_randn(100));
		else
			return 0;
		break;
	default:
		return 0;
	}
	value_set_text(val, buf);
	return 1;
}

/*
 * The column a set resolution should merge, for the conflict's kind.
 * Returns -1 if none that this test can fill.
 */
static int
conflicted_col(const Tongxin__ConflictInfo *ci, const Tongxin__Change *ch)
{
	const struct table_def *td = &schema_tables[ci->table];

	if (strcmp(ci->kind, "unique") == 0)
		return ch->op == TONGXIN__CHANGE__OP__OP_INSERT ? h_col((int)ci->table, "id_number") : -1;
	if (strcmp(ci->kind, "missing_parent") == 0) {
		if (ci->table == TBL_MEMBER || (ci->table == TBL_MEETING &&
		    ch->op == TONGXIN__CHANGE__OP__OP_INSERT))
			return h_col((int)ci->table, "org_id");
		return -1;
	}
	if (strcmp(ci->kind, "same_field") == 0 && ci->server_row != NULL &&
	    !ci->server_row->deleted && ch->op == TONGXIN__CHANGE__OP__OP_UPDATE) {
		for (size_t k = 0; k < ch->n_cols && k < ch->n_before; k++) {
			uint32_t c = ch->cols[k];
			if (c < ci->server_row->n_values && td->cols[c].merge == MERGE_KEEP_SERVER &&
			    !value_eq(ci->server_row->values[c], ch->before[k]))
				return (int)c;
		}
	}
	/* Otherwise one of the columns the office changed. */
	if (ch->op == TONGXIN__CHANGE__OP__OP_UPDATE && ch->n_cols > 0)
		return (int)ch->cols[h_randn((uint32_t)ch->n_cols)];
	/* A delete: any column (the server must refuse a merge over a delete). */
	if (ch->op == TONGXIN__CHANGE__OP__OP_DELETE)
		return ci->table == TBL_MEMBER ? h_col(TBL_MEMBER, "name") :
		    ci->table == TBL_ORG ? h_col(TBL_ORG, "secretary") :
		    ci->table == TBL_MEETING ? h_col(TBL_MEETING, "topic") :
		    ci->table == TBL_ATTENDANCE ? h_col(TBL_ATTENDANCE, "status") : -1;
	return -1;
}

/* Rows the resolution wrote are audited under the administrator's device and operator. */
static void
check_resolution_audit(sqlite3 *sdb, const char *cid, int64_t audit0, int64_t rv)
{
	char sql[512];

	H_CHECK(h_sql_int(sdb, "SELECT count(*) FROM audit WHERE action = 'resolve' AND version = "
	    "(SELECT resolved_version FROM conflict WHERE id = ?1)"
	    /* The sentence as text: PostgreSQL's copy holds it as the bytes of a BYTEA. */
	    " AND CAST(detail AS TEXT) LIKE '%' || ?1 || '%' "
	    "AND device_id = ?2", cid, A.device_id) == 1,
	    "conflict %s: no 'resolve' audit entry by the administrator at the resolution's version",
	    cid);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM audit WHERE version > %lld AND version <= "
	    "%lld AND (coalesce(device_id, '') <> ?1 OR coalesce(operator, '') <> ?2)",
	    (long long)audit0, (long long)rv);
	H_CHECK(h_sql_int(sdb, sql, A.device_id, OPERATOR) == 0, "conflict %s: the resolution's "
	    "audit entries do not all name the administrator's device and operator %s", cid,
	    OPERATOR);
	/* Every row written by the resolution has its audit entry. */
	for (int t = 0; t < TBL_COUNT; t++) {
		snprintf(sql, sizeof sql, "SELECT count(*) FROM %s r WHERE r._version > %lld AND NOT "
		    "EXISTS (SELECT 1 FROM audit a WHERE a.version = r._version AND a.row_id = r.id)",
		    schema_tables[t].name, (long long)audit0);
		H_CHECK(h_sql_int(sdb, sql, NULL, NULL) == 0, "conflict %s: the resolution wrote %s "
		    "rows that the audit does not record", cid, schema_tables[t].name);
	}
}

/* Resolve conflict cid with a random decision and check what it did. */
static void
resolve_one(const char *cid)
{
	Tongxin__Envelope *show = admin_show(cid), *reply = NULL;
	const Tongxin__ConflictInfo *ci = show->conflict_show_result->conflict;
	const Tongxin__Change *ch = NULL;
	struct h_dev *owner;
	uint32_t mcol[1];
	Tongxin__Value mval[1];
	char buf[256], err[1024], st[32];
	size_t nm = 0;
	int decision = (int)h_randn(3), rc, set_on_delete = 0;
	int64_t dv0, dv1, audit0, naudit0;
	sqlite3 *sdb;

	/* Both sides are kept whole. */
	H_CHECK(strcmp(ci->status, "open") == 0, "conflict %s listed open, shown %s", cid, ci->status);
	H_CHECK(ci->txn != NULL && ci->txn->n_changes > 0 && ci->txn->seq == ci->seq,
	    "conflict %s: show has no whole transaction", cid);
	H_CHECK(ci->table < TBL_COUNT, "conflict %s: table %u", cid, ci->table);
	if (strcmp(ci->kind, "same_field") == 0 || strcmp(ci->kind, "update_deleted") == 0 ||
	    strcmp(ci->kind, "delete_updated") == 0 || strcmp(ci->kind, "unique") == 0)
		H_CHECK(ci->server_row != NULL, "conflict %s (%s): show lacks the server's side", cid,
		    ci->kind);
	if (strcmp(ci->kind, "unique") == 0)
		H_CHECK(strcmp(ci->server_row->row_id, ci->row_id) != 0, "conflict %s (unique): the "
		    "server's side is the office's own row", cid);
	owner = dev_by_name(ci->device_name);
	H_CHECK(owner != NULL, "conflict %s: unknown device %s", cid, ci->device_name);
	for (size_t i = 0; i < ci->txn->n_changes && ch == NULL; i++)
		if (ci->txn->changes[i]->table == ci->table &&
		    strcmp(ci->txn->changes[i]->row_id, ci->row_id) == 0)
			ch = ci->txn->changes[i];
	H_CHECK(ch != NULL, "conflict %s: row %s is not in the office's transaction", cid,
	    ci->row_id);

	if (decision == D_SET) {
		int c = conflicted_col(ci, ch);
		if (c >= 0 && merged_value(ci, ch, owner, (uint32_t)c, &mval[0], buf, sizeof buf)) {
			mcol[0] = (uint32_t)c;
			nm = 1;
			for (size_t i = 0; i < ci->txn->n_changes; i++)
				if (ci->txn->changes[i]->table == ci->table &&
				    strcmp(ci->txn->changes[i]->row_id, ci->row_id) == 0 &&
				    ci->txn->changes[i]->op == TONGXIN__CHANGE__OP__OP_DELETE)
					set_on_delete = 1;
		} else
			decision = (int)h_randn(2);
	}

	sdb = srv_db(&S);
	dv0 = srv_data_version(sdb);
	audit0 = h_sql_int(sdb, "SELECT coalesce(max(version), 0) FROM audit", NULL, NULL);
	naudit0 = h_sql_int(sdb, "SELECT count(*) FROM audit", NULL, NULL);
	sqlite3_close(sdb);

	ST.tried[decision]++;
	rc = admin_resolve(cid, decision, mcol, mval, nm, &reply, err, sizeof err);

	sdb = srv_db(&S);
	dv1 = srv_data_version(sdb);
	h_sql_text(sdb, "SELECT status FROM conflict WHERE id = ?1", cid, st, sizeof st);
	if (rc != 0) {
		ST.failed[decision]++;
		H_CHECK(decision != D_KEEP, "keep-server resolution of open conflict %s (%s) failed: %s",
		    cid, ci->kind, err);
		H_CHECK(!set_on_delete || strstr(err, "deleted") != NULL, "conflict %s: a merge over "
		    "the office's delete was refused with an unclear error: %s", cid, err);
		H_CHECK(err[0] != '\0', "conflict %s: a refused %s resolution gave no reason", cid,
		    decision_names[decision]);
		H_CHECK(strcmp(st, "open") == 0 && h_sql_int(sdb, "SELECT count(*) FROM conflict WHERE "
		    "id = ?1 AND resolution IS NULL AND resolved_by IS NULL", cid, NULL) == 1,
		    "conflict %s: a refused %s resolution (%s) left it %s", cid,
		    decision_names[decision], err, st);
		H_CHECK(dv1 == dv0 && h_sql_int(sdb, "SELECT count(*) FROM audit", NULL, NULL) ==
		    naudit0, "conflict %s: a refused %s resolution (%s) changed data (version %lld -> "
		    "%lld) or the audit", cid, decision_names[decision], err, (long long)dv0,
		    (long long)dv1);
	} else {
		const Tongxin__ConflictResolveResponse *rr = reply->conflict_resolve_result;
		char res[1100], by[300];
		int64_t rv = (int64_t)rr->version;

		ST.ok[decision]++;
		H_CHECK(!set_on_delete, "conflict %s: a merged value over the office's delete of %s "
		    "was accepted", cid, ci->row_id);
		H_CHECK(strncmp(rr->resolution, decision_names[decision],
		    strlen(decision_names[decision])) == 0, "conflict %s: resolved %s, the server says "
		    "\"%s\"", cid, decision_names[decision], rr->resolution);
		h_sql_text(sdb, "SELECT resolution FROM conflict WHERE id = ?1", cid, res, sizeof res);
		h_sql_text(sdb, "SELECT resolved_by FROM conflict WHERE id = ?1", cid, by, sizeof by);
		H_CHECK(strcmp(st, "resolved") == 0 && strcmp(res, rr->resolution) == 0 &&
		    strstr(by, A.name) != NULL && strstr(by, OPERATOR) != NULL &&
		    h_sql_int(sdb, "SELECT resolved_version FROM conflict WHERE id = ?1", cid, NULL) == rv,
		    "conflict %s after %s: status %s, resolution \"%s\", resolved_by \"%s\"", cid,
		    decision_names[decision], st, res, by);
		check_resolution_audit(sdb, cid, audit0, rv);
		if (decision == D_KEEP) {
			H_CHECK(dv1 == dv0, "conflict %s: keep-server changed data (version %lld -> %lld)",
			    cid, (long long)dv0, (long long)dv1);
		} else {
			struct exp_row rows[64];
			char why[1400];
			size_t n = expected_rows(ci, mcol, mval, nm, rows, 64);
			struct res_rec *r;

			for (size_t j = 0; j < n; j++)
				H_CHECK(srv_row_matches(sdb, rows[j].table, rows[j].id, rows[j].deleted,
				    rows[j].q, why, sizeof why), "conflict %s (%s) resolved %s: the server "
				    "does not hold the office's transaction: %s", cid, ci->kind,
				    rr->resolution, why);
			/* Keep the conflicted row's expectation for the end. */
			if (nrecs == caprecs) {
				caprecs = caprecs ? 2 * caprecs : 64;
				recs = realloc(recs, caprecs * sizeof *recs);
				H_CHECK(recs != NULL, "out of memory");
			}
			r = &recs[nrecs++];
			memset(r, 0, sizeof *r);
			snprintf(r->cid, sizeof r->cid, "%s", cid);
			r->decision = decision;
			r->version = rv;
			r->table = (int)ci->table;
			snprintf(r->row_id, sizeof r->row_id, "%s", ci->row_id);
			for (size_t j = 0; j < n; j++)
				if (rows[j].table == r->table && strcmp(rows[j].id, r->row_id) == 0) {
					r->deleted = rows[j].deleted;
					for (int k = 0; k < MAXC; k++) {
						r->q[k] = rows[j].q[k];
						rows[j].q[k] = NULL;
					}
				}
			exp_free(rows, n);
		}
		envelope_free(reply);
	}
	sqlite3_close(sdb);
	envelope_free(show);
}

/* Resolving a conflict that is already resolved is refused and changes nothing. */
static void
resolve_again(void)
{
	sqlite3 *sdb = srv_db(&S);
	char cid[ID_TEXT_LEN + 1], res[1100], res2[1100], err[1024];
	Tongxin__Envelope *reply = NULL;
	int64_t dv0, na0, rv0;
	int rc;

	{
		/* In (device, seq) order: ids are random, the seed should choose the same one. */
		struct h_ids l;
		h_sql_ids(sdb, "SELECT c.id FROM conflict c JOIN device d ON d.id = c.device_id WHERE "
		    "c.status = 'resolved' ORDER BY d.name, c.seq", NULL, &l);
		if (l.n == 0) {
			h_ids_free(&l);
			sqlite3_close(sdb);
			return;
		}
		snprintf(cid, sizeof cid, "%s", l.v[h_randn((uint32_t)l.n)]);
		h_ids_free(&l);
	}
	h_sql_text(sdb, "SELECT resolution FROM conflict WHERE id = ?1", cid, res, sizeof res);
	rv0 = h_sql_int(sdb, "SELECT resolved_version FROM conflict WHERE id = ?1", cid, NULL);
	dv0 = srv_data_version(sdb);
	na0 = h_sql_int(sdb, "SELECT count(*) FROM audit", NULL, NULL);
	sqlite3_close(sdb);
	ST.again++;
	rc = admin_resolve(cid, (int)h_randn(2), NULL, NULL, 0, &reply, err, sizeof err);
	if (rc == 0)
		envelope_free(reply);
	H_CHECK(rc != 0, "resolving conflict %s a second time was accepted", cid);
	H_CHECK(strstr(err, "not open") != NULL, "resolving conflict %s again: unclear error: %s",
	    cid, err);
	sdb = srv_db(&S);
	h_sql_text(sdb, "SELECT resolution FROM conflict WHERE id = ?1", cid, res2, sizeof res2);
	H_CHECK(strcmp(res, res2) == 0 && rv0 == h_sql_int(sdb, "SELECT resolved_version FROM "
	    "conflict WHERE id = ?1", cid, NULL) && srv_data_version(sdb) == dv0 &&
	    h_sql_int(sdb, "SELECT count(*) FROM audit", NULL, NULL) == na0,
	    "a refused second resolution of %s changed something", cid);
	sqlite3_close(sdb);
}

/* The administrator lists the open conflicts and settles a random subset. */
static void
admin_batch(void)
{
	struct h_ids open, order;
	sqlite3 *sdb;

	ST.batches++;
	admin_list("open", &open);
	check_listed_equals_db("open", &open);
	ST.listed += (int64_t)open.n;
	/* The same set, in (device, seq) order: ids are random, the seed should choose alike. */
	sdb = srv_db(&S);
	h_sql_ids(sdb, "SELECT c.id FROM conflict c JOIN device d ON d.id = c.device_id WHERE "
	    "c.status = 'open' ORDER BY d.name, c.seq", NULL, &order);
	sqlite3_close(sdb);
	H_CHECK(order.n == open.n, "open conflicts changed under the administrator");
	for (size_t i = 0; i < order.n; i++)
		if (h_randn(2) == 0)
			resolve_one(order.v[i]);
	if (h_randn(4) == 0)
		resolve_again();
	h_ids_free(&order);
	h_ids_free(&open);
}

/* ---------------------------------------------------------------- set-up */

static void
setup(void)
{
	char id[ID_TEXT_LEN + 1], code[16];
	Tongxin__Value v[32];
	struct h_member m;
	const char *codes[2] = { "SQ01", "SQ02" };

	srv_init(&S, "srv");
	srv_start(&S);
	dev_new(&A, &S, "JD01", "street-admin", 1);
	dev_sync(&A, &S, NULL);
	H_CHECK(h_org_id(replica_db(A.r), "JD01", street_id), "the street admin did not receive the "
	    "street's organisation row");
	dev_add_org(&A, "SQ01", "第一社区", "community", street_id, comm_id[0]);
	dev_add_org(&A, "SQ02", "第二社区", "community", street_id, comm_id[1]);
	for (int c = 0; c < 2; c++)
		for (int b = 1; b <= 2; b++) {
			snprintf(code, sizeof code, "%sB%d", codes[c], b);
			dev_add_org(&A, code, b == 1 ? "第一党支部" : "第二党支部", "branch", comm_id[c], id);
		}
	dev_sync(&A, &S, NULL);
	/* Two hot members per branch, by the street: SQ01B1 0-1, SQ01B2 2-3, SQ02B1 4-5, SQ02B2 6-7. */
	dev_begin(&A);
	{
		struct h_ids br;
		h_sql_ids(replica_db(A.r), "SELECT id FROM org WHERE kind = 'branch' ORDER BY code",
		    NULL, &br);
		H_CHECK(br.n == 4, "expected 4 branches, the street has %zu", br.n);
		for (size_t b = 0; b < br.n; b++)
			for (int i = 0; i < 2; i++) {
				h_member_vals(v, &m, br.v[b], NULL);
				dev_insert(&A, TBL_MEMBER, v, id);
				h_ids_add(&hot, id);
			}
		h_ids_free(&br);
	}
	dev_commit(&A);
	dev_sync(&A, &S, NULL);
	dev_new(&O1, &S, "SQ01", "office-sq01", 0);
	dev_new(&O2, &S, "SQ02", "office-sq02", 0);
	for (int i = 0; i < NDEV; i++) {
		dev_sync(devs[i], &S, NULL);
		h_require_equal(&S, devs[i]);
	}
	H_CHECK(h_sql_int(replica_db(O1.r), "SELECT count(*) FROM member", NULL, NULL) == 4,
	    "SQ01 should hold its 4 hot members");
}

/*
 * A first round with a fixed sync order (street, SQ01, SQ02), so that every
 * run has each kind of conflict whatever the seed: a member added to a
 * branch the street dissolved (missing_parent), the same name changed by
 * the street and SQ01 (same_field), SQ01's update of a member the street
 * deleted (update_deleted), SQ02's delete of a member the street changed
 * (delete_updated), and one citizen ID registered by both offices (unique).
 */
static void
scripted_round(void)
{
	char br[ID_TEXT_LEN + 1], id[ID_TEXT_LEN + 1], birth[11], idn[19], cur[64];
	Tongxin__Value v[32];
	struct h_member m;
	sqlite3 *sdb;
	static const char *const kinds[] = { "missing_parent", "same_field", "update_deleted",
		"delete_updated", "unique" };

	dev_add_org(&A, "SQ01X0", "临时党支部", "branch", comm_id[0], br);
	dev_sync(&A, &S, NULL);
	dev_sync(&O1, &S, NULL);
	H_CHECK(holds(&O1, "org", br), "SQ01 did not receive the street's new branch");

	dev_begin(&A);
	dev_update1(&A, TBL_ORG, br, "dissolved", NULL, 1);
	dev_commit(&A);
	dev_begin(&O1);
	h_member_vals(v, &m, br, NULL);
	dev_insert(&O1, TBL_MEMBER, v, id);
	dev_commit(&O1);

	dev_begin(&A);
	dev_update1(&A, TBL_MEMBER, hot.v[0], "name", "街道改名甲", 0);
	dev_commit(&A);
	dev_begin(&O1);
	dev_update1(&O1, TBL_MEMBER, hot.v[0], "name", "社区改名甲", 0);
	dev_commit(&O1);

	dev_begin(&A);
	dev_delete(&A, TBL_MEMBER, hot.v[1]);
	dev_commit(&A);
	member_value_new(&O1, hot.v[1], "education", NULL, cur, sizeof cur);
	dev_begin(&O1);
	dev_update1(&O1, TBL_MEMBER, hot.v[1], "education", cur, 0);
	dev_commit(&O1);

	member_value_new(&A, hot.v[4], "education", NULL, cur, sizeof cur);
	dev_begin(&A);
	dev_update1(&A, TBL_MEMBER, hot.v[4], "education", cur, 0);
	dev_commit(&A);
	dev_begin(&O2);
	dev_delete(&O2, TBL_MEMBER, hot.v[4]);
	dev_commit(&O2);

	h_rand_date(birth, 1960, 1980);
	h_id_number(idn, birth, (int)h_randn(2));
	{
		char org[ID_TEXT_LEN + 1];
		H_CHECK(h_sql_text(replica_db(O1.r), "SELECT org_id FROM member WHERE id = ?1",
		    hot.v[2], org, sizeof org), "SQ01 lost hot member 2");
		dev_begin(&O1);
		h_member_vals(v, &m, org, idn);
		dev_insert(&O1, TBL_MEMBER, v, id);
		dev_commit(&O1);
		H_CHECK(h_sql_text(replica_db(O2.r), "SELECT org_id FROM member WHERE id = ?1",
		    hot.v[6], org, sizeof org), "SQ02 lost hot member 6");
		dev_begin(&O2);
		h_member_vals(v, &m, org, idn);
		dev_insert(&O2, TBL_MEMBER, v, id);
		dev_commit(&O2);
	}
	ST.txns += 11;

	dev_sync(&A, &S, NULL);
	dev_sync(&O1, &S, NULL);
	dev_sync(&O2, &S, NULL);
	dev_sync(&A, &S, NULL);
	sdb = srv_db(&S);
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
		H_CHECK(h_sql_int(sdb, "SELECT count(*) FROM conflict WHERE kind = ?1 AND status = "
		    "'open'", kinds[k], NULL) >= 1, "the scripted round made no %s conflict", kinds[k]);
	sqlite3_close(sdb);
}

/* ---------------------------------------------------------------- checks */

/*
 * Nothing unaccounted for: each conflict outcome of each device is an open
 * conflict (listed, no resolution on the device) or a resolved one (listed
 * as resolved, with resolution, who and audit entry; the device's outcome
 * shows the resolution), and every open or resolved conflict is some
 * device's outcome.
 */
static void
check_conflicts_accounted(const struct h_ids *open, const struct h_ids *resolved,
    int64_t *n_open, int64_t *n_resolved)
{
	sqlite3 *sdb = srv_db(&S);
	int64_t accounted = 0;

	*n_open = *n_resolved = 0;
	for (int i = 0; i < NDEV; i++) {
		struct h_dev *d = devs[i];
		sqlite3_stmt *oc;
		int rc;

		H_CHECK(sqlite3_prepare_v2(replica_db(d->r), "SELECT seq, conflict_id, resolution FROM "
		    "outcome WHERE status = 'conflict' ORDER BY seq", -1, &oc, NULL) == SQLITE_OK,
		    "prepare outcome");
		while ((rc = sqlite3_step(oc)) == SQLITE_ROW) {
			int64_t seq = sqlite3_column_int64(oc, 0);
			const char *cid = (const char *)sqlite3_column_text(oc, 1);
			const char *ores = (const char *)sqlite3_column_text(oc, 2);
			char status[32], res[1100], by[300], seqs[32];

			H_CHECK(cid != NULL && cid[0], "%s: conflict outcome %lld has no conflict id",
			    d->name, (long long)seq);
			snprintf(seqs, sizeof seqs, "%lld", (long long)seq);
			H_CHECK(h_sql_int(sdb, "SELECT count(*) FROM conflict WHERE id = ?1 AND device_id = "
			    "?2", cid, d->device_id) == 1 && h_sql_int(sdb, "SELECT seq FROM conflict WHERE "
			    "id = ?1", cid, NULL) == seq, "%s: conflict outcome %lld names conflict %s, which "
			    "the server does not hold as this device's transaction %s", d->name,
			    (long long)seq, cid, seqs);
			h_sql_text(sdb, "SELECT status FROM conflict WHERE id = ?1", cid, status,
			    sizeof status);
			h_sql_text(sdb, "SELECT resolution FROM conflict WHERE id = ?1", cid, res, sizeof res);
			h_sql_text(sdb, "SELECT resolved_by FROM conflict WHERE id = ?1", cid, by, sizeof by);
			if (strcmp(status, "open") == 0) {
				H_CHECK(in_sorted(open, cid), "%s: conflict %s (transaction %lld) is open but "
				    "the administrator's list does not show it", d->name, cid, (long long)seq);
				H_CHECK(ores == NULL, "%s: conflict %s is open on the server but the device "
				    "shows a resolution \"%s\"", d->name, cid, ores);
				(*n_open)++;
			} else if (strcmp(status, "resolved") == 0) {
				H_CHECK(res[0] && by[0], "%s: conflict %s is resolved without a resolution "
				    "(\"%s\") or who (\"%s\")", d->name, cid, res, by);
				H_CHECK(in_sorted(resolved, cid), "%s: resolved conflict %s is not in the "
				    "administrator's list of resolved conflicts", d->name, cid);
				H_CHECK(h_sql_int(sdb, "SELECT count(*) FROM audit a JOIN conflict c ON "
				    "a.version = c.resolved_version WHERE c.id = ?1 AND a.action = 'resolve'",
				    cid, NULL) == 1, "%s: resolved conflict %s has no 'resolve' audit entry",
				    d->name, cid);
				/* The device shows the decision by its label, then the columns set. */
				char want[600], code[32];
				const char *rest = strchr(res, ' ');
				snprintf(code, sizeof code, "%.*s", rest ? (int)(rest - res) : (int)strlen(res),
				    res);
				snprintf(want, sizeof want, "%s%s", vocab_show(vocab_get("decision"), code),
				    rest ? rest : "");
				H_CHECK(ores != NULL && strncmp(ores, want, strlen(want)) == 0, "%s: conflict %s "
				    "(transaction %lld) was resolved \"%s\" by %s, but the device's outcome "
				    "shows %s%s%s", d->name, cid, (long long)seq, res, by, ores ? "\"" : "",
				    ores ? ores : "no resolution", ores ? "\"" : "");
				(*n_resolved)++;
			} else {
				H_CHECK(0, "%s: conflict %s (transaction %lld) has status \"%s\" on the server",
				    d->name, cid, (long long)seq, status);
			}
			accounted++;
		}
		H_CHECK(rc == SQLITE_DONE, "reading outcomes of %s", d->name);
		sqlite3_finalize(oc);
	}
	H_CHECK(h_sql_int(sdb, "SELECT count(*) FROM conflict WHERE status IN ('open', 'resolved')",
	    NULL, NULL) == accounted, "the server holds %lld open or resolved conflicts, the devices' "
	    "outcomes account for %lld", (long long)h_sql_int(sdb, "SELECT count(*) FROM conflict "
	    "WHERE status IN ('open', 'resolved')", NULL, NULL), (long long)accounted);
	H_CHECK(h_sql_int(sdb, "SELECT count(*) FROM conflict WHERE status NOT IN ('open', "
	    "'resolved', 'auto')", NULL, NULL) == 0, "conflicts with an unknown status");
	H_CHECK((int64_t)open->n == *n_open && (int64_t)resolved->n == *n_resolved,
	    "listed %zu open and %zu resolved, accounted %lld open and %lld resolved", open->n,
	    resolved->n, (long long)*n_open, (long long)*n_resolved);
	sqlite3_close(sdb);
}

/* Take-office and set resolutions still show, unless the audit has a later change of the row. */
static void
check_resolutions_kept(void)
{
	sqlite3 *sdb = srv_db(&S);
	int64_t still = 0, later = 0;

	for (size_t i = 0; i < nrecs; i++) {
		const struct res_rec *r = &recs[i];
		char why[1400], vs[32];

		H_CHECK(h_sql_int(sdb, "SELECT resolved_version FROM conflict WHERE id = ?1 AND status "
		    "= 'resolved'", r->cid, NULL) == r->version, "conflict %s: no longer resolved at "
		    "version %lld", r->cid, (long long)r->version);
		if (srv_row_matches(sdb, r->table, r->row_id, r->deleted, r->q, why, sizeof why)) {
			still++;
			continue;
		}
		snprintf(vs, sizeof vs, "%lld", (long long)r->version);
		H_CHECK(h_sql_int(sdb, "SELECT count(*) FROM audit WHERE row_id = ?1 AND action <> "
		    "'resolve' AND version > CAST(?2 AS INTEGER)", r->row_id, vs) > 0,
		    "conflict %s was resolved %s at version %lld, and the server's row no longer shows "
		    "it (%s) though the audit records no later change of it", r->cid,
		    decision_names[r->decision], (long long)r->version, why);
		later++;
	}
	h_log("%zu take-office/set resolutions: %lld still show on the server, %lld were changed "
	    "later (audited)", nrecs, (long long)still, (long long)later);
	sqlite3_close(sdb);
}

int
main(void)
{
	int rounds = getenv("TX_ROUNDS") ? atoi(getenv("TX_ROUNDS")) : 25;
	struct h_acct acct[NDEV];
	struct h_ids open, resolved;
	int64_t n_open, n_resolved, conflicts = 0;
	int bad = 0;

	h_init("test_sync_resolve", 4242);
	setup();
	h_log("setup done: street, SQ01 and SQ02 with two branches each, %zu hot members", hot.n);
	scripted_round();
	h_log("scripted round: every kind of conflict is queued");

	for (int round = 0; round < rounds; round++) {
		int order[NDEV] = { 0, 1, 2 };
		int batch = round == rounds - 1 || h_randn(2) == 0;
		int at = (int)h_randn(NDEV + 1);

		/* Offline work on every device, and clashes made on purpose. */
		for (int i = 0; i < NDEV; i++) {
			int k = (int)h_randn(4);
			for (int j = 0; j < k; j++)
				random_op(devs[i]);
		}
		for (int k = (int)h_randn(3); k > 0; k--) {
			struct h_dev *o = offices[h_randn(2)];
			if (h_randn(2))
				clash_same_field(&A, o);
			else
				clash_same_field(o, &A);
		}
		if (h_randn(10) < 4) {
			struct h_dev *o = offices[h_randn(2)];
			if (h_randn(2))
				clash_update_delete(&A, o);
			else
				clash_update_delete(o, &A);
		}
		if (h_randn(10) < 3) {
			uint32_t p = h_randn(3);
			clash_same_idn(p == 0 ? &O1 : &A, p == 2 ? &O1 : &O2);
		}
		if (h_randn(10) < 2)
			clash_moved(offices[h_randn(2)]);
		doomed_step(0);
		doomed_step(1);

		/* A random sync order; some devices stay offline; the administrator steps in. */
		for (int i = NDEV - 1; i > 0; i--) {
			int j = (int)h_randn((uint32_t)i + 1), t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		for (int i = 0; i <= NDEV; i++) {
			struct h_dev *d;
			struct sync_report rep;
			enum sync_fail f;
			char err[1024];
			uint32_t x;
			int rc;

			if (batch && i == at)
				admin_batch();
			if (i == NDEV)
				break;
			d = devs[order[i]];
			x = h_randn(20);
			if (x < 4)
				continue;           /* offline this round */
			rc = dev_sync_try(d, &S, x == 4, x == 5, &rep, &f, err, sizeof err);
			H_CHECK(rc == 0, "round %d: sync of %s failed (%d): %s", round, d->name, (int)f,
			    err);
			ST.syncs++;
		}
	}
	h_log("%d rounds: %lld ops, %lld transactions, clashes: %lld same field, %lld update vs "
	    "delete, %lld same citizen ID, %lld moved while edited, %lld of %lld doomed branches; "
	    "%lld syncs", rounds, (long long)ST.ops, (long long)ST.txns, (long long)ST.same_field,
	    (long long)ST.upd_del, (long long)ST.same_idn, (long long)ST.moved,
	    (long long)ST.doomed_hit, (long long)ST.doomed_made,
	    (long long)ST.syncs);
	h_log("administrator: %lld batches over %lld listed open conflicts; keep_server %lld/%lld, "
	    "take_office %lld/%lld (%lld refused), set %lld/%lld (%lld refused); %lld second "
	    "resolutions refused", (long long)ST.batches, (long long)ST.listed, (long long)ST.ok[0],
	    (long long)ST.tried[0], (long long)ST.ok[1], (long long)ST.tried[1],
	    (long long)ST.failed[1], (long long)ST.ok[2], (long long)ST.tried[2],
	    (long long)ST.failed[2], (long long)ST.again);

	/* Everyone syncs twice, the administrator resolves nothing more, everyone syncs again. */
	for (int pass = 0; pass < 3; pass++)
		for (int i = 0; i < NDEV; i++)
			dev_sync(devs[i], &S, NULL);

	/* Convergence: every resolution reached every replica in scope. */
	for (int i = 0; i < NDEV; i++) {
		int b = h_compare(&S, devs[i], 0);
		if (b)
			h_log("%s differs from the server in %d table(s)", devs[i]->name, b);
		bad += b;
	}

	/* Nothing lost: every local transaction has exactly one outcome on both sides. */
	for (int i = 0; i < NDEV; i++) {
		h_check_accounted(&S, devs[i], &acct[i]);
		h_log("%s: %lld transactions: %lld applied, %lld merged, %lld conflict, %lld rejected",
		    devs[i]->name, (long long)acct[i].txns, (long long)acct[i].applied,
		    (long long)acct[i].merged, (long long)acct[i].conflict, (long long)acct[i].rejected);
		conflicts += acct[i].conflict;
	}
	/* Every conflict resolved or still listed. */
	admin_list("open", &open);
	admin_list("resolved", &resolved);
	check_listed_equals_db("open", &open);
	check_listed_equals_db("resolved", &resolved);
	check_conflicts_accounted(&open, &resolved, &n_open, &n_resolved);
	H_CHECK(n_open + n_resolved == conflicts, "%lld conflict outcomes, %lld open + %lld resolved",
	    (long long)conflicts, (long long)n_open, (long long)n_resolved);
	check_resolutions_kept();
	{
		sqlite3 *sdb = srv_db(&S);
		sqlite3_stmt *st;
		char kinds[512] = "";
		size_t l = 0;
		H_CHECK(sqlite3_prepare_v2(sdb, "SELECT kind, count(*), sum(status = 'resolved') FROM "
		    "conflict GROUP BY kind ORDER BY kind", -1, &st, NULL) == SQLITE_OK, "prepare");
		while (sqlite3_step(st) == SQLITE_ROW && l < sizeof kinds)
			l += (size_t)snprintf(kinds + l, sizeof kinds - l, " %s %d (%d resolved)",
			    (const char *)sqlite3_column_text(st, 0), sqlite3_column_int(st, 1),
			    sqlite3_column_int(st, 2));
		sqlite3_finalize(st);
		sqlite3_close(sdb);
		h_log("conflicts by kind:%s; %lld open, %lld resolved", kinds, (long long)n_open,
		    (long long)n_resolved);
	}
	h_check_integrity(&S);
	H_CHECK(bad == 0, "replicas did not converge with the server (%d table mismatches, "
	    "diffs above)", bad);
	H_CHECK(ST.ok[D_KEEP] > 0 && ST.ok[D_TAKE] > 0 && ST.ok[D_SET] > 0, "the run should settle "
	    "conflicts with every decision: keep_server %lld, take_office %lld, set %lld",
	    (long long)ST.ok[D_KEEP], (long long)ST.ok[D_TAKE], (long long)ST.ok[D_SET]);
	h_ids_free(&open);
	h_ids_free(&resolved);
	srv_stop(&S);
	for (int i = 0; i < NDEV; i++)
		dev_close(devs[i]);
	for (size_t i = 0; i < nrecs; i++)
		for (int k = 0; k < MAXC; k++)
			sqlite3_free(recs[i].q[k]);
	free(recs);
	h_ids_free(&hot);
	return h_done();
}
