--
-- ops: aging_step, advance_lifecycle, health, grant_reader / revoke_reader
--
SET TimeZone = 'UTC';
SET client_min_messages = warning;
-- churn.lifecycle's operators live in schema churn
SET search_path = public, churn;

--
-- aging_step: the furthest of at_risk, dormant, churned past from_state, not
-- past target, allowed by can_transition.  Hand-worked from the transition
-- table: new may go to at_risk or churned but not dormant; dormant only to
-- churned; prospect and churned are never aged.
--
SELECT f AS from_state,
	   churn.aging_step(f, 'at_risk') AS to_at_risk,
	   churn.aging_step(f, 'dormant') AS to_dormant,
	   churn.aging_step(f, 'churned') AS to_churned,
	   churn.aging_step(f, 'active') AS to_active
  FROM unnest('{prospect,new,active,at_risk,dormant,churned,reactivated}'::churn.lifecycle[]) AS f
 ORDER BY f;
-- every result is the state itself or an allowed move
SELECT bool_and(churn.aging_step(f, t) = f OR churn.can_transition(f, churn.aging_step(f, t))) AS allowed
  FROM unnest('{prospect,new,active,at_risk,dormant,churned,reactivated}'::churn.lifecycle[]) AS f,
	   unnest('{prospect,new,active,at_risk,dormant,churned,reactivated}'::churn.lifecycle[]) AS t;
SELECT churn.aging_step(NULL, 'churned') IS NULL AS null_state,
	   churn.aging_step('active', NULL) AS null_target;

--
-- advance_lifecycle on a tracked table: thresholds 30 / 60 / 90 days, as of
-- 2024-06-01; id = the case, seen = last activity.
--
CREATE TABLE ops_subs (
	id		int PRIMARY KEY,
	since	timestamptz NOT NULL,
	until	timestamptz,
	channel	text NOT NULL,
	status	churn.lifecycle NOT NULL,
	seen	timestamptz,
	changed	timestamptz NOT NULL
);
INSERT INTO ops_subs (id, since, channel, status, seen, changed) VALUES
	(1,  '2023-01-01', 'web',  'active',      '2024-06-01'::timestamptz - interval '10 days',  '2023-06-01'),
	(2,  '2023-01-01', 'web',  'active',      '2024-06-01'::timestamptz - interval '30 days',  '2023-06-01'),
	(3,  '2023-01-01', 'web',  'active',      '2024-06-01'::timestamptz - interval '59 days',  '2023-06-01'),
	(4,  '2023-01-01', 'shop', 'active',      '2024-06-01'::timestamptz - interval '60 days',  '2023-06-01'),
	(5,  '2023-01-01', 'shop', 'active',      '2024-06-01'::timestamptz - interval '100 days', '2023-06-01'),
	(6,  '2023-01-01', 'shop', 'new',         '2024-06-01'::timestamptz - interval '70 days',  '2023-06-01'),
	(7,  '2023-01-01', 'web',  'new',         '2024-06-01'::timestamptz - interval '95 days',  '2023-06-01'),
	(8,  '2023-01-01', 'web',  'at_risk',     '2024-06-01'::timestamptz - interval '65 days',  '2023-06-01'),
	(9,  '2023-01-01', 'web',  'dormant',     '2024-06-01'::timestamptz - interval '65 days',  '2023-06-01'),
	(10, '2023-01-01', 'shop', 'dormant',     '2024-06-01'::timestamptz - interval '200 days', '2023-06-01'),
	(11, '2023-01-01', 'shop', 'churned',     '2024-06-01'::timestamptz - interval '300 days', '2023-06-01'),
	(12, '2023-01-01', 'shop', 'prospect',    '2024-06-01'::timestamptz - interval '300 days', '2023-06-01'),
	(13, '2023-01-01', 'web',  'reactivated', '2024-06-01'::timestamptz - interval '61 days',  '2023-06-01'),
	(14, '2023-01-01', 'web',  'active',      NULL,                                            '2023-06-01'),
	(15, '2023-01-01', 'web',  'at_risk',     '2024-06-01'::timestamptz - interval '10 days',  '2023-06-01'),
	(16, '2023-01-01', 'shop', 'active',      '2024-06-01'::timestamptz - interval '40 days',  '2024-05-27');
-- the application's own rule: only allowed moves
CREATE TRIGGER ops_subs_lifecycle BEFORE UPDATE OF status ON ops_subs
	FOR EACH ROW EXECUTE FUNCTION churn.enforce_lifecycle('status');

