--
-- rates_timestamp: the overloads over timestamp without time zone and
-- tsrange of churn_rate, retention_rate, diversion_rate, churn_periods,
-- diversion_matrix and cohort_retention.  Their calendar arithmetic is
-- timestamp + interval (a month from 2024-01-31 is 2024-02-29, a day is 24
-- hours), so results and states never depend on the session TimeZone.
-- Each is checked against plain SQL over the same rows, against the
-- timestamptz overload over the same instants under TimeZone UTC, under
-- three time zones, in parallel plans and window frames, through its state's
-- text and binary forms, and for its errors.
--
SET DateStyle = 'ISO, YMD';
SET IntervalStyle = 'postgres';
SET TimeZone = 'America/New_York';
SET extra_float_digits = 0;
SET jit = off;	-- the plain-SQL oracles are costed high: JIT compilation only slows them

-- error reporter: SQLSTATE, message and detail of a statement
CREATE FUNCTION tsagg_err(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	d text;
BEGIN
	EXECUTE q;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
	RETURN SQLSTATE || ' ' || SQLERRM || coalesce(nullif(' (' || d || ')', ' ()'), '');
END $$;

-- Customers at all times of day from October 2023 to the end of 2024,
-- across both DST changes of America/New_York (2024-03-10 02:00 does not
-- exist there, 2024-11-03 01:30 happens twice: as timestamps both are plain
-- values), with hand-placed rows on the edges used below.
CREATE TABLE tsd AS
SELECT i AS id, i % 4 AS seg, 'ch' || (i * 7 % 5) AS channel, since,
       CASE WHEN i % 3 = 0 THEN NULL
            ELSE since + (i * 104729 % 400000) * interval '1 minute' END AS until,
       CASE WHEN i % 3 <> 0 AND i % 5 < 2 THEN 'ch' || (i * 11 % 6) END AS moved_to
  FROM (SELECT i, timestamp '2023-10-01' + (i * 7919 % 650000) * interval '1 minute'
                  + (i % 60) * interval '1 second' AS since
          FROM generate_series(1, 4000) i) s;
INSERT INTO tsd VALUES
 (-1, 0, 'ch0', '2024-01-01 00:00', NULL, NULL),	-- since = lower
 (-2, 0, 'ch0', '2023-12-01 08:00', '2024-01-01 00:00', 'ch1'),	-- until = lower
 (-3, 0, 'ch1', '2023-12-01 08:00', '2024-04-01 00:00', 'ch2'),	-- until = upper
 (-4, 1, 'ch1', '2024-04-01 00:00', NULL, NULL),	-- since = upper
 (-5, 1, 'ch2', '2024-01-01 00:00', '2024-01-01 00:00', 'ch0'),	-- since = until = lower
 (-6, 1, 'ch2', '2024-03-31 23:59:59.999999', '2024-03-31 23:59:59.999999', NULL),
 (-7, 2, 'ch3', '2024-01-31 00:00', '2024-02-29 00:00', 'ch0'),	-- exactly 1 month
 (-8, 2, 'ch3', '2024-03-09 12:00', '2024-03-10 12:00', 'ch4'),	-- 1 day = 24 hours
 (-9, 3, 'ch4', '2024-03-10 02:30', '2024-11-03 01:30', 'ch1'),	-- local times NY skips / repeats
 (-10, 3, 'ch4', NULL, NULL, NULL),				-- not a customer
 (-11, 3, 'ch0', '-infinity', '2024-02-15 00:00', 'ch1'),
 (-12, 2, 'ch1', '2023-11-15 00:00', 'infinity', NULL);

-- the periods: quarters, month-end to month-end, the hour New York skips,
-- other bound kinds (converted exactly to [lower, upper)), a year ending
-- on the repeated hour
CREATE TABLE tsp (p tsrange);
INSERT INTO tsp VALUES
 ('[2024-01-01,2024-04-01)'), ('[2024-01-31 12:00,2024-02-29 12:00)'),
 ('[2024-03-10 02:00,2024-03-10 03:00)'), ('(2024-02-01,2024-03-01]'),
 ('[2023-11-05,2024-11-03 01:30)'), ('[2022-01-01,2022-02-01)');
-- [lo, hi) of a period, as the aggregates read it
CREATE VIEW tsp_half AS
SELECT p, lower(p) + CASE WHEN lower_inc(p) THEN interval '0' ELSE interval '1 microsecond' END AS lo,
       upper(p) + CASE WHEN upper_inc(p) THEN interval '1 microsecond' ELSE interval '0' END AS hi
  FROM tsp;

--
-- churn_rate and retention_rate, with and without a minimum tenure, against
-- COUNT(*) FILTER; a minimum tenure drops the rows that left before
-- since + min_tenure (timestamp + interval)
--
CREATE FUNCTION tsagg_rates_sql(tenure interval)
RETURNS TABLE (p tsrange, seg int, at_start bigint, new bigint, lost bigint, at_end bigint)
LANGUAGE sql AS $$
	SELECT p, seg,
	       count(*) FILTER (WHERE since < lo AND (until IS NULL OR until >= lo)),
	       count(*) FILTER (WHERE since >= lo AND since < hi),
	       count(*) FILTER (WHERE since < lo AND until >= lo AND until < hi),
	       count(*) FILTER (WHERE since < hi AND (until IS NULL OR until >= hi))
	  FROM tsp_half CROSS JOIN tsd
	 WHERE since IS NOT NULL AND (tenure IS NULL OR until IS NULL OR since + tenure <= until)
	 GROUP BY p, seg
$$;
SELECT t.tenure, count(*) AS groups,
       count(*) FILTER (WHERE x.at_start = 0) AS groups_without_start,
       bool_and(x.churn IS NOT DISTINCT FROM x.lost::float8 / nullif(x.at_start, 0)) AS churn_ok,
       bool_and(x.retention IS NOT DISTINCT FROM (x.at_end - x.new)::float8 / nullif(x.at_start, 0)) AS retention_ok
  FROM (VALUES (NULL::interval), ('1 month'), ('1 day'), ('36 hours'), ('0')) t(tenure)
 CROSS JOIN LATERAL (
       SELECT a.churn, a.retention, s.*
         FROM (SELECT p, seg,
                      -- both are computed for every row: the one of no
                      -- tenure is read when t.tenure is NULL
                      CASE WHEN t.tenure IS NULL THEN churn.churn_rate(since, until, p)
                           ELSE churn.churn_rate(since, until, p, coalesce(t.tenure, '0')) END AS churn,
                      CASE WHEN t.tenure IS NULL THEN churn.retention_rate(since, until, p)
                           ELSE churn.retention_rate(since, until, p, coalesce(t.tenure, '0')) END AS retention
                 FROM tsp CROSS JOIN tsd GROUP BY p, seg) a
         FULL JOIN tsagg_rates_sql(t.tenure) s USING (p, seg)) x
 GROUP BY t.tenure ORDER BY t.tenure NULLS FIRST;

-- hand-worked: a tenure is calendar arithmetic without a time zone.
-- 2024-01-31 .. 2024-02-29 is exactly '1 month' (kept), not '1 month 1 day';
-- 2024-03-09 12:00 .. 2024-03-10 12:00 is exactly '1 day' and '24 hours'
-- (New York's clocks skipped an hour between them: as timestamptz in New
-- York they are 23 hours apart)
SELECT churn.churn_rate(since, until, '[2024-02-01,2024-03-01)', '1 month') AS kept_month,
       churn.churn_rate(since, until, '[2024-02-01,2024-03-01)', '1 month 1 day') AS excluded_month
  FROM tsd WHERE id = -7;
SELECT churn.churn_rate(since, until, '[2024-03-10,2024-03-11)', '1 day') AS kept_day,
       churn.churn_rate(since, until, '[2024-03-10,2024-03-11)', '24 hours') AS kept_24h,
       churn.churn_rate(since, until, '[2024-03-10,2024-03-11)', '1 day 1 second') AS excluded,
       churn.churn_rate(since::timestamptz, until::timestamptz,
                        tstzrange('2024-03-10', '2024-03-11'), '24 hours') AS tstz_new_york_excluded
  FROM tsd WHERE id = -8;

--
-- diversion_rate (text and "any" moved_to) and diversion_matrix against
-- plain SQL
--
SELECT count(*) AS groups,
       bool_and(a.rate_text IS NOT DISTINCT FROM s.diverted::float8 / nullif(s.base, 0)) AS text_ok,
       bool_and(a.rate_any IS NOT DISTINCT FROM a.rate_text) AS any_ok
  FROM (SELECT p, seg,
               churn.diversion_rate(since, until, moved_to, p) AS rate_text,
               churn.diversion_rate(since, until, length(moved_to), p) AS rate_any
          FROM tsp CROSS JOIN tsd GROUP BY p, seg) a
  FULL JOIN (SELECT p, seg,
                    count(*) FILTER (WHERE since < hi AND (until IS NULL OR until >= lo)) AS base,
                    count(*) FILTER (WHERE until >= lo AND until < hi AND moved_to IS NOT NULL) AS diverted
               FROM tsp_half CROSS JOIN tsd WHERE since IS NOT NULL GROUP BY p, seg) s USING (p, seg);
SELECT count(*) AS cells,
       count(*) FILTER (WHERE m.moved = o.moved AND m.from_base = o.from_base
                          AND m.from_diverted = o.from_diverted
                          AND m.rate = o.moved::float8 / o.from_base) AS equal
  FROM (SELECT q.p, f.*
          FROM (SELECT p, churn.diversion_matrix(channel, moved_to, since, until, p) AS flows
                  FROM tsp CROSS JOIN tsd GROUP BY p) q, unnest(q.flows) f) m
  FULL JOIN (SELECT mv.p, mv.channel AS from_channel, mv.moved_to AS to_channel, mv.moved, b.base AS from_base,
                    sum(mv.moved) OVER (PARTITION BY mv.p, mv.channel) AS from_diverted
               FROM (SELECT p, channel, moved_to, count(*) AS moved
                       FROM tsp_half CROSS JOIN tsd
                      WHERE since IS NOT NULL AND until >= lo AND until < hi AND moved_to IS NOT NULL
                      GROUP BY 1, 2, 3) mv
               JOIN (SELECT p, channel, count(*) AS base
                       FROM tsp_half CROSS JOIN tsd
                      WHERE since < hi AND (until IS NULL OR until >= lo)
                      GROUP BY 1, 2) b USING (p, channel)) o
    USING (p, from_channel, to_channel);

--
-- churn_periods: step k of a period is [lower + k × step, lower + (k+1) ×
-- step) clipped at upper (timestamp + interval, k × step rather than
-- repeated addition), every column against plain SQL
--
CREATE FUNCTION tsagg_periods_sql(p tsrange, step interval, tenure interval)
RETURNS TABLE (seg int, period_start timestamp, period_end timestamp, at_start bigint, new bigint,
               lost bigint, new_lost bigint, at_end bigint)
LANGUAGE sql AS $$
	SELECT c.seg, b.s, b.e,
	       count(*) FILTER (WHERE since < b.s AND (until IS NULL OR until >= b.s)),
	       count(*) FILTER (WHERE since >= b.s AND since < b.e),
	       count(*) FILTER (WHERE since < b.s AND until >= b.s AND until < b.e),
	       count(*) FILTER (WHERE since >= b.s AND since < b.e AND until < b.e),
	       count(*) FILTER (WHERE since < b.e AND (until IS NULL OR until >= b.e))
	  FROM (SELECT lower(p) + k * step AS s, least(lower(p) + (k + 1) * step, upper(p)) AS e
	          FROM generate_series(0, 2000) k WHERE lower(p) + k * step < upper(p)) b
	 CROSS JOIN tsd c
	 WHERE c.since IS NOT NULL AND (tenure IS NULL OR c.until IS NULL OR c.since + tenure <= c.until)
	 GROUP BY 1, 2, 3
$$;
SELECT t.p, t.step, t.tenure, count(*) AS steps,
       count(*) FILTER (WHERE x.equal) AS equal
  FROM (VALUES (tsrange '[2024-01-31,2025-01-01)', interval '1 month', NULL::interval),
               ('[2024-01-31,2025-01-01)', '1 month', '2 months'),
               ('[2024-03-08 06:00,2024-03-14)', '1 day', NULL),
               ('[2024-10-30,2024-11-06)', '6 hours', '1 day'),
               ('[2023-10-01,2025-03-01)', '1 week', NULL)) t(p, step, tenure)
 CROSS JOIN LATERAL (
       SELECT r.period_end = o.period_end AND r.at_start = o.at_start AND r.new = o.new
              AND r.lost = o.lost AND r.new_lost = o.new_lost AND r.at_end = o.at_end
              AND r.churn_rate IS NOT DISTINCT FROM o.lost::float8 / nullif(o.at_start, 0)
              AND r.retention_rate IS NOT DISTINCT FROM (o.at_end - o.new)::float8 / nullif(o.at_start, 0) AS equal
         FROM (SELECT q.seg, r.*
                 FROM (SELECT seg, CASE WHEN t.tenure IS NULL THEN churn.churn_periods(since, until, t.p, t.step)
                                        ELSE churn.churn_periods(since, until, t.p, t.step, coalesce(t.tenure, '0')) END AS steps
                         FROM tsd GROUP BY seg) q, unnest(q.steps) r) r
         FULL JOIN tsagg_periods_sql(t.p, t.step, t.tenure) o USING (seg, period_start)) x
 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
-- the steps of a month from a month's end, and of a day across the DST
-- change: 24 hours each, whatever the zone
SELECT r.period_start, r.period_end, pg_typeof(r.period_start) AS type
  FROM unnest((SELECT churn.churn_periods(since, until, '[2024-01-31,2024-05-15)', '1 month') FROM tsd)) r;
SELECT r.period_start, r.period_end - r.period_start AS length
  FROM unnest((SELECT churn.churn_periods(since, until, '[2024-03-09 12:00,2024-03-11 12:00)', '1 day') FROM tsd)) r;

--
-- cohort_retention with a timestamp origin: cohort k is [origin + k ×
-- cohort_step, origin + (k+1) × cohort_step), age a is measured at
-- origin + (k+1) × cohort_step + a × age_step
--
CREATE FUNCTION tsagg_cohort_sql(origin timestamp, cstep interval, astep interval, ages int)
RETURNS TABLE (segment int, cohort int, cohort_start timestamp, age int, measured_at timestamp,
               cohort_size bigint, active bigint)
LANGUAGE sql AS $$
	WITH b AS MATERIALIZED (
		SELECT k, origin + k * cstep AS s, origin + (k + 1) * cstep AS e
		  FROM generate_series(-400, 400) k),
	m AS MATERIALIZED (
		SELECT c.seg, b.k, b.s, b.e, c.since, c.until
		  FROM b JOIN tsd c ON c.since >= b.s AND c.since < b.e)
	SELECT m.seg, m.k, m.s, a.a, origin + (m.k + 1) * cstep + a.a * astep,
	       count(*),
	       count(*) FILTER (WHERE m.since < origin + (m.k + 1) * cstep + a.a * astep
	                          AND (m.until IS NULL OR m.until >= origin + (m.k + 1) * cstep + a.a * astep))
	  FROM m CROSS JOIN generate_series(0, ages) a(a)
	 GROUP BY 1, 2, 3, 4, 5
$$;
SELECT t.origin, t.cstep, t.astep, count(*) AS cells,
       count(*) FILTER (WHERE x.equal) AS equal
  FROM (VALUES (timestamp '2024-01-31 12:00', interval '1 month', interval '1 day', 4),
               ('2024-03-09 00:00', '1 day', '12 hours', 3),
               ('2023-12-31 23:00', '36 hours', '1 month', 2)) t(origin, cstep, astep, ages)
 CROSS JOIN LATERAL (
       SELECT o.cohort_size = r.cohort_size AND o.active = r.active
              AND o.cohort_start = r.cohort_start AND o.measured_at = r.measured_at
              AND r.rate = r.active::float8 / r.cohort_size AS equal
         FROM (SELECT q.seg AS segment, r.*
                 FROM (SELECT seg, churn.cohort_retention(since, until, t.origin, t.cstep, t.astep, t.ages) AS cells
                         FROM tsd WHERE since > '-infinity' GROUP BY seg) q, unnest(q.cells) r) r
         FULL JOIN tsagg_cohort_sql(t.origin, t.cstep, t.astep, t.ages) o USING (segment, cohort, age)) x
 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
SELECT r.* FROM unnest((SELECT churn.cohort_retention(since, until, timestamp '2024-01-31 12:00',
       '1 month', '1 day', 1) FROM tsd WHERE since > '-infinity')) r
 WHERE r.cohort IN (0, 1) ORDER BY cohort, age;

--
-- The same numbers as the timestamptz overloads over the same instants
-- (each timestamp read as UTC) with the session in UTC, where timestamptz
-- arithmetic is that of timestamps
--
SET TimeZone = 'UTC';
SELECT count(*) AS groups,
       bool_and(churn_ts IS NOT DISTINCT FROM churn_tz AND tenure_ts IS NOT DISTINCT FROM tenure_tz
                AND retention_ts IS NOT DISTINCT FROM retention_tz AND diversion_ts IS NOT DISTINCT FROM diversion_tz
                AND matrix_ts = matrix_tz) AS same
  FROM (SELECT p, seg,
               churn.churn_rate(since, until, p) AS churn_ts,
               churn.churn_rate(since AT TIME ZONE 'UTC', until AT TIME ZONE 'UTC', pz) AS churn_tz,
               churn.churn_rate(since, until, p, '1 month 12 hours') AS tenure_ts,
               churn.churn_rate(since AT TIME ZONE 'UTC', until AT TIME ZONE 'UTC', pz, '1 month 12 hours') AS tenure_tz,
               churn.retention_rate(since, until, p, '1 day') AS retention_ts,
               churn.retention_rate(since AT TIME ZONE 'UTC', until AT TIME ZONE 'UTC', pz, '1 day') AS retention_tz,
               churn.diversion_rate(since, until, moved_to, p) AS diversion_ts,
               churn.diversion_rate(since AT TIME ZONE 'UTC', until AT TIME ZONE 'UTC', moved_to, pz) AS diversion_tz,
               churn.diversion_matrix(channel, moved_to, since, until, p)::text AS matrix_ts,
               churn.diversion_matrix(channel, moved_to, since AT TIME ZONE 'UTC', until AT TIME ZONE 'UTC', pz)::text AS matrix_tz
          FROM (SELECT p, tstzrange(lower(p) AT TIME ZONE 'UTC', upper(p) AT TIME ZONE 'UTC',
                                    CASE WHEN lower_inc(p) THEN '[' ELSE '(' END
                                    || CASE WHEN upper_inc(p) THEN ']' ELSE ')' END) AS pz FROM tsp) x
         CROSS JOIN tsd GROUP BY p, seg) a;
SELECT count(*) AS steps,
       count(*) FILTER (WHERE (a.period_start, a.period_end) = (b.period_start AT TIME ZONE 'UTC', b.period_end AT TIME ZONE 'UTC')
                          AND (a.at_start, a.new, a.lost, a.new_lost, a.at_end) = (b.at_start, b.new, b.lost, b.new_lost, b.at_end)
                          AND a.churn_rate IS NOT DISTINCT FROM b.churn_rate
                          AND a.retention_rate IS NOT DISTINCT FROM b.retention_rate) AS same
  FROM (SELECT churn.churn_periods(since, until, '[2024-01-31,2025-01-01)', '1 month', '1 day') AS ts,
               churn.churn_periods(since AT TIME ZONE 'UTC', until AT TIME ZONE 'UTC',
                                   tstzrange('2024-01-31 00:00+00', '2025-01-01 00:00+00'), '1 month', '1 day') AS tz
          FROM tsd) q,
       unnest(q.ts) WITH ORDINALITY a, unnest(q.tz) WITH ORDINALITY b
 WHERE a.ordinality = b.ordinality;
SELECT count(*) AS cells,
       count(*) FILTER (WHERE (a.cohort, a.age, a.cohort_size, a.active, a.rate) = (b.cohort, b.age, b.cohort_size, b.active, b.rate)
                          AND a.cohort_start = b.cohort_start AT TIME ZONE 'UTC'
                          AND a.measured_at = b.measured_at AT TIME ZONE 'UTC') AS same
  FROM (SELECT churn.cohort_retention(since, until, timestamp '2024-01-31 12:00', '1 month', '1 day', 4) AS ts,
               churn.cohort_retention(since AT TIME ZONE 'UTC', until AT TIME ZONE 'UTC',
                                      timestamptz '2024-01-31 12:00+00', '1 month', '1 day', 4) AS tz
          FROM tsd WHERE since > '-infinity') q,
       unnest(q.ts) WITH ORDINALITY a, unnest(q.tz) WITH ORDINALITY b
 WHERE a.ordinality = b.ordinality;

--
-- Nothing depends on the session TimeZone: every result and every partial
-- state is the same in New York (DST), in Lord Howe (half-hour DST) and in
-- Kathmandu (UTC+05:45).  For contrast, the timestamptz overloads over the
-- same local times read in each zone give other steps.
--
CREATE AGGREGATE tsagg_counts(timestamp, timestamp, tsrange, interval) (
	SFUNC = churn.churn_counts_trans, STYPE = churn.rate_state, INITCOND = '(1,c,-,0,0,0,0,0,0,0,0,0)');
CREATE AGGREGATE tsagg_pstate(timestamp, timestamp, tsrange, interval, interval) (
	SFUNC = churn.churn_periods_trans, STYPE = churn.periods_state);
CREATE AGGREGATE tsagg_mstate(text, text, timestamp, timestamp, tsrange) (
	SFUNC = churn.diversion_matrix_trans, STYPE = churn.matrix_state);
CREATE AGGREGATE tsagg_cstate(timestamp, timestamp, timestamp, interval, interval, int) (
	SFUNC = churn.cohort_retention_trans, STYPE = churn.cohort_retention_state);
CREATE VIEW tsagg_all AS
SELECT seg,
       churn.churn_rate(since, until, '[2024-03-01,2024-04-01)', '1 month')::text
       || ' ' || churn.retention_rate(since, until, '[2024-03-01,2024-04-01)', '1 day')::text
       || ' ' || churn.diversion_rate(since, until, moved_to, '[2024-03-01,2024-04-01)')::text AS rates,
       churn.churn_periods(since, until, '[2024-03-08,2024-03-14)', '1 day', '1 day')::text AS periods,
       churn.churn_periods(since, until, '[2024-01-31,2024-12-31)', '1 month')::text AS periods_monthly,
       churn.diversion_matrix(channel, moved_to, since, until, '[2024-03-01,2024-04-01)')::text AS matrix,
       churn.cohort_retention(since, until, timestamp '2024-01-31', '1 month', '1 day', 3)::text AS cohorts,
       tsagg_counts(since, until, '[2024-03-01,2024-04-01)', '1 month')::text AS rate_state,
       tsagg_pstate(since, until, '[2024-03-08,2024-03-14)', '1 day', '1 day')::text AS periods_state,
       tsagg_mstate(channel, moved_to, since, until, '[2024-03-01,2024-04-01)')::text AS matrix_state,
       tsagg_cstate(since, until, timestamp '2024-01-31', '1 month', '1 day', 3)::text AS cohort_state,
       churn.churn_periods(since::timestamptz, until::timestamptz,
                           tstzrange('2024-03-08', '2024-03-14'), '1 day')::text AS tstz_contrast
  FROM tsd WHERE since > '-infinity' GROUP BY seg;
SET TimeZone = 'America/New_York';
CREATE TABLE tsagg_zones AS SELECT current_setting('TimeZone') AS zone, * FROM tsagg_all;
SET TimeZone = 'Australia/Lord_Howe';
INSERT INTO tsagg_zones SELECT current_setting('TimeZone'), * FROM tsagg_all;
SET TimeZone = 'Asia/Kathmandu';
INSERT INTO tsagg_zones SELECT current_setting('TimeZone'), * FROM tsagg_all;
SET TimeZone = 'America/New_York';
SELECT b.zone, count(*) AS groups,
       bool_and((a.rates, a.periods, a.periods_monthly, a.matrix, a.cohorts)
                = (b.rates, b.periods, b.periods_monthly, b.matrix, b.cohorts)) AS same_results,
       bool_and((a.rate_state, a.periods_state, a.matrix_state, a.cohort_state)
                = (b.rate_state, b.periods_state, b.matrix_state, b.cohort_state)) AS same_states,
       bool_and(a.tstz_contrast = b.tstz_contrast) AS tstz_same
  FROM tsagg_zones a JOIN tsagg_zones b USING (seg)
 WHERE a.zone = 'America/New_York' AND b.zone <> a.zone
 GROUP BY b.zone ORDER BY b.zone;
-- the states name no zone and are version 1: 'l' (timestamp without time
-- zone) in the text forms of rate_state, periods_state and matrix_state,
-- "timestamp" in that of cohort_retention_state
SELECT rate_state, substr(periods_state, 1, 50) AS periods_state, substr(matrix_state, 1, 40) AS matrix_state,
       substr(cohort_state, 1, 40) AS cohort_state
  FROM tsagg_zones WHERE zone = 'Asia/Kathmandu' AND seg = 0;

--
-- Window frames (moving aggregates with inverse functions) against plain SQL
--
SELECT count(*) AS rows_checked,
       bool_and(w.churn IS NOT DISTINCT FROM w.lost::float8 / nullif(w.at_start, 0)) AS churn_ok,
       bool_and(w.retention IS NOT DISTINCT FROM (w.at_end - w.new)::float8 / nullif(w.at_start, 0)) AS retention_ok,
       bool_and(w.churn_t IS NOT DISTINCT FROM w.lost_t::float8 / nullif(w.at_start_t, 0)) AS tenure_ok,
       bool_and(w.diversion IS NOT DISTINCT FROM w.diverted::float8 / nullif(w.base, 0)) AS diversion_ok,
       bool_and(w.diversion_any IS NOT DISTINCT FROM w.diversion) AS diversion_any_ok
  FROM (SELECT churn.churn_rate(since, until, '[2024-01-01,2024-04-01)') OVER f AS churn,
               churn.retention_rate(since, until, '[2024-01-01,2024-04-01)') OVER f AS retention,
               churn.churn_rate(since, until, '[2024-01-01,2024-04-01)', '1 month 12 hours') OVER f AS churn_t,
               churn.diversion_rate(since, until, moved_to, '[2024-01-01,2024-04-01)') OVER f AS diversion,
               churn.diversion_rate(since, until, moved_to IS NOT NULL OR NULL, '[2024-01-01,2024-04-01)') OVER f AS diversion_any,
               count(*) FILTER (WHERE since < '2024-01-01' AND (until IS NULL OR until >= '2024-01-01')) OVER f AS at_start,
               count(*) FILTER (WHERE since >= '2024-01-01' AND since < '2024-04-01') OVER f AS new,
               count(*) FILTER (WHERE since < '2024-01-01' AND until >= '2024-01-01' AND until < '2024-04-01') OVER f AS lost,
               count(*) FILTER (WHERE since < '2024-04-01' AND (until IS NULL OR until >= '2024-04-01')) OVER f AS at_end,
               count(*) FILTER (WHERE since < '2024-01-01' AND (until IS NULL OR until >= '2024-01-01')
                                  AND (until IS NULL OR since + interval '1 month 12 hours' <= until)) OVER f AS at_start_t,
               count(*) FILTER (WHERE since < '2024-01-01' AND until >= '2024-01-01' AND until < '2024-04-01'
                                  AND since + interval '1 month 12 hours' <= until) OVER f AS lost_t,
               count(*) FILTER (WHERE since < '2024-04-01' AND (until IS NULL OR until >= '2024-01-01')) OVER f AS base,
               count(*) FILTER (WHERE until >= '2024-01-01' AND until < '2024-04-01' AND moved_to IS NOT NULL) OVER f AS diverted
          FROM tsd
        WINDOW f AS (ORDER BY id ROWS BETWEEN 40 PRECEDING AND 5 FOLLOWING)) w;

--
-- Parallel plans: partial states cross processes through the state types
-- and give the serial results
--
CREATE TABLE tspar AS
SELECT i AS copy, s.* FROM generate_series(1, 5) i, tsd s WHERE s.since > '-infinity';
ANALYZE tspar;
CREATE VIEW tspar_q AS
SELECT seg,
       churn.churn_rate(since, until, '[2024-01-01,2024-04-01)') AS churn,
       churn.retention_rate(since, until, '[2024-01-01,2024-04-01)', '1 month') AS retention,
       churn.diversion_rate(since, until, moved_to, '[2024-01-01,2024-04-01)') AS diversion,
       churn.churn_periods(since, until, '[2023-10-31,2024-10-31)', '1 month', '1 day')::text AS periods,
       churn.diversion_matrix(channel, moved_to, since, until, '[2024-01-01,2024-04-01)')::text AS matrix,
       churn.cohort_retention(since, until, timestamp '2024-01-31', '1 month', '1 week', 4)::text AS cohorts
  FROM tspar GROUP BY seg;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
SET enable_hashagg = off;
EXPLAIN (COSTS OFF) SELECT * FROM tspar_q;
-- the workers really run: the partial states cross processes
CREATE FUNCTION tspar_launched(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	l text;
BEGIN
	FOR l IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || q LOOP
		IF l ~ 'Workers Launched' THEN
			RETURN trim(l);
		END IF;
	END LOOP;
	RETURN 'no Gather';
END $$;
SELECT tspar_launched('SELECT * FROM tspar_q');
CREATE TEMP TABLE tspar_par AS SELECT * FROM tspar_q;
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE tspar_ser AS SELECT * FROM tspar_q;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
RESET enable_hashagg;
SELECT count(*) AS groups, count(*) FILTER (WHERE p IS NOT DISTINCT FROM s) AS identical
  FROM tspar_par p FULL JOIN tspar_ser s USING (seg);

--
-- The states: text and binary round trips, and combining round-tripped
-- partial states gives the one-pass result
--
CREATE AGGREGATE tsagg_dcounts(timestamp, timestamp, text, tsrange) (
	SFUNC = churn.diversion_counts_trans, STYPE = churn.rate_state, INITCOND = '(1,v,-,0,0,0,0,0,0,0,0,0)');
CREATE AGGREGATE tsagg_merge(churn.rate_state) (SFUNC = churn.rate_state_combine, STYPE = churn.rate_state);
CREATE AGGREGATE tsagg_pmerge(churn.periods_state) (SFUNC = churn.periods_state_combine, STYPE = churn.periods_state);
CREATE AGGREGATE tsagg_mmerge(churn.matrix_state) (SFUNC = churn.matrix_state_combine, STYPE = churn.matrix_state);
CREATE AGGREGATE tsagg_cmerge(churn.cohort_retention_state) (
	SFUNC = churn.cohort_retention_combine, STYPE = churn.cohort_retention_state);
CREATE TABLE tsagg_parts AS
SELECT id % 4 AS part,
       tsagg_counts(since, until, '[2024-01-01,2024-04-01)', '1 day') AS c,
       tsagg_dcounts(since, until, moved_to, '[2024-01-01,2024-04-01)') AS d,
       tsagg_pstate(since, until, '[2024-01-31,2024-12-31)', '1 month', '1 day') AS ps,
       tsagg_mstate(channel, moved_to, since, until, '[2024-01-01,2024-04-01)') AS m,
       tsagg_cstate(since, until, timestamp '2024-01-31', '1 month', '1 day', 3) AS cs
  FROM tsd WHERE since > '-infinity' GROUP BY 1;
SELECT count(*) AS partials,
       bool_and(c::text::churn.rate_state::text = c::text AND d::text::churn.rate_state::text = d::text) AS rate_state_text,
       bool_and(ps::text::churn.periods_state::text = ps::text) AS periods_state_text,
       bool_and(m::text::churn.matrix_state::text = m::text) AS matrix_state_text,
       bool_and(cs::text::churn.cohort_retention_state::text = cs::text) AS cohort_state_text
  FROM tsagg_parts;
SELECT current_setting('data_directory') || '/churn_rates_timestamp.bin' AS binfile \gset
COPY tsagg_parts TO :'binfile' (FORMAT binary);
CREATE TABLE tsagg_parts_b (LIKE tsagg_parts);
COPY tsagg_parts_b FROM :'binfile' (FORMAT binary);
SELECT count(*) AS partials,
       bool_and((a.c::text, a.d::text, a.ps::text, a.m::text, a.cs::text)
                = (b.c::text, b.d::text, b.ps::text, b.m::text, b.cs::text)) AS binary_round_trip
  FROM tsagg_parts a JOIN tsagg_parts_b b USING (part);
SELECT (SELECT churn.churn_rate_final(tsagg_merge(c)) FROM tsagg_parts_b)
     = (SELECT churn.churn_rate(since, until, '[2024-01-01,2024-04-01)', '1 day') FROM tsd WHERE since > '-infinity') AS churn_rate_same,
       (SELECT churn.diversion_rate_final(tsagg_merge(d::text::churn.rate_state)) FROM tsagg_parts)
     = (SELECT churn.diversion_rate(since, until, moved_to, '[2024-01-01,2024-04-01)') FROM tsd WHERE since > '-infinity') AS diversion_rate_same,
       (SELECT churn.churn_periods_final_ts(tsagg_pmerge(ps))::text FROM tsagg_parts_b)
     = (SELECT churn.churn_periods(since, until, '[2024-01-31,2024-12-31)', '1 month', '1 day')::text FROM tsd WHERE since > '-infinity') AS churn_periods_same,
       (SELECT churn.diversion_matrix_final(tsagg_mmerge(m::text::churn.matrix_state))::text FROM tsagg_parts)
     = (SELECT churn.diversion_matrix(channel, moved_to, since, until, '[2024-01-01,2024-04-01)')::text FROM tsd WHERE since > '-infinity') AS diversion_matrix_same,
       (SELECT churn.cohort_retention_final_ts(tsagg_cmerge(cs))::text FROM tsagg_parts_b)
     = (SELECT churn.cohort_retention(since, until, timestamp '2024-01-31', '1 month', '1 day', 3)::text FROM tsd WHERE since > '-infinity') AS cohort_retention_same;

-- States of timestamp and of timestamptz values never mix, and a state's
-- domain decides which final function reads it (22023)
SELECT tsagg_err($$SELECT churn.rate_state_combine(c, '(1,c,t,0,10,0,1,0,0,0,0,0)') FROM tsagg_parts WHERE part = 0$$);
SELECT tsagg_err($$SELECT churn.churn_counts_trans(c, timestamptz '2024-01-01 00:00+00', NULL, tstzrange('2024-01-01', '2024-04-01'), '1 day') FROM tsagg_parts WHERE part = 0$$);
SELECT tsagg_err($$SELECT tsagg_pmerge(s) FROM (SELECT ps FROM tsagg_parts WHERE part = 0 UNION ALL SELECT churn.churn_periods_trans(NULL, timestamptz '2024-01-01 00:00+00', NULL, tstzrange('2024-01-31', '2024-12-31'), '1 month', '1 day')) x(s)$$);
SELECT tsagg_err($$SELECT churn.churn_periods_final_tz(ps) FROM tsagg_parts WHERE part = 0$$);
SELECT tsagg_err($$SELECT churn.churn_periods_final(ps) FROM tsagg_parts WHERE part = 0$$);
SELECT tsagg_err($$SELECT churn.matrix_state_combine(m, '(1,t,0,10,{},{})') FROM tsagg_parts WHERE part = 0$$);
SELECT tsagg_err($$SELECT churn.cohort_retention_final(cs) FROM tsagg_parts WHERE part = 0$$);
SELECT tsagg_err($$SELECT churn.cohort_retention_final_date(cs) FROM tsagg_parts WHERE part = 0$$);
SELECT tsagg_err($$SELECT tsagg_cmerge(s) FROM (SELECT cs FROM tsagg_parts WHERE part = 0 UNION ALL SELECT 'v1 timestamptz 759974400000000 1:0:0 0:1:0 3 0 0'::churn.cohort_retention_state) x(s)$$);
-- a timestamp state has no time zone: one naming a zone is refused (22P02,
-- 22P03), as is an unknown domain
SELECT tsagg_err($$SELECT '(2,c,l,0,10,1,0,0,0,0,0,0,"UTC")'::churn.rate_state$$);
SELECT tsagg_err($$SELECT '(2,l,1,1,0,0,0,0,0,{0,10},{0,0,0},{0},{0},{0},"UTC")'::churn.periods_state$$);
SELECT tsagg_err($$SELECT 'v2 timestamp "UTC" 0 1:0:0 1:0:0 0 0 0'::churn.cohort_retention_state$$);
SELECT tsagg_err($$SELECT '(1,c,x,0,10,0,0,0,0,0,0,0)'::churn.rate_state$$);
SELECT tsagg_err($$SELECT '(1,x,1,1,0,0,0,0,0,{0,10},{0,0,0},{0},{0},{0})'::churn.periods_state$$);
SELECT tsagg_err($$SELECT '(1,x,0,10,{},{})'::churn.matrix_state$$);
SELECT tsagg_err($$SELECT 'v1 timestamp 9223372036854775807 1:0:0 1:0:0 0 0 0'::churn.cohort_retention_state$$);
SELECT tsagg_err($$SELECT '(1,c,l,0,9223372036854775807,0,0,0,0,0,0,0)'::churn.rate_state$$);
CREATE TABLE tsagg_raw (b bytea);
CREATE TABLE tsagg_rs (s churn.rate_state);
CREATE FUNCTION tsagg_recv_err(bytes bytea) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	d text;
BEGIN
	TRUNCATE tsagg_raw;
	INSERT INTO tsagg_raw VALUES (bytes);
	EXECUTE format('COPY tsagg_raw TO %L (FORMAT binary)', current_setting('tsagg.binfile'));
	EXECUTE format('COPY tsagg_rs FROM %L (FORMAT binary)', current_setting('tsagg.binfile'));
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
	RETURN SQLSTATE || ' ' || SQLERRM || coalesce(nullif(' (' || d || ')', ' ()'), '');
END $$;
SELECT set_config('tsagg.binfile', :'binfile', false) IS NOT NULL AS set;
SELECT tsagg_recv_err(churn.rate_state_send(c)) AS valid,
       tsagg_recv_err(set_byte(churn.rate_state_send(c), 2, 3)) AS unknown_domain
  FROM tsagg_parts WHERE part = 0;

--
-- Errors: the same SQLSTATEs and messages as over timestamptz, beside
-- which each is shown
--
SELECT tsagg_err($$SELECT churn.churn_rate(t, t - interval '1 hour', tsrange('2024-01-01','2024-02-01')) FROM (VALUES (timestamp '2024-01-10 12:00')) v(t)$$) AS ts,
       tsagg_err($$SELECT churn.churn_rate(t, t - interval '1 hour', tstzrange('2024-01-01','2024-02-01')) FROM (VALUES (timestamptz '2024-01-10 12:00')) v(t)$$) AS tstz;
SELECT tsagg_err($$SELECT churn.churn_periods(t, '-infinity', tsrange('2024-01-01','2024-02-01'), '1 day') FROM (VALUES (timestamp 'infinity')) v(t)$$) AS ts,
       tsagg_err($$SELECT churn.churn_periods(t, '-infinity', tstzrange('2024-01-01','2024-02-01'), '1 day') FROM (VALUES (timestamptz 'infinity')) v(t)$$) AS tstz;
SELECT tsagg_err($$SELECT churn.diversion_matrix('a', 'b', t, t - interval '1 day', tsrange('2024-01-01','2024-02-01')) FROM (VALUES (timestamp '2024-01-10')) v(t)$$) AS ts;
SELECT tsagg_err($$SELECT churn.churn_rate(since, until, 'empty'::tsrange) FROM tsd$$) AS ts,
       tsagg_err($$SELECT churn.churn_rate(since::timestamptz, until::timestamptz, 'empty'::tstzrange) FROM tsd$$) AS tstz;
SELECT tsagg_err($$SELECT churn.churn_rate(since, until, tsrange('2024-01-01', NULL)) FROM tsd$$) AS ts;
SELECT tsagg_err($$SELECT churn.retention_rate(since, until, tsrange(NULL, '2024-01-01')) FROM tsd$$) AS ts;
SELECT tsagg_err($$SELECT churn.churn_rate(since, until, tsrange('2024-01-01', 'infinity')) FROM tsd$$) AS ts;
SELECT tsagg_err($$SELECT churn.diversion_rate(since, until, moved_to, tsrange('-infinity', '2024-01-01')) FROM tsd$$) AS ts;
SELECT tsagg_err($$SELECT churn.churn_rate(since, until, tsrange('2024-01-01', '2024-01-01 00:00:00.000001', '()')) FROM tsd$$) AS ts,
       tsagg_err($$SELECT churn.churn_rate(since::timestamptz, until::timestamptz, tstzrange('2024-01-01', '2024-01-01 00:00:00.000001', '()')) FROM tsd$$) AS tstz;
SELECT tsagg_err($$SELECT churn.churn_rate(since, until, NULL::tsrange) FROM tsd$$) AS ts;
SELECT tsagg_err($$SELECT churn.churn_rate(since, until, tsrange('2024-01-01', '2024-01-02'::timestamp + (id % 2) * interval '1 day')) FROM tsd$$) AS ts;
SELECT tsagg_err($$SELECT churn.churn_rate(since, until, '[2024-01-01,2024-04-01)', '-1 hour') FROM tsd$$) AS ts;
SELECT tsagg_err($$SELECT churn.churn_rate(since, until, '[2024-01-01,2024-04-01)', NULL::interval) FROM tsd$$) AS ts;
SELECT tsagg_err($$SELECT churn.churn_periods(since, until, '[2024-01-01,2024-04-01)', '0') FROM tsd$$) AS ts;
SELECT tsagg_err($$SELECT churn.churn_periods(since, until, '[2024-01-01,2024-04-01)', '1 month -31 days') FROM tsd$$) AS ts,
       tsagg_err($$SELECT churn.churn_periods(since::timestamptz, until::timestamptz, '[2024-01-01,2024-04-01)', '1 month -31 days') FROM tsd$$) AS tstz;
SELECT tsagg_err($$SELECT churn.churn_periods(since, until, '[2024-01-01,2024-04-01)', '1 second') FROM tsd$$) AS ts;
SELECT tsagg_err($$SELECT churn.churn_periods(since, until, '[2024-01-01,2024-04-01)', NULL) FROM tsd$$) AS ts;
SELECT tsagg_err($$SELECT churn.cohort_retention(since, until, timestamp 'infinity', '1 month', '1 month', 3) FROM tsd$$) AS ts,
       tsagg_err($$SELECT churn.cohort_retention(since::timestamptz, until::timestamptz, timestamptz 'infinity', '1 month', '1 month', 3) FROM tsd$$) AS tstz;
SELECT tsagg_err($$SELECT churn.cohort_retention(since, until, timestamp '2024-01-01', '1 month', '1 month', 3) FROM tsd$$) AS ts;
SELECT tsagg_err($$SELECT churn.cohort_retention(since, until, timestamp '2024-01-01', '0', '1 month', 3) FROM tsd$$) AS ts;
SELECT tsagg_err($$SELECT churn.cohort_retention(since, until, timestamp '2024-01-01', '1 month', '1 month', -1) FROM tsd$$) AS ts;
SELECT tsagg_err($$SELECT churn.cohort_retention(s, u, timestamp '2024-01-01', '1 month', '1 month', 3) FROM (VALUES (timestamp '2024-03-01', timestamp '2024-02-01')) v(s, u)$$) AS ts;
-- the HINT is part of the contract
\set VERBOSITY default
SELECT churn.churn_rate(t, t - interval '1 hour', tsrange('2024-01-01','2024-02-01')) FROM (VALUES (timestamp '2024-01-10 12:00')) v(t);
SELECT churn.churn_rate(since, until, tsrange('2024-01-01', NULL)) FROM tsd;
SELECT churn.churn_periods(since, until, '[2024-01-01,2024-04-01)', '1 second') FROM tsd;
\set VERBOSITY terse

--
-- Ages are observed once their measuring instant has come, read as
-- LOCALTIMESTAMP (the transaction's start in the session's time zone), as
-- the date overload reads CURRENT_DATE.  Oracle: the cohorts of the last
-- months in plain SQL as LOCALTIMESTAMP reads them; every value printed is
-- the same whatever the date.  The customers of this month, whose cohort's
-- window is still open, give no cell.
--
CREATE TEMP TABLE recent AS
SELECT i AS id, date_trunc('month', localtimestamp) - interval '75 days' + i * interval '4 hours 7 minutes' AS since,
       CASE WHEN i % 4 = 0 THEN date_trunc('month', localtimestamp) - interval '5 days' + i * interval '37 minutes' END AS until
  FROM generate_series(1, 400) i
 UNION ALL
SELECT 1000 + i, date_trunc('month', localtimestamp) + (localtimestamp - date_trunc('month', localtimestamp)) * (i / 50.0), NULL
  FROM generate_series(0, 50) i;
CREATE TEMP TABLE recent_cells AS
SELECT c.* FROM unnest((SELECT churn.cohort_retention(since, until,
		date_trunc('month', localtimestamp) - interval '12 months', '1 month', '1 week', 10)
  FROM recent)) c;
SELECT count(*) FILTER (WHERE measured_at > localtimestamp) AS future_cells,
       count(*) FILTER (WHERE cohort_start + interval '1 month' > localtimestamp) AS open_cohorts,
       count(*) > 0 AS some_cells,
       (SELECT count(*) FROM recent WHERE since >= date_trunc('month', localtimestamp)) AS customers_of_this_month
  FROM recent_cells;
SELECT count(*) AS wrong_cells
  FROM recent_cells r
 WHERE r.active <> (SELECT count(*) FROM recent x
                     WHERE x.since >= r.cohort_start AND x.since < r.cohort_start + interval '1 month'
                       AND (x.until IS NULL OR x.until >= r.measured_at));
SELECT count(*) AS cohorts_with_missing_ages
  FROM (SELECT cohort_start, max(age) AS last_age, min(measured_at) AS age0
          FROM recent_cells GROUP BY cohort_start) c
 WHERE c.last_age <> least(10, floor(extract(epoch FROM localtimestamp - c.age0) / (7 * 86400))::int);

DROP TABLE recent, recent_cells;
DROP VIEW tsagg_all, tspar_q, tsp_half;
DROP TABLE tsd, tsp, tsagg_zones, tspar, tsagg_parts, tsagg_parts_b, tsagg_raw, tsagg_rs;
DROP AGGREGATE tsagg_counts(timestamp, timestamp, tsrange, interval);
DROP AGGREGATE tsagg_dcounts(timestamp, timestamp, text, tsrange);
DROP AGGREGATE tsagg_pstate(timestamp, timestamp, tsrange, interval, interval);
DROP AGGREGATE tsagg_mstate(text, text, timestamp, timestamp, tsrange);
DROP AGGREGATE tsagg_cstate(timestamp, timestamp, timestamp, interval, interval, int);
DROP AGGREGATE tsagg_merge(churn.rate_state);
DROP AGGREGATE tsagg_pmerge(churn.periods_state);
DROP AGGREGATE tsagg_mmerge(churn.matrix_state);
DROP AGGREGATE tsagg_cmerge(churn.cohort_retention_state);
DROP FUNCTION tsagg_err(text);
DROP FUNCTION tsagg_recv_err(bytea);
DROP FUNCTION tspar_launched(text);
DROP FUNCTION tsagg_rates_sql(interval);
DROP FUNCTION tsagg_periods_sql(tsrange, interval, interval);
DROP FUNCTION tsagg_cohort_sql(timestamp, interval, interval, int);
