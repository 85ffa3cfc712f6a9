--
-- value_models_state: the states and models of the predicted value models
-- are real types (churn.rfm_state, churn.bgnbd_state,
-- churn.gamma_gamma_state, churn.bgnbd_model, churn.gamma_gamma_model,
-- churn.sbg_model): text and binary round trips are exact, input is
-- validated, partial states merge into the one-pass result; and the errors
-- of the aggregates and scoring functions, with their SQLSTATEs.
--
-- (extra_float_digits stays at its default: the text forms must round-trip
-- exactly with it.)

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
CREATE AGGREGATE pg_temp.rfm_partial(date, float8, date, interval) (
	SFUNC = churn.rfm_trans, STYPE = churn.rfm_state);
CREATE AGGREGATE pg_temp.rfm_merge(churn.rfm_state) (
	SFUNC = churn.rfm_combine, STYPE = churn.rfm_state, FINALFUNC = churn.rfm_final);
CREATE AGGREGATE pg_temp.bgnbd_partial(int, float8, float8) (
	SFUNC = churn.bgnbd_trans, STYPE = churn.bgnbd_state);
CREATE AGGREGATE pg_temp.bgnbd_merge(churn.bgnbd_state) (
	SFUNC = churn.bgnbd_combine, STYPE = churn.bgnbd_state, FINALFUNC = churn.bgnbd_final);
CREATE AGGREGATE pg_temp.gamma_gamma_partial(int, float8) (
	SFUNC = churn.gamma_gamma_trans, STYPE = churn.gamma_gamma_state);
CREATE AGGREGATE pg_temp.gamma_gamma_merge(churn.gamma_gamma_state) (
	SFUNC = churn.gamma_gamma_combine, STYPE = churn.gamma_gamma_state,
	FINALFUNC = churn.gamma_gamma_final);

--
-- Text forms, by hand
--
SELECT 'v1 3 0:0:5:2 2:1.5:5:1'::churn.bgnbd_state AS bgnbd_state,
       '  v1  3  0:0:5:2   2:1.5:5:1 '::churn.bgnbd_state AS spaced,
       'v1 2 1:10.5:1 3:7:1'::churn.gamma_gamma_state AS gamma_gamma_state;
-- rfm_state: purchases in any order in, sorted by date and amount out
SELECT 'v1 2024-01-31 7 2024-01-05:3 2024-01-01:10.5 2024-01-01:-2 2024-02-03:4'::churn.rfm_state AS rfm_state;
SELECT (churn.rfm_final('v1 2024-01-31 7 2024-01-05:3 2024-01-01:10.5 2024-01-01:-2 2024-01-15:4.5 2024-01-15:1 2024-02-03:4')).*;
-- the same purchases as rows; a row with a NULL date or amount is skipped
SELECT (churn.rfm(d, v, date '2024-01-31', '7 days')).*
  FROM (VALUES (date '2024-01-15', 4.5), ('2024-01-01', 10.5), ('2024-01-05', 3), ('2024-02-03', 4),
               ('2024-01-01', -2), ('2024-01-15', 1), (NULL, 100), ('2024-01-20', NULL)) v(d, v);
SELECT pg_temp.rfm_partial(d, v, date '2024-01-31', '1 month')
  FROM (VALUES (date '2024-01-15', 4.5), ('2024-01-01', 10.5)) v(d, v);
-- models: given parameters, or fitted with their statistics
SELECT 'v1 r=0.243 alpha=4.414 a=0.793 b=2.426'::churn.bgnbd_model AS given,
       churn.bgnbd_model(0.243, 4.414, 0.793, 2.426)::text
       = 'v1 r=0.243 alpha=4.414 a=0.793 b=2.426' AS constructor_same,
       'v1 p=6.25 q=3.74 gamma=15.44'::churn.gamma_gamma_model AS gamma_gamma,
       churn.sbg_model(0.704, 1.182) AS sbg;
SELECT 'v1 r=1 alpha=2 a=3 b=4 log_likelihood=-10.5 customers=7 iterations=3'::churn.bgnbd_model AS fitted;
SELECT * FROM churn.bgnbd_params('v1 r=0.243 alpha=4.414 a=0.793 b=2.426');
SELECT * FROM churn.gamma_gamma_params('v1 p=6.25 q=3.74 gamma=15.44 log_likelihood=-4055.9 customers=946 iterations=9');
SELECT * FROM churn.sbg_params(churn.sbg_model(0.704, 1.182));
-- a model given by hand scores like a fitted one
SELECT round(churn.p_alive('v1 r=0.243 alpha=4.414 a=0.793 b=2.426', 2, 30.43, 38.86)::numeric, 4) AS p_alive,
       round(churn.expected_purchases('v1 r=0.243 alpha=4.414 a=0.793 b=2.426', 39, 2, 30.43, 38.86)::numeric, 4) AS expected,
       round(churn.expected_value('v1 p=6.25 q=3.74 gamma=15.44', 2, 22.35)::numeric, 4) AS expected_value;

