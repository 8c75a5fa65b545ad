/* caps.h — roles and the capabilities they expand to.
 *
 * Handlers and the route table test capabilities, never role names.  A
 * role expands once per request (caps_for_role) into a struct caps; row
 * scope (own school, own cases) is applied separately in queries. */
#ifndef HEARTH_CAPS_H
#define HEARTH_CAPS_H
#include <stdbool.h>
#include <stdint.h>

enum role {
	ROLE_NONE = 0,
	ROLE_ADMIN, ROLE_COORDINATOR, ROLE_SCHOOL, ROLE_WORKER,
	ROLE_AGENCY, ROLE_VIEWER, ROLE_AUDITOR,
	ROLE_COUNT
};

enum cap {
	CAP_PUBLIC = 0,       /* no sign-in needed (route table only) */
	CAP_SIGNED_IN,        /* any signed-in user */
	CAP_USERS_MANAGE,     /* add, disable, reset users */
	CAP_SCHOOLS_MANAGE,   /* edit schools, districts, settings */
	CAP_SCHOOLS_VIEW,     /* see the partnership's schools */
	CAP_IMPORT_ANY,       /* import data for any school */
	CAP_IMPORT_OWN,       /* import data for one's own school */
	CAP_PUPILS_ALL,       /* pupil records across the partnership */
	CAP_PUPILS_OWN,       /* pupil records of one's own school */
	CAP_REFER,            /* make referrals */
	CAP_REFERRALS_ALL,    /* screen and allocate all referrals */
	CAP_CASES_ALL,        /* all cases (coordinator) */
	CAP_CASES_OWN,        /* cases allocated to me */
	CAP_CASE_NOTES,       /* read case notes (never the admin) */
	CAP_TAF_ACTIONS_OWN,  /* TAF actions and meetings I am part of */
	CAP_REPORTS,          /* identifiable reports */
	CAP_REPORTS_AGGREGATE,/* aggregate reports, small numbers suppressed */
	CAP_AUDIT_READ,       /* the audit log */
	CAP_PUPILS,           /* pupil records at all (scope: PUPILS_ALL or _OWN) */
	CAP_IMPORT,           /* imports at all (scope: IMPORT_ANY or _OWN) */
	CAP_RISK_RULES,       /* edit the risk indicators, weights and bands */
	CAP_REFERRALS,        /* referrals at all (scope: REFERRALS_ALL, or
				 REFER for one's own school's) */
	CAP_CASES,            /* case records at all (scope: CASES_ALL or _OWN) */
	CAP_WORKERS_MANAGE,   /* the pool's worker profiles and covers */
	CAP_ASSESSMENT_DOMAINS, /* adjust the assessment framework's domains */
	CAP_DIRECTORY,        /* see the directory of agencies and professionals */
	CAP_DIRECTORY_MANAGE, /* add and edit agencies and professionals */
	CAP_CATALOGUE,        /* see the service catalogue */
	CAP_CATALOGUE_MANAGE, /* add and edit providers and services */
	CAP_BUDGETS,          /* budgets (scope: a school user sees its school's) */
	CAP_BUDGETS_MANAGE,   /* create budgets and their funding sources */
	CAP_COMMISSION_REQUEST, /* request services for a family's case */
	CAP_COMMISSION_APPROVE, /* approve for budgets one holds (school: its own;
				   coordinator: district and partnership) */
	CAP_COMMISSIONS_ALL,  /* every commission (export) */
	CAP_IMPACT,           /* impact reports at all (scope: REPORTS everything;
				 REPORTS_AGGREGATE alone: suppressed below 5;
				 REPORTS_OWN: one's own school's figures) */
	CAP_REPORTS_OWN,      /* impact reports for one's own school */
	CAP_SURVEYS_MANAGE,   /* write, open and close surveys; see every response */
	CAP_SURVEY_RESPOND,   /* answer the partnership's surveys (school leaders) */
	CAP_HISTORY_IMPORT,   /* load cases from before Hearth */
	CAP_SUBJECT_ACCESS,   /* answer a subject access request: everything held
				 about one person, case notes included (information
				 governance; never the admin, who sees no case notes) */
	CAP_RETENTION,        /* set the retention period and anonymise families past it */
	CAP_HOLDS,            /* see what retention will anonymise; place and
				 release safeguarding holds */
	CAP_EXPORT_REGISTER,  /* read the register of every export */
	CAP_COUNT
};

struct caps {
	uint64_t bits;
};

/* Parse "admin", "coordinator", … ; ROLE_NONE if unknown. */
enum role role_parse(const char *name);
const char *role_name(enum role r);       /* "admin" … ; "none" */
const char *role_title(enum role r);      /* "Partnership data lead" … */
struct caps caps_for_role(enum role r);
static inline bool caps_has(struct caps c, enum cap cap)
{
	return cap == CAP_PUBLIC || (c.bits >> cap) & 1u;
}
const char *cap_name(enum cap c);         /* "audit_read" … */

#endif
