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

-- How churn's messages name a table: as regclass prints it, without the
-- identifier quotes inside the message's own (churn_table_name in churn.c).
CREATE FUNCTION @extschema@._table_name(relation pg_catalog.regclass)
RETURNS pg_catalog.text
AS 'MODULE_PATHNAME', 'churn_table_name_sql'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@._table_name(pg_catalog.regclass) IS
'internal: a table''s name as churn''s messages write it (schema-qualified when not on the search path, no identifier quoting)';

-- track refuses partitions, temporary and unlogged tables (_check_trackable)
-- and Citus tables (_check_not_citus).
-- What churn.track, retrack, resume and churn_follow_partitions (for the
-- tables a DDL command touched only, so that a table tracked before a check
-- was added does not stop every other DDL) require of a tracked table,
-- because it would otherwise change rows without churn hearing of it:
-- - it is no partition and no inheritance child: a statement on its parent
--   writes the rows of the children without firing their statement
--   triggers, with which churn captures (a tracked partitioned table's
--   capture sees the rows of its partitions);
-- - it has no inheritance children: a statement on it changes theirs too,
--   which the capture would count and a recomputation (of its rows alone)
--   would not;
-- - it and its partitions are permanent: a temporary table goes at the end
--   of its session without the sql_drop event that tells churn, and a crash
--   empties an unlogged one without firing its triggers.
CREATE FUNCTION @extschema@._check_trackable(relation pg_catalog.regclass, touched pg_catalog.oid[] DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	parent regclass;
	child regclass;
	bad record;
	-- the names as messages write them (_table_name), of the tables refused
	rel_name text;
	other_name text;
BEGIN
	IF touched IS NOT NULL
	   AND NOT EXISTS (SELECT 1 FROM @extschema@._trigger_targets(relation) x WHERE x = ANY (touched))
	   AND NOT EXISTS (SELECT 1 FROM pg_inherits i
						WHERE (i.inhrelid = relation AND i.inhparent = ANY (touched))
						   OR (i.inhparent = relation AND i.inhrelid = ANY (touched))) THEN
		RETURN;
	END IF;
	rel_name := @extschema@._table_name(relation);
	SELECT i.inhparent::regclass INTO parent FROM pg_inherits i WHERE i.inhrelid = relation LIMIT 1;
	IF FOUND THEN
		other_name := @extschema@._table_name(parent);
	END IF;
	IF parent IS NOT NULL AND (SELECT c.relispartition FROM pg_class c WHERE c.oid = relation) THEN
		RAISE EXCEPTION 'churn cannot keep the summaries of table "%" as a partition of "%"', rel_name, other_name
			USING ERRCODE = '0A000',
				  DETAIL = format('A statement on "%s" writes the rows of its partitions without firing their statement triggers, with which churn captures.', other_name),
				  HINT = CASE WHEN NOT EXISTS (SELECT 1 FROM @extschema@.tracked_table t WHERE t.relid = relation)
							  THEN format('Track the partitioned table "%s" instead.', other_name)
							  ELSE format('Stop tracking "%s" first (churn.untrack), and track "%s" instead.', rel_name, other_name) END;
	ELSIF parent IS NOT NULL THEN
		RAISE EXCEPTION 'churn cannot keep the summaries of table "%" as an inheritance child of "%"', rel_name, other_name
			USING ERRCODE = '0A000',
				  DETAIL = format('A statement on "%s" changes the rows of its children without firing their statement triggers, with which churn captures.', other_name),
				  HINT = CASE WHEN touched IS NULL
							  THEN format('Detach it from its parent first: ALTER TABLE %s NO INHERIT %s.', relation, parent)
							  ELSE format('Keep it out of "%s", or stop tracking "%s" first (churn.untrack).', other_name, rel_name) END;
	END IF;
	-- (a partitioned table's partitions are its own: its capture sees them)
	SELECT i.inhrelid::regclass INTO child
	  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhparent
	 WHERE i.inhparent = relation AND c.relkind <> 'p'
	 LIMIT 1;
	IF FOUND THEN
		other_name := @extschema@._table_name(child);
		RAISE EXCEPTION 'churn cannot keep the summaries of table "%" with inheritance child "%"', rel_name, other_name
			USING ERRCODE = '0A000',
				  DETAIL = format('An UPDATE or DELETE on "%s" changes the rows of "%s" too, which churn would count while it recomputes from "%s" alone.', rel_name, other_name, rel_name),
				  HINT = CASE WHEN touched IS NULL
							  THEN format('Detach the child first (ALTER TABLE %s NO INHERIT %s), or track a partitioned table.', child, relation)
							  ELSE format('Keep "%s" apart, or stop tracking "%s" first (churn.untrack).', other_name, rel_name) END;
	END IF;
	SELECT c.oid::regclass AS rel, c.relpersistence AS persistence INTO bad
	  FROM @extschema@._trigger_targets(relation) x JOIN pg_class c ON c.oid = x
	 WHERE c.relpersistence <> 'p'
	 ORDER BY c.oid = relation DESC, c.oid
	 LIMIT 1;
	IF NOT FOUND THEN
		RETURN;
	END IF;
	other_name := @extschema@._table_name(bad.rel);
	IF bad.persistence = 't' THEN
		RAISE EXCEPTION 'churn cannot keep the summaries of temporary table "%"', other_name
			USING ERRCODE = '0A000',
				  DETAIL = 'A temporary table is dropped at the end of its session without the event that tells churn to forget it: churn''s settings and summaries of it would stay behind.',
				  HINT = 'Track a permanent table.';
	END IF;
	RAISE EXCEPTION 'churn cannot keep the summaries of unlogged table "%"', other_name
		USING ERRCODE = '0A000',
			  DETAIL = concat(CASE WHEN bad.rel <> relation
								   THEN format('It is a partition of "%s", which churn tracks. ', rel_name) END,
							  'A crash empties an unlogged table without firing its triggers, and churn''s summaries would go on counting its rows.'),
			  HINT = CASE WHEN touched IS NULL
						  THEN format('Make it logged first: ALTER TABLE %s SET LOGGED.', bad.rel)
						  ELSE format('Keep it logged, or stop tracking "%s" first (churn.untrack).', rel_name) END;
END
$$;
COMMENT ON FUNCTION @extschema@._check_trackable(pg_catalog.regclass, pg_catalog.oid[]) IS
'internal: checks that a table churn tracks has no inheritance parent or child but its partitions, and neither it nor its partitions are temporary or unlogged';

-- Whether _check_trackable lets a tracked table be (for churn.health: a
-- table tracked by 1.0 in a shape 1.1 refuses).
CREATE FUNCTION @extschema@._is_trackable(relation pg_catalog.regclass)
RETURNS pg_catalog.bool
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM @extschema@._check_trackable(relation);
	RETURN true;
EXCEPTION WHEN feature_not_supported THEN
	RETURN false;
END
$$;
COMMENT ON FUNCTION @extschema@._is_trackable(pg_catalog.regclass) IS
'internal: whether a table passes _check_trackable';

-- Citus writes the rows of its tables to shards on the worker nodes (or, for
-- a Citus local table, to a shard beside it), where the capture triggers of
-- the coordinator's table never run: such a table cannot be tracked.
CREATE FUNCTION @extschema@._check_not_citus(relation pg_catalog.regclass)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	kind text;
BEGIN
	IF to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
		RETURN;
	END IF;
	EXECUTE 'SELECT CASE WHEN p.partmethod <> ''n'' THEN ''a Citus distributed table''
						 WHEN p.repmodel = ''t'' THEN ''a Citus reference table''
						 ELSE ''a Citus local table'' END
			   FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = $1'
	   INTO kind USING relation;
	IF kind IS NOT NULL THEN
		RAISE EXCEPTION 'churn cannot track "%": it is %', @extschema@._table_name(relation), kind
			USING ERRCODE = '0A000',
				  DETAIL = 'Citus writes its rows to shards, where churn''s capture triggers do not run.',
				  HINT = 'Track a local table on the coordinator, or compute the figures with churn''s aggregates (churn_rate, churn_periods, ...), which Citus runs on the workers.';
	END IF;
END
$$;
COMMENT ON FUNCTION @extschema@._check_not_citus(pg_catalog.regclass) IS
'internal: refuses a Citus distributed, reference or local table, whose writes churn''s triggers cannot capture';

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


--
-- 600_cox.sql: churn early warning with Cox proportional hazards: the
-- coxph() aggregate, its state type coxph_state, the fitted model type
-- cox_model and its readers (src/cox_state.c, src/cox_fit.c,
-- src/cox_model.c).
--

-- coxph_state: the rows (duration, event, covariates) collected for a fit
CREATE TYPE @extschema@.coxph_state;

CREATE FUNCTION @extschema@.coxph_state_in(pg_catalog.cstring)
RETURNS @extschema@.coxph_state
AS 'MODULE_PATHNAME', 'coxph_state_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.coxph_state_out(@extschema@.coxph_state)
RETURNS pg_catalog.cstring
AS 'MODULE_PATHNAME', 'coxph_state_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.coxph_state_recv(pg_catalog.internal)
RETURNS @extschema@.coxph_state
AS 'MODULE_PATHNAME', 'coxph_state_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.coxph_state_send(@extschema@.coxph_state)
RETURNS pg_catalog.bytea
AS 'MODULE_PATHNAME', 'coxph_state_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.coxph_state (
	INPUT = @extschema@.coxph_state_in,
	OUTPUT = @extschema@.coxph_state_out,
	RECEIVE = @extschema@.coxph_state_recv,
	SEND = @extschema@.coxph_state_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = extended
);

COMMENT ON TYPE @extschema@.coxph_state IS
'transition state of coxph(): the ties method and the rows (duration, event, covariates, stratum) to fit';
COMMENT ON FUNCTION @extschema@.coxph_state_in(pg_catalog.cstring) IS
'text input of coxph_state, form: v1 <ties> <covariates> <omitted> [strata={"label",...}] <time>:<event>:<x1>,<x2>,...[:<stratum>] ...';
COMMENT ON FUNCTION @extschema@.coxph_state_out(@extschema@.coxph_state) IS
'text output of coxph_state, form: v1 <ties> <covariates> <omitted> [strata={"label",...}] <time>:<event>:<x1>,<x2>,...[:<stratum>] ...';
COMMENT ON FUNCTION @extschema@.coxph_state_recv(pg_catalog.internal) IS
'binary input of coxph_state';
COMMENT ON FUNCTION @extschema@.coxph_state_send(@extschema@.coxph_state) IS
'binary output of coxph_state';

-- cox_model: a fitted Cox proportional hazards model
CREATE TYPE @extschema@.cox_model;

CREATE FUNCTION @extschema@.cox_model_in(pg_catalog.cstring)
RETURNS @extschema@.cox_model
AS 'MODULE_PATHNAME', 'cox_model_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.cox_model_out(@extschema@.cox_model)
RETURNS pg_catalog.cstring
AS 'MODULE_PATHNAME', 'cox_model_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.cox_model_recv(pg_catalog.internal)
RETURNS @extschema@.cox_model
AS 'MODULE_PATHNAME', 'cox_model_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.cox_model_send(@extschema@.cox_model)
RETURNS pg_catalog.bytea
AS 'MODULE_PATHNAME', 'cox_model_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.cox_model (
	INPUT = @extschema@.cox_model_in,
	OUTPUT = @extschema@.cox_model_out,
	RECEIVE = @extschema@.cox_model_recv,
	SEND = @extschema@.cox_model_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = extended
);

COMMENT ON TYPE @extschema@.cox_model IS
'fitted Cox proportional hazards model: coefficients, variance, log likelihoods, concordance and baseline hazard';
COMMENT ON FUNCTION @extschema@.cox_model_in(pg_catalog.cstring) IS
'text input of cox_model, form: v1 ties=... n=... key=value ... hazard={time:cumhaz,...}';
COMMENT ON FUNCTION @extschema@.cox_model_out(@extschema@.cox_model) IS
'text output of cox_model, form: v1 ties=... n=... key=value ... hazard={time:cumhaz,...}';
COMMENT ON FUNCTION @extschema@.cox_model_recv(pg_catalog.internal) IS
'binary input of cox_model';
COMMENT ON FUNCTION @extschema@.cox_model_send(@extschema@.cox_model) IS
'binary output of cox_model';

-- aggregate support
CREATE FUNCTION @extschema@.coxph_trans(@extschema@.coxph_state, pg_catalog.float8,
	pg_catalog.bool, pg_catalog.float8[])
RETURNS @extschema@.coxph_state
AS 'MODULE_PATHNAME', 'coxph_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.coxph_trans(@extschema@.coxph_state, pg_catalog.float8,
	pg_catalog.bool, pg_catalog.float8[], pg_catalog.text)
RETURNS @extschema@.coxph_state
AS 'MODULE_PATHNAME', 'coxph_trans_ties'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.coxph_trans(@extschema@.coxph_state, pg_catalog.float8,
	pg_catalog.bool, pg_catalog.float8[], pg_catalog.text, pg_catalog.text)
RETURNS @extschema@.coxph_state
AS 'MODULE_PATHNAME', 'coxph_trans_strata'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.coxph_combine(@extschema@.coxph_state, @extschema@.coxph_state)
RETURNS @extschema@.coxph_state
AS 'MODULE_PATHNAME', 'coxph_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.coxph_final(@extschema@.coxph_state)
RETURNS @extschema@.cox_model
AS 'MODULE_PATHNAME', 'coxph_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.coxph_state_rows(@extschema@.coxph_state)
RETURNS pg_catalog.int8
AS 'MODULE_PATHNAME', 'coxph_state_rows'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.coxph_trans(@extschema@.coxph_state, pg_catalog.float8,
	pg_catalog.bool, pg_catalog.float8[]) IS
'transition function of coxph(duration, event, covariates): appends a row';
COMMENT ON FUNCTION @extschema@.coxph_trans(@extschema@.coxph_state, pg_catalog.float8,
	pg_catalog.bool, pg_catalog.float8[], pg_catalog.text) IS
