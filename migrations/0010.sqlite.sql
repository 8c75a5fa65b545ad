-- 0010: each pupil's latest census snapshot marked (issue 4: the home
-- page's and the risk list's "latest extract" without a correlated
-- max(extract_date) per row).  Paired with 0010.pg.sql.
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

-- Pupils by band, of a school or the partnership, from the index alone
-- (latest is in it, all 1s, because SQLite reads the table for a column a
-- query names unless the index holds it, even one of its WHERE clause).
CREATE INDEX pupil_snapshots_latest ON pupil_snapshots(school_id, risk_band, latest)
	WHERE latest = 1;

-- The mark worked out again for one pupil's snapshots: only rows whose
-- mark changes are written.  (The max subquery refers to the trigger's row
-- alone, so SQLite evaluates it once per statement.)  A new pupil's first
-- snapshot, marked by default, needs nothing: the WHEN clause finds that
-- from the unique index alone, which is most of a first import's rows.
CREATE TRIGGER pupil_snapshots_latest_insert AFTER INSERT ON pupil_snapshots
WHEN NEW.latest <> 1 OR EXISTS (SELECT 1 FROM pupil_snapshots q
	WHERE q.pupil_id = NEW.pupil_id AND q.extract_date <> NEW.extract_date)
BEGIN
	UPDATE pupil_snapshots SET latest = (extract_date = (SELECT max(q.extract_date)
		FROM pupil_snapshots q WHERE q.pupil_id = NEW.pupil_id))
	WHERE pupil_id = NEW.pupil_id AND latest <> (extract_date = (SELECT max(q.extract_date)
		FROM pupil_snapshots q WHERE q.pupil_id = NEW.pupil_id));
END;
CREATE TRIGGER pupil_snapshots_latest_update AFTER UPDATE OF pupil_id, extract_date
ON pupil_snapshots
BEGIN
	UPDATE pupil_snapshots SET latest = (extract_date = (SELECT max(q.extract_date)
		FROM pupil_snapshots q WHERE q.pupil_id = pupil_snapshots.pupil_id))
	WHERE pupil_id IN (OLD.pupil_id, NEW.pupil_id)
	AND latest <> (extract_date = (SELECT max(q.extract_date)
		FROM pupil_snapshots q WHERE q.pupil_id = pupil_snapshots.pupil_id));
END;
CREATE TRIGGER pupil_snapshots_latest_delete AFTER DELETE ON pupil_snapshots
BEGIN
	UPDATE pupil_snapshots SET latest = (extract_date = (SELECT max(q.extract_date)
		FROM pupil_snapshots q WHERE q.pupil_id = OLD.pupil_id))
	WHERE pupil_id = OLD.pupil_id AND latest <> (extract_date = (SELECT max(q.extract_date)
		FROM pupil_snapshots q WHERE q.pupil_id = OLD.pupil_id));
END;
