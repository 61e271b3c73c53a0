/*
 * tx_probe.c - a small client that misbehaves on purpose, for the shell
 * integration tests (it_*.sh). It speaks the wire directly (frame.h) so it
 * can send what tongxin never would: a wrong protocol version or schema
 * hash, an oversize length header, raw bytes, nothing at all, or plain TCP.
 *
 *   tx_probe freeport
 *       Print a TCP port on 127.0.0.1 that was free a moment ago.
 *   tx_probe integrity DBFILE
 *       Print the result of PRAGMA integrity_check; exit 0 if it is "ok".
 *   tx_probe plain HOST:PORT [--send-garbage | --send HEX] [--timeout S]
 *       Plain TCP: write the bytes, read until the server closes. Prints
 *       "connected HOST:PORT from LOCAL:PORT", "sent N bytes", "received N bytes: HEX..." and "closed: REASON".
 *       Exit 0 if the server closed the connection, 1 if it did not.
 *   tx_probe idle HOST:PORT --count N --hold S [--expect open|closed]
 *                 [--source ADDR] [--reopen [--rate N]]
 *       Open N TCP connections that send nothing, print "opened N
 *       connections", hold them S seconds, then print "server closed K of
 *       N" and close them. With --expect, exit 1 unless all were closed by
 *       the server (closed) or none was (open). --source binds every
 *       connection to ADDR (e.g. 127.0.0.2, to attack from another
 *       loopback address). --reopen re-opens each connection the server
 *       drops while the hold lasts (an attacker keeping N connections up),
 *       at most N a second (--rate, default 1000: fifty times what one
 *       address may open, without making the probe a CPU benchmark), and
 *       prints "reopened R connections (F failed)"; then K counts the
 *       connections the server closed at the end of the hold.
 *   tx_probe push HOST:PORT --bundle FILE [--txns N] [--changes N] [--cols N]
 *                 [--value-bytes N] [--row-id-bytes N] [--operator-bytes N]
 *                 [--seq N] [--wait-file FILE] [--timeout S]
 *                 [--expect reply|error|error=N|closed|any]
 *       TLS with the bundle's credential, a good Hello, then one push that
 *       a modified client could send: N transactions (default 1) from
 *       sequence --seq (default 1) with an operator name of the given
 *       size, each with N changes (default 0) inserting into table 0 with
 *       N columns (default 0) whose values are text of the given size and
 *       a row id of the given size (default: a new UUID). With --wait-file
 *       the push is sent only once FILE exists (what the server sends
 *       meanwhile is printed). Prints "push result: N results (A applied,
 *       M merged, C conflict, R rejected)" or the server's error, and
 *       "outcome: ..." as tls does (default expectation: reply).
 *   tx_probe tls HOST:PORT [--bundle FILE] [--ca FILE] [--hello-version N]
 *                [--schema-hash HEX | --bad-schema] [--frame-len N]
 *                [--raw-bytes HEX] [--after-hello] [--no-hello] [--hold S]
 *                [--timeout S]
 *                [--expect welcome|error|error=N|closed|any]
 *       TLS 1.3, with the bundle's key and certificate as the client
 *       certificate when --bundle is given (none otherwise). The server is
 *       verified for the name "tongxind" against --ca, else the bundle's CA,
 *       else not at all. Then it sends a Hello (version and hash as given),
 *       or an oversize length header (--frame-len), or raw bytes, or nothing
 *       (--no-hello), and prints "connected HOST:PORT from LOCAL:PORT",
 *       "handshake ok ..." and the server's reply:
 *         "welcome device=NAME org=CODE role=ROLE street=... server=... protocol=N"
 *         "error code=N message=TEXT"
 *         "closed: REASON"
 *       With --after-hello the length header or raw bytes follow a good
 *       Hello and its Welcome, so they meet the limits after authentication.
 *       --hold keeps the session open S seconds after the reply (printing
 *       whatever the server sends meanwhile, e.g. a shutdown Error).
 *       The last line is "outcome: KIND (expected KIND)". Exit 0 if the
 *       outcome is the expected one: by default welcome for a correct
 *       Hello, error=1 for another version, error=2 for another schema,
 *       error=4 for --frame-len, any error for --raw-bytes, closed for
 *       --no-hello. Exit 1 otherwise.
 *
 * Exit 2 is a usage error, 3 means no TCP connection could be made.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <sqlite3.h>

#include "frame.h"
#include "ids.h"
#include "pki.h"
#include "schema.h"

#define EXIT_MISMATCH 1
#define EXIT_USAGE 2
#define EXIT_CONNECT 3

static const char *prog = "tx_probe";

static void
usage(void)
{
	fprintf(stderr,
	    "usage: tx_probe freeport\n"
	    "       tx_probe integrity DBFILE\n"
	    "       tx_probe plain HOST:PORT [--send-garbage | --send HEX] [--timeout S]\n"
	    "       tx_probe idle HOST:PORT --count N --hold S [--expect open|closed]\n"
	    "                [--source ADDR] [--reopen [--rate N]]\n"
	    "       tx_probe push HOST:PORT --bundle FILE [--txns N] [--changes N] [--cols N]\n"
	    "                [--value-bytes N] [--row-id-bytes N] [--operator-bytes N] [--seq N]\n"
	    "                [--wait-file FILE] [--timeout S] [--expect reply|error|error=N|closed|any]\n"
	    "       tx_probe tls HOST:PORT [--bundle FILE] [--ca FILE] [--hello-version N]\n"
	    "                [--schema-hash HEX | --bad-schema] [--frame-len N] [--raw-bytes HEX]\n"
	    "                [--after-hello] [--no-hello] [--hold S] [--timeout S]\n"
	    "                [--expect welcome|error|error=N|closed|any]\n");
}

/* Print a line on stdout at once: the shell tests watch the file while we run. */
static void
say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static int
parse_num(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || *end || end == s || v < min || v > max) {
		fprintf(stderr, "%s: invalid number \"%s\"\n", prog, s);
		return -1;
	}
	*out = v;
	return 0;
}

