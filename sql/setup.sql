--
-- setup: create the extension; every later test file relies on it.
--
CREATE EXTENSION churn;
SELECT extname, extversion, nspname AS schema, extrelocatable
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE extname = 'churn';
