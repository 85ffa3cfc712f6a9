#!/bin/bash
# test/suites/soft_errors.sh: the soft errors of the input functions.
#
# On PostgreSQL 16 and later they are PostgreSQL's own: churn as built, in a
# cluster of this suite's own, with the corpus below fed through
# pg_input_error_info().  On 15 the suite runs churn's 16 code through a
# shim.  From 16 an input function called with an ErrorSaveContext must report bad
# input through errsave/ereturn (churn_errsave/churn_ereturn, state_io.h)
# and return at once; that branch is not compiled on 15.  This suite copies
# the tree, makes state_io.h take its 16 branch, links in test/soft16 (PG
# 16's declarations in include/nodes/miscnodes.h; errsave_start/_finish,
# InputFunctionCallSafe, DirectInputFunctionCallSafe and churn_soft_input()
# in soft16_shim.c), installs that build into a private
# PostgreSQL of its own and, in its own cluster, feeds every base type of
# churn the literals of sql/*.sql and mutations of them (corpus.py) both
# ways: through a cast (no ErrorSaveContext: must throw) and through
# churn_soft_input (must report once, softly, and return nothing).  Both must
# give the same value or the same SQLSTATE, message, detail and hint.

set -u
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"

failed=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; failed=1; }

src=$CHURN_ROOT
if [ "$PG_MAJOR" -ge 16 ]; then
	# PostgreSQL reports soft errors itself: churn as built, in a cluster of
	# this suite's own, through pg_input_error_info().
	ok "PostgreSQL $PG_MAJOR reports soft errors itself: churn as built, through pg_input_error_info()"
	CHURN_TMP=$CHURN_TMP/soft16
	rm -rf "$CHURN_TMP"
	mkdir -p "$CHURN_TMP"
	chmod 755 "$CHURN_TMP"
	soft_input_function="CREATE FUNCTION soft16_input(typ regtype, input text) RETURNS text LANGUAGE plpgsql AS \$\$
DECLARE
	e record;
	v text;
BEGIN
	SELECT * INTO e FROM pg_input_error_info(input, typ::text);
	IF e.sql_error_code IS NULL THEN
		EXECUTE format('SELECT %L::%s::text', input, typ) INTO v;
		RETURN 'ok ' || v;
	END IF;
	RETURN 'soft ' || e.sql_error_code || ' ' || e.message || coalesce(' (' || nullif(e.detail, '') || ')', '') ||
		coalesce(' HINT ' || nullif(e.hint, ''), '');
END \$\$;"
else
	CHURN_TMP=${CHURN_TMP:-/tmp/churn-check-$(printf %s "$src" | md5sum | cut -c1-10)}/soft16
	tree=$CHURN_TMP/tree
	rm -rf "$CHURN_TMP"
	mkdir -p "$tree"
	chmod 755 "$CHURN_TMP"
	tar -C "$src" --exclude=./.git --exclude=./results --exclude=./output_iso \
		--exclude='*.o' --exclude='*.bc' --exclude='*.so' -cf - . | tar -C "$tree" -xf -

	# state_io.h: the 16 branch; Makefile: the shim object and header
	sed -i 's/^#if PG_VERSION_NUM >= 160000$/#if 1 \/* soft_errors.sh *\//' "$tree/src/state_io.h"
	cp "$tree/test/soft16/soft16_shim.c" "$tree/src/"
	sed -i 's|^PG_CFLAGS += -Werror$|&\nOBJS += src/soft16_shim.o\nPG_CPPFLAGS += -I$(CURDIR)/test/soft16/include|' "$tree/Makefile"
	if grep -q '^#if 1 /\* soft_errors.sh \*/$' "$tree/src/state_io.h" &&
		grep -q '^OBJS += src/soft16_shim.o$' "$tree/Makefile"; then
		ok "state_io.h switched to its PostgreSQL 16 branch, shim linked in"
	else
		notok "could not switch state_io.h or the Makefile (has their text changed?)"
		exit 1
	fi

	CHURN_ROOT=$tree
	if churn_private_install 2>"$CHURN_TMP/install.err"; then
		ok "churn builds with -Werror with the PostgreSQL 16 soft-error branch"
	else
		cat "$CHURN_TMP/install.err" >&2
		notok "build with the PostgreSQL 16 soft-error branch"
		exit 1
	fi
	soft_input_function="CREATE FUNCTION soft16_input(regtype, text) RETURNS text
	LANGUAGE C STRICT AS '\$libdir/churn', 'churn_soft_input';"