/* Decode hex (spaces allowed) into a new buffer. -1 if malformed. */
static int
parse_hex(const char *s, uint8_t **out, size_t *len)
{
	size_t n = 0, cap = strlen(s) / 2 + 1;
	uint8_t *b = malloc(cap);
	int hi = -1;

	if (b == NULL)
		return -1;
	for (; *s; s++) {
		int v;
		if (*s == ' ' || *s == ':')
			continue;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else
			goto bad;
		if (hi < 0) {
			hi = v;
		} else {
			b[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0)
		goto bad;
	*out = b;
	*len = n;
	return 0;
bad:
	fprintf(stderr, "%s: invalid hex string\n", prog);
	free(b);
	return -1;
}

static void
hex_prefix(const uint8_t *p, size_t n, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 3 < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%02x", p[i]);
	if (o < cap)
		out[o] = '\0';
}

/*
 * TCP connection to HOST:PORT ("[v6]:PORT" too), blocking, with I/O
 * timeouts, from source address src when it is not NULL (-2 if src is not
 * an address).
 */
static int
tcp_connect_from(const char *hp, int timeout_s, const char *src)
{
	char host[256], port[16];
	const char *colon;
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1, err = 0, one = 1;
	size_t n;
	struct sockaddr_in src4;
	struct sockaddr_in6 src6;
	int srcfam = AF_UNSPEC;

	if (src != NULL) {
		memset(&src4, 0, sizeof src4);
		memset(&src6, 0, sizeof src6);
		if (inet_pton(AF_INET, src, &src4.sin_addr) == 1) {
			src4.sin_family = srcfam = AF_INET;
		} else if (inet_pton(AF_INET6, src, &src6.sin6_addr) == 1) {
			src6.sin6_family = srcfam = AF_INET6;
		} else {
			return -2;
		}
	}

	if (hp[0] == '[') {
		const char *rb = strchr(hp, ']');
		if (rb == NULL || rb[1] != ':' || (n = (size_t)(rb - hp - 1)) >= sizeof host)
			return -2;
		memcpy(host, hp + 1, n);
		colon = rb + 1;
	} else {
		if ((colon = strrchr(hp, ':')) == NULL || (n = (size_t)(colon - hp)) >= sizeof host)
			return -2;
		memcpy(host, hp, n);
	}
	host[n] = '\0';
	snprintf(port, sizeof port, "%s", colon + 1);
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -2;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (srcfam != AF_UNSPEC && ai->ai_family != srcfam) {
			err = EAFNOSUPPORT;
			continue;
		}
		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0)) < 0) {
			err = errno;
			continue;
		}
		if (srcfam != AF_UNSPEC && bind(fd, srcfam == AF_INET ?
		    (struct sockaddr *)&src4 : (struct sockaddr *)&src6,
		    srcfam == AF_INET ? sizeof src4 : sizeof src6) != 0) {
			err = errno;
			close(fd);
			fd = -1;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		errno = err;
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (timeout_s > 0) {
		struct timeval tv = { timeout_s, 0 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	}
	return fd;
}

static int
tcp_connect(const char *hp, int timeout_s)
{
	return tcp_connect_from(hp, timeout_s, NULL);
}

static int
connect_or_report(const char *hp, int timeout_s)
{
	int fd = tcp_connect(hp, timeout_s);

	if (fd == -2) {
		fprintf(stderr, "%s: invalid address \"%s\" (expected HOST:PORT)\n", prog, hp);
		say("closed: invalid address");
	} else if (fd < 0) {
		say("closed: cannot connect to %s: %s", hp, strerror(errno));
	}
	return fd;
}

/* "HOST:PORT" of our end, so the tests can find this connection in the server's log. */
static void
local_addr(int fd, char *out, size_t cap)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *in = (struct sockaddr_in *)&ss;
			inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
			port = ntohs(in->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
			inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
			port = ntohs(in6->sin6_port);
		}
	}
	snprintf(out, cap, "%s:%d", host, port);
}

/* --- freeport ------------------------------------------------------------- */

static int
cmd_freeport(int argc, char **argv)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof sin;
	int fd;

	(void)argv;
	if (argc != 1) {
		usage();
		return EXIT_USAGE;
	}
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &sl) != 0) {
		fprintf(stderr, "%s: freeport: %s\n", prog, strerror(errno));
		return 1;
	}
	printf("%d\n", ntohs(sin.sin_port));
	close(fd);
	return 0;
}

/* --- integrity ------------------------------------------------------------- */

/* PRAGMA integrity_check on a database file, for machines without the sqlite3 program. */
static int
cmd_integrity(int argc, char **argv)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int ok = 1, rows = 0;

	if (argc != 2) {
		usage();
		return EXIT_USAGE;
	}
	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s: %s: %s\n", prog, argv[1], db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return 1;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *r = (const char *)sqlite3_column_text(st, 0);
		printf("%s\n", r ? r : "");
		ok &= r != NULL && strcmp(r, "ok") == 0;
		rows++;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return ok && rows > 0 ? 0 : 1;
}

/* --- plain ------------------------------------------------------------------ */

/* Read until EOF, error or timeout; say what came back and how it ended. 1 if closed. */
static int
drain_until_closed(int fd)
{
	uint8_t buf[4096], first[32];
	size_t total = 0, nfirst = 0;
	char hex[80], reason[128];
	int closed = 0;

	for (;;) {
		ssize_t r = read(fd, buf, sizeof buf);
		if (r > 0) {
			if (nfirst < sizeof first) {
				size_t k = (size_t)r < sizeof first - nfirst ? (size_t)r : sizeof first - nfirst;
				memcpy(first + nfirst, buf, k);
				nfirst += k;
			}
			total += (size_t)r;
			continue;
		}
		if (r == 0) {
			snprintf(reason, sizeof reason, "eof");
			closed = 1;
		} else if (errno == EINTR) {
			continue;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			snprintf(reason, sizeof reason, "timeout (the server kept the connection open)");
		} else {
			snprintf(reason, sizeof reason, "%s", errno == ECONNRESET ? "connection reset" :
			    strerror(errno));
			closed = 1;
		}
		break;
	}
	hex_prefix(first, nfirst, hex, sizeof hex);
	say("received %zu bytes%s%s", total, total ? ": " : "", hex);
	say("closed: %s", reason);
	return closed;
}

