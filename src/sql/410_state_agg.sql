
--
-- 410_state_agg.sql: time in lifecycle states (state_agg type, state_agg()
-- and rollup() aggregates, readers).
--

CREATE TYPE @extschema@.state_agg;

CREATE FUNCTION @extschema@.state_agg_in(pg_catalog.cstring)
RETURNS @extschema@.state_agg
AS 'MODULE_PATHNAME', 'state_agg_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.state_agg_out(@extschema@.state_agg)
RETURNS pg_catalog.cstring
AS 'MODULE_PATHNAME', 'state_agg_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.state_agg_recv(pg_catalog.internal)
RETURNS @extschema@.state_agg
AS 'MODULE_PATHNAME', 'state_agg_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.state_agg_send(@extschema@.state_agg)
RETURNS pg_catalog.bytea
AS 'MODULE_PATHNAME', 'state_agg_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.state_agg (
	INPUT = @extschema@.state_agg_in,
	OUTPUT = @extschema@.state_agg_out,
	RECEIVE = @extschema@.state_agg_recv,
	SEND = @extschema@.state_agg_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = extended
);

COMMENT ON TYPE @extschema@.state_agg IS
'lifecycle timeline of one entity, or time-in-state and transition totals of many';
COMMENT ON FUNCTION @extschema@.state_agg_in(pg_catalog.cstring) IS
'text input of state_agg';
COMMENT ON FUNCTION @extschema@.state_agg_out(@extschema@.state_agg) IS
'text output of state_agg';
COMMENT ON FUNCTION @extschema@.state_agg_recv(pg_catalog.internal) IS
'binary input of state_agg';
COMMENT ON FUNCTION @extschema@.state_agg_send(@extschema@.state_agg) IS
'binary output of state_agg';

CREATE FUNCTION @extschema@.state_agg_trans(@extschema@.state_agg,
	@extschema@.lifecycle, pg_catalog.timestamptz)
RETURNS @extschema@.state_agg
AS 'MODULE_PATHNAME', 'state_agg_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.state_agg_combine(@extschema@.state_agg, @extschema@.state_agg)
RETURNS @extschema@.state_agg
AS 'MODULE_PATHNAME', 'state_agg_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.state_agg_rollup_trans(@extschema@.state_agg, @extschema@.state_agg)
RETURNS @extschema@.state_agg
AS 'MODULE_PATHNAME', 'state_agg_rollup_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.state_agg_trans(@extschema@.state_agg,
	@extschema@.lifecycle, pg_catalog.timestamptz) IS
'transition function of state_agg';
COMMENT ON FUNCTION @extschema@.state_agg_combine(@extschema@.state_agg, @extschema@.state_agg) IS
'union of the observations of two partial timelines of one entity';
COMMENT ON FUNCTION @extschema@.state_agg_rollup_trans(@extschema@.state_agg, @extschema@.state_agg) IS
'adds a state_agg into the totals of rollup(state_agg)';

CREATE AGGREGATE @extschema@.state_agg(state @extschema@.lifecycle, at pg_catalog.timestamptz) (
	SFUNC = @extschema@.state_agg_trans,
	STYPE = @extschema@.state_agg,
	COMBINEFUNC = @extschema@.state_agg_combine,
	PARALLEL = SAFE
);

CREATE AGGREGATE @extschema@.rollup(@extschema@.state_agg) (
	SFUNC = @extschema@.state_agg_rollup_trans,
	STYPE = @extschema@.state_agg,
	COMBINEFUNC = @extschema@.state_agg_rollup_trans,
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE @extschema@.state_agg(@extschema@.lifecycle, pg_catalog.timestamptz) IS
'lifecycle timeline of one entity from (state, at) observations in any order';
COMMENT ON AGGREGATE @extschema@.rollup(@extschema@.state_agg) IS
'sums time in each state and transition counts of many entities';

CREATE FUNCTION @extschema@.time_in(@extschema@.state_agg, @extschema@.lifecycle)
RETURNS pg_catalog.interval
AS 'MODULE_PATHNAME', 'state_agg_time_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.state_at(@extschema@.state_agg, pg_catalog.timestamptz)
RETURNS @extschema@.lifecycle
AS 'MODULE_PATHNAME', 'state_agg_state_at'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.transitions(agg @extschema@.state_agg,
	OUT from_state @extschema@.lifecycle, OUT to_state @extschema@.lifecycle,
	OUT count pg_catalog.int8)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'state_agg_transitions'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 10;

COMMENT ON FUNCTION @extschema@.time_in(@extschema@.state_agg, @extschema@.lifecycle) IS
'total time spent in a state (the last, open-ended observation counts nothing)';
COMMENT ON FUNCTION @extschema@.state_at(@extschema@.state_agg, pg_catalog.timestamptz) IS
'state of a timeline at an instant; NULL before its first observation';
COMMENT ON FUNCTION @extschema@.transitions(@extschema@.state_agg) IS
'state changes of a timeline (or totals of a rollup) as (from_state, to_state, count)';
