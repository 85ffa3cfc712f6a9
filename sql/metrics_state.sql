--
-- metrics_state: the transition states of nps, conversion_rate,
-- value_churn_rate and arpu are real types (what Citus ships between nodes
-- through their text output and input).  Every intermediate state must
-- round-trip exactly through text and binary, input must be validated, and
-- combining round-tripped partial states must give the one-pass result.
--
-- (extra_float_digits stays at its default here: float8 customers must
-- round-trip through text exactly with it.)

-- err(query): runs a query and prints "SQLSTATE: message" of its error.
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	RETURN sqlstate || ': ' || sqlerrm;
END
$$;

-- Aggregates returning the partial state, and merging states, built from
-- the extension's own support functions.
CREATE AGGREGATE pg_temp.nps_partial(int) (
	SFUNC = churn.nps_trans, STYPE = churn.nps_state, INITCOND = '(0,0,0)');
CREATE AGGREGATE pg_temp.nps_merge(churn.nps_state) (
	SFUNC = churn.nps_combine, STYPE = churn.nps_state, INITCOND = '(0,0,0)',
	FINALFUNC = churn.nps_final);
CREATE AGGREGATE pg_temp.conversion_partial(bool) (
	SFUNC = churn.conversion_trans, STYPE = churn.conversion_state, INITCOND = '(0,0)');
CREATE AGGREGATE pg_temp.conversion_merge(churn.conversion_state) (
	SFUNC = churn.conversion_combine, STYPE = churn.conversion_state, INITCOND = '(0,0)',
	FINALFUNC = churn.conversion_final);
CREATE AGGREGATE pg_temp.value_churn_partial(numeric, numeric, numeric) (
	SFUNC = churn.value_churn_trans, STYPE = churn.value_churn_state, INITCOND = '(0,0)');
CREATE AGGREGATE pg_temp.value_churn_merge(churn.value_churn_state) (
	SFUNC = churn.value_churn_combine, STYPE = churn.value_churn_state, INITCOND = '(0,0)',
	FINALFUNC = churn.value_churn_final);
CREATE AGGREGATE pg_temp.arpu_partial(numeric, anyelement) (
	SFUNC = churn.arpu_trans, STYPE = churn.arpu_state);
CREATE AGGREGATE pg_temp.arpu_merge(churn.arpu_state) (
	SFUNC = churn.arpu_combine, STYPE = churn.arpu_state,
	FINALFUNC = churn.arpu_final);

--
-- Text forms, by hand
--
SELECT '(3,2,1)'::churn.nps_state AS nps, ' ( 3 , 2 , 1 ) '::churn.nps_state AS spaced,
       '(5,10)'::churn.conversion_state AS conversion,
       '(0,0)'::churn.value_churn_state AS value_churn;
SELECT churn.nps_final('(3,2,1)') AS nps_3_2_1,
       churn.conversion_final('(5,10)') AS conversion_5_10,
       churn.value_churn_final('(0,0)') AS value_churn_empty;
-- near the bigint limit the exact NPS, 100 * (p - d) / (p + d) with
-- p = 922337203685477507 and d = 1, is 100 - 2.2e-16, whose nearest float8
-- is 100 (the rounded quotient once came out above 100); the same mirrored
SELECT churn.nps_final('(922337203685477507,0,1)') AS nps_near_limit,
       churn.nps_final('(1,0,922337203685477507)') AS nps_near_limit_negative;
-- the transition functions called directly return a new state
SELECT churn.nps_trans(churn.nps_trans('(0,0,0)', 9), 3) AS nps,
       churn.nps_inv('(1,0,1)', 3) AS nps_inv,
       churn.conversion_trans(churn.conversion_trans('(0,0)', true), false) AS conversion,
       churn.value_churn_trans('(0,0)', 150, 50, 100) AS value_churn,
       churn.nps_combine('(1,2,3)', '(10,20,30)') AS nps_combined;
-- arpu: version, customer type, revenue total, customers in first-seen
-- order; quotes and backslashes escaped
SELECT churn.arpu_trans(churn.arpu_trans(churn.arpu_trans(NULL, 10.5, 42::bigint),
                                         2, 7::bigint), NULL, 42::bigint) AS bigint_state;
