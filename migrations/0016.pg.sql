-- 0016: report speed, activity and waits from kept monthly sums (issue 8).
-- Paired with 0016.sqlite.sql, which explains the tables: activity_months
-- (month x measure counts, with month '' 'irregular' marking what the
-- monthly sums cannot answer for exactly, and '' 'orphan' counting
-- history events without their case), wait_months (month of allocation x
-- days waited) and case_activity (each live case's contributions).  Here
-- the SQLite views' INSTEAD OF triggers are functions (PL/pgSQL: an SQL
-- function is planned again at every call).  Row triggers fire at the end
-- of each statement; every sum is only added to (±n), so any firing order
-- gives the same sums, and a case's rows are worked out again whole from
-- what is there when its trigger fires.  The additions go through
-- activity_delta, folded in at commit (below).

CREATE TABLE activity_months (
	month TEXT NOT NULL,
	measure TEXT NOT NULL,
	n BIGINT NOT NULL,
	PRIMARY KEY (month, measure)
);
CREATE TABLE wait_months (
	month TEXT NOT NULL,
	days INTEGER NOT NULL,
	n BIGINT NOT NULL,
	PRIMARY KEY (month, days)
);
CREATE TABLE case_activity (
	case_id BIGINT NOT NULL,
	measure TEXT NOT NULL,
	day TEXT NOT NULL,
	days INTEGER NOT NULL,
	n BIGINT NOT NULL,
	PRIMARY KEY (case_id, measure, day, days)
);

