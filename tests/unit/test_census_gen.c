/* test_census_gen.c — unit tests for src/core/census_gen.c (and the demo's
 * use of it in src/core/demo.c): every row of a generated census parses
 * and passes pupil_validate with the year group its date of birth implies,
 * at a school that teaches that year; the file is the same for the same
 * seed; the indicator rates are close to England's; siblings exist and
 * attend different schools; a later extract keeps every identity and moves
 * some indicators; bad options are refused; and `hearth demo`'s pupils are
 * imported once, with two snapshots each.  The last test runs on a fresh
 * database (SQLite, or PostgreSQL when HEARTH_TEST_PG is set). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/csv.h"
#include "base/date.h"
#include "base/err.h"
#include "base/valid.h"
#include "core/audit.h"
#include "core/census_gen.h"
#include "core/demo.h"
#include "core/pupil.h"
#include "store/db.h"
#include "testdb.h"

/* A census as written and as read back. */
struct census {
	char *text;
	size_t len;
	int64_t rows;
	struct pupil_data *p;    /* validated rows */
	char (*address)[128];    /* the Address column of each row */
	size_t n;
};

static struct census_school schools[DEMO_SCHOOLS];
static size_t nschools;

static hday day(const char *s)
{
	hday d = 0;
	assert_true(date_parse(s, &d));
	return d;
}

static int group_setup(void **state)
{
	(void)state;
	return demo_census_schools(DEMO_SEED, schools, &nschools) == HE_OK &&
	       nschools == DEMO_SCHOOLS ? 0 : -1;
}

static struct census_opts opts(uint64_t seed, long pupils, const char *first,
			       const char *extract, int term)
{
	struct census_opts o = {.seed = seed, .schools = schools, .nschools = nschools,
		.pupils = pupils, .first_date = day(first), .extract_date = day(extract),
		.term = term};
	return o;
}

static int write_census(const struct census_opts *o, struct census *c)
{
	memset(c, 0, sizeof *c);
	FILE *m = open_memstream(&c->text, &c->len);
	struct census_opts oo = *o;
	oo.rows = &c->rows;
	int rc = census_write_csv(m, &oo);
	fclose(m);
	return rc;
}

/* Read the census back through the CSV reader and pupil_validate; fails
 * the test on the first bad row. */
static void read_census(struct census *c, hday today)
{
	struct csv_reader *r = csv_open_mem(c->text, c->len, NULL);
	struct csv_record rec;
	int map[CSV_FIELDS_MAX], addr_col = -1;
	assert_int_equal(csv_next(r, &rec), CSV_OK);
	assert_true(rec.n >= PF_COUNT - 1);
	for (size_t i = 0; i < rec.n; i++) {
		map[i] = pupil_field_by_header(rec.f[i].p);
		if (map[i] < 0 || strcmp(pupil_fields[map[i]].name, rec.f[i].p) != 0)
			fail_msg("header %s is not a canonical pupil field", rec.f[i].p);
		if (map[i] == PF_ADDRESS)
			addr_col = (int)i;
	}
	assert_true(addr_col >= 0);
	c->p = calloc((size_t)c->rows + 1, sizeof *c->p);
	c->address = calloc((size_t)c->rows + 1, sizeof *c->address);
	int rc;
	while ((rc = csv_next(r, &rec)) != CSV_EOF) {
		if (rc != CSV_OK)
			fail_msg("line %ld: %s", rec.line, csv_errmsg(r));
		struct pupil_rec pr = {.line = rec.line};
		for (size_t i = 0; i < rec.n; i++)
			pr.v[map[i]] = rec.f[i].len ? rec.f[i].p : NULL;
		struct errinfo e = {0};
		assert_true(c->n < (size_t)c->rows);
		if (pupil_validate(&pr, today, &c->p[c->n], &e) != HE_OK)
			fail_msg("line %ld: %s", rec.line, e.message);
		snprintf(c->address[c->n], sizeof c->address[0], "%s", rec.f[addr_col].p);
		c->n++;
	}
	csv_close(r);
	assert_int_equal(c->n, (size_t)c->rows);
}

static void free_census(struct census *c)
{
	free(c->text);
	free(c->p);
	free(c->address);
}

static const struct census_school *school_of(const char *urn)
{
	for (size_t i = 0; i < nschools; i++)
		if (strcmp(schools[i].urn, urn) == 0)
			return &schools[i];
	return NULL;
}

