--
-- survival_parallel: survival() and rollup() run as partial aggregates in
-- parallel workers (the partial states cross processes as survival_curve
-- values) and give the same curves as a serial run.
--
CREATE TABLE life AS
SELECT g AS id, (g * 7919 % 1000) / 10.0 AS months, g % 3 <> 0 AS churned,
	   g % 4 AS segment
  FROM generate_series(1, 60000) g;
ANALYZE life;

SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;

EXPLAIN (COSTS OFF) SELECT churn.survival(months, churned) FROM life;
CREATE TABLE par AS SELECT churn.survival(months, churned)::text AS c FROM life;
CREATE TABLE par_seg AS
SELECT segment, churn.survival(months::float8, churned)::text AS c FROM life GROUP BY segment;
CREATE TABLE seg AS
SELECT segment, churn.survival(months, churned) AS c FROM life GROUP BY segment;
EXPLAIN (COSTS OFF) SELECT churn.rollup(c) FROM seg;
CREATE TABLE par_rollup AS SELECT churn.rollup(c)::text AS c FROM seg;

SET max_parallel_workers_per_gather = 0;
EXPLAIN (COSTS OFF) SELECT churn.survival(months, churned) FROM life;
SELECT (SELECT c FROM par) = churn.survival(months, churned)::text AS parallel_equals_serial,
	   (SELECT c FROM par_rollup) = churn.survival(months, churned)::text AS rollup_equals_serial
  FROM life;
SELECT count(*) AS segments_equal
  FROM par_seg p
  JOIN (SELECT segment, churn.survival(months::float8, churned)::text AS c
		  FROM life GROUP BY segment) s USING (segment)
 WHERE p.c = s.c;
-- the curve has one point per distinct duration, not per row
SELECT (SELECT count(*) FROM churn.survival_points((SELECT churn.survival(months, churned) FROM life))) =
	   (SELECT count(DISTINCT months) FROM life) AS one_point_per_duration;
-- and it is the curve of plain SQL: at_risk, events, censored per duration
SELECT bool_and(p.at_risk = q.at_risk AND p.events = q.events AND p.censored = q.censored) AS counts_match_sql
  FROM churn.survival_points((SELECT churn.survival(months, churned) FROM life)) p
  JOIN (SELECT months::float8 AS time,
			   sum(count(*)) OVER (ORDER BY months DESC) AS at_risk,
			   count(*) FILTER (WHERE churned) AS events,
			   count(*) FILTER (WHERE NOT churned) AS censored
		  FROM life GROUP BY months) q USING (time);
-- and S(t) is the product-limit exp(sum ln(1 - d/n)) of the window-function SQL
SELECT max(abs(p.survival - q.s)) < 1e-12 AS survival_matches_sql
  FROM churn.survival_points((SELECT churn.survival(months, churned) FROM life)) p
  JOIN (SELECT time, exp(sum(ln(1 - d::float8 / n)) OVER (ORDER BY time)) AS s
		  FROM (SELECT months::float8 AS time, count(*) FILTER (WHERE churned) AS d,
					   sum(count(*)) OVER (ORDER BY months DESC) AS n
				  FROM life GROUP BY months) x) q USING (time);

-- many distinct fractional durations (the buffer is merged many times),
-- half of them seen twice
SELECT bool_and(p.at_risk = q.at_risk AND p.events = q.events AND p.censored = q.censored)
	   AND count(*) = 30000 AS many_distinct_match_sql
  FROM churn.survival_points((SELECT churn.survival(((id * 7919) % 30000) * 0.37, churned) FROM life)) p
  FULL JOIN (SELECT (((id * 7919) % 30000) * 0.37)::float8 AS time,
					sum(count(*)) OVER (ORDER BY ((id * 7919) % 30000) DESC) AS at_risk,
					count(*) FILTER (WHERE churned) AS events,
					count(*) FILTER (WHERE NOT churned) AS censored
			   FROM life GROUP BY ((id * 7919) % 30000)) q USING (time);

RESET ALL;
DROP TABLE life, par, par_seg, seg, par_rollup;
