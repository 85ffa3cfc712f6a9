--
-- survival: Kaplan-Meier curves on hand-worked cases, the survival_curve
-- type's text and binary I/O and its validation, rollup, parallel
-- aggregation and every error path.
--
SET extra_float_digits = 0;

-- Nine subjects (time, event):
--   1 event, 1 censored | 2 two events, 1 censored | 3 censored
--   4 two events | 5 event
-- By hand: S(1) = 8/9, S(2) = 8/9 * 5/7 = 40/63, S(4) = 40/63 * 1/3 = 40/189,
-- S(5) = 0.  Greenwood: sum d/(n(n-d)) = 1/72, + 2/35, + 2/3; std_error of S
-- is S * sqrt(sum).  R survfit gives the same (0.10475656017578482 at 1).
CREATE TABLE tiny (t float8, e bool);
INSERT INTO tiny VALUES (1, true), (1, false), (2, true), (2, true), (2, false),
	(3, false), (4, true), (4, true), (5, true), (NULL, true), (6, NULL);
SELECT churn.survival(t, e) FROM tiny;
SELECT p.time, p.at_risk, p.events, p.censored,
	   abs(p.survival - h.s) < 1e-15 AS survival_ok,
	   CASE WHEN h.s = 0 THEN p.std_error::text
			ELSE (abs(p.std_error - h.s * sqrt(h.g)) < 1e-15)::text END AS std_error_ok,
	   round(p.lower::numeric, 12) AS lower, round(p.upper::numeric, 12) AS upper
  FROM churn.survival_points((SELECT churn.survival(t, e) FROM tiny)) p
  JOIN (VALUES (1, 8/9.0, 1/72.0), (2, 40/63.0, 1/72.0 + 2/35.0),
			   (3, 40/63.0, 1/72.0 + 2/35.0), (4, 40/189.0, 1/72.0 + 2/35.0 + 2/3.0),
			   (5, 0, NULL)) h(time, s, g) ON h.time = p.time
 ORDER BY p.time;
-- lower bound at 1 by hand: exp(log(8/9) - 1.959963984540054 * sqrt(1/72))
SELECT round(exp(ln(8/9.0) - 1.959963984540054 * sqrt(1/72.0)), 12) AS lower_at_1;

-- median: first time with S <= 0.5 -> 4; restricted mean to 4.5 by hand:
-- 1 + 8/9 + 2 * 40/63 + 0.5 * 40/189 = 3.264550264550...
SELECT churn.median_lifetime(c) AS median,
	   abs(churn.restricted_mean_lifetime(c, 4.5) - (1 + 8/9.0 + 2 * 40/63.0 + 0.5 * 40/189.0)) < 1e-12 AS rmean_ok,
	   churn.restricted_mean_lifetime(c, 0.5) AS rmean_half,
	   churn.restricted_mean_lifetime(c, 100) = churn.restricted_mean_lifetime(c, 5) AS rmean_flat_after_zero,
	   churn.survival_at(c, -1) AS s_before, churn.survival_at(c, 0.999) AS s_0999,
	   churn.survival_at(c, 1) = 8/9.0 AS s_1, churn.survival_at(c, 3.5) = 40/63.0 AS s_35,
	   churn.survival_at(c, 'Infinity'::float8) AS s_inf
  FROM (SELECT churn.survival(t, e) AS c FROM tiny) s;

-- median when S is exactly 0.5 over an interval: R takes the midpoint
-- (times 1,2,3,4 all events: S(2) = 0.5, S(3) = 0.25 -> 2.5)
SELECT churn.median_lifetime(churn.survival(t, true)) FROM generate_series(1, 4) t;
-- ... and the time itself when S stays at 0.5 (events at 1, 2; censored 3, 4)
SELECT churn.median_lifetime(churn.survival(t, t <= 2)) FROM generate_series(1, 4) t;
-- not reached: NULL
SELECT churn.median_lifetime(churn.survival(t, t = 1)) FROM generate_series(1, 4) t;

-- censoring at the same time as events: censored subjects count as at risk
-- at that time (1: n = 5, d = 2, c = 2 -> S = 3/5; 2: n = 1, d = 1 -> 0)
SELECT time, at_risk, events, censored, survival = 3/5.0 AS s_is_3_5, survival
  FROM churn.survival_points((SELECT churn.survival(t, e)
							   FROM (VALUES (1, true), (1, true), (1, false), (1, false), (2, true)) v(t, e)));

-- all censored: S stays 1 with zero standard error and bounds (1, 1)
SELECT * FROM churn.survival_points((SELECT churn.survival(t, false) FROM generate_series(0, 2) t));
SELECT churn.median_lifetime(churn.survival(t, false)) FROM generate_series(0, 2) t;

