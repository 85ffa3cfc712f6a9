/*-------------------------------------------------------------------------
 *
 * agg_survival.c
 *	  The survival() and rollup(survival_curve) aggregates: Kaplan-Meier
 *	  life tables built in one pass, one entry per distinct duration.
 *
 * The transition state is the storable type churn.survival_curve itself,
 * so that partial aggregation can be shipped as a plain value (parallel
 * workers, Citus).  Inside an aggregate the state lives as an expanded
 * object in the aggregate context, updated in place: whole-number
 * durations (days, months) are counted in a directly indexed array; any
 * other duration is appended to a buffer that is sorted and merged into a
 * sorted array of distinct durations whenever it fills up (sequential
 * memory access, where a hash table would miss the cache on every row of a
 * high-cardinality input).  PostgreSQL keeps a read-write expanded object
 * whose memory context is a child of the aggregate context instead of
 * copying it (ExecAggTransReparent), so a row never allocates.  The object
 * is flattened only when it leaves the aggregate.
 *
 * src/agg_survival.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "common/int.h"
#include "datatype/timestamp.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/float.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "survival_curve.h"

/* Smallest buffer of not-yet-merged points. */
#define SURVIVAL_MIN_BUFFER		64

/*
 * The dense array may cover durations 0 .. n - 1 only while n is at most
 * SURVIVAL_DENSE_PER_ROW times the number of subjects seen (or
 * SURVIVAL_DENSE_MIN): a few rows with large whole durations (one group per
 * customer, say) must not cost a large array each.
 */
#define SURVIVAL_DENSE_MIN		1024
#define SURVIVAL_DENSE_PER_ROW	16

static Size survival_get_flat_size(ExpandedObjectHeader *eohptr);
static void survival_flatten_into(ExpandedObjectHeader *eohptr,
								  void *result, Size allocated_size);

static const ExpandedObjectMethods survival_methods =
{
	survival_get_flat_size,
	survival_flatten_into
};

/* an inlined sort of points by time (lib/sort_template.h) */
#define ST_SORT survival_sort_points
#define ST_ELEMENT_TYPE SurvivalPoint
#define ST_COMPARE(a, b) \
	((a)->time < (b)->time ? -1 : (a)->time > (b)->time ? 1 : 0)
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * Fold the buffer into the sorted points: sort it, add up equal times, and
 * merge it with the points into a new array.  The buffer is then emptied
 * and sized to the number of points, so the memory stays proportional to
 * the number of distinct durations while a row costs an append and, over
 * time, O(log n) for sorting.
 */
static void
survival_compact(ExpandedSurvival *es)
{
	SurvivalPoint *merged;
	int32		i = 0,
				j = 0,
				n = 0,
				nb = 0,
				newcap;

	if (es->nbuf == 0)
		goto size_buffer;
	survival_sort_points(es->buf, es->nbuf);
	/* add up equal times inside the buffer */
	for (j = 0; j < es->nbuf; j++)
	{
		if (nb > 0 && es->buf[nb - 1].time == es->buf[j].time)
		{
			es->buf[nb - 1].events += es->buf[j].events;
			es->buf[nb - 1].censored += es->buf[j].censored;
		}
		else
			es->buf[nb++] = es->buf[j];
	}
	if ((int64) es->npoints + nb > SURVIVAL_CURVE_MAX_POINTS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("survival curve cannot have more than %d distinct durations",
						SURVIVAL_CURVE_MAX_POINTS)));
	merged = MemoryContextAlloc(es->hdr.eoh_context,
								sizeof(SurvivalPoint) * ((Size) es->npoints + nb));
	j = 0;
	while (i < es->npoints || j < nb)
	{
		if (j >= nb || (i < es->npoints && es->points[i].time < es->buf[j].time))
			merged[n++] = es->points[i++];
		else if (i >= es->npoints || es->buf[j].time < es->points[i].time)
			merged[n++] = es->buf[j++];
		else
		{
			merged[n] = es->points[i++];
			if (pg_add_s64_overflow(merged[n].events, es->buf[j].events, &merged[n].events) ||
				pg_add_s64_overflow(merged[n].censored, es->buf[j].censored, &merged[n].censored))
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("survival curve count out of range")));
			n++;
			j++;
		}
	}
	if (es->points)
		pfree(es->points);
	es->points = merged;
	es->npoints = n;
	es->nbuf = 0;

