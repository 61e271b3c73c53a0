/*
 * server.h - tongxind's internal interface: the data directory's config,
 * the commands (init, enroll, revoke, serve) and the serving loop.
 */
#ifndef TX_SERVER_H
#define TX_SERVER_H

#include <stddef.h>

#define DEFAULT_LISTEN "127.0.0.1:7443"

/* The data directory's tongxind.conf. */
struct server_conf {
	char street[256];        /* street name (Chinese) */
	char code[65];           /* street organisation code */
	char listen[300];        /* HOST:PORT to listen on and to put in bundles */
};

int conf_read(const char *dir, struct server_conf *c, char *err, size_t errlen);
int conf_write(const char *dir, const struct server_conf *c, char *err, size_t errlen);

#include "addr.h"

/* Serving limits and timeouts; the defaults suit production, tests shorten them. */
struct serve_opts {
	const char *listen;          /* overrides the config when set */
	int handshake_timeout_s;     /* TLS handshake plus Hello */
	int idle_timeout_s;          /* between requests after Hello */
	int max_sessions;
	int shutdown_grace_s;        /* how long SIGTERM waits for sessions to finish */
};

/* Run the server until SIGTERM/SIGINT. Returns the process exit code. */
int server_run(const char *dir, const struct serve_opts *opts);

/* tongxind's entry point (main.c is a thin wrapper). */
int tongxind_main(int argc, char **argv);

#endif
