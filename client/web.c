/*
 * web.c - tongxin ui: the desk's HTTP server (evhttp), its security checks
 * and its built-in assets; see web.h for the rules it keeps.
 *
 * Every request passes the checks in one place (on_request), in this
 * order, before any handler runs: Host, method, body size, the login
 * token, the session cookie, and for state changes Origin and the CSRF
 * header. Handlers (web_api.c) never see a request that failed one.
 */
#include "web.h"

#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <sys/queue.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "cli.h"
#include "cmd.h"
#include "domain.h"
#include "log.h"

extern char **environ;

#define CSP "default-src 'self'; script-src 'self'; object-src 'none'; " \
	"frame-ancestors 'none'; base-uri 'none'"

/* The desk: the shared state of web.h plus what only the server needs. */
struct desk {
	struct web w;
	struct event_base *base;
	struct evhttp *http;
	char token[65];         /* the one-time login token of the printed URL */
	bool token_used;
	bool have_session;
	char sid[65];           /* the session cookie's value */
	char csrf[65];          /* the session's CSRF token (X-Tongxin-CSRF) */
	char cookie[32];        /* the cookie's name: per port, so two desks do not collide */
	char hosts[3][300];     /* Host headers accepted */
	char origins[3][310];   /* Origin headers accepted */
	int nhosts;
};

/* 32 random bytes as 64 hex characters. */
static int
random_hex(char out[65])
{
	unsigned char b[32];

	if (RAND_bytes(b, sizeof b) != 1)
		return -1;
	for (size_t i = 0; i < sizeof b; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	return 0;
}

/* Whether a and b are equal, in time independent of where they differ. */
static bool
is_same_secret(const char *a, const char *b)
{
	size_t n = strlen(b);
	return a != NULL && strlen(a) == n && CRYPTO_memcmp(a, b, n) == 0;
}

/* --- replies --------------------------------------------------------------- */

static void
common_headers(struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Security-Policy", CSP);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "Cross-Origin-Resource-Policy", "same-origin");
}

static const char *
reason_of(int code)
{
	switch (code) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 302: return "Found";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 422: return "Unprocessable Content";
	default: return "Internal Server Error";
	}
}

void
web_reply_json(struct evhttp_request *req, int code, struct evbuffer *body)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_remove_header(h, "Content-Type");
	evhttp_add_header(h, "Content-Type", "application/json; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_send_reply(req, code, reason_of(code), body);
	evbuffer_free(body);
}

void
web_reply_error(struct evhttp_request *req, int status, const char *code, const char *msg,
    const char *field)
{
	struct evbuffer *b = evbuffer_new();
	struct jw j;

	if (b == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	jw_init(&j, b);
	jw_obj(&j);
	jw_kstr(&j, "error", code);
	jw_kstr(&j, "message", msg);
	if (field)
		jw_kstr(&j, "field", field);
	jw_end_obj(&j);
	web_reply_json(req, status, b);
}

/* --- the checks ------------------------------------------------------------ */

static bool
is_host_allowed(const struct desk *d, const char *host)
{
	for (int i = 0; host != NULL && i < d->nhosts; i++)
		if (strcasecmp(host, d->hosts[i]) == 0)
			return true;
	return false;
}

static bool
is_origin_allowed(const struct desk *d, const char *origin)
{
	if (origin == NULL)
		return true;   /* not a browser's cross-site request (curl, scripts) */
	for (int i = 0; i < d->nhosts; i++)
		if (strcasecmp(origin, d->origins[i]) == 0)
			return true;
	return false;
}

/* The value of cookie name in a Cookie header into out, or false. */
static bool
cookie_value(const char *header, const char *name, char *out, size_t cap)
{
	size_t n = strlen(name);
	const char *p = header;

	while (p != NULL && *p) {
		while (*p == ' ' || *p == ';')
			p++;
		if (strncmp(p, name, n) == 0 && p[n] == '=') {
			const char *v = p + n + 1;
			size_t len = strcspn(v, ";");
			if (len >= cap)
				return false;
			memcpy(out, v, len);
			out[len] = '\0';
			return true;
		}
		p = strchr(p, ';');
	}
	return false;
}

static bool
is_session_valid(const struct desk *d, struct evkeyvalq *in)
{
	char v[80];

	return d->have_session &&
	    cookie_value(evhttp_find_header(in, "Cookie"), d->cookie, v, sizeof v) &&
	    is_same_secret(v, d->sid);
}

/* GET /?token=...: the printed link, once. */
static void
login(struct desk *d, struct evhttp_request *req, const char *query)
{
	struct evkeyvalq q;
	const char *token;
	char cookie[256];
	bool ok;

	TAILQ_INIT(&q);
	if (evhttp_parse_query_str(query, &q) != 0) {
		web_reply_error(req, 400, "bad_query", "链接格式错误 malformed link", NULL);
		return;
	}
	token = evhttp_find_header(&q, "token");
	ok = !d->token_used && is_same_secret(token, d->token);
	evhttp_clear_headers(&q);
	if (!ok) {
		web_reply_error(req, 401, "bad_token", "链接无效或已使用。请重新运行 tongxin ui 获取新链接。"
		    " The link is invalid or was used already: run tongxin ui again.", NULL);
		return;
	}
	d->token_used = true;
	if (random_hex(d->sid) != 0 || random_hex(d->csrf) != 0) {
		web_reply_error(req, 500, "internal", "无法生成会话 cannot make a session", NULL);
		return;
	}
	d->have_session = true;
	snprintf(cookie, sizeof cookie, "%s=%s; Path=/; HttpOnly; SameSite=Strict", d->cookie,
	    d->sid);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Set-Cookie", cookie);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Location", "/");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "no-store");
	evhttp_send_reply(req, 302, "Found", NULL);
	log_info("ui: signed in (session opened)");
}

