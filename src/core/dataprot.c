/* dataprot.c — subject access, retention with safeguarding holds, and the
 * export register (see dataprot.h).
 *
 * Subject access is a table of sections, each one SQL statement whose
 * column aliases are the record's keys, binding :pupil (the person's pupil
 * record, 0 if none) and :member (the family member, 0 if none).  The
 * person's families are FAMS below: the families with a membership row for
 * the pupil or the member.  Adding a kind of record is adding a row.
 *
 * Anonymisation is a list of UPDATE statements on one family (anon_sql[]),
 * run in order in one transaction with its audit row.  The cases loaded
 * from before Hearth (history.c) have no family row: their family is the
 * old family_ref, due by the same rules (hist_due_sql) and anonymised by
 * hist_anon_sql[], which gives it the reference "anonymised-<first case
 * id>" — one per family, so the reports, which count and group history
 * families by family_ref, count the same — and marks its cases'
 * anonymised_at.  A hold is on a Hearth family (family_id) or on a history
 * family by its old reference (history_family_ref), never both. */
#include "core/dataprot.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/valid.h"
#include "core/audit.h"
#include "store/db.h"

/* ---- the export register ------------------------------------------------------ */

static void bind_text_or_null(struct db_stmt *st, const char *name, const char *v)
{
	if (v)
		db_bind_text(st, name, v);
	else
		db_bind_null(st, name);
}

static int register_insert(struct db *db, const struct audit_who *who, const struct export_rec *x,
			   int64_t *id)
{
	char now[21];
	timestamp_format(time(NULL), now);
	struct db_stmt *st = db_prepare(db, "INSERT INTO export_register (at, user_id, user_email,"
		" role, route, what, format, filters, row_count, subject_kind, subject_id, ip)"
		" VALUES (:at, :user, :email, :role, :route, :what, :format, :filters, :rows, :sk,"
		" :sid, :ip) RETURNING id");
	db_bind_text(st, ":at", now);
	if (who->user_id > 0)
		db_bind_int(st, ":user", who->user_id);
	else
		db_bind_null(st, ":user");
	bind_text_or_null(st, ":email", who->email);
	db_bind_text(st, ":role", who->role ? who->role : "none");
	db_bind_text(st, ":route", who->route ? who->route : "");
	db_bind_text(st, ":what", x->what);
	db_bind_text(st, ":format", x->format);
	db_bind_text(st, ":filters", x->filters ? x->filters : "");
	if (x->rows >= 0)
		db_bind_int(st, ":rows", x->rows);
	else
		db_bind_null(st, ":rows");
	bind_text_or_null(st, ":sk", x->subject_kind);
	if (x->subject_kind)
		db_bind_int(st, ":sid", x->subject_id);
	else
		db_bind_null(st, ":sid");
	bind_text_or_null(st, ":ip", who->ip);
	int64_t got = db_next(st) ? db_int(st, 0) : 0;
	int rc = db_finalize(st);
	if (id)
		*id = got;
	return rc;
}

int export_register_add(struct db *db, const struct audit_who *who, const struct export_rec *x,
			int64_t *id)
{
	if (db_in_transaction(db))
		return register_insert(db, who, x, id);
	int rc = db_begin(db);
	if (rc)
		return rc;
	rc = register_insert(db, who, x, id);
	if (!rc)
		rc = db_commit(db);
	if (rc)
		db_rollback(db);
	return rc;
}

/* ---- subject access: the sections ------------------------------------------------ */

/* The person's families. */
#define FAMS " (SELECT fm.family_id FROM family_members fm WHERE fm.pupil_id = :pupil" \
	" OR fm.id = :member)"
/* The cases of the person's families. */
#define CASES " (SELECT fc.id FROM cases fc WHERE fc.family_id IN" FAMS ")"

struct sar_spec {
	struct sar_kind kind;
	const char *sql;
};

