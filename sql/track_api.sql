--
-- track_api: churn.track and the administration functions: every argument
-- check with its SQLSTATE, the configuration row, untrack, suspend/resume,
-- status, and the privileges of readers and writers.
--
SET TimeZone = 'UTC';
SET client_min_messages = warning;
\set SHOW_CONTEXT never

CREATE TYPE tier AS ENUM ('bronze', 'silver', 'gold');
CREATE TABLE acct (
	id bigint PRIMARY KEY,
	opened date NOT NULL,
	closed date,
	opened_ts timestamptz,
	branch text,
	tier tier,
	region text,
	status churn.lifecycle,
	status_text text,
	why text,
	changed timestamptz,
	last_seen timestamptz,
	amount int,
	code text
);
CREATE TABLE no_key (id int, since date, until date);
CREATE VIEW acct_view AS SELECT * FROM acct;

-- Errors: the SQLSTATE is the contract.
\set VERBOSITY sqlstate
SELECT churn.track('missing_table', customer => 'id', since => 'opened', until => 'closed');      -- 42P01
SELECT churn.track('acct_view', customer => 'id', since => 'opened', until => 'closed');          -- 42809
SELECT churn.track(NULL, customer => 'id', since => 'opened', until => 'closed');                 -- 22004
SELECT churn.track('acct', customer => 'nope', since => 'opened', until => 'closed');             -- 42703
SELECT churn.track('acct', customer => 'id', since => 'nope', until => 'closed');                 -- 42703
SELECT churn.track('acct', customer => 'id', since => 'opened', until => 'nope');                 -- 42703
SELECT churn.track('acct', customer => 'id', since => 'opened', until => 'closed', channel => 'nope');        -- 42703
SELECT churn.track('acct', customer => 'id', since => 'opened', until => 'closed', segments => ARRAY['nope']); -- 42703
SELECT churn.track('acct', customer => 'id', since => 'opened', until => 'closed', reason => 'nope');         -- 42703
SELECT churn.track('acct', customer => 'id', since => 'opened', until => 'closed', changed_at => 'nope');     -- 42703
SELECT churn.track('acct', customer => 'id', since => 'opened', until => 'closed', state => 'nope');          -- 42703
SELECT churn.track('acct', customer => 'id', since => 'opened', until => 'closed', activity => 'nope');       -- 42703
SELECT churn.track('acct', customer => 'id', since => 'amount', until => 'closed');               -- 42804
SELECT churn.track('acct', customer => 'id', since => 'opened_ts', until => 'closed');            -- 42804 (different types)
SELECT churn.track('acct', customer => 'id', since => 'opened', until => 'closed', state => 'status_text');   -- 42804
SELECT churn.track('acct', customer => 'id', since => 'opened', until => 'closed', changed_at => 'why');      -- 42804
SELECT churn.track('acct', customer => 'id', since => 'opened', until => 'closed', activity => 'amount');     -- 42804
SELECT churn.track('no_key', customer => 'id', since => 'since', until => 'until');              -- 55000
SELECT churn.track('acct', customer => 'id', since => 'opened', until => 'closed', segments => ARRAY['region', 'region']); -- 22023
SELECT churn.track('acct', customer => 'id', since => 'opened', until => 'closed', segments => ARRAY['region', NULL]);     -- 22004
SELECT churn.track('acct', customer => 'id', since => 'opened', until => 'closed', bucket => '1 month 1 day');  -- 22023
SELECT churn.track('acct', customer => 'id', since => 'opened', until => 'closed', bucket => '-1 day');         -- 22023
SELECT churn.track('acct', customer => 'id', since => 'opened', until => 'closed', bucket => '0');              -- 22023
SELECT churn.track('acct', customer => 'id', since => 'opened', until => 'closed', time_zone => 'Mars/Olympus'); -- 22023
SELECT churn.track('acct', customer => 'id', since => 'opened', until => 'closed', state => 'status',
				   activity => 'last_seen', at_risk_after => '30 days');                          -- 22023 (not all three)
SELECT churn.track('acct', customer => 'id', since => 'opened', until => 'closed', state => 'status',
				   at_risk_after => '30 days', dormant_after => '90 days', churned_after => '180 days');  -- 22023 (no activity)
