/* http.h — the request context every handler receives, and responses.
 *
 * One struct req per request: its own arena (freed when the response is
 * queued), the thread's database connection, the parsed path parameters,
 * the session and capabilities (expanded once, by the dispatcher), who to
 * audit as, and the response being built.  Handlers return an HE_ code:
 * HE_OK after they have written a response, or an error the dispatcher
 * turns into the JSON envelope (API routes) or an error page (pages). */
#ifndef HEARTH_HTTP_H
#define HEARTH_HTTP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"
#include "core/audit.h"
#include "core/auth.h"
#include "core/caps.h"
#include "core/scope.h"

struct MHD_Connection;
struct route;

#define REQ_MAX_PARAMS 4
#define REQ_MAX_HEADERS 8
#define REQ_BODY_MAX (1024u * 1024u)

struct form_field {
	char *key, *value;
	size_t klen, vlen;   /* decoded lengths: a %00 makes them differ from strlen */
};

struct req {
	struct arena arena;
	struct db *db;
	struct MHD_Connection *conn;
	const char *method;
	const char *path;
	const char *body;
	size_t body_len;
	char ip[64];
	bool secure;                          /* cookies get "; Secure" (TLS) */
	const struct route *route;
	const char *params[REQ_MAX_PARAMS];  /* {name} values, in order */
	bool signed_in;
	struct session sess;
	struct caps caps;
	struct audit_who who;
	struct scope scope;                   /* row scope: see req_scope */
	bool scope_loaded;
	struct errinfo err;                   /* detail for the error response */
	const char *upload_path;              /* upload routes: the body's file */
	const char *upload_name;              /* the file's name as sent, or NULL */
	bool upload_taken;                    /* set by req_take_upload */
	struct form_field *form;              /* the decoded form body (req_form) */
	int nform;
	bool form_parsed;
	/* the response */
	int status;
	const char *content_type;
	struct buf out;
	int nheaders;
	const char *hname[REQ_MAX_HEADERS], *hvalue[REQ_MAX_HEADERS];
};

/* Query-string, form-body, cookie and header values (NULL if absent). */
const char *req_query(struct req *r, const char *name);
const char *req_form(struct req *r, const char *name);
const char *req_cookie(struct req *r, const char *name);
const char *req_header(struct req *r, const char *name);
/* The signed-in user's row scope (core/scope.h), loaded on first use.
 * NULL if the user is not signed in or the lookup failed (r->err set). */
const struct scope *req_scope(struct req *r);
/* Path parameter i ({name} in the route pattern), or NULL. */
const char *req_param(struct req *r, int i);

/* Take the uploaded file: the caller now owns (and must remove) the
 * returned path (malloc'd); NULL if there is none. */
char *req_take_upload(struct req *r);

/* Refuse a form body any of whose fields decodes to a NUL byte, invalid
 * UTF-8 or other control characters: HE_INVALID naming the field.  The
 * dispatcher calls it before every handler, so no handler sees them. */
int req_check_form(struct req *r);

void req_set_header(struct req *r, const char *name, const char *value);
/* 303 See Other to a local path. */
int req_redirect(struct req *r, const char *location);
/* Start a JSON response with status; the body is built in r->out. */
void req_json(struct req *r, int status);
/* The JSON error envelope for code, with r->err's field/message if set. */
int req_json_error(struct req *r, int code);
/* Set the detail of an error for the response and return code. */
int req_fail(struct req *r, int code, const char *field, const char *message);

/* Append an audit row as this request's user, in the current transaction
 * if one is open, otherwise committed on its own (sharing the commit with
 * concurrent requests: audit_alone). */
int req_audit(struct req *r, const char *action, const char *entity,
	      const char *entity_id, const char *summary);

/* Parse the JSON body as an object; NULL with r->err set (HE_BAD_JSON,
 * naming line and column) on failure.  The caller json_decref()s it. */
json_t *req_json_body(struct req *r);
/* A string member of a JSON object, or NULL if absent or not a string. */
const char *json_str(json_t *obj, const char *key);

#endif
