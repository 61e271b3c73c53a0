/*
 * web_json.c - a JSON writer on evbuffers for the desk's API (web.h).
 *
 * Strings are escaped so that the output is safe in any context it could
 * land in: quotes, backslashes and every control character, and also
 * < > & ' (as \u00XX) and U+2028/U+2029. Bytes that are not UTF-8 become
 * U+FFFD, so a damaged value can never break the document.
 */
#include "web.h"

#include <inttypes.h>
#include <string.h>

#include <event2/buffer.h>

#include "text.h"

void
jw_init(struct jw *j, struct evbuffer *b)
{
	memset(j, 0, sizeof *j);
	j->b = b;
	j->first[0] = true;
}

/* A comma before a value unless it is the first in its container or follows a key. */
static void
sep(struct jw *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (!j->first[j->depth])
		evbuffer_add(j->b, ",", 1);
	j->first[j->depth] = false;
}

static void
open_(struct jw *j, const char *c)
{
	sep(j);
	evbuffer_add(j->b, c, 1);
	if (j->depth < (int)(sizeof j->first / sizeof j->first[0]) - 1)
		j->depth++;
	j->first[j->depth] = true;
}

static void
close_(struct jw *j, const char *c)
{
	evbuffer_add(j->b, c, 1);
	if (j->depth > 0)
		j->depth--;
}

void jw_obj(struct jw *j) { open_(j, "{"); }
void jw_end_obj(struct jw *j) { close_(j, "}"); }
void jw_arr(struct jw *j) { open_(j, "["); }
void jw_end_arr(struct jw *j) { close_(j, "]"); }

static void
put_str(struct evbuffer *b, const char *s)
{
	evbuffer_add(b, "\"", 1);
	while (*s) {
		uint32_t cp;
		size_t n = text_decode(s, &cp);
		if (n == 0) {
			evbuffer_add(b, "\\ufffd", 6);
			s++;
			continue;
		}
		if (cp == '"' || cp == '\\') {
			char esc[2] = { '\\', (char)cp };
			evbuffer_add(b, esc, 2);
		} else if (cp < 0x20 || cp == '<' || cp == '>' || cp == '&' || cp == '\'' ||
		    cp == 0x7f || cp == 0x2028 || cp == 0x2029) {
			evbuffer_add_printf(b, "\\u%04x", (unsigned)cp);
		} else {
			evbuffer_add(b, s, n);
		}
		s += n;
	}
	evbuffer_add(b, "\"", 1);
}

void
jw_key(struct jw *j, const char *k)
{
	sep(j);
	put_str(j->b, k);
	evbuffer_add(j->b, ":", 1);
	j->after_key = true;
}

void
jw_str(struct jw *j, const char *s)
{
	sep(j);
	if (s == NULL)
		evbuffer_add(j->b, "null", 4);
	else
		put_str(j->b, s);
}

void
jw_int(struct jw *j, int64_t v)
{
	sep(j);
	evbuffer_add_printf(j->b, "%" PRId64, v);
}

void
jw_bool(struct jw *j, bool v)
{
	sep(j);
	evbuffer_add(j->b, v ? "true" : "false", v ? 4 : 5);
}

void
jw_null(struct jw *j)
{
	sep(j);
	evbuffer_add(j->b, "null", 4);
}

void jw_kstr(struct jw *j, const char *k, const char *s) { jw_key(j, k); jw_str(j, s); }
void jw_kint(struct jw *j, const char *k, int64_t v) { jw_key(j, k); jw_int(j, v); }
void jw_kbool(struct jw *j, const char *k, bool v) { jw_key(j, k); jw_bool(j, v); }
