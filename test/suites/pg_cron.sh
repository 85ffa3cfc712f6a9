#!/bin/bash
# test/suites/pg_cron.sh: churn.refresh(), churn.advance_lifecycle() and a
# Cox model refit (the early-warning recipe of doc/early-warning.md) run by the real
# pg_cron (Debian's postgresql-15-cron) in a throw-away cluster of this
# suite's own, started with shared_preload_libraries = 'pg_cron'.
#
# Schedules the jobs every minute (pg_cron's shortest cron period), makes
# pending summary deltas and an inactive customer, waits (at most 150 s) for
# the jobs to run, then checks that the deltas were folded in, the customer
# was aged, churn.health() reports it, a model was fitted and stored, and
# cron.job_run_details shows every run as succeeded.

set -u
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"

failed=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; failed=1; }
check() {	# check "description" "expected" "actual"
	if [ "$2" = "$3" ]; then ok "$1"; else notok "$1 (expected '$2', got '$3')"; fi
}

DB=churn_cron
# pg_cron runs jobs in background workers here (cron.use_background_workers),
# so it needs no libpq connection back to the server; doc/operations.md ("Scheduling with pg_cron") shows the
# connection-based setup too.
churn_cluster_start cron \
	"shared_preload_libraries = 'pg_cron'" \
	"cron.database_name = '$DB'" \
	"cron.use_background_workers = on" \
	"cron.log_run = on" \
	"max_worker_processes = 20" || { echo "not ok - start a cluster with pg_cron"; exit 1; }
trap churn_cluster_stop EXIT
ok "cluster with shared_preload_libraries = 'pg_cron' started"

