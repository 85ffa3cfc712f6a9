--
-- summary_nested: statements run by the AFTER triggers of a statement on the
-- same tracked table (the user's AFTER ROW triggers, AFTER STATEMENT
-- triggers named before churn's, foreign-key actions) change rows whose
-- first change is not captured yet.  They must be captured after it, in the
-- order they ran: the history in that order, and summaries equal to what
-- the same changes made by separate statements give.  Oracles: the
-- expected history and counts worked out in the comments, churn.verify, the
-- balance identities, and the customers per branch counted from the table.
--
SET TimeZone = 'UTC';
SET client_min_messages = warning;
\set SHOW_CONTEXT never

CREATE TABLE nest (
	id int PRIMARY KEY,
	since timestamptz NOT NULL,
	until timestamptz,
	branch text NOT NULL,
	reason text,
	changed timestamptz,
	referrer int REFERENCES nest (id) ON DELETE SET NULL
);
SELECT churn.track('nest', customer => 'id', since => 'since', until => 'until',
				   channel => 'branch', reason => 'reason', changed_at => 'changed');
-- ten customers in north since January
INSERT INTO nest (id, since, branch, changed)
SELECT i, '2024-01-05', 'north', '2024-01-05' FROM generate_series(1, 10) i;

-- Branch rules applied by an AFTER ROW trigger: a customer moved into
-- from_branch is sent on to to_branch a day later; one moved into a closing
-- branch is lost there on the day it arrives.
CREATE TABLE redirect (from_branch text PRIMARY KEY, to_branch text);
CREATE TABLE closing (branch text PRIMARY KEY);
CREATE FUNCTION apply_rules() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	dest text;
BEGIN
	SELECT to_branch INTO dest FROM redirect WHERE from_branch = NEW.branch;
	IF FOUND THEN
		UPDATE nest SET branch = dest, changed = NEW.changed + interval '1 day' WHERE id = NEW.id;
	ELSIF NEW.until IS NULL AND EXISTS (SELECT 1 FROM closing c WHERE c.branch = NEW.branch) THEN
		UPDATE nest SET until = NEW.changed, reason = 'branch closed' WHERE id = NEW.id;
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER apply_rules AFTER UPDATE OF branch ON nest
	FOR EACH ROW EXECUTE FUNCTION apply_rules();

-- one customer's history, in order
CREATE VIEW hist AS
SELECT h.customer, e.seq, e.at::date, e.kind, e.from_channel, e.channel, e.lost_at::date
  FROM churn.history h, unnest(h.entries) e
 WHERE h.relid = 'nest'::regclass
 ORDER BY h.customer::int, e.seq;
-- March 2024, the month of every change below
CREATE VIEW march AS
SELECT channel, at_start, new, moved_in AS m_in, moved_out AS m_out, lost,
	   lost_from_start AS lfs, at_end
  FROM churn.churn_summary
 WHERE relation = 'nest'::regclass AND bucket_start = '2024-03-01'
 ORDER BY channel;
-- what must hold after every step: verify finds nothing, the balance holds
-- on every row, and the latest month's customers per branch are the
-- table's active customers per branch
CREATE VIEW checks AS
SELECT (SELECT count(*) FROM churn.verify('nest')) AS verify_diffs,
	   (SELECT count(*) FROM churn.churn_summary
		 WHERE relation = 'nest'::regclass
		   AND at_end <> at_start + new + reactivated + moved_in - moved_out - lost) AS bad_balance,
	   (SELECT count(*) FROM (
			SELECT channel, at_end FROM churn.churn_summary
			 WHERE relation = 'nest'::regclass AND at_end <> 0
			   AND bucket_start = (SELECT max(bucket_start) FROM churn.churn_summary
									WHERE relation = 'nest'::regclass)
			EXCEPT ALL
			SELECT branch, count(*) FROM nest WHERE until IS NULL GROUP BY branch) d
	   ) + (SELECT count(*) FROM (
			SELECT branch, count(*) FROM nest WHERE until IS NULL GROUP BY branch
			EXCEPT ALL
			SELECT channel, at_end FROM churn.churn_summary
			 WHERE relation = 'nest'::regclass AND at_end <> 0
			   AND bucket_start = (SELECT max(bucket_start) FROM churn.churn_summary
									WHERE relation = 'nest'::regclass)) d
	   ) AS branch_count_diffs;

-- 1. A move redirected by the row trigger: customer 1 goes north -> south
-- on 10 March, the trigger sends it south -> east on 11 March.  History:
-- the two moves in that order.  March: north 10 -> 9 (one out), south one
-- in and one out, east one in.
INSERT INTO redirect VALUES ('south', 'east');
UPDATE nest SET branch = 'south', changed = '2024-03-10' WHERE id = 1;
SELECT * FROM hist;
SELECT * FROM march;
SELECT * FROM checks;

-- 2. A move into a closing branch: customer 2 goes north -> west on 15
-- March and the trigger ends it there the same day.  west: one in, one
-- lost, none lost from the start (it was not there on 1 March); north: one
-- more out, nobody lost.
INSERT INTO closing VALUES ('west');
UPDATE nest SET branch = 'west', changed = '2024-03-15' WHERE id = 2;
SELECT * FROM hist WHERE customer = '2';
SELECT * FROM march;
SELECT * FROM checks;

-- 3. Two levels: south -> east, then east -> online.  Customer 3 goes
-- north -> south on 20 March, to east on the 21st, to online on the 22nd.
INSERT INTO redirect VALUES ('east', 'online');
UPDATE nest SET branch = 'south', changed = '2024-03-20' WHERE id = 3;
SELECT * FROM hist WHERE customer = '3';
SELECT * FROM march;
SELECT * FROM checks;
DELETE FROM redirect WHERE from_branch = 'east';

-- 4. One statement moving two customers (4 and 5 to south on 25 March):
-- each is sent on to east on the 26th by its own nested statement.
UPDATE nest SET branch = 'south', changed = '2024-03-25' WHERE id IN (4, 5);
SELECT * FROM hist WHERE customer IN ('4', '5');
SELECT * FROM checks;

-- 5. The nested statement fails inside an exception block of the trigger:
-- its change and its capture are rolled back, the outer move stays.
-- Customer 6 ends in south with one move, not in east.
CREATE FUNCTION apply_rules_then_fail() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	BEGIN
		UPDATE nest SET branch = 'east', changed = NEW.changed + interval '1 day' WHERE id = NEW.id;
		RAISE EXCEPTION 'rule rejected';
	EXCEPTION WHEN raise_exception THEN
		NULL;
	END;
	RETURN NULL;
END
$$;
ALTER TABLE nest DISABLE TRIGGER apply_rules;
CREATE TRIGGER apply_rules_then_fail AFTER UPDATE OF branch ON nest
	FOR EACH ROW WHEN (NEW.branch = 'south') EXECUTE FUNCTION apply_rules_then_fail();
UPDATE nest SET branch = 'south', changed = '2024-03-27' WHERE id = 6;
SELECT id, branch FROM nest WHERE id = 6;
SELECT * FROM hist WHERE customer = '6';
SELECT * FROM checks;
-- the same with the nested statement kept: its subtransaction commits
CREATE OR REPLACE FUNCTION apply_rules_then_fail() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	BEGIN
		UPDATE nest SET branch = 'east', changed = NEW.changed + interval '1 day' WHERE id = NEW.id;
	EXCEPTION WHEN raise_exception THEN
		NULL;
	END;
	RETURN NULL;
END
$$;
UPDATE nest SET branch = 'south', changed = '2024-03-28' WHERE id = 7;
SELECT * FROM hist WHERE customer = '7';
SELECT * FROM checks;
DROP TRIGGER apply_rules_then_fail ON nest;
ALTER TABLE nest ENABLE TRIGGER apply_rules;

-- 6. An AFTER STATEMENT trigger that fires before churn's (triggers of one
-- event fire in name order) and retires branch phone into online: customer
-- 8 goes north -> phone -> online, both on 29 March.
CREATE FUNCTION retire_phone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	-- (the UPDATE fires this trigger again: stop when nothing is left)
	IF EXISTS (SELECT 1 FROM nest WHERE branch = 'phone') THEN
		UPDATE nest SET branch = 'online' WHERE branch = 'phone';
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER a_retire_phone AFTER UPDATE ON nest
	FOR EACH STATEMENT EXECUTE FUNCTION retire_phone();