static const struct sar_spec specs[] = {
	{{"pupil", "Pupil record", "The census record the person's school sent (a pupil only)."},
	 "SELECT p.upn, p.forename, p.surname, p.dob AS date_of_birth, p.gender, s.name AS school,"
	 " s.urn AS school_urn, p.postcode, p.created_at AS first_recorded, p.updated_at AS"
	 " last_updated, p.anonymised_at FROM pupils p JOIN schools s ON s.id = p.school_id"
	 " WHERE p.id = :pupil"},
	{{"membership", "Place in the family", "How the person is recorded in each family."},
	 "SELECT f.ref AS family, m.name, m.relationship, CASE WHEN m.is_child = 1 THEN 'yes'"
	 " ELSE 'no' END AS child, m.dob AS date_of_birth, m.phone, m.notes, m.created_at AS"
	 " recorded_at FROM family_members m JOIN families f ON f.id = m.family_id"
	 " WHERE m.pupil_id = :pupil OR m.id = :member ORDER BY m.id"},
	{{"census", "Census snapshots and risk scores", "What each census extract said, and the"
	  " risk score worked out from it."},
	 "SELECT ps.extract_date, s.name AS school, ps.year_group, ps.fsm AS free_school_meals,"
	 " ps.sen, ps.ehcp, ps.eal, ps.eal_new AS new_to_english, ps.looked_after,"
	 " ps.cin AS child_in_need, ps.cp AS child_protection_plan, ps.young_carer,"
	 " ps.youth_justice, ps.young_parent, ps.school_moves, ps.sessions_possible,"
	 " ps.sessions_attended, ps.authorised_absence, ps.unauthorised_absence, ps.suspensions,"
	 " ps.suspension_days_x10, ps.permanent_exclusion, ps.below_expected, ps.risk_score,"
	 " ps.risk_band, ps.risk_fired FROM pupil_snapshots ps JOIN schools s ON s.id = ps.school_id"
	 " WHERE ps.pupil_id = :pupil ORDER BY ps.extract_date"},
	{{"families", "Family", "The household as recorded."},
	 "SELECT f.ref, f.name, f.address, f.postcode, f.home_language, f.created_at AS recorded_at,"
	 " f.anonymised_at FROM families f WHERE f.id IN" FAMS " ORDER BY f.id"},
	{{"referrals", "Referrals", "Requests for family support and the decisions on them."},
	 "SELECT r.ref, f.ref AS family, r.received_at, r.source, s.name AS referring_school,"
	 " r.level_of_need, r.needs, r.reason, r.tried, r.status, r.decided_at, r.decision_note,"
	 " r.signposted_to, u.name AS referred_by FROM referrals r JOIN families f ON f.id ="
	 " r.family_id LEFT JOIN schools s ON s.id = r.school_id LEFT JOIN users u ON u.id = r.user_id"
	 " WHERE r.family_id IN" FAMS " ORDER BY r.received_at, r.id"},
	{{"notices", "Notices to schools", "What other schools were told about a referral."},
	 "SELECT r.ref AS referral, s.name AS school, n.message, n.created_at FROM school_notices n"
	 " JOIN referrals r ON r.id = n.referral_id JOIN schools s ON s.id = n.school_id"
	 " WHERE r.family_id IN" FAMS " ORDER BY n.id"},
	{{"consents", "Consent and lawful basis", "Consent to share information, or the lawful"
	  " basis when consent was not sought, and any withdrawal."},
	 "SELECT c.basis, c.given_by, c.given_by_relationship, c.scope, c.given_on,"
	 " c.lawful_basis_note, c.recorded_at, c.withdrawn_on, c.withdrawn_reason FROM consents c"
	 " WHERE c.family_id IN" FAMS " ORDER BY c.given_on, c.id"},
	{{"cases", "Cases", "Family support cases, their worker and how they ended."},
	 "SELECT c.ref, f.ref AS family, w.name AS worker, c.status, c.opened_on, c.next_review_on,"
	 " c.closed_on, c.closure_reason, c.closure_note, c.family_view FROM cases c JOIN families f"
	 " ON f.id = c.family_id JOIN workers w ON w.id = c.worker_id WHERE c.family_id IN" FAMS
	 " ORDER BY c.opened_on, c.id"},
	{{"chronology", "Chronology", "Every decision and change, dated."},
	 "SELECT e.on_date, e.kind, e.summary, e.detail, c.ref AS case_ref, e.recorded_at"
	 " FROM case_events e LEFT JOIN cases c ON c.id = e.case_id WHERE e.family_id IN" FAMS
	 " ORDER BY e.on_date, e.id"},
	{{"contacts", "Contacts and visits", "Home visits, calls and meetings, with the notes."},
	 "SELECT c.ref AS case_ref, ct.at, ct.kind, ct.duration_min, ct.seen, ct.place, ct.notes,"
	 " w.name AS worker, CASE WHEN ct.planned = 1 THEN 'yes' ELSE 'no' END AS planned"
	 " FROM contacts ct JOIN cases c ON c.id = ct.case_id LEFT JOIN workers w ON"
	 " w.id = ct.worker_id WHERE ct.case_id IN" CASES " ORDER BY ct.at, ct.id"},
	{{"assessments", "Assessments", "Family assessments: who agreed them, and the summary."},
	 "SELECT c.ref AS case_ref, a.assessed_on, a.kind, a.agreed_with, a.summary FROM"
	 " assessments a JOIN cases c ON c.id = a.case_id WHERE a.case_id IN" CASES
	 " ORDER BY a.assessed_on, a.id"},
	{{"assessment_scores", "Assessment scores", "The score of each domain (1 serious unmet"
	  " need, 10 no concern), strengths and needs."},
	 "SELECT c.ref AS case_ref, a.assessed_on, sc.domain_title AS domain, sc.score,"
	 " sc.strengths, sc.needs FROM assessment_scores sc JOIN assessments a ON a.id ="
	 " sc.assessment_id JOIN cases c ON c.id = a.case_id WHERE a.case_id IN" CASES
	 " ORDER BY a.assessed_on, a.id, sc.position"},
	{{"plan_actions", "Plan actions", "The actions of the family's plan and who owns them."},
	 "SELECT c.ref AS case_ref, pa.description, pa.need, pa.owner_kind, coalesce(m.name,"
	 " w.name, pr.name) AS owner, pa.due_on, pa.status, pa.created_at FROM plan_actions pa"
	 " JOIN cases c ON c.id = pa.case_id LEFT JOIN family_members m ON m.id ="
	 " pa.owner_member_id LEFT JOIN workers w ON w.id = pa.owner_worker_id LEFT JOIN"
	 " professionals pr ON pr.id = pa.owner_professional_id WHERE pa.case_id IN" CASES
	 " ORDER BY pa.due_on, pa.id"},
	{{"action_updates", "Progress on actions", "Every change of an action's status."},
	 "SELECT c.ref AS case_ref, pa.description AS action, au.on_date, au.status, au.progress"
	 " FROM action_updates au JOIN plan_actions pa ON pa.id = au.action_id JOIN cases c ON"
	 " c.id = pa.case_id WHERE pa.case_id IN" CASES " ORDER BY au.on_date, au.id"},
	{{"reviews", "Reviews", "Reviews of the plan, with the family's view."},
	 "SELECT c.ref AS case_ref, rv.held_on, rv.summary, rv.family_view, rv.next_review_on"
	 " FROM reviews rv JOIN cases c ON c.id = rv.case_id WHERE rv.case_id IN" CASES
	 " ORDER BY rv.held_on, rv.id"},
	{{"taf_meetings", "Team Around the Family meetings", "Meetings, their minutes and"
	  " decisions."},
	 "SELECT c.ref AS case_ref, t.starts_at, t.duration_min, t.place, t.status, t.minutes,"
	 " t.decisions FROM taf_meetings t JOIN cases c ON c.id = t.case_id WHERE t.case_id IN"
	 CASES " ORDER BY t.starts_at, t.id"},
	{{"taf_invitations", "Invitations to meetings", "Meetings the person was invited to, and"
	  " whether they came."},
	 "SELECT c.ref AS case_ref, t.starts_at AS meeting, CASE WHEN ti.attended IS NULL THEN NULL"
	 " WHEN ti.attended = 1 THEN 'yes' ELSE 'no' END AS attended, ti.apologies FROM taf_invitees"
	 " ti JOIN family_members m ON m.id = ti.member_id JOIN taf_meetings t ON t.id ="
	 " ti.meeting_id JOIN cases c ON c.id = t.case_id WHERE m.pupil_id = :pupil OR"
	 " m.id = :member ORDER BY t.starts_at, ti.id"},
	{{"commissions", "Services and grants", "Services commissioned and household item grants"
	  " for the family (money in pence)."},
	 "SELECT cm.ref, c.ref AS case_ref, cm.kind, sv.name AS service, cm.quantity,"
	 " cm.estimate_pence, cm.actual_pence, cm.status, cm.reason, cm.requested_at,"
	 " cm.decision_note, cm.delivered_on, cm.paid_on FROM commissions cm JOIN cases c ON"
	 " c.id = cm.case_id LEFT JOIN services sv ON sv.id = cm.service_id WHERE cm.case_id IN"
	 CASES " ORDER BY cm.requested_at, cm.id"},
	{{"commission_items", "Items of grants", "What a household item grant paid for."},
	 "SELECT cm.ref AS commission, ci.description, ci.amount_pence FROM commission_items ci"
	 " JOIN commissions cm ON cm.id = ci.commission_id WHERE cm.case_id IN" CASES
	 " ORDER BY ci.id"},
	{{"destinations", "Destinations at 16", "Where the young person went at 16."},
	 "SELECT d.destination, d.recorded_on, d.source, d.note FROM destinations d"
	 " WHERE d.pupil_id = :pupil ORDER BY d.recorded_on, d.id"},
	{{"history", "Cases from before Hearth", "Events of cases loaded from the partnership's"
	  " earlier records that name the pupil."},
	 "SELECT hc.case_ref, hc.family_ref, s.name AS school, hc.worker_name, he.on_date, he.kind,"
	 " he.source, he.reason, he.amount_pence, he.detail FROM history_events he JOIN"
	 " history_cases hc ON hc.id = he.case_id LEFT JOIN schools s ON s.id = hc.school_id"
	 " WHERE hc.pupil_id = :pupil ORDER BY he.on_date, he.id"},
	{{"holds", "Safeguarding holds", "Holds that keep the family's records past the retention"
	  " period."},
	 "SELECT f.ref AS family, h.reason, h.placed_at, h.released_at, h.release_reason FROM"
	 " safeguarding_holds h JOIN families f ON f.id = h.family_id WHERE h.family_id IN" FAMS
	 " UNION ALL SELECT h.history_family_ref, h.reason, h.placed_at, h.released_at,"
	 " h.release_reason FROM safeguarding_holds h WHERE h.history_family_ref IN (SELECT"
	 " hc.family_ref FROM history_cases hc WHERE hc.pupil_id = :pupil) ORDER BY 3"},
	{{"family_history", "Earlier family details", "The address, postcode and home language"
	  " the family record held before each change, and who changed them."},
	 "SELECT f.ref AS family, h.address, h.postcode, h.home_language, h.changed_at AS"
	 " replaced_at, u.name AS replaced_by FROM family_details_history h JOIN families f ON"
	 " f.id = h.family_id LEFT JOIN users u ON u.id = h.changed_by WHERE h.family_id IN" FAMS
	 " ORDER BY h.family_id, h.version"},
	{{"access", "Who read or changed these records", "The audit log's rows about the person's"
	  " pupil record, family, members, referrals and cases (newest first, at most 1,000)."},
	 "SELECT a.at, a.user_email AS by_user, a.role, a.action, a.entity AS record_type,"
	 " a.entity_id AS record_id, a.summary FROM audit_log a WHERE"
	 " (a.entity = 'pupils' AND a.entity_id IN (SELECT CAST(p.id AS TEXT) FROM pupils p"
	 "  WHERE p.id = :pupil UNION SELECT p.upn FROM pupils p WHERE p.id = :pupil))"
	 " OR (a.entity = 'families' AND a.entity_id IN (SELECT CAST(f.id AS TEXT) FROM families f"
	 "  WHERE f.id IN" FAMS "))"
	 " OR (a.entity = 'family_members' AND a.entity_id IN (SELECT CAST(m.id AS TEXT) FROM"
	 "  family_members m WHERE m.pupil_id = :pupil OR m.id = :member))"
	 " OR (a.entity = 'referrals' AND a.entity_id IN (SELECT CAST(r.id AS TEXT) FROM referrals r"
	 "  WHERE r.family_id IN" FAMS "))"
	 " OR (a.entity = 'cases' AND a.entity_id IN (SELECT CAST(c.id AS TEXT) FROM cases c"
	 "  WHERE c.id IN" CASES "))"
	 " ORDER BY a.id DESC LIMIT 1000"},
	{{"exports", "Earlier subject access exports", "When this person's records were exported"
	  " before, and by whom."},
	 "SELECT x.at, x.user_email AS by_user, x.role, x.format FROM export_register x WHERE"
	 " (x.subject_kind = 'pupil' AND x.subject_id = :pupil) OR (x.subject_kind = 'member' AND"
	 " x.subject_id IN (SELECT m.id FROM family_members m WHERE m.pupil_id = :pupil OR"
	 " m.id = :member)) ORDER BY x.id"},
	{{"others", "Other people named in these records", "Not the person's own data: consider"
	  " each before disclosure (redact where the law requires)."},
	 "SELECT m.name, m.relationship, f.ref AS family FROM family_members m JOIN families f ON"
	 " f.id = m.family_id WHERE m.family_id IN" FAMS " AND coalesce(m.pupil_id, 0) <> :pupil"
	 " AND m.id <> :member UNION ALL SELECT fp.name, fp.agency, f.ref FROM"
	 " family_professionals fp JOIN families f ON f.id = fp.family_id WHERE fp.family_id IN"
	 FAMS},
};
#define NSPECS (sizeof specs / sizeof specs[0])