SELECT churn.arpu_trans(churn.arpu_trans(NULL, 1, 'say "hi"'::text), 2, 'back\slash, {x}'::text) AS text_state;
SELECT churn.arpu_trans(NULL, 1, NULL::date) AS no_customer_yet;
SELECT s::text, churn.arpu_state_customers(s) AS customers, churn.arpu_state_revenue(s) AS revenue,
       churn.arpu_final(s) AS arpu
  FROM (SELECT '1 "bigint" 30 {"1","2","3"}'::churn.arpu_state) v(s);
SELECT '1 "pg_catalog.text" 0 {}'::churn.arpu_state AS empty_text_state,
       churn.arpu_final('1 "pg_catalog.text" 0 {}') AS arpu_of_empty;

--
-- Binary forms: a version byte, then big-endian counts
--
SELECT churn.nps_state_send('(3,2,1)')
       = '\x01'::bytea || int8send(3) || int8send(2) || int8send(1) AS nps_send_ok,
       churn.conversion_state_send('(5,10)')
       = '\x01'::bytea || int8send(5) || int8send(10) AS conversion_send_ok;
SELECT churn.arpu_state_send('1 "bigint" 12.5 {"7"}')
       = '\x01'::bytea || int4send(6) || convert_to('bigint', 'UTF8')
         || int4send(length(numeric_send(12.5))) || numeric_send(12.5)
         || int4send(1) || int4send(8) || int8send(7) AS arpu_send_ok;

--
-- Generated data, partial states per segment
--
SELECT setseed(0.2024);
CREATE TEMP TABLE st AS
SELECT i,
       (i % 10) AS seg,
       CASE WHEN random() < 0.05 THEN NULL ELSE floor(random() * 11)::int END AS score,
       CASE WHEN random() < 0.05 THEN NULL ELSE random() < 0.1 END AS converted,
       round((random() * 200)::numeric, 2) AS arpu_before,
       round((random() * 200)::numeric, 2) AS arpu_after,
       CASE WHEN random() < 0.03 THEN NULL ELSE round((random() * 500)::numeric, 3) END AS revenue,
       floor(random() * 500)::bigint AS customer
  FROM generate_series(1, 5000) i;
-- customers stored compressed (long, repetitive text) and out of line
ALTER TABLE st ADD COLUMN customer_long text;
UPDATE st SET customer_long = repeat('z', 3000) || customer;
SELECT count(*) FILTER (WHERE pg_column_size(customer_long) < 3000) > 0 AS some_compressed FROM st;

CREATE TEMP TABLE parts AS
SELECT seg,
       pg_temp.nps_partial(score) AS nps,
       pg_temp.conversion_partial(converted) AS conversion,
       pg_temp.value_churn_partial(arpu_before, arpu_after, 100) AS value_churn,
       pg_temp.arpu_partial(revenue, customer) AS arpu_int8,
       -- awkward text: quotes, backslashes, commas, braces, spaces, non-ASCII
       pg_temp.arpu_partial(revenue, 'c "' || customer || E'\\,{ } é') AS arpu_text,
       -- floats that need 17 significant digits
       pg_temp.arpu_partial(revenue, customer / 7.0::float8 + 1e-9) AS arpu_float8,
       pg_temp.arpu_partial(revenue, timestamptz '2024-01-01 00:00:00.123456+00' + customer * interval '1 second') AS arpu_timestamptz,
       -- by reference, 16 bytes aligned on double; numeric varlena
       pg_temp.arpu_partial(revenue, make_interval(secs => customer / 3.0)) AS arpu_interval,
       pg_temp.arpu_partial(revenue, customer / 4.0) AS arpu_numeric,
       -- values over 1 kB (kept outside the arena), compressed values
       pg_temp.arpu_partial(revenue, repeat('y', 1500) || customer) AS arpu_big,
       pg_temp.arpu_partial(revenue, customer_long) AS arpu_long
  FROM st
 GROUP BY seg;

-- one-pass results with the real aggregates
CREATE TEMP TABLE one_pass AS
SELECT churn.nps(score) AS nps,
       churn.conversion_rate(converted) AS conversion,
       churn.value_churn_rate(arpu_before, arpu_after, 100) AS value_churn,
       churn.arpu(revenue, customer) AS arpu
  FROM st;

