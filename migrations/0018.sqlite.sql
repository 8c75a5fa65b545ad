-- 0018: report speed, the outcomes' closures and "before" census, and the
-- reach's latest high-risk pupils (issue 8: "the full-year dashboard under
-- 200 ms").  Paired with 0018.pg.sql.
--
-- Outcomes (report_outcome.c) read every case closed in the period with
-- its referral, children, the family's next referral and each child's
-- latest destination, then every census snapshot of those children, and
-- paired them in C: "before" the last snapshot before the term of the
-- referral, "after" the child's latest, on or after the referral day.  For
-- a year of the ten-year county: 36,000 case x child rows and 68,000
-- snapshots.  Now:
--
-- outcome_rows: one row per closure (src 'L': a case with status 'closed',
--   ev 0; 'H': a history case's 'closed' event, ev its id) with pupil_id 0,
--   holding the case's family, closure reason, (live) referral and the
--   family's next referral day (stabilised: not referred again within six
--   months of an outcomes-met closure); and one
--   per closure and child (referral_pupils; a history case's pupil_id)
--   holding the referral day, the first day of its term, the child's
--   "before" snapshot (its date and the four figures the report compares)
--   and the child's latest destination.
-- outcome_after: the latest ("after") snapshot's date and figures of each
--   pupil who is a child in outcome_rows (rows of pupils who no longer are
--   stay, kept up to date, unread).  One row per pupil, so that a census
--   writes one narrow row per child, not every closure row of theirs.
-- school_terms: the first day of every term (1 September, 1 January, the
--   day after Easter Sunday) from 1800 to 2299, so that SQL finds the term
--   of a referral as report_outcome_term_start does in C.
--
-- Kept by triggers whoever writes (the case pages, the import, history
-- loads, hearth migrate, plain SQL): a case that closes, reopens or
-- changes its closing day, reason, family or referral, a referral's day,
-- its children, a history case's pupil, family or referral day, and a
-- history closure work their closure's rows out again; a destination
-- recorded, changed or removed rewrites its pupil's rows, a referral or
-- history case its family's next referral.  The census rides
-- on 0010's latest-mark insert trigger (re-created below with two
-- statements more, under the same WHEN, which a first import's new pupils
-- skip): see "The census" below.
--
-- Bulk writers pause the triggers and work the rows out set-wise, once,
-- before their commit: a history load (src/core/history.c) writes
-- INSERT INTO outcome_rows_pause (paused) VALUES (1) first and
-- INSERT INTO outcome_rows_history_done (import_id) VALUES (its id) last
-- (its cases' rows, their families' next referral, their children's
-- latest census); hearth migrate the pause and then
-- INSERT INTO outcome_rows_rebuild (everything) VALUES (1).  Both end the
-- pause.  The pause is a row of this transaction's only (another
-- connection's writes keep the rows as before): every trigger here skips
-- while it is there.  Per row, a 30,000-case history load on PostgreSQL
-- took over five minutes.
--
-- Reach: pupil_snapshots_latest (0010) gets the pupil, so that each
-- school's high-risk pupils come from the index alone, and
-- pupil_snapshots_date answers "is there a census after the period's
-- end?": when there is none, each pupil's latest snapshot on or before the
-- end is the one marked latest.
--
-- report_outcomes reads outcome_rows when no school, district or phase
-- filter is set, report_reach the latest mark when no census is later
-- than the period; tests/unit/test_report_outcome_rows.c checks both
-- against the base rows after random writes on both backends.

CREATE TABLE school_terms (first_day TEXT PRIMARY KEY) WITHOUT ROWID;
INSERT INTO school_terms (first_day)
WITH RECURSIVE y(n) AS (SELECT 1800 UNION ALL SELECT n + 1 FROM y WHERE n < 2299),
e(n, a, b, c) AS (SELECT n, n % 19, n / 100, n % 100 FROM y),
f(n, a, b, c, h, l) AS (SELECT n, a, b, c,
	(19 * a + b - b / 4 - (b - (b + 8) / 25 + 1) / 3 + 15) % 30,
	(32 + 2 * (b % 4) + 2 * (c / 4) - (19 * a + b - b / 4 - (b - (b + 8) / 25 + 1) / 3 + 15) % 30
		- c % 4) % 7 FROM e),
g(n, h, l, m) AS (SELECT n, h, l, (a + 11 * h + 22 * l) / 451 FROM f)
SELECT printf('%04d-09-01', n) FROM y
UNION ALL SELECT printf('%04d-01-01', n) FROM y
UNION ALL SELECT date(printf('%04d-%02d-%02d', n, (h + l - 7 * m + 114) / 31,
	(h + l - 7 * m + 114) % 31 + 1), '+1 day') FROM g;

