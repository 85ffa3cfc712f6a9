#!/bin/bash
# test/suites/dump_across_versions.sh: a database with a tracked table,
# dumped by pg_dump of one PostgreSQL major version and restored into a
# later one (the way Debian's pg_upgradecluster -m dump and most
# migrations move a database), keeps its summaries exact and capturing.
#
# test/run.sh runs the versions in order (15, 17, 18) and gives every run
# the same directory, CHURN_XDUMP_DIR.  Each version writes there a dump of
# a source database (custom and plain format) holding folded summary rows,
# pending deltas and history, and a value of each of churn's types that
# users store, with the source's summaries and values as text
# (summary_move.bash); then it restores every dump of an older major
# version it finds: pg_restore and psql without error, churn.verify empty,
# the summaries equal the source's row for row and the plain-SQL oracle
# (summary_oracle.sql), the stored values read back as they were, and a
# further workload through the restored triggers stays exact.  A run of
# one version alone finds no older dump and says so.
# pg_upgrade_across_versions.sh moves whole clusters with pg_upgrade.

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

. "$here/summary_move.bash"

# The source of this version, for the versions after it.
mine=$CHURN_XDUMP_DIR/from-$PG_MAJOR
rm -rf "$mine"
mkdir -p "$mine"
SRC=churn_xdump_src
build_source "$SRC" || exit 1
save_source "$SRC" "$mine/"
if "$PGBIN/pg_dump" -Fc -d "$SRC" -f "$mine/src.dump" 2>"$work/pg_dump.err" &&
	"$PGBIN/pg_dump" -Fp -d "$SRC" -f "$mine/src.sql" 2>>"$work/pg_dump.err" && [ ! -s "$work/pg_dump.err" ]; then
	ok "PostgreSQL $PG_MAJOR source dumped (custom and plain format) for the later versions"
else
	not_ok "pg_dump of the source: $(head -3 "$work/pg_dump.err")"
	rm -rf "$mine"
fi
"$PGBIN/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $SRC" >/dev/null 2>&1

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
		moved_check "$old -> $PG_MAJOR, pg_restore" "$DST" "$from/"
	else
		not_ok "$old -> $PG_MAJOR: pg_restore: $(head -5 "$work/pg_restore.err" | tr '\n' ' ')"
	fi

	DST=churn_xdump_fp_$old
	new_db "$DST"
	if DB=$DST q -f "$from/src.sql" >/dev/null 2>"$work/psql_restore.err" && ! grep -q . "$work/psql_restore.err"; then
		ok "$old -> $PG_MAJOR: the plain dump replayed by psql, without error"
		moved_check "$old -> $PG_MAJOR, psql" "$DST" "$from/"
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
