-- 0018: report speed, the outcomes' closures and "before" census, and the
-- reach's latest high-risk pupils (issue 8).  Paired with 0018.sqlite.sql,
-- which says what the tables hold and who reads them:
--
-- outcome_rows: per closure (src 'L' a closed case, 'H' a history case's
--   'closed' event ev) a row with pupil_id 0 (family, reason, referral, the
--   family's next referral day) and
--   a row per child (the referral day, its term's first day, the child's
--   last snapshot before that term, the child's latest destination).
-- outcome_after: each such child's latest ("after") snapshot.
-- school_terms: every term's first day, 1800-2299.
--
-- Kept by triggers.  The census's are per statement over the rows the
-- statement wrote (the import writes thousands a statement), as 0010's
-- latest mark is; the others per row, working their closures' or pupils'
-- rows out again from the base tables (so their firing order does not
-- matter).  An inserted census changes only what it can: see below.
--
-- Bulk writers (a history load, hearth migrate) pause them and work the
-- rows out set-wise before their commit, as on SQLite; here the pause is
-- a setting local to the transaction (hearth.outcome_rows_paused), set
-- through the view outcome_rows_pause, which every trigger's WHEN reads.

CREATE TABLE school_terms (first_day TEXT PRIMARY KEY);
INSERT INTO school_terms (first_day)
WITH RECURSIVE y(n) AS (SELECT 1800 UNION ALL SELECT n + 1 FROM y WHERE n < 2299),
e(n, a, b, c) AS (SELECT n, n % 19, n / 100, n % 100 FROM y),
f(n, a, b, c, h, l) AS (SELECT n, a, b, c,
	(19 * a + b - b / 4 - (b - (b + 8) / 25 + 1) / 3 + 15) % 30,
	(32 + 2 * (b % 4) + 2 * (c / 4) - (19 * a + b - b / 4 - (b - (b + 8) / 25 + 1) / 3 + 15) % 30
		- c % 4) % 7 FROM e),
g(n, h, l, m) AS (SELECT n, h, l, (a + 11 * h + 22 * l) / 451 FROM f)
SELECT to_char(make_date(n, 9, 1), 'YYYY-MM-DD') FROM y
UNION ALL SELECT to_char(make_date(n, 1, 1), 'YYYY-MM-DD') FROM y
UNION ALL SELECT to_char(make_date(n, (h + l - 7 * m + 114) / 31,
	(h + l - 7 * m + 114) % 31 + 1) + 1, 'YYYY-MM-DD') FROM g;

CREATE TABLE outcome_rows (
	closed_on TEXT NOT NULL,
	src TEXT NOT NULL CHECK (src IN ('L', 'H')),
	case_id BIGINT NOT NULL,
	ev BIGINT NOT NULL,
	pupil_id BIGINT NOT NULL,
	family_id BIGINT, family_ref TEXT, reason TEXT, referral_id BIGINT, received_at TEXT,
	ref TEXT, term TEXT,
	known INTEGER,
	b_date TEXT, b_possible INTEGER, b_attended INTEGER, b_suspensions INTEGER, b_below INTEGER,
	dest TEXT, next_ref TEXT,
	PRIMARY KEY (closed_on, src, case_id, ev, pupil_id)
);
CREATE INDEX outcome_rows_case ON outcome_rows(src, case_id);
CREATE INDEX outcome_rows_family ON outcome_rows(family_id) WHERE pupil_id = 0;
CREATE INDEX outcome_rows_family_ref ON outcome_rows(family_ref) WHERE pupil_id = 0;
CREATE INDEX outcome_rows_pupil ON outcome_rows(pupil_id, known, term, b_date);
CREATE TABLE outcome_after (
	pupil_id BIGINT PRIMARY KEY,
	a_date TEXT, a_possible INTEGER, a_attended INTEGER, a_suspensions INTEGER, a_below INTEGER
);

-- Every row outcome_rows should hold, worked out from the base tables; the
-- functions below choose cases or pupils from it (the planner pushes the
-- choice into each arm, down to the indexes).
CREATE VIEW outcome_rows_of AS
SELECT c.closed_on AS closed_on, 'L'::TEXT AS src, c.id AS case_id, 0::BIGINT AS ev,
	0::BIGINT AS pupil_id, c.family_id AS family_id, NULL::TEXT AS family_ref,
	coalesce(c.closure_reason, '') AS reason, c.referral_id AS referral_id,
	r.received_at AS received_at, NULL::TEXT AS ref, NULL::TEXT AS term, NULL::INTEGER AS known,
	NULL::TEXT AS b_date, NULL::INTEGER AS b_possible, NULL::INTEGER AS b_attended,
	NULL::INTEGER AS b_suspensions, NULL::INTEGER AS b_below, NULL::TEXT AS dest,
	(SELECT min(substr(r2.received_at, 1, 10)) FROM referrals r2
	WHERE r2.family_id = c.family_id AND r2.id <> r.id AND r2.received_at > r.received_at
	AND substr(r2.received_at, 1, 10) >= c.closed_on) AS next_ref
FROM cases c JOIN referrals r ON r.id = c.referral_id
WHERE c.status = 'closed' AND c.closed_on IS NOT NULL
UNION ALL SELECT e.on_date, 'H', hc.id, e.id, 0, NULL, hc.family_ref, coalesce(e.reason, ''),
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	(SELECT min(h2.referred_on) FROM history_cases h2
	WHERE h2.family_ref = hc.family_ref AND h2.id <> hc.id AND h2.referred_on >= e.on_date)
FROM history_cases hc JOIN history_events e ON e.case_id = hc.id
WHERE e.kind = 'closed'
UNION ALL SELECT x.closed_on, x.src, x.case_id, x.ev, x.pupil_id, NULL, NULL, NULL, NULL, NULL,
	x.ref, x.term, CASE WHEN l.extract_date IS NULL THEN 0 ELSE 1 END, b.extract_date,
	b.sessions_possible, b.sessions_attended, b.suspensions, b.below_expected,
	(SELECT d.destination FROM destinations d WHERE d.pupil_id = x.pupil_id
	ORDER BY d.recorded_on DESC, d.id DESC LIMIT 1), NULL
FROM (SELECT y.*, (SELECT max(t.first_day) FROM school_terms t WHERE t.first_day <= y.ref) AS term
	FROM (SELECT c.closed_on AS closed_on, 'L'::TEXT AS src, c.id AS case_id, 0::BIGINT AS ev,
		rp.pupil_id AS pupil_id, substr(r.received_at, 1, 10) AS ref
	FROM cases c JOIN referrals r ON r.id = c.referral_id
	JOIN referral_pupils rp ON rp.referral_id = r.id
	WHERE c.status = 'closed' AND c.closed_on IS NOT NULL
	UNION ALL SELECT e.on_date, 'H'::TEXT, hc.id, e.id, hc.pupil_id, hc.referred_on
	FROM history_cases hc JOIN history_events e ON e.case_id = hc.id
	WHERE e.kind = 'closed' AND hc.pupil_id IS NOT NULL) y) x
LEFT JOIN pupil_snapshots l ON l.pupil_id = x.pupil_id AND l.extract_date =
	(SELECT max(q.extract_date) FROM pupil_snapshots q WHERE q.pupil_id = x.pupil_id)
LEFT JOIN pupil_snapshots b ON b.pupil_id = x.pupil_id AND b.extract_date =
	(SELECT max(q.extract_date) FROM pupil_snapshots q WHERE q.pupil_id = x.pupil_id
	AND q.extract_date < x.term);

INSERT INTO outcome_rows SELECT * FROM outcome_rows_of;
INSERT INTO outcome_after
SELECT p.pupil_id, l.extract_date, l.sessions_possible, l.sessions_attended,
	l.suspensions, l.below_expected
FROM (SELECT DISTINCT pupil_id FROM outcome_rows WHERE pupil_id <> 0) p
LEFT JOIN pupil_snapshots l ON l.pupil_id = p.pupil_id AND l.extract_date =
	(SELECT max(q.extract_date) FROM pupil_snapshots q WHERE q.pupil_id = p.pupil_id);

-- PL/pgSQL, not SQL: a SQL function's body is planned again on every
-- call (this view costs ~1.5 ms to plan), a PL/pgSQL one's once a session.
-- The short statements on outcome_rows are EXECUTEd, planned each call: a
-- plan kept from the first calls of a load, made while the table was still
-- small, scanned it whole on every later call (a 30,000-case history load
-- went quadratic).
CREATE FUNCTION outcome_rows_cases(which TEXT, ids BIGINT[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	IF coalesce(cardinality(ids), 0) = 0 THEN
		RETURN;
	END IF;
	EXECUTE 'DELETE FROM outcome_rows WHERE src = $1 AND case_id = ANY ($2)' USING which, ids;
	INSERT INTO outcome_rows SELECT * FROM outcome_rows_of WHERE src = which AND case_id = ANY (ids);
	EXECUTE 'INSERT INTO outcome_after
	SELECT p.pupil_id, l.extract_date, l.sessions_possible, l.sessions_attended,
		l.suspensions, l.below_expected
	FROM (SELECT DISTINCT pupil_id FROM outcome_rows WHERE src = $1 AND case_id = ANY ($2) AND pupil_id <> 0) p
	LEFT JOIN pupil_snapshots l ON l.pupil_id = p.pupil_id AND l.extract_date =
		(SELECT max(q.extract_date) FROM pupil_snapshots q WHERE q.pupil_id = p.pupil_id)
	ON CONFLICT (pupil_id) DO UPDATE SET a_date = excluded.a_date,
		a_possible = excluded.a_possible, a_attended = excluded.a_attended,
		a_suspensions = excluded.a_suspensions, a_below = excluded.a_below' USING which, ids;
END $$;
-- Only the children's rows (pupil_id 0 is a closure's own row).
CREATE FUNCTION outcome_rows_pupils(ids BIGINT[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	IF coalesce(cardinality(ids), 0) = 0 THEN
		RETURN;
	END IF;
	EXECUTE 'DELETE FROM outcome_rows WHERE pupil_id = ANY ($1)' USING ids;
	INSERT INTO outcome_rows SELECT * FROM outcome_rows_of
		WHERE pupil_id = ANY (ids) AND pupil_id <> 0;
	EXECUTE 'INSERT INTO outcome_after
	SELECT p.pupil_id, l.extract_date, l.sessions_possible, l.sessions_attended,
		l.suspensions, l.below_expected
	FROM (SELECT DISTINCT pupil_id FROM outcome_rows WHERE pupil_id = ANY ($1)) p
	LEFT JOIN pupil_snapshots l ON l.pupil_id = p.pupil_id AND l.extract_date =
		(SELECT max(q.extract_date) FROM pupil_snapshots q WHERE q.pupil_id = p.pupil_id)
	ON CONFLICT (pupil_id) DO UPDATE SET a_date = excluded.a_date,
		a_possible = excluded.a_possible, a_attended = excluded.a_attended,
		a_suspensions = excluded.a_suspensions, a_below = excluded.a_below' USING ids;
END $$;

-- The pause (see the top): INSERT INTO outcome_rows_pause (paused)
-- VALUES (1) sets it for the rest of the transaction (SQLite keeps a row
-- in a table of that name instead).
CREATE VIEW outcome_rows_pause (paused) AS SELECT 1 WHERE false;
CREATE FUNCTION outcome_rows_pause() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM set_config('hearth.outcome_rows_paused', 'on', true);
	RETURN NULL;
END $$;
CREATE TRIGGER outcome_rows_pause INSTEAD OF INSERT ON outcome_rows_pause
	FOR EACH ROW EXECUTE FUNCTION outcome_rows_pause();

-- The end of a history load that paused the triggers:
-- INSERT INTO outcome_rows_history_done (import_id) VALUES (its id) works
-- out its cases' rows, their families' other closures' next referral and
-- their children's latest census once (what the triggers would have made,
-- statement by statement) and ends the pause.
CREATE VIEW outcome_rows_history_done (import_id) AS SELECT NULL::BIGINT WHERE false;
CREATE FUNCTION outcome_rows_history_done() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM outcome_rows_cases('H', ARRAY(SELECT hc.id FROM history_cases hc
		WHERE hc.import_id = NEW.import_id));
	-- (a join, not = ANY (array): that compared every row with each of
	-- the load's families, 8 s for 30,000 cases; the load's own closures
	-- were worked out just now)
	UPDATE outcome_rows k SET next_ref = (SELECT min(h2.referred_on)
		FROM history_cases h2 WHERE h2.family_ref = k.family_ref AND h2.id <> k.case_id
		AND h2.referred_on >= k.closed_on)
	FROM (SELECT DISTINCT hc.family_ref FROM history_cases hc
		WHERE hc.import_id = NEW.import_id) f
	WHERE k.pupil_id = 0 AND k.src = 'H' AND k.family_ref = f.family_ref
	AND NOT EXISTS (SELECT 1 FROM history_cases h WHERE h.id = k.case_id
		AND h.import_id = NEW.import_id);
	PERFORM set_config('hearth.outcome_rows_paused', 'off', true);
	RETURN NULL;
END $$;
CREATE TRIGGER outcome_rows_history_done INSTEAD OF INSERT ON outcome_rows_history_done
	FOR EACH ROW EXECUTE FUNCTION outcome_rows_history_done();

-- The end of a copy that paused the triggers (hearth migrate):
-- INSERT INTO outcome_rows_rebuild (everything) VALUES (1) works every row
-- out again and ends the pause.
CREATE VIEW outcome_rows_rebuild (everything) AS SELECT 1 WHERE false;
CREATE FUNCTION outcome_rows_rebuild() RETURNS trigger LANGUAGE plpgsql AS $$
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
	PERFORM set_config('hearth.outcome_rows_paused', 'off', true);
	RETURN NULL;
END $$;
CREATE TRIGGER outcome_rows_rebuild INSTEAD OF INSERT ON outcome_rows_rebuild
	FOR EACH ROW EXECUTE FUNCTION outcome_rows_rebuild();

-- Cases, referrals and their children.
CREATE FUNCTION outcome_rows_cases_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		PERFORM outcome_rows_cases('L', ARRAY[NEW.id]);
	ELSIF TG_OP = 'UPDATE' THEN
		PERFORM outcome_rows_cases('L', ARRAY[OLD.id, NEW.id]);
	ELSE
		PERFORM outcome_rows_cases('L', ARRAY[OLD.id]);
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER outcome_rows_cases_insert AFTER INSERT ON cases FOR EACH ROW
	WHEN ((NEW.status = 'closed')
		AND current_setting('hearth.outcome_rows_paused', true) IS DISTINCT FROM 'on')
	EXECUTE FUNCTION outcome_rows_cases_change();
CREATE TRIGGER outcome_rows_cases_update AFTER UPDATE OF id, status, closed_on, referral_id,
	family_id, closure_reason ON cases FOR EACH ROW
	WHEN (((OLD.status = 'closed' OR NEW.status = 'closed') AND (OLD.id IS DISTINCT FROM NEW.id
		OR OLD.status IS DISTINCT FROM NEW.status OR OLD.closed_on IS DISTINCT FROM NEW.closed_on
		OR OLD.referral_id IS DISTINCT FROM NEW.referral_id OR OLD.family_id IS DISTINCT FROM NEW.family_id
		OR OLD.closure_reason IS DISTINCT FROM NEW.closure_reason))
		AND current_setting('hearth.outcome_rows_paused', true) IS DISTINCT FROM 'on')
	EXECUTE FUNCTION outcome_rows_cases_change();
CREATE TRIGGER outcome_rows_cases_delete AFTER DELETE ON cases FOR EACH ROW
	WHEN ((OLD.status = 'closed')
		AND current_setting('hearth.outcome_rows_paused', true) IS DISTINCT FROM 'on')
	EXECUTE FUNCTION outcome_rows_cases_change();

-- The closed cases of the referrals a referral or referral_pupils row was
-- and is part of.
CREATE FUNCTION outcome_rows_referral_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	refs BIGINT[];
BEGIN
	IF TG_TABLE_NAME = 'referrals' THEN
		IF TG_OP = 'UPDATE' THEN refs := ARRAY[OLD.id, NEW.id]; ELSE refs := ARRAY[OLD.id]; END IF;
	ELSIF TG_OP = 'INSERT' THEN
		refs := ARRAY[NEW.referral_id];
	ELSIF TG_OP = 'UPDATE' THEN
		refs := ARRAY[OLD.referral_id, NEW.referral_id];
	ELSE
		refs := ARRAY[OLD.referral_id];
	END IF;
	PERFORM outcome_rows_cases('L', ARRAY(SELECT c.id FROM cases c
		WHERE c.referral_id = ANY (refs) AND c.status = 'closed'));
	RETURN NULL;
END $$;
CREATE TRIGGER outcome_rows_referrals_update AFTER UPDATE OF id, received_at ON referrals
	FOR EACH ROW WHEN ((OLD.id IS DISTINCT FROM NEW.id OR OLD.received_at IS DISTINCT FROM NEW.received_at)
		AND current_setting('hearth.outcome_rows_paused', true) IS DISTINCT FROM 'on')
	EXECUTE FUNCTION outcome_rows_referral_change();
CREATE TRIGGER outcome_rows_referrals_delete AFTER DELETE ON referrals
	FOR EACH ROW
	WHEN (current_setting('hearth.outcome_rows_paused', true) IS DISTINCT FROM 'on')
	EXECUTE FUNCTION outcome_rows_referral_change();
CREATE TRIGGER outcome_rows_referral_pupils_change AFTER INSERT OR DELETE
	OR UPDATE OF referral_id, pupil_id ON referral_pupils
	FOR EACH ROW
	WHEN (current_setting('hearth.outcome_rows_paused', true) IS DISTINCT FROM 'on')
	EXECUTE FUNCTION outcome_rows_referral_change();

-- History: a case's pupil and referral day, its closures.
CREATE FUNCTION outcome_rows_history_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_TABLE_NAME = 'history_cases' THEN
		IF TG_OP = 'INSERT' THEN
			PERFORM outcome_rows_cases('H', ARRAY[NEW.id]);
		ELSIF TG_OP = 'UPDATE' THEN
			-- 0009 sets referred_on as a load writes each case's events:
			-- a case with no closure yet (and no rows here) has nothing
			-- to work out again.
			IF EXISTS (SELECT 1 FROM history_events e WHERE e.case_id IN (OLD.id, NEW.id)
				   AND e.kind = 'closed')
			   OR EXISTS (SELECT 1 FROM outcome_rows k WHERE k.src = 'H'
				   AND k.case_id IN (OLD.id, NEW.id)) THEN
				PERFORM outcome_rows_cases('H', ARRAY[OLD.id, NEW.id]);
			END IF;
		ELSE
			PERFORM outcome_rows_cases('H', ARRAY[OLD.id]);
		END IF;
	ELSIF TG_OP = 'INSERT' THEN
		PERFORM outcome_rows_cases('H', ARRAY[NEW.case_id]);
	ELSIF TG_OP = 'UPDATE' THEN
		PERFORM outcome_rows_cases('H', ARRAY[OLD.case_id, NEW.case_id]);
	ELSE
		PERFORM outcome_rows_cases('H', ARRAY[OLD.case_id]);
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER outcome_rows_history_cases_update AFTER UPDATE OF id, pupil_id, referred_on,
	family_ref ON history_cases FOR EACH ROW
	WHEN ((OLD.id IS DISTINCT FROM NEW.id OR OLD.pupil_id IS DISTINCT FROM NEW.pupil_id
		OR OLD.referred_on IS DISTINCT FROM NEW.referred_on OR OLD.family_ref IS DISTINCT FROM NEW.family_ref)
		AND current_setting('hearth.outcome_rows_paused', true) IS DISTINCT FROM 'on')
	EXECUTE FUNCTION outcome_rows_history_change();
CREATE TRIGGER outcome_rows_history_cases_delete AFTER DELETE ON history_cases FOR EACH ROW
	WHEN (current_setting('hearth.outcome_rows_paused', true) IS DISTINCT FROM 'on')
	EXECUTE FUNCTION outcome_rows_history_change();
-- Inserts (a history load writes thousands of rows a statement) once per
-- statement, over the rows it wrote: a call per row cost ~3 ms of plan
-- start-up each, minutes for a 30,000-case load.
CREATE FUNCTION outcome_rows_history_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_TABLE_NAME = 'history_cases' THEN
		PERFORM outcome_rows_cases('H', ARRAY(SELECT n.id FROM added n));
		EXECUTE 'UPDATE outcome_rows k SET next_ref = (SELECT min(h2.referred_on)
			FROM history_cases h2 WHERE h2.family_ref = k.family_ref AND h2.id <> k.case_id
			AND h2.referred_on >= k.closed_on)
		WHERE k.pupil_id = 0 AND k.src = ''H'' AND k.family_ref = ANY ($1)'
		USING ARRAY(SELECT DISTINCT n.family_ref FROM added n);
	ELSE
		PERFORM outcome_rows_cases('H', ARRAY(SELECT DISTINCT n.case_id FROM added n
			WHERE n.kind = 'closed'));
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER outcome_rows_history_cases_insert AFTER INSERT ON history_cases
	REFERENCING NEW TABLE AS added FOR EACH STATEMENT
	WHEN (current_setting('hearth.outcome_rows_paused', true) IS DISTINCT FROM 'on')
	EXECUTE FUNCTION outcome_rows_history_added();
CREATE TRIGGER outcome_rows_history_events_insert AFTER INSERT ON history_events
	REFERENCING NEW TABLE AS added FOR EACH STATEMENT
	WHEN (current_setting('hearth.outcome_rows_paused', true) IS DISTINCT FROM 'on')
	EXECUTE FUNCTION outcome_rows_history_added();
CREATE TRIGGER outcome_rows_history_events_update AFTER UPDATE OF id, case_id, on_date, kind, reason
	ON history_events FOR EACH ROW WHEN ((OLD.kind = 'closed' OR NEW.kind = 'closed')
		AND current_setting('hearth.outcome_rows_paused', true) IS DISTINCT FROM 'on')
	EXECUTE FUNCTION outcome_rows_history_change();
CREATE TRIGGER outcome_rows_history_events_delete AFTER DELETE ON history_events FOR EACH ROW
	WHEN ((OLD.kind = 'closed')
		AND current_setting('hearth.outcome_rows_paused', true) IS DISTINCT FROM 'on')
	EXECUTE FUNCTION outcome_rows_history_change();

-- The family's next referral, in its closures' rows: a referral (live) or
-- a history case (history) added, changed or removed.
CREATE FUNCTION outcome_rows_next_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_TABLE_NAME = 'referrals' THEN
		UPDATE outcome_rows k SET next_ref = (SELECT min(substr(r2.received_at, 1, 10))
			FROM referrals r2 WHERE r2.family_id = k.family_id AND r2.id <> k.referral_id
			AND r2.received_at > k.received_at
			AND substr(r2.received_at, 1, 10) >= k.closed_on)
		WHERE k.pupil_id = 0 AND k.src = 'L' AND k.family_id IN
			(SELECT x.f FROM (VALUES (CASE WHEN TG_OP <> 'INSERT' THEN OLD.family_id END),
			(CASE WHEN TG_OP <> 'DELETE' THEN NEW.family_id END)) x(f));
	ELSE
		UPDATE outcome_rows k SET next_ref = (SELECT min(h2.referred_on) FROM history_cases h2
			WHERE h2.family_ref = k.family_ref AND h2.id <> k.case_id
			AND h2.referred_on >= k.closed_on)
		WHERE k.pupil_id = 0 AND k.src = 'H' AND k.family_ref IN
			(SELECT x.f FROM (VALUES (CASE WHEN TG_OP <> 'INSERT' THEN OLD.family_ref END),
			(CASE WHEN TG_OP <> 'DELETE' THEN NEW.family_ref END)) x(f));
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER outcome_rows_next_referral AFTER INSERT OR DELETE
	OR UPDATE OF id, family_id, received_at ON referrals
	FOR EACH ROW
	WHEN (current_setting('hearth.outcome_rows_paused', true) IS DISTINCT FROM 'on')
	EXECUTE FUNCTION outcome_rows_next_change();
CREATE TRIGGER outcome_rows_next_history AFTER DELETE
	OR UPDATE OF id, family_ref, referred_on ON history_cases
	FOR EACH ROW
	WHEN (current_setting('hearth.outcome_rows_paused', true) IS DISTINCT FROM 'on')
	EXECUTE FUNCTION outcome_rows_next_change();

-- Destinations: the child's latest, in every row of theirs.
CREATE FUNCTION outcome_rows_destinations_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	pupils BIGINT[];
BEGIN
	IF TG_OP = 'INSERT' THEN
		pupils := ARRAY[NEW.pupil_id];
	ELSIF TG_OP = 'UPDATE' THEN
		pupils := ARRAY[OLD.pupil_id, NEW.pupil_id];
	ELSE
		pupils := ARRAY[OLD.pupil_id];
	END IF;
	UPDATE outcome_rows k SET dest = (SELECT d.destination FROM destinations d
		WHERE d.pupil_id = k.pupil_id ORDER BY d.recorded_on DESC, d.id DESC LIMIT 1)
	WHERE k.pupil_id = ANY (pupils);
	RETURN NULL;
END $$;
CREATE TRIGGER outcome_rows_destinations_change AFTER INSERT OR DELETE
	OR UPDATE OF id, pupil_id, destination, recorded_on ON destinations
	FOR EACH ROW
	WHEN (current_setting('hearth.outcome_rows_paused', true) IS DISTINCT FROM 'on')
	EXECUTE FUNCTION outcome_rows_destinations_change();

-- The census, once per statement.  Inserted snapshots: usually a census
-- later than the pupil's others, which changes only the pupil's
-- outcome_after row; rows not worked out while the pupil had a snapshot
-- (known 0, a_date NULL) and rows whose "before" an inserted snapshot may
-- be are worked out again.  Changed, moved and deleted snapshots work their
-- pupils' rows out again.
CREATE FUNCTION outcome_rows_snapshots_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE outcome_rows k SET known = 1,
		(b_date, b_possible, b_attended, b_suspensions, b_below) = (SELECT b.extract_date,
		b.sessions_possible, b.sessions_attended, b.suspensions, b.below_expected
		FROM pupil_snapshots b WHERE b.pupil_id = k.pupil_id
		AND b.extract_date = (SELECT max(q.extract_date) FROM pupil_snapshots q
			WHERE q.pupil_id = k.pupil_id AND q.extract_date < k.term))
	FROM outcome_new n WHERE k.pupil_id = n.pupil_id AND (k.known = 0
		OR (n.extract_date < k.term AND (k.b_date IS NULL OR n.extract_date >= k.b_date)));
	UPDATE outcome_after a SET (a_date, a_possible, a_attended, a_suspensions, a_below) =
		(SELECT l.extract_date, l.sessions_possible, l.sessions_attended, l.suspensions,
		l.below_expected FROM pupil_snapshots l WHERE l.pupil_id = a.pupil_id
		AND l.extract_date = (SELECT max(q.extract_date) FROM pupil_snapshots q
			WHERE q.pupil_id = a.pupil_id))
	FROM outcome_new n WHERE a.pupil_id = n.pupil_id
	AND (a.a_date IS NULL OR n.extract_date > a.a_date);
	RETURN NULL;
END $$;
CREATE TRIGGER outcome_rows_snapshots_insert AFTER INSERT ON pupil_snapshots
	REFERENCING NEW TABLE AS outcome_new
	FOR EACH STATEMENT
	WHEN (current_setting('hearth.outcome_rows_paused', true) IS DISTINCT FROM 'on')
	EXECUTE FUNCTION outcome_rows_snapshots_insert();
CREATE FUNCTION outcome_rows_snapshots_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM outcome_rows_pupils(ARRAY(SELECT DISTINCT p FROM outcome_old o
		JOIN outcome_new n ON n.id = o.id, LATERAL (VALUES (o.pupil_id), (n.pupil_id)) v(p)
		WHERE o.pupil_id IS DISTINCT FROM n.pupil_id OR o.extract_date IS DISTINCT FROM n.extract_date
		OR o.sessions_possible IS DISTINCT FROM n.sessions_possible
		OR o.sessions_attended IS DISTINCT FROM n.sessions_attended
		OR o.suspensions IS DISTINCT FROM n.suspensions
		OR o.below_expected IS DISTINCT FROM n.below_expected));
	RETURN NULL;
END $$;
CREATE TRIGGER outcome_rows_snapshots_update AFTER UPDATE ON pupil_snapshots
	REFERENCING OLD TABLE AS outcome_old NEW TABLE AS outcome_new
	FOR EACH STATEMENT
	WHEN (current_setting('hearth.outcome_rows_paused', true) IS DISTINCT FROM 'on')
	EXECUTE FUNCTION outcome_rows_snapshots_update();
CREATE FUNCTION outcome_rows_snapshots_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM outcome_rows_pupils(ARRAY(SELECT DISTINCT o.pupil_id FROM outcome_old o));
	RETURN NULL;
END $$;
CREATE TRIGGER outcome_rows_snapshots_delete AFTER DELETE ON pupil_snapshots
	REFERENCING OLD TABLE AS outcome_old
	FOR EACH STATEMENT
	WHEN (current_setting('hearth.outcome_rows_paused', true) IS DISTINCT FROM 'on')
	EXECUTE FUNCTION outcome_rows_snapshots_delete();

-- Reach: 0010's index of the latest snapshots with the pupil as well, and
-- the snapshots by date.
DROP INDEX pupil_snapshots_latest;
CREATE INDEX pupil_snapshots_latest ON pupil_snapshots(school_id, risk_band, pupil_id)
	WHERE latest = 1;
CREATE INDEX pupil_snapshots_date ON pupil_snapshots(extract_date);