size_t sar_kind_count(void)
{
	return NSPECS;
}

const struct sar_kind *sar_kind_at(size_t i)
{
	return i < NSPECS ? &specs[i].kind : NULL;
}

/* ---- subject access: gathering --------------------------------------------------- */

static int read_section(struct db *db, struct arena *a, const struct sar_spec *sp,
			int64_t pupil, int64_t member, struct sar_section *out)
{
	out->id = sp->kind.id;
	out->title = sp->kind.title;
	out->about = sp->kind.about;
	struct db_stmt *st = db_prepare(db, sp->sql);
	if (strstr(sp->sql, ":pupil"))
		db_bind_int(st, ":pupil", pupil);
	if (strstr(sp->sql, ":member"))
		db_bind_int(st, ":member", member);
	size_t cap = 8, n = 0;
	struct sar_record *v = xcalloc(cap, sizeof *v);
	while (db_next(st)) {
		if (n == cap)
			v = xrealloc(v, (cap *= 2) * sizeof *v);
		int nc = db_column_count(st);
		v[n].nfields = (size_t)nc;
		v[n].fields = arena_alloc(a, (size_t)(nc ? nc : 1) * sizeof *v[n].fields);
		for (int c = 0; c < nc; c++) {
			v[n].fields[c].key = arena_strdup(a, db_column_name(st, c));
			v[n].fields[c].value = db_is_null(st, c) ? NULL : arena_strdup(a, db_text(st, c));
		}
		n++;
	}
	int rc = db_finalize(st);
	out->nrecords = n;
	out->records = arena_alloc(a, (n ? n : 1) * sizeof *out->records);
	memcpy(out->records, v, n * sizeof *v);
	free(v);
	return rc;
}

/* Who the document is about: fills kind, id, pupil_id, member_id, name,
 * upn, anonymised.  HE_NOT_FOUND when there is no such person. */
static int find_subject(struct db *db, struct arena *a, const char *kind, const char *key,
			struct sar_doc *d)
{
	struct db_stmt *st;
	bool pupil = kind && !strcmp(kind, "pupil");
	char norm[14];
	if (pupil) {
		if (!key || !upn_norm(key, norm))
			return HE_NOT_FOUND;
		st = db_prepare(db, "SELECT p.id, 0, p.forename || ' ' || p.surname, p.upn,"
			" p.anonymised_at FROM pupils p WHERE p.upn = :key");
		db_bind_text(st, ":key", norm);
	} else if (kind && !strcmp(kind, "member")) {
		char *end;
		long long id = key ? strtoll(key, &end, 10) : 0;
		if (!key || !*key || *end || id <= 0)
			return HE_NOT_FOUND;
		st = db_prepare(db, "SELECT coalesce(m.pupil_id, 0), m.id, m.name, p.upn,"
			" coalesce(p.anonymised_at, f.anonymised_at) FROM family_members m JOIN families f"
			" ON f.id = m.family_id LEFT JOIN pupils p ON p.id = m.pupil_id WHERE m.id = :id");
		db_bind_int(st, ":id", id);
	} else {
		return HE_NOT_FOUND;
	}
	bool found = db_next(st);
	if (found) {
		d->kind = pupil ? "pupil" : "member";
		d->pupil_id = db_int(st, 0);
		d->member_id = db_int(st, 1);
		d->id = pupil ? d->pupil_id : d->member_id;
		d->name = arena_strdup(a, db_text(st, 2));
		d->upn = arena_strdup(a, db_text(st, 3));
		d->anonymised = !db_is_null(st, 4);
	}
	int rc = db_finalize(st);
	return rc ? rc : found ? HE_OK : HE_NOT_FOUND;
}

int sar_gather(struct db *db, struct arena *a, const char *kind, const char *key,
	       struct sar_doc *out)
{
	memset(out, 0, sizeof *out);
	int rc = find_subject(db, a, kind, key, out);
	if (rc)
		return rc;
	out->sections = arena_alloc(a, NSPECS * sizeof *out->sections);
	for (size_t i = 0; i < NSPECS && !rc; i++)
		rc = read_section(db, a, &specs[i], out->pupil_id, out->member_id, &out->sections[i]);
	out->nsections = rc ? 0 : NSPECS;
	return rc;
}

/* ---- subject access: search ---------------------------------------------------------- */

/* "%q%" lower-cased, with LIKE's wildcards escaped by '\'. */
static char *like_pattern(struct arena *a, const char *q)
{
	struct buf b;
	buf_init(&b, 1024);
	buf_putc(&b, '%');
	for (const char *s = q; s && *s; s++) {
		if (*s == '%' || *s == '_' || *s == '\\')
			buf_putc(&b, '\\');
		buf_putc(&b, (char)tolower((unsigned char)*s));
	}
	buf_putc(&b, '%');
	char *out = arena_strdup(a, buf_str(&b));
	buf_free(&b);
	return out;
}

static const char search_sql[] =
	"SELECT 'pupil', p.upn, p.forename || ' ' || p.surname, p.dob, s.name FROM pupils p"
	" JOIN schools s ON s.id = p.school_id WHERE p.anonymised_at IS NULL"
	" AND (p.upn = :upn OR lower(p.forename || ' ' || p.surname) LIKE :pat ESCAPE '\\'"
	"  OR lower(p.surname || ' ' || p.forename) LIKE :pat ESCAPE '\\')"
	" AND (:dob = '' OR p.dob = :dob)"
	" UNION ALL SELECT 'member', CAST(m.id AS TEXT), m.name, m.dob, f.ref || ' (' || f.name"
	" || '), ' || m.relationship FROM family_members m JOIN families f ON f.id = m.family_id"
	" WHERE m.pupil_id IS NULL AND f.anonymised_at IS NULL AND lower(m.name) LIKE :pat"
	" ESCAPE '\\' AND (:dob = '' OR m.dob = :dob)"
	" ORDER BY 3, 2 LIMIT 50";

int sar_search(struct db *db, struct arena *a, const char *q, const char *dob,
	       struct sar_hit **out, size_t *n, struct errinfo *e)
{
	hday day;
	*out = NULL;
	*n = 0;
	bool has_q = q && !text_blank(q), has_dob = dob && *dob;
	if (!has_q && !has_dob)
		return errinfo_set(e, HE_MISSING, "q", "Enter a name or UPN, or a date of birth");
	if (has_q && strlen(q) < 2)
		return errinfo_set(e, HE_INVALID, "q", "Enter at least 2 characters of the name");
	if (has_q && strlen(q) > 200)
		return errinfo_set(e, HE_INVALID, "q", "Enter 200 characters or fewer");
	if (has_dob && !date_parse(dob, &day))
		return errinfo_set(e, HE_INVALID, "dob", "Enter a real date of birth, like 2011-04-23");
	char norm[14] = "";
	if (has_q)
		upn_norm(q, norm);
	struct db_stmt *st = db_prepare(db, search_sql);
	db_bind_text(st, ":upn", norm);
	db_bind_text(st, ":pat", like_pattern(a, has_q ? q : ""));
	db_bind_text(st, ":dob", has_dob ? dob : "");
	*out = arena_alloc(a, SAR_SEARCH_MAX * sizeof **out);
	while (*n < SAR_SEARCH_MAX && db_next(st)) {
		struct sar_hit *h = &(*out)[(*n)++];
		h->kind = !strcmp(db_text(st, 0), "pupil") ? "pupil" : "member";
		h->key = arena_strdup(a, db_text(st, 1));
		h->name = arena_strdup(a, db_text(st, 2));
		h->dob = arena_strdup(a, db_text(st, 3));
		h->detail = arena_strdup(a, db_text(st, 4));
	}
	int rc = db_finalize(st);
	return rc ? errinfo_set(e, rc, "", "The search could not be run") : HE_OK;
}

