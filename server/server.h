/*
 * server.h - tongxind's internal interface: the data directory's config,
 * the commands (init, enroll, revoke, serve) and the serving loop.
 */
#ifndef TX_SERVER_H
#define TX_SERVER_H

#include <stddef.h>
#include <stdio.h>

#define DEFAULT_LISTEN "127.0.0.1:7443"

/* Defaults of the serving limits (tongxind.conf and serve's flags override them). */
#define DEFAULT_HANDSHAKE_TIMEOUT 10          /* seconds for TLS and Hello */
#define DEFAULT_IDLE_TIMEOUT 300              /* seconds between requests */
#define DEFAULT_MAX_SESSIONS 1000             /* connections in all */
#define DEFAULT_MAX_PREAUTH 256               /* connections not yet past Hello */
#define DEFAULT_MAX_PREAUTH_PER_ADDRESS 16    /* of those, from one source address */
#define DEFAULT_NEW_CONNECTIONS_PER_SECOND 20 /* per source address; the burst is the same */
#define DEFAULT_MAX_OPEN_CONFLICTS 1000       /* per device, waiting for the street */

/*
 * Serving limits and timeouts. 0 means "not set here": a flag overrides
 * the config, the config overrides the default.
 */
struct serve_limits {
	int handshake_timeout_s;         /* TLS handshake plus Hello */
	int idle_timeout_s;              /* between requests after Hello */
	int max_sessions;                /* connections in all, authenticated or not */
	int max_preauth;                 /* connections that have not finished TLS and Hello */
	int max_preauth_per_address;     /* ... from one source address (IPv6: one /64) */
	int new_connections_per_second;  /* per source address, with a burst of as many */
	int max_open_conflicts;          /* per device: further conflicts are rejected, kept whole */
};

/* The data directory's tongxind.conf. */
struct server_conf {
	char street[256];        /* street name (Chinese) */
	char code[65];           /* street organisation code */
	char listen[300];        /* HOST:PORT to listen on and to put in bundles */
	struct serve_limits limits;   /* the settings the file gives (0: not given) */
	int log_level;                /* LOG_LEVEL_* + 1; 0: not given */
	char metrics_listen[300];     /* loopback HOST:PORT of the metrics page; "": none */
	char time_zone[65];           /* the street's IANA zone, checked; "": the default */
	/*
	 * The database: a postgresql:// address (the PostgreSQL store, issue
	 * 13); "": the SQLite store, tongxind.db in the data directory.
	 */
	char store[1024];
	/*
	 * The line of tongxind.conf that set each setting (0: not set there):
	 * street, code, listen, the limits in the order conf_show prints them,
	 * log_level, metrics_listen, time_zone, store.
	 */
	int line[3 + 7 + 4];
};
/* The index in server_conf.line of the store setting's line (the last). */
#define CONF_LINE_STORE (3 + 7 + 3)

/*
 * Read tongxind.conf: "key = value" lines. Unknown keys and numbers out of
 * range are errors naming the file and line.
 */
int conf_read(const char *dir, struct server_conf *c, char *err, size_t errlen);
/*
 * Print the settings in force, one "key = value" line each, with where it
 * came from: the line of path that set it, or the default (eff: the limits
 * conf_limits made of c's, no flags).
 */
void conf_show(FILE *f, const char *path, const struct server_conf *c,
    const struct serve_limits *eff);
/* The log level in force: the flag's (LOG_LEVEL_* + 1, 0: none), else the file's, else info. */
int conf_log_level(int flag, const struct server_conf *c);
/* What store_open opens: the config's store address, else the data directory dir. */
const char *conf_store(const struct server_conf *c, const char *dir);
/* The store address as it may be shown: a password in it replaced by "***". */
void conf_store_show(const char *store, char *buf, size_t cap);
/* The street's time zone: tongxind.conf's, else TZ_STREET_DEFAULT (Asia/Shanghai). */
const char *conf_time_zone(const struct server_conf *c);
/*
 * Make the street's zone the process's (tz.h), so every "today" of the
 * server is the street's, and log it at info (say: a prefix such as
 * "SIGHUP: ", or ""), with today's date there. The default falls back to
 * China Standard Time where the machine has no zone file for it, and says
 * so; a zone the file names must have its file (conf_read checked it). -1
 * with err when the zone is not there (any more): the process keeps its own.
 */
int conf_apply_time_zone(const struct server_conf *c, const char *say, char *err,
    size_t errlen);
/* Write a new tongxind.conf (mode 0600) with c's street, code and listen. */
int conf_write(const char *dir, const struct server_conf *c, char *err, size_t errlen);
/*
 * The limits in force: each from flags if set, else from c (read from
 * path), else the default. -1 with err when they contradict each other
 * (the pre-auth cap must leave room below max_sessions for authenticated
 * devices); err starts with the flag or the "PATH:LINE" that set the limit.
 */
int conf_limits(const struct serve_limits *flags, const struct server_conf *c, const char *path,
    struct serve_limits *out, char *err, size_t errlen);
/*
 * Parse a setting's number: 0 and v in [1, max], or -1 if s is not a whole
 * number in that range.
 */
int conf_number(const char *s, int max, int *v);

#include "addr.h"

/* How serve was asked to run; the defaults suit production, tests shorten them. */
struct serve_opts {
	const char *listen;          /* overrides the config when set */
	struct serve_limits limits;  /* flags given on the command line (0: not given) */
	int shutdown_grace_s;        /* how long SIGTERM waits for sessions to finish */
	int log_level;               /* LOG_LEVEL_* + 1 from --log-level or -v; 0: the config's */
};

/*
 * Run the server until SIGTERM/SIGINT. SIGHUP reads tongxind.conf again and
 * applies its limits and log level to the running server (flags given to
 * serve still win); open sessions carry on. Returns the process exit code.
 */
int server_run(const char *dir, const struct serve_opts *opts);

#include "tongxin.pb-c.h"

/*
 * The bounds check of a request body, as the server runs it before the
 * body's handler: 0 if env's strings and counts are within common/bounds.h,
 * else -1 with the error code to answer and a sentence naming the field in
 * why. Bodies the server does not take pass (dispatch refuses them).
 */
int server_check_body(const Tongxin__Envelope *env, Tongxin__ErrorCode *code, char *why,
    size_t cap);

/* tongxind's entry point (main.c is a thin wrapper). */
int tongxind_main(int argc, char **argv);

#endif
