#!/bin/bash
# test/bench/logrank.sh: times the logrank() aggregate against the plain-SQL
# formulation of the log-rank test (counts per time and group, the groups'
# numbers at risk as window sums over the grid of times x groups, then O, E
# and V) on 1,000,000 generated customers, in one run, and prints each time
# with its ratio.  Not part of the pass/fail tests.
#
# Uses the cluster of PGHOST/PGPORT when PGPORT is set (churn installed);
# otherwise builds churn and starts a private throw-away cluster
# (test/lib.sh).  Each query runs REPEAT times (default 3); the best time
# counts, as backend CPU time (/proc/self/schedstat, so other load on the
# machine does not inflate it) and as wall-clock time.  Serial plans (no
# parallel workers) so that ratios compare work.
set -eu
. "$(dirname "$0")/../lib.sh"
REPEAT=${REPEAT:-3}
N=${N:-1000000}

if [ -z "${PGPORT:-}" ]; then
	churn_deps
	churn_private_install
	trap churn_cluster_stop EXIT
	churn_cluster_start bench
fi
PSQL="${PGBIN:+$PGBIN/}psql -X -q -v ON_ERROR_STOP=1 -U ${PGUSER:-postgres}"
$PSQL -d postgres -c "DROP DATABASE IF EXISTS churn_bench_logrank" -c "CREATE DATABASE churn_bench_logrank"
PSQL="$PSQL -d churn_bench_logrank"

$PSQL <<SQL
CREATE EXTENSION churn;
SELECT setseed(0.42);
-- tenure in whole days (0 .. ~10 years, ~3,650 distinct values) and in
-- seconds (nearly every value distinct), churned for about 40%; a plan
-- (two groups, monthly customers leaving sooner) and a segment (five)
CREATE TABLE customers AS
SELECT g AS id, tenure::float8 AS tenure, tenure * 86400.0 + floor(random() * 86400) AS tenure_s,
	   churned, plan, 'segment ' || (g % 5) AS segment
  FROM (SELECT g, CASE WHEN random() < 0.5 THEN 'monthly' ELSE 'yearly' END AS plan,
			   random() < 0.4 AS churned, random() * random() AS u
		  FROM generate_series(1, $N) g) s,
	   LATERAL (SELECT (u * CASE WHEN plan = 'monthly' THEN 3000 ELSE 3650 END)::int AS tenure) t;
VACUUM ANALYZE customers;

-- on-CPU nanoseconds of this backend: load from other processes on the
-- machine does not inflate it (wall-clock time is printed too)
CREATE FUNCTION bench_cpu_ns() RETURNS bigint LANGUAGE sql
AS \$\$ SELECT split_part(pg_read_file('/proc/self/schedstat'), ' ', 1)::bigint \$\$;
CREATE FUNCTION bench(q text, n int, OUT cpu_ms float8, OUT wall_ms float8)
LANGUAGE plpgsql AS \$\$
DECLARE
	t0 timestamptz;
	c0 bigint;
	r float8;
BEGIN
	cpu_ms := 'Infinity';
	wall_ms := 'Infinity';
	FOR i IN 1 .. n LOOP
		t0 := clock_timestamp();
		c0 := bench_cpu_ns();
		EXECUTE q INTO r;
		cpu_ms := least(cpu_ms, (bench_cpu_ns() - c0) / 1e6);
		wall_ms := least(wall_ms, extract(epoch FROM clock_timestamp() - t0) * 1000);
	END LOOP;
END \$\$;

-- The log-rank test in plain SQL: counts per (time, group); each group's
-- number at risk at every time, as a descending running sum over the grid
-- of all distinct times x groups; the pooled n and d per time; then per
-- group O = sum d_g, E = sum d n_g / n, V = sum d (n_g / n)(1 - n_g / n)
-- (n - d) / (n - 1).  With two groups chi-square = (O - E)^2 / V of either
-- group; more groups need the inverse of the whole matrix, which SQL has
-- not, so the function returns the per-group figures' sum there.
CREATE FUNCTION logrank_sql(t_col text, g_col text) RETURNS float8 LANGUAGE plpgsql AS \$f\$
DECLARE
	r float8;
