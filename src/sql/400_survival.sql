
--
-- 400_survival.sql: Kaplan-Meier survival curves (survival_curve type,
-- survival() and rollup() aggregates, readers).
--

CREATE TYPE @extschema@.survival_curve;

CREATE FUNCTION @extschema@.survival_curve_in(pg_catalog.cstring)
RETURNS @extschema@.survival_curve
AS 'MODULE_PATHNAME', 'survival_curve_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.survival_curve_out(@extschema@.survival_curve)
RETURNS pg_catalog.cstring
AS 'MODULE_PATHNAME', 'survival_curve_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.survival_curve_recv(pg_catalog.internal)
RETURNS @extschema@.survival_curve
AS 'MODULE_PATHNAME', 'survival_curve_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.survival_curve_send(@extschema@.survival_curve)
RETURNS pg_catalog.bytea
AS 'MODULE_PATHNAME', 'survival_curve_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.survival_curve (
	INPUT = @extschema@.survival_curve_in,
	OUTPUT = @extschema@.survival_curve_out,
	RECEIVE = @extschema@.survival_curve_recv,
	SEND = @extschema@.survival_curve_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = extended
);

COMMENT ON TYPE @extschema@.survival_curve IS
'Kaplan-Meier life table: subjects, events and censorings per distinct duration';
COMMENT ON FUNCTION @extschema@.survival_curve_in(pg_catalog.cstring) IS
'text input of survival_curve';
COMMENT ON FUNCTION @extschema@.survival_curve_out(@extschema@.survival_curve) IS
'text output of survival_curve';
COMMENT ON FUNCTION @extschema@.survival_curve_recv(pg_catalog.internal) IS
'binary input of survival_curve';
COMMENT ON FUNCTION @extschema@.survival_curve_send(@extschema@.survival_curve) IS
'binary output of survival_curve';

-- aggregate support
CREATE FUNCTION @extschema@.survival_trans(@extschema@.survival_curve, pg_catalog.float8, pg_catalog.bool)
RETURNS @extschema@.survival_curve
AS 'MODULE_PATHNAME', 'survival_trans_float8'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.survival_trans(@extschema@.survival_curve, pg_catalog.numeric, pg_catalog.bool)
RETURNS @extschema@.survival_curve
AS 'MODULE_PATHNAME', 'survival_trans_numeric'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.survival_trans(@extschema@.survival_curve, pg_catalog.interval, pg_catalog.bool)
RETURNS @extschema@.survival_curve
AS 'MODULE_PATHNAME', 'survival_trans_interval'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.survival_combine(@extschema@.survival_curve, @extschema@.survival_curve)
RETURNS @extschema@.survival_curve
AS 'MODULE_PATHNAME', 'survival_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.survival_trans(@extschema@.survival_curve, pg_catalog.float8, pg_catalog.bool) IS
'transition function of survival(float8, boolean)';
COMMENT ON FUNCTION @extschema@.survival_trans(@extschema@.survival_curve, pg_catalog.numeric, pg_catalog.bool) IS
'transition function of survival(numeric, boolean)';
COMMENT ON FUNCTION @extschema@.survival_trans(@extschema@.survival_curve, pg_catalog.interval, pg_catalog.bool) IS
'transition function of survival(interval, boolean)';
COMMENT ON FUNCTION @extschema@.survival_combine(@extschema@.survival_curve, @extschema@.survival_curve) IS
'merges two survival curves of disjoint subjects (combine function of survival and rollup)';

CREATE AGGREGATE @extschema@.survival(pg_catalog.float8, pg_catalog.bool) (
	SFUNC = @extschema@.survival_trans,
	STYPE = @extschema@.survival_curve,
	COMBINEFUNC = @extschema@.survival_combine,
	PARALLEL = SAFE
);

CREATE AGGREGATE @extschema@.survival(pg_catalog.numeric, pg_catalog.bool) (
	SFUNC = @extschema@.survival_trans,
	STYPE = @extschema@.survival_curve,
	COMBINEFUNC = @extschema@.survival_combine,
	PARALLEL = SAFE
);

CREATE AGGREGATE @extschema@.survival(pg_catalog.interval, pg_catalog.bool) (
	SFUNC = @extschema@.survival_trans,
	STYPE = @extschema@.survival_curve,
	COMBINEFUNC = @extschema@.survival_combine,
	PARALLEL = SAFE
);