-- not tracked yet (messages and hints are the contract; the PL/pgSQL line
-- in CONTEXT is not)
\set VERBOSITY default
\set SHOW_CONTEXT never
CALL churn.advance_lifecycle('ops_subs', '2024-06-01');
SELECT churn.track('ops_subs', customer => 'id', since => 'since', until => 'until',
				   channel => 'channel', state => 'status', changed_at => 'changed');
-- tracked, but without activity and thresholds
CALL churn.advance_lifecycle('ops_subs', '2024-06-01');
SELECT churn.untrack('ops_subs');
-- (the states of these customers are known from their since: this table
-- stands for one tracked from the start, before 2024)
SELECT churn.track('ops_subs', customer => 'id', since => 'since', until => 'until',
				   channel => 'channel', state => 'status', changed_at => 'changed',
				   activity => 'seen', at_risk_after => '30 days',
				   dormant_after => '60 days', churned_after => '90 days',
				   states_from => '-infinity');
\set VERBOSITY terse
-- bad arguments
CALL churn.advance_lifecycle('ops_subs', NULL);
CALL churn.advance_lifecycle('ops_subs', 'infinity');
CALL churn.advance_lifecycle('ops_subs', '2024-06-01', 0);
CALL churn.advance_lifecycle(NULL);
CALL churn.advance_lifecycle(0::oid::regclass);
\set VERBOSITY default
-- it commits between batches: not inside a transaction block
BEGIN;
CALL churn.advance_lifecycle('ops_subs', '2024-06-01');
ROLLBACK;
SELECT count(*) AS moved_by_the_failures FROM ops_subs WHERE changed > '2023-06-01' AND id <> 16;

-- Batches of 4 rows: moved to at_risk 2, 3, 6, 16; to dormant 4, 8, 13 and
-- 6 again (new may not go straight to dormant: new -> at_risk, then
-- at_risk -> dormant in a second pass); to churned 5, 7 (new -> churned is
-- allowed), 10.
CALL churn.advance_lifecycle('ops_subs', '2024-06-01', 4);
-- The change time is when the threshold was crossed (seen + threshold),
-- never before the row's previous change (id 16: 2024-05-27) nor after as_of.
SELECT id, status, changed,
	   changed = CASE status WHEN 'at_risk' THEN seen + interval '30 days'
							 WHEN 'dormant' THEN seen + interval '60 days'
							 WHEN 'churned' THEN seen + interval '90 days' END AS at_threshold
  FROM ops_subs ORDER BY id;
-- nothing left to do as of the same time
CALL churn.advance_lifecycle('ops_subs', '2024-06-01');
-- a month later (as of 2024-07-01, one row per batch): 1 (40 days) becomes
-- at_risk; 2, 3, 16 (60..89 days) dormant; 4 (90 days), 6 (100), 8 (95),
-- 9 (95), 13 (91) churned; 15 (40 days) stays at_risk
CALL churn.advance_lifecycle('ops_subs', '2024-07-01', 1);
SELECT id, status FROM ops_subs WHERE id IN (2, 3, 6, 16) ORDER BY id;
SELECT as_of, to_at_risk, to_dormant, to_churned, finished_at >= started_at AS timed
  FROM churn.aging_runs WHERE relation = 'ops_subs'::regclass;

-- The summary triggers recorded every move, hand count of the two runs:
-- active->at_risk 2,3,16 + 1; new->at_risk 6; active->dormant 4;
-- at_risk->dormant 8,6 + 2,3,16; reactivated->dormant 13; active->churned 5;
-- new->churned 7; dormant->churned 10 + 4,6,8,9,13.  At the end of July:
-- prospect 12; active 14; at_risk 1,15; dormant 2,3,16; churned the other 9.
SELECT from_state, to_state, sum(transitions) AS n
  FROM churn.lifecycle_transitions WHERE relation = 'ops_subs'::regclass
 GROUP BY 1, 2 ORDER BY 1, 2;
SELECT state, at_end FROM churn.lifecycle_summary
 WHERE relation = 'ops_subs'::regclass AND bucket_start = '2024-07-01' ORDER BY state;
SELECT count(*) AS verify_differences FROM churn.verify('ops_subs');