static int cmp_upn(const void *a, const void *b)
{
	return strcmp(((const struct pupil_data *)a)->upn, ((const struct pupil_data *)b)->upn);
}

static int cmp_family(const void *a, const void *b)
{
	const struct pupil_data *x = a, *y = b;
	int c = strcmp(x->family_key, y->family_key);
	return c ? c : strcmp(x->urn, y->urn);
}

static const struct pupil_data *find_upn(const struct census *sorted, const char *upn)
{
	struct pupil_data key;
	snprintf(key.upn, sizeof key.upn, "%s", upn);
	return bsearch(&key, sorted->p, sorted->n, sizeof key, cmp_upn);
}

/* ---- every row valid ------------------------------------------------------ */

static void test_every_row_valid(void **state)
{
	(void)state;
	struct census c;
	struct census_opts o = opts(7, 20000, "2025-07-16", "2025-07-16", 0);
	assert_int_equal(write_census(&o, &c), HE_OK);
	assert_int_equal(c.rows, 20000);
	read_census(&c, o.extract_date);
	int phase_ok = 0;
	for (size_t i = 0; i < c.n; i++) {
		const struct pupil_data *p = &c.p[i];
		const struct census_school *s = school_of(p->urn);
		if (!s)
			fail_msg("row %zu: URN %s is not a demo school", i, p->urn);
		if (p->year_group != nc_year_group(p->dob, o.extract_date))
			fail_msg("%s: year %d but born %d", p->upn, p->year_group, (int)p->dob);
		phase_ok += p->year_group >= s->first_year && p->year_group <= s->last_year;
		assert_true(p->gender == 'M' || p->gender == 'F');
		assert_int_equal(p->extract_date, o.extract_date);
		assert_false(upn_is_temporary(p->upn));
		assert_memory_equal(p->upn + 1, "856", 3);
		if (strncmp(p->postcode, "LE", 2) != 0 || p->postcode[2] < '1' || p->postcode[2] > '5')
			fail_msg("%s: postcode %s not in LE1-LE5", p->upn, p->postcode);
		assert_true(p->family_key[0]);
		assert_true(p->sess_possible > 0 && p->sess_possible <= 400);
		assert_int_equal(p->sess_attended + p->auth_absence + p->unauth_absence,
				 p->sess_possible);
		assert_int_equal(p->ehcp, p->sen == 'E');
	}
	assert_int_equal(phase_ok, (int)c.n);
	qsort(c.p, c.n, sizeof *c.p, cmp_upn);
	for (size_t i = 1; i < c.n; i++)
		if (strcmp(c.p[i - 1].upn, c.p[i].upn) == 0)
			fail_msg("UPN %s twice", c.p[i].upn);
	free_census(&c);
}

static void test_deterministic(void **state)
{
	(void)state;
	struct census a, b, d;
	struct census_opts o = opts(42, 3000, "2025-07-16", "2025-07-16", 0);
	assert_int_equal(write_census(&o, &a), HE_OK);
	assert_int_equal(write_census(&o, &b), HE_OK);
	o.seed = 43;
	assert_int_equal(write_census(&o, &d), HE_OK);
	assert_true(a.len > 3000 * 100);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.text, b.text, a.len);
	assert_true(a.len != d.len || memcmp(a.text, d.text, a.len) != 0);
	free_census(&a);
	free_census(&b);
	free_census(&d);
}

/* ---- rates ------------------------------------------------------------------ */

#define PCT(k, n) (100.0 * (double)(k) / (double)(n))

static void expect_rate(const char *what, double got, double lo, double hi)
{
	if (got < lo || got > hi)
		fail_msg("%s: %.2f%% not in %.2f–%.2f%%", what, got, lo, hi);
}

