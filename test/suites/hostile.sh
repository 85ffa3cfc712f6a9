#!/bin/bash
# test/suites/hostile.sh: a tracked table in the hands of a hostile owner.
#
# A. search_path hijack.  The owner of a tracked table (a role without any
#    privilege on churn's tables, as doc/summaries.md's "Storage, dump and privileges"
#    describes) creates look-alikes in schema public: the comparison
#    operators of text, timestamp(tz), date, jsonb, the integers, "char",
#    name, oid, bool, interval, numeric, float8 and regclass, the arithmetic
#    operators churn's statements could use (timestamp ± interval, date ±
#    int, integer + and -, ||, also on churn.history_entry[] and any array),
#    functions named like what churn's SQL calls (now, timezone, date_trunc,
#    jsonb_build_object, unnest, generate_series, lower, upper, format,
#    quote_ident, make_interval, cardinality, current_setting, the advisory
#    lock functions, bucket_floor ...), the aggregates sum, count(*),
#    array_agg, min and max, and a domain public."char" (its CHECK calls a
#    look-alike).  Each look-alike records its call (with current_user and
#    whether that is a superuser) in public.hijack_calls, returns a wrong
#    value, and, when it runs as a superuser, does what an attacker would:
#    ALTER ROLE <owner> SUPERUSER.  With search_path =
#    public, pg_catalog (public first: its look-alikes win over pg_catalog's
#    operators of the same signature) the owner writes its table: an INSERT
#    and a COPY, then UPDATEs and DELETEs of moves, cancellations,
#    reactivations and corrections, small ones (captured in C), small ones
#    with the set-based capture forced (churn.capture_fast_max = 0) and
#    big ones (set-based by size).  Then the DBA's session, given the same
#    search_path, runs churn.refresh, churn.verify and churn.rebuild.
#    Required: no look-alike was ever called, the owner is still no
#    superuser, churn.verify is empty and what churn recorded equals the
#    oracle (summary_oracle.sql), computed in sessions whose search_path is
#    pg_catalog alone.  The owner's own statements name every operator as
#    OPERATOR(pg_catalog.…) and call no function, so a recorded call can only
#    come from churn.
#
# B. hostile identifiers.  A table whose schema, table and column names hold
#    quotes, double quotes, semicolons, comment starts, spaces,
#    backslashes, "$1", "%s", mixed case and non-ASCII, next to decoys (a
#    column "mixed" beside the tracked "MiXeD", a table of the same name in
#    public with other rows), with segment, channel and reason values of the
#    same kind (quotes, backslashes, JSON-looking text, emoji): churn.track,
#    INSERT, COPY, small and big UPDATEs and DELETEs, churn.refresh,
#    churn.verify, churn.rebuild, suspend / resume, TRUNCATE and
#    churn.untrack all work, the summaries equal the oracle (reading the
#    table through a view that renames its columns), and nothing was
#    injected: the canary tables named in the payloads still exist and the
#    catalogs hold the same objects after untrack as before track.  A
#    partitioned table and partitions with such names, one created and one
#    attached after track and one detached, keep verify empty and the
#    totals equal to counts of the rows.
#
# The test's own sessions run with search_path = pg_catalog and name every
# relation with its schema.

set -u
here=$(cd "$(dirname "$0")" && pwd)
work=$CHURN_TMP/hostile
rm -rf "$work"
mkdir -p "$work"
chmod 777 "$work"
failed=0
. "$here/summary_lib.bash"
export PGOPTIONS="-c search_path=pg_catalog"
OWNER=churn_hostile_owner
DBA=churn_hostile_path
DBB=churn_hostile_names

