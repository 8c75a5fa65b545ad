/* demo_dataprot.c — the demo's data protection duties (see dataprot.h,
 * demo_seed_dataprot).
 *
 * The live demo covers eighteen months, so nothing in it is past a six
 * year retention period.  To show retention at work, three families whose
 * cases were carried over from the partnership's earlier case system are
 * added as they stood when their cases closed eight to ten years ago: the
 * children (now in their mid-twenties, long left school) with their pupil
 * records, a parent, the referral, the case with a few contacts and a
 * chronology.  Two are due for anonymisation; the third is held (a civil
 * claim).  Their first episodes, from the years before, are among the
 * cases loaded from before Hearth (history_cases, naming the elder child's
 * UPN), with one more history family the old records never linked to a
 * pupil: three history families due, the Mistry one held with its family,
 * and the never-linked one held by its old family reference (a hold on a
 * family from before Hearth alone).  A third hold sits on a recently
 * closed live case, and the
 * export register has the exports a partnership makes in a term: risk
 * lists, the Schools Forum workbook, a subject access export.  All written
 * as the system, in one transaction, with one audit row for the families;
 * the holds through hold_place (audited each). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/valid.h"
#include "core/audit.h"
#include "core/dataprot.h"
#include "store/db.h"

struct old_family {
	const char *surname, *parent, *relationship, *child1, *child2, *address, *postcode;
	int born1, born2;           /* year of birth */
	int closed_years_ago;
	const char *reason, *needs, *closure_reason, *note;
};

static const struct old_family old[] = {
	{"Okafor", "Grace Okafor", "mother", "Daniel", "Ruth", "14 Aylestone Walk", "LE2 7QP",
	 1999, 2001, 9, "Daniel's attendance has fallen to 68% and he is often late.",
	 "attendance,parenting", "outcomes_met",
	 "Mum worried about Daniel staying out late; agreed morning routine."},
	{"Brennan", "Sean Brennan", "father", "Aoife", NULL, "3 Fosse Road North", "LE3 5EA",
	 2000, 0, 8, "Aoife is a young carer for her father and misses school on his bad days.",
	 "young_carer,health", "outcomes_met",
	 "Dad's hospital appointments moved to after school; young carers group weekly."},
	{"Mistry", "Priya Mistry", "mother", "Kiran", NULL, "27 Loughborough Road", "LE4 5LN",
	 1999, 0, 10, "Kiran was suspended twice this term after fights.",
	 "behaviour,emotional_health", "disengaged",
	 "Family did not take up the mentoring; Kiran says things are better at home."},
};
#define NOLD (sizeof old / sizeof old[0])

static int64_t one_int(struct db *db, const char *sql, const char *text)
{
	struct db_stmt *st = db_prepare(db, sql);
	if (text)
		db_bind_text(st, ":t", text);
	int64_t v = db_next(st) ? db_int(st, 0) : 0;
	db_finalize(st);
	return v;
}

static int insert_id(struct db_stmt *st, int64_t *id)
{
	*id = db_next(st) ? db_int(st, 0) : 0;
	int rc = db_finalize(st);
	return rc ? rc : *id ? HE_OK : HE_INTERNAL;
}

static int set_ref(struct db *db, const char *table, const char *prefix, int64_t id)
{
	char ref[16];
	snprintf(ref, sizeof ref, "%s-%06" PRId64, prefix, id);
	/* table is one of our own literals */
	const char *sql = !strcmp(table, "families") ? "UPDATE families SET ref = :ref WHERE id = :id"
		: !strcmp(table, "referrals") ? "UPDATE referrals SET ref = :ref WHERE id = :id"
		: "UPDATE cases SET ref = :ref WHERE id = :id";
	struct db_stmt *st = db_prepare(db, sql);
	db_bind_text(st, ":ref", ref);
	db_bind_int(st, ":id", id);
	return db_done(st);
}