SELECT churn.track('acct', customer => 'id', since => 'opened', until => 'closed', state => 'status', activity => 'last_seen',
				   at_risk_after => '90 days', dormant_after => '30 days', churned_after => '180 days');  -- 22023 (not increasing)
SELECT churn.untrack('acct');       -- 55000
SELECT churn.rebuild('acct');       -- 55000
SELECT churn.verify('acct');        -- 55000
SELECT churn.suspend('acct');       -- 55000
SELECT churn.resume('acct');        -- 55000
SELECT churn.refresh('acct');       -- 55000

-- The messages and hints, for a few of them.
\set VERBOSITY default
SELECT churn.track('acct', customer => 'id', since => 'opened', until => 'nope');
SELECT churn.track('acct', customer => 'id', since => 'amount', until => 'closed');
SELECT churn.track('no_key', customer => 'id', since => 'since', until => 'until');
SELECT churn.track('acct', customer => 'id', since => 'opened', until => 'closed', bucket => '1 month 1 day');
SELECT churn.track('acct', customer => 'id', since => 'opened', until => 'closed', state => 'status', activity => 'last_seen',
				   at_risk_after => '90 days', dormant_after => '30 days', churned_after => '180 days');

-- A time zone churn does not know: named, with a suggestion and the forms
-- it takes, and without timezone()'s query in the context.
\set SHOW_CONTEXT always
SELECT churn.track('acct', customer => 'id', since => 'opened', until => 'closed', time_zone => 'Europe/Berln');
SELECT churn.track('acct', customer => 'id', since => 'opened', until => 'closed', time_zone => 'Mars/Olympus');
\set SHOW_CONTEXT never
-- A row churn refuses, met by the back-fill: the error names the customer
-- and its values; its context is track's own line, not the back-fill's
-- query (which it used to print, some 3 kB of it).
CREATE TABLE bad_rows (id int PRIMARY KEY, since date, until date);
INSERT INTO bad_rows VALUES (1, '2024-01-01', NULL), (41, '2024-04-01', '2024-03-01');
\set SHOW_CONTEXT always
SELECT churn.track('bad_rows', customer => 'id', since => 'since', until => 'until', time_zone => 'UTC');
\set SHOW_CONTEXT never
DROP TABLE bad_rows;
-- segments is an array of column names: a single name is written as one
-- (ARRAY['tier'] or '{tier}'); a bare string is PostgreSQL's array input
-- error, raised before churn.track runs (an overload taking text would
-- make every call without segments ambiguous)
SELECT churn.track('acct', customer => 'id', since => 'opened', until => 'closed', segments => 'tier');
-- A temporary or unlogged table: the end of its session or a crash would
-- take its rows without churn hearing of it, and the summaries would go on
-- counting them (a temporary table tracked by 1.0 left its settings and
-- summaries behind for good).
CREATE TEMP TABLE acct_temp (id int PRIMARY KEY, since date NOT NULL, until date);
SELECT churn.track('acct_temp', customer => 'id', since => 'since', until => 'until');
DROP TABLE acct_temp;
CREATE UNLOGGED TABLE acct_unlogged (id int PRIMARY KEY, since date NOT NULL, until date);
SELECT churn.track('acct_unlogged', customer => 'id', since => 'since', until => 'until');
DROP TABLE acct_unlogged;
-- A partition: a statement on its partitioned table writes its rows without
-- firing its statement triggers, so those writes went uncounted (verify
-- found them missing).  track refuses one, and attaching a tracked table
-- as a partition fails; the partitioned table is what to track.
CREATE TABLE acct_parts (id int, since date NOT NULL, until date, PRIMARY KEY (id, since))
	PARTITION BY RANGE (since);