# psql as the owner, in the session the owner set up: search_path = public, pg_catalog
qo() { PGOPTIONS="-c search_path=public,pg_catalog" "$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -U "$OWNER" -d "$DB" "$@"; }
# psql as the DBA (the extension owner) with the owner's search_path
qh() { PGOPTIONS="-c search_path=public,pg_catalog" "$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

for d in $DBA $DBB; do
	"$PGBIN/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $d" 2>/dev/null
done
"$PGBIN/psql" -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP ROLE IF EXISTS $OWNER" -c "CREATE ROLE $OWNER LOGIN" ||
	{ not_ok "create role $OWNER"; exit 1; }
# whatever happens, the owner leaves no superuser
trap '"$PGBIN/psql" -X -q -d postgres -c "ALTER ROLE $OWNER NOSUPERUSER" >/dev/null 2>&1' EXIT

# The value lists of the generated rows (t.vals), the new customers
# (t.stage_new) and the planned changes (t.stage): written by the test's
# own sessions, applied by the writer under test.
scaffold() {
	q -v hostile_values="$1" >/dev/null <<'SQL'
CREATE TABLE t.vals (kind text, i int, v text, PRIMARY KEY (kind, i));
\if :hostile_values
INSERT INTO t.vals VALUES
	('branch', 0, 'north'), ('branch', 1, 'south"'), ('branch', 2, E'ea\\st'), ('branch', 3, 'wëst'),
	('branch', 4, 'on''line'), ('branch', 5, 'phone; DROP TABLE public.canary; --'),
	('contract', 0, 'monthly'), ('contract', 1, 'ann"ual'), ('contract', 2, E'pre\\paid \\u0000'),
	('region', 0, 'r1'), ('region', 1, 'Région 😀'), ('region', 2, 'r''3'), ('region', 3, '{"r": 4}'),
	('reason', 0, 'price'), ('reason', 1, 'serv"ice'), ('reason', 2, E'com\\petitor'), ('reason', 3, 'moved away ✈');
\else
INSERT INTO t.vals VALUES
	('branch', 0, 'north'), ('branch', 1, 'south'), ('branch', 2, 'east'), ('branch', 3, 'west'),
	('branch', 4, 'online'), ('branch', 5, 'phone'),
	('contract', 0, 'monthly'), ('contract', 1, 'annual'), ('contract', 2, 'prepaid'),
	('region', 0, 'r1'), ('region', 1, 'r2'), ('region', 2, 'r3'), ('region', 3, 'r4'),
	('reason', 0, 'price'), ('reason', 1, 'service'), ('reason', 2, 'competitor'), ('reason', 3, 'moved away');
\endif
CREATE FUNCTION t.val(p_kind text, p_n bigint) RETURNS text LANGUAGE sql STABLE
	RETURN (SELECT v.v FROM t.vals v
			 WHERE v.kind = p_kind AND v.i = p_n % (SELECT count(*) FROM t.vals w WHERE w.kind = p_kind));
CREATE TABLE t.stage_new (batch int, id bigint, since timestamptz, until timestamptz, branch text, contract text,
	region text, cancel_reason text, updated_at timestamptz, prev_at timestamptz);
CREATE TABLE t.stage (step int, op int, id bigint, since timestamptz, until timestamptz, branch text, contract text,
	region text, cancel_reason text, updated_at timestamptz, prev_at timestamptz, n_events int,
	from_ch text, prev_until timestamptz, prev_reason text);
SQL
}

# new_batch BATCH FIRST N: N new customers from id FIRST on, a third lost
new_batch() {
	q -c "INSERT INTO t.stage_new
	      SELECT $1, i, s, u, t.val('branch', i), t.val('contract', i / 6), t.val('region', i * 7),
	             CASE WHEN u IS NOT NULL AND i % 5 <> 0 THEN t.val('reason', i / 3) END, coalesce(u, s), s
	        FROM (SELECT i, s, CASE WHEN (i * 2654435761) % 3 = 0
	                                THEN s + make_interval(days => 1 + ((i * 40503) % 300)::int, hours => (i % 24)::int) END AS u
	                FROM (SELECT i, timestamptz '2023-01-01 00:00+00'
	                                + make_interval(days => ((i * 7919) % 800)::int, secs => ((i * 104729) % 86400)::int) AS s
	                        FROM generate_series($2::bigint, $2 + $3 - 1) i) a) b" >/dev/null
}

# plan STEP MODULUS SOURCE: changes of the customers with (id * 13 + STEP) %
# MODULUS = 0 (read from SOURCE), one kind each: cancel, move (logged),
# reactivate (logged), segment change, since earlier, until later, reason
# change, delete.  Every event time follows the customer's latest one
# (the workload's promise, summary_workload.py) and lies before 2026.
plan() {
	q -v step="$1" -v modulus="$2" -v src="$3" >/dev/null <<'SQL'
INSERT INTO t.stage (step, op, id, since, until, branch, contract, region, cancel_reason, updated_at, prev_at,
					 n_events, from_ch, prev_until, prev_reason)
WITH pick AS (
	SELECT c.id, c.since, c.until, c.branch, c.contract, c.region, c.cancel_reason, c.updated_at, c.prev_at,
		   c.n_events, ((c.id * 2654435761 / 1000) + :step) % 8 AS op,
		   make_interval(days => 1 + ((c.id * 7 + :step) % 23)::int, hours => ((c.id + :step) % 24)::int) AS iv,
		   t.val('branch', c.id + :step) AS target
	  FROM :src c WHERE (c.id * 13 + :step) % :modulus = 0
)
SELECT :step, op, id, since, updated_at + iv, branch, contract, region, t.val('reason', id + :step),
	   updated_at + iv, prev_at, n_events, NULL::text, NULL::timestamptz, NULL::text
  FROM pick WHERE op = 0 AND until IS NULL AND updated_at < '2026-01-01'
UNION ALL
SELECT :step, op, id, since, until, target, contract, region, cancel_reason,
	   updated_at + iv, updated_at + iv, n_events + 1, branch, NULL, NULL
  FROM pick WHERE op = 1 AND until IS NULL AND updated_at < '2026-01-01' AND target <> branch
UNION ALL
SELECT :step, op, id, since, NULL, branch, contract, region, NULL,
	   updated_at + iv, updated_at + iv, n_events + 1, NULL, until, cancel_reason
  FROM pick WHERE op = 2 AND until IS NOT NULL AND updated_at < '2026-01-01'
UNION ALL
SELECT :step, op, id, since, until, branch, t.val('contract', id / 7 + :step), t.val('region', id + :step),
	   cancel_reason, updated_at, prev_at, n_events, NULL, NULL, NULL
  FROM pick WHERE op = 3
UNION ALL
SELECT :step, op, id, since - iv, until, branch, contract, region, cancel_reason,
	   updated_at, CASE WHEN n_events = 0 THEN since - iv ELSE prev_at END, n_events, NULL, NULL, NULL
  FROM pick WHERE op = 4
UNION ALL
SELECT :step, op, id, since, until + iv, branch, contract, region, cancel_reason,
	   greatest(updated_at, until + iv), prev_at, n_events, NULL, NULL, NULL
  FROM pick WHERE op = 5 AND until IS NOT NULL AND until + iv < '2026-01-01'
UNION ALL
SELECT :step, op, id, since, until, branch, contract, region, t.val('reason', id * 3 + :step),
	   updated_at, prev_at, n_events, NULL, NULL, NULL
  FROM pick WHERE op = 6 AND until IS NOT NULL
UNION ALL
SELECT :step, op, id, since, until, branch, contract, region, cancel_reason, updated_at, prev_at, n_events,
	   NULL, NULL, NULL
  FROM pick WHERE op = 7;
SQL
}

# The writer's statements (psql text with :"…" variables naming the table
# and its columns): no operator but OPERATOR(pg_catalog.…), no function.
INSERT_SQL='INSERT INTO :"sch".:"tbl" (:"c_id", :"c_since", :"c_until", :"c_branch", :"c_contract", :"c_region",
	:"c_reason", :"c_upd", :"c_prev")
SELECT s.id, s.since, s.until, s.branch, s.contract, s.region, s.cancel_reason, s.updated_at, s.prev_at
  FROM t.stage_new s WHERE s.batch OPERATOR(pg_catalog.=) :batch;'
APPLY_SQL='BEGIN;
UPDATE :"sch".:"tbl" c SET :"c_since" = s.since, :"c_until" = s.until, :"c_branch" = s.branch,
	   :"c_contract" = s.contract, :"c_region" = s.region, :"c_reason" = s.cancel_reason,
	   :"c_upd" = s.updated_at, :"c_prev" = s.prev_at, :"c_nev" = s.n_events
  FROM t.stage s
 WHERE s.step OPERATOR(pg_catalog.=) :step AND s.op OPERATOR(pg_catalog.<>) 7 AND c.:"c_id" OPERATOR(pg_catalog.=) s.id;
INSERT INTO t.move_log (id, at, from_ch, to_ch)
SELECT s.id, s.updated_at, s.from_ch, s.branch FROM t.stage s
 WHERE s.step OPERATOR(pg_catalog.=) :step AND s.op OPERATOR(pg_catalog.=) 1;
INSERT INTO t.react_log (id, at, prev_until, prev_reason)
SELECT s.id, s.updated_at, s.prev_until, s.prev_reason FROM t.stage s
 WHERE s.step OPERATOR(pg_catalog.=) :step AND s.op OPERATOR(pg_catalog.=) 2;
DELETE FROM :"sch".:"tbl" c USING t.stage s
 WHERE s.step OPERATOR(pg_catalog.=) :step AND s.op OPERATOR(pg_catalog.=) 7 AND c.:"c_id" OPERATOR(pg_catalog.=) s.id;
COMMIT;'
# copy_script BATCH FILE: a psql script COPYing batch BATCH of t.stage_new
# FROM STDIN (the data inline)
copy_script() {
	{
		echo 'COPY :"sch".:"tbl" (:"c_id", :"c_since", :"c_until", :"c_branch", :"c_contract", :"c_region", :"c_reason", :"c_upd", :"c_prev") FROM STDIN;'
		q -c "COPY (SELECT id, since, until, branch, contract, region, cancel_reason, updated_at, prev_at
		              FROM t.stage_new WHERE batch = $1 ORDER BY id) TO STDOUT"
		echo '\.'
	} >"$2"
}

