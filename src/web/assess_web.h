/* assess_web.h — the assessment's form fields, for the forms that embed
 * them (the new-assessment page here, and the review form of plan_web.c).
 *
 * The fields: "agreed_with" (who in the family agreed the scores), then one
 * fieldset per side of the Assessment Framework, and for each active domain
 * a 1–10 radio group named "score.<code>" (the first radio's id is
 * "score.<code>", so the error summary links to it), and two textareas
 * "strengths.<code>" and "needs.<code>".  The assessment's date, kind and
 * summary are NOT among them: the embedding form has its own (a review's
 * held_on and summary) and sets them in struct assess_in itself. */
#ifndef HEARTH_ASSESS_WEB_H
#define HEARTH_ASSESS_WEB_H
#include <stdbool.h>

#include "core/assess.h"
#include "web/http.h"

/* Print the fields, re-filled from the posted form (if any) and showing e's
 * error message on the field it names. */
void assess_form_fields(struct req *r, const struct errinfo *e);

/* Read those fields back into in (scores and agreed_with; the other members
 * of in are left as they were), allocated from a.  A domain left unscored
 * gets score 0, which assess_check refuses naming it.  HE_OK or a db error. */
int assess_from_form(struct req *r, struct arena *a, struct assess_in *in);

/* True when any score field of the form was filled in: a review form
 * records a re-assessment only then. */
bool assess_form_given(struct req *r);

#endif
