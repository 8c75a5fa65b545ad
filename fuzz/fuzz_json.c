/* fuzz_json.c — libFuzzer target for the JSON request body parser
 * (req_json_body and json_str in src/web/req.c) and the field readers
 * every API handler runs on the strings it returns (src/base/valid.c,
 * date.c, money.c).
 *
 * The input is the body of a request with no Content-Type (the parser
 * then takes it as JSON, as the server does).  Checked on every call:
 *   - an accepted body is an object, none of whose string members holds a
 *     NUL, and it survives a dump and reload unchanged;
 *   - json_str agrees with the member's type;
 *   - a refused body sets r->err to bad_json or invalid with a message,
 *     and the error envelope the client gets (req_json_error) is valid
 *     JSON (strict jansson: UTF-8, no NUL) carrying that code and message
 *     (found: a message or field name cut short mid-character made it
 *     invalid UTF-8; fmt_json now writes U+FFFD for such bytes);
 *   - on every string member: email_norm, upn_norm and postcode_norm give
 *     a value their _valid accepts and that normalises to itself;
 *     upn_valid agrees with upn_norm; date_parse, datetime_parse and
 *     money_parse read back what they format (the same day, the same
 *     pence); text_field_check passes only text that is text_valid,
 *     within the limit and, when required, not blank.
 * ASan/UBSan check the memory; the body is copied into a buffer of
 * exactly its size so that any read past it is caught.
 *
 * Build and run:  make fuzz (or fuzz/run-ci.sh); alone:
 *   build/fuzz/fuzz_json -max_total_time=60 fuzz/corpus/json */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/date.h"
#include "base/money.h"
#include "base/valid.h"
#include "web/http.h"

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static void check_email(const char *s)
{
	char a[255], b[255];
	if (!email_norm(s, a))
		return;
	CHECK(strlen(a) <= 254 && email_valid(a));
	CHECK(email_norm(a, b) && strcmp(a, b) == 0);
	for (const char *p = a; *p; p++)
		CHECK(!(*p >= 'A' && *p <= 'Z') && *p != ' ' && *p != '\t');
}

static void check_upn(const char *s)
{
	char a[14], b[14];
	bool ok = upn_norm(s, a);
	CHECK(ok == upn_valid(s));
	if (!ok)
		return;
	CHECK(strlen(a) == 13 && upn_valid(a));
	CHECK(upn_norm(a, b) && strcmp(a, b) == 0);
}

static void check_postcode(const char *s)
{
	char a[9], b[9];
	bool ok = postcode_norm(s, a);
	CHECK(ok == postcode_valid(s));
	if (!ok)
		return;
	CHECK(strlen(a) <= 8 && strchr(a, ' ') && postcode_valid(a));
	CHECK(postcode_norm(a, b) && strcmp(a, b) == 0);
}

static void check_dates(const char *s)
{
	hday d, d2;
	char f[11], t[17], t2[17];
	if (date_parse(s, &d)) {
		date_format(d, f);
		CHECK(date_parse(f, &d2) && d2 == d);
		if (s[4] == '-')  /* the ISO form is already canonical */
			CHECK(strcmp(f, s) == 0);
	}
	if (datetime_parse(s, t)) {
		CHECK(strlen(t) == 16);
		CHECK(datetime_parse(t, t2) && strcmp(t, t2) == 0);
	}
}

static void check_money(const char *s)
{
	int64_t p, q;
	char f[32];
	if (money_parse(s, &p) == HE_OK) {
		CHECK(p >= 0 && p <= MONEY_MAX);
		money_plain(p, f);
		CHECK(money_parse(f, &q) == HE_OK && q == p);
		money_format(p, f);
		CHECK(money_parse(f, &q) == HE_OK && q == p);
	}
	if (money_parse_signed(s, true, &p) == HE_OK) {
		CHECK(p >= -MONEY_MAX && p <= MONEY_MAX);
		money_format(p, f);
		CHECK(money_parse_signed(f, true, &q) == HE_OK && q == p);
	}
}

static void check_text(const char *s, size_t len)
{
	struct errinfo e;
	for (int required = 0; required < 2; required++) {
		size_t max = required ? 16 : 4000;
		memset(&e, 0, sizeof e);
		int rc = text_field_check(s, required, max, "note", "a note", &e);
		if (rc == HE_OK) {
			CHECK(text_valid(s, len) && len <= max);
			CHECK(!required || !text_blank(s));
		} else {
			CHECK(e.code == rc && strcmp(e.field, "note") == 0 && e.message[0]);
		}
	}
}

static void check_string(const char *s, size_t len)
{
	check_email(s);
	check_upn(s);
	check_postcode(s);
	check_dates(s);
	check_money(s);
	check_text(s, len);
}

static void check_accepted(json_t *j)
{
	const char *key;
	json_t *v;
	CHECK(json_is_object(j));
	json_object_foreach(j, key, v) {
		const char *s = json_str(j, key);
		CHECK(json_is_string(v) == (s != NULL));
		if (!s)
			continue;
		CHECK(strlen(s) == json_string_length(v));
		check_string(s, json_string_length(v));
	}
	char *dump = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	CHECK(dump);
	json_error_t je;
	json_t *back = json_loads(dump, JSON_REJECT_DUPLICATES, &je);
	CHECK(back && json_equal(j, back));
	json_decref(back);
	free(dump);
}

/* The answer the client gets must be JSON whatever the body was. */
static void check_refused(struct req *r)
{
	int code = r->err.code;
	CHECK(code == HE_BAD_JSON || code == HE_INVALID);
	CHECK(r->err.message[0] != '\0');
	req_json_error(r, code);
	CHECK(r->status == 400 || r->status == 422);
	json_error_t je;
	json_t *env = json_loadb(r->out.data, r->out.len, JSON_REJECT_DUPLICATES, &je);
	CHECK(env);
	json_t *err = json_object_get(env, "error");
	CHECK(json_is_object(err));
	CHECK(json_is_string(json_object_get(err, "code")));
	CHECK(strcmp(json_string_value(json_object_get(err, "code")), err_name(code)) == 0);
	CHECK(json_is_string(json_object_get(err, "message")));
	/* the message as set, or (where cutting it short split a character)
	 * with U+FFFD in the split one's place */
	if (text_valid(r->err.message, strlen(r->err.message)))
		CHECK(strcmp(json_string_value(json_object_get(err, "message")), r->err.message) == 0);
	json_decref(env);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct req r;
	char *body = malloc(size ? size : 1);
	memcpy(body, data, size);
	memset(&r, 0, sizeof r);
	arena_init(&r.arena);
	buf_init(&r.out, 0);
	r.method = "POST";
	r.path = "/api/v1/referrals";
	r.body = body;
	r.body_len = size;

	json_t *j = req_json_body(&r);
	if (j)
		check_accepted(j);
	else
		check_refused(&r);
	json_decref(j);

	buf_free(&r.out);
	arena_free(&r.arena);
	free(body);
	return 0;
}
