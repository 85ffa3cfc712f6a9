
--
-- 200_rates.sql: period-based aggregates (churn_rate, retention_rate,
-- diversion_rate, churn_periods, diversion_matrix) and their state types.
-- C: src/period.c, src/agg_rates.c, src/agg_periods.c, src/agg_diversion.c.
--
-- Every state type is a real type with text and binary I/O (so that partial
-- aggregation can be pushed down and shipped, e.g. by Citus), and every
-- aggregate has a combine function and is PARALLEL SAFE.
--

-- ---------------------------------------------------------------------------
-- churn.rate_state: fixed-size state of the counter aggregates
-- ---------------------------------------------------------------------------
CREATE TYPE @extschema@.rate_state;

CREATE FUNCTION @extschema@.rate_state_in(pg_catalog.cstring)
RETURNS @extschema@.rate_state
AS 'MODULE_PATHNAME', 'rate_state_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.rate_state_out(@extschema@.rate_state)
RETURNS pg_catalog.cstring
AS 'MODULE_PATHNAME', 'rate_state_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.rate_state_recv(pg_catalog.internal)
RETURNS @extschema@.rate_state
AS 'MODULE_PATHNAME', 'rate_state_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.rate_state_send(@extschema@.rate_state)
RETURNS pg_catalog.bytea
AS 'MODULE_PATHNAME', 'rate_state_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.rate_state (
	INPUT = @extschema@.rate_state_in,
	OUTPUT = @extschema@.rate_state_out,
	RECEIVE = @extschema@.rate_state_recv,
	SEND = @extschema@.rate_state_send,
	INTERNALLENGTH = 72,
	ALIGNMENT = double,
	STORAGE = plain
);

COMMENT ON TYPE @extschema@.rate_state IS
'transition state of churn_rate, retention_rate and diversion_rate: period, minimum tenure and four counters; text form (version,kind,domain,lower,upper,tenure_month,tenure_day,tenure_usec,n0,n1,n2,n3[,"time zone"]), the time zone (version 2) when a minimum tenure over timestamptz was computed in local time';
COMMENT ON FUNCTION @extschema@.rate_state_in(pg_catalog.cstring) IS 'text input of churn.rate_state';
COMMENT ON FUNCTION @extschema@.rate_state_out(@extschema@.rate_state) IS 'text output of churn.rate_state';
COMMENT ON FUNCTION @extschema@.rate_state_recv(pg_catalog.internal) IS 'binary input of churn.rate_state';
COMMENT ON FUNCTION @extschema@.rate_state_send(@extschema@.rate_state) IS 'binary output of churn.rate_state';

-- transition and inverse functions of the customer counters
CREATE FUNCTION @extschema@.churn_counts_trans(@extschema@.rate_state, pg_catalog.date, pg_catalog.date, pg_catalog.daterange)
RETURNS @extschema@.rate_state
AS 'MODULE_PATHNAME', 'churn_counts_trans_date'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.churn_counts_trans(@extschema@.rate_state, pg_catalog.timestamptz, pg_catalog.timestamptz, pg_catalog.tstzrange)
RETURNS @extschema@.rate_state
AS 'MODULE_PATHNAME', 'churn_counts_trans_tstz'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.churn_counts_trans(@extschema@.rate_state, pg_catalog.date, pg_catalog.date, pg_catalog.daterange, pg_catalog.interval)
RETURNS @extschema@.rate_state
AS 'MODULE_PATHNAME', 'churn_counts_trans_tenure_date'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.churn_counts_trans(@extschema@.rate_state, pg_catalog.timestamptz, pg_catalog.timestamptz, pg_catalog.tstzrange, pg_catalog.interval)
RETURNS @extschema@.rate_state
AS 'MODULE_PATHNAME', 'churn_counts_trans_tenure_tstz'
LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.churn_counts_inv(@extschema@.rate_state, pg_catalog.date, pg_catalog.date, pg_catalog.daterange)
RETURNS @extschema@.rate_state
AS 'MODULE_PATHNAME', 'churn_counts_inv_date'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.churn_counts_inv(@extschema@.rate_state, pg_catalog.timestamptz, pg_catalog.timestamptz, pg_catalog.tstzrange)
RETURNS @extschema@.rate_state
AS 'MODULE_PATHNAME', 'churn_counts_inv_tstz'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.churn_counts_inv(@extschema@.rate_state, pg_catalog.date, pg_catalog.date, pg_catalog.daterange, pg_catalog.interval)
RETURNS @extschema@.rate_state
AS 'MODULE_PATHNAME', 'churn_counts_inv_tenure_date'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.churn_counts_inv(@extschema@.rate_state, pg_catalog.timestamptz, pg_catalog.timestamptz, pg_catalog.tstzrange, pg_catalog.interval)
RETURNS @extschema@.rate_state
AS 'MODULE_PATHNAME', 'churn_counts_inv_tenure_tstz'
LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.churn_counts_trans(@extschema@.rate_state, pg_catalog.date, pg_catalog.date, pg_catalog.daterange) IS 'transition function of churn_rate and retention_rate (date): counts at_start, new, lost, new_lost';
COMMENT ON FUNCTION @extschema@.churn_counts_trans(@extschema@.rate_state, pg_catalog.timestamptz, pg_catalog.timestamptz, pg_catalog.tstzrange) IS 'transition function of churn_rate and retention_rate (timestamptz): counts at_start, new, lost, new_lost';
COMMENT ON FUNCTION @extschema@.churn_counts_trans(@extschema@.rate_state, pg_catalog.date, pg_catalog.date, pg_catalog.daterange, pg_catalog.interval) IS 'transition function of churn_rate and retention_rate with minimum tenure (date)';
COMMENT ON FUNCTION @extschema@.churn_counts_trans(@extschema@.rate_state, pg_catalog.timestamptz, pg_catalog.timestamptz, pg_catalog.tstzrange, pg_catalog.interval) IS 'transition function of churn_rate and retention_rate with minimum tenure (timestamptz)';
COMMENT ON FUNCTION @extschema@.churn_counts_inv(@extschema@.rate_state, pg_catalog.date, pg_catalog.date, pg_catalog.daterange) IS 'inverse transition function (window frames) of churn_rate and retention_rate (date)';
COMMENT ON FUNCTION @extschema@.churn_counts_inv(@extschema@.rate_state, pg_catalog.timestamptz, pg_catalog.timestamptz, pg_catalog.tstzrange) IS 'inverse transition function (window frames) of churn_rate and retention_rate (timestamptz)';
COMMENT ON FUNCTION @extschema@.churn_counts_inv(@extschema@.rate_state, pg_catalog.date, pg_catalog.date, pg_catalog.daterange, pg_catalog.interval) IS 'inverse transition function (window frames) of churn_rate and retention_rate with minimum tenure (date)';
COMMENT ON FUNCTION @extschema@.churn_counts_inv(@extschema@.rate_state, pg_catalog.timestamptz, pg_catalog.timestamptz, pg_catalog.tstzrange, pg_catalog.interval) IS 'inverse transition function (window frames) of churn_rate and retention_rate with minimum tenure (timestamptz)';

