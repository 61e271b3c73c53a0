/*
 * log.h - one logging convention for both programs.
 *
 * log_warn() appends strerror(errno); log_warnx() does not. fatal()/fatalx()
 * log and exit(1): only at start-up or for a broken invariant. Lines go to
 * stderr as "PROG: message". The server's log (tongxind serve) has every
 * line say its level ("PROG: warning: message") and start with a UTC
 * timestamp; under systemd, when stderr is the journal's stream
 * ($JOURNAL_STREAM names it), a line starts with its syslog priority
 * ("<4>") instead of the timestamp, which the journal keeps itself.
 * The message is escaped with text_safe() (text.h): one call writes exactly
 * one line, whatever a peer put in the strings it carries.
 */
#ifndef TX_LOG_H
#define TX_LOG_H

#include <stdarg.h>

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* log_init's flags. */
#define LOG_STAMPS  0x1   /* a UTC timestamp in front of each line */
#define LOG_LEVELS  0x2   /* each line says its level: "error: ", "warning: ", "info: " */
#define LOG_JOURNAL 0x4   /* when stderr is the journal's: "<N>" priorities, no timestamp */

/* Set the program name, verbosity and the form of lines (LOG_* flags). */
void log_init(const char *prog, enum log_level level, int flags);
/* The level a name gives ("error", "warning", "info", "debug"); -1 for another name. */
int log_level_named(const char *name);
/* A level's name, as log_level_named takes it. */
const char *log_level_name(enum log_level level);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