'transition function of coxph(duration, event, covariates, ties): appends a row';
COMMENT ON FUNCTION @extschema@.coxph_trans(@extschema@.coxph_state, pg_catalog.float8,
	pg_catalog.bool, pg_catalog.float8[], pg_catalog.text, pg_catalog.text) IS
'transition function of coxph(duration, event, covariates, ties, strata): appends a row';
COMMENT ON FUNCTION @extschema@.coxph_combine(@extschema@.coxph_state, @extschema@.coxph_state) IS
'combine function of coxph(): concatenates the rows of two states';
COMMENT ON FUNCTION @extschema@.coxph_final(@extschema@.coxph_state) IS
'final function of coxph(): fits the model; NULL without rows or without events';
COMMENT ON FUNCTION @extschema@.coxph_state_rows(@extschema@.coxph_state) IS
'number of rows a coxph_state holds for the fit';

CREATE AGGREGATE @extschema@.coxph(duration pg_catalog.float8, event pg_catalog.bool,
	covariates pg_catalog.float8[]) (
	SFUNC = @extschema@.coxph_trans,
	STYPE = @extschema@.coxph_state,
	SSPACE = 4096,
	FINALFUNC = @extschema@.coxph_final,
	COMBINEFUNC = @extschema@.coxph_combine,
	PARALLEL = SAFE
);

CREATE AGGREGATE @extschema@.coxph(duration pg_catalog.float8, event pg_catalog.bool,
	covariates pg_catalog.float8[], ties pg_catalog.text) (
	SFUNC = @extschema@.coxph_trans,
	STYPE = @extschema@.coxph_state,
	SSPACE = 4096,
	FINALFUNC = @extschema@.coxph_final,
	COMBINEFUNC = @extschema@.coxph_combine,
	PARALLEL = SAFE
);