-- transition and inverse functions of the diversion counters
CREATE FUNCTION @extschema@.diversion_counts_trans(@extschema@.rate_state, pg_catalog.date, pg_catalog.date, "any", pg_catalog.daterange)
RETURNS @extschema@.rate_state
AS 'MODULE_PATHNAME', 'diversion_counts_trans_date'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.diversion_counts_trans(@extschema@.rate_state, pg_catalog.timestamptz, pg_catalog.timestamptz, "any", pg_catalog.tstzrange)
RETURNS @extschema@.rate_state
AS 'MODULE_PATHNAME', 'diversion_counts_trans_tstz'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.diversion_counts_inv(@extschema@.rate_state, pg_catalog.date, pg_catalog.date, "any", pg_catalog.daterange)
RETURNS @extschema@.rate_state
AS 'MODULE_PATHNAME', 'diversion_counts_inv_date'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.diversion_counts_inv(@extschema@.rate_state, pg_catalog.timestamptz, pg_catalog.timestamptz, "any", pg_catalog.tstzrange)
RETURNS @extschema@.rate_state
AS 'MODULE_PATHNAME', 'diversion_counts_inv_tstz'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.diversion_counts_trans(@extschema@.rate_state, pg_catalog.date, pg_catalog.date, "any", pg_catalog.daterange) IS 'transition function of diversion_rate (date): counts base and diverted stays';
COMMENT ON FUNCTION @extschema@.diversion_counts_trans(@extschema@.rate_state, pg_catalog.timestamptz, pg_catalog.timestamptz, "any", pg_catalog.tstzrange) IS 'transition function of diversion_rate (timestamptz): counts base and diverted stays';
COMMENT ON FUNCTION @extschema@.diversion_counts_inv(@extschema@.rate_state, pg_catalog.date, pg_catalog.date, "any", pg_catalog.daterange) IS 'inverse transition function (window frames) of diversion_rate (date)';
COMMENT ON FUNCTION @extschema@.diversion_counts_inv(@extschema@.rate_state, pg_catalog.timestamptz, pg_catalog.timestamptz, "any", pg_catalog.tstzrange) IS 'inverse transition function (window frames) of diversion_rate (timestamptz)';

CREATE FUNCTION @extschema@.rate_state_combine(@extschema@.rate_state, @extschema@.rate_state)
RETURNS @extschema@.rate_state
AS 'MODULE_PATHNAME', 'rate_state_combine'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rate_state_combine(@extschema@.rate_state, @extschema@.rate_state) IS 'combine function of churn_rate, retention_rate and diversion_rate: adds two partial states of the same period';

-- STABLE: they refuse a state computed in another time zone than the
-- session's
CREATE FUNCTION @extschema@.churn_rate_final(@extschema@.rate_state)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'churn_rate_final'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.retention_rate_final(@extschema@.rate_state)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'retention_rate_final'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.diversion_rate_final(@extschema@.rate_state)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'diversion_rate_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_rate_final(@extschema@.rate_state) IS 'final function of churn_rate: lost / at_start, NULL when at_start = 0';
COMMENT ON FUNCTION @extschema@.retention_rate_final(@extschema@.rate_state) IS 'final function of retention_rate: (at_end - new) / at_start, NULL when at_start = 0';
COMMENT ON FUNCTION @extschema@.diversion_rate_final(@extschema@.rate_state) IS 'final function of diversion_rate: diverted / base, NULL when base = 0';

