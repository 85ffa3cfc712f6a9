--
-- rates_periods: churn_periods (one pass over the rows, every step of the
-- period) against generate_series plain SQL; calendar months, month ends and
-- DST changes in a named time zone; the balance identities; min tenure.
--
SET DateStyle = 'ISO, YMD';
SET TimeZone = 'America/New_York';
SET extra_float_digits = 0;
SET jit = off;	-- the plain-SQL oracles are costed high: JIT compilation only slows them

CREATE FUNCTION rates_err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ' ' || SQLERRM;
END $$;

-- hand-worked: the boundary rows of rates.sql as one 3-month step
SELECT p.* FROM unnest((
  SELECT churn.churn_periods(since, until, daterange('2024-01-01', '2024-04-01'), '3 months')
    FROM (VALUES ('2024-01-01'::date, NULL::date), ('2023-12-01', '2024-01-01'),
                 ('2023-12-01', '2024-04-01'), ('2024-04-01', NULL),
                 ('2024-01-01', '2024-01-01'), ('2024-03-31', '2024-03-31'),
                 ('2023-06-01', '2023-12-31'), ('2024-02-10', '2024-04-01')) v(since, until))) p;

-- the steps of a date period: calendar months from a month end, the last
-- step clipped at upper
SELECT p.period_start, p.period_end FROM unnest((
  SELECT churn.churn_periods(since, until, daterange('2024-01-31', '2024-06-15'), '1 month')
    FROM (VALUES ('2024-01-01'::date, NULL::date)) v(since, until))) p;
-- and of a tstzrange in America/New_York (DST starts 2024-03-10, ends
-- 2024-11-03): months and days are local, so every boundary is midnight
SELECT p.period_start, p.period_end FROM unnest((
  SELECT churn.churn_periods(since, until, tstzrange('2024-01-31', '2024-12-01'), '1 month')
    FROM (VALUES (now(), NULL::timestamptz)) v(since, until))) p;
SELECT p.period_start, p.period_end FROM unnest((
  SELECT churn.churn_periods(since, until, tstzrange('2024-03-08', '2024-03-12'), '1 day')
    FROM (VALUES (now(), NULL::timestamptz)) v(since, until))) p;
-- a time step is exact elapsed time: 24 hours is not one local day at DST
SELECT p.period_start, p.period_end FROM unnest((
  SELECT churn.churn_periods(since, until, tstzrange('2024-11-02', '2024-11-05'), '24 hours')
    FROM (VALUES (now(), NULL::timestamptz)) v(since, until))) p;

-- generated customers (date and timestamptz)
SELECT setseed(0.17);
CREATE TABLE rp_c AS
SELECT i, i % 3 AS seg, d AS since,
       CASE WHEN r < 0.3 THEN NULL ELSE d + (random() * 400)::int END AS until
  FROM (SELECT i, date '2022-11-15' + (random() * 900)::int AS d, random() AS r
          FROM generate_series(1, 4000) i) s;
-- rows exactly on month boundaries
INSERT INTO rp_c SELECT 10000 + k, k % 3, date '2023-01-31' + (k || ' months')::interval,
                        date '2023-03-31' + (k || ' months')::interval
                   FROM generate_series(0, 20) k;
INSERT INTO rp_c SELECT 20000 + k, k % 3, date '2023-01-01' + (k || ' months')::interval, NULL
                   FROM generate_series(0, 20) k;
CREATE TABLE rp_t AS
SELECT i, seg, (since + (i % 1440) * interval '1 minute')::timestamptz AS since,
       (until + ((i * 7) % 1440) * interval '1 minute')::timestamptz AS until
  FROM rp_c;
-- and exactly on the local midnight boundaries around the DST changes
INSERT INTO rp_t VALUES
 (30001, 0, '2023-03-12 00:00', '2023-11-05 00:00'),
 (30002, 1, '2023-02-28 23:59:59.999999', '2023-03-12 00:00'),
 (30003, 2, '2023-11-05 00:00', NULL),
 (30004, 0, '2023-10-31 00:00', '2023-10-31 00:00');

-- plain SQL over generate_series: step k = [lower + k * step, min(lower + (k+1) * step, upper))
CREATE FUNCTION rp_sql_date(p daterange, step interval)
RETURNS TABLE (seg int, period_start date, period_end date, at_start bigint, new bigint,
               lost bigint, new_lost bigint, at_end bigint)
