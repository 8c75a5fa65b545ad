-- 0016: report speed, activity and waits from kept monthly sums (issue 8:
-- "the full-year dashboard under 200 ms").  Paired with 0016.pg.sql.
--
-- Activity by month (report_activity.c) counted a period's referrals,
-- decisions, closures, step-ups and step-downs, the live and history
-- events, and walked every case that might be open in it; waits joined
-- each case opened in the period to its referral.  Three tables now keep
-- what they read, maintained by triggers whoever writes (the pages, the
-- demo, hearth import-history, hearth migrate, plain SQL):
--
-- activity_months: per month ('YYYY-MM') and measure, the count the
--   activity query would give for that month: the same measure keys
--   ('referrals_school_primary', 'referrals_agency', 'accepted',
--   'closed_outcomes_met', 'stepped_up', 'stepped_down', …), plus
--   'opened' and 'ended' (a live or history case's allocation and its end:
--   step-up, else closure), from which "open at month end" follows:
--   opened before the period minus ended before it, then month by month.
--   Month '' measure 'irregular' counts rows the monthly sums cannot
--   answer for exactly (a date not of the form YYYY-MM-DD…, a case that
--   ends before it opens or a step-up after its closure, a wait from a
--   date C would not read): the report then runs the old query.
-- wait_months: per month of allocation and days waited, the cases (live
--   and history): a histogram, from which the median and 90th percentile
--   come exactly.
-- case_activity: each live case's contributions to the two (it depends
--   on its step-up events and referral too), so that a change takes off
--   exactly what was added: worked out again whole on any change.
--
-- The sums read are those of whole months: the report reads them for an
-- unfiltered period of whole months (financial, academic and calendar
-- years always are) when there is nothing irregular, and runs the old
-- query otherwise (a school, district or phase filter; a period starting
-- or ending inside a month).  A referral's source phase is its school's
-- phase now: a school's change of phase moves its referrals' counts.
-- tests/unit/test_report_activity_kept.c checks the tables against the
-- base rows after random writes, and the reports against the old queries,
-- on both backends.

CREATE TABLE activity_months (
	month TEXT NOT NULL,
	measure TEXT NOT NULL,
	n INTEGER NOT NULL,
	PRIMARY KEY (month, measure)
) WITHOUT ROWID;
CREATE TABLE wait_months (
	month TEXT NOT NULL,
	days INTEGER NOT NULL,
	n INTEGER NOT NULL,
	PRIMARY KEY (month, days)
) WITHOUT ROWID;
-- Always empty here: on PostgreSQL the triggers append to it and it is
-- folded into the sums at commit (see 0016.pg.sql); the reports read it
-- with them on both.
CREATE TABLE activity_delta (
	id INTEGER PRIMARY KEY,
	month TEXT NOT NULL,
	measure TEXT NOT NULL,
	days INTEGER NOT NULL,
	n INTEGER NOT NULL
);
CREATE TABLE case_activity (
	case_id INTEGER NOT NULL,
	measure TEXT NOT NULL,
	day TEXT NOT NULL,
	days INTEGER NOT NULL,
	n INTEGER NOT NULL,
	PRIMARY KEY (case_id, measure, day, days)
) WITHOUT ROWID;

