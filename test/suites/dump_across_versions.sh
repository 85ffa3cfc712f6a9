#!/bin/bash
# test/suites/dump_across_versions.sh: a database with a tracked table,
# dumped by pg_dump of one PostgreSQL major version and restored into a
# later one (the way Debian's pg_upgradecluster -m dump and most
# migrations move a database), keeps its summaries exact and capturing.
#
# test/run.sh runs the versions in order (15, 17, 18) and gives every run
# the same directory, CHURN_XDUMP_DIR.  Each version writes there a dump of
# a source database (custom and plain format) holding folded summary rows,
# pending deltas and history, with the source's summaries as text; then it
# restores every dump of an older major version it finds: pg_restore and
# psql without error, churn.verify empty, the summaries equal the source's
# row for row and the plain-SQL oracle (summary_oracle.sql), and a further
# workload through the restored triggers stays exact.  A run of one version
# alone finds no older dump and says so.

set -u
here=$(cd "$(dirname "$0")" && pwd)
work=$CHURN_TMP/dump_across
rm -rf "$work"
mkdir -p "$work"
failed=0
SEED=5
. "$here/summary_lib.bash"

if [ -z "${CHURN_XDUMP_DIR:-}" ] || [ ! -d "$CHURN_XDUMP_DIR" ]; then
	ok "dumps across versions # SKIP test/run.sh gives no CHURN_XDUMP_DIR"
	exit 0
fi

workload() {
	python3 "$here/summary_workload.py" --worker 0 --workers 1 --initial 800 --new-from "$3" --txns "$4" \
		--seed "$2" >"$work/w-$1-$2.sql" &&
		DB=$1 q -f "$work/w-$1-$2.sql" >/dev/null 2>"$work/w-$1-$2.err"
	# the workload's intended errors are aborted COPYs; nothing else may fail
	! grep ERROR "$work/w-$1-$2.err" | grep -qv 'bogus-time'
}

# summary_text DB: the summary rows of the tracked table, in a fixed order.
# The workload's events all lie before 2026; the rows of later months, which
# grow with the calendar between the dump and the restore, are left to the
# oracle comparison.
summary_text() {
	DB=$1 q -c "SELECT bucket_start, bucket_end, channel, segment, at_start, new, reactivated, moved_in,
	            moved_out, lost, lost_from_start, at_end, churn_rate, retention_rate
	       FROM churn.churn_summary WHERE relation = 'public.customers'::regclass
	        AND bucket_start < '2026-01-01' ORDER BY 1, 3, 4::text" \
		-c "SELECT bucket_start, channel, reason, lost FROM churn.churn_reasons
	         WHERE relation = 'public.customers'::regclass ORDER BY 1, 2, 3" \
		-c "SELECT * FROM churn.diversion_summary WHERE relation = 'public.customers'::regclass ORDER BY 2, 4, 5"
}

# The source of this version, for the versions after it.
mine=$CHURN_XDUMP_DIR/from-$PG_MAJOR
rm -rf "$mine"
mkdir -p "$mine"
SRC=churn_xdump_src
DB=$SRC
create_test_db "$SRC" || { not_ok "create the source database"; exit 1; }
load_initial 1 600 >/dev/null || not_ok "initial load of the source"
out=$(track_customers 2>&1) || not_ok "churn.track on the source: $out"
workload "$SRC" 1 600 150 || not_ok "first workload on the source"
q -c "SELECT churn.refresh()" >/dev/null || not_ok "churn.refresh() on the source"
workload "$SRC" 2 5000 150 || not_ok "second workload on the source"
check_diffs "PostgreSQL $PG_MAJOR source"
check "PostgreSQL $PG_MAJOR source: folded rows, pending deltas and history to dump" \
	"SELECT summary_rows > 0 AND pending_deltas > 0 AND history_rows > 0 FROM churn.status
	  WHERE relation = 'public.customers'::regclass" "t"
