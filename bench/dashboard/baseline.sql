-- bench/dashboard/baseline.sql — the dashboard's figures, one hand-written
-- query per report section, as an analyst would write them in the sqlite3
-- shell or psql: the yardstick bench/dashboard/run.sh times hearth's
-- GET /api/v1/reports/dashboard against (see bench/README.md).
--
-- Every statement starts with "-- section: ID" (run.sh times them one by
-- one).  run.sh substitutes before running:
--   :from :to       the period's first and last day ('YYYY-MM-DD')
--   :tonext         the day after :to (timestamps are compared with it)
--   :to12           :to less 12 months (reach: a case open since then)
--   :asof           the caseloads' day: :to, or today if that is earlier
--   MONTHS          a VALUES list of (month 'YYYY-MM', its last day)
--   DAYS(a, b)      whole days from date a to date b (dialect-specific)
-- The definitions follow the report modules' headers (core/report_*.h):
-- live data and history together where the measure exists in both; no
-- school, district or phase filter (the dashboard is timed unfiltered).

-- section: activity
-- Activity by month: a row per (measure, month); open at month end as
-- openings minus endings so far (a running sum over all months).
WITH ev(m, k) AS (
	SELECT substr(r.received_at, 1, 7), 'referrals' FROM referrals r
		WHERE r.received_at >= :from AND r.received_at < :tonext
	UNION ALL SELECT substr(r.received_at, 1, 7), CASE WHEN r.source = 'school'
		THEN 'referrals_school_' || s.phase ELSE 'referrals_' || r.source END
		FROM referrals r LEFT JOIN schools s ON s.id = r.school_id
		WHERE r.received_at >= :from AND r.received_at < :tonext
	UNION ALL SELECT substr(r.decided_at, 1, 7), r.status FROM referrals r
		WHERE r.status IN ('accepted', 'signposted', 'declined', 'stepped_up')
		AND r.decided_at >= :from AND r.decided_at < :tonext
	UNION ALL SELECT substr(c.opened_on, 1, 7), 'opened' FROM cases c
		WHERE c.opened_on >= :from AND c.opened_on <= :to
	UNION ALL SELECT substr(c.closed_on, 1, 7), 'closed' FROM cases c
		WHERE c.closed_on >= :from AND c.closed_on <= :to
	UNION ALL SELECT substr(c.closed_on, 1, 7), 'closed_' || c.closure_reason FROM cases c
		WHERE c.closed_on >= :from AND c.closed_on <= :to
	UNION ALL SELECT substr(e.on_date, 1, 7), CASE e.kind WHEN 'step_down' THEN 'stepped_down'
		ELSE 'stepped_up' END FROM case_events e
		WHERE e.kind IN ('step_down', 'step_up') AND e.on_date >= :from AND e.on_date <= :to
	UNION ALL SELECT substr(e.on_date, 1, 7), CASE e.kind WHEN 'referred' THEN 'referrals'
		WHEN 'allocated' THEN 'opened' WHEN 'step_down' THEN 'stepped_down'
		WHEN 'step_up' THEN 'stepped_up' ELSE e.kind END
		FROM history_events e WHERE e.kind <> 'commission' AND e.on_date >= :from AND e.on_date <= :to
	UNION ALL SELECT substr(e.on_date, 1, 7), CASE WHEN e.source = 'school'
		THEN 'referrals_school_' || coalesce(s.phase, 'unknown')
		ELSE 'referrals_' || coalesce(e.source, 'unknown') END
		FROM history_events e JOIN history_cases hc ON hc.id = e.case_id
		LEFT JOIN schools s ON s.id = hc.school_id
		WHERE e.kind = 'referred' AND e.on_date >= :from AND e.on_date <= :to
	UNION ALL SELECT substr(e.on_date, 1, 7), 'closed_' || e.reason FROM history_events e
		WHERE e.kind = 'closed' AND e.on_date >= :from AND e.on_date <= :to
),
span(opened, ended) AS (
	SELECT c.opened_on, CASE WHEN u.d IS NOT NULL AND (c.closed_on IS NULL OR u.d < c.closed_on)
		THEN u.d ELSE c.closed_on END
	FROM cases c LEFT JOIN (SELECT case_id, min(on_date) AS d FROM case_events
		WHERE kind = 'step_up' GROUP BY case_id) u ON u.case_id = c.id
	UNION ALL SELECT min(CASE WHEN kind = 'allocated' THEN on_date END),
		min(CASE WHEN kind IN ('closed', 'step_up') THEN on_date END)
	FROM history_events GROUP BY case_id HAVING min(CASE WHEN kind = 'allocated' THEN on_date END) IS NOT NULL
),
delta(m, n) AS (
	SELECT substr(opened, 1, 7), 1 FROM span
	UNION ALL SELECT substr(ended, 1, 7), -1 FROM span WHERE ended IS NOT NULL
),
running(m, n) AS (
	SELECT m, sum(sum(n)) OVER (ORDER BY m) FROM delta GROUP BY m
),
open_end(m, k, n) AS (
	SELECT mm.column1, 'open_month_end', coalesce((SELECT running.n FROM running
		WHERE running.m <= mm.column1 ORDER BY running.m DESC LIMIT 1), 0)
	FROM (VALUES MONTHS) mm
)
SELECT k, m, count(*) FROM ev GROUP BY k, m
UNION ALL SELECT k, m, n FROM open_end
ORDER BY 1, 2;

