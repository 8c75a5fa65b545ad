/* test_csv.c — unit tests for src/base/csv.c, the streaming CSV reader:
 * RFC 4180 and the variations of real MIS exports (BOM, CRLF/LF/CR,
 * quoted commas, quotes and line breaks, blank lines, no final newline),
 * exact line numbers, every error with recovery at the next record, the
 * delimiter check, limits, and identical results whatever the block size
 * (every input below is also read 1..7 and 13 bytes at a time, so every
 * possible block boundary is crossed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/csv.h"
#include "base/err.h"

/* Everything csv_next returns for the input, as text:
 *   "L3: a|b"          a record on line 3 (quoted fields in "", \n \r
 *   "L3-4: \"x\\ny\""  escaped, "!u" after a field that is not UTF-8)
 *   "E bad_quote L5 f2"  an error on line 5 in field 2 (0-based)
 * one per line, then "EOF".  Also checks what must hold of any result. */
static char *dump_opts(const void *in, size_t len, const struct csv_opts *o)
{
	struct csv_reader *r = csv_open_mem(in, len, o);
	struct csv_record rec;
	struct buf b;
	long last_line = 0;
	uint64_t last_off = 0;
	int rc;
	buf_init(&b, 0);
	for (int guard = 0; (rc = csv_next(r, &rec)) != CSV_EOF; guard++) {
		assert_true(guard <= (int)len + 2);
		assert_true(csv_offset(r) <= len);
		assert_true(csv_offset(r) >= last_off);
		last_off = csv_offset(r);
		if (rc != CSV_OK) {
			assert_string_not_equal(csv_errmsg(r), "");
			buf_printf(&b, "E %s L%ld", csv_status_name(rc), rec.line);
			if (rec.end_line != rec.line)
				buf_printf(&b, "-%ld", rec.end_line);
			if (rec.err_field >= 0)
				buf_printf(&b, " f%d", rec.err_field);
			buf_putc(&b, '\n');
			continue;
		}
		assert_true(rec.line > last_line);
		assert_true(rec.end_line >= rec.line);
		assert_true(rec.offset < len);
		last_line = rec.end_line;
		buf_printf(&b, "L%ld", rec.line);
		if (rec.end_line != rec.line)
			buf_printf(&b, "-%ld", rec.end_line);
		buf_puts(&b, ": ");
		int first_bad = -1;
		for (size_t i = 0; i < rec.n; i++) {
			const struct csv_field *f = &rec.f[i];
			assert_int_equal(f->p[f->len], '\0');
			assert_int_equal(strlen(f->p), f->len);
			if (i)
				buf_putc(&b, '|');
			if (f->flags & CSV_FIELD_QUOTED)
				buf_putc(&b, '"');
			for (size_t k = 0; k < f->len; k++) {
				char c = f->p[k];
				if (c == '\n')
					buf_puts(&b, "\\n");
				else if (c == '\r')
					buf_puts(&b, "\\r");
				else
					buf_putc(&b, c);
			}
			if (f->flags & CSV_FIELD_QUOTED)
				buf_putc(&b, '"');
			if (f->flags & CSV_FIELD_BAD_UTF8) {
				buf_puts(&b, "!u");
				if (first_bad < 0)
					first_bad = (int)i;
			}
		}
		assert_int_equal(rec.bad_utf8, first_bad);
		buf_putc(&b, '\n');
	}
	buf_puts(&b, "EOF");
	/* Once at the end, it stays there. */
	assert_int_equal(csv_next(r, &rec), CSV_EOF);
	assert_int_equal(csv_next(r, &rec), CSV_EOF);
	csv_close(r);
	return buf_take(&b);
}

/* dump_opts with block sizes 1..7, 13 and the default must all agree;
 * returns the (default) result. */
static char *dump_all(const void *in, size_t len, const struct csv_opts *o)
{
	static const size_t blocks[] = {1, 2, 3, 4, 5, 6, 7, 13};
	struct csv_opts opts = o ? *o : (struct csv_opts){0};
	opts.block = 0;
	char *want = dump_opts(in, len, &opts);
	for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++) {
		opts.block = blocks[i];
		char *got = dump_opts(in, len, &opts);
		if (strcmp(got, want) != 0)
			fail_msg("block %zu gives\n%s\ninstead of\n%s", blocks[i], got, want);
		free(got);
	}
	return want;
}

