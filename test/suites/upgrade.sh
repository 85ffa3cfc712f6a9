#!/bin/bash
# test/suites/upgrade.sh: ALTER EXTENSION churn UPDATE from every released
# version to the current one (churn.control's default_version).
#
# Released versions are the frozen install scripts churn--X.sql beside the
# current one.  For each: a database gets churn at X, a customer table
# tracked and written to (the random workload of the summary suites: new
# customers, losses, moves, reactivations, deletes, COPY), refreshed, and
# written to again so that folded summary rows, pending deltas and history
# all cross the upgrade.  Then ALTER EXTENSION churn UPDATE, more writes and
# a refresh, and each time the summaries must equal the plain-SQL oracle
# (summary_oracle.sql) and churn.verify must return nothing.  Last, the
# upgraded database must hold exactly the objects and definitions of a
# fresh install of the current version: every line of
# extension_catalog.sql (members, function definitions, aggregates, types,
# views, columns, constraints, indexes, operators, comments, privileges)
# must be equal.  A deliberate change in the fresh database shows that the
# comparison sees a single altered property.
#
# Nothing here names a version: the test keeps working as versions are
# added.

set -u
here=$(cd "$(dirname "$0")" && pwd)
work=$CHURN_TMP/upgrade
rm -rf "$work"
mkdir -p "$work"
failed=0
SEED=11
. "$here/summary_lib.bash"
. "$here/summary_move.bash"

current=$(sed -n "s/^default_version = '\(.*\)'$/\1/p" "$CHURN_ROOT/churn.control")
released=$(cd "$CHURN_ROOT" && ls churn--*.sql | sed -n 's/^churn--\([^-]*\)\.sql$/\1/p' |
	grep -vx "$current" | sort -V)
info "current version $current; released versions: $(echo $released)"
[ -n "$released" ] || { not_ok "no released version to upgrade from (no frozen churn--X.sql)"; exit 1; }

catalog() {
	DB=$1 q -f "$here/extension_catalog.sql" >"$work/catalog-$1.txt" 2>&1
}

FRESH=churn_upgrade_fresh
create_test_db "$FRESH" || { not_ok "create a database with churn $current"; exit 1; }
catalog "$FRESH" || { not_ok "list the objects of a fresh install: $(head -3 "$work/catalog-$FRESH.txt")"; exit 1; }
info "a fresh install of $current: $(grep -c '^member|' "$work/catalog-$FRESH.txt") objects, $(wc -l <"$work/catalog-$FRESH.txt") catalog lines"

for from in $released; do
	DB=churn_upgrade_from_$(echo "$from" | tr . _)
	# folded summary rows, pending deltas and history to cross the update
	build_source "$DB" "$from" || continue
	check "$from: installed at $from" "SELECT extversion FROM pg_extension WHERE extname = 'churn'" "$from"
	check "$from: an update path leads to $current" \
		"SELECT path IS NOT NULL FROM pg_extension_update_paths('churn') WHERE source = '$from' AND target = '$current'" "t"

	out=$(q -c "ALTER EXTENSION churn UPDATE" 2>&1)
	[ -z "$out" ] && ok "$from: ALTER EXTENSION churn UPDATE, without a notice" ||
		not_ok "$from: ALTER EXTENSION churn UPDATE: $out"
	check "$from: now at $current" "SELECT extversion FROM pg_extension WHERE extname = 'churn'" "$current"
	check "$from: churn.verify returns nothing after the update" \
		"SELECT count(*) FROM churn.verify('public.customers')" "0"
	check_diffs "$from: after the update"
	check "$from: the update records the attribute numbers of the customer, since, until and channel columns, and the table's OID" \
		"SELECT t.column_attnums IS NOT DISTINCT FROM
		        ARRAY[(SELECT a.attnum FROM pg_attribute a WHERE a.attrelid = t.relid AND a.attname = 'id'),
		              (SELECT a.attnum FROM pg_attribute a WHERE a.attrelid = t.relid AND a.attname = 'since'),
		              (SELECT a.attnum FROM pg_attribute a WHERE a.attrelid = t.relid AND a.attname = 'until'),
		              (SELECT a.attnum FROM pg_attribute a WHERE a.attrelid = t.relid AND a.attname = 'branch'),
		              NULL]::int2[] AND t.column_attnums_relid = t.relid
		   FROM churn.tracked_table t WHERE t.relid = 'public.customers'::regclass" "t"
	keeps_capturing "$from: updated" "$DB"

	catalog "$DB" || not_ok "$from: list the objects of the updated database"
	if cmp -s "$work/catalog-$FRESH.txt" "$work/catalog-$DB.txt"; then
		ok "$from: the updated extension equals a fresh install of $current ($(wc -l <"$work/catalog-$DB.txt") catalog lines)"
	else
		not_ok "$from: the updated extension differs from a fresh install of $current"
		diff "$work/catalog-$FRESH.txt" "$work/catalog-$DB.txt" | grep '^[<>]' | head -20 |
			sed 's/^</#   fresh:   /; s/^>/#   updated: /' | cut -c1-400
	fi
	[ $failed -eq 0 ] && "$PGBIN/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1
done

