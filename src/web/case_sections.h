/* case_sections.h — the sections other features add to the family record.
 *
 * The case page (case_web.c) shows the family record; the assessment, the
 * plan and the Team Around the Family meetings each render their own
 * section of it from their own file, after the summary card.  Each is
 * given the record already loaded (and its view already audited) and may
 * read more with r->db; each prints a heading (h2) with an id for links. */
#ifndef HEARTH_CASE_SECTIONS_H
#define HEARTH_CASE_SECTIONS_H

#include "core/case.h"
#include "web/http.h"

void assess_case_section(struct req *r, const struct case_record *c);  /* assess_web.c */
void plan_case_section(struct req *r, const struct case_record *c);    /* plan_web.c */
void taf_case_section(struct req *r, const struct case_record *c);     /* taf_web.c */
void commission_case_section(struct req *r, const struct case_record *c); /* commission_web.c */
void cost_case_section(struct req *r, const struct case_record *c);    /* cost_web.c */
/* The address and home language: the form to change them and the values
 * earlier changes replaced, after the summary card (family_web.c). */
void family_case_section(struct req *r, const struct case_record *c);

/* The case named by path parameter 0, for the routes under /cases/{ref}:
 * *id, or HE_NOT_FOUND for an unknown ref (audited "denied", the 404
 * written), or the error for the dispatcher.  Whether the caller may see
 * the case is the core's to say (case_visible).  case_web.c. */
int case_from_path(struct req *r, int64_t *id);

#endif
