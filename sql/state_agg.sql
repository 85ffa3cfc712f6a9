--
-- state_agg: time in lifecycle states, state at an instant and transitions
-- of one entity's timeline, built from observations in any order; rollup
-- over entities; the type's I/O; parallel aggregation; errors.
--
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET search_path = public, churn;	-- for the lifecycle operators

-- Hand-worked timelines, rows deliberately out of order:
-- entity 1: new 01-01, active 01-10, at_risk 02-01, active 02-15,
--           active 02-20 (observed again: no change), churned 03-01
--   time_in: new 9 days, active 22 + 15 = 37 days, at_risk 14 days,
--            churned 0 (open-ended); transitions new->active,
--            active->at_risk, at_risk->active, active->churned
-- entity 2: new 01-05 (observed twice), churned 01-06 12:00
--   time_in: new 1 day 12 hours; transition new->churned
-- entity 3: a single observation, active 01-01: no time, no transition
CREATE TABLE ev (id int, s churn.lifecycle, at timestamptz);
INSERT INTO ev VALUES
	(1, 'churned', '2024-03-01'), (1, 'active', '2024-01-10'),
	(1, 'active', '2024-02-20'), (1, 'new', '2024-01-01'),
	(1, 'at_risk', '2024-02-01'), (1, 'active', '2024-02-15'),
	(2, 'new', '2024-01-05'), (2, 'churned', '2024-01-06 12:00'),
	(2, 'new', '2024-01-05'), (2, NULL, '2024-01-07'), (2, 'active', NULL),
	(3, 'active', '2024-01-01');
CREATE TABLE aggs AS SELECT id, churn.state_agg(s, at) AS a FROM ev GROUP BY id;

SELECT id, a FROM aggs ORDER BY id;
SELECT id, st, churn.time_in(a, st)
  FROM aggs, (VALUES ('new'::churn.lifecycle), ('active'), ('at_risk'), ('churned')) v(st)
 ORDER BY id, st;
SELECT id, t.* FROM aggs, churn.transitions(a) t ORDER BY id, from_state, to_state;
-- state_at: NULL before the first observation, the state in force at and
-- after each observation, the last state forever after
SELECT ts, churn.state_at(a, ts)
  FROM aggs, (VALUES (timestamptz '2023-12-31 23:59:59.999999'), ('2024-01-01'),
					 ('2024-01-09 23:59:59'), ('2024-01-10'), ('2024-02-14'),
					 ('2024-02-20'), ('2024-03-01'), ('infinity')) v(ts)
 WHERE id = 1 ORDER BY ts;
-- input order does not matter: every permutation gives the same value
SELECT count(DISTINCT a::text) AS distinct_values
  FROM (SELECT g, churn.state_agg(s, at ORDER BY md5(g::text || at::text)) AS a
		  FROM ev, generate_series(1, 20) g WHERE id = 1 GROUP BY g) x;
-- time_in is the sum of lead(at) - at per state, in plain SQL
SELECT q.id, q.s, q.plain_sql, churn.time_in(a, q.s) AS time_in
  FROM (SELECT id, s, sum(nxt - at) AS plain_sql
		  FROM (SELECT id, s, at, lead(at) OVER (PARTITION BY id ORDER BY at) AS nxt
				  FROM (SELECT DISTINCT id, s, at FROM ev
						 WHERE s IS NOT NULL AND at IS NOT NULL) d) x
		 WHERE nxt IS NOT NULL GROUP BY id, s) q
  JOIN aggs USING (id)
 ORDER BY q.id, q.s;

-- rollup over entities sums time in each state and the transitions; the
-- number of entities is kept
SELECT churn.rollup(a) FROM aggs;
SELECT st, churn.time_in(r, st)
  FROM (SELECT churn.rollup(a) AS r FROM aggs) x,
	   (VALUES ('new'::churn.lifecycle), ('active'), ('at_risk'), ('churned')) v(st) ORDER BY st;