static void test_rates(void **state)
{
	(void)state;
	struct census c;
	struct census_opts o = opts(DEMO_SEED, 50000, "2025-07-16", "2025-07-16", 0);
	assert_int_equal(write_census(&o, &c), HE_OK);
	read_census(&c, o.extract_date);
	size_t n = c.n, pa = 0, sa = 0, fsm = 0, k = 0, e = 0, eal = 0, eal_new = 0, lac = 0,
	       cin = 0, cp = 0, yc = 0, moves = 0, below = 0, sec = 0, susp = 0, repeat = 0,
	       yj = 0, pex = 0, teens = 0, yp = 0, pa_fsm = 0;
	for (size_t i = 0; i < n; i++) {
		const struct pupil_data *p = &c.p[i];
		bool is_pa = p->sess_attended * 10 < p->sess_possible * 9;
		pa += is_pa;
		sa += p->sess_attended * 2 < p->sess_possible;
		fsm += p->fsm == 1;
		pa_fsm += is_pa && p->fsm == 1;
		k += p->sen == 'K';
		e += p->sen == 'E';
		eal += p->eal == 1;
		eal_new += p->eal_new == 1;
		lac += p->looked_after == 1;
		cin += p->cin == 1;
		cp += p->cp == 1;
		yc += p->young_carer == 1;
		moves += p->moves >= 3;
		below += p->below_expected == 1;
		pex += p->perm_exclusion == 1;
		if (p->year_group >= 7 && p->year_group <= 11) {
			sec++;
			susp += p->suspensions > 0;
			repeat += p->suspensions >= 2;
			yj += p->youth_justice == 1;
		}
		if (age_on(p->dob, o.extract_date) >= 15 && p->year_group <= 11) {
			teens++;
			yp += p->young_parent == 1;
		}
	}
	expect_rate("persistent absence", PCT(pa, n), 18, 22);
	expect_rate("severe absence", PCT(sa, n), 1.4, 2.6);
	expect_rate("FSM", PCT(fsm, n), 22.5, 25.5);
	expect_rate("SEN support", PCT(k, n), 11.5, 14.5);
	expect_rate("EHC plan", PCT(e, n), 4.2, 5.8);
	expect_rate("EAL", PCT(eal, n), 17, 23);
	expect_rate("new to English", PCT(eal_new, n), 1.4, 2.6);
	expect_rate("looked after", PCT(lac, n), 0.45, 0.95);
	expect_rate("child in need", PCT(cin, n), 2.3, 3.8);
	expect_rate("child protection", PCT(cp, n), 0.3, 0.8);
	expect_rate("young carer", PCT(yc, n), 1.4, 2.6);
	expect_rate("3+ school moves", PCT(moves, n), 2.2, 3.8);
	expect_rate("below expected", PCT(below, n), 31, 39);
	expect_rate("permanent exclusion", PCT(pex, n), 0.02, 0.25);
	expect_rate("suspended (secondary)", PCT(susp, sec), 4, 7);
	expect_rate("youth justice (secondary)", PCT(yj, sec), 0.25, 0.9);
	expect_rate("young parent (15-16)", PCT(yp, teens), 0.02, 0.4);
	assert_true(repeat > susp / 4);  /* some suspended more than once */
	/* FSM pupils are persistently absent far more often than the rest */
	assert_true(PCT(pa_fsm, fsm) > 1.6 * PCT(pa - pa_fsm, n - fsm));
	/* special schools: nearly all have EHC plans */
	size_t special = 0, special_e = 0;
	for (size_t i = 0; i < n; i++) {
		const struct census_school *s = school_of(c.p[i].urn);
		if (strcmp(s->phase, "special") == 0) {
			special++;
			special_e += c.p[i].sen == 'E';
		}
	}
	assert_true(special > 100);
	expect_rate("EHC plans in special schools", PCT(special_e, special), 85, 97);
	free_census(&c);
}

/* ---- families ----------------------------------------------------------- */

static void test_siblings_across_schools(void **state)
{
	(void)state;
	struct census c;
	struct census_opts o = opts(DEMO_SEED, 20000, "2025-07-16", "2025-07-16", 0);
	assert_int_equal(write_census(&o, &c), HE_OK);
	read_census(&c, o.extract_date);
	qsort(c.p, c.n, sizeof *c.p, cmp_family);
	size_t with_sibling = 0, across = 0, families = 0, same_surname = 0;
	for (size_t i = 0; i < c.n;) {
		size_t j = i + 1;
		bool schools_differ = false, surnames_same = true;
		while (j < c.n && strcmp(c.p[j].family_key, c.p[i].family_key) == 0) {
			schools_differ |= strcmp(c.p[j].urn, c.p[i].urn) != 0;
			surnames_same &= strcmp(c.p[j].surname, c.p[i].surname) == 0;
			assert_string_equal(c.p[j].postcode, c.p[i].postcode);
			if (c.p[j].dob == c.p[i].dob)
				fail_msg("siblings %s and %s born the same day", c.p[i].upn, c.p[j].upn);
			j++;
		}
		if (j - i > 1) {
			families++;
			with_sibling += j - i;
			across += schools_differ ? j - i : 0;
			same_surname += surnames_same;
			assert_true(j - i <= 4);
		}
		i = j;
	}
	expect_rate("pupils with a sibling", PCT(with_sibling, c.n), 34, 46);
	expect_rate("pupils with a sibling at another school", PCT(across, c.n), 25, 46);
	expect_rate("families sharing one surname", PCT(same_surname, families), 65, 95);
	free_census(&c);
}

