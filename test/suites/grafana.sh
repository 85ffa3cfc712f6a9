#!/bin/bash
# test/suites/grafana.sh: every panel of the dashboards in grafana/dashboards/
# (churn.json, "Churn overview"; churn-early-warning.json, "Churn early
# warning"), run the way Grafana runs it, as the read-only role, against two
# tracked tables, and checked against plain SQL.
#
# 1. Loads demo/generate.sql (a smaller customer base), tracks it as the demo
#    does (demo/track.sql) and replays its history through the triggers
#    (demo/replay.sql).  A plain PL/pgSQL audit trigger, installed before the
#    replay, logs every lifecycle state change: with the generator's event
#    log it is the independent truth the panels are compared with.
#    Then a table as a new user would track it: IBM Telco's customers
#    (sql/data/telco.csv) with dates made up from their tenure (fixed dates,
#    the observation ending 2024-07-01), a text key, date columns, no
#    channel, no state, segments in mixed-case columns.  On it, the
#    early-warning recipe (README, "Early warning in practice"): a table of
#    Cox models per segment, a fit, the churn_scores view, and two views of
#    the same scores with names that need quoting and with a score where
#    lower is riskier.
# 2. Creates the role churn_reader with churn.grant_reader() plus the
#    column grants the survival and NPS panels need and SELECT on the scores
#    views, and checks what it can and cannot do, and that the functions
#    reading tables named by dashboard variables quote the names.
# 3. Python (Debian's python3, standard library only) reads the dashboards
#    and the provisioning files, expands each query as Grafana does
#    (template variables as the PostgreSQL data source formats them, then
#    the backend macros), runs it with psql as churn_reader, and checks the
#    columns and their types (time series: a "time" timestamptz column,
#    ascending), that rows are there, and every value against a plain-SQL
#    computation over the generator's event log and the base tables; the
#    log-rank test is recomputed in Python from plain-SQL counts, the risk
#    scores in plain SQL from the models' coefficients and baselines.

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

-- A user's own table: IBM Telco with made-up dates.  Those who stay
-- started their tenure (in months) and 1 to 28 days before 2024-07-01;
-- those who churned left 1 to 730 days before it, tenure months after they
-- started.
CREATE TABLE telco_csv (customer_id text, gender text, senior_citizen int, partner text,
	dependents text, tenure int, phone_service text, multiple_lines text,
	internet_service text, online_security text, online_backup text,
	device_protection text, tech_support text, streaming_tv text,
	streaming_movies text, contract text, paperless_billing text,
	payment_method text, monthly_charges float8, total_charges text, churn text);
\copy telco_csv FROM '$ROOT/sql/data/telco.csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE telco (
	"customerID"		text PRIMARY KEY,
	started				date NOT NULL,
	ended				date,
	"Contract"			text NOT NULL,
	"InternetService"	text NOT NULL,
	monthly_charges		float8 NOT NULL,
	senior				boolean NOT NULL
);
INSERT INTO telco
SELECT customer_id, s, CASE WHEN churn = 'Yes' THEN least(s + make_interval(months => tenure), date '2024-06-30')::date END,
	   contract, internet_service, monthly_charges, senior_citizen = 1
  FROM telco_csv,
	   LATERAL (SELECT abs(hashtext(customer_id)) AS h) AS x,
	   LATERAL (SELECT (date '2024-07-01' - make_interval(months => tenure)
						- make_interval(days => 1 + CASE WHEN churn = 'Yes' THEN h % 730 ELSE h % 28 END))::date AS s) AS y;
SELECT churn.track('telco', customer => 'customerID', since => 'started', until => 'ended',
				   segments => ARRAY['Contract', 'InternetService']);