/* ---- retention: settings ---------------------------------------------------------------- */

static int setting_int(struct db *db, const char *key, int dflt, int *out)
{
	struct db_stmt *st = db_prepare(db, "SELECT value FROM settings WHERE key = :key");
	db_bind_text(st, ":key", key);
	*out = dflt;
	if (db_next(st)) {
		char *end;
		long v = strtol(db_text(st, 0), &end, 10);
		if (!*end && v >= 0 && v <= 200)
			*out = (int)v;
	}
	return db_finalize(st);
}

int retention_settings_get(struct db *db, struct retention_settings *rs)
{
	int rc = setting_int(db, "retention.years", RETENTION_DEFAULT_YEARS, &rs->years);
	if (!rc)
		rc = setting_int(db, "retention.until_age", RETENTION_DEFAULT_AGE, &rs->until_age);
	if (rs->years < 1)
		rs->years = RETENTION_DEFAULT_YEARS;
	return rc;
}

static int setting_put(struct db *db, const char *key, int value)
{
	char v[16];
	snprintf(v, sizeof v, "%d", value);
	struct db_stmt *st = db_prepare(db, "UPDATE settings SET value = :v WHERE key = :key");
	db_bind_text(st, ":v", v);
	db_bind_text(st, ":key", key);
	int rc = db_done(st);
	if (rc || db_changes(db) > 0)
		return rc;
	st = db_prepare(db, "INSERT INTO settings (key, value) VALUES (:key, :v)");
	db_bind_text(st, ":key", key);
	db_bind_text(st, ":v", v);
	return db_done(st);
}

int retention_settings_set(struct db *db, const struct audit_who *who,
			   const struct retention_settings *rs, struct errinfo *e)
{
	if (rs->years < 1 || rs->years > 100)
		return errinfo_set(e, HE_INVALID, "years", "Enter a number of years from 1 to 100");
	if (rs->until_age != 0 && (rs->until_age < 18 || rs->until_age > 100))
		return errinfo_set(e, HE_INVALID, "until_age",
				   "Enter an age from 18 to 100, or 0 for no age rule");
	char summary[120];
	snprintf(summary, sizeof summary, "Retention: %d years after closure, youngest child %d%s",
		 rs->years, rs->until_age, rs->until_age ? "" : " (no age rule)");
	int rc = db_begin(db);
	if (!rc)
		rc = setting_put(db, "retention.years", rs->years);
	if (!rc)
		rc = setting_put(db, "retention.until_age", rs->until_age);
	if (!rc)
		rc = audit(db, who, "update", "settings", "retention", summary);
	if (!rc)
		rc = db_commit(db);
	if (rc) {
		db_rollback(db);
		return errinfo_set(e, rc, "", "The retention settings could not be saved");
	}
	return HE_OK;
}

/* ---- retention: who is due ------------------------------------------------------------- */

/* The cut-off dates for today: families whose last closure is on or before
 * *cutoff and whose children were all born on or before *born_by. */
static void cutoffs(const struct retention_settings *rs, hday today, char cutoff[11],
		    char born_by[11])
{
	int y, m, d;
	date_to_ymd(today, &y, &m, &d);
	if (m == 2 && d == 29)
		d = 28;
	date_format(date_from_ymd(y - rs->years, m, d), cutoff);
	if (rs->until_age > 0)
		date_format(date_from_ymd(y - rs->until_age, m, d), born_by);
	else
		snprintf(born_by, 11, "9999-12-31");
}

/* The conditions of being due, on f, binding :cutoff and :born_by. */
#define DUE_WHERE \
	" f.anonymised_at IS NULL AND EXISTS (SELECT 1 FROM referrals r WHERE r.family_id = f.id)" \
	" AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.family_id = f.id" \
	"  AND (c.closed_on IS NULL OR c.closed_on > :cutoff))" \
	" AND NOT EXISTS (SELECT 1 FROM referrals r WHERE r.family_id = f.id" \
	"  AND (r.decided_at IS NULL OR substr(r.decided_at, 1, 10) > :cutoff))" \
	" AND NOT EXISTS (SELECT 1 FROM family_members m LEFT JOIN pupils p ON p.id = m.pupil_id" \
	"  WHERE m.family_id = f.id AND m.is_child = 1 AND coalesce(p.dob, m.dob) > :born_by)"

static const char due_sql[] =
	"SELECT f.id, f.ref, f.name,"
	" (SELECT max(c.closed_on) FROM cases c WHERE c.family_id = f.id),"
	" (SELECT max(substr(r.decided_at, 1, 10)) FROM referrals r WHERE r.family_id = f.id),"
	" (SELECT max(coalesce(p.dob, m.dob)) FROM family_members m LEFT JOIN pupils p"
	"  ON p.id = m.pupil_id WHERE m.family_id = f.id AND m.is_child = 1),"
	" (SELECT count(*) FROM cases c WHERE c.family_id = f.id),"
	" (SELECT h.id FROM safeguarding_holds h WHERE h.family_id = f.id AND h.released_at IS NULL"
	"  ORDER BY h.id LIMIT 1),"
	" (SELECT h.reason FROM safeguarding_holds h WHERE h.family_id = f.id"
	"  AND h.released_at IS NULL ORDER BY h.id LIMIT 1)"
	" FROM families f WHERE" DUE_WHERE " ORDER BY f.id";

/* date + years, as text (29 February becomes 28 February). */
static void add_years(const char *date, int years, char out[11])
{
	hday d;
	int y, m, dd;
	if (!date || !date_parse(date, &d)) {
		out[0] = '\0';
		return;
	}
	date_to_ymd(d, &y, &m, &dd);
	if (m == 2 && dd == 29)
		dd = 28;
	date_format(date_from_ymd(y + years, m, dd), out);
}

static void due_on(const struct retention_settings *rs, struct retention_family *f)
{
	char a[11], b[11] = "";
	add_years(f->last_closed, rs->years, a);
	if (rs->until_age > 0)
		add_years(f->youngest_dob, rs->until_age, b);
	snprintf(f->due_on, sizeof f->due_on, "%s", strcmp(a, b) >= 0 ? a : b);
}

/* The family's cases' refs, "C-1, C-2". */
static int case_refs(struct db *db, struct arena *a, int64_t family, const char **out)
{
	struct buf b;
	buf_init(&b, 4096);
	struct db_stmt *st = db_prepare(db, "SELECT ref FROM cases WHERE family_id = :f ORDER BY id");
	db_bind_int(st, ":f", family);
	while (db_next(st))
		buf_printf(&b, "%s%s", b.len ? ", " : "", db_text(st, 0));
	int rc = db_finalize(st);
	*out = arena_strdup(a, buf_str(&b));
	buf_free(&b);
	return rc;
}

static void read_due(struct db_stmt *st, struct arena *a, const struct retention_settings *rs,
		     struct retention_family *f)
{
	f->family_id = db_int(st, 0);
	f->ref = arena_strdup(a, db_text(st, 1));
	f->name = arena_strdup(a, db_text(st, 2));
	const char *closed = db_text(st, 3), *decided = db_text(st, 4);
	f->last_closed = arena_strdup(a, closed && (!decided || strcmp(closed, decided) >= 0)
				      ? closed : decided);
	f->youngest_dob = arena_strdup(a, db_text(st, 5));
	f->ncases = (int)db_int(st, 6);
	f->hold_id = db_is_null(st, 7) ? 0 : db_int(st, 7);
	f->hold_reason = arena_strdup(a, db_text(st, 8));
	due_on(rs, f);
}

static int cmp_due(const void *x, const void *y)
{
	const struct retention_family *a = x, *b = y;
	int c = strcmp(a->due_on, b->due_on);
	return c ? c : (a->family_id > b->family_id) - (a->family_id < b->family_id);
}

/* ---- retention: the families of the cases from before Hearth -------------------------- */