static void
serve_asset(struct evhttp_request *req, const char *path)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *b;

	if (strcmp(path, "/") == 0)
		path = "/index.html";
	for (const struct web_asset *a = web_assets; a->path != NULL; a++) {
		if (strcmp(a->path, path) != 0)
			continue;
		if ((b = evbuffer_new()) == NULL) {
			evhttp_send_error(req, 500, NULL);
			return;
		}
		evbuffer_add_reference(b, a->data, a->len, NULL, NULL);
		evhttp_add_header(h, "Content-Type", a->mime);
		evhttp_add_header(h, "Cache-Control", "no-cache");
		evhttp_send_reply(req, 200, "OK", b);
		evbuffer_free(b);
		return;
	}
	web_reply_error(req, 404, "not_found", "没有这个页面 no such page", NULL);
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct desk *d = arg;
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	const char *query = uri ? evhttp_uri_get_query(uri) : NULL;
	bool writes = m == EVHTTP_REQ_POST || m == EVHTTP_REQ_PUT || m == EVHTTP_REQ_DELETE;

	common_headers(req);
	if (!is_host_allowed(d, evhttp_find_header(in, "Host"))) {
		web_reply_error(req, 403, "forbidden_host", "拒绝访问：Host 不是本机地址 "
		    "the Host header does not name this desk", NULL);
		return;
	}
	if (!writes && m != EVHTTP_REQ_GET && m != EVHTTP_REQ_HEAD) {
		web_reply_error(req, 405, "method", "不支持的请求方法 method not allowed", NULL);
		return;
	}
	if (evbuffer_get_length(evhttp_request_get_input_buffer(req)) > WEB_MAX_BODY) {
		web_reply_error(req, 413, "too_large", "提交的内容过大 the request body is too large",
		    NULL);
		return;
	}
	if (path == NULL || path[0] == '\0')
		path = "/";
	if (m == EVHTTP_REQ_GET && strcmp(path, "/") == 0 && query != NULL &&
	    strncmp(query, "token=", 6) == 0 && !is_session_valid(d, in)) {
		login(d, req, query);
		return;
	}
	if (!is_session_valid(d, in)) {
		web_reply_error(req, 401, "unauthorized", "未登录：请使用 tongxin ui 打印的链接打开工作台。"
		    " Not signed in: open the link tongxin ui printed.", NULL);
		return;
	}
	if (writes && (!is_origin_allowed(d, evhttp_find_header(in, "Origin")) ||
	    !is_same_secret(evhttp_find_header(in, "X-Tongxin-CSRF"), d->csrf))) {
		web_reply_error(req, 403, "csrf", "拒绝访问：请求来源无法验证 "
		    "the request's origin or CSRF token is missing or wrong", NULL);
		return;
	}
	if (strncmp(path, "/api/", 5) == 0) {
		web_api(&d->w, req, path, d->csrf);
		return;
	}
	if (writes) {
		web_reply_error(req, 405, "method", "不支持的请求方法 method not allowed", NULL);
		return;
	}
	serve_asset(req, path);
}