/* A pupil of the demo school born in year, with a made-up UPN. */
static int add_pupil(struct db *db, int64_t school, const char *forename, const char *surname,
		     int year, int n, const char *postcode, const char *now, int64_t *id)
{
	char twelve[32], upn[40], dob[32];
	snprintf(twelve, sizeof twelve, "99821%02u%05u", (unsigned)year % 100u,
		 (700u + (unsigned)n) % 100000u);
	snprintf(upn, sizeof upn, "%c%s", upn_check_letter(twelve), twelve);
	snprintf(dob, sizeof dob, "%04u-%02u-%02u", (unsigned)year % 10000u, 3u + (unsigned)n % 9u,
		 5u + (unsigned)n % 20u);
	struct db_stmt *st = db_prepare(db, "INSERT INTO pupils (upn, school_id, forename, surname,"
		" dob, gender, postcode, created_at, updated_at) VALUES (:upn, :s, :fn, :sn, :dob,"
		" :g, :pc, :now, :now) RETURNING id");
	db_bind_text(st, ":upn", upn);
	db_bind_int(st, ":s", school);
	db_bind_text(st, ":fn", forename);
	db_bind_text(st, ":sn", surname);
	db_bind_text(st, ":dob", dob);
	db_bind_text(st, ":g", n % 2 ? "F" : "M");
	db_bind_text(st, ":pc", postcode);
	db_bind_text(st, ":now", now);
	return insert_id(st, id);
}

static int add_member(struct db *db, int64_t family, int64_t pupil, const char *name,
		      const char *rel, bool child, const char *now)
{
	struct db_stmt *st = db_prepare(db, "INSERT INTO family_members (family_id, pupil_id, name,"
		" relationship, is_child, phone, created_at) VALUES (:f, :p, :name, :rel, :child,"
		" :phone, :now)");
	db_bind_int(st, ":f", family);
	if (pupil)
		db_bind_int(st, ":p", pupil);
	else
		db_bind_null(st, ":p");
	db_bind_text(st, ":name", name);
	db_bind_text(st, ":rel", rel);
	db_bind_int(st, ":child", child ? 1 : 0);
	if (child)
		db_bind_null(st, ":phone");
	else
		db_bind_text(st, ":phone", "0116 496 0999");
	db_bind_text(st, ":now", now);
	return db_done(st);
}

static int add_event(struct db *db, int64_t family, int64_t referral, int64_t case_id,
		     const char *on, const char *kind, const char *summary, const char *detail,
		     const char *now)
{
	struct db_stmt *st = db_prepare(db, "INSERT INTO case_events (family_id, referral_id, case_id,"
		" on_date, kind, summary, detail, recorded_at) VALUES (:f, :r, :c, :on, :kind, :sum,"
		" :detail, :now)");
	db_bind_int(st, ":f", family);
	db_bind_int(st, ":r", referral);
	if (case_id)
		db_bind_int(st, ":c", case_id);
	else
		db_bind_null(st, ":c");
	db_bind_text(st, ":on", on);
	db_bind_text(st, ":kind", kind);
	db_bind_text(st, ":sum", summary);
	db_bind_text(st, ":detail", detail);
	db_bind_text(st, ":now", now);
	return db_done(st);
}

struct dates {
	char referred[11], opened[11], visit[11], closed[11];
};

static void old_dates(hday today, int years_ago, struct dates *d)
{
	int y, m, dd;
	date_to_ymd(today, &y, &m, &dd);
	hday closed = date_from_ymd(y - years_ago, 3, 20);
	date_format(closed - 200, d->referred);
	date_format(closed - 190, d->opened);
	date_format(closed - 120, d->visit);
	date_format(closed, d->closed);
}

static int add_family(struct db *db, const struct old_family *o, int64_t *family, const char *now)
{
	char name[80];
	snprintf(name, sizeof name, "%s family", o->surname);
	struct db_stmt *st = db_prepare(db, "INSERT INTO families (ref, name, address, postcode,"
		" created_at, updated_at) VALUES (:ref, :name, :addr, :pc, :now, :now) RETURNING id");
	db_bind_text(st, ":ref", "tmp-old-family");
	db_bind_text(st, ":name", name);
	db_bind_text(st, ":addr", o->address);
	db_bind_text(st, ":pc", o->postcode);
	db_bind_text(st, ":now", now);
	int rc = insert_id(st, family);
	return rc ? rc : set_ref(db, "families", "F", *family);
}

