--
-- cox_state: the transition state of coxph() (churn.coxph_state) and the
-- fitted model (churn.cox_model) are real types, what Citus ships between
-- nodes and what a table stores: every value must round-trip exactly
-- through text and binary, input must be validated (22P02 text, 22P03
-- binary), and combining round-tripped partial states must give the
-- one-pass model bit for bit.  Then the errors of the aggregate and of the
-- readers.
--
-- (extra_float_digits stays at its default here: floats must round-trip
-- through text exactly with it.)

-- err(query): runs a query and prints "SQLSTATE: message (detail)" of
-- its error.
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	detail text;
BEGIN
	EXECUTE q;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN sqlstate || ': ' || sqlerrm || coalesce(' (' || nullif(detail, '') || ')', '');
END
$$;

-- Aggregates returning the partial state, and merging states, built from
-- the extension's own support functions.
CREATE AGGREGATE pg_temp.coxph_partial(float8, boolean, float8[]) (
	SFUNC = churn.coxph_trans, STYPE = churn.coxph_state);
CREATE AGGREGATE pg_temp.coxph_partial(float8, boolean, float8[], text) (
	SFUNC = churn.coxph_trans, STYPE = churn.coxph_state);
CREATE AGGREGATE pg_temp.coxph_partial(float8, boolean, float8[], text, text) (
	SFUNC = churn.coxph_trans, STYPE = churn.coxph_state);
CREATE AGGREGATE pg_temp.coxph_merge(churn.coxph_state) (
	SFUNC = churn.coxph_combine, STYPE = churn.coxph_state,
	FINALFUNC = churn.coxph_final);

--
-- coxph_state text form: version, ties, covariates per row, rows omitted,
-- then time:event:covariates per row (-0 is stored as 0)
--
SELECT pg_temp.coxph_partial(t, e, ARRAY[x, y])
  FROM (VALUES (5, true, 61, 0), (3.5, false, 42, 1), (-0.0, true, -0.0, 2.5e-300),
			   (NULL, true, 1, 1), (7, true, NULL, 1)) v(t, e, x, y);
SELECT pg_temp.coxph_partial(t, e, ARRAY[x], 'Breslow')
  FROM (VALUES (1, true, 0.1), (2, false, 1e300)) v(t, e, x);
SELECT '  v1  breslow  2  3   5:1:61,0   3.5:0:42,1  '::churn.coxph_state AS spaced,
	   'v1 efron - 4'::churn.coxph_state AS only_omitted,
	   'v1 efron 0 0 1:1: 2:0:'::churn.coxph_state AS no_covariates,
	   'v1 efron 1 0 5e-324:1:-5e-324'::churn.coxph_state AS subnormal;
SELECT churn.coxph_state_rows('v1 efron 2 3 5:1:61,0 3.5:0:42,1') AS rows_kept;
-- the final function fits a stored state: the hand-worked example of sql/cox.sql
SELECT churn.coxph_final('v1 efron 1 0 1:1:1 1:1:0 2:0:1 3:1:0 4:0:1') AS hand_model;
SELECT churn.coxph_final('v1 breslow 1 0 4:0:1 3:1:0 2:0:1 1:1:1 1:1:0')::text =
	   churn.coxph_final('v1 breslow 1 0 1:1:0 1:1:1 2:0:1 3:1:0 4:0:1')::text AS row_order_does_not_matter;
SELECT churn.coxph_final('v1 efron 1 3') IS NULL AS no_rows,
	   churn.coxph_final('v1 efron 1 0 1:0:1 2:0:0') IS NULL AS no_events;

--
-- Generated data: partial states per segment
--
SELECT setseed(0.2026);
CREATE TEMP TABLE cs AS
SELECT i, i % 7 AS seg,
	   CASE WHEN i % 97 = 0 THEN NULL ELSE floor(random() * 48) + CASE WHEN i % 3 = 0 THEN random() ELSE 0 END END AS t,
	   random() < 0.35 AS e,
	   (ARRAY['north', 'south "quoted"', 'back\slash', 'é, ü'])[1 + i % 4] AS region,
	   ARRAY[round((random() * 80 + 18)::numeric)::float8,	-- whole numbers, many ties
			 (random() < 0.3)::int,						-- 0/1: not centred
			 random() * 100 / 3,							-- 17 significant digits
			 CASE WHEN i % 50 = 0 THEN NULL ELSE (random() - 0.5) * 1e-3 END] AS x
  FROM generate_series(1, 3000) i;
