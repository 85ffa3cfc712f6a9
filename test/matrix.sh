#!/bin/bash
# test/matrix.sh: run the test suites on a PostgreSQL major version that this
# machine's Debian release does not ship, inside a root filesystem of the
# Debian release that does, built from Debian's own packages by mmdebstrap.
#
#   test/matrix.sh MAJOR [suite ...]
#
# 15 is bookworm's (Debian 12), 17 trixie's (Debian 13), 18 forky's (Debian
# testing).  PostgreSQL 16 is in no Debian release.  The root filesystem is
# kept in $CHURN_MATRIX_DIR (default /var/tmp/churn-matrix) under a name
# derived from the release and the package list, so a second run reuses it
# and a change of the package list builds a new one.  A copy of this tree
# (and ../shared, read-only, when it exists) is mounted into it, and
# test/run.sh runs there for that one version.  Mounts live in a private
# mount namespace, so nothing stays mounted when the run ends or is killed.
#
# Prints the inner run's output; its last line is "N passed, N failed".
# Needs root (mmdebstrap, chroot, mount) and the network to a Debian mirror
# the first time.

set -u
. "$(dirname "$0")/lib.sh"

major=${1:?usage: test/matrix.sh MAJOR [suite ...]}
shift

fail() {
	log "matrix $major: $*"
	echo "0 passed, 1 failed"
	exit 1
}

case $major in
15) codename=bookworm ;;
17) codename=trixie ;;
18) codename=forky ;;
*) fail "no Debian release ships PostgreSQL $major (15: bookworm, 17: trixie, 18: forky)" ;;
esac
[ "$(id -u)" = 0 ] || fail "building and entering a root filesystem needs root"
churn_apt_install mmdebstrap || fail "mmdebstrap is not installed"

# The packages of lib.sh for that version, plus what the Citus suite builds
# with, so nothing needs installing inside.
packages=$(PG_MAJOR=$major bash -c '. "$1"; echo $CHURN_APT_PACKAGES $CHURN_CITUS_PACKAGES' _ "$CHURN_ROOT/test/lib.sh")
aptopts=()
# forky's Release file is past its Valid-Until date between snapshots
[ "$codename" = forky ] && aptopts=(--aptopt='Acquire::Check-Valid-Until "false"')
key=$(printf '%s\n' "$codename" $packages "${aptopts[@]}" | md5sum | cut -c1-10)
matrix_dir=${CHURN_MATRIX_DIR:-/var/tmp/churn-matrix}
root=$matrix_dir/$codename-$key
mkdir -p "$matrix_dir"

# One build at a time per release; a second run waits and reuses it.
exec 8>"$matrix_dir/$codename.lock"
flock 8
if [ ! -x "$root/usr/lib/postgresql/$major/bin/postgres" ]; then
	log "matrix $major: building a $codename root filesystem with mmdebstrap (once; kept in $root)"
	rm -rf "$root.new"
	start=$SECONDS
	mmdebstrap --variant=apt "${aptopts[@]}" --include="$(echo $packages | tr ' ' ',')" \
		"$codename" "$root.new" >"$matrix_dir/$codename-$key.log" 2>&1 ||
		{ tail -20 "$matrix_dir/$codename-$key.log" >&2; rm -rf "$root.new"; fail "mmdebstrap $codename failed"; }
	mv "$root.new" "$root"
	log "matrix $major: root filesystem built in $((SECONDS - start)) s"
fi
touch "$root"
# Root filesystems of other package lists (older trees) unused for a week go.
find "$matrix_dir" -mindepth 1 -maxdepth 1 -type d -name "$codename-*" ! -path "$root" -mtime +7 \
	-exec rm -rf {} + 2>/dev/null
flock -u 8

# A fresh copy of the tree for every run (the build writes into it), named
# after this checkout, so that checkouts can share the root filesystem; a
# second run of the same checkout waits for the first.
inside=/build/$(basename "$CHURN_ROOT")-$(printf %s "$CHURN_ROOT" | md5sum | cut -c1-8)
mkdir -p "$root/build"
exec 9>"$root$inside.lock"
flock 9
rm -rf "$root$inside"
mkdir -p "$root$inside"
chmod 755 "$root/build" "$root$inside"
tar -C "$CHURN_ROOT" --exclude=./.git --exclude=./results --exclude=./output_iso --exclude=./tmp_check \
	--exclude='*.o' --exclude='*.so' --exclude='*.bc' --exclude=./.deps -cf - . |
	tar -C "$root$inside" -xf -
# ../shared of the copy, mounted below when this checkout has one
shared=$(cd "$CHURN_ROOT/.." && pwd)/shared
[ -d "$shared" ] && mkdir -p "$root/build/shared"

# The inner run: the environment is rebuilt from nothing but what the suites
# read (CI, the fuzzing and concurrency knobs), so the host's PATH or
# PG* variables do not leak in.
passenv=()
for v in CI FUZZ_SEED FUZZ_ROUNDS FUZZ_SECONDS CHURN_REGRESS CHURN_CONC_TZ; do
	[ -n "${!v+x}" ] && passenv+=("$v=${!v}")
done
unshare --mount --propagation private -- bash -c '
	set -e
	root=$1 shared=$2 inside=$3 xdump=$4
	shift 4
	mount -t proc proc "$root/proc"
	mount --rbind /dev "$root/dev"
	if [ -n "$xdump" ]; then
		mkdir -p "$root/build/xdump"
		mount --bind "$xdump" "$root/build/xdump"
	fi
	if [ -d "$shared" ]; then
		mount --bind "$shared" "$root/build/shared"
		mount -o remount,bind,ro "$root/build/shared"
	fi
	exec chroot "$root" "$@"
' _ "$root" "$shared" "$inside" "${CHURN_XDUMP_DIR:-}" \
	/usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME=/root LANG=C.UTF-8 \
	"${passenv[@]}" ${CHURN_XDUMP_DIR:+CHURN_XDUMP_DIR=/build/xdump} CHURN_ONE_VERSION=1 PG_MAJOR="$major" \
	bash "$inside/test/run.sh" "$@" </dev/null
rc=$?
rm -rf "$root$inside"
exit $rc
