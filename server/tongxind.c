/*
 * tongxind.c - the server's command line: init, enroll, revoke, serve, devices,
 * check, backup, restore.
 *
 * Exit codes: 0 success, 1 the command failed (message on stderr),
 * 2 usage error.
 */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ids.h"
#include "log.h"
#include "pki.h"
#include "schema.h"
#include "store.h"
#include "text.h"
#include "validate.h"
#ifdef TX_HAVE_PG
#include <sqlite3.h>

#include "store_pgs.h"
#endif

#define EXIT_USAGE 2

struct command {
	const char *name;
	const char *usage;
	const char *help;
	int (*run)(int argc, char **argv);
};

static int cmd_init(int, char **);
static int cmd_enroll(int, char **);
static int cmd_revoke(int, char **);
static int cmd_serve(int, char **);
static int cmd_devices(int, char **);
static int cmd_check(int, char **);
static int cmd_backup(int, char **);
static int cmd_restore(int, char **);
static int cmd_migrate(int, char **);
static int tongxind_lock(const char *dir, char *err, size_t errlen);

static const struct command commands[] = {
	{ "init", "init DIR --street NAME | --district NAME [--code CODE] [--listen HOST:PORT]\n"
	  "       [--store URI]",
	  "Create a new data directory: the database with the street as its root\n"
	  "organisation, the street's CA, the server certificate and tongxind.conf.\n"
	  "  --street NAME       the street's name, e.g. 和平街道 (required, or --district)\n"
	  "  --district NAME     a district's server instead: the district, e.g. 和平区, is\n"
	  "                      the root and its administrator adds the streets under it\n"
	  "  --code CODE         the street's organisation code (default JD01)\n"
	  "  --listen HOST:PORT  address to serve on and to put in bundles\n"
	  "                      (default " DEFAULT_LISTEN ")\n"
	  "  --store URI         keep the database in PostgreSQL instead of DIR/tongxind.db:\n"
	  "                      a postgresql:// address of an empty database; written to\n"
	  "                      tongxind.conf (store = ...), so every command finds it\n", cmd_init },
	{ "enroll", "enroll DIR --org CODE --device NAME [--admin] --out FILE [--days N]",
	  "Issue a device credential bundle (key, certificate, CA, server address),\n"
	  "written with mode 0600. The organisation must exist on the server.\n"
	  "  --org CODE      the organisation the device works for\n"
	  "  --device NAME   a name for the device, unique among enrolled devices\n"
	  "  --admin         an administrator's device (street administrators)\n"
	  "  --out FILE      where to write the bundle (must not exist)\n"
	  "  --days N        certificate validity in days (default 3650)\n", cmd_enroll },
	{ "revoke", "revoke DIR --device NAME",
	  "Revoke a device. A running server refuses its new connections and closes\n"
	  "its open sessions within about a second.\n",
	  cmd_revoke },
	{ "serve", "serve DIR [--listen HOST:PORT] [--idle-timeout S] [--handshake-timeout S]\n"
	  "                [--max-sessions N] [--max-preauth N] [--max-preauth-per-address N]\n"
	  "                [--new-connections-per-second N] [--log-level LEVEL] [-v]",
	  "Serve the street's devices until SIGTERM or SIGINT. Each limit can also be\n"
	  "set in DIR/tongxind.conf (key in brackets); a flag overrides the file.\n"
	  "  --listen HOST:PORT       override the configured address\n"
	  "  --idle-timeout S         close sessions idle this long (default 300)\n"
	  "                           [idle_timeout]\n"
	  "  --handshake-timeout S    time allowed for TLS and hello (default 10)\n"
	  "                           [handshake_timeout]\n"
	  "  --max-sessions N         concurrent connections (default 1000) [max_sessions]\n"
	  "  --max-preauth N          connections that have not finished TLS and hello\n"
	  "                           (default 256, at most half of max_sessions; it\n"
	  "                           must stay below max_sessions) [max_preauth]\n"
	  "  --max-preauth-per-address N\n"
	  "                           of those, from one source address; IPv6 addresses\n"
	  "                           count per /64 (default 16) [max_preauth_per_address]\n"
	  "  --new-connections-per-second N\n"
	  "                           new connections one address may open per second,\n"
	  "                           in bursts of as many; a connection that completes\n"
	  "                           its hello gives its place back (default 20)\n"
	  "                           [new_connections_per_second]\n"
	  "  --log-level LEVEL        error, warning, info (the default) or debug\n"
	  "                           [log_level]\n"
	  "  -v                       log every frame (--log-level debug)\n"
	  "Connections over a limit are closed as they are accepted; the log sums them\n"
	  "up in one warning line every 10 seconds at most. SIGHUP reads tongxind.conf\n"
	  "again and applies its limits and log level; open sessions carry on.\n"
	  "With metrics_listen = HOST:PORT (a loopback address) in tongxind.conf,\n"
	  "GET http://HOST:PORT/metrics gives the server's counters (Prometheus text).\n",
	  cmd_serve },
	{ "devices", "devices DIR",
	  "List enrolled devices with their last contact and pushed transactions.\n",
	  cmd_devices },
	{ "check", "check DIR",
	  "Read DIR/tongxind.conf and print the settings \"tongxind serve DIR\" would\n"
	  "use, each with the line that set it or \"default\"; check that the listen\n"
	  "address parses, that the limits agree with each other and that the\n"
	  "database, certificates and keys are in place. Exit status 1 names the\n"
	  "file and line of the first error.\n", cmd_check },
	{ "backup", "backup DIR FILE",
	  "Write a consistent copy of DIR's database to FILE (a new file, mode 0600)\n"
	  "while the server runs: the copy is one moment of the database, taken without\n"
	  "stopping sessions or pushes, and read back whole before it is called done.\n"
	  "Keep it with ca.key and ca.crt, which the copy does not hold.\n", cmd_backup },
	{ "restore", "restore DIR FILE",
	  "Put the backup FILE in place of DIR's database while the server is stopped.\n"
	  "The backup is checked whole and must be of this street; the database it\n"
	  "replaces is kept beside it (tongxind.db.replaced-TIME), never deleted, and\n"
	  "devices enrolled or revoked since the backup are carried over from it when\n"
	  "it can be read. The certificates in DIR stay as they are. The restored\n"
	  "database gets a new epoch: at its next sync every device sends back the\n"
	  "changes the server took after the backup, so nothing it acknowledged is lost.\n",
	  cmd_restore },
	{ "migrate", "migrate DIR --store URI",
	  "Move the street's database from DIR/tongxind.db into PostgreSQL while the\n"
	  "server is stopped: the schema is made in the database URI names (a\n"
	  "postgresql:// address; the database must hold none of it) and every table\n"
	  "is copied, in one transaction. Versions, idempotency keys and the conflict\n"
	  "queue are kept, so devices go on syncing where they were. Then tongxind.conf\n"
	  "names the store and tongxind.db is kept beside as tongxind.db.moved-TIME.\n",
	  cmd_migrate },
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void
usage_all(FILE *f)
{
	fprintf(f, "usage: tongxind COMMAND DIR [OPTIONS]\n\n"
	    "Tongxin (同心) street server %s.\n\nCommands:\n", TONGXIN_VERSION);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  tongxind %s\n", commands[i].usage);
	fprintf(f, "\nRun \"tongxind COMMAND --help\" for a command's options.\n"
	    "Exit status: 0 success, 1 failure, 2 usage error.\n");
}

static int
usage_cmd(const char *name, int ok)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0) {
			fprintf(ok ? stdout : stderr, "usage: tongxind %s\n\n%s", commands[i].usage,
			    commands[i].help);
			break;
		}
	return ok ? 0 : EXIT_USAGE;
}

