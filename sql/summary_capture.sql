--
-- summary_capture: every capture rule of the summary triggers on a small
-- hand-worked customer table.  After each step the summary rows of the
-- first months are printed (the expected values are worked out by hand in
-- the comments), churn.verify must return nothing, and the balance
-- identities must hold on every row of every cell.
--
SET TimeZone = 'UTC';
SET client_min_messages = warning;
\set SHOW_CONTEXT never

-- runs a statement in a subtransaction, returns its error (or ok)
CREATE FUNCTION try(q text) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END
$f$;

CREATE TABLE cust (
	id int PRIMARY KEY,
	since timestamptz,
	until timestamptz,
	branch text,
	plan text,
	reason text,
	changed timestamptz
);

-- Summary rows of Dec 2023 .. Apr 2024, compactly.
CREATE VIEW s AS
SELECT to_char(bucket_start, 'YYYY-MM') AS month, channel, segment->>'plan' AS plan,
	   at_start, new, reactivated AS react, moved_in AS m_in, moved_out AS m_out,
	   lost, lost_from_start AS lfs, at_end
  FROM churn.churn_summary
 WHERE relation = 'cust'::regclass AND bucket_start < '2024-05-01'
 ORDER BY channel, plan, month;

-- Balance identities on every row: at_end = at_start + flows, at_end = the
-- next bucket's at_start, buckets contiguous, each cell running through the
-- current bucket.  Also: verify finds nothing.
CREATE VIEW checks AS
WITH x AS (
	SELECT c.*,
		   lead(at_start) OVER w AS next_at_start,
		   lead(bucket_start) OVER w AS next_start,
		   max(bucket_start) OVER (PARTITION BY relation, channel, segment) AS last_start
	  FROM churn.churn_summary c
	 WHERE relation = 'cust'::regclass
	WINDOW w AS (PARTITION BY relation, channel, segment ORDER BY bucket_start)
)
SELECT count(*) FILTER (WHERE at_end <> at_start + new + reactivated + moved_in - moved_out - lost) AS bad_balance,
	   count(*) FILTER (WHERE next_at_start <> at_end) AS bad_carry,
	   count(*) FILTER (WHERE next_start <> bucket_end OR bucket_end <> bucket_start + interval '1 month') AS bad_grid,
	   count(*) FILTER (WHERE last_start <> date_trunc('month', now())) AS bad_end,
	   (SELECT count(*) FROM churn.verify('cust')) AS verify_diffs
  FROM x;

SELECT churn.track('cust', customer => 'id', since => 'since', until => 'until',
				   channel => 'branch', segments => ARRAY['plan'], reason => 'reason',
				   changed_at => 'changed', time_zone => 'UTC');

-- 1. INSERT, multi-row.  north/basic: Jan new 2 (ids 1, 2); Feb id 2 lost
-- (it was there at the start: lost_from_start 1).  south/pro: Feb new 1.
INSERT INTO cust VALUES
	(1, '2024-01-10', NULL, 'north', 'basic', NULL, '2024-01-10'),
	(2, '2024-01-20', '2024-02-05', 'north', 'basic', 'price', '2024-02-05'),
	(3, '2024-02-03', NULL, 'south', 'pro', NULL, '2024-02-03');
SELECT * FROM s;
SELECT * FROM checks;

-- 2. Cancellation (until NULL -> a time): id 1 lost in March, from the start.
UPDATE cust SET until = '2024-03-15', reason = 'service', changed = '2024-03-15' WHERE id = 1;
SELECT * FROM s WHERE month >= '2024-03';
SELECT * FROM checks;

-- 3. Reactivation (until a time -> NULL, after the loss): id 2 won back on
-- 2024-03-20; its February loss stays counted.  north/basic March: lost 1
-- (id 1), reactivated 1 (id 2), at_end 1.
UPDATE cust SET until = NULL, reason = NULL, changed = '2024-03-20' WHERE id = 2;
SELECT * FROM s WHERE month >= '2024-02';
SELECT * FROM checks;

