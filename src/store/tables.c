/* tables.c — the list of Hearth's tables, and a digest of a table's
 * contents, for the commands that copy a whole partnership (hearth
 * migrate, backup, restore) and must prove nothing was lost. */
#include "store/db.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"

const char *const db_tables[] = {
	"settings", "risk_rules", "districts", "schools", "users", "sessions",
	"login_failures", "imports", "import_errors", "pupils", "pupil_snapshots",
	"workers", "worker_schools", "worker_districts", "worker_covers",
	"families", "family_members", "family_professionals", "referrals",
	"referral_pupils", "consents", "school_notices", "cases", "contacts",
	"case_events", "assessment_domains", "assessments", "assessment_scores",
	"agencies", "professionals", "reviews", "taf_meetings", "taf_invitees",
	"plan_actions", "action_updates", "providers", "services", "service_districts",
	"budgets", "budget_sources", "commissions", "commission_items", "commission_events",
	"destinations", "surveys", "survey_questions", "survey_responses", "survey_answers",
	"history_imports", "history_import_errors", "history_cases", "history_events",
	"safeguarding_holds", "export_register", "import_jobs", "family_details_history",
	"audit_log", NULL,
};

static bool listed(const char *table)
{
	for (const char *const *t = db_tables; *t; t++)
		if (strcmp(*t, table) == 0)
			return true;
	return false;
}

int db_table_digest(struct db *db, const char *table, int64_t *rows, char hex[65])
{
	unsigned char h[32];
	char sql[128];
	crypto_generichash_state g;
	*rows = 0;
	hex[0] = '\0';
	if (!listed(table))      /* the name goes into SQL text: only our own */
		return HE_INVALID;
	snprintf(sql, sizeof sql, "SELECT * FROM %s ORDER BY 1, 2", table);
	crypto_generichash_init(&g, NULL, 0, sizeof h);
	struct db_stmt *st = db_prepare(db, sql);
	while (db_next(st)) {
		int n = db_column_count(st);
		for (int c = 0; c < n; c++) {
			/* NULL and "" differ; each value is length-prefixed */
			const char *v = db_is_null(st, c) ? NULL : db_text(st, c);
			char len[24];
			int k = snprintf(len, sizeof len, v ? "%zu:" : "N:", v ? strlen(v) : 0);
			crypto_generichash_update(&g, (const unsigned char *)len, (size_t)k);
			if (v)
				crypto_generichash_update(&g, (const unsigned char *)v, strlen(v));
		}
		crypto_generichash_update(&g, (const unsigned char *)"\n", 1);
		(*rows)++;
	}
	int rc = db_finalize(st);
	crypto_generichash_final(&g, h, sizeof h);
	sodium_bin2hex(hex, 65, h, sizeof h);
	return rc;
}