-- Add n to a day's measure: INSERT INTO activity_add (day, measure, days, n).
-- measure 'wait' goes to wait_months (days: the wait).  A day that is not
-- "YYYY-MM" followed by something from "-01" up ('' included) counts as
-- irregular: only then is "day in [from, until)" the same as "month in
-- [from's month, until's month)" for periods of whole months.
CREATE VIEW activity_add AS SELECT '' AS day, '' AS measure, 0 AS days, 0 AS n;
CREATE TRIGGER activity_add_do INSTEAD OF INSERT ON activity_add
BEGIN
	INSERT INTO wait_months (month, days, n)
	SELECT substr(NEW.day, 1, 7), NEW.days, NEW.n
	WHERE NEW.measure = 'wait' AND coalesce(substr(NEW.day, 8), '') >= '-01'
	ON CONFLICT (month, days) DO UPDATE SET n = n + excluded.n;
	INSERT INTO activity_months (month, measure, n)
	SELECT CASE WHEN coalesce(substr(NEW.day, 8), '') >= '-01' THEN substr(NEW.day, 1, 7)
		ELSE '' END,
		CASE WHEN coalesce(substr(NEW.day, 8), '') >= '-01' THEN NEW.measure
		ELSE 'irregular' END, NEW.n
	WHERE NEW.measure <> 'wait' OR coalesce(substr(NEW.day, 8), '') < '-01'
	ON CONFLICT (month, measure) DO UPDATE SET n = n + excluded.n;
END;

-- ---- live cases ---------------------------------------------------------------
-- A case's rows: opened (its opened_on), ended (its step-up, first
-- step_up event, when stepped up, else its closure), closed by reason
-- (closed_on), each step_up event while the case is stepped up, and its
-- wait (opened_on less its referral's day; 'irregular' unless both are
-- valid dates C reads the same, 1900-2199).  A case that ends before it
-- opens, or is stepped up after its closure, is irregular.
CREATE VIEW case_activity_refresh AS SELECT 0 AS case_id;
CREATE TRIGGER case_activity_refresh_do INSTEAD OF INSERT ON case_activity_refresh
BEGIN
	DELETE FROM case_activity WHERE case_id = NEW.case_id;
	INSERT INTO case_activity (case_id, measure, day, days, n)
	SELECT NEW.case_id, x.measure, x.day, x.days, count(*) FROM (
		SELECT 'opened' AS measure, substr(c.opened_on, 1, 10) AS day, 0 AS days
		FROM cases c WHERE c.id = NEW.case_id
		UNION ALL SELECT 'closed_' || coalesce(c.closure_reason, 'other'),
			substr(c.closed_on, 1, 10), 0
		FROM cases c WHERE c.id = NEW.case_id AND c.closed_on IS NOT NULL
		UNION ALL SELECT 'stepped_up', substr(e.on_date, 1, 10), 0
		FROM cases c JOIN case_events e ON e.case_id = c.id
		WHERE c.id = NEW.case_id AND e.kind = 'step_up'
		AND (c.status = 'stepped_up' OR c.closure_reason = 'stepped_up')
		UNION ALL SELECT CASE WHEN s.bad THEN 'irregular' ELSE 'ended' END,
			CASE WHEN s.bad THEN '' ELSE substr(s.en, 1, 10) END, 0
		FROM (SELECT t.en AS en, coalesce(substr(t.en, 1, 10) < substr(t.st, 1, 10)
			OR substr(t.en, 1, 10) > substr(t.cl, 1, 10), 0) AS bad
			FROM (SELECT c.opened_on AS st, c.closed_on AS cl,
				CASE WHEN c.status = 'stepped_up' OR c.closure_reason = 'stepped_up'
				THEN coalesce((SELECT min(x.on_date) FROM case_events x
					WHERE x.case_id = c.id AND x.kind = 'step_up'), c.closed_on,
					c.opened_on) ELSE c.closed_on END AS en
				FROM cases c WHERE c.id = NEW.case_id) t) s
		WHERE s.en IS NOT NULL
		UNION ALL SELECT CASE WHEN w.ok THEN 'wait' ELSE 'irregular' END,
			CASE WHEN w.ok THEN w.o ELSE '' END,
			CASE WHEN w.ok THEN max(0, CAST(julianday(w.o) - julianday(w.r) AS INTEGER))
			ELSE 0 END
		FROM (SELECT v.o AS o, v.r AS r,
			coalesce(v.o GLOB '[12][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'
			AND v.o >= '1900' AND v.o < '2200' AND date(v.o) = v.o
			AND v.r GLOB '[12][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'
			AND v.r >= '1900' AND v.r < '2200' AND date(v.r) = v.r, 0) AS ok
			FROM (SELECT c.opened_on AS o, substr(r.received_at, 1, 10) AS r
				FROM cases c JOIN referrals r ON r.id = c.referral_id
				WHERE c.id = NEW.case_id) v) w
	) x GROUP BY x.measure, x.day, x.days;
