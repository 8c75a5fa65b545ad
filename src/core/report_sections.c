/* report_sections.c — the registry of impact report sections, in the
 * order of the printable Schools Forum report and the dashboard JSON
 * (core/report.h).  Each section's function lives in its own module. */
#include "core/report.h"
#include "core/report_activity.h"
#include "core/report_money.h"
#include "core/report_outcome.h"
#include "core/survey.h"

const struct report_section report_sections[] = {
	{"activity", "Activity by month", "/reports/activity", report_activity},
	{"caseloads", "Caseloads", "/reports/caseloads", report_caseloads},
	{"waits", "Waits from referral to allocation", "/reports/caseloads#report-waits", report_waits},
	{"money_budgets", "Spend and commitments by budget", "/reports/money", report_money_budgets},
	{"money_sources", "Funding sources", "/reports/money", report_money_sources},
	{"money_families", "Cost per family supported", "/reports/money", report_money_families},
	{"money_engaged", "Families engaged per academic year", "/reports/money", report_money_engaged},
	{"reach", "Risk and reach", "/reports/reach", report_reach},
	{"outcomes", "Outcomes for families whose case closed", "/reports/outcomes", report_outcomes},
	{"distance", "Distance travelled by domain", "/reports/outcomes", report_distance},
	{"survey", "School leaders' survey", "/surveys", report_survey},
};
const size_t report_nsections = sizeof report_sections / sizeof report_sections[0];