# ---------------------------------------------------------------------------
# A. search_path hijack
# ---------------------------------------------------------------------------
DB=$DBA
create_test_db "$DB" || { not_ok "A: create database with churn and the oracle schema"; exit 1; }
scaffold 0
q >/dev/null <<SQL || { not_ok "A: hand public.customers to $OWNER"; exit 1; }
GRANT CREATE ON SCHEMA public TO $OWNER;
GRANT USAGE ON SCHEMA churn, t TO $OWNER;
ALTER TABLE public.customers OWNER TO $OWNER;
GRANT SELECT, INSERT ON t.move_log, t.react_log TO $OWNER;
GRANT USAGE ON SEQUENCE t.move_log_seq_seq, t.react_log_seq_seq TO $OWNER;
GRANT SELECT ON t.stage, t.stage_new TO $OWNER;
SQL
A_VARS=(-v sch=public -v tbl=customers -v c_id=id -v c_since=since -v c_until=until -v c_branch=branch
	-v c_contract=contract -v c_region=region -v c_reason=cancel_reason -v c_upd=updated_at -v c_prev=prev_at
	-v c_nev=n_events)
new_batch 0 1 1500
q -v batch=0 "${A_VARS[@]}" <<<"$INSERT_SQL" || { not_ok "A: initial load"; exit 1; }
out=$(track_customers 2>&1) || { not_ok "A: churn.track: $out"; exit 1; }
ok "A: public.customers owned by $OWNER (no superuser, no privilege on churn's tables, USAGE on schema churn), tracked by the DBA"

# The look-alikes, created by the owner.
qo >"$work/hijack.out" 2>&1 <<'SQL'
SET search_path = pg_catalog;
CREATE TABLE public.hijack_calls (fn text, usr text, superuser text, query text);
GRANT SELECT, INSERT ON public.hijack_calls TO PUBLIC;
-- what an attacker would do with a superuser's session: make itself one
CREATE FUNCTION public.hijack_note(fn text) RETURNS bool LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
	INSERT INTO public.hijack_calls
	VALUES (fn, current_user, (SELECT CASE WHEN r.rolsuper THEN 'on' ELSE 'off' END FROM pg_roles r WHERE r.rolname = current_user),
			left(current_query(), 300));
	IF (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = current_user) THEN
		EXECUTE 'ALTER ROLE churn_hostile_owner SUPERUSER';
	END IF;
	RETURN true;
END $$;
DO $do$
DECLARE
	t text;
	op text;
	n int := 0;
	a record;
	wrong text;
BEGIN
	-- comparisons: the opposite answer
	FOREACH t IN ARRAY ARRAY['text', 'timestamptz', 'timestamp', 'date', 'jsonb', 'int8', 'int4', 'int2', '"char"',
							  'name', 'oid', 'bool', 'interval', 'numeric', 'float8', 'regclass'] LOOP
		FOREACH op IN ARRAY ARRAY['=', '<>', '<', '<=', '>', '>='] LOOP
			n := n + 1;
			EXECUTE format($f$CREATE FUNCTION public.hijack_%s(a pg_catalog.%s, b pg_catalog.%s) RETURNS bool
				LANGUAGE plpgsql SET search_path = pg_catalog AS $b$
				BEGIN PERFORM public.hijack_note(%L); RETURN NOT coalesce(a OPERATOR(pg_catalog.%s) b, false); END $b$$f$,
				n, t, t, format('%s(%s, %s)', op, t, t), op);
			EXECUTE format('CREATE OPERATOR public.%s (LEFTARG = pg_catalog.%s, RIGHTARG = pg_catalog.%s, FUNCTION = public.hijack_%s)',
				op, t, t, n);
		END LOOP;
	END LOOP;
	-- arithmetic: a result off by a year, a day, one, or an extra text
	FOR a IN SELECT * FROM (VALUES
			('+', 'timestamptz', 'interval', 'timestamptz'), ('-', 'timestamptz', 'interval', 'timestamptz'),
			('+', 'timestamp', 'interval', 'timestamp'), ('-', 'timestamp', 'interval', 'timestamp'),
			('-', 'timestamp', 'timestamp', 'interval'), ('-', 'timestamptz', 'timestamptz', 'interval'),
			('+', 'date', 'int4', 'date'), ('-', 'date', 'int4', 'date'), ('-', 'date', 'date', 'int4'),
			('+', 'date', 'interval', 'timestamp'), ('+', 'interval', 'interval', 'interval'),
			('+', 'int8', 'int8', 'int8'), ('-', 'int8', 'int8', 'int8'), ('+', 'int4', 'int4', 'int4'),
			('-', 'int4', 'int4', 'int4'), ('+', 'int8', 'int4', 'int8'), ('+', 'int4', 'int8', 'int8'),
			('*', 'int8', 'int8', 'int8'), ('+', 'numeric', 'numeric', 'numeric'),
			('||', 'text', 'text', 'text'), ('||', 'jsonb', 'jsonb', 'jsonb')) v(op, l, r, res) LOOP
		n := n + 1;
		wrong := CASE a.res WHEN 'timestamptz' THEN 'x OPERATOR(pg_catalog.+) interval ''1 year'''
							WHEN 'timestamp' THEN 'x OPERATOR(pg_catalog.+) interval ''1 year'''
							WHEN 'interval' THEN 'x OPERATOR(pg_catalog.+) interval ''1 day'''
							WHEN 'date' THEN 'x OPERATOR(pg_catalog.+) 1'
							WHEN 'text' THEN 'x OPERATOR(pg_catalog.||) ''X'''
							WHEN 'jsonb' THEN 'x OPERATOR(pg_catalog.||) ''{"hijacked": 1}'''
							ELSE 'x OPERATOR(pg_catalog.+) 1' END;
		EXECUTE format($f$CREATE FUNCTION public.hijack_%s(a pg_catalog.%s, b pg_catalog.%s) RETURNS pg_catalog.%s
			LANGUAGE plpgsql SET search_path = pg_catalog AS $b$
			DECLARE x pg_catalog.%s := a OPERATOR(pg_catalog.%s) b;
			BEGIN PERFORM public.hijack_note(%L); RETURN %s; END $b$$f$,
			n, a.l, a.r, a.res, a.res, a.op, format('%s(%s, %s)', a.op, a.l, a.r), wrong);
		EXECUTE format('CREATE OPERATOR public.%s (LEFTARG = pg_catalog.%s, RIGHTARG = pg_catalog.%s, FUNCTION = public.hijack_%s)',
			a.op, a.l, a.r, n);
	END LOOP;
END
$do$;
-- prefix minus, array concatenation (churn.history_entry[] and any array): drop the new part
CREATE FUNCTION public.hijack_neg4(a int4) RETURNS int4 LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('-(int4)'); RETURN a; END $$;
CREATE OPERATOR public.- (RIGHTARG = int4, FUNCTION = public.hijack_neg4);
CREATE FUNCTION public.hijack_neg8(a int8) RETURNS int8 LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('-(int8)'); RETURN a; END $$;
CREATE OPERATOR public.- (RIGHTARG = int8, FUNCTION = public.hijack_neg8);
CREATE FUNCTION public.hijack_cat_he(a churn.history_entry[], b churn.history_entry[]) RETURNS churn.history_entry[]
	LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('||(history_entry[], history_entry[])'); RETURN a; END $$;