-- rows with odd values for the round trips only: huge, tiny, subnormal
CREATE TEMP TABLE odd AS
SELECT * FROM (VALUES (0::float8, true, ARRAY[1e300, -1e-300, 5e-324, -0.0]::float8[]),
					  (1.7976931348623157e308, false, ARRAY[2.2250738585072014e-308, 1, 0.1, 1 / 3.0::float8]),
					  (1e-310, true, ARRAY[123456789012345680000, -9.8765432109876e-12, 4.9e-324, 7]::float8[])) v(t, e, x);

CREATE TEMP TABLE parts AS
SELECT seg, pg_temp.coxph_partial(t, e, x) AS s, pg_temp.coxph_partial(t, e, x, 'breslow') AS sb,
	   -- stratified by region, the labels of each state in its own order
	   pg_temp.coxph_partial(t, e, x, 'efron', region ORDER BY seg * i % 11) AS ss
  FROM cs GROUP BY seg;
INSERT INTO parts SELECT -1, pg_temp.coxph_partial(t, e, x), pg_temp.coxph_partial(t, e, x, 'breslow'),
	   pg_temp.coxph_partial(t, e, x, 'breslow', 'odd') FROM odd;
SELECT count(*) AS states, sum(churn.coxph_state_rows(s)) AS rows_kept,
	   bool_and(s::text::churn.coxph_state::text = s::text) AS efron_text_round_trip,
	   bool_and(sb::text::churn.coxph_state::text = sb::text) AS breslow_text_round_trip,
	   bool_and(ss::text::churn.coxph_state::text = ss::text) AS stratified_text_round_trip
  FROM parts;
-- binary COPY round trip
\copy parts TO 'results/cox_state.bin' WITH (FORMAT binary)
CREATE TEMP TABLE parts_bin (LIKE parts);
\copy parts_bin FROM 'results/cox_state.bin' WITH (FORMAT binary)
SELECT count(*) AS states, bool_and(p.s::text = b.s::text AND p.sb::text = b.sb::text
									   AND p.ss::text = b.ss::text) AS binary_round_trip
  FROM parts p JOIN parts_bin b USING (seg);

-- merging the partial states, text or binary round-tripped and in either
-- order, gives the one-pass model exactly (the fit sorts its rows)
CREATE TEMP TABLE one_pass AS
SELECT churn.coxph(t, e, x) AS m, churn.coxph(t, e, x, 'breslow') AS mb,
	   churn.coxph(t, e, x, 'efron', region) AS ms FROM cs;
SELECT (SELECT pg_temp.coxph_merge(s::text::churn.coxph_state ORDER BY seg) FROM parts WHERE seg >= 0)::text
	   = (SELECT m::text FROM one_pass) AS text_merge_equals_one_pass,
	   (SELECT pg_temp.coxph_merge(s ORDER BY seg DESC) FROM parts_bin WHERE seg >= 0)::text
	   = (SELECT m::text FROM one_pass) AS binary_merge_equals_one_pass,
	   (SELECT pg_temp.coxph_merge(sb ORDER BY seg DESC) FROM parts_bin WHERE seg >= 0)::text
	   = (SELECT mb::text FROM one_pass) AS breslow_merge_equals_one_pass,
	   (SELECT pg_temp.coxph_merge(ss::text::churn.coxph_state ORDER BY seg DESC) FROM parts WHERE seg >= 0)::text
	   = (SELECT ms::text FROM one_pass) AS stratified_merge_equals_one_pass;
SELECT s.n, s.events, s.omitted, s.iterations, s.converged, round(s.concordance::numeric, 4) AS concordance
  FROM one_pass, churn.cox_summary(m) s;

--
-- cox_model text and binary round trips
--
CREATE TEMP TABLE models AS
SELECT seg, churn.coxph(t, e, x) AS m FROM cs GROUP BY seg
UNION ALL SELECT -1, m FROM one_pass
UNION ALL SELECT -2, mb FROM one_pass
UNION ALL SELECT -3, churn.coxph(t, e, '{}') FROM cs
UNION ALL SELECT -4, ms FROM one_pass;
SELECT count(*) AS models, bool_and(m::text::churn.cox_model::text = m::text) AS text_round_trip
  FROM models;
