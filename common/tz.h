/*
 * tz.h - the street's time zone (issue 12, item 3): every "today" of the
 * server and of the offices' tongxin is the street's, whatever zone the
 * machine's clock is set to, so that a meeting a clerk dates today is never
 * "in the future" on a server whose clock runs in UTC.
 *
 * A zone is named as in the IANA database ("Asia/Shanghai"); the name is
 * checked (its shape, and a zone file under $TZDIR or /usr/share/zoneinfo
 * that starts with the "TZif" magic) before the process takes it as its
 * TZ, so a typo never silently leaves the process in UTC. Both sides use
 * the same checks: tongxind on its tongxind.conf, tongxin on the name the
 * server's Welcome gave it.
 */
#ifndef TX_TZ_H
#define TX_TZ_H

#include <stdbool.h>
#include <stddef.h>

/* The street's zone when tongxind.conf names none. */
#define TZ_STREET_DEFAULT "Asia/Shanghai"
/*
 * What TZ_STREET_DEFAULT is where no zone file holds it (no tzdata): China
 * Standard Time, UTC+8, with no daylight saving time since 1991.
 */
#define TZ_STREET_FALLBACK "CST-8"
/* The longest zone name accepted, in bytes (the longest IANA name is 32). */
#define TZ_NAME_MAX 64

/*
 * Whether name has the shape of an IANA zone name: 1 to TZ_NAME_MAX bytes
 * of ASCII letters, digits and "_+-/", not starting with "/" (the name is
 * joined to the zone directory: no absolute path, and no "." so no "..").
 * The shape only; tz_check also asks for the zone file.
 */
bool is_tz_name(const char *name);
/*
 * 0 when name is a zone this machine knows: is_tz_name, and its file under
 * $TZDIR (or /usr/share/zoneinfo) is a regular file starting with "TZif".
 * -1 otherwise, with the reason in err (English, no name quoted: callers
 * say 'unknown time zone "NAME" (REASON)').
 */
int tz_check(const char *name, char *err, size_t errlen);
/*
 * The TZ value that makes name the process's zone, into out (cap bytes):
 * name itself when tz_check passes; when it fails for TZ_STREET_DEFAULT
 * only because the zone file is missing and fallback_ok is set,
 * TZ_STREET_FALLBACK (and *fell_back set, so the caller can say so).
 * -1 with err as tz_check's otherwise.
 */
int tz_resolve(const char *name, bool fallback_ok, char *out, size_t cap, bool *fell_back,
    char *err, size_t errlen);
/*
 * Make value (a tz_resolve result) the process's zone: setenv("TZ") and
 * tzset(), so localtime and today_str() follow it. The environment is
 * written only when TZ differs from value: setenv is not thread-safe, and
 * a process that opens its replica again from another thread (the web
 * desk) then leaves it alone. 0, or -1 when setenv fails.
 */
int tz_apply(const char *value);
/*
 * tz_resolve then tz_apply: the process takes the zone named name, or
 * keeps its own when name is not one this machine knows (-1, reason in
 * err). fallback_ok as for tz_resolve.
 */
int tz_use(const char *name, bool fallback_ok, char *err, size_t errlen);

#endif