/* A history case's family is due when every case of it is finished (closed,
 * stepped up, or its referral signposted or declined), nothing happened on
 * any of them after :cutoff, and every child whose pupil record is known
 * was born on or before :born_by: of every family (hist_due_sql), or of the
 * family_ref :one (hist_one_sql, by the index).  Columns: family_ref, first
 * case id, cases, last event, youngest child's date of birth, the hold in
 * force (on the history family itself, or on a Hearth family one of its
 * children belongs to) and its reason. */
#define HIST_CASES_OF(where) \
	"SELECT hc.id, hc.family_ref, hc.pupil_id, (SELECT max(e.on_date) FROM history_events e" \
	" WHERE e.case_id = hc.id) AS last_on, CASE WHEN EXISTS (SELECT 1 FROM history_events e" \
	" WHERE e.case_id = hc.id AND e.kind IN ('closed', 'step_up', 'signposted', 'declined'))" \
	" THEN 1 ELSE 0 END AS finished FROM history_cases hc WHERE hc.anonymised_at IS NULL" \
	" AND " where
#define HIST_HOLD(col) \
	" (SELECT " col " FROM safeguarding_holds sh WHERE sh.released_at IS NULL AND sh.id =" \
	" (SELECT min(h.id) FROM safeguarding_holds h WHERE h.released_at IS NULL AND" \
	" (h.history_family_ref = d.family_ref OR h.family_id IN (SELECT m.family_id FROM" \
	" history_cases h2 JOIN family_members m ON m.pupil_id = h2.pupil_id" \
	" WHERE h2.family_ref = d.family_ref))))"
#define HIST_DUE(where) \
	"SELECT d.family_ref, min(d.id), count(*), max(d.last_on), max(p.dob)," HIST_HOLD("sh.id") \
	"," HIST_HOLD("sh.reason") " FROM (" HIST_CASES_OF(where) ") d LEFT JOIN pupils p ON" \
	" p.id = d.pupil_id GROUP BY d.family_ref HAVING min(d.finished) = 1" \
	" AND max(d.last_on) <= :cutoff AND (max(p.dob) IS NULL OR max(p.dob) <= :born_by)" \
	" ORDER BY min(d.id)"
static const char hist_due_sql[] = HIST_DUE("1 = 1");
static const char hist_one_sql[] = HIST_DUE("hc.family_ref = :one");

static void hist_bind(struct db_stmt *st, const char *one, const char *cutoff, const char *born_by)
{
	if (one)
		db_bind_text(st, ":one", one);
	db_bind_text(st, ":cutoff", cutoff);
	db_bind_text(st, ":born_by", born_by);
}

static void hist_read(struct db_stmt *st, struct arena *a, const struct retention_settings *rs,
		      struct retention_family *f)
{
	memset(f, 0, sizeof *f);
	f->history = true;
	f->ref = arena_strdup(a, db_text(st, 0));
	f->family_id = db_int(st, 1);
	f->name = "Cases from before Hearth";
	f->ncases = (int)db_int(st, 2);
	f->last_closed = arena_strdup(a, db_text(st, 3));
	f->youngest_dob = arena_strdup(a, db_text(st, 4));
	f->hold_id = db_is_null(st, 5) ? 0 : db_int(st, 5);
	f->hold_reason = arena_strdup(a, db_text(st, 6));
	due_on(rs, f);
}

/* The old case references of history family ref, "LST-1, LST-2". */
static int hist_case_refs(struct db *db, struct arena *a, const char *ref, const char **out)
{
	struct buf b;
	buf_init(&b, 4096);
	struct db_stmt *st = db_prepare(db, "SELECT case_ref FROM history_cases WHERE family_ref ="
		" :fam ORDER BY id");
	db_bind_text(st, ":fam", ref);
	while (db_next(st))
		buf_printf(&b, "%s%s", b.len ? ", " : "", db_text(st, 0));
	int rc = db_finalize(st);
	*out = arena_strdup(a, buf_str(&b));
	buf_free(&b);
	return rc;
}

/* Append the history families due to *v (n used of *cap). */
static int hist_due(struct db *db, struct arena *a, const struct retention_settings *rs,
		    const char *cutoff, const char *born_by, struct retention_family **v,
		    size_t *n, size_t *cap)
{
	size_t first = *n;
	struct db_stmt *st = db_prepare(db, hist_due_sql);
	hist_bind(st, NULL, cutoff, born_by);
	while (db_next(st)) {
		if (*n == *cap)
			*v = xrealloc(*v, (*cap *= 2) * sizeof **v);
		hist_read(st, a, rs, &(*v)[(*n)++]);
	}
	int rc = db_finalize(st);
	for (size_t i = first; i < *n && !rc; i++)
		rc = hist_case_refs(db, a, (*v)[i].ref, &(*v)[i].cases);
	return rc;
}

int retention_due(struct db *db, struct arena *a, hday today, struct retention_family **out,
		  size_t *n)
{
	struct retention_settings rs;
	char cutoff[11], born_by[11];
	*out = NULL;
	*n = 0;
	int rc = retention_settings_get(db, &rs);
	if (rc)
		return rc;
	cutoffs(&rs, today, cutoff, born_by);
	struct db_stmt *st = db_prepare(db, due_sql);
	db_bind_text(st, ":cutoff", cutoff);
	db_bind_text(st, ":born_by", born_by);
	size_t cap = 16;
	struct retention_family *v = xcalloc(cap, sizeof *v);
	while (db_next(st)) {
		if (*n == cap)
			v = xrealloc(v, (cap *= 2) * sizeof *v);
		read_due(st, a, &rs, &v[(*n)++]);
	}
	rc = db_finalize(st);
	for (size_t i = 0; i < *n && !rc; i++)
		rc = case_refs(db, a, v[i].family_id, &v[i].cases);
	if (!rc)
		rc = hist_due(db, a, &rs, cutoff, born_by, &v, n, &cap);
	qsort(v, *n, sizeof *v, cmp_due);
	*out = arena_alloc(a, (*n ? *n : 1) * sizeof **out);
	memcpy(*out, v, *n * sizeof *v);
	free(v);
	return rc;
}

/* ---- retention: anonymising one family -------------------------------------------------- */

/* Every statement binds :f (the family) and may bind :now.  What is kept:
 * ids and links, dates, codes and statuses, scores, durations and money —
 * everything the reports count.  What goes: names, dates of birth (a
 * pupil's becomes 1 September of their school year, so year groups and
 * ages in years still hold), addresses, postcodes, phone numbers, UPNs,
 * the census family key, and every free-text field. */
#define FCASES "(SELECT c.id FROM cases c WHERE c.family_id = :f)"
#define ANON_PUPIL \
	"UPDATE pupils SET upn = 'anon-' || CAST(id AS TEXT), forename = 'Anonymised'," \
	" surname = 'pupil', dob = CASE WHEN substr(dob, 6, 2) >= '09' THEN substr(dob, 1, 4)" \
	" || '-09-01' ELSE CAST(CAST(substr(dob, 1, 4) AS INTEGER) - 1 AS TEXT) || '-09-01' END," \
	" postcode = NULL, family_key = NULL, anonymised_at = :now, updated_at = :now" \
	" WHERE anonymised_at IS NULL"
