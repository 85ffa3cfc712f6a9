#!/bin/bash
# test/bench/summaries.sh: cost of the trigger-maintained summaries (issue 6).
# Not part of the tests; prints timings and ratios measured in one run.
#
#  1. COPY of ROWS customers into an untracked table and a tracked table
#     (target: tracked / untracked <= 1.3); COPY of the first PLROWS of them
#     into a tracked table and a table with the obvious PL/pgSQL row trigger
#     that upserts a summary row (target: PL/pgSQL / tracked >= 3).  The
#     same rows by INSERT ... SELECT (tracked, untracked, and an empty
#     statement trigger with a transition table), with the seconds each adds.
#  2. pgbench, 8 clients, single-customer updates taking effect now
#     (cancellations, reactivations, channel moves, equal weights) on each of
#     the three tables.  Targets: tracked TPS / untracked TPS >= 0.8, zero
#     deadlock and serialization failures; pg_stat_activity is sampled every
#     100 ms for sessions waiting on a lock (churn: none).  For scale, the
#     same run on a table whose only trigger is an empty PL/pgSQL statement
#     trigger with transition tables (the floor of statement-level capture).
#     Then updates of columns churn does not track (last login, e-mail) on
#     the untracked, empty-trigger and tracked tables, and on one whose only
#     trigger is a C statement trigger that returns at once (the floor of
#     any trigger) (target: tracked TPS / untracked >= 0.97).  Then untracked and tracked again with durable
#     commits (fsync, synchronous_commit and full_page_writes on, as
#     PostgreSQL ships).
#  3. churn.refresh() time against the pending delta rows, at two table sizes
#     (ROWS / 10 and ROWS): it should follow the pending rows, not the size.
#
# Section "reads" (run first): ROWS customers, 20 branches x 3 contracts
# signed up over the last 6 years, tracked with a channel, a segment, a
# lifecycle state and a reason, 5 % moved and 5 % at risk after track.  The
# three Grafana panels over the summaries (12 months, macros expanded)
# against churn_periods over the rows for the same months and a bare
# count(*) (target: each panel >= 50x faster than churn_periods, goal 100x);
# the panels again on tables whose history spans 2, 5, 10 and 20 years (the
# read should not grow); and with pending deltas: 3,000 single-customer
# writes taking effect now, then corrections dated years back.  Times are
# the backend's CPU per query (from /proc/self/schedstat), each query
# planned anew as Grafana sends it, best of 3 rounds, serial
# (max_parallel_workers_per_gather = 0, so that the backend's CPU is all of
# it).  Sections 1-3 are "writes".
#
# Usage: bash test/bench/summaries.sh
#   CHURN_BENCH_SMALL=1   quick mode: 100,000 rows, 5 s pgbench runs
#   CHURN_BENCH_ROWS=N    rows for the COPY (default 1,000,000)
#   CHURN_BENCH_PLROWS=N  rows for the PL/pgSQL comparison (default 100,000)
#   CHURN_BENCH_SECONDS=S pgbench seconds per table (default 40), run as
#                         CHURN_BENCH_ROUNDS (4) interleaved slices
#   CHURN_BENCH_SECTIONS="reads writes"  the sections to run (default both)
# It starts its own throw-away cluster (test/lib.sh) on CHURN_PORT.

set -u
. "$(dirname "$0")/../lib.sh"
if [ -n "${CHURN_BENCH_SMALL:-}" ]; then
	ROWS=${CHURN_BENCH_ROWS:-100000}
	PLROWS=${CHURN_BENCH_PLROWS:-20000}
	SECS=${CHURN_BENCH_SECONDS:-5}
else
	ROWS=${CHURN_BENCH_ROWS:-1000000}
	PLROWS=${CHURN_BENCH_PLROWS:-100000}
	SECS=${CHURN_BENCH_SECONDS:-40}
fi
CLIENTS=8

churn_private_install || exit 1
trap churn_cluster_stop EXIT
churn_cluster_start bench "max_wal_size = 8GB" "checkpoint_timeout = 30min" "jit = off" \
	"log_lock_waits = on" "deadlock_timeout = 1s" || exit 1
