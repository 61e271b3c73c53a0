/*
 * dom_admin.h - the domain layer of 转接 (transfers, on the local replica)
 * and of the street administrators' operations (冲突 conflicts, 设备
 * devices, 审计 audit: requests to the server over TLS with the admin
 * certificate). The CLI (cmd_transfer.c, admin.c) and the desk
 * (web_api_transfer.c) call these; neither holds SQL or wire code of its
 * own for them. Conventions as in domain.h: 0, or -1 with an error filled
 * in; rows delivered to a callback, their strings valid only during the
 * call.
 */
#ifndef TX_DOM_ADMIN_H
#define TX_DOM_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "reason.h"
#include "replica.h"

/* --- 转接 transfers (dom_transfer.c) ------------------------------------ */

/* Bounds of a transfer's text inputs (bytes). */
#define DOM_TRANSFER_CODE_MAX 32
#define DOM_TRANSFER_NOTE_MAX 500

/* A request to send a member to another organisation. */
struct dom_transfer_req {
	const char *member;     /* the member's id or citizen ID number */
	const char *to_code;    /* the receiving organisation's code (the office cannot see it) */
	const char *reason;     /* may be NULL */
	const char *date;       /* YYYY-MM-DD, not in the future; NULL: today */
};

/*
 * Request a transfer. Inside one local transaction: the member is in this
 * replica, has no open request, is not already in the receiving
 * organisation, the row's values pass their checks; then the insert and
 * the commit. id_out gets the new transfer's id and name_out the member's
 * name (for the confirmation). 0, or -1 with e (DOM_INVALID: nothing was
 * changed).
 */
int dom_transfer_request(struct replica *r, const char *operator_name,
    const struct dom_transfer_req *q, char id_out[ID_TEXT_LEN + 1], char name_out[128],
    struct dom_error *e);

/*
 * Accept (accept true) or reject a transfer addressed to this replica's
 * organisation: only a requested transfer whose receiving organisation is
 * in this replica; a rejection needs a note (at most 500 bytes). Checked
 * and written in one local transaction. name_out gets the member's name
 * as the request carried it. 0, or -1 with e.
 */
int dom_transfer_decide(struct replica *r, const char *operator_name, const char *id,
    bool accept, const char *note, char name_out[128], struct dom_error *e);

/*
 * Withdraw a request this replica's organisation made, while it is still
 * requested (the server allows only the sending side to delete it) and
 * once it has come back from the server (which fills in to_org_id: a
 * delete based on the row as first written would conflict). 0, or -1
 * with e.
 */
int dom_transfer_withdraw(struct replica *r, const char *operator_name, const char *id,
    struct dom_error *e);

/*
 * One transfer as this replica sees it. Before acceptance the receiving
 * office holds only the transfer row (the server gives the row a second
 * scope, the receiving organisation's): the member's name as the sending
 * office wrote it (member_name), the member's id and the sending branch's
 * id, which it cannot resolve (no member row, no org row of the other
 * community: from_name is NULL there), its own receiving branch, dates,
 * reason, status and decision. After acceptance the sending side's row has
 * no name any more (the server blanks it).
 */
struct dom_transfer_row {
	const char *id;
	bool outgoing;             /* the sending branch is in this replica's subtree */
	bool member_here;          /* the member's own record is in this replica */
	const char *member_id, *member_name;   /* member_name may be NULL */
	const char *from_org_id, *from_code, *from_name;   /* code/name NULL when not visible */
	const char *to_org_id, *to_code, *to_name;         /* to_name NULL when not visible */
	const char *requested_on, *reason, *status, *decided_on, *decision_note;
	bool can_decide;           /* requested and the receiving branch is in this replica */
	bool can_withdraw;         /* requested, back from the server, sending branch here */
};

/*
 * The transfers in this replica, by request date: the open ones, or all
 * with all. 0, or -1 with e.
 */
int dom_transfer_list(struct replica *r, bool all,
    void (*each)(const struct dom_transfer_row *t, void *arg), void *arg, struct dom_error *e);

/* --- the administrators' requests to the server (dom_admin.c) ----------- */

/* Where to ask and as whom. server NULL: the replica's own server. */
struct dom_admin_opts {
	const char *server;
	const char *operator_name;
};

/* Why a request to the server failed. */
struct dom_admin_err {
	int fail;              /* enum sync_fail (sync.h); SYNC_LOCAL for a local refusal */
	char detail[1024];     /* the exchange's own message (what the CLI prints) */
	char msg[1400];        /* Chinese first: unreachable, refused, not an administrator... */
};

