-- 0013: report speed, per-case summaries (issue 8: "the full-year
-- dashboard under 200 ms").  Paired with 0013.sqlite.sql, which says what
-- the tables hold and who reads them:
--
-- case_scores: per case with two assessments or more, one row per domain
--   scored in both its first and latest assessment, the two scores, the
--   case's closed_on while closed (else NULL), lead = 1 on the row of its
--   smallest domain code.
-- distance_days: case_scores' closed rows summed by closing day and domain.
--
-- Kept by triggers.  PostgreSQL fires row triggers at the end of each
-- statement, so distance_days is only ever added to (an upsert of +1 or
-- -1 times the row), which gives the same sums in any firing order.

CREATE TABLE case_scores (
	case_id BIGINT NOT NULL,
	domain_code TEXT NOT NULL,
	first_score INTEGER NOT NULL,
	latest_score INTEGER NOT NULL,
	closed_on TEXT,
	lead INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (case_id, domain_code)
);
CREATE TABLE distance_days (
	closed_on TEXT NOT NULL,
	domain_code TEXT NOT NULL,
	pairs BIGINT NOT NULL,
	first_sum BIGINT NOT NULL,
	latest_sum BIGINT NOT NULL,
	cases BIGINT NOT NULL,
	PRIMARY KEY (closed_on, domain_code)
);

-- The cases there are now.
INSERT INTO case_scores (case_id, domain_code, first_score, latest_score, closed_on, lead)
SELECT x.case_id, x.domain_code, x.first_score, x.latest_score, x.closed_on,
	CASE WHEN row_number() OVER (PARTITION BY x.case_id ORDER BY x.domain_code) = 1
		THEN 1 ELSE 0 END
FROM (SELECT c.id AS case_id, f.domain_code AS domain_code, f.score AS first_score,
	l.score AS latest_score, CASE WHEN c.status = 'closed' THEN c.closed_on END AS closed_on
	FROM cases c
	JOIN assessment_scores f ON f.assessment_id = (SELECT a1.id FROM assessments a1
		WHERE a1.case_id = c.id ORDER BY a1.assessed_on, a1.id LIMIT 1)
	JOIN assessment_scores l ON l.assessment_id = (SELECT a2.id FROM assessments a2
		WHERE a2.case_id = c.id ORDER BY a2.assessed_on DESC, a2.id DESC LIMIT 1)
		AND l.domain_code = f.domain_code
	WHERE f.assessment_id <> l.assessment_id) x;
INSERT INTO distance_days (closed_on, domain_code, pairs, first_sum, latest_sum, cases)
SELECT closed_on, domain_code, count(*), sum(first_score), sum(latest_score), sum(lead)
FROM case_scores WHERE closed_on IS NOT NULL GROUP BY closed_on, domain_code;

-- distance_days follows case_scores.  A day's row may be left at zero.
CREATE FUNCTION distance_days_add(TEXT, TEXT, INTEGER, INTEGER, INTEGER, INTEGER)
RETURNS void LANGUAGE sql AS $$
	INSERT INTO distance_days AS b (closed_on, domain_code, pairs, first_sum, latest_sum, cases)
	VALUES ($1, $2, $3, $3 * $4, $3 * $5, $3 * $6)
	ON CONFLICT (closed_on, domain_code) DO UPDATE SET pairs = b.pairs + excluded.pairs,
		first_sum = b.first_sum + excluded.first_sum,
		latest_sum = b.latest_sum + excluded.latest_sum, cases = b.cases + excluded.cases;
$$;
CREATE FUNCTION case_scores_days() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP <> 'INSERT' THEN
		IF OLD.closed_on IS NOT NULL THEN
			PERFORM distance_days_add(OLD.closed_on, OLD.domain_code, -1,
				OLD.first_score, OLD.latest_score, OLD.lead);
		END IF;
	END IF;
	IF TG_OP <> 'DELETE' THEN
		IF NEW.closed_on IS NOT NULL THEN
			PERFORM distance_days_add(NEW.closed_on, NEW.domain_code, 1,
				NEW.first_score, NEW.latest_score, NEW.lead);
		END IF;
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER case_scores_days AFTER INSERT OR UPDATE OR DELETE ON case_scores
	FOR EACH ROW EXECUTE FUNCTION case_scores_days();

-- Work one case's rows out again.
CREATE FUNCTION case_scores_refresh(BIGINT) RETURNS void LANGUAGE sql AS $$
	DELETE FROM case_scores WHERE case_id = $1;
	INSERT INTO case_scores (case_id, domain_code, first_score, latest_score, closed_on)
	SELECT $1, f.domain_code, f.score, l.score,
		(SELECT c.closed_on FROM cases c WHERE c.id = $1 AND c.status = 'closed')
	FROM assessment_scores f JOIN assessment_scores l ON l.domain_code = f.domain_code
	WHERE f.assessment_id = (SELECT a1.id FROM assessments a1 WHERE a1.case_id = $1
		ORDER BY a1.assessed_on, a1.id LIMIT 1)
	AND l.assessment_id = (SELECT a2.id FROM assessments a2 WHERE a2.case_id = $1
		ORDER BY a2.assessed_on DESC, a2.id DESC LIMIT 1)
	AND f.assessment_id <> l.assessment_id;
	UPDATE case_scores SET lead = 1 WHERE case_id = $1
	AND domain_code = (SELECT min(s.domain_code) FROM case_scores s WHERE s.case_id = $1);
$$;

-- A new, changed or removed assessment may change a case's first or
-- latest (a new latest has no scores yet: its case's rows go until they
-- come).
CREATE FUNCTION assessments_case_scores() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		PERFORM case_scores_refresh(NEW.case_id);
		RETURN NULL;
	END IF;
	PERFORM case_scores_refresh(OLD.case_id);
	IF TG_OP = 'UPDATE' THEN
		IF NEW.case_id <> OLD.case_id THEN
			PERFORM case_scores_refresh(NEW.case_id);
		END IF;
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER assessments_case_scores
	AFTER INSERT OR DELETE OR UPDATE OF id, case_id, assessed_on ON assessments
	FOR EACH ROW EXECUTE FUNCTION assessments_case_scores();

-- A new score (the usual write: an assessment's scores after it) adds its
-- domain's pair when it belongs to the case's first or latest assessment
-- and the other one has the domain too; then the case's lead row.  A
-- changed or removed score: the case is worked out again.
CREATE FUNCTION assessment_scores_case_scores() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	cid BIGINT;
BEGIN
	IF TG_OP = 'DELETE' THEN
		PERFORM case_scores_refresh(a.case_id) FROM assessments a WHERE a.id = OLD.assessment_id;
		RETURN NULL;
	END IF;
	IF TG_OP = 'UPDATE' THEN
		PERFORM case_scores_refresh(a.case_id) FROM (SELECT DISTINCT case_id FROM assessments
			WHERE id IN (OLD.assessment_id, NEW.assessment_id)) a;
		RETURN NULL;
	END IF;
	SELECT case_id INTO cid FROM assessments WHERE id = NEW.assessment_id;
	INSERT INTO case_scores AS s (case_id, domain_code, first_score, latest_score, closed_on)
	SELECT cid, NEW.domain_code, f.score, l.score,
		(SELECT c.closed_on FROM cases c WHERE c.id = cid AND c.status = 'closed')
	FROM assessment_scores f JOIN assessment_scores l ON l.domain_code = f.domain_code
	WHERE f.assessment_id = (SELECT a1.id FROM assessments a1 WHERE a1.case_id = cid
		ORDER BY a1.assessed_on, a1.id LIMIT 1)
	AND l.assessment_id = (SELECT a2.id FROM assessments a2 WHERE a2.case_id = cid
		ORDER BY a2.assessed_on DESC, a2.id DESC LIMIT 1)
	AND f.domain_code = NEW.domain_code AND f.assessment_id <> l.assessment_id
	AND NEW.assessment_id IN (f.assessment_id, l.assessment_id)
	ON CONFLICT (case_id, domain_code) DO UPDATE SET first_score = excluded.first_score,
		latest_score = excluded.latest_score;
	UPDATE case_scores s SET lead = CASE WHEN s.domain_code = m.code THEN 1 ELSE 0 END
	FROM (SELECT min(s2.domain_code) AS code FROM case_scores s2 WHERE s2.case_id = cid) m
	WHERE s.case_id = cid AND s.lead <> CASE WHEN s.domain_code = m.code THEN 1 ELSE 0 END;
	RETURN NULL;
END $$;
CREATE TRIGGER assessment_scores_case_scores
	AFTER INSERT OR DELETE OR UPDATE OF assessment_id, domain_code, score ON assessment_scores
	FOR EACH ROW EXECUTE FUNCTION assessment_scores_case_scores();

-- A case closing, reopening or changing its closing day moves its rows.
CREATE FUNCTION cases_case_scores() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		DELETE FROM case_scores WHERE case_id = OLD.id;
		RETURN NULL;
	END IF;
	UPDATE case_scores SET closed_on = CASE WHEN NEW.status = 'closed' THEN NEW.closed_on END
	WHERE case_id = NEW.id
	AND closed_on IS DISTINCT FROM CASE WHEN NEW.status = 'closed' THEN NEW.closed_on END;
	IF TG_OP = 'UPDATE' THEN
		IF OLD.id <> NEW.id THEN
			PERFORM case_scores_refresh(OLD.id);
		END IF;
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER cases_case_scores
	AFTER INSERT OR DELETE OR UPDATE OF id, status, closed_on ON cases
	FOR EACH ROW EXECUTE FUNCTION cases_case_scores();
