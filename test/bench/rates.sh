#!/bin/bash
# test/bench/rates.sh: benchmark of the period aggregates of rates
# (churn_rate, retention_rate, diversion_rate, churn_periods,
# diversion_matrix) against their plain-SQL formulations and a bare count(*),
# on generated customers, all measured in one run on one throw-away cluster.
#
# Usage: bash test/bench/rates.sh [rows]    (default 1000000)
# Env:   REPS (rounds, best of, default 5), CHURN_PORT, BENCH_JIT (on/off, default off),
#        BENCH_SLOW_REPS (best of for the O(rows x steps) SQL, default 1)
#
# Every query runs serially (max_parallel_workers_per_gather = 0), the
# queries run round-robin REPS times and each keeps its best time, and each formulation's result is
# checksummed so that the script also checks they agree.
set -u
. "$(dirname "$0")/../lib.sh"
cd "$CHURN_ROOT"

ROWS=${1:-1000000}
REPS=${REPS:-5}
SLOW_REPS=${BENCH_SLOW_REPS:-1}
JIT=${BENCH_JIT:-off}

CHURN_TMP=${CHURN_TMP:-$CHURN_ROOT/tmp_check}/bench
export CHURN_TMP
churn_deps || exit 1
churn_private_install || exit 1
trap churn_cluster_stop EXIT
churn_cluster_start rates "work_mem = 256MB" "jit = $JIT" "max_parallel_workers_per_gather = 0" || exit 1