work=$CHURN_TMP/bench-work
rm -rf "$work"
mkdir -p "$work"
DB=churn_bench
q() { PGOPTIONS="-c client_min_messages=warning" "$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
now() { date +%s.%N; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
"$PGBIN/psql" -X -q -d postgres -c "CREATE DATABASE $DB" -c "ALTER DATABASE $DB SET TimeZone = 'UTC'" || exit 1
q -c "CREATE EXTENSION churn" || exit 1
SECTIONS=${CHURN_BENCH_SECTIONS:-reads writes}
section() { case " $SECTIONS " in *" $1 "*) return 0 ;; esac; return 1; }

# ---------------------------------------------------------------- reads
# reads_table NAME YEARS: ROWS customers signed up over the YEARS years up
# to now, 20 branches x 3 contracts, a third cancelled (with reasons), a
# lifecycle state; tracked with all of them; then, after track (so that it
# is history), 5 % move once to another branch and 5 % of the active ones
# go to at_risk, each at a time between its since and its end; refreshed.
reads_table() {
	q -v tab="$1" -v years="$2" -v rows="$ROWS" >/dev/null <<'SQL' || exit 1
DROP TABLE IF EXISTS :tab CASCADE;
CREATE TABLE :tab (id bigint PRIMARY KEY, since timestamptz NOT NULL, until timestamptz,
	branch text NOT NULL, contract text NOT NULL, status churn.lifecycle, reason text,
	updated_at timestamptz NOT NULL);
SELECT setseed(0.3);
INSERT INTO :tab
SELECT i, s, u, 'b' || lpad((1 + (i * 7) % 20)::text, 2, '0'),
	   (ARRAY['monthly', 'annual', 'two_year'])[1 + (i / 20) % 3],
	   CASE WHEN u IS NOT NULL THEN 'churned' WHEN random() < 0.2 THEN 'at_risk' ELSE 'active' END::churn.lifecycle,
	   CASE WHEN u IS NOT NULL THEN (ARRAY['price', 'service', 'competitor', 'moved'])[1 + i % 4] END,
	   coalesce(u, s)
  FROM (SELECT i, s, CASE WHEN random() < 0.35 THEN least(s + random() * interval '900 days', now()) END AS u
		  FROM (SELECT i, date_trunc('month', now()) - :years * interval '1 year'
						  + random() * (now() - (date_trunc('month', now()) - :years * interval '1 year')) AS s
				  FROM generate_series(1, :rows) i) a) b;
-- (states from each since, as for a state column kept from the start: a
-- state counted from the tracking time would leave the lifecycle panel one
-- bucket to read)
SELECT churn.track(:'tab', customer => 'id', since => 'since', until => 'until', channel => 'branch',
				   segments => ARRAY['contract'], state => 'status', reason => 'reason',
				   changed_at => 'updated_at', states_from => '-infinity');
UPDATE :tab SET branch = 'b' || lpad((1 + ((id * 7) % 20 + 1 + (id / 20) % 19) % 20)::text, 2, '0'),
	   updated_at = since + (coalesce(until, now()) - since) * 0.5
 WHERE id % 20 = 3;
UPDATE :tab SET status = 'at_risk', updated_at = since + (coalesce(until, now()) - since) * 0.7
 WHERE id % 20 = 1 AND until IS NULL AND status::text = 'active';
SELECT churn.refresh(:'tab');
VACUUM ANALYZE :tab;
VACUUM ANALYZE churn.summary_cell;
VACUUM ANALYZE churn.summary;
VACUUM ANALYZE churn.summary_delta;
VACUUM ANALYZE churn.tracked_table;
SQL
}

# the panels of grafana/dashboards/churn.json with their macros expanded as
# Grafana expands them for the last 12 months, every channel and contract
# selected
READ_FROM=$(q -c "SELECT to_char(date_trunc('month', now()) - interval '12 months', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")
READ_TO=$(q -c "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")
CHANNELS="'b01','b02','b03','b04','b05','b06','b07','b08','b09','b10','b11','b12','b13','b14','b15','b16','b17','b18','b19','b20'"
panel_churn() {
	echo "SELECT bucket_start AS \"time\", sum(lost_from_start)::float8 / sum(at_start) AS churn_rate,
	       sum(at_end - new)::float8 / sum(at_start) AS retention_rate
	  FROM churn.churn_summary
	 WHERE relation = '$1'::regclass AND bucket_start BETWEEN '$READ_FROM' AND '$READ_TO'
	   AND channel IN ($CHANNELS) AND segment->>'contract' IN ('monthly','annual','two_year')
	 GROUP BY bucket_start HAVING sum(at_start) > 0 ORDER BY 1"
}
panel_diversion() {
	echo "SELECT from_channel, to_channel, sum(moved)::bigint AS moved, sum(from_base)::bigint AS from_base,
	       sum(moved)::float8 / nullif(sum(from_base), 0) AS diversion_rate
	  FROM churn.diversion_summary
	 WHERE relation = '$1'::regclass AND bucket_start BETWEEN '$READ_FROM' AND '$READ_TO'
	   AND from_channel IN ($CHANNELS)
	 GROUP BY 1, 2 HAVING sum(moved) > 0 ORDER BY 3 DESC, 1, 2"
}
panel_lifecycle() {
	echo "SELECT bucket_start AS \"time\", state::text AS metric, at_end AS customers
	  FROM churn.lifecycle_summary
	 WHERE relation = '$1'::regclass AND bucket_start BETWEEN '$READ_FROM' AND '$READ_TO'
	 ORDER BY bucket_start, state"
}
raw_periods() {
	echo "SELECT p.* FROM unnest((SELECT churn.churn_periods(since, until,
	       tstzrange('$READ_FROM', '$READ_TO'), '1 month') FROM $1)) p"
}

