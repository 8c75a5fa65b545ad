-- bench/dashboard/gen-cases.sql — read twice by gen.sql: the coordinator's
-- decisions on the referrals of this pass and the cases of the accepted
-- ones, with their course (closure and reason, step up to social care and
-- step down back to the pool).  Pass 1: referrals from schools, agencies
-- and families; pass 2: the step-down referrals pass 1's step-downs made
-- (those cases are not stepped up again).  Days are days since 1970-01-01.

-- Decisions 1–14 days after receipt: 75% accepted, 15% signposted, 8%
-- declined, 2% stepped straight up to social care (step-downs: 95%
-- accepted); undecided if that day is after the data's end.
UPDATE g_ref SET
	decision = CASE WHEN source = 'step_down' THEN
			CASE WHEN (r / 101) % 100 < 95 THEN 'accepted' ELSE 'signposted' END
		WHEN (r / 101) % 100 < 75 THEN 'accepted' WHEN (r / 101) % 100 < 90 THEN 'signposted'
		WHEN (r / 101) % 100 < 98 THEN 'declined' ELSE 'stepped_up' END,
	decided = received + 1 + (r / 31) % 14
WHERE (source = 'step_down') = ((SELECT p FROM g_pass) = 2);
UPDATE g_ref SET decision = NULL, decided = NULL
WHERE decided > (SELECT e FROM g_cfg) AND (source = 'step_down') = ((SELECT p FROM g_pass) = 2);

-- Allocation 0–28 days after acceptance (a case opened); not yet if that
-- is after the data's end.
INSERT INTO g_case (ref_id, family_id, pass, opened, r)
SELECT id, family_id, (SELECT p FROM g_pass), decided + abs(random()) % 15 + abs(random()) % 15,
	abs(random())
FROM g_ref WHERE decision = 'accepted' AND (source = 'step_down') = ((SELECT p FROM g_pass) = 2)
ORDER BY decided, id;
DELETE FROM g_case WHERE opened > (SELECT e FROM g_cfg) AND pass = (SELECT p FROM g_pass);

-- Worked 30–330 days; closed: 62% outcomes met, 18% disengaged, 12% moved
-- away, 8% other.  5% of pass-1 cases are stepped up 14–113 days in (unless
-- closed first); half of those come back (stepped down) 30–179 days later,
-- closing the case with reason stepped_up.  Nothing after the data's end.
UPDATE g_case SET
	intensity = 1 + r % 3,
	closed = opened + 30 + (r / 7) % 240 + (r / 1009) % 60,
	reason = CASE WHEN (r / 37) % 100 < 62 THEN 'outcomes_met' WHEN (r / 37) % 100 < 80 THEN 'disengaged'
		WHEN (r / 37) % 100 < 92 THEN 'moved_away' ELSE 'other' END,
	step_up = CASE WHEN pass = 1 AND (r / 3) % 100 < 5 THEN opened + 14 + (r / 307) % 100 END
WHERE pass = (SELECT p FROM g_pass);
UPDATE g_case SET step_up = NULL
WHERE pass = (SELECT p FROM g_pass) AND (step_up > closed OR step_up > (SELECT e FROM g_cfg));
UPDATE g_case SET step_down = CASE WHEN (r / 17) % 2 = 0 THEN step_up + 30 + (r / 13) % 150 END
WHERE pass = (SELECT p FROM g_pass) AND step_up IS NOT NULL;
UPDATE g_case SET step_down = NULL
WHERE pass = (SELECT p FROM g_pass) AND step_down > (SELECT e FROM g_cfg);
UPDATE g_case SET closed = step_down, reason = CASE WHEN step_down IS NOT NULL THEN 'stepped_up' END
WHERE pass = (SELECT p FROM g_pass) AND step_up IS NOT NULL;
UPDATE g_case SET closed = NULL, reason = NULL
WHERE pass = (SELECT p FROM g_pass) AND closed > (SELECT e FROM g_cfg);
-- Open cases are with active workers (1–900); closed ones with any.
UPDATE g_case SET worker_id = 1 + (r / 19) % CASE WHEN closed IS NULL THEN 900 ELSE 1000 END
WHERE pass = (SELECT p FROM g_pass);