CREATE AGGREGATE @extschema@.coxph(duration pg_catalog.float8, event pg_catalog.bool,
	covariates pg_catalog.float8[], ties pg_catalog.text, strata pg_catalog.text) (
	SFUNC = @extschema@.coxph_trans,
	STYPE = @extschema@.coxph_state,
	SSPACE = 4096,
	FINALFUNC = @extschema@.coxph_final,
	COMBINEFUNC = @extschema@.coxph_combine,
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE @extschema@.coxph(pg_catalog.float8, pg_catalog.bool, pg_catalog.float8[]) IS
'Cox proportional hazards model of (duration, event, covariates) rows, Efron ties, fitted as R coxph does';
COMMENT ON AGGREGATE @extschema@.coxph(pg_catalog.float8, pg_catalog.bool, pg_catalog.float8[], pg_catalog.text) IS
'Cox proportional hazards model of (duration, event, covariates) rows, ties ''efron'' or ''breslow''';
COMMENT ON AGGREGATE @extschema@.coxph(pg_catalog.float8, pg_catalog.bool, pg_catalog.float8[], pg_catalog.text, pg_catalog.text) IS
'stratified Cox proportional hazards model: common coefficients, a baseline hazard per stratum';

-- readers
CREATE FUNCTION @extschema@.cox_coefficients(model @extschema@.cox_model,
	OUT term pg_catalog.int4, OUT coef pg_catalog.float8, OUT exp_coef pg_catalog.float8,
	OUT std_error pg_catalog.float8, OUT z pg_catalog.float8, OUT p_value pg_catalog.float8,
	OUT lower_95 pg_catalog.float8, OUT upper_95 pg_catalog.float8)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'cox_coefficients'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 5;

CREATE FUNCTION @extschema@.cox_coefficients(model @extschema@.cox_model,
	names pg_catalog.text[],
	OUT term pg_catalog.int4, OUT name pg_catalog.text, OUT coef pg_catalog.float8,
	OUT exp_coef pg_catalog.float8, OUT std_error pg_catalog.float8,
	OUT z pg_catalog.float8, OUT p_value pg_catalog.float8,
	OUT lower_95 pg_catalog.float8, OUT upper_95 pg_catalog.float8)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'cox_coefficients_named'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 5;

CREATE FUNCTION @extschema@.cox_loglik(model @extschema@.cox_model)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'cox_loglik'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.cox_summary(model @extschema@.cox_model,
	OUT n pg_catalog.int8, OUT events pg_catalog.int8, OUT omitted pg_catalog.int8,
	OUT ties pg_catalog.text, OUT strata pg_catalog.int4, OUT iterations pg_catalog.int4,
	OUT converged pg_catalog.bool,
	OUT loglik_null pg_catalog.float8, OUT loglik pg_catalog.float8,
	OUT df pg_catalog.int4, OUT lr_chisq pg_catalog.float8, OUT lr_p_value pg_catalog.float8,
	OUT wald_chisq pg_catalog.float8, OUT wald_p_value pg_catalog.float8,
	OUT score_chisq pg_catalog.float8, OUT score_p_value pg_catalog.float8,
	OUT concordance pg_catalog.float8, OUT concordance_se pg_catalog.float8,
	OUT singular_terms pg_catalog.int4[], OUT infinite_terms pg_catalog.int4[])
RETURNS record
AS 'MODULE_PATHNAME', 'cox_summary'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.concordance(model @extschema@.cox_model)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'cox_concordance'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.relative_risk(model @extschema@.cox_model,
	covariates pg_catalog.float8[])
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'cox_relative_risk'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.predict_survival(model @extschema@.cox_model,
	covariates pg_catalog.float8[], t pg_catalog.float8)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'cox_predict_survival'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.predict_survival(model @extschema@.cox_model,
	covariates pg_catalog.float8[], t pg_catalog.float8, stratum pg_catalog.text)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'cox_predict_survival_stratum'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.churn_probability(model @extschema@.cox_model,
	covariates pg_catalog.float8[], tenure pg_catalog.float8, horizon pg_catalog.float8)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'cox_churn_probability'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.churn_probability(model @extschema@.cox_model,
	covariates pg_catalog.float8[], tenure pg_catalog.float8, horizon pg_catalog.float8,
	stratum pg_catalog.text)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'cox_churn_probability_stratum'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.cox_baseline(model @extschema@.cox_model,
	OUT stratum pg_catalog.text, OUT "time" pg_catalog.float8,
	OUT cumulative_hazard pg_catalog.float8, OUT survival pg_catalog.float8)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'cox_baseline'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 100;

COMMENT ON FUNCTION @extschema@.cox_coefficients(@extschema@.cox_model) IS
'per covariate: coef, exp(coef), standard error, z, p-value and 95% bounds of exp(coef), as R summary(coxph)';
COMMENT ON FUNCTION @extschema@.cox_coefficients(@extschema@.cox_model, pg_catalog.text[]) IS
'per covariate, with its name: coef, exp(coef), standard error, z, p-value and 95% bounds of exp(coef)';
COMMENT ON FUNCTION @extschema@.cox_loglik(@extschema@.cox_model) IS
'log partial likelihood of a Cox model at its fitted coefficients';
COMMENT ON FUNCTION @extschema@.cox_summary(@extschema@.cox_model) IS
'counts, convergence, likelihood-ratio, Wald and score tests, concordance of a Cox model, as R summary(coxph)';
COMMENT ON FUNCTION @extschema@.concordance(@extschema@.cox_model) IS
'Harrell''s C of a Cox model on its own rows, as R concordance(fit)';
COMMENT ON FUNCTION @extschema@.relative_risk(@extschema@.cox_model, pg_catalog.float8[]) IS
'relative risk exp(x . beta) of covariates x, as R predict(fit, type = "risk", reference = "zero")';
COMMENT ON FUNCTION @extschema@.predict_survival(@extschema@.cox_model, pg_catalog.float8[], pg_catalog.float8) IS
'survival probability at time t of a customer with covariates x, as R summary(survfit(fit, newdata), times = t)';
COMMENT ON FUNCTION @extschema@.predict_survival(@extschema@.cox_model, pg_catalog.float8[], pg_catalog.float8, pg_catalog.text) IS
'survival probability at time t of a customer with covariates x in a stratum of a stratified model';
COMMENT ON FUNCTION @extschema@.churn_probability(@extschema@.cox_model, pg_catalog.float8[], pg_catalog.float8, pg_catalog.float8, pg_catalog.text) IS
'probability that a customer with covariates x in a stratum of a stratified model churns within the next horizon';
COMMENT ON FUNCTION @extschema@.churn_probability(@extschema@.cox_model, pg_catalog.float8[], pg_catalog.float8, pg_catalog.float8) IS
'probability that a customer with covariates x who has lasted tenure churns within the next horizon: 1 - S(tenure + horizon) / S(tenure)';
COMMENT ON FUNCTION @extschema@.cox_baseline(@extschema@.cox_model) IS
'baseline cumulative hazard and survival of a Cox model at covariates zero, per stratum and distinct event time';

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

-- customer_lifetimes (520_lifetimes.sql)
-- The query of customer_lifetimes: built with the extension's privileges
-- (the configuration is churn's), run with the caller's (the rows are the
-- table's).  $1 unit in seconds, $2 as of.
CREATE FUNCTION @extschema@._lifetimes_sql(relation pg_catalog.regclass, segment_key pg_catalog.name)
RETURNS pg_catalog.text
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cfg record;
	kind pg_catalog.regtype;
	since_ts text;
	until_ts text;
	seg text;
BEGIN
	IF relation IS NULL THEN
		RAISE EXCEPTION 'relation must not be NULL' USING ERRCODE = '22004';
	END IF;
	SELECT t.* INTO cfg FROM @extschema@.tracked_table t WHERE t.relid = relation;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'table "%" is not tracked by churn', @extschema@._table_name(relation)
			USING ERRCODE = '55000',
				  HINT = 'customer_lifetimes reads a table through the columns churn.track was given.';
	END IF;
	IF segment_key IS NULL THEN
		seg := 'NULL::pg_catalog.text';
	ELSIF segment_key = cfg.channel_column OR segment_key = ANY (cfg.segment_columns) THEN
		seg := format('t.%I::pg_catalog.text', segment_key);
	ELSE
		RAISE EXCEPTION 'table "%" has no tracked segment "%"', @extschema@._table_name(relation), segment_key
			USING ERRCODE = '22023',
				  HINT = format('Segments of this table: %s.',
								coalesce(array_to_string(array_prepend(cfg.channel_column, cfg.segment_columns), ', '),
										 'none'));
	END IF;

	-- since and until as timestamptz: a date or timestamp is a local time of
	-- the table's time zone
	SELECT a.atttypid INTO kind FROM pg_attribute a
	 WHERE a.attrelid = relation AND a.attname = cfg.since_column;
	IF kind = 'pg_catalog.timestamptz'::pg_catalog.regtype THEN
		since_ts := format('t.%I', cfg.since_column);
		until_ts := format('t.%I', cfg.until_column);
	ELSE
		since_ts := format('pg_catalog.timezone(%L, t.%I::pg_catalog.timestamp)', cfg.time_zone, cfg.since_column);
		until_ts := format('pg_catalog.timezone(%L, t.%I::pg_catalog.timestamp)', cfg.time_zone, cfg.until_column);
	END IF;

	RETURN format(
		'SELECT t.%1$I::pg_catalog.text, %2$s,'
		' pg_catalog.date_part(''epoch'', LEAST(COALESCE(%4$s, $2), $2) OPERATOR(pg_catalog.-) %3$s)'
		' OPERATOR(pg_catalog./) $1,'
		' COALESCE(%4$s OPERATOR(pg_catalog.<=) $2, false)'
		' FROM %5$s t WHERE %3$s OPERATOR(pg_catalog.<=) $2',
		cfg.customer_column, seg, since_ts, until_ts, relation);
END
$$;
COMMENT ON FUNCTION @extschema@._lifetimes_sql(pg_catalog.regclass, pg_catalog.name) IS
'internal: the query of customer_lifetimes for a tracked table';

CREATE FUNCTION @extschema@.customer_lifetimes(relation pg_catalog.regclass,
	segment_key pg_catalog.name DEFAULT NULL, unit pg_catalog.interval DEFAULT '1 day',
	as_of pg_catalog.timestamptz DEFAULT pg_catalog.now())
RETURNS TABLE (customer pg_catalog.text, segment pg_catalog.text, duration pg_catalog.float8,
			   churned pg_catalog.bool)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	unit_seconds float8 := date_part('epoch', customer_lifetimes.unit);
BEGIN
	IF customer_lifetimes.unit IS NULL OR customer_lifetimes.as_of IS NULL THEN
		RAISE EXCEPTION 'unit and as_of must not be NULL' USING ERRCODE = '22004';
	END IF;
	IF NOT unit_seconds > 0 OR customer_lifetimes.unit::text LIKE '%infinity%' THEN
		RAISE EXCEPTION 'unit "%" is not a positive interval', customer_lifetimes.unit
			USING ERRCODE = '22023',
				  HINT = 'Durations are counted in units of this interval, such as ''1 day'' or ''1 month'' (30 days).';
	END IF;
	RETURN QUERY EXECUTE @extschema@._lifetimes_sql(relation, segment_key)
		USING unit_seconds, customer_lifetimes.as_of;
END
$$;
COMMENT ON FUNCTION @extschema@.customer_lifetimes(pg_catalog.regclass, pg_catalog.name,
	pg_catalog.interval, pg_catalog.timestamptz) IS
'every customer of a tracked table who had started by as_of: its segment value, its lifetime so far in units (until, or as_of while it stays) and whether it churned by as_of';

-- survey_answers, riskiest_customers (720_dashboards.sql): reads of tables
-- churn does not track, named by the Grafana dashboards' variables

-- The type of a column of a relation, or 42703 naming the columns there are.
CREATE FUNCTION @extschema@._dashboard_column(relation pg_catalog.regclass, col pg_catalog.name,
	what pg_catalog.text)
RETURNS pg_catalog.regtype
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	typ pg_catalog.regtype;
BEGIN
	IF col IS NULL OR col = '' THEN
		RAISE EXCEPTION '% column of "%" is not given', what, @extschema@._table_name(relation)
			USING ERRCODE = '22004';
	END IF;
	SELECT a.atttypid INTO typ FROM pg_attribute a
	 WHERE a.attrelid = relation AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'column "%" of relation "%" does not exist', col, @extschema@._table_name(relation)
			USING ERRCODE = '42703',
				  HINT = format('The %s column is one of: %s.', what,
								(SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
								   FROM pg_attribute a
								  WHERE a.attrelid = relation AND a.attnum > 0 AND NOT a.attisdropped));
	END IF;
	RETURN typ;
END
$$;
COMMENT ON FUNCTION @extschema@._dashboard_column(pg_catalog.regclass, pg_catalog.name, pg_catalog.text) IS
'internal: the type of a column named by a dashboard variable, or an error naming the columns there are';

CREATE FUNCTION @extschema@.survey_answers(survey_table pg_catalog.regclass,
	customer_column pg_catalog.name, answered_at_column pg_catalog.name, score_column pg_catalog.name,
	from_time pg_catalog.timestamptz DEFAULT '-infinity',
	to_time pg_catalog.timestamptz DEFAULT 'infinity')
RETURNS TABLE (customer pg_catalog.text, answered_at pg_catalog.timestamptz, score pg_catalog.int4)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t pg_catalog.regtype;
BEGIN
	-- no survey table configured: no answers (a dashboard shows its
	-- no-value text instead of an error)
	IF survey_table IS NULL THEN
		RETURN;
	END IF;
	PERFORM @extschema@._dashboard_column(survey_table, customer_column, 'customer');
	t := @extschema@._dashboard_column(survey_table, answered_at_column, 'answer time');
	IF t NOT IN ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype) THEN
		RAISE EXCEPTION 'column "%" of relation "%" is not a time', answered_at_column, @extschema@._table_name(survey_table)
			USING ERRCODE = '42804',
				  DETAIL = format('Its type is %s.', t),
				  HINT = 'The answer time is a timestamptz, timestamp or date column (timestamp and date in the session''s time zone).';
	END IF;
	t := @extschema@._dashboard_column(survey_table, score_column, 'score');
	IF t NOT IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype) THEN
		RAISE EXCEPTION 'column "%" of relation "%" is not an integer', score_column, @extschema@._table_name(survey_table)
			USING ERRCODE = '42804',
				  DETAIL = format('Its type is %s.', t),
				  HINT = 'A net promoter score answer is a whole number from 0 to 10.';
	END IF;
	RETURN QUERY EXECUTE format(
		'SELECT s.%1$I::pg_catalog.text, s.%2$I::pg_catalog.timestamptz, s.%3$I::pg_catalog.int4'
		' FROM %4$s s'
		' WHERE s.%2$I::pg_catalog.timestamptz OPERATOR(pg_catalog.>=) $1'
		' AND s.%2$I::pg_catalog.timestamptz OPERATOR(pg_catalog.<=) $2',
		customer_column, answered_at_column, score_column, survey_table)
		USING from_time, to_time;
END
$$;
COMMENT ON FUNCTION @extschema@.survey_answers(pg_catalog.regclass, pg_catalog.name, pg_catalog.name,
	pg_catalog.name, pg_catalog.timestamptz, pg_catalog.timestamptz) IS
'the answers of a survey table between two times (inclusive), read through the columns named: customer as text, answer time, score; none when the table is NULL';

CREATE FUNCTION @extschema@.riskiest_customers(scores pg_catalog.regclass,
	customer_column pg_catalog.name, score_column pg_catalog.name,
	segment_column pg_catalog.name DEFAULT NULL, n pg_catalog.int4 DEFAULT 20,
	higher_is_riskier pg_catalog.bool DEFAULT true)
RETURNS TABLE ("rank" pg_catalog.int8, customer pg_catalog.text, segment pg_catalog.text,
			   score pg_catalog.float8)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t pg_catalog.regtype;
	dir pg_catalog.text;
	seg pg_catalog.text := 'NULL::pg_catalog.text';
BEGIN
	IF n IS NULL OR higher_is_riskier IS NULL THEN
		RAISE EXCEPTION 'n and higher_is_riskier must not be NULL' USING ERRCODE = '22004';
	END IF;
	IF n < 1 THEN
		RAISE EXCEPTION 'n "%" is not a positive number of customers', n USING ERRCODE = '22023';
	END IF;
	-- no scores configured: no customers (a dashboard shows its no-value
	-- text instead of an error)
	IF scores IS NULL THEN
		RETURN;
	END IF;
	PERFORM @extschema@._dashboard_column(scores, customer_column, 'customer');
	t := @extschema@._dashboard_column(scores, score_column, 'score');
	IF NOT EXISTS (SELECT 1 FROM pg_type y WHERE y.oid = t AND y.typcategory = 'N') THEN
		RAISE EXCEPTION 'column "%" of relation "%" is not a number', score_column, @extschema@._table_name(scores)
			USING ERRCODE = '42804',
				  DETAIL = format('Its type is %s.', t);
	END IF;
	IF segment_column IS NOT NULL AND segment_column <> '' THEN
		PERFORM @extschema@._dashboard_column(scores, segment_column, 'segment');
		seg := format('s.%I::pg_catalog.text', segment_column);
	END IF;
	dir := CASE WHEN higher_is_riskier THEN 'DESC' ELSE 'ASC' END;
	-- the n riskiest first (a bounded sort), then their ranks; ties in
	-- customer order
	RETURN QUERY EXECUTE format(
		'SELECT pg_catalog.row_number() OVER (ORDER BY r.score %5$s, r.k), r.k::pg_catalog.text, r.seg, r.score'
		' FROM (SELECT s.%2$I AS k, %4$s AS seg, s.%3$I::pg_catalog.float8 AS score'
		' FROM %1$s s WHERE s.%3$I IS NOT NULL'
		' ORDER BY s.%3$I %5$s, s.%2$I LIMIT $1) r'
		' ORDER BY 1',
		scores, customer_column, score_column, seg, dir)
		USING n;
END
$$;
COMMENT ON FUNCTION @extschema@.riskiest_customers(pg_catalog.regclass, pg_catalog.name, pg_catalog.name,
	pg_catalog.name, pg_catalog.int4, pg_catalog.bool) IS
'the n customers of a scores table or view with the highest (or lowest) score, ranked, ties in customer order; none when the table is NULL';

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

--
-- Reads that cost what they return, one home for the summary rules,
-- lifecycle states counted from when they are known, churn.retrack.
--

-- The kinds of summary counts are named in SQL through these (the codes
-- are those churn.summary, summary_delta and history store).
-- The kinds of summary counts (src/summary_kinds.c): SQL names a kind with
-- _kind('lost'), which the planner folds into its code.
CREATE FUNCTION @extschema@._kind(name pg_catalog.text)
RETURNS "char"
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'churn_kind';
COMMENT ON FUNCTION @extschema@._kind(pg_catalog.text) IS
'internal: the code of a kind of summary count, by name';

CREATE FUNCTION @extschema@._kind_family(kind "char")
RETURNS "char"
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'churn_kind_family';
COMMENT ON FUNCTION @extschema@._kind_family("char") IS
'internal: the family of summary_cell counting a kind of summary count (c or l), NULL for one kept in summary';

CREATE FUNCTION @extschema@._kinds(OUT kind "char", OUT name pg_catalog.text, OUT family "char")
RETURNS SETOF record
LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 12
AS 'MODULE_PATHNAME', 'churn_kinds';
COMMENT ON FUNCTION @extschema@._kinds() IS
'internal: the kinds of summary counts: code, name and family';

-- Lifecycle states are counted from when they are known: tables tracked
-- from now on, from the tracking time (or what track is told); tables
-- tracked by 1.0 keep counting them from each customer's since, as their
-- summaries were computed (churn.retrack with states_from changes that).
ALTER TABLE @extschema@.tracked_table ADD COLUMN states_from pg_catalog.timestamptz;
UPDATE @extschema@.tracked_table SET states_from = '-infinity';
ALTER TABLE @extschema@.tracked_table ALTER COLUMN states_from SET NOT NULL,
	ALTER COLUMN states_from SET DEFAULT pg_catalog.now();

-- The timeline of a customer with history is the capture's own, in C.
DROP FUNCTION @extschema@._timeline(pg_catalog.text, pg_catalog.timestamp, pg_catalog.timestamp,
	pg_catalog.text, pg_catalog.jsonb, pg_catalog.text, pg_catalog.text, @extschema@.history_entry[],
	pg_catalog.interval, pg_catalog.int4, pg_catalog.bool);
-- The events of one customer with history, its row and its history
-- replayed in time order: the rules of src/summary_timeline.c, which the
-- capture in C runs too.
CREATE FUNCTION @extschema@._timeline(p_customer pg_catalog.text, p_since pg_catalog.timestamp,
	p_until pg_catalog.timestamp, p_channel pg_catalog.text, p_segment pg_catalog.jsonb,
	p_reason pg_catalog.text, p_state pg_catalog.text, p_history @extschema@.history_entry[],
	p_width pg_catalog.interval, p_weight pg_catalog.int4, p_with_reason pg_catalog.bool,
	p_states_from pg_catalog.timestamp)
RETURNS TABLE (b pg_catalog.timestamp, kind "char", ch pg_catalog.text, sg pg_catalog.jsonb,
	d pg_catalog.text, n pg_catalog.int4)
LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 8
AS 'MODULE_PATHNAME', 'churn_timeline';
COMMENT ON FUNCTION @extschema@._timeline(pg_catalog.text, pg_catalog.timestamp, pg_catalog.timestamp,
	pg_catalog.text, pg_catalog.jsonb, pg_catalog.text, pg_catalog.text, @extschema@.history_entry[],
	pg_catalog.interval, pg_catalog.int4, pg_catalog.bool, pg_catalog.timestamp) IS
'internal: the summary events of one customer replayed from its row and its history';

-- The counts of customers per cell (channel and segment, or lifecycle
-- state) move from summary to summary_cell, one row per cell and bucket
-- with the running balance at_start; the views read the buckets asked for
-- through an index and add the pending deltas (src/summary_read.c).
-- summary keeps the counts read as they are (reasons, moves, transitions),
-- with bucket_start and bucket_end for the same index range scans.
ALTER TABLE @extschema@.summary ADD COLUMN bucket_start pg_catalog.timestamptz,
	ADD COLUMN bucket_end pg_catalog.timestamptz;
UPDATE @extschema@.summary s
   SET bucket_start = pg_catalog.timezone(t.time_zone, s.bucket),
	   bucket_end = pg_catalog.timezone(t.time_zone, s.bucket + t.bucket)
  FROM @extschema@.tracked_table t WHERE t.relid OPERATOR(pg_catalog.=) s.relid;
DELETE FROM @extschema@.summary s WHERE s.bucket_start IS NULL;
ALTER TABLE @extschema@.summary ALTER COLUMN bucket_start SET NOT NULL,
	ALTER COLUMN bucket_end SET NOT NULL;
-- a panel reads the buckets of a time range: an index range scan
CREATE INDEX summary_range ON @extschema@.summary (relid, kind, bucket_start);
COMMENT ON TABLE @extschema@.summary IS
'compacted counts of losses by reason, moves and lifecycle transitions of the tracked tables (folded from summary_delta by churn.refresh)';

-- The customers of each cell of a tracked table in each bucket, as of the
-- last refresh: family c, the cells of churn_summary (a channel and a
-- segment); family l, those of lifecycle_summary (a lifecycle state).  A
-- cell has a row for every bucket from its first bucket with a count
-- (first_bucket, the same on all its rows) through the last bucket with a
-- count of any cell of its family, so that reading the buckets of a time
-- range is an index range scan, and at_start, the customers at the start of
-- the bucket (the running balance of the counts of the cell's earlier
-- buckets), is read instead of summed over the table's whole history.
-- churn.refresh keeps this so: the views add the pending deltas to it.
CREATE TABLE @extschema@.summary_cell (
	relid pg_catalog.regclass NOT NULL,
	family "char" NOT NULL,
	channel pg_catalog.text,
	segment pg_catalog.jsonb NOT NULL,
	state pg_catalog.text,
	bucket pg_catalog.timestamp NOT NULL,
	bucket_start pg_catalog.timestamptz NOT NULL,
	bucket_end pg_catalog.timestamptz NOT NULL,
	first_bucket pg_catalog.timestamp NOT NULL,
	at_start pg_catalog.int8 NOT NULL,
	new pg_catalog.int8 NOT NULL,
	reactivated pg_catalog.int8 NOT NULL,
	moved_in pg_catalog.int8 NOT NULL,
	moved_out pg_catalog.int8 NOT NULL,
	lost pg_catalog.int8 NOT NULL,
	lost_from_start pg_catalog.int8 NOT NULL,
	entered pg_catalog.int8 NOT NULL,
	exited pg_catalog.int8 NOT NULL,
	CONSTRAINT summary_cell_key UNIQUE NULLS NOT DISTINCT (relid, family, channel, segment, state, bucket)
) WITH (parallel_workers = 0);
CREATE INDEX summary_cell_range ON @extschema@.summary_cell (relid, family, bucket_start);
COMMENT ON TABLE @extschema@.summary_cell IS
'customers per cell (channel and segment, or lifecycle state) and bucket of the tracked tables, with the running balance at each bucket''s start (maintained by churn.refresh)';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.summary_cell', '');

-- The rows of the summary cells from the first bucket that pending deltas
-- (or the passing time) change, computed from the stored rows and the
-- pending counts (src/summary_read.c): the views show the stored rows before
-- that bucket (_cell_changed_from) and these after it.
CREATE FUNCTION @extschema@._cell_changes(relation pg_catalog.regclass, family "char")
RETURNS TABLE (channel pg_catalog.text, segment pg_catalog.jsonb, state pg_catalog.text,
	bucket pg_catalog.timestamp, bucket_start pg_catalog.timestamptz, bucket_end pg_catalog.timestamptz,
	first_bucket pg_catalog.timestamp, at_start pg_catalog.int8, new pg_catalog.int8,
	reactivated pg_catalog.int8, moved_in pg_catalog.int8, moved_out pg_catalog.int8, lost pg_catalog.int8,
	lost_from_start pg_catalog.int8, entered pg_catalog.int8, exited pg_catalog.int8)
LANGUAGE C STABLE STRICT ROWS 60
AS 'MODULE_PATHNAME', 'churn_cell_changes';
COMMENT ON FUNCTION @extschema@._cell_changes(pg_catalog.regclass, "char") IS
'internal: the rows of a tracked table''s summary cells that pending deltas or the passing time change, compacted plus pending';

CREATE FUNCTION @extschema@._cell_changed_from(relation pg_catalog.regclass, family "char")
RETURNS pg_catalog.timestamptz
LANGUAGE C STABLE STRICT
AS 'MODULE_PATHNAME', 'churn_cell_changed_from';
COMMENT ON FUNCTION @extschema@._cell_changed_from(pg_catalog.regclass, "char") IS
'internal: the start of the first bucket of a tracked table''s summary cells that _cell_changes returns';

-- The extent of one family of a tracked table (local timestamps of its time
-- zone): the current bucket, the last stored one, the last with a count
-- (compacted plus pending), the last the views show, and the first bucket
-- _cell_changes returns.
CREATE FUNCTION @extschema@._cell_extent(relation pg_catalog.regclass, family "char",
	OUT current_bucket pg_catalog.timestamp, OUT stored_last pg_catalog.timestamp,
	OUT last_bucket pg_catalog.timestamp, OUT end_bucket pg_catalog.timestamp,
	OUT changed_from pg_catalog.timestamp)
RETURNS record
LANGUAGE C STABLE STRICT
AS 'MODULE_PATHNAME', 'churn_cell_extent';
COMMENT ON FUNCTION @extschema@._cell_extent(pg_catalog.regclass, "char") IS
'internal: the current, last stored, last counted and last shown bucket of a tracked table''s summary cells, and the first that _cell_changes returns';

-- The pending counts of the kinds churn.summary counts (losses by reason,
-- moves, lifecycle transitions) of a tracked table, summed per kind, bucket,
-- channel, segment and detail: read with the churn cells' pending deltas,
-- in one scan of summary_delta that a view's read of the cells in the same
-- query shares.
CREATE FUNCTION @extschema@._count_changes(relation pg_catalog.regclass)
RETURNS TABLE (kind "char", bucket pg_catalog.timestamp, bucket_start pg_catalog.timestamptz,
	bucket_end pg_catalog.timestamptz, channel pg_catalog.text, segment pg_catalog.jsonb,
	detail pg_catalog.text, n pg_catalog.int8)
LANGUAGE C STABLE STRICT ROWS 100
AS 'MODULE_PATHNAME', 'churn_count_changes';
COMMENT ON FUNCTION @extschema@._count_changes(pg_catalog.regclass) IS
'internal: the pending counts of losses by reason, moves and lifecycle transitions of a tracked table, summed';

-- The moves of a tracked table from the first bucket whose moves or whose
-- channels' bases pending deltas or the passing time change
-- (_move_changed_from) on, stored plus pending, each with the base of the
-- channel left; and the base of a channel in a stored bucket.
CREATE FUNCTION @extschema@._move_changed_from(relation pg_catalog.regclass)
RETURNS pg_catalog.timestamptz
LANGUAGE C STABLE STRICT
AS 'MODULE_PATHNAME', 'churn_move_changed_from';
COMMENT ON FUNCTION @extschema@._move_changed_from(pg_catalog.regclass) IS
'internal: the start of the first bucket of a tracked table''s moves that _move_changes returns';

CREATE FUNCTION @extschema@._move_changes(relation pg_catalog.regclass)
RETURNS TABLE (bucket_start pg_catalog.timestamptz, bucket_end pg_catalog.timestamptz,
	from_channel pg_catalog.text, to_channel pg_catalog.text, moved pg_catalog.int8,
	from_base pg_catalog.int8)
LANGUAGE C STABLE STRICT ROWS 100
AS 'MODULE_PATHNAME', 'churn_move_changes';
COMMENT ON FUNCTION @extschema@._move_changes(pg_catalog.regclass) IS
'internal: the moves of a tracked table that pending deltas or the passing time change, compacted plus pending, with the base of the channel left';

CREATE FUNCTION @extschema@._channel_base(relation pg_catalog.regclass,
	bucket_start pg_catalog.timestamptz, channel pg_catalog.text)
RETURNS pg_catalog.int8
LANGUAGE C STABLE
AS 'MODULE_PATHNAME', 'churn_channel_base';
COMMENT ON FUNCTION @extschema@._channel_base(pg_catalog.regclass, pg_catalog.timestamptz, pg_catalog.text) IS
'internal: the customers a channel of a tracked table had during a bucket (at its start, new, reactivated and moved in)';

-- The rows of every cell, compacted plus pending, one view per family: the
-- stored rows of the buckets before the first one pending deltas change (an
-- index range scan of the buckets asked for, when the query filters on
-- relation and bucket_start), and the rows _cell_changes computes from
-- there on.  A cell has rows from its first bucket with a count through the
-- last bucket with a count of its family or the current bucket, whichever
-- is later.  (Each view is written out for its family: a join with a list
-- of families costs every read more planning than the view saves; and
-- _cell_changed_from is called in the join's condition, where it bounds the
-- index scan once per table, rather than as a function scan of its own,
-- another relation for every read to plan.)
CREATE VIEW @extschema@._churn_cells AS
SELECT d.relid, d.channel, d.segment, d.bucket, d.bucket_start, d.bucket_end, d.first_bucket,
	   d.at_start, d.new, d.reactivated, d.moved_in, d.moved_out, d.lost, d.lost_from_start
  FROM @extschema@.tracked_table t
  JOIN @extschema@.summary_cell d
	ON d.relid OPERATOR(pg_catalog.=) t.relid AND d.family OPERATOR(pg_catalog.=) 'c'
   AND d.bucket_start OPERATOR(pg_catalog.<) @extschema@._cell_changed_from(t.relid, 'c')
UNION ALL
SELECT t.relid, a.channel, a.segment, a.bucket, a.bucket_start, a.bucket_end, a.first_bucket,
	   a.at_start, a.new, a.reactivated, a.moved_in, a.moved_out, a.lost, a.lost_from_start
  FROM @extschema@.tracked_table t
 CROSS JOIN LATERAL @extschema@._cell_changes(t.relid, 'c') a;
COMMENT ON VIEW @extschema@._churn_cells IS
'internal: customers per channel, segment and bucket of the tracked tables, compacted plus pending, with at_start';

CREATE VIEW @extschema@._lifecycle_cells AS
SELECT d.relid, d.state, d.bucket, d.bucket_start, d.bucket_end, d.first_bucket,
	   d.at_start, d.entered, d.exited
  FROM @extschema@.tracked_table t
  JOIN @extschema@.summary_cell d
	ON d.relid OPERATOR(pg_catalog.=) t.relid AND d.family OPERATOR(pg_catalog.=) 'l'
   AND d.bucket_start OPERATOR(pg_catalog.<) @extschema@._cell_changed_from(t.relid, 'l')
UNION ALL
SELECT t.relid, a.state, a.bucket, a.bucket_start, a.bucket_end, a.first_bucket,
	   a.at_start, a.entered, a.exited
  FROM @extschema@.tracked_table t
 CROSS JOIN LATERAL @extschema@._cell_changes(t.relid, 'l') a;
COMMENT ON VIEW @extschema@._lifecycle_cells IS
'internal: customers per lifecycle state and bucket of the tracked tables, compacted plus pending, with at_start';

-- The counts read as they are (reasons c, moves d, transitions t),
-- compacted plus pending (summed by _count_changes).
CREATE VIEW @extschema@._counts AS
SELECT s.relid, s.kind, s.bucket, s.bucket_start, s.bucket_end, s.channel, s.segment, s.detail, s.n
  FROM @extschema@.summary s
UNION ALL
SELECT t.relid, p.kind, p.bucket, p.bucket_start, p.bucket_end, p.channel, p.segment, p.detail, p.n
  FROM @extschema@.tracked_table t
 CROSS JOIN LATERAL @extschema@._count_changes(t.relid) p;
COMMENT ON VIEW @extschema@._counts IS
'internal: losses by reason, moves and lifecycle transitions of the tracked tables, compacted plus pending';

CREATE OR REPLACE VIEW @extschema@.churn_summary AS
SELECT c.relid AS relation, c.bucket_start, c.bucket_end, c.channel, c.segment,
	   c.at_start, c.new, c.reactivated, c.moved_in, c.moved_out, c.lost, c.lost_from_start,
	   c.at_start + c.new + c.reactivated + c.moved_in - c.moved_out - c.lost AS at_end,
	   CASE WHEN c.at_start OPERATOR(pg_catalog.<>) 0
			THEN c.lost_from_start::pg_catalog.float8 / c.at_start END AS churn_rate,
	   CASE WHEN c.at_start OPERATOR(pg_catalog.<>) 0
			THEN (c.at_start + c.reactivated + c.moved_in - c.moved_out - c.lost)::pg_catalog.float8 / c.at_start
	   END AS retention_rate,
	   c.bucket_end OPERATOR(pg_catalog.<=) pg_catalog.now() AS complete
  FROM @extschema@._churn_cells c;
COMMENT ON VIEW @extschema@.churn_summary IS
'customers per tracked table, channel, segment and bucket: at_start, new, reactivated, moved_in, moved_out, lost, lost_from_start, at_end, churn and retention rates, and whether the bucket is complete';

CREATE OR REPLACE VIEW @extschema@.churn_reasons AS
SELECT e.relid AS relation, e.bucket_start, e.channel, e.detail AS reason, sum(e.n)::pg_catalog.int8 AS lost,
	   e.bucket_end OPERATOR(pg_catalog.<=) pg_catalog.now() AS complete
  FROM @extschema@._counts e
 WHERE e.kind OPERATOR(pg_catalog.=) @extschema@._kind('lost_by_reason')
 GROUP BY e.relid, e.bucket_start, e.bucket_end, e.channel, e.detail
HAVING sum(e.n) OPERATOR(pg_catalog.<>) 0;
COMMENT ON VIEW @extschema@.churn_reasons IS
'customers lost per tracked table, bucket, channel and reason, and whether the bucket is complete';

-- The moves of each bucket and pair of channels, with the base of the
-- channel left (the customers it had during the bucket): the stored moves
-- of the buckets before _move_changed_from (an index range scan of the
-- buckets asked for; a move is counted with no segment, so one row per
-- bucket and pair of channels), each with its base in the stored cells
-- (_channel_base), and the moves _move_changes computes from there on.
CREATE OR REPLACE VIEW @extschema@.diversion_summary AS
SELECT w.relation, w.bucket_start, w.bucket_end, w.from_channel, w.to_channel, w.moved, w.from_base,
	   CASE WHEN w.from_base OPERATOR(pg_catalog.<>) 0 THEN w.moved::pg_catalog.float8 / w.from_base END AS diversion_rate,
	   w.bucket_end OPERATOR(pg_catalog.<=) pg_catalog.now() AS complete
  FROM (
	SELECT m.relid AS relation, m.bucket_start, m.bucket_end, m.channel AS from_channel,
		   m.detail AS to_channel, m.n AS moved,
		   @extschema@._channel_base(m.relid, m.bucket_start, m.channel) AS from_base
	  FROM @extschema@.tracked_table t
	  JOIN @extschema@.summary m
		ON m.relid OPERATOR(pg_catalog.=) t.relid AND m.kind OPERATOR(pg_catalog.=) @extschema@._kind('moved')
	   AND m.bucket_start OPERATOR(pg_catalog.<) @extschema@._move_changed_from(t.relid)
	 WHERE m.n OPERATOR(pg_catalog.<>) 0
	UNION ALL
	SELECT t.relid, a.bucket_start, a.bucket_end, a.from_channel, a.to_channel, a.moved, a.from_base
	  FROM @extschema@.tracked_table t
	 CROSS JOIN LATERAL @extschema@._move_changes(t.relid) a
  ) w;
COMMENT ON VIEW @extschema@.diversion_summary IS
'channel moves per tracked table and bucket, with the base of the channel left (customers in it during the bucket), the diversion rate, and whether the bucket is complete';

CREATE OR REPLACE VIEW @extschema@.lifecycle_summary AS
SELECT c.relid AS relation, c.bucket_start, c.bucket_end, c.state::@extschema@.lifecycle AS state,
	   c.at_start, c.entered, c.exited, c.at_start + c.entered - c.exited AS at_end,
	   c.bucket_end OPERATOR(pg_catalog.<=) pg_catalog.now() AS complete
  FROM @extschema@._lifecycle_cells c;
COMMENT ON VIEW @extschema@.lifecycle_summary IS
'customers per tracked table, lifecycle state and bucket: at_start, entered, exited, at_end, and whether the bucket is complete';

CREATE OR REPLACE VIEW @extschema@.lifecycle_transitions AS
SELECT e.relid AS relation, e.bucket_start, e.bucket_end,
	   pg_catalog.split_part(e.detail, '>', 1)::@extschema@.lifecycle AS from_state,
	   pg_catalog.split_part(e.detail, '>', 2)::@extschema@.lifecycle AS to_state,
	   sum(e.n)::pg_catalog.int8 AS transitions,
	   e.bucket_end OPERATOR(pg_catalog.<=) pg_catalog.now() AS complete
  FROM @extschema@._counts e
 WHERE e.kind OPERATOR(pg_catalog.=) @extschema@._kind('transition')
 GROUP BY e.relid, e.bucket_start, e.bucket_end, e.detail
HAVING sum(e.n) OPERATOR(pg_catalog.<>) 0;
COMMENT ON VIEW @extschema@.lifecycle_transitions IS
'lifecycle state transitions per tracked table and bucket, and whether the bucket is complete';

CREATE OR REPLACE VIEW @extschema@.status AS
SELECT t.relid AS relation, t.suspended, t.bucket, t.time_zone, t.tracked_at,
	   (SELECT count(*) FROM @extschema@.summary_delta d WHERE d.relid = t.relid) AS pending_deltas,
	   (SELECT min(d.added) FROM @extschema@.summary_delta d WHERE d.relid = t.relid) AS oldest_pending,
	   t.last_refresh,
	   (SELECT count(*) FROM @extschema@.summary s WHERE s.relid = t.relid)
	   + (SELECT count(*) FROM @extschema@.summary_cell s WHERE s.relid = t.relid) AS summary_rows,
	   (SELECT coalesce(sum(pg_catalog.cardinality(h.entries)), 0) FROM @extschema@.history h WHERE h.relid = t.relid)::pg_catalog.int8 AS history_rows
  FROM @extschema@.tracked_table t;
COMMENT ON VIEW @extschema@.status IS
'per tracked table: suspended or not, pending delta rows and the oldest, last refresh, summary rows and history entries';

DROP VIEW @extschema@._events;

-- Fold the pending deltas of one tracked table into summary and
-- summary_cell; the caller holds the table's advisory lock (_lock_key), so
-- no other fold, rebuild or truncate of the table runs meanwhile.  One
-- statement deletes the deltas and writes what _cells makes of them: all its
-- parts see the same snapshot, so the deltas deleted are exactly those the
-- new rows include, also while writers commit more.  The cells' rows are
-- rewritten from the earliest pending bucket of their family on (a row's
-- at_start depends on the counts before it, and nothing before that bucket
-- changes), and only where they changed.  Returns the delta rows folded.
CREATE FUNCTION @extschema@._fold(relation pg_catalog.regclass)
RETURNS pg_catalog.int8
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	folded bigint;
BEGIN
	WITH moved AS (
		DELETE FROM @extschema@.summary_delta d WHERE d.relid = relation
		RETURNING d.bucket, d.kind, d.channel, d.segment, d.detail, d.n
	), sparse AS (
		INSERT INTO @extschema@.summary AS s (relid, bucket, kind, channel, segment, detail, n,
			bucket_start, bucket_end)
		SELECT relation, m.bucket, m.kind, m.channel, m.segment, m.detail, sum(m.n)::bigint,
			   timezone(t.time_zone, m.bucket), timezone(t.time_zone, m.bucket + t.bucket)
		  FROM moved m JOIN @extschema@.tracked_table t ON t.relid = relation
		 WHERE @extschema@._kind_family(m.kind) IS NULL
		 GROUP BY m.bucket, m.kind, m.channel, m.segment, m.detail, t.time_zone, t.bucket
		 ORDER BY m.kind, m.channel, m.segment, m.detail, m.bucket
		ON CONFLICT (relid, kind, channel, segment, detail, bucket)
		DO UPDATE SET n = s.n + excluded.n
	), lo AS MATERIALIZED (
		-- per family, the first bucket whose rows may change (the earliest
		-- pending one, or the one after the last stored bucket) and the last
		-- bucket with a count, through which cells have rows
		SELECT f.family, timezone(t.time_zone, x.changed_from) AS lo, x.last_bucket
		  FROM @extschema@.tracked_table t
		 CROSS JOIN (VALUES ('c'::"char"), ('l'::"char")) f(family)
		 CROSS JOIN LATERAL @extschema@._cell_extent(t.relid, f.family) x
		 WHERE t.relid = relation
	), want AS MATERIALIZED (
		SELECT 'c'::"char" AS family, c.channel, c.segment, NULL::text AS state, c.bucket, c.bucket_start,
			   c.bucket_end, c.first_bucket, c.at_start, c.new, c.reactivated, c.moved_in, c.moved_out,
			   c.lost, c.lost_from_start, 0::bigint AS entered, 0::bigint AS exited
		  FROM @extschema@._churn_cells c
		 WHERE c.relid = relation
		   AND c.bucket_start >= (SELECT lo.lo FROM lo WHERE lo.family = 'c')
		   AND c.bucket <= (SELECT lo.last_bucket FROM lo WHERE lo.family = 'c')
		UNION ALL
		SELECT 'l', NULL, '{}', c.state, c.bucket, c.bucket_start, c.bucket_end, c.first_bucket, c.at_start,
			   0, 0, 0, 0, 0, 0, c.entered, c.exited
		  FROM @extschema@._lifecycle_cells c
		 WHERE c.relid = relation
		   AND c.bucket_start >= (SELECT lo.lo FROM lo WHERE lo.family = 'l')
		   AND c.bucket <= (SELECT lo.last_bucket FROM lo WHERE lo.family = 'l')
	), up AS (
		INSERT INTO @extschema@.summary_cell AS d (relid, family, channel, segment, state, bucket,
			bucket_start, bucket_end, first_bucket, at_start, new, reactivated, moved_in, moved_out, lost,
			lost_from_start, entered, exited)
		SELECT relation, w.family, w.channel, w.segment, w.state, w.bucket, w.bucket_start, w.bucket_end,
			   w.first_bucket,
			   w.at_start, w.new, w.reactivated, w.moved_in, w.moved_out, w.lost, w.lost_from_start,
			   w.entered, w.exited
		  FROM want w
		 WHERE NOT EXISTS (
			SELECT FROM @extschema@.summary_cell o
			 WHERE o.relid = relation AND o.family = w.family AND o.bucket_start = w.bucket_start
			   AND o.segment = w.segment AND o.channel IS NOT DISTINCT FROM w.channel
			   AND o.state IS NOT DISTINCT FROM w.state AND o.bucket = w.bucket
			   AND (o.first_bucket, o.at_start, o.new, o.reactivated, o.moved_in, o.moved_out, o.lost,
					o.lost_from_start, o.entered, o.exited)
				   = (w.first_bucket, w.at_start, w.new, w.reactivated, w.moved_in, w.moved_out, w.lost,
					  w.lost_from_start, w.entered, w.exited))
		ON CONFLICT ON CONSTRAINT summary_cell_key DO UPDATE
		SET bucket_start = excluded.bucket_start, bucket_end = excluded.bucket_end,
			first_bucket = excluded.first_bucket,
			at_start = excluded.at_start, new = excluded.new, reactivated = excluded.reactivated,
			moved_in = excluded.moved_in, moved_out = excluded.moved_out, lost = excluded.lost,
			lost_from_start = excluded.lost_from_start, entered = excluded.entered, exited = excluded.exited
	), gone AS (
		-- rows of buckets a cell no longer has (before its first count, after
		-- the last count of its family, or all of a cell left without one)
		DELETE FROM @extschema@.summary_cell d
		 USING lo
		 WHERE d.relid = relation AND d.family = lo.family AND d.bucket_start >= lo.lo
		   AND NOT EXISTS (
			SELECT FROM want w
			 WHERE w.family = d.family AND w.bucket = d.bucket AND w.segment = d.segment
			   AND w.channel IS NOT DISTINCT FROM d.channel AND w.state IS NOT DISTINCT FROM d.state)
	)
	SELECT count(*) INTO folded FROM moved;
	-- counts that summed to zero are no counts (a separate statement: the
	-- one above cannot see its own updates)
	DELETE FROM @extschema@.summary s WHERE s.relid = relation AND s.n = 0;
	RETURN folded;
END
$$;
COMMENT ON FUNCTION @extschema@._fold(pg_catalog.regclass) IS
'internal: folds the pending deltas of a tracked table into its compacted summary (the caller holds its advisory lock)';
REVOKE EXECUTE ON FUNCTION @extschema@._fold(pg_catalog.regclass) FROM PUBLIC;

-- Refuses a standby and a read-only transaction with churn's own message
-- (src/churn.c); the functions that change churn's tables, settings or
-- grants call it first, so PostgreSQL's refusal of their first write (one
-- of churn's statements as its context) never reaches the user.
CREATE FUNCTION @extschema@._require_writable(what pg_catalog.text)
RETURNS void
AS 'MODULE_PATHNAME', 'churn_require_writable_sql'
LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION @extschema@._require_writable(pg_catalog.text) IS
'internal: refuses a standby or a read-only transaction for what changes churn''s tables, settings or grants';

CREATE OR REPLACE FUNCTION @extschema@.refresh(relation pg_catalog.regclass DEFAULT NULL)
RETURNS pg_catalog.int8
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r regclass;
	folded bigint := 0;
	c bigint;
BEGIN
	PERFORM @extschema@._require_writable('churn.refresh');
	IF relation IS NOT NULL THEN
		PERFORM @extschema@._check_tracked(relation);
	END IF;
	FOR r IN SELECT t.relid FROM @extschema@.tracked_table t
			  WHERE refresh.relation IS NULL OR t.relid = refresh.relation
			  ORDER BY t.relid::oid
	LOOP
		-- another refresh (or a rebuild) of this table is at work: leave it
		CONTINUE WHEN NOT pg_try_advisory_xact_lock(@extschema@._lock_key(r));
		c := @extschema@._fold(r);
		UPDATE @extschema@.tracked_table t SET last_refresh = now() WHERE t.relid = r;
		folded := folded + c;
	END LOOP;
	RETURN folded;
END
$$;
COMMENT ON FUNCTION @extschema@.refresh(pg_catalog.regclass) IS
'folds the pending summary deltas of one or every tracked table into the compacted summary; returns the delta rows folded';

-- Recompute the summary of one table from its rows and history (the table is
-- locked against writers by the caller).
CREATE OR REPLACE FUNCTION @extschema@._recompute(relation pg_catalog.regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cfg @extschema@.tracked_table;
	events text;
BEGIN
	SELECT * INTO STRICT cfg FROM @extschema@.tracked_table t WHERE t.relid = relation;
	-- first: it refuses a caller that cannot see every row, before anything
	-- is deleted
	events := @extschema@._events_query(relation);
	PERFORM pg_advisory_xact_lock(@extschema@._lock_key(relation));
	DELETE FROM @extschema@.summary_delta s WHERE s.relid = relation;
	DELETE FROM @extschema@.summary s WHERE s.relid = relation;
	DELETE FROM @extschema@.summary_cell s WHERE s.relid = relation;
	-- history of customers no longer in the table (changed while suspended)
	EXECUTE format('DELETE FROM @extschema@.history h WHERE h.relid = $1'
				   ' AND NOT EXISTS (SELECT 1 FROM %s t WHERE (t.%I)::text COLLATE "C" = h.customer)',
				   relation, cfg.customer_column)
		USING relation;
	-- the recomputed counts go in as pending deltas, and the fold of
	-- churn.refresh makes the compacted summary of them
	EXECUTE 'INSERT INTO @extschema@.summary_delta (relid, bucket, kind, channel, segment, detail, n)'
			' SELECT $1, e.b, e.kind, e.ch, e.sg, e.d, sum(e.n) FROM ('
			|| events
			|| ') e GROUP BY e.b, e.kind, e.ch, e.sg, e.d HAVING sum(e.n) <> 0'
		USING relation, cfg.bucket, cfg.time_zone, cfg.states_from;
	PERFORM @extschema@._fold(relation);
	UPDATE @extschema@.tracked_table t SET last_refresh = now() WHERE t.relid = relation;
END
$$;
COMMENT ON FUNCTION @extschema@._recompute(pg_catalog.regclass) IS
'internal: recomputes the summary of a tracked table from its rows and history';

-- TRUNCATE of a tracked table: its summaries and history go.
CREATE OR REPLACE FUNCTION @extschema@._truncated(relation pg_catalog.oid)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM pg_advisory_xact_lock(@extschema@._lock_key(relation));
	DELETE FROM @extschema@.summary_delta s WHERE s.relid = relation;
	DELETE FROM @extschema@.summary s WHERE s.relid = relation;
	DELETE FROM @extschema@.summary_cell s WHERE s.relid = relation;
	DELETE FROM @extschema@.history h WHERE h.relid = relation;
END
$$;
COMMENT ON FUNCTION @extschema@._truncated(pg_catalog.oid) IS
'internal: empties the summaries and history of a truncated tracked table';

CREATE OR REPLACE FUNCTION @extschema@.verify(relation pg_catalog.regclass)
RETURNS TABLE (bucket_start pg_catalog.timestamptz, kind pg_catalog.text, channel pg_catalog.text,
	segment pg_catalog.jsonb, detail pg_catalog.text, stored pg_catalog.int8, expected pg_catalog.int8)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cfg @extschema@.tracked_table := @extschema@._check_tracked(relation);
BEGIN
	RETURN QUERY EXECUTE
		'SELECT timezone($3, z.b), k.name, z.ch, z.sg, z.d, sum(z.stored)::bigint, sum(z.expected)::bigint'
		' FROM ('
		'SELECT e.b, e.kind, e.ch, e.sg, e.d, 0::bigint AS stored, e.n::bigint AS expected FROM ('
		|| @extschema@._events_query(relation)
		|| ') e UNION ALL SELECT s.bucket, s.kind, s.channel, s.segment, s.detail, s.n, 0'
		'  FROM @extschema@.summary s WHERE s.relid = $1'
		' UNION ALL SELECT c.bucket, k.kind, c.channel, c.segment, c.state, k.n, 0'
		'  FROM @extschema@.summary_cell c CROSS JOIN LATERAL (VALUES'
		'   (@extschema@._kind(''new''), c.new), (@extschema@._kind(''reactivated''), c.reactivated),'
		'   (@extschema@._kind(''moved_in''), c.moved_in), (@extschema@._kind(''moved_out''), c.moved_out),'
		'   (@extschema@._kind(''lost''), c.lost), (@extschema@._kind(''lost_from_start''), c.lost_from_start),'
		'   (@extschema@._kind(''state_entered''), c.entered), (@extschema@._kind(''state_left''), c.exited)'
		'  ) k(kind, n)'
		'  WHERE c.relid = $1 AND k.n <> 0'
		' UNION ALL SELECT s.bucket, s.kind, s.channel, s.segment, s.detail, s.n, 0'
		'  FROM @extschema@.summary_delta s WHERE s.relid = $1'
		-- the stored running balance against the stored counts
		' UNION ALL SELECT c.bucket, @extschema@._kind(''at_start''), c.channel, c.segment, c.state, c.at_start,'
		'  coalesce(sum(c.new + c.reactivated + c.moved_in - c.moved_out - c.lost + c.entered - c.exited)'
		'   OVER (PARTITION BY c.family, c.channel, c.segment, c.state ORDER BY c.bucket'
		'         ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)'
		'  FROM @extschema@.summary_cell c WHERE c.relid = $1) z'
		' JOIN @extschema@._kinds() k ON k.kind = z.kind'
		' GROUP BY z.b, k.name, z.ch, z.sg, z.d HAVING sum(z.stored) <> sum(z.expected)'
		' ORDER BY 1, 2, 3, 4::text, 5'
		USING relation, cfg.bucket, cfg.time_zone, cfg.states_from;
END
$$;
COMMENT ON FUNCTION @extschema@.verify(pg_catalog.regclass) IS
'recomputes the summaries of a tracked table from its rows and history and returns the differing counts (none when exact)';

-- What churn keeps of tracked tables, dropped: by churn.untrack, and by
-- churn_forget_dropped when the tables are dropped.
CREATE FUNCTION @extschema@._forget(relations pg_catalog.oid[])
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
	DELETE FROM @extschema@.summary_delta s WHERE s.relid = ANY (relations);
	DELETE FROM @extschema@.summary s WHERE s.relid = ANY (relations);
	DELETE FROM @extschema@.summary_cell s WHERE s.relid = ANY (relations);
	DELETE FROM @extschema@.history h WHERE h.relid = ANY (relations);
	DELETE FROM @extschema@.tracked_table t WHERE t.relid = ANY (relations);
$$;
COMMENT ON FUNCTION @extschema@._forget(pg_catalog.oid[]) IS
'internal: deletes the settings, summaries, pending deltas and history of tracked tables';
REVOKE EXECUTE ON FUNCTION @extschema@._forget(pg_catalog.oid[]) FROM PUBLIC;

-- _check_tracked: a tracked table gone without the sql_drop event is the
-- extension owner's to untrack
CREATE OR REPLACE FUNCTION @extschema@._check_tracked(relation pg_catalog.regclass)
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
		RAISE EXCEPTION 'table "%" is not tracked by churn', @extschema@._table_name(relation)
			USING ERRCODE = '55000',
				  HINT = 'Track it with churn.track first.';
	END IF;
	-- a table gone without the sql_drop event has no owner left: the
	-- extension owner's then
	IF NOT pg_has_role(coalesce((SELECT c.relowner FROM pg_class c WHERE c.oid = relation),
								(SELECT e.extowner FROM pg_extension e WHERE e.extname = 'churn')), 'USAGE') THEN
		RAISE EXCEPTION 'must be owner of table %', @extschema@._table_name(relation) USING ERRCODE = '42501';
	END IF;
	RETURN cfg;
END
$$;
COMMENT ON FUNCTION @extschema@._check_tracked(pg_catalog.regclass) IS
'internal: the configuration of a tracked table the caller owns, or an error';

-- A tracked table dropped: its configuration, summaries and history go too.
-- SECURITY DEFINER: the role dropping its table has no privilege on churn's
-- tables; the function only deletes rows of relations being dropped.
CREATE OR REPLACE FUNCTION @extschema@._on_sql_drop()
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
	PERFORM @extschema@._forget(gone);
END
$$;
COMMENT ON FUNCTION @extschema@._on_sql_drop() IS
'internal: forgets the summaries, history and configuration of tracked tables that are dropped';

CREATE OR REPLACE FUNCTION @extschema@.rebuild(relation pg_catalog.regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	msg text;
	hint text;
BEGIN
	PERFORM @extschema@._require_writable('churn.rebuild');
	PERFORM @extschema@._check_tracked(relation);
	EXECUTE format('LOCK TABLE %s IN SHARE MODE', relation);
	-- a row churn refuses (its until before its since, or before its
	-- reactivation) ends the recomputation: its message names the customer
	-- and the values, the query that met the row (the error's context)
	-- would only hide them
	BEGIN
		PERFORM @extschema@._recompute(relation);
	EXCEPTION WHEN invalid_parameter_value THEN
		GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = msg, HINT = hint;
	END;
END
$$;
COMMENT ON FUNCTION @extschema@.rebuild(pg_catalog.regclass) IS
'recomputes the summaries of a tracked table from its rows and history (blocks writers meanwhile)';

-- A cast of the owner's from a column's type is named in its own message.
CREATE OR REPLACE FUNCTION @extschema@._column_type(relation pg_catalog.regclass, col pg_catalog.name, arg pg_catalog.text)
RETURNS pg_catalog.oid
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t oid;
	b oid;
	cast_target oid;
	cast_func regprocedure;
BEGIN
	SELECT a.atttypid INTO t FROM pg_attribute a
	 WHERE a.attrelid = relation AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'column "%" of relation "%" does not exist', col, @extschema@._table_name(relation)
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
	IF t >= 16384 AND EXISTS (SELECT 1 FROM pg_type y WHERE y.oid = t AND y.typtype = 'b') THEN
		RAISE EXCEPTION 'column "%" of relation "%" has type %, which churn cannot capture safely',
			col, @extschema@._table_name(relation), format_type(t, NULL)
			USING ERRCODE = '42804',
				  HINT = 'Use a built-in type, an enum, or a domain over one.';
	END IF;
	SELECT c.casttarget, c.castfunc INTO cast_target, cast_func
	  FROM pg_cast c
	 WHERE c.castsource = t AND c.casttarget IN ('text'::regtype, 'json'::regtype, 'jsonb'::regtype)
	   AND c.castfunc >= 16384
	 ORDER BY c.casttarget LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'column "%" of relation "%" has type %, whose cast to % runs function %, which churn cannot capture safely',
			col, @extschema@._table_name(relation), format_type(t, NULL), format_type(cast_target, NULL), cast_func
			USING ERRCODE = '42804',
				  HINT = 'churn converts captured values as the extension owner: drop the cast, or name another column.';
	END IF;
	RETURN t;
END
$$;

-- its message names the table as churn's messages do (_table_name)
CREATE OR REPLACE FUNCTION @extschema@._check_time_type(relation pg_catalog.regclass, col pg_catalog.name, arg pg_catalog.text)
RETURNS pg_catalog.oid
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t oid := @extschema@._column_type(relation, col, arg);
BEGIN
	IF t NOT IN ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype) THEN
		RAISE EXCEPTION 'column "%" of relation "%" has type %, not a date or timestamp',
			col, @extschema@._table_name(relation), format_type(t, NULL)
			USING ERRCODE = '42804',
				  HINT = format('The %s column must be of type date, timestamp or timestamp with time zone.', arg);
	END IF;
	RETURN t;
END
$$;

-- The checks of track and retrack: columns and their types, the customer
-- key, the bucket, the time zone, the thresholds of lifecycle aging.
-- Returns the time zone the table's buckets will use.
CREATE FUNCTION @extschema@._check_settings(relation pg_catalog.regclass,
	customer pg_catalog.name, since pg_catalog.name, until pg_catalog.name,
	channel pg_catalog.name, segments pg_catalog.name[], state pg_catalog.name,
	reason pg_catalog.name, changed_at pg_catalog.name, bucket pg_catalog.interval,
	activity pg_catalog.name, at_risk_after pg_catalog.interval, dormant_after pg_catalog.interval,
	churned_after pg_catalog.interval, time_zone pg_catalog.text)
RETURNS pg_catalog.text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	relkind "char";
	since_t oid;
	until_t oid;
	tz text := coalesce(_check_settings.time_zone, current_setting('TimeZone'));
	seg name;
	has_unique bool;
	custnum int2;
	suggestion text;
BEGIN
	SELECT c.relkind INTO relkind FROM pg_class c WHERE c.oid = relation;
	-- columns and their types
	PERFORM @extschema@._column_type(relation, customer, 'customer');
	since_t := @extschema@._check_time_type(relation, since, 'since');
	until_t := @extschema@._check_time_type(relation, until, 'until');
	IF since_t <> until_t THEN
		RAISE EXCEPTION 'columns "%" and "%" of relation "%" have different types % and %',
			since, until, @extschema@._table_name(relation), format_type(since_t, NULL), format_type(until_t, NULL)
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
		RAISE EXCEPTION 'column "%" of relation "%" has type %, not churn.lifecycle', state, @extschema@._table_name(relation),
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
				OR (relkind = 'p' AND NOT EXISTS (
					SELECT 1 FROM unnest(i.indkey::int2[]) k
					 WHERE k <> custnum
					   AND NOT EXISTS (SELECT 1 FROM pg_partitioned_table p
										WHERE p.partrelid = relation AND k = ANY (p.partattrs::int2[]))))))
	  INTO has_unique;
	IF NOT has_unique THEN
		RAISE EXCEPTION 'column "%" of relation "%" is not a unique key', customer, @extschema@._table_name(relation)
			USING ERRCODE = '55000',
				  HINT = 'Add a PRIMARY KEY or UNIQUE constraint on the customer column (with the partition key, for a partitioned table).';
	END IF;

	-- bucket and time zone
	IF bucket IS NULL THEN
		RAISE EXCEPTION 'bucket must not be NULL' USING ERRCODE = '22004';
	END IF;
	PERFORM @extschema@.bucket_floor('2000-01-01', _check_settings.bucket);
	-- a zone name, an abbreviation or a POSIX specification, as timezone()
	-- takes it; the error of timezone() itself names neither track nor a
	-- way out
	BEGIN
		PERFORM now() AT TIME ZONE tz;
	EXCEPTION WHEN invalid_parameter_value THEN
		SELECT string_agg(n.name, ', ' ORDER BY n.name) INTO suggestion
		  FROM (SELECT z.name FROM pg_timezone_names z
				 WHERE lower(z.name) LIKE lower(left(tz, GREATEST(strpos(tz, '/') + 3, 3))) || '%'
				 ORDER BY z.name LIMIT 3) n;
		RAISE EXCEPTION 'time zone "%" is not known', tz
			USING ERRCODE = '22023',
				  HINT = CASE WHEN suggestion IS NOT NULL
							  THEN format('Did you mean %s? ', suggestion) ELSE '' END
						 || 'Use a name from pg_timezone_names (such as Europe/Berlin or UTC), an abbreviation from pg_timezone_abbrevs, or a POSIX zone such as <+0530>-05:30.';
	END;

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

	RETURN tz;
END
$$;
COMMENT ON FUNCTION @extschema@._check_settings(pg_catalog.regclass, pg_catalog.name, pg_catalog.name,
	pg_catalog.name, pg_catalog.name, pg_catalog.name[], pg_catalog.name, pg_catalog.name,
	pg_catalog.name, pg_catalog.interval, pg_catalog.name, pg_catalog.interval, pg_catalog.interval,
	pg_catalog.interval, pg_catalog.text) IS
'internal: the checks of the settings given to churn.track and churn.retrack; returns the time zone';

-- The attribute numbers of a table's columns by name (NULL for a NULL name
-- or no such column).  retrack compares them to tell a renamed column from
-- another one: attribute numbers are never reused.
CREATE FUNCTION @extschema@._column_attnums(relation pg_catalog.regclass, columns pg_catalog.name[])
RETURNS pg_catalog.int2[]
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT array_agg(a.attnum ORDER BY c.i)
	  FROM unnest(columns) WITH ORDINALITY c(name, i)
	  LEFT JOIN pg_attribute a ON a.attrelid = relation AND a.attname = c.name
	   AND a.attnum > 0 AND NOT a.attisdropped