-- activity_add(day, measure, days, n): see 0016.sqlite.sql.  Here it does
-- not update the sums' row: it appends to activity_delta, which is folded
-- into the sums when the transaction commits (a deferred trigger).  One
-- transaction updating the same row thousands of times (a big history
-- import, hearth migrate: each month's "opened" row once per case) leaves
-- every version in place until it ends, and each update walks them: the
-- load's time grew with the square of its size (the 30,000-case test of
-- test_history took 470 s instead of 18).  The reports read the sums and
-- activity_delta together, so a report inside the writing transaction is
-- right too.
CREATE TABLE activity_delta (
	id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	month TEXT NOT NULL,
	measure TEXT NOT NULL,
	days INTEGER NOT NULL,
	n BIGINT NOT NULL
);
CREATE FUNCTION activity_add(TEXT, TEXT, INTEGER, BIGINT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	IF coalesce(substr($1, 8), '') >= '-01' THEN
		INSERT INTO activity_delta (month, measure, days, n)
		VALUES (substr($1, 1, 7), $2, CASE WHEN $2 = 'wait' THEN $3 ELSE 0 END, $4);
	ELSE
		INSERT INTO activity_delta (month, measure, days, n) VALUES ('', 'irregular', 0, $4);
	END IF;
END $$;
-- Fold activity_delta into the sums: the first of the transaction's delta
-- rows to fire folds them all; the others find their row gone.
CREATE FUNCTION activity_delta_fold() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF EXISTS (SELECT 1 FROM activity_delta d WHERE d.id = NEW.id) THEN
		WITH d AS (DELETE FROM activity_delta RETURNING month, measure, days, n),
		w AS (INSERT INTO wait_months AS m (month, days, n)
			SELECT d.month, d.days, sum(d.n) FROM d WHERE d.measure = 'wait'
			GROUP BY d.month, d.days
			ON CONFLICT (month, days) DO UPDATE SET n = m.n + excluded.n)
		INSERT INTO activity_months AS m (month, measure, n)
		SELECT d.month, d.measure, sum(d.n) FROM d WHERE d.measure <> 'wait'
		GROUP BY d.month, d.measure
		ON CONFLICT (month, measure) DO UPDATE SET n = m.n + excluded.n;
	END IF;
	RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER activity_delta_fold AFTER INSERT ON activity_delta
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION activity_delta_fold();

-- A valid date "YYYY-MM-DD" of 1900-2199, as C's date_parse reads it
-- (core/date.c), so that the SQL's day count is C's; never raises.
CREATE FUNCTION activity_day_ok(TEXT) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN $1 ~ '^(19|20|21)[0-9][0-9]-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$'
		THEN substr($1, 9, 2)::int <= extract(day FROM date_trunc('month',
			to_date(substr($1, 1, 7) || '-01', 'YYYY-MM-DD')) + interval '1 month - 1 day')
		ELSE false END;
$$;

-- ---- live cases ---------------------------------------------------------------
CREATE FUNCTION case_activity_refresh(BIGINT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM case_activity WHERE case_id = $1;
	INSERT INTO case_activity (case_id, measure, day, days, n)
	SELECT $1, x.measure, x.day, x.days, count(*) FROM (
		SELECT 'opened' AS measure, substr(c.opened_on, 1, 10) AS day, 0 AS days
		FROM cases c WHERE c.id = $1
		UNION ALL SELECT 'closed_' || coalesce(c.closure_reason, 'other'),
			substr(c.closed_on, 1, 10), 0
		FROM cases c WHERE c.id = $1 AND c.closed_on IS NOT NULL
		UNION ALL SELECT 'stepped_up', substr(e.on_date, 1, 10), 0
		FROM cases c JOIN case_events e ON e.case_id = c.id
		WHERE c.id = $1 AND e.kind = 'step_up'
		AND (c.status = 'stepped_up' OR c.closure_reason = 'stepped_up')
		UNION ALL SELECT CASE WHEN s.bad THEN 'irregular' ELSE 'ended' END,
			CASE WHEN s.bad THEN '' ELSE substr(s.en, 1, 10) END, 0
		FROM (SELECT t.en AS en, coalesce(substr(t.en, 1, 10) < substr(t.st, 1, 10)
			OR substr(t.en, 1, 10) > substr(t.cl, 1, 10), false) AS bad
			FROM (SELECT c.opened_on AS st, c.closed_on AS cl,
				CASE WHEN c.status = 'stepped_up' OR c.closure_reason = 'stepped_up'
				THEN coalesce((SELECT min(x.on_date) FROM case_events x
					WHERE x.case_id = c.id AND x.kind = 'step_up'), c.closed_on,
					c.opened_on) ELSE c.closed_on END AS en
				FROM cases c WHERE c.id = $1) t) s
		WHERE s.en IS NOT NULL
		UNION ALL SELECT CASE WHEN w.ok THEN 'wait' ELSE 'irregular' END,
			CASE WHEN w.ok THEN w.o ELSE '' END,
			CASE WHEN w.ok THEN greatest(0, w.o::date - w.r::date) ELSE 0 END
		FROM (SELECT v.o AS o, v.r AS r,
			coalesce(activity_day_ok(v.o) AND activity_day_ok(v.r), false) AS ok
			FROM (SELECT c.opened_on AS o, substr(r.received_at, 1, 10) AS r
				FROM cases c JOIN referrals r ON r.id = c.referral_id
				WHERE c.id = $1) v) w
	) x GROUP BY x.measure, x.day, x.days;
END $$;

CREATE FUNCTION case_activity_days() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		PERFORM activity_add(OLD.day, OLD.measure, OLD.days, -OLD.n);
	ELSIF TG_OP = 'INSERT' THEN
		PERFORM activity_add(NEW.day, NEW.measure, NEW.days, NEW.n);
	ELSE
		PERFORM activity_add(OLD.day, OLD.measure, OLD.days, -OLD.n);
		PERFORM activity_add(NEW.day, NEW.measure, NEW.days, NEW.n);
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER case_activity_days AFTER INSERT OR UPDATE OR DELETE ON case_activity
	FOR EACH ROW EXECUTE FUNCTION case_activity_days();

CREATE FUNCTION cases_activity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		PERFORM case_activity_refresh(NEW.id);
	ELSIF TG_OP = 'DELETE' THEN
		DELETE FROM case_activity WHERE case_id = OLD.id;
	ELSIF OLD.id IS DISTINCT FROM NEW.id OR OLD.referral_id IS DISTINCT FROM NEW.referral_id
		OR OLD.status IS DISTINCT FROM NEW.status
		OR OLD.opened_on IS DISTINCT FROM NEW.opened_on
		OR OLD.closed_on IS DISTINCT FROM NEW.closed_on
		OR OLD.closure_reason IS DISTINCT FROM NEW.closure_reason THEN
		PERFORM case_activity_refresh(OLD.id);
		IF NEW.id <> OLD.id THEN
			PERFORM case_activity_refresh(NEW.id);
		END IF;
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER cases_activity AFTER INSERT OR DELETE
	OR UPDATE OF id, referral_id, status, opened_on, closed_on, closure_reason ON cases
	FOR EACH ROW EXECUTE FUNCTION cases_activity();

CREATE FUNCTION case_events_activity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		IF NEW.kind = 'step_up' AND NEW.case_id IS NOT NULL THEN
			PERFORM case_activity_refresh(NEW.case_id);
		END IF;
	ELSIF TG_OP = 'DELETE' THEN
		IF OLD.kind = 'step_up' AND OLD.case_id IS NOT NULL THEN
			PERFORM case_activity_refresh(OLD.case_id);
		END IF;
	ELSIF (OLD.kind = 'step_up' OR NEW.kind = 'step_up')
		AND (OLD.case_id IS DISTINCT FROM NEW.case_id OR OLD.kind IS DISTINCT FROM NEW.kind
		OR OLD.on_date IS DISTINCT FROM NEW.on_date) THEN
		IF OLD.case_id IS NOT NULL THEN
			PERFORM case_activity_refresh(OLD.case_id);
		END IF;
		IF NEW.case_id IS DISTINCT FROM OLD.case_id AND NEW.case_id IS NOT NULL THEN
			PERFORM case_activity_refresh(NEW.case_id);
		END IF;
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER case_events_activity AFTER INSERT OR DELETE
	OR UPDATE OF case_id, kind, on_date ON case_events
	FOR EACH ROW EXECUTE FUNCTION case_events_activity();

-- ---- live referrals -----------------------------------------------------------
-- activity_received(received_at, source, school_id, n), activity_decided(status,
-- decided_at, n): a referral's rows, see 0016.sqlite.sql.
CREATE FUNCTION activity_received(TEXT, TEXT, BIGINT, BIGINT) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM activity_add(substr($1, 1, 10), CASE WHEN $2 = 'school'
		THEN 'referrals_school_' || coalesce((SELECT s.phase FROM schools s
		WHERE s.id = $3), 'unknown') ELSE 'referrals_' || $2 END, 0, $4);
	IF $2 = 'step_down' THEN
		PERFORM activity_add(substr($1, 1, 10), 'stepped_down', 0, $4);
	END IF;
END $$;
CREATE FUNCTION activity_decided(TEXT, TEXT, BIGINT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	IF $2 IS NOT NULL
		AND coalesce($1, '') IN ('accepted', 'signposted', 'declined', 'stepped_up') THEN
		PERFORM activity_add(substr($2, 1, 10), $1, 0, $3);
	END IF;
END $$;
CREATE FUNCTION referrals_activity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		PERFORM activity_received(NEW.received_at, NEW.source, NEW.school_id, 1);
		PERFORM activity_decided(NEW.status, NEW.decided_at, 1);
		PERFORM case_activity_refresh(c.id) FROM cases c WHERE c.referral_id = NEW.id;
	ELSIF TG_OP = 'DELETE' THEN
		PERFORM activity_received(OLD.received_at, OLD.source, OLD.school_id, -1);
		PERFORM activity_decided(OLD.status, OLD.decided_at, -1);
		PERFORM case_activity_refresh(c.id) FROM cases c WHERE c.referral_id = OLD.id;
	ELSE
		IF OLD.id IS DISTINCT FROM NEW.id OR OLD.source IS DISTINCT FROM NEW.source
			OR OLD.school_id IS DISTINCT FROM NEW.school_id
			OR OLD.received_at IS DISTINCT FROM NEW.received_at THEN
			PERFORM activity_received(OLD.received_at, OLD.source, OLD.school_id, -1);
			PERFORM activity_received(NEW.received_at, NEW.source, NEW.school_id, 1);
			PERFORM case_activity_refresh(c.id) FROM cases c
			WHERE c.referral_id IN (OLD.id, NEW.id);
		END IF;
		IF OLD.status IS DISTINCT FROM NEW.status
			OR OLD.decided_at IS DISTINCT FROM NEW.decided_at THEN
			PERFORM activity_decided(OLD.status, OLD.decided_at, -1);
			PERFORM activity_decided(NEW.status, NEW.decided_at, 1);
		END IF;
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER referrals_activity AFTER INSERT OR DELETE
	OR UPDATE OF id, source, school_id, received_at, status, decided_at ON referrals
	FOR EACH ROW EXECUTE FUNCTION referrals_activity();

-- ---- history ------------------------------------------------------------------
-- history_event_add(school_id, on_date, kind, source, reason, n): an event
-- of a case of that school.
CREATE FUNCTION history_event_add(BIGINT, TEXT, TEXT, TEXT, TEXT, BIGINT) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	IF $3 IN ('referred', 'accepted', 'signposted', 'declined', 'closed', 'step_up',
		'step_down') THEN
		PERFORM activity_add(substr($2, 1, 10), CASE WHEN $3 = 'referred' THEN
		CASE WHEN $4 = 'school' THEN 'referrals_school_' || coalesce((SELECT s.phase
		FROM schools s WHERE s.id = $1), 'unknown')
		ELSE 'referrals_' || coalesce($4, 'unknown') END
		WHEN $3 = 'closed' THEN 'closed_' || coalesce($5, 'other')
		WHEN $3 = 'step_up' THEN 'stepped_up' WHEN $3 = 'step_down'
		THEN 'stepped_down' ELSE $3 END, 0, $6);
	END IF;
END $$;
-- history_activity_add(case_id, on_date, kind, source, reason, n): an event of
-- that case if it exists, else an orphan.
CREATE FUNCTION history_activity_add(BIGINT, TEXT, TEXT, TEXT, TEXT, BIGINT) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	IF $3 NOT IN ('referred', 'accepted', 'signposted', 'declined', 'closed', 'step_up',
		'step_down') THEN
		RETURN;   -- allocated, commission: counted by their case's dates, or not at all
	END IF;
	PERFORM history_event_add(h.school_id, $2, $3, $4, $5, $6)
	FROM history_cases h WHERE h.id = $1;
	IF NOT FOUND THEN
		INSERT INTO activity_months AS m (month, measure, n) VALUES ('', 'orphan', $6)
		ON CONFLICT (month, measure) DO UPDATE SET n = m.n + excluded.n;
	END IF;
END $$;
CREATE FUNCTION history_events_activity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		PERFORM history_activity_add(NEW.case_id, NEW.on_date, NEW.kind, NEW.source,
			NEW.reason, 1);
	ELSIF TG_OP = 'DELETE' THEN
		PERFORM history_activity_add(OLD.case_id, OLD.on_date, OLD.kind, OLD.source,
			OLD.reason, -1);
	ELSIF OLD.case_id IS DISTINCT FROM NEW.case_id OR OLD.on_date IS DISTINCT FROM NEW.on_date
		OR OLD.kind IS DISTINCT FROM NEW.kind OR OLD.source IS DISTINCT FROM NEW.source
		OR OLD.reason IS DISTINCT FROM NEW.reason THEN
		PERFORM history_activity_add(OLD.case_id, OLD.on_date, OLD.kind, OLD.source,
			OLD.reason, -1);
		PERFORM history_activity_add(NEW.case_id, NEW.on_date, NEW.kind, NEW.source,
			NEW.reason, 1);
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER history_events_activity AFTER INSERT OR DELETE
	OR UPDATE OF case_id, on_date, kind, source, reason ON history_events
	FOR EACH ROW EXECUTE FUNCTION history_events_activity();

-- hc_activity_add(allocated_on, ended_on, referred_on, n): a history case's
-- own rows.
CREATE FUNCTION hc_activity_add(TEXT, TEXT, TEXT, BIGINT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	IF $1 IS NULL THEN
		RETURN;
	END IF;
	PERFORM activity_add(substr($1, 1, 10), 'opened', 0, $4);
	IF $2 IS NOT NULL THEN
		IF substr($2, 1, 10) < substr($1, 1, 10) THEN
			PERFORM activity_add('', 'irregular', 0, $4);
		ELSE
			PERFORM activity_add(substr($2, 1, 10), 'ended', 0, $4);
		END IF;
	END IF;
	IF $3 IS NOT NULL THEN
		IF coalesce(activity_day_ok($1) AND activity_day_ok($3) AND $3 <= $1, false) THEN
			PERFORM activity_add($1, 'wait', $1::date - $3::date, $4);
		ELSE
			PERFORM activity_add('', 'irregular', 0, $4);
		END IF;
	END IF;
END $$;
CREATE FUNCTION history_cases_activity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		PERFORM hc_activity_add(NEW.allocated_on, NEW.ended_on, NEW.referred_on, 1);
		-- events written before their case: looked up only when some are waiting
		IF (SELECT o.n FROM activity_months o WHERE o.month = '' AND o.measure = 'orphan') > 0
		THEN
			PERFORM history_event_add(NEW.school_id, e.on_date, e.kind, e.source, e.reason, 1)
			FROM history_events e WHERE e.case_id = NEW.id;
			UPDATE activity_months SET n = n - (SELECT count(*) FROM history_events e
				WHERE e.case_id = NEW.id AND e.kind IN ('referred', 'accepted', 'signposted', 'declined', 'closed', 'step_up', 'step_down'))
			WHERE month = '' AND measure = 'orphan';
		END IF;
	ELSIF TG_OP = 'DELETE' THEN
		PERFORM hc_activity_add(OLD.allocated_on, OLD.ended_on, OLD.referred_on, -1);
		PERFORM history_event_add(OLD.school_id, e.on_date, e.kind, e.source, e.reason, -1)
		FROM history_events e WHERE e.case_id = OLD.id;
		INSERT INTO activity_months AS m (month, measure, n)
		SELECT '', 'orphan', count(*) FROM history_events e WHERE e.case_id = OLD.id
		AND e.kind IN ('referred', 'accepted', 'signposted', 'declined', 'closed', 'step_up', 'step_down')
		ON CONFLICT (month, measure) DO UPDATE SET n = m.n + excluded.n;
	ELSE
		IF OLD.id IS DISTINCT FROM NEW.id OR OLD.school_id IS DISTINCT FROM NEW.school_id THEN
			PERFORM history_event_add(OLD.school_id, e.on_date, e.kind, e.source, e.reason, -1)
			FROM history_events e WHERE e.case_id = OLD.id;
			INSERT INTO activity_months AS m (month, measure, n)
			SELECT '', 'orphan', count(*) FROM history_events e WHERE e.case_id = OLD.id
			AND e.kind IN ('referred', 'accepted', 'signposted', 'declined', 'closed', 'step_up', 'step_down')
			ON CONFLICT (month, measure) DO UPDATE SET n = m.n + excluded.n;
			PERFORM history_event_add(NEW.school_id, e.on_date, e.kind, e.source, e.reason, 1)
			FROM history_events e WHERE e.case_id = NEW.id;
			UPDATE activity_months SET n = n - (SELECT count(*) FROM history_events e
				WHERE e.case_id = NEW.id AND e.kind IN ('referred', 'accepted', 'signposted', 'declined', 'closed', 'step_up', 'step_down'))
			WHERE month = '' AND measure = 'orphan';
		END IF;
		IF OLD.allocated_on IS DISTINCT FROM NEW.allocated_on
			OR OLD.ended_on IS DISTINCT FROM NEW.ended_on
			OR OLD.referred_on IS DISTINCT FROM NEW.referred_on THEN
			PERFORM hc_activity_add(OLD.allocated_on, OLD.ended_on, OLD.referred_on, -1);
			PERFORM hc_activity_add(NEW.allocated_on, NEW.ended_on, NEW.referred_on, 1);
		END IF;
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER history_cases_activity AFTER INSERT OR DELETE
	OR UPDATE OF id, school_id, allocated_on, ended_on, referred_on ON history_cases
	FOR EACH ROW EXECUTE FUNCTION history_cases_activity();

-- ---- schools ------------------------------------------------------------------
-- school_activity_move(school_id, from_phase, to_phase): its referrals' counts.
CREATE FUNCTION school_activity_move(BIGINT, TEXT, TEXT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	PERFORM activity_add(x.day, 'referrals_school_' || $2, 0, -count(*)) FROM
		(SELECT substr(r.received_at, 1, 10) AS day FROM referrals r
		WHERE r.school_id = $1 AND r.source = 'school'
		UNION ALL SELECT substr(e.on_date, 1, 10) FROM history_cases h
		JOIN history_events e ON e.case_id = h.id
		WHERE h.school_id = $1 AND e.kind = 'referred' AND e.source = 'school') x
	GROUP BY x.day;
	PERFORM activity_add(x.day, 'referrals_school_' || $3, 0, count(*)) FROM
		(SELECT substr(r.received_at, 1, 10) AS day FROM referrals r
		WHERE r.school_id = $1 AND r.source = 'school'
		UNION ALL SELECT substr(e.on_date, 1, 10) FROM history_cases h
		JOIN history_events e ON e.case_id = h.id
		WHERE h.school_id = $1 AND e.kind = 'referred' AND e.source = 'school') x
	GROUP BY x.day;
END $$;
CREATE FUNCTION schools_activity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		PERFORM school_activity_move(NEW.id, 'unknown', NEW.phase);
	ELSIF TG_OP = 'DELETE' THEN
		PERFORM school_activity_move(OLD.id, OLD.phase, 'unknown');
	ELSIF OLD.id IS DISTINCT FROM NEW.id OR OLD.phase IS DISTINCT FROM NEW.phase THEN
		PERFORM school_activity_move(OLD.id, OLD.phase, 'unknown');
		PERFORM school_activity_move(NEW.id, 'unknown', NEW.phase);
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER schools_activity AFTER INSERT OR DELETE OR UPDATE OF id, phase ON schools
	FOR EACH ROW EXECUTE FUNCTION schools_activity();

-- ---- the rows there are now ---------------------------------------------------
-- (case_activity's trigger adds each case's rows to the sums.)
SELECT case_activity_refresh(id) FROM cases;
SELECT activity_add(x.day, x.measure, 0, count(*)) FROM (
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
INSERT INTO activity_months AS m (month, measure, n)
SELECT '', 'orphan', count(*) FROM history_events e
WHERE e.kind IN ('referred', 'accepted', 'signposted', 'declined', 'closed', 'step_up', 'step_down') AND NOT EXISTS (SELECT 1 FROM history_cases h WHERE h.id = e.case_id)
ON CONFLICT (month, measure) DO UPDATE SET n = m.n + excluded.n;
SELECT hc_activity_add(allocated_on, ended_on, referred_on, count(*)) FROM history_cases
WHERE allocated_on IS NOT NULL GROUP BY allocated_on, ended_on, referred_on;
