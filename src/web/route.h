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
	bool quick;            /* run on the network thread (server.c): a few
				* indexed reads, no password hash, no write */
};

/* The route for method and path, without authenticating (NULL if none). */
const struct route *route_lookup(const char *method, const char *path);

extern const struct route routes[];

/* Handle r (method, path, body set) end to end: match, authenticate,
 * authorise, check CSRF, run the handler, fill in the error response.  If
 * r->route is set already (route_lookup of the same method and path, as
 * the server does once per request), only its path parameters are read. */
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
/* Refer: referrals and consent (referral_web.c). */
/* BEGIN referral handlers */
int referrals_page(struct req *r);
int referral_new_page(struct req *r);
int referral_create_page(struct req *r);
int referral_page(struct req *r);
int consent_create_page(struct req *r);
int consent_withdraw_page(struct req *r);
int referrals_api(struct req *r);
int referral_create_api(struct req *r);
int referral_api(struct req *r);
/* END referral handlers */
/* Screening, allocation and the worker pool (screen_web.c, worker_web.c). */
/* BEGIN screen handlers */
int screening_page(struct req *r);
int screening_referral_page(struct req *r);
int screening_decide_page(struct req *r);
int screening_api(struct req *r);
int suggestions_api(struct req *r);
int decision_api(struct req *r);
int workers_page(struct req *r);
int worker_new_page(struct req *r);
int worker_create_page(struct req *r);
int worker_page(struct req *r);
int worker_update_page(struct req *r);
int worker_cover_page(struct req *r);
int workers_api(struct req *r);
/* END screen handlers */
/* The case: family record, chronology, contacts, step up/down, transfer, closure (case_web.c). */
/* BEGIN case handlers */
int cases_page(struct req *r);
int case_page(struct req *r);
int case_contact_page(struct req *r);
int case_held_page(struct req *r);
int case_member_page(struct req *r);
int case_professional_page(struct req *r);
int case_review_page(struct req *r);
int case_step_up_page(struct req *r);
int case_step_down_page(struct req *r);
int case_transfer_page(struct req *r);
int case_close_page(struct req *r);
int cases_api(struct req *r);
int case_api(struct req *r);
int case_contact_api(struct req *r);
int case_held_api(struct req *r);
int case_review_api(struct req *r);
int case_step_up_api(struct req *r);
int case_step_down_api(struct req *r);
int case_transfer_api(struct req *r);
int case_close_api(struct req *r);
/* END case handlers */
/* The family's address, postcode and home language, from its case (family_web.c). */
int family_details_page(struct req *r);
int family_details_api(struct req *r);
int family_details_put_api(struct req *r);
/* The worker's caseload and calendar feed (caseload_web.c). */
/* BEGIN caseload handlers */
int caseload_page(struct req *r);
int caseload_api(struct req *r);
int calendar_token_page(struct req *r);
int calendar_token_api(struct req *r);
int calendar_feed_get(struct req *r);
/* END caseload handlers */

/* Assessment by domain, distance travelled, the domain list (assess_web.c). */
/* BEGIN assess handlers */
int assess_domains_page(struct req *r);
int assess_domain_add_page(struct req *r);
int assess_domain_page(struct req *r);
int assess_new_page(struct req *r);
int assess_create_page(struct req *r);
int assess_page(struct req *r);
int assess_list_api(struct req *r);
int assess_create_api(struct req *r);
/* END assess handlers */
/* The plan: actions, reviews, the printable plan (plan_web.c). */
/* BEGIN plan handlers */
int plan_action_create_page(struct req *r);
int plan_action_page(struct req *r);
int plan_action_update_page(struct req *r);
int plan_review_new_page(struct req *r);
int plan_review_create_page(struct req *r);
int plan_print_page(struct req *r);
int plan_actions_api(struct req *r);
int plan_action_create_api(struct req *r);
int plan_reviews_api(struct req *r);
int plan_review_create_api(struct req *r);
int plan_action_api(struct req *r);
int plan_action_update_api(struct req *r);
/* END plan handlers */
/* Team Around the Family meetings, the directory, agency users (taf_web.c, agency_web.c). */
/* BEGIN taf handlers */
int taf_schedule_page(struct req *r);
int taf_meeting_page(struct req *r);
int taf_invite_page(struct req *r);
int taf_record_page(struct req *r);
int taf_cancel_page(struct req *r);
int taf_home_page(struct req *r);
int taf_action_page(struct req *r);
int taf_home_api(struct req *r);
int taf_meeting_api(struct req *r);
int taf_schedule_api(struct req *r);
int taf_invite_api(struct req *r);
int taf_record_api(struct req *r);
int taf_cancel_api(struct req *r);
int taf_action_api(struct req *r);
int agencies_page(struct req *r);
int agency_create_page(struct req *r);
int agency_page(struct req *r);
int agency_professional_page(struct req *r);
int agencies_api(struct req *r);
/* END taf handlers */
/* The joint audit: the duplication check (jointaudit_web.c). */
/* BEGIN jointaudit handlers */
int jointaudit_page(struct req *r);
int jointaudit_csv_page(struct req *r);
int jointaudit_api(struct req *r);
/* END jointaudit handlers */
/* The service catalogue (catalogue_web.c). */
/* BEGIN catalogue handlers */
int catalogue_page(struct req *r);
int catalogue_provider_create_page(struct req *r);
int catalogue_service_create_page(struct req *r);
int catalogue_service_page(struct req *r);
int catalogue_service_update_page(struct req *r);
int catalogue_api(struct req *r);
/* END catalogue handlers */
/* Budgets and their funding sources (budget_web.c). */
/* BEGIN budget handlers */
int budgets_page(struct req *r);
int budget_new_page(struct req *r);
int budget_create_page(struct req *r);
int budget_page(struct req *r);
int budget_edit_page(struct req *r);
int budget_update_page(struct req *r);
int budgets_api(struct req *r);
int budget_api(struct req *r);
/* END budget handlers */
/* Commissions, approvals, household grants, the export (commission_web.c). */
/* BEGIN commission handlers */
int commission_request_page(struct req *r);
int commissions_csv_page(struct req *r);
int commissions_xlsx_page(struct req *r);
int commission_page(struct req *r);
int commission_decide_page(struct req *r);
int commission_deliver_page(struct req *r);
int commission_pay_page(struct req *r);
int commission_cancel_page(struct req *r);
int commission_refund_page(struct req *r);
int approvals_page(struct req *r);
int commission_request_api(struct req *r);
int commissions_api(struct req *r);
int commission_api(struct req *r);
int commission_decide_api(struct req *r);
int commission_deliver_api(struct req *r);
int commission_pay_api(struct req *r);
int commission_cancel_api(struct req *r);
int commission_refund_api(struct req *r);
int approvals_api(struct req *r);
/* END commission handlers */
/* Cost per family (cost_web.c). */
/* BEGIN cost handlers */
int costs_page(struct req *r);
int costs_csv_page(struct req *r);
int costs_api(struct req *r);
/* END cost handlers */