/* The list's question; NULL / 0 fields do not filter. */
struct dom_conflict_filter {
	const char *office, *table, *status;   /* status: open (default), resolved, all */
	int64_t older_than_ms, newer_than_ms;
};

/*
 * One conflict as the server keeps it. Strings are never NULL (maybe "").
 * reason is the server's own sentence (English, for machines and old
 * output); reason_text the same reason as people read it, rendered in
 * Chinese from its code and arguments (common/reason.h; a conflict stored
 * before the codes shows the server's text as it came, made safe).
 */
struct dom_conflict {
	const char *id, *kind, *status, *reason, *resolution, *resolved_by;
	char reason_text[REASON_TEXT_MAX];
	const char *org_code, *device_name, *operator_name;   /* the office's side */
	const char *server_writer;                            /* the server's side ("" unknown) */
	int64_t made_ms, received_ms, server_written_ms;
	uint64_t hlc;
	int table;            /* schema table index, or -1 when unknown */
	const char *row_id;
};

/* One column of a change, side by side. A value pointer is NULL when there is none. */
struct dom_conflict_col {
	int col;                       /* index in the table's columns */
	const Tongxin__Value *base;    /* what the office's edit started from */
	const Tongxin__Value *server;  /* the server's row now */
	const Tongxin__Value *office;  /* what the office wrote */
};

/* One change of the conflicting transaction. */
struct dom_conflict_change {
	int index;                     /* 0-based in the transaction */
	const char *op;                /* insert, update, delete */
	int table;
	const char *row_id;
	bool has_server_row;           /* the server's row for it is known */
	const char *server_row_id;     /* may differ from row_id (a duplicate), or NULL */
	bool server_deleted;           /* the server's row is deleted ... */
	bool server_never;             /* ... or never was on the server */
	int ncols;
	struct dom_conflict_col cols[DOM_MAX_COLS];
};

/* conflicts list. */
int dom_admin_conflicts(struct replica *r, const struct dom_admin_opts *o,
    const struct dom_conflict_filter *f, void (*each)(const struct dom_conflict *c, void *arg),
    void *arg, struct dom_admin_err *e);

/*
 * conflicts show: head once, then change once per change of the office's
 * transaction (the columns it touched, or for an insert clashing with a
 * row every column of it).
 */
int dom_admin_conflict(struct replica *r, const struct dom_admin_opts *o, const char *id,
    void (*head)(const struct dom_conflict *c, void *arg),
    void (*change)(const struct dom_conflict_change *ch, void *arg), void *arg,
    struct dom_admin_err *e);

enum dom_decision { DOM_KEEP_SERVER, DOM_TAKE_OFFICE, DOM_SET };
#define DOM_RESOLVE_MAX_SET 32

/* A decision on a conflict. */
struct dom_resolve {
	const char *id;
	enum dom_decision decision;
	const char *note;                        /* may be NULL */
	int nset;                                /* with DOM_SET: columns named, values as text */
	const char *set_col[DOM_RESOLVE_MAX_SET];
	const char *set_val[DOM_RESOLVE_MAX_SET];   /* a label or alias for coded columns; "" NULL */
};

/*
 * conflicts resolve. With DOM_SET the conflict is read first (its table
 * names the columns) and each value parsed as the CLI and the form parse
 * them; a bad column or value fails with fail SYNC_DECLINED before
 * anything is sent. resolved_id / resolution get the server's answer.
 */
int dom_admin_resolve(struct replica *r, const struct dom_admin_opts *o,
    const struct dom_resolve *q, char resolved_id[ID_TEXT_LEN + 1], char resolution[1024],
    struct dom_admin_err *e);

/* The audit's question. */
struct dom_audit_query {
	const char *row_id, *device;   /* NULL: any */
	int64_t since_ms;              /* 0: any */
	uint32_t limit;                /* 0: the server's default */
};
struct dom_audit_entry {
	uint64_t version;
	int64_t at_ms;
	const char *device, *operator_name, *action, *row_id, *detail;
	int table;            /* -1 when unknown */
};
int dom_admin_audit(struct replica *r, const struct dom_admin_opts *o,
    const struct dom_audit_query *q, void (*each)(const struct dom_audit_entry *a, void *arg),
    void *arg, struct dom_admin_err *e);

struct dom_device {
	const char *name, *org_code, *role, *replica_check;   /* replica_check "" when never */
	int64_t last_seen_ms, revoked_at_ms;
	int64_t applied, conflict, rejected, open_conflicts;
};
int dom_admin_devices(struct replica *r, const struct dom_admin_opts *o,
    void (*each)(const struct dom_device *d, void *arg), void *arg, struct dom_admin_err *e);

#endif
