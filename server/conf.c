/* conf.c - the data directory's tongxind.conf: "key = value" lines. */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "log.h"
#include "store.h"
#include "metrics.h"
#include "text.h"
#include "tz.h"
#include "validate.h"

/* The numeric settings: their keys, where they go, their largest value. */
static const struct {
	const char *key;
	size_t off;    /* offset in struct serve_limits */
	int max;
} conf_limit_keys[] = {
	{ "handshake_timeout", offsetof(struct serve_limits, handshake_timeout_s), 86400 },
	{ "idle_timeout", offsetof(struct serve_limits, idle_timeout_s), 86400 },
	{ "max_sessions", offsetof(struct serve_limits, max_sessions), 1000000 },
	{ "max_preauth", offsetof(struct serve_limits, max_preauth), 1000000 },
	{ "max_preauth_per_address", offsetof(struct serve_limits, max_preauth_per_address),
	  1000000 },
	{ "new_connections_per_second", offsetof(struct serve_limits, new_connections_per_second),
	  1000000 },
	{ "max_open_conflicts", offsetof(struct serve_limits, max_open_conflicts), 10000000 },
};

int
conf_number(const char *s, int max, int *v)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0' || n < 1 || n > max)
		return -1;
	*v = (int)n;
	return 0;
}

#define NLIMIT_KEYS (sizeof conf_limit_keys / sizeof conf_limit_keys[0])
#define LINE_LOG_LEVEL (3 + NLIMIT_KEYS)
#define LINE_METRICS_LISTEN (LINE_LOG_LEVEL + 1)
#define LINE_TIME_ZONE (LINE_METRICS_LISTEN + 1)
#define LINE_STORE (LINE_TIME_ZONE + 1)
_Static_assert(LINE_STORE == CONF_LINE_STORE, "server.h's CONF_LINE_STORE");
_Static_assert(NLIMIT_KEYS + 7 == sizeof ((struct server_conf *)0)->line /
    sizeof ((struct server_conf *)0)->line[0], "server_conf.line: one per setting");

/* Set a numeric setting from line n of path. 1 if k is not one, 0 set, -1 error. */
static int
conf_limit(struct server_conf *c, const char *k, const char *v, const char *path, int n,
    char *err, size_t errlen)
{
	for (size_t i = 0; i < NLIMIT_KEYS; i++) {
		if (strcmp(k, conf_limit_keys[i].key) != 0)
			continue;
		if (conf_number(v, conf_limit_keys[i].max,
		    (int *)((char *)&c->limits + conf_limit_keys[i].off)) != 0) {
			snprintf(err, errlen, "%s:%d: %s must be a whole number from 1 to %d, not \"%s\"",
			    path, n, k, conf_limit_keys[i].max, text_show(v));
			return -1;
		}
		c->line[3 + i] = n;
		return 0;
	}
	return 1;
}

/*
 * Check a metrics_listen value: HOST:PORT whose host is a numeric loopback
 * address (the page tells who syncs when, so it is for this machine only;
 * a name is refused rather than looked up, so no DNS answer can move it),
 * shorter than cap. -1 with err naming line n of path.
 */
static int
conf_metrics_listen(const char *v, size_t cap, const char *path, int n, char *err,
    size_t errlen)
{
	char host[256];
	int port;

	if (strlen(v) >= cap || split_hostport(v, host, sizeof host, &port) != 0) {
		snprintf(err, errlen, "%s:%d: metrics_listen must be HOST:PORT, not \"%s\"", path, n,
		    text_show(v));
		return -1;
	}
	if (metrics_host_loopback(host) != 1) {
		snprintf(err, errlen, "%s:%d: metrics_listen must be a loopback address "
		    "(127.0.0.0/8 or ::1), not \"%s\"", path, n, text_show(v));
		return -1;
	}
	return 0;
}

