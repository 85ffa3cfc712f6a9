/*-------------------------------------------------------------------------
 *
 * period.c
 *	  Half-open periods, since/until validation and calendar step boundaries.
 *
 * See period.h for the representation.  Everything a user can get wrong here
 * (an empty or unbounded period, a step that does not advance, until before
 * since) is ERROR 22023 quoting the offending value.
 *
 * src/period.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/int.h"
#include "datatype/timestamp.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/rangetypes.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "period.h"

static char *interval_text(const Interval *iv);
static int	date_to_timestamp(DateADT d, Timestamp *ts);
static char *range_text(Datum range, Oid rngtypid);
static void check_finite_interval(const Interval *iv, const char *argname);

ChurnDomain
churn_domain_of_range_type(Oid rngtypid)
{
	if (rngtypid == DATERANGEOID)
		return CHURN_DOMAIN_DATE;
	if (rngtypid == TSTZRANGEOID)
		return CHURN_DOMAIN_TIMESTAMPTZ;
	if (rngtypid == TSRANGEOID)
		return CHURN_DOMAIN_TIMESTAMP;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("period of type %s is not supported",
					format_type_be(rngtypid)),
			 errhint("Use a daterange, a tsrange or a tstzrange.")));
	pg_unreachable();
}

const char *
churn_domain_name(ChurnDomain domain)
{
	switch (domain)
	{
		case CHURN_DOMAIN_DATE:
			return "date";
		case CHURN_DOMAIN_TIMESTAMPTZ:
			return "timestamptz";
		case CHURN_DOMAIN_TIMESTAMP:
			return "timestamp";
	}
	elog(ERROR, "unknown churn domain %d", (int) domain);
	pg_unreachable();
}

char
churn_domain_letter(ChurnDomain domain)
{
	switch (domain)
	{
		case CHURN_DOMAIN_DATE:
			return 'd';
		case CHURN_DOMAIN_TIMESTAMPTZ:
			return 't';
		case CHURN_DOMAIN_TIMESTAMP:
			return 'l';
	}
	elog(ERROR, "unknown churn domain %d", (int) domain);
	pg_unreachable();
}

bool
churn_domain_of_letter(char c, ChurnDomain *domain)
{
	switch (c)
	{
		case 'd':
			*domain = CHURN_DOMAIN_DATE;
			return true;
		case 't':
			*domain = CHURN_DOMAIN_TIMESTAMPTZ;
			return true;
		case 'l':
			*domain = CHURN_DOMAIN_TIMESTAMP;
			return true;
	}
	return false;
}

void
churn_report_domain_mismatch(ChurnDomain d1, ChurnDomain d2)
{
	/*
	 * Named in one order (date, timestamp, timestamptz) whichever of the two
	 * the group saw first, so that a message reads the same from every plan.
	 */
	static const int rank[] = {0, 2, 1};	/* by ChurnDomain value */
	ChurnDomain first = rank[d1] <= rank[d2] ? d1 : d2;
	ChurnDomain second = rank[d1] <= rank[d2] ? d2 : d1;

	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("cannot mix %s and %s rows or states in one group",
					churn_domain_name(first), churn_domain_name(second))));
}

static char *
interval_text(const Interval *iv)
{
	return DatumGetCString(DirectFunctionCall1(interval_out,
											   PointerGetDatum(iv)));
}

/*
 * A finite date as a timestamp (midnight); returns +1 / -1 (and no value)
 * when it is beyond the timestamp range, 0 otherwise.  Done here rather than
 * with date2timestamp_opt_overflow, whose signature is not stable across
 * major versions.
 */
static int
date_to_timestamp(DateADT d, Timestamp *ts)
{
	if (d >= (TIMESTAMP_END_JULIAN - POSTGRES_EPOCH_JDATE))
		return 1;
	if (d < (DATETIME_MIN_JULIAN - POSTGRES_EPOCH_JDATE))
		return -1;
	*ts = (Timestamp) d * USECS_PER_DAY;
	return 0;
}

/* range_out needs an flinfo: go through the type's output function */
static char *
range_text(Datum range, Oid rngtypid)
{
	Oid			typoutput;
	bool		typisvarlena;

	getTypeOutputInfo(rngtypid, &typoutput, &typisvarlena);
	return OidOutputFunctionCall(typoutput, range);
}

char *
churn_value_out(ChurnDomain domain, int64 value)
{
	if (domain == CHURN_DOMAIN_DATE)
		return DatumGetCString(DirectFunctionCall1(date_out,
												   DateADTGetDatum((DateADT) value)));
	if (domain == CHURN_DOMAIN_TIMESTAMP)
		return DatumGetCString(DirectFunctionCall1(timestamp_out,
												   TimestampGetDatum((Timestamp) value)));
	return DatumGetCString(DirectFunctionCall1(timestamptz_out,
											   TimestampTzGetDatum((TimestampTz) value)));
}