static int
cmd_plain(int argc, char **argv)
{
	static const char garbage_text[] = "this is not TLS: GET / HTTP/1.1\r\nHost: tongxind\r\n\r\n";
	const char *hp = NULL;
	uint8_t *send = NULL, garbage[512];
	size_t nsend = 0;
	long timeout = 10;
	int fd, closed;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--send-garbage") == 0) {
			/* Text, then bytes no TLS record starts with. */
			uint32_t x = 0x2545f491;
			memcpy(garbage, garbage_text, sizeof garbage_text - 1);
			for (size_t k = sizeof garbage_text - 1; k < sizeof garbage; k++) {
				x ^= x << 13;
				x ^= x >> 17;
				x ^= x << 5;
				garbage[k] = (uint8_t)x;
			}
			free(send);
			send = malloc(sizeof garbage);
			memcpy(send, garbage, sizeof garbage);
			nsend = sizeof garbage;
		} else if (strcmp(argv[i], "--send") == 0 && i + 1 < argc) {
			free(send);
			if (parse_hex(argv[++i], &send, &nsend) != 0)
				return EXIT_USAGE;
		} else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			if (parse_num(argv[++i], 1, 3600, &timeout) != 0)
				return EXIT_USAGE;
		} else if (argv[i][0] != '-' && hp == NULL) {
			hp = argv[i];
		} else {
			usage();
			free(send);
			return EXIT_USAGE;
		}
	}
	if (hp == NULL) {
		usage();
		free(send);
		return EXIT_USAGE;
	}
	if ((fd = connect_or_report(hp, (int)timeout)) < 0) {
		free(send);
		return fd == -2 ? EXIT_USAGE : EXIT_CONNECT;
	}
	{
		char me[80];
		local_addr(fd, me, sizeof me);
		say("connected %s from %s", hp, me);
	}
	if (nsend > 0) {
		size_t off = 0;
		while (off < nsend) {
			ssize_t w = write(fd, send + off, nsend - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break;
			off += (size_t)w;
		}
		say("sent %zu bytes", off);
	}
	free(send);
	closed = drain_until_closed(fd);
	close(fd);
	return closed ? 0 : EXIT_MISMATCH;
}

/* --- idle -------------------------------------------------------------------- */

/* Whether the server has closed fd (EOF or an error; data it sent is read away). */
static int
server_closed(int fd)
{
	uint8_t b[512];

	for (;;) {
		ssize_t r = recv(fd, b, sizeof b, MSG_DONTWAIT);
		if (r > 0)
			continue;   /* whatever the server said; look for the close */
		if (r < 0 && errno == EINTR)
			continue;
		return r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
	}
}

/*
 * Keep the connections in p up for hold seconds: each one the server
 * closes is opened again at once. Counts the re-opened and failed ones.
 */
static void
idle_reopen(const char *hp, const char *src, struct pollfd *p, int n, long hold, long rate,
    long *reopened, long *failed)
{
	struct timespec now, start, end;
	long done = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	end = start;
	end.tv_sec += hold;
	for (;;) {
		long left_ms, since_ms, budget;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left_ms = (end.tv_sec - now.tv_sec) * 1000 + (end.tv_nsec - now.tv_nsec) / 1000000;
		since_ms = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (left_ms <= 0)
			break;
		/* Re-open no faster than rate a second on average; sleep, do not spin. */
		if ((budget = since_ms * rate / 1000 - done) <= 0) {
			struct timespec ts = { 0, 2000000 };
			nanosleep(&ts, NULL);
			continue;
		}
		if (poll(p, (nfds_t)n, left_ms < 10 ? (int)left_ms : 10) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n && budget > 0; i++) {
			if (p[i].fd >= 0 && !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (p[i].fd >= 0) {
				if (!server_closed(p[i].fd))
					continue;
				close(p[i].fd);
			}
			p[i].fd = tcp_connect_from(hp, 0, src);
			p[i].revents = 0;
			done++;
			budget--;
			if (p[i].fd >= 0)
				(*reopened)++;
			else
				(*failed)++;
		}
	}
}

static int
cmd_idle(int argc, char **argv)
{
	const char *hp = NULL, *expect = NULL, *src = NULL;
	long count = -1, hold = -1, reopened = 0, failed = 0, rate = 1000;
	int opened = 0, closed = 0, reopen = 0;
	struct pollfd *p;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--count") == 0 && i + 1 < argc) {
			if (parse_num(argv[++i], 1, 10000, &count) != 0)
				return EXIT_USAGE;
		} else if (strcmp(argv[i], "--hold") == 0 && i + 1 < argc) {
			if (parse_num(argv[++i], 0, 3600, &hold) != 0)
				return EXIT_USAGE;
		} else if (strcmp(argv[i], "--expect") == 0 && i + 1 < argc) {
			expect = argv[++i];
			if (strcmp(expect, "open") != 0 && strcmp(expect, "closed") != 0) {
				usage();
				return EXIT_USAGE;
			}
		} else if (strcmp(argv[i], "--source") == 0 && i + 1 < argc) {
			src = argv[++i];
		} else if (strcmp(argv[i], "--reopen") == 0) {
			reopen = 1;
		} else if (strcmp(argv[i], "--rate") == 0 && i + 1 < argc) {
			if (parse_num(argv[++i], 1, 1000000, &rate) != 0)
				return EXIT_USAGE;
		} else if (argv[i][0] != '-' && hp == NULL) {
			hp = argv[i];
		} else {
			usage();
			return EXIT_USAGE;
		}
	}
	if (hp == NULL || count < 0 || hold < 0) {
		usage();
		return EXIT_USAGE;
	}
	if ((p = calloc((size_t)count, sizeof *p)) == NULL)
		return 1;
	for (long i = 0; i < count; i++) {
		int fd = tcp_connect_from(hp, 0, src);
		if (fd < 0) {
			say("connection %ld failed: %s", i + 1, fd == -2 ? "invalid address" :
			    strerror(errno));
			if (fd == -2) {
				free(p);
				return EXIT_USAGE;
			}
			break;
		}
		p[opened].fd = fd;
		p[opened++].events = POLLIN;
	}
	say("opened %d connections%s%s", opened, src ? " from " : "", src ? src : "");
	if (opened == 0) {
		free(p);
		return EXIT_CONNECT;
	}
	if (reopen) {
		idle_reopen(hp, src, p, opened, hold, rate, &reopened, &failed);
		say("reopened %ld connections (%ld failed)", reopened, failed);
	} else {
		struct timespec ts = { hold, 0 };
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
	for (int i = 0; i < opened; i++) {
		if (p[i].fd < 0 || server_closed(p[i].fd))
			closed++;
		if (p[i].fd >= 0)
			close(p[i].fd);
	}
	free(p);
	say("server closed %d of %d", closed, opened);
	if (opened < count)
		return EXIT_CONNECT;
	if (expect != NULL && strcmp(expect, "closed") == 0 && closed != opened)
		return EXIT_MISMATCH;
	if (expect != NULL && strcmp(expect, "open") == 0 && closed != 0)
		return EXIT_MISMATCH;
	return 0;
}

