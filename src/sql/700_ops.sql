
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
	batch_size pg_catalog.int4 DEFAULT 10000,
	INOUT to_at_risk pg_catalog.int8 DEFAULT NULL,
	INOUT to_dormant pg_catalog.int8 DEFAULT NULL,
	INOUT to_churned pg_catalog.int8 DEFAULT NULL)
LANGUAGE plpgsql
-- No SET clause (a procedure with one cannot COMMIT), and the session's
-- search_path and TimeZone stay the caller's: the UPDATEs fire the table's
-- own triggers, which must run as they always do.  Every name in the
-- queries below is qualified instead.
AS $proc$
DECLARE
	cfg			record;
	key_type	pg_catalog.text;
	upd_changed	pg_catalog.text := '';
	q			pg_catalog.text;
	last_key	pg_catalog.text := NULL;
	q_upper		pg_catalog.text;
	q_upper_first pg_catalog.text;
	q_first		pg_catalog.text;
	upper_key	pg_catalog.text;
	b_at_risk	pg_catalog.int8;
	b_dormant	pg_catalog.int8;
	b_churned	pg_catalog.int8;
	b_further	pg_catalog.int8;
	further		pg_catalog.int8;
	passes		pg_catalog.int4 := 0;
	started		pg_catalog.timestamptz := pg_catalog.clock_timestamp();
