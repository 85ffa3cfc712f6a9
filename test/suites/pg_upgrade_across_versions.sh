#!/bin/bash
# test/suites/pg_upgrade_across_versions.sh: a cluster holding tracked
# databases, upgraded in place by pg_upgrade from one PostgreSQL major
# version to a later one (what Debian's pg_upgradecluster -m upgrade and
# most DBAs do), keeps its summaries exact and capturing, and every value
# of churn's types stored in a table reads back the same.
#
# test/run.sh runs the versions in order (15, 17, 18) and gives every run
# the same directory, CHURN_XDUMP_DIR.  Each version leaves there a stopped
# cluster of three databases that build_source (summary_move.bash) made,
# one with a plain and one with a hash-partitioned customer table, and one
# with churn at its first release (1.0), each holding folded summary rows,
# pending deltas and history, the first two also stored values;
# beside it, the version's private installation (PostgreSQL with churn) and
# the shared libraries its programs and modules load, except the C
# library's own.  A later version runs in another Debian release's root
# filesystem (test/matrix.sh), whose ICU, OpenSSL or LDAP libraries are not
# the ones the older programs were built with; wrappers start the older
# programs with the dynamic loader pointed at the libraries that came with
# them, and the newer C library runs them as it runs any older program.
#
# Then the version upgrades a copy of every older version's cluster with
# its own pg_upgrade (--check first, then the upgrade) into a cluster its
# own initdb made, each pair in another of pg_upgrade's transfer modes
# (15 -> 17 copies the files, 15 -> 18 hard-links them, 17 -> 18 moves the
# old directories in with --swap, new in 18), starts it, and requires for
# each database: churn at the current version, churn.verify empty, the
# summaries equal the source's row for row and the plain-SQL oracle (summary_oracle.sql),
# churn.status the source's, the stored values read back as they were, and
# a further workload through the upgraded triggers and a refresh exact.
# The database at churn's first release is updated with the
# update_extensions.sql pg_upgrade writes, which folds its pending deltas
# and rebuilds its summary rows: it is held to the oracle and verify only.
# Each older version also leaves a cluster without churn, the control,
# which goes first: when it does not upgrade, the failure is PostgreSQL's
# and the suite fails without testing churn's clusters; the one known case,
# a column option (pg_attver) of newer minor releases that the later major
# version refuses, is taken out of the copies first (strip_attver).  A run
# of one version alone finds no older cluster and says so.

set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
work=$CHURN_TMP/pg_upgrade_across
rm -rf "$work"
mkdir -p "$work"
chmod 755 "$work"
failed=0
SEED=9
. "$here/summary_lib.bash"

if [ -z "${CHURN_XDUMP_DIR:-}" ] || [ ! -d "$CHURN_XDUMP_DIR" ]; then
	ok "pg_upgrade across versions # SKIP test/run.sh gives no CHURN_XDUMP_DIR"
	exit 0
fi
. "$here/summary_move.bash"

# A third database holds churn at its first release: PostgreSQL upgraded
# first, churn after (ALTER EXTENSION churn UPDATE on the new server).
current=$(sed -n "s/^default_version = '\(.*\)'$/\1/p" "$CHURN_ROOT/churn.control")
first=$(cd "$CHURN_ROOT" && ls churn--*.sql | sed -n 's/^churn--\([^-]*\)\.sql$/\1/p' | sort -V | head -1)
DBS=(churn_upgrade_plain churn_upgrade_part)
[ "$first" != "$current" ] && DBS+=("churn_upgrade_from_$(echo "$first" | tr . _)")
trap churn_cluster_stop EXIT

# copy_libs INSTALL DIR: into DIR, the shared libraries that the programs
# and modules of the private installation INSTALL load, other than the C
# library's (libc, libm, the loader...), which a later release replaces
# compatibly.  llvmjit.so is left out (its LLVM alone is 100 MB; the
# clusters run with jit off).
copy_libs() {
	local f
	for f in "$1"/usr/lib/postgresql/*/bin/* "$1"/usr/lib/postgresql/*/lib/*.so; do
		case $f in */llvmjit*.so) continue ;; esac
		ldd "$f" 2>/dev/null
	done | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u |
		grep -Ev '/(libc|libm|libdl|libpthread|librt|libresolv|libutil|libanl|libmvec)\.so\.' |
		xargs -r cp -L -t "$2"
}

