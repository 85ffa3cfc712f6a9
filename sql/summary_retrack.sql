--
-- summary_retrack: churn.retrack changes the settings of a tracked table
-- and keeps the history the new settings still apply to.  Oracle: a second
-- table with the same rows and the same writes, tracked from the start with
-- the new settings; after retrack, the first table's summaries must equal
-- the second's.  untrack + track loses the moves and reactivations, which
-- only the history knows (shown against the same oracle).
--
SET TimeZone = 'UTC';
SET client_min_messages = warning;
\set SHOW_CONTEXT never

CREATE TABLE rt_a (id int PRIMARY KEY, since timestamptz NOT NULL, until timestamptz, branch text,
				   plan text, region text, status churn.lifecycle, why text, changed timestamptz);
INSERT INTO rt_a
SELECT i, timestamptz '2024-01-01' + (i % 90) * interval '1 day', NULL,
	   (ARRAY['north', 'south', 'east'])[1 + i % 3], (ARRAY['basic', 'pro'])[1 + i % 2],
	   (ARRAY['r1', 'r2'])[1 + (i / 2) % 2], 'active', NULL,
	   timestamptz '2024-01-01' + (i % 90) * interval '1 day'
  FROM generate_series(1, 60) i;
CREATE TABLE rt_b (LIKE rt_a INCLUDING ALL);
INSERT INTO rt_b SELECT * FROM rt_a;

-- A: monthly buckets in UTC, one segment; B, from the start, what A will
-- become: weekly buckets in Asia/Tokyo, two segments
SELECT churn.track('rt_a', customer => 'id', since => 'since', until => 'until', channel => 'branch',
				   segments => ARRAY['plan'], state => 'status', reason => 'why', changed_at => 'changed',
				   bucket => '1 month', time_zone => 'UTC', states_from => '-infinity');
SELECT churn.track('rt_b', customer => 'id', since => 'since', until => 'until', channel => 'branch',
				   segments => ARRAY['plan', 'region'], state => 'status', reason => 'why',
				   changed_at => 'changed', bucket => '1 week', time_zone => 'Asia/Tokyo',
				   states_from => '-infinity');

