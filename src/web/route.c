/* route.c — the route table and the dispatcher that enforces it.
 *
 * To add a route: add a line to routes[] and write its handler in the
 * feature's file.  The dispatcher, not the handler, decides who may call
 * it: anonymous callers of a protected route get 401 (API) or a redirect
 * to the sign-in page; signed-in callers without the capability get 403
 * (404 on a record route, one whose path names a record) and an audit
 * row; state-changing routes need the CSRF token; routes marked audit
 * fail closed (500) if the handler wrote no audit row. */
#include "web/route.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fmt.h"
#include "base/logsafe.h"
#include "base/valid.h"
#include "store/db.h"
#include "web/http.h"
#include "web/page.h"

#define R(m, p, c, csrf, aud, k, fn) {m, p, c, csrf, aud, k, fn, 0, false, false}
/* An upload route: the body (or a form's file) streams to disk, up to max. */
#define UPLOAD(m, p, c, csrf, aud, k, fn, max) {m, p, c, csrf, aud, k, fn, max, true, false}
/* A quick route, run on the network thread that read it instead of a
 * worker thread (server.c): only a few indexed reads, no password to hash,
 * nothing to write but its audit row.  Every other route runs on a worker,
 * so that one slow request never holds up the connections of a network
 * thread (half of them on two cores). */
#define QUICK(m, p, c, csrf, aud, k, fn) {m, p, c, csrf, aud, k, fn, 0, false, true}
enum { NO = 0, YES = 1 };
#define IMPORT_MAX ((size_t)512 * 1024 * 1024)  /* a census file, streamed to disk */