static int add_referral(struct db *db, const struct old_family *o, int64_t family, int64_t school,
			const struct dates *d, int64_t *referral)
{
	char at[21], decided[21];
	snprintf(at, sizeof at, "%sT09:30:00Z", d->referred);
	snprintf(decided, sizeof decided, "%sT14:00:00Z", d->opened);
	struct db_stmt *st = db_prepare(db, "INSERT INTO referrals (ref, family_id, source, school_id,"
		" level_of_need, needs, reason, tried, status, received_at, decided_at) VALUES"
		" ('tmp-old-referral', :f, 'school', :s, 2, :needs, :reason, 'Meetings with the family',"
		" 'accepted', :at, :decided) RETURNING id");
	db_bind_int(st, ":f", family);
	db_bind_int(st, ":s", school);
	db_bind_text(st, ":needs", o->needs);
	db_bind_text(st, ":reason", o->reason);
	db_bind_text(st, ":at", at);
	db_bind_text(st, ":decided", decided);
	int rc = insert_id(st, referral);
	return rc ? rc : set_ref(db, "referrals", "R", *referral);
}

static int add_case(struct db *db, const struct old_family *o, int64_t family, int64_t referral,
		    int64_t worker, const struct dates *d, const char *now, int64_t *case_id)
{
	struct db_stmt *st = db_prepare(db, "INSERT INTO cases (ref, family_id, referral_id, worker_id,"
		" status, opened_on, closed_on, closure_reason, closure_note, family_view, created_at,"
		" updated_at) VALUES ('tmp-old-case', :f, :r, :w, 'closed', :opened, :closed, :reason,"
		" :note, 'We feel listened to.', :now, :now) RETURNING id");
	db_bind_int(st, ":f", family);
	db_bind_int(st, ":r", referral);
	db_bind_int(st, ":w", worker);
	db_bind_text(st, ":opened", d->opened);
	db_bind_text(st, ":closed", d->closed);
	db_bind_text(st, ":reason", o->closure_reason);
	db_bind_text(st, ":note", o->note);
	db_bind_text(st, ":now", now);
	int rc = insert_id(st, case_id);
	if (rc || (rc = set_ref(db, "cases", "C", *case_id)))
		return rc;
	st = db_prepare(db, "INSERT INTO contacts (case_id, worker_id, at, kind, duration_min, seen,"
		" place, notes, recorded_at) VALUES (:c, :w, :at, 'home_visit', 60, :seen, 'Home',"
		" :notes, :now)");
	db_bind_int(st, ":c", *case_id);
	db_bind_int(st, ":w", worker);
	db_bind_text(st, ":at", d->visit);
	db_bind_text(st, ":seen", o->parent);
	db_bind_text(st, ":notes", o->note);
	db_bind_text(st, ":now", now);
	return db_done(st);
}

static int seed_old(struct db *db, const struct old_family *o, int n, hday today, int64_t school,
		    int64_t worker, const char *now, int64_t *case_id, int64_t *elder)
{
	struct dates d;
	int64_t family, referral, p1 = 0, p2 = 0;
	old_dates(today, o->closed_years_ago, &d);
	int rc = add_family(db, o, &family, now);
	if (!rc)
		rc = add_pupil(db, school, o->child1, o->surname, o->born1, 2 * n, o->postcode, now, &p1);
	if (!rc && o->child2)
		rc = add_pupil(db, school, o->child2, o->surname, o->born2, 2 * n + 1, o->postcode, now,
			       &p2);
	char full[80];
	snprintf(full, sizeof full, "%s %s", o->child1, o->surname);
	if (!rc)
		rc = add_member(db, family, p1, full, "child", true, now);
	snprintf(full, sizeof full, "%s %s", o->child2 ? o->child2 : "", o->surname);
	if (!rc && p2)
		rc = add_member(db, family, p2, full, "child", true, now);
	if (!rc)
		rc = add_member(db, family, 0, o->parent, o->relationship, false, now);
	if (!rc)
		rc = add_referral(db, o, family, school, &d, &referral);
	if (!rc)
		rc = add_case(db, o, family, referral, worker, &d, now, case_id);
	if (!rc)
		rc = add_event(db, family, referral, 0, d.referred, "referred", "Referred by the school",
			       o->reason, now);
	if (!rc)
		rc = add_event(db, family, referral, *case_id, d.closed, "closed", "Case closed",
			       o->note, now);
	*elder = p1;
	return rc;
}