# This version's cluster, for the versions after it.
mine=$CHURN_XDUMP_DIR/cluster-$PG_MAJOR
rm -rf "$mine"
mkdir -p "$mine/lib"
if churn_cluster_start upgrade_source 'jit = off'; then
	for db in "${DBS[@]}"; do
		unset CHURN_CONC_PARTITIONED
		version=
		case $db in
		*_part) export CHURN_CONC_PARTITIONED=1 ;;
		*_from_*) version=$first ;;
		esac
		build_source "$db" $version && save_source "$db" "$mine/$db."
	done
	unset CHURN_CONC_PARTITIONED
	churn_cluster_stop
	cp -a "$PGDATA" "$mine/data"
	# the control: a cluster of the same version without churn
	if churn_cluster_start upgrade_control 'jit = off'; then
		DB=postgres q -c "CREATE TABLE public.plain (id bigint PRIMARY KEY, since timestamptz NOT NULL, note text)" \
			-c "INSERT INTO public.plain SELECT i, timestamptz '2024-01-01 00:00+00' + i * interval '1 hour', 'n' || i
			      FROM generate_series(1, 1000) i" >/dev/null
		control=$?
		churn_cluster_stop
		[ $control -eq 0 ] && cp -a "$PGDATA" "$mine/control"
	fi
	if [ -d "$mine/data" ] && [ -d "$mine/control" ] && cp -a "$CHURN_INST" "$mine/inst" &&
		copy_libs "$CHURN_INST" "$mine/lib"; then
		ok "PostgreSQL $PG_MAJOR: a stopped cluster of ${#DBS[@]} tracked databases, its installation and" \
			"$(ls "$mine/lib" | wc -l) libraries left for the later versions"
	else
		not_ok "PostgreSQL $PG_MAJOR: copy the stopped cluster and its installation"
		rm -rf "$mine"
	fi
	unset PGDATA
	rm -rf "$CHURN_TMP/upgrade_source" "$CHURN_TMP/upgrade_control"
else
	not_ok "PostgreSQL $PG_MAJOR: start the source cluster"
	rm -rf "$mine"
fi

# PostgreSQL 18's initdb turns data checksums on, and pg_upgrade wants them
# as the old cluster has them (off, as initdb made them before 18).
checksums=()
"$PGBIN/initdb" --help | grep -q -- --no-data-checksums && checksums=(--no-data-checksums)

# pg_upgrade_copy OLD_DATA DIR: initdb a cluster of this version in DIR/new
# and pg_upgrade a copy of OLD_DATA (DIR/old) into it with the older
# programs in DIR/bin (--check first, then the upgrade, in $mode);
# pg_upgrade's output goes to DIR/check.out and DIR/upgrade.out.
pg_upgrade_copy() {
	local data=$1 dir=$2 p_old p_new
	rm -rf "$dir/old" "$dir/new" "$dir/check.out" "$dir/upgrade.out" "$dir/strip.log"
	cp -a "$data" "$dir/old"
	[ "$(id -u)" = 0 ] && chown -R postgres: "$dir"
	as_owner "$PGBIN/initdb" -D "$dir/new" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 "${checksums[@]}" \
		>"$dir/initdb.log" 2>&1 || { echo "initdb of the new cluster failed" >"$dir/upgrade.out"; return 1; }
	if [ -n "$strip" ] && ! strip_attver "$dir"; then
		echo "could not remove pg_attver from the old cluster's columns: $(tail -2 "$dir/strip.log")" >"$dir/upgrade.out"
		return 1
	fi
	p_old=$(churn_free_port 50432)
	p_new=$(churn_free_port $((p_old + 1)))
	run_pg_upgrade "$dir" "$p_old" "$p_new" --check >"$dir/check.out" 2>&1 &&
		run_pg_upgrade "$dir" "$p_old" "$p_new" >"$dir/upgrade.out" 2>&1
}

