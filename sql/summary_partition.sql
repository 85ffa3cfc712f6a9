--
-- summary_partition: a partitioned customer table (range partitions on
-- since, one of them sub-partitioned), written through the parent and
-- directly into partitions; rows moving between partitions; TRUNCATE of
-- one partition and of the whole table; DROP of partitions.  Oracle: plain
-- SQL over the base table (no moves or reactivations here, but the move of
-- a customer whose partition is dropped) and churn.verify.
--
SET TimeZone = 'UTC';
SET client_min_messages = warning;
\set SHOW_CONTEXT never

CREATE TABLE pcust (
	id int NOT NULL,
	since date NOT NULL,
	until date,
	channel text NOT NULL,
	PRIMARY KEY (id, since)
) PARTITION BY RANGE (since);
CREATE TABLE pcust_2023 PARTITION OF pcust FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE pcust_2024 PARTITION OF pcust FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')
	PARTITION BY RANGE (since);
CREATE TABLE pcust_2024_h1 PARTITION OF pcust_2024 FOR VALUES FROM ('2024-01-01') TO ('2024-07-01');
CREATE TABLE pcust_2024_h2 PARTITION OF pcust_2024 FOR VALUES FROM ('2024-07-01') TO ('2025-01-01');
CREATE TABLE pcust_rest PARTITION OF pcust DEFAULT;

-- A unique key without the partition key cannot exist, so track accepts
-- the primary key (id, since).
INSERT INTO pcust VALUES (1, '2023-05-10', NULL, 'web'), (2, '2023-11-30', '2024-02-01', 'shop');
SELECT churn.track('pcust', customer => 'id', since => 'since', until => 'until', channel => 'channel',
				   time_zone => 'UTC');
SELECT tgrelid::regclass AS table_, count(*) AS triggers
  FROM pg_trigger WHERE tgname LIKE 'churn_summary_%' GROUP BY 1 ORDER BY 1;

CREATE VIEW p_diff AS
WITH cells AS (
	SELECT channel, date_trunc('month', min(since))::date AS first FROM pcust GROUP BY 1
), grid AS (
	SELECT c.channel, g::date AS lower, (g + interval '1 month')::date AS upper
	  FROM cells c, generate_series(c.first, date_trunc('month', now()), interval '1 month') g
), want AS (
	SELECT g.channel, g.lower::timestamptz AS bucket_start,
		   count(*) FILTER (WHERE since < lower AND (until IS NULL OR until >= lower)) AS at_start,
		   count(*) FILTER (WHERE since >= lower AND since < upper) AS new,
		   count(*) FILTER (WHERE until >= lower AND until < upper) AS lost,
		   count(*) FILTER (WHERE since < lower AND until >= lower AND until < upper) AS lost_from_start,
		   count(*) FILTER (WHERE since < upper AND (until IS NULL OR until >= upper)) AS at_end
	  FROM grid g LEFT JOIN pcust c ON c.channel = g.channel
	 GROUP BY g.channel, g.lower
), got AS (
	SELECT channel, bucket_start, at_start, new, lost, lost_from_start, at_end
	  FROM churn.churn_summary WHERE relation = 'pcust'::regclass
)
-- The view has a row for every month through the current one, so the
-- number of rows grows with the calendar: the count shown stops at the end
-- of 2025 (the data ends in 2025), the comparisons cover every row, and
-- through_now says the last row is the current month's.
SELECT (SELECT count(*) FROM want WHERE bucket_start < '2026-01-01') AS oracle_rows_to_2025,
	   (SELECT count(*) FROM (SELECT * FROM got EXCEPT SELECT * FROM want) x) AS extra,
	   (SELECT count(*) FROM (SELECT * FROM want EXCEPT SELECT * FROM got) x) AS missing,
	   (SELECT count(*) FROM churn.verify('pcust')) AS verify_diffs,
	   (SELECT max(bucket_start) = date_trunc('month', now()) FROM got) AS through_now;

SELECT * FROM p_diff;

-- through the parent: multi-row INSERT routed to several partitions
INSERT INTO pcust
SELECT i, date '2023-01-01' + (i * 7) % 900, CASE WHEN i % 3 = 0 THEN date '2023-01-01' + (i * 7) % 900 + 60 END,
	   (ARRAY['web', 'shop', 'phone'])[1 + i % 3]
  FROM generate_series(10, 209) i;
SELECT * FROM p_diff;