--
-- Binary forms
--
SELECT churn.bgnbd_state_send('v1 3 0:0:5:2 2:1.5:5:1')
       = '\x01'::bytea || int8send(3) || int4send(2)
         || int4send(0) || float8send(0) || float8send(5) || int8send(2)
         || int4send(2) || float8send(1.5) || float8send(5) || int8send(1) AS bgnbd_state_send_ok,
       churn.gamma_gamma_state_send('v1 2 1:10.5:1 3:7:1')
       = '\x01'::bytea || int8send(2) || int4send(2)
         || int4send(1) || float8send(10.5) || int8send(1)
         || int4send(3) || float8send(7) || int8send(1) AS gamma_gamma_state_send_ok,
       churn.rfm_state_send('v1 2024-01-31 7 2024-01-05:3 2024-01-01:10.5')
       = '\x01'::bytea || int4send(date '2024-01-31' - date '2000-01-01') || float8send(7) || int4send(0) || int4send(2)
         || int4send(date '2024-01-01' - date '2000-01-01') || float8send(10.5)
         || int4send(date '2024-01-05' - date '2000-01-01') || float8send(3) AS rfm_state_send_ok,
       churn.bgnbd_model_send('v1 r=1 alpha=2 a=3 b=4')
       = '\x0100'::bytea || float8send(1) || float8send(2) || float8send(3) || float8send(4) AS model_send_ok,
       churn.sbg_model_send('v1 alpha=1 beta=2 log_likelihood=-3 customers=4 iterations=5')
       = '\x0101'::bytea || float8send(1) || float8send(2) || float8send(-3) || int8send(4) || int4send(5)
         AS fitted_model_send_ok;

--
-- Generated data: the CDNOW sample, partial states per segment
--
\getenv abs_srcdir PG_ABS_SRCDIR
\set f :abs_srcdir '/sql/data/cdnow_sample.csv'
CREATE TEMP TABLE cdnow (customer int, master_id int, purchased_on date, cds int, dollars numeric(8,2));
COPY cdnow FROM :'f' WITH (FORMAT csv, HEADER true);
CREATE TEMP TABLE summary AS
SELECT customer, (churn.rfm(purchased_on, dollars, date '1997-09-30', '7 days')).* FROM cdnow GROUP BY customer;
-- recency and age with 17 significant digits (days / 7), plus fractional
-- times that make nearly every summary distinct
ALTER TABLE summary ADD recency_f float8, ADD age_f float8;
UPDATE summary SET age_f = age + customer / 7919.0,
                   recency_f = CASE WHEN frequency > 0 THEN recency + customer / 7919.0 ELSE 0 END;

CREATE TEMP TABLE parts AS
SELECT customer % 7 AS seg,
       pg_temp.bgnbd_partial(frequency, recency, age) AS bgnbd,
       pg_temp.bgnbd_partial(frequency, recency_f, age_f) AS bgnbd_f,
       pg_temp.gamma_gamma_partial(frequency, avg_value) AS gamma_gamma
  FROM summary GROUP BY customer % 7;
-- each customer's purchases in two parts: before and from June 1997
CREATE TEMP TABLE rfm_parts AS
SELECT customer, purchased_on < date '1997-06-01' AS early,
       pg_temp.rfm_partial(purchased_on, dollars, date '1997-09-30', '7 days') AS rfm
  FROM cdnow GROUP BY customer, purchased_on < date '1997-06-01';

-- text round trip is the identity on every partial state
SELECT count(*) AS states,
       bool_and(bgnbd::text::churn.bgnbd_state::text = bgnbd::text) AS bgnbd_text,
       bool_and(bgnbd_f::text::churn.bgnbd_state::text = bgnbd_f::text) AS bgnbd_fractional_text,
       bool_and(gamma_gamma::text::churn.gamma_gamma_state::text = gamma_gamma::text) AS gamma_gamma_text
  FROM parts;
SELECT count(*) AS rfm_states, bool_and(rfm::text::churn.rfm_state::text = rfm::text) AS rfm_text
  FROM rfm_parts;

