/* err.c — the error code table: name, HTTP status, default message. */
#include "base/err.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

static const struct {
	int code;
	int status;
	const char *name;
	const char *message;
} err_table[] = {
	{HE_OK, 200, "ok", "OK"},
	{HE_INTERNAL, 500, "internal", "Something went wrong on our side. It has been logged."},
	{HE_NOT_FOUND, 404, "not_found", "Page not found"},
	{HE_METHOD, 405, "method_not_allowed", "That method is not allowed here"},
	{HE_CONFLICT, 409, "conflict", "This record was changed by someone else, or already exists"},
	{HE_UNAVAILABLE, 503, "unavailable", "The service is temporarily unavailable"},
	{HE_AUTH_REQUIRED, 401, "auth_required", "You need to sign in"},
	{HE_AUTH_FAILED, 401, "auth_failed", "Email address or password is not correct"},
	{HE_FORBIDDEN, 403, "forbidden", "You do not have permission to do that"},
	{HE_CSRF, 403, "csrf", "The form has expired or did not come from Hearth. Try again"},
	{HE_LOCKED, 429, "locked", "Too many failed sign-in attempts. Wait 15 minutes and try again"},
	{HE_TOTP_REQUIRED, 401, "totp_required", "Enter the code from your authenticator app"},
	{HE_TOTP_FAILED, 401, "totp_failed", "The authenticator code is not correct"},
	{HE_SESSION_EXPIRED, 401, "session_expired", "Your session has expired. Sign in again"},
	{HE_INVALID, 422, "invalid", "A value is not valid"},
	{HE_MISSING, 422, "missing", "A required value is missing"},
	{HE_BAD_JSON, 400, "bad_json", "The request body is not valid JSON"},
	{HE_TOO_LARGE, 413, "too_large", "The request is too large"},
	{HE_BAD_MEDIA, 415, "unsupported_media_type", "Unsupported content type"},
	{HE_USAGE, 400, "usage", "Usage error"},
	{HE_BAD_REQUEST, 400, "bad_request", "The request is malformed"},
	{HE_DB, 500, "database", "The database failed"},
	{HE_DB_BUSY, 503, "database_busy", "The database is busy. Try again"},
	{HE_DB_CONSTRAINT, 409, "constraint", "That conflicts with an existing record"},
	{HE_DB_READONLY, 503, "database_readonly", "Hearth cannot save changes right now (the database is read-only or the disk is full)"},
	{HE_DB_SCHEMA, 500, "schema", "The database schema does not match this version of Hearth"},
	{HE_AUDIT_BROKEN, 500, "audit_broken", "The audit log does not verify"},
};

static size_t err_find(int code)
{
	for (size_t i = 0; i < sizeof err_table / sizeof err_table[0]; i++)
		if (err_table[i].code == code)
			return i;
	return 1; /* HE_INTERNAL */
}

const char *err_name(int code)
{
	return err_table[err_find(code)].name;
}

int err_http_status(int code)
{
	return err_table[err_find(code)].status;
}

const char *err_default_message(int code)
{
	return err_table[err_find(code)].message;
}

int errinfo_set(struct errinfo *e, int code, const char *field, const char *fmt, ...)
{
	if (!e)
		return code;
	e->code = code;
	e->line = 0;
	snprintf(e->field, sizeof e->field, "%s", field ? field : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof e->message, fmt, ap);
	va_end(ap);
	return code;
}