UPDATE nest SET branch = 'phone', changed = '2024-03-29' WHERE id = 8;
SELECT * FROM hist WHERE customer = '8';
SELECT * FROM checks;
DROP TRIGGER a_retire_phone ON nest;

-- 7. A foreign-key action on the same table: customer 10 referred customer
-- 9; deleting 10 sets 9's referrer to NULL in a nested statement.
UPDATE nest SET referrer = 10 WHERE id = 9;
DELETE FROM nest WHERE id = 10;
SELECT id, referrer FROM nest WHERE id = 9;
SELECT * FROM checks;

-- A foreign-key action from another table: deleting account 1 deletes its
-- customers 7 and 8 in a nested DELETE, whose AFTER triggers fire after the
-- account's.  The statements after it in the same transaction are captured
-- as usual (customer 6 moves to online, customer 11 arrives).
CREATE TABLE account (id int PRIMARY KEY);
INSERT INTO account VALUES (1), (2);
ALTER TABLE nest ADD COLUMN account int REFERENCES account (id) ON DELETE CASCADE;
UPDATE nest SET account = 1 WHERE id IN (7, 8);
BEGIN;
DELETE FROM account WHERE id = 1;
UPDATE nest SET branch = 'online', changed = '2024-03-31' WHERE id = 6;
INSERT INTO nest (id, since, branch, changed) VALUES (11, '2024-03-02', 'north', '2024-03-02');
COMMIT;
SELECT id, branch FROM nest WHERE id IN (6, 7, 8, 11) ORDER BY id;
SELECT * FROM checks;

