/* sync_pull.c - the pull half of a sync: pages from the server into the replica; see sync_int.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "sync_int.h"

int
sync_pull(struct conn *c, struct replica *r, const struct sync_opts *o, struct sync_report *rep)
{
	Tongxin__PullRequest req = TONGXIN__PULL_REQUEST__INIT;
	Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT;
	uint64_t cursors[TBL_COUNT], evict = 0, notices0;
	int more = 1;

	if (rep_cursors(r, cursors, &evict) != 0)
		return conn_fail(c, SYNC_LOCAL, "cannot read the pull cursors");
	req.cursors = cursors;
	req.n_cursors = TBL_COUNT;
	req.evict_cursor = evict;
	req.note_cursor = rep_note_cursor(r);
	env.body_case = TONGXIN__ENVELOPE__BODY_PULL;
	env.pull = &req;
	if (conn_send(c, &env) != 0)
		return -1;
	/* The server streams pages until it has sent everything. */
	while (more) {
		Tongxin__Envelope *in = conn_expect(c, env.id, TONGXIN__ENVELOPE__BODY_PULL_RESULT);
		char err[512] = "";
		if (in == NULL)
			return -1;
		more = in->pull_result->more;
		notices0 = rep->notices;

		if (rep_apply_page(r, in->pull_result, &rep->pulled_rows, &rep->evicted_rows,
		    &rep->notices, err, sizeof err) != 0) {
			envelope_free(in);
			return conn_fail(c, SYNC_LOCAL, "%s", err);
		}
		rep->resolutions += in->pull_result->n_resolutions - (rep->notices - notices0);
		envelope_free(in);
		if (o->progress)
			fprintf(stderr, "\r拉取 pulled %llu rows…", (unsigned long long)rep->pulled_rows);
	}
	if (o->progress && rep->pulled_rows)
		fprintf(stderr, "\n");
	return 0;
}

