#!/bin/bash
# demo/demo.sh: README command 1.  Installs what is missing (apt), builds and
# `make install`s churn, starts a throw-away cluster (removed at exit), and
# runs the tour of demo/demo.sql on a generated customer base: tracking,
# replay through the triggers, monthly churn and retention, diversion
# matrix, churn reasons, lifecycle states, survival by segment, NPS and
# churn.verify.  Ends with how to point Grafana at such a database.
#
# DEMO_CUSTOMERS=N changes the size of the customer base (default 10000).
set -eu
. "$(dirname "$0")/../test/lib.sh"
cd "$CHURN_ROOT"
churn_deps
make -s PG_CONFIG="$PG_CONFIG"
make -s PG_CONFIG="$PG_CONFIG" install
PGBIN=$("$PG_CONFIG" --bindir)
CHURN_TMP=$(mktemp -d /tmp/churn-demo.XXXXXX)
chmod 755 "$CHURN_TMP"
trap 'churn_cluster_stop; rm -rf "$CHURN_TMP"' EXIT
churn_cluster_start demo
start=$SECONDS
"$PGBIN/psql" -X -q -d postgres -v n="${DEMO_CUSTOMERS:-10000}" -f demo/demo.sql
echo
echo "(demo SQL ran in $((SECONDS - start)) s)"
cat <<EOF

== 13. Grafana
The cluster above is thrown away now.  On your own database:
  1. a read-only role for Grafana:
       CREATE ROLE churn_reader LOGIN PASSWORD '...';
       SELECT churn.grant_reader('churn_reader');
       -- the survival panels read the tracked table (churn.customer_lifetimes, with
       -- the reader's privileges): its customer, since, until and segment columns
       GRANT SELECT (id, signed_up, cancelled_at, contract, region) ON customers TO churn_reader;
       -- the NPS panels read the survey table named by their variable Survey table
       GRANT SELECT (customer_id, answered_at, score) ON surveys TO churn_reader;
       -- the early-warning dashboard reads the scores view named by its variable
       -- Scores (once you have one)
       GRANT SELECT ON churn_scores TO churn_reader;
  2. copy grafana/provisioning/datasources/churn.yaml and
     grafana/provisioning/dashboards/churn.yaml into Grafana's provisioning/
     folders and grafana/dashboards/*.json to the dashboards path named
     there (/var/lib/grafana/dashboards/churn), then start Grafana with
       CHURN_PGHOST=dbhost:5432 CHURN_PGDATABASE=yourdb CHURN_PGUSER=churn_reader \\
       CHURN_PGPASSWORD=... CHURN_PGSSLMODE=require
  3. open the "Churn overview" dashboard (folder Churn), pick the table, and
     type surveys into Survey table for the NPS panels.  "Churn early warning"
     lists the customers most at risk once a scores view such as the Cox
     recipe's churn_scores exists (doc/early-warning.md, "Early warning in
     practice"): type its name into Scores.  All of it: doc/grafana.md.
  Schedule the summaries' upkeep with pg_cron (doc/operations.md, "Scheduling with pg_cron"):
       SELECT cron.schedule('churn-refresh', '*/5 * * * *', \$\$SELECT churn.refresh()\$\$);
       SELECT cron.schedule('churn-aging', '15 3 * * *', \$\$CALL churn.advance_lifecycle('public.customers')\$\$);
EOF
