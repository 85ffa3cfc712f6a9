/*-------------------------------------------------------------------------
 *
 * agg_cohort.c
 *	  cohort_retention(since, until, origin, cohort_step, age_step, ages):
 *	  cohort sizes and survivors per (cohort, age) cell in one pass.
 *
 * Semantics (see doc/lifetime.md, "Cohort retention"):
 *	- cohort k (any integer) is [c(k), c(k+1)) with c(k) = origin + k ×
 *	  cohort_step, calendar arithmetic on k × step (never cumulative
 *	  addition; timestamptz in the session TimeZone);
 *	- age a (0 .. ages) of cohort k is measured at the instant
 *	  t(k, a) = c(k+1) + a × age_step, counted from the end of the cohort's
 *	  acquisition window, so that every member has joined by then;
 *	- a member is active at t when since < t AND (until IS NULL OR
 *	  until >= t), the "customer at instant t" of the period semantics
 *	  (at_end of a period ending at t);
 *	- an age is observed once t has come: the final function returns the
 *	  cells whose t is not after the transaction's start (for dates: not
 *	  after the current date; for timestamps without time zone: not after
 *	  the transaction's start as a local time, LOCALTIMESTAMP), since a
 *	  later one would count as active every member who has not left yet,
 *	  and so the cohorts whose window is still open not at all.
 *
 * The state is the storable type churn.cohort_retention_state.  In an
 * aggregate it lives as an expanded object: dense counters per cohort
 * (ages + 2 of them: how many members are active at exactly the first m
 * ages), plus caches of the cohort boundaries and measuring instants, so a
 * row costs two binary searches and one increment.
 *
 * Over timestamptz, steps with months or days are taken in the session
 * TimeZone; such a state records the zone's key (format version 2, see
 * state_zone.h), and its combine and final functions refuse another zone.
 * Over timestamp without time zone the steps are timestamp + interval and
 * the state records none: the same cells in every zone (only what "now"
 * is, above, is read in the session's zone, as CURRENT_DATE is for dates).
 *
 * src/agg_cohort.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "agg_cohort.h"
#include "state_io.h"
#include "state_zone.h"

typedef struct ExpandedCohort
{
	ExpandedObjectHeader hdr;
	ChurnDomain domain;
	int32		ages;
	int64		origin;
	Interval	cohort_step;
	Interval	age_step;
	/* cohorts in use: kmin .. kmax (none when nused == 0) */
	int32		kmin;
	int32		kmax;
	int32		nused;
	/* allocated window: cohorts wmin .. wmin + wcap - 1 */
	int32		wmin;
	int32		wcap;
	int64	   *counts;			/* wcap × (ages + 2) */
	int64	   *agetimes;		/* wcap × (ages + 1): t(k, a) */
	int64	   *bounds;			/* wcap + 1: c(k) */
	double		approx_step;	/* mean length of cohort_step in units */
	/* key of the time zone of the local-time steps; zonelen 0: none */
	int			zonelen;
	char		zone[CHURN_ZONE_MAXLEN + 1];
} ExpandedCohort;

static Size cohort_get_flat_size(ExpandedObjectHeader *eohptr);
static void cohort_flatten_into(ExpandedObjectHeader *eohptr,
								void *result, Size allocated_size);

static const ExpandedObjectMethods cohort_methods =
{
	cohort_get_flat_size,
	cohort_flatten_into
};

static char *
cohort_interval_text(const Interval *iv)
{
	return DatumGetCString(DirectFunctionCall1(interval_out,
											   PointerGetDatum(iv)));
}

/*
 * A cohort_step / age_step: finite, no negative field, not zero.  Like every
 * check below, a failure is reported through escontext when the text input
 * of the state has one (a soft error, PostgreSQL 16+) and then returns
 * false; otherwise (escontext NULL: arguments, binary input) it throws.
 */
static bool
cohort_check_step(ChurnDomain domain, const Interval *step, const char *argname,
				  int errcode_value, Node *escontext)
{
#ifdef INTERVAL_NOT_FINITE
	if (INTERVAL_NOT_FINITE(step))
		churn_ereturn(escontext, false,
					  errcode(errcode_value),
					  errmsg("%s \"%s\" must be finite", argname,
							 cohort_interval_text(step)));
#endif
	if (step->month < 0 || step->day < 0 || step->time < 0 ||
		(step->month == 0 && step->day == 0 && step->time == 0))
		churn_ereturn(escontext, false,
					  errcode(errcode_value),
					  errmsg("%s \"%s\" must be positive", argname,
							 cohort_interval_text(step)),
					  errhint("Every field (months, days, time) must be zero or positive, and one of them positive."));
	if (domain == CHURN_DOMAIN_DATE && step->time != 0)
		churn_ereturn(escontext, false,
					  errcode(errcode_value),
					  errmsg("%s \"%s\" is not a whole number of days for date cohorts",
							 argname, cohort_interval_text(step)),
					  errhint("Use days, weeks, months or years, or timestamp or timestamptz arguments."));
	return true;
}

static bool
cohort_check_ages(int64 ages, int errcode_value, Node *escontext)
{
	if (ages < 0 || ages > COHORT_MAX_AGES)
		churn_ereturn(escontext, false,
					  errcode(errcode_value),
					  errmsg("ages %lld is out of range", (long long) ages),
					  errhint("Give a number of ages between 0 and %d.", COHORT_MAX_AGES));
	return true;
}

