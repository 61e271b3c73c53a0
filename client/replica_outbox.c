/*
 * replica_outbox.c - the outbox as the push reads it (rep_outbox_peek,
 * rep_outbox_batch) and the server's answers to it (rep_ack). See replica.h.
 */
#include "replica.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "pbwire.h"
#include "replica_int.h"
#include "rowhash.h"
#include "log.h"
#include "reason.h"
#include "value.h"
#include "vocab.h"


int
rep_outbox_peek(struct replica *r, size_t max_txns, size_t max_bytes, Tongxin__Txn ***txns)
{
	sqlite3_stmt *st = r->outbox_peek;
	Tongxin__Txn **out;
	size_t n = 0, bytes = 0;
	int rc;

	if ((out = calloc(max_txns ? max_txns : 1, sizeof *out)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)max_txns);
	sqlite3_bind_int64(st, 2, 0);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		size_t len = (size_t)sqlite3_column_bytes(st, 0);
		if (n > 0 && bytes + len > max_bytes)
			break;
		out[n] = tongxin__txn__unpack(NULL, len, sqlite3_column_blob(st, 0));
		if (out[n] == NULL) {
			log_warnx("replica: outbox entry %zu is unreadable", n);
			damage_note("an unsent transaction in the outbox cannot be unpacked", false);
			rc = SQLITE_CORRUPT;
			break;
		}
		bytes += len;
		n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		for (size_t i = 0; i < n; i++)
			tongxin__txn__free_unpacked(out[i], NULL);
		free(out);
		return -1;
	}
	*txns = out;
	return (int)n;
}

/* Whether blob is a well-formed message level whose fields are all Txn's (1..5). */
static bool
is_txn_bytes(const uint8_t *p, size_t n)
{
	struct pbr rd;
	struct pb_field f;
	int rc;

	pbr_init(&rd, p, n);
	while ((rc = pbr_next(&rd, &f)) == 1)
		if (f.field < 1 || f.field > 5)
			return false;
	return rc == 0;
}

int
rep_outbox_batch(struct replica *r, uint64_t *after, size_t max_txns, size_t max_bytes,
    struct pbw *out)
{
	sqlite3_stmt *st = r->outbox_peek;
	size_t n = 0, bytes = 0;
	int rc;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)max_txns);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)*after);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const uint8_t *blob = sqlite3_column_blob(st, 0);
		size_t len = (size_t)sqlite3_column_bytes(st, 0);

		if (n > 0 && bytes + len > max_bytes)
			break;
		/* The stored bytes go out as they are: look at their shape, without unpacking. */
		if (blob == NULL || !is_txn_bytes(blob, len)) {
			log_warnx("replica: outbox transaction %lld is unreadable",
			    (long long)sqlite3_column_int64(st, 1));
			damage_note("an unsent transaction in the outbox cannot be unpacked", false);
			rc = SQLITE_CORRUPT;
			break;
		}
		pbw_bytes(out, 1, blob, len);   /* PushRequest.txns */
		*after = (uint64_t)sqlite3_column_int64(st, 1);
		bytes += len;
		n++;
	}
	sqlite3_reset(st);
	if ((rc != SQLITE_ROW && rc != SQLITE_DONE) || out->failed)
		return -1;
	return (int)n;
}

static const char *
status_name(Tongxin__TxnResult__Status s)
{
	switch (s) {
	case TONGXIN__TXN_RESULT__STATUS__APPLIED: return "applied";
	case TONGXIN__TXN_RESULT__STATUS__MERGED: return "merged";
	case TONGXIN__TXN_RESULT__STATUS__CONFLICT: return "conflict";
	default: return "rejected";
	}
}