END;

CREATE TRIGGER case_activity_insert AFTER INSERT ON case_activity
BEGIN
	INSERT INTO activity_add (day, measure, days, n)
	VALUES (NEW.day, NEW.measure, NEW.days, NEW.n);
END;
CREATE TRIGGER case_activity_delete AFTER DELETE ON case_activity
BEGIN
	INSERT INTO activity_add (day, measure, days, n)
	VALUES (OLD.day, OLD.measure, OLD.days, -OLD.n);
END;

CREATE TRIGGER cases_activity_insert AFTER INSERT ON cases
BEGIN
	INSERT INTO case_activity_refresh (case_id) VALUES (NEW.id);
END;
CREATE TRIGGER cases_activity_update
AFTER UPDATE OF id, referral_id, status, opened_on, closed_on, closure_reason ON cases
WHEN OLD.id IS NOT NEW.id OR OLD.referral_id IS NOT NEW.referral_id
	OR OLD.status IS NOT NEW.status OR OLD.opened_on IS NOT NEW.opened_on
	OR OLD.closed_on IS NOT NEW.closed_on OR OLD.closure_reason IS NOT NEW.closure_reason
BEGIN
	INSERT INTO case_activity_refresh (case_id) VALUES (OLD.id);
	INSERT INTO case_activity_refresh (case_id) SELECT NEW.id WHERE NEW.id <> OLD.id;
END;
CREATE TRIGGER cases_activity_delete AFTER DELETE ON cases
BEGIN
	DELETE FROM case_activity WHERE case_id = OLD.id;
END;

CREATE TRIGGER case_events_activity_insert AFTER INSERT ON case_events
WHEN NEW.kind = 'step_up'
BEGIN
	INSERT INTO case_activity_refresh (case_id) VALUES (NEW.case_id);
END;
CREATE TRIGGER case_events_activity_delete AFTER DELETE ON case_events
WHEN OLD.kind = 'step_up'
BEGIN
	INSERT INTO case_activity_refresh (case_id) VALUES (OLD.case_id);
END;
CREATE TRIGGER case_events_activity_update AFTER UPDATE OF case_id, kind, on_date ON case_events
WHEN (OLD.kind = 'step_up' OR NEW.kind = 'step_up') AND (OLD.case_id IS NOT NEW.case_id
	OR OLD.kind IS NOT NEW.kind OR OLD.on_date IS NOT NEW.on_date)
BEGIN
	INSERT INTO case_activity_refresh (case_id) VALUES (OLD.case_id);
	INSERT INTO case_activity_refresh (case_id) SELECT NEW.case_id
	WHERE NEW.case_id IS NOT OLD.case_id;
END;

