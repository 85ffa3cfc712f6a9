#!/bin/bash
# test/suites/lifecycle_dump.sh: a database using churn.lifecycle (columns,
# arrays, defaults, btree and hash indexes, the enforce_lifecycle trigger)
# survives pg_dump and restore, in custom and in plain format: same rows,
# same order, the indexes usable, the trigger still enforcing.
set -u
failed=0
check() {	# check "what" expected actual
	if [ "$2" = "$3" ]; then
		echo "ok - $1"
	else
		echo "not ok - $1 (expected '$2', got '$3')"
		failed=1
	fi
}
Q() { "$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
src=churn_lc_dump_src
out="$CHURN_TMP/lifecycle_dump"
mkdir -p "$out"
chmod 777 "$out"
for db in $src churn_lc_dump_custom churn_lc_dump_plain; do
	"$PGBIN/dropdb" --if-exists "$db"
done
"$PGBIN/createdb" $src

Q -d $src <<'SQL'
CREATE EXTENSION churn;
CREATE TABLE customer (
	id int PRIMARY KEY,
	state churn.lifecycle NOT NULL DEFAULT 'new',
	history churn.lifecycle[]
);
CREATE INDEX customer_state ON customer (state);
CREATE INDEX customer_state_hash ON customer USING hash (state);
CREATE TRIGGER customer_lifecycle BEFORE UPDATE ON customer
	FOR EACH ROW EXECUTE FUNCTION churn.enforce_lifecycle('state');
INSERT INTO customer
SELECT i, (ARRAY['prospect', 'new', 'active', 'at_risk', 'dormant', 'churned', 'reactivated'])[1 + i % 7]::churn.lifecycle,
       ARRAY['prospect', '新客户', 'ACTIVE']::churn.lifecycle[]
  FROM generate_series(1, 1000) i;
INSERT INTO customer (id) VALUES (1001);
SQL

fingerprint="SELECT md5(string_agg(id || ':' || state::text || ':' || coalesce(history::text, '-'), ',' ORDER BY state, id)) FROM customer"
want=$(Q -d $src -c "$fingerprint")

"$PGBIN/pg_dump" -Fc -f "$out/src.dump" $src && check "pg_dump -Fc" 0 0 || check "pg_dump -Fc" 0 1
"$PGBIN/pg_dump" -Fp -f "$out/src.sql" $src && check "pg_dump -Fp" 0 0 || check "pg_dump -Fp" 0 1
"$PGBIN/createdb" churn_lc_dump_custom
"$PGBIN/pg_restore" --exit-on-error -d churn_lc_dump_custom "$out/src.dump"
check "pg_restore of the custom dump" 0 $?
"$PGBIN/createdb" churn_lc_dump_plain
Q -d churn_lc_dump_plain -f "$out/src.sql" >/dev/null
check "psql restore of the plain dump" 0 $?

for db in churn_lc_dump_custom churn_lc_dump_plain; do
	kind=${db##*_}
	check "$kind: rows, states and arrays as dumped" "$want" "$(Q -d $db -c "$fingerprint")"
	check "$kind: default state" "new" "$(Q -d $db -c "SELECT state FROM customer WHERE id = 1001")"
	check "$kind: btree index answers an equality" "143" \
		"$(Q -d $db -c "SET search_path = churn, public; SET enable_seqscan = off; SET enable_bitmapscan = off; SELECT count(*) FROM customer WHERE state = 'churned'")"
	check "$kind: index scan is the plan" "Index Only Scan using customer_state on customer" \
		"$(Q -d $db -c "SET search_path = churn, public; SET enable_seqscan = off; SET enable_bitmapscan = off; EXPLAIN (COSTS OFF) SELECT count(*) FROM customer WHERE state > 'dormant'" | sed -n 's/^ *-> *//p' | head -1)"
	check "$kind: trigger still refuses churned -> active" "23514" \
		"$(Q -d $db -v VERBOSITY=sqlstate -c "UPDATE customer SET state = 'active' WHERE id = 5" 2>&1 | sed -n 's/^.*ERROR: *//p')"
	check "$kind: trigger allows churned -> reactivated" "UPDATE 1" \
		"$("$PGBIN/psql" -X -d $db -c "UPDATE customer SET state = 'reactivated' WHERE id = 5" 2>&1)"
done

for db in $src churn_lc_dump_custom churn_lc_dump_plain; do
	"$PGBIN/dropdb" "$db"
done
exit $failed
