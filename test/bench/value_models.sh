#!/bin/bash
# test/bench/value_models.sh: the predicted value models on 1,000,000
# generated customers, in one run: the bgnbd() and gamma_gamma() fits (time,
# distinct summaries, memory of the state), rfm() over their ~1.9M
# purchases, and scoring every customer with p_alive() (target: within 2x
# of a bare count(*) scan), expected_purchases() and predicted_clv(), each
# with its ratio to the count(*) scan.  Not part of the pass/fail tests.
#
# The customers are simulated from known BG/NBD and Gamma-Gamma parameters
# (test/bench/value_models_gen.py, NumPy: Debian's python3-numpy), so the
# run also prints how close the fits come to them.  Two versions of the
# times: whole days (recency and age are days / 7; about 160,000 distinct
# summaries) and exact times (every summary distinct).
#
# Uses the cluster of PGHOST/PGPORT when PGPORT is set (churn installed);
# otherwise builds churn and starts a private throw-away cluster
# (test/lib.sh).  Each query runs REPEAT times (default 5); the best time
# counts, as backend CPU time (/proc/self/schedstat) and as wall-clock
# time.  Serial plans (no parallel workers) so that ratios compare work.
set -eu
. "$(dirname "$0")/../lib.sh"
REPEAT=${REPEAT:-5}
N=${N:-1000000}
PYTHON=${PYTHON:-/usr/bin/python3}

if ! "$PYTHON" -c 'import numpy' 2>/dev/null; then
	churn_apt_install python3-numpy || { log "value_models.sh needs NumPy (python3-numpy)"; exit 1; }
fi
if [ -z "${PGPORT:-}" ]; then
	churn_deps
	churn_private_install
	trap churn_cluster_stop EXIT
	churn_cluster_start bench
fi
CHURN_TMP=${CHURN_TMP:-/tmp/churn-bench}
mkdir -p "$CHURN_TMP"
PSQL="${PGBIN:+$PGBIN/}psql -X -q -v ON_ERROR_STOP=1 -U ${PGUSER:-postgres}"
$PSQL -d postgres -c "DROP DATABASE IF EXISTS churn_bench" -c "CREATE DATABASE churn_bench"
PSQL="$PSQL -d churn_bench"

log "generating $N customers"
"$PYTHON" "$CHURN_ROOT/test/bench/value_models_gen.py" "$N" 7 >"$CHURN_TMP/value_customers.tsv"
"$PYTHON" "$CHURN_ROOT/test/bench/value_models_gen.py" "$N" 7 --transactions >"$CHURN_TMP/value_purchases.tsv"
chmod 644 "$CHURN_TMP"/value_*.tsv

$PSQL <<SQL
CREATE EXTENSION churn;
CREATE TABLE customers (id int, frequency int, recency float8, age float8, avg_value float8,
	recency_exact float8, age_exact float8);
\copy customers FROM '$CHURN_TMP/value_customers.tsv'
CREATE TABLE purchases (id int, day int, amount numeric(10,2));
\copy purchases FROM '$CHURN_TMP/value_purchases.tsv'
ALTER TABLE purchases ADD purchased_on date;
UPDATE purchases SET purchased_on = date '2025-01-01' + day;
ALTER TABLE purchases DROP day;
VACUUM ANALYZE customers;
VACUUM ANALYZE purchases;
CREATE TABLE models AS
SELECT churn.bgnbd(frequency, recency, age) AS bgnbd,
	   churn.gamma_gamma(frequency, avg_value) AS gamma_gamma
  FROM customers;
-- the partial state of bgnbd() (what a parallel worker or Citus ships)
CREATE AGGREGATE bgnbd_state(int, float8, float8) (
	SFUNC = churn.bgnbd_trans, STYPE = churn.bgnbd_state, COMBINEFUNC = churn.bgnbd_combine);

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
-- "Memory Usage" of a HashAggregate: the memory of the aggregate context
-- once the input is consumed (the transition states included)
CREATE FUNCTION agg_memory_kb(q text) RETURNS bigint LANGUAGE plpgsql AS \$\$
DECLARE
	line text;
BEGIN
	SET LOCAL enable_sort = off;
	FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) ' || q LOOP
		IF line ~ 'Memory Usage: [0-9]+kB' THEN
			RETURN substring(line FROM 'Memory Usage: ([0-9]+)kB')::bigint;
		END IF;
	END LOOP;
	RETURN NULL;
END \$\$;
-- the backend's peak resident memory so far (VmHWM), in kB
CREATE FUNCTION peak_kb() RETURNS bigint LANGUAGE sql
AS \$\$ SELECT substring(pg_read_file('/proc/self/status') FROM 'VmHWM:\s+([0-9]+) kB')::bigint \$\$;
SQL

# Peak memory of a fit: in a fresh backend, the table is scanned first (its
# pages in shared buffers count in the resident size), then the fit runs;
# the growth of the peak resident size is what the fit took, the state,
# its merges and the final function's work included.
fit_peak() {
	$PSQL -At <<SQL2
SET max_parallel_workers_per_gather = 0;
SET jit = off;
SELECT count(*) FROM (SELECT $1 FROM customers) s \\g /dev/null
SELECT peak_kb() AS before \\gset
SELECT $2 FROM customers \\g /dev/null
SELECT peak_kb() - :before;
SQL2
}
DAYS_PEAK=$(fit_peak "frequency, recency, age" "churn.bgnbd(frequency, recency, age)")
EXACT_PEAK=$(fit_peak "frequency, recency_exact, age_exact" "churn.bgnbd(frequency, recency_exact, age_exact)")
GG_PEAK=$(fit_peak "frequency, avg_value" "churn.gamma_gamma(frequency, avg_value)")

