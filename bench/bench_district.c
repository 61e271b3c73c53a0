/*
 * bench_district.c - a generated district (issue 13, item 4): tongxind init
 * --district, STREETS streets under the district, ten communities a street,
 * four branches a community, MEMBERS members spread over the communities,
 * four meetings a community with every member's attendance (up to 1,000 a
 * meeting), and 200 devices enrolled (the district's and each street's
 * administrators, an office a community, the rest branch devices). The
 * server is populated in this process through store_push, as the
 * district's administrator would push it, before any clock starts.
 *
 * Then the two bootstraps a district's server sees, each a fresh replica
 * running sync_run end to end over TLS against "tongxind serve" (a child
 * process): a street administrator's device (its street's rows: a twelfth
 * of the district) and the district administrator's device (every row).
 * Each against the baseline of plain prepared INSERTs of the same rows into
 * a fresh replica (bx_plain), the two sides alternating round by round,
 * medians of REPEATS.
 *
 * usage: bench_district [MEMBERS [STREETS [REPEATS]]]
 *   defaults 150000 members, 12 streets, 3 repeats
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "pki.h"
#include "store.h"
#include "sync.h"

#define COMMUNITIES 10        /* a street's */
#define BRANCHES 4            /* a community's */
#define MEETINGS 4            /* a community's: the year's 党员大会 */
#define DEVICES 200
#define MAX_STREETS 64
#define MAX_REPEATS 9

/* The rows of one street, each set in the order a pull brings them. */
struct street_rows {
	struct bx_rows street, comms, branches[COMMUNITIES], members[COMMUNITIES],
	    meetings[COMMUNITIES], att[COMMUNITIES];
	size_t rows;
};

/* Every set of one street, for the baseline (sets: room for 1 + 1 + 4 * COMMUNITIES). */
static int
street_sets(struct street_rows *sr, struct bx_rows **sets)
{
	int n = 0;

	sets[n++] = &sr->street;
	sets[n++] = &sr->comms;
	for (int c = 0; c < COMMUNITIES; c++)
		sets[n++] = &sr->branches[c];
	for (int c = 0; c < COMMUNITIES; c++)
		sets[n++] = &sr->members[c];
	for (int c = 0; c < COMMUNITIES; c++)
		sets[n++] = &sr->meetings[c];
	for (int c = 0; c < COMMUNITIES; c++)
		sets[n++] = &sr->att[c];
	return n;
}

/* Street k's rows under the district root_id, its members numbered from member0. */
static void
street_make(struct street_rows *sr, const char *root_id, int k, size_t nmembers,
    uint64_t member0)
{
	struct bx_refs refs;

	memset(&refs, 0, sizeof refs);
	refs.org_id = root_id;
	refs.org_kind = "street";
	bx_rows_make(&sr->street, TBL_ORG, (uint64_t)k, 1, &refs);
	refs.org_id = sr->street.ids[0];
	refs.org_kind = "community";
	bx_rows_make(&sr->comms, TBL_ORG, (uint64_t)k * COMMUNITIES, COMMUNITIES, &refs);
	sr->rows = 1 + COMMUNITIES;
	for (int c = 0; c < COMMUNITIES; c++) {
		size_t n = nmembers / COMMUNITIES + ((size_t)c < nmembers % COMMUNITIES);
		uint64_t g = (uint64_t)k * COMMUNITIES + (uint64_t)c;

		memset(&refs, 0, sizeof refs);
		refs.org_id = sr->comms.ids[c];
		bx_rows_make(&sr->branches[c], TBL_ORG, g * BRANCHES, BRANCHES, &refs);
		/* Members, and the meetings they attend, in the community's first branch. */
		refs.org_id = sr->branches[c].ids[0];
		bx_rows_make(&sr->members[c], TBL_MEMBER, member0, n, &refs);
		member0 += n;
		bx_rows_make(&sr->meetings[c], TBL_MEETING, g * MEETINGS, MEETINGS, &refs);
		refs.members = (const char (*)[ID_TEXT_LEN + 1])sr->members[c].ids;
		refs.nmembers = sr->members[c].n;
		refs.meetings = (const char (*)[ID_TEXT_LEN + 1])sr->meetings[c].ids;
		refs.nmeetings = MEETINGS;
		bx_rows_make(&sr->att[c], TBL_ATTENDANCE, g * MEETINGS * 1000,
		    (size_t)MEETINGS * (n < 1000 ? n : 1000), &refs);
		sr->rows += BRANCHES + n + MEETINGS + sr->att[c].n;
	}
}

