#!/bin/bash
# test/suites/citus.sh: churn on a real Citus cluster, a coordinator and two
# workers on this machine, with Citus built from the source archive in
# ../shared/vendor (printed as skipped when that directory is absent, as in a
# user's clone).
#
# Checks:
#  - every aggregate of schema churn, enumerated from the catalog (one without
#    a call written below fails the suite), over a hash-distributed customer
#    table and a local copy of the same rows on the coordinator:
#    EXPLAIN (VERBOSE) shows partial aggregation pushed to the workers
#    (worker_partial_agg, or worker_binary_partial_agg from Citus 14, in the
#    shard query; coord_combine_agg on the coordinator), grouped by a column
#    that is not the distribution column and ungrouped; and the results equal,
#    as text, those over the local copy (every churn aggregate is exact:
#    integer counts, numeric sums, one final division).
#  - which churn aggregates share a name with an aggregate Citus recognises by
#    name (it ignores the schema), and what happens to them.
#  - aggregates whose transition depends on the session TimeZone, when the
#    coordinator's session and the workers' differ.
#  - churn.track on Citus tables.
# A check of behaviour that is known to be wrong or unhelpful today says
# "CURRENT BEHAVIOUR" and passes while that behaviour lasts; when it changes
# the check fails and says what to update.

set -u
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
failed=0
suite_start=$SECONDS

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; failed=$((failed + 1)); }
info() { echo "# $*"; }
skip() {
	echo "ok - citus # SKIP $*"
	exit 0
}

vendor=$CHURN_ROOT/../shared/vendor
[ -d "$vendor" ] || skip "../shared/vendor not present"

# Citus 13.2 supports PostgreSQL 15-17, 14.0 16-18.  13.2 on 16 and 17, 14.0
# on 18, so that both the text transfer of partial states (13) and the
# binary one (14) are exercised.
case $PG_MAJOR in
15 | 16 | 17) citus_version=13.2.2 ;;
18) citus_version=14.0.1 ;;
*) skip "no Citus archive for PostgreSQL $PG_MAJOR" ;;
esac
citus_version=${CHURN_CITUS_VERSION:-$citus_version}
archive=$vendor/citus-$citus_version.tar.gz
if [ ! -r "$archive" ]; then
	not_ok "Citus archive $archive is missing"
	exit 1
fi

churn_apt_install $CHURN_CITUS_PACKAGES || {
	not_ok "install the packages Citus builds with: $CHURN_CITUS_PACKAGES"
	exit 1
}

# ---------------------------------------------------------------------------
# Build Citus (once per archive, PostgreSQL version and build recipe) and
# install it into the private PostgreSQL of this run.
# ---------------------------------------------------------------------------

# The build recipe is part of the cache key: change it and the cache is
# rebuilt.  Not --without-libcurl: PostgreSQL 18's pg_config.h defines
# HAVE_LIBCURL (for OAuth), so Citus then compiles its curl calls without
# linking libcurl and citus.so fails to load (undefined symbol
# curl_easy_perform).  With libcurl Citus still sends no usage statistics:
# that needs ENABLE_CITUS_STATISTICS_COLLECTION, which configure never
# defines (citus.enable_statistics_collection defaults to off).
citus_configure_flags=""

# build_failure LOG: the errors and the end of a failed build (its compiler
# command lines are kilobytes long), as comments.
build_failure() {
	{
		grep -E -m10 'error|Error|No such file' "$1"
		tail -5 "$1"
	} | cut -c1-300 | sed 's/^/# build: /'
	info "whole log: $1"
}

build_citus() {
	local key dir src start
	key=$(
		{
			sha256sum "$archive" | cut -d' ' -f1
			"$PG_CONFIG" --version
			echo "$citus_configure_flags"
		} | md5sum | cut -c1-12
	)
	dir=$CHURN_TMP/citus-build/citus-$citus_version-pg$PG_MAJOR-$key
	src=$dir/citus-$citus_version
	CITUS_SRC=$src
	if [ -f "$dir/built" ]; then
		info "Citus $citus_version: reusing the build in $dir"
		CITUS_BUILD_SECONDS=cached
	else
		start=$SECONDS
		# builds of this version and PostgreSQL of other keys are stale
		rm -rf "$CHURN_TMP/citus-build/citus-$citus_version-pg$PG_MAJOR-"*
		mkdir -p "$dir"
		tar -C "$dir" -xzf "$archive" || return 1
		# PostgreSQL 15.18 declares have_createdb_privilege() extern; Citus
		# 13.2's compatibility header defines a static inline one for 15, and
		# the build fails.  Where the headers declare it, rename Citus's unused
		# copy so Citus calls PostgreSQL's (../shared/vendor/README.md).
		if grep -q 'have_createdb_privilege' "$("$PG_CONFIG" --includedir-server)/commands/dbcommands.h" 2>/dev/null &&
			grep -q '^have_createdb_privilege(void)$' "$src/src/include/pg_version_compat.h"; then
			sed -i 's/^have_createdb_privilege(void)$/citus_compat_unused(void)/' "$src/src/include/pg_version_compat.h"
		fi
		(cd "$src" && ./configure PG_CONFIG="$PG_CONFIG" $citus_configure_flags) >"$dir/build.log" 2>&1 &&
			make -C "$src" -j2 >>"$dir/build.log" 2>&1 || {
			build_failure "$dir/build.log"
			return 1
		}
		touch "$dir/built"
		CITUS_BUILD_SECONDS="$((SECONDS - start)) s"
		info "Citus $citus_version built in $CITUS_BUILD_SECONDS"
	fi
	# install-extension: the libraries and extension scripts (citus and
	# citus_columnar), not the headers
	make -C "$src" install-extension DESTDIR="$CHURN_INST" >>"$dir/build.log" 2>&1 || {
		build_failure "$dir/build.log"
		return 1
	}
}

if build_citus; then
	ok "Citus $citus_version builds against PostgreSQL $PG_MAJOR and installs into the private copy"
else
	not_ok "build Citus $citus_version against PostgreSQL $PG_MAJOR"
	exit 1
fi

# ---------------------------------------------------------------------------
# The cluster: a coordinator and two workers, reached over their Unix socket
# directories (Citus takes a directory as the node's host: libpq connects to
# the socket in it).
# ---------------------------------------------------------------------------

NODES="coord w1 w2"
declare -A NODE_HOST NODE_PORT NODE_DATA

stop_nodes() {
	local n
	for n in $NODES; do
		[ -n "${NODE_DATA[$n]:-}" ] && [ -d "${NODE_DATA[$n]}" ] &&
			as_owner "$PGBIN/pg_ctl" -D "${NODE_DATA[$n]}" -m fast -w stop >/dev/null 2>&1
	done
}
trap stop_nodes EXIT

