
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
	last_refresh pg_catalog.timestamptz,
	-- lifecycle states are counted from this time on: before it, churn does
	-- not know which states a customer went through (-infinity: from each
	-- customer's since, as tables tracked by churn 1.0 count them)
	states_from pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),
	-- the attribute numbers of the customer, since, until, channel and state
	-- columns at the last track or retrack (NULL for one not set): retrack
	-- keeps the history of a renamed column (churn._same_column)
	column_attnums pg_catalog.int2[],
	-- the table's OID when they were recorded: a dump and restore, which
	-- may renumber the columns, gives the table another OID (pg_upgrade
	-- keeps both), and retrack then does not trust the numbers
	column_attnums_relid pg_catalog.oid
);
COMMENT ON TABLE @extschema@.tracked_table IS
'configuration of the tables tracked by churn.track: one row per table';

-- Counts folded by churn.refresh that are read as they are, without a
-- running balance: losses by reason (kind c), moves between channels (d) and
-- lifecycle transitions (t) (bucket: local start of the bucket in the
-- table's time zone; bucket_start, bucket_end: its start and end as
-- timestamptz, what the views show and readers filter on; kind: see
-- summary_kinds.h; n: signed count).  The counts of customers per cell live
-- in summary_cell.
CREATE TABLE @extschema@.summary (
	relid pg_catalog.regclass NOT NULL,
	bucket pg_catalog.timestamp NOT NULL,
	kind "char" NOT NULL,
	channel pg_catalog.text,
	segment pg_catalog.jsonb NOT NULL,
	detail pg_catalog.text,
	n pg_catalog.int8 NOT NULL,
	bucket_start pg_catalog.timestamptz NOT NULL,
	bucket_end pg_catalog.timestamptz NOT NULL,
	CONSTRAINT summary_key UNIQUE NULLS NOT DISTINCT (relid, kind, channel, segment, detail, bucket)
) WITH (parallel_workers = 0);
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
SELECT pg_catalog.pg_extension_config_dump('@extschema@.summary_cell', '');
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
		RAISE EXCEPTION 'column "%" of relation "%" has type %, not a date or timestamp',
			col, @extschema@._table_name(relation), format_type(t, NULL)
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
CREATE FUNCTION @extschema@._truncated(relation pg_catalog.oid)
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

-- What churn.track, retrack, resume, suspend and untrack return, so that a
-- call shows what it did: the table, whether its maintenance is suspended,
-- the customer rows read to back-fill its summaries (NULL when none were
-- read), and the summary cells (channel and segment, lifecycle state) and
-- history entries it holds afterwards (untrack: those it dropped).  Cells,
-- not summary rows: a cell has a row for every bucket up to the current
-- one, so the rows grow with the calendar and the cells do not.
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

--
-- The API.
--

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

-- How churn's messages name a table: as regclass prints it, without the
-- identifier quotes inside the message's own (churn_table_name in churn.c).
CREATE FUNCTION @extschema@._table_name(relation pg_catalog.regclass)
RETURNS pg_catalog.text
AS 'MODULE_PATHNAME', 'churn_table_name_sql'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@._table_name(pg_catalog.regclass) IS
'internal: a table''s name as churn''s messages write it (schema-qualified when not on the search path, no identifier quoting)';

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

CREATE FUNCTION @extschema@.rebuild(relation pg_catalog.regclass)
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

--
-- The views: compacted plus pending counts, exact for every snapshot.
--
-- A reader's snapshot sees summary_cell and summary as of some refresh, plus
-- the deltas appended since (a refresh folds deltas and deletes them in one
-- transaction).  The views add the two, and do so such that a filter on
-- relation and on bucket_start (what a dashboard panel sends) reaches the
-- index range scans of summary_cell and summary: no window function or
-- aggregate above the scans spans buckets.  The running balance, at_start,
-- is stored in summary_cell; pending deltas add their counts to their own
-- bucket and their net flow to the at_start of every later bucket.
--

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

CREATE VIEW @extschema@.churn_summary AS
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