q() { "$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

"$PGBIN/createdb" "$DB" || { echo "not ok - createdb"; exit 1; }
if q -c "SET client_min_messages = warning; CREATE EXTENSION pg_cron; CREATE EXTENSION churn;" 2>"$CHURN_TMP/cron-setup.err"; then
	ok "CREATE EXTENSION pg_cron and churn"
else
	cat "$CHURN_TMP/cron-setup.err" >&2
	notok "CREATE EXTENSION pg_cron and churn"
	exit 1
fi

# A tracked table with a lifecycle state and an activity column.
q <<'SQL' >/dev/null 2>"$CHURN_TMP/cron-track.err" || { cat "$CHURN_TMP/cron-track.err" >&2; notok "track a table"; exit 1; }
SET TimeZone = 'UTC';
CREATE TABLE subscribers (
	id			int PRIMARY KEY,
	since		timestamptz NOT NULL,
	until		timestamptz,
	channel		text NOT NULL,
	status		churn.lifecycle NOT NULL,
	seen		timestamptz NOT NULL,
	changed		timestamptz NOT NULL
);
INSERT INTO subscribers
SELECT i, now() - interval '400 days', NULL, CASE WHEN i % 2 = 0 THEN 'web' ELSE 'shop' END,
	   'active', now() - make_interval(days => i), now() - make_interval(days => i)
  FROM generate_series(1, 40) AS i;
SELECT churn.track('subscribers', customer => 'id', since => 'since', until => 'until',
				   channel => 'channel', state => 'status', changed_at => 'changed',
				   activity => 'seen', at_risk_after => '10 days',
				   dormant_after => '20 days', churned_after => '30 days');
SELECT churn.refresh() >= 0;
SQL
ok "tracked subscribers with activity thresholds"

# Pending deltas: cancellations and moves after the last refresh.
q -c "UPDATE subscribers SET until = now() - interval '1 hour', changed = now() - interval '1 hour' WHERE id <= 3;
      UPDATE subscribers SET channel = 'web', changed = now() WHERE id IN (5, 7);"
# every delta written so far has added <= t0
t0=$(q -c "SELECT max(added) FROM churn.summary_delta")
pending=$(q -c "SELECT sum(pending_deltas) FROM churn.health() WHERE relation = 'subscribers'::regclass")
if [ -n "$pending" ] && [ "$pending" -gt 0 ]; then
	ok "churn.health() shows $pending pending delta rows before the job runs"
else
	notok "churn.health() shows pending delta rows before the job runs (got '$pending')"
fi

# Customers 11..40 have been inactive for 11..40 days: aging must move them.
# The Cox refit stores a model of the subscribers' lifetimes (in days, the
# 3 cancellations as events) by channel.
q -c "CREATE TABLE churn_models (fitted_at timestamptz NOT NULL, model churn.cox_model NOT NULL);" &&
q -c "SELECT cron.schedule('churn-refresh', '* * * * *', \$\$SELECT churn.refresh()\$\$);
      SELECT cron.schedule('churn-aging', '* * * * *', \$\$CALL churn.advance_lifecycle('public.subscribers')\$\$);
      SELECT cron.schedule('churn-cox-refit', '* * * * *', \$\$
          INSERT INTO churn_models
          SELECT now(), churn.coxph(extract(epoch FROM coalesce(until, now()) - since) / 86400,
                                    until IS NOT NULL, ARRAY[(channel = 'web')::int]::float8[])
            FROM subscribers HAVING count(*) FILTER (WHERE until IS NOT NULL) > 0\$\$);" >/dev/null &&
	ok "scheduled churn-refresh, churn-aging and churn-cox-refit with cron.schedule" ||
	notok "scheduled churn-refresh, churn-aging and churn-cox-refit with cron.schedule"

# Wait (bounded) for one finished run of each job.
deadline=$((SECONDS + 150))
done_runs=0
while [ $SECONDS -lt $deadline ]; do
	done_runs=$(q -c "SELECT count(DISTINCT j.jobname) FROM cron.job_run_details d JOIN cron.job j USING (jobid)
					   WHERE d.status IN ('succeeded', 'failed')")
	[ "$done_runs" = 3 ] && break
	sleep 3
done
check "the three jobs ran within 150 s" 3 "$done_runs"
# both may have run in the same minute; let every started run finish
for _ in $(seq 1 20); do
	[ "$(q -c "SELECT count(*) FROM cron.job_run_details WHERE status IN ('starting', 'running')")" = 0 ] && break
	sleep 1
done
q -c "SELECT j.jobname, d.status, d.return_message FROM cron.job_run_details d JOIN cron.job j USING (jobid) ORDER BY d.runid" >&2

check "cron.job_run_details: churn-refresh succeeded" t \
	"$(q -c "SELECT bool_and(d.status = 'succeeded') AND count(*) > 0 FROM cron.job_run_details d JOIN cron.job j USING (jobid) WHERE j.jobname = 'churn-refresh' AND d.status <> 'running'")"
check "cron.job_run_details: churn-aging succeeded" t \
	"$(q -c "SELECT bool_and(d.status = 'succeeded') AND count(*) > 0 FROM cron.job_run_details d JOIN cron.job j USING (jobid) WHERE j.jobname = 'churn-aging' AND d.status <> 'running'")"

check "cron.job_run_details: churn-cox-refit succeeded" t \
	"$(q -c "SELECT bool_and(d.status = 'succeeded') AND count(*) > 0 FROM cron.job_run_details d JOIN cron.job j USING (jobid) WHERE j.jobname = 'churn-cox-refit' AND d.status <> 'running'")"

# Stop the schedule so nothing changes under the checks below.
q -c "SELECT cron.unschedule('churn-refresh'); SELECT cron.unschedule('churn-aging');
      SELECT cron.unschedule('churn-cox-refit');" >/dev/null

check "the refit job stored a model of the 40 subscribers and their 3 cancellations" "t" \
	"$(q -c "SELECT bool_and((churn.cox_summary(model)).n = 40 AND (churn.cox_summary(model)).events = 3) AND count(*) > 0 FROM churn_models")"

# Whatever is still pending was written by the aging run (state changes are
# deltas too); every delta older than the schedule has been folded.
check "after the refresh job, churn.verify finds no difference" 0 \
	"$(q -c "SELECT count(*) FROM churn.verify('subscribers')")"
check "churn.health(): last_refresh set by the job" t \
	"$(q -c "SELECT last_refresh IS NOT NULL FROM churn.health() WHERE relation = 'subscribers'::regclass")"
check "churn.health(): last_aging set by the job" t \
	"$(q -c "SELECT last_aging IS NOT NULL FROM churn.health() WHERE relation = 'subscribers'::regclass")"
check "the refresh job folded every delta pending before it was scheduled" 0 \
	"$(q -c "SELECT count(*) FROM churn.summary_delta WHERE added <= '$t0'")"

# Aging by thresholds 10/20/30 days of inactivity (id = days inactive):
# 1..9 stay active (1..3 were cancelled without a state change), 10..19
# at_risk, 20..29 dormant, 30..40 churned.
check "aging job: states follow the 10/20/30-day thresholds" \
	"active|9 at_risk|10 dormant|10 churned|11" \
	"$(q -c "SET TimeZone = 'UTC'; SELECT status || '|' || count(*) FROM subscribers GROUP BY status ORDER BY status" | tr '\n' ' ' | sed 's/ $//')"

q -c "SELECT churn.refresh()" >/dev/null
check "after a final refresh nothing is pending" 0 \
	"$(q -c "SELECT pending_deltas FROM churn.health() WHERE relation = 'subscribers'::regclass")"

exit $failed