/* base + mult × step in the domain's units (calendar arithmetic). */
static int64
cohort_add(ChurnDomain domain, int64 base, const Interval *step, int64 mult)
{
	Interval	kstep;
	int64		r;

	if (mult < PG_INT32_MIN || mult > PG_INT32_MAX ||
		pg_mul_s32_overflow(step->month, (int32) mult, &kstep.month) ||
		pg_mul_s32_overflow(step->day, (int32) mult, &kstep.day) ||
		pg_mul_s64_overflow(step->time, mult, &kstep.time))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("cohort boundary out of range"),
				 errdetail("Step \"%s\" taken %lld times overflows.",
						   cohort_interval_text(step), (long long) mult)));
	r = churn_add_interval_us(domain, base, &kstep);
	if (r == PG_INT64_MAX || r == PG_INT64_MIN)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("cohort boundary out of range")));
	/* a date plus whole days and months is midnight: exact */
	return domain == CHURN_DOMAIN_DATE ? r / USECS_PER_DAY : r;
}

/* Whether cohorts and ages with these steps are taken in local time. */
static bool
cohort_uses_zone(ChurnDomain domain, const Interval *cohort_step,
				 const Interval *age_step)
{
	return domain == CHURN_DOMAIN_TIMESTAMPTZ &&
		(churn_interval_uses_zone(cohort_step) ||
		 churn_interval_uses_zone(age_step));
}

/* Give a state without a zone the zone (len bytes at zone). */
static void
cohort_set_zone(ExpandedCohort *ec, const char *zone, int len)
{
	Assert(len > 0 && len <= CHURN_ZONE_MAXLEN);
	memcpy(ec->zone, zone, len);
	ec->zone[len] = '\0';
	ec->zonelen = len;
}

/*
 * Rows counted in local time go into a state of the session's zone; one
 * without a zone (a new one, or churn 1.0's) takes it.
 */
static void
cohort_zone_for_session(ExpandedCohort *ec)
{
	const char *zone = churn_session_zone();
	int			len = strlen(zone);

	if (likely(ec->zonelen == len && memcmp(ec->zone, zone, len) == 0))
		return;
	if (ec->zonelen != 0)
		churn_zone_session_mismatch("cohort_retention", ec->zone);
	cohort_set_zone(ec, zone, len);
}

static ExpandedCohort *
cohort_new(MemoryContext parent, ChurnDomain domain, int32 ages, int64 origin,
		   const Interval *cohort_step, const Interval *age_step)
{
	MemoryContext objcxt;
	ExpandedCohort *ec;

	objcxt = AllocSetContextCreate(parent, "cohort_retention_state",
								   ALLOCSET_SMALL_SIZES);
	ec = MemoryContextAllocZero(objcxt, sizeof(ExpandedCohort));
	EOH_init_header(&ec->hdr, &cohort_methods, objcxt);
	ec->domain = domain;
	ec->ages = ages;
	ec->origin = origin;
	ec->cohort_step = *cohort_step;
	ec->age_step = *age_step;
	ec->approx_step = (double) cohort_step->month * DAYS_PER_MONTH * 1.0146 +
		(double) cohort_step->day;
	if (domain != CHURN_DOMAIN_DATE)
		ec->approx_step = ec->approx_step * USECS_PER_DAY + (double) cohort_step->time;
	return ec;
}

/* Fill the caches (boundary c(k+1), instants t(k, a)) of cohort k. */
static void
cohort_fill_caches(ExpandedCohort *ec, int32 k)
{
	int			i = k - ec->wmin;
	int64		end;
	int			a;

	ec->bounds[i] = cohort_add(ec->domain, ec->origin, &ec->cohort_step, k);
	end = cohort_add(ec->domain, ec->origin, &ec->cohort_step, (int64) k + 1);
	ec->bounds[i + 1] = end;
	for (a = 0; a <= ec->ages; a++)
		ec->agetimes[(Size) i * (ec->ages + 1) + a] =
			a == 0 ? end : cohort_add(ec->domain, end, &ec->age_step, a);
}

