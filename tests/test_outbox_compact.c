/*
 * test_outbox_compact.c - bulk outbox entries stored compact
 * (client/replica_outbox.c: rep_outbox_compact, rep_outbox_expand).
 *
 * A street admin device A captures, offline:
 *   1. one local transaction of 500 new members (an import): its outbox
 *      entry, stored as references to its rows and then settled (as a
 *      later edit of one of them does), is stored compact, smaller than the
 *      Txn it stands for, and
 *      what the push would send (rep_outbox_expand) is a Txn of 500 inserts
 *      whose every row id and value is the member as the replica holds it;
 *   2. one transaction of 3 members, settled: stored as it is (below the
 *      threshold), rep_outbox_expand hands back the stored bytes themselves;
 *   3. the sync: the server applies both transactions (nothing refused,
 *      nothing in conflict) and holds row for row what A holds (503 members);
 *   4. 3,000 random mutations of the compact entry (bytes changed, cut
 *      short, lengthened): rep_outbox_expand never reads or writes outside
 *      its buffers (ASan), and what it accepts it hands back within the
 *      bounds it promises;
 *   5. 2,000 random entries of inserts (any table number, ids sharing
 *      prefixes, values of every kind repeated, alternating or new, empty
 *      and long strings, strings of digits, changes of many columns): whatever
 *      rep_outbox_compact stores, rep_outbox_expand gives back byte for
 *      byte. Release builds store the compact form without expanding it
 *      again (Debug builds still do, and abort on a difference): this is
 *      what stands for that check there. Each entry is also coded in the
 *      version 1 form (what tongxin stored before; v1_encode below keeps
 *      its rules) and must expand the same: an outbox left by an older
 *      tongxin still pushes;
 *   6. two handles on A's replica (the CLI and the desk, two processes)
 *      take turns at one-row transactions: every transaction gets its own
 *      sequence, above the one before, though a handle remembers the next
 *      sequence after its own commits; the sync applies them all.
 */
#include "sync_harness.h"

#include "pbwire.h"
#include "replica_int.h"

static struct h_server S;
static struct h_dev A;

/* The stored bytes of outbox entry seq (malloc'd copy, *len), required to exist. */
static uint8_t *
stored_entry(int64_t seq, size_t *len)
{
	sqlite3_stmt *st;
	uint8_t *p = NULL;

	H_CHECK(sqlite3_prepare_v2(replica_db(A.r), "SELECT txn FROM outbox WHERE seq = ?1", -1,
	    &st, NULL) == SQLITE_OK, "prepare: %s", sqlite3_errmsg(replica_db(A.r)));
	sqlite3_bind_int64(st, 1, seq);
	H_CHECK(sqlite3_step(st) == SQLITE_ROW, "no outbox entry %lld", (long long)seq);
	*len = (size_t)sqlite3_column_bytes(st, 0);
	H_CHECK((p = malloc(*len + 1)) != NULL, "out of memory");
	memcpy(p, sqlite3_column_blob(st, 0), *len);
	sqlite3_finalize(st);
	return p;
}

/* Store entry seq (in the reference form) as the bytes it stands for, as a later edit would. */
static void
settle(int64_t seq)
{
	char err[1024] = "";

	dev_begin(&A);
	H_CHECK(rep_outbox_unref(replica_db(A.r), seq, err, sizeof err) == 0,
	    "rep_outbox_unref: %s", err);
	dev_commit(&A);
}

/* Whether two values are the same value. */
static int
value_same(const Tongxin__Value *a, const Tongxin__Value *b)
{
	if (a->kind_case != b->kind_case)
		return 0;
	switch (a->kind_case) {
	case TONGXIN__VALUE__KIND_I: return a->i == b->i;
	case TONGXIN__VALUE__KIND_R: return memcmp(&a->r, &b->r, sizeof a->r) == 0;
	case TONGXIN__VALUE__KIND_S: return strcmp(a->s, b->s) == 0;
	default: return 1;
	}
}

