--
-- survival_compare_state: the logrank_state type (the transition state of
-- logrank, what logrank_state() returns, what Citus ships and tables
-- store).  Its text and binary forms round-trip exactly, input is
-- validated field by field, and merging round-tripped partial states gives
-- the one-pass state.
--
-- (extra_float_digits stays at its default: durations must round-trip
-- through text exactly with it.)

-- err(query): runs a query and prints "SQLSTATE: message" of its error.
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	RETURN sqlstate || ': ' || sqlerrm;
END
$$;

--
-- Text form, by hand: version, rho, then per group (in byte order of the
-- names) its quoted name, its number of subjects and time:events:censored
--
SELECT 'v1 rho=0 "a" 3 1:1:0 3:1:0 4:0:1 "b" 3 2:1:0 3:0:1 5:1:0'::churn.logrank_state AS hand;
-- any number of spaces between tokens; rho and times in shortest form
SELECT '  v1   rho=0.50   "x"  2  0.1:1:0   1e300:0:1 '::churn.logrank_state AS spaced;
-- quotes and backslashes escaped, any byte otherwise, the empty name too
-- (names in byte order: a state has one canonical text form)
SELECT 'v1 rho=1 "" 1 1:1:0 "back\\slash" 1 3:1:0 "say \"hi\"" 1 2:0:1 "中文 é" 1 4:1:0'::churn.logrank_state AS names;
SELECT g.grp, g.n, length(g.grp) AS chars
  FROM churn.logrank_groups('v1 rho=1 "" 1 1:1:0 "back\\slash" 1 3:1:0 "say \"hi\"" 1 2:0:1 "中文 é" 1 4:1:0') g
 ORDER BY g.grp COLLATE "C";

--
-- Binary form: version byte, flags byte, float8 rho, int32 groups, then per
-- group int32 name length, the name, int64 subjects, int32 points and per
-- point float8 time, int64 events, int64 censored
--
SELECT churn.logrank_state_send('v1 rho=0.5 "ab" 2 1.5:1:1')
	   = '\x0100'::bytea || float8send(0.5) || int4send(1)
		 || int4send(2) || convert_to('ab', 'UTF8') || int8send(2) || int4send(1)
		 || float8send(1.5) || int8send(1) || int8send(1) AS send_ok;

--
-- Generated data: partial states per segment, round trips
--
SELECT setseed(0.1212);
CREATE TEMP TABLE lr AS
SELECT i, i % 7 AS seg,
	   -- whole months, and seconds with 17 significant digits
	   floor(random() * 60)::float8 AS months,
	   random() * 1e6 / 7.0 AS seconds,
	   random() < 0.4 AS churned,
	   -- names that need care: quotes, backslashes, spaces, non-ASCII,
	   -- the empty name, long ones (stored compressed)
	   (ARRAY['basic', 'pro "plus"', 'back\slash', 'a b', '中文', 'é', '',
			  repeat('long', 600)])[1 + floor(random() * 8)::int] AS plan
  FROM generate_series(1, 4000) i;

CREATE TEMP TABLE parts AS
SELECT seg,
	   churn.logrank_state(months, churned, plan) AS by_month,
	   churn.logrank_state(seconds, churned, plan, 1) AS by_second,
	   churn.logrank_state(months, churned, (i % 3)::text, 0.5) AS three
  FROM lr GROUP BY seg;
CREATE TEMP TABLE one_pass AS
SELECT churn.logrank_state(months, churned, plan) AS by_month,
	   churn.logrank_state(seconds, churned, plan, 1) AS by_second,
	   churn.logrank_state(months, churned, (i % 3)::text, 0.5) AS three
  FROM lr;
-- the long name is stored compressed
SELECT pg_column_size(by_month) < octet_length(by_month::text) AS compressed
  FROM one_pass;

-- text round trip is the identity on every partial state
SELECT count(*) AS states,
	   bool_and(by_month::text::churn.logrank_state::text = by_month::text) AS by_month_text,
	   bool_and(by_second::text::churn.logrank_state::text = by_second::text) AS by_second_text,
	   bool_and(three::text::churn.logrank_state::text = three::text) AS three_text
  FROM parts;