int
conf_read(const char *dir, struct server_conf *c, char *err, size_t errlen)
{
	char path[4096], line[1024];
	FILE *f;
	int n = 0;

	memset(c, 0, sizeof *c);
	snprintf(path, sizeof path, "%s/tongxind.conf", dir);
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s is not a tongxind data directory (cannot read %s: %s); "
		    "create one with: tongxind init %s --street NAME", dir, path, strerror(errno), dir);
		return -1;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		char *eq, *k, *v, *e;
		int *at = NULL;
		n++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			snprintf(err, errlen, "%s:%d: line longer than %zu bytes", path, n,
			    sizeof line - 2);
			fclose(f);
			return -1;
		}
		line[strcspn(line, "\r\n")] = '\0';
		for (k = line; *k == ' ' || *k == '\t'; k++)
			;
		if (*k == '#' || *k == '\0')
			continue;
		if ((eq = strchr(k, '=')) == NULL) {
			snprintf(err, errlen, "%s:%d: expected \"key = value\"", path, n);
			fclose(f);
			return -1;
		}
		for (e = eq; e > k && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		*e = '\0';
		for (v = eq + 1; *v == ' ' || *v == '\t'; v++)
			;
		/* A setting given twice is a mistake one of the two lines hides. */
		at = strcmp(k, "street") == 0 ? &c->line[0] : strcmp(k, "code") == 0 ? &c->line[1] :
		    strcmp(k, "listen") == 0 ? &c->line[2] : NULL;
		if (strcmp(k, "log_level") == 0)
			at = &c->line[LINE_LOG_LEVEL];
		else if (strcmp(k, "metrics_listen") == 0)
			at = &c->line[LINE_METRICS_LISTEN];
		else if (strcmp(k, "time_zone") == 0)
			at = &c->line[LINE_TIME_ZONE];
		else if (strcmp(k, "store") == 0)
			at = &c->line[LINE_STORE];
		for (size_t i = 0; at == NULL && i < NLIMIT_KEYS; i++)
			if (strcmp(k, conf_limit_keys[i].key) == 0)
				at = &c->line[3 + i];
		if (at != NULL && *at > 0) {
			snprintf(err, errlen, "%s:%d: %s is already set on line %d", path, n, k, *at);
			fclose(f);
			return -1;
		}
		if (strcmp(k, "street") == 0) {
			snprintf(c->street, sizeof c->street, "%s", v);
			c->line[0] = n;
		} else if (strcmp(k, "code") == 0) {
			snprintf(c->code, sizeof c->code, "%s", v);
			c->line[1] = n;
		} else if (strcmp(k, "listen") == 0) {
			snprintf(c->listen, sizeof c->listen, "%s", v);
			c->line[2] = n;
		} else if (strcmp(k, "log_level") == 0) {
			int lvl = log_level_named(v);
			if (lvl < 0) {
				snprintf(err, errlen, "%s:%d: log_level must be error, warning, info or "
				    "debug, not \"%s\"", path, n, text_show(v));
				fclose(f);
				return -1;
			}
			c->log_level = lvl + 1;
			c->line[LINE_LOG_LEVEL] = n;
		} else if (strcmp(k, "metrics_listen") == 0) {
			if (conf_metrics_listen(v, sizeof c->metrics_listen, path, n, err, errlen) != 0) {
				fclose(f);
				return -1;
			}
			snprintf(c->metrics_listen, sizeof c->metrics_listen, "%s", v);
			c->line[LINE_METRICS_LISTEN] = n;
		} else if (strcmp(k, "time_zone") == 0) {
			char why[512];
			/* Checked here, so check, serve and SIGHUP refuse a zone alike, by its line. */
			if (tz_check(v, why, sizeof why) != 0) {
				snprintf(err, errlen, "%s:%d: unknown time zone \"%s\" (%s)", path, n,
				    text_show(v), why);
				fclose(f);
				return -1;
			}
			snprintf(c->time_zone, sizeof c->time_zone, "%s", v);
			c->line[LINE_TIME_ZONE] = n;
		} else if (strcmp(k, "store") == 0) {
			/* The SQLite store is the default: only another one is named. */
			if (!store_is_pg(v) || strlen(v) >= sizeof c->store) {
				snprintf(err, errlen, "%s:%d: store must be a postgresql:// address of at "
				    "most %zu bytes (leave the line out for the SQLite store in the data "
				    "directory)", path, n, sizeof c->store - 1);
				fclose(f);
				return -1;
			}
			snprintf(c->store, sizeof c->store, "%s", v);
			c->line[LINE_STORE] = n;
		} else {
			int r = conf_limit(c, k, v, path, n, err, errlen);
			if (r == 1)
				snprintf(err, errlen, "%s:%d: unknown setting \"%s\"", path, n,
				    text_show(k));
			if (r != 0) {
				fclose(f);
				return -1;
			}
		}
	}
	fclose(f);
	if (c->street[0] == '\0' || c->code[0] == '\0' || c->listen[0] == '\0') {
		snprintf(err, errlen, "%s: street, code and listen must all be set", path);
		return -1;
	}
	return 0;
}