/*
 * Whether a device name or code is acceptable: bounded UTF-8 without '/'
 * and without control characters (C0, DEL, C1), which would reach logs and
 * administrators' terminals.
 */
static int
name_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	const unsigned char *p = (const unsigned char *)s;

	if (n == 0 || n > max || !validate_utf8(s) || strchr(s, '/') != NULL)
		return 0;
	for (; *p; p++)
		if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
			return 0;
	return 1;
}

/* Files of a data directory that hold keys, personal data or settings: 0600. */
static const char *const private_files[] = {
	"tongxind.db", "tongxind.db-wal", "tongxind.db-shm", "tongxind.conf",
	"ca.key", "ca.crt", "server.key", "server.crt",
};

/*
 * Make an existing data directory 0700, warning (with the old mode) when
 * it was open to others. -1 with a message on stderr if it cannot be.
 */
static int
dir_private(const char *dir)
{
	struct stat sb;

	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "tongxind init: %s is not a directory\n", dir);
		return -1;
	}
	if ((sb.st_mode & 07777) == 0700)
		return 0;
	if (chmod(dir, 0700) != 0) {
		fprintf(stderr, "tongxind init: cannot make %s private (mode 0700): %s\n", dir,
		    strerror(errno));
		return -1;
	}
	fprintf(stderr, "tongxind init: warning: %s had mode %04o; changed it to 0700 so that "
	    "only this user can read the street's data and keys\n", dir,
	    (unsigned)(sb.st_mode & 07777));
	return 0;
}