-- rollup of round-tripped partials = the one-pass state (any order)
SELECT (SELECT churn.rollup(by_month::text::churn.logrank_state ORDER BY seg DESC) FROM parts)::text
	   = by_month::text AS by_month_ok,
	   (SELECT churn.rollup(by_second::text::churn.logrank_state) FROM parts)::text
	   = by_second::text AS by_second_ok,
	   (SELECT churn.rollup(three::text::churn.logrank_state ORDER BY seg) FROM parts)::text
	   = three::text AS three_ok
  FROM one_pass;
-- and the one-pass state holds plain SQL's counts per (group, duration)
SELECT bool_and(c.curve::text = q.curve) AS curves_are_sql
  FROM churn.logrank_curves((SELECT by_month FROM one_pass)) c
  JOIN (SELECT plan, 'v1 number ' || sum(n) || ' ' ||
				string_agg(months || ':' || ev || ':' || ce, ' ' ORDER BY months) AS curve
		  FROM (SELECT plan, months, count(*) AS n, count(*) FILTER (WHERE churned) AS ev,
					   count(*) FILTER (WHERE NOT churned) AS ce
				  FROM lr GROUP BY plan, months) x
		 GROUP BY plan) q ON q.plan = c.grp;
SELECT count(*) AS groups, string_agg(left(grp, 12), ', ' ORDER BY grp COLLATE "C") AS names
  FROM churn.logrank_groups((SELECT by_month FROM one_pass));

-- binary round trip: COPY the partial states out and back in binary format
\copy parts TO 'results/logrank_state.bin' WITH (FORMAT binary)
CREATE TEMP TABLE parts_bin (LIKE parts);
\copy parts_bin FROM 'results/logrank_state.bin' WITH (FORMAT binary)
SELECT count(*) AS states,
	   bool_and(b.by_month::text = p.by_month::text) AS by_month_bin,
	   bool_and(b.by_second::text = p.by_second::text) AS by_second_bin,
	   bool_and(b.three::text = p.three::text) AS three_bin,
	   bool_and(churn.logrank_state_send(b.by_second) = churn.logrank_state_send(p.by_second)) AS send_identical
  FROM parts p JOIN parts_bin b USING (seg);
SELECT (SELECT churn.rollup(by_second) FROM parts_bin)::text = by_second::text AS rollup_of_binary_ok
  FROM one_pass;

-- subnormal and huge durations print exactly and read back
SELECT s::text AS state, s::text::churn.logrank_state::text = s::text AS round_trip
  FROM (SELECT churn.logrank_state(t, true, 'g') AS s
		  FROM (VALUES (5e-324::float8), (1e-310), (1.7976931348623157e308)) v(t)) x;

-- combine edge cases: NULL sides, different rho
CREATE AGGREGATE pg_temp.merge(churn.logrank_state) (
	SFUNC = churn.logrank_combine, STYPE = churn.logrank_state);
SELECT pg_temp.merge(s) FROM (VALUES (NULL::churn.logrank_state),
	('v1 rho=0 "a" 1 1:1:0'), (NULL), ('v1 rho=0 "b" 2 1:0:1 2:1:0'), ('v1 rho=0 "a" 1 1:0:1')) v(s);
SELECT pg_temp.merge(s) IS NULL AS all_null FROM (VALUES (NULL::churn.logrank_state)) v(s);
SELECT pg_temp.err($$SELECT pg_temp.merge(s) FROM (VALUES ('v1 rho=0 "a" 1 1:1:0'::churn.logrank_state),
	('v1 rho=0.5 "a" 1 1:1:0')) v(s)$$);
-- a logrank_state stored in a table rolls up by month into a test
CREATE TEMP TABLE monthly AS
SELECT i % 12 AS month, churn.logrank_state(months, churned, (i % 2)::text) AS s
  FROM lr GROUP BY i % 12;