-- single row, event at time 0: S(0) = 0; bounds undefined
SELECT * FROM churn.survival_points((SELECT churn.survival(0::float8, true)));
-- single censored row
SELECT * FROM churn.survival_points((SELECT churn.survival(2.5::numeric, false)));

-- empty input and all-NULL input give NULL, and the readers pass NULL on
SELECT churn.survival(t, e) IS NULL AS empty_null,
	   churn.median_lifetime(churn.survival(t, e)) IS NULL AS median_null
  FROM tiny WHERE false;
SELECT churn.survival(NULL::float8, true) IS NULL AS null_rows;
SELECT churn.rollup(NULL::churn.survival_curve) IS NULL AS rollup_null;

-- interval durations are in days (a month is 30 days, a year 365.25),
-- like extract(epoch from interval) / 86400
SELECT churn.survival(d, true)
  FROM (VALUES (interval '1 day 12 hours'), (interval '1 month'), (interval '1 year'),
			   (interval '1 year 1 month')) v(d);
SELECT churn.survival_at(churn.survival(d, true), interval '30 days') AS s_30d,
	   churn.restricted_mean_lifetime(churn.survival(d, true), interval '2 days') AS rmean_2d
  FROM (VALUES (interval '1 day'), (interval '3 days')) v(d);

-- whole durations too sparse for the directly indexed array at first (a few
-- rows at 5000..5002) move into it once enough rows came: the curve is
-- still one point per distinct duration, as plain SQL counts them
WITH r AS (
	SELECT g, (CASE WHEN g <= 10 THEN 5000 + g % 3 ELSE g % 100 END)::float8 AS t, g % 3 = 0 AS e
	  FROM generate_series(1, 3000) g)
SELECT (SELECT churn.survival(t, e ORDER BY g) FROM r)::text =
	   (SELECT 'v1 number 3000 ' || string_agg(t || ':' || ev || ':' || ce, ' ' ORDER BY t)
		  FROM (SELECT t, count(*) FILTER (WHERE e) AS ev, count(*) FILTER (WHERE NOT e) AS ce
				  FROM r GROUP BY t) x) AS sparse_then_dense_ok;

-- text I/O: exact shortest floats, any order of spaces
SELECT 'v1 number 3 0.1:1:0 1e300:1:1'::churn.survival_curve;
SELECT '  v1   days 2 0:0:1   7:1:0 '::churn.survival_curve;
-- subnormal durations print exactly and read back (float8in accepts them);
-- overflow stays an error
SELECT churn.survival(t, true)::text::churn.survival_curve::text = churn.survival(t, true)::text AS subnormal_round_trip,
       churn.survival(t, true)::text AS curve
  FROM (VALUES (5e-324::float8), (1e-310), (1)) v(t);
SELECT 'v1 number 1 1e400:1:0'::churn.survival_curve;
SELECT churn.survival(t, true)::text::churn.survival_curve::text = churn.survival(t, true)::text AS text_round_trip
  FROM (SELECT random() * 1000 AS t FROM generate_series(1, 1000)) s;
-- stored in a table, then read back
CREATE TABLE curves (seg int, curve churn.survival_curve);
INSERT INTO curves SELECT g % 3, churn.survival(g / 7.0, g % 5 = 0) FROM generate_series(1, 300) g GROUP BY g % 3;
SELECT seg, churn.median_lifetime(curve) FROM curves ORDER BY seg;

-- binary I/O: COPY out and in again
-- (files go to the data directory: the server may not write the build tree)
SELECT current_setting('data_directory') || '/churn_survival_curves.bin' AS bfile,
	   current_setting('data_directory') || '/churn_survival_bad.bin' AS badfile \gset
COPY curves TO :'bfile' WITH (FORMAT binary);
CREATE TABLE curves2 (LIKE curves);
COPY curves2 FROM :'bfile' WITH (FORMAT binary);
SELECT count(*) AS same FROM curves JOIN curves2 USING (seg) WHERE curves.curve::text = curves2.curve::text;

-- rollup of split curves equals the whole, also through text and binary
SELECT (SELECT churn.rollup(curve) FROM curves)::text =
	   (SELECT churn.survival(g / 7.0, g % 5 = 0) FROM generate_series(1, 300) g)::text AS rollup_whole,
	   (SELECT churn.rollup(curve::text::churn.survival_curve) FROM curves2)::text =
	   (SELECT churn.survival(g / 7.0, g % 5 = 0) FROM generate_series(1, 300) g)::text AS rollup_round_tripped;