/* Check 1: every change of the expanded Txn is an insert of a member exactly as A holds it. */
static void
check_inserts(const uint8_t *p, size_t n, size_t want)
{
	Tongxin__Txn *t = tongxin__txn__unpack(NULL, n, p);

	H_CHECK(t != NULL, "the expanded entry is not a Txn");
	H_CHECK(t->n_changes == want, "the expanded entry has %zu changes, not %zu", t->n_changes,
	    want);
	for (size_t i = 0; i < t->n_changes; i++) {
		const Tongxin__Change *c = t->changes[i];
		Tongxin__Value cur[32];
		int found;

		H_CHECK(c->table == TBL_MEMBER && c->op == TONGXIN__CHANGE__OP__OP_INSERT,
		    "change %zu is not a member insert", i);
		found = rep_get(A.r, TBL_MEMBER, c->row_id, cur, NULL);
		H_CHECK(found == 1, "change %zu names member %s, which A does not hold", i,
		    c->row_id);
		int listed[32] = { 0 };
		H_CHECK(c->n_values == c->n_cols && c->n_cols <= 32, "change %zu has %zu columns and "
		    "%zu values", i, c->n_cols, c->n_values);
		/* An insert lists the columns it sets; the others are NULL in the row. */
		for (size_t k = 0; k < c->n_cols; k++) {
			H_CHECK(c->cols[k] < (uint32_t)schema_tables[TBL_MEMBER].ncols &&
			    value_same(c->values[k], &cur[c->cols[k]]),
			    "change %zu, column %u differs from the row A holds", i, c->cols[k]);
			listed[c->cols[k]] = 1;
		}
		for (int k = 0; k < schema_tables[TBL_MEMBER].ncols; k++) {
			H_CHECK(listed[k] || cur[k].kind_case == TONGXIN__VALUE__KIND__NOT_SET,
			    "change %zu leaves out column %d, which the row has", i, k);
			value_clear(&cur[k]);
		}
	}
	tongxin__txn__free_unpacked(t, NULL);
}

/* A random value for check 5: from a small pool (repeats), or new. */
static void
random_value(Tongxin__Value *v, char *sbuf, size_t scap)
{
	static const char *const pool[] = { "男", "女", "汉族", "", "2024-01-01", "和平社区第一党支部" };
	uint32_t k = h_randn(10);

	tongxin__value__init(v);
	switch (k) {
	case 0:
		return;   /* not set */
	case 1:
		v->kind_case = TONGXIN__VALUE__KIND_I;
		v->i = h_randn(3) == 0 ? -(int64_t)h_rand() : (int64_t)h_randn(4) << (h_randn(60));
		return;
	case 2:
		v->kind_case = TONGXIN__VALUE__KIND_R;
		v->r = h_randn(2) ? 0.0 : (double)h_rand() / 7.0;
		return;
	case 3: case 4: case 5:
		v->kind_case = TONGXIN__VALUE__KIND_S;
		v->s = (char *)pool[h_randn(sizeof pool / sizeof pool[0])];
		return;
	default: {
		/* New text: a shared start and a random tail, now and then long. */
		size_t n = h_randn(60) == 0 ? 100 + h_randn(20000) : h_randn(12);
		if (n + 8 > scap)
			n = scap - 8;
		/* Half of them of digits and the few signs the coder packs two to a byte. */
		static const char packable[] = "0123456789-X: ./";
		int digits = h_randn(2);
		memcpy(sbuf, "4201", 4);
		for (size_t i = 4; i < n + 4; i++)
			sbuf[i] = digits ? packable[h_randn(h_randn(4) ? 10 : 16)] :
			    (char)('0' + h_randn(75));
		sbuf[n + 4] = '\0';
		v->kind_case = TONGXIN__VALUE__KIND_S;
		v->s = sbuf;
		return;
	}
	}
}

