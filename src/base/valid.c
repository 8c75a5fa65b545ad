/* valid.c — validators for UPNs, NHS numbers, postcodes, emails and text
 * (see valid.h).
 *
 * All validators ignore leading and trailing ASCII whitespace (space, tab,
 * CR, LF), since values pasted into forms or exported by an MIS often carry
 * it; the _norm variants write the trimmed canonical form, which is what
 * callers store.  Nothing here allocates. */
#include "base/valid.h"

#include <string.h>

/* The 23 letters of the UPN check alphabet: A–Z without I, O and S.  The
 * check value 0 maps to A, 1 to B … 22 to Z. */
static const char upn_alphabet[] = "ABCDEFGHJKLMNPQRTUVWXYZ";

static bool valid_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool valid_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool valid_alpha(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static char valid_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

static char valid_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

const char *valid_trim(const char *s, size_t *len)
{
	while (valid_space(*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && valid_space(s[n - 1]))
		n--;
	*len = n;
	return s;
}

/* ---- Unique Pupil Number --------------------------------------------------
 *
 * The algorithm is the DfE's, from "Unique Pupil Numbers (UPNs): guidance
 * for schools and local authorities" and the UK Government Data Standards
 * Catalogue entry "Unique Pupil Number" v2.0 (govtalk.gov.uk, agreed
 * 18 November 2004):
 *   - Business format Annnnnnnnnnnn, or AnnnnnnnnnnnA for a temporary UPN.
 *   - Characters 2–4 are the LA number, 5–8 the DfE establishment number,
 *     9–10 the last two digits of the academic year of issue, 11–13 a
 *     serial (two digits and a letter in a temporary UPN).
 *   - The check letter in position 1 is the modulo 23 sum of each
 *     character's value times its position, over positions 2–13 (so
 *     weights 2..13).
 *   - The value is replaced by a letter: 0→A, 1→B … 22→Z, skipping I, O
 *     and S, which are never used as check letter or as the final letter
 *     of a temporary UPN.
 *   - For the calculation, a temporary UPN's final letter takes the value
 *     of that same mapping (A = 0, B = 1 … Z = 22).
 * Checked against the DfE guidance's own examples (H801200001001,
 * temporary G80120000101A) in tests/unit/test_valid.c.  We do not check
 * the LA number against the list of LA codes (it changes; the check
 * letter already catches mistyped digits). */

/* Value of an alphabet letter (either case), or -1. */
static int upn_letter_value(char c)
{
	const char *p = c ? strchr(upn_alphabet, valid_upper(c)) : NULL;
	return p ? (int)(p - upn_alphabet) : -1;
}

char upn_check_letter(const char *twelve)
{
	int sum = 0;
	for (int i = 0; i < 12; i++) {
		char c = twelve[i];
		/* A temporary UPN's final letter counts as its alphabet value. */
		int v = valid_digit(c) ? c - '0' : i == 11 ? upn_letter_value(c) : -1;
		if (v < 0)
			return 0;
		sum += v * (i + 2);
	}
	return upn_alphabet[sum % 23];
}

bool upn_norm(const char *upn, char out[14])
{
	size_t n;
	if (!upn)
		return false;
	upn = valid_trim(upn, &n);
	if (n != 13)
		return false;
	char check = upn_check_letter(upn + 1);
	if (!check || valid_upper(upn[0]) != check)
		return false;
	for (size_t i = 0; i < 13; i++)
		out[i] = valid_upper(upn[i]);
	out[13] = '\0';
	return true;
}

bool upn_valid(const char *upn)
{
	char tmp[14];
	return upn_norm(upn, tmp);
}

bool upn_is_temporary(const char *upn)
{
	char tmp[14];
	return upn_norm(upn, tmp) && valid_alpha(tmp[12]);
}

/* ---- NHS number -----------------------------------------------------------
 *
 * NHS Data Dictionary, "NHS Number": ten digits, the tenth a check digit.
 * Multiply the first nine by weights 10 down to 2, sum, take the remainder
 * mod 11 and subtract it from 11; 11 becomes 0, and 10 means the number is
 * not valid. */

bool nhs_valid(const char *nhs)
{
	size_t n;
	char digits[10];
	int nd = 0;
	if (!nhs)
		return false;
	nhs = valid_trim(nhs, &n);
	if (n != 10 && n != 12)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool gap = n == 12 && (i == 3 || i == 7);  /* "943 476 5919" */
		if (gap ? nhs[i] != ' ' : !valid_digit(nhs[i]))
			return false;
		if (!gap)
			digits[nd++] = nhs[i];
	}
	int sum = 0;
	for (int i = 0; i < 9; i++)
		sum += (digits[i] - '0') * (10 - i);
	int check = 11 - sum % 11;
	if (check == 11)
		check = 0;
	return check != 10 && check == digits[9] - '0';
}

/* ---- Postcode -------------------------------------------------------------
 *
 * The outward code is one of A9, A99, A9A, AA9, AA99, AA9A and the inward
 * code 9AA, with the Royal Mail letter rules of the Government Data
 * Standards Catalogue's postcode pattern (BS 7666): the first letter is
 * never Q, V or X; the second never I, J or Z; a letter in third place
 * (A9A) is one of ABCDEFGHJKPSTUW, in fourth place (AA9A) one of
 * ABEHMNPRVWXY; the inward letters never C, I, K, M, O or V.  GIR 0AA
 * (Girobank) is the one historic exception. */

static bool pc_in(char c, const char *set)
{
	return c && strchr(set, c) != NULL;
}

static bool pc_outward(const char *o, size_t n)
{
	static const char first[] = "ABCDEFGHIJKLMNOPRSTUWYZ";
	static const char second[] = "ABCDEFGHKLMNOPQRSTUVWXY";
	if (n < 2 || n > 4 || !pc_in(o[0], first))
		return false;
	if (valid_digit(o[1])) {  /* A9, A99, A9A */
		if (n == 2)
			return true;
		if (n == 3)
			return valid_digit(o[2]) || pc_in(o[2], "ABCDEFGHJKPSTUW");
		return false;
	}
	if (!pc_in(o[1], second) || n < 3 || !valid_digit(o[2]))  /* AA9… */
		return false;
	if (n == 3)
		return true;
	return valid_digit(o[3]) || pc_in(o[3], "ABEHMNPRVWXY");
}

static bool pc_inward(const char *in)
{
	static const char letters[] = "ABDEFGHJLNPQRSTUWXYZ";
	return valid_digit(in[0]) && pc_in(in[1], letters) && pc_in(in[2], letters);
}

bool postcode_norm(const char *pc, char out[9])
{
	size_t n, alnum = 0, k = 0;
	char c[8];
	if (!pc)
		return false;
	pc = valid_trim(pc, &n);
	for (size_t i = 0; i < n; i++)
		alnum += valid_digit(pc[i]) || valid_alpha(pc[i]);
	if (alnum < 5 || alnum > 7)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (pc[i] == ' ' && k == alnum - 3)
			continue;  /* spaces only between outward and inward */
		if (!valid_digit(pc[i]) && !valid_alpha(pc[i]))
			return false;
		c[k++] = valid_upper(pc[i]);
	}
	c[k] = '\0';
	bool ok = strcmp(c, "GIR0AA") == 0 ||
		  (pc_outward(c, k - 3) && pc_inward(c + k - 3));
	if (!ok)
		return false;
	memcpy(out, c, k - 3);
	out[k - 3] = ' ';
	memcpy(out + k - 2, c + k - 3, 4);
	return true;
}

