-- 0009: report speed (issue 8: "the full-year dashboard under 200 ms").
-- Paired with 0009.sqlite.sql.
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

-- A case's dates worked out from all its events.
CREATE FUNCTION history_case_days_of(c BIGINT) RETURNS void LANGUAGE sql AS $$
	UPDATE history_cases SET
		referred_on = (SELECT min(e.on_date) FROM history_events e
			WHERE e.case_id = history_cases.id AND e.kind = 'referred'),
		allocated_on = (SELECT min(e.on_date) FROM history_events e
			WHERE e.case_id = history_cases.id AND e.kind = 'allocated'),
		ended_on = (SELECT min(e.on_date) FROM history_events e
			WHERE e.case_id = history_cases.id AND e.kind IN ('closed', 'step_up'))
	WHERE id = $1;
$$;
CREATE FUNCTION history_case_days() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		-- a new event can only bring a date earlier; the loader (history.c)
		-- writes the dates with the case, so for it this changes nothing
		IF NEW.kind = 'referred' THEN
			UPDATE history_cases SET referred_on = NEW.on_date WHERE id = NEW.case_id
				AND (referred_on IS NULL OR referred_on > NEW.on_date);
		ELSIF NEW.kind = 'allocated' THEN
			UPDATE history_cases SET allocated_on = NEW.on_date WHERE id = NEW.case_id
				AND (allocated_on IS NULL OR allocated_on > NEW.on_date);
		ELSE
			UPDATE history_cases SET ended_on = NEW.on_date WHERE id = NEW.case_id
				AND (ended_on IS NULL OR ended_on > NEW.on_date);
		END IF;
		RETURN NULL;
	END IF;
	-- a changed or removed event (nothing does this today): work it out again
	PERFORM history_case_days_of(OLD.case_id);
	IF TG_OP = 'UPDATE' THEN
		PERFORM history_case_days_of(NEW.case_id);
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER history_events_days AFTER INSERT ON history_events FOR EACH ROW
	WHEN (NEW.kind IN ('referred', 'allocated', 'closed', 'step_up'))
	EXECUTE FUNCTION history_case_days();
CREATE TRIGGER history_events_days_change AFTER UPDATE OR DELETE ON history_events
	FOR EACH ROW EXECUTE FUNCTION history_case_days();

-- Step-ups of live cases by date (activity, caseloads).
CREATE INDEX case_events_step_up ON case_events(on_date, case_id) WHERE kind = 'step_up';
-- High-risk census rows (risk and reach).
CREATE INDEX pupil_snapshots_high ON pupil_snapshots(school_id, pupil_id, extract_date)
	WHERE risk_band = 'high';
-- A case's contacts with what the cost of worker time reads (planned,
-- minutes): summed from the index alone, without reading each contact.
DROP INDEX contacts_case;
CREATE INDEX contacts_case ON contacts(case_id, at, planned, duration_min);