/* One "key = value" line, the value padded to a column, then where it came from. */
static void
show_line(FILE *f, const char *key, const char *value, const char *path, int line,
    const char *dflt_note)
{
	char kv[512];

	snprintf(kv, sizeof kv, "%s = %s", key, value);
	text_pad(f, kv, 40);
	if (line > 0)
		fprintf(f, " # %s:%d\n", path, line);
	else
		fprintf(f, " # default%s\n", dflt_note);
}

/*
 * The time_zone line: where the default has no zone file on this machine,
 * it says that the server keeps China Standard Time instead (conf_read
 * checked a zone the file names, so only the default can be missing).
 */
static void
show_time_zone(FILE *f, const char *path, const struct server_conf *c)
{
	char value[TZ_NAME_MAX + 1], why[512];
	bool fell_back = false;

	if (tz_resolve(conf_time_zone(c), c->line[LINE_TIME_ZONE] == 0, value, sizeof value,
	    &fell_back, why, sizeof why) != 0)
		fell_back = false;
	show_line(f, "time_zone", conf_time_zone(c), path, c->line[LINE_TIME_ZONE],
	    fell_back ? " (no zone file here: " TZ_STREET_FALLBACK ", UTC+8 all year)" : "");
}

void
conf_show(FILE *f, const char *path, const struct server_conf *c,
    const struct serve_limits *eff)
{
	show_line(f, "street", text_show(c->street), path, c->line[0], "");
	show_line(f, "code", text_show(c->code), path, c->line[1], "");
	show_line(f, "listen", text_show(c->listen), path, c->line[2], "");
	for (size_t i = 0; i < NLIMIT_KEYS; i++) {
		char num[16];
		const char *note = "";

		snprintf(num, sizeof num, "%d",
		    *(const int *)((const char *)eff + conf_limit_keys[i].off));
		if (conf_limit_keys[i].off == offsetof(struct serve_limits, max_preauth))
			note = " (at most half of max_sessions)";
		else if (conf_limit_keys[i].off ==
		    offsetof(struct serve_limits, max_preauth_per_address))
			note = " (at most max_preauth)";
		show_line(f, conf_limit_keys[i].key, num, path, c->line[3 + i], note);
	}
	show_line(f, "log_level", log_level_name((enum log_level)(conf_log_level(0, c) - 1)), path,
	    c->line[LINE_LOG_LEVEL], "");
	show_line(f, "metrics_listen", c->metrics_listen[0] ? text_show(c->metrics_listen) :
	    "(none)", path, c->line[LINE_METRICS_LISTEN], "");
	show_time_zone(f, path, c);
	{
		char shown[1100];
		conf_store_show(c->store, shown, sizeof shown);
		show_line(f, "store", c->store[0] ? text_show(shown) : "(SQLite: tongxind.db in the "
		    "data directory)", path, c->line[LINE_STORE], "");
	}
}

const char *
conf_store(const struct server_conf *c, const char *dir)
{
	return c->store[0] != '\0' ? c->store : dir;
}