char *
churn_period_out(ChurnDomain domain, const ChurnPeriod *period)
{
	return psprintf("[\"%s\",\"%s\")",
					churn_value_out(domain, period->lower),
					churn_value_out(domain, period->upper));
}

void
churn_period_from_range(Datum range, ChurnDomain domain, const char *argname,
						ChurnPeriod *period)
{
	RangeType  *r = DatumGetRangeTypeP(range);
	TypeCacheEntry *typcache;
	RangeBound	lb,
				ub;
	bool		empty;
	int64		lower,
				upper;

	if (churn_domain_of_range_type(RangeTypeGetOid(r)) != domain)
		elog(ERROR, "period of type %s does not match the aggregate's domain",
			 format_type_be(RangeTypeGetOid(r)));

	typcache = lookup_type_cache(RangeTypeGetOid(r), TYPECACHE_RANGE_INFO);
	range_deserialize(typcache, r, &lb, &ub, &empty);

	if (empty)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be empty", argname),
				 errhint("Give a range such as '[2024-01-01,2024-04-01)'.")));
	if (lb.infinite || ub.infinite)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s \"%s\" must have a lower and an upper bound",
						argname,
						range_text(range, RangeTypeGetOid(r))),
				 errhint("Give a range such as '[2024-01-01,2024-04-01)'.")));

	lower = churn_value_from_datum(domain, lb.val);
	upper = churn_value_from_datum(domain, ub.val);

	if (!churn_value_is_finite(domain, lower) ||
		!churn_value_is_finite(domain, upper))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s \"%s\" must have finite bounds",
						argname,
						range_text(range, RangeTypeGetOid(r)))));

	/*
	 * Convert exactly to half-open: every domain is integers (days or
	 * microseconds), so an exclusive lower bound a is the inclusive a + 1 and
	 * an inclusive upper bound b is the exclusive b + 1.  Finite values are
	 * far from the int64 / int32 limits, so this cannot overflow.
	 */
	if (!lb.inclusive)
		lower += 1;
	if (ub.inclusive)
		upper += 1;

	if (lower >= upper)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s \"%s\" contains no instant",
						argname,
						range_text(range, RangeTypeGetOid(r)))));

	period->lower = lower;
	period->upper = upper;
}

void
churn_period_from_range_cached(ChurnPeriodCache *cache, Datum range,
							   ChurnDomain domain, const char *argname,
							   ChurnPeriod *period)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(range);
	int			len;

	if (cache == NULL || (VARATT_IS_EXTENDED(v) && !VARATT_IS_SHORT(v)))
	{
		churn_period_from_range(range, domain, argname, period);
		return;
	}

	/* compare contents only: the same range may come with a short header */
	len = VARSIZE_ANY_EXHDR(v);
	if (cache->valid && cache->domain == domain && cache->rawlen == len &&
		memcmp(cache->raw, VARDATA_ANY(v), len) == 0)
	{
		*period = cache->period;
		return;
	}

	churn_period_from_range(range, domain, argname, period);
	if (len <= (int) sizeof(cache->raw))
	{
		memcpy(cache->raw, VARDATA_ANY(v), len);
		cache->rawlen = len;
		cache->domain = domain;
		cache->period = *period;
		cache->valid = true;
	}
}

void
churn_report_until_before_since(ChurnDomain domain, int64 since, int64 until)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("until \"%s\" is earlier than since \"%s\"",
					churn_value_out(domain, until),
					churn_value_out(domain, since)),
			 errhint("A customer cannot stop before becoming a customer: fix the row, or leave until NULL while the customer stays.")));
}

static void
check_finite_interval(const Interval *iv, const char *argname)
{
#if PG_VERSION_NUM >= 170000
	if (INTERVAL_NOT_FINITE(iv))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s \"%s\" must be finite", argname, interval_text(iv))));
#endif
}

void
churn_check_nonnegative_interval(const Interval *iv, const char *argname)
{
	check_finite_interval(iv, argname);
	if (iv->month < 0 || iv->day < 0 || iv->time < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s \"%s\" must not be negative",
						argname, interval_text(iv)),
				 errhint("Every field (months, days, time) must be zero or positive.")));
}

int64
churn_add_interval_us(ChurnDomain domain, int64 value, const Interval *iv)
{
	if (domain == CHURN_DOMAIN_DATE)
	{
		Timestamp	ts = 0;
		int			overflow;

		if (DATE_IS_NOBEGIN((DateADT) value))
			return PG_INT64_MIN;
		if (DATE_IS_NOEND((DateADT) value))
			return PG_INT64_MAX;
		overflow = date_to_timestamp((DateADT) value, &ts);
		if (overflow > 0)
			return PG_INT64_MAX;
		if (overflow < 0)
			return PG_INT64_MIN;
		return DatumGetTimestamp(DirectFunctionCall2(timestamp_pl_interval,
													 TimestampGetDatum(ts),
													 PointerGetDatum(iv)));
	}
	if (TIMESTAMP_NOT_FINITE(value))
		return value;
	if (domain == CHURN_DOMAIN_TIMESTAMP)
		return DatumGetTimestamp(DirectFunctionCall2(timestamp_pl_interval,
													 TimestampGetDatum(value),
													 PointerGetDatum(iv)));
	return DatumGetTimestampTz(DirectFunctionCall2(timestamptz_pl_interval,
												   TimestampTzGetDatum(value),
												   PointerGetDatum(iv)));
}

