/*
 * test_text.c - table-driven unit tests of making text from the wire or
 * the database safe where it is shown (issue 8, items 7 and 8):
 *
 *   - text_safe: C0 controls (TAB, LF, CR, ESC and the rest), DEL, C1
 *     controls (U+0085, U+009B CSI), ANSI and OSC escape sequences, bidi
 *     embeddings, overrides, isolates and marks, line and paragraph
 *     separators, invalid UTF-8 (stray continuation bytes, truncated
 *     sequences, overlong forms, surrogates, code points above U+10FFFF,
 *     F5..FF) each shown as an escape; Chinese, ASCII, a backslash, emoji
 *     and other scripts untouched; truncation never cuts an escape or a
 *     character and returns the whole length as snprintf does;
 *     TEXT_KEEP_BREAKS; text_safe_dup; text_show's 8 buffers;
 *   - log lines: a message with CR, LF, ESC and U+009B is one escaped line;
 *   - table_print as text: hostile cells escaped, and Chinese still aligned;
 *   - table_print as CSV: formula cells (= + - @ TAB CR, apostrophes before
 *     them) get an apostrophe; citizen ID numbers (X too), 11-digit phone
 *     numbers and leading zeros get a TAB; number columns keep -3, 12.5,
 *     40% and "-"; table_csv_unmark gives back exactly every value written;
 *   - table_print as JSON: C0, DEL, C1 and bidi as \uXXXX, invalid UTF-8 as
 *     U+FFFD, and the output parses (python3, when there).
 *
 * Exit status 0 when every check holds; otherwise each failed check is
 * printed and the status is 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "table.h"
#include "text.h"

static int failures, checks;

/* Report a failed check and carry on: one run shows every broken case. */
#define CHECK(cond, ...)                                                         \
	do {                                                                     \
		checks++;                                                        \
		if (!(cond)) {                                                   \
			fprintf(stderr, "%s:%d: check failed: %s\n  ", __FILE__, \
			    __LINE__, #cond);                                    \
			fprintf(stderr, __VA_ARGS__);                            \
			fputc('\n', stderr);                                     \
			failures++;                                              \
		}                                                                \
	} while (0)

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Whether s holds no byte that a terminal takes as a control (C0, DEL, C1 lead 0xC2 0x80..0x9F). */
static int
is_inert(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
			return 0;
	return strstr(s, "\xe2\x80\xae") == NULL && strstr(s, "\xe2\x81\xa6") == NULL;
}

static void
test_safe(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		/* Untouched. */
		{ "", "" },
		{ "张三", "张三" },
		{ "第一党支部 (SQ01-01)", "第一党支部 (SQ01-01)" },
		{ "O'Brien \\ back\\slash \"q\"", "O'Brien \\ back\\slash \"q\"" },
		{ "=HYPERLINK(\"x\")", "=HYPERLINK(\"x\")" },
		{ "Ünïcödé ελληνικά кириллица", "Ünïcödé ελληνικά кириллица" },
		{ "😀 \xf0\x9f\x87\xa8\xf0\x9f\x87\xb3", "😀 \xf0\x9f\x87\xa8\xf0\x9f\x87\xb3" },
		{ "全角（括号）、。", "全角（括号）、。" },
		{ "\xc2\xa0nbsp \xc2\xa9", "\xc2\xa0nbsp \xc2\xa9" },   /* U+00A0 and U+00A9 are text */
		{ "\xef\xbf\xbf", "\xef\xbf\xbf" },                     /* U+FFFF: valid UTF-8 */
		{ "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf" },             /* U+10FFFF */
		/* C0 controls and DEL. */
		{ "a\nb", "a\\nb" },
		{ "a\r\nb", "a\\r\\nb" },
		{ "a\rb", "a\\rb" },
		{ "a\tb", "a\\tb" },
		{ "\x01\x07\x08\x0b\x0c\x1f", "\\x01\\x07\\x08\\x0b\\x0c\\x1f" },
		{ "del\x7f", "del\\x7f" },
		{ "\x1b[2J\x1b[H", "\\x1b[2J\\x1b[H" },                 /* clear the screen */
		{ "\x1b[31m红\x1b[0m", "\\x1b[31m红\\x1b[0m" },
		{ "\x1b]8;;http://x/\x1b\\link\x1b]8;;\x1b\\",            /* OSC 8 hyperlink */
		  "\\x1b]8;;http://x/\\x1b\\link\\x1b]8;;\\x1b\\" },
		{ "\x1b]0;title\x07", "\\x1b]0;title\\x07" },           /* OSC set title, BEL */
		/* C1 controls. */
		{ "\xc2\x9b" "2J", "\\u009b2J" },                       /* CSI */
		{ "\xc2\x9d" "0;t\xc2\x9c", "\\u009d0;t\\u009c" },      /* OSC ... ST */
		{ "\xc2\x80\xc2\x85\xc2\x9f", "\\u0080\\u0085\\u009f" },
		/* Bidi. */
		{ "abc\xe2\x80\xae" "cba", "abc\\u202ecba" },           /* RLO */
		{ "\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad",
		  "\\u202a\\u202b\\u202c\\u202d" },
		{ "\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9", "\\u2066\\u2067\\u2068\\u2069" },
		{ "\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c", "\\u200e\\u200f\\u061c" },
		{ "\xe2\x80\xa8\xe2\x80\xa9", "\\u2028\\u2029" },
		/* Invalid UTF-8: every offending byte. */
		{ "\xff", "\\xff" },
		{ "a\x80z", "a\\x80z" },
		{ "\xe5\xbc", "\\xe5\\xbc" },                           /* 张 cut short */
		{ "\xe5\xbc" "A", "\\xe5\\xbcA" },
		{ "\xc0\xaf", "\\xc0\\xaf" },                           /* overlong '/' */
		{ "\xe0\x80\xaf", "\\xe0\\x80\\xaf" },                  /* overlong, 3 bytes */
		{ "\xed\xa0\x80", "\\xed\\xa0\\x80" },                  /* a UTF-16 surrogate */
		{ "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80" },         /* above U+10FFFF */
		{ "\xf5\x80", "\\xf5\\x80" },
		{ "\xc2", "\\xc2" },
		/* Mixed: a forged table row. */
		{ "李四\r\n1  假冒  男", "李四\\r\\n1  假冒  男" },
	};
	char buf[512];

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		size_t n = text_safe(cases[i].in, buf, sizeof buf);
		char *d = text_safe_dup(cases[i].in, 0);
		CHECK(strcmp(buf, cases[i].want) == 0 && n == strlen(cases[i].want),
		    "case %zu: got \"%s\" (%zu), want \"%s\"", i, buf, n, cases[i].want);
		CHECK(d != NULL && strcmp(d, cases[i].want) == 0, "dup case %zu: \"%s\"", i, d);
		CHECK(is_inert(buf), "case %zu: a control survived in \"%s\"", i, buf);
		CHECK(n <= 4 * strlen(cases[i].in), "case %zu: %zu bytes from %zu", i, n,
		    strlen(cases[i].in));
		CHECK(strcmp(text_show(cases[i].in), cases[i].want) == 0, "show case %zu", i);
		free(d);
	}
	CHECK(text_safe(NULL, buf, sizeof buf) == 0 && buf[0] == '\0', "NULL reads as \"\"");

	/* Truncation: a prefix of whole pieces, the full length returned. */
	{
		static const char in[] = "ab\x1b" "cd张e";   /* ab \x1b cd 张 e = 2+4+2+3+1 */
		static const struct {
			size_t cap;
			const char *want;
		} cuts[] = {
			{ 1, "" }, { 2, "a" }, { 3, "ab" }, { 4, "ab" }, { 6, "ab" }, { 7, "ab\\x1b" },
			{ 9, "ab\\x1bcd" }, { 11, "ab\\x1bcd" }, { 12, "ab\\x1bcd张" },
			{ 13, "ab\\x1bcd张e" },
		};
		for (size_t i = 0; i < ARRAY_LEN(cuts); i++) {
			size_t n;
			memset(buf, 'Z', sizeof buf);
			n = text_safe(in, buf, cuts[i].cap);
			CHECK(n == 12 && strcmp(buf, cuts[i].want) == 0,
			    "cap %zu: got \"%s\" (%zu), want \"%s\" (12)", cuts[i].cap, buf, n,
			    cuts[i].want);
		}
		buf[0] = 'Z';
		CHECK(text_safe(in, buf, 0) == 12 && buf[0] == 'Z', "cap 0 writes nothing");
	}

	/* TEXT_KEEP_BREAKS: TAB, LF and CRLF stay; a lone CR and the rest do not. */
	{
		static const struct {
			const char *in, *want;
		} keep[] = {
			{ "a\nb", "a\nb" }, { "a\r\nb", "a\r\nb" }, { "a\tb", "a\tb" },
			{ "a\rb", "a\\rb" }, { "a\r", "a\\r" }, { "\x1b[2J", "\\x1b[2J" },
			{ "\xc2\x9b", "\\u009b" }, { "\xe2\x80\xae", "\\u202e" }, { "张三", "张三" },
		};
		for (size_t i = 0; i < ARRAY_LEN(keep); i++) {
			text_safe_flags(keep[i].in, buf, sizeof buf, TEXT_KEEP_BREAKS);
			CHECK(strcmp(buf, keep[i].want) == 0, "keep case %zu: \"%s\"", i, buf);
		}
	}

	/* text_show: 8 results alive at once. */
	{
		const char *r[8];
		char in[8][8];
		int ok = 1;
		for (int i = 0; i < 8; i++) {
			snprintf(in[i], sizeof in[i], "%d\n", i);
			r[i] = text_show(in[i]);
		}
		for (int i = 0; i < 8; i++) {
			char want[8];
			snprintf(want, sizeof want, "%d\\n", i);
			ok &= strcmp(r[i], want) == 0;
		}
		CHECK(ok, "text_show: the 8 last results are not all intact");
	}

	/* The predicate and the decoder. */
	CHECK(is_text_unsafe(0x1b) && is_text_unsafe(0x7f) && is_text_unsafe(0x9b) &&
	    is_text_unsafe(0x202e) && is_text_unsafe(0x2066) && !is_text_unsafe('a') &&
	    !is_text_unsafe(0x5f20) && !is_text_unsafe(0xa0) && !is_text_unsafe(0x200b),
	    "is_text_unsafe");
	{
		uint32_t cp = 0;
		CHECK(text_decode("张", &cp) == 3 && cp == 0x5f20, "decode 张: %u", (unsigned)cp);
		CHECK(text_decode("\xc2\x9b", &cp) == 2 && cp == 0x9b, "decode CSI");
		CHECK(text_decode("", &cp) == 0 && text_decode("\xed\xbf\xbf", &cp) == 0,
		    "decode NUL, surrogate");
	}
}