-- section: caseloads
-- Open cases, weighted caseload and capacity per worker on :asof.
SELECT w.id, count(c.id) AS open_cases, coalesce(sum(c.intensity), 0) AS weighted,
	2 * coalesce(w.max_caseload, (SELECT CAST(value AS INTEGER) FROM settings
		WHERE key = 'case.max_caseload')) AS capacity
FROM workers w LEFT JOIN cases c ON c.worker_id = w.id AND c.opened_on <= :asof
	AND (c.closed_on IS NULL OR c.closed_on > :asof)
	AND NOT EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.kind = 'step_up'
		AND e.on_date <= :asof)
WHERE w.active = 1 OR c.id IS NOT NULL
GROUP BY w.id, w.max_caseload ORDER BY w.id;

-- section: waits
-- Days from referral to allocation of the cases opened in the period, by
-- month: count, median (mean of the middle two), 90th percentile (nearest rank).
WITH w(m, d) AS (
	SELECT substr(c.opened_on, 1, 7), DAYS(substr(r.received_at, 1, 10), c.opened_on)
	FROM cases c JOIN referrals r ON r.id = c.referral_id
	WHERE c.opened_on >= :from AND c.opened_on <= :to
	UNION ALL SELECT substr(a, 1, 7), DAYS(f, a) FROM (
		SELECT min(CASE WHEN kind = 'referred' THEN on_date END) AS f,
			min(CASE WHEN kind = 'allocated' THEN on_date END) AS a
		FROM history_events WHERE kind IN ('referred', 'allocated') GROUP BY case_id) h
	WHERE a >= :from AND a <= :to AND f IS NOT NULL
),
r AS (SELECT m, d, row_number() OVER (PARTITION BY m ORDER BY d) AS rn,
	count(*) OVER (PARTITION BY m) AS n FROM w)
SELECT m, max(n) AS allocated,
	(sum(CASE WHEN rn IN ((n + 1) / 2, (n + 2) / 2) THEN d END) * 10
		/ count(CASE WHEN rn IN ((n + 1) / 2, (n + 2) / 2) THEN 1 END) + 5) / 10 AS median_days,
	min(CASE WHEN rn >= (9 * n + 9) / 10 THEN d END) AS p90_days
FROM r GROUP BY m ORDER BY m;

-- section: money_budgets
-- Budgets whose year overlaps the period: amount, committed, spent,
-- pending, available.
SELECT b.id, b.amount_pence,
	coalesce(sum(CASE WHEN m.status = 'approved' THEN m.estimate_pence
		WHEN m.status = 'delivered' THEN coalesce(m.actual_pence, m.estimate_pence) END), 0) AS committed,
	coalesce(sum(CASE WHEN m.status = 'paid'
		THEN coalesce(m.actual_pence, m.estimate_pence) - m.refunded_pence END), 0) AS spent,
	coalesce(sum(CASE WHEN m.status = 'requested' THEN m.estimate_pence END), 0) AS pending,
	b.amount_pence - coalesce(sum(CASE WHEN m.status = 'approved' THEN m.estimate_pence
		WHEN m.status = 'delivered' THEN coalesce(m.actual_pence, m.estimate_pence)
		WHEN m.status = 'paid' THEN coalesce(m.actual_pence, m.estimate_pence) - m.refunded_pence
		END), 0) AS available