size_buffer:
	newcap = Max(SURVIVAL_MIN_BUFFER, Min(es->npoints, SURVIVAL_CURVE_MAX_POINTS / 2));
	if (newcap > es->bufcap)
	{
		if (es->buf)
			pfree(es->buf);
		es->buf = MemoryContextAlloc(es->hdr.eoh_context,
									 sizeof(SurvivalPoint) * newcap);
		es->bufcap = newcap;
	}
}

/*
 * Create an expanded curve in a new child context of parent, empty or as a
 * copy of a flat curve.
 */
ExpandedSurvival *
survival_expand(const SurvivalCurve *flat, MemoryContext parent, uint8 flags)
{
	MemoryContext objcxt;
	ExpandedSurvival *es;
	int32		i;

	objcxt = AllocSetContextCreate(parent, "survival_curve",
								   ALLOCSET_SMALL_SIZES);
	es = MemoryContextAllocZero(objcxt, sizeof(ExpandedSurvival));
	EOH_init_header(&es->hdr, &survival_methods, objcxt);

	es->flags = flat ? flat->flags : flags;
	if (flat)
	{
		for (i = 0; i < flat->npoints; i++)
			survival_add(es, flat->points[i].time, flat->points[i].events,
						 flat->points[i].censored);
	}
	return es;
}

/* Is d a read-write pointer to one of our expanded curves? */
static inline bool
survival_is_rw_expanded(Datum d)
{
	return VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d)) &&
		DatumGetEOHP(d)->eoh_methods == &survival_methods;
}

/*
 * Make the dense array hold whole durations 0 .. t if that is not too
 * sparse; false when t must go to the sorted points instead.  Points that
 * the grown array now covers move into it, so that a duration is never in
 * both.
 */
static bool
survival_grow_dense(ExpandedSurvival *es, int32 t)
{
	int32		n = Max(es->ndense, 64);
	int32		i,
				k = 0;

	while (n <= t)
		n *= 2;
	if (n > SURVIVAL_DENSE_MIN &&
		(double) n > (double) SURVIVAL_DENSE_PER_ROW * (double) es->total)
		return false;
	if (es->dense == NULL)
		es->dense = MemoryContextAllocZero(es->hdr.eoh_context,
										   sizeof(SurvivalCounts) * n);
	else
	{
		es->dense = repalloc(es->dense, sizeof(SurvivalCounts) * n);
		memset(es->dense + es->ndense, 0,
			   sizeof(SurvivalCounts) * (n - es->ndense));
	}
	es->ndense = n;

	/* move the whole durations below n out of the points */
	survival_compact(es);
	for (i = 0; i < es->npoints; i++)
	{
		SurvivalPoint *p = &es->points[i];

		if (p->time < n && p->time == (float8) (int32) p->time)
		{
			SurvivalCounts *c = &es->dense[(int32) p->time];

			if (c->events == 0 && c->censored == 0)
				es->ndense_used++;
			c->events += p->events;
			c->censored += p->censored;
		}
		else
			es->points[k++] = *p;
	}
	es->npoints = k;
	return true;
}

/* Add events and censorings at one duration, in place. */
static inline void
survival_add_point(ExpandedSurvival *es, float8 time, int64 events, int64 censored)
{
	if (time == 0.0)
		time = 0.0;				/* fold -0 into 0 */

	if (pg_add_s64_overflow(es->total, events + censored, &es->total))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("survival curve count out of range")));

	if (time < SURVIVAL_DENSE_LIMIT && time == (float8) (int32) time &&
		((int32) time < es->ndense || survival_grow_dense(es, (int32) time)))
	{
		SurvivalCounts *c = &es->dense[(int32) time];

		if (c->events == 0 && c->censored == 0)
			es->ndense_used++;
		if (pg_add_s64_overflow(c->events, events, &c->events) ||
			pg_add_s64_overflow(c->censored, censored, &c->censored))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("survival curve count out of range")));
		return;
	}

	if (es->nbuf == es->bufcap)
		survival_compact(es);
	es->buf[es->nbuf].time = time;
	es->buf[es->nbuf].events = events;
	es->buf[es->nbuf].censored = censored;
	es->nbuf++;
}