start_nodes() {
	local n port=$((${PGPORT:-54320} + 10))
	for n in $NODES; do
		# max_prepared_transactions: Citus commits multi-shard writes with
		# two-phase commit.  timezone: every node's sessions start in UTC,
		# the time zone check below changes the coordinator's session only.
		CHURN_PORT=$port churn_cluster_start "citus_$n" "shared_preload_libraries = 'citus'" \
			"max_prepared_transactions = 100" "timezone = 'UTC'" || return 1
		NODE_HOST[$n]=$PGHOST
		NODE_PORT[$n]=$PGPORT
		NODE_DATA[$n]=$PGDATA
		port=$((PGPORT + 1))
	done
}

# qn NODE psql-args...: psql on that node, unaligned, tuples only.
qn() {
	local n=$1
	shift
	"$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "${NODE_HOST[$n]}" -p "${NODE_PORT[$n]}" -U postgres -d postgres "$@"
}
q() { qn coord "$@"; }
# q_error SQL: the first error line of running SQL on the coordinator, with
# its SQLSTATE ("ERROR:  0A000: ..."); empty when it succeeds.
q_error() {
	q -c '\set VERBOSITY verbose' -c "$1" 2>&1 >/dev/null | grep -m1 '^ERROR:'
}

setup_cluster() {
	local n
	for n in $NODES; do
		qn "$n" -c "CREATE EXTENSION citus" || return 1
	done
	q -c "SELECT citus_set_coordinator_host('${NODE_HOST[coord]}', ${NODE_PORT[coord]})" \
		-c "SELECT citus_add_node('${NODE_HOST[w1]}', ${NODE_PORT[w1]})" \
		-c "SELECT citus_add_node('${NODE_HOST[w2]}', ${NODE_PORT[w2]})" >/dev/null || return 1
	# on the coordinator only: Citus propagates the extension to the workers
	q -c "CREATE EXTENSION churn" || return 1
}

if start_nodes && setup_cluster; then
	ok "a coordinator and two workers run Citus $citus_version, connected over Unix sockets"
else
	not_ok "start the Citus cluster"
	exit 1
fi
check_same() { # DESCRIPTION EXPECTED GOT
	if [ "$3" = "$2" ]; then
		ok "$1"
	else
		not_ok "$1"
		info "expected: $(printf '%s' "$2" | head -c 600)"
		info "got:      $(printf '%s' "$3" | head -c 600)"
	fi
}
# check_queries DESCRIPTION WANT-SQL GOT-SQL: both queries succeed on the
# coordinator, WANT-SQL returns something, and their outputs are equal.
check_queries() {
	local want got
	want=$(q -P null='<NULL>' -c "$2" 2>&1)
	got=$(q -P null='<NULL>' -c "$3" 2>&1)
	if [ -z "$want" ] || grep -q '^ERROR:' <<<"$want$got"; then
		not_ok "$1"
		info "want: $(head -c 300 <<<"$want")"
		info "got:  $(head -c 300 <<<"$got")"
	else
		check_same "$1" "$want" "$got"
	fi
}
churn_version=$(sed -n "s/^default_version = '\(.*\)'$/\1/p" "$CHURN_ROOT/churn.control")
check_same "CREATE EXTENSION churn on the coordinator reaches both workers (version $churn_version)" \
	"$(printf '%s\n%s' "$churn_version" "$churn_version")" \
	"$(q -c "SELECT result FROM run_command_on_workers(\$\$SELECT extversion FROM pg_extension WHERE extname = 'churn'\$\$) ORDER BY nodeport")"
check_same "Citus sees two active workers" "2" "$(q -c "SELECT count(*) FROM citus_get_active_worker_nodes()")"
check_same "Citus sends no usage statistics from the test cluster" "off" "$(q -c "SHOW citus.enable_statistics_collection")"

# ---------------------------------------------------------------------------
# The data: generated customers in a local table, copied into a table
# distributed on the customer id.  6 shards: three per worker, so partial
# states are combined across shards of one worker and across workers.
# ---------------------------------------------------------------------------

