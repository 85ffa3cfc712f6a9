--
-- lifecycle_transition: can_transition() and the enforce_lifecycle trigger.
--
-- Oracle: the allowed moves of issue 3, typed in by hand below; staying in
-- the same state is always allowed.
--
SET search_path = churn, public;
CREATE TEMP TABLE lc_moves (from_state text, to_state text);
INSERT INTO lc_moves VALUES
	('prospect', 'new'),
	('new', 'active'), ('new', 'at_risk'), ('new', 'churned'),
	('active', 'at_risk'), ('active', 'dormant'), ('active', 'churned'),
	('at_risk', 'active'), ('at_risk', 'dormant'), ('at_risk', 'churned'),
	('dormant', 'reactivated'), ('dormant', 'churned'),
	('churned', 'reactivated'),
	('reactivated', 'active'), ('reactivated', 'at_risk'), ('reactivated', 'dormant'), ('reactivated', 'churned');
CREATE TEMP TABLE lc_states (s text);
INSERT INTO lc_states VALUES ('prospect'), ('new'), ('active'), ('at_risk'), ('dormant'), ('churned'), ('reactivated');

-- All 49 pairs agree with the hand table (17 moves + 7 stays = 24 allowed).
SELECT count(*) AS pairs,
       count(*) FILTER (WHERE can_transition(a.s::lifecycle, b.s::lifecycle)) AS allowed,
       count(*) FILTER (WHERE can_transition(a.s::lifecycle, b.s::lifecycle)
                              = (a.s = b.s OR (a.s, b.s) IN (SELECT from_state, to_state FROM lc_moves))) AS agree
  FROM lc_states a, lc_states b;

-- The table, one row per state: where it may go (besides staying).
SELECT f AS from_state,
       string_agg(t::text, ', ' ORDER BY t) FILTER (WHERE f <> t AND can_transition(f, t)) AS may_move_to
  FROM (SELECT a.s::lifecycle AS f, b.s::lifecycle AS t FROM lc_states a, lc_states b) p
 GROUP BY f ORDER BY f;

-- Chinese labels work as arguments; NULL gives NULL.
SELECT can_transition('休眠客户', '挽回客户') AS dormant_reactivated,
       can_transition('流失客户', '活跃客户') AS churned_active,
       can_transition(NULL, 'new') IS NULL AS null_from;

-- The trigger.
CREATE TABLE lc_customer (
	id int PRIMARY KEY,
	name text NOT NULL,
	state lifecycle NOT NULL
);
CREATE TRIGGER lc_customer_lifecycle BEFORE UPDATE ON lc_customer
	FOR EACH ROW EXECUTE FUNCTION enforce_lifecycle('state');
INSERT INTO lc_customer VALUES (1, 'Ann', 'prospect'), (2, 'Bo', 'active'), (3, 'Cy', 'dormant');

-- allowed moves, one at a time and several in one statement
UPDATE lc_customer SET state = 'new' WHERE id = 1;
UPDATE lc_customer SET state = 'active' WHERE id = 1;
UPDATE lc_customer SET state = CASE id WHEN 2 THEN 'at_risk'::lifecycle ELSE 'reactivated' END WHERE id IN (2, 3);
-- staying put, or changing other columns only, is always fine
UPDATE lc_customer SET state = state, name = upper(name);
SELECT * FROM lc_customer ORDER BY id;

-- A move the table does not allow: 23514 naming the row by its primary key,
-- both states, and a hint with the allowed next states.
UPDATE lc_customer SET state = 'prospect' WHERE id = 1;
UPDATE lc_customer SET state = 'new' WHERE id = 3;
-- one bad row (3: reactivated -> new) fails the whole statement, and the
-- allowed moves of rows 1 and 2 to churned are undone with it
UPDATE lc_customer SET state = CASE id WHEN 3 THEN 'new'::lifecycle ELSE 'churned' END;
SELECT * FROM lc_customer ORDER BY id;
UPDATE lc_customer SET state = 'churned';
UPDATE lc_customer SET state = 'dormant' WHERE id = 1;
-- through the Chinese labels
UPDATE lc_customer SET state = '流失客户' WHERE id = 2;
UPDATE lc_customer SET state = '新客户' WHERE id = 2;
SELECT * FROM lc_customer ORDER BY id;

-- The error's fields, as a client sees them.
DO $$
DECLARE
	st text; msg text; hint text; sch text; tbl text; col text;
BEGIN
	UPDATE lc_customer SET state = 'prospect' WHERE id = 2;
EXCEPTION WHEN check_violation THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT,
		sch = SCHEMA_NAME, tbl = TABLE_NAME, col = COLUMN_NAME;
	RAISE NOTICE 'sqlstate %, schema %, table %, column %', st, sch, tbl, col;
	RAISE NOTICE 'message: %', msg;
	RAISE NOTICE 'hint: %', hint;