CREATE TABLE outcome_rows (
	closed_on TEXT NOT NULL,
	src TEXT NOT NULL CHECK (src IN ('L', 'H')),
	case_id INTEGER NOT NULL,
	ev INTEGER NOT NULL,             -- the history closure's event id; 0 for a live case
	pupil_id INTEGER NOT NULL,       -- 0 on the closure's own row
	family_id INTEGER, family_ref TEXT, reason TEXT,    -- the closure's row: family, reason
	referral_id INTEGER, received_at TEXT,              -- and (live) referral
	ref TEXT, term TEXT,             -- a child's row: the referral day, its term's first day,
	known INTEGER,                   -- 1: worked out when the pupil had a snapshot
	b_date TEXT, b_possible INTEGER, b_attended INTEGER,   -- the last snapshot before
	b_suspensions INTEGER, b_below INTEGER,                -- the term, and the child's
	dest TEXT,                                             -- latest destination
	next_ref TEXT,                   -- the closure's row: the family's next referral day
	PRIMARY KEY (closed_on, src, case_id, ev, pupil_id)
) WITHOUT ROWID;
CREATE INDEX outcome_rows_case ON outcome_rows(src, case_id);
CREATE INDEX outcome_rows_family ON outcome_rows(family_id) WHERE pupil_id = 0;
CREATE INDEX outcome_rows_family_ref ON outcome_rows(family_ref) WHERE pupil_id = 0;
-- (with what the census trigger tests, so that it reads a child's rows
-- only when they change)
CREATE INDEX outcome_rows_pupil ON outcome_rows(pupil_id, known, term, b_date);
-- The latest snapshot of each pupil who is a child in outcome_rows (or was).
CREATE TABLE outcome_after (
	pupil_id INTEGER PRIMARY KEY,
	a_date TEXT, a_possible INTEGER, a_attended INTEGER, a_suspensions INTEGER, a_below INTEGER
);
-- A row while a bulk writer has paused the triggers (inside its
-- transaction only; see above).
CREATE TABLE outcome_rows_pause (paused INTEGER NOT NULL);

-- Every row outcome_rows should hold, worked out from the base tables.
CREATE VIEW outcome_rows_of (closed_on, src, case_id, ev, pupil_id, family_id, family_ref,
	reason, referral_id, received_at, ref, term, known, b_date, b_possible, b_attended,
	b_suspensions, b_below, dest, next_ref) AS
SELECT c.closed_on, 'L', c.id, 0, 0, c.family_id, NULL, coalesce(c.closure_reason, ''),
	c.referral_id, r.received_at, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	(SELECT min(substr(r2.received_at, 1, 10)) FROM referrals r2
	WHERE r2.family_id = c.family_id AND r2.id <> r.id AND r2.received_at > r.received_at
	AND substr(r2.received_at, 1, 10) >= c.closed_on)
FROM cases c JOIN referrals r ON r.id = c.referral_id
WHERE c.status = 'closed' AND c.closed_on IS NOT NULL
UNION ALL SELECT e.on_date, 'H', hc.id, e.id, 0, NULL, hc.family_ref, coalesce(e.reason, ''),
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	(SELECT min(h2.referred_on) FROM history_cases h2
	WHERE h2.family_ref = hc.family_ref AND h2.id <> hc.id AND h2.referred_on >= e.on_date)
FROM history_cases hc JOIN history_events e ON e.case_id = hc.id
WHERE e.kind = 'closed'
UNION ALL
SELECT x.closed_on, x.src, x.case_id, x.ev, x.pupil_id, NULL, NULL, NULL, NULL, NULL,
	x.ref, x.term, CASE WHEN l.extract_date IS NULL THEN 0 ELSE 1 END, b.extract_date,
	b.sessions_possible, b.sessions_attended, b.suspensions, b.below_expected,
	(SELECT d.destination FROM destinations d WHERE d.pupil_id = x.pupil_id
	ORDER BY d.recorded_on DESC, d.id DESC LIMIT 1), NULL
FROM (SELECT y.*, (SELECT max(t.first_day) FROM school_terms t WHERE t.first_day <= y.ref)
		AS term
	FROM (SELECT c.closed_on AS closed_on, 'L' AS src, c.id AS case_id, 0 AS ev,
		rp.pupil_id AS pupil_id, substr(r.received_at, 1, 10) AS ref
	FROM cases c JOIN referrals r ON r.id = c.referral_id
	JOIN referral_pupils rp ON rp.referral_id = r.id
	WHERE c.status = 'closed' AND c.closed_on IS NOT NULL
	UNION ALL SELECT e.on_date, 'H', hc.id, e.id, hc.pupil_id, hc.referred_on
	FROM history_cases hc JOIN history_events e ON e.case_id = hc.id
	WHERE e.kind = 'closed' AND hc.pupil_id IS NOT NULL) y) x
LEFT JOIN pupil_snapshots l ON l.pupil_id = x.pupil_id AND l.extract_date =
	(SELECT max(q.extract_date) FROM pupil_snapshots q WHERE q.pupil_id = x.pupil_id)
LEFT JOIN pupil_snapshots b ON b.pupil_id = x.pupil_id AND b.extract_date =
	(SELECT max(q.extract_date) FROM pupil_snapshots q WHERE q.pupil_id = x.pupil_id
	AND q.extract_date < x.term);

-- The rows there are now.
INSERT INTO outcome_rows SELECT * FROM outcome_rows_of;
INSERT INTO outcome_after
SELECT p.pupil_id, l.extract_date, l.sessions_possible, l.sessions_attended,
	l.suspensions, l.below_expected
