--
-- metrics_parallel: every aggregate of metrics is PARALLEL SAFE with a
-- combine function.  The plan shows Partial Aggregate under Gather, and the
-- results with workers (leader not participating, so every partial state
-- crosses the tuple queue and the combine function) equal those without
-- workers and plain SQL.  Settings as in PostgreSQL's aggregates test.
--
SET extra_float_digits = 0;

SELECT setseed(0.777);
CREATE TABLE metrics_par AS
SELECT i,
       (i % 5) AS seg,
       CASE WHEN random() < 0.05 THEN NULL ELSE floor(random() * 11)::int END AS score,
       CASE WHEN random() < 0.05 THEN NULL ELSE random() < 0.05 END AS converted,
       round((random() * 200)::numeric, 2) AS arpu_before,
       round((random() * 200)::numeric, 2) AS arpu_after,
       CASE WHEN random() < 0.03 THEN NULL ELSE round((random() * 500)::numeric, 2) END AS revenue,
       floor(random() * 20000)::int AS customer
  FROM generate_series(1, 60000) i;
ANALYZE metrics_par;

SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;

EXPLAIN (COSTS OFF)
SELECT churn.nps(score), churn.conversion_rate(converted),
       churn.value_churn_rate(arpu_before, arpu_after, 100),
       churn.arpu(revenue, customer), churn.arpu(revenue, customer::text)
  FROM metrics_par;
EXPLAIN (COSTS OFF)
SELECT seg, churn.nps(score), churn.arpu(revenue, customer)
  FROM metrics_par GROUP BY seg;

CREATE TEMP TABLE with_workers AS
SELECT churn.nps(score) AS nps, churn.conversion_rate(converted) AS conversion,
       churn.value_churn_rate(arpu_before, arpu_after, 100) AS value_churn,
       churn.arpu(revenue, customer) AS arpu, churn.arpu(revenue, customer::text) AS arpu_text
  FROM metrics_par;
CREATE TEMP TABLE with_workers_seg AS
SELECT seg, churn.nps(score) AS nps, churn.arpu(revenue, customer) AS arpu
  FROM metrics_par GROUP BY seg;

SET max_parallel_workers_per_gather = 0;
EXPLAIN (COSTS OFF)
SELECT churn.nps(score), churn.arpu(revenue, customer) FROM metrics_par;

CREATE TEMP TABLE serial AS
SELECT churn.nps(score) AS nps, churn.conversion_rate(converted) AS conversion,
       churn.value_churn_rate(arpu_before, arpu_after, 100) AS value_churn,
       churn.arpu(revenue, customer) AS arpu, churn.arpu(revenue, customer::text) AS arpu_text
  FROM metrics_par;
CREATE TEMP TABLE serial_seg AS
SELECT seg, churn.nps(score) AS nps, churn.arpu(revenue, customer) AS arpu
  FROM metrics_par GROUP BY seg;

-- identical with and without workers
SELECT w.nps = s.nps AS nps, w.conversion = s.conversion AS conversion,
       w.value_churn = s.value_churn AS value_churn, w.arpu = s.arpu AS arpu,
       w.arpu_text = s.arpu_text AS arpu_text
  FROM with_workers w, serial s;
SELECT count(*) AS segments, bool_and(w.nps = s.nps) AS nps, bool_and(w.arpu = s.arpu) AS arpu
  FROM with_workers_seg w JOIN serial_seg s USING (seg);

-- and equal to plain SQL
SELECT s.nps = 100.0::float8 * (count(*) FILTER (WHERE score >= 9) - count(*) FILTER (WHERE score <= 6))
               / count(score) AS nps,
       s.conversion = count(*) FILTER (WHERE converted)::float8 / count(converted) AS conversion,
       s.value_churn = count(*) FILTER (WHERE arpu_before >= 100 AND arpu_after < 100)::float8
                       / count(*) FILTER (WHERE arpu_before >= 100) AS value_churn,
       s.arpu = sum(revenue) / count(DISTINCT customer) AS arpu
  FROM metrics_par, serial s
 GROUP BY s.nps, s.conversion, s.value_churn, s.arpu;

-- every arpu overload (bigint, smallint, uuid, text from varchar, and the
-- polymorphic one over numeric) grouped, with workers, equals plain SQL
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF)
SELECT seg, churn.arpu(revenue, customer::bigint) FROM metrics_par GROUP BY seg;
CREATE TEMP TABLE overloads_seg AS
SELECT seg,
       churn.arpu(revenue, customer::bigint) AS a_bigint,
       churn.arpu(revenue, customer::smallint) AS a_smallint,
       churn.arpu(revenue, ('00000000-0000-0000-0000-' || lpad(customer::text, 12, '0'))::uuid) AS a_uuid,
       churn.arpu(revenue, customer::varchar) AS a_varchar,
       churn.arpu(revenue, customer::numeric) AS a_numeric
  FROM metrics_par GROUP BY seg;
SET max_parallel_workers_per_gather = 0;
SELECT count(*) AS segments,
       bool_and(o.a_bigint = q.arpu AND o.a_smallint = q.arpu AND o.a_uuid = q.arpu
                AND o.a_varchar = q.arpu AND o.a_numeric = q.arpu) AS overloads_ok
  FROM overloads_seg o
  JOIN (SELECT seg, coalesce(sum(revenue), 0) / count(DISTINCT customer) AS arpu
          FROM metrics_par GROUP BY seg) q USING (seg);

RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
DROP TABLE metrics_par;
