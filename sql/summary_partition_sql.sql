--
-- summary_partition_sql: summary_partition again with every statement captured by the
-- set-based path of summary_sql.c instead of the C path of summary_fast.c
-- (churn.capture_fast_max = 0).  Its expected output is summary_partition's.
--
SET churn.capture_fast_max = 0;
\getenv abs_srcdir PG_ABS_SRCDIR
\set f :abs_srcdir '/sql/summary_partition.sql'
\i :f
RESET churn.capture_fast_max;