/* Give every private file that exists in dir mode 0600, whatever made it. -1 on failure. */
static int
files_private(const char *dir)
{
	char path[4096];
	struct stat sb;

	for (size_t i = 0; i < sizeof private_files / sizeof private_files[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, private_files[i]);
		if (lstat(path, &sb) != 0) {
			if (errno == ENOENT)
				continue;
			fprintf(stderr, "tongxind init: %s: %s\n", path, strerror(errno));
			return -1;
		}
		if (!S_ISREG(sb.st_mode)) {
			fprintf(stderr, "tongxind init: %s is not a regular file\n", path);
			return -1;
		}
		if ((sb.st_mode & 07777) != 0600 && chmod(path, 0600) != 0) {
			fprintf(stderr, "tongxind init: cannot set mode 0600 on %s: %s\n", path,
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

/*
 * The store of data directory dir: the database its tongxind.conf names
 * (store = postgresql://...), else tongxind.db in dir. NULL with err.
 */
static struct store *
dir_store_open(const char *dir, char *err, size_t errlen)
{
	struct server_conf conf;

	if (conf_read(dir, &conf, err, errlen) != 0)
		return NULL;
	return store_open(conf_store(&conf, dir), 0, err, errlen);
}

static int
cmd_init(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "street", required_argument, NULL, 's' }, { "code", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' }, { "store", required_argument, NULL, 'S' },
		{ "district", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	struct server_conf conf;
	char err[1024] = "", host[256], path[4096];
	const char *dir, *kind = "street";
	struct store *st;
	struct stat sb;
	int ch, port;

	memset(&conf, 0, sizeof conf);
	snprintf(conf.code, sizeof conf.code, "JD01");
	snprintf(conf.listen, sizeof conf.listen, DEFAULT_LISTEN);
	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (ch) {
		case 's':
		case 'D':
			if (conf.street[0] != '\0') {
				fprintf(stderr, "tongxind init: give --street or --district, once\n");
				return EXIT_USAGE;
			}
			snprintf(conf.street, sizeof conf.street, "%s", optarg);
			kind = ch == 'D' ? "district" : "street";
			break;
		case 'c': snprintf(conf.code, sizeof conf.code, "%s", optarg); break;
		case 'l': snprintf(conf.listen, sizeof conf.listen, "%s", optarg); break;
		case 'S':
			if (!store_is_pg(optarg) || strlen(optarg) >= sizeof conf.store) {
				fprintf(stderr, "tongxind init: --store must be a postgresql:// address "
				    "of at most %zu bytes\n", sizeof conf.store - 1);
				return EXIT_USAGE;
			}
			snprintf(conf.store, sizeof conf.store, "%s", optarg);
			break;
		case 'h': return usage_cmd("init", 1);
		default: return usage_cmd("init", 0);
		}
	}
	if (optind != argc - 1 || conf.street[0] == '\0') {
		fprintf(stderr, "tongxind init: %s\n", optind != argc - 1 ?
		    "expected exactly one data directory" : "--street NAME (or --district NAME) is "
		    "required");
		return usage_cmd("init", 0);
	}
	dir = argv[optind];
	if (!name_ok(conf.street, 200) || !name_ok(conf.code, 32)) {
		fprintf(stderr, "tongxind init: the %s name and code must be 1-200 and 1-32 bytes "
		    "of printable text without '/'\n", kind);
		return EXIT_USAGE;
	}
	if (split_hostport(conf.listen, host, sizeof host, &port) != 0) {
		fprintf(stderr, "tongxind init: invalid --listen \"%s\": expected HOST:PORT\n",
		    conf.listen);
		return EXIT_USAGE;
	}
	if (mkdir(dir, 0700) != 0) {
		if (errno != EEXIST) {
			fprintf(stderr, "tongxind init: cannot create %s: %s\n", dir, strerror(errno));
			return 1;
		}
		if (dir_private(dir) != 0)
			return 1;
	}
	snprintf(path, sizeof path, "%s/tongxind.db", dir);
	if (stat(path, &sb) != 0) {
		/* A directory whose tongxind.conf names a PostgreSQL store holds a database too. */
		snprintf(path, sizeof path, "%s/tongxind.conf", dir);
	}
	if (stat(path, &sb) == 0) {
		fprintf(stderr, "tongxind init: %s already holds a database; refusing to overwrite it\n",
		    dir);
		return 1;
	}
	if (pki_ca_create(dir, conf.street, err, sizeof err) != 0 ||
	    pki_server_issue(dir, host, err, sizeof err) != 0) {
		fprintf(stderr, "tongxind init: %s\n", err);
		return 1;
	}
	if ((st = store_open(conf_store(&conf, dir), 1, err, sizeof err)) == NULL ||
	    store_init_root(st, kind, conf.street, conf.code, err, sizeof err) != 0) {
		fprintf(stderr, "tongxind init: %s\n", err);
		store_close(st);
		return 1;
	}
	store_close(st);
	if (conf_write(dir, &conf, err, sizeof err) != 0) {
		fprintf(stderr, "tongxind init: %s\n", err);
		return 1;
	}
	if (files_private(dir) != 0)
		return 1;
	printf("Created %s %s in %s\n"
	    "  %s organisation code: %s\n"
	    "  server address in bundles: %s\n"
	    "Next: tongxind enroll %s --org %s --device NAME --admin --out admin.bundle\n"
	    "      tongxind serve %s\n", kind, conf.street, dir, kind, conf.code, conf.listen, dir,
	    conf.code, dir);
	return 0;
}

static int
cmd_enroll(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "org", required_argument, NULL, 'o' }, { "device", required_argument, NULL, 'd' },
		{ "admin", no_argument, NULL, 'a' }, { "out", required_argument, NULL, 'O' },
		{ "days", required_argument, NULL, 'D' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 } };
	const char *org = NULL, *device = NULL, *out = NULL, *dir;
	int admin = 0, ch, days = 3650;
	char err[1024] = "", scope[512], orgname[256];
	struct server_conf conf;
	struct store *st;
	struct store_device d, existing;
	struct pki_identity id;
	struct pki_cred cred;
	char *end;

	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (ch) {
		case 'o': org = optarg; break;
		case 'd': device = optarg; break;
		case 'a': admin = 1; break;
		case 'O': out = optarg; break;
		case 'D':
			errno = 0;
			days = (int)strtol(optarg, &end, 10);
			if (errno || *end || days == 0 || days > 36500 || days < -36500) {
				fprintf(stderr, "tongxind enroll: --days must be a non-zero number of days\n");
				return EXIT_USAGE;
			}
			break;
		case 'h': return usage_cmd("enroll", 1);
		default: return usage_cmd("enroll", 0);
		}
	}
	if (optind != argc - 1 || org == NULL || device == NULL || out == NULL) {
		fprintf(stderr, "tongxind enroll: DIR, --org, --device and --out are required\n");
		return usage_cmd("enroll", 0);
	}
	dir = argv[optind];
	if (!name_ok(device, 64)) {
		fprintf(stderr, "tongxind enroll: the device name must be 1-64 bytes of printable text "
		    "without '/'\n");
		return EXIT_USAGE;
	}
	if (conf_read(dir, &conf, err, sizeof err) != 0) {
		fprintf(stderr, "tongxind enroll: %s\n", err);
		return 1;
	}
	if ((st = store_open(conf_store(&conf, dir), 0, err, sizeof err)) == NULL) {
		fprintf(stderr, "tongxind enroll: %s\n", err);
		return 1;
	}
	if (store_org_scope(st, org, scope, sizeof scope, orgname, sizeof orgname) != 0) {
		fprintf(stderr, "tongxind enroll: no organisation has the code \"%s\"; the street's "
		    "administrator adds it with \"tongxin org add\" and syncs first\n", org);
		goto fail;
	}
	if (store_device_by_name(st, device, &existing) == 0) {
		fprintf(stderr, "tongxind enroll: a device named \"%s\" is already enrolled; revoke it "
		    "first or choose another name\n", device);
		goto fail;
	}
	memset(&id, 0, sizeof id);
	snprintf(id.device, sizeof id.device, "%s", device);
	snprintf(id.org_code, sizeof id.org_code, "%s", org);
	snprintf(id.role, sizeof id.role, "%s", admin ? "admin" : "office");
	if (id_new(id.device_id) != 0 ||
	    pki_device_issue(dir, &id, days, &cred, err, sizeof err) != 0) {
		fprintf(stderr, "tongxind enroll: %s\n", err[0] ? err : "random number generator failed");
		goto fail;
	}
	if (pki_bundle_write(out, &cred, conf.listen, 0, err, sizeof err) != 0) {
		fprintf(stderr, "tongxind enroll: %s\n", err);
		pki_cred_clear(&cred);
		goto fail;
	}
	pki_cred_clear(&cred);
	memset(&d, 0, sizeof d);
	snprintf(d.id, sizeof d.id, "%s", id.device_id);
	snprintf(d.name, sizeof d.name, "%s", id.device);
	snprintf(d.org_code, sizeof d.org_code, "%s", id.org_code);
	snprintf(d.role, sizeof d.role, "%s", id.role);
	snprintf(d.serial, sizeof d.serial, "%s", id.serial);
	d.enrolled_at = now_ms();
	if (store_device_add(st, &d, err, sizeof err) != 0) {
		fprintf(stderr, "tongxind enroll: %s\n", err);
		unlink(out);
		goto fail;
	}
	store_close(st);
	printf("Enrolled device %s (%s) for %s %s\n  bundle: %s (keep it secret; mode 0600)\n"
	    "  on the device: tongxin join %s\n", device, id.role, org,
	    text_show(orgname), out, out);
	return 0;
fail:
	store_close(st);
	return 1;
}

static int
cmd_revoke(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "device", required_argument, NULL, 'd' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 } };
	const char *device = NULL;
	char err[1024] = "";
	struct store *st;
	int ch;

	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (ch) {
		case 'd': device = optarg; break;
		case 'h': return usage_cmd("revoke", 1);
		default: return usage_cmd("revoke", 0);
		}
	}
	if (optind != argc - 1 || device == NULL) {
		fprintf(stderr, "tongxind revoke: DIR and --device are required\n");
		return usage_cmd("revoke", 0);
	}
	if ((st = dir_store_open(argv[optind], err, sizeof err)) == NULL ||
	    store_device_revoke(st, device, err, sizeof err) != 0) {
		fprintf(stderr, "tongxind revoke: %s\n", err);
		store_close(st);
		return 1;
	}
	store_close(st);
	printf("Revoked device %s; a running server closes its open sessions within about a "
	    "second and refuses it from now on.\n", device);
	return 0;
}

