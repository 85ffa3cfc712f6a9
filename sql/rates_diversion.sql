--
-- rates_diversion: diversion_rate and diversion_matrix over channel stays,
-- against hand-worked numbers and plain SQL.
--
SET DateStyle = 'ISO, YMD';
SET TimeZone = 'Europe/Berlin';
SET extra_float_digits = 0;
SET jit = off;	-- the plain-SQL oracles are costed high: JIT compilation only slows them

CREATE FUNCTION rates_err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ' ' || SQLERRM;
END $$;

-- hand-worked, P = [2024-01-01, 2024-04-01):
--   branch A: 4 stays in the base (a1..a4; a5 ended before P, a6 starts
--   after it); a2 moved to B, a3 moved to online, a4 ended without moving
--   => A diverted 2 of 4 = 0.5
--   branch B: b1 in base, moved to A on the last day of P; b2 moved to A
--   exactly at upper (not in P) => B diverted 1 of 2 = 0.5
CREATE TABLE rd_h (id text, channel text, since date, until date, moved_to text);
INSERT INTO rd_h VALUES
 ('a1', 'A', '2023-01-01', NULL, NULL),
 ('a2', 'A', '2023-01-01', '2024-01-01', 'B'),
 ('a3', 'A', '2024-02-01', '2024-03-01', 'online'),
 ('a4', 'A', '2023-05-01', '2024-02-15', NULL),
 ('a5', 'A', '2023-01-01', '2023-12-31', 'B'),
 ('a6', 'A', '2024-04-01', NULL, NULL),
 ('b1', 'B', '2023-01-01', '2024-03-31', 'A'),
 ('b2', 'B', '2023-01-01', '2024-04-01', 'A');
SELECT channel, churn.diversion_rate(since, until, moved_to, daterange('2024-01-01', '2024-04-01')) AS rate
  FROM rd_h GROUP BY channel ORDER BY channel;
SELECT f.* FROM unnest((SELECT churn.diversion_matrix(channel, moved_to, since, until, daterange('2024-01-01', '2024-04-01'))
                          FROM rd_h)) f;
-- moved_to may be of any type
SELECT churn.diversion_rate(since, until, CASE WHEN moved_to IS NOT NULL THEN 1 END, daterange('2024-01-01', '2024-04-01')) AS rate_int
  FROM rd_h WHERE channel = 'A';
-- Which diversion_rate a call resolves to, read from the dependencies of a
-- view over each call: text moved_to (and varchar, char(n), an unknown
-- literal, NULL) has its own overloads, which Citus pushes down; any other
-- type takes the "any" ones as in 1.0.
CREATE TEMP TABLE rd_types (since date, until date, since_t timestamptz, until_t timestamptz,
                            t text, vc varchar(10), bp char(3), i int, b boolean);
DO $$
DECLARE
	c text;
BEGIN
	FOREACH c IN ARRAY ARRAY['t', 'vc', 'bp', 'i', 'b', '''x''', 'NULL'] LOOP
		EXECUTE format('CREATE TEMP VIEW %I AS SELECT churn.diversion_rate(since, until, %s, ''[2024-01-01,2024-04-01)'') FROM rd_types',
					   'date ' || c, c);
		EXECUTE format('CREATE TEMP VIEW %I AS SELECT churn.diversion_rate(since_t, until_t, %s, ''[2024-01-01,2024-04-01)'') FROM rd_types',
					   'timestamptz ' || c, c);
	END LOOP;
END
$$;
SELECT c.relname AS moved_to, d.refobjid::regprocedure AS resolves_to
  FROM pg_class c
  JOIN pg_rewrite w ON w.ev_class = c.oid
  JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = w.oid
                  AND d.refclassid = 'pg_proc'::regclass
  JOIN pg_proc p ON p.oid = d.refobjid AND p.proname = 'diversion_rate'
 WHERE c.relnamespace = pg_my_temp_schema() AND c.relkind = 'v'
 ORDER BY 1;