/* Make cohort k part of the used range, growing the window if needed. */
static void
cohort_use(ExpandedCohort *ec, int32 k)
{
	int32		newmin,
				newmax,
				k2;

	if (ec->nused > 0 && k >= ec->kmin && k <= ec->kmax)
		return;
	newmin = ec->nused > 0 ? Min(ec->kmin, k) : k;
	newmax = ec->nused > 0 ? Max(ec->kmax, k) : k;
	if ((int64) (newmax - (int64) newmin + 1) * (ec->ages + 2) > COHORT_MAX_CELLS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("cohort_retention would need more than %d cells", COHORT_MAX_CELLS),
				 errdetail("Cohorts %d to %d with %d ages each.", newmin, newmax, ec->ages + 1),
				 errhint("Use a longer cohort_step or filter out rows far from origin.")));

	if (ec->wcap == 0 || newmin < ec->wmin || newmax >= (int64) ec->wmin + ec->wcap)
	{
		/* grow geometrically on the side that overflowed */
		int64		span = (int64) newmax - newmin + 1;
		int64		cap = Max(span, (int64) ec->wcap * 2);
		int64		wmin;
		int64	   *counts,
				   *agetimes,
				   *bounds;

		cap = Max(cap, 8);
		cap = Min(cap, COHORT_MAX_CELLS / (ec->ages + 2) + 1);
		if (cap < span)
			cap = span;
		if (ec->wcap > 0 && newmin < ec->wmin)
			wmin = (int64) newmax - cap + 1;	/* grew downwards */
		else
			wmin = newmin;
		wmin = Max(wmin, (int64) PG_INT32_MIN);
		counts = MemoryContextAllocZero(ec->hdr.eoh_context,
										sizeof(int64) * cap * (ec->ages + 2));
		agetimes = MemoryContextAlloc(ec->hdr.eoh_context,
									  sizeof(int64) * cap * (ec->ages + 1));
		bounds = MemoryContextAlloc(ec->hdr.eoh_context, sizeof(int64) * (cap + 1));
		if (ec->nused > 0)
		{
			int64		off = ec->kmin - wmin;
			int			old = ec->kmin - ec->wmin;

			memcpy(counts + off * (ec->ages + 2), ec->counts + (Size) old * (ec->ages + 2),
				   sizeof(int64) * ec->nused * (ec->ages + 2));
			memcpy(agetimes + off * (ec->ages + 1), ec->agetimes + (Size) old * (ec->ages + 1),
				   sizeof(int64) * ec->nused * (ec->ages + 1));
			memcpy(bounds + off, ec->bounds + old, sizeof(int64) * (ec->nused + 1));
			pfree(ec->counts);
			pfree(ec->agetimes);
			pfree(ec->bounds);
		}
		ec->counts = counts;
		ec->agetimes = agetimes;
		ec->bounds = bounds;
		ec->wmin = (int32) wmin;
		ec->wcap = (int32) cap;
	}
	for (k2 = newmin; k2 <= newmax; k2++)
	{
		if (ec->nused > 0 && k2 >= ec->kmin && k2 <= ec->kmax)
		{
			k2 = ec->kmax;
			continue;
		}
		cohort_fill_caches(ec, k2);
	}
	ec->kmin = newmin;
	ec->kmax = newmax;
	ec->nused = newmax - newmin + 1;
}

/* The cohort number of since (since finite). */
static int32
cohort_locate(ExpandedCohort *ec, int64 since)
{
	double		est;
	int64		k;

	/* fast path: inside the cohorts already in use */
	if (ec->nused > 0)
	{
		int			off = ec->kmin - ec->wmin;
		int			idx = churn_step_index(ec->bounds + off, ec->nused, since);

		if (idx >= 0 && idx < ec->nused)
			return ec->kmin + idx;
	}
	est = floor(((double) since - (double) ec->origin) / ec->approx_step);
	if (est < PG_INT32_MIN || est > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("since \"%s\" is too far from origin \"%s\"",
						churn_value_out(ec->domain, since),
						churn_value_out(ec->domain, ec->origin))));
	k = (int64) est;
	while (cohort_add(ec->domain, ec->origin, &ec->cohort_step, k) > since)
		k--;
	while (cohort_add(ec->domain, ec->origin, &ec->cohort_step, k + 1) <= since)
		k++;
	if (k < PG_INT32_MIN || k >= PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("since \"%s\" is too far from origin \"%s\"",
						churn_value_out(ec->domain, since),
						churn_value_out(ec->domain, ec->origin))));
	return (int32) k;
}

/* Count one member of cohort k whose membership ends at until. */
static inline void
cohort_count(ExpandedCohort *ec, int32 k, bool until_null, int64 until)
{
	int			i = k - ec->wmin;
	int			m;

	if (until_null)
		m = ec->ages + 1;
	else
	{
		/* m = number of ages a with t(k, a) <= until */
		const int64 *t = ec->agetimes + (Size) i * (ec->ages + 1);
		int			lo = 0,
					hi = ec->ages + 1;

		while (lo < hi)
		{
			int			mid = (lo + hi) / 2;

			if (t[mid] <= until)
				lo = mid + 1;
			else
				hi = mid;
		}
		m = lo;
	}
	ec->counts[(Size) i * (ec->ages + 2) + m]++;
}

static bool
cohort_is_rw_expanded(Datum d)
{
	return VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d)) &&
		DatumGetEOHP(d)->eoh_methods == &cohort_methods;
}

static Size
cohort_get_flat_size(ExpandedObjectHeader *eohptr)
{
	ExpandedCohort *ec = (ExpandedCohort *) eohptr;

	return COHORT_STATE_SIZE(ec->nused, ec->ages) + ec->zonelen;
}

static void
cohort_flatten_into(ExpandedObjectHeader *eohptr, void *result,
					Size allocated_size)
{
	ExpandedCohort *ec = (ExpandedCohort *) eohptr;
	CohortState *s = (CohortState *) result;

	memset(s, 0, COHORT_STATE_HDRSZ);
	SET_VARSIZE(s, allocated_size);
	s->version = ec->zonelen ? COHORT_STATE_VERSION_ZONE : COHORT_STATE_VERSION;
	s->zonelen = (uint16) ec->zonelen;
	s->domain = (uint8) ec->domain;
	s->ages = ec->ages;
	s->origin = ec->origin;
	s->cohort_step = ec->cohort_step;
	s->age_step = ec->age_step;
	s->first = ec->nused > 0 ? ec->kmin : 0;
	s->ncohorts = ec->nused;
	if (ec->nused > 0)
		memcpy(s->counts,
			   ec->counts + (Size) (ec->kmin - ec->wmin) * (ec->ages + 2),
			   sizeof(int64) * ec->nused * (ec->ages + 2));
	if (ec->zonelen > 0)
		memcpy(COHORT_STATE_ZONE(s), ec->zone, ec->zonelen);
}

