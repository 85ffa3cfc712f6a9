--
-- cohort_retention: cohorts by since in [origin + k × cohort_step,
-- origin + (k+1) × cohort_step); age a measured at the end of the cohort's
-- window plus a × age_step; active at t = since < t AND (until IS NULL OR
-- until >= t).  Every figure is checked against plain SQL over the same
-- rows.
--
SET TimeZone = 'Europe/Berlin';
SET DateStyle = 'ISO, YMD';

CREATE TABLE cust AS
SELECT g AS id, g % 4 AS segment,
	   date '2024-01-01' + (g * 37 % 500) - 60 AS since,
	   CASE WHEN g % 3 = 0 THEN NULL
			ELSE date '2024-01-01' + (g * 37 % 500) - 60 + (g * 13 % 400) END AS until
  FROM generate_series(1, 4000) g;
-- boundary rows: since exactly on a cohort edge, until exactly on a
-- measuring instant, until = since, month-end
INSERT INTO cust VALUES
	(-1, 0, '2024-02-01', '2024-03-01'), (-2, 0, '2024-02-01', '2024-02-29'),
	(-3, 0, '2024-02-29', '2024-02-29'), (-4, 0, '2024-01-31', NULL),
	(-5, 1, '2023-12-31', '2024-01-01'), (-6, 1, NULL, NULL);

-- the plain-SQL oracle: every (cohort, age) cell by joins and FILTER
CREATE FUNCTION oracle_date(origin date, cstep interval, astep interval, ages int)
RETURNS TABLE (segment int, cohort int, cohort_start date, age int, measured_at date,
			   cohort_size bigint, active bigint)
LANGUAGE sql AS $$
	SELECT c.segment, k.k, (origin + k.k * cstep)::date, a.a,
		   (origin + (k.k + 1) * cstep + a.a * astep)::date,
		   count(*),
		   count(*) FILTER (WHERE c.since < origin + (k.k + 1) * cstep + a.a * astep
							  AND (c.until IS NULL OR c.until >= origin + (k.k + 1) * cstep + a.a * astep))
	  FROM generate_series(-10, 40) k(k)
	  CROSS JOIN generate_series(0, ages) a(a)
	  JOIN cust c ON c.since >= origin + k.k * cstep AND c.since < origin + (k.k + 1) * cstep
	 GROUP BY 1, 2, 3, 4, 5
$$;

-- monthly cohorts, monthly ages, overall
SELECT r.* FROM unnest((SELECT churn.cohort_retention(since, until, date '2024-01-01',
	'1 month', '1 month', 3) FROM cust)) r WHERE r.cohort IN (-2, 1) ORDER BY cohort, age;
SELECT count(*) AS cells,
	   count(*) FILTER (WHERE o.cohort_size = r.cohort_size AND o.active = r.active
						AND o.cohort_start = r.cohort_start AND o.measured_at = r.measured_at
						AND r.rate = r.active::float8 / r.cohort_size) AS equal
  FROM (SELECT cohort, cohort_start, age, measured_at, sum(cohort_size) AS cohort_size,
			   sum(active) AS active
		  FROM oracle_date('2024-01-01', '1 month', '1 month', 3)
		 GROUP BY 1, 2, 3, 4) o
  FULL JOIN unnest((SELECT churn.cohort_retention(since, until, date '2024-01-01',
		'1 month', '1 month', 3) FROM cust)) r USING (cohort, age);

-- per segment with GROUP BY; month-end origin (Jan 31: Feb 29, Mar 31, ...);
-- weekly ages
SELECT count(*) AS cells,
	   count(*) FILTER (WHERE o.cohort_size = r.cohort_size AND o.active = r.active
						AND o.cohort_start = r.cohort_start AND o.measured_at = r.measured_at) AS equal
  FROM oracle_date('2024-01-31', '1 month', '7 days', 6) o
  FULL JOIN (SELECT segment, r.*
			   FROM (SELECT segment, churn.cohort_retention(since, until, date '2024-01-31',
							'1 month', '7 days', 6) AS cells
					   FROM cust GROUP BY segment) s,
					unnest(s.cells) r) r USING (segment, cohort, age);
SELECT DISTINCT cohort, cohort_start FROM unnest((SELECT churn.cohort_retention(since, until,
	date '2024-01-31', '1 month', '1 day', 0) FROM cust)) WHERE cohort BETWEEN -1 AND 2 ORDER BY 1;

