#!/bin/bash
# test/lib.sh: shell functions shared by the demo and the test runner.
#
# Everything runs against a private, throw-away PostgreSQL: the Debian
# PostgreSQL binaries of version $PG_MAJOR are copied into tmp_check/inst together with this
# tree's build of churn ("make install DESTDIR=..."), so neither the system's
# PostgreSQL nor its extension directory is touched, and several checkouts can
# test side by side.  PostgreSQL finds its share and lib directories relative
# to its binaries, which is what makes the copy self-contained.

CHURN_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CHURN_ROOT

# The PostgreSQL major version Debian ships in the release this machine runs:
# bookworm 15, trixie 17, forky 18.  The tests of the other versions run in
# root filesystems of those releases (test/matrix.sh).
churn_native_pg_major() {
	local codename=""
	[ -r /etc/os-release ] && codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	case $codename in
	bookworm) echo 15 ;;
	trixie) echo 17 ;;
	forky) echo 18 ;;
	*) # another system: the newest server development package installed
		ls -d /usr/lib/postgresql/*/lib/pgxs 2>/dev/null | sed 's|/usr/lib/postgresql/||; s|/.*||' |
			sort -n | tail -1 | grep . || echo 15 ;;
	esac
}
PG_MAJOR=${PG_MAJOR:-$(churn_native_pg_major)}
export PG_MAJOR
# Debian installs each major version's pg_config beside its server; the
# pg_config on PATH picks the newest development package, which need not be
# the one under test.
PG_CONFIG=/usr/lib/postgresql/$PG_MAJOR/bin/pg_config
export PG_CONFIG
CHURN_APT_PACKAGES="make gcc libc6-dev clang llvm gdb postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR postgresql-$PG_MAJOR-cron python3 locales faketime"
# What the Citus suite builds Citus with (installed only when it runs).
# libicu-dev: PostgreSQL's utils/pg_locale.h, which Citus includes, includes
# ICU's headers (bookworm's server-dev package happens to pull it in, trixie's
# does not).
CHURN_CITUS_PACKAGES="libcurl4-openssl-dev liblz4-dev libzstd-dev libkrb5-dev libicu-dev"

log() { printf '%s\n' "$*" >&2; }

# churn_apt_install PACKAGE...: install those of the Debian packages that
# are missing (as root; otherwise say what is missing and fail).
churn_apt_install() {
	local missing="" p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		log "missing packages:$missing (run as root, or install them)"
		return 1
	fi
	log "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null &&
		apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
		{ log "apt-get install failed"; return 1; }
}

# Install the Debian packages the build and the tests need, when missing.
churn_deps() {
	churn_apt_install $CHURN_APT_PACKAGES || return 1
	# Debian's package starts its own cluster; ours are private, stop it.
	if command -v pg_ctlcluster >/dev/null; then
		pg_ctlcluster "$PG_MAJOR" main stop 2>/dev/null || true
	fi
}

# Build churn and install it into a private copy of PostgreSQL.
churn_private_install() {
	local bindir
	bindir=$("$PG_CONFIG" --bindir) || return 1
	# Outside the checkout: the cluster owner (postgres, when we are root)
	# must reach it even if the checkout sits in a private home directory.
	CHURN_TMP=${CHURN_TMP:-/tmp/churn-check-$(printf %s "$CHURN_ROOT" | md5sum | cut -c1-10)}
	CHURN_INST=$CHURN_TMP/inst
	mkdir -p "$CHURN_TMP"
	chmod 755 "$CHURN_TMP"
	make -s -C "$CHURN_ROOT" PG_CONFIG="$PG_CONFIG" >"$CHURN_TMP/build.log" 2>&1 || { cat "$CHURN_TMP/build.log" >&2; log "build failed"; return 1; }
	rm -rf "$CHURN_INST"
	mkdir -p "$CHURN_INST$(dirname "$("$PG_CONFIG" --pkglibdir)")" \
		"$CHURN_INST$(dirname "$("$PG_CONFIG" --sharedir)")"
	cp -a "$(dirname "$bindir")" "$CHURN_INST$(dirname "$(dirname "$bindir")")/"
	cp -a "$("$PG_CONFIG" --sharedir)" "$CHURN_INST$(dirname "$("$PG_CONFIG" --sharedir)")/"
	make -s -C "$CHURN_ROOT" PG_CONFIG="$PG_CONFIG" install DESTDIR="$CHURN_INST" >>"$CHURN_TMP/build.log" 2>&1 || { cat "$CHURN_TMP/build.log" >&2; log "install failed"; return 1; }
	PGBIN=$CHURN_INST$bindir
	export PGBIN CHURN_TMP CHURN_INST
}

# Run a command as the cluster owner: postgres when we are root.
as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

churn_free_port() {
	local p=${1:-54320}
	while (echo >/dev/tcp/127.0.0.1/$p) 2>/dev/null || [ -e "/tmp/.s.PGSQL.$p" ]; do
		p=$((p + 1))
	done
	echo $p
}

# churn_cluster_start NAME [extra postgresql.conf lines...]
# Starts a throw-away cluster in $CHURN_TMP/NAME and exports PGHOST, PGPORT,
# PGUSER and PGDATA for it.
churn_cluster_start() {
	local name=$1 dir
	shift
	dir=$CHURN_TMP/$name
	as_owner true 2>/dev/null || true
	rm -rf "$dir"
	mkdir -p "$dir"
	[ "$(id -u)" = 0 ] && chown postgres: "$dir"
	PGPORT=$(churn_free_port "${CHURN_PORT:-54320}")
	PGHOST=$dir
	PGUSER=postgres
	PGDATA=$dir/data
	export PGPORT PGHOST PGUSER PGDATA
	unset PGDATABASE PGSERVICE PGPASSWORD
	as_owner "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; return 1; }
	{
		echo "port = $PGPORT"
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$dir'"
		echo "fsync = off"
		echo "synchronous_commit = off"
		echo "full_page_writes = off"
		echo "shared_buffers = 256MB"
		echo "max_connections = 60"
		echo "max_worker_processes = 16"
		echo "max_prepared_transactions = 4"
		echo "log_min_messages = warning"
		echo "log_line_prefix = '%m [%p] '"
		for line in "$@"; do echo "$line"; done
	} | as_owner tee -a "$PGDATA/postgresql.conf" >/dev/null
	as_owner "$PGBIN/pg_ctl" -D "$PGDATA" -l "$dir/server.log" -w -t 60 start >/dev/null ||
		{ cat "$dir/server.log" >&2; return 1; }
}

churn_cluster_stop() {
	[ -n "${PGDATA:-}" ] && [ -d "$PGDATA" ] &&
		as_owner "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1
	return 0
}
