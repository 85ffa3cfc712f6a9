/*-------------------------------------------------------------------------
 *
 * period.h
 *	  Half-open periods, since/until validation and calendar step boundaries
 *	  shared by the period-based aggregates of the churn extension.
 *
 * A period is a daterange, tsrange or tstzrange.  It is reduced to
 * [lower, upper) as int64 in its "domain": days since 2000-01-01 (DateADT)
 * for date, microseconds since 2000-01-01 00:00 (Timestamp) for timestamp
 * without time zone, and microseconds since 2000-01-01 UTC (TimestampTz)
 * for timestamptz.  Customer since/until values of the matching type are
 * mapped into the same domain, so every comparison of the period semantics
 * is one int64 comparison.  'infinity' and '-infinity' values map to
 * INT32/INT64 extremes and so still compare correctly.
 *
 * Timestamps without time zone have a domain of their own rather than
 * being taken as UTC instants of the timestamptz one: their calendar
 * arithmetic is timestamp + interval, which no TimeZone setting changes, so
 * their states record no zone (state_zone.h), print their values as
 * timestamps, and never combine with the states of timestamptz values.
 *
 * The API is used by other concerns (cohort retention): keep it stable.
 *
 * src/period.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHURN_PERIOD_H
#define CHURN_PERIOD_H

#include "fmgr.h"
#include "datatype/timestamp.h"
#include "utils/date.h"
#if PG_VERSION_NUM >= 160000
#include "varatt.h"				/* VARDATA_ANY and friends, split out of postgres.h in 16 */
#endif

#include "churn.h"				/* pg_noreturn */

/*
 * Domain of a period and of the since/until values compared with it.  The
 * values are stored in the states (binary forms, and the letters of
 * churn_domain_letter in the text forms): never renumber.  Timestamp came in
 * 1.1; states of 1.0 hold only the first two.
 */
typedef enum ChurnDomain
{
	CHURN_DOMAIN_DATE = 0,		/* days (DateADT), daterange */
	CHURN_DOMAIN_TIMESTAMPTZ = 1,	/* microseconds (TimestampTz), tstzrange */
	CHURN_DOMAIN_TIMESTAMP = 2	/* microseconds (Timestamp), tsrange */
} ChurnDomain;

#define ChurnDomainIsValid(d) \
	((d) == CHURN_DOMAIN_DATE || (d) == CHURN_DOMAIN_TIMESTAMPTZ || \
	 (d) == CHURN_DOMAIN_TIMESTAMP)

/* SQL name of a domain's value type, for messages: "date" and so on. */
extern const char *churn_domain_name(ChurnDomain domain);

/*
 * The letter of a domain in the text forms of rate_state, periods_state and
 * matrix_state: 'd' (date), 't' (timestamptz), 'l' (timestamp without time
 * zone: local date and time).
 */
extern char churn_domain_letter(ChurnDomain domain);

/* The domain of a letter; false when c is none. */
extern bool churn_domain_of_letter(char c, ChurnDomain *domain);

/*
 * ERROR 22023: rows or states of two domains in one group (a state typed in
 * by hand, or combined with one of another aggregate).
 */
pg_noreturn extern void churn_report_domain_mismatch(ChurnDomain d1,
													  ChurnDomain d2);

/* A non-empty, bounded, finite half-open period [lower, upper). */
typedef struct ChurnPeriod
{
	int64		lower;			/* inclusive */
	int64		upper;			/* exclusive; always > lower */
} ChurnPeriod;

/*
 * Per-call-site cache of the last period argument seen, so that the range
 * datum of a constant period is deserialised once, not once per row.
 */
typedef struct ChurnPeriodCache
{
	bool		valid;
	ChurnDomain domain;
	ChurnPeriod period;
	int			rawlen;			/* bytes of raw[] in use */
	char		raw[64];		/* raw bytes (header included) of last range */
} ChurnPeriodCache;

/* Upper limit on the number of steps of a stepped period. */
#define CHURN_MAX_STEPS		100000

/* Domain of a range type: daterange, tsrange or tstzrange, else ERROR 22023. */
extern ChurnDomain churn_domain_of_range_type(Oid rngtypid);

/*
 * Reduce a range datum to [lower, upper) in the given domain.  ERROR 22023
 * when the range is empty, unbounded or has an infinite bound (argname names
 * the argument in the message).  A tstzrange whose bounds are not [) is
 * converted exactly: (a → a + 1 µs, b] → b + 1 µs.
 */
extern void churn_period_from_range(Datum range, ChurnDomain domain,
									const char *argname, ChurnPeriod *period);

/*
 * The same through a cache (may be NULL): when the range datum has the same
 * bytes as the last one seen, the cached result is returned.
 */
extern void churn_period_from_range_cached(ChurnPeriodCache *cache,
										   Datum range, ChurnDomain domain,
										   const char *argname,
										   ChurnPeriod *period);

/*
 * Inline fast path of churn_period_from_range_cached: true (and *period set)
 * when range has the same contents as the cached one.
 */
static inline bool
churn_period_cache_hit(const ChurnPeriodCache *cache, Datum range,
					   ChurnDomain domain, ChurnPeriod *period)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(range);

	if (likely(cache->valid && cache->domain == domain &&
			   (!VARATT_IS_EXTENDED(v) || VARATT_IS_SHORT(v)) &&
			   (int) VARSIZE_ANY_EXHDR(v) == cache->rawlen &&
			   memcmp(cache->raw, VARDATA_ANY(v), cache->rawlen) == 0))
	{
		*period = cache->period;
		return true;
	}
	return false;
}

