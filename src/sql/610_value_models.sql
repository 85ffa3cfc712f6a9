
--
-- 610_value_models.sql: predicted customer value (src/value_models.c,
-- src/value_state.c, src/value_optim.c, src/rfm.c, src/special_functions.c).
--
-- Non-contractual customers: rfm() summarizes a customer's transactions,
-- bgnbd() fits the BG/NBD purchase model of Fader, Hardie & Lee (2005) and
-- gamma_gamma() the Gamma-Gamma value model of Fader & Hardie (2013);
-- p_alive, expected_purchases, expected_value and predicted_clv score
-- customers.  Contractual customers: sbg() fits the shifted-beta-geometric
-- retention model of Fader & Hardie (2007).  Every aggregate keeps a state
-- of a real type with text and binary I/O and a combine function; every
-- fitted model is a storable type.
--
-- the Gauss hypergeometric function, as the BG/NBD expectation uses it
CREATE FUNCTION @extschema@.hyp2f1(a pg_catalog.float8, b pg_catalog.float8, c pg_catalog.float8, z pg_catalog.float8)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'churn_hyp2f1_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.hyp2f1(pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8) IS
'Gauss hypergeometric function 2F1(a, b; c; z) for z < 1';

--
-- rfm(): one customer's frequency, recency, age and average repeat value
--
CREATE TYPE @extschema@.rfm_state;

CREATE FUNCTION @extschema@.rfm_state_in(pg_catalog.cstring)
RETURNS @extschema@.rfm_state
AS 'MODULE_PATHNAME', 'rfm_state_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.rfm_state_out(@extschema@.rfm_state)
RETURNS pg_catalog.cstring
AS 'MODULE_PATHNAME', 'rfm_state_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.rfm_state_recv(pg_catalog.internal)
RETURNS @extschema@.rfm_state
AS 'MODULE_PATHNAME', 'rfm_state_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.rfm_state_send(@extschema@.rfm_state)
RETURNS pg_catalog.bytea
AS 'MODULE_PATHNAME', 'rfm_state_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.rfm_state (
	INPUT = @extschema@.rfm_state_in,
	OUTPUT = @extschema@.rfm_state_out,
	RECEIVE = @extschema@.rfm_state_recv,
	SEND = @extschema@.rfm_state_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = extended
);

COMMENT ON TYPE @extschema@.rfm_state IS
'transition state of rfm(): calibration end, unit and one customer''s purchases (date, amount)';
COMMENT ON FUNCTION @extschema@.rfm_state_in(pg_catalog.cstring) IS
'text input of rfm_state, form v1 <calibration_end> <unit days> <date>:<amount> ...';
COMMENT ON FUNCTION @extschema@.rfm_state_out(@extschema@.rfm_state) IS
'text output of rfm_state, purchases sorted by date and amount';
COMMENT ON FUNCTION @extschema@.rfm_state_recv(pg_catalog.internal) IS
'binary input of rfm_state: version byte, calibration end, unit, purchases';
COMMENT ON FUNCTION @extschema@.rfm_state_send(@extschema@.rfm_state) IS
'binary output of rfm_state: version byte, calibration end, unit, purchases';
CREATE TYPE @extschema@.rfm_summary AS (
	frequency pg_catalog.int4,
	recency pg_catalog.float8,
	age pg_catalog.float8,
	avg_value pg_catalog.float8,
	first_purchase pg_catalog.date,
	last_purchase pg_catalog.date,
	holdout_frequency pg_catalog.int4,
	holdout_value pg_catalog.float8
);
COMMENT ON TYPE @extschema@.rfm_summary IS
'result of rfm(): repeat purchases, recency and age in units, mean repeat value, first and last purchase date, holdout purchases and value';

