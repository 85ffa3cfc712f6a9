# test/suites/summary_lib.bash: shell helpers of the summary suites
# (summary_concurrency.sh, summary_crash.sh, upgrade.sh, summary_move.bash
# and the suites that source it, ...); sourced, not a suite itself.
# The caller sets DB (the database q talks to) and failed=0, and for
# workload also here and work.

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; failed=$((failed + 1)); }
info() { echo "# $*"; }
q() { "$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
# check DESCRIPTION SQL EXPECTED: the query's output must equal EXPECTED.
check() {
	local got
	got=$(q -c "$2" 2>&1)
	if [ "$got" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		info "expected: $3"
		printf '%s\n' "$got" | head -20 | sed 's/^/#   got: /'
	fi
}
# check_diffs WHEN: every comparison of t.all_diffs is empty.
check_diffs() {
	local got
	got=$(q -c "SELECT summary, identities, gaps, reasons, diversion FROM t.all_diffs" 2>&1)
	if [ "$got" = "0|0|0|0|0" ]; then
		ok "$1: churn_summary, churn_reasons, diversion_summary equal the oracle; identities hold; no gaps"
	else
		not_ok "$1: summary|identities|gaps|reasons|diversion differences: $got"
		q -c "SELECT * FROM t.summary_diff ORDER BY 3, 1, 2::text LIMIT 8" 2>&1 | sed 's/^/#   diff: /'
		q -c "SELECT channel, segment, bucket_start, at_start, new, reactivated, moved_in, moved_out, lost, lost_from_start, at_end, next_at_start FROM t.identity_violations LIMIT 5" 2>&1 | sed 's/^/#   identity: /'
		q -c "SELECT * FROM t.reasons_diff ORDER BY 2, 3, 4 LIMIT 5" 2>&1 | sed 's/^/#   reasons: /'
		q -c "SELECT * FROM t.diversion_diff ORDER BY 2, 3, 4 LIMIT 5" 2>&1 | sed 's/^/#   diversion: /'
	fi
}

# Initial customers: half before track (back-fill), half after (one big
# multi-row INSERT through the trigger).  Same generator as the workload:
# prev_at = since, updated_at = the latest event.
load_initial() {
	q -c "SELECT setseed(0.${SEED:-42});
	INSERT INTO customers (id, since, until, branch, contract, region, cancel_reason, updated_at, prev_at)
	SELECT i, s, u, (ARRAY['north','south','east','west','online','phone'])[1 + floor(random() * 6)::int],
	       (ARRAY['monthly','annual','prepaid'])[1 + floor(random() * 3)::int],
	       (ARRAY['r1','r2','r3','r4'])[1 + floor(random() * 4)::int],
	       CASE WHEN u IS NOT NULL THEN (ARRAY['price','service','competitor',NULL])[1 + floor(random() * 4)::int] END,
	       coalesce(u, s), s
	  FROM (SELECT i, s, CASE WHEN random() < 0.35 THEN s + random() * interval '500 days' + interval '1 day' END AS u
	          FROM (SELECT i, timestamptz '2023-01-01 00:00+00' + random() * interval '900 days' AS s
	                  FROM generate_series($1, $2) i) a) b"
}
# create_test_db NAME [VERSION]: a fresh database without JIT (the oracle's
# queries are many small plans) holding churn (at VERSION, default the
# current one) and the oracle schema.  Its TimeZone, in which churn.track
# fixes the buckets and the oracle cuts months, is CHURN_CONC_TZ (UTC).
create_test_db() {
	PGOPTIONS="-c client_min_messages=warning" "$PGBIN/psql" -X -q -d postgres \
		-c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" \
		-c "ALTER DATABASE $1 SET TimeZone = '${CHURN_CONC_TZ:-UTC}'" -c "ALTER DATABASE $1 SET jit = off" || return 1
	DB=$1 q -c "CREATE EXTENSION churn${2:+ VERSION '$2'}" ${CHURN_CONC_PARTITIONED:+-v partitioned=1} \
		-f "$here/summary_oracle.sql" >/dev/null
}

# track_customers: churn.track on public.customers with every option the
# oracle models.
track_customers() {
	q -c "SELECT churn.track('public.customers', customer => 'id', since => 'since', until => 'until',
		channel => 'branch', segments => ARRAY['contract','region'], reason => 'cancel_reason',
		changed_at => 'updated_at', bucket => '1 month')"
}

# workload DB SEED NEW_FROM TXNS: TXNS transactions of the random workload
# of the summary suites (new customers from id NEW_FROM on, losses, moves,
# reactivations, deletes, COPY) on DB's customer table.
workload() {
	python3 "$here/summary_workload.py" --worker 0 --workers 1 --initial 800 --new-from "$3" --txns "$4" \
		--seed "$2" >"$work/w-$1-$2.sql" &&
		DB=$1 q -f "$work/w-$1-$2.sql" >/dev/null 2>"$work/w-$1-$2.err"
	# the workload's intended errors are aborted COPYs; nothing else may fail
	! grep ERROR "$work/w-$1-$2.err" | grep -qv 'bogus-time'
}