$$;
COMMENT ON FUNCTION @extschema@._column_attnums(pg_catalog.regclass, pg_catalog.name[]) IS
'internal: the attribute numbers of columns of a table by name, which churn.retrack compares';

-- Whether retrack's new_name is the column the table tracked as old_name
-- (attribute number old_attnum at the last track or retrack): the same
-- name, or, when old_name is no column of the table any more, the column
-- renamed from it (ALTER TABLE ... RENAME COLUMN).
CREATE FUNCTION @extschema@._same_column(relation pg_catalog.regclass, old_name pg_catalog.name,
	old_attnum pg_catalog.int2, new_name pg_catalog.name)
RETURNS pg_catalog.bool
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT new_name IS NOT DISTINCT FROM old_name
		   OR (old_attnum IS NOT NULL AND new_name IS NOT NULL
			   AND (@extschema@._column_attnums(relation, ARRAY[old_name]))[1] IS NULL
			   AND (@extschema@._column_attnums(relation, ARRAY[new_name]))[1] = old_attnum)
$$;
COMMENT ON FUNCTION @extschema@._same_column(pg_catalog.regclass, pg_catalog.name, pg_catalog.int2,
	pg_catalog.name) IS
'internal: whether a column named to churn.retrack is the one tracked before, by name or renamed';


