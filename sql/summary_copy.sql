--
-- summary_copy: COPY into a tracked table, small (captured in C) and large
-- (captured by the set-based statement), an aborted COPY, and multi-row
-- statements above and below the size where capture changes path.  Oracle:
-- plain SQL over the base table and churn.verify.
--
SET TimeZone = 'UTC';
SET client_min_messages = warning;
\set SHOW_CONTEXT never

CREATE TABLE ccust (
	id int PRIMARY KEY,
	since date NOT NULL,
	until date,
	channel text NOT NULL,
	reason text
);
SELECT churn.track('ccust', customer => 'id', since => 'since', until => 'until',
				   channel => 'channel', reason => 'reason', time_zone => 'UTC');

CREATE VIEW c_diff AS
WITH cells AS (
	SELECT channel, date_trunc('month', min(since))::date AS first FROM ccust GROUP BY 1
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
	  FROM grid g LEFT JOIN ccust c ON c.channel = g.channel
	 GROUP BY g.channel, g.lower
), got AS (
	SELECT channel, bucket_start, at_start, new, lost, lost_from_start, at_end
	  FROM churn.churn_summary WHERE relation = 'ccust'::regclass
), reasons_want AS (
	SELECT date_trunc('month', until)::timestamptz AS bucket_start, channel, reason, count(*) AS lost
	  FROM ccust WHERE until IS NOT NULL GROUP BY 1, 2, 3
), reasons_got AS (
	SELECT bucket_start, channel, reason, lost FROM churn.churn_reasons WHERE relation = 'ccust'::regclass
)
SELECT (SELECT count(*) FROM ccust) AS customers,
	   (SELECT count(*) FROM (SELECT * FROM got EXCEPT SELECT * FROM want) x)
	   + (SELECT count(*) FROM (SELECT * FROM want EXCEPT SELECT * FROM got) x) AS summary_diffs,
	   (SELECT count(*) FROM (SELECT * FROM reasons_got EXCEPT SELECT * FROM reasons_want) x)
	   + (SELECT count(*) FROM (SELECT * FROM reasons_want EXCEPT SELECT * FROM reasons_got) x) AS reason_diffs,
	   (SELECT count(*) FROM churn.verify('ccust')) AS verify_diffs;

-- a small COPY
COPY ccust FROM stdin;
1	2024-01-31	2024-02-01	web	price
2	2024-02-01	\N	web	\N
3	2024-02-29	2024-02-29	shop	service
\.
SELECT * FROM c_diff;

-- a large COPY (5000 rows, over the C-capture size)
SELECT setseed(0.75);
CREATE TEMP TABLE src AS
SELECT i AS id, s AS since, CASE WHEN random() < 0.4 THEN s + (random() * 300)::int END AS until,
	   (ARRAY['web', 'shop', 'phone'])[1 + floor(random() * 3)::int] AS channel,
	   (ARRAY['price', 'service', NULL])[1 + floor(random() * 3)::int] AS reason
  FROM (SELECT i, date '2023-01-01' + (random() * 600)::int AS s FROM generate_series(100, 5099) i) x;
-- (psql's \copy: the COPY runs on the server FROM STDIN)
\copy src TO 'results/summary_copy.data'
\copy ccust FROM 'results/summary_copy.data'
SELECT * FROM c_diff;

-- an aborted COPY (a duplicate key in the last line) leaves no trace
CREATE TEMP TABLE deltas_before AS SELECT count(*) AS n FROM churn.summary_delta;
\set VERBOSITY terse
COPY ccust FROM stdin;
9000	2024-01-01	\N	web	\N
9001	2024-01-01	\N	web	\N
1	2024-01-01	\N	web	\N
\.
\set VERBOSITY default
SELECT (SELECT count(*) FROM churn.summary_delta) = (SELECT n FROM deltas_before) AS no_new_deltas;
SELECT * FROM c_diff;

-- multi-row UPDATE and DELETE on both sides of the size limit
UPDATE ccust SET until = since + 30 WHERE until IS NULL AND id % 10 = 0;       -- a few hundred rows
SELECT * FROM c_diff;
UPDATE ccust SET until = until + 1 WHERE until IS NOT NULL;                    -- about 2000 rows
SELECT * FROM c_diff;
UPDATE ccust SET channel = 'shop' WHERE id % 997 = 0;                          -- moves, a handful
SELECT count(*) AS verify_diffs FROM churn.verify('ccust');
DELETE FROM ccust WHERE id % 3 = 0;                                            -- about 1700 rows
SELECT count(*) AS verify_diffs FROM churn.verify('ccust');
SELECT churn.refresh('ccust') > 0 AS folded;
SELECT count(*) AS verify_diffs FROM churn.verify('ccust');

SELECT churn.untrack('ccust');
DROP VIEW c_diff;
DROP TABLE ccust;