static void check_opts(const char *in, size_t len, const struct csv_opts *o, const char *want)
{
	char *got = dump_all(in, len, o);
	if (strcmp(got, want) != 0)
		fail_msg("input [%.*s] gives\n%s\nnot\n%s", (int)len, in, got, want);
	free(got);
}

#define CHECK(in, want) check_opts(in, sizeof(in) - 1, NULL, want)
#define CHECKO(in, o, want) check_opts(in, sizeof(in) - 1, o, want)

/* The message for the first error in in. */
static void check_message(const char *in, int want_rc, const char *want_msg)
{
	struct csv_reader *r = csv_open_mem(in, strlen(in), NULL);
	struct csv_record rec;
	int rc;
	while ((rc = csv_next(r, &rec)) == CSV_OK)
		;
	assert_int_equal(rc, want_rc);
	assert_string_equal(csv_errmsg(r), want_msg);
	csv_close(r);
}

/* ---- well-formed input ------------------------------------------------ */

static void test_simple(void **state)
{
	(void)state;
	CHECK("UPN,Surname,Forename\nA1,Smith,Jo\nB2,Khan,Ali\n",
	      "L1: UPN|Surname|Forename\nL2: A1|Smith|Jo\nL3: B2|Khan|Ali\nEOF");
	CHECK("a", "L1: a\nEOF");
	CHECK("a,b", "L1: a|b\nEOF");
	CHECK("x\n", "L1: x\nEOF");
}

static void test_line_ends(void **state)
{
	(void)state;
	CHECK("a,b\r\nc,d\r\n", "L1: a|b\nL2: c|d\nEOF");
	CHECK("a,b\rc,d\r", "L1: a|b\nL2: c|d\nEOF");
	CHECK("a\r\nb\nc\rd", "L1: a\nL2: b\nL3: c\nL4: d\nEOF");
	/* CR then LF separately counts once; LF then CR is two line ends. */
	CHECK("a\n\rb", "L1: a\nL3: b\nEOF");
}

static void test_no_final_newline(void **state)
{
	(void)state;
	CHECK("h1,h2\r\nv1,v2", "L1: h1|h2\nL2: v1|v2\nEOF");
	CHECK("h1,h2\nv1,", "L1: h1|h2\nL2: v1|\nEOF");
	CHECK("h1,h2\n\"v1\"", "L1: h1|h2\nL2: \"v1\"\nEOF");
	CHECK("h1,h2\nv,\"\"", "L1: h1|h2\nL2: v|\"\"\nEOF");
}

static void test_empty_fields(void **state)
{
	(void)state;
	CHECK("a,,c\n,b,\n", "L1: a||c\nL2: |b|\nEOF");
	CHECK("a,\"\",c\n", "L1: a|\"\"|c\nEOF");
}

static void test_bom(void **state)
{
	(void)state;
	CHECK("\xEF\xBB\xBFUPN,Name\r\nA,B\r\n", "L1: UPN|Name\nL2: A|B\nEOF");
	/* Only at the very start; elsewhere it is data. */
	CHECK("a\n\xEF\xBB\xBF" "b\n", "L1: a\nL2: \xEF\xBB\xBF" "b\nEOF");
	CHECK("\xEF\xBB\xBF\"q\"\n", "L1: \"q\"\nEOF");
}

static void test_quoted(void **state)
{
	(void)state;
	CHECK("\"Smith, Jo\",\"said \"\"hi\"\"\",\"\"\"\"\n",
	      "L1: \"Smith, Jo\"|\"said \"hi\"\"|\"\"\"\nEOF");
	CHECK("\"a\"\"\"\"b\",c\n", "L1: \"a\"\"b\"|c\nEOF");
	CHECK("\"\"\"\"\"\"\n", "L1: \"\"\"\"\nEOF");
	/* A quote is only special at the start of a field… */
	CHECK("\"a\",b\n", "L1: \"a\"|b\nEOF");
}