/* ---- later extracts --------------------------------------------------------- */

static int attendance_pct(const struct pupil_data *p)
{
	return p->sess_possible ? 100 * p->sess_attended / p->sess_possible : 100;
}

static void test_later_extract_same_children(void **state)
{
	(void)state;
	struct census a, b;
	struct census_opts o = opts(DEMO_SEED, 20000, "2025-07-16", "2025-07-16", 0);
	assert_int_equal(write_census(&o, &a), HE_OK);
	read_census(&a, o.extract_date);
	o = opts(DEMO_SEED, 20000, "2025-07-16", "2025-11-13", 1);
	assert_int_equal(write_census(&o, &b), HE_OK);
	read_census(&b, o.extract_date);
	qsort(b.p, b.n, sizeof *b.p, cmp_upn);
	size_t found = 0, leavers = 0, moved_up = 0, worse = 0, better = 0, new_susp = 0,
	       changed_school = 0, new_cin = 0;
	for (size_t i = 0; i < a.n; i++) {
		const struct pupil_data *p = &a.p[i], *q = find_upn(&b, p->upn);
		if (!q) {
			leavers += p->year_group >= 11;
			continue;
		}
		found++;
		assert_string_equal(p->forename, q->forename);
		assert_string_equal(p->surname, q->surname);
		assert_int_equal(p->dob, q->dob);
		assert_int_equal(p->gender, q->gender);
		assert_string_equal(p->family_key, q->family_key);
		assert_string_equal(p->postcode, q->postcode);
		moved_up += q->year_group == p->year_group + 1;
		changed_school += strcmp(p->urn, q->urn) != 0;
		int d = attendance_pct(q) - attendance_pct(p);
		worse += d <= -5;
		better += d >= 5;
		new_susp += p->suspensions == 0 && q->suspensions > 0;
		new_cin += p->cin == 0 && q->cin == 1;
	}
	/* everyone but most Year 11s and all Year 13s is still here, a year on */
	assert_true(found + leavers >= a.n * 99 / 100);
	assert_int_equal(moved_up, found);
	assert_true(changed_school > found / 20);   /* Year 6 to 7, infants to juniors */
	expect_rate("attending worse", PCT(worse, found), 5, 16);
	expect_rate("attending better", PCT(better, found), 2, 16);
	assert_true(new_susp > 20);
	assert_true(new_cin > 5);
	/* new children arrived: Reception and nursery pupils not there before */
	size_t newcomers = b.n - found;
	assert_true(newcomers > 500);
	free_census(&a);
	free_census(&b);
}

static void test_later_in_same_year_keeps_places(void **state)
{
	(void)state;
	struct census a, b;
	struct census_opts o = opts(9, 5000, "2025-10-01", "2025-10-01", 0);
	assert_int_equal(write_census(&o, &a), HE_OK);
	read_census(&a, o.extract_date);
	o = opts(9, 5000, "2025-10-01", "2026-02-02", 2);
	assert_int_equal(write_census(&o, &b), HE_OK);
	read_census(&b, o.extract_date);
	assert_int_equal(a.n, b.n);
	size_t differ = 0;
	for (size_t i = 0; i < a.n; i++) {
		assert_string_equal(a.p[i].upn, b.p[i].upn);
		assert_string_equal(a.p[i].urn, b.p[i].urn);
		assert_int_equal(a.p[i].year_group, b.p[i].year_group);
		assert_true(b.p[i].sess_possible >= a.p[i].sess_possible);
		differ += attendance_pct(&a.p[i]) != attendance_pct(&b.p[i]) ||
			  a.p[i].sen != b.p[i].sen || a.p[i].cin != b.p[i].cin;
	}
	assert_true(differ > a.n / 20 && differ < a.n);
	free_census(&a);
	free_census(&b);
}

