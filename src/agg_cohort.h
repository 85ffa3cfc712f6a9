/*-------------------------------------------------------------------------
 *
 * agg_cohort.h
 *	  The cohort_retention() aggregate and its state type
 *	  churn.cohort_retention_state.
 *
 * src/agg_cohort.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHURN_AGG_COHORT_H
#define CHURN_AGG_COHORT_H

#include "fmgr.h"
#include "datatype/timestamp.h"
#include "utils/expandeddatum.h"

#include "period.h"

#define COHORT_STATE_VERSION	1

/*
 * Version 1 plus the key of the time zone its local-time computations used
 * (state_zone.h).  A state that used no time zone is still written as
 * version 1, which churn 1.0 reads too.
 */
#define COHORT_STATE_VERSION_ZONE	2

/* Limits: ages per cohort, and (cohort, age) cells of one state. */
#define COHORT_MAX_AGES			100000
#define COHORT_MAX_CELLS		(16 * 1024 * 1024)

/*
 * Flat form.  Cohort k (k = first .. first + ncohorts - 1) holds ages + 2
 * counters: counts[m] = members active at exactly the first m ages
 * (m = 0 .. ages + 1), so that active(age a) = sum of counts[m] for m > a
 * and the cohort size is the sum of all of them.  origin is in the units
 * of the domain (days for date, microseconds for timestamptz).  In version
 * 2 the key of the time zone (zonelen bytes) follows the counters.
 */
typedef struct CohortState
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	uint8		version;		/* COHORT_STATE_VERSION[_ZONE] */
	uint8		domain;			/* ChurnDomain */
	uint16		zonelen;		/* version 2: bytes of the time zone key;
								 * version 1: zero (reserved in 1.0) */
	int32		ages;
	int64		origin;
	Interval	cohort_step;
	Interval	age_step;
	int32		first;			/* cohort number of the first cohort */
	int32		ncohorts;
	int64		counts[FLEXIBLE_ARRAY_MEMBER];
} CohortState;

#define COHORT_STATE_HDRSZ		offsetof(CohortState, counts)
#define COHORT_STATE_SIZE(nc, ages) \
	(COHORT_STATE_HDRSZ + (Size) (nc) * ((ages) + 2) * sizeof(int64))
#define COHORT_STATE_ZONE(s) \
	((char *) (s) + COHORT_STATE_SIZE((s)->ncohorts, (s)->ages))

#define PG_GETARG_COHORT_STATE_P(n) ((CohortState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(n)))

#endif							/* CHURN_AGG_COHORT_H */
