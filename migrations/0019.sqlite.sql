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
