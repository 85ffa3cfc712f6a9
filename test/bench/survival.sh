#!/bin/bash
# test/bench/survival.sh: times survival() and cohort_retention() against
# their plain-SQL formulations on 1,000,000 generated customers, in one run,
# and prints each time with its ratio.  Not part of the pass/fail tests.
#
# Uses the cluster of PGHOST/PGPORT when PGPORT is set (churn installed);
# otherwise builds churn and starts a private throw-away cluster
# (test/lib.sh).  Each query runs REPEAT times (default 5); the best time
# counts, as backend CPU time (/proc/self/schedstat, so other load on the
# machine does not inflate it) and as wall-clock time.  Serial plans (no
# parallel workers) so that ratios compare work.
set -eu
. "$(dirname "$0")/../lib.sh"
REPEAT=${REPEAT:-5}
N=${N:-1000000}

if [ -z "${PGPORT:-}" ]; then
	churn_deps
	churn_private_install
	trap churn_cluster_stop EXIT
	churn_cluster_start bench
fi
PSQL="${PGBIN:+$PGBIN/}psql -X -q -v ON_ERROR_STOP=1 -U ${PGUSER:-postgres}"
$PSQL -d postgres -c "DROP DATABASE IF EXISTS churn_bench" -c "CREATE DATABASE churn_bench"
PSQL="$PSQL -d churn_bench"

$PSQL <<SQL
CREATE EXTENSION churn;
SELECT setseed(0.42);
-- tenure in whole days (0 .. ~10 years, ~3,650 distinct values) and in
-- seconds (nearly every value distinct), churned for about 40%; since
-- spread over 10 years, until = since + tenure for churned customers
CREATE TABLE customers AS
SELECT g AS id, since, CASE WHEN churned THEN since + tenure END AS until,
	   tenure::float8 AS tenure, tenure * 86400.0 + floor(random() * 86400) AS tenure_s,
	   churned
  FROM (SELECT g, date '2015-01-01' + (random() * 3650)::int AS since,
			   (random() * random() * 3650)::int AS tenure, random() < 0.4 AS churned
		  FROM generate_series(1, $N) g) s;
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
	('survival() + survival_points',
	 'SELECT sum(survival) FROM churn.survival_points((SELECT churn.survival(tenure, churned) FROM customers))'),
	('KM in SQL (GROUP BY + window sums)',
	 \$q\$SELECT sum(s) FROM (
		SELECT exp(sum(CASE WHEN d < n THEN ln(1 - d::float8 / n) END) OVER (ORDER BY t)) AS s
		  FROM (SELECT t, d, sum(c) OVER (ORDER BY t DESC) AS n
				  FROM (SELECT tenure AS t, count(*) FILTER (WHERE churned) AS d, count(*) AS c
						  FROM customers GROUP BY tenure) g) x) y\$q\$),
	('survival() + survival_points, ~1M distinct',
	 'SELECT sum(survival) FROM churn.survival_points((SELECT churn.survival(tenure_s, churned) FROM customers))'),
	('KM in SQL, ~1M distinct',
	 \$q\$SELECT sum(s) FROM (
		SELECT exp(sum(CASE WHEN d < n THEN ln(1 - d::float8 / n) END) OVER (ORDER BY t)) AS s
		  FROM (SELECT t, d, sum(c) OVER (ORDER BY t DESC) AS n
				  FROM (SELECT tenure_s AS t, count(*) FILTER (WHERE churned) AS d, count(*) AS c
						  FROM customers GROUP BY tenure_s) g) x) y\$q\$),
	('cohort_retention (120 cohorts x 25 ages)',
	 \$q\$SELECT sum(active) FROM unnest((SELECT churn.cohort_retention(since, until,
		date '2015-01-01', '1 month', '1 month', 24) FROM customers))\$q\$),
	('cohort retention in SQL (cross join ages)',
	 \$q\$SELECT sum(active) FROM (
		SELECT date_trunc('month', since) AS cohort, a, count(*) AS size,
			   count(*) FILTER (WHERE until IS NULL
								OR until >= date_trunc('month', since) + (a + 1) * interval '1 month') AS active
		  FROM customers CROSS JOIN generate_series(0, 24) a GROUP BY 1, 2) x\$q\$)
), t AS (
	SELECT name, ord, b.* FROM (SELECT *, row_number() OVER () AS ord FROM q) q,
		 LATERAL bench(sql, $REPEAT) b
)
SELECT name, round(cpu_ms::numeric, 1) AS cpu_ms, round(wall_ms::numeric, 1) AS wall_ms,
	   round((cpu_ms / (SELECT cpu_ms FROM t WHERE name = 'count(*) scan'))::numeric, 2) AS x_count
  FROM t ORDER BY ord;

-- the two formulations agree
SELECT (SELECT round(sum(survival)::numeric, 6) FROM churn.survival_points((SELECT churn.survival(tenure, churned) FROM customers))) =
	   (SELECT round(sum(s)::numeric, 6) FROM (
		SELECT exp(sum(CASE WHEN d < n THEN ln(1 - d::float8 / n) END) OVER (ORDER BY t)) AS s
		  FROM (SELECT t, d, sum(c) OVER (ORDER BY t DESC) AS n
				  FROM (SELECT tenure AS t, count(*) FILTER (WHERE churned) AS d, count(*) AS c
						  FROM customers GROUP BY tenure) g) x) y) AS survival_agrees,
	   (SELECT sum(active) FROM unnest((SELECT churn.cohort_retention(since, until,
		date '2015-01-01', '1 month', '1 month', 24) FROM customers))) =
	   (SELECT sum(active) FROM (
		SELECT count(*) FILTER (WHERE until IS NULL
								OR until >= date_trunc('month', since) + (a + 1) * interval '1 month') AS active
		  FROM customers CROSS JOIN generate_series(0, 24) a
		 GROUP BY date_trunc('month', since), a) x) AS cohort_agrees;
SQL
