-- 0002 (PostgreSQL): the audit log's head — the last row's id and hash, in a row every
-- appender updates.  Taking that row's write lock serialises appenders on
-- PostgreSQL as BEGIN IMMEDIATE does on SQLite, so the chain never forks
-- when several `hearth serve` processes write at once; and `hearth audit
-- verify` checks the log still reaches the head, so rows cut from the end
-- of the log show too.  Paired with 0002.sqlite.sql.
CREATE TABLE audit_head (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	last_id BIGINT NOT NULL,
	hash TEXT NOT NULL
);
INSERT INTO audit_head (id, last_id, hash)
SELECT 1, coalesce(max(id), 0),
	coalesce((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1),
		'0000000000000000000000000000000000000000000000000000000000000000')
FROM audit_log;
