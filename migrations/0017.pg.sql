-- 0017: cost per family from kept sums (issue 8: "the full-year dashboard
-- under 200 ms").  Paired with 0017.sqlite.sql, which explains the tables:
-- contact_months and contact_years keep the held (planned = 0) contacts'
-- minutes per case by calendar month (year × 100 + month) and by
-- financial year, maintained by a trigger on contacts; a contact whose at
-- does not start with 'NNNN-MM-DD' (digits, month 01-12, day not 00) is
-- counted in the row (month -1, case 0) instead, and while that count is
-- not 0 cost.c reads the contacts as before.  Both tables (and
-- commission_days, below) are only ever added to (an upsert of ± the
-- amounts), which gives the same sums whatever order the row triggers fire
-- in.

CREATE TABLE contact_months (
	month INTEGER NOT NULL,
	case_id BIGINT NOT NULL,
	minutes BIGINT NOT NULL,
	PRIMARY KEY (month, case_id)
);
CREATE TABLE contact_years (
	fy INTEGER NOT NULL,
	case_id BIGINT NOT NULL,
	minutes BIGINT NOT NULL,
	PRIMARY KEY (fy, case_id)
);

-- Does a contact's at start 'NNNN-MM-DD' (digits, month 01-12, day not 00)?
CREATE FUNCTION contact_at_dated(TEXT) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
	SELECT $1 ~ '^[0-9]{4}-(0[1-9]|1[0-2])-[0-9]{2}' AND substr($1, 9, 2) <> '00';
$$;

-- The contacts there are now.
INSERT INTO contact_months (month, case_id, minutes)
SELECT CAST(substr(at, 1, 4) AS INTEGER) * 100 + CAST(substr(at, 6, 2) AS INTEGER), case_id,
	sum(duration_min)
FROM contacts WHERE planned = 0 AND contact_at_dated(at)
GROUP BY 1, 2;
INSERT INTO contact_years (fy, case_id, minutes)
SELECT CAST(substr(at, 1, 4) AS INTEGER)
	- CASE WHEN CAST(substr(at, 6, 2) AS INTEGER) < 4 THEN 1 ELSE 0 END, case_id,
	sum(duration_min)
FROM contacts WHERE planned = 0 AND contact_at_dated(at)
GROUP BY 1, 2;
INSERT INTO contact_months (month, case_id, minutes)
SELECT -1, 0, count(*) FROM contacts WHERE planned = 0 AND NOT contact_at_dated(at);

-- Add n times one contact's minutes (case, at, minutes) to both tables.
CREATE FUNCTION contact_minutes_add(BIGINT, TEXT, INTEGER, INTEGER)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	IF contact_at_dated($2) THEN
		INSERT INTO contact_months AS t (month, case_id, minutes)
		VALUES (CAST(substr($2, 1, 4) AS INTEGER) * 100 + CAST(substr($2, 6, 2) AS INTEGER),
			$1, $4 * $3)
		ON CONFLICT (month, case_id) DO UPDATE SET minutes = t.minutes + excluded.minutes;
		INSERT INTO contact_years AS t (fy, case_id, minutes)
		VALUES (CAST(substr($2, 1, 4) AS INTEGER)
			- CASE WHEN CAST(substr($2, 6, 2) AS INTEGER) < 4 THEN 1 ELSE 0 END, $1, $4 * $3)
		ON CONFLICT (fy, case_id) DO UPDATE SET minutes = t.minutes + excluded.minutes;
	ELSE
		INSERT INTO contact_months AS t (month, case_id, minutes) VALUES (-1, 0, $4)
		ON CONFLICT (month, case_id) DO UPDATE SET minutes = t.minutes + excluded.minutes;
	END IF;
END $$;

CREATE FUNCTION contacts_minutes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP <> 'INSERT' THEN
		IF OLD.planned = 0 THEN
			PERFORM contact_minutes_add(OLD.case_id, OLD.at, OLD.duration_min, -1);
		END IF;
	END IF;
	IF TG_OP <> 'DELETE' THEN
		IF NEW.planned = 0 THEN
			PERFORM contact_minutes_add(NEW.case_id, NEW.at, NEW.duration_min, 1);
		END IF;
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER contacts_minutes
	AFTER INSERT OR DELETE OR UPDATE OF case_id, at, duration_min, planned ON contacts
	FOR EACH ROW EXECUTE FUNCTION contacts_minutes();

-- commission_days: the money of commissions by day and case, as cost.c
-- counts it for a window (see 0017.sqlite.sql): committed, spent and
-- counted on the day of the decision (the request's when there is none),
-- pending on the day of the request; a day is the timestamp's first 10
-- characters, exactly as cost.c compares them with a window's days.
CREATE TABLE commission_days (
	day TEXT NOT NULL,
	case_id BIGINT NOT NULL,
	committed BIGINT NOT NULL,
	spent BIGINT NOT NULL,
	pending BIGINT NOT NULL,
	counted BIGINT NOT NULL,
	PRIMARY KEY (day, case_id)
);

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

-- Add n (1 or -1) times one commission's money.
CREATE FUNCTION commission_days_add(n INTEGER, c commissions) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	IF c.status IN ('approved', 'delivered', 'paid') THEN
		INSERT INTO commission_days AS t (day, case_id, committed, spent, pending, counted)
		VALUES (substr(coalesce(c.decided_at, c.requested_at), 1, 10), c.case_id,
			n * CASE WHEN c.status = 'delivered' THEN coalesce(c.actual_pence, c.estimate_pence)
				WHEN c.status = 'approved' THEN c.estimate_pence ELSE 0 END,
			n * CASE WHEN c.status = 'paid'
				THEN coalesce(c.actual_pence, c.estimate_pence) - c.refunded_pence ELSE 0 END,
			0, n)
		ON CONFLICT (day, case_id) DO UPDATE SET committed = t.committed + excluded.committed,
			spent = t.spent + excluded.spent, counted = t.counted + excluded.counted;
	ELSIF c.status = 'requested' THEN
		INSERT INTO commission_days AS t (day, case_id, committed, spent, pending, counted)
		VALUES (substr(c.requested_at, 1, 10), c.case_id, 0, 0, n * c.estimate_pence, 0)
		ON CONFLICT (day, case_id) DO UPDATE SET pending = t.pending + excluded.pending;
	END IF;
END $$;

CREATE FUNCTION commissions_days() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP <> 'INSERT' THEN
		PERFORM commission_days_add(-1, OLD);
	END IF;
	IF TG_OP <> 'DELETE' THEN
		PERFORM commission_days_add(1, NEW);
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER commissions_days
	AFTER INSERT OR DELETE OR UPDATE OF case_id, status, estimate_pence, actual_pence,
	refunded_pence, decided_at, requested_at ON commissions
	FOR EACH ROW EXECUTE FUNCTION commissions_days();

-- A budget's position (budget_position, core/budget.c: the money report's
-- budgets and funding sources, the budget pages) sums its commissions'
-- money by status: read it from the index alone.
DROP INDEX commissions_budget;
CREATE INDEX commissions_budget ON commissions(budget_id, status, estimate_pence, actual_pence,
	refunded_pence);
