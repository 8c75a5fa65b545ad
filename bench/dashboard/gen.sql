-- bench/dashboard/gen.sql — years of a county's family support, written
-- straight into a Hearth SQLite database (the schema of `hearth init`), for
-- the dashboard benchmark (bench/dashboard/run.sh; see bench/README.md).
--
-- Run by bench/dashboard/gen.sh in the sqlite3 shell, after it has made the
-- temp table g_cfg(s, e, h, y): the first and last day of the data and the
-- first day of live data (days since 1970-01-01), and the number of years.
-- Referrals received before h are history (history_cases/history_events,
-- as `hearth import-history` would have loaded them); from h on they are
-- live (referrals, cases, contacts, case_events, assessments, commissions).
--
-- Per year: ~20,000 new families, ~38,000 referrals (a first one per new
-- family, re-referrals, step-downs from social care), ~30,000 cases, and
-- for live cases a contact about every 10 days and the chronology's events.
-- Fixed: 8 districts, 400 schools, 1,000 workers (900 active).  Random
-- values come from random() and are stored in temp tables before they are
-- used, so a figure is drawn once (the counts vary by well under 1%
-- between runs).  No audit rows are written: the audit chain stays the one
-- `hearth init` and `hearth user add` made, and still verifies.
.bail on
-- (temp_store is set by gen.sh before g_cfg: changing it drops temp tables)
.output /dev/null
PRAGMA journal_mode = OFF;
.output
PRAGMA synchronous = OFF;
PRAGMA cache_size = -262144;
PRAGMA foreign_keys = OFF;
BEGIN;
-- Migration 0018's outcome-row triggers work rows out one write at a time;
-- paused here (as a history load and `hearth migrate` pause them) and
-- worked out once, set-wise, before the commit.
INSERT INTO outcome_rows_pause (paused) VALUES (1);

CREATE TEMP TABLE g_n AS SELECT 20000 * y AS fams, 26000 * y AS rerefs FROM g_cfg;

-- ---- the county ------------------------------------------------------------
INSERT INTO districts (id, name) VALUES (1, 'Cannock Chase'), (2, 'East Staffordshire'),
	(3, 'Lichfield'), (4, 'Newcastle-under-Lyme'), (5, 'South Staffordshire'),
	(6, 'Stafford'), (7, 'Staffordshire Moorlands'), (8, 'Tamworth');

-- 300 primary, 70 secondary, 10 middle, 15 special, 5 PRU.
INSERT INTO schools (id, urn, name, phase, district_id, postcode, created_at)
SELECT value, printf('%06d', 130000 + value),
	printf('%s %d %s', CASE value % 5 WHEN 0 THEN 'Oakfield' WHEN 1 THEN 'St Mary''s'
		WHEN 2 THEN 'Hillside' WHEN 3 THEN 'Riverside' ELSE 'Church Lane' END, value,
		CASE WHEN value <= 300 THEN 'Primary School' WHEN value <= 370 THEN 'Academy'
		WHEN value <= 380 THEN 'Middle School' WHEN value <= 395 THEN 'Special School'
		ELSE 'Pupil Referral Unit' END),
	CASE WHEN value <= 300 THEN 'primary' WHEN value <= 370 THEN 'secondary'
		WHEN value <= 380 THEN 'middle' WHEN value <= 395 THEN 'special' ELSE 'pru' END,
	1 + value % 8, printf('ST%d %dAB', 1 + value % 20, value % 10), '2016-01-01T00:00:00Z'
FROM generate_series(1, 400);

INSERT INTO workers (id, name, employer, kind, hours_per_week, skills, languages, active,
	created_at, updated_at)
SELECT value, printf('Worker %04d', value),
	CASE value % 3 WHEN 0 THEN 'County Council Early Help' ELSE printf('School %d', value % 400 + 1) END,
	CASE value % 4 WHEN 0 THEN 'family_support' WHEN 1 THEN 'parent_support' WHEN 2 THEN 'hslo'
		ELSE 'mentor' END,
	CASE WHEN value % 5 = 0 THEN 22 ELSE 37 END, 'attendance,parenting', '',
	value <= 900, '2016-01-01T00:00:00Z', '2016-01-01T00:00:00Z'
