#!/bin/bash
# test/run.sh: README command 2.  Installs what the tests need, builds churn,
# runs every suite against throw-away clusters on every supported PostgreSQL
# major version and ends with the line "N passed, N failed" summed over all
# suites and versions.  Exits non-zero on any failure.
#
# Versions: CHURN_PG_VERSIONS (default "15 17 18"), oldest first: a version's
# run restores the dumps the older ones left (dump_across_versions) and
# upgrades their clusters (pg_upgrade_across_versions).  The
# version this machine's Debian release ships (15 on bookworm) runs here; the
# others run in a root filesystem of the Debian release that ships them
# (test/matrix.sh).
#
# Suites, per version:
#   regress    pg_regress over sql/*.sql (make installcheck)
#   isolation  pg_isolation_regress over test/specs/*.spec
#   test/suites/*.sh   scripts for what pg_regress cannot express; each prints
#              "ok - what" or "not ok - what" per check (TAP style) and exits
#              non-zero when something failed.
#
# Usage: test/run.sh [suite-name ...]   (no argument: all of them)

set -u
. "$(dirname "$0")/lib.sh"
cd "$CHURN_ROOT"

if [ -z "${CHURN_ONE_VERSION:-}" ]; then
	total_p=0
	total_f=0
	summary=""
	# Dumps and clusters each version leaves for the later ones
	# (dump_across_versions, pg_upgrade_across_versions).
	CHURN_XDUMP_DIR=${CHURN_MATRIX_DIR:-/var/tmp/churn-matrix}/xdump-$(printf %s "$CHURN_ROOT" | md5sum | cut -c1-8)
	rm -rf "$CHURN_XDUMP_DIR"
	mkdir -p "$CHURN_XDUMP_DIR"
	export CHURN_XDUMP_DIR
	for v in ${CHURN_PG_VERSIONS:-15 17 18}; do
		log "==== PostgreSQL $v"
		start=$SECONDS
		if [ "$v" = "$(churn_native_pg_major)" ]; then
			last=$(CHURN_ONE_VERSION=1 PG_MAJOR=$v bash "$0" "$@" | tail -n 1)
		else
			last=$(bash "$CHURN_ROOT/test/matrix.sh" "$v" "$@" | tail -n 1)
		fi
		if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
			p=${BASH_REMATCH[1]}
			f=${BASH_REMATCH[2]}
		else
			p=0
			f=1
			log "PostgreSQL $v: the run ended without a result line"
		fi
		total_p=$((total_p + p))
		total_f=$((total_f + f))
		summary="$summary  PostgreSQL $v: $p passed, $f failed ($((SECONDS - start)) s)\n"
	done
	rm -rf "$CHURN_XDUMP_DIR"
	printf "$summary" >&2
	echo "$total_p passed, $total_f failed"
	[ "$total_f" -eq 0 ]
	exit
fi

passed=0
failed=0
only=("$@")