END
$$;

-- The hint for every state lists what can_transition allows.
DO $$
DECLARE
	s text;
	h text;
BEGIN
	FOR s IN SELECT x FROM unnest(ARRAY['prospect', 'new', 'active', 'at_risk', 'dormant', 'churned', 'reactivated']) x LOOP
		DELETE FROM lc_customer WHERE id = 9;
		INSERT INTO lc_customer VALUES (9, 'Probe', s::churn.lifecycle);
		BEGIN
			-- every state can be left for some state it may not reach
			UPDATE lc_customer SET state = CASE WHEN s = 'prospect' THEN 'active' ELSE 'prospect' END::churn.lifecycle WHERE id = 9;
			RAISE NOTICE '% : no error', s;
		EXCEPTION WHEN check_violation THEN
			GET STACKED DIAGNOSTICS h = PG_EXCEPTION_HINT;
			RAISE NOTICE '% : %', s, h;
		END;
	END LOOP;
	DELETE FROM lc_customer WHERE id = 9;
END
$$;

-- Composite primary key.
CREATE TABLE lc_account (org int, acct text, state lifecycle, PRIMARY KEY (org, acct));
CREATE TRIGGER lc_account_lifecycle BEFORE UPDATE OF state ON lc_account
	FOR EACH ROW EXECUTE FUNCTION enforce_lifecycle('state');
INSERT INTO lc_account VALUES (7, 'a-1', 'churned');
UPDATE lc_account SET state = 'active';

-- NULL is not checked (use NOT NULL to forbid it): to and from NULL pass.
UPDATE lc_account SET state = NULL;
UPDATE lc_account SET state = 'prospect';
SELECT * FROM lc_account;

-- No primary key: the row is named by its ctid.
CREATE TABLE lc_nokey (state lifecycle);
CREATE TRIGGER lc_nokey_lifecycle BEFORE UPDATE ON lc_nokey
	FOR EACH ROW EXECUTE FUNCTION enforce_lifecycle('state');
INSERT INTO lc_nokey VALUES ('new'), ('churned');
UPDATE lc_nokey SET state = 'dormant' WHERE state = 'churned';

-- A user who may update but not read the key sees the ctid, not the key.
CREATE TABLE lc_secret (id int PRIMARY KEY, state lifecycle);
CREATE TRIGGER lc_secret_lifecycle BEFORE UPDATE ON lc_secret
	FOR EACH ROW EXECUTE FUNCTION enforce_lifecycle('state');
INSERT INTO lc_secret VALUES (41, 'churned');
CREATE ROLE regress_churn_lc_clerk;
GRANT USAGE ON SCHEMA churn TO regress_churn_lc_clerk;
GRANT UPDATE (state) ON lc_secret TO regress_churn_lc_clerk;
SET ROLE regress_churn_lc_clerk;
UPDATE lc_secret SET state = 'prospect';
RESET ROLE;
-- with SELECT on the key column, the key is shown
GRANT SELECT (id) ON lc_secret TO regress_churn_lc_clerk;
SET ROLE regress_churn_lc_clerk;
UPDATE lc_secret SET state = 'prospect';
RESET ROLE;
REVOKE ALL ON lc_secret FROM regress_churn_lc_clerk;
REVOKE ALL ON SCHEMA churn FROM regress_churn_lc_clerk;
DROP ROLE regress_churn_lc_clerk;

-- A domain over lifecycle is accepted; so is a partitioned table.
CREATE DOMAIN lc_state_d AS lifecycle CHECK (VALUE <> 'prospect');
CREATE TABLE lc_part (id int, state lc_state_d) PARTITION BY RANGE (id);
CREATE TABLE lc_part_low PARTITION OF lc_part FOR VALUES FROM (0) TO (100);
CREATE TRIGGER lc_part_lifecycle BEFORE UPDATE ON lc_part
	FOR EACH ROW EXECUTE FUNCTION enforce_lifecycle('state');
INSERT INTO lc_part VALUES (1, 'churned');
UPDATE lc_part SET state = 'reactivated';
UPDATE lc_part SET state = 'new';
SELECT * FROM lc_part;

-- Partitions whose lifecycle column sits at different positions (one has a
-- dropped column before it): each is resolved on its own.
CREATE TABLE lc_part2 (id int, state lifecycle) PARTITION BY RANGE (id);
CREATE TABLE lc_part2_a (junk int, id int, state lifecycle);
ALTER TABLE lc_part2_a DROP COLUMN junk;
ALTER TABLE lc_part2 ATTACH PARTITION lc_part2_a FOR VALUES FROM (0) TO (10);
CREATE TABLE lc_part2_b PARTITION OF lc_part2 FOR VALUES FROM (10) TO (20);
SELECT attrelid::regclass AS partition, attnum FROM pg_attribute
 WHERE attrelid IN ('lc_part2_a'::regclass, 'lc_part2_b'::regclass) AND attname = 'state'
 ORDER BY 1;