void
conf_store_show(const char *store, char *buf, size_t cap)
{
	const char *scheme = strstr(store, "://"), *at, *colon, *pw;
	char *q;

	snprintf(buf, cap, "%s", store);
	if (scheme == NULL)
		return;
	/*
	 * postgresql://user:password@host/... or ...?password=...: the password
	 * is not for a terminal or a log.
	 */
	at = strchr(scheme + 3, '@');
	colon = strchr(scheme + 3, ':');
	if (at != NULL && colon != NULL && colon < at)
		snprintf(buf, cap, "%.*s:***%s", (int)(colon - store), store, at);
	for (q = strchr(buf, '?'); q != NULL && (pw = strstr(q, "password=")) != NULL;
	    q = (char *)pw + 1) {
		char *v = (char *)pw + 9, *end = strchr(v, '&');
		char rest[1100];
		if (pw[-1] != '?' && pw[-1] != '&')
			continue;   /* another key ending in "password" */
		snprintf(rest, sizeof rest, "%s", end ? end : "");
		snprintf(v, cap - (size_t)(v - buf), "***%s", rest);
	}
}

const char *
conf_time_zone(const struct server_conf *c)
{
	return c->time_zone[0] != '\0' ? c->time_zone : TZ_STREET_DEFAULT;
}

int
conf_apply_time_zone(const struct server_conf *c, const char *say, char *err, size_t errlen)
{
	char value[TZ_NAME_MAX + 1], why[512], today[11];
	bool fell_back;

	if (tz_resolve(conf_time_zone(c), c->line[LINE_TIME_ZONE] == 0, value, sizeof value,
	    &fell_back, why, sizeof why) != 0) {
		snprintf(err, errlen, "unknown time zone \"%s\" (%s)", text_show(conf_time_zone(c)),
		    why);
		return -1;
	}
	if (tz_apply(value) != 0) {
		snprintf(err, errlen, "cannot set the time zone %s: %s", value, strerror(errno));
		return -1;
	}
	today_str(today);
	if (fell_back)
		log_info("%sstreet time zone %s (no zone file for it here, install tzdata: %s, "
		    "UTC+8 all year as China has kept since 1991; today %s)", say,
		    conf_time_zone(c), value, today);
	else
		log_info("%sstreet time zone %s (today %s)", say, value, today);
	return 0;
}

int
conf_log_level(int flag, const struct server_conf *c)
{
	return flag > 0 ? flag : c->log_level > 0 ? c->log_level : LOG_LEVEL_INFO + 1;
}

