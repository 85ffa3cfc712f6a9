--
-- rates_parallel: every aggregate of rates runs as Partial Aggregate in
-- parallel workers (states cross processes through the state types) and
-- gives the same result as a serial plan.
--
SET DateStyle = 'ISO, YMD';
SET TimeZone = 'Europe/Berlin';
SET extra_float_digits = 0;

SELECT setseed(0.91);
CREATE TABLE rpar AS
SELECT i, i % 5 AS seg, 'ch' || (random() * 12)::int AS channel, d AS since,
       CASE WHEN r < 0.4 THEN NULL ELSE d + (random() * 400)::int END AS until,
       CASE WHEN r > 0.7 THEN 'ch' || (random() * 12)::int END AS moved_to
  FROM (SELECT i, date '2022-06-01' + (random() * 900)::int AS d, random() AS r
          FROM generate_series(1, 30000) i) s;
ANALYZE rpar;

CREATE VIEW rpar_q AS
SELECT seg,
       churn.churn_rate(since, until, daterange('2023-01-01', '2023-04-01')) AS churn,
       churn.retention_rate(since, until, daterange('2023-01-01', '2023-04-01')) AS retention,
       churn.churn_rate(since::timestamptz, until::timestamptz, tstzrange('2023-01-01', '2023-04-01'), '3 months') AS churn_t,
       churn.diversion_rate(since, until, moved_to, daterange('2023-01-01', '2023-04-01')) AS diversion,
       churn.diversion_rate(since::timestamptz, until::timestamptz, moved_to, tstzrange('2023-01-01', '2023-04-01')) AS diversion_t,
       churn.diversion_rate(since, until, CASE WHEN moved_to IS NOT NULL THEN 1 END, daterange('2023-01-01', '2023-04-01')) AS diversion_any,
       churn.churn_periods(since, until, daterange('2022-07-01', '2024-07-01'), '1 month')::text AS periods,
       churn.churn_periods(since::timestamptz, until::timestamptz, tstzrange('2022-07-01', '2024-07-01'), '1 month', '2 months')::text AS periods_t,
       churn.diversion_matrix(channel, moved_to, since, until, daterange('2023-01-01', '2023-04-01'))::text AS matrix
  FROM rpar GROUP BY seg;

SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
SET enable_hashagg = off;

EXPLAIN (COSTS OFF) SELECT * FROM rpar_q;
-- the workers really run: the partial states cross processes
CREATE FUNCTION rpar_launched(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	l text;
BEGIN
	FOR l IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || q LOOP
		IF l ~ 'Workers Launched' THEN
			RETURN trim(l);
		END IF;
	END LOOP;
	RETURN 'no Gather';
END $$;
SELECT rpar_launched('SELECT * FROM rpar_q');
CREATE TEMP TABLE rpar_par AS SELECT * FROM rpar_q;
-- and without grouping
EXPLAIN (COSTS OFF)
SELECT churn.churn_rate(since, until, daterange('2023-01-01', '2023-04-01')) FROM rpar;
CREATE TEMP TABLE rpar_par1 AS
SELECT churn.churn_rate(since, until, daterange('2023-01-01', '2023-04-01')) AS churn FROM rpar;

SET max_parallel_workers_per_gather = 0;
EXPLAIN (COSTS OFF) SELECT * FROM rpar_q;
CREATE TEMP TABLE rpar_ser AS SELECT * FROM rpar_q;
SELECT churn.churn_rate(since, until, daterange('2023-01-01', '2023-04-01')) = (SELECT churn FROM rpar_par1) AS same_ungrouped
  FROM rpar;

SELECT count(*) AS groups,
       count(*) FILTER (WHERE p IS NOT DISTINCT FROM s) AS identical
  FROM rpar_par p FULL JOIN rpar_ser s USING (seg);
-- and the serial result is right (spot check against plain SQL)
SELECT bool_and(s.churn = q.lost::float8 / q.at_start) AS serial_ok
  FROM rpar_ser s JOIN (
       SELECT seg,
              count(*) FILTER (WHERE since < '2023-01-01' AND (until IS NULL OR until >= '2023-01-01')) AS at_start,
              count(*) FILTER (WHERE since < '2023-01-01' AND until >= '2023-01-01' AND until < '2023-04-01') AS lost
         FROM rpar GROUP BY seg) q USING (seg);
-- diversion_rate over text moved_to and over "any" (an integer) agree
SELECT bool_and(s.diversion = s.diversion_t AND s.diversion = s.diversion_any) AS diversion_overloads_agree
  FROM rpar_ser s;

RESET ALL;
DROP VIEW rpar_q;
DROP FUNCTION rpar_launched(text);
DROP TABLE rpar;