void
survival_add(ExpandedSurvival *es, float8 time, int64 events, int64 censored)
{
	survival_add_point(es, time, events, censored);
}

/* Merge a flat curve into an expanded one: counts add up per duration. */
void
survival_merge_flat(ExpandedSurvival *es, const SurvivalCurve *other)
{
	int32		i;

	if (es->flags != other->flags)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot merge survival curves of different duration units"),
				 errdetail("One curve was built from intervals (days), the other from numbers.")));
	for (i = 0; i < other->npoints; i++)
		survival_add_point(es, other->points[i].time, other->points[i].events,
						   other->points[i].censored);
}

static Size
survival_get_flat_size(ExpandedObjectHeader *eohptr)
{
	ExpandedSurvival *es = (ExpandedSurvival *) eohptr;

	survival_compact(es);
	return SURVIVAL_CURVE_SIZE(es->ndense_used + es->npoints);
}

/* Merge the dense counts and the sorted points into the flat form. */
static void
survival_flatten_into(ExpandedObjectHeader *eohptr, void *result,
					  Size allocated_size)
{
	ExpandedSurvival *es = (ExpandedSurvival *) eohptr;
	SurvivalCurve *c = (SurvivalCurve *) result;
	int32		d = 0,
				i = 0,
				n = 0;

	Assert(es->nbuf == 0);
	Assert(allocated_size == SURVIVAL_CURVE_SIZE(es->ndense_used + es->npoints));
	memset(c, 0, SURVIVAL_CURVE_HDRSZ);
	SET_VARSIZE(c, allocated_size);
	c->version = SURVIVAL_CURVE_VERSION;
	c->flags = es->flags;
	c->npoints = es->ndense_used + es->npoints;
	c->total = es->total;
	for (;;)
	{
		while (d < es->ndense && es->dense[d].events == 0 && es->dense[d].censored == 0)
			d++;
		if (d < es->ndense && (i >= es->npoints || (float8) d < es->points[i].time))
		{
			c->points[n].time = (float8) d;
			c->points[n].events = es->dense[d].events;
			c->points[n].censored = es->dense[d].censored;
			d++;
		}
		else if (i < es->npoints)
			c->points[n] = es->points[i++];
		else
			break;
		n++;
	}
	Assert(n == c->npoints);
}

/*
 * The transition state of argument 0 as an expanded curve of ours in the
 * aggregate context, or NULL when it is NULL.
 */
static ExpandedSurvival *
survival_state(FunctionCallInfo fcinfo, MemoryContext aggcontext)
{
	if (PG_ARGISNULL(0))
		return NULL;
	if (survival_is_rw_expanded(PG_GETARG_DATUM(0)))
		return (ExpandedSurvival *) DatumGetEOHP(PG_GETARG_DATUM(0));
	/* a flat value (e.g. copied by the executor): expand a copy of it */
	return survival_expand(PG_GETARG_SURVIVAL_CURVE_P(0), aggcontext, 0);
}

static void
survival_bad_duration(const char *text)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid survival duration \"%s\"", text),
			 errdetail("Durations must be finite and not negative.")));
}

/* Shared body of the transition functions once the duration is a double. */
static Datum
survival_trans_common(FunctionCallInfo fcinfo, MemoryContext aggcontext,
					  float8 time, uint8 flags)
{
	ExpandedSurvival *es = survival_state(fcinfo, aggcontext);
	bool		event = PG_GETARG_BOOL(2);

	if (es == NULL)
		es = survival_expand(NULL, aggcontext, flags);
	survival_add_point(es, time, event ? 1 : 0, event ? 0 : 1);
	return EOHPGetRWDatum(&es->hdr);
}