static int
cmd_serve(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "idle-timeout", required_argument, NULL, 'i' },
		{ "handshake-timeout", required_argument, NULL, 't' },
		{ "max-sessions", required_argument, NULL, 'm' },
		{ "max-preauth", required_argument, NULL, 'p' },
		{ "max-preauth-per-address", required_argument, NULL, 'a' },
		{ "new-connections-per-second", required_argument, NULL, 'r' },
		{ "log-level", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	struct serve_opts o;
	int ch, *slot, max, lvl, lock, rc;
	char err[4400];

	memset(&o, 0, sizeof o);
	o.shutdown_grace_s = 10;
	while ((ch = getopt_long(argc, argv, "hv", lo, NULL)) != -1) {
		switch (ch) {
		case 'l': o.listen = optarg; break;
		case 'i':
		case 't':
		case 'm':
		case 'p':
		case 'a':
		case 'r':
			slot = ch == 'i' ? &o.limits.idle_timeout_s :
			    ch == 't' ? &o.limits.handshake_timeout_s :
			    ch == 'm' ? &o.limits.max_sessions :
			    ch == 'p' ? &o.limits.max_preauth :
			    ch == 'a' ? &o.limits.max_preauth_per_address :
			    &o.limits.new_connections_per_second;
			max = ch == 'i' || ch == 't' ? 86400 : 1000000;
			if (conf_number(optarg, max, slot) != 0) {
				fprintf(stderr, "tongxind serve: invalid number \"%s\" (a whole number "
				    "from 1 to %d)\n", optarg, max);
				return EXIT_USAGE;
			}
			break;
		case 'v': o.log_level = LOG_LEVEL_DEBUG + 1; break;
		case 'L':
			if ((lvl = log_level_named(optarg)) < 0) {
				fprintf(stderr, "tongxind serve: unknown log level \"%s\" (error, warning, "
				    "info or debug)\n", text_show(optarg));
				return EXIT_USAGE;
			}
			o.log_level = lvl + 1;
			break;
		case 'h': return usage_cmd("serve", 1);
		default: return usage_cmd("serve", 0);
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "tongxind serve: expected exactly one data directory\n");
		return usage_cmd("serve", 0);
	}
	log_init("tongxind", LOG_LEVEL_INFO, LOG_STAMPS | LOG_LEVELS | LOG_JOURNAL);
	/* Held until the process ends: restore waits for it, a second serve is refused. */
	if ((lock = tongxind_lock(argv[optind], err, sizeof err)) < 0) {
		log_error("%s", err);
		return 1;
	}
	rc = server_run(argv[optind], &o);
	close(lock);
	return rc;
}

