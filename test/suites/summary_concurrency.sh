#!/bin/bash
# test/suites/summary_concurrency.sh: several sessions write a tracked table
# at once (inserts, cancellations, reactivations, channel moves, since/until
# and segment corrections, deletes, multi-row statements, COPY, ROLLBACK,
# SAVEPOINT / ROLLBACK TO, an aborted COPY) while two sessions call
# churn.refresh() in a loop and a REPEATABLE READ reader compares the
# summaries with the oracle on its snapshot.  Afterwards churn.verify must
# return nothing and churn_summary, churn_reasons and diversion_summary must
# equal the plain-SQL recomputation of summary_oracle.sql, which reads only
# the base table and the test's own logs (written in the same statements as
# the changes), never the extension's history.
#
# Each worker owns the customers with id % workers = its number, so the
# workers never wait on each other's base rows: any lock wait or deadlock
# between them comes from the summary maintenance, and there must be none.
#
# Size: CHURN_CONC_WORKERS (5), CHURN_CONC_TXNS per worker (2500),
# CHURN_CONC_INITIAL customers before the run (4000), CHURN_CONC_SEED (42);
# CHURN_CONC_TZ the database's TimeZone (UTC); CHURN_CONC_PARTITIONED=1
# hash-partitions the table (summary_concurrency_partitioned.sh),
# CHURN_CONC_DATES=1 makes its time columns dates
# (summary_concurrency_dates.sh); CHURN_CONC_NESTED=1 adds a routing rule
# run by an AFTER ROW trigger, whose nested UPDATE must be captured after
# the move that caused it (summary_concurrency_nested.sh); CHURN_CONC_DB
# names the database.

set -u
here=$(cd "$(dirname "$0")" && pwd)
DB=${CHURN_CONC_DB:-churn_summary_concurrency}
W=${CHURN_CONC_WORKERS:-5}
TXNS=${CHURN_CONC_TXNS:-2500}
INIT=${CHURN_CONC_INITIAL:-4000}
SEED=${CHURN_CONC_SEED:-42}
work=$CHURN_TMP/$DB
rm -rf "$work"
mkdir -p "$work"
chmod 777 "$work"
failed=0

. "$here/summary_lib.bash"

create_test_db "$DB" || { not_ok "create database with churn and the oracle schema"; exit 1; }

# Half the customers before track (back-fill), half after (one big
# multi-row INSERT through the trigger).
load_initial 1 $((INIT / 2)) >/dev/null || { not_ok "initial load"; exit 1; }
track_out=$(track_customers 2>&1)
if [ $? -ne 0 ]; then
	not_ok "churn.track on the customer table: $track_out"
	exit 1
fi
ok "churn.track back-fills $((INIT / 2)) customers"
if [ -n "${CHURN_CONC_PARTITIONED:-}" ]; then
	check "the tracked table is partitioned (4 hash partitions)" \
		"SELECT relkind || (SELECT count(*) FROM pg_inherits WHERE inhparent = c.oid) FROM pg_class c
		  WHERE oid = 'public.customers'::regclass" "p4"
fi
if [ -n "${CHURN_CONC_NESTED:-}" ]; then
	# A routing rule of the application: a customer moved to phone is sent
	# on to online a second later, by the AFTER ROW trigger's own UPDATE,
	# which logs that move like the workload logs its own.
	q -c "CREATE FUNCTION public.retire_phone() RETURNS trigger LANGUAGE plpgsql AS \$\$
			BEGIN
				IF NEW.branch = 'phone' AND OLD.branch <> 'phone' THEN
					UPDATE public.customers
					   SET branch = 'online', updated_at = NEW.updated_at + interval '1 second',
						   prev_at = NEW.updated_at + interval '1 second', n_events = n_events + 1
					 WHERE id = NEW.id;
					INSERT INTO t.move_log (id, at, from_ch, to_ch)
					VALUES (NEW.id, NEW.updated_at + interval '1 second', 'phone', 'online');
				END IF;
				RETURN NULL;
			END \$\$" \
		-c "CREATE TRIGGER retire_phone AFTER UPDATE OF branch ON public.customers
				FOR EACH ROW EXECUTE FUNCTION public.retire_phone()" >/dev/null ||
		{ not_ok "install the routing trigger"; exit 1; }
