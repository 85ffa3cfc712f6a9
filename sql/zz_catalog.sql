--
-- zz_catalog: rules every object of the extension must follow, checked over
-- the catalog after all other files have run (so it covers what they add).
--
SET search_path = pg_catalog;

-- Every member has a comment: function, aggregate, type, table, view,
-- operator, operator class and family, cast, event trigger (every kind of
-- object the extension holds, and any kind it may hold later).
SELECT pg_describe_object(d.classid, d.objid, 0) AS uncommented
  FROM pg_depend d
 WHERE d.refclassid = 'pg_extension'::regclass
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'churn')
   AND d.deptype = 'e'
   AND obj_description(d.objid, d.classid::regclass::text) IS NULL
   -- composite row types of tables and views carry the relation's comment,
   -- array types and sequences need none
   AND NOT (d.classid = 'pg_type'::regclass AND EXISTS (
            SELECT 1 FROM pg_type t WHERE t.oid = d.objid
               AND (t.typrelid <> 0 OR t.typcategory = 'A')))
   AND NOT (d.classid = 'pg_class'::regclass AND EXISTS (
            SELECT 1 FROM pg_class c WHERE c.oid = d.objid AND c.relkind IN ('S', 'i')))
 ORDER BY 1;

-- Every object lives in schema churn.
SELECT pg_describe_object(d.classid, d.objid, 0) AS outside_schema
  FROM pg_depend d
  JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND p.oid = d.objid
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'churn')
   AND d.deptype = 'e' AND p.pronamespace <> 'churn'::regnamespace
 ORDER BY 1;

-- Every aggregate can run in parallel: PARALLEL SAFE with a combine
-- function, and a real (non-internal) state type so Citus can ship partial
-- states through the type's text I/O.
SELECT a.aggfnoid::regprocedure AS aggregate_breaking_the_rules,
       p.proparallel, a.aggcombinefn, a.aggtranstype::regtype
  FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
 WHERE p.pronamespace = 'churn'::regnamespace
   AND (p.proparallel <> 's' OR a.aggcombinefn = 0
        OR a.aggtranstype = 'internal'::regtype)
 ORDER BY 1;

-- No aggregate takes a name Citus treats as one of its own.
SELECT p.oid::regprocedure AS citus_name_clash
  FROM pg_proc p
 WHERE p.pronamespace = 'churn'::regnamespace AND p.prokind = 'a'
   AND p.proname IN ('sum', 'avg', 'count', 'min', 'max', 'array_agg',
                     'string_agg', 'jsonb_agg', 'json_agg', 'hll_add_agg',
                     'tdigest', 'percentile_cont', 'percentile_disc', 'bit_and',
                     'bit_or', 'bool_and', 'bool_or', 'every', 'any_value')
   AND NOT (p.proname IN ('min', 'max')
            AND p.proargtypes[0] = 'churn.lifecycle'::regtype)
 ORDER BY 1;

-- Functions written in SQL or PL/pgSQL that are not inlined wrappers pin
-- their search_path; SECURITY DEFINER functions always do.
SELECT p.oid::regprocedure AS unpinned_search_path
  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
 WHERE p.pronamespace = 'churn'::regnamespace
   AND (l.lanname = 'plpgsql' OR p.prosecdef)
   AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')
 ORDER BY 1;

-- C functions are bound through MODULE_PATHNAME, never a hard-coded path.
SELECT p.oid::regprocedure AS hard_coded_library
  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
 WHERE p.pronamespace = 'churn'::regnamespace AND l.lanname = 'c'
   AND p.probin <> '$libdir/churn'
 ORDER BY 1;

-- Every state type has text and binary I/O.
SELECT DISTINCT a.aggtranstype::regtype AS state_without_binary_io
  FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
  JOIN pg_type t ON t.oid = a.aggtranstype
 WHERE p.pronamespace = 'churn'::regnamespace
   AND t.typnamespace = 'churn'::regnamespace
   AND (t.typreceive = 0 OR t.typsend = 0)
 ORDER BY 1;

-- Tables holding user state are dumped by pg_dump.
SELECT c.oid::regclass AS table_not_dumped
  FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
 WHERE d.classid = 'pg_class'::regclass AND d.deptype = 'e'
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'churn')
   AND c.relkind IN ('r', 'p')
   AND NOT c.oid = ANY (coalesce((SELECT extconfig FROM pg_extension WHERE extname = 'churn'), '{}'))
 ORDER BY 1;

-- The checks above looked at something: the extension has aggregates, state
-- types and tables by now.
SELECT count(*) FILTER (WHERE p.prokind = 'a') >= 15 AS many_aggregates,
       count(*) >= 100 AS many_functions
  FROM pg_proc p WHERE p.pronamespace = 'churn'::regnamespace;
