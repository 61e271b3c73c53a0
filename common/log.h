/*
 * log.h - one logging convention for both programs.
 *
 * log_warn() appends strerror(errno); log_warnx() does not. fatal()/fatalx()
 * log and exit(1): only at start-up or for a broken invariant. Lines go to
 * stderr as "PROG: LEVEL: message"; the server adds a UTC timestamp.
 * The message is escaped with text_safe() (text.h): one call writes exactly
 * one line, whatever a peer put in the strings it carries.
 */
#ifndef TX_LOG_H
#define TX_LOG_H

#include <stdarg.h>

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* Set the program name, verbosity and whether lines carry a timestamp. */
void log_init(const char *prog, enum log_level level, int timestamps);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