-- timestamptz: daily cohorts across the DST change of 2024-03-31 in
-- Europe/Berlin (a day is 23 hours there), ages of 12 hours
CREATE TABLE cust_ts AS
SELECT id, timestamptz '2024-03-25 00:00' + (id * 7919 % 200000) * interval '1 minute' AS since,
	   CASE WHEN id % 4 = 0 THEN NULL
			ELSE timestamptz '2024-03-25 00:00' + (id * 7919 % 200000) * interval '1 minute'
				 + (id * 31 % 5000) * interval '1 minute' END AS until
  FROM generate_series(1, 3000) id;
SELECT count(*) AS cells,
	   count(*) FILTER (WHERE o.cohort_size = r.cohort_size AND o.active = r.active
						AND o.cohort_start = r.cohort_start AND o.measured_at = r.measured_at) AS equal
  FROM (SELECT k.k AS cohort, timestamptz '2024-03-25' + k.k * interval '1 day' AS cohort_start,
			   a.a AS age,
			   timestamptz '2024-03-25' + (k.k + 1) * interval '1 day' + a.a * interval '12 hours' AS measured_at,
			   count(*) AS cohort_size,
			   count(*) FILTER (WHERE c.until IS NULL OR c.until >= timestamptz '2024-03-25'
								+ (k.k + 1) * interval '1 day' + a.a * interval '12 hours') AS active
		  FROM generate_series(0, 200) k(k) CROSS JOIN generate_series(0, 5) a(a)
		  JOIN cust_ts c ON c.since >= timestamptz '2024-03-25' + k.k * interval '1 day'
						AND c.since < timestamptz '2024-03-25' + (k.k + 1) * interval '1 day'
		 GROUP BY 1, 2, 3, 4) o
  FULL JOIN unnest((SELECT churn.cohort_retention(since, until, timestamptz '2024-03-25',
		'1 day', '12 hours', 5) FROM cust_ts)) r USING (cohort, age);
SELECT cohort, cohort_start, measured_at
  FROM unnest((SELECT churn.cohort_retention(since, until, timestamptz '2024-03-25',
		'1 day', '12 hours', 5) FROM cust_ts)) WHERE cohort = 6 ORDER BY age;

-- 3,000 daily cohorts fed in descending, ascending and shuffled order (the
-- dense state grows downwards, upwards and both): every cell as plain SQL
CREATE TABLE cs AS
SELECT g AS id, date '2020-01-01' + (g * 7919 % 3000) - 1500 AS since,
	   CASE WHEN g % 5 = 0 THEN NULL
			ELSE date '2020-01-01' + (g * 7919 % 3000) - 1500 + (g * 31 % 200) END AS until
  FROM generate_series(1, 20000) g;
CREATE TABLE cs_oracle AS
SELECT since - date '2020-01-01' AS cohort, a AS age, count(*) AS cohort_size,
	   count(*) FILTER (WHERE until IS NULL OR until >= since + 1 + 7 * a) AS active
  FROM cs CROSS JOIN generate_series(0, 5) a GROUP BY 1, 2;
SELECT o.ord, count(*) AS cells,
	   count(*) FILTER (WHERE r.cohort_size = c.cohort_size AND r.active = c.active) AS equal
  FROM (VALUES ('desc'), ('asc'), ('shuffled')) o(ord)
 CROSS JOIN LATERAL (
	SELECT CASE o.ord
		WHEN 'desc' THEN (SELECT churn.cohort_retention(since, until, date '2020-01-01', '1 day', '1 week', 5 ORDER BY since DESC) FROM cs)
		WHEN 'asc' THEN (SELECT churn.cohort_retention(since, until, date '2020-01-01', '1 day', '1 week', 5 ORDER BY since) FROM cs)
		ELSE (SELECT churn.cohort_retention(since, until, date '2020-01-01', '1 day', '1 week', 5 ORDER BY md5(id::text)) FROM cs)
	END AS cells) x
 CROSS JOIN LATERAL unnest(x.cells) r
  FULL JOIN cs_oracle c USING (cohort, age)
 GROUP BY o.ord ORDER BY o.ord;
DROP TABLE cs, cs_oracle;

-- empty input gives NULL; rows without since are skipped
SELECT churn.cohort_retention(since, until, date '2024-01-01', '1 month', '1 month', 3) IS NULL AS empty_null
  FROM cust WHERE false;