q >/dev/null <<'SQL' || exit 1
-- CPU time of this backend in ns (from /proc/self/schedstat): load from
-- other processes on the machine does not inflate it.  It advances by the
-- scheduler's tick (4 ms on the machines measured), not continuously.
CREATE FUNCTION bench_cpu_ns() RETURNS bigint LANGUAGE sql
AS $$ SELECT split_part(pg_read_file('/proc/self/schedstat'), ' ', 1)::bigint $$;
-- the CPU ms of one execution of q, planned anew each time and in a
-- transaction of its own (EXECUTE and COMMIT, as Grafana sends a query: the
-- summary views' functions share their reads within a snapshot, so a loop
-- inside one transaction would read the pending deltas once for all), best
-- of rounds of reps after one to warm up; and the rows it returns.  A round
-- takes at least reps executions and at least 0.5 s, so that a tick is at
-- most 1 % of it (50 reps of a 1 ms read counted in 0.08 ms steps).
CREATE PROCEDURE bench_read(q text, reps int, rounds int DEFAULT 3,
	INOUT ms float8 DEFAULT NULL, INOUT nrows bigint DEFAULT NULL)
LANGUAGE plpgsql AS $$
DECLARE
	c0 bigint;
	t0 timestamptz;
	each_ms float8;
BEGIN
	EXECUTE 'SELECT count(*) FROM (' || q || ') x' INTO nrows;
	COMMIT;
	t0 := clock_timestamp();
	FOR i IN 1..3 LOOP
		EXECUTE q;
		COMMIT;
	END LOOP;
	each_ms := extract(epoch FROM clock_timestamp() - t0) * 1000 / 3;
	reps := greatest(reps, ceil(500 / greatest(each_ms, 0.001))::int);
	ms := 'Infinity';
	FOR r IN 1..rounds LOOP
		c0 := bench_cpu_ns();
		FOR i IN 1..reps LOOP
			EXECUTE q;
			COMMIT;
		END LOOP;
		ms := least(ms, (bench_cpu_ns() - c0) / 1e6 / reps);
	END LOOP;
END $$;
SQL
# read_ms QUERY REPS: "ms rows" of bench_read, serial
read_ms() {
	q -v q="$1" -v reps="$2" <<'SQL' | tail -n 1
SET max_parallel_workers_per_gather = 0;
CALL bench_read(:'q', :reps, ms => NULL, nrows => NULL) \gset
SELECT round(:ms::numeric, 3) || ' ' || :nrows;
SQL
}

if section reads; then
	echo "== Reads: $ROWS customers, 20 branches x 3 contracts, signed up over the last 6 years"
	echo "   (backend CPU ms per query, planned anew each time in a transaction of its own, best of 3 rounds; serial)"
	reads_table r_6y 6
	echo "summary_cell rows: $(q -c "SELECT count(*) FROM churn.summary_cell WHERE relid = 'r_6y'::regclass")"
	read -r ms_c rows_c < <(read_ms "$(panel_churn r_6y)" 200)
	read -r ms_d rows_d < <(read_ms "$(panel_diversion r_6y)" 200)
	read -r ms_l rows_l < <(read_ms "$(panel_lifecycle r_6y)" 200)
	read -r ms_p rows_p < <(read_ms "$(raw_periods r_6y)" 3)
	read -r ms_n rows_n < <(read_ms "SELECT count(*) FROM r_6y" 3)
	printf '%-44s %10s %6s\n' query ms rows
	printf '%-44s %10s %6s\n' "churn panel (churn_summary, 12 months)" "$ms_c" "$rows_c" \
		"diversion panel (diversion_summary)" "$ms_d" "$rows_d" \
		"lifecycle panel (lifecycle_summary)" "$ms_l" "$rows_l" \
		"churn_periods over the rows, 12 months" "$ms_p" "$rows_p" \
		"count(*) over the rows" "$ms_n" "$rows_n"
	echo "ratio churn_periods / churn panel      $(ratio "$ms_p" "$ms_c")   (target >= 50, goal 100)"
	echo "ratio churn_periods / diversion panel  $(ratio "$ms_p" "$ms_d")"
	echo "ratio churn_periods / lifecycle panel  $(ratio "$ms_p" "$ms_l")"
	echo "ratio count(*) / churn panel           $(ratio "$ms_n" "$ms_c")"

	echo
	echo "== Reads as the history grows: $ROWS customers over 2, 5, 10 and 20 years (ms)"
	printf '%-6s %18s %12s %12s %12s\n' years summary_cell_rows churn diversion lifecycle
	for y in 2 5 10 20; do
		reads_table r_${y}y "$y"
		cells=$(q -c "SELECT count(*) FROM churn.summary_cell WHERE relid = 'r_${y}y'::regclass")
		read -r a _ < <(read_ms "$(panel_churn r_${y}y)" 200)
		read -r b _ < <(read_ms "$(panel_diversion r_${y}y)" 200)
		read -r c _ < <(read_ms "$(panel_lifecycle r_${y}y)" 200)
		printf '%-6s %18s %12s %12s %12s\n' "$y" "$cells" "$a" "$b" "$c"
		q -c "SELECT churn.untrack('r_${y}y')" -c "DROP TABLE r_${y}y" >/dev/null
	done

	echo
	echo "== Reads with pending deltas (no refresh meanwhile), 6 years of history (ms)"
	printf '%-52s %8s %10s %10s %10s\n' state pending churn diversion lifecycle
	pending_line() {
		local pend a b c
		pend=$(q -c "SELECT pending_deltas FROM churn.status WHERE relation = 'r_6y'::regclass")
		read -r a _ < <(read_ms "$(panel_churn r_6y)" 50)
		read -r b _ < <(read_ms "$(panel_diversion r_6y)" 50)
		read -r c _ < <(read_ms "$(panel_lifecycle r_6y)" 50)
		printf '%-52s %8s %10s %10s %10s\n' "$1" "$pend" "$a" "$b" "$c"
	}
	pending_line "refreshed"
	# an hour of single-customer writes taking effect now: cancellations,
	# moves and sign-ups
	cat >"$work/r-cancel.sql" <<'EOF'