FROM budgets b LEFT JOIN commissions m ON m.budget_id = b.id
WHERE (b.period = 'financial' AND (b.start_year || '-04-01') <= :to AND ((b.start_year + 1) || '-03-31') >= :from)
	OR (b.period = 'academic' AND (b.start_year || '-09-01') <= :to AND ((b.start_year + 1) || '-08-31') >= :from)
GROUP BY b.id, b.amount_pence ORDER BY b.id;

-- section: money_sources
-- Funding sources over those budgets: contribution, and spend divided
-- among each budget's sources pro rata (rounded down here).
WITH b AS (
	SELECT b.id, b.amount_pence, (SELECT coalesce(sum(coalesce(m.actual_pence, m.estimate_pence)
		- m.refunded_pence), 0) FROM commissions m WHERE m.budget_id = b.id AND m.status = 'paid') AS spent
	FROM budgets b
	WHERE (b.period = 'financial' AND (b.start_year || '-04-01') <= :to AND ((b.start_year + 1) || '-03-31') >= :from)
		OR (b.period = 'academic' AND (b.start_year || '-09-01') <= :to AND ((b.start_year + 1) || '-08-31') >= :from)
)
SELECT s.source, sum(s.amount_pence) AS contribution,
	sum(CASE WHEN b.amount_pence > 0 THEN b.spent * s.amount_pence / b.amount_pence ELSE 0 END) AS spent
FROM b JOIN budget_sources s ON s.budget_id = b.id GROUP BY s.source ORDER BY 2 DESC;

-- section: money_families
-- Cost per family: cases open in the period, their contacts' time and
-- commissions in it (live), history commissions; families counted once.
WITH lc AS (
	SELECT c.id, c.family_id,
		(SELECT coalesce(sum(t.duration_min), 0) FROM contacts t WHERE t.case_id = c.id AND t.planned = 0
			AND t.at >= :from AND t.at < :tonext) AS minutes,
		(SELECT coalesce(sum(CASE WHEN m.status = 'paid' THEN coalesce(m.actual_pence, m.estimate_pence)
			- m.refunded_pence WHEN m.status = 'delivered' THEN coalesce(m.actual_pence, m.estimate_pence)
			ELSE m.estimate_pence END), 0) FROM commissions m WHERE m.case_id = c.id
			AND m.status IN ('approved', 'delivered', 'paid')
			AND coalesce(m.decided_at, m.requested_at) >= :from
			AND coalesce(m.decided_at, m.requested_at) < :tonext) AS money
	FROM cases c WHERE c.opened_on <= :to AND (c.closed_on IS NULL OR c.closed_on >= :from)
),
hc AS (
	SELECT h.family_ref, e.case_id, sum(CASE WHEN e.kind = 'commission' AND e.on_date >= :from
		AND e.on_date <= :to THEN e.amount_pence ELSE 0 END) AS money,
		min(CASE WHEN e.kind = 'allocated' THEN e.on_date END) AS opened,
		min(CASE WHEN e.kind IN ('closed', 'step_up') THEN e.on_date END) AS ended
	FROM history_events e JOIN history_cases h ON h.id = e.case_id GROUP BY h.family_ref, e.case_id
)
SELECT 'live', count(DISTINCT family_id), count(*), sum(money), sum((minutes * 3200 + 30) / 60),
	(sum(money) + sum((minutes * 3200 + 30) / 60)) / nullif(count(DISTINCT family_id), 0) FROM lc
UNION ALL SELECT 'history', count(DISTINCT family_ref), count(*), sum(money), 0,
	sum(money) / nullif(count(DISTINCT family_ref), 0)
	FROM hc WHERE opened <= :to AND (ended IS NULL OR ended >= :from);

