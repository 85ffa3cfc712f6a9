--
-- metrics: nps, conversion_rate, value_churn_rate, arpu, clv, clv_from_churn.
-- Worked examples by hand, then plain-SQL recomputation on generated data,
-- NULL handling, empty input, and every error path with its SQLSTATE.
--
SET extra_float_digits = 0;

-- err(query): runs a query and prints "SQLSTATE: message" of its error.
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	RETURN sqlstate || ': ' || sqlerrm;
END
$$;

--
-- Worked examples (doc/metrics.md and by hand)
--
-- 50 buyers of 1,000 prospects = 5%
SELECT churn.conversion_rate(i <= 50) AS rate,
       churn.conversion_rate(i <= 50) = 0.05 AS is_5_percent
  FROM generate_series(1, 1000) i;

-- scores 10,9,10 promoters (3), 8,7 passives (2), 6,0 detractors (2), NULL
-- ignored: (3 - 2) / 7 * 100 = 14.2857142857143 points
SELECT churn.nps(s) AS nps, churn.nps(s) = 100.0::float8 / 7 AS is_100_over_7
  FROM (VALUES (10), (9), (8), (7), (6), (0), (10), (NULL)) v(s);
-- every answer a promoter: 100; every answer a detractor: -100
SELECT churn.nps(10) AS all_promoters, churn.nps(0) AS all_detractors,
       churn.nps(7) AS all_passive;
-- smallint and bigint scores: 3 promoters, 1 detractor of 4 = 50 points
SELECT churn.nps(s::smallint) AS int2, churn.nps(s::bigint) AS int8
  FROM (VALUES (9), (6), (10), (10)) v(s);

-- value churn, telecom style: threshold 100; at or above before: 150, 150,
-- 100 (90 is not); of those 50 and 99.99 fell below: 2 of 3
SELECT churn.value_churn_rate(b, a, 100) AS rate,
       churn.value_churn_rate(b, a, 100) = 2.0::float8 / 3 AS is_two_thirds
  FROM (VALUES (150, 50), (150, 120), (90, 10), (100, 99.99)) v(b, a);

-- arpu: revenue 10.5 + 20 + 5 + 7 = 42.5 over customers 1, 2, 3 = 14.1666...
-- (customer 3 has no revenue but counts; revenue 7 of no known customer
-- counts in the total)
SELECT churn.arpu(r, c) AS arpu,
       churn.arpu(r, c) = 42.5 / 3 AS is_42_5_over_3
  FROM (VALUES (10.5, 1), (20, 2), (5, 1), (NULL, 3), (7, NULL)) v(r, c);
-- customers of other types: 60 over 2 customers = 30 each time
SELECT churn.arpu(r, c::text) AS text_customers,
       churn.arpu(r, ('00000000-0000-0000-0000-00000000000' || c)::uuid) AS uuid_customers,
       churn.arpu(r, date '2024-01-01' + c) AS date_customers,
       churn.arpu(r, ARRAY[c, 7]) AS array_customers,
       churn.arpu(r, int4range(c, 9)) AS range_customers
  FROM (VALUES (10, 1), (20, 2), (30, 1)) v(r, c);

-- Which arpu a call resolves to, read from the dependencies of a view over
-- each call: bigint, integer, smallint and uuid customers have their own
-- overloads (Citus pushes those down), every other type goes to
-- arpu(numeric, anyelement) as in 1.0 (there is no text overload, so that a
-- citext customer keeps citext's equality; an untyped literal or NULL needs
-- a cast, as in 1.0).
CREATE TEMP TABLE arpu_types (r numeric, i8 bigint, i4 int, i2 smallint, t text,
                              vc varchar(10), bp char(3), nm name, u uuid,
                              n numeric, d date, f float8, a int[]);
CREATE DOMAIN pg_temp.customer_id AS bigint;
DO $$
DECLARE
	c text;
BEGIN
	FOREACH c IN ARRAY ARRAY['i8', 'i4', 'i2', 't', 'vc', 'bp', 'nm', 'u',
							 'n', 'd', 'f', 'a', 'i8::pg_temp.customer_id',
							 '1', '10000000000'] LOOP
		EXECUTE format('CREATE TEMP VIEW %I AS SELECT churn.arpu(r, %s) FROM arpu_types',
					   'arpu_of ' || c, c);
	END LOOP;
END
$$;
SELECT substr(c.relname, 9) AS customer, d.refobjid::regprocedure AS resolves_to
  FROM pg_class c
  JOIN pg_rewrite w ON w.ev_class = c.oid
  JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = w.oid
                  AND d.refclassid = 'pg_proc'::regclass
  JOIN pg_proc p ON p.oid = d.refobjid AND p.proname = 'arpu'
 WHERE c.relname LIKE 'arpu\_of %'
 ORDER BY 1;
