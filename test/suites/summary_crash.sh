#!/bin/bash
# test/suites/summary_crash.sh: the summaries survive a crash of the server.
#
# Four writer sessions run the random workload of summary_concurrency.sh
# (summary_workload.py) on a tracked table; a bulk loader commits six
# batches (an INSERT ... SELECT of 2,400 rows, a COPY of 1,000, and
# UPDATEs of more than 1,000 rows and a DELETE of 1,100, which take the
# set-based capture: moves, cancellations, reactivations); a refresher runs
# churn.refresh() once and then leaves a second one open in its
# transaction; the bulk loader starts a COPY whose data comes through a
# FIFO that this script feeds and never closes.  Then the server is killed
# with SIGKILL, in three rounds, each differently:
#
#   1. every server process at once (the postmaster and all its children in
#      one kill(1)): what a power cut does to the processes;
#   2. the postmaster alone, after a CHECKPOINT taken during the run (its
#      children notice and exit; the restart recovers from that checkpoint);
#   3. one backend, the one in the COPY: the postmaster ends every other
#      backend and reinitializes by itself (no restart).
#
# After each crash and recovery the suite requires:
#   - every bulk batch whose COMMIT the client saw is there, and not one row
#     of the COPY that was cut off;
#   - amcheck (verify_heapam, bt_index_check with heapallindexed) finds
#     churn's tables and indexes, the customer table and the test's logs
#     intact;
#   - churn.verify returns nothing, and churn_summary, churn_reasons and
#     diversion_summary equal the plain-SQL oracle (summary_oracle.sql) over
#     the rows that survived;
#   - capture still works: a further workload, six more bulk batches and a
#     refresh, and churn.verify is empty again (and, after the last round,
#     the views equal the oracle again).
#
# The cluster is this suite's own, with fsync, full_page_writes and
# synchronous_commit on: lib.sh's default cluster turns them off for speed,
# and a crash test with fsync off only tests the OS cache.  A kill -9 loses
# nothing the kernel already holds, so with fsync off this test would pass
# just the same and say nothing about a real power cut, which loses the WAL
# the server believed written.  What a kill -9 does lose is what lived only
# in the server's shared memory (WAL buffers not yet written, dirty pages):
# that is what recovery must rebuild here.  synchronous_commit = on makes
# "the client saw COMMIT" mean "the commit record was flushed", which the
# durability check relies on.
#
# The moment of each kill is chosen from the seed (CHURN_CRASH_SEED) by
# counts, not by time.  Workers 0 and 1 stop before the COMMIT of their k-th
# transaction (k from the seed), on a lock the refresher holds, with that
# transaction's writes and their capture done; the bulk batches start after
# n1 writer transactions and are all acknowledged, the open refresh comes
# after n2 and is done; the COPY has read at least 3/4 of the m rows fed to
# it.  Only workers 2 and 3 run free, up to the kill: how far they got
# depends on the machine, and the checks hold whatever it is.  Waiting for
# those states polls the server every 50 ms; no sleep decides anything.

set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
DB=churn_summary_crash
SEED=${CHURN_CRASH_SEED:-11}
W=4
INIT=2000
work=$CHURN_TMP/summary_crash
rm -rf "$work"
mkdir -p "$work"
chmod 777 "$work"
failed=0
. "$here/summary_lib.bash"
export CHURN_CONC_TZ=UTC

bg_pids=()
cleanup() {
	local p
	exec 7>&- 8>&- 9>&-
	for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null; done
	churn_cluster_stop
}
trap cleanup EXIT

churn_cluster_start crash 'fsync = on' 'full_page_writes = on' 'synchronous_commit = on' \
	'log_min_messages = log' || { not_ok "start a cluster of its own"; exit 1; }
log_file=$PGHOST/server.log
DB=postgres check "the crash cluster runs with fsync, full_page_writes and synchronous_commit on" \
	"SELECT current_setting('fsync') || current_setting('full_page_writes') || current_setting('synchronous_commit')" \
	"ononon"

