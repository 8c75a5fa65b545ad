/* req.c — request accessors and response helpers (see http.h). */
#include "web/http.h"

#include <ctype.h>
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/fmt.h"
#include "base/valid.h"
#include "store/db.h"
#include "web/route.h"

const char *req_query(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *req_cookie(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);
}

const char *req_header(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *req_param(struct req *r, int i)
{
	return i >= 0 && i < REQ_MAX_PARAMS ? r->params[i] : NULL;
}

const struct scope *req_scope(struct req *r)
{
	if (!r->signed_in)
		return NULL;
	if (!r->scope_loaded) {
		if (scope_load(r->db, &r->sess.user, &r->who, &r->scope) != HE_OK) {
			errinfo_set(&r->err, HE_DB, NULL, "could not load your access");
			return NULL;
		}
		r->scope_loaded = true;
	}
	return &r->scope;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	return -1;
}

/* Decode an application/x-www-form-urlencoded component into the arena;
 * *outlen gets the decoded length (which a %00 makes differ from strlen). */
static char *form_decode_n(struct arena *a, const char *s, size_t n, size_t *outlen)
{
	char *out = arena_alloc(a, n + 1), *o = out;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			*o++ = ' ';
		} else if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
			   hexval(s[i + 2]) >= 0) {
			*o++ = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	*outlen = (size_t)(o - out);
	return out;
}

static bool is_form(struct req *r)
{
	const char *ct = req_header(r, "Content-Type");
	return ct && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0;
}

/* Decode the form body once into r->form (arena), in order. */
static void form_parse(struct req *r)
{
	if (r->form_parsed)
		return;
	r->form_parsed = true;
	if (!is_form(r))
		return;
	const char *p = r->body, *end = r->body + r->body_len;
	size_t cap = 1;
	for (const char *q = p; q < end; q++)
		cap += *q == '&';
	r->form = arena_alloc(&r->arena, cap * sizeof *r->form);
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));
		const char *kend = eq ? eq : stop;
		struct form_field *f = &r->form[r->nform++];
		f->key = form_decode_n(&r->arena, p, (size_t)(kend - p), &f->klen);
		f->value = eq ? form_decode_n(&r->arena, eq + 1, (size_t)(stop - eq - 1), &f->vlen)
			      : arena_strdup(&r->arena, "");
		p = stop + 1;
	}
}

const char *req_form(struct req *r, const char *name)
{
	form_parse(r);
	for (int i = 0; i < r->nform; i++)
		if (strcmp(r->form[i].key, name) == 0)
			return r->form[i].value;
	return NULL;
}

int req_check_form(struct req *r)
{
	form_parse(r);
	for (int i = 0; i < r->nform; i++) {
		const struct form_field *f = &r->form[i];
		if (strlen(f->key) != f->klen || !text_valid(f->key, f->klen))
			return errinfo_set(&r->err, HE_INVALID, "", "A form field name is not valid text");
		if (strlen(f->value) != f->vlen || !text_valid(f->value, f->vlen))
			return errinfo_set(&r->err, HE_INVALID, f->key,
				"%.40s must be text, without NUL or control characters", f->key);
	}
	return HE_OK;
}

char *req_take_upload(struct req *r)
{
	if (!r->upload_path || r->upload_taken)
		return NULL;
	r->upload_taken = true;
	return xstrdup(r->upload_path);
}

void req_set_header(struct req *r, const char *name, const char *value)
{
	if (r->nheaders >= REQ_MAX_HEADERS)
		return;
	r->hname[r->nheaders] = name;
	r->hvalue[r->nheaders] = arena_strdup(&r->arena, value);
	r->nheaders++;
}

int req_redirect(struct req *r, const char *location)
{
	r->status = 303;
	/* defence in depth: a control character would make the server library
	 * drop the header and leave a 303 that goes nowhere */
	for (const char *p = location; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			location = "/";
			break;
		}
	req_set_header(r, "Location", location);
	r->content_type = "text/plain; charset=utf-8";
	buf_reset(&r->out);
	buf_puts(&r->out, "See other\n");
	return HE_OK;
}

void req_json(struct req *r, int status)
{
	r->status = status;
	r->content_type = "application/json";
	buf_reset(&r->out);
}

int req_fail(struct req *r, int code, const char *field, const char *message)
{
	return errinfo_set(&r->err, code, field, "%s", message ? message : err_default_message(code));
}

int req_json_error(struct req *r, int code)
{
	const char *msg = r->err.code == code && *r->err.message ? r->err.message
								  : err_default_message(code);
	req_json(r, err_http_status(code));
	fmt_printf(&r->out, "{\"error\":{\"code\":%j,\"message\":%j", err_name(code), msg);
	if (r->err.code == code && *r->err.field)
		fmt_printf(&r->out, ",\"field\":%j", r->err.field);
	if (r->err.code == code && r->err.line)
		fmt_printf(&r->out, ",\"line\":%d", r->err.line);
	buf_puts(&r->out, "}}\n");
	return HE_OK;
}

int req_audit(struct req *r, const char *action, const char *entity,
	      const char *entity_id, const char *summary)
{
	if (db_in_transaction(r->db))
		return audit(r->db, &r->who, action, entity, entity_id, summary);
	return audit_alone(r->db, &r->who, action, entity, entity_id, summary);
}

json_t *req_json_body(struct req *r)
{
	json_error_t je;
	const char *ct = req_header(r, "Content-Type");
	if (ct && strncasecmp(ct, "application/json", 16) != 0) {
		errinfo_set(&r->err, HE_BAD_MEDIA, "", "Send the body as application/json");
		return NULL;
	}
	json_t *j = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
	if (!j) {
		errinfo_set(&r->err, HE_BAD_JSON, "", "The body is not valid JSON: %s"
			    " (line %d, column %d)", je.text, je.line, je.column);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		errinfo_set(&r->err, HE_BAD_JSON, "", "The body must be a JSON object");
		return NULL;
	}
	const char *key;
	json_t *v;
	json_object_foreach(j, key, v) {
		if (json_is_string(v) && strlen(json_string_value(v)) != json_string_length(v)) {
			errinfo_set(&r->err, HE_INVALID, key, "%.40s must not contain NUL characters", key);
			json_decref(j);
			return NULL;
		}
	}
	return j;
}

const char *json_str(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}
