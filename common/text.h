/*
 * text.h - UTF-8 text as a terminal shows it: display width (CJK ideographs
 * and fullwidth forms take two columns), padding to a width, and making
 * text from the wire or the database safe to show.
 *
 * Safe to show: a name, reason or operator that came from another office
 * (through the server or the replica) must not move the cursor, clear the
 * screen, start an OSC hyperlink, reorder the line (bidi overrides) or
 * forge a line of a table or a log. text_safe() renders every such code
 * point visibly and leaves everything else - Chinese, ASCII, other
 * scripts - byte for byte as it was:
 *
 *   TAB, LF, CR                         \t  \n  \r
 *   other C0 controls, DEL              \x01 ... \x1f, \x7f  (ESC is \x1b)
 *   C1 controls U+0080..U+009F          \u0080 ... \u009f    (CSI is \u009b)
 *   bidi marks, embeddings, overrides,  \u061c \u200e \u200f \u202a..\u202e
 *   isolates, line/paragraph separators \u2066..\u2069 \u2028 \u2029
 *   bytes that are not UTF-8            \xNN each (overlong forms, surrogates,
 *                                       code points above U+10FFFF included)
 *
 * A backslash is left alone, so the rendering is for people, not a code to
 * decode: the JSON and CSV writers (client/table.c) keep their own formats.
 */
#ifndef TX_TEXT_H
#define TX_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Columns the UTF-8 string s occupies in a terminal. */
int text_width(const char *s);
/* Print s and pad with spaces to width columns (no truncation). */
void text_pad(FILE *f, const char *s, int width);

/* Flags of text_safe_flags(). */
#define TEXT_KEEP_BREAKS 0x1u  /* leave TAB, LF and CR before LF as they are (a quoted CSV cell) */

/*
 * Decode the UTF-8 character at s (strictly: no overlong forms, no
 * surrogates, nothing above U+10FFFF). Returns its length in bytes with
 * *cp set, or 0 when s does not start with a valid character (or with NUL).
 */
size_t text_decode(const char *s, uint32_t *cp);

/* Whether code point cp must not reach a terminal or a log raw (the list above). */
bool is_text_unsafe(uint32_t cp);

/*
 * Render in (NULL reads as "") safe to show, as described above, into out:
 * at most cap bytes including the terminating NUL (cap 0: out untouched).
 * An escape or a character is never cut in half. Returns the length of the
 * whole rendering, so a result >= cap means out holds a truncated prefix,
 * as with snprintf. The rendering is never more than 4 times as long as in.
 */
size_t text_safe(const char *in, char *out, size_t cap);
/* text_safe() with TEXT_* flags. */
size_t text_safe_flags(const char *in, char *out, size_t cap, unsigned flags);
/* The rendering of in in a new string (free it), or NULL when out of memory. */
char *text_safe_dup(const char *in, unsigned flags);
/*
 * Print s (NULL: nothing) made safe, but with its line breaks (LF or CRLF)
 * kept as line breaks: each line after the first starts with indent
 * spaces, so a multi-line value (minutes, an address) reads as one, yet
 * never starts a line at the left margin where it could pass for another
 * field. Writes no final line break.
 */
void text_put_lines(FILE *f, const char *s, int indent);
/*
 * The rendering of in for a printf argument, in one of 8 buffers this
 * thread owns and reuses in turn: valid until 8 more calls of text_show()
 * in the same thread, so one printf may take up to 8 of them. Never NULL
 * ("?" when out of memory).
 */
const char *text_show(const char *in);

#endif
