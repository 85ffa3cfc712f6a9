
--
-- 300_metrics.sql: nps, conversion_rate, value_churn_rate, arpu, clv,
-- clv_from_churn (src/agg_metrics.c, src/agg_arpu.c, src/clv.c).
--
-- Every aggregate keeps a state of a real type of the extension (never
-- internal) with text and binary I/O, a combine function and PARALLEL SAFE,
-- so that Citus can push partial aggregation to its workers.  Rates are
-- float8 fractions (0.05 for 5%); nps is in points from -100 to 100.
--

-- nps_state: answers counted as (promoters,passives,detractors)
CREATE TYPE @extschema@.nps_state;

CREATE FUNCTION @extschema@.nps_state_in(pg_catalog.cstring)
RETURNS @extschema@.nps_state
AS 'MODULE_PATHNAME', 'nps_state_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.nps_state_out(@extschema@.nps_state)
RETURNS pg_catalog.cstring
AS 'MODULE_PATHNAME', 'nps_state_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.nps_state_recv(pg_catalog.internal)
RETURNS @extschema@.nps_state
AS 'MODULE_PATHNAME', 'nps_state_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.nps_state_send(@extschema@.nps_state)
RETURNS pg_catalog.bytea
AS 'MODULE_PATHNAME', 'nps_state_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.nps_state (
	INPUT = @extschema@.nps_state_in,
	OUTPUT = @extschema@.nps_state_out,
	RECEIVE = @extschema@.nps_state_recv,
	SEND = @extschema@.nps_state_send,
	INTERNALLENGTH = 24,
	ALIGNMENT = double,
	STORAGE = plain
);

COMMENT ON TYPE @extschema@.nps_state IS
'transition state of nps(): answers counted as (promoters,passives,detractors)';
COMMENT ON FUNCTION @extschema@.nps_state_in(pg_catalog.cstring) IS
'text input of nps_state, form (promoters,passives,detractors)';
COMMENT ON FUNCTION @extschema@.nps_state_out(@extschema@.nps_state) IS
'text output of nps_state, form (promoters,passives,detractors)';
COMMENT ON FUNCTION @extschema@.nps_state_recv(pg_catalog.internal) IS
'binary input of nps_state: version byte and three int8 counts';
COMMENT ON FUNCTION @extschema@.nps_state_send(@extschema@.nps_state) IS
'binary output of nps_state: version byte and three int8 counts';

-- conversion_state and value_churn_state: (hits,total)
CREATE TYPE @extschema@.conversion_state;

CREATE FUNCTION @extschema@.conversion_state_in(pg_catalog.cstring, pg_catalog.oid, pg_catalog.int4)
RETURNS @extschema@.conversion_state
AS 'MODULE_PATHNAME', 'ratio_state_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.conversion_state_out(@extschema@.conversion_state)
RETURNS pg_catalog.cstring
AS 'MODULE_PATHNAME', 'ratio_state_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.conversion_state_recv(pg_catalog.internal, pg_catalog.oid, pg_catalog.int4)
RETURNS @extschema@.conversion_state
AS 'MODULE_PATHNAME', 'ratio_state_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.conversion_state_send(@extschema@.conversion_state)
RETURNS pg_catalog.bytea
AS 'MODULE_PATHNAME', 'ratio_state_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.conversion_state (
	INPUT = @extschema@.conversion_state_in,
	OUTPUT = @extschema@.conversion_state_out,
	RECEIVE = @extschema@.conversion_state_recv,
	SEND = @extschema@.conversion_state_send,
	INTERNALLENGTH = 16,
	ALIGNMENT = double,
	STORAGE = plain
);