bool
churn_tenure_below(ChurnDomain domain, int64 since, int64 until,
				   const Interval *min_tenure)
{
	double		span_us,
				max_us;
	int64		until_us;

	if (min_tenure->month == 0 && min_tenure->day == 0 && min_tenure->time == 0)
		return false;

	if (domain == CHURN_DOMAIN_DATE)
	{
		if (DATE_NOT_FINITE((DateADT) since) || DATE_NOT_FINITE((DateADT) until))
			return false;		/* an infinite tenure is never short */
		span_us = ((double) until - (double) since) * (double) USECS_PER_DAY;
	}
	else
	{
		if (TIMESTAMP_NOT_FINITE(since) || TIMESTAMP_NOT_FINITE(until))
			return false;
		span_us = (double) until - (double) since;
	}

	/*
	 * Fast path: the interval can never be longer than 31 days a month plus
	 * 27 hours a day (local-time days across a DST change are at most a few
	 * hours longer) plus its time part, plus a day of slack.  A tenure at
	 * least that long is not below min_tenure without any calendar work.
	 */
	max_us = ((double) min_tenure->month * 31.0 + (double) min_tenure->day + 1.0)
		* (double) USECS_PER_DAY
		+ (double) min_tenure->day * 3.0 * (double) USECS_PER_HOUR
		+ (double) min_tenure->time;
	if (span_us >= max_us)
		return false;

	if (domain == CHURN_DOMAIN_DATE)
	{
		int			overflow = date_to_timestamp((DateADT) until, &until_us);

		if (overflow != 0)
			return overflow < 0;	/* beyond the timestamp range */
	}
	else
		until_us = until;
	return churn_add_interval_us(domain, since, min_tenure) > until_us;
}

int
churn_step_bounds(ChurnDomain domain, const ChurnPeriod *period,
				  const Interval *step, int max_steps, int64 **bounds_out)
{
	int64	   *bounds;
	int			cap = 16;
	int			k;
	int64		start_us;

	check_finite_interval(step, "step");
	if (domain == CHURN_DOMAIN_DATE && step->time != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("step \"%s\" is not a whole number of days for a date period",
						interval_text(step)),
				 errhint("Use days, weeks, months or years, or a tsrange or tstzrange period.")));
	if (step->month <= 0 && step->day <= 0 && step->time <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("step \"%s\" must be positive", interval_text(step))));

	if (domain == CHURN_DOMAIN_DATE)
	{
		if (date_to_timestamp((DateADT) period->lower, &start_us) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("period %s is out of range for stepping",
							churn_period_out(domain, period))));
	}
	else
		start_us = period->lower;

	bounds = palloc(sizeof(int64) * cap);
	bounds[0] = period->lower;
	for (k = 1;; k++)
	{
		Interval	kstep;
		int64		b;

		/* k × step field by field: exact, unlike interval_mul's float8 */
		if (pg_mul_s32_overflow(step->month, k, &kstep.month) ||
			pg_mul_s32_overflow(step->day, k, &kstep.day) ||
			pg_mul_s64_overflow(step->time, (int64) k, &kstep.time))
			b = PG_INT64_MAX;	/* beyond any finite upper bound */
		else if (domain == CHURN_DOMAIN_DATE)
		{
			Timestamp	ts;

			ts = DatumGetTimestamp(DirectFunctionCall2(timestamp_pl_interval,
													   TimestampGetDatum(start_us),
													   PointerGetDatum(&kstep)));
			/* midnight + months + days is midnight: the division is exact */
			b = ts / USECS_PER_DAY;
		}
		else
			b = churn_add_interval_us(domain, start_us, &kstep);

		if (b <= bounds[k - 1])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("step \"%s\" does not advance past \"%s\"",
							interval_text(step),
							churn_value_out(domain, bounds[k - 1])),
					 errhint("Use a step with no negative field.")));

		if (k >= cap)
		{
			cap *= 2;
			bounds = repalloc(bounds, sizeof(int64) * cap);
		}
		if (b >= period->upper)
		{
			bounds[k] = period->upper;	/* the last step is clipped */
			*bounds_out = bounds;
			return k;
		}
		if (k >= max_steps)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("period %s divided by step \"%s\" has more than %d steps",
							churn_period_out(domain, period),
							interval_text(step), max_steps),
					 errhint("Use a longer step or a shorter period.")));
		bounds[k] = b;
	}
}
