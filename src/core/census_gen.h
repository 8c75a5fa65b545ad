/* census_gen.h — a synthetic school census, for the demo and the benchmark.
 *
 * census_write_csv() writes the CSV a partnership's schools would export
 * from their MIS (the columns of pupil_fields[], canonical headers) for an
 * invented city: pupils spread over the given schools by realistic size,
 * with families (siblings share surname, address and postcode, and about
 * 40% of pupils have a brother or sister somewhere in the partnership,
 * often at another school), names drawn from the mix of a city like
 * Leicester, valid UPNs, dates of birth that fit the year group, and
 * indicator rates close to England's published ones (persistent absence
 * about 20%, FSM 24%, SEN support 13%, EHC plans 5% …), correlated the
 * way they are in life (FSM with absence, SEN and social care).
 *
 * Everything is a function of the seed and the school list.  The first
 * extract (term 0, on first_date) places exactly `pupils` pupils.  A later
 * extract (term 1, 2 … on a later extract_date) describes the same
 * children — same UPNs, names, dates of birth and families — a little
 * later: most indicators alike, about one pupil in ten attending worse,
 * some better, a few newly suspended or newly known to social care.  When
 * the later date falls in a later academic year the children have moved up
 * (Year 6 to a secondary school of their area, Year 11 mostly leaving),
 * new Reception and nursery children have arrived, and attendance and
 * suspensions count from the new September.
 *
 * Generation is streaming: memory is a few bytes per pupil for the family
 * plan, nothing is allocated per row, and a million rows take a couple of
 * seconds.  Nothing here touches the database. */
#ifndef HEARTH_CENSUS_GEN_H
#define HEARTH_CENSUS_GEN_H
#include <stdint.h>
#include <stdio.h>

#include "base/date.h"

/* One school of the partnership. */
struct census_school {
	char urn[7];           /* 6 digits */
	const char *phase;     /* one of school_phases[] */
	int first_year;        /* NC years it teaches: N1 -2, N2 -1, R 0 … 13 */
	int last_year;
	int district;          /* schools with the same number serve one area */
	char postcode[9];      /* the school's: homes are in its district's sectors */
	int next;              /* index of the school its leavers usually go on
				  to (an infant school's junior), or -1 */
};

/* Fill s for a school of the phase, teaching the phase's usual ages
 * (nursery 3–4, primary 4–11, middle 9–13, secondary and PRU 11–16,
 * all-through and special 4–16, college 16–18); postcode may be NULL.
 * Returns HE_OK, or HE_INVALID for a bad URN or phase. */
int census_school_init(struct census_school *s, const char *urn, const char *phase,
		       int district, const char *postcode);

struct census_opts {
	uint64_t seed;
	const struct census_school *schools;
	size_t nschools;
	long pupils;            /* pupils on the first extract (0 writes only the header) */
	hday first_date;        /* the first extract's date: fixes who is in which year */
	hday extract_date;      /* this extract's date: first_date, or later */
	int term;               /* 0 for the first extract; 1, 2 … for later ones */
	int64_t *rows;          /* if not NULL, set to the data rows written */
};

/* Write the census to out.  Returns HE_OK, HE_INVALID when the options
 * cannot make a census (no schools, extract before first_date, a school
 * whose years no phase rule explains, more pupils than UPNs allow), or
 * HE_INTERNAL when writing failed (errno says why). */
int census_write_csv(FILE *out, const struct census_opts *o);

#endif