COMMENT ON TYPE @extschema@.conversion_state IS
'transition state of conversion_rate(): (converted,prospects)';
COMMENT ON FUNCTION @extschema@.conversion_state_in(pg_catalog.cstring, pg_catalog.oid, pg_catalog.int4) IS
'text input of conversion_state, form (converted,prospects)';
COMMENT ON FUNCTION @extschema@.conversion_state_out(@extschema@.conversion_state) IS
'text output of conversion_state, form (converted,prospects)';
COMMENT ON FUNCTION @extschema@.conversion_state_recv(pg_catalog.internal, pg_catalog.oid, pg_catalog.int4) IS
'binary input of conversion_state: version byte and two int8 counts';
COMMENT ON FUNCTION @extschema@.conversion_state_send(@extschema@.conversion_state) IS
'binary output of conversion_state: version byte and two int8 counts';

CREATE TYPE @extschema@.value_churn_state;

CREATE FUNCTION @extschema@.value_churn_state_in(pg_catalog.cstring, pg_catalog.oid, pg_catalog.int4)
RETURNS @extschema@.value_churn_state
AS 'MODULE_PATHNAME', 'ratio_state_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.value_churn_state_out(@extschema@.value_churn_state)
RETURNS pg_catalog.cstring
AS 'MODULE_PATHNAME', 'ratio_state_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.value_churn_state_recv(pg_catalog.internal, pg_catalog.oid, pg_catalog.int4)
RETURNS @extschema@.value_churn_state
AS 'MODULE_PATHNAME', 'ratio_state_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.value_churn_state_send(@extschema@.value_churn_state)
RETURNS pg_catalog.bytea
AS 'MODULE_PATHNAME', 'ratio_state_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.value_churn_state (
	INPUT = @extschema@.value_churn_state_in,
	OUTPUT = @extschema@.value_churn_state_out,
	RECEIVE = @extschema@.value_churn_state_recv,
	SEND = @extschema@.value_churn_state_send,
	INTERNALLENGTH = 16,
	ALIGNMENT = double,
	STORAGE = plain
);

COMMENT ON TYPE @extschema@.value_churn_state IS
'transition state of value_churn_rate(): (fell_below,at_or_above_before)';
COMMENT ON FUNCTION @extschema@.value_churn_state_in(pg_catalog.cstring, pg_catalog.oid, pg_catalog.int4) IS
'text input of value_churn_state, form (fell_below,at_or_above_before)';
COMMENT ON FUNCTION @extschema@.value_churn_state_out(@extschema@.value_churn_state) IS
'text output of value_churn_state, form (fell_below,at_or_above_before)';
COMMENT ON FUNCTION @extschema@.value_churn_state_recv(pg_catalog.internal, pg_catalog.oid, pg_catalog.int4) IS
'binary input of value_churn_state: version byte and two int8 counts';
COMMENT ON FUNCTION @extschema@.value_churn_state_send(@extschema@.value_churn_state) IS
'binary output of value_churn_state: version byte and two int8 counts';