/* ---- their first episodes, among the cases from before Hearth ------------------ */

struct old_episode {
	const char *case_ref, *family_ref, *worker;
	int years_ago;              /* closed (or signposted) this many years ago */
	const char *referred, *commission, *closed;   /* the events' free text */
	int64_t amount;             /* pence; 0: no commission */
	const char *reason;         /* the closure's */
};

/* By old[]: Okafor, Brennan, Mistry; then a family never linked to a pupil. */
static const struct old_episode episodes[] = {
	{"LST-2013-0117", "LSTF-0412", "Janet Hollis", 12,
	 "Grace Okafor asked for help with Daniel's bedtimes and mornings.",
	 "Bunk beds for Daniel and Ruth", "Routine settled; Grace confident to carry on.", 32000,
	 "outcomes_met"},
	{"LST-2014-0231", "LSTF-0519", "Pete Marsh", 11,
	 "Aoife Brennan late most mornings; father unwell.", NULL,
	 "Young carers assessment done; family moved on to the carers' service.", 0,
	 "outcomes_met"},
	{"LST-2012-0088", "LSTF-0377", "Janet Hollis", 13,
	 "Kiran Mistry in fights at school; mother asked for help.", "Mentoring, ten sessions",
	 "Kiran stopped attending the mentoring.", 45000, "disengaged"},
	{"LST-2015-0302", "LSTF-0640", "Pete Marsh", 9,
	 "A self-referral about rent arrears and the children's school uniform.", NULL,
	 "Signposted to the council's welfare rights team.", 0, NULL},
};
#define NEPISODES (sizeof episodes / sizeof episodes[0])

static int add_history_event(struct db *db, int64_t case_id, hday on, const char *kind,
			     const char *source, const char *reason, int64_t amount,
			     const char *detail)
{
	char d[11];
	date_format(on, d);
	struct db_stmt *st = db_prepare(db, "INSERT INTO history_events (case_id, on_date, kind,"
		" source, reason, amount_pence, detail) VALUES (:c, :on, :kind, :src, :reason, :amount,"
		" :detail)");
	db_bind_int(st, ":c", case_id);
	db_bind_text(st, ":on", d);
	db_bind_text(st, ":kind", kind);
	db_bind_text(st, ":src", source);
	db_bind_text(st, ":reason", reason);
	if (amount)
		db_bind_int(st, ":amount", amount);
	else
		db_bind_null(st, ":amount");
	db_bind_text(st, ":detail", detail ? detail : "");
	return db_done(st);
}

/* Episode e of the load imp: the case (linked to pupil, 0 for none) and
 * its events; the dates on the case are kept by the 0009 triggers. */
static int seed_episode(struct db *db, const struct old_episode *e, int64_t imp, int64_t school,
			int64_t pupil, hday today)
{
	int y, m, d;
	date_to_ymd(today, &y, &m, &d);
	hday end = date_from_ymd(y - e->years_ago, 7, 18), ref = end - 150;
	int64_t id;
	struct db_stmt *st = db_prepare(db, "INSERT INTO history_cases (import_id, case_ref,"
		" family_ref, school_id, pupil_id, worker_name) VALUES (:imp, :ref, :fam, :s, :p,"
		" :w) RETURNING id");
	db_bind_int(st, ":imp", imp);
	db_bind_text(st, ":ref", e->case_ref);
	db_bind_text(st, ":fam", e->family_ref);
	db_bind_int(st, ":s", school);
	if (pupil)
		db_bind_int(st, ":p", pupil);
	else
		db_bind_null(st, ":p");
	db_bind_text(st, ":w", e->worker);
	int rc = insert_id(st, &id);
	if (!rc)
		rc = add_history_event(db, id, ref, "referred", pupil ? "school" : "self", NULL, 0,
				       e->referred);
	if (!rc && !pupil)   /* never became a case */
		return add_history_event(db, id, end, "signposted", NULL, NULL, 0, e->closed);
	if (!rc)
		rc = add_history_event(db, id, ref + 6, "accepted", NULL, NULL, 0, NULL);
	if (!rc)
		rc = add_history_event(db, id, ref + 20, "allocated", NULL, NULL, 0, NULL);
	if (!rc && e->amount)
		rc = add_history_event(db, id, ref + 60, "commission", NULL, NULL, e->amount,
				       e->commission);
	if (!rc)
		rc = add_history_event(db, id, end, "closed", NULL, e->reason, 0, e->closed);
	return rc;
}