CREATE TABLE acct_2024 PARTITION OF acct_parts FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
SELECT churn.track('acct_2024', customer => 'id', since => 'since', until => 'until');
CREATE TABLE acct_2025 (id int NOT NULL UNIQUE, since date NOT NULL, until date);
INSERT INTO acct_2025 VALUES (1, '2025-03-01', NULL), (2, '2025-04-01', '2025-06-01');
SELECT customers FROM churn.track('acct_2025', customer => 'id', since => 'since', until => 'until');
ALTER TABLE acct_parts ATTACH PARTITION acct_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
SELECT relispartition FROM pg_class WHERE oid = 'acct_2025'::regclass;
SELECT relation FROM churn.untrack('acct_2025');
ALTER TABLE acct_parts ATTACH PARTITION acct_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
SELECT customers FROM churn.track('acct_parts', customer => 'id', since => 'since', until => 'until');
INSERT INTO acct_parts VALUES (3, '2025-05-01', NULL);
SELECT count(*) AS verify_diffs FROM churn.verify('acct_parts');
SELECT relation FROM churn.untrack('acct_parts');
DROP TABLE acct_parts;
-- Table inheritance likewise: a statement on the parent changes the rows of
-- its children without firing their statement triggers (a tracked child
-- missed them), and an UPDATE of a tracked parent changed its children's
-- rows, which the capture counted and verify, reading the parent alone,
-- did not.  Neither is tracked, nor made by a later CREATE or ALTER TABLE.
CREATE TABLE acct_base (id int, since date NOT NULL, until date);
CREATE TABLE acct_child (id int PRIMARY KEY) INHERITS (acct_base);
SELECT churn.track('acct_child', customer => 'id', since => 'since', until => 'until');
CREATE TABLE acct_own (id int PRIMARY KEY, since date NOT NULL, until date);
ALTER TABLE acct_child NO INHERIT acct_base;
ALTER TABLE acct_own INHERIT acct_child;
SELECT churn.track('acct_child', customer => 'id', since => 'since', until => 'until');
ALTER TABLE acct_own NO INHERIT acct_child;
SELECT customers FROM churn.track('acct_child', customer => 'id', since => 'since', until => 'until');
CREATE TABLE acct_grandchild () INHERITS (acct_child);
ALTER TABLE acct_own INHERIT acct_child;
ALTER TABLE acct_child INHERIT acct_base;
SELECT count(*) AS inheritance_links FROM pg_inherits
 WHERE 'acct_child'::regclass IN (inhrelid, inhparent);
SELECT relation FROM churn.untrack('acct_child');
DROP TABLE acct_base, acct_child, acct_own;

-- Nothing was left behind by the failed calls.
SELECT count(*) AS tracked FROM churn.tracked_table;
SELECT count(*) AS triggers FROM pg_trigger WHERE tgrelid = 'acct'::regclass;

-- A full track call; the configuration is stored as given.
INSERT INTO acct (id, opened, closed, branch, tier, region, status, why, changed, last_seen) VALUES
	(1, '2024-01-15', NULL, 'a', 'gold', 'x', 'active', NULL, '2024-01-15', '2024-03-01'),
	(2, '2024-02-01', '2024-03-10', 'b', 'silver', 'y', 'churned', 'price', '2024-03-10', '2024-03-10');
SELECT churn.track('public.acct', customer => 'id', since => 'opened', until => 'closed',
				   channel => 'branch', segments => ARRAY['tier', 'region'], state => 'status',
				   reason => 'why', changed_at => 'changed', bucket => '1 month', activity => 'last_seen',
				   at_risk_after => '30 days', dormant_after => '90 days', churned_after => '180 days',
				   time_zone => 'Asia/Shanghai');
SELECT relid, customer_column, since_column, until_column, channel_column, segment_columns,
	   state_column, reason_column, changed_at_column, activity_column, bucket, time_zone,
	   at_risk_after, dormant_after, churned_after, suspended, last_refresh IS NOT NULL AS refreshed
  FROM churn.tracked_table;
SELECT tgname, tgtype, tgenabled, tgoldtable, tgnewtable
  FROM pg_trigger WHERE tgrelid = 'acct'::regclass ORDER BY tgname;

\set VERBOSITY sqlstate
SELECT churn.track('acct', customer => 'id', since => 'opened', until => 'closed');   -- 42710
\set VERBOSITY default
SELECT churn.track('acct', customer => 'id', since => 'opened', until => 'closed');

