--
-- summary_lifecycle: lifecycle states of a tracked table: customers per
-- state per bucket (churn.lifecycle_summary) and transitions between states
-- (churn.lifecycle_transitions).  Each change of the state column is a
-- transition at the change time.  A customer's state counts from when it is
-- known: the later of its since and the table's states_from (default: the
-- tracking time), or its first transition if that comes first.  The first
-- part tracks with states_from => '-infinity' (the states were known all
-- along: each customer holds its state from its since); the last part
-- shows a back-fill with the default.
-- Oracles: a hand-worked example; the current bucket's at_end per state
-- equals a plain count over the base table; transitions equal a log the
-- test writes itself; after a back-fill, no state is counted before it is
-- known.
--
SET TimeZone = 'UTC';
SET client_min_messages = warning;
\set SHOW_CONTEXT never
SET search_path = public, churn;

CREATE TABLE lc (
	id int PRIMARY KEY,
	since timestamptz,
	until timestamptz,
	status churn.lifecycle,
	changed timestamptz,
	last_seen timestamptz
);
INSERT INTO lc VALUES
	(1, '2024-01-05', NULL, 'new', '2024-01-05', '2024-01-05'),
	(2, '2024-01-20', NULL, 'active', '2024-01-20', '2024-01-20');
SELECT churn.track('lc', customer => 'id', since => 'since', until => 'until', state => 'status',
				   changed_at => 'changed', activity => 'last_seen', time_zone => 'UTC',
				   at_risk_after => '30 days', dormant_after => '60 days', churned_after => '120 days',
				   states_from => '-infinity');

INSERT INTO lc VALUES (3, '2024-02-10', NULL, 'new', '2024-02-10', '2024-02-10');
UPDATE lc SET status = 'active', changed = '2024-02-15' WHERE id = 1;           -- new -> active (Feb)
UPDATE lc SET status = 'at_risk', changed = '2024-03-01' WHERE id = 2;          -- active -> at_risk (Mar)
UPDATE lc SET status = 'churned', until = '2024-03-20', changed = '2024-03-20' WHERE id = 2;  -- at_risk -> churned (Mar)
UPDATE lc SET status = 'reactivated', until = NULL, changed = '2024-04-02' WHERE id = 2;      -- churned -> reactivated (Apr)
UPDATE lc SET last_seen = '2024-04-03' WHERE id = 3;                            -- not tracked: nothing

-- by hand, end of each month:
--   Jan: new 1 (1), active 1 (2)
--   Feb: new 1 (3), active 1 (1) ... 1 left new for active, 3 entered new
--        active: 2 stays active; 1 enters: active 2
--   Mar: at_risk entered 1 and exited 1 (2); churned 1 (2); active 1 (1); new 1 (3)
--   Apr: churned 0, reactivated 1 (2)
SELECT to_char(bucket_start, 'YYYY-MM') AS month, state, at_start, entered, exited, at_end
  FROM churn.lifecycle_summary
 WHERE relation = 'lc'::regclass AND bucket_start < '2024-05-01'
 ORDER BY state, month;
SELECT to_char(bucket_start, 'YYYY-MM') AS month, from_state, to_state, transitions
  FROM churn.lifecycle_transitions WHERE relation = 'lc'::regclass ORDER BY 1, 2, 3;
SELECT count(*) AS verify_diffs FROM churn.verify('lc');

-- Corrections follow: moving since moves the state's start with it.
UPDATE lc SET since = '2023-12-30' WHERE id = 1;
SELECT to_char(bucket_start, 'YYYY-MM') AS month, state, at_start, entered, exited, at_end
  FROM churn.lifecycle_summary
 WHERE relation = 'lc'::regclass AND bucket_start < '2024-03-01' AND state = 'new'
 ORDER BY month;
-- DELETE removes the customer and its transitions.
DELETE FROM lc WHERE id = 2;
SELECT to_char(bucket_start, 'YYYY-MM') AS month, from_state, to_state, transitions
  FROM churn.lifecycle_transitions WHERE relation = 'lc'::regclass ORDER BY 1, 2, 3;
