--
-- rates: churn_rate, retention_rate (single period, with and without minimum
-- tenure), checked against hand-worked numbers and COUNT(*) FILTER plain SQL.
--
SET DateStyle = 'ISO, YMD';
SET TimeZone = 'Europe/Berlin';
SET extra_float_digits = 0;
SET jit = off;	-- the plain-SQL oracles are costed high: JIT compilation only slows them

-- error reporter: SQLSTATE and message of a statement
CREATE FUNCTION rates_err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ' ' || SQLERRM;
END $$;

-- The worked example of doc/period-aggregates.md: 1,000 lost of 10,000 at the start of a quarter
CREATE TABLE rates_q AS
SELECT i, date '2023-05-01' AS since,
       CASE WHEN i <= 1000 THEN date '2024-01-01' + (i % 90) END AS until
  FROM generate_series(1, 10000) i;
SELECT churn.churn_rate(since, until, daterange('2024-01-01', '2024-04-01')) AS churn,
       churn.retention_rate(since, until, daterange('2024-01-01', '2024-04-01')) AS retention
  FROM rates_q;
-- the same with timestamptz
SELECT churn.churn_rate(since::timestamptz, until::timestamptz,
                        tstzrange('2024-01-01', '2024-04-01')) AS churn
  FROM rates_q;
-- churn = 1 - retention when nobody new arrives
SELECT churn.churn_rate(since, until, daterange('2024-01-01', '2024-04-01'))
     + churn.retention_rate(since, until, daterange('2024-01-01', '2024-04-01')) = 1 AS sums_to_one
  FROM rates_q;

-- hand-worked boundary rows for P = [2024-01-01, 2024-04-01):
--   b1 since = lower                      new, at end
--   b2 until = lower                      at start, lost
--   b3 until = upper                      at start, at end
--   b4 since = upper                      nothing
--   b5 since = until = lower              new, new_lost
--   b6 since = until = upper - 1 day      new, new_lost
--   b7 until < lower                      nothing
--   b8 since inside, until = upper        new, at end
-- at_start 2, new 4, lost 1, new_lost 2, at_end 3:
-- churn = 1/2, retention = (3 - 4)/2 = -0.5
CREATE TABLE rates_b (id text, since date, until date);
INSERT INTO rates_b VALUES
 ('b1', '2024-01-01', NULL), ('b2', '2023-12-01', '2024-01-01'),
 ('b3', '2023-12-01', '2024-04-01'), ('b4', '2024-04-01', NULL),
 ('b5', '2024-01-01', '2024-01-01'), ('b6', '2024-03-31', '2024-03-31'),
 ('b7', '2023-06-01', '2023-12-31'), ('b8', '2024-02-10', '2024-04-01');
SELECT churn.churn_rate(since, until, daterange('2024-01-01', '2024-04-01')) AS churn,
       churn.retention_rate(since, until, daterange('2024-01-01', '2024-04-01')) AS retention
  FROM rates_b;
-- the same period written as an inclusive daterange and as tstzrange with
-- other bound kinds (converted exactly to [lower, upper))
SELECT churn.churn_rate(since, until, daterange('2024-01-01', '2024-03-31', '[]')) AS churn_incl,
       churn.churn_rate(since::timestamptz, until::timestamptz,
                        tstzrange('2023-12-31 23:59:59.999999+01', '2024-03-31 23:59:59.999999+02', '(]')) AS churn_tstz
  FROM rates_b;

-- zero customers, and no customer at the start: NULL
SELECT churn.churn_rate(since, until, daterange('2024-01-01', '2024-04-01')) IS NULL AS no_rows
  FROM rates_b WHERE false;
SELECT churn.churn_rate(since, until, daterange('2024-01-01', '2024-04-01')) IS NULL AS no_start,
       churn.retention_rate(since, until, daterange('2024-01-01', '2024-04-01')) IS NULL AS no_start_ret
  FROM rates_b WHERE id IN ('b1', 'b4', 'b5');
-- NULL since is not a customer
SELECT churn.churn_rate(since, until, daterange('2024-01-01', '2024-04-01')) AS churn
  FROM (SELECT since, until FROM rates_b UNION ALL SELECT NULL, NULL) s;

-- generated data with segments, checked against COUNT(*) FILTER
SELECT setseed(0.42);
CREATE TABLE rates_c AS
SELECT i, i % 4 AS seg, d AS since,
       CASE WHEN r < 0.35 THEN NULL ELSE d + (random() * 500)::int END AS until
  FROM (SELECT i, date '2022-10-01' + (random() * 800)::int AS d, random() AS r
          FROM generate_series(1, 6000) i) s;
INSERT INTO rates_c SELECT 100000 + row_number() OVER (), 0, since, until FROM rates_b;
INSERT INTO rates_c VALUES (200000, 5, '2024-05-01', NULL);	-- a segment with no one at start

CREATE TABLE rates_periods (p daterange);
INSERT INTO rates_periods VALUES
 ('[2024-01-01,2024-04-01)'), ('[2023-03-01,2023-03-02)'), ('[2022-01-01,2022-02-01)'),
 ('[2023-01-31,2023-02-28)'), ('[2024-02-29,2025-03-01)');