FROM (SELECT DISTINCT pupil_id FROM outcome_rows WHERE pupil_id <> 0) p
LEFT JOIN pupil_snapshots l ON l.pupil_id = p.pupil_id AND l.extract_date =
	(SELECT max(q.extract_date) FROM pupil_snapshots q WHERE q.pupil_id = p.pupil_id);

-- Work one closure's rows out again: INSERT INTO outcome_rows_case_refresh
-- (src, case_id) VALUES (…) ('L' a live case, 'H' a history case).
CREATE VIEW outcome_rows_case_refresh (src, case_id) AS SELECT src, case_id FROM outcome_rows WHERE 0;
CREATE TRIGGER outcome_rows_case_refresh INSTEAD OF INSERT ON outcome_rows_case_refresh
BEGIN
	DELETE FROM outcome_rows WHERE src = NEW.src AND case_id = NEW.case_id;
	INSERT INTO outcome_rows
	SELECT c.closed_on, 'L', c.id, 0, 0, c.family_id, NULL, coalesce(c.closure_reason, ''),
		c.referral_id, r.received_at, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
		(SELECT min(substr(r2.received_at, 1, 10)) FROM referrals r2
		WHERE r2.family_id = c.family_id AND r2.id <> r.id AND r2.received_at > r.received_at
		AND substr(r2.received_at, 1, 10) >= c.closed_on)
	FROM cases c JOIN referrals r ON r.id = c.referral_id
	WHERE NEW.src = 'L' AND c.id = NEW.case_id AND c.status = 'closed' AND c.closed_on IS NOT NULL
	UNION ALL SELECT e.on_date, 'H', hc.id, e.id, 0, NULL, hc.family_ref, coalesce(e.reason, ''),
		NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
		(SELECT min(h2.referred_on) FROM history_cases h2
		WHERE h2.family_ref = hc.family_ref AND h2.id <> hc.id AND h2.referred_on >= e.on_date)
	FROM history_cases hc JOIN history_events e ON e.case_id = hc.id
	WHERE NEW.src = 'H' AND hc.id = NEW.case_id AND e.kind = 'closed';
	INSERT INTO outcome_rows
	SELECT x.closed_on, x.src, x.case_id, x.ev, x.pupil_id, NULL, NULL, NULL, NULL, NULL,
		x.ref, x.term, CASE WHEN l.extract_date IS NULL THEN 0 ELSE 1 END, b.extract_date,
		b.sessions_possible, b.sessions_attended, b.suspensions, b.below_expected,
		(SELECT d.destination FROM destinations d WHERE d.pupil_id = x.pupil_id
		ORDER BY d.recorded_on DESC, d.id DESC LIMIT 1), NULL
	FROM (SELECT y.*, (SELECT max(t.first_day) FROM school_terms t WHERE t.first_day <= y.ref)
			AS term
		FROM (SELECT c.closed_on AS closed_on, 'L' AS src, c.id AS case_id, 0 AS ev,
			rp.pupil_id AS pupil_id, substr(r.received_at, 1, 10) AS ref
		FROM cases c JOIN referrals r ON r.id = c.referral_id
		JOIN referral_pupils rp ON rp.referral_id = r.id
		WHERE NEW.src = 'L' AND c.id = NEW.case_id
		AND c.status = 'closed' AND c.closed_on IS NOT NULL
		UNION ALL SELECT e.on_date, 'H', hc.id, e.id, hc.pupil_id, hc.referred_on
		FROM history_cases hc JOIN history_events e ON e.case_id = hc.id
		WHERE NEW.src = 'H' AND hc.id = NEW.case_id AND e.kind = 'closed' AND hc.pupil_id IS NOT NULL) y) x
	LEFT JOIN pupil_snapshots l ON l.pupil_id = x.pupil_id AND l.extract_date =
		(SELECT max(q.extract_date) FROM pupil_snapshots q WHERE q.pupil_id = x.pupil_id)
	LEFT JOIN pupil_snapshots b ON b.pupil_id = x.pupil_id AND b.extract_date =
		(SELECT max(q.extract_date) FROM pupil_snapshots q WHERE q.pupil_id = x.pupil_id
		AND q.extract_date < x.term);
	-- (DELETE and INSERT: a trigger's OR REPLACE gives way to the outer
	-- statement's conflict clause, e.g. the import's upsert)
	DELETE FROM outcome_after WHERE pupil_id IN (SELECT pupil_id FROM outcome_rows
		WHERE src = NEW.src AND case_id = NEW.case_id);
	INSERT INTO outcome_after
	SELECT p.pupil_id, l.extract_date, l.sessions_possible, l.sessions_attended,
		l.suspensions, l.below_expected
	FROM (SELECT DISTINCT pupil_id FROM outcome_rows
		WHERE src = NEW.src AND case_id = NEW.case_id AND pupil_id <> 0) p
	LEFT JOIN pupil_snapshots l ON l.pupil_id = p.pupil_id AND l.extract_date =
		(SELECT max(q.extract_date) FROM pupil_snapshots q WHERE q.pupil_id = p.pupil_id);
END;