FROM generate_series(1, 1000);
INSERT INTO worker_districts (worker_id, district_id) SELECT id, 1 + id % 8 FROM workers;

INSERT INTO providers (id, name, contact, created_at)
SELECT value, printf('Provider %d', value), '', '2016-01-01T00:00:00Z' FROM generate_series(1, 10);
INSERT INTO services (id, provider_id, name, category, unit, unit_cost_pence, exit_route,
	created_at, updated_at)
SELECT value, 1 + value % 10, printf('Service %d', value),
	CASE value % 6 WHEN 0 THEN 'family_group_conferencing' WHEN 1 THEN 'therapy'
		WHEN 2 THEN 'parenting' WHEN 3 THEN 'household' WHEN 4 THEN 'mediation' ELSE 'childcare' END,
	CASE value % 3 WHEN 0 THEN 'session' WHEN 1 THEN 'one_off' ELSE 'place_week' END,
	2500 + (value * 1733) % 20000, value % 4 = 0, '2016-01-01T00:00:00Z', '2016-01-01T00:00:00Z'
FROM generate_series(1, 30);

-- A partnership budget and one per district, each financial year.
INSERT INTO budgets (name, owner_kind, district_id, period, start_year, amount_pence,
	created_at, updated_at)
SELECT CASE WHEN d.value = 0 THEN printf('Partnership pool %d', fy.value)
		ELSE printf('District %d fund %d', d.value, fy.value) END,
	CASE WHEN d.value = 0 THEN 'partnership' ELSE 'district' END,
	nullif(d.value, 0), 'financial', fy.value,
	CASE WHEN d.value = 0 THEN 150000000 ELSE 40000000 END,
	printf('%d-03-01T00:00:00Z', fy.value), printf('%d-03-01T00:00:00Z', fy.value)
FROM g_cfg,
	generate_series(CAST(strftime('%Y', date(s * 86400, 'unixepoch', '-3 months')) AS INTEGER),
		CAST(strftime('%Y', date(e * 86400, 'unixepoch', '-3 months')) AS INTEGER)) fy,
	generate_series(0, 8) d;
INSERT INTO budget_sources (budget_id, source, amount_pence)
SELECT id, 'Dedicated Schools Grant transfer', amount_pence * 3 / 5 FROM budgets
	WHERE owner_kind = 'partnership'
UNION ALL SELECT id, 'County Council', amount_pence - amount_pence * 3 / 5 FROM budgets
	WHERE owner_kind = 'partnership'
UNION ALL SELECT id, 'Schools'' contributions', amount_pence FROM budgets
	WHERE owner_kind = 'district';

-- The assessment uses 8 of the 16 default domains (the partnership retired
-- the rest), which keeps assessment_scores at 8 rows an assessment.
UPDATE assessment_domains SET active = 0 WHERE position > 8;

-- ---- families and their children -----------------------------------------
-- born: the day the family first comes to notice; families arrive evenly.
CREATE TEMP TABLE g_fam (id INTEGER PRIMARY KEY, born INT, school_id INT, sib INT, age INT,
	sib_school INT, r INT);
INSERT INTO g_fam
SELECT value, s + (value - 1) * (e - s) / fams, 1 + abs(random()) % 400, abs(random()) % 100 < 30,
	5 + abs(random()) % 11, 1 + abs(random()) % 400, abs(random())
FROM g_cfg, g_n, generate_series(1, (SELECT fams FROM g_n));

INSERT INTO families (id, ref, family_key, name, address, postcode, home_language, created_at,
	updated_at)
SELECT id, printf('F-%06d', id), printf('FK%07d', id), printf('Family %d', id),
	printf('%d High Street', id % 300 + 1), printf('ST%d %dBB', 1 + id % 20, id % 10),
	CASE WHEN r % 10 = 0 THEN 'Polish' ELSE 'English' END,
	date(born * 86400, 'unixepoch') || 'T09:00:00Z', date(born * 86400, 'unixepoch') || 'T09:00:00Z'
FROM g_fam;

