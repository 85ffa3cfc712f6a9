--
-- lifecycle_opclass: the btree and hash operator classes of churn.lifecycle
-- at work: amvalidate, index scans, sort and hash grouping, DISTINCT, merge
-- and hash joins.  Results of every plan shape are checked against plain SQL
-- over the integer codes the rows were generated from.
--
SET search_path = churn, public;

-- The operator classes are complete and consistent (amvalidate complains
-- in a WARNING and returns false otherwise).
SELECT am.amname, opc.opcname, opc.opcdefault, amvalidate(opc.oid) AS valid
  FROM pg_opclass opc JOIN pg_am am ON am.oid = opc.opcmethod
 WHERE opc.opcintype = 'churn.lifecycle'::regtype
 ORDER BY am.amname;

-- Support functions: btree comparison, sort support and equalimage (which
-- allows btree deduplication); hash 32-bit and extended hashes.
SELECT am.amname, p.amprocnum, p.amproc::regprocedure AS proc
  FROM pg_amproc p
  JOIN pg_opfamily f ON f.oid = p.amprocfamily
  JOIN pg_am am ON am.oid = f.opfmethod
 WHERE p.amproclefttype = 'churn.lifecycle'::regtype
 ORDER BY am.amname, p.amprocnum;

-- The operators' properties.
SELECT o.oprname, o.oprcanhash AS hashes, o.oprcanmerge AS merges,
       o.oprcom::regoperator AS commutator, o.oprnegate::regoperator AS negator,
       o.oprrest AS restrict, o.oprjoin AS join
  FROM pg_operator o
 WHERE o.oprleft = 'churn.lifecycle'::regtype
 ORDER BY o.oprname;

-- 10000 customers: state code k = i % 7 for most, but only 10 reactivated
-- (code 6) and 20 prospects (code 0), so that those are rare.
CREATE TABLE lc_cust (id int PRIMARY KEY, k int NOT NULL, state lifecycle NOT NULL);
INSERT INTO lc_cust
SELECT i, k, (ARRAY['prospect', 'new', 'active', 'at_risk', 'dormant', 'churned', 'reactivated'])[k + 1]::lifecycle
  FROM (SELECT i, CASE WHEN i <= 10 THEN 6 WHEN i <= 30 THEN 0 ELSE 1 + i % 5 END AS k
          FROM generate_series(1, 10000) i) g;
CREATE INDEX lc_cust_state ON lc_cust (state);
ANALYZE lc_cust;
-- deduplication (allowed by equalimage) makes the index of 10000 keys of 7
-- values less than half the size of one built with deduplication off
CREATE INDEX lc_cust_state_nodedup ON lc_cust (state) WITH (deduplicate_items = off);
SELECT pg_relation_size('lc_cust_state') * 2 < pg_relation_size('lc_cust_state_nodedup') AS index_is_deduplicated;
DROP INDEX lc_cust_state_nodedup;

-- The code column k agrees with the state everywhere.
SELECT count(*) AS rows,
       count(*) FILTER (WHERE lifecycle_send(state) = set_byte('\x00'::bytea, 0, k)) AS agree
  FROM lc_cust;

-- Equality on a rare value uses the btree index.
EXPLAIN (COSTS OFF) SELECT id FROM lc_cust WHERE state = 'reactivated';
SELECT count(*), sum(id) FROM lc_cust WHERE state = 'reactivated';
SELECT count(*), sum(id) FROM lc_cust WHERE k = 6;

-- So does a range at the end of the lifecycle order (only reactivated is
-- later than churned) and at its start.
EXPLAIN (COSTS OFF) SELECT id FROM lc_cust WHERE state > 'churned';
SELECT count(*) FROM lc_cust WHERE state > 'churned';
EXPLAIN (COSTS OFF) SELECT id FROM lc_cust WHERE state <= 'prospect';
SELECT count(*) FROM lc_cust WHERE state <= 'prospect';
SELECT count(*) FROM lc_cust WHERE k = 0;

