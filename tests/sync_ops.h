/*
 * sync_ops.h - random offline edits for the sync suites that drive several
 * devices through rounds of work (test_sync_convergence, test_pg_multi):
 * picking rows from a replica, and the local transactions an office makes
 * (members added, edited, deleted; meetings with attendance, edited and
 * deleted; a branch's secretary). Include after sync_harness.h, set OPS
 * once in setup, and read OST for the figures.
 *
 * The suites' own kinds of edit (a move across communities, a field each
 * kind of device looks after, the mix of them) stay in each suite.
 */
#ifndef TX_SYNC_OPS_H
#define TX_SYNC_OPS_H

/* How the edits are made: each suite's choice. */
static struct {
	struct h_ids *hot;   /* members every device edits often (the suite fills it) */
	int hot_tenths;      /* how often, of ten picks, a hot member is tried first */
	int moves;           /* a member's edit may move it to another branch */
	int clashes;         /* now and then a new member copies another's citizen ID */
	int distinct;        /* one transaction names each member once (edits, attendance) */
} OPS;

/* What the edits made. */
static struct {
	int64_t txns, inserts, updates, deletes, meetings, moves, clashes;
} OST;

static const char *const ops_meeting_kinds[] = { "committee_meeting", "general_meeting",
	"group_meeting", "party_lecture", "theme_day", "life_meeting", "democratic_review" };
static const char *const ops_att_states[] = { "present", "excused", "absent" };

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

/* A member to edit: often one of the shared hot members, if the device holds it. */
static int
pick_member(struct h_dev *d, char id[ID_TEXT_LEN + 1])
{
	if ((int)h_randn(10) < OPS.hot_tenths && OPS.hot != NULL && OPS.hot->n > 0) {
		const char *h = OPS.hot->v[h_randn((uint32_t)OPS.hot->n)];
		if (h_sql_int(replica_db(d->r), "SELECT count(*) FROM member WHERE id = ?1", h, NULL)) {
			snprintf(id, ID_TEXT_LEN + 1, "%s", h);
			return 1;
		}
	}
	return pick(d, "SELECT id FROM member ORDER BY rowid", id);
}

static int
pick_branch(struct h_dev *d, char id[ID_TEXT_LEN + 1])
{
	return pick(d, "SELECT id FROM org WHERE kind = 'branch' ORDER BY code", id);
}

/*
 * Up to k members for one transaction into ids (at most 4); with
 * OPS.distinct each once. The number picked.
 */
static int
pick_members(struct h_dev *d, int k, char ids[4][ID_TEXT_LEN + 1])
{
	int n = 0;

	for (int i = 0; i < k && i < 4; i++) {
		int dup = 0;
		if (!pick_member(d, ids[n]))
			break;
		for (int j = 0; OPS.distinct && j < n; j++)
			dup |= strcmp(ids[j], ids[n]) == 0;
		if (!dup)
			n++;
	}
	return n;
}

/* n new members of one branch, in one transaction. */
static void
op_insert_members(struct h_dev *d, int n)
{
	Tongxin__Value v[32];
	struct h_member m;
	char org[ID_TEXT_LEN + 1], id[ID_TEXT_LEN + 1], other[ID_TEXT_LEN + 1], idn[19];

	if (!pick_branch(d, org))
		return;
	dev_begin(d);
	for (int i = 0; i < n; i++) {
		const char *copy = NULL;
		/* Now and then register a citizen ID another member already has. */
		if (OPS.clashes && h_randn(20) == 0 &&
		    pick(d, "SELECT id FROM member ORDER BY rowid", other) &&
		    h_sql_text(replica_db(d->r), "SELECT id_number FROM member WHERE id = ?1", other,
		        idn, sizeof idn)) {
			copy = idn;
			OST.clashes++;
		}
		h_member_vals(v, &m, org, copy);
		dev_insert(d, TBL_MEMBER, v, id);
		OST.inserts++;
	}
	dev_commit(d);
	OST.txns++;
}