/* A log line written with log_warnx(fmt, s), as read back from stderr. */
static char *
log_capture(const char *s)
{
	FILE *tmp = tmpfile();
	int saved = dup(2);
	char *buf = calloc(1, 65536);
	size_t n;

	if (tmp == NULL || saved < 0 || buf == NULL)
		return buf;
	fflush(stderr);
	dup2(fileno(tmp), 2);
	log_warnx("hello (client %s)", s);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, 65535, tmp);
	buf[n] = '\0';
	fclose(tmp);
	return buf;
}

static void
test_log(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "1.0", "test: hello (client 1.0)\n" },
		{ "1.0\ntest: forged line", "test: hello (client 1.0\\ntest: forged line)\n" },
		{ "x\r\x1b[2K\xc2\x9b" "1A\xe2\x80\xae", "test: hello (client x\\r\\x1b[2K\\u009b1A\\u202e)\n" },
		{ "张三 \xff", "test: hello (client 张三 \\xff)\n" },
	};
	char big[3000];

	log_init("test", LOG_LEVEL_INFO, 0);
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char *got = log_capture(cases[i].in);
		CHECK(got != NULL && strcmp(got, cases[i].want) == 0, "log case %zu: \"%s\"", i,
		    got ? got : "(null)");
		free(got);
	}
	/* A long message of line breaks is still one line. */
	memset(big, '\n', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	{
		char *got = log_capture(big);
		char *nl = got ? strchr(got, '\n') : NULL;
		CHECK(nl != NULL && nl[1] == '\0', "a message of line breaks made more than one line");
		free(got);
	}
	log_init("test", LOG_LEVEL_INFO, 1);
	{
		char *got = log_capture("a\nb");
		char *nl = got ? strchr(got, '\n') : NULL;
		CHECK(nl != NULL && nl[1] == '\0' && strstr(got, "a\\nb") != NULL,
		    "timestamped: \"%s\"", got ? got : "(null)");
		free(got);
	}
}