CREATE FUNCTION @extschema@.rfm_trans(@extschema@.rfm_state, pg_catalog.date, pg_catalog.float8, pg_catalog.date, pg_catalog.interval)
RETURNS @extschema@.rfm_state
AS 'MODULE_PATHNAME', 'rfm_trans_date'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.rfm_trans(@extschema@.rfm_state, pg_catalog.timestamptz, pg_catalog.float8, pg_catalog.timestamptz, pg_catalog.interval)
RETURNS @extschema@.rfm_state
AS 'MODULE_PATHNAME', 'rfm_trans_timestamptz'
LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.rfm_combine(@extschema@.rfm_state, @extschema@.rfm_state)
RETURNS @extschema@.rfm_state
AS 'MODULE_PATHNAME', 'rfm_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.rfm_final(@extschema@.rfm_state)
RETURNS @extschema@.rfm_summary
AS 'MODULE_PATHNAME', 'rfm_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.rfm_trans(@extschema@.rfm_state, pg_catalog.date, pg_catalog.float8, pg_catalog.date, pg_catalog.interval) IS
'transition function of rfm(date, ...)';
COMMENT ON FUNCTION @extschema@.rfm_trans(@extschema@.rfm_state, pg_catalog.timestamptz, pg_catalog.float8, pg_catalog.timestamptz, pg_catalog.interval) IS
'transition function of rfm(timestamptz, ...): days in the session time zone';
COMMENT ON FUNCTION @extschema@.rfm_combine(@extschema@.rfm_state, @extschema@.rfm_state) IS
'merges two rfm states with the same calibration end and unit';
COMMENT ON FUNCTION @extschema@.rfm_final(@extschema@.rfm_state) IS
'the rfm_summary of an rfm state; NULL when the first purchase is after the calibration end';

-- SSPACE: a new state is 56 bytes (two purchases)
CREATE AGGREGATE @extschema@.rfm(purchased_at pg_catalog.date, amount pg_catalog.float8,
	calibration_end pg_catalog.date, unit pg_catalog.interval) (
	SFUNC = @extschema@.rfm_trans,
	STYPE = @extschema@.rfm_state,
	SSPACE = 56,
	FINALFUNC = @extschema@.rfm_final,
	COMBINEFUNC = @extschema@.rfm_combine,
	PARALLEL = SAFE
);

CREATE AGGREGATE @extschema@.rfm(purchased_at pg_catalog.timestamptz, amount pg_catalog.float8,
	calibration_end pg_catalog.timestamptz, unit pg_catalog.interval) (
	SFUNC = @extschema@.rfm_trans,
	STYPE = @extschema@.rfm_state,
	SSPACE = 56,
	FINALFUNC = @extschema@.rfm_final,
	COMBINEFUNC = @extschema@.rfm_combine,
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE @extschema@.rfm(pg_catalog.date, pg_catalog.float8, pg_catalog.date, pg_catalog.interval) IS
'one customer''s frequency, recency, age and average repeat value from its purchases (use with GROUP BY customer)';
COMMENT ON AGGREGATE @extschema@.rfm(pg_catalog.timestamptz, pg_catalog.float8, pg_catalog.timestamptz, pg_catalog.interval) IS
'one customer''s frequency, recency, age and average repeat value from its purchases, days in the session time zone';

--
-- BG/NBD: bgnbd() and its scoring functions
--
CREATE TYPE @extschema@.bgnbd_state;

CREATE FUNCTION @extschema@.bgnbd_state_in(pg_catalog.cstring)
RETURNS @extschema@.bgnbd_state
AS 'MODULE_PATHNAME', 'bgnbd_state_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.bgnbd_state_out(@extschema@.bgnbd_state)
RETURNS pg_catalog.cstring
AS 'MODULE_PATHNAME', 'value_state_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.bgnbd_state_recv(pg_catalog.internal)
RETURNS @extschema@.bgnbd_state
AS 'MODULE_PATHNAME', 'bgnbd_state_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.bgnbd_state_send(@extschema@.bgnbd_state)
RETURNS pg_catalog.bytea
AS 'MODULE_PATHNAME', 'value_state_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.bgnbd_state (
	INPUT = @extschema@.bgnbd_state_in,
	OUTPUT = @extschema@.bgnbd_state_out,
	RECEIVE = @extschema@.bgnbd_state_recv,
	SEND = @extschema@.bgnbd_state_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = extended
);