\copy models TO 'results/cox_model.bin' WITH (FORMAT binary)
CREATE TEMP TABLE models_bin (LIKE models);
\copy models_bin FROM 'results/cox_model.bin' WITH (FORMAT binary)
SELECT count(*) AS models, bool_and(a.m::text = b.m::text) AS binary_round_trip,
	   bool_and(CASE WHEN a.seg = -3 THEN churn.relative_risk(a.m, '{}') = churn.relative_risk(b.m, '{}')
					 ELSE churn.relative_risk(a.m, '{50, 1, 10, 0}') = churn.relative_risk(b.m, '{50, 1, 10, 0}') END)
	   AS same_scores,
	   bool_and(a.seg <> -4 OR churn.predict_survival(a.m, '{50, 1, 10, 0}', 20, 'back\slash')
							 = churn.predict_survival(b.m, '{50, 1, 10, 0}', 20, 'back\slash'))
	   AS same_stratified_survival
  FROM models a JOIN models_bin b USING (seg);
-- a model stored in a table (toasted when large) reads the same
CREATE TEMP TABLE stored (id int, m churn.cox_model);
INSERT INTO stored SELECT seg, m FROM models;
SELECT bool_and(s.m::text = m.m::text) AS stored_equal,
	   bool_and(pg_column_size(s.m) < pg_column_size(m.m::text)) AS stored_smaller_than_text
  FROM stored s JOIN models m ON m.seg = s.id;

-- covariate arrays stored out of line (toasted) or compressed read the same
-- as in memory: rows of four arrays of 100 covariates, b and d cannot be
-- toasted, so the row goes over the toast threshold by moving a out of line
-- and then compressing c
CREATE TEMP TABLE wide (id int, a float8[], b float8[], c float8[], d float8[]);
ALTER TABLE wide ALTER COLUMN a SET STORAGE external, ALTER COLUMN b SET STORAGE plain,
	ALTER COLUMN c SET STORAGE main, ALTER COLUMN d SET STORAGE plain;
INSERT INTO wide
SELECT i, x, x, x, x FROM (SELECT i, ARRAY(SELECT ((i * j) % 13)::float8 / 7 + j FROM generate_series(1, 100) j) AS x
							 FROM generate_series(1, 40) i) s;
SELECT (SELECT pg_relation_size(reltoastrelid) > 0 FROM pg_class WHERE oid = 'wide'::regclass) AS a_out_of_line,
	   bool_and(pg_column_size(c) < pg_column_size(b)) AS c_compressed
  FROM wide;
SELECT (SELECT pg_temp.coxph_partial(id % 17, id % 3 <> 0, a)::text FROM wide)
	   = (SELECT pg_temp.coxph_partial(id % 17, id % 3 <> 0, a::text::float8[])::text FROM wide)
	   AS toasted_arrays_read_the_same,
	   (SELECT pg_temp.coxph_partial(id % 17, id % 3 <> 0, c)::text FROM wide)
	   = (SELECT pg_temp.coxph_partial(id % 17, id % 3 <> 0, b)::text FROM wide)
	   AS compressed_arrays_read_the_same;
SET client_min_messages = error;	-- 100 covariates on 40 rows: most are redundant
CREATE TEMP TABLE wide_model AS SELECT churn.coxph(id % 17, id % 3 <> 0, b) AS m FROM wide;
RESET client_min_messages;
SELECT count(*) AS rows,
	   bool_and(churn.relative_risk(m, a) = churn.relative_risk(m, b)
				AND churn.relative_risk(m, c) = churn.relative_risk(m, b)) AS scores_equal
  FROM wide, wide_model;
DROP TABLE wide, wide_model;

--
-- Stratified states and models: the state lists its labels (first seen
-- first) and ends each row with the index of its label; the model lists
-- the labels in byte order with the baseline steps of each
--
SELECT pg_temp.coxph_partial(t, e, ARRAY[x], 'efron', s)
  FROM (VALUES (1, true, 1, 'b "q"'), (2, false, 0, 'a\b'), (3, true, 0, 'b "q"'),
			   (4, true, 1, NULL), (5, true, 0, 'a\b')) v(t, e, x, s);
