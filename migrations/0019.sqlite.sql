-- 0019: a cheaper audit row (issue 2).  Paired with 0019.pg.sql.
--
-- Every answer writes an audit row, so every index on audit_log is paid
-- for once per request.  audit_log_at and audit_log_user served no query:
-- the auditor's page and API (web/audit_web.c) filter with "(:x IS NULL
-- OR col = :x)" and read newest first by id, which both backends answer
-- from the table in id order (EXPLAIN QUERY PLAN: SCAN audit_log); the
-- subject access export (core/dataprot.c) looks rows up by (entity,
-- entity_id), which audit_log_entity keeps serving.
DROP INDEX audit_log_at;
DROP INDEX audit_log_user;

-- auth_version: a number that moves with every change to sessions, users
-- or schools, kept by triggers whoever writes (hearth serve, the CLI,
-- another process, an operator's SQL).  `hearth serve` keeps its reads'
-- session lookups (the session, its user, the user's school) in memory,
-- tagged with the number they were read at, and answers from one only if
-- the number is unchanged when the request's audit rows are committed
-- (core/auth.c, core/audit.c): signing out, expiry, a disabled account or
-- a changed role takes effect at once.
CREATE TABLE auth_version (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	n INTEGER NOT NULL
);
INSERT INTO auth_version (id, n) VALUES (1, 1);
CREATE TRIGGER sessions_insert_version AFTER INSERT ON sessions
BEGIN UPDATE auth_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER sessions_update_version AFTER UPDATE ON sessions
BEGIN UPDATE auth_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER sessions_delete_version AFTER DELETE ON sessions
BEGIN UPDATE auth_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER users_insert_version AFTER INSERT ON users
BEGIN UPDATE auth_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER users_update_version AFTER UPDATE ON users
BEGIN UPDATE auth_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER users_delete_version AFTER DELETE ON users
BEGIN UPDATE auth_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER schools_insert_version AFTER INSERT ON schools
BEGIN UPDATE auth_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER schools_update_version AFTER UPDATE ON schools
BEGIN UPDATE auth_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER schools_delete_version AFTER DELETE ON schools
BEGIN UPDATE auth_version SET n = n + 1 WHERE id = 1; END;