static void test_quoted_newlines(void **state)
{
	(void)state;
	/* The record's line is where it starts; later lines count on. */
	CHECK("id,address\n1,\"1 High St\nLeicester\nLE1 1AA\"\n2,\"x\"\n",
	      "L1: id|address\nL2-4: 1|\"1 High St\\nLeicester\\nLE1 1AA\"\nL5: 2|\"x\"\nEOF");
	CHECK("1,\"a\r\nb\"\r\n2,c\r\n", "L1-2: 1|\"a\\r\\nb\"\nL3: 2|c\nEOF");
	CHECK("1,\"a\rb\"\r2\r", "L1-2: 1|\"a\\rb\"\nL3: 2\nEOF");
	CHECK("\"\n\n\"\nx\n", "L1-3: \"\\n\\n\"\nL4: x\nEOF");
	/* A CR, a doubled quote, then LF: two line ends, not one. */
	CHECK("\"a\r\"\"\nb\"\nz\n", "L1-3: \"a\\r\"\\nb\"\nL4: z\nEOF");
}

static void test_blank_lines(void **state)
{
	(void)state;
	CHECK("\n\na\n\n\r\n\rb\n\n", "L3: a\nL7: b\nEOF");
	CHECK("a\n,,,\n,\"\",\nb\n", "L1: a\nL4: b\nEOF");
	struct csv_reader *r = csv_open_mem("\n\na\n,,\nb\n\n", 11, NULL);
	struct csv_record rec;
	while (csv_next(r, &rec) == CSV_OK)
		;
	assert_int_equal(csv_skipped(r), 4);
	csv_close(r);
}

static void test_spaces_kept(void **state)
{
	(void)state;
	CHECK(" a , b ,\t\n", "L1:  a | b |\t\nEOF");
}

/* ---- encoding --------------------------------------------------------- */

static void test_utf8(void **state)
{
	(void)state;
	CHECK("Zoë,\"Łukasz, Ó\",日本\n", "L1: Zoë|\"Łukasz, Ó\"|日本\nEOF");
	/* Windows-1252 / Latin-1 bytes: flagged per field, not an error. */
	CHECK("ok,Zo\xEB,\"Andr\xE9\",ok\nfine\n", "L1: ok|Zo\xEB!u|\"Andr\xE9\"!u|ok\nL2: fine\nEOF");
	/* Overlong, surrogate, past U+10FFFF, truncated, lone continuation. */
	CHECK("\xC0\xAF\n\xED\xA0\x80\n\xF4\x90\x80\x80\n\xE2\x82\n\x80\n",
	      "L1: \xC0\xAF!u\nL2: \xED\xA0\x80!u\nL3: \xF4\x90\x80\x80!u\nL4: \xE2\x82!u\nL5: \x80!u\nEOF");
	assert_true(csv_utf8_valid("", 0));
	assert_true(csv_utf8_valid("\xF0\x9F\x98\x80", 4));
	assert_true(csv_utf8_valid("\xEF\xBF\xBF", 3));
	assert_false(csv_utf8_valid("\xF0\x9F\x98", 3));
	assert_false(csv_utf8_valid("\xE0\x80\x80", 3));
	assert_false(csv_utf8_valid("\xFF", 1));
}

static void test_utf16(void **state)
{
	(void)state;
	CHECK("\xFF\xFEU\0P\0N\0", "E utf16 L0\nEOF");
	CHECK("\xFE\xFF\0U\0P", "E utf16 L0\nEOF");
	check_message("\xFF\xFE", CSV_E_UTF16,
		      "the file is saved as UTF-16 (\"Unicode text\"); "
		      "save it as \"CSV UTF-8 (comma delimited)\" instead");
}

/* ---- whole-file errors -------------------------------------------------- */

static void test_empty(void **state)
{
	(void)state;
	check_opts("", 0, NULL, "E empty L0\nEOF");
	CHECK("\xEF\xBB\xBF", "E empty L0\nEOF");
	CHECK("\n\r\n\n", "E empty L0\nEOF");
	CHECK("\xEF\xBB\xBF\r\n,,,\r\n", "E empty L0\nEOF");
	check_message("", CSV_E_EMPTY, "the file is empty");
	/* A NULL pointer with length 0 is an empty file too. */
	struct csv_reader *r = csv_open_mem(NULL, 0, NULL);
	struct csv_record rec;
	assert_int_equal(csv_next(r, &rec), CSV_E_EMPTY);
	assert_int_equal(csv_next(r, &rec), CSV_EOF);
	csv_close(r);
}

