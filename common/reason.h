/*
 * reason.h - why the server refused or queued a change, as a code and its
 * arguments (curl's error enum and strerror, for refusal reasons).
 *
 * The server decides a reason once: a code from this append-only list and
 * a few text arguments (a table name, "table.column", a value, an id). It
 * sends both, keeps both, and renders the English sentence only for its own
 * log and for clients older than the codes. The client renders the code in
 * Chinese with reason_render(): column and table names become their labels
 * from common/schema.c.
 *
 * Never renumber or reuse a code: replicas and server databases keep them.
 * Append new codes before R_COUNT with the next number, and give each one a
 * row in reason.c.
 *
 * Templates name arguments by number: %1 is the first argument as it is,
 * %t1 the label of the table it names ("member" or "member.name": 党员),
 * %c1 the label of the column it names ("member.name": 姓名), %v1 a value of
 * the column of the latest %c (an enum's or a flag's label: "doctorate":
 * 博士研究生), %% a percent sign. English renders identifiers and codes
 * instead of labels.
 */
#ifndef TX_REASON_H
#define TX_REASON_H

#include <stddef.h>
#include <stdint.h>

/* At most this many arguments per reason; on the wire more is hostile. */
#define REASON_MAX_ARGS 6
/* Bytes of one argument (before its NUL); longer ones are cut at a character. */
#define REASON_ARG_MAX 160
/* Bytes of "table.column". */
#define REASON_COL_MAX 80
/* A rendered reason always fits in this many bytes. */
#define REASON_TEXT_MAX 1024

_Static_assert(REASON_MAX_ARGS <= 9, "templates name an argument by one digit");
_Static_assert(REASON_COL_MAX <= REASON_ARG_MAX, "a column argument is an argument");

