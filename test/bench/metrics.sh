#!/bin/bash
# test/bench/metrics.sh: benchmark of nps, conversion_rate, value_churn_rate
# and arpu on 1,000,000 generated rows (not part of the pass/fail tests).
#
# For every aggregate it prints, measured in one run with the queries
# interleaved, the best of REPS timings of the aggregate, of its plain-SQL
# formulation (COUNT(*) FILTER / sum / count(DISTINCT)), and of a bare
# count(*) scan, with the ratios aggregate/plain and aggregate/count(*).
#
# Times are the backend's own CPU time per query (the scheduler's run time
# from /proc/self/schedstat, read with pg_read_file; Linux, superuser),
# because on a shared machine wall-clock time mostly measures the
# neighbours; the best wall-clock times are printed too.  Serial plans
# (max_parallel_workers_per_gather = 0) and JIT off, so that the figures
# compare per-row work (the aggregates are parallel safe as well).  Before
# timing, each aggregate's result is checked against its plain SQL.
#
# Uses the cluster of PGHOST/PGPORT/PGBIN when set (churn must be
# installable there), else builds churn and starts a throw-away cluster
# (test/lib.sh).
#
# Usage: test/bench/metrics.sh [rows] [reps]

set -eu
ROWS=${1:-1000000}
REPS=${2:-7}
HERE=$(cd "$(dirname "$0")" && pwd)

if [ -z "${PGPORT:-}" ] || [ -z "${PGBIN:-}" ]; then
	. "$HERE/../lib.sh"
	CHURN_TMP=${CHURN_TMP:-$CHURN_ROOT/tmp_check/bench}
	churn_private_install
	trap churn_cluster_stop EXIT
	churn_cluster_start bench_metrics "work_mem = '256MB'" "jit = off"
fi

PSQL="$PGBIN/psql -X -q -v ON_ERROR_STOP=1"
$PSQL -d postgres -c "DROP DATABASE IF EXISTS churn_bench_metrics" -c "CREATE DATABASE churn_bench_metrics"
$PSQL -d churn_bench_metrics <<SQL
CREATE EXTENSION churn;
SET jit = off;
SET max_parallel_workers_per_gather = 0;
SET work_mem = '256MB';
SELECT setseed(0.5);
CREATE TABLE bench AS
SELECT i,
       CASE WHEN random() < 0.02 THEN NULL ELSE floor(random() * 11)::int END AS score,
       CASE WHEN random() < 0.02 THEN NULL ELSE random() < 0.05 END AS converted,
       round((random() * 200)::numeric, 2) AS arpu_before,
       round((random() * 200)::numeric, 2) AS arpu_after,
       round((random() * 500)::numeric, 2) AS revenue,
       floor(random() * 200000)::int AS customer
  FROM generate_series(1, $ROWS) i;
ALTER TABLE bench ADD COLUMN customer_text text;
UPDATE bench SET customer_text = 'C-' || customer;
VACUUM ANALYZE bench;

CREATE TABLE bench_q (ord int, name text, q text, plain text);
INSERT INTO bench_q VALUES
(1, 'nps(score)',
 'SELECT churn.nps(score) FROM bench',
 'SELECT 100.0::float8 * (count(*) FILTER (WHERE score >= 9) - count(*) FILTER (WHERE score <= 6)) / nullif(count(score), 0) FROM bench'),
(2, 'conversion_rate(converted)',
 'SELECT churn.conversion_rate(converted) FROM bench',
 'SELECT count(*) FILTER (WHERE converted)::float8 / nullif(count(converted), 0) FROM bench'),
(3, 'value_churn_rate(before, after, 100)',
 'SELECT churn.value_churn_rate(arpu_before, arpu_after, 100) FROM bench',
 'SELECT count(*) FILTER (WHERE arpu_before >= 100 AND arpu_after < 100)::float8 / nullif(count(*) FILTER (WHERE arpu_before >= 100 AND arpu_after IS NOT NULL), 0) FROM bench'),
(4, 'arpu(revenue, integer customer)',
 'SELECT churn.arpu(revenue, customer) FROM bench',
 'SELECT coalesce(sum(revenue), 0) / nullif(count(DISTINCT customer), 0) FROM bench'),