-- Index order is lifecycle order: ORDER BY ... LIMIT reads the index, and
-- min/max read one end of it.
EXPLAIN (COSTS OFF) SELECT state FROM lc_cust ORDER BY state DESC LIMIT 3;
SELECT state FROM lc_cust ORDER BY state DESC, id LIMIT 3;
-- (EXPLAIN's text form of this plan differs between PostgreSQL versions,
-- so the plan's nodes are listed from its JSON form)
CREATE FUNCTION plan_nodes(query text) RETURNS SETOF text LANGUAGE plpgsql AS $f$
DECLARE
	plan jsonb;
BEGIN
	EXECUTE 'EXPLAIN (COSTS OFF, FORMAT JSON) ' || query INTO plan;
	RETURN QUERY
	SELECT concat_ws(' ', n->>'Node Type', n->>'Scan Direction', n->>'Index Name')
	  FROM jsonb_path_query(plan, 'strict $.**') n
	 WHERE jsonb_typeof(n) = 'object' AND n ? 'Node Type';
END
$f$;
SELECT * FROM plan_nodes('SELECT min(state), max(state) FROM lc_cust');
DROP FUNCTION plan_nodes(text);
SELECT min(state), max(state) FROM lc_cust;

-- The index returns every row in lifecycle order: compare with a sort of k.
SET enable_seqscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT state FROM lc_cust ORDER BY state;
SELECT (SELECT array_agg(state::text) FROM (SELECT state FROM lc_cust ORDER BY state) s)
     = (SELECT array_agg((ARRAY['prospect', 'new', 'active', 'at_risk', 'dormant', 'churned', 'reactivated'])[k + 1])
          FROM (SELECT k FROM lc_cust ORDER BY k) s) AS index_order_ok;
RESET enable_seqscan;
RESET enable_bitmapscan;

-- Grouping: hash aggregate and sort-based group aggregate give the counts
-- that grouping by k gives.
CREATE TEMP TABLE lc_by_k AS SELECT k, count(*) AS n FROM lc_cust GROUP BY k;
SET enable_sort = off;
EXPLAIN (COSTS OFF) SELECT state, count(*) FROM lc_cust GROUP BY state;
SELECT g.state, g.n, g.n = b.n AS agrees
  FROM (SELECT state, count(*) AS n FROM lc_cust GROUP BY state) g
  JOIN lc_by_k b ON lifecycle_send(g.state) = set_byte('\x00'::bytea, 0, b.k)
 ORDER BY g.state;
RESET enable_sort;
SET enable_hashagg = off;
EXPLAIN (COSTS OFF) SELECT state, count(*) FROM lc_cust GROUP BY state;
SELECT state, count(*) AS n FROM lc_cust GROUP BY state;
RESET enable_hashagg;
SELECT k, n FROM lc_by_k ORDER BY k;

-- DISTINCT, hashed and sorted.
SET enable_sort = off;
EXPLAIN (COSTS OFF) SELECT DISTINCT state FROM lc_cust;
SELECT count(*) FROM (SELECT DISTINCT state FROM lc_cust) d;
RESET enable_sort;
SET enable_hashagg = off;
SELECT string_agg(state::text, ',' ORDER BY state) FROM (SELECT DISTINCT state FROM lc_cust) d;
RESET enable_hashagg;

-- Joins on a lifecycle column: hash join and merge join give the row count
-- that the join on k gives (sum over states of n_left * n_right).
CREATE TABLE lc_offer (state lifecycle NOT NULL, offer text NOT NULL);
INSERT INTO lc_offer VALUES ('at_risk', 'discount'), ('at_risk', 'call'),
	('dormant', 'email'), ('churned', 'win-back'), ('reactivated', 'welcome back');
ANALYZE lc_offer;
SELECT sum(b.n * o.n) AS expected_rows
  FROM lc_by_k b
  JOIN (SELECT lifecycle_send(state) AS code, count(*) AS n FROM lc_offer GROUP BY 1) o
    ON o.code = set_byte('\x00'::bytea, 0, b.k);
SET enable_nestloop = off;
SET enable_mergejoin = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM lc_cust c JOIN lc_offer o ON c.state = o.state;
SELECT count(*) AS hash_join_rows FROM lc_cust c JOIN lc_offer o ON c.state = o.state;
RESET enable_mergejoin;
SET enable_hashjoin = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM lc_cust c JOIN lc_offer o ON c.state = o.state;
SELECT count(*) AS merge_join_rows FROM lc_cust c JOIN lc_offer o ON c.state = o.state;
RESET enable_hashjoin;
RESET enable_nestloop;

-- A hash index.
CREATE INDEX lc_cust_state_hash ON lc_cust USING hash (state);
DROP INDEX lc_cust_state;
EXPLAIN (COSTS OFF) SELECT id FROM lc_cust WHERE state = 'reactivated';
SELECT count(*), sum(id) FROM lc_cust WHERE state = 'reactivated';

-- min and max in parallel: partial aggregates in the workers combined by the
-- leader (the leader takes no part, so every row crosses a combine).
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT min(state), max(state), count(*) FROM lc_cust WHERE id > 15;
SELECT min(state), max(state), count(*) FROM lc_cust WHERE id > 15;
SELECT min(k), max(k), count(*) FROM lc_cust WHERE id > 15;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;

-- Hash partitioning uses the extended hash function.
CREATE TABLE lc_part (id int, state lifecycle) PARTITION BY HASH (state);
CREATE TABLE lc_part_0 PARTITION OF lc_part FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE lc_part_1 PARTITION OF lc_part FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO lc_part SELECT id, state FROM lc_cust;
SELECT count(*) AS rows,
       count(*) FILTER (WHERE s0.state IS NOT NULL AND s1.state IS NOT NULL) AS states_in_both
  FROM (SELECT DISTINCT state FROM lc_part_0) s0 FULL JOIN (SELECT DISTINCT state FROM lc_part_1) s1 USING (state);
SELECT (SELECT count(*) FROM lc_part) AS part_rows;
-- Each state lands in the partition where its code lands in an int4
-- hash-partitioned table (our extended hash is hashint4extended of the code).
CREATE TABLE lc_part_k (k int) PARTITION BY HASH (k);
CREATE TABLE lc_part_k_0 PARTITION OF lc_part_k FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE lc_part_k_1 PARTITION OF lc_part_k FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO lc_part_k SELECT DISTINCT k FROM lc_cust;
SELECT s.state, right(s.tableoid::regclass::text, 1) AS partition,
       right(s.tableoid::regclass::text, 1) = right(kk.tableoid::regclass::text, 1) AS same_as_int4
  FROM (SELECT DISTINCT tableoid, state FROM lc_part) s
  JOIN lc_part_k kk ON set_byte('\x00'::bytea, 0, kk.k) = lifecycle_send(s.state)
 ORDER BY s.state;
EXPLAIN (COSTS OFF) SELECT * FROM lc_part WHERE state = 'new';

DROP TABLE lc_cust, lc_offer, lc_part, lc_part_k;
