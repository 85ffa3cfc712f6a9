#!/bin/bash
# test/suites/summary_concurrency_dates.sh: summary_concurrency.sh on a table
# whose since, until and changed_at columns are of type date (every event
# time a whole day), smaller run.
CHURN_CONC_DATES=1 CHURN_CONC_DB=churn_summary_concurrency_dates \
CHURN_CONC_TXNS=${CHURN_CONC_TXNS:-500} CHURN_CONC_SEED=${CHURN_CONC_SEED:-44} \
	exec bash "$(dirname "$0")/summary_concurrency.sh"