-- 4. Channel move: id 3 from south to north on 2024-04-02.  April:
-- south/pro moved_out 1, north/pro moved_in 1; not a loss.
UPDATE cust SET branch = 'north', changed = '2024-04-02' WHERE id = 3;
SELECT * FROM s WHERE month >= '2024-03';
SELECT * FROM checks;
-- diversion: south had 1 customer in April (at_start 1), 1 moved out: rate 1.
SELECT to_char(bucket_start, 'YYYY-MM') AS month, from_channel, to_channel, moved, from_base, diversion_rate
  FROM churn.diversion_summary WHERE relation = 'cust'::regclass;
SELECT to_char(bucket_start, 'YYYY-MM') AS month, channel, reason, lost
  FROM churn.churn_reasons WHERE relation = 'cust'::regclass ORDER BY 1, 2, 3;

-- 5. Correction of since: id 1 really started 2023-12-20.  north/basic:
-- Dec new 1; Jan new 1 (id 2), at_start 1.
UPDATE cust SET since = '2023-12-20' WHERE id = 1;
SELECT * FROM s WHERE channel = 'north' AND plan = 'basic';
SELECT * FROM checks;

-- 6. Correction of until: id 1 really left 2024-04-10, with the reason
-- corrected too.  Its loss moves from March to April.
UPDATE cust SET until = '2024-04-10', reason = 'price' WHERE id = 1;
SELECT * FROM s WHERE channel = 'north' AND plan = 'basic' AND month >= '2024-03';
SELECT to_char(bucket_start, 'YYYY-MM') AS month, channel, reason, lost
  FROM churn.churn_reasons WHERE relation = 'cust'::regclass ORDER BY 1, 2, 3;
SELECT * FROM checks;

-- 7. Correction of a segment: id 2 was on the pro plan all along.  Its whole
-- history (new in Jan, lost in Feb, won back in Mar) moves to north/pro.
UPDATE cust SET plan = 'pro' WHERE id = 2;
SELECT * FROM s WHERE channel = 'north';
SELECT * FROM checks;

-- 8. A future-dated cancellation withdrawn before it happens is a
-- correction, not a reactivation: id 3 set to leave 2024-06-30 on
-- 2024-04-05, withdrawn on 2024-04-06.
UPDATE cust SET until = '2024-06-30', changed = '2024-04-05' WHERE id = 3;
UPDATE cust SET until = NULL, changed = '2024-04-06' WHERE id = 3;
SELECT sum(reactivated) AS reactivated, sum(lost) AS lost
  FROM churn.churn_summary WHERE relation = 'cust'::regclass AND channel = 'north' AND segment->>'plan' = 'pro';
SELECT * FROM checks;

-- 9. DELETE removes the customer with its move: south/pro and the
-- diversion disappear, north/pro keeps id 2 only.
DELETE FROM cust WHERE id = 3;
SELECT * FROM s;
SELECT count(*) AS diversions FROM churn.diversion_summary WHERE relation = 'cust'::regclass;
SELECT * FROM checks;

-- 10. ROLLBACK and ROLLBACK TO SAVEPOINT leave no trace.
CREATE TEMP TABLE before AS SELECT * FROM churn.churn_summary WHERE relation = 'cust'::regclass;
BEGIN;
INSERT INTO cust VALUES (10, '2024-02-01', NULL, 'east', 'basic', NULL, '2024-02-01');
UPDATE cust SET until = '2024-04-01', changed = '2024-04-01' WHERE id = 2;
ROLLBACK;
BEGIN;
INSERT INTO cust VALUES (11, '2024-03-01', NULL, 'east', 'basic', NULL, '2024-03-01');
SAVEPOINT a;
UPDATE cust SET until = '2024-04-01', changed = '2024-04-01' WHERE id = 11;
DELETE FROM cust WHERE id = 2;
ROLLBACK TO SAVEPOINT a;
COMMIT;
-- only id 11's start remains: east/basic March new 1
(SELECT * FROM churn.churn_summary WHERE relation = 'cust'::regclass EXCEPT SELECT * FROM before)
UNION ALL
(SELECT * FROM before EXCEPT SELECT * FROM churn.churn_summary WHERE relation = 'cust'::regclass)
ORDER BY channel, bucket_start LIMIT 3;
SELECT * FROM s WHERE channel = 'east';
SELECT * FROM checks;

