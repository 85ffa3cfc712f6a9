
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
COMMENT ON OPERATOR FAMILY @extschema@.lifecycle_ops USING btree IS
'btree operator family of lifecycle (its default operator class): lifecycle order';
COMMENT ON OPERATOR FAMILY @extschema@.lifecycle_hash_ops USING hash IS
'hash operator family of lifecycle (its default operator class)';

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