-- ---- live referrals -----------------------------------------------------------
-- Received (by source; a school's by its phase) and, from the step-down
-- source, stepped down; decided (accepted, signposted, declined, stepped
-- up at screening) on decided_at.  Its case's wait follows its day.
CREATE TRIGGER referrals_activity_insert AFTER INSERT ON referrals
BEGIN
	INSERT INTO activity_add (day, measure, days, n)
	SELECT substr(NEW.received_at, 1, 10), CASE WHEN NEW.source = 'school'
		THEN 'referrals_school_' || coalesce((SELECT s.phase FROM schools s
		WHERE s.id = NEW.school_id), 'unknown') ELSE 'referrals_' || NEW.source END, 0, 1
	UNION ALL SELECT substr(NEW.received_at, 1, 10), 'stepped_down', 0, 1
	WHERE NEW.source = 'step_down'
	UNION ALL SELECT substr(NEW.decided_at, 1, 10), NEW.status, 0, 1
	WHERE NEW.decided_at IS NOT NULL
	AND coalesce(NEW.status, '') IN ('accepted', 'signposted', 'declined', 'stepped_up');
	INSERT INTO case_activity_refresh (case_id)
	SELECT c.id FROM cases c WHERE c.referral_id = NEW.id;
END;
CREATE TRIGGER referrals_activity_delete AFTER DELETE ON referrals
BEGIN
	INSERT INTO activity_add (day, measure, days, n)
	SELECT substr(OLD.received_at, 1, 10), CASE WHEN OLD.source = 'school'
		THEN 'referrals_school_' || coalesce((SELECT s.phase FROM schools s
		WHERE s.id = OLD.school_id), 'unknown') ELSE 'referrals_' || OLD.source END, 0, -1
	UNION ALL SELECT substr(OLD.received_at, 1, 10), 'stepped_down', 0, -1
	WHERE OLD.source = 'step_down'
	UNION ALL SELECT substr(OLD.decided_at, 1, 10), OLD.status, 0, -1
	WHERE OLD.decided_at IS NOT NULL
	AND coalesce(OLD.status, '') IN ('accepted', 'signposted', 'declined', 'stepped_up');
	INSERT INTO case_activity_refresh (case_id)
	SELECT c.id FROM cases c WHERE c.referral_id = OLD.id;
END;
CREATE TRIGGER referrals_activity_received AFTER UPDATE OF id, source, school_id, received_at
ON referrals
WHEN OLD.id IS NOT NEW.id OR OLD.source IS NOT NEW.source
	OR OLD.school_id IS NOT NEW.school_id OR OLD.received_at IS NOT NEW.received_at
BEGIN
	INSERT INTO activity_add (day, measure, days, n)
	SELECT substr(OLD.received_at, 1, 10), CASE WHEN OLD.source = 'school'
		THEN 'referrals_school_' || coalesce((SELECT s.phase FROM schools s
		WHERE s.id = OLD.school_id), 'unknown') ELSE 'referrals_' || OLD.source END, 0, -1
	UNION ALL SELECT substr(OLD.received_at, 1, 10), 'stepped_down', 0, -1
	WHERE OLD.source = 'step_down'
	UNION ALL SELECT substr(NEW.received_at, 1, 10), CASE WHEN NEW.source = 'school'
		THEN 'referrals_school_' || coalesce((SELECT s.phase FROM schools s
		WHERE s.id = NEW.school_id), 'unknown') ELSE 'referrals_' || NEW.source END, 0, 1
	UNION ALL SELECT substr(NEW.received_at, 1, 10), 'stepped_down', 0, 1
	WHERE NEW.source = 'step_down';
	INSERT INTO case_activity_refresh (case_id)
	SELECT c.id FROM cases c WHERE c.referral_id IN (OLD.id, NEW.id);
END;
CREATE TRIGGER referrals_activity_decided AFTER UPDATE OF status, decided_at ON referrals
WHEN OLD.status IS NOT NEW.status OR OLD.decided_at IS NOT NEW.decided_at
BEGIN
	INSERT INTO activity_add (day, measure, days, n)
	SELECT substr(OLD.decided_at, 1, 10), OLD.status, 0, -1
	WHERE OLD.decided_at IS NOT NULL
	AND coalesce(OLD.status, '') IN ('accepted', 'signposted', 'declined', 'stepped_up')
	UNION ALL SELECT substr(NEW.decided_at, 1, 10), NEW.status, 0, 1
	WHERE NEW.decided_at IS NOT NULL
	AND coalesce(NEW.status, '') IN ('accepted', 'signposted', 'declined', 'stepped_up');
END;

-- ---- history ------------------------------------------------------------------
-- An event of a history case that exists counts by its kind (a school's
-- referral by the case's school's phase).  Events whose case does not
-- exist count nothing; activity_months ('', 'orphan') counts them (of the
-- kinds counted: the others, allocated and commission, fire nothing), so that
-- a history case looks for events written before it only when some are
-- waiting (hearth import-history writes the case first and, for a big
-- load, drops the index on history_events(case_id) meanwhile).
-- history_event_add (school_id, on_date, kind, source, reason, n): add an
-- event of a case of that school; history_activity_add (case_id, …): of
-- that case, if it exists.
CREATE VIEW history_event_add AS SELECT 0 AS school_id, '' AS on_date, '' AS kind,
	'' AS source, '' AS reason, 0 AS n;
CREATE TRIGGER history_event_add_do INSTEAD OF INSERT ON history_event_add
WHEN NEW.kind IN ('referred', 'accepted', 'signposted', 'declined', 'closed', 'step_up',
	'step_down')
BEGIN
	INSERT INTO activity_add (day, measure, days, n)
	VALUES (substr(NEW.on_date, 1, 10), CASE WHEN NEW.kind = 'referred' THEN
		CASE WHEN NEW.source = 'school' THEN 'referrals_school_' || coalesce((SELECT s.phase
		FROM schools s WHERE s.id = NEW.school_id), 'unknown')
		ELSE 'referrals_' || coalesce(NEW.source, 'unknown') END
		WHEN NEW.kind = 'closed' THEN 'closed_' || coalesce(NEW.reason, 'other')
		WHEN NEW.kind = 'step_up' THEN 'stepped_up' WHEN NEW.kind = 'step_down'
		THEN 'stepped_down' ELSE NEW.kind END, 0, NEW.n);
END;
CREATE VIEW history_activity_add AS SELECT 0 AS case_id, '' AS on_date, '' AS kind,
	'' AS source, '' AS reason, 0 AS n;
CREATE TRIGGER history_activity_add_do INSTEAD OF INSERT ON history_activity_add
BEGIN
	INSERT INTO history_event_add (school_id, on_date, kind, source, reason, n)
	SELECT h.school_id, NEW.on_date, NEW.kind, NEW.source, NEW.reason, NEW.n
	FROM history_cases h WHERE h.id = NEW.case_id;
	INSERT INTO activity_months (month, measure, n)
	SELECT '', 'orphan', NEW.n WHERE NEW.kind IN ('referred', 'accepted', 'signposted',
		'declined', 'closed', 'step_up', 'step_down')
	AND NOT EXISTS (SELECT 1 FROM history_cases h WHERE h.id = NEW.case_id)
	ON CONFLICT (month, measure) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER history_events_activity_insert AFTER INSERT ON history_events
WHEN NEW.kind IN ('referred', 'accepted', 'signposted', 'declined', 'closed', 'step_up',
	'step_down')
BEGIN
	INSERT INTO history_activity_add (case_id, on_date, kind, source, reason, n)
	VALUES (NEW.case_id, NEW.on_date, NEW.kind, NEW.source, NEW.reason, 1);
END;
CREATE TRIGGER history_events_activity_delete AFTER DELETE ON history_events
WHEN OLD.kind IN ('referred', 'accepted', 'signposted', 'declined', 'closed', 'step_up',
	'step_down')
BEGIN
	INSERT INTO history_activity_add (case_id, on_date, kind, source, reason, n)
	VALUES (OLD.case_id, OLD.on_date, OLD.kind, OLD.source, OLD.reason, -1);
END;
CREATE TRIGGER history_events_activity_update
AFTER UPDATE OF case_id, on_date, kind, source, reason ON history_events
WHEN (OLD.kind IN ('referred', 'accepted', 'signposted', 'declined', 'closed', 'step_up', 'step_down')
	OR NEW.kind IN ('referred', 'accepted', 'signposted', 'declined', 'closed', 'step_up', 'step_down'))
	AND (OLD.case_id IS NOT NEW.case_id OR OLD.on_date IS NOT NEW.on_date
	OR OLD.kind IS NOT NEW.kind OR OLD.source IS NOT NEW.source OR OLD.reason IS NOT NEW.reason)
BEGIN
	INSERT INTO history_activity_add (case_id, on_date, kind, source, reason, n)
	VALUES (OLD.case_id, OLD.on_date, OLD.kind, OLD.source, OLD.reason, -1);
	INSERT INTO history_activity_add (case_id, on_date, kind, source, reason, n)
	VALUES (NEW.case_id, NEW.on_date, NEW.kind, NEW.source, NEW.reason, 1);
END;

-- A history case's own rows: opened (allocated_on), ended (ended_on, when
-- allocated; irregular if before the allocation) and its wait (allocated
-- less referred, when both are valid dates, referred first; else
-- irregular): hc_activity_add (allocated_on, ended_on, referred_on, n).
CREATE VIEW hc_activity_add AS SELECT '' AS allocated_on, '' AS ended_on, '' AS referred_on,
	0 AS n;
