/*-------------------------------------------------------------------------
 *
 * survival_curve.h
 *	  The churn.survival_curve type: a Kaplan-Meier life table, one entry
 *	  per distinct duration, in flat (on-disk) and expanded (aggregate
 *	  state) form.
 *
 * src/survival_curve.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHURN_SURVIVAL_CURVE_H
#define CHURN_SURVIVAL_CURVE_H

#include "fmgr.h"
#include "datatype/timestamp.h"
#include "utils/expandeddatum.h"

/*
 * Format version of the flat value (text, binary and on disk).  A reader
 * refuses versions it does not know; a later release converts old versions
 * on read.
 */
#define SURVIVAL_CURVE_VERSION	1

/* Flag bits; every other bit must be zero. */
#define SURVIVAL_FLAG_DAYS		0x01	/* durations came from intervals, in days */
#define SURVIVAL_VALID_FLAGS	(SURVIVAL_FLAG_DAYS)

/* One distinct duration: how many events and censorings happened there. */
typedef struct SurvivalPoint
{
	float8		time;
	int64		events;
	int64		censored;
} SurvivalPoint;

/*
 * Flat form.  Points are sorted by strictly increasing time, each has
 * events + censored > 0, and total is the sum of all of them.
 */
typedef struct SurvivalCurve
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	uint8		version;		/* SURVIVAL_CURVE_VERSION */
	uint8		flags;			/* SURVIVAL_FLAG_* */
	uint16		reserved;		/* zero */
	int32		npoints;
	int64		total;			/* number of subjects */
	SurvivalPoint points[FLEXIBLE_ARRAY_MEMBER];
} SurvivalCurve;

#define SURVIVAL_CURVE_HDRSZ	offsetof(SurvivalCurve, points)
#define SURVIVAL_CURVE_SIZE(n)	(SURVIVAL_CURVE_HDRSZ + (Size) (n) * sizeof(SurvivalPoint))
#define SURVIVAL_CURVE_MAX_POINTS \
	((int32) ((MaxAllocSize - SURVIVAL_CURVE_HDRSZ) / sizeof(SurvivalPoint)))

#define DatumGetSurvivalCurveP(X)	((SurvivalCurve *) PG_DETOAST_DATUM(X))
#define PG_GETARG_SURVIVAL_CURVE_P(n)	DatumGetSurvivalCurveP(PG_GETARG_DATUM(n))
#define PG_RETURN_SURVIVAL_CURVE_P(x)	PG_RETURN_POINTER(x)

/*
 * Expanded form, the aggregate transition state.  Whole-number durations
 * below SURVIVAL_DENSE_LIMIT (days, months, years: the common case) are
 * counted in a directly indexed array; any other duration is appended to a
 * buffer that is sorted and merged into the sorted distinct points when it
 * fills up.  Both are updated in place.
 */
#define SURVIVAL_DENSE_LIMIT	65536

typedef struct SurvivalCounts
{
	int64		events;
	int64		censored;
} SurvivalCounts;

typedef struct ExpandedSurvival
{
	ExpandedObjectHeader hdr;
	uint8		flags;
	int64		total;
	/* whole-number durations 0 .. ndense - 1 */
	SurvivalCounts *dense;
	int32		ndense;			/* allocated entries, a power of two */
	int32		ndense_used;	/* entries with a count */
	/* other durations: sorted distinct points plus an unsorted buffer */
	SurvivalPoint *points;
	int32		npoints;
	SurvivalPoint *buf;
	int32		nbuf;
	int32		bufcap;
} ExpandedSurvival;

/* Two-sided 95% normal quantile, qnorm(0.975), as survfit uses it. */
#define SURVIVAL_Z95	1.959963984540054

/* agg_survival.c */
extern ExpandedSurvival *survival_expand(const SurvivalCurve *flat,
										 MemoryContext parent, uint8 flags);
extern void survival_add(ExpandedSurvival *es, float8 time,
						 int64 events, int64 censored);
extern void survival_merge_flat(ExpandedSurvival *es, const SurvivalCurve *other);
extern float8 survival_interval_days(const Interval *iv);

#endif							/* CHURN_SURVIVAL_CURVE_H */