\set id random(1, :rows)
UPDATE r_6y SET until = now(), updated_at = now(), reason = 'price', status = 'churned'
 WHERE id = :id AND until IS NULL;
EOF
	cat >"$work/r-move.sql" <<'EOF'
\set id random(1, :rows)
\set ch random(1, 20)
UPDATE r_6y SET branch = 'b' || lpad(:ch::text, 2, '0'), updated_at = now() WHERE id = :id AND until IS NULL;
EOF
	cat >"$work/r-new.sql" <<'EOF'
\set id random(1, 1000000000)
INSERT INTO r_6y VALUES (:rows + :id, now(), NULL, 'b07', 'monthly', 'new', NULL, now()) ON CONFLICT DO NOTHING;
EOF
	"$PGBIN/pgbench" -n -c 1 -t 3000 -D rows="$ROWS" -f "$work/r-cancel.sql" -f "$work/r-move.sql" \
		-f "$work/r-new.sql" "$DB" >"$work/r-pgbench.out" 2>&1 || echo "pgbench failed: $(tail -3 "$work/r-pgbench.out")"
	pending_line "after 3,000 writes taking effect now"
	# corrections reaching years back: since moved earlier
	q -c "UPDATE r_6y SET since = since - interval '20 days' WHERE id % 5000 = 7 AND since < now() - interval '3 years'" >/dev/null
	pending_line "and corrections of since 3 to 6 years back"
	t0=$(now)
	q -c "SELECT churn.refresh('r_6y')" >/dev/null
	t1=$(now)
	pending_line "refreshed (the refresh took $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", (b - a) * 1000 }') ms)"
	q -c "SELECT churn.untrack('r_6y')" -c "DROP TABLE r_6y" >/dev/null
	echo
fi
section writes || exit 0

# make_table NAME KIND: an empty customer table; KIND untracked, tracked
# (churn.track with channel, two segments, reason and changed_at) or plpgsql.
make_table() {
	q -c "DROP TABLE IF EXISTS $1 CASCADE" -c "CREATE TABLE $1 (
		id bigint PRIMARY KEY, since timestamptz NOT NULL, until timestamptz,
		branch text NOT NULL, contract text NOT NULL, region text NOT NULL,
		cancel_reason text, updated_at timestamptz NOT NULL, email text, last_login timestamptz)" || exit 1
	case $2 in
	tracked)
		q -c "SELECT churn.track('$1', customer => 'id', since => 'since', until => 'until',
			channel => 'branch', segments => ARRAY['contract','region'], reason => 'cancel_reason',
			changed_at => 'updated_at', bucket => '1 month')" >/dev/null || exit 1 ;;
	plpgsql)
		q -c "CREATE TRIGGER ${1}_summary AFTER INSERT OR UPDATE ON $1
			FOR EACH ROW EXECUTE FUNCTION pl_summary_trigger()" || exit 1 ;;
	noop)
		q -c "CREATE TRIGGER ${1}_noop AFTER UPDATE ON $1 REFERENCING OLD TABLE AS o NEW TABLE AS n
			FOR EACH STATEMENT EXECUTE FUNCTION pl_noop_trigger()" || exit 1 ;;
	c_noop)
		# PostgreSQL's cost of firing any statement trigger at all: a C
		# trigger that returns at once.  churn.summary_begin is one on a
		# table without churn's capture triggers (it notes statements only
		# for a capture that will fire).
		q -c "CREATE TRIGGER ${1}_c_noop BEFORE UPDATE ON $1
			FOR EACH STATEMENT EXECUTE FUNCTION churn.summary_begin()" || exit 1 ;;
	esac
}

