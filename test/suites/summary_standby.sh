#!/bin/bash
# test/suites/summary_standby.sh: the dashboards read a hot standby.
#
# A primary of the suite's own (wal_level replica) holds a tracked table
# with folded summary rows, pending deltas and history; a standby is made
# from it with pg_basebackup and streams its WAL.  Required:
#   - on the standby, after it replayed the primary's WAL, churn_summary,
#     churn_reasons, diversion_summary and churn.status equal the
#     primary's row for row, churn.verify is empty and the views equal the
#     plain-SQL oracle (summary_oracle.sql) over the standby's rows;
#   - while a workload writes on the primary, every read on the standby
#     (as many as the workload lasts) equals the oracle over the rows of
#     its own snapshot (the
#     standby's snapshots come from the WAL, not from running
#     transactions; the reads' memos of pending deltas must follow them);
#   - churn.refresh, rebuild and every other writer refuse the standby
#     with churn's own message (25006, "cannot run on a standby server",
#     the hint to run them on the primary); health() and verify() answer;
#   - after churn.refresh() on the primary, the standby reads the folded
#     summaries, equal to the primary's again;
#   - promoted after the primary stopped (a failover), the standby captures
#     a workload, refreshes, and stays equal to the oracle with verify empty.
# Waiting for the standby polls its replay position every 50 ms; no sleep
# decides anything.

set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
DB=churn_summary_standby
SEED=13
work=$CHURN_TMP/summary_standby
rm -rf "$work"
mkdir -p "$work"
chmod 777 "$work"
failed=0
. "$here/summary_lib.bash"
. "$here/summary_move.bash"
export CHURN_CONC_TZ=UTC

standby=$CHURN_TMP/standby
bg_pids=()
cleanup() {
	local p
	for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null; done
	[ -d "$standby/data" ] && as_owner "$PGBIN/pg_ctl" -D "$standby/data" -m immediate -w stop >/dev/null 2>&1
	churn_cluster_stop
}
trap cleanup EXIT

churn_cluster_start standby_primary 'wal_level = replica' 'max_wal_senders = 4' ||
	{ not_ok "start a primary of its own"; exit 1; }
primary_host=$PGHOST
primary_port=$PGPORT

build_source "$DB" || exit 1

# the standby
rm -rf "$standby"
mkdir -p "$standby"
[ "$(id -u)" = 0 ] && chown postgres: "$standby"
standby_port=$(churn_free_port $((primary_port + 1)))
if ! as_owner "$PGBIN/pg_basebackup" -h "$primary_host" -p "$primary_port" -U postgres -D "$standby/data" -R -X stream -c fast \
	>"$standby/basebackup.log" 2>&1; then
	not_ok "pg_basebackup of the primary"
	sed 's/^/#   /' "$standby/basebackup.log" | head -5
	exit 1
fi
printf '%s\n' "port = $standby_port" "unix_socket_directories = '$standby'" "hot_standby = on" |
	as_owner tee -a "$standby/data/postgresql.conf" >/dev/null
if ! as_owner "$PGBIN/pg_ctl" -D "$standby/data" -l "$standby/server.log" -w -t 60 start >/dev/null; then
	not_ok "start the standby"
	tail -5 "$standby/server.log" | sed 's/^/#   /'
	exit 1
fi
# on_standby COMMAND...: a command of the suite's (q, check, ...) run
# against the standby
on_standby() { PGHOST=$standby PGPORT=$standby_port "$@"; }
sq() { on_standby q "$@"; }
check "the primary is not in recovery" "SELECT pg_is_in_recovery()" "f"
on_standby check "the standby is a hot standby" "SELECT pg_is_in_recovery()" "t"

# caught_up: wait until the standby replayed everything the primary wrote
# so far (at most 60 s).  The insert position, not pg_current_wal_lsn():
# with synchronous_commit off the last commits may not be written yet.
caught_up() {
	local target n
	target=$(q -c "SELECT pg_current_wal_insert_lsn()")
	for n in $(seq 1 1200); do
		[ "$(sq -c "SELECT pg_last_wal_replay_lsn() >= '$target'::pg_lsn")" = t ] && return 0
		sleep 0.05
	done
	return 1
}

# same_as_primary WHEN: the standby's views and churn.status equal the
# primary's, verify is empty there, and the views equal the oracle
same_as_primary() {
	summary_text "$DB" >"$work/primary.txt" 2>&1
	on_standby summary_text "$DB" >"$work/standby.txt" 2>&1
	if [ -s "$work/primary.txt" ] && cmp -s "$work/primary.txt" "$work/standby.txt"; then
		ok "$1: the standby's summaries equal the primary's row for row ($(wc -l <"$work/primary.txt") rows)"
	else
		not_ok "$1: the standby's summaries differ from the primary's"
		diff "$work/primary.txt" "$work/standby.txt" | head -6 | sed 's/^/#   /'
	fi
	on_standby check "$1: churn.status on the standby is the primary's" \
		"SELECT summary_rows, pending_deltas, history_rows FROM churn.status" \
		"$(q -c "SELECT summary_rows, pending_deltas, history_rows FROM churn.status")"
	on_standby check "$1: churn.verify on the standby returns nothing" \
		"SELECT count(*) FROM churn.verify('public.customers')" "0"
	on_standby check_diffs "$1: on the standby"
}