fi
load_initial $((INIT / 2 + 1)) "$INIT" >/dev/null || { not_ok "initial load after track"; exit 1; }
check "oracle self-check: workload promises hold (ordered events, logged channels)" \
	"SELECT count(*) FROM t.event_anomalies" "0"
check_diffs "after back-fill and a ${INIT}-row INSERT"

# The workload.
for w in $(seq 0 $((W - 1))); do
	python3 "$here/summary_workload.py" --worker "$w" --workers "$W" --initial "$INIT" \
		--txns "$TXNS" --seed "$SEED" ${CHURN_CONC_DATES:+--dates} --errors-file "$work/w$w.intended" >"$work/w$w.sql" ||
		{ not_ok "generate workload $w"; exit 1; }
done
log_file=$PGHOST/server.log
log_start=$(stat -c %s "$log_file" 2>/dev/null || echo 0)
touch "$work/running"

# Two refreshers, folding pending deltas while the writers write.
for r in 1 2; do
	(
		n=0
		while [ -e "$work/running" ] && [ $n -lt 3000 ]; do
			PGAPPNAME=conc_refresh_$r q -c "SELECT churn.refresh()" >/dev/null 2>>"$work/refresh$r.err" &&
				n=$((n + 1))
			sleep 0.$((RANDOM % 4 + 1))
		done
		echo $n >"$work/refresh$r.count"
	) &
done
# A reader: on one REPEATABLE READ snapshot churn_summary and churn_reasons
# equal the oracle and the identities hold (the other comparisons wait for
# the end: each pass costs seconds).
(
	n=0
	while [ -e "$work/running" ] && [ $n -lt 100 ]; do
		PGAPPNAME=conc_reader q -c "BEGIN ISOLATION LEVEL REPEATABLE READ" \
			-c "SELECT (SELECT count(*) FROM t.summary_diff), (SELECT count(*) FROM t.identity_violations),
			           (SELECT count(*) FROM t.reasons_diff)" -c "COMMIT" \
			>>"$work/reader.out" 2>>"$work/reader.err"
		n=$((n + 1))
		sleep 0.3
	done
) &
# A sampler of lock waits among the sessions of the test database.
(
	while [ -e "$work/running" ]; do
		q -c "SELECT application_name || ' ' || wait_event || ' ' || left(query, 60)
		        FROM pg_stat_activity WHERE datname = current_database()
		         AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()" >>"$work/waits.out" 2>/dev/null
		sleep 0.1
	done
) &

start=$(date +%s)
pids=()
for w in $(seq 0 $((W - 1))); do
	PGAPPNAME=conc_worker_$w timeout 900 "$PGBIN/psql" -X -q -d "$DB" -f "$work/w$w.sql" \
		>"$work/w$w.out" 2>"$work/w$w.err" &
	pids+=($!)
done
worker_fail=0
for i in "${!pids[@]}"; do
	wait "${pids[$i]}" || { worker_fail=1; info "worker $i exited with $?"; }
done
elapsed=$(($(date +%s) - start))
rm -f "$work/running"
wait
info "workload: $W workers x $TXNS transactions in ${elapsed}s; refresh calls: $(cat "$work"/refresh*.count 2>/dev/null | awk "{s+=\$1} END {print s+0}")"

