-- 0018: a placeholder on the audit helper's branch only, so that 0019 applies
-- (migrations run in an unbroken sequence).  Session 19 gave 0018 to
-- another helper: on merge, take that helper's file instead of this one.
SELECT 1;
