--
-- test/suites/extension_catalog.sql: one line per object of the churn
-- extension and per property of it that a user or PostgreSQL can see: its
-- identity (pg_describe_object), its full definition (pg_get_functiondef,
-- pg_get_viewdef, columns, constraints, indexes, triggers, type and
-- operator support functions, aggregate support functions and initial
-- values), its owner-independent privileges and its comment.  Two databases
-- hold the same extension exactly when these lines are equal; upgrade.sh
-- compares an upgraded database with a fresh install this way.
--
-- Output: "kind|identity|property|value", values on one line (newlines
-- shown as \n), sorted.
--
WITH ext AS (
	SELECT e.oid, e.extnamespace FROM pg_catalog.pg_extension e WHERE e.extname = 'churn'
), member AS (
	SELECT d.classid, d.objid
	  FROM pg_catalog.pg_depend d, ext
	 WHERE d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
	   AND d.refobjid = ext.oid AND d.deptype = 'e'
), fn AS (
	SELECT p.oid::pg_catalog.regprocedure::text AS ident, p.*
	  FROM pg_catalog.pg_proc p JOIN member m ON m.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND m.objid = p.oid
), rel AS (
	SELECT c.oid::pg_catalog.regclass::text AS ident, c.*
	  FROM pg_catalog.pg_class c JOIN member m ON m.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND m.objid = c.oid
), typ AS (
	SELECT pg_catalog.format_type(t.oid, NULL) AS ident, t.*
	  FROM pg_catalog.pg_type t JOIN member m ON m.classid = 'pg_catalog.pg_type'::pg_catalog.regclass AND m.objid = t.oid
), opr AS (
	SELECT o.oid::pg_catalog.regoperator::text AS ident, o.*
	  FROM pg_catalog.pg_operator o JOIN member m ON m.classid = 'pg_catalog.pg_operator'::pg_catalog.regclass AND m.objid = o.oid
), lines(kind, ident, prop, val) AS (
	-- every member, by its description
	SELECT 'member', pg_catalog.pg_describe_object(m.classid, m.objid, 0), 'exists', ''
	  FROM member m
	UNION ALL
	-- comments of members and of their columns
	SELECT 'comment', pg_catalog.pg_describe_object(d.classoid, d.objoid, d.objsubid), 'comment', d.description
	  FROM pg_catalog.pg_description d JOIN member m ON m.classid = d.classoid AND m.objid = d.objoid
	UNION ALL
	-- functions and procedures: their whole definition
	SELECT 'function', ident, 'definition', pg_catalog.pg_get_functiondef(oid) FROM fn WHERE prokind IN ('f', 'p')
	UNION ALL
	SELECT 'function', ident, 'acl', coalesce(proacl::text, 'default') FROM fn
	UNION ALL
	SELECT 'function', ident, 'attributes',
		   pg_catalog.concat_ws(' ', prokind, provolatile, proparallel, proisstrict, prosecdef, proleakproof,
								procost, prorows, prosupport::pg_catalog.regproc, proconfig::text)
	  FROM fn
	UNION ALL
	-- aggregates: support functions, state types, initial values
	SELECT 'aggregate', fn.ident, 'definition',
		   pg_catalog.concat_ws(' | ', a.aggkind, a.aggnumdirectargs,
								a.aggtransfn::pg_catalog.regprocedure, a.aggfinalfn::pg_catalog.regprocedure,
								a.aggcombinefn::pg_catalog.regprocedure, a.aggserialfn::pg_catalog.regprocedure,
								a.aggdeserialfn::pg_catalog.regprocedure, a.aggmtransfn::pg_catalog.regprocedure,
								a.aggminvtransfn::pg_catalog.regprocedure, a.aggmfinalfn::pg_catalog.regprocedure,
								a.aggfinalextra, a.aggmfinalextra, a.aggfinalmodify, a.aggmfinalmodify,
								a.aggsortop::pg_catalog.regoperator, pg_catalog.format_type(a.aggtranstype, NULL),
								a.aggtransspace, pg_catalog.format_type(a.aggmtranstype, NULL), a.aggmtransspace,
								coalesce(a.agginitval, '<null>'), coalesce(a.aggminitval, '<null>'))
	  FROM fn JOIN pg_catalog.pg_aggregate a ON a.aggfnoid = fn.oid
	UNION ALL
	SELECT 'aggregate', ident, 'signature',
		   pg_catalog.pg_get_function_arguments(oid) || ' -> ' || pg_catalog.pg_get_function_result(oid)
	  FROM fn WHERE prokind = 'a'
	UNION ALL
	-- types
	SELECT 'type', ident, 'definition',
		   pg_catalog.concat_ws(' ', typtype, typlen, typbyval, typalign, typstorage, typcategory, typispreferred,
								typdelim, typinput::pg_catalog.regprocedure, typoutput::pg_catalog.regprocedure,
								typreceive::pg_catalog.regprocedure, typsend::pg_catalog.regprocedure,
								typmodin::pg_catalog.regprocedure, typmodout::pg_catalog.regprocedure,
								typanalyze::pg_catalog.regprocedure, typsubscript::pg_catalog.regprocedure,
								pg_catalog.format_type(typelem, NULL), pg_catalog.format_type(typarray, NULL),
								pg_catalog.format_type(typbasetype, NULL), typtypmod, typnotnull, typdefault,
								typcollation, coalesce(typacl::text, 'default'))
	  FROM typ
	UNION ALL
	SELECT 'type', typ.ident, 'enum labels', pg_catalog.string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
	  FROM typ JOIN pg_catalog.pg_enum e ON e.enumtypid = typ.oid GROUP BY typ.ident
	UNION ALL
	SELECT 'type', typ.ident, 'domain constraint ' || c.conname, pg_catalog.pg_get_constraintdef(c.oid)
	  FROM typ JOIN pg_catalog.pg_constraint c ON c.contypid = typ.oid
	UNION ALL
	-- relations: kind, columns, constraints, indexes, triggers, views' queries
	SELECT 'relation', ident, 'kind',
		   pg_catalog.concat_ws(' ', relkind, relpersistence, relrowsecurity, relforcerowsecurity,
								reloptions::text, coalesce(relacl::text, 'default'))
	  FROM rel
	UNION ALL
	SELECT 'relation', rel.ident, pg_catalog.format('column %s %s', a.attnum, a.attname),
		   pg_catalog.concat_ws(' ', pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,
								a.attidentity, a.attgenerated, a.attcollation,
								pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), a.attacl::text)
	  FROM rel JOIN pg_catalog.pg_attribute a ON a.attrelid = rel.oid AND a.attnum > 0 AND NOT a.attisdropped
	  LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
	UNION ALL
	SELECT 'relation', rel.ident, 'constraint ' || c.conname, pg_catalog.pg_get_constraintdef(c.oid)
	  FROM rel JOIN pg_catalog.pg_constraint c ON c.conrelid = rel.oid
	UNION ALL
	SELECT 'relation', rel.ident, 'index ' || i.indexrelid::pg_catalog.regclass::text, pg_catalog.pg_get_indexdef(i.indexrelid)
	  FROM rel JOIN pg_catalog.pg_index i ON i.indrelid = rel.oid
	UNION ALL
	SELECT 'relation', rel.ident, 'trigger ' || t.tgname, pg_catalog.pg_get_triggerdef(t.oid)
	  FROM rel JOIN pg_catalog.pg_trigger t ON t.tgrelid = rel.oid AND NOT t.tgisinternal
	UNION ALL
	SELECT 'relation', rel.ident, 'policy ' || p.polname,
		   pg_catalog.concat_ws(' ', p.polcmd, p.polpermissive, p.polroles::text,
								pg_catalog.pg_get_expr(p.polqual, p.polrelid), pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid))
	  FROM rel JOIN pg_catalog.pg_policy p ON p.polrelid = rel.oid
	UNION ALL
	SELECT 'relation', ident, 'view', pg_catalog.pg_get_viewdef(oid) FROM rel WHERE relkind IN ('v', 'm')
	UNION ALL
	SELECT 'relation', ident, 'sequence',
		   pg_catalog.concat_ws(' ', pg_catalog.format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement,
								s.seqmax, s.seqmin, s.seqcache, s.seqcycle)
	  FROM rel JOIN pg_catalog.pg_sequence s ON s.seqrelid = rel.oid
	UNION ALL
	-- operators, operator classes and families with their members, casts
	SELECT 'operator', ident, 'definition',
		   pg_catalog.concat_ws(' ', oprkind, oprcanmerge, oprcanhash, oprcode::pg_catalog.regprocedure,
								oprcom::pg_catalog.regoperator, oprnegate::pg_catalog.regoperator,
								oprrest::pg_catalog.regprocedure, oprjoin::pg_catalog.regprocedure)
	  FROM opr
	UNION ALL
	SELECT 'opfamily', pg_catalog.pg_describe_object('pg_catalog.pg_opfamily'::pg_catalog.regclass, f.oid, 0),
		   'operator ' || ao.amopstrategy || ' ' || pg_catalog.format_type(ao.amoplefttype, NULL) || ' '
		   || pg_catalog.format_type(ao.amoprighttype, NULL),
		   pg_catalog.concat_ws(' ', ao.amopopr::pg_catalog.regoperator, ao.amoppurpose, ao.amopsortfamily)
	  FROM pg_catalog.pg_opfamily f JOIN member m ON m.classid = 'pg_catalog.pg_opfamily'::pg_catalog.regclass AND m.objid = f.oid
	  JOIN pg_catalog.pg_amop ao ON ao.amopfamily = f.oid
	UNION ALL
	SELECT 'opfamily', pg_catalog.pg_describe_object('pg_catalog.pg_opfamily'::pg_catalog.regclass, f.oid, 0),
		   'function ' || ap.amprocnum || ' ' || pg_catalog.format_type(ap.amproclefttype, NULL) || ' '
		   || pg_catalog.format_type(ap.amprocrighttype, NULL),
		   ap.amproc::pg_catalog.regprocedure::text
	  FROM pg_catalog.pg_opfamily f JOIN member m ON m.classid = 'pg_catalog.pg_opfamily'::pg_catalog.regclass AND m.objid = f.oid
	  JOIN pg_catalog.pg_amproc ap ON ap.amprocfamily = f.oid
	UNION ALL
	SELECT 'opclass', pg_catalog.pg_describe_object('pg_catalog.pg_opclass'::pg_catalog.regclass, c.oid, 0), 'definition',
		   pg_catalog.concat_ws(' ', pg_catalog.pg_describe_object('pg_catalog.pg_opfamily'::pg_catalog.regclass, c.opcfamily, 0),
								pg_catalog.format_type(c.opcintype, NULL), c.opcdefault, pg_catalog.format_type(c.opckeytype, NULL))
	  FROM pg_catalog.pg_opclass c JOIN member m ON m.classid = 'pg_catalog.pg_opclass'::pg_catalog.regclass AND m.objid = c.oid
	UNION ALL
	SELECT 'cast', pg_catalog.pg_describe_object('pg_catalog.pg_cast'::pg_catalog.regclass, c.oid, 0), 'definition',
		   pg_catalog.concat_ws(' ', c.castfunc::pg_catalog.regprocedure, c.castcontext, c.castmethod)
	  FROM pg_catalog.pg_cast c JOIN member m ON m.classid = 'pg_catalog.pg_cast'::pg_catalog.regclass AND m.objid = c.oid
	UNION ALL
	-- the extension itself: its schema, configuration tables and their filters
	SELECT 'extension', 'churn', 'definition',
		   pg_catalog.concat_ws(' ', e.extnamespace::pg_catalog.regnamespace, e.extrelocatable,
								(SELECT pg_catalog.array_agg(c::pg_catalog.regclass::text ORDER BY c::pg_catalog.regclass::text)
								   FROM pg_catalog.unnest(e.extconfig) c),
								(SELECT pg_catalog.array_agg(x ORDER BY x) FROM pg_catalog.unnest(e.extcondition) x))
	  FROM pg_catalog.pg_extension e WHERE e.extname = 'churn'
	UNION ALL
	SELECT 'schema', n.nspname, 'acl', coalesce(n.nspacl::text, 'default')
	  FROM pg_catalog.pg_namespace n, ext WHERE n.oid = ext.extnamespace
)
SELECT kind || '|' || ident || '|' || prop || '|' || pg_catalog.replace(coalesce(val, '<null>'), E'\n', '\n')
  FROM lines
 ORDER BY 1;