/*
 * The version 1 stream of an entry (chg, clen bytes, n changes), by the
 * rules tongxin coded it with before version 2: per field position, the 4
 * fields seen last, most recent first; code 0..3 repeats one (moved to the
 * front), code 4 is a literal (p bytes of the most recent field, then s
 * bytes), put in front; past 2 * MAX_COLS + 16 positions a literal with
 * p = 0, not kept. out has room for 2 * clen + 32 bytes.
 */
static size_t
v1_encode(const uint8_t *chg, size_t clen, size_t n, uint8_t *out)
{
	enum { POS = 2 * MAX_COLS + 16, HIST = 4 };
	static struct { size_t off[HIST], len[HIST], n; } h[POS];
	const uint8_t *p = chg, *cend = chg + clen;
	uint8_t *o = out;

	memset(h, 0, sizeof h);
	*o++ = 1;
	o = pb_put_varint(o, clen);
	o = pb_put_varint(o, n);
	while (p < cend) {
		uint64_t len, key, v;
		const uint8_t *ce, *fs;

		H_CHECK(*p++ == (5 << 3 | 2) && pb_get_varint(&p, cend, &len) == 0, "v1: no change");
		o = pb_put_varint(o, len);
		ce = p + len;
		for (size_t j = 0; (fs = p) < ce; j++) {
			size_t flen, pre = 0, c;

			H_CHECK(pb_get_varint(&p, ce, &key) == 0, "v1: a bad tag");
			switch (key & 7) {
			case 0: H_CHECK(pb_get_varint(&p, ce, &v) == 0, "v1: a bad varint"); break;
			case 1: p += 8; break;
			case 5: p += 4; break;
			default:
				H_CHECK(pb_get_varint(&p, ce, &v) == 0, "v1: a bad length");
				p += v;
			}
			flen = (size_t)(p - fs);
			if (j < POS && h[j].n > 0) {
				size_t m = h[j].len[0] < flen ? h[j].len[0] : flen;
				while (pre < m && chg[h[j].off[0] + pre] == fs[pre])
					pre++;
				c = pre == flen && h[j].len[0] == flen ? 0 : 1;
				for (; c > 0 && c < h[j].n; c++)
					if (h[j].len[c] == flen && memcmp(chg + h[j].off[c], fs, flen) == 0)
						break;
				if (c < h[j].n) {
					size_t off = h[j].off[c], l = h[j].len[c];
					*o++ = (uint8_t)c;
					for (; c > 0; c--) {
						h[j].off[c] = h[j].off[c - 1];
						h[j].len[c] = h[j].len[c - 1];
					}
					h[j].off[0] = off;
					h[j].len[0] = l;
					continue;
				}
			}
			*o++ = HIST;
			o = pb_put_varint(o, pre);
			o = pb_put_varint(o, flen - pre);
			memcpy(o, fs + pre, flen - pre);
			o += flen - pre;
			if (j < POS) {
				size_t k = h[j].n < HIST ? h[j].n++ : HIST - 1;
				for (; k > 0; k--) {
					h[j].off[k] = h[j].off[k - 1];
					h[j].len[k] = h[j].len[k - 1];
				}
				h[j].off[0] = (size_t)(fs - chg);
				h[j].len[0] = flen;
			}
		}
	}
	return (size_t)(o - out);
}

/* The stored blob of a version 1 entry: the header, an empty change per change, the stream. */
static size_t
v1_blob(const uint8_t *hdr, size_t hn, size_t n, const uint8_t *stream, size_t slen,
    uint8_t *out)
{
	uint8_t *o = out;

	memcpy(o, hdr, hn);
	o += hn;
	for (size_t i = 0; i < n; i++) {
		*o++ = 5 << 3 | 2;
		*o++ = 0;
	}
	*o++ = 15 << 3 | 2;
	o = pb_put_varint(o, slen);
	memcpy(o, stream, slen);
	return (size_t)(o + slen - out);
}

