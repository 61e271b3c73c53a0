/*
 * test_server_rules.c - the rules of issue 10 that need other rows, as the
 * server enforces them against a modified client (one that writes through
 * rep_begin/rep_insert/rep_update/rep_commit, which capture without
 * checking), and the rules every row obeys, checked again by the server.
 *
 * A real tongxind; the street (admin A) with community SQ01 (branches B1,
 * B2, group G1 under B1) and community SQ02 (branch C1); offices O (SQ01)
 * and P (SQ02). Each case is one crafted local transaction of O, pushed
 * alone; it must come back rejected with its reason code, and the server
 * must hold nothing of it. Before this change the server applied every one
 * of them. Then a discipline record goes with its member when a transfer
 * is accepted: the sending office's replica drops it, the receiving
 * office's receives it, and the server's row carries the new scope.
 */
#include "sync_harness.h"
#include "reason.h"
#include "region.h"

static struct h_server S;
static struct h_dev A, O, P;
static char street_id[ID_TEXT_LEN + 1], sq1[ID_TEXT_LEN + 1], sq2[ID_TEXT_LEN + 1];
static char b1[ID_TEXT_LEN + 1], b2[ID_TEXT_LEN + 1], g1[ID_TEXT_LEN + 1], c1[ID_TEXT_LEN + 1];
static char m_b1[ID_TEXT_LEN + 1], m_b2[ID_TEXT_LEN + 1];
static char theme_day[ID_TEXT_LEN + 1], committee[ID_TEXT_LEN + 1];
static unsigned serial;

/* An integer from the server's database (a connection of its own, closed again). */
static int64_t
srv_int(const char *sql, const char *a1)
{
	sqlite3 *db = srv_db(&S);
	int64_t n = h_sql_int(db, sql, a1, NULL);

	sqlite3_close(db);
	return n;
}

/* A text from the server's database into buf. */
static void
srv_text(const char *sql, const char *a1, char *buf, size_t cap)
{
	sqlite3 *db = srv_db(&S);

	h_sql_text(db, sql, a1, buf, cap);
	sqlite3_close(db);
}

/* A citizen ID for birth date YYYY-MM-DD, region 110105, of the gender given (odd: male). */
static void
idn_for(char out[19], const char *birth, bool male)
{
	unsigned n = serial++ % 500;

	snprintf(out, 19, "110105%.4s%.2s%.2s%02u%u", birth, birth + 5, birth + 8, n % 100,
	    male ? 1 + 2 * (n / 100) % 10 : 2 * (n / 100) % 10);
	out[17] = id_number_check_char(out);
	out[18] = '\0';
}

/* A valid member of branch org in v; the text lives in the statics. */
static void
member_of(Tongxin__Value *v, const char *org)
{
	static char idn[8][19];
	static int k;
	char *id = idn[k++ % 8];
	const int t = TBL_MEMBER;

	idn_for(id, "1980-04-02", true);
	h_vals_null(v, t);
	h_set(v, t, "name", "张建国");
	h_set(v, t, "gender", "male");
	h_set(v, t, "ethnicity", "汉族");
	h_set(v, t, "id_number", id);
	h_set(v, t, "birth_date", "1980-04-02");
	h_set(v, t, "education", "bachelor");
	h_set(v, t, "category", "full");
	h_set(v, t, "org_id", org);
	h_set(v, t, "join_date", "2005-07-01");
	h_set(v, t, "full_date", "2006-07-01");
	h_set(v, t, "standing", "normal");
}

static void
add_meeting(struct h_dev *d, const char *org, const char *kind, char id[ID_TEXT_LEN + 1])
{
	Tongxin__Value v[16];
	const int t = TBL_MEETING;

	h_vals_null(v, t);
	h_set(v, t, "org_id", org);
	h_set(v, t, "kind", kind);
	h_set(v, t, "held_on", "2024-03-05");
	h_set(v, t, "topic", "支部会议");
	dev_begin(d);
	dev_insert(d, t, v, id);
	dev_commit(d);
}

/* O's newest outcome: its status and reason code. */
static void
last_outcome(char *status, size_t cap, int64_t *code)
{
	h_sql_text(replica_db(O.r), "SELECT status FROM outcome ORDER BY seq DESC LIMIT 1", NULL,
	    status, cap);
	*code = h_sql_int(replica_db(O.r),
	    "SELECT coalesce(reason_code, 0) FROM outcome ORDER BY seq DESC LIMIT 1", NULL, NULL);
}

