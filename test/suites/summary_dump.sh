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

if [ $failed -eq 0 ]; then
	for d in $SRC churn_summary_dump_fc churn_summary_dump_fp; do
		"$PGBIN/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $d" >/dev/null 2>&1
	done
fi
[ $failed -eq 0 ]