-- Work one pupil's rows out again (every closure of theirs).
CREATE VIEW outcome_rows_pupil_refresh (pupil_id) AS SELECT pupil_id FROM outcome_rows WHERE 0;
CREATE TRIGGER outcome_rows_pupil_refresh INSTEAD OF INSERT ON outcome_rows_pupil_refresh
BEGIN
	DELETE FROM outcome_rows WHERE pupil_id = NEW.pupil_id;
	INSERT INTO outcome_rows
	SELECT x.closed_on, x.src, x.case_id, x.ev, x.pupil_id, NULL, NULL, NULL, NULL, NULL,
		x.ref, x.term, CASE WHEN l.extract_date IS NULL THEN 0 ELSE 1 END, b.extract_date,
		b.sessions_possible, b.sessions_attended, b.suspensions, b.below_expected,
		(SELECT d.destination FROM destinations d WHERE d.pupil_id = x.pupil_id
		ORDER BY d.recorded_on DESC, d.id DESC LIMIT 1), NULL
	FROM (SELECT y.*, (SELECT max(t.first_day) FROM school_terms t WHERE t.first_day <= y.ref)
			AS term
		FROM (SELECT c.closed_on AS closed_on, 'L' AS src, c.id AS case_id, 0 AS ev,
			rp.pupil_id AS pupil_id, substr(r.received_at, 1, 10) AS ref
		FROM referral_pupils rp JOIN cases c ON c.referral_id = rp.referral_id
		JOIN referrals r ON r.id = c.referral_id
		WHERE rp.pupil_id = NEW.pupil_id
		AND c.status = 'closed' AND c.closed_on IS NOT NULL
		UNION ALL SELECT e.on_date, 'H', hc.id, e.id, hc.pupil_id, hc.referred_on
		FROM history_cases hc JOIN history_events e ON e.case_id = hc.id
		WHERE hc.pupil_id = NEW.pupil_id AND e.kind = 'closed' AND hc.pupil_id IS NOT NULL) y) x
	LEFT JOIN pupil_snapshots l ON l.pupil_id = x.pupil_id AND l.extract_date =
		(SELECT max(q.extract_date) FROM pupil_snapshots q WHERE q.pupil_id = x.pupil_id)
	LEFT JOIN pupil_snapshots b ON b.pupil_id = x.pupil_id AND b.extract_date =
		(SELECT max(q.extract_date) FROM pupil_snapshots q WHERE q.pupil_id = x.pupil_id
		AND q.extract_date < x.term);
	DELETE FROM outcome_after WHERE pupil_id = NEW.pupil_id;
	INSERT INTO outcome_after
	SELECT p.pupil_id, l.extract_date, l.sessions_possible, l.sessions_attended,
		l.suspensions, l.below_expected
	FROM (SELECT DISTINCT pupil_id FROM outcome_rows WHERE pupil_id = NEW.pupil_id) p
	LEFT JOIN pupil_snapshots l ON l.pupil_id = p.pupil_id AND l.extract_date =
		(SELECT max(q.extract_date) FROM pupil_snapshots q WHERE q.pupil_id = p.pupil_id);
END;

-- The end of a history load that paused the triggers: its cases' rows,
-- their families' other closures' next referral and their children's
-- latest census, worked out once (what the triggers would have made, row
-- by row), and the pause ended.
CREATE VIEW outcome_rows_history_done (import_id) AS SELECT import_id FROM history_cases WHERE 0;
CREATE TRIGGER outcome_rows_history_done INSTEAD OF INSERT ON outcome_rows_history_done
BEGIN
	DELETE FROM outcome_rows WHERE src = 'H' AND case_id IN
		(SELECT id FROM history_cases WHERE import_id = NEW.import_id);
	INSERT INTO outcome_rows
	SELECT e.on_date, 'H', hc.id, e.id, 0, NULL, hc.family_ref, coalesce(e.reason, ''),
		NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
		(SELECT min(h2.referred_on) FROM history_cases h2
		WHERE h2.family_ref = hc.family_ref AND h2.id <> hc.id AND h2.referred_on >= e.on_date)
	FROM history_cases hc JOIN history_events e ON e.case_id = hc.id
	WHERE hc.import_id = NEW.import_id AND e.kind = 'closed'
	UNION ALL
	SELECT x.closed_on, 'H', x.case_id, x.ev, x.pupil_id, NULL, NULL, NULL, NULL, NULL,
		x.ref, x.term, CASE WHEN l.extract_date IS NULL THEN 0 ELSE 1 END, b.extract_date,
		b.sessions_possible, b.sessions_attended, b.suspensions, b.below_expected,
		(SELECT d.destination FROM destinations d WHERE d.pupil_id = x.pupil_id
		ORDER BY d.recorded_on DESC, d.id DESC LIMIT 1), NULL
	FROM (SELECT y.*, (SELECT max(t.first_day) FROM school_terms t WHERE t.first_day <= y.ref)
			AS term
		FROM (SELECT e.on_date AS closed_on, hc.id AS case_id, e.id AS ev,
			hc.pupil_id AS pupil_id, hc.referred_on AS ref
		FROM history_cases hc JOIN history_events e ON e.case_id = hc.id
		WHERE hc.import_id = NEW.import_id AND e.kind = 'closed'
		AND hc.pupil_id IS NOT NULL) y) x
	LEFT JOIN pupil_snapshots l ON l.pupil_id = x.pupil_id AND l.extract_date =
		(SELECT max(q.extract_date) FROM pupil_snapshots q WHERE q.pupil_id = x.pupil_id)
	LEFT JOIN pupil_snapshots b ON b.pupil_id = x.pupil_id AND b.extract_date =
		(SELECT max(q.extract_date) FROM pupil_snapshots q WHERE q.pupil_id = x.pupil_id
		AND q.extract_date < x.term);
	UPDATE outcome_rows SET next_ref = (SELECT min(h2.referred_on) FROM history_cases h2
		WHERE h2.family_ref = outcome_rows.family_ref AND h2.id <> outcome_rows.case_id
		AND h2.referred_on >= outcome_rows.closed_on)
	WHERE pupil_id = 0 AND src = 'H' AND family_ref IN
		(SELECT family_ref FROM history_cases WHERE import_id = NEW.import_id)
	AND case_id NOT IN (SELECT id FROM history_cases WHERE import_id = NEW.import_id);
	DELETE FROM outcome_after WHERE pupil_id IN (SELECT pupil_id FROM outcome_rows
		WHERE src = 'H' AND case_id IN (SELECT id FROM history_cases WHERE import_id = NEW.import_id));
	INSERT INTO outcome_after
	SELECT p.pupil_id, l.extract_date, l.sessions_possible, l.sessions_attended,
		l.suspensions, l.below_expected
	FROM (SELECT DISTINCT pupil_id FROM outcome_rows WHERE src = 'H' AND case_id IN
		(SELECT id FROM history_cases WHERE import_id = NEW.import_id) AND pupil_id <> 0) p
	LEFT JOIN pupil_snapshots l ON l.pupil_id = p.pupil_id AND l.extract_date =
		(SELECT max(q.extract_date) FROM pupil_snapshots q WHERE q.pupil_id = p.pupil_id);
	DELETE FROM outcome_rows_pause;
