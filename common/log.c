/* log.c - see log.h. */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/time.h>

#include "text.h"

static const char *log_prog = "tongxin";
static enum log_level log_level = LOG_LEVEL_INFO;
static int log_stamps;

void
log_init(const char *prog, enum log_level level, int timestamps)
{
	log_prog = prog;
	log_level = level;
	log_stamps = timestamps;
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
 * Write one line; errnum >= 0 appends its description. The message often
 * carries text a peer chose (a program version, an operator's name, a
 * device name): it is escaped with text_safe(), so a line break or a
 * terminal control in it can neither forge a log line nor reach the
 * operator's terminal raw.
 */
static void
log_vline(const char *tag, int errnum, const char *fmt, va_list ap)
{
	char raw[2048], msg[4 * sizeof raw];
	char stamp[40] = "";

	vsnprintf(raw, sizeof raw, fmt, ap);
	text_safe(raw, msg, sizeof msg);
	if (log_stamps) {
		struct timeval tv;
		struct tm tm;
		gettimeofday(&tv, NULL);
		gmtime_r(&tv.tv_sec, &tm);
		strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(stamp + strlen(stamp), sizeof stamp - strlen(stamp), ".%03dZ ",
		    (int)(tv.tv_usec / 1000));
	}
	if (errnum >= 0)
		fprintf(stderr, "%s%s: %s%s: %s\n", stamp, log_prog, tag, msg, strerror(errnum));
	else
		fprintf(stderr, "%s%s: %s%s\n", stamp, log_prog, tag, msg);
	fflush(stderr);
}

#define LOG_BODY(lvl, tag, errnum) do {			\
	va_list ap;					\
	if (log_level < (lvl)) return;			\
	va_start(ap, fmt);				\
	log_vline(tag, errnum, fmt, ap);		\
	va_end(ap);					\
} while (0)

void log_warn(const char *fmt, ...)  { int e = errno; LOG_BODY(LOG_LEVEL_WARN, "", e); }
void log_warnx(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_WARN, "", -1); }
void log_info(const char *fmt, ...)  { LOG_BODY(LOG_LEVEL_INFO, "", -1); }
void log_debug(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_DEBUG, "debug: ", -1); }

void
fatal(const char *fmt, ...)
{
	int e = errno;
	va_list ap;
	va_start(ap, fmt);
	log_vline("fatal: ", e, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vline("fatal: ", -1, fmt, ap);
	va_end(ap);
	exit(1);
}
