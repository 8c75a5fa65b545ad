-- 0010: each pupil's latest census snapshot marked (issue 4: the home
-- page's and the risk list's "latest extract" without a correlated
-- max(extract_date) per row).  Paired with 0010.sqlite.sql.
--
-- pupil_snapshots.latest is 1 on the snapshot with the pupil's newest
-- extract_date and 0 on the others, so "each pupil's latest snapshot" is
-- `latest = 1`, read from the partial index below.  Kept by triggers,
-- whoever writes snapshots (the import, tests, hearth migrate): an older
-- extract imported after a newer one stays 0, a newer one takes the mark.
-- A new row defaults to 1, so the usual insert (a pupil's newest extract)
-- rewrites only the row it supersedes.
ALTER TABLE pupil_snapshots ADD COLUMN latest INTEGER NOT NULL DEFAULT 1
	CHECK (latest IN (0, 1));
UPDATE pupil_snapshots SET latest = 0 WHERE extract_date <
	(SELECT max(q.extract_date) FROM pupil_snapshots q WHERE q.pupil_id = pupil_snapshots.pupil_id);

-- Pupils by band, of a school or the partnership, from the index alone.
CREATE INDEX pupil_snapshots_latest ON pupil_snapshots(school_id, risk_band) WHERE latest = 1;

-- The mark worked out again for the snapshots of the given pupils: only
-- rows whose mark is wrong are written (so flipping it puts it right).
-- `= ANY (array)` keeps the plan an index lookup per pupil however many
-- rows the statement wrote.
CREATE FUNCTION pupil_snapshots_latest_of(pupils BIGINT[]) RETURNS void LANGUAGE sql AS $$
	UPDATE pupil_snapshots s SET latest = 1 - s.latest
	WHERE s.pupil_id = ANY ($1) AND s.latest <> CASE WHEN s.extract_date =
		(SELECT max(q.extract_date) FROM pupil_snapshots q WHERE q.pupil_id = s.pupil_id)
		THEN 1 ELSE 0 END;
$$;

-- Inserts: once per statement, over the rows it inserted (the import writes
-- thousands of rows a statement; the rows an ON CONFLICT turned into
-- updates keep their pupil and date, so their marks stand).
CREATE FUNCTION pupil_snapshots_latest_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pupil_snapshots_latest_of(ARRAY(SELECT DISTINCT n.pupil_id FROM latest_new n));
	RETURN NULL;
END $$;
CREATE TRIGGER pupil_snapshots_latest_insert AFTER INSERT ON pupil_snapshots
	REFERENCING NEW TABLE AS latest_new
	FOR EACH STATEMENT EXECUTE FUNCTION pupil_snapshots_latest_insert();

-- A snapshot moved to another pupil or date, or removed (nothing does
-- either today but tests): the pupils it left and joined.
CREATE FUNCTION pupil_snapshots_latest_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'UPDATE' THEN
		PERFORM pupil_snapshots_latest_of(ARRAY[OLD.pupil_id, NEW.pupil_id]);
	ELSE
		PERFORM pupil_snapshots_latest_of(ARRAY[OLD.pupil_id]);
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER pupil_snapshots_latest_update AFTER UPDATE OF pupil_id, extract_date
	ON pupil_snapshots FOR EACH ROW
	WHEN (OLD.pupil_id IS DISTINCT FROM NEW.pupil_id OR OLD.extract_date IS DISTINCT FROM NEW.extract_date)
	EXECUTE FUNCTION pupil_snapshots_latest_change();
CREATE TRIGGER pupil_snapshots_latest_delete AFTER DELETE ON pupil_snapshots
	FOR EACH ROW EXECUTE FUNCTION pupil_snapshots_latest_change();
