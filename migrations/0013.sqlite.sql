-- 0013: report speed, per-case summaries (issue 8: "the full-year
-- dashboard under 200 ms").  Paired with 0013.pg.sql.
--
-- Distance travelled (report_outcome.c) compared each closed case's first
-- and latest assessment domain by domain: for a year of the ten-year
-- county, 154,000 score pairs looked up one by one.  Two tables now keep
-- what it reads, maintained by triggers whoever writes (the case pages,
-- the demo, hearth migrate, plain SQL):
--
-- case_scores: for each case with two assessments or more, one row per
--   domain scored in both its first and its latest assessment (by
--   assessed_on, then id): the two scores, and the case's closed_on while
--   its status is 'closed' (NULL otherwise).  lead is 1 on the row of the
--   case's smallest domain code, so that summing it counts cases.
-- distance_days: case_scores' closed rows summed by closing day and domain
--   (pairs, the two score sums, and cases: the leads).  A period's figures
--   are the sum of its days' rows, a few thousand at most.
--
-- report_distance reads distance_days when no school, district or phase
-- filter is set and every domain it finds is in assessment_domains (whose
-- title and position the report shows); otherwise it reads the scores as
-- before.  tests/unit/test_report_summary.c checks both tables against the
-- scores after random inserts, changes and deletions, on both backends.

CREATE TABLE case_scores (
	case_id INTEGER NOT NULL,
	domain_code TEXT NOT NULL,
	first_score INTEGER NOT NULL,
	latest_score INTEGER NOT NULL,
	closed_on TEXT,
	lead INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (case_id, domain_code)
) WITHOUT ROWID;
CREATE TABLE distance_days (
	closed_on TEXT NOT NULL,
	domain_code TEXT NOT NULL,
	pairs INTEGER NOT NULL,
	first_sum INTEGER NOT NULL,
	latest_sum INTEGER NOT NULL,
	cases INTEGER NOT NULL,
	PRIMARY KEY (closed_on, domain_code)
) WITHOUT ROWID;

-- The cases there are now.
INSERT INTO case_scores (case_id, domain_code, first_score, latest_score, closed_on, lead)
SELECT case_id, domain_code, first_score, latest_score, closed_on,
	row_number() OVER (PARTITION BY case_id ORDER BY domain_code) = 1
FROM (SELECT c.id AS case_id, f.domain_code AS domain_code, f.score AS first_score,
	l.score AS latest_score, CASE WHEN c.status = 'closed' THEN c.closed_on END AS closed_on
	FROM cases c
	JOIN assessment_scores f ON f.assessment_id = (SELECT a1.id FROM assessments a1
		WHERE a1.case_id = c.id ORDER BY a1.assessed_on, a1.id LIMIT 1)
	JOIN assessment_scores l ON l.assessment_id = (SELECT a2.id FROM assessments a2
		WHERE a2.case_id = c.id ORDER BY a2.assessed_on DESC, a2.id DESC LIMIT 1)
		AND l.domain_code = f.domain_code
	WHERE f.assessment_id <> l.assessment_id);
INSERT INTO distance_days (closed_on, domain_code, pairs, first_sum, latest_sum, cases)
SELECT closed_on, domain_code, count(*), sum(first_score), sum(latest_score), sum(lead)
FROM case_scores WHERE closed_on IS NOT NULL GROUP BY closed_on, domain_code;

-- distance_days follows case_scores.  A day's row may be left at zero.
CREATE TRIGGER case_scores_days_insert AFTER INSERT ON case_scores
WHEN NEW.closed_on IS NOT NULL
BEGIN
	INSERT INTO distance_days (closed_on, domain_code, pairs, first_sum, latest_sum, cases)
	VALUES (NEW.closed_on, NEW.domain_code, 1, NEW.first_score, NEW.latest_score, NEW.lead)
	ON CONFLICT (closed_on, domain_code) DO UPDATE SET pairs = pairs + 1,
		first_sum = first_sum + excluded.first_sum,
		latest_sum = latest_sum + excluded.latest_sum, cases = cases + excluded.cases;
END;
CREATE TRIGGER case_scores_days_delete AFTER DELETE ON case_scores
WHEN OLD.closed_on IS NOT NULL
BEGIN
	UPDATE distance_days SET pairs = pairs - 1, first_sum = first_sum - OLD.first_score,
		latest_sum = latest_sum - OLD.latest_score, cases = cases - OLD.lead
	WHERE closed_on = OLD.closed_on AND domain_code = OLD.domain_code;
END;
CREATE TRIGGER case_scores_days_update AFTER UPDATE ON case_scores
BEGIN
	UPDATE distance_days SET pairs = pairs - 1, first_sum = first_sum - OLD.first_score,
		latest_sum = latest_sum - OLD.latest_score, cases = cases - OLD.lead
	WHERE closed_on = OLD.closed_on AND domain_code = OLD.domain_code;
	INSERT INTO distance_days (closed_on, domain_code, pairs, first_sum, latest_sum, cases)
	SELECT NEW.closed_on, NEW.domain_code, 1, NEW.first_score, NEW.latest_score, NEW.lead
	WHERE NEW.closed_on IS NOT NULL
	ON CONFLICT (closed_on, domain_code) DO UPDATE SET pairs = pairs + 1,
		first_sum = first_sum + excluded.first_sum,
		latest_sum = latest_sum + excluded.latest_sum, cases = cases + excluded.cases;
END;

-- Work one case's rows out again: INSERT INTO case_scores_refresh (case_id)
-- VALUES (id) from a trigger (SQLite has no functions in SQL; a view's
-- INSTEAD OF trigger stands in for one).
CREATE VIEW case_scores_refresh AS SELECT 0 AS case_id;
CREATE TRIGGER case_scores_refresh_do INSTEAD OF INSERT ON case_scores_refresh
BEGIN
	DELETE FROM case_scores WHERE case_id = NEW.case_id;
	INSERT INTO case_scores (case_id, domain_code, first_score, latest_score, closed_on)
	SELECT NEW.case_id, f.domain_code, f.score, l.score,
		(SELECT c.closed_on FROM cases c WHERE c.id = NEW.case_id AND c.status = 'closed')
	FROM assessment_scores f JOIN assessment_scores l ON l.domain_code = f.domain_code
	WHERE f.assessment_id = (SELECT a1.id FROM assessments a1 WHERE a1.case_id = NEW.case_id
		ORDER BY a1.assessed_on, a1.id LIMIT 1)
	AND l.assessment_id = (SELECT a2.id FROM assessments a2 WHERE a2.case_id = NEW.case_id
		ORDER BY a2.assessed_on DESC, a2.id DESC LIMIT 1)
	AND f.assessment_id <> l.assessment_id;
	UPDATE case_scores SET lead = 1 WHERE case_id = NEW.case_id
	AND domain_code = (SELECT min(s.domain_code) FROM case_scores s WHERE s.case_id = NEW.case_id);
END;

-- A new assessment may change a case's first or latest: work it out again
-- (a new latest has no scores yet, so its case's rows go until they come).
CREATE TRIGGER assessments_case_scores_insert AFTER INSERT ON assessments
BEGIN
	INSERT INTO case_scores_refresh (case_id) VALUES (NEW.case_id);
END;
CREATE TRIGGER assessments_case_scores_update AFTER UPDATE OF id, case_id, assessed_on
ON assessments
BEGIN
	INSERT INTO case_scores_refresh (case_id) VALUES (OLD.case_id);
	INSERT INTO case_scores_refresh (case_id) SELECT NEW.case_id WHERE NEW.case_id <> OLD.case_id;
END;
CREATE TRIGGER assessments_case_scores_delete AFTER DELETE ON assessments
BEGIN
	INSERT INTO case_scores_refresh (case_id) VALUES (OLD.case_id);
END;

-- A new score (the usual write: an assessment's scores after it) adds its
-- domain's pair when it belongs to the case's first or latest assessment
-- and the other one has the domain too; then the case's lead row.
CREATE TRIGGER assessment_scores_case_insert AFTER INSERT ON assessment_scores
BEGIN
	INSERT INTO case_scores (case_id, domain_code, first_score, latest_score, closed_on)
	SELECT a.case_id, NEW.domain_code, f.score, l.score,
		(SELECT c.closed_on FROM cases c WHERE c.id = a.case_id AND c.status = 'closed')
	FROM assessments a
	JOIN assessment_scores f ON f.assessment_id = (SELECT a1.id FROM assessments a1
		WHERE a1.case_id = a.case_id ORDER BY a1.assessed_on, a1.id LIMIT 1)
		AND f.domain_code = NEW.domain_code
	JOIN assessment_scores l ON l.assessment_id = (SELECT a2.id FROM assessments a2
		WHERE a2.case_id = a.case_id ORDER BY a2.assessed_on DESC, a2.id DESC LIMIT 1)
		AND l.domain_code = NEW.domain_code
	WHERE a.id = NEW.assessment_id AND f.assessment_id <> l.assessment_id
	AND NEW.assessment_id IN (f.assessment_id, l.assessment_id)
	ON CONFLICT (case_id, domain_code) DO UPDATE SET first_score = excluded.first_score,
		latest_score = excluded.latest_score;
	UPDATE case_scores SET lead = (domain_code = (SELECT min(s.domain_code) FROM case_scores s
		WHERE s.case_id = case_scores.case_id))
	WHERE case_id = (SELECT a.case_id FROM assessments a WHERE a.id = NEW.assessment_id)
	AND lead <> (domain_code = (SELECT min(s.domain_code) FROM case_scores s
		WHERE s.case_id = case_scores.case_id));
END;
CREATE TRIGGER assessment_scores_case_update AFTER UPDATE OF assessment_id, domain_code, score
ON assessment_scores
BEGIN
	INSERT INTO case_scores_refresh (case_id)
	SELECT DISTINCT a.case_id FROM assessments a WHERE a.id IN (OLD.assessment_id, NEW.assessment_id);
END;
CREATE TRIGGER assessment_scores_case_delete AFTER DELETE ON assessment_scores
BEGIN
	INSERT INTO case_scores_refresh (case_id)
	SELECT a.case_id FROM assessments a WHERE a.id = OLD.assessment_id;
END;

-- A case closing, reopening or changing its closing day moves its rows.
CREATE TRIGGER cases_case_scores_insert AFTER INSERT ON cases
BEGIN
	UPDATE case_scores SET closed_on = CASE WHEN NEW.status = 'closed' THEN NEW.closed_on END
	WHERE case_id = NEW.id;
END;
CREATE TRIGGER cases_case_scores_update AFTER UPDATE OF id, status, closed_on ON cases
BEGIN
	UPDATE case_scores SET closed_on = CASE WHEN NEW.status = 'closed' THEN NEW.closed_on END
	WHERE case_id = NEW.id
	AND closed_on IS NOT CASE WHEN NEW.status = 'closed' THEN NEW.closed_on END;
	INSERT INTO case_scores_refresh (case_id) SELECT OLD.id WHERE OLD.id <> NEW.id;
END;
CREATE TRIGGER cases_case_scores_delete AFTER DELETE ON cases
BEGIN
	DELETE FROM case_scores WHERE case_id = OLD.id;
END;