# run_pg_upgrade DIR OLD_PORT NEW_PORT [OPTION...]: this version's pg_upgrade
# of DIR/old into DIR/new in $mode, the older programs from $up/bin,
# its sockets and output in DIR
run_pg_upgrade() {
	local dir=$1 p_old=$2 p_new=$3
	shift 3
	(cd "$dir" && as_owner "$PGBIN/pg_upgrade" -b "$up/bin" -B "$PGBIN" -d "$dir/old" -D "$dir/new" \
		-U postgres -p "$p_old" -P "$p_new" -s "$dir" "$mode" "$@")
}

# strip_attver DIR: remove from the columns of every database of the cluster
# in DIR/old the option pg_attver, which PostgreSQL 15.20 and 17.12 give
# every column and 18.6 does not know: 18.6's pg_dump copies it into
# ALTER TABLE ... SET (pg_attver=...), which 18.6 refuses, and no cluster
# of those versions upgrades to it (the control cluster without churn shows
# it).  Without the option the catalogs are those of the releases before.
strip_attver() {
	local dir=$1 port db dbs rc=0
	port=$(churn_free_port 50432)
	as_owner "$up/bin/pg_ctl" -D "$dir/old" -l "$dir/strip.log" -w -t 60 \
		-o "-p $port -c listen_addresses='' -c unix_socket_directories='$dir'" start >/dev/null || return 1
	dbs=$(as_owner "$PGBIN/psql" -X -A -t -h "$dir" -p "$port" -d postgres \
		-c "SELECT datname FROM pg_database WHERE datallowconn" 2>>"$dir/strip.log")
	[ -n "$dbs" ] || rc=1
	for db in $dbs; do
		as_owner "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -d "$db" \
			-c "UPDATE pg_catalog.pg_attribute
			       SET attoptions = nullif(ARRAY(SELECT o FROM unnest(attoptions) o WHERE o NOT LIKE 'pg_attver=%'), '{}')
			     WHERE attoptions::text LIKE '%pg_attver=%'" >/dev/null 2>>"$dir/strip.log" || { rc=1; break; }
	done
	as_owner "$up/bin/pg_ctl" -D "$dir/old" -m fast -w stop >/dev/null || rc=1
	return $rc
}

# why_not DIR: the lines that say why pg_upgrade_copy failed in DIR
why_not() {
	grep -hv '^ *$' "$1/check.out" "$1/upgrade.out" 2>/dev/null | tail -6
	find "$1/new" -path '*pg_upgrade_output.d*' -name '*.log' -exec grep -h 'ERROR:' {} + 2>/dev/null | head -3
}

