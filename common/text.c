/* text.c - see text.h. */
#include "text.h"

#include <stdlib.h>
#include <string.h>

/* Decode one UTF-8 code point at *p, advancing it. Invalid bytes count as U+FFFD. */
static uint32_t
next_cp(const unsigned char **p)
{
	const unsigned char *s = *p;
	uint32_t cp;
	int n;

	if (s[0] < 0x80) { *p = s + 1; return s[0]; }
	if ((s[0] & 0xe0) == 0xc0) { cp = s[0] & 0x1f; n = 1; }
	else if ((s[0] & 0xf0) == 0xe0) { cp = s[0] & 0x0f; n = 2; }
	else if ((s[0] & 0xf8) == 0xf0) { cp = s[0] & 0x07; n = 3; }
	else { *p = s + 1; return 0xfffd; }
	for (int i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80) { *p = s + i; return 0xfffd; }
		cp = cp << 6 | (s[i] & 0x3f);
	}
	*p = s + n + 1;
	return cp;
}

/* East Asian Wide and Fullwidth ranges that matter for Chinese text. */
static int
cp_width(uint32_t cp)
{
	if (cp == 0)
		return 0;
	if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
		return 0;
	if ((cp >= 0x0300 && cp <= 0x036f) || (cp >= 0x200b && cp <= 0x200f) || cp == 0xfeff)
		return 0;   /* combining marks, zero-width characters */
	if ((cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0x303e) ||
	    (cp >= 0x3041 && cp <= 0x33ff) || (cp >= 0x3400 && cp <= 0x4dbf) ||
	    (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xa000 && cp <= 0xa4cf) ||
	    (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
	    (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
	    (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1f64f) ||
	    (cp >= 0x20000 && cp <= 0x3fffd))
		return 2;
	return 1;
}

int
text_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int w = 0;

	while (*p)
		w += cp_width(next_cp(&p));
	return w;
}

void
text_pad(FILE *f, const char *s, int width)
{
	int w = text_width(s);
	fputs(s, f);
	for (; w < width; w++)
		fputc(' ', f);
}

size_t
text_decode(const char *s, uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c;
	size_t n;

	if (p[0] == 0)
		return 0;
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, c = p[0] & 0x1fu;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, c = p[0] & 0x0fu;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, c = p[0] & 0x07u;
	else
		return 0;   /* a continuation byte, an overlong lead (C0, C1) or F5..FF */
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;   /* also stops at the NUL */
		c = c << 6 | (p[i] & 0x3fu);
	}
	/* No overlong forms, no UTF-16 surrogates, nothing above U+10FFFF. */
	if ((n == 3 && c < 0x800) || (c >= 0xd800 && c <= 0xdfff) || (n == 4 && c < 0x10000) ||
	    c > 0x10ffff)
		return 0;
	*cp = c;
	return n;
}

bool
is_text_unsafe(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
	    cp == 0x061c ||                        /* ARABIC LETTER MARK */
	    cp == 0x200e || cp == 0x200f ||        /* LRM, RLM */
	    (cp >= 0x2028 && cp <= 0x202e) ||      /* LS, PS, LRE, RLE, PDF, LRO, RLO */
	    (cp >= 0x2066 && cp <= 0x2069);        /* LRI, RLI, FSI, PDI */
}

/* Where a rendering goes: out[0..cap), cut only between pieces; len counts everything. */
struct sink {
	char *out;
	size_t cap, used, len;
	bool full;
};

static void
sink_put(struct sink *k, const char *s, size_t n)
{
	if (!k->full && k->used + n < k->cap) {
		memcpy(k->out + k->used, s, n);
		k->used += n;
	} else {
		k->full = true;
	}
	k->len += n;
}

size_t
text_safe_flags(const char *in, char *out, size_t cap, unsigned flags)
{
	struct sink k = { out, cap, 0, 0, false };
	const char *p = in ? in : "";

	while (*p) {
		char esc[8];
		uint32_t cp;
		size_t n = text_decode(p, &cp);

		if (n == 0) {
			snprintf(esc, sizeof esc, "\\x%02x", (unsigned char)*p);
			sink_put(&k, esc, 4);
			p++;
			continue;
		}
		if (!is_text_unsafe(cp) || ((flags & TEXT_KEEP_BREAKS) &&
		    (cp == '\t' || cp == '\n' || (cp == '\r' && p[1] == '\n')))) {
			sink_put(&k, p, n);
		} else if (cp == '\t' || cp == '\n' || cp == '\r') {
			sink_put(&k, cp == '\t' ? "\\t" : cp == '\n' ? "\\n" : "\\r", 2);
		} else if (cp < 0x80) {
			snprintf(esc, sizeof esc, "\\x%02x", (unsigned)cp);
			sink_put(&k, esc, 4);
		} else {
			snprintf(esc, sizeof esc, "\\u%04x", (unsigned)cp);
			sink_put(&k, esc, 6);
		}
		p += n;
	}
	if (cap > 0)
		out[k.used] = '\0';
	return k.len;
}

size_t
text_safe(const char *in, char *out, size_t cap)
{
	return text_safe_flags(in, out, cap, 0);
}

char *
text_safe_dup(const char *in, unsigned flags)
{
	size_t n = text_safe_flags(in, NULL, 0, flags);
	char *s = malloc(n + 1);

	if (s != NULL)
		text_safe_flags(in, s, n + 1, flags);
	return s;
}

void
text_put_lines(FILE *f, const char *s, int indent)
{
	const char *p = s ? s : "";

	for (;;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char *line, *safe;

		if (nl && n > 0 && p[n - 1] == '\r')
			n--;   /* CRLF */
		if ((line = strndup(p, n)) == NULL || (safe = text_safe_dup(line, 0)) == NULL) {
			free(line);
			fputs("?", f);
			return;
		}
		fputs(safe, f);
		free(safe);
		free(line);
		if (nl == NULL)
			return;
		fprintf(f, "\n%*s", indent, "");
		p = nl + 1;
	}
}

const char *
text_show(const char *in)
{
	static _Thread_local struct {
		char *buf;
		size_t cap;
	} ring[8];
	static _Thread_local unsigned next;
	size_t n = text_safe(in, NULL, 0);
	unsigned i = next++ % 8;

	if (ring[i].cap < n + 1) {
		char *b = realloc(ring[i].buf, n + 1);
		if (b == NULL)
			return "?";
		ring[i].buf = b;
		ring[i].cap = n + 1;
	}
	text_safe(in, ring[i].buf, ring[i].cap);
	return ring[i].buf;
}