summary_text "$SRC" >"$mine/summaries.txt" 2>&1
q -c "SELECT summary_rows, pending_deltas, history_rows FROM churn.status" >"$mine/status.txt"
if "$PGBIN/pg_dump" -Fc -d "$SRC" -f "$mine/src.dump" 2>"$work/pg_dump.err" &&
	"$PGBIN/pg_dump" -Fp -d "$SRC" -f "$mine/src.sql" 2>>"$work/pg_dump.err" && [ ! -s "$work/pg_dump.err" ]; then
	ok "PostgreSQL $PG_MAJOR source dumped (custom and plain format) for the later versions"
else
	not_ok "pg_dump of the source: $(head -3 "$work/pg_dump.err")"
	rm -rf "$mine"
fi
"$PGBIN/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $SRC" >/dev/null 2>&1

# new_db NAME: an empty database as the restore target
new_db() {
	PGOPTIONS="-c client_min_messages=warning" "$PGBIN/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $1" \
		-c "CREATE DATABASE $1" -c "ALTER DATABASE $1 SET TimeZone = 'UTC'" -c "ALTER DATABASE $1 SET jit = off"
}

restore_check() {
	local how=$1 dst=$2 from=$3
	DB=$dst
	check "$how: churn.verify returns nothing" "SELECT count(*) FROM churn.verify('public.customers')" "0"
	check "$how: the extension is at the current version" \
		"SELECT extversion = (SELECT default_version FROM pg_available_extensions WHERE name = 'churn')
		   FROM pg_extension WHERE extname = 'churn'" "t"
	summary_text "$dst" >"$work/$dst.txt" 2>&1
	if cmp -s "$from/summaries.txt" "$work/$dst.txt"; then
		ok "$how: the summaries equal the source's row for row"
	else
		not_ok "$how: the summaries differ from the source's"
		diff "$from/summaries.txt" "$work/$dst.txt" | head -6 | sed 's/^/#   /'
	fi
	check "$how: churn.status shows the source's summary, pending and history rows" \
		"SELECT summary_rows, pending_deltas, history_rows FROM churn.status" "$(cat "$from/status.txt")"
	check_diffs "$how: restored"
	workload "$dst" 3 9000 150 || not_ok "$how: workload on the restored database"
	check_diffs "$how: after a workload through the restored triggers"
	q -c "SELECT churn.refresh()" >/dev/null || not_ok "$how: churn.refresh() after the restore"
	check "$how: churn.verify returns nothing after the workload and a refresh" \
		"SELECT count(*) FROM churn.verify('public.customers')" "0"
}

restored=0
for from in "$CHURN_XDUMP_DIR"/from-*; do
	[ -f "$from/src.dump" ] || continue
	old=${from##*/from-}
	[ "$old" -lt "$PG_MAJOR" ] || continue
	restored=$((restored + 1))

	DST=churn_xdump_fc_$old
	new_db "$DST"
	if "$PGBIN/pg_restore" -d "$DST" --exit-on-error "$from/src.dump" 2>"$work/pg_restore.err" &&
		[ ! -s "$work/pg_restore.err" ]; then
		ok "$old -> $PG_MAJOR: pg_restore of the custom dump, without error or warning"
		restore_check "$old -> $PG_MAJOR, pg_restore" "$DST" "$from"
	else
		not_ok "$old -> $PG_MAJOR: pg_restore: $(head -5 "$work/pg_restore.err" | tr '\n' ' ')"
	fi

	DST=churn_xdump_fp_$old
	new_db "$DST"
	if DB=$DST q -f "$from/src.sql" >/dev/null 2>"$work/psql_restore.err" && ! grep -q . "$work/psql_restore.err"; then
		ok "$old -> $PG_MAJOR: the plain dump replayed by psql, without error"
		restore_check "$old -> $PG_MAJOR, psql" "$DST" "$from"
	else
		not_ok "$old -> $PG_MAJOR: psql restore: $(head -5 "$work/psql_restore.err" | tr '\n' ' ')"
	fi
	if [ $failed -eq 0 ]; then
		for d in churn_xdump_fc_$old churn_xdump_fp_$old; do
			"$PGBIN/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $d" >/dev/null 2>&1
		done
	fi
done
[ $restored -gt 0 ] || ok "no dump of an older PostgreSQL in this run to restore into $PG_MAJOR # SKIP (run test/run.sh with older versions first)"
[ $failed -eq 0 ]