-- 8. The set-based capture (as for statements of more than 1,000 rows)
-- keeps the same order: customer 9 goes north -> south -> east.
SET churn.capture_fast_max = 0;
UPDATE nest SET branch = 'south', changed = '2024-03-30' WHERE id = 9;
SELECT * FROM hist WHERE customer = '9';
SELECT * FROM checks;
RESET churn.capture_fast_max;

-- 9. Rows inserted by an AFTER TRUNCATE trigger that fires before churn's:
-- the summaries start again from them, not from nothing.
CREATE FUNCTION refill() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO nest (id, since, branch, changed) VALUES (100, '2024-02-01', 'north', '2024-02-01');
	RETURN NULL;
END
$$;
CREATE TRIGGER a_refill AFTER TRUNCATE ON nest
	FOR EACH STATEMENT EXECUTE FUNCTION refill();
ALTER TABLE nest DROP CONSTRAINT nest_referrer_fkey;
TRUNCATE nest;
SELECT count(*) AS rows FROM nest;
SELECT * FROM march;
SELECT * FROM checks;
-- The same twice in one transaction: the second TRUNCATE writes nothing
-- with its command id (the table was truncated in this transaction), and
-- the refill's INSERT must still count as a statement inside it.
BEGIN;
TRUNCATE nest;
TRUNCATE nest;
COMMIT;
SELECT count(*) AS rows FROM nest;
SELECT * FROM march;
SELECT * FROM checks;
DROP TRIGGER a_refill ON nest;

-- 10. A partitioned table: the statement names the parent, the trigger
-- updates the partition directly.  Customer 1 goes north -> south -> east.
CREATE TABLE pnest (
	id int,
	region text,
	since timestamptz NOT NULL,
	until timestamptz,
	branch text NOT NULL,
	changed timestamptz,
	PRIMARY KEY (id, region)
) PARTITION BY LIST (region);
CREATE TABLE pnest_eu PARTITION OF pnest FOR VALUES IN ('eu');
CREATE TABLE pnest_us PARTITION OF pnest FOR VALUES IN ('us');
SELECT churn.track('pnest', customer => 'id', since => 'since', until => 'until',
				   channel => 'branch', changed_at => 'changed');
INSERT INTO pnest VALUES (1, 'eu', '2024-01-05', NULL, 'north', '2024-01-05'),
						 (2, 'us', '2024-01-05', NULL, 'north', '2024-01-05');
CREATE FUNCTION pnest_rules() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.branch = 'south' THEN
		UPDATE pnest_eu SET branch = 'east', changed = NEW.changed + interval '1 day' WHERE id = NEW.id;
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER pnest_rules AFTER UPDATE ON pnest FOR EACH ROW EXECUTE FUNCTION pnest_rules();
UPDATE pnest SET branch = 'south', changed = '2024-03-10' WHERE id = 1;
SELECT e.seq, e.at::date, e.from_channel, e.channel
  FROM churn.history h, unnest(h.entries) e
 WHERE h.relid = 'pnest'::regclass ORDER BY e.seq;
SELECT count(*) AS verify_diffs FROM churn.verify('pnest');

-- A long transaction of single-row statements (a batch job): each
-- statement's note is freed when its capture is done, so the transaction's
-- memory grows no more than on an untracked table.
CREATE TABLE batch_tracked (id int PRIMARY KEY, since timestamptz NOT NULL, until timestamptz,
							branch text, changed timestamptz);
CREATE TABLE batch_plain (LIKE batch_tracked INCLUDING ALL);
SELECT churn.track('batch_tracked', customer => 'id', since => 'since', until => 'until',
				   channel => 'branch', changed_at => 'changed');
INSERT INTO batch_tracked SELECT i, '2024-01-05', NULL, 'north', '2024-01-05' FROM generate_series(1, 100) i;
INSERT INTO batch_plain SELECT * FROM batch_tracked;
CREATE FUNCTION batch_job(t regclass) RETURNS int8 LANGUAGE plpgsql AS $$
BEGIN
	FOR i IN 1..20000 LOOP
		EXECUTE format('UPDATE %s SET changed = changed + interval ''1 second'' WHERE id = $1', t)
			USING 1 + i % 100;
	END LOOP;
	RETURN (SELECT total_bytes FROM pg_backend_memory_contexts WHERE name = 'TopTransactionContext');
