/* jointaudit.c — the joint audit's duplication checks (see jointaudit.h).
 *
 * Each check is one query whose rows come ordered by the thing a finding
 * is about (a family, a pupil, a family's need); consecutive rows with the
 * same key become one finding, its rows the finding's links.  The queries
 * are plain SQL that SQLite and PostgreSQL both run; nothing is written
 * but the audit row. */
#include "core/dataprot.h"
#include "core/jointaudit.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "core/audit.h"
#include "core/caps.h"
#include "core/plan.h"
#include "core/referral.h"
#include "core/scope.h"
#include "store/db.h"

#define STR_(x) #x
#define STR(x) STR_(x)

const struct jointaudit_check_info jointaudit_checks[JA_NCHECKS] = {
	[JA_OPEN_CASES] = {"open_cases", "Families with more than one open case",
		"A family should have one open case and one plan. Two open cases at once usually"
		" mean a second referral was accepted without noticing the first: the family may be"
		" visited twice and asked the same questions. Close one case or merge the work."},
	[JA_LEAD] = {"lead", "Families with more than one lead professional",
		"Each family should have one lead professional who co-ordinates the plan. Listed here:"
		" families whose open cases are led by different workers, and cases where one agency"
		" professional owns " STR(JOINTAUDIT_LEAD_ACTIONS) " or more open actions and more than the case's own worker"
		" does, so the plan is in practice being carried by someone else. Agree who leads."},
	[JA_TWO_SCHOOLS] = {"two_schools", "Pupils referred by two or more schools",
		"A pupil named in referrals from two or more different schools in the period (a"
		" sibling included in another school's referral counts). The schools may each be"
		" working with the family without knowing about the other: share what is known and"
		" agree one route."},
	[JA_SAME_NEED] = {"same_need", "Agencies holding actions on the same need",
		"Two or more professionals (of one agency or of several) each own open actions on"
		" the same need of the same family, for example two services both working on"
		" housing. Check they are not doing the same thing twice, and agree who does what."},
};

int jointaudit_check_by_code(const char *code)
{
	for (int i = 0; code && i < JA_NCHECKS; i++)
		if (strcmp(jointaudit_checks[i].code, code) == 0)
			return i;
	return -1;
}

/* ---- collecting findings ------------------------------------------------ */

struct collect {
	struct arena *a;
	struct jointaudit *out;
	enum jointaudit_check check;
	struct jointaudit_finding *v;    /* malloc'd while collecting */
	size_t n, cap;
	struct jointaudit_link links[64];/* the open finding's links */
	size_t nlinks;
	bool open;
};

/* Start a finding about family (ref, name); false when the check is full. */
static bool finding_begin(struct collect *c, int64_t family_id, const char *ref, const char *name)
{
	if (c->out->count[c->check] >= JOINTAUDIT_MAX_FINDINGS) {
		c->out->truncated = true;
		return false;
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 32;
		c->v = xrealloc(c->v, c->cap * sizeof *c->v);
	}
	struct jointaudit_finding *f = &c->v[c->n++];
	memset(f, 0, sizeof *f);
	f->check = c->check;
	f->family_id = family_id;
	snprintf(f->family_ref, sizeof f->family_ref, "%s", ref);
	f->family_name = arena_strdup(c->a, name);
	c->out->count[c->check]++;
	c->nlinks = 0;
	c->open = true;
	return true;
}

/* Add a link to the open finding (a ref already linked is not repeated). */
static void finding_link(struct collect *c, const char *ref, bool is_case, const char *label)
{
	if (!c->open || !ref || !*ref || c->nlinks == sizeof c->links / sizeof c->links[0])
		return;
	for (size_t i = 0; i < c->nlinks; i++)
		if (strcmp(c->links[i].ref, ref) == 0)
			return;
	struct jointaudit_link *l = &c->links[c->nlinks++];
	l->ref = arena_strdup(c->a, ref);
	l->href = arena_printf(c->a, "%s%s", is_case ? "/cases/" : "/referrals/", ref);
	l->label = arena_strdup(c->a, label ? label : "");
	l->is_case = is_case;
}

