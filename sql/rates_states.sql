--
-- rates_states: the state types of the rates aggregates.  Every partial
-- state round-trips exactly through text and through binary (COPY BINARY),
-- combining round-tripped partials gives the one-pass result, and invalid
-- input is rejected with 22P02 (text) or 22P03 (binary).
--
SET DateStyle = 'ISO, YMD';
SET TimeZone = 'Asia/Shanghai';
SET extra_float_digits = 0;
SET jit = off;	-- the plain-SQL oracles are costed high: JIT compilation only slows them

-- error reporter: SQLSTATE, message and detail of a statement
CREATE FUNCTION rates_err(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	d text;
BEGIN
	EXECUTE q;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
	RETURN SQLSTATE || ' ' || SQLERRM || coalesce(nullif(' (' || d || ')', ' ()'), '');
END $$;

-- aggregates that return the transition states (as Citus' workers would)
CREATE SCHEMA rates_t;
CREATE AGGREGATE rates_t.counts(date, date, daterange) (
	SFUNC = churn.churn_counts_trans, STYPE = churn.rate_state, INITCOND = '(1,c,-,0,0,0,0,0,0,0,0,0)');
CREATE AGGREGATE rates_t.counts(date, date, daterange, interval) (
	SFUNC = churn.churn_counts_trans, STYPE = churn.rate_state, INITCOND = '(1,c,-,0,0,0,0,0,0,0,0,0)');
CREATE AGGREGATE rates_t.counts(timestamptz, timestamptz, tstzrange) (
	SFUNC = churn.churn_counts_trans, STYPE = churn.rate_state, INITCOND = '(1,c,-,0,0,0,0,0,0,0,0,0)');
CREATE AGGREGATE rates_t.dcounts(date, date, text, daterange) (
	SFUNC = churn.diversion_counts_trans, STYPE = churn.rate_state, INITCOND = '(1,v,-,0,0,0,0,0,0,0,0,0)');
CREATE AGGREGATE rates_t.merge(churn.rate_state) (
	SFUNC = churn.rate_state_combine, STYPE = churn.rate_state);
CREATE AGGREGATE rates_t.pstate(date, date, daterange, interval) (
	SFUNC = churn.churn_periods_trans, STYPE = churn.periods_state);
CREATE AGGREGATE rates_t.pstate(timestamptz, timestamptz, tstzrange, interval, interval) (
	SFUNC = churn.churn_periods_trans, STYPE = churn.periods_state);
CREATE AGGREGATE rates_t.pmerge(churn.periods_state) (
	SFUNC = churn.periods_state_combine, STYPE = churn.periods_state);
CREATE AGGREGATE rates_t.mstate(text, text, date, date, daterange) (
	SFUNC = churn.diversion_matrix_trans, STYPE = churn.matrix_state);
CREATE AGGREGATE rates_t.mmerge(churn.matrix_state) (
	SFUNC = churn.matrix_state_combine, STYPE = churn.matrix_state);

SELECT setseed(0.23);
CREATE TABLE rates_t.data AS
SELECT i, CASE WHEN i % 97 = 0 THEN 'a "quoted", {odd} \ name' ELSE 'ch' || (random() * 9)::int END AS channel,
       d AS since, CASE WHEN r < 0.4 THEN NULL ELSE d + (random() * 300)::int END AS until,
       CASE WHEN r > 0.6 THEN CASE WHEN i % 89 = 0 THEN '' ELSE 'ch' || (random() * 9)::int END END AS moved_to
  FROM (SELECT i, date '2023-01-01' + (random() * 500)::int AS d, random() AS r
          FROM generate_series(1, 5000) i) s;

-- four partial states of each kind
CREATE TABLE rates_t.partials AS
SELECT i % 4 AS part,
       rates_t.counts(since, until, '[2023-04-01,2023-07-01)') AS c,
       rates_t.counts(since, until, '[2023-04-01,2023-07-01)', '2 months') AS ct,
       rates_t.counts(since::timestamptz, until::timestamptz, '[2023-04-01,2023-07-01)') AS cz,
       rates_t.dcounts(since, until, moved_to, '[2023-04-01,2023-07-01)') AS d,
       rates_t.pstate(since, until, '[2023-01-31,2024-03-01)', '1 month') AS ps,
       rates_t.pstate(since::timestamptz, until::timestamptz, '[2023-01-31,2024-03-01)', '1 month', '3 months') AS pz,
       rates_t.mstate(channel, moved_to, since, until, '[2023-04-01,2023-07-01)') AS m
  FROM rates_t.data GROUP BY 1;
-- plus a state that has seen no row
INSERT INTO rates_t.partials (part, c, ct, cz, d)
VALUES (4, '(1,c,-,0,0,0,0,0,0,0,0,0)', '(1,c,-,0,0,0,0,0,0,0,0,0)',
        '(1,c,-,0,0,0,0,0,0,0,0,0)', '(1,v,-,0,0,0,0,0,0,0,0,0)');

-- what the text forms look like
SELECT c, d FROM rates_t.partials WHERE part IN (0, 4) ORDER BY part;
SELECT rates_t.pstate(since, until, '[2023-01-01,2023-03-01)', '1 month')
  FROM rates_t.data WHERE i <= 20;
SELECT rates_t.mstate(channel, moved_to, since, until, '[2023-04-01,2023-07-01)')
  FROM rates_t.data WHERE i IN (97, 194, 89, 1, 2, 3);

-- text round trip: out(in(out(s))) = out(s)
SELECT count(*) AS partials,
       bool_and(c::text::churn.rate_state::text = c::text
                AND ct::text::churn.rate_state::text = ct::text
                AND cz::text::churn.rate_state::text = cz::text
                AND d::text::churn.rate_state::text = d::text) AS rate_state_text,
       bool_and(ps::text::churn.periods_state::text IS NOT DISTINCT FROM ps::text
                AND pz::text::churn.periods_state::text IS NOT DISTINCT FROM pz::text) AS periods_state_text,
       bool_and(m::text::churn.matrix_state::text IS NOT DISTINCT FROM m::text) AS matrix_state_text
  FROM rates_t.partials;

-- binary round trip through COPY BINARY (rate_state_send/_recv etc.)
SELECT current_setting('data_directory') || '/churn_rates_states.bin' AS binfile \gset
COPY rates_t.partials TO :'binfile' (FORMAT binary);
CREATE TABLE rates_t.partials_b (LIKE rates_t.partials);
COPY rates_t.partials_b FROM :'binfile' (FORMAT binary);
SELECT count(*) AS partials,
       bool_and(a.c::text = b.c::text AND a.ct::text = b.ct::text AND a.cz::text = b.cz::text
                AND a.d::text = b.d::text) AS rate_state_binary,
       bool_and(a.ps::text IS NOT DISTINCT FROM b.ps::text
                AND a.pz::text IS NOT DISTINCT FROM b.pz::text) AS periods_state_binary,
       bool_and(a.m::text IS NOT DISTINCT FROM b.m::text) AS matrix_state_binary
  FROM rates_t.partials a JOIN rates_t.partials_b b USING (part);

-- combine(text-round-tripped partials) = one pass, state for state
SELECT (SELECT rates_t.merge(c::text::churn.rate_state)::text FROM rates_t.partials)
     = (SELECT rates_t.counts(since, until, '[2023-04-01,2023-07-01)')::text FROM rates_t.data) AS churn_state_same,
       (SELECT rates_t.merge(ct::text::churn.rate_state)::text FROM rates_t.partials)
     = (SELECT rates_t.counts(since, until, '[2023-04-01,2023-07-01)', '2 months')::text FROM rates_t.data) AS tenure_state_same,
       (SELECT rates_t.merge(cz::text::churn.rate_state)::text FROM rates_t.partials)
     = (SELECT rates_t.counts(since::timestamptz, until::timestamptz, '[2023-04-01,2023-07-01)')::text FROM rates_t.data) AS tstz_state_same,
       (SELECT rates_t.merge(d::text::churn.rate_state)::text FROM rates_t.partials)
     = (SELECT rates_t.dcounts(since, until, moved_to, '[2023-04-01,2023-07-01)')::text FROM rates_t.data) AS diversion_state_same,
       (SELECT rates_t.pmerge(ps::text::churn.periods_state)::text FROM rates_t.partials)
     = (SELECT rates_t.pstate(since, until, '[2023-01-31,2024-03-01)', '1 month')::text FROM rates_t.data) AS periods_state_same,
       (SELECT rates_t.pmerge(pz::text::churn.periods_state)::text FROM rates_t.partials)
     = (SELECT rates_t.pstate(since::timestamptz, until::timestamptz, '[2023-01-31,2024-03-01)', '1 month', '3 months')::text
          FROM rates_t.data) AS periods_tz_state_same;
-- and result for result, from the binary round trip too
SELECT (SELECT churn.churn_rate_final(rates_t.merge(c::text::churn.rate_state)) FROM rates_t.partials)
     = (SELECT churn.churn_rate(since, until, '[2023-04-01,2023-07-01)') FROM rates_t.data) AS churn_rate_same,
       (SELECT churn.retention_rate_final(rates_t.merge(ct)) FROM rates_t.partials_b)
     = (SELECT churn.retention_rate(since, until, '[2023-04-01,2023-07-01)', '2 months') FROM rates_t.data) AS retention_rate_same,
       (SELECT churn.diversion_rate_final(rates_t.merge(d)) FROM rates_t.partials_b)
     = (SELECT churn.diversion_rate(since, until, moved_to, '[2023-04-01,2023-07-01)') FROM rates_t.data) AS diversion_rate_same,
       (SELECT churn.churn_periods_final(rates_t.pmerge(ps))::text FROM rates_t.partials_b)
     = (SELECT churn.churn_periods(since, until, '[2023-01-31,2024-03-01)', '1 month')::text FROM rates_t.data) AS churn_periods_same,
       (SELECT churn.churn_periods_final_tz(rates_t.pmerge(pz::text::churn.periods_state))::text FROM rates_t.partials)
     = (SELECT churn.churn_periods(since::timestamptz, until::timestamptz, '[2023-01-31,2024-03-01)', '1 month', '3 months')::text
          FROM rates_t.data) AS churn_periods_tz_same,
       (SELECT churn.diversion_matrix_final(rates_t.mmerge(m::text::churn.matrix_state))::text FROM rates_t.partials)
     = (SELECT churn.diversion_matrix(channel, moved_to, since, until, '[2023-04-01,2023-07-01)')::text
          FROM rates_t.data) AS diversion_matrix_same,
       (SELECT churn.diversion_matrix_final(rates_t.mmerge(m))::text FROM rates_t.partials_b)
     = (SELECT churn.diversion_matrix(channel, moved_to, since, until, '[2023-04-01,2023-07-01)')::text
          FROM rates_t.data) AS diversion_matrix_binary_same;

-- combining states of different parameters fails cleanly
SELECT rates_err($$SELECT churn.rate_state_combine(c, d) FROM rates_t.partials WHERE part = 0$$);
SELECT rates_err($$SELECT churn.rate_state_combine(c, ct) FROM rates_t.partials WHERE part = 0$$);
SELECT rates_err($$SELECT churn.rate_state_combine(c, cz) FROM rates_t.partials WHERE part = 0$$);
SELECT rates_err($$SELECT churn.churn_rate_final(d) FROM rates_t.partials WHERE part = 0$$);
SELECT rates_err($$SELECT churn.periods_state_combine(ps, '(1,d,1,1,0,0,0,0,0,{8431,8500},{0,0,0},{0},{0},{0})') FROM rates_t.partials WHERE part = 0$$);
SELECT rates_err($$SELECT churn.churn_periods_final(pz) FROM rates_t.partials WHERE part = 0$$);
-- the same tstz period and step give other boundaries in another time zone
SET TimeZone = 'UTC';
SELECT rates_err($$SELECT churn.periods_state_combine(pz, (SELECT rates_t.pstate(since::timestamptz, until::timestamptz, '[2023-01-31 00:00+08,2024-03-01 00:00+08)', '1 month', '3 months') FROM rates_t.data)) FROM rates_t.partials WHERE part = 0$$);
SET TimeZone = 'Asia/Shanghai';
SELECT rates_err($$SELECT churn.matrix_state_combine(m, '(1,d,8500,8600,{},{})') FROM rates_t.partials WHERE part = 0$$);
-- outside aggregate context the combine functions do not modify their input
SELECT s.c::text = s.before AS unchanged
  FROM (SELECT c, c::text AS before, churn.rate_state_combine(c, c) AS twice FROM rates_t.partials WHERE part = 1) s;

-- transition and combine functions called directly on stored states (a
-- small periods_state is stored with a short varlena header)
CREATE TABLE rates_t.stored (s churn.periods_state);
INSERT INTO rates_t.stored
SELECT rates_t.pstate(since, until, '[2023-01-01,2023-02-01)', '1 month') FROM rates_t.data;
SELECT pg_column_size(s) AS stored_size,
       (churn.churn_periods_final(churn.churn_periods_trans(s, date '2022-12-01', NULL::date, daterange('2023-01-01', '2023-02-01'), '1 month')))[1].at_start
     - (churn.churn_periods_final(s))[1].at_start AS one_more,
       (churn.churn_periods_final(churn.periods_state_combine(s, s)))[1].new
     = 2 * (churn.churn_periods_final(s))[1].new AS doubled,
       s::text = (SELECT rates_t.pstate(since, until, '[2023-01-01,2023-02-01)', '1 month')::text FROM rates_t.data) AS input_unchanged
  FROM rates_t.stored;

-- invalid text input: 22P02
SELECT rates_err($$SELECT '(3,c,-,0,0,0,0,0,0,0,0,0)'::churn.rate_state$$);
SELECT rates_err($$SELECT '(1,x,-,0,0,0,0,0,0,0,0,0)'::churn.rate_state$$);
SELECT rates_err($$SELECT '(1,c,d,10,5,0,0,0,0,0,0,0)'::churn.rate_state$$);
SELECT rates_err($$SELECT '(1,c,d,0,10,0,0,0,5,0,6,0)'::churn.rate_state$$);
SELECT rates_err($$SELECT '(1,c,d,0,10,0,0,0,5,1,0,2)'::churn.rate_state$$);
SELECT rates_err($$SELECT '(1,c,-,1,0,0,0,0,0,0,0,0)'::churn.rate_state$$);
SELECT rates_err($$SELECT '(1,c,d,0,10,0,0,0,-1,0,0,0)'::churn.rate_state$$);
SELECT rates_err($$SELECT '(1,c,d,0,10,0,-1,0,0,0,0,0)'::churn.rate_state$$);
SELECT rates_err($$SELECT '(1,v,d,0,10,0,0,0,1,2,0,0)'::churn.rate_state$$);
SELECT rates_err($$SELECT '(1,c,d,0,10,0,0,0,1,0,0,0'::churn.rate_state$$);
SELECT rates_err($$SELECT '(1,c,d,0,10,0,0,0,99999999999999999999,0,0,0)'::churn.rate_state$$);
SELECT rates_err($$SELECT '(1,c,d,0,10,0,0,0,1,0,0,0) '::churn.rate_state$$);
SELECT rates_err($$SELECT '(1,d,1,1,0,0,0,0,0,{8431,8500},{0,0,0},{0},{0},{0})'::churn.periods_state::text$$);
SELECT rates_err($$SELECT '(1,d,2,1,0,0,0,0,0,{8431,8500},{0,0,0},{0},{0},{0})'::churn.periods_state$$);
SELECT rates_err($$SELECT '(1,d,2,1,0,0,0,0,0,{8500,8431,8600},{0,0,0,0},{0,0},{0,0},{0,0})'::churn.periods_state$$);
SELECT rates_err($$SELECT '(1,d,1,1,0,0,0,0,0,{8431,8500},{1,0,-1},{0},{1},{0})'::churn.periods_state$$);
SELECT rates_err($$SELECT '(1,d,1,1,0,0,0,0,0,{8431,8500},{1,0,0},{0},{0},{0})'::churn.periods_state$$);
SELECT rates_err($$SELECT '(1,d,1,0,0,3600,0,0,0,{8431,8500},{0,0,0},{0},{0},{0})'::churn.periods_state$$);
SELECT rates_err($$SELECT '(1,d,0,1,0,0,0,0,0,{8431},{0},{},{},{})'::churn.periods_state$$);
SELECT rates_err($$SELECT '(1,d,8500,8600,{"a":1},{})'::churn.matrix_state::text$$);
SELECT rates_err($$SELECT '(1,d,8500,8600,{"a":1,"a":2},{})'::churn.matrix_state$$);
SELECT rates_err($$SELECT '(1,d,8500,8600,{"a":1},{0:1:1})'::churn.matrix_state$$);
SELECT rates_err($$SELECT '(1,d,8500,8600,{"a":1,"b":0},{0:1:2})'::churn.matrix_state$$);
SELECT rates_err($$SELECT '(1,d,8500,8600,{"a":1,"b":0},{0:1:1,0:1:1})'::churn.matrix_state$$);
SELECT rates_err($$SELECT '(1,d,8500,8600,{"a\x":1},{})'::churn.matrix_state$$);
SELECT rates_err($$SELECT '(1,d,8600,8500,{},{})'::churn.matrix_state$$);

-- invalid binary input: 22P03 (the bytes of a bytea column are read by
-- the state type's receive function through COPY BINARY)
CREATE TABLE rates_t.raw (b bytea);
CREATE TABLE rates_t.rs (s churn.rate_state);
CREATE TABLE rates_t.ps (s churn.periods_state);
CREATE TABLE rates_t.ms (s churn.matrix_state);
CREATE FUNCTION rates_t.recv_err(tab text, bytes bytea) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	d text;
BEGIN
	TRUNCATE rates_t.raw;
	INSERT INTO rates_t.raw VALUES (bytes);
	EXECUTE format('COPY rates_t.raw TO %L (FORMAT binary)', current_setting('rates.binfile'));
	EXECUTE format('COPY rates_t.%I FROM %L (FORMAT binary)', tab, current_setting('rates.binfile'));
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
	RETURN SQLSTATE || ' ' || SQLERRM || coalesce(nullif(' (' || d || ')', ' ()'), '');
END $$;
SELECT set_config('rates.binfile', :'binfile', false) IS NOT NULL AS set;
-- valid ones are accepted; then a wrong version, unknown flags, a short
-- message, a negative counter, ...
SELECT rates_t.recv_err('rs', churn.rate_state_send(c)) FROM rates_t.partials WHERE part = 0;
SELECT rates_t.recv_err('rs', set_byte(churn.rate_state_send(c), 0, 3)) FROM rates_t.partials WHERE part = 0;
SELECT rates_t.recv_err('rs', set_byte(churn.rate_state_send(c), 3, 7)) FROM rates_t.partials WHERE part = 0;
SELECT rates_t.recv_err('rs', substr(churn.rate_state_send(c), 1, 70)) FROM rates_t.partials WHERE part = 0;
SELECT rates_t.recv_err('rs', set_byte(churn.rate_state_send(c), 36, 255)) FROM rates_t.partials WHERE part = 0;
SELECT rates_t.recv_err('ps', churn.periods_state_send(ps)) FROM rates_t.partials WHERE part = 0;
SELECT rates_t.recv_err('ps', set_byte(churn.periods_state_send(ps), 5, 0)) FROM rates_t.partials WHERE part = 0;
SELECT rates_t.recv_err('ps', substr(churn.periods_state_send(ps), 1, 200)) FROM rates_t.partials WHERE part = 0;
SELECT rates_t.recv_err('ps', set_byte(churn.periods_state_send(ps), 200, 127)) FROM rates_t.partials WHERE part = 0;
SELECT rates_t.recv_err('ms', churn.matrix_state_send(m)) FROM rates_t.partials WHERE part = 0;
SELECT rates_t.recv_err('ms', set_byte(churn.matrix_state_send(m), 1, 9)) FROM rates_t.partials WHERE part = 0;
SELECT rates_t.recv_err('ms', substr(churn.matrix_state_send(m), 1, 40)) FROM rates_t.partials WHERE part = 0;
-- version 1, date, [8436, 8536), channel "a" with base 0, pair a -> a moved 1
SELECT rates_t.recv_err('ms', decode('01' || '00' || '00000000000020f4' || '0000000000002158' || '00000001'
                                     || '0000000000000000' || '00000001' || '61'
                                     || '00000001' || '00000000' || '00000000' || '0000000000000001', 'hex'));

\set VERBOSITY default
SELECT '(1,c,d,0,10,0,0,0,5,0,6,0)'::churn.rate_state;
\set VERBOSITY terse

-- the balance check of periods_state is exact at the ends of the bigint
-- range (no wrapped sums): all new customers lost balances; an at_end beyond
-- bigint does not
SELECT '(1,d,1,0,1,0,0,0,0,{0,1},{5,-5,0},{9223372036854775807},{5},{9223372036854775807})'::churn.periods_state;
SELECT rates_err($$SELECT '(1,d,1,0,1,0,0,0,0,{0,1},{5,-4,-1},{9223372036854775807},{0},{0})'::churn.periods_state$$);
-- a short text claiming many steps is refused before they are allocated
SELECT rates_err($$SELECT '(1,d,100000,0,1,0,0,0,0,{0})'::churn.periods_state$$);
-- the transition functions are not STRICT: a NULL state (direct call, or an
-- aggregate of the user's without INITCOND) starts empty; the inverse cannot
-- remove a row from no state and says so with NULL
SELECT churn.churn_counts_trans(NULL::churn.rate_state, '2023-12-01'::date, '2024-01-10'::date, '[2024-01-01,2024-02-01)'::daterange);
SELECT churn.churn_counts_inv(NULL::churn.rate_state, '2023-12-01'::date, NULL::date, '[2024-01-01,2024-02-01)'::daterange) IS NULL AS inv_null;
SELECT churn.diversion_counts_trans(NULL::churn.rate_state, '2024-01-05'::date, '2024-01-10'::date, 'web'::text, '[2024-01-01,2024-02-01)'::daterange);
SELECT churn.diversion_counts_inv(NULL::churn.rate_state, '2024-01-05'::date, NULL::date, 'web'::text, '[2024-01-01,2024-02-01)'::daterange) IS NULL AS inv_null;
CREATE AGGREGATE rates_t.churn_rate_noinit(date, date, daterange) (
	SFUNC = churn.churn_counts_trans, STYPE = churn.rate_state,
	FINALFUNC = churn.churn_rate_final);
SELECT rates_t.churn_rate_noinit(s, u, '[2024-01-01,2024-02-01)')
  FROM (VALUES ('2023-12-01'::date, '2024-01-10'::date), ('2023-11-01', NULL)) v(s, u);
-- a state of the other kind is refused, also once it has a period
SELECT churn.churn_counts_trans('(1,v,d,8766,8797,0,0,0,1,0,0,0)'::churn.rate_state, '2023-12-01'::date, NULL::date, '[2024-01-01,2024-02-01)'::daterange);
SELECT churn.diversion_counts_trans('(1,c,d,8766,8797,0,0,0,1,0,0,0)'::churn.rate_state, '2023-12-01'::date, NULL::date, 1, '[2024-01-01,2024-02-01)'::daterange);

--
-- Time zones (src/state_zone.h).  Over timestamptz, a minimum tenure or a
-- step with months or days is computed in the session TimeZone: such a
-- state records the zone (format version 2), combines only with states of
-- the same zone or of none (those of churn 1.0) and is finalised only in
-- it.  Everything else records no zone and is written as version 1.
--
SET TimeZone = 'Asia/Shanghai';
CREATE AGGREGATE rates_t.ctz(timestamptz, timestamptz, tstzrange, interval) (
	SFUNC = churn.churn_counts_trans, STYPE = churn.rate_state, INITCOND = '(1,c,-,0,0,0,0,0,0,0,0,0)');
-- the states of 300 customers under a zone: a tenure of 2 months and one of
-- 48 hours, monthly steps with a tenure of 1 month and 8-hour steps with one
-- of 36 hours; periods from local midnight
\set zoned 'SELECT current_setting(''TimeZone'') AS zone, rates_t.ctz(since::timestamptz, until::timestamptz, tstzrange(''2023-04-01'', ''2023-07-01''), ''2 months'') AS tenure, rates_t.ctz(since::timestamptz, until::timestamptz, tstzrange(''2023-04-01'', ''2023-07-01''), ''48 hours'') AS hours, rates_t.pstate(since::timestamptz, until::timestamptz, tstzrange(''2023-03-01'', ''2023-06-01''), ''1 month'', ''1 month'') AS steps, rates_t.pstate(since::timestamptz, until::timestamptz, tstzrange(''2023-03-01'', ''2023-03-02''), ''8 hours'', ''36 hours'') AS hour_steps FROM rates_t.data WHERE i <= 300'
-- and what the aggregates give there, finalised in the same zone
\set direct 'SELECT current_setting(''TimeZone'') AS zone, churn.churn_rate(since::timestamptz, until::timestamptz, tstzrange(''2023-04-01'', ''2023-07-01''), ''2 months'') AS churn_rate, churn.churn_periods(since::timestamptz, until::timestamptz, tstzrange(''2023-03-01'', ''2023-06-01''), ''1 month'', ''1 month'')::text AS periods FROM rates_t.data WHERE i <= 300'
CREATE TABLE rates_t.zoned AS :zoned;
CREATE TABLE rates_t.direct AS :direct;
SET TimeZone = 'UTC';
INSERT INTO rates_t.zoned :zoned;
INSERT INTO rates_t.direct :direct;
SET TimeZone = 'Etc/Universal';
INSERT INTO rates_t.zoned :zoned;
INSERT INTO rates_t.direct :direct;
SET TimeZone = 'Etc/GMT-8';
INSERT INTO rates_t.zoned :zoned;
INSERT INTO rates_t.direct :direct;
-- POSIX: 8 hours west of Greenwich
SET TimeZone = '+08:00';
INSERT INTO rates_t.zoned :zoned;
INSERT INTO rates_t.direct :direct;
SET TimeZone = 'Asia/Shanghai';
-- the zone is part of the text form; 'UTC' and 'Etc/Universal' (one UTC
-- offset, zero) are the same zone "UTC", 'Etc/GMT-8' is "+08:00" and the
-- POSIX '+08:00' is "-08:00" (ISO 8601 signs); Asia/Shanghai has had other
-- offsets and is known by its name
SELECT zone, tenure, hours FROM rates_t.zoned ORDER BY zone;
SELECT zone, substr(steps::text, 1, 30) || ' ... ' || substring(steps::text from ',"[^"]*"\)$') AS steps,
       hour_steps::text ~ '^\(1,' AS hour_steps_version_1
  FROM rates_t.zoned ORDER BY zone;
-- text and binary round trip of the zoned states
COPY rates_t.zoned TO :'binfile' (FORMAT binary);
CREATE TABLE rates_t.zoned_b (LIKE rates_t.zoned);
COPY rates_t.zoned_b FROM :'binfile' (FORMAT binary);
SELECT count(*) AS states,
       bool_and(a.tenure::text::churn.rate_state::text = a.tenure::text
                AND a.steps::text::churn.periods_state::text = a.steps::text) AS text_round_trip,
       bool_and(a.tenure::text = b.tenure::text AND a.steps::text = b.steps::text) AS binary_round_trip
  FROM rates_t.zoned a JOIN rates_t.zoned_b b USING (zone);
-- finalised in the zone they were computed in, they give the aggregate's
-- result
\set final 'SELECT z.zone, churn.churn_rate_final(z.tenure) = d.churn_rate AS churn_rate_same, churn.churn_periods_final_tz(z.steps)::text = d.periods AS churn_periods_same FROM rates_t.zoned z JOIN rates_t.direct d USING (zone) WHERE zone = current_setting(''TimeZone'')'
:final;
SET TimeZone = 'Etc/GMT-8';
:final;
SET TimeZone = 'UTC';
:final;
-- in another zone they are refused (22023, naming both zones)
\set VERBOSITY default
SELECT churn.churn_rate_final(tenure) FROM rates_t.zoned WHERE zone = 'Asia/Shanghai';
\set VERBOSITY terse
SELECT rates_err($$SELECT churn.retention_rate_final(tenure) FROM rates_t.zoned WHERE zone = 'Asia/Shanghai'$$);
SELECT rates_err($$SELECT churn.churn_periods_final_tz(steps) FROM rates_t.zoned WHERE zone = 'Asia/Shanghai'$$);
SELECT rates_err($$SELECT churn.churn_rate_final(tenure) FROM rates_t.zoned WHERE zone = 'Etc/GMT-8'$$);
-- those of the same zone under another name are accepted, and states that
-- used no zone are accepted in any
SELECT zone, churn.churn_rate_final(tenure) IS NOT NULL AS tenure_ok,
       churn.churn_rate_final(hours) IS NOT NULL AS hours_ok,
       churn.churn_periods_final_tz(hour_steps) IS NOT NULL AS hour_steps_ok
  FROM rates_t.zoned WHERE zone IN ('UTC', 'Etc/Universal') ORDER BY zone;
SELECT rates_t.merge(tenure)::text
     = (SELECT churn.rate_state_combine(tenure, tenure)::text FROM rates_t.zoned WHERE zone = 'UTC') AS utc_merge_ok
  FROM rates_t.zoned WHERE zone IN ('UTC', 'Etc/Universal');
-- partial states of two zones do not combine (22023, naming both zones)
\set VERBOSITY default
SELECT rates_t.pmerge(steps) FROM rates_t.zoned WHERE zone IN ('Asia/Shanghai', 'UTC');
\set VERBOSITY terse
SELECT rates_err($$SELECT rates_t.merge(tenure) FROM rates_t.zoned WHERE zone IN ('Asia/Shanghai', 'Etc/GMT-8')$$);
SELECT rates_err($$SELECT churn.periods_state_combine(a.steps, b.steps) FROM rates_t.zoned a, rates_t.zoned b
                    WHERE a.zone = 'Etc/GMT-8' AND b.zone = '+08:00'$$);
-- a transition in another zone than its state's is refused too
SELECT rates_err($$SELECT churn.churn_counts_trans(tenure, '2023-01-01 00:00+00', NULL, '[2023-04-01 00:00+08,2023-07-01 00:00+08)', '2 months') FROM rates_t.zoned WHERE zone = 'Asia/Shanghai'$$);
SELECT rates_err($$SELECT churn.churn_periods_trans(steps, '2023-01-01 00:00+00', NULL, '[2023-03-01 00:00+08,2023-06-01 00:00+08)', '1 month', '1 month') FROM rates_t.zoned WHERE zone = 'Asia/Shanghai'$$);
-- states of churn 1.0 (version 1, no zone), as text, binary and stored
-- values, are read and combine with zoned ones, which keep their zone
SET TimeZone = 'Asia/Shanghai';
CREATE TABLE rates_t.old (tenure churn.rate_state, steps churn.periods_state);
INSERT INTO rates_t.old
SELECT regexp_replace(regexp_replace(tenure::text, '^\(2', '(1'), ',"[^"]*"\)$', ')')::churn.rate_state,
       regexp_replace(regexp_replace(steps::text, '^\(2', '(1'), ',"[^"]*"\)$', ')')::churn.periods_state
  FROM rates_t.zoned WHERE zone = 'Asia/Shanghai';
SELECT tenure, substr(steps::text, 1, 30) AS steps FROM rates_t.old;
SELECT rates_t.recv_err('rs', churn.rate_state_send(tenure)) AS v1_binary,
       rates_t.recv_err('ps', churn.periods_state_send(steps)) AS v1_binary_steps
  FROM rates_t.old;
SELECT churn.rate_state_combine(o.tenure, z.tenure)::text = churn.rate_state_combine(z.tenure, z.tenure)::text AS old_zoned,
       churn.rate_state_combine(z.tenure, o.tenure)::text = churn.rate_state_combine(z.tenure, z.tenure)::text AS zoned_old,
       churn.periods_state_combine(o.steps, z.steps)::text = churn.periods_state_combine(z.steps, z.steps)::text AS old_zoned_steps,
       churn.periods_state_combine(z.steps, o.steps)::text = churn.periods_state_combine(z.steps, z.steps)::text AS zoned_old_steps
  FROM rates_t.old o, rates_t.zoned z WHERE z.zone = 'Asia/Shanghai';
SET TimeZone = 'UTC';
SELECT churn.churn_rate_final(tenure) IS NOT NULL AS old_final_any_zone,
       churn.churn_periods_final_tz(steps) IS NOT NULL AS old_steps_final_any_zone,
       churn.churn_counts_trans(tenure, '2023-01-01 00:00+00', NULL, '[2023-04-01 00:00+08,2023-07-01 00:00+08)', '2 months') AS old_takes_the_zone
  FROM rates_t.old;
SET TimeZone = 'Asia/Shanghai';
-- a zone this backend cannot name (a state stored elsewhere, in a zone
-- with no file in the time zone database) reads and writes as its hash
SELECT '(2,c,t,0,10,1,0,0,0,0,0,0,"#0000BEEF")'::churn.rate_state;
SET TimeZone = 'UTC';
SELECT rates_err($$SELECT churn.churn_rate_final('(2,c,t,0,10,1,0,0,0,0,0,0,"#0000BEEF")')$$);
SET TimeZone = 'Asia/Shanghai';
-- invalid zoned input: 22P02 / 22P03
SELECT rates_err($$SELECT '(2,c,t,0,10,1,0,0,0,0,0,0)'::churn.rate_state$$);
SELECT rates_err($$SELECT '(1,c,t,0,10,1,0,0,0,0,0,0,"UTC")'::churn.rate_state$$);
SELECT rates_err($$SELECT '(2,c,t,0,10,0,0,3600000000,0,0,0,0,"UTC")'::churn.rate_state$$);
SELECT rates_err($$SELECT '(2,c,d,0,10,1,0,0,0,0,0,0,"UTC")'::churn.rate_state$$);
SELECT rates_err($$SELECT '(2,v,t,0,10,0,0,0,0,0,0,0,"UTC")'::churn.rate_state$$);
SELECT rates_err($$SELECT '(2,c,-,0,0,0,0,0,0,0,0,0,"UTC")'::churn.rate_state$$);
SELECT rates_err($$SELECT '(2,c,t,0,10,1,0,0,0,0,0,0,"")'::churn.rate_state$$);
SELECT rates_err($$SELECT '(2,c,t,0,10,1,0,0,0,0,0,0,"Europe/No such")'::churn.rate_state$$);
SELECT rates_err($$SELECT '(2,c,t,0,10,1,0,0,0,0,0,0,"a\"b")'::churn.rate_state$$);
SELECT rates_err($$SELECT ('(2,c,t,0,10,1,0,0,0,0,0,0,"' || repeat('x', 256) || '")')::churn.rate_state$$);
SELECT rates_err($$SELECT '(2,t,1,1,0,0,0,0,0,{0,10},{0,0,0},{0},{0},{0})'::churn.periods_state$$);
SELECT rates_err($$SELECT '(1,t,1,1,0,0,0,0,0,{0,10},{0,0,0},{0},{0},{0},"UTC")'::churn.periods_state$$);
SELECT rates_err($$SELECT '(2,t,1,0,0,10,0,0,0,{0,10},{0,0,0},{0},{0},{0},"UTC")'::churn.periods_state$$);
SELECT rates_err($$SELECT '(2,d,1,1,0,0,0,0,0,{0,10},{0,0,0},{0},{0},{0},"UTC")'::churn.periods_state$$);
SELECT rates_err($$SELECT '(2,t,1,1,0,0,0,0,0,{0,10},{0,0,0},{0},{0},{0},"U T C")'::churn.periods_state$$);
SELECT rates_t.recv_err('rs', substr(churn.rate_state_send(tenure), 1, 78)) FROM rates_t.zoned WHERE zone = 'UTC';
SELECT rates_t.recv_err('rs', churn.rate_state_send(tenure) || '\x00'::bytea) FROM rates_t.zoned WHERE zone = 'UTC';
SELECT rates_t.recv_err('rs', overlay(churn.rate_state_send(tenure) placing '\x20'::bytea from 81)) FROM rates_t.zoned WHERE zone = 'UTC';
SELECT rates_t.recv_err('rs', set_byte(churn.rate_state_send(hours), 0, 2)) FROM rates_t.zoned WHERE zone = 'UTC';
SELECT rates_t.recv_err('ps', substr(churn.periods_state_send(steps), 1, length(churn.periods_state_send(steps)) - 1)) FROM rates_t.zoned WHERE zone = 'UTC';
SELECT rates_t.recv_err('ps', set_byte(churn.periods_state_send(steps), 0, 1)) FROM rates_t.zoned WHERE zone = 'UTC';
SELECT rates_t.recv_err('ps', set_byte(churn.periods_state_send(hour_steps), 0, 2)) FROM rates_t.zoned WHERE zone = 'UTC';

DROP SCHEMA rates_t CASCADE;
DROP FUNCTION rates_err(text);