CREATE VIEW rates_sql AS
SELECT p, seg,
       count(*) FILTER (WHERE since < lower(p) AND (until IS NULL OR until >= lower(p))) AS at_start,
       count(*) FILTER (WHERE since >= lower(p) AND since < upper(p)) AS new,
       count(*) FILTER (WHERE since < lower(p) AND until >= lower(p) AND until < upper(p)) AS lost,
       count(*) FILTER (WHERE since >= lower(p) AND since < upper(p) AND until < upper(p)) AS new_lost,
       count(*) FILTER (WHERE since < upper(p) AND (until IS NULL OR until >= upper(p))) AS at_end
  FROM rates_periods CROSS JOIN rates_c
 GROUP BY p, seg;

SELECT count(*) AS groups,
       count(*) FILTER (WHERE s.at_start = 0) AS groups_without_start,
       bool_and(a.churn IS NOT DISTINCT FROM s.lost::float8 / nullif(s.at_start, 0)) AS churn_ok,
       bool_and(a.retention IS NOT DISTINCT FROM (s.at_end - s.new)::float8 / nullif(s.at_start, 0)) AS retention_ok,
       bool_and(a.churn_tz IS NOT DISTINCT FROM a.churn) AS tstz_ok
  FROM (SELECT p, seg,
               churn.churn_rate(since, until, p) AS churn,
               churn.retention_rate(since, until, p) AS retention,
               churn.churn_rate(since::timestamptz, until::timestamptz,
                                tstzrange(lower(p)::timestamptz, upper(p)::timestamptz)) AS churn_tz
          FROM rates_periods CROSS JOIN rates_c
         GROUP BY p, seg) a
  FULL JOIN rates_sql s USING (p, seg);

-- minimum tenure: rows that left before since + min_tenure are dropped from
-- every count; plain SQL drops them with a WHERE clause
SELECT count(*) AS groups,
       bool_and(a.churn IS NOT DISTINCT FROM s.churn) AS churn_ok,
       bool_and(a.retention IS NOT DISTINCT FROM s.retention) AS retention_ok,
       bool_and(a.churn_tz IS NOT DISTINCT FROM s.churn) AS tstz_ok
  FROM (SELECT p, seg,
               churn.churn_rate(since, until, p, '3 months') AS churn,
               churn.retention_rate(since, until, p, '3 months') AS retention,
               churn.churn_rate(since::timestamptz, until::timestamptz,
                                tstzrange(lower(p)::timestamptz, upper(p)::timestamptz),
                                '3 months') AS churn_tz
          FROM rates_periods CROSS JOIN rates_c
         GROUP BY p, seg) a
  FULL JOIN (SELECT p, seg,
                    (count(*) FILTER (WHERE since < lower(p) AND until >= lower(p) AND until < upper(p)))::float8
                    / nullif(count(*) FILTER (WHERE since < lower(p) AND (until IS NULL OR until >= lower(p))), 0) AS churn,
                    (count(*) FILTER (WHERE since < upper(p) AND (until IS NULL OR until >= upper(p)))
                     - count(*) FILTER (WHERE since >= lower(p) AND since < upper(p)))::float8
                    / nullif(count(*) FILTER (WHERE since < lower(p) AND (until IS NULL OR until >= lower(p))), 0) AS retention
               FROM rates_periods CROSS JOIN rates_c
              WHERE until IS NULL OR since + interval '3 months' <= until
              GROUP BY p, seg) s USING (p, seg);

-- tenure is calendar-correct: 2024-01-31 .. 2024-04-30 is exactly 3 months
-- (kept), 2024-01-31 .. 2024-04-29 is not (excluded)
SELECT churn.churn_rate(since, until, daterange('2024-04-01', '2024-05-01'), '3 months') AS kept,
       churn.churn_rate(since, until, daterange('2024-04-01', '2024-05-01'), '3 months 1 day') AS excluded
  FROM (VALUES (date '2024-01-31', date '2024-04-30')) v(since, until);
-- timestamptz tenure in local time across the DST change of 2024-03-31
-- (23 hours elapsed: '1 day' in local time, less than '24 hours')
SELECT churn.churn_rate(since, until, tstzrange('2024-03-31', '2024-05-01'), '1 day') AS kept,
       churn.churn_rate(since, until, tstzrange('2024-03-31', '2024-05-01'), '1 day 1 second') AS excluded,
       churn.churn_rate(since, until, tstzrange('2024-03-31', '2024-05-01'), '24 hours') AS excluded_24h
  FROM (VALUES (timestamptz '2024-03-30 12:00', timestamptz '2024-03-31 12:00')) v(since, until);