CREATE AGGREGATE @extschema@.rollup(@extschema@.survival_curve) (
	SFUNC = @extschema@.survival_combine,
	STYPE = @extschema@.survival_curve,
	COMBINEFUNC = @extschema@.survival_combine,
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE @extschema@.survival(pg_catalog.float8, pg_catalog.bool) IS
'Kaplan-Meier survival curve of (duration, event) rows';
COMMENT ON AGGREGATE @extschema@.survival(pg_catalog.numeric, pg_catalog.bool) IS
'Kaplan-Meier survival curve of (duration, event) rows';
COMMENT ON AGGREGATE @extschema@.survival(pg_catalog.interval, pg_catalog.bool) IS
'Kaplan-Meier survival curve of (duration, event) rows, durations in days';
COMMENT ON AGGREGATE @extschema@.rollup(@extschema@.survival_curve) IS
'merges survival curves of disjoint subjects into the curve of their union';

-- readers
CREATE FUNCTION @extschema@.survival_at(@extschema@.survival_curve, pg_catalog.float8)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'survival_at'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.survival_at(@extschema@.survival_curve, pg_catalog.interval)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'survival_at_interval'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.median_lifetime(@extschema@.survival_curve)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'median_lifetime'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.restricted_mean_lifetime(@extschema@.survival_curve, pg_catalog.float8)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'restricted_mean_lifetime'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.restricted_mean_lifetime(@extschema@.survival_curve, pg_catalog.interval)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'restricted_mean_lifetime_interval'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.survival_points(curve @extschema@.survival_curve,
	OUT "time" pg_catalog.float8, OUT at_risk pg_catalog.int8,
	OUT events pg_catalog.int8, OUT censored pg_catalog.int8,
	OUT survival pg_catalog.float8, OUT std_error pg_catalog.float8,
	OUT lower pg_catalog.float8, OUT upper pg_catalog.float8)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'survival_points'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 20;

COMMENT ON FUNCTION @extschema@.survival_at(@extschema@.survival_curve, pg_catalog.float8) IS
'Kaplan-Meier survival probability S(t)';
COMMENT ON FUNCTION @extschema@.survival_at(@extschema@.survival_curve, pg_catalog.interval) IS
'Kaplan-Meier survival probability S(t) of a curve of interval durations';
COMMENT ON FUNCTION @extschema@.median_lifetime(@extschema@.survival_curve) IS
'median lifetime as R survfit prints it; NULL when survival never falls to 0.5';
COMMENT ON FUNCTION @extschema@.restricted_mean_lifetime(@extschema@.survival_curve, pg_catalog.float8) IS
'restricted mean lifetime: area under S(t) from 0 to the horizon';
COMMENT ON FUNCTION @extschema@.restricted_mean_lifetime(@extschema@.survival_curve, pg_catalog.interval) IS
'restricted mean lifetime in days of a curve of interval durations';
COMMENT ON FUNCTION @extschema@.survival_points(@extschema@.survival_curve) IS
'life table: one row per distinct duration with survival, Greenwood standard error and 95% log bounds';

--
-- cohort_retention: cohort sizes and survivors per (cohort, age) cell.
--

CREATE TYPE @extschema@.cohort_retention_state;

CREATE FUNCTION @extschema@.cohort_retention_state_in(pg_catalog.cstring)
RETURNS @extschema@.cohort_retention_state
AS 'MODULE_PATHNAME', 'cohort_retention_state_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.cohort_retention_state_out(@extschema@.cohort_retention_state)
RETURNS pg_catalog.cstring
AS 'MODULE_PATHNAME', 'cohort_retention_state_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.cohort_retention_state_recv(pg_catalog.internal)
RETURNS @extschema@.cohort_retention_state
AS 'MODULE_PATHNAME', 'cohort_retention_state_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.cohort_retention_state_send(@extschema@.cohort_retention_state)
RETURNS pg_catalog.bytea
AS 'MODULE_PATHNAME', 'cohort_retention_state_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.cohort_retention_state (
	INPUT = @extschema@.cohort_retention_state_in,
	OUTPUT = @extschema@.cohort_retention_state_out,
	RECEIVE = @extschema@.cohort_retention_state_recv,
	SEND = @extschema@.cohort_retention_state_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = extended
);

