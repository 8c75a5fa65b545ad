-- 0020 (PostgreSQL): audit rows without a trigger (issue 2).  Paired with
-- 0020.sqlite.sql, which drops SQLite's BEFORE INSERT trigger on
-- audit_log.  PostgreSQL never had it (it has no INSERT OR REPLACE, and
-- its statement triggers refuse UPDATE, DELETE and TRUNCATE), so there is
-- nothing to change here.
SELECT 1;