static void test_unterminated(void **state)
{
	(void)state;
	char in[512];
	strcpy(in, "h\n");
	for (int i = 2; i < 12; i++)
		strcat(in, "row\n");
	strcat(in, "1,\"never closed\n2,b\n3,c\n");
	check_opts(in, strlen(in), NULL,
		   "L1: h\nL2: row\nL3: row\nL4: row\nL5: row\nL6: row\nL7: row\nL8: row\n"
		   "L9: row\nL10: row\nL11: row\nE unterminated_quote L12-15 f1\nEOF");
	check_message(in, CSV_E_UNTERMINATED,
		      "quoted field starting on line 12 never ends (a closing \" is missing)");
	CHECK("\"", "E unterminated_quote L1 f0\nEOF");
	CHECK("a,\"b\"\"", "E unterminated_quote L1 f1\nEOF");
	/* … even when the runaway field also passed the size limit. */
	struct csv_opts o = {.field_max = 4};
	CHECKO("x\n\"0123456789\n", &o, "L1: x\nE unterminated_quote L2-3 f0\nEOF");
}

/* ---- record errors and recovery --------------------------------------- */

static void test_bad_quote(void **state)
{
	(void)state;
	CHECK("a,b\nO\"Brien,x\nc,d\n", "L1: a|b\nE bad_quote L2 f0\nL3: c|d\nEOF");
	CHECK("a,b\"c\"\nd\n", "E bad_quote L1 f1\nL2: d\nEOF");
	/* A space before the opening quote makes the quote stray. */
	CHECK("a, \"b,c\"\nd\n", "E bad_quote L1 f1\nL2: d\nEOF");
	check_message("x,O\"Brien\n", CSV_E_BAD_QUOTE,
		      "field 2 has a \" inside a value that does not start with one; "
		      "a value containing quotes must be in quotes, with each \" doubled");
}

static void test_after_quote(void **state)
{
	(void)state;
	CHECK("\"a\"b,c\nd\n", "E text_after_quote L1 f0\nL2: d\nEOF");
	CHECK("x,\"a\" \ny\n", "E text_after_quote L1 f1\nL2: y\nEOF");
	/* The error names the line it is on when the record spans lines. */
	CHECK("x,\"a\nb\"c\ny\n", "E text_after_quote L1-2 f1\nL3: y\nEOF");
	check_message("x,\"a\nb\"c\n", CSV_E_AFTER_QUOTE,
		      "field 2 has characters after its closing quote (on line 2)");
}

static void test_nul(void **state)
{
	(void)state;
	check_opts("a\nb\0c,d\ne\n", 10, NULL, "L1: a\nE nul_byte L2 f0\nL3: e\nEOF");
	check_opts("a\n\"b\0\nc\",d\ne\n", 13, NULL, "L1: a\nE nul_byte L2-3 f0\nL4: e\nEOF");
	check_opts("\0", 1, NULL, "E nul_byte L1 f0\nEOF");
}

/* After a bad record, a quoted line break in it does not start a record. */
static void test_recovery_keeps_structure(void **state)
{
	(void)state;
	CHECK("a\"b,\"x\ny\"\nz\n", "E bad_quote L1-2 f0\nL3: z\nEOF");
	CHECK("1,x\"\n2,\"ok\"\n3,y\"y\n4,\"a\"\"b\"\n5,\"q\"q\n6\n",
	      "E bad_quote L1 f1\nL2: 2|\"ok\"\nE bad_quote L3 f1\nL4: 4|\"a\"b\"\n"
	      "E text_after_quote L5 f1\nL6: 6\nEOF");
}