SELECT abs((SELECT (churn.logrank(churn.rollup(s))).chi_square FROM monthly) -
		   (SELECT (churn.logrank(months, churned, (i % 2)::text)).chi_square FROM lr)) < 1e-12
	   AS monthly_rollup_ok;

--
-- Bad text (22P02)
--
SELECT pg_temp.err($$SELECT ''::churn.logrank_state$$);
SELECT pg_temp.err($$SELECT 'v2 rho=0 "a" 1 1:1:0'::churn.logrank_state$$);
SELECT pg_temp.err($$SELECT 'x1 rho=0 "a" 1 1:1:0'::churn.logrank_state$$);
SELECT pg_temp.err($$SELECT 'v1 "a" 1 1:1:0'::churn.logrank_state$$);
SELECT pg_temp.err($$SELECT 'v1 rho= "a" 1 1:1:0'::churn.logrank_state$$);
SELECT pg_temp.err($$SELECT 'v1 rho=-1 "a" 1 1:1:0'::churn.logrank_state$$);
SELECT pg_temp.err($$SELECT 'v1 rho=nan "a" 1 1:1:0'::churn.logrank_state$$);
SELECT pg_temp.err($$SELECT 'v1 rho=inf "a" 1 1:1:0'::churn.logrank_state$$);
SELECT pg_temp.err($$SELECT 'v1 rho=0'::churn.logrank_state$$);
SELECT pg_temp.err($$SELECT 'v1 rho=0 a 1 1:1:0'::churn.logrank_state$$);
SELECT pg_temp.err($$SELECT 'v1 rho=0 "a 1 1:1:0'::churn.logrank_state$$);
SELECT pg_temp.err($$SELECT 'v1 rho=0 "a\x" 1 1:1:0'::churn.logrank_state$$);
SELECT pg_temp.err($$SELECT 'v1 rho=0 "a"1 1:1:0'::churn.logrank_state$$);
SELECT pg_temp.err($$SELECT 'v1 rho=0 "a" 1 1:1:0"b" 1 1:1:0'::churn.logrank_state$$);
SELECT pg_temp.err($$SELECT 'v1 rho=0 "a" 1'::churn.logrank_state$$);
SELECT pg_temp.err($$SELECT 'v1 rho=0 "a" x 1:1:0'::churn.logrank_state$$);
SELECT pg_temp.err($$SELECT 'v1 rho=0 "a" 1 1:1'::churn.logrank_state$$);
SELECT pg_temp.err($$SELECT 'v1 rho=0 "a" 1 1:1:0 junk'::churn.logrank_state$$);
SELECT pg_temp.err($$SELECT 'v1 rho=0 "a" 1 1e400:1:0'::churn.logrank_state$$);
SELECT pg_temp.err($$SELECT 'v1 rho=0 "a" 1 -1:1:0'::churn.logrank_state$$);
SELECT pg_temp.err($$SELECT 'v1 rho=0 "a" 1 nan:1:0'::churn.logrank_state$$);
SELECT pg_temp.err($$SELECT 'v1 rho=0 "a" 2 2:1:0 1:1:0'::churn.logrank_state$$);
SELECT pg_temp.err($$SELECT 'v1 rho=0 "a" 2 1:1:0 1:1:0'::churn.logrank_state$$);
SELECT pg_temp.err($$SELECT 'v1 rho=0 "a" 0 1:0:0'::churn.logrank_state$$);
SELECT pg_temp.err($$SELECT 'v1 rho=0 "a" 0 1:-1:1'::churn.logrank_state$$);
SELECT pg_temp.err($$SELECT 'v1 rho=0 "a" 3 1:1:0'::churn.logrank_state$$);
SELECT pg_temp.err($$SELECT 'v1 rho=0 "a" 0 1:9223372036854775807:0 2:1:0'::churn.logrank_state$$);
SELECT pg_temp.err($$SELECT 'v1 rho=0 "a" 1 1:99999999999999999999:0'::churn.logrank_state$$);
SELECT pg_temp.err($$SELECT 'v1 rho=0 "b" 1 1:1:0 "a" 1 1:1:0'::churn.logrank_state$$);
SELECT pg_temp.err($$SELECT 'v1 rho=0 "a" 1 1:1:0 "a" 1 1:1:0'::churn.logrank_state$$);
SELECT pg_temp.err($$SELECT 'v1 rho=0 "ab" 1 1:1:0 "a" 1 1:1:0'::churn.logrank_state$$);
-- the full message of two, with detail and hint
SELECT 'v1 rho=0 "a" 3 1:1:0'::churn.logrank_state;
SELECT 'v2 rho=0 "a" 1 1:1:0'::churn.logrank_state;