-- merging text-round-tripped partials gives the one-pass result exactly
SELECT (SELECT pg_temp.bgnbd_merge(bgnbd::text::churn.bgnbd_state) FROM parts)::text
       = churn.bgnbd(frequency, recency, age)::text AS bgnbd_merged,
       (SELECT pg_temp.bgnbd_merge(bgnbd_f::text::churn.bgnbd_state) FROM parts)::text
       = churn.bgnbd(frequency, recency_f, age_f)::text AS bgnbd_fractional_merged,
       (SELECT pg_temp.gamma_gamma_merge(gamma_gamma::text::churn.gamma_gamma_state) FROM parts)::text
       = churn.gamma_gamma(frequency, avg_value)::text AS gamma_gamma_merged
  FROM summary;
SELECT count(*) AS customers,
       count(*) FILTER (WHERE (m.s).frequency = s.frequency AND (m.s).recency = s.recency
                        AND (m.s).age = s.age AND (m.s).avg_value = s.avg_value
                        AND (m.s).first_purchase = s.first_purchase
                        AND (m.s).last_purchase = s.last_purchase
                        AND (m.s).holdout_frequency = s.holdout_frequency
                        AND (m.s).holdout_value = s.holdout_value) AS rfm_merged_equal
  FROM (SELECT customer, pg_temp.rfm_merge(rfm::text::churn.rfm_state) AS s
          FROM rfm_parts GROUP BY customer) m
  JOIN summary s USING (customer);
-- the fractional fit: one state entry per customer
SELECT sum(cardinality(regexp_split_to_array(bgnbd_f::text, ' ')) - 2) AS entries,
       sum(cardinality(regexp_split_to_array(bgnbd::text, ' ')) - 2) AS entries_whole_days
  FROM parts;

-- binary round trip: COPY the partial states out and back in binary format
CREATE TEMP TABLE models AS
SELECT churn.bgnbd(frequency, recency, age) AS bgnbd,
       churn.gamma_gamma(frequency, avg_value) AS gamma_gamma,
       churn.sbg(ceil(recency)::int + 1, age - recency > 26) AS sbg,
       churn.bgnbd_model(0.243, 4.414, 0.793, 2.426) AS given
  FROM summary;
\copy parts TO 'results/value_models_state.bin' WITH (FORMAT binary)
CREATE TEMP TABLE parts_bin (LIKE parts);
\copy parts_bin FROM 'results/value_models_state.bin' WITH (FORMAT binary)
SELECT count(*) AS states, bool_and(b.bgnbd::text = p.bgnbd::text) AS bgnbd_binary,
       bool_and(b.bgnbd_f::text = p.bgnbd_f::text) AS bgnbd_fractional_binary,
       bool_and(b.gamma_gamma::text = p.gamma_gamma::text) AS gamma_gamma_binary
  FROM parts p JOIN parts_bin b USING (seg);
\copy rfm_parts TO 'results/value_models_state.bin' WITH (FORMAT binary)
CREATE TEMP TABLE rfm_parts_bin (LIKE rfm_parts);
\copy rfm_parts_bin FROM 'results/value_models_state.bin' WITH (FORMAT binary)
SELECT count(*) AS rfm_states, bool_and(b.rfm::text = p.rfm::text) AS rfm_binary
  FROM (SELECT row_number() OVER (ORDER BY customer, rfm::text) AS i, rfm FROM rfm_parts) p
  JOIN (SELECT row_number() OVER (ORDER BY customer, rfm::text) AS i, rfm FROM rfm_parts_bin) b USING (i);
\copy models TO 'results/value_models_state.bin' WITH (FORMAT binary)
CREATE TEMP TABLE models_bin (LIKE models);
\copy models_bin FROM 'results/value_models_state.bin' WITH (FORMAT binary)
SELECT b.bgnbd::text = m.bgnbd::text AS bgnbd_model_binary,
       b.gamma_gamma::text = m.gamma_gamma::text AS gamma_gamma_model_binary,
       b.sbg::text = m.sbg::text AS sbg_model_binary,
       b.given::text = m.given::text AS given_model_binary,
       m.bgnbd::text::churn.bgnbd_model::text = m.bgnbd::text AS bgnbd_model_text,
       m.gamma_gamma::text::churn.gamma_gamma_model::text = m.gamma_gamma::text AS gamma_gamma_model_text,
       m.sbg::text::churn.sbg_model::text = m.sbg::text AS sbg_model_text
  FROM models m, models_bin b;
-- a model stored in a table scores the same after the round trip
SELECT churn.p_alive(b.bgnbd, 2, 30.5, 38) = churn.p_alive(m.bgnbd, 2, 30.5, 38) AS same_scores
  FROM models m, models_bin b;