-- directly into partitions (their own statement triggers capture)
INSERT INTO pcust_2024_h1 VALUES (300, '2024-03-03', NULL, 'web');
INSERT INTO pcust_2023 VALUES (301, '2023-03-03', '2023-03-04', 'phone');
UPDATE pcust_2024_h2 SET until = since + 10 WHERE id % 5 = 1 AND until IS NULL;
DELETE FROM pcust_rest WHERE id % 4 = 0;
SELECT * FROM p_diff;

-- a since correction moving rows across partitions (captured on the parent)
UPDATE pcust SET since = since + 200 WHERE id BETWEEN 20 AND 40 AND (until IS NULL OR until >= since + 200);
SELECT * FROM p_diff;

-- COPY into the parent
COPY pcust FROM stdin;
400	2023-12-31	2024-01-01	web
401	2024-01-01	\N	web
\.
SELECT * FROM p_diff;

-- TRUNCATE of one partition recomputes; TRUNCATE of the parent empties.
TRUNCATE pcust_2023;
SELECT * FROM p_diff;
SELECT churn.refresh('pcust') >= 0 AS refreshed;
SELECT * FROM p_diff;
TRUNCATE pcust;
SELECT count(*) AS summary_rows FROM churn.churn_summary WHERE relation = 'pcust'::regclass;

-- suspend and resume reach the partitions' triggers
SELECT churn.suspend('pcust');
SELECT count(*) FILTER (WHERE tgenabled = 'D') AS disabled, count(*) AS triggers
  FROM pg_trigger WHERE tgname LIKE 'churn_summary_%';
INSERT INTO pcust_2024_h1 VALUES (500, '2024-06-01', NULL, 'web');
SELECT churn.resume('pcust');
SELECT * FROM p_diff;

-- a partition created after track gets the triggers; a table attached with
-- rows is counted; a detached partition leaves (and loses its triggers)
CREATE TABLE pcust_2025 PARTITION OF pcust FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
INSERT INTO pcust_2025 VALUES (600, '2025-02-02', NULL, 'web');
CREATE TABLE pcust_2022 (LIKE pcust);
INSERT INTO pcust_2022 VALUES (601, '2022-05-05', '2022-06-06', 'shop'), (602, '2022-07-07', NULL, 'web');
ALTER TABLE pcust DETACH PARTITION pcust_rest;
ALTER TABLE pcust ATTACH PARTITION pcust_2022 FOR VALUES FROM ('2022-01-01') TO ('2023-01-01');
SELECT tgrelid::regclass AS table_, count(*) AS triggers
  FROM pg_trigger WHERE tgname LIKE 'churn_summary_%' GROUP BY 1 ORDER BY 1;
SELECT * FROM p_diff;
INSERT INTO pcust_rest VALUES (603, '2021-01-01', NULL, 'web');   -- no longer tracked: no error
UPDATE pcust_2022 SET until = '2022-08-08' WHERE id = 602;
SELECT * FROM p_diff;

