/*-------------------------------------------------------------------------
 *
 * agg_state.h
 *	  The churn.state_agg type: one entity's lifecycle timeline, or the
 *	  rolled-up time-in-state and transition totals of many entities.
 *
 * src/agg_state.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHURN_AGG_STATE_H
#define CHURN_AGG_STATE_H

#include "fmgr.h"

#include "lifecycle.h"

#define STATE_AGG_VERSION		1

#define STATE_AGG_FLAG_ROLLUP	0x01	/* totals of many timelines */
#define STATE_AGG_VALID_FLAGS	(STATE_AGG_FLAG_ROLLUP)

#define STATE_AGG_NSTATES		LIFECYCLE_NSTATES

/* One observation of a timeline: the entity is in state from "at" on. */
typedef struct StateAggPoint
{
	int64		at;				/* TimestampTz */
	uint8		state;			/* Lifecycle code */
	uint8		pad[7];			/* zero */
} StateAggPoint;

/*
 * Totals of a rolled-up value: time in each state as whole days plus
 * microseconds (0 <= us < one day, so that sums over millions of entities
 * cannot overflow), and transition counts, all indexed by state code.
 */
typedef struct StateAggTotals
{
	int64		entities;		/* number of timelines summed */
	int64		days[STATE_AGG_NSTATES];
	int64		us[STATE_AGG_NSTATES];
	int64		transitions[STATE_AGG_NSTATES][STATE_AGG_NSTATES];
} StateAggTotals;

/*
 * Flat form.  A timeline (flags 0) holds npoints points sorted by strictly
 * increasing time; a rolled-up value (STATE_AGG_FLAG_ROLLUP) holds npoints =
 * 0 and one StateAggTotals.
 */
typedef struct StateAgg
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	uint8		version;		/* STATE_AGG_VERSION */
	uint8		flags;			/* STATE_AGG_FLAG_* */
	uint16		reserved;		/* zero */
	int32		npoints;
	int32		reserved2;		/* zero */
	/* StateAggPoint points[npoints] or StateAggTotals follow */
} StateAgg;

#define STATE_AGG_HDRSZ			MAXALIGN(sizeof(StateAgg))
#define STATE_AGG_POINTS(s)		((StateAggPoint *) ((char *) (s) + STATE_AGG_HDRSZ))
#define STATE_AGG_TOTALS(s)		((StateAggTotals *) ((char *) (s) + STATE_AGG_HDRSZ))
#define STATE_AGG_TIMELINE_SIZE(n) (STATE_AGG_HDRSZ + (Size) (n) * sizeof(StateAggPoint))
#define STATE_AGG_ROLLUP_SIZE	(STATE_AGG_HDRSZ + sizeof(StateAggTotals))
#define STATE_AGG_MAX_POINTS \
	((int32) ((MaxAllocSize - STATE_AGG_HDRSZ) / sizeof(StateAggPoint)))

#define PG_GETARG_STATE_AGG_P(n) ((StateAgg *) PG_DETOAST_DATUM(PG_GETARG_DATUM(n)))

#endif							/* CHURN_AGG_STATE_H */
