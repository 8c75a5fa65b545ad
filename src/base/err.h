/* err.h — Hearth's stable error codes.
 *
 * One enum for the whole program, grouped by thousands (1xxx generic,
 * 2xxx authentication and authorisation, 3xxx input, 4xxx storage).  Codes
 * are part of the API: never renumber one, only add.  Each maps to an HTTP
 * status and to the stable string used in the JSON envelope
 *   {"error":{"code":"...","message":"...","field":"..."}}
 * Functions return int rc: HE_OK (0) or one of these. */
#ifndef HEARTH_ERR_H
#define HEARTH_ERR_H

enum hearth_err {
	HE_OK = 0,

	HE_INTERNAL = 1000,       /* a bug or an unexpected failure */
	HE_NOT_FOUND = 1001,      /* no such route or record (or not yours) */
	HE_METHOD = 1002,         /* route exists, method does not */
	HE_CONFLICT = 1003,       /* edited by someone else, or already exists */
	HE_UNAVAILABLE = 1004,    /* temporarily cannot serve */

	HE_AUTH_REQUIRED = 2000,  /* not signed in */
	HE_AUTH_FAILED = 2001,    /* wrong email or password */
	HE_FORBIDDEN = 2002,      /* signed in, lacks the capability */
	HE_CSRF = 2003,           /* missing or wrong CSRF token */
	HE_LOCKED = 2004,         /* too many failed sign-ins: wait */
	HE_TOTP_REQUIRED = 2005,  /* password right, second factor needed */
	HE_TOTP_FAILED = 2006,    /* second factor wrong or replayed */
	HE_SESSION_EXPIRED = 2007,

	HE_INVALID = 3000,        /* a field's value is not acceptable */
	HE_MISSING = 3001,        /* a required field is absent */
	HE_BAD_JSON = 3002,       /* request body is not valid JSON */
	HE_TOO_LARGE = 3003,      /* request body over the limit */
	HE_BAD_MEDIA = 3004,      /* unsupported content type */
	HE_USAGE = 3005,          /* command-line usage error */
	HE_BAD_REQUEST = 3006,    /* request body malformed (not JSON: a form) */

	HE_DB = 4000,             /* the database failed */
	HE_DB_BUSY = 4001,        /* locked; try again */
	HE_DB_CONSTRAINT = 4002,  /* a constraint was violated */
	HE_DB_READONLY = 4003,    /* read-only or disk full */
	HE_DB_SCHEMA = 4004,      /* migrations missing or newer than binary */
	HE_AUDIT_BROKEN = 4005,   /* audit chain does not verify */
};

/* The detail of a failure that a user must see: which field (and line, for
 * imports) and why.  Filled by errinfo_set; field "" when not about one
 * field, line 0 when not about a file. */
struct errinfo {
	int code;
	int line;
	char field[64];
	char message[256];
};

/* Fill e (if not NULL) and return code, so call sites can write
 *     return errinfo_set(e, HE_INVALID, "email", "Enter an email address …");
 * The message is a printf format. */
int errinfo_set(struct errinfo *e, int code, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Stable lower-case name, e.g. "not_found"; "internal" for unknown codes. */
const char *err_name(int code);
/* HTTP status for the code (e.g. 404); 500 for unknown codes. */
int err_http_status(int code);
/* A default human message, used when a call site gives none. */
const char *err_default_message(int code);

#endif