static void
street_free(struct street_rows *sr)
{
	bx_rows_free(&sr->street);
	bx_rows_free(&sr->comms);
	for (int c = 0; c < COMMUNITIES; c++) {
		bx_rows_free(&sr->branches[c]);
		bx_rows_free(&sr->members[c]);
		bx_rows_free(&sr->meetings[c]);
		bx_rows_free(&sr->att[c]);
	}
}

/* The median of n bootstraps of device dev's scope (org code), the baseline alternating. */
static void
measure(struct bx_street *st, const char *base, const char *org, int n, struct bx_rows **sets,
    int nsets, const int64_t expect[TBL_COUNT], double *boot, double *plain, uint64_t *rows)
{
	static int serial;
	double tb[MAX_REPEATS], tp[MAX_REPEATS], marks[MAX_STREETS * 42];
	char dev[64], bundle[4300], path[4300], pp[4300];

	snprintf(path, sizeof path, "%s/boot.db", base);
	snprintf(pp, sizeof pp, "%s/plain.db", base);
	for (int k = 0; k < n; k++) {
		/* A device of its own for each fresh replica (one replica a credential). */
		snprintf(dev, sizeof dev, "bench-%s-%d", org, ++serial);
		snprintf(bundle, sizeof bundle, "%s/%s.bundle", base, dev);
		bx_enroll_org(st, org, dev, bundle);
		for (int i = 0; i < nsets; i++)
			marks[i] = -1;
		if (k % 2 == 1) {
			bx_plain(pp, bundle, sets, nsets, marks);
			bx_replica_rm(pp);
		}
		tb[k] = bx_bootstrap(st, path, bundle, rows, expect);
		bx_replica_rm(path);
		if (k % 2 == 0) {
			bx_plain(pp, bundle, sets, nsets, marks);
			bx_replica_rm(pp);
		}
		tp[k] = marks[nsets - 1];
		unlink(bundle);
	}
	*boot = bx_median(tb, n);
	*plain = bx_median(tp, n);
}