-- A customer locked by the application is skipped, not waited for, and aged
-- by the next run.  dblink holds the lock from a second session.
UPDATE ops_subs SET seen = '2024-01-01' WHERE id IN (1, 14);
CREATE EXTENSION dblink;
SELECT dblink_connect('locker', format('dbname=%s port=%s host=%s', current_database(),
	   current_setting('port'), split_part(current_setting('unix_socket_directories'), ',', 1)));
SELECT dblink_exec('locker', 'BEGIN');
SELECT * FROM dblink('locker', 'SELECT id FROM ops_subs WHERE id = 1 FOR UPDATE') AS t(id int);
SET lock_timeout = '5s';
CALL churn.advance_lifecycle('ops_subs', '2024-07-01');
SELECT id, status FROM ops_subs WHERE id IN (1, 14) ORDER BY id;
SELECT dblink_exec('locker', 'COMMIT');
CALL churn.advance_lifecycle('ops_subs', '2024-07-01');
SELECT id, status FROM ops_subs WHERE id IN (1, 14) ORDER BY id;
SELECT dblink_disconnect('locker');
RESET lock_timeout;
DROP EXTENSION dblink;

--
-- health: one row per tracked table
--
SELECT relation, status, pending_deltas > 0 AS pending, last_aging IS NOT NULL AS aged,
	   last_aging_as_of, last_aging_moved, suspended
  FROM churn.health() WHERE relation = 'ops_subs'::regclass;
-- pending deltas older than refresh_lag: stale
SELECT status FROM churn.health(refresh_lag => '0 seconds') WHERE relation = 'ops_subs'::regclass;
SELECT churn.refresh('ops_subs') > 0 AS folded;
SELECT status, pending_deltas, oldest_pending, pending_age, last_refresh IS NOT NULL AS refreshed
  FROM churn.health(refresh_lag => '0 seconds') WHERE relation = 'ops_subs'::regclass;