load_data() {
	sed "s|CDNOW_CSV|$CHURN_ROOT/sql/data/cdnow_sample.csv|" <<'EOF' | q
SELECT setseed(0.42);
CREATE TABLE cust_local (
	id bigint PRIMARY KEY,
	channel text, segment text, moved_to text,
	since_d date, until_d date, since_ts timestamptz, until_ts timestamptz,
	-- local times without a zone: the instants of since_ts, until_ts in UTC
	since_l timestamp, until_l timestamp,
	score int, converted boolean, arpu_before numeric, arpu_after numeric, revenue numeric,
	tenure float8, tenure_iv interval, exited boolean,
	state churn.lifecycle, state_at timestamptz,
	curve churn.survival_curve, sagg churn.state_agg, lrs churn.logrank_state,
	-- value models: a CDNOW customer's calibration summary (weeks) and a
	-- subscriber of Fader & Hardie's "regular" cohort (periods, churned)
	frequency int, recency float8, age float8, avg_value float8,
	periods int, period_churned boolean);
INSERT INTO cust_local (id, channel, segment, moved_to, since_d, until_d, since_ts, until_ts, since_l, until_l,
                        score, converted, arpu_before, arpu_after, revenue,
                        tenure, tenure_iv, exited, state, state_at)
SELECT id, channel, segment,
       CASE WHEN until_ts IS NOT NULL AND random() < 0.5
            THEN (ARRAY['north','south','east','west','online','phone'])[1 + floor(random() * 6)::int] END,
       (since_ts AT TIME ZONE 'UTC')::date, (until_ts AT TIME ZONE 'UTC')::date, since_ts, until_ts,
       since_ts AT TIME ZONE 'UTC', until_ts AT TIME ZONE 'UTC',
       CASE WHEN random() < 0.05 THEN NULL ELSE floor(random() * 11)::int END,
       CASE WHEN random() < 0.05 THEN NULL ELSE random() < 0.3 END,
       CASE WHEN random() < 0.03 THEN NULL ELSE round((random() * 120)::numeric, 2) END,
       round((random() * 120)::numeric, 2),
       CASE WHEN random() < 0.03 THEN NULL ELSE round((random() * 200)::numeric, 2) END,
       round((random() * 1000)::numeric, 1)::float8,
       make_interval(days => floor(random() * 700)::int, hours => floor(random() * 24)::int),
       random() < 0.3,
       (ARRAY['new','active','at_risk','dormant','churned','reactivated'])[1 + floor(random() * 6)::int]::churn.lifecycle,
       -- a distinct instant per row: a group's timeline never holds two
       -- states at the same instant
       timestamptz '2023-01-01 00:00+00' + id * interval '1 minute'
  FROM (SELECT id, channel, segment, since_ts,
               CASE WHEN since_ts IS NOT NULL AND random() < 0.45
                    THEN since_ts + random() * interval '600 days' END AS until_ts
          FROM (SELECT i AS id,
                       (ARRAY['north','south','east','west','online','phone'])[1 + floor(random() * 6)::int] AS channel,
                       (ARRAY['monthly','annual','prepaid','business'])[1 + floor(random() * 4)::int] AS segment,
                       -- a few rows that are not customers yet
                       CASE WHEN random() < 0.02 THEN NULL
                            ELSE timestamptz '2022-06-01 00:00+00' + random() * interval '900 days' END AS since_ts
                  FROM generate_series(1, 4000) i) a) b;
-- A customer on the edge of a 3-month minimum tenure in America/New_York:
-- since + '3 months' is 2024-01-15 17:00 UTC there (EDT, then EST) but
-- 16:00 UTC in UTC, and the customer left at 16:30 UTC, so it is excluded in
-- New York and kept in UTC (the time zone check below).  As timestamps
-- without time zone it is kept in every zone.
INSERT INTO cust_local (id, channel, segment, since_d, until_d, since_ts, until_ts, since_l, until_l,
                        score, converted, arpu_before, arpu_after, revenue,
                        tenure, tenure_iv, exited, state, state_at)
VALUES (4001, 'north', 'monthly', '2023-10-15', '2024-01-15', '2023-10-15 16:00+00', '2024-01-15 16:30+00',
        '2023-10-15 16:00', '2024-01-15 16:30',
        7, true, 80, 20, 15, 92, '92 days', true, 'churned', '2023-01-01 00:00+00'::timestamptz + 4001 * interval '1 minute');
-- one customer's survival curve and lifecycle timeline per row, for the
-- rollup aggregates
UPDATE cust_local c SET curve = s.curve, sagg = s.sagg, lrs = s.lrs
  FROM (SELECT id, churn.survival(tenure, exited) AS curve,
               churn.logrank_state(tenure, exited, segment) AS lrs,
               (SELECT churn.state_agg(o.s, o.at)
                  FROM (VALUES ('new'::churn.lifecycle, state_at - interval '30 days'), (state, state_at)) o(s, at)) AS sagg
          FROM cust_local GROUP BY id) s
 WHERE s.id = c.id;
-- The value models need data of the kind they model, or their fits have no
-- maximum: customers 1..2357 get the calibration summaries of the CDNOW
-- sample (sql/data/cdnow_sample.csv, the 1/10 sample of Fader, Hardie & Lee
-- 2005, 39 weeks), customers 1..1000 the "regular" cohort of Fader & Hardie
-- 2007 (1000 subscribers, 631 left after period 1, 468 after 2, 382, 326,
-- 289, 262, 241 after 7).
CREATE TEMP TABLE cdnow (customer int, master_id int, purchased_on date, cds int, dollars numeric);
\copy cdnow FROM 'CDNOW_CSV' (FORMAT csv, HEADER)
UPDATE cust_local c SET frequency = r.frequency, recency = r.recency, age = r.age, avg_value = r.avg_value
  FROM (SELECT customer, (churn.rfm(purchased_on, dollars::float8, date '1997-09-30', '7 days')).*
          FROM cdnow GROUP BY customer) r
 WHERE c.id = r.customer;
UPDATE cust_local c SET periods = least(p.k, 7), period_churned = p.k <= 7
  FROM (SELECT n, 1 + (n > 369)::int + (n > 532)::int + (n > 618)::int + (n > 674)::int
                 + (n > 711)::int + (n > 738)::int + (n > 759)::int AS k
          FROM generate_series(1, 1000) n) p
 WHERE c.id = p.n;
CREATE TABLE cust_dist (LIKE cust_local INCLUDING ALL);
SELECT create_distributed_table('cust_dist', 'id', shard_count => 6);
INSERT INTO cust_dist SELECT * FROM cust_local;
EOF
}

if load_data >/dev/null; then
	ok "4,001 customers in a local table and in a table distributed on id (6 shards)"
else
	not_ok "load the customer tables"
	exit 1
fi
table_digest() {
	q -c "SELECT count(*), count(DISTINCT segment), md5(string_agg(t::text, E'\n' ORDER BY id)) FROM $1 t"
}
check_same "the distributed table holds the same rows as the local one" "$(table_digest cust_local)" "$(table_digest cust_dist)"
check_same "the distributed table's shards are spread over both workers" "2" \
	"$(q -c "SELECT count(DISTINCT nodeport) FROM citus_shards WHERE table_name = 'cust_dist'::regclass")"

# ---------------------------------------------------------------------------
# Every aggregate: a call for each, keyed by its signature as regprocedure
# prints it.  The periods cross the data's range, so every count is non-zero.
# ---------------------------------------------------------------------------