/* The load that brought the episodes in, and the episodes; pupils[i] is
 * old[i]'s elder child. */
static int seed_episodes(struct db *db, int64_t school, const int64_t pupils[NOLD], hday today,
			 const char *now)
{
	int64_t imp;
	struct db_stmt *st = db_prepare(db, "INSERT INTO history_imports (filename, sha256,"
		" imported_at, rows_total, rows_applied, rows_rejected) VALUES"
		" ('earlier-case-system.csv', :sha, :now, 16, 16, 0) RETURNING id");
	db_bind_text(st, ":sha", "d3m0000000000000000000000000000000000000000000000000000000000001");
	db_bind_text(st, ":now", now);
	int rc = insert_id(st, &imp);
	for (size_t i = 0; !rc && i < NEPISODES; i++)
		rc = seed_episode(db, &episodes[i], imp, school, i < NOLD ? pupils[i] : 0, today);
	return rc;
}

static int seed_old_families(struct db *db, const struct audit_who *who, hday today,
			     char refs[NOLD][16])
{
	char now[21];
	timestamp_format(time(NULL), now);
	int64_t school = one_int(db, "SELECT id FROM schools ORDER BY urn LIMIT 1", NULL);
	int64_t worker = one_int(db, "SELECT id FROM workers WHERE active = 1 ORDER BY id LIMIT 1",
				 NULL);
	if (!school || !worker)
		return HE_OK;       /* no demo partnership to add to */
	int64_t pupils[NOLD] = {0};
	int rc = db_begin(db);
	for (size_t i = 0; !rc && i < NOLD; i++) {
		int64_t case_id = 0;
		rc = seed_old(db, &old[i], (int)i, today, school, worker, now, &case_id, &pupils[i]);
		snprintf(refs[i], 16, "C-%06" PRId64, case_id);
	}
	if (!rc)
		rc = seed_episodes(db, school, pupils, today, now);
	if (!rc)
		rc = audit(db, who, "create", "families", NULL, "Demo: 3 families carried over from the"
			   " earlier case system (cases closed 8 to 10 years ago), and 4 of its older"
			   " cases among the cases from before Hearth");
	if (!rc)
		rc = db_commit(db);
	if (rc)
		db_rollback(db);
	return rc;
}

/* Rows for the export register, as the demo users would have made them
 * (the subject access export only when its pupil exists: a demo of no
 * pupils has none to name). */