-- seven customers in strata x and y; R, coxph(Surv(t, e) ~ x + strata(s)):
-- coef -0.91262948382211484, loglik -3.1780538303479453 (null) and
-- -2.9166851031807295, concordance 2, 1, 3 (C 0.58333333333333326),
-- basehaz(fit, centered = FALSE): x 2 0.41641210294043374,
-- 4 1.12995003790883319, 6 3.62081365326986404; y 1 0.45363785915073285,
-- 7 1.45363785915073285
CREATE TEMP TABLE sm AS
SELECT churn.coxph_final('v1 efron 1 0 strata={"x","y"} 1:1:1:1 2:1:0:0 3:0:1:1 4:1:0:0 5:0:1:1 6:1:1:0 7:1:0:1') AS m;
SELECT m FROM sm;
SELECT abs(c.coef / -0.91262948382211484 - 1) < 1e-9 AS coef_ok,
	   abs(s.loglik_null - -3.1780538303479453) < 1e-12 AND abs(s.loglik - -2.9166851031807295) < 1e-12 AS loglik_ok,
	   abs(s.concordance - 0.58333333333333326) < 1e-12 AS concordance_ok
  FROM sm, churn.cox_coefficients(m) c, churn.cox_summary(m) s;
SELECT b.stratum, b.time, round(b.cumulative_hazard::numeric, 6) AS cumulative_hazard,
	   abs(b.cumulative_hazard / r.h - 1) < 1e-12 AS as_r
  FROM sm, churn.cox_baseline(m) b
  JOIN (VALUES ('x', 2, 0.41641210294043374), ('x', 4, 1.12995003790883319), ('x', 6, 3.62081365326986404),
			   ('y', 1, 0.45363785915073285), ('y', 7, 1.45363785915073285)) r(stratum, time, h)
	   USING (stratum, time)
 ORDER BY 1, 2;
-- the strata's baselines in the model, the first steps of each
SELECT ms::text ~ 'strata=\{"back\\\\slash":[0-9]+,"north":[0-9]+,"south \\"quoted\\"":[0-9]+,"é, ü":[0-9]+\}' AS labels_in_byte_order,
	   (churn.cox_summary(ms)).strata
  FROM one_pass;
SELECT stratum, min(time) AS first, count(*) AS steps FROM churn.cox_baseline((SELECT ms FROM one_pass))
 GROUP BY stratum ORDER BY stratum COLLATE "C";

--
-- Text input validation: 22P02, the message saying what is wrong
--
\set VERBOSITY terse
SELECT q, pg_temp.err(format('SELECT %L::churn.coxph_state', q))
  FROM (VALUES ('x'), ('v2 efron 1 0'), ('v1 exact 1 0'), ('v1 efron 101 0'),
			   ('v1 efron 1 -1'), ('v1 efron 1'), ('v1 efron - 0 1:1:'),
			   ('v1 efron 1 0 1:2:0'), ('v1 efron 1 0 -1:1:0'), ('v1 efron 1 0 NaN:1:0'),
			   ('v1 efron 1 0 1:1:Infinity'), ('v1 efron 2 0 1:1:1'), ('v1 efron 1 0 1:1:1,2'),
			   ('v1 efron 1 0 1e999:1:0'), ('v1 efron 1 0 1:1:1e-400'), ('v1 efron 1 0 1:1:1x'),
			   ('v1 efron 1 0 1:1:'), ('v1 efron 1 0 strata={"a","a"} 1:1:0:0'),
			   ('v1 efron 1 0 strata={"a"} 1:1:0:1'), ('v1 efron 1 0 strata={"a"} 1:1:0'),
			   ('v1 efron 1 0 strata={a} 1:1:0:0'), ('v1 efron 1 0 strata={"a} 1:1:0:0')) v(q);
\set VERBOSITY default

-- cox_model: the hand-worked model, then one mistake at a time
CREATE TEMP TABLE good AS
SELECT 'v1 ties=efron n=5 omitted=0 events=3 iterations=3 converged=true loglik_null=-3.688879454113936 loglik=-3.329463571668218 score=0.725625539257981 concordance={3,1,3,1,0} concordance_var=0.035610162432319854 coef={-1.0070001575747174} status={ok} means={0} var={1.5154268717235728} hazard={1:0.7373769861868188,3:1.4698096512083143}'::text AS t;
SELECT t::churn.cox_model::text = t AS hand_model_reads_back,
	   t::churn.cox_model::text = (SELECT churn.coxph_final('v1 efron 1 0 1:1:1 1:1:0 2:0:1 3:1:0 4:0:1')::text) AS is_the_fit
  FROM good;