CREATE TRIGGER hc_activity_add_do INSTEAD OF INSERT ON hc_activity_add
WHEN NEW.allocated_on IS NOT NULL
BEGIN
	INSERT INTO activity_add (day, measure, days, n)
	SELECT substr(NEW.allocated_on, 1, 10), 'opened', 0, NEW.n
	UNION ALL SELECT CASE WHEN substr(NEW.ended_on, 1, 10) < substr(NEW.allocated_on, 1, 10)
		THEN '' ELSE substr(NEW.ended_on, 1, 10) END,
		CASE WHEN substr(NEW.ended_on, 1, 10) < substr(NEW.allocated_on, 1, 10)
		THEN 'irregular' ELSE 'ended' END, 0, NEW.n
	WHERE NEW.ended_on IS NOT NULL
	UNION ALL SELECT CASE WHEN w.ok THEN NEW.allocated_on ELSE '' END,
		CASE WHEN w.ok THEN 'wait' ELSE 'irregular' END,
		CASE WHEN w.ok THEN CAST(julianday(NEW.allocated_on) - julianday(NEW.referred_on)
		AS INTEGER) ELSE 0 END, NEW.n
	FROM (SELECT coalesce(NEW.allocated_on GLOB '[12][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'
		AND NEW.allocated_on >= '1900' AND NEW.allocated_on < '2200'
		AND date(NEW.allocated_on) = NEW.allocated_on
		AND NEW.referred_on GLOB '[12][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'
		AND NEW.referred_on >= '1900' AND NEW.referred_on < '2200'
		AND date(NEW.referred_on) = NEW.referred_on
		AND NEW.referred_on <= NEW.allocated_on, 0) AS ok) w
	WHERE NEW.referred_on IS NOT NULL;
