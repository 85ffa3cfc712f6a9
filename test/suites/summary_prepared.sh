#!/bin/bash
# test/suites/summary_prepared.sh: two-phase commit of writes to a tracked
# table (PREPARE TRANSACTION, as transaction managers and XA drivers use it).
# The capture's deltas and history, the notes that order nested statements
# (summary_order.c: checked when the transaction prepares, emptied after)
# and the advisory locks of the capture must all pass through PREPARE:
# - COMMIT PREPARED of a move that a row trigger sends on to another channel
#   (a nested statement captured after its cause): the history has both
#   moves in order and churn.verify returns nothing;
# - ROLLBACK PREPARED of new customers leaves no trace;
# - the session that prepared goes on writing, captured as usual.
# The test cluster runs with max_prepared_transactions > 0 (test/lib.sh).
set -u
here=$(cd "$(dirname "$0")" && pwd)
DB=churn_summary_prepared
failed=0
. "$here/summary_lib.bash"

"$PGBIN/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null 2>&1 || exit 1
q <<'SQL' || exit 1
SET client_min_messages = warning;
CREATE EXTENSION churn;
CREATE TABLE cust (id int PRIMARY KEY, since timestamptz NOT NULL, until timestamptz,
				   branch text NOT NULL, changed timestamptz);
INSERT INTO cust SELECT i, '2024-01-05', NULL, 'north', '2024-01-05' FROM generate_series(1, 10) i;
SELECT churn.track('cust', customer => 'id', since => 'since', until => 'until', channel => 'branch',
				   changed_at => 'changed', time_zone => 'UTC');
CREATE FUNCTION route() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.branch = 'south' THEN
		UPDATE cust SET branch = 'east', changed = NEW.changed + interval '1 day' WHERE id = NEW.id;
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER route AFTER UPDATE OF branch ON cust FOR EACH ROW EXECUTE FUNCTION route();
SQL

check "the cluster allows prepared transactions" \
	"SELECT current_setting('max_prepared_transactions')::int > 0" "t"
check "PREPARE TRANSACTION of a redirected move" \
	"BEGIN; UPDATE cust SET branch = 'south', changed = '2024-03-10' WHERE id = 1;
	 PREPARE TRANSACTION 'churn_move'" ""
check "COMMIT PREPARED from another session" "COMMIT PREPARED 'churn_move'" ""
check "the history holds both moves, in order" \
	"SELECT string_agg(e.from_channel || '>' || e.channel, ',' ORDER BY e.seq)
	   FROM churn.history h, unnest(h.entries) e WHERE h.relid = 'cust'::regclass AND h.customer = '1'" \
	"north>south,south>east"
check "churn.verify returns nothing after COMMIT PREPARED" \
	"SELECT count(*) FROM churn.verify('cust')" "0"
check "PREPARE TRANSACTION of new customers" \
	"BEGIN; INSERT INTO cust SELECT i, '2024-02-01', NULL, 'west', '2024-02-01' FROM generate_series(11, 20) i;
	 PREPARE TRANSACTION 'churn_new'" ""
check "ROLLBACK PREPARED" "ROLLBACK PREPARED 'churn_new'" ""
check "no trace of the rolled-back customers in the summaries" \
	"SELECT coalesce(sum(new), 0) FROM churn.churn_summary WHERE relation = 'cust'::regclass AND channel = 'west'" "0"
got=$(q -c "BEGIN" -c "UPDATE cust SET branch = 'south', changed = '2024-03-12' WHERE id = 2" \
	-c "PREPARE TRANSACTION 'churn_again'" -c "COMMIT PREPARED 'churn_again'" \
	-c "UPDATE cust SET branch = 'south', changed = '2024-03-14' WHERE id = 3" \
	-c "SELECT count(*) FROM churn.verify('cust')" 2>&1)
if [ "$got" = "0" ]; then
	ok "one session: prepare, commit prepared, then write again; churn.verify returns nothing"
else
	not_ok "one session: prepare, commit prepared, then write again"
	printf '%s\n' "$got" | head -5 | sed 's/^/#   got: /'
fi
check "customers 1-3 end in east, the others in north" \
	"SELECT string_agg(branch || ':' || n, ',' ORDER BY branch)
	   FROM (SELECT branch, count(*) AS n FROM cust GROUP BY branch) x" "east:3,north:7"
check "the summary's current month agrees" \
	"SELECT string_agg(channel || ':' || at_end, ',' ORDER BY channel) FROM churn.churn_summary
	  WHERE relation = 'cust'::regclass AND at_end > 0
	    AND bucket_start = (SELECT max(bucket_start) FROM churn.churn_summary WHERE relation = 'cust'::regclass)" \
	"east:3,north:7"
"$PGBIN/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1
exit $((failed > 0))
