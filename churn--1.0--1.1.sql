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

-- track refuses Citus tables (_check_not_citus)
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
		RAISE EXCEPTION 'churn cannot track "%": it is %', relation, kind
			USING ERRCODE = '0A000',
				  DETAIL = 'Citus writes its rows to shards, where churn''s capture triggers do not run.',
				  HINT = 'Track a local table on the coordinator, or compute the figures with churn''s aggregates (churn_rate, churn_periods, ...), which Citus runs on the workers.';
	END IF;
END
$$;
COMMENT ON FUNCTION @extschema@._check_not_citus(pg_catalog.regclass) IS
'internal: refuses a Citus distributed, reference or local table, whose writes churn''s triggers cannot capture';

CREATE OR REPLACE FUNCTION @extschema@.track(relation pg_catalog.regclass,
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
	PERFORM @extschema@._check_not_citus(relation);
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
