/* test_valid.c — unit tests for src/base/valid.c: UPN, NHS number,
 * postcode, email and UTF-8 text validation, each on many valid and
 * invalid cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "base/valid.h"

#define N_(a) (sizeof (a) / sizeof (a)[0])

/* ---- UPN ------------------------------------------------------------------ */

/* Published examples, each checked by hand against the DfE algorithm:
 *   H801200001001, G80120000101A (temporary), Z801200001001 (wrong letter):
 *     the DfE's "Unique Pupil Numbers (UPNs)" guidance for schools and LAs,
 *     as quoted in the DfE's multiplication tables check service tests.
 *   B801200005001 valid, A801200005001 wrong letter: python-stdnum's
 *     stdnum.gb.upn documentation.
 *   X00180001701A (temporary): ScholarPack's temporary UPN article.
 * The rest are real-format UPNs (real LA numbers 330 Birmingham, 873
 * Cambridgeshire, 206 Islington, 352 Manchester, 380 Bradford, 919
 * Hertfordshire, 937 Warwickshire) whose letters were computed by an
 * independent Python implementation of the govtalk specification. */
static const char *upn_good[] = {
	"H801200001001", "B801200005001", "X330410024001", "R873201523117",
	"T206350019042", "G352402123999", "H380100522500", "A919700021234",
	"P207000016049",
};
static const char *upn_good_temporary[] = {
	"G80120000101A", "X00180001701A", "X33041002400B", "D87320152311Z",
	"N20635001904H", "W93722000000R",
};

static void test_upn_published_and_computed(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_(upn_good); i++) {
		if (!upn_valid(upn_good[i]))
			fail_msg("upn_valid(\"%s\") refused a valid UPN", upn_good[i]);
		assert_false(upn_is_temporary(upn_good[i]));
		assert_int_equal(upn_check_letter(upn_good[i] + 1), upn_good[i][0]);
	}
	for (size_t i = 0; i < N_(upn_good_temporary); i++) {
		if (!upn_valid(upn_good_temporary[i]))
			fail_msg("upn_valid(\"%s\") refused a temporary UPN", upn_good_temporary[i]);
		assert_true(upn_is_temporary(upn_good_temporary[i]));
		assert_int_equal(upn_check_letter(upn_good_temporary[i] + 1),
				 upn_good_temporary[i][0]);
	}
}

/* The worked example in several MIS suppliers' census help pages
 * ("B207000016049 … =267 … left with 13 … Q") slips twice: the products
 * listed sum to 266, and 13 is P, not Q.  The algorithm gives P. */
static void test_upn_suppliers_worked_example(void **state)
{
	(void)state;
	assert_int_equal(upn_check_letter("207000016049"), 'P');
	assert_true(upn_valid("P207000016049"));
	assert_false(upn_valid("Q207000016049"));
	assert_false(upn_valid("B207000016049"));
}

static void test_upn_invalid(void **state)
{
	(void)state;
	static const char *bad[] = {
		"Z801200001001",   /* DfE example of a wrong check letter */
		"A801200005001",   /* stdnum example of a wrong check letter */
		"I801200001001",   /* I, O, S are never check letters */
		"O801200001001",
		"S801200001001",
		"1801200001001",   /* check letter missing */
		"H80120000100",    /* 12 characters */
		"H8012000010011",  /* 14 characters */
		"H80120000100 1",
		"H 801200001001",
		"H813111E00121",   /* DfE examples: letters in characters 5–12 */
		"H8131111E0121",
		"H81311111E121",
		"H813111111E21",
		"H8131111111E1",
		"HA01200001001",   /* letter in the LA number */
		"G80120000101S",   /* temporary letter I, O, S not allowed */
		"G80120000101I",
		"G80120000101O",
		"G8012000010AA",   /* two letters at the end */
		"G80120000101B",   /* right form, wrong check for B */
		"H80120000100-",
		"H801200001001\x01",
		"",
		"             ",
		NULL,
	};
	for (size_t i = 0; i < N_(bad); i++) {
		char out[14] = "untouched";
		if (upn_valid(bad[i]))
			fail_msg("upn_valid(\"%s\") accepted an invalid UPN", bad[i]);
		assert_false(upn_norm(bad[i], out));
		assert_false(upn_is_temporary(bad[i]));
	}
}

