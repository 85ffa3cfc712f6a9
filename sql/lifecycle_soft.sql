--
-- lifecycle_soft: from PostgreSQL 16 on, bad input is a soft error that
-- pg_input_is_valid() and pg_input_error_info() can catch without a
-- transaction abort.  Expected output: lifecycle_soft.out for 16 and later,
-- lifecycle_soft_1.out for 15, where those functions do not exist.
--
SELECT current_setting('server_version_num')::int >= 160000 AS has_soft_errors \gset
\if :has_soft_errors
\pset format unaligned
SELECT pg_input_is_valid('active', 'churn.lifecycle') AS name_ok,
       pg_input_is_valid(' 活跃客户 ', 'churn.lifecycle') AS label_ok,
       pg_input_is_valid('activ', 'churn.lifecycle') AS typo_ok;
SELECT message, detail, sql_error_code FROM pg_input_error_info('activ', 'churn.lifecycle');
SELECT hint FROM pg_input_error_info('activ', 'churn.lifecycle');
SELECT sql_error_code FROM pg_input_error_info('new', 'churn.lifecycle');
\pset format aligned
\else
\echo 'soft input errors need PostgreSQL 16 or later'
\endif
