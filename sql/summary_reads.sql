--
-- summary_reads: what a read of the summaries costs and what it shows.
--
-- 1. A panel's filter on relation and on a range of bucket_start reaches
--    index range scans of the compacted summary: the plans of each view's
--    panel query are checked (which tables are scanned, through which index,
--    with both bounds of bucket_start in the index condition), not timed.
--    (diversion_summary reads the bases of the channels moved from in C,
--    _channel_base: an index scan of summary_cell_range per bucket of the
--    moves it returns, which a plan does not show.)
-- 2. A range read equals the same buckets of a whole read, and the totals
--    per plan and bucket equal plain SQL over the rows (moves between
--    branches do not change them), after a refresh, with deltas of writes
--    taking effect now, and with corrections years back pending.
-- 3. The current bucket, and only it, is not complete.
-- 4. With 200 segments (more than a read's first table of segments holds)
--    and corrections pending in past buckets, the (segment, bucket) totals
--    of churn_summary equal plain SQL over the rows, and the moves out of
--    each channel and its base in diversion_summary equal its cells'.
-- 5. A backend keeps at most four reads' first blocks between transactions.
--
SET TimeZone = 'UTC';
SET client_min_messages = warning;

CREATE TABLE rd (
	id int PRIMARY KEY,
	since timestamptz NOT NULL,
	until timestamptz,
	branch text NOT NULL,
	plan text NOT NULL,
	status churn.lifecycle NOT NULL,
	reason text,
	changed timestamptz
);
-- 3,000 customers signed up 2019-2024, a third of them gone within two years
INSERT INTO rd
SELECT i, s, u, (ARRAY['north', 'south', 'east', 'west'])[1 + i % 4],
	   (ARRAY['monthly', 'annual', 'two_year'])[1 + (i / 4) % 3],
	   CASE WHEN u IS NOT NULL THEN 'churned' WHEN i % 5 = 0 THEN 'at_risk' ELSE 'active' END::churn.lifecycle,
	   CASE WHEN u IS NOT NULL THEN (ARRAY['price', 'service'])[1 + i % 2] END, coalesce(u, s)
  FROM (SELECT i, s, CASE WHEN i % 3 = 0 THEN s + (i % 700) * interval '1 day' END AS u
		  FROM (SELECT i, timestamptz '2019-01-01' + (i::int8 * 7919 % 2190) * interval '1 day'
						  + (i % 86400) * interval '1 second' AS s
				  FROM generate_series(1, 3000) i) a) b;
SELECT churn.track('rd', customer => 'id', since => 'since', until => 'until', channel => 'branch',
				   segments => ARRAY['plan'], state => 'status', reason => 'reason',
				   changed_at => 'changed', time_zone => 'UTC', states_from => '-infinity');
-- history after track: a fifth move branch (north to south, the others to
-- north, so that north has moves both ways), some active ones go at risk
UPDATE rd SET branch = CASE branch WHEN 'north' THEN 'south' ELSE 'north' END,
	   changed = since + (coalesce(until, since + interval '800 days') - since) / 2
 WHERE id % 10 IN (1, 2);
UPDATE rd SET status = 'at_risk', changed = since + interval '90 days' WHERE id % 7 = 0 AND until IS NULL AND status::text = 'active';
SELECT churn.refresh() > 0 AS folded;
ANALYZE rd;

-- 1. The plans.  scans(q): each scan of the query's plan on churn's summary
-- tables, the index it uses, and whether its index condition bounds
-- bucket_start from both sides.  Sequential scans are turned off, so that a
-- table scanned in full means a filter that did not reach the scan (the
-- tables are small here, and the planner would rightly read them whole).
CREATE FUNCTION scans(q text) RETURNS TABLE (tab text, scan text, bucket_range bool)
LANGUAGE plpgsql AS $$
DECLARE
	plan jsonb;
BEGIN
	EXECUTE 'EXPLAIN (FORMAT JSON, COSTS OFF) ' || q INTO plan;
	RETURN QUERY
	SELECT DISTINCT coalesce(n->>'Relation Name', c.relname::text),
		   coalesce(n->>'Index Name', n->>'Node Type'),
		   coalesce(n->>'Index Cond' LIKE '%bucket_start >=%' AND n->>'Index Cond' LIKE '%bucket_start <%', false)
	  FROM jsonb_path_query(plan, 'strict $.**') n
	  LEFT JOIN pg_class ic ON ic.relname = n->>'Index Name' AND ic.relnamespace = 'churn'::regnamespace
	  LEFT JOIN pg_index i ON i.indexrelid = ic.oid
	  LEFT JOIN pg_class c ON c.oid = i.indrelid
	 WHERE jsonb_typeof(n) = 'object'
	   AND coalesce(n->>'Relation Name', c.relname::text) IN ('summary', 'summary_cell', 'summary_delta')
	 ORDER BY 1, 2;
END
$$;
SET enable_seqscan = off;
SET enable_bitmapscan = off;
-- the Grafana panels' filters, a year of buckets
SELECT 'churn_summary' AS view, s.* FROM scans($q$
	SELECT bucket_start, sum(lost_from_start)::float8 / sum(at_start), sum(at_end - new)::float8 / sum(at_start)
	  FROM churn.churn_summary
	 WHERE relation = 'rd'::regclass AND bucket_start >= '2023-01-01' AND bucket_start < '2024-01-01'
	   AND channel IN ('north', 'south') AND segment->>'plan' IN ('monthly')
	 GROUP BY bucket_start$q$) s
UNION ALL
SELECT 'diversion_summary', s.* FROM scans($q$
	SELECT from_channel, to_channel, sum(moved), sum(from_base)
	  FROM churn.diversion_summary
	 WHERE relation = 'rd'::regclass AND bucket_start BETWEEN '2023-01-01' AND '2023-12-31'
	   AND from_channel IN ('north', 'south')
	 GROUP BY 1, 2$q$) s
UNION ALL
SELECT 'lifecycle_summary', s.* FROM scans($q$
	SELECT bucket_start, state::text, at_end
	  FROM churn.lifecycle_summary
	 WHERE relation = 'rd'::regclass AND bucket_start >= '2023-01-01' AND bucket_start <= '2023-12-31'$q$) s
UNION ALL
SELECT 'churn_reasons', s.* FROM scans($q$
	SELECT coalesce(reason, '(no reason)'), sum(lost)
	  FROM churn.churn_reasons
	 WHERE relation = 'rd'::regclass AND bucket_start >= '2023-01-01' AND bucket_start < '2024-01-01'
	 GROUP BY 1$q$) s
UNION ALL
SELECT 'lifecycle_transitions', s.* FROM scans($q$
	SELECT from_state, to_state, sum(transitions)
	  FROM churn.lifecycle_transitions
	 WHERE relation = 'rd'::regclass AND bucket_start >= '2023-01-01' AND bucket_start < '2024-01-01'
	 GROUP BY 1, 2$q$) s;
RESET enable_seqscan;
RESET enable_bitmapscan;

-- 2. Range reads against whole reads and the rows.  diffs() counts the rows
-- of each view's range [2021-03, 2022-09) that differ from the whole read's
-- rows of those buckets, plus the (plan, bucket) totals of churn_summary
-- and the bucket totals of lifecycle_summary that differ from plain SQL over
-- the rows (every customer is in some branch and, tracked with states from
-- -infinity, in some state from its since on), and the (bucket, channel
-- left) rows of diversion_summary that differ from churn_summary's cells of
-- the channel: the moves out of it, and its base, the customers at the
-- bucket's start plus the new, reactivated and moved in.
CREATE FUNCTION diffs(lo timestamptz, hi timestamptz)
RETURNS TABLE (churn int8, diversion int8, lifecycle int8, reasons int8, transitions int8,
			   churn_oracle int8, lifecycle_oracle int8, diversion_oracle int8, verify int8)
LANGUAGE sql AS $$
	WITH cs_range AS (SELECT * FROM churn.churn_summary
					   WHERE relation = 'rd'::regclass AND bucket_start >= lo AND bucket_start < hi),
	cs_all AS (SELECT * FROM (SELECT * FROM churn.churn_summary WHERE relation = 'rd'::regclass OFFSET 0) x
				WHERE bucket_start >= lo AND bucket_start < hi),
	dv_range AS (SELECT * FROM churn.diversion_summary
				  WHERE relation = 'rd'::regclass AND bucket_start >= lo AND bucket_start < hi),
	dv_all AS (SELECT * FROM (SELECT * FROM churn.diversion_summary WHERE relation = 'rd'::regclass OFFSET 0) x
				WHERE bucket_start >= lo AND bucket_start < hi),
	lc_range AS (SELECT * FROM churn.lifecycle_summary
				  WHERE relation = 'rd'::regclass AND bucket_start >= lo AND bucket_start < hi),
	lc_all AS (SELECT * FROM (SELECT * FROM churn.lifecycle_summary WHERE relation = 'rd'::regclass OFFSET 0) x
				WHERE bucket_start >= lo AND bucket_start < hi),
	rs_range AS (SELECT * FROM churn.churn_reasons
				  WHERE relation = 'rd'::regclass AND bucket_start >= lo AND bucket_start < hi),
	rs_all AS (SELECT * FROM (SELECT * FROM churn.churn_reasons WHERE relation = 'rd'::regclass OFFSET 0) x
				WHERE bucket_start >= lo AND bucket_start < hi),
	tr_range AS (SELECT * FROM churn.lifecycle_transitions
				  WHERE relation = 'rd'::regclass AND bucket_start >= lo AND bucket_start < hi),
	tr_all AS (SELECT * FROM (SELECT * FROM churn.lifecycle_transitions WHERE relation = 'rd'::regclass OFFSET 0) x
				WHERE bucket_start >= lo AND bucket_start < hi),
	months AS (SELECT b, b + interval '1 month' AS e FROM generate_series(lo, hi - interval '1 month', interval '1 month') b),
	plans AS (SELECT DISTINCT plan FROM rd),
	want AS (SELECT m.b, p.plan,
					count(r.id) FILTER (WHERE r.since < m.b AND (r.until IS NULL OR r.until >= m.b)) AS at_start,
					count(r.id) FILTER (WHERE r.since >= m.b AND r.since < m.e) AS new,
					count(r.id) FILTER (WHERE r.until >= m.b AND r.until < m.e) AS lost,
					count(r.id) FILTER (WHERE r.since < m.e AND (r.until IS NULL OR r.until >= m.e)) AS at_end
			   FROM months m CROSS JOIN plans p LEFT JOIN rd r ON r.plan = p.plan
			  GROUP BY 1, 2),
	got AS (SELECT bucket_start AS b, segment->>'plan' AS plan, sum(at_start) AS at_start, sum(new) AS new,
				   sum(lost) AS lost, sum(at_end) AS at_end
			  FROM cs_range GROUP BY 1, 2),
	lc_want AS (SELECT m.b, count(r.id) FILTER (WHERE r.since < m.b) AS at_start,
					   count(r.id) FILTER (WHERE r.since < m.e) AS at_end
				  FROM months m LEFT JOIN rd r ON true GROUP BY 1),
	lc_got AS (SELECT bucket_start AS b, sum(at_start) AS at_start, sum(at_end) AS at_end FROM lc_range GROUP BY 1),
	dv_want AS (SELECT bucket_start AS b, channel, sum(moved_out) AS moved,
					   sum(at_start + new + reactivated + moved_in) AS base_min,
					   sum(at_start + new + reactivated + moved_in) AS base_max
				  FROM cs_range GROUP BY 1, 2 HAVING sum(moved_out) <> 0),
	dv_got AS (SELECT bucket_start AS b, from_channel, sum(moved), min(from_base), max(from_base)
				 FROM dv_range GROUP BY 1, 2)
	SELECT (SELECT count(*) FROM ((TABLE cs_range EXCEPT ALL TABLE cs_all) UNION ALL (TABLE cs_all EXCEPT ALL TABLE cs_range)) x),
		   (SELECT count(*) FROM ((TABLE dv_range EXCEPT ALL TABLE dv_all) UNION ALL (TABLE dv_all EXCEPT ALL TABLE dv_range)) x),
		   (SELECT count(*) FROM ((TABLE lc_range EXCEPT ALL TABLE lc_all) UNION ALL (TABLE lc_all EXCEPT ALL TABLE lc_range)) x),
		   (SELECT count(*) FROM ((TABLE rs_range EXCEPT ALL TABLE rs_all) UNION ALL (TABLE rs_all EXCEPT ALL TABLE rs_range)) x),
		   (SELECT count(*) FROM ((TABLE tr_range EXCEPT ALL TABLE tr_all) UNION ALL (TABLE tr_all EXCEPT ALL TABLE tr_range)) x),
		   (SELECT count(*) FROM ((TABLE want EXCEPT TABLE got) UNION ALL (TABLE got EXCEPT TABLE want)) x),
		   (SELECT count(*) FROM ((TABLE lc_want EXCEPT TABLE lc_got) UNION ALL (TABLE lc_got EXCEPT TABLE lc_want)) x),
		   (SELECT count(*) FROM ((TABLE dv_want EXCEPT TABLE dv_got) UNION ALL (TABLE dv_got EXCEPT TABLE dv_want)) x),
		   (SELECT count(*) FROM churn.verify('rd'))
$$;
-- the rows the range holds (so that the comparisons compare something)
SELECT (SELECT count(*) FROM churn.churn_summary
		 WHERE relation = 'rd'::regclass AND bucket_start >= '2021-03-01' AND bucket_start < '2022-09-01') AS churn_rows,
	   (SELECT count(*) FROM churn.diversion_summary
		 WHERE relation = 'rd'::regclass AND bucket_start >= '2021-03-01' AND bucket_start < '2022-09-01') AS diversion_rows,
	   (SELECT count(*) FROM churn.lifecycle_summary
		 WHERE relation = 'rd'::regclass AND bucket_start >= '2021-03-01' AND bucket_start < '2022-09-01') AS lifecycle_rows,
	   (SELECT count(*) FROM churn.lifecycle_transitions
		 WHERE relation = 'rd'::regclass AND bucket_start >= '2021-03-01' AND bucket_start < '2022-09-01') AS transition_rows;
-- a. compacted only
SELECT count(*) AS pending FROM churn.summary_delta;
SELECT * FROM diffs('2021-03-01', '2022-09-01');
-- b. writes taking effect now pending: cancellations, moves, state changes
UPDATE rd SET until = now(), reason = 'price', status = 'churned', changed = now() WHERE id % 50 = 2 AND until IS NULL;
UPDATE rd SET branch = 'east', changed = now() WHERE id % 50 = 4 AND until IS NULL;
SELECT count(*) > 0 AS pending FROM churn.summary_delta;
SELECT * FROM diffs('2021-03-01', '2022-09-01');
-- and a range that holds the current bucket
SELECT * FROM diffs(date_trunc('month', now()) - interval '3 months', date_trunc('month', now()) + interval '1 month');
-- the base of a channel asked for directly: from the cells' rows with the
-- pending counts (the current bucket), from the stored cells (an earlier
-- one), NULL for a channel without a cell
SELECT churn._channel_base('rd', b, 'north') = (
		SELECT sum(at_start + new + reactivated + moved_in) FROM churn.churn_summary
		 WHERE relation = 'rd'::regclass AND channel = 'north' AND bucket_start = b) AS base_equal,
	   churn._channel_base('rd', b, 'nowhere') IS NULL AS no_cell
  FROM (VALUES (date_trunc('month', now())), (timestamptz '2022-01-01')) v(b);
-- c. corrections years back pending: losses moved, starts moved, new
-- customers of 2019, and a loss inside the range
UPDATE rd SET until = until + interval '40 days' WHERE id % 11 = 0 AND until < '2022-01-01';
UPDATE rd SET since = since - interval '100 days' WHERE id % 13 = 0;
INSERT INTO rd SELECT 5000 + i, timestamptz '2019-06-01' + i * interval '3 days', NULL, 'west', 'annual', 'active', NULL, NULL
  FROM generate_series(1, 40) i;
UPDATE rd SET until = '2021-07-15', status = 'churned', changed = '2021-07-15' WHERE id IN (5001, 5002);
SELECT * FROM diffs('2021-03-01', '2022-09-01');
SELECT * FROM diffs('2019-01-01', '2019-07-01');
-- folded, the same
SELECT churn.refresh() > 0 AS folded;
SELECT * FROM diffs('2021-03-01', '2022-09-01');

-- 3. complete: false for the bucket holding now() (in the table's time
-- zone), true for every earlier one; every cell has exactly one incomplete
-- row, the current one (the views run through the current bucket).
UPDATE rd SET until = now(), changed = now() WHERE id % 50 = 6 AND until IS NULL;
SELECT 'churn_summary' AS view,
	   count(*) FILTER (WHERE NOT complete) = count(DISTINCT (channel, segment)) AS one_per_cell,
	   bool_and(complete = (bucket_end <= now())) AS by_bucket_end,
	   bool_and(bucket_start <= now() AND now() < bucket_end) FILTER (WHERE NOT complete) AS current
  FROM churn.churn_summary WHERE relation = 'rd'::regclass
UNION ALL
SELECT 'lifecycle_summary', count(*) FILTER (WHERE NOT complete) = count(DISTINCT state),
	   bool_and(complete = (bucket_end <= now())),
	   bool_and(bucket_start <= now() AND now() < bucket_end) FILTER (WHERE NOT complete)
  FROM churn.lifecycle_summary WHERE relation = 'rd'::regclass
UNION ALL
SELECT 'churn_reasons', NULL, bool_and(complete = (bucket_start + interval '1 month' <= now())),
	   coalesce(bool_and(bucket_start <= now()) FILTER (WHERE NOT complete), true)
  FROM churn.churn_reasons WHERE relation = 'rd'::regclass
UNION ALL
SELECT 'diversion_summary', NULL, bool_and(complete = (bucket_end <= now())),
	   coalesce(bool_and(bucket_start <= now() AND now() < bucket_end) FILTER (WHERE NOT complete), true)
  FROM churn.diversion_summary WHERE relation = 'rd'::regclass
UNION ALL
SELECT 'lifecycle_transitions', NULL, bool_and(complete = (bucket_end <= now())),
	   coalesce(bool_and(bucket_start <= now() AND now() < bucket_end) FILTER (WHERE NOT complete), true)
  FROM churn.lifecycle_transitions WHERE relation = 'rd'::regclass;
-- a panel of closed months leaves the current one out
SELECT count(*) AS incomplete_in_panel
  FROM churn.churn_summary
 WHERE relation = 'rd'::regclass AND bucket_start >= now() - interval '1 year' AND complete
   AND bucket_end > now();

SELECT churn.untrack('rd');
DROP TABLE rd;
DROP FUNCTION scans(text), diffs(timestamptz, timestamptz);

-- 4. Many segments.
CREATE TABLE sg (
	id int PRIMARY KEY,
	since timestamptz NOT NULL,
	until timestamptz,
	branch text NOT NULL,
	code text NOT NULL,
	changed timestamptz
);
INSERT INTO sg
SELECT i, s, CASE WHEN i % 4 = 0 THEN s + (30 + i % 300) * interval '1 day' END,
	   (ARRAY['north', 'south', 'east', 'west'])[1 + i % 4], 'c' || i % 200, NULL
  FROM (SELECT i, timestamptz '2021-01-01' + (i * 37 % 700) * interval '1 day' AS s
		  FROM generate_series(1, 2000) i) a;
SELECT churn.track('sg', customer => 'id', since => 'since', until => 'until', channel => 'branch',
				   segments => ARRAY['code'], changed_at => 'changed', time_zone => 'UTC');
SELECT churn.refresh('sg') >= 0 AS folded;
-- pending: losses moved later, and moves dated in 2022
UPDATE sg SET until = until + interval '20 days' WHERE id % 8 = 0;
UPDATE sg SET branch = CASE branch WHEN 'north' THEN 'south' ELSE 'north' END,
	   changed = timestamptz '2022-03-10' + (id % 90) * interval '1 day'
 WHERE id % 6 = 1 AND since < '2022-03-01' AND (until IS NULL OR until > '2022-07-01');
CREATE FUNCTION sg_diffs(OUT pending int8, OUT segments int8, OUT churn int8,
						 OUT moves int8, OUT diversion int8)
LANGUAGE sql AS $$
	WITH months AS (SELECT b, b + interval '1 month' AS e
					  FROM generate_series(timestamptz '2021-06-01', '2023-05-01', interval '1 month') b),
	codes AS (SELECT DISTINCT code FROM sg),
	want AS (SELECT m.b, c.code,
					count(r.id) FILTER (WHERE r.since < m.b AND (r.until IS NULL OR r.until >= m.b)) AS at_start,
					count(r.id) FILTER (WHERE r.since >= m.b AND r.since < m.e) AS new,
					count(r.id) FILTER (WHERE r.until >= m.b AND r.until < m.e) AS lost,
					count(r.id) FILTER (WHERE r.since < m.e AND (r.until IS NULL OR r.until >= m.e)) AS at_end
			   FROM months m CROSS JOIN codes c LEFT JOIN sg r ON r.code = c.code
			  GROUP BY 1, 2),
	cs AS (SELECT * FROM churn.churn_summary
			WHERE relation = 'sg'::regclass AND bucket_start >= '2021-06-01' AND bucket_start < '2023-06-01'),
	got AS (SELECT bucket_start AS b, segment->>'code' AS code, sum(at_start) AS at_start, sum(new) AS new,
				   sum(lost) AS lost, sum(at_end) AS at_end
			  FROM cs GROUP BY 1, 2),
	dv_want AS (SELECT bucket_start AS b, channel, sum(moved_out) AS moved,
					   sum(at_start + new + reactivated + moved_in) AS base_min,
					   sum(at_start + new + reactivated + moved_in) AS base_max
				  FROM cs GROUP BY 1, 2 HAVING sum(moved_out) <> 0),
	dv_got AS (SELECT bucket_start AS b, from_channel, sum(moved), min(from_base), max(from_base)
				 FROM churn.diversion_summary
				WHERE relation = 'sg'::regclass AND bucket_start >= '2021-06-01' AND bucket_start < '2023-06-01'
				GROUP BY 1, 2)
	SELECT (SELECT count(*) FROM churn.summary_delta WHERE relid = 'sg'::regclass),
		   (SELECT count(DISTINCT code) FROM got),
		   (SELECT count(*) FROM ((SELECT * FROM want WHERE at_start + new + lost + at_end > 0
								   EXCEPT SELECT * FROM got WHERE at_start + new + lost + at_end > 0)
								  UNION ALL
								  (SELECT * FROM got WHERE at_start + new + lost + at_end > 0
								   EXCEPT SELECT * FROM want WHERE at_start + new + lost + at_end > 0)) x),
		   (SELECT count(*) FROM dv_want),
		   (SELECT count(*) FROM ((TABLE dv_want EXCEPT TABLE dv_got) UNION ALL (TABLE dv_got EXCEPT TABLE dv_want)) x)
$$;
-- pending (the counts compared are not zero), then folded
SELECT pending > 500 AS pending, segments, churn, moves, diversion FROM sg_diffs();
SELECT churn.refresh('sg') > 0 AS folded;
SELECT pending, segments, churn, moves, diversion FROM sg_diffs();
-- 5. Memory.  Each read of the loop follows a write, so it sees another
-- command and takes a new memo (at most four, taken in turn); after the
-- transaction, each memo's context is emptied to its first block.
UPDATE sg SET until = until + interval '1 day' WHERE id % 8 = 0;
DO $$
BEGIN
	FOR i IN 1..20 LOOP
		UPDATE sg SET until = until WHERE id = i;
		PERFORM count(*) FROM churn.churn_summary WHERE relation = 'sg'::regclass;
	END LOOP;
END
$$;
SELECT count(*) AS memos, bool_and(total_bytes <= 256 * 1024 + 8192) AS first_block_only
  FROM pg_backend_memory_contexts WHERE name = 'churn summary read';
SELECT churn.untrack('sg');
DROP TABLE sg;
DROP FUNCTION sg_diffs();