static int seed_register(struct db *db, const char *sar_upn)
{
	static const struct {
		const char *email, *role, *route, *what, *format, *filters;
		int rows, days_ago;
	} x[] = {
		{"admin@hearth.example", "admin", "GET /pupils.csv", "pupils", "csv",
		 "risk list, band high, whole partnership", 1840, 40},
		{"viewer@hearth.example", "viewer", "GET /reports/forum.xlsx", "reports/forum", "xlsx",
		 "1 April to 31 March; all districts; all school phases; all schools", 96, 21},
		{"school@hearth.example", "school", "GET /pupils.xlsx", "pupils", "xlsx",
		 "risk list, Ratae Academy", 212, 9},
		{"coordinator@hearth.example", "coordinator", "GET /commissions.csv", "commissions",
		 "csv", "all commissions", 41, 3},
		{"auditor@hearth.example", "auditor", "GET /subject-access/pupils/{upn}",
		 "subject_access", "html", "", 57, 2},
	};
	int rc = HE_OK;
	for (size_t i = 0; !rc && i < sizeof x / sizeof x[0]; i++) {
		char at[21];
		timestamp_format(time(NULL) - (time_t)x[i].days_ago * 86400, at);
		struct db_stmt *st = db_prepare(db, "INSERT INTO export_register (at, user_id,"
			" user_email, role, route, what, format, filters, row_count, subject_kind,"
			" subject_id) SELECT :at, u.id, u.email, :role, :route, :what, :format, :filters,"
			" :rows, CASE WHEN :what = 'subject_access' THEN 'pupil' END, CASE WHEN"
			" :what = 'subject_access' THEN (SELECT p.id FROM pupils p WHERE p.upn = :upn) END"
			" FROM users u WHERE u.email = :email AND (:what <> 'subject_access'"
			" OR EXISTS (SELECT 1 FROM pupils p WHERE p.upn = :upn))");
		db_bind_text(st, ":at", at);
		db_bind_text(st, ":role", x[i].role);
		db_bind_text(st, ":route", x[i].route);
		db_bind_text(st, ":what", x[i].what);
		db_bind_text(st, ":format", x[i].format);
		db_bind_text(st, ":filters", x[i].filters);
		db_bind_int(st, ":rows", x[i].rows);
		db_bind_text(st, ":upn", sar_upn);
		db_bind_text(st, ":email", x[i].email);
		rc = db_done(st);
	}
	return rc;
}

int demo_seed_dataprot(struct db *db, const struct audit_who *who, uint32_t seed, hday today,
		       FILE *log)
{
	(void)seed;
	if (one_int(db, "SELECT count(*) FROM safeguarding_holds", NULL) > 0)
		return HE_OK;
	char refs[NOLD][16];
	struct errinfo e = {0};
	int rc = seed_old_families(db, who, today, refs);
	if (rc || !one_int(db, "SELECT count(*) FROM cases WHERE ref = :t", refs[0]))
		return rc;
	/* the Mistry family (the third) is held; so is a recently closed live case */
	rc = hold_place(db, who, refs[2], "Civil claim notified by the family's solicitor: keep"
			" the records until it is settled.", NULL, &e);
	/* the family from before Hearth no child links to a family of ours */
	if (!rc)
		rc = hold_place(db, who, episodes[NEPISODES - 1].family_ref, "The council's welfare"
				" rights team asked us to keep the records while the family's rent appeal"
				" is heard.", NULL, &e);
	char recent[32] = "";
	struct db_stmt *st = db_prepare(db, "SELECT ref FROM cases WHERE status = 'closed' AND"
		" closed_on >= :t ORDER BY closed_on DESC, id LIMIT 1");
	char since[11];
	date_format(today - 120, since);
	db_bind_text(st, ":t", since);
	if (db_next(st))
		snprintf(recent, sizeof recent, "%s", db_text(st, 0));
	int rc2 = db_finalize(st);
	rc = rc ? rc : rc2;
	if (!rc && *recent)
		rc = hold_place(db, who, recent, "Child protection enquiry about a sibling is open:"
				" preserve the family's records.", NULL, &e);
	char upn[14] = "";
	st = db_prepare(db, "SELECT p.upn FROM referral_pupils rp JOIN pupils p ON p.id ="
		" rp.pupil_id ORDER BY rp.referral_id, p.id LIMIT 1");
	if (db_next(st))
		snprintf(upn, sizeof upn, "%s", db_text(st, 0));
	rc2 = db_finalize(st);
	rc = rc ? rc : rc2;
	if (!rc) {
		if (!(rc = db_begin(db)) && !(rc = seed_register(db, upn)))
			rc = db_commit(db);
		if (rc)
			db_rollback(db);
	}
	if (!rc && log)
		fprintf(log, "hearth demo: 3 families and 4 families from before Hearth past the"
			" retention period (one held; two from before Hearth held), 3 safeguarding"
			" holds, 5 export register rows\n");
	return rc;
}
