/* route.h — the one route table and its dispatcher.
 *
 * Every page and API route is declared once in route.c with its method,
 * path pattern, capability, whether it needs a CSRF token, whether it must
 * write an audit row, and its handler.  route_dispatch() enforces all of
 * that before (and, for audit, after) the handler runs, so authorisation
 * never depends on a handler remembering. */
#ifndef HEARTH_ROUTE_H
#define HEARTH_ROUTE_H
#include <stdbool.h>
#include <stdio.h>

#include "core/caps.h"

struct req;

enum route_kind { ROUTE_PAGE, ROUTE_API, ROUTE_ASSET };

typedef int (*route_fn)(struct req *r);

struct route {
	const char *method;    /* "GET", "POST", "DELETE", … */
	const char *pattern;   /* "/api/v1/me", "/schools/{urn}", "/assets/" + rest */
	enum cap cap;
	bool csrf;             /* state-changing: needs the CSRF token */
	bool audit;            /* the handler must write an audit row */
	enum route_kind kind;
	route_fn fn;
	size_t body_max;       /* 0: REQ_BODY_MAX, in memory */
	bool upload;           /* stream the body (or its file part) to disk */
};

/* The route for method and path, without authenticating (NULL if none). */
const struct route *route_lookup(const char *method, const char *path);

extern const struct route routes[];

/* Handle r (method, path, body set) end to end: match, authenticate,
 * authorise, check CSRF, run the handler, fill in the error response. */
void route_dispatch(struct req *r);
/* Print the table as TSV (`hearth routes`), and with caps the capability
 * sets of each role (`hearth routes --caps`). */
void route_print(FILE *out);
void route_print_caps(FILE *out);

/* Handlers (one file per feature under src/web/). */
int health_api(struct req *r);
int session_create_api(struct req *r);
int session_delete_api(struct req *r);
int me_api(struct req *r);
int login_page(struct req *r);
int login_post_page(struct req *r);
int logout_page(struct req *r);
int home_page(struct req *r);
int security_page(struct req *r);
int totp_begin_page(struct req *r);
int totp_confirm_page(struct req *r);
int audit_page(struct req *r);
int audit_api(struct req *r);
int users_page(struct req *r);
int schools_page(struct req *r);
int schools_api(struct req *r);
int schools_create_api(struct req *r);
int users_create_api(struct req *r);
int users_new_page(struct req *r);
int users_create_page(struct req *r);
int asset_get(struct req *r);
/* Identify: pupils and the risk list (pupil_web.c), imports (import_web.c),
 * risk rules and the aggregate summary (risk_web.c). */
int pupils_page(struct req *r);
int pupils_csv_page(struct req *r);
int pupils_xlsx_page(struct req *r);
int pupil_page(struct req *r);
int risk_api(struct req *r);
int pupil_api(struct req *r);
int imports_page(struct req *r);
int import_new_page(struct req *r);
int import_create_page(struct req *r);
int import_progress_page(struct req *r);
int import_page(struct req *r);
int import_api(struct req *r);
int risk_rules_page(struct req *r);
int risk_rule_page(struct req *r);
int risk_rule_preview_page(struct req *r);
int risk_rule_update_page(struct req *r);
int risk_bands_page(struct req *r);
int risk_summary_page(struct req *r);

#endif
