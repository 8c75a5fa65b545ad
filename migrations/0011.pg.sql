-- 0011: report speed, continued (issue 8: "the full-year dashboard under
-- 200 ms").  Paired with 0011.sqlite.sql.
--
-- Covering indexes: each report reads a period's rows by date through an
-- index and then fetched every row from its table for two or three more
-- columns (a B-tree search per row).  These indexes carry those columns
-- (PostgreSQL reads them index-only where autovacuum has marked the
-- pages all-visible), so the activity, caseloads, outcomes and distance
-- sections read the period's cases and referrals from the index alone.
-- Each replaces the narrower index of the same name (same leading
-- columns, so every query that used the old one can use the new one).
-- History tables are left as they are: history.c drops and rebuilds their
-- indexes around big loads by their 0007/0009 definitions.

-- activity: referrals received by month, source and school
DROP INDEX IF EXISTS referrals_received;
CREATE INDEX referrals_received ON referrals(received_at, source, school_id);

-- activity: screening decisions by month and status
DROP INDEX IF EXISTS referrals_decided;
CREATE INDEX referrals_decided ON referrals(decided_at, status, school_id);

-- activity (closures, cases open in the period), caseloads (cases open
-- at a day: closed_on NULL or later), outcomes, distance: cases by
-- closure date with what they read of the case.  worker_id and intensity
-- are needed too: without them the planner takes cases_opened for
-- caseloads' "closed after the day" and reads every case ever opened.
DROP INDEX IF EXISTS cases_closed;
CREATE INDEX cases_closed ON cases(closed_on, status, closure_reason, opened_on, referral_id,
	family_id, worker_id, intensity);

-- activity's and caseloads' "when was this case stepped up": a case's
-- step-up events alone (case_events_case reads every event of the case
-- from the table for its kind)
CREATE INDEX case_events_case_step_up ON case_events(case_id, on_date) WHERE kind = 'step_up';

-- outcomes' "referred again within 6 months": a family's referrals by date
DROP INDEX IF EXISTS referrals_family;
CREATE INDEX referrals_family ON referrals(family_id, received_at);
