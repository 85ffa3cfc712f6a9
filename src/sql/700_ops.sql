
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
	PERFORM @extschema@._require_writable('churn.grant_reader');
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
	PERFORM @extschema@._require_writable('churn.revoke_reader');
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