END;

-- The end of a copy that paused the triggers (hearth migrate): every row
-- worked out again, and the pause ended.
CREATE VIEW outcome_rows_rebuild (everything) AS SELECT 1 WHERE 0;
CREATE TRIGGER outcome_rows_rebuild INSTEAD OF INSERT ON outcome_rows_rebuild
BEGIN
	DELETE FROM outcome_rows;
	DELETE FROM outcome_after;
	INSERT INTO outcome_rows SELECT * FROM outcome_rows_of;
	INSERT INTO outcome_after
	SELECT p.pupil_id, l.extract_date, l.sessions_possible, l.sessions_attended,
		l.suspensions, l.below_expected
	FROM (SELECT DISTINCT pupil_id FROM outcome_rows WHERE pupil_id <> 0) p
	LEFT JOIN pupil_snapshots l ON l.pupil_id = p.pupil_id AND l.extract_date =
		(SELECT max(q.extract_date) FROM pupil_snapshots q WHERE q.pupil_id = p.pupil_id);
	DELETE FROM outcome_rows_pause;
END;

-- Cases.
CREATE TRIGGER outcome_rows_cases_insert AFTER INSERT ON cases
WHEN (NEW.status = 'closed')
	AND NOT EXISTS (SELECT 1 FROM outcome_rows_pause)
BEGIN
	INSERT INTO outcome_rows_case_refresh (src, case_id) VALUES ('L', NEW.id);
END;
CREATE TRIGGER outcome_rows_cases_update AFTER UPDATE OF id, status, closed_on, referral_id, family_id,
	closure_reason ON cases
WHEN ((OLD.status = 'closed' OR NEW.status = 'closed') AND (OLD.id IS NOT NEW.id
	OR OLD.status IS NOT NEW.status OR OLD.closed_on IS NOT NEW.closed_on
	OR OLD.referral_id IS NOT NEW.referral_id OR OLD.family_id IS NOT NEW.family_id
	OR OLD.closure_reason IS NOT NEW.closure_reason))
	AND NOT EXISTS (SELECT 1 FROM outcome_rows_pause)
BEGIN
	INSERT INTO outcome_rows_case_refresh (src, case_id) VALUES ('L', OLD.id);
	INSERT INTO outcome_rows_case_refresh (src, case_id) SELECT 'L', NEW.id WHERE NEW.id <> OLD.id;
END;
CREATE TRIGGER outcome_rows_cases_delete AFTER DELETE ON cases
WHEN (OLD.status = 'closed')
	AND NOT EXISTS (SELECT 1 FROM outcome_rows_pause)
BEGIN
	INSERT INTO outcome_rows_case_refresh (src, case_id) VALUES ('L', OLD.id);
END;

-- A referral's day, and its children.
CREATE TRIGGER outcome_rows_referrals_update AFTER UPDATE OF id, received_at ON referrals
WHEN (OLD.id IS NOT NEW.id OR OLD.received_at IS NOT NEW.received_at)
	AND NOT EXISTS (SELECT 1 FROM outcome_rows_pause)
BEGIN
	INSERT INTO outcome_rows_case_refresh (src, case_id)
	SELECT 'L', c.id FROM cases c WHERE c.referral_id IN (OLD.id, NEW.id) AND c.status = 'closed';