-- 11. COPY: one pass for the whole batch.
COPY cust FROM stdin;
20	2024-01-05 00:00:00+00	2024-03-01 00:00:00+00	east	basic	price	2024-03-01 00:00:00+00
21	2024-02-29 23:59:59+00	\N	east	basic	\N	2024-02-29 23:59:59+00
22	2024-03-01 00:00:00+00	2024-03-01 00:00:00+00	east	basic	competitor	2024-03-01 00:00:00+00
\.
-- east/basic: Jan new 1 (20); Feb new 1 (21, last second of February);
-- Mar: at_start 2, new 2 (11, 22), lost 2 (20 at 00:00 of March 1, from the
-- start; 22 joined and left at the same instant), at_end 2.
SELECT * FROM s WHERE channel = 'east';
SELECT * FROM checks;

-- 12. refresh folds the pending deltas; the views do not change.
CREATE TEMP TABLE before3 AS SELECT * FROM churn.churn_summary WHERE relation = 'cust'::regclass;
SELECT churn.refresh() > 0 AS folded;
SELECT count(*) AS pending FROM churn.summary_delta;
SELECT count(*) AS changed FROM (
	(SELECT * FROM churn.churn_summary WHERE relation = 'cust'::regclass EXCEPT SELECT * FROM before3)
	UNION ALL
	(SELECT * FROM before3 EXCEPT SELECT * FROM churn.churn_summary WHERE relation = 'cust'::regclass)) d;
SELECT churn.refresh() AS folded_again;
SELECT * FROM checks;

-- 12b. UPDATEs that leave the tracked columns as they were (a column churn
-- does not track, changed_at alone, a tracked column set to itself, one row
-- or all) append nothing: no delta, and the summaries and history stay.
ALTER TABLE cust ADD COLUMN note text;
CREATE TEMP TABLE hist_before AS SELECT * FROM churn.history;
UPDATE cust SET note = 'called' WHERE id = 1;
UPDATE cust SET note = 'called back';
UPDATE cust SET changed = '2024-05-01', note = NULL WHERE id IN (1, 2, 3);
UPDATE cust SET since = since, until = until, branch = branch, plan = plan, reason = reason;
SELECT count(*) AS pending FROM churn.summary_delta;
SELECT count(*) AS changed FROM (
	(SELECT * FROM churn.churn_summary WHERE relation = 'cust'::regclass EXCEPT SELECT * FROM before3)
	UNION ALL
	(SELECT * FROM before3 EXCEPT SELECT * FROM churn.churn_summary WHERE relation = 'cust'::regclass)) d;
SELECT count(*) AS history_changed FROM (
	(TABLE churn.history EXCEPT TABLE hist_before) UNION ALL (TABLE hist_before EXCEPT TABLE churn.history)) h;
ALTER TABLE cust DROP COLUMN note;

-- 13. A multi-row UPDATE mixing a cancellation, a move and a correction.
UPDATE cust SET until = CASE id WHEN 21 THEN '2024-04-15'::timestamptz ELSE until END,
				branch = CASE id WHEN 11 THEN 'north' ELSE branch END,
				since = CASE id WHEN 20 THEN '2024-01-06'::timestamptz ELSE since END,
				changed = '2024-04-15'
 WHERE id IN (11, 20, 21);
SELECT * FROM s WHERE month = '2024-04' ORDER BY channel, plan;
SELECT * FROM checks;

