/*
 * test_pull_first.c - the client's pull: a first sync into an empty
 * replica without its secondary indexes, a pull killed in between, a pull
 * that fails on the replica's side while the next page is being read, and
 * a page that changes nothing writing nothing.
 *
 * The street loads 7,000 members (several pull pages of 1,000) and
 * some meetings with attendance. Then:
 *   - a fresh device whose desk has made its name index (triggers on
 *     member) syncs in a child that dies (as kill -9 would) once the first
 *     page is committed: the replica holds that page, its secondary indexes
 *     and the desk's name index are gone and marked pending (meta
 *     pull_indexes), and a query by citizen ID still finds a member;
 *   - its next sync carries on, builds every index the fresh replica had,
 *     deletes the mark and equals the server; the desk's index comes back
 *     whole (every member's name pieces) the first time the desk asks;
 *   - a second device killed after its last page, before the indexes were
 *     built, holds every member; rep_indexes_repair alone builds them, and
 *     it converges;
 *   - two more fresh devices whose replicas refuse one member (a trigger),
 *     of the first page and of the last, fail with a local error naming
 *     the refusal (the reader thread stopped while it reads or holds the
 *     next page); each replica still has its indexes and no mark, and once
 *     the trigger is gone it converges;
 *   - an empty page whose cursors are the stored ones writes no row of
 *     the replica; one with a moved cursor writes that cursor alone.
 */
#include <sys/wait.h>

#include "sync_harness.h"

#include "domain.h"
#include "replica_int.h"

static struct h_server S;
static struct h_dev A, O, P, Q, R;
static char want_idx[32768];   /* the secondary indexes of a fresh replica */
static char street_id[ID_TEXT_LEN + 1], sq1[ID_TEXT_LEN + 1], b11[ID_TEXT_LEN + 1];

/*
 * The secondary indexes a replica holds, in order of name, each as its
 * CREATE statement (a partial index keeps its WHERE); the desk's ui_* left
 * out.
 */
static void
index_names(struct h_dev *d, char *buf, size_t cap)
{
	h_sql_text(replica_db(d->r), "SELECT group_concat(sql, ';\n') FROM (SELECT sql FROM"
	    " sqlite_schema WHERE type = 'index' AND sql IS NOT NULL AND name NOT LIKE 'ui\\_%'"
	    " ESCAPE '\\' ORDER BY name)", NULL, buf, cap);
}

static int64_t
pending_mark(struct h_dev *d)
{
	return h_sql_int(replica_db(d->r), "SELECT count(*) FROM meta WHERE key = 'pull_indexes'",
	    NULL, NULL);
}

static int64_t
desk_objects(struct h_dev *d)
{
	return h_sql_int(replica_db(d->r), "SELECT count(*) FROM sqlite_schema WHERE name IN"
	    " ('ui_member_gram', 'ui_member_gram_ins', 'ui_member_gram_del', 'ui_member_gram_upd')",
	    NULL, NULL);
}

/* Sync d in a child that dies once PAGES pull pages ("last": all) are committed; requires that death. */
static void
sync_dying(struct h_dev *d, const char *pages)
{
	pid_t pid;
	int st;

	dev_close(d);
	fflush(NULL);
	pid = fork();
	H_CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		struct sync_report rep;
		enum sync_fail f;
		char err[1024];
		setenv("TONGXIN_TEST_DIE_PULL_PAGES", pages, 1);
		dev_reopen(d);
		dev_sync_try(d, &S, 0, 0, &rep, &f, err, sizeof err);
		_exit(0);   /* the hook did not fire */
	}
	H_CHECK(waitpid(pid, &st, 0) == pid, "waitpid: %s", strerror(errno));
	H_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3, "the sync of %s should have died after "
	    "%s page(s) (status %d)", d->name, pages, st);
	dev_reopen(d);
}

/*
 * A fresh device whose replica refuses member id (a trigger): its first
 * sync fails with a local error naming the refusal; the replica keeps its
 * indexes and no mark; without the trigger it converges.
 */
