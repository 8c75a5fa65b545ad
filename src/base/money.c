/* money.c — parse and format integer pence (see money.h).  No floating
 * point anywhere: the parser accumulates digits into an int64_t with an
 * overflow check against MONEY_MAX, the formatter splits pounds and pence
 * with integer division. */
#include "base/money.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"

static const char *skip_spaces(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Skip a currency sign: "£" (UTF-8 C2 A3) or "GBP". */
static const char *skip_currency(const char *p)
{
	if ((unsigned char)p[0] == 0xC2 && (unsigned char)p[1] == 0xA3)
		return p + 2;
	if (strncmp(p, "GBP", 3) == 0)
		return skip_spaces(p + 3);
	return p;
}

/* The whole pounds: digits, with commas only between groups of exactly
 * three after a first group of one to three.  Returns the end or NULL. */
static const char *parse_pounds(const char *p, int64_t *pounds)
{
	int64_t v = 0;
	int ndigits = 0, group = 0;
	bool commas = false;
	for (;; p++) {
		if (*p >= '0' && *p <= '9') {
			if (v > (MONEY_MAX / 100) / 10 + 1)
				return NULL;
			v = v * 10 + (*p - '0');
			ndigits++;
			group++;
		} else if (*p == ',') {
			if (group == 0 || group > 3 || (commas && group != 3))
				return NULL;
			commas = true;
			group = 0;
		} else {
			break;
		}
	}
	if (ndigits == 0 || (commas && group != 3))
		return NULL;
	*pounds = v;
	return p;
}

int money_parse_signed(const char *s, bool allow_negative, int64_t *pence)
{
	if (!s)
		return HE_INVALID;
	const char *p = skip_spaces(s);
	bool neg = false;
	if (*p == '-') {
		neg = true;
		p = skip_spaces(p + 1);
	}
	p = skip_currency(p);
	if (!neg && *p == '-') {
		neg = true;
		p++;
	}
	int64_t pounds = 0, frac = 0;
	if (*p == '.' && p[1] >= '0' && p[1] <= '9') {
		pounds = 0;     /* ".50" */
	} else {
		p = parse_pounds(p, &pounds);
		if (!p)
			return HE_INVALID;
	}
	if (*p == '.') {
		p++;
		int nd = 0;
		while (*p >= '0' && *p <= '9') {
			if (++nd > 2)
				return HE_INVALID;
			frac = frac * 10 + (*p - '0');
			p++;
		}
		if (nd == 0)
			return HE_INVALID;   /* "12." */
		if (nd == 1)
			frac *= 10;
	}
	p = skip_spaces(p);
	if (*p)
		return HE_INVALID;
	if (pounds > MONEY_MAX / 100)
		return HE_INVALID;
	int64_t v = pounds * 100 + frac;
	if (v > MONEY_MAX)
		return HE_INVALID;
	if (neg && !allow_negative)
		return HE_INVALID;     /* "-0" too: a sign is not allowed */
	*pence = neg ? -v : v;
	return HE_OK;
}

int money_parse(const char *s, int64_t *pence)
{
	return money_parse_signed(s, false, pence);
}

/* Magnitude of pence as unsigned, safe for INT64_MIN. */
static uint64_t magnitude(int64_t pence)
{
	return pence < 0 ? (uint64_t)0 - (uint64_t)pence : (uint64_t)pence;
}

void money_format(int64_t pence, char out[32])
{
	uint64_t m = magnitude(pence), pounds = m / 100;
	char digits[24], grouped[24];   /* 17 digits and 5 commas at most */
	int n = snprintf(digits, sizeof digits, "%" PRIu64, pounds), j = 0;
	for (int i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			grouped[j++] = ',';
		grouped[j++] = digits[i];
	}
	grouped[j] = '\0';
	snprintf(out, 32, "%s\xC2\xA3%s.%02u", pence < 0 ? "-" : "", grouped, (unsigned)(m % 100));
}

void money_plain(int64_t pence, char out[32])
{
	uint64_t m = magnitude(pence);
	snprintf(out, 32, "%s%" PRIu64 ".%02u", pence < 0 ? "-" : "", m / 100, (unsigned)(m % 100));
}

void money_share(int64_t part, int64_t whole, char out[16])
{
	if (whole <= 0 || part < 0) {
		snprintf(out, 16, "0.0%%");
		return;
	}
	/* tenths of a percent, rounded half up; both clamped to MONEY_MAX so
	 * part * 1000 fits, the result to 9999.9% so it fits out. */
	uint64_t p = (uint64_t)(part > MONEY_MAX ? MONEY_MAX : part);
	uint64_t w = (uint64_t)(whole > MONEY_MAX ? MONEY_MAX : whole);
	uint64_t t = (p * 1000u + w / 2u) / w;
	if (t > 99999u)
		t = 99999u;
	snprintf(out, 16, "%u.%u%%", (unsigned)(t / 10), (unsigned)(t % 10));
}