SELECT churn.cohort_retention(NULL::date, NULL, date '2024-01-01', '1 month', '1 month', 3) IS NULL AS no_since_null;
-- ages = 0: only the end of the cohort window.  By hand, with monthly
-- cohorts from 2024-02-01: cohort 0 = {-1 (until Mar 1 = t0: active),
-- -2 (until Feb 29), -3 (Feb 29 - Feb 29)} -> 3 members, 1 active;
-- cohort -1 = {-4 (Jan 31, still a customer)} -> 1, 1;
-- cohort -2 = {-5 (Dec 31 - Jan 1 = t0: active)} -> 1, 1
SELECT * FROM unnest((SELECT churn.cohort_retention(since, until, date '2024-02-01', '1 month', '1 month', 0)
	FROM cust WHERE id < 0)) ORDER BY cohort;

-- the partial state: text and binary round trip, and combining
-- round-tripped partials gives the one-pass result
CREATE AGGREGATE cohort_partial(date, date, date, interval, interval, int) (
	SFUNC = churn.cohort_retention_trans, STYPE = churn.cohort_retention_state,
	COMBINEFUNC = churn.cohort_retention_combine);
CREATE AGGREGATE cohort_merge(churn.cohort_retention_state) (
	SFUNC = churn.cohort_retention_combine, STYPE = churn.cohort_retention_state,
	FINALFUNC = churn.cohort_retention_final_date);
SELECT cohort_partial(since, until, date '2024-01-01', '1 month', '1 month', 2)
  FROM cust WHERE id < 0;
CREATE TABLE parts AS
SELECT segment, cohort_partial(since, until, date '2024-01-01', '1 month', '2 weeks', 4) AS st
  FROM cust GROUP BY segment;
SELECT count(*) AS text_round_trips FROM parts
 WHERE st::text::churn.cohort_retention_state::text = st::text;
SELECT current_setting('data_directory') || '/churn_cohort_parts.bin' AS bfile \gset
COPY parts TO :'bfile' WITH (FORMAT binary);
CREATE TABLE parts2 (LIKE parts);
COPY parts2 FROM :'bfile' WITH (FORMAT binary);
SELECT count(*) AS binary_round_trips FROM parts JOIN parts2 USING (segment) WHERE parts.st::text = parts2.st::text;
SELECT (SELECT cohort_merge(st::text::churn.cohort_retention_state) FROM parts2)::text =
	   (SELECT churn.cohort_retention(since, until, date '2024-01-01', '1 month', '2 weeks', 4) FROM cust)::text
	   AS merged_equals_one_pass;

-- parallel aggregation gives the same cells
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF)
SELECT churn.cohort_retention(since, until, date '2024-01-01', '1 month', '1 month', 3) FROM cust;
CREATE TABLE par AS
SELECT churn.cohort_retention(since, until, date '2024-01-01', '1 month', '1 month', 3)::text AS c FROM cust;
CREATE TABLE par_ts AS
SELECT churn.cohort_retention(since, until, timestamptz '2024-03-25', '1 day', '12 hours', 5)::text AS c FROM cust_ts;
RESET max_parallel_workers_per_gather;
SET max_parallel_workers_per_gather = 0;
SELECT (SELECT c FROM par) = churn.cohort_retention(since, until, date '2024-01-01', '1 month', '1 month', 3)::text
	   AS parallel_equals_serial FROM cust;
SELECT (SELECT c FROM par_ts) = churn.cohort_retention(since, until, timestamptz '2024-03-25', '1 day', '12 hours', 5)::text
	   AS parallel_equals_serial_ts FROM cust_ts;
RESET ALL;
SET TimeZone = 'Europe/Berlin';
SET DateStyle = 'ISO, YMD';

-- errors (22023 unless noted)
SELECT churn.cohort_retention(s, u, date '2024-01-01', '1 month', '1 month', 3)
  FROM (VALUES (date '2024-03-01', date '2024-02-01')) v(s, u);