-- The counts of customers per cell of every tracked table go from summary
-- to summary_cell: in as pending deltas, folded as churn.refresh folds.
INSERT INTO @extschema@.summary_delta (relid, bucket, kind, channel, segment, detail, n)
SELECT s.relid, s.bucket, s.kind, s.channel, s.segment, s.detail, s.n
  FROM @extschema@.summary s
 WHERE @extschema@._kind_family(s.kind) IS NOT NULL;
DELETE FROM @extschema@.summary s WHERE @extschema@._kind_family(s.kind) IS NOT NULL;
SELECT pg_catalog.pg_advisory_xact_lock(@extschema@._lock_key(t.relid)), @extschema@._fold(t.relid)
  FROM @extschema@.tracked_table t ORDER BY t.relid::pg_catalog.oid;

-- cohort_retention leaves out the ages not observed yet: its final functions
-- read the current date or time
ALTER FUNCTION @extschema@.cohort_retention_final_date(@extschema@.cohort_retention_state) STABLE;
COMMENT ON FUNCTION @extschema@.cohort_retention_final_date(@extschema@.cohort_retention_state) IS
'cells of a cohort_retention state over dates, the ages observed by the current date';
COMMENT ON FUNCTION @extschema@.cohort_retention_final(@extschema@.cohort_retention_state) IS
'cells of a cohort_retention state over timestamptz, the ages observed by the transaction''s start';

