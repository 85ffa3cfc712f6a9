/* churn--1.0.sql: install script of the churn extension, version 1.0 */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION churn" to load this file. \quit


--
-- 100_lifecycle.sql: the churn.lifecycle type (src/lifecycle.c,
-- src/lifecycle_transition.c)
--

CREATE TYPE @extschema@.lifecycle;

CREATE FUNCTION @extschema@.lifecycle_in(pg_catalog.cstring)
RETURNS @extschema@.lifecycle
AS 'MODULE_PATHNAME', 'lifecycle_in'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.lifecycle_out(@extschema@.lifecycle)
RETURNS pg_catalog.cstring
AS 'MODULE_PATHNAME', 'lifecycle_out'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.lifecycle_recv(pg_catalog.internal)
RETURNS @extschema@.lifecycle
AS 'MODULE_PATHNAME', 'lifecycle_recv'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.lifecycle_send(@extschema@.lifecycle)
RETURNS pg_catalog.bytea
AS 'MODULE_PATHNAME', 'lifecycle_send'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

CREATE TYPE @extschema@.lifecycle (
	INPUT = @extschema@.lifecycle_in,
	OUTPUT = @extschema@.lifecycle_out,
	RECEIVE = @extschema@.lifecycle_recv,
	SEND = @extschema@.lifecycle_send,
	INTERNALLENGTH = 1,
	PASSEDBYVALUE,
	ALIGNMENT = char,
	STORAGE = plain
);

COMMENT ON TYPE @extschema@.lifecycle IS
'customer lifecycle state, one byte, in lifecycle order: prospect, new, active, at_risk, dormant, churned, reactivated';
COMMENT ON FUNCTION @extschema@.lifecycle_in(pg_catalog.cstring) IS
'input of lifecycle: an English state name (any letter case) or its Chinese label, surrounding spaces ignored';
COMMENT ON FUNCTION @extschema@.lifecycle_out(@extschema@.lifecycle) IS
'output of lifecycle: the English state name';
COMMENT ON FUNCTION @extschema@.lifecycle_recv(pg_catalog.internal) IS
'binary input of lifecycle: the one-byte state code';
COMMENT ON FUNCTION @extschema@.lifecycle_send(@extschema@.lifecycle) IS
'binary output of lifecycle: the one-byte state code';

-- comparison, in lifecycle order

CREATE FUNCTION @extschema@.lifecycle_lt(@extschema@.lifecycle, @extschema@.lifecycle)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'lifecycle_lt'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.lifecycle_le(@extschema@.lifecycle, @extschema@.lifecycle)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'lifecycle_le'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.lifecycle_eq(@extschema@.lifecycle, @extschema@.lifecycle)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'lifecycle_eq'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.lifecycle_ne(@extschema@.lifecycle, @extschema@.lifecycle)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'lifecycle_ne'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.lifecycle_ge(@extschema@.lifecycle, @extschema@.lifecycle)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'lifecycle_ge'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.lifecycle_gt(@extschema@.lifecycle, @extschema@.lifecycle)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'lifecycle_gt'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.lifecycle_cmp(@extschema@.lifecycle, @extschema@.lifecycle)
RETURNS pg_catalog.int4
AS 'MODULE_PATHNAME', 'lifecycle_cmp'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.lifecycle_sortsupport(pg_catalog.internal)
RETURNS pg_catalog.void
AS 'MODULE_PATHNAME', 'lifecycle_sortsupport'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.lifecycle_hash(@extschema@.lifecycle)
RETURNS pg_catalog.int4
AS 'MODULE_PATHNAME', 'lifecycle_hash'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.lifecycle_hash_extended(@extschema@.lifecycle, pg_catalog.int8)
RETURNS pg_catalog.int8
AS 'MODULE_PATHNAME', 'lifecycle_hash_extended'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.lifecycle_smaller(@extschema@.lifecycle, @extschema@.lifecycle)
RETURNS @extschema@.lifecycle
AS 'MODULE_PATHNAME', 'lifecycle_smaller'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.lifecycle_larger(@extschema@.lifecycle, @extschema@.lifecycle)
RETURNS @extschema@.lifecycle
AS 'MODULE_PATHNAME', 'lifecycle_larger'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.lifecycle_lt(@extschema@.lifecycle, @extschema@.lifecycle) IS
'implementation of < for lifecycle (lifecycle order)';
COMMENT ON FUNCTION @extschema@.lifecycle_le(@extschema@.lifecycle, @extschema@.lifecycle) IS
'implementation of <= for lifecycle (lifecycle order)';
COMMENT ON FUNCTION @extschema@.lifecycle_eq(@extschema@.lifecycle, @extschema@.lifecycle) IS
'implementation of = for lifecycle';
COMMENT ON FUNCTION @extschema@.lifecycle_ne(@extschema@.lifecycle, @extschema@.lifecycle) IS
'implementation of <> for lifecycle';
COMMENT ON FUNCTION @extschema@.lifecycle_ge(@extschema@.lifecycle, @extschema@.lifecycle) IS
'implementation of >= for lifecycle (lifecycle order)';
COMMENT ON FUNCTION @extschema@.lifecycle_gt(@extschema@.lifecycle, @extschema@.lifecycle) IS
'implementation of > for lifecycle (lifecycle order)';
COMMENT ON FUNCTION @extschema@.lifecycle_cmp(@extschema@.lifecycle, @extschema@.lifecycle) IS
'btree comparison of lifecycle values: -1, 0 or 1 in lifecycle order';
COMMENT ON FUNCTION @extschema@.lifecycle_sortsupport(pg_catalog.internal) IS
'btree sort support for lifecycle (a direct comparator for sorts and index builds)';
COMMENT ON FUNCTION @extschema@.lifecycle_hash(@extschema@.lifecycle) IS
'hash of a lifecycle value';
COMMENT ON FUNCTION @extschema@.lifecycle_hash_extended(@extschema@.lifecycle, pg_catalog.int8) IS
'seeded 64-bit hash of a lifecycle value';
COMMENT ON FUNCTION @extschema@.lifecycle_smaller(@extschema@.lifecycle, @extschema@.lifecycle) IS
'the earlier of two lifecycle states in lifecycle order';
COMMENT ON FUNCTION @extschema@.lifecycle_larger(@extschema@.lifecycle, @extschema@.lifecycle) IS
'the later of two lifecycle states in lifecycle order';

CREATE OPERATOR @extschema@.< (
	LEFTARG = @extschema@.lifecycle,
	RIGHTARG = @extschema@.lifecycle,
	FUNCTION = @extschema@.lifecycle_lt,
	COMMUTATOR = OPERATOR(@extschema@.>),
	NEGATOR = OPERATOR(@extschema@.>=),
	RESTRICT = pg_catalog.scalarltsel,
	JOIN = pg_catalog.scalarltjoinsel
);

CREATE OPERATOR @extschema@.<= (
	LEFTARG = @extschema@.lifecycle,
	RIGHTARG = @extschema@.lifecycle,
	FUNCTION = @extschema@.lifecycle_le,
	COMMUTATOR = OPERATOR(@extschema@.>=),
	NEGATOR = OPERATOR(@extschema@.>),
	RESTRICT = pg_catalog.scalarlesel,
	JOIN = pg_catalog.scalarlejoinsel
);

CREATE OPERATOR @extschema@.= (
	LEFTARG = @extschema@.lifecycle,
	RIGHTARG = @extschema@.lifecycle,
	FUNCTION = @extschema@.lifecycle_eq,
	COMMUTATOR = OPERATOR(@extschema@.=),
	NEGATOR = OPERATOR(@extschema@.<>),
	RESTRICT = pg_catalog.eqsel,
	JOIN = pg_catalog.eqjoinsel,
	HASHES,
	MERGES
);

CREATE OPERATOR @extschema@.<> (
	LEFTARG = @extschema@.lifecycle,
	RIGHTARG = @extschema@.lifecycle,
	FUNCTION = @extschema@.lifecycle_ne,
	COMMUTATOR = OPERATOR(@extschema@.<>),
	NEGATOR = OPERATOR(@extschema@.=),
	RESTRICT = pg_catalog.neqsel,
	JOIN = pg_catalog.neqjoinsel
);

CREATE OPERATOR @extschema@.>= (
	LEFTARG = @extschema@.lifecycle,
	RIGHTARG = @extschema@.lifecycle,
	FUNCTION = @extschema@.lifecycle_ge,
	COMMUTATOR = OPERATOR(@extschema@.<=),
	NEGATOR = OPERATOR(@extschema@.<),
	RESTRICT = pg_catalog.scalargesel,
	JOIN = pg_catalog.scalargejoinsel
);

CREATE OPERATOR @extschema@.> (
	LEFTARG = @extschema@.lifecycle,
	RIGHTARG = @extschema@.lifecycle,
	FUNCTION = @extschema@.lifecycle_gt,
	COMMUTATOR = OPERATOR(@extschema@.<),
	NEGATOR = OPERATOR(@extschema@.<=),
	RESTRICT = pg_catalog.scalargtsel,
	JOIN = pg_catalog.scalargtjoinsel
);

COMMENT ON OPERATOR @extschema@.< (@extschema@.lifecycle, @extschema@.lifecycle) IS 'earlier in lifecycle order';
COMMENT ON OPERATOR @extschema@.<= (@extschema@.lifecycle, @extschema@.lifecycle) IS 'earlier in lifecycle order or equal';
COMMENT ON OPERATOR @extschema@.= (@extschema@.lifecycle, @extschema@.lifecycle) IS 'same lifecycle state';
COMMENT ON OPERATOR @extschema@.<> (@extschema@.lifecycle, @extschema@.lifecycle) IS 'different lifecycle states';
COMMENT ON OPERATOR @extschema@.>= (@extschema@.lifecycle, @extschema@.lifecycle) IS 'later in lifecycle order or equal';
COMMENT ON OPERATOR @extschema@.> (@extschema@.lifecycle, @extschema@.lifecycle) IS 'later in lifecycle order';

CREATE OPERATOR CLASS @extschema@.lifecycle_ops
DEFAULT FOR TYPE @extschema@.lifecycle USING btree AS
	OPERATOR 1 @extschema@.<,
	OPERATOR 2 @extschema@.<=,
	OPERATOR 3 @extschema@.=,
	OPERATOR 4 @extschema@.>=,
	OPERATOR 5 @extschema@.>,
	FUNCTION 1 @extschema@.lifecycle_cmp(@extschema@.lifecycle, @extschema@.lifecycle),
	FUNCTION 2 @extschema@.lifecycle_sortsupport(pg_catalog.internal),
	-- equal values are equal bytes, so btree deduplication is safe
	FUNCTION 4 pg_catalog.btequalimage(pg_catalog.oid);