-- Pupils: the first child has the family's id, a sibling fams + id, and
-- the county's other pupils (never referred) come after 2 × fams.
CREATE TEMP TABLE g_pupil (id INTEGER PRIMARY KEY, family_id INT, school_id INT, dob INT, r INT);
INSERT INTO g_pupil SELECT id, id, school_id, born - age * 365 - r % 300, r FROM g_fam;
INSERT INTO g_pupil SELECT fams + id, id, sib_school, born - (age + 2) * 365 - r % 200, r / 7
	FROM g_fam, g_n WHERE sib;
INSERT INTO g_pupil SELECT 2 * fams + value, NULL, 1 + abs(random()) % 400,
	e - 365 * (5 + abs(random()) % 11) - abs(random()) % 365, abs(random())
FROM g_cfg, g_n, generate_series(1, 100000);
INSERT INTO pupils (id, upn, school_id, forename, surname, dob, gender, postcode, family_key,
	created_at, updated_at)
SELECT p.id, printf('B%012d', p.id), p.school_id, printf('Child %d', p.id),
	printf('Family %d', coalesce(p.family_id, p.id)), date(p.dob * 86400, 'unixepoch'),
	CASE p.r % 2 WHEN 0 THEN 'F' ELSE 'M' END, NULL,
	CASE WHEN p.family_id IS NOT NULL THEN printf('FK%07d', p.family_id) END,
	'2016-01-01T00:00:00Z', '2016-01-01T00:00:00Z'
FROM g_pupil p;
INSERT INTO family_members (family_id, pupil_id, name, relationship, is_child, dob, created_at)
SELECT family_id, id, printf('Child %d', id), 'child', 1, date(dob * 86400, 'unixepoch'),
	'2016-01-01T00:00:00Z' FROM g_pupil WHERE family_id IS NOT NULL
UNION ALL SELECT id, NULL, printf('Parent %d', id), CASE r % 3 WHEN 0 THEN 'father' ELSE 'mother' END,
	0, NULL, '2016-01-01T00:00:00Z' FROM g_fam;

-- ---- referrals and cases ---------------------------------------------------
-- A first referral per family, then re-referrals of random earlier families.
CREATE TEMP TABLE g_ref (id INTEGER PRIMARY KEY, family_id INT, received INT, source TEXT,
	school_id INT, decision TEXT, decided INT, level INT, sd_from INT, r INT);
INSERT INTO g_ref (family_id, received, r)
SELECT id, born + abs(random()) % 30, abs(random()) FROM g_fam;
WITH x AS MATERIALIZED (SELECT 1 + abs(random()) % (SELECT fams FROM g_n) AS fid,
		60 + abs(random()) % 1500 AS later, abs(random()) AS r
	FROM generate_series(1, (SELECT rerefs FROM g_n)))
INSERT INTO g_ref (family_id, received, r)
SELECT f.id, f.born + x.later, x.r FROM x JOIN g_fam f ON f.id = x.fid;
DELETE FROM g_ref WHERE received > (SELECT e FROM g_cfg);
UPDATE g_ref SET
	source = CASE WHEN r % 100 < 72 THEN 'school' WHEN r % 100 < 92 THEN 'agency' ELSE 'self' END,
	level = 2 + (r / 7) % 3;
UPDATE g_ref SET school_id = (SELECT school_id FROM g_fam f WHERE f.id = g_ref.family_id)
	WHERE source = 'school';

CREATE TEMP TABLE g_case (id INTEGER PRIMARY KEY, ref_id INT UNIQUE, family_id INT, pass INT,
	worker_id INT, intensity INT, opened INT, closed INT, reason TEXT, step_up INT,
	step_down INT, r INT);
CREATE TEMP TABLE g_pass (p INT);
INSERT INTO g_pass VALUES (1);
.read bench/dashboard/gen-cases.sql

-- Step-downs from social care: a new referral (source step_down) the day a
-- stepped-up case came back, and (second pass) its case, never stepped up.
INSERT INTO g_ref (family_id, received, source, school_id, level, sd_from, r)
SELECT family_id, step_down, 'step_down', NULL, 3, id, abs(random()) FROM g_case
	WHERE step_down IS NOT NULL ORDER BY step_down;
UPDATE g_pass SET p = 2;
.read bench/dashboard/gen-cases.sql