/* Set 1-3 random columns of a member (and, with OPS.moves, maybe its branch). */
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
		const char *col = cols[h_randn(OPS.moves ? 9 : 8)];
		int ci = h_col(TBL_MEMBER, col), dup = 0;
		for (size_t j = 0; j < n; j++)
			dup |= c[j] == (uint32_t)ci;
		if (dup)
			continue;
		c[n] = (uint32_t)ci;
		if (strcmp(col, "name") == 0)
			h_rand_person_name(bufs[n], sizeof bufs[n]);
		else if (strcmp(col, "phone") == 0)
			snprintf(bufs[n], sizeof bufs[n], "139%08u", h_randn(100000000));
		else if (strcmp(col, "job") == 0)
			snprintf(bufs[n], sizeof bufs[n], "岗位%u", h_randn(100));
		else if (strcmp(col, "address") == 0)
			snprintf(bufs[n], sizeof bufs[n], "同心路%u号", h_randn(500));
		else if (strcmp(col, "education") == 0)
			snprintf(bufs[n], sizeof bufs[n], "%s", h_educations[h_randn(8)]);
		else if (strcmp(col, "category") == 0)
			snprintf(bufs[n], sizeof bufs[n], "%s", h_randn(2) ? "full" : "probationary");
		else if (strcmp(col, "standing") == 0)
			snprintf(bufs[n], sizeof bufs[n], "%s", h_randn(4) ? "normal" : "suspended");
		else if (strcmp(col, "org_id") == 0) {
			if (!pick_branch(d, bufs[n]))
				continue;
			OST.moves++;
		}
		if (strcmp(col, "retired") == 0)
			value_set_int(&v[n], h_randn(2));
		else
			value_set_text(&v[n], bufs[n]);
		n++;
	}
	H_CHECK(rep_update(d->r, TBL_MEMBER, id, c, v, n, err, sizeof err) == 0,
	    "rep_update member %s on %s: %s", id, d->name, err);
	OST.updates++;
}

/* Edits of up to `rows` members (at most 3) in one transaction. */
static void
op_update_members(struct h_dev *d, int rows)
{
	char ids[4][ID_TEXT_LEN + 1];
	int n = pick_members(d, rows < 3 ? rows : 3, ids);

	if (n == 0)
		return;
	dev_begin(d);
	for (int i = 0; i < n; i++)
		update_member(d, ids[i]);
	dev_commit(d);
	OST.txns++;
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
	OST.deletes++;
	OST.txns++;
}

/* A meeting and its attendance: one local transaction. */
static void
op_meeting(struct h_dev *d)
{
	Tongxin__Value v[32];
	char org[ID_TEXT_LEN + 1], mid[ID_TEXT_LEN + 1], aid[ID_TEXT_LEN + 1];
	char member[4][ID_TEXT_LEN + 1], date[11], topic[64], reason[64];
	int k = 1 + (int)h_randn(4), n;

	if (!pick_branch(d, org))
		return;
	n = pick_members(d, k, member);
	dev_begin(d);
	h_vals_null(v, TBL_MEETING);
	h_rand_date(date, 2023, 2024);
	snprintf(topic, sizeof topic, "学习主题%u", h_randn(10000));
	h_set(v, TBL_MEETING, "org_id", org);
	h_set(v, TBL_MEETING, "kind", ops_meeting_kinds[h_randn(7)]);
	h_set(v, TBL_MEETING, "held_on", date);
	h_set(v, TBL_MEETING, "topic", topic);
	h_set(v, TBL_MEETING, "host", "书记");
	dev_insert(d, TBL_MEETING, v, mid);
	for (int i = 0; i < n; i++) {
		h_vals_null(v, TBL_ATTENDANCE);
		h_set(v, TBL_ATTENDANCE, "meeting_id", mid);
		h_set(v, TBL_ATTENDANCE, "member_id", member[i]);
		h_set(v, TBL_ATTENDANCE, "status", ops_att_states[h_randn(3)]);
		if (h_randn(3) == 0) {
			snprintf(reason, sizeof reason, "事由%u", h_randn(100));
			h_set(v, TBL_ATTENDANCE, "reason", reason);
		}
		dev_insert(d, TBL_ATTENDANCE, v, aid);
	}
	dev_commit(d);
	OST.meetings++;
	OST.txns++;
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
		dev_update1(d, TBL_ATTENDANCE, id, "status", ops_att_states[h_randn(3)], 0);
	}
	dev_commit(d);
	OST.updates++;
	OST.txns++;
}