-- "char" customers as in 1.0
SELECT churn.arpu(1, 'x'::"char") AS char_customers;
-- every overload counts the same customers: 60 over 2 customers = 30
SELECT churn.arpu(r, c::bigint) AS bigint_customers,
       churn.arpu(r, c::smallint) AS smallint_customers,
       churn.arpu(r, c::varchar) AS varchar_customers,
       churn.arpu(r, c::char(3)) AS char3_customers,
       churn.arpu(r, c::numeric) AS numeric_customers
  FROM (VALUES (10, 1), (20, 2), (30, 1)) v(r, c);
-- char(n) customers as text: trailing blanks are insignificant in both
SELECT churn.arpu(r, c) AS bpchar_customers, count(DISTINCT c) AS distinct_bpchar
  FROM (VALUES (10, 'a'::char(3)), (20, 'a  '), (30, 'b')) v(r, c);

-- clv: 50 a purchase x 2 purchases a month x 24 months = 2400
SELECT churn.clv(50, 2, 24) AS clv, churn.clv(50.0::float8, 2, 24) AS clv_float8;
-- clv_from_churn: ARPU 30 x margin 0.4 / monthly churn 2% = 600
SELECT churn.clv_from_churn(30, 0.4, 0.02) AS clv,
       churn.clv_from_churn(30, 0.4, 0.02) = 600 AS is_600,
       churn.clv_from_churn(30::float8, 0.4, 0.02) AS clv_float8;
-- limits that are allowed: zero spend, margin 0 and 1, churn rate 1
SELECT churn.clv(0, 2, 24), churn.clv_from_churn(30, 0, 1),
       churn.clv_from_churn(30, 1, 1), churn.clv_from_churn(0, 0.5, 0.5);

--
-- Empty input and all-NULL input give NULL
--
SELECT churn.nps(s) AS nps, churn.conversion_rate(c) AS conversion,
       churn.value_churn_rate(b, a, t) AS value_churn,
       churn.arpu(r, cu) AS arpu
  FROM (VALUES (NULL::int, NULL::bool, NULL::numeric, NULL::numeric,
                NULL::numeric, NULL::numeric, NULL::int)) v(s, c, b, a, t, r, cu);
SELECT churn.nps(s) IS NULL AS nps, churn.conversion_rate(s > 5) IS NULL AS conversion,
       churn.value_churn_rate(s, s, s) IS NULL AS value_churn,
       churn.arpu(s, s) IS NULL AS arpu
  FROM generate_series(1, 0) s;
-- nobody at or above the threshold before: NULL, not 0
SELECT churn.value_churn_rate(b, a, 1000) FROM (VALUES (150, 50)) v(b, a);
-- customers but no revenue at all: 0 (a customer without revenue counts)
SELECT churn.arpu(NULL::numeric, c) FROM generate_series(1, 3) c;
-- revenue but no known customer: NULL
SELECT churn.arpu(10, NULL::int);

--
-- Plain-SQL recomputation on generated data, per segment
--
SELECT setseed(0.4242);
CREATE TEMP TABLE answers AS
SELECT i,
       (i % 7) AS seg,
       CASE WHEN random() < 0.05 THEN NULL ELSE floor(random() * 11)::int END AS score,
       CASE WHEN random() < 0.05 THEN NULL ELSE random() < 0.07 END AS converted,
       CASE WHEN random() < 0.02 THEN NULL ELSE round((random() * 200)::numeric, 2) END AS arpu_before,
       CASE WHEN random() < 0.02 THEN NULL ELSE round((random() * 200)::numeric, 2) END AS arpu_after,
       CASE WHEN random() < 0.03 THEN NULL ELSE round((random() * 500)::numeric, 2) END AS revenue,
       CASE WHEN random() < 0.03 THEN NULL ELSE floor(random() * 3000)::int END AS customer
  FROM generate_series(1, 20000) i;
-- boundary rows: exactly on the threshold before and after
INSERT INTO answers VALUES (20001, 0, 9, true, 100, 100, 1, 1), (20002, 0, 6, false, 100, 99.99, 1, 1);

SELECT seg,
       churn.nps(score) = 100.0::float8 * (count(*) FILTER (WHERE score >= 9)
                                          - count(*) FILTER (WHERE score <= 6))
                          / count(score) AS nps_ok,
       churn.conversion_rate(converted) = count(*) FILTER (WHERE converted)::float8
                                          / count(converted) AS conversion_ok,
       churn.value_churn_rate(arpu_before, arpu_after, 100)
         = count(*) FILTER (WHERE arpu_before >= 100 AND arpu_after < 100)::float8
           / count(*) FILTER (WHERE arpu_before >= 100 AND arpu_after IS NOT NULL) AS value_churn_ok,
       churn.arpu(revenue, customer) = coalesce(sum(revenue), 0) / count(DISTINCT customer) AS arpu_ok,
       churn.arpu(revenue, customer::text) = coalesce(sum(revenue), 0) / count(DISTINCT customer) AS arpu_text_ok,
       churn.arpu(revenue, customer::float8) = coalesce(sum(revenue), 0) / count(DISTINCT customer) AS arpu_float8_ok,
       churn.arpu(revenue, customer::bigint) = coalesce(sum(revenue), 0) / count(DISTINCT customer) AS arpu_bigint_ok,
       churn.arpu(revenue, customer::smallint) = coalesce(sum(revenue), 0) / count(DISTINCT customer) AS arpu_smallint_ok,
       churn.arpu(revenue, ('00000000-0000-0000-0000-' || lpad(customer::text, 12, '0'))::uuid)
         = coalesce(sum(revenue), 0) / count(DISTINCT customer) AS arpu_uuid_ok
  FROM answers
 GROUP BY seg
 ORDER BY seg;