declare -A CALL
D="daterange('2024-01-01', '2024-04-01')"
T="tstzrange('2024-01-01 00:00+00', '2024-04-01 00:00+00')"
DY="daterange('2023-01-01', '2025-01-01')"
TY="tstzrange('2023-01-01 00:00+00', '2025-01-01 00:00+00')"
L="tsrange('2024-01-01', '2024-04-01')"
LY="tsrange('2023-01-01', '2025-01-01')"
CALL['churn.churn_rate(date,date,daterange)']="churn.churn_rate(since_d, until_d, $D)"
CALL['churn.churn_rate(date,date,daterange,interval)']="churn.churn_rate(since_d, until_d, $D, '3 months')"
CALL['churn.churn_rate(timestamp with time zone,timestamp with time zone,tstzrange)']="churn.churn_rate(since_ts, until_ts, $T)"
CALL['churn.churn_rate(timestamp with time zone,timestamp with time zone,tstzrange,interval)']="churn.churn_rate(since_ts, until_ts, $T, '3 months')"
CALL['churn.retention_rate(date,date,daterange)']="churn.retention_rate(since_d, until_d, $D)"
CALL['churn.retention_rate(date,date,daterange,interval)']="churn.retention_rate(since_d, until_d, $D, '3 months')"
CALL['churn.retention_rate(timestamp with time zone,timestamp with time zone,tstzrange)']="churn.retention_rate(since_ts, until_ts, $T)"
CALL['churn.retention_rate(timestamp with time zone,timestamp with time zone,tstzrange,interval)']="churn.retention_rate(since_ts, until_ts, $T, '3 months')"
# a moved_to of another type than text takes the "any" overloads
CALL['churn.diversion_rate(date,date,"any",daterange)']="churn.diversion_rate(since_d, until_d, length(moved_to), $D)"
CALL['churn.diversion_rate(timestamp with time zone,timestamp with time zone,"any",tstzrange)']="churn.diversion_rate(since_ts, until_ts, length(moved_to), $T)"
CALL['churn.churn_periods(date,date,daterange,interval)']="churn.churn_periods(since_d, until_d, $DY, '1 month')"
CALL['churn.churn_periods(date,date,daterange,interval,interval)']="churn.churn_periods(since_d, until_d, $DY, '1 month', '3 months')"
CALL['churn.churn_periods(timestamp with time zone,timestamp with time zone,tstzrange,interval)']="churn.churn_periods(since_ts, until_ts, $TY, '1 month')"
CALL['churn.churn_periods(timestamp with time zone,timestamp with time zone,tstzrange,interval,interval)']="churn.churn_periods(since_ts, until_ts, $TY, '1 month', '3 months')"
CALL['churn.diversion_rate(date,date,text,daterange)']="churn.diversion_rate(since_d, until_d, moved_to, $D)"
CALL['churn.diversion_rate(timestamp with time zone,timestamp with time zone,text,tstzrange)']="churn.diversion_rate(since_ts, until_ts, moved_to, $T)"
CALL['churn.diversion_matrix(text,text,date,date,daterange)']="churn.diversion_matrix(channel, moved_to, since_d, until_d, $D)"
CALL['churn.diversion_matrix(text,text,timestamp with time zone,timestamp with time zone,tstzrange)']="churn.diversion_matrix(channel, moved_to, since_ts, until_ts, $T)"
CALL['churn.min(churn.lifecycle)']="churn.min(state)"
CALL['churn.max(churn.lifecycle)']="churn.max(state)"
CALL['churn.nps(smallint)']="churn.nps(score::smallint)"
CALL['churn.nps(integer)']="churn.nps(score)"
CALL['churn.nps(bigint)']="churn.nps(score::bigint)"
CALL['churn.conversion_rate(boolean)']="churn.conversion_rate(converted)"
CALL['churn.value_churn_rate(numeric,numeric,numeric)']="churn.value_churn_rate(arpu_before, arpu_after, 60)"
CALL['churn.arpu(numeric,bigint)']="churn.arpu(revenue, id)"
CALL['churn.arpu(numeric,integer)']="churn.arpu(revenue, id::integer)"
CALL['churn.arpu(numeric,smallint)']="churn.arpu(revenue, id::smallint)"
CALL['churn.arpu(numeric,uuid)']="churn.arpu(revenue, ('00000000-0000-0000-0000-' || lpad(id::text, 12, '0'))::uuid)"
# a customer of another type takes the polymorphic overload
CALL['churn.arpu(numeric,anyelement)']="churn.arpu(revenue, id::numeric)"
CALL['churn.survival(double precision,boolean)']="churn.survival(tenure, exited)"
CALL['churn.survival(numeric,boolean)']="churn.survival(tenure::numeric, exited)"
CALL['churn.survival(interval,boolean)']="churn.survival(tenure_iv, exited)"
CALL['churn.rollup(churn.survival_curve)']="churn.rollup(curve)"
CALL['churn.cohort_retention(date,date,date,interval,interval,integer)']="churn.cohort_retention(since_d, until_d, date '2023-01-01', '1 month', '1 month', 6)"
CALL['churn.cohort_retention(timestamp with time zone,timestamp with time zone,timestamp with time zone,interval,interval,integer)']="churn.cohort_retention(since_ts, until_ts, timestamptz '2023-01-01 00:00+00', '1 month', '1 month', 6)"
# over timestamp without time zone: calendar arithmetic without a zone, so
# none of these is in TZ_DEPENDENT below
CALL['churn.churn_rate(timestamp without time zone,timestamp without time zone,tsrange)']="churn.churn_rate(since_l, until_l, $L)"
CALL['churn.churn_rate(timestamp without time zone,timestamp without time zone,tsrange,interval)']="churn.churn_rate(since_l, until_l, $L, '3 months')"
CALL['churn.retention_rate(timestamp without time zone,timestamp without time zone,tsrange)']="churn.retention_rate(since_l, until_l, $L)"
CALL['churn.retention_rate(timestamp without time zone,timestamp without time zone,tsrange,interval)']="churn.retention_rate(since_l, until_l, $L, '3 months')"
CALL['churn.diversion_rate(timestamp without time zone,timestamp without time zone,"any",tsrange)']="churn.diversion_rate(since_l, until_l, length(moved_to), $L)"
CALL['churn.diversion_rate(timestamp without time zone,timestamp without time zone,text,tsrange)']="churn.diversion_rate(since_l, until_l, moved_to, $L)"
CALL['churn.churn_periods(timestamp without time zone,timestamp without time zone,tsrange,interval)']="churn.churn_periods(since_l, until_l, $LY, '1 month')"
CALL['churn.churn_periods(timestamp without time zone,timestamp without time zone,tsrange,interval,interval)']="churn.churn_periods(since_l, until_l, $LY, '1 month', '3 months')"
CALL['churn.diversion_matrix(text,text,timestamp without time zone,timestamp without time zone,tsrange)']="churn.diversion_matrix(channel, moved_to, since_l, until_l, $L)"
CALL['churn.cohort_retention(timestamp without time zone,timestamp without time zone,timestamp without time zone,interval,interval,integer)']="churn.cohort_retention(since_l, until_l, timestamp '2023-01-01', '1 month', '1 month', 6)"
CALL['churn.state_agg(churn.lifecycle,timestamp with time zone)']="churn.state_agg(state, state_at)"
CALL['churn.rollup(churn.state_agg)']="churn.rollup(sagg)"
CALL['churn.logrank(double precision,boolean,text)']="churn.logrank(tenure, exited, channel)"
CALL['churn.logrank(double precision,boolean,text,double precision)']="churn.logrank(tenure, exited, channel, 1)"
CALL['churn.logrank_state(double precision,boolean,text)']="churn.logrank_state(tenure, exited, channel)"
CALL['churn.logrank_state(double precision,boolean,text,double precision)']="churn.logrank_state(tenure, exited, channel, 0.5)"
CALL['churn.rollup(churn.logrank_state)']="churn.rollup(lrs)"
CALL['churn.coxph(double precision,boolean,double precision[])']="churn.coxph(tenure, exited, ARRAY[score, revenue / 100]::float8[])"
CALL['churn.coxph(double precision,boolean,double precision[],text)']="churn.coxph(tenure, exited, ARRAY[score, revenue / 100]::float8[], 'breslow')"
CALL['churn.coxph(double precision,boolean,double precision[],text,text)']="churn.coxph(tenure, exited, ARRAY[score]::float8[], 'efron', channel)"
# value models: repeat purchases, the last one's time and the age (weeks)
CALL['churn.bgnbd(integer,double precision,double precision)']="churn.bgnbd(frequency, recency, age)"
CALL['churn.gamma_gamma(integer,double precision)']="churn.gamma_gamma(frequency, avg_value)"
CALL['churn.sbg(integer,boolean)']="churn.sbg(periods, period_churned)"
CALL['churn.rfm(date,double precision,date,interval)']="churn.rfm(since_d, revenue::float8, date '2024-06-01', '1 week')"
CALL['churn.rfm(timestamp with time zone,double precision,timestamp with time zone,interval)']="churn.rfm(since_ts, revenue::float8, timestamptz '2024-06-01 00:00+00', '1 week')"