CREATE OPERATOR public.|| (LEFTARG = churn.history_entry[], RIGHTARG = churn.history_entry[], FUNCTION = public.hijack_cat_he);
CREATE FUNCTION public.hijack_cat_any(a anycompatiblearray, b anycompatiblearray) RETURNS anycompatiblearray
	LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('||(anycompatiblearray, anycompatiblearray)'); RETURN a; END $$;
CREATE OPERATOR public.|| (LEFTARG = anycompatiblearray, RIGHTARG = anycompatiblearray, FUNCTION = public.hijack_cat_any);

-- functions of the names churn's SQL uses, with pg_catalog's signatures
CREATE FUNCTION public.now() RETURNS timestamptz LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('now()'); RETURN '1999-01-01 00:00+00'; END $$;
CREATE FUNCTION public.transaction_timestamp() RETURNS timestamptz LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('transaction_timestamp()'); RETURN '1999-01-01 00:00+00'; END $$;
CREATE FUNCTION public.statement_timestamp() RETURNS timestamptz LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('statement_timestamp()'); RETURN '1999-01-01 00:00+00'; END $$;
CREATE FUNCTION public.clock_timestamp() RETURNS timestamptz LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('clock_timestamp()'); RETURN '1999-01-01 00:00+00'; END $$;
CREATE FUNCTION public.timezone(z text, t timestamptz) RETURNS timestamp LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('timezone(text, timestamptz)'); RETURN timezone(z, t) + interval '1 year'; END $$;
CREATE FUNCTION public.timezone(z text, t timestamp) RETURNS timestamptz LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('timezone(text, timestamp)'); RETURN timezone(z, t) + interval '1 year'; END $$;
CREATE FUNCTION public.date_trunc(f text, t timestamptz) RETURNS timestamptz LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('date_trunc(text, timestamptz)'); RETURN t; END $$;
CREATE FUNCTION public.date_trunc(f text, t timestamp) RETURNS timestamp LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('date_trunc(text, timestamp)'); RETURN t; END $$;
CREATE FUNCTION public.date_trunc(f text, t timestamptz, z text) RETURNS timestamptz LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('date_trunc(text, timestamptz, text)'); RETURN t; END $$;
CREATE FUNCTION public.jsonb_build_object() RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('jsonb_build_object()'); RETURN '{"hijacked": 1}'; END $$;
CREATE FUNCTION public.jsonb_build_object(text, text) RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('jsonb_build_object(text, text)'); RETURN '{"hijacked": 1}'; END $$;
CREATE FUNCTION public.jsonb_build_object(text, text, text, text) RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('jsonb_build_object(text, text, text, text)'); RETURN '{"hijacked": 1}'; END $$;
CREATE FUNCTION public.to_jsonb(anyelement) RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('to_jsonb(anyelement)'); RETURN '{"hijacked": 1}'; END $$;
CREATE FUNCTION public.lower(x text) RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('lower(text)'); RETURN x || 'X'; END $$;
CREATE FUNCTION public.upper(x text) RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('upper(text)'); RETURN x || 'X'; END $$;
CREATE FUNCTION public.btrim(x text) RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('btrim(text)'); RETURN x || 'X'; END $$;
CREATE FUNCTION public.length(x text) RETURNS int4 LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('length(text)'); RETURN -1; END $$;
CREATE FUNCTION public.format(x text) RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('format(text)'); RETURN x || 'X'; END $$;
CREATE FUNCTION public.format(x text, y text) RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('format(text, text)'); RETURN x || 'X'; END $$;
CREATE FUNCTION public.quote_ident(x text) RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('quote_ident(text)'); RETURN x; END $$;
CREATE FUNCTION public.quote_literal(x text) RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('quote_literal(text)'); RETURN x; END $$;
CREATE FUNCTION public.quote_nullable(x text) RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('quote_nullable(text)'); RETURN x; END $$;
CREATE FUNCTION public.split_part(x text, d text, n int4) RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('split_part(text, text, int4)'); RETURN x; END $$;
CREATE FUNCTION public.make_interval(years int4 DEFAULT 0, months int4 DEFAULT 0, weeks int4 DEFAULT 0, days int4 DEFAULT 0,
	hours int4 DEFAULT 0, mins int4 DEFAULT 0, secs float8 DEFAULT 0) RETURNS interval LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('make_interval(...)'); RETURN interval '1 year'; END $$;
CREATE FUNCTION public.cardinality(x anyarray) RETURNS int4 LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('cardinality(anyarray)'); RETURN 0; END $$;
CREATE FUNCTION public.array_length(x anyarray, d int4) RETURNS int4 LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('array_length(anyarray, int4)'); RETURN 0; END $$;
CREATE FUNCTION public.array_position(x anycompatiblearray, e anycompatible) RETURNS int4 LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('array_position(anycompatiblearray, anycompatible)'); RETURN NULL; END $$;
CREATE FUNCTION public.current_setting(x text) RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('current_setting(text)'); RETURN 'hijacked'; END $$;
CREATE FUNCTION public.set_config(x text, y text, z bool) RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('set_config(text, text, bool)'); RETURN y; END $$;
CREATE FUNCTION public.pg_advisory_xact_lock(k int8) RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('pg_advisory_xact_lock(int8)'); END $$;
CREATE FUNCTION public.pg_try_advisory_xact_lock(k int8) RETURNS bool LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('pg_try_advisory_xact_lock(int8)'); RETURN true; END $$;
CREATE FUNCTION public.pg_has_role(r oid, p text) RETURNS bool LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('pg_has_role(oid, text)'); RETURN true; END $$;
CREATE FUNCTION public.format_type(t oid, m int4) RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('format_type(oid, int4)'); RETURN 'hijacked'; END $$;
CREATE FUNCTION public.abs(x float8) RETURNS float8 LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('abs(float8)'); RETURN -1; END $$;
CREATE FUNCTION public.round(x numeric, d int4) RETURNS numeric LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('round(numeric, int4)'); RETURN -1; END $$;
CREATE FUNCTION public.bucket_floor(t timestamp, w interval) RETURNS timestamp LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('bucket_floor(timestamp, interval)'); RETURN t; END $$;
CREATE FUNCTION public.texteq(a text, b text) RETURNS bool LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('texteq(text, text)'); RETURN NOT texteq(a, b); END $$;
CREATE FUNCTION public.unnest(x anyarray) RETURNS SETOF anyelement LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('unnest(anyarray)'); RETURN; END $$;
CREATE FUNCTION public.generate_series(a timestamp, b timestamp, s interval) RETURNS SETOF timestamp LANGUAGE plpgsql
	SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('generate_series(timestamp, timestamp, interval)'); RETURN; END $$;
CREATE FUNCTION public.generate_series(a timestamptz, b timestamptz, s interval) RETURNS SETOF timestamptz LANGUAGE plpgsql
	SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('generate_series(timestamptz, timestamptz, interval)'); RETURN; END $$;
CREATE FUNCTION public.generate_series(a int4, b int4) RETURNS SETOF int4 LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('generate_series(int4, int4)'); RETURN; END $$;

