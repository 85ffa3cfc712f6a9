--
-- lifecycle: the churn.lifecycle type: input, output, labels, casts, order,
-- hashing, and bytes that are not valid codes.
--
-- The oracle is the state table of doc/lifecycle.md written out below by hand:
-- state name, Chinese label, lifecycle position (1 = first), frozen code
-- (lifecycle.h).
--
SET search_path = churn, public;
CREATE TEMP TABLE lc_expected (name text, zh text, pos int, code int);
INSERT INTO lc_expected VALUES
	('prospect',    '潜在客户', 1, 0),
	('new',         '新客户',   2, 1),
	('active',      '活跃客户', 3, 2),
	('at_risk',     '潜在流失', 4, 3),
	('dormant',     '休眠客户', 5, 4),
	('churned',     '流失客户', 6, 5),
	('reactivated', '挽回客户', 7, 6);

-- The table of Chinese labels, as the type prints it.
SELECT name::lifecycle AS state, label(name::lifecycle, 'zh') AS zh,
       label(name::lifecycle) AS en, lifecycle_send(name::lifecycle) AS code
  FROM lc_expected ORDER BY pos;

-- Every name and every label reads back as the same value, with the
-- expected code; output is the English name; labels round-trip.
SELECT count(*) AS states,
       count(*) FILTER (WHERE name::lifecycle = zh::lifecycle) AS zh_in,
       count(*) FILTER (WHERE name::lifecycle::text = name) AS name_out,
       count(*) FILTER (WHERE label(name::lifecycle, 'zh') = zh) AS zh_label,
       count(*) FILTER (WHERE label(name::lifecycle, 'en') = name) AS en_label,
       count(*) FILTER (WHERE label(zh::lifecycle, 'en')::lifecycle = zh::lifecycle) AS round_trip,
       count(*) FILTER (WHERE lifecycle_send(name::lifecycle) = set_byte('\x00'::bytea, 0, code)) AS code_ok
  FROM lc_expected;

-- Letter case and surrounding whitespace (ASCII spaces, tabs, newlines)
-- do not matter, for names and for labels.
SELECT replace(replace(replace(replace(input, E'\t', '\t'), E'\n', '\n'), E'\r', '\r'), E'\f', '\f') AS input,
       input::lifecycle AS value
  FROM (VALUES ('ACTIVE'), ('Active'), ('aCtIvE'), ('  at_risk  '), ('AT_RISK'),
               (E'\tdormant\n'), (E'\r\n churned \f'), (' 流失客户 '), (E'\t挽回客户'),
               ('ReActivated'), ('NEW'), ('Prospect')) AS t(input)
 ORDER BY value, input;

-- NULL stays NULL.
SELECT NULL::lifecycle IS NULL AS null_in, label(NULL::lifecycle) IS NULL AS null_label,
       label('active', NULL) IS NULL AS null_lang;

-- Bad input: 22P02, the input quoted, a hint with every accepted value.
SELECT 'activ'::lifecycle;
SELECT ''::lifecycle;
\set VERBOSITY sqlstate
-- near misses: a space or hyphen inside, part of a label, two values,
-- a full-width letter, trailing junk, NUL-free control characters
SELECT 'at risk'::lifecycle;
SELECT 'at-risk'::lifecycle;
SELECT '活跃'::lifecycle;
SELECT '活跃客户客户'::lifecycle;
SELECT 'new,active'::lifecycle;
SELECT 'ａctive'::lifecycle;
SELECT 'active.'::lifecycle;
SELECT '   '::lifecycle;
SELECT E'\x01active'::lifecycle;
SELECT 'churned'::text::lifecycle, 'churnd'::text::lifecycle;
\set VERBOSITY default
-- the text cast gives the same message as the input function
SELECT ' Nope '::text::lifecycle;

-- Casts: lifecycle -> text is an assignment cast, text -> lifecycle explicit.
SELECT c.castsource::regtype AS source, c.casttarget::regtype AS target,
       c.castfunc::regproc AS func, c.castcontext AS context
  FROM pg_cast c
 WHERE 'churn.lifecycle'::regtype IN (c.castsource, c.casttarget)
 ORDER BY 1::text, 2::text;
CREATE TEMP TABLE lc_text (t text, v varchar(20));
INSERT INTO lc_text VALUES ('dormant'::lifecycle, 'churned'::lifecycle);
SELECT t, v, t::lifecycle AS t_back, v::lifecycle AS v_back FROM lc_text;
CREATE TEMP TABLE lc_col (s lifecycle);
INSERT INTO lc_col VALUES ('NEW'), (' 活跃客户');
INSERT INTO lc_col SELECT 'active'::text;	-- no implicit/assignment cast from text
SELECT s FROM lc_col ORDER BY s;

-- label(): 'en' or 'zh' in any letter case; anything else is 22023.
SELECT label('at_risk', 'en') AS en, label('at_risk', 'ZH') AS zh,
       label('at_risk', 'En') AS en2, label('at_risk') AS dflt;
SELECT label('active', 'fr');
\set VERBOSITY sqlstate
SELECT label('active', '');
SELECT label('active', 'zh-CN');
SELECT label('active', ' zh');
\set VERBOSITY default