# Aggregates that Citus plans with worker_partial_agg but whose partial
# aggregation fails on the workers, with the error it fails with: Citus's
# worker_partial_agg checks that the types of the arguments equal the
# aggregate's declared argument types, which a polymorphic (anyelement) or
# "any" argument never does.  That is why arpu and diversion_rate have
# overloads over concrete types (checked above like every aggregate); the
# polymorphic ones fail by design, as doc/compatibility.md ("Citus") says, and the
# workaround for them is checked below.
declare -A KNOWN_ERROR
KNOWN_ERROR['churn.arpu(numeric,anyelement)']="worker_partial_agg_sfunc could not confirm type correctness"
KNOWN_ERROR['churn.diversion_rate(date,date,"any",daterange)']="worker_partial_agg_sfunc could not confirm type correctness"
KNOWN_ERROR['churn.diversion_rate(timestamp with time zone,timestamp with time zone,"any",tstzrange)']="worker_partial_agg_sfunc could not confirm type correctness"
KNOWN_ERROR['churn.diversion_rate(timestamp without time zone,timestamp without time zone,"any",tsrange)']="worker_partial_agg_sfunc could not confirm type correctness"

# grouped_sql CALL TABLE / ungrouped_sql CALL TABLE
grouped_sql() { echo "SELECT segment, $1 FROM $2 GROUP BY segment ORDER BY segment"; }
ungrouped_sql() { echo "SELECT $1 FROM $2"; }

# show_diff WANT GOT: where the first differing line of each differs (from
# 60 characters before the first differing character), after its group.
show_diff() {
	awk 'NR == FNR { want[FNR] = $0; n = FNR; next }
	     !done && want[FNR] != $0 {
		done = 1; w = want[FNR]; i = 1
		while (i <= length(w) && substr(w, i, 1) == substr($0, i, 1)) i++
		from = i > 60 ? i - 60 : 1
		split(w, group, "|")
		printf "# line %d (%s), from character %d:\n#   local: %s\n#   Citus: %s\n", FNR, group[1], from,
			substr(w, from, 200), substr($0, from, 200)
	     }
	     END { if (!done && FNR != n) printf "# %d lines over the local table, %d over Citus\n", n, FNR }' \
		<(printf '%s\n' "$1") <(printf '%s\n' "$2")
}

# check_pushdown SIGNATURE CALL: EXPLAIN (VERBOSE) of the grouped and the
# ungrouped query shows the aggregate's partial aggregation in the shard
# query and the combine on the coordinator.
check_pushdown() {
	local sig=$1 call=$2 form sql plan missing=""
	for form in grouped ungrouped; do
		sql=$(${form}_sql "$call" cust_dist)
		plan=$(q -c "EXPLAIN (VERBOSE, COSTS OFF) $sql" 2>&1)
		# the worker query names the aggregate: 'churn.nps(integer)'::regprocedure
		grep -Eq "Query: .*worker_(binary_)?partial_agg\('$(printf '%s' "$sig" | sed 's/[][\.*^$()+?{}|]/\\&/g')'::regprocedure" <<<"$plan" ||
			missing="$missing $form:worker_partial_agg"
		grep -Eq "Output: .*coord_(binary_)?combine_agg\(" <<<"$plan" || missing="$missing $form:coord_combine_agg"
		[ "$form" = grouped ] && PLAN_SAMPLE=$(grep -m1 'Query:' <<<"$plan")
	done
	if [ -z "$missing" ]; then
		ok "$sig: partial aggregation pushed to the workers (grouped by segment and ungrouped)"
		PUSHED="$PUSHED $sig"
		# Citus 14 ships states in binary (send/receive) where the type has them
		if grep -q 'worker_binary_partial_agg(' <<<"$plan"; then
			BINARY_STATES=$((BINARY_STATES + 1))
		else
			TEXT_STATES=$((TEXT_STATES + 1))
		fi
	else
		not_ok "$sig: partial aggregation not pushed down, missing$missing"
		printf '%s\n' "$plan" | head -20 | sed 's/^/#   /'
		NOT_PUSHED="$NOT_PUSHED $sig"
	fi
}

# check_results SIGNATURE CALL: the grouped and the ungrouped results over
# the distributed table equal those over the local table, as text.  The
# local result must have no NULL, so that an aggregate returning NULL
# everywhere cannot pass.
check_results() {
	local sig=$1 call=$2 form sql want got err diffs="" known=${KNOWN_ERROR[$1]:-} errors=""
	for form in grouped ungrouped; do
		want=$(q -P null='<NULL>' -c "$(${form}_sql "$call" cust_local)" 2>&1)
		if [ -z "$want" ] || grep -q '<NULL>\|ERROR' <<<"$want"; then
			diffs="$diffs $form:local-result-empty-null-or-error"
			info "$sig $form over the local table: $(head -c 300 <<<"$want")"
			continue
		fi
		sql=$(${form}_sql "$call" cust_dist)
		got=$(q -P null='<NULL>' -c "$sql" 2>"$CHURN_TMP/citus-q.err")
		err=$(grep -m1 '^ERROR:' "$CHURN_TMP/citus-q.err")
		if [ -n "$err" ]; then
			errors="$errors|$form: ${err#ERROR:  }"
		elif [ "$got" != "$want" ]; then
			diffs="$diffs $form"
			show_diff "$want" "$got"
		fi
	done
	if [ -n "$known" ]; then
		# both forms must fail with the known error, and nothing else
		if [ -z "$diffs" ] && [ "$errors" = "|grouped: $known|ungrouped: $known" ]; then
			ok "$sig: polymorphic, fails on the workers as documented: $known"
			FAILS_ON_CITUS="$FAILS_ON_CITUS $sig"
		elif [ -z "$diffs" ] && [ -z "$errors" ]; then
			not_ok "$sig: now gives the local results on Citus: remove it from KNOWN_ERROR in test/suites/citus.sh and doc/compatibility.md (Citus)"
		else
			not_ok "$sig: expected the known error \"$known\", got:${diffs:+ differences in$diffs}${errors//|/ ; }"
		fi
		return
	fi
	if [ -z "$diffs" ] && [ -z "$errors" ]; then
		ok "$sig: results over the distributed table equal the local ones (grouped by segment and ungrouped)"
	else
		not_ok "$sig: results differ from the local ones:${diffs:+ differences in$diffs}${errors//|/ ; }"
		DIFFERENT="$DIFFERENT $sig"
	fi
}

