--
-- cox_parallel: coxph() runs as a partial aggregate in parallel workers
-- (the partial states cross processes as coxph_state values and are
-- concatenated by the combine function) and gives the serial model bit for
-- bit: the fit sorts the rows it collected, so neither the order the rows
-- arrive in nor how the workers split them matters.  Then scoring: models
-- of several segments stored in a table (toasted) and read once per
-- customer, interleaved, give the scores computed from their coefficients.
--
CREATE TABLE life AS
SELECT g AS id, g % 4 AS segment, g % 13 AS cell,
	   ((g * 7919) % 1000) / 10.0 + (g % 7) / 100.0 AS months,
	   (g * 31) % 5 < 2 AS churned,
	   ARRAY[20 + (g * 13) % 60,				-- age
			 (g % 3 = 0)::int,					-- 0/1
			 ((g * 17) % 1000) / 7.0,			-- charges
			 ((g * 7) % 11) - 5]::float8[] AS x
  FROM generate_series(1, 60000) g;
ANALYZE life;

SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;

EXPLAIN (COSTS OFF) SELECT churn.coxph(months, churned, x) FROM life;
CREATE TABLE par AS
SELECT churn.coxph(months, churned, x)::text AS m, churn.coxph(months, churned, x, 'breslow')::text AS mb,
	   churn.coxph(months, churned, x, 'efron', 'cell ' || cell)::text AS ms
  FROM life;
CREATE TABLE par_seg AS
SELECT segment, churn.coxph(months, churned, x)::text AS m FROM life GROUP BY segment;

SET max_parallel_workers_per_gather = 0;
EXPLAIN (COSTS OFF) SELECT churn.coxph(months, churned, x) FROM life;
SELECT (SELECT m FROM par) = churn.coxph(months, churned, x)::text AS parallel_equals_serial,
	   (SELECT mb FROM par) = churn.coxph(months, churned, x, 'breslow')::text AS breslow_parallel_equals_serial,
	   (SELECT ms FROM par) = churn.coxph(months, churned, x, 'efron', 'cell ' || cell)::text
	   AS stratified_parallel_equals_serial
  FROM life;
SELECT count(*) AS segments_equal
  FROM par_seg p
  JOIN (SELECT segment, churn.coxph(months, churned, x)::text AS m FROM life GROUP BY segment) s USING (segment)
 WHERE p.m = s.m;
-- the order of the rows does not matter
SELECT churn.coxph(months, churned, x ORDER BY id)::text = churn.coxph(months, churned, x ORDER BY id DESC)::text
	   AND churn.coxph(months, churned, x ORDER BY id)::text = churn.coxph(months, churned, x ORDER BY md5(id::text))::text
	   AS row_order_does_not_matter
  FROM life;
-- a window over each segment gives the segment's model
SELECT count(*) AS window_equals_group
  FROM (SELECT DISTINCT ON (segment) segment, m
		  FROM (SELECT segment, churn.coxph(months, churned, x) OVER (PARTITION BY segment) AS m
				  FROM life) w
		 ORDER BY segment) w
  JOIN par_seg p USING (segment)
 WHERE w.m::text = p.m;
SELECT s.n, s.events, s.strata, s.iterations, s.converged, round(s.concordance::numeric, 4) AS concordance
  FROM par, LATERAL (VALUES (m), (ms)) v(model), churn.cox_summary(model::churn.cox_model) s;

--
-- Scoring with stored models: one per cell, 13 cells interleaved, so
-- each call site unpacks and keeps several models
--
CREATE TABLE cell_models (cell int PRIMARY KEY, model churn.cox_model);
INSERT INTO cell_models SELECT cell, churn.coxph(months, churned, x) FROM life GROUP BY cell;
SELECT count(*) AS models, min(pg_column_size(model)) > 2000 AS large,
	   (SELECT pg_relation_size(reltoastrelid) > 0 FROM pg_class
		 WHERE oid = 'cell_models'::regclass) AS stored_out_of_line
  FROM cell_models;
-- relative_risk and predict_survival per customer against the same
-- figures computed from the coefficients and the baseline in SQL
CREATE TABLE coefs AS
SELECT cell, array_agg(coef ORDER BY term) AS b FROM cell_models, churn.cox_coefficients(model) GROUP BY cell;
SELECT count(*) AS customers,
	   max(abs(churn.relative_risk(m.model, l.x) /
			   exp(l.x[1] * c.b[1] + l.x[2] * c.b[2] + l.x[3] * c.b[3] + l.x[4] * c.b[4]) - 1)) < 1e-12 AS risks_ok
  FROM life l JOIN cell_models m USING (cell) JOIN coefs c USING (cell);
CREATE TABLE h36 AS
SELECT cell, (SELECT cumulative_hazard FROM churn.cox_baseline(model) WHERE time <= 36
			   ORDER BY time DESC LIMIT 1) AS h
  FROM cell_models;
SELECT count(*) AS customers,
	   max(abs(churn.predict_survival(m.model, l.x, 36) -
			   exp(-b.h * exp(l.x[1] * c.b[1] + l.x[2] * c.b[2] + l.x[3] * c.b[3] + l.x[4] * c.b[4])))) < 1e-9
	   AS survival_ok
  FROM life l JOIN cell_models m USING (cell) JOIN coefs c USING (cell) JOIN h36 b USING (cell);
-- the same in parallel workers, which keep models of their own
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF)
SELECT l.id, churn.relative_risk(m.model, l.x) AS risk FROM life l JOIN cell_models m USING (cell);
CREATE TABLE par_scores AS
SELECT l.id, churn.relative_risk(m.model, l.x) AS risk FROM life l JOIN cell_models m USING (cell);
SET max_parallel_workers_per_gather = 0;
SELECT count(*) AS customers, bool_and(p.risk = churn.relative_risk(m.model, l.x)) AS parallel_scores_equal
  FROM par_scores p JOIN life l USING (id) JOIN cell_models m USING (cell);

RESET ALL;
DROP TABLE life, par, par_seg, cell_models, coefs, h36, par_scores;
