-- 0004: refer, allocate and work the case — the pool of workers, families
-- and their members, referrals with consent, the coordinator's decisions,
-- cases with their contacts and chronology.  Nothing is overwritten
-- silently: rows that change carry a version (a second editor working from
-- an old version gets a conflict), and every change is also a case_events
-- row, so the chronology is the history.  Paired with 0004.pg.sql.

-- A member of the shared pool.  user_id links the worker's sign-in (NULL
-- for pool members who do not use Hearth themselves).
CREATE TABLE workers (
	id INTEGER PRIMARY KEY,
	user_id INTEGER UNIQUE REFERENCES users(id),
	name TEXT NOT NULL,
	employer TEXT NOT NULL,                 -- "Ratae Academy", "City Council Early Help", …
	kind TEXT NOT NULL CHECK (kind IN ('family_support','parent_support','hslo','mentor')),
	hours_per_week INTEGER NOT NULL DEFAULT 37 CHECK (hours_per_week BETWEEN 1 AND 60),
	max_caseload INTEGER CHECK (max_caseload BETWEEN 1 AND 100), -- NULL: setting case.max_caseload
	skills TEXT NOT NULL DEFAULT '',        -- comma-separated codes (need codes, 'send', …)
	languages TEXT NOT NULL DEFAULT '',     -- comma-separated, e.g. 'Gujarati,Polish'
	active INTEGER NOT NULL DEFAULT 1,
	ical_token TEXT UNIQUE,                 -- SHA-256 hex of the calendar feed token
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE TABLE worker_schools (
	worker_id INTEGER NOT NULL REFERENCES workers(id),
	school_id INTEGER NOT NULL REFERENCES schools(id),
	PRIMARY KEY (worker_id, school_id)
);
CREATE TABLE worker_districts (
	worker_id INTEGER NOT NULL REFERENCES workers(id),
	district_id INTEGER NOT NULL REFERENCES districts(id),
	PRIMARY KEY (worker_id, district_id)
);
-- A worker covering a colleague's cases (leave, sickness), recorded.
CREATE TABLE worker_covers (
	id INTEGER PRIMARY KEY,
	worker_id INTEGER NOT NULL REFERENCES workers(id),     -- who covers
	for_worker_id INTEGER NOT NULL REFERENCES workers(id), -- whose cases
	starts_on TEXT NOT NULL,
	ends_on TEXT NOT NULL,
	reason TEXT NOT NULL,
	recorded_by INTEGER REFERENCES users(id),
	recorded_at TEXT NOT NULL,
	CHECK (worker_id <> for_worker_id), CHECK (ends_on >= starts_on)
);

-- A household.  family_key matches pupils.family_key where the census
-- linked siblings; a family may also be made by hand.
CREATE TABLE families (
	id INTEGER PRIMARY KEY,
	ref TEXT NOT NULL UNIQUE,               -- "F-000123", shown to users
	family_key TEXT UNIQUE,
	name TEXT NOT NULL,                     -- "Khan family"
	address TEXT NOT NULL DEFAULT '',
	postcode TEXT,
	home_language TEXT NOT NULL DEFAULT 'English',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE family_members (
	id INTEGER PRIMARY KEY,
	family_id INTEGER NOT NULL REFERENCES families(id),
	pupil_id INTEGER REFERENCES pupils(id),  -- children known to a partnership school
	name TEXT NOT NULL,
	relationship TEXT NOT NULL,             -- 'child','mother','father','step-parent','grandparent','carer','sibling','other'
	is_child INTEGER NOT NULL,
	dob TEXT,
	phone TEXT,
	notes TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	UNIQUE (family_id, pupil_id)
);
CREATE INDEX family_members_pupil ON family_members(pupil_id);
-- Other professionals already involved with the family.
CREATE TABLE family_professionals (
	id INTEGER PRIMARY KEY,
	family_id INTEGER NOT NULL REFERENCES families(id),
	name TEXT NOT NULL,
	agency TEXT NOT NULL,                   -- "School nursing", "Housing", "CAMHS", …
	role TEXT NOT NULL DEFAULT '',
	contact TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
);

-- A request for help for a family.  source says where it came from;
-- school_id is the referring school (NULL for other sources).
CREATE TABLE referrals (
	id INTEGER PRIMARY KEY,
	ref TEXT NOT NULL UNIQUE,               -- "R-000123"
	family_id INTEGER NOT NULL REFERENCES families(id),
	source TEXT NOT NULL CHECK (source IN ('school','agency','step_down','self')),
	school_id INTEGER REFERENCES schools(id),
	stepped_down_from INTEGER,              -- cases.id the step-down came from
	level_of_need INTEGER NOT NULL CHECK (level_of_need BETWEEN 1 AND 4),
	needs TEXT NOT NULL,                    -- comma-separated need codes (referral.h)
	reason TEXT NOT NULL,                   -- the school's account of its concern
	tried TEXT NOT NULL DEFAULT '',         -- what the school has already tried
	status TEXT NOT NULL DEFAULT 'received' CHECK (status IN
		('received','accepted','signposted','declined','stepped_up','withdrawn')),
	received_at TEXT NOT NULL,              -- ISO timestamp UTC
	decided_at TEXT,
	decided_by INTEGER REFERENCES users(id),
	decision_note TEXT,
	signposted_to TEXT,
	user_id INTEGER REFERENCES users(id),   -- who referred
	idem_key TEXT UNIQUE,                   -- the form's one-time key: double submission is idempotent
	version INTEGER NOT NULL DEFAULT 1,
	CHECK ((source = 'school') = (school_id IS NOT NULL))
);
CREATE INDEX referrals_status ON referrals(status, received_at);
CREATE INDEX referrals_school ON referrals(school_id, received_at);
CREATE INDEX referrals_family ON referrals(family_id);
-- The pupils a referral concerns, with the school each attends; a
-- sibling's school is told (school_notices).
CREATE TABLE referral_pupils (
	referral_id INTEGER NOT NULL REFERENCES referrals(id),
	pupil_id INTEGER NOT NULL REFERENCES pupils(id),
	school_id INTEGER NOT NULL REFERENCES schools(id),
	PRIMARY KEY (referral_id, pupil_id)
);
CREATE INDEX referral_pupils_school ON referral_pupils(school_id);
CREATE INDEX referral_pupils_pupil ON referral_pupils(pupil_id);

-- Consent to share, or the lawful basis when consent is not sought.
-- Withdrawal is a dated field, never a deletion.
CREATE TABLE consents (
	id INTEGER PRIMARY KEY,
	family_id INTEGER NOT NULL REFERENCES families(id),
	referral_id INTEGER REFERENCES referrals(id),
	basis TEXT NOT NULL CHECK (basis IN ('consent','safeguarding','legal_obligation','public_task','vital_interests')),
	given_by TEXT,                          -- name of the person consenting (basis 'consent')
	given_by_relationship TEXT,
	scope TEXT NOT NULL,                    -- comma-separated: 'school','health','social_care','agencies','commissioned_services'
	given_on TEXT NOT NULL,                 -- date consent given / basis decided
	lawful_basis_note TEXT,                 -- why consent was not sought
	recorded_by INTEGER REFERENCES users(id),
	recorded_at TEXT NOT NULL,
	withdrawn_on TEXT,
	withdrawn_reason TEXT,
	withdrawn_by INTEGER REFERENCES users(id),
	CHECK (basis <> 'consent' OR given_by IS NOT NULL),
	CHECK (basis = 'consent' OR lawful_basis_note IS NOT NULL)
);
CREATE INDEX consents_family ON consents(family_id);

-- Messages to a school: a sibling at your school was referred by another.
CREATE TABLE school_notices (
	id INTEGER PRIMARY KEY,
	school_id INTEGER NOT NULL REFERENCES schools(id),
	referral_id INTEGER REFERENCES referrals(id),
	message TEXT NOT NULL,
	created_at TEXT NOT NULL,
	read_at TEXT
);
CREATE INDEX school_notices_school ON school_notices(school_id, created_at);

-- A family's case with its lead professional.
CREATE TABLE cases (
	id INTEGER PRIMARY KEY,
	ref TEXT NOT NULL UNIQUE,               -- "C-000123"
	family_id INTEGER NOT NULL REFERENCES families(id),
	referral_id INTEGER NOT NULL UNIQUE REFERENCES referrals(id),
	worker_id INTEGER NOT NULL REFERENCES workers(id),
	intensity INTEGER NOT NULL DEFAULT 2 CHECK (intensity BETWEEN 1 AND 3), -- caseload weight
	status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','stepped_up','closed')),
	opened_on TEXT NOT NULL,
	next_review_on TEXT,
	closed_on TEXT,
	closure_reason TEXT CHECK (closure_reason IN
		('outcomes_met','stepped_up','disengaged','moved_away','other')),
	closure_note TEXT,
	family_view TEXT,                       -- the family's own view at closure
	over_capacity INTEGER NOT NULL DEFAULT 0, -- allocated beyond capacity by recorded override
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX cases_worker ON cases(worker_id, status);
CREATE INDEX cases_family ON cases(family_id);

-- Home visits, calls and meetings.  planned = 1 for a visit booked ahead
-- (it feeds the worker's calendar until recorded as held).
CREATE TABLE contacts (
	id INTEGER PRIMARY KEY,
	case_id INTEGER NOT NULL REFERENCES cases(id),
	worker_id INTEGER REFERENCES workers(id),
	at TEXT NOT NULL,                       -- 'YYYY-MM-DDTHH:MM' local time
	kind TEXT NOT NULL CHECK (kind IN ('home_visit','phone','school_meeting','office','video','other')),
	duration_min INTEGER NOT NULL CHECK (duration_min BETWEEN 0 AND 1440),
	seen TEXT NOT NULL DEFAULT '',          -- who was seen
	place TEXT NOT NULL DEFAULT '',
	notes TEXT NOT NULL DEFAULT '',
	planned INTEGER NOT NULL DEFAULT 0,
	user_id INTEGER REFERENCES users(id),
	recorded_at TEXT NOT NULL,
	idem_key TEXT UNIQUE
);
CREATE INDEX contacts_case ON contacts(case_id, at);
CREATE INDEX contacts_worker ON contacts(worker_id, at);

-- The chronology: every decision and change to a case or referral, dated
-- when it happened (on) and when it was recorded (recorded_at).
CREATE TABLE case_events (
	id INTEGER PRIMARY KEY,
	family_id INTEGER NOT NULL REFERENCES families(id),
	referral_id INTEGER REFERENCES referrals(id),
	case_id INTEGER REFERENCES cases(id),
	on_date TEXT NOT NULL,
	kind TEXT NOT NULL CHECK (kind IN ('referred','accepted','signposted','declined',
		'stepped_up','step_up','step_down','allocated','transferred','contact','review_set',
		'closed','consent_withdrawn','cover','note','withdrawn')),
	summary TEXT NOT NULL,
	detail TEXT NOT NULL DEFAULT '',
	user_id INTEGER REFERENCES users(id),
	recorded_at TEXT NOT NULL
);
CREATE INDEX case_events_family ON case_events(family_id, on_date);
CREATE INDEX case_events_case ON case_events(case_id, on_date);

INSERT INTO settings (key, value) VALUES ('case.max_caseload', '18'), ('case.review_weeks', '6');