/* --- tls ----------------------------------------------------------------------- */

struct tls_opts {
	const char *hostport;
	const char *bundle;
	const char *ca;
	long hello_version;
	uint8_t *schema;       /* NULL: the real schema hash */
	size_t nschema;
	int bad_schema;
	long frame_len;        /* -1: not set */
	uint8_t *raw;
	size_t nraw;
	int no_hello;
	int after_hello;       /* send frame_len/raw after a successful Hello */
	long hold;
	long timeout;
	const char *expect;
};

/* Outcome of the exchange, compared against --expect. */
struct outcome {
	enum { OUT_NONE, OUT_WELCOME, OUT_ERROR, OUT_CLOSED, OUT_REPLY } kind;
	int code;
};

/* Why an SSL call failed, as a phrase; clears the error queue. */
static void
ssl_reason(SSL *ssl, int ret, char *out, size_t cap)
{
	int e = SSL_get_error(ssl, ret);
	unsigned long q = ERR_peek_last_error();
	int saved = errno;

	if (e == SSL_ERROR_ZERO_RETURN) {
		snprintf(out, cap, "close_notify (the server closed the session)");
	} else if (q != 0) {
		const char *r = ERR_reason_error_string(q);
		long vr = SSL_get_verify_result(ssl);
		if (ERR_GET_REASON(q) == SSL_R_CERTIFICATE_VERIFY_FAILED && vr != X509_V_OK)
			snprintf(out, cap, "tls: certificate verify failed: %s",
			    X509_verify_cert_error_string(vr));
		else
			snprintf(out, cap, "tls: %s", r ? r : "unknown error");
	} else if (e == SSL_ERROR_SYSCALL && ret == 0) {
		snprintf(out, cap, "eof (no close_notify)");
	} else if (e == SSL_ERROR_SYSCALL && (saved == EAGAIN || saved == EWOULDBLOCK)) {
		snprintf(out, cap, "timeout (no answer)");
	} else if (e == SSL_ERROR_SYSCALL && saved != 0) {
		snprintf(out, cap, "%s", saved == ECONNRESET ? "connection reset" : strerror(saved));
	} else {
		snprintf(out, cap, "ssl error %d", e);
	}
	ERR_clear_error();
}

/* Read exactly n bytes; 0, or -1 with the reason in why. */
static int
ssl_read_full(SSL *ssl, uint8_t *p, size_t n, char *why, size_t cap)
{
	size_t off = 0;

	while (off < n) {
		int r;
		ERR_clear_error();
		errno = 0;
		r = SSL_read(ssl, p + off, (int)(n - off));
		if (r <= 0) {
			ssl_reason(ssl, r, why, cap);
			return -1;
		}
		off += (size_t)r;
	}
	return 0;
}

static int
ssl_write_all(SSL *ssl, const uint8_t *p, size_t n, char *why, size_t cap)
{
	size_t off = 0;

	while (off < n) {
		int w;
		ERR_clear_error();
		errno = 0;
		w = SSL_write(ssl, p + off, (int)(n - off));
		if (w <= 0) {
			ssl_reason(ssl, w, why, cap);
			return -1;
		}
		off += (size_t)w;
	}
	return 0;
}

/*
 * Read one frame from the server and print it. Returns 1 if a frame was
 * read (its kind in *o unless a welcome/error was already recorded), 0 if
 * the session ended (printed as "closed: ..."), -1 on a bad frame.
 */
static int
read_reply(SSL *ssl, struct outcome *o)
{
	uint8_t hdr[FRAME_HDR_LEN], *body;
	uint32_t len = 0;
	char why[256];
	enum frame_status fs;
	Tongxin__Envelope *env;

	if (ssl_read_full(ssl, hdr, sizeof hdr, why, sizeof why) != 0) {
		say("closed: %s", why);
		if (o->kind == OUT_NONE)
			o->kind = OUT_CLOSED;
		return 0;
	}
	fs = frame_peek(hdr, sizeof hdr, FRAME_MAX, &len);
	if (fs == FRAME_EMPTY || fs == FRAME_OVERSIZE) {
		say("bad frame: %s", fs == FRAME_EMPTY ? "zero length" : "oversize");
		return -1;
	}
	if ((body = malloc(len)) == NULL)
		return -1;
	if (ssl_read_full(ssl, body, len, why, sizeof why) != 0) {
		free(body);
		say("closed: %s (in the middle of a %u-byte frame)", why, len);
		if (o->kind == OUT_NONE)
			o->kind = OUT_CLOSED;
		return 0;
	}
	env = frame_decode(body, len);
	free(body);
	if (env == NULL) {
		say("bad frame: %u bytes that do not decode", len);
		return -1;
	}
	switch (env->body_case) {
	case TONGXIN__ENVELOPE__BODY_WELCOME:
		say("welcome device=%s org=%s role=%s street=%s server=%s protocol=%u",
		    env->welcome->device_name, env->welcome->org_code, env->welcome->role,
		    env->welcome->street_name, env->welcome->server_version,
		    env->welcome->protocol_version);
		if (o->kind == OUT_NONE)
			o->kind = OUT_WELCOME;
		break;
	case TONGXIN__ENVELOPE__BODY_ERROR:
		if (env->error->required_protocol_version)
			say("error code=%d message=%s required_protocol_version=%u",
			    (int)env->error->code, env->error->message,
			    env->error->required_protocol_version);
		else
			say("error code=%d message=%s", (int)env->error->code, env->error->message);
		if (o->kind == OUT_NONE) {
			o->kind = OUT_ERROR;
			o->code = (int)env->error->code;
		}
		break;
	case TONGXIN__ENVELOPE__BODY_PUSH_RESULT: {
		size_t n[4] = { 0, 0, 0, 0 };
		for (size_t i = 0; i < env->push_result->n_results; i++)
			n[env->push_result->results[i]->status & 3]++;
		say("push result: %zu results (%zu applied, %zu merged, %zu conflict, %zu rejected)",
		    env->push_result->n_results, n[0], n[1], n[2], n[3]);
		if (o->kind == OUT_NONE)
			o->kind = OUT_REPLY;
		break;
	}
	default:
		say("reply %s id=%u", envelope_body_name(env), env->id);
		if (o->kind == OUT_NONE)
			o->kind = OUT_REPLY;
		break;
	}
	envelope_free(env);
	return 1;
}