--
-- Overloads over timestamp without time zone and tsrange of every period
-- aggregate (churn_rate, retention_rate, diversion_rate, churn_periods,
-- diversion_matrix, cohort_retention): the states name their domain, and
-- the new one ('l' in rate_state, periods_state and matrix_state, "timestamp"
-- in cohort_retention_state) is one that the values 1.0 stored never hold.
--

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
-- The attribute numbers of the customer, since, until, channel and state
-- columns, by which retrack keeps the history of a renamed column: those
-- of the columns named now, with the table's OID as they were recorded.
ALTER TABLE @extschema@.tracked_table ADD COLUMN column_attnums pg_catalog.int2[],
	ADD COLUMN column_attnums_relid pg_catalog.oid;
UPDATE @extschema@.tracked_table t
   SET column_attnums = @extschema@._column_attnums(t.relid, ARRAY[t.customer_column, t.since_column,
									t.until_column, t.channel_column, t.state_column]),
	   column_attnums_relid = t.relid;

-- track, retrack, untrack, suspend and resume return what they did (a
-- churn.track_result: the table, the rows back-filled, the summary cells
-- made) instead of void, which psql showed as a blank row; track gains
-- states_from, and retrack (new) changes settings keeping the history.
-- CREATE OR REPLACE cannot change a return type or the arguments: 1.0's
-- functions are dropped and created again, with their comments and
-- privileges.
DROP FUNCTION @extschema@.track(pg_catalog.regclass, pg_catalog.name, pg_catalog.name,
	pg_catalog.name, pg_catalog.name, pg_catalog.name[], pg_catalog.name, pg_catalog.name,
	pg_catalog.name, pg_catalog.interval, pg_catalog.name, pg_catalog.interval, pg_catalog.interval,
	pg_catalog.interval, pg_catalog.text);
