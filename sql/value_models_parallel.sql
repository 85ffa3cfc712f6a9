--
-- value_models_parallel: rfm(), bgnbd(), gamma_gamma() and sbg() as partial
-- aggregates in parallel workers (partial states cross processes as
-- rfm_state, bgnbd_state, gamma_gamma_state and survival_curve values) give
-- exactly the results of a serial run, and the fits do not depend on the
-- order of the rows.
--
\getenv abs_srcdir PG_ABS_SRCDIR
\set f :abs_srcdir '/sql/data/cdnow_sample.csv'
CREATE TABLE cdnow (customer int, master_id int, purchased_on date, cds int, dollars numeric(8,2));
COPY cdnow FROM :'f' WITH (FORMAT csv, HEADER true);
-- ten copies of the sample, each shifted by a few days: 23,570 customers
CREATE TABLE tx AS
SELECT k * 10000 + customer AS customer, purchased_on + k * 3 AS purchased_on,
       dollars + k * 0.01 AS dollars
  FROM cdnow, generate_series(0, 9) k;
ANALYZE tx;

SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;

-- rfm grouped by customer: partial groups merged by rfm_combine
EXPLAIN (COSTS OFF)
SELECT customer, churn.rfm(purchased_on, dollars, date '1997-10-15', '7 days') FROM tx GROUP BY customer;
CREATE TABLE par_rfm AS
SELECT customer, churn.rfm(purchased_on, dollars, date '1997-10-15', '7 days') AS s
  FROM tx GROUP BY customer;
CREATE TABLE summary AS SELECT customer, (s).* FROM par_rfm;
ANALYZE summary;
-- groups of ten customers (the ten copies of a sample customer),
-- aggregated partially in the workers and merged by rfm_combine (sorted
-- groups: with free tuple transfer the planner prefers one hash table)
SET enable_hashagg = off;
EXPLAIN (COSTS OFF)
SELECT customer % 10000, churn.rfm(purchased_on, dollars, date '1997-10-15', '7 days') FROM tx GROUP BY 1;
CREATE TABLE par_rfm10 AS
SELECT customer % 10000 AS grp, churn.rfm(purchased_on, dollars, date '1997-10-15', '7 days') AS s
  FROM tx GROUP BY 1;
RESET enable_hashagg;

EXPLAIN (COSTS OFF) SELECT churn.bgnbd(frequency, recency, age) FROM summary;
CREATE TABLE par AS
SELECT churn.bgnbd(frequency, recency, age)::text AS bgnbd,
       churn.gamma_gamma(frequency, avg_value)::text AS gamma_gamma
  FROM summary;
CREATE TABLE par_seg AS
SELECT customer % 4 AS seg, churn.bgnbd(frequency, recency, age)::text AS bgnbd,
       churn.gamma_gamma(frequency, avg_value)::text AS gamma_gamma
  FROM summary GROUP BY customer % 4;
-- sbg over durations made from the summaries: weeks as a customer
EXPLAIN (COSTS OFF) SELECT churn.sbg(ceil(recency)::int + 1, age - recency > 26) FROM summary;
CREATE TABLE par_sbg AS
SELECT churn.sbg(ceil(recency)::int + 1, age - recency > 26)::text AS sbg FROM summary;

SET max_parallel_workers_per_gather = 0;
EXPLAIN (COSTS OFF) SELECT churn.bgnbd(frequency, recency, age) FROM summary;
SELECT count(*) AS customers,
       count(*) FILTER (WHERE p.s IS NOT DISTINCT FROM q.s) AS rfm_equal
  FROM par_rfm p
  JOIN (SELECT customer, churn.rfm(purchased_on, dollars, date '1997-10-15', '7 days') AS s
          FROM tx GROUP BY customer) q USING (customer);
SELECT count(*) AS groups, count(*) FILTER (WHERE p.s IS NOT DISTINCT FROM q.s) AS rfm_groups_equal
  FROM par_rfm10 p
  JOIN (SELECT customer % 10000 AS grp, churn.rfm(purchased_on, dollars, date '1997-10-15', '7 days') AS s
          FROM tx GROUP BY 1) q USING (grp);
SELECT (SELECT bgnbd FROM par) = churn.bgnbd(frequency, recency, age)::text AS bgnbd_parallel_equals_serial,
       (SELECT gamma_gamma FROM par) = churn.gamma_gamma(frequency, avg_value)::text AS gamma_gamma_parallel_equals_serial,
       (SELECT sbg FROM par_sbg) = churn.sbg(ceil(recency)::int + 1, age - recency > 26)::text AS sbg_parallel_equals_serial
  FROM summary;
SELECT count(*) AS segments_equal
  FROM par_seg p
  JOIN (SELECT customer % 4 AS seg, churn.bgnbd(frequency, recency, age)::text AS bgnbd,
               churn.gamma_gamma(frequency, avg_value)::text AS gamma_gamma
          FROM summary GROUP BY customer % 4) s USING (seg)
 WHERE p.bgnbd = s.bgnbd AND p.gamma_gamma = s.gamma_gamma;

-- the order of the rows does not matter: the same models, to the last bit
SELECT (SELECT bgnbd FROM par) = churn.bgnbd(frequency, recency, age)::text AS bgnbd_order_free,
       (SELECT gamma_gamma FROM par) = churn.gamma_gamma(frequency, avg_value)::text AS gamma_gamma_order_free
  FROM (SELECT * FROM summary ORDER BY md5(customer::text) DESC) s;
SELECT count(*) FILTER (WHERE p.s IS NOT DISTINCT FROM q.s) AS rfm_order_free
  FROM par_rfm p
  JOIN (SELECT customer, churn.rfm(purchased_on, dollars, date '1997-10-15', '7 days'
                                   ORDER BY md5(purchased_on::text || dollars::text)) AS s
          FROM tx GROUP BY customer) q USING (customer);

-- the fit itself: ten shifted copies of the sample, so the estimates are
-- close to the sample's (r = 0.243, alpha = 4.414, a = 0.793, b = 2.426)
SELECT round(r::numeric, 2) AS r, round(alpha::numeric, 1) AS alpha, round(a::numeric, 2) AS a,
       round(b::numeric, 1) AS b, customers
  FROM par, churn.bgnbd_params(bgnbd::churn.bgnbd_model);

RESET ALL;
DROP TABLE cdnow, tx, par_rfm, par_rfm10, summary, par, par_seg, par_sbg;
