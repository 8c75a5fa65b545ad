/* auth_web.c — signing in and out (page and API), the current user, health,
 * and enrolling an authenticator app. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/fmt.h"
#include "store/db.h"
#include "web/http.h"
#include "web/page.h"
#include "web/qr.h"
#include "web/route.h"

#define SESSION_COOKIE "hearth_session=%s; HttpOnly; SameSite=Strict; Path=/; Max-Age=%d%s"
#define CLEAR_COOKIE "hearth_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"

static void user_json(struct buf *b, const struct user *u)
{
	fmt_printf(b, "{\"id\":%lld,\"email\":%j,\"name\":%j,\"role\":%j,\"school\":",
		   (long long)u->id, u->email, u->name, role_name(u->role));
	if (u->school_urn)
		fmt_printf(b, "{\"urn\":%j,\"name\":%j}", u->school_urn, u->school_name);
	else
		buf_puts(b, "null");
	fmt_printf(b, ",\"totp_enabled\":%s}", u->totp_enabled ? "true" : "false");
}

static void set_session_cookie(struct req *r, const char *token)
{
	req_set_header(r, "Set-Cookie",
		       arena_printf(&r->arena, SESSION_COOKIE, token, AUTH_ABSOLUTE_SECONDS,
				    r->secure ? "; Secure" : ""));
}

/* A sign-in succeeded: a session this browser already had (a cookie that
 * was there before, planted or not) ends, so only the fresh token works;
 * then hand out the new cookie. */
static int start_session(struct req *r, const char *token)
{
	if (r->signed_in) {
		int rc = auth_session_end(r->db, &r->who, r->sess.id,
					  "session replaced by a new sign-in");
		if (rc)
			return rc;
	}
	set_session_cookie(r, token);
	return HE_OK;
}

int health_api(struct req *r)
{
	int v = db_schema_version(r->db);
	req_json(r, v == db_latest_version() ? 200 : 503);
	fmt_printf(&r->out, "{\"status\":%j,\"backend\":%j,\"schema_version\":%d}\n",
		   v == db_latest_version() ? "ok" : "schema_mismatch", db_backend(r->db), v);
	return HE_OK;
}

int session_create_api(struct req *r)
{
	json_t *j = req_json_body(r);
	if (!j)
		return r->err.code;
	struct session s;
	char token[AUTH_TOKEN_HEX + 1];
	int rc = auth_login(r->db, &r->arena, &r->who, json_str(j, "email"),
			    json_str(j, "password"), json_str(j, "totp"), &s, token, &r->err);
	json_decref(j);
	if (rc || (rc = start_session(r, token)))
		return rc;
	req_json(r, 200);
	buf_puts(&r->out, "{\"user\":");
	user_json(&r->out, &s.user);
	fmt_printf(&r->out, ",\"csrf_token\":%j}\n", s.csrf);
	return HE_OK;
}

int session_delete_api(struct req *r)
{
	int rc = auth_logout(r->db, &r->who, r->sess.id);
	if (rc)
		return rc;
	req_set_header(r, "Set-Cookie", CLEAR_COOKIE);
	r->status = 204;
	return HE_OK;
}

int me_api(struct req *r)
{
	char id[24];
	snprintf(id, sizeof id, "%" PRId64, r->sess.user.id);
	int rc = req_audit(r, "view", "users", id, "own account");
	if (rc)
		return rc;
	req_json(r, 200);
	buf_puts(&r->out, "{\"user\":");
	user_json(&r->out, &r->sess.user);
	buf_puts(&r->out, "}\n");
	return HE_OK;
}

/* A local path to go to after sign-in: only "/..." and never "//host". */
static const char *safe_next(const char *next)
{
	if (!next || next[0] != '/' || next[1] == '/' || next[1] == '\\' ||
	    strpbrk(next, "\r\n"))
		return "/";
	return next;
}

/* The anonymous form token (double-submit cookie), set if absent. */
static const char *anon_csrf(struct req *r)
{
	const char *c = req_cookie(r, "hearth_csrf");
	if (c && strlen(c) == AUTH_TOKEN_HEX)
		return c;
	char *t = arena_alloc(&r->arena, AUTH_TOKEN_HEX + 1);
	auth_random_token(t);
	req_set_header(r, "Set-Cookie", arena_printf(&r->arena,
		"hearth_csrf=%s; HttpOnly; SameSite=Strict; Path=/%s", t, r->secure ? "; Secure" : ""));
	return t;
}

static void login_form(struct req *r, int status, const char *email, bool ask_totp,
		       const struct errinfo *e)
{
	const char *next = req_form(r, "next");
	if (!next)
		next = req_query(r, "next");
	page_begin(r, status, e && e->code ? "Error: Sign in" : "Sign in");
	fmt_printf(&r->out, "<div class=\"govuk-grid-row\"><div class=\"govuk-grid-column-two-thirds\">");
	page_error_summary(r, e);
	fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">Sign in to Hearth</h1>"
		"<p class=\"govuk-body\">Hearth holds records about children and families."
		" Sign in with the account your partnership gave you.</p>"
		"<form method=\"post\" action=\"/login\" novalidate>");
	page_csrf_field(r, anon_csrf(r));
	fmt_printf(&r->out, "<input type=\"hidden\" name=\"next\" value=\"%h\">", safe_next(next));
	page_input(r, "email", "Email address", "email", email, "username", e);
	page_input(r, "password", "Password", "password", "", "current-password", e);
	if (ask_totp)
		page_input(r, "totp", "Code from your authenticator app", "text", "",
			   "one-time-code", e);
	fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button\" data-module=\"govuk-button\">"
		"Sign in</button></form></div></div>");
	page_end(r);
}