END
$$;
BEGIN;
SELECT batch_job('batch_plain') AS plain_bytes \gset
ROLLBACK;
BEGIN;
SELECT batch_job('batch_tracked') AS tracked_bytes \gset
ROLLBACK;
SELECT :tracked_bytes - :plain_bytes < 65536 AS memory_as_untracked;
SELECT churn.untrack('batch_tracked');
DROP TABLE batch_tracked, batch_plain;
DROP FUNCTION batch_job(regclass);

-- Adversarial cases of the ordering.  From here on the nest customers are
-- 100 (from scenario 9) and those inserted below; apply_rules still sends
-- south on to east, and a customer moved into west is lost there.
-- route_new does for inserted customers what apply_rules does for moves.
CREATE FUNCTION route_new() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	dest text;
BEGIN
	SELECT to_branch INTO dest FROM redirect WHERE from_branch = NEW.branch;
	IF FOUND THEN
		UPDATE nest SET branch = dest, changed = NEW.changed + interval '1 day' WHERE id = NEW.id;
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER route_new AFTER INSERT ON nest FOR EACH ROW EXECUTE FUNCTION route_new();
INSERT INTO nest (id, since, branch, changed)
SELECT i, '2024-03-01', 'north', '2024-03-01' FROM generate_series(31, 40) i;

-- 11. An INSERT whose row trigger moves the new customer, whose move is
-- redirected again: customer 41 arrives in south on 1 April, goes to east
-- on the 2nd (route_new) and on to online on the 3rd (apply_rules).  The
-- insert records no history: the two moves, in that order.
INSERT INTO redirect VALUES ('east', 'online');
INSERT INTO nest (id, since, branch, changed) VALUES (41, '2024-04-01', 'south', '2024-04-01');
SELECT * FROM hist WHERE customer = '41';
SELECT * FROM checks;

-- 12. The same through COPY: customer 42 arrives in south on 2 April.
COPY nest (id, since, branch, changed) FROM STDIN;
42	2024-04-02	south	2024-04-02
\.
SELECT * FROM hist WHERE customer = '42';
SELECT * FROM checks;
DELETE FROM redirect WHERE from_branch = 'east';