CREATE TRIGGER lc_part2_lifecycle BEFORE UPDATE ON lc_part2
	FOR EACH ROW EXECUTE FUNCTION enforce_lifecycle('state');
INSERT INTO lc_part2 VALUES (1, 'active'), (2, 'dormant'), (11, 'active'), (12, 'dormant');
UPDATE lc_part2 SET state = 'churned';
UPDATE lc_part2 SET state = 'reactivated' WHERE id IN (1, 11);
-- partition a: 2 churned -> reactivated (allowed); b: 11 reactivated -> new
-- (not allowed, the statement fails), 12 churned -> reactivated
UPDATE lc_part2 SET state = CASE id WHEN 11 THEN 'new'::lifecycle ELSE 'reactivated' END WHERE id IN (2, 11, 12);
UPDATE lc_part2 SET state = CASE id WHEN 2 THEN 'reactivated'::lifecycle ELSE 'active' END WHERE id IN (2, 11);
SELECT tableoid::regclass AS partition, id, state FROM lc_part2 ORDER BY id;

-- Misuse: 39P01 for the trigger protocol, 42703 unknown column, 42804 wrong
-- type.  Each trigger below is created fine and fails when it fires.
SELECT enforce_lifecycle();
CREATE TABLE lc_misuse (id int, state lifecycle, note text, "State" lifecycle);
INSERT INTO lc_misuse VALUES (1, 'new', 'x', 'new');
CREATE TRIGGER t_after AFTER UPDATE ON lc_misuse
	FOR EACH ROW EXECUTE FUNCTION enforce_lifecycle('state');
UPDATE lc_misuse SET note = 'y';
DROP TRIGGER t_after ON lc_misuse;
CREATE TRIGGER t_insert BEFORE INSERT ON lc_misuse
	FOR EACH ROW EXECUTE FUNCTION enforce_lifecycle('state');
INSERT INTO lc_misuse VALUES (2, 'new', 'x', 'new');
DROP TRIGGER t_insert ON lc_misuse;
CREATE TRIGGER t_delete BEFORE DELETE ON lc_misuse
	FOR EACH ROW EXECUTE FUNCTION enforce_lifecycle('state');
DELETE FROM lc_misuse;
DROP TRIGGER t_delete ON lc_misuse;
CREATE TRIGGER t_stmt BEFORE UPDATE ON lc_misuse
	FOR EACH STATEMENT EXECUTE FUNCTION enforce_lifecycle('state');
UPDATE lc_misuse SET note = 'y';
DROP TRIGGER t_stmt ON lc_misuse;
CREATE TRIGGER t_noarg BEFORE UPDATE ON lc_misuse
	FOR EACH ROW EXECUTE FUNCTION enforce_lifecycle();
UPDATE lc_misuse SET note = 'y';
DROP TRIGGER t_noarg ON lc_misuse;
CREATE TRIGGER t_twoargs BEFORE UPDATE ON lc_misuse
	FOR EACH ROW EXECUTE FUNCTION enforce_lifecycle('state', 'note');
UPDATE lc_misuse SET note = 'y';
DROP TRIGGER t_twoargs ON lc_misuse;
CREATE TRIGGER t_nocol BEFORE UPDATE ON lc_misuse
	FOR EACH ROW EXECUTE FUNCTION enforce_lifecycle('status');
UPDATE lc_misuse SET note = 'y';
DROP TRIGGER t_nocol ON lc_misuse;
CREATE TRIGGER t_text BEFORE UPDATE ON lc_misuse
	FOR EACH ROW EXECUTE FUNCTION enforce_lifecycle('note');
UPDATE lc_misuse SET note = 'y';
DROP TRIGGER t_text ON lc_misuse;
CREATE TRIGGER t_sys BEFORE UPDATE ON lc_misuse
	FOR EACH ROW EXECUTE FUNCTION enforce_lifecycle('ctid');
UPDATE lc_misuse SET note = 'y';
DROP TRIGGER t_sys ON lc_misuse;
-- the argument is the column name exactly: "State" is another column
CREATE TRIGGER t_case BEFORE UPDATE ON lc_misuse
	FOR EACH ROW EXECUTE FUNCTION enforce_lifecycle('State');
UPDATE lc_misuse SET state = 'prospect';
UPDATE lc_misuse SET "State" = 'prospect';
DROP TRIGGER t_case ON lc_misuse;
-- only the unchecked column "state" changed
SELECT * FROM lc_misuse;

DROP TABLE lc_customer, lc_account, lc_nokey, lc_secret, lc_part, lc_part2, lc_misuse;
DROP DOMAIN lc_state_d;