-- section: money_engaged
-- Families with a case open at any time in each academic year the period
-- touches (live by family, history by its old reference; together by ref).
WITH ay(y, f, t) AS (
	SELECT CAST(substr(column2, 1, 4) AS INTEGER) - CASE WHEN substr(column2, 6, 2) < '09' THEN 1 ELSE 0 END,
		NULL, NULL FROM (VALUES MONTHS) mm
),
years(y, f, t) AS (
	SELECT DISTINCT y, y || '-09-01', (y + 1) || '-08-31' FROM ay
),
spans(ref, src, opened, ended) AS (
	SELECT fa.ref, 'live', c.opened_on, c.closed_on FROM cases c JOIN families fa ON fa.id = c.family_id
	UNION ALL SELECT h.family_ref, 'history', min(CASE WHEN e.kind = 'allocated' THEN e.on_date END),
		min(CASE WHEN e.kind IN ('closed', 'step_up') THEN e.on_date END)
	FROM history_events e JOIN history_cases h ON h.id = e.case_id GROUP BY h.family_ref, e.case_id
)
SELECT years.y, count(DISTINCT CASE WHEN src = 'live' THEN ref END),
	count(DISTINCT CASE WHEN src = 'history' THEN ref END), count(DISTINCT ref)
FROM years JOIN spans ON spans.opened <= years.t AND (spans.ended IS NULL OR spans.ended >= years.f)
GROUP BY years.y ORDER BY 1;

-- section: reach
-- High-risk pupils (latest snapshot on or before :to) by district, and
-- those with a case open at :to or at any time in the 12 months before.
WITH latest AS (
	SELECT ps.pupil_id, ps.risk_band, ps.school_id,
		row_number() OVER (PARTITION BY ps.pupil_id ORDER BY ps.extract_date DESC) AS rn
	FROM pupil_snapshots ps WHERE ps.extract_date <= :to
),
reached AS (
	SELECT rp.pupil_id FROM referral_pupils rp JOIN cases c ON c.referral_id = rp.referral_id
		WHERE c.opened_on <= :to AND (c.closed_on IS NULL OR c.closed_on >= :to12)
	UNION SELECT h.pupil_id FROM history_cases h JOIN history_events e ON e.case_id = h.id
		WHERE h.pupil_id IS NOT NULL GROUP BY h.id, h.pupil_id
		HAVING min(CASE WHEN e.kind = 'allocated' THEN e.on_date END) <= :to
		AND coalesce(min(CASE WHEN e.kind IN ('closed', 'step_up') THEN e.on_date END), '9999') >= :to12
)
SELECT s.district_id, count(*) AS high_risk, count(r.pupil_id) AS reached,
	count(*) - count(r.pupil_id) AS gap, 1000 * count(r.pupil_id) / count(*) AS pct_reached
FROM latest l JOIN schools s ON s.id = l.school_id LEFT JOIN reached r ON r.pupil_id = l.pupil_id
WHERE l.rn = 1 AND l.risk_band = 'high' GROUP BY s.district_id ORDER BY 1;