LANGUAGE sql AS $$
  WITH steps AS MATERIALIZED (
    SELECT (lower(p) + k * step)::date AS lo,
           least((lower(p) + (k + 1) * step)::date, upper(p)) AS hi
      FROM generate_series(0, 10000) k
     WHERE lower(p) + k * step < upper(p))
  SELECT c.seg, lo, hi,
         count(*) FILTER (WHERE since < lo AND (until IS NULL OR until >= lo)),
         count(*) FILTER (WHERE since >= lo AND since < hi),
         count(*) FILTER (WHERE since < lo AND until >= lo AND until < hi),
         count(*) FILTER (WHERE since >= lo AND since < hi AND until < hi),
         count(*) FILTER (WHERE since < hi AND (until IS NULL OR until >= hi))
    FROM steps CROSS JOIN rp_c c
   GROUP BY c.seg, lo, hi $$;
CREATE FUNCTION rp_sql_tstz(p tstzrange, step interval)
RETURNS TABLE (seg int, period_start timestamptz, period_end timestamptz, at_start bigint,
               new bigint, lost bigint, new_lost bigint, at_end bigint)
LANGUAGE sql AS $$
  WITH steps AS MATERIALIZED (
    SELECT lower(p) + k * step AS lo,
           least(lower(p) + (k + 1) * step, upper(p)) AS hi
      FROM generate_series(0, 10000) k
     WHERE lower(p) + k * step < upper(p))
  SELECT c.seg, lo, hi,
         count(*) FILTER (WHERE since < lo AND (until IS NULL OR until >= lo)),
         count(*) FILTER (WHERE since >= lo AND since < hi),
         count(*) FILTER (WHERE since < lo AND until >= lo AND until < hi),
         count(*) FILTER (WHERE since >= lo AND since < hi AND until < hi),
         count(*) FILTER (WHERE since < hi AND (until IS NULL OR until >= hi))
    FROM steps CROSS JOIN rp_t c
   GROUP BY c.seg, lo, hi $$;

-- per segment, date steps: months from a month end, weeks, quarters, a
-- step longer than the period
CREATE TABLE rp_tests_d (p daterange, step interval);
INSERT INTO rp_tests_d VALUES
 ('[2023-01-31,2024-03-01)', '1 month'), ('[2023-02-01,2023-06-15)', '1 week'),
 ('[2022-12-01,2024-12-01)', '3 months'), ('[2023-05-10,2023-05-11)', '1 year'),
 ('[2023-03-01,2023-03-31)', '1 day');
WITH agg AS (
  SELECT t.p, t.step, c.seg, churn.churn_periods(c.since, c.until, t.p, t.step) AS arr
    FROM rp_tests_d t CROSS JOIN rp_c c
   GROUP BY t.p, t.step, c.seg),
x AS (SELECT agg.p, agg.step, agg.seg, u.* FROM agg, unnest(agg.arr) u),
s AS (SELECT t.p, t.step, q.* FROM rp_tests_d t, rp_sql_date(t.p, t.step) q)
SELECT p, step, count(*) AS steps,
       count(x.at_start) = count(*) AND count(s.at_start) = count(*) AS same_steps,
       bool_and(x.period_end = s.period_end) AS same_ends,
       bool_and((x.at_start, x.new, x.lost, x.new_lost, x.at_end)
                = (s.at_start, s.new, s.lost, s.new_lost, s.at_end)) AS counts_ok,
       bool_and(x.churn_rate IS NOT DISTINCT FROM s.lost::float8 / nullif(s.at_start, 0)
                AND x.retention_rate IS NOT DISTINCT FROM (s.at_end - s.new)::float8 / nullif(s.at_start, 0)) AS rates_ok
  FROM x FULL JOIN s USING (p, step, seg, period_start)
 GROUP BY p, step ORDER BY p, step;

-- per segment, timestamptz steps in America/New_York: months across both DST
-- changes and month ends, local days, exact hours, a non-[) range
CREATE TABLE rp_tests_t (p tstzrange, step interval);
INSERT INTO rp_tests_t VALUES
 ('[2023-01-31,2024-03-01)', '1 month'), ('[2023-03-05,2023-03-20)', '1 day'),
 ('[2023-10-29,2023-11-12)', '12 hours'), ('(2023-01-31,2023-12-31 12:00]', '1 month 1 day');
WITH agg AS (
  SELECT t.p, t.step, c.seg, churn.churn_periods(c.since, c.until, t.p, t.step) AS arr
    FROM rp_tests_t t CROSS JOIN rp_t c
   GROUP BY t.p, t.step, c.seg),