BEGIN
	EXECUTE format(\$q\$
	WITH c AS (
		SELECT %1\$s AS t, %2\$s AS g, count(*) FILTER (WHERE churned) AS d, count(*) AS m
		  FROM customers GROUP BY 1, 2),
	grid AS (
		SELECT t, g, coalesce(c.d, 0) AS d, coalesce(c.m, 0) AS m
		  FROM (SELECT DISTINCT t FROM c) ts CROSS JOIN (SELECT DISTINCT g FROM c) gs
		  LEFT JOIN c USING (t, g)),
	r AS (
		SELECT t, g, d, sum(m) OVER (PARTITION BY g ORDER BY t DESC)::float8 AS n_g FROM grid),
	p AS (
		SELECT g, d, n_g, sum(d) OVER (PARTITION BY t)::float8 AS dd,
			   sum(n_g) OVER (PARTITION BY t) AS nn
		  FROM r),
	o AS (
		SELECT g, sum(d) AS o, sum(dd * n_g / nn) AS e,
			   sum(CASE WHEN nn > 1 THEN dd * (n_g / nn) * (1 - n_g / nn) * (nn - dd) / (nn - 1) END) AS v
		  FROM p GROUP BY g)
	SELECT CASE WHEN count(*) = 2 THEN max((o - e) ^ 2 / v) ELSE sum(o + e + v) END FROM o
	\$q\$, t_col, g_col) INTO r;
	RETURN r;
END \$f\$;
SQL

$PSQL <<SQL
SET max_parallel_workers_per_gather = 0;
SET jit = off;
SET work_mem = '256MB';
\pset footer off
\pset format aligned
WITH q(name, sql) AS (VALUES
	('count(*) scan',
	 'SELECT count(*) FROM customers'),
	('logrank(), 2 plans, whole days',
	 'SELECT (churn.logrank(tenure, churned, plan)).chi_square FROM customers'),
	('log-rank in SQL, 2 plans, whole days',
	 \$q\$SELECT logrank_sql('tenure', 'plan')\$q\$),
	('logrank_groups(), 5 segments, whole days',
	 'SELECT sum(observed + expected + variance) FROM churn.logrank_groups((SELECT churn.logrank_state(tenure, churned, segment) FROM customers))'),
	('O, E, V in SQL, 5 segments, whole days',
	 \$q\$SELECT logrank_sql('tenure', 'segment')\$q\$),
	('logrank(), 2 plans, ~1M distinct',
	 'SELECT (churn.logrank(tenure_s, churned, plan)).chi_square FROM customers'),
	('log-rank in SQL, 2 plans, ~1M distinct',
	 \$q\$SELECT logrank_sql('tenure_s', 'plan')\$q\$)
), t AS (
	SELECT name, ord, b.* FROM (SELECT *, row_number() OVER () AS ord FROM q) q,
		 LATERAL bench(sql, $REPEAT) b
)
SELECT name, round(cpu_ms::numeric, 1) AS cpu_ms, round(wall_ms::numeric, 1) AS wall_ms,
	   round((cpu_ms / (SELECT cpu_ms FROM t WHERE name = 'count(*) scan'))::numeric, 2) AS x_count
  FROM t ORDER BY ord;

-- the two formulations agree (chi-square to 1e-9 relatively)
SELECT abs((SELECT (churn.logrank(tenure, churned, plan)).chi_square FROM customers) /
		   logrank_sql('tenure', 'plan') - 1) < 1e-9 AS whole_days_agree,
	   abs((SELECT (churn.logrank(tenure_s, churned, plan)).chi_square FROM customers) /
		   logrank_sql('tenure_s', 'plan') - 1) < 1e-9 AS distinct_agree,
	   abs((SELECT sum(observed + expected + variance) FROM churn.logrank_groups(
				(SELECT churn.logrank_state(tenure, churned, segment) FROM customers))) /
		   logrank_sql('tenure', 'segment') - 1) < 1e-9 AS segments_agree;
SELECT round(chi_square::numeric, 3) AS chi_square, df, p_value, groups, n
  FROM churn.logrank((SELECT churn.logrank_state(tenure, churned, plan) FROM customers));
SQL