# The obvious row-level trigger: one upsert per affected summary row.
q <<'EOF' || exit 1
CREATE TABLE pl_summary (
	channel text, contract text, region text, bucket timestamptz,
	new int NOT NULL DEFAULT 0, reactivated int NOT NULL DEFAULT 0, lost int NOT NULL DEFAULT 0,
	moved_in int NOT NULL DEFAULT 0, moved_out int NOT NULL DEFAULT 0,
	PRIMARY KEY (channel, contract, region, bucket));
CREATE FUNCTION pl_bump(ch text, co text, re text, t timestamptz, kind text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE format('INSERT INTO pl_summary AS s (channel, contract, region, bucket, %1$I) VALUES ($1, $2, $3, $4, 1)
	                ON CONFLICT (channel, contract, region, bucket) DO UPDATE SET %1$I = s.%1$I + 1', kind)
	USING ch, co, re, date_trunc('month', t);
END $$;
-- The floor of any statement-level capture: a trigger with transition
-- tables that does nothing.
CREATE FUNCTION pl_noop_trigger() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE FUNCTION pl_summary_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		PERFORM pl_bump(NEW.branch, NEW.contract, NEW.region, NEW.since, 'new');
		IF NEW.until IS NOT NULL THEN
			PERFORM pl_bump(NEW.branch, NEW.contract, NEW.region, NEW.until, 'lost');
		END IF;
	ELSE
		IF OLD.until IS NULL AND NEW.until IS NOT NULL THEN
			PERFORM pl_bump(NEW.branch, NEW.contract, NEW.region, NEW.until, 'lost');
		ELSIF OLD.until IS NOT NULL AND NEW.until IS NULL THEN
			PERFORM pl_bump(NEW.branch, NEW.contract, NEW.region, NEW.updated_at, 'reactivated');
		END IF;
		IF OLD.branch <> NEW.branch THEN
			PERFORM pl_bump(OLD.branch, OLD.contract, OLD.region, NEW.updated_at, 'moved_out');
			PERFORM pl_bump(NEW.branch, NEW.contract, NEW.region, NEW.updated_at, 'moved_in');
		END IF;
	END IF;
	RETURN NULL;
END $$;
EOF

# The customer file: a few years of sign-ups, a third of them cancelled.
q -c "COPY (SELECT i, s, u, (ARRAY['north','south','east','west','online','phone'])[1 + i % 6],
	          (ARRAY['monthly','annual','prepaid'])[1 + i % 3], (ARRAY['r1','r2','r3','r4'])[1 + (i / 7) % 4],
	          CASE WHEN u IS NOT NULL THEN (ARRAY['price','service','competitor'])[1 + i % 3] END, coalesce(u, s),
	          'customer' || i || '@example.com', s + (i % 1000) * interval '1 hour'
	     FROM (SELECT i, s, CASE WHEN i % 3 = 0 THEN s + (i % 700) * interval '1 day' END AS u
	             FROM (SELECT i, timestamptz '2021-01-01' + (i::bigint * 7919 % 1500) * interval '1 day'
	                          + (i % 86400) * interval '1 second' AS s
	                     FROM generate_series(1, $ROWS) i) a) b) TO STDOUT" >"$work/customers.tsv" || exit 1

copy_time() {
	local t0 t1
	make_table "$1" "$2"
	q -c "CHECKPOINT" >/dev/null
	t0=$(now)
	q -c "\\copy $1 FROM '$work/customers.tsv'" || exit 1
	t1=$(now)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}
echo "== COPY of $ROWS customers (seconds; best of 2)"
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (a < b ? a : b) }'; }
u1=$(copy_time c_untracked untracked); t1=$(copy_time c_tracked tracked)
u2=$(copy_time c_untracked untracked); t2=$(copy_time c_tracked tracked)
cu=$(best "$u1" "$u2"); ct=$(best "$t1" "$t2")
echo "untracked        $cu  ($u1, $u2)"
echo "tracked (churn)  $ct  ($t1, $t2)"
echo "ratio tracked / untracked    $(ratio "$ct" "$cu")   (target <= 1.3)"