COMMENT ON TYPE @extschema@.bgnbd_state IS
'transition state of bgnbd(): distinct (frequency, recency, age) customer summaries with counts';
COMMENT ON FUNCTION @extschema@.bgnbd_state_in(pg_catalog.cstring) IS
'text input of bgnbd_state, form v1 <customers> <frequency>:<recency>:<age>:<count> ...';
COMMENT ON FUNCTION @extschema@.bgnbd_state_out(@extschema@.bgnbd_state) IS
'text output of bgnbd_state';
COMMENT ON FUNCTION @extschema@.bgnbd_state_recv(pg_catalog.internal) IS
'binary input of bgnbd_state: version byte, customers, summaries';
COMMENT ON FUNCTION @extschema@.bgnbd_state_send(@extschema@.bgnbd_state) IS
'binary output of bgnbd_state: version byte, customers, summaries';
CREATE TYPE @extschema@.bgnbd_model;

CREATE FUNCTION @extschema@.bgnbd_model_in(pg_catalog.cstring)
RETURNS @extschema@.bgnbd_model
AS 'MODULE_PATHNAME', 'bgnbd_model_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.bgnbd_model_out(@extschema@.bgnbd_model)
RETURNS pg_catalog.cstring
AS 'MODULE_PATHNAME', 'value_model_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.bgnbd_model_recv(pg_catalog.internal)
RETURNS @extschema@.bgnbd_model
AS 'MODULE_PATHNAME', 'bgnbd_model_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.bgnbd_model_send(@extschema@.bgnbd_model)
RETURNS pg_catalog.bytea
AS 'MODULE_PATHNAME', 'value_model_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.bgnbd_model (
	INPUT = @extschema@.bgnbd_model_in,
	OUTPUT = @extschema@.bgnbd_model_out,
	RECEIVE = @extschema@.bgnbd_model_recv,
	SEND = @extschema@.bgnbd_model_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = plain
);

COMMENT ON TYPE @extschema@.bgnbd_model IS
'BG/NBD purchase model (Fader, Hardie & Lee 2005): r, alpha, a, b and the fit''s log-likelihood and customers';
COMMENT ON FUNCTION @extschema@.bgnbd_model_in(pg_catalog.cstring) IS
'text input of bgnbd_model, form v1 r=<r> alpha=<alpha> a=<a> b=<b> [log_likelihood=<ll> customers=<n> iterations=<k>]';
COMMENT ON FUNCTION @extschema@.bgnbd_model_out(@extschema@.bgnbd_model) IS
'text output of bgnbd_model';
COMMENT ON FUNCTION @extschema@.bgnbd_model_recv(pg_catalog.internal) IS
'binary input of bgnbd_model: version byte, flags, parameters, fit statistics';
COMMENT ON FUNCTION @extschema@.bgnbd_model_send(@extschema@.bgnbd_model) IS
'binary output of bgnbd_model: version byte, flags, parameters, fit statistics';
CREATE FUNCTION @extschema@.bgnbd_trans(@extschema@.bgnbd_state, pg_catalog.int4, pg_catalog.float8, pg_catalog.float8)
RETURNS @extschema@.bgnbd_state
AS 'MODULE_PATHNAME', 'bgnbd_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.bgnbd_combine(@extschema@.bgnbd_state, @extschema@.bgnbd_state)
RETURNS @extschema@.bgnbd_state
AS 'MODULE_PATHNAME', 'value_state_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.bgnbd_final(@extschema@.bgnbd_state)
RETURNS @extschema@.bgnbd_model
AS 'MODULE_PATHNAME', 'bgnbd_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.bgnbd_trans(@extschema@.bgnbd_state, pg_catalog.int4, pg_catalog.float8, pg_catalog.float8) IS
'transition function of bgnbd()';
COMMENT ON FUNCTION @extschema@.bgnbd_combine(@extschema@.bgnbd_state, @extschema@.bgnbd_state) IS
'merges two bgnbd states of disjoint customers';
COMMENT ON FUNCTION @extschema@.bgnbd_final(@extschema@.bgnbd_state) IS
'maximum likelihood BG/NBD model of a bgnbd state; NULL without repeat purchases or without a maximum';