static void
refused_pull(struct h_dev *d, const char *name, const char *id)
{
	struct sync_report rep;
	enum sync_fail f;
	char sql[512], err[1024], have_idx[32768];
	int rc;

	dev_new(d, &S, "JD01", name, 1);
	snprintf(sql, sizeof sql, "CREATE TRIGGER test_refuse BEFORE INSERT ON member"
	    " WHEN NEW.id = '%s' BEGIN SELECT RAISE(ABORT, 'test refuses this member'); END", id);
	H_OK(sqlite3_exec(replica_db(d->r), sql, NULL, NULL, NULL));
	rc = dev_sync_try(d, &S, 0, 0, &rep, &f, err, sizeof err);
	H_CHECK(rc != 0 && f == SYNC_LOCAL && strstr(err, "test refuses this member"),
	    "%s: a refused row: rc %d, failure %d, \"%s\"", name, rc, (int)f, err);
	h_log("%s: refused row after %llu rows: %s", name, (unsigned long long)rep.pulled_rows,
	    err);
	H_CHECK(pending_mark(d) == 0, "%s: indexes left pending after a failed pull", name);
	index_names(d, have_idx, sizeof have_idx);
	H_CHECK(strcmp(have_idx, want_idx) == 0, "%s: indexes after the failed pull: %s", name,
	    have_idx);
	H_OK(sqlite3_exec(replica_db(d->r), "DROP TRIGGER test_refuse", NULL, NULL, NULL));
	dev_sync(d, &S, NULL);
	h_require_equal(&S, d);
}

/* Build a page by hand with the replica's own cursors. */
static void
page_of_cursors(struct h_dev *d, Tongxin__PullResponse *pg, uint64_t *cursors)
{
	uint64_t evict = 0;

	tongxin__pull_response__init(pg);
	H_OK(rep_cursors(d->r, cursors, &evict));
	pg->cursors = cursors;
	pg->n_cursors = TBL_COUNT;
	pg->evict_cursor = evict;
	pg->note_cursor = rep_note_cursor(d->r);
}