static void test_limits(void **state)
{
	(void)state;
	struct csv_opts o = {.field_max = 5, .fields_max = 3, .record_max = 40};
	CHECKO("12345,x\n123456,y\nok\n", &o,
		   "L1: 12345|x\nE field_too_long L2 f0\nL3: ok\nEOF");
	/* The limit is on the unquoted value: 5 quotes doubled fit. */
	CHECKO("\"\"\"\"\"\"\"\"\"\"\"\",a\n\"123456\"\nok\n", &o,
		   "L1: \"\"\"\"\"\"\"|a\nE field_too_long L2 f0\nL3: ok\nEOF");
	CHECKO("a,b,c\na,b,c,d\nok\n", &o,
		   "L1: a|b|c\nE too_many_fields L2\nL3: ok\nEOF");
	CHECKO("1,2,3\n12345,12345,12345\n1234,1234,1234\n", &o,
		   "L1: 1|2|3\nL2: 12345|12345|12345\nL3: 1234|1234|1234\nEOF");

	/* Which error a record reports cannot depend on where blocks end: a
	 * length limit counts where the field ends, so a NUL inside the long
	 * field comes first, and a NUL in the next field comes after. */
	check_opts("1234567\0,x\nok\n", 14, &o, "E nul_byte L1 f0\nL2: ok\nEOF");
	check_opts("12345678,\0\nok\n", 14, &o, "E field_too_long L1 f0\nL2: ok\nEOF");
	check_opts("\"1234567\0\",x\nok\n", 16, &o, "E nul_byte L1 f0\nL2: ok\nEOF");
	CHECKO("1,2,3,4,5\"\nok\n", &o, "E too_many_fields L1\nL2: ok\nEOF");
	CHECKO("1,2,3,4\"\nok\n", &o, "E bad_quote L1 f3\nL2: ok\nEOF");

	struct csv_opts big = {.record_max = 100};
	char in[1000] = "";
	for (int i = 0; i < 40; i++)
		strcat(in, "abcd,");
	strcat(in, "\nok\n");
	check_opts(in, strlen(in), &big, "E record_too_long L1\nL2: ok\nEOF");

	struct csv_reader *r = csv_open_mem("1,22\n", 5, &(struct csv_opts){.field_max = 1});
	struct csv_record rec;
	assert_int_equal(csv_next(r, &rec), CSV_E_FIELD_TOO_LONG);
	assert_string_equal(csv_errmsg(r), "field 2 is longer than 1 bytes");
	csv_close(r);
	r = csv_open_mem("a,b\n", 4, &(struct csv_opts){.fields_max = 1});
	assert_int_equal(csv_next(r, &rec), CSV_E_TOO_MANY_FIELDS);
	assert_string_equal(csv_errmsg(r), "the row has more than 1 fields");
	csv_close(r);
}

/* The defaults: 64 KiB fields and 512 of them are fine, one more is not. */
static void test_default_limits(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 0);
	for (size_t i = 0; i < CSV_FIELD_MAX; i++)
		buf_putc(&b, 'x');
	buf_puts(&b, "\n\"");
	for (size_t i = 0; i <= CSV_FIELD_MAX; i++)
		buf_putc(&b, 'y');
	buf_puts(&b, "\"\n");
	for (size_t i = 0; i < CSV_FIELDS_MAX; i++)
		buf_puts(&b, "f,");
	buf_puts(&b, "f\nlast\n");
	struct csv_reader *r = csv_open_mem(b.data, b.len, NULL);
	struct csv_record rec;
	assert_int_equal(csv_next(r, &rec), CSV_OK);
	assert_int_equal(rec.f[0].len, CSV_FIELD_MAX);
	assert_int_equal(csv_next(r, &rec), CSV_E_FIELD_TOO_LONG);
	assert_int_equal(rec.line, 2);
	assert_string_equal(csv_errmsg(r),
			    "field 1 is longer than 65536 bytes (is a closing quote missing?)");
	assert_int_equal(csv_next(r, &rec), CSV_E_TOO_MANY_FIELDS);
	assert_int_equal(rec.line, 3);
	assert_int_equal(csv_next(r, &rec), CSV_OK);
	assert_string_equal(rec.f[0].p, "last");
	assert_int_equal(rec.line, 4);
	assert_int_equal(csv_next(r, &rec), CSV_EOF);
	csv_close(r);
	buf_free(&b);
}

/* ---- the header check, errinfo, offsets ------------------------------- */

static int header_check(const char *in)
{
	struct csv_reader *r = csv_open_mem(in, strlen(in), NULL);
	struct csv_record rec;
	assert_int_equal(csv_next(r, &rec), CSV_OK);
	int rc = csv_check_header(r, &rec);
	if (rc == CSV_E_DELIMITER)
		assert_string_not_equal(csv_errmsg(r), "");
	csv_close(r);
	return rc;
}

static void test_delimiter(void **state)
{
	(void)state;
	struct csv_reader *r = csv_open_mem("UPN;Surname;Forename\n", 21, NULL);
	struct csv_record rec;
	assert_int_equal(csv_next(r, &rec), CSV_OK);
	assert_int_equal(csv_check_header(r, &rec), CSV_E_DELIMITER);
	assert_string_equal(csv_errmsg(r), "wrong delimiter: the header uses ';' — export the "
			    "file as comma-separated (CSV)");
	csv_close(r);
	r = csv_open_mem("UPN\tSurname\tDOB;x\n", 18, NULL);
	assert_int_equal(csv_next(r, &rec), CSV_OK);
	assert_int_equal(csv_check_header(r, &rec), CSV_E_DELIMITER);
	assert_string_equal(csv_errmsg(r), "wrong delimiter: the header uses tabs — export the "
			    "file as comma-separated (CSV)");
	csv_close(r);
	assert_int_equal(header_check("UPN|Surname\n"), CSV_E_DELIMITER);
	assert_int_equal(header_check("UPN,Surname;Forename\n"), CSV_OK);
	assert_int_equal(header_check("UPN,Surname\n"), CSV_OK);
	assert_int_equal(header_check("UPN\n"), CSV_OK);
	assert_string_equal(csv_status_name(CSV_E_DELIMITER), "wrong_delimiter");
}

