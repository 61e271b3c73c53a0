/*
 * web.h - the clerk's web desk (tongxin ui): an HTTP server on libevent's
 * evhttp inside the client process, serving the single-page app built into
 * the binary (web/, embedded at build time) and a JSON API over the domain
 * layer (domain.h) on the local replica.
 *
 * Security (the page holds personal data; the machine may be shared):
 *   - it listens on loopback; any other address needs --insecure-listen
 *     (there is no TLS on the desk yet);
 *   - a one-time token printed at start (the URL, as Jupyter does) becomes
 *     an HttpOnly SameSite=Strict session cookie; every other request
 *     without that cookie gets 401;
 *   - a Host header other than the listen address, localhost or 127.0.0.1
 *     (with the port) gets 403 (DNS rebinding);
 *   - POST/PUT/DELETE need the session's CSRF token in X-Tongxin-CSRF and
 *     no foreign Origin, else 403;
 *   - bodies over WEB_MAX_BODY get 413;
 *   - every response carries a strict Content-Security-Policy (no inline
 *     script: the page sets textContent, never innerHTML with data),
 *     nosniff, no-referrer; API answers are never cached.
 *
 * Files: web.c (server, security, assets), web_api.c (the JSON API),
 * web_json.c (a JSON writer on evbuffers), web_sync.c (sync off the loop).
 */
#ifndef TX_WEB_H
#define TX_WEB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cli;
struct evbuffer;
struct evhttp_request;
struct replica;
struct web_sync;

/* One file of web/, built into the binary (web_assets.c, generated). */
struct web_asset {
	const char *path;            /* "/app.js" */
	const char *mime;
	const unsigned char *data;
	size_t len;
};
/* Every asset, ended by a row with path NULL. */
extern const struct web_asset web_assets[];

/* The largest request body read; larger ones get 413. */
#define WEB_MAX_BODY (256 * 1024)
/* libevent's own cap: bodies above it are refused (413) before they are read. */
#define WEB_HARD_BODY (1024 * 1024)

/* tongxin ui: the verb's handler (cli.c's verb table). */
int verb_ui(struct cli *cli, int argc, char **argv);

/* --- inside the desk ---------------------------------------------------- */

/* The desk's state, shared by its files. */
struct web {
	struct replica *r;          /* the loop's connection to the replica */
	const char *replica_path;
	const char *server;         /* --server, or NULL for the bundle's */
	const char *operator_name;
	struct web_sync *sync;
};

/* A JSON writer: commas and nesting tracked, strings escaped for any context. */
struct jw {
	struct evbuffer *b;
	int depth;
	bool first[32];
	bool after_key;
};
void jw_init(struct jw *j, struct evbuffer *b);
void jw_obj(struct jw *j);
void jw_end_obj(struct jw *j);
void jw_arr(struct jw *j);
void jw_end_arr(struct jw *j);
void jw_key(struct jw *j, const char *k);
/* A string (NULL writes null). Invalid UTF-8 bytes become U+FFFD. */
void jw_str(struct jw *j, const char *s);
void jw_int(struct jw *j, int64_t v);
void jw_bool(struct jw *j, bool v);
void jw_null(struct jw *j);
/* Shorthands: a key and its value. */
void jw_kstr(struct jw *j, const char *k, const char *s);
void jw_kint(struct jw *j, const char *k, int64_t v);
void jw_kbool(struct jw *j, const char *k, bool v);

/* Send body (taken) as JSON with status code; adds the API's headers. */
void web_reply_json(struct evhttp_request *req, int code, struct evbuffer *body);
/* Send {"error": code, "message": msg, "field": field} with status. field may be NULL. */
void web_reply_error(struct evhttp_request *req, int status, const char *code,
    const char *msg, const char *field);

/*
 * Answer an API request (path under /api/). Authentication, Host, CSRF and
 * size have been checked. query and body are the parsed query string and
 * form body (x-www-form-urlencoded); either may be empty.
 */
void web_api(struct web *w, struct evhttp_request *req, const char *path, const char *csrf);

/* Write one outcome (struct dom_outcome *o) as a JSON object to the struct jw *arg. */
struct dom_outcome;
void web_put_outcome(const struct dom_outcome *o, void *arg);

/* --- sync off the loop (web_sync.c) --- */

struct web_sync *web_sync_new(void);
/* Wait for a running sync to end, then free. Accepts NULL. */
void web_sync_free(struct web_sync *s);
/* POST /api/sync: start a sync in a thread of its own. */
void web_sync_start(struct web *w, struct evhttp_request *req);
/* GET /api/sync: state, progress and, when done, what became of each change. */
void web_sync_status(struct web *w, struct evhttp_request *req);

#endif