-- ---- live data: referrals received from h on ------------------------------
CREATE TEMP TABLE g_live AS SELECT r.*, c.id AS case_id FROM g_ref r, g_cfg
	LEFT JOIN g_case c ON c.ref_id = r.id WHERE r.received >= g_cfg.h;
CREATE INDEX g_live_id ON g_live(id);
-- a step-down from a history case points at no live case
UPDATE g_live SET sd_from = NULL WHERE sd_from IS NOT NULL
	AND NOT EXISTS (SELECT 1 FROM g_case c JOIN g_live l ON l.id = c.ref_id WHERE c.id = g_live.sd_from);

INSERT INTO referrals (id, ref, family_id, source, school_id, stepped_down_from, level_of_need,
	needs, reason, tried, status, received_at, decided_at, decision_note, signposted_to)
SELECT id, printf('R-%06d', id), family_id, source, school_id, sd_from, level,
	CASE r % 5 WHEN 0 THEN 'attendance' WHEN 1 THEN 'attendance,parenting'
		WHEN 2 THEN 'emotional_health' WHEN 3 THEN 'domestic_abuse,housing' ELSE 'behaviour' END,
	'Generated for the dashboard benchmark', '', coalesce(decision, 'received'),
	date(received * 86400, 'unixepoch') || 'T10:00:00Z',
	CASE WHEN decided IS NOT NULL THEN date(decided * 86400, 'unixepoch') || 'T15:00:00Z' END,
	CASE WHEN decided IS NOT NULL THEN 'Decided at the weekly screening' END,
	CASE WHEN decision = 'signposted' THEN 'Local parenting group' END
FROM g_live ORDER BY id;
INSERT INTO referral_pupils (referral_id, pupil_id, school_id)
SELECT l.id, p.id, p.school_id FROM g_live l JOIN g_pupil p ON p.id = l.family_id
UNION ALL SELECT l.id, p.id, p.school_id FROM g_live l, g_n
	JOIN g_pupil p ON p.id = g_n.fams + l.family_id;

INSERT INTO cases (id, ref, family_id, referral_id, worker_id, intensity, status, opened_on,
	next_review_on, closed_on, closure_reason, closure_note, family_view, created_at, updated_at)
SELECT c.id, printf('C-%06d', c.id), c.family_id, c.ref_id, c.worker_id, c.intensity,
	CASE WHEN c.closed IS NOT NULL THEN 'closed' WHEN c.step_up IS NOT NULL THEN 'stepped_up'
		ELSE 'open' END,
	date(c.opened * 86400, 'unixepoch'),
	CASE WHEN c.closed IS NULL THEN date((c.opened + 42) * 86400, 'unixepoch') END,
	date(c.closed * 86400, 'unixepoch'), c.reason,
	CASE WHEN c.closed IS NOT NULL THEN 'Closed' END,
	CASE WHEN c.closed IS NOT NULL THEN 'The family said it helped' END,
	date(c.opened * 86400, 'unixepoch') || 'T11:00:00Z', date(c.opened * 86400, 'unixepoch') || 'T11:00:00Z'
FROM g_case c JOIN g_live l ON l.id = c.ref_id ORDER BY c.id;

-- The chronology: the referral, the decision, allocation, the initial
-- assessment, reviews every 6 weeks, step up, step down, closure.
CREATE TEMP TABLE g_lcase AS SELECT c.*, min(coalesce(c.closed, g_cfg.e), coalesce(c.step_up, g_cfg.e),
	g_cfg.e) AS last FROM g_case c JOIN g_live l ON l.id = c.ref_id, g_cfg;
INSERT INTO case_events (family_id, referral_id, case_id, on_date, kind, summary, recorded_at)
SELECT family_id, id, NULL, date(received * 86400, 'unixepoch'), 'referred', 'Referral received',
	date(received * 86400, 'unixepoch') || 'T10:00:00Z' FROM g_live
UNION ALL SELECT family_id, id, NULL, date(decided * 86400, 'unixepoch'), decision,
	'Referral ' || decision, date(decided * 86400, 'unixepoch') || 'T15:00:00Z'
	FROM g_live WHERE decision IS NOT NULL
UNION ALL SELECT family_id, ref_id, id, date(opened * 86400, 'unixepoch'), 'allocated',
	'Case opened', date(opened * 86400, 'unixepoch') || 'T11:00:00Z' FROM g_lcase
