#!/bin/bash
# test/valgrind/regress.sh: run the pg_regress suite against a cluster whose
# postgres runs under valgrind (memcheck, --trace-children=yes, no leak
# check), then list the invalid reads/writes found, with their stacks.
# Debian's PostgreSQL is not built with USE_VALGRIND, so palloc'd chunks are
# not tracked: only accesses outside malloc'd blocks (and uses of
# uninitialised values reaching syscalls or branches, mostly noise here)
# are seen.  Slow (about 30x); not part of test/run.sh.
#
# Usage: CHURN_PORT=<port> [VG_SUPP=<postgres src/tools/valgrind.supp>]
#        [CHURN_REGRESS="setup a b"] bash test/valgrind/regress.sh
set -u
. "$(dirname "$0")/../lib.sh"
cd "$CHURN_ROOT"
churn_private_install || exit 1
name=valgrind
dir=$CHURN_TMP/$name
# jit off: llvmjit is slow under valgrind and its dlopen trips a known
# false positive in ld.so (strncmp in is_dst)
churn_cluster_start "$name" "jit = off" || exit 1
# restart the same cluster with postgres under valgrind
as_owner "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
vglogs=$dir/vg
rm -rf "$vglogs"; mkdir -p "$vglogs"; chmod 777 "$vglogs"
cat >"$dir/local.supp" <<'SUPP'
{
	glibc_ld_so_is_dst_overread
	Memcheck:Addr8
	fun:strncmp
	fun:is_dst
}
SUPP
supp=(--suppressions="$dir/local.supp")
[ -n "${VG_SUPP:-}" ] && supp+=(--suppressions="$VG_SUPP")
as_owner valgrind --quiet --trace-children=yes --leak-check=no --track-origins=no \
	--read-var-info=no --num-callers=30 "${supp[@]}" \
	--log-file="$vglogs/%p.log" \
	"$PGBIN/postgres" -D "$PGDATA" >"$dir/server.log" 2>&1 &
for _ in $(seq 1 240); do
	"$PGBIN/pg_isready" -q && break
	sleep 1
done
"$PGBIN/pg_isready" || { log "postgres under valgrind did not start"; exit 1; }
trap 'as_owner "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w -t 300 stop >/dev/null 2>&1' EXIT
rm -rf results regression.diffs regression.out
start=$(date +%s)
make -s installcheck ISOLATION= ${CHURN_REGRESS:+REGRESS="$CHURN_REGRESS"} \
	EXTRA_REGRESS_OPTS="--max-connections=1" >"$dir/regress.out" 2>&1
cat "$dir/regress.out"
echo "regress under valgrind: $(( $(date +%s) - start )) s"
as_owner "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w -t 300 stop >/dev/null 2>&1
trap - EXIT
# invalid accesses, with the stack below each
grep -l "Invalid read\|Invalid write\|Invalid free\|Mismatched free\|Jump to the invalid\|Process terminating" "$vglogs"/*.log 2>/dev/null >"$dir/bad_logs"
echo "valgrind logs: $(ls "$vglogs" | wc -l), with invalid accesses: $(wc -l <"$dir/bad_logs")"
while read -r f; do
	echo "== $f"
	grep -A32 "Invalid read\|Invalid write\|Invalid free\|Mismatched free\|Jump to the invalid" "$f" | head -200
done <"$dir/bad_logs"
[ ! -s "$dir/bad_logs" ]