CREATE OPERATOR CLASS @extschema@.lifecycle_hash_ops
DEFAULT FOR TYPE @extschema@.lifecycle USING hash AS
	OPERATOR 1 @extschema@.=,
	FUNCTION 1 @extschema@.lifecycle_hash(@extschema@.lifecycle),
	FUNCTION 2 @extschema@.lifecycle_hash_extended(@extschema@.lifecycle, pg_catalog.int8);

COMMENT ON OPERATOR CLASS @extschema@.lifecycle_ops USING btree IS
'default btree operator class of lifecycle: lifecycle order';
COMMENT ON OPERATOR CLASS @extschema@.lifecycle_hash_ops USING hash IS
'default hash operator class of lifecycle';

-- min and max in lifecycle order (SORTOP lets an index answer them)

CREATE AGGREGATE @extschema@.min(@extschema@.lifecycle) (
	SFUNC = @extschema@.lifecycle_smaller,
	STYPE = @extschema@.lifecycle,
	COMBINEFUNC = @extschema@.lifecycle_smaller,
	SORTOP = OPERATOR(@extschema@.<),
	PARALLEL = SAFE
);

CREATE AGGREGATE @extschema@.max(@extschema@.lifecycle) (
	SFUNC = @extschema@.lifecycle_larger,
	STYPE = @extschema@.lifecycle,
	COMBINEFUNC = @extschema@.lifecycle_larger,
	SORTOP = OPERATOR(@extschema@.>),
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE @extschema@.min(@extschema@.lifecycle) IS
'earliest lifecycle state of the group, in lifecycle order';
COMMENT ON AGGREGATE @extschema@.max(@extschema@.lifecycle) IS
'latest lifecycle state of the group, in lifecycle order';

-- labels and casts

CREATE FUNCTION @extschema@.label(@extschema@.lifecycle, lang pg_catalog.text DEFAULT 'en')
RETURNS pg_catalog.text
AS 'MODULE_PATHNAME', 'lifecycle_label_sql'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.label(@extschema@.lifecycle, pg_catalog.text) IS
'label of a lifecycle state: lang ''en'' the English name, ''zh'' the Chinese label';

CREATE FUNCTION @extschema@.lifecycle_to_text(@extschema@.lifecycle)
RETURNS pg_catalog.text
AS 'MODULE_PATHNAME', 'lifecycle_to_text'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.lifecycle_from_text(pg_catalog.text)
RETURNS @extschema@.lifecycle
AS 'MODULE_PATHNAME', 'lifecycle_from_text'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.lifecycle_to_text(@extschema@.lifecycle) IS
'cast lifecycle to text: the English state name';
COMMENT ON FUNCTION @extschema@.lifecycle_from_text(pg_catalog.text) IS
'cast text to lifecycle: an English state name (any letter case) or its Chinese label';

CREATE CAST (@extschema@.lifecycle AS pg_catalog.text)
	WITH FUNCTION @extschema@.lifecycle_to_text(@extschema@.lifecycle) AS ASSIGNMENT;
CREATE CAST (pg_catalog.text AS @extschema@.lifecycle)
	WITH FUNCTION @extschema@.lifecycle_from_text(pg_catalog.text);

COMMENT ON CAST (@extschema@.lifecycle AS pg_catalog.text) IS
'the English state name (assignment cast)';
COMMENT ON CAST (pg_catalog.text AS @extschema@.lifecycle) IS
'an English state name or Chinese label, as input accepts (explicit cast)';

-- transitions

CREATE FUNCTION @extschema@.can_transition(from_state @extschema@.lifecycle, to_state @extschema@.lifecycle)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'lifecycle_can_transition'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.can_transition(@extschema@.lifecycle, @extschema@.lifecycle) IS
'whether a customer may move from from_state to to_state (staying put is always allowed)';

CREATE FUNCTION @extschema@.enforce_lifecycle()
RETURNS trigger
AS 'MODULE_PATHNAME', 'enforce_lifecycle'
LANGUAGE C;

COMMENT ON FUNCTION @extschema@.enforce_lifecycle() IS
'BEFORE UPDATE FOR EACH ROW trigger: rejects a change of the lifecycle column named by its argument that can_transition does not allow';

CREATE FUNCTION @extschema@.lifecycle_from_activity(last_activity pg_catalog.timestamptz,
	as_of pg_catalog.timestamptz, at_risk_after pg_catalog.interval,
	dormant_after pg_catalog.interval, churned_after pg_catalog.interval)
RETURNS @extschema@.lifecycle
AS 'MODULE_PATHNAME', 'lifecycle_from_activity'
LANGUAGE C STRICT STABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.lifecycle_from_activity(pg_catalog.timestamptz, pg_catalog.timestamptz, pg_catalog.interval, pg_catalog.interval, pg_catalog.interval) IS
'state inferred from inactivity: churned, dormant or at_risk once as_of >= last_activity + the threshold, else active';

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
'transition state of churn_rate, retention_rate and diversion_rate: period, minimum tenure and four counters; text form (version,kind,domain,lower,upper,tenure_month,tenure_day,tenure_usec,n0,n1,n2,n3)';
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

CREATE FUNCTION @extschema@.churn_rate_final(@extschema@.rate_state)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'churn_rate_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.retention_rate_final(@extschema@.rate_state)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'retention_rate_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
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
'transition state of churn_periods: step boundaries and per-step counters; text form (version,domain,n,step_month,step_day,step_usec,tenure_month,tenure_day,tenure_usec,{bounds},{at_start_diff},{new},{lost},{new_lost})';
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
CREATE FUNCTION @extschema@.churn_periods_final_tz(@extschema@.periods_state)
RETURNS @extschema@.churn_period_tz[]
AS 'MODULE_PATHNAME', 'churn_periods_final_tstz'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
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
'partial state of cohort_retention: per cohort, members by number of ages active';
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

CREATE FUNCTION @extschema@.cohort_retention_final_date(@extschema@.cohort_retention_state)
RETURNS @extschema@.cohort_retention_date_row[]
AS 'MODULE_PATHNAME', 'cohort_retention_final_date'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

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
'cells of a cohort_retention state over dates';
COMMENT ON FUNCTION @extschema@.cohort_retention_final(@extschema@.cohort_retention_state) IS
'cells of a cohort_retention state over timestamptz';

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

-- 500_summaries.sql: trigger-maintained churn, reason, diversion and lifecycle
-- summaries (churn.track and friends, the capture trigger, the views).

--
-- Storage.  Every table holding user state is dumped by pg_dump.
--

CREATE TABLE @extschema@.tracked_table (
	relid pg_catalog.regclass PRIMARY KEY,
	customer_column pg_catalog.name NOT NULL,
	since_column pg_catalog.name NOT NULL,
	until_column pg_catalog.name NOT NULL,
	channel_column pg_catalog.name,
	segment_columns pg_catalog.name[] NOT NULL DEFAULT '{}',
	state_column pg_catalog.name,
	reason_column pg_catalog.name,
	changed_at_column pg_catalog.name,
	activity_column pg_catalog.name,
	bucket pg_catalog.interval NOT NULL,
	time_zone pg_catalog.text NOT NULL,
	at_risk_after pg_catalog.interval,
	dormant_after pg_catalog.interval,
	churned_after pg_catalog.interval,
	suspended pg_catalog.bool NOT NULL DEFAULT false,
	tracked_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),
	last_refresh pg_catalog.timestamptz
);
COMMENT ON TABLE @extschema@.tracked_table IS
'configuration of the tables tracked by churn.track: one row per table';

-- Event counts folded by churn.refresh (bucket: local start of the bucket in
-- the table's time zone; kind: see summary_sql.c; n: signed count).
CREATE TABLE @extschema@.summary (
	relid pg_catalog.regclass NOT NULL,
	bucket pg_catalog.timestamp NOT NULL,
	kind "char" NOT NULL,
	channel pg_catalog.text,
	segment pg_catalog.jsonb NOT NULL,
	detail pg_catalog.text,
	n pg_catalog.int8 NOT NULL,
	CONSTRAINT summary_key UNIQUE NULLS NOT DISTINCT (relid, kind, channel, segment, detail, bucket)
) WITH (parallel_workers = 0);
COMMENT ON TABLE @extschema@.summary IS
'compacted event counts of the tracked tables (folded from summary_delta by churn.refresh)';

-- The summary tables are small: starting parallel workers to read them
-- costs more than reading them (parallel_workers = 0).  Every refresh
-- deletes the pending deltas: vacuum them after 10,000 dead rows, whatever
-- the table's size, so readers do not scan dead rows.

-- Append-only: each writing statement adds its grouped, signed counts here.
-- No index: appends stay cheap, and readers and refresh read it whole (it
-- holds only what is pending since the last refresh).  Dead rows (after a
-- refresh) trigger autovacuum early; inserts do not: vacuuming rows that the
-- next refresh deletes would only compete with the writers.
CREATE TABLE @extschema@.summary_delta (
	relid pg_catalog.regclass NOT NULL,
	bucket pg_catalog.timestamp NOT NULL,
	kind "char" NOT NULL,
	channel pg_catalog.text,
	segment pg_catalog.jsonb NOT NULL,
	detail pg_catalog.text,
	n pg_catalog.int8 NOT NULL,
	added pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now()
) WITH (parallel_workers = 0, autovacuum_vacuum_scale_factor = 0,
		autovacuum_vacuum_threshold = 10000, autovacuum_vacuum_insert_threshold = -1);
COMMENT ON TABLE @extschema@.summary_delta IS
'pending event counts appended by the capture triggers, folded into summary by churn.refresh';

-- What a customer row cannot tell: channel moves (m), reactivations (r, with
-- the loss they ended) and lifecycle state transitions (s).  Times are local
-- timestamps of the table's time zone.  seq orders the entries of one
-- customer (1, 2, ...): the capture assigns the next number while it holds
-- the customer's row lock, which every writer of that customer's history
-- holds, so no sequence (and no WAL of one) is needed.
CREATE TYPE @extschema@.history_entry AS (
	seq pg_catalog.int4,
	at pg_catalog.timestamp,
	kind "char",
	channel pg_catalog.text,
	from_channel pg_catalog.text,
	lost_at pg_catalog.timestamp,
	reason pg_catalog.text,
	from_state pg_catalog.text,
	to_state pg_catalog.text
);
COMMENT ON TYPE @extschema@.history_entry IS
'one entry of a customer''s history: a channel move (m), a reactivation (r) or a state transition (s)';

-- One row per customer with history, holding all its entries: every captured
-- UPDATE reads the history of its customers, and one row is one index probe
-- and one heap fetch however long the history has grown (a row per entry
-- would cost a heap page per entry).  A new entry rewrites the customer's
-- row; the free space left on each page (fillfactor) lets that be a HOT
-- update, without a new index entry.  The key is compared bytewise (COLLATE
-- "C"): equality is the same under every deterministic collation, and the
-- index compares with memcmp instead of the database's strcoll.
CREATE TABLE @extschema@.history (
	relid pg_catalog.regclass NOT NULL,
	customer pg_catalog.text COLLATE pg_catalog."C" NOT NULL,
	entries @extschema@.history_entry[] NOT NULL,
	CONSTRAINT history_customer PRIMARY KEY (relid, customer)
) WITH (fillfactor = 75);
COMMENT ON TABLE @extschema@.history IS
'per-customer history of tracked tables: channel moves, reactivations, state transitions (one row per customer)';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.tracked_table', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.summary', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.summary_delta', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.history', '');