SELECT t.* FROM (SELECT churn.rollup(a) AS r FROM aggs) x, churn.transitions(r) t
 ORDER BY from_state, to_state;
-- rollup of rollups equals the rollup of all
SELECT (SELECT churn.rollup(r) FROM (SELECT churn.rollup(a) AS r FROM aggs GROUP BY id % 2) y)::text =
	   (SELECT churn.rollup(a) FROM aggs)::text AS rollup_of_rollups;
-- state_at of a rolled-up value is an error
SELECT churn.state_at(churn.rollup(a), '2024-01-01') FROM aggs;

-- empty and all-NULL input
SELECT churn.state_agg(s, at) IS NULL AS empty_null FROM ev WHERE false;
SELECT churn.state_agg(NULL::churn.lifecycle, now()) IS NULL AS null_rows;
SELECT churn.rollup(NULL::churn.state_agg) IS NULL AS rollup_null;

-- text and binary I/O; combining text round-tripped partial timelines of
-- one entity (split by time) gives the one-pass timeline
SELECT count(*) AS text_round_trips FROM aggs WHERE a::text::churn.state_agg::text = a::text;
SELECT (SELECT churn.rollup(a) FROM aggs)::text::churn.state_agg::text =
	   (SELECT churn.rollup(a) FROM aggs)::text AS rollup_text_round_trip;
-- the ends of the timestamp range: the latest ones are beyond bigint as
-- Unix microseconds and print unsigned (294276-12-31 23:59:59 UTC is
-- 9224318015999000000 µs after 1970-01-01), and read back
SELECT a, a::text::churn.state_agg::text = a::text AS extreme_round_trip
  FROM (SELECT churn.state_agg(s::churn.lifecycle, t) AS a
		  FROM (VALUES ('new', '4713-11-24 00:00:00+00 BC'::timestamptz),
					   ('active', '294276-12-31 23:59:59+00')) v(s, t)) x;
SELECT 'v1 timeline 1 9224318016000000000:new'::churn.state_agg;
SELECT 'v1 timeline 1 99999999999999999999:new'::churn.state_agg;
INSERT INTO aggs SELECT 0, churn.rollup(a) FROM aggs;
SELECT current_setting('data_directory') || '/churn_state_agg.bin' AS bfile \gset
COPY aggs TO :'bfile' WITH (FORMAT binary);
CREATE TABLE aggs2 (LIKE aggs);
COPY aggs2 FROM :'bfile' WITH (FORMAT binary);
SELECT count(*) AS binary_round_trips FROM aggs JOIN aggs2 USING (id) WHERE aggs.a::text = aggs2.a::text;
CREATE AGGREGATE state_agg_merge(churn.state_agg) (
	SFUNC = churn.state_agg_combine, STYPE = churn.state_agg);
SELECT (SELECT state_agg_merge(p::text::churn.state_agg)
		  FROM (SELECT churn.state_agg(s, at) AS p FROM ev WHERE id = 1
				 GROUP BY at < '2024-02-01') x)::text =
	   (SELECT a FROM aggs WHERE id = 1)::text AS merged_partials_equal;
DROP AGGREGATE state_agg_merge(churn.state_agg);

-- parallel: one timeline per entity, built in workers and combined
CREATE TABLE big AS
SELECT (g % 500) AS id,
	   (ARRAY['new', 'active', 'at_risk', 'active', 'dormant', 'churned', 'reactivated'])[1 + (g / 500) % 7]::churn.lifecycle AS s,
	   timestamptz '2024-01-01' + (g / 500) * interval '1 day' + (g % 500) * interval '1 minute' AS at
  FROM generate_series(0, 49999) g;