/* Close the open finding with its summary (taken from b). */
static void finding_end(struct collect *c, struct buf *b)
{
	if (!c->open)
		return;
	struct jointaudit_finding *f = &c->v[c->n - 1];
	f->summary = arena_strdup(c->a, buf_str(b));
	f->links = arena_alloc(c->a, (c->nlinks ? c->nlinks : 1) * sizeof *f->links);
	memcpy(f->links, c->links, c->nlinks * sizeof *f->links);
	f->nlinks = c->nlinks;
	c->open = false;
	buf_reset(b);
}

static const char *col(struct db_stmt *st, int i)
{
	const char *s = db_is_null(st, i) ? "" : db_text(st, i);
	return s ? s : "";
}

/* ---- the checks ----------------------------------------------------------- */

/* Families with more than one open case (distinct_workers: led by
 * different workers — the first half of the lead check). */
static int check_cases(struct db *db, struct collect *c, bool distinct_workers)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT c.family_id, f.ref, f.name, c.ref, w.name, c.opened_on"
		" FROM cases c JOIN families f ON f.id = c.family_id JOIN workers w ON w.id = c.worker_id"
		" WHERE c.status = 'open' AND c.family_id IN (SELECT x.family_id FROM cases x"
		"  WHERE x.status = 'open' GROUP BY x.family_id HAVING count(*) > 1"
		"  AND (:distinct = 0 OR count(DISTINCT x.worker_id) > 1))"
		" ORDER BY c.family_id, c.opened_on, c.id");
	db_bind_int(st, ":distinct", distinct_workers ? 1 : 0);
	struct buf b, names;
	buf_init(&b, 4096);
	buf_init(&names, 4096);
	int64_t family = 0;
	int k = 0;
	bool more = true;
	while ((more = db_next(st)) || c->open) {
		if (!more || db_int(st, 0) != family) {
			if (c->open) {
				if (distinct_workers)
					buf_printf(&b, "Its open cases are led by different workers: %s.",
						   buf_str(&names));
				else
					buf_printf(&b, "%d open cases at the same time.", k);
				finding_end(c, &b);
			}
			if (!more)
				break;
			family = db_int(st, 0);
			k = 0;
			buf_reset(&names);
			if (!finding_begin(c, family, col(st, 1), col(st, 2)))
				continue;
		}
		if (!c->open)
			continue;
		k++;
		if (!strstr(buf_str(&names), col(st, 4)))
			buf_printf(&names, "%s%s", names.len ? ", " : "", col(st, 4));
		char label[200];
		snprintf(label, sizeof label, "opened %s, led by %s", col(st, 5), col(st, 4));
		finding_link(c, col(st, 3), true, label);
	}
	buf_free(&b);
	buf_free(&names);
	return db_finalize(st);
}

/* Cases whose plan an agency professional carries: JOINTAUDIT_LEAD_ACTIONS
 * or more open actions, more than the case's worker owns. */
static int check_agency_lead(struct db *db, struct collect *c)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT c.family_id, f.ref, f.name, c.ref, w.name, p.name, ag.name, count(*),"
		" (SELECT count(*) FROM plan_actions x WHERE x.case_id = c.id"
		"  AND x.owner_kind = 'worker' AND x.status IN " PLAN_OPEN_STATUSES ")"
		" FROM plan_actions pa JOIN cases c ON c.id = pa.case_id"
		" JOIN families f ON f.id = c.family_id JOIN workers w ON w.id = c.worker_id"
		" JOIN professionals p ON p.id = pa.owner_professional_id"
		" JOIN agencies ag ON ag.id = p.agency_id"
		" WHERE c.status = 'open' AND pa.owner_kind = 'agency' AND pa.status IN " PLAN_OPEN_STATUSES
		" GROUP BY c.id, c.family_id, f.ref, f.name, c.ref, w.name, p.id, p.name, ag.name"
		" HAVING count(*) >= :min ORDER BY c.family_id, c.id, p.name");
	db_bind_int(st, ":min", JOINTAUDIT_LEAD_ACTIONS);
	struct buf b;
	buf_init(&b, 4096);
	while (db_next(st)) {
		int64_t nagency = db_int(st, 7), nworker = db_int(st, 8);
		if (nagency <= nworker || !finding_begin(c, db_int(st, 0), col(st, 1), col(st, 2)))
			continue;
		buf_printf(&b, "%s (%s) owns %" PRId64 " open actions in the plan, its lead worker %s"
			   " owns %" PRId64 ".", col(st, 5), col(st, 6), nagency, col(st, 4), nworker);
		char label[200];
		snprintf(label, sizeof label, "led by %s", col(st, 4));
		finding_link(c, col(st, 3), true, label);
		finding_end(c, &b);
	}
	buf_free(&b);
	return db_finalize(st);
}

