# test/suites/summary_move.bash: what the suites that move a tracked
# database share: summary_dump.sh (pg_dump and restore),
# dump_across_versions.sh (the same into a later PostgreSQL major version),
# pg_upgrade_across_versions.sh (pg_upgrade) and upgrade.sh (ALTER
# EXTENSION churn UPDATE, its source only); sourced after summary_lib.bash,
# not a suite itself.  The caller sets here, work, DB
# and failed=0.

# summary_text DB: the summary rows of the tracked table, in a fixed order.
# The workload's events all lie before 2026; the rows of later months, which
# grow with the calendar between the source and its copy (a month may end
# between the dump and the restore), are left to the oracle comparison.
summary_text() {
	DB=$1 q -c "SELECT bucket_start, bucket_end, channel, segment, at_start, new, reactivated, moved_in,
	            moved_out, lost, lost_from_start, at_end, churn_rate, retention_rate
	       FROM churn.churn_summary WHERE relation = 'public.customers'::regclass
	        AND bucket_start < '2026-01-01' ORDER BY 1, 3, 4::text" \
		-c "SELECT bucket_start, channel, reason, lost FROM churn.churn_reasons
	         WHERE relation = 'public.customers'::regclass ORDER BY 1, 2, 3" \
		-c "SELECT * FROM churn.diversion_summary WHERE relation = 'public.customers'::regclass ORDER BY 2, 4, 5"
}

# stored_text DB: every value of public.stored (one of each type of churn's
# that a user keeps in a table), each read from its stored form and output
# as text.
stored_text() {
	DB=$1 q -c "SELECT name, value FROM public.stored_as_text ORDER BY name"
}

# build_source DB [VERSION]: DB created with churn (at VERSION, default the
# current one) and the oracle schema (a
# hash-partitioned customer table when CHURN_CONC_PARTITIONED is set), its
# customer table tracked, written to, refreshed and written to again, so
# that it holds folded summary rows, pending deltas and history; and
# public.stored, a value of each of churn's types that users store
# (lifecycle states, a survival curve, a state_agg, a Cox model, BG/NBD,
# Gamma-Gamma and sBG models fitted to the CDNOW sample; at the current
# version only, as not all of them existed before), with their text at
# the source in public.stored_values.
build_source() {
	DB=$1
	create_test_db "$1" "${2:-}" || { not_ok "create the source database $1"; return 1; }
	load_initial 1 600 >/dev/null || not_ok "initial load of $1"
	out=$(track_customers 2>&1) || not_ok "churn.track on $1: $out"
	workload "$1" 1 600 150 || not_ok "first workload on $1"
	q -c "SELECT churn.refresh()" >/dev/null || not_ok "churn.refresh() on $1"
	workload "$1" 2 5000 150 || not_ok "second workload on $1"
	check_diffs "PostgreSQL $PG_MAJOR, $1"
	check "PostgreSQL $PG_MAJOR, $1: folded rows, pending deltas and history to move" \
		"SELECT summary_rows > 0 AND pending_deltas > 0 AND history_rows > 0 FROM churn.status
		  WHERE relation = 'public.customers'::regclass" "t"
	[ -n "${2:-}" ] && return 0
	{
		q -c "CREATE TABLE public.cdnow (customer int, master_id int, purchased_on date, cds int, dollars numeric(8,2))" &&
			q -c "\\copy public.cdnow FROM '$here/../../sql/data/cdnow_sample.csv' WITH (FORMAT csv, HEADER true)" &&
			q <<'SQL'
CREATE TABLE public.stored AS
WITH d AS (
	SELECT i, (i % 37 + 1)::float8 AS dur, i % 3 <> 0 AS ev,
	       ARRAY[(i % 5)::float8, ((i * 7) % 11)::float8 / 10] AS x,
	       (ARRAY['prospect','new','active','at_risk','dormant','churned','reactivated'])[1 + i % 7]::churn.lifecycle AS state
	  FROM generate_series(1, 300) i),
r AS (SELECT (churn.rfm(purchased_on, dollars, date '1997-10-01', '7 days')).* FROM public.cdnow GROUP BY customer)
SELECT (SELECT array_agg(state ORDER BY i) FROM d) AS states,
       (SELECT churn.survival(dur, ev) FROM d) AS curve,
       (SELECT churn.state_agg(state, timestamptz '2024-01-01 00:00+00' + i * interval '1 day') FROM d) AS state_agg,
       (SELECT churn.coxph(dur, ev, x) FROM d) AS cox,
       (SELECT churn.bgnbd(frequency, recency, age) FROM r) AS bgnbd,
       (SELECT churn.gamma_gamma(frequency, avg_value) FILTER (WHERE frequency > 0) FROM r) AS gamma_gamma,
       (SELECT churn.sbg(1 + i % 8, i % 4 = 0) FROM d) AS sbg;
-- each value as text, read from its stored form
CREATE VIEW public.stored_as_text AS
SELECT k AS name, v AS value FROM public.stored,
       LATERAL (VALUES ('states', states::text), ('curve', curve::text), ('state_agg', state_agg::text),
                       ('cox', cox::text), ('bgnbd', bgnbd::text), ('gamma_gamma', gamma_gamma::text),
                       ('sbg', sbg::text)) t(k, v);
-- and the text each had when it was stored, kept as text
CREATE TABLE public.stored_values AS SELECT * FROM public.stored_as_text;
SQL
	} >/dev/null 2>"$work/stored-$1.err" ||
		{
			not_ok "stored values of churn's types in $1"
			head -3 "$work/stored-$1.err" | sed 's/^/#   /'
		}
	check "PostgreSQL $PG_MAJOR, $1: a value of each of churn's stored types, none NULL" \
		"SELECT count(value) FROM public.stored_values" "7"
}

