--
-- summary_rates: for tables without moves or reactivations, every row of
-- churn.churn_summary equals the plain-SQL recomputation over the base table
-- with the period semantics of the aggregates issue (half-open buckets):
--   at_start  since < lower AND (until IS NULL OR until >= lower)
--   new       lower <= since < upper
--   lost      lower <= until < upper            (all losses of the bucket)
--   lost_from_start = at_start AND until < upper
--   at_end    since < upper AND (until IS NULL OR until >= upper)
--   churn_rate = lost_from_start / at_start, retention_rate = (at_end - new) / at_start
-- checked on generated data, before and after refresh, for date columns in
-- a fixed time zone and for timestamptz columns read under other TimeZones.
--
SET TimeZone = 'UTC';
SET client_min_messages = warning;
\set SHOW_CONTEXT never

-- 1. date columns, buckets of one month.
CREATE TABLE dcust (
	id int PRIMARY KEY,
	since date NOT NULL,
	until date,
	channel text NOT NULL,
	contract text NOT NULL
);
SELECT setseed(0.25);
INSERT INTO dcust
SELECT i, s, CASE WHEN random() < 0.4 THEN s + (random() * 400)::int END,
	   (ARRAY['store', 'online', 'phone'])[1 + floor(random() * 3)::int],
	   (ARRAY['monthly', 'annual'])[1 + floor(random() * 2)::int]
  FROM (SELECT i, date '2023-01-01' + (random() * 700)::int AS s FROM generate_series(1, 1500) i) x;
-- boundary rows: since or until exactly on a month edge, same-day stays
INSERT INTO dcust VALUES
	(9001, '2023-03-01', '2023-04-01', 'store', 'monthly'),
	(9002, '2023-03-31', '2023-04-01', 'store', 'monthly'),
	(9003, '2023-04-01', '2023-04-01', 'store', 'monthly'),
	(9004, '2023-02-28', '2023-03-01', 'store', 'monthly');

SELECT churn.track('dcust', customer => 'id', since => 'since', until => 'until',
				   channel => 'channel', segments => ARRAY['contract'], time_zone => 'America/New_York');

-- more customers and changes through the triggers
INSERT INTO dcust
SELECT i, s, CASE WHEN random() < 0.3 THEN s + (random() * 300)::int END,
	   (ARRAY['store', 'online', 'phone'])[1 + floor(random() * 3)::int],
	   (ARRAY['monthly', 'annual'])[1 + floor(random() * 2)::int]
  FROM (SELECT i, date '2023-06-01' + (random() * 500)::int AS s FROM generate_series(1501, 3000) i) x;
UPDATE dcust SET until = since + 45 WHERE id % 7 = 0 AND until IS NULL;       -- cancellations
UPDATE dcust SET until = until + 20 WHERE id % 11 = 0 AND until IS NOT NULL;  -- corrections of until
UPDATE dcust SET since = since - 10 WHERE id % 13 = 0;                        -- corrections of since
UPDATE dcust SET contract = 'annual' WHERE id % 17 = 0;                       -- corrections of a segment
DELETE FROM dcust WHERE id % 19 = 0;

CREATE VIEW d_oracle AS
WITH cells AS (
	SELECT channel, contract, date_trunc('month', min(since))::date AS first FROM dcust GROUP BY 1, 2
), grid AS (
	SELECT c.channel, c.contract, g::date AS lower, (g + interval '1 month')::date AS upper
	  FROM cells c,
		   generate_series(c.first, date_trunc('month', now() AT TIME ZONE 'America/New_York'), interval '1 month') g
)
SELECT g.channel, jsonb_build_object('contract', g.contract) AS segment,
	   g.lower::timestamp AT TIME ZONE 'America/New_York' AS bucket_start,
	   count(*) FILTER (WHERE since < lower AND (until IS NULL OR until >= lower)) AS at_start,
	   count(*) FILTER (WHERE since >= lower AND since < upper) AS new,
	   count(*) FILTER (WHERE until >= lower AND until < upper) AS lost,
	   count(*) FILTER (WHERE since < lower AND until >= lower AND until < upper) AS lost_from_start,
	   count(*) FILTER (WHERE since < upper AND (until IS NULL OR until >= upper)) AS at_end
  FROM grid g LEFT JOIN dcust c ON c.channel = g.channel AND c.contract = g.contract
 GROUP BY g.channel, g.contract, g.lower;