bool postcode_valid(const char *pc)
{
	char tmp[9];
	return postcode_norm(pc, tmp);
}

/* ---- Email ----------------------------------------------------------------
 *
 * Deliberately practical rather than RFC 5322 in full: a dot-atom local
 * part (letters, digits and !#$%&'*+-/=?^_`{|}~, dots only between
 * characters) of at most 64 characters, and a DNS host name of at least two
 * labels (letters, digits, hyphens not at either end, 1–63 characters
 * each) whose last label is not all digits.  No quoted local parts, IP
 * literals or non-ASCII addresses: nobody in a partnership has one. */

static bool email_local(const char *s, size_t n)
{
	if (n == 0 || n > 64 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '.' && s[i + 1] == '.')
			return false;
		if (!valid_digit(c) && !valid_alpha(c) && !pc_in(c, ".!#$%&'*+-/=?^_`{|}~"))
			return false;
	}
	return true;
}

/* One DNS label of n characters; *alpha set if it holds a non-digit. */
static bool email_label(const char *s, size_t n, bool *alpha)
{
	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	*alpha = false;
	for (size_t i = 0; i < n; i++) {
		if (valid_alpha(s[i]) || s[i] == '-')
			*alpha = true;
		else if (!valid_digit(s[i]))
			return false;
	}
	return true;
}