-- "char" matches text and "any" equally well: a cast chooses
SELECT rates_err($$SELECT churn.diversion_rate(since, until, 'x'::"char", daterange('2024-01-01', '2024-04-01')) FROM rd_h$$);
-- no stay in the base: NULL rate, empty matrix
SELECT churn.diversion_rate(since, until, moved_to, daterange('2030-01-01', '2030-04-01')) IS NULL AS no_base,
       cardinality(churn.diversion_matrix(channel, moved_to, since, until, daterange('2030-01-01', '2030-04-01'))) AS cells
  FROM rd_h WHERE channel = 'B';

-- generated stays
SELECT setseed(0.73);
CREATE TABLE rd_s AS
SELECT i, 'ch' || (random() * 25)::int AS channel, d AS since,
       CASE WHEN random() < 0.5 THEN d + (random() * 300)::int END AS until, NULL::text AS moved_to
  FROM (SELECT i, date '2023-01-01' + (random() * 600)::int AS d FROM generate_series(1, 8000) i) s;
UPDATE rd_s SET moved_to = CASE WHEN random() < 0.1 THEN 'competitor' ELSE 'ch' || (random() * 25)::int END
 WHERE until IS NOT NULL AND random() < 0.7;
INSERT INTO rd_s VALUES (90001, 'edge', '2023-06-01', '2023-06-01', 'ch1'),	-- since = until = lower
                        (90002, 'edge', '2023-05-01', '2023-09-01', 'ch1'),	-- until = upper
                        (90003, 'edge', '2023-09-01', NULL, NULL),			-- since = upper
                        (90004, NULL, '2023-06-01', '2023-07-01', 'ch1');	-- no channel: ignored by the matrix

-- diversion_rate per channel vs COUNT(*) FILTER, date and timestamptz
SELECT count(*) AS channels,
       bool_and(a.rate IS NOT DISTINCT FROM s.diverted::float8 / nullif(s.base, 0)) AS rate_ok,
       bool_and(a.rate_tz IS NOT DISTINCT FROM a.rate) AS tstz_ok,
       bool_and(a.rate_any IS NOT DISTINCT FROM a.rate AND a.rate_tz_any IS NOT DISTINCT FROM a.rate) AS any_ok
  FROM (SELECT coalesce(channel, '(none)') AS channel,
               churn.diversion_rate(since, until, moved_to, daterange('2023-06-01', '2023-09-01')) AS rate,
               churn.diversion_rate(since::timestamptz, until::timestamptz, moved_to,
                                    tstzrange('2023-06-01', '2023-09-01')) AS rate_tz,
               churn.diversion_rate(since, until, length(moved_to), daterange('2023-06-01', '2023-09-01')) AS rate_any,
               churn.diversion_rate(since::timestamptz, until::timestamptz, length(moved_to),
                                    tstzrange('2023-06-01', '2023-09-01')) AS rate_tz_any
          FROM rd_s GROUP BY channel) a
  FULL JOIN (SELECT coalesce(channel, '(none)') AS channel,
                    count(*) FILTER (WHERE since < '2023-09-01' AND (until IS NULL OR until >= '2023-06-01')) AS base,
                    count(*) FILTER (WHERE until >= '2023-06-01' AND until < '2023-09-01' AND moved_to IS NOT NULL) AS diverted
               FROM rd_s GROUP BY channel) s USING (channel);

-- diversion_matrix vs GROUP BY plain SQL
WITH m AS (
  SELECT f.* FROM unnest((SELECT churn.diversion_matrix(channel, moved_to, since, until, daterange('2023-06-01', '2023-09-01'))
                            FROM rd_s)) WITH ORDINALITY f),
b AS (SELECT channel, count(*) AS base FROM rd_s
       WHERE channel IS NOT NULL AND since < '2023-09-01' AND (until IS NULL OR until >= '2023-06-01')
       GROUP BY channel),
mv AS (SELECT channel, moved_to, count(*) AS moved FROM rd_s
        WHERE channel IS NOT NULL AND until >= '2023-06-01' AND until < '2023-09-01' AND moved_to IS NOT NULL
        GROUP BY channel, moved_to),
