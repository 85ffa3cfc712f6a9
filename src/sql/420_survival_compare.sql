
--
-- 420_survival_compare.sql: comparing survival between segments (the
-- log-rank / G-rho test with its logrank_state type, pairwise tests) and
-- the statistics of one Kaplan-Meier curve beyond survival_at (restricted
-- mean with its standard error, median with its interval, Nelson-Aalen
-- cumulative hazard, conditional survival).
--

CREATE TYPE @extschema@.logrank_state;

CREATE FUNCTION @extschema@.logrank_state_in(pg_catalog.cstring)
RETURNS @extschema@.logrank_state
AS 'MODULE_PATHNAME', 'logrank_state_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.logrank_state_out(@extschema@.logrank_state)
RETURNS pg_catalog.cstring
AS 'MODULE_PATHNAME', 'logrank_state_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.logrank_state_recv(pg_catalog.internal)
RETURNS @extschema@.logrank_state
AS 'MODULE_PATHNAME', 'logrank_state_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.logrank_state_send(@extschema@.logrank_state)
RETURNS pg_catalog.bytea
AS 'MODULE_PATHNAME', 'logrank_state_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.logrank_state (
	INPUT = @extschema@.logrank_state_in,
	OUTPUT = @extschema@.logrank_state_out,
	RECEIVE = @extschema@.logrank_state_recv,
	SEND = @extschema@.logrank_state_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = extended
);

COMMENT ON TYPE @extschema@.logrank_state IS
'per group, events and censorings per distinct duration, and the weight exponent rho: the state of logrank';
COMMENT ON FUNCTION @extschema@.logrank_state_in(pg_catalog.cstring) IS
'text input of logrank_state';
COMMENT ON FUNCTION @extschema@.logrank_state_out(@extschema@.logrank_state) IS
'text output of logrank_state';
COMMENT ON FUNCTION @extschema@.logrank_state_recv(pg_catalog.internal) IS
'binary input of logrank_state';
COMMENT ON FUNCTION @extschema@.logrank_state_send(@extschema@.logrank_state) IS
'binary output of logrank_state';

CREATE TYPE @extschema@.logrank_result AS (
	chi_square pg_catalog.float8,
	df pg_catalog.int4,
	p_value pg_catalog.float8,
	rho pg_catalog.float8,
	groups pg_catalog.text[],
	n pg_catalog.int8[],
	events pg_catalog.int8[],
	observed pg_catalog.float8[],
	expected pg_catalog.float8[]
);
COMMENT ON TYPE @extschema@.logrank_result IS
'result of logrank: the test, and per group subjects, events, observed and expected (weighted) events';

-- aggregate support
CREATE FUNCTION @extschema@.logrank_trans(@extschema@.logrank_state,
	pg_catalog.float8, pg_catalog.bool, pg_catalog.text)
RETURNS @extschema@.logrank_state
AS 'MODULE_PATHNAME', 'logrank_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.logrank_trans(@extschema@.logrank_state,
	pg_catalog.float8, pg_catalog.bool, pg_catalog.text, pg_catalog.float8)
RETURNS @extschema@.logrank_state
AS 'MODULE_PATHNAME', 'logrank_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.logrank_combine(@extschema@.logrank_state,
	@extschema@.logrank_state)
RETURNS @extschema@.logrank_state
AS 'MODULE_PATHNAME', 'logrank_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.logrank(state @extschema@.logrank_state)
RETURNS @extschema@.logrank_result
AS 'MODULE_PATHNAME', 'logrank_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.logrank_trans(@extschema@.logrank_state,
	pg_catalog.float8, pg_catalog.bool, pg_catalog.text) IS
'transition function of logrank(float8, boolean, text) and logrank_state(float8, boolean, text)';
COMMENT ON FUNCTION @extschema@.logrank_trans(@extschema@.logrank_state,
	pg_catalog.float8, pg_catalog.bool, pg_catalog.text, pg_catalog.float8) IS
'transition function of logrank(float8, boolean, text, float8) and logrank_state(float8, boolean, text, float8)';
COMMENT ON FUNCTION @extschema@.logrank_combine(@extschema@.logrank_state,
	@extschema@.logrank_state) IS