\set VERBOSITY terse
SELECT what, pg_temp.err(format('SELECT %L::churn.cox_model', replace(t, a, b)))
  FROM good, (VALUES
	('version 2', 'v1 ', 'v2 '),
	('ties exact', 'ties=efron', 'ties=exact'),
	('no rows', 'n=5', 'n=0'),
	('more events than rows', 'events=3', 'events=6'),
	('21 iterations', 'iterations=3', 'iterations=21'),
	('converged maybe', 'converged=true', 'converged=maybe'),
	('NaN loglik', 'loglik=-3.329463571668218', 'loglik=NaN'),
	('infinite score', 'score=0.725625539257981', 'score=Infinity'),
	('negative count', 'concordance={3,1,3,1,0}', 'concordance={3,-1,3,1,0}'),
	('four counts', 'concordance={3,1,3,1,0}', 'concordance={3,1,3,1}'),
	('NaN variance of C', 'concordance_var=0.035610162432319854', 'concordance_var=NaN'),
	('two coefficients, one status', 'coef={-1.0070001575747174}', 'coef={-1.0070001575747174,1}'),
	('unknown status', 'status={ok}', 'status={fine}'),
	('singular with a coefficient', 'status={ok}', 'status={singular}'),
	('negative variance', 'var={1.5154268717235728}', 'var={-1.5}'),
	('hazard times not increasing', '3:1.4698096512083143', '0.5:1.4698096512083143'),
	('hazard decreasing', '3:1.4698096512083143', '3:0.5'),
	('more steps than events', '3:1.4698096512083143}', '3:1.4698096512083143,4:2,5:3}'),
	('no step', 'hazard={1:0.7373769861868188,3:1.4698096512083143}', 'hazard={}'),
	('trailing text', '1.4698096512083143}', '1.4698096512083143} x'),
	('missing field', ' omitted=0', '')) v(what, a, b)
 ORDER BY what;
-- a stratified model: labels out of order, steps not adding up
SELECT pg_temp.err($$SELECT 'v1 ties=efron n=5 omitted=0 events=3 iterations=2 converged=true loglik_null=-2.0794415416798357 loglik=-1.9 score=0.2 concordance={1,0,0,0,0} concordance_var=0 coef={0.5} status={ok} means={0} var={1} strata={"y":2,"x":1} hazard={1:0.5,2:1,4:1}'::churn.cox_model$$);
SELECT pg_temp.err($$SELECT 'v1 ties=efron n=5 omitted=0 events=3 iterations=2 converged=true loglik_null=-2.0794415416798357 loglik=-1.9 score=0.2 concordance={1,0,0,0,0} concordance_var=0 coef={0.5} status={ok} means={0} var={1} strata={"x":1,"y":1} hazard={1:0.5,2:1,4:1}'::churn.cox_model$$);
SELECT pg_temp.err($$SELECT 'v1 ties=efron n=5 omitted=0 events=3 iterations=2 converged=true loglik_null=-2.0794415416798357 loglik=-1.9 score=0.2 concordance={1,0,0,0,0} concordance_var=0 coef={0.5} status={ok} means={0} var={1} strata={"x":2,"y":1} hazard={1:0.5,2:1,4:1}'::churn.cox_model$$) AS valid;
-- an asymmetric variance
SELECT pg_temp.err($$SELECT 'v1 ties=breslow n=4 omitted=0 events=2 iterations=1 converged=true loglik_null=-2 loglik=-1.9 score=0.1 concordance={1,0,0,0,0} concordance_var=0 coef={0.5,0.25} status={ok,ok} means={0,0} var={1,0.5,0.25,1} hazard={1:0.5,2:1}'::churn.cox_model$$);
\set VERBOSITY default
-- the hint of an unknown version
SELECT 'v9 ties=efron'::churn.cox_model;