-- the threshold is a per-row argument: each row is classified against its own
SELECT churn.value_churn_rate(arpu_before, arpu_after, 50 + seg * 10)
       = count(*) FILTER (WHERE arpu_before >= 50 + seg * 10 AND arpu_after < 50 + seg * 10)::float8
         / count(*) FILTER (WHERE arpu_before >= 50 + seg * 10 AND arpu_after IS NOT NULL) AS per_row_threshold_ok
  FROM answers;
-- clv_from_churn over aggregates: numeric arpu, float8 churn rate
SELECT round(churn.clv_from_churn(churn.arpu(revenue, customer), 0.3,
                                  churn.conversion_rate(converted))::numeric, 6)
       = round(((coalesce(sum(revenue), 0) / count(DISTINCT customer))::float8 * 0.3
               / (count(*) FILTER (WHERE converted)::float8 / count(converted)))::numeric, 6)
       AS clv_ok
  FROM answers;

--
-- Errors: every path with its SQLSTATE
--
-- NPS scores outside 0..10 (22003), in every overload
SELECT pg_temp.err($$SELECT churn.nps(11)$$);
SELECT pg_temp.err($$SELECT churn.nps(-1::smallint)$$);
SELECT pg_temp.err($$SELECT churn.nps(10000000000::bigint)$$);
SELECT pg_temp.err($$SELECT churn.nps(s) FROM (VALUES (9), (12), (NULL)) v(s)$$);
-- NaN in value churn (22023)
SELECT pg_temp.err($$SELECT churn.value_churn_rate('NaN', 1, 100)$$);
SELECT pg_temp.err($$SELECT churn.value_churn_rate(1, 'NaN', 100)$$);
SELECT pg_temp.err($$SELECT churn.value_churn_rate(1, 1, 'NaN')$$);
-- arpu of a type without hashing (42883), shown with its hint
SELECT churn.arpu(1, point(1, 2));
-- clv: negative, NaN, infinite (22023)
SELECT pg_temp.err($$SELECT churn.clv(-1, 2, 24)$$);
SELECT pg_temp.err($$SELECT churn.clv(50, -0.5, 24)$$);
SELECT pg_temp.err($$SELECT churn.clv(50, 2, 'NaN')$$);
SELECT pg_temp.err($$SELECT churn.clv(50, 2, 'Infinity'::numeric)$$);
SELECT pg_temp.err($$SELECT churn.clv(-1::float8, 2, 24)$$);
SELECT pg_temp.err($$SELECT churn.clv(50::float8, 2, 'Infinity')$$);
SELECT pg_temp.err($$SELECT churn.clv(50::float8, 'NaN', 24)$$);
SELECT pg_temp.err($$SELECT churn.clv(1e300::float8, 1e300, 1)$$);
-- clv_from_churn: negative arpu (22023), margin outside 0..1 and churn rate
-- outside (0, 1] (22003), NaN (22023)
SELECT pg_temp.err($$SELECT churn.clv_from_churn(-30, 0.4, 0.02)$$);
SELECT pg_temp.err($$SELECT churn.clv_from_churn(30, 1.5, 0.02)$$);
SELECT pg_temp.err($$SELECT churn.clv_from_churn(30, -0.1, 0.02)$$);
SELECT pg_temp.err($$SELECT churn.clv_from_churn(30, 0.4, 1.01)$$);
SELECT pg_temp.err($$SELECT churn.clv_from_churn(30, 0.4, -0.02)$$);
SELECT pg_temp.err($$SELECT churn.clv_from_churn(30, 'NaN', 0.02)$$);
SELECT pg_temp.err($$SELECT churn.clv_from_churn(30, 0.4, 'NaN')$$);
SELECT pg_temp.err($$SELECT churn.clv_from_churn(30::float8, 40, 0.02)$$);
SELECT pg_temp.err($$SELECT churn.clv_from_churn(30::float8, 0.4, 'NaN')$$);
SELECT pg_temp.err($$SELECT churn.clv_from_churn(30::float8, 'NaN', 0.02)$$);
SELECT pg_temp.err($$SELECT churn.clv_from_churn(-30::float8, 0.4, 0.02)$$);
SELECT pg_temp.err($$SELECT churn.clv_from_churn('Infinity'::float8, 0.4, 0.02)$$);
SELECT pg_temp.err($$SELECT churn.clv_from_churn(30::float8, 0.4, 0)$$);
SELECT pg_temp.err($$SELECT churn.clv_from_churn(30::float8, 0.4, 2)$$);
-- churn rate 0, with the full message and hint
SELECT churn.clv_from_churn(30, 0.4, 0);