-- the counter aggregates
CREATE AGGREGATE @extschema@.churn_rate(since pg_catalog.date, until pg_catalog.date, period pg_catalog.daterange) (
	SFUNC = @extschema@.churn_counts_trans,
	STYPE = @extschema@.rate_state,
	INITCOND = '(1,c,-,0,0,0,0,0,0,0,0,0)',
	FINALFUNC = @extschema@.churn_rate_final,
	COMBINEFUNC = @extschema@.rate_state_combine,
	MSFUNC = @extschema@.churn_counts_trans,
	MINVFUNC = @extschema@.churn_counts_inv,
	MSTYPE = @extschema@.rate_state,
	MINITCOND = '(1,c,-,0,0,0,0,0,0,0,0,0)',
	MFINALFUNC = @extschema@.churn_rate_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.churn_rate(pg_catalog.date, pg_catalog.date, pg_catalog.daterange) IS 'share of the customers at the start of the period lost during it (lost / at_start); NULL when at_start = 0';

CREATE AGGREGATE @extschema@.retention_rate(since pg_catalog.date, until pg_catalog.date, period pg_catalog.daterange) (
	SFUNC = @extschema@.churn_counts_trans,
	STYPE = @extschema@.rate_state,
	INITCOND = '(1,c,-,0,0,0,0,0,0,0,0,0)',
	FINALFUNC = @extschema@.retention_rate_final,
	COMBINEFUNC = @extschema@.rate_state_combine,
	MSFUNC = @extschema@.churn_counts_trans,
	MINVFUNC = @extschema@.churn_counts_inv,
	MSTYPE = @extschema@.rate_state,
	MINITCOND = '(1,c,-,0,0,0,0,0,0,0,0,0)',
	MFINALFUNC = @extschema@.retention_rate_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.retention_rate(pg_catalog.date, pg_catalog.date, pg_catalog.daterange) IS '(customers at the end of the period - new customers) / customers at its start; NULL when at_start = 0';

CREATE AGGREGATE @extschema@.churn_rate(since pg_catalog.date, until pg_catalog.date, period pg_catalog.daterange, min_tenure pg_catalog.interval) (
	SFUNC = @extschema@.churn_counts_trans,
	STYPE = @extschema@.rate_state,
	INITCOND = '(1,c,-,0,0,0,0,0,0,0,0,0)',
	FINALFUNC = @extschema@.churn_rate_final,
	COMBINEFUNC = @extschema@.rate_state_combine,
	MSFUNC = @extschema@.churn_counts_trans,
	MINVFUNC = @extschema@.churn_counts_inv,
	MSTYPE = @extschema@.rate_state,
	MINITCOND = '(1,c,-,0,0,0,0,0,0,0,0,0)',
	MFINALFUNC = @extschema@.churn_rate_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.churn_rate(pg_catalog.date, pg_catalog.date, pg_catalog.daterange, pg_catalog.interval) IS 'share of the customers at the start of the period lost during it (lost / at_start) excluding customers whose tenure at leaving is under min_tenure; NULL when at_start = 0';

CREATE AGGREGATE @extschema@.retention_rate(since pg_catalog.date, until pg_catalog.date, period pg_catalog.daterange, min_tenure pg_catalog.interval) (
	SFUNC = @extschema@.churn_counts_trans,
	STYPE = @extschema@.rate_state,
	INITCOND = '(1,c,-,0,0,0,0,0,0,0,0,0)',
	FINALFUNC = @extschema@.retention_rate_final,
	COMBINEFUNC = @extschema@.rate_state_combine,
	MSFUNC = @extschema@.churn_counts_trans,
	MINVFUNC = @extschema@.churn_counts_inv,
	MSTYPE = @extschema@.rate_state,
	MINITCOND = '(1,c,-,0,0,0,0,0,0,0,0,0)',
	MFINALFUNC = @extschema@.retention_rate_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.retention_rate(pg_catalog.date, pg_catalog.date, pg_catalog.daterange, pg_catalog.interval) IS '(customers at the end of the period - new customers) / customers at its start excluding customers whose tenure at leaving is under min_tenure; NULL when at_start = 0';

CREATE AGGREGATE @extschema@.diversion_rate(since pg_catalog.date, until pg_catalog.date, moved_to "any", period pg_catalog.daterange) (
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
COMMENT ON AGGREGATE @extschema@.diversion_rate(pg_catalog.date, pg_catalog.date, "any", pg_catalog.daterange) IS 'share of the channel stays of the period that ended by moving to another channel during it (diverted / base); NULL when base = 0';

CREATE AGGREGATE @extschema@.churn_rate(since pg_catalog.timestamptz, until pg_catalog.timestamptz, period pg_catalog.tstzrange) (
	SFUNC = @extschema@.churn_counts_trans,
	STYPE = @extschema@.rate_state,
	INITCOND = '(1,c,-,0,0,0,0,0,0,0,0,0)',
	FINALFUNC = @extschema@.churn_rate_final,
	COMBINEFUNC = @extschema@.rate_state_combine,
	MSFUNC = @extschema@.churn_counts_trans,
	MINVFUNC = @extschema@.churn_counts_inv,
	MSTYPE = @extschema@.rate_state,
	MINITCOND = '(1,c,-,0,0,0,0,0,0,0,0,0)',
	MFINALFUNC = @extschema@.churn_rate_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.churn_rate(pg_catalog.timestamptz, pg_catalog.timestamptz, pg_catalog.tstzrange) IS 'share of the customers at the start of the period lost during it (lost / at_start); NULL when at_start = 0';

CREATE AGGREGATE @extschema@.retention_rate(since pg_catalog.timestamptz, until pg_catalog.timestamptz, period pg_catalog.tstzrange) (
	SFUNC = @extschema@.churn_counts_trans,
	STYPE = @extschema@.rate_state,
	INITCOND = '(1,c,-,0,0,0,0,0,0,0,0,0)',
	FINALFUNC = @extschema@.retention_rate_final,
	COMBINEFUNC = @extschema@.rate_state_combine,
	MSFUNC = @extschema@.churn_counts_trans,
	MINVFUNC = @extschema@.churn_counts_inv,
	MSTYPE = @extschema@.rate_state,
	MINITCOND = '(1,c,-,0,0,0,0,0,0,0,0,0)',
	MFINALFUNC = @extschema@.retention_rate_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.retention_rate(pg_catalog.timestamptz, pg_catalog.timestamptz, pg_catalog.tstzrange) IS '(customers at the end of the period - new customers) / customers at its start; NULL when at_start = 0';

CREATE AGGREGATE @extschema@.churn_rate(since pg_catalog.timestamptz, until pg_catalog.timestamptz, period pg_catalog.tstzrange, min_tenure pg_catalog.interval) (
	SFUNC = @extschema@.churn_counts_trans,
	STYPE = @extschema@.rate_state,
	INITCOND = '(1,c,-,0,0,0,0,0,0,0,0,0)',
	FINALFUNC = @extschema@.churn_rate_final,
	COMBINEFUNC = @extschema@.rate_state_combine,
	MSFUNC = @extschema@.churn_counts_trans,
	MINVFUNC = @extschema@.churn_counts_inv,
	MSTYPE = @extschema@.rate_state,
	MINITCOND = '(1,c,-,0,0,0,0,0,0,0,0,0)',
	MFINALFUNC = @extschema@.churn_rate_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.churn_rate(pg_catalog.timestamptz, pg_catalog.timestamptz, pg_catalog.tstzrange, pg_catalog.interval) IS 'share of the customers at the start of the period lost during it (lost / at_start) excluding customers whose tenure at leaving is under min_tenure; NULL when at_start = 0';

CREATE AGGREGATE @extschema@.retention_rate(since pg_catalog.timestamptz, until pg_catalog.timestamptz, period pg_catalog.tstzrange, min_tenure pg_catalog.interval) (
	SFUNC = @extschema@.churn_counts_trans,
	STYPE = @extschema@.rate_state,
	INITCOND = '(1,c,-,0,0,0,0,0,0,0,0,0)',
	FINALFUNC = @extschema@.retention_rate_final,
	COMBINEFUNC = @extschema@.rate_state_combine,
	MSFUNC = @extschema@.churn_counts_trans,
	MINVFUNC = @extschema@.churn_counts_inv,
	MSTYPE = @extschema@.rate_state,
	MINITCOND = '(1,c,-,0,0,0,0,0,0,0,0,0)',
	MFINALFUNC = @extschema@.retention_rate_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.retention_rate(pg_catalog.timestamptz, pg_catalog.timestamptz, pg_catalog.tstzrange, pg_catalog.interval) IS '(customers at the end of the period - new customers) / customers at its start excluding customers whose tenure at leaving is under min_tenure; NULL when at_start = 0';

CREATE AGGREGATE @extschema@.diversion_rate(since pg_catalog.timestamptz, until pg_catalog.timestamptz, moved_to "any", period pg_catalog.tstzrange) (
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
COMMENT ON AGGREGATE @extschema@.diversion_rate(pg_catalog.timestamptz, pg_catalog.timestamptz, "any", pg_catalog.tstzrange) IS 'share of the channel stays of the period that ended by moving to another channel during it (diverted / base); NULL when base = 0';

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

-- ---------------------------------------------------------------------------
-- The counter aggregates over timestamp without time zone and tsrange (1.1):
-- the same C functions in a domain of their own (src/period.h), where a
-- minimum tenure is timestamp + interval, so that neither the counts nor the
-- states depend on TimeZone.
-- ---------------------------------------------------------------------------
CREATE FUNCTION @extschema@.churn_counts_trans(@extschema@.rate_state, pg_catalog.timestamp, pg_catalog.timestamp, pg_catalog.tsrange)
RETURNS @extschema@.rate_state
AS 'MODULE_PATHNAME', 'churn_counts_trans_ts'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.churn_counts_trans(@extschema@.rate_state, pg_catalog.timestamp, pg_catalog.timestamp, pg_catalog.tsrange, pg_catalog.interval)
RETURNS @extschema@.rate_state
AS 'MODULE_PATHNAME', 'churn_counts_trans_tenure_ts'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.churn_counts_inv(@extschema@.rate_state, pg_catalog.timestamp, pg_catalog.timestamp, pg_catalog.tsrange)
RETURNS @extschema@.rate_state
AS 'MODULE_PATHNAME', 'churn_counts_inv_ts'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.churn_counts_inv(@extschema@.rate_state, pg_catalog.timestamp, pg_catalog.timestamp, pg_catalog.tsrange, pg_catalog.interval)
RETURNS @extschema@.rate_state
AS 'MODULE_PATHNAME', 'churn_counts_inv_tenure_ts'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.churn_counts_trans(@extschema@.rate_state, pg_catalog.timestamp, pg_catalog.timestamp, pg_catalog.tsrange) IS 'transition function of churn_rate and retention_rate (timestamp): counts at_start, new, lost, new_lost';
COMMENT ON FUNCTION @extschema@.churn_counts_trans(@extschema@.rate_state, pg_catalog.timestamp, pg_catalog.timestamp, pg_catalog.tsrange, pg_catalog.interval) IS 'transition function of churn_rate and retention_rate with minimum tenure (timestamp; timestamp + interval, no time zone)';
COMMENT ON FUNCTION @extschema@.churn_counts_inv(@extschema@.rate_state, pg_catalog.timestamp, pg_catalog.timestamp, pg_catalog.tsrange) IS 'inverse transition function (window frames) of churn_rate and retention_rate (timestamp)';
COMMENT ON FUNCTION @extschema@.churn_counts_inv(@extschema@.rate_state, pg_catalog.timestamp, pg_catalog.timestamp, pg_catalog.tsrange, pg_catalog.interval) IS 'inverse transition function (window frames) of churn_rate and retention_rate with minimum tenure (timestamp)';

CREATE FUNCTION @extschema@.diversion_counts_trans(@extschema@.rate_state, pg_catalog.timestamp, pg_catalog.timestamp, "any", pg_catalog.tsrange)
RETURNS @extschema@.rate_state
AS 'MODULE_PATHNAME', 'diversion_counts_trans_ts'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.diversion_counts_trans(@extschema@.rate_state, pg_catalog.timestamp, pg_catalog.timestamp, pg_catalog.text, pg_catalog.tsrange)
RETURNS @extschema@.rate_state
AS 'MODULE_PATHNAME', 'diversion_counts_trans_ts'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.diversion_counts_inv(@extschema@.rate_state, pg_catalog.timestamp, pg_catalog.timestamp, "any", pg_catalog.tsrange)
RETURNS @extschema@.rate_state
AS 'MODULE_PATHNAME', 'diversion_counts_inv_ts'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.diversion_counts_inv(@extschema@.rate_state, pg_catalog.timestamp, pg_catalog.timestamp, pg_catalog.text, pg_catalog.tsrange)
RETURNS @extschema@.rate_state
AS 'MODULE_PATHNAME', 'diversion_counts_inv_ts'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.diversion_counts_trans(@extschema@.rate_state, pg_catalog.timestamp, pg_catalog.timestamp, "any", pg_catalog.tsrange) IS 'transition function of diversion_rate (timestamp): counts base and diverted stays';
COMMENT ON FUNCTION @extschema@.diversion_counts_trans(@extschema@.rate_state, pg_catalog.timestamp, pg_catalog.timestamp, pg_catalog.text, pg_catalog.tsrange) IS 'transition function of diversion_rate (timestamp, text moved_to): counts base and diverted stays';
COMMENT ON FUNCTION @extschema@.diversion_counts_inv(@extschema@.rate_state, pg_catalog.timestamp, pg_catalog.timestamp, "any", pg_catalog.tsrange) IS 'inverse transition function (window frames) of diversion_rate (timestamp)';
COMMENT ON FUNCTION @extschema@.diversion_counts_inv(@extschema@.rate_state, pg_catalog.timestamp, pg_catalog.timestamp, pg_catalog.text, pg_catalog.tsrange) IS 'inverse transition function (window frames) of diversion_rate (timestamp, text moved_to)';

CREATE AGGREGATE @extschema@.churn_rate(since pg_catalog.timestamp, until pg_catalog.timestamp, period pg_catalog.tsrange) (
	SFUNC = @extschema@.churn_counts_trans,
	STYPE = @extschema@.rate_state,
	INITCOND = '(1,c,-,0,0,0,0,0,0,0,0,0)',
	FINALFUNC = @extschema@.churn_rate_final,
	COMBINEFUNC = @extschema@.rate_state_combine,
	MSFUNC = @extschema@.churn_counts_trans,
	MINVFUNC = @extschema@.churn_counts_inv,
	MSTYPE = @extschema@.rate_state,
	MINITCOND = '(1,c,-,0,0,0,0,0,0,0,0,0)',
	MFINALFUNC = @extschema@.churn_rate_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.churn_rate(pg_catalog.timestamp, pg_catalog.timestamp, pg_catalog.tsrange) IS 'share of the customers at the start of the period lost during it (lost / at_start); NULL when at_start = 0';

CREATE AGGREGATE @extschema@.retention_rate(since pg_catalog.timestamp, until pg_catalog.timestamp, period pg_catalog.tsrange) (
	SFUNC = @extschema@.churn_counts_trans,
	STYPE = @extschema@.rate_state,
	INITCOND = '(1,c,-,0,0,0,0,0,0,0,0,0)',
	FINALFUNC = @extschema@.retention_rate_final,
	COMBINEFUNC = @extschema@.rate_state_combine,
	MSFUNC = @extschema@.churn_counts_trans,
	MINVFUNC = @extschema@.churn_counts_inv,
	MSTYPE = @extschema@.rate_state,
	MINITCOND = '(1,c,-,0,0,0,0,0,0,0,0,0)',
	MFINALFUNC = @extschema@.retention_rate_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.retention_rate(pg_catalog.timestamp, pg_catalog.timestamp, pg_catalog.tsrange) IS '(customers at the end of the period - new customers) / customers at its start; NULL when at_start = 0';

CREATE AGGREGATE @extschema@.churn_rate(since pg_catalog.timestamp, until pg_catalog.timestamp, period pg_catalog.tsrange, min_tenure pg_catalog.interval) (
	SFUNC = @extschema@.churn_counts_trans,
	STYPE = @extschema@.rate_state,
	INITCOND = '(1,c,-,0,0,0,0,0,0,0,0,0)',
	FINALFUNC = @extschema@.churn_rate_final,
	COMBINEFUNC = @extschema@.rate_state_combine,
	MSFUNC = @extschema@.churn_counts_trans,
	MINVFUNC = @extschema@.churn_counts_inv,
	MSTYPE = @extschema@.rate_state,
	MINITCOND = '(1,c,-,0,0,0,0,0,0,0,0,0)',
	MFINALFUNC = @extschema@.churn_rate_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.churn_rate(pg_catalog.timestamp, pg_catalog.timestamp, pg_catalog.tsrange, pg_catalog.interval) IS 'share of the customers at the start of the period lost during it (lost / at_start) excluding customers whose tenure at leaving is under min_tenure; NULL when at_start = 0';

CREATE AGGREGATE @extschema@.retention_rate(since pg_catalog.timestamp, until pg_catalog.timestamp, period pg_catalog.tsrange, min_tenure pg_catalog.interval) (
	SFUNC = @extschema@.churn_counts_trans,
	STYPE = @extschema@.rate_state,
	INITCOND = '(1,c,-,0,0,0,0,0,0,0,0,0)',
	FINALFUNC = @extschema@.retention_rate_final,
	COMBINEFUNC = @extschema@.rate_state_combine,
	MSFUNC = @extschema@.churn_counts_trans,
	MINVFUNC = @extschema@.churn_counts_inv,
	MSTYPE = @extschema@.rate_state,
	MINITCOND = '(1,c,-,0,0,0,0,0,0,0,0,0)',
	MFINALFUNC = @extschema@.retention_rate_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.retention_rate(pg_catalog.timestamp, pg_catalog.timestamp, pg_catalog.tsrange, pg_catalog.interval) IS '(customers at the end of the period - new customers) / customers at its start excluding customers whose tenure at leaving is under min_tenure; NULL when at_start = 0';

CREATE AGGREGATE @extschema@.diversion_rate(since pg_catalog.timestamp, until pg_catalog.timestamp, moved_to "any", period pg_catalog.tsrange) (
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
COMMENT ON AGGREGATE @extschema@.diversion_rate(pg_catalog.timestamp, pg_catalog.timestamp, "any", pg_catalog.tsrange) IS 'share of the channel stays of the period that ended by moving to another channel during it (diverted / base); NULL when base = 0';

CREATE AGGREGATE @extschema@.diversion_rate(since pg_catalog.timestamp, until pg_catalog.timestamp, moved_to pg_catalog.text, period pg_catalog.tsrange) (
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
COMMENT ON AGGREGATE @extschema@.diversion_rate(pg_catalog.timestamp, pg_catalog.timestamp, pg_catalog.text, pg_catalog.tsrange) IS 'share of the channel stays of the period that ended by moving to another channel during it (diverted / base); NULL when base = 0';

-- ---------------------------------------------------------------------------
-- churn_periods: one-pass series of steps
-- ---------------------------------------------------------------------------
CREATE TYPE @extschema@.periods_state;

CREATE FUNCTION @extschema@.periods_state_in(pg_catalog.cstring)
RETURNS @extschema@.periods_state
AS 'MODULE_PATHNAME', 'periods_state_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.periods_state_out(@extschema@.periods_state)
RETURNS pg_catalog.cstring
AS 'MODULE_PATHNAME', 'periods_state_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.periods_state_recv(pg_catalog.internal)
RETURNS @extschema@.periods_state
AS 'MODULE_PATHNAME', 'periods_state_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.periods_state_send(@extschema@.periods_state)
RETURNS pg_catalog.bytea
AS 'MODULE_PATHNAME', 'periods_state_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.periods_state (
	INPUT = @extschema@.periods_state_in,
	OUTPUT = @extschema@.periods_state_out,
	RECEIVE = @extschema@.periods_state_recv,
	SEND = @extschema@.periods_state_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = extended
);

COMMENT ON TYPE @extschema@.periods_state IS
'transition state of churn_periods: step boundaries and per-step counters; text form (version,domain,n,step_month,step_day,step_usec,tenure_month,tenure_day,tenure_usec,{bounds},{at_start_diff},{new},{lost},{new_lost}[,"time zone"]), the time zone (version 2) when steps or minimum tenures over timestamptz were computed in local time';
COMMENT ON FUNCTION @extschema@.periods_state_in(pg_catalog.cstring) IS 'text input of churn.periods_state';
COMMENT ON FUNCTION @extschema@.periods_state_out(@extschema@.periods_state) IS 'text output of churn.periods_state';
COMMENT ON FUNCTION @extschema@.periods_state_recv(pg_catalog.internal) IS 'binary input of churn.periods_state';
COMMENT ON FUNCTION @extschema@.periods_state_send(@extschema@.periods_state) IS 'binary output of churn.periods_state';

CREATE TYPE @extschema@.churn_period AS (
	period_start pg_catalog.date,
	period_end pg_catalog.date,
	at_start pg_catalog.int8,
	new pg_catalog.int8,
	lost pg_catalog.int8,
	new_lost pg_catalog.int8,
	at_end pg_catalog.int8,
	churn_rate pg_catalog.float8,
	retention_rate pg_catalog.float8
);
COMMENT ON TYPE @extschema@.churn_period IS
'one step [period_start, period_end) of churn_periods over dates: customer counts and rates';

CREATE TYPE @extschema@.churn_period_tz AS (
	period_start pg_catalog.timestamptz,
	period_end pg_catalog.timestamptz,
	at_start pg_catalog.int8,
	new pg_catalog.int8,
	lost pg_catalog.int8,
	new_lost pg_catalog.int8,
	at_end pg_catalog.int8,
	churn_rate pg_catalog.float8,
	retention_rate pg_catalog.float8
);
COMMENT ON TYPE @extschema@.churn_period_tz IS
'one step [period_start, period_end) of churn_periods over timestamptz: customer counts and rates';

CREATE FUNCTION @extschema@.churn_periods_trans(@extschema@.periods_state, pg_catalog.date, pg_catalog.date, pg_catalog.daterange, pg_catalog.interval)
RETURNS @extschema@.periods_state
AS 'MODULE_PATHNAME', 'churn_periods_trans_date'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.churn_periods_trans(@extschema@.periods_state, pg_catalog.timestamptz, pg_catalog.timestamptz, pg_catalog.tstzrange, pg_catalog.interval)
RETURNS @extschema@.periods_state
AS 'MODULE_PATHNAME', 'churn_periods_trans_tstz'
LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.churn_periods_trans(@extschema@.periods_state, pg_catalog.date, pg_catalog.date, pg_catalog.daterange, pg_catalog.interval, pg_catalog.interval)
RETURNS @extschema@.periods_state
AS 'MODULE_PATHNAME', 'churn_periods_trans_tenure_date'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.churn_periods_trans(@extschema@.periods_state, pg_catalog.timestamptz, pg_catalog.timestamptz, pg_catalog.tstzrange, pg_catalog.interval, pg_catalog.interval)
RETURNS @extschema@.periods_state
AS 'MODULE_PATHNAME', 'churn_periods_trans_tenure_tstz'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_periods_trans(@extschema@.periods_state, pg_catalog.date, pg_catalog.date, pg_catalog.daterange, pg_catalog.interval) IS 'transition function of churn_periods (date)';
COMMENT ON FUNCTION @extschema@.churn_periods_trans(@extschema@.periods_state, pg_catalog.timestamptz, pg_catalog.timestamptz, pg_catalog.tstzrange, pg_catalog.interval) IS 'transition function of churn_periods (timestamptz; steps in the session time zone)';
COMMENT ON FUNCTION @extschema@.churn_periods_trans(@extschema@.periods_state, pg_catalog.date, pg_catalog.date, pg_catalog.daterange, pg_catalog.interval, pg_catalog.interval) IS 'transition function of churn_periods with minimum tenure (date)';
COMMENT ON FUNCTION @extschema@.churn_periods_trans(@extschema@.periods_state, pg_catalog.timestamptz, pg_catalog.timestamptz, pg_catalog.tstzrange, pg_catalog.interval, pg_catalog.interval) IS 'transition function of churn_periods with minimum tenure (timestamptz; steps in the session time zone)';

CREATE FUNCTION @extschema@.periods_state_combine(@extschema@.periods_state, @extschema@.periods_state)
RETURNS @extschema@.periods_state
AS 'MODULE_PATHNAME', 'periods_state_combine'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.periods_state_combine(@extschema@.periods_state, @extschema@.periods_state) IS 'combine function of churn_periods: adds two partial states with the same steps';

CREATE FUNCTION @extschema@.churn_periods_final(@extschema@.periods_state)
RETURNS @extschema@.churn_period[]
AS 'MODULE_PATHNAME', 'churn_periods_final_date'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
-- STABLE: it refuses a state computed in another time zone than the
-- session's
CREATE FUNCTION @extschema@.churn_periods_final_tz(@extschema@.periods_state)
RETURNS @extschema@.churn_period_tz[]
AS 'MODULE_PATHNAME', 'churn_periods_final_tstz'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_periods_final(@extschema@.periods_state) IS 'final function of churn_periods over dates: one churn_period per step';
COMMENT ON FUNCTION @extschema@.churn_periods_final_tz(@extschema@.periods_state) IS 'final function of churn_periods over timestamptz: one churn_period_tz per step';

CREATE AGGREGATE @extschema@.churn_periods(since pg_catalog.date, until pg_catalog.date, period pg_catalog.daterange, step pg_catalog.interval) (
	SFUNC = @extschema@.churn_periods_trans,
	STYPE = @extschema@.periods_state,
	FINALFUNC = @extschema@.churn_periods_final,
	COMBINEFUNC = @extschema@.periods_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.churn_periods(pg_catalog.date, pg_catalog.date, pg_catalog.daterange, pg_catalog.interval) IS 'at_start, new, lost, new_lost, at_end, churn_rate and retention_rate of every step of the period, in one pass';

CREATE AGGREGATE @extschema@.churn_periods(since pg_catalog.date, until pg_catalog.date, period pg_catalog.daterange, step pg_catalog.interval, min_tenure pg_catalog.interval) (
	SFUNC = @extschema@.churn_periods_trans,
	STYPE = @extschema@.periods_state,
	FINALFUNC = @extschema@.churn_periods_final,
	COMBINEFUNC = @extschema@.periods_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.churn_periods(pg_catalog.date, pg_catalog.date, pg_catalog.daterange, pg_catalog.interval, pg_catalog.interval) IS 'at_start, new, lost, new_lost, at_end, churn_rate and retention_rate of every step of the period, excluding customers whose tenure at leaving is under min_tenure, in one pass';

CREATE AGGREGATE @extschema@.churn_periods(since pg_catalog.timestamptz, until pg_catalog.timestamptz, period pg_catalog.tstzrange, step pg_catalog.interval) (
	SFUNC = @extschema@.churn_periods_trans,
	STYPE = @extschema@.periods_state,
	FINALFUNC = @extschema@.churn_periods_final_tz,
	COMBINEFUNC = @extschema@.periods_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.churn_periods(pg_catalog.timestamptz, pg_catalog.timestamptz, pg_catalog.tstzrange, pg_catalog.interval) IS 'at_start, new, lost, new_lost, at_end, churn_rate and retention_rate of every step of the period (steps in the session time zone), in one pass';

CREATE AGGREGATE @extschema@.churn_periods(since pg_catalog.timestamptz, until pg_catalog.timestamptz, period pg_catalog.tstzrange, step pg_catalog.interval, min_tenure pg_catalog.interval) (
	SFUNC = @extschema@.churn_periods_trans,
	STYPE = @extschema@.periods_state,
	FINALFUNC = @extschema@.churn_periods_final_tz,
	COMBINEFUNC = @extschema@.periods_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.churn_periods(pg_catalog.timestamptz, pg_catalog.timestamptz, pg_catalog.tstzrange, pg_catalog.interval, pg_catalog.interval) IS 'at_start, new, lost, new_lost, at_end, churn_rate and retention_rate of every step of the period (steps in the session time zone), excluding customers whose tenure at leaving is under min_tenure, in one pass';

-- churn_periods over timestamp without time zone and tsrange (1.1): steps
-- and minimum tenures are timestamp + interval, so the state records no time
-- zone and the steps are the same in every session.
CREATE TYPE @extschema@.churn_period_ts AS (
	period_start pg_catalog.timestamp,
	period_end pg_catalog.timestamp,
	at_start pg_catalog.int8,
	new pg_catalog.int8,
	lost pg_catalog.int8,
	new_lost pg_catalog.int8,
	at_end pg_catalog.int8,
	churn_rate pg_catalog.float8,
	retention_rate pg_catalog.float8
);
COMMENT ON TYPE @extschema@.churn_period_ts IS
'one step [period_start, period_end) of churn_periods over timestamp without time zone: customer counts and rates';

CREATE FUNCTION @extschema@.churn_periods_trans(@extschema@.periods_state, pg_catalog.timestamp, pg_catalog.timestamp, pg_catalog.tsrange, pg_catalog.interval)
RETURNS @extschema@.periods_state
AS 'MODULE_PATHNAME', 'churn_periods_trans_ts'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.churn_periods_trans(@extschema@.periods_state, pg_catalog.timestamp, pg_catalog.timestamp, pg_catalog.tsrange, pg_catalog.interval, pg_catalog.interval)
RETURNS @extschema@.periods_state
AS 'MODULE_PATHNAME', 'churn_periods_trans_tenure_ts'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_periods_trans(@extschema@.periods_state, pg_catalog.timestamp, pg_catalog.timestamp, pg_catalog.tsrange, pg_catalog.interval) IS 'transition function of churn_periods (timestamp; steps as timestamp + interval, no time zone)';
COMMENT ON FUNCTION @extschema@.churn_periods_trans(@extschema@.periods_state, pg_catalog.timestamp, pg_catalog.timestamp, pg_catalog.tsrange, pg_catalog.interval, pg_catalog.interval) IS 'transition function of churn_periods with minimum tenure (timestamp; steps as timestamp + interval, no time zone)';

CREATE FUNCTION @extschema@.churn_periods_final_ts(@extschema@.periods_state)
RETURNS @extschema@.churn_period_ts[]
AS 'MODULE_PATHNAME', 'churn_periods_final_ts'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_periods_final_ts(@extschema@.periods_state) IS 'final function of churn_periods over timestamp: one churn_period_ts per step';

CREATE AGGREGATE @extschema@.churn_periods(since pg_catalog.timestamp, until pg_catalog.timestamp, period pg_catalog.tsrange, step pg_catalog.interval) (
	SFUNC = @extschema@.churn_periods_trans,
	STYPE = @extschema@.periods_state,
	FINALFUNC = @extschema@.churn_periods_final_ts,
	COMBINEFUNC = @extschema@.periods_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.churn_periods(pg_catalog.timestamp, pg_catalog.timestamp, pg_catalog.tsrange, pg_catalog.interval) IS 'at_start, new, lost, new_lost, at_end, churn_rate and retention_rate of every step of the period (steps as timestamp + interval), in one pass';

CREATE AGGREGATE @extschema@.churn_periods(since pg_catalog.timestamp, until pg_catalog.timestamp, period pg_catalog.tsrange, step pg_catalog.interval, min_tenure pg_catalog.interval) (
	SFUNC = @extschema@.churn_periods_trans,
	STYPE = @extschema@.periods_state,
	FINALFUNC = @extschema@.churn_periods_final_ts,
	COMBINEFUNC = @extschema@.periods_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.churn_periods(pg_catalog.timestamp, pg_catalog.timestamp, pg_catalog.tsrange, pg_catalog.interval, pg_catalog.interval) IS 'at_start, new, lost, new_lost, at_end, churn_rate and retention_rate of every step of the period (steps as timestamp + interval), excluding customers whose tenure at leaving is under min_tenure, in one pass';

-- ---------------------------------------------------------------------------
-- diversion_matrix: from × to matrix of channel moves
-- ---------------------------------------------------------------------------
CREATE TYPE @extschema@.matrix_state;

CREATE FUNCTION @extschema@.matrix_state_in(pg_catalog.cstring)
RETURNS @extschema@.matrix_state
AS 'MODULE_PATHNAME', 'matrix_state_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.matrix_state_out(@extschema@.matrix_state)
RETURNS pg_catalog.cstring
AS 'MODULE_PATHNAME', 'matrix_state_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.matrix_state_recv(pg_catalog.internal)
RETURNS @extschema@.matrix_state
AS 'MODULE_PATHNAME', 'matrix_state_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.matrix_state_send(@extschema@.matrix_state)
RETURNS pg_catalog.bytea
AS 'MODULE_PATHNAME', 'matrix_state_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.matrix_state (
	INPUT = @extschema@.matrix_state_in,
	OUTPUT = @extschema@.matrix_state_out,
	RECEIVE = @extschema@.matrix_state_recv,
	SEND = @extschema@.matrix_state_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = extended
);

COMMENT ON TYPE @extschema@.matrix_state IS
'transition state of diversion_matrix: channel dictionary with base counts and (from, to, moved) pairs; text form (version,domain,lower,upper,{"channel":base,...},{from:to:moved,...})';
COMMENT ON FUNCTION @extschema@.matrix_state_in(pg_catalog.cstring) IS 'text input of churn.matrix_state';
COMMENT ON FUNCTION @extschema@.matrix_state_out(@extschema@.matrix_state) IS 'text output of churn.matrix_state';
COMMENT ON FUNCTION @extschema@.matrix_state_recv(pg_catalog.internal) IS 'binary input of churn.matrix_state';
COMMENT ON FUNCTION @extschema@.matrix_state_send(@extschema@.matrix_state) IS 'binary output of churn.matrix_state';

CREATE TYPE @extschema@.diversion_flow AS (
	from_channel pg_catalog.text,
	to_channel pg_catalog.text,
	moved pg_catalog.int8,
	from_base pg_catalog.int8,
	from_diverted pg_catalog.int8,
	rate pg_catalog.float8,
	from_diversion_rate pg_catalog.float8
);
COMMENT ON TYPE @extschema@.diversion_flow IS
'one cell of diversion_matrix: stays of from_channel that moved to to_channel in the period, the base and total moves of from_channel, moved / from_base and from_diverted / from_base';

CREATE FUNCTION @extschema@.diversion_matrix_trans(@extschema@.matrix_state, pg_catalog.text, pg_catalog.text, pg_catalog.date, pg_catalog.date, pg_catalog.daterange)
RETURNS @extschema@.matrix_state
AS 'MODULE_PATHNAME', 'diversion_matrix_trans_date'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.diversion_matrix_trans(@extschema@.matrix_state, pg_catalog.text, pg_catalog.text, pg_catalog.timestamptz, pg_catalog.timestamptz, pg_catalog.tstzrange)
RETURNS @extschema@.matrix_state
AS 'MODULE_PATHNAME', 'diversion_matrix_trans_tstz'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.diversion_matrix_trans(@extschema@.matrix_state, pg_catalog.text, pg_catalog.text, pg_catalog.date, pg_catalog.date, pg_catalog.daterange) IS 'transition function of diversion_matrix (date)';
COMMENT ON FUNCTION @extschema@.diversion_matrix_trans(@extschema@.matrix_state, pg_catalog.text, pg_catalog.text, pg_catalog.timestamptz, pg_catalog.timestamptz, pg_catalog.tstzrange) IS 'transition function of diversion_matrix (timestamptz)';

CREATE FUNCTION @extschema@.matrix_state_combine(@extschema@.matrix_state, @extschema@.matrix_state)
RETURNS @extschema@.matrix_state
AS 'MODULE_PATHNAME', 'matrix_state_combine'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.matrix_state_combine(@extschema@.matrix_state, @extschema@.matrix_state) IS 'combine function of diversion_matrix: merges two partial states of the same period';

CREATE FUNCTION @extschema@.diversion_matrix_final(@extschema@.matrix_state)
RETURNS @extschema@.diversion_flow[]
AS 'MODULE_PATHNAME', 'diversion_matrix_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.diversion_matrix_final(@extschema@.matrix_state) IS 'final function of diversion_matrix: one diversion_flow per (from, to) pair with moves, ordered by from_channel, to_channel (bytewise)';

CREATE AGGREGATE @extschema@.diversion_matrix(channel pg_catalog.text, moved_to pg_catalog.text, since pg_catalog.date, until pg_catalog.date, period pg_catalog.daterange) (
	SFUNC = @extschema@.diversion_matrix_trans,
	STYPE = @extschema@.matrix_state,
	FINALFUNC = @extschema@.diversion_matrix_final,
	COMBINEFUNC = @extschema@.matrix_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.diversion_matrix(pg_catalog.text, pg_catalog.text, pg_catalog.date, pg_catalog.date, pg_catalog.daterange) IS 'from × to matrix of channel moves during the period, with each from-channel''s base and rates';

CREATE AGGREGATE @extschema@.diversion_matrix(channel pg_catalog.text, moved_to pg_catalog.text, since pg_catalog.timestamptz, until pg_catalog.timestamptz, period pg_catalog.tstzrange) (
	SFUNC = @extschema@.diversion_matrix_trans,
	STYPE = @extschema@.matrix_state,
	FINALFUNC = @extschema@.diversion_matrix_final,
	COMBINEFUNC = @extschema@.matrix_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.diversion_matrix(pg_catalog.text, pg_catalog.text, pg_catalog.timestamptz, pg_catalog.timestamptz, pg_catalog.tstzrange) IS 'from × to matrix of channel moves during the period, with each from-channel''s base and rates';

-- diversion_matrix over timestamp without time zone and tsrange (1.1)
CREATE FUNCTION @extschema@.diversion_matrix_trans(@extschema@.matrix_state, pg_catalog.text, pg_catalog.text, pg_catalog.timestamp, pg_catalog.timestamp, pg_catalog.tsrange)
RETURNS @extschema@.matrix_state
AS 'MODULE_PATHNAME', 'diversion_matrix_trans_ts'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.diversion_matrix_trans(@extschema@.matrix_state, pg_catalog.text, pg_catalog.text, pg_catalog.timestamp, pg_catalog.timestamp, pg_catalog.tsrange) IS 'transition function of diversion_matrix (timestamp)';

CREATE AGGREGATE @extschema@.diversion_matrix(channel pg_catalog.text, moved_to pg_catalog.text, since pg_catalog.timestamp, until pg_catalog.timestamp, period pg_catalog.tsrange) (
	SFUNC = @extschema@.diversion_matrix_trans,
	STYPE = @extschema@.matrix_state,
	FINALFUNC = @extschema@.diversion_matrix_final,
	COMBINEFUNC = @extschema@.matrix_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.diversion_matrix(pg_catalog.text, pg_catalog.text, pg_catalog.timestamp, pg_catalog.timestamp, pg_catalog.tsrange) IS 'from × to matrix of channel moves during the period, with each from-channel''s base and rates';