/* Pupils referred by two or more different schools since the period began. */
static int check_two_schools(struct db *db, struct collect *c)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT rp.pupil_id, p.forename, p.surname, r.family_id, f.ref, f.name, r.ref, s.name,"
		" substr(r.received_at, 1, 10), cs.ref"
		" FROM referral_pupils rp JOIN referrals r ON r.id = rp.referral_id"
		" JOIN schools s ON s.id = r.school_id JOIN pupils p ON p.id = rp.pupil_id"
		" JOIN families f ON f.id = r.family_id LEFT JOIN cases cs ON cs.referral_id = r.id"
		" WHERE r.source = 'school' AND r.received_at >= :since AND rp.pupil_id IN ("
		"  SELECT rp2.pupil_id FROM referral_pupils rp2 JOIN referrals r2 ON r2.id = rp2.referral_id"
		"  WHERE r2.source = 'school' AND r2.received_at >= :since"
		"  GROUP BY rp2.pupil_id HAVING count(DISTINCT r2.school_id) > 1)"
		" ORDER BY rp.pupil_id, r.received_at, r.id");
	db_bind_text(st, ":since", c->out->since);
	struct buf b, schools;
	buf_init(&b, 4096);
	buf_init(&schools, 4096);
	int64_t pupil = 0;
	char name[200] = "";
	bool more = true;
	while ((more = db_next(st)) || c->open) {
		if (!more || db_int(st, 0) != pupil) {
			if (c->open) {
				buf_printf(&b, "%s was referred by more than one school: %s.", name,
					   buf_str(&schools));
				finding_end(c, &b);
			}
			if (!more)
				break;
			pupil = db_int(st, 0);
			snprintf(name, sizeof name, "%s %s", col(st, 1), col(st, 2));
			buf_reset(&schools);
			if (!finding_begin(c, db_int(st, 3), col(st, 4), col(st, 5)))
				continue;
		}
		if (!c->open)
			continue;
		buf_printf(&schools, "%s%s on %s", schools.len ? "; " : "", col(st, 7), col(st, 8));
		char label[300];
		snprintf(label, sizeof label, "referral from %s on %s", col(st, 7), col(st, 8));
		finding_link(c, col(st, 6), false, label);
		if (*col(st, 9)) {
			snprintf(label, sizeof label, "case opened from %s", col(st, 6));
			finding_link(c, col(st, 9), true, label);
		}
	}
	buf_free(&b);
	buf_free(&schools);
	return db_finalize(st);
}

/* The title of a need: an assessment domain's (title given) or a referral
 * need's; the code itself if neither. */
static const char *need_title(const char *code, const char *domain_title)
{
	if (domain_title && *domain_title)
		return domain_title;
	const char *t = referral_need_title(code);
	return t ? t : code;
}

/* Two or more professionals with open actions on one need of a family. */
static int check_same_need(struct db *db, struct collect *c)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT c.family_id, f.ref, f.name, pa.need, coalesce(d.title, ''), p.id, p.name,"
		" ag.name, pa.due_on, c.ref, w.name"
		" FROM plan_actions pa JOIN cases c ON c.id = pa.case_id"
		" JOIN families f ON f.id = c.family_id JOIN workers w ON w.id = c.worker_id"
		" JOIN professionals p ON p.id = pa.owner_professional_id"
		" JOIN agencies ag ON ag.id = p.agency_id"
		" LEFT JOIN assessment_domains d ON d.code = pa.need"
		" WHERE c.status = 'open' AND pa.owner_kind = 'agency' AND pa.status IN " PLAN_OPEN_STATUSES
		" AND EXISTS (SELECT 1 FROM plan_actions q JOIN cases c2 ON c2.id = q.case_id"
		"  WHERE c2.family_id = c.family_id AND c2.status = 'open' AND q.need = pa.need"
		"  AND q.owner_kind = 'agency' AND q.status IN " PLAN_OPEN_STATUSES
		"  AND q.owner_professional_id <> pa.owner_professional_id)"
		" ORDER BY c.family_id, pa.need, p.name, p.id, pa.due_on, pa.id");
	struct buf b, who;
	buf_init(&b, 4096);
	buf_init(&who, 4096);
	int64_t family = 0, prof = 0;
	char need[64] = "", title[200] = "";
	int nprof = 0;
	bool more = true;
	while ((more = db_next(st)) || c->open) {
		if (!more || db_int(st, 0) != family || strcmp(col(st, 3), need) != 0) {
			if (c->open) {
				buf_printf(&b, "%d professionals hold open actions on %s: %s.", nprof,
					   title, buf_str(&who));
				finding_end(c, &b);
			}
			if (!more)
				break;
			family = db_int(st, 0);
			snprintf(need, sizeof need, "%s", col(st, 3));
			snprintf(title, sizeof title, "%s", need_title(need, col(st, 4)));
			buf_reset(&who);
			nprof = 0;
			prof = 0;
			if (!finding_begin(c, family, col(st, 1), col(st, 2)))
				continue;
		}
		if (!c->open)
			continue;
		if (db_int(st, 5) != prof) {
			prof = db_int(st, 5);
			nprof++;
			buf_printf(&who, "%s%s (%s)", who.len ? ", " : "", col(st, 6), col(st, 7));
		}
		char label[200];
		snprintf(label, sizeof label, "led by %s", col(st, 10));
		finding_link(c, col(st, 9), true, label);
	}
	buf_free(&b);
	buf_free(&who);
	return db_finalize(st);
}

