
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
