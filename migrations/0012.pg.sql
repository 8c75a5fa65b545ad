-- 0012 (PostgreSQL): retention of the cases from before Hearth (issue 9).
-- A safeguarding hold can be on a family of Hearth's or on a family known
-- only by its old family_ref (hearth import-history), never both; and a
-- history case records when retention anonymised it.  Paired with
-- 0012.sqlite.sql.

ALTER TABLE safeguarding_holds ALTER COLUMN family_id DROP NOT NULL;
ALTER TABLE safeguarding_holds ADD COLUMN history_family_ref TEXT;   -- history_cases.family_ref
ALTER TABLE safeguarding_holds ADD CONSTRAINT safeguarding_holds_one_family
	CHECK ((family_id IS NULL) <> (history_family_ref IS NULL));
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