/* BEGIN report handlers */
/* Impact reports: the index, the printable Schools Forum report, its
 * workbook and the dashboard JSON (report_web.c). */
int reports_page(struct req *r);
int reports_forum_page(struct req *r);
int reports_forum_xlsx_page(struct req *r);
int reports_dashboard_api(struct req *r);
/* END report handlers */

/* BEGIN activity handlers */
/* Activity by month; caseloads and waits (report_activity_web.c). */
int report_activity_page(struct req *r);
int report_activity_api(struct req *r);
int report_caseloads_page(struct req *r);
int report_caseloads_api(struct req *r);
/* END activity handlers */

/* BEGIN money_report handlers */
int money_report_page(struct req *r);
int money_report_api(struct req *r);
int reach_report_page(struct req *r);
int reach_report_api(struct req *r);
/* END money_report handlers */

/* BEGIN outcome handlers */
/* Outcomes report and destinations at 16 (report_outcome_web.c). */
int outcomes_report_page(struct req *r);
int outcomes_report_api(struct req *r);
int destinations_page(struct req *r);
int destination_create_page(struct req *r);
int destination_api(struct req *r);
/* END outcome handlers */

/* BEGIN survey handlers */
/* Surveys of school leaders (survey_web.c); survey_home_section is the
 * home page's notice of surveys waiting for a school leader's answer. */
void survey_home_section(struct req *r);
int surveys_page(struct req *r);
int survey_new_page(struct req *r);
int survey_create_page(struct req *r);
int survey_page(struct req *r);
int survey_edit_page(struct req *r);
int survey_update_page(struct req *r);
int survey_open_page(struct req *r);
int survey_close_page(struct req *r);
int survey_respond_page(struct req *r);
int survey_answer_page(struct req *r);
int survey_results_page(struct req *r);
int surveys_api(struct req *r);
int survey_create_api(struct req *r);
int survey_api(struct req *r);
int survey_update_api(struct req *r);
int survey_open_api(struct req *r);
int survey_close_api(struct req *r);
int survey_respond_api(struct req *r);
int survey_results_api(struct req *r);
/* END survey handlers */

/* BEGIN history handlers */
/* History from before Hearth: loads of historic cases (history_web.c). */
int history_page(struct req *r);
int history_create_page(struct req *r);
int history_load_page(struct req *r);
int history_list_api(struct req *r);
int history_create_api(struct req *r);
/* END history handlers */
/* BEGIN dataprot handlers */
/* Data protection: subject access, retention and holds, the export
 * register (dataprot_web.c). */
int sar_search_page(struct req *r);
int sar_pupil_page(struct req *r);
int sar_member_page(struct req *r);
int sar_search_api(struct req *r);
int sar_pupil_api(struct req *r);
int sar_member_api(struct req *r);
int retention_page(struct req *r);
int retention_settings_page(struct req *r);
/* Money settings: hourly cost and approval limits (money_settings_web.c). */
int money_settings_page(struct req *r);
int money_settings_post_page(struct req *r);
int money_settings_api(struct req *r);
int money_settings_put_api(struct req *r);
/* The default maximum caseload (caseload_settings_web.c). */
int caseload_settings_page(struct req *r);
int caseload_settings_post_page(struct req *r);
int caseload_settings_api(struct req *r);
int caseload_settings_put_api(struct req *r);
int retention_run_page(struct req *r);
int hold_create_page(struct req *r);
int hold_release_page(struct req *r);
int retention_api(struct req *r);
int retention_run_api(struct req *r);
int hold_create_api(struct req *r);
int hold_release_api(struct req *r);
int exports_page(struct req *r);
int exports_api(struct req *r);
/* END dataprot handlers */

#endif
