/*-------------------------------------------------------------------------
 *
 * summary_bucket.c
 *	  churn.bucket_floor: the start of the summary bucket holding a local time.
 *
 * Summaries bucket every event by the local time of the tracked table's
 * fixed time zone, so a bucket is a calendar unit that does not move with the
 * reader's TimeZone.  Month-based widths ('1 month', '3 months', '1 year')
 * align to the calendar (quarters start in January, April, July, October);
 * day- and time-based widths ('1 day', '1 week', '6 hours') align to Monday
 * 2000-01-03 00:00, so weeks start on Monday.
 *
 * src/summary_bucket.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "datatype/timestamp.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "summary.h"

/* floor division that rounds toward minus infinity */
static int64
floor_div(int64 a, int64 b)
{
	int64		q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/*
 * Check that a bucket width is usable; raises 22023 when it is not.
 */
void
summary_check_width(const Interval *width)
{
	if (width->month != 0 && (width->day != 0 || width->time != 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("bucket width \"%s\" mixes months with days or time",
						DatumGetCString(DirectFunctionCall1(interval_out,
															IntervalPGetDatum(width)))),
				 errhint("Use a whole number of months (such as '1 month' or '3 months') or a span of days and time (such as '1 week').")));
	if (width->month < 0 || width->day < 0 || width->time < 0 ||
		(width->month == 0 && width->day == 0 && width->time == 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("bucket width \"%s\" is not positive",
						DatumGetCString(DirectFunctionCall1(interval_out,
															IntervalPGetDatum(width))))));
}

Timestamp
summary_bucket_floor(Timestamp ts, const Interval *width)
{
	Timestamp	result;

	if (TIMESTAMP_NOT_FINITE(ts))
		return ts;

	if (width->month != 0)
	{
		/*
		 * The calendar date of the day holding ts (what timestamp2tm would
		 * give, without the time of day), its month floored to the width,
		 * and that month's first day (as tm2timestamp would make it).  Every
		 * row of a capture takes this path, so only the date is computed.
		 */
		int			year;
		int			month;
		int			day;
		int64		m;

		j2date((int) (floor_div(ts, USECS_PER_DAY) + POSTGRES_EPOCH_JDATE),
			   &year, &month, &day);
		m = (int64) year * 12 + (month - 1);
		m = floor_div(m, width->month) * width->month;
		year = (int) floor_div(m, 12);
		month = (int) (m - (int64) year * 12) + 1;
		/* (a width of many years can floor far before the earliest date) */
		if (!IS_VALID_JULIAN(year, month, 1))
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("timestamp out of range")));
		result = ((int64) date2j(year, month, 1) - POSTGRES_EPOCH_JDATE) *
			USECS_PER_DAY;
		if (!IS_VALID_TIMESTAMP(result))
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("timestamp out of range")));
	}
	else
	{
		/* Monday 2000-01-03 00:00, two days after the PostgreSQL epoch */
		const int64 origin = 2 * USECS_PER_DAY;
		int64		w = (int64) width->day * USECS_PER_DAY + width->time;

		result = origin + floor_div(ts - origin, w) * w;
	}
	return result;
}

/* a memo of no day yet, in CurrentMemoryContext */
SummaryBucketMemo *
summary_bucket_memo(const Interval *width)
{
	SummaryBucketMemo *memo = palloc0(sizeof(SummaryBucketMemo));

	memo->width = *width;
	memo->cxt = CurrentMemoryContext;
	return memo;
}

/* summary_bucket_floor, remembered per day for month-based widths */
Timestamp
summary_bucket_floor_memo(SummaryBucketMemo *memo, Timestamp ts)
{
	int64		day;
	int			i;

	if (memo->width.month == 0 || TIMESTAMP_NOT_FINITE(ts))
		return summary_bucket_floor(ts, &memo->width);
	if (memo->day == NULL)
	{
		if (++memo->calls < SUMMARY_BUCKET_MEMO_AFTER)
			return summary_bucket_floor(ts, &memo->width);
		memo->day = MemoryContextAlloc(memo->cxt, sizeof(int64) * SUMMARY_BUCKET_MEMO);
		memo->floor = MemoryContextAlloc(memo->cxt, sizeof(Timestamp) * SUMMARY_BUCKET_MEMO);
		for (i = 0; i < SUMMARY_BUCKET_MEMO; i++)
			memo->day[i] = PG_INT64_MIN;	/* no day: days are far from it */
	}
	day = floor_div(ts, USECS_PER_DAY);
	i = (int) (day & (SUMMARY_BUCKET_MEMO - 1));
	if (memo->day[i] != day)
	{
		memo->floor[i] = summary_bucket_floor(ts, &memo->width);
		memo->day[i] = day;
	}
	return memo->floor[i];
}

PG_FUNCTION_INFO_V1(churn_bucket_floor);

Datum
churn_bucket_floor(PG_FUNCTION_ARGS)
{
	Timestamp	ts = PG_GETARG_TIMESTAMP(0);
	Interval   *width = PG_GETARG_INTERVAL_P(1);

	summary_check_width(width);
	PG_RETURN_TIMESTAMP(summary_bucket_floor(ts, width));
}