/* Any one digit changed, and any two different adjacent digits swapped,
 * changes the check letter: weights 2..13 and differences 1..9 are never
 * multiples of the prime 23. */
static void test_upn_detects_single_errors(void **state)
{
	(void)state;
	for (size_t k = 0; k < N_(upn_good); k++) {
		char u[14];
		for (int i = 1; i < 13; i++) {
			for (char c = '0'; c <= '9'; c++) {
				memcpy(u, upn_good[k], 14);
				if (u[i] == c)
					continue;
				u[i] = c;
				if (upn_valid(u))
					fail_msg("%s with one digit changed (%s) still valid",
						 upn_good[k], u);
			}
		}
		for (int i = 1; i < 12; i++) {
			memcpy(u, upn_good[k], 14);
			if (u[i] == u[i + 1])
				continue;
			char t = u[i];
			u[i] = u[i + 1];
			u[i + 1] = t;
			if (upn_valid(u))
				fail_msg("%s with a transposition (%s) still valid", upn_good[k], u);
		}
	}
}

/* Exactly one check letter fits any twelve characters. */
static void test_upn_one_letter_fits(void **state)
{
	(void)state;
	static const char letters[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	for (size_t k = 0; k < N_(upn_good); k++) {
		char u[14];
		int fits = 0;
		memcpy(u, upn_good[k], 14);
		for (int i = 0; letters[i]; i++) {
			u[0] = letters[i];
			fits += upn_valid(u);
		}
		assert_int_equal(fits, 1);
	}
}

static void test_upn_norm_and_case(void **state)
{
	(void)state;
	char out[14];
	assert_true(upn_norm("h801200001001", out));
	assert_string_equal(out, "H801200001001");
	assert_true(upn_norm("g80120000101a", out));
	assert_string_equal(out, "G80120000101A");
	assert_true(upn_is_temporary("g80120000101a"));
	assert_true(upn_norm("  H801200001001\r\n", out));  /* pasted */
	assert_string_equal(out, "H801200001001");
	assert_true(upn_valid(" B801200005001\t"));
	/* The LA number is not checked against the list of LA codes; this
	 * DfE example of an unknown LA (900) has a correct check letter. */
	assert_true(upn_valid("R900400001001"));
}

static void test_upn_check_letter(void **state)
{
	(void)state;
	assert_int_equal(upn_check_letter("801200001001"), 'H');
	assert_int_equal(upn_check_letter("801200005001"), 'B');
	assert_int_equal(upn_check_letter("80120000101A"), 'G');
	assert_int_equal(upn_check_letter("80120000101a"), 'G');
	assert_int_equal(upn_check_letter("000000000000"), 'A');
	assert_int_equal(upn_check_letter("00180001701A"), 'X');
	assert_int_equal(upn_check_letter("80120000101S"), 0);
	assert_int_equal(upn_check_letter("8012000010AA"), 0);
	assert_int_equal(upn_check_letter("A01200001001"), 0);
	assert_int_equal(upn_check_letter("80120000100"), 0);  /* 11 characters */
	assert_int_equal(upn_check_letter(""), 0);
	/* Only twelve characters are read: the demo generator may pass a
	 * pointer into a longer string. */
	assert_int_equal(upn_check_letter("801200001001XYZ"), 'H');
	/* Every check letter is in the 23-letter alphabet. */
	char twelve[32];
	for (int serial = 0; serial < 1000; serial++) {
		snprintf(twelve, sizeof twelve, "330410024%03d", serial);
		char c = upn_check_letter(twelve);
		assert_non_null(strchr("ABCDEFGHJKLMNPQRTUVWXYZ", c));
		assert_true(c != 0);
		char u[14];
		u[0] = c;
		memcpy(u + 1, twelve, 13);
		assert_true(upn_valid(u));
	}
}

/* ---- NHS number ------------------------------------------------------------ */

static void test_nhs_valid(void **state)
{
	(void)state;
	static const char *good[] = {
		"9434765919",      /* the NHS's own example */
		"943 476 5919",
		"4010232137",
		"401 023 2137",
		"9999999999",
		"4857773457",
		"4505577104",
		"1111111111",
		" 943 476 5919 ",  /* surrounding whitespace ignored */
	};
	for (size_t i = 0; i < N_(good); i++)
		if (!nhs_valid(good[i]))
			fail_msg("nhs_valid(\"%s\") refused a valid number", good[i]);
}

static void test_nhs_invalid(void **state)
{
	(void)state;
	static const char *bad[] = {
		"9434765918",      /* wrong check digit */
		"9434765910",
		"9434765911",
		"4010232138",
		"1234567890",      /* check value 10: never valid */
		"1234567891",
		"123 456 7890",
		"943476591",       /* 9 digits */
		"94347659190",     /* 11 digits */
		"943-476-5919",    /* only spaces separate the groups */
		"9434 765 919",    /* not 3-3-4 */
		"943 4765919",
		"9434765 919",
		"943  476 5919",
		"943 476 591 9",
		"943476591X",
		"abcdefghij",
		"",
		NULL,
	};
	for (size_t i = 0; i < N_(bad); i++)
		if (nhs_valid(bad[i]))
			fail_msg("nhs_valid(\"%s\") accepted an invalid number", bad[i]);
	/* Every other final digit of a valid number fails. */
	char n[11] = "9434765919";
	for (char c = '0'; c <= '9'; c++) {
		n[9] = c;
		assert_int_equal(nhs_valid(n), c == '9');
	}
}

/* ---- Postcode -------------------------------------------------------------- */

static void test_postcode_valid(void **state)
{
	(void)state;
	static const struct { const char *in, *norm; } good[] = {
		{"SW1A 1AA", "SW1A 1AA"},  /* AA9A 9AA */
		{"EC1A 1BB", "EC1A 1BB"},
		{"W1A 0AX", "W1A 0AX"},    /* A9A 9AA */
		{"M1 1AE", "M1 1AE"},      /* A9 9AA */
		{"B33 8TH", "B33 8TH"},    /* A99 9AA */
		{"CR2 6XH", "CR2 6XH"},    /* AA9 9AA */
		{"DN55 1PT", "DN55 1PT"},  /* AA99 9AA */
		{"GIR 0AA", "GIR 0AA"},
		{"gir0aa", "GIR 0AA"},
		{"sw1a1aa", "SW1A 1AA"},
		{"Sw1a 1aA", "SW1A 1AA"},
		{"  EC1A 1BB\n", "EC1A 1BB"},
		{"EC1A  1BB", "EC1A 1BB"},  /* spaces at the break are fine */
		{"N1C 4AG", "N1C 4AG"},
		{"E1W 1AA", "E1W 1AA"},
		{"SE1P 5LX", "SE1P 5LX"},
		{"WC2N 5DU", "WC2N 5DU"},
		{"LS1 4AP", "LS1 4AP"},
		{"BS98 1TL", "BS98 1TL"},
		{"BX1 1LT", "BX1 1LT"},
		{"GX11 1AA", "GX11 1AA"},
		{"L1 8JQ", "L1 8JQ"},
		{"YO10 5DD", "YO10 5DD"},
	};
	for (size_t i = 0; i < N_(good); i++) {
		char out[9];
		if (!postcode_valid(good[i].in))
			fail_msg("postcode_valid(\"%s\") refused a valid postcode", good[i].in);
		assert_true(postcode_norm(good[i].in, out));
		assert_string_equal(out, good[i].norm);
	}
}

static void test_postcode_invalid(void **state)
{
	(void)state;
	static const char *bad[] = {
		"SW1A", "SW1A 1A", "SW1A 1AAA", "1AA",
		"Q1 1AA", "V1 1AA", "X1 1AA",          /* Q, V, X never first */
		"AI1 1AA", "AJ1 1AA", "AZ1 1AA",       /* I, J, Z never second */
		"W1I 1AA", "W1L 1AA",                  /* A9A third letter */
		"SW1C 1AA", "EC1D 1BB",                /* AA9A fourth letter */
		"SW1A 1CA", "SW1A 1AI", "SW1A 1AK",    /* inward: no C I K M O V */
		"SW1A 1MA", "SW1A 1AO", "SW1A 1VA",
		"SW1A AAA", "SW1A 11A", "SW1A 1A1",
		"SWA1 1AA", "S11A 1AA", "1W1A 1AA", "SW123 1AA", "SW12A 1AA",
		"GIR 0AB", "GIR 1AA",
		"S W1A 1AA", "SW1A1 AA", "SW1 A1AA",   /* space in the wrong place */
		"SW1A-1AA", "SW1A\t1AA", "SW1A_1AA",
		"SW1A 1AA x", "SW1A 1AA.",
		"<script>", "", "   ", NULL,
	};
	for (size_t i = 0; i < N_(bad); i++) {
		char out[9];
		if (postcode_valid(bad[i]))
			fail_msg("postcode_valid(\"%s\") accepted an invalid postcode", bad[i]);
		assert_false(postcode_norm(bad[i], out));
	}
}

/* ---- Email ------------------------------------------------------------------ */

static void test_email_valid(void **state)
{
	(void)state;
	static const struct { const char *in, *norm; } good[] = {
		{"a@b.co", "a@b.co"},
		{"coordinator@hearth.example", "coordinator@hearth.example"},
		{"first.last+tag@sub.example.org.uk", "first.last+tag@sub.example.org.uk"},
		{"o'brien@example.com", "o'brien@example.com"},
		{"USER@Example.COM", "user@example.com"},
		{"  x@example.com\n", "x@example.com"},
		{"a-b_c@ex-ample.com", "a-b_c@ex-ample.com"},
		{"x@123.example.com", "x@123.example.com"},
		{"123@example.com", "123@example.com"},
		{"!#$%&'*+-/=?^_`{|}~@example.com", "!#$%&'*+-/=?^_`{|}~@example.com"},
		{"head@school.sch.uk", "head@school.sch.uk"},
		{"x@xn--bcher-kva.example", "x@xn--bcher-kva.example"},
	};
	for (size_t i = 0; i < N_(good); i++) {
		char out[255];
		if (!email_valid(good[i].in))
			fail_msg("email_valid(\"%s\") refused a valid address", good[i].in);
		assert_true(email_norm(good[i].in, out));
		assert_string_equal(out, good[i].norm);
	}
}

static void test_email_invalid(void **state)
{
	(void)state;
	static const char *bad[] = {
		"", "   ", "plain", "@example.com", "a@", "a@b", "a@.",
		"a@@example.com", "a@b@example.com",
		"a b@example.com", "a@exa mple.com", "a@example.com x",
		".a@example.com", "a.@example.com", "a..b@example.com",
		"a@-example.com", "a@example-.com", "a@example..com",
		"a@.example.com", "a@example.com.", "a@1.2.3.4",
		"a@[127.0.0.1]", "\"a\"@example.com", "a(b)@example.com",
		"a,b@example.com", "a;b@example.com", "a@exam_ple.com",
		"a\\b@example.com", "\xc3\xa9@example.com", "a@ex\xc3\xa4mple.com",
		"<script>@example.com", "a@example.com<script>", "a\n@example.com",
		"a@example.com\x01", NULL,
	};
	for (size_t i = 0; i < N_(bad); i++) {
		char out[255];
		if (email_valid(bad[i]))
			fail_msg("email_valid(\"%s\") accepted an invalid address", bad[i]);
		assert_false(email_norm(bad[i], out));
	}
}

static void test_email_lengths(void **state)
{
	(void)state;
	char s[400], out[255];
	/* Local part: 64 characters is the limit. */
	memset(s, 'a', 64);
	strcpy(s + 64, "@example.com");
	assert_true(email_valid(s));
	memset(s, 'a', 65);
	strcpy(s + 65, "@example.com");
	assert_false(email_valid(s));
	/* A label: 63 characters is the limit. */
	strcpy(s, "a@");
	memset(s + 2, 'b', 63);
	strcpy(s + 65, ".com");
	assert_true(email_valid(s));
	strcpy(s, "a@");
	memset(s + 2, 'b', 64);
	strcpy(s + 66, ".com");
	assert_false(email_valid(s));
	/* The whole address: 254 characters is the limit. */
	size_t n = 0;
	memset(s, 'a', 60);
	n = 60;
	s[n++] = '@';
	while (n < 254 - 4) {  /* labels of 9 'b's and a dot */
		memset(s + n, 'b', 9);
		n += 9;
		s[n++] = '.';
	}
	s[n] = '\0';
	/* pad the final label so the total is exactly 254 */
	while (n < 254)
		s[n++] = 'c';
	s[n] = '\0';
	assert_int_equal(strlen(s), 254);
	assert_true(email_norm(s, out));
	assert_string_equal(out, s);
	s[n++] = 'c';
	s[n] = '\0';
	assert_false(email_valid(s));
}

/* ---- Text ------------------------------------------------------------------- */

static void test_text_valid(void **state)
{
	(void)state;
	static const char *good[] = {
		"", "hello", "tab\there", "line\r\nbreak", "Robert'); DROP TABLE pupils;--",
		"\xc2\xa3",                 /* U+00A3 £ */
		"\xc2\xa0",                 /* U+00A0, first after the C1 controls */
		"\xe2\x82\xac",             /* U+20AC € */
		"\xe0\xa0\x80",             /* U+0800, shortest 3-byte */
		"\xed\x9f\xbf",             /* U+D7FF, last before surrogates */
		"\xee\x80\x80",             /* U+E000, first after surrogates */
		"\xef\xbf\xbd",             /* U+FFFD */
		"\xf0\x90\x80\x80",         /* U+10000, shortest 4-byte */
		"\xf0\x9f\x98\x80",         /* U+1F600 emoji */
		"\xf4\x8f\xbf\xbf",         /* U+10FFFF, the last code point */
		"Zo\xc3\xab \xc5\x81\xc3\xb3" "d\xc5\xba",
	};
	for (size_t i = 0; i < N_(good); i++)
		if (!text_valid(good[i], strlen(good[i])))
			fail_msg("text_valid refused case %zu", i);
	assert_true(text_valid(NULL, 0));
	/* Only len bytes are examined. */
	assert_true(text_valid("ok\x01", 2));
}

static void test_text_invalid(void **state)
{
	(void)state;
	static const struct { const char *s; size_t len; } bad[] = {
		{"a\0b", 3},                 /* NUL */
		{"\x01", 1}, {"\x1b[31m", 5}, {"\x7f", 1}, {"\x0b", 1}, {"\x0c", 1},
		{"\xc2\x80", 2},             /* U+0080 (C1 control) */
		{"\xc2\x85", 2},             /* U+0085 NEL */
		{"\xc2\x9f", 2},             /* U+009F */
		{"\xc0\x80", 2},             /* overlong NUL */
		{"\xc0\xbc", 2},             /* overlong '<' */
		{"\xc1\xbf", 2},             /* overlong */
		{"\xe0\x80\x80", 3},         /* overlong */
		{"\xe0\x9f\xbf", 3},         /* overlong U+07FF */
		{"\xf0\x80\x80\x80", 4},     /* overlong */
		{"\xf0\x8f\xbf\xbf", 4},     /* overlong U+FFFF */
		{"\xed\xa0\x80", 3},         /* U+D800 surrogate */
		{"\xed\xbf\xbf", 3},         /* U+DFFF surrogate */
		{"\xed\xa0\xbd\xed\xb8\x80", 6},  /* CESU-8 surrogate pair */
		{"\xf4\x90\x80\x80", 4},     /* U+110000 */
		{"\xf5\x80\x80\x80", 4},
		{"\xf8\x88\x80\x80\x80", 5}, /* 5-byte form */
		{"\xfe", 1}, {"\xff", 1},
		{"\x80", 1},                 /* lone continuation */
		{"a\xbf", 2},
		{"\xe2\x82", 2},             /* truncated € */
		{"\xe2\x82\xac", 2},         /* truncated by len */
		{"\xf0\x9f\x98", 3},
		{"\xc3", 1},
		{"\xe2\x28\xa1", 3},         /* bad continuation */
		{"\xc3\x28", 2},
		{"\xf0\x9f\x28\x80", 4},
	};
	for (size_t i = 0; i < N_(bad); i++)
		if (text_valid(bad[i].s, bad[i].len))
			fail_msg("text_valid accepted bad case %zu", i);
	assert_false(text_valid(NULL, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_upn_published_and_computed),
		cmocka_unit_test(test_upn_suppliers_worked_example),
		cmocka_unit_test(test_upn_invalid),
		cmocka_unit_test(test_upn_detects_single_errors),
		cmocka_unit_test(test_upn_one_letter_fits),
		cmocka_unit_test(test_upn_norm_and_case),
		cmocka_unit_test(test_upn_check_letter),
		cmocka_unit_test(test_nhs_valid),
		cmocka_unit_test(test_nhs_invalid),
		cmocka_unit_test(test_postcode_valid),
		cmocka_unit_test(test_postcode_invalid),
		cmocka_unit_test(test_email_valid),
		cmocka_unit_test(test_email_invalid),
		cmocka_unit_test(test_email_lengths),
		cmocka_unit_test(test_text_valid),
		cmocka_unit_test(test_text_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