DROP FUNCTION @extschema@.untrack(pg_catalog.regclass);
DROP FUNCTION @extschema@.suspend(pg_catalog.regclass);
DROP FUNCTION @extschema@.resume(pg_catalog.regclass);

CREATE TYPE @extschema@.track_result AS (
	relation pg_catalog.regclass,
	suspended pg_catalog.bool,
	customers pg_catalog.int8,
	cells pg_catalog.int8,
	history_rows pg_catalog.int8
);
COMMENT ON TYPE @extschema@.track_result IS
'what churn.track, retrack, resume, suspend and untrack return: the table, whether its maintenance is suspended, the customer rows read to back-fill, and its summary cells and history entries';

CREATE FUNCTION @extschema@._track_result(relation pg_catalog.regclass, customers pg_catalog.int8)
RETURNS @extschema@.track_result
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
SELECT ROW(relation,
		   coalesce((SELECT t.suspended FROM @extschema@.tracked_table t WHERE t.relid = relation), false),
		   customers,
		   (SELECT count(*)
			  FROM (SELECT DISTINCT s.family, s.channel, s.segment, s.state
					  FROM @extschema@.summary_cell s WHERE s.relid = relation) c),
		   (SELECT coalesce(sum(pg_catalog.cardinality(h.entries)), 0)
			  FROM @extschema@.history h WHERE h.relid = relation)::pg_catalog.int8)::@extschema@.track_result
$$;
COMMENT ON FUNCTION @extschema@._track_result(pg_catalog.regclass, pg_catalog.int8) IS
'internal: what churn.track and friends return for a table';

CREATE FUNCTION @extschema@.track(relation pg_catalog.regclass,
	customer pg_catalog.name, since pg_catalog.name, until pg_catalog.name,
	channel pg_catalog.name DEFAULT NULL, segments pg_catalog.name[] DEFAULT NULL,
	state pg_catalog.name DEFAULT NULL, reason pg_catalog.name DEFAULT NULL,
	changed_at pg_catalog.name DEFAULT NULL, bucket pg_catalog.interval DEFAULT '1 month',
	activity pg_catalog.name DEFAULT NULL, at_risk_after pg_catalog.interval DEFAULT NULL,
	dormant_after pg_catalog.interval DEFAULT NULL, churned_after pg_catalog.interval DEFAULT NULL,
	time_zone pg_catalog.text DEFAULT NULL, states_from pg_catalog.timestamptz DEFAULT NULL)
RETURNS @extschema@.track_result
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	rel record;
	tz text;
	target regclass;
	customers bigint;
	msg text;
	hint text;