SELECT churn.cohort_retention(since, until, date '2024-01-01', '0 days', '1 month', 3) FROM cust;
SELECT churn.cohort_retention(since, until, date '2024-01-01', '1 month -1 day', '1 month', 3) FROM cust;
SELECT churn.cohort_retention(since, until, date '2024-01-01', '1 month', '12 hours', 3) FROM cust;
SELECT churn.cohort_retention(since, until, date '2024-01-01', '1 month', '1 month', -1) FROM cust;
SELECT churn.cohort_retention(since, until, date '2024-01-01', '1 month', '1 month', NULL) FROM cust;
SELECT churn.cohort_retention(since, until, date 'infinity', '1 month', '1 month', 3) FROM cust;
SELECT churn.cohort_retention(s, NULL, date '2024-01-01', '1 month', '1 month', 3)
  FROM (VALUES (date 'infinity')) v(s);
SELECT churn.cohort_retention(since, until, date '2024-01-01', '1 month', '1 month', id % 2) FROM cust;
SELECT churn.cohort_retention(s, NULL, date '2024-01-01', '1 day', '1 day', 10)
  FROM (VALUES (date '2024-01-01'), (date '9999-01-01')) v(s);
SELECT 'v3 date 0 1:0:0 1:0:0 0 0 0'::churn.cohort_retention_state;
SELECT 'v1 date 0 1:0:0 0:0:0 0 0 0'::churn.cohort_retention_state;
SELECT 'v1 date 0 1:0:0 1:0:0 1 0 1 1,-2,0'::churn.cohort_retention_state;
-- a time part in a date step, an infinite origin, cohorts past the int32
-- range, a cohort whose size overflows
SELECT 'v1 date 0 0:0:1 1:0:0 0 0 0'::churn.cohort_retention_state;
SELECT 'v1 date 2147483647 1:0:0 1:0:0 0 0 0'::churn.cohort_retention_state;
SELECT 'v1 date 0 1:0:0 1:0:0 0 2147483647 1 1,0'::churn.cohort_retention_state;
SELECT 'v1 date 0 1:0:0 1:0:0 0 0 1 9223372036854775807,1'::churn.cohort_retention_state;
SELECT churn.cohort_retention_final('v1 date 0 1:0:0 1:0:0 0 0 1 1,0'::churn.cohort_retention_state);
\set VERBOSITY sqlstate
SELECT churn.cohort_retention(s, u, date '2024-01-01', '1 month', '1 month', 3)
  FROM (VALUES (date '2024-03-01', date '2024-02-01')) v(s, u);
SELECT churn.cohort_retention(since, until, date '2024-01-01', '0 days', '1 month', 3) FROM cust;
SELECT churn.cohort_retention(since, until, date '2024-01-01', '1 month', '1 month', id % 2) FROM cust;
SELECT churn.cohort_retention(s, NULL, date '2024-01-01', '1 day', '1 day', 10)
  FROM (VALUES (date '2024-01-01'), (date '9999-01-01')) v(s);
SELECT 'v1 date 0 1:0:0 1:0:0 1 0 1 1,-2,0'::churn.cohort_retention_state;
SELECT 'v1 date 0 1:0:0 1:0:0 1 0 1 1,2'::churn.cohort_retention_state;
SELECT 'v1 date 0 0:0:1 1:0:0 0 0 0'::churn.cohort_retention_state;
SELECT 'v1 date 2147483647 1:0:0 1:0:0 0 0 0'::churn.cohort_retention_state;
SELECT 'v1 date 0 1:0:0 1:0:0 0 2147483647 1 1,0'::churn.cohort_retention_state;
SELECT 'v1 date 0 1:0:0 1:0:0 0 0 1 9223372036854775807,1'::churn.cohort_retention_state;
-- a cohort count whose cell count overflows bigint (2^62 + 2^31 cohorts of
-- 2 cells; it used to wrap below the cell limit and crash) or is negative
-- as int32
SELECT 'v1 date 0 1:0:0 1:0:0 0 0 4611686020574871552'::churn.cohort_retention_state;
SELECT 'v1 date 0 1:0:0 1:0:0 0 0 4294967296 1,0'::churn.cohort_retention_state;
-- a short text claiming 16 million cells is refused before they are allocated
SELECT 'v1 date 0 1:0:0 1:0:0 100000 0 167'::churn.cohort_retention_state;
\set VERBOSITY default
SELECT churn.cohort_retention_combine(NULL, NULL);

-- Time zones (src/state_zone.h): over timestamptz, cohorts and ages of
-- months or days are taken in the session TimeZone, so such a state
-- records the zone (format version 2, after the domain), combines only with
-- states of the same zone or of none (those of churn 1.0) and is finalised
-- only in it; with steps of hours it records none (version 1).
CREATE AGGREGATE cohort_partial_ts(timestamptz, timestamptz, timestamptz, interval, interval, int) (
	SFUNC = churn.cohort_retention_trans, STYPE = churn.cohort_retention_state,
	COMBINEFUNC = churn.cohort_retention_combine);
