-- 0003: identify — pupils, the census extracts they arrive in (one
-- snapshot per pupil per extract date, so history is kept), imports with
-- their row errors, and the risk rules (data, not code) with each
-- snapshot's score.  Paired with 0003.pg.sql.

CREATE TABLE imports (
	id INTEGER PRIMARY KEY,
	school_id INTEGER REFERENCES schools(id),   -- NULL: partnership-wide (admin)
	kind TEXT NOT NULL CHECK (kind IN ('csv','ctf')),
	filename TEXT NOT NULL,
	strict INTEGER NOT NULL DEFAULT 0,
	status TEXT NOT NULL CHECK (status IN ('running','applied','refused','failed')),
	rows_total INTEGER NOT NULL DEFAULT 0,
	rows_applied INTEGER NOT NULL DEFAULT 0,
	rows_unchanged INTEGER NOT NULL DEFAULT 0,
	rows_bad INTEGER NOT NULL DEFAULT 0,
	user_id INTEGER REFERENCES users(id),
	started_at TEXT NOT NULL,
	finished_at TEXT,
	message TEXT
);

CREATE TABLE import_errors (
	id INTEGER PRIMARY KEY,
	import_id INTEGER NOT NULL REFERENCES imports(id),
	line INTEGER NOT NULL,
	field TEXT NOT NULL,
	message TEXT NOT NULL
);
CREATE INDEX import_errors_import ON import_errors(import_id, line);

