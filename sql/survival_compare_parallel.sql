--
-- survival_compare_parallel: logrank(), logrank_state() and
-- rollup(logrank_state) run as partial aggregates in parallel workers (the
-- partial states cross processes as logrank_state values) and give what a
-- serial run gives; and the test is that of plain SQL.
--
CREATE TABLE life AS
SELECT g AS id, (g * 7919 % 1000) / 10.0 AS months, g % 3 <> 0 AS churned,
	   'segment ' || (g * 31 % 5) AS segment,
	   -- a plan that shortens lives: the groups differ
	   CASE WHEN g % 2 = 0 THEN 'monthly' ELSE 'yearly' END AS plan
  FROM generate_series(1, 60000) g;
UPDATE life SET months = months / 2 WHERE plan = 'monthly' AND id % 5 = 0;
ANALYZE life;

SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;

EXPLAIN (COSTS OFF) SELECT churn.logrank(months, churned, segment) FROM life;
CREATE TABLE par AS
SELECT churn.logrank(months, churned, segment)::text AS test,
	   churn.logrank(months, churned, plan, 1)::text AS test_rho,
	   churn.logrank_state(months, churned, segment)::text AS state
  FROM life;
-- grouped: a state per month bucket, in parallel
CREATE TABLE par_bucket AS
SELECT id % 4 AS bucket, churn.logrank_state(months, churned, plan)::text AS state
  FROM life GROUP BY id % 4;
CREATE TABLE buckets AS
SELECT id % 4 AS bucket, churn.logrank_state(months, churned, segment) AS s
  FROM life GROUP BY id % 4;
EXPLAIN (COSTS OFF) SELECT churn.rollup(s) FROM buckets;
CREATE TABLE par_rollup AS SELECT churn.rollup(s)::text AS state FROM buckets;

SET max_parallel_workers_per_gather = 0;
EXPLAIN (COSTS OFF) SELECT churn.logrank(months, churned, segment) FROM life;
SELECT (SELECT test FROM par) = churn.logrank(months, churned, segment)::text AS test_equals_serial,
	   (SELECT test_rho FROM par) = churn.logrank(months, churned, plan, 1)::text AS rho_equals_serial,
	   (SELECT state FROM par) = churn.logrank_state(months, churned, segment)::text AS state_equals_serial,
	   (SELECT state FROM par_rollup) = churn.logrank_state(months, churned, segment)::text AS rollup_equals_serial
  FROM life;
SELECT count(*) AS buckets_equal
  FROM par_bucket p
  JOIN (SELECT id % 4 AS bucket, churn.logrank_state(months, churned, plan)::text AS state
		  FROM life GROUP BY id % 4) s USING (bucket)
 WHERE p.state = s.state;
SELECT round(chi_square::numeric, 6) AS chi_square, df, p_value < 1e-10 AS differ,
	   groups, n, events
  FROM churn.logrank((SELECT churn.logrank_state(months, churned, plan) FROM life));

-- the test in plain SQL: counts per (time, group), each group's number at
-- risk as a descending running sum over the grid of all times x groups,
-- the pooled n and d per time, then O, E and V per group
CREATE TABLE sql_test AS
WITH c AS (
	SELECT months::float8 AS t, plan AS g, count(*) FILTER (WHERE churned) AS d, count(*) AS m
	  FROM life GROUP BY 1, 2),
grid AS (
	SELECT t, g, coalesce(c.d, 0) AS d, coalesce(c.m, 0) AS m
	  FROM (SELECT DISTINCT t FROM c) ts CROSS JOIN (SELECT DISTINCT g FROM c) gs
	  LEFT JOIN c USING (t, g)),
r AS (
	SELECT t, g, d, sum(m) OVER (PARTITION BY g ORDER BY t DESC)::float8 AS n_g FROM grid),
p AS (
	SELECT g, d, n_g, sum(d) OVER (PARTITION BY t)::float8 AS dd,
		   sum(n_g) OVER (PARTITION BY t) AS nn
	  FROM r)
SELECT g, sum(d) AS o, sum(dd * n_g / nn) AS e,
	   sum(CASE WHEN nn > 1 THEN dd * (n_g / nn) * (1 - n_g / nn) * (nn - dd) / (nn - 1) ELSE 0 END) AS v
  FROM p GROUP BY g;
SELECT bool_and(abs(q.o - l.observed) < 1e-9 AND abs(q.e - l.expected) < 1e-9 * q.e
				AND abs(q.v - l.variance) < 1e-9 * q.v) AS groups_match_sql,
	   abs(max((q.o - q.e) ^ 2 / q.v) - (SELECT (churn.logrank(months, churned, plan)).chi_square FROM life))
	   < 1e-9 AS chi_square_matches_sql
  FROM sql_test q
  JOIN churn.logrank_groups((SELECT churn.logrank_state(months, churned, plan) FROM life)) l
	   ON l.grp = q.g;

-- many groups and many distinct fractional durations: the groups' sorted
-- array grows with inserts in the middle, each curve's buffer is merged
-- many times; the state holds the counts of plain SQL
SELECT count(*) = 200 AS groups_200,
	   bool_and(c.curve::text = q.curve) AS curves_are_sql
  FROM churn.logrank_curves((SELECT churn.logrank_state((id * 7919 % 30000) * 0.37, churned, (id * 13 % 200)::text)
							   FROM life)) c
  JOIN (SELECT g, 'v1 number ' || sum(n) || ' ' || string_agg(t::text || ':' || ev || ':' || ce, ' ' ORDER BY t) AS curve
		  FROM (SELECT (id * 13 % 200)::text AS g, ((id * 7919 % 30000) * 0.37)::float8 AS t, count(*) AS n,
					   count(*) FILTER (WHERE churned) AS ev, count(*) FILTER (WHERE NOT churned) AS ce
				  FROM life GROUP BY 1, 2) x GROUP BY g) q ON q.g = c.grp;

RESET ALL;
DROP TABLE life, par, par_bucket, buckets, par_rollup, sql_test;