/* Check 5: random entries of inserts round trip through the compact form. */
static void
round_trips(void)
{
	enum { ENTRIES = 2000, MAXCH = 40, MAXV = 40 };
	static char sbufs[MAXV][20100];
	uint8_t *chg = NULL, *buf = NULL, hdr[160], *v1 = NULL, *v1b = NULL;
	size_t chg_cap = 0, cap = 0, compacted = 0, saved = 0, total = 0, v1_bytes = 0;

	for (int e = 0; e < ENTRIES; e++) {
		Tongxin__Txn tx = TONGXIN__TXN__INIT;
		size_t n = 1 + h_randn(MAXCH), clen = 0, hn, blen, flen;
		uint8_t *blob, *work;
		const uint8_t *full;
		char prefix[24];
		Tongxin__Value last[MAXV];
		size_t last_nv = 0;

		tx.seq = 1 + h_rand();
		tx.hlc = (uint64_t)h_rand() << 16;
		tx.local_time_ms = (int64_t)h_rand();
		tx.operator_name = h_randn(2) ? "李干事" : "";
		hn = tongxin__txn__pack(&tx, hdr);
		snprintf(prefix, sizeof prefix, "0193%08x", (unsigned)h_rand());
		for (size_t i = 0; i < n; i++) {
			Tongxin__Change c = TONGXIN__CHANGE__INIT;
			Tongxin__Value vals[MAXV], *vp[MAXV];
			uint32_t cols[MAXV];
			char rid[64];
			size_t nv = h_randn(8) == 0 ? h_randn(MAXV + 1) : 8 + h_randn(8), need;

			c.table = h_randn(6) == 0 ? h_rand() % 300 : (uint32_t)(e % 3 + 1);
			snprintf(rid, sizeof rid, "%s-%04x-%08x", prefix, (unsigned)h_randn(3),
			    (unsigned)h_rand());
			c.row_id = rid;
			for (size_t k = 0; k < nv; k++) {
				/* Half the time the value the change before had at this place. */
				if (i == 0 || k >= last_nv || h_randn(2) == 0)
					random_value(&last[k], sbufs[k], sizeof sbufs[k]);
				vals[k] = last[k];
				vp[k] = &vals[k];
				cols[k] = (uint32_t)(h_randn(4) == 0 ? h_randn(200) : k);
			}
			last_nv = nv;
			c.n_cols = c.n_values = nv;
			c.cols = cols;
			c.values = vp;
			need = tongxin__change__get_packed_size(&c);
			if (chg_cap < clen + need + 16) {
				chg_cap = 2 * (clen + need + 16);
				H_CHECK((chg = realloc(chg, chg_cap)) != NULL, "out of memory");
			}
			chg[clen++] = 5 << 3 | 2;
			clen = (size_t)(pb_put_varint(chg + clen, need) - chg);
			clen += tongxin__change__pack(&c, chg + clen);
		}
		total++;
		/* The version 1 form of the same entry expands to the same bytes. */
		H_CHECK((v1 = realloc(v1, 2 * clen + 32)) != NULL &&
		    (v1b = realloc(v1b, 2 * clen + 2 * n + hn + 64)) != NULL, "out of memory");
		{
			size_t sl = v1_encode(chg, clen, n, v1), bl = v1_blob(hdr, hn, n, v1, sl, v1b);
			H_CHECK(rep_outbox_expand(NULL, v1b, bl, &buf, &cap, &full, &flen) == 1 &&
			    flen == hn + clen && memcmp(full, hdr, hn) == 0 &&
			    memcmp(full + hn, chg, clen) == 0,
			    "entry %d (%zu changes): the version 1 form gives back other bytes", e, n);
			v1_bytes += bl;
		}
		blob = rep_outbox_compact(hdr, hn, chg, clen, n, &blen, &work);
		if (blob == NULL)
			continue;
		H_CHECK(rep_outbox_expand(NULL, blob, blen, &buf, &cap, &full, &flen) == 1,
		    "entry %d: the compact form does not read back as compact", e);
		H_CHECK(flen == hn + clen && memcmp(full, hdr, hn) == 0 &&
		    memcmp(full + hn, chg, clen) == 0,
		    "entry %d (%zu changes): the compact form gives back other bytes", e, n);
		compacted++;
		saved += hn + clen - blen;
		rep_outbox_compact_done(work);
	}
	H_CHECK(compacted > ENTRIES / 4, "only %zu of %zu random entries were stored compact",
	    compacted, total);
	h_log("random entries: %zu of %zu stored compact (%zu bytes saved), each given back "
	    "byte for byte; all %zu in the version 1 form too (%zu bytes)", compacted, total, saved,
	    total, v1_bytes);
	free(v1);
	free(v1b);
	free(chg);
	free(buf);
}

