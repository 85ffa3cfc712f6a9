#!/bin/bash
# test/suites/clock.sh: the pg_regress and isolation suites do not depend on
# the date they run.  Each runs again against a cluster of this suite's own
# whose server believes it is another time (libfaketime, Debian's faketime
# package, preloaded into the postmaster and so into every backend):
#
#   2027-03-15 12:00 UTC   months ahead of any expected output written
#   2029-12-31 23:59:40    a year's last seconds in UTC, so a month and a year
#                          end while the files run (each file's statements
#                          see different months: expected outputs must not
#                          compare the views across statements)
#
# The summary views have a row for every bucket through the current one, so
# a test that printed how many rows they have, or compared a view read in
# one statement with one read in another, fails here.  The clock moves on
# from the time set (FAKETIME "@..."), as a real one does.

set -u
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"

failed=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; failed=1; }

faketime_lib=$(dpkg -L libfaketime 2>/dev/null | grep '/libfaketime\.so\.1$' | head -1)
if [ -z "$faketime_lib" ]; then
	notok "libfaketime is installed (Debian package faketime)"
	exit 1
fi
regress_dir=${REGRESS_DIR:-$CHURN_ROOT}
# the tests' \copy files go to results/ of the directory psql runs in
mkdir -p "$regress_dir/results"
work=$CHURN_TMP/clock
rm -rf "$work"
mkdir -p "$work"
chmod 777 "$work"

# count FILE: "passed failed" of a pg_regress run, in either output form
count() {
	echo "$(grep -Ec '\.\.\. ok( |$)|^ok [0-9]+ ' "$1") $(grep -Eci '\.\.\. failed|^not ok [0-9]+ ' "$1")"
}

# libfaketime 0.9.10 (Debian bookworm) names a shared-memory segment and a
# semaphore after each preloaded process's PID (/dev/shm/faketime_shm_PID,
# sem.faketime_sem_PID) and leaves them behind when the process does not
# end by exit(); a later process of another user given the same PID cannot
# open them (EACCES), and the server does not start.  Those of processes
# that are gone are removed, before each cluster and at the end.
clean_faketime_shm() {
	local f pid
	for f in /dev/shm/sem.faketime_sem_* /dev/shm/faketime_shm_*; do
		[ -e "$f" ] || continue
		pid=${f##*_}
		[ -d "/proc/$pid" ] || rm -f "$f" 2>/dev/null
	done
}
trap clean_faketime_shm EXIT

for when in '2027-03-15 12:00:00' '2029-12-31 23:59:40'; do
	tag=$(echo "$when" | tr -c '0-9\n' '-')
	clean_faketime_shm
	# FAKETIME_DISABLE_SHM: libfaketime 0.9.12 (Debian forky) shares the
	# start of the faked clock between processes through a POSIX semaphore,
	# and pg_ctl was seen to hang on it for good; without it every exec'd
	# process starts the clock afresh (the postmaster at the time set) and
	# forked ones inherit it, which is what this suite needs.  A hang of
	# libfaketime must fail the check, not the whole run: timeout.
	(
		export LD_PRELOAD=$faketime_lib FAKETIME="@$when" FAKETIME_DISABLE_SHM=1 TZ=UTC
		timeout 180 bash -c '. "$1"; churn_cluster_start "$2"' _ "$CHURN_ROOT/test/lib.sh" "clock-$tag"
	) || { notok "start a cluster whose clock says $when"; continue; }
	# churn_cluster_start ran in a subshell: its settings, again
	PGHOST=$CHURN_TMP/clock-$tag
	PGDATA=$PGHOST/data
	PGPORT=$(sed -n 's/^port = //p' "$PGDATA/postgresql.conf" | tail -1)
	export PGHOST PGDATA PGPORT
	server_now=$("$PGBIN/psql" -X -A -t -d postgres -c "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM')")
	if [ "$server_now" = "${when:0:7}" ]; then
		ok "the server's clock says $when UTC"
	else
		notok "the server's clock says $when UTC (it says $server_now)"
	fi

	for kind in regress isolation; do
		out=$work/$kind-$tag
		mkdir -p "$out"
		chmod 777 "$out"
		if [ $kind = regress ]; then
			make -s -C "$regress_dir" PG_CONFIG="$PG_CONFIG" installcheck ISOLATION= \
				REGRESS_OPTS="--inputdir=. --outputdir=$out --encoding=UTF8 --no-locale" >"$out.log" 2>&1
		else
			make -s -C "$regress_dir" PG_CONFIG="$PG_CONFIG" installcheck REGRESS= \
				ISOLATION_OPTS="--inputdir=test --outputdir=$out --encoding=UTF8 --no-locale" >"$out.log" 2>&1
		fi
		read -r p f < <(count "$out.log")
		if [ "$f" = 0 ] && [ "$p" -gt 0 ]; then
			ok "$kind: $p files pass with the server's clock at $when"
		else
			notok "$kind: $f of $((p + f)) files fail with the server's clock at $when"
			[ -f "$out/regression.diffs" ] && head -40 "$out/regression.diffs" | sed 's/^/#   /'
		fi
	done
	churn_cluster_stop
done
[ $failed -eq 0 ]