--
-- Bad text (22P02): every check of the input functions
--
\set VERBOSITY terse
SELECT 'x1 3 0:0:5:3'::churn.bgnbd_state;
SELECT 'v2 3 0:0:5:3'::churn.bgnbd_state;
SELECT 'v1'::churn.bgnbd_state;
SELECT 'v1 3'::churn.bgnbd_state;
SELECT 'v1 3 0:0:5'::churn.bgnbd_state;
SELECT 'v1 3 0:0:5:3:1'::churn.bgnbd_state;
SELECT 'v1 3 -1:0:5:3'::churn.bgnbd_state;
SELECT 'v1 3 1:6:5:3'::churn.bgnbd_state;
SELECT 'v1 3 0:1:5:3'::churn.bgnbd_state;
SELECT 'v1 3 1:-1:5:3'::churn.bgnbd_state;
SELECT 'v1 3 1:1:NaN:3'::churn.bgnbd_state;
SELECT 'v1 3 1:1:Infinity:3'::churn.bgnbd_state;
SELECT 'v1 3 1:1:5:0'::churn.bgnbd_state;
SELECT 'v1 3 1:1:5:4'::churn.bgnbd_state;
SELECT 'v1 3 2:1:5:1 1:1:5:2'::churn.bgnbd_state;
SELECT 'v1 3 1:1:5:1 1:1:5:2'::churn.bgnbd_state;
SELECT 'v1 9223372036854775807 1:1:5:9223372036854775807 2:1:5:1'::churn.bgnbd_state;
SELECT 'v1 1 1:1:1'::churn.gamma_gamma_state;
SELECT 'v1 1 0:1:1'::churn.gamma_gamma_state;
SELECT 'v1 1 1:0:1'::churn.gamma_gamma_state;
SELECT 'v1 1 1:-3:1'::churn.gamma_gamma_state;
SELECT 'v1 1 1:2:3:1'::churn.gamma_gamma_state;
SELECT 'v1 2024-01-31 7'::churn.rfm_state;
SELECT 'v1 2024-02-30 7 2024-01-01:1'::churn.rfm_state;
SELECT 'v1 2024-01-31 0 2024-01-01:1'::churn.rfm_state;
SELECT 'v1 2024-01-31 -7 2024-01-01:1'::churn.rfm_state;
SELECT 'v1 2024-01-31 7 2024-01-01'::churn.rfm_state;
SELECT 'v1 2024-01-31 7 2024-01-01:NaN'::churn.rfm_state;
SELECT 'v1 2024-01-31 7 24-01-01:1'::churn.rfm_state;
SELECT 'v1 0000-01-31 7 2024-01-01:1'::churn.rfm_state;
SELECT 'v2 2024-01-31 7 2024-01-01:1'::churn.rfm_state;
SELECT 'v1 2024-01-31 7 "no zone 2024-01-01:1'::churn.rfm_state;
SELECT 'v1 2024-01-31 7 "a b" 2024-01-01:1'::churn.rfm_state;
SELECT 'v1 r=1 alpha=2 a=3'::churn.bgnbd_model;
SELECT 'v1 alpha=2 r=1 a=3 b=4'::churn.bgnbd_model;
SELECT 'v1 r=0 alpha=2 a=3 b=4'::churn.bgnbd_model;
SELECT 'v1 r=1 alpha=-2 a=3 b=4'::churn.bgnbd_model;
SELECT 'v1 r=1 alpha=2 a=NaN b=4'::churn.bgnbd_model;
SELECT 'v1 r=1 alpha=2 a=3 b=Infinity'::churn.bgnbd_model;
SELECT 'v1 r=1 alpha=2 a=3 b=4 log_likelihood=-1'::churn.bgnbd_model;
SELECT 'v1 r=1 alpha=2 a=3 b=4 log_likelihood=-1 customers=0 iterations=1'::churn.bgnbd_model;
SELECT 'v1 r=1 alpha=2 a=3 b=4 log_likelihood=NaN customers=1 iterations=1'::churn.bgnbd_model;
SELECT 'v1 r=1 alpha=2 a=3 b=4 log_likelihood=-1 customers=1 iterations=-1'::churn.bgnbd_model;
SELECT 'v1 r=1 alpha=2 a=3 b=4 log_likelihood=-1 customers=1 iterations=1 extra'::churn.bgnbd_model;
SELECT 'v1 p=1 q=2'::churn.gamma_gamma_model;
SELECT 'v1 alpha=1 beta=2 gamma=3'::churn.sbg_model;
SELECT 'v3 alpha=1 beta=2'::churn.sbg_model;
\set VERBOSITY default
SELECT 'v1 3 1:6:5:3'::churn.bgnbd_state;
SELECT 'v1 2 3:7:1 1:10.5:1'::churn.gamma_gamma_state;
SELECT 'v1 r=1 alpha=2 a=3'::churn.bgnbd_model;