want() {
	[ ${#only[@]} -eq 0 ] && return 0
	local s
	for s in "${only[@]}"; do [ "$s" = "$1" ] && return 0; done
	return 1
}

count_pg_regress() {
	# pg_regress prints one line per test: up to PostgreSQL 15 ending in
	# "... ok" or "... FAILED", from 16 on in TAP form, "ok 3 - name" or
	# "not ok 3 - name" ("failed (ignored)" and "# (ignored)" count as
	# failures too: we ignore nothing).
	local out=$1 p f
	p=$(grep -Ec '\.\.\. ok( |$)|^ok [0-9]+ ' "$out")
	f=$(grep -Eci '\.\.\. failed|^not ok [0-9]+ ' "$out")
	passed=$((passed + p))
	failed=$((failed + f))
	log "  $p passed, $f failed ($((SECONDS - suite_start)) s)"
}

churn_deps || { echo "0 passed, 1 failed"; exit 1; }
# Runs of one checkout share their private install and clusters: a second
# one waits for the first instead of pulling them from under it.
CHURN_TMP=${CHURN_TMP:-/tmp/churn-check-$(printf %s "$CHURN_ROOT" | md5sum | cut -c1-10)}
exec 7>"$CHURN_TMP.lock"
flock -n 7 || { log "another test run of this checkout is in progress: waiting for it"; flock 7; }
churn_private_install || { echo "0 passed, 1 failed"; exit 1; }
trap churn_cluster_stop EXIT
churn_cluster_start main || { echo "0 passed, 1 failed"; exit 1; }

# pg_regress tests read fixtures (sql/data) and files they wrote under
# results/ through the server, which runs as postgres.  When the checkout
# sits where postgres cannot read it (a root-only home directory), run
# pg_regress from a copy of the tree that it can read.
REGRESS_DIR=$CHURN_ROOT
export REGRESS_DIR
if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -r "$CHURN_ROOT/sql/setup.sql" 2>/dev/null; then
	REGRESS_DIR=$CHURN_TMP/tree
	rm -rf "$REGRESS_DIR"
	mkdir -p "$REGRESS_DIR"
	tar -C "$CHURN_ROOT" --exclude=./results --exclude=./output_iso --exclude=./.git -cf - . | tar -C "$REGRESS_DIR" -xf -
	log "postgres cannot read $CHURN_ROOT: pg_regress runs from a copy in $REGRESS_DIR"
fi

if want regress; then
	log "== regress"
	suite_start=$SECONDS
	rm -rf "$REGRESS_DIR/results" "$REGRESS_DIR/regression.diffs" "$REGRESS_DIR/regression.out"
	make -s -C "$REGRESS_DIR" PG_CONFIG="$PG_CONFIG" installcheck ISOLATION= ${CHURN_REGRESS:+REGRESS="$CHURN_REGRESS"} >"$CHURN_TMP/regress.out" 2>&1
	rc=$?
	cat "$CHURN_TMP/regress.out" >&2
	count_pg_regress "$CHURN_TMP/regress.out"
	[ $rc -ne 0 ] && ! grep -Eqi '\.\.\. failed|^not ok [0-9]+ ' "$CHURN_TMP/regress.out" && failed=$((failed + 1))
	[ -f "$REGRESS_DIR/regression.diffs" ] && head -c 20000 "$REGRESS_DIR/regression.diffs" >&2
fi

if want isolation && ls test/specs/*.spec >/dev/null 2>&1; then
	log "== isolation"
	suite_start=$SECONDS
	rm -rf "$REGRESS_DIR/output_iso"
	make -s -C "$REGRESS_DIR" PG_CONFIG="$PG_CONFIG" installcheck REGRESS= >"$CHURN_TMP/isolation.out" 2>&1
	rc=$?
	cat "$CHURN_TMP/isolation.out" >&2
	count_pg_regress "$CHURN_TMP/isolation.out"
	[ $rc -ne 0 ] && ! grep -Eqi '\.\.\. failed|^not ok [0-9]+ ' "$CHURN_TMP/isolation.out" && failed=$((failed + 1))
	[ -f "$REGRESS_DIR/output_iso/regression.diffs" ] && head -c 20000 "$REGRESS_DIR/output_iso/regression.diffs" >&2
fi

for script in test/suites/*.sh; do
	[ -e "$script" ] || continue
	name=$(basename "$script" .sh)
	want "$name" || continue
	log "== $name"
	suite_start=$SECONDS
	out=$CHURN_TMP/suite-$name.out
	bash "$script" >"$out" 2>"$CHURN_TMP/suite-$name.err"
	rc=$?
	cat "$out" >&2
	[ $rc -ne 0 ] && tail -50 "$CHURN_TMP/suite-$name.err" >&2
	p=$(grep -c '^ok ' "$out")
	f=$(grep -c '^not ok ' "$out")
	# A script that died without reporting a failure still failed.
	[ $rc -ne 0 ] && [ "$f" -eq 0 ] && f=1
	[ $rc -eq 0 ] && [ "$p" -eq 0 ] && f=$((f + 1)) && log "  $name ran no check"
	passed=$((passed + p))
	failed=$((failed + f))
	log "  $p passed, $f failed ($((SECONDS - suite_start)) s)"
done

log "PostgreSQL $PG_MAJOR: $passed passed, $failed failed"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
