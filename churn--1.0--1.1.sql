/*
 * churn--1.0--1.1.sql: upgrade of the churn extension from 1.0 to 1.1
 * (ALTER EXTENSION churn UPDATE TO '1.1').
 *
 * After it, a database holds exactly what a fresh CREATE EXTENSION churn
 * VERSION '1.1' creates: test/suites/upgrade.sh compares the two, object by
 * object and definition by definition.  Summaries of tracked tables carry
 * over unchanged (their format is the same in both versions).
 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION churn UPDATE TO '1.1'" to load this file. \quit

-- ---------------------------------------------------------------------------
-- Concrete-type overloads of diversion_rate and arpu (src/sql/200_rates.sql,
-- src/sql/300_metrics.sql), so that Citus pushes their partial aggregation
-- down to its workers.
-- ---------------------------------------------------------------------------

-- diversion_rate over a text moved_to.  The same C functions as the "any"
-- overloads (only whether moved_to is NULL matters), declared with the type
-- channel columns have, so that Citus can push the partial aggregation down
-- to its workers: it checks the argument types of the call against the
-- aggregate's declared ones, which "any" never matches.  A text (varchar,
-- char(n), name) moved_to resolves to these.
CREATE FUNCTION @extschema@.diversion_counts_trans(@extschema@.rate_state, pg_catalog.date, pg_catalog.date, pg_catalog.text, pg_catalog.daterange)
RETURNS @extschema@.rate_state
AS 'MODULE_PATHNAME', 'diversion_counts_trans_date'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.diversion_counts_trans(@extschema@.rate_state, pg_catalog.timestamptz, pg_catalog.timestamptz, pg_catalog.text, pg_catalog.tstzrange)
RETURNS @extschema@.rate_state
AS 'MODULE_PATHNAME', 'diversion_counts_trans_tstz'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.diversion_counts_inv(@extschema@.rate_state, pg_catalog.date, pg_catalog.date, pg_catalog.text, pg_catalog.daterange)
RETURNS @extschema@.rate_state
AS 'MODULE_PATHNAME', 'diversion_counts_inv_date'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.diversion_counts_inv(@extschema@.rate_state, pg_catalog.timestamptz, pg_catalog.timestamptz, pg_catalog.text, pg_catalog.tstzrange)
RETURNS @extschema@.rate_state
AS 'MODULE_PATHNAME', 'diversion_counts_inv_tstz'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.diversion_counts_trans(@extschema@.rate_state, pg_catalog.date, pg_catalog.date, pg_catalog.text, pg_catalog.daterange) IS 'transition function of diversion_rate (date, text moved_to): counts base and diverted stays';
COMMENT ON FUNCTION @extschema@.diversion_counts_trans(@extschema@.rate_state, pg_catalog.timestamptz, pg_catalog.timestamptz, pg_catalog.text, pg_catalog.tstzrange) IS 'transition function of diversion_rate (timestamptz, text moved_to): counts base and diverted stays';
COMMENT ON FUNCTION @extschema@.diversion_counts_inv(@extschema@.rate_state, pg_catalog.date, pg_catalog.date, pg_catalog.text, pg_catalog.daterange) IS 'inverse transition function (window frames) of diversion_rate (date, text moved_to)';
COMMENT ON FUNCTION @extschema@.diversion_counts_inv(@extschema@.rate_state, pg_catalog.timestamptz, pg_catalog.timestamptz, pg_catalog.text, pg_catalog.tstzrange) IS 'inverse transition function (window frames) of diversion_rate (timestamptz, text moved_to)';

CREATE AGGREGATE @extschema@.diversion_rate(since pg_catalog.date, until pg_catalog.date, moved_to pg_catalog.text, period pg_catalog.daterange) (
	SFUNC = @extschema@.diversion_counts_trans,
	STYPE = @extschema@.rate_state,
	INITCOND = '(1,v,-,0,0,0,0,0,0,0,0,0)',
	FINALFUNC = @extschema@.diversion_rate_final,
	COMBINEFUNC = @extschema@.rate_state_combine,
	MSFUNC = @extschema@.diversion_counts_trans,
	MINVFUNC = @extschema@.diversion_counts_inv,
	MSTYPE = @extschema@.rate_state,
	MINITCOND = '(1,v,-,0,0,0,0,0,0,0,0,0)',
	MFINALFUNC = @extschema@.diversion_rate_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.diversion_rate(pg_catalog.date, pg_catalog.date, pg_catalog.text, pg_catalog.daterange) IS 'share of the channel stays of the period that ended by moving to another channel during it (diverted / base); NULL when base = 0';

CREATE AGGREGATE @extschema@.diversion_rate(since pg_catalog.timestamptz, until pg_catalog.timestamptz, moved_to pg_catalog.text, period pg_catalog.tstzrange) (
	SFUNC = @extschema@.diversion_counts_trans,
	STYPE = @extschema@.rate_state,
	INITCOND = '(1,v,-,0,0,0,0,0,0,0,0,0)',
	FINALFUNC = @extschema@.diversion_rate_final,
	COMBINEFUNC = @extschema@.rate_state_combine,
	MSFUNC = @extschema@.diversion_counts_trans,
	MINVFUNC = @extschema@.diversion_counts_inv,
	MSTYPE = @extschema@.rate_state,
	MINITCOND = '(1,v,-,0,0,0,0,0,0,0,0,0)',
	MFINALFUNC = @extschema@.diversion_rate_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.diversion_rate(pg_catalog.timestamptz, pg_catalog.timestamptz, pg_catalog.text, pg_catalog.tstzrange) IS 'share of the channel stays of the period that ended by moving to another channel during it (diverted / base); NULL when base = 0';

-- arpu over the customer key types of real tables.  The same C function as
-- arpu(numeric, anyelement), declared with concrete types so that Citus can
-- push the partial aggregation down to its workers (it checks the argument
-- types of the call against the aggregate's declared ones, which anyelement
-- never matches) and so that the transition function knows the customer
-- type where its caller gives no call expression (Citus's workers).
-- smallint is here because with the integer and bigint overloads a smallint
-- customer would otherwise match three of them equally well.  Every other
-- type resolves as before to the polymorphic aggregate, except those with
-- an implicit cast to text: varchar, char(n) and name come here (the same
-- customers); citext too, now compared case-sensitively (README, arpu).
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
CREATE FUNCTION @extschema@.arpu_trans(@extschema@.arpu_state, pg_catalog.numeric, pg_catalog.text)
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
COMMENT ON FUNCTION @extschema@.arpu_trans(@extschema@.arpu_state, pg_catalog.numeric, pg_catalog.text) IS
'transition function of arpu() over text customers: adds a revenue and a customer';
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

CREATE AGGREGATE @extschema@.arpu(revenue pg_catalog.numeric, customer pg_catalog.text) (
	SFUNC = @extschema@.arpu_trans,
	STYPE = @extschema@.arpu_state,
	SSPACE = 2048,
	FINALFUNC = @extschema@.arpu_final,
	COMBINEFUNC = @extschema@.arpu_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.arpu(pg_catalog.numeric, pg_catalog.text) IS
'average revenue per user: total revenue / number of distinct text customers (exact)';

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

-- ---------------------------------------------------------------------------
-- States that record the time zone of their local-time computations
-- (src/state_zone.c): version 2 of rate_state, periods_state and
-- cohort_retention_state.  The C reads the states 1.0 stored (version 1, no
-- time zone).  The final functions that now refuse a state computed in
-- another time zone than the session's depend on TimeZone: STABLE.
-- ---------------------------------------------------------------------------
ALTER FUNCTION @extschema@.churn_rate_final(@extschema@.rate_state) STABLE;
ALTER FUNCTION @extschema@.retention_rate_final(@extschema@.rate_state) STABLE;
ALTER FUNCTION @extschema@.churn_periods_final_tz(@extschema@.periods_state) STABLE;

COMMENT ON TYPE @extschema@.rate_state IS
'transition state of churn_rate, retention_rate and diversion_rate: period, minimum tenure and four counters; text form (version,kind,domain,lower,upper,tenure_month,tenure_day,tenure_usec,n0,n1,n2,n3[,"time zone"]), the time zone (version 2) when a minimum tenure over timestamptz was computed in local time';
COMMENT ON TYPE @extschema@.periods_state IS
'transition state of churn_periods: step boundaries and per-step counters; text form (version,domain,n,step_month,step_day,step_usec,tenure_month,tenure_day,tenure_usec,{bounds},{at_start_diff},{new},{lost},{new_lost}[,"time zone"]), the time zone (version 2) when steps or minimum tenures over timestamptz were computed in local time';
COMMENT ON TYPE @extschema@.cohort_retention_state IS
'partial state of cohort_retention: per cohort, members by number of ages active, and (version 2) the time zone when steps over timestamptz were taken in local time';