static void test_errinfo(void **state)
{
	(void)state;
	const char *in = "a\nb\nO\"Brien\n";
	struct csv_reader *r = csv_open_mem(in, strlen(in), NULL);
	struct csv_record rec;
	struct errinfo e;
	assert_int_equal(csv_next(r, &rec), CSV_OK);
	assert_int_equal(csv_next(r, &rec), CSV_OK);
	int rc = csv_next(r, &rec);
	assert_int_equal(rc, CSV_E_BAD_QUOTE);
	assert_int_equal(csv_errinfo(r, rc, &rec, &e), HE_INVALID);
	assert_int_equal(e.code, HE_INVALID);
	assert_int_equal(e.line, 3);
	assert_string_equal(e.message, csv_errmsg(r));
	csv_close(r);
}

static void test_offsets(void **state)
{
	(void)state;
	const char *in = "\xEF\xBB\xBFh,i\r\n\r\nab,\"c\nd\"\nlast";
	struct csv_reader *r = csv_open_mem(in, strlen(in), &(struct csv_opts){.block = 2});
	struct csv_record rec;
	assert_int_equal(csv_next(r, &rec), CSV_OK);
	assert_int_equal(rec.offset, 3);
	assert_int_equal(csv_next(r, &rec), CSV_OK);
	assert_int_equal(rec.offset, 10);
	assert_int_equal(rec.line, 3);
	assert_int_equal(rec.end_line, 4);
	assert_true(csv_offset(r) >= 19);
	assert_int_equal(csv_next(r, &rec), CSV_OK);
	assert_int_equal(rec.offset, 19);
	assert_int_equal(csv_next(r, &rec), CSV_EOF);
	assert_int_equal(csv_offset(r), strlen(in));
	csv_close(r);
}

/* ---- other sources ------------------------------------------------------ */

static void test_fd_and_file(void **state)
{
	(void)state;
	char path[] = "/tmp/test_csv_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *in = "\xEF\xBB\xBFUPN,Name\r\nA,\"B, C\"\r\n";
	assert_int_equal(write(fd, in, strlen(in)), (ssize_t)strlen(in));
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	struct csv_reader *r = csv_open_fd(fd, &(struct csv_opts){.block = 3});
	struct csv_record rec;
	assert_int_equal(csv_next(r, &rec), CSV_OK);
	assert_int_equal(csv_next(r, &rec), CSV_OK);
	assert_string_equal(rec.f[1].p, "B, C");
	assert_int_equal(csv_next(r, &rec), CSV_EOF);
	csv_close(r);

	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	r = csv_open_file(fp, NULL);
	assert_int_equal(csv_next(r, &rec), CSV_OK);
	assert_string_equal(rec.f[0].p, "UPN");
	assert_int_equal(csv_next(r, &rec), CSV_OK);
	assert_int_equal(rec.line, 2);
	assert_int_equal(csv_next(r, &rec), CSV_EOF);
	csv_close(r);
	fclose(fp);
	close(fd);
	unlink(path);

	/* A read error ends the stream with CSV_E_IO. */
	r = csv_open_fd(-1, NULL);
	assert_int_equal(csv_next(r, &rec), CSV_E_IO);
	assert_string_equal(csv_errmsg(r), "could not read the file: Bad file descriptor");
	assert_int_equal(csv_next(r, &rec), CSV_EOF);
	csv_close(r);
}

/* ---- large inputs --------------------------------------------------------- */

/* An endless census: row i has 30 fields, some quoted with commas, quotes
 * and (every 1000th row) a line break.  Generated block by block so the
 * input never exists in memory at once. */
struct gen {
	long rows, next;
	char line[512];
	size_t len, off;
};

