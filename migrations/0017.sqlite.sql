-- 0017: cost per family from kept sums (issue 8: "the full-year dashboard
-- under 200 ms").  Paired with 0017.pg.sql.
--
-- The money report's cost per family (cost_window_sum, core/cost.c) read
-- the held minutes of every case open in the period from its contacts: for
-- a year of the ten-year county ~43,000 cases and ~500,000 contacts.  Two
-- tables now keep those minutes summed per case, maintained by triggers on
-- contacts whoever writes (the case pages, the demo, hearth migrate, plain
-- SQL):
--
-- contact_months: held (planned = 0) contacts' minutes by calendar month
--   of their at (year × 100 + month) and case.
-- contact_years: the same by financial year (1 April, named by its first
--   calendar year) and case.
--
-- A period's minutes for a case are its whole financial years' rows, its
-- whole months' rows outside them, and the contacts of the partial months
-- at either end (read only for the cases that have a row in those months).
-- Each contact's at is 'YYYY-MM-DDTHH:MM'.  One that does not start with
-- 'NNNN-MM-DD' (digits, month 01-12, day not 00) cannot be put in a month
-- the way the report's text comparison of at with the period's days would
-- place it: it is counted in the row (month -1, case 0) instead, and while
-- that count is not 0 cost.c reads the contacts as before.
-- commission_days (below) does the same for the commissions' money.
-- tests/unit/test_cost_summary.c checks the three tables and the report
-- against the rows after random inserts, changes and deletions, on both
-- backends.

CREATE TABLE contact_months (
	month INTEGER NOT NULL,
	case_id INTEGER NOT NULL,
	minutes INTEGER NOT NULL,
	PRIMARY KEY (month, case_id)
) WITHOUT ROWID;
CREATE TABLE contact_years (
	fy INTEGER NOT NULL,
	case_id INTEGER NOT NULL,
	minutes INTEGER NOT NULL,
	PRIMARY KEY (fy, case_id)
) WITHOUT ROWID;

-- The contacts there are now.
INSERT INTO contact_months (month, case_id, minutes)
SELECT CAST(substr(at, 1, 4) AS INTEGER) * 100 + CAST(substr(at, 6, 2) AS INTEGER), case_id,
	sum(duration_min)
FROM contacts
WHERE planned = 0 AND at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
	AND substr(at, 6, 2) BETWEEN '01' AND '12' AND substr(at, 9, 2) <> '00'
GROUP BY 1, 2;
INSERT INTO contact_years (fy, case_id, minutes)
SELECT CAST(substr(at, 1, 4) AS INTEGER) - (CAST(substr(at, 6, 2) AS INTEGER) < 4), case_id,
	sum(duration_min)
FROM contacts
WHERE planned = 0 AND at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
	AND substr(at, 6, 2) BETWEEN '01' AND '12' AND substr(at, 9, 2) <> '00'
GROUP BY 1, 2;
INSERT INTO contact_months (month, case_id, minutes)
SELECT -1, 0, count(*) FROM contacts
WHERE planned = 0 AND NOT (at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
	AND substr(at, 6, 2) BETWEEN '01' AND '12' AND substr(at, 9, 2) <> '00');

-- A held contact adds its minutes; a row may be left at zero.
CREATE TRIGGER contacts_minutes_insert AFTER INSERT ON contacts
WHEN NEW.planned = 0
BEGIN
	INSERT INTO contact_months (month, case_id, minutes)
	SELECT CAST(substr(NEW.at, 1, 4) AS INTEGER) * 100 + CAST(substr(NEW.at, 6, 2) AS INTEGER),
		NEW.case_id, NEW.duration_min
	WHERE NEW.at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
		AND substr(NEW.at, 6, 2) BETWEEN '01' AND '12' AND substr(NEW.at, 9, 2) <> '00'
	ON CONFLICT (month, case_id) DO UPDATE SET minutes = minutes + excluded.minutes;
	INSERT INTO contact_years (fy, case_id, minutes)
	SELECT CAST(substr(NEW.at, 1, 4) AS INTEGER) - (CAST(substr(NEW.at, 6, 2) AS INTEGER) < 4),
		NEW.case_id, NEW.duration_min
	WHERE NEW.at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
		AND substr(NEW.at, 6, 2) BETWEEN '01' AND '12' AND substr(NEW.at, 9, 2) <> '00'
	ON CONFLICT (fy, case_id) DO UPDATE SET minutes = minutes + excluded.minutes;
	UPDATE contact_months SET minutes = minutes + 1 WHERE month = -1 AND case_id = 0
	AND NOT (NEW.at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
		AND substr(NEW.at, 6, 2) BETWEEN '01' AND '12' AND substr(NEW.at, 9, 2) <> '00');
END;

-- A held contact removed takes its minutes away.
CREATE TRIGGER contacts_minutes_delete AFTER DELETE ON contacts
WHEN OLD.planned = 0
BEGIN
	UPDATE contact_months SET minutes = minutes - OLD.duration_min
	WHERE month = CAST(substr(OLD.at, 1, 4) AS INTEGER) * 100 + CAST(substr(OLD.at, 6, 2) AS INTEGER)
	AND case_id = OLD.case_id
	AND OLD.at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
		AND substr(OLD.at, 6, 2) BETWEEN '01' AND '12' AND substr(OLD.at, 9, 2) <> '00';
	UPDATE contact_years SET minutes = minutes - OLD.duration_min
	WHERE fy = CAST(substr(OLD.at, 1, 4) AS INTEGER) - (CAST(substr(OLD.at, 6, 2) AS INTEGER) < 4)
	AND case_id = OLD.case_id
	AND OLD.at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
		AND substr(OLD.at, 6, 2) BETWEEN '01' AND '12' AND substr(OLD.at, 9, 2) <> '00';
	UPDATE contact_months SET minutes = minutes - 1 WHERE month = -1 AND case_id = 0
	AND NOT (OLD.at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
		AND substr(OLD.at, 6, 2) BETWEEN '01' AND '12' AND substr(OLD.at, 9, 2) <> '00');
END;

-- A change is the old row taken away and the new one added (each only
-- when held).
CREATE TRIGGER contacts_minutes_update AFTER UPDATE OF case_id, at, duration_min, planned
ON contacts
BEGIN
	UPDATE contact_months SET minutes = minutes - OLD.duration_min
	WHERE month = CAST(substr(OLD.at, 1, 4) AS INTEGER) * 100 + CAST(substr(OLD.at, 6, 2) AS INTEGER)
	AND case_id = OLD.case_id AND OLD.planned = 0
	AND OLD.at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
		AND substr(OLD.at, 6, 2) BETWEEN '01' AND '12' AND substr(OLD.at, 9, 2) <> '00';
	UPDATE contact_years SET minutes = minutes - OLD.duration_min
	WHERE fy = CAST(substr(OLD.at, 1, 4) AS INTEGER) - (CAST(substr(OLD.at, 6, 2) AS INTEGER) < 4)
	AND case_id = OLD.case_id AND OLD.planned = 0
	AND OLD.at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
		AND substr(OLD.at, 6, 2) BETWEEN '01' AND '12' AND substr(OLD.at, 9, 2) <> '00';
	UPDATE contact_months SET minutes = minutes - 1 WHERE month = -1 AND case_id = 0
	AND OLD.planned = 0
	AND NOT (OLD.at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
		AND substr(OLD.at, 6, 2) BETWEEN '01' AND '12' AND substr(OLD.at, 9, 2) <> '00');
	INSERT INTO contact_months (month, case_id, minutes)
	SELECT CAST(substr(NEW.at, 1, 4) AS INTEGER) * 100 + CAST(substr(NEW.at, 6, 2) AS INTEGER),
		NEW.case_id, NEW.duration_min
	WHERE NEW.planned = 0
	AND NEW.at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
		AND substr(NEW.at, 6, 2) BETWEEN '01' AND '12' AND substr(NEW.at, 9, 2) <> '00'
	ON CONFLICT (month, case_id) DO UPDATE SET minutes = minutes + excluded.minutes;
	INSERT INTO contact_years (fy, case_id, minutes)
	SELECT CAST(substr(NEW.at, 1, 4) AS INTEGER) - (CAST(substr(NEW.at, 6, 2) AS INTEGER) < 4),
		NEW.case_id, NEW.duration_min
	WHERE NEW.planned = 0
	AND NEW.at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
		AND substr(NEW.at, 6, 2) BETWEEN '01' AND '12' AND substr(NEW.at, 9, 2) <> '00'
	ON CONFLICT (fy, case_id) DO UPDATE SET minutes = minutes + excluded.minutes;
	UPDATE contact_months SET minutes = minutes + 1 WHERE month = -1 AND case_id = 0
	AND NEW.planned = 0
	AND NOT (NEW.at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
		AND substr(NEW.at, 6, 2) BETWEEN '01' AND '12' AND substr(NEW.at, 9, 2) <> '00');
END;

-- commission_days: the money of commissions by day and case, as cost.c
-- counts it for a window (budget.h's definitions applied to one
-- commission): committed (approved or delivered: the estimate, or the
-- actual cost once delivered), spent (paid: actual, else estimate, less
-- refunds) and counted (approved, delivered or paid: 1) on the day of the
-- decision (the request's when there is none), pending (requested: the
-- estimate) on the day of the request.  A day is the first 10 characters
-- of the timestamp, exactly as cost.c compares them with a window's days,
-- so a window's money is the sum of its days' rows.
CREATE TABLE commission_days (
	day TEXT NOT NULL,
	case_id INTEGER NOT NULL,
	committed INTEGER NOT NULL,
	spent INTEGER NOT NULL,
	pending INTEGER NOT NULL,
	counted INTEGER NOT NULL,
	PRIMARY KEY (day, case_id)
) WITHOUT ROWID;

INSERT INTO commission_days (day, case_id, committed, spent, pending, counted)
SELECT day, case_id, sum(committed), sum(spent), sum(pending), sum(counted)
FROM (SELECT substr(coalesce(decided_at, requested_at), 1, 10) AS day, case_id,
	CASE WHEN status = 'delivered' THEN coalesce(actual_pence, estimate_pence)
		WHEN status = 'approved' THEN estimate_pence ELSE 0 END AS committed,
	CASE WHEN status = 'paid' THEN coalesce(actual_pence, estimate_pence) - refunded_pence
		ELSE 0 END AS spent,
	0 AS pending, 1 AS counted
	FROM commissions WHERE status IN ('approved', 'delivered', 'paid')
	UNION ALL SELECT substr(requested_at, 1, 10), case_id, 0, 0, estimate_pence, 0
	FROM commissions WHERE status = 'requested') x
GROUP BY day, case_id;

-- Add n (1 or -1) times one commission's money: INSERT INTO
-- commission_days_add VALUES (...) from a trigger (a view's INSTEAD OF
-- trigger stands in for a function).
CREATE VIEW commission_days_add AS SELECT 0 AS n, 0 AS case_id, '' AS status,
	0 AS estimate_pence, 0 AS actual_pence, 0 AS refunded_pence, '' AS decided_at,
	'' AS requested_at;
CREATE TRIGGER commission_days_add_do INSTEAD OF INSERT ON commission_days_add
BEGIN
	INSERT INTO commission_days (day, case_id, committed, spent, pending, counted)
	SELECT substr(coalesce(NEW.decided_at, NEW.requested_at), 1, 10), NEW.case_id,
		NEW.n * CASE WHEN NEW.status = 'delivered'
			THEN coalesce(NEW.actual_pence, NEW.estimate_pence)
			WHEN NEW.status = 'approved' THEN NEW.estimate_pence ELSE 0 END,
		NEW.n * CASE WHEN NEW.status = 'paid'
			THEN coalesce(NEW.actual_pence, NEW.estimate_pence) - NEW.refunded_pence
			ELSE 0 END,
		0, NEW.n
	WHERE NEW.status IN ('approved', 'delivered', 'paid')
	ON CONFLICT (day, case_id) DO UPDATE SET committed = committed + excluded.committed,
		spent = spent + excluded.spent, counted = counted + excluded.counted;
	INSERT INTO commission_days (day, case_id, committed, spent, pending, counted)
	SELECT substr(NEW.requested_at, 1, 10), NEW.case_id, 0, 0, NEW.n * NEW.estimate_pence, 0
	WHERE NEW.status = 'requested'
	ON CONFLICT (day, case_id) DO UPDATE SET pending = pending + excluded.pending;
END;

CREATE TRIGGER commissions_days_insert AFTER INSERT ON commissions
BEGIN
	INSERT INTO commission_days_add VALUES (1, NEW.case_id, NEW.status, NEW.estimate_pence,
		NEW.actual_pence, NEW.refunded_pence, NEW.decided_at, NEW.requested_at);
END;
CREATE TRIGGER commissions_days_delete AFTER DELETE ON commissions
BEGIN
	INSERT INTO commission_days_add VALUES (-1, OLD.case_id, OLD.status, OLD.estimate_pence,
		OLD.actual_pence, OLD.refunded_pence, OLD.decided_at, OLD.requested_at);
END;
CREATE TRIGGER commissions_days_update AFTER UPDATE OF case_id, status, estimate_pence,
	actual_pence, refunded_pence, decided_at, requested_at ON commissions
BEGIN
	INSERT INTO commission_days_add VALUES (-1, OLD.case_id, OLD.status, OLD.estimate_pence,
		OLD.actual_pence, OLD.refunded_pence, OLD.decided_at, OLD.requested_at);
	INSERT INTO commission_days_add VALUES (1, NEW.case_id, NEW.status, NEW.estimate_pence,
		NEW.actual_pence, NEW.refunded_pence, NEW.decided_at, NEW.requested_at);
END;

-- A budget's position (budget_position, core/budget.c: the money report's
-- budgets and funding sources, the budget pages) sums its commissions'
-- money by status: read it from the index alone.
DROP INDEX commissions_budget;
CREATE INDEX commissions_budget ON commissions(budget_id, status, estimate_pence, actual_pence,
	refunded_pence);