static bool email_domain(const char *s, size_t n)
{
	size_t labels = 0, start = 0;
	bool alpha = false;
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.')
			continue;
		if (!email_label(s + start, i - start, &alpha))
			return false;
		labels++;
		start = i + 1;
	}
	return labels >= 2 && alpha;  /* alpha: of the last label */
}

bool email_norm(const char *email, char out[255])
{
	size_t n;
	if (!email)
		return false;
	email = valid_trim(email, &n);
	if (n == 0 || n > 254)
		return false;
	const char *at = memchr(email, '@', n);
	if (!at || memchr(at + 1, '@', n - (size_t)(at - email) - 1))
		return false;
	size_t local = (size_t)(at - email);
	if (!email_local(email, local) || !email_domain(at + 1, n - local - 1))
		return false;
	for (size_t i = 0; i < n; i++)
		out[i] = valid_lower(email[i]);
	out[n] = '\0';
	return true;
}

bool email_valid(const char *email)
{
	char tmp[255];
	return email_norm(email, tmp);
}

/* ---- Text -----------------------------------------------------------------
 *
 * Well-formed UTF-8 as in RFC 3629 / Unicode table 3-7: no overlong forms,
 * no surrogates (U+D800–U+DFFF), nothing above U+10FFFF.  Control
 * characters (C0, DEL and C1) are refused except tab, LF and CR. */

/* Length of the well-formed sequence at s (at most n bytes), or 0. */
static size_t text_sequence(const unsigned char *s, size_t n)
{
	unsigned char b = s[0], lo = 0x80, hi = 0xBF;
	size_t len;
	if (b < 0x80)
		return (b >= 0x20 && b != 0x7F) || b == '\t' || b == '\n' || b == '\r';
	if (b >= 0xC2 && b <= 0xDF) {
		len = 2;
		if (b == 0xC2)
			lo = 0xA0;  /* U+0080–U+009F are the C1 controls */
	} else if (b >= 0xE0 && b <= 0xEF) {
		len = 3;
		if (b == 0xE0)
			lo = 0xA0;  /* overlong */
		else if (b == 0xED)
			hi = 0x9F;  /* surrogates */
	} else if (b >= 0xF0 && b <= 0xF4) {
		len = 4;
		if (b == 0xF0)
			lo = 0x90;  /* overlong */
		else if (b == 0xF4)
			hi = 0x8F;  /* above U+10FFFF */
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return len;
}

bool text_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	if (!s)
		return len == 0;
	while (len > 0) {
		size_t k = text_sequence(p, len);
		if (!k)
			return false;
		p += k;
		len -= k;
	}
	return true;
}

bool text_blank(const char *s)
{
	return !s || s[strspn(s, " \t\r\n")] == '\0';
}

int text_field_check(const char *s, bool required, size_t max, const char *field,
		     const char *what, struct errinfo *e)
{
	size_t n = s ? strlen(s) : 0;
	if (required && text_blank(s))
		return errinfo_set(e, HE_MISSING, field, "Enter %s", what);
	if (n > max)
		return errinfo_set(e, HE_INVALID, field, "Keep %s to %zu characters or fewer", what, max);
	if (n && !text_valid(s, n))
		return errinfo_set(e, HE_INVALID, field, "Remove the control characters from %s", what);
	return HE_OK;
}
