-- 0001: the foundation — partnership, users, sessions, sign-in throttling,
-- the audit log.  Timestamps are UTC text "YYYY-MM-DDTHH:MM:SSZ" (sortable),
-- dates "YYYY-MM-DD".  Paired with 0001.pg.sql.

CREATE TABLE districts (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE
);

CREATE TABLE schools (
	id INTEGER PRIMARY KEY,
	urn TEXT NOT NULL UNIQUE CHECK (length(urn) = 6),
	name TEXT NOT NULL,
	phase TEXT NOT NULL CHECK (phase IN ('nursery','primary','middle','secondary',
		'all-through','special','pru','college')),
	district_id INTEGER NOT NULL REFERENCES districts(id),
	postcode TEXT,
	created_at TEXT NOT NULL
);
CREATE INDEX schools_district ON schools(district_id);

CREATE TABLE users (
	id INTEGER PRIMARY KEY,
	email TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	role TEXT NOT NULL CHECK (role IN ('admin','coordinator','school','worker',
		'agency','viewer','auditor')),
	school_id INTEGER REFERENCES schools(id),
	password_hash TEXT NOT NULL,
	totp_secret TEXT,              -- base32; NULL until enrolment confirmed
	totp_pending TEXT,             -- base32 offered at enrolment, not yet confirmed
	totp_last_step INTEGER NOT NULL DEFAULT 0,  -- last accepted step: no replay
	disabled INTEGER NOT NULL DEFAULT 0,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	CHECK ((role = 'school') = (school_id IS NOT NULL))
);

CREATE TABLE sessions (
	id INTEGER PRIMARY KEY,
	token_hash TEXT NOT NULL UNIQUE,   -- SHA-256 of the cookie token, hex
	user_id INTEGER NOT NULL REFERENCES users(id),
	csrf_token TEXT NOT NULL,
	created_at TEXT NOT NULL,
	last_seen TEXT NOT NULL,
	expires_at TEXT NOT NULL,          -- absolute expiry
	ip TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

-- Failed sign-ins, for throttling across processes.
CREATE TABLE login_failures (
	id INTEGER PRIMARY KEY,
	email TEXT NOT NULL,
	ip TEXT,
	at TEXT NOT NULL
);
CREATE INDEX login_failures_email ON login_failures(email, at);

CREATE TABLE audit_log (
	id INTEGER PRIMARY KEY,
	at TEXT NOT NULL,
	user_id INTEGER,
	user_email TEXT,
	role TEXT NOT NULL,
	route TEXT NOT NULL,
	action TEXT NOT NULL,
	entity TEXT,
	entity_id TEXT,
	summary TEXT,
	ip TEXT,
	prev_hash TEXT NOT NULL,
	hash TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_user ON audit_log(user_id);
CREATE INDEX audit_log_entity ON audit_log(entity, entity_id);

CREATE TABLE settings (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

-- The authorizer refuses UPDATE and DELETE on audit_log; this refuses the
-- one write it cannot see: INSERT OR REPLACE over an existing row.
CREATE TRIGGER audit_log_append_only BEFORE INSERT ON audit_log
	WHEN EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id)
BEGIN
	SELECT RAISE(ABORT, 'audit_log is append-only');
END;