int
conf_write(const char *dir, const struct server_conf *c, char *err, size_t errlen)
{
	char path[4096];
	FILE *f;
	int fd;

	snprintf(path, sizeof path, "%s/tongxind.conf", dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
	    (f = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	fprintf(f, "# tongxind configuration, written by tongxind init\n"
	    "street = %s\ncode = %s\nlisten = %s\n"
	    "\n# Limits (the defaults are shown; \"tongxind serve\" flags override them):\n"
	    "# handshake_timeout = %d\n# idle_timeout = %d\n# max_sessions = %d\n"
	    "# max_preauth = %d\n# max_preauth_per_address = %d\n"
	    "# new_connections_per_second = %d\n"
	    "# Open conflicts one device may have waiting for the street:\n"
	    "# max_open_conflicts = %d\n"
	    "# The log: error, warning, info or debug (\"tongxind serve --log-level\" overrides):\n"
	    "# log_level = info\n"
	    "# A Prometheus page of the server's counters (GET /metrics), on a loopback\n"
	    "# address only; none when unset:\n"
	    "# metrics_listen = 127.0.0.1:9464\n"
	    "# The street's time zone (an IANA name), for every \"today\" of the server:\n"
	    "# time_zone = %s\n"
	    "# The database: tongxind.db in this directory (SQLite), unless a PostgreSQL\n"
	    "# database is named (see the README, \"Moving to PostgreSQL\"):\n"
	    "%sstore = %s\n", c->street, c->code, c->listen,
	    DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_SESSIONS,
	    DEFAULT_MAX_PREAUTH, DEFAULT_MAX_PREAUTH_PER_ADDRESS,
	    DEFAULT_NEW_CONNECTIONS_PER_SECOND, DEFAULT_MAX_OPEN_CONFLICTS, TZ_STREET_DEFAULT,
	    c->store[0] ? "" : "# ", c->store[0] ? c->store : "postgresql://tongxind@localhost/tongxin");
	if (fclose(f) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* The first of a, b that is set, else dflt. */
static int
pick(int a, int b, int dflt)
{
	return a > 0 ? a : b > 0 ? b : dflt;
}

/*
 * "--flag-name: " when flags gave the limit at offset off, else "PATH:LINE: "
 * of the line of c that set it (the limits that can contradict each other
 * are given in one of the two).
 */
static void
limit_source(char *buf, size_t cap, const struct serve_limits *flags,
    const struct server_conf *c, const char *path, size_t off)
{
	buf[0] = '\0';
	for (size_t i = 0; i < NLIMIT_KEYS; i++) {
		if (conf_limit_keys[i].off != off)
			continue;
		if (*(const int *)((const char *)flags + off) > 0) {
			size_t n = (size_t)snprintf(buf, cap, "--%s: ", conf_limit_keys[i].key);
			for (size_t k = 2; k < n && k < cap; k++)
				if (buf[k] == '_')
					buf[k] = '-';
		} else if (c->line[3 + i] > 0) {
			snprintf(buf, cap, "%s:%d: ", path, c->line[3 + i]);
		}
		return;
	}
}

int
conf_limits(const struct serve_limits *flags, const struct server_conf *c, const char *path,
    struct serve_limits *out, char *err, size_t errlen)
{
	const struct serve_limits *conf = &c->limits;
	char where[4200];
	int preauth_given = flags->max_preauth > 0 || conf->max_preauth > 0;
	int per_addr_given = flags->max_preauth_per_address > 0 ||
	    conf->max_preauth_per_address > 0;
	int dflt;

	out->handshake_timeout_s = pick(flags->handshake_timeout_s, conf->handshake_timeout_s,
	    DEFAULT_HANDSHAKE_TIMEOUT);
	out->idle_timeout_s = pick(flags->idle_timeout_s, conf->idle_timeout_s,
	    DEFAULT_IDLE_TIMEOUT);
	out->max_sessions = pick(flags->max_sessions, conf->max_sessions, DEFAULT_MAX_SESSIONS);
	/* Unless set, the pre-auth cap leaves at least half the sessions to devices. */
	dflt = out->max_sessions / 2 < DEFAULT_MAX_PREAUTH ? out->max_sessions / 2 :
	    DEFAULT_MAX_PREAUTH;
	out->max_preauth = pick(flags->max_preauth, conf->max_preauth, dflt > 0 ? dflt : 1);
	dflt = out->max_preauth < DEFAULT_MAX_PREAUTH_PER_ADDRESS ? out->max_preauth :
	    DEFAULT_MAX_PREAUTH_PER_ADDRESS;
	out->max_preauth_per_address = pick(flags->max_preauth_per_address,
	    conf->max_preauth_per_address, dflt);
	out->new_connections_per_second = pick(flags->new_connections_per_second,
	    conf->new_connections_per_second, DEFAULT_NEW_CONNECTIONS_PER_SECOND);
	out->max_open_conflicts = pick(flags->max_open_conflicts, conf->max_open_conflicts,
	    DEFAULT_MAX_OPEN_CONFLICTS);
	if (preauth_given && out->max_preauth >= out->max_sessions) {
		limit_source(where, sizeof where, flags, c, path,
		    offsetof(struct serve_limits, max_preauth));
		snprintf(err, errlen, "%smax_preauth (%d) must be below max_sessions (%d), so that "
		    "authenticated devices always find a place", where, out->max_preauth,
		    out->max_sessions);
		return -1;
	}
	if (per_addr_given && out->max_preauth_per_address > out->max_preauth) {
		limit_source(where, sizeof where, flags, c, path,
		    offsetof(struct serve_limits, max_preauth_per_address));
		snprintf(err, errlen, "%smax_preauth_per_address (%d) cannot exceed max_preauth (%d)",
		    where, out->max_preauth_per_address, out->max_preauth);
		return -1;
	}
	return 0;
}