/* ---- the whole -------------------------------------------------------------- */

/* The day months months before today (the day clamped to the month's end). */
static hday months_before(hday today, int months)
{
	int y, m, d;
	date_to_ymd(today, &y, &m, &d);
	m -= months;
	while (m < 1)
		m += 12, y--;
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (d > mdays[m - 1])
		d = mdays[m - 1];
	if (!date_valid(y, m, d))
		d = 28;
	return date_from_ymd(y, m, d);
}

static int audit_run(struct db *db, struct arena *a, const struct scope *s, bool export,
		     const struct jointaudit *ja)
{
	struct export_rec x = {"joint_audit", "csv", ja->since, (int64_t)ja->n, NULL, 0};
	int rc = export ? export_register_add(db, s->who, &x, NULL) : HE_OK;
	if (rc)
		return rc;
	return audit_alone(db, s->who, export ? "export" : "view", "joint_audit", NULL,
		arena_printf(a, "joint audit%s: %zu findings (open cases %d, lead professionals %d,"
			     " two schools %d, same need %d; referrals since %s)",
			     export ? " export" : "", ja->n, ja->count[JA_OPEN_CASES],
			     ja->count[JA_LEAD], ja->count[JA_TWO_SCHOOLS], ja->count[JA_SAME_NEED],
			     ja->since));
}

int jointaudit_run(struct db *db, struct arena *a, const struct scope *s, hday today, int months,
		   bool export, struct jointaudit *out, struct errinfo *e)
{
	memset(out, 0, sizeof *out);
	if (!caps_has(s->caps, CAP_CASES_ALL))
		return errinfo_set(e, HE_FORBIDDEN, "", "The joint audit is for the coordinator");
	if (months == 0)
		months = JOINTAUDIT_MONTHS;
	if (months < 1 || months > 36)
		return errinfo_set(e, HE_INVALID, "months", "Enter a period of 1 to 36 months");
	out->months = months;
	date_format(months_before(today, months), out->since);
	struct collect c = {.a = a, .out = out};
	int rc = HE_OK;
	for (int k = 0; !rc && k < JA_NCHECKS; k++) {
		c.check = (enum jointaudit_check)k;
		switch (c.check) {
		case JA_OPEN_CASES:
			rc = check_cases(db, &c, false);
			break;
		case JA_LEAD:
			rc = check_cases(db, &c, true);
			if (!rc)
				rc = check_agency_lead(db, &c);
			break;
		case JA_TWO_SCHOOLS:
			rc = check_two_schools(db, &c);
			break;
		default:
			rc = check_same_need(db, &c);
			break;
		}
	}
	if (!rc) {
		out->findings = arena_alloc(a, (c.n ? c.n : 1) * sizeof *out->findings);
		if (c.n)
			memcpy(out->findings, c.v, c.n * sizeof *c.v);
		out->n = c.n;
	}
	free(c.v);
	if (rc)
		return errinfo_set(e, rc, "", "The joint audit could not read the cases");
	return audit_run(db, a, s, export, out);
}