UNION ALL SELECT c.family_id, NULL, c.id, date((c.opened + 7 + 42 * k.value) * 86400, 'unixepoch'),
	CASE k.value WHEN 0 THEN 'assessed' ELSE 'reviewed' END,
	CASE k.value WHEN 0 THEN 'Initial assessment' ELSE 'Review held' END,
	date((c.opened + 7 + 42 * k.value) * 86400, 'unixepoch') || 'T16:00:00Z'
	FROM g_lcase c, generate_series(0, (c.last - c.opened - 7) / 42) k WHERE c.last >= c.opened + 7
UNION ALL SELECT family_id, ref_id, id, date(step_up * 86400, 'unixepoch'), 'step_up',
	'Stepped up to children''s social care', date(step_up * 86400, 'unixepoch') || 'T12:00:00Z'
	FROM g_lcase WHERE step_up IS NOT NULL
UNION ALL SELECT family_id, ref_id, id, date(step_down * 86400, 'unixepoch'), 'step_down',
	'Stepped down from children''s social care', date(step_down * 86400, 'unixepoch') || 'T12:00:00Z'
	FROM g_lcase WHERE step_down IS NOT NULL
UNION ALL SELECT family_id, ref_id, id, date(closed * 86400, 'unixepoch'), 'closed',
	'Case closed: ' || reason, date(closed * 86400, 'unixepoch') || 'T17:00:00Z'
	FROM g_lcase WHERE closed IS NOT NULL AND reason <> 'stepped_up';

-- Contacts about every 10 days while the case is worked.
INSERT INTO contacts (case_id, worker_id, at, kind, duration_min, seen, place, notes, planned,
	recorded_at)
SELECT c.id, c.worker_id,
	date((c.opened + 10 * k.value + (c.r + k.value) % 4) * 86400, 'unixepoch')
		|| printf('T%02d:%02d', 9 + k.value % 8, 15 * (k.value % 4)),
	CASE (c.r / 5 + k.value) % 6 WHEN 0 THEN 'home_visit' WHEN 1 THEN 'phone'
		WHEN 2 THEN 'school_meeting' WHEN 3 THEN 'home_visit' WHEN 4 THEN 'video' ELSE 'office' END,
	15 + 15 * ((c.r / 11 + 3 * k.value) % 6), '', '', '', 0,
	date((c.opened + 10 * k.value + (c.r + k.value) % 4) * 86400, 'unixepoch') || 'T18:00:00Z'
FROM g_lcase c, generate_series(0, (c.last - c.opened - 3) / 10) k WHERE c.last >= c.opened + 3;

-- Assessments: initial (a week in) and closing (closed with outcomes met
-- or other), 8 domains each; the closing scores are the initial ones plus
-- the distance travelled (0–4).
CREATE TEMP TABLE g_assess (id INTEGER PRIMARY KEY, case_id INT, day INT, kind TEXT, r INT);
INSERT INTO g_assess (case_id, day, kind, r)
SELECT id, opened + 7, 'initial', r FROM g_lcase WHERE last >= opened + 7
UNION ALL SELECT id, closed, 'closing', r FROM g_lcase
	WHERE closed >= opened + 7 AND reason IN ('outcomes_met', 'other');
INSERT INTO assessments (id, case_id, assessed_on, kind, agreed_with, recorded_at)
SELECT id, case_id, date(day * 86400, 'unixepoch'), kind, 'Parent',
	date(day * 86400, 'unixepoch') || 'T16:00:00Z' FROM g_assess ORDER BY id;
INSERT INTO assessment_scores (assessment_id, position, domain_code, domain_title, side, score)
SELECT a.id, d.position, d.code, d.title, d.side,
	min(10, 2 + (a.r / (d.position + 1)) % 5 + CASE a.kind WHEN 'closing'
		THEN (a.r / (d.position + 7)) % 5 ELSE 0 END)
FROM g_assess a JOIN assessment_domains d ON d.active = 1;

-- Commissions: ~40% of live cases one, ~10% two, on the district budget
-- of the family's school for the financial year; paid unless recent.
CREATE TEMP TABLE g_comm (id INTEGER PRIMARY KEY, case_id INT, day INT, service_id INT, qty INT,
	budget_id INT, r INT);