--
-- Bad binary (22P03), fed to the receive functions by binary COPY: the
-- binary COPY of a bytea field is its raw bytes, so a payload written out
-- as bytea reads back as the type's binary form
--
CREATE TEMP TABLE bad_bgnbd (s churn.bgnbd_state);
CREATE TEMP TABLE bad_gamma_gamma (s churn.gamma_gamma_state);
CREATE TEMP TABLE bad_rfm (s churn.rfm_state);
CREATE TEMP TABLE bad_model (s churn.bgnbd_model);
CREATE TEMP TABLE bad_sbg (s churn.sbg_model);
\set VERBOSITY terse
-- good, then: version 2, no summaries, recency > age, counts not matching, trailing bytes, short
\copy (SELECT '\x01'::bytea || int8send(1) || int4send(1) || int4send(1) || float8send(1) || float8send(2) || int8send(1)) TO 'results/value_bad.bin' WITH (FORMAT binary)
\copy bad_bgnbd FROM 'results/value_bad.bin' WITH (FORMAT binary)
\copy (SELECT '\x02'::bytea || int8send(1) || int4send(1) || int4send(1) || float8send(1) || float8send(2) || int8send(1)) TO 'results/value_bad.bin' WITH (FORMAT binary)
\copy bad_bgnbd FROM 'results/value_bad.bin' WITH (FORMAT binary)
\copy (SELECT '\x01'::bytea || int8send(0) || int4send(0)) TO 'results/value_bad.bin' WITH (FORMAT binary)
\copy bad_bgnbd FROM 'results/value_bad.bin' WITH (FORMAT binary)
\copy (SELECT '\x01'::bytea || int8send(1) || int4send(1) || int4send(1) || float8send(3) || float8send(2) || int8send(1)) TO 'results/value_bad.bin' WITH (FORMAT binary)
\copy bad_bgnbd FROM 'results/value_bad.bin' WITH (FORMAT binary)
\copy (SELECT '\x01'::bytea || int8send(5) || int4send(1) || int4send(1) || float8send(1) || float8send(2) || int8send(1)) TO 'results/value_bad.bin' WITH (FORMAT binary)
\copy bad_bgnbd FROM 'results/value_bad.bin' WITH (FORMAT binary)
\copy (SELECT '\x01'::bytea || int8send(1) || int4send(1) || int4send(1) || float8send(1) || float8send(2) || int8send(1) || '\x00'::bytea) TO 'results/value_bad.bin' WITH (FORMAT binary)
\copy bad_bgnbd FROM 'results/value_bad.bin' WITH (FORMAT binary)
\copy (SELECT '\x01'::bytea || int8send(1) || int4send(1000000) || int4send(1)) TO 'results/value_bad.bin' WITH (FORMAT binary)
\copy bad_bgnbd FROM 'results/value_bad.bin' WITH (FORMAT binary)
-- gamma_gamma: good, then a zero average value
\copy (SELECT '\x01'::bytea || int8send(1) || int4send(1) || int4send(2) || float8send(9.5) || int8send(1)) TO 'results/value_bad.bin' WITH (FORMAT binary)
\copy bad_gamma_gamma FROM 'results/value_bad.bin' WITH (FORMAT binary)
\copy (SELECT '\x01'::bytea || int8send(1) || int4send(1) || int4send(2) || float8send(0) || int8send(1)) TO 'results/value_bad.bin' WITH (FORMAT binary)
\copy bad_gamma_gamma FROM 'results/value_bad.bin' WITH (FORMAT binary)
-- rfm: good, then a unit of 0 days, an infinite date, a NaN amount, a time
-- zone of a space, a time zone longer than the rest
\copy (SELECT '\x01'::bytea || int4send(0) || float8send(7) || int4send(0) || int4send(1) || int4send(-3) || float8send(2.5)) TO 'results/value_bad.bin' WITH (FORMAT binary)
\copy bad_rfm FROM 'results/value_bad.bin' WITH (FORMAT binary)
\copy (SELECT '\x01'::bytea || int4send(0) || float8send(0) || int4send(0) || int4send(1) || int4send(-3) || float8send(2.5)) TO 'results/value_bad.bin' WITH (FORMAT binary)
\copy bad_rfm FROM 'results/value_bad.bin' WITH (FORMAT binary)
\copy (SELECT '\x01'::bytea || int4send(0) || float8send(7) || int4send(0) || int4send(1) || int4send(2147483647) || float8send(2.5)) TO 'results/value_bad.bin' WITH (FORMAT binary)
\copy bad_rfm FROM 'results/value_bad.bin' WITH (FORMAT binary)
\copy (SELECT '\x01'::bytea || int4send(0) || float8send(7) || int4send(0) || int4send(1) || int4send(-3) || float8send('NaN')) TO 'results/value_bad.bin' WITH (FORMAT binary)
\copy bad_rfm FROM 'results/value_bad.bin' WITH (FORMAT binary)
\copy (SELECT '\x01'::bytea || int4send(0) || float8send(7) || int4send(3) || 'a b'::bytea || int4send(1) || int4send(-3) || float8send(2.5)) TO 'results/value_bad.bin' WITH (FORMAT binary)
\copy bad_rfm FROM 'results/value_bad.bin' WITH (FORMAT binary)
\copy (SELECT '\x01'::bytea || int4send(0) || float8send(7) || int4send(100) || 'UTC'::bytea || int4send(1) || int4send(-3) || float8send(2.5)) TO 'results/value_bad.bin' WITH (FORMAT binary)
\copy bad_rfm FROM 'results/value_bad.bin' WITH (FORMAT binary)
-- models: good, then flags 2, a negative parameter, fit statistics missing
\copy (SELECT '\x0100'::bytea || float8send(1) || float8send(2) || float8send(3) || float8send(4)) TO 'results/value_bad.bin' WITH (FORMAT binary)
\copy bad_model FROM 'results/value_bad.bin' WITH (FORMAT binary)
\copy (SELECT '\x0102'::bytea || float8send(1) || float8send(2) || float8send(3) || float8send(4)) TO 'results/value_bad.bin' WITH (FORMAT binary)
\copy bad_model FROM 'results/value_bad.bin' WITH (FORMAT binary)
\copy (SELECT '\x0100'::bytea || float8send(1) || float8send(-2) || float8send(3) || float8send(4)) TO 'results/value_bad.bin' WITH (FORMAT binary)
\copy bad_model FROM 'results/value_bad.bin' WITH (FORMAT binary)
\copy (SELECT '\x0101'::bytea || float8send(1) || float8send(2) || float8send(3) || float8send(4)) TO 'results/value_bad.bin' WITH (FORMAT binary)
\copy bad_model FROM 'results/value_bad.bin' WITH (FORMAT binary)
\copy (SELECT '\x0100'::bytea || float8send(1) || float8send(2) || float8send(3)) TO 'results/value_bad.bin' WITH (FORMAT binary)
\copy bad_sbg FROM 'results/value_bad.bin' WITH (FORMAT binary)
\set VERBOSITY default
SELECT (SELECT count(*) FROM bad_bgnbd) AS bgnbd_rows, (SELECT count(*) FROM bad_gamma_gamma) AS gamma_gamma_rows,
       (SELECT count(*) FROM bad_rfm) AS rfm_rows, (SELECT count(*) FROM bad_model) AS model_rows,
       (SELECT s::text FROM bad_rfm) AS rfm;