# moved_source_check HOW DB FROM: the part of moved_check that compares DB
# with what its source held.
moved_source_check() {
	local how=$1 dst=$2 from=$3
	summary_text "$dst" >"$work/$dst.txt" 2>&1
	if cmp -s "${from}summaries.txt" "$work/$dst.txt"; then
		ok "$how: the summaries equal the source's row for row"
	else
		not_ok "$how: the summaries differ from the source's"
		diff "${from}summaries.txt" "$work/$dst.txt" | head -6 | sed 's/^/#   /'
	fi
	check "$how: churn.status shows the source's summary, pending and history rows" \
		"SELECT summary_rows, pending_deltas, history_rows FROM churn.status" "$(cat "${from}status.txt")"
	stored_text "$dst" >"$work/$dst.stored.txt" 2>&1
	# the stored values themselves, not the text kept beside them, are
	# what the copy must have read back
	check "$how: every stored value of churn's types reads back as the text it had" \
		"SELECT count(*) FROM public.stored_as_text a JOIN public.stored_values v USING (name)
		  WHERE a.value = v.value" "7"
	if [ -s "${from}stored.txt" ] && cmp -s "${from}stored.txt" "$work/$dst.stored.txt"; then
		ok "$how: the stored values read back give the source's text"
	else
		not_ok "$how: the stored values' text differs from the source's"
		diff "${from}stored.txt" "$work/$dst.stored.txt" | head -4 | cut -c1-200 | sed 's/^/#   /'
	fi
	check_diffs "$how: moved"
}

# moved_check HOW DB FROM [updated]: DB, a copy of a source database that
# build_source made (under an older PostgreSQL, or this one), whose
# summary_text, churn.status and stored_text that version wrote to
# FROMsummaries.txt, FROMstatus.txt and FROMstored.txt, holds what the
# source held, and its capture keeps going.  With "updated", churn was
# updated since (ALTER EXTENSION churn UPDATE), which folds the pending
# deltas and rebuilds the summary rows: those are compared with the oracle
# only, and the source held no stored values.
moved_check() {
	local how=$1 dst=$2 from=$3 updated=${4:-}
	DB=$dst
	check "$how: churn.verify returns nothing" "SELECT count(*) FROM churn.verify('public.customers')" "0"
	check "$how: the extension is at the current version" \
		"SELECT extversion = (SELECT default_version FROM pg_available_extensions WHERE name = 'churn')
		   FROM pg_extension WHERE extname = 'churn'" "t"
	if [ -n "$updated" ]; then
		check_diffs "$how: moved and updated"
	else
		moved_source_check "$how" "$dst" "$from"
	fi
	keeps_capturing "$how" "$dst"
}

# keeps_capturing HOW DB: a workload through DB's triggers and a refresh
# leave its summaries equal to the oracle and churn.verify empty.
keeps_capturing() {
	local how=$1
	DB=$2
	workload "$DB" 3 9000 150 || not_ok "$how: a workload through the triggers"
	check_diffs "$how: after a workload through the triggers"
	q -c "SELECT churn.refresh()" >/dev/null || not_ok "$how: churn.refresh() after the workload"
	check_diffs "$how: after churn.refresh()"
	check "$how: churn.verify returns nothing after the workload and a refresh" \
		"SELECT count(*) FROM churn.verify('public.customers')" "0"
}

# new_db NAME: an empty database as the restore target
new_db() {
	PGOPTIONS="-c client_min_messages=warning" "$PGBIN/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $1" \
		-c "CREATE DATABASE $1" -c "ALTER DATABASE $1 SET TimeZone = 'UTC'" -c "ALTER DATABASE $1 SET jit = off"
}

# save_source DB DIR/PREFIX: what moved_check compares a copy of DB with.
save_source() {
	summary_text "$1" >"${2}summaries.txt" 2>&1
	DB=$1 q -c "SELECT summary_rows, pending_deltas, history_rows FROM churn.status" >"${2}status.txt"
	stored_text "$1" >"${2}stored.txt" 2>&1
}