CREATE AGGREGATE cohort_merge_ts(churn.cohort_retention_state) (
	SFUNC = churn.cohort_retention_combine, STYPE = churn.cohort_retention_state,
	FINALFUNC = churn.cohort_retention_final);
\set zoned 'SELECT current_setting(''TimeZone'') AS zone, cohort_partial_ts(since, until, timestamptz ''2024-03-25 00:00+00'', ''1 day'', ''12 hours'', 1) AS days, cohort_partial_ts(since, until, timestamptz ''2024-03-25 00:00+00'', ''36 hours'', ''12 hours'', 1) AS hours FROM cust_ts WHERE id <= 30'
CREATE TABLE zoned AS :zoned;
SET TimeZone = 'America/New_York';
INSERT INTO zoned :zoned;
SET TimeZone = 'Etc/UTC';
INSERT INTO zoned :zoned;
SET TimeZone = 'Europe/Berlin';
SELECT zone, substr(days::text, 1, 60) AS days, substr(hours::text, 1, 40) AS hours FROM zoned ORDER BY zone;
-- text and binary round trips
SELECT count(*) AS text_round_trips FROM zoned
 WHERE days::text::churn.cohort_retention_state::text = days::text
   AND hours::text::churn.cohort_retention_state::text = hours::text;
COPY zoned TO :'bfile' WITH (FORMAT binary);
CREATE TABLE zoned2 (LIKE zoned);
COPY zoned2 FROM :'bfile' WITH (FORMAT binary);
SELECT count(*) AS binary_round_trips FROM zoned JOIN zoned2 USING (zone)
 WHERE zoned.days::text = zoned2.days::text AND zoned.hours::text = zoned2.hours::text;
-- finalised in its zone the state gives the aggregate's cells
SELECT churn.cohort_retention_final(days)::text
     = (SELECT churn.cohort_retention(since, until, timestamptz '2024-03-25 00:00+00', '1 day', '12 hours', 1)::text
          FROM cust_ts WHERE id <= 30) AS same_cells
  FROM zoned WHERE zone = 'Europe/Berlin';
-- in another zone, or combined with a state of another zone, it is refused
-- (22023, naming both zones); 'Etc/UTC' is "UTC" (one UTC offset, zero)
SELECT churn.cohort_retention_final(days) FROM zoned WHERE zone = 'America/New_York';
SELECT cohort_merge_ts(days) FROM zoned WHERE zone IN ('Europe/Berlin', 'America/New_York');
SET TimeZone = 'UTC';
SELECT cohort_merge_ts(days) IS NOT NULL AS etc_utc_is_utc FROM zoned WHERE zone = 'Etc/UTC';
-- a state that used no zone finalises anywhere
SELECT count(*) AS hours_final_anywhere FROM zoned WHERE churn.cohort_retention_final(hours) IS NOT NULL;
SET TimeZone = 'Europe/Berlin';
-- a version 1 state of timestamptz days (as churn 1.0 stored it) is read,
-- finalises in any zone and combines with a zoned one, which keeps its zone
CREATE TABLE old_cohort AS
SELECT regexp_replace(days::text, '^v2 timestamptz "[^"]*" ', 'v1 timestamptz ')::churn.cohort_retention_state AS days
  FROM zoned WHERE zone = 'Europe/Berlin';
SELECT substr(days::text, 1, 40) AS old FROM old_cohort;
SET TimeZone = 'America/New_York';
SELECT churn.cohort_retention_final(days) IS NOT NULL AS old_final_any_zone FROM old_cohort;
SET TimeZone = 'Europe/Berlin';
CREATE AGGREGATE cohort_merge_state(churn.cohort_retention_state) (
	SFUNC = churn.cohort_retention_combine, STYPE = churn.cohort_retention_state);
SELECT substr(m.s::text, 1, 31) AS merged, m.s::text = z.s::text AS as_two_zoned
  FROM (SELECT cohort_merge_state(s) AS s
          FROM (SELECT days FROM old_cohort UNION ALL SELECT days FROM zoned WHERE zone = 'Europe/Berlin') x(s)) m,
       (SELECT cohort_merge_state(days) AS s
          FROM (SELECT days FROM zoned WHERE zone = 'Europe/Berlin' UNION ALL
                SELECT days FROM zoned WHERE zone = 'Europe/Berlin') x) z;