/*
 * The period of argument argno of an aggregate's transition function (a
 * daterange or tstzrange; NULL is ERROR 22023), decoded once and kept in the
 * caller's cache (part of the caller's fn_extra), so a constant period costs
 * a byte comparison per row.
 */
static inline void
churn_period_arg(FunctionCallInfo fcinfo, int argno, ChurnDomain domain,
				 ChurnPeriodCache *cache, ChurnPeriod *period)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("period must not be null")));
	if (!churn_period_cache_hit(cache, PG_GETARG_DATUM(argno), domain, period))
		churn_period_from_range_cached(cache, PG_GETARG_DATUM(argno), domain,
									   "period", period);
}

/* A since/until datum of the domain's type as int64. */
static inline int64
churn_value_from_datum(ChurnDomain domain, Datum d)
{
	if (domain == CHURN_DOMAIN_DATE)
		return (int64) DatumGetInt32(d);
	return (int64) DatumGetInt64(d);
}

/* Whether a value of the domain is neither 'infinity' nor '-infinity'. */
static inline bool
churn_value_is_finite(ChurnDomain domain, int64 value)
{
	if (domain == CHURN_DOMAIN_DATE)
		return !DATE_NOT_FINITE((DateADT) value);
	return !TIMESTAMP_NOT_FINITE(value);
}

/*
 * Text form of a domain value ("2024-01-31", "2024-01-31 12:00:00",
 * timestamptz in the session zone).
 */
extern char *churn_value_out(ChurnDomain domain, int64 value);

/* Text form of a period, as the range type prints it. */
extern char *churn_period_out(ChurnDomain domain, const ChurnPeriod *period);

/* ERROR 22023: until is earlier than since; names both values. */
pg_noreturn extern void churn_report_until_before_since(ChurnDomain domain,
														int64 since, int64 until);

/* Validate one customer row: until (if not NULL) must not precede since. */
static inline void
churn_check_since_until(ChurnDomain domain, int64 since, bool until_null,
						int64 until)
{
	if (!until_null && until < since)
		churn_report_until_before_since(domain, since, until);
}

/*
 * Validate an interval argument that must be finite and have no negative
 * field (min_tenure; ERROR 22023 naming argname otherwise).
 */
extern void churn_check_nonnegative_interval(const Interval *iv,
											 const char *argname);

/*
 * value + iv with calendar arithmetic, as microseconds.  For
 * CHURN_DOMAIN_DATE the date is taken at midnight and the result is a
 * timestamp without time zone; for CHURN_DOMAIN_TIMESTAMP it is
 * timestamp + interval (neither depends on TimeZone: a day is 24 hours);
 * for CHURN_DOMAIN_TIMESTAMPTZ it is timestamptz + interval in the session
 * TimeZone (months, then days in local time, then the time part).
 * Results beyond the timestamp range saturate to PG_INT64_MAX / MIN.
 */
extern int64 churn_add_interval_us(ChurnDomain domain, int64 value,
								   const Interval *iv);

/*
 * True when (until - since) is shorter than min_tenure, i.e.
 * since + min_tenure > until, with calendar arithmetic as above (a customer
 * from 2024-01-31 until 2024-04-30 has a tenure of exactly '3 months').
 * min_tenure must have passed churn_check_nonnegative_interval.
 */
extern bool churn_tenure_below(ChurnDomain domain, int64 since, int64 until,
							   const Interval *min_tenure);

/*
 * Step boundaries of a period: bounds[k] = lower + k × step (calendar
 * arithmetic, never cumulative addition; timestamptz in the session
 * TimeZone) for k = 0 .. n-1, and bounds[n] = upper (the last step is
 * clipped at upper).  Returns n >= 1 and a palloc'd array of n + 1 strictly
 * increasing values in the current memory context.
 *
 * ERROR 22023 when the step is not positive (some boundary does not advance),
 * is infinite, has a time part for a date period, or would make more than
 * max_steps steps.
 */
extern int	churn_step_bounds(ChurnDomain domain, const ChurnPeriod *period,
							  const Interval *step, int max_steps,
							  int64 **bounds);

/*
 * Index of the step holding value: the largest k in [0, n) with
 * bounds[k] <= value; -1 when value < bounds[0]; n when value >= bounds[n].
 */
static inline int
churn_step_index(const int64 *bounds, int n, int64 value)
{
	int			lo,
				hi;

	if (value < bounds[0])
		return -1;
	if (value >= bounds[n])
		return n;
	/* invariant: bounds[lo] <= value < bounds[hi] */
	lo = 0;
	hi = n;
	while (hi - lo > 1)
	{
		int			mid = lo + (hi - lo) / 2;

		if (bounds[mid] <= value)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* Boundary value (day or µs) as a Datum of the domain's type. */
static inline Datum
churn_value_to_datum(ChurnDomain domain, int64 v)
{
	if (domain == CHURN_DOMAIN_DATE)
		return Int32GetDatum((int32) v);
	return Int64GetDatum(v);
}

#endif							/* CHURN_PERIOD_H */
