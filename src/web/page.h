/* page.h — the HTML page frame in GOV.UK Frontend markup.
 *
 * Pages are rendered on the server and work without JavaScript.  All text
 * goes through fmt_printf's %h.  page_begin writes the head, the service
 * navigation (links chosen by the user's capabilities), the account bar
 * and opens <main>; page_end closes it with the footer. */
#ifndef HEARTH_PAGE_H
#define HEARTH_PAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"

struct req;

void page_begin(struct req *r, int status, const char *title);
void page_end(struct req *r);
/* A page without the service's chrome (no navigation, account bar or
 * footer): for a document to print and hand to a family, such as the
 * printable plan.  Same head, stylesheets and <main id="main-content">. */
void page_begin_bare(struct req *r, int status, const char *title);
void page_end_bare(struct req *r);
/* A whole error page for code (status from err_http_status); HE_OK. */
int page_error(struct req *r, int code);
/* The GOV.UK error summary for e, linking to #<field>; nothing if e->code
 * is HE_OK. */
void page_error_summary(struct req *r, const struct errinfo *e);
/* The GOV.UK success banner saying msg (escaped), its heading id "done". */
void page_success_banner(struct req *r, const char *msg);
/* A GOV.UK text input with its label, and its error message when e names
 * this field (id is also the form field name). */
void page_input(struct req *r, const char *id, const char *label, const char *type,
		const char *value, const char *autocomplete, const struct errinfo *e);
/* A field's GOV.UK error message (nothing unless e names field id), and
 * the form-group modifier class for it ("" unless). */
void page_field_error(struct req *r, const struct errinfo *e, const char *id);
const char *page_group_class(const struct errinfo *e, const char *id);
/* The hidden CSRF input for a form. */
void page_csrf_field(struct req *r, const char *token);

/* Small pieces every page uses. */
/* s, or NULL when it is NULL or empty (an optional form or query value). */
const char *page_nonempty(const char *s);
/* s, or "—" when it is NULL or empty (a table cell with nothing to say). */
const char *page_or_dash(const char *s);
/* A fresh one-time form key (32 hex digits, in r's arena): create forms
 * carry one so a double submission creates nothing twice. */
const char *page_idem_new(struct req *r);
/* "14 Mar 2026" for "2026-03-14", "14 Mar 2026 09:30" for a datetime
 * "2026-03-14T09:30"; "—" for nothing; anything else as it is.  page_day
 * gives the date alone, whatever follows it. */
const char *page_when(struct req *r, const char *when);
const char *page_day(struct req *r, const char *when);
/* A table's column header, and a cell (page_or_dash of text), escaped. */
/* Form fields on GOV.UK patterns, for forms whose one error (e, may be
 * NULL) names the field by id.  page_group_open opens the form group with
 * its label (govuk-label--s), hint (id-hint) and error message;
 * page_describedby is the aria-describedby attribute (hint and/or error)
 * or "".  page_text_input and page_text_area write a whole group. */
bool page_has_err(const struct errinfo *e, const char *id);
void page_group_open(struct req *r, const struct errinfo *e, const char *id, const char *label,
		     const char *hint);
const char *page_describedby(struct req *r, const struct errinfo *e, const char *id, bool hint);
void page_text_input(struct req *r, const struct errinfo *e, const char *id, const char *name,
		     const char *label, const char *hint, const char *type, const char *width,
		     const char *value);
void page_text_area(struct req *r, const struct errinfo *e, const char *id, const char *name,
		    const char *label, const char *hint, int rows, const char *value);
void page_th(struct req *r, const char *text);
/* A table heading / cell, right-aligned when numeric (figures, money);
 * an empty cell shows a dash. */
void page_th_n(struct req *r, const char *text, bool numeric);
void page_td_n(struct req *r, const char *text, bool numeric);
/* A form's whole number: 0 when blank, -1 when not a plain number ≥ 0. */
int64_t page_to_int(const char *s);
/* Pence as "£1,234.56" / as "1234.56" (form values, CSV), in the request's arena. */
const char *page_money(struct req *r, int64_t pence);
const char *page_money_plain(struct req *r, int64_t pence);
void page_td(struct req *r, const char *text);

#endif
