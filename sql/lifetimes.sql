--
-- lifetimes: churn.customer_lifetimes reads any tracked table through the
-- columns track was given (timestamptz, timestamp and date), by segment.
-- Oracle: the same lifetimes computed in plain SQL over the base table;
-- hand-checked rows; Kaplan-Meier and log-rank over them as over the oracle.
--
SET TimeZone = 'UTC';
SET client_min_messages = warning;

CREATE TABLE lt_tz (id int PRIMARY KEY, since timestamptz NOT NULL, until timestamptz,
					branch text NOT NULL, plan text NOT NULL);
INSERT INTO lt_tz VALUES
	(1, '2024-01-01 00:00+00', '2024-01-31 00:00+00', 'north', 'monthly'),	-- 30 days, churned
	(2, '2024-01-01 00:00+00', NULL, 'north', 'annual'),						-- to as_of: 60 days
	(3, '2024-02-01 00:00+00', '2024-03-15 00:00+00', 'south', 'monthly'),	-- churns after as_of: 29 days, stays
	(4, '2024-03-10 00:00+00', NULL, 'south', 'annual');						-- starts after as_of: left out
SELECT churn.track('lt_tz', customer => 'id', since => 'since', until => 'until', channel => 'branch',
				   segments => ARRAY['plan'], time_zone => 'UTC');

-- hand-checked: as of 2024-03-01, in days
SELECT * FROM churn.customer_lifetimes('lt_tz', as_of => '2024-03-01 00:00+00') ORDER BY customer;
SELECT * FROM churn.customer_lifetimes('lt_tz', 'branch', '1 week', '2024-03-01 00:00+00') ORDER BY customer;
SELECT * FROM churn.customer_lifetimes('lt_tz', 'plan', '1 month', '2024-03-01 00:00+00') ORDER BY customer;

-- generated customers, in the three time types; oracle in plain SQL
SELECT setseed(0.4242);
CREATE TABLE lt_gen AS
SELECT i AS id, s, CASE WHEN random() < 0.4 THEN s + random() * interval '700 days' END AS u,
	   (ARRAY['web', 'shop', 'phone'])[1 + i % 3] AS channel, (ARRAY['m', 'y'])[1 + i % 2] AS plan
  FROM (SELECT i, timestamptz '2022-01-01 00:00+00' + random() * interval '900 days' AS s
		  FROM generate_series(1, 3000) i) g;
CREATE TABLE lt_ts (id int PRIMARY KEY, since timestamp NOT NULL, until timestamp, channel text, plan text);
INSERT INTO lt_ts SELECT id, s AT TIME ZONE 'Asia/Kolkata', u AT TIME ZONE 'Asia/Kolkata', channel, plan FROM lt_gen;
CREATE TABLE lt_d (id int PRIMARY KEY, since date NOT NULL, until date, channel text, plan text);
INSERT INTO lt_d SELECT id, (s AT TIME ZONE 'America/New_York')::date,
	   (u AT TIME ZONE 'America/New_York')::date, channel, plan FROM lt_gen;
SELECT churn.track('lt_ts', customer => 'id', since => 'since', until => 'until', channel => 'channel',
				   segments => ARRAY['plan'], time_zone => 'Asia/Kolkata');
SELECT churn.track('lt_d', customer => 'id', since => 'since', until => 'until', channel => 'channel',
				   segments => ARRAY['plan'], time_zone => 'America/New_York');

CREATE TEMP TABLE lt_oracle AS
SELECT 'lt_ts' AS tbl, id::text AS customer, plan AS segment,
	   extract(epoch FROM least(coalesce(until AT TIME ZONE 'Asia/Kolkata', '2024-05-01 00:00+00'), '2024-05-01 00:00+00')
						  - since AT TIME ZONE 'Asia/Kolkata') / 86400 AS duration,
	   coalesce(until AT TIME ZONE 'Asia/Kolkata' <= '2024-05-01 00:00+00', false) AS churned
  FROM lt_ts WHERE since AT TIME ZONE 'Asia/Kolkata' <= '2024-05-01 00:00+00'