END;
CREATE TRIGGER outcome_rows_referrals_delete AFTER DELETE ON referrals
WHEN NOT EXISTS (SELECT 1 FROM outcome_rows_pause)
BEGIN
	INSERT INTO outcome_rows_case_refresh (src, case_id)
	SELECT 'L', c.id FROM cases c WHERE c.referral_id = OLD.id AND c.status = 'closed';
END;
CREATE TRIGGER outcome_rows_referral_pupils_insert AFTER INSERT ON referral_pupils
WHEN NOT EXISTS (SELECT 1 FROM outcome_rows_pause)
BEGIN
	INSERT INTO outcome_rows_case_refresh (src, case_id)
	SELECT 'L', c.id FROM cases c WHERE c.referral_id = NEW.referral_id AND c.status = 'closed';
END;
CREATE TRIGGER outcome_rows_referral_pupils_update AFTER UPDATE OF referral_id, pupil_id
ON referral_pupils
WHEN NOT EXISTS (SELECT 1 FROM outcome_rows_pause)
BEGIN
	INSERT INTO outcome_rows_case_refresh (src, case_id)
	SELECT 'L', c.id FROM cases c WHERE c.referral_id IN (OLD.referral_id, NEW.referral_id)
	AND c.status = 'closed';
END;
CREATE TRIGGER outcome_rows_referral_pupils_delete AFTER DELETE ON referral_pupils
WHEN NOT EXISTS (SELECT 1 FROM outcome_rows_pause)
BEGIN
	INSERT INTO outcome_rows_case_refresh (src, case_id)
	SELECT 'L', c.id FROM cases c WHERE c.referral_id = OLD.referral_id AND c.status = 'closed';
END;

-- History: a case's pupil and referral day (0009 keeps referred_on from
-- the events), and its closures.
CREATE TRIGGER outcome_rows_history_cases_insert AFTER INSERT ON history_cases
WHEN NOT EXISTS (SELECT 1 FROM outcome_rows_pause)
BEGIN
	INSERT INTO outcome_rows_case_refresh (src, case_id) VALUES ('H', NEW.id);
END;
CREATE TRIGGER outcome_rows_history_cases_update AFTER UPDATE OF id, pupil_id, referred_on,
	family_ref ON history_cases
WHEN (OLD.id IS NOT NEW.id OR OLD.pupil_id IS NOT NEW.pupil_id
	OR OLD.referred_on IS NOT NEW.referred_on OR OLD.family_ref IS NOT NEW.family_ref)
	AND NOT EXISTS (SELECT 1 FROM outcome_rows_pause)
BEGIN
	INSERT INTO outcome_rows_case_refresh (src, case_id) VALUES ('H', OLD.id);
	INSERT INTO outcome_rows_case_refresh (src, case_id) SELECT 'H', NEW.id WHERE NEW.id <> OLD.id;
END;
CREATE TRIGGER outcome_rows_history_cases_delete AFTER DELETE ON history_cases
WHEN NOT EXISTS (SELECT 1 FROM outcome_rows_pause)
BEGIN
	INSERT INTO outcome_rows_case_refresh (src, case_id) VALUES ('H', OLD.id);
END;
CREATE TRIGGER outcome_rows_history_events_insert AFTER INSERT ON history_events
WHEN (NEW.kind = 'closed')
	AND NOT EXISTS (SELECT 1 FROM outcome_rows_pause)
BEGIN
	INSERT INTO outcome_rows_case_refresh (src, case_id) VALUES ('H', NEW.case_id);
END;
CREATE TRIGGER outcome_rows_history_events_update AFTER UPDATE OF id, case_id, on_date, kind, reason
ON history_events
WHEN (OLD.kind = 'closed' OR NEW.kind = 'closed')
	AND NOT EXISTS (SELECT 1 FROM outcome_rows_pause)
BEGIN
	INSERT INTO outcome_rows_case_refresh (src, case_id) VALUES ('H', OLD.case_id);
	INSERT INTO outcome_rows_case_refresh (src, case_id)
	SELECT 'H', NEW.case_id WHERE NEW.case_id <> OLD.case_id;
END;
CREATE TRIGGER outcome_rows_history_events_delete AFTER DELETE ON history_events
WHEN (OLD.kind = 'closed')
	AND NOT EXISTS (SELECT 1 FROM outcome_rows_pause)
BEGIN
	INSERT INTO outcome_rows_case_refresh (src, case_id) VALUES ('H', OLD.case_id);
END;

-- The family's next referral, in its closures' rows: a referral (live) or
-- a history case (history) added, changed or removed.
CREATE TRIGGER outcome_rows_next_referral_insert AFTER INSERT ON referrals
WHEN NOT EXISTS (SELECT 1 FROM outcome_rows_pause)
BEGIN
	UPDATE outcome_rows SET next_ref = (SELECT min(substr(r2.received_at, 1, 10)) FROM referrals r2
		WHERE r2.family_id = outcome_rows.family_id AND r2.id <> outcome_rows.referral_id
		AND r2.received_at > outcome_rows.received_at AND substr(r2.received_at, 1, 10) >= outcome_rows.closed_on)
	WHERE pupil_id = 0 AND src = 'L' AND family_id = NEW.family_id;