INSERT INTO g_comm (case_id, day, service_id, qty, r)
SELECT id, opened + 14 + r % 40, 1 + (r / 13) % 30, 1 + (r / 17) % 6, r / 3 FROM g_lcase
	WHERE r % 10 < 4 AND last >= opened + 14 + r % 40
UNION ALL SELECT id, opened + 60 + r % 30, 1 + (r / 19) % 30, 1 + (r / 23) % 4, r / 5 FROM g_lcase
	WHERE r % 10 = 0 AND last >= opened + 60 + r % 30;
UPDATE g_comm SET budget_id = (SELECT b.id FROM budgets b
	WHERE b.district_id = 1 + (SELECT f.school_id FROM g_case c JOIN g_fam f ON f.id = c.family_id
		WHERE c.id = g_comm.case_id) % 8
	AND b.start_year = CAST(strftime('%Y', date(g_comm.day * 86400, 'unixepoch', '-3 months')) AS INTEGER));
INSERT INTO commissions (id, ref, case_id, budget_id, kind, service_id, quantity, unit_cost_pence,
	estimate_pence, actual_pence, status, reason, requested_at, decided_at, delivered_on, paid_on,
	updated_at)
SELECT m.id, printf('M-%06d', m.id), m.case_id, m.budget_id, 'service', m.service_id, m.qty,
	s.unit_cost_pence, m.qty * s.unit_cost_pence,
	CASE WHEN m.day + 30 <= g_cfg.e THEN m.qty * s.unit_cost_pence END,
	CASE WHEN m.day + 60 <= g_cfg.e THEN 'paid' WHEN m.day + 30 <= g_cfg.e THEN 'delivered'
		ELSE 'approved' END,
	'The family needs it',
	date(m.day * 86400, 'unixepoch') || 'T10:00:00Z', date(m.day * 86400, 'unixepoch') || 'T14:00:00Z',
	CASE WHEN m.day + 30 <= g_cfg.e THEN date((m.day + 30) * 86400, 'unixepoch') END,
	CASE WHEN m.day + 60 <= g_cfg.e THEN date((m.day + 60) * 86400, 'unixepoch') END,
	date(m.day * 86400, 'unixepoch') || 'T14:00:00Z'
FROM g_comm m JOIN services s ON s.id = m.service_id, g_cfg ORDER BY m.id;

-- ---- history: referrals received before h -----------------------------------
INSERT INTO history_imports (id, filename, sha256, imported_at, rows_total, rows_applied)
SELECT 1, 'lst-export.csv', printf('%064d', 0), date(h * 86400, 'unixepoch') || 'T09:00:00Z', 0, 0
FROM g_cfg WHERE EXISTS (SELECT 1 FROM g_ref, g_cfg WHERE received < h);
CREATE TEMP TABLE g_hist AS SELECT r.*, c.id AS case_id, c.worker_id, c.opened, c.closed, c.reason,
	c.step_up, c.step_down, c.r AS cr FROM g_ref r, g_cfg LEFT JOIN g_case c ON c.ref_id = r.id
	WHERE r.received < g_cfg.h;
INSERT INTO history_cases (id, import_id, case_ref, family_ref, school_id, pupil_id, worker_name)
SELECT id, 1, printf('LST-%s-%06d', strftime('%Y', received * 86400, 'unixepoch'), id),
	printf('F-%06d', family_id), school_id, family_id,
	CASE WHEN worker_id IS NOT NULL THEN printf('Worker %04d', worker_id) ELSE '' END
FROM g_hist ORDER BY id;
INSERT INTO history_events (case_id, on_date, kind, source, reason, amount_pence, detail)
SELECT id, date(received * 86400, 'unixepoch'), 'referred', source, NULL, NULL, '' FROM g_hist
UNION ALL SELECT id, date(decided * 86400, 'unixepoch'),
	CASE decision WHEN 'stepped_up' THEN 'step_up' ELSE decision END, NULL, NULL, NULL, ''
	FROM g_hist WHERE decision IS NOT NULL
