-- 0012: retention of the cases from before Hearth (issue 9).  A
-- safeguarding hold can be on a family of Hearth's or on a family known
-- only by its old family_ref (hearth import-history), never both; and a
-- history case records when retention anonymised it.  Paired with
-- 0012.pg.sql.

-- SQLite cannot drop NOT NULL or add a CHECK to a column: the table is
-- built again (nothing refers to it) with the same ids, the new column
-- last as in PostgreSQL (hearth migrate and backup compare rows column by
-- column).
CREATE TABLE safeguarding_holds_new (
	id INTEGER PRIMARY KEY,
	family_id INTEGER REFERENCES families(id),
	reason TEXT NOT NULL,
	placed_by INTEGER REFERENCES users(id),
	placed_at TEXT NOT NULL,
	released_by INTEGER REFERENCES users(id),
	released_at TEXT,
	release_reason TEXT,
	history_family_ref TEXT,                   -- history_cases.family_ref
	CHECK ((released_at IS NULL) = (release_reason IS NULL)),
	CHECK ((family_id IS NULL) <> (history_family_ref IS NULL))
);
INSERT INTO safeguarding_holds_new (id, family_id, reason, placed_by, placed_at, released_by,
	released_at, release_reason)
	SELECT id, family_id, reason, placed_by, placed_at, released_by, released_at, release_reason
	FROM safeguarding_holds;
DROP TABLE safeguarding_holds;
ALTER TABLE safeguarding_holds_new RENAME TO safeguarding_holds;
CREATE INDEX safeguarding_holds_family ON safeguarding_holds(family_id, released_at);
CREATE INDEX safeguarding_holds_history ON safeguarding_holds(history_family_ref, released_at)
	WHERE history_family_ref IS NOT NULL;

-- When retention anonymised the case's family.  Families anonymised before
-- this migration are known by their audit row (entity history_cases, id
-- the first case, whose id the new family_ref carries); an old reference
-- that merely begins "anonymised-" is not taken as done.
ALTER TABLE history_cases ADD COLUMN anonymised_at TEXT;
UPDATE history_cases SET anonymised_at = (SELECT min(a.at) FROM audit_log a
	WHERE a.action = 'anonymise' AND a.entity = 'history_cases'
	AND 'anonymised-' || a.entity_id = history_cases.family_ref)
	WHERE family_ref LIKE 'anonymised-%';
