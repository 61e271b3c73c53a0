/*
 * web_api.h - inside the desk's JSON API: what every API module shares.
 *
 * The API is split by page, one file each, every file exporting a table of
 * routes that web_api.c dispatches through (web_route_tables below):
 *   web_api.c           session, dashboard, form, members, orgs, sync
 *   web_api_work.c      会议 meetings with attendance, 清单 items
 *   web_api_transfer.c  转接 transfers; 冲突/设备/审计 for administrators
 *   web_api_report.c    报表 reports, their CSV exports and print views; 核对
 *                       (the street's reconciliation) for administrators
 *   web_api_cobuild.c   共建单位 resident units and agreements, 微心愿, 民情回音壁
 *   web_api_volassess.c 志愿服务 teams, activities, hours; 考核 indicators, scores, points
 *   web_api_claimfund.c 清单认领 claims on items, 公示 the board, 专项经费 the fund
 * A handler translates HTTP (query string, form body) to the domain layer
 * (domain.h and its dom_*.h) and the answer to JSON; no SQL here.
 *
 * JSON is typed: numbers are numbers, booleans booleans, and every
 * enumerated value is an object {"code": ..., "label": ...} with the label
 * from the one vocabulary (vocab.h).
 */
#ifndef TX_WEB_API_H
#define TX_WEB_API_H

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "ids.h"
#include "web.h"

struct col_def;
struct dom_error;

/* A request's parsed parts. */
struct call {
	struct web *w;
	struct evhttp_request *req;
	struct evkeyvalq query;     /* the query string */
	struct evkeyvalq form;      /* the x-www-form-urlencoded body */
	const char *csrf;
};

/* One API route: method, exact path (no query), handler. */
struct web_route {
	enum evhttp_cmd_type method;
	const char *path;
	void (*run)(struct call *);
};

/* Each module's routes, ended by a row with path NULL. */
extern const struct web_route web_routes_core[];
extern const struct web_route web_routes_work[];
extern const struct web_route web_routes_transfer[];
extern const struct web_route web_routes_report[];
extern const struct web_route web_routes_develop[];
extern const struct web_route web_routes_life[];
extern const struct web_route web_routes_service[];
extern const struct web_route web_routes_dues[];
extern const struct web_route web_routes_committee[];
extern const struct web_route web_routes_cobuild[];
extern const struct web_route web_routes_volassess[];
extern const struct web_route web_routes_claimfund[];

/* Column name of table t (a constant: the name must exist). */
const struct col_def *web_col(int t, const char *name);
/* A query-string parameter, or NULL. */
const char *web_arg(struct call *c, const char *name);
/* A form-body field, or NULL. */
const char *web_field(struct call *c, const char *name);

struct table;
/*
 * CSV bytes (len; the caller keeps them) as a download: text/csv, the
 * Content-Disposition value disp, not cached. 500 when memory runs out.
 */
void web_reply_csv_bytes(struct call *c, const char *data, size_t len, const char *disp);
/* Table t printed by the one CSV writer (table.c), sent as web_reply_csv_bytes does. Frees t. */
void web_reply_csv(struct call *c, struct table *t, const char *disp);
/*
 * The Content-Disposition of a download named ascii (a plain fallback) and
 * utf8 (the Chinese name, percent-encoded already, RFC 5987), into buf.
 */
void web_csv_disposition(char *buf, size_t cap, const char *ascii, const char *utf8);

/* A request's arguments read with their bounds: any too long sets bad (web_too_long answers). */
struct web_args {
	struct call *c;
	bool bad;
};
/* The form field name: NULL when absent; NULL and a->bad when longer than max bytes. */
const char *web_fld(struct web_args *a, const char *name, size_t max);
/* The query argument name, bounded as web_fld. */
const char *web_qarg(struct web_args *a, const char *name, size_t max);
/* 422 for an argument over its bound; true when it answered. */
bool web_too_long(struct web_args *a);
/*
 * The record handle h names (a dom_*_handle: an id, or a handle a clerk
 * reads) into id, after web_too_long: 0, or -1 having answered.
 */
typedef int web_handle_fn(struct replica *r, const char *handle, char id[ID_TEXT_LEN + 1],
    struct dom_error *e);
int web_handle_of(struct web_args *a, web_handle_fn *fn, const char *h,
    char id[ID_TEXT_LEN + 1]);
/*
 * A new response body with j writing into it, or NULL having answered 500.
 * Hand the body to web_reply_json, which takes it.
 */
struct evbuffer *web_new_body(struct call *c, struct jw *j);
/*
 * Answer a domain failure: 404 not found, 500 replica, else 422 with code
 * "missing"/"invalid" and, when e->col is set and t >= 0, the column's
 * name as the field (the form shows the message beside it).
 */
void web_reply_dom_error(struct call *c, const struct dom_error *e, int t);
/* A coded value: "key": {"code": stored, "label": label} (null when NULL). */
void web_jw_coded(struct jw *j, const char *key, const struct col_def *col, const char *stored);

#endif