/* Sync O and require its last transaction rejected with code, the server's rows unchanged. */
static void
expect_rejected(const char *what, enum reason_code code)
{
	char status[32] = "", before[65], after[65];
	int64_t got;

	srv_text("SELECT (SELECT count(*) FROM org) || '/' || (SELECT count(*) FROM"
	    " member) || '/' || (SELECT count(*) FROM applicant) || '/' || (SELECT max(_version)"
	    " FROM member) || '/' || (SELECT max(_version) FROM org)", NULL, before, sizeof before);
	dev_sync(&O, &S, NULL);
	last_outcome(status, sizeof status, &got);
	H_CHECK(strcmp(status, "rejected") == 0 && got == (int64_t)code,
	    "%s: outcome %s with reason code %lld, want rejected with %d", what, status,
	    (long long)got, (int)code);
	srv_text("SELECT (SELECT count(*) FROM org) || '/' || (SELECT count(*) FROM"
	    " member) || '/' || (SELECT count(*) FROM applicant) || '/' || (SELECT max(_version)"
	    " FROM member) || '/' || (SELECT max(_version) FROM org)", NULL, after, sizeof after);
	H_CHECK(strcmp(before, after) == 0, "%s: the server changed (%s -> %s)", what, before,
	    after);
	h_log("%s: rejected (reason %d)", what, (int)code);
}

static void
insert_by_o(int t, const Tongxin__Value *v)
{
	char id[ID_TEXT_LEN + 1];

	dev_begin(&O);
	dev_insert(&O, t, v, id);
	dev_commit(&O);
}

static void
update_by_o(int t, const char *id, const char *col, const char *text)
{
	char err[512] = "";
	uint32_t c = (uint32_t)h_col(t, col);
	Tongxin__Value v;

	value_set_text(&v, text);
	dev_begin(&O);
	H_CHECK(rep_update(O.r, t, id, &c, &v, 1, err, sizeof err) == 0, "rep_update: %s", err);
	dev_commit(&O);
}

static void
org_vals(Tongxin__Value *v, const char *code, const char *kind, const char *parent)
{
	h_vals_null(v, TBL_ORG);
	h_set(v, TBL_ORG, "code", code);
	h_set(v, TBL_ORG, "name", "新组织");
	h_set(v, TBL_ORG, "kind", kind);
	h_set(v, TBL_ORG, "parent_id", parent);
	h_seti(v, TBL_ORG, "dissolved", 0);
}

static void
setup(void)
{
	Tongxin__Value v[40];
	char id[ID_TEXT_LEN + 1];

	srv_init(&S, "srv");
	srv_start(&S);
	dev_new(&A, &S, "JD01", "street-admin", 1);
	dev_sync(&A, &S, NULL);
	H_CHECK(h_org_id(replica_db(A.r), "JD01", street_id), "no street row");
	dev_add_org(&A, "SQ01", "第一社区", "community", street_id, sq1);
	dev_add_org(&A, "SQ01B1", "第一党支部", "branch", sq1, b1);
	dev_add_org(&A, "SQ01B2", "第二党支部", "branch", sq1, b2);
	dev_add_org(&A, "SQ01G1", "第一党小组", "group", b1, g1);
	dev_add_org(&A, "SQ02", "第二社区", "community", street_id, sq2);
	dev_add_org(&A, "SQ02C1", "第二社区第一党支部", "branch", sq2, c1);
	dev_sync(&A, &S, NULL);
	dev_new(&O, &S, "SQ01", "office-sq01", 0);
	dev_new(&P, &S, "SQ02", "office-sq02", 0);
	dev_sync(&O, &S, NULL);
	dev_sync(&P, &S, NULL);
	member_of(v, b1);
	dev_begin(&O);
	dev_insert(&O, TBL_MEMBER, v, m_b1);
	member_of(v, b2);
	dev_insert(&O, TBL_MEMBER, v, m_b2);
	dev_commit(&O);
	add_meeting(&O, b1, "theme_day", theme_day);
	add_meeting(&O, b1, "committee_meeting", committee);
	dev_sync(&O, &S, NULL);
	H_CHECK(srv_int("SELECT count(*) FROM member", NULL) == 2 &&
	    srv_int("SELECT count(*) FROM meeting", NULL) == 2,
	    "the setup's members and meetings were not applied");
	(void)id;
}