-- section: outcomes
-- Cases closed in the period (live and history): count, families, outcomes
-- met, stabilised (no referral of the family within 6 months of closing),
-- attendance ‰ before (latest census before the referral) and after (the
-- latest census) over the children with both, destinations at 16.
WITH closed(src, case_id, fam, lfam, hfam, reason, closed_on, referred_on, pupil_id) AS (
	SELECT 'L', c.id, 'L' || c.family_id, c.family_id, NULL, c.closure_reason, c.closed_on,
		substr(r.received_at, 1, 10), rp.pupil_id
	FROM cases c JOIN referrals r ON r.id = c.referral_id
	LEFT JOIN referral_pupils rp ON rp.referral_id = r.id
	WHERE c.status = 'closed' AND c.closed_on >= :from AND c.closed_on <= :to
	UNION ALL SELECT 'H', h.id, 'H' || h.family_ref, NULL, h.family_ref, e.reason, e.on_date,
		(SELECT min(x.on_date) FROM history_events x WHERE x.case_id = h.id AND x.kind = 'referred'),
		h.pupil_id
	FROM history_events e JOIN history_cases h ON h.id = e.case_id
	WHERE e.kind = 'closed' AND e.on_date >= :from AND e.on_date <= :to
),
hreferred AS MATERIALIZED (
	SELECT h2.family_ref, h2.id AS case_id, y.on_date FROM history_cases h2
		JOIN history_events y ON y.case_id = h2.id AND y.kind = 'referred'
),
hmet AS MATERIALIZED (
	SELECT src, case_id, hfam, closed_on FROM closed WHERE src = 'H' AND reason = 'outcomes_met'
),
again AS (
	SELECT c.src, c.case_id FROM closed c JOIN referrals r
		ON r.family_id = c.lfam AND substr(r.received_at, 1, 10) > c.closed_on
	WHERE c.reason = 'outcomes_met' AND DAYS(c.closed_on, substr(r.received_at, 1, 10)) <= 183
	UNION SELECT c.src, c.case_id FROM hmet c JOIN hreferred y
		ON y.family_ref = c.hfam AND y.case_id <> c.case_id AND y.on_date >= c.closed_on
	WHERE DAYS(c.closed_on, y.on_date) <= 183
),
att AS (
	SELECT c.pupil_id,
		(SELECT 1000 * ps.sessions_attended / ps.sessions_possible FROM pupil_snapshots ps
			WHERE ps.pupil_id = c.pupil_id AND ps.extract_date < c.referred_on
			ORDER BY ps.extract_date DESC LIMIT 1) AS before,
		(SELECT 1000 * ps.sessions_attended / ps.sessions_possible FROM pupil_snapshots ps
			WHERE ps.pupil_id = c.pupil_id ORDER BY ps.extract_date DESC LIMIT 1) AS after
	FROM closed c WHERE c.pupil_id IS NOT NULL
)
SELECT (SELECT count(DISTINCT src || case_id) FROM closed) AS cases_closed,
	(SELECT count(DISTINCT fam) FROM closed) AS families,
	(SELECT count(DISTINCT src || case_id) FROM closed WHERE reason = 'outcomes_met') AS outcomes_met,
	(SELECT count(DISTINCT src || case_id) FROM closed WHERE reason = 'outcomes_met')
		- (SELECT count(*) FROM again) AS stabilised,
	(SELECT count(*) FROM att WHERE before IS NOT NULL AND after IS NOT NULL) AS attendance_children,
	(SELECT avg(before) FROM att WHERE before IS NOT NULL AND after IS NOT NULL) AS attendance_before,
	(SELECT avg(after) FROM att WHERE before IS NOT NULL AND after IS NOT NULL) AS attendance_after,
	(SELECT count(*) FROM destinations d WHERE d.pupil_id IN (SELECT pupil_id FROM closed)) AS destinations;

-- section: distance
-- Assessment distance travelled by domain: first and latest assessment of
-- the cases closed in the period (with at least two).
WITH ends AS (
	SELECT a.case_id, min(a.assessed_on || a.id) AS first_key, max(a.assessed_on || a.id) AS last_key
	FROM assessments a JOIN cases c ON c.id = a.case_id
	WHERE c.status = 'closed' AND c.closed_on >= :from AND c.closed_on <= :to
	GROUP BY a.case_id HAVING count(*) >= 2
)
SELECT f.domain_code, count(*), 10 * avg(f.score), 10 * avg(l.score), 10 * avg(l.score - f.score)
FROM ends e
JOIN assessments fa ON fa.case_id = e.case_id AND fa.assessed_on || fa.id = e.first_key
JOIN assessments la ON la.case_id = e.case_id AND la.assessed_on || la.id = e.last_key
JOIN assessment_scores f ON f.assessment_id = fa.id
JOIN assessment_scores l ON l.assessment_id = la.id AND l.domain_code = f.domain_code
GROUP BY f.domain_code ORDER BY 1;

-- section: survey
-- The latest closed (else open) survey: schools, schools responded and the
-- response rate ‰ by school type.
WITH sv AS (
	SELECT id FROM surveys WHERE status IN ('open', 'closed')
	ORDER BY CASE status WHEN 'closed' THEN 0 ELSE 1 END, opened_on DESC, id DESC LIMIT 1
)
SELECT s.phase, count(*) AS schools, count(r.school_id) AS responded,
	1000 * count(r.school_id) / count(*) AS rate
FROM schools s LEFT JOIN (SELECT DISTINCT school_id FROM survey_responses
	WHERE survey_id = (SELECT id FROM sv)) r ON r.school_id = s.id
GROUP BY s.phase ORDER BY 1;