int login_page(struct req *r)
{
	if (r->signed_in)
		return req_redirect(r, "/");
	login_form(r, 200, NULL, false, NULL);
	return HE_OK;
}

int login_post_page(struct req *r)
{
	struct session s;
	char token[AUTH_TOKEN_HEX + 1];
	const char *email = req_form(r, "email");
	int rc = auth_login(r->db, &r->arena, &r->who, email, req_form(r, "password"),
			    req_form(r, "totp"), &s, token, &r->err);
	if (rc == HE_OK) {
		if ((rc = start_session(r, token)))
			return rc;
		return req_redirect(r, safe_next(req_form(r, "next")));
	}
	if (rc >= HE_DB)
		return rc;
	bool totp = rc == HE_TOTP_REQUIRED || rc == HE_TOTP_FAILED;
	login_form(r, err_http_status(rc), email, totp, &r->err);
	return HE_OK;
}

int logout_page(struct req *r)
{
	int rc = auth_logout(r->db, &r->who, r->sess.id);
	if (rc)
		return rc;
	req_set_header(r, "Set-Cookie", CLEAR_COOKIE);
	return req_redirect(r, "/login");
}

static void security_body(struct req *r, const char *secret, const struct errinfo *e)
{
	page_begin(r, e && e->code ? err_http_status(e->code) : 200, "Account security");
	page_error_summary(r, e);
	fmt_printf(&r->out, "<h1 class=\"govuk-heading-l\">Account security</h1>"
		"<dl class=\"govuk-summary-list\"><div class=\"govuk-summary-list__row\">"
		"<dt class=\"govuk-summary-list__key\">Email address</dt>"
		"<dd class=\"govuk-summary-list__value\">%h</dd></div>"
		"<div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">"
		"Authenticator app</dt><dd class=\"govuk-summary-list__value\">%h</dd></div></dl>",
		r->sess.user.email, r->sess.user.totp_enabled ? "Set up" : "Not set up");
	if (secret) {
		struct buf uri;
		buf_init(&uri, 1024);
		fmt_printf(&uri, "otpauth://totp/Hearth:%u?secret=%u&issuer=Hearth",
			   r->sess.user.email, secret);
		fmt_printf(&r->out, "<h2 class=\"govuk-heading-m\">Set up your authenticator app</h2>"
			"<p class=\"govuk-body\">Scan this code with your authenticator app, or add an"
			" account with the key below, then enter the 6-digit code it shows.</p>"
			"<p class=\"govuk-body\">");
		qr_svg(&r->out, buf_str(&uri), "QR code for your authenticator app");
		fmt_printf(&r->out, "</p><p class=\"govuk-body\">Key: <code class=\"hearth-secret\""
			" id=\"totp-secret\">%h</code></p>"
			"<form method=\"post\" action=\"/account/totp/confirm\" novalidate>", secret);
		buf_free(&uri);
		page_csrf_field(r, r->sess.csrf);
		page_input(r, "code", "Code from your authenticator app", "text", "", "one-time-code", e);
		fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button\">Confirm</button></form>");
	} else if (!r->sess.user.totp_enabled) {
		fmt_printf(&r->out, "<form method=\"post\" action=\"/account/totp\">");
		page_csrf_field(r, r->sess.csrf);
		fmt_printf(&r->out, "<button type=\"submit\" class=\"govuk-button\">"
			"Set up an authenticator app</button></form>");
	}
	page_end(r);
}

int security_page(struct req *r)
{
	security_body(r, NULL, NULL);
	return HE_OK;
}

int totp_begin_page(struct req *r)
{
	char *secret;
	int rc = auth_totp_begin(r->db, &r->who, r->sess.user.id, &r->arena, &secret);
	if (rc)
		return rc;
	security_body(r, secret, NULL);
	return HE_OK;
}

int totp_confirm_page(struct req *r)
{
	int rc = auth_totp_confirm(r->db, &r->who, r->sess.user.id, req_form(r, "code"), &r->err);
	if (rc == HE_OK) {
		/* A new credential: the session gets a new id (the old cookie
		 * and CSRF token, and every other session, are now void). */
		char token[AUTH_TOKEN_HEX + 1];
		if ((rc = auth_session_renew(r->db, &r->who, &r->sess, token)))
			return rc;
		set_session_cookie(r, token);
		r->sess.user.totp_enabled = true;
		security_body(r, NULL, NULL);
		return HE_OK;
	}
	if (rc >= HE_DB)
		return rc;
	/* Show the pending key again with the error. */
	struct db_stmt *st = db_prepare(r->db, "SELECT totp_pending FROM users WHERE id = :id");
	db_bind_int(st, ":id", r->sess.user.id);
	const char *secret = db_next(st) ? arena_strdup(&r->arena, db_text(st, 0)) : NULL;
	if ((rc = db_finalize(st)))
		return rc;
	security_body(r, secret, &r->err);
	return HE_OK;
}