-- SSPACE: a state starts as a memory context of its own with a buffer of
-- 64 summaries, some 4 kB
CREATE AGGREGATE @extschema@.bgnbd(frequency pg_catalog.int4, recency pg_catalog.float8, age pg_catalog.float8) (
	SFUNC = @extschema@.bgnbd_trans,
	STYPE = @extschema@.bgnbd_state,
	SSPACE = 4096,
	FINALFUNC = @extschema@.bgnbd_final,
	COMBINEFUNC = @extschema@.bgnbd_combine,
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE @extschema@.bgnbd(pg_catalog.int4, pg_catalog.float8, pg_catalog.float8) IS
'fits the BG/NBD purchase model to customers'' (repeat purchases, recency, age) by maximum likelihood';

CREATE FUNCTION @extschema@.bgnbd_model(r pg_catalog.float8, alpha pg_catalog.float8, a pg_catalog.float8, b pg_catalog.float8)
RETURNS @extschema@.bgnbd_model
AS 'MODULE_PATHNAME', 'bgnbd_model_make'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.bgnbd_params(model @extschema@.bgnbd_model)
RETURNS TABLE(r pg_catalog.float8, alpha pg_catalog.float8, a pg_catalog.float8, b pg_catalog.float8,
	log_likelihood pg_catalog.float8, customers pg_catalog.int8)
AS 'MODULE_PATHNAME', 'value_model_params'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1;

CREATE FUNCTION @extschema@.p_alive(model @extschema@.bgnbd_model, frequency pg_catalog.int4,
	recency pg_catalog.float8, age pg_catalog.float8)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'bgnbd_p_alive'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.expected_purchases(model @extschema@.bgnbd_model, t pg_catalog.float8,
	frequency pg_catalog.int4, recency pg_catalog.float8, age pg_catalog.float8)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'bgnbd_expected_purchases'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.bgnbd_model(pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8) IS
'a BG/NBD model with the given r, alpha, a, b (for example published or fitted elsewhere)';
COMMENT ON FUNCTION @extschema@.bgnbd_params(@extschema@.bgnbd_model) IS
'parameters of a BG/NBD model, its log-likelihood and number of customers (NULL when not fitted)';
COMMENT ON FUNCTION @extschema@.p_alive(@extschema@.bgnbd_model, pg_catalog.int4, pg_catalog.float8, pg_catalog.float8) IS
'probability that a customer with this (frequency, recency, age) is still active, BG/NBD';
COMMENT ON FUNCTION @extschema@.expected_purchases(@extschema@.bgnbd_model, pg_catalog.float8, pg_catalog.int4, pg_catalog.float8, pg_catalog.float8) IS
'expected number of purchases of a customer in the next t time units, BG/NBD (FHL 2005 eq. 10)';

--
-- Gamma-Gamma: gamma_gamma() and expected_value
--
CREATE TYPE @extschema@.gamma_gamma_state;

CREATE FUNCTION @extschema@.gamma_gamma_state_in(pg_catalog.cstring)
RETURNS @extschema@.gamma_gamma_state
AS 'MODULE_PATHNAME', 'gamma_gamma_state_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.gamma_gamma_state_out(@extschema@.gamma_gamma_state)
RETURNS pg_catalog.cstring
AS 'MODULE_PATHNAME', 'value_state_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.gamma_gamma_state_recv(pg_catalog.internal)
RETURNS @extschema@.gamma_gamma_state
AS 'MODULE_PATHNAME', 'gamma_gamma_state_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.gamma_gamma_state_send(@extschema@.gamma_gamma_state)
RETURNS pg_catalog.bytea
AS 'MODULE_PATHNAME', 'value_state_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.gamma_gamma_state (
	INPUT = @extschema@.gamma_gamma_state_in,
	OUTPUT = @extschema@.gamma_gamma_state_out,
	RECEIVE = @extschema@.gamma_gamma_state_recv,
	SEND = @extschema@.gamma_gamma_state_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = extended
);