-- no aging run within aging_lag: aging_overdue
SELECT status FROM churn.health(aging_lag => '0 seconds') WHERE relation = 'ops_subs'::regclass;
SELECT churn.suspend('ops_subs');
SELECT status, suspended FROM churn.health() WHERE relation = 'ops_subs'::regclass;
SELECT churn.resume('ops_subs');
SELECT status FROM churn.health() WHERE relation = 'ops_subs'::regclass;
-- triggers disabled behind churn's back (as for a bulk load): capture_disabled
ALTER TABLE ops_subs DISABLE TRIGGER USER;
SELECT status FROM churn.health() WHERE relation = 'ops_subs'::regclass;
ALTER TABLE ops_subs ENABLE TRIGGER USER;
ALTER TABLE ops_subs DISABLE TRIGGER churn_summary_begin;
SELECT status FROM churn.health() WHERE relation = 'ops_subs'::regclass;
ALTER TABLE ops_subs ENABLE TRIGGER churn_summary_begin;
SELECT status FROM churn.health() WHERE relation = 'ops_subs'::regclass;
-- a capture trigger that fires only in replica sessions misses ordinary ones
ALTER TABLE ops_subs ENABLE REPLICA TRIGGER churn_summary_insert;
SELECT status FROM churn.health() WHERE relation = 'ops_subs'::regclass;
ALTER TABLE ops_subs ENABLE TRIGGER churn_summary_insert;
-- a trigger dropped by hand comes back with the next ALTER TABLE of the
-- tracked table (churn_follow_partitions), which rebuilds its summaries
DROP TRIGGER churn_summary_begin ON ops_subs;
SELECT status FROM churn.health() WHERE relation = 'ops_subs'::regclass;
ALTER TABLE ops_subs ALTER COLUMN channel SET STATISTICS 200;
SELECT status FROM churn.health() WHERE relation = 'ops_subs'::regclass;
SELECT count(*) AS verify_diffs FROM churn.verify('ops_subs');
-- a tracked table gone without the sql_drop event (as a temporary table
-- tracked by 1.0 went at the end of its session; here the event trigger is
-- off for the DROP): table_gone, and untrack by its OID removes everything
-- churn kept of it (it once failed on the missing table's triggers)
CREATE TABLE ops_gone (id int PRIMARY KEY, since date NOT NULL, until date);
INSERT INTO ops_gone VALUES (1, '2024-01-01', NULL), (2, '2024-02-01', '2024-03-01');
SELECT customers, cells FROM churn.track('ops_gone', customer => 'id', since => 'since', until => 'until');
SELECT 'ops_gone'::regclass::oid AS gone_oid \gset
ALTER EVENT TRIGGER churn_forget_dropped DISABLE;
DROP TABLE ops_gone;
ALTER EVENT TRIGGER churn_forget_dropped ENABLE;
SELECT status, summary_rows > 0 AS has_summaries FROM churn.health() WHERE relation = :gone_oid;
SELECT relation = :gone_oid AS same_oid, customers, cells, history_rows FROM churn.untrack(:gone_oid);
SELECT (SELECT count(*) FROM churn.tracked_table WHERE relid = :gone_oid)
	   + (SELECT count(*) FROM churn.summary_cell WHERE relid = :gone_oid)
	   + (SELECT count(*) FROM churn.summary WHERE relid = :gone_oid)
	   + (SELECT count(*) FROM churn.summary_delta WHERE relid = :gone_oid) AS rows_left;

--
-- grant_reader / revoke_reader
--
CREATE ROLE ops_reader;
SELECT churn.grant_reader('ops_reader');
SELECT c.relname,
	   has_table_privilege('ops_reader', c.oid, 'SELECT') AS can_select,
	   has_table_privilege('ops_reader', c.oid, 'INSERT,UPDATE,DELETE,TRUNCATE') AS can_write
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'churn' AND c.relkind IN ('r', 'v')
 ORDER BY c.relname;
SELECT p.proname,
	   bool_and(has_function_privilege('ops_reader', p.oid, 'EXECUTE')) AS can_execute
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'churn'
   AND p.proname IN ('refresh', 'track', 'untrack', 'rebuild', 'verify', 'suspend', 'resume',
					 'advance_lifecycle', 'grant_reader', 'revoke_reader', 'health',
					 'nps', 'survival', 'survival_points', 'can_transition', 'aging_step')
 GROUP BY 1
 ORDER BY 1;
SET ROLE ops_reader;
SELECT count(*) >= 0 AS reads FROM churn.churn_summary WHERE relation = 'ops_subs'::regclass;
\set VERBOSITY terse
SELECT churn.refresh();
CALL churn.advance_lifecycle('ops_subs');
SELECT * FROM churn.health();
SELECT * FROM churn.summary_delta;
UPDATE ops_subs SET status = 'churned' WHERE id = 1;
\set VERBOSITY default
RESET ROLE;
SELECT churn.revoke_reader('ops_reader');
SELECT has_schema_privilege('ops_reader', 'churn', 'USAGE') AS usage,
	   has_table_privilege('ops_reader', 'churn.churn_summary', 'SELECT') AS reads;
\set VERBOSITY terse
SELECT churn.grant_reader('no_such_role');
SELECT churn.grant_reader(NULL) IS NULL AS strict;
\set VERBOSITY default
DROP ROLE ops_reader;

-- The pending counts of losses by reason, moves and transitions are summed
-- in C (churn._count_changes), which a role may call when it may read a
-- view that shows them; the cells' function wants a view of the cells.
UPDATE ops_subs SET status = 'churned' WHERE id = 2;
SELECT count(*) > 0 AS pending FROM churn.summary_delta
 WHERE relid = 'ops_subs'::regclass AND kind = churn._kind('transition');
SELECT bucket_start::date, from_state, to_state, transitions FROM churn.lifecycle_transitions
 WHERE relation = 'ops_subs'::regclass ORDER BY 1, 2, 3;
CREATE ROLE ops_partial;
GRANT USAGE ON SCHEMA churn TO ops_partial;
GRANT SELECT ON churn.lifecycle_transitions TO ops_partial;
SET ROLE ops_partial;
SELECT bucket_start::date, from_state, to_state, transitions FROM churn.lifecycle_transitions
 WHERE relation = 'ops_subs'::regclass ORDER BY 1, 2, 3;
SELECT count(*) > 0 AS pending_counts FROM churn._count_changes('ops_subs');
SELECT count(*) FROM churn._cell_changes('ops_subs', 'c');
-- the moves' functions want both (diversion_summary shows both)
SELECT count(*) FROM churn._move_changes('ops_subs');
SELECT churn._channel_base('ops_subs', '2024-05-01', 'web');
RESET ROLE;
REVOKE SELECT ON churn.lifecycle_transitions FROM ops_partial;
SET ROLE ops_partial;
SELECT count(*) FROM churn._count_changes('ops_subs');
RESET ROLE;
UPDATE ops_subs SET channel = 'store', changed = '2024-05-15' WHERE id = 1;
SELECT from_channel, to_channel, moved, from_base FROM churn.diversion_summary
 WHERE relation = 'ops_subs'::regclass;
GRANT SELECT ON churn.diversion_summary TO ops_partial;
SET ROLE ops_partial;
SELECT from_channel, to_channel, moved, from_base FROM churn.diversion_summary
 WHERE relation = 'ops_subs'::regclass;
RESET ROLE;
REVOKE SELECT ON churn.diversion_summary FROM ops_partial;
REVOKE USAGE ON SCHEMA churn FROM ops_partial;
DROP ROLE ops_partial;

--
-- A scheduler role: EXECUTE on the procedure plus SELECT and UPDATE on the
-- table is enough (the run is recorded in churn.aging_runs as its owner);
-- without UPDATE it is refused before any work.
--
CREATE ROLE ops_ager;
GRANT EXECUTE ON PROCEDURE churn.advance_lifecycle(regclass, timestamptz, int, bigint, bigint, bigint) TO ops_ager;
GRANT USAGE ON SCHEMA churn TO ops_ager;
GRANT SELECT ON ops_subs TO ops_ager;
UPDATE ops_subs SET seen = '2024-01-01', status = 'active' WHERE id = 15;
SET ROLE ops_ager;
\set VERBOSITY default
CALL churn.advance_lifecycle('ops_subs', '2024-08-01');
RESET ROLE;
GRANT UPDATE ON ops_subs TO ops_ager;
SET ROLE ops_ager;
CALL churn.advance_lifecycle('ops_subs', '2024-08-01');
RESET ROLE;
SELECT id, status FROM ops_subs WHERE id = 15;
SELECT as_of, to_churned FROM churn.aging_runs WHERE relation = 'ops_subs'::regclass;
-- under row-level security it would age only the customers its policies
-- show, and pass the others over without a word: refused
ALTER TABLE ops_subs ENABLE ROW LEVEL SECURITY;
CREATE POLICY ops_subs_some ON ops_subs USING (id < 10);
SET ROLE ops_ager;
CALL churn.advance_lifecycle('ops_subs', '2024-09-01');
RESET ROLE;
DROP POLICY ops_subs_some ON ops_subs;
ALTER TABLE ops_subs DISABLE ROW LEVEL SECURITY;
SELECT count(*) AS runs FROM churn.aging_runs WHERE relation = 'ops_subs'::regclass AND as_of = '2024-09-01';
REVOKE ALL ON ops_subs FROM ops_ager;
REVOKE ALL ON SCHEMA churn FROM ops_ager;
REVOKE ALL ON PROCEDURE churn.advance_lifecycle(regclass, timestamptz, int, bigint, bigint, bigint) FROM ops_ager;
DROP ROLE ops_ager;

--
-- Row-level security: the summaries count every row, so a role the table's
-- policies show only some rows to (here its owner, the table forcing its
-- policies on the owner too) may not recompute or verify them.  Before the
-- refusal, rebuild counted the 5 rows the owner saw and dropped the history
-- of the customers hidden from it, so customer 1's move was lost for good.
-- A superuser sees every row; so does the owner once the table no longer
-- forces its policies on it.
--
CREATE ROLE ops_rls_owner;
CREATE TABLE ops_rls (id int PRIMARY KEY, since date NOT NULL, until date,
					  channel text NOT NULL, changed date);
INSERT INTO ops_rls
SELECT g, date '2024-01-01' + g, CASE WHEN g % 3 = 0 THEN date '2024-06-01' END,
	   CASE WHEN g % 2 = 0 THEN 'web' ELSE 'shop' END, NULL
  FROM generate_series(1, 10) g;
SELECT customers FROM churn.track('ops_rls', customer => 'id', since => 'since', until => 'until',
								  channel => 'channel', changed_at => 'changed');
UPDATE ops_rls SET channel = 'web', changed = '2024-03-10' WHERE id = 1;
ALTER TABLE ops_rls OWNER TO ops_rls_owner;
ALTER TABLE ops_rls ENABLE ROW LEVEL SECURITY;
ALTER TABLE ops_rls FORCE ROW LEVEL SECURITY;
CREATE POLICY ops_rls_even ON ops_rls USING (id % 2 = 0);
-- the extension owner grants the role churn's maintenance
GRANT USAGE ON SCHEMA churn TO ops_rls_owner;
GRANT ALL ON ALL TABLES IN SCHEMA churn TO ops_rls_owner;
GRANT ALL ON ALL SEQUENCES IN SCHEMA churn TO ops_rls_owner;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA churn TO ops_rls_owner;
SET ROLE ops_rls_owner;
SELECT count(*) AS rows_the_owner_sees FROM ops_rls;
SELECT churn.rebuild('ops_rls');
SELECT count(*) FROM churn.verify('ops_rls');
RESET ROLE;
SELECT count(*) AS history_kept FROM churn.history WHERE relid = 'ops_rls'::regclass;
SELECT churn.rebuild('ops_rls');
SELECT count(*) AS verify_diffs FROM churn.verify('ops_rls');
ALTER TABLE ops_rls NO FORCE ROW LEVEL SECURITY;
SET ROLE ops_rls_owner;
SELECT churn.rebuild('ops_rls');
SELECT count(*) AS verify_diffs FROM churn.verify('ops_rls');
RESET ROLE;
-- oracle: the rows and the one move, in plain SQL
SELECT (SELECT sum(new) FROM churn.churn_summary WHERE relation = 'ops_rls'::regclass)
	   = (SELECT count(*) FROM ops_rls) AS new_exact,
	   (SELECT sum(lost) FROM churn.churn_summary WHERE relation = 'ops_rls'::regclass)
	   = (SELECT count(*) FROM ops_rls WHERE until IS NOT NULL) AS lost_exact;
SELECT from_channel, to_channel, moved FROM churn.diversion_summary
 WHERE relation = 'ops_rls'::regclass AND moved > 0;
SELECT relation, history_rows FROM churn.untrack('ops_rls');
-- track refuses the same way (and tracks nothing)
ALTER TABLE ops_rls FORCE ROW LEVEL SECURITY;
SET ROLE ops_rls_owner;
SELECT churn.track('ops_rls', customer => 'id', since => 'since', until => 'until');
RESET ROLE;
SELECT count(*) AS tracked FROM churn.tracked_table WHERE relid = 'ops_rls'::regclass;
DROP TABLE ops_rls;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA churn FROM ops_rls_owner;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA churn FROM ops_rls_owner;
REVOKE ALL ON ALL TABLES IN SCHEMA churn FROM ops_rls_owner;
REVOKE ALL ON SCHEMA churn FROM ops_rls_owner;
DROP ROLE ops_rls_owner;

--
-- Read-only transactions (a reporting role's default_transaction_read_only,
-- BEGIN READ ONLY; a hot standby's message is the standby suite's): every
-- function that changes churn's tables, settings or grants refuses at once
-- with 25006, naming itself; the reads work, and nothing changed.
--
\set VERBOSITY default
\set SHOW_CONTEXT never
CREATE ROLE ops_ro_reader;
UPDATE ops_subs SET channel = 'shop', changed = '2024-06-02' WHERE id = 1;
SET default_transaction_read_only = on;
SELECT churn.refresh();
SELECT churn.refresh('ops_subs');
SELECT churn.rebuild('ops_subs');
SELECT churn.suspend('ops_subs');
SELECT churn.resume('ops_subs');
SELECT churn.untrack('ops_subs');
SELECT churn.track('ops_subs', customer => 'id', since => 'since', until => 'until');
SELECT churn.retrack('ops_subs', customer => 'id', since => 'since', until => 'until');
SELECT churn.grant_reader('ops_ro_reader');
SELECT churn.revoke_reader('ops_ro_reader');
CALL churn.advance_lifecycle('ops_subs', '2024-08-01');
-- the moves of June 2024, customer 1's from web to shop (pending) among them
SELECT channel, moved_in, moved_out FROM churn.churn_summary
 WHERE relation = 'ops_subs'::regclass AND bucket_start = '2024-06-01' AND moved_in + moved_out > 0
 ORDER BY channel;
SELECT count(*) AS verify_diffs FROM churn.verify('ops_subs');
SELECT status, pending_deltas > 0 AS pending FROM churn.health() WHERE relation = 'ops_subs'::regclass;
RESET default_transaction_read_only;
BEGIN READ ONLY;
SELECT churn.refresh('ops_subs');
ROLLBACK;
SELECT t.suspended, t.channel_column, s.pending_deltas > 0 AS pending
  FROM churn.tracked_table t JOIN churn.status s ON s.relation = t.relid
 WHERE t.relid = 'ops_subs'::regclass;
SELECT has_schema_privilege('ops_ro_reader', 'churn', 'USAGE') AS reader_has_usage;
DROP ROLE ops_ro_reader;

SELECT churn.untrack('ops_subs');
DROP TABLE ops_subs;