/*
 * A write failed (typically: the server refused us and closed). Its last
 * words, a TLS alert or an Error frame, may still be waiting to be read.
 */
static void
send_failed(SSL *ssl, const char *why, struct outcome *o)
{
	say("send failed: %s", why);
	read_reply(ssl, o);
	if (o->kind == OUT_NONE)
		o->kind = OUT_CLOSED;
}

static SSL_CTX *
probe_ctx(const struct tls_opts *t, int *verify)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	struct pki_cred cred;
	char err[1024] = "", addr[300];
	int have_ca = 0;

	memset(&cred, 0, sizeof cred);
	if (ctx == NULL)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
	if (t->bundle != NULL) {
		BIO *b;
		X509 *cert = NULL, *ca = NULL;
		EVP_PKEY *key = NULL;

		if (pki_bundle_read(t->bundle, &cred, addr, sizeof addr, err, sizeof err) != 0) {
			fprintf(stderr, "%s: %s\n", prog, err);
			SSL_CTX_free(ctx);
			return NULL;
		}
		if ((b = BIO_new_mem_buf(cred.cert_pem, -1)) != NULL)
			cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
		BIO_free(b);
		if ((b = BIO_new_mem_buf(cred.key_pem, -1)) != NULL)
			key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
		BIO_free(b);
		if ((b = BIO_new_mem_buf(cred.ca_pem, -1)) != NULL)
			ca = PEM_read_bio_X509(b, NULL, NULL, NULL);
		BIO_free(b);
		if (cert == NULL || key == NULL || ca == NULL ||
		    SSL_CTX_use_certificate(ctx, cert) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1) {
			fprintf(stderr, "%s: cannot use the bundle's credential\n", prog);
			X509_free(cert);
			X509_free(ca);
			EVP_PKEY_free(key);
			pki_cred_clear(&cred);
			SSL_CTX_free(ctx);
			return NULL;
		}
		if (t->ca == NULL) {
			X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca);
			have_ca = 1;
		}
		X509_free(cert);
		X509_free(ca);
		EVP_PKEY_free(key);
		pki_cred_clear(&cred);
	}
	if (t->ca != NULL) {
		if (SSL_CTX_load_verify_locations(ctx, t->ca, NULL) != 1) {
			fprintf(stderr, "%s: cannot load CA certificate %s\n", prog, t->ca);
			SSL_CTX_free(ctx);
			return NULL;
		}
		have_ca = 1;
	}
	SSL_CTX_set_verify(ctx, have_ca ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
	if (have_ca)
		SSL_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
	*verify = have_ca;
	return ctx;
}

static int
outcome_matches(const struct tls_opts *t, const struct outcome *o)
{
	const char *e = t->expect;
	char def[32];

	if (e == NULL) {
		/* What the flags asked for. */
		if (t->no_hello)
			e = "closed";
		else if (t->frame_len >= 0)
			e = t->frame_len > (long)(t->after_hello ? FRAME_MAX : FRAME_MAX_PREAUTH) ?
			    "error=4" : "any";
		else if (t->raw != NULL)
			e = "error";
		else if (t->hello_version != PROTOCOL_VERSION)
			e = "error=1";
		else if (t->bad_schema || t->schema != NULL)
			e = "error=2";
		else
			e = "welcome";
		snprintf(def, sizeof def, "%s", e);
		e = def;
	}
	if (o->kind == OUT_ERROR)
		say("outcome: error=%d (expected %s)", o->code, e);
	else
		say("outcome: %s (expected %s)", o->kind == OUT_WELCOME ? "welcome" :
		    o->kind == OUT_CLOSED ? "closed" : o->kind == OUT_REPLY ? "reply" : "none", e);
	if (strcmp(e, "any") == 0)
		return o->kind != OUT_NONE;
	if (strcmp(e, "welcome") == 0)
		return o->kind == OUT_WELCOME;
	if (strcmp(e, "reply") == 0)
		return o->kind == OUT_REPLY;
	if (strcmp(e, "closed") == 0)
		return o->kind == OUT_CLOSED;
	if (strcmp(e, "error") == 0)
		return o->kind == OUT_ERROR;
	if (strncmp(e, "error=", 6) == 0)
		return o->kind == OUT_ERROR && o->code == atoi(e + 6);
	return 0;
}