PUSHED=""
NOT_PUSHED=""
TEXT_STATES=0
BINARY_STATES=0
FAILS_ON_CITUS=""
DIFFERENT=""
mapfile -t SIGNATURES < <(q -c "SELECT p.oid::regprocedure::text
	  FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
	 WHERE p.pronamespace = 'churn'::regnamespace ORDER BY 1")
info "${#SIGNATURES[@]} aggregates in schema churn"
[ "${#SIGNATURES[@]}" -gt 0 ] || not_ok "no aggregate found in schema churn"
for sig in "${SIGNATURES[@]}"; do
	if [ -z "${CALL[$sig]:-}" ]; then
		not_ok "$sig: no call written for this aggregate in test/suites/citus.sh (add one to CALL)"
		continue
	fi
	check_pushdown "$sig" "${CALL[$sig]}"
	check_results "$sig" "${CALL[$sig]}"
done
# a call written for an aggregate that no longer exists is a stale test
for sig in "${!CALL[@]}"; do
	printf '%s\n' "${SIGNATURES[@]}" | grep -Fxq -- "$sig" || not_ok "CALL holds $sig, which is not an aggregate of schema churn"
done
info "example shard query: $(sed 's/^ *//' <<<"$PLAN_SAMPLE")"
info "partial states shipped as text: $TEXT_STATES aggregates, in binary: $BINARY_STATES"

# What the polymorphic overloads leave to users (doc/compatibility.md, "Citus"): an
# aggregate over the rows of a subquery that Citus plans on its own (OFFSET 0
# keeps it from being merged into the outer query) runs on the coordinator
# over rows pulled from the workers, and gives the local results; grouping
# by the distribution column runs the whole aggregate on the shards.
for sig in "${!KNOWN_ERROR[@]}"; do
	[ -n "${CALL[$sig]:-}" ] || continue
	check_queries "$sig: workaround, over a subquery with OFFSET 0 (rows pulled to the coordinator) it gives the local results" \
		"$(grouped_sql "${CALL[$sig]}" cust_local)" \
		"$(grouped_sql "${CALL[$sig]}" "(SELECT * FROM cust_dist OFFSET 0) s")"
done
check_queries "churn.arpu(numeric, anyelement) grouped by the distribution column runs on the shards and gives the local results" \
	"SELECT id, churn.arpu(revenue, id::numeric) FROM cust_local WHERE id % 50 = 0 GROUP BY id ORDER BY id" \
	"SELECT id, churn.arpu(revenue, id::numeric) FROM cust_dist WHERE id % 50 = 0 GROUP BY id ORDER BY id"

# ---------------------------------------------------------------------------
# Names.  Citus recognises some aggregates by name, whatever their schema
# (AggregateNames in its multi_logical_optimizer.h, and the tdigest* ones).
# A user-defined aggregate with a combine function and a state type that is
# not a pseudo-type is planned with worker_partial_agg before the name is
# looked at, so a churn aggregate named like a built-in is handled like any
# other (checked above); but Citus refuses worker_partial_agg for an
# aggregate with ORDER BY among its arguments and then falls back to the name.
# ---------------------------------------------------------------------------

citus_names=$(sed -n '/AggregateNames\[\] = {/,/};/p' "$CITUS_SRC/src/include/distributed/multi_logical_optimizer.h" |
	grep -o '"[a-z_]*"' | tr -d '"' | grep -vx invalid | paste -sd, -)
if [ -z "$citus_names" ]; then
	not_ok "read Citus's list of aggregate names from its source"
else
	info "aggregates Citus recognises by name: $citus_names, tdigest*"
	# The expected list is what churn has today: a new name on it needs the
	# checks below extended to it.
	check_same "the churn aggregates named like a Citus built-in are min and max (of churn.lifecycle)" "max,min" \
		"$(q -c "SELECT string_agg(DISTINCT p.proname, ',' ORDER BY p.proname)
		           FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
		          WHERE p.pronamespace = 'churn'::regnamespace
		            AND (p.proname = ANY (string_to_array('$citus_names', ',')) OR p.proname LIKE 'tdigest%')")"
fi
# With ORDER BY inside, churn.max is planned as Citus's built-in max and fails
# with the error the built-in max fails with on the same table; the same
# aggregate under a name Citus does not know is computed on the coordinator
# over rows pulled from the workers, and so is churn.nps.
err_churn=$(q_error "SELECT segment, churn.max(state ORDER BY id) FROM cust_dist GROUP BY segment")
err_builtin=$(q_error "SELECT segment, max(id ORDER BY id) FROM cust_dist GROUP BY segment")
if [ -n "$err_churn" ] && [ "$err_churn" = "$err_builtin" ]; then
	ok "churn.max(state ORDER BY id): CURRENT BEHAVIOUR, planned as Citus's built-in max, fails like max(id ORDER BY id): ${err_churn#ERROR:  }"
elif [ -z "$err_churn" ]; then
	not_ok "churn.max(state ORDER BY id) no longer fails on Citus: check its result and update test/suites/citus.sh"
else
	not_ok "churn.max(state ORDER BY id) fails otherwise than the built-in max: \"$err_churn\" versus \"$err_builtin\""
fi
q -c "CREATE AGGREGATE public.latest_state(churn.lifecycle) (SFUNC = churn.lifecycle_larger,
	STYPE = churn.lifecycle, COMBINEFUNC = churn.lifecycle_larger, PARALLEL = SAFE)" >/dev/null 2>&1 ||
	not_ok "create public.latest_state, churn.max under another name"
check_queries "the same aggregate as churn.max under another name, with ORDER BY, gives the local churn.max" \
	"SELECT segment, churn.max(state ORDER BY id) FROM cust_local GROUP BY segment ORDER BY segment" \
	"SELECT segment, public.latest_state(state ORDER BY id) FROM cust_dist GROUP BY segment ORDER BY segment"
check_queries "churn.nps(score ORDER BY id) is computed on the coordinator and gives the local results" \
	"SELECT segment, churn.nps(score ORDER BY id) FROM cust_local GROUP BY segment ORDER BY segment" \
	"SELECT segment, churn.nps(score ORDER BY id) FROM cust_dist GROUP BY segment ORDER BY segment"

# ---------------------------------------------------------------------------
# Time zones.  Citus does not pass the session's TimeZone to the workers
# (unless citus.propagate_set_commands = 'local' and it is set with SET
# LOCAL): their sessions keep the server's, UTC here.  Transition functions
# that do calendar arithmetic in the session time zone then compute on the
# workers in another zone than the coordinator and a local query: the steps
# of churn_periods and cohort_retention over timestamptz, and the
# since + min_tenure of the timestamptz rates (customer 4001).  Their states
# record the zone of that arithmetic (doc/compatibility.md, "Citus"), so the coordinator's
# final function refuses the workers' states with an error naming both
# zones and saying how to propagate the zone, never a silently different
# number; propagated as the hint says (SET LOCAL, or ALTER ROLE ... SET
# TimeZone on every node), the results equal the local ones.  Everything
# else must stay equal whatever the zones.
# ---------------------------------------------------------------------------