/* Delete a meeting with its attendance rows, in one transaction. */
static void
op_delete_meeting(struct h_dev *d)
{
	char id[ID_TEXT_LEN + 1];
	struct h_ids att;

	if (!pick(d, "SELECT id FROM meeting ORDER BY rowid", id))
		return;
	h_sql_ids(replica_db(d->r), "SELECT id FROM attendance WHERE meeting_id = ?1 ORDER BY id", id,
	    &att);
	dev_begin(d);
	for (size_t i = 0; i < att.n; i++)
		dev_delete(d, TBL_ATTENDANCE, att.v[i]);
	dev_delete(d, TBL_MEETING, id);
	dev_commit(d);
	h_ids_free(&att);
	OST.deletes++;
	OST.txns++;
}

static void
op_edit_branch(struct h_dev *d)
{
	char id[ID_TEXT_LEN + 1], buf[64];

	if (!pick_branch(d, id))
		return;
	snprintf(buf, sizeof buf, "%s%s", h_surnames[h_randn(10)], h_given[h_randn(16)]);
	dev_begin(d);
	dev_update1(d, TBL_ORG, id, "secretary", buf, 0);
	dev_commit(d);
	OST.updates++;
	OST.txns++;
}

/*
 * The world the rounds work in, made by the street's administrator a (its
 * device made): its street's row pulled (from sb), communities SQ01 and
 * SQ02 with two branches each (pushed to sa), and hot_per_branch members in
 * each branch, every one of them added to OPS.hot (pushed to sb). The ids of
 * the street and the two communities into the three buffers.
 */
static void
ops_world(struct h_dev *a, struct h_server *sa, struct h_server *sb, int hot_per_branch,
    char street_id[ID_TEXT_LEN + 1], char sq1_id[ID_TEXT_LEN + 1], char sq2_id[ID_TEXT_LEN + 1])
{
	static const char *const codes[2] = { "SQ01", "SQ02" };
	const char *parents[2] = { sq1_id, sq2_id };
	char id[ID_TEXT_LEN + 1], code[16];
	Tongxin__Value v[32];
	struct h_member m;
	struct h_ids br;

	dev_sync(a, sb, NULL);
	H_CHECK(h_org_id(replica_db(a->r), "JD01", street_id), "the street admin did not receive the "
	    "street's organisation row");
	dev_add_org(a, "SQ01", "第一社区", "community", street_id, sq1_id);
	dev_add_org(a, "SQ02", "第二社区", "community", street_id, sq2_id);
	for (int c = 0; c < 2; c++)
		for (int b = 1; b <= 2; b++) {
			snprintf(code, sizeof code, "%sB%d", codes[c], b);
			dev_add_org(a, code, b == 1 ? "第一党支部" : "第二党支部", "branch", parents[c], id);
		}
	dev_sync(a, sa, NULL);
	h_sql_ids(replica_db(a->r), "SELECT id FROM org WHERE kind = 'branch' ORDER BY code", NULL, &br);
	H_CHECK(br.n == 4, "expected 4 branches, the street has %zu", br.n);
	dev_begin(a);
	for (size_t b = 0; b < br.n; b++)
		for (int i = 0; i < hot_per_branch; i++) {
			h_member_vals(v, &m, br.v[b], NULL);
			dev_insert(a, TBL_MEMBER, v, id);
			h_ids_add(OPS.hot, id);
		}
	dev_commit(a);
	h_ids_free(&br);
	dev_sync(a, sb, NULL);
}

#endif