CREATE VIEW d_diff AS
WITH got AS (
	SELECT channel, segment, bucket_start, at_start, new, lost, lost_from_start, at_end,
		   churn_rate, retention_rate, reactivated, moved_in, moved_out
	  FROM churn.churn_summary WHERE relation = 'dcust'::regclass
), want AS (
	SELECT o.*,
		   CASE WHEN at_start > 0 THEN lost_from_start::float8 / at_start END AS churn_rate,
		   CASE WHEN at_start > 0 THEN (at_end - new)::float8 / at_start END AS retention_rate,
		   0::bigint AS reactivated, 0::bigint AS moved_in, 0::bigint AS moved_out
	  FROM d_oracle o
)
-- The view has a row for every month through the current one: the counts
-- shown stop at the end of 2025 (the data ends in 2025), the comparisons
-- cover every row, and through_now says the last row is the current month's.
SELECT (SELECT count(*) FROM want WHERE bucket_start < '2026-01-01 00:00 America/New_York') AS oracle_rows_to_2025,
	   (SELECT count(*) FROM got WHERE bucket_start < '2026-01-01 00:00 America/New_York') AS summary_rows_to_2025,
	   (SELECT count(*) FROM (SELECT * FROM got EXCEPT SELECT * FROM want) x) AS extra,
	   (SELECT count(*) FROM (SELECT * FROM want EXCEPT SELECT * FROM got) x) AS missing,
	   (SELECT max(bucket_start) = date_trunc('month', now() AT TIME ZONE 'America/New_York') AT TIME ZONE 'America/New_York'
		  FROM got) AS through_now;

SELECT * FROM d_diff;
SELECT count(*) AS verify_diffs FROM churn.verify('dcust');
SELECT churn.refresh('dcust') > 0 AS folded;
SELECT * FROM d_diff;

-- the boundary rows, by hand: store/monthly, March and April 2023
--   9001 2023-03-01 .. 2023-04-01: new in March, lost in April (from the start)
--   9002 2023-03-31 .. 2023-04-01: new in March, lost in April (from the start)
--   9003 2023-04-01 .. 2023-04-01: new and lost in April (not from the start)
--   9004 2023-02-28 .. 2023-03-01: new in February, lost in March (from the start)
CREATE TABLE dedge AS SELECT * FROM dcust WHERE id > 9000;
ALTER TABLE dedge ADD PRIMARY KEY (id);
SELECT churn.track('dedge', customer => 'id', since => 'since', until => 'until', time_zone => 'America/New_York');
SELECT to_char(bucket_start AT TIME ZONE 'America/New_York', 'YYYY-MM-DD HH24:MI') AS local_start,
	   at_start, new, lost, lost_from_start, at_end, churn_rate, retention_rate
  FROM churn.churn_summary WHERE relation = 'dedge'::regclass AND bucket_start < '2023-06-01'
 ORDER BY bucket_start;

-- 2. timestamptz columns bucketed in Asia/Kolkata (+05:30), read under other
-- TimeZone settings: the same rows, the same bucket starts.
CREATE TABLE tcust (
	id int PRIMARY KEY,
	since timestamptz NOT NULL,
	until timestamptz,
	region text NOT NULL
);
INSERT INTO tcust
SELECT i, s, CASE WHEN random() < 0.35 THEN s + random() * interval '200 days' END,
	   (ARRAY['north', 'south'])[1 + floor(random() * 2)::int]
  FROM (SELECT i, timestamptz '2024-01-01 00:00+00' + random() * interval '400 days' AS s
		  FROM generate_series(1, 1000) i) x;
-- exactly on a Kolkata month edge (2024-03-01 00:00+05:30), and just before
INSERT INTO tcust VALUES
	(5001, '2024-02-29 18:30:00+00', '2024-03-31 18:30:00+00', 'north'),
	(5002, '2024-02-29 18:29:59+00', NULL, 'north');
