/*-------------------------------------------------------------------------
 *
 * metrics.h
 *	  State layouts of the counter aggregates (nps, conversion_rate,
 *	  value_churn_rate) and of arpu.
 *
 * The counter states are fixed-length, pass-by-reference base types of the
 * extension (churn.nps_state, churn.conversion_state,
 * churn.value_churn_state), so that Citus can ship partial states through
 * their text I/O.  Their in-memory layout is their on-disk format: never
 * reorder the fields.
 *
 * src/metrics.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHURN_METRICS_H
#define CHURN_METRICS_H

#include "fmgr.h"

/* Version byte leading the binary (send/recv) form of every metrics state. */
#define METRICS_STATE_BINARY_VERSION	1

/* churn.nps_state: answers by class.  INTERNALLENGTH = 24. */
typedef struct NpsState
{
	int64		promoters;		/* scores 9 and 10 */
	int64		passives;		/* scores 7 and 8 */
	int64		detractors;		/* scores 0 to 6 */
} NpsState;

/*
 * churn.conversion_state and churn.value_churn_state: hits out of a total,
 * 0 <= hits <= total.  INTERNALLENGTH = 16.
 */
typedef struct RatioState
{
	int64		hits;
	int64		total;
} RatioState;

#endif							/* CHURN_METRICS_H */