/* table_print into a string (malloc'd). */
static char *
render(struct table *t, enum table_format fmt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	table_print(t, f, fmt);
	fclose(f);
	return buf;
}

static void
test_table_text(void)
{
	static const char *const ids[] = { "name", "branch", "phone" };
	static const char *const hdr[] = { "姓名", "支部", "电话" };
	/* 李四\r\n1  假冒  男 is 19 columns wide: the others pad to it. */
	const char *want =
	    "姓名                 支部        电话\n"
	    "张三                 第一党支部  13800138000\n"
	    "李四\\r\\n1  假冒  男  x           \n"
	    "\\x1b[2J\\u009b2J      \\u202e右    \\x1b]8;;u\\x07\n"
	    "\\xff王               a\\tb        \n";
	struct table *t = table_new(3, ids, hdr);
	char *s;

	table_add(t, (const char *const[]){ "张三", "第一党支部", "13800138000" });
	table_add(t, (const char *const[]){ "李四\r\n1  假冒  男", "x", NULL });
	table_add(t, (const char *const[]){ "\x1b[2J\xc2\x9b" "2J", "\xe2\x80\xae右",
	    "\x1b]8;;u\x07" });
	table_add(t, (const char *const[]){ "\xff王", "a\tb", "" });
	s = render(t, TABLE_TEXT);
	CHECK(strcmp(s, want) == 0, "text:\n%s\nexpected:\n%s", s, want);
	{
		/* No control byte other than the line ends; exactly 5 lines. */
		int lines = 0, inert = 1;
		for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
			if (*p == '\n')
				lines++;
			else if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 &&
			    p[1] <= 0x9f))
				inert = 0;
		}
		CHECK(lines == 5 && inert, "%d lines, inert %d", lines, inert);
	}
	free(s);
}