-- window frames (moving aggregates with inverse functions) vs plain SQL
SELECT count(*) AS rows_checked,
       bool_and(w.churn IS NOT DISTINCT FROM w.lost::float8 / nullif(w.at_start, 0)) AS churn_ok,
       bool_and(w.retention IS NOT DISTINCT FROM (w.at_end - w.new)::float8 / nullif(w.at_start, 0)) AS retention_ok,
       bool_and(w.churn_t IS NOT DISTINCT FROM w.lost_t::float8 / nullif(w.at_start_t, 0)) AS tenure_ok
  FROM (SELECT churn.churn_rate(since, until, '[2024-01-01,2024-04-01)') OVER f AS churn,
               churn.retention_rate(since, until, '[2024-01-01,2024-04-01)') OVER f AS retention,
               churn.churn_rate(since, until, '[2024-01-01,2024-04-01)', '2 months') OVER f AS churn_t,
               count(*) FILTER (WHERE since < '2024-01-01' AND (until IS NULL OR until >= '2024-01-01')) OVER f AS at_start,
               count(*) FILTER (WHERE since >= '2024-01-01' AND since < '2024-04-01') OVER f AS new,
               count(*) FILTER (WHERE since < '2024-01-01' AND until >= '2024-01-01' AND until < '2024-04-01') OVER f AS lost,
               count(*) FILTER (WHERE since < '2024-04-01' AND (until IS NULL OR until >= '2024-04-01')) OVER f AS at_end,
               count(*) FILTER (WHERE since < '2024-01-01' AND (until IS NULL OR until >= '2024-01-01')
                                  AND (until IS NULL OR since + interval '2 months' <= until)) OVER f AS at_start_t,
               count(*) FILTER (WHERE since < '2024-01-01' AND until >= '2024-01-01' AND until < '2024-04-01'
                                  AND since + interval '2 months' <= until) OVER f AS lost_t
          FROM rates_c
        WINDOW f AS (ORDER BY i ROWS BETWEEN 40 PRECEDING AND 5 FOLLOWING)) w;
-- a running (cumulative) frame per segment
SELECT count(*) AS rows_checked,
       bool_and(w.churn IS NOT DISTINCT FROM w.lost::float8 / nullif(w.at_start, 0)) AS running_ok
  FROM (SELECT churn.churn_rate(since, until, '[2023-06-01,2023-09-01)') OVER f AS churn,
               count(*) FILTER (WHERE since < '2023-06-01' AND (until IS NULL OR until >= '2023-06-01')) OVER f AS at_start,
               count(*) FILTER (WHERE since < '2023-06-01' AND until >= '2023-06-01' AND until < '2023-09-01') OVER f AS lost
          FROM rates_c
        WINDOW f AS (PARTITION BY seg ORDER BY since, i)) w;

-- errors
SELECT rates_err($$SELECT churn.churn_rate(d, d - 1, daterange('2024-01-01','2024-02-01')) FROM (VALUES (date '2024-01-10')) v(d)$$);
SELECT rates_err($$SELECT churn.churn_rate(t, t - interval '1 hour', tstzrange('2024-01-01','2024-02-01')) FROM (VALUES (timestamptz '2024-01-10 12:00')) v(t)$$);
SELECT rates_err($$SELECT churn.churn_rate(since, until, 'empty'::daterange) FROM rates_b$$);
SELECT rates_err($$SELECT churn.churn_rate(since, until, daterange('2024-01-01', NULL)) FROM rates_b$$);
SELECT rates_err($$SELECT churn.churn_rate(since, until, daterange(NULL, '2024-01-01')) FROM rates_b$$);
SELECT rates_err($$SELECT churn.churn_rate(since, until, daterange('2024-01-01', 'infinity')) FROM rates_b$$);
SELECT rates_err($$SELECT churn.churn_rate(since::timestamptz, until::timestamptz, tstzrange('2024-01-01', '2024-01-01 00:00:00.000001', '()')) FROM rates_b$$);
SELECT rates_err($$SELECT churn.churn_rate(since, until, NULL::daterange) FROM rates_b$$);
SELECT rates_err($$SELECT churn.churn_rate(since, until, daterange('2024-01-01', '2024-01-01'::date + (i % 2) + 1)) FROM rates_c$$);
SELECT rates_err($$SELECT churn.churn_rate(since, until, '[2024-01-01,2024-04-01)', '-1 day') FROM rates_b$$);
SELECT rates_err($$SELECT churn.churn_rate(since, until, '[2024-01-01,2024-04-01)', NULL::interval) FROM rates_b$$);
SELECT rates_err($$SELECT churn.churn_rate(since, until, '[2024-01-01,2024-04-01)', (i || ' days')::interval) FROM rates_c$$);
-- the HINT is part of the contract
\set VERBOSITY default
SELECT churn.churn_rate(d, d - 1, daterange('2024-01-01','2024-02-01')) FROM (VALUES (date '2024-01-10')) v(d);
SELECT churn.churn_rate(since, until, daterange('2024-01-01', NULL)) FROM rates_b;
\set VERBOSITY terse

DROP VIEW rates_sql;
DROP TABLE rates_q, rates_b, rates_periods;
-- rates_c is used by later rates_* files
DROP FUNCTION rates_err(text);