/* Check 4: mutations of the compact entry b (n bytes). */
static void
mutate(const uint8_t *b, size_t n)
{
	uint8_t *m = malloc(n + 64), *buf = NULL;
	size_t cap = 0, accepted = 0;

	H_CHECK(m != NULL, "out of memory");
	for (int k = 0; k < 3000; k++) {
		const uint8_t *full;
		size_t len = n, flen;
		int rc;

		memcpy(m, b, n);
		for (int j = 0; j < 1 + k % 6; j++)
			m[h_randn((uint32_t)n)] ^= (uint8_t)(1 + h_randn(255));
		if (k % 7 == 3)
			len = 1 + h_randn((uint32_t)n);   /* cut short */
		else if (k % 7 == 5) {
			for (size_t j = 0; j < 64; j++)  /* lengthened */
				m[n + j] = (uint8_t)h_randn(256);
			len = n + 1 + h_randn(64);
		}
		rc = rep_outbox_expand(NULL, m, len, &buf, &cap, &full, &flen);
		if (rc == 0)
			H_CHECK(full == m && flen == len, "mutation %d: a plain entry not handed back as "
			    "it is", k);
		if (rc == 1)
			H_CHECK(full == buf && flen <= cap, "mutation %d: expanded past its buffer", k);
		accepted += rc >= 0;
	}
	h_log("mutations: %zu of 3000 still read as an entry", accepted);
	free(buf);
	free(m);
}