BEGIN
	IF tbl IS NULL THEN
		RAISE EXCEPTION 'table must not be NULL' USING ERRCODE = '22023';
	END IF;
	IF as_of IS NULL OR NOT pg_catalog.isfinite(as_of) THEN
		RAISE EXCEPTION 'as_of must be a finite time, got "%"', as_of
			USING ERRCODE = '22023';
	END IF;
	IF batch_size IS NULL OR batch_size < 1 THEN
		RAISE EXCEPTION 'batch size must be at least 1, got "%"', batch_size
			USING ERRCODE = '22023';
	END IF;

	SELECT * INTO cfg FROM @extschema@._aging_config(tbl);
	IF cfg.customer_col IS NULL THEN
		RAISE EXCEPTION 'table "%" is not tracked by churn', tbl
			USING ERRCODE = '55000',
				  HINT = 'Track it with churn.track(), giving state, activity and the at_risk_after, dormant_after and churned_after thresholds.';
	END IF;
	IF cfg.state_col IS NULL OR cfg.activity_col IS NULL OR cfg.at_risk_after IS NULL THEN
		RAISE EXCEPTION 'table "%" is tracked without a lifecycle state column, an activity column and inactivity thresholds', tbl
			USING ERRCODE = '55000',
				  HINT = 'Track it again with state => ..., activity => ..., at_risk_after => ..., dormant_after => ..., churned_after => ....';
	END IF;

	SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) INTO key_type
	  FROM pg_catalog.pg_attribute a
	 WHERE a.attrelid OPERATOR(pg_catalog.=) tbl
	   AND a.attname OPERATOR(pg_catalog.=) cfg.customer_col AND NOT a.attisdropped;

	-- The change time of a state moved by inactivity is when the threshold
	-- was crossed (last activity + threshold), never before the row's last
	-- change and never after as_of: the summaries then put the transition
	-- in the right bucket however late the job runs.
	IF cfg.changed_col IS NOT NULL THEN
		upd_changed := pg_catalog.format(
			', %1$I = LEAST($1, GREATEST(t.%1$I, t.%2$I OPERATOR(pg_catalog.+)'
			' CASE WHEN m.to_state::pg_catalog.text OPERATOR(pg_catalog.=) ''at_risk'' THEN $2'
			' WHEN m.to_state::pg_catalog.text OPERATOR(pg_catalog.=) ''dormant'' THEN $3 ELSE $4 END))',
			cfg.changed_col, cfg.activity_col);
	END IF;

	-- Batches are ranges of the customer key: the next batch_size keys in
	-- key order (an index walk, whatever the planner thinks of the filter
	-- below), so one pass costs one walk over the table.
	-- Two variants each, the first batch's without a lower bound: a bound
	-- written as "$1 IS NULL OR k > $1" would not be an index condition.
	q_upper := pg_catalog.format($q$
		SELECT pg_catalog.max(s.k)::pg_catalog.text
		  FROM (SELECT t.%1$I AS k FROM %2$s AS t
				 WHERE t.%1$I OPERATOR(pg_catalog.>) $1::%3$s
				 ORDER BY t.%1$I LIMIT $2) AS s
		$q$, cfg.customer_col, tbl::pg_catalog.text, key_type);
	q_upper_first := pg_catalog.format($q$
		SELECT pg_catalog.max(s.k)::pg_catalog.text
		  FROM (SELECT t.%1$I AS k FROM %2$s AS t
				 WHERE $1::pg_catalog.text IS NULL
				 ORDER BY t.%1$I LIMIT $2) AS s
		$q$, cfg.customer_col, tbl::pg_catalog.text, key_type);

	-- One batch: the customers of the key range whose inactivity moves them,
	-- locked with SKIP LOCKED so the job never waits for the application: a
	-- customer locked by a writer right now is aged by the next run.
	q := pg_catalog.format($q$
		WITH batch AS (
			SELECT t.%1$I AS k, t.%2$I AS st, x.target,
				   @extschema@.aging_step(t.%2$I, x.target) AS to_state
			  FROM %4$s AS t
				   CROSS JOIN LATERAL (SELECT @extschema@.lifecycle_from_activity(t.%3$I, $1, $2, $3, $4)
									   AS target) AS x
			 WHERE %7$s t.%1$I OPERATOR(pg_catalog.<=) $6::%5$s
			   AND t.%2$I::pg_catalog.text OPERATOR(pg_catalog.=) ANY ('{new,active,reactivated,at_risk,dormant}'::pg_catalog.text[])
			   AND t.%3$I IS NOT NULL
			   AND @extschema@.aging_step(t.%2$I, x.target)::pg_catalog.text
				   OPERATOR(pg_catalog.<>) t.%2$I::pg_catalog.text
			   FOR UPDATE OF t SKIP LOCKED
		), moved AS (
			UPDATE %4$s AS t
			   SET %2$I = m.to_state%6$s
			  FROM batch AS m
			 WHERE t.%1$I OPERATOR(pg_catalog.=) m.k
			RETURNING m.to_state::pg_catalog.text AS to_state
		)
		SELECT pg_catalog.count(*) FILTER (WHERE to_state OPERATOR(pg_catalog.=) 'at_risk'),
			   pg_catalog.count(*) FILTER (WHERE to_state OPERATOR(pg_catalog.=) 'dormant'),
			   pg_catalog.count(*) FILTER (WHERE to_state OPERATOR(pg_catalog.=) 'churned'),
			   -- moved, but one more allowed step short of the target (new
			   -- may not go straight to dormant): another pass moves them
			   (SELECT pg_catalog.count(*) FROM batch AS b
				 WHERE @extschema@.aging_step(b.to_state, b.target)::pg_catalog.text
					   OPERATOR(pg_catalog.<>) b.to_state::pg_catalog.text)
		  FROM moved
		$q$,
		cfg.customer_col, cfg.state_col, cfg.activity_col, tbl::pg_catalog.text,
		key_type, upd_changed, '/*lower bound*/');
	q_first := pg_catalog.replace(q, '/*lower bound*/', '$5::pg_catalog.text IS NULL AND');
	q := pg_catalog.replace(q, '/*lower bound*/',
							pg_catalog.format('t.%I OPERATOR(pg_catalog.>) $5::%s AND',
											  cfg.customer_col, key_type));

	-- Commit once before the first batch, so that a CALL inside an explicit
	-- transaction block fails the same way ("invalid transaction
	-- termination") whatever the table holds: run it at top level, as
	-- pg_cron and psql's autocommit do.
	COMMIT;

	to_at_risk := 0;
	to_dormant := 0;
	to_churned := 0;
	-- A pass walks the table once in key order.  A customer whose target is
	-- two allowed steps away (new -> at_risk -> dormant) takes one step per
	-- pass, each recorded as its own transition; the chain has three
	-- steps, so three passes always reach the target.
	LOOP
		passes := passes + 1;
		further := 0;
		last_key := NULL;
		LOOP
			IF last_key IS NULL THEN
				EXECUTE q_upper_first INTO upper_key USING last_key, batch_size;
			ELSE
				EXECUTE q_upper INTO upper_key USING last_key, batch_size;
			END IF;
			EXIT WHEN upper_key IS NULL;
			EXECUTE CASE WHEN last_key IS NULL THEN q_first ELSE q END
				INTO b_at_risk, b_dormant, b_churned, b_further
				USING as_of, cfg.at_risk_after, cfg.dormant_after, cfg.churned_after,
					  last_key, upper_key;
			to_at_risk := to_at_risk + b_at_risk;
			to_dormant := to_dormant + b_dormant;
			to_churned := to_churned + b_churned;
			further := further + b_further;
			last_key := upper_key;
			-- the batch's row locks are held only until here
			COMMIT;
		END LOOP;
		EXIT WHEN further = 0 OR passes >= 3;
	END LOOP;

	INSERT INTO @extschema@.aging_runs AS r
		   (relation, started_at, finished_at, as_of, to_at_risk, to_dormant, to_churned)
	VALUES (tbl, started, pg_catalog.clock_timestamp(), as_of, to_at_risk, to_dormant, to_churned)
	ON CONFLICT (relation) DO UPDATE
	   SET started_at = excluded.started_at, finished_at = excluded.finished_at,
		   as_of = excluded.as_of, to_at_risk = excluded.to_at_risk,
		   to_dormant = excluded.to_dormant, to_churned = excluded.to_churned;
END
$proc$;

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
'per tracked table: status (ok, stale, aging_overdue, suspended), pending deltas and the age of the oldest, last refresh, last aging run; for monitoring';

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