/* Send a Hello as the options say (version, schema hash). 0, or -1 with why. */
static int
send_hello(SSL *ssl, const struct tls_opts *t, char *why, size_t cap)
{
	Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT;
	Tongxin__Hello h = TONGXIN__HELLO__INIT;
	uint8_t hash[32], *f;
	size_t n;
	int r;
	int plain = t->after_hello;   /* the state-reaching Hello is always a good one */

	schema_hash(hash);
	if (t->bad_schema && !plain)
		hash[0] ^= 0xff;
	h.protocol_version = plain ? PROTOCOL_VERSION : (uint32_t)t->hello_version;
	h.schema_hash.data = t->schema && !plain ? t->schema : hash;
	h.schema_hash.len = t->schema && !plain ? t->nschema : sizeof hash;
	h.program_version = "tx_probe";
	h.operator_name = "probe";
	env.id = 1;
	env.body_case = TONGXIN__ENVELOPE__BODY_HELLO;
	env.hello = &h;
	if ((f = frame_encode(&env, &n)) == NULL) {
		snprintf(why, cap, "cannot encode the hello");
		return -1;
	}
	r = ssl_write_all(ssl, f, n, why, cap);
	free(f);
	if (r == 0)
		say("sent hello version=%u schema=%s", h.protocol_version,
		    t->schema && !plain ? "given" : t->bad_schema && !plain ? "wrong" : "ours");
	return r;
}

static int
cmd_tls(int argc, char **argv)
{
	struct tls_opts t;
	struct outcome o = { OUT_NONE, 0 };
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	int fd = -1, verify = 0, rc = EXIT_MISMATCH, r;
	char why[256];

	memset(&t, 0, sizeof t);
	t.hello_version = PROTOCOL_VERSION;
	t.frame_len = -1;
	t.timeout = 10;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int more = i + 1 < argc;
		if (strcmp(a, "--bundle") == 0 && more)
			t.bundle = argv[++i];
		else if (strcmp(a, "--ca") == 0 && more)
			t.ca = argv[++i];
		else if (strcmp(a, "--hello-version") == 0 && more) {
			if (parse_num(argv[++i], 0, 0xffffffffL, &t.hello_version) != 0)
				return EXIT_USAGE;
		} else if (strcmp(a, "--schema-hash") == 0 && more) {
			free(t.schema);
			if (parse_hex(argv[++i], &t.schema, &t.nschema) != 0)
				return EXIT_USAGE;
		} else if (strcmp(a, "--bad-schema") == 0)
			t.bad_schema = 1;
		else if (strcmp(a, "--frame-len") == 0 && more) {
			if (parse_num(argv[++i], 0, 0xffffffffL, &t.frame_len) != 0)
				return EXIT_USAGE;
		} else if (strcmp(a, "--raw-bytes") == 0 && more) {
			free(t.raw);
			if (parse_hex(argv[++i], &t.raw, &t.nraw) != 0)
				return EXIT_USAGE;
		} else if (strcmp(a, "--no-hello") == 0)
			t.no_hello = 1;
		else if (strcmp(a, "--after-hello") == 0)
			t.after_hello = 1;
		else if (strcmp(a, "--hold") == 0 && more) {
			if (parse_num(argv[++i], 0, 3600, &t.hold) != 0)
				return EXIT_USAGE;
		} else if (strcmp(a, "--timeout") == 0 && more) {
			if (parse_num(argv[++i], 1, 3600, &t.timeout) != 0)
				return EXIT_USAGE;
		} else if (strcmp(a, "--expect") == 0 && more) {
			t.expect = argv[++i];
			if (strcmp(t.expect, "welcome") != 0 && strcmp(t.expect, "error") != 0 &&
			    strncmp(t.expect, "error=", 6) != 0 && strcmp(t.expect, "closed") != 0 &&
			    strcmp(t.expect, "any") != 0) {
				usage();
				return EXIT_USAGE;
			}
		} else if (a[0] != '-' && t.hostport == NULL)
			t.hostport = a;
		else {
			usage();
			return EXIT_USAGE;
		}
	}
	if (t.hostport == NULL || (t.after_hello && t.frame_len < 0 && t.raw == NULL)) {
		usage();
		free(t.schema);
		free(t.raw);
		return EXIT_USAGE;
	}
	if ((ctx = probe_ctx(&t, &verify)) == NULL) {
		rc = EXIT_USAGE;
		goto out;
	}
	if ((fd = connect_or_report(t.hostport, (int)t.timeout)) < 0) {
		rc = fd == -2 ? EXIT_USAGE : EXIT_CONNECT;
		goto out;
	}
	{
		char me[80];
		local_addr(fd, me, sizeof me);
		say("connected %s from %s", t.hostport, me);
	}
	if ((ssl = SSL_new(ctx)) == NULL) {
		rc = EXIT_USAGE;
		goto out;
	}
	SSL_set_fd(ssl, fd);
	SSL_set_tlsext_host_name(ssl, PKI_SERVER_NAME);
	if (verify)
		SSL_set1_host(ssl, PKI_SERVER_NAME);
	ERR_clear_error();
	errno = 0;
	if ((r = SSL_connect(ssl)) != 1) {
		ssl_reason(ssl, r, why, sizeof why);
		say("closed: handshake: %s", why);
		o.kind = OUT_CLOSED;
		goto judge;
	}
	say("handshake ok %s, server certificate %s, client certificate %s", SSL_get_version(ssl),
	    verify ? "verified" : "not verified", t.bundle ? "sent" : "none");

	/* With --after-hello, a good Hello and its Welcome come first. */
	if (t.after_hello) {
		if (send_hello(ssl, &t, why, sizeof why) != 0) {
			send_failed(ssl, why, &o);
			goto judge;
		}
		if (read_reply(ssl, &o) != 1 || o.kind != OUT_WELCOME) {
			say("no welcome: the probe could not reach the state after hello");
			if (o.kind == OUT_NONE)
				o.kind = OUT_CLOSED;
			goto judge;
		}
		o.kind = OUT_NONE;
	}
	if (t.frame_len >= 0) {
		uint8_t h[4] = { (uint8_t)(t.frame_len >> 24), (uint8_t)(t.frame_len >> 16),
			(uint8_t)(t.frame_len >> 8), (uint8_t)t.frame_len };
		if (ssl_write_all(ssl, h, sizeof h, why, sizeof why) != 0) {
			send_failed(ssl, why, &o);
			goto judge;
		}
		say("sent length header %ld", t.frame_len);
	} else if (t.raw != NULL) {
		if (ssl_write_all(ssl, t.raw, t.nraw, why, sizeof why) != 0) {
			send_failed(ssl, why, &o);
			goto judge;
		}
		say("sent %zu raw bytes", t.nraw);
	} else if (!t.no_hello && !t.after_hello) {
		if (send_hello(ssl, &t, why, sizeof why) != 0) {
			send_failed(ssl, why, &o);
			goto judge;
		}
	}

	if (t.no_hello) {
		/* Wait for the server to give up on us (or the hold to end). */
		struct timeval tv = { t.hold > 0 ? t.hold : t.timeout, 0 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		while (read_reply(ssl, &o) == 1)
			;
		goto judge;
	}
	r = read_reply(ssl, &o);
	if (r == 1 && o.kind == OUT_WELCOME && t.hold > 0) {
		/* Keep the session; print whatever arrives until the hold ends or the server closes. */
		time_t end = time(NULL) + t.hold;
		int open = 1;
		while (open) {
			struct pollfd p = { fd, POLLIN, 0 };
			long left = (long)(end - time(NULL));
			if (left <= 0)
				break;
			if (SSL_pending(ssl) == 0 && poll(&p, 1, (int)(left * 1000)) <= 0)
				continue;
			open = read_reply(ssl, &o) == 1;
		}
		if (open)
			say("held %ld s", t.hold);
	} else if (r == 1 && o.kind == OUT_ERROR) {
		/* After an Error the server must close. */
		read_reply(ssl, &o);
	}
judge:
	rc = outcome_matches(&t, &o) ? 0 : EXIT_MISMATCH;
	if (ssl != NULL && o.kind == OUT_WELCOME)
		SSL_shutdown(ssl);
out:
	SSL_free(ssl);
	if (fd >= 0)
		close(fd);
	SSL_CTX_free(ctx);
	free(t.schema);
	free(t.raw);
	return rc;
}

