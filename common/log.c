/* log.c - see log.h. */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "text.h"

static const char *log_prog = "tongxin";
static enum log_level log_level = LOG_LEVEL_INFO;
static int log_flags;

/* Each level's word and syslog priority; fatal() logs as an error. */
static const struct {
	const char *name, *tag;
	int prio;
} log_levels[] = {
	[LOG_LEVEL_ERROR] = { "error", "error: ", 3 },
	[LOG_LEVEL_WARN] = { "warning", "warning: ", 4 },
	[LOG_LEVEL_INFO] = { "info", "info: ", 6 },
	[LOG_LEVEL_DEBUG] = { "debug", "debug: ", 7 },
};

/*
 * Whether stderr is the journal's stream: systemd sets $JOURNAL_STREAM to
 * its "device:inode" for a service whose output goes to the journal; a
 * stderr redirected elsewhere by then (a pipe, a file) is not it.
 */
static int
stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat sb;
	char tail;

	return e != NULL && sscanf(e, "%llu:%llu%c", &dev, &ino, &tail) == 2 &&
	    fstat(STDERR_FILENO, &sb) == 0 && (unsigned long long)sb.st_dev == dev &&
	    (unsigned long long)sb.st_ino == ino;
}

void
log_init(const char *prog, enum log_level level, int flags)
{
	log_prog = prog;
	log_level = level;
	log_flags = flags & (LOG_STAMPS | LOG_LEVELS);
	if ((flags & LOG_JOURNAL) && stderr_is_journal())
		log_flags = (log_flags & ~LOG_STAMPS) | LOG_JOURNAL;
}

int
log_level_named(const char *name)
{
	for (size_t i = 0; i < sizeof log_levels / sizeof log_levels[0]; i++)
		if (strcmp(name, log_levels[i].name) == 0)
			return (int)i;
	return -1;
}

const char *
log_level_name(enum log_level level)
{
	return (size_t)level < sizeof log_levels / sizeof log_levels[0] ? log_levels[level].name :
	    "?";
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

/*
 * Write one line of level lvl; errnum >= 0 appends its description. tag
 * is said in front of the message ("fatal: "), else the level's word where
 * lines say it. The message often carries text a peer chose (a program
 * version, an operator's name, a device name): it is escaped with
 * text_safe(), so a line break or a terminal control in it can neither
 * forge a log line nor reach the operator's terminal raw.
 */
static void
log_vline(enum log_level lvl, const char *tag, int errnum, const char *fmt, va_list ap)
{
	char raw[2048], msg[4 * sizeof raw];
	char stamp[40] = "";

	vsnprintf(raw, sizeof raw, fmt, ap);
	text_safe(raw, msg, sizeof msg);
	if (log_flags & LOG_JOURNAL) {
		snprintf(stamp, sizeof stamp, "<%d>", log_levels[lvl].prio);
	} else if (log_flags & LOG_STAMPS) {
		struct timeval tv;
		struct tm tm;
		gettimeofday(&tv, NULL);
		gmtime_r(&tv.tv_sec, &tm);
		strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(stamp + strlen(stamp), sizeof stamp - strlen(stamp), ".%03dZ ",
		    (int)(tv.tv_usec / 1000));
	}
	if (tag == NULL)
		tag = log_flags & (LOG_LEVELS | LOG_JOURNAL) ? log_levels[lvl].tag :
		    lvl == LOG_LEVEL_DEBUG ? "debug: " : "";
	if (errnum >= 0)
		fprintf(stderr, "%s%s: %s%s: %s\n", stamp, log_prog, tag, msg, strerror(errnum));
	else
		fprintf(stderr, "%s%s: %s%s\n", stamp, log_prog, tag, msg);
	fflush(stderr);
}

#define LOG_BODY(lvl, errnum) do {			\
	va_list ap;					\
	if (log_level < (lvl)) return;			\
	va_start(ap, fmt);				\
	log_vline(lvl, NULL, errnum, fmt, ap);		\
	va_end(ap);					\
} while (0)

void log_error(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_ERROR, -1); }
void log_warn(const char *fmt, ...)  { int e = errno; LOG_BODY(LOG_LEVEL_WARN, e); }
void log_warnx(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_WARN, -1); }
void log_info(const char *fmt, ...)  { LOG_BODY(LOG_LEVEL_INFO, -1); }
void log_debug(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_DEBUG, -1); }

void
fatal(const char *fmt, ...)
{
	int e = errno;
	va_list ap;
	va_start(ap, fmt);
	log_vline(LOG_LEVEL_ERROR, "fatal: ", e, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vline(LOG_LEVEL_ERROR, "fatal: ", -1, fmt, ap);
	va_end(ap);
	exit(1);
}
