/*
 * schema.h - the one declarative definition of every synced table.
 *
 * Both the server's store and the client's replica create their tables from
 * these rows, the wire names columns by their index here, and the schema
 * hash sent in Hello is the SHA-256 of schema_canonical_text(). Change a
 * table, a column, a type, a policy or an enum list and the hash changes,
 * so a client and a server built from different schemas refuse each other.
 *
 * Every table has an implicit primary key "id": a time-ordered UUID made on
 * the device that created the row (see ids.h). It is not in the cols array.
 */
#ifndef TX_SCHEMA_H
#define TX_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

enum col_type {
	COL_TEXT,   /* UTF-8 text, at most max_len bytes */
	COL_INT,    /* 64-bit integer */
	COL_BOOL,   /* integer 0 or 1 */
	COL_DATE,   /* text YYYY-MM-DD */
	COL_ENUM,   /* text, one of enum_vals */
	COL_REF,    /* text id of a row in ref_table */
};

enum merge_policy {
	MERGE_KEEP_SERVER,  /* a concurrent change to the same field is queued as a conflict */
	MERGE_NEWER_WINS,   /* the newer change by HLC wins; the clash is still recorded */
	MERGE_IMMUTABLE,    /* set at insert, never changed afterwards */
};

enum sensitivity {
	SENS_PUBLIC,    /* organisation data */
	SENS_PERSONAL,  /* a person's data: leaves a replica when the person leaves its scope */
};

#define COLF_REQUIRED 0x1  /* NOT NULL, and required at entry */
#define COLF_UNIQUE   0x2  /* unique among live rows (server enforces, clash is a conflict) */
/*
 * A reference that may name a row outside the writing device's scope (an
 * in-service member reports to a community elsewhere in the street). Every
 * other reference must name a row the device itself holds.
 */
#define COLF_ANYSCOPE 0x4
/* A person's name: 汉字, the middle dot of minority names, Latin letters and spaces. */
#define COLF_PERSON_NAME 0x8
/*
 * While this row lives, the row this reference names is seen in this row's
 * scope as well (a co-building agreement shows its resident unit to the
 * community that signed it). Only on a COLF_ANYSCOPE reference.
 */
#define COLF_SHARE 0x10

/* The table's rows are seen below their scope too (the street's assessment scheme). */
#define TBLF_DOWN 0x1

struct col_def {
	const char *name;           /* identifier used in SQL and on the CLI */
	const char *label;          /* Chinese label shown to users */
	enum col_type type;
	unsigned flags;             /* COLF_* */
	enum merge_policy merge;
	enum sensitivity sens;
	int max_len;                /* bytes, for text-like columns */
	const char *ref_table;      /* COL_REF: the referenced table */
	const char *const *enum_vals; /* COL_ENUM: NULL-terminated list */
};

struct table_def {
	const char *name;
	const char *label;
	const struct col_def *cols;
	int ncols;
	/*
	 * Scope: the row belongs to the organisation subtree of the row that
	 * scope_col references (an org, or a row of another table whose scope
	 * is then inherited). For org itself scope_col is parent_id and the
	 * row's own code is appended. scope2_col, when >= 0, names a second
	 * organisation that also sees the row (a transfer's receiving office).
	 */
	int scope_col;
	int scope2_col;
	unsigned flags;   /* TBLF_* */
};

enum {
	TBL_ORG,
	TBL_MEMBER,
	TBL_MEETING,
	TBL_ATTENDANCE,
	TBL_LIST_ITEM,
	TBL_TRANSFER,
	TBL_APPLICANT,
	TBL_DISCIPLINE,
	TBL_DUES_PAYMENT,
	TBL_COMMITTEE_MEMBER,
	TBL_CENTER_HOUSEHOLD,
	TBL_COVERED_HOUSEHOLD,
	TBL_SERVICE_REPORT,
	TBL_SERVICE_RECORD,
	TBL_RESIDENT_UNIT,
	TBL_AGREEMENT,
	TBL_CLAIM,
	TBL_MICRO_WISH,
	TBL_FEEDBACK,
	TBL_VOLUNTEER_TEAM,
	TBL_VOLUNTEER_ACTIVITY,
	TBL_VOLUNTEER_HOURS,
	TBL_ASSESSMENT_INDICATOR,
	TBL_ASSESSMENT_SCORE,
	TBL_STAR_RATING,
	TBL_FUND_BUDGET,
	TBL_FUND_SPENDING,
	TBL_COUNT
};

#define SCHEMA_ID_LEN 36   /* UUID text */

extern const struct table_def schema_tables[TBL_COUNT];

/* Whether rows of table t can be shared by another table's COLF_SHARE reference. */
int schema_shared(int t);
/* The table with this name, or NULL. */
const struct table_def *schema_table(const char *name);
/* Index of a table or column by name, or -1. */
int schema_table_index(const char *name);
int schema_col_index(const struct table_def *t, const char *name);

/* Canonical text of the schema (static storage) and its SHA-256. */
const char *schema_canonical_text(void);
void schema_hash(uint8_t out[32]);
/*
 * "PROG VERSION", then the protocol version and the schema hash (hex) on a
 * line of their own, on stdout: what --version prints for both programs, so
 * that an operator can tell whether a tongxin and a tongxind can talk (the
 * server refuses a Hello whose protocol or schema differs). Returns 0.
 */
int version_print(const char *prog);

/* Whether v is one of the column's enum values. */
int schema_enum_ok(const struct col_def *c, const char *v);

/*
 * Append the CREATE statements for every table to buf (at most cap bytes).
 * server != 0 adds the server's bookkeeping columns (_version, _created:
 * the version of the insert, _deleted, _scope, _scope2, _hlc, _device) and
 * unique indexes; a replica gets
 * _version only and plain indexes (a pull must never fail on a constraint),
 * partial for the references a row may leave empty.
 * Returns the length written, or -1 if cap is too small.
 */
int schema_ddl(char *buf, size_t cap, int server);

#endif