/* --- push ------------------------------------------------------------------ */

/* What cmd_push sends. */
struct push_opts {
	long txns, changes, cols, value_bytes, row_id_bytes, operator_bytes, seq;
	const char *wait_file;
};

/* A new string of n bytes of c. */
static char *
filled(size_t n, char c)
{
	char *p = malloc(n + 1);

	if (p != NULL) {
		memset(p, c, n);
		p[n] = '\0';
	}
	return p;
}

/* Build and frame the push the options describe; NULL if it cannot be encoded. */
static uint8_t *
push_frame(const struct push_opts *po, size_t *len)
{
	Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT;
	Tongxin__PushRequest req = TONGXIN__PUSH_REQUEST__INIT;
	Tongxin__Txn *txns = calloc((size_t)po->txns, sizeof *txns);
	Tongxin__Txn **tp = calloc((size_t)po->txns, sizeof *tp);
	Tongxin__Change *ch = calloc((size_t)(po->changes ? po->changes : 1), sizeof *ch);
	Tongxin__Change **chp = calloc((size_t)(po->changes ? po->changes : 1), sizeof *chp);
	Tongxin__Value *vals = calloc((size_t)(po->cols ? po->cols : 1), sizeof *vals);
	Tongxin__Value **valp = calloc((size_t)(po->cols ? po->cols : 1), sizeof *valp);
	uint32_t *cols = calloc((size_t)(po->cols ? po->cols : 1), sizeof *cols);
	char *op = filled((size_t)po->operator_bytes, 'o');
	char *text = filled((size_t)po->value_bytes, 'v');
	char **ids = calloc((size_t)(po->changes ? po->changes : 1), sizeof *ids);
	uint8_t *f = NULL;

	if (!txns || !tp || !ch || !chp || !vals || !valp || !cols || !op || !text || !ids)
		goto out;
	for (long k = 0; k < po->cols; k++) {
		tongxin__value__init(&vals[k]);
		vals[k].kind_case = TONGXIN__VALUE__KIND_S;
		vals[k].s = text;
		valp[k] = &vals[k];
		cols[k] = (uint32_t)k;
	}
	for (long j = 0; j < po->changes; j++) {
		if (po->row_id_bytes >= 0)
			ids[j] = filled((size_t)po->row_id_bytes, 'r');
		else if ((ids[j] = malloc(ID_TEXT_LEN + 1)) != NULL && id_new(ids[j]) != 0)
			goto out;
		if (ids[j] == NULL)
			goto out;
		tongxin__change__init(&ch[j]);
		ch[j].table = 0;
		ch[j].row_id = ids[j];
		ch[j].op = TONGXIN__CHANGE__OP__OP_INSERT;
		ch[j].n_cols = (size_t)po->cols;
		ch[j].cols = cols;
		ch[j].n_values = (size_t)po->cols;
		ch[j].values = valp;
		chp[j] = &ch[j];
	}
	for (long i = 0; i < po->txns; i++) {
		tongxin__txn__init(&txns[i]);
		txns[i].seq = (uint64_t)(po->seq + i);
		txns[i].hlc = (uint64_t)time(NULL) * 1000 << 16;
		txns[i].local_time_ms = (int64_t)time(NULL) * 1000;
		txns[i].operator_name = op;
		txns[i].n_changes = (size_t)po->changes;
		txns[i].changes = chp;
		tp[i] = &txns[i];
	}
	req.n_txns = (size_t)po->txns;
	req.txns = tp;
	env.id = 2;
	env.body_case = TONGXIN__ENVELOPE__BODY_PUSH;
	env.push = &req;
	f = frame_encode(&env, len);
out:
	for (long j = 0; ids != NULL && j < po->changes; j++)
		free(ids[j]);
	free(ids);
	free(txns);
	free(tp);
	free(ch);
	free(chp);
	free(vals);
	free(valp);
	free(cols);
	free(op);
	free(text);
	return f;
}

/*
 * Wait until file exists, printing what the server sends meanwhile. 0 when
 * it exists, -1 if the session ended first.
 */
static int
wait_for_file(SSL *ssl, int fd, const char *file, struct outcome *o)
{
	while (access(file, F_OK) != 0) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (SSL_pending(ssl) == 0 && poll(&p, 1, 20) <= 0)
			continue;
		if (read_reply(ssl, o) != 1) {
			say("the session ended while waiting for %s", file);
			return -1;
		}
	}
	say("found %s", file);
	return 0;
}

