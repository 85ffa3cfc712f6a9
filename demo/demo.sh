#!/bin/bash
# demo/demo.sh: README command 1 (grows with the product).
set -eu
. "$(dirname "$0")/../test/lib.sh"
cd "$CHURN_ROOT"
churn_deps
make -s
make -s install
PGBIN=$(pg_config --bindir)
CHURN_TMP=$(mktemp -d /tmp/churn-demo.XXXXXX)
chmod 755 "$CHURN_TMP"
trap 'churn_cluster_stop; rm -rf "$CHURN_TMP"' EXIT
churn_cluster_start demo
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE EXTENSION churn" -c "\dx churn"