static int
print_device(const struct store_device *d, void *arg)
{
	char seen[32] = "never";
	(void)arg;
	if (d->last_seen) {
		time_t t = (time_t)(d->last_seen / 1000);
		struct tm tm;
		localtime_r(&t, &tm);
		strftime(seen, sizeof seen, "%Y-%m-%d %H:%M", &tm);
	}
	/* Names and codes came from the command line and the wire: shown escaped. */
	printf("%-24s %-8s %-12s %-16s %6lld %6lld %6lld  %s\n", text_show(d->name),
	    text_show(d->role), text_show(d->org_code),
	    seen, (long long)d->txns_applied, (long long)d->txns_conflict,
	    (long long)d->txns_rejected, d->revoked_at ? "revoked" : "");
	return 0;
}

static int
cmd_devices(int argc, char **argv)
{
	char err[1024] = "";
	struct store *st;

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
		return usage_cmd("devices", 1);
	if (argc != 2)
		return usage_cmd("devices", 0);
	if ((st = dir_store_open(argv[1], err, sizeof err)) == NULL) {
		fprintf(stderr, "tongxind devices: %s\n", err);
		return 1;
	}
	printf("%-24s %-8s %-12s %-16s %6s %6s %6s\n", "device", "role", "org", "last seen",
	    "ok", "confl", "rej");
	store_device_each(st, print_device, NULL);
	store_close(st);
	return 0;
}