SELECT churn.track('tcust', customer => 'id', since => 'since', until => 'until',
				   segments => ARRAY['region'], bucket => '1 month', time_zone => 'Asia/Kolkata');
UPDATE tcust SET until = since + interval '30 days' WHERE id % 5 = 0 AND until IS NULL;

CREATE VIEW t_diff AS
WITH cells AS (
	SELECT region, date_trunc('month', min(since) AT TIME ZONE 'Asia/Kolkata') AS first FROM tcust GROUP BY 1
), grid AS (
	SELECT c.region, g AT TIME ZONE 'Asia/Kolkata' AS lower, (g + interval '1 month') AT TIME ZONE 'Asia/Kolkata' AS upper
	  FROM cells c,
		   generate_series(c.first, date_trunc('month', now() AT TIME ZONE 'Asia/Kolkata'), interval '1 month') g
), want AS (
	SELECT jsonb_build_object('region', g.region) AS segment, g.lower AS bucket_start, g.upper AS bucket_end,
		   count(*) FILTER (WHERE since < lower AND (until IS NULL OR until >= lower)) AS at_start,
		   count(*) FILTER (WHERE since >= lower AND since < upper) AS new,
		   count(*) FILTER (WHERE until >= lower AND until < upper) AS lost,
		   count(*) FILTER (WHERE since < lower AND until >= lower AND until < upper) AS lost_from_start,
		   count(*) FILTER (WHERE since < upper AND (until IS NULL OR until >= upper)) AS at_end
	  FROM grid g LEFT JOIN tcust c ON c.region = g.region
	 GROUP BY g.region, g.lower, g.upper
), got AS (
	SELECT segment, bucket_start, bucket_end, at_start, new, lost, lost_from_start, at_end
	  FROM churn.churn_summary WHERE relation = 'tcust'::regclass
)
SELECT (SELECT count(*) FROM want WHERE bucket_start < '2026-01-01 00:00+05:30') AS oracle_rows_to_2025,
	   (SELECT count(*) FROM (SELECT * FROM got EXCEPT SELECT * FROM want) x) AS extra,
	   (SELECT count(*) FROM (SELECT * FROM want EXCEPT SELECT * FROM got) x) AS missing,
	   (SELECT max(bucket_start) = date_trunc('month', now() AT TIME ZONE 'Asia/Kolkata') AT TIME ZONE 'Asia/Kolkata'
		  FROM got) AS through_now;

SELECT * FROM t_diff;
CREATE TEMP TABLE t_utc AS SELECT * FROM churn.churn_summary WHERE relation = 'tcust'::regclass;
SET TimeZone = 'America/Los_Angeles';
SELECT * FROM t_diff;
SELECT count(*) AS changed_under_la FROM (
	(SELECT * FROM churn.churn_summary WHERE relation = 'tcust'::regclass EXCEPT SELECT * FROM t_utc)
	UNION ALL
	(SELECT * FROM t_utc EXCEPT SELECT * FROM churn.churn_summary WHERE relation = 'tcust'::regclass)) x;
-- writes under another TimeZone are bucketed the same way
UPDATE tcust SET until = until + interval '3 days 7 hours' WHERE id % 3 = 0 AND until IS NOT NULL;
SET TimeZone = 'Pacific/Auckland';
UPDATE tcust SET since = since - interval '11 hours' WHERE id % 4 = 0;
INSERT INTO tcust
SELECT i, timestamptz '2024-03-31 18:00+00' + i * interval '1 minute', NULL, 'south'
  FROM generate_series(6001, 6060) i;
SELECT * FROM t_diff;
SET TimeZone = 'UTC';
-- the edge rows: 5001 starts in the Kolkata March bucket, 5002 in February;
-- 5001 stops exactly at the start of April (Kolkata)
SELECT to_char(bucket_start AT TIME ZONE 'Asia/Kolkata', 'YYYY-MM-DD HH24:MI') AS local_start,
	   bucket_start, bucket_end
  FROM churn.churn_summary WHERE relation = 'tcust'::regclass AND segment->>'region' = 'north'
   AND bucket_start BETWEEN '2024-02-01' AND '2024-04-15' ORDER BY bucket_start;
