#!/bin/bash
# test/suites/history_partition_dup.sh: churn.track accepts a partitioned
# table whose customer column is unique only together with the partition key
# (PRIMARY KEY (id, since)), so one customer value can have a row in two
# partitions; churn.history holds one row per (relid, customer value), which
# both rows share.  Writes of both rows must succeed and stay exact:
# - one UPDATE of both rows (the C capture reads the shared history once and
#   writes it once);
# - two transactions updating one row each: they hold different row locks,
#   so the capture serializes them on a lock of its own (the second waits);
# - churn.verify runs.  (It does report differences here: each row's counts
#   were captured with the history as it was, and the other row's later
#   moves enter the shared history; doc/summaries.md asks for customer values that
#   are unique across partitions.)
set -u
here=$(cd "$(dirname "$0")" && pwd)
DB=churn_history_partition_dup
failed=0
. "$here/summary_lib.bash"

"$PGBIN/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null 2>&1 || exit 1
q <<'EOF' || exit 1
SET client_min_messages = warning;
CREATE EXTENSION churn;
CREATE TABLE pc (id int NOT NULL, since date NOT NULL, until date, channel text NOT NULL,
				 PRIMARY KEY (id, since)) PARTITION BY RANGE (since);
CREATE TABLE pc_a PARTITION OF pc FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE pc_b PARTITION OF pc DEFAULT;
INSERT INTO pc VALUES (1, '2023-05-01', NULL, 'web'), (1, '2024-05-01', NULL, 'web'),
					  (2, '2023-05-01', NULL, 'web'), (2, '2024-05-01', NULL, 'web');
SELECT churn.track('pc', customer => 'id', since => 'since', until => 'until', channel => 'channel',
				   time_zone => 'UTC');
EOF

check "one UPDATE of both rows of customer 1 (no history yet), C capture" \
	"UPDATE pc SET channel = 'shop' WHERE id = 1" ""
q -c "UPDATE pc SET channel = 'x1' WHERE id = 1 AND since = '2023-05-01'" >/dev/null 2>&1
check "again, customer 1 has a history row now" \
	"UPDATE pc SET channel = 'tel' WHERE id = 1" ""

# two writers, one row each, of customer 2
q -c "UPDATE pc SET channel = 'shop' WHERE id = 2 AND since = '2023-05-01'" >/dev/null 2>&1
{
	echo "BEGIN;"
	echo "UPDATE pc SET channel = 't1' WHERE id = 2 AND since = '2023-05-01';"
	echo "SELECT pg_sleep(2);"
	echo "COMMIT;"
} | q >/dev/null 2>&1 &
t1=$!
sleep 0.7
check "concurrent UPDATE of the other row of customer 2" \
	"UPDATE pc SET channel = 't2' WHERE id = 2 AND since = '2024-05-01'" ""
wait $t1
check "churn.verify runs" "SELECT count(*) >= 0 FROM churn.verify('pc')" "t"
check "both writers' moves are in customer 2's history" \
	"SELECT string_agg(e.channel, ',' ORDER BY e.seq) FROM churn.history h, unnest(h.entries) e
	  WHERE h.relid = 'pc'::regclass AND h.customer = '2'" "shop,t1,t2"
"$PGBIN/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1
exit $((failed > 0))
