/* caps.c — the role → capability table (DESIGN.md, "The people who use it"). */
#include "core/caps.h"

#include <string.h>

#define B(c) (UINT64_C(1) << (c))

static const struct {
	const char *name;
	const char *title;
	uint64_t bits;
} roles[ROLE_COUNT] = {
	[ROLE_NONE] = {"none", "Not signed in", 0},
	[ROLE_ADMIN] = {"admin", "Partnership data lead",
		B(CAP_SIGNED_IN) | B(CAP_USERS_MANAGE) | B(CAP_SCHOOLS_MANAGE) |
		B(CAP_SCHOOLS_VIEW) | B(CAP_IMPORT_ANY) | B(CAP_PUPILS_ALL) |
		B(CAP_REPORTS) | B(CAP_REPORTS_AGGREGATE) | B(CAP_PUPILS) | B(CAP_IMPORT) |
		B(CAP_RISK_RULES) | B(CAP_ASSESSMENT_DOMAINS) | B(CAP_DIRECTORY) |
		B(CAP_DIRECTORY_MANAGE) | B(CAP_CATALOGUE) | B(CAP_CATALOGUE_MANAGE) |
		B(CAP_BUDGETS) | B(CAP_BUDGETS_MANAGE) | B(CAP_COMMISSIONS_ALL) |
		B(CAP_IMPACT) | B(CAP_SURVEYS_MANAGE) | B(CAP_HISTORY_IMPORT) |
		B(CAP_RETENTION) | B(CAP_HOLDS) | B(CAP_EXPORT_REGISTER)},
	[ROLE_COORDINATOR] = {"coordinator", "Pool coordinator",
		B(CAP_SIGNED_IN) | B(CAP_SCHOOLS_VIEW) | B(CAP_PUPILS_ALL) |
		B(CAP_REFERRALS_ALL) | B(CAP_CASES_ALL) | B(CAP_CASE_NOTES) |
		B(CAP_REPORTS) | B(CAP_REPORTS_AGGREGATE) | B(CAP_PUPILS) |
		B(CAP_REFERRALS) | B(CAP_CASES) | B(CAP_WORKERS_MANAGE) | B(CAP_DIRECTORY) |
		B(CAP_DIRECTORY_MANAGE) | B(CAP_CATALOGUE) | B(CAP_CATALOGUE_MANAGE) |
		B(CAP_BUDGETS) | B(CAP_BUDGETS_MANAGE) | B(CAP_COMMISSION_REQUEST) |
		B(CAP_COMMISSION_APPROVE) | B(CAP_COMMISSIONS_ALL) | B(CAP_IMPACT) |
		B(CAP_SURVEYS_MANAGE) | B(CAP_HOLDS)},
	[ROLE_SCHOOL] = {"school", "School leader",
		B(CAP_SIGNED_IN) | B(CAP_IMPORT_OWN) | B(CAP_PUPILS_OWN) |
		B(CAP_REFER) | B(CAP_PUPILS) | B(CAP_IMPORT) | B(CAP_REFERRALS) |
		B(CAP_CATALOGUE) | B(CAP_BUDGETS) | B(CAP_COMMISSION_APPROVE) |
		B(CAP_IMPACT) | B(CAP_REPORTS_OWN) | B(CAP_SURVEY_RESPOND)},
	[ROLE_WORKER] = {"worker", "Family support worker",
		B(CAP_SIGNED_IN) | B(CAP_CASES_OWN) | B(CAP_CASE_NOTES) | B(CAP_CASES) |
		B(CAP_DIRECTORY) | B(CAP_CATALOGUE) | B(CAP_COMMISSION_REQUEST)},
	[ROLE_AGENCY] = {"agency", "Partner agency professional",
		B(CAP_SIGNED_IN) | B(CAP_TAF_ACTIONS_OWN)},
	[ROLE_VIEWER] = {"viewer", "Schools Forum member",
		B(CAP_SIGNED_IN) | B(CAP_REPORTS_AGGREGATE) | B(CAP_IMPACT)},
	[ROLE_AUDITOR] = {"auditor", "Information governance",
		B(CAP_SIGNED_IN) | B(CAP_AUDIT_READ) | B(CAP_SUBJECT_ACCESS) |
		B(CAP_EXPORT_REGISTER)},
};

static const char *const cap_names[CAP_COUNT] = {
	"public", "signed_in", "users_manage", "schools_manage", "schools_view",
	"import_any", "import_own", "pupils_all", "pupils_own", "refer",
	"referrals_all", "cases_all", "cases_own", "case_notes",
	"taf_actions_own", "reports", "reports_aggregate", "audit_read",
	"pupils", "import", "risk_rules", "referrals", "cases", "workers_manage",
	"assessment_domains", "directory", "directory_manage", "catalogue",
	"catalogue_manage", "budgets", "budgets_manage", "commission_request",
	"commission_approve", "commissions_all", "impact", "reports_own",
	"surveys_manage", "survey_respond", "history_import", "subject_access",
	"retention", "holds", "export_register",
};

enum role role_parse(const char *name)
{
	for (int r = ROLE_ADMIN; r < ROLE_COUNT; r++)
		if (name && strcmp(name, roles[r].name) == 0)
			return (enum role)r;
	return ROLE_NONE;
}

const char *role_name(enum role r)
{
	return (r > ROLE_NONE && r < ROLE_COUNT) ? roles[r].name : "none";
}

const char *role_title(enum role r)
{
	return (r > ROLE_NONE && r < ROLE_COUNT) ? roles[r].title : roles[0].title;
}

struct caps caps_for_role(enum role r)
{
	struct caps c = {0};
	if (r > ROLE_NONE && r < ROLE_COUNT)
		c.bits = roles[r].bits;
	return c;
}

const char *cap_name(enum cap c)
{
	return (c >= 0 && c < CAP_COUNT) ? cap_names[c] : "unknown";
}