static const char *const anon_sql[] = {
	/* the children's pupil records, unless another family still holds them */
	ANON_PUPIL " AND id IN (SELECT m.pupil_id FROM family_members m"
	" WHERE m.family_id = :f) AND NOT EXISTS (SELECT 1 FROM family_members m2 JOIN families f2"
	" ON f2.id = m2.family_id WHERE m2.pupil_id = pupils.id AND f2.id <> :f"
	" AND f2.anonymised_at IS NULL)",
	"UPDATE families SET name = 'Anonymised family', address = '', postcode = NULL,"
	" family_key = NULL, anonymised_at = :now, updated_at = :now, version = version + 1"
	" WHERE id = :f",
	/* the addresses and postcodes earlier changes replaced (the language
	 * is kept, as on the family) */
	"UPDATE family_details_history SET address = '', postcode = NULL, idem_key = NULL"
	" WHERE family_id = :f",
	"UPDATE family_members SET name = 'Anonymised', dob = NULL, phone = NULL, notes = '',"
	" idem_key = NULL WHERE family_id = :f",
	"UPDATE family_professionals SET name = 'Anonymised', contact = '', idem_key = NULL"
	" WHERE family_id = :f",
	"UPDATE referrals SET reason = '', tried = '', decision_note = NULL, idem_key = NULL,"
	" version = version + 1 WHERE family_id = :f",
	"UPDATE school_notices SET message = 'A pupil at your school was included in a family"
	" support referral (since anonymised).' WHERE referral_id IN (SELECT r.id FROM referrals r"
	" WHERE r.family_id = :f)",
	"UPDATE consents SET given_by = CASE WHEN given_by IS NULL THEN NULL ELSE 'Anonymised' END,"
	" lawful_basis_note = CASE WHEN lawful_basis_note IS NULL THEN NULL ELSE '' END,"
	" withdrawn_reason = CASE WHEN withdrawn_reason IS NULL THEN NULL ELSE '' END,"
	" idem_key = NULL WHERE family_id = :f",
	"UPDATE cases SET closure_note = NULL, family_view = NULL, updated_at = :now,"
	" version = version + 1 WHERE family_id = :f",
	"UPDATE case_events SET summary = kind, detail = '' WHERE family_id = :f",
	"UPDATE contacts SET seen = '', place = '', notes = '', idem_key = NULL WHERE case_id IN"
	" " FCASES,
	"UPDATE assessments SET agreed_with = '', summary = '' WHERE case_id IN " FCASES,
	"UPDATE assessment_scores SET strengths = '', needs = '' WHERE assessment_id IN"
	" (SELECT a.id FROM assessments a WHERE a.case_id IN " FCASES ")",
	"UPDATE reviews SET summary = '', family_view = '' WHERE case_id IN " FCASES,
	"UPDATE taf_meetings SET place = '', minutes = '', decisions = '', updated_at = :now,"
	" version = version + 1 WHERE case_id IN " FCASES,
	"UPDATE taf_invitees SET apologies = '' WHERE meeting_id IN (SELECT t.id FROM"
	" taf_meetings t WHERE t.case_id IN " FCASES ")",
	"UPDATE plan_actions SET description = '', updated_at = :now, version = version + 1"
	" WHERE case_id IN " FCASES,
	"UPDATE action_updates SET progress = '' WHERE action_id IN (SELECT pa.id FROM"
	" plan_actions pa WHERE pa.case_id IN " FCASES ")",
	"UPDATE commissions SET reason = '', decision_note = NULL, updated_at = :now,"
	" version = version + 1 WHERE case_id IN " FCASES,
	"UPDATE commission_items SET description = 'Item' WHERE commission_id IN (SELECT cm.id"
	" FROM commissions cm WHERE cm.case_id IN " FCASES ")",
	"UPDATE commission_events SET note = '' WHERE commission_id IN (SELECT cm.id FROM"
	" commissions cm WHERE cm.case_id IN " FCASES ")",
	"UPDATE destinations SET note = '' WHERE pupil_id IN (SELECT m.pupil_id FROM"
	" family_members m WHERE m.family_id = :f)",
};
#define NANON (sizeof anon_sql / sizeof anon_sql[0])

static int run_anon(struct db *db, int64_t family, const char *now, int64_t *pupils)
{
	int rc = HE_OK;
	for (size_t i = 0; i < NANON && !rc; i++) {
		struct db_stmt *st = db_prepare(db, anon_sql[i]);
		db_bind_int(st, ":f", family);
		if (strstr(anon_sql[i], ":now"))
			db_bind_text(st, ":now", now);
		rc = db_done(st);
		if (!rc && i == 0)
			*pupils = db_changes(db);
	}
	return rc;
}

/* Inside the transaction: is the family still due and not held (a
 * referral or a hold may have come since the list was read)? */
static int still_due(struct db *db, int64_t family, const char *cutoff, const char *born_by,
		     bool *due, char ref[32])
{
	struct db_stmt *st = db_prepare(db, "SELECT f.ref FROM families f WHERE f.id = :f AND"
		DUE_WHERE " AND NOT EXISTS (SELECT 1 FROM safeguarding_holds h WHERE"
		" h.family_id = f.id AND h.released_at IS NULL)");
	db_bind_int(st, ":f", family);
	db_bind_text(st, ":cutoff", cutoff);
	db_bind_text(st, ":born_by", born_by);
	*due = db_next(st);
	if (*due)
		snprintf(ref, 32, "%s", db_text(st, 0));
	return db_finalize(st);
}

/* One family, one transaction.  *done is false when it was no longer due. */
static int anonymise_one(struct db *db, const struct audit_who *who,
			 const struct retention_family *f, const char *cutoff, const char *born_by,
			 bool *done, int64_t *pupils)
{
	char now[21], ref[32], id[24], summary[200];
	timestamp_format(time(NULL), now);
	*done = false;
	*pupils = 0;
	int rc = db_begin(db);
	if (rc)
		return rc;
	rc = still_due(db, f->family_id, cutoff, born_by, done, ref);
	if (!rc && *done)
		rc = run_anon(db, f->family_id, now, pupils);
	if (!rc && *done) {
		snprintf(id, sizeof id, "%" PRId64, f->family_id);
		snprintf(summary, sizeof summary, "Retention: family %s anonymised (%d cases, last"
			 " closed %s; %" PRId64 " pupil records)", ref, f->ncases,
			 f->last_closed ? f->last_closed : "-", *pupils);
		rc = audit(db, who, "anonymise", "families", id, summary);
	}
	if (!rc)
		rc = db_commit(db);
	if (rc) {
		db_rollback(db);
		*done = false;
		*pupils = 0;
	}
	return rc;
}

/* A history family (bind :fam, its old family_ref; :anon, its new one;
 * :now).  Kept: the old case references (so that loading the old file
 * again cannot bring the cases back: history.c skips a case_ref it holds),
 * dates, event kinds, sources, reasons and amounts, the school and the
 * link to the pupil record.  Removed: the family reference, the worker's
 * name (a name typed into the old system, not a Hearth worker), the
 * events' free text, the children's pupil records (as for a family, unless
 * a Hearth family not yet anonymised holds them), and the load's error
 * messages that name the family, its cases or its children's UPNs (before
 * the pupil records lose them); released holds on it take the new
 * reference.  Its cases' anonymised_at marks it done. */
#define HFAM "(SELECT h.id FROM history_cases h WHERE h.family_ref = :fam)"
#define HERR "history_import_errors.message"
static const char *const hist_anon_sql[] = {
	"UPDATE history_import_errors SET message = field || ': removed by retention' WHERE"
	" replace(message, :fam, '') <> message OR EXISTS (SELECT 1 FROM history_cases h"
	" LEFT JOIN pupils p ON p.id = h.pupil_id WHERE h.family_ref = :fam AND (replace(" HERR
	", h.case_ref, '') <> " HERR " OR replace(" HERR ", coalesce(p.upn, ''), '') <> " HERR "))",
	ANON_PUPIL " AND id IN (SELECT h.pupil_id FROM history_cases h WHERE h.family_ref = :fam)"
	" AND NOT EXISTS (SELECT 1 FROM family_members m2 JOIN families f2 ON f2.id = m2.family_id"
	" WHERE m2.pupil_id = pupils.id AND f2.anonymised_at IS NULL)",
	"UPDATE history_events SET detail = '' WHERE detail <> '' AND case_id IN " HFAM,
	/* released holds on the family (one in force keeps it from here) */
	"UPDATE safeguarding_holds SET history_family_ref = :anon WHERE history_family_ref = :fam",
	"UPDATE history_cases SET family_ref = :anon, worker_name = '', anonymised_at = :now"
	" WHERE family_ref = :fam AND anonymised_at IS NULL",
};
#define NHIST_ANON (sizeof hist_anon_sql / sizeof hist_anon_sql[0])

static int hist_run_anon(struct db *db, const char *fam, const char *anon, const char *now,
			 int64_t *pupils)
{
	int rc = HE_OK;
	for (size_t i = 0; i < NHIST_ANON && !rc; i++) {
		struct db_stmt *st = db_prepare(db, hist_anon_sql[i]);
		db_bind_text(st, ":fam", fam);
		if (strstr(hist_anon_sql[i], ":anon"))
			db_bind_text(st, ":anon", anon);
		if (strstr(hist_anon_sql[i], ":now"))
			db_bind_text(st, ":now", now);
		rc = db_done(st);
		if (!rc && strstr(hist_anon_sql[i], "UPDATE pupils"))
			*pupils = db_changes(db);
	}
	return rc;
}