/* --- start and stop -------------------------------------------------------- */

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct desk *d = arg;

	(void)what;
	log_info("ui: signal %d, stopping", (int)sig);
	event_base_loopbreak(d->base);
}

/* Whether host names this machine's loopback interface. */
static bool
is_loopback(const char *host)
{
	return strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0 ||
	    strncmp(host, "127.", 4) == 0;
}

/* "HOST:PORT" or "[V6]:PORT" with PORT 0-65535 (0: any free port). */
static int
parse_listen(const char *s, char *host, size_t cap, int *port)
{
	const char *colon = strrchr(s, ':');
	char *end;
	long p;
	size_t n;

	if (colon == NULL || colon == s)
		return -1;
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || p < 0 || p > 65535)
		return -1;
	n = (size_t)(colon - s);
	if (s[0] == '[' && n >= 2 && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n == 0 || n >= cap)
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	*port = (int)p;
	return 0;
}

/* Open url in the desktop's browser, if there is one; never waits for it. */
static void
open_browser(const char *url)
{
	char *argv[] = { "xdg-open", (char *)url, NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 1, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", 1, 0);
	if (posix_spawnp(&pid, "xdg-open", &fa, NULL, argv, environ) != 0)
		fprintf(stderr, "tongxin ui: 无法打开浏览器 cannot start a browser (xdg-open); "
		    "open the link above yourself\n");
	posix_spawn_file_actions_destroy(&fa);
}

/* The port the bound socket got (the one asked for, or the OS's choice for 0). */
static int
bound_port(struct evhttp_bound_socket *bs)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;

	if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &len) != 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static void
allow_host(struct desk *d, const char *host, int port)
{
	bool v6 = strchr(host, ':') != NULL;

	if (d->nhosts == 3)
		return;
	for (int i = 0; i < d->nhosts; i++) {
		char h[300];
		snprintf(h, sizeof h, v6 ? "[%s]:%d" : "%s:%d", host, port);
		if (strcasecmp(h, d->hosts[i]) == 0)
			return;
	}
	snprintf(d->hosts[d->nhosts], sizeof d->hosts[0], v6 ? "[%s]:%d" : "%s:%d", host, port);
	snprintf(d->origins[d->nhosts], sizeof d->origins[0], v6 ? "http://[%s]:%d" : "http://%s:%d",
	    host, port);
	d->nhosts++;
}

/* Run the desk until SIGINT or SIGTERM. Returns an exit code. */
static int
desk_run(struct desk *d, const char *host, int port, bool open)
{
	struct evhttp_bound_socket *bs;
	struct event *sigint = NULL, *sigterm = NULL;
	char url[512];
	int rc = EXIT_FAIL;

	if ((d->base = event_base_new()) == NULL || (d->http = evhttp_new(d->base)) == NULL) {
		fprintf(stderr, "tongxin ui: cannot start the event loop\n");
		goto out;
	}
	evhttp_set_max_body_size(d->http, WEB_HARD_BODY);
	evhttp_set_max_headers_size(d->http, 32 * 1024);
	evhttp_set_timeout(d->http, 60);
	evhttp_set_gencb(d->http, on_request, d);
	if ((bs = evhttp_bind_socket_with_handle(d->http, host, (ev_uint16_t)port)) == NULL) {
		fprintf(stderr, "tongxin ui: 无法监听 cannot listen on %s:%d: %s\n", host, port,
		    strerror(errno));
		goto out;
	}
	port = bound_port(bs);
	allow_host(d, host, port);
	allow_host(d, "127.0.0.1", port);
	allow_host(d, "localhost", port);
	snprintf(d->cookie, sizeof d->cookie, "tx_session_%d", port);
	if (random_hex(d->token) != 0) {
		fprintf(stderr, "tongxin ui: cannot make a token\n");
		goto out;
	}
	sigint = evsignal_new(d->base, SIGINT, on_signal, d);
	sigterm = evsignal_new(d->base, SIGTERM, on_signal, d);
	if (sigint == NULL || sigterm == NULL || evsignal_add(sigint, NULL) != 0 ||
	    evsignal_add(sigterm, NULL) != 0) {
		fprintf(stderr, "tongxin ui: cannot watch signals\n");
		goto out;
	}
	snprintf(url, sizeof url, "http://%s/?token=%s", d->hosts[0], d->token);
	printf("同心工作台已启动 The Tongxin desk is running on the replica %s\n"
	    "在浏览器中打开 Open this link in a browser (it works once):\n  %s\n"
	    "按 Ctrl+C 停止 Press Ctrl+C to stop.\n", d->w.replica_path, url);
	fflush(stdout);
	if (open)
		open_browser(url);
	event_base_dispatch(d->base);
	printf("工作台已停止 The desk has stopped.\n");
	rc = EXIT_OK;
out:
	if (sigint)
		event_free(sigint);
	if (sigterm)
		event_free(sigterm);
	if (d->http)
		evhttp_free(d->http);
	if (d->base)
		event_base_free(d->base);
	return rc;
}