ANALYZE big;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
SET enable_hashagg = off;
EXPLAIN (COSTS OFF) SELECT churn.state_agg(s, at) FROM big WHERE id = 7;
CREATE TABLE par AS SELECT churn.state_agg(s, at)::text AS a FROM big WHERE id = 7;
EXPLAIN (COSTS OFF) SELECT churn.rollup(a) FROM (SELECT churn.state_agg(s, at) AS a FROM big GROUP BY id) x;
CREATE TABLE par_r AS SELECT churn.rollup(a)::text AS r FROM (SELECT churn.state_agg(s, at) AS a FROM big GROUP BY id) x;
RESET enable_hashagg;
SET max_parallel_workers_per_gather = 0;
SELECT (SELECT a FROM par) = churn.state_agg(s, at)::text AS parallel_equals_serial FROM big WHERE id = 7;
SELECT (SELECT r FROM par_r) = churn.rollup(a)::text AS parallel_rollup_equals_serial
  FROM (SELECT churn.state_agg(s, at) AS a FROM big GROUP BY id) x;
-- and the rollup equals plain SQL over the same rows
SELECT bool_and(churn.time_in(r, st) = coalesce(q.t, interval '0')) AS time_in_matches_sql
  FROM (SELECT churn.rollup(a) AS r FROM (SELECT churn.state_agg(s, at) AS a FROM big GROUP BY id) x) y
 CROSS JOIN (SELECT DISTINCT s AS st FROM big) v
  LEFT JOIN (SELECT s, justify_hours(sum(nxt - at)) AS t
			   FROM (SELECT s, at, lead(at) OVER (PARTITION BY id ORDER BY at) AS nxt FROM big) z
			  WHERE nxt IS NOT NULL GROUP BY s) q ON q.s = v.st;
SELECT count(*) AS transition_rows,
	   bool_and(t.count = q.n) AS transitions_match_sql
  FROM churn.transitions((SELECT churn.rollup(a) FROM (SELECT churn.state_agg(s, at) AS a FROM big GROUP BY id) x)) t
  FULL JOIN (SELECT s AS from_state, nxt AS to_state, count(*) AS n
			   FROM (SELECT s, lead(s) OVER (PARTITION BY id ORDER BY at) AS nxt FROM big) z
			  WHERE nxt IS NOT NULL AND nxt <> s GROUP BY 1, 2) q USING (from_state, to_state);
RESET ALL;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET search_path = public, churn;

-- errors
SELECT churn.state_agg(s, at) FROM (VALUES ('new'::churn.lifecycle, timestamptz '2024-01-01'),
	('active', '2024-01-01')) v(s, at);
SELECT churn.state_agg('new', timestamptz 'infinity');
SELECT 'v1 timeline 2 1704153600000000:new 1704067200000000:active'::churn.state_agg;
SELECT 'v1 timeline 1 1704153600000000:bogus'::churn.state_agg;
SELECT 'v1 timeline 0'::churn.state_agg;
SELECT 'v2 timeline 1 0:new'::churn.state_agg;
SELECT 'v1 rollup 1 0:86400000000,0:0,0:0,0:0,0:0,0:0,0:0 0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0'::churn.state_agg;
SELECT 'v1 rollup 1 0:0,0:0,0:0,0:0,0:0,0:0,0:0 1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0'::churn.state_agg;
-- a negative number of entities
SELECT 'v1 rollup -1 0:0,0:0,0:0,0:0,0:0,0:0,0:0 0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0'::churn.state_agg;
SELECT churn.time_in('v1 rollup 1 3000000000:0,0:0,0:0,0:0,0:0,0:0,0:0 0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0'::churn.state_agg, 'prospect');
\set VERBOSITY sqlstate
SELECT churn.state_agg(s, at) FROM (VALUES ('new'::churn.lifecycle, timestamptz '2024-01-01'),
	('active', '2024-01-01')) v(s, at);
SELECT churn.state_at(churn.rollup(a), '2024-01-01') FROM aggs WHERE id > 0;
SELECT 'v1 timeline 2 1704153600000000:new 1704067200000000:active'::churn.state_agg;
SELECT 'v1 rollup -1 0:0,0:0,0:0,0:0,0:0,0:0,0:0 0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0'::churn.state_agg;
\set VERBOSITY default
SELECT churn.state_agg_combine(NULL, NULL);

DROP TABLE ev, aggs, aggs2, big, par, par_r;