SELECT count(*) AS verify_diffs FROM churn.verify('lc');

-- Generated: random transitions allowed by churn.can_transition, logged by
-- the test; the state counts of the current bucket equal a plain count over
-- the table, the transitions equal the log.
CREATE TABLE lc_log (id int, at timestamptz, from_state churn.lifecycle, to_state churn.lifecycle);
INSERT INTO lc
SELECT i, timestamptz '2024-01-01' + (i % 200) * interval '1 day', NULL,
	   (ARRAY['new', 'active', 'at_risk']::churn.lifecycle[])[1 + i % 3], NULL, NULL
  FROM generate_series(100, 399) i;
SELECT setseed(0.5);
DO $$
DECLARE
	step int;
	r record;
	nxt churn.lifecycle;
	at timestamptz;
BEGIN
	FOR step IN 1 .. 6 LOOP
		at := timestamptz '2024-08-01' + step * interval '17 days';
		FOR r IN SELECT id, status FROM lc WHERE id >= 100 AND random() < 0.4 ORDER BY id LOOP
			SELECT s INTO nxt
			  FROM unnest(ARRAY['new', 'active', 'at_risk', 'dormant', 'churned', 'reactivated']::churn.lifecycle[]) s
			 WHERE s <> r.status AND churn.can_transition(r.status, s)
			 ORDER BY random() LIMIT 1;
			CONTINUE WHEN nxt IS NULL;
			UPDATE lc SET status = nxt, changed = at WHERE id = r.id;
			INSERT INTO lc_log VALUES (r.id, at, r.status, nxt);
		END LOOP;
	END LOOP;
END
$$;
SELECT count(*) > 100 AS enough_transitions FROM lc_log;
-- one multi-row statement moving many customers at once
UPDATE lc SET status = 'dormant', changed = '2024-11-05' WHERE id >= 100 AND status = 'at_risk';
SELECT count(*) AS verify_diffs FROM churn.verify('lc');

WITH last AS (
	SELECT state, at_end FROM churn.lifecycle_summary
	 WHERE relation = 'lc'::regclass AND bucket_start = date_trunc('month', now())
), base AS (
	SELECT status AS state, count(*) AS n FROM lc WHERE since IS NOT NULL GROUP BY status
)
SELECT count(*) AS states,
	   count(*) FILTER (WHERE coalesce(l.at_end, 0) = coalesce(b.n, 0)) AS equal
  FROM last l FULL JOIN base b USING (state);

WITH logged AS (
	SELECT date_trunc('month', at) AS bucket_start, from_state, to_state, count(*) AS n
	  FROM (SELECT * FROM lc_log
			UNION ALL
			SELECT id, '2024-11-05', 'at_risk', 'dormant' FROM lc
			 WHERE id >= 100 AND status = 'dormant' AND changed = '2024-11-05') x
	 GROUP BY 1, 2, 3
), got AS (
	SELECT bucket_start, from_state, to_state, transitions AS n
	  FROM churn.lifecycle_transitions WHERE relation = 'lc'::regclass AND bucket_start >= '2024-08-01'
)
SELECT (SELECT count(*) FROM logged) AS logged_rows,
	   (SELECT count(*) FROM (SELECT * FROM got EXCEPT SELECT * FROM logged) x) AS extra,
	   (SELECT count(*) FROM (SELECT * FROM logged EXCEPT SELECT * FROM got) x) AS missing;

-- balance on every row of lifecycle_summary
SELECT count(*) FILTER (WHERE at_end <> at_start + entered - exited) AS bad_balance,
	   count(*) FILTER (WHERE next_at_start <> at_end) AS bad_carry
  FROM (SELECT *, lead(at_start) OVER (PARTITION BY relation, state ORDER BY bucket_start) AS next_at_start
		  FROM churn.lifecycle_summary WHERE relation = 'lc'::regclass) x;

SELECT churn.untrack('lc');
DROP TABLE lc, lc_log;