static bool
cohort_same_params(ExpandedCohort *ec, ChurnDomain domain, int32 ages,
				   int64 origin, const Interval *cs, const Interval *as)
{
	return ec->domain == domain && ec->ages == ages && ec->origin == origin &&
		cs->time == ec->cohort_step.time && cs->day == ec->cohort_step.day &&
		cs->month == ec->cohort_step.month &&
		as->time == ec->age_step.time && as->day == ec->age_step.day &&
		as->month == ec->age_step.month;
}

static void
cohort_params_differ(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("cohort_retention parameters differ between rows or states"),
			 errdetail("origin, cohort_step, age_step and ages must be the same for every row of a group.")));
}

/* Add the counts of a flat state into an expanded one. */
static void
cohort_merge_flat(ExpandedCohort *ec, const CohortState *s)
{
	int32		j;
	int			m;

	/*
	 * States of two time zones are refused first (their origins, taken at
	 * local midnight, may differ too, but the zone is the cause); a state
	 * without a zone (churn 1.0's) combines with any.
	 */
	if (ec->zonelen > 0 && s->zonelen > 0 &&
		(ec->zonelen != s->zonelen ||
		 memcmp(ec->zone, COHORT_STATE_ZONE(s), s->zonelen) != 0))
		churn_zone_combine_mismatch("cohort_retention", ec->zone,
									pnstrdup(COHORT_STATE_ZONE(s), s->zonelen));
	if (!cohort_same_params(ec, (ChurnDomain) s->domain, s->ages, s->origin,
							&s->cohort_step, &s->age_step))
		cohort_params_differ();
	/* the same parameters: both use the time zone or neither */
	if (s->zonelen > 0 && ec->zonelen == 0)
		cohort_set_zone(ec, COHORT_STATE_ZONE(s), s->zonelen);
	for (j = 0; j < s->ncohorts; j++)
	{
		const int64 *src = s->counts + (Size) j * (s->ages + 2);
		int64	   *dst;
		bool		any = false;

		for (m = 0; m < s->ages + 2; m++)
			any |= src[m] != 0;
		if (!any)
			continue;
		cohort_use(ec, s->first + j);
		dst = ec->counts + (Size) (s->first + j - ec->wmin) * (ec->ages + 2);
		for (m = 0; m < s->ages + 2; m++)
			if (pg_add_s64_overflow(dst[m], src[m], &dst[m]))
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("cohort_retention count out of range")));
	}
}

static ExpandedCohort *
cohort_expand(const CohortState *s, MemoryContext parent)
{
	ExpandedCohort *ec = cohort_new(parent, (ChurnDomain) s->domain, s->ages,
									s->origin, &s->cohort_step, &s->age_step);

	cohort_merge_flat(ec, s);
	return ec;
}

static Datum
cohort_trans_common(FunctionCallInfo fcinfo, ChurnDomain domain)
{
	MemoryContext aggcontext;
	ExpandedCohort *ec = NULL;
	int64		since,
				until = 0,
				origin;
	bool		until_null;
	Interval   *cs,
			   *as;
	int32		ages;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("churn.%s can only be called by an aggregate", "cohort_retention_trans"),
				 errhint("Merge stored values with the churn.rollup aggregate, or an aggregate of your own over this function.")));

	if (!PG_ARGISNULL(0))
	{
		if (cohort_is_rw_expanded(PG_GETARG_DATUM(0)))
			ec = (ExpandedCohort *) DatumGetEOHP(PG_GETARG_DATUM(0));
		else
			ec = cohort_expand(PG_GETARG_COHORT_STATE_P(0), aggcontext);
	}
	if (PG_ARGISNULL(1))
	{
		/* not a customer (no since): skipped */
		if (ec == NULL)
			PG_RETURN_NULL();
		return EOHPGetRWDatum(&ec->hdr);
	}
	if (PG_ARGISNULL(3) || PG_ARGISNULL(4) || PG_ARGISNULL(5) || PG_ARGISNULL(6))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cohort_retention origin, cohort_step, age_step and ages must not be null")));

	since = churn_value_from_datum(domain, PG_GETARG_DATUM(1));
	until_null = PG_ARGISNULL(2);
	if (!until_null)
		until = churn_value_from_datum(domain, PG_GETARG_DATUM(2));
	origin = churn_value_from_datum(domain, PG_GETARG_DATUM(3));
	cs = PG_GETARG_INTERVAL_P(4);
	as = PG_GETARG_INTERVAL_P(5);
	ages = PG_GETARG_INT32(6);

	if (ec == NULL)
	{
		if (!churn_value_is_finite(domain, origin))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("origin \"%s\" must be finite",
							churn_value_out(domain, origin))));
		cohort_check_step(domain, cs, "cohort_step",
						  ERRCODE_INVALID_PARAMETER_VALUE, NULL);
		cohort_check_step(domain, as, "age_step",
						  ERRCODE_INVALID_PARAMETER_VALUE, NULL);
		cohort_check_ages(ages, ERRCODE_INVALID_PARAMETER_VALUE, NULL);
		ec = cohort_new(aggcontext, domain, ages, origin, cs, as);
	}
	else if (!cohort_same_params(ec, domain, ages, origin, cs, as))
		cohort_params_differ();
	if (cohort_uses_zone(domain, cs, as))
		cohort_zone_for_session(ec);

	if (!churn_value_is_finite(domain, since))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("since \"%s\" must be finite",
						churn_value_out(domain, since))));
	churn_check_since_until(domain, since, until_null, until);

	{
		int32		k = cohort_locate(ec, since);

		cohort_use(ec, k);
		cohort_count(ec, k, until_null, until);
	}
	return EOHPGetRWDatum(&ec->hdr);
}