# Workers: no error but the intended aborted COPYs.
errs=0
intended=0
for w in $(seq 0 $((W - 1))); do
	e=$(grep -c 'ERROR' "$work/w$w.err")
	i=$(cat "$work/w$w.intended")
	errs=$((errs + e))
	intended=$((intended + i))
	if grep 'ERROR' "$work/w$w.err" | grep -Eqv 'invalid input syntax for type (timestamp with time zone|date): "bogus-time"'; then
		grep 'ERROR' "$work/w$w.err" | grep -v 'bogus-time' | head -5 | sed "s/^/#   worker $w: /"
		errs=$((errs + 1000))
	fi
done
if [ $worker_fail -eq 0 ] && [ $errs -eq $intended ]; then
	ok "$W writers finished; the only errors are the $intended intended aborted COPYs"
else
	not_ok "writers failed or had unexpected errors ($errs errors, $intended intended)"
fi
if [ -s "$work/refresh1.err" ] || [ -s "$work/refresh2.err" ]; then
	not_ok "concurrent churn.refresh() calls raised errors"
	head -5 "$work"/refresh*.err | sed 's/^/#   /'
else
	ok "concurrent churn.refresh() calls ran without error"
fi
bad_log=$(tail -c +$((log_start + 1)) "$log_file" | grep -Eci 'deadlock detected|could not serialize|terminated by signal|PANIC')
if [ -f "$log_file" ] && [ "$bad_log" -eq 0 ]; then
	ok "server log: no deadlock, serialization failure or crash during the run"
else
	not_ok "server log shows $bad_log deadlock/serialization/crash lines"
	tail -c +$((log_start + 1)) "$log_file" | grep -Ei 'deadlock detected|could not serialize|terminated by signal|PANIC' | head -5 | sed 's/^/#   /'
fi
# Relation extension locks ("extend": two sessions adding a page to the same
# table at once) are physical and brief, and come with any concurrent insert;
# every other lock wait of a writer would be a writer waiting for another.
worker_waits=$(grep '^conc_worker' "$work/waits.out" 2>/dev/null | grep -cv '^conc_worker_[0-9]* extend ')
extend_waits=$(grep -c '^conc_worker_[0-9]* extend ' "$work/waits.out" 2>/dev/null)
other_waits=$(grep -vc '^conc_worker' "$work/waits.out" 2>/dev/null)
if [ "${worker_waits:-0}" -eq 0 ]; then
	ok "no writer was seen waiting on a row, transaction, table or advisory lock (writers touch disjoint customers)"
else
	not_ok "writers waited on locks in $worker_waits samples"
	grep '^conc_worker' "$work/waits.out" | grep -v '^conc_worker_[0-9]* extend ' | sort | uniq -c | sort -rn | head -5 | sed 's/^/#   /'
fi
info "samples with a writer waiting to extend a relation: ${extend_waits:-0}; other sessions (refresh, reader) waiting: ${other_waits:-0}"
reader_bad=$(grep -vc '^0|0|0$' "$work/reader.out" 2>/dev/null)
reader_n=$(grep -c . "$work/reader.out" 2>/dev/null)
if [ "${reader_n:-0}" -gt 0 ] && [ "${reader_bad:-1}" -eq 0 ] && [ ! -s "$work/reader.err" ]; then
	ok "mid-run REPEATABLE READ snapshots ($reader_n): churn_summary and churn_reasons equal the oracle exactly"
else
	not_ok "mid-run snapshots: $reader_n taken, ${reader_bad:-?} differed"
	grep -v '^0|0|0$' "$work/reader.out" | head -3 | sed 's/^/#   /'
	head -3 "$work/reader.err" | sed 's/^/#   /'
fi

info "committed: $(q -c "SELECT count(*) || ' customers, ' || (SELECT count(*) FROM t.move_log) || ' moves, ' ||
	(SELECT count(*) FROM t.react_log) || ' reactivations, ' || count(*) FILTER (WHERE until IS NOT NULL) || ' lost'
	FROM customers")"