-- Back-filled history does not invent transitions.  Customers signed up
-- in 2023 and 2024, some lost (now 'churned'), are tracked as of
-- 2024-06-15: their states are known from then on, not from their since.
-- Were they counted from since, the customers churned by June would all
-- show as 'churned' in January (the issue's 1,250 against 144 lost).
CREATE TABLE bf (id int PRIMARY KEY, since timestamptz, until timestamptz, status churn.lifecycle,
				 changed timestamptz);
INSERT INTO bf
SELECT i, timestamptz '2023-01-01' + i * interval '3 days', u,
	   CASE WHEN u IS NOT NULL THEN 'churned' WHEN i % 4 = 0 THEN 'at_risk' ELSE 'active' END::churn.lifecycle,
	   coalesce(u, timestamptz '2023-01-01' + i * interval '3 days')
  FROM (SELECT i, CASE WHEN i % 3 = 0 THEN timestamptz '2023-01-01' + i * interval '3 days' + interval '40 days' END AS u
		  FROM generate_series(1, 150) i) x;
SELECT churn.track('bf', customer => 'id', since => 'since', until => 'until', state => 'status',
				   changed_at => 'changed', time_zone => 'UTC', states_from => '2024-06-15');
-- lost in January 2024 (churn_summary) against churned at its end (none
-- known yet), and the first bucket with states
SELECT (SELECT sum(lost) FROM churn.churn_summary
		 WHERE relation = 'bf'::regclass AND bucket_start = '2024-01-01') AS lost_in_january,
	   (SELECT count(*) FROM churn.lifecycle_summary
		 WHERE relation = 'bf'::regclass AND bucket_start < '2024-06-01') AS state_rows_before_june,
	   (SELECT min(bucket_start) FROM churn.lifecycle_summary WHERE relation = 'bf'::regclass) AS first_state_bucket;
-- June: every customer enters its state as of tracking (a plain count)
SELECT l.state, l.at_start, l.entered, l.at_end,
	   (SELECT count(*) FROM bf WHERE bf.status OPERATOR(churn.=) l.state) AS counted
  FROM churn.lifecycle_summary l
 WHERE l.relation = 'bf'::regclass AND l.bucket_start = '2024-06-01' ORDER BY l.state;
-- a transition after tracking is counted where it happened; one dated
-- before states_from (a correction of the past) is counted where it
-- happened too, and the customer's former state is known from then
UPDATE bf SET status = 'at_risk', changed = '2024-08-10' WHERE id = 1;
UPDATE bf SET status = 'at_risk', changed = '2024-02-10' WHERE id = 2;
SELECT to_char(bucket_start, 'YYYY-MM') AS month, from_state, to_state, transitions
  FROM churn.lifecycle_transitions WHERE relation = 'bf'::regclass ORDER BY 1, 2, 3;
SELECT to_char(bucket_start, 'YYYY-MM') AS month, state, at_start, entered, exited, at_end
  FROM churn.lifecycle_summary
 WHERE relation = 'bf'::regclass AND bucket_start < '2024-07-01' ORDER BY state, month;
SELECT count(*) AS verify_diffs FROM churn.verify('bf');
-- with the default, states are known from the tracking time: nothing
-- before the current bucket, whatever the date
SELECT churn.retrack('bf', customer => 'id', since => 'since', until => 'until', state => 'status',
					 changed_at => 'changed', time_zone => 'UTC', states_from => now());
SELECT max(c.n) FILTER (WHERE c.bucket_start < date_trunc('month', now())) AS most_known_before_now,
	   sum(c.n) FILTER (WHERE c.bucket_start = date_trunc('month', now())) AS known_now
  FROM (SELECT l.bucket_start, sum(l.at_end) AS n FROM churn.lifecycle_summary l
		 WHERE l.relation = 'bf'::regclass GROUP BY 1) c;
SELECT count(*) AS verify_diffs FROM churn.verify('bf');
SELECT churn.untrack('bf');
DROP TABLE bf;