static void gen_row(struct gen *g, long i)
{
	int n = snprintf(g->line, sizeof g->line, "A%012ld,\"Smith, %ld\",Jo,2012-09-%02ld,F,%ld,"
			 "100001,LE1 %ldAA,%s,K,0,0,0,0,0,0,0,0,%ld,%ld,%ld,%ld,4,2,0,0,"
			 "2024-10-03,\"said \"\"hi\"\"\",x,%s\r\n",
			 i, i, 1 + i % 28, i % 12, i % 9, i % 2 ? "Y" : "N", 300 + i % 50,
			 270 + i % 30, i % 20, i % 10, i % 1000 ? "end" : "\"two\nlines\"");
	g->len = (size_t)n;
	g->off = 0;
}

static ssize_t gen_read(void *ctx, void *out, size_t n)
{
	struct gen *g = ctx;
	size_t done = 0;
	while (done < n) {
		if (g->off == g->len) {
			if (g->next == g->rows)
				break;
			gen_row(g, g->next++);
		}
		size_t k = g->len - g->off;
		if (k > n - done)
			k = n - done;
		memcpy((char *)out + done, g->line + g->off, k);
		g->off += k;
		done += k;
	}
	return (ssize_t)done;
}

static void test_large_constant_memory(void **state)
{
	(void)state;
	struct gen g = {.rows = 300000};
	struct csv_reader *r = csv_open_cb(gen_read, &g, NULL);
	struct csv_record rec;
	long n = 0, line = 1;
	size_t mem_max = 0;
	char want[64];
	while (csv_next(r, &rec) == CSV_OK) {
		assert_int_equal(rec.n, 30);
		assert_int_equal(rec.line, line);
		snprintf(want, sizeof want, "Smith, %ld", n);
		assert_string_equal(rec.f[1].p, want);
		assert_string_equal(rec.f[27].p, "said \"hi\"");
		assert_string_equal(rec.f[29].p, n % 1000 ? "end" : "two\nlines");
		line = rec.end_line + 1;
		if (csv_memory(r) > mem_max)
			mem_max = csv_memory(r);
		n++;
	}
	assert_int_equal(n, 300000);
	assert_int_equal(line, 300000 + 300 + 1);
	assert_true(csv_offset(r) > 40 * 1000 * 1000);
	/* Two blocks and the field arrays, whatever the file size. */
	assert_true(mem_max <= 2 * CSV_BLOCK + 2 + 64 * 24);
	csv_close(r);
}

/* Big records and a big file with tiny blocks agree with one big block. */
static void test_large_block_agreement(void **state)
{
	(void)state;
	struct gen g = {.rows = 3000};
	struct buf b;
	buf_init(&b, 0);
	char chunk[4096];
	ssize_t k;
	while ((k = gen_read(&g, chunk, sizeof chunk)) > 0)
		buf_append(&b, chunk, (size_t)k);
	buf_puts(&b, "\"");
	for (int i = 0; i < 20000; i++)
		buf_puts(&b, i % 100 ? "ab" : "\"\"\n");
	buf_puts(&b, "\",tail\nO\"Brien\nfin");
	char *a = dump_all(b.data, b.len, NULL);
	/* 3,000 rows on 3,003 lines, a 40 KB field over 200 lines, … */
	assert_non_null(strstr(a, "\nL3003: A000000002999|"));
	assert_non_null(strstr(a, "\nL3004-3204: \"\"\\nabab"));
	assert_non_null(strstr(a, "ab\"|tail\nE bad_quote L3205 f0\nL3206: fin\nEOF"));
	free(a);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple),
		cmocka_unit_test(test_line_ends),
		cmocka_unit_test(test_no_final_newline),
		cmocka_unit_test(test_empty_fields),
		cmocka_unit_test(test_bom),
		cmocka_unit_test(test_quoted),
		cmocka_unit_test(test_quoted_newlines),
		cmocka_unit_test(test_blank_lines),
		cmocka_unit_test(test_spaces_kept),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_utf16),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_unterminated),
		cmocka_unit_test(test_bad_quote),
		cmocka_unit_test(test_after_quote),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_recovery_keeps_structure),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_default_limits),
		cmocka_unit_test(test_delimiter),
		cmocka_unit_test(test_errinfo),
		cmocka_unit_test(test_offsets),
		cmocka_unit_test(test_fd_and_file),
		cmocka_unit_test(test_large_constant_memory),
		cmocka_unit_test(test_large_block_agreement),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