upgraded=0
for from in "$CHURN_XDUMP_DIR"/cluster-*; do
	[ -d "$from/data" ] || continue
	old=${from##*/cluster-}
	[ "$old" -lt "$PG_MAJOR" ] || continue
	upgraded=$((upgraded + 1))
	case $old-$PG_MAJOR in
	15-18) mode=--link ;;
	17-18) mode=--swap ;;
	*) mode=--copy ;;
	esac
	"$PGBIN/pg_upgrade" --help | grep -q -- "$mode" || mode=--link
	how="$old -> $PG_MAJOR, pg_upgrade $mode"
	up=$work/from-$old
	mkdir -p "$up/bin" "$up/control"
	# The older programs, each through a wrapper that gives the loader their
	# libraries; pg_ctl finds postgres beside itself and passes the
	# environment on.
	for prog in "$from/inst/usr/lib/postgresql/$old/bin"/*; do
		printf '#!/bin/sh\nLD_LIBRARY_PATH=%q exec %q "$@"\n' "$from/lib" "$prog" >"$up/bin/${prog##*/}"
		chmod 755 "$up/bin/${prog##*/}"
	done
	[ "$(id -u)" = 0 ] && chown -R postgres: "$up"
	versions="$(as_owner "$up/bin/postgres" -V 2>&1 | head -1) to $("$PGBIN/postgres" -V)"
	if ! as_owner "$up/bin/postgres" -V | grep -q "PostgreSQL) $old\."; then
		not_ok "$how: PostgreSQL $old's server does not run here: $(as_owner "$up/bin/postgres" -V 2>&1 | head -2)"
		continue
	fi
	# First the control, a cluster without churn: where it fails, the
	# failure is PostgreSQL's (or this suite's), not churn's.
	strip=
	pg_upgrade_copy "$from/control" "$up/control"
	control=$?
	if [ $control -ne 0 ] && why_not "$up/control" | grep -q 'unrecognized parameter "pg_attver"'; then
		info "$how: from $versions, the control cluster without churn does not upgrade:"
		why_not "$up/control" | tail -1 | sed 's/^/#   /'
		info "$how: so the option pg_attver is removed from the columns of each cluster first"
		strip=1
		pg_upgrade_copy "$from/control" "$up/control"
		control=$?
	fi
	if [ $control -eq 0 ]; then
		info "$how: from $versions; the control cluster without churn upgrades${strip:+ without pg_attver}"
	else
		# README says a cluster with churn upgrades; here none would
		not_ok "$how: pg_upgrade from $versions fails here for a cluster without churn too:" \
			"$(why_not "$up/control" | tail -1)"
		why_not "$up/control" | sed 's/^/#   /'
		continue
	fi
	if pg_upgrade_copy "$from/data" "$up"; then
		ok "$how: pg_upgrade --check finds the clusters compatible, and pg_upgrade upgrades the cluster"
	else
		not_ok "$how: pg_upgrade failed where the control cluster without churn upgrades"
		why_not "$up" | sed 's/^/#   /'
		continue
	fi
	PGDATA=$up/new
	PGHOST=$up
	PGPORT=$(churn_free_port 50432)
	export PGDATA PGHOST PGPORT
	printf '%s\n' "port = $PGPORT" "listen_addresses = ''" "unix_socket_directories = '$up'" "fsync = off" \
		"synchronous_commit = off" "jit = off" | as_owner tee -a "$PGDATA/postgresql.conf" >/dev/null
	if ! as_owner "$PGBIN/pg_ctl" -D "$PGDATA" -l "$up/server.log" -w -t 60 start >/dev/null; then
		not_ok "$how: start the upgraded cluster"
		tail -5 "$up/server.log" | sed 's/^/#   /'
		unset PGDATA
		continue
	fi
	# what pg_upgrade tells the DBA to run next
	as_owner "$PGBIN/vacuumdb" --all --analyze-only -q >/dev/null 2>&1 || not_ok "$how: vacuumdb --analyze-only"
	for db in "${DBS[@]}"; do
		if [[ $db == *_from_* ]]; then
			DB=$db check "$how, $db: churn is still at $first on the new server" \
				"SELECT extversion FROM pg_extension WHERE extname = 'churn'" "$first"
			# pg_upgrade writes the updates due into update_extensions.sql,
			# for the DBA to run
			if grep -qx 'ALTER EXTENSION "churn" UPDATE;' "$up/update_extensions.sql" 2>/dev/null &&
				grep -qx "\\\\connect $db" "$up/update_extensions.sql"; then
				ok "$how, $db: pg_upgrade's update_extensions.sql updates churn there"
			else
				not_ok "$how, $db: pg_upgrade's update_extensions.sql does not update churn there"
				sed 's/^/#   /' "$up/update_extensions.sql" 2>&1 | head -5
			fi
			out=$(DB=postgres q -f "$up/update_extensions.sql" 2>&1)
			[ -z "$out" ] && ok "$how, $db: update_extensions.sql run on the new server, without a notice" ||
				not_ok "$how, $db: update_extensions.sql: $out"
			moved_check "$how, $db" "$db" "$from/$db." updated
		else
			moved_check "$how, $db" "$db" "$from/$db."
		fi
	done
	churn_cluster_stop
	unset PGDATA
	[ $failed -eq 0 ] && rm -rf "$up"
done
[ $upgraded -gt 0 ] || ok "no cluster of an older PostgreSQL in this run to upgrade to $PG_MAJOR # SKIP (run test/run.sh with older versions first)"
[ $failed -eq 0 ]
