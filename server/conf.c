/* conf.c - the data directory's tongxind.conf: "key = value" lines. */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
conf_read(const char *dir, struct server_conf *c, char *err, size_t errlen)
{
	char path[4096], line[1024];
	FILE *f;
	int n = 0;

	memset(c, 0, sizeof *c);
	snprintf(path, sizeof path, "%s/tongxind.conf", dir);
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s is not a tongxind data directory (cannot read %s: %s); "
		    "create one with: tongxind init %s --street NAME", dir, path, strerror(errno), dir);
		return -1;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		char *eq, *k, *v, *e;
		n++;
		line[strcspn(line, "\r\n")] = '\0';
		for (k = line; *k == ' ' || *k == '\t'; k++)
			;
		if (*k == '#' || *k == '\0')
			continue;
		if ((eq = strchr(k, '=')) == NULL) {
			snprintf(err, errlen, "%s:%d: expected \"key = value\"", path, n);
			fclose(f);
			return -1;
		}
		for (e = eq; e > k && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		*e = '\0';
		for (v = eq + 1; *v == ' ' || *v == '\t'; v++)
			;
		if (strcmp(k, "street") == 0)
			snprintf(c->street, sizeof c->street, "%s", v);
		else if (strcmp(k, "code") == 0)
			snprintf(c->code, sizeof c->code, "%s", v);
		else if (strcmp(k, "listen") == 0)
			snprintf(c->listen, sizeof c->listen, "%s", v);
		else {
			snprintf(err, errlen, "%s:%d: unknown setting \"%s\"", path, n, k);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	if (c->street[0] == '\0' || c->code[0] == '\0' || c->listen[0] == '\0') {
		snprintf(err, errlen, "%s: street, code and listen must all be set", path);
		return -1;
	}
	return 0;
}

int
conf_write(const char *dir, const struct server_conf *c, char *err, size_t errlen)
{
	char path[4096];
	FILE *f;
	int fd;

	snprintf(path, sizeof path, "%s/tongxind.conf", dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
	    (f = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	fprintf(f, "# tongxind configuration, written by tongxind init\n"
	    "street = %s\ncode = %s\nlisten = %s\n", c->street, c->code, c->listen);
	if (fclose(f) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}
