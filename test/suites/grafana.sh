#!/bin/bash
# test/suites/grafana.sh: every panel of grafana/dashboards/churn.json, run
# the way Grafana runs it, against the demo data, as the read-only role.
#
# 1. Loads demo/generate.sql (a smaller customer base), tracks it as the demo
#    does (demo/track.sql) and replays its history through the triggers
#    (demo/replay.sql).  A plain PL/pgSQL audit trigger, installed before the
#    replay, logs every lifecycle state change: with the generator's event
#    log it is the independent truth the panels are compared with.
# 2. Creates the role churn_reader with churn.grant_reader() plus the
#    column grants the survival and NPS panels need, and checks what it can
#    and cannot do.
# 3. Python (Debian's python3, standard library only) reads the dashboard and
#    the provisioning files, expands each query as Grafana does (template
#    variables as the PostgreSQL data source formats them, then the backend
#    macros), runs it with psql as churn_reader, and checks the columns and
#    their types (time series: a "time" timestamptz column, ascending), that
#    rows are there, and every value against a plain-SQL computation over
#    the generator's event log and the base tables.

set -u
DB=churn_grafana
ROOT=${CHURN_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
failed=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; failed=1; }
q() { "$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

"$PGBIN/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" \
	-c "ALTER DATABASE $DB SET TimeZone = 'UTC'" >/dev/null 2>&1 || { notok "create database"; exit 1; }

# --- data -------------------------------------------------------------------
setup_log=$CHURN_TMP/grafana-setup.log
if q -v n=3000 -v seed=0.17 >"$setup_log" 2>&1 <<SQL
SET client_min_messages = warning;
CREATE EXTENSION churn;
\ir $ROOT/demo/generate.sql
-- the independent record of lifecycle states: a plain row trigger
CREATE TABLE state_log (customer_id bigint, at timestamptz, from_state text, to_state text);
CREATE FUNCTION log_state() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
	IF TG_OP = 'INSERT' THEN
		INSERT INTO state_log VALUES (NEW.id, NEW.updated_at, NULL, NEW.status::text);
	ELSIF OLD.status IS DISTINCT FROM NEW.status THEN
		INSERT INTO state_log VALUES (NEW.id, NEW.updated_at, OLD.status::text, NEW.status::text);
	END IF;
	RETURN NULL;
END
\$\$;
CREATE TRIGGER log_state AFTER INSERT OR UPDATE ON customers FOR EACH ROW EXECUTE FUNCTION log_state();
\ir $ROOT/demo/track.sql
\ir $ROOT/demo/replay.sql
SQL
then
	ok "demo data generated, tracked and replayed through the triggers"
else
	tail -30 "$setup_log" >&2
	notok "demo data generated, tracked and replayed through the triggers"
	exit 1
fi

n=$(q -c "SELECT count(*) FROM churn.verify('customers')" 2>&1)
[ "$n" = 0 ] && ok "churn.verify finds no difference after the replay" || notok "churn.verify after the replay: $n"

# --- the reader role --------------------------------------------------------
if q >/dev/null 2>"$CHURN_TMP/grafana-role.err" <<'SQL'
SET client_min_messages = warning;
DROP ROLE IF EXISTS churn_reader;
CREATE ROLE churn_reader LOGIN;
SELECT churn.grant_reader('churn_reader');
-- the survival and NPS panels read these columns of the base tables
GRANT SELECT (id, signed_up, cancelled_at, branch, contract) ON customers TO churn_reader;
GRANT SELECT (customer_id, answered_at, score) ON surveys TO churn_reader;
SQL
then
	ok "churn_reader created with churn.grant_reader() and column grants"
else
	cat "$CHURN_TMP/grafana-role.err" >&2
	notok "churn_reader created with churn.grant_reader() and column grants"
fi

# reader_may SQL: must succeed as churn_reader; reader_may_not SQL: must fail
# with SQLSTATE 42501 (insufficient privilege).
reader_may() {
	local out
	if out=$("$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -U churn_reader -d "$DB" -c "$1" 2>&1); then
		ok "churn_reader may: $1"
	else
		notok "churn_reader may: $1 ($out)"
	fi
}
reader_may_not() {
	local out
	out=$("$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -v VERBOSITY=sqlstate -U churn_reader -d "$DB" \
		-c "\\set VERBOSITY sqlstate" -c "$1" 2>&1)
	if [ $? -ne 0 ] && printf '%s' "$out" | grep -q '42501'; then
		ok "churn_reader may not: $1"
	else
		notok "churn_reader may not: $1 (got: $out)"
	fi
}
reader_may "SELECT count(*) FROM churn.churn_summary"
reader_may "SELECT count(*) FROM churn.churn_reasons"
reader_may "SELECT count(*) FROM churn.diversion_summary"
reader_may "SELECT count(*) FROM churn.lifecycle_summary"
reader_may "SELECT churn.nps(score) FROM surveys"
reader_may "SELECT churn.median_lifetime(churn.survival(extract(epoch FROM coalesce(cancelled_at, now()) - signed_up), cancelled_at IS NOT NULL)) FROM customers"
reader_may_not "SELECT churn.refresh()"
reader_may_not "SELECT churn.track('customers', customer => 'id', since => 'signed_up', until => 'cancelled_at')"
reader_may_not "SELECT churn.untrack('customers')"
reader_may_not "SELECT churn.rebuild('customers')"
reader_may_not "SELECT churn.suspend('customers')"
reader_may_not "SELECT churn.resume('customers')"
reader_may_not "CALL churn.advance_lifecycle('customers')"
reader_may_not "SELECT churn.grant_reader('churn_reader')"
reader_may_not "UPDATE customers SET branch = 'x' WHERE id = 1"
reader_may_not "INSERT INTO surveys VALUES (1, now(), 10)"
reader_may_not "SELECT last_activity FROM customers"
reader_may_not "SELECT * FROM customer_events"
# views: SELECT only (writing a view fails before the privilege check)
n=$(q -c "SELECT count(*) FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
		  WHERE s.nspname = 'churn' AND c.relkind = 'v'
			AND has_table_privilege('churn_reader', c.oid, 'INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER')")
[ "$n" = 0 ] && ok "churn_reader has no privilege but SELECT on any churn view" ||
	notok "churn_reader has no privilege but SELECT on any churn view ($n views)"
for t in $(q -c "SELECT c.oid::regclass FROM pg_depend d JOIN pg_class c ON c.oid = d.objid AND d.classid = 'pg_class'::regclass
				  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'churn'
				 WHERE d.deptype = 'e' AND c.relkind IN ('r', 'p') ORDER BY 1"); do
	reader_may_not "SELECT * FROM $t"
done

# --- the panels -------------------------------------------------------------
PGDATABASE=$DB /usr/bin/python3 - "$ROOT" <<'PY'
import csv
import io
import json
import math
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone

ROOT = sys.argv[1]
PSQL = [os.path.join(os.environ["PGBIN"], "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
        "-d", os.environ["PGDATABASE"]]
failures = 0


def ok(msg):
    print("ok - " + msg, flush=True)


def not_ok(msg, detail=None):
    global failures
    failures += 1
    print("not ok - " + msg, flush=True)
    if detail:
        for line in str(detail).splitlines()[:25]:
            print("#   " + line, flush=True)


def psql(sql, user=None, timezone_name=None, describe=False):
    """Run one statement; return (columns [(name, type)] or rows [[str]])."""
    args = PSQL + ["--csv"]
    if user:
        args += ["-U", user]
    env = dict(os.environ)
    if timezone_name:
        env["PGTZ"] = timezone_name
    text = sql.rstrip().rstrip(";") + ("\n\\gdesc\n" if describe else "\n\\g\n")
    res = subprocess.run(args, input=text, capture_output=True, text=True, env=env)
    if res.returncode != 0:
        raise RuntimeError(res.stderr.strip() or "psql failed")
    rows = list(csv.reader(io.StringIO(res.stdout)))
    return rows[0], rows[1:]


# ---- Grafana's expansion ---------------------------------------------------
#
# Front end (public/app/features/templating/template_srv.ts, the SQL data
# sources' interpolateVariable in packages/grafana-sql): $var, ${var} and
# [[var]] name a dashboard variable; unknown names are left alone.  A
# variable that is multi-value or has "Include All" formats each value as a
# quoted literal ('a', with ' doubled) joined by commas; "All" without a
# custom all value means every option's value; a single-value variable's
# value is inserted with ' doubled but without quotes.
#
# Back end (pkg/tsdb/grafana-postgresql-datasource: sqleng Interpolate, then
# macros.go): $__interval_ms, $__interval, $__unixEpochFrom(),
# $__unixEpochTo() are plain replacements; then every $name(args) is a macro:
# $__timeFilter(c) -> c BETWEEN 'from' AND 'to', $__timeFrom() -> 'from',
# $__timeTo() -> 'to', times in UTC formatted with Go's time.RFC3339Nano;
# an unknown macro is an error.

VAR_RE = re.compile(r"\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^\}]+))?(?::([^\}]+))?\}")
MACRO_RE = re.compile(r"\$([_a-zA-Z0-9]+)\(([^\)]*)\)")


def quote_literal(v):
    return "'" + str(v).replace("'", "''") + "'"


def interpolate_variables(sql, variables, selection):
    """variables: name -> dashboard variable model; selection: name -> value
    (a list for multi-value variables, the string '$__all' for All)."""
    def repl(m):
        name = m.group(1) or m.group(2) or m.group(4)
        fmt = m.group(3) or m.group(6)
        if name not in variables:
            return m.group(0)
        if fmt:
            raise ValueError("variable format :%s is not modelled by this test" % fmt)
        var = variables[name]
        value = selection[name]
        if value == "$__all":
            if var.get("allValue"):
                return var["allValue"]
            value = [o for o in var["_options"]]
        if isinstance(value, list):
            return ",".join(quote_literal(v) for v in value)
        if var.get("multi") or var.get("includeAll"):
            return quote_literal(value)
        return str(value).replace("'", "''")
    return VAR_RE.sub(repl, sql)


def rfc3339nano(ts):
    """Go's time.RFC3339Nano of a UTC time: fraction without trailing zeros."""
    ts = ts.astimezone(timezone.utc)
    s = ts.strftime("%Y-%m-%dT%H:%M:%S")
    if ts.microsecond:
        s += ("." + "%06d" % ts.microsecond).rstrip("0")
    return s + "Z"


def expand_macros(sql, t_from, t_to):
    sql = sql.replace("$__interval_ms", "60000").replace("$__interval", "1m")
    sql = sql.replace("$__unixEpochFrom()", str(int(t_from.timestamp())))
    sql = sql.replace("$__unixEpochTo()", str(int(t_to.timestamp())))
    f, t = rfc3339nano(t_from), rfc3339nano(t_to)

    def repl(m):
        name = m.group(1)
        args = [a.strip(" ") for a in m.group(2).split(",")]
        if name == "__timeFilter":
            return "%s BETWEEN '%s' AND '%s'" % (args[0], f, t)
        if name == "__timeFrom":
            return "'%s'" % f
        if name == "__timeTo":
            return "'%s'" % t
        if name == "__time":
            return '%s AS "time"' % args[0]
        if name == "__timeEpoch":
            return 'extract(epoch from %s) as "time"' % args[0]
        if name == "__unixEpochFilter":
            return "%s >= %d AND %s <= %d" % (args[0], int(t_from.timestamp()), args[0], int(t_to.timestamp()))
        raise ValueError("unknown macro %r" % name)
    return MACRO_RE.sub(repl, sql)


# self-test of the expansion against the documented examples
assert rfc3339nano(datetime(2017, 7, 18, 11, 15, 52, tzinfo=timezone.utc)) == "2017-07-18T11:15:52Z"
assert rfc3339nano(datetime(2017, 7, 18, 11, 15, 52, 250000, tzinfo=timezone.utc)) == "2017-07-18T11:15:52.25Z"
_v = {"c": {"multi": True, "includeAll": True, "_options": ["a", "b"]}, "s": {"multi": False}}
assert interpolate_variables("x IN ($c) AND y = '$s' AND [[c]] ${c}", _v, {"c": ["o'k", "b"], "s": "it's"}) == \
    "x IN ('o''k','b') AND y = 'it''s' AND 'o''k','b' 'o''k','b'"
assert interpolate_variables("$c $cc $__timeFilter(t)", _v, {"c": "$__all", "s": ""}) == "'a','b' $cc $__timeFilter(t)"
assert expand_macros("$__timeFilter( t ) AND $__timeFrom() < $__timeTo()",
                     datetime(2020, 1, 1, tzinfo=timezone.utc), datetime(2020, 2, 1, 0, 0, 0, 5000, tzinfo=timezone.utc)) == \
    "t BETWEEN '2020-01-01T00:00:00Z' AND '2020-02-01T00:00:00.005Z' AND '2020-01-01T00:00:00Z' < '2020-02-01T00:00:00.005Z'"
ok("the macro and variable expansion reproduces Grafana's documented examples")

# ---- the dashboard and the provisioning files ------------------------------
dash_path = os.path.join(ROOT, "grafana/dashboards/churn.json")
try:
    dash = json.load(open(dash_path))
    ok("dashboard JSON parses")
except Exception as e:
    not_ok("dashboard JSON parses", e)
    sys.exit(1)

ds_yaml = open(os.path.join(ROOT, "grafana/provisioning/datasources/churn.yaml")).read()
db_yaml = open(os.path.join(ROOT, "grafana/provisioning/dashboards/churn.yaml")).read()
m = re.search(r"^\s+uid:\s*(\S+)", ds_yaml, re.M)
ds_uid = m.group(1) if m else None
checks = [
    ("datasource provisioning: apiVersion 1", re.search(r"^apiVersion: 1$", ds_yaml, re.M)),
    ("datasource provisioning: type grafana-postgresql-datasource",
     re.search(r"^\s+type: grafana-postgresql-datasource$", ds_yaml, re.M)),
    ("datasource provisioning: host, database, user, password from environment variables",
     all(re.search(r"^\s+%s:\s*\$\{CHURN_PG%s\}$" % (k, v), ds_yaml, re.M)
         for k, v in (("url", "HOST"), ("database", "DATABASE"), ("user", "USER"), ("password", "PASSWORD")))),
    ("dashboard provisioning: apiVersion 1, a file provider",
     re.search(r"^apiVersion: 1$", db_yaml, re.M) and re.search(r"^\s+type: file$", db_yaml, re.M)),
    ("dashboard schemaVersion is current (>= 39)", dash.get("schemaVersion", 0) >= 39),
]
for msg, cond in checks:
    ok(msg) if cond else not_ok(msg)

panels = dash["panels"]
bad_ds = [p["title"] for p in panels
          for t in [p] + p.get("targets", [])
          if t.get("datasource", {}).get("uid") != ds_uid
          or t.get("datasource", {}).get("type") != "grafana-postgresql-datasource"]
ok("every panel and query uses the provisioned data source") if not bad_ds else \
    not_ok("every panel and query uses the provisioned data source", bad_ds)

variables = {v["name"]: v for v in dash["templating"]["list"]}
for name in ("channel", "segment"):
    v = variables.get(name, {})
    if v.get("multi") and v.get("includeAll"):
        ok("template variable %s is multi-value with All" % name)
    else:
        not_ok("template variable %s is multi-value with All" % name)

# ---- variable options, as Grafana gets them ---------------------------------
# A query variable's options are the first column of its query, run after the
# variables it depends on are chosen (relation first), its macros expanded
# with the dashboard's time range.  A query over the summaries reads the
# buckets of that range only ($__timeFilter, so that the options cost what
# a panel costs, not the whole history), and is run again when the range
# changes (refresh 2): a summary cell has a row in every bucket from its
# first to the current one, so the range lists every cell that exists in it.
def dashboard_time(expr, now):
    m = re.fullmatch(r"now(?:-(\d+)([yMdh]))?", expr)
    if not m:
        raise ValueError("time %r is not modelled by this test" % expr)
    if m.group(1) is None:
        return now
    n, unit = int(m.group(1)), m.group(2)
    if unit == "y":
        return now.replace(year=now.year - n)
    return now - {"M": timedelta(days=30 * n), "d": timedelta(days=n), "h": timedelta(hours=n)}[unit]

selection = {}
_now = datetime.now(timezone.utc)
dash_from, dash_to = dashboard_time(dash["time"]["from"], _now), dashboard_time(dash["time"]["to"], _now)
def load_options(name):
    v = variables[name]
    if v["type"] == "constant":
        v["_options"] = [v["query"]]
        return
    if "$__time" in v["query"] and v.get("refresh") != 2:
        not_ok("variable %s uses the time range and is refreshed when it changes (refresh 2)" % name, v.get("refresh"))
    sql = expand_macros(interpolate_variables(v["query"], variables, selection), dash_from, dash_to)
    _, rows = psql(sql, user="churn_reader")
    v["_options"] = [r[0] for r in rows]

for name in ("relation", "segment_key"):
    load_options(name)
    selection[name] = variables[name]["_options"][0]
for name in ("channel", "segment"):
    load_options(name)
_, rows = psql("SELECT DISTINCT channel FROM customer_events ORDER BY 1")
exp_channels = [r[0] for r in rows]
_, rows = psql("SELECT DISTINCT contract FROM customer_profile ORDER BY 1")
exp_segments = [r[0] for r in rows]
if (selection["relation"] == "customers" and variables["channel"]["_options"] == exp_channels
        and variables["segment"]["_options"] == exp_segments):
    ok("variable queries list the table, its channels %s and contracts %s" % (exp_channels, exp_segments))
else:
    not_ok("variable queries list the table, channels and contracts",
           (selection["relation"], variables["channel"]["_options"], variables["segment"]["_options"]))

# ---- the independent computations ------------------------------------------
# {frm} {to}: the time range; {channels} {segments}: text[] of the selection.
STAYS = """
WITH ev AS (
    SELECT e.customer_id, e.at, e.kind, e.channel, e.reason, p.contract
      FROM customer_events e JOIN customer_profile p ON p.id = e.customer_id
     WHERE e.kind <> 'quiet'),
stays AS (  -- one row per uninterrupted stay of a customer in a channel
    SELECT * FROM (
        SELECT customer_id, channel, contract, at AS start_at, kind AS start_kind,
               lead(at) OVER w AS end_at, lead(kind) OVER w AS end_kind, lead(reason) OVER w AS end_reason,
               lead(channel) OVER w AS next_channel
          FROM ev WINDOW w AS (PARTITION BY customer_id ORDER BY at)) s
     WHERE start_kind IN ('signup', 'move', 'reactivate')),
buckets AS (
    SELECT b AS bs, b + interval '1 month' AS be
      FROM generate_series((SELECT date_trunc('month', min(at)) FROM customer_events),
                           date_trunc('month', now()), interval '1 month') b
     WHERE b BETWEEN {frm} AND {to}),
flows AS (
    SELECT b.bs, s.contract,
           count(*) FILTER (WHERE s.start_at < b.bs) AS at_start,
           count(*) FILTER (WHERE s.start_at >= b.bs AND s.start_kind = 'signup') AS new,
           count(*) FILTER (WHERE s.start_at >= b.bs AND s.start_kind = 'reactivate') AS reactivated,
           count(*) FILTER (WHERE s.start_at >= b.bs AND s.start_kind = 'move') AS moved_in,
           count(*) FILTER (WHERE s.end_at < b.be AND s.end_kind = 'move') AS moved_out,
           count(*) FILTER (WHERE s.end_at < b.be AND s.end_kind = 'cancel') AS lost,
           count(*) FILTER (WHERE s.end_at < b.be AND s.end_kind = 'cancel' AND s.start_at < b.bs) AS lost_from_start,
           count(*) FILTER (WHERE s.end_at IS NULL OR s.end_at >= b.be) AS at_end
      FROM buckets b
      JOIN stays s ON s.start_at < b.be AND (s.end_at IS NULL OR s.end_at >= b.bs)
     WHERE s.channel = ANY ({channels}) AND s.contract = ANY ({segments})
     GROUP BY 1, 2)
"""

ORACLES = {
    "Monthly churn and retention rate": STAYS + """
SELECT bs, sum(lost_from_start)::float8 / sum(at_start), sum(at_end - new)::float8 / sum(at_start)
  FROM flows GROUP BY bs HAVING sum(at_start) > 0 ORDER BY 1""",
    "Churn rate by contract": STAYS + """
SELECT bs, contract, sum(lost_from_start)::float8 / sum(at_start)
  FROM flows GROUP BY 1, 2 HAVING sum(at_start) > 0 ORDER BY 1, 2""",
    "Monthly customer flow": STAYS + """
SELECT bs, sum(at_start), sum(new), sum(reactivated), sum(moved_in), sum(moved_out), sum(lost), sum(at_end),
       sum(lost_from_start)::float8 / nullif(sum(at_start), 0), sum(at_end - new)::float8 / nullif(sum(at_start), 0)
  FROM flows GROUP BY bs
HAVING sum(at_start) + sum(new) + sum(reactivated) + sum(moved_in) > 0 ORDER BY 1 DESC""",
    "Lost customers by reason": STAYS + """
SELECT coalesce(s.end_reason, '(no reason)'), count(*)
  FROM stays s JOIN buckets b ON s.end_at >= b.bs AND s.end_at < b.be
 WHERE s.end_kind = 'cancel' AND s.channel = ANY ({channels})
 GROUP BY 1 ORDER BY 2 DESC, 1""",
    "Diversion between channels": STAYS + """
, moves AS (
    SELECT s.channel AS from_channel, s.next_channel AS to_channel, b.bs
      FROM stays s JOIN buckets b ON s.end_at >= b.bs AND s.end_at < b.be
     WHERE s.end_kind = 'move' AND s.channel = ANY ({channels})),
base AS (  -- customers of the from-channel in each month: stays overlapping it
    SELECT s.channel, b.bs, count(*) AS n
      FROM stays s JOIN buckets b ON s.start_at < b.be AND (s.end_at IS NULL OR s.end_at >= b.bs)
     GROUP BY 1, 2)
SELECT m.from_channel, m.to_channel, count(*),
       (SELECT sum(n) FROM base WHERE base.channel = m.from_channel
           AND base.bs IN (SELECT bs FROM moves m2 WHERE m2.from_channel = m.from_channel AND m2.to_channel = m.to_channel)),
       NULL::float8
  FROM moves m GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2""",
    "Diversion between channels (moves)": STAYS + """
SELECT s.channel || ' -> ' || s.next_channel, count(*)
  FROM stays s JOIN buckets b ON s.end_at >= b.bs AND s.end_at < b.be
 WHERE s.end_kind = 'move' AND s.channel = ANY ({channels})
 GROUP BY 1 ORDER BY 2 DESC, 1""",
    "Customers per lifecycle state": """
WITH buckets AS (
    SELECT b AS bs, b + interval '1 month' AS be
      FROM generate_series((SELECT date_trunc('month', min(at)) FROM customer_events),
                           date_trunc('month', now()), interval '1 month') b),
st AS (  -- each customer's state from each logged change until the next
    SELECT customer_id, at, lead(at) OVER (PARTITION BY customer_id ORDER BY at, ctid) AS next_at, to_state
      FROM state_log),
states AS (  -- a state has a row from the month it was first entered on
    SELECT to_state AS state, date_trunc('month', min(at)) AS first_bs FROM state_log GROUP BY 1)
SELECT b.bs, s.state,
       (SELECT count(*) FROM st
         WHERE st.to_state = s.state AND st.at < b.be AND (st.next_at IS NULL OR st.next_at >= b.be))
  FROM buckets b JOIN states s ON s.first_bs <= b.bs
 WHERE b.bs BETWEEN {frm} AND {to}
 ORDER BY 1, s.state::churn.lifecycle""",
    "Kaplan-Meier survival by contract": """
WITH d AS (
    SELECT contract,
           extract(epoch FROM least(coalesce(cancelled_at, {to}), {to}) - signed_up) / 2629800 AS t,
           coalesce(cancelled_at <= {to}, false) AS event
      FROM customers
     WHERE signed_up <= {to} AND branch = ANY ({channels}) AND contract = ANY ({segments})),
times AS (
    SELECT contract, t, count(*) FILTER (WHERE event) AS d
      FROM d GROUP BY 1, 2),
risk AS (
    SELECT x.contract, x.t, x.d,
           (SELECT count(*) FROM d WHERE d.contract = x.contract AND d.t >= x.t) AS n
      FROM times x)
SELECT contract, t::float8,
       CASE WHEN bool_or(d = n) OVER w THEN 0  -- everyone left at risk had the event
            ELSE exp(sum(ln(greatest(1 - d::float8 / n, 1e-300))) OVER w) END
  FROM risk WINDOW w AS (PARTITION BY contract ORDER BY t) ORDER BY 1, 2""",
    "NPS": """
SELECT 100.0 * (count(*) FILTER (WHERE s.score >= 9) - count(*) FILTER (WHERE s.score <= 6)) / nullif(count(*), 0)
  FROM surveys s JOIN customers c ON c.id = s.customer_id
 WHERE s.answered_at >= {frm} AND s.answered_at <= {to}
   AND c.branch = ANY ({channels}) AND c.contract = ANY ({segments})""",
    "NPS by month": """
WITH buckets AS (
    SELECT b AS bs, b + interval '1 month' AS be
      FROM generate_series((SELECT date_trunc('month', min(at)) FROM customer_events),
                           date_trunc('month', now()), interval '1 month') b
     WHERE b BETWEEN {frm} AND {to})
SELECT b.bs, 100.0 * (count(*) FILTER (WHERE s.score >= 9) - count(*) FILTER (WHERE s.score <= 6)) / count(*)
  FROM buckets b
  JOIN surveys s ON s.answered_at >= b.bs AND s.answered_at < b.be
  JOIN customers c ON c.id = s.customer_id
 WHERE c.branch = ANY ({channels}) AND c.contract = ANY ({segments})
 GROUP BY 1 ORDER BY 1""",
}

TS = "timestamp with time zone"
F8 = "double precision"
I8 = "bigint"
TX = "text"
COLUMNS = {
    "Monthly churn and retention rate": [("time", TS), ("churn_rate", F8), ("retention_rate", F8)],
    "Churn rate by contract": [("time", TS), ("metric", TX), ("churn_rate", F8)],
    "Monthly customer flow": [("month", TS), ("at_start", I8), ("new", I8), ("reactivated", I8), ("moved_in", I8),
                              ("moved_out", I8), ("lost", I8), ("at_end", I8), ("churn_rate", F8),
                              ("retention_rate", F8)],
    "Lost customers by reason": [("reason", TX), ("lost", I8)],
    "Diversion between channels": [("from_channel", TX), ("to_channel", TX), ("moved", I8), ("from_base", I8),
                                   ("diversion_rate", F8)],
    "Diversion between channels (moves)": [("route", TX), ("moved", I8)],
    "Customers per lifecycle state": [("time", TS), ("metric", TX), ("customers", I8)],
    "Kaplan-Meier survival by contract": [("segment", TX), ("months", F8), ("survival", F8)],
    "NPS": [("nps", F8)],
    "NPS by month": [("time", TS), ("nps", F8)],
}


def parse(value, typ):
    if value == "":
        return None
    if typ == TS:
        v = re.sub(r"([+-]\d\d)$", r"\1:00", value)
        return datetime.fromisoformat(v).astimezone(timezone.utc)
    if typ in (F8, "numeric"):
        return float(value)
    if typ in (I8, "integer"):
        return int(value)
    return value


def same(a, b):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        a, b = float(a), float(b)
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def sql_array(values):
    return "ARRAY[%s]::text[]" % ",".join(quote_literal(v) for v in values) if values else "ARRAY[]::text[]"


# ---- scenarios ---------------------------------------------------------------
_, rows = psql("SELECT date_trunc('month', min(at)), date_trunc('month', now()) FROM customer_events")
first_bucket = parse(rows[0][0], TS)
current_bucket = parse(rows[0][1], TS)
now = datetime.now(timezone.utc)
scenarios = [
    # (name, from, to, channel selection, segment selection, rows required)
    ("all channels and contracts, whole history", first_bucket - timedelta(days=3), now, "$__all", "$__all", True),
    ("store+online, monthly+two_year, a 14-month window",
     current_bucket - timedelta(days=426, milliseconds=-250), current_bucket - timedelta(days=1, microseconds=-5),
     ["store", "online"], ["monthly", "two_year"], True),
    ("one channel, one contract, last 6 months", current_bucket - timedelta(days=183), now,
     ["branch_north"], ["one_year"], True),
    ("a value with a quote in it (no rows, no error)", first_bucket, now, ["o'brien"], "$__all", False),
]

titles = [p["title"] for p in panels]
missing = sorted(set(COLUMNS) - set(titles))
unknown = sorted(set(titles) - set(COLUMNS))
if missing or unknown:
    not_ok("every dashboard panel has a check and every check a panel", {"missing": missing, "unchecked": unknown})
else:
    ok("every dashboard panel (%d) has a check" % len(panels))

for sc_name, t_from, t_to, ch_sel, seg_sel, need_rows in scenarios:
    sel = dict(selection, channel=ch_sel, segment=seg_sel)
    chans = variables["channel"]["_options"] if ch_sel == "$__all" else ch_sel
    segs = variables["segment"]["_options"] if seg_sel == "$__all" else seg_sel
    params = {"frm": "'%s'::timestamptz" % t_from.isoformat(), "to": "'%s'::timestamptz" % t_to.isoformat(),
              "channels": sql_array(chans), "segments": sql_array(segs)}
    for p in panels:
        title = p["title"]
        for target in p.get("targets", []):
            label = "[%s] %s" % (sc_name, title)
            raw = target.get("rawSql", "")
            if ";" in raw:
                not_ok(label + ": one statement per query", raw)
                continue
            try:
                sql = expand_macros(interpolate_variables(raw, variables, sel), t_from, t_to)
            except Exception as e:
                not_ok(label + ": expands", e)
                continue
            try:
                # The session time zone of Grafana's connection is the
                # server's default; the panels must not depend on it.
                _, drows = psql(sql, user="churn_reader", timezone_name="Asia/Shanghai", describe=True)
                _, rows = psql(sql, user="churn_reader", timezone_name="Asia/Shanghai")
            except Exception as e:
                not_ok(label + ": runs as churn_reader", "%s\n%s" % (e, sql))
                continue
            desc = [(r[0], r[1]) for r in drows]
            want = COLUMNS.get(title)
            if desc != want:
                not_ok(label + ": columns and types", "want %s\ngot  %s" % (want, desc))
                continue
            fmt = target.get("format")
            if fmt == "time_series":
                times = [parse(r[0], TS) for r in rows]
                if desc[0] != ("time", TS) or times != sorted(times):
                    not_ok(label + ": time series: first column time timestamptz, ascending")
                    continue
            if need_rows and not rows:
                not_ok(label + ": returns rows", sql)
                continue
            if not need_rows:
                ok(label + ": runs, %d columns of the expected types" % len(desc))
                continue
            got = [tuple(parse(v, t) for v, (_, t) in zip(r, desc)) for r in rows]
            oracle_sql = ORACLES[title].format(**params)
            try:
                _, orows = psql(oracle_sql)
            except Exception as e:
                not_ok(label + ": the plain-SQL computation runs", e)
                continue
            exp = [tuple(parse(v, t) for v, (_, t) in zip(r, desc)) for r in orows]
            if title == "Diversion between channels":
                # the rate column is moved / from_base of the same row
                exp = [e[:4] + ((e[2] / e[3]) if e[3] else None,) for e in exp]
            if len(got) == len(exp) and all(all(same(a, b) for a, b in zip(g, e)) for g, e in zip(got, exp)):
                ok("%s: %d rows equal the plain-SQL computation" % (label, len(got)))
            else:
                diff = [("got", g, "want", e) for g, e in zip(got, exp) if not all(same(a, b) for a, b in zip(g, e))]
                not_ok(label + ": values equal the plain-SQL computation",
                       "rows got %d want %d\n%s" % (len(got), len(exp), "\n".join(map(str, diff[:8]))))

sys.exit(1 if failures else 0)
PY
[ $? -ne 0 ] && failed=1

exit $failed