END;
CREATE TRIGGER outcome_rows_next_referral_update AFTER UPDATE OF id, family_id, received_at
	ON referrals
WHEN (OLD.id IS NOT NEW.id OR OLD.family_id IS NOT NEW.family_id
	OR OLD.received_at IS NOT NEW.received_at)
	AND NOT EXISTS (SELECT 1 FROM outcome_rows_pause)
BEGIN
	UPDATE outcome_rows SET next_ref = (SELECT min(substr(r2.received_at, 1, 10)) FROM referrals r2
		WHERE r2.family_id = outcome_rows.family_id AND r2.id <> outcome_rows.referral_id
		AND r2.received_at > outcome_rows.received_at AND substr(r2.received_at, 1, 10) >= outcome_rows.closed_on)
	WHERE pupil_id = 0 AND src = 'L' AND family_id IN (OLD.family_id, NEW.family_id);
END;
CREATE TRIGGER outcome_rows_next_referral_delete AFTER DELETE ON referrals
WHEN NOT EXISTS (SELECT 1 FROM outcome_rows_pause)
BEGIN
	UPDATE outcome_rows SET next_ref = (SELECT min(substr(r2.received_at, 1, 10)) FROM referrals r2
		WHERE r2.family_id = outcome_rows.family_id AND r2.id <> outcome_rows.referral_id
		AND r2.received_at > outcome_rows.received_at AND substr(r2.received_at, 1, 10) >= outcome_rows.closed_on)
	WHERE pupil_id = 0 AND src = 'L' AND family_id = OLD.family_id;
END;
CREATE TRIGGER outcome_rows_next_history_insert AFTER INSERT ON history_cases
WHEN NOT EXISTS (SELECT 1 FROM outcome_rows_pause)
BEGIN
	UPDATE outcome_rows SET next_ref = (SELECT min(h2.referred_on) FROM history_cases h2 WHERE h2.family_ref = outcome_rows.family_ref
		AND h2.id <> outcome_rows.case_id AND h2.referred_on >= outcome_rows.closed_on)
	WHERE pupil_id = 0 AND src = 'H' AND family_ref = NEW.family_ref;
END;
CREATE TRIGGER outcome_rows_next_history_update AFTER UPDATE OF id, family_ref, referred_on
	ON history_cases
WHEN (OLD.id IS NOT NEW.id OR OLD.family_ref IS NOT NEW.family_ref
	OR OLD.referred_on IS NOT NEW.referred_on)
	AND NOT EXISTS (SELECT 1 FROM outcome_rows_pause)
BEGIN
	UPDATE outcome_rows SET next_ref = (SELECT min(h2.referred_on) FROM history_cases h2 WHERE h2.family_ref = outcome_rows.family_ref
		AND h2.id <> outcome_rows.case_id AND h2.referred_on >= outcome_rows.closed_on)
	WHERE pupil_id = 0 AND src = 'H' AND family_ref IN (OLD.family_ref, NEW.family_ref);
END;
CREATE TRIGGER outcome_rows_next_history_delete AFTER DELETE ON history_cases
WHEN NOT EXISTS (SELECT 1 FROM outcome_rows_pause)
BEGIN
	UPDATE outcome_rows SET next_ref = (SELECT min(h2.referred_on) FROM history_cases h2 WHERE h2.family_ref = outcome_rows.family_ref
		AND h2.id <> outcome_rows.case_id AND h2.referred_on >= outcome_rows.closed_on)
	WHERE pupil_id = 0 AND src = 'H' AND family_ref = OLD.family_ref;
END;

-- Destinations: the child's latest, in every row of theirs.
CREATE TRIGGER outcome_rows_destinations_insert AFTER INSERT ON destinations
WHEN NOT EXISTS (SELECT 1 FROM outcome_rows_pause)
BEGIN
	UPDATE outcome_rows SET dest = (SELECT d.destination FROM destinations d
		WHERE d.pupil_id = NEW.pupil_id ORDER BY d.recorded_on DESC, d.id DESC LIMIT 1)
	WHERE pupil_id = NEW.pupil_id;
END;
CREATE TRIGGER outcome_rows_destinations_update AFTER UPDATE OF id, pupil_id, destination,
	recorded_on ON destinations
WHEN NOT EXISTS (SELECT 1 FROM outcome_rows_pause)
BEGIN
	UPDATE outcome_rows SET dest = (SELECT d.destination FROM destinations d
		WHERE d.pupil_id = outcome_rows.pupil_id ORDER BY d.recorded_on DESC, d.id DESC LIMIT 1)
	WHERE pupil_id IN (OLD.pupil_id, NEW.pupil_id);
END;
CREATE TRIGGER outcome_rows_destinations_delete AFTER DELETE ON destinations
WHEN NOT EXISTS (SELECT 1 FROM outcome_rows_pause)
BEGIN
	UPDATE outcome_rows SET dest = (SELECT d.destination FROM destinations d
		WHERE d.pupil_id = OLD.pupil_id ORDER BY d.recorded_on DESC, d.id DESC LIMIT 1)
	WHERE pupil_id = OLD.pupil_id;
END;