psql_q() { as_owner "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d postgres "$@"; }

log "generating $ROWS customers ..."
psql_q <<SQL || exit 1
CREATE EXTENSION churn;
SELECT setseed(0.5);
CREATE TABLE bench_c AS
SELECT i, channel, since, until, moved_to,
       (since + (i % 1440) * interval '1 minute')::timestamptz AS since_tz,
       (until + (i % 1440) * interval '1 minute')::timestamptz AS until_tz
  FROM (SELECT i, 'ch' || (i % 20) AS channel, d AS since,
               CASE WHEN r < 0.4 THEN NULL ELSE d + (random() * 900)::int END AS until,
               CASE WHEN r > 0.7 THEN 'ch' || ((i * 7) % 23) END AS moved_to
          FROM (SELECT i, date '2019-01-01' + (random() * 2000)::int AS d, random() AS r
                  FROM generate_series(1, $ROWS) i) s) t;
VACUUM ANALYZE bench_c;

-- the queries, run round-robin (so that load from elsewhere on the machine
-- hits every formulation alike); each keeps its best time
-- wall: elapsed time; ms: CPU time of this backend (ns on CPU from
-- /proc/self/schedstat), which load from other processes does not inflate
CREATE TABLE bench_result (ord serial, name text, q text, reps int,
                           ms float8 DEFAULT 'Infinity', wall float8 DEFAULT 'Infinity',
                           result text);
CREATE FUNCTION bench_cpu_ns() RETURNS bigint LANGUAGE sql
AS \$\$ SELECT split_part(pg_read_file('/proc/self/schedstat'), ' ', 1)::bigint \$\$;
CREATE PROCEDURE bench_run(rounds int)
LANGUAGE plpgsql AS \$\$
DECLARE
	b record;
	t0 timestamptz;
	c0 bigint;
	res text;
	r int;
BEGIN
	FOR r IN 1..rounds LOOP
		FOR b IN SELECT * FROM bench_result WHERE reps >= r ORDER BY ord LOOP
			c0 := bench_cpu_ns();
			t0 := clock_timestamp();
			EXECUTE b.q INTO res;
			UPDATE bench_result
			   SET wall = least(wall, extract(epoch FROM clock_timestamp() - t0) * 1000),
			       ms = least(ms, (bench_cpu_ns() - c0) / 1e6),
			       result = res
			 WHERE ord = b.ord;
			COMMIT;
		END LOOP;
	END LOOP;
END \$\$;
SQL

# bench NAME REPS QUERY: register a query
bench() {
	psql_q -v name="$1" -v reps="$2" -v q="$3" <<'SQL' || exit 1
INSERT INTO bench_result (name, q, reps) VALUES (:'name', :'q', :reps);
SQL
}

S12="daterange('2022-01-01', '2023-01-01'), '1 month'"
S60="daterange('2019-01-01', '2024-01-01'), '1 month'"
P="daterange('2022-01-01', '2022-04-01')"

bench "count(*) scan" "$REPS" "SELECT count(*) FROM bench_c"

# single-period rates
bench "churn_rate" "$REPS" "SELECT churn.churn_rate(since, until, $P)::text FROM bench_c"
bench "churn_rate SQL" "$REPS" "
SELECT ((count(*) FILTER (WHERE since < '2022-01-01' AND until >= '2022-01-01' AND until < '2022-04-01'))::float8
        / nullif(count(*) FILTER (WHERE since < '2022-01-01' AND (until IS NULL OR until >= '2022-01-01')), 0))::text
  FROM bench_c"
bench "retention_rate" "$REPS" "SELECT churn.retention_rate(since, until, $P)::text FROM bench_c"
bench "retention_rate SQL" "$REPS" "
SELECT ((count(*) FILTER (WHERE since < '2022-04-01' AND (until IS NULL OR until >= '2022-04-01'))
         - count(*) FILTER (WHERE since >= '2022-01-01' AND since < '2022-04-01'))::float8
        / nullif(count(*) FILTER (WHERE since < '2022-01-01' AND (until IS NULL OR until >= '2022-01-01')), 0))::text
  FROM bench_c"
bench "churn_rate tstz" "$REPS" "
SELECT churn.churn_rate(since_tz, until_tz, tstzrange('2022-01-01', '2022-04-01'))::text FROM bench_c"
bench "churn_rate tstz SQL" "$REPS" "
SELECT ((count(*) FILTER (WHERE since_tz < '2022-01-01' AND until_tz >= '2022-01-01' AND until_tz < '2022-04-01'))::float8
        / nullif(count(*) FILTER (WHERE since_tz < '2022-01-01' AND (until_tz IS NULL OR until_tz >= '2022-01-01')), 0))::text
  FROM bench_c"
bench "churn_rate min_tenure" "$REPS" "SELECT churn.churn_rate(since, until, $P, '3 months')::text FROM bench_c"
bench "churn_rate min_tenure SQL" "$REPS" "
SELECT ((count(*) FILTER (WHERE since < '2022-01-01' AND until >= '2022-01-01' AND until < '2022-04-01'))::float8
        / nullif(count(*) FILTER (WHERE since < '2022-01-01' AND (until IS NULL OR until >= '2022-01-01')), 0))::text
  FROM bench_c WHERE until IS NULL OR since + interval '3 months' <= until"
bench "diversion_rate" "$REPS" "SELECT churn.diversion_rate(since, until, moved_to, $P)::text FROM bench_c"
bench "diversion_rate SQL" "$REPS" "
SELECT ((count(*) FILTER (WHERE until >= '2022-01-01' AND until < '2022-04-01' AND moved_to IS NOT NULL))::float8
        / nullif(count(*) FILTER (WHERE since < '2022-04-01' AND (until IS NULL OR until >= '2022-01-01')), 0))::text
  FROM bench_c"

# diversion matrix vs GROUP BY SQL
bench "diversion_matrix" "$REPS" "
SELECT md5(string_agg(format('%s>%s:%s/%s', f.from_channel, f.to_channel, f.moved, f.from_base), ','
                      ORDER BY f.from_channel, f.to_channel))
  FROM unnest((SELECT churn.diversion_matrix(channel, moved_to, since, until, $P) FROM bench_c)) f"
bench "diversion_matrix SQL" "$REPS" "
WITH b AS (SELECT channel, count(*) FILTER (WHERE since < '2022-04-01' AND (until IS NULL OR until >= '2022-01-01')) AS base,
                  count(*) FILTER (WHERE until >= '2022-01-01' AND until < '2022-04-01' AND moved_to IS NOT NULL) AS n
             FROM bench_c GROUP BY channel),
     m AS (SELECT channel, moved_to, count(*) AS moved FROM bench_c
            WHERE until >= '2022-01-01' AND until < '2022-04-01' AND moved_to IS NOT NULL GROUP BY 1, 2)
SELECT md5(string_agg(format('%s>%s:%s/%s', m.channel, m.moved_to, m.moved, b.base), ','
                      ORDER BY m.channel COLLATE \"C\", m.moved_to COLLATE \"C\"))
  FROM m JOIN b USING (channel)"

# series: aggregate, generate_series join, events + window SUM
series() {
	local n=$1 spec=$2 lo=$3 hi=$4 reps_slow=$5
	bench "churn_periods $n steps" "$REPS" "
SELECT md5(string_agg(format('%s:%s,%s,%s,%s,%s', p.period_start, p.at_start, p.new, p.lost, p.new_lost, p.at_end), ';'
                      ORDER BY p.period_start))
  FROM unnest((SELECT churn.churn_periods(since, until, $spec) FROM bench_c)) p"
	bench "churn_periods $n steps generate_series SQL" "$reps_slow" "
WITH steps AS (SELECT s::date AS lo, (s + interval '1 month')::date AS hi
                 FROM generate_series(date '$lo', date '$hi' - interval '1 month', interval '1 month') s),
     q AS (SELECT lo,
                  count(*) FILTER (WHERE since < lo AND (until IS NULL OR until >= lo)) AS at_start,
                  count(*) FILTER (WHERE since >= lo AND since < hi) AS new,
                  count(*) FILTER (WHERE since < lo AND until >= lo AND until < hi) AS lost,
                  count(*) FILTER (WHERE since >= lo AND since < hi AND until < hi) AS new_lost,
                  count(*) FILTER (WHERE since < hi AND (until IS NULL OR until >= hi)) AS at_end
             FROM steps CROSS JOIN bench_c GROUP BY lo)
SELECT md5(string_agg(format('%s:%s,%s,%s,%s,%s', lo, at_start, new, lost, new_lost, at_end), ';' ORDER BY lo)) FROM q"
	bench "churn_periods $n steps events+window SQL" "$REPS" "
WITH b AS (SELECT array_agg(s::date ORDER BY s) AS bounds
             FROM generate_series(date '$lo', date '$hi', interval '1 month') s),
     x AS (SELECT width_bucket(since, b.bounds) - 1 AS i,
                  CASE WHEN until IS NULL THEN $n ELSE width_bucket(until, b.bounds) - 1 END AS j
             FROM bench_c, b),
     ev AS (SELECT k, sum(d_start) AS d_start, sum(nw) AS nw, sum(nl) AS nl, sum(ls) AS ls
              FROM (SELECT i + 1 AS k, 1 AS d_start, 0 AS nw, 0 AS nl, 0 AS ls FROM x WHERE i < $n AND j >= 0
                    UNION ALL SELECT j + 1, -1, 0, 0, 0 FROM x WHERE i < $n AND j >= 0
                    UNION ALL SELECT i, 0, 1, (i = j)::int, 0 FROM x WHERE i >= 0 AND i < $n
                    UNION ALL SELECT j, 0, 0, 0, 1 FROM x WHERE j >= 0 AND j < $n AND i < j) e
             GROUP BY k),
     q AS (SELECT k, sum(coalesce(ev.d_start, 0)) OVER (ORDER BY k) AS at_start,
                  coalesce(ev.nw, 0) AS nw, coalesce(ev.nl, 0) AS nl, coalesce(ev.ls, 0) AS ls
             FROM generate_series(0, $n) k LEFT JOIN ev USING (k)),
     r AS (SELECT k, at_start, nw, ls, nl, lead(at_start) OVER (ORDER BY k) AS at_end FROM q)
SELECT md5(string_agg(format('%s:%s,%s,%s,%s,%s', (date '$lo' + k * interval '1 month')::date, at_start, nw, ls, nl, at_end),
                      ';' ORDER BY k))
  FROM r, b WHERE k < $n"
}
series 12 "$S12" 2022-01-01 2023-01-01 "$SLOW_REPS"
bench "churn_periods tstz 12 steps" "$REPS" "
SELECT md5(string_agg(format('%s:%s,%s,%s,%s,%s', p.period_start, p.at_start, p.new, p.lost, p.new_lost, p.at_end), ';'
                      ORDER BY p.period_start))
  FROM unnest((SELECT churn.churn_periods(since_tz, until_tz, tstzrange('2022-01-01', '2023-01-01'), '1 month') FROM bench_c)) p"
series 60 "$S60" 2019-01-01 2024-01-01 "$SLOW_REPS"

log "running ..."
psql_q -c "CALL bench_run($REPS)" || exit 1
psql_q -P pager=off <<'SQL'
\echo
\echo 'ms: backend CPU time, wall: elapsed, best of n round-robin runs, serial plans'
\echo 'ratio = aggregate CPU time / other CPU time'
SELECT name, round(ms::numeric, 1) AS ms, round(wall::numeric, 1) AS wall,
       round((ms / (SELECT ms FROM bench_result WHERE name = 'count(*) scan'))::numeric, 2) AS x_count_scan
  FROM bench_result ORDER BY ord;
SELECT a.name AS aggregate, s.name AS versus,
       round((a.ms / s.ms)::numeric, 3) AS ratio,
       round((s.ms / a.ms)::numeric, 1) AS speedup,
       a.result = s.result AS same_result
  FROM bench_result a
  JOIN bench_result s ON s.name IN (a.name || ' SQL', a.name || ' generate_series SQL', a.name || ' events+window SQL')
 ORDER BY a.ord, s.ord;
SQL