-- 14. Changing the customer key: the row counts as a new customer (its
-- history, here id 2's reactivation, stays with the old key and goes).
UPDATE cust SET id = 200 WHERE id = 2;
SELECT * FROM s WHERE channel = 'north' AND plan = 'pro';
SELECT * FROM checks;
SELECT count(*) AS history_rows_of_2 FROM churn.history WHERE customer = '2';

-- 15. Rows without since are not customers yet; until before since is an
-- error naming the customer and both values.
INSERT INTO cust VALUES (40, NULL, NULL, 'west', 'basic', NULL, '2024-04-01');
SELECT count(*) AS west_rows FROM churn.churn_summary WHERE relation = 'cust'::regclass AND channel = 'west';
SELECT try($$INSERT INTO cust VALUES (41, '2024-04-01', '2024-03-01', 'west', 'basic', NULL, '2024-04-01')$$);
SELECT try($$UPDATE cust SET until = '2023-01-01' WHERE id = 1$$);
SELECT * FROM checks;

-- 16. Rebuild gives the same summaries.
CREATE TEMP TABLE before4 AS SELECT * FROM churn.churn_summary WHERE relation = 'cust'::regclass;
SELECT churn.rebuild('cust');
SELECT count(*) AS changed FROM (
	(SELECT * FROM churn.churn_summary WHERE relation = 'cust'::regclass EXCEPT SELECT * FROM before4)
	UNION ALL
	(SELECT * FROM before4 EXCEPT SELECT * FROM churn.churn_summary WHERE relation = 'cust'::regclass)) d;

-- 16b. History entries of a customer are numbered in the order they were
-- made (per customer, from 1): one statement that wins customer 21 back
-- into another channel records the move, then the reactivation; a later
-- move gets the next number.  Both capture paths number alike (this file
-- runs again with the set-based capture in summary_capture_sql).
UPDATE cust SET until = NULL, branch = 'north', changed = '2024-04-20' WHERE id = 21;
UPDATE cust SET branch = 'south', changed = '2024-04-25' WHERE id = 21;
SELECT e.seq, e.kind, e.at, e.channel, e.from_channel, e.lost_at
  FROM churn.history h, unnest(h.entries) e
 WHERE h.relid = 'cust'::regclass AND h.customer = '21' ORDER BY e.seq;
SELECT * FROM checks;

-- 16c. A long history: 150 more moves of customer 21 (west, east, ...,
-- east), then a cancellation.  Its row holds 3 + 150 entries, numbered 1 to
-- 153 (past 2 kB, so TOAST stores it compressed), and every capture reads
-- all of them back; the summaries stay exact (checks).
DO $$
BEGIN
	FOR i IN 1..150 LOOP
		UPDATE cust SET branch = CASE WHEN i % 2 = 1 THEN 'west' ELSE 'east' END,
						changed = timestamptz '2024-04-26' + i * interval '1 minute'
		 WHERE id = 21;
	END LOOP;
END
$$;
UPDATE cust SET until = '2024-04-28', reason = 'price', changed = '2024-04-28' WHERE id = 21;
SELECT c.branch, h.n, h.first_seq, h.last_seq, h.moves, h.compressed
  FROM cust c,
	   LATERAL (SELECT cardinality(x.entries) AS n, x.entries[1].seq AS first_seq,
					   x.entries[cardinality(x.entries)].seq AS last_seq,
					   (SELECT count(*) FROM unnest(x.entries) e WHERE e.kind = 'm') AS moves,
					   pg_column_compression(x.entries) IS NOT NULL AS compressed
				  FROM churn.history x WHERE x.relid = 'cust'::regclass AND x.customer = '21') h
 WHERE c.id = 21;
SELECT * FROM checks;

-- 17. TRUNCATE empties the summaries and the history.
TRUNCATE cust;
SELECT (SELECT count(*) FROM churn.churn_summary WHERE relation = 'cust'::regclass) AS summary_rows,
	   (SELECT count(*) FROM churn.history WHERE relid = 'cust'::regclass) AS history_rows,
	   (SELECT count(*) FROM churn.summary WHERE relid = 'cust'::regclass) AS compacted_rows;
SELECT * FROM checks;

SELECT churn.untrack('cust');
DROP VIEW checks, s;
DROP TABLE cust;
DROP FUNCTION try(text);