static int
cmd_push(int argc, char **argv)
{
	struct tls_opts t;
	struct push_opts po = { 1, 0, 0, 0, -1, 5, 1, NULL };
	struct outcome o = { OUT_NONE, 0 };
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	int fd = -1, verify = 0, rc = EXIT_MISMATCH, r;
	uint8_t *f = NULL;
	size_t flen = 0;
	char why[256];

	memset(&t, 0, sizeof t);
	t.hello_version = PROTOCOL_VERSION;
	t.frame_len = -1;
	t.timeout = 30;
	t.after_hello = 1;   /* send_hello: the good Hello */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		long *num = NULL, lo = 0, hi = 0;
		if (i + 1 >= argc && a[0] == '-') {
			usage();
			return EXIT_USAGE;
		}
		if (strcmp(a, "--bundle") == 0)
			t.bundle = argv[++i];
		else if (strcmp(a, "--wait-file") == 0)
			po.wait_file = argv[++i];
		else if (strcmp(a, "--expect") == 0)
			t.expect = argv[++i];
		else if (strcmp(a, "--txns") == 0)
			num = &po.txns, lo = 1, hi = 100000;
		else if (strcmp(a, "--changes") == 0)
			num = &po.changes, lo = 0, hi = 100000;
		else if (strcmp(a, "--cols") == 0)
			num = &po.cols, lo = 0, hi = 1000;
		else if (strcmp(a, "--value-bytes") == 0)
			num = &po.value_bytes, lo = 0, hi = 16 << 20;
		else if (strcmp(a, "--row-id-bytes") == 0)
			num = &po.row_id_bytes, lo = 0, hi = 16 << 20;
		else if (strcmp(a, "--operator-bytes") == 0)
			num = &po.operator_bytes, lo = 0, hi = 16 << 20;
		else if (strcmp(a, "--seq") == 0)
			num = &po.seq, lo = 1, hi = 1L << 40;
		else if (strcmp(a, "--timeout") == 0)
			num = &t.timeout, lo = 1, hi = 3600;
		else if (a[0] != '-' && t.hostport == NULL)
			t.hostport = a;
		else {
			usage();
			return EXIT_USAGE;
		}
		if (num != NULL && parse_num(argv[++i], lo, hi, num) != 0)
			return EXIT_USAGE;
	}
	if (t.hostport == NULL || t.bundle == NULL) {
		usage();
		return EXIT_USAGE;
	}
	if (t.expect == NULL)
		t.expect = "reply";
	if ((f = push_frame(&po, &flen)) == NULL) {
		fprintf(stderr, "%s: the push cannot be encoded (over %u bytes?)\n", prog, FRAME_MAX);
		return EXIT_USAGE;
	}
	if ((ctx = probe_ctx(&t, &verify)) == NULL) {
		rc = EXIT_USAGE;
		goto out;
	}
	if ((fd = connect_or_report(t.hostport, (int)t.timeout)) < 0) {
		rc = fd == -2 ? EXIT_USAGE : EXIT_CONNECT;
		goto out;
	}
	if ((ssl = SSL_new(ctx)) == NULL) {
		rc = EXIT_USAGE;
		goto out;
	}
	SSL_set_fd(ssl, fd);
	SSL_set_tlsext_host_name(ssl, PKI_SERVER_NAME);
	if (verify)
		SSL_set1_host(ssl, PKI_SERVER_NAME);
	ERR_clear_error();
	if ((r = SSL_connect(ssl)) != 1) {
		ssl_reason(ssl, r, why, sizeof why);
		say("closed: handshake: %s", why);
		o.kind = OUT_CLOSED;
		goto judge;
	}
	if (send_hello(ssl, &t, why, sizeof why) != 0) {
		send_failed(ssl, why, &o);
		goto judge;
	}
	if (read_reply(ssl, &o) != 1 || o.kind != OUT_WELCOME) {
		say("no welcome: the probe could not reach the state after hello");
		if (o.kind == OUT_NONE)
			o.kind = OUT_CLOSED;
		goto judge;
	}
	o.kind = OUT_NONE;
	if (po.wait_file != NULL && wait_for_file(ssl, fd, po.wait_file, &o) != 0)
		goto judge;
	if (ssl_write_all(ssl, f, flen, why, sizeof why) != 0) {
		send_failed(ssl, why, &o);
		goto judge;
	}
	say("sent push: %ld transactions of %ld changes, %ld columns of %ld bytes, operator name "
	    "of %ld bytes (%zu bytes framed)", po.txns, po.changes, po.cols, po.value_bytes,
	    po.operator_bytes, flen);
	if (read_reply(ssl, &o) == 1 && o.kind == OUT_ERROR)
		read_reply(ssl, &o);   /* after an Error the server must close */
judge:
	rc = outcome_matches(&t, &o) ? 0 : EXIT_MISMATCH;
	if (ssl != NULL && o.kind == OUT_REPLY)
		SSL_shutdown(ssl);
out:
	free(f);
	SSL_free(ssl);
	if (fd >= 0)
		close(fd);
	SSL_CTX_free(ctx);
	return rc;
}

int
main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		usage();
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "freeport") == 0)
		return cmd_freeport(argc - 1, argv + 1);
	if (strcmp(argv[1], "integrity") == 0)
		return cmd_integrity(argc - 1, argv + 1);
	if (strcmp(argv[1], "plain") == 0)
		return cmd_plain(argc - 1, argv + 1);
	if (strcmp(argv[1], "idle") == 0)
		return cmd_idle(argc - 1, argv + 1);
	if (strcmp(argv[1], "tls") == 0)
		return cmd_tls(argc - 1, argv + 1);
	if (strcmp(argv[1], "push") == 0)
		return cmd_push(argc - 1, argv + 1);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage();
		return 0;
	}
	fprintf(stderr, "%s: unknown command \"%s\"\n", prog, argv[1]);
	usage();
	return EXIT_USAGE;
}
