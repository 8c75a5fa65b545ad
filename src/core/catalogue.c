/* catalogue.c — the service catalogue (see catalogue.h): providers, their
 * services and the districts each serves.  Reads need no row scope; each
 * change checks CAP_CATALOGUE_MANAGE, runs in its own transaction and
 * writes one audit row. */
#include "core/catalogue.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/date.h"
#include "base/money.h"
#include "base/valid.h"
#include "core/audit.h"
#include "core/scope.h"
#include "store/db.h"

#define NAME_MAX_LEN 200
#define CONTACT_MAX 500
#define DESCRIPTION_MAX 2000
#define DISTRICTS_MAX 64

const char *const catalogue_categories[] = {
	"family_group_conferencing", "victim_support", "employment_advice", "therapy", "childcare",
	"mediation", "parenting", "household", "debt_advice", "youth", "health", "other", NULL};
static const char *const category_titles[] = {
	"Family group conferencing", "Victim support", "Employment advice",
	"Therapy and counselling", "Childcare", "Mediation", "Parenting programmes",
	"Household items", "Debt and benefits advice", "Youth work", "Health", "Other", NULL};
const char *const catalogue_units[] = {"session", "place_week", "grant", "one_off", NULL};
static const char *const unit_titles[] = {"session", "place-week", "grant", "one-off", NULL};
static const char *const unit_plurals[] = {"sessions", "place-weeks", "grants", "one-offs", NULL};

