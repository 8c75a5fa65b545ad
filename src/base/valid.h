/* valid.h — validators for identifiers that arrive from schools and users.
 *
 * Each returns true when the value is acceptable.  Where a value has a
 * canonical form (upper-case UPN, spaced postcode, trimmed lower-case email)
 * the _norm variant writes it into out and returns false on invalid input.
 * Surrounding white space is ignored by every check, so callers store the
 * _norm form, never the raw input. */
#ifndef HEARTH_VALID_H
#define HEARTH_VALID_H
#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

/* Unique Pupil Number: 13 characters, a check letter then 12 digits, per the
 * DfE's "Unique pupil numbers (UPN)" guidance: the check letter is computed
 * from the other 12 characters (weights 2..13, sum mod 23, letters A–Z less
 * I, O and S).  Temporary UPNs have a letter (not I, O or S) as the last
 * character instead of the 13th digit; they are accepted too.
 * Case-insensitive. */
bool upn_valid(const char *upn);
bool upn_is_temporary(const char *upn);
/* Upper-cased copy into out (14 bytes); false if invalid. */
bool upn_norm(const char *upn, char out[14]);
/* The check letter for the 12 characters after it, or 0 if they are not
 * valid (used by the demo generator to make real-looking UPNs). */
char upn_check_letter(const char *twelve);

/* NHS number: 10 digits (spaces allowed in 3-3-4 groups), modulus 11 check
 * digit; a check value of 10 is never valid. */
bool nhs_valid(const char *nhs);

/* UK postcode in the Royal Mail/ONS form (A9 9AA, A99 9AA, A9A 9AA, AA9 9AA,
 * AA99 9AA, AA9A 9AA, plus GIR 0AA), space optional, case-insensitive.
 * norm writes the upper-case form with one space (at most 9 bytes). */
bool postcode_valid(const char *pc);
bool postcode_norm(const char *pc, char out[9]);

/* A practical email check: one @, a non-empty local part of permitted
 * characters, a domain of dot-separated labels with a dot, no spaces, at
 * most 254 characters.  norm lower-cases and trims into out (255 bytes). */
bool email_valid(const char *email);
bool email_norm(const char *email, char out[255]);

/* True if s is valid UTF-8 with no control characters other than tab,
 * CR and LF. */
bool text_valid(const char *s, size_t len);
/* True if s is NULL or only spaces, tabs and line ends. */
bool text_blank(const char *s);
/* s without surrounding blanks (space, tab, CR, LF): returns where it
 * starts and sets *len to its length. */
const char *valid_trim(const char *s, size_t *len);
/* A free-text form field: present (not blank) if required, at most max
 * bytes, text_valid.  On failure sets e on field with a message built on
 * what ("Enter <what>", "Keep <what> to N characters or fewer", …). */
int text_field_check(const char *s, bool required, size_t max, const char *field,
		     const char *what, struct errinfo *e);

#endif
