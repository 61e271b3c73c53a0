/* addr.c - see addr.h. */
#include "addr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int
split_hostport(const char *s, char *host, size_t hostcap, int *port)
{
	const char *colon;
	char *end;
	long p;
	size_t hn;

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (rb == NULL || rb[1] != ':')
			return -1;
		hn = (size_t)(rb - s - 1);
		if (hn == 0 || hn >= hostcap)
			return -1;
		memcpy(host, s + 1, hn);
		colon = rb + 1;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return -1;
		hn = (size_t)(colon - s);
		if (hn == 0 || hn >= hostcap)
			return -1;
		memcpy(host, s, hn);
	}
	host[hn] = '\0';
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || end == colon + 1 || p < 1 || p > 65535)
		return -1;
	*port = (int)p;
	return 0;
}