END;

CREATE TRIGGER history_cases_activity_insert AFTER INSERT ON history_cases
BEGIN
	INSERT INTO hc_activity_add (allocated_on, ended_on, referred_on, n)
	VALUES (NEW.allocated_on, NEW.ended_on, NEW.referred_on, 1);
END;
-- Events written before their case: looked up only when some are waiting
-- (the WHEN: a condition in the statements' WHERE would not spare the scan).
CREATE TRIGGER history_cases_activity_orphans AFTER INSERT ON history_cases
WHEN (SELECT o.n FROM activity_months o WHERE o.month = '' AND o.measure = 'orphan') > 0
BEGIN
	INSERT INTO history_event_add (school_id, on_date, kind, source, reason, n)
	SELECT NEW.school_id, e.on_date, e.kind, e.source, e.reason, 1 FROM history_events e
	WHERE e.case_id = NEW.id;
	UPDATE activity_months SET n = n - (SELECT count(*) FROM history_events e
		WHERE e.case_id = NEW.id AND e.kind IN ('referred', 'accepted', 'signposted', 'declined', 'closed', 'step_up', 'step_down'))
	WHERE month = '' AND measure = 'orphan';
END;
CREATE TRIGGER history_cases_activity_delete AFTER DELETE ON history_cases
BEGIN
	INSERT INTO hc_activity_add (allocated_on, ended_on, referred_on, n)
	VALUES (OLD.allocated_on, OLD.ended_on, OLD.referred_on, -1);
	INSERT INTO history_event_add (school_id, on_date, kind, source, reason, n)
	SELECT OLD.school_id, e.on_date, e.kind, e.source, e.reason, -1 FROM history_events e
	WHERE e.case_id = OLD.id;
	INSERT INTO activity_months (month, measure, n)
	SELECT '', 'orphan', count(*) FROM history_events e WHERE e.case_id = OLD.id
	AND e.kind IN ('referred', 'accepted', 'signposted', 'declined', 'closed', 'step_up', 'step_down')
	ON CONFLICT (month, measure) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER history_cases_activity_school AFTER UPDATE OF id, school_id ON history_cases
WHEN OLD.id IS NOT NEW.id OR OLD.school_id IS NOT NEW.school_id
BEGIN
	INSERT INTO history_event_add (school_id, on_date, kind, source, reason, n)
	SELECT OLD.school_id, e.on_date, e.kind, e.source, e.reason, -1 FROM history_events e
	WHERE e.case_id = OLD.id;
	INSERT INTO activity_months (month, measure, n)
	SELECT '', 'orphan', count(*) FROM history_events e WHERE e.case_id = OLD.id
	AND e.kind IN ('referred', 'accepted', 'signposted', 'declined', 'closed', 'step_up', 'step_down')
	ON CONFLICT (month, measure) DO UPDATE SET n = n + excluded.n;
	INSERT INTO history_event_add (school_id, on_date, kind, source, reason, n)
	SELECT NEW.school_id, e.on_date, e.kind, e.source, e.reason, 1 FROM history_events e
	WHERE e.case_id = NEW.id;
	UPDATE activity_months SET n = n - (SELECT count(*) FROM history_events e
		WHERE e.case_id = NEW.id AND e.kind IN ('referred', 'accepted', 'signposted', 'declined', 'closed', 'step_up', 'step_down'))
	WHERE month = '' AND measure = 'orphan';
END;
CREATE TRIGGER history_cases_activity_days
AFTER UPDATE OF allocated_on, ended_on, referred_on ON history_cases
WHEN OLD.allocated_on IS NOT NEW.allocated_on OR OLD.ended_on IS NOT NEW.ended_on
	OR OLD.referred_on IS NOT NEW.referred_on
BEGIN
	INSERT INTO hc_activity_add (allocated_on, ended_on, referred_on, n)
	VALUES (OLD.allocated_on, OLD.ended_on, OLD.referred_on, -1);
	INSERT INTO hc_activity_add (allocated_on, ended_on, referred_on, n)
	VALUES (NEW.allocated_on, NEW.ended_on, NEW.referred_on, 1);
END;

-- ---- schools ------------------------------------------------------------------
-- A school's referrals (live, and history cases' 'referred' events from a
-- school) count under its phase, or 'unknown' while there is no school:
-- move them when a school comes, goes or changes phase.
-- school_activity_move (school_id, from_phase, to_phase).
CREATE VIEW school_activity_move AS SELECT 0 AS school_id, '' AS from_phase, '' AS to_phase;
CREATE TRIGGER school_activity_move_do INSTEAD OF INSERT ON school_activity_move
BEGIN
	INSERT INTO activity_add (day, measure, days, n)
	SELECT x.day, 'referrals_school_' || NEW.from_phase, 0, -count(*) FROM
		(SELECT substr(r.received_at, 1, 10) AS day FROM referrals r
		WHERE r.school_id = NEW.school_id AND r.source = 'school'
		UNION ALL SELECT substr(e.on_date, 1, 10) FROM history_cases h
		JOIN history_events e ON e.case_id = h.id
		WHERE h.school_id = NEW.school_id AND e.kind = 'referred' AND e.source = 'school') x
	GROUP BY x.day;
	INSERT INTO activity_add (day, measure, days, n)
	SELECT x.day, 'referrals_school_' || NEW.to_phase, 0, count(*) FROM
		(SELECT substr(r.received_at, 1, 10) AS day FROM referrals r
		WHERE r.school_id = NEW.school_id AND r.source = 'school'
		UNION ALL SELECT substr(e.on_date, 1, 10) FROM history_cases h
		JOIN history_events e ON e.case_id = h.id
		WHERE h.school_id = NEW.school_id AND e.kind = 'referred' AND e.source = 'school') x
	GROUP BY x.day;