--
-- Binary input validation: 22P03
--
CREATE TEMP TABLE bad_state (s churn.coxph_state);
CREATE TEMP TABLE bad_model (m churn.cox_model);
\set VERBOSITY terse
\copy (SELECT '\x02'::bytea) TO 'results/cox_bad.bin' WITH (FORMAT binary)
\copy bad_state FROM 'results/cox_bad.bin' WITH (FORMAT binary)
\copy (SELECT '\x010500'::bytea || int4send(1) || int8send(0) || int8send(0)) TO 'results/cox_bad.bin' WITH (FORMAT binary)
\copy bad_state FROM 'results/cox_bad.bin' WITH (FORMAT binary)
\copy (SELECT '\x010104'::bytea || int4send(1) || int8send(0) || int8send(0)) TO 'results/cox_bad.bin' WITH (FORMAT binary)
\copy bad_state FROM 'results/cox_bad.bin' WITH (FORMAT binary)
\copy (SELECT '\x010100'::bytea || int4send(101) || int8send(0) || int8send(0)) TO 'results/cox_bad.bin' WITH (FORMAT binary)
\copy bad_state FROM 'results/cox_bad.bin' WITH (FORMAT binary)
\copy (SELECT '\x010100'::bytea || int4send(1) || int8send(5) || int8send(0) || float8send(1) || '\x01'::bytea || float8send(1)) TO 'results/cox_bad.bin' WITH (FORMAT binary)
\copy bad_state FROM 'results/cox_bad.bin' WITH (FORMAT binary)
\copy (SELECT '\x010100'::bytea || int4send(1) || int8send(1) || int8send(0) || float8send(1) || '\x02'::bytea || float8send(1)) TO 'results/cox_bad.bin' WITH (FORMAT binary)
\copy bad_state FROM 'results/cox_bad.bin' WITH (FORMAT binary)
\copy (SELECT '\x010100'::bytea || int4send(1) || int8send(1) || int8send(0) || float8send(-1) || '\x01'::bytea || float8send(1)) TO 'results/cox_bad.bin' WITH (FORMAT binary)
\copy bad_state FROM 'results/cox_bad.bin' WITH (FORMAT binary)
\copy (SELECT '\x010100'::bytea || int4send(1) || int8send(1) || int8send(0) || float8send(1) || '\x01'::bytea || float8send('NaN')) TO 'results/cox_bad.bin' WITH (FORMAT binary)
\copy bad_state FROM 'results/cox_bad.bin' WITH (FORMAT binary)
-- stratified: two labels "a", a stratum index past the labels
\copy (SELECT '\x010101'::bytea || int4send(1) || int8send(0) || int8send(0) || int4send(2) || int4send(1) || 'a'::bytea || int4send(1) || 'a'::bytea) TO 'results/cox_bad.bin' WITH (FORMAT binary)
\copy bad_state FROM 'results/cox_bad.bin' WITH (FORMAT binary)
\copy (SELECT '\x010101'::bytea || int4send(1) || int8send(1) || int8send(0) || int4send(1) || int4send(1) || 'a'::bytea || float8send(1) || '\x01'::bytea || float8send(1) || int4send(1)) TO 'results/cox_bad.bin' WITH (FORMAT binary)
\copy bad_state FROM 'results/cox_bad.bin' WITH (FORMAT binary)
\set VERBOSITY default
-- the model: the hand-worked model's 172 bytes with one field spoiled
CREATE TEMP TABLE good_bin AS SELECT churn.cox_model_send(t::churn.cox_model) AS b FROM good;
SELECT length(b) AS bytes FROM good_bin;
\set VERBOSITY terse
\copy (SELECT overlay(b placing '\x02' from 1 for 1) FROM good_bin) TO 'results/cox_bad.bin' WITH (FORMAT binary)
\copy bad_model FROM 'results/cox_bad.bin' WITH (FORMAT binary)
\set VERBOSITY default
\set SHOW_CONTEXT never
\copy (SELECT overlay(b placing '\x07' from 2 for 1) FROM good_bin) TO 'results/cox_bad.bin' WITH (FORMAT binary)
\copy bad_model FROM 'results/cox_bad.bin' WITH (FORMAT binary)
\copy (SELECT overlay(b placing int4send(1000000) from 8 for 4) FROM good_bin) TO 'results/cox_bad.bin' WITH (FORMAT binary)
\copy bad_model FROM 'results/cox_bad.bin' WITH (FORMAT binary)
\copy (SELECT overlay(b placing '\x05' from 124 for 1) FROM good_bin) TO 'results/cox_bad.bin' WITH (FORMAT binary)
\copy bad_model FROM 'results/cox_bad.bin' WITH (FORMAT binary)
\copy (SELECT overlay(b placing float8send(-1) from 133 for 8) FROM good_bin) TO 'results/cox_bad.bin' WITH (FORMAT binary)
\copy bad_model FROM 'results/cox_bad.bin' WITH (FORMAT binary)
\copy (SELECT overlay(b placing float8send(0.5) from 157 for 8) FROM good_bin) TO 'results/cox_bad.bin' WITH (FORMAT binary)
\copy bad_model FROM 'results/cox_bad.bin' WITH (FORMAT binary)
\set SHOW_CONTEXT errors
\set VERBOSITY terse
\copy (SELECT substr(b, 1, 164) FROM good_bin) TO 'results/cox_bad.bin' WITH (FORMAT binary)
\copy bad_model FROM 'results/cox_bad.bin' WITH (FORMAT binary)
\copy (SELECT b FROM good_bin) TO 'results/cox_bad.bin' WITH (FORMAT binary)
\copy bad_model FROM 'results/cox_bad.bin' WITH (FORMAT binary)
\set VERBOSITY default
SELECT count(*) AS loaded, bool_and(m::text = (SELECT t FROM good)) AS the_good_one FROM bad_model;