-- The census.  0010's insert trigger, the same plus the pupil's rows: a
-- snapshot later than the pupil's others (the usual census) is written to
-- its outcome_after row, and "before" is worked out again only in rows
-- where it may change: not worked out while the pupil had a snapshot
-- (known 0; a pupil's first snapshot skips this trigger, and then
-- outcome_after's a_date is NULL too), or the snapshot lies between the
-- current before and the term.  A snapshot changed or deleted works its
-- pupils' rows out again.
DROP TRIGGER pupil_snapshots_latest_insert;
CREATE TRIGGER pupil_snapshots_latest_insert AFTER INSERT ON pupil_snapshots
WHEN NEW.latest <> 1 OR EXISTS (SELECT 1 FROM pupil_snapshots q
	WHERE q.pupil_id = NEW.pupil_id AND q.extract_date <> NEW.extract_date)
BEGIN
	UPDATE pupil_snapshots SET latest = (extract_date = (SELECT max(q.extract_date)
		FROM pupil_snapshots q WHERE q.pupil_id = NEW.pupil_id))
	WHERE pupil_id = NEW.pupil_id AND latest <> (extract_date = (SELECT max(q.extract_date)
		FROM pupil_snapshots q WHERE q.pupil_id = NEW.pupil_id));
	UPDATE outcome_rows SET known = 1, (b_date, b_possible, b_attended, b_suspensions, b_below) =
		(SELECT b.extract_date, b.sessions_possible, b.sessions_attended, b.suspensions,
		b.below_expected FROM pupil_snapshots b WHERE b.pupil_id = NEW.pupil_id
		AND b.extract_date = (SELECT max(q.extract_date) FROM pupil_snapshots q
			WHERE q.pupil_id = NEW.pupil_id AND q.extract_date < outcome_rows.term))
	WHERE pupil_id = NEW.pupil_id AND (known = 0
		OR (NEW.extract_date < term AND (b_date IS NULL OR NEW.extract_date >= b_date)))
	AND NOT EXISTS (SELECT 1 FROM outcome_rows_pause);
	UPDATE outcome_after SET
		a_date = CASE WHEN a_date IS NULL THEN (SELECT l.extract_date FROM pupil_snapshots l
			WHERE l.pupil_id = NEW.pupil_id ORDER BY l.extract_date DESC LIMIT 1) ELSE NEW.extract_date END,
		a_possible = CASE WHEN a_date IS NULL THEN (SELECT l.sessions_possible FROM pupil_snapshots l
			WHERE l.pupil_id = NEW.pupil_id ORDER BY l.extract_date DESC LIMIT 1) ELSE NEW.sessions_possible END,
		a_attended = CASE WHEN a_date IS NULL THEN (SELECT l.sessions_attended FROM pupil_snapshots l
			WHERE l.pupil_id = NEW.pupil_id ORDER BY l.extract_date DESC LIMIT 1) ELSE NEW.sessions_attended END,
		a_suspensions = CASE WHEN a_date IS NULL THEN (SELECT l.suspensions FROM pupil_snapshots l
			WHERE l.pupil_id = NEW.pupil_id ORDER BY l.extract_date DESC LIMIT 1) ELSE NEW.suspensions END,
		a_below = CASE WHEN a_date IS NULL THEN (SELECT l.below_expected FROM pupil_snapshots l
			WHERE l.pupil_id = NEW.pupil_id ORDER BY l.extract_date DESC LIMIT 1) ELSE NEW.below_expected END
	WHERE pupil_id = NEW.pupil_id AND (a_date IS NULL OR NEW.extract_date > a_date)
	AND NOT EXISTS (SELECT 1 FROM outcome_rows_pause);
END;
CREATE TRIGGER outcome_rows_snapshots_update AFTER UPDATE OF pupil_id, extract_date,
	sessions_possible, sessions_attended, suspensions, below_expected ON pupil_snapshots
WHEN (OLD.pupil_id IS NOT NEW.pupil_id OR OLD.extract_date IS NOT NEW.extract_date
	OR OLD.sessions_possible IS NOT NEW.sessions_possible
	OR OLD.sessions_attended IS NOT NEW.sessions_attended
	OR OLD.suspensions IS NOT NEW.suspensions OR OLD.below_expected IS NOT NEW.below_expected)
	AND NOT EXISTS (SELECT 1 FROM outcome_rows_pause)
BEGIN
	INSERT INTO outcome_rows_pupil_refresh (pupil_id) VALUES (OLD.pupil_id);
	INSERT INTO outcome_rows_pupil_refresh (pupil_id) SELECT NEW.pupil_id
	WHERE NEW.pupil_id <> OLD.pupil_id;
END;
CREATE TRIGGER outcome_rows_snapshots_delete AFTER DELETE ON pupil_snapshots
WHEN NOT EXISTS (SELECT 1 FROM outcome_rows_pause)
BEGIN
	INSERT INTO outcome_rows_pupil_refresh (pupil_id) VALUES (OLD.pupil_id);
END;

-- Reach.
DROP INDEX pupil_snapshots_latest;
CREATE INDEX pupil_snapshots_latest ON pupil_snapshots(school_id, risk_band, latest, pupil_id)
	WHERE latest = 1;
CREATE INDEX pupil_snapshots_date ON pupil_snapshots(extract_date);