-- The early-warning recipe on it, scored as of 2024-07-01.
CREATE FUNCTION cox_covariates(c telco) RETURNS float8[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ARRAY[c.monthly_charges, c.senior::int, (c."Contract" = 'One year')::int,
			 (c."Contract" = 'Two year')::int];
CREATE TABLE churn_models (
	segment   text NOT NULL,
	fitted_at timestamptz NOT NULL,
	model     churn.cox_model NOT NULL,
	PRIMARY KEY (segment, fitted_at)
);
CREATE VIEW current_models AS
SELECT DISTINCT ON (segment) segment, fitted_at, model
  FROM churn_models ORDER BY segment, fitted_at DESC;
INSERT INTO churn_models
SELECT l.segment, timestamptz '2024-07-01 02:30+00', churn.coxph(l.duration, l.churned, cox_covariates(c))
  FROM churn.customer_lifetimes('telco', 'InternetService', '1 month', '2024-07-01 00:00+00') AS l
  JOIN telco c ON c."customerID" = l.customer
 GROUP BY l.segment
HAVING count(*) FILTER (WHERE l.churned) > 0;
CREATE VIEW churn_scores AS
SELECT c."customerID" AS id, c."InternetService" AS segment,
	   (date '2024-07-01' - c.started) / 30.0::float8 AS tenure_months,
	   churn.relative_risk(m.model, cox_covariates(c)) AS relative_risk,
	   churn.churn_probability(m.model, cox_covariates(c), (date '2024-07-01' - c.started) / 30.0::float8, 6) AS p_churn_6m
  FROM telco c JOIN current_models m ON m.segment = c."InternetService"
 WHERE c.ended IS NULL;
-- the same scores under names that need quoting, and a score where lower is riskier
CREATE VIEW "Risk ""scores""" AS
SELECT id AS "Customer ID", segment AS "Seg ment", p_churn_6m AS "P(churn) 'next 6m'" FROM churn_scores;
CREATE VIEW telco_stay AS SELECT id, segment, 1 - p_churn_6m AS stay_6m FROM churn_scores;
SQL
then
	ok "demo data generated, tracked and replayed through the triggers; Telco tracked, Cox models fitted, scores views made"
else
	tail -30 "$setup_log" >&2
	notok "demo data generated, tracked and replayed through the triggers; Telco tracked, Cox models fitted, scores views made"
	exit 1
fi

n=$(q -c "SELECT count(*) FROM churn.verify('customers')" 2>&1)
[ "$n" = 0 ] && ok "churn.verify finds no difference after the replay" || notok "churn.verify after the replay: $n"
n=$(q -c "SELECT count(*) FROM churn_models" 2>&1)
[ "$n" = 3 ] && ok "a Cox model per InternetService segment of Telco" || notok "a Cox model per InternetService segment of Telco: $n"

# --- the reader role --------------------------------------------------------
if q >/dev/null 2>"$CHURN_TMP/grafana-role.err" <<'SQL'
SET client_min_messages = warning;
DROP ROLE IF EXISTS churn_reader;
CREATE ROLE churn_reader LOGIN;
SELECT churn.grant_reader('churn_reader');
-- the survival panels read the customer, since, until and segment columns
-- of the tracked tables (churn.customer_lifetimes, the reader's privileges)
GRANT SELECT (id, signed_up, cancelled_at, contract, region) ON customers TO churn_reader;
GRANT SELECT ("customerID", started, ended, "Contract", "InternetService") ON telco TO churn_reader;
-- the NPS panels the survey table named by the variable survey_table
GRANT SELECT (customer_id, answered_at, score) ON surveys TO churn_reader;
-- the risk list the scores view named by the variable scores
GRANT SELECT ON churn_scores, "Risk ""scores""", telco_stay TO churn_reader;
SQL
then
	ok "churn_reader created with churn.grant_reader() and column grants"
else
	cat "$CHURN_TMP/grafana-role.err" >&2
	notok "churn_reader created with churn.grant_reader() and column grants"
fi

# reader_may SQL: must succeed as churn_reader; reader_may_not SQL: must fail
# with SQLSTATE 42501 (insufficient privilege); reader_fails SQL SQLSTATE:
# must fail with that SQLSTATE.
reader_may() {
	local out
	if out=$("$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -U churn_reader -d "$DB" -c "$1" 2>&1); then
		ok "churn_reader may: $1"
	else
		notok "churn_reader may: $1 ($out)"
	fi
}
reader_fails() {
	local out
	out=$("$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -U churn_reader -d "$DB" \
		-c "\\set VERBOSITY sqlstate" -c "$1" 2>&1)
	if [ $? -ne 0 ] && printf '%s' "$out" | grep -q "$2"; then
		ok "churn_reader gets $2 from: $1"
	else
		notok "churn_reader gets $2 from: $1 (got: $out)"
	fi
}
reader_may_not() { reader_fails "$1" 42501; }
reader_may "SELECT count(*) FROM churn.churn_summary"
reader_may "SELECT count(*) FROM churn.churn_reasons"
reader_may "SELECT count(*) FROM churn.diversion_summary"
reader_may "SELECT count(*) FROM churn.lifecycle_summary"
reader_may "SELECT churn.nps(score) FROM churn.survey_answers('surveys', 'customer_id', 'answered_at', 'score')"
reader_may "SELECT churn.median_lifetime(churn.survival(duration, churned)) FROM churn.customer_lifetimes('customers', 'contract', '1 month')"
reader_may "SELECT (churn.logrank(duration, churned, segment)).p_value FROM churn.customer_lifetimes('telco', 'Contract', '1 month', '2024-07-01')"
reader_may "SELECT count(*) FROM churn.riskiest_customers('churn_scores', 'id', 'p_churn_6m', 'segment', 5)"
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
reader_may_not "SELECT branch FROM customers"
reader_may_not "SELECT * FROM customer_events"
reader_may_not "SELECT * FROM churn_models"
# the functions reading a table named by a dashboard variable read it with
# the reader's privileges, and quote every name they are given
reader_may_not "SELECT * FROM churn.riskiest_customers('telco', 'customerID', 'monthly_charges')"
reader_may_not "SELECT * FROM churn.customer_lifetimes('customers', 'branch')"
reader_fails "SELECT * FROM churn.riskiest_customers('churn_scores', 'id; DROP TABLE telco; --', 'p_churn_6m')" 42703
reader_fails "SELECT * FROM churn.riskiest_customers('churn_scores', 'id', 'P_CHURN_6M')" 42703
reader_fails "SELECT * FROM churn.riskiest_customers('churn_scores', 'id', 'segment')" 42804
reader_fails "SELECT * FROM churn.riskiest_customers('churn_scores', 'id', 'p_churn_6m', n => 0)" 22023
reader_fails "SELECT * FROM churn.survey_answers('surveys', 'customer_id', 'answered_at', 'score) FROM surveys; --')" 42703
reader_fails "SELECT * FROM churn.survey_answers('surveys', 'customer_id', 'score', 'score')" 42804
reader_fails "SELECT * FROM churn.survey_answers('no_such_surveys', 'customer_id', 'answered_at', 'score')" 42P01
n=$(q -c "SELECT (SELECT count(*) FROM churn.survey_answers(NULL, 'a', 'b', 'c'))
			   + (SELECT count(*) FROM churn.riskiest_customers(NULL, 'a', 'b'))" 2>&1)
[ "$n" = 0 ] && ok "no survey table, no scores view (NULL): no rows, no error" ||
	notok "no survey table, no scores view (NULL): no rows, no error ($n)"
n=$(q -c "SELECT count(*) FROM telco" 2>&1)
[ "$n" = 7043 ] && ok "the tables named in those calls are still there" || notok "the tables named in those calls are still there ($n)"
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

# ---- the dashboards and the provisioning files ------------------------------
DASHBOARDS = ["churn.json", "churn-early-warning.json"]
dashboards = {}
for fname in DASHBOARDS:
    try:
        dashboards[fname] = json.load(open(os.path.join(ROOT, "grafana/dashboards", fname)))
        ok("dashboard %s parses" % fname)
    except Exception as e:
        not_ok("dashboard %s parses" % fname, e)
        sys.exit(1)
shipped = sorted(f for f in os.listdir(os.path.join(ROOT, "grafana/dashboards")) if f.endswith(".json"))
ok("every shipped dashboard is checked") if shipped == sorted(DASHBOARDS) else \
    not_ok("every shipped dashboard is checked", shipped)

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
]
for fname, dash in dashboards.items():
    checks.append(("%s: schemaVersion is current (>= 39)" % fname, dash.get("schemaVersion", 0) >= 39))
checks.append(("the dashboards have uids, each its own",
               all(d.get("uid") for d in dashboards.values())
               and len({d.get("uid") for d in dashboards.values()}) == len(dashboards)))
for msg, cond in checks:
    ok(msg) if cond else not_ok(msg)


def unquoted_single_values(sql, variables):
    """The single-value variables a query uses outside a quoted literal:
    Grafana inserts their value as it is, so there it would be SQL."""
    out = []
    in_literal = False
    i = 0
    while i < len(sql):
        c = sql[i]
        if c == "'":
            in_literal = not in_literal
            i += 1
            continue
        m = VAR_RE.match(sql, i) if c in "$[" else None
        if m:
            name = m.group(1) or m.group(2) or m.group(4)
            v = variables.get(name)
            if v is not None and not (v.get("multi") or v.get("includeAll")) and not in_literal:
                out.append(m.group(0))
            i = m.end()
            continue
        i += 1
    return out


# doc/grafana.md gives each panel's query under a heading with its title:
# they must be the dashboards' own
doc = open(os.path.join(ROOT, "doc/grafana.md"), encoding="utf-8").read()
documented = {m.group(1): m.group(2) for m in
              re.finditer(r"^#### ([^\n]+)\n(?:(?!#|```)[^\n]*\n)*```sql norun\n(.*?)\n```$", doc, re.M | re.S)}
for fname, dash in dashboards.items():
    differ = [p["title"] for p in dash["panels"] if documented.get(p["title"]) != p["targets"][0].get("rawSql")]
    ok("%s: doc/grafana.md gives every panel's query as the dashboard has it" % fname) if not differ else \
        not_ok("%s: doc/grafana.md gives every panel's query as the dashboard has it" % fname, differ)

for fname, dash in dashboards.items():
    bad_ds = [p["title"] for p in dash["panels"]
              for t in [p] + p.get("targets", [])
              if t.get("datasource", {}).get("uid") != ds_uid
              or t.get("datasource", {}).get("type") != "grafana-postgresql-datasource"]
    ok("%s: every panel and query uses the provisioned data source" % fname) if not bad_ds else \
        not_ok("%s: every panel and query uses the provisioned data source" % fname, bad_ds)
    dvars = {v["name"]: v for v in dash["templating"]["list"]}
    bare = ["%s: %s" % (p["title"], u) for p in dash["panels"] for t in p.get("targets", [])
            for u in unquoted_single_values(t.get("rawSql", ""), dvars)]
    bare += ["variable %s: %s" % (v["name"], u) for v in dash["templating"]["list"]
             for u in unquoted_single_values(v.get("query", "") if v["type"] == "query" else "", dvars)]
    ok("%s: every single-value variable goes inside quotes" % fname) if not bare else \
        not_ok("%s: every single-value variable goes inside quotes" % fname, bare)
    for name in ("channel", "segment"):
        if name in dvars:
            v = dvars[name]
            if v.get("multi") and v.get("includeAll"):
                ok("%s: template variable %s is multi-value with All" % (fname, name))
            else:
                not_ok("%s: template variable %s is multi-value with All" % (fname, name))


# ---- variable options, as Grafana gets them ---------------------------------
# A query variable's options are the first column of its query, run after the
# variables it depends on are chosen (in the order of the list), its macros
# expanded with the time range.  A query over the summaries reads the buckets
# of that range only ($__timeFilter, so that the options cost what a panel
# costs, not the whole history), and is run again when the range changes
# (refresh 2): a summary cell has a row in every bucket from its first to the
# current one, so the range lists every cell that exists in it.  A textbox's
# option is its value, a custom variable's are its comma-separated values.
# The value: what the scenario sets, else the saved one (All for the
# multi-value variables) when it is an option, else the first option.
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


def choose_variables(dash, t_from, t_to, settings):
    variables = {v["name"]: v for v in dash["templating"]["list"]}
    selection = {}
    for v in dash["templating"]["list"]:
        name = v["name"]
        if v["type"] == "query":
            if "$__time" in v["query"] and v.get("refresh") != 2:
                raise ValueError("variable %s uses the time range but is not refreshed when it changes (refresh 2)"
                                 % name)
            sql = expand_macros(interpolate_variables(v["query"], variables, selection), t_from, t_to)
            _, rows = psql(sql, user="churn_reader")
            v["_options"] = [r[0] for r in rows]
        elif v["type"] in ("textbox", "constant"):
            v["_options"] = [v["query"]]
        elif v["type"] == "custom":
            v["_options"] = [o.split(" : ")[-1].strip() for o in v["query"].split(",")]
        else:
            raise ValueError("variable type %s is not modelled by this test" % v["type"])
        saved = v.get("current", {}).get("value")
        if name in settings:
            selection[name] = settings[name]
        elif saved in (["$__all"], "$__all") and v.get("includeAll"):
            selection[name] = "$__all"
        elif saved is not None and saved in v["_options"]:
            selection[name] = saved
        elif v["_options"]:
            selection[name] = v["_options"][0]
        else:
            selection[name] = [] if v.get("multi") else ""
    return variables, selection


# ---- the independent computations ------------------------------------------
# Placeholders: {frm} {to} the time range; {channels} {segments} text[] of
# the selection; {seg} the segment column of the generator's profiles.
# {stays}: one row per uninterrupted stay of a customer in a channel (customer_id,
# channel, contract = the stay's segment value, start_at, start_kind, end_at,
# end_kind, end_reason, next_channel), from the generator's event log for the
# demo table, from the rows themselves for Telco (no moves, no reactivations).
DEMO_STAYS = """
ev AS (
    SELECT e.customer_id, e.at, e.kind, e.channel, e.reason, coalesce(p.{seg}, '(none)') AS contract
      FROM customer_events e JOIN customer_profile p ON p.id = e.customer_id
     WHERE e.kind <> 'quiet'),
stays AS (
    SELECT * FROM (
        SELECT customer_id, channel, contract, at AS start_at, kind AS start_kind,
               lead(at) OVER w AS end_at, lead(kind) OVER w AS end_kind, lead(reason) OVER w AS end_reason,
               lead(channel) OVER w AS next_channel
          FROM ev WINDOW w AS (PARTITION BY customer_id ORDER BY at)) s
     WHERE start_kind IN ('signup', 'move', 'reactivate'))"""
TELCO_STAYS = """
stays AS (
    SELECT "customerID" AS customer_id, '(none)'::text AS channel, coalesce({seg}, '(none)') AS contract,
           started::timestamp AT TIME ZONE 'UTC' AS start_at, 'signup' AS start_kind,
           ended::timestamp AT TIME ZONE 'UTC' AS end_at,
           CASE WHEN ended IS NOT NULL THEN 'cancel' END AS end_kind,
           NULL::text AS end_reason, NULL::text AS next_channel
      FROM telco)"""
FLOWS = """
WITH {stays},
buckets AS (
    SELECT b AS bs, b + interval '1 month' AS be
      FROM generate_series((SELECT date_trunc('month', min(start_at)) FROM stays),
                           date_trunc('month', now()), interval '1 month') b
     WHERE b BETWEEN {frm} AND {to}),
flows AS (
    SELECT b.bs, b.be, s.contract,
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
     GROUP BY 1, 2, 3)
"""
# a customer's lifetime as of the end of the range, in whole days
DEMO_LIFETIMES = """
    SELECT coalesce({seg}, '(none)') AS segment,
           floor(extract(epoch FROM least(coalesce(cancelled_at, {to}), {to}) - signed_up) / 86400) AS t,
           coalesce(cancelled_at <= {to}, false) AS event
      FROM customers WHERE signed_up <= {to}"""
TELCO_LIFETIMES = """
    SELECT coalesce({seg}, '(none)') AS segment,
           floor(extract(epoch FROM least(coalesce(ended::timestamp AT TIME ZONE 'UTC', {to}), {to})
                                    - started::timestamp AT TIME ZONE 'UTC') / 86400) AS t,
           coalesce(ended::timestamp AT TIME ZONE 'UTC' <= {to}, false) AS event
      FROM telco WHERE started::timestamp AT TIME ZONE 'UTC' <= {to}"""
NOTHING = "SELECT WHERE false"

ORACLES = {
    "Monthly churn and retention rate": FLOWS + """
SELECT bs, sum(lost_from_start)::float8 / sum(at_start), sum(at_end - new)::float8 / sum(at_start)
  FROM flows WHERE be <= now() GROUP BY bs HAVING sum(at_start) > 0 ORDER BY 1""",
    "Churn rate by $segment_key": FLOWS + """
SELECT bs, contract, sum(lost_from_start)::float8 / sum(at_start)
  FROM flows WHERE be <= now() GROUP BY 1, 2 HAVING sum(at_start) > 0 ORDER BY 1, 2""",
    "Monthly customer flow": FLOWS + """
SELECT bs, be <= now(), sum(at_start), sum(new), sum(reactivated), sum(moved_in), sum(moved_out), sum(lost),
       sum(at_end), sum(lost_from_start)::float8 / nullif(sum(at_start), 0),
       sum(at_end - new)::float8 / nullif(sum(at_start), 0)
  FROM flows GROUP BY bs, be
HAVING sum(at_start) + sum(new) + sum(reactivated) + sum(moved_in) > 0 ORDER BY 1 DESC""",
    # (churn_reasons has rows only for a table tracked with a reason column)
    "Lost customers by reason": {"telco": NOTHING, "demo": FLOWS + """
SELECT coalesce(s.end_reason, '(no reason)'), count(*)
  FROM stays s JOIN buckets b ON s.end_at >= b.bs AND s.end_at < b.be
 WHERE s.end_kind = 'cancel' AND s.channel = ANY ({channels})
 GROUP BY 1 ORDER BY 2 DESC, 1"""},
    "Diversion between channels": FLOWS + """
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
    "Diversion between channels (moves)": FLOWS + """
SELECT s.channel || ' -> ' || s.next_channel, count(*)
  FROM stays s JOIN buckets b ON s.end_at >= b.bs AND s.end_at < b.be
 WHERE s.end_kind = 'move' AND s.channel = ANY ({channels})
 GROUP BY 1 ORDER BY 2 DESC, 1""",
    "Customers per lifecycle state": {"demo": """
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
 ORDER BY 1, s.state::churn.lifecycle""", "telco": NOTHING},
    "Kaplan-Meier survival by $segment_key": """
WITH d AS ({lifetimes}),
times AS (
    SELECT segment, t, count(*) FILTER (WHERE event) AS d
      FROM d WHERE segment = ANY ({segments}) GROUP BY 1, 2),
risk AS (
    SELECT x.segment, x.t, x.d,
           (SELECT count(*) FROM d WHERE d.segment = x.segment AND d.t >= x.t) AS n
      FROM times x)
SELECT segment, t::float8 / 30,
       CASE WHEN bool_or(d = n) OVER w THEN 0  -- everyone left at risk had the event
            ELSE exp(sum(ln(greatest(1 - d::float8 / n, 1e-300))) OVER w) END
  FROM risk WINDOW w AS (PARTITION BY segment ORDER BY t) ORDER BY 1, 2""",
    # the log-rank panel: counts per segment and duration here, the test in Python
    "Survival by $segment_key: log-rank test": """
WITH d AS ({lifetimes})
SELECT segment, t::float8, count(*) FILTER (WHERE event), count(*) FILTER (WHERE NOT event)
  FROM d WHERE segment = ANY ({segments}) GROUP BY 1, 2 ORDER BY 1, 2""",
    "NPS": {"surveys": """
SELECT 100.0 * (count(*) FILTER (WHERE s.score >= 9) - count(*) FILTER (WHERE s.score <= 6)) / nullif(count(*), 0)
  FROM surveys s JOIN customers c ON c.id = s.customer_id
 WHERE s.answered_at >= {frm} AND s.answered_at <= {to} AND c.signed_up <= now()
   AND coalesce(c.{seg}, '(none)') = ANY ({segments})""", "none": "SELECT NULL::float8"},
    "NPS by month": {"surveys": """
WITH buckets AS (
    SELECT b AS bs, b + interval '1 month' AS be
      FROM generate_series((SELECT date_trunc('month', min(at)) FROM customer_events),
                           date_trunc('month', now()), interval '1 month') b
     WHERE b BETWEEN {frm} AND {to})
SELECT b.bs, 100.0 * (count(*) FILTER (WHERE s.score >= 9) - count(*) FILTER (WHERE s.score <= 6)) / count(*)
  FROM buckets b
  JOIN surveys s ON s.answered_at >= b.bs AND s.answered_at < b.be
  JOIN customers c ON c.id = s.customer_id
 WHERE coalesce(c.{seg}, '(none)') = ANY ({segments}) AND c.signed_up <= now()
 GROUP BY 1 ORDER BY 1""", "none": NOTHING},
    # the early-warning recipe's score recomputed from the models' coefficients
    # and baselines: p = 1 - exp(-(B(t + 6) - B(t)) exp(x.b)), B the baseline
    # cumulative hazard at covariates 0, a step function (0 before its first
    # time, flat after its last), t the tenure as of 2024-07-01 in months of
    # 30 days; the n highest, ties in customer order
    "Customers most at risk": {"scores": """
WITH m AS (SELECT segment, model FROM current_models),
beta AS (
    SELECT m.segment, array_agg(coalesce(k.coef, 0) ORDER BY k.term) AS b
      FROM m, churn.cox_coefficients(m.model) k GROUP BY 1),
base AS (SELECT m.segment, b.time, b.cumulative_hazard FROM m, churn.cox_baseline(m.model) b),
x AS (
    SELECT c."customerID" AS id, c."InternetService" AS segment,
           (date '2024-07-01' - c.started) / 30.0::float8 AS t,
           ARRAY[c.monthly_charges, c.senior::int, (c."Contract" = 'One year')::int,
                 (c."Contract" = 'Two year')::int]::float8[] AS cov
      FROM telco c WHERE c.ended IS NULL),
h AS (
    SELECT x.id, x.segment,
           (SELECT sum(x.cov[i] * beta.b[i]) FROM beta, generate_subscripts(x.cov, 1) i
             WHERE beta.segment = x.segment) AS xb,
           coalesce((SELECT base.cumulative_hazard FROM base WHERE base.segment = x.segment AND base.time <= x.t
                      ORDER BY base.time DESC LIMIT 1), 0) AS h0,
           coalesce((SELECT base.cumulative_hazard FROM base WHERE base.segment = x.segment AND base.time <= x.t + 6
                      ORDER BY base.time DESC LIMIT 1), 0) AS h6
      FROM x WHERE x.segment IN (SELECT segment FROM m)),
p AS (SELECT id, segment, 1 - exp(-(h6 - h0) * exp(xb)) AS p FROM h)
SELECT row_number() OVER (ORDER BY p DESC, id), id, {risk_segment}, {score}
  FROM p ORDER BY p DESC, id LIMIT {top}""", "none": NOTHING},
    "Customers moved to at_risk per month": {"demo": """
SELECT date_trunc('month', at), from_state, count(*)
  FROM state_log
 WHERE to_state = 'at_risk' AND from_state IS NOT NULL
   AND date_trunc('month', at) BETWEEN {frm} AND {to}
 GROUP BY 1, 2 ORDER BY 1, 2""", "telco": NOTHING},
}

TS = "timestamp with time zone"
F8 = "double precision"
I8 = "bigint"
I4 = "integer"
TX = "text"
BO = "boolean"
COLUMNS = {
    "Monthly churn and retention rate": [("time", TS), ("churn_rate", F8), ("retention_rate", F8)],
    "Churn rate by $segment_key": [("time", TS), ("metric", TX), ("churn_rate", F8)],
    "Monthly customer flow": [("month", TS), ("complete", BO), ("at_start", I8), ("new", I8), ("reactivated", I8),
                              ("moved_in", I8), ("moved_out", I8), ("lost", I8), ("at_end", I8),
                              ("churn_rate", F8), ("retention_rate", F8)],
    "Lost customers by reason": [("reason", TX), ("lost", I8)],
    "Diversion between channels": [("from_channel", TX), ("to_channel", TX), ("moved", I8), ("from_base", I8),
                                   ("diversion_rate", F8)],
    "Diversion between channels (moves)": [("route", TX), ("moved", I8)],
    "Customers per lifecycle state": [("time", TS), ("metric", TX), ("customers", I8)],
    "Kaplan-Meier survival by $segment_key": [("segment", TX), ("months", F8), ("survival", F8)],
    "Survival by $segment_key: log-rank test": [
        ("segment", TX), ("customers", I8), ("churned", I8), ("expected_churned", F8), ("median_months", F8),
        ("survival_12m", F8), ("chi_square", F8), ("df", I4), ("p_value", F8)],
    "NPS": [("nps", F8)],
    "NPS by month": [("time", TS), ("nps", F8)],
    "Customers most at risk": [("rank", I8), ("customer", TX), ("segment", TX), ("risk", F8)],
    "Customers moved to at_risk per month": [("time", TS), ("metric", TX), ("customers", I8)],
}


def parse(value, typ):
    if value == "":
        return None
    if typ == TS:
        v = re.sub(r"([+-]\d\d)$", r"\1:00", value)
        return datetime.fromisoformat(v).astimezone(timezone.utc)
    if typ in (F8, "numeric"):
        return float(value)
    if typ in (I8, I4):
        return int(value)
    if typ == BO:
        return {"t": True, "f": False}[value]
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


def chi_square_upper(x, df):
    """P(X > x) for X ~ chi-square(df), df a whole number: the regularized
    upper incomplete gamma Q(df/2, x/2) by its recurrence from Q(1/2) =
    erfc(sqrt(y)) or Q(1) = exp(-y), Q(a + 1) = Q(a) + y^a exp(-y) / Gamma(a + 1)."""
    y = x / 2.0
    if df % 2:
        a, q = 0.5, math.erfc(math.sqrt(y))
    else:
        a, q = 1.0, math.exp(-y)
    while a < df / 2.0 - 1e-9:
        q += math.exp(a * math.log(y) - y - math.lgamma(a + 1)) if y > 0 else 0.0
        a += 1
    return q


def solve(a, b):
    """x with a x = b by Gauss-Jordan elimination with partial pivoting; None
    when a is singular."""
    n = len(a)
    m = [list(map(float, row)) + [float(v)] for row, v in zip(a, b)]
    scale = max(abs(v) for row in a for v in row) or 1.0
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        if abs(m[p][c]) <= 1e-10 * scale:
            return None
        m[c], m[p] = m[p], m[c]
        for r in range(n):
            if r != c:
                f = m[r][c] / m[c][c]
                m[r] = [x - f * y for x, y in zip(m[r], m[c])]
    return [m[r][n] / m[r][r] for r in range(n)]


def logrank_oracle(rows):
    """The log-rank panel's rows from (segment, duration in days, events,
    censored): per segment its customers, events, expected events, median in
    months of 30 days (R's rule: the first time S <= 0.5, the mean with the
    next lower point's time when S is 0.5 there) and S(360 days), then the
    test of all segments together."""
    groups = {}
    for seg, t, d, c in rows:
        groups.setdefault(seg, []).append((float(t), int(d), int(c)))
    names = sorted(groups, key=lambda s: s.encode())
    n_total = {g: sum(d + c for _, d, c in groups[g]) for g in names}
    event_times = sorted({t for g in names for t, d, _ in groups[g] if d > 0})
    at_risk = {g: {} for g in names}
    for g in names:
        left = n_total[g]
        pts = dict((t, (d, c)) for t, d, c in groups[g])
        for t in sorted(set(event_times) | set(pts)):
            at_risk[g][t] = left
            d, c = pts.get(t, (0, 0))
            left -= d + c
    k = len(names)
    O = [0.0] * k
    E = [0.0] * k
    V = [[0.0] * k for _ in range(k)]
    for t in event_times:
        ng = [at_risk[g][t] for g in names]
        dg = [dict((tt, d) for tt, d, _ in groups[g]).get(t, 0) for g in names]
        n, d = sum(ng), sum(dg)
        for i in range(k):
            O[i] += dg[i]
            E[i] += d * ng[i] / n
        if n > 1:
            f = d * (n - d) / (n * (n - 1.0))
            for i in range(k):
                for j in range(k):
                    V[i][j] += f * ng[i] * ((1.0 if i == j else 0.0) - ng[j] / n)
    keep = [i for i in range(k) if E[i] > 0]
    chi = df = p = None
    if len(keep) >= 2:
        idx = keep[:-1]
        u = [O[i] - E[i] for i in idx]
        x = solve([[V[i][j] for j in idx] for i in idx], u)
        if x is not None:
            chi = sum(a * b for a, b in zip(u, x))
            df = len(keep) - 1
            p = chi_square_upper(chi, df)
    out = []
    for i, g in enumerate(names):
        s, left, median, s12 = 1.0, n_total[g], None, None
        pts = sorted(groups[g])
        tol = math.sqrt(2.220446049250313e-16)
        j = 0
        while j < len(pts):
            t, d, c = pts[j]
            if d > 0:
                s *= 1.0 - d / left
            left -= d + c
            if t <= 360:
                s12 = s
            if median is None and s < 0.5 + tol:
                median = t
                if abs(s - 0.5) < tol:
                    median = None
                    s2, left2 = s, left
                    for t2, d2, c2 in pts[j + 1:]:
                        if d2 > 0:
                            s2 *= 1.0 - d2 / left2
                        left2 -= d2 + c2
                        if s2 < s:
                            median = (t + t2) / 2.0
                            break
                    if median is None:
                        median = t
            j += 1
        out.append((g, n_total[g], int(O[i]), E[i], None if median is None else median / 30.0,
                    1.0 if s12 is None else s12, chi, df, p))
    return out


# ---- scenarios ---------------------------------------------------------------
_, rows = psql("SELECT date_trunc('month', min(at)), date_trunc('month', now()) FROM customer_events")
first_bucket = parse(rows[0][0], TS)
current_bucket = parse(rows[0][1], TS)
now = datetime.now(timezone.utc)
TELCO_FROM = datetime(2023, 7, 1, tzinfo=timezone.utc)
TELCO_TO = datetime(2024, 6, 30, 23, 59, 59, 999000, tzinfo=timezone.utc)
ALL_EMPTY = {"*"}
# (dashboard, name, table, from, to, variable settings, panels that may be empty)
scenarios = [
    ("churn.json", "demo: all channels and contracts, whole history, survey table set",
     "customers", first_bucket - timedelta(days=3), now,
     {"channel": "$__all", "segment": "$__all", "survey_table": "surveys"}, set()),
    ("churn.json", "demo: store+online, monthly+two_year, a 14-month window, survey table schema-qualified",
     "customers", current_bucket - timedelta(days=426, milliseconds=-250), current_bucket - timedelta(days=1, microseconds=-5),
     {"channel": ["store", "online"], "segment": ["monthly", "two_year"], "survey_table": "public.surveys"}, set()),
    ("churn.json", "demo: one channel, one contract, last 6 months, survey table set",
     "customers", current_bucket - timedelta(days=183), now,
     {"channel": ["branch_north"], "segment": ["one_year"], "survey_table": "surveys"}, set()),
    ("churn.json", "demo: the default variables (segments by contract, no survey table)",
     "customers", dashboard_time(dashboards["churn.json"]["time"]["from"], now), now, {}, {"NPS", "NPS by month"}),
    ("churn.json", "demo: segments by region, two of them, survey table set",
     "customers", first_bucket, now,
     {"segment_key": "region", "segment": ["north", "west"], "survey_table": "surveys"}, set()),
    ("churn.json", "demo: a value with a quote in it (no rows, no error)",
     "customers", first_bucket, now, {"channel": ["o'brien"], "segment": ["o'brien"], "survey_table": "surveys"},
     ALL_EMPTY),
    ("churn.json", "Telco, a user's table (dates, no channel, no state): the default variables",
     "telco", TELCO_FROM, TELCO_TO, {},
     {"Lost customers by reason", "Customers per lifecycle state", "Diversion between channels",
      "Diversion between channels (moves)", "NPS", "NPS by month"}),
    ("churn.json", "Telco: segments by InternetService, two of them",
     "telco", TELCO_FROM, TELCO_TO, {"segment_key": "InternetService", "segment": ["DSL", "Fiber optic"]},
     {"Lost customers by reason", "Customers per lifecycle state", "Diversion between channels",
      "Diversion between channels (moves)", "NPS", "NPS by month"}),
    ("churn-early-warning.json", "Telco: scores in churn_scores (the recipe's names), the 20 riskiest",
     "telco", TELCO_FROM, TELCO_TO, {"scores": "churn_scores"}, {"Customers moved to at_risk per month"}),
    ("churn-early-warning.json", "Telco: scores under names that need quoting, the 50 riskiest",
     "telco", TELCO_FROM, TELCO_TO,
     {"scores": '"Risk ""scores"""', "scores_customer": "Customer ID", "scores_risk": "P(churn) 'next 6m'",
      "scores_segment": "Seg ment", "top": "50"}, {"Customers moved to at_risk per month"}),
    ("churn-early-warning.json", "Telco: a score where lower is riskier, no segment column, the 100 riskiest",
     "telco", TELCO_FROM, TELCO_TO,
     {"scores": "telco_stay", "scores_risk": "stay_6m", "scores_segment": "", "riskier": "lower", "top": "100"},
     {"Customers moved to at_risk per month"}),
    ("churn-early-warning.json", "demo: the default variables (no scores view)",
     "customers", dashboard_time(dashboards["churn-early-warning.json"]["time"]["from"], now), now, {},
     {"Customers most at risk"}),
]

for fname, dash in dashboards.items():
    titles = [p["title"] for p in dash["panels"]]
    missing = sorted(set(titles) - set(COLUMNS))
    if missing:
        not_ok("%s: every panel has a check" % fname, missing)
    else:
        ok("%s: every panel (%d) has a check" % (fname, len(titles)))
    if not any(s[0] == fname for s in scenarios):
        not_ok("%s: scenarios run its panels" % fname)

for fname, sc_name, table, t_from, t_to, settings, may_be_empty in scenarios:
    dash = dashboards[fname]
    try:
        variables, sel = choose_variables(dash, t_from, t_to, dict(settings, relation=table))
    except Exception as e:
        not_ok("[%s] the variables' queries run as churn_reader" % sc_name, e)
        continue
    # the table is one the relation variable lists, and the other lists are
    # what the table has
    if table not in variables["relation"]["_options"]:
        not_ok("[%s] the relation variable lists %s" % (sc_name, table), variables["relation"]["_options"])
        continue
    kind = "demo" if table == "customers" else "telco"
    if "segment_key" in variables:
        segcol = sel["segment_key"]
        seg_sql = (segcol if kind == "demo" else '"%s"' % segcol) if segcol != "(none)" else "NULL::text"
        if kind == "demo":
            exp_lists = [("channel", "SELECT DISTINCT channel FROM customer_events ORDER BY 1"),
                         ("segment_key", "SELECT unnest(ARRAY['contract', 'region'])"),
                         ("segment", "SELECT DISTINCT %s FROM customer_profile ORDER BY 1" % seg_sql)]
        else:
            exp_lists = [("channel", "SELECT '(none)'"),
                         ("segment_key", "SELECT unnest(ARRAY['Contract', 'InternetService'])"),
                         ("segment", "SELECT DISTINCT %s FROM telco ORDER BY 1" % seg_sql)]
        bad = []
        for name, sql in exp_lists:
            _, rows = psql(sql)
            if variables[name]["_options"] != [r[0] for r in rows]:
                bad.append((name, variables[name]["_options"], [r[0] for r in rows]))
        if bad:
            not_ok("[%s] the variables list the table's channels, segment keys and values" % sc_name, bad)
        else:
            ok("[%s] the variables list the table's channels %s, segment keys %s and values %s"
               % (sc_name, variables["channel"]["_options"], variables["segment_key"]["_options"],
                  variables["segment"]["_options"]))
    else:
        seg_sql = "NULL"
    chans = variables["channel"]["_options"] if sel.get("channel") == "$__all" else sel.get("channel", [])
    segs = variables["segment"]["_options"] if sel.get("segment") == "$__all" else sel.get("segment", [])
    params = {"frm": "'%s'::timestamptz" % t_from.isoformat(), "to": "'%s'::timestamptz" % t_to.isoformat(),
              "channels": sql_array(chans), "segments": sql_array(segs), "seg": seg_sql}
    params["stays"] = (DEMO_STAYS if kind == "demo" else TELCO_STAYS).format(**params)
    params["lifetimes"] = (DEMO_LIFETIMES if kind == "demo" else TELCO_LIFETIMES).format(**params)
    if "top" in sel:
        params["top"] = int(sel["top"])
        params["score"] = "1 - p" if sel["riskier"] == "lower" else "p"
        params["risk_segment"] = "segment" if sel.get("scores_segment") else "NULL::text"
    for p in dash["panels"]:
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
            got = [tuple(parse(v, t) for v, (_, t) in zip(r, desc)) for r in rows]
            nonempty = [g for g in got if any(v is not None for v in g)]
            if not nonempty and "*" not in may_be_empty and title not in may_be_empty:
                not_ok(label + ": returns rows", sql)
                continue
            oracle = ORACLES[title]
            if isinstance(oracle, dict):
                if title.startswith("NPS"):
                    oracle = oracle["surveys" if sel.get("survey_table") else "none"]
                elif title == "Customers most at risk":
                    oracle = oracle["scores" if sel.get("scores") else "none"]
                else:
                    oracle = oracle[kind]
            try:
                _, orows = psql(oracle.format(**params))
            except Exception as e:
                not_ok(label + ": the plain-SQL computation runs", e)
                continue
            if title.startswith("Survival by"):
                exp = logrank_oracle(orows)
            else:
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