static void test_bad_options(void **state)
{
	(void)state;
	struct census c;
	struct census_opts o = opts(1, 100, "2025-07-16", "2025-07-15", 1);
	assert_int_equal(write_census(&o, &c), HE_INVALID);  /* extract before first */
	free_census(&c);
	o = opts(1, 100, "2025-07-16", "2025-09-16", 0);
	assert_int_equal(write_census(&o, &c), HE_INVALID);  /* term 0 on another date */
	free_census(&c);
	o = opts(1, 100, "2025-07-16", "2025-07-16", 0);
	o.nschools = 0;
	assert_int_equal(write_census(&o, &c), HE_INVALID);
	free_census(&c);
	struct census_school one;
	assert_int_equal(census_school_init(&one, "12345", "primary", 0, NULL), HE_INVALID);
	assert_int_equal(census_school_init(&one, "123456", "polytechnic", 0, NULL), HE_INVALID);
	assert_int_equal(census_school_init(&one, "123456", "secondary", 0, "LE4 6TJ"), HE_OK);
	assert_int_equal(one.first_year, 7);
	assert_int_equal(one.last_year, 11);
	/* one nursery cannot take a million pupils: its UPN serials run out */
	assert_int_equal(census_school_init(&one, "123456", "nursery", 0, NULL), HE_OK);
	o.schools = &one;
	o.nschools = 1;
	o.pupils = 1000000;
	assert_int_equal(write_census(&o, &c), HE_INVALID);
	free_census(&c);
	o.pupils = 0;  /* header only */
	assert_int_equal(write_census(&o, &c), HE_OK);
	assert_int_equal(c.rows, 0);
	assert_non_null(strstr(c.text, "UPN,Forename,Surname"));
	free_census(&c);
}

/* ---- the demo's pupils -------------------------------------------------- */

static int64_t count(struct db *db, const char *sql)
{
	struct db_stmt *st = db_prepare(db, sql);
	int64_t n = db_next(st) ? db_int(st, 0) : -1;
	if (db_finalize(st) != HE_OK)
		fail_msg("%s: %s", sql, db_errmsg(db));
	return n;
}

static void test_demo_pupils_imported_once(void **state)
{
	struct testdb *f = *state;
	const struct audit_who who = {.route = "cli demo", .role = "none"};
	char *log = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&log, &len);
	assert_int_equal(demo_seed(f->db, &who, DEMO_SEED, m), HE_OK);
	assert_int_equal(demo_seed_pupils(f->db, &who, DEMO_SEED, 3000, m), HE_OK);
	fflush(m);
	/* an extract on each census day of the last two years, one import each */
	hday days[DEMO_CENSUS_MAX];
	int n = demo_census_days(date_today(), days, DEMO_CENSUS_MAX);
	assert_true(n >= 5);
	int64_t pupils = count(f->db, "SELECT count(*) FROM pupils");
	assert_true(pupils >= 3000 && pupils < 3900);   /* two Septembers of new starters */
	assert_int_equal(count(f->db, "SELECT count(DISTINCT extract_date) FROM pupil_snapshots"), n);
	assert_int_equal(count(f->db, "SELECT count(*) FROM imports WHERE status = 'applied'"), n);
	assert_int_equal(count(f->db, "SELECT count(*) FROM import_errors"), 0);
	/* most pupils are in several extracts, and some scores rose */
	assert_true(count(f->db, "SELECT count(*) FROM (SELECT pupil_id FROM pupil_snapshots"
			  " GROUP BY pupil_id HAVING count(*) >= 3) AS several") > 2500);
	assert_true(count(f->db, "SELECT count(*) FROM pupil_snapshots a JOIN pupil_snapshots b"
			  " ON a.pupil_id = b.pupil_id AND a.extract_date < b.extract_date"
			  " WHERE b.risk_score > a.risk_score") > 100);
	assert_non_null(strstr(log, "imported"));
	/* a second run imports nothing */
	int64_t snaps = count(f->db, "SELECT count(*) FROM pupil_snapshots");
	assert_int_equal(demo_seed_pupils(f->db, &who, DEMO_SEED, 3000, m), HE_OK);
	fclose(m);
	assert_non_null(strstr(log, "already present"));
	assert_int_equal(count(f->db, "SELECT count(*) FROM pupil_snapshots"), snaps);
	assert_int_equal(count(f->db, "SELECT count(*) FROM imports"), n);
	free(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_row_valid),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_siblings_across_schools),
		cmocka_unit_test(test_later_extract_same_children),
		cmocka_unit_test(test_later_in_same_year_keeps_places),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test_setup_teardown(test_demo_pupils_imported_once, testdb_setup,
						testdb_teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