/* Inside the transaction: is history family ref still due and not held? */
static int hist_still_due(struct db *db, const char *ref, const char *cutoff, const char *born_by,
			  bool *due)
{
	struct db_stmt *st = db_prepare(db, hist_one_sql);
	hist_bind(st, ref, cutoff, born_by);
	*due = db_next(st) && db_is_null(st, 5);
	return db_finalize(st);
}

/* One history family, one transaction, like anonymise_one. */
static int hist_anonymise_one(struct db *db, const struct audit_who *who,
			      const struct retention_family *f, const char *cutoff,
			      const char *born_by, bool *done, int64_t *pupils)
{
	char now[21], anon[40], id[24], summary[200];
	timestamp_format(time(NULL), now);
	snprintf(anon, sizeof anon, "anonymised-%" PRId64, f->family_id);
	*done = false;
	*pupils = 0;
	int rc = db_begin(db);
	if (rc)
		return rc;
	rc = hist_still_due(db, f->ref, cutoff, born_by, done);
	if (!rc && *done)
		rc = hist_run_anon(db, f->ref, anon, now, pupils);
	if (!rc && *done) {
		/* not the old family reference: it may name the family */
		snprintf(id, sizeof id, "%" PRId64, f->family_id);
		snprintf(summary, sizeof summary, "Retention: family from before Hearth anonymised, now %s"
			 " (%d cases, last event %s; %" PRId64 " pupil records)", anon, f->ncases,
			 f->last_closed ? f->last_closed : "-", *pupils);
		rc = audit(db, who, "anonymise", "history_cases", id, summary);
	}
	if (!rc)
		rc = db_commit(db);
	if (rc) {
		db_rollback(db);
		*done = false;
		*pupils = 0;
	}
	return rc;
}

int retention_apply(struct db *db, const struct audit_who *who, hday today,
		    struct retention_result *res, FILE *log)
{
	struct arena a;
	struct retention_family *v;
	struct retention_settings rs;
	char cutoff[11], born_by[11];
	size_t n;
	memset(res, 0, sizeof *res);
	arena_init(&a);
	int rc = retention_settings_get(db, &rs), first = HE_OK;
	if (!rc)
		rc = retention_due(db, &a, today, &v, &n);
	cutoffs(&rs, today, cutoff, born_by);
	for (size_t i = 0; !rc && i < n; i++) {
		res->due++;
		if (v[i].hold_id) {
			res->held++;
			continue;
		}
		bool done;
		int64_t pupils;
		int r1 = v[i].history ? hist_anonymise_one(db, who, &v[i], cutoff, born_by, &done,
							   &pupils)
			: anonymise_one(db, who, &v[i], cutoff, born_by, &done, &pupils);
		if (r1) {
			res->failed++;
			first = first ? first : r1;
			if (log)
				fprintf(log, "%s: not anonymised: %s\n", v[i].ref, db_errmsg(db));
		} else if (done) {
			res->anonymised++;
			res->history += v[i].history;
			res->pupils += pupils;
			if (log)
				fprintf(log, "%s: anonymised (%s)\n", v[i].ref, v[i].cases);
		}
	}
	arena_free(&a);
	if (!rc) {   /* the run itself, even when nothing was due */
		char summary[200], hist[64] = "";
		if (res->history)
			snprintf(hist, sizeof hist, " (%" PRId64 " of them from before Hearth)",
				 res->history);
		snprintf(summary, sizeof summary, "Retention run: %" PRId64 " families due, %" PRId64
			 " anonymised%s, %" PRId64 " held, %" PRId64 " failed", res->due, res->anonymised,
			 hist, res->held, res->failed);
		rc = audit_alone(db, who, "retention", "families", NULL, summary);
	}
	return rc ? rc : first;
}

/* ---- safeguarding holds ------------------------------------------------------------------- */

/* The family a ref names: "F-…" itself, "C-…" its case's family. */
static int family_of_ref(struct db *db, const char *ref, int64_t *family, char fref[32],
			 bool *anonymised)
{
	struct db_stmt *st = db_prepare(db, "SELECT f.id, f.ref, f.anonymised_at FROM families f"
		" WHERE f.ref = :ref OR f.id = (SELECT c.family_id FROM cases c WHERE c.ref = :ref)"
		" OR f.id = (SELECT min(m.family_id) FROM history_cases hc JOIN family_members m ON"
		" m.pupil_id = hc.pupil_id WHERE hc.case_ref = :ref) ORDER BY f.id LIMIT 1");
	db_bind_text(st, ":ref", ref);
	*family = 0;
	if (db_next(st)) {
		*family = db_int(st, 0);
		snprintf(fref, 32, "%s", db_text(st, 1));
		*anonymised = !db_is_null(st, 2);
	}
	return db_finalize(st);
}

static int hold_active(struct db *db, int64_t family, bool *held)
{
	struct db_stmt *st = db_prepare(db, "SELECT 1 FROM safeguarding_holds WHERE family_id = :f"
		" AND released_at IS NULL");
	db_bind_int(st, ":f", family);
	*held = db_next(st);
	return db_finalize(st);
}

/* A hold on Hearth family family, or (family 0) on history family hist_ref. */
static int hold_insert(struct db *db, const struct audit_who *who, int64_t family,
		       const char *hist_ref, const char *reason, int64_t *id)
{
	char now[21];
	timestamp_format(time(NULL), now);
	struct db_stmt *st = db_prepare(db, "INSERT INTO safeguarding_holds (family_id,"
		" history_family_ref, reason, placed_by, placed_at) VALUES (:f, :hist, :reason, :by,"
		" :now) RETURNING id");
	if (family)
		db_bind_int(st, ":f", family);
	else
		db_bind_null(st, ":f");
	bind_text_or_null(st, ":hist", family ? NULL : hist_ref);
	db_bind_text(st, ":reason", reason);
	if (who->user_id > 0)
		db_bind_int(st, ":by", who->user_id);
	else
		db_bind_null(st, ":by");
	db_bind_text(st, ":now", now);
	*id = db_next(st) ? db_int(st, 0) : 0;
	return db_finalize(st);
}

/* The history family a ref names (its old family_ref, or one of its old
 * case references): *fref its family_ref ("" if none), *first its first
 * case's id and cref that case's reference, *anonymised whether done. */
static int hist_family_of_ref(struct db *db, struct arena *a, const char *ref, const char **fref,
			      int64_t *first, char cref[64], bool *anonymised)
{
	struct db_stmt *st = db_prepare(db, "SELECT hc.family_ref, hc.id, hc.case_ref,"
		" hc.anonymised_at FROM history_cases hc WHERE hc.family_ref = :ref OR hc.family_ref ="
		" (SELECT h.family_ref FROM history_cases h WHERE h.case_ref = :ref) ORDER BY hc.id"
		" LIMIT 1");
	db_bind_text(st, ":ref", ref);
	*fref = "";
	*first = 0;
	if (db_next(st)) {
		*fref = arena_strdup(a, db_text(st, 0));
		*first = db_int(st, 1);
		snprintf(cref, 64, "%s", db_text(st, 2));
		*anonymised = !db_is_null(st, 3);
	}
	return db_finalize(st);
}

static int hold_insert(struct db *db, const struct audit_who *who, int64_t family,
		       const char *hist_ref, const char *reason, int64_t *id);

/* A hold on the history family fref (first case first, reference cref):
 * entity "history_cases", id its first case, and never the old family
 * reference in the audit log (it may name the family). */
static int place_hist(struct db *db, const struct audit_who *who, const char *fref,
		      int64_t first, const char *cref, const char *reason, int64_t *id,
		      struct errinfo *e)
{
	char fid[24], summary[160];
	struct db_stmt *st = db_prepare(db, "SELECT 1 FROM safeguarding_holds WHERE"
		" history_family_ref = :r AND released_at IS NULL");
	db_bind_text(st, ":r", fref);
	bool held = db_next(st);
	int rc = db_finalize(st);
	if (rc)
		return rc;
	if (held)
		return errinfo_set(e, HE_CONFLICT, "ref", "The family of case %s is already held",
				   cref);
	if ((rc = hold_insert(db, who, 0, fref, reason, id)))
		return rc;
	snprintf(fid, sizeof fid, "%" PRId64, first);
	snprintf(summary, sizeof summary, "Safeguarding hold %" PRId64 " placed on the family from"
		 " before Hearth of case %s", *id, cref);
	return audit(db, who, "hold", "history_cases", fid, summary);
}