static void
tree_cases(void)
{
	Tongxin__Value v[40];

	org_vals(v, "SQ01X1", "group", sq1);
	insert_by_o(TBL_ORG, v);
	expect_rejected("a group directly under a community", R_ORG_KIND_UNDER);
	org_vals(v, "SQ01X2", "branch", g1);
	insert_by_o(TBL_ORG, v);
	expect_rejected("a branch under a group", R_ORG_KIND_UNDER);
	org_vals(v, "SQ01X3", "community", b1);
	insert_by_o(TBL_ORG, v);
	expect_rejected("a community under a branch", R_ORG_KIND_UNDER);
	update_by_o(TBL_ORG, b1, "kind", "general_branch");
	expect_rejected("re-kinding a branch that has a group", R_ORG_KIND_CHILD);
	update_by_o(TBL_ORG, b2, "kind", "general_branch");
	expect_rejected("re-kinding a branch that has members", R_ORG_KIND_MEMBERS);
	member_of(v, sq1);
	insert_by_o(TBL_MEMBER, v);
	expect_rejected("a member directly in the community", R_MEMBER_ORG_KIND);
	update_by_o(TBL_MEMBER, m_b1, "org_id", sq1);
	expect_rejected("a member moved into the community", R_MEMBER_ORG_KIND);
}

static void
row_cases(void)
{
	Tongxin__Value v[40];
	char idn[19];

	member_of(v, b1);
	h_set(v, TBL_MEMBER, "gender", "female");
	insert_by_o(TBL_MEMBER, v);
	expect_rejected("a woman whose ID's 17th digit is odd", R_ID_GENDER);

	member_of(v, b1);
	idn_for(idn, "1980-04-02", true);
	memcpy(idn, "101376", 6);
	idn[17] = id_number_check_char(idn);
	H_CHECK(!is_region_code(idn), "101376 is no region code");
	h_set(v, TBL_MEMBER, "id_number", idn);
	insert_by_o(TBL_MEMBER, v);
	expect_rejected("an ID with region code 101376", R_ID_REGION);

	member_of(v, b1);
	h_set(v, TBL_MEMBER, "name", "\xe3\x80\x80 \xe3\x80\x80");
	insert_by_o(TBL_MEMBER, v);
	expect_rejected("a name of full-width and ASCII spaces", R_BLANK);

	member_of(v, b1);
	h_set(v, TBL_MEMBER, "name", "'; DROP TABLE members;--");
	insert_by_o(TBL_MEMBER, v);
	expect_rejected("a name that is no name", R_NAME_CHARS);

	member_of(v, b1);
	{
		char join[11];
		time_t t = time(NULL) - 30 * 86400;
		struct tm tm;
		localtime_r(&t, &tm);
		strftime(join, sizeof join, "%Y-%m-%d", &tm);
		h_set(v, TBL_MEMBER, "join_date", join);
		tongxin__value__init(&v[h_col(TBL_MEMBER, "full_date")]);
		insert_by_o(TBL_MEMBER, v);
	}
	expect_rejected("a full member who joined 30 days ago", R_FULL_IN_PROBATION);

	update_by_o(TBL_MEMBER, m_b1, "full_meeting_id", theme_day);
	expect_rejected("full membership decided by a theme day", R_MEETING_KIND);

	{
		const int t = TBL_APPLICANT;
		idn_for(idn, "1990-01-01", false);
		h_vals_null(v, t);
		h_set(v, t, "org_id", sq1);
		h_set(v, t, "name", "李华");
		h_set(v, t, "gender", "female");
		h_set(v, t, "ethnicity", "汉族");
		h_set(v, t, "id_number", idn);
		h_set(v, t, "birth_date", "1990-01-01");
		h_set(v, t, "stage", "applicant");
		h_set(v, t, "applied_on", "2023-03-01");
		insert_by_o(t, v);
		expect_rejected("an applicant directly in the community", R_MEMBER_ORG_KIND);
		h_set(v, t, "org_id", b1);
		h_set(v, t, "stage", "activist");
		h_set(v, t, "activist_on", "2023-09-01");
		h_set(v, t, "activist_meeting_id", theme_day);
		insert_by_o(t, v);
		expect_rejected("an activist named by a theme day", R_MEETING_KIND);
		h_set(v, t, "activist_meeting_id", committee);
		insert_by_o(t, v);
		dev_sync(&O, &S, NULL);
		H_CHECK(srv_int("SELECT count(*) FROM applicant", NULL) == 1,
		    "the valid activist was not applied");
	}
}