-- nps support functions and aggregates (smallint, integer, bigint scores).
-- The counter transition and inverse functions skip NULL inputs themselves
-- (not STRICT: that saves the executor a NULL-check step per row).
CREATE FUNCTION @extschema@.nps_trans(@extschema@.nps_state, pg_catalog.int2)
RETURNS @extschema@.nps_state
AS 'MODULE_PATHNAME', 'nps_trans_int2'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.nps_trans(@extschema@.nps_state, pg_catalog.int4)
RETURNS @extschema@.nps_state
AS 'MODULE_PATHNAME', 'nps_trans_int4'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.nps_trans(@extschema@.nps_state, pg_catalog.int8)
RETURNS @extschema@.nps_state
AS 'MODULE_PATHNAME', 'nps_trans_int8'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.nps_inv(@extschema@.nps_state, pg_catalog.int2)
RETURNS @extschema@.nps_state
AS 'MODULE_PATHNAME', 'nps_inv_int2'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.nps_inv(@extschema@.nps_state, pg_catalog.int4)
RETURNS @extschema@.nps_state
AS 'MODULE_PATHNAME', 'nps_inv_int4'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.nps_inv(@extschema@.nps_state, pg_catalog.int8)
RETURNS @extschema@.nps_state
AS 'MODULE_PATHNAME', 'nps_inv_int8'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.nps_combine(@extschema@.nps_state, @extschema@.nps_state)
RETURNS @extschema@.nps_state
AS 'MODULE_PATHNAME', 'nps_combine'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.nps_final(@extschema@.nps_state)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'nps_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.nps_trans(@extschema@.nps_state, pg_catalog.int2) IS
'transition function of nps(smallint): counts one 0..10 score';
COMMENT ON FUNCTION @extschema@.nps_trans(@extschema@.nps_state, pg_catalog.int4) IS
'transition function of nps(integer): counts one 0..10 score';
COMMENT ON FUNCTION @extschema@.nps_trans(@extschema@.nps_state, pg_catalog.int8) IS
'transition function of nps(bigint): counts one 0..10 score';
COMMENT ON FUNCTION @extschema@.nps_inv(@extschema@.nps_state, pg_catalog.int2) IS
'moving-aggregate inverse of nps(smallint): uncounts one score';
COMMENT ON FUNCTION @extschema@.nps_inv(@extschema@.nps_state, pg_catalog.int4) IS
'moving-aggregate inverse of nps(integer): uncounts one score';
COMMENT ON FUNCTION @extschema@.nps_inv(@extschema@.nps_state, pg_catalog.int8) IS
'moving-aggregate inverse of nps(bigint): uncounts one score';
COMMENT ON FUNCTION @extschema@.nps_combine(@extschema@.nps_state, @extschema@.nps_state) IS
'combine function of nps(): adds two partial states';
COMMENT ON FUNCTION @extschema@.nps_final(@extschema@.nps_state) IS
'final function of nps(): % promoters - % detractors, NULL without answers';

CREATE AGGREGATE @extschema@.nps(pg_catalog.int2) (
	SFUNC = @extschema@.nps_trans,
	STYPE = @extschema@.nps_state,
	INITCOND = '(0,0,0)',
	FINALFUNC = @extschema@.nps_final,
	COMBINEFUNC = @extschema@.nps_combine,
	MSFUNC = @extschema@.nps_trans,
	MINVFUNC = @extschema@.nps_inv,
	MSTYPE = @extschema@.nps_state,
	MINITCOND = '(0,0,0)',
	MFINALFUNC = @extschema@.nps_final,
	PARALLEL = SAFE
);

CREATE AGGREGATE @extschema@.nps(pg_catalog.int4) (
	SFUNC = @extschema@.nps_trans,
	STYPE = @extschema@.nps_state,
	INITCOND = '(0,0,0)',
	FINALFUNC = @extschema@.nps_final,
	COMBINEFUNC = @extschema@.nps_combine,
	MSFUNC = @extschema@.nps_trans,
	MINVFUNC = @extschema@.nps_inv,
	MSTYPE = @extschema@.nps_state,
	MINITCOND = '(0,0,0)',
	MFINALFUNC = @extschema@.nps_final,
	PARALLEL = SAFE
);