/* Inside the transaction: check the family and write the hold and audit. */
static int place_tx(struct db *db, const struct audit_who *who, const char *ref,
		    const char *reason, int64_t *id, struct errinfo *e)
{
	int64_t family, first;
	char fref[32], fid[24], summary[120], cref[64];
	bool anonymised = false, held;
	int rc = family_of_ref(db, ref, &family, fref, &anonymised);
	if (rc)
		return rc;
	if (!family) {   /* a family from before Hearth whose children are in no family of ours */
		struct arena a;
		const char *hist;
		arena_init(&a);
		rc = hist_family_of_ref(db, &a, ref, &hist, &first, cref, &anonymised);
		if (!rc && !*hist)
			rc = errinfo_set(e, HE_NOT_FOUND, "ref", "There is no family or case %s", ref);
		else if (!rc && anonymised)
			rc = errinfo_set(e, HE_CONFLICT, "ref", "The family of case %s has already"
					 " been anonymised", cref);
		else if (!rc)
			rc = place_hist(db, who, hist, first, cref, reason, id, e);
		arena_free(&a);
		return rc;
	}
	if (anonymised)
		return errinfo_set(e, HE_CONFLICT, "ref", "Family %s has already been anonymised",
				   fref);
	if ((rc = hold_active(db, family, &held)))
		return rc;
	if (held)
		return errinfo_set(e, HE_CONFLICT, "ref", "Family %s is already held", fref);
	if ((rc = hold_insert(db, who, family, NULL, reason, id)))
		return rc;
	snprintf(fid, sizeof fid, "%" PRId64, family);
	/* the reason is free text and may name people: not in the audit log */
	snprintf(summary, sizeof summary, "Safeguarding hold %" PRId64 " placed on family %s",
		 *id, fref);
	return audit(db, who, "hold", "families", fid, summary);
}

int hold_place(struct db *db, const struct audit_who *who, const char *ref, const char *reason,
	       int64_t *id, struct errinfo *e)
{
	int64_t got = 0;
	if (!ref || text_blank(ref))
		return errinfo_set(e, HE_MISSING, "ref", "Enter the family (F-…) or case (C-…)"
				   " reference, or an old case or family reference");
	int rc = text_field_check(reason, true, HOLD_REASON_MAX, "reason", "the reason for the hold",
				  e);
	if (rc)
		return rc;
	if ((rc = db_begin(db)))
		return errinfo_set(e, rc, "", "The hold could not be saved");
	rc = place_tx(db, who, ref, reason, &got, e);
	if (!rc)
		rc = db_commit(db);
	if (rc) {
		db_rollback(db);
		if (rc >= HE_DB)
			errinfo_set(e, rc, "", "The hold could not be saved");
		return rc;
	}
	if (id)
		*id = got;
	return HE_OK;
}

static int release_tx(struct db *db, const struct audit_who *who, int64_t id, const char *reason,
		      struct errinfo *e)
{
	char now[21], fid[24], summary[120];
	timestamp_format(time(NULL), now);
	/* a history family's: its first case (the old family reference may name it) */
	struct db_stmt *st = db_prepare(db, "SELECT coalesce(h.family_id, (SELECT min(hc.id) FROM"
		" history_cases hc WHERE hc.family_ref = h.history_family_ref)), f.ref, h.released_at,"
		" (SELECT hc.case_ref FROM history_cases hc WHERE hc.family_ref = h.history_family_ref"
		" ORDER BY hc.id LIMIT 1) FROM safeguarding_holds h LEFT JOIN families f ON"
		" f.id = h.family_id WHERE h.id = :id");
	db_bind_int(st, ":id", id);
	int64_t family = 0;
	bool released = false, hist = false;
	if (db_next(st)) {
		family = db_is_null(st, 0) ? -1 : db_int(st, 0);
		hist = db_is_null(st, 1);
		if (hist)
			snprintf(summary, sizeof summary, "Safeguarding hold %" PRId64 " on the family"
				 " from before Hearth of case %s released", id, db_text(st, 3));
		else
			snprintf(summary, sizeof summary, "Safeguarding hold %" PRId64 " on family %s"
				 " released", id, db_text(st, 1));
		released = !db_is_null(st, 2);
	}
	int rc = db_finalize(st);
	if (rc)
		return rc;
	if (!family)
		return errinfo_set(e, HE_NOT_FOUND, "", "There is no such hold");
	if (released)
		return errinfo_set(e, HE_CONFLICT, "", "This hold has already been released");
	st = db_prepare(db, "UPDATE safeguarding_holds SET released_at = :now, released_by = :by,"
		" release_reason = :reason WHERE id = :id AND released_at IS NULL");
	db_bind_text(st, ":now", now);
	if (who->user_id > 0)
		db_bind_int(st, ":by", who->user_id);
	else
		db_bind_null(st, ":by");
	db_bind_text(st, ":reason", reason);
	db_bind_int(st, ":id", id);
	if ((rc = db_done(st)))
		return rc;
	snprintf(fid, sizeof fid, "%" PRId64, family);
	return audit(db, who, "release", hist ? "history_cases" : "families", fid, summary);
}

int hold_release(struct db *db, const struct audit_who *who, int64_t id, const char *reason,
		 struct errinfo *e)
{
	int rc = text_field_check(reason, true, HOLD_REASON_MAX, "reason",
				  "why the hold is released", e);
	if (rc)
		return rc;
	if ((rc = db_begin(db)))
		return errinfo_set(e, rc, "", "The hold could not be released");
	rc = release_tx(db, who, id, reason, e);
	if (!rc)
		rc = db_commit(db);
	if (rc) {
		db_rollback(db);
		if (rc >= HE_DB)
			errinfo_set(e, rc, "", "The hold could not be released");
	}
	return rc;
}

int hold_list(struct db *db, struct arena *a, bool with_released, struct hold **out, size_t *n)
{
	struct db_stmt *st = db_prepare(db, "SELECT h.id, coalesce(h.family_id, 0),"
		" coalesce(f.ref, h.history_family_ref), coalesce(f.name, 'Cases from before Hearth'),"
		" h.reason, coalesce(u.name, 'Command line'), h.placed_at, v.name, h.released_at,"
		" h.release_reason FROM safeguarding_holds h LEFT JOIN families f ON f.id = h.family_id"
		" LEFT JOIN users u ON"
		" u.id = h.placed_by LEFT JOIN users v ON v.id = h.released_by"
		" WHERE :all = 1 OR h.released_at IS NULL ORDER BY h.id DESC LIMIT 500");
	db_bind_int(st, ":all", with_released ? 1 : 0);
	*n = 0;
	*out = arena_alloc(a, 500 * sizeof **out);
	while (db_next(st)) {
		struct hold *h = &(*out)[(*n)++];
		h->id = db_int(st, 0);
		h->family_id = db_int(st, 1);
		h->history = h->family_id == 0;
		h->family_ref = arena_strdup(a, db_text(st, 2));
		h->family_name = arena_strdup(a, db_text(st, 3));
		h->reason = arena_strdup(a, db_text(st, 4));
		h->placed_by = arena_strdup(a, db_text(st, 5));
		h->placed_at = arena_strdup(a, db_text(st, 6));
		h->released_by = arena_strdup(a, db_text(st, 7));
		h->released_at = arena_strdup(a, db_text(st, 8));
		h->release_reason = arena_strdup(a, db_text(st, 9));
	}
	return db_finalize(st);
}

int hold_of_family(struct db *db, struct arena *a, int64_t family_id, struct hold *out,
		   bool *found)
{
	struct db_stmt *st = db_prepare(db, "SELECT h.id, f.ref, f.name, h.reason, coalesce(u.name,"
		" 'Command line'), h.placed_at FROM safeguarding_holds h JOIN families f ON f.id ="
		" h.family_id LEFT JOIN users u ON u.id = h.placed_by WHERE h.family_id = :f"
		" AND h.released_at IS NULL ORDER BY h.id LIMIT 1");
	db_bind_int(st, ":f", family_id);
	memset(out, 0, sizeof *out);
	*found = db_next(st);
	if (*found) {
		out->id = db_int(st, 0);
		out->family_id = family_id;
		out->family_ref = arena_strdup(a, db_text(st, 1));
		out->family_name = arena_strdup(a, db_text(st, 2));
		out->reason = arena_strdup(a, db_text(st, 3));
		out->placed_by = arena_strdup(a, db_text(st, 4));
		out->placed_at = arena_strdup(a, db_text(st, 5));
	}
	return db_finalize(st);
}
