-- 0008: data protection duties — the export register (a record of every
-- export: who, when, what, in which format, how many rows, and for whom
-- when it is a subject access export), safeguarding holds that keep a
-- family's records past the retention period, and the marks anonymisation
-- leaves on families and pupils.  Paired with 0008.pg.sql.

-- Every export, written by the handler that produces it.  Append-only,
-- like the audit log: the triggers refuse UPDATE and DELETE.  subject_kind
-- and subject_id name the person of a subject access export by id (never
-- by name, so the register itself holds no names).
CREATE TABLE export_register (
	id INTEGER PRIMARY KEY,
	at TEXT NOT NULL,
	user_id INTEGER REFERENCES users(id),      -- NULL: the command line / system
	user_email TEXT,
	role TEXT NOT NULL,
	route TEXT NOT NULL,                       -- "GET /pupils.csv", "cli backup", …
	what TEXT NOT NULL,                        -- "reports/outcomes", "pupils", "subject_access", …
	format TEXT NOT NULL CHECK (format IN ('csv','xlsx','json','html','database')),
	filters TEXT NOT NULL DEFAULT '',          -- the filter in words
	row_count INTEGER,                         -- NULL when it has no rows (a database)
	subject_kind TEXT CHECK (subject_kind IN ('pupil','member')),
	subject_id INTEGER,
	ip TEXT,
	CHECK ((subject_kind IS NULL) = (subject_id IS NULL))
);
CREATE INDEX export_register_at ON export_register(at);
CREATE INDEX export_register_subject ON export_register(subject_kind, subject_id);
CREATE TRIGGER export_register_no_update BEFORE UPDATE ON export_register
BEGIN
	SELECT RAISE(ABORT, 'export_register is append-only');
END;
CREATE TRIGGER export_register_no_delete BEFORE DELETE ON export_register
BEGIN
	SELECT RAISE(ABORT, 'export_register is append-only');
END;

-- A safeguarding hold keeps a family's records whole past the retention
-- period (a child protection enquiry, litigation, an inquiry's request).
-- Released, never deleted: the release is dated with its reason.
CREATE TABLE safeguarding_holds (
	id INTEGER PRIMARY KEY,
	family_id INTEGER NOT NULL REFERENCES families(id),
	reason TEXT NOT NULL,
	placed_by INTEGER REFERENCES users(id),
	placed_at TEXT NOT NULL,
	released_by INTEGER REFERENCES users(id),
	released_at TEXT,
	release_reason TEXT,
	CHECK ((released_at IS NULL) = (release_reason IS NULL))
);
CREATE INDEX safeguarding_holds_family ON safeguarding_holds(family_id, released_at);

-- When retention anonymised the family (and its children's pupil records).
ALTER TABLE families ADD COLUMN anonymised_at TEXT;
ALTER TABLE pupils ADD COLUMN anonymised_at TEXT;

-- Retention: a family's records are anonymised once every case is closed
-- and retention.years have passed since the last closure (or decision),
-- and every child of the family has reached retention.until_age (0: no age
-- rule).  See README, "Data protection".
INSERT INTO settings (key, value) VALUES ('retention.years', '6'), ('retention.until_age', '25');
