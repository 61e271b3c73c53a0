/* text.c - see text.h. */
#include "text.h"

#include <stdint.h>

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