x AS (SELECT agg.p, agg.step, agg.seg, u.* FROM agg, unnest(agg.arr) u),
s AS (SELECT t.p, t.step, q.*
        FROM rp_tests_t t,
             rp_sql_tstz(tstzrange(lower(t.p) + CASE WHEN lower_inc(t.p) THEN '0' ELSE '1 microsecond' END::interval,
                                   upper(t.p) + CASE WHEN upper_inc(t.p) THEN '1 microsecond' ELSE '0' END::interval),
                         t.step) q)
SELECT p, step, count(*) AS steps,
       count(x.at_start) = count(*) AND count(s.at_start) = count(*) AS same_steps,
       bool_and(x.period_end = s.period_end) AS same_ends,
       bool_and((x.at_start, x.new, x.lost, x.new_lost, x.at_end)
                = (s.at_start, s.new, s.lost, s.new_lost, s.at_end)) AS counts_ok,
       bool_and(x.churn_rate IS NOT DISTINCT FROM s.lost::float8 / nullif(s.at_start, 0)
                AND x.retention_rate IS NOT DISTINCT FROM (s.at_end - s.new)::float8 / nullif(s.at_start, 0)) AS rates_ok
  FROM x FULL JOIN s USING (p, step, seg, period_start)
 GROUP BY p, step ORDER BY p, step;

-- the identities: at_end = at_start + new - lost - new_lost, and the end of
-- a step is the start of the next
SELECT count(*) AS steps,
       bool_and(at_end = at_start + new - lost - new_lost) AS balance,
       bool_and(next_start IS NULL OR next_start = at_end) AS chained,
       bool_and(next_period IS NULL OR next_period = period_end) AS contiguous
  FROM (SELECT p.*, lead(p.at_start) OVER w AS next_start, lead(p.period_start) OVER w AS next_period
          FROM unnest((SELECT churn.churn_periods(since, until, tstzrange('2022-12-01', '2024-06-01'), '1 month')
                         FROM rp_t)) p
        WINDOW w AS (ORDER BY p.period_start)) q;

-- step 0 of a series equals the single-period aggregates
SELECT (p[1]).churn_rate = churn.churn_rate(since, until, daterange('2023-04-01', '2023-05-01'))
         OVER () AS churn_ok
  FROM (SELECT churn.churn_periods(since, until, daterange('2023-04-01', '2023-07-01'), '1 month') OVER () AS p,
               since, until FROM rp_c) q LIMIT 1;

-- minimum tenure: the excluded rows are dropped from every count
SELECT count(*) AS steps,
       bool_and((x.at_start, x.new, x.lost, x.new_lost, x.at_end)
                = (s.at_start, s.new, s.lost, s.new_lost, s.at_end)) AS counts_ok,
       bool_and(x.at_end = x.at_start + x.new - x.lost - x.new_lost) AS balance
  FROM unnest((SELECT churn.churn_periods(since, until, daterange('2023-01-31', '2024-03-01'), '1 month', '3 months')
                 FROM rp_c)) x
  FULL JOIN (
    SELECT lo AS period_start,
           count(*) FILTER (WHERE since < lo AND (until IS NULL OR until >= lo)) AS at_start,
           count(*) FILTER (WHERE since >= lo AND since < hi) AS new,
           count(*) FILTER (WHERE since < lo AND until >= lo AND until < hi) AS lost,
           count(*) FILTER (WHERE since >= lo AND since < hi AND until < hi) AS new_lost,
           count(*) FILTER (WHERE since < hi AND (until IS NULL OR until >= hi)) AS at_end
      FROM (SELECT (date '2023-01-31' + k * interval '1 month')::date AS lo,
                   least((date '2023-01-31' + (k + 1) * interval '1 month')::date, date '2024-03-01') AS hi
              FROM generate_series(0, 13) k) st
     CROSS JOIN rp_c
     WHERE until IS NULL OR since + interval '3 months' <= until
     GROUP BY lo) s USING (period_start);