enum reason_code {
	R_NONE = 0,                 /* no reason (applied) or a reason from before the codes */
	R_UNKNOWN_TABLE = 1,        /* table number */
	R_BAD_ROW_ID = 2,           /* table */
	R_COUNTS_DIFFER = 3,        /* table */
	R_BAD_COLUMN = 4,           /* table, column number */
	R_NOT_INTEGER = 5,          /* column */
	R_NOT_BOOL = 6,             /* column */
	R_NOT_TEXT = 7,             /* column */
	R_TOO_LONG = 8,             /* column, max bytes */
	R_BAD_UTF8 = 9,             /* column */
	R_BAD_DATE = 10,            /* column, value */
	R_BAD_ENUM = 11,            /* column, value */
	R_NOT_ROW_ID = 12,          /* column */
	R_ID_LENGTH = 13,           /* length */
	R_ID_DIGITS = 14,           /* - */
	R_ID_BIRTH = 15,            /* date */
	R_ID_CHECK = 16,            /* expected check character */
	R_BIRTH_MISMATCH = 17,      /* birth date, date in the citizen ID */
	R_FUTURE_DATE = 18,         /* column, date */
	R_JOIN_BEFORE_18 = 19,      /* join date, 18th birthday */
	R_PROBATIONARY_FULL = 20,   /* - */
	R_FULL_TOO_EARLY = 21,      /* full date, one year after joining */
	R_LOST_NEEDS_DATE = 22,     /* - */
	R_MOBILE_NEEDS_FLOW = 23,   /* - */
	R_TERM_END_EARLY = 24,      /* term end, term start */
	R_CLOSE_NEEDS_DATE = 25,    /* - */
	R_RECTIFY_NEEDS_DATE = 26,  /* - */
	R_CLOSE_BEFORE_RECTIFY = 27,/* closed on, rectified on */
	R_TRANSFER_SAME_ORG = 28,   /* - */
	R_REQUIRED = 29,            /* column */
	R_ONE_STREET = 30,          /* - */
	R_UNSEEN_REF = 31,          /* column, id: not in this device's organisation */
	R_UNSEEN_ROW = 32,          /* table, id: not in this device's organisation */
	R_PARENT_GONE = 33,         /* column, id */
	R_BAD_ORG_CODE = 34,        /* - */
	R_TRANSFERRED_OUT = 35,     /* table, id */
	R_OWN_ORG_DELETE = 36,      /* - */
	R_OWN_ORG_CHANGE = 37,      /* column */
	R_NEEDS_PARENT = 38,        /* - */
	R_ID_IN_USE = 39,           /* table, id */
	R_UNIQUE = 40,              /* table */
	R_UNIQUE_HERE = 41,         /* column, value, id of the other row */
	R_UNIQUE_ELSEWHERE = 42,    /* column, value */
	R_DELETED_ON_SERVER = 43,   /* table, id */
	R_IMMUTABLE = 44,           /* column */
	R_NEWER_OFFICE = 45,        /* column, server value, office value: the office's edit won */
	R_NEWER_SERVER = 46,        /* column, server value, office value: the server's edit won */
	R_NEWER_SEVERAL = 47,       /* column of the first, number of columns */
	R_SAME_FIELD = 48,          /* column, server value, value the device saw */
	R_MOVE_OUT = 49,            /* table */
	R_DELETE_UPDATED = 50,      /* table, id, column, server value, value the device saw */
	R_NO_SEQUENCE = 51,         /* - */
	R_CHANGE_COUNT = 52,        /* max changes */
	R_OPERATOR_TOO_LONG = 53,   /* max bytes */
	R_UNKNOWN_OP = 54,          /* operation number */
	R_QUEUE_FULL = 55,          /* open conflicts allowed */
	R_REUSED_SEQ = 56,          /* sequence */
	R_TRANSFER_NOT_REQUESTED = 57, /* - */
	R_TRANSFER_INCOMPLETE = 58, /* - */
	R_TRANSFER_UNKNOWN_ORG = 59,/* organisation code */
	R_TRANSFER_ORG_MISMATCH = 60, /* - */
	R_TRANSFER_MEMBER_LEFT = 61,/* member id */
	R_TRANSFER_ACCEPT_LEFT = 62,/* member id */
	R_TRANSFER_WITHDRAW = 63,   /* - */
	R_TRANSFER_RECEIVER_ONLY = 64, /* - */
	R_TRANSFER_DECIDER = 65,    /* - */
	R_TRANSFER_STATUS_REQUIRED = 66, /* - */
	R_TRANSFER_DECIDED = 67,    /* - */
	R_TRANSFER_FINAL = 68,      /* - */
	R_TRANSFER_ACCEPTOR = 69,   /* - */
	R_TRANSFER_BAD_STATUS = 70, /* - */
	R_NEWER_REPLACED = 71,      /* column, this device's value, the newer one: told to the loser */
	R_BLANK = 72,               /* column: only blanks (ASCII or 　) */
	R_NAME_CHARS = 73,          /* column: not what a person's name can be */
	R_ID_GENDER = 74,           /* column gender, the gender the ID says, the gender given */
	R_ID_REGION = 75,           /* the six-digit region code */
	R_FULL_IN_PROBATION = 76,   /* join date, the end of the probation year */
	R_ORG_KIND_UNDER = 77,      /* column org.kind, kind, parent's kind */
	R_MEMBER_ORG_KIND = 78,     /* column org.kind, the kind of the organisation named */
	R_ORG_KIND_CHILD = 79,      /* column org.kind, new kind, a child's kind */
	R_ORG_KIND_MEMBERS = 80,    /* column org.kind, new kind: members are in it */
	R_APPLY_BEFORE_18 = 81,     /* date applied, the 18th birthday */
	R_DATE_ORDER = 82,          /* column, date, column, date: the first is before the second */
	R_ACTIVIST_YEAR = 83,       /* date, the earliest date (a year as an activist) */
	R_PROBATION_EXTENSION = 84, /* extended end, the earliest, the latest */
	R_FULL_BEFORE_EXTENDED = 85,/* full date, the extended end of probation */
	R_LEFT_STANDING = 86,       /* column left_reason, reason, column standing, standing */
	R_DISCIPLINE_UNTIL = 87,    /* until, the latest (two years) */
	R_MEETING_KIND = 88,        /* column, "meeting.kind", the kind needed */
	R_STAGE_AHEAD = 89,         /* column stage, stage, the column of a later step */
	R_BAD_MONTH = 90,           /* column, value: not YYYY-MM */
	R_PERIOD_MISMATCH = 91,     /* the period the row must have */
	R_INT_RANGE = 92,           /* column, value, min, max */
	R_NOT_COMMUNITY = 93,       /* column org.kind, the kind of the organisation named */
	R_REPORT_MISMATCH = 94,     /* column: differs from the report it belongs to */
	R_RECOVERED = 95,           /* table, id, the version the device held */
	R_RECOVERED_DECIDED = 96,   /* transfer id */
	R_RECOVER_SHAPE = 97,       /* table, version: not a row the restore lost, or malformed */
	R_ONE_DISTRICT = 98,        /* - */
	R_KEY_MISMATCH = 99,        /* column, the key the row must have */
	R_ONE_CLAIMANT = 100,       /* table: exactly one of branch, unit, member */
	R_BAD_CREDIT_CODE = 101,    /* column, value: not a 统一社会信用代码 */
	R_ONE_PERSON = 102,         /* table: a member or an in-service member's report, not both */
	R_UNKNOWN_UNIT = 103,       /* credit code: no resident unit holds it */
	R_READ_ONLY = 104,          /* table, id: seen here, kept by another organisation */
	R_KIND_FOR = 105,           /* table, the kinds of organisation it may belong to */
	R_UNIT_CODE_MISMATCH = 106, /* - : an agreement's unit and credit code name two units */
	R_COUNT                     /* not a code: one past the last */
};

