--
-- metrics_window: nps, conversion_rate and value_churn_rate as window
-- functions.  They have moving-aggregate inverse functions, so a sliding
-- frame costs O(1) per row; the results must equal the plain-SQL window
-- formulation row by row, including frames that empty out (NULL).
--
SET extra_float_digits = 0;

SELECT setseed(0.31);
CREATE TEMP TABLE w AS
SELECT i,
       (i % 3) AS seg,
       CASE WHEN random() < 0.15 THEN NULL ELSE floor(random() * 11)::int END AS score,
       CASE WHEN random() < 0.15 THEN NULL ELSE random() < 0.3 END AS converted,
       CASE WHEN random() < 0.1 THEN NULL ELSE round((random() * 200)::numeric, 0) END AS arpu_before,
       round((random() * 200)::numeric, 0) AS arpu_after,
       round((random() * 100)::numeric, 2) AS revenue,
       floor(random() * 40)::int AS customer
  FROM generate_series(1, 3000) i;

-- sliding frames of rows, per segment: mismatches with plain SQL
SELECT count(*) AS rows_checked,
       count(*) FILTER (WHERE nps IS DISTINCT FROM nps_sql) AS nps_mismatches,
       count(*) FILTER (WHERE conv IS DISTINCT FROM conv_sql) AS conversion_mismatches,
       count(*) FILTER (WHERE vc IS DISTINCT FROM vc_sql) AS value_churn_mismatches
  FROM (
	SELECT churn.nps(score) OVER f AS nps,
	       100.0::float8 * (count(*) FILTER (WHERE score >= 9) OVER f
	                        - count(*) FILTER (WHERE score <= 6) OVER f)
	       / nullif(count(score) OVER f, 0) AS nps_sql,
	       churn.conversion_rate(converted) OVER f AS conv,
	       count(*) FILTER (WHERE converted) OVER f::float8
	       / nullif(count(converted) OVER f, 0) AS conv_sql,
	       churn.value_churn_rate(arpu_before, arpu_after, 100) OVER f AS vc,
	       count(*) FILTER (WHERE arpu_before >= 100 AND arpu_after < 100) OVER f::float8
	       / nullif(count(*) FILTER (WHERE arpu_before >= 100) OVER f, 0) AS vc_sql
	  FROM w
	WINDOW f AS (PARTITION BY seg ORDER BY i ROWS BETWEEN 4 PRECEDING AND CURRENT ROW)
  ) x;

-- a RANGE frame moving over a value, and a frame that starts after the row
SELECT count(*) AS rows_checked,
       count(*) FILTER (WHERE nps IS DISTINCT FROM nps_sql) AS nps_mismatches,
       count(*) FILTER (WHERE conv IS DISTINCT FROM conv_sql) AS conversion_mismatches,
       count(*) FILTER (WHERE nps2 IS DISTINCT FROM nps2_sql) AS following_mismatches,
       count(*) FILTER (WHERE nps2 IS NULL) AS empty_following_frames
  FROM (
	SELECT churn.nps(score) OVER r AS nps,
	       100.0::float8 * (count(*) FILTER (WHERE score >= 9) OVER r
	                        - count(*) FILTER (WHERE score <= 6) OVER r)
	       / nullif(count(score) OVER r, 0) AS nps_sql,
	       churn.conversion_rate(converted) OVER r AS conv,
	       count(*) FILTER (WHERE converted) OVER r::float8
	       / nullif(count(converted) OVER r, 0) AS conv_sql,
	       churn.nps(score) OVER g AS nps2,
	       100.0::float8 * (count(*) FILTER (WHERE score >= 9) OVER g
	                        - count(*) FILTER (WHERE score <= 6) OVER g)
	       / nullif(count(score) OVER g, 0) AS nps2_sql
	  FROM w
	WINDOW r AS (ORDER BY i RANGE BETWEEN 25 PRECEDING AND 10 PRECEDING),
	       g AS (ORDER BY i ROWS BETWEEN 1 FOLLOWING AND 3 FOLLOWING)
  ) x;

-- a hand-checked sliding NPS over 2 rows: 10 -> 100; 10,0 -> 0; 0,9 -> 0;
-- 9,NULL -> 100; NULL,NULL -> NULL (no answers); NULL,5 -> -100; 5,8 -> -50
SELECT i, s, churn.nps(s) OVER (ORDER BY i ROWS 1 PRECEDING) AS nps
  FROM (VALUES (1, 10), (2, 0), (3, 9), (4, NULL), (5, NULL), (6, 5), (7, 8)) v(i, s)
 ORDER BY i;

-- arpu has no inverse (its state holds customers): a running frame still
-- works and equals a correlated recomputation
SELECT count(*) AS rows_checked,
       count(*) FILTER (WHERE a IS DISTINCT FROM a_sql) AS arpu_mismatches
  FROM (
	SELECT churn.arpu(revenue, customer) OVER (ORDER BY i ROWS BETWEEN 9 PRECEDING AND CURRENT ROW) AS a,
	       (SELECT sum(revenue) / count(DISTINCT customer) FROM w w2
	         WHERE w2.i BETWEEN w.i - 9 AND w.i) AS a_sql
	  FROM w
	 WHERE i <= 500
  ) x;
-- the same for the text and uuid overloads and the polymorphic one
SELECT count(*) AS rows_checked,
       count(*) FILTER (WHERE a_text IS DISTINCT FROM a_sql OR a_uuid IS DISTINCT FROM a_sql
                        OR a_any IS DISTINCT FROM a_sql) AS arpu_overload_mismatches
  FROM (
	SELECT churn.arpu(revenue, 'c' || customer) OVER f AS a_text,
	       churn.arpu(revenue, ('00000000-0000-0000-0000-' || lpad(customer::text, 12, '0'))::uuid) OVER f AS a_uuid,
	       churn.arpu(revenue, customer::numeric) OVER f AS a_any,
	       (SELECT sum(revenue) / count(DISTINCT customer) FROM w w2
	         WHERE w2.i BETWEEN w.i - 9 AND w.i) AS a_sql
	  FROM w
	 WHERE i <= 500
	WINDOW f AS (ORDER BY i ROWS BETWEEN 9 PRECEDING AND CURRENT ROW)
  ) x;