-- text round trip is the identity on every partial state
SELECT count(*) AS states,
       bool_and(nps::text::churn.nps_state::text = nps::text) AS nps_text,
       bool_and(conversion::text::churn.conversion_state::text = conversion::text) AS conversion_text,
       bool_and(value_churn::text::churn.value_churn_state::text = value_churn::text) AS value_churn_text,
       bool_and(arpu_int8::text::churn.arpu_state::text = arpu_int8::text) AS arpu_int8_text,
       bool_and(arpu_text::text::churn.arpu_state::text = arpu_text::text) AS arpu_text_text,
       bool_and(arpu_float8::text::churn.arpu_state::text = arpu_float8::text) AS arpu_float8_text,
       bool_and(arpu_timestamptz::text::churn.arpu_state::text = arpu_timestamptz::text) AS arpu_timestamptz_text,
       bool_and(arpu_interval::text::churn.arpu_state::text = arpu_interval::text) AS arpu_interval_text,
       bool_and(arpu_numeric::text::churn.arpu_state::text = arpu_numeric::text) AS arpu_numeric_text,
       bool_and(arpu_big::text::churn.arpu_state::text = arpu_big::text) AS arpu_big_text,
       bool_and(arpu_long::text::churn.arpu_state::text = arpu_long::text) AS arpu_long_text
  FROM parts;

-- combine(text-round-tripped partials) = one-pass result, for every type of
-- customer (the merge runs in arbitrary segment order)
SELECT pg_temp.nps_merge(p.nps::text::churn.nps_state) = o.nps AS nps_ok,
       pg_temp.conversion_merge(p.conversion::text::churn.conversion_state) = o.conversion AS conversion_ok,
       pg_temp.value_churn_merge(p.value_churn::text::churn.value_churn_state) = o.value_churn AS value_churn_ok,
       pg_temp.arpu_merge(p.arpu_int8::text::churn.arpu_state) = o.arpu AS arpu_int8_ok,
       pg_temp.arpu_merge(p.arpu_text::text::churn.arpu_state) = o.arpu AS arpu_text_ok,
       pg_temp.arpu_merge(p.arpu_float8::text::churn.arpu_state) = o.arpu AS arpu_float8_ok,
       pg_temp.arpu_merge(p.arpu_timestamptz::text::churn.arpu_state) = o.arpu AS arpu_timestamptz_ok,
       pg_temp.arpu_merge(p.arpu_interval::text::churn.arpu_state) = o.arpu AS arpu_interval_ok,
       pg_temp.arpu_merge(p.arpu_numeric::text::churn.arpu_state) = o.arpu AS arpu_numeric_ok,
       pg_temp.arpu_merge(p.arpu_big::text::churn.arpu_state) = o.arpu AS arpu_big_ok,
       pg_temp.arpu_merge(p.arpu_long::text::churn.arpu_state) = o.arpu AS arpu_long_ok
  FROM parts p, one_pass o
 GROUP BY o.nps, o.conversion, o.value_churn, o.arpu;
-- and the one-pass results agree with plain SQL
SELECT o.nps = 100.0::float8 * (count(*) FILTER (WHERE score >= 9) - count(*) FILTER (WHERE score <= 6))
               / count(score) AS nps_ok,
       o.conversion = count(*) FILTER (WHERE converted)::float8 / count(converted) AS conversion_ok,
       o.value_churn = count(*) FILTER (WHERE arpu_before >= 100 AND arpu_after < 100)::float8
                       / count(*) FILTER (WHERE arpu_before >= 100) AS value_churn_ok,
       o.arpu = sum(revenue) / count(DISTINCT customer) AS arpu_ok
  FROM st, one_pass o
 GROUP BY o.nps, o.conversion, o.value_churn, o.arpu;

