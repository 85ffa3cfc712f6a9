--
-- metrics_memory: the counter aggregates keep a fixed-size state, and the
-- arpu state grows with the number of distinct customers only, never with
-- the number of rows.  Checked through the peak memory that a hash
-- aggregate reports: ten times the rows over the same groups and customers
-- must not use more memory.
--
CREATE FUNCTION pg_temp.hash_mem(q text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	plan json;
BEGIN
	EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || q INTO plan;
	IF plan->0->'Plan'->>'Node Type' <> 'Aggregate'
	   OR plan->0->'Plan'->>'Strategy' <> 'Hashed' THEN
		RAISE EXCEPTION 'not a hash aggregate: %', plan;
	END IF;
	RETURN (plan->0->'Plan'->>'Peak Memory Usage')::bigint;
END
$$;

SET max_parallel_workers_per_gather = 0;
SET enable_sort = off;
SET work_mem = '64MB';
CREATE TEMP TABLE m AS
SELECT i, i % 10 AS seg, i % 11 AS score, (i % 7 = 0) AS conv,
       (i % 300)::numeric AS b, (i % 250)::numeric AS a, (i % 97)::numeric / 4 AS r,
       i % 1000 AS cust, 'customer ' || (i % 1000) AS cust_text
  FROM generate_series(1, 200000) i;
ANALYZE m;

-- counters: same memory for 20,000 and 200,000 rows in 10 groups
SELECT pg_temp.hash_mem($$SELECT seg, churn.nps(score), churn.conversion_rate(conv),
                                 churn.value_churn_rate(b, a, 100)
                            FROM m WHERE i <= 20000 GROUP BY seg$$)
     = pg_temp.hash_mem($$SELECT seg, churn.nps(score), churn.conversion_rate(conv),
                                 churn.value_churn_rate(b, a, 100)
                            FROM m GROUP BY seg$$) AS counters_fixed_size;

-- arpu: 100 customers per group either way, 10 times the rows (revenue 0:
-- the revenue total, like sum()'s, takes more digits as it grows, which
-- is not what this compares)
SELECT pg_temp.hash_mem($$SELECT seg, churn.arpu(r * 0, cust), churn.arpu(r * 0, cust_text)
                            FROM m WHERE i <= 20000 GROUP BY seg$$)
     = pg_temp.hash_mem($$SELECT seg, churn.arpu(r * 0, cust), churn.arpu(r * 0, cust_text)
                            FROM m GROUP BY seg$$) AS arpu_grows_with_customers_only;
-- while more distinct customers do take more memory
SELECT pg_temp.hash_mem($$SELECT seg, churn.arpu(r, i) FROM m WHERE i <= 20000 GROUP BY seg$$)
     < pg_temp.hash_mem($$SELECT seg, churn.arpu(r, i) FROM m GROUP BY seg$$) AS arpu_more_customers_more_memory;

-- a hash aggregate that spills to disk (work_mem far too small for 3000
-- groups) still gives exact results
SET work_mem = '64kB';
CREATE FUNCTION pg_temp.hash_batches(q text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	plan json;
BEGIN
	EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || q INTO plan;
	RETURN (plan->0->'Plan'->>'HashAgg Batches')::bigint;
END
$$;
SELECT pg_temp.hash_batches($$SELECT i % 3000, churn.arpu(r, cust), churn.nps(score)
                              FROM m GROUP BY 1$$) > 1 AS spilled;
CREATE TEMP TABLE spilled AS
SELECT i % 3000 AS g, churn.arpu(r, cust) AS arpu, churn.nps(score) AS nps
  FROM m GROUP BY 1;
RESET enable_sort;
SELECT count(*) AS groups,
       count(*) FILTER (WHERE s.arpu IS DISTINCT FROM o.arpu) AS arpu_mismatches,
       count(*) FILTER (WHERE s.nps IS DISTINCT FROM o.nps) AS nps_mismatches
  FROM spilled s
  JOIN (SELECT i % 3000 AS g, sum(r) / count(DISTINCT cust) AS arpu,
               100.0::float8 * (count(*) FILTER (WHERE score >= 9)
                                - count(*) FILTER (WHERE score <= 6)) / count(score) AS nps
          FROM m GROUP BY 1) o USING (g);

RESET work_mem;
RESET enable_sort;
RESET max_parallel_workers_per_gather;
