/* budget.c — budgets, their holders and funding sources, and the budget
 * position (see budget.h).
 *
 * The position is one aggregate query over the budget's commissions, used
 * by every page, export and API figure, so they agree to the penny.  Row
 * scope is budget_visible (a school user: its own school's budgets only);
 * a budget outside it is HE_NOT_FOUND and audited "denied".  Changes run
 * in their own transaction with one audit row; an edit carries the
 * version it was rendered with. */
#include "core/budget.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/date.h"
#include "base/money.h"
#include "base/valid.h"
#include "core/audit.h"
#include "core/scope.h"
#include "store/db.h"

#define NAME_MAX_LEN 200
#define SOURCES_MAX 20

const char *const budget_owner_kinds[] = {"school", "district", "partnership", NULL};
const char *const budget_periods[] = {"financial", "academic", NULL};

static bool in_list(const char *const *list, const char *s)
{
	for (int i = 0; s && list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

static bool blank(const char *s)
{
	return !s || s[strspn(s, " \t\r\n")] == '\0';
}

static int audit_budget(struct db *db, const struct scope *s, const char *action, int64_t id,
			const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int audit_budget(struct db *db, const struct scope *s, const char *action, int64_t id,
			const char *fmt, ...)
{
	char idt[24], summary[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(summary, sizeof summary, fmt, ap);
	va_end(ap);
	snprintf(idt, sizeof idt, "%" PRId64, id);
	return audit(db, s->who, action, "budgets", idt, summary);
}

/* ---- the position ------------------------------------------------------------ */

int budget_position(struct db *db, int64_t budget_id, struct budget_pos *out)
{
	memset(out, 0, sizeof *out);
	struct db_stmt *st = db_prepare(db,
		"SELECT b.amount_pence,"
		" CAST(coalesce(sum(CASE WHEN c.status IN ('approved','delivered')"
		"  THEN coalesce(c.actual_pence, c.estimate_pence) ELSE 0 END), 0) AS BIGINT),"
		" CAST(coalesce(sum(CASE WHEN c.status = 'paid'"
		"  THEN coalesce(c.actual_pence, c.estimate_pence) - c.refunded_pence ELSE 0 END), 0)"
		"  AS BIGINT),"
		" CAST(coalesce(sum(CASE WHEN c.status = 'requested' THEN c.estimate_pence ELSE 0 END), 0)"
		"  AS BIGINT)"
		" FROM budgets b LEFT JOIN commissions c ON c.budget_id = b.id"
		" WHERE b.id = :id GROUP BY b.id, b.amount_pence");
	db_bind_int(st, ":id", budget_id);
	bool found = db_next(st);
	if (found) {
		out->amount = db_int(st, 0);
		out->committed = db_int(st, 1);
		out->spent = db_int(st, 2);
		out->pending = db_int(st, 3);
		out->available = out->amount - out->committed - out->spent;
	}
	int rc = db_finalize(st);
	return rc ? rc : found ? HE_OK : HE_NOT_FOUND;
}

/* ---- scope ------------------------------------------------------------------------ */

/* The owner of budget id: *found false if none. */
static int owner_of(struct db *db, int64_t id, char kind[16], int64_t *school_id, bool *found)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT owner_kind, coalesce(school_id, 0) FROM budgets WHERE id = :id");
	db_bind_int(st, ":id", id);
	*found = db_next(st);
	if (*found) {
		snprintf(kind, 16, "%s", db_text(st, 0));
		*school_id = db_int(st, 1);
	}
	return db_finalize(st);
}

int budget_holds(struct db *db, const struct scope *s, int64_t budget_id, bool *yes)
{
	char kind[16];
	int64_t school_id = 0;
	bool found;
	*yes = false;
	if (!caps_has(s->caps, CAP_COMMISSION_APPROVE))
		return HE_OK;
	int rc = owner_of(db, budget_id, kind, &school_id, &found);
	if (rc || !found)
		return rc;
	if (s->user_id == 0)
		*yes = true;                              /* the system */
	else if (strcmp(kind, "school") == 0)
		*yes = s->school_id > 0 && s->school_id == school_id;
	else
		*yes = s->school_id == 0;                 /* the coordinator */
	return HE_OK;
}

int budget_visible(struct db *db, const struct scope *s, int64_t budget_id, bool *yes)
{
	char kind[16];
	int64_t school_id = 0;
	bool found;
	*yes = false;
	if (!caps_has(s->caps, CAP_BUDGETS))
		return HE_OK;
	int rc = owner_of(db, budget_id, kind, &school_id, &found);
	if (rc || !found)
		return rc;
	*yes = s->school_id == 0 || s->school_id == school_id;
	return HE_OK;
}

/* ---- reading ---------------------------------------------------------------------- */

static void period_fill(struct arena *a, struct budget *b)
{
	bool fin = strcmp(b->period, "financial") == 0;
	int y = b->start_year;
	date_format(date_from_ymd(y, fin ? 4 : 9, 1), b->start_on);
	date_format(date_from_ymd(y + 1, fin ? 3 : 8, fin ? 31 : 31), b->end_on);
	b->period_label = arena_printf(a, "%s year %d\xE2\x80\x93%02d", fin ? "Financial" : "Academic",
				       y, (y + 1) % 100);
}

static int sources_load(struct db *db, struct arena *a, struct budget *b)
{
	size_t cap = 4;
	b->sources = arena_alloc(a, cap * sizeof *b->sources);
	b->nsources = 0;
	struct db_stmt *st = db_prepare(db,
		"SELECT id, source, amount_pence FROM budget_sources WHERE budget_id = :id"
		" ORDER BY amount_pence DESC, source");
	db_bind_int(st, ":id", b->id);
	while (db_next(st)) {
		if (b->nsources == cap) {
			struct budget_source *n = arena_alloc(a, 2 * cap * sizeof *n);
			memcpy(n, b->sources, cap * sizeof *n);
			b->sources = n;
			cap *= 2;
		}
		struct budget_source *src = &b->sources[b->nsources++];
		src->id = db_int(st, 0);
		src->source = arena_strdup(a, db_text(st, 1));
		src->amount_pence = db_int(st, 2);
		money_share(src->amount_pence, b->pos.amount, src->share);
	}
	return db_finalize(st);
}

int budget_get(struct db *db, struct arena *a, int64_t id, struct budget *out)
{
	memset(out, 0, sizeof *out);
	struct db_stmt *st = db_prepare(db,
		"SELECT b.name, b.owner_kind, coalesce(b.school_id, 0), coalesce(b.district_id, 0),"
		" b.period, b.start_year, b.version,"
		" CASE b.owner_kind WHEN 'school' THEN s.name WHEN 'district' THEN d.name"
		"  ELSE 'The partnership' END"
		" FROM budgets b LEFT JOIN schools s ON s.id = b.school_id"
		" LEFT JOIN districts d ON d.id = b.district_id WHERE b.id = :id");
	db_bind_int(st, ":id", id);
	bool found = db_next(st);
	if (found) {
		out->id = id;
		out->name = arena_strdup(a, db_text(st, 0));
		out->owner_kind = arena_strdup(a, db_text(st, 1));
		out->school_id = db_int(st, 2);
		out->district_id = db_int(st, 3);
		out->period = arena_strdup(a, db_text(st, 4));
		out->start_year = (int)db_int(st, 5);
		out->version = db_int(st, 6);
		out->owner_name = arena_strdup(a, db_text(st, 7) ? db_text(st, 7) : "");
	}
	int rc = db_finalize(st);
	if (rc || !found)
		return rc ? rc : HE_NOT_FOUND;
	period_fill(a, out);
	if ((rc = budget_position(db, id, &out->pos)))
		return rc;
	return sources_load(db, a, out);
}

int budget_load(struct db *db, struct arena *a, const struct scope *s, int64_t id,
		struct budget *out, struct errinfo *e)
{
	bool own = !db_in_transaction(db), yes = false;
	int rc;
	if (own && (rc = db_begin(db)))
		return rc;
	if ((rc = budget_visible(db, s, id, &yes)))
		goto fail;
	if (!yes) {
		rc = audit_budget(db, s, "denied", id, "view budget: budget %" PRId64
				  " outside the caller's scope", id);
		if (rc == HE_OK && own)
			rc = db_commit(db);
		if (rc == HE_OK)
			return errinfo_set(e, HE_NOT_FOUND, "", "No such budget");
		goto fail;
	}
	if ((rc = budget_get(db, a, id, out)))
		goto fail;
	if ((rc = audit_budget(db, s, "view", id, "Viewed budget %s", out->name)))
		goto fail;
	if (own && (rc = db_commit(db)))
		goto fail;
	return HE_OK;
fail:
	if (own)
		db_rollback(db);
	return rc;
}

/* Load every budget whose id the statement yields (column 0). */
static int load_ids(struct db *db, struct arena *a, struct db_stmt *st, struct budget **out,
		    size_t *n)
{
	size_t cap = 8, cnt = 0;
	int64_t *ids = arena_alloc(a, cap * sizeof *ids);
	while (db_next(st)) {
		if (cnt == cap) {
			int64_t *m = arena_alloc(a, 2 * cap * sizeof *m);
			memcpy(m, ids, cap * sizeof *m);
			ids = m;
			cap *= 2;
		}
		ids[cnt++] = db_int(st, 0);
	}
	int rc = db_finalize(st);
	if (rc)
		return rc;
	*out = arena_alloc(a, (cnt ? cnt : 1) * sizeof **out);
	*n = cnt;
	for (size_t i = 0; i < cnt; i++)
		if ((rc = budget_get(db, a, ids[i], &(*out)[i])))
			return rc;
	return HE_OK;
}

int budget_list(struct db *db, struct arena *a, const struct scope *s,
		struct budget **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!caps_has(s->caps, CAP_BUDGETS))
		return HE_OK;
	struct db_stmt *st = db_prepare(db,
		"SELECT id FROM budgets WHERE (:school = 0 OR school_id = :school)"
		" ORDER BY start_year DESC,"
		" CASE owner_kind WHEN 'partnership' THEN 0 WHEN 'district' THEN 1 ELSE 2 END, name, id");
	db_bind_int(st, ":school", s->school_id);
	return load_ids(db, a, st, out, n);
}

int budget_for_case(struct db *db, struct arena *a, int64_t case_id, const char *on,
		    struct budget **out, size_t *n)
{
	hday d = date_today();
	*out = NULL;
	*n = 0;
	if (on && *on && !date_parse(on, &d))
		return HE_INVALID;
	struct db_stmt *st = db_prepare(db,
		"WITH sch AS (SELECT r.school_id AS id FROM cases c JOIN referrals r ON r.id = c.referral_id"
		"  WHERE c.id = :case AND r.school_id IS NOT NULL"
		" UNION SELECT p.school_id FROM cases c JOIN family_members m ON m.family_id = c.family_id"
		"  JOIN pupils p ON p.id = m.pupil_id WHERE c.id = :case)"
		" SELECT b.id FROM budgets b WHERE"
		" ((b.period = 'financial' AND b.start_year = :fy) OR"
		"  (b.period = 'academic' AND b.start_year = :ay)) AND"
		" (b.owner_kind = 'partnership'"
		"  OR (b.owner_kind = 'school' AND b.school_id IN (SELECT id FROM sch))"
		"  OR (b.owner_kind = 'district' AND b.district_id IN"
		"   (SELECT s.district_id FROM schools s WHERE s.id IN (SELECT id FROM sch))))"
		" ORDER BY CASE b.owner_kind WHEN 'school' THEN 0 WHEN 'district' THEN 1 ELSE 2 END,"
		" b.name, b.id");
	db_bind_int(st, ":case", case_id);
	db_bind_int(st, ":fy", financial_year(d));
	db_bind_int(st, ":ay", academic_year(d));
	return load_ids(db, a, st, out, n);
}

/* ---- approvals ------------------------------------------------------------------- */

int budget_lock_tx(struct db *db, int64_t budget_id)
{
	if (!db_in_transaction(db))
		return HE_INTERNAL;
	struct db_stmt *st = db_prepare(db, "UPDATE budgets SET version = version + 1 WHERE id = :id");
	db_bind_int(st, ":id", budget_id);
	int rc = db_done(st);
	if (rc)
		return rc;
	return db_changes(db) == 1 ? HE_OK : HE_NOT_FOUND;
}

int budget_check_afford(struct db *db, int64_t budget_id, int64_t add_pence, struct errinfo *e)
{
	struct budget_pos p;
	int rc = budget_position(db, budget_id, &p);
	if (rc)
		return rc == HE_NOT_FOUND ? errinfo_set(e, HE_NOT_FOUND, "budget", "No such budget") : rc;
	int64_t after = p.committed + p.spent + add_pence;
	if (after <= p.amount)
		return HE_OK;
	char name[NAME_MAX_LEN * 4 + 1] = "";
	struct db_stmt *st = db_prepare(db, "SELECT name FROM budgets WHERE id = :id");
	db_bind_int(st, ":id", budget_id);
	if (db_next(st))
		snprintf(name, sizeof name, "%s", db_text(st, 0));
	if ((rc = db_finalize(st)))
		return rc;
	char by[32], avail[32];
	money_format(after - p.amount, by);
	money_format(p.available, avail);
	return errinfo_set(e, HE_CONFLICT, "budget", "This would overspend %.150s by %s (available %s)",
			   name, by, avail);
}

/* ---- changing --------------------------------------------------------------------- */

static int exists(struct db *db, const char *sql, int64_t id, bool *yes)
{
	struct db_stmt *st = db_prepare(db, sql);
	db_bind_int(st, ":id", id);
	*yes = db_next(st);
	return db_finalize(st);
}

static int text_field(const char *s, size_t max, const char *field, const char *what,
		      struct errinfo *e)
{
	if (blank(s))
		return errinfo_set(e, HE_MISSING, field, "Enter %s", what);
	if (strlen(s) > max)
		return errinfo_set(e, HE_INVALID, field, "Keep %s to %zu characters or fewer", what, max);
	if (!text_valid(s, strlen(s)))
		return errinfo_set(e, HE_INVALID, field, "Remove the control characters from %s", what);
	return HE_OK;
}

/* Every check of budget_save that needs no transaction state. */
static int budget_check(struct db *db, const struct budget_in *in, struct errinfo *e)
{
	int rc;
	bool yes;
	if ((rc = text_field(in->name, NAME_MAX_LEN, "name", "the budget's name", e)))
		return rc;
	if (!in_list(budget_owner_kinds, in->owner_kind))
		return errinfo_set(e, HE_INVALID, "owner_kind", "Choose who holds the budget");
	if (strcmp(in->owner_kind, "school") == 0) {
		if ((rc = exists(db, "SELECT 1 FROM schools WHERE id = :id", in->school_id, &yes)))
			return rc;
		if (!yes)
			return errinfo_set(e, HE_INVALID, "school_id", "Choose the school that holds it");
	}
	if (strcmp(in->owner_kind, "district") == 0) {
		if ((rc = exists(db, "SELECT 1 FROM districts WHERE id = :id", in->district_id, &yes)))
			return rc;
		if (!yes)
			return errinfo_set(e, HE_INVALID, "district_id", "Choose the district that holds it");
	}
	if (!in_list(budget_periods, in->period))
		return errinfo_set(e, HE_INVALID, "period", "Choose financial year or academic year");
	if (in->start_year < 2000 || in->start_year > 2100)
		return errinfo_set(e, HE_INVALID, "start_year",
				   "Enter the year the period starts, for example 2026");
	if (in->amount_pence < 0 || in->amount_pence > MONEY_MAX)
		return errinfo_set(e, HE_INVALID, "amount", "Enter an amount, like \xC2\xA3" "25,000.00");
	if (in->nsources == 0)
		return errinfo_set(e, HE_MISSING, "sources", "Enter at least one funding source");
	if (in->nsources > SOURCES_MAX)
		return errinfo_set(e, HE_INVALID, "sources", "Enter at most %d funding sources",
				   SOURCES_MAX);
	int64_t sum = 0;
	for (size_t i = 0; i < in->nsources; i++) {
		char field[64];
		snprintf(field, sizeof field, "sources.%zu.source", i);
		if ((rc = text_field(in->sources[i].source, NAME_MAX_LEN, field, "the source's name", e)))
			return rc;
		for (size_t j = 0; j < i; j++)
			if (strcmp(in->sources[j].source, in->sources[i].source) == 0)
				return errinfo_set(e, HE_INVALID, field, "Each funding source once: %.100s "
						   "is already listed", in->sources[i].source);
		snprintf(field, sizeof field, "sources.%zu.amount", i);
		if (in->sources[i].amount_pence < 0 || in->sources[i].amount_pence > MONEY_MAX)
			return errinfo_set(e, HE_INVALID, field, "Enter the source's contribution");
		sum += in->sources[i].amount_pence;
	}
	if (sum != in->amount_pence) {
		char s1[32], s2[32];
		money_format(sum, s1);
		money_format(in->amount_pence, s2);
		return errinfo_set(e, HE_INVALID, "sources", "The funding sources add up to %s but the "
				   "budget is %s: they must be equal", s1, s2);
	}
	return HE_OK;
}

static int sources_write(struct db *db, int64_t id, const struct budget_in *in)
{
	struct db_stmt *st = db_prepare(db, "DELETE FROM budget_sources WHERE budget_id = :id");
	db_bind_int(st, ":id", id);
	int rc = db_done(st);
	for (size_t i = 0; rc == HE_OK && i < in->nsources; i++) {
		st = db_prepare(db, "INSERT INTO budget_sources (budget_id, source, amount_pence)"
				" VALUES (:id, :source, :amount)");
		db_bind_int(st, ":id", id);
		db_bind_text(st, ":source", in->sources[i].source);
		db_bind_int(st, ":amount", in->sources[i].amount_pence);
		rc = db_done(st);
	}
	return rc;
}

static void bind_budget(struct db_stmt *st, const struct budget_in *in, const char *now)
{
	bool school = strcmp(in->owner_kind, "school") == 0;
	bool district = strcmp(in->owner_kind, "district") == 0;
	db_bind_text(st, ":name", in->name);
	db_bind_text(st, ":kind", in->owner_kind);
	if (school)
		db_bind_int(st, ":school", in->school_id);
	else
		db_bind_null(st, ":school");
	if (district)
		db_bind_int(st, ":district", in->district_id);
	else
		db_bind_null(st, ":district");
	db_bind_text(st, ":period", in->period);
	db_bind_int(st, ":year", in->start_year);
	db_bind_int(st, ":amount", in->amount_pence);
	db_bind_text(st, ":now", now);
}

static int budget_insert(struct db *db, const struct scope *s, const struct budget_in *in,
			 const char *now, int64_t *id)
{
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO budgets (name, owner_kind, school_id, district_id, period, start_year,"
		" amount_pence, created_by, created_at, updated_at) VALUES (:name, :kind, :school,"
		" :district, :period, :year, :amount, :by, :now, :now) RETURNING id");
	bind_budget(st, in, now);
	if (s->user_id > 0)
		db_bind_int(st, ":by", s->user_id);
	else
		db_bind_null(st, ":by");
	if (db_next(st))
		*id = db_int(st, 0);
	return db_finalize(st);
}

static int budget_update(struct db *db, int64_t id, int64_t version, const struct budget_in *in,
			 const char *now, struct errinfo *e)
{
	struct budget_pos p;
	int rc = budget_position(db, id, &p);
	if (rc)
		return rc == HE_NOT_FOUND ? errinfo_set(e, HE_NOT_FOUND, "", "No such budget") : rc;
	if (in->amount_pence < p.committed + p.spent) {
		char c[32];
		money_format(p.committed + p.spent, c);
		return errinfo_set(e, HE_INVALID, "amount", "The amount cannot be less than what is "
				   "already committed and spent (%s)", c);
	}
	struct db_stmt *st = db_prepare(db,
		"UPDATE budgets SET name = :name, owner_kind = :kind, school_id = :school,"
		" district_id = :district, period = :period, start_year = :year, amount_pence = :amount,"
		" updated_at = :now, version = version + 1 WHERE id = :id AND version = :version");
	bind_budget(st, in, now);
	db_bind_int(st, ":id", id);
	db_bind_int(st, ":version", version);
	if ((rc = db_done(st)))
		return rc;
	if (db_changes(db) != 1)
		return errinfo_set(e, HE_CONFLICT, "version", "This budget was changed by someone else "
				   "since you opened it (an approval against it counts). Nothing has been "
				   "saved: reload the page and try again.");
	return HE_OK;
}

int budget_save(struct db *db, const struct scope *s, int64_t id, int64_t version,
		const struct budget_in *in, int64_t *out_id, struct errinfo *e)
{
	char now[21], amount[32];
	int rc;
	if (!caps_has(s->caps, CAP_BUDGETS_MANAGE))
		return errinfo_set(e, HE_FORBIDDEN, "", "You cannot create or change budgets");
	if (id != 0 && version <= 0)
		return errinfo_set(e, HE_MISSING, "version", "The form did not say which version of the "
				   "budget it changes: reload the page");
	if ((rc = db_begin(db)))
		return rc;
	if ((rc = budget_check(db, in, e)))
		goto fail;
	timestamp_format(time(NULL), now);
	if (id == 0)
		rc = budget_insert(db, s, in, now, &id);
	else
		rc = budget_update(db, id, version, in, now, e);
	if (rc)
		goto fail;
	if ((rc = sources_write(db, id, in)))
		goto fail;
	money_format(in->amount_pence, amount);
	if ((rc = audit_budget(db, s, version ? "update" : "create", id, "%s budget %.150s: %s from "
			       "%zu source(s)", version ? "Changed" : "Created", in->name, amount,
			       in->nsources)))
		goto fail;
	if ((rc = db_commit(db)))
		goto fail;
	if (out_id)
		*out_id = id;
	return HE_OK;
fail:
	db_rollback(db);
	if (rc == HE_DB_CONSTRAINT)
		return errinfo_set(e, HE_CONFLICT, "name", "That could not be saved: check the sources "
				   "are each named once");
	return rc;
}

int budget_commissions(struct db *db, struct arena *a, int64_t budget_id,
		       struct budget_line **out, size_t *n)
{
	size_t cap = 16, cnt = 0;
	struct budget_line *v = arena_alloc(a, cap * sizeof *v);
	struct db_stmt *st = db_prepare(db,
		"SELECT c.id, c.ref, c.case_id, cs.ref, c.kind,"
		" coalesce(s.name, 'Household item grant'), c.status, c.requested_at,"
		" c.estimate_pence, coalesce(c.actual_pence, -1), c.refunded_pence"
		" FROM commissions c JOIN cases cs ON cs.id = c.case_id"
		" LEFT JOIN services s ON s.id = c.service_id"
		" WHERE c.budget_id = :id ORDER BY c.id DESC");
	db_bind_int(st, ":id", budget_id);
	while (db_next(st)) {
		if (cnt == cap) {
			struct budget_line *m = arena_alloc(a, 2 * cap * sizeof *m);
			memcpy(m, v, cap * sizeof *m);
			v = m;
			cap *= 2;
		}
		struct budget_line *l = &v[cnt++];
		l->id = db_int(st, 0);
		l->ref = arena_strdup(a, db_text(st, 1));
		l->case_id = db_int(st, 2);
		l->case_ref = arena_strdup(a, db_text(st, 3));
		l->kind = arena_strdup(a, db_text(st, 4));
		l->what = arena_strdup(a, db_text(st, 5));
		l->status = arena_strdup(a, db_text(st, 6));
		l->requested_at = arena_strdup(a, db_text(st, 7));
		l->estimate_pence = db_int(st, 8);
		l->actual_pence = db_int(st, 9);
		l->refunded_pence = db_int(st, 10);
	}
	*out = v;
	*n = cnt;
	return db_finalize(st);
}