UNION ALL SELECT id, date(opened * 86400, 'unixepoch'), 'allocated', NULL, NULL, NULL, ''
	FROM g_hist WHERE opened IS NOT NULL
UNION ALL SELECT id, date(step_up * 86400, 'unixepoch'), 'step_up', NULL, NULL, NULL, ''
	FROM g_hist WHERE step_up IS NOT NULL
UNION ALL SELECT id, date(step_down * 86400, 'unixepoch'), 'step_down', NULL, NULL, NULL, ''
	FROM g_hist WHERE step_down IS NOT NULL
UNION ALL SELECT id, date(closed * 86400, 'unixepoch'), 'closed', NULL, reason, NULL, ''
	FROM g_hist WHERE closed IS NOT NULL
UNION ALL SELECT id, date((opened + 14 + cr % 40) * 86400, 'unixepoch'), 'commission', NULL, NULL,
	5000 + cr % 100000, 'Commissioned service'
	FROM g_hist WHERE opened IS NOT NULL AND cr % 10 < 4
	AND coalesce(closed, step_up, 1e9) >= opened + 14 + cr % 40;
UPDATE history_imports SET rows_total = (SELECT count(*) FROM history_events),
	rows_applied = (SELECT count(*) FROM history_events);

-- ---- census snapshots (attendance, risk) and destinations -----------------
-- Census days: 18 January, 16 May, 5 October each year.
CREATE TEMP TABLE g_census (day INT PRIMARY KEY, import_id INT);
INSERT INTO g_census
SELECT unixepoch(printf('%d-%s', y.value, m.value)) / 86400, NULL
FROM g_cfg, generate_series(CAST(strftime('%Y', s * 86400, 'unixepoch') AS INTEGER) - 1,
	CAST(strftime('%Y', e * 86400, 'unixepoch') AS INTEGER)) y,
	(SELECT '01-18' AS value UNION ALL SELECT '05-16' UNION ALL SELECT '10-05') m;
DELETE FROM g_census WHERE day > (SELECT e FROM g_cfg);
UPDATE g_census SET import_id = (SELECT count(*) FROM g_census c2 WHERE c2.day <= g_census.day);
INSERT INTO imports (id, kind, filename, status, rows_total, rows_applied, started_at, finished_at)
SELECT import_id, 'csv', printf('census-%s.csv', date(day * 86400, 'unixepoch')), 'applied', 0, 0,
	date(day * 86400, 'unixepoch') || 'T08:00:00Z', date(day * 86400, 'unixepoch') || 'T08:05:00Z'
FROM g_census ORDER BY import_id;
-- Each referred child: the census before the first referral, and the one
-- about a year later (or the last); the other pupils: the last census.
CREATE TEMP TABLE g_snap (pupil_id INT, school_id INT, day INT, after INT, r INT,
	PRIMARY KEY (pupil_id, day));
INSERT OR IGNORE INTO g_snap
SELECT p.id, p.school_id, (SELECT max(day) FROM g_census WHERE day < f.born), 0, p.r
	FROM g_pupil p JOIN g_fam f ON f.id = p.family_id
UNION ALL SELECT p.id, p.school_id, coalesce((SELECT min(day) FROM g_census WHERE day >= f.born + 365),
		(SELECT max(day) FROM g_census)), 1, p.r / 3
	FROM g_pupil p JOIN g_fam f ON f.id = p.family_id
UNION ALL SELECT p.id, p.school_id, (SELECT max(day) FROM g_census), 1, p.r
	FROM g_pupil p WHERE p.family_id IS NULL;
DELETE FROM g_snap WHERE day IS NULL;
INSERT INTO pupil_snapshots (pupil_id, import_id, school_id, extract_date, year_group, fsm, sen,
	ehcp, eal, eal_new, looked_after, cin, cp, young_carer, youth_justice, young_parent,
	school_moves, sessions_possible, sessions_attended, authorised_absence, unauthorised_absence,
	suspensions, suspension_days_x10, permanent_exclusion, below_expected, risk_score, risk_band,
	risk_fired)