BEGIN
	PERFORM @extschema@._require_writable('churn.track');
	IF relation IS NULL OR customer IS NULL OR since IS NULL OR until IS NULL THEN
		RAISE EXCEPTION 'relation, customer, since and until must not be NULL' USING ERRCODE = '22004';
	END IF;
	SELECT c.relkind, c.relowner INTO rel FROM pg_class c WHERE c.oid = relation;
	IF rel.relkind NOT IN ('r', 'p') THEN
		RAISE EXCEPTION '"%" is not a table', @extschema@._table_name(relation)
			USING ERRCODE = '42809',
				  HINT = 'churn.track tracks ordinary and partitioned tables.';
	END IF;
	IF NOT pg_has_role(rel.relowner, 'USAGE') THEN
		RAISE EXCEPTION 'must be owner of table %', @extschema@._table_name(relation) USING ERRCODE = '42501';
	END IF;
	PERFORM @extschema@._check_not_citus(relation);
	PERFORM @extschema@._check_trackable(relation);
	IF EXISTS (SELECT 1 FROM @extschema@.tracked_table t WHERE t.relid = relation) THEN
		RAISE EXCEPTION 'table "%" is already tracked by churn', @extschema@._table_name(relation)
			USING ERRCODE = '42710',
				  HINT = 'Call churn.retrack to change its settings: it keeps the moves, reactivations and state transitions recorded so far that the new settings still apply to (churn.untrack drops them all).';
	END IF;
	tz := @extschema@._check_settings(relation, customer, since, until, channel, segments, state, reason,
									  changed_at, track.bucket, activity, at_risk_after, dormant_after,
									  churned_after, track.time_zone);

	-- lifecycle states are counted from the tracking time, unless told
	-- otherwise: a back-filled customer's state is known as of tracking
	INSERT INTO @extschema@.tracked_table (relid, customer_column, since_column, until_column,
		channel_column, segment_columns, state_column, reason_column, changed_at_column,
		activity_column, bucket, time_zone, at_risk_after, dormant_after, churned_after, states_from,
		column_attnums, column_attnums_relid)
	VALUES (relation, customer, since, until, channel, coalesce(segments, '{}'), state, reason,
		changed_at, activity, track.bucket, tz, at_risk_after, dormant_after, churned_after,
		coalesce(track.states_from, now()),
		@extschema@._column_attnums(relation, ARRAY[customer, since, until, channel, state]), relation);

	-- no write may slip between the back-fill and the triggers
	EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', relation);
	-- the customer rows the summaries are made of (writers wait)
	EXECUTE format('SELECT count(*) FROM %s', relation) INTO customers;
	-- a row churn refuses (its until before its since, or before its
	-- reactivation) ends the recomputation: its message names the customer
	-- and the values, the query that met the row (the error's context)
	-- would only hide them
	BEGIN
		PERFORM @extschema@._recompute(relation);
	EXCEPTION WHEN invalid_parameter_value THEN
		GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = msg, HINT = hint;
	END;
	FOR target IN SELECT x FROM @extschema@._trigger_targets(relation) x LOOP
		PERFORM @extschema@._install_triggers(target, true);
	END LOOP;
	RETURN @extschema@._track_result(relation, customers);
END
$$;
COMMENT ON FUNCTION @extschema@.track(pg_catalog.regclass, pg_catalog.name, pg_catalog.name,
	pg_catalog.name, pg_catalog.name, pg_catalog.name[], pg_catalog.name, pg_catalog.name,
	pg_catalog.name, pg_catalog.interval, pg_catalog.name, pg_catalog.interval, pg_catalog.interval,
	pg_catalog.interval, pg_catalog.text, pg_catalog.timestamptz) IS
'starts maintaining the churn summaries of a customer table: validates the columns, back-fills, installs the capture triggers; returns the table, the rows back-filled and the summary cells made';

CREATE FUNCTION @extschema@.retrack(relation pg_catalog.regclass,
	customer pg_catalog.name, since pg_catalog.name, until pg_catalog.name,
	channel pg_catalog.name DEFAULT NULL, segments pg_catalog.name[] DEFAULT NULL,
	state pg_catalog.name DEFAULT NULL, reason pg_catalog.name DEFAULT NULL,
	changed_at pg_catalog.name DEFAULT NULL, bucket pg_catalog.interval DEFAULT '1 month',
	activity pg_catalog.name DEFAULT NULL, at_risk_after pg_catalog.interval DEFAULT NULL,
	dormant_after pg_catalog.interval DEFAULT NULL, churned_after pg_catalog.interval DEFAULT NULL,
	time_zone pg_catalog.text DEFAULT NULL, states_from pg_catalog.timestamptz DEFAULT NULL)
RETURNS @extschema@.track_result
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	old @extschema@.tracked_table := @extschema@._check_tracked(relation);
	tz text;
	dropped "char"[] := '{}';
	target regclass;
	customers bigint;
	msg text;
	hint text;
BEGIN
	PERFORM @extschema@._require_writable('churn.retrack');
	PERFORM @extschema@._check_trackable(relation);
	IF customer IS NULL OR since IS NULL OR until IS NULL THEN
		RAISE EXCEPTION 'customer, since and until must not be NULL' USING ERRCODE = '22004';
	END IF;
	IF old.suspended THEN
		RAISE EXCEPTION 'summary maintenance of table "%" is suspended', @extschema@._table_name(relation)
			USING ERRCODE = '55000',
				  HINT = 'Call churn.resume first.';
	END IF;
	tz := @extschema@._check_settings(relation, customer, since, until, channel, segments, state, reason,
									  changed_at, retrack.bucket, activity, at_risk_after, dormant_after,
									  churned_after, retrack.time_zone);
	-- writers wait from here to the end (as for churn.track)
	EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', relation);

	-- A dump and restore renumbers the columns of a table that had
	-- dropped ones, and the recorded numbers may then name other columns;
	-- it also gives the table another OID than the one recorded with them.
	-- Names alone decide then, as before the numbers were recorded.
	IF old.column_attnums_relid IS DISTINCT FROM relation::pg_catalog.oid THEN
		old.column_attnums := NULL;
	END IF;

	-- the history the new settings still apply to: moves of the same
	-- channel column, reactivations of the same since and until columns,
	-- transitions of the same state column, all of the same customers
	IF NOT @extschema@._same_column(relation, old.customer_column, old.column_attnums[1], customer) THEN
		DELETE FROM @extschema@.history h WHERE h.relid = relation;
	END IF;
	IF NOT @extschema@._same_column(relation, old.channel_column, old.column_attnums[4], channel) THEN
		dropped := dropped || 'm'::"char";
	END IF;
	IF NOT @extschema@._same_column(relation, old.since_column, old.column_attnums[2], since)
	   OR NOT @extschema@._same_column(relation, old.until_column, old.column_attnums[3], until) THEN
		dropped := dropped || 'r'::"char";
	END IF;
	IF NOT @extschema@._same_column(relation, old.state_column, old.column_attnums[5], state) THEN
		dropped := dropped || 's'::"char";
	END IF;
	-- entries are local times of the table's time zone: a new zone means
	-- the same instants in other local times
	UPDATE @extschema@.history h
	   SET entries = ARRAY(
			SELECT ROW(e.seq, timezone(tz, timezone(old.time_zone, e.at)), e.kind, e.channel,
					   e.from_channel, timezone(tz, timezone(old.time_zone, e.lost_at)), e.reason,
					   e.from_state, e.to_state)::@extschema@.history_entry
			  FROM unnest(h.entries) e
			 WHERE e.kind <> ALL (dropped)
			 ORDER BY e.seq)
	 WHERE h.relid = relation AND (cardinality(dropped) > 0 OR tz <> old.time_zone);
	DELETE FROM @extschema@.history h WHERE h.relid = relation AND cardinality(h.entries) = 0;

	UPDATE @extschema@.tracked_table t
	   SET customer_column = customer, since_column = since, until_column = until,
		   channel_column = channel, segment_columns = coalesce(segments, '{}'), state_column = state,
		   reason_column = reason, changed_at_column = changed_at, activity_column = activity,
		   bucket = retrack.bucket, time_zone = tz, at_risk_after = retrack.at_risk_after,
		   dormant_after = retrack.dormant_after, churned_after = retrack.churned_after,
		   states_from = coalesce(retrack.states_from,
								  CASE WHEN @extschema@._same_column(relation, old.state_column,
																	 old.column_attnums[5], state)
									   THEN old.states_from ELSE now() END),
		   column_attnums = @extschema@._column_attnums(relation, ARRAY[customer, since, until, channel, state]),
		   column_attnums_relid = relation
	 WHERE t.relid = relation;

	-- new triggers: every backend's capture keeps the settings of the
	-- triggers it has seen, by trigger
	FOR target IN SELECT x FROM @extschema@._trigger_targets(relation) x LOOP
		PERFORM @extschema@._drop_triggers(target);
		PERFORM @extschema@._install_triggers(target, true);
	END LOOP;
	-- the customer rows the summaries are made of (writers wait)
	EXECUTE format('SELECT count(*) FROM %s', relation) INTO customers;
	-- a row churn refuses (its until before its since, or before its
	-- reactivation) ends the recomputation: its message names the customer
	-- and the values, the query that met the row (the error's context)
	-- would only hide them
	BEGIN
		PERFORM @extschema@._recompute(relation);
	EXCEPTION WHEN invalid_parameter_value THEN
		GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = msg, HINT = hint;
	END;
	RETURN @extschema@._track_result(relation, customers);
END
$$;
COMMENT ON FUNCTION @extschema@.retrack(pg_catalog.regclass, pg_catalog.name, pg_catalog.name,
	pg_catalog.name, pg_catalog.name, pg_catalog.name[], pg_catalog.name, pg_catalog.name,
	pg_catalog.name, pg_catalog.interval, pg_catalog.name, pg_catalog.interval, pg_catalog.interval,
	pg_catalog.interval, pg_catalog.text, pg_catalog.timestamptz) IS
'changes the settings of a tracked table, keeping the history the new settings still apply to, and recomputes its summaries; returns the table, the rows read and the summary cells made';

CREATE FUNCTION @extschema@.untrack(relation pg_catalog.regclass)
RETURNS @extschema@.track_result
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	target regclass;
	dropped @extschema@.track_result;
BEGIN
	PERFORM @extschema@._require_writable('churn.untrack');
	PERFORM @extschema@._check_tracked(relation);
	-- a table gone without the sql_drop event (a temporary table tracked
	-- by 1.0, whose session ended) has no triggers left to drop
	IF EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = relation) THEN
		FOR target IN SELECT x FROM @extschema@._trigger_targets(relation) x LOOP
			PERFORM @extschema@._drop_triggers(target);
		END LOOP;
	END IF;
	PERFORM pg_advisory_xact_lock(@extschema@._lock_key(relation));
	-- what is dropped, as it was
	dropped := @extschema@._track_result(relation, NULL);
	dropped.suspended := false;
	PERFORM @extschema@._forget(ARRAY[relation::oid]);
	RETURN dropped;
END
$$;
COMMENT ON FUNCTION @extschema@.untrack(pg_catalog.regclass) IS
'stops tracking a table: drops its capture triggers, summaries and history; returns the summary cells and history entries dropped';

CREATE FUNCTION @extschema@.suspend(relation pg_catalog.regclass)
RETURNS @extschema@.track_result
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cfg @extschema@.tracked_table := @extschema@._check_tracked(relation);
	target regclass;
BEGIN
	PERFORM @extschema@._require_writable('churn.suspend');
	IF cfg.suspended THEN
		RAISE EXCEPTION 'summary maintenance of table "%" is already suspended', @extschema@._table_name(relation)
			USING ERRCODE = '55000';
	END IF;
	FOR target IN SELECT x FROM @extschema@._trigger_targets(relation) x LOOP
		PERFORM @extschema@._enable_triggers(target, false);
	END LOOP;
	UPDATE @extschema@.tracked_table t SET suspended = true WHERE t.relid = relation;
	RETURN @extschema@._track_result(relation, NULL);
END
$$;
COMMENT ON FUNCTION @extschema@.suspend(pg_catalog.regclass) IS
'suspends summary maintenance of a tracked table (for a bulk load); churn.resume rebuilds; returns the table''s state';

CREATE FUNCTION @extschema@.resume(relation pg_catalog.regclass)
RETURNS @extschema@.track_result
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cfg @extschema@.tracked_table := @extschema@._check_tracked(relation);
	target regclass;
	customers bigint;
	msg text;
	hint text;
BEGIN
	PERFORM @extschema@._require_writable('churn.resume');
	PERFORM @extschema@._check_trackable(relation);
	IF NOT cfg.suspended THEN
		RAISE EXCEPTION 'summary maintenance of table "%" is not suspended', @extschema@._table_name(relation)
			USING ERRCODE = '55000';
	END IF;
	EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', relation);
	FOR target IN SELECT x FROM @extschema@._trigger_targets(relation) x LOOP
		PERFORM @extschema@._enable_triggers(target, true);
	END LOOP;
	-- the customer rows the summaries are made of (writers wait)
	EXECUTE format('SELECT count(*) FROM %s', relation) INTO customers;
	-- a row churn refuses (its until before its since, or before its
	-- reactivation) ends the recomputation: its message names the customer
	-- and the values, the query that met the row (the error's context)
	-- would only hide them
	BEGIN
		PERFORM @extschema@._recompute(relation);
	EXCEPTION WHEN invalid_parameter_value THEN
		GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = msg, HINT = hint;
	END;
	UPDATE @extschema@.tracked_table t SET suspended = false WHERE t.relid = relation;
	RETURN @extschema@._track_result(relation, customers);
END
$$;
COMMENT ON FUNCTION @extschema@.resume(pg_catalog.regclass) IS
'resumes summary maintenance of a suspended table and rebuilds its summaries; returns the table, the rows read and the summary cells made';

-- churn_follow_partitions refuses a tracked table attached as a partition or
-- made an inheritance parent or child, and an unlogged tracked table or
-- partition (_check_trackable, for the commands _reshapes_tables names), and
-- rebuilds after an ATTACH or DETACH at any level of a tracked table's
-- partitions.

-- Whether a DDL command can make a table a partition, an inheritance child
-- or unlogged (src/churn.c): churn_follow_partitions checks the tracked
-- tables such commands touch.
CREATE FUNCTION @extschema@._reshapes_tables(command pg_catalog.pg_ddl_command)
RETURNS pg_catalog.bool
LANGUAGE C STRICT STABLE
AS 'MODULE_PATHNAME', 'churn_reshapes_tables';
COMMENT ON FUNCTION @extschema@._reshapes_tables(pg_catalog.pg_ddl_command) IS
'internal: whether a DDL command can make a table a partition, an inheritance child or unlogged';

REVOKE EXECUTE ON FUNCTION @extschema@._reshapes_tables(pg_catalog.pg_ddl_command) FROM PUBLIC;

CREATE OR REPLACE FUNCTION @extschema@._on_ddl_end()
RETURNS event_trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	altered oid[];
	reshaped oid[];
	t record;
	target regclass;
	added int;
	stray record;
	lost_one bool := false;
	restored regclass[];
BEGIN
	IF NOT EXISTS (SELECT 1 FROM @extschema@.tracked_table) THEN
		RETURN;
	END IF;
	-- a tracked table without its own triggers is being restored (they
	-- come after the constraints in a dump): leave it to the dump
	SELECT coalesce(array_agg(tt.relid), '{}') INTO restored
	  FROM @extschema@.tracked_table tt
	 WHERE NOT EXISTS (SELECT 1 FROM pg_trigger g
						WHERE g.tgrelid = tt.relid AND g.tgname = 'churn_summary_insert');
	SELECT array_agg(c.objid),
		   array_agg(c.objid) FILTER (WHERE @extschema@._reshapes_tables(c.command))
	  INTO altered, reshaped
	  FROM pg_event_trigger_ddl_commands() c WHERE c.classid = 'pg_class'::regclass;
	-- first the checks, before any work: a tracked table attached as a
	-- partition or made an inheritance parent or child, SET UNLOGGED, an
	-- unlogged partition created or attached
	FOR t IN SELECT tt.relid FROM @extschema@.tracked_table tt
			  WHERE tt.relid <> ALL (restored)
			  ORDER BY tt.relid::oid LOOP
		PERFORM @extschema@._check_trackable(t.relid, coalesce(reshaped, '{}'));
	END LOOP;
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
	FOR t IN SELECT tt.relid, tt.suspended FROM @extschema@.tracked_table tt
			  WHERE tt.relid <> ALL (restored)
			  ORDER BY tt.relid::oid LOOP
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
		-- rows arrived (ATTACH) or left (DETACH) without a trigger firing,
		-- at any level of its partitions
		IF NOT t.suspended AND (added > 0 OR lost_one)
		   AND EXISTS (SELECT 1 FROM @extschema@._trigger_targets(t.relid) x WHERE x = ANY (altered)) THEN
			-- under a SHARE lock, as churn.rebuild: no writer may commit
			-- between the deletion of the deltas and the recomputation
			PERFORM @extschema@._recompute_after_truncate(t.relid);
		END IF;
	END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@._on_ddl_end() IS
'internal: keeps the capture triggers on the partitions of tracked tables and rebuilds after ATTACH/DETACH PARTITION';

-- DROP TABLE of a partition of a tracked table takes its rows without any
-- trigger firing.  Before the command runs (ddl_command_start), the
-- partitions it names that the role may drop (src/churn.c) leave the
-- summaries of their tracked table as a DELETE of their rows would take
-- them out (summary_lock_dropped_partitions and summary_subtract_dropped in
-- src/summary_sql.c).
CREATE FUNCTION @extschema@._on_drop_start()
RETURNS event_trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'churn_on_drop_start';
COMMENT ON FUNCTION @extschema@._on_drop_start() IS
'internal: takes the customers of the partitions of tracked tables that a DROP TABLE is about to drop out of the summaries';

CREATE EVENT TRIGGER churn_count_dropped_partitions ON ddl_command_start
	WHEN TAG IN ('DROP TABLE')
	EXECUTE FUNCTION @extschema@._on_drop_start();
COMMENT ON EVENT TRIGGER churn_count_dropped_partitions IS
'takes the customers of a partition of a tracked table out of its summaries before DROP TABLE drops it';

REVOKE EXECUTE ON FUNCTION @extschema@._on_drop_start() FROM PUBLIC;

REVOKE EXECUTE ON FUNCTION @extschema@.track(pg_catalog.regclass, pg_catalog.name, pg_catalog.name,
	pg_catalog.name, pg_catalog.name, pg_catalog.name[], pg_catalog.name, pg_catalog.name,
	pg_catalog.name, pg_catalog.interval, pg_catalog.name, pg_catalog.interval, pg_catalog.interval,
	pg_catalog.interval, pg_catalog.text, pg_catalog.timestamptz) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.retrack(pg_catalog.regclass, pg_catalog.name, pg_catalog.name,
	pg_catalog.name, pg_catalog.name, pg_catalog.name[], pg_catalog.name, pg_catalog.name,
	pg_catalog.name, pg_catalog.interval, pg_catalog.name, pg_catalog.interval, pg_catalog.interval,
	pg_catalog.interval, pg_catalog.text, pg_catalog.timestamptz) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.untrack(pg_catalog.regclass) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.suspend(pg_catalog.regclass) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.resume(pg_catalog.regclass) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@._track_result(pg_catalog.regclass, pg_catalog.int8) FROM PUBLIC;

-- Every member has a comment (sql/zz_catalog.sql): the operator families
-- that CREATE OPERATOR CLASS made had none.
COMMENT ON OPERATOR FAMILY @extschema@.lifecycle_ops USING btree IS
'btree operator family of lifecycle (its default operator class): lifecycle order';
COMMENT ON OPERATOR FAMILY @extschema@.lifecycle_hash_ops USING hash IS
'hash operator family of lifecycle (its default operator class)';

-- grant_reader and revoke_reader refuse a standby or a read-only
-- transaction up front (churn._require_writable)
CREATE OR REPLACE FUNCTION @extschema@.grant_reader(reader pg_catalog.regrole)
RETURNS void
LANGUAGE plpgsql STRICT
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	v pg_catalog.text;
BEGIN
	PERFORM @extschema@._require_writable('churn.grant_reader');
	EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA %I TO %s', '@extschema@', reader);
	FOREACH v IN ARRAY ARRAY['churn_summary', 'churn_reasons', 'diversion_summary',
							 'lifecycle_summary', 'lifecycle_transitions']
	LOOP
		EXECUTE pg_catalog.format('GRANT SELECT ON %I.%I TO %s', '@extschema@', v, reader);
	END LOOP;
END
$fn$;

CREATE OR REPLACE FUNCTION @extschema@.revoke_reader(reader pg_catalog.regrole)
RETURNS void
LANGUAGE plpgsql STRICT
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	v pg_catalog.text;
BEGIN
	PERFORM @extschema@._require_writable('churn.revoke_reader');
	FOREACH v IN ARRAY ARRAY['churn_summary', 'churn_reasons', 'diversion_summary',
							 'lifecycle_summary', 'lifecycle_transitions']
	LOOP
		EXECUTE pg_catalog.format('REVOKE SELECT ON %I.%I FROM %s', '@extschema@', v, reader);
	END LOOP;
	EXECUTE pg_catalog.format('REVOKE USAGE ON SCHEMA %I FROM %s', '@extschema@', reader);
END
$fn$;

-- health: a tracked table gone without the sql_drop event is table_gone, one
-- tracked by 1.0 in a shape 1.1 refuses (_check_trackable) untrackable
CREATE OR REPLACE FUNCTION @extschema@.health(refresh_lag pg_catalog.interval DEFAULT '15 minutes',
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
		   CASE WHEN NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = s.relation)
				-- gone without the sql_drop event that makes churn forget
				-- it (a temporary table tracked by 1.0, its session over):
				-- churn.untrack removes what churn kept of it
				THEN 'table_gone'
				-- a partition, an inheritance parent or child, or unlogged:
				-- tracked by 1.0, refused since (churn.track); writes go
				-- uncounted or miscounted
				WHEN NOT @extschema@._is_trackable(s.relation) THEN 'untrackable'
				WHEN s.suspended THEN 'suspended'
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
'per tracked table: status (ok, stale, aging_overdue, suspended, capture_disabled, untrackable, table_gone), pending deltas and the age of the oldest, last refresh, last aging run; for monitoring';

-- Tables tracked by 1.0 that 1.1 refuses (a partition, an inheritance parent
-- or child, a temporary or unlogged table: _check_trackable) stay tracked,
-- and churn goes on missing or miscounting some of their writes, as 1.0
-- did: each is named, for the DBA to untrack.
DO $$
DECLARE
	t regclass;
	msg text;
BEGIN
	FOR t IN SELECT tt.relid FROM @extschema@.tracked_table tt ORDER BY tt.relid::oid LOOP
		BEGIN
			PERFORM @extschema@._check_trackable(t);
		EXCEPTION WHEN feature_not_supported THEN
			GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
			RAISE WARNING '%', msg
				USING DETAIL = 'churn 1.0 tracked it; churn 1.1 refuses such a table, some of whose writes its summaries miss or miscount.',
					  HINT = format('Stop tracking it (churn.untrack(%L)); churn.verify shows what its summaries miss.', t::text);
		END;
	END LOOP;
END
$$;