enum reason_lang {
	REASON_ZH,   /* what users see */
	REASON_EN,   /* the server's log, old clients */
};

/* A reason as decided: the code and its arguments, each sanitised and bounded. */
struct reason {
	uint32_t code;
	size_t nargs;
	char args[REASON_MAX_ARGS][REASON_ARG_MAX + 1];
};

/* The stable name of a code ("required", "out_of_scope"...), "unknown" outside the table. */
const char *reason_name(uint32_t code);
/* How many arguments a code takes, or -1 for a code this program does not know. */
int reason_nargs(uint32_t code);
/* The raw template of a code in lang, or NULL; for tests and documentation. */
const char *reason_template(uint32_t code, enum reason_lang lang);

/*
 * Render code with args[0..nargs-1] into buf (cap bytes, always
 * NUL-terminated when cap > 0, cut at a character boundary). Safe on
 * anything a peer sends: an unknown code, or a count that differs from the
 * code's, renders a generic sentence with the code number; arguments are
 * read only up to nargs (and NULL entries count as empty), each cut at
 * REASON_ARG_MAX bytes with control characters and broken UTF-8 replaced.
 * R_NONE renders "". Returns the length written.
 */
size_t reason_render(uint32_t code, const char *const *args, size_t nargs, enum reason_lang lang,
    char *buf, size_t cap);
/*
 * What to show a person for a result: the Chinese rendering of code, or,
 * when code is R_NONE, the legacy text (an old server's English sentence)
 * made safe the same way. Returns the length written.
 */
size_t reason_show(uint32_t code, const char *const *args, size_t nargs, const char *legacy,
    char *buf, size_t cap);

/*
 * Set r to code with args (n of them, NULL entries as ""), each sanitised
 * and cut as reason_render would. A count that differs from the code's is a
 * bug: it is logged and kept, and renders as the generic sentence.
 */
void reason_setv(struct reason *r, uint32_t code, const char *const *args, size_t n);
#define reason_set(r, code, ...) \
	reason_setv((r), (code), (const char *const[]){ __VA_ARGS__ }, \
	    sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *))
#define reason_set0(r, code) reason_setv((r), (code), NULL, 0)
/* r's arguments as a pointer array (valid while r lives), for reason_render. */
void reason_argv(const struct reason *r, const char *argv[REASON_MAX_ARGS]);
/* Render r (see reason_render). */
size_t reason_text(const struct reason *r, enum reason_lang lang, char *buf, size_t cap);

/* "table.column" into out, the form of a column argument; returns out. */
const char *reason_col(char out[REASON_COL_MAX], const char *table, const char *column);
/* A number as an argument; returns out. */
const char *reason_num(char out[24], long long n);

/*
 * Arguments joined for storage in one text column (separated by 0x1f,
 * which sanitised arguments never hold). reason_pack returns -1 if cap is
 * too small; reason_unpack reads at most REASON_MAX_ARGS and cuts each.
 */
int reason_pack(const struct reason *r, char *buf, size_t cap);
void reason_unpack(uint32_t code, const char *packed, struct reason *r);

/*
 * The shared checks of common/validate.c with their reason: 0 when valid,
 * or -1 with r set (validate.h's functions render the same reason in
 * Chinese). The server keeps and sends r.
 */
struct col_def;
struct Tongxin__Value;
int validate_value_reason(const struct col_def *c, const struct Tongxin__Value *v,
    struct reason *r);
int validate_row_reason(int t, const struct Tongxin__Value *v, const char *today,
    struct reason *r);
int validate_id_number_reason(const char *s, struct reason *r);

#endif