declare -A TZ_DEPENDENT
for sig in 'churn.churn_periods(timestamp with time zone,timestamp with time zone,tstzrange,interval)' \
	'churn.churn_periods(timestamp with time zone,timestamp with time zone,tstzrange,interval,interval)' \
	'churn.cohort_retention(timestamp with time zone,timestamp with time zone,timestamp with time zone,interval,interval,integer)' \
	'churn.churn_rate(timestamp with time zone,timestamp with time zone,tstzrange,interval)' \
	'churn.retention_rate(timestamp with time zone,timestamp with time zone,tstzrange,interval)' \
	'churn.rfm(timestamp with time zone,double precision,timestamp with time zone,interval)'; do
	TZ_DEPENDENT[$sig]=1
done
TZ=America/New_York
tz_run() { # SQL [propagate]: the output of SQL under TimeZone $TZ on the coordinator
	if [ "${2:-}" = propagate ]; then
		q -P null='<NULL>' -c "SET citus.propagate_set_commands = 'local'" -c "BEGIN" \
			-c "SET LOCAL TimeZone = '$TZ'" -c "$1" -c "COMMIT" 2>&1
	else
		q -P null='<NULL>' -c '\set VERBOSITY default' -c "SET TimeZone = '$TZ'" -c "$1" 2>&1
	fi
}
# the error the coordinator's final function gives for the workers' states
tz_error_re="^ERROR:  [a-z_/]+ state was computed in time zone \"UTC\", not in the session's time zone \"$TZ\"\$"
tz_hint_re="^HINT:  .*SET citus\.propagate_set_commands = 'local' and then SET LOCAL TimeZone inside a transaction, or give every node the same TimeZone with ALTER DATABASE or ALTER ROLE \.\.\. SET TimeZone\.\$"
tz_same=0
for sig in "${SIGNATURES[@]}"; do
	[ -n "${CALL[$sig]:-}" ] && [ -z "${KNOWN_ERROR[$sig]:-}" ] || continue
	want=$(tz_run "$(grouped_sql "${CALL[$sig]}" cust_local)")
	got=$(tz_run "$(grouped_sql "${CALL[$sig]}" cust_dist)")
	if grep -q '^ERROR:' <<<"$want"; then
		not_ok "$sig under TimeZone $TZ over the local table: an error: $(grep -m1 '^ERROR:' <<<"$want")"
	elif [ -n "${TZ_DEPENDENT[$sig]:-}" ]; then
		if grep -Eq "$tz_error_re" <<<"$got" && grep -Eq "$tz_hint_re" <<<"$got" &&
			[ "$(q_error "SET TimeZone = '$TZ'; $(grouped_sql "${CALL[$sig]}" cust_dist)" | cut -c1-13)" = "ERROR:  22023" ]; then
			ok "$sig: with the coordinator's session in $TZ and the workers' in UTC, refused (22023) naming both zones, with the hint: $(grep -m1 '^ERROR:' <<<"$got" | cut -c9-)"
		elif grep -q '^ERROR:' <<<"$got"; then
			not_ok "$sig: with the coordinator's session in $TZ and the workers' in UTC, another error than the time zone's: $(grep -m1 -A2 '^ERROR:' <<<"$got" | tr '\n' ' ')"
		elif [ "$want" != "$got" ]; then
			not_ok "$sig: with the coordinator's session in $TZ and the workers' in UTC, results differ from the local ones without an error"
			show_diff "$want" "$got"
		else
			not_ok "$sig: now equal under a coordinator time zone other than the workers' (does Citus pass TimeZone on?): drop it from TZ_DEPENDENT in test/suites/citus.sh"
		fi
		check_same "$sig: with SET LOCAL TimeZone under citus.propagate_set_commands = 'local' the results equal the local ones" \
			"$(tz_run "$(grouped_sql "${CALL[$sig]}" cust_local)" propagate)" \
			"$(tz_run "$(grouped_sql "${CALL[$sig]}" cust_dist)" propagate)"
	elif [ "$want" = "$got" ]; then
		tz_same=$((tz_same + 1))
	else
		not_ok "$sig: results differ with the coordinator's session in $TZ and the workers' in UTC"
		show_diff "$want" "$got"
	fi
done
check_same "the $tz_same other aggregates give the local results with the coordinator's session in $TZ" \
	"$(( ${#SIGNATURES[@]} - ${#KNOWN_ERROR[@]} - ${#TZ_DEPENDENT[@]} ))" "$tz_same"

# The other way of the hint: the same TimeZone on every node, here by ALTER
# ROLE ... SET TimeZone on the coordinator, which Citus propagates to the
# workers; new sessions (and the workers' sessions they open) start in it.
if q -c "ALTER ROLE postgres SET TimeZone = '$TZ'" >/dev/null 2>&1; then
	check_same "ALTER ROLE postgres SET TimeZone on the coordinator reaches the workers' new sessions" \
		"$(printf '%s\n%s' "$TZ" "$TZ")" \
		"$(q -c "SELECT result FROM run_command_on_workers('SHOW TimeZone') ORDER BY nodeport" 2>&1)"
	for sig in "${!TZ_DEPENDENT[@]}"; do
		check_queries "$sig: with the role's TimeZone $TZ on every node the results equal the local ones" \
			"$(grouped_sql "${CALL[$sig]}" cust_local)" "$(grouped_sql "${CALL[$sig]}" cust_dist)"
	done
	q -c "ALTER ROLE postgres RESET TimeZone" >/dev/null 2>&1 || not_ok "ALTER ROLE postgres RESET TimeZone"
else
	not_ok "ALTER ROLE postgres SET TimeZone = '$TZ' on the coordinator"
fi
check_same "after ALTER ROLE ... RESET TimeZone the workers' new sessions are in UTC again" "$(printf 'UTC\nUTC')" \
	"$(q -c "SELECT result FROM run_command_on_workers('SHOW TimeZone') ORDER BY nodeport" 2>&1)"

# ---------------------------------------------------------------------------
# churn.track on Citus tables.  Citus runs a distributed table's writes on its
# shards, so statement triggers on the coordinator's table never see them:
# track refuses distributed, reference and Citus local tables with an error
# that says so, and a tracked table distributed anyway fails in the shard's
# trigger with a hint to untrack first.
# ---------------------------------------------------------------------------