PG_FUNCTION_INFO_V1(cohort_retention_trans_date);
Datum
cohort_retention_trans_date(PG_FUNCTION_ARGS)
{
	return cohort_trans_common(fcinfo, CHURN_DOMAIN_DATE);
}

PG_FUNCTION_INFO_V1(cohort_retention_trans_tstz);
Datum
cohort_retention_trans_tstz(PG_FUNCTION_ARGS)
{
	return cohort_trans_common(fcinfo, CHURN_DOMAIN_TIMESTAMPTZ);
}

PG_FUNCTION_INFO_V1(cohort_retention_trans_ts);
Datum
cohort_retention_trans_ts(PG_FUNCTION_ARGS)
{
	return cohort_trans_common(fcinfo, CHURN_DOMAIN_TIMESTAMP);
}

PG_FUNCTION_INFO_V1(cohort_retention_combine);
Datum
cohort_retention_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	ExpandedCohort *ec;
	CohortState *other;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("churn.%s can only be called by an aggregate", "cohort_retention_combine"),
				 errhint("Merge stored values with the churn.rollup aggregate, or an aggregate of your own over this function.")));
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	other = PG_GETARG_COHORT_STATE_P(1);
	if (PG_ARGISNULL(0))
		ec = cohort_expand(other, aggcontext);
	else
	{
		if (cohort_is_rw_expanded(PG_GETARG_DATUM(0)))
			ec = (ExpandedCohort *) DatumGetEOHP(PG_GETARG_DATUM(0));
		else
			ec = cohort_expand(PG_GETARG_COHORT_STATE_P(0), aggcontext);
		cohort_merge_flat(ec, other);
	}
	return EOHPGetRWDatum(&ec->hdr);
}

/*
 * Final function: an array of the row type of the final function's result,
 * (cohort, cohort_start, age, measured_at, cohort_size, active, rate) for
 * every non-empty cohort and every age observed by now.
 */
static Datum
cohort_final_common(FunctionCallInfo fcinfo, ChurnDomain want)
{
	CohortState *s = PG_GETARG_COHORT_STATE_P(0);
	ChurnRowArray *ra = churn_row_array(fcinfo, 7, "cohort_retention_final");
	Datum	   *elems;
	int			nelems = 0;
	int			cap = 16;
	int32		j;
	ChurnDomain domain = (ChurnDomain) s->domain;
	int64		now;

	if (s->domain != want)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cohort_retention_state of %s values cannot give %s rows",
						churn_domain_name(domain), churn_domain_name(want))));
	/* the cells' instants are computed below, in the session's zone */
	if (s->zonelen > 0)
	{
		const char *zone = churn_session_zone();

		if (s->zonelen != strlen(zone) ||
			memcmp(COHORT_STATE_ZONE(s), zone, s->zonelen) != 0)
			churn_zone_session_mismatch("cohort_retention",
										pnstrdup(COHORT_STATE_ZONE(s), s->zonelen));
	}
	elems = palloc(sizeof(Datum) * cap);
	if (domain == CHURN_DOMAIN_DATE)
		now = (int64) GetSQLCurrentDate();
	else if (domain == CHURN_DOMAIN_TIMESTAMP)
		now = (int64) GetSQLLocalTimestamp(-1);
	else
		now = (int64) GetCurrentTransactionStartTimestamp();

	for (j = 0; j < s->ncohorts; j++)
	{
		const int64 *c = s->counts + (Size) j * (s->ages + 2);
		int64		size = 0;
		int64		active;
		int64		start,
					end;
		int			m,
					a;

		for (m = 0; m < s->ages + 2; m++)
			size += c[m];
		if (size == 0)
			continue;
		start = cohort_add(domain, s->origin, &s->cohort_step, s->first + j);
		end = cohort_add(domain, s->origin, &s->cohort_step, (int64) s->first + j + 1);
		active = size;
		for (a = 0; a <= s->ages; a++)
		{
			Datum		values[7];
			bool		nulls[7] = {false};
			int64		measured = a == 0 ? end : cohort_add(domain, end, &s->age_step, a);

			/* not observed yet, nor any later age */
			if (measured > now)
				break;
			active -= c[a];		/* members active at fewer than a + 1 ages */
			values[0] = Int32GetDatum(s->first + j);
			values[1] = churn_value_to_datum(domain, start);
			values[2] = Int32GetDatum(a);
			values[3] = churn_value_to_datum(domain, measured);
			values[4] = Int64GetDatum(size);
			values[5] = Int64GetDatum(active);
			values[6] = Float8GetDatum((double) active / (double) size);
			if (nelems == cap)
			{
				cap *= 2;
				elems = repalloc(elems, sizeof(Datum) * cap);
			}
			elems[nelems++] = HeapTupleGetDatum(heap_form_tuple(ra->tupdesc, values, nulls));
		}
	}
	return churn_row_array_build(ra, elems, nelems);
}

PG_FUNCTION_INFO_V1(cohort_retention_final_date);
Datum
cohort_retention_final_date(PG_FUNCTION_ARGS)
{
	return cohort_final_common(fcinfo, CHURN_DOMAIN_DATE);
}