const struct route routes[] = {
	/* API */
	QUICK("GET", "/api/v1/health", CAP_PUBLIC,      NO,  NO,  ROUTE_API,  health_api),
	R("POST",   "/api/v1/session", CAP_PUBLIC,      NO,  NO,  ROUTE_API,  session_create_api),
	R("DELETE", "/api/v1/session", CAP_SIGNED_IN,   YES, NO,  ROUTE_API,  session_delete_api),
	QUICK("GET", "/api/v1/me",     CAP_SIGNED_IN,   NO,  YES, ROUTE_API,  me_api),
	R("GET",    "/api/v1/audit",   CAP_AUDIT_READ,  NO,  YES, ROUTE_API,  audit_api),
	R("GET",    "/api/v1/schools", CAP_SCHOOLS_VIEW, NO, NO,  ROUTE_API,  schools_api),
	R("POST",   "/api/v1/schools", CAP_SCHOOLS_MANAGE, YES, YES, ROUTE_API, schools_create_api),
	R("POST",   "/api/v1/users",   CAP_USERS_MANAGE, YES, YES, ROUTE_API, users_create_api),
	/* Pages */
	R("GET",    "/login",          CAP_PUBLIC,      NO,  NO,  ROUTE_PAGE, login_page),
	R("POST",   "/login",          CAP_PUBLIC,      YES, NO,  ROUTE_PAGE, login_post_page),
	R("POST",   "/logout",         CAP_SIGNED_IN,   YES, NO,  ROUTE_PAGE, logout_page),
	R("GET",    "/",               CAP_SIGNED_IN,   NO,  NO,  ROUTE_PAGE, home_page),
	R("GET",    "/account/security", CAP_SIGNED_IN, NO,  NO,  ROUTE_PAGE, security_page),
	R("POST",   "/account/totp",   CAP_SIGNED_IN,   YES, NO,  ROUTE_PAGE, totp_begin_page),
	R("POST",   "/account/totp/confirm", CAP_SIGNED_IN, YES, NO, ROUTE_PAGE, totp_confirm_page),
	R("GET",    "/audit",          CAP_AUDIT_READ,  NO,  YES, ROUTE_PAGE, audit_page),
	R("GET",    "/users",          CAP_USERS_MANAGE, NO, YES, ROUTE_PAGE, users_page),
	R("GET",    "/users/new",      CAP_USERS_MANAGE, NO, NO,  ROUTE_PAGE, users_new_page),
	R("POST",   "/users",          CAP_USERS_MANAGE, YES, YES, ROUTE_PAGE, users_create_page),
	R("GET",    "/schools",        CAP_SCHOOLS_VIEW, NO, NO,  ROUTE_PAGE, schools_page),
	/* Identify: pupils, the risk list, imports, risk rules */
	R("GET",    "/api/v1/risk",    CAP_PUPILS,      NO,  YES, ROUTE_API,  risk_api),
	R("GET",    "/api/v1/pupils/{upn}", CAP_PUPILS, NO,  YES, ROUTE_API,  pupil_api),
	UPLOAD("POST", "/api/v1/imports", CAP_IMPORT,   YES, YES, ROUTE_API,  import_api, IMPORT_MAX),
	R("GET",    "/pupils",         CAP_PUPILS,      NO,  YES, ROUTE_PAGE, pupils_page),
	R("GET",    "/pupils.csv",     CAP_PUPILS,      NO,  YES, ROUTE_PAGE, pupils_csv_page),
	R("GET",    "/pupils.xlsx",    CAP_PUPILS,      NO,  YES, ROUTE_PAGE, pupils_xlsx_page),
	R("GET",    "/pupils/{upn}",   CAP_PUPILS,      NO,  YES, ROUTE_PAGE, pupil_page),
	R("GET",    "/imports",        CAP_IMPORT,      NO,  NO,  ROUTE_PAGE, imports_page),
	R("GET",    "/imports/new",    CAP_IMPORT,      NO,  NO,  ROUTE_PAGE, import_new_page),
	UPLOAD("POST", "/imports",     CAP_IMPORT,      YES, YES, ROUTE_PAGE, import_create_page, IMPORT_MAX),
	R("GET",    "/imports/progress/{token}", CAP_IMPORT, NO, NO, ROUTE_PAGE, import_progress_page),
	R("GET",    "/imports/{id}",   CAP_IMPORT,      NO,  YES, ROUTE_PAGE, import_page),
	R("GET",    "/risk/rules",     CAP_RISK_RULES,  NO,  NO,  ROUTE_PAGE, risk_rules_page),
	R("GET",    "/risk/rules/{code}", CAP_RISK_RULES, NO, NO, ROUTE_PAGE, risk_rule_page),
	R("POST",   "/risk/rules/{code}/preview", CAP_RISK_RULES, YES, NO, ROUTE_PAGE, risk_rule_preview_page),
	R("POST",   "/risk/rules/{code}", CAP_RISK_RULES, YES, YES, ROUTE_PAGE, risk_rule_update_page),
	R("POST",   "/risk/bands",     CAP_RISK_RULES,  YES, YES, ROUTE_PAGE, risk_bands_page),
	R("GET",    "/risk/summary",   CAP_REPORTS_AGGREGATE, NO, NO, ROUTE_PAGE, risk_summary_page),
	/* BEGIN referral routes */
	R("GET",    "/api/v1/referrals", CAP_REFERRALS, NO, YES, ROUTE_API,  referrals_api),
	R("POST",   "/api/v1/referrals", CAP_REFERRALS, YES, YES, ROUTE_API, referral_create_api),
	R("GET",    "/api/v1/referrals/{ref}", CAP_REFERRALS, NO, YES, ROUTE_API, referral_api),
	R("GET",    "/referrals",      CAP_REFERRALS,   NO,  YES, ROUTE_PAGE, referrals_page),
	R("GET",    "/referrals/new",  CAP_REFER,       NO,  NO,  ROUTE_PAGE, referral_new_page),
	R("POST",   "/referrals",      CAP_REFER,       YES, YES, ROUTE_PAGE, referral_create_page),
	R("GET",    "/referrals/{ref}", CAP_REFERRALS,  NO,  YES, ROUTE_PAGE, referral_page),
	/* signed in: the referring school, the case's worker or the coordinator (handler) */
	R("POST",   "/families/{ref}/consents", CAP_SIGNED_IN, YES, YES, ROUTE_PAGE, consent_create_page),
	R("POST",   "/families/{ref}/consents/{id}/withdraw", CAP_SIGNED_IN, YES, YES, ROUTE_PAGE,
	  consent_withdraw_page),
	/* END referral routes */
	/* BEGIN screen routes */
	R("GET",    "/screening",      CAP_REFERRALS_ALL, NO, YES, ROUTE_PAGE, screening_page),
	R("GET",    "/screening/{ref}", CAP_REFERRALS_ALL, NO, YES, ROUTE_PAGE, screening_referral_page),
	R("POST",   "/screening/{ref}", CAP_REFERRALS_ALL, YES, YES, ROUTE_PAGE, screening_decide_page),
	R("GET",    "/api/v1/screening", CAP_REFERRALS_ALL, NO, YES, ROUTE_API, screening_api),
	R("GET",    "/api/v1/referrals/{ref}/suggestions", CAP_REFERRALS_ALL, NO, YES, ROUTE_API, suggestions_api),
	R("POST",   "/api/v1/referrals/{ref}/decision", CAP_REFERRALS_ALL, YES, YES, ROUTE_API, decision_api),
	R("GET",    "/workers",        CAP_WORKERS_MANAGE, NO, NO, ROUTE_PAGE, workers_page),
	R("GET",    "/workers/new",    CAP_WORKERS_MANAGE, NO, NO, ROUTE_PAGE, worker_new_page),
	R("POST",   "/workers",        CAP_WORKERS_MANAGE, YES, YES, ROUTE_PAGE, worker_create_page),
	R("GET",    "/workers/{id}",   CAP_WORKERS_MANAGE, NO, YES, ROUTE_PAGE, worker_page),
	R("POST",   "/workers/{id}",   CAP_WORKERS_MANAGE, YES, YES, ROUTE_PAGE, worker_update_page),
	R("POST",   "/workers/{id}/covers", CAP_WORKERS_MANAGE, YES, YES, ROUTE_PAGE, worker_cover_page),
	R("GET",    "/api/v1/workers", CAP_WORKERS_MANAGE, NO, NO, ROUTE_API, workers_api),
	/* END screen routes */
	/* BEGIN case routes */
	R("GET",    "/cases",          CAP_CASES,       NO,  YES, ROUTE_PAGE, cases_page),
	R("GET",    "/cases/{ref}",    CAP_CASES,       NO,  YES, ROUTE_PAGE, case_page),
	R("POST",   "/cases/{ref}/contacts", CAP_CASES, YES, YES, ROUTE_PAGE, case_contact_page),
	R("POST",   "/cases/{ref}/contacts/{id}/held", CAP_CASES, YES, YES, ROUTE_PAGE, case_held_page),
	R("POST",   "/cases/{ref}/members", CAP_CASES,  YES, YES, ROUTE_PAGE, case_member_page),
	R("POST",   "/cases/{ref}/professionals", CAP_CASES, YES, YES, ROUTE_PAGE, case_professional_page),
	R("POST",   "/cases/{ref}/review", CAP_CASES,   YES, YES, ROUTE_PAGE, case_review_page),
	R("POST",   "/cases/{ref}/step-up", CAP_CASES,  YES, YES, ROUTE_PAGE, case_step_up_page),
	R("POST",   "/cases/{ref}/step-down", CAP_CASES, YES, YES, ROUTE_PAGE, case_step_down_page),
	R("POST",   "/cases/{ref}/transfer", CAP_CASES, YES, YES, ROUTE_PAGE, case_transfer_page),
	R("POST",   "/cases/{ref}/close", CAP_CASES,    YES, YES, ROUTE_PAGE, case_close_page),
	R("POST",   "/cases/{ref}/family", CAP_CASES,   YES, YES, ROUTE_PAGE, family_details_page),
	R("GET",    "/api/v1/cases",   CAP_CASES,       NO,  YES, ROUTE_API,  cases_api),
	R("GET",    "/api/v1/cases/{ref}", CAP_CASES,   NO,  YES, ROUTE_API,  case_api),
	R("POST",   "/api/v1/cases/{ref}/contacts", CAP_CASES, YES, YES, ROUTE_API, case_contact_api),
	R("POST",   "/api/v1/cases/{ref}/contacts/{id}/held", CAP_CASES, YES, YES, ROUTE_API, case_held_api),
	R("POST",   "/api/v1/cases/{ref}/review", CAP_CASES, YES, YES, ROUTE_API, case_review_api),
	R("POST",   "/api/v1/cases/{ref}/step-up", CAP_CASES, YES, YES, ROUTE_API, case_step_up_api),
	R("POST",   "/api/v1/cases/{ref}/step-down", CAP_CASES, YES, YES, ROUTE_API, case_step_down_api),
	R("POST",   "/api/v1/cases/{ref}/transfer", CAP_CASES, YES, YES, ROUTE_API, case_transfer_api),
	R("POST",   "/api/v1/cases/{ref}/close", CAP_CASES, YES, YES, ROUTE_API, case_close_api),
	R("GET",    "/api/v1/cases/{ref}/family", CAP_CASES, NO, YES, ROUTE_API, family_details_api),
	R("PUT",    "/api/v1/cases/{ref}/family", CAP_CASES, YES, YES, ROUTE_API, family_details_put_api),
	/* END case routes */
	/* BEGIN caseload routes */
	R("GET",    "/caseload",       CAP_CASES_OWN,   NO,  YES, ROUTE_PAGE, caseload_page),
	R("GET",    "/api/v1/caseload", CAP_CASES_OWN,  NO,  YES, ROUTE_API,  caseload_api),
	R("POST",   "/account/calendar", CAP_CASES_OWN, YES, YES, ROUTE_PAGE, calendar_token_page),
	R("POST",   "/api/v1/account/calendar", CAP_CASES_OWN, YES, YES, ROUTE_API, calendar_token_api),
	/* {token} is "<64 hex>.ics": the matcher reads a parameter to the next '/' */
	R("GET",    "/calendar/{token}", CAP_PUBLIC,    NO,  YES, ROUTE_PAGE, calendar_feed_get),
	/* END caseload routes */
	/* BEGIN assess routes */
	R("GET",    "/assessment/domains", CAP_ASSESSMENT_DOMAINS, NO, NO, ROUTE_PAGE, assess_domains_page),
	R("POST",   "/assessment/domains", CAP_ASSESSMENT_DOMAINS, YES, YES, ROUTE_PAGE, assess_domain_add_page),
	R("POST",   "/assessment/domains/{code}", CAP_ASSESSMENT_DOMAINS, YES, YES, ROUTE_PAGE, assess_domain_page),
	R("GET",    "/cases/{ref}/assessments/new", CAP_CASES, NO, YES, ROUTE_PAGE, assess_new_page),
	R("POST",   "/cases/{ref}/assessments", CAP_CASES, YES, YES, ROUTE_PAGE, assess_create_page),
	R("GET",    "/cases/{ref}/assessments/{id}", CAP_CASES, NO, YES, ROUTE_PAGE, assess_page),
	R("GET",    "/api/v1/cases/{ref}/assessments", CAP_CASES, NO, YES, ROUTE_API, assess_list_api),
	R("POST",   "/api/v1/cases/{ref}/assessments", CAP_CASES, YES, YES, ROUTE_API, assess_create_api),
	/* END assess routes */
	/* BEGIN plan routes */
	R("POST",   "/cases/{ref}/actions", CAP_CASES,  YES, YES, ROUTE_PAGE, plan_action_create_page),
	R("GET",    "/cases/{ref}/actions/{id}", CAP_CASES, NO, YES, ROUTE_PAGE, plan_action_page),
	R("POST",   "/cases/{ref}/actions/{id}", CAP_CASES, YES, YES, ROUTE_PAGE, plan_action_update_page),
	R("GET",    "/cases/{ref}/reviews/new", CAP_CASES, NO, YES, ROUTE_PAGE, plan_review_new_page),
	R("POST",   "/cases/{ref}/reviews", CAP_CASES,  YES, YES, ROUTE_PAGE, plan_review_create_page),
	R("GET",    "/cases/{ref}/plan", CAP_CASES,     NO,  YES, ROUTE_PAGE, plan_print_page),
	R("GET",    "/api/v1/cases/{ref}/actions", CAP_CASES, NO, YES, ROUTE_API, plan_actions_api),
	R("POST",   "/api/v1/cases/{ref}/actions", CAP_CASES, YES, YES, ROUTE_API, plan_action_create_api),
	R("GET",    "/api/v1/cases/{ref}/reviews", CAP_CASES, NO, YES, ROUTE_API, plan_reviews_api),
	R("POST",   "/api/v1/cases/{ref}/reviews", CAP_CASES, YES, YES, ROUTE_API, plan_review_create_api),
	/* signed in: the case's worker or the coordinator, or the agency user owning it (handler) */
	R("GET",    "/api/v1/actions/{id}", CAP_SIGNED_IN, NO, YES, ROUTE_API, plan_action_api),
	R("POST",   "/api/v1/actions/{id}", CAP_SIGNED_IN, YES, YES, ROUTE_API, plan_action_update_api),
	/* END plan routes */
	/* BEGIN taf routes */
	R("POST",   "/cases/{ref}/meetings", CAP_CASES, YES, YES, ROUTE_PAGE, taf_schedule_page),
	/* signed in: CAP_CASES (case_visible) or CAP_TAF_ACTIONS_OWN (invited); the handler refuses others */
	R("GET",    "/taf/meetings/{id}", CAP_SIGNED_IN, NO, YES, ROUTE_PAGE, taf_meeting_page),
	R("POST",   "/taf/meetings/{id}/invite", CAP_CASES, YES, YES, ROUTE_PAGE, taf_invite_page),
	R("POST",   "/taf/meetings/{id}/record", CAP_CASES, YES, YES, ROUTE_PAGE, taf_record_page),
	R("POST",   "/taf/meetings/{id}/cancel", CAP_CASES, YES, YES, ROUTE_PAGE, taf_cancel_page),
	R("GET",    "/taf",            CAP_TAF_ACTIONS_OWN, NO, YES, ROUTE_PAGE, taf_home_page),
	R("POST",   "/taf/actions/{id}", CAP_TAF_ACTIONS_OWN, YES, YES, ROUTE_PAGE, taf_action_page),
	R("GET",    "/agencies",       CAP_DIRECTORY,   NO,  NO,  ROUTE_PAGE, agencies_page),
	R("POST",   "/agencies",       CAP_DIRECTORY_MANAGE, YES, YES, ROUTE_PAGE, agency_create_page),
	R("GET",    "/agencies/{id}",  CAP_DIRECTORY,   NO,  NO,  ROUTE_PAGE, agency_page),
	R("POST",   "/agencies/{id}/professionals", CAP_DIRECTORY_MANAGE, YES, YES, ROUTE_PAGE,
	  agency_professional_page),
	R("GET",    "/api/v1/taf",     CAP_TAF_ACTIONS_OWN, NO, YES, ROUTE_API, taf_home_api),
	R("GET",    "/api/v1/taf/meetings/{id}", CAP_SIGNED_IN, NO, YES, ROUTE_API, taf_meeting_api),
	R("POST",   "/api/v1/cases/{ref}/meetings", CAP_CASES, YES, YES, ROUTE_API, taf_schedule_api),
	R("POST",   "/api/v1/taf/meetings/{id}/invite", CAP_CASES, YES, YES, ROUTE_API, taf_invite_api),
	R("POST",   "/api/v1/taf/meetings/{id}/record", CAP_CASES, YES, YES, ROUTE_API, taf_record_api),
	R("POST",   "/api/v1/taf/meetings/{id}/cancel", CAP_CASES, YES, YES, ROUTE_API, taf_cancel_api),
	R("POST",   "/api/v1/taf/actions/{id}", CAP_TAF_ACTIONS_OWN, YES, YES, ROUTE_API, taf_action_api),
	R("GET",    "/api/v1/agencies", CAP_DIRECTORY,  NO,  NO,  ROUTE_API,  agencies_api),
	/* END taf routes */
	/* BEGIN jointaudit routes */
	R("GET",    "/joint-audit",    CAP_CASES_ALL,   NO,  YES, ROUTE_PAGE, jointaudit_page),
	R("GET",    "/joint-audit.csv", CAP_CASES_ALL,  NO,  YES, ROUTE_PAGE, jointaudit_csv_page),
	R("GET",    "/api/v1/joint-audit", CAP_CASES_ALL, NO, YES, ROUTE_API, jointaudit_api),
	/* END jointaudit routes */
	/* BEGIN catalogue routes */
	R("GET",    "/catalogue",      CAP_CATALOGUE,   NO,  NO,  ROUTE_PAGE, catalogue_page),
	R("POST",   "/catalogue/providers", CAP_CATALOGUE_MANAGE, YES, YES, ROUTE_PAGE,
	  catalogue_provider_create_page),
	R("POST",   "/catalogue/services", CAP_CATALOGUE_MANAGE, YES, YES, ROUTE_PAGE,
	  catalogue_service_create_page),
	R("GET",    "/catalogue/services/{id}", CAP_CATALOGUE, NO, NO, ROUTE_PAGE, catalogue_service_page),
	R("POST",   "/catalogue/services/{id}", CAP_CATALOGUE_MANAGE, YES, YES, ROUTE_PAGE,
	  catalogue_service_update_page),
	R("GET",    "/api/v1/catalogue", CAP_CATALOGUE, NO,  NO,  ROUTE_API,  catalogue_api),
	/* END catalogue routes */
	/* BEGIN budget routes */
	R("GET",    "/budgets",        CAP_BUDGETS,     NO,  YES, ROUTE_PAGE, budgets_page),
	R("GET",    "/budgets/new",    CAP_BUDGETS_MANAGE, NO, NO, ROUTE_PAGE, budget_new_page),
	R("POST",   "/budgets",        CAP_BUDGETS_MANAGE, YES, YES, ROUTE_PAGE, budget_create_page),
	R("GET",    "/budgets/{id}",   CAP_BUDGETS,     NO,  YES, ROUTE_PAGE, budget_page),
	R("GET",    "/budgets/{id}/edit", CAP_BUDGETS_MANAGE, NO, YES, ROUTE_PAGE, budget_edit_page),
	R("POST",   "/budgets/{id}",   CAP_BUDGETS_MANAGE, YES, YES, ROUTE_PAGE, budget_update_page),
	R("GET",    "/api/v1/budgets", CAP_BUDGETS,     NO,  YES, ROUTE_API,  budgets_api),
	R("GET",    "/api/v1/budgets/{id}", CAP_BUDGETS, NO, YES, ROUTE_API,  budget_api),
	/* END budget routes */
	/* BEGIN commission routes */
	/* CAP_CATALOGUE: the roles taking part in commissioning; the core decides per record */
	R("POST",   "/cases/{ref}/commissions", CAP_COMMISSION_REQUEST, YES, YES, ROUTE_PAGE, commission_request_page),
	R("GET",    "/commissions.csv", CAP_COMMISSIONS_ALL, NO, YES, ROUTE_PAGE, commissions_csv_page),
	R("GET",    "/commissions.xlsx", CAP_COMMISSIONS_ALL, NO, YES, ROUTE_PAGE, commissions_xlsx_page),
	R("GET",    "/commissions/{ref}", CAP_CATALOGUE, NO, YES, ROUTE_PAGE, commission_page),
	R("POST",   "/commissions/{ref}/decide", CAP_COMMISSION_APPROVE, YES, YES, ROUTE_PAGE, commission_decide_page),
	R("POST",   "/commissions/{ref}/deliver", CAP_CATALOGUE, YES, YES, ROUTE_PAGE, commission_deliver_page),
	R("POST",   "/commissions/{ref}/pay", CAP_CATALOGUE, YES, YES, ROUTE_PAGE, commission_pay_page),
	R("POST",   "/commissions/{ref}/cancel", CAP_CATALOGUE, YES, YES, ROUTE_PAGE, commission_cancel_page),
	R("POST",   "/commissions/{ref}/refund", CAP_CATALOGUE, YES, YES, ROUTE_PAGE, commission_refund_page),
	R("GET",    "/approvals",      CAP_COMMISSION_APPROVE, NO, YES, ROUTE_PAGE, approvals_page),
	R("POST",   "/api/v1/cases/{ref}/commissions", CAP_COMMISSION_REQUEST, YES, YES, ROUTE_API, commission_request_api),
	R("GET",    "/api/v1/commissions", CAP_COMMISSIONS_ALL, NO, YES, ROUTE_API, commissions_api),
	R("GET",    "/api/v1/commissions/{ref}", CAP_CATALOGUE, NO, YES, ROUTE_API, commission_api),
	R("POST",   "/api/v1/commissions/{ref}/decide", CAP_COMMISSION_APPROVE, YES, YES, ROUTE_API, commission_decide_api),
	R("POST",   "/api/v1/commissions/{ref}/deliver", CAP_CATALOGUE, YES, YES, ROUTE_API, commission_deliver_api),
	R("POST",   "/api/v1/commissions/{ref}/pay", CAP_CATALOGUE, YES, YES, ROUTE_API, commission_pay_api),
	R("POST",   "/api/v1/commissions/{ref}/cancel", CAP_CATALOGUE, YES, YES, ROUTE_API, commission_cancel_api),
	R("POST",   "/api/v1/commissions/{ref}/refund", CAP_CATALOGUE, YES, YES, ROUTE_API, commission_refund_api),
	R("GET",    "/api/v1/approvals", CAP_COMMISSION_APPROVE, NO, YES, ROUTE_API, approvals_api),
	/* END commission routes */
	/* BEGIN cost routes */
	R("GET",    "/costs",          CAP_REPORTS,     NO,  YES, ROUTE_PAGE, costs_page),
	R("GET",    "/costs.csv",      CAP_REPORTS,     NO,  YES, ROUTE_PAGE, costs_csv_page),
	R("GET",    "/api/v1/costs",   CAP_REPORTS,     NO,  YES, ROUTE_API,  costs_api),
	/* END cost routes */
	/* BEGIN report routes */
	R("GET",    "/reports",        CAP_IMPACT,      NO,  NO,  ROUTE_PAGE, reports_page),
	R("GET",    "/reports/forum",  CAP_IMPACT,      NO,  YES, ROUTE_PAGE, reports_forum_page),
	R("GET",    "/reports/forum.xlsx", CAP_IMPACT,  NO,  YES, ROUTE_PAGE, reports_forum_xlsx_page),
	R("GET",    "/api/v1/reports/dashboard", CAP_IMPACT, NO, YES, ROUTE_API, reports_dashboard_api),
	/* END report routes */
	/* BEGIN activity routes */
	R("GET",    "/reports/activity", CAP_IMPACT,    NO,  YES, ROUTE_PAGE, report_activity_page),
	R("GET",    "/reports/caseloads", CAP_IMPACT,   NO,  YES, ROUTE_PAGE, report_caseloads_page),
	R("GET",    "/api/v1/reports/activity", CAP_IMPACT, NO, YES, ROUTE_API, report_activity_api),
	R("GET",    "/api/v1/reports/caseloads", CAP_IMPACT, NO, YES, ROUTE_API, report_caseloads_api),
	/* END activity routes */
	/* BEGIN money_report routes */
	R("GET",    "/reports/money",  CAP_IMPACT,      NO,  YES, ROUTE_PAGE, money_report_page),
	R("GET",    "/api/v1/reports/money", CAP_IMPACT, NO, YES, ROUTE_API,  money_report_api),
	R("GET",    "/reports/reach",  CAP_IMPACT,      NO,  YES, ROUTE_PAGE, reach_report_page),
	R("GET",    "/api/v1/reports/reach", CAP_IMPACT, NO, YES, ROUTE_API,  reach_report_api),
	/* END money_report routes */
	/* BEGIN outcome routes */
	R("GET",    "/reports/outcomes", CAP_IMPACT,    NO,  YES, ROUTE_PAGE, outcomes_report_page),
	R("GET",    "/api/v1/reports/outcomes", CAP_IMPACT, NO, YES, ROUTE_API, outcomes_report_api),
	R("GET",    "/destinations",   CAP_CASES,       NO,  YES, ROUTE_PAGE, destinations_page),
	R("POST",   "/destinations",   CAP_CASES,       YES, YES, ROUTE_PAGE, destination_create_page),
	R("POST",   "/api/v1/pupils/{upn}/destination", CAP_CASES, YES, YES, ROUTE_API, destination_api),
	/* END outcome routes */
	/* BEGIN survey routes */
	R("GET",    "/surveys",        CAP_IMPACT,      NO,  NO,  ROUTE_PAGE, surveys_page),
	R("GET",    "/surveys/new",    CAP_SURVEYS_MANAGE, NO, NO, ROUTE_PAGE, survey_new_page),
	R("POST",   "/surveys",        CAP_SURVEYS_MANAGE, YES, YES, ROUTE_PAGE, survey_create_page),
	R("GET",    "/surveys/{id}",   CAP_IMPACT,      NO,  NO,  ROUTE_PAGE, survey_page),
	R("GET",    "/surveys/{id}/edit", CAP_SURVEYS_MANAGE, NO, NO, ROUTE_PAGE, survey_edit_page),
	R("POST",   "/surveys/{id}",   CAP_SURVEYS_MANAGE, YES, YES, ROUTE_PAGE, survey_update_page),
	R("POST",   "/surveys/{id}/open", CAP_SURVEYS_MANAGE, YES, YES, ROUTE_PAGE, survey_open_page),
	R("POST",   "/surveys/{id}/close", CAP_SURVEYS_MANAGE, YES, YES, ROUTE_PAGE, survey_close_page),
	R("GET",    "/surveys/{id}/respond", CAP_SURVEY_RESPOND, NO, NO, ROUTE_PAGE, survey_respond_page),
	R("POST",   "/surveys/{id}/respond", CAP_SURVEY_RESPOND, YES, YES, ROUTE_PAGE, survey_answer_page),
	R("GET",    "/surveys/{id}/results", CAP_IMPACT, NO, YES, ROUTE_PAGE, survey_results_page),
	R("GET",    "/api/v1/surveys", CAP_IMPACT,      NO,  NO,  ROUTE_API,  surveys_api),
	R("POST",   "/api/v1/surveys", CAP_SURVEYS_MANAGE, YES, YES, ROUTE_API, survey_create_api),
	R("GET",    "/api/v1/surveys/{id}", CAP_IMPACT, NO,  NO,  ROUTE_API,  survey_api),
	R("POST",   "/api/v1/surveys/{id}", CAP_SURVEYS_MANAGE, YES, YES, ROUTE_API, survey_update_api),
	R("POST",   "/api/v1/surveys/{id}/open", CAP_SURVEYS_MANAGE, YES, YES, ROUTE_API, survey_open_api),
	R("POST",   "/api/v1/surveys/{id}/close", CAP_SURVEYS_MANAGE, YES, YES, ROUTE_API, survey_close_api),
	R("POST",   "/api/v1/surveys/{id}/responses", CAP_SURVEY_RESPOND, YES, YES, ROUTE_API, survey_respond_api),
	R("GET",    "/api/v1/surveys/{id}/results", CAP_IMPACT, NO, YES, ROUTE_API, survey_results_api),
	/* END survey routes */
	/* BEGIN history routes */
	R("GET",    "/history",        CAP_HISTORY_IMPORT, NO, NO, ROUTE_PAGE, history_page),
	UPLOAD("POST", "/history",     CAP_HISTORY_IMPORT, YES, YES, ROUTE_PAGE, history_create_page,
	       IMPORT_MAX),
	R("GET",    "/history/{id}",   CAP_HISTORY_IMPORT, NO, YES, ROUTE_PAGE, history_load_page),
	R("GET",    "/api/v1/history", CAP_HISTORY_IMPORT, NO, NO, ROUTE_API, history_list_api),
	UPLOAD("POST", "/api/v1/history", CAP_HISTORY_IMPORT, YES, YES, ROUTE_API, history_create_api,
	       IMPORT_MAX),
	/* END history routes */
	/* BEGIN dataprot routes */
	R("GET",    "/subject-access", CAP_SUBJECT_ACCESS, NO, NO, ROUTE_PAGE, sar_search_page),
	R("GET",    "/subject-access/pupils/{upn}", CAP_SUBJECT_ACCESS, NO, YES, ROUTE_PAGE, sar_pupil_page),
	R("GET",    "/subject-access/members/{id}", CAP_SUBJECT_ACCESS, NO, YES, ROUTE_PAGE, sar_member_page),
	R("GET",    "/api/v1/subject-access", CAP_SUBJECT_ACCESS, NO, NO, ROUTE_API, sar_search_api),
	R("GET",    "/api/v1/subject-access/pupils/{upn}", CAP_SUBJECT_ACCESS, NO, YES, ROUTE_API, sar_pupil_api),
	R("GET",    "/api/v1/subject-access/members/{id}", CAP_SUBJECT_ACCESS, NO, YES, ROUTE_API, sar_member_api),
	R("GET",    "/retention",      CAP_HOLDS,       NO,  YES, ROUTE_PAGE, retention_page),
	R("POST",   "/retention/settings", CAP_RETENTION, YES, YES, ROUTE_PAGE, retention_settings_page),
	R("POST",   "/retention/run",  CAP_RETENTION,   YES, YES, ROUTE_PAGE, retention_run_page),
	R("POST",   "/retention/holds", CAP_HOLDS,      YES, YES, ROUTE_PAGE, hold_create_page),
	R("POST",   "/retention/holds/{id}/release", CAP_HOLDS, YES, YES, ROUTE_PAGE, hold_release_page),
	R("GET",    "/api/v1/retention", CAP_HOLDS,     NO,  YES, ROUTE_API,  retention_api),
	R("POST",   "/api/v1/retention/run", CAP_RETENTION, YES, YES, ROUTE_API, retention_run_api),
	R("POST",   "/api/v1/holds",   CAP_HOLDS,       YES, YES, ROUTE_API,  hold_create_api),
	R("POST",   "/api/v1/holds/{id}/release", CAP_HOLDS, YES, YES, ROUTE_API, hold_release_api),
	R("GET",    "/exports",        CAP_EXPORT_REGISTER, NO, YES, ROUTE_PAGE, exports_page),
	R("GET",    "/api/v1/exports", CAP_EXPORT_REGISTER, NO, YES, ROUTE_API, exports_api),
	/* END dataprot routes */
	/* BEGIN money settings routes */
	R("GET",    "/settings/money", CAP_SCHOOLS_MANAGE, NO, NO, ROUTE_PAGE, money_settings_page),
	R("POST",   "/settings/money", CAP_SCHOOLS_MANAGE, YES, YES, ROUTE_PAGE, money_settings_post_page),
	R("GET",    "/api/v1/settings/money", CAP_SCHOOLS_MANAGE, NO, NO, ROUTE_API, money_settings_api),
	R("PUT",    "/api/v1/settings/money", CAP_SCHOOLS_MANAGE, YES, YES, ROUTE_API, money_settings_put_api),
	/* END money settings routes */
	/* BEGIN caseload settings routes */
	R("GET",    "/settings/caseload", CAP_WORKERS_MANAGE, NO, NO, ROUTE_PAGE, caseload_settings_page),
	R("POST",   "/settings/caseload", CAP_WORKERS_MANAGE, YES, YES, ROUTE_PAGE, caseload_settings_post_page),
	R("GET",    "/api/v1/settings/caseload", CAP_WORKERS_MANAGE, NO, NO, ROUTE_API, caseload_settings_api),
	R("PUT",    "/api/v1/settings/caseload", CAP_WORKERS_MANAGE, YES, YES, ROUTE_API, caseload_settings_put_api),
	/* END caseload settings routes */
	/* Static files */
	QUICK("GET", "/assets/*",      CAP_PUBLIC,      NO,  NO,  ROUTE_ASSET, asset_get),
	{0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
};

/* Match path against pattern, filling params; true on a match. */
static bool match(const char *pattern, const char *path, struct req *r)
{
	int np = 0;
	const char *p = pattern, *s = path;
	while (*p && *s) {
		if (*p == '*')
			return true;
		if (*p == '{') {
			const char *pe = strchr(p, '}');
			const char *se = strchr(s, '/');
			size_t n = se ? (size_t)(se - s) : strlen(s);
			if (!pe || n == 0 || np >= REQ_MAX_PARAMS)
				return false;
			r->params[np++] = arena_strndup(&r->arena, s, n);
			p = pe + 1;
			s += n;
			continue;
		}
		if (*p++ != *s++)
			return false;
	}
	return *p == *s || (*p == '*' && p[1] == '\0');
}

static bool is_api_path(const char *path)
{
	return strncmp(path, "/api/", 5) == 0;
}

/* Render an error for code as JSON (API) or a page. */
static void fail(struct req *r, int code)
{
	bool api = r->route ? r->route->kind != ROUTE_PAGE : is_api_path(r->path);
	if (api)
		req_json_error(r, code);
	else
		page_error(r, code);
}

/* Look up the session cookie.  No cookie, an unknown, expired or disabled
 * session: the request goes on anonymous.  The database failing to answer
 * (unreachable, disk full, …) is not "signed out": that error is returned,
 * for the caller to answer with (503, not a 401 or a sign-in page). */
static int authenticate(struct req *r)
{
	const char *token = req_cookie(r, "hearth_session");
	const char *what = r->route ? r->route->pattern : r->path;
	size_t m = strlen(r->method), n = strlen(what);
	char *route = arena_alloc(&r->arena, m + n + 2);
	memcpy(route, r->method, m);
	route[m] = ' ';
	memcpy(route + m + 1, what, n + 1);
	r->who.route = route;	/* "METHOD PATTERN" (printf's cost showed here) */
	r->who.ip = r->ip;
	r->who.role = "none";
	if (!token)
		return HE_OK;
	int rc = auth_session(r->db, &r->arena, token, &r->sess);
	if (rc == HE_UNAVAILABLE || rc == HE_INTERNAL || (rc >= HE_DB && rc < 5000))
		return rc;
	if (rc != HE_OK)
		return HE_OK;
	r->signed_in = true;
	r->caps = caps_for_role(r->sess.user.role);
	r->who.user_id = r->sess.user.id;
	r->who.email = r->sess.user.email;
	r->who.role = role_name(r->sess.user.role);
	return HE_OK;
}

static bool csrf_ok(struct req *r)
{
	if (r->route->kind == ROUTE_API)
		return r->signed_in && auth_csrf_ok(r->sess.csrf, req_header(r, "X-CSRF-Token"));
	const char *presented = req_form(r, "csrf_token");
	if (r->signed_in)
		return auth_csrf_ok(r->sess.csrf, presented);
	/* Anonymous forms (sign-in): double-submit cookie. */
	return auth_csrf_ok(req_cookie(r, "hearth_csrf"), presented);
}

/* A state-changing request that the browser says came from another site
 * is refused whatever token it carries (auth_origin_ok), and audited. */
static bool origin_ok(struct req *r)
{
	if (strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0)
		return true;
	const char *origin = req_header(r, "Origin"), *site = req_header(r, "Sec-Fetch-Site");
	if (auth_origin_ok(origin, site, req_header(r, "Host")))
		return true;
	if (!origin || !text_valid(origin, strlen(origin)))
		origin = "none";
	if (!site || !text_valid(site, strlen(site)))
		site = "none";
	req_audit(r, "denied", NULL, NULL, arena_printf(&r->arena,
		  "cross-origin request refused (Origin %.100s, Sec-Fetch-Site %.40s)", origin, site));
	return false;
}

/* The route for r's method and path.  HEAD is served as GET (libmicrohttpd
 * drops the body).  If only other methods match, *allow lists them for the
 * 405's Allow header. */
static const struct route *find(struct req *r, struct buf *allow)
{
	const char *method = strcmp(r->method, "HEAD") == 0 ? "GET" : r->method;
	for (const struct route *rt = routes; rt->method; rt++) {
		memset(r->params, 0, sizeof r->params);
		if (!match(rt->pattern, r->path, r))
			continue;
		if (strcmp(rt->method, method) == 0)
			return rt;
		buf_printf(allow, "%s%s", allow->len ? ", " : "", rt->method);
	}
	return NULL;
}

const struct route *route_lookup(const char *method, const char *path)
{
	struct req r;
	memset(&r, 0, sizeof r);
	arena_init(&r.arena);
	r.method = method;
	r.path = path;
	struct buf allow;
	buf_init(&allow, 256);
	const struct route *rt = find(&r, &allow);
	buf_free(&allow);
	arena_free(&r.arena);
	return rt;
}

/* The checks before the handler; HE_OK to run it. */
static int admit(struct req *r)
{
	const struct route *rt = r->route;
	int rc = req_check_form(r);
	if (rc)
		return rc;
	if (!origin_ok(r))
		return HE_CSRF;
	if (rt->cap == CAP_PUBLIC && !rt->csrf)
		return HE_OK;
	if (rt->cap != CAP_PUBLIC && !r->signed_in) {
		if (rt->kind == ROUTE_PAGE) {
			struct buf loc;
			buf_init(&loc, 4096);
			fmt_printf(&loc, "/login?next=%u", r->path);
			req_redirect(r, buf_str(&loc));
			buf_free(&loc);
			return -1;  /* response already written */
		}
		return HE_AUTH_REQUIRED;
	}
	if (!caps_has(r->caps, rt->cap)) {
		/* A record route (its path names a family, case, pupil, meeting
		 * …) answers 404 to a caller without its capability, as it does
		 * to a caller with it whose scope does not reach the record: a
		 * school user asking for a case gets the same answer whether or
		 * not it exists (issue 5: 404 "through every page and API
		 * route").  Other routes say 403, which tells the caller only
		 * what their role may do. */
		bool record = strchr(rt->pattern, '{') != NULL;
		req_audit(r, "denied", NULL, NULL, arena_printf(&r->arena, "lacks capability %s%s",
			  cap_name(rt->cap), record ? " (a record route: answered 404)" : ""));
		return record ? HE_NOT_FOUND : HE_FORBIDDEN;
	}
	if (rt->csrf && !csrf_ok(r)) {
		if (r->signed_in)
			req_audit(r, "denied", NULL, NULL, "missing or wrong CSRF token");
		return HE_CSRF;
	}
	return HE_OK;
}

/* "hearth: METHOD PATH WHAT DETAIL" on stderr, the path escaped
 * (base/logsafe.h): it is the client's bytes, and a %0A in it must not
 * forge a line of the log.  what ": " joins detail straight on. */
static void log_request(const struct req *r, const char *what, const char *detail)
{
	char *path = logsafe_dup(r->path);
	fprintf(stderr, "hearth: %s %s%s%s%s\n", r->method, path ? path : "",
		*what == ':' ? "" : " ", what, detail);
	free(path);
}

/* Whether the route reads reports: long scans over a period's tables,
 * which memory-mapped reads make about 2x faster.  Every other route runs
 * short lookups, for which a mapped SQLite connection costs more than it
 * saves while others commit (it rebuilds its mapping after each of their
 * commits: db_map_reads), so only these map. */
static bool reads_reports(const struct route *rt)
{
	switch (rt->cap) {
	case CAP_IMPACT: case CAP_REPORTS: case CAP_REPORTS_AGGREGATE: case CAP_REPORTS_OWN:
		return strcmp(rt->method, "GET") == 0;
	default:
		return false;
	}
}

void route_dispatch(struct req *r)
{
	struct buf allow;
	buf_init(&allow, 256);
	if (r->route) {		/* looked up already: its parameters */
		memset(r->params, 0, sizeof r->params);
		match(r->route->pattern, r->path, r);
	} else {
		r->route = find(r, &allow);
	}
	if (!r->route) {
		if (allow.len)
			req_set_header(r, "Allow", buf_str(&allow));
		fail(r, allow.len ? HE_METHOD : HE_NOT_FOUND);
		buf_free(&allow);
		return;
	}
	buf_free(&allow);
	db_map_reads(r->db, reads_reports(r->route));
	if (r->route->kind != ROUTE_ASSET) {
		int rc = authenticate(r);
		if (rc != HE_OK) {
			log_request(r, "could not check the session: ", db_errmsg(r->db));
			fail(r, rc);
			return;
		}
	}
	int rc = admit(r);
	if (rc == -1)
		return;
	uint64_t audited = audit_appended();
	if (rc == HE_OK)
		rc = r->route->fn(r);
	if (db_in_transaction(r->db)) {
		log_request(r, "left a transaction open", "");
		db_rollback(r->db);
		rc = rc ? rc : HE_INTERNAL;
	}
	if (rc == HE_OK && r->route->audit && audit_appended() == audited && r->status < 400) {
		fprintf(stderr, "hearth: %s %s must audit but wrote no row\n",
			r->method, r->route->pattern);
		rc = HE_INTERNAL;
	}
	if (rc != HE_OK) {
		if (rc >= HE_DB && rc < 5000)
			log_request(r, ": ", db_errmsg(r->db));
		fail(r, rc);
	}
}

void route_print(FILE *out)
{
	static const char *const kinds[] = {"page", "api", "asset"};
	for (const struct route *rt = routes; rt->method; rt++)
		fprintf(out, "%s\t%s\t%s\t%s\t%s\t%s\n", rt->method, rt->pattern,
			cap_name(rt->cap), rt->csrf ? "yes" : "no", rt->audit ? "yes" : "no",
			kinds[rt->kind]);
}

void route_print_caps(FILE *out)
{
	for (int role = ROLE_ADMIN; role < ROLE_COUNT; role++) {
		struct caps c = caps_for_role((enum role)role);
		fprintf(out, "%s\t", role_name((enum role)role));
		const char *sep = "";
		for (int cap = CAP_SIGNED_IN; cap < CAP_COUNT; cap++)
			if (caps_has(c, (enum cap)cap)) {
				fprintf(out, "%s%s", sep, cap_name((enum cap)cap));
				sep = ",";
			}
		fputc('\n', out);
	}
}
