#!/bin/bash
# test/suites/summary_concurrency_nested.sh: summary_concurrency.sh with a
# routing rule in an AFTER ROW trigger (customers moved to phone go on to
# online a second later, by the trigger's own UPDATE of the same row), so
# many captures have a nested statement of the same table to put after
# their own, under concurrent writers and refreshers.  The oracle reads the
# trigger's move log like the workload's.
CHURN_CONC_NESTED=1 CHURN_CONC_DB=churn_summary_concurrency_nested \
CHURN_CONC_TXNS=${CHURN_CONC_TXNS:-800} CHURN_CONC_SEED=${CHURN_CONC_SEED:-44} \
	exec bash "$(dirname "$0")/summary_concurrency.sh"