COMMENT ON TYPE @extschema@.cohort_retention_state IS
'partial state of cohort_retention: per cohort, members by number of ages active, and (version 2) the time zone when steps over timestamptz were taken in local time';
COMMENT ON FUNCTION @extschema@.cohort_retention_state_in(pg_catalog.cstring) IS
'text input of cohort_retention_state';
COMMENT ON FUNCTION @extschema@.cohort_retention_state_out(@extschema@.cohort_retention_state) IS
'text output of cohort_retention_state';
COMMENT ON FUNCTION @extschema@.cohort_retention_state_recv(pg_catalog.internal) IS
'binary input of cohort_retention_state';
COMMENT ON FUNCTION @extschema@.cohort_retention_state_send(@extschema@.cohort_retention_state) IS
'binary output of cohort_retention_state';

CREATE TYPE @extschema@.cohort_retention_row AS (
	cohort pg_catalog.int4,
	cohort_start pg_catalog.timestamptz,
	age pg_catalog.int4,
	measured_at pg_catalog.timestamptz,
	cohort_size pg_catalog.int8,
	active pg_catalog.int8,
	rate pg_catalog.float8
);
COMMENT ON TYPE @extschema@.cohort_retention_row IS
'one (cohort, age) cell of cohort_retention over timestamptz';

CREATE TYPE @extschema@.cohort_retention_date_row AS (
	cohort pg_catalog.int4,
	cohort_start pg_catalog.date,
	age pg_catalog.int4,
	measured_at pg_catalog.date,
	cohort_size pg_catalog.int8,
	active pg_catalog.int8,
	rate pg_catalog.float8
);
COMMENT ON TYPE @extschema@.cohort_retention_date_row IS
'one (cohort, age) cell of cohort_retention over date';

CREATE FUNCTION @extschema@.cohort_retention_trans(@extschema@.cohort_retention_state,
	pg_catalog.date, pg_catalog.date, pg_catalog.date, pg_catalog.interval,
	pg_catalog.interval, pg_catalog.int4)
RETURNS @extschema@.cohort_retention_state
AS 'MODULE_PATHNAME', 'cohort_retention_trans_date'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.cohort_retention_trans(@extschema@.cohort_retention_state,
	pg_catalog.timestamptz, pg_catalog.timestamptz, pg_catalog.timestamptz,
	pg_catalog.interval, pg_catalog.interval, pg_catalog.int4)
RETURNS @extschema@.cohort_retention_state
AS 'MODULE_PATHNAME', 'cohort_retention_trans_tstz'
LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.cohort_retention_combine(@extschema@.cohort_retention_state,
	@extschema@.cohort_retention_state)
RETURNS @extschema@.cohort_retention_state
AS 'MODULE_PATHNAME', 'cohort_retention_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- The final functions leave out the ages not observed yet (measured after
-- the transaction's start): STABLE.
CREATE FUNCTION @extschema@.cohort_retention_final_date(@extschema@.cohort_retention_state)
RETURNS @extschema@.cohort_retention_date_row[]
AS 'MODULE_PATHNAME', 'cohort_retention_final_date'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.cohort_retention_final(@extschema@.cohort_retention_state)
RETURNS @extschema@.cohort_retention_row[]
AS 'MODULE_PATHNAME', 'cohort_retention_final_tstz'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.cohort_retention_trans(@extschema@.cohort_retention_state,
	pg_catalog.date, pg_catalog.date, pg_catalog.date, pg_catalog.interval,
	pg_catalog.interval, pg_catalog.int4) IS
'transition function of cohort_retention(date, ...)';
COMMENT ON FUNCTION @extschema@.cohort_retention_trans(@extschema@.cohort_retention_state,
	pg_catalog.timestamptz, pg_catalog.timestamptz, pg_catalog.timestamptz,
	pg_catalog.interval, pg_catalog.interval, pg_catalog.int4) IS
'transition function of cohort_retention(timestamptz, ...)';
COMMENT ON FUNCTION @extschema@.cohort_retention_combine(@extschema@.cohort_retention_state,
	@extschema@.cohort_retention_state) IS
'adds two cohort_retention states with the same parameters';
COMMENT ON FUNCTION @extschema@.cohort_retention_final_date(@extschema@.cohort_retention_state) IS
'cells of a cohort_retention state over dates, the ages observed by the current date';
COMMENT ON FUNCTION @extschema@.cohort_retention_final(@extschema@.cohort_retention_state) IS
'cells of a cohort_retention state over timestamptz, the ages observed by the transaction''s start';