--
-- Helpers.
--

CREATE FUNCTION @extschema@.bucket_floor(pg_catalog.timestamp, pg_catalog.interval)
RETURNS pg_catalog.timestamp
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'churn_bucket_floor';
COMMENT ON FUNCTION @extschema@.bucket_floor(pg_catalog.timestamp, pg_catalog.interval) IS
'start of the bucket of the given width holding a local time: calendar-aligned for month widths, Monday-aligned for day and time widths';

CREATE FUNCTION @extschema@._period_error(customer pg_catalog.text, since pg_catalog.text, until pg_catalog.text)
RETURNS pg_catalog.bool
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RAISE EXCEPTION 'until value "%" precedes since value "%" of customer "%"', until, since, customer
		USING ERRCODE = '22023',
			  HINT = 'A customer cannot stop before it starts; correct the row or set until to NULL.';
END
$$;
COMMENT ON FUNCTION @extschema@._period_error(pg_catalog.text, pg_catalog.text, pg_catalog.text) IS
'internal: raises the error for a tracked row whose until precedes its since';

CREATE FUNCTION @extschema@._lock_key(pg_catalog.regclass)
RETURNS pg_catalog.int8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (x'63687572'::pg_catalog.int8 OPERATOR(pg_catalog.<<) 32) OPERATOR(pg_catalog.|) $1::pg_catalog.oid::pg_catalog.int8;
COMMENT ON FUNCTION @extschema@._lock_key(pg_catalog.regclass) IS
'internal: advisory lock key serialising refresh, rebuild and truncate of one tracked table';

-- The events of one customer with history: replays its start, losses,
-- reactivations, moves and state transitions in time order.  For an empty
-- history it gives exactly the events of the fast path of summary_sql.c.
CREATE FUNCTION @extschema@._timeline(p_customer pg_catalog.text, p_since pg_catalog.timestamp,
	p_until pg_catalog.timestamp, p_channel pg_catalog.text, p_segment pg_catalog.jsonb,
	p_reason pg_catalog.text, p_state pg_catalog.text, p_history @extschema@.history_entry[],
	p_width pg_catalog.interval, p_weight pg_catalog.int4, p_with_reason pg_catalog.bool)
RETURNS TABLE (b pg_catalog.timestamp, kind "char", ch pg_catalog.text, sg pg_catalog.jsonb,
	d pg_catalog.text, n pg_catalog.int4)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cur_ch text;
	cur_st text;
	started bool := false;
	active bool := false;
	stay_start timestamp;
	last_react timestamp;
	e record;
BEGIN
	IF p_since IS NULL THEN
		RETURN;
	END IF;
	SELECT h.from_channel INTO cur_ch FROM unnest(p_history) h
	 WHERE h.kind = 'm' ORDER BY h.at, h.seq LIMIT 1;
	IF NOT FOUND THEN
		cur_ch := p_channel;
	END IF;
	SELECT h.from_state INTO cur_st FROM unnest(p_history) h
	 WHERE h.kind = 's' ORDER BY h.at, h.seq LIMIT 1;
	IF NOT FOUND THEN
		cur_st := p_state;
	END IF;
	SELECT max(h.at) INTO last_react FROM unnest(p_history) h WHERE h.kind = 'r';
	IF p_until < last_react THEN
		RAISE EXCEPTION 'until value "%" precedes the reactivation at "%" of customer "%"',
			p_until, last_react, p_customer
			USING ERRCODE = '22023',
				  HINT = 'A customer won back cannot have stopped before it came back; correct the row or set until to NULL.';
	END IF;
	n := p_weight;
	FOR e IN
		SELECT x.* FROM (
			SELECT p_since AS at, 0 AS ord, 0::bigint AS seq, 'N' AS what,
				   NULL::text AS channel, NULL::text AS reason, NULL::text AS to_state
			UNION ALL
			SELECT h.lost_at, 1, h.seq, 'L', NULL, h.reason, NULL
			  FROM unnest(p_history) h WHERE h.kind = 'r'
			UNION ALL
			SELECT h.at, CASE h.kind WHEN 'm' THEN 2 WHEN 'r' THEN 3 ELSE 4 END, h.seq, h.kind::text,
				   h.channel, NULL, h.to_state
			  FROM unnest(p_history) h
			UNION ALL
			SELECT p_until, 5, 0, 'L', NULL, p_reason, NULL WHERE p_until IS NOT NULL
		) x ORDER BY x.at, x.ord, x.seq
	LOOP
		b := @extschema@.bucket_floor(e.at, p_width);
		IF e.what = 'N' THEN
			started := true;
			active := true;
			stay_start := e.at;
			kind := 'n'; ch := cur_ch; sg := p_segment; d := NULL;
			RETURN NEXT;
			IF cur_st IS NOT NULL THEN
				kind := 's'; ch := NULL; sg := '{}'; d := cur_st;
				RETURN NEXT;
			END IF;
		ELSIF e.what = 'L' THEN
			IF active THEN
				active := false;
				kind := 'l'; ch := cur_ch; sg := p_segment; d := NULL;
				RETURN NEXT;
				IF @extschema@.bucket_floor(stay_start, p_width) < b THEN
					kind := 'f';
					RETURN NEXT;
				END IF;
				IF p_with_reason THEN
					kind := 'c'; sg := '{}'; d := e.reason;
					RETURN NEXT;
				END IF;
			END IF;
		ELSIF e.what = 'm' THEN
			IF active AND cur_ch IS DISTINCT FROM e.channel THEN
				kind := 'o'; ch := cur_ch; sg := p_segment; d := NULL;
				RETURN NEXT;
				kind := 'i'; ch := e.channel;
				RETURN NEXT;
				kind := 'd'; ch := cur_ch; sg := '{}'; d := e.channel;
				RETURN NEXT;
				stay_start := e.at;
			END IF;
			cur_ch := e.channel;
		ELSIF e.what = 'r' THEN
			IF started AND NOT active THEN
				active := true;
				stay_start := e.at;
				kind := 'r'; ch := cur_ch; sg := p_segment; d := NULL;
				RETURN NEXT;
			END IF;
		ELSIF e.what = 's' THEN
			IF started AND cur_st IS DISTINCT FROM e.to_state THEN
				ch := NULL; sg := '{}';
				IF cur_st IS NOT NULL THEN
					kind := 'x'; d := cur_st;
					RETURN NEXT;
				END IF;
				IF e.to_state IS NOT NULL THEN
					kind := 's'; d := e.to_state;
					RETURN NEXT;
				END IF;
				IF cur_st IS NOT NULL AND e.to_state IS NOT NULL THEN
					kind := 't'; d := cur_st || '>' || e.to_state;
					RETURN NEXT;
				END IF;
			END IF;
			cur_st := e.to_state;
		END IF;
	END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@._timeline(pg_catalog.text, pg_catalog.timestamp, pg_catalog.timestamp,
	pg_catalog.text, pg_catalog.jsonb, pg_catalog.text, pg_catalog.text, @extschema@.history_entry[],
	pg_catalog.interval, pg_catalog.int4, pg_catalog.bool) IS
'internal: the summary events of one customer replayed from its row and its history';

CREATE FUNCTION @extschema@._events_query(pg_catalog.regclass)
RETURNS pg_catalog.text
LANGUAGE C STRICT STABLE
AS 'MODULE_PATHNAME', 'churn_events_query';
COMMENT ON FUNCTION @extschema@._events_query(pg_catalog.regclass) IS
'internal: the query recomputing the summary events of a tracked table from its rows and history';

CREATE FUNCTION @extschema@.summary_trigger()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'churn_summary_trigger';
COMMENT ON FUNCTION @extschema@.summary_trigger() IS
'statement-level AFTER trigger installed by churn.track: appends the grouped summary deltas of a statement';

CREATE FUNCTION @extschema@.summary_begin()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'churn_summary_begin';
COMMENT ON FUNCTION @extschema@.summary_begin() IS
'statement-level BEFORE trigger installed by churn.track: notes the statement, so that statements run by its AFTER triggers are captured after it';

-- The base type of a column of a table, or an error naming what is missing.
CREATE FUNCTION @extschema@._column_type(relation pg_catalog.regclass, col pg_catalog.name, arg pg_catalog.text)
RETURNS pg_catalog.oid
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t oid;
	b oid;
BEGIN
	SELECT a.atttypid INTO t FROM pg_attribute a
	 WHERE a.attrelid = relation AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'column "%" of relation "%" does not exist', col, relation
			USING ERRCODE = '42703',
				  HINT = format('The %s argument of churn.track names a column of the table.', arg);
	END IF;
	LOOP
		SELECT typbasetype INTO b FROM pg_type WHERE oid = t AND typtype = 'd';
		EXIT WHEN NOT FOUND;
		t := b;
	END LOOP;
	-- Captured values are converted to text or jsonb as the extension owner:
	-- refuse types whose conversion runs user-defined code.
	IF t = '@extschema@.lifecycle'::regtype THEN
		RETURN t;
	END IF;
	IF (t >= 16384 AND EXISTS (SELECT 1 FROM pg_type y WHERE y.oid = t AND y.typtype = 'b'))
	   OR EXISTS (SELECT 1 FROM pg_cast c
				   WHERE c.castsource = t AND c.casttarget IN ('text'::regtype, 'json'::regtype, 'jsonb'::regtype)
					 AND c.castfunc >= 16384) THEN
		RAISE EXCEPTION 'column "%" of relation "%" has type %, which churn cannot capture safely',
			col, relation, format_type(t, NULL)
			USING ERRCODE = '42804',
				  HINT = 'Use a built-in type, an enum, or a domain over one.';
	END IF;
	RETURN t;
END
$$;
COMMENT ON FUNCTION @extschema@._column_type(pg_catalog.regclass, pg_catalog.name, pg_catalog.text) IS
'internal: base type of a column named to churn.track, with errors for missing or unsafe columns';

