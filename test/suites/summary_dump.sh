#!/bin/bash
# test/suites/summary_dump.sh: a database with a tracked table survives a
# pg_dump / restore round trip, in custom format through pg_restore and in
# plain format through psql.  The source holds folded and pending (not yet
# refreshed) deltas, moves, reactivations and deletes.  After restore:
# churn.verify returns nothing, churn_summary / churn_reasons /
# diversion_summary equal the source's row for row and the plain-SQL oracle
# (test/suites/summary_oracle.sql), churn.status shows the source's rows, a
# value of each of churn's stored types reads back as it was, and the
# restored triggers keep the summaries exact through a further random
# workload and a refresh (summary_move.bash).

set -u
here=$(cd "$(dirname "$0")" && pwd)
SRC=churn_summary_dump_src
SEED=7
work=$CHURN_TMP/summary_dump
rm -rf "$work"
mkdir -p "$work"
failed=0
. "$here/summary_lib.bash"

. "$here/summary_move.bash"

build_source "$SRC" || exit 1
save_source "$SRC" "$work/src."
info "source: $(q -c "SELECT count(*) FROM customers") customers, $(grep -c . "$work/src.summaries.txt") summary lines"

"$PGBIN/pg_dump" -Fc -d "$SRC" -f "$work/src.dump" 2>"$work/pg_dump.err"
[ $? -eq 0 ] && [ ! -s "$work/pg_dump.err" ] && ok "pg_dump -Fc of the source" ||
	{ not_ok "pg_dump -Fc: $(head -3 "$work/pg_dump.err")"; }
"$PGBIN/pg_dump" -Fp -d "$SRC" -f "$work/src.sql" 2>>"$work/pg_dump.err" || not_ok "pg_dump -Fp"

# custom format through pg_restore
DST=churn_summary_dump_fc
new_db "$DST"
"$PGBIN/pg_restore" -d "$DST" --exit-on-error "$work/src.dump" 2>"$work/pg_restore.err"
if [ $? -eq 0 ] && [ ! -s "$work/pg_restore.err" ]; then
	ok "pg_restore into a new database without error or warning"
	moved_check "pg_restore" "$DST" "$work/src."
else
	not_ok "pg_restore: $(head -5 "$work/pg_restore.err" | tr '\n' ' ')"
fi

# plain format through psql
DST=churn_summary_dump_fp
new_db "$DST"
DB=$DST q -f "$work/src.sql" >/dev/null 2>"$work/psql_restore.err"
if [ $? -eq 0 ] && ! grep -q . "$work/psql_restore.err"; then
	ok "plain dump replayed by psql without error"
	moved_check "psql restore" "$DST" "$work/src."
else
	not_ok "psql restore: $(head -5 "$work/psql_restore.err" | tr '\n' ' ')"
fi

# The tracked table dumped alone (pg_dump -t): it restores with churn's
# triggers but not churn's settings for it, so its writes fail in churn's
# words (not with a wrong count), and churn.track makes it a tracked table
# that captures exactly.
DST=churn_summary_dump_table
new_db "$DST"
DB=$DST q -c "CREATE EXTENSION churn" >/dev/null || not_ok "CREATE EXTENSION churn for the table alone"
if "$PGBIN/pg_dump" -d "$SRC" -t public.customers -f "$work/table.sql" 2>"$work/pg_dump_t.err" &&
	DB=$DST q -f "$work/table.sql" >/dev/null 2>"$work/table_restore.err" && ! grep -q . "$work/table_restore.err"; then
	ok "pg_dump -t of the tracked table restores without error"
else
	not_ok "pg_dump -t and its restore: $(cat "$work/pg_dump_t.err" "$work/table_restore.err" | head -3 | tr '\n' ' ')"
fi
new_customer="INSERT INTO customers (id, since, branch, contract, region, updated_at, prev_at)
	VALUES (999999, '2024-05-01', 'north', 'monthly', 'r1', '2024-05-01', '2024-05-01')"
got=$(DB=$DST q -v VERBOSITY=verbose -c "$new_customer" 2>&1 |
	grep -E '^(ERROR|DETAIL|HINT)' | tr '\n' ' ')
expected='ERROR:  39P01: table "public.customers" is not tracked by churn DETAIL:  It has churn'"'"'s capture triggers but churn has no settings for it, as when the table was restored from a dump of itself alone (pg_dump -t). HINT:  Track it with churn.track, or drop its triggers churn_summary_begin, churn_summary_insert, churn_summary_update, churn_summary_delete and churn_summary_truncate. '
[ "$got" = "$expected" ] && ok "a write to the table restored alone fails with churn's message, detail and hint" ||
	not_ok "a write to the table restored alone: $got"
DB=$DST
out=$(track_customers 2>&1) && ok "churn.track on the table restored alone, its triggers in place" ||
	not_ok "churn.track on the table restored alone: $out"
# a new customer in north, moved to south, lost there: north gains a new
# customer and a move out, south a move in and a loss (segment monthly, r1)
cells_sql="SELECT channel, coalesce(sum(new), 0), coalesce(sum(moved_in), 0), coalesce(sum(moved_out), 0),
	             coalesce(sum(lost), 0)
	        FROM churn.churn_summary
	       WHERE relation = 'public.customers'::regclass AND bucket_start >= '2024-05-01'
	         AND bucket_start < '2024-08-01' AND channel IN ('north', 'south')
	         AND segment = '{\"contract\": \"monthly\", \"region\": \"r1\"}'
	       GROUP BY 1 ORDER BY 1"
before=$(q -c "$cells_sql")
q -c "$new_customer" \
	-c "UPDATE customers SET branch = 'south', updated_at = '2024-06-01' WHERE id = 999999" \
	-c "UPDATE customers SET until = '2024-07-01', updated_at = '2024-07-01' WHERE id = 999999" >/dev/null ||
	not_ok "writes to the table restored alone, once tracked"
expected=$(printf '%s\n' "$before" | awk -F'|' -v OFS='|' '
	$1 == "north" { $2 += 1; $4 += 1 } $1 == "south" { $3 += 1; $5 += 1 } { print }')
check "its writes are captured: north gains a new customer and a move out, south a move in and a loss" \
	"$cells_sql" "$expected"
check "churn.verify returns nothing for the table restored alone and tracked" \
	"SELECT count(*) FROM churn.verify('public.customers')" "0"

if [ $failed -eq 0 ]; then
	for d in $SRC churn_summary_dump_fc churn_summary_dump_fp churn_summary_dump_table; do
		"$PGBIN/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $d" >/dev/null 2>&1
	done
fi
[ $failed -eq 0 ]