int
main(int argc, char **argv)
{
	size_t nmembers = 150000;
	int nstreets = 12, repeats = 3, ncpu, ndev = 0;
	struct bx_street st;
	static struct street_rows sr[MAX_STREETS];
	static struct bx_rows *all[MAX_STREETS * 42], *one[42];
	struct store_actor admin;
	struct pki_cred *creds;
	struct store *s;
	char base_code[16], buf[4][32];
	int64_t expect[TBL_COUNT];
	uint64_t seq = 1, hlc = 0, pulled, member0 = 0;
	double t, load, b_street, p_street, b_all, p_all;
	size_t total = 0, att = 0;
	int nall = 0, none;
	const char *base;

	if (argc > 1)
		nmembers = (size_t)bx_arg_long(argv[1], "MEMBERS");
	if (argc > 2)
		nstreets = (int)bx_arg_long(argv[2], "STREETS");
	if (argc > 3)
		repeats = (int)bx_arg_long(argv[3], "REPEATS");
	if (argc > 4 || nstreets < 1 || nstreets > MAX_STREETS || repeats < 1) {
		fprintf(stderr, "usage: bench_district [MEMBERS [STREETS (1-%d) [REPEATS]]]\n",
		    MAX_STREETS);
		return 2;
	}
	if (repeats > MAX_REPEATS)
		repeats = MAX_REPEATS;
	base = bx_tmpdir("district");
	bx_root_init(&st, base, "--district", "基准区", "QU01");

	/* Every row, made before any clock starts; members numbered across the district. */
	for (int k = 0; k < nstreets; k++) {
		size_t n = nmembers / (size_t)nstreets + ((size_t)k < nmembers % (size_t)nstreets);
		street_make(&sr[k], st.street_id, k, n, member0);
		member0 += n;
		nall += street_sets(&sr[k], all + nall);
		total += sr[k].rows;
		for (int c = 0; c < COMMUNITIES; c++)
			att += sr[k].att[c].n;
	}

	/* The district's administrator pushes it all; 200 devices are enrolled. */
	memset(&admin, 0, sizeof admin);
	admin.device_id = "bench-district-admin";
	admin.device_name = "bench-district-admin";
	admin.role = "admin";
	admin.scope = st.scope;
	admin.operator_name = "bench";
	s = bx_store_open(&st);
	t = bx_now();
	for (int i = 0; i < nall; i++)
		bx_push_rows(s, &admin, all[i], &seq, &hlc);
	t = bx_now() - t;
	store_close(s);
	if ((creds = calloc(DEVICES, sizeof *creds)) == NULL)
		bx_die("out of memory");
	bx_enroll_mem(&st, "QU01", "district-admin", 1, creds + ndev++);
	for (int k = 0; k < nstreets && ndev < DEVICES; k++) {
		snprintf(base_code, sizeof base_code, "S%03d", k);
		bx_enroll_mem(&st, base_code, base_code, 1, creds + ndev++);
	}
	/* An office a community, then more devices of the communities in turn. */
	for (int g = 0; ndev < DEVICES; g++) {
		char code[16], name[32];
		snprintf(code, sizeof code, "C%03d", g % (nstreets * COMMUNITIES));
		snprintf(name, sizeof name, "office%03d", g);
		bx_enroll_mem(&st, code, name, 1, creds + ndev++);
	}
	for (int i = 0; i < ndev; i++)
		pki_cred_clear(&creds[i]);
	free(creds);

	bx_load(&load, &ncpu);
	printf("(i) a district: %d streets of %d communities of %d branches, %s members, %s\n"
	    "    attendance rows, %d devices; %s rows in all, pushed in this process as the\n"
	    "    district's administrator in %.1f s; fresh replicas run sync_run against tongxind\n"
	    "    serve over TLS 1.3 on loopback, vs plain prepared INSERTs of the same rows;\n"
	    "    median of %d runs; load average %.1f on %d CPUs at start\n", nstreets,
	    COMMUNITIES, BRANCHES, bx_commas((double)nmembers, buf[0], sizeof buf[0]),
	    bx_commas((double)att, buf[1], sizeof buf[1]), ndev,
	    bx_commas((double)total, buf[2], sizeof buf[2]), t, repeats, load, ncpu);

	/* A street administrator's device: one street's rows. */
	for (int k = 0; k < TBL_COUNT; k++)
		expect[k] = -1;
	expect[TBL_ORG] = 1 + COMMUNITIES + COMMUNITIES * BRANCHES;
	expect[TBL_MEMBER] = 0;
	for (int c = 0; c < COMMUNITIES; c++)
		expect[TBL_MEMBER] += (int64_t)sr[0].members[c].n;
	none = street_sets(&sr[0], one);
	measure(&st, base, "S000", repeats, one, none, expect, &b_street, &p_street, &pulled);
	printf("    %-40s %10s %8s %11s %8s %11s  %s\n", "device", "rows", "boot s", "boot r/s",
	    "plain s", "plain r/s", "boot rate/plain");
	printf("    %-40s %10s %8.3f %11s %8.3f %11s  %.1f%%\n",
	    "a street's administrator (one street)",
	    bx_commas((double)pulled, buf[0], sizeof buf[0]), b_street,
	    bx_commas((double)pulled / b_street, buf[1], sizeof buf[1]), p_street,
	    bx_commas((double)sr[0].rows / p_street, buf[2], sizeof buf[2]),
	    100 * ((double)pulled / b_street) / ((double)sr[0].rows / p_street));
	fflush(stdout);

	/* The district's administrator: every row. */
	expect[TBL_ORG] = 1 + nstreets * (1 + COMMUNITIES + COMMUNITIES * BRANCHES);
	expect[TBL_MEMBER] = (int64_t)nmembers;
	measure(&st, base, "QU01", repeats, all, nall, expect, &b_all, &p_all, &pulled);
	printf("    %-40s %10s %8.3f %11s %8.3f %11s  %.1f%%\n",
	    "the district's administrator (all)",
	    bx_commas((double)pulled, buf[0], sizeof buf[0]), b_all,
	    bx_commas((double)pulled / b_all, buf[1], sizeof buf[1]), p_all,
	    bx_commas((double)total / p_all, buf[2], sizeof buf[2]),
	    100 * ((double)pulled / b_all) / ((double)total / p_all));
	bx_goal("district bootstrap rate >= 80% of the plain insert rate (district admin)",
	    ((double)pulled / b_all) / ((double)total / p_all) >= 0.80, "%.1f%%",
	    100 * ((double)pulled / b_all) / ((double)total / p_all));
	for (int k = 0; k < nstreets; k++)
		street_free(&sr[k]);
	return 0;
}