create_test_db "$DB" || { not_ok "create database with churn and the oracle schema"; exit 1; }
q -c "CREATE EXTENSION amcheck" >/dev/null || { not_ok "CREATE EXTENSION amcheck"; exit 1; }
q >/dev/null <<'SQL' || { not_ok "test schema of the crash suite"; exit 1; }
-- writer transactions done (bumped after each COMMIT/ROLLBACK, outside
-- the transactions: a sequence is not rolled back)
CREATE SEQUENCE t.progress;
-- bulk batches, logged by the batch's own transaction
CREATE TABLE t.bulk_log (batch int PRIMARY KEY, kind text NOT NULL, first_id bigint NOT NULL, n int NOT NULL);
-- n deterministic customers from id first on, 30 % already lost; events
-- before 2026 (the workload's promise: every bucket in the past)
CREATE FUNCTION t.bulk_rows(first bigint, n int)
RETURNS TABLE (id bigint, since timestamptz, until timestamptz, branch text, contract text, region text,
			   cancel_reason text, updated_at timestamptz, prev_at timestamptz)
LANGUAGE sql IMMUTABLE AS $$
	SELECT i, s, u, (ARRAY['north','south','east','west','online','phone'])[1 + (i % 6)::int],
		   (ARRAY['monthly','annual','prepaid'])[1 + ((i / 6) % 3)::int],
		   (ARRAY['r1','r2','r3','r4'])[1 + ((i * 7) % 4)::int],
		   CASE WHEN u IS NOT NULL THEN (ARRAY['price','service','competitor',NULL])[1 + ((i / 3) % 4)::int] END,
		   coalesce(u, s), s
	  FROM (SELECT i, s, CASE WHEN (i * 2654435761) % 10 < 3
							  THEN s + make_interval(days => 1 + ((i * 40503) % 300)::int, hours => (i % 24)::int) END AS u
			  FROM (SELECT i, timestamptz '2023-01-01 00:00+00'
							  + make_interval(days => ((i * 7919) % 800)::int, secs => ((i * 104729) % 86400)::int) AS s
					  FROM generate_series(first, first + n - 1) i) a) b
$$;
SQL
load_initial 1 $((INIT / 2)) >/dev/null || { not_ok "initial load"; exit 1; }
out=$(track_customers 2>&1) || { not_ok "churn.track: $out"; exit 1; }
load_initial $((INIT / 2 + 1)) "$INIT" >/dev/null || { not_ok "initial load after track"; exit 1; }
ok "churn.track and $INIT customers, half back-filled, half through the trigger"

COLS="id, since, until, branch, contract, region, cancel_reason, updated_at, prev_at"
LIMIT="'2026-01-01'"
IV="make_interval(days => 1 + ((c.id * 3) % 23)::int, hours => (c.id % 24)::int)"

# bulk_batches ROUND TAG: the psql text of six committed bulk batches on the
# customers from 10,000,000 + ROUND * 100,000 + TAG * 10,000 on, each
# followed by "\! echo BATCH >> acked" (run once the client has seen the
# COMMIT).  The UPDATEs of more than 1,000 rows and the DELETE of 1,100 take
# the set-based capture; the moves and reactivations are logged for the
# oracle in the same statement.
bulk_batches() {
	local r=$1 tag=$2 a b k0
	a=$((10000000 + r * 100000 + tag * 10000))
	k0=$((r * 100 + tag * 10))
	b=$((a + 2399))
	cat <<SQL
BEGIN;
INSERT INTO customers ($COLS) SELECT * FROM t.bulk_rows($a, 2400);
INSERT INTO t.bulk_log VALUES ($((k0 + 1)), 'insert', $a, 2400);
COMMIT;
\\! echo $((k0 + 1)) >> $work/acked
BEGIN;
\\copy customers ($COLS) FROM '$work/copy-$r-$tag.tsv'
INSERT INTO t.bulk_log VALUES ($((k0 + 2)), 'copy', $((a + 5000)), 1000);
COMMIT;
\\! echo $((k0 + 2)) >> $work/acked
BEGIN;
WITH u AS (UPDATE customers c SET branch = (ARRAY['north','south','east','west','online','phone'])[1 + ((c.id + 2) % 6)::int],
		   updated_at = c.updated_at + $IV, prev_at = c.updated_at + $IV, n_events = c.n_events + 1
	  FROM customers o WHERE o.id = c.id AND c.id BETWEEN $a AND $b AND c.until IS NULL AND c.updated_at < $LIMIT
	   AND c.branch <> (ARRAY['north','south','east','west','online','phone'])[1 + ((c.id + 2) % 6)::int]
	RETURNING c.id, c.updated_at, o.branch, c.branch)
INSERT INTO t.move_log (id, at, from_ch, to_ch) SELECT * FROM u;
INSERT INTO t.bulk_log VALUES ($((k0 + 3)), 'move', $a, 2400);
COMMIT;
\\! echo $((k0 + 3)) >> $work/acked
BEGIN;
UPDATE customers c SET until = c.updated_at + $IV, updated_at = c.updated_at + $IV,
	   cancel_reason = (ARRAY['price','service',NULL])[1 + (c.id % 3)::int]
 WHERE c.id BETWEEN $a AND $b AND c.until IS NULL AND c.updated_at < $LIMIT;
INSERT INTO t.bulk_log VALUES ($((k0 + 4)), 'cancel', $a, 2400);
COMMIT;
\\! echo $((k0 + 4)) >> $work/acked
BEGIN;
WITH o AS (SELECT id, until, cancel_reason FROM customers
			WHERE id BETWEEN $a AND $((a + 1299)) AND until IS NOT NULL AND updated_at < $LIMIT),
	 u AS (UPDATE customers c SET until = NULL, cancel_reason = NULL, updated_at = c.updated_at + $IV,
				  prev_at = c.updated_at + $IV, n_events = c.n_events + 1
			 FROM o WHERE c.id = o.id RETURNING c.id, c.updated_at, o.until, o.cancel_reason)
INSERT INTO t.react_log (id, at, prev_until, prev_reason) SELECT * FROM u;
INSERT INTO t.bulk_log VALUES ($((k0 + 5)), 'reactivate', $a, 1300);
COMMIT;
\\! echo $((k0 + 5)) >> $work/acked
BEGIN;
DELETE FROM customers WHERE id BETWEEN $((a + 1300)) AND $b;
INSERT INTO t.bulk_log VALUES ($((k0 + 6)), 'delete', $((a + 1300)), 1100);
COMMIT;
\\! echo $((k0 + 6)) >> $work/acked
SQL
}
# make_copy_file ROUND TAG: the 1,000 rows of the committed COPY
make_copy_file() {
	local a=$((10000000 + $1 * 100000 + $2 * 10000 + 5000))
	q -c "COPY (SELECT * FROM t.bulk_rows($a, 1000)) TO STDOUT" >"$work/copy-$1-$2.tsv"
}

progress() { q -c "SELECT last_value FROM t.progress" 2>/dev/null || echo 0; }
workers_alive() {
	local p
	for p in "${worker_pids[@]}"; do kill -0 "$p" 2>/dev/null && return 0; done
	return 1
}
# wait_for SECONDS WHAT COMMAND...: poll (every 50 ms) until COMMAND
# succeeds; the polling decides when, never what is checked
wait_for() {
	local limit=$1 what=$2 end=$((SECONDS + $1))
	shift 2
	until "$@"; do
		if [ $SECONDS -ge $end ]; then
			info "gave up after ${limit}s waiting for $what"
			return 1
		fi
		sleep 0.05
	done
}
barrier_held() {
	[ "$(q -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242 AND granted" 2>/dev/null)" = 1 ]
}
barrier_reached() {
	[ "$(q -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242 AND NOT granted" 2>/dev/null)" -ge 2 ] ||
		! kill -0 "${worker_pids[0]}" 2>/dev/null || ! kill -0 "${worker_pids[1]}" 2>/dev/null
}
progress_at_least() { [ "$(progress)" -ge "$1" ] || ! workers_alive; }
acked_count() { [ "$(grep -c . "$work/acked" 2>/dev/null)" -ge "$1" ]; }
refresh_open() {
	[ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'crash_refresh'
	             AND state = 'idle in transaction' AND backend_xid IS NOT NULL" 2>/dev/null)" = 1 ]
}
copy_rows_at_least() {
	[ "$(q -c "SELECT coalesce(max(c.tuples_processed), -1) FROM pg_stat_progress_copy c
	             JOIN pg_stat_activity a ON a.pid = c.pid WHERE a.application_name = 'crash_bulk'" 2>/dev/null ||
		echo -1)" -ge "$1" ]
}
server_up() { q -c "SELECT 1" >/dev/null 2>&1; }
all_gone() {
	local p
	for p in "$@"; do kill -0 "$p" 2>/dev/null && return 1; done
	return 0
}

# The seeded moments: writer transactions before the first bulk batches,
# before the open refresh and before the kill; COPY rows read before it.
RANDOM=$SEED
rounds=(all postmaster backend)
declare -A round_name=([all]="every server process at once" [postmaster]="the postmaster alone"
	[backend]="one backend (the COPY's): the postmaster reinitializes")

for r in 1 2 3; do
	kind=${rounds[$((r - 1))]}
	n1=$((40 + RANDOM % 60))
	n2=$((n1 + 30 + RANDOM % 60))
	m=$((3000 + RANDOM % 10000))
	stops=""
	: >"$work/acked"
	make_copy_file $r 0
	make_copy_file $r 1
	# the COPY left hanging: more rows than are ever sent
	q -c "COPY (SELECT * FROM t.bulk_rows($((10000000 + r * 100000 + 50000)), 40000)) TO STDOUT" >"$work/inflight-$r.tsv"
	# workers 0 and 1 stop before the COMMIT of their k-th transaction (a
	# lock the refresher holds), with its writes and their capture done;
	# workers 2 and 3 run on until the kill
	for w in $(seq 0 $((W - 1))); do
		k=0
		[ "$w" -lt 2 ] && k=$((30 + RANDOM % 60))
		python3 "$here/summary_workload.py" --worker "$w" --workers "$W" --initial "$INIT" \
			--new-from $((r * 100000)) --txns $([ "$w" -lt 2 ] && echo 300 || echo 1500) --seed $((SEED * 10 + r)) |
			awk -v k=$k '/^COMMIT;$/ && ++c == k { print "SELECT pg_advisory_xact_lock_shared(4242);" }
				{ print }
				/^(COMMIT|ROLLBACK);$/ { print "SELECT nextval('"'"'t.progress'"'"');" }' \
				>"$work/w$r-$w.sql" || { not_ok "generate workload $w of round $r"; exit 1; }
		[ "$w" -lt 2 ] && stops="${stops:-}$k "
	done
	log_start=$(stat -c %s "$log_file")

	# the bulk loader and the refresher read their commands from FIFOs
	rm -f "$work/bulk.fifo" "$work/refresh.fifo" "$work/copy.fifo"
	mkfifo "$work/bulk.fifo" "$work/refresh.fifo" "$work/copy.fifo"
	chmod 666 "$work"/*.fifo
	exec 7<>"$work/bulk.fifo" 8<>"$work/refresh.fifo" 9<>"$work/copy.fifo"
	# (no client keeps a FIFO open for writing: each sees its end of input)
	PGAPPNAME=crash_bulk "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$DB" <"$work/bulk.fifo" 7>&- 8>&- 9>&- \
		>"$work/bulk-$r.out" 2>"$work/bulk-$r.err" &
	bulk_pid=$!
	PGAPPNAME=crash_refresh "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$DB" <"$work/refresh.fifo" 7>&- 8>&- 9>&- \
		>"$work/refresh-$r.out" 2>"$work/refresh-$r.err" &
	refresh_pid=$!
	echo "SELECT pg_advisory_lock(4242);" >&8
	wait_for 120 "the refresher to hold the writers' stop" barrier_held
	worker_pids=()
	for w in $(seq 0 $((W - 1))); do
		PGAPPNAME=crash_worker_$w "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$DB" -f "$work/w$r-$w.sql" \
			7>&- 8>&- 9>&- >/dev/null 2>"$work/w$r-$w.err" &
		worker_pids+=($!)
	done
	info "round $r: kill -9 of ${round_name[$kind]}; workers 0 and 1 stop before the COMMIT of transaction ${stops% }, the COPY has $m rows, bulk batches after $n1 writer transactions, the open refresh after $n2"
	bg_pids=("${worker_pids[@]}" "$bulk_pid" "$refresh_pid")
	p0=$(progress)

	moment=1
	wait_for 120 "$n1 writer transactions" progress_at_least $((p0 + n1)) || moment=0
	echo "SELECT churn.refresh();" >&8
	bulk_batches $r 0 >&7
	wait_for 120 "six acknowledged bulk batches" acked_count 6 || moment=0
	[ "$kind" = postmaster ] && q -c "CHECKPOINT"
	wait_for 120 "$n2 writer transactions" progress_at_least $((p0 + n2)) || moment=0
	printf '%s\n' "BEGIN;" "SELECT churn.refresh();" >&8
	wait_for 120 "the refresh left open in its transaction" refresh_open || moment=0
	printf '%s\n' "BEGIN;" "INSERT INTO t.bulk_log VALUES ($((r * 100 + 99)), 'inflight', $((10000000 + r * 100000 + 50000)), 40000);" \
		"\\copy customers ($COLS) FROM '$work/copy.fifo'" "COMMIT;" "\\! echo $((r * 100 + 99)) >> $work/acked" >&7
	# feed the COPY m rows (and keep the FIFO open: it never ends)
	head -n "$m" "$work/inflight-$r.tsv" 7>&- 8>&- >&9 &
	feeder=$!
	bg_pids+=("$feeder")
	wait_for 120 "the COPY to read $((m * 3 / 4)) rows" copy_rows_at_least $((m * 3 / 4)) || moment=0
	wait_for 120 "workers 0 and 1 at their stop" barrier_reached || moment=0
	if [ $moment -eq 1 ]; then
		ok "round $r: the planned moment: six bulk batches acknowledged, a refresh open, the COPY past $((m * 3 / 4)) rows, workers 0 and 1 before a COMMIT"
	else
		not_ok "round $r: the planned moment of the kill was not reached (see the lines above); killing anyway"
	fi
	info "at the kill: $(($(progress) - p0)) writer transactions, $(grep -c . "$work/acked") bulk batches acknowledged; $(q -c "
		SELECT string_agg(application_name || ' ' || state || coalesce(' ' || (SELECT tuples_processed || ' rows'
		         FROM pg_stat_progress_copy c WHERE c.pid = a.pid), ''), ', ' ORDER BY application_name)
		  FROM pg_stat_activity a WHERE datname = current_database() AND application_name LIKE 'crash%'")"

	pm=$(head -1 "$PGDATA/postmaster.pid")
	# a stopped postmaster starts no child between the list and the kill
	[ "$kind" = backend ] || kill -STOP "$pm"
	kids=$(ps -o pid= --ppid "$pm" | tr '\n' ' ')
	case $kind in
	all)
		kill -9 "$pm" $kids
		what="kill -9 of the postmaster and its $(echo $kids | wc -w) children"
		;;
	postmaster)
		kill -9 "$pm"
		what="kill -9 of the postmaster"
		;;
	backend)
		victim=$(q -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'crash_bulk'")
		kill -9 "$victim" || not_ok "round $r: kill -9 of the bulk loader's backend '$victim'"
		what="kill -9 of backend $victim"
		;;
	esac
	# The old server processes go first (with the postmaster killed alone,
	# its children exit when they next wait: for a lock, for the client,
	# for more COPY data), then the clients see the end of their input
	# (the bulk loader, the COPY, the refresher); the writers lose their
	# connections.  Ended the other way round, an orphaned backend could
	# still finish the COPY and commit it.
	if ! wait_for 60 "the old server processes to exit" all_gone $kids; then
		not_ok "round $r: server processes of before the kill still ran 60 s later: $(ps -o pid=,args= -p "$(echo $kids | tr " " ",")" | head -3 | tr '\n' ';')"
		kill -9 $kids 2>/dev/null
	fi
	exec 7>&- 8>&- 9>&-
	kill "$feeder" 2>/dev/null
	if [ "$kind" = backend ]; then
		recovered=0
		wait_for 120 "the reinitialized server" server_up && recovered=1
		[ "$(head -1 "$PGDATA/postmaster.pid")" = "$pm" ] || recovered=0
	else
		recovered=0
		as_owner "$PGBIN/pg_ctl" -D "$PGDATA" -l "$log_file" -w -t 120 start >"$work/pg_ctl-$r.out" 2>&1 && recovered=1
	fi
	wait_for 60 "the clients to exit" all_gone "${bg_pids[@]}"
	for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	crash_log=$(tail -c +$((log_start + 1)) "$log_file")
	if [ $recovered -eq 1 ] && grep -q 'automatic recovery in progress' <<<"$crash_log" &&
		{ [ "$kind" != backend ] || grep -q 'all server processes terminated; reinitializing' <<<"$crash_log"; }; then
		ok "round $r: $what, crash recovery, the server is back"
	else
		not_ok "round $r: $what: the server did not come back through crash recovery"
		grep -E 'FATAL|PANIC|recovery|terminated' <<<"$crash_log" | head -10 | sed 's/^/#   /'
		exit 1
	fi
	info "$(grep -E 'redo (starts|done)' <<<"$crash_log" | sed 's/^.*\] //' | tr '\n' ' ')"

	# Before the kill the clients had no error but the workload's intended
	# aborted COPYs; what the kill did to them is expected.
	bad=$(cat "$work"/w$r-*.err "$work/bulk-$r.err" "$work/refresh-$r.err" | grep 'ERROR' |
		grep -v 'bogus-time' | grep -Ev 'terminating connection|server closed the connection|connection to server' |
		head -5)
	if [ -z "$bad" ]; then
		ok "round $r: before the kill the writers, the bulk loader and the refresher had no unexpected error"
	else
		not_ok "round $r: unexpected client errors"
		sed 's/^/#   /' <<<"$bad"
	fi

	acked=$(sort -n "$work/acked" | tr '\n' ',' | sed 's/,$//')
	check "round $r: every acknowledged bulk batch survived ($acked), and no row of the COPY that was cut off" \
		"SELECT (SELECT count(*) FROM t.bulk_log WHERE batch = ANY ('{$acked}'::int[]))
		        = cardinality('{$acked}'::int[])
		    AND NOT EXISTS (SELECT FROM t.bulk_log WHERE batch = $((r * 100 + 99)))
		    AND NOT EXISTS (SELECT FROM customers WHERE id BETWEEN $((10000000 + r * 100000 + 50000)) AND $((10000000 + r * 100000 + 89999)))
		    AND (SELECT count(*) FROM customers WHERE id BETWEEN $((10000000 + r * 100000 + 5000)) AND $((10000000 + r * 100000 + 5999)))
		        = 1000 * (SELECT count(*) FROM t.bulk_log WHERE batch = $((r * 100 + 2)))" "t"
	check "round $r: amcheck: churn's tables and indexes, the customer table and the test's logs are intact" \
		"SELECT (SELECT count(*) FROM pg_class c, LATERAL verify_heapam(c.oid)
		          WHERE c.relkind = 'r' AND c.relnamespace IN ('churn'::regnamespace, 'public'::regnamespace, 't'::regnamespace))
		      + 0 * (SELECT count(*) FROM (SELECT bt_index_check(i.indexrelid, true)
		               FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
		               JOIN pg_am a ON a.oid = c.relam AND a.amname = 'btree'
		              WHERE c.relnamespace IN ('churn'::regnamespace, 'public'::regnamespace, 't'::regnamespace)) x)" "0"
	check "round $r: oracle self-check: workload promises hold after recovery" \
		"SELECT count(*) FROM t.event_anomalies" "0"
	check "round $r: churn.verify returns nothing after recovery" \
		"SELECT count(*) FROM churn.verify('public.customers')" "0"
	check_diffs "round $r: after recovery"

	# Capture still works: another workload, bulk batches, a refresh.
	: >"$work/acked"
	make_copy_file $r 2
	python3 "$here/summary_workload.py" --worker 0 --workers 1 --initial "$INIT" \
		--new-from $((r * 100000 + 60000)) --txns 120 --seed $((SEED * 10 + r + 5)) >"$work/after-$r.sql"
	{ cat "$work/after-$r.sql"; bulk_batches $r 2; echo "SELECT churn.refresh();"; } >"$work/after-$r-all.sql"
	if q -f "$work/after-$r-all.sql" >/dev/null 2>"$work/after-$r.err" &&
		! grep ERROR "$work/after-$r.err" | grep -qv bogus-time; then
		ok "round $r: after recovery the tracked table takes a workload, bulk batches and churn.refresh()"
	else
		not_ok "round $r: writes after recovery failed"
		grep ERROR "$work/after-$r.err" | head -3 | sed 's/^/#   /'
	fi
	check "round $r: churn.verify returns nothing after the writes that followed recovery" \
		"SELECT count(*) FROM churn.verify('public.customers')" "0"
done

check_diffs "after three crashes and the writes that followed each"
info "$(q -c "SELECT count(*) || ' customers, ' || (SELECT count(*) FROM t.move_log) || ' moves, ' ||
	(SELECT count(*) FROM t.react_log) || ' reactivations, ' || (SELECT count(*) FROM t.bulk_log) || ' bulk batches'
	FROM customers")"

[ $failed -eq 0 ] && "$PGBIN/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1
[ $failed -eq 0 ]