(5, 'arpu(revenue, text customer)',
 'SELECT churn.arpu(revenue, customer_text) FROM bench',
 'SELECT coalesce(sum(revenue), 0) / nullif(count(DISTINCT customer_text), 0) FROM bench'),
(6, 'nps() over a 100-row sliding frame',
 'SELECT sum(x) FROM (SELECT churn.nps(score) OVER (ORDER BY i ROWS 99 PRECEDING) x FROM bench) s',
 'SELECT sum(x) FROM (SELECT 100.0::float8 * (count(*) FILTER (WHERE score >= 9) OVER w - count(*) FILTER (WHERE score <= 6) OVER w) / nullif(count(score) OVER w, 0) x FROM bench WINDOW w AS (ORDER BY i ROWS 99 PRECEDING)) s');

-- check that each pair computes the same thing before timing it
DO \$\$
DECLARE r record; a text; b text;
BEGIN
	FOR r IN SELECT * FROM bench_q ORDER BY ord LOOP
		EXECUTE r.q INTO a;
		EXECUTE r.plain INTO b;
		IF a::numeric <> b::numeric THEN
			RAISE EXCEPTION '% differs from plain SQL: % vs %', r.name, a, b;
		END IF;
	END LOOP;
END
\$\$;

-- CPU time of this backend so far, in ms (NULL where /proc is unavailable)
CREATE FUNCTION cpu_ms() RETURNS float8 LANGUAGE plpgsql AS \$\$
BEGIN
	RETURN split_part(pg_read_file('/proc/self/schedstat'), ' ', 1)::float8 / 1e6;
EXCEPTION WHEN OTHERS THEN
	RETURN NULL;
END
\$\$;

CREATE TABLE bench_t (ord int, kind text, cpu float8, wall float8);
DO \$\$
DECLARE r record; t0 timestamptz; c0 float8; rep int; kind text; q text;
BEGIN
	FOR rep IN 1..$REPS LOOP
		FOR r IN SELECT * FROM bench_q ORDER BY ord LOOP
			FOREACH kind IN ARRAY ARRAY['count', 'agg', 'plain'] LOOP
				q := CASE kind WHEN 'count' THEN 'SELECT count(*) FROM bench'
				               WHEN 'agg' THEN r.q ELSE r.plain END;
				c0 := cpu_ms();
				t0 := clock_timestamp();
				EXECUTE q;
				INSERT INTO bench_t VALUES (r.ord, kind, cpu_ms() - c0,
				                            1000 * extract(epoch FROM clock_timestamp() - t0));
			END LOOP;
		END LOOP;
	END LOOP;
END
\$\$;

\echo rows: $ROWS, best of $REPS, serial plans, JIT off; ms of backend CPU time (wall-clock ms in the last columns)
SELECT q.name AS aggregate,
       round(min(cpu) FILTER (WHERE kind = 'agg')::numeric, 1) AS agg,
       round(min(cpu) FILTER (WHERE kind = 'plain')::numeric, 1) AS plain_sql,
       round(min(cpu) FILTER (WHERE kind = 'count')::numeric, 1) AS "count(*)",
       round((min(cpu) FILTER (WHERE kind = 'agg') / min(cpu) FILTER (WHERE kind = 'plain'))::numeric, 2) AS vs_plain_sql,
       round((min(cpu) FILTER (WHERE kind = 'agg') / min(cpu) FILTER (WHERE kind = 'count'))::numeric, 2) AS vs_count,
       round(min(wall) FILTER (WHERE kind = 'agg')::numeric, 1) AS wall_agg,
       round(min(wall) FILTER (WHERE kind = 'plain')::numeric, 1) AS wall_plain,
       round(min(wall) FILTER (WHERE kind = 'count')::numeric, 1) AS wall_count
  FROM bench_t t JOIN bench_q q USING (ord)
 GROUP BY q.ord, q.name
 ORDER BY q.ord;
SQL
$PSQL -d postgres -c "DROP DATABASE churn_bench_metrics"