--
-- Errors of the aggregate (22023 unless said)
--
\set VERBOSITY terse
SELECT pg_temp.err($$SELECT churn.coxph(t, true, x) FROM (VALUES (1, '{1,2}'::float8[]), (2, '{1,2,3}')) v(t, x)$$) AS lengths_differ;
SELECT pg_temp.err($$SELECT churn.coxph(t, true, x) FROM (VALUES (1, '{1,NULL}'::float8[]), (2, '{1}')) v(t, x)$$) AS lengths_differ_with_null;
SELECT pg_temp.err($$SELECT churn.coxph(1, true, '{1,NaN}')$$) AS nan_covariate;
SELECT pg_temp.err($$SELECT churn.coxph(1, true, '{-Infinity}')$$) AS infinite_covariate;
SELECT pg_temp.err($$SELECT churn.coxph(-1, true, '{1}')$$) AS negative_duration;
SELECT pg_temp.err($$SELECT churn.coxph('Infinity', true, '{1}')$$) AS infinite_duration;
SELECT pg_temp.err($$SELECT churn.coxph(1, true, '{{1,2},{3,4}}')$$) AS two_dimensional;
SELECT pg_temp.err($$SELECT churn.coxph(1, true, array_fill(1::float8, ARRAY[101]))$$) AS too_many_covariates;
SELECT pg_temp.err($$SELECT churn.coxph(1, true, '{1}', NULL)$$) AS null_ties;
SELECT pg_temp.err($$SELECT churn.coxph(t, true, '{1}', CASE WHEN t = 2 THEN 'breslow' ELSE 'efron' END) FROM generate_series(1, 3) t$$) AS ties_change;
SELECT pg_temp.err($$SELECT pg_temp.coxph_merge(s) FROM (VALUES ('v1 efron 1 0 1:1:1'::churn.coxph_state), ('v1 efron 2 0 1:1:1,2')) v(s)$$) AS merge_lengths_differ;
SELECT pg_temp.err($$SELECT pg_temp.coxph_merge(s) FROM (VALUES ('v1 efron 1 0 1:1:1'::churn.coxph_state), ('v1 breslow 1 0 1:1:1')) v(s)$$) AS merge_ties_differ;
SELECT pg_temp.err($$SELECT pg_temp.coxph_merge(s) FROM (VALUES ('v1 efron 1 0 1:1:1'::churn.coxph_state), ('v1 efron 1 0 strata={"a"} 1:1:1:0')) v(s)$$) AS merge_strata_and_none;
SELECT pg_temp.err($$SELECT churn.coxph_trans(NULL, 1, true, '{1}')$$) AS trans_outside_aggregate;
SELECT pg_temp.err($$SELECT churn.coxph_combine('v1 efron - 0', 'v1 efron - 0')$$) AS combine_outside_aggregate;
\set VERBOSITY default
-- with its hint
SELECT churn.coxph(1, true, '{1}', 'exact');
SELECT churn.coxph(t, true, x) FROM (VALUES (1, '{1,2}'::float8[]), (2, '{1,2,3}')) v(t, x);
-- letter case of the ties method does not matter; a state of unknown
-- length meets any length
SELECT churn.coxph(t, t < 3, ARRAY[t % 2], 'BRESLOW')::text = churn.coxph(t, t < 3, ARRAY[t % 2], 'breslow')::text AS ties_any_case
  FROM generate_series(1, 5) t;