CREATE AGGREGATE @extschema@.nps(pg_catalog.int8) (
	SFUNC = @extschema@.nps_trans,
	STYPE = @extschema@.nps_state,
	INITCOND = '(0,0,0)',
	FINALFUNC = @extschema@.nps_final,
	COMBINEFUNC = @extschema@.nps_combine,
	MSFUNC = @extschema@.nps_trans,
	MINVFUNC = @extschema@.nps_inv,
	MSTYPE = @extschema@.nps_state,
	MINITCOND = '(0,0,0)',
	MFINALFUNC = @extschema@.nps_final,
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE @extschema@.nps(pg_catalog.int2) IS
'net promoter score in points (-100..100): % of scores 9-10 minus % of scores 0-6';
COMMENT ON AGGREGATE @extschema@.nps(pg_catalog.int4) IS
'net promoter score in points (-100..100): % of scores 9-10 minus % of scores 0-6';
COMMENT ON AGGREGATE @extschema@.nps(pg_catalog.int8) IS
'net promoter score in points (-100..100): % of scores 9-10 minus % of scores 0-6';

-- conversion_rate
CREATE FUNCTION @extschema@.conversion_trans(@extschema@.conversion_state, pg_catalog.bool)
RETURNS @extschema@.conversion_state
AS 'MODULE_PATHNAME', 'conversion_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.conversion_inv(@extschema@.conversion_state, pg_catalog.bool)
RETURNS @extschema@.conversion_state
AS 'MODULE_PATHNAME', 'conversion_inv'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.conversion_combine(@extschema@.conversion_state, @extschema@.conversion_state)
RETURNS @extschema@.conversion_state
AS 'MODULE_PATHNAME', 'ratio_combine'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.conversion_final(@extschema@.conversion_state)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'ratio_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.conversion_trans(@extschema@.conversion_state, pg_catalog.bool) IS
'transition function of conversion_rate(): counts one prospect';
COMMENT ON FUNCTION @extschema@.conversion_inv(@extschema@.conversion_state, pg_catalog.bool) IS
'moving-aggregate inverse of conversion_rate(): uncounts one prospect';
COMMENT ON FUNCTION @extschema@.conversion_combine(@extschema@.conversion_state, @extschema@.conversion_state) IS
'combine function of conversion_rate(): adds two partial states';
COMMENT ON FUNCTION @extschema@.conversion_final(@extschema@.conversion_state) IS
'final function of conversion_rate(): converted / prospects, NULL without prospects';

CREATE AGGREGATE @extschema@.conversion_rate(pg_catalog.bool) (
	SFUNC = @extschema@.conversion_trans,
	STYPE = @extschema@.conversion_state,
	INITCOND = '(0,0)',
	FINALFUNC = @extschema@.conversion_final,
	COMBINEFUNC = @extschema@.conversion_combine,
	MSFUNC = @extschema@.conversion_trans,
	MINVFUNC = @extschema@.conversion_inv,
	MSTYPE = @extschema@.conversion_state,
	MINITCOND = '(0,0)',
	MFINALFUNC = @extschema@.conversion_final,
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE @extschema@.conversion_rate(pg_catalog.bool) IS
'sales conversion rate as a fraction: prospects with true / prospects with a non-NULL outcome';

-- value_churn_rate
CREATE FUNCTION @extschema@.value_churn_trans(@extschema@.value_churn_state, pg_catalog.numeric, pg_catalog.numeric, pg_catalog.numeric)
RETURNS @extschema@.value_churn_state
AS 'MODULE_PATHNAME', 'value_churn_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.value_churn_inv(@extschema@.value_churn_state, pg_catalog.numeric, pg_catalog.numeric, pg_catalog.numeric)
RETURNS @extschema@.value_churn_state
AS 'MODULE_PATHNAME', 'value_churn_inv'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.value_churn_combine(@extschema@.value_churn_state, @extschema@.value_churn_state)
RETURNS @extschema@.value_churn_state
AS 'MODULE_PATHNAME', 'ratio_combine'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.value_churn_final(@extschema@.value_churn_state)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'ratio_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.value_churn_trans(@extschema@.value_churn_state, pg_catalog.numeric, pg_catalog.numeric, pg_catalog.numeric) IS
'transition function of value_churn_rate(): classifies one customer';
COMMENT ON FUNCTION @extschema@.value_churn_inv(@extschema@.value_churn_state, pg_catalog.numeric, pg_catalog.numeric, pg_catalog.numeric) IS
'moving-aggregate inverse of value_churn_rate(): unclassifies one customer';
COMMENT ON FUNCTION @extschema@.value_churn_combine(@extschema@.value_churn_state, @extschema@.value_churn_state) IS
'combine function of value_churn_rate(): adds two partial states';
COMMENT ON FUNCTION @extschema@.value_churn_final(@extschema@.value_churn_state) IS
'final function of value_churn_rate(): fell below / at or above before, NULL when none was';

CREATE AGGREGATE @extschema@.value_churn_rate(arpu_before pg_catalog.numeric, arpu_after pg_catalog.numeric, threshold pg_catalog.numeric) (
	SFUNC = @extschema@.value_churn_trans,
	STYPE = @extschema@.value_churn_state,
	INITCOND = '(0,0)',
	FINALFUNC = @extschema@.value_churn_final,
	COMBINEFUNC = @extschema@.value_churn_combine,
	MSFUNC = @extschema@.value_churn_trans,
	MINVFUNC = @extschema@.value_churn_inv,
	MSTYPE = @extschema@.value_churn_state,
	MINITCOND = '(0,0)',
	MFINALFUNC = @extschema@.value_churn_final,
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE @extschema@.value_churn_rate(pg_catalog.numeric, pg_catalog.numeric, pg_catalog.numeric) IS
'value churn as a fraction: of customers with arpu_before >= threshold, the share with arpu_after < threshold';

-- customer lifetime value
CREATE FUNCTION @extschema@.clv(avg_monthly_spend pg_catalog.numeric, purchases_per_month pg_catalog.numeric, lifetime_months pg_catalog.numeric)
RETURNS pg_catalog.numeric
AS 'MODULE_PATHNAME', 'clv_numeric'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv(avg_monthly_spend pg_catalog.float8, purchases_per_month pg_catalog.float8, lifetime_months pg_catalog.float8)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'clv_float8'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_from_churn(arpu pg_catalog.numeric, margin pg_catalog.numeric, monthly_churn_rate pg_catalog.numeric)
RETURNS pg_catalog.numeric
AS 'MODULE_PATHNAME', 'clv_from_churn_numeric'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_from_churn(arpu pg_catalog.float8, margin pg_catalog.float8, monthly_churn_rate pg_catalog.float8)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'clv_from_churn_float8'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.clv(pg_catalog.numeric, pg_catalog.numeric, pg_catalog.numeric) IS
'customer lifetime value: avg_monthly_spend * purchases_per_month * lifetime_months';
COMMENT ON FUNCTION @extschema@.clv(pg_catalog.float8, pg_catalog.float8, pg_catalog.float8) IS
'customer lifetime value: avg_monthly_spend * purchases_per_month * lifetime_months';
COMMENT ON FUNCTION @extschema@.clv_from_churn(pg_catalog.numeric, pg_catalog.numeric, pg_catalog.numeric) IS
'customer lifetime value: arpu * margin / monthly_churn_rate';
COMMENT ON FUNCTION @extschema@.clv_from_churn(pg_catalog.float8, pg_catalog.float8, pg_catalog.float8) IS
'customer lifetime value: arpu * margin / monthly_churn_rate';

-- arpu_state: revenue total and the distinct customers (any hashable type)
CREATE TYPE @extschema@.arpu_state;

CREATE FUNCTION @extschema@.arpu_state_in(pg_catalog.cstring)
RETURNS @extschema@.arpu_state
AS 'MODULE_PATHNAME', 'arpu_state_in'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.arpu_state_out(@extschema@.arpu_state)
RETURNS pg_catalog.cstring
AS 'MODULE_PATHNAME', 'arpu_state_out'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.arpu_state_recv(pg_catalog.internal)
RETURNS @extschema@.arpu_state
AS 'MODULE_PATHNAME', 'arpu_state_recv'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.arpu_state_send(@extschema@.arpu_state)
RETURNS pg_catalog.bytea
AS 'MODULE_PATHNAME', 'arpu_state_send'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.arpu_state (
	INPUT = @extschema@.arpu_state_in,
	OUTPUT = @extschema@.arpu_state_out,
	RECEIVE = @extschema@.arpu_state_recv,
	SEND = @extschema@.arpu_state_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = extended
);

COMMENT ON TYPE @extschema@.arpu_state IS
'transition state of arpu(): revenue total and the distinct customers';
COMMENT ON FUNCTION @extschema@.arpu_state_in(pg_catalog.cstring) IS
'text input of arpu_state, form: 1 "customer type" revenue {"customer",...}';
COMMENT ON FUNCTION @extschema@.arpu_state_out(@extschema@.arpu_state) IS
'text output of arpu_state, form: 1 "customer type" revenue {"customer",...}';
COMMENT ON FUNCTION @extschema@.arpu_state_recv(pg_catalog.internal) IS
'binary input of arpu_state: version, type name, revenue, customers in their binary form';
COMMENT ON FUNCTION @extschema@.arpu_state_send(@extschema@.arpu_state) IS
'binary output of arpu_state: version, type name, revenue, customers in their binary form';

CREATE FUNCTION @extschema@.arpu_trans(@extschema@.arpu_state, pg_catalog.numeric, pg_catalog.anyelement)
RETURNS @extschema@.arpu_state
AS 'MODULE_PATHNAME', 'arpu_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.arpu_combine(@extschema@.arpu_state, @extschema@.arpu_state)
RETURNS @extschema@.arpu_state
AS 'MODULE_PATHNAME', 'arpu_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.arpu_final(@extschema@.arpu_state)
RETURNS pg_catalog.numeric
AS 'MODULE_PATHNAME', 'arpu_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.arpu_state_customers(@extschema@.arpu_state)
RETURNS pg_catalog.int8
AS 'MODULE_PATHNAME', 'arpu_state_customers'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.arpu_state_revenue(@extschema@.arpu_state)
RETURNS pg_catalog.numeric
AS 'MODULE_PATHNAME', 'arpu_state_revenue'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.arpu_trans(@extschema@.arpu_state, pg_catalog.numeric, pg_catalog.anyelement) IS
'transition function of arpu(): adds a revenue and a customer';
COMMENT ON FUNCTION @extschema@.arpu_combine(@extschema@.arpu_state, @extschema@.arpu_state) IS
'combine function of arpu(): adds the revenues and unites the customers';
COMMENT ON FUNCTION @extschema@.arpu_final(@extschema@.arpu_state) IS
'final function of arpu(): revenue total / distinct customers, NULL without customers';
COMMENT ON FUNCTION @extschema@.arpu_state_customers(@extschema@.arpu_state) IS
'number of distinct customers in an arpu_state';
COMMENT ON FUNCTION @extschema@.arpu_state_revenue(@extschema@.arpu_state) IS
'revenue total of an arpu_state';

CREATE AGGREGATE @extschema@.arpu(revenue pg_catalog.numeric, customer pg_catalog.anyelement) (
	SFUNC = @extschema@.arpu_trans,
	STYPE = @extschema@.arpu_state,
	SSPACE = 2048,
	FINALFUNC = @extschema@.arpu_final,
	COMBINEFUNC = @extschema@.arpu_combine,
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE @extschema@.arpu(pg_catalog.numeric, pg_catalog.anyelement) IS
'average revenue per user: total revenue / number of distinct customers (exact)';

-- arpu over the customer key types of real tables.  The same C function as
-- arpu(numeric, anyelement), declared with concrete types so that Citus can
-- push the partial aggregation down to its workers (it checks the argument
-- types of the call against the aggregate's declared ones, which anyelement
-- never matches) and so that the transition function knows the customer
-- type where its caller gives no call expression (Citus's workers).
-- smallint is here because with the integer and bigint overloads a smallint
-- customer would otherwise match three of them equally well.  Every other
-- type resolves as before to the polymorphic aggregate.  There is no text
-- overload on purpose: types with an implicit cast to text (citext) would
-- resolve to it and silently compare customers as text does.
CREATE FUNCTION @extschema@.arpu_trans(@extschema@.arpu_state, pg_catalog.numeric, pg_catalog.int8)
RETURNS @extschema@.arpu_state
AS 'MODULE_PATHNAME', 'arpu_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.arpu_trans(@extschema@.arpu_state, pg_catalog.numeric, pg_catalog.int4)
RETURNS @extschema@.arpu_state
AS 'MODULE_PATHNAME', 'arpu_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.arpu_trans(@extschema@.arpu_state, pg_catalog.numeric, pg_catalog.int2)
RETURNS @extschema@.arpu_state
AS 'MODULE_PATHNAME', 'arpu_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.arpu_trans(@extschema@.arpu_state, pg_catalog.numeric, pg_catalog.uuid)
RETURNS @extschema@.arpu_state
AS 'MODULE_PATHNAME', 'arpu_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.arpu_trans(@extschema@.arpu_state, pg_catalog.numeric, pg_catalog.int8) IS
'transition function of arpu() over bigint customers: adds a revenue and a customer';
COMMENT ON FUNCTION @extschema@.arpu_trans(@extschema@.arpu_state, pg_catalog.numeric, pg_catalog.int4) IS
'transition function of arpu() over integer customers: adds a revenue and a customer';
COMMENT ON FUNCTION @extschema@.arpu_trans(@extschema@.arpu_state, pg_catalog.numeric, pg_catalog.int2) IS
'transition function of arpu() over smallint customers: adds a revenue and a customer';
COMMENT ON FUNCTION @extschema@.arpu_trans(@extschema@.arpu_state, pg_catalog.numeric, pg_catalog.uuid) IS
'transition function of arpu() over uuid customers: adds a revenue and a customer';

CREATE AGGREGATE @extschema@.arpu(revenue pg_catalog.numeric, customer pg_catalog.int8) (
	SFUNC = @extschema@.arpu_trans,
	STYPE = @extschema@.arpu_state,
	SSPACE = 2048,
	FINALFUNC = @extschema@.arpu_final,
	COMBINEFUNC = @extschema@.arpu_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.arpu(pg_catalog.numeric, pg_catalog.int8) IS
'average revenue per user: total revenue / number of distinct bigint customers (exact)';

CREATE AGGREGATE @extschema@.arpu(revenue pg_catalog.numeric, customer pg_catalog.int4) (
	SFUNC = @extschema@.arpu_trans,
	STYPE = @extschema@.arpu_state,
	SSPACE = 2048,
	FINALFUNC = @extschema@.arpu_final,
	COMBINEFUNC = @extschema@.arpu_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.arpu(pg_catalog.numeric, pg_catalog.int4) IS
'average revenue per user: total revenue / number of distinct integer customers (exact)';

CREATE AGGREGATE @extschema@.arpu(revenue pg_catalog.numeric, customer pg_catalog.int2) (
	SFUNC = @extschema@.arpu_trans,
	STYPE = @extschema@.arpu_state,
	SSPACE = 2048,
	FINALFUNC = @extschema@.arpu_final,
	COMBINEFUNC = @extschema@.arpu_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.arpu(pg_catalog.numeric, pg_catalog.int2) IS
'average revenue per user: total revenue / number of distinct smallint customers (exact)';

CREATE AGGREGATE @extschema@.arpu(revenue pg_catalog.numeric, customer pg_catalog.uuid) (
	SFUNC = @extschema@.arpu_trans,
	STYPE = @extschema@.arpu_state,
	SSPACE = 2048,
	FINALFUNC = @extschema@.arpu_final,
	COMBINEFUNC = @extschema@.arpu_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.arpu(pg_catalog.numeric, pg_catalog.uuid) IS
'average revenue per user: total revenue / number of distinct uuid customers (exact)';