--
-- Errors of the aggregates and scoring functions, with their SQLSTATEs
--
\set VERBOSITY sqlstate
-- bgnbd: negative values, recency after age, recency without repeat purchases
SELECT churn.bgnbd(-1, 0, 5);
SELECT churn.bgnbd(1, -1, 5);
SELECT churn.bgnbd(1, 1, -5);
SELECT churn.bgnbd(1, 6, 5);
SELECT churn.bgnbd(0, 1, 5);
SELECT churn.bgnbd(1, 'NaN', 5);
SELECT churn.bgnbd(1, 1, 'Infinity');
-- gamma_gamma: a repeat buyer whose average value is not positive
SELECT churn.gamma_gamma(1, 0);
SELECT churn.gamma_gamma(2, -5);
SELECT churn.gamma_gamma(-1, 5);
SELECT churn.gamma_gamma(1, 'NaN');
-- sbg: a churned customer with duration 0, a negative duration
SELECT churn.sbg(0, true);
SELECT churn.sbg(-1, false);
-- rfm: a bad unit, infinite dates, a non-finite amount, changing parameters, NULL parameters
SELECT churn.rfm(date '2024-01-01', 1, date '2024-02-01', '0 days');
SELECT churn.rfm(date '2024-01-01', 1, date '2024-02-01', '-7 days');
SELECT churn.rfm(date 'infinity', 1, date '2024-02-01', '7 days');
SELECT churn.rfm(date '2024-01-01', 1, date '-infinity', '7 days');
SELECT churn.rfm(date '2024-01-01', 'NaN', date '2024-02-01', '7 days');
SELECT churn.rfm(d, 1, e, '7 days') FROM (VALUES (date '2024-01-01', date '2024-02-01'), ('2024-01-05', '2024-03-01')) v(d, e);
SELECT churn.rfm(d, 1, date '2024-02-01', u) FROM (VALUES (date '2024-01-01', interval '7 days'), ('2024-01-05', '1 day')) v(d, u);
SELECT churn.rfm(date '2024-01-01', 1, NULL::date, '7 days');
-- scoring: the same checks of the customer summary, the horizon, the periods
SELECT churn.p_alive('v1 r=1 alpha=2 a=3 b=4', 1, 6, 5);
SELECT churn.p_alive('v1 r=1 alpha=2 a=3 b=4', -1, 0, 5);
SELECT churn.expected_purchases('v1 r=1 alpha=2 a=3 b=4', -1, 1, 1, 5);
SELECT churn.expected_purchases('v1 r=1 alpha=2 a=3 b=4', 'NaN', 1, 1, 5);
SELECT churn.expected_purchases('v1 r=1 alpha=2 a=3 b=4', 10, 0, 2, 5);
SELECT churn.expected_value('v1 p=1 q=2 gamma=3', 1, 0);
SELECT churn.expected_value('v1 p=1 q=2 gamma=3', -1, 5);
SELECT churn.expected_value('v1 p=1 q=0.5 gamma=3', 0, 0);
SELECT churn.predicted_clv('v1 r=1 alpha=2 a=3 b=4', 'v1 p=1 q=2 gamma=3', 1, 1, 5, 10, -1, 0.01);
SELECT churn.predicted_clv('v1 r=1 alpha=2 a=3 b=4', 'v1 p=1 q=2 gamma=3', 1, 1, 5, 10, 12, -1);
SELECT churn.predicted_clv('v1 r=1 alpha=2 a=3 b=4', 'v1 p=1 q=2 gamma=3', 1, 1, 5, 10, 12, 0.01, 0);
SELECT churn.sbg_survival('v1 alpha=1 beta=2', -1);
SELECT churn.sbg_retention_rate('v1 alpha=1 beta=2', 0);
SELECT churn.bgnbd_model(0, 1, 1, 1);
SELECT churn.gamma_gamma_model(1, 'Infinity', 1);
SELECT churn.sbg_model(1, -1);
SELECT churn.hyp2f1(1, 1, -2, 0.5);
SELECT churn.hyp2f1(1, 1, 2, 1);
SELECT churn.hyp2f1('NaN', 1, 2, 0.5);
SELECT churn.sbg_final('v1 number 2 1.5:1:0 2:0:1');
SELECT churn.sbg_final('v1 number 2 0:1:0 2:0:1');
-- support functions outside an aggregate
SELECT churn.bgnbd_trans(NULL, 1, 1, 5);
SELECT churn.rfm_trans(NULL, date '2024-01-01', 1, date '2024-02-01', '7 days');
SELECT churn.sbg_trans(NULL, 1, true);
\set VERBOSITY default
-- the messages name the values, with details and hints
SELECT churn.bgnbd(1, 6, 5);
SELECT churn.bgnbd(0, 1.5, 5);
SELECT churn.gamma_gamma(1, 0);
SELECT churn.sbg(0, true);
SELECT churn.rfm(date '2024-01-01', 1, date '2024-02-01', '0 days');
SELECT churn.predicted_clv('v1 r=1 alpha=2 a=3 b=4', 'v1 p=1 q=2 gamma=3', 1, 1, 5, 10, 12, -1);
SELECT churn.expected_value('v1 p=1 q=0.5 gamma=3', 0, 0);