-- aggregates
CREATE FUNCTION public.hijack_sum8(s numeric, v int8) RETURNS numeric LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('sum(int8)'); RETURN coalesce(s, 0) + v + 1; END $$;
CREATE AGGREGATE public.sum(int8) (SFUNC = public.hijack_sum8, STYPE = numeric);
CREATE FUNCTION public.hijack_sum4(s int8, v int4) RETURNS int8 LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('sum(int4)'); RETURN coalesce(s, 0) + v + 1; END $$;
CREATE AGGREGATE public.sum(int4) (SFUNC = public.hijack_sum4, STYPE = int8);
CREATE FUNCTION public.hijack_count(s int8) RETURNS int8 LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('count(*)'); RETURN s + 2; END $$;
CREATE AGGREGATE public.count(*) (SFUNC = public.hijack_count, STYPE = int8, INITCOND = '0');
CREATE FUNCTION public.hijack_array_agg(s anyarray, v anynonarray) RETURNS anyarray LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('array_agg(anynonarray)'); RETURN s; END $$;
CREATE AGGREGATE public.array_agg(anynonarray) (SFUNC = public.hijack_array_agg, STYPE = anyarray);
CREATE FUNCTION public.hijack_max_ts(s timestamp, v timestamp) RETURNS timestamp LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('max/min(timestamp)'); RETURN '1999-01-01'; END $$;
CREATE AGGREGATE public.max(timestamp) (SFUNC = public.hijack_max_ts, STYPE = timestamp);
CREATE AGGREGATE public.min(timestamp) (SFUNC = public.hijack_max_ts, STYPE = timestamp);
CREATE FUNCTION public.hijack_max_tz(s timestamptz, v timestamptz) RETURNS timestamptz LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('max/min(timestamptz)'); RETURN '1999-01-01'; END $$;
CREATE AGGREGATE public.max(timestamptz) (SFUNC = public.hijack_max_tz, STYPE = timestamptz);
CREATE AGGREGATE public.min(timestamptz) (SFUNC = public.hijack_max_tz, STYPE = timestamptz);
CREATE FUNCTION public.hijack_max_i4(s int4, v int4) RETURNS int4 LANGUAGE plpgsql SET search_path = pg_catalog AS
	$$ BEGIN PERFORM public.hijack_note('max/min(int4)'); RETURN -1; END $$;
CREATE AGGREGATE public.max(int4) (SFUNC = public.hijack_max_i4, STYPE = int4);
CREATE AGGREGATE public.min(int4) (SFUNC = public.hijack_max_i4, STYPE = int4);