-- invalid zones
\set VERBOSITY sqlstate
SELECT 'v2 date "UTC" 0 1:0:0 1:0:0 0 0 0'::churn.cohort_retention_state;
SELECT 'v2 timestamptz "UTC" 0 0:0:3600000000 0:0:3600000000 0 0 0'::churn.cohort_retention_state;
SELECT 'v2 timestamptz 0 0:1:0 0:1:0 0 0 0'::churn.cohort_retention_state;
SELECT 'v2 timestamptz "" 0 0:1:0 0:1:0 0 0 0'::churn.cohort_retention_state;
SELECT 'v2 timestamptz "U T C" 0 0:1:0 0:1:0 0 0 0'::churn.cohort_retention_state;
SELECT 'v1 timestamptz "UTC" 0 0:1:0 0:1:0 0 0 0'::churn.cohort_retention_state;
\set VERBOSITY default
SELECT 'v2 timestamptz "U T C" 0 0:1:0 0:1:0 0 0 0'::churn.cohort_retention_state;
SELECT 'v2 timestamptz "UTC" 0 0:1:0 0:1:0 0 0 0'::churn.cohort_retention_state;
DROP TABLE zoned, zoned2, old_cohort;
DROP AGGREGATE cohort_partial_ts(timestamptz, timestamptz, timestamptz, interval, interval, int);
DROP AGGREGATE cohort_merge_ts(churn.cohort_retention_state);
DROP AGGREGATE cohort_merge_state(churn.cohort_retention_state);

DROP TABLE cust, cust_ts, parts, parts2, par, par_ts;
DROP FUNCTION oracle_date;
DROP AGGREGATE cohort_partial(date, date, date, interval, interval, int);
DROP AGGREGATE cohort_merge(churn.cohort_retention_state);

-- Ages are observed once their measuring instant has come: a cohort whose
-- acquisition window is still open has no row, and an age measured later
-- than now is left out (it would count as active every member who has not
-- left yet).  Oracle: the same cells from the cohorts of two and three
-- months ago, computed in plain SQL as now() reads them; every value
-- printed is the same whatever the date.
CREATE TEMP TABLE recent AS
SELECT i AS id, date_trunc('month', now())::date - 75 + i % 70 AS since,
	   CASE WHEN i % 4 = 0 THEN date_trunc('month', now())::date - 5 + i % 10 END AS until
  FROM generate_series(1, 400) i;
CREATE TEMP TABLE recent_cells AS
SELECT c.* FROM unnest((SELECT churn.cohort_retention(since, until,
		(date_trunc('month', now()) - interval '12 months')::date, '1 month', '1 week', 10)
  FROM recent)) c;
SELECT count(*) FILTER (WHERE measured_at > current_date) AS future_cells,
	   count(*) FILTER (WHERE cohort_start + interval '1 month' > current_date) AS open_cohorts,
	   bool_and(measured_at <= current_date) AS all_observed,
	   count(*) > 0 AS some_cells
  FROM recent_cells;
-- every observed cell equals plain SQL, and each cohort has exactly the
-- ages whose instant has come
SELECT count(*) AS wrong_cells
  FROM recent_cells r
 WHERE r.active <> (SELECT count(*) FROM recent x
					 WHERE x.since >= r.cohort_start AND x.since < r.cohort_start + interval '1 month'
					   AND (x.until IS NULL OR x.until >= r.measured_at));
SELECT count(*) AS cohorts_with_missing_ages
  FROM (SELECT cohort_start, max(age) AS last_age, min(measured_at) AS age0
		  FROM recent_cells GROUP BY cohort_start) c
 WHERE c.last_age <> least(10, floor((current_date - c.age0) / 7.0)::int);
-- the same over timestamptz, as of the transaction's start
SELECT count(*) FILTER (WHERE c.measured_at > now()) AS future_cells_tz, count(*) > 0 AS some_cells_tz
  FROM unnest((SELECT churn.cohort_retention(since::timestamptz, until::timestamptz,
				 date_trunc('month', now()) - interval '12 months', '1 month', '1 week', 10)
				 FROM recent)) c;
DROP TABLE recent, recent_cells;