--
-- Degenerate input: NULL, never an error, a crash or NaN
--
SELECT churn.bgnbd(f, r, a) IS NULL AS no_rows FROM (VALUES (1, 1.0, 2.0)) v(f, r, a) WHERE false;
SELECT churn.bgnbd(f, r, a) IS NULL AS no_repeat_buyers FROM (VALUES (0, 0, 5.0), (0, 0, 3.0)) v(f, r, a);
SELECT churn.bgnbd(f, r, a) IS NULL AS null_rows_skipped FROM (VALUES (NULL::int, 0, 5.0), (0, NULL, 3.0)) v(f, r, a);
SELECT churn.gamma_gamma(f, m) IS NULL AS no_repeat_buyers FROM (VALUES (0, 5.0), (0, 3.0)) v(f, m);
SELECT churn.gamma_gamma(f, m) IS NULL AS all_alike FROM (VALUES (1, 5.0), (2, 5.0), (4, 5.0)) v(f, m);
SELECT churn.sbg(d, e) IS NULL AS nobody_churned FROM (VALUES (1, false), (3, false)) v(d, e);
SELECT churn.sbg(d, e) IS NULL AS all_churned_at_once FROM (VALUES (1, true), (1, true)) v(d, e);
-- no maximum inside the parameter space: a warning and NULL (which
-- parameter the warning's detail names can depend on the platform's libm)
\set VERBOSITY terse
SELECT churn.bgnbd(f, r, a) IS NULL AS nobody_drops_out
  FROM (VALUES (1, 5.0, 5.0), (2, 3.0, 3.0), (3, 10.0, 10.0)) v(f, r, a);