fi
churn_cluster_start soft16 || { notok "start a cluster"; exit 1; }
trap churn_cluster_stop EXIT

q() { "$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d postgres "$@"; }

{ cat; echo "$soft_input_function"; } <<'SQL' | q >"$CHURN_TMP/setup.out" 2>&1 || { cat "$CHURN_TMP/setup.out" >&2; notok "setup"; exit 1; }
CREATE EXTENSION churn;
-- the hard way: a cast, as on 15
CREATE FUNCTION soft16_hard(typ regtype, input text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	v text;
	d text;
	h text;
BEGIN
	EXECUTE format('SELECT %L::%s::text', input, typ) INTO v;
	RETURN 'ok ' || v;
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
	RETURN SQLSTATE || ' ' || SQLERRM || coalesce(' (' || nullif(d, '') || ')', '') ||
		coalesce(' HINT ' || nullif(h, ''), '');
END $$;
-- the soft way: what a thrown error would be is reported as "thrown ..."
CREATE FUNCTION soft16_soft(typ regtype, input text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	d text;
	h text;
BEGIN
	RETURN soft16_input(typ, input);
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
	RETURN 'thrown ' || SQLSTATE || ' ' || SQLERRM || coalesce(' (' || nullif(d, '') || ')', '') ||
		coalesce(' HINT ' || nullif(h, ''), '');
END $$;
CREATE TABLE soft16_corpus (typ text, input text);
SQL

python3 "$src/test/soft16/corpus.py" "$src" >"$CHURN_TMP/corpus.sql" &&
	q -f "$CHURN_TMP/corpus.sql" >/dev/null 2>"$CHURN_TMP/corpus.err" ||
	{ cat "$CHURN_TMP/corpus.err" >&2; notok "load the corpus"; exit 1; }

# every base type of churn, with the inputs from the corpus plus a few that
# are wrong for any type
q -F '|' >"$CHURN_TMP/results.txt" 2>"$CHURN_TMP/results.err" <<'SQL' || { cat "$CHURN_TMP/results.err" >&2; notok "run the corpus"; exit 1; }
WITH types AS (
	SELECT t.oid::regtype AS typ, t.typname
	  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
	 WHERE n.nspname = 'churn' AND t.typtype = 'b' AND t.typcategory <> 'A'
), inputs AS (
	SELECT t.typ, c.input FROM types t JOIN soft16_corpus c ON c.typ = t.typname
	UNION
	SELECT typ, g FROM types, unnest(ARRAY['', ' ', 'x', '(', '()', '(1', 'v1', 'v9 x', '-']) g
), runs AS (
	SELECT typ, input, soft16_hard(typ, input) AS hard, soft16_soft(typ, input) AS soft
	  FROM inputs
)
SELECT typ, count(*), count(*) FILTER (WHERE hard NOT LIKE 'ok %'),
	   count(*) FILTER (WHERE soft IS DISTINCT FROM
						CASE WHEN hard LIKE 'ok %' THEN hard ELSE 'soft ' || hard END),
	   coalesce(string_agg(format('input %L: hard %L, soft %L', input, hard, soft), '; ' ORDER BY input)
				FILTER (WHERE soft IS DISTINCT FROM
						CASE WHEN hard LIKE 'ok %' THEN hard ELSE 'soft ' || hard END), '')
  FROM runs GROUP BY typ ORDER BY typ::text;
SQL

while IFS='|' read -r typ n errors bad examples; do
	if [ "$bad" = 0 ] && [ "$errors" -gt 0 ]; then
		ok "$typ: $n inputs, $errors rejected softly with the SQLSTATE, message, detail and hint of the cast"
	elif [ "$bad" = 0 ]; then
		notok "$typ: $n inputs, none rejected (the corpus tests nothing)"
	else
		notok "$typ: $bad of $n inputs differ: $(printf %s "$examples" | cut -c1-2000)"
	fi
done <"$CHURN_TMP/results.txt"
[ -s "$CHURN_TMP/results.txt" ] || notok "no type was checked"

exit $failed