-- the same writes on both: moves, losses, a reactivation, transitions
CREATE FUNCTION rt_write(t regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE format('UPDATE %s SET branch = ''west'', changed = since + interval ''50 days''
					 WHERE id %% 5 = 0', t);
	EXECUTE format('UPDATE %s SET until = since + interval ''70 days'', why = ''price'', status = ''churned'',
						   changed = since + interval ''70 days'' WHERE id %% 7 = 0', t);
	EXECUTE format('UPDATE %s SET until = NULL, why = NULL, status = ''reactivated'',
						   changed = since + interval ''100 days'' WHERE id IN (7, 14)', t);
	EXECUTE format('UPDATE %s SET status = ''at_risk'', changed = since + interval ''80 days''
					 WHERE id %% 11 = 0 AND until IS NULL', t);
END
$$;
SELECT rt_write('rt_a'), rt_write('rt_b');

-- every view of table a against table b: rows on one side only
CREATE FUNCTION rt_diff(a regclass, b regclass) RETURNS TABLE (view text, only_a bigint, only_b bigint)
LANGUAGE plpgsql AS $$
DECLARE
	v record;
BEGIN
	FOR v IN SELECT * FROM (VALUES
			('churn_summary', 'bucket_start, bucket_end, channel, segment, at_start, new, reactivated, moved_in, moved_out, lost, lost_from_start, at_end, churn_rate, retention_rate, complete'),
			('churn_reasons', 'bucket_start, channel, reason, lost, complete'),
			('diversion_summary', 'bucket_start, bucket_end, from_channel, to_channel, moved, from_base, diversion_rate, complete'),
			('lifecycle_summary', 'bucket_start, bucket_end, state, at_start, entered, exited, at_end, complete'),
			('lifecycle_transitions', 'bucket_start, bucket_end, from_state, to_state, transitions, complete')) x(name, cols)
	LOOP
		view := v.name;
		EXECUTE format('SELECT (SELECT count(*) FROM (SELECT %2$s FROM churn.%1$I WHERE relation = $1
						EXCEPT SELECT %2$s FROM churn.%1$I WHERE relation = $2) x),
					   (SELECT count(*) FROM (SELECT %2$s FROM churn.%1$I WHERE relation = $2
						EXCEPT SELECT %2$s FROM churn.%1$I WHERE relation = $1) x)', v.name, v.cols)
		   INTO only_a, only_b USING a, b;
		RETURN NEXT;
	END LOOP;
END
$$;

-- before: different settings, different rows
SELECT view, only_a > 0 AS differs FROM rt_diff('rt_a', 'rt_b') WHERE view = 'churn_summary';
-- A takes B's settings: the history (moves, reactivations, transitions)
-- goes over into the new time zone, the summaries are recomputed
SELECT churn.retrack('rt_a', customer => 'id', since => 'since', until => 'until', channel => 'branch',
					 segments => ARRAY['plan', 'region'], state => 'status', reason => 'why',
					 changed_at => 'changed', bucket => '1 week', time_zone => 'Asia/Tokyo',
					 states_from => '-infinity');
SELECT * FROM rt_diff('rt_a', 'rt_b');
SELECT count(*) AS verify_diffs FROM churn.verify('rt_a');
SELECT bucket, time_zone, segment_columns FROM churn.tracked_table WHERE relid = 'rt_a'::regclass;
SELECT e.kind, count(*) FROM churn.history h, unnest(h.entries) e
 WHERE h.relid = 'rt_a'::regclass GROUP BY 1 ORDER BY 1;
-- the capture goes on with the new settings: more moves, the reactivated
-- lost again
UPDATE rt_a SET branch = 'north', changed = since + interval '130 days' WHERE id % 6 = 0;
UPDATE rt_b SET branch = 'north', changed = since + interval '130 days' WHERE id % 6 = 0;
UPDATE rt_a SET until = since + interval '140 days', changed = since + interval '140 days' WHERE id IN (7, 14);
UPDATE rt_b SET until = since + interval '140 days', changed = since + interval '140 days' WHERE id IN (7, 14);
SELECT * FROM rt_diff('rt_a', 'rt_b');
-- Columns renamed (ALTER TABLE ... RENAME COLUMN): writes fail until
-- retrack names them as they are now; a renamed column is the same column
-- (by its attribute number), so its history stays: the views still equal
-- B's, and the history has the same entries.  The state column renamed,
-- states_from stays (not given, it would become the retrack time for
-- another column, and the lifecycle views would differ).  Renamed back, the
-- same.
ALTER TABLE rt_a RENAME COLUMN branch TO store;
ALTER TABLE rt_a RENAME COLUMN until TO ended;
ALTER TABLE rt_a RENAME COLUMN status TO st;
ALTER TABLE rt_a RENAME COLUMN id TO cid;
\set VERBOSITY sqlstate
UPDATE rt_a SET store = 'east' WHERE cid = 1;                                           -- 42703
\set VERBOSITY default
SELECT churn.retrack('rt_a', customer => 'cid', since => 'since', until => 'ended', channel => 'store',
					 segments => ARRAY['plan', 'region'], state => 'st', reason => 'why',
					 changed_at => 'changed', bucket => '1 week', time_zone => 'Asia/Tokyo');
SELECT states_from FROM churn.tracked_table WHERE relid = 'rt_a'::regclass;
SELECT * FROM rt_diff('rt_a', 'rt_b');
SELECT e.kind, count(*) FROM churn.history h, unnest(h.entries) e
 WHERE h.relid = 'rt_a'::regclass GROUP BY 1 ORDER BY 1;
UPDATE rt_a SET store = 'east', changed = since + interval '150 days' WHERE cid % 4 = 0 AND ended IS NULL;
UPDATE rt_b SET branch = 'east', changed = since + interval '150 days' WHERE id % 4 = 0 AND until IS NULL;
ALTER TABLE rt_a RENAME COLUMN store TO branch;
ALTER TABLE rt_a RENAME COLUMN ended TO until;
ALTER TABLE rt_a RENAME COLUMN st TO status;
ALTER TABLE rt_a RENAME COLUMN cid TO id;
SELECT churn.retrack('rt_a', customer => 'id', since => 'since', until => 'until', channel => 'branch',
					 segments => ARRAY['plan', 'region'], state => 'status', reason => 'why',
					 changed_at => 'changed', bucket => '1 week', time_zone => 'Asia/Tokyo',
					 states_from => '-infinity');
SELECT * FROM rt_diff('rt_a', 'rt_b');
SELECT count(*) AS verify_diffs FROM churn.verify('rt_a');

-- a row churn refuses: named, without the recomputation's query
\set SHOW_CONTEXT always
UPDATE rt_a SET until = since + interval '90 days' WHERE id = 7;
-- the same by the set-based capture (as for statements of more than
-- churn.capture_fast_max rows): the same message, no capture statement
SET churn.capture_fast_max = 0;
UPDATE rt_a SET until = since + interval '90 days' WHERE id = 7;
UPDATE rt_a SET until = since - interval '1 day' WHERE id = 8;
RESET churn.capture_fast_max;
\set SHOW_CONTEXT never

-- Without a channel, the moves no longer apply: they go, the rest stays.
SELECT churn.retrack('rt_a', customer => 'id', since => 'since', until => 'until',
					 segments => ARRAY['plan', 'region'], state => 'status', reason => 'why',
					 changed_at => 'changed', bucket => '1 week', time_zone => 'Asia/Tokyo',
					 states_from => '-infinity');
SELECT e.kind, count(*) FROM churn.history h, unnest(h.entries) e
 WHERE h.relid = 'rt_a'::regclass GROUP BY 1 ORDER BY 1;
SELECT count(*) AS verify_diffs FROM churn.verify('rt_a');

-- untrack + track with B's settings: the moves and reactivations are gone
-- (the views differ from B's), which retrack avoids
SELECT churn.untrack('rt_a');
SELECT churn.track('rt_a', customer => 'id', since => 'since', until => 'until', channel => 'branch',
				   segments => ARRAY['plan', 'region'], state => 'status', reason => 'why',
				   changed_at => 'changed', bucket => '1 week', time_zone => 'Asia/Tokyo',
				   states_from => '-infinity');
SELECT view, only_a + only_b > 0 AS differs FROM rt_diff('rt_a', 'rt_b') ORDER BY 1;

-- Stale column numbers.  A dump of a table with a dropped column restores
-- its columns renumbered, and the numbers tracked_table recorded are then
-- those of the table before, recorded with the table's OID before: here
-- rt_d as it restores, its numbers and OID as they were (a dropped column
-- second: since 3, until 4, branch 5).  The channel column renamed,
-- retrack naming outlet (number 5 now) as the channel: the OID shows the
-- numbers stale, so names decide, and the moves of branch go (counted as
-- outlet's moves they would stay).  The numbers recorded anew come with
-- the table's OID.
CREATE TABLE rt_d (id int PRIMARY KEY, since timestamptz NOT NULL, until timestamptz, branch text,
				   outlet text);
INSERT INTO rt_d SELECT i, timestamptz '2024-01-01' + i * interval '1 day', NULL, 'north', 'o1'
  FROM generate_series(1, 6) i;
SELECT churn.track('rt_d', customer => 'id', since => 'since', until => 'until', channel => 'branch',
				   time_zone => 'UTC') IS NOT NULL AS tracked;
UPDATE rt_d SET branch = 'south' WHERE id <= 3;
UPDATE churn.tracked_table SET column_attnums = '{1,3,4,5,NULL}', column_attnums_relid = (relid::oid::int8 + 1000)::oid
 WHERE relid = 'rt_d'::regclass;
ALTER TABLE rt_d RENAME COLUMN branch TO store;
SELECT count(*) AS moves_before FROM churn.history h, unnest(h.entries) e
 WHERE h.relid = 'rt_d'::regclass AND e.kind = 'm';
SELECT churn.retrack('rt_d', customer => 'id', since => 'since', until => 'until', channel => 'outlet',
					 time_zone => 'UTC') IS NOT NULL AS retracked;
SELECT count(*) AS moves_after FROM churn.history h, unnest(h.entries) e
 WHERE h.relid = 'rt_d'::regclass AND e.kind = 'm';
SELECT column_attnums, column_attnums_relid = relid AS relid_recorded FROM churn.tracked_table
 WHERE relid = 'rt_d'::regclass;
SELECT count(*) AS verify_diffs FROM churn.verify('rt_d');
SELECT churn.untrack('rt_d');
DROP TABLE rt_d;

-- Errors.
\set VERBOSITY sqlstate
SELECT churn.retrack('rt_c', customer => 'id', since => 'since', until => 'until');      -- 42P01
CREATE TABLE rt_c (id int PRIMARY KEY, since date, until date);
SELECT churn.retrack('rt_c', customer => 'id', since => 'since', until => 'until');      -- 55000
SELECT churn.retrack('rt_b', customer => 'id', since => 'since', until => NULL);         -- 22004
SELECT churn.retrack('rt_b', customer => 'id', since => 'since', until => 'nope');       -- 42703
SELECT churn.suspend('rt_b');
SELECT churn.retrack('rt_b', customer => 'id', since => 'since', until => 'until');      -- 55000
\set VERBOSITY default
SELECT churn.retrack('rt_b', customer => 'id', since => 'since', until => 'until');
SELECT churn.resume('rt_b');
SELECT churn.retrack('rt_b', customer => 'id', since => 'since', until => 'until', time_zone => 'Europe/Berln');

SELECT churn.untrack('rt_a'), churn.untrack('rt_b');
DROP TABLE rt_a, rt_b, rt_c;
DROP FUNCTION rt_write(regclass), rt_diff(regclass, regclass);