int
rep_ack(struct replica *r, const Tongxin__PushResponse *resp, struct rep_ack_counts *counts,
    char *err, size_t errlen)
{
	sqlite3_stmt *blob_get = NULL;
	int rc;

	if (db_exec(r->db, "BEGIN IMMEDIATE", err, errlen) != 0)
		return -1;
	if (sqlite3_prepare_v2(r->db, "SELECT txn FROM outbox WHERE seq = ?1", -1, &blob_get,
	    NULL) != SQLITE_OK)
		goto fail;
	/* First every acknowledgement, so rows are judged against what is still pending. */
	for (size_t i = 0; i < resp->n_results; i++) {
		const Tongxin__TxnResult *res = resp->results[i];
		int keep_txn = res->status == TONGXIN__TXN_RESULT__STATUS__CONFLICT ||
		    res->status == TONGXIN__TXN_RESULT__STATUS__REJECTED;
		char why[REASON_TEXT_MAX];

		/*
		 * The reason is kept as the clerk reads it: rendered in Chinese
		 * from its code (an old server's English sentence as it came),
		 * bounded and made safe whatever the server sent.
		 */
		reason_show(res->reason_code, (const char *const *)res->reason_args,
		    res->n_reason_args, res->reason, why, sizeof why);
		sqlite3_bind_int64(r->outcome_put, 1, (sqlite3_int64)res->seq);
		sqlite3_bind_text(r->outcome_put, 2, status_name(res->status), -1, SQLITE_STATIC);
		if (why[0])
			sqlite3_bind_text(r->outcome_put, 3, why, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(r->outcome_put, 3);
		if (res->reason_code != 0)
			sqlite3_bind_int64(r->outcome_put, 7, (sqlite3_int64)res->reason_code);
		else
			sqlite3_bind_null(r->outcome_put, 7);
		if (res->conflict_id[0])
			sqlite3_bind_text(r->outcome_put, 4, res->conflict_id, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(r->outcome_put, 4);
		sqlite3_bind_null(r->outcome_put, 5);
		if (keep_txn) {
			/* The clerk's change is kept whole locally as well. */
			sqlite3_bind_int64(blob_get, 1, (sqlite3_int64)res->seq);
			if (sqlite3_step(blob_get) == SQLITE_ROW)
				sqlite3_bind_blob(r->outcome_put, 5, sqlite3_column_blob(blob_get, 0),
				    sqlite3_column_bytes(blob_get, 0), SQLITE_TRANSIENT);
			sqlite3_reset(blob_get);
		}
		sqlite3_bind_int64(r->outcome_put, 6, now_ms());
		rc = sqlite3_step(r->outcome_put);
		sqlite3_reset(r->outcome_put);
		sqlite3_clear_bindings(r->outcome_put);
		if (rc != SQLITE_DONE)
			goto fail;
		sqlite3_bind_int64(r->outbox_drop, 1, (sqlite3_int64)res->seq);
		rc = sqlite3_step(r->outbox_drop);
		sqlite3_reset(r->outbox_drop);
		if (rc != SQLITE_DONE)
			goto fail;
		sqlite3_bind_int64(r->pending_drop, 1, (sqlite3_int64)res->seq);
		rc = sqlite3_step(r->pending_drop);
		sqlite3_reset(r->pending_drop);
		if (rc != SQLITE_DONE)
			goto fail;
		if (counts) {
			switch (res->status) {
			case TONGXIN__TXN_RESULT__STATUS__APPLIED: counts->applied++; break;
			case TONGXIN__TXN_RESULT__STATUS__MERGED: counts->merged++; break;
			case TONGXIN__TXN_RESULT__STATUS__CONFLICT: counts->conflict++; break;
			default: counts->rejected++; break;
			}
			counts->duplicate += res->duplicate;
			counts->noted += why[0] && !keep_txn;
		}
	}
	for (size_t i = 0; i < resp->n_results; i++)
		for (size_t j = 0; j < resp->results[i]->n_rows; j++)
			if (apply_server_row(r, resp->results[i]->rows[j], 1, NULL) != 0)
				goto fail;
	sqlite3_finalize(blob_get);
	if (db_meta_set_int(r->db, "last_contact", now_ms()) != 0 ||
	    db_exec(r->db, "COMMIT", err, errlen) != 0)
		goto fail2;
	return 0;
fail:
	sqlite3_finalize(blob_get);
fail2:
	if (err[0] == '\0')
		snprintf(err, errlen, "cannot record the server's answers: %s", sqlite3_errmsg(r->db));
	db_exec(r->db, "ROLLBACK", NULL, 0);
	return -1;
}


int
rep_seq_floor(struct replica *r, uint64_t last_seq)
{
	if ((uint64_t)db_meta_get_int(r->db, "next_seq", 1) > last_seq)
		return 0;
	log_warnx("replica: the server has seen transaction %llu from this device; new "
	    "transactions continue after it (was this replica restored from a backup?)",
	    (unsigned long long)last_seq);
	return db_meta_set_int(r->db, "next_seq", (int64_t)last_seq + 1);
}