SELECT pg_temp.coxph_merge(s) IS NOT NULL AS unknown_length_merges
  FROM (VALUES ('v1 efron - 2'::churn.coxph_state), ('v1 efron 1 0 1:1:1 1:1:0 2:0:1 3:1:0 4:0:1')) v(s);

--
-- Errors of the readers
--
CREATE TEMP TABLE hm AS SELECT t::churn.cox_model AS m FROM good;
\set VERBOSITY terse
SELECT pg_temp.err($$SELECT churn.relative_risk(m, '{1,2}') FROM hm$$) AS wrong_length;
SELECT pg_temp.err($$SELECT churn.relative_risk(m, '{{1}}') FROM hm$$) AS two_dimensional;
SELECT pg_temp.err($$SELECT churn.predict_survival(m, '{NaN}', 1) FROM hm$$) AS nan_covariate;
SELECT pg_temp.err($$SELECT churn.predict_survival(m, '{1}', 'NaN') FROM hm$$) AS nan_time;
SELECT pg_temp.err($$SELECT churn.churn_probability(m, '{1}', 1, -1) FROM hm$$) AS negative_horizon;
SELECT pg_temp.err($$SELECT churn.churn_probability(m, '{1}', 'Infinity', 1) FROM hm$$) AS infinite_tenure;
SELECT pg_temp.err($$SELECT c.* FROM hm, churn.cox_coefficients(m, '{a,b}') c$$) AS names_wrong_length;
SELECT pg_temp.err($$SELECT churn.predict_survival(m, '{1}', 1, 'x') FROM hm$$) AS stratum_of_unstratified;
SELECT pg_temp.err($$SELECT churn.predict_survival(m, '{1}', 1) FROM sm$$) AS no_stratum;
SELECT pg_temp.err($$SELECT churn.churn_probability(m, '{1}', 1, 1, 'z') FROM sm$$) AS unknown_stratum;
-- a customer of stratum y: S(t) = exp(-H0(t))^exp(x b) of y's baseline
SELECT churn.predict_survival(m, '{1}', 3, 'y') = exp(-0.45363785915073285::float8) ^ exp(-0.91262948382211484::float8) AS y_survival_ok
  FROM sm;
\set VERBOSITY default
SELECT churn.relative_risk(m, '{1,2}') FROM hm;
-- a NULL covariate: NULL score; a time before the first event: S = 1;
-- no horizon: probability 0
SELECT churn.relative_risk(m, '{NULL}') IS NULL AS null_risk,
	   churn.predict_survival(m, '{1}', 0.5) AS before_first_event,
	   churn.predict_survival(m, '{0}', 1) = exp(-0.7373769861868188::float8) AS at_first_event,
	   churn.churn_probability(m, '{1}', 2, 0) AS no_horizon,
	   churn.relative_risk(m, '{1}') = exp(-1.0070001575747174::float8) AS risk_is_exp_coef
  FROM hm;
-- (rounded: the last digit of erfc and exp depends on the C library)
SELECT term, name, round(coef::numeric, 12) AS coef, round(exp_coef::numeric, 12) AS exp_coef,
	   round(std_error::numeric, 12) AS std_error, round(z::numeric, 12) AS z,
	   round(p_value::numeric, 12) AS p_value, round(lower_95::numeric, 12) AS lower_95,
	   round(upper_95::numeric, 12) AS upper_95
  FROM churn.cox_coefficients((SELECT m FROM hm), '{x}');
SELECT stratum, time, round(cumulative_hazard::numeric, 12) AS cumulative_hazard,
	   round(survival::numeric, 12) AS survival
  FROM churn.cox_baseline((SELECT m FROM hm));

DROP TABLE cs, odd, parts, parts_bin, one_pass, models, models_bin, stored, good, good_bin,
	bad_state, bad_model, hm, sm;
