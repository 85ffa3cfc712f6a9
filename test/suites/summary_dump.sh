#!/bin/bash
# test/suites/summary_dump.sh: a database with a tracked table survives a
# pg_dump / restore round trip, in custom format through pg_restore and in
# plain format through psql.  The source holds folded and pending (not yet
# refreshed) deltas, moves, reactivations and deletes.  After restore:
# churn.verify returns nothing, churn_summary / churn_reasons /
# diversion_summary equal the source's row for row and the plain-SQL oracle
# (test/suites/summary_oracle.sql), and the restored triggers keep the
# summaries exact through a further random workload.

set -u
here=$(cd "$(dirname "$0")" && pwd)
SRC=churn_summary_dump_src
SEED=7
work=$CHURN_TMP/summary_dump
rm -rf "$work"
mkdir -p "$work"
failed=0
. "$here/summary_lib.bash"

# workload DB SEED NEW-FROM TXNS: one writer session of the random workload
# over customers 1..800; new customers get ids above NEW-FROM.
workload() {
	python3 "$here/summary_workload.py" --worker 0 --workers 1 --initial 800 --new-from "$3" --txns "$4" \
		--seed "$2" >"$work/w-$1-$2.sql" &&
		DB=$1 q -f "$work/w-$1-$2.sql" >/dev/null 2>"$work/w-$1-$2.err"
	# the workload's intended errors are aborted COPYs; nothing else may fail
	! grep ERROR "$work/w-$1-$2.err" | grep -qv 'bogus-time'
}

# summary_text DB: the summary rows of the tracked table, in a fixed order.
# The workload's events all lie before 2026; the rows of later months, which
# grow with the calendar (a month may end between the dump and the restore),
# are left to the oracle comparison.
summary_text() {
	DB=$1 q -c "SELECT bucket_start, bucket_end, channel, segment, at_start, new, reactivated, moved_in,
	            moved_out, lost, lost_from_start, at_end, churn_rate, retention_rate
	       FROM churn.churn_summary WHERE relation = 'public.customers'::regclass
	        AND bucket_start < '2026-01-01' ORDER BY 1, 3, 4::text" \
		-c "SELECT bucket_start, channel, reason, lost FROM churn.churn_reasons
	         WHERE relation = 'public.customers'::regclass ORDER BY 1, 2, 3" \
		-c "SELECT * FROM churn.diversion_summary WHERE relation = 'public.customers'::regclass ORDER BY 2, 4, 5"
}

DB=$SRC
create_test_db "$SRC" || { not_ok "create source database"; exit 1; }
load_initial 1 600 >/dev/null || { not_ok "initial load"; exit 1; }
out=$(track_customers 2>&1) || { not_ok "churn.track: $out"; exit 1; }
# folded deltas: a workload then a refresh; pending deltas: another workload
workload "$SRC" 1 600 150 || not_ok "first workload on the source"
q -c "SELECT churn.refresh()" >/dev/null || not_ok "churn.refresh() on the source"
workload "$SRC" 2 5000 150 || not_ok "second workload on the source"
check_diffs "source before the dump"
summary_text "$SRC" >"$work/src.txt" 2>&1
info "source: $(q -c "SELECT count(*) FROM customers") customers, $(grep -c . "$work/src.txt") summary lines"
check "the dump holds folded summary rows, pending deltas and history" \
	"SELECT summary_rows > 0 AND pending_deltas > 0 AND history_rows > 0 FROM churn.status
	  WHERE relation = 'public.customers'::regclass" "t"
q -c "SELECT summary_rows, pending_deltas, history_rows FROM churn.status" >"$work/src-status.txt"

"$PGBIN/pg_dump" -Fc -d "$SRC" -f "$work/src.dump" 2>"$work/pg_dump.err"
[ $? -eq 0 ] && [ ! -s "$work/pg_dump.err" ] && ok "pg_dump -Fc of the source" ||
	{ not_ok "pg_dump -Fc: $(head -3 "$work/pg_dump.err")"; }
"$PGBIN/pg_dump" -Fp -d "$SRC" -f "$work/src.sql" 2>>"$work/pg_dump.err" || not_ok "pg_dump -Fp"

restore_check() {
	local how=$1 dst=$2
	DB=$dst
	check "$how: churn.verify returns nothing" "SELECT count(*) FROM churn.verify('public.customers')" "0"
	summary_text "$dst" >"$work/$dst.txt" 2>&1
	if cmp -s "$work/src.txt" "$work/$dst.txt"; then
		ok "$how: the summaries equal the source's row for row"
	else
		not_ok "$how: the summaries differ from the source's"
		diff "$work/src.txt" "$work/$dst.txt" | head -6 | sed 's/^/#   /'
	fi
	check_diffs "$how: restored"
	check "$how: churn.status shows the source's summary, pending and history rows" \
		"SELECT summary_rows, pending_deltas, history_rows FROM churn.status" "$(cat "$work/src-status.txt")"
	workload "$dst" 3 9000 150 || not_ok "$how: workload on the restored database"
	check_diffs "$how: after a workload through the restored triggers"
	q -c "SELECT churn.refresh()" >/dev/null || not_ok "$how: churn.refresh() after restore"
	check_diffs "$how: after churn.refresh()"
	check "$how: churn.verify returns nothing after the workload" \
		"SELECT count(*) FROM churn.verify('public.customers')" "0"
}

# custom format through pg_restore
DST=churn_summary_dump_fc
PGOPTIONS="-c client_min_messages=warning" "$PGBIN/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $DST" \
	-c "CREATE DATABASE $DST" -c "ALTER DATABASE $DST SET TimeZone = 'UTC'" -c "ALTER DATABASE $DST SET jit = off"
"$PGBIN/pg_restore" -d "$DST" --exit-on-error "$work/src.dump" 2>"$work/pg_restore.err"
if [ $? -eq 0 ] && [ ! -s "$work/pg_restore.err" ]; then
	ok "pg_restore into a new database without error or warning"
	restore_check "pg_restore" "$DST"
else
	not_ok "pg_restore: $(head -5 "$work/pg_restore.err" | tr '\n' ' ')"
fi

# plain format through psql
DST=churn_summary_dump_fp
PGOPTIONS="-c client_min_messages=warning" "$PGBIN/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $DST" \
	-c "CREATE DATABASE $DST" -c "ALTER DATABASE $DST SET TimeZone = 'UTC'" -c "ALTER DATABASE $DST SET jit = off"
DB=$DST q -f "$work/src.sql" >/dev/null 2>"$work/psql_restore.err"
if [ $? -eq 0 ] && ! grep -q . "$work/psql_restore.err"; then
	ok "plain dump replayed by psql without error"
	restore_check "psql restore" "$DST"
else
	not_ok "psql restore: $(head -5 "$work/psql_restore.err" | tr '\n' ' ')"
fi

if [ $failed -eq 0 ]; then
	for d in $SRC churn_summary_dump_fc churn_summary_dump_fp; do
		"$PGBIN/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $d" >/dev/null 2>&1
	done
fi
[ $failed -eq 0 ]