COMMENT ON TYPE @extschema@.gamma_gamma_state IS
'transition state of gamma_gamma(): distinct (frequency, avg_value) summaries of repeat buyers with counts';
COMMENT ON FUNCTION @extschema@.gamma_gamma_state_in(pg_catalog.cstring) IS
'text input of gamma_gamma_state, form v1 <customers> <frequency>:<avg_value>:<count> ...';
COMMENT ON FUNCTION @extschema@.gamma_gamma_state_out(@extschema@.gamma_gamma_state) IS
'text output of gamma_gamma_state';
COMMENT ON FUNCTION @extschema@.gamma_gamma_state_recv(pg_catalog.internal) IS
'binary input of gamma_gamma_state: version byte, customers, summaries';
COMMENT ON FUNCTION @extschema@.gamma_gamma_state_send(@extschema@.gamma_gamma_state) IS
'binary output of gamma_gamma_state: version byte, customers, summaries';
CREATE TYPE @extschema@.gamma_gamma_model;

CREATE FUNCTION @extschema@.gamma_gamma_model_in(pg_catalog.cstring)
RETURNS @extschema@.gamma_gamma_model
AS 'MODULE_PATHNAME', 'gamma_gamma_model_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.gamma_gamma_model_out(@extschema@.gamma_gamma_model)
RETURNS pg_catalog.cstring
AS 'MODULE_PATHNAME', 'value_model_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.gamma_gamma_model_recv(pg_catalog.internal)
RETURNS @extschema@.gamma_gamma_model
AS 'MODULE_PATHNAME', 'gamma_gamma_model_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.gamma_gamma_model_send(@extschema@.gamma_gamma_model)
RETURNS pg_catalog.bytea
AS 'MODULE_PATHNAME', 'value_model_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.gamma_gamma_model (
	INPUT = @extschema@.gamma_gamma_model_in,
	OUTPUT = @extschema@.gamma_gamma_model_out,
	RECEIVE = @extschema@.gamma_gamma_model_recv,
	SEND = @extschema@.gamma_gamma_model_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = plain
);

COMMENT ON TYPE @extschema@.gamma_gamma_model IS
'Gamma-Gamma model of purchase value (Fader & Hardie 2013): p, q, gamma and the fit''s log-likelihood and customers';
COMMENT ON FUNCTION @extschema@.gamma_gamma_model_in(pg_catalog.cstring) IS
'text input of gamma_gamma_model, form v1 p=<p> q=<q> gamma=<gamma> [log_likelihood=<ll> customers=<n> iterations=<k>]';
COMMENT ON FUNCTION @extschema@.gamma_gamma_model_out(@extschema@.gamma_gamma_model) IS
'text output of gamma_gamma_model';
COMMENT ON FUNCTION @extschema@.gamma_gamma_model_recv(pg_catalog.internal) IS
'binary input of gamma_gamma_model: version byte, flags, parameters, fit statistics';
COMMENT ON FUNCTION @extschema@.gamma_gamma_model_send(@extschema@.gamma_gamma_model) IS
'binary output of gamma_gamma_model: version byte, flags, parameters, fit statistics';
CREATE FUNCTION @extschema@.gamma_gamma_trans(@extschema@.gamma_gamma_state, pg_catalog.int4, pg_catalog.float8)
RETURNS @extschema@.gamma_gamma_state
AS 'MODULE_PATHNAME', 'gamma_gamma_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.gamma_gamma_combine(@extschema@.gamma_gamma_state, @extschema@.gamma_gamma_state)
RETURNS @extschema@.gamma_gamma_state
AS 'MODULE_PATHNAME', 'value_state_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.gamma_gamma_final(@extschema@.gamma_gamma_state)
RETURNS @extschema@.gamma_gamma_model
AS 'MODULE_PATHNAME', 'gamma_gamma_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.gamma_gamma_trans(@extschema@.gamma_gamma_state, pg_catalog.int4, pg_catalog.float8) IS
'transition function of gamma_gamma()';
COMMENT ON FUNCTION @extschema@.gamma_gamma_combine(@extschema@.gamma_gamma_state, @extschema@.gamma_gamma_state) IS
'merges two gamma_gamma states of disjoint customers';
COMMENT ON FUNCTION @extschema@.gamma_gamma_final(@extschema@.gamma_gamma_state) IS
'maximum likelihood Gamma-Gamma model of a gamma_gamma state; NULL when the values do not vary or have no maximum';