-- binary round trip: COPY the partial states out and back in binary format
\copy parts TO 'results/metrics_state.bin' WITH (FORMAT binary)
CREATE TEMP TABLE parts_bin (LIKE parts);
\copy parts_bin FROM 'results/metrics_state.bin' WITH (FORMAT binary)
SELECT count(*) AS states,
       bool_and(b.nps::text = p.nps::text) AS nps_bin,
       bool_and(b.conversion::text = p.conversion::text) AS conversion_bin,
       bool_and(b.value_churn::text = p.value_churn::text) AS value_churn_bin,
       bool_and(b.arpu_int8::text = p.arpu_int8::text) AS arpu_int8_bin,
       bool_and(b.arpu_text::text = p.arpu_text::text) AS arpu_text_bin,
       bool_and(b.arpu_float8::text = p.arpu_float8::text) AS arpu_float8_bin,
       bool_and(b.arpu_timestamptz::text = p.arpu_timestamptz::text) AS arpu_timestamptz_bin,
       bool_and(b.arpu_interval::text = p.arpu_interval::text) AS arpu_interval_bin,
       bool_and(b.arpu_numeric::text = p.arpu_numeric::text) AS arpu_numeric_bin,
       bool_and(b.arpu_big::text = p.arpu_big::text) AS arpu_big_bin,
       bool_and(b.arpu_long::text = p.arpu_long::text) AS arpu_long_bin,
       bool_and(churn.arpu_state_send(b.arpu_float8) = churn.arpu_state_send(p.arpu_float8)) AS arpu_float8_send_identical
  FROM parts p JOIN parts_bin b USING (seg);
SELECT pg_temp.nps_merge(p.nps) = o.nps AS nps_ok,
       pg_temp.conversion_merge(p.conversion) = o.conversion AS conversion_ok,
       pg_temp.value_churn_merge(p.value_churn) = o.value_churn AS value_churn_ok,
       pg_temp.arpu_merge(p.arpu_int8) = o.arpu AS arpu_int8_ok,
       pg_temp.arpu_merge(p.arpu_text) = o.arpu AS arpu_text_ok,
       pg_temp.arpu_merge(p.arpu_float8) = o.arpu AS arpu_float8_ok,
       pg_temp.arpu_merge(p.arpu_timestamptz) = o.arpu AS arpu_timestamptz_ok,
       pg_temp.arpu_merge(p.arpu_interval) = o.arpu AS arpu_interval_ok,
       pg_temp.arpu_merge(p.arpu_numeric) = o.arpu AS arpu_numeric_ok,
       pg_temp.arpu_merge(p.arpu_big) = o.arpu AS arpu_big_ok,
       pg_temp.arpu_merge(p.arpu_long) = o.arpu AS arpu_long_ok
  FROM parts_bin p, one_pass o
 GROUP BY o.nps, o.conversion, o.value_churn, o.arpu;

-- customer types whose names or values need care: char(n) (whose bare
-- SQL name "character" would mean character(1)), "char", name, an enum,
-- arrays, ranges, bytea, jsonb.  A char(n), "char" or name argument
-- resolves to the text overload of arpu_trans (or is ambiguous between it
-- and the polymorphic one), so states of those types are made by an
-- aggregate declared over anyelement, which runs the polymorphic
-- arpu_trans: such states exist (1.0 made them, and the text input reads
-- them) and must still round-trip.
CREATE TYPE metrics_tier AS ENUM ('gold', 'silver');
CREATE AGGREGATE pg_temp.arpu_any(numeric, anyelement) (
	SFUNC = churn.arpu_trans, STYPE = churn.arpu_state);
CREATE TEMP TABLE odd AS
SELECT * FROM (VALUES
	('bpchar', (SELECT pg_temp.arpu_any(r, c) FROM (VALUES (1, 'a'::char(3)), (2, 'a  '::char(3))) v(r, c))),
	('char', (SELECT pg_temp.arpu_any(1, 'x'::"char"))),
	('name', (SELECT pg_temp.arpu_any(1, 'x'::name))),
	('enum', churn.arpu_trans(churn.arpu_trans(NULL, 1, 'gold'::metrics_tier), 2, 'silver'::metrics_tier)),
	('array', churn.arpu_trans(NULL, 1, '{1,2}'::int[])),
	('range', churn.arpu_trans(NULL, 1, '[1,3)'::int4range)),
	('bytea', churn.arpu_trans(NULL, 1, '\x00ff'::bytea)),
	('jsonb', churn.arpu_trans(NULL, 1, '{"a": [1, "x"]}'::jsonb))) v(kind, s);
