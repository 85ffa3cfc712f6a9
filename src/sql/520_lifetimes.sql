
--
-- 520_lifetimes.sql: customer_lifetimes, every customer of a tracked table
-- as a lifetime (duration, churned) by segment, read through the columns
-- churn.track was given, so that survival curves, log-rank tests and risk
-- models (and the Grafana panels built on them) work on any tracked table.
--

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