CREATE AGGREGATE @extschema@.gamma_gamma(frequency pg_catalog.int4, avg_value pg_catalog.float8) (
	SFUNC = @extschema@.gamma_gamma_trans,
	STYPE = @extschema@.gamma_gamma_state,
	SSPACE = 4096,
	FINALFUNC = @extschema@.gamma_gamma_final,
	COMBINEFUNC = @extschema@.gamma_gamma_combine,
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE @extschema@.gamma_gamma(pg_catalog.int4, pg_catalog.float8) IS
'fits the Gamma-Gamma value model to repeat buyers'' (repeat purchases, average repeat value) by maximum likelihood';

CREATE FUNCTION @extschema@.gamma_gamma_model(p pg_catalog.float8, q pg_catalog.float8, gamma pg_catalog.float8)
RETURNS @extschema@.gamma_gamma_model
AS 'MODULE_PATHNAME', 'gamma_gamma_model_make'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.gamma_gamma_params(model @extschema@.gamma_gamma_model)
RETURNS TABLE(p pg_catalog.float8, q pg_catalog.float8, gamma pg_catalog.float8,
	log_likelihood pg_catalog.float8, customers pg_catalog.int8)
AS 'MODULE_PATHNAME', 'value_model_params'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1;

CREATE FUNCTION @extschema@.expected_value(model @extschema@.gamma_gamma_model, frequency pg_catalog.int4,
	avg_value pg_catalog.float8)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'gamma_gamma_expected_value'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.predicted_clv(bgnbd @extschema@.bgnbd_model, gamma_gamma @extschema@.gamma_gamma_model,
	frequency pg_catalog.int4, recency pg_catalog.float8, age pg_catalog.float8, avg_value pg_catalog.float8,
	periods pg_catalog.int4, discount_rate pg_catalog.float8, period_length pg_catalog.float8 DEFAULT 1)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'predicted_clv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.gamma_gamma_model(pg_catalog.float8, pg_catalog.float8, pg_catalog.float8) IS
'a Gamma-Gamma model with the given p, q, gamma';
COMMENT ON FUNCTION @extschema@.gamma_gamma_params(@extschema@.gamma_gamma_model) IS
'parameters of a Gamma-Gamma model, its log-likelihood and number of customers (NULL when not fitted)';
COMMENT ON FUNCTION @extschema@.expected_value(@extschema@.gamma_gamma_model, pg_catalog.int4, pg_catalog.float8) IS
'expected value of a customer''s future purchases given its repeat purchases and their average value, Gamma-Gamma';
COMMENT ON FUNCTION @extschema@.predicted_clv(@extschema@.bgnbd_model, @extschema@.gamma_gamma_model, pg_catalog.int4, pg_catalog.float8, pg_catalog.float8, pg_catalog.float8, pg_catalog.int4, pg_catalog.float8, pg_catalog.float8) IS
'predicted customer lifetime value: discounted expected purchases (BG/NBD) times expected value (Gamma-Gamma) over periods';

--
-- shifted-beta-geometric: sbg() on the life table of survival()
--
CREATE TYPE @extschema@.sbg_model;

CREATE FUNCTION @extschema@.sbg_model_in(pg_catalog.cstring)
RETURNS @extschema@.sbg_model
AS 'MODULE_PATHNAME', 'sbg_model_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.sbg_model_out(@extschema@.sbg_model)
RETURNS pg_catalog.cstring
AS 'MODULE_PATHNAME', 'value_model_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.sbg_model_recv(pg_catalog.internal)
RETURNS @extschema@.sbg_model
AS 'MODULE_PATHNAME', 'sbg_model_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.sbg_model_send(@extschema@.sbg_model)
RETURNS pg_catalog.bytea
AS 'MODULE_PATHNAME', 'value_model_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.sbg_model (
	INPUT = @extschema@.sbg_model_in,
	OUTPUT = @extschema@.sbg_model_out,
	RECEIVE = @extschema@.sbg_model_recv,
	SEND = @extschema@.sbg_model_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = plain
);