int
main(void)
{
	struct sync_report rep;
	struct dom_error de;
	char have_idx[32768], err[1024], idn[32];
	char first_member[ID_TEXT_LEN + 1] = "", last_member[ID_TEXT_LEN + 1] = "";
	int64_t members, before;

	h_init("test_pull_first", 11);
	srv_init(&S, "srv");
	srv_start(&S);
	dev_new(&A, &S, "JD01", "street-admin", 1);
	dev_sync(&A, &S, NULL);
	H_CHECK(h_org_id(replica_db(A.r), "JD01", street_id), "no street row");
	dev_add_org(&A, "SQ01", "第一社区", "community", street_id, sq1);
	dev_add_org(&A, "SQ01B1", "第一党支部", "branch", sq1, b11);
	for (int i = 0; i < 7000; i += 1000) {
		Tongxin__Value v[32];
		struct h_member m;
		dev_begin(&A);
		for (int j = 0; j < 1000; j++) {
			h_member_vals(v, &m, b11, NULL);
			dev_insert(&A, TBL_MEMBER, v, last_member);
			if (first_member[0] == '\0')
				snprintf(first_member, sizeof first_member, "%s", last_member);
		}
		dev_commit(&A);
	}
	for (int k = 0; k < 20; k++) {
		Tongxin__Value v[32];
		char mid[ID_TEXT_LEN + 1], aid[ID_TEXT_LEN + 1];
		dev_begin(&A);
		h_vals_null(v, TBL_MEETING);
		h_set(v, TBL_MEETING, "org_id", b11);
		h_set(v, TBL_MEETING, "kind", "party_lecture");
		h_set(v, TBL_MEETING, "held_on", "2024-05-20");
		h_set(v, TBL_MEETING, "topic", "党课");
		dev_insert(&A, TBL_MEETING, v, mid);
		h_vals_null(v, TBL_ATTENDANCE);
		h_set(v, TBL_ATTENDANCE, "meeting_id", mid);
		h_set(v, TBL_ATTENDANCE, "member_id", last_member);
		h_set(v, TBL_ATTENDANCE, "status", "present");
		dev_insert(&A, TBL_ATTENDANCE, v, aid);
		dev_commit(&A);
	}
	dev_sync(&A, &S, NULL);
	h_require_equal(&S, &A);
	members = h_sql_int(replica_db(A.r), "SELECT count(*) FROM member", NULL, NULL);
	H_CHECK(members == 7000, "the street holds %lld members", (long long)members);

	/* A fresh device; its desk made the name index before the first sync. */
	dev_new(&O, &S, "JD01", "street-new", 1);
	index_names(&O, want_idx, sizeof want_idx);
	H_CHECK(strstr(want_idx, "member_id_number") != NULL, "a fresh replica has no "
	    "member_id_number index: %s", want_idx);
	H_OK(dom_prepare_indexes(O.r, &de));
	H_CHECK(desk_objects(&O) == 4, "the desk's name index is not there");

	/* Killed after the first page. */
	sync_dying(&O, "1");
	before = h_sql_int(replica_db(O.r), "SELECT count(*) FROM member", NULL, NULL);
	H_CHECK(before > 0 && before < members, "after one page the replica holds %lld members",
	    (long long)before);
	H_CHECK(pending_mark(&O) == 1, "the dropped indexes are not marked pending");
	index_names(&O, have_idx, sizeof have_idx);
	H_CHECK(strstr(have_idx, "member_id_number") == NULL, "member_id_number was kept: %s",
	    have_idx);
	H_CHECK(desk_objects(&O) == 0, "the desk's name index was kept through a first pull");
	h_sql_text(replica_db(O.r), "SELECT id_number FROM member ORDER BY rowid DESC LIMIT 1", NULL,
	    idn, sizeof idn);
	H_CHECK(h_sql_int(replica_db(O.r), "SELECT count(*) FROM member WHERE id_number = ?1", idn,
	    NULL) == 1, "a member is not found by citizen ID without the index");
	h_log("killed after one page: %lld members, indexes pending", (long long)before);

	/* The next sync carries on and builds them. */
	dev_sync(&O, &S, &rep);
	H_CHECK((int64_t)rep.pulled_rows >= members - before, "the second sync pulled %llu rows",
	    (unsigned long long)rep.pulled_rows);
	H_CHECK(pending_mark(&O) == 0, "the mark outlived the pull that built the indexes");
	index_names(&O, have_idx, sizeof have_idx);
	H_CHECK(strcmp(have_idx, want_idx) == 0, "indexes after the first pull:\n  %s\nexpected\n  %s",
	    have_idx, want_idx);
	h_require_equal(&S, &O);
	H_CHECK(h_sql_int(replica_db(O.r), "SELECT count(*) FROM member", NULL, NULL) == members,
	    "the replica does not hold every member");
	H_OK(dom_prepare_indexes(O.r, &de));
	H_CHECK(desk_objects(&O) == 4, "the desk did not make its name index again");
	H_CHECK(h_sql_int(replica_db(O.r), "SELECT count(DISTINCT mrow) FROM ui_member_gram", NULL,
	    NULL) == members, "the desk's name index does not cover every member");

	/* Killed after its last page, before the indexes were built; repaired alone. */
	dev_new(&P, &S, "JD01", "street-new-2", 1);
	sync_dying(&P, "last");
	H_CHECK(pending_mark(&P) == 1, "P: no mark after the kill");
	H_CHECK(h_sql_int(replica_db(P.r), "SELECT count(*) FROM member", NULL, NULL) == members,
	    "P: every member should be in after the last page");
	H_OK(rep_indexes_repair(P.r, err, sizeof err));
	H_CHECK(pending_mark(&P) == 0, "P: the mark outlived the repair");
	index_names(&P, have_idx, sizeof have_idx);
	H_CHECK(strcmp(have_idx, want_idx) == 0, "P: indexes after the repair: %s", have_idx);
	dev_sync(&P, &S, NULL);
	h_require_equal(&S, &P);

	/*
	 * The replica refuses a row: of the first page (the reader is still
	 * reading the next; the drop of the indexes is rolled back with the
	 * page), then of the last (the indexes were dropped: built all the same).
	 */
	refused_pull(&Q, "street-new-3", first_member);
	refused_pull(&R, "street-new-4", last_member);

	/* A page that changes nothing writes nothing; a moved cursor is written alone. */
	{
		Tongxin__PullResponse pg;
		uint64_t cursors[TBL_COUNT], applied = 0, evicted = 0, keep;
		int changes;

		page_of_cursors(&O, &pg, cursors);
		changes = sqlite3_total_changes(replica_db(O.r));
		H_OK(rep_apply_page(O.r, &pg, &applied, &evicted, NULL, err, sizeof err));
		H_CHECK(sqlite3_total_changes(replica_db(O.r)) == changes, "an empty page wrote %d "
		    "rows", sqlite3_total_changes(replica_db(O.r)) - changes);
		keep = cursors[TBL_MEETING];
		cursors[TBL_MEETING] = keep + 1;
		H_OK(rep_apply_page(O.r, &pg, &applied, &evicted, NULL, err, sizeof err));
		H_CHECK(sqlite3_total_changes(replica_db(O.r)) == changes + 1, "a page moving one "
		    "cursor wrote %d rows", sqlite3_total_changes(replica_db(O.r)) - changes);
		page_of_cursors(&O, &pg, cursors);
		H_CHECK(cursors[TBL_MEETING] == keep + 1, "the moved cursor was not stored");
		cursors[TBL_MEETING] = keep;
		H_OK(rep_apply_page(O.r, &pg, &applied, &evicted, NULL, err, sizeof err));
		H_CHECK(applied == 0 && evicted == 0, "empty pages counted rows");
	}
	dev_sync(&O, &S, &rep);
	H_CHECK(rep.pulled_rows == 0, "a no-op sync pulled %llu rows",
	    (unsigned long long)rep.pulled_rows);
	h_require_equal(&S, &O);

	srv_stop(&S);
	dev_close(&A);
	dev_close(&O);
	dev_close(&P);
	dev_close(&Q);
	dev_close(&R);
	return h_done();
}