$PSQL <<SQL
SET max_parallel_workers_per_gather = 0;
SET jit = off;
SET work_mem = '1GB';
\pset footer off
\pset format aligned
\echo
\echo '== data'
SELECT count(*) AS customers, count(*) FILTER (WHERE frequency > 0) AS repeat_buyers,
	   (SELECT count(*) FROM purchases) AS purchases,
	   (SELECT count(*) FROM (SELECT DISTINCT frequency, recency, age FROM customers) s) AS distinct_summaries_days,
	   (SELECT count(*) FROM (SELECT DISTINCT frequency, recency_exact, age_exact FROM customers) s) AS distinct_summaries_exact
  FROM customers;

\echo '== fits (true parameters: r 0.25, alpha 4, a 0.8, b 2.5; p 6, q 3.8, gamma 15)'
SELECT 'bgnbd, whole days' AS fit, round(r::numeric, 4) AS r, round(alpha::numeric, 4) AS alpha,
	   round(a::numeric, 4) AS a, round(b::numeric, 4) AS b, customers
  FROM churn.bgnbd_params((SELECT churn.bgnbd(frequency, recency, age) FROM customers))
UNION ALL
SELECT 'bgnbd, exact times', round(r::numeric, 4), round(alpha::numeric, 4), round(a::numeric, 4),
	   round(b::numeric, 4), customers
  FROM churn.bgnbd_params((SELECT churn.bgnbd(frequency, recency_exact, age_exact) FROM customers));
SELECT round(p::numeric, 4) AS p, round(q::numeric, 4) AS q, round(gamma::numeric, 4) AS gamma, customers
  FROM churn.gamma_gamma_params((SELECT gamma_gamma FROM models));

\echo '== memory: bgnbd() and gamma_gamma() fits of 1M customers, rfm() of 1M customers'
SELECT 'bgnbd, whole days' AS fit,
	   (SELECT pg_column_size(bgnbd_state(frequency, recency, age)) / 1024 FROM customers) AS flat_state_kb,
	   agg_memory_kb('SELECT id > 0, churn.bgnbd(frequency, recency, age) FROM customers GROUP BY 1') AS state_at_end_kb,
	   $DAYS_PEAK AS backend_peak_growth_kb
UNION ALL
SELECT 'bgnbd, exact times',
	   (SELECT pg_column_size(bgnbd_state(frequency, recency_exact, age_exact)) / 1024 FROM customers),
	   agg_memory_kb('SELECT id > 0, churn.bgnbd(frequency, recency_exact, age_exact) FROM customers GROUP BY 1'),
	   $EXACT_PEAK
UNION ALL
SELECT 'gamma_gamma', NULL,
	   agg_memory_kb('SELECT id > 0, churn.gamma_gamma(frequency, avg_value) FROM customers GROUP BY 1'),
	   $GG_PEAK
UNION ALL
SELECT 'rfm, GROUP BY id (1M groups)', NULL,
	   agg_memory_kb('SELECT id, churn.rfm(purchased_on, amount, date ''2025-01-01'', ''7 days'') FROM purchases GROUP BY id'),
	   NULL;

\echo '== times'
WITH q(name, sql) AS (VALUES
	('count(*) scan',
	 'SELECT count(*) FROM customers'),
	('bgnbd fit, whole days',
	 'SELECT length(churn.bgnbd(frequency, recency, age)::text) FROM customers'),
	('bgnbd fit, exact times',
	 'SELECT length(churn.bgnbd(frequency, recency_exact, age_exact)::text) FROM customers'),
	('gamma_gamma fit',
	 'SELECT length(churn.gamma_gamma(frequency, avg_value)::text) FROM customers'),
	('SQL over the same columns (WHERE age - recency > 26)',
	 'SELECT count(*) FROM customers WHERE age - recency > 26'),
	('p_alive, every customer (sum)',
	 'SELECT sum(churn.p_alive((SELECT bgnbd FROM models), frequency, recency, age)) FROM customers'),
	('p_alive, every customer (WHERE p_alive < 0.5)',
	 'SELECT count(*) FROM customers WHERE churn.p_alive((SELECT bgnbd FROM models), frequency, recency, age) < 0.5'),
	('expected_purchases 52 weeks, every customer',
	 'SELECT sum(churn.expected_purchases((SELECT bgnbd FROM models), 52, frequency, recency, age)) FROM customers'),
	('predicted_clv 12 months, every customer',
	 'SELECT sum(churn.predicted_clv((SELECT bgnbd FROM models), (SELECT gamma_gamma FROM models), frequency, recency, age, avg_value, 12, 0.01, 4.345)) FROM customers'),
	('rfm per customer (GROUP BY id, ~1.9M purchases)',
	 'SELECT count(r) FROM (SELECT churn.rfm(purchased_on, amount, date ''2025-01-01'', ''7 days'') r FROM purchases GROUP BY id) s')
), t AS (
	SELECT name, ord, b.* FROM (SELECT *, row_number() OVER () AS ord FROM q) q,
		 LATERAL bench(sql, CASE WHEN name LIKE 'predicted_clv%' OR name LIKE 'rfm%' THEN least($REPEAT, 2) ELSE $REPEAT END) b
)
SELECT name, round(cpu_ms::numeric, 1) AS cpu_ms, round(wall_ms::numeric, 1) AS wall_ms,
	   round((cpu_ms / (SELECT cpu_ms FROM t WHERE name = 'count(*) scan'))::numeric, 2) AS x_count
  FROM t ORDER BY ord;
SQL