static int
cmd_check(int argc, char **argv)
{
	static const char *const needed[] = { "tongxind.db", "ca.crt", "ca.key", "server.crt",
		"server.key" };
	struct serve_limits none, eff;
	struct server_conf conf;
	char err[1024] = "", path[4096], host[256];
	const char *dir;
	int port;

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
		return usage_cmd("check", 1);
	if (argc != 2)
		return usage_cmd("check", 0);
	dir = argv[1];
	snprintf(path, sizeof path, "%s/tongxind.conf", dir);
	memset(&none, 0, sizeof none);
	if (conf_read(dir, &conf, err, sizeof err) != 0)
		goto bad;
	if (split_hostport(conf.listen, host, sizeof host, &port) != 0) {
		snprintf(err, sizeof err, "%s:%d: listen must be HOST:PORT, not \"%s\"", path,
		    conf.line[2], text_show(conf.listen));
		goto bad;
	}
	if (conf_limits(&none, &conf, path, &eff, err, sizeof err) != 0)
		goto bad;
	/* A PostgreSQL store: no tongxind.db here, and the database must answer as ours. */
	if (conf.store[0] != '\0') {
		struct store *st = store_open(conf.store, 0, err, sizeof err);
		if (st == NULL) {
			char shown[1100], why[1024];
			conf_store_show(conf.store, shown, sizeof shown);
			snprintf(why, sizeof why, "%s", err);
			snprintf(err, sizeof err, "%s:%d: store %s: %s", path, conf.line[CONF_LINE_STORE],
			    text_show(shown), why);
			goto bad;
		}
		store_close(st);
	}
	for (size_t i = conf.store[0] != '\0'; i < sizeof needed / sizeof needed[0]; i++) {
		char f[4200];
		snprintf(f, sizeof f, "%s/%s", dir, needed[i]);
		if (access(f, R_OK) != 0) {
			snprintf(err, sizeof err, "cannot read %s: %s", f, strerror(errno));
			goto bad;
		}
	}
	conf_show(stdout, path, &conf, &eff);
	printf("%s: the configuration is valid\n", path);
	return 0;
bad:
	fprintf(stderr, "tongxind check: %s\n", err);
	return 1;
}

static int
cmd_backup(int argc, char **argv)
{
	char err[1024] = "";
	struct store *st;
	int64_t bytes = 0;
	uint64_t version = 0;
	int rc;

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
		return usage_cmd("backup", 1);
	if (argc != 3)
		return usage_cmd("backup", 0);
	if ((st = dir_store_open(argv[1], err, sizeof err)) == NULL) {
		fprintf(stderr, "tongxind backup: %s\n", err);
		return 1;
	}
	rc = store_backup(st, argv[2], &bytes, &version, err, sizeof err);
	store_close(st);
	if (rc != 0) {
		fprintf(stderr, "tongxind backup: %s\n", err);
		return 1;
	}
	printf("Backed up %s/tongxind.db to %s: %.1f MB, every change up to version %llu, "
	    "checked whole.\nKeep it with %s/ca.key and ca.crt, which it does not hold.\n",
	    text_show(argv[1]), text_show(argv[2]), (double)bytes / 1e6,
	    (unsigned long long)version, text_show(argv[1]));
	return 0;
}