/* 双报到 by code: the server resolves the community, refusing an unknown code or a branch. */
static void
report_cases(void)
{
	Tongxin__Value v[16];
	const int t = TBL_SERVICE_REPORT;
	char sc[200] = "";

	h_vals_null(v, t);
	h_set(v, t, "home_org_id", b1);
	h_set(v, t, "member_id", m_b1);
	h_set(v, t, "name", "张建国");
	h_set(v, t, "reported_on", "2024-03-01");
	h_set(v, t, "org_code", "SQ99");
	insert_by_o(t, v);
	expect_rejected("a report to a code no organisation has", R_TRANSFER_UNKNOWN_ORG);
	h_set(v, t, "org_code", "SQ02C1");
	insert_by_o(t, v);
	expect_rejected("a report to a branch by its code", R_NOT_COMMUNITY);
	h_set(v, t, "org_code", "SQ02");
	insert_by_o(t, v);
	dev_sync(&O, &S, NULL);
	srv_text("SELECT org_id FROM service_report WHERE org_code = 'SQ02'", NULL, sc, sizeof sc);
	H_CHECK(strcmp(sc, sq2) == 0, "the server filled org_id %s, want SQ02's %s", sc, sq2);
	dev_sync(&P, &S, NULL);
	H_CHECK(h_sql_int(replica_db(P.r), "SELECT count(*) FROM service_report", NULL, NULL) == 1,
	    "SQ02 did not receive the report addressed to it by code");
	h_log("a report by code reached its community");
}

/* A discipline record at SQ01 goes to SQ02 with its member. */
static void
discipline_moves(void)
{
	Tongxin__Value v[16];
	char disc[ID_TEXT_LEN + 1], tr[ID_TEXT_LEN + 1], err[512] = "", scope[200] = "";
	const int t = TBL_DISCIPLINE;
	uint32_t sc = (uint32_t)h_col(TBL_TRANSFER, "status");
	Tongxin__Value st;

	h_vals_null(v, t);
	h_set(v, t, "member_id", m_b2);
	h_set(v, t, "kind", "warning");
	h_set(v, t, "decided_on", "2024-01-10");
	h_set(v, t, "grounds", "无故不参加组织生活");
	dev_begin(&O);
	dev_insert(&O, t, v, disc);
	dev_commit(&O);
	h_vals_null(v, TBL_TRANSFER);
	h_set(v, TBL_TRANSFER, "member_id", m_b2);
	h_set(v, TBL_TRANSFER, "from_org_id", b2);
	h_set(v, TBL_TRANSFER, "to_org_code", "SQ02");
	h_set(v, TBL_TRANSFER, "requested_on", "2024-05-01");
	h_set(v, TBL_TRANSFER, "status", "requested");
	dev_begin(&O);
	dev_insert(&O, TBL_TRANSFER, v, tr);
	dev_commit(&O);
	expect_rejected("a transfer into a community, not a branch", R_MEMBER_ORG_KIND);
	H_CHECK(srv_int("SELECT count(*) FROM discipline", NULL) == 1,
	    "the discipline record was not applied");
	h_set(v, TBL_TRANSFER, "to_org_code", "SQ02C1");
	dev_begin(&O);
	dev_insert(&O, TBL_TRANSFER, v, tr);
	dev_commit(&O);
	dev_sync(&O, &S, NULL);
	dev_sync(&P, &S, NULL);
	H_CHECK(h_sql_int(replica_db(P.r), "SELECT count(*) FROM discipline", NULL, NULL) == 0,
	    "SQ02 received a discipline record of a member it does not hold");
	value_set_text(&st, "accepted");
	dev_begin(&P);
	H_CHECK(rep_update(P.r, TBL_TRANSFER, tr, &sc, &st, 1, err, sizeof err) == 0,
	    "accept: %s", err);
	dev_commit(&P);
	dev_sync(&P, &S, NULL);
	dev_sync(&P, &S, NULL);
	dev_sync(&O, &S, NULL);
	srv_text("SELECT _scope FROM discipline WHERE id = ?1", disc, scope,
	    sizeof scope);
	H_CHECK(strstr(scope, "/SQ02/") != NULL, "the discipline record's scope is %s", scope);
	H_CHECK(h_sql_int(replica_db(O.r), "SELECT count(*) FROM discipline", NULL, NULL) == 0,
	    "SQ01 still holds the discipline record of a member who left");
	H_CHECK(h_sql_int(replica_db(P.r), "SELECT count(*) FROM discipline WHERE id = ?1", disc,
	    NULL) == 1, "SQ02 did not receive the discipline record of its new member");
	h_require_equal(&S, &O);
	h_require_equal(&S, &P);
	h_log("a discipline record went with its member from SQ01 to SQ02");
}

int
main(void)
{
	h_init("test_server_rules", 10);
	setup();
	tree_cases();
	row_cases();
	report_cases();
	discipline_moves();
	srv_stop(&S);
	h_check_integrity(&S);
	dev_close(&A);
	dev_close(&O);
	dev_close(&P);
	return h_done();
}