PG_FUNCTION_INFO_V1(cohort_retention_final_tstz);
Datum
cohort_retention_final_tstz(PG_FUNCTION_ARGS)
{
	return cohort_final_common(fcinfo, CHURN_DOMAIN_TIMESTAMPTZ);
}

PG_FUNCTION_INFO_V1(cohort_retention_final_ts);
Datum
cohort_retention_final_ts(PG_FUNCTION_ARGS)
{
	return cohort_final_common(fcinfo, CHURN_DOMAIN_TIMESTAMP);
}

/*
 * Check every field of a flat state that came from outside: soft through
 * escontext as the checks above, so with escontext NULL (binary input) this
 * returns only true.
 */
static bool
cohort_state_check(const CohortState *s, int errcode_value, Node *escontext)
{
	int64		ncells;
	int64		i;

	if (s->version != COHORT_STATE_VERSION && s->version != COHORT_STATE_VERSION_ZONE)
		churn_ereturn(escontext, false,
					  errcode(errcode_value),
					  errmsg("unsupported cohort_retention_state format version %d", s->version),
					  errhint("This version of churn reads versions %d and %d.",
							  COHORT_STATE_VERSION, COHORT_STATE_VERSION_ZONE));
	if (!ChurnDomainIsValid(s->domain))
		churn_ereturn(escontext, false,
					  errcode(errcode_value),
					  errmsg("invalid cohort_retention_state domain %d", s->domain));
	if (!cohort_check_ages(s->ages, errcode_value, escontext) ||
		!cohort_check_step((ChurnDomain) s->domain, &s->cohort_step,
						   "cohort_step", errcode_value, escontext) ||
		!cohort_check_step((ChurnDomain) s->domain, &s->age_step,
						   "age_step", errcode_value, escontext))
		return false;
	if ((s->domain == CHURN_DOMAIN_DATE && DATE_NOT_FINITE((DateADT) s->origin)) ||
		(s->domain == CHURN_DOMAIN_DATE && (s->origin < PG_INT32_MIN || s->origin > PG_INT32_MAX)) ||
		(s->domain != CHURN_DOMAIN_DATE && (TIMESTAMP_NOT_FINITE(s->origin) ||
											!IS_VALID_TIMESTAMP(s->origin))))
		churn_ereturn(escontext, false,
					  errcode(errcode_value),
					  errmsg("invalid cohort_retention_state origin"));
	if (s->ncohorts < 0 ||
		(int64) s->ncohorts * (s->ages + 2) > COHORT_MAX_CELLS ||
		(int64) s->first + s->ncohorts > PG_INT32_MAX)
		churn_ereturn(escontext, false,
					  errcode(errcode_value),
					  errmsg("invalid number of cohorts %d in cohort_retention_state", s->ncohorts));
	ncells = (int64) s->ncohorts * (s->ages + 2);
	for (i = 0; i < ncells; i++)
		if (s->counts[i] < 0)
			churn_ereturn(escontext, false,
						  errcode(errcode_value),
						  errmsg("negative count in cohort_retention_state"));
	for (i = 0; i < s->ncohorts; i++)
	{
		int64		size = 0;
		int			m;

		for (m = 0; m < s->ages + 2; m++)
			if (pg_add_s64_overflow(size, s->counts[i * (s->ages + 2) + m], &size))
				churn_ereturn(escontext, false,
							  errcode(errcode_value),
							  errmsg("cohort_retention_state count out of range"));
	}
	if (s->version == COHORT_STATE_VERSION_ZONE &&
		!churn_zone_key_valid(COHORT_STATE_ZONE(s), s->zonelen))
		churn_ereturn(escontext, false,
					  errcode(errcode_value),
					  errmsg("invalid time zone \"%.*s\" in cohort_retention_state",
							 (int) s->zonelen, COHORT_STATE_ZONE(s)));
	if (s->version == COHORT_STATE_VERSION ? s->zonelen != 0 :
		!cohort_uses_zone((ChurnDomain) s->domain, &s->cohort_step, &s->age_step))
		churn_ereturn(escontext, false,
					  errcode(errcode_value),
					  errmsg("invalid time zone in cohort_retention_state"),
					  errdetail("Only a version %d state with steps of months or days over timestamptz has a time zone.",
								COHORT_STATE_VERSION_ZONE));
	return true;
}

static CohortState *
cohort_state_alloc(int32 ncohorts, int32 ages, int zonelen)
{
	CohortState *s;

	if (ncohorts < 0 || ages < 0 || ages > COHORT_MAX_AGES ||
		(int64) ncohorts * (ages + 2) > COHORT_MAX_CELLS ||
		zonelen < 0 || zonelen > CHURN_ZONE_MAXLEN)
		return NULL;
	s = palloc0(COHORT_STATE_SIZE(ncohorts, ages) + zonelen);
	SET_VARSIZE(s, COHORT_STATE_SIZE(ncohorts, ages) + zonelen);
	s->ncohorts = ncohorts;
	s->ages = ages;
	s->zonelen = (uint16) zonelen;
	return s;
}

/*
 * Text form, independent of DateStyle, IntervalStyle and TimeZone:
 * "v1 <date|timestamptz|timestamp> <origin> <cohort_step> <age_step> <ages>
 * <first> <ncohorts> <counts>", origin in days or microseconds since
 * 2000-01-01 (UTC for timestamptz; local for timestamp, a domain of 1.1),
 * steps as months:days:microseconds, and per cohort its ages + 2 counters
 * joined by commas.  Version 2 has the key of the time zone,
 * double-quoted, after the domain: "v2 timestamptz "Europe/Berlin" ...".
 */
