-- 0014: background imports' state in the database (issue 3: "anything
-- else kept in memory moves to the database, so any process can serve any
-- request").  Paired with 0014.pg.sql.
--
-- One row per import started from the upload page (src/web/import_job.c).
-- The request that starts it writes the row; the import's thread updates
-- its progress on a connection of its own, outside the import's
-- transaction, at most twice a second, and writes the outcome when it
-- ends.  Any process's progress page reads it, for the user who started
-- it only.  A 'running' row whose updated_at is over a minute old belongs
-- to a process that stopped (the import, one transaction, applied
-- nothing).  Finished rows go an hour after finishing.
--
-- token_hash: SHA-256 of the progress page's token, hex (as sessions).
-- status: running / done / failed.  import_id: the imports row the
-- report is read from (NULL until known, or if the import never started);
-- result and message: the import's own status (applied, refused, ...)
-- and its one-line message, or why it did not start.  No foreign keys: a
-- job row is transient and must never stand in the way of deleting or
-- anonymising what it names.

CREATE TABLE import_jobs (
	id INTEGER PRIMARY KEY,
	token_hash TEXT NOT NULL UNIQUE,
	user_id INTEGER NOT NULL,
	status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed')),
	bytes_done INTEGER NOT NULL DEFAULT 0,
	bytes_total INTEGER NOT NULL DEFAULT 0,
	import_id INTEGER,
	result TEXT,
	message TEXT,
	started_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	finished_at TEXT
);
CREATE INDEX import_jobs_finished ON import_jobs(finished_at);
