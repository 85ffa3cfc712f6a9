#!/bin/bash
# test/suites/history_pruned_page.sh: the C capture keeps the stored entries
# of a customer's history row from fetch_history to heap_write_history.  If
# it keeps pointers into the shared buffer (an uncompressed in-line entries
# array) instead of a copy, a prune of the page between the two (by VACUUM,
# another backend, or an index probe of this one) moves the tuple and the
# rewritten row is built from whatever now lies there: corrupt history
# ("type with OID ... does not exist" when it is read).
#
# Deterministic through gdb: the capturing backend stops at write_capture,
# VACUUM prunes and compacts the page meanwhile, the backend goes on.
# Skipped (ok with a note) when gdb is missing.

set -u
here=$(cd "$(dirname "$0")" && pwd)
DB=churn_history_pruned
failed=0
. "$here/summary_lib.bash"

if ! command -v gdb >/dev/null; then
	ok "history row rewritten after a prune of its page # SKIP gdb missing"
	exit 0
fi
work=$CHURN_TMP/history_pruned
rm -rf "$work"
mkdir -p "$work"

"$PGBIN/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null || exit 1
# Page 0 of churn.history, from its end: A's first version (dead), A's
# second (live, the one the capture reads), B's row (live, big).  VACUUM
# removes the dead version and moves both live tuples up: B's tail lands
# where A's entries were.
q <<'EOF' || exit 1
SET client_min_messages = warning;
CREATE EXTENSION churn;
CREATE TABLE c (id int PRIMARY KEY, since date NOT NULL, until date, channel text);
INSERT INTO c VALUES (1, '2023-01-01', NULL, 'a'), (2, '2023-01-01', NULL, 'a');
SELECT churn.track('c', customer => 'id', since => 'since', until => 'until', channel => 'channel',
				   time_zone => 'UTC');
UPDATE c SET channel = 'b' WHERE id = 1;
UPDATE c SET channel = 'c' WHERE id = 1;
UPDATE c SET channel = repeat('Y', 700) WHERE id = 2;
EOF

cat >"$work/gdb.cmd" <<EOF
set pagination off
set confirm off
set breakpoint pending on
break write_capture
commands
  shell "$PGBIN/psql" -X -q -d $DB -c "VACUUM churn.history"
  continue
end
continue
EOF

{
	echo "SELECT pg_backend_pid() \\g $work/pid"
	echo "SELECT pg_sleep(3);"
	echo "UPDATE c SET channel = 'zzz' WHERE id = 1;"
} | "$PGBIN/psql" -X -q -A -t -d $DB >"$work/s1.out" 2>&1 &
s1=$!
for _ in $(seq 50); do [ -s "$work/pid" ] && break; sleep 0.1; done
timeout 60 gdb -q -batch -x "$work/gdb.cmd" -p "$(cat "$work/pid")" >"$work/gdb.out" 2>&1
wait $s1

check "history entries of a customer whose page was pruned during the capture" \
	"SELECT string_agg(format('%s:%s:%s>%s', e.seq, e.kind, e.from_channel, e.channel), ' ' ORDER BY e.seq)
	   FROM churn.history h, unnest(h.entries) e WHERE h.customer = '1'" \
	"1:m:a>b 2:m:b>c 3:m:c>zzz"
check "churn.verify after it" "SELECT count(*) FROM churn.verify('c')" "0"
"$PGBIN/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1
exit $((failed > 0))
