/* pupil.h — pupils as schools' data describes them, and checking that data.
 *
 * Both importers (CSV from the MIS, the DfE's Common Transfer File) turn
 * what they read into a struct pupil_rec: raw text per known field, with
 * the line (or element) it came from.  pupil_validate() turns one record
 * into a typed struct pupil_data, or names the first bad field and why.
 * The field table pupil_fields[] is the single list of what Hearth
 * recognises: CSV headers (case-insensitive, with aliases), CTF elements
 * and the README's documentation are all drawn from it. */
#ifndef HEARTH_PUPIL_H
#define HEARTH_PUPIL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/date.h"
#include "base/err.h"

enum pupil_field {
	PF_UPN, PF_FORENAME, PF_SURNAME, PF_DOB, PF_GENDER, PF_YEAR, PF_URN,
	PF_POSTCODE, PF_ADDRESS, PF_CONTACT, PF_FSM, PF_SEN, PF_EHCP, PF_EAL,
	PF_EAL_NEW, PF_LOOKED_AFTER, PF_CIN, PF_CP, PF_YOUNG_CARER,
	PF_YOUTH_JUSTICE, PF_YOUNG_PARENT, PF_MOVES, PF_SESS_POSSIBLE,
	PF_SESS_ATTENDED, PF_AUTH_ABSENCE, PF_UNAUTH_ABSENCE, PF_MARKS,
	PF_SUSPENSIONS, PF_SUSPENSION_DAYS, PF_PERM_EXCLUSION, PF_BELOW_EXPECTED,
	PF_EXTRACT_DATE,
	PF_COUNT
};

struct pupil_field_info {
	const char *name;          /* canonical CSV header, e.g. "UPN" */
	const char *aliases[6];    /* other accepted headers, NULL-terminated */
	const char *help;          /* what it holds and which values (README) */
	bool required;
};
extern const struct pupil_field_info pupil_fields[PF_COUNT];

/* The field a CSV header names (case-insensitive, surrounding spaces and
 * underscores/hyphens treated as spaces), or -1. */
int pupil_field_by_header(const char *header);

/* One pupil as read: v[f] is the raw text of field f (NULL when the
 * source does not have it or it is empty); line is where the record
 * starts in the file (CSV line, or CTF line of the <Pupil> element). */
struct pupil_rec {
	long line;
	const char *v[PF_COUNT];
};

#define PUPIL_NAME_MAX 100
#define PUPIL_FAMILY_KEY 17   /* 16 hex digits: 64 bits of a SHA-256 */

/* One pupil as checked.  Flags are 1, 0, or -1 where the source did not
 * say; counts are >= 0, or -1 where not given. */
struct pupil_data {
	char upn[14];
	char forename[PUPIL_NAME_MAX + 1];
	char surname[PUPIL_NAME_MAX + 1];
	hday dob;
	char gender;               /* 'M', 'F' or 'U' */
	int year_group;            /* NC year, Reception 0; INT32_MIN unknown */
	char urn[7];               /* "" when not given */
	char postcode[9];          /* "" when not given */
	char family_key[PUPIL_FAMILY_KEY];  /* "" when no address/contact */
	int8_t fsm, ehcp, eal, eal_new, looked_after, cin, cp, young_carer,
		youth_justice, young_parent, perm_exclusion, below_expected;
	char sen;                  /* 'N', 'K', 'E', or 0 unknown */
	int32_t moves, sess_possible, sess_attended, auth_absence, unauth_absence,
		suspensions, suspension_days_x10;
	hday extract_date;         /* 0 when not given (the import supplies it) */
};

/* Check rec and fill out.  On a bad value returns HE_INVALID (or
 * HE_MISSING) with e naming the field by its canonical header, the line,
 * and the reason ("UPN: check letter should be H"), and leaves out
 * partly filled.  today bounds dates (no births or extracts in the
 * future). */
int pupil_validate(const struct pupil_rec *rec, hday today, struct pupil_data *out,
		   struct errinfo *e);

/* Attendance from a string of DfE register codes, one per session
 * ("/\\/\\LN..."): counts sessions possible, attended, authorised and
 * unauthorised absence.  Returns HE_OK or HE_INVALID naming the first
 * unknown code and its position. */
int pupil_marks(const char *marks, int32_t *possible, int32_t *attended,
		int32_t *authorised, int32_t *unauthorised, struct errinfo *e);

/* Household key from address and postcode (or contact): siblings at any
 * school share it.  Empty when neither is given. */
void pupil_family_key(const char *address, const char *postcode, const char *contact,
		      char out[PUPIL_FAMILY_KEY]);

#endif