CREATE TABLE pupils (
	id INTEGER PRIMARY KEY,
	upn TEXT NOT NULL UNIQUE,
	school_id INTEGER NOT NULL REFERENCES schools(id),
	forename TEXT NOT NULL,
	surname TEXT NOT NULL,
	dob TEXT NOT NULL,
	gender TEXT NOT NULL CHECK (gender IN ('M','F','U')),
	postcode TEXT,
	family_key TEXT,            -- same household: siblings share it
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX pupils_school ON pupils(school_id);
CREATE INDEX pupils_family ON pupils(family_key);

-- One row per pupil per extract date: the indicators as the school's
-- census said on that date, and the risk score under the current rules.
-- NULL means the extract did not say.
CREATE TABLE pupil_snapshots (
	id INTEGER PRIMARY KEY,
	pupil_id INTEGER NOT NULL REFERENCES pupils(id),
	import_id INTEGER NOT NULL REFERENCES imports(id),
	school_id INTEGER NOT NULL REFERENCES schools(id),
	extract_date TEXT NOT NULL,
	year_group INTEGER,          -- national curriculum year, Reception = 0
	fsm INTEGER, sen TEXT CHECK (sen IN ('N','K','E')), ehcp INTEGER, eal INTEGER,
	eal_new INTEGER, looked_after INTEGER, cin INTEGER, cp INTEGER,
	young_carer INTEGER, youth_justice INTEGER, young_parent INTEGER,
	school_moves INTEGER,
	sessions_possible INTEGER, sessions_attended INTEGER,
	authorised_absence INTEGER, unauthorised_absence INTEGER,
	suspensions INTEGER, suspension_days_x10 INTEGER, permanent_exclusion INTEGER,
	below_expected INTEGER,
	risk_score INTEGER NOT NULL DEFAULT 0,
	risk_band TEXT NOT NULL DEFAULT 'low' CHECK (risk_band IN ('low','medium','high')),
	risk_fired TEXT NOT NULL DEFAULT '',   -- codes of the rules that fired, comma-separated
	UNIQUE (pupil_id, extract_date)
);
CREATE INDEX pupil_snapshots_school ON pupil_snapshots(school_id, extract_date);

-- Risk indicators and their weights.  Rules in one group are alternatives:
-- only the highest-scoring rule of a group that fires counts (severe
-- absence supersedes persistent absence).
CREATE TABLE risk_rules (
	id INTEGER PRIMARY KEY,
	code TEXT NOT NULL UNIQUE,
	label TEXT NOT NULL,
	indicator TEXT NOT NULL,
	op TEXT NOT NULL CHECK (op IN ('lt','le','gt','ge','eq')),
	value INTEGER NOT NULL,
	points INTEGER NOT NULL CHECK (points BETWEEN 0 AND 100),
	grp TEXT NOT NULL,
	enabled INTEGER NOT NULL DEFAULT 1,
	position INTEGER NOT NULL,
	updated_at TEXT NOT NULL
);

-- The default rule set, modelled on published Risk of NEET Indicator (RONI)
-- tools; the partnership's admin adjusts it (with a preview) in Hearth.
INSERT INTO risk_rules (code, label, indicator, op, value, points, grp, position, updated_at) VALUES
 ('severe_absence', 'Severe absence (attends under 50% of sessions)', 'attendance_pct', 'lt', 50, 30, 'attendance', 1, '2026-11-23T00:00:00Z'),
 ('persistent_absence', 'Persistent absence (attends under 90% of sessions)', 'attendance_pct', 'lt', 90, 15, 'attendance', 2, '2026-11-23T00:00:00Z'),
 ('unauthorised_absence', 'Unauthorised absence of 10% of sessions or more', 'unauthorised_pct', 'ge', 10, 5, 'unauthorised', 3, '2026-11-23T00:00:00Z'),
 ('permanent_exclusion', 'Permanently excluded', 'permanent_exclusion', 'eq', 1, 30, 'exclusion', 4, '2026-11-23T00:00:00Z'),
 ('repeated_suspensions', 'Suspended 3 times or more', 'suspensions', 'ge', 3, 20, 'exclusion', 5, '2026-11-23T00:00:00Z'),
 ('suspended', 'Suspended', 'suspensions', 'ge', 1, 10, 'exclusion', 6, '2026-11-23T00:00:00Z'),
 ('ehcp', 'Education, health and care plan', 'ehcp', 'eq', 1, 10, 'sen', 7, '2026-11-23T00:00:00Z'),
 ('sen_support', 'SEN support', 'sen_support', 'eq', 1, 8, 'sen', 8, '2026-11-23T00:00:00Z'),
 ('looked_after', 'Looked after', 'looked_after', 'eq', 1, 20, 'social_care', 9, '2026-11-23T00:00:00Z'),
 ('child_protection', 'Child protection plan', 'cp', 'eq', 1, 20, 'social_care', 10, '2026-11-23T00:00:00Z'),
 ('child_in_need', 'Child in need', 'cin', 'eq', 1, 12, 'social_care', 11, '2026-11-23T00:00:00Z'),
 ('fsm', 'Eligible for free school meals', 'fsm', 'eq', 1, 8, 'fsm', 12, '2026-11-23T00:00:00Z'),
 ('young_carer', 'Young carer', 'young_carer', 'eq', 1, 10, 'young_carer', 13, '2026-11-23T00:00:00Z'),
 ('youth_justice', 'Involved with youth justice', 'youth_justice', 'eq', 1, 20, 'youth_justice', 14, '2026-11-23T00:00:00Z'),
 ('school_moves', '3 or more moves of school', 'school_moves', 'ge', 3, 10, 'mobility', 15, '2026-11-23T00:00:00Z'),
 ('below_expected', 'Attainment below the expected standard', 'below_expected', 'eq', 1, 10, 'attainment', 16, '2026-11-23T00:00:00Z'),
 ('eal_new', 'New to English', 'eal_new', 'eq', 1, 5, 'eal', 17, '2026-11-23T00:00:00Z'),
 ('young_parent', 'Pregnant or a young parent', 'young_parent', 'eq', 1, 20, 'young_parent', 18, '2026-11-23T00:00:00Z');

INSERT INTO settings (key, value) VALUES ('risk.band.high', '40'), ('risk.band.medium', '20');
