#!/bin/bash
# test/bench/cox.sh: benchmark of the Cox early-warning functions on
# 1,000,000 generated customers with 4 covariates (not part of the
# pass/fail tests).  In one run it prints:
#
#   - churn.coxph (Efron ties) against R's survival::coxph on the same rows
#     (exported to CSV; R's time is that of coxph() alone, not of reading
#     the file), with the ratio, and the largest relative difference of the
#     coefficients and of the log likelihood between the two;
#   - the memory the fit takes: the growth of the backend's peak resident
#     memory (VmHWM, /proc/self/status) over a fresh backend's, and the size
#     of the transition state as a flat value (what a parallel worker or
#     Citus ships);
#   - scoring every customer with relative_risk (the model read from a
#     table, toasted) and with churn_probability, against a bare count(*)
#     scan, with ratios.
#
# PostgreSQL times are the backend's own CPU time per query (the
# scheduler's run time from /proc/self/schedstat, read with pg_read_file;
# Linux, superuser), best of REPS runs, plus the best wall-clock time.
# Serial plans (max_parallel_workers_per_gather = 0) and JIT off.  R's
# times are the best of REPS runs of system.time(): user + system CPU and
# elapsed.  Without Rscript (or without R's survival package) the R lines
# are skipped.
#
# Uses the cluster of PGHOST/PGPORT/PGBIN when set (churn must be
# installable there), else builds churn and starts a throw-away cluster
# (test/lib.sh).
#
# Usage: test/bench/cox.sh [rows] [reps]

set -eu
ROWS=${1:-1000000}
REPS=${2:-3}
HERE=$(cd "$(dirname "$0")" && pwd)

if [ -z "${PGPORT:-}" ] || [ -z "${PGBIN:-}" ]; then
	. "$HERE/../lib.sh"
	CHURN_TMP=${CHURN_TMP:-$CHURN_ROOT/tmp_check/bench}
	churn_private_install
	trap churn_cluster_stop EXIT
	churn_cluster_start bench_cox "work_mem = '256MB'" "jit = off"
fi
WORK=$(mktemp -d /tmp/churn-bench-cox.XXXXXX)
chmod 777 "$WORK"
trap 'rm -rf "$WORK"; [ "$(type -t churn_cluster_stop)" = function ] && churn_cluster_stop' EXIT

PSQL="$PGBIN/psql -X -q -v ON_ERROR_STOP=1"
$PSQL -d postgres -c "DROP DATABASE IF EXISTS churn_bench_cox" -c "CREATE DATABASE churn_bench_cox"
PSQL="$PSQL -d churn_bench_cox"

# Customers of a known Cox model: exponential lifetimes in days with hazard
# h0 exp(0.02 age + 0.004 charges + 0.3 senior - 1.2 two_year), censored at
# a uniform end of observation of up to 10 years; durations in whole days
# (about 3,650 distinct values, so many ties, as real tenures have).
$PSQL <<SQL
CREATE EXTENSION churn;
SELECT setseed(0.1234);
CREATE TABLE customers AS
SELECT g AS id, age, charges, senior, two_year,
	   least(life, observed) AS tenure, life <= observed AS churned
  FROM (SELECT g, age, charges, senior, two_year, observed,
			   ceil(-ln(1 - random()) / (0.0002 * exp(0.02 * age + 0.004 * charges
					+ 0.3 * senior - 1.2 * two_year)))::float8 AS life
		  FROM (SELECT g, 18 + floor(random() * 62)::float8 AS age,
					   round((20 + random() * 100)::numeric, 2)::float8 AS charges,
					   (random() < 0.16)::int::float8 AS senior,
					   (random() < 0.25)::int::float8 AS two_year,
					   ceil(random() * 3650)::float8 AS observed
				  FROM generate_series(1, $ROWS) g) a) b;
ALTER TABLE customers ADD COLUMN x float8[];
UPDATE customers SET x = ARRAY[age, charges, senior, two_year];
VACUUM ANALYZE customers;
SELECT count(*) AS customers, count(*) FILTER (WHERE churned) AS churned,
	   count(DISTINCT tenure) AS distinct_tenures FROM customers;
\copy (SELECT tenure, churned::int, age, charges, senior, two_year FROM customers) TO '$WORK/customers.csv' WITH (FORMAT csv, HEADER true)

CREATE FUNCTION bench_cpu_ns() RETURNS bigint LANGUAGE sql
AS \$\$ SELECT split_part(pg_read_file('/proc/self/schedstat'), ' ', 1)::bigint \$\$;
CREATE FUNCTION bench(q text, n int, OUT cpu_ms float8, OUT wall_ms float8)
LANGUAGE plpgsql AS \$\$
DECLARE
	t0 timestamptz;
	c0 bigint;
	r text;
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
CREATE FUNCTION bench_kb(field text) RETURNS bigint LANGUAGE sql
AS \$\$ SELECT substring(pg_read_file('/proc/self/status') FROM field || ':\s+(\d+) kB')::bigint \$\$;
CREATE TABLE models (name text PRIMARY KEY, model churn.cox_model);
CREATE TABLE timings (name text, cpu_ms float8, wall_ms float8, ord serial);
SQL

