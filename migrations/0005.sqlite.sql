-- 0005: assessment, plans and the Team Around the Family — the early help
-- assessment by domain (the partnership's own domain list; each assessment
-- keeps the domains it was made with), the plan's actions owned by a family
-- member, the worker or an agency, their progress history, reviews on a
-- cycle, the directory of agencies and professionals (agency users are
-- linked to their professional), and TAF meetings with invitees and
-- attendance.  Paired with 0005.pg.sql.

-- The domains an assessment scores, on the three sides of the national
-- Assessment Framework.  The admin may rename, reorder, retire (active = 0)
-- or add domains; assessments copy code, title and side, so old ones keep
-- the domains they were made with.
CREATE TABLE assessment_domains (
	id INTEGER PRIMARY KEY,
	code TEXT NOT NULL UNIQUE,
	title TEXT NOT NULL,
	side TEXT NOT NULL CHECK (side IN ('child','parenting','family')),
	position INTEGER NOT NULL,
	active INTEGER NOT NULL DEFAULT 1,
	updated_at TEXT NOT NULL
);
INSERT INTO assessment_domains (code, title, side, position, updated_at) VALUES
 ('health', 'Health', 'child', 1, '2026-11-23T00:00:00Z'),
 ('emotional_behavioural', 'Emotional and behavioural development', 'child', 2, '2026-11-23T00:00:00Z'),
 ('learning', 'Learning and education', 'child', 3, '2026-11-23T00:00:00Z'),
 ('identity', 'Identity', 'child', 4, '2026-11-23T00:00:00Z'),
 ('relationships', 'Family and social relationships', 'child', 5, '2026-11-23T00:00:00Z'),
 ('self_care', 'Self-care skills', 'child', 6, '2026-11-23T00:00:00Z'),
 ('basic_care', 'Basic care', 'parenting', 7, '2026-11-23T00:00:00Z'),
 ('safety', 'Ensuring safety', 'parenting', 8, '2026-11-23T00:00:00Z'),
 ('warmth', 'Emotional warmth', 'parenting', 9, '2026-11-23T00:00:00Z'),
 ('boundaries', 'Guidance and boundaries', 'parenting', 10, '2026-11-23T00:00:00Z'),
 ('stimulation', 'Stimulation', 'parenting', 11, '2026-11-23T00:00:00Z'),
 ('family_functioning', 'Family history and functioning', 'family', 12, '2026-11-23T00:00:00Z'),
 ('wider_family', 'Wider family', 'family', 13, '2026-11-23T00:00:00Z'),
 ('housing', 'Housing', 'family', 14, '2026-11-23T00:00:00Z'),
 ('work_income', 'Employment and income', 'family', 15, '2026-11-23T00:00:00Z'),
 ('community', 'Family''s social integration and community resources', 'family', 16, '2026-11-23T00:00:00Z');

-- One assessment of a family, at the start or at a review.
CREATE TABLE assessments (
	id INTEGER PRIMARY KEY,
	case_id INTEGER NOT NULL REFERENCES cases(id),
	review_id INTEGER,                     -- reviews.id when made at a review
	assessed_on TEXT NOT NULL,
	kind TEXT NOT NULL CHECK (kind IN ('initial','review','closing')),
	agreed_with TEXT NOT NULL,             -- who in the family agreed the scores
	summary TEXT NOT NULL DEFAULT '',
	user_id INTEGER REFERENCES users(id),
	recorded_at TEXT NOT NULL,
	idem_key TEXT UNIQUE
);
CREATE INDEX assessments_case ON assessments(case_id, assessed_on);
CREATE TABLE assessment_scores (
	assessment_id INTEGER NOT NULL REFERENCES assessments(id),
	position INTEGER NOT NULL,
	domain_code TEXT NOT NULL,
	domain_title TEXT NOT NULL,
	side TEXT NOT NULL,
	score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 10),
	strengths TEXT NOT NULL DEFAULT '',
	needs TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (assessment_id, domain_code)
);

-- The directory: partner agencies and their professionals.  An agency
-- user signs in as the professional linked to them.
CREATE TABLE agencies (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,             -- "City Council Education Welfare Service"
	kind TEXT NOT NULL CHECK (kind IN ('education_welfare','school_nursing','social_care',
		'camhs','health_visiting','housing','jobcentre','police','voluntary','school','other')),
	phone TEXT NOT NULL DEFAULT '',
	email TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
);
CREATE TABLE professionals (
	id INTEGER PRIMARY KEY,
	agency_id INTEGER NOT NULL REFERENCES agencies(id),
	name TEXT NOT NULL,
	role TEXT NOT NULL DEFAULT '',         -- "Education welfare officer"
	email TEXT NOT NULL DEFAULT '',
	phone TEXT NOT NULL DEFAULT '',
	user_id INTEGER UNIQUE REFERENCES users(id),
	active INTEGER NOT NULL DEFAULT 1,
	created_at TEXT NOT NULL
);
CREATE INDEX professionals_agency ON professionals(agency_id);

-- Reviews on the case's cycle: progress on every action, the next date.
CREATE TABLE reviews (
	id INTEGER PRIMARY KEY,
	case_id INTEGER NOT NULL REFERENCES cases(id),
	held_on TEXT NOT NULL,
	summary TEXT NOT NULL,
	family_view TEXT NOT NULL DEFAULT '',
	next_review_on TEXT,                   -- NULL when the review closes the plan
	user_id INTEGER REFERENCES users(id),
	recorded_at TEXT NOT NULL,
	idem_key TEXT UNIQUE
);
CREATE INDEX reviews_case ON reviews(case_id, held_on);