COMMENT ON TYPE @extschema@.sbg_model IS
'shifted-beta-geometric retention model (Fader & Hardie 2007): alpha, beta and the fit''s log-likelihood and customers';
COMMENT ON FUNCTION @extschema@.sbg_model_in(pg_catalog.cstring) IS
'text input of sbg_model, form v1 alpha=<alpha> beta=<beta> [log_likelihood=<ll> customers=<n> iterations=<k>]';
COMMENT ON FUNCTION @extschema@.sbg_model_out(@extschema@.sbg_model) IS
'text output of sbg_model';
COMMENT ON FUNCTION @extschema@.sbg_model_recv(pg_catalog.internal) IS
'binary input of sbg_model: version byte, flags, parameters, fit statistics';
COMMENT ON FUNCTION @extschema@.sbg_model_send(@extschema@.sbg_model) IS
'binary output of sbg_model: version byte, flags, parameters, fit statistics';
CREATE FUNCTION @extschema@.sbg_trans(@extschema@.survival_curve, pg_catalog.int4, pg_catalog.bool)
RETURNS @extschema@.survival_curve
AS 'MODULE_PATHNAME', 'sbg_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.sbg_final(@extschema@.survival_curve)
RETURNS @extschema@.sbg_model
AS 'MODULE_PATHNAME', 'sbg_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.sbg_trans(@extschema@.survival_curve, pg_catalog.int4, pg_catalog.bool) IS
'transition function of sbg(): the life table of whole-period durations';
COMMENT ON FUNCTION @extschema@.sbg_final(@extschema@.survival_curve) IS
'maximum likelihood shifted-beta-geometric model of a life table of whole-period durations; NULL without churn';

CREATE AGGREGATE @extschema@.sbg(duration pg_catalog.int4, event pg_catalog.bool) (
	SFUNC = @extschema@.sbg_trans,
	STYPE = @extschema@.survival_curve,
	FINALFUNC = @extschema@.sbg_final,
	COMBINEFUNC = @extschema@.survival_combine,
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE @extschema@.sbg(pg_catalog.int4, pg_catalog.bool) IS
'fits the shifted-beta-geometric retention model to (periods as a customer, churned) by maximum likelihood';

CREATE FUNCTION @extschema@.sbg_model(alpha pg_catalog.float8, beta pg_catalog.float8)
RETURNS @extschema@.sbg_model
AS 'MODULE_PATHNAME', 'sbg_model_make'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.sbg_params(model @extschema@.sbg_model)
RETURNS TABLE(alpha pg_catalog.float8, beta pg_catalog.float8,
	log_likelihood pg_catalog.float8, customers pg_catalog.int8)
AS 'MODULE_PATHNAME', 'value_model_params'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1;

CREATE FUNCTION @extschema@.sbg_survival(model @extschema@.sbg_model, t pg_catalog.int4)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'sbg_survival'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.sbg_retention_rate(model @extschema@.sbg_model, t pg_catalog.int4)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'sbg_retention_rate'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.sbg_model(pg_catalog.float8, pg_catalog.float8) IS
'a shifted-beta-geometric model with the given alpha, beta';
COMMENT ON FUNCTION @extschema@.sbg_params(@extschema@.sbg_model) IS
'parameters of a shifted-beta-geometric model, its log-likelihood and number of customers (NULL when not fitted)';
COMMENT ON FUNCTION @extschema@.sbg_survival(@extschema@.sbg_model, pg_catalog.int4) IS
'share of a cohort still customers after t periods, shifted-beta-geometric';
COMMENT ON FUNCTION @extschema@.sbg_retention_rate(@extschema@.sbg_model, pg_catalog.int4) IS
'retention rate of period t: share of the customers of period t - 1 who renew, shifted-beta-geometric';
