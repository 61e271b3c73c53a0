/*
 * text.h - UTF-8 text as a terminal shows it: display width (CJK ideographs
 * and fullwidth forms take two columns) and padding to a width.
 */
#ifndef TX_TEXT_H
#define TX_TEXT_H

#include <stddef.h>
#include <stdio.h>

/* Columns the UTF-8 string s occupies in a terminal. */
int text_width(const char *s);
/* Print s and pad with spaces to width columns (no truncation). */
void text_pad(FILE *f, const char *s, int width);

#endif