-- Team Around the Family meetings.
CREATE TABLE taf_meetings (
	id INTEGER PRIMARY KEY,
	case_id INTEGER NOT NULL REFERENCES cases(id),
	starts_at TEXT NOT NULL,               -- 'YYYY-MM-DDTHH:MM' local time
	duration_min INTEGER NOT NULL DEFAULT 60 CHECK (duration_min BETWEEN 15 AND 480),
	place TEXT NOT NULL,
	status TEXT NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled','held','cancelled')),
	minutes TEXT NOT NULL DEFAULT '',
	decisions TEXT NOT NULL DEFAULT '',
	created_by INTEGER REFERENCES users(id),
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1,
	idem_key TEXT UNIQUE
);
CREATE INDEX taf_meetings_case ON taf_meetings(case_id, starts_at);
-- Who is invited: a professional from the directory, a family member or a
-- worker; attended is NULL until the meeting is recorded as held.
CREATE TABLE taf_invitees (
	id INTEGER PRIMARY KEY,
	meeting_id INTEGER NOT NULL REFERENCES taf_meetings(id),
	professional_id INTEGER REFERENCES professionals(id),
	member_id INTEGER REFERENCES family_members(id),
	worker_id INTEGER REFERENCES workers(id),
	attended INTEGER,
	apologies TEXT NOT NULL DEFAULT '',
	invited_at TEXT NOT NULL,
	CHECK ((professional_id IS NOT NULL) + (member_id IS NOT NULL) + (worker_id IS NOT NULL) = 1)
);
CREATE INDEX taf_invitees_meeting ON taf_invitees(meeting_id);
CREATE INDEX taf_invitees_professional ON taf_invitees(professional_id);

-- The plan: SMART actions with one owner each.  need is a referral need
-- code or an assessment domain code (the need the action addresses).
CREATE TABLE plan_actions (
	id INTEGER PRIMARY KEY,
	case_id INTEGER NOT NULL REFERENCES cases(id),
	description TEXT NOT NULL,
	need TEXT NOT NULL,
	owner_kind TEXT NOT NULL CHECK (owner_kind IN ('family','worker','agency')),
	owner_member_id INTEGER REFERENCES family_members(id),
	owner_worker_id INTEGER REFERENCES workers(id),
	owner_professional_id INTEGER REFERENCES professionals(id),
	due_on TEXT NOT NULL,
	status TEXT NOT NULL DEFAULT 'not_started' CHECK (status IN
		('not_started','in_progress','done','not_done','dropped')),
	meeting_id INTEGER REFERENCES taf_meetings(id),   -- agreed at this TAF meeting
	created_by INTEGER REFERENCES users(id),
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1,
	idem_key TEXT UNIQUE,
	CHECK ((owner_kind = 'family') = (owner_member_id IS NOT NULL)),
	CHECK ((owner_kind = 'worker') = (owner_worker_id IS NOT NULL)),
	CHECK ((owner_kind = 'agency') = (owner_professional_id IS NOT NULL))
);
CREATE INDEX plan_actions_case ON plan_actions(case_id, due_on);
CREATE INDEX plan_actions_professional ON plan_actions(owner_professional_id, status);
CREATE INDEX plan_actions_worker ON plan_actions(owner_worker_id, status);
-- Every change of an action's status or progress, never overwritten.
CREATE TABLE action_updates (
	id INTEGER PRIMARY KEY,
	action_id INTEGER NOT NULL REFERENCES plan_actions(id),
	on_date TEXT NOT NULL,
	status TEXT NOT NULL,
	progress TEXT NOT NULL DEFAULT '',
	review_id INTEGER REFERENCES reviews(id),
	meeting_id INTEGER REFERENCES taf_meetings(id),
	user_id INTEGER REFERENCES users(id),
	recorded_at TEXT NOT NULL
);
CREATE INDEX action_updates_action ON action_updates(action_id, on_date);

-- The chronology gains the kinds of this issue's events (a CHECK cannot be
-- altered in SQLite: the table is rebuilt, its rows kept as they were).
CREATE TABLE case_events_new (
	id INTEGER PRIMARY KEY,
	family_id INTEGER NOT NULL REFERENCES families(id),
	referral_id INTEGER REFERENCES referrals(id),
	case_id INTEGER REFERENCES cases(id),
	on_date TEXT NOT NULL,
	kind TEXT NOT NULL CHECK (kind IN ('referred','accepted','signposted','declined',
		'stepped_up','step_up','step_down','allocated','transferred','contact','review_set',
		'closed','consent_withdrawn','cover','note','withdrawn',
		'assessed','reviewed','meeting_scheduled','meeting_held','meeting_cancelled',
		'action_agreed','action_updated')),
	summary TEXT NOT NULL,
	detail TEXT NOT NULL DEFAULT '',
	user_id INTEGER REFERENCES users(id),
	recorded_at TEXT NOT NULL
);
INSERT INTO case_events_new (id, family_id, referral_id, case_id, on_date, kind, summary, detail,
	user_id, recorded_at)
	SELECT id, family_id, referral_id, case_id, on_date, kind, summary, detail, user_id, recorded_at
	FROM case_events;
DROP TABLE case_events;
ALTER TABLE case_events_new RENAME TO case_events;
CREATE INDEX case_events_family ON case_events(family_id, on_date);
CREATE INDEX case_events_case ON case_events(case_id, on_date);

INSERT INTO settings (key, value) VALUES ('smtp.url', '');