--
-- Bad binary (22P03; 22021 for a name not in the database encoding), fed
-- to the receive function by binary COPY: the binary COPY of a bytea field
-- is its raw bytes, so a payload written out as bytea is read back as the
-- state type.
--
CREATE TEMP TABLE bad (s churn.logrank_state);
\set VERBOSITY sqlstate
-- a good payload loads
\copy (SELECT '\x0100'::bytea || float8send(0) || int4send(1) || int4send(1) || convert_to('a', 'UTF8') || int8send(1) || int4send(1) || float8send(1) || int8send(1) || int8send(0)) TO 'results/logrank_bad.bin' WITH (FORMAT binary)
\copy bad FROM 'results/logrank_bad.bin' WITH (FORMAT binary)
SELECT s FROM bad;
-- unknown version
\copy (SELECT '\x0200'::bytea || float8send(0) || int4send(1) || int4send(1) || convert_to('a', 'UTF8') || int8send(1) || int4send(1) || float8send(1) || int8send(1) || int8send(0)) TO 'results/logrank_bad.bin' WITH (FORMAT binary)
\copy bad FROM 'results/logrank_bad.bin' WITH (FORMAT binary)
-- unknown flags
\copy (SELECT '\x0101'::bytea || float8send(0) || int4send(1) || int4send(1) || convert_to('a', 'UTF8') || int8send(1) || int4send(1) || float8send(1) || int8send(1) || int8send(0)) TO 'results/logrank_bad.bin' WITH (FORMAT binary)
\copy bad FROM 'results/logrank_bad.bin' WITH (FORMAT binary)
-- negative rho
\copy (SELECT '\x0100'::bytea || float8send(-1) || int4send(1) || int4send(1) || convert_to('a', 'UTF8') || int8send(1) || int4send(1) || float8send(1) || int8send(1) || int8send(0)) TO 'results/logrank_bad.bin' WITH (FORMAT binary)
\copy bad FROM 'results/logrank_bad.bin' WITH (FORMAT binary)
-- no group
\copy (SELECT '\x0100'::bytea || float8send(0) || int4send(0)) TO 'results/logrank_bad.bin' WITH (FORMAT binary)
\copy bad FROM 'results/logrank_bad.bin' WITH (FORMAT binary)
-- more groups announced than the message can hold
\copy (SELECT '\x0100'::bytea || float8send(0) || int4send(1000) || int4send(1) || convert_to('a', 'UTF8') || int8send(1) || int4send(1) || float8send(1) || int8send(1) || int8send(0)) TO 'results/logrank_bad.bin' WITH (FORMAT binary)
\copy bad FROM 'results/logrank_bad.bin' WITH (FORMAT binary)
-- a negative name length, one beyond the message
\copy (SELECT '\x0100'::bytea || float8send(0) || int4send(1) || int4send(-1) || convert_to('a', 'UTF8') || int8send(1) || int4send(1) || float8send(1) || int8send(1) || int8send(0)) TO 'results/logrank_bad.bin' WITH (FORMAT binary)
\copy bad FROM 'results/logrank_bad.bin' WITH (FORMAT binary)
\copy (SELECT '\x0100'::bytea || float8send(0) || int4send(1) || int4send(600) || convert_to('a', 'UTF8') || int8send(1) || int4send(1) || float8send(1) || int8send(1) || int8send(0)) TO 'results/logrank_bad.bin' WITH (FORMAT binary)
\copy bad FROM 'results/logrank_bad.bin' WITH (FORMAT binary)
-- a name that is not UTF8
\copy (SELECT '\x0100'::bytea || float8send(0) || int4send(1) || int4send(1) || '\xff'::bytea || int8send(1) || int4send(1) || float8send(1) || int8send(1) || int8send(0)) TO 'results/logrank_bad.bin' WITH (FORMAT binary)
\copy bad FROM 'results/logrank_bad.bin' WITH (FORMAT binary)
-- no points, more points announced than sent
\copy (SELECT '\x0100'::bytea || float8send(0) || int4send(1) || int4send(1) || convert_to('a', 'UTF8') || int8send(0) || int4send(0) || '\x00000000000000000000000000000000000000000000000000000000'::bytea) TO 'results/logrank_bad.bin' WITH (FORMAT binary)
\copy bad FROM 'results/logrank_bad.bin' WITH (FORMAT binary)
\copy (SELECT '\x0100'::bytea || float8send(0) || int4send(1) || int4send(1) || convert_to('a', 'UTF8') || int8send(1) || int4send(2) || float8send(1) || int8send(1) || int8send(0)) TO 'results/logrank_bad.bin' WITH (FORMAT binary)
\copy bad FROM 'results/logrank_bad.bin' WITH (FORMAT binary)
-- subjects disagreeing with the points
\copy (SELECT '\x0100'::bytea || float8send(0) || int4send(1) || int4send(1) || convert_to('a', 'UTF8') || int8send(2) || int4send(1) || float8send(1) || int8send(1) || int8send(0)) TO 'results/logrank_bad.bin' WITH (FORMAT binary)
\copy bad FROM 'results/logrank_bad.bin' WITH (FORMAT binary)
-- a negative, an infinite duration
\copy (SELECT '\x0100'::bytea || float8send(0) || int4send(1) || int4send(1) || convert_to('a', 'UTF8') || int8send(1) || int4send(1) || float8send(-1) || int8send(1) || int8send(0)) TO 'results/logrank_bad.bin' WITH (FORMAT binary)
\copy bad FROM 'results/logrank_bad.bin' WITH (FORMAT binary)
\copy (SELECT '\x0100'::bytea || float8send(0) || int4send(1) || int4send(1) || convert_to('a', 'UTF8') || int8send(1) || int4send(1) || float8send('Infinity') || int8send(1) || int8send(0)) TO 'results/logrank_bad.bin' WITH (FORMAT binary)
\copy bad FROM 'results/logrank_bad.bin' WITH (FORMAT binary)
-- groups out of order
\copy (SELECT '\x0100'::bytea || float8send(0) || int4send(2) || int4send(1) || convert_to('b', 'UTF8') || int8send(1) || int4send(1) || float8send(1) || int8send(1) || int8send(0) || int4send(1) || convert_to('a', 'UTF8') || int8send(1) || int4send(1) || float8send(1) || int8send(1) || int8send(0)) TO 'results/logrank_bad.bin' WITH (FORMAT binary)
\copy bad FROM 'results/logrank_bad.bin' WITH (FORMAT binary)
-- trailing bytes (08P01: PostgreSQL's own check that the value was read
-- to its end)
\copy (SELECT '\x0100'::bytea || float8send(0) || int4send(1) || int4send(1) || convert_to('a', 'UTF8') || int8send(1) || int4send(1) || float8send(1) || int8send(1) || int8send(0) || '\x00'::bytea) TO 'results/logrank_bad.bin' WITH (FORMAT binary)
\copy bad FROM 'results/logrank_bad.bin' WITH (FORMAT binary)
\set VERBOSITY default
-- the message of one
\copy (SELECT '\x0100'::bytea || float8send(0) || int4send(1) || int4send(1) || convert_to('a', 'UTF8') || int8send(2) || int4send(1) || float8send(1) || int8send(1) || int8send(0)) TO 'results/logrank_bad.bin' WITH (FORMAT binary)
\copy bad FROM 'results/logrank_bad.bin' WITH (FORMAT binary)
SELECT count(*) AS loaded FROM bad;