CREATE AGGREGATE @extschema@.cohort_retention(since pg_catalog.date, until pg_catalog.date,
	origin pg_catalog.date, cohort_step pg_catalog.interval,
	age_step pg_catalog.interval, ages pg_catalog.int4) (
	SFUNC = @extschema@.cohort_retention_trans,
	STYPE = @extschema@.cohort_retention_state,
	FINALFUNC = @extschema@.cohort_retention_final_date,
	COMBINEFUNC = @extschema@.cohort_retention_combine,
	PARALLEL = SAFE
);

CREATE AGGREGATE @extschema@.cohort_retention(since pg_catalog.timestamptz,
	until pg_catalog.timestamptz, origin pg_catalog.timestamptz,
	cohort_step pg_catalog.interval, age_step pg_catalog.interval,
	ages pg_catalog.int4) (
	SFUNC = @extschema@.cohort_retention_trans,
	STYPE = @extschema@.cohort_retention_state,
	FINALFUNC = @extschema@.cohort_retention_final,
	COMBINEFUNC = @extschema@.cohort_retention_combine,
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE @extschema@.cohort_retention(pg_catalog.date, pg_catalog.date,
	pg_catalog.date, pg_catalog.interval, pg_catalog.interval, pg_catalog.int4) IS
'cohort size, active members and retention rate per (cohort, age) over dates';
COMMENT ON AGGREGATE @extschema@.cohort_retention(pg_catalog.timestamptz,
	pg_catalog.timestamptz, pg_catalog.timestamptz, pg_catalog.interval,
	pg_catalog.interval, pg_catalog.int4) IS
'cohort size, active members and retention rate per (cohort, age) over timestamptz';

-- cohort_retention over timestamp without time zone (1.1): cohorts and ages
-- are timestamp + interval, so the state records no time zone and the
-- cells are the same in every session; the final function leaves out the
-- ages measured after LOCALTIMESTAMP (STABLE), as the date one leaves out
-- those after CURRENT_DATE.
CREATE TYPE @extschema@.cohort_retention_ts_row AS (
	cohort pg_catalog.int4,
	cohort_start pg_catalog.timestamp,
	age pg_catalog.int4,
	measured_at pg_catalog.timestamp,
	cohort_size pg_catalog.int8,
	active pg_catalog.int8,
	rate pg_catalog.float8
);
COMMENT ON TYPE @extschema@.cohort_retention_ts_row IS
'one (cohort, age) cell of cohort_retention over timestamp without time zone';

CREATE FUNCTION @extschema@.cohort_retention_trans(@extschema@.cohort_retention_state,
	pg_catalog.timestamp, pg_catalog.timestamp, pg_catalog.timestamp,
	pg_catalog.interval, pg_catalog.interval, pg_catalog.int4)
RETURNS @extschema@.cohort_retention_state
AS 'MODULE_PATHNAME', 'cohort_retention_trans_ts'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.cohort_retention_final_ts(@extschema@.cohort_retention_state)
RETURNS @extschema@.cohort_retention_ts_row[]
AS 'MODULE_PATHNAME', 'cohort_retention_final_ts'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.cohort_retention_trans(@extschema@.cohort_retention_state,
	pg_catalog.timestamp, pg_catalog.timestamp, pg_catalog.timestamp,
	pg_catalog.interval, pg_catalog.interval, pg_catalog.int4) IS
'transition function of cohort_retention(timestamp, ...)';
COMMENT ON FUNCTION @extschema@.cohort_retention_final_ts(@extschema@.cohort_retention_state) IS
'cells of a cohort_retention state over timestamp, the ages observed by LOCALTIMESTAMP at the transaction''s start';

CREATE AGGREGATE @extschema@.cohort_retention(since pg_catalog.timestamp,
	until pg_catalog.timestamp, origin pg_catalog.timestamp,
	cohort_step pg_catalog.interval, age_step pg_catalog.interval,
	ages pg_catalog.int4) (
	SFUNC = @extschema@.cohort_retention_trans,
	STYPE = @extschema@.cohort_retention_state,
	FINALFUNC = @extschema@.cohort_retention_final_ts,
	COMBINEFUNC = @extschema@.cohort_retention_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.cohort_retention(pg_catalog.timestamp,
	pg_catalog.timestamp, pg_catalog.timestamp, pg_catalog.interval,
	pg_catalog.interval, pg_catalog.int4) IS
'cohort size, active members and retention rate per (cohort, age) over timestamp without time zone';
