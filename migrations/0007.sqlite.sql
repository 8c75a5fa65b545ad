-- 0007: impact — destinations at 16, the partnership's surveys of school
-- leaders, and history from before Hearth (cases and their dated events
-- kept in spreadsheets or an older system) so every report covers the
-- years before Hearth too.  Paired with 0007.pg.sql.

-- Where a young person went at 16 (recorded by a worker or the school, or
-- loaded with history).  The latest row per pupil counts.
CREATE TABLE destinations (
	id INTEGER PRIMARY KEY,
	pupil_id INTEGER NOT NULL REFERENCES pupils(id),
	destination TEXT NOT NULL CHECK (destination IN
		('education','employment','training','neet','unknown')),
	recorded_on TEXT NOT NULL,             -- YYYY-MM-DD
	source TEXT NOT NULL CHECK (source IN ('worker','school','history')),
	note TEXT NOT NULL DEFAULT '',
	user_id INTEGER REFERENCES users(id),
	created_at TEXT NOT NULL
);
CREATE INDEX destinations_pupil ON destinations(pupil_id, recorded_on);

-- A survey the partnership sends to school leaders.
CREATE TABLE surveys (
	id INTEGER PRIMARY KEY,
	title TEXT NOT NULL,
	intro TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft','open','closed')),
	opened_on TEXT,
	closes_on TEXT,
	created_by INTEGER REFERENCES users(id),
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE survey_questions (
	id INTEGER PRIMARY KEY,
	survey_id INTEGER NOT NULL REFERENCES surveys(id),
	position INTEGER NOT NULL,
	kind TEXT NOT NULL CHECK (kind IN ('likert','text')),   -- likert: 1 strongly disagree … 5 strongly agree
	text TEXT NOT NULL,
	UNIQUE (survey_id, position)
);
-- One response per school leader per survey (a school may have several
-- leaders; results count schools that responded).
CREATE TABLE survey_responses (
	id INTEGER PRIMARY KEY,
	survey_id INTEGER NOT NULL REFERENCES surveys(id),
	school_id INTEGER NOT NULL REFERENCES schools(id),
	user_id INTEGER REFERENCES users(id),
	submitted_at TEXT NOT NULL,
	UNIQUE (survey_id, user_id)
);
CREATE INDEX survey_responses_school ON survey_responses(survey_id, school_id);
CREATE TABLE survey_answers (
	response_id INTEGER NOT NULL REFERENCES survey_responses(id),
	question_id INTEGER NOT NULL REFERENCES survey_questions(id),
	likert INTEGER CHECK (likert BETWEEN 1 AND 5),
	text TEXT,
	PRIMARY KEY (response_id, question_id)
);

-- History: one load of a file of historic cases (hearth import-history).
CREATE TABLE history_imports (
	id INTEGER PRIMARY KEY,
	filename TEXT NOT NULL,
	sha256 TEXT NOT NULL,
	user_id INTEGER REFERENCES users(id),
	imported_at TEXT NOT NULL,
	rows_total INTEGER NOT NULL DEFAULT 0,
	rows_applied INTEGER NOT NULL DEFAULT 0,
	rows_rejected INTEGER NOT NULL DEFAULT 0,
	status TEXT NOT NULL DEFAULT 'done' CHECK (status IN ('done','failed'))
);
CREATE TABLE history_import_errors (
	id INTEGER PRIMARY KEY,
	import_id INTEGER NOT NULL REFERENCES history_imports(id),
	line INTEGER NOT NULL,
	field TEXT NOT NULL,
	message TEXT NOT NULL
);
-- A case from before Hearth, by the old system's reference.
CREATE TABLE history_cases (
	id INTEGER PRIMARY KEY,
	import_id INTEGER NOT NULL REFERENCES history_imports(id),
	case_ref TEXT NOT NULL UNIQUE,          -- the old reference, e.g. "LST-2019-0042"
	family_ref TEXT NOT NULL,               -- the old family reference (families counted by it)
	school_id INTEGER REFERENCES schools(id),   -- the referring school, if any
	pupil_id INTEGER REFERENCES pupils(id),     -- the child, if their UPN is known
	worker_name TEXT NOT NULL DEFAULT ''
);
CREATE INDEX history_cases_school ON history_cases(school_id);
CREATE INDEX history_cases_family ON history_cases(family_ref);
CREATE INDEX history_cases_pupil ON history_cases(pupil_id);
-- Its dated events.  kind: referred (source), accepted, signposted,
-- declined, allocated, step_down (to the pool, from social care),
-- step_up (to safeguarding), closed (reason: a closure reason code),
-- commission (amount_pence spent, detail: what).
CREATE TABLE history_events (
	id INTEGER PRIMARY KEY,
	case_id INTEGER NOT NULL REFERENCES history_cases(id),
	on_date TEXT NOT NULL,
	kind TEXT NOT NULL CHECK (kind IN ('referred','accepted','signposted','declined','allocated',
		'step_down','step_up','closed','commission')),
	source TEXT CHECK (source IN ('school','agency','step_down','self')),
	reason TEXT CHECK (reason IN ('outcomes_met','stepped_up','disengaged','moved_away','other')),
	amount_pence INTEGER CHECK (amount_pence >= 0),
	detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX history_events_on ON history_events(on_date, kind);
CREATE INDEX history_events_case ON history_events(case_id, on_date);

-- Reports read months and periods by date: the live tables' date columns.
CREATE INDEX IF NOT EXISTS referrals_received ON referrals(received_at);
CREATE INDEX IF NOT EXISTS cases_opened ON cases(opened_on);
CREATE INDEX IF NOT EXISTS cases_closed ON cases(closed_on);
CREATE INDEX IF NOT EXISTS referrals_decided ON referrals(decided_at);