static void
test_table_csv(void)
{
	static const char *const ids[] = { "name", "id_number", "n" };
	static const char *const hdr[] = { "姓名", "公民身份号码", "数" };
	static const struct {
		const char *name, *idn, *n;     /* the values */
		const char *line;               /* the CSV line written for them */
	} rows[] = {
		{ "张三", "110105194912310015", "3",
		  "张三,\t110105194912310015,3" },
		{ "=HYPERLINK(\"http://x\",\"点我\")", "11010519491231002X", "-3",
		  "\"'=HYPERLINK(\"\"http://x\"\",\"\"点我\"\")\",\t11010519491231002X,-3" },
		{ "+1", "11010519491231002x", "12.5",
		  "'+1,\t11010519491231002x,12.5" },
		{ "-2", "13800138000", "40%",
		  "'-2,\t13800138000,40%" },
		{ "@x", "007", "-",
		  "'@x,\t007,-" },
		{ "\tTAB", "0", "-2+3",
		  "'\tTAB,0,'-2+3" },
		{ "'=already", "12345", "=1+1",
		  "''=already,12345,'=1+1" },
		{ "''+x", "1234567890", "1e5",
		  "'''+x,1234567890,1e5" },
		{ "'plain", "'110105194912310015", "13800138000",
		  "'plain,'110105194912310015,13800138000" },
		{ "a,b", "-", "",
		  "\"a,b\",'-," },
		{ "多行\r\n地址", "1101051949123100155", "007",
		  "\"多行\r\n地址\",\t1101051949123100155,007" },
		{ "行\n内", "110105194912310015X", "-0.5",
		  "\"行\n内\",110105194912310015X,-0.5" },
	};
	char *s;
	struct table *t = table_new(3, ids, hdr);

	table_set_number(t, 2);
	table_set_number(t, 7);   /* out of range: ignored */
	for (size_t i = 0; i < ARRAY_LEN(rows); i++)
		table_add(t, (const char *const[]){ rows[i].name, rows[i].idn, rows[i].n });
	s = render(t, TABLE_CSV);
	{
		/* Compare line by line (a line break inside a quoted cell is part of its line). */
		char want[8192];
		size_t n = (size_t)snprintf(want, sizeof want, "\xef\xbb\xbf姓名,公民身份号码,数\r\n");
		for (size_t i = 0; i < ARRAY_LEN(rows); i++)
			n += (size_t)snprintf(want + n, sizeof want - n, "%s\r\n", rows[i].line);
		CHECK(strcmp(s, want) == 0, "CSV:\n%s\nexpected:\n%s", s, want);
	}
	free(s);
}