SELECT kind, s, s::text::churn.arpu_state::text = s::text AS text_round_trip
  FROM odd ORDER BY kind;
\copy odd TO 'results/metrics_state.bin' WITH (FORMAT binary)
CREATE TEMP TABLE odd_bin (LIKE odd);
\copy odd_bin FROM 'results/metrics_state.bin' WITH (FORMAT binary)
SELECT count(*) AS states, bool_and(b.s::text = o.s::text) AS binary_round_trip
  FROM odd o JOIN odd_bin b USING (kind);

-- combine edge cases: NULL sides, and states of different customer types
SELECT churn.arpu_combine(NULL, '1 "bigint" 5 {"1"}') AS left_null,
       churn.arpu_combine('1 "bigint" 5 {"1"}', NULL) AS right_null,
       churn.arpu_combine(NULL, NULL) IS NULL AS both_null,
       churn.arpu_combine('1 "bigint" 5 {"1","2"}', '1 "bigint" 7 {"2","3"}') AS overlapping;
SELECT pg_temp.err($$SELECT churn.arpu_combine('1 "bigint" 5 {"1"}', '1 "pg_catalog.text" 5 {"1"}')$$);
SELECT pg_temp.err($$SELECT churn.arpu_trans('1 "bigint" 5 {"1"}', 1, 'x'::text)$$);
-- counter overflow when combining (22003)
SELECT pg_temp.err($$SELECT churn.nps_combine('(9223372036854775807,0,0)', '(1,0,0)')$$);
-- (the largest total that fits is fine)
SELECT pg_temp.err($$SELECT churn.nps_combine('(9223372036854775806,0,0)', '(0,1,0)')$$);
SELECT pg_temp.err($$SELECT churn.conversion_combine('(0,9223372036854775807)', '(0,1)')$$);
-- inverse of something never added (22023)
SELECT pg_temp.err($$SELECT churn.nps_inv('(0,0,0)', 10)$$);
SELECT pg_temp.err($$SELECT churn.conversion_inv('(0,1)', true)$$);
SELECT pg_temp.err($$SELECT churn.value_churn_inv('(0,0)', 150, 50, 100)$$);

--
-- Bad text (22P02)
--
SELECT pg_temp.err($$SELECT ''::churn.nps_state$$);
SELECT pg_temp.err($$SELECT '(1,2)'::churn.nps_state$$);
SELECT pg_temp.err($$SELECT '(1,2,3,4)'::churn.nps_state$$);
SELECT pg_temp.err($$SELECT '(1,-2,3)'::churn.nps_state$$);
SELECT pg_temp.err($$SELECT '(1,+2,3)'::churn.nps_state$$);
SELECT pg_temp.err($$SELECT '(a,b,c)'::churn.nps_state$$);
SELECT pg_temp.err($$SELECT '(1,2,3)x'::churn.nps_state$$);
SELECT pg_temp.err($$SELECT '(99999999999999999999,0,0)'::churn.nps_state$$);
SELECT pg_temp.err($$SELECT '(9223372036854775807,1,0)'::churn.nps_state$$);
SELECT pg_temp.err($$SELECT '(3,2)'::churn.conversion_state$$);
SELECT pg_temp.err($$SELECT '(1)'::churn.conversion_state$$);
SELECT pg_temp.err($$SELECT '(1,-2)'::churn.value_churn_state$$);
SELECT pg_temp.err($$SELECT ''::churn.arpu_state$$);
SELECT pg_temp.err($$SELECT '2 "bigint" 1 {}'::churn.arpu_state$$);
SELECT pg_temp.err($$SELECT '1 bigint 1 {}'::churn.arpu_state$$);
SELECT pg_temp.err($$SELECT '1 "no_such_type" 1 {}'::churn.arpu_state$$);
SELECT pg_temp.err($$SELECT '1 "bigint" {}'::churn.arpu_state$$);
SELECT pg_temp.err($$SELECT '1 "bigint" x {}'::churn.arpu_state$$);
SELECT pg_temp.err($$SELECT '1 "bigint" 1 {"1","1"}'::churn.arpu_state$$);
SELECT pg_temp.err($$SELECT '1 "bigint" 1 {"x"}'::churn.arpu_state$$);
SELECT pg_temp.err($$SELECT '1 "bigint" 1 {"1"'::churn.arpu_state$$);
SELECT pg_temp.err($$SELECT '1 "bigint" 1 {"1",}'::churn.arpu_state$$);
SELECT pg_temp.err($$SELECT '1 "bigint" 1 {"1"} '::churn.arpu_state$$);
SELECT pg_temp.err($$SELECT '1 "point" 1 {}'::churn.arpu_state$$);
-- the full message of one, with its detail
SELECT '1 "bigint" 1 {"1","1"}'::churn.arpu_state;