s AS (SELECT mv.channel AS from_channel, mv.moved_to AS to_channel, mv.moved, b.base,
             sum(mv.moved) OVER (PARTITION BY mv.channel) AS diverted
        FROM mv JOIN b USING (channel))
SELECT count(*) AS cells, count(m.moved) = count(*) AND count(s.moved) = count(*) AS same_cells,
       bool_and((m.moved, m.from_base, m.from_diverted) = (s.moved, s.base, s.diverted)) AS counts_ok,
       bool_and(m.rate = s.moved::float8 / s.base AND m.from_diversion_rate = s.diverted::float8 / s.base) AS rates_ok,
       bool_and(m.ordinality = s.pos) AS ordered_bytewise
  FROM m FULL JOIN (SELECT s.*, row_number() OVER (ORDER BY from_channel COLLATE "C", to_channel COLLATE "C") AS pos FROM s) s
       USING (from_channel, to_channel);

-- per segment with GROUP BY, timestamptz
SELECT count(*) AS groups,
       bool_and(a.cells = s.cells) AS cells_ok
  FROM (SELECT i % 3 AS seg,
               cardinality(churn.diversion_matrix(channel, moved_to, since::timestamptz, until::timestamptz,
                                                  tstzrange('2023-06-01', '2023-09-01'))) AS cells
          FROM rd_s GROUP BY 1) a
  JOIN (SELECT i % 3 AS seg, count(DISTINCT (channel, moved_to)) AS cells FROM rd_s
         WHERE channel IS NOT NULL AND until >= '2023-06-01' AND until < '2023-09-01' AND moved_to IS NOT NULL
         GROUP BY 1) s USING (seg);

-- window frames (moving aggregate) vs plain SQL, text and "any" moved_to,
-- date and timestamptz
SELECT count(*) AS rows_checked,
       bool_and(w.rate IS NOT DISTINCT FROM w.diverted::float8 / nullif(w.base, 0)) AS window_ok,
       bool_and(w.rate_any IS NOT DISTINCT FROM w.rate AND w.rate_t IS NOT DISTINCT FROM w.rate) AS overloads_ok
  FROM (SELECT churn.diversion_rate(since, until, moved_to, '[2023-06-01,2023-09-01)') OVER f AS rate,
               churn.diversion_rate(since, until, length(moved_to), '[2023-06-01,2023-09-01)') OVER f AS rate_any,
               churn.diversion_rate(since::timestamptz, until::timestamptz, moved_to::varchar,
                                    '[2023-06-01,2023-09-01)') OVER f AS rate_t,
               count(*) FILTER (WHERE since < '2023-09-01' AND (until IS NULL OR until >= '2023-06-01')) OVER f AS base,
               count(*) FILTER (WHERE until >= '2023-06-01' AND until < '2023-09-01' AND moved_to IS NOT NULL) OVER f AS diverted
          FROM rd_s
        WINDOW f AS (PARTITION BY channel ORDER BY i ROWS BETWEEN 20 PRECEDING AND CURRENT ROW)) w;

-- errors
SELECT rates_err($$SELECT churn.diversion_rate(since, since - 1, moved_to, daterange('2024-01-01', '2024-04-01')) FROM rd_h$$);
SELECT rates_err($$SELECT churn.diversion_matrix(channel, moved_to, since, since - 1, daterange('2024-01-01', '2024-04-01')) FROM rd_h$$);
SELECT rates_err($$SELECT churn.diversion_rate(since, until, moved_to, 'empty'::daterange) FROM rd_h$$);
SELECT rates_err($$SELECT churn.diversion_matrix(channel, moved_to, since, until, '(,2024-01-01)'::daterange) FROM rd_h$$);
SELECT rates_err($$SELECT churn.diversion_matrix(channel, moved_to, since, until, NULL::daterange) FROM rd_h$$);
SELECT rates_err($$SELECT churn.diversion_matrix(channel, moved_to, since, until, daterange('2024-01-01', '2024-04-01'::date + (id = 'b1')::int)) FROM rd_h$$);

DROP TABLE rd_h, rd_s;
DROP FUNCTION rates_err(text);