# Tables a released version tracked that the current one refuses (an
# unlogged table, a partition): the update names each in a warning, DDL on
# them and their parent goes on (a restore's ALTER TABLEs come after the
# triggers), and untrack removes them.  Only from versions that tracked
# them.
for from in $released; do
	DB=churn_upgrade_legacy_$(echo "$from" | tr . _)
	create_test_db "$DB" "$from" || { not_ok "$from: create a database with churn $from"; continue; }
	if ! q >"$work/legacy-$from.out" 2>&1 <<'SQL'
CREATE UNLOGGED TABLE legacy_unlogged (id int PRIMARY KEY, since date NOT NULL, until date);
INSERT INTO legacy_unlogged VALUES (1, '2024-01-01', NULL);
SELECT churn.track('legacy_unlogged', customer => 'id', since => 'since', until => 'until');
CREATE TABLE legacy_parent (id int NOT NULL, since date NOT NULL, until date, PRIMARY KEY (id, since))
	PARTITION BY RANGE (since);
CREATE TABLE legacy_part PARTITION OF legacy_parent FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE UNIQUE INDEX ON legacy_part (id);
SELECT churn.track('legacy_part', customer => 'id', since => 'since', until => 'until');
SQL
	then
		info "$from: tracks neither unlogged tables nor partitions: nothing to warn of ($(grep -m1 ERROR "$work/legacy-$from.out"))"
		"$PGBIN/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1
		continue
	fi
	out=$(q -c "ALTER EXTENSION churn UPDATE" 2>&1)
	if grep -qx 'WARNING:  churn cannot keep the summaries of unlogged table "public.legacy_unlogged"' <<<"$out" &&
		grep -qx 'WARNING:  churn cannot keep the summaries of table "public.legacy_part" as a partition of "public.legacy_parent"' <<<"$out" &&
		[ "$(grep -c '^WARNING' <<<"$out")" = 2 ]; then
		ok "$from: the update warns of the unlogged table and the partition it tracked, each by name"
	else
		not_ok "$from: the update should warn of legacy_unlogged and legacy_part: $out"
	fi
	check "$from: churn.health() reports both as untrackable" \
		"SELECT string_agg(relation::text || ' ' || status, ', ' ORDER BY relation::text) FROM churn.health()" \
		"legacy_part untrackable, legacy_unlogged untrackable"
	check "$from: DDL on the tables $current refuses, and on the parent, goes on" \
		"ALTER TABLE legacy_unlogged ADD COLUMN note text;
		 ALTER TABLE legacy_parent ADD COLUMN note text;
		 CREATE TABLE legacy_part_2025 PARTITION OF legacy_parent FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
		 SELECT count(*) FROM churn.tracked_table" "2"
	# retrack and resume would re-arm a capture that misses writes: both
	# refuse, with track's message and a hint that fits a tracked table
	out=$(q -c "SELECT churn.retrack('legacy_part', customer => 'id', since => 'since', until => 'until')" 2>&1)
	if grep -qx 'ERROR:  churn cannot keep the summaries of table "public.legacy_part" as a partition of "public.legacy_parent"' <<<"$out" &&
		grep -qx 'HINT:  Stop tracking "public.legacy_part" first (churn.untrack), and track "public.legacy_parent" instead.' <<<"$out"; then
		ok "$from: retrack refuses the partition, with the hint to untrack it"
	else
		not_ok "$from: retrack of legacy_part should be refused: $out"
	fi
	out=$(q -c "SELECT churn.suspend('legacy_unlogged')" -c "SELECT churn.resume('legacy_unlogged')" 2>&1)
	if grep -qx 'ERROR:  churn cannot keep the summaries of unlogged table "public.legacy_unlogged"' <<<"$out" &&
		grep -qx 'HINT:  Make it logged first: ALTER TABLE public.legacy_unlogged SET LOGGED.' <<<"$out"; then
		ok "$from: resume refuses the unlogged table, with the hint to make it logged"
	else
		not_ok "$from: resume of legacy_unlogged should be refused: $out"
	fi
	check "$from: a logged table again, it resumes" \
		"ALTER TABLE legacy_unlogged SET LOGGED;
		 SELECT customers FROM churn.resume('legacy_unlogged')" "1"
	check "$from: churn.health() then reports it as ok" \
		"SELECT status FROM churn.health() WHERE relation = 'legacy_unlogged'::regclass" "ok"
	check "$from: untrack removes them" \
		"SELECT count(*) FROM (SELECT churn.untrack('legacy_unlogged') UNION ALL SELECT churn.untrack('legacy_part')) u" "2"
	check "$from: nothing is left tracked" "SELECT count(*) FROM churn.tracked_table" "0"
	[ $failed -eq 0 ] && "$PGBIN/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1
done

# The comparison sees a single changed property: a function's cost (its
# attributes and its definition: 2 lines) and a view's comment (1 line).
DB=$FRESH
q -c "ALTER FUNCTION churn.refresh(regclass) COST 1234" -c "COMMENT ON VIEW churn.churn_summary IS 'changed'" >/dev/null
cp "$work/catalog-$FRESH.txt" "$work/catalog-before.txt"
catalog "$FRESH"
changed=$(diff "$work/catalog-before.txt" "$work/catalog-$FRESH.txt" | grep -c '^>')
[ "$changed" = 3 ] && ok "the comparison sees a changed function cost and a changed comment (3 lines)" ||
	not_ok "the comparison should see 3 changed lines, saw $changed"
[ $failed -eq 0 ] && "$PGBIN/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $FRESH" >/dev/null 2>&1
[ $failed -eq 0 ]