/*
 * Every value written as a text cell comes back from table_csv_unmark
 * (after the CSV quoting is undone, as the importer does) unchanged.
 */
static void
test_csv_roundtrip(void)
{
	static const char *const values[] = {
		"张三", "=HYPERLINK(\"http://x\")", "+1", "-2", "@x", "\tx", "\r\nx", "'", "''",
		"'=", "''=", "'''@a", "'a", "110105194912310015", "11010519491231002X",
		"\t110105194912310015", "'110105194912310015", "13800138000", "007", "0", "12345",
		"1234567890", "12345678901", "-", "+", "=", "@", "x'", "a\tb", "",
	};
	static const char *const ids[] = { "v" };
	static const char *const hdr[] = { "v" };

	for (size_t i = 0; i < ARRAY_LEN(values); i++) {
		struct table *t = table_new(1, ids, hdr);
		char *s, *cell, *w, *got;
		const char *p;

		table_add(t, (const char *const[]){ values[i] });
		s = render(t, TABLE_CSV);
		/* The second record's only field, unquoted. */
		p = strstr(s, "\r\n") + 2;
		cell = calloc(1, strlen(p) + 1);
		w = cell;
		if (*p == '"') {
			for (p++; *p && !(p[0] == '"' && p[1] != '"'); p++) {
				if (p[0] == '"')
					p++;
				*w++ = *p;
			}
		} else {
			size_t n = strlen(p) - 2;   /* the CRLF */
			memcpy(w, p, n);
		}
		got = table_csv_unmark(cell);
		CHECK(strcmp(got, values[i]) == 0, "round trip of \"%s\": wrote %s, read \"%s\"",
		    values[i], s, got);
		free(cell);
		free(s);
	}
}

static void
test_table_json(void)
{
	static const char *const ids[] = { "v" };
	static const char *const hdr[] = { "v" };
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "张三", "\"张三\"" },
		{ "a\"b\\c", "\"a\\\"b\\\\c\"" },
		{ "\r\n\t\x1b[2J\x7f", "\"\\r\\n\\t\\u001b[2J\\u007f\"" },
		{ "\xc2\x9b" "1\xc2\x85", "\"\\u009b1\\u0085\"" },
		{ "\xe2\x80\xae" "x\xe2\x81\xa6\xe2\x80\xa8", "\"\\u202ex\\u2066\\u2028\"" },
		{ "\xff\xe5\xbc" "A", "\"\\ufffd\\ufffd\\ufffdA\"" },
		{ "=1+1", "\"=1+1\"" },
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct table *t = table_new(1, ids, hdr);
		char want[256], *s;
		table_add(t, (const char *const[]){ cases[i].in });
		s = render(t, TABLE_JSON);
		snprintf(want, sizeof want, "[\n {\"v\": %s}\n]\n", cases[i].want);
		CHECK(strcmp(s, want) == 0, "JSON case %zu: %s, expected %s", i, s, want);
		free(s);
	}
	/* All of them in one document that a JSON parser reads back. */
	if (system("command -v python3 >/dev/null 2>&1") == 0) {
		char path[] = "/tmp/test_text.XXXXXX", cmd[256];
		int fd = mkstemp(path);
		FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
		struct table *t = table_new(1, ids, hdr);
		for (size_t i = 0; i < ARRAY_LEN(cases); i++)
			table_add(t, (const char *const[]){ cases[i].in });
		if (f != NULL) {
			table_print(t, f, TABLE_JSON);
			fclose(f);
			snprintf(cmd, sizeof cmd, "python3 -c 'import json,sys; "
			    "v = json.load(open(sys.argv[1], encoding=\"utf-8\")); "
			    "assert v[4][\"v\"] == \"\\u202ex\\u2066\\u2028\"' %s", path);
			CHECK(system(cmd) == 0, "python3 cannot read the JSON in %s", path);
			unlink(path);
		} else {
			table_free(t);
		}
	}
}

int
main(void)
{
	test_safe();
	test_log();
	test_table_text();
	test_table_csv();
	test_csv_roundtrip();
	test_table_json();
	if (failures) {
		fprintf(stderr, "test_text: %d of %d checks failed\n", failures, checks);
		return 1;
	}
	printf("test_text: all %d checks passed\n", checks);
	return 0;
}