int
main(void)
{
	char street_id[ID_TEXT_LEN + 1], sq1[ID_TEXT_LEN + 1], b1[ID_TEXT_LEN + 1];
	char id[ID_TEXT_LEN + 1];
	uint8_t *big, *small, *buf = NULL;
	size_t big_len, small_len, cap = 0, flen;
	const uint8_t *full;
	struct sync_report rep;
	int64_t seq;

	h_init("test_outbox_compact", 17);
	srv_init(&S, "srv");
	srv_start(&S);
	dev_new(&A, &S, "JD01", "street-admin", 1);
	dev_sync(&A, &S, NULL);
	H_CHECK(h_org_id(replica_db(A.r), "JD01", street_id), "no street row");
	dev_add_org(&A, "SQ01", "第一社区", "community", street_id, sq1);
	dev_add_org(&A, "SQ01B1", "第一党支部", "branch", sq1, b1);
	dev_sync(&A, &S, NULL);

	/* 1. An import of 500 members: one entry, stored compact. */
	dev_begin(&A);
	for (int i = 0; i < 500; i++) {
		Tongxin__Value v[32];
		struct h_member m;
		h_member_vals(v, &m, b1, NULL);
		dev_insert(&A, TBL_MEMBER, v, id);
	}
	dev_commit(&A);
	seq = h_sql_int(replica_db(A.r), "SELECT max(seq) FROM outbox", NULL, NULL);
	/*
	 * Stored as references to its rows (test_outbox_ref), read from them;
	 * settled (as before a later edit of one of them), stored compact.
	 */
	big = stored_entry(seq, &big_len);
	H_CHECK(rep_outbox_expand(replica_db(A.r), big, big_len, &buf, &cap, &full, &flen) == 1,
	    "an entry of 500 inserts does not read back from its rows");
	check_inserts(full, flen, 500);
	free(big);
	settle(seq);
	big = stored_entry(seq, &big_len);
	H_CHECK(rep_outbox_expand(NULL, big, big_len, &buf, &cap, &full, &flen) == 1,
	    "an entry of 500 inserts is not stored compact");
	H_CHECK(big_len < flen, "the compact entry (%zu bytes) is not smaller than its Txn (%zu)",
	    big_len, flen);
	h_log("500 inserts: %zu bytes stored for a Txn of %zu", big_len, flen);
	check_inserts(full, flen, 500);

	/* 2. Three members: stored as they are. */
	dev_begin(&A);
	for (int i = 0; i < 3; i++) {
		Tongxin__Value v[32];
		struct h_member m;
		h_member_vals(v, &m, b1, NULL);
		dev_insert(&A, TBL_MEMBER, v, id);
	}
	dev_commit(&A);
	settle(seq + 1);
	small = stored_entry(seq + 1, &small_len);
	H_CHECK(rep_outbox_expand(NULL, small, small_len, &buf, &cap, &full, &flen) == 0 &&
	    full == small && flen == small_len, "an entry of 3 inserts is not stored as it is");
	check_inserts(full, flen, 3);

	/* 4 before 3: the entries are still there to mutate. */
	mutate(big, big_len);
	round_trips();

	/* 3. The push sends what they stand for: the server applies both. */
	dev_sync(&A, &S, &rep);
	H_CHECK(rep.pushed_txns == 2 && rep.acks.applied == 2 && rep.acks.rejected == 0 &&
	    rep.acks.conflict == 0, "the sync pushed %lld transactions: %lld applied, %lld "
	    "rejected, %lld in conflict", (long long)rep.pushed_txns, (long long)rep.acks.applied,
	    (long long)rep.acks.rejected, (long long)rep.acks.conflict);
	H_CHECK(h_sql_int(replica_db(A.r), "SELECT count(*) FROM member", NULL, NULL) == 503,
	    "A does not hold the 503 members");
	H_CHECK(h_sql_int(replica_db(A.r), "SELECT count(*) FROM outbox", NULL, NULL) == 0,
	    "the outbox is not empty after the sync");
	h_require_equal(&S, &A);

	/* 6. Two handles, one replica: sequences never repeat. */
	{
		struct h_dev B = A;
		char err[1024] = "";
		int64_t seqs[6];
		B.r = replica_open(A.path, err, sizeof err);
		H_CHECK(B.r != NULL, "a second handle on A's replica: %s", err);
		for (int i = 0; i < 6; i++) {
			struct h_dev *d = i % 3 == 1 ? &B : &A;   /* A, B, A, A, B, A */
			dev_insert_member(d, b1, id);
			seqs[i] = h_sql_int(replica_db(A.r), "SELECT max(seq) FROM outbox", NULL, NULL);
			H_CHECK(i == 0 || seqs[i] > seqs[i - 1], "transaction %d by %s took sequence "
			    "%lld after %lld", i, d == &B ? "B" : "A", (long long)seqs[i],
			    (long long)seqs[i - 1]);
		}
		H_CHECK(h_sql_int(replica_db(A.r), "SELECT count(*) FROM outbox", NULL, NULL) == 6,
		    "six transactions did not leave six outbox entries");
		replica_close(B.r);
		dev_sync(&A, &S, &rep);
		H_CHECK(rep.pushed_txns == 6 && rep.acks.applied == 6, "the sync pushed %lld "
		    "transactions, %lld applied", (long long)rep.pushed_txns,
		    (long long)rep.acks.applied);
		h_require_equal(&S, &A);
	}

	free(big);
	free(small);
	free(buf);
	srv_stop(&S);
	dev_close(&A);
	return h_done();
}