workload "$DB" 3 20000 150 || not_ok "a workload on the primary after the standby started"
if caught_up; then
	check "pending deltas on the primary" "SELECT pending_deltas > 0 FROM churn.status" "t"
	same_as_primary "with pending deltas"
else
	not_ok "the standby did not replay the primary's WAL within 60 s"
fi

# reads on the standby while the primary writes: each equals the oracle
# over its own snapshot
workload "$DB" 4 30000 2000 &
bg_pids+=($!)
# (as many reads as the workload lasts, from 6 to 300: what passes does
# not depend on how many)
bad=0
during=0
reads=0
while [ $reads -lt 6 ] || { [ $reads -lt 300 ] && kill -0 "${bg_pids[0]}" 2>/dev/null; }; do
	reads=$((reads + 1))
	got=$(sq -c "SELECT summary, identities, gaps, reasons, diversion FROM t.all_diffs" 2>&1)
	if [ "$got" != "0|0|0|0|0" ]; then
		bad=$((bad + 1))
		info "read $reads on the standby: summary|identities|gaps|reasons|diversion differences: $got"
	fi
	kill -0 "${bg_pids[0]}" 2>/dev/null && during=$((during + 1))
done
wait "${bg_pids[0]}" || not_ok "the workload on the primary during the standby's reads"
bg_pids=()
[ $bad -eq 0 ] && ok "$reads reads on the standby, $during of them ended while the primary's workload ran:" \
	"each equals the oracle over its snapshot" ||
	not_ok "$bad of $reads reads on the standby during the primary's writes differ from the oracle"

# the writers refuse the standby, in churn's words
for call in "SELECT churn.refresh()" "SELECT churn.refresh('public.customers')" \
	"SELECT churn.rebuild('public.customers')" "SELECT churn.suspend('public.customers')" \
	"SELECT churn.resume('public.customers')" "SELECT churn.untrack('public.customers')" \
	"SELECT churn.track('public.customers', customer => 'id', since => 'since', until => 'until')" \
	"SELECT churn.retrack('public.customers', customer => 'id', since => 'since', until => 'until')" \
	"SELECT churn.grant_reader('postgres')" "SELECT churn.revoke_reader('postgres')" \
	"CALL churn.advance_lifecycle('public.customers')"; do
	what=$(echo "$call" | sed 's/^[A-Z]* \(churn\.[a-z_]*\)(.*/\1/')
	got=$(sq -v VERBOSITY=verbose -c "$call" 2>&1 | grep -E '^(ERROR|DETAIL|HINT)' | tr '\n' ' ')
	case $got in
	"ERROR:  25006: $what cannot run on a standby server DETAIL:  A standby's summaries follow the primary's through replication. HINT:  Run it on the primary. ")
		ok "on the standby, $what refuses with 25006 and churn's message" ;;
	*)
		not_ok "on the standby, $what: $got" ;;
	esac
done
on_standby check "churn.health() answers on the standby" \
	"SELECT count(*) FROM churn.health() WHERE status IN ('ok', 'stale')" "1"

# refreshed on the primary, folded on the standby
caught_up || not_ok "the standby did not replay the workload within 60 s"
q -c "SELECT churn.refresh()" >/dev/null || not_ok "churn.refresh() on the primary"
if caught_up; then
	on_standby check "after the primary's refresh the standby has no pending deltas" \
		"SELECT pending_deltas FROM churn.status" "0"
	same_as_primary "after the primary's refresh"
else
	not_ok "the standby did not replay the refresh within 60 s"
fi

# failover: the primary goes, the standby is promoted, and the new primary
# captures, refreshes and stays exact
workload "$DB" 5 40000 150 || not_ok "a last workload on the primary"
caught_up || not_ok "the standby did not replay the last workload within 60 s"
churn_cluster_stop
if as_owner "$PGBIN/pg_ctl" -D "$standby/data" -w -t 60 promote >/dev/null; then
	PGHOST=$standby
	PGPORT=$standby_port
	check "the promoted standby is a primary" "SELECT pg_is_in_recovery()" "f"
	check_diffs "promoted, the deltas left pending by the old primary"
	workload "$DB" 6 50000 150 || not_ok "a workload on the promoted standby"
	check_diffs "after a workload on the promoted standby"
	q -c "SELECT churn.refresh()" >/dev/null || not_ok "churn.refresh() on the promoted standby"
	check "churn.refresh() on the promoted standby folds every pending delta" \
		"SELECT pending_deltas FROM churn.status" "0"
	check "churn.verify on the promoted standby returns nothing" \
		"SELECT count(*) FROM churn.verify('public.customers')" "0"
	check_diffs "after churn.refresh() on the promoted standby"
else
	not_ok "promote the standby"
fi

if [ $failed -eq 0 ]; then
	cleanup
	trap - EXIT
	rm -rf "$standby" "$CHURN_TMP/standby_primary"
fi
[ $failed -eq 0 ]