-- Order: every one of the 49 pairs compares like the hand positions.
SELECT count(*) AS pairs,
       count(*) FILTER (WHERE (a.name::lifecycle <  b.name::lifecycle) = (a.pos <  b.pos)
                          AND (a.name::lifecycle <= b.name::lifecycle) = (a.pos <= b.pos)
                          AND (a.name::lifecycle =  b.name::lifecycle) = (a.pos =  b.pos)
                          AND (a.name::lifecycle <> b.name::lifecycle) = (a.pos <> b.pos)
                          AND (a.name::lifecycle >= b.name::lifecycle) = (a.pos >= b.pos)
                          AND (a.name::lifecycle >  b.name::lifecycle) = (a.pos >  b.pos)
                          AND lifecycle_cmp(a.name::lifecycle, b.name::lifecycle) = sign(a.pos - b.pos)
                          AND lifecycle_smaller(a.name::lifecycle, b.name::lifecycle)
                              = (CASE WHEN a.pos <= b.pos THEN a.name ELSE b.name END)::lifecycle
                          AND lifecycle_larger(a.name::lifecycle, b.name::lifecycle)
                              = (CASE WHEN a.pos >= b.pos THEN a.name ELSE b.name END)::lifecycle
                       ) AS agree
  FROM lc_expected a, lc_expected b;

-- ORDER BY sorts in lifecycle order, not alphabetically.
SELECT s FROM (VALUES ('reactivated'::lifecycle), ('active'), ('churned'), ('prospect'),
                      ('dormant'), ('new'), ('at_risk')) t(s)
 ORDER BY s;
SELECT string_agg(s::text, ' > ' ORDER BY s DESC) AS descending
  FROM (SELECT name::lifecycle FROM lc_expected) t(s);

-- min and max aggregates, in lifecycle order (alphabetically they would be
-- active and reactivated; here new and churned).
SELECT min(s), max(s), count(*)
  FROM (VALUES ('churned'::lifecycle), ('new'), ('dormant'), ('at_risk')) t(s);
SELECT min(s) IS NULL AS empty_min FROM lc_col WHERE false;

-- Hashes: the hash of the code, the same function as hashint4 on it;
-- the extended hash with seed 0 agrees with the 32-bit hash in its low bits.
SELECT count(*) AS states,
       count(*) FILTER (WHERE lifecycle_hash(name::lifecycle) = hashint4(code)) AS hash_ok,
       count(*) FILTER (WHERE lifecycle_hash_extended(name::lifecycle, 42) = hashint4extended(code, 42)) AS ext_ok,
       count(*) FILTER (WHERE (lifecycle_hash_extended(name::lifecycle, 0) & 4294967295)
                              = (lifecycle_hash(name::lifecycle)::int8 & 4294967295)) AS low_bits_ok,
       count(DISTINCT lifecycle_hash(name::lifecycle)) AS distinct_hashes
  FROM lc_expected;

-- A byte that is not a code (only reachable through a binary-coercible cast
-- or corruption) is refused everywhere with 22P03, never read past the tables.
CREATE CAST ("char" AS lifecycle) WITHOUT FUNCTION;
SELECT '\007'::"char"::lifecycle;
\set VERBOSITY sqlstate
SELECT '\377'::"char"::lifecycle;
SELECT '\007'::"char"::lifecycle::text;
SELECT label('\007'::"char"::lifecycle, 'zh');
SELECT lifecycle_send('\007'::"char"::lifecycle);
SELECT '\007'::"char"::lifecycle < 'active';
SELECT '\007'::"char"::lifecycle = '\007'::"char"::lifecycle;
SELECT lifecycle_hash('\007'::"char"::lifecycle);
SELECT lifecycle_hash_extended('\010'::"char"::lifecycle, 1);
SELECT max(s) FROM (VALUES ('new'::lifecycle), ('\007'::"char"::lifecycle)) t(s);
\set VERBOSITY default
-- a valid byte through the same cast is fine
SELECT '\006'::"char"::lifecycle AS code_6;
DROP CAST ("char" AS lifecycle);

-- Comments on the type and every function, aggregate and operator.
-- (other files of the extension add functions over lifecycle: count only
-- the ones missing a comment)
SELECT count(*) FILTER (WHERE obj_description(p.oid, 'pg_proc') IS NULL) AS uncommented_functions,
       count(*) >= 23 AS at_least_23_functions
  FROM pg_proc p WHERE p.pronamespace = 'churn'::regnamespace
   AND (p.prorettype = 'churn.lifecycle'::regtype OR p.proname = 'enforce_lifecycle'
        OR 'churn.lifecycle'::regtype = ANY (p.proargtypes));
SELECT count(*) FILTER (WHERE obj_description(o.oid, 'pg_operator') IS NULL) AS uncommented_operators,
       count(*) AS operators
  FROM pg_operator o WHERE o.oprleft = 'churn.lifecycle'::regtype;
SELECT obj_description('churn.lifecycle'::regtype, 'pg_type') IS NOT NULL AS type_commented,
       (SELECT bool_and(obj_description(oid, 'pg_opclass') IS NOT NULL) FROM pg_opclass
         WHERE opcintype = 'churn.lifecycle'::regtype) AS opclasses_commented,
       (SELECT bool_and(obj_description(oid, 'pg_cast') IS NOT NULL) FROM pg_cast
         WHERE 'churn.lifecycle'::regtype IN (castsource, casttarget)) AS casts_commented;

-- Without churn on the search path: operators must be qualified, sorting
-- and grouping find the default operator classes by themselves.
SET search_path = public;
SELECT 'new'::churn.lifecycle OPERATOR(churn.<) 'active' AS qualified_lt;
SELECT s FROM (VALUES ('churned'::churn.lifecycle), ('new'), ('churned')) t(s) GROUP BY s ORDER BY s;
\set VERBOSITY terse
SELECT 'new'::churn.lifecycle < 'active';
\set VERBOSITY default
RESET search_path;