SELECT churn.gamma_gamma(f, m) IS NULL AS two_customers FROM (VALUES (1, 5.0), (2, 6.0)) v(f, m);
\set VERBOSITY default
-- scores stay finite at the edges
SELECT churn.p_alive('v1 r=1 alpha=2 a=3 b=4', 1000000, 0, 1e9) AS p_alive_tiny,
       churn.expected_purchases('v1 r=1 alpha=2 a=3 b=4', 0, 3, 1, 5) AS expected_over_nothing,
       churn.expected_purchases('v1 r=1 alpha=2 a=1 b=4', 10, 3, 1, 5) > 0 AS a_equal_1_regular,
       churn.expected_purchases('v1 r=0.5 alpha=2 a=0.3 b=0.7', 10, 0, 0, 0) > 0 AS c_equal_0_regular,
       churn.predicted_clv('v1 r=1 alpha=2 a=3 b=4', 'v1 p=1 q=2 gamma=3', 1, 1, 5, 10, 0, 0.01) AS clv_of_no_period;

-- rfm over timestamptz takes days in the session's TimeZone: its state
-- records the zone, a partial state of another zone is not combined and a
-- state is not finished in another zone (an error, never other days)
CREATE AGGREGATE pg_temp.rfm_partial_tz(timestamptz, float8, timestamptz, interval) (
	SFUNC = churn.rfm_trans, STYPE = churn.rfm_state);
SET TimeZone = 'Asia/Tokyo';
-- 2024-01-01 23:30 UTC is January 2nd in Tokyo
CREATE TEMP TABLE rfm_tokyo AS
SELECT pg_temp.rfm_partial_tz(t, 10, timestamptz '2024-02-01 12:00+00', '1 day') AS s
  FROM (VALUES (timestamptz '2024-01-01 23:30+00'), ('2024-01-03 10:00+00')) v(t);
SELECT s::text AS tokyo_state, (churn.rfm_final(s)).frequency AS tokyo_frequency,
	   s::text::churn.rfm_state::text = s::text AS tokyo_text_round_trip
  FROM rfm_tokyo;
\copy rfm_tokyo TO 'results/value_models_tokyo.bin' WITH (FORMAT binary)
CREATE TEMP TABLE rfm_tokyo_bin (LIKE rfm_tokyo);
\copy rfm_tokyo_bin FROM 'results/value_models_tokyo.bin' WITH (FORMAT binary)
SELECT b.s::text = t.s::text AS tokyo_binary_round_trip FROM rfm_tokyo t, rfm_tokyo_bin b;
SET TimeZone = 'UTC';
CREATE TEMP TABLE rfm_utc AS
SELECT pg_temp.rfm_partial_tz(timestamptz '2024-01-05 10:00+00', 10, timestamptz '2024-02-01 12:00+00', '1 day') AS s;
SELECT churn.rfm_final(s) FROM rfm_tokyo;
SELECT s::text AS utc_state FROM rfm_utc;
SELECT pg_temp.rfm_merge(s) FROM (SELECT s FROM rfm_tokyo UNION ALL SELECT s FROM rfm_utc) v;
-- a state of dates has no zone and combines with one of timestamps
SELECT pg_temp.rfm_merge(s) FROM (SELECT 'v1 2024-02-01 1 2024-01-05:3'::churn.rfm_state UNION ALL SELECT s FROM rfm_utc) v(s);
-- states of one zone merge
SET TimeZone = 'Asia/Tokyo';
SELECT (pg_temp.rfm_merge(s)).frequency AS tokyo_merged_frequency FROM (SELECT s FROM rfm_tokyo UNION ALL SELECT s FROM rfm_tokyo) v;
RESET TimeZone;