SELECT count(*) AS steps,
       bool_and((x.at_start, x.new, x.lost, x.new_lost, x.at_end)
                = (s.at_start, s.new, s.lost, s.new_lost, s.at_end)) AS tstz_counts_ok
  FROM unnest((SELECT churn.churn_periods(since, until, tstzrange('2023-01-31', '2024-03-01'), '1 month', '40 days')
                 FROM rp_t)) x
  FULL JOIN (
    SELECT lo AS period_start,
           count(*) FILTER (WHERE since < lo AND (until IS NULL OR until >= lo)) AS at_start,
           count(*) FILTER (WHERE since >= lo AND since < hi) AS new,
           count(*) FILTER (WHERE since < lo AND until >= lo AND until < hi) AS lost,
           count(*) FILTER (WHERE since >= lo AND since < hi AND until < hi) AS new_lost,
           count(*) FILTER (WHERE since < hi AND (until IS NULL OR until >= hi)) AS at_end
      FROM (SELECT timestamptz '2023-01-31' + k * interval '1 month' AS lo,
                   least(timestamptz '2023-01-31' + (k + 1) * interval '1 month', timestamptz '2024-03-01') AS hi
              FROM generate_series(0, 13) k) st
     CROSS JOIN rp_t
     WHERE until IS NULL OR since + interval '40 days' <= until
     GROUP BY lo) s USING (period_start);

-- no rows: NULL; rows all outside the period: zero counts, NULL rates
SELECT churn.churn_periods(since, until, daterange('2023-01-01', '2023-03-01'), '1 month') IS NULL AS no_rows
  FROM rp_c WHERE false;
SELECT p.* FROM unnest((SELECT churn.churn_periods(since, until, daterange('2030-01-01', '2030-03-01'), '1 month')
                          FROM rp_c WHERE since > '2020-01-01' AND until < '2029-01-01')) p;

-- the step cap: 100000 steps are allowed, one more is an error
SELECT cardinality(churn.churn_periods(since, until, daterange('2000-01-01', '2273-10-16'), '1 day')) AS steps_at_cap
  FROM (VALUES (date '2001-01-01', NULL::date)) v(since, until);

-- errors
SELECT rates_err($$SELECT churn.churn_periods(since, until, daterange('2000-01-01', '2273-10-17'), '1 day') FROM rp_c$$);
SELECT rates_err($$SELECT churn.churn_periods(since, until, daterange('2023-01-01', '2024-01-01'), '0 days') FROM rp_c$$);
SELECT rates_err($$SELECT churn.churn_periods(since, until, daterange('300000-01-01', '300000-03-01'), '1 month') FROM rp_c$$);
SELECT rates_err($$SELECT churn.churn_periods(since, until, daterange('2023-01-01', '2024-01-01'), '-1 month') FROM rp_c$$);
SELECT rates_err($$SELECT churn.churn_periods(since, until, daterange('2023-01-01', '2024-01-01'), '1 month -31 days') FROM rp_c$$);
SELECT rates_err($$SELECT churn.churn_periods(since, until, daterange('2023-01-01', '2024-01-01'), '12 hours') FROM rp_c$$);
SELECT rates_err($$SELECT churn.churn_periods(since, until, daterange('2023-01-01', '2024-01-01'), NULL) FROM rp_c$$);
SELECT rates_err($$SELECT churn.churn_periods(since, until, NULL::daterange, '1 month') FROM rp_c$$);
SELECT rates_err($$SELECT churn.churn_periods(since, until, 'empty'::daterange, '1 month') FROM rp_c$$);
SELECT rates_err($$SELECT churn.churn_periods(since, until, daterange('2023-01-01', NULL), '1 month') FROM rp_c$$);
SELECT rates_err($$SELECT churn.churn_periods(since, until, daterange('2023-01-01', '2024-01-01'), ((1 + i % 2) || ' months')::interval) FROM rp_c$$);
SELECT rates_err($$SELECT churn.churn_periods(since, until, daterange('2023-01-01', '2024-01-01' :: date + i % 2), '1 month') FROM rp_c$$);
SELECT rates_err($$SELECT churn.churn_periods(since, until, daterange('2023-01-01', '2024-01-01'), '1 month', ((i % 2) || ' months')::interval) FROM rp_c$$);
SELECT rates_err($$SELECT churn.churn_periods(since, until, daterange('2023-01-01', '2024-01-01'), '1 month', '-1 month') FROM rp_c$$);
SELECT rates_err($$SELECT churn.churn_periods(until, since, daterange('2023-01-01', '2024-01-01'), '1 month') FROM rp_c WHERE until > since$$);

DROP FUNCTION rp_sql_date(daterange, interval), rp_sql_tstz(tstzrange, interval), rates_err(text);
DROP TABLE rp_c, rp_t, rp_tests_d, rp_tests_t;