-- invalid text input: 22P02
\set VERBOSITY sqlstate
SELECT 'x1 number 1 1:1:0'::churn.survival_curve;
SELECT 'v1 weeks 1 1:1:0'::churn.survival_curve;
SELECT 'v1 number 1 1:1'::churn.survival_curve;
SELECT 'v1 number 1 1:1:0 junk'::churn.survival_curve;
SELECT 'v1 number 0'::churn.survival_curve;
SELECT 'v1 number'::churn.survival_curve;
SELECT 'v1 number 0 1:9223372036854775807:0 2:1:0'::churn.survival_curve;
\set VERBOSITY default
SELECT 'v2 number 1 1:1:0'::churn.survival_curve;
SELECT 'v1 number 3 1:1:0 2:1:0'::churn.survival_curve;
SELECT 'v1 number 2 2:1:0 1:1:0'::churn.survival_curve;
SELECT 'v1 number 2 1:1:0 1:1:0'::churn.survival_curve;
SELECT 'v1 number 1 -1:1:0'::churn.survival_curve;
SELECT 'v1 number 1 inf:1:0'::churn.survival_curve;
SELECT 'v1 number 0 1:0:0'::churn.survival_curve;
SELECT 'v1 number 0 1:-1:1'::churn.survival_curve;
-- a missing subject count; counts whose sum overflows
SELECT 'v1 number'::churn.survival_curve;
SELECT 'v1 number 0 1:9223372036854775807:0 2:1:0'::churn.survival_curve;

-- invalid binary input: 22P03 (a binary COPY file written with lo_export)
-- version 2
SELECT lo_from_bytea(0, '\x5047434f50590aff0d0a00000000000000000000010000000e' ||
	'\x0200000000000000000100000000'::bytea) AS lo1 \gset
SELECT lo_export(:lo1, :'badfile') AS written;
COPY curves2 (curve) FROM :'badfile' WITH (FORMAT binary);
-- version 1, 1 subject, 1 point at time 1 with 2 events: counts disagree
SELECT lo_from_bytea(0, '\x5047434f50590aff0d0a000000000000000000000100000026' ||
	'\x01000000000000000001000000013ff000000000000000000000000000020000000000000000'::bytea ||
	'\xffff'::bytea) AS badlo \gset
SELECT lo_export(:badlo, :'badfile') AS written;
COPY curves2 (curve) FROM :'badfile' WITH (FORMAT binary);
-- the same value with consistent counts is accepted
SELECT lo_from_bytea(0, '\x5047434f50590aff0d0a000000000000000000000100000026' ||
	'\x01000000000000000002000000013ff000000000000000000000000000020000000000000000'::bytea ||
	'\xffff'::bytea) AS lo3 \gset
SELECT lo_export(:lo3, :'badfile') AS written;
COPY curves2 (curve) FROM :'badfile' WITH (FORMAT binary);
SELECT curve FROM curves2 WHERE seg IS NULL;
\set VERBOSITY sqlstate
SELECT lo_export(:badlo, :'badfile') AS written;
COPY curves2 (curve) FROM :'badfile' WITH (FORMAT binary);
\set VERBOSITY default
SELECT count(lo_unlink(oid)) AS unlinked FROM pg_largeobject_metadata
 WHERE oid IN (:lo1, :badlo, :lo3);

-- bad durations and arguments: 22023
SELECT churn.survival(t, true) FROM (VALUES (1::float8), (-0.5)) v(t);
SELECT churn.survival('NaN'::float8, true);
SELECT churn.survival('Infinity'::float8, false);
SELECT churn.survival('-Infinity'::numeric, true);
SELECT churn.survival(interval '1 month -31 days', true);
SELECT churn.restricted_mean_lifetime(curve, 0) FROM curves WHERE seg = 0;
SELECT churn.restricted_mean_lifetime(curve, -1) FROM curves WHERE seg = 0;
SELECT churn.restricted_mean_lifetime(curve, 'NaN'::float8) FROM curves WHERE seg = 0;
SELECT churn.restricted_mean_lifetime(curve, 'Infinity'::float8) FROM curves WHERE seg = 0;
SELECT churn.survival_at(curve, 'NaN'::float8) FROM curves WHERE seg = 0;
SELECT churn.survival_at(curve, interval '1 day') FROM curves WHERE seg = 0;
SELECT churn.rollup(c) FROM (SELECT churn.survival(1::float8, true) UNION ALL
							 SELECT churn.survival(interval '1 day', true)) v(c);
\set VERBOSITY sqlstate
SELECT churn.survival(-1::float8, true);
SELECT churn.survival('NaN'::numeric, true);
SELECT churn.restricted_mean_lifetime(curve, 0) FROM curves WHERE seg = 0;
SELECT churn.survival_at(curve, interval '1 day') FROM curves WHERE seg = 0;
SELECT churn.rollup(c) FROM (SELECT churn.survival(1::float8, true) UNION ALL
							 SELECT churn.survival(interval '1 day', true)) v(c);
\set VERBOSITY default
-- support functions refuse to run outside an aggregate
SELECT churn.survival_combine(NULL, NULL);

DROP TABLE tiny, curves, curves2;