# Memory: a fresh backend's peak resident memory before and after the fit.
$PSQL <<SQL
SET max_parallel_workers_per_gather = 0;
SET jit = off;
\pset footer off
-- the scan alone first: the shared buffers it touches count in the
-- backend's resident memory, and are not what the fit takes
SELECT count(*) AS scanned FROM customers;
CREATE TEMP TABLE mem AS SELECT bench_kb('VmHWM') AS hwm0;
INSERT INTO models SELECT 'all', churn.coxph(tenure, churned, x) FROM customers;
CREATE AGGREGATE pg_temp.coxph_partial(float8, boolean, float8[]) (
	SFUNC = churn.coxph_trans, STYPE = churn.coxph_state);
SELECT round((bench_kb('VmHWM') - hwm0) / 1024.0, 1) AS fit_peak_memory_mb,
	   (SELECT round(pg_column_size(pg_temp.coxph_partial(tenure, churned, x)) / 1048576.0, 1)
		  FROM customers) AS flat_state_mb,
	   (SELECT round(pg_column_size(model) / 1024.0, 1) FROM models) AS stored_model_kb
  FROM mem;
SQL

$PSQL <<SQL
SET max_parallel_workers_per_gather = 0;
SET jit = off;
INSERT INTO timings (name, cpu_ms, wall_ms)
SELECT q.name, b.cpu_ms, b.wall_ms
  FROM (VALUES
	('count(*) scan', 'SELECT count(*) FROM customers'),
	('sum(tenure) (one column read)', 'SELECT sum(tenure) FROM customers'),
	('coxph fit (Efron)', 'SELECT churn.coxph(tenure, churned, x) FROM customers'),
	('coxph fit (Breslow)', \$\$SELECT churn.coxph(tenure, churned, x, 'breslow') FROM customers\$\$),
	('relative_risk, covariates column',
	 \$\$SELECT sum(churn.relative_risk((SELECT model FROM models WHERE name = 'all'), x)) FROM customers\$\$),
	('relative_risk > 2, count of customers at risk',
	 \$\$SELECT count(*) FROM customers
		 WHERE churn.relative_risk((SELECT model FROM models WHERE name = 'all'), x) > 2\$\$),
	('relative_risk, ARRAY[...] per row',
	 \$\$SELECT sum(churn.relative_risk((SELECT model FROM models WHERE name = 'all'),
									 ARRAY[age, charges, senior, two_year])) FROM customers\$\$),
	('churn_probability(tenure, 90 days)',
	 \$\$SELECT sum(churn.churn_probability((SELECT model FROM models WHERE name = 'all'), x, tenure, 90))
		 FROM customers\$\$)) q(name, sql),
	   LATERAL bench(q.sql, $REPS) b;
SQL

R_LINES=""
if command -v Rscript >/dev/null && Rscript -e 'library(survival)' >/dev/null 2>&1; then
	cat >"$WORK/cox.R" <<'R'
suppressMessages(library(survival))
d <- read.csv(file.path(Sys.getenv("WORK"), "customers.csv"))
reps <- as.integer(Sys.getenv("REPS"))
best <- c(Inf, Inf)
for (i in seq_len(reps)) {
	gc()
	t <- system.time(fit <- coxph(Surv(tenure, churned) ~ age + charges + senior + two_year, data = d))
	best <- pmin(best, c(t[["user.self"]] + t[["sys.self"]], t[["elapsed"]]) * 1000)
}
cat(sprintf("%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%d,%.17g\n", best[1], best[2],
	coef(fit)[1], coef(fit)[2], coef(fit)[3], coef(fit)[4], fit$loglik[2], fit$iter,
	fit$concordance[["concordance"]]))
R
	R_LINES=$(WORK=$WORK REPS=$REPS Rscript "$WORK/cox.R")
fi

$PSQL <<SQL
\pset footer off
SELECT name, round(cpu_ms::numeric, 1) AS cpu_ms, round(wall_ms::numeric, 1) AS wall_ms,
	   round((cpu_ms / (SELECT cpu_ms FROM timings WHERE name = 'count(*) scan'))::numeric, 2) AS x_count
  FROM timings ORDER BY ord;
SQL

if [ -n "$R_LINES" ]; then
	$PSQL <<SQL
\pset footer off
WITH r AS (
	SELECT v[1] AS cpu_ms, v[2] AS wall_ms, v[3:6] AS coef, v[7] AS loglik, v[8]::int AS iter, v[9] AS c
	  FROM (SELECT string_to_array('$R_LINES', ',')::float8[] AS v) s
), p AS (
	SELECT (SELECT array_agg(coef ORDER BY term) FROM churn.cox_coefficients(model)) AS coef,
		   churn.cox_loglik(model) AS loglik, (churn.cox_summary(model)).iterations AS iter,
		   churn.concordance(model) AS c
	  FROM models WHERE name = 'all'
)
SELECT 'coxph fit (Efron)' AS what, round(t.cpu_ms::numeric, 1) AS churn_cpu_ms,
	   round(r.cpu_ms::numeric, 1) AS r_cpu_ms, round((t.cpu_ms / r.cpu_ms)::numeric, 2) AS churn_over_r,
	   round(t.wall_ms::numeric, 1) AS churn_wall_ms, round(r.wall_ms::numeric, 1) AS r_wall_ms,
	   (SELECT max(abs(p.coef[i] / r.coef[i] - 1)) FROM generate_series(1, 4) i) AS max_coef_rel_diff,
	   abs(p.loglik - r.loglik) AS loglik_diff, p.iter = r.iter AS same_iterations,
	   abs(p.c - r.c) AS concordance_diff
  FROM r, p, timings t WHERE t.name = 'coxph fit (Efron)';
SQL
else
	echo "R with its survival package not found: R's coxph not timed"
fi
