-- 0009: report speed (issue 8: "the full-year dashboard under 200 ms").
-- Paired with 0009.pg.sql.
--
-- A history case's dates kept on the case: its referral, its first
-- allocation and its end (the first step-up or closure), so that the
-- reports find a period's historic cases by index instead of grouping
-- every historic event.  Kept by triggers on history_events, whoever
-- writes them (the loader, hearth migrate, tests), and filled here for the
-- cases loaded before.
ALTER TABLE history_cases ADD COLUMN referred_on TEXT;
ALTER TABLE history_cases ADD COLUMN allocated_on TEXT;
ALTER TABLE history_cases ADD COLUMN ended_on TEXT;
UPDATE history_cases SET
	referred_on = (SELECT min(e.on_date) FROM history_events e
		WHERE e.case_id = history_cases.id AND e.kind = 'referred'),
	allocated_on = (SELECT min(e.on_date) FROM history_events e
		WHERE e.case_id = history_cases.id AND e.kind = 'allocated'),
	ended_on = (SELECT min(e.on_date) FROM history_events e
		WHERE e.case_id = history_cases.id AND e.kind IN ('closed', 'step_up'));
CREATE INDEX history_cases_allocated ON history_cases(allocated_on);
CREATE INDEX history_cases_ended ON history_cases(ended_on, allocated_on);

-- A new event can only bring a date earlier.  The loader (history.c)
-- writes the dates with the case, so for it these change nothing.
CREATE TRIGGER history_events_referred AFTER INSERT ON history_events
WHEN NEW.kind = 'referred'
BEGIN
	UPDATE history_cases SET referred_on = NEW.on_date
	WHERE id = NEW.case_id AND (referred_on IS NULL OR referred_on > NEW.on_date);
END;
CREATE TRIGGER history_events_allocated AFTER INSERT ON history_events
WHEN NEW.kind = 'allocated'
BEGIN
	UPDATE history_cases SET allocated_on = NEW.on_date
	WHERE id = NEW.case_id AND (allocated_on IS NULL OR allocated_on > NEW.on_date);
END;
CREATE TRIGGER history_events_ended AFTER INSERT ON history_events
WHEN NEW.kind IN ('closed', 'step_up')
BEGIN
	UPDATE history_cases SET ended_on = NEW.on_date
	WHERE id = NEW.case_id AND (ended_on IS NULL OR ended_on > NEW.on_date);
END;
-- A changed or removed event (nothing does this today): work the case's
-- dates out again.
CREATE TRIGGER history_events_days_update AFTER UPDATE ON history_events
BEGIN
	UPDATE history_cases SET
		referred_on = (SELECT min(e.on_date) FROM history_events e
			WHERE e.case_id = history_cases.id AND e.kind = 'referred'),
		allocated_on = (SELECT min(e.on_date) FROM history_events e
			WHERE e.case_id = history_cases.id AND e.kind = 'allocated'),
		ended_on = (SELECT min(e.on_date) FROM history_events e
			WHERE e.case_id = history_cases.id AND e.kind IN ('closed', 'step_up'))
	WHERE id IN (OLD.case_id, NEW.case_id);
END;
CREATE TRIGGER history_events_days_delete AFTER DELETE ON history_events
BEGIN
	UPDATE history_cases SET
		referred_on = (SELECT min(e.on_date) FROM history_events e
			WHERE e.case_id = history_cases.id AND e.kind = 'referred'),
		allocated_on = (SELECT min(e.on_date) FROM history_events e
			WHERE e.case_id = history_cases.id AND e.kind = 'allocated'),
		ended_on = (SELECT min(e.on_date) FROM history_events e
			WHERE e.case_id = history_cases.id AND e.kind IN ('closed', 'step_up'))
	WHERE id = OLD.case_id;
END;

-- Step-ups of live cases by date (activity, caseloads).
CREATE INDEX case_events_step_up ON case_events(on_date, case_id) WHERE kind = 'step_up';
-- High-risk census rows (risk and reach).
CREATE INDEX pupil_snapshots_high ON pupil_snapshots(school_id, pupil_id, extract_date)
	WHERE risk_band = 'high';
-- A case's contacts with what the cost of worker time reads (planned,
-- minutes): summed from the index alone, without reading each contact.
DROP INDEX contacts_case;
CREATE INDEX contacts_case ON contacts(case_id, at, planned, duration_min);