PG_FUNCTION_INFO_V1(cohort_retention_state_in);
Datum
cohort_retention_state_in(PG_FUNCTION_ARGS)
{
	char	   *input = PG_GETARG_CSTRING(0);
	char	   *p = input;
	char	   *end;
	int			domain;
	long long	origin,
				ages,
				first,
				ncohorts;
	long long	csm,
				csd,
				cst,
				asm_,
				asd,
				ast;
	CohortState *s;
	int64		i,
				ncells;
	int			version;
	const char *zone = NULL;
	int			zonelen = 0;

	/* soft errors (PostgreSQL 16+) return at once: no half-built value */
#define BAD_TEXT() \
	churn_ereturn(fcinfo->context, (Datum) 0, \
				  errcode(ERRCODE_INVALID_TEXT_REPRESENTATION), \
				  errmsg("invalid input syntax for type %s: \"%s\"", \
						 "cohort_retention_state", input))
#define NEXT_INT(var, sep) \
	do { \
		while (*p == ' ') p++; \
		errno = 0; \
		(var) = strtoll(p, &end, 10); \
		if (end == p || errno != 0 || (*end != (sep) && !((sep) == ' ' && *end == '\0'))) \
			BAD_TEXT(); \
		p = end + (*end != '\0' ? 1 : 0); \
	} while (0)

	while (*p == ' ')
		p++;
	if (strncmp(p, "v1 ", 3) == 0)
		version = COHORT_STATE_VERSION;
	else if (strncmp(p, "v2 ", 3) == 0)
		version = COHORT_STATE_VERSION_ZONE;
	else
	{
		if (*p == 'v')
			churn_ereturn(fcinfo->context, (Datum) 0,
						  errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
						  errmsg("unsupported cohort_retention_state format \"%s\"", input),
						  errhint("This version of churn reads versions %d and %d.",
								  COHORT_STATE_VERSION, COHORT_STATE_VERSION_ZONE));
		BAD_TEXT();
	}
	p += 3;
	while (*p == ' ')
		p++;
	if (strncmp(p, "date ", 5) == 0)
	{
		domain = CHURN_DOMAIN_DATE;
		p += 5;
	}
	else if (strncmp(p, "timestamptz ", 12) == 0)
	{
		domain = CHURN_DOMAIN_TIMESTAMPTZ;
		p += 12;
	}
	else if (strncmp(p, "timestamp ", 10) == 0)
	{
		domain = CHURN_DOMAIN_TIMESTAMP;
		p += 10;
	}
	else
		BAD_TEXT();
	if (version == COHORT_STATE_VERSION_ZONE)
	{
		/* a key holds no double quote (state_zone.h) */
		while (*p == ' ')
			p++;
		if (*p++ != '"')
			BAD_TEXT();
		zone = p;
		while (*p && *p != '"')
			p++;
		if (*p != '"')
			BAD_TEXT();
		zonelen = p - zone;
		p++;
		if (*p != ' ')
			BAD_TEXT();
	}
	NEXT_INT(origin, ' ');
	NEXT_INT(csm, ':');
	NEXT_INT(csd, ':');
	NEXT_INT(cst, ' ');
	NEXT_INT(asm_, ':');
	NEXT_INT(asd, ':');
	NEXT_INT(ast, ' ');
	NEXT_INT(ages, ' ');
	NEXT_INT(first, ' ');
	NEXT_INT(ncohorts, ' ');
	/* ncohorts bounded first: the product must not overflow */
	if (ages < 0 || ages > COHORT_MAX_AGES ||
		ncohorts < 0 || ncohorts > COHORT_MAX_CELLS ||
		ncohorts * (ages + 2) > COHORT_MAX_CELLS ||
		ncohorts * (ages + 2) > (long long) strlen(p) ||	/* a digit each */
		first < PG_INT32_MIN || first > PG_INT32_MAX ||
		csm < PG_INT32_MIN || csm > PG_INT32_MAX || csd < PG_INT32_MIN || csd > PG_INT32_MAX ||
		asm_ < PG_INT32_MIN || asm_ > PG_INT32_MAX || asd < PG_INT32_MIN || asd > PG_INT32_MAX)
		BAD_TEXT();
	s = cohort_state_alloc((int32) ncohorts, (int32) ages, zonelen);
	if (s == NULL)
		BAD_TEXT();
	s->version = (uint8) version;
	if (zonelen > 0)
		memcpy(COHORT_STATE_ZONE(s), zone, zonelen);
	s->domain = (uint8) domain;
	s->origin = origin;
	s->cohort_step.month = (int32) csm;
	s->cohort_step.day = (int32) csd;
	s->cohort_step.time = cst;
	s->age_step.month = (int32) asm_;
	s->age_step.day = (int32) asd;
	s->age_step.time = ast;
	s->first = (int32) first;
	ncells = ncohorts * (ages + 2);
	for (i = 0; i < ncells; i++)
	{
		long long	v;
		char		sep = ((i + 1) % (ages + 2) == 0) ? ' ' : ',';

		NEXT_INT(v, sep);
		s->counts[i] = v;
	}
	while (*p == ' ')
		p++;
	if (*p != '\0')
		BAD_TEXT();
#undef NEXT_INT
#undef BAD_TEXT
	if (!cohort_state_check(s, ERRCODE_INVALID_TEXT_REPRESENTATION,
							fcinfo->context))
		return (Datum) 0;		/* soft error (PostgreSQL 16+) */
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(cohort_retention_state_out);
Datum
cohort_retention_state_out(PG_FUNCTION_ARGS)
{
	CohortState *s = PG_GETARG_COHORT_STATE_P(0);
	StringInfoData buf;
	int64		i,
				ncells = (int64) s->ncohorts * (s->ages + 2);

	initStringInfo(&buf);
	appendStringInfo(&buf, "v%d %s ", s->version,
					 churn_domain_name((ChurnDomain) s->domain));
	if (s->zonelen > 0)
		appendStringInfo(&buf, "\"%.*s\" ", (int) s->zonelen, COHORT_STATE_ZONE(s));
	appendStringInfo(&buf, INT64_FORMAT " %d:%d:" INT64_FORMAT " %d:%d:" INT64_FORMAT " %d %d %d",
					 s->origin,
					 s->cohort_step.month, s->cohort_step.day, s->cohort_step.time,
					 s->age_step.month, s->age_step.day, s->age_step.time,
					 s->ages, s->first, s->ncohorts);
	for (i = 0; i < ncells; i++)
		appendStringInfo(&buf, "%c" INT64_FORMAT,
						 i % (s->ages + 2) == 0 ? ' ' : ',', s->counts[i]);
	PG_RETURN_CSTRING(buf.data);
}

/*
 * Binary form: version byte, domain byte, in version 2 an int32 length and
 * the bytes of the time zone key, int32 ages, int64 origin, the two steps
 * as (int32 months, int32 days, int64 microseconds), int32 first, int32
 * ncohorts, then the counters as int64.
 */
PG_FUNCTION_INFO_V1(cohort_retention_state_recv);
Datum
cohort_retention_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			version,
				domain;
	int32		ages,
				first,
				ncohorts;
	int64		origin;
	Interval	cs,
				as;
	CohortState *s;
	int64		i,
				ncells;
	int32		zonelen = 0;
	const char *zone = NULL;

	version = pq_getmsgbyte(buf);
	if (version != COHORT_STATE_VERSION && version != COHORT_STATE_VERSION_ZONE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported cohort_retention_state format version %d", version),
				 errhint("This version of churn reads versions %d and %d.",
						 COHORT_STATE_VERSION, COHORT_STATE_VERSION_ZONE)));
	domain = pq_getmsgbyte(buf);
	if (version == COHORT_STATE_VERSION_ZONE)
	{
		zonelen = pq_getmsgint(buf, 4);
		if (zonelen < 1 || zonelen > CHURN_ZONE_MAXLEN ||
			zonelen > buf->len - buf->cursor)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid time zone in cohort_retention_state")));
		zone = pq_getmsgbytes(buf, zonelen);
	}
	ages = pq_getmsgint(buf, 4);
	origin = pq_getmsgint64(buf);
	cs.month = pq_getmsgint(buf, 4);
	cs.day = pq_getmsgint(buf, 4);
	cs.time = pq_getmsgint64(buf);
	as.month = pq_getmsgint(buf, 4);
	as.day = pq_getmsgint(buf, 4);
	as.time = pq_getmsgint64(buf);
	first = pq_getmsgint(buf, 4);
	ncohorts = pq_getmsgint(buf, 4);
	if (ages < 0 || ages > COHORT_MAX_AGES || ncohorts < 0 ||
		(int64) ncohorts * (ages + 2) > (buf->len - buf->cursor) / 8)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid size in external cohort_retention_state value")));
	s = cohort_state_alloc(ncohorts, ages, zonelen);
	if (s == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid size in external cohort_retention_state value")));
	s->version = (uint8) version;
	if (zonelen > 0)
		memcpy(COHORT_STATE_ZONE(s), zone, zonelen);
	s->domain = (uint8) domain;
	s->origin = origin;
	s->cohort_step = cs;
	s->age_step = as;
	s->first = first;
	ncells = (int64) ncohorts * (ages + 2);
	for (i = 0; i < ncells; i++)
		s->counts[i] = pq_getmsgint64(buf);
	pq_getmsgend(buf);
	/* binary input errors stay hard, as for the other types */
	cohort_state_check(s, ERRCODE_INVALID_BINARY_REPRESENTATION, NULL);
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(cohort_retention_state_send);
Datum
cohort_retention_state_send(PG_FUNCTION_ARGS)
{
	CohortState *s = PG_GETARG_COHORT_STATE_P(0);
	StringInfoData buf;
	int64		i,
				ncells = (int64) s->ncohorts * (s->ages + 2);

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, s->version);
	pq_sendbyte(&buf, s->domain);
	if (s->zonelen > 0)
	{
		pq_sendint32(&buf, s->zonelen);
		pq_sendbytes(&buf, COHORT_STATE_ZONE(s), s->zonelen);
	}
	pq_sendint32(&buf, s->ages);
	pq_sendint64(&buf, s->origin);
	pq_sendint32(&buf, s->cohort_step.month);
	pq_sendint32(&buf, s->cohort_step.day);
	pq_sendint64(&buf, s->cohort_step.time);
	pq_sendint32(&buf, s->age_step.month);
	pq_sendint32(&buf, s->age_step.day);
	pq_sendint64(&buf, s->age_step.time);
	pq_sendint32(&buf, s->first);
	pq_sendint32(&buf, s->ncohorts);
	for (i = 0; i < ncells; i++)
		pq_sendint64(&buf, s->counts[i]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}