'merges two logrank states of disjoint subjects (combine function of logrank, logrank_state and rollup)';
COMMENT ON FUNCTION @extschema@.logrank(@extschema@.logrank_state) IS
'G-rho (log-rank) test of a logrank_state, as R survdiff computes it';

CREATE AGGREGATE @extschema@.logrank(duration pg_catalog.float8,
	event pg_catalog.bool, grp pg_catalog.text) (
	SFUNC = @extschema@.logrank_trans,
	STYPE = @extschema@.logrank_state,
	FINALFUNC = @extschema@.logrank,
	COMBINEFUNC = @extschema@.logrank_combine,
	PARALLEL = SAFE
);

CREATE AGGREGATE @extschema@.logrank(duration pg_catalog.float8,
	event pg_catalog.bool, grp pg_catalog.text, rho pg_catalog.float8) (
	SFUNC = @extschema@.logrank_trans,
	STYPE = @extschema@.logrank_state,
	FINALFUNC = @extschema@.logrank,
	COMBINEFUNC = @extschema@.logrank_combine,
	PARALLEL = SAFE
);

CREATE AGGREGATE @extschema@.logrank_state(duration pg_catalog.float8,
	event pg_catalog.bool, grp pg_catalog.text) (
	SFUNC = @extschema@.logrank_trans,
	STYPE = @extschema@.logrank_state,
	COMBINEFUNC = @extschema@.logrank_combine,
	PARALLEL = SAFE
);

CREATE AGGREGATE @extschema@.logrank_state(duration pg_catalog.float8,
	event pg_catalog.bool, grp pg_catalog.text, rho pg_catalog.float8) (
	SFUNC = @extschema@.logrank_trans,
	STYPE = @extschema@.logrank_state,
	COMBINEFUNC = @extschema@.logrank_combine,
	PARALLEL = SAFE
);