static int ui_exec(struct cli *cli, const struct cmd_args *a);

static const struct cmd_opt ui_opts[] = {
	{ "listen", "HOST:PORT", 0, "监听地址 where to listen (default 127.0.0.1:0, a free port)" },
	{ "open", NULL, 0, "用桌面浏览器打开 open the link in the desktop's browser (xdg-open)" },
	{ "insecure-listen", NULL, 0, "允许非本机地址 allow an address other than loopback" },
	{ NULL, NULL, 0, NULL },
};

/* The ui verb as one row of the command table (cmd.h). */
static const struct cmd_entry cmd_entries_ui[] = {
	{ "ui", NULL, NULL, 0, 0, ui_opts, 0, 0,
	  "工作台 The clerk's web desk on this replica, in a browser, offline. Prints a link\n"
	  "with a one-time token; opening it signs the browser in (a session cookie).\n"
	  "Stops on Ctrl+C (SIGINT) or SIGTERM. The desk has no TLS: on an address other\n"
	  "than loopback anyone on the network can read the personal data it shows, so\n"
	  "such an address is refused (exit 2) without --insecure-listen.\n", ui_exec },
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

int
verb_ui(struct cli *cli, int argc, char **argv)
{
	return cmd_run(cmd_entries_ui, cli, argc, argv);
}

/* ui: the desk on this replica until Ctrl+C or SIGTERM. */
static int
ui_exec(struct cli *cli, const struct cmd_args *a)
{
	const char *listen = cmd_has(a, "listen") ? cmd_get(a, "listen") : "127.0.0.1:0";
	bool insecure = cmd_has(a, "insecure-listen"), open = cmd_has(a, "open");
	struct dom_error e;
	struct desk d;
	char host[256];
	int port, rc;

	if (parse_listen(listen, host, sizeof host, &port) != 0) {
		fprintf(stderr, "tongxin ui: --listen wants HOST:PORT (PORT 0 picks a free one), "
		    "not \"%s\"\n", listen);
		return EXIT_USAGE;
	}
	if (!is_loopback(host) && !insecure) {
		fprintf(stderr, "tongxin ui: 拒绝启动 %s is not this machine's loopback address. The desk "
		    "has no TLS: anyone on the network could read the traffic. Add --insecure-listen "
		    "to listen there anyway.\n", host);
		return EXIT_USAGE;
	}
	memset(&d, 0, sizeof d);
	signal(SIGPIPE, SIG_IGN);
	if ((d.w.r = cli_open(cli)) == NULL)
		return EXIT_FAIL;
	if (dom_prepare_indexes(d.w.r, &e) != 0)
		fprintf(stderr, "tongxin ui: %s (the roster will be slower)\n", e.msg);
	d.w.replica_path = cli->replica;
	d.w.server = cli->server;
	d.w.operator_name = cli->operator_name;
	if ((d.w.sync = web_sync_new()) == NULL) {
		replica_close(d.w.r);
		return EXIT_FAIL;
	}
	rc = desk_run(&d, host, port, open);
	web_sync_free(d.w.sync);
	replica_close(d.w.r);
	return rc;
}