#define SURVIVAL_TRANS_PREAMBLE(fname) \
	MemoryContext aggcontext; \
	if (!AggCheckCallContext(fcinfo, &aggcontext)) \
		ereport(ERROR, \
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED), \
				 errmsg("churn.survival_trans can only be called by an aggregate"))); \
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2)) \
	{ \
		/* a row without duration or event is skipped */ \
		if (PG_ARGISNULL(0)) \
			PG_RETURN_NULL(); \
		PG_RETURN_DATUM(PG_GETARG_DATUM(0)); \
	}

PG_FUNCTION_INFO_V1(survival_trans_float8);
Datum
survival_trans_float8(PG_FUNCTION_ARGS)
{
	float8		t;

	SURVIVAL_TRANS_PREAMBLE("survival_trans_float8");
	t = PG_GETARG_FLOAT8(1);
	if (isnan(t) || isinf(t) || t < 0)
		survival_bad_duration(float8out_internal(t));
	return survival_trans_common(fcinfo, aggcontext, t, 0);
}

PG_FUNCTION_INFO_V1(survival_trans_numeric);
Datum
survival_trans_numeric(PG_FUNCTION_ARGS)
{
	Numeric		num;
	float8		t;

	SURVIVAL_TRANS_PREAMBLE("survival_trans_numeric");
	num = PG_GETARG_NUMERIC(1);
	if (numeric_is_nan(num) || numeric_is_inf(num))
		survival_bad_duration(DatumGetCString(DirectFunctionCall1(numeric_out,
																  NumericGetDatum(num))));
	t = DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(num)));
	if (isnan(t) || isinf(t) || t < 0)
		survival_bad_duration(DatumGetCString(DirectFunctionCall1(numeric_out,
																  NumericGetDatum(num))));
	return survival_trans_common(fcinfo, aggcontext, t, 0);
}

/*
 * An interval as a number of days, with the conventions of
 * extract(epoch from interval) / 86400: a month is 30 days and a year is
 * 365.25 days.
 */
float8
survival_interval_days(const Interval *iv)
{
	float8		days;

	days = (float8) DAYS_PER_YEAR * (iv->month / MONTHS_PER_YEAR) +
		(float8) DAYS_PER_MONTH * (iv->month % MONTHS_PER_YEAR) +
		(float8) iv->day;
	return days + (float8) iv->time / (float8) USECS_PER_DAY;
}

PG_FUNCTION_INFO_V1(survival_trans_interval);
Datum
survival_trans_interval(PG_FUNCTION_ARGS)
{
	Interval   *iv;
	float8		t;

	SURVIVAL_TRANS_PREAMBLE("survival_trans_interval");
	iv = PG_GETARG_INTERVAL_P(1);
	t = survival_interval_days(iv);
#ifdef INTERVAL_NOT_FINITE
	if (INTERVAL_NOT_FINITE(iv))
		t = get_float8_nan();
#endif
	if (isnan(t) || isinf(t) || t < 0)
		survival_bad_duration(DatumGetCString(DirectFunctionCall1(interval_out,
																  IntervalPGetDatum(iv))));
	return survival_trans_common(fcinfo, aggcontext, t, SURVIVAL_FLAG_DAYS);
}

/*
 * Combine function of survival() and both transition and combine function
 * of rollup(survival_curve): the curve of the union of two disjoint sets
 * of subjects has the summed counts at every duration.
 */
PG_FUNCTION_INFO_V1(survival_combine);
Datum
survival_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	ExpandedSurvival *es;
	SurvivalCurve *other;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("churn.%s can only be called by an aggregate", "survival_combine"),
				 errhint("Merge stored values with the churn.rollup aggregate, or an aggregate of your own over this function.")));
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	other = PG_GETARG_SURVIVAL_CURVE_P(1);
	es = survival_state(fcinfo, aggcontext);
	if (es == NULL)
		es = survival_expand(other, aggcontext, 0);
	else
		survival_merge_flat(es, other);
	return EOHPGetRWDatum(&es->hdr);
}