/*
 * Hold DIR's lock (DIR/tongxind.lock, flock) for the life of the process:
 * serve and restore take it, so a database is never restored under a
 * running server, nor served twice. -1 with err when another holds it.
 */
static int
tongxind_lock(const char *dir, char *err, size_t errlen)
{
	char path[4096];
	struct stat sb;
	int fd;

	snprintf(path, sizeof path, "%s/tongxind.lock", dir);
	if ((fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		snprintf(err, errlen, "cannot open %s: %s", text_show(path), strerror(errno));
		return -1;
	}
	/* Made by root (a restore) in a service user's folder: the service must open it too. */
	if (geteuid() == 0 && fstat(fd, &sb) == 0 && sb.st_uid == 0 && stat(dir, &sb) == 0 &&
	    sb.st_uid != 0 && fchown(fd, sb.st_uid, sb.st_gid) != 0)
		log_warn("cannot give %s to the folder's owner", text_show(path));
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		snprintf(err, errlen, errno == EWOULDBLOCK ? "a tongxind is serving %s (it holds %s); "
		    "stop it first (systemctl stop tongxind)" : "cannot lock %s (%s): %s",
		    text_show(dir), text_show(path), strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int
cmd_restore(int argc, char **argv)
{
	struct store_restore_report rep;
	struct server_conf conf;
	char err[1024] = "";
	int lock;

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
		return usage_cmd("restore", 1);
	if (argc != 3)
		return usage_cmd("restore", 0);
	if ((lock = tongxind_lock(argv[1], err, sizeof err)) < 0) {
		fprintf(stderr, "tongxind restore: 服务器正在运行，未恢复。%s\n", err);
		return 1;
	}
	/* The street the data directory is for, as its configuration names it (when it can be read). */
	memset(&conf, 0, sizeof conf);
	if (conf_read(argv[1], &conf, err, sizeof err) != 0)
		conf.code[0] = '\0';
	err[0] = '\0';
	if (conf.store[0] != '\0') {
		fprintf(stderr, "tongxind restore: 数据在 PostgreSQL 中，请用 PostgreSQL 的工具恢复。"
		    "This street's data is in PostgreSQL (store in tongxind.conf): restore it with "
		    "PostgreSQL's own tools (pg_restore, or a base backup and its WAL).\n");
		close(lock);
		return 1;
	}
	if (store_restore(argv[1], argv[2], conf.code, &rep, err, sizeof err) != 0) {
		fprintf(stderr, "tongxind restore: 未恢复，数据库保持原样。Nothing was changed: %s\n",
		    err);
		close(lock);
		return 1;
	}
	close(lock);
	printf("已从备份恢复 Restored %s into %s/tongxind.db (street %s).\n",
	    text_show(argv[2]), text_show(argv[1]), text_show(rep.street_code));
	printf("  备份的数据截至版本 %llu。服务器在备份之后接受的修改，由各设备下次同步时补传。\n"
	    "  The backup holds every change up to version %llu. What the server took after\n"
	    "  the backup, each device sends back at its next sync (new epoch %s;\n"
	    "  versions go on above %llu).\n",
	    (unsigned long long)rep.epoch.restored_version,
	    (unsigned long long)rep.epoch.restored_version, rep.epoch.epoch,
	    (unsigned long long)rep.epoch.version_floor);
	if (rep.aside[0])
		printf("  原数据库保存在 The replaced database is kept as %s\n", text_show(rep.aside));
	if (rep.replaced_readable)
		printf("  设备 Devices: %d enrolled and %d revoked since the backup, carried over.\n",
		    rep.devices_added, rep.devices_revoked);
	else
		printf("  注意 The replaced database could not be read: enrol again the devices\n"
		    "  enrolled since the backup, and REVOKE AGAIN every device revoked since then.\n");
	printf("Start the server again: systemctl start tongxind (or tongxind serve %s).\n",
	    text_show(argv[1]));
	return 0;
}

/*
 * Add "store = URI" to DIR/tongxind.conf, keeping every line it has: a new
 * file beside it, made 0600, renamed over it. -1 with err.
 */
static int
conf_add_store(const char *dir, const char *uri, char *err, size_t errlen)
{
	char path[4096], tmp[4200], line[2048];
	FILE *in, *out;
	int fd;

	snprintf(path, sizeof path, "%s/tongxind.conf", dir);
	snprintf(tmp, sizeof tmp, "%s.new", path);
	if ((in = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
	    (out = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		fclose(in);
		return -1;
	}
	while (fgets(line, sizeof line, in) != NULL)
		fputs(line, out);
	fclose(in);
	fprintf(out, "\n# The database, moved from tongxind.db by tongxind migrate:\nstore = %s\n",
	    uri);
	if (fflush(out) != 0 || fsync(fileno(out)) != 0 || fclose(out) != 0 ||
	    rename(tmp, path) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int
cmd_migrate(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "store", required_argument, NULL, 'S' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 } };
	struct server_conf conf;
	char err[1024] = "", db[4200], aside[4300], shown[1100];
	const char *uri = NULL, *dir;
	int ch, lock;

	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (ch) {
		case 'S': uri = optarg; break;
		case 'h': return usage_cmd("migrate", 1);
		default: return usage_cmd("migrate", 0);
		}
	}
	if (optind != argc - 1 || uri == NULL) {
		fprintf(stderr, "tongxind migrate: DIR and --store are required\n");
		return usage_cmd("migrate", 0);
	}
	dir = argv[optind];
	if (!store_is_pg(uri) || strlen(uri) >= sizeof conf.store) {
		fprintf(stderr, "tongxind migrate: --store must be a postgresql:// address of at most "
		    "%zu bytes\n", sizeof conf.store - 1);
		return EXIT_USAGE;
	}
	if (conf_read(dir, &conf, err, sizeof err) != 0) {
		fprintf(stderr, "tongxind migrate: %s\n", err);
		return 1;
	}
	if (conf.store[0] != '\0') {
		conf_store_show(conf.store, shown, sizeof shown);
		fprintf(stderr, "tongxind migrate: the street's data is in PostgreSQL already (%s)\n",
		    text_show(shown));
		return 1;
	}
	if ((lock = tongxind_lock(dir, err, sizeof err)) < 0) {
		fprintf(stderr, "tongxind migrate: 服务器正在运行，未迁移。%s\n", err);
		return 1;
	}
	snprintf(db, sizeof db, "%s/tongxind.db", dir);
	conf_store_show(uri, shown, sizeof shown);
#ifdef TX_HAVE_PG
	{
		int64_t rows = 0;
		sqlite3 *h = NULL;
		/* The WAL folded into the file first: what is copied and what is kept are one. */
		if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
		    sqlite3_exec(h, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL) != SQLITE_OK) {
			fprintf(stderr, "tongxind migrate: cannot open %s: %s\n", text_show(db),
			    h ? sqlite3_errmsg(h) : "out of memory");
			sqlite3_close(h);
			close(lock);
			return 1;
		}
		sqlite3_close(h);
		if (pgs_move_from_sqlite(db, uri, &rows, err, sizeof err) != 0) {
			fprintf(stderr, "tongxind migrate: 未迁移，两边都保持原样。Nothing was moved: %s\n",
			    err);
			close(lock);
			return 1;
		}
		snprintf(aside, sizeof aside, "%s.moved-%lld", db, (long long)(now_ms() / 1000));
		if (conf_add_store(dir, uri, err, sizeof err) != 0 || rename(db, aside) != 0) {
			fprintf(stderr, "tongxind migrate: the data is in %s, but %s; add \"store = ...\" "
			    "to tongxind.conf by hand\n", text_show(shown), err[0] ? err : strerror(errno));
			close(lock);
			return 1;
		}
		close(lock);
		printf("已迁移 Moved street %s (%lld rows) into %s.\n", text_show(conf.street),
		    (long long)rows, text_show(shown));
		printf("  tongxind.conf names it (store = ...); the SQLite database is kept as %s.\n"
		    "  Devices go on syncing where they were. Start the server again: systemctl start "
		    "tongxind (or tongxind serve %s).\n", text_show(aside), text_show(dir));
		return 0;
	}
#else
	close(lock);
	fprintf(stderr, "tongxind migrate: this tongxind was built without PostgreSQL (libpq)\n");
	return 1;
#endif
}

int
tongxind_main(int argc, char **argv)
{
	/* Whatever tongxind creates (database, WAL, keys, bundles) is for this user alone. */
	umask(077);
	log_init("tongxind", LOG_LEVEL_INFO, 0);
	if (argc < 2) {
		usage_all(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage_all(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		return version_print("tongxind");
	}
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, argv[1]) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "tongxind: unknown command \"%s\"\n", argv[1]);
	usage_all(stderr);
	return EXIT_USAGE;
}
