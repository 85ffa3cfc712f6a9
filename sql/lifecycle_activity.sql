--
-- lifecycle_activity: lifecycle_from_activity(last_activity, as_of,
-- at_risk_after, dormant_after, churned_after).
--
-- Rule: the most advanced of churned, dormant, at_risk whose threshold is
-- reached, a threshold being reached when as_of >= last_activity + threshold;
-- otherwise active.  Activity at or after as_of is active.  NULL in, NULL out.
--
SET search_path = churn, public;
SET TimeZone = 'UTC';
SET IntervalStyle = 'postgres';

-- Hand-worked cases with thresholds 30, 60 and 90 days and as_of
-- 2024-06-30 00:00 UTC.  Boundaries: at_risk from 2024-05-31 00:00 back,
-- dormant from 2024-05-01 00:00 back, churned from 2024-04-01 00:00 back.
SELECT last_activity, expected,
       lifecycle_from_activity(last_activity, '2024-06-30 00:00+00', '30 days', '60 days', '90 days') AS got
  FROM (VALUES
	('2024-07-15 00:00+00'::timestamptz, 'active'::lifecycle),	-- in the future
	('2024-06-30 00:00+00', 'active'),		-- at as_of
	('2024-06-29 12:00+00', 'active'),
	('2024-05-31 00:00:01+00', 'active'),	-- one second short of 30 days
	('2024-05-31 00:00+00', 'at_risk'),		-- exactly 30 days
	('2024-05-01 00:00:01+00', 'at_risk'),
	('2024-05-01 00:00+00', 'dormant'),		-- exactly 60 days
	('2024-04-01 00:00:01+00', 'dormant'),
	('2024-04-01 00:00+00', 'churned'),		-- exactly 90 days
	('2020-01-01 00:00+00', 'churned'),
	('-infinity', 'churned'),
	('infinity', 'active')
  ) AS t(last_activity, expected)
 ORDER BY last_activity;

-- Against the rule written as plain SQL, every 6 hours over 120 days.
SELECT count(*) AS cases,
       count(*) FILTER (WHERE got = want) AS agree,
       count(*) FILTER (WHERE got = 'active') AS active,
       count(*) FILTER (WHERE got = 'at_risk') AS at_risk,
       count(*) FILTER (WHERE got = 'dormant') AS dormant,
       count(*) FILTER (WHERE got = 'churned') AS churned
  FROM (SELECT lifecycle_from_activity(la, asof, '30 days', '60 days', '90 days') AS got,
               CASE WHEN la >= asof THEN 'active'
                    WHEN asof >= la + interval '90 days' THEN 'churned'
                    WHEN asof >= la + interval '60 days' THEN 'dormant'
                    WHEN asof >= la + interval '30 days' THEN 'at_risk'
                    ELSE 'active' END::lifecycle AS want
          FROM (SELECT '2024-06-30 00:00+00'::timestamptz AS asof,
                       '2024-06-30 00:00+00'::timestamptz - n * interval '6 hours' AS la
                  FROM generate_series(-8, 480) n) g) c;
-- By hand: n = -8 .. 119 is less than 30 days (128 cases, active), 120 .. 239
-- at_risk (120), 240 .. 359 dormant (120), 360 .. 480 churned (121).

-- Month thresholds use the calendar: one month after 2024-01-31 is
-- 2024-02-29 (leap year), two months 2024-03-31, three 2024-04-30.
SELECT as_of,
       lifecycle_from_activity('2024-01-31 10:00+00', as_of, '1 month', '2 months', '3 months') AS state
  FROM (VALUES ('2024-02-29 09:59:59+00'::timestamptz), ('2024-02-29 10:00+00'),
               ('2024-03-31 10:00+00'), ('2024-04-30 09:59:59+00'), ('2024-04-30 10:00+00')) t(as_of)
 ORDER BY as_of;

-- Days follow the session time zone: across the spring DST change in
-- Berlin, 1 day after 2024-03-30 12:00 CET is 23 hours later, 24 hours is
-- 24 hours later.
SET TimeZone = 'Europe/Berlin';
SELECT lifecycle_from_activity('2024-03-30 12:00+01', '2024-03-31 12:00+02', '1 day', '2 days', '3 days') AS one_day,
       lifecycle_from_activity('2024-03-30 12:00+01', '2024-03-31 12:00+02', '24 hours', '48 hours', '72 hours') AS hours_24;
SET TimeZone = 'UTC';

-- Mixed units are fine as long as they increase.
SELECT lifecycle_from_activity('2024-01-01', '2024-03-15', '2 weeks', '1 month 15 days', '1 year') AS state;

-- STRICT: NULL anywhere gives NULL.
SELECT lifecycle_from_activity(NULL, '2024-06-30', '30 days', '60 days', '90 days') IS NULL AS null_last,
       lifecycle_from_activity('2024-06-01', NULL, '30 days', '60 days', '90 days') IS NULL AS null_as_of,
       lifecycle_from_activity('2024-06-01', '2024-06-30', NULL, '60 days', '90 days') IS NULL AS null_threshold;

-- Thresholds must be positive and increasing: 22023 naming them.
SELECT lifecycle_from_activity('2024-06-01', '2024-06-30', '60 days', '30 days', '90 days');
SELECT lifecycle_from_activity('2024-06-01', '2024-06-30', '0', '30 days', '90 days');
\set VERBOSITY sqlstate
-- equal thresholds, a month against 30 days, decreasing last pair
SELECT lifecycle_from_activity('2024-06-01', '2024-06-30', '30 days', '30 days', '90 days');
SELECT lifecycle_from_activity('2024-06-01', '2024-06-30', '1 month', '30 days', '90 days');
SELECT lifecycle_from_activity('2024-06-01', '2024-06-30', '30 days', '60 days', '59 days');
-- negative, and a negative part hidden in a positive total
SELECT lifecycle_from_activity('2024-06-01', '2024-06-30', '-30 days', '60 days', '90 days');
SELECT lifecycle_from_activity('2024-06-01', '2024-06-30', '30 days', '60 days', '4 months -1 day');
SELECT lifecycle_from_activity('2024-06-01', '2024-06-30', '30 days', '00:00', '90 days');
\set VERBOSITY default