# The same rows by INSERT ... SELECT from the untracked table: a faster
# statement than COPY (no parsing), so the same cost of the capture weighs
# more in the ratio; the seconds it adds are compared with COPY's, and with
# those of an empty statement trigger with a transition table (what
# PostgreSQL spends collecting the rows for any statement-level capture).
insert_time() {
	local t0 t1
	make_table "$1" "$2"
	[ "$2" = noop ] && q -c "DROP TRIGGER ${1}_noop ON $1" -c "CREATE TRIGGER ${1}_noop AFTER INSERT ON $1
		REFERENCING NEW TABLE AS n FOR EACH STATEMENT EXECUTE FUNCTION pl_noop_trigger()"
	q -c "CHECKPOINT" >/dev/null
	t0=$(now)
	q -c "INSERT INTO $1 SELECT * FROM c_untracked" || exit 1
	t1=$(now)
	q -c "DROP TABLE $1" >/dev/null
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}
echo
echo "== INSERT INTO t SELECT * FROM an untracked table of $ROWS customers (seconds; best of 2)"
iu=$(best "$(insert_time i_untracked untracked)" "$(insert_time i_untracked untracked)")
it=$(best "$(insert_time i_tracked tracked)" "$(insert_time i_tracked tracked)")
inoop=$(best "$(insert_time i_noop noop)" "$(insert_time i_noop noop)")
echo "untracked        $iu"
echo "tracked (churn)  $it"
echo "empty statement trigger with a transition table  $inoop"
echo "ratio tracked / untracked    $(ratio "$it" "$iu")   (COPY: $(ratio "$ct" "$cu"))"
echo "seconds added by tracking: INSERT ... SELECT $(awk -v a="$it" -v b="$iu" 'BEGIN { printf "%.3f", a - b }'), COPY $(awk -v a="$ct" -v b="$cu" 'BEGIN { printf "%.3f", a - b }');" \
	"by the transition table alone $(awk -v a="$inoop" -v b="$iu" 'BEGIN { printf "%.3f", a - b }')"

# The PL/pgSQL trigger gets slower than linear within one statement: every
# upsert adds a version to the same few hot summary rows, which cannot be
# pruned before the COPY commits.  At 1,000,000 rows it runs for tens of
# minutes on a shared 2-core machine, so it is compared with churn on the
# first PLROWS rows of the same file (both timed here, once each).
head -n "$PLROWS" "$work/customers.tsv" >"$work/customers-pl.tsv"
copy_time_file() {
	local t0 t1
	make_table "$1" "$2"
	q -c "CHECKPOINT" >/dev/null
	t0=$(now)
	q -c "\\copy $1 FROM '$3'" || exit 1
	t1=$(now)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}
cpt=$(copy_time_file c_plpgsql tracked "$work/customers-pl.tsv")
cp=$(copy_time_file c_plpgsql plpgsql "$work/customers-pl.tsv")
echo
echo "== COPY of $PLROWS customers (seconds)"
echo "tracked (churn)  $cpt"
echo "PL/pgSQL trigger $cp"
echo "ratio PL/pgSQL / tracked     $(ratio "$cp" "$cpt")   (target >= 3)"
# pgbench below needs all ROWS customers in the PL/pgSQL table too
q -c "ALTER TABLE c_plpgsql DISABLE TRIGGER USER" -c "INSERT INTO c_plpgsql SELECT * FROM c_untracked WHERE id > $PLROWS" \
	-c "ALTER TABLE c_plpgsql ENABLE TRIGGER USER" || exit 1

# pgbench: single-customer updates taking effect now.
cat >"$work/cancel.sql" <<'EOF'
\set id random(1, :rows)
UPDATE :tab SET until = now(), updated_at = now(), cancel_reason = 'price' WHERE id = :id AND until IS NULL;
EOF
cat >"$work/react.sql" <<'EOF'
\set id random(1, :rows)
UPDATE :tab SET until = NULL, cancel_reason = NULL, updated_at = now() WHERE id = :id AND until IS NOT NULL;
EOF
cat >"$work/move.sql" <<'EOF'
\set id random(1, :rows)
\set ch random(1, 6)
UPDATE :tab SET branch = (ARRAY['north','south','east','west','online','phone'])[:ch], updated_at = now()
 WHERE id = :id AND until IS NULL;
EOF