SELECT count(*) AS verify_diffs FROM churn.verify('tcust');

-- 2b. Zones of a fixed offset from UTC (an Etc/GMT zone, a POSIX offset, an
-- abbreviation that is also a zone) are converted by adding the offset, not
-- through timezone() per value: the buckets of rows captured in C (an
-- INSERT after track, an UPDATE) must be those of timezone(), edges
-- included, and verify (which recomputes with timezone()) must agree.
CREATE TABLE fzone (zone text, id int PRIMARY KEY, since timestamptz NOT NULL, until timestamptz);
CREATE TABLE fz_gmt8 (LIKE fzone INCLUDING ALL);
CREATE TABLE fz_posix (LIKE fzone INCLUDING ALL);
CREATE TABLE fz_est (LIKE fzone INCLUDING ALL);
SELECT churn.track('fz_gmt8', customer => 'id', since => 'since', until => 'until', time_zone => 'Etc/GMT-8'),
	   churn.track('fz_posix', customer => 'id', since => 'since', until => 'until', time_zone => '<+0530>-05:30'),
	   churn.track('fz_est', customer => 'id', since => 'since', until => 'until', time_zone => 'EST');
CREATE FUNCTION fz_fill(t regclass, zone text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	-- every month edge of 2024 in the zone, a microsecond before and on it
	EXECUTE format('INSERT INTO %s (zone, id, since, until)
		SELECT $1, 2 * m + k, (edge - k * interval ''1 microsecond'') AT TIME ZONE $1,
			   CASE WHEN m %% 3 = 0 THEN (edge + interval ''1 month'' - k * interval ''1 microsecond'') AT TIME ZONE $1 END
		  FROM generate_series(0, 11) m, generate_series(0, 1) k,
			   LATERAL (SELECT timestamp ''2024-01-01'' + m * interval ''1 month'' AS edge) e', t)
		USING zone;
	EXECUTE format('UPDATE %s SET until = since + interval ''40 days'' WHERE id %% 4 = 1 AND until IS NULL', t);
END
$$;
SELECT fz_fill('fz_gmt8', 'Etc/GMT-8'), fz_fill('fz_posix', '<+0530>-05:30'), fz_fill('fz_est', 'EST');
CREATE FUNCTION fz_diff(t regclass, zone text) RETURNS int8 LANGUAGE plpgsql AS $$
DECLARE
	n int8;
BEGIN
	EXECUTE format('
		WITH want AS (
			SELECT b, sum(new) AS new, sum(lost) AS lost FROM (
				SELECT date_trunc(''month'', since AT TIME ZONE $1) AS b, 1 AS new, 0 AS lost FROM %1$s
				UNION ALL
				SELECT date_trunc(''month'', until AT TIME ZONE $1), 0, 1 FROM %1$s WHERE until IS NOT NULL) x
			 GROUP BY b
		), got AS (
			SELECT bucket_start AT TIME ZONE $1 AS b, sum(new) AS new, sum(lost) AS lost
			  FROM churn.churn_summary WHERE relation = $2 AND (new <> 0 OR lost <> 0) GROUP BY 1
		)
		SELECT (SELECT count(*) FROM (SELECT * FROM want EXCEPT SELECT * FROM got) a)
			 + (SELECT count(*) FROM (SELECT * FROM got EXCEPT SELECT * FROM want) b)
			 + (SELECT count(*) FROM churn.verify($2))', t) INTO n USING zone, t;
	RETURN n;
END
$$;
SELECT fz_diff('fz_gmt8', 'Etc/GMT-8') AS gmt8_diffs, fz_diff('fz_posix', '<+0530>-05:30') AS posix_diffs,
	   fz_diff('fz_est', 'EST') AS est_diffs;
-- each zone's months really start at its own local midnight
SELECT (SELECT min(bucket_start) FROM churn.churn_summary WHERE relation = 'fz_gmt8'::regclass) AS gmt8_first,
	   (SELECT min(bucket_start) FROM churn.churn_summary WHERE relation = 'fz_posix'::regclass) AS posix_first,
	   (SELECT min(bucket_start) FROM churn.churn_summary WHERE relation = 'fz_est'::regclass) AS est_first;
SELECT churn.untrack('fz_gmt8'), churn.untrack('fz_posix'), churn.untrack('fz_est');
DROP TABLE fzone, fz_gmt8, fz_posix, fz_est;
DROP FUNCTION fz_fill(regclass, text), fz_diff(regclass, text);

-- 2c. Zones with daylight saving time: a statement of many rows converts
-- through a memo of each UTC day's offset, made after its first 64 values,
-- and a day with a change of offset through timezone().  Rows at every
-- change of 2023-2024 (a microsecond and an hour either side), at every
-- local midnight of a month's first day, and one a day, in one INSERT and
-- one UPDATE, bucketed by hour and by month, against timezone() over the
-- rows.  Lord Howe moves by half an hour, St. John's is 3:30 behind UTC.
CREATE TABLE dz (id int PRIMARY KEY, since timestamptz NOT NULL, until timestamptz);
CREATE FUNCTION dz_fill(t regclass, zone text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE format('INSERT INTO %s (id, since, until)
		SELECT row_number() OVER (ORDER BY t), t, CASE WHEN n %% 3 = 0 THEN t + interval ''20 days 1 hour'' END
		  FROM (SELECT t, row_number() OVER (ORDER BY t) AS n FROM (
				SELECT DISTINCT x + d * interval ''1 microsecond'' + h * interval ''1 hour'' AS t
				  FROM (SELECT utc_offset, lag(utc_offset) OVER (ORDER BY g) AS before, g AS x
						  FROM generate_series(timestamptz ''2023-01-01'', ''2025-01-01'', interval ''15 minutes'') g,
							   LATERAL (SELECT (g AT TIME ZONE $1) - (g AT TIME ZONE ''UTC'') AS utc_offset) o) c,
					   generate_series(-1, 0) d, generate_series(-1, 1) h
				 WHERE utc_offset <> before
				UNION
				SELECT (m + d * interval ''1 microsecond'') AT TIME ZONE $1
				  FROM generate_series(timestamp ''2023-01-01'', ''2024-12-01'', interval ''1 month'') m,
					   generate_series(-1, 0) d
				UNION
				SELECT g FROM generate_series(timestamptz ''2023-01-01 13:17'', ''2024-12-31'', interval ''1 day 7 minutes'') g
			) a) b', t) USING zone;
	EXECUTE format('UPDATE %s SET until = since + interval ''3 days 30 minutes'' WHERE id %% 4 = 1 AND until IS NULL', t);
END
$$;
CREATE FUNCTION dz_diff(t regclass, zone text, width text) RETURNS int8 LANGUAGE plpgsql AS $$
DECLARE
	n int8;
BEGIN
	EXECUTE format('
		WITH want AS (
			SELECT b, sum(new) AS new, sum(lost) AS lost FROM (
				SELECT date_trunc($3, since AT TIME ZONE $1) AS b, 1 AS new, 0 AS lost FROM %1$s
				UNION ALL
				SELECT date_trunc($3, until AT TIME ZONE $1), 0, 1 FROM %1$s WHERE until IS NOT NULL) x
			 GROUP BY b
		), got AS (
			SELECT bucket_start AT TIME ZONE $1 AS b, sum(new) AS new, sum(lost) AS lost
			  FROM churn.churn_summary WHERE relation = $2 AND (new <> 0 OR lost <> 0) GROUP BY 1
		)
		-- (an hour that does not exist locally, 02:00 on the night Lord Howe
		-- skips to 02:30, starts at the instant timestamptz gives it)
		SELECT (SELECT count(*) FROM (SELECT (b AT TIME ZONE $1) AT TIME ZONE $1, new, lost FROM want
									  EXCEPT SELECT * FROM got) a)
			 + (SELECT count(*) FROM (SELECT * FROM got EXCEPT
									  SELECT (b AT TIME ZONE $1) AT TIME ZONE $1, new, lost FROM want) b)
			 + (SELECT count(*) FROM churn.verify($2))', t) INTO n USING zone, t, width;
	RETURN n;
END
$$;
CREATE FUNCTION dz_check(z text) RETURNS TABLE (zone text, rows int8, hour_diffs int8, month_diffs int8)
LANGUAGE plpgsql AS $$
BEGIN
	CREATE TABLE dz_hour (LIKE dz INCLUDING ALL);
	CREATE TABLE dz_month (LIKE dz INCLUDING ALL);
	PERFORM churn.track('dz_hour', customer => 'id', since => 'since', until => 'until', bucket => '1 hour', time_zone => dz_check.z),
			churn.track('dz_month', customer => 'id', since => 'since', until => 'until', bucket => '1 month', time_zone => dz_check.z);
	PERFORM dz_fill('dz_hour', dz_check.z), dz_fill('dz_month', dz_check.z);
	RETURN QUERY SELECT dz_check.z, (SELECT count(*) FROM dz_hour),
						dz_diff('dz_hour', dz_check.z, 'hour'), dz_diff('dz_month', dz_check.z, 'month');
	PERFORM churn.untrack('dz_hour'), churn.untrack('dz_month');
	DROP TABLE dz_hour, dz_month;
END
$$;
-- (the UPDATE of a few hundred rows in C too)
SET churn.capture_fast_max = 1000;
SELECT c.* FROM unnest(ARRAY['Europe/Berlin', 'Australia/Lord_Howe', 'America/St_Johns']) z, dz_check(z) c;
RESET churn.capture_fast_max;
DROP FUNCTION dz_fill(regclass, text), dz_diff(regclass, text, text), dz_check(text);
DROP TABLE dz;

-- 3. Weekly buckets start on Monday; quarters on January, April, July, October.
SELECT churn.bucket_floor('2024-03-06 15:00', '1 week') AS wednesday_week,
	   churn.bucket_floor('2024-03-04 00:00', '1 week') AS monday_week,
	   churn.bucket_floor('2024-03-03 23:59:59', '1 week') AS sunday_week,
	   churn.bucket_floor('2024-05-20 10:00', '3 months') AS quarter,
	   churn.bucket_floor('2024-12-31 23:59', '1 year') AS year,
	   churn.bucket_floor('1999-12-31 23:59', '1 week') AS before_origin,
	   churn.bucket_floor('0044-03-15 12:00 BC', '3 months') AS bc_quarter,
	   churn.bucket_floor('2024-03-06 15:47', '6 hours') AS six_hours;
-- month widths against date_trunc, over 3,100 years of timestamps (BC
-- included) and the microseconds around month edges
SELECT count(*) AS n,
	   count(*) FILTER (WHERE churn.bucket_floor(t, '1 month') <> date_trunc('month', t)) AS month_diffs,
	   count(*) FILTER (WHERE churn.bucket_floor(t, '3 months') <> date_trunc('quarter', t)) AS quarter_diffs,
	   count(*) FILTER (WHERE churn.bucket_floor(t, '1 year') <> date_trunc('year', t)) AS year_diffs
  FROM (SELECT generate_series(timestamp '1000-01-01 BC', timestamp '2100-01-01',
							   interval '7 days 3 hours 17 minutes 1.5 seconds') AS t
		UNION ALL
		SELECT e + d * interval '1 microsecond'
		  FROM generate_series(timestamp '0002-01-01 BC', timestamp '2030-01-01', interval '1 month') e,
			   generate_series(-1, 0) d) x;
-- the earliest months: December 4713 BC lies in range; November 4714 BC
-- starts before the earliest timestamp (4714-11-24 BC): 22008
SELECT churn.bucket_floor('4713-12-31 23:59:59.999999 BC', '1 month') AS first_december;
\set VERBOSITY sqlstate
SELECT churn.bucket_floor('4714-11-24 00:00 BC', '1 month');  -- 22008
SELECT churn.bucket_floor('0002-06-01 BC', '1000000 years');  -- 22008
SELECT churn.bucket_floor('2024-03-06', '1 month 2 days');   -- 22023
SELECT churn.bucket_floor('2024-03-06', '-1 month');         -- 22023
\set VERBOSITY default

SELECT churn.untrack('dcust'), churn.untrack('dedge'), churn.untrack('tcust');
DROP VIEW d_diff, d_oracle, t_diff;
DROP TABLE dcust, dedge, tcust;