CREATE AGGREGATE @extschema@.rollup(@extschema@.logrank_state) (
	SFUNC = @extschema@.logrank_combine,
	STYPE = @extschema@.logrank_state,
	COMBINEFUNC = @extschema@.logrank_combine,
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE @extschema@.logrank(pg_catalog.float8, pg_catalog.bool, pg_catalog.text) IS
'log-rank test of equal survival between groups of (duration, event) rows (R survdiff)';
COMMENT ON AGGREGATE @extschema@.logrank(pg_catalog.float8, pg_catalog.bool, pg_catalog.text, pg_catalog.float8) IS
'G-rho test of equal survival between groups, weights S(t-)^rho (R survdiff(rho = ...)); rho = 1 is Peto-Peto';
COMMENT ON AGGREGATE @extschema@.logrank_state(pg_catalog.float8, pg_catalog.bool, pg_catalog.text) IS
'logrank_state of groups of (duration, event) rows, to store, roll up or test pairwise';
COMMENT ON AGGREGATE @extschema@.logrank_state(pg_catalog.float8, pg_catalog.bool, pg_catalog.text, pg_catalog.float8) IS
'logrank_state of groups of (duration, event) rows with G-rho weight exponent rho';
COMMENT ON AGGREGATE @extschema@.rollup(@extschema@.logrank_state) IS
'merges logrank states of disjoint subjects into the state of their union';

-- readers of a logrank_state
CREATE FUNCTION @extschema@.logrank_groups(state @extschema@.logrank_state,
	OUT grp pg_catalog.text, OUT n pg_catalog.int8, OUT events pg_catalog.int8,
	OUT observed pg_catalog.float8, OUT expected pg_catalog.float8,
	OUT variance pg_catalog.float8)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'logrank_groups'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 5;

CREATE FUNCTION @extschema@.logrank_pairwise(state @extschema@.logrank_state,
	adjust pg_catalog.text DEFAULT 'holm',
	OUT group1 pg_catalog.text, OUT group2 pg_catalog.text,
	OUT chi_square pg_catalog.float8, OUT p_value pg_catalog.float8,
	OUT p_adjusted pg_catalog.float8)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'logrank_pairwise'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 10;

CREATE FUNCTION @extschema@.logrank_curves(state @extschema@.logrank_state,
	OUT grp pg_catalog.text, OUT curve @extschema@.survival_curve)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'logrank_curves'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 5;

CREATE FUNCTION @extschema@.chi_square_p_value(chi_square pg_catalog.float8,
	df pg_catalog.float8)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'chi_square_p_value'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.logrank_groups(@extschema@.logrank_state) IS
'per group of a logrank_state: subjects, events, observed and expected (weighted) events, variance';
COMMENT ON FUNCTION @extschema@.logrank_pairwise(@extschema@.logrank_state, pg_catalog.text) IS
'G-rho test of every pair of groups of a logrank_state, p-values adjusted by holm, bonferroni, BH or none';
COMMENT ON FUNCTION @extschema@.logrank_curves(@extschema@.logrank_state) IS
'Kaplan-Meier survival curve of each group of a logrank_state';
COMMENT ON FUNCTION @extschema@.chi_square_p_value(pg_catalog.float8, pg_catalog.float8) IS
'upper tail probability of the chi-square distribution (R pchisq(x, df, lower.tail = FALSE))';

-- readers of a survival_curve
CREATE FUNCTION @extschema@.restricted_mean_lifetime_ci(curve @extschema@.survival_curve,
	horizon pg_catalog.float8,
	OUT rmean pg_catalog.float8, OUT std_error pg_catalog.float8,
	OUT lower pg_catalog.float8, OUT upper pg_catalog.float8)
RETURNS record
AS 'MODULE_PATHNAME', 'restricted_mean_lifetime_ci'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.restricted_mean_lifetime_difference(
	curve_a @extschema@.survival_curve, curve_b @extschema@.survival_curve,
	horizon pg_catalog.float8,
	OUT difference pg_catalog.float8, OUT std_error pg_catalog.float8,
	OUT lower pg_catalog.float8, OUT upper pg_catalog.float8,
	OUT z pg_catalog.float8, OUT p_value pg_catalog.float8)
RETURNS record
AS 'MODULE_PATHNAME', 'restricted_mean_lifetime_difference'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.median_lifetime_ci(curve @extschema@.survival_curve,
	OUT median pg_catalog.float8, OUT lower pg_catalog.float8,
	OUT upper pg_catalog.float8)
RETURNS record
AS 'MODULE_PATHNAME', 'median_lifetime_ci'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.cumulative_hazard(curve @extschema@.survival_curve,
	t pg_catalog.float8)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'cumulative_hazard'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.cumulative_hazard_points(curve @extschema@.survival_curve,
	OUT "time" pg_catalog.float8, OUT at_risk pg_catalog.int8,
	OUT events pg_catalog.int8, OUT censored pg_catalog.int8,
	OUT cumulative_hazard pg_catalog.float8, OUT std_error pg_catalog.float8)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'cumulative_hazard_points'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 20;

CREATE FUNCTION @extschema@.conditional_survival(curve @extschema@.survival_curve,
	t pg_catalog.float8, s pg_catalog.float8)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'conditional_survival'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.restricted_mean_lifetime_ci(@extschema@.survival_curve, pg_catalog.float8) IS
'restricted mean lifetime with its standard error and 95% interval, as R print(survfit, rmean = horizon)';
COMMENT ON FUNCTION @extschema@.restricted_mean_lifetime_difference(@extschema@.survival_curve,
	@extschema@.survival_curve, pg_catalog.float8) IS
'difference of two restricted mean lifetimes with its standard error, 95% interval, z and p-value';
COMMENT ON FUNCTION @extschema@.median_lifetime_ci(@extschema@.survival_curve) IS
'median lifetime and its 95% interval, as R print(survfit) gives median, 0.95LCL and 0.95UCL';
COMMENT ON FUNCTION @extschema@.cumulative_hazard(@extschema@.survival_curve, pg_catalog.float8) IS
'Nelson-Aalen cumulative hazard H(t)';
COMMENT ON FUNCTION @extschema@.cumulative_hazard_points(@extschema@.survival_curve) IS
'Nelson-Aalen cumulative hazard and its standard error at every distinct duration (R survfit cumhaz, std.chaz)';
COMMENT ON FUNCTION @extschema@.conditional_survival(@extschema@.survival_curve,
	pg_catalog.float8, pg_catalog.float8) IS
'conditional survival S(t + s) / S(t): the chance of lasting s more after lasting t';