-- 13. INSERT ... ON CONFLICT DO UPDATE fires the INSERT and the UPDATE
-- captures (the UPDATE's first).  Customer 31 exists and is moved to south
-- on 4 April (then east on the 5th by apply_rules); customer 43 is new in
-- south on 4 April (then east on the 5th by route_new).
INSERT INTO nest (id, since, branch, changed)
VALUES (31, '2024-03-01', 'south', '2024-04-04'), (43, '2024-04-04', 'south', '2024-04-04')
ON CONFLICT (id) DO UPDATE SET branch = excluded.branch, changed = excluded.changed;
SELECT * FROM hist WHERE customer IN ('31', '43');
SELECT * FROM checks;

-- 14. ROLLBACK TO SAVEPOINT of a statement that failed after its row
-- trigger's statement was kept for it: zz_veto rejects the move of
-- customer 35 after apply_rules moved it on.  What it kept goes with it;
-- the statements after the rollback (35 to west, lost there; 36 to south
-- and east) are captured in order, and the commit finds nothing left.
CREATE FUNCTION veto() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'move of customer % vetoed', NEW.id;
END
$$;
CREATE TRIGGER zz_veto AFTER UPDATE ON nest FOR EACH ROW
	WHEN (NEW.branch = 'south' AND NEW.reason = 'veto') EXECUTE FUNCTION veto();
BEGIN;
UPDATE nest SET reason = 'veto' WHERE id = 35;
SAVEPOINT before_move;
UPDATE nest SET branch = 'south', changed = '2024-04-10' WHERE id = 35;
ROLLBACK TO SAVEPOINT before_move;
UPDATE nest SET branch = 'west', changed = '2024-04-11' WHERE id = 35;
SAVEPOINT s2;
UPDATE nest SET branch = 'south', changed = '2024-04-12' WHERE id = 36;
RELEASE SAVEPOINT s2;
COMMIT;
SELECT id, branch, until::date, reason FROM nest WHERE id IN (35, 36) ORDER BY id;
SELECT * FROM hist WHERE customer IN ('35', '36');
SELECT * FROM checks;
DROP TRIGGER zz_veto ON nest;

-- 15. A procedure that commits and rolls back between its statements:
-- customer 37 moves to south on 13 April (east on the 14th), commits; a
-- move to online is rolled back; then to west on the 15th (lost there).
CREATE PROCEDURE three_moves(c int) LANGUAGE plpgsql AS $$
BEGIN
	UPDATE nest SET branch = 'south', changed = '2024-04-13' WHERE id = c;
	COMMIT;
	UPDATE nest SET branch = 'online', changed = '2024-04-14' WHERE id = c;
	ROLLBACK;
	UPDATE nest SET branch = 'west', changed = '2024-04-15' WHERE id = c;
END
$$;
CALL three_moves(37);
SELECT id, branch, until::date FROM nest WHERE id = 37;
SELECT * FROM hist WHERE customer = '37';
SELECT * FROM checks;

-- 16. A deferred constraint trigger moving the customer at commit, whose
-- move apply_rules redirects: customer 38 goes to phone on 16 April, at
-- commit to south on the 17th, then to east on the 18th.
CREATE FUNCTION settle() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE nest SET branch = 'south', changed = NEW.changed + interval '1 day' WHERE id = NEW.id;
	RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER settle AFTER UPDATE ON nest DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW WHEN (NEW.branch = 'phone') EXECUTE FUNCTION settle();
BEGIN;
UPDATE nest SET branch = 'phone', changed = '2024-04-16' WHERE id = 38;
SELECT count(*) AS history_before_commit FROM hist WHERE customer = '38';
COMMIT;
SELECT * FROM hist WHERE customer = '38';
SELECT * FROM checks;
DROP TRIGGER settle ON nest;

-- 17. A reactivation redirected: customer 39, lost on 19 April, comes
-- back in south on the 20th (the reactivation and the move, in the order
-- the capture records them) and is sent on to east on the 21st.  Then a
-- reactivation made by a row trigger: customer 40, lost for price on 22
-- April, is won back by win_back in online on the 29th.
UPDATE nest SET until = '2024-04-19', reason = 'moved away', changed = '2024-04-19' WHERE id = 39;
UPDATE nest SET until = NULL, reason = NULL, branch = 'south', changed = '2024-04-20' WHERE id = 39;
SELECT * FROM hist WHERE customer = '39';
SELECT * FROM checks;
CREATE FUNCTION win_back() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE nest SET until = NULL, reason = NULL, branch = 'online',
		   changed = NEW.until + interval '7 days' WHERE id = NEW.id;
	RETURN NULL;
END
$$;
CREATE TRIGGER win_back AFTER UPDATE OF until ON nest FOR EACH ROW
	WHEN (NEW.until IS NOT NULL AND NEW.reason = 'price') EXECUTE FUNCTION win_back();
UPDATE nest SET until = '2024-04-22', reason = 'price', changed = '2024-04-22' WHERE id = 40;
SELECT id, branch, until FROM nest WHERE id = 40;
SELECT * FROM hist WHERE customer = '40';
SELECT * FROM checks;
DROP TRIGGER win_back ON nest;

-- 18. Lifecycle states: a row trigger that puts a customer back to
-- at_risk when it was made active without activity.  Customer 1 goes new
-- -> active on 10 March, the trigger makes it at_risk on the 11th.
CREATE TABLE lnest (
	id int PRIMARY KEY,
	since timestamptz NOT NULL,
	until timestamptz,
	status churn.lifecycle NOT NULL,
	changed timestamptz
);
SELECT churn.track('lnest', customer => 'id', since => 'since', until => 'until',
				   state => 'status', changed_at => 'changed');
INSERT INTO lnest VALUES (1, '2024-01-05', NULL, 'new', '2024-01-05'),
						 (2, '2024-01-05', NULL, 'new', '2024-01-05');
CREATE FUNCTION lnest_rules() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE lnest SET status = 'at_risk', changed = NEW.changed + interval '1 day' WHERE id = NEW.id;
	RETURN NULL;
END
$$;
CREATE TRIGGER lnest_rules AFTER UPDATE ON lnest FOR EACH ROW
	WHEN (NEW.status::text = 'active') EXECUTE FUNCTION lnest_rules();
UPDATE lnest SET status = 'active', changed = '2024-03-10' WHERE id = 1;
SELECT e.seq, e.at::date, e.kind, e.from_state, e.to_state
  FROM churn.history h, unnest(h.entries) e
 WHERE h.relid = 'lnest'::regclass AND h.customer = '1' ORDER BY e.seq;
SELECT count(*) AS verify_diffs FROM churn.verify('lnest');
SELECT churn.untrack('lnest');
DROP TABLE lnest;
DROP FUNCTION lnest_rules();

-- 19. A foreign-key action run by a nested statement: moving customer 41
-- to gone makes drop_gone delete it, and the deletion sets its referral
-- 42's referrer to NULL.  The action's capture fires among the DELETE's
-- AFTER triggers, under the DELETE's snapshot: it must not take the note
-- of the UPDATE still running around them, whose capture comes first
-- (the move, then the deletion that removes 41's history, then the
-- action).
ALTER TABLE nest ADD CONSTRAINT nest_referrer_fkey
	FOREIGN KEY (referrer) REFERENCES nest (id) ON DELETE SET NULL;
UPDATE nest SET referrer = 41 WHERE id = 42;
CREATE FUNCTION drop_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM nest WHERE id = NEW.id;
	RETURN NULL;
END
$$;
CREATE TRIGGER drop_gone AFTER UPDATE OF branch ON nest FOR EACH ROW
	WHEN (NEW.branch = 'gone') EXECUTE FUNCTION drop_gone();
UPDATE nest SET branch = 'gone', changed = '2024-04-23' WHERE id = 41;
SELECT id, referrer FROM nest WHERE id IN (41, 42);
SELECT * FROM hist WHERE customer IN ('41', '42');
SELECT * FROM checks;
DROP TRIGGER drop_gone ON nest;

-- 20. Foreign-key actions that change the tracked channel, and a row
-- trigger that runs after them: a customer's channel is its referrer.
-- Deleting referrers 2 and 4 runs one SET NULL action per row (3 and 5
-- lose their referrer, the action's captures fire after the DELETE's),
-- then reassign (a row trigger named after the RI triggers) gives each
-- orphan customer 1 as referrer.  Each customer's history: the move to
-- no referrer, then the move to 1.
CREATE TABLE rnest (
	id int PRIMARY KEY,
	since timestamptz NOT NULL,
	until timestamptz,
	referrer int REFERENCES rnest (id) ON DELETE SET NULL,
	changed timestamptz
);
SELECT churn.track('rnest', customer => 'id', since => 'since', until => 'until',
				   channel => 'referrer', changed_at => 'changed');
INSERT INTO rnest (id, since, referrer, changed)
VALUES (1, '2024-01-05', NULL, '2024-01-05'), (2, '2024-01-05', NULL, '2024-01-05'),
	   (3, '2024-01-05', 2, '2024-01-05'), (4, '2024-01-05', NULL, '2024-01-05'),
	   (5, '2024-01-05', 4, '2024-01-05');
CREATE FUNCTION reassign() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE rnest SET referrer = 1, changed = '2024-03-12' WHERE referrer IS NULL AND id <> 1;
	RETURN NULL;
END
$$;
CREATE TRIGGER reassign AFTER DELETE ON rnest FOR EACH ROW EXECUTE FUNCTION reassign();
DELETE FROM rnest WHERE id IN (2, 4);
SELECT id, referrer FROM rnest ORDER BY id;
SELECT h.customer, e.seq, e.at::date, e.kind, e.from_channel, e.channel
  FROM churn.history h, unnest(h.entries) e
 WHERE h.relid = 'rnest'::regclass ORDER BY h.customer::int, e.seq;
SELECT count(*) AS verify_diffs FROM churn.verify('rnest');
SELECT churn.untrack('rnest');
DROP TABLE rnest;
DROP FUNCTION reassign();

-- 21. MERGE with the three actions: its captures fire DELETE, UPDATE,
-- INSERT, and the statements of its row triggers come after all three.
-- Customer 32 is deleted, 33 moves to south on 6 April (east on the 7th),
-- 44 arrives in south on 6 April (east on the 7th).
CREATE TABLE incoming (id int, branch text, at timestamptz, gone bool);
INSERT INTO incoming VALUES (32, NULL, NULL, true), (33, 'south', '2024-04-06', false),
							(44, 'south', '2024-04-06', false);
MERGE INTO nest n USING incoming i ON n.id = i.id
WHEN MATCHED AND i.gone THEN DELETE
WHEN MATCHED THEN UPDATE SET branch = i.branch, changed = i.at
WHEN NOT MATCHED THEN INSERT (id, since, branch, changed) VALUES (i.id, i.at, i.branch, i.at);
SELECT id, branch FROM nest WHERE id IN (32, 33, 44) ORDER BY id;
SELECT * FROM hist WHERE customer IN ('32', '33', '44');
SELECT * FROM checks;

-- 22. Two statements of one query (WITH): the main INSERT's capture fires
-- first, the UPDATE's after it, then what apply_rules did: customer 34
-- moves to south on 8 April and to east on the 9th; 45 arrives.
WITH moved AS (UPDATE nest SET branch = 'south', changed = '2024-04-08' WHERE id = 34 RETURNING id)
INSERT INTO nest (id, since, branch, changed) VALUES (45, '2024-04-08', 'north', '2024-04-08');
SELECT * FROM hist WHERE customer IN ('34', '45');
SELECT * FROM checks;

-- 23. A capture after a replay, in the same query: deleting referrer 2
-- first runs A_warn_referred (a row trigger named before the RI
-- triggers), which puts 3 at risk; its capture is kept for the DELETE's,
-- which replays it; then the SET NULL action's capture moves 3 to no
-- referrer, updating the history the replay wrote just before.
CREATE TABLE snest (
	id int PRIMARY KEY,
	since timestamptz NOT NULL,
	until timestamptz,
	referrer int REFERENCES snest (id) ON DELETE SET NULL,
	status churn.lifecycle NOT NULL,
	changed timestamptz
);
SELECT churn.track('snest', customer => 'id', since => 'since', until => 'until',
				   channel => 'referrer', state => 'status', changed_at => 'changed');
INSERT INTO snest VALUES (1, '2024-01-05', NULL, NULL, 'active', '2024-01-05'),
						 (2, '2024-01-05', NULL, NULL, 'active', '2024-01-05'),
						 (3, '2024-01-05', NULL, 2, 'active', '2024-01-05');
CREATE FUNCTION warn_referred() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE snest SET status = 'at_risk', changed = '2024-03-12' WHERE referrer = OLD.id;
	RETURN NULL;
END
$$;
CREATE TRIGGER "A_warn_referred" AFTER DELETE ON snest FOR EACH ROW
	EXECUTE FUNCTION warn_referred();
DELETE FROM snest WHERE id = 2;
SELECT id, referrer, status FROM snest ORDER BY id;
SELECT h.customer, e.seq, e.at::date, e.kind, e.from_channel, e.channel, e.from_state, e.to_state
  FROM churn.history h, unnest(h.entries) e
 WHERE h.relid = 'snest'::regclass ORDER BY h.customer::int, e.seq;
SELECT count(*) AS verify_diffs FROM churn.verify('snest');
SELECT churn.untrack('snest');
DROP TABLE snest;
DROP FUNCTION warn_referred();

-- 24. Rows inserted by an AFTER TRUNCATE trigger of a partition: the
-- TRUNCATE of a partition recomputes the partitioned table's summaries
-- from its rows, which hold them already, so they count once.  Truncating
-- pnest_us (customer 2) inserts customer 3 in us, in north since 1
-- February: north ends February with customers 1 and 3.  Truncating all of
-- pnest (every partition's capture recomputes after the parent's) then
-- inserts customer 4: north ends February with it alone.
CREATE FUNCTION prefill() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO pnest VALUES (TG_ARGV[0]::int, 'us', '2024-02-01', NULL, 'north', '2024-02-01');
	RETURN NULL;
END
$$;
CREATE TRIGGER a_prefill AFTER TRUNCATE ON pnest_us FOR EACH STATEMENT EXECUTE FUNCTION prefill(3);
TRUNCATE pnest_us;
SELECT id, region, branch FROM pnest ORDER BY id;
SELECT channel, at_start, new, at_end FROM churn.churn_summary
 WHERE relation = 'pnest'::regclass AND bucket_start = '2024-02-01' ORDER BY channel;
SELECT count(*) AS verify_diffs FROM churn.verify('pnest');
DROP TRIGGER a_prefill ON pnest_us;
CREATE TRIGGER a_prefill AFTER TRUNCATE ON pnest FOR EACH STATEMENT EXECUTE FUNCTION prefill(4);
TRUNCATE pnest;
SELECT id, region, branch FROM pnest ORDER BY id;
SELECT channel, at_start, new, at_end FROM churn.churn_summary
 WHERE relation = 'pnest'::regclass AND bucket_start = '2024-02-01' ORDER BY channel;
SELECT count(*) AS verify_diffs FROM churn.verify('pnest');
DROP TRIGGER a_prefill ON pnest;

-- 25. A capture trigger disabled by hand (churn.health reports the table as
-- capture_disabled): the UPDATE it misses leaves a note nobody pops.  The
-- next statement of the transaction must not leave its rows to that note
-- (they would never be captured, and the commit would fail): the INSERT of
-- customer 150 is captured, only the UPDATE is missing (verify shows it),
-- and churn.rebuild repairs it.
CREATE VIEW april_north_new AS
SELECT new FROM churn.churn_summary
 WHERE relation = 'nest'::regclass AND bucket_start = '2024-04-01' AND channel = 'north';
SELECT new AS new_before FROM april_north_new \gset
ALTER TABLE nest DISABLE TRIGGER churn_summary_update;
SELECT status FROM churn.health() WHERE relation = 'nest'::regclass;
BEGIN;
UPDATE nest SET branch = 'east', changed = '2024-04-20' WHERE id = 100;
INSERT INTO nest (id, since, branch, changed) VALUES (150, '2024-04-02', 'north', '2024-04-02');
COMMIT;
ALTER TABLE nest ENABLE TRIGGER churn_summary_update;
SELECT new - :new_before AS inserted_and_counted FROM april_north_new;
SELECT count(*) > 0 AS verify_sees_the_missed_update FROM churn.verify('nest');
SELECT churn.rebuild('nest');
SELECT * FROM checks;
-- the same inside one client statement (a DO block), and with the capture
-- trigger enabled for replica sessions only: customer 151 is counted
SELECT new AS new_before FROM april_north_new \gset
ALTER TABLE nest ENABLE REPLICA TRIGGER churn_summary_update;
SELECT status FROM churn.health() WHERE relation = 'nest'::regclass;
DO $$
BEGIN
	UPDATE nest SET branch = 'online', changed = '2024-04-21' WHERE id = 150;
	INSERT INTO nest (id, since, branch, changed) VALUES (151, '2024-04-03', 'north', '2024-04-03');
END
$$;
ALTER TABLE nest ENABLE TRIGGER churn_summary_update;
SELECT new - :new_before AS inserted_and_counted FROM april_north_new;
SELECT churn.rebuild('nest');
SELECT * FROM checks;

-- 26. The TRUNCATE of a partition run by a row trigger of a statement on
-- another partition, then an INSERT: both are left to the pending UPDATE,
-- whose capture replays them.  The TRUNCATE's recomputation reads the
-- table, which holds the INSERT's row already: the INSERT must be captured
-- before it, as when the TRUNCATE is captured directly (24), not counted
-- twice after it.  Customer 4 (us) moves to wipe on 10 March; customer 5
-- (eu) goes with the TRUNCATE; customer 6 arrives in us, in north since 1
-- February: north gains two new customers in February (4 and 6), not three.
INSERT INTO pnest VALUES (5, 'eu', '2024-01-05', NULL, 'north', '2024-01-05');
CREATE FUNCTION wipe_eu() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	TRUNCATE pnest_eu;
	INSERT INTO pnest VALUES (6, 'us', '2024-02-01', NULL, 'north', '2024-02-01');
	RETURN NULL;
END
$$;
CREATE TRIGGER wipe_eu AFTER UPDATE ON pnest_us FOR EACH ROW
	WHEN (NEW.branch = 'wipe') EXECUTE FUNCTION wipe_eu();
UPDATE pnest_us SET branch = 'wipe', changed = '2024-03-10' WHERE id = 4;
SELECT id, region, branch FROM pnest ORDER BY id;
SELECT channel, bucket_start::date, at_start, new, moved_in AS m_in, moved_out AS m_out, at_end
  FROM churn.churn_summary
 WHERE relation = 'pnest'::regclass AND bucket_start BETWEEN '2024-02-01' AND '2024-03-01'
 ORDER BY bucket_start, channel;
SELECT count(*) AS verify_diffs FROM churn.verify('pnest');
DROP TRIGGER wipe_eu ON pnest_us;

-- 27. An error of the capture in a kept statement comes from that
-- statement, where the trigger's exception block catches it: the nested
-- UPDATE ends customer 100 before its start, is rejected and rolled back,
-- and the outer move into phone stays (one entry).
CREATE FUNCTION bad_rule() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	BEGIN
		UPDATE nest SET until = since - interval '1 day', reason = 'bad' WHERE id = NEW.id;
	EXCEPTION WHEN invalid_parameter_value THEN
		RAISE NOTICE 'rule rejected: %', SQLERRM;
	END;
	RETURN NULL;
END
$$;
CREATE TRIGGER bad_rule AFTER UPDATE OF branch ON nest
	FOR EACH ROW WHEN (NEW.branch = 'phone') EXECUTE FUNCTION bad_rule();
SET client_min_messages = notice;
UPDATE nest SET branch = 'phone', changed = '2024-04-25' WHERE id = 100;
SET client_min_messages = warning;
SELECT id, branch, until FROM nest WHERE id = 100;
SELECT * FROM hist WHERE customer = '100' AND at >= '2024-04-25';
SELECT * FROM checks;
DROP TRIGGER bad_rule ON nest;
DROP FUNCTION bad_rule();

SELECT churn.untrack('nest');
SELECT churn.untrack('pnest');
DROP VIEW hist, march, checks, april_north_new;
DROP TABLE nest, pnest, redirect, closing, account, incoming;
DROP FUNCTION apply_rules(), apply_rules_then_fail(), retire_phone(), refill(),
	pnest_rules(), route_new(), veto(), settle(), win_back(), drop_gone(), prefill(), wipe_eu();
DROP PROCEDURE three_moves(int);
