-- 0015: issue 5's last gaps.  Paired with 0015.pg.sql.
--
-- One-time keys for the forms that lacked them: a family member, another
-- professional, a consent, a worker's cover and a new worker.  Each form
-- carries a key (page_idem_new); a second submission of the same form
-- finds the first row by its key and changes nothing (as referrals,
-- contacts, actions and meetings already do).  NULL for rows made by the
-- API without a key, by the demo or before this migration.  created_by
-- (family_members, family_professionals, workers; consents and covers
-- have recorded_by) is who added the row: a key is only ever the first
-- row of the user who used it, for the same family or worker.
ALTER TABLE family_members ADD COLUMN idem_key TEXT;
CREATE UNIQUE INDEX family_members_idem ON family_members(idem_key);
ALTER TABLE family_members ADD COLUMN created_by INTEGER REFERENCES users(id);
ALTER TABLE family_professionals ADD COLUMN idem_key TEXT;
CREATE UNIQUE INDEX family_professionals_idem ON family_professionals(idem_key);
ALTER TABLE family_professionals ADD COLUMN created_by INTEGER REFERENCES users(id);
ALTER TABLE consents ADD COLUMN idem_key TEXT;
CREATE UNIQUE INDEX consents_idem ON consents(idem_key);
ALTER TABLE worker_covers ADD COLUMN idem_key TEXT;
CREATE UNIQUE INDEX worker_covers_idem ON worker_covers(idem_key);
ALTER TABLE workers ADD COLUMN idem_key TEXT;
CREATE UNIQUE INDEX workers_idem ON workers(idem_key);
ALTER TABLE workers ADD COLUMN created_by INTEGER REFERENCES users(id);

-- A family's address, postcode and home language can be changed (by the
-- referring school on the referral, then by the case's worker or a
-- coordinator); families.version guards against two editors.  Nothing
-- entered is lost: each change keeps the values it replaced here, with
-- who changed them and when.
CREATE TABLE family_details_history (
	id INTEGER PRIMARY KEY,
	family_id INTEGER NOT NULL REFERENCES families(id),
	version INTEGER NOT NULL,               -- families.version these values had
	address TEXT NOT NULL,
	postcode TEXT,
	home_language TEXT NOT NULL,
	changed_by INTEGER REFERENCES users(id),
	changed_at TEXT NOT NULL,
	idem_key TEXT,                          -- the form's one-time key (a resubmission finds it)
	UNIQUE (family_id, version)
);
CREATE UNIQUE INDEX family_details_history_idem ON family_details_history(idem_key);