# bench_run TABLE SECONDS: one pgbench slice; appends to $work/slices-TABLE
# "tps failed deadlocks serialization lockwait_samples samples logbad".
bench_run() {
	local tab=$1 secs=$2 log_start out tps failed dl ser bad
	log_start=$(stat -c %s "$PGHOST/server.log")
	touch "$work/sampling"
	(
		while [ -e "$work/sampling" ]; do
			q -c "SELECT count(*) FILTER (WHERE wait_event_type = 'Lock') || ' '
			              || coalesce(string_agg(wait_event, ' ') FILTER (WHERE wait_event_type = 'Lock'), '')
			         FROM pg_stat_activity WHERE application_name = 'pgbench'" 2>/dev/null
			sleep 0.1
		done >"$work/waits-$tab.out"
	) &
	# shellcheck disable=SC2086
	"$PGBIN/pgbench" -n -c $CLIENTS -j 2 -T "$secs" -D rows="$ROWS" -D tab="$tab" --failures-detailed \
		${BENCH_SCRIPTS:--f $work/cancel.sql -f $work/react.sql -f $work/move.sql} "$DB" >"$work/pgbench-$tab.out" 2>&1
	rm -f "$work/sampling"
	wait
	# which locks the waiting sessions waited for (transactionid and tuple:
	# two clients updating the same customer, as on an untracked table)
	awk '{ for (i = 2; i <= NF; i++) print $i }' "$work/waits-$tab.out" >>"$work/waitevents-$tab"
	out=$work/pgbench-$tab.out
	tps=$(awk '/^tps = / { print $3; exit }' "$out")
	failed=$(awk '/number of failed transactions/ { print $5; exit }' "$out")
	dl=$(awk '/number of deadlock failures/ { print $5; exit }' "$out")
	ser=$(awk '/number of serialization failures/ { print $5; exit }' "$out")
	grep -q 'aborted' "$out" && grep 'aborted' "$out" | head -3 >&2
	bad=$(tail -c +$((log_start + 1)) "$PGHOST/server.log" | grep -Eci 'deadlock detected|could not serialize')
	echo "${tps:-0} ${failed:-0} ${dl:-0} ${ser:-0} $(awk '$1 > 0' "$work/waits-$tab.out" | wc -l) $(wc -l <"$work/waits-$tab.out") $bad" \
		>>"$work/slices-$tab"
}
# The machine is shared: background load drifts during the run.  Each table
# runs in ROUNDS slices of SECS / ROUNDS seconds, the tables taking turns
# (in a rotated order each round), so drift hits them alike; the TPS is the
# mean over the slices, the failures and samples their sums.
ROUNDS=${CHURN_BENCH_ROUNDS:-4}
# interleave TABLE...: ROUNDS rounds of one slice per table, in an order
# rotated by one table each round
interleave() {
	local tabs=("$@") n=$# r i
	for r in $(seq 0 $((ROUNDS - 1))); do
		for i in $(seq 0 $((n - 1))); do
			bench_run "${tabs[$(((i + r) % n))]}" $((SECS / ROUNDS))
		done
	done
}
TABLES=(c_untracked c_noop c_tracked c_plpgsql)
echo
echo "== pgbench: $CLIENTS clients, $ROUNDS slices of $((SECS / ROUNDS))s per table, interleaved;"
echo "   cancellations / reactivations / moves on $ROWS customers"
make_table c_noop noop
q -c "INSERT INTO c_noop SELECT * FROM c_untracked"
for tab in "${TABLES[@]}"; do
	q -c "VACUUM ANALYZE $tab" >/dev/null
	rm -f "$work/slices-$tab" "$work/waitevents-$tab"