-- a tracked column of the partitioned table renamed: a write to a
-- partition fails naming the tracked table, not the partition; renamed
-- back, the summaries still equal the rows
ALTER TABLE pcust RENAME COLUMN channel TO outlet;
-- (the error as a row, with its detail and hint: psql would print this
-- file's path before it)
CREATE FUNCTION p_error(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	detail text;
	hint text;
BEGIN
	EXECUTE q;
	RETURN NULL;
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
	RETURN SQLSTATE || ': ' || SQLERRM || coalesce(nullif(E'\nDETAIL: ' || detail, E'\nDETAIL: '), '')
		   || coalesce(nullif(E'\nHINT: ' || hint, E'\nHINT: '), '');
END
$$;
SELECT p_error($$UPDATE pcust_2022 SET until = '2022-09-09' WHERE id = 602$$);
ALTER TABLE pcust RENAME COLUMN outlet TO channel;
UPDATE pcust_2022 SET until = '2022-09-09' WHERE id = 602;
SELECT * FROM p_diff;

-- a partition may not be unlogged (a crash would empty it without churn
-- hearing of it): created, attached or altered so, the command fails and
-- nothing changed.  A partition made unlogged anyway (with the event
-- trigger off, as a table tracked by churn 1.0 could be) holds up no other
-- DDL command, on it or on other tables (a restore's foreign keys and
-- policies come after the triggers).
SELECT p_error($$CREATE UNLOGGED TABLE pcust_2026 PARTITION OF pcust FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')$$);
CREATE UNLOGGED TABLE pcust_2019 (LIKE pcust);
SELECT p_error($$ALTER TABLE pcust ATTACH PARTITION pcust_2019 FOR VALUES FROM ('2019-01-01') TO ('2020-01-01')$$);
SELECT p_error($$ALTER TABLE pcust_2025 SET UNLOGGED$$);
SELECT c.relname, c.relpersistence, c.relispartition
  FROM pg_class c WHERE c.relname IN ('pcust_2025', 'pcust_2026', 'pcust_2019') ORDER BY 1;
ALTER EVENT TRIGGER churn_follow_partitions DISABLE;
ALTER TABLE pcust_2025 SET UNLOGGED;
ALTER EVENT TRIGGER churn_follow_partitions ENABLE;
CREATE TABLE p_unrelated (x int);
ALTER TABLE pcust_2019 ADD COLUMN note text;
ALTER TABLE pcust_2025 ALTER COLUMN since SET STATISTICS 200;
ALTER TABLE pcust_2025 SET LOGGED;
DROP TABLE p_unrelated, pcust_2019;
SELECT * FROM p_diff;
DROP FUNCTION p_error(text);

-- a sub-partition detached from, and attached again to, a partition of the
-- tracked table: its rows leave and come back (the rebuild once followed
-- only ATTACH and DETACH on the tracked table itself)
INSERT INTO pcust VALUES (700, '2024-08-08', NULL, 'web'), (701, '2024-09-09', '2024-10-10', 'shop');
SELECT count(*) AS rows_h2 FROM pcust_2024_h2;
ALTER TABLE pcust_2024 DETACH PARTITION pcust_2024_h2;
SELECT * FROM p_diff;
ALTER TABLE pcust_2024 ATTACH PARTITION pcust_2024_h2 FOR VALUES FROM ('2024-07-01') TO ('2025-01-01');
SELECT * FROM p_diff;

-- DROP TABLE of a partition takes its rows without any trigger firing: its
-- customers leave the summaries before the command drops it, as a DELETE
-- of the rows would take them out, with their history (801's move); they
-- stayed counted, and verify found them, until churn 1.1.  A partitioned
-- partition takes its sub-partitions' rows with it; a DROP rolled back
-- leaves the summaries as they were; a suspended table is rebuilt by
-- resume as ever.
CREATE TABLE pcust_2021 PARTITION OF pcust FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');
INSERT INTO pcust VALUES (800, '2021-03-03', NULL, 'web'), (801, '2021-04-04', NULL, 'web'),
	(802, '2021-05-05', '2021-09-09', 'shop');
UPDATE pcust SET channel = 'shop' WHERE id = 801;
CREATE VIEW p_history AS
SELECT (SELECT count(*) FROM churn.history WHERE relid = 'pcust'::regclass) AS history_rows,
	   (SELECT count(*) FROM churn.diversion_summary WHERE relation = 'pcust'::regclass) AS move_rows;
SELECT * FROM p_history;
DROP TABLE pcust_2021, public.pcust_2021;   -- named twice: taken out once
SELECT * FROM p_diff;
SELECT * FROM p_history;
SELECT count(*) AS rows_2024 FROM pcust_2024;
BEGIN;
DROP TABLE pcust_2024;
SELECT * FROM p_diff;
ROLLBACK;
SELECT * FROM p_diff;
DROP TABLE pcust_2024_h2, pcust_2024;   -- a sub-partition goes with its parent
SELECT * FROM p_diff;
SELECT suspended FROM churn.suspend('pcust');
DROP TABLE pcust_2022;
SELECT customers FROM churn.resume('pcust');
SELECT * FROM p_diff;
-- by a role that owns the partition alone (churn's part runs as the
-- extension owner, whose churn's tables are)
INSERT INTO pcust VALUES (900, '2023-06-06', NULL, 'web'), (901, '2025-03-03', '2025-04-04', 'shop');
CREATE ROLE p_partition_owner;
ALTER TABLE pcust_2025 OWNER TO p_partition_owner;
SET ROLE p_partition_owner;
DROP TABLE pcust_2025;
RESET ROLE;
DROP ROLE p_partition_owner;
SELECT * FROM p_diff;
DROP VIEW p_history;

SELECT churn.untrack('pcust');
SELECT count(*) AS triggers_left FROM pg_trigger WHERE tgname LIKE 'churn_summary_%';
DROP TABLE pcust_rest;
DROP VIEW p_diff;
DROP TABLE pcust;