check "the workload committed moves, reactivations and cancellations" \
	"SELECT (SELECT count(*) FROM t.move_log) > 100 AND (SELECT count(*) FROM t.react_log) > 50
	        AND (SELECT count(*) FROM customers WHERE until IS NOT NULL) > 100" "t"
if [ -n "${CHURN_CONC_NESTED:-}" ]; then
	info "moves made by the routing trigger: $(q -c "SELECT count(*) FROM t.move_log WHERE from_ch = 'phone' AND to_ch = 'online'")"
	check "the routing trigger moved customers in nested statements (> 20 phone -> online moves)" \
		"SELECT count(*) > 20 FROM t.move_log WHERE from_ch = 'phone' AND to_ch = 'online'" "t"
fi
check "oracle self-check: workload promises hold (ordered events, logged channels)" \
	"SELECT count(*) FROM t.event_anomalies" "0"
check "oracle self-check: at_start by cumulative sums equals at_start by membership" \
	"SELECT count(*) FROM (SELECT channel, segment, bucket_start, at_start FROM t.expected_summary WHERE at_start > 0
	  EXCEPT SELECT channel, segment, bucket_start, at_start FROM t.brute_at_start) x" "0"
check "oracle self-check: membership at_start has no row the sums lack" \
	"SELECT count(*) FROM (SELECT channel, segment, bucket_start, at_start FROM t.brute_at_start
	  EXCEPT SELECT channel, segment, bucket_start, at_start FROM t.expected_summary) x" "0"

check_diffs "after the run, before the final refresh"
check "churn.verify returns nothing before the final refresh" \
	"SELECT count(*) FROM churn.verify('public.customers')" "0"
q -c "SELECT churn.refresh()" >/dev/null 2>&1 || not_ok "final churn.refresh()"
check_diffs "after the final refresh"
check "churn.verify returns nothing after the final refresh" \
	"SELECT count(*) FROM churn.verify('public.customers')" "0"
q -c "SELECT churn.rebuild('public.customers')" >/dev/null 2>&1 || not_ok "churn.rebuild()"
check_diffs "after churn.rebuild"
check "churn.verify returns nothing after churn.rebuild" \
	"SELECT count(*) FROM churn.verify('public.customers')" "0"

# Suspend for a bulk load, resume (rebuilds): inserts, cancellations and
# segment changes made meanwhile are caught up.  (Moves and reactivations
# while suspended leave no history, so the bulk load has none.)
q -c "SELECT churn.suspend('public.customers')" >/dev/null || not_ok "churn.suspend"
q -c "INSERT INTO customers (id, since, until, branch, contract, region, cancel_reason, updated_at, prev_at)
	  SELECT 10000000 + i, timestamptz '2024-06-01 00:00+00' + i * interval '1 hour', NULL,
	         (ARRAY['north','south','east','west','online','phone'])[1 + i % 6], 'annual', 'r1', NULL,
	         timestamptz '2024-06-01 00:00+00' + i * interval '1 hour',
	         timestamptz '2024-06-01 00:00+00' + i * interval '1 hour'
	    FROM generate_series(1, 3000) i" \
	-c "UPDATE customers SET until = updated_at + interval '40 days', updated_at = updated_at + interval '40 days',
	           cancel_reason = 'price' WHERE id % 7 = 0 AND until IS NULL AND updated_at < '2025-06-01'" \
	-c "UPDATE customers SET region = 'r3' WHERE id % 11 = 0" || not_ok "bulk load while suspended"
check "churn.status shows the table suspended" \
	"SELECT suspended FROM churn.status WHERE relation = 'public.customers'::regclass" "t"
q -c "SELECT churn.resume('public.customers')" >/dev/null || not_ok "churn.resume"
check_diffs "after a bulk load while suspended and churn.resume"
check "churn.verify returns nothing after churn.resume" \
	"SELECT count(*) FROM churn.verify('public.customers')" "0"

[ $failed -eq 0 ] && "$PGBIN/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1
[ $failed -eq 0 ]
