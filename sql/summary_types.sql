--
-- summary_types: columns of many types as customer key, channel, segments
-- and reason.  Values are captured as "x::text" gives them (bool as
-- true/false, char(n) without its padding, numeric as written, enums by
-- label), the same on the C capture of small statements and on the
-- set-based one; churn.verify recomputes with SQL and must find nothing.
--
SET TimeZone = 'UTC';
SET client_min_messages = warning;
\set SHOW_CONTEXT never

CREATE TYPE mood AS ENUM ('happy', 'grumpy');
CREATE DOMAIN branch_code AS varchar(10);
CREATE TABLE tcust (
	id uuid PRIMARY KEY,
	since timestamp NOT NULL,
	until timestamp,
	branch branch_code,
	vip boolean,
	grade char(5),
	score numeric,
	mood mood,
	region int,
	why text
);
SELECT churn.track('tcust', customer => 'id', since => 'since', until => 'until',
				   channel => 'branch', segments => ARRAY['vip', 'grade', 'score', 'mood', 'region'],
				   reason => 'why', time_zone => 'UTC');

INSERT INTO tcust VALUES
	('00000000-0000-0000-0000-000000000001', '2024-01-03 10:00', NULL, 'b1', true, 'ab', 1.50, 'happy', 7, NULL),
	('00000000-0000-0000-0000-000000000002', '2024-01-04 10:00', '2024-02-01 00:00', 'b1', false, 'ab   ', 1.5, 'grumpy', NULL, 'price'),
	('00000000-0000-0000-0000-000000000003', '2024-02-04 10:00', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
SELECT channel, segment, sum(new) AS new, sum(lost) AS lost
  FROM churn.churn_summary WHERE relation = 'tcust'::regclass
 GROUP BY channel, segment ORDER BY channel, segment::text;
SELECT count(*) AS verify_diffs FROM churn.verify('tcust');

-- small statements through the C path
UPDATE tcust SET branch = 'b2' WHERE id = '00000000-0000-0000-0000-000000000001';
UPDATE tcust SET score = 1.500, grade = 'ab ' WHERE id = '00000000-0000-0000-0000-000000000002';
UPDATE tcust SET until = NULL WHERE id = '00000000-0000-0000-0000-000000000002';
UPDATE tcust SET vip = true, mood = 'happy', region = 3 WHERE id = '00000000-0000-0000-0000-000000000003';
SELECT count(*) AS verify_diffs FROM churn.verify('tcust');
-- the same through the set-based path
SET churn.capture_fast_max = 0;
UPDATE tcust SET branch = 'b3' WHERE id = '00000000-0000-0000-0000-000000000003';
UPDATE tcust SET score = 2, grade = 'cd' WHERE id = '00000000-0000-0000-0000-000000000001';
INSERT INTO tcust VALUES
	('00000000-0000-0000-0000-000000000004', '2024-03-04 10:00', '2024-03-05 00:00', 'b1', false, 'ab', 1.50, 'grumpy', 7, 'service');
RESET churn.capture_fast_max;
DELETE FROM tcust WHERE id = '00000000-0000-0000-0000-000000000004';
SELECT count(*) AS verify_diffs FROM churn.verify('tcust');
SELECT channel, segment, sum(new) AS new, sum(reactivated) AS reactivated, sum(moved_in) AS moved_in,
	   sum(moved_out) AS moved_out, sum(lost) AS lost
  FROM churn.churn_summary WHERE relation = 'tcust'::regclass
 GROUP BY channel, segment ORDER BY channel, segment::text;
SELECT reason, sum(lost) AS lost FROM churn.churn_reasons WHERE relation = 'tcust'::regclass GROUP BY 1 ORDER BY 1;

-- If churn's tables grow an index (a DBA's), the C capture writes through
-- SQL statements instead of heap inserts: same counts.
CREATE INDEX regress_delta_extra ON churn.summary_delta (bucket);
CREATE INDEX regress_history_extra ON churn.history (customer);
UPDATE tcust SET branch = 'b4' WHERE id = '00000000-0000-0000-0000-000000000002';
UPDATE tcust SET branch = 'b3' WHERE id = '00000000-0000-0000-0000-000000000002';
UPDATE tcust SET until = '2026-01-01' WHERE id = '00000000-0000-0000-0000-000000000003';
DELETE FROM tcust WHERE id = '00000000-0000-0000-0000-000000000001';
INSERT INTO tcust VALUES
	('00000000-0000-0000-0000-000000000005', '2024-03-04 10:00', NULL, 'b1', false, 'ab', 1.50, 'grumpy', 7, NULL);
SELECT count(*) AS verify_diffs FROM churn.verify('tcust');
DROP INDEX churn.regress_delta_extra, churn.regress_history_extra;
UPDATE tcust SET branch = 'b1' WHERE id = '00000000-0000-0000-0000-000000000002';
SELECT count(*) AS verify_diffs FROM churn.verify('tcust');
-- the customer's history, in order, whichever way it was written: its
-- earlier reactivation, the moves to b4 and b3 appended to its row through
-- SQL (ON CONFLICT), the move to b1 by the heap update of that row
SELECT e.seq, e.kind, e.from_channel, e.channel
  FROM churn.history h, unnest(h.entries) e
 WHERE h.relid = 'tcust'::regclass AND h.customer = '00000000-0000-0000-0000-000000000002'
 ORDER BY e.seq;

SELECT churn.untrack('tcust');
DROP TABLE tcust;
DROP TYPE mood;
DROP DOMAIN branch_code;