trk_create() { # NAME: an empty customer table
	q -c "CREATE TABLE $1 (id bigint PRIMARY KEY, branch text, contract text, since timestamptz,
		until timestamptz, reason text, updated_at timestamptz)" >/dev/null
}
trk_fill() { # NAME FIRST LAST
	q -c "INSERT INTO $1 SELECT i, (ARRAY['north','south','online'])[1 + i % 3], (ARRAY['monthly','annual'])[1 + i % 2],
		timestamptz '2024-01-01 00:00+00' + i * interval '9 hours',
		CASE WHEN i % 4 = 0 THEN timestamptz '2024-01-01 00:00+00' + i * interval '9 hours' + (1 + i % 50) * interval '1 day' END,
		CASE WHEN i % 8 = 0 THEN 'price' END, timestamptz '2024-01-01 00:00+00' + i * interval '9 hours'
		FROM generate_series($2, $3) i" >/dev/null
}
trk_track_sql() { # NAME
	echo "SELECT churn.track('public.$1', customer => 'id', since => 'since', until => 'until', channel => 'branch',
		segments => ARRAY['contract'], reason => 'reason', changed_at => 'updated_at', time_zone => 'UTC')"
}
# trk_expect DESCRIPTION ERROR-REGEX SQL: SQL fails with an error matching
# ERROR-REGEX (matched against "ERROR:  SQLSTATE: message").
trk_expect() {
	local err
	err=$(q_error "$3")
	if [ -n "$err" ] && grep -Eq "$2" <<<"$err"; then
		ok "$1: ${err#ERROR:  }"
	elif [ -z "$err" ]; then
		not_ok "$1: succeeds (expected an error matching /$2/)"
	else
		not_ok "$1: expected an error matching /$2/, got: ${err#ERROR:  }"
	fi
}

# A local table on the coordinator: tracked as without Citus.
trk_create trk_local
trk_fill trk_local 1 300 || not_ok "fill trk_local"
if q -c "$(trk_track_sql trk_local)" >/dev/null; then
	trk_fill trk_local 301 400 || not_ok "insert into the tracked local table"
	q -c "UPDATE trk_local SET until = updated_at + interval '20 days', reason = 'service', updated_at = updated_at + interval '20 days' WHERE id % 7 = 0 AND until IS NULL" \
		-c "UPDATE trk_local SET branch = 'south', updated_at = updated_at + interval '10 days' WHERE branch = 'north' AND id % 5 = 0" \
		-c "UPDATE trk_local SET until = NULL, updated_at = until + interval '30 days' WHERE id % 12 = 0" \
		-c "DELETE FROM trk_local WHERE id % 11 = 0" -c "SELECT churn.refresh()" \
		-c "UPDATE trk_local SET contract = 'annual' WHERE id % 13 = 0" >/dev/null ||
		not_ok "writes to the tracked local table"
	check_same "a local table on the Citus coordinator: churn.track, inserts, updates, deletes, refresh; churn.verify is empty" \
		"0" "$(q -c "SELECT count(*) FROM churn.verify('public.trk_local')" 2>&1)"
	check_same "the tracked local table's summaries hold its moves and losses" "t" \
		"$(q -c "SELECT sum(moved_in) > 0 AND sum(lost) > 0 AND sum(reactivated) > 0 FROM churn.churn_summary WHERE relation = 'trk_local'::regclass" 2>&1)"
else
	not_ok "churn.track on a local table of the Citus coordinator"
fi

# Distributed (with rows and empty), reference and Citus local tables.
trk_create trk_dist
q -c "SELECT create_distributed_table('trk_dist', 'id', shard_count => 4)" >/dev/null
trk_fill trk_dist 1 300 || not_ok "fill trk_dist"
trk_expect "churn.track refuses a distributed table with rows" \
	'^ERROR:  0A000: churn cannot track "public.trk_dist": it is a Citus distributed table$' "$(trk_track_sql trk_dist)"
trk_create trk_dist_empty
q -c "SELECT create_distributed_table('trk_dist_empty', 'id', shard_count => 4)" >/dev/null
trk_expect "churn.track refuses an empty distributed table" \
	'^ERROR:  0A000: churn cannot track "public.trk_dist_empty": it is a Citus distributed table$' "$(trk_track_sql trk_dist_empty)"
trk_create trk_ref
q -c "SELECT create_reference_table('trk_ref')" >/dev/null
trk_fill trk_ref 1 50 || not_ok "fill trk_ref"
trk_expect "churn.track refuses a reference table" \
	'^ERROR:  0A000: churn cannot track "public.trk_ref": it is a Citus reference table$' "$(trk_track_sql trk_ref)"
trk_create trk_citus_local
q -c "SELECT citus_add_local_table_to_metadata('trk_citus_local')" >/dev/null
trk_expect "churn.track refuses a Citus local table" \
	'^ERROR:  0A000: churn cannot track "public.trk_citus_local": it is a Citus local table$' "$(trk_track_sql trk_citus_local)"
check_same "the refused track calls leave no configuration and no trigger behind" "0|0" \
	"$(q -c "SELECT (SELECT count(*) FROM churn.tracked_table WHERE relid::text IN ('trk_dist', 'trk_dist_empty', 'trk_ref', 'trk_citus_local')),
	                (SELECT count(*) FROM pg_trigger WHERE tgrelid::regclass::text IN ('trk_dist', 'trk_dist_empty', 'trk_ref', 'trk_citus_local')
	                                                   AND tgname LIKE 'churn%')")"
out=$(q -c '\set VERBOSITY verbose' -c "$(trk_track_sql trk_ref)" 2>&1)
if grep -q "^DETAIL:  Citus writes its rows to shards, where churn's capture triggers do not run.$" <<<"$out" &&
	grep -q "^HINT:  Track a local table on the coordinator" <<<"$out"; then
	ok "the refusal says why (DETAIL) and what to do instead (HINT)"
else
	not_ok "the refusal says why (DETAIL) and what to do instead (HINT): $out"
fi

# A tracked local table distributed afterwards: Citus refuses a table with
# triggers; told to go ahead (citus.enable_unsafe_triggers) it copies the
# triggers onto the shards, where churn's trigger refuses the rows.
trk_create trk_later
trk_fill trk_later 1 100 || not_ok "fill trk_later"
q -c "$(trk_track_sql trk_later)" >/dev/null || not_ok "churn.track on trk_later"
trk_expect "create_distributed_table of a tracked table: refused by Citus" \
	'^ERROR:  [0-9A-Z]{5}: cannot distribute relation "trk_later" because it has triggers$' \
	"SELECT create_distributed_table('trk_later', 'id', shard_count => 4)"
trk_expect "the same with citus.enable_unsafe_triggers = on: refused by churn's trigger on a shard" \
	'^ERROR:  [0-9A-Z]{5}: table "public\.trk_later_[0-9]+" is not tracked by churn$' \
	"SET citus.enable_unsafe_triggers = on; SELECT create_distributed_table('trk_later', 'id', shard_count => 4)"
check_same "trk_later is still a local tracked table with an exact summary" "f|0" \
	"$(q -c "SELECT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = 'trk_later'::regclass),
	                (SELECT count(*) FROM churn.verify('public.trk_later'))" 2>&1)"

info "suite ran in $((SECONDS - suite_start)) s (Citus build: ${CITUS_BUILD_SECONDS:-?})"
[ $failed -eq 0 ]
