#!/bin/bash
# test/bench/lifecycle.sh: cost of churn.lifecycle against a native enum and
# text holding the same states: sort, hash aggregate, btree index build and
# input parsing, over N rows (default 1,000,000).  Prints the best of 3 runs
# in ms per operation and the ratio lifecycle / enum.  Not run by the tests.
#
# Usage: CHURN_PORT=... bash test/bench/lifecycle.sh [rows]

set -eu
. "$(dirname "$0")/../lib.sh"
rows=${1:-1000000}
churn_private_install
trap churn_cluster_stop EXIT
churn_cluster_start bench "max_parallel_workers_per_gather = 0" "work_mem = '64MB'" "jit = off"
PSQL="$PGBIN/psql -X -q -v ON_ERROR_STOP=1 -d postgres"

$PSQL <<SQL
CREATE EXTENSION churn;
CREATE TYPE bench_enum AS ENUM ('prospect', 'new', 'active', 'at_risk', 'dormant', 'churned', 'reactivated');
CREATE TABLE b AS
SELECT (ARRAY['prospect', 'new', 'active', 'at_risk', 'dormant', 'churned', 'reactivated'])[1 + (i::bigint * 7919) % 7] AS t
  FROM generate_series(1, $rows) i;
ALTER TABLE b ADD l churn.lifecycle, ADD e bench_enum;
UPDATE b SET l = t::churn.lifecycle, e = t::bench_enum;
VACUUM ANALYZE b;
SQL

# best of 3, in ms, of one statement
best() {
	local sql=$1 i t min=""
	for i in 1 2 3; do
		t=$($PSQL -c '\timing on' -c "$sql" 2>&1 | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1)
		if [ -z "$min" ] || awk "BEGIN{exit !($t < $min)}"; then min=$t; fi
	done
	echo "$min"
}

printf '%-28s %12s %12s %12s %10s\n' "operation ($rows rows)" "lifecycle" "enum" "text" "lc/enum"
for op in sort group index parse; do
	for col in l e t; do
		case $op in
			sort)  sql="SELECT $col FROM b ORDER BY $col OFFSET $rows" ;;
			group) sql="SELECT $col, count(*) FROM b GROUP BY $col" ;;
			index) sql="CREATE INDEX bi_$col ON b ($col); DROP INDEX bi_$col" ;;
			parse) case $col in
					l) sql="SELECT count(*) FROM b WHERE t::churn.lifecycle IS NULL" ;;
					e) sql="SELECT count(*) FROM b WHERE t::bench_enum IS NULL" ;;
					t) sql="SELECT count(*) FROM b WHERE t::text IS NULL" ;;
				esac ;;
		esac
		eval "ms_$col=\$(best \"\$sql\")"
	done
	printf '%-28s %12s %12s %12s %10s\n' "$op" "$ms_l" "$ms_e" "$ms_t" "$(awk "BEGIN{printf \"%.2f\", $ms_l / $ms_e}")"
done
$PSQL <<'SQL'
SELECT pg_column_size(l) AS lifecycle_bytes, pg_column_size(e) AS enum_bytes FROM b LIMIT 1;
CREATE INDEX bi_l ON b (l);
CREATE INDEX bi_e ON b (e);
SELECT pg_size_pretty(pg_relation_size('bi_l')) AS lifecycle_index, pg_size_pretty(pg_relation_size('bi_e')) AS enum_index;
SQL