done
interleave "${TABLES[@]}"
# waited_for TABLE: the lock types waited for, with counts ("none" if none)
waited_for() {
	if [ -s "$work/waitevents-$1" ]; then
		sort "$work/waitevents-$1" | uniq -c | awk '{ printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1 }'
	else
		printf none
	fi
}
# report TABLE: one line of the summary from the table's slices (mean TPS,
# summed failures and samples); sets REPORT_TPS
report() {
	local tab=$1 tps failed dl ser waits samples bad
	read -r tps failed dl ser waits samples bad < <(awk '{ t += $1; f += $2; d += $3; s += $4; w += $5; n += $6; b += $7 }
		END { printf "%.0f %d %d %d %d %d %d\n", t / NR, f, d, s, w, n, b }' "$work/slices-$tab")
	REPORT_TPS=$tps
	printf '%-12s %10s %8s %10s %14s %s of %s (waited for: %s; server log: %s deadlock/serialization lines; slices: %s)\n' \
		"$tab" "$tps" "$failed" "$dl" "$ser" "$waits" "$samples" "$(waited_for "$tab")" "$bad" \
		"$(awk '{ printf "%.0f ", $1 }' "$work/slices-$tab")"
}
printf '%-12s %10s %8s %10s %14s %s\n' table tps failed deadlocks serialization "lock-wait samples"
declare -A TPS
for tab in "${TABLES[@]}"; do
	report "$tab"
	TPS[$tab]=$REPORT_TPS
done
echo "ratio TPS tracked / untracked   $(ratio "${TPS[c_tracked]}" "${TPS[c_untracked]}")   (target >= 0.8)"
echo "ratio TPS tracked / PL/pgSQL    $(ratio "${TPS[c_tracked]}" "${TPS[c_plpgsql]}")"
echo "ratio TPS no-op statement trigger with transition tables / untracked   $(ratio "${TPS[c_noop]}" "${TPS[c_untracked]}")"
q -c "SELECT churn.refresh()" >/dev/null

# The common write of an application: columns churn does not track (an
# e-mail address, the time of the last login).  The capture compares the
# tracked columns of the transition tables and stops; what is left is
# PostgreSQL's cost of a statement trigger with transition tables, which the
# empty PL/pgSQL trigger shows, and below it, the cost of firing any
# statement trigger at all, which a C trigger that returns at once shows.
cat >"$work/login.sql" <<'EOF'
\set id random(1, :rows)
UPDATE :tab SET last_login = now() WHERE id = :id;
EOF
cat >"$work/email.sql" <<'EOF'
\set id random(1, :rows)
UPDATE :tab SET email = 'customer' || :id || '@example.net', last_login = now() WHERE id = :id;
EOF
echo
echo "== pgbench: $CLIENTS clients, $ROUNDS slices of $((SECS / ROUNDS))s per table, interleaved;"
echo "   updates of untracked columns (last login; e-mail and last login) on $ROWS customers"
UTABLES=(c_untracked c_cnoop c_noop c_tracked)
make_table c_cnoop c_noop
q -c "INSERT INTO c_cnoop SELECT * FROM c_untracked"
for tab in "${UTABLES[@]}"; do
	mv "$work/slices-$tab" "$work/slices-$tab.tracked-columns" 2>/dev/null
	mv "$work/waitevents-$tab" "$work/waitevents-$tab.tracked-columns" 2>/dev/null
	q -c "VACUUM ANALYZE $tab" >/dev/null
done
BENCH_SCRIPTS="-f $work/login.sql -f $work/email.sql"
interleave "${UTABLES[@]}"
BENCH_SCRIPTS=
printf '%-12s %10s %8s %10s %14s %s\n' table tps failed deadlocks serialization "lock-wait samples"
declare -A UTPS
for tab in "${UTABLES[@]}"; do
	report "$tab"
	UTPS[$tab]=$REPORT_TPS
	mv "$work/slices-$tab.tracked-columns" "$work/slices-$tab" 2>/dev/null
	mv "$work/waitevents-$tab.tracked-columns" "$work/waitevents-$tab" 2>/dev/null
done
echo "ratio TPS tracked / untracked, untracked columns   $(ratio "${UTPS[c_tracked]}" "${UTPS[c_untracked]}")   (target >= 0.97)"
echo "ratio TPS empty statement trigger with transition tables / untracked   $(ratio "${UTPS[c_noop]}" "${UTPS[c_untracked]}")"
echo "ratio TPS C statement trigger that returns at once / untracked   $(ratio "${UTPS[c_cnoop]}" "${UTPS[c_untracked]}")"
echo "pending delta rows after them: $(q -c "SELECT count(*) FROM churn.summary_delta")"

# The runs above use the test clusters' settings (fsync, synchronous_commit
# and full_page_writes off), which leave only CPU to compare: the worst case
# for the capture.  A production server commits durably; the same slices
# again with PostgreSQL's defaults for the three settings.
echo
echo "== pgbench again with durable commits (fsync, synchronous_commit, full_page_writes on,"
echo "   PostgreSQL's defaults): $CLIENTS clients, $ROUNDS slices of $((SECS / ROUNDS))s per table"
q -c "ALTER SYSTEM SET fsync = on" -c "ALTER SYSTEM SET synchronous_commit = on" \
	-c "ALTER SYSTEM SET full_page_writes = on" -c "SELECT pg_reload_conf()" >/dev/null
q -c "CHECKPOINT" >/dev/null
DTABLES=(c_untracked c_tracked)
for tab in "${DTABLES[@]}"; do
	mv "$work/slices-$tab" "$work/slices-$tab.fast"
	mv "$work/waitevents-$tab" "$work/waitevents-$tab.fast" 2>/dev/null
done
interleave "${DTABLES[@]}"
printf '%-12s %10s %8s %10s %14s %s\n' table tps failed deadlocks serialization "lock-wait samples"
declare -A DTPS
for tab in "${DTABLES[@]}"; do
	report "$tab"
	DTPS[$tab]=$REPORT_TPS
done
echo "ratio TPS tracked / untracked, durable commits   $(ratio "${DTPS[c_tracked]}" "${DTPS[c_untracked]}")"
q -c "ALTER SYSTEM RESET fsync" -c "ALTER SYSTEM RESET synchronous_commit" \
	-c "ALTER SYSTEM RESET full_page_writes" -c "SELECT pg_reload_conf()" -c "SELECT churn.refresh()" >/dev/null

# refresh cost: pending delta rows from K single-customer transactions, at
# two table sizes.
echo
echo "== churn.refresh() against pending deltas (ms)"
printf '%-10s %12s %14s %12s\n' rows transactions pending_rows refresh_ms
for size in $((ROWS / 10)) $ROWS; do
	make_table r_bench tracked
	q -c "INSERT INTO r_bench SELECT * FROM c_untracked WHERE id <= $size" -c "SELECT churn.refresh()" >/dev/null
	# (the deltas the sections above left dead, until autovacuum comes by,
	# would be scanned by every refresh here: measure without them)
	q -c "VACUUM ANALYZE r_bench" -c "VACUUM churn.summary_delta" >/dev/null
	for k in 100 1000 10000; do
		"$PGBIN/pgbench" -n -c 4 -j 2 -t $((k / 4)) -D rows="$size" -D tab=r_bench \
			-f "$work/cancel.sql" -f "$work/react.sql" -f "$work/move.sql" "$DB" >/dev/null 2>&1
		pending=$(q -c "SELECT pending_deltas FROM churn.status WHERE relation = 'r_bench'::regclass" 2>/dev/null)
		ms=$(q -c '\timing on' -c "SELECT churn.refresh()" | awk '/^Time:/ { print $2 }')
		printf '%-10s %12s %14s %12s\n' "$size" "$k" "${pending:-?}" "$ms"
	done
done