UNION ALL
SELECT 'lt_d', id::text, plan,
	   extract(epoch FROM least(coalesce(until::timestamp AT TIME ZONE 'America/New_York', '2024-05-01 00:00+00'),
								'2024-05-01 00:00+00') - since::timestamp AT TIME ZONE 'America/New_York') / 86400,
	   coalesce(until::timestamp AT TIME ZONE 'America/New_York' <= '2024-05-01 00:00+00', false)
  FROM lt_d WHERE since::timestamp AT TIME ZONE 'America/New_York' <= '2024-05-01 00:00+00';

SELECT o.tbl, count(*) AS customers,
	   count(*) FILTER (WHERE o.churned) AS churned,
	   count(*) FILTER (WHERE l.customer IS NULL OR l.segment IS DISTINCT FROM o.segment
						OR abs(l.duration - o.duration) > 1e-9 OR l.churned <> o.churned) AS differ
  FROM lt_oracle o
  LEFT JOIN (SELECT 'lt_ts' AS tbl, * FROM churn.customer_lifetimes('lt_ts', 'plan', '1 day', '2024-05-01 00:00+00')
			 UNION ALL
			 SELECT 'lt_d', * FROM churn.customer_lifetimes('lt_d', 'plan', '1 day', '2024-05-01 00:00+00')) l
	ON l.tbl = o.tbl AND l.customer = o.customer
 GROUP BY o.tbl ORDER BY o.tbl;
-- nothing more than the oracle
SELECT count(*) AS extra FROM churn.customer_lifetimes('lt_d', 'plan', '1 day', '2024-05-01 00:00+00') l
 WHERE NOT EXISTS (SELECT FROM lt_oracle o WHERE o.tbl = 'lt_d' AND o.customer = l.customer);

-- Kaplan-Meier and the log-rank test by segment, as over the oracle's rows
SELECT l.segment, churn.median_lifetime(churn.survival(l.duration, l.churned)) =
	   (SELECT churn.median_lifetime(churn.survival(o.duration, o.churned)) FROM lt_oracle o
		 WHERE o.tbl = 'lt_d' AND o.segment = l.segment) AS same_median
  FROM churn.customer_lifetimes('lt_d', 'plan', '1 day', '2024-05-01 00:00+00') l
 GROUP BY l.segment ORDER BY 1;
SELECT abs((churn.logrank(duration, churned, segment)).chi_square -
		   (SELECT (churn.logrank(duration, churned, segment)).chi_square FROM lt_oracle WHERE tbl = 'lt_d')) < 1e-9
	   AS same_chi_square
  FROM churn.customer_lifetimes('lt_d', 'plan', '1 day', '2024-05-01 00:00+00');

-- a dashboard's reader (churn.grant_reader) with SELECT on the table may
-- read it; on a table it may not read, it gets PostgreSQL's 42501
CREATE ROLE lt_reader;
SELECT churn.grant_reader('lt_reader');
GRANT SELECT ON lt_d TO lt_reader;
SET ROLE lt_reader;
SELECT count(*) > 0 AS reader_reads FROM churn.customer_lifetimes('lt_d', 'channel');
\set VERBOSITY sqlstate
SELECT count(*) FROM churn.customer_lifetimes('lt_tz');
\set VERBOSITY default
RESET ROLE;

-- errors
SELECT * FROM churn.customer_lifetimes('lt_gen');
SELECT * FROM churn.customer_lifetimes('lt_tz', 'region');
SELECT * FROM churn.customer_lifetimes('lt_tz', unit => '0 days');
SELECT * FROM churn.customer_lifetimes('lt_tz', unit => '-1 month');
SELECT * FROM churn.customer_lifetimes('lt_tz', as_of => NULL);
SELECT * FROM churn.customer_lifetimes(NULL);

SELECT churn.untrack('lt_tz'), churn.untrack('lt_ts'), churn.untrack('lt_d');
REVOKE SELECT ON lt_d FROM lt_reader;
SELECT churn.revoke_reader('lt_reader');
DROP ROLE lt_reader;
DROP TABLE lt_tz, lt_gen, lt_ts, lt_d;