--
-- Bad binary (22P03), fed to the receive functions by binary COPY: the
-- binary COPY of a bytea field is its raw bytes, so a payload written out
-- as bytea is read back as the state type.
--
CREATE TEMP TABLE bad_nps (s churn.nps_state);
CREATE TEMP TABLE bad_conversion (s churn.conversion_state);
CREATE TEMP TABLE bad_value_churn (s churn.value_churn_state);
CREATE TEMP TABLE bad_arpu (s churn.arpu_state);
\set VERBOSITY sqlstate
-- a good payload loads
\copy (SELECT '\x01'::bytea || int8send(3) || int8send(2) || int8send(1)) TO 'results/metrics_bad.bin' WITH (FORMAT binary)
\copy bad_nps FROM 'results/metrics_bad.bin' WITH (FORMAT binary)
SELECT s FROM bad_nps;
-- too short
\copy (SELECT '\x01'::bytea || int8send(3)) TO 'results/metrics_bad.bin' WITH (FORMAT binary)
\copy bad_nps FROM 'results/metrics_bad.bin' WITH (FORMAT binary)
-- unknown version
\copy (SELECT '\x02'::bytea || int8send(3) || int8send(2) || int8send(1)) TO 'results/metrics_bad.bin' WITH (FORMAT binary)
\copy bad_nps FROM 'results/metrics_bad.bin' WITH (FORMAT binary)
-- negative count
\copy (SELECT '\x01'::bytea || int8send(3) || int8send(-2) || int8send(1)) TO 'results/metrics_bad.bin' WITH (FORMAT binary)
\copy bad_nps FROM 'results/metrics_bad.bin' WITH (FORMAT binary)
-- hits above total
\copy (SELECT '\x01'::bytea || int8send(3) || int8send(2)) TO 'results/metrics_bad.bin' WITH (FORMAT binary)
\copy bad_conversion FROM 'results/metrics_bad.bin' WITH (FORMAT binary)
-- too long
\copy (SELECT '\x01'::bytea || int8send(1) || int8send(2) || int8send(3)) TO 'results/metrics_bad.bin' WITH (FORMAT binary)
\copy bad_conversion FROM 'results/metrics_bad.bin' WITH (FORMAT binary)
-- unknown version
\copy (SELECT '\x00'::bytea || int8send(1) || int8send(2)) TO 'results/metrics_bad.bin' WITH (FORMAT binary)
\copy bad_value_churn FROM 'results/metrics_bad.bin' WITH (FORMAT binary)
-- a good one loads
\copy (SELECT '\x01'::bytea || int8send(1) || int8send(2)) TO 'results/metrics_bad.bin' WITH (FORMAT binary)
\copy bad_value_churn FROM 'results/metrics_bad.bin' WITH (FORMAT binary)
SELECT s FROM bad_value_churn;
-- arpu: a good payload loads
\copy (SELECT '\x01'::bytea || int4send(6) || convert_to('bigint', 'UTF8') || int4send(length(numeric_send(12.5))) || numeric_send(12.5) || int4send(2) || int4send(8) || int8send(7) || int4send(8) || int8send(8)) TO 'results/metrics_bad.bin' WITH (FORMAT binary)
\copy bad_arpu FROM 'results/metrics_bad.bin' WITH (FORMAT binary)
SELECT s FROM bad_arpu;
-- arpu: empty
\copy (SELECT ''::bytea) TO 'results/metrics_bad.bin' WITH (FORMAT binary)
\copy bad_arpu FROM 'results/metrics_bad.bin' WITH (FORMAT binary)
-- arpu: unknown version
\copy (SELECT '\x09'::bytea || int4send(6) || convert_to('bigint', 'UTF8')) TO 'results/metrics_bad.bin' WITH (FORMAT binary)
\copy bad_arpu FROM 'results/metrics_bad.bin' WITH (FORMAT binary)
-- arpu: type name length beyond the message
\copy (SELECT '\x01'::bytea || int4send(600) || convert_to('bigint', 'UTF8')) TO 'results/metrics_bad.bin' WITH (FORMAT binary)
\copy bad_arpu FROM 'results/metrics_bad.bin' WITH (FORMAT binary)
-- arpu: unknown type
\copy (SELECT '\x01'::bytea || int4send(5) || convert_to('nosuc', 'UTF8') || int4send(length(numeric_send(1))) || numeric_send(1) || int4send(0)) TO 'results/metrics_bad.bin' WITH (FORMAT binary)
\copy bad_arpu FROM 'results/metrics_bad.bin' WITH (FORMAT binary)
-- arpu: truncated before the customer count
\copy (SELECT '\x01'::bytea || int4send(6) || convert_to('bigint', 'UTF8') || int4send(length(numeric_send(1))) || numeric_send(1)) TO 'results/metrics_bad.bin' WITH (FORMAT binary)
\copy bad_arpu FROM 'results/metrics_bad.bin' WITH (FORMAT binary)
-- arpu: negative customer count
\copy (SELECT '\x01'::bytea || int4send(6) || convert_to('bigint', 'UTF8') || int4send(length(numeric_send(1))) || numeric_send(1) || int4send(-1)) TO 'results/metrics_bad.bin' WITH (FORMAT binary)
\copy bad_arpu FROM 'results/metrics_bad.bin' WITH (FORMAT binary)
-- arpu: more customers announced than sent
\copy (SELECT '\x01'::bytea || int4send(6) || convert_to('bigint', 'UTF8') || int4send(length(numeric_send(1))) || numeric_send(1) || int4send(2) || int4send(8) || int8send(7)) TO 'results/metrics_bad.bin' WITH (FORMAT binary)
\copy bad_arpu FROM 'results/metrics_bad.bin' WITH (FORMAT binary)
-- arpu: a customer of the wrong length (4 bytes for a bigint)
\copy (SELECT '\x01'::bytea || int4send(6) || convert_to('bigint', 'UTF8') || int4send(length(numeric_send(1))) || numeric_send(1) || int4send(1) || int4send(4) || int4send(7)) TO 'results/metrics_bad.bin' WITH (FORMAT binary)
\copy bad_arpu FROM 'results/metrics_bad.bin' WITH (FORMAT binary)
-- arpu: the same customer twice
\copy (SELECT '\x01'::bytea || int4send(6) || convert_to('bigint', 'UTF8') || int4send(length(numeric_send(1))) || numeric_send(1) || int4send(2) || int4send(8) || int8send(7) || int4send(8) || int8send(7)) TO 'results/metrics_bad.bin' WITH (FORMAT binary)
\copy bad_arpu FROM 'results/metrics_bad.bin' WITH (FORMAT binary)
-- arpu: trailing bytes
\copy (SELECT '\x01'::bytea || int4send(6) || convert_to('bigint', 'UTF8') || int4send(length(numeric_send(1))) || numeric_send(1) || int4send(0) || '\x00'::bytea) TO 'results/metrics_bad.bin' WITH (FORMAT binary)
\copy bad_arpu FROM 'results/metrics_bad.bin' WITH (FORMAT binary)
\set VERBOSITY default
-- the messages of two of them
\copy bad_arpu FROM 'results/metrics_bad.bin' WITH (FORMAT binary)
\copy (SELECT '\x02'::bytea || int8send(3) || int8send(2) || int8send(1)) TO 'results/metrics_bad.bin' WITH (FORMAT binary)
\copy bad_nps FROM 'results/metrics_bad.bin' WITH (FORMAT binary)
SELECT count(*) AS loaded FROM bad_arpu;
DROP TABLE odd, odd_bin;
DROP TYPE metrics_tier;