SELECT n.pupil_id, c.import_id, n.school_id, date(n.day * 86400, 'unixepoch'),
	max(0, min(13, (n.day - p.dob) / 365 - 5)),
	n.r % 3 = 0, CASE n.r % 7 WHEN 0 THEN 'K' WHEN 1 THEN 'E' ELSE 'N' END, n.r % 7 = 1, n.r % 9 = 0,
	0, n.r % 50 = 0, n.r % 20 = 0, n.r % 40 = 0, n.r % 30 = 0, n.r % 60 = 0, 0, n.r % 4,
	200, 200 - CASE WHEN n.after THEN (n.r / 3) % 30 ELSE 10 + (n.r / 3) % 50 END,
	5, CASE WHEN n.after THEN (n.r / 5) % 10 ELSE (n.r / 5) % 25 END,
	CASE WHEN n.after THEN (n.r / 7) % 2 ELSE (n.r / 7) % 4 END,
	CASE WHEN n.after THEN (n.r / 7) % 2 ELSE (n.r / 7) % 4 END * 15, 0, (n.r / 11) % 3 = 0,
	CASE WHEN n.r % 10 = 0 THEN 45 + n.r % 30 WHEN n.r % 10 < 4 THEN 20 + n.r % 20 ELSE n.r % 20 END,
	CASE WHEN n.r % 10 = 0 THEN 'high' WHEN n.r % 10 < 4 THEN 'medium' ELSE 'low' END, ''
FROM g_snap n JOIN g_census c ON c.day = n.day JOIN g_pupil p ON p.id = n.pupil_id
ORDER BY n.pupil_id, n.day;

-- Destinations at 16 of 40% of the referred children who have turned 16.
INSERT INTO destinations (pupil_id, destination, recorded_on, source, created_at)
SELECT p.id, CASE p.r % 10 WHEN 0 THEN 'neet' WHEN 1 THEN 'unknown' WHEN 2 THEN 'employment'
		WHEN 3 THEN 'training' ELSE 'education' END,
	date((p.dob + 16 * 365 + 60) * 86400, 'unixepoch'), 'worker',
	date((p.dob + 16 * 365 + 60) * 86400, 'unixepoch') || 'T12:00:00Z'
FROM g_pupil p, g_cfg WHERE p.family_id IS NOT NULL AND p.dob + 16 * 365 + 60 <= g_cfg.e
	AND p.r % 5 < 2 ORDER BY p.id;

-- ---- surveys of school leaders: one a year, the last one open ---------------
INSERT INTO surveys (id, title, intro, status, opened_on, closes_on, created_at, updated_at)
SELECT y.value, printf('School leaders'' survey %d', y.value), '',
	CASE WHEN y.value = CAST(strftime('%Y', e * 86400, 'unixepoch') AS INTEGER) THEN 'open'
		ELSE 'closed' END,
	printf('%d-01-10', y.value), printf('%d-02-10', y.value),
	printf('%d-01-05T09:00:00Z', y.value), printf('%d-01-05T09:00:00Z', y.value)
FROM g_cfg, generate_series(CAST(strftime('%Y', s * 86400, 'unixepoch') AS INTEGER) + 1,
	CAST(strftime('%Y', e * 86400, 'unixepoch') AS INTEGER)) y;
INSERT INTO survey_questions (survey_id, position, kind, text)
SELECT s.id, q.value, CASE WHEN q.value = 6 THEN 'text' ELSE 'likert' END,
	printf('Question %d', q.value) FROM surveys s, generate_series(1, 6) q;
INSERT INTO survey_responses (survey_id, school_id, submitted_at)
SELECT s.id, sc.id, s.opened_on || 'T12:00:00Z' FROM surveys s, schools sc
	WHERE (sc.id * 7 + s.id * 13) % 10 < CASE sc.phase WHEN 'primary' THEN 6 WHEN 'secondary' THEN 5
		ELSE 4 END;
INSERT INTO survey_answers (response_id, question_id, likert, text)
SELECT r.id, q.id, CASE WHEN q.kind = 'likert' THEN 1 + (r.id * 31 + q.position * 7) % 5 END,
	CASE WHEN q.kind = 'text' THEN 'More places please' END
FROM survey_responses r JOIN survey_questions q ON q.survey_id = r.survey_id;

INSERT INTO outcome_rows_rebuild (everything) VALUES (1);
COMMIT;
.output /dev/null
PRAGMA journal_mode = WAL;
.output
