#!/bin/bash
# test/suites/summary_concurrency_partitioned.sh: summary_concurrency.sh on a
# hash-partitioned customer table (4 partitions), smaller run: the capture
# triggers on the parent see every partition's rows.  The database's
# TimeZone is Europe/Berlin (DST), so months start at local midnight.
CHURN_CONC_TZ=Europe/Berlin CHURN_CONC_PARTITIONED=1 CHURN_CONC_DB=churn_summary_concurrency_part \
CHURN_CONC_TXNS=${CHURN_CONC_TXNS:-500} CHURN_CONC_SEED=${CHURN_CONC_SEED:-43} \
	exec bash "$(dirname "$0")/summary_concurrency.sh"