-- a type of the name "char" (churn's statements cast kinds to "char")
CREATE DOMAIN public."char" AS pg_catalog."char" CHECK (public.hijack_note('"char" (domain)'));
SQL
if [ $? -eq 0 ]; then
	ok "A: the owner created $(q -c "SELECT count(*) FROM pg_operator WHERE oprnamespace = 'public'::regnamespace") operators, $(q -c "SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::regnamespace AND proname NOT LIKE 'hijack%'") functions and aggregates named like pg_catalog's and a domain \"char\" in public"
else
	not_ok "A: the owner could not create its look-alikes"
	head -5 "$work/hijack.out" | sed 's/^/#   /'
	exit 1
fi
got=$(qo -c "SELECT 'a'::text = 'a'::text, extract(year FROM now()), (SELECT count(*) FROM (VALUES (1)) v)")
if [ "$got" = "f|1999|2" ]; then
	ok "A: the look-alikes win in the owner's session (search_path = public, pg_catalog): text = text is false, now() is 1999, count(*) of one row is 2"
else
	not_ok "A: the look-alikes do not win in the owner's session (got '$got'): this part would prove nothing"
fi
q -c "TRUNCATE public.hijack_calls"

# hijack_check WHEN: no look-alike was called since the last check
hijack_check() {
	local got
	got=$(q -c "SELECT fn || ' as ' || usr || CASE superuser WHEN 'on' THEN ' (superuser)' ELSE '' END || ': ' || count(*) || ' calls'
	              FROM public.hijack_calls GROUP BY fn, usr, superuser ORDER BY count(*) DESC")
	if [ -z "$got" ]; then
		ok "A: $1: no look-alike in public was called"
	else
		not_ok "A: $1: churn called the owner's look-alikes"
		head -12 <<<"$got" | sed 's/^/#   /'
		q -c "SELECT left(regexp_replace(query, '\s+', ' ', 'g'), 160) FROM public.hijack_calls LIMIT 1" | sed 's/^/#   during: /'
	fi
	q -c "TRUNCATE public.hijack_calls"
}
# writer_step WHAT STEP MODULUS [SETTINGS]: plan a step, apply it as the owner
writer_step() {
	plan "$2" "$3" public.customers
	if [ "$(q -c "SELECT count(*) > 0 FROM t.stage WHERE step = $2")" = t ] &&
		{ [ -n "${4:-}" ] && echo "$4"; echo "$APPLY_SQL"; } | qo -v step="$2" "${A_VARS[@]}" >/dev/null 2>"$work/a-step$2.err"; then
		ok "A: $1 ($(q -c "SELECT sum(n) || ' rows: ' || string_agg(n || ' ' || op, ', ' ORDER BY op) FROM (
			SELECT (ARRAY['cancel','move','reactivate','segment','since','until','reason','delete'])[op + 1] AS op, count(*) AS n
			  FROM t.stage WHERE step = $2 GROUP BY op) x")) as the owner under the hijacked search_path"
	else
		not_ok "A: $1 as the owner under the hijacked search_path failed"
		head -5 "$work/a-step$2.err" | sed 's/^/#   /'
	fi
}

new_batch 1 1501 1500
new_batch 2 3001 500
copy_script 2 "$work/a-copy.sql"
if qo -v batch=1 "${A_VARS[@]}" <<<"$INSERT_SQL" 2>"$work/a-insert.err" && qo "${A_VARS[@]}" -f "$work/a-copy.sql" 2>>"$work/a-insert.err"; then
	ok "A: INSERT ... SELECT of 1,500 customers and COPY of 500 as the owner under the hijacked search_path"
else
	not_ok "A: INSERT or COPY as the owner under the hijacked search_path failed"
	head -5 "$work/a-insert.err" | sed 's/^/#   /'
fi
writer_step "small UPDATE and DELETE (captured in C)" 1 97
hijack_check "INSERT, COPY and small statements captured in C"
check "A: churn.verify returns nothing after the statements captured in C" \
	"SELECT count(*) FROM churn.verify('public.customers')" "0"
check_diffs "A: after the statements captured in C"

writer_step "small UPDATE and DELETE with the set-based capture forced (churn.capture_fast_max = 0)" 2 89 "SET churn.capture_fast_max = 0;"
hijack_check "small statements through the set-based capture"
check "A: churn.verify returns nothing after the small set-based statements" \
	"SELECT count(*) FROM churn.verify('public.customers')" "0"
check_diffs "A: after the small set-based statements"

writer_step "UPDATE of more than 1,000 rows and DELETE (set-based capture)" 3 1
hijack_check "an UPDATE of more than 1,000 rows"
check "A: churn.verify returns nothing after the big UPDATE" \
	"SELECT count(*) FROM churn.verify('public.customers')" "0"
check_diffs "A: after the big UPDATE"

# The DBA's session with the owner's search_path: refresh, verify, rebuild.
got=$(qh -c "SELECT churn.refresh() OPERATOR(pg_catalog.>=) 0" -c "SELECT pg_catalog.count(*) FROM churn.verify('public.customers')" 2>&1)
exp_verify=$(q -c "SELECT count(*) FROM churn.verify('public.customers')")
if [ "$got" = "t
$exp_verify" ]; then
	ok "A: churn.refresh() and churn.verify() in a session with search_path = public, pg_catalog: no error, verify as in a clean session ($exp_verify rows)"
else
	not_ok "A: churn.refresh() / churn.verify() under the hijacked search_path: $(head -3 <<<"$got" | tr '\n' ' ')"
fi
hijack_check "churn.refresh() and churn.verify() under the hijacked search_path"
if qh -c "SELECT churn.rebuild('public.customers')" >/dev/null 2>"$work/a-rebuild.err"; then
	ok "A: churn.rebuild() under the hijacked search_path"
else
	not_ok "A: churn.rebuild() under the hijacked search_path: $(head -2 "$work/a-rebuild.err" | tr '\n' ' ')"
fi
hijack_check "churn.rebuild() under the hijacked search_path"
check "A: churn.verify returns nothing after refresh and rebuild" \
	"SELECT count(*) FROM churn.verify('public.customers')" "0"
check_diffs "A: after refresh and rebuild under the hijacked search_path"
check "A: the owner is still no superuser (a look-alike run by a superuser makes it one)" \
	"SELECT rolsuper FROM pg_roles WHERE rolname = '$OWNER'" "f"
q -c "ALTER ROLE $OWNER NOSUPERUSER" >/dev/null

# ---------------------------------------------------------------------------
# B. hostile identifiers
# ---------------------------------------------------------------------------
SCH='Sch"ema; DROP TABLE public.canary; --'
TBL='Cust; DROP TABLE x;--'
C_CONTRACT='MiXeD'
C_REGION="Seg'2 %s %I \\N é"
B_NAMES=(
	-v sch="$SCH" -v tbl="$TBL"
	-v c_id='a"b'
	-v c_since='since date'
	-v c_until="Until'); DROP TABLE public.canary; --"
	-v c_branch='Kanäl \ "ü" $1'
	-v c_contract="$C_CONTRACT"
	-v c_region="$C_REGION"
	-v c_reason='reason) OR (1=1'
	-v c_upd='chänged"at'
	-v c_prev='prev at'
	-v c_nev='n; events'
)
DB=$DBB
PGOPTIONS="-c client_min_messages=warning" "$PGBIN/psql" -X -q -d postgres -c "CREATE DATABASE $DB" \
	-c "ALTER DATABASE $DB SET TimeZone = 'UTC'" -c "ALTER DATABASE $DB SET jit = off" ||
	{ not_ok "B: create database"; exit 1; }
q "${B_NAMES[@]}" >"$work/b-setup.out" 2>&1 <<'SQL'
CREATE EXTENSION churn;
CREATE TABLE public.canary (v int);
INSERT INTO public.canary VALUES (1);
CREATE TABLE public.x (v int);
INSERT INTO public.x VALUES (1);
CREATE SCHEMA :"sch";
-- the tracked table; "mixed" is a decoy of "MiXeD" (what an unquoted
-- identifier would fold to)
CREATE TABLE :"sch".:"tbl" (
	:"c_id" bigint PRIMARY KEY,
	:"c_since" timestamptz NOT NULL,
	:"c_until" timestamptz,
	:"c_branch" text NOT NULL,
	mixed text NOT NULL DEFAULT 'decoy',
	:"c_contract" text NOT NULL,
	:"c_region" text NOT NULL,
	:"c_reason" text,
	:"c_upd" timestamptz NOT NULL,
	:"c_nev" int NOT NULL DEFAULT 0,
	:"c_prev" timestamptz NOT NULL
);
-- a decoy of the same name in public, with rows of its own
CREATE TABLE public.:"tbl" (LIKE :"sch".:"tbl" INCLUDING ALL);
INSERT INTO public.:"tbl" (:"c_id", :"c_since", :"c_branch", :"c_contract", :"c_region", :"c_upd", :"c_prev")
SELECT i, '2024-01-01', 'decoy', 'decoy', 'decoy', '2024-01-01', '2024-01-01' FROM generate_series(1, 500) i;
-- the oracle reads the table through a view with the suites' column names
CREATE SCHEMA src;
CREATE VIEW src.customers AS
SELECT :"c_id" AS id, :"c_since" AS since, :"c_until" AS until, :"c_branch" AS branch, :"c_contract" AS contract,
	   :"c_region" AS region, :"c_reason" AS cancel_reason, :"c_upd" AS updated_at, :"c_nev" AS n_events,
	   :"c_prev" AS prev_at
  FROM :"sch".:"tbl";
SQL
[ $? -eq 0 ] || { not_ok "B: create the schema, the table and its decoys"; sed 's/^/#   /' "$work/b-setup.out" | head; exit 1; }
REL=$(q "${B_NAMES[@]}" <<<"SELECT format('%I.%I', :'sch', :'tbl');")
RELQ=$(sed "s/'/''/g" <<<"$REL")	# as an SQL literal
info "B: the tracked table is $REL"
q -v source=src.customers -v relation="$REL" -v contract_key="$C_CONTRACT" -v region_key="$C_REGION" \
	-f "$here/summary_oracle.sql" >/dev/null || { not_ok "B: the oracle over the table"; exit 1; }
scaffold 1

# catalog: every object of the database (and the roles), to compare before
# track and after untrack
catalog() {
	q >"$1" <<'SQL'
SELECT x FROM (
	SELECT 'relation ' || c.oid::regclass::text || ' ' || c.relkind::text AS x FROM pg_class c
	 WHERE c.relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace, 'pg_toast'::regnamespace)
	UNION ALL
	SELECT 'column ' || a.attrelid::regclass::text || ' ' || quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod)
	  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
	 WHERE a.attnum > 0 AND NOT a.attisdropped
	   AND c.relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace, 'pg_toast'::regnamespace)
	UNION ALL
	SELECT 'function ' || p.oid::regprocedure::text FROM pg_proc p
	 WHERE p.pronamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
	UNION ALL
	SELECT 'trigger ' || g.tgrelid::regclass::text || ' ' || quote_ident(g.tgname) || ' ' || g.tgenabled::text FROM pg_trigger g
	UNION ALL
	SELECT 'schema ' || quote_ident(nspname) FROM pg_namespace
	UNION ALL
	SELECT 'type ' || t.oid::regtype::text FROM pg_type t
	 WHERE t.typnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace, 'pg_toast'::regnamespace)
	UNION ALL
	SELECT 'role ' || quote_ident(rolname) FROM pg_roles
	UNION ALL
	SELECT 'event trigger ' || quote_ident(evtname) || ' ' || evtenabled::text FROM pg_event_trigger
	UNION ALL
	SELECT 'policy ' || polname FROM pg_policy
	UNION ALL
	SELECT 'rule ' || ev_class::regclass::text || ' ' || rulename FROM pg_rewrite
	 WHERE ev_class NOT IN (SELECT oid FROM pg_class WHERE relnamespace IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace))
	UNION ALL
	SELECT 'publication ' || pubname FROM pg_publication
	UNION ALL
	SELECT 'database ' || datname FROM pg_database WHERE datname NOT LIKE 'churn%' AND datname NOT LIKE 'regression%'
) s ORDER BY x COLLATE "C";
SQL
}
# b_write WHAT FILE-OR-SQL...: run psql text with the names as the DBA
b_run() { q "${B_NAMES[@]}" "$@"; }
b_step() {
	plan "$2" "$3" src.customers
	if [ "$(q -c "SELECT count(*) > 0 FROM t.stage WHERE step = $2")" = t ] &&
		{ [ -n "${4:-}" ] && echo "$4"; echo "$APPLY_SQL"; } | b_run -v step="$2" >/dev/null 2>"$work/b-step$2.err"; then
		ok "B: $1 ($(q -c "SELECT count(*) FROM t.stage WHERE step = $2") rows: moves, cancellations, reactivations, corrections, deletes)"
	else
		not_ok "B: $1 failed"
		head -5 "$work/b-step$2.err" | sed 's/^/#   /'
	fi
}
canaries() {
	check "B: $1: the canaries public.canary and public.x and the decoy table in public are untouched" \
		"SELECT (SELECT count(*) FROM public.canary) || ' ' || (SELECT count(*) FROM public.x) || ' '
		        || (SELECT count(*) FROM public.\"Cust; DROP TABLE x;--\")" "1 1 500"
}

new_batch 0 1 1200
b_run -v batch=0 <<<"$INSERT_SQL" || { not_ok "B: initial load"; exit 1; }
catalog "$work/catalog-before.txt"
if b_run >"$work/b-track.out" 2>&1 <<'SQL'
SELECT churn.track(format('%I.%I', :'sch', :'tbl')::regclass, customer => :'c_id', since => :'c_since',
	until => :'c_until', channel => :'c_branch', segments => ARRAY[:'c_contract', :'c_region']::name[],
	reason => :'c_reason', changed_at => :'c_upd', bucket => '1 month');
SQL
then
	ok "B: churn.track of $REL, every column named with quotes, semicolons, spaces, backslashes, \$1, %s, mixed case or non-ASCII"
else
	not_ok "B: churn.track of $REL"
	head -5 "$work/b-track.out" | sed 's/^/#   /'
	exit 1
fi
check "B: churn.tracked_table holds the names as given" \
	"SELECT customer_column || '|' || since_column || '|' || until_column || '|' || channel_column || '|'
	        || array_to_string(segment_columns, '|') || '|' || reason_column || '|' || changed_at_column
	   FROM churn.tracked_table WHERE relid = '$RELQ'::regclass" \
	"a\"b|since date|Until'); DROP TABLE public.canary; --|Kanäl \\ \"ü\" \$1|MiXeD|$C_REGION|reason) OR (1=1|chänged\"at"
check_diffs "B: after the back-fill of 1,200 customers"
canaries "after track"

new_batch 1 1201 1000
new_batch 2 2201 400
copy_script 2 "$work/b-copy.sql"
if b_run -v batch=1 <<<"$INSERT_SQL" 2>"$work/b-insert.err" && b_run -f "$work/b-copy.sql" 2>>"$work/b-insert.err"; then
	ok "B: INSERT ... SELECT of 1,000 customers and COPY of 400 with values holding quotes, backslashes, JSON and emoji"
else
	not_ok "B: INSERT or COPY failed"
	head -5 "$work/b-insert.err" | sed 's/^/#   /'
fi
b_step "small UPDATE and DELETE (captured in C)" 1 61
b_step "small UPDATE and DELETE with the set-based capture forced" 2 53 "SET churn.capture_fast_max = 0;"
b_step "UPDATE of more than 1,000 rows and DELETE (set-based capture)" 3 1
got=$(b_run <<'SQL'
SELECT (SELECT count(DISTINCT channel) FROM churn.churn_summary WHERE relation = format('%I.%I', :'sch', :'tbl')::regclass)
	   || ' ' || (SELECT count(DISTINCT segment ->> :'c_contract') FROM churn.churn_summary WHERE relation = format('%I.%I', :'sch', :'tbl')::regclass)
	   || ' ' || (SELECT count(DISTINCT segment ->> :'c_region') FROM churn.churn_summary WHERE relation = format('%I.%I', :'sch', :'tbl')::regclass)
	   || ' ' || (SELECT count(DISTINCT reason) FROM churn.churn_reasons WHERE relation = format('%I.%I', :'sch', :'tbl')::regclass)
	   || ' ' || ((SELECT count(*) FROM churn.diversion_summary WHERE relation = format('%I.%I', :'sch', :'tbl')::regclass) > 0)
SQL
)
if [ "$got" = "6 3 4 4 true" ]; then
	ok "B: the summaries hold every hostile value: 6 channels, 3 + 4 segment values, 4 reasons, and moves"
else
	not_ok "B: the summaries lack some of the hostile values (channels, contracts, regions, reasons, moves: $got)"
fi
check "B: churn.verify returns nothing (deltas pending)" \
	"SELECT count(*) FROM churn.verify('$RELQ')" "0"
check_diffs "B: after the writes, before refresh"
q -c "SELECT churn.refresh('$RELQ')" >/dev/null 2>"$work/b-refresh.err" &&
	ok "B: churn.refresh of the table" || not_ok "B: churn.refresh: $(head -2 "$work/b-refresh.err")"
check "B: churn.verify returns nothing after refresh" \
	"SELECT count(*) FROM churn.verify('$RELQ')" "0"
check_diffs "B: after refresh"
q -c "SELECT churn.rebuild('$RELQ')" >/dev/null 2>"$work/b-rebuild.err" &&
	ok "B: churn.rebuild of the table" || not_ok "B: churn.rebuild: $(head -2 "$work/b-rebuild.err")"
check_diffs "B: after rebuild"
check "B: churn.verify returns nothing after rebuild" \
	"SELECT count(*) FROM churn.verify('$RELQ')" "0"
new_batch 3 3001 300
if q -c "SELECT churn.suspend('$RELQ')" >/dev/null 2>"$work/b-suspend.err" &&
	b_run -v batch=3 <<<"$INSERT_SQL" 2>>"$work/b-suspend.err" &&
	q -c "SELECT churn.resume('$RELQ')" >/dev/null 2>>"$work/b-suspend.err"; then
	ok "B: churn.suspend, an INSERT of 300 customers, churn.resume"
else
	not_ok "B: suspend / insert / resume: $(head -2 "$work/b-suspend.err")"
fi
check "B: churn.verify returns nothing after resume" \
	"SELECT count(*) FROM churn.verify('$RELQ')" "0"
check_diffs "B: after suspend and resume"
check "B: churn.health() reports the table ok" \
	"SELECT status FROM churn.health() WHERE relation = '$RELQ'::regclass" "ok"
canaries "after the writes"
if b_run >/dev/null 2>"$work/b-truncate.err" <<<'TRUNCATE :"sch".:"tbl";'; then
	ok "B: TRUNCATE of the tracked table"
else
	not_ok "B: TRUNCATE: $(head -2 "$work/b-truncate.err")"
fi
check "B: after TRUNCATE the summaries of the table are empty and churn.verify returns nothing" \
	"SELECT (SELECT count(*) FROM churn.churn_summary WHERE relation = '$RELQ'::regclass)
	      + (SELECT count(*) FROM churn.verify('$RELQ'))" "0"
q -c "SELECT churn.untrack('$RELQ')" >/dev/null 2>"$work/b-untrack.err" &&
	ok "B: churn.untrack of the table" || not_ok "B: churn.untrack: $(head -2 "$work/b-untrack.err")"
catalog "$work/catalog-after.txt"
if [ -s "$work/catalog-before.txt" ] && cmp -s "$work/catalog-before.txt" "$work/catalog-after.txt"; then
	ok "B: after untrack the catalogs hold exactly the objects they held before track ($(grep -c . "$work/catalog-before.txt") relations, columns, functions, triggers, schemas, types, roles ...)"
else
	not_ok "B: the catalogs differ from before track"
	diff "$work/catalog-before.txt" "$work/catalog-after.txt" | head -10 | sed 's/^/#   /'
fi
check "B: nothing of the table is left in churn's tables" \
	"SELECT (SELECT count(*) FROM churn.tracked_table) + (SELECT count(*) FROM churn.summary)
	      + (SELECT count(*) FROM churn.summary_delta) + (SELECT count(*) FROM churn.history)" "0"

# A partitioned table and partitions of such names: one partition created
# and one attached after track (churn's event trigger puts the triggers on
# them and rebuilds), one detached.
P_NAMES=(-v sch="$SCH" -v ptbl='P"art; DROP TABLE x;--' -v p0="p0 '; DROP TABLE public.canary; --" -v p1='p1 \ é'
	-v p2='p2 "new"' -v p3='p3 $1 %s attach' -v c_id='a"b' -v c_since='since date'
	-v c_until="Until'); DROP TABLE public.canary; --" -v c_branch='Kanäl \ "ü" $1' -v c_reason='reason) OR (1=1')
p_sql() { q "${P_NAMES[@]}" "$@"; }
p_sql >"$work/p.out" 2>&1 <<'SQL'
CREATE TABLE :"sch".:"ptbl" (:"c_id" bigint PRIMARY KEY, :"c_since" timestamptz NOT NULL, :"c_until" timestamptz,
	:"c_branch" text NOT NULL, :"c_reason" text) PARTITION BY RANGE (:"c_id");
CREATE TABLE :"sch".:"p0" PARTITION OF :"sch".:"ptbl" FOR VALUES FROM (1) TO (1001);
CREATE TABLE :"sch".:"p1" PARTITION OF :"sch".:"ptbl" FOR VALUES FROM (1001) TO (2001);
INSERT INTO :"sch".:"ptbl" SELECT i, timestamptz '2024-01-01 00:00+00' + i * interval '4 hours', NULL, t.val('branch', i), NULL
  FROM generate_series(1, 2000) i;
SELECT churn.track(format('%I.%I', :'sch', :'ptbl')::regclass, customer => :'c_id', since => :'c_since',
	until => :'c_until', channel => :'c_branch', reason => :'c_reason');
CREATE TABLE :"sch".:"p2" PARTITION OF :"sch".:"ptbl" FOR VALUES FROM (2001) TO (3001);
CREATE TABLE :"sch".:"p3" (LIKE :"sch".:"ptbl");
INSERT INTO :"sch".:"p3" SELECT i, timestamptz '2024-01-01 00:00+00' + i * interval '4 hours', NULL, t.val('branch', i), NULL
  FROM generate_series(3001, 4000) i;
ALTER TABLE :"sch".:"ptbl" ATTACH PARTITION :"sch".:"p3" FOR VALUES FROM (3001) TO (4001);
INSERT INTO :"sch".:"ptbl" SELECT i, timestamptz '2024-01-01 00:00+00' + i * interval '4 hours', NULL, t.val('branch', i), NULL
  FROM generate_series(2001, 3000) i;
-- cancellations everywhere, moves, a partition written directly
UPDATE :"sch".:"ptbl" SET :"c_until" = :"c_since" + interval '40 days', :"c_reason" = t.val('reason', :"c_id")
 WHERE :"c_id" % 3 = 0;
UPDATE :"sch".:"ptbl" SET :"c_branch" = t.val('branch', :"c_id" + 1) WHERE :"c_id" % 5 = 0 AND :"c_until" IS NULL;
UPDATE :"sch".:"p1" SET :"c_until" = :"c_since" + interval '90 days' WHERE :"c_id" % 7 = 1 AND :"c_until" IS NULL;
DELETE FROM :"sch".:"p2" WHERE :"c_id" % 11 = 0;
SQL
if [ $? -eq 0 ]; then
	ok "B: a partitioned table and partitions of hostile names: track, CREATE ... PARTITION OF and ATTACH after track, writes through the parent and a partition"
else
	not_ok "B: the partitioned table: $(grep -m2 ERROR "$work/p.out")"
fi
# p_check WHEN: verify is empty, and over all channels new = rows, lost =
# rows with an until, the current month's at_end = rows without one
p_check() {
	local got
	got=$(p_sql 2>&1 <<'SQL'
SELECT format('%I.%I', :'sch', :'ptbl') AS rel \gset
SELECT (SELECT count(*) FROM churn.verify(:'rel'))
	   || ' ' || (SELECT sum(new) = (SELECT count(*) FROM :"sch".:"ptbl")
			   AND sum(lost) = (SELECT count(:"c_until") FROM :"sch".:"ptbl")
			   AND sum(at_end) FILTER (WHERE bucket_start = date_trunc('month', now()))
				   = (SELECT count(*) FILTER (WHERE :"c_until" IS NULL) FROM :"sch".:"ptbl")
				FROM churn.churn_summary WHERE relation = :'rel'::regclass)
SQL
)
	if [ "$got" = "0 true" ]; then
		ok "B: partitioned table, $1: churn.verify returns nothing; new, lost and the current at_end equal counts of the rows"
	else
		not_ok "B: partitioned table, $1: $got"
	fi
}
p_check "after the writes"
p_sql >"$work/p2.out" 2>&1 <<<'ALTER TABLE :"sch".:"ptbl" DETACH PARTITION :"sch".:"p0";' &&
	ok "B: DETACH of a partition of the partitioned table" || not_ok "B: DETACH: $(grep -m2 ERROR "$work/p2.out")"
p_check "after DETACH"
p_sql >"$work/p3.out" 2>&1 <<<"SELECT churn.untrack(format('%I.%I', :'sch', :'ptbl')::regclass);" &&
	ok "B: churn.untrack of the partitioned table" || not_ok "B: untrack of the partitioned table: $(grep -m2 ERROR "$work/p3.out")"
check "B: no churn trigger left on the partitioned table or any partition" \
	"SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'churn%'" "0"
canaries "at the end"

if [ $failed -eq 0 ]; then
	for d in $DBA $DBB; do
		"$PGBIN/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $d" >/dev/null 2>&1
	done
	"$PGBIN/psql" -X -q -d postgres -c "DROP ROLE IF EXISTS $OWNER" >/dev/null 2>&1
fi
[ $failed -eq 0 ]