END;
CREATE TRIGGER schools_activity_insert AFTER INSERT ON schools
BEGIN
	INSERT INTO school_activity_move (school_id, from_phase, to_phase)
	VALUES (NEW.id, 'unknown', NEW.phase);
END;
CREATE TRIGGER schools_activity_delete AFTER DELETE ON schools
BEGIN
	INSERT INTO school_activity_move (school_id, from_phase, to_phase)
	VALUES (OLD.id, OLD.phase, 'unknown');
END;
CREATE TRIGGER schools_activity_update AFTER UPDATE OF id, phase ON schools
WHEN OLD.id IS NOT NEW.id OR OLD.phase IS NOT NEW.phase
BEGIN
	INSERT INTO school_activity_move (school_id, from_phase, to_phase)
	VALUES (OLD.id, OLD.phase, 'unknown');
	INSERT INTO school_activity_move (school_id, from_phase, to_phase)
	VALUES (NEW.id, 'unknown', NEW.phase);
END;

-- ---- the rows there are now ---------------------------------------------------
INSERT INTO case_activity_refresh (case_id) SELECT id FROM cases;
INSERT INTO activity_add (day, measure, days, n)
SELECT x.day, x.measure, 0, count(*) FROM (
	SELECT substr(r.received_at, 1, 10) AS day, CASE WHEN r.source = 'school'
		THEN 'referrals_school_' || coalesce(s.phase, 'unknown')
		ELSE 'referrals_' || r.source END AS measure
	FROM referrals r LEFT JOIN schools s ON s.id = r.school_id
	UNION ALL SELECT substr(r.received_at, 1, 10), 'stepped_down' FROM referrals r
	WHERE r.source = 'step_down'
	UNION ALL SELECT substr(r.decided_at, 1, 10), r.status FROM referrals r
	WHERE r.decided_at IS NOT NULL
	AND coalesce(r.status, '') IN ('accepted', 'signposted', 'declined', 'stepped_up')
	UNION ALL SELECT substr(e.on_date, 1, 10), CASE WHEN e.kind = 'referred' THEN
		CASE WHEN e.source = 'school' THEN 'referrals_school_' || coalesce(s.phase, 'unknown')
		ELSE 'referrals_' || coalesce(e.source, 'unknown') END
		WHEN e.kind = 'closed' THEN 'closed_' || coalesce(e.reason, 'other')
		WHEN e.kind = 'step_up' THEN 'stepped_up' WHEN e.kind = 'step_down'
		THEN 'stepped_down' ELSE e.kind END
	FROM history_events e JOIN history_cases h ON h.id = e.case_id
	LEFT JOIN schools s ON s.id = h.school_id
	WHERE e.kind IN ('referred', 'accepted', 'signposted', 'declined', 'closed', 'step_up',
		'step_down')
) x GROUP BY x.day, x.measure;
INSERT INTO activity_months (month, measure, n)
SELECT '', 'orphan', count(*) FROM history_events e
WHERE e.kind IN ('referred', 'accepted', 'signposted', 'declined', 'closed', 'step_up', 'step_down') AND NOT EXISTS (SELECT 1 FROM history_cases h WHERE h.id = e.case_id)
ON CONFLICT (month, measure) DO UPDATE SET n = n + excluded.n;
INSERT INTO hc_activity_add (allocated_on, ended_on, referred_on, n)
SELECT allocated_on, ended_on, referred_on, count(*) FROM history_cases
WHERE allocated_on IS NOT NULL GROUP BY allocated_on, ended_on, referred_on;
