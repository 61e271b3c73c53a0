/* tz.c - the street's time zone: check an IANA zone name, make it the process's. */
#include "tz.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

bool
is_tz_name(const char *name)
{
	size_t n = 0;

	if (name == NULL || name[0] == '\0' || name[0] == '/')
		return false;
	for (const char *p = name; *p != '\0'; p++, n++) {
		char ch = *p;
		if (n >= TZ_NAME_MAX)
			return false;
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '_' || ch == '+' || ch == '-' || ch == '/'))
			return false;
	}
	/* "." is not among the characters above, so "..": checked again for whoever widens them. */
	return strstr(name, "..") == NULL;
}

/* The directory glibc reads zone files from: $TZDIR when set, else the system's. */
static const char *
tz_dir(void)
{
	const char *d = getenv("TZDIR");

	return d != NULL && d[0] != '\0' ? d : "/usr/share/zoneinfo";
}

/*
 * tz_check, saying also whether the only fault is a missing file (*missing),
 * which the street's default may survive (tz_resolve).
 */
static int
tz_check_how(const char *name, bool *missing, char *err, size_t errlen)
{
	char path[4200], magic[4];
	struct stat sb;
	int fd;
	ssize_t got;

	*missing = false;
	if (!is_tz_name(name)) {
		snprintf(err, errlen, "an IANA zone name such as Asia/Shanghai: at most %d letters, "
		    "digits and _+-/", TZ_NAME_MAX);
		return -1;
	}
	snprintf(path, sizeof path, "%s/%s", tz_dir(), name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
		*missing = errno == ENOENT || errno == ENOTDIR;
		if (*missing)
			snprintf(err, errlen, "%s does not exist", path);
		else
			snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	got = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) ? read(fd, magic, sizeof magic) : -1;
	close(fd);
	if (got != (ssize_t)sizeof magic || memcmp(magic, "TZif", sizeof magic) != 0) {
		snprintf(err, errlen, "%s is not a zone file", path);
		return -1;
	}
	return 0;
}

int
tz_check(const char *name, char *err, size_t errlen)
{
	bool missing;

	return tz_check_how(name, &missing, err, errlen);
}

int
tz_resolve(const char *name, bool fallback_ok, char *out, size_t cap, bool *fell_back,
    char *err, size_t errlen)
{
	bool missing;

	*fell_back = false;
	if (tz_check_how(name, &missing, err, errlen) == 0) {
		snprintf(out, cap, "%s", name);
		return 0;
	}
	if (fallback_ok && missing && strcmp(name, TZ_STREET_DEFAULT) == 0) {
		snprintf(out, cap, "%s", TZ_STREET_FALLBACK);
		*fell_back = true;
		return 0;
	}
	return -1;
}

int
tz_apply(const char *value)
{
	const char *now = getenv("TZ");

	if (now == NULL || strcmp(now, value) != 0) {
		if (setenv("TZ", value, 1) != 0)
			return -1;
	}
	/* glibc's localtime_r reads TZ once only: tzset makes it read it again. */
	tzset();
	return 0;
}

int
tz_use(const char *name, bool fallback_ok, char *err, size_t errlen)
{
	char value[TZ_NAME_MAX + 1];
	bool fell_back;

	if (tz_resolve(name, fallback_ok, value, sizeof value, &fell_back, err, errlen) != 0)
		return -1;
	if (tz_apply(value) != 0) {
		snprintf(err, errlen, "cannot set TZ: %s", strerror(errno));
		return -1;
	}
	return 0;
}