CREATE VIEW @extschema@.churn_reasons AS
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
CREATE VIEW @extschema@.diversion_summary AS
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

CREATE VIEW @extschema@.lifecycle_summary AS
SELECT c.relid AS relation, c.bucket_start, c.bucket_end, c.state::@extschema@.lifecycle AS state,
	   c.at_start, c.entered, c.exited, c.at_start + c.entered - c.exited AS at_end,
	   c.bucket_end OPERATOR(pg_catalog.<=) pg_catalog.now() AS complete
  FROM @extschema@._lifecycle_cells c;
COMMENT ON VIEW @extschema@.lifecycle_summary IS
'customers per tracked table, lifecycle state and bucket: at_start, entered, exited, at_end, and whether the bucket is complete';

CREATE VIEW @extschema@.lifecycle_transitions AS
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

CREATE VIEW @extschema@.status AS
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
	PERFORM @extschema@._forget(gone);
END
$$;
COMMENT ON FUNCTION @extschema@._on_sql_drop() IS
'internal: forgets the summaries, history and configuration of tracked tables that are dropped';

CREATE EVENT TRIGGER churn_forget_dropped ON sql_drop
	WHEN TAG IN ('DROP TABLE', 'DROP SCHEMA', 'DROP OWNED')
	EXECUTE FUNCTION @extschema@._on_sql_drop();
COMMENT ON EVENT TRIGGER churn_forget_dropped IS
'forgets the summaries of tracked tables that are dropped';

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

-- Partitions created, attached or detached after track: the capture triggers
-- follow (a partition written directly must carry them), and the summaries
-- of a table that gained or lost rows that way are rebuilt.  SECURITY
-- DEFINER: it creates triggers and rewrites churn's tables, only for
-- tracked tables and their (former) partitions.
-- Whether a DDL command can make a table a partition, an inheritance child
-- or unlogged (src/churn.c): churn_follow_partitions checks the tracked
-- tables such commands touch.
CREATE FUNCTION @extschema@._reshapes_tables(command pg_catalog.pg_ddl_command)
RETURNS pg_catalog.bool
LANGUAGE C STRICT STABLE
AS 'MODULE_PATHNAME', 'churn_reshapes_tables';
COMMENT ON FUNCTION @extschema@._reshapes_tables(pg_catalog.pg_ddl_command) IS
'internal: whether a DDL command can make a table a partition, an inheritance child or unlogged';

CREATE FUNCTION @extschema@._on_ddl_end()
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
	pg_catalog.interval, pg_catalog.text, pg_catalog.timestamptz) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.retrack(pg_catalog.regclass, pg_catalog.name, pg_catalog.name,
	pg_catalog.name, pg_catalog.name, pg_catalog.name[], pg_catalog.name, pg_catalog.name,
	pg_catalog.name, pg_catalog.interval, pg_catalog.name, pg_catalog.interval, pg_catalog.interval,
	pg_catalog.interval, pg_catalog.text, pg_catalog.timestamptz) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.untrack(pg_catalog.regclass) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.refresh(pg_catalog.regclass) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.rebuild(pg_catalog.regclass) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.verify(pg_catalog.regclass) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.suspend(pg_catalog.regclass) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.resume(pg_catalog.regclass) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@._recompute(pg_catalog.regclass) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@._track_result(pg_catalog.regclass, pg_catalog.int8) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@._fold(pg_catalog.regclass) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@._events_query(pg_catalog.regclass) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@._on_drop_start() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@._truncated(pg_catalog.oid) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@._on_sql_drop() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@._forget(pg_catalog.oid[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@._on_ddl_end() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@._reshapes_tables(pg_catalog.pg_ddl_command) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@._recompute_after_truncate(pg_catalog.oid) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@._install_triggers(pg_catalog.regclass, pg_catalog.bool) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@._enable_triggers(pg_catalog.regclass, pg_catalog.bool) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@._drop_triggers(pg_catalog.regclass) FROM PUBLIC;