CREATE FUNCTION @extschema@._check_time_type(relation pg_catalog.regclass, col pg_catalog.name, arg pg_catalog.text)
RETURNS pg_catalog.oid
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t oid := @extschema@._column_type(relation, col, arg);
BEGIN
	IF t NOT IN ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype) THEN
		RAISE EXCEPTION 'column "%" of relation "%" has type %, not a date or timestamp', col, relation, format_type(t, NULL)
			USING ERRCODE = '42804',
				  HINT = format('The %s column must be of type date, timestamp or timestamp with time zone.', arg);
	END IF;
	RETURN t;
END
$$;
COMMENT ON FUNCTION @extschema@._check_time_type(pg_catalog.regclass, pg_catalog.name, pg_catalog.text) IS
'internal: checks that a column named to churn.track is a date or timestamp';

-- Recompute the summary of one table from its rows and history (the table is
-- locked against writers by the caller).
CREATE FUNCTION @extschema@._recompute(relation pg_catalog.regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cfg @extschema@.tracked_table;
BEGIN
	SELECT * INTO STRICT cfg FROM @extschema@.tracked_table t WHERE t.relid = relation;
	PERFORM pg_advisory_xact_lock(@extschema@._lock_key(relation));
	DELETE FROM @extschema@.summary_delta s WHERE s.relid = relation;
	DELETE FROM @extschema@.summary s WHERE s.relid = relation;
	-- history of customers no longer in the table (changed while suspended)
	EXECUTE format('DELETE FROM @extschema@.history h WHERE h.relid = $1'
				   ' AND NOT EXISTS (SELECT 1 FROM %s t WHERE (t.%I)::text COLLATE "C" = h.customer)',
				   relation, cfg.customer_column)
		USING relation;
	EXECUTE 'INSERT INTO @extschema@.summary (relid, bucket, kind, channel, segment, detail, n)'
			' SELECT $1, e.b, e.kind, e.ch, e.sg, e.d, sum(e.n) FROM ('
			|| @extschema@._events_query(relation)
			|| ') e GROUP BY e.b, e.kind, e.ch, e.sg, e.d HAVING sum(e.n) <> 0'
		USING relation, cfg.bucket, cfg.time_zone;
	UPDATE @extschema@.tracked_table t SET last_refresh = now() WHERE t.relid = relation;
END
$$;
COMMENT ON FUNCTION @extschema@._recompute(pg_catalog.regclass) IS
'internal: recomputes the summary of a tracked table from its rows and history';

-- TRUNCATE of a tracked table: its summaries and history go.
CREATE FUNCTION @extschema@._truncated(relation pg_catalog.oid)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM pg_advisory_xact_lock(@extschema@._lock_key(relation));
	DELETE FROM @extschema@.summary_delta s WHERE s.relid = relation;
	DELETE FROM @extschema@.summary s WHERE s.relid = relation;
	DELETE FROM @extschema@.history h WHERE h.relid = relation;
END
$$;
COMMENT ON FUNCTION @extschema@._truncated(pg_catalog.oid) IS
'internal: empties the summaries and history of a truncated tracked table';

-- TRUNCATE of one partition of a tracked partitioned table, or ATTACH or
-- DETACH of a partition: recompute under a SHARE lock.
CREATE FUNCTION @extschema@._recompute_after_truncate(relation pg_catalog.oid)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	EXECUTE format('LOCK TABLE %s IN SHARE MODE', relation::regclass);
	PERFORM @extschema@._recompute(relation);
END
$$;
COMMENT ON FUNCTION @extschema@._recompute_after_truncate(pg_catalog.oid) IS
'internal: recomputes the summaries of a partitioned table after a partition was truncated, attached or detached';

-- The triggers of a tracked table, on it and on each of its partitions
-- (statement triggers of a partitioned table do not fire for statements on
-- a partition).
CREATE FUNCTION @extschema@._trigger_targets(relation pg_catalog.regclass)
RETURNS SETOF pg_catalog.regclass
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT relation
	UNION ALL
	SELECT t.relid FROM pg_partition_tree(relation) t WHERE t.relid <> relation
$$;
COMMENT ON FUNCTION @extschema@._trigger_targets(pg_catalog.regclass) IS
'internal: a tracked table and its partitions, which carry the capture triggers';

-- The five triggers churn puts on each target: the capture of each kind of
-- statement, and the note taken when a statement begins (summary_order.c).
CREATE FUNCTION @extschema@._trigger_names()
RETURNS pg_catalog.name[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
	SELECT ARRAY['churn_summary_begin', 'churn_summary_insert', 'churn_summary_update',
				 'churn_summary_delete', 'churn_summary_truncate']::pg_catalog.name[]
$$;
COMMENT ON FUNCTION @extschema@._trigger_names() IS
'internal: the names of the triggers churn puts on a tracked table and its partitions';

-- CREATE OR REPLACE: a target missing some of them gets them back.
CREATE FUNCTION @extschema@._install_triggers(target pg_catalog.regclass, enabled pg_catalog.bool)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	EXECUTE format('CREATE OR REPLACE TRIGGER churn_summary_begin BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE'
				   ' ON %s FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.summary_begin()', target);
	EXECUTE format('CREATE OR REPLACE TRIGGER churn_summary_insert AFTER INSERT ON %s'
				   ' REFERENCING NEW TABLE AS churn_new FOR EACH STATEMENT'
				   ' EXECUTE FUNCTION @extschema@.summary_trigger()', target);
	EXECUTE format('CREATE OR REPLACE TRIGGER churn_summary_update AFTER UPDATE ON %s'
				   ' REFERENCING OLD TABLE AS churn_old NEW TABLE AS churn_new FOR EACH STATEMENT'
				   ' EXECUTE FUNCTION @extschema@.summary_trigger()', target);
	EXECUTE format('CREATE OR REPLACE TRIGGER churn_summary_delete AFTER DELETE ON %s'
				   ' REFERENCING OLD TABLE AS churn_old FOR EACH STATEMENT'
				   ' EXECUTE FUNCTION @extschema@.summary_trigger()', target);
	EXECUTE format('CREATE OR REPLACE TRIGGER churn_summary_truncate AFTER TRUNCATE ON %s'
				   ' FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.summary_trigger()', target);
	IF NOT enabled THEN
		PERFORM @extschema@._enable_triggers(target, false);
	END IF;
END
$$;
COMMENT ON FUNCTION @extschema@._install_triggers(pg_catalog.regclass, pg_catalog.bool) IS
'internal: creates churn''s triggers on a table or partition (disabled for a suspended table)';

CREATE FUNCTION @extschema@._enable_triggers(target pg_catalog.regclass, enabled pg_catalog.bool)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	verb text := CASE WHEN enabled THEN 'ENABLE' ELSE 'DISABLE' END;
BEGIN
	EXECUTE format('ALTER TABLE %1$s %2$s TRIGGER churn_summary_begin, %2$s TRIGGER churn_summary_insert,'
				   ' %2$s TRIGGER churn_summary_update, %2$s TRIGGER churn_summary_delete,'
				   ' %2$s TRIGGER churn_summary_truncate', target, verb);
END
$$;
COMMENT ON FUNCTION @extschema@._enable_triggers(pg_catalog.regclass, pg_catalog.bool) IS
'internal: enables or disables churn''s triggers on a table or partition';

CREATE FUNCTION @extschema@._drop_triggers(target pg_catalog.regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	EXECUTE format('DROP TRIGGER IF EXISTS churn_summary_begin ON %s', target);
	EXECUTE format('DROP TRIGGER IF EXISTS churn_summary_insert ON %s', target);
	EXECUTE format('DROP TRIGGER IF EXISTS churn_summary_update ON %s', target);
	EXECUTE format('DROP TRIGGER IF EXISTS churn_summary_delete ON %s', target);
	EXECUTE format('DROP TRIGGER IF EXISTS churn_summary_truncate ON %s', target);
END
$$;
COMMENT ON FUNCTION @extschema@._drop_triggers(pg_catalog.regclass) IS
'internal: drops churn''s triggers from a table or partition';

CREATE FUNCTION @extschema@._check_tracked(relation pg_catalog.regclass)
RETURNS @extschema@.tracked_table
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cfg @extschema@.tracked_table;
BEGIN
	IF relation IS NULL THEN
		RAISE EXCEPTION 'relation must not be NULL' USING ERRCODE = '22004';
	END IF;
	SELECT * INTO cfg FROM @extschema@.tracked_table t WHERE t.relid = relation;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'table "%" is not tracked by churn', relation
			USING ERRCODE = '55000',
				  HINT = 'Track it with churn.track first.';
	END IF;
	IF NOT pg_has_role((SELECT c.relowner FROM pg_class c WHERE c.oid = relation), 'USAGE') THEN
		RAISE EXCEPTION 'must be owner of table %', relation USING ERRCODE = '42501';
	END IF;
	RETURN cfg;
END
$$;
COMMENT ON FUNCTION @extschema@._check_tracked(pg_catalog.regclass) IS
'internal: the configuration of a tracked table the caller owns, or an error';

--
-- The API.
--

CREATE FUNCTION @extschema@.track(relation pg_catalog.regclass,
	customer pg_catalog.name, since pg_catalog.name, until pg_catalog.name,
	channel pg_catalog.name DEFAULT NULL, segments pg_catalog.name[] DEFAULT NULL,
	state pg_catalog.name DEFAULT NULL, reason pg_catalog.name DEFAULT NULL,
	changed_at pg_catalog.name DEFAULT NULL, bucket pg_catalog.interval DEFAULT '1 month',
	activity pg_catalog.name DEFAULT NULL, at_risk_after pg_catalog.interval DEFAULT NULL,
	dormant_after pg_catalog.interval DEFAULT NULL, churned_after pg_catalog.interval DEFAULT NULL,
	time_zone pg_catalog.text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	rel record;
	since_t oid;
	until_t oid;
	tz text := coalesce(track.time_zone, current_setting('TimeZone'));
	seg name;
	has_unique bool;
	custnum int2;
	target regclass;
BEGIN
	IF relation IS NULL OR customer IS NULL OR since IS NULL OR until IS NULL THEN
		RAISE EXCEPTION 'relation, customer, since and until must not be NULL' USING ERRCODE = '22004';
	END IF;
	SELECT c.relkind, c.relowner INTO rel FROM pg_class c WHERE c.oid = relation;
	IF rel.relkind NOT IN ('r', 'p') THEN
		RAISE EXCEPTION '"%" is not a table', relation
			USING ERRCODE = '42809',
				  HINT = 'churn.track tracks ordinary and partitioned tables.';
	END IF;
	IF NOT pg_has_role(rel.relowner, 'USAGE') THEN
		RAISE EXCEPTION 'must be owner of table %', relation USING ERRCODE = '42501';
	END IF;
	IF EXISTS (SELECT 1 FROM @extschema@.tracked_table t WHERE t.relid = relation) THEN
		RAISE EXCEPTION 'table "%" is already tracked by churn', relation
			USING ERRCODE = '42710',
				  HINT = 'Call churn.untrack first to track it with other settings.';
	END IF;

	-- columns and their types
	PERFORM @extschema@._column_type(relation, customer, 'customer');
	since_t := @extschema@._check_time_type(relation, since, 'since');
	until_t := @extschema@._check_time_type(relation, until, 'until');
	IF since_t <> until_t THEN
		RAISE EXCEPTION 'columns "%" and "%" of relation "%" have different types % and %',
			since, until, relation, format_type(since_t, NULL), format_type(until_t, NULL)
			USING ERRCODE = '42804',
				  HINT = 'since and until must both be date, both timestamp or both timestamp with time zone.';
	END IF;
	IF channel IS NOT NULL THEN
		PERFORM @extschema@._column_type(relation, channel, 'channel');
	END IF;
	IF segments IS NOT NULL THEN
		IF array_position(segments, NULL) IS NOT NULL THEN
			RAISE EXCEPTION 'segments must not contain NULL' USING ERRCODE = '22004';
		END IF;
		FOREACH seg IN ARRAY segments LOOP
			PERFORM @extschema@._column_type(relation, seg, 'segments');
		END LOOP;
		IF (SELECT count(DISTINCT x) FROM unnest(segments) x) <> cardinality(segments) THEN
			RAISE EXCEPTION 'segments % name a column twice', segments USING ERRCODE = '22023';
		END IF;
	END IF;
	IF state IS NOT NULL
	   AND @extschema@._column_type(relation, state, 'state') <> '@extschema@.lifecycle'::regtype THEN
		RAISE EXCEPTION 'column "%" of relation "%" has type %, not churn.lifecycle', state, relation,
			format_type(@extschema@._column_type(relation, state, 'state'), NULL)
			USING ERRCODE = '42804',
				  HINT = 'The state column must be of type churn.lifecycle.';
	END IF;
	IF reason IS NOT NULL THEN
		PERFORM @extschema@._column_type(relation, reason, 'reason');
	END IF;
	IF changed_at IS NOT NULL THEN
		PERFORM @extschema@._check_time_type(relation, changed_at, 'changed_at');
	END IF;
	IF activity IS NOT NULL THEN
		PERFORM @extschema@._check_time_type(relation, activity, 'activity');
	END IF;

	-- the customer column identifies a row: pairing old and new rows needs it
	SELECT a.attnum INTO custnum FROM pg_attribute a WHERE a.attrelid = relation AND a.attname = customer;
	SELECT EXISTS (
		SELECT 1 FROM pg_index i
		 WHERE i.indrelid = relation AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
		   AND custnum = ANY (i.indkey::int2[])
		   AND (i.indnatts = 1
				OR (rel.relkind = 'p' AND NOT EXISTS (
					SELECT 1 FROM unnest(i.indkey::int2[]) k
					 WHERE k <> custnum
					   AND NOT EXISTS (SELECT 1 FROM pg_partitioned_table p
										WHERE p.partrelid = relation AND k = ANY (p.partattrs::int2[]))))))
	  INTO has_unique;
	IF NOT has_unique THEN
		RAISE EXCEPTION 'column "%" of relation "%" is not a unique key', customer, relation
			USING ERRCODE = '55000',
				  HINT = 'Add a PRIMARY KEY or UNIQUE constraint on the customer column (with the partition key, for a partitioned table).';
	END IF;

	-- bucket and time zone
	IF bucket IS NULL THEN
		RAISE EXCEPTION 'bucket must not be NULL' USING ERRCODE = '22004';
	END IF;
	PERFORM @extschema@.bucket_floor('2000-01-01', track.bucket);
	PERFORM now() AT TIME ZONE tz;

	-- inactivity thresholds of lifecycle aging (churn.advance_lifecycle)
	IF num_nulls(at_risk_after, dormant_after, churned_after) NOT IN (0, 3) THEN
		RAISE EXCEPTION 'at_risk_after, dormant_after and churned_after must be given together'
			USING ERRCODE = '22023';
	END IF;
	IF at_risk_after IS NOT NULL THEN
		IF state IS NULL OR activity IS NULL THEN
			RAISE EXCEPTION 'inactivity thresholds need the state and activity columns'
				USING ERRCODE = '22023',
					  HINT = 'Name the lifecycle state column with state => and the last-activity column with activity =>.';
		END IF;
		IF NOT (at_risk_after > interval '0' AND at_risk_after < dormant_after AND dormant_after < churned_after) THEN
			RAISE EXCEPTION 'inactivity thresholds "%", "%", "%" are not positive and increasing',
				at_risk_after, dormant_after, churned_after
				USING ERRCODE = '22023',
					  HINT = 'Use at_risk_after < dormant_after < churned_after, such as 30, 90 and 180 days.';
		END IF;
	END IF;

	INSERT INTO @extschema@.tracked_table (relid, customer_column, since_column, until_column,
		channel_column, segment_columns, state_column, reason_column, changed_at_column,
		activity_column, bucket, time_zone, at_risk_after, dormant_after, churned_after)
	VALUES (relation, customer, since, until, channel, coalesce(segments, '{}'), state, reason,
		changed_at, activity, track.bucket, tz, at_risk_after, dormant_after, churned_after);

	-- no write may slip between the back-fill and the triggers
	EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', relation);
	PERFORM @extschema@._recompute(relation);
	FOR target IN SELECT x FROM @extschema@._trigger_targets(relation) x LOOP
		PERFORM @extschema@._install_triggers(target, true);
	END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.track(pg_catalog.regclass, pg_catalog.name, pg_catalog.name,
	pg_catalog.name, pg_catalog.name, pg_catalog.name[], pg_catalog.name, pg_catalog.name,
	pg_catalog.name, pg_catalog.interval, pg_catalog.name, pg_catalog.interval, pg_catalog.interval,
	pg_catalog.interval, pg_catalog.text) IS
'starts maintaining the churn summaries of a customer table: validates the columns, back-fills, installs the capture triggers';

CREATE FUNCTION @extschema@.untrack(relation pg_catalog.regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	target regclass;
BEGIN
	PERFORM @extschema@._check_tracked(relation);
	FOR target IN SELECT x FROM @extschema@._trigger_targets(relation) x LOOP
		PERFORM @extschema@._drop_triggers(target);
	END LOOP;
	PERFORM pg_advisory_xact_lock(@extschema@._lock_key(relation));
	DELETE FROM @extschema@.summary_delta s WHERE s.relid = relation;
	DELETE FROM @extschema@.summary s WHERE s.relid = relation;
	DELETE FROM @extschema@.history h WHERE h.relid = relation;
	DELETE FROM @extschema@.tracked_table t WHERE t.relid = relation;
END
$$;
COMMENT ON FUNCTION @extschema@.untrack(pg_catalog.regclass) IS
'stops tracking a table: drops its capture triggers, summaries and history';

CREATE FUNCTION @extschema@.refresh(relation pg_catalog.regclass DEFAULT NULL)
RETURNS pg_catalog.int8
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r regclass;
	folded bigint := 0;
	c bigint;
BEGIN
	IF relation IS NOT NULL THEN
		PERFORM @extschema@._check_tracked(relation);
	END IF;
	FOR r IN SELECT t.relid FROM @extschema@.tracked_table t
			  WHERE refresh.relation IS NULL OR t.relid = refresh.relation
			  ORDER BY t.relid::oid
	LOOP
		-- another refresh (or a rebuild) of this table is at work: leave it
		CONTINUE WHEN NOT pg_try_advisory_xact_lock(@extschema@._lock_key(r));
		WITH moved AS (
			DELETE FROM @extschema@.summary_delta d WHERE d.relid = r
			RETURNING d.bucket, d.kind, d.channel, d.segment, d.detail, d.n
		), agg AS (
			SELECT m.bucket, m.kind, m.channel, m.segment, m.detail, sum(m.n)::bigint AS n
			  FROM moved m GROUP BY m.bucket, m.kind, m.channel, m.segment, m.detail
		), up AS (
			INSERT INTO @extschema@.summary AS s (relid, bucket, kind, channel, segment, detail, n)
			SELECT r, a.bucket, a.kind, a.channel, a.segment, a.detail, a.n FROM agg a
			 ORDER BY a.kind, a.channel, a.segment, a.detail, a.bucket
			ON CONFLICT (relid, kind, channel, segment, detail, bucket)
			DO UPDATE SET n = s.n + excluded.n
			RETURNING 1
		)
		SELECT (SELECT count(*) FROM moved) INTO c;
		DELETE FROM @extschema@.summary s WHERE s.relid = r AND s.n = 0;
		UPDATE @extschema@.tracked_table t SET last_refresh = now() WHERE t.relid = r;
		folded := folded + c;
	END LOOP;
	RETURN folded;
END
$$;
COMMENT ON FUNCTION @extschema@.refresh(pg_catalog.regclass) IS
'folds the pending summary deltas of one or every tracked table into the compacted summary; returns the delta rows folded';

CREATE FUNCTION @extschema@.rebuild(relation pg_catalog.regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM @extschema@._check_tracked(relation);
	EXECUTE format('LOCK TABLE %s IN SHARE MODE', relation);
	PERFORM @extschema@._recompute(relation);
END
$$;
COMMENT ON FUNCTION @extschema@.rebuild(pg_catalog.regclass) IS
'recomputes the summaries of a tracked table from its rows and history (blocks writers meanwhile)';

CREATE FUNCTION @extschema@.verify(relation pg_catalog.regclass)
RETURNS TABLE (bucket_start pg_catalog.timestamptz, kind pg_catalog.text, channel pg_catalog.text,
	segment pg_catalog.jsonb, detail pg_catalog.text, stored pg_catalog.int8, expected pg_catalog.int8)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cfg @extschema@.tracked_table := @extschema@._check_tracked(relation);
BEGIN
	RETURN QUERY EXECUTE
		'SELECT timezone($3, z.b), CASE z.kind WHEN ''n'' THEN ''new'' WHEN ''r'' THEN ''reactivated'''
		' WHEN ''i'' THEN ''moved_in'' WHEN ''o'' THEN ''moved_out'' WHEN ''l'' THEN ''lost'''
		' WHEN ''f'' THEN ''lost_from_start'' WHEN ''c'' THEN ''lost_by_reason'' WHEN ''d'' THEN ''moved'''
		' WHEN ''s'' THEN ''state_entered'' WHEN ''x'' THEN ''state_left'' WHEN ''t'' THEN ''transition'''
		' END, z.ch, z.sg, z.d, sum(z.stored)::bigint, sum(z.expected)::bigint FROM ('
		'SELECT e.b, e.kind, e.ch, e.sg, e.d, 0::bigint AS stored, e.n::bigint AS expected FROM ('
		|| @extschema@._events_query(relation)
		|| ') e UNION ALL SELECT s.bucket, s.kind, s.channel, s.segment, s.detail, s.n, 0'
		'  FROM @extschema@.summary s WHERE s.relid = $1'
		' UNION ALL SELECT s.bucket, s.kind, s.channel, s.segment, s.detail, s.n, 0'
		'  FROM @extschema@.summary_delta s WHERE s.relid = $1) z'
		' GROUP BY z.b, z.kind, z.ch, z.sg, z.d HAVING sum(z.stored) <> sum(z.expected)'
		' ORDER BY 1, 2, 3, 4::text, 5'
		USING relation, cfg.bucket, cfg.time_zone;
END
$$;
COMMENT ON FUNCTION @extschema@.verify(pg_catalog.regclass) IS
'recomputes the summaries of a tracked table from its rows and history and returns the differing counts (none when exact)';

CREATE FUNCTION @extschema@.suspend(relation pg_catalog.regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cfg @extschema@.tracked_table := @extschema@._check_tracked(relation);
	target regclass;
BEGIN
	IF cfg.suspended THEN
		RAISE EXCEPTION 'summary maintenance of table "%" is already suspended', relation
			USING ERRCODE = '55000';
	END IF;
	FOR target IN SELECT x FROM @extschema@._trigger_targets(relation) x LOOP
		PERFORM @extschema@._enable_triggers(target, false);
	END LOOP;
	UPDATE @extschema@.tracked_table t SET suspended = true WHERE t.relid = relation;
END
$$;
COMMENT ON FUNCTION @extschema@.suspend(pg_catalog.regclass) IS
'suspends summary maintenance of a tracked table (for a bulk load); churn.resume rebuilds';

CREATE FUNCTION @extschema@.resume(relation pg_catalog.regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cfg @extschema@.tracked_table := @extschema@._check_tracked(relation);
	target regclass;
BEGIN
	IF NOT cfg.suspended THEN
		RAISE EXCEPTION 'summary maintenance of table "%" is not suspended', relation
			USING ERRCODE = '55000';
	END IF;
	EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', relation);
	FOR target IN SELECT x FROM @extschema@._trigger_targets(relation) x LOOP
		PERFORM @extschema@._enable_triggers(target, true);
	END LOOP;
	PERFORM @extschema@._recompute(relation);
	UPDATE @extschema@.tracked_table t SET suspended = false WHERE t.relid = relation;
END
$$;
COMMENT ON FUNCTION @extschema@.resume(pg_catalog.regclass) IS
'resumes summary maintenance of a suspended table and rebuilds its summaries';

--
-- The views: compacted plus pending counts, exact for every snapshot.
--

-- counts per (relation, channel, segment, bucket) and kind, compacted + pending
CREATE VIEW @extschema@._events AS
SELECT s.relid, s.bucket, s.kind, s.channel, s.segment, s.detail, s.n FROM @extschema@.summary s
UNION ALL
SELECT d.relid, d.bucket, d.kind, d.channel, d.segment, d.detail, d.n FROM @extschema@.summary_delta d;
COMMENT ON VIEW @extschema@._events IS 'internal: compacted and pending summary counts';

CREATE VIEW @extschema@.churn_summary AS
WITH ev AS (
	SELECT e.relid, e.channel, e.segment, e.bucket,
		   coalesce(sum(e.n) FILTER (WHERE e.kind = 'n'), 0)::bigint AS new,
		   coalesce(sum(e.n) FILTER (WHERE e.kind = 'r'), 0)::bigint AS reactivated,
		   coalesce(sum(e.n) FILTER (WHERE e.kind = 'i'), 0)::bigint AS moved_in,
		   coalesce(sum(e.n) FILTER (WHERE e.kind = 'o'), 0)::bigint AS moved_out,
		   coalesce(sum(e.n) FILTER (WHERE e.kind = 'l'), 0)::bigint AS lost,
		   coalesce(sum(e.n) FILTER (WHERE e.kind = 'f'), 0)::bigint AS lost_from_start
	  FROM @extschema@._events e
	 WHERE e.kind IN ('n', 'r', 'i', 'o', 'l', 'f')
	 GROUP BY e.relid, e.channel, e.segment, e.bucket
), nz AS (
	-- cells with counts; each knows its first bucket and its table's last
	-- (cells are partitioned on byte-wise text forms: equal values, cheap sorts)
	SELECT ev.*,
		   min(ev.bucket) OVER (PARTITION BY ev.relid, ev.channel COLLATE "C", ev.segment::text COLLATE "C") AS first_bucket,
		   max(ev.bucket) OVER (PARTITION BY ev.relid) AS last_bucket
	  FROM ev
	 WHERE new <> 0 OR reactivated <> 0 OR moved_in <> 0 OR moved_out <> 0 OR lost <> 0 OR lost_from_start <> 0
), cnt AS (
	-- every bucket of a cell from its first through the current one (or the
	-- table's last, if later): the counted rows plus zero rows for the gaps,
	-- generated from each cell's first row
	SELECT nz.relid, nz.channel, nz.segment, x.bucket,
		   sum(x.new)::bigint AS new, sum(x.reactivated)::bigint AS reactivated,
		   sum(x.moved_in)::bigint AS moved_in, sum(x.moved_out)::bigint AS moved_out,
		   sum(x.lost)::bigint AS lost, sum(x.lost_from_start)::bigint AS lost_from_start
	  FROM nz
	  JOIN @extschema@.tracked_table t ON t.relid = nz.relid
	 CROSS JOIN LATERAL (
		SELECT nz.bucket, nz.new, nz.reactivated, nz.moved_in, nz.moved_out, nz.lost, nz.lost_from_start
		UNION ALL
		SELECT g.b, 0, 0, 0, 0, 0, 0
		  FROM pg_catalog.generate_series(nz.first_bucket,
				   greatest(nz.last_bucket,
							@extschema@.bucket_floor(pg_catalog.timezone(t.time_zone, pg_catalog.now()), t.bucket)),
				   t.bucket) g(b)
		 WHERE nz.bucket = nz.first_bucket
	 ) x
	 GROUP BY nz.relid, nz.channel, nz.segment, x.bucket
), run AS (
	SELECT c.*,
		   (sum(c.new + c.reactivated + c.moved_in - c.moved_out - c.lost)
			OVER (PARTITION BY c.relid, c.channel COLLATE "C", c.segment::text COLLATE "C" ORDER BY c.bucket))::bigint AS at_end
	  FROM cnt c
)
SELECT r.relid AS relation,
	   pg_catalog.timezone(t.time_zone, r.bucket) AS bucket_start,
	   pg_catalog.timezone(t.time_zone, r.bucket + t.bucket) AS bucket_end,
	   r.channel, r.segment,
	   r.at_end - (r.new + r.reactivated + r.moved_in - r.moved_out - r.lost) AS at_start,
	   r.new, r.reactivated, r.moved_in, r.moved_out, r.lost, r.lost_from_start, r.at_end,
	   CASE WHEN r.at_end - (r.new + r.reactivated + r.moved_in - r.moved_out - r.lost) <> 0
			THEN r.lost_from_start::float8 / (r.at_end - (r.new + r.reactivated + r.moved_in - r.moved_out - r.lost))
	   END AS churn_rate,
	   CASE WHEN r.at_end - (r.new + r.reactivated + r.moved_in - r.moved_out - r.lost) <> 0
			THEN (r.at_end - r.new)::float8 / (r.at_end - (r.new + r.reactivated + r.moved_in - r.moved_out - r.lost))
	   END AS retention_rate
  FROM run r JOIN @extschema@.tracked_table t ON t.relid = r.relid;
COMMENT ON VIEW @extschema@.churn_summary IS
'customers per tracked table, channel, segment and bucket: at_start, new, reactivated, moved_in, moved_out, lost, lost_from_start, at_end, churn and retention rates';

CREATE VIEW @extschema@.churn_reasons AS
SELECT e.relid AS relation, pg_catalog.timezone(t.time_zone, e.bucket) AS bucket_start,
	   e.channel, e.detail AS reason, sum(e.n)::bigint AS lost
  FROM @extschema@._events e JOIN @extschema@.tracked_table t ON t.relid = e.relid
 WHERE e.kind = 'c'
 GROUP BY e.relid, t.time_zone, e.bucket, e.channel, e.detail
HAVING sum(e.n) <> 0;
COMMENT ON VIEW @extschema@.churn_reasons IS
'customers lost per tracked table, bucket, channel and reason';

CREATE VIEW @extschema@.diversion_summary AS
WITH moves AS (
	SELECT e.relid, e.bucket, e.channel AS from_channel, e.detail AS to_channel, sum(e.n)::bigint AS moved
	  FROM @extschema@._events e
	 WHERE e.kind = 'd'
	 GROUP BY e.relid, e.bucket, e.channel, e.detail
	HAVING sum(e.n) <> 0
), base AS (
	SELECT s.relation, s.bucket_start, s.bucket_end, s.channel,
		   sum(s.at_start + s.new + s.reactivated + s.moved_in)::bigint AS from_base
	  FROM @extschema@.churn_summary s
	 GROUP BY s.relation, s.bucket_start, s.bucket_end, s.channel
)
SELECT m.relid AS relation, b.bucket_start, b.bucket_end, m.from_channel, m.to_channel, m.moved,
	   b.from_base,
	   CASE WHEN b.from_base <> 0 THEN m.moved::float8 / b.from_base END AS diversion_rate
  FROM moves m
  JOIN @extschema@.tracked_table t ON t.relid = m.relid
  JOIN base b ON b.relation = m.relid AND b.bucket_start = pg_catalog.timezone(t.time_zone, m.bucket)
			 AND b.channel IS NOT DISTINCT FROM m.from_channel;
COMMENT ON VIEW @extschema@.diversion_summary IS
'channel moves per tracked table and bucket, with the base of the channel left (customers in it during the bucket) and the diversion rate';

CREATE VIEW @extschema@.lifecycle_summary AS
WITH ev AS (
	SELECT e.relid, e.detail::@extschema@.lifecycle AS state, e.bucket,
		   coalesce(sum(e.n) FILTER (WHERE e.kind = 's'), 0)::bigint AS entered,
		   coalesce(sum(e.n) FILTER (WHERE e.kind = 'x'), 0)::bigint AS exited
	  FROM @extschema@._events e
	 WHERE e.kind IN ('s', 'x')
	 GROUP BY e.relid, e.detail, e.bucket
), nz AS (
	SELECT ev.*,
		   min(ev.bucket) OVER (PARTITION BY ev.relid, ev.state) AS first_bucket,
		   max(ev.bucket) OVER (PARTITION BY ev.relid) AS last_bucket
	  FROM ev
	 WHERE entered <> 0 OR exited <> 0
), cnt AS (
	SELECT nz.relid, nz.state, x.bucket, sum(x.entered)::bigint AS entered, sum(x.exited)::bigint AS exited
	  FROM nz
	  JOIN @extschema@.tracked_table t ON t.relid = nz.relid
	 CROSS JOIN LATERAL (
		SELECT nz.bucket, nz.entered, nz.exited
		UNION ALL
		SELECT g.b, 0, 0
		  FROM pg_catalog.generate_series(nz.first_bucket,
				   greatest(nz.last_bucket,
							@extschema@.bucket_floor(pg_catalog.timezone(t.time_zone, pg_catalog.now()), t.bucket)),
				   t.bucket) g(b)
		 WHERE nz.bucket = nz.first_bucket
	 ) x
	 GROUP BY nz.relid, nz.state, x.bucket
), run AS (
	SELECT c.*, (sum(c.entered - c.exited) OVER (PARTITION BY c.relid, c.state ORDER BY c.bucket))::bigint AS at_end
	  FROM cnt c
)
SELECT r.relid AS relation,
	   pg_catalog.timezone(t.time_zone, r.bucket) AS bucket_start,
	   pg_catalog.timezone(t.time_zone, r.bucket + t.bucket) AS bucket_end,
	   r.state, r.at_end - r.entered + r.exited AS at_start, r.entered, r.exited, r.at_end
  FROM run r JOIN @extschema@.tracked_table t ON t.relid = r.relid;
COMMENT ON VIEW @extschema@.lifecycle_summary IS
'customers per tracked table, lifecycle state and bucket: at_start, entered, exited, at_end';

CREATE VIEW @extschema@.lifecycle_transitions AS
SELECT e.relid AS relation,
	   pg_catalog.timezone(t.time_zone, e.bucket) AS bucket_start,
	   pg_catalog.timezone(t.time_zone, e.bucket + t.bucket) AS bucket_end,
	   pg_catalog.split_part(e.detail, '>', 1)::@extschema@.lifecycle AS from_state,
	   pg_catalog.split_part(e.detail, '>', 2)::@extschema@.lifecycle AS to_state,
	   sum(e.n)::bigint AS transitions
  FROM @extschema@._events e JOIN @extschema@.tracked_table t ON t.relid = e.relid
 WHERE e.kind = 't'
 GROUP BY e.relid, t.time_zone, t.bucket, e.bucket, e.detail
HAVING sum(e.n) <> 0;
COMMENT ON VIEW @extschema@.lifecycle_transitions IS
'lifecycle state transitions per tracked table and bucket';

CREATE VIEW @extschema@.status AS
SELECT t.relid AS relation, t.suspended, t.bucket, t.time_zone, t.tracked_at,
	   (SELECT count(*) FROM @extschema@.summary_delta d WHERE d.relid = t.relid) AS pending_deltas,
	   (SELECT min(d.added) FROM @extschema@.summary_delta d WHERE d.relid = t.relid) AS oldest_pending,
	   t.last_refresh,
	   (SELECT count(*) FROM @extschema@.summary s WHERE s.relid = t.relid) AS summary_rows,
	   (SELECT coalesce(sum(pg_catalog.cardinality(h.entries)), 0) FROM @extschema@.history h WHERE h.relid = t.relid)::pg_catalog.int8 AS history_rows
  FROM @extschema@.tracked_table t;
COMMENT ON VIEW @extschema@.status IS
'per tracked table: suspended or not, pending delta rows and the oldest, last refresh, summary rows and history entries';

-- A tracked table dropped: its configuration, summaries and history go too.
-- SECURITY DEFINER: the role dropping its table has no privilege on churn's
-- tables; the function only deletes rows of relations being dropped.
CREATE FUNCTION @extschema@._on_sql_drop()
RETURNS event_trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	gone oid[];
BEGIN
	SELECT array_agg(d.objid) INTO gone
	  FROM pg_event_trigger_dropped_objects() d
	 WHERE d.classid = 'pg_class'::regclass AND d.objsubid = 0
	   AND d.objid IN (SELECT t.relid FROM @extschema@.tracked_table t);
	IF gone IS NULL THEN
		RETURN;
	END IF;
	DELETE FROM @extschema@.summary_delta s WHERE s.relid = ANY (gone);
	DELETE FROM @extschema@.summary s WHERE s.relid = ANY (gone);
	DELETE FROM @extschema@.history h WHERE h.relid = ANY (gone);
	DELETE FROM @extschema@.tracked_table t WHERE t.relid = ANY (gone);
END
$$;
COMMENT ON FUNCTION @extschema@._on_sql_drop() IS
'internal: forgets the summaries, history and configuration of tracked tables that are dropped';

CREATE EVENT TRIGGER churn_forget_dropped ON sql_drop
	WHEN TAG IN ('DROP TABLE', 'DROP SCHEMA', 'DROP OWNED')
	EXECUTE FUNCTION @extschema@._on_sql_drop();
COMMENT ON EVENT TRIGGER churn_forget_dropped IS
'forgets the summaries of tracked tables that are dropped';

-- Partitions created, attached or detached after track: the capture triggers
-- follow (a partition written directly must carry them), and the summaries
-- of a table that gained or lost rows that way are rebuilt.  SECURITY
-- DEFINER: it creates triggers and rewrites churn's tables, only for
-- tracked tables and their (former) partitions.
CREATE FUNCTION @extschema@._on_ddl_end()
RETURNS event_trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	altered oid[];
	t record;
	target regclass;
	added int;
	stray record;
	lost_one bool := false;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM @extschema@.tracked_table) THEN
		RETURN;
	END IF;
	SELECT array_agg(c.objid) INTO altered
	  FROM pg_event_trigger_ddl_commands() c WHERE c.classid = 'pg_class'::regclass;
	-- capture triggers on a table that is no target of any tracked table
	-- (a detached partition): drop them
	FOR stray IN
		SELECT DISTINCT g.tgrelid::regclass AS rel
		  FROM pg_trigger g
		 WHERE g.tgfoid IN ('@extschema@.summary_trigger'::regproc, '@extschema@.summary_begin'::regproc)
		   AND NOT EXISTS (SELECT 1 FROM @extschema@.tracked_table tt
							CROSS JOIN LATERAL @extschema@._trigger_targets(tt.relid) x
						   WHERE x = g.tgrelid)
	LOOP
		PERFORM @extschema@._drop_triggers(stray.rel);
		lost_one := true;
	END LOOP;
	FOR t IN SELECT tt.relid, tt.suspended FROM @extschema@.tracked_table tt ORDER BY tt.relid::oid LOOP
		-- a tracked table without its own triggers is being restored (they
		-- come after the constraints in a dump): leave it to the dump
		CONTINUE WHEN NOT EXISTS (SELECT 1 FROM pg_trigger g
								   WHERE g.tgrelid = t.relid AND g.tgname = 'churn_summary_insert');
		added := 0;
		FOR target IN
			SELECT x FROM @extschema@._trigger_targets(t.relid) x
			 WHERE (SELECT count(*) FROM pg_trigger g
					 WHERE g.tgrelid = x AND g.tgname = ANY (@extschema@._trigger_names()))
				   < cardinality(@extschema@._trigger_names())
		LOOP
			PERFORM @extschema@._install_triggers(target, NOT t.suspended);
			added := added + 1;
		END LOOP;
		-- rows arrived (ATTACH) or left (DETACH) without a trigger firing
		IF NOT t.suspended AND t.relid = ANY (altered) AND (added > 0 OR lost_one) THEN
			-- under a SHARE lock, as churn.rebuild: no writer may commit
			-- between the deletion of the deltas and the recomputation
			PERFORM @extschema@._recompute_after_truncate(t.relid);
		END IF;
	END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@._on_ddl_end() IS
'internal: keeps the capture triggers on the partitions of tracked tables and rebuilds after ATTACH/DETACH PARTITION';

CREATE EVENT TRIGGER churn_follow_partitions ON ddl_command_end
	WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE')
	EXECUTE FUNCTION @extschema@._on_ddl_end();
COMMENT ON EVENT TRIGGER churn_follow_partitions IS
'keeps the capture triggers on the partitions of tracked tables';

-- Administration is for the extension owner (or whom it grants); readers get
-- SELECT on the views.
REVOKE ALL ON @extschema@.tracked_table, @extschema@.summary, @extschema@.summary_delta,
	@extschema@.history FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.track(pg_catalog.regclass, pg_catalog.name, pg_catalog.name,
	pg_catalog.name, pg_catalog.name, pg_catalog.name[], pg_catalog.name, pg_catalog.name,
	pg_catalog.name, pg_catalog.interval, pg_catalog.name, pg_catalog.interval, pg_catalog.interval,
	pg_catalog.interval, pg_catalog.text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.untrack(pg_catalog.regclass) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.refresh(pg_catalog.regclass) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.rebuild(pg_catalog.regclass) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.verify(pg_catalog.regclass) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.suspend(pg_catalog.regclass) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.resume(pg_catalog.regclass) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@._recompute(pg_catalog.regclass) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@._events_query(pg_catalog.regclass) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@._truncated(pg_catalog.oid) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@._on_sql_drop() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@._on_ddl_end() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@._recompute_after_truncate(pg_catalog.oid) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@._install_triggers(pg_catalog.regclass, pg_catalog.bool) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@._enable_triggers(pg_catalog.regclass, pg_catalog.bool) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@._drop_triggers(pg_catalog.regclass) FROM PUBLIC;

--
-- 700_ops.sql: operations: lifecycle aging by inactivity, a health check for
-- monitoring, and the read-only role the Grafana dashboard connects as.
--

-- aging runs: one row per tracked table, the last advance_lifecycle run

CREATE TABLE @extschema@.aging_runs (
	relation		pg_catalog.regclass PRIMARY KEY,
	started_at		pg_catalog.timestamptz NOT NULL,
	finished_at		pg_catalog.timestamptz NOT NULL,
	as_of			pg_catalog.timestamptz NOT NULL,
	to_at_risk		pg_catalog.int8 NOT NULL,
	to_dormant		pg_catalog.int8 NOT NULL,
	to_churned		pg_catalog.int8 NOT NULL
);

COMMENT ON TABLE @extschema@.aging_runs IS
'the last churn.advance_lifecycle() run per tracked table: when, as of when, and how many customers it moved';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.aging_runs', '');

-- aging_step: where inactivity may move a customer

CREATE FUNCTION @extschema@._aging_rank(state @extschema@.lifecycle)
RETURNS pg_catalog.int4
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
	SELECT CASE
		WHEN state::pg_catalog.text OPERATOR(pg_catalog.=) ANY ('{new,active,reactivated}'::pg_catalog.text[]) THEN 0
		WHEN state::pg_catalog.text OPERATOR(pg_catalog.=) 'at_risk' THEN 1
		WHEN state::pg_catalog.text OPERATOR(pg_catalog.=) 'dormant' THEN 2
		WHEN state::pg_catalog.text OPERATOR(pg_catalog.=) 'churned' THEN 3
	END
$fn$;

COMMENT ON FUNCTION @extschema@._aging_rank(@extschema@.lifecycle) IS
'internal: position on the inactivity chain: new, active, reactivated 0; at_risk 1; dormant 2; churned 3; prospect NULL';

-- aging_step and _aging_rank are single expressions without a SET clause and
-- not STRICT (a CASE is not strict), so that the planner inlines them into
-- advance_lifecycle's scan; every name is qualified, as an inlined body is
-- parsed with the caller's search_path.  A NULL state or target gives back
-- from_state.
CREATE FUNCTION @extschema@.aging_step(from_state @extschema@.lifecycle,
	target @extschema@.lifecycle)
RETURNS @extschema@.lifecycle
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
	SELECT CASE
		WHEN @extschema@._aging_rank(from_state) IS NULL
			 OR @extschema@._aging_rank(target) IS NULL
			 OR @extschema@._aging_rank(target) OPERATOR(pg_catalog.<=) @extschema@._aging_rank(from_state)
		THEN from_state
		WHEN @extschema@._aging_rank(target) OPERATOR(pg_catalog.>=) 3
			 AND @extschema@.can_transition(from_state, 'churned'::@extschema@.lifecycle)
		THEN 'churned'::@extschema@.lifecycle
		WHEN @extschema@._aging_rank(target) OPERATOR(pg_catalog.>=) 2
			 AND @extschema@._aging_rank(from_state) OPERATOR(pg_catalog.<) 2
			 AND @extschema@.can_transition(from_state, 'dormant'::@extschema@.lifecycle)
		THEN 'dormant'::@extschema@.lifecycle
		WHEN @extschema@._aging_rank(from_state) OPERATOR(pg_catalog.<) 1
			 AND @extschema@.can_transition(from_state, 'at_risk'::@extschema@.lifecycle)
		THEN 'at_risk'::@extschema@.lifecycle
		ELSE from_state
	END
$fn$;

COMMENT ON FUNCTION @extschema@.aging_step(@extschema@.lifecycle, @extschema@.lifecycle) IS
'the state inactivity moves a customer to: the furthest of at_risk, dormant, churned that is past from_state, not past target, and allowed by can_transition; else from_state';

-- _aging_config: what advance_lifecycle needs of track()'s configuration

CREATE FUNCTION @extschema@._aging_config(tbl pg_catalog.regclass,
	OUT customer_col pg_catalog.name, OUT state_col pg_catalog.name,
	OUT activity_col pg_catalog.name, OUT changed_col pg_catalog.name,
	OUT at_risk_after pg_catalog.interval, OUT dormant_after pg_catalog.interval,
	OUT churned_after pg_catalog.interval, OUT time_zone pg_catalog.text,
	OUT suspended pg_catalog.bool)
LANGUAGE sql STABLE STRICT
-- tracked_table is not readable by PUBLIC; this returns one row of it: the
-- column names and thresholds of one table (its columns are public anyway)
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
	SELECT t.customer_column, t.state_column, t.activity_column, t.changed_at_column,
		   t.at_risk_after, t.dormant_after, t.churned_after, t.time_zone, t.suspended
	  FROM @extschema@.tracked_table t
	 WHERE t.relid OPERATOR(pg_catalog.=) tbl
$fn$;

COMMENT ON FUNCTION @extschema@._aging_config(pg_catalog.regclass) IS
'internal: the columns and inactivity thresholds track() recorded for a table, as advance_lifecycle uses them';

-- advance_lifecycle: age a tracked table's customers by inactivity

CREATE PROCEDURE @extschema@.advance_lifecycle(tbl pg_catalog.regclass,
	as_of pg_catalog.timestamptz DEFAULT pg_catalog.now(),
	batch_size pg_catalog.int4 DEFAULT 1000,
	INOUT to_at_risk pg_catalog.int8 DEFAULT NULL,
	INOUT to_dormant pg_catalog.int8 DEFAULT NULL,
	INOUT to_churned pg_catalog.int8 DEFAULT NULL)
-- C (src/ops_aging.c): it commits between batches through a non-atomic SPI
-- connection and leaves search_path alone for the table's own triggers
AS 'MODULE_PATHNAME', 'churn_advance_lifecycle'
LANGUAGE C;

COMMENT ON PROCEDURE @extschema@.advance_lifecycle(pg_catalog.regclass, pg_catalog.timestamptz, pg_catalog.int4, pg_catalog.int8, pg_catalog.int8, pg_catalog.int8) IS
'moves the customers of a tracked table along active -> at_risk -> dormant -> churned by the inactivity thresholds given to track(), in batches committed one by one; returns how many it moved to each state';

REVOKE EXECUTE ON PROCEDURE @extschema@.advance_lifecycle(pg_catalog.regclass, pg_catalog.timestamptz, pg_catalog.int4, pg_catalog.int8, pg_catalog.int8, pg_catalog.int8) FROM PUBLIC;
REVOKE ALL ON @extschema@.aging_runs FROM PUBLIC;

-- health: one row per tracked table for a monitoring system to poll

CREATE FUNCTION @extschema@.health(refresh_lag pg_catalog.interval DEFAULT '15 minutes',
	aging_lag pg_catalog.interval DEFAULT '2 days',
	OUT relation pg_catalog.regclass, OUT status pg_catalog.text,
	OUT pending_deltas pg_catalog.int8, OUT oldest_pending pg_catalog.timestamptz,
	OUT pending_age pg_catalog.interval, OUT last_refresh pg_catalog.timestamptz,
	OUT last_aging pg_catalog.timestamptz, OUT last_aging_as_of pg_catalog.timestamptz,
	OUT last_aging_moved pg_catalog.int8, OUT suspended pg_catalog.bool,
	OUT summary_rows pg_catalog.int8, OUT history_rows pg_catalog.int8)
RETURNS SETOF record
LANGUAGE sql STABLE
-- status and aging_runs are not readable by PUBLIC: health exposes only
-- counts and times; grant EXECUTE on it to the monitoring role
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
	SELECT s.relation,
		   CASE WHEN s.suspended THEN 'suspended'
				-- churn's triggers are ordinary user triggers: ALTER TABLE
				-- ... DISABLE TRIGGER ALL (or USER, or one of them) stops
				-- the capture without churn.suspend, and writes go uncounted
				WHEN EXISTS (SELECT 1
							   FROM @extschema@._trigger_targets(s.relation) x
							  CROSS JOIN unnest(@extschema@._trigger_names()) n
							  WHERE NOT EXISTS (SELECT 1 FROM pg_trigger g
												 WHERE g.tgrelid = x AND g.tgname = n
												   -- fires in ordinary sessions
												   AND g.tgenabled IN ('O', 'A')))
				THEN 'capture_disabled'
				WHEN s.oldest_pending < now() - refresh_lag THEN 'stale'
				WHEN t.activity_column IS NOT NULL AND t.at_risk_after IS NOT NULL
					 AND t.state_column IS NOT NULL
					 AND coalesce(a.finished_at, t.tracked_at) < now() - aging_lag
				THEN 'aging_overdue'
				ELSE 'ok' END,
		   s.pending_deltas, s.oldest_pending,
		   CASE WHEN s.oldest_pending IS NOT NULL THEN now() - s.oldest_pending END,
		   s.last_refresh, a.finished_at, a.as_of,
		   a.to_at_risk + a.to_dormant + a.to_churned,
		   s.suspended, s.summary_rows, s.history_rows
	  FROM @extschema@.status s
	  JOIN @extschema@.tracked_table t ON t.relid = s.relation
	  LEFT JOIN @extschema@.aging_runs a ON a.relation = s.relation
	 ORDER BY s.relation::pg_catalog.text
$fn$;

COMMENT ON FUNCTION @extschema@.health(pg_catalog.interval, pg_catalog.interval) IS
'per tracked table: status (ok, stale, aging_overdue, suspended, capture_disabled), pending deltas and the age of the oldest, last refresh, last aging run; for monitoring';

REVOKE EXECUTE ON FUNCTION @extschema@.health(pg_catalog.interval, pg_catalog.interval) FROM PUBLIC;

-- grant_reader / revoke_reader: the read-only role of the dashboards

CREATE FUNCTION @extschema@.grant_reader(reader pg_catalog.regrole)
RETURNS void
LANGUAGE plpgsql STRICT
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	v pg_catalog.text;
BEGIN
	EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA %I TO %s', '@extschema@', reader);
	FOREACH v IN ARRAY ARRAY['churn_summary', 'churn_reasons', 'diversion_summary',
							 'lifecycle_summary', 'lifecycle_transitions']
	LOOP
		EXECUTE pg_catalog.format('GRANT SELECT ON %I.%I TO %s', '@extschema@', v, reader);
	END LOOP;
END
$fn$;

COMMENT ON FUNCTION @extschema@.grant_reader(pg_catalog.regrole) IS
'lets a role read the churn summaries (USAGE on the schema, SELECT on the summary views); the aggregates and readers are executable by everyone already; writes, refresh, track and aging stay refused';

CREATE FUNCTION @extschema@.revoke_reader(reader pg_catalog.regrole)
RETURNS void
LANGUAGE plpgsql STRICT
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	v pg_catalog.text;
BEGIN
	FOREACH v IN ARRAY ARRAY['churn_summary', 'churn_reasons', 'diversion_summary',
							 'lifecycle_summary', 'lifecycle_transitions']
	LOOP
		EXECUTE pg_catalog.format('REVOKE SELECT ON %I.%I FROM %s', '@extschema@', v, reader);
	END LOOP;
	EXECUTE pg_catalog.format('REVOKE USAGE ON SCHEMA %I FROM %s', '@extschema@', reader);
END
$fn$;

COMMENT ON FUNCTION @extschema@.revoke_reader(pg_catalog.regrole) IS
'undoes grant_reader';

REVOKE EXECUTE ON FUNCTION @extschema@.grant_reader(pg_catalog.regrole) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.revoke_reader(pg_catalog.regrole) FROM PUBLIC;