-- churn's messages name a table as regclass does, but without identifier
-- quotes inside their own (as PostgreSQL's messages name a relation):
-- "public.Acct Book", not "public."Acct Book"".
CREATE TABLE "Acct Book" (id int PRIMARY KEY, since date NOT NULL, until date, "Plan" text);
SELECT churn.track('"Acct Book"', customer => 'id', since => 'since', until => 'nope');
SELECT customers FROM churn.track('"Acct Book"', customer => 'id', since => 'since', until => 'until',
								  segments => '{Plan}');
SELECT churn.track('"Acct Book"', customer => 'id', since => 'since', until => 'until');
SELECT suspended FROM churn.suspend('"Acct Book"');
SELECT churn.suspend('"Acct Book"');
ALTER TABLE "Acct Book" RENAME COLUMN "Plan" TO "Tier";
SELECT churn.resume('"Acct Book"');
ALTER TABLE "Acct Book" RENAME COLUMN "Tier" TO "Plan";
SELECT customers FROM churn.resume('"Acct Book"');
SELECT relation FROM churn.untrack('"Acct Book"');
DROP TABLE "Acct Book";
-- Back-filled: the enum segment is captured as its label.
SELECT to_char(bucket_start AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') AS local_start,
	   channel, segment, at_start, new, lost, at_end
  FROM churn.churn_summary WHERE relation = 'acct'::regclass AND bucket_start < '2024-05-01'
 ORDER BY channel, bucket_start;

-- status
SELECT relation, suspended, bucket, time_zone, pending_deltas, oldest_pending IS NULL AS none_pending,
	   last_refresh IS NOT NULL AS refreshed, summary_rows > 0 AS has_rows, history_rows
  FROM churn.status;
INSERT INTO acct (id, opened, branch, tier, region, status, changed) VALUES (3, '2024-04-02', 'a', 'gold', 'x', 'new', '2024-04-02');
SELECT relation, pending_deltas > 0 AS pending, oldest_pending IS NOT NULL AS has_oldest FROM churn.status;
SELECT churn.refresh('acct') > 0 AS folded;
SELECT relation, pending_deltas FROM churn.status;

-- suspend: writes are not captured; resume rebuilds.
SELECT churn.suspend('acct');
\set VERBOSITY sqlstate
SELECT churn.suspend('acct');   -- 55000
\set VERBOSITY default
SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'acct'::regclass ORDER BY tgname;
INSERT INTO acct (id, opened, branch, tier, region, status, changed)
SELECT i, date '2024-01-01' + i, 'c', 'bronze', 'z', 'new', '2024-04-02' FROM generate_series(10, 109) i;
SELECT relation, suspended, pending_deltas FROM churn.status;
SELECT count(*) > 0 AS verify_sees_the_gap FROM churn.verify('acct');
SELECT churn.resume('acct');
\set VERBOSITY sqlstate
SELECT churn.resume('acct');    -- 55000
\set VERBOSITY default
SELECT relation, suspended FROM churn.status;
SELECT count(*) AS verify_diffs FROM churn.verify('acct');
SELECT sum(new) AS new_c FROM churn.churn_summary WHERE relation = 'acct'::regclass AND channel = 'c';

-- What verify reports: a count slipped into the pending deltas by hand
-- (new customer in channel a, March 2024 in Shanghai) and a lost one.
BEGIN;
INSERT INTO churn.summary_delta (relid, bucket, kind, channel, segment, detail, n)
VALUES ('acct', '2024-03-01', 'n', 'a', '{"tier": "gold", "region": "x"}', NULL, 1),
	   ('acct', '2024-01-01', 'n', 'a', '{"tier": "gold", "region": "x"}', NULL, -1);
SELECT * FROM churn.verify('acct');
ROLLBACK;
SELECT count(*) AS verify_diffs FROM churn.verify('acct');

-- Privileges.  A writer with rights on the table only: its writes are
-- captured although it has no privilege on churn's tables.
CREATE ROLE regress_churn_writer;
CREATE ROLE regress_churn_reader;
GRANT SELECT, INSERT, UPDATE, DELETE ON acct TO regress_churn_writer;
GRANT USAGE ON SCHEMA churn TO regress_churn_reader;
GRANT SELECT ON churn.churn_summary, churn.churn_reasons, churn.diversion_summary,
	churn.lifecycle_summary, churn.lifecycle_transitions, churn.status TO regress_churn_reader;
SET ROLE regress_churn_writer;
INSERT INTO acct (id, opened, branch, tier, region, status, changed) VALUES (200, '2024-04-20', 'd', 'gold', 'x', 'new', '2024-04-20');
UPDATE acct SET branch = 'a', changed = '2024-04-25' WHERE id = 200;
UPDATE acct SET closed = '2024-04-28', why = 'service', changed = '2024-04-28' WHERE id = 1;
\set VERBOSITY sqlstate
SELECT * FROM churn.summary_delta;                       -- 42501
SELECT churn.refresh();                                  -- 42501
\set VERBOSITY default
RESET ROLE;
SELECT count(*) AS verify_diffs FROM churn.verify('acct');
SELECT to_char(bucket_start AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') AS month, from_channel, to_channel, moved
  FROM churn.diversion_summary WHERE relation = 'acct'::regclass;

-- A reader with SELECT on the views reads them and can change nothing.
SET ROLE regress_churn_reader;
SELECT count(*) > 0 AS reads_summary FROM churn.churn_summary WHERE relation = 'acct'::regclass;
SELECT count(*) > 0 AS reads_reasons FROM churn.churn_reasons;
SELECT count(*) AS reads_diversion FROM churn.diversion_summary;
SELECT count(*) > 0 AS reads_lifecycle FROM churn.lifecycle_summary;
SELECT count(*) AS reads_status FROM churn.status;
\set VERBOSITY sqlstate
SELECT churn.refresh();                                   -- 42501
SELECT churn.rebuild('acct');                             -- 42501
SELECT churn.untrack('acct');                             -- 42501
SELECT churn.suspend('acct');                             -- 42501
SELECT churn.verify('acct');                              -- 42501
SELECT churn.track('acct', customer => 'id', since => 'opened', until => 'closed');  -- 42501
INSERT INTO churn.summary_delta VALUES ('acct', now(), 'n', 'a', '{}', NULL, 1000);  -- 42501
INSERT INTO churn.summary VALUES ('acct', now(), 'n', 'a', '{}', NULL, 1000);        -- 42501
UPDATE churn.tracked_table SET bucket = '1 day';                                     -- 42501
DELETE FROM churn.history;                                                           -- 42501
UPDATE acct SET branch = 'z';                                                        -- 42501
DELETE FROM churn.churn_summary;                                                     -- 55000 (not updatable)
\set VERBOSITY default
RESET ROLE;
SELECT count(*) AS verify_diffs FROM churn.verify('acct');

-- untrack removes the triggers, the summaries, the history, the configuration.
SELECT churn.untrack('acct');
SELECT (SELECT count(*) FROM churn.tracked_table) AS tracked,
	   (SELECT count(*) FROM churn.summary) + (SELECT count(*) FROM churn.summary_delta) AS summary_rows,
	   (SELECT count(*) FROM churn.history) AS history_rows,
	   (SELECT count(*) FROM pg_trigger WHERE tgrelid = 'acct'::regclass) AS triggers;

-- Every function of the API sets search_path; the summary tables are dumped.
SELECT p.proname, p.proconfig
  FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'churn'
 WHERE p.proname IN ('track', 'untrack', 'refresh', 'rebuild', 'verify', 'suspend', 'resume')
 ORDER BY 1;
SELECT unnest(extconfig)::regclass AS dumped FROM pg_extension WHERE extname = 'churn' ORDER BY 1;

-- A tracked column dropped or renamed: writes fail (42703) rather than
-- count wrong, until the column is renamed back or churn.retrack names the
-- columns as they are.  After retrack the summaries are those of the rows
-- (verify); the history stays after a rename (of a segment column, of the
-- channel column), and the moves go when another column becomes the
-- channel.
CREATE TABLE alt (id int PRIMARY KEY, since date, until date, plan text, branch text);
SELECT churn.track('alt', customer => 'id', since => 'since', until => 'until', segments => ARRAY['plan'],
                   channel => 'branch');
INSERT INTO alt VALUES (1, '2024-01-01', NULL, 'basic', 'north');
ALTER TABLE alt RENAME COLUMN plan TO tier;
INSERT INTO alt VALUES (2, '2024-01-01', NULL, 'basic', 'north');
UPDATE alt SET until = '2024-02-01' WHERE id = 1;
ALTER TABLE alt RENAME COLUMN tier TO plan;
UPDATE alt SET until = '2024-02-01' WHERE id = 1;
SELECT count(*) AS verify_diffs FROM churn.verify('alt');
ALTER TABLE alt RENAME COLUMN plan TO tier;
SELECT * FROM churn.retrack('alt', customer => 'id', since => 'since', until => 'until',
                            segments => ARRAY['tier'], channel => 'branch');
INSERT INTO alt VALUES (2, '2024-01-01', NULL, 'basic', 'north');
UPDATE alt SET branch = 'south' WHERE id = 2;
SELECT count(*) AS verify_diffs FROM churn.verify('alt');
SELECT cardinality(entries) AS moves_kept FROM churn.history WHERE relid = 'alt'::regclass;
ALTER TABLE alt RENAME COLUMN branch TO store;
SELECT * FROM churn.retrack('alt', customer => 'id', since => 'since', until => 'until',
                            segments => ARRAY['tier'], channel => 'store');
SELECT count(*) AS moves_kept FROM churn.history WHERE relid = 'alt'::regclass;
UPDATE alt SET store = 'east' WHERE id = 2;
SELECT count(*) AS verify_diffs FROM churn.verify('alt');
ALTER TABLE alt ADD COLUMN outlet text;
UPDATE alt SET outlet = store;
SELECT * FROM churn.retrack('alt', customer => 'id', since => 'since', until => 'until',
                            segments => ARRAY['tier'], channel => 'outlet');
SELECT count(*) AS moves_kept FROM churn.history WHERE relid = 'alt'::regclass;
SELECT count(*) AS verify_diffs FROM churn.verify('alt');
ALTER TABLE alt DROP COLUMN tier;
\set VERBOSITY sqlstate
DELETE FROM alt;                    -- 42703
\set VERBOSITY default
SELECT churn.untrack('alt');
DROP TABLE alt;

-- A tracked time column retyped: to another time type with its partner, the
-- capture follows (verify compares with the rows); to a type track refuses,
-- or since and until to different types, writes fail with track's 42804
-- rather than read the values as the old type (an INSERT counted a customer
-- of 2024 in 2002 when since and until had become text).
CREATE TABLE retyped (id int PRIMARY KEY, since timestamptz, until timestamptz, changed timestamptz);
SELECT churn.track('retyped', customer => 'id', since => 'since', until => 'until', changed_at => 'changed');
INSERT INTO retyped VALUES (1, '2024-01-05', NULL, NULL), (2, '2024-02-05', '2024-05-01', NULL);
ALTER TABLE retyped ALTER COLUMN until TYPE date;
INSERT INTO retyped VALUES (3, '2024-03-05', NULL, NULL);
ALTER TABLE retyped ALTER COLUMN since TYPE date;
INSERT INTO retyped VALUES (3, '2024-03-05', NULL, NULL);
UPDATE retyped SET until = '2024-06-01' WHERE id = 1;
SELECT count(*) AS verify_diffs FROM churn.verify('retyped');
ALTER TABLE retyped ALTER COLUMN since TYPE text, ALTER COLUMN until TYPE text;
\set SHOW_CONTEXT always
INSERT INTO retyped VALUES (4, '2024-03-05', NULL, NULL);   -- track's message, no check query as context
\set SHOW_CONTEXT never
ALTER TABLE retyped ALTER COLUMN since TYPE timestamp USING since::timestamp,
                    ALTER COLUMN until TYPE timestamp USING until::timestamp,
                    ALTER COLUMN changed TYPE text;
DELETE FROM retyped WHERE id = 2;
ALTER TABLE retyped ALTER COLUMN changed TYPE timestamp USING changed::timestamp;
DELETE FROM retyped WHERE id = 2;
SELECT count(*) AS verify_diffs FROM churn.verify('retyped');
SELECT sum(new) AS new, sum(lost) AS lost FROM churn.churn_summary WHERE relation = 'retyped'::regclass;
SELECT churn.untrack('retyped');
DROP TABLE retyped;
-- The state column retyped to text: writes fail (any string would reach the
-- summaries, whose views cast it back to churn.lifecycle).
CREATE TABLE retyped (id int PRIMARY KEY, since date, until date, st churn.lifecycle NOT NULL DEFAULT 'new');
SELECT churn.track('retyped', customer => 'id', since => 'since', until => 'until', state => 'st');
INSERT INTO retyped VALUES (1, '2024-01-05', NULL);
ALTER TABLE retyped ALTER COLUMN st TYPE text;
UPDATE retyped SET st = 'banana' WHERE id = 1;
ALTER TABLE retyped ALTER COLUMN st TYPE churn.lifecycle USING st::churn.lifecycle;
UPDATE retyped SET st = 'active' WHERE id = 1;
SELECT from_state, to_state, transitions FROM churn.lifecycle_transitions WHERE relation = 'retyped'::regclass;
SELECT count(*) AS verify_diffs FROM churn.verify('retyped');
SELECT churn.untrack('retyped');
DROP TABLE retyped;

-- A cast from a tracked column's type to text with a function of the
-- table owner's: track refuses such a column (42804), and when the cast
-- comes after track, writes fail once the capture loads its settings (a new
-- session), before it could run the function as the extension owner (it
-- would record who ran it).  Without the cast, writes go on.
CREATE TYPE plan_kind AS ENUM ('basic', 'pro');
CREATE TABLE cast_log (who name);
CREATE TABLE casted (id int PRIMARY KEY, since date, until date, plan plan_kind);
SELECT churn.track('casted', customer => 'id', since => 'since', until => 'until', segments => ARRAY['plan']);
INSERT INTO casted VALUES (1, '2024-01-01', NULL, 'basic');
CREATE FUNCTION plan_text(p plan_kind) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO public.cast_log VALUES (current_user);
	RETURN CASE p WHEN 'basic' THEN 'basic' ELSE 'pro' END;
END
$$;
CREATE CAST (plan_kind AS text) WITH FUNCTION plan_text(plan_kind);
CREATE TABLE casted2 (LIKE casted);
\set VERBOSITY sqlstate
SELECT churn.track('casted2', customer => 'id', since => 'since', until => 'until', segments => ARRAY['plan']);  -- 42804
\set VERBOSITY default
\c
SET TimeZone = 'UTC';
SET client_min_messages = warning;
INSERT INTO casted VALUES (2, '2024-01-01', NULL, 'pro');
SELECT count(*) AS casts_run FROM cast_log;
DROP CAST (plan_kind AS text);
\c
SET TimeZone = 'UTC';
SET client_min_messages = warning;
INSERT INTO casted VALUES (2, '2024-01-01', NULL, 'pro');
SELECT count(*) AS verify_diffs FROM churn.verify('casted');
SELECT segment, new FROM churn.churn_summary WHERE relation = 'casted'::regclass AND new > 0 ORDER BY 1;
SELECT churn.untrack('casted');
DROP TABLE casted, casted2, cast_log;
DROP FUNCTION plan_text(plan_kind);
DROP TYPE plan_kind;

-- A tracked table dropped (here by its owner, a role without privileges on
-- churn's tables) is forgotten.
CREATE ROLE regress_churn_owner;
GRANT CREATE ON SCHEMA public TO regress_churn_owner;
SET ROLE regress_churn_owner;
CREATE TABLE owned (id int PRIMARY KEY, since date, until date);
INSERT INTO owned VALUES (1, '2024-01-01', NULL);
RESET ROLE;
SELECT churn.track('owned', customer => 'id', since => 'since', until => 'until');
SELECT count(*) AS tracked FROM churn.status WHERE relation = 'owned'::regclass;
SET ROLE regress_churn_owner;
DROP TABLE owned;
RESET ROLE;
SELECT (SELECT count(*) FROM churn.tracked_table) AS tracked,
	   (SELECT count(*) FROM churn.summary) AS summary_rows;
REVOKE CREATE ON SCHEMA public FROM regress_churn_owner;
DROP ROLE regress_churn_owner;

DROP OWNED BY regress_churn_writer, regress_churn_reader;
DROP ROLE regress_churn_writer, regress_churn_reader;
DROP VIEW acct_view;
DROP TABLE acct, no_key;
DROP TYPE tier;

-- churn.capture_fast_max is a setting of churn's (declared when the library
-- loads, which the calls above did): 0 to 1000, the default 1000; other
-- names under churn. are refused.
SELECT name, setting, min_val, max_val, context FROM pg_settings WHERE name LIKE 'churn.%' ORDER BY name;
\set VERBOSITY sqlstate
SET churn.capture_fast_max = 1001;    -- 22023
SET churn.capture_fast_mx = 0;        -- 42602
\set VERBOSITY default