static int list_index(const char *const *list, const char *s)
{
	for (int i = 0; s && list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return i;
	return -1;
}

const char *catalogue_category_title(const char *code)
{
	int i = list_index(catalogue_categories, code);
	return i >= 0 ? category_titles[i] : code ? code : "";
}

const char *catalogue_unit_title(const char *unit)
{
	int i = list_index(catalogue_units, unit);
	return i >= 0 ? unit_titles[i] : unit ? unit : "";
}

const char *catalogue_unit_plural(const char *unit, int64_t quantity)
{
	int i = list_index(catalogue_units, unit);
	if (i < 0)
		return unit ? unit : "";
	return quantity == 1 ? unit_titles[i] : unit_plurals[i];
}

static bool blank(const char *s)
{
	return !s || s[strspn(s, " \t\r\n")] == '\0';
}

static int text_field(const char *s, bool required, size_t max, const char *field,
		      const char *what, struct errinfo *e)
{
	size_t n = s ? strlen(s) : 0;
	if (required && blank(s))
		return errinfo_set(e, HE_MISSING, field, "Enter %s", what);
	if (n > max)
		return errinfo_set(e, HE_INVALID, field, "Keep %s to %zu characters or fewer", what, max);
	if (n && !text_valid(s, n))
		return errinfo_set(e, HE_INVALID, field, "Remove the control characters from %s", what);
	return HE_OK;
}

static int audit_row(struct db *db, const struct scope *s, const char *action, const char *entity,
		     int64_t id, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static int audit_row(struct db *db, const struct scope *s, const char *action, const char *entity,
		     int64_t id, const char *fmt, ...)
{
	char idt[24], summary[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(summary, sizeof summary, fmt, ap);
	va_end(ap);
	snprintf(idt, sizeof idt, "%" PRId64, id);
	return audit(db, s->who, action, entity, idt, summary);
}

/* ---- reading ------------------------------------------------------------------ */

static void service_row(struct db_stmt *st, struct arena *a, struct service *v)
{
	memset(v, 0, sizeof *v);
	v->id = db_int(st, 0);
	v->provider_id = db_int(st, 1);
	v->provider_name = arena_strdup(a, db_text(st, 2));
	v->name = arena_strdup(a, db_text(st, 3));
	v->category = arena_strdup(a, db_text(st, 4));
	v->unit = arena_strdup(a, db_text(st, 5));
	v->unit_cost_pence = db_int(st, 6);
	v->capacity = (int)db_int(st, 7);
	v->exit_route = db_int(st, 8) != 0;
	v->description = arena_strdup(a, db_text(st, 9));
	v->active = db_int(st, 10) != 0;
	v->serves_district = db_int(st, 11) != 0;
}

#define SERVICE_COLUMNS \
	"SELECT s.id, s.provider_id, p.name, s.name, s.category, s.unit, s.unit_cost_pence," \
	" coalesce(s.capacity, 0), s.exit_route, s.description, s.active,"

/* Fill the districts of services v[0..n). */
static int districts_fill(struct db *db, struct arena *a, struct service *v, size_t n)
{
	int rc = HE_OK;
	for (size_t i = 0; i < n && rc == HE_OK; i++) {
		struct buf b;
		buf_init(&b, 0);
		v[i].district_ids = arena_alloc(a, DISTRICTS_MAX * sizeof *v[i].district_ids);
		v[i].district_names = arena_alloc(a, DISTRICTS_MAX * sizeof *v[i].district_names);
		struct db_stmt *st = db_prepare(db,
			"SELECT d.id, d.name FROM service_districts sd JOIN districts d ON d.id = sd.district_id"
			" WHERE sd.service_id = :id ORDER BY d.name");
		db_bind_int(st, ":id", v[i].id);
		while (db_next(st) && v[i].ndistricts < DISTRICTS_MAX) {
			size_t k = v[i].ndistricts++;
			v[i].district_ids[k] = db_int(st, 0);
			v[i].district_names[k] = arena_strdup(a, db_text(st, 1));
			buf_printf(&b, "%s%s", k ? ", " : "", db_text(st, 1));
		}
		rc = db_finalize(st);
		v[i].districts = arena_strdup(a, v[i].ndistricts ? buf_str(&b) : "All districts");
		buf_free(&b);
	}
	return rc;
}

int service_get(struct db *db, struct arena *a, int64_t id, struct service *out)
{
	struct db_stmt *st = db_prepare(db, SERVICE_COLUMNS " 0"
		" FROM services s JOIN providers p ON p.id = s.provider_id WHERE s.id = :id");
	db_bind_int(st, ":id", id);
	bool found = db_next(st);
	if (found)
		service_row(st, a, out);
	int rc = db_finalize(st);
	if (rc || !found)
		return rc ? rc : HE_NOT_FOUND;
	return districts_fill(db, a, out, 1);
}

int catalogue_services(struct db *db, struct arena *a, bool active_only, int64_t district_id,
		       struct service **out, size_t *n)
{
	size_t cap = 16, cnt = 0;
	struct service *v = arena_alloc(a, cap * sizeof *v);
	struct db_stmt *st = db_prepare(db, SERVICE_COLUMNS
		" CASE WHEN :d > 0 AND (NOT EXISTS (SELECT 1 FROM service_districts x"
		"  WHERE x.service_id = s.id) OR EXISTS (SELECT 1 FROM service_districts x"
		"  WHERE x.service_id = s.id AND x.district_id = :d)) THEN 1 ELSE 0 END AS serves"
		" FROM services s JOIN providers p ON p.id = s.provider_id"
		" WHERE (:active = 0 OR s.active = 1)"
		" ORDER BY serves DESC, s.category, s.name, p.name");
	db_bind_int(st, ":d", district_id);
	db_bind_int(st, ":active", active_only ? 1 : 0);
	while (db_next(st)) {
		if (cnt == cap) {
			struct service *m = arena_alloc(a, 2 * cap * sizeof *m);
			memcpy(m, v, cap * sizeof *m);
			v = m;
			cap *= 2;
		}
		service_row(st, a, &v[cnt++]);
	}
	int rc = db_finalize(st);
	if (rc)
		return rc;
	*out = v;
	*n = cnt;
	return districts_fill(db, a, v, cnt);
}

int catalogue_providers(struct db *db, struct arena *a, struct provider **out, size_t *n)
{
	size_t cap = 16, cnt = 0;
	struct provider *v = arena_alloc(a, cap * sizeof *v);
	struct db_stmt *st = db_prepare(db,
		"SELECT p.id, p.name, p.contact, (SELECT count(*) FROM services s WHERE s.provider_id = p.id)"
		" FROM providers p ORDER BY p.name");
	while (db_next(st)) {
		if (cnt == cap) {
			struct provider *m = arena_alloc(a, 2 * cap * sizeof *m);
			memcpy(m, v, cap * sizeof *m);
			v = m;
			cap *= 2;
		}
		struct provider *p = &v[cnt++];
		p->id = db_int(st, 0);
		p->name = arena_strdup(a, db_text(st, 1));
		p->contact = arena_strdup(a, db_text(st, 2));
		p->nservices = (int)db_int(st, 3);
	}
	*out = v;
	*n = cnt;
	return db_finalize(st);
}

int catalogue_districts(struct db *db, struct arena *a, struct catalogue_district **out, size_t *n)
{
	size_t cap = 16, cnt = 0;
	struct catalogue_district *v = arena_alloc(a, cap * sizeof *v);
	struct db_stmt *st = db_prepare(db, "SELECT id, name FROM districts ORDER BY name");
	while (db_next(st)) {
		if (cnt == cap) {
			struct catalogue_district *m = arena_alloc(a, 2 * cap * sizeof *m);
			memcpy(m, v, cap * sizeof *m);
			v = m;
			cap *= 2;
		}
		v[cnt].id = db_int(st, 0);
		v[cnt++].name = arena_strdup(a, db_text(st, 1));
	}
	*out = v;
	*n = cnt;
	return db_finalize(st);
}

/* ---- changing ------------------------------------------------------------------- */

static int exists(struct db *db, const char *sql, int64_t id, bool *yes)
{
	struct db_stmt *st = db_prepare(db, sql);
	db_bind_int(st, ":id", id);
	*yes = db_next(st);
	return db_finalize(st);
}

/* Another row of the same name?  sql binds :name, :id (and :provider). */
static int name_taken(struct db *db, const char *sql, const char *name, int64_t id,
		      int64_t provider_id, bool *yes)
{
	struct db_stmt *st = db_prepare(db, sql);
	db_bind_text(st, ":name", name);
	db_bind_int(st, ":id", id);
	if (provider_id)
		db_bind_int(st, ":provider", provider_id);
	*yes = db_next(st);
	return db_finalize(st);
}

int provider_save(struct db *db, const struct scope *s, int64_t id, const struct provider_in *in,
		  int64_t *out_id, struct errinfo *e)
{
	char now[21];
	bool yes, creating = id == 0;
	int rc;
	if (!caps_has(s->caps, CAP_CATALOGUE_MANAGE))
		return errinfo_set(e, HE_FORBIDDEN, "", "You cannot change the catalogue");
	if ((rc = text_field(in->name, true, NAME_MAX_LEN, "name", "the provider's name", e)) ||
	    (rc = text_field(in->contact, false, CONTACT_MAX, "contact", "the contact details", e)))
		return rc;
	if ((rc = db_begin(db)))
		return rc;
	if ((rc = name_taken(db, "SELECT 1 FROM providers WHERE name = :name AND id <> :id",
			     in->name, id, 0, &yes)))
		goto fail;
	if (yes) {
		rc = errinfo_set(e, HE_CONFLICT, "name", "There is already a provider called %.100s",
				 in->name);
		goto fail;
	}
	timestamp_format(time(NULL), now);
	struct db_stmt *st;
	if (id == 0) {
		st = db_prepare(db, "INSERT INTO providers (name, contact, created_at)"
				" VALUES (:name, :contact, :now) RETURNING id");
		db_bind_text(st, ":name", in->name);
		db_bind_text(st, ":contact", in->contact ? in->contact : "");
		db_bind_text(st, ":now", now);
		if (db_next(st))
			id = db_int(st, 0);
		rc = db_finalize(st);
	} else {
		st = db_prepare(db, "UPDATE providers SET name = :name, contact = :contact WHERE id = :id");
		db_bind_text(st, ":name", in->name);
		db_bind_text(st, ":contact", in->contact ? in->contact : "");
		db_bind_int(st, ":id", id);
		rc = db_done(st);
		if (rc == HE_OK && db_changes(db) != 1)
			rc = errinfo_set(e, HE_NOT_FOUND, "", "No such provider");
	}
	if (rc)
		goto fail;
	if ((rc = audit_row(db, s, creating ? "create" : "update", "providers", id,
			    "Saved provider %.150s", in->name)))
		goto fail;
	if ((rc = db_commit(db)))
		goto fail;
	if (out_id)
		*out_id = id;
	return HE_OK;
fail:
	db_rollback(db);
	return rc;
}

static int service_check(struct db *db, int64_t id, const struct service_in *in, struct errinfo *e)
{
	bool yes;
	int rc;
	if ((rc = exists(db, "SELECT 1 FROM providers WHERE id = :id", in->provider_id, &yes)))
		return rc;
	if (!yes)
		return errinfo_set(e, HE_INVALID, "provider_id", "Choose the provider");
	if ((rc = text_field(in->name, true, NAME_MAX_LEN, "name", "the service's name", e)))
		return rc;
	if ((rc = name_taken(db, "SELECT 1 FROM services WHERE name = :name AND id <> :id"
			     " AND provider_id = :provider", in->name, id, in->provider_id, &yes)))
		return rc;
	if (yes)
		return errinfo_set(e, HE_CONFLICT, "name", "This provider already has a service called "
				   "%.100s", in->name);
	if (list_index(catalogue_categories, in->category) < 0)
		return errinfo_set(e, HE_INVALID, "category", "Choose the kind of service");
	if (list_index(catalogue_units, in->unit) < 0)
		return errinfo_set(e, HE_INVALID, "unit", "Choose the unit it is sold in");
	if (in->unit_cost_pence < 0 || in->unit_cost_pence > MONEY_MAX)
		return errinfo_set(e, HE_INVALID, "unit_cost", "Enter the cost of one unit, like "
				   "\xC2\xA3" "90.00");
	if (in->capacity < 0)
		return errinfo_set(e, HE_INVALID, "capacity", "Enter the capacity as a whole number, or "
				   "leave it empty for no limit");
	if (in->ndistricts > DISTRICTS_MAX)
		return errinfo_set(e, HE_INVALID, "districts", "Choose fewer districts");
	for (size_t i = 0; i < in->ndistricts; i++) {
		if ((rc = exists(db, "SELECT 1 FROM districts WHERE id = :id", in->district_ids[i], &yes)))
			return rc;
		if (!yes)
			return errinfo_set(e, HE_INVALID, "districts", "Choose districts from the list");
	}
	return text_field(in->description, false, DESCRIPTION_MAX, "description", "the description", e);
}

static void bind_service(struct db_stmt *st, const struct service_in *in, const char *now)
{
	db_bind_int(st, ":provider", in->provider_id);
	db_bind_text(st, ":name", in->name);
	db_bind_text(st, ":category", in->category);
	db_bind_text(st, ":unit", in->unit);
	db_bind_int(st, ":cost", in->unit_cost_pence);
	if (in->capacity > 0)
		db_bind_int(st, ":capacity", in->capacity);
	else
		db_bind_null(st, ":capacity");
	db_bind_int(st, ":exit", in->exit_route ? 1 : 0);
	db_bind_text(st, ":description", in->description ? in->description : "");
	db_bind_int(st, ":active", in->active ? 1 : 0);
	db_bind_text(st, ":now", now);
}

static int districts_write(struct db *db, int64_t id, const struct service_in *in)
{
	struct db_stmt *st = db_prepare(db, "DELETE FROM service_districts WHERE service_id = :id");
	db_bind_int(st, ":id", id);
	int rc = db_done(st);
	for (size_t i = 0; rc == HE_OK && i < in->ndistricts; i++) {
		bool dup = false;
		for (size_t j = 0; j < i; j++)
			dup = dup || in->district_ids[j] == in->district_ids[i];
		if (dup)
			continue;
		st = db_prepare(db, "INSERT INTO service_districts (service_id, district_id)"
				" VALUES (:id, :district)");
		db_bind_int(st, ":id", id);
		db_bind_int(st, ":district", in->district_ids[i]);
		rc = db_done(st);
	}
	return rc;
}

int service_save(struct db *db, const struct scope *s, int64_t id, const struct service_in *in,
		 int64_t *out_id, struct errinfo *e)
{
	char now[21], cost[32];
	bool creating = id == 0;
	int rc;
	if (!caps_has(s->caps, CAP_CATALOGUE_MANAGE))
		return errinfo_set(e, HE_FORBIDDEN, "", "You cannot change the catalogue");
	if ((rc = db_begin(db)))
		return rc;
	if ((rc = service_check(db, id, in, e)))
		goto fail;
	timestamp_format(time(NULL), now);
	struct db_stmt *st;
	if (creating) {
		st = db_prepare(db, "INSERT INTO services (provider_id, name, category, unit,"
				" unit_cost_pence, capacity, exit_route, description, active, created_at,"
				" updated_at) VALUES (:provider, :name, :category, :unit, :cost, :capacity,"
				" :exit, :description, :active, :now, :now) RETURNING id");
		bind_service(st, in, now);
		if (db_next(st))
			id = db_int(st, 0);
		rc = db_finalize(st);
	} else {
		st = db_prepare(db, "UPDATE services SET provider_id = :provider, name = :name,"
				" category = :category, unit = :unit, unit_cost_pence = :cost,"
				" capacity = :capacity, exit_route = :exit, description = :description,"
				" active = :active, updated_at = :now WHERE id = :id");
		bind_service(st, in, now);
		db_bind_int(st, ":id", id);
		rc = db_done(st);
		if (rc == HE_OK && db_changes(db) != 1)
			rc = errinfo_set(e, HE_NOT_FOUND, "", "No such service");
	}
	if (rc || (rc = districts_write(db, id, in)))
		goto fail;
	money_format(in->unit_cost_pence, cost);
	if ((rc = audit_row(db, s, creating ? "create" : "update", "services", id,
			    "%s service %.150s at %s per %s", creating ? "Added" : "Changed", in->name,
			    cost, catalogue_unit_title(in->unit))))
		goto fail;
	if ((rc = db_commit(db)))
		goto fail;
	if (out_id)
		*out_id = id;
	return HE_OK;
fail:
	db_rollback(db);
	return rc;
}
