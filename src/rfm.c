/*-------------------------------------------------------------------------
 *
 * rfm.c
 *	  The rfm() aggregate: one customer's purchase history summarized as
 *	  the value models need it (frequency, recency, age, average repeat
 *	  value), in one pass over a transactions table with GROUP BY customer;
 *	  its state type churn.rfm_state with validated text and binary I/O.
 *
 * The conventions are those of lifetimes' summary_data_from_transaction_data
 * with freq = 'D' and freq_multiplier = the unit in days:
 *
 *	 - purchases on the same calendar day are one transaction (their
 *	   amounts add up); timestamps are taken as dates in the session's
 *	   TimeZone, which the state then records (state_zone.h): partial
 *	   states of two zones, or a state finished in another zone, would give
 *	   other days, so they are refused;
 *	 - only purchases on or before calibration_end count; the later ones are
 *	   counted apart as the holdout (holdout_frequency distinct days and
 *	   holdout_value in total), for checking predictions;
 *	 - frequency = distinct purchase days - 1 (repeat purchases);
 *	   recency = last purchase day - first purchase day;
 *	   age = calibration_end - first purchase day; both in units, as
 *	   days / (unit in days), a month being 30 days as in
 *	   extract(epoch from interval);
 *	 - avg_value = the mean of the repeat days' totals (the first day left
 *	   out), 0 when frequency is 0;
 *	 - a customer whose first purchase comes after calibration_end has no
 *	   summary: NULL.
 *
 * The state keeps every purchase, (day, amount), not running totals: the
 * amounts of a day are summed in sorted order at the end, so the result
 * does not depend on the order of the rows (parallel workers, Citus).  It is
 * a plain varlena that grows by doubling and is appended to in place
 * (nodeAgg copies a new, larger one into the aggregate context and frees
 * the old one), not an expanded object: rfm() runs once per customer, and a
 * memory context per group would cost kilobytes per customer.
 *
 * src/rfm.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "common/shortest_dec.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/float.h"
#include "utils/timestamp.h"

#include "state_io.h"
#include "state_zone.h"
#include "survival_curve.h"

#define RFM_STATE_VERSION	1

/* One purchase. */
typedef struct RfmPurchase
{
	int32		day;			/* DateADT */
	int32		reserved;		/* zero */
	float8		amount;
} RfmPurchase;

/*
 * churn.rfm_state.  The purchases come in any order; the varlena may hold
 * room for more than npurchases (its size says how many).
 */
typedef struct RfmState
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	uint8		version;		/* RFM_STATE_VERSION */
	uint8		flags;			/* RFM_HAS_ZONE or zero */
	uint16		reserved;		/* zero */
	int32		npurchases;
	int32		calibration_end;	/* DateADT */
	uint32		zone;			/* with RFM_HAS_ZONE, churn_zone_hash of the
								 * session zone the days were taken in (the
								 * timestamptz aggregate); else zero */
	int32		reserved2;		/* zero */
	float8		unit_days;
	RfmPurchase purchases[FLEXIBLE_ARRAY_MEMBER];
} RfmState;

#define RFM_HAS_ZONE		0x01

#define RFM_HDRSZ			offsetof(RfmState, purchases)
#define RFM_SIZE(n)			(RFM_HDRSZ + (Size) (n) * sizeof(RfmPurchase))
#define RFM_CAPACITY(s)		((int32) ((VARSIZE(s) - RFM_HDRSZ) / sizeof(RfmPurchase)))
#define RFM_MAX_PURCHASES	((int32) ((MaxAllocSize - RFM_HDRSZ) / sizeof(RfmPurchase)))

/*
 * A new state has room for 2 purchases, 64 bytes in a 64-byte chunk (most
 * customers buy a few times); it grows to fill power-of-two chunks, 6
 * purchases in 128 bytes, 14 in 256 and so on.
 */
#define RFM_INITIAL_CAP		2

/* the shortest unit, an interval of one microsecond, in days */
#define RFM_MIN_UNIT_DAYS	(1.0 / (float8) USECS_PER_DAY)

/* ISO dates 0001-01-01 .. 9999-12-31 only: the text form writes YYYY-MM-DD */
#define RFM_MIN_DAY			(-730119)	/* date2j(1, 1, 1) - POSTGRES_EPOCH_JDATE */
#define RFM_MAX_DAY			2921939 /* date2j(9999, 12, 31) - POSTGRES_EPOCH_JDATE */

static int
rfm_purchase_cmp(const RfmPurchase *a, const RfmPurchase *b)
{
	if (a->day != b->day)
		return a->day < b->day ? -1 : 1;
	if (a->amount != b->amount)
		return a->amount < b->amount ? -1 : 1;
	return 0;
}

#define ST_SORT rfm_sort_purchases
#define ST_ELEMENT_TYPE RfmPurchase
#define ST_COMPARE(a, b) rfm_purchase_cmp(a, b)
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

static char *
rfm_day_text(int32 day)
{
	int			y,
				m,
				d;

	j2date(day + POSTGRES_EPOCH_JDATE, &y, &m, &d);
	return psprintf("%04d-%02d-%02d", y, m, d);
}

static void
rfm_check_day(const char *name, DateADT day)
{
	if (DATE_NOT_FINITE(day) || day < RFM_MIN_DAY || day > RFM_MAX_DAY)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("%s \"%s\" is out of range for rfm", name,
						DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(day)))),
				 errdetail("rfm takes dates from 0001-01-01 to 9999-12-31.")));
}

static float8
rfm_unit_days(Interval *unit)
{
	float8		days = survival_interval_days(unit);

#ifdef INTERVAL_NOT_FINITE
	if (INTERVAL_NOT_FINITE(unit))
		days = get_float8_nan();
#endif
	if (isnan(days) || isinf(days) || days <= 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid rfm unit \"%s\"",
						DatumGetCString(DirectFunctionCall1(interval_out,
															IntervalPGetDatum(unit)))),
				 errdetail("The unit of recency and age must be a positive interval, such as '1 day' or '7 days'.")));
	return days;
}

static RfmState *
rfm_new(int32 cap, DateADT end, float8 unit_days)
{
	RfmState   *s = palloc0(RFM_SIZE(cap));

	SET_VARSIZE(s, RFM_SIZE(cap));
	s->version = RFM_STATE_VERSION;
	s->calibration_end = end;
	s->unit_days = unit_days;
	return s;
}

/* Room for more purchases: a copy in the next power-of-two chunk size. */
static RfmState *
rfm_grow(RfmState *s, int32 need)
{
	Size		size = 64;
	int64		cap;
	RfmState   *t;

	if (need > RFM_MAX_PURCHASES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("rfm cannot summarize more than %d purchases of one customer",
						RFM_MAX_PURCHASES)));
	while (size < RFM_SIZE(need) || size <= VARSIZE(s))
		size *= 2;
	cap = Min((int64) ((size - RFM_HDRSZ) / sizeof(RfmPurchase)), RFM_MAX_PURCHASES);
	t = rfm_new((int32) cap, s->calibration_end, s->unit_days);
	t->flags = s->flags;
	t->zone = s->zone;
	t->npurchases = s->npurchases;
	memcpy(t->purchases, s->purchases, sizeof(RfmPurchase) * s->npurchases);
	return t;
}

static void
rfm_check_same(const RfmState *s, DateADT end, float8 unit_days)
{
	if (s->calibration_end != end)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("calibration_end of rfm changed from \"%s\" to \"%s\"",
						rfm_day_text(s->calibration_end), rfm_day_text(end)),
				 errdetail("All rows and partial states of one rfm aggregate must have the same calibration end.")));
	if (s->unit_days != unit_days)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unit of rfm changed from %s to %s days",
						float8out_internal(s->unit_days), float8out_internal(unit_days)),
				 errdetail("All rows and partial states of one rfm aggregate must have the same unit.")));
}

/*
 * Shared body of the transition functions, once the dates are days; zoned
 * when the days were taken in the session's TimeZone.
 */
static Datum
rfm_trans_common(FunctionCallInfo fcinfo, DateADT day, DateADT end, bool zoned)
{
	float8		amount = PG_GETARG_FLOAT8(2);
	float8		unit_days = rfm_unit_days(PG_GETARG_INTERVAL_P(4));
	RfmState   *s;
	RfmPurchase *p;

	rfm_check_day("purchase date", day);
	rfm_check_day("calibration_end", end);
	if (isnan(amount) || isinf(amount))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid purchase amount \"%s\"", float8out_internal(amount)),
				 errdetail("Purchase amounts must be finite numbers.")));
	if (PG_ARGISNULL(0))
	{
		s = rfm_new(RFM_INITIAL_CAP, end, unit_days);
		if (zoned)
		{
			s->flags = RFM_HAS_ZONE;
			s->zone = churn_session_zone_hash();
		}
	}
	else
	{
		/* ours to update in place: we run inside an aggregate */
		s = (RfmState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
		rfm_check_same(s, end, unit_days);
		if (zoned && s->zone != churn_session_zone_hash())
			churn_zone_session_mismatch("rfm", churn_zone_of_hash(s->zone));
		if (s->npurchases == RFM_CAPACITY(s))
			s = rfm_grow(s, s->npurchases + 1);
	}
	p = &s->purchases[s->npurchases++];
	p->day = day;
	p->reserved = 0;
	p->amount = amount == 0.0 ? 0.0 : amount;	/* fold -0 into 0 */
	PG_RETURN_POINTER(s);
}

#define RFM_TRANS_PREAMBLE(fname) \
	if (!AggCheckCallContext(fcinfo, NULL)) \
		ereport(ERROR, \
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED), \
				 errmsg("churn.%s can only be called by an aggregate", "rfm_trans"))); \
	if (PG_ARGISNULL(3) || PG_ARGISNULL(4)) \
		ereport(ERROR, \
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), \
				 errmsg("calibration_end and unit of rfm must not be NULL"))); \
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2)) \
	{ \
		/* a row without purchase date or amount is skipped */ \
		if (PG_ARGISNULL(0)) \
			PG_RETURN_NULL(); \
		PG_RETURN_DATUM(PG_GETARG_DATUM(0)); \
	}

/* rfm_trans(state, purchased_at date, amount, calibration_end date, unit) */
PG_FUNCTION_INFO_V1(rfm_trans_date);
Datum
rfm_trans_date(PG_FUNCTION_ARGS)
{
	RFM_TRANS_PREAMBLE("rfm_trans");
	return rfm_trans_common(fcinfo, PG_GETARG_DATEADT(1), PG_GETARG_DATEADT(3), false);
}

/* the same with timestamptz: days in the session's TimeZone */
PG_FUNCTION_INFO_V1(rfm_trans_timestamptz);
Datum
rfm_trans_timestamptz(PG_FUNCTION_ARGS)
{
	RFM_TRANS_PREAMBLE("rfm_trans");
	return rfm_trans_common(fcinfo,
							DatumGetDateADT(DirectFunctionCall1(timestamptz_date,
																PG_GETARG_DATUM(1))),
							DatumGetDateADT(DirectFunctionCall1(timestamptz_date,
																PG_GETARG_DATUM(3))),
							true);
}

/* rfm_combine(state, state): the purchases of both */
PG_FUNCTION_INFO_V1(rfm_combine);
Datum
rfm_combine(PG_FUNCTION_ARGS)
{
	RfmState   *s;
	RfmState   *o;

	if (!AggCheckCallContext(fcinfo, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("churn.%s can only be called by an aggregate", "rfm_combine")));
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	o = (RfmState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(1));
	if (PG_ARGISNULL(0))
	{
		/* a copy: nodeAgg owns it once we return it */
		s = rfm_new(o->npurchases, o->calibration_end, o->unit_days);
		s->flags = o->flags;
		s->zone = o->zone;
		s->npurchases = o->npurchases;
		memcpy(s->purchases, o->purchases, sizeof(RfmPurchase) * o->npurchases);
		PG_RETURN_POINTER(s);
	}
	s = (RfmState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	rfm_check_same(s, o->calibration_end, o->unit_days);
	/*
	 * A state of dates has no zone and combines with any; two states of
	 * timestamps must have taken their days in the same zone.
	 */
	if (o->flags & RFM_HAS_ZONE)
	{
		if (!(s->flags & RFM_HAS_ZONE))
		{
			s->flags |= RFM_HAS_ZONE;
			s->zone = o->zone;
		}
		else if (s->zone != o->zone)
			churn_zone_combine_mismatch("rfm", churn_zone_of_hash(s->zone),
										churn_zone_of_hash(o->zone));
	}
	if ((int64) s->npurchases + o->npurchases > RFM_CAPACITY(s))
		s = rfm_grow(s, s->npurchases + o->npurchases);
	memcpy(s->purchases + s->npurchases, o->purchases,
		   sizeof(RfmPurchase) * o->npurchases);
	s->npurchases += o->npurchases;
	PG_RETURN_POINTER(s);
}

/* fn_extra of rfm_final: the blessed row type of churn.rfm_summary */
PG_FUNCTION_INFO_V1(rfm_final);
Datum
rfm_final(PG_FUNCTION_ARGS)
{
	RfmState   *s = (RfmState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	TupleDesc	desc = (TupleDesc) fcinfo->flinfo->fn_extra;
	RfmPurchase *ps;
	Datum		values[8];
	bool		nulls[8] = {false};
	int32		n = s->npurchases;
	int32		i,
				days = 0,
				hold_days = 0,
				first = 0,
				last = 0;
	float8		repeat_value = 0.0,
				hold_value = 0.0,
				day_total = 0.0;

	if (desc == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE ||
			desc->natts != 8)
			elog(ERROR, "rfm_final must return churn.rfm_summary");
		desc = BlessTupleDesc(desc);
		MemoryContextSwitchTo(old);
		fcinfo->flinfo->fn_extra = desc;
	}
	if ((s->flags & RFM_HAS_ZONE) && s->zone != churn_session_zone_hash())
		churn_zone_session_mismatch("rfm", churn_zone_of_hash(s->zone));

	/* sorted by (day, amount): the sums do not depend on the row order */
	ps = palloc(sizeof(RfmPurchase) * Max(n, 1));
	memcpy(ps, s->purchases, sizeof(RfmPurchase) * n);
	rfm_sort_purchases(ps, n);
	for (i = 0; i < n; i++)
	{
		bool		new_day = i == 0 || ps[i].day != ps[i - 1].day;

		if (ps[i].day > s->calibration_end)
		{
			if (new_day)
				hold_days++;
			hold_value += ps[i].amount;
			continue;
		}
		if (new_day)
		{
			if (days >= 2)
				repeat_value += day_total;
			if (days == 0)
				first = ps[i].day;
			last = ps[i].day;
			days++;
			day_total = 0.0;
		}
		day_total += ps[i].amount;
	}
	if (days == 0)
		PG_RETURN_NULL();		/* first purchase after calibration_end */
	if (days >= 2)
		repeat_value += day_total;

	values[0] = Int32GetDatum(days - 1);
	values[1] = Float8GetDatum((float8) (last - first) / s->unit_days);
	values[2] = Float8GetDatum((float8) (s->calibration_end - first) / s->unit_days);
	values[3] = Float8GetDatum(days > 1 ? repeat_value / (days - 1) : 0.0);
	values[4] = DateADTGetDatum(first);
	values[5] = DateADTGetDatum(last);
	values[6] = Int32GetDatum(hold_days);
	values[7] = Float8GetDatum(hold_value);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}

/* Check a state that came from outside. */
static bool
rfm_state_check(const RfmState *s, int errcode_value, Node *escontext)
{
	int32		i;

	if (s->version != RFM_STATE_VERSION)
		churn_ereturn(escontext, false,
					  errcode(errcode_value),
					  errmsg("unsupported rfm_state format version %d", s->version),
					  errhint("This version of churn reads version %d.", RFM_STATE_VERSION));
	if ((s->flags & ~RFM_HAS_ZONE) != 0 || s->reserved != 0 || s->reserved2 != 0 ||
		(!(s->flags & RFM_HAS_ZONE) && s->zone != 0))
		churn_ereturn(escontext, false,
					  errcode(errcode_value),
					  errmsg("invalid rfm_state header"));
	if (s->calibration_end < RFM_MIN_DAY || s->calibration_end > RFM_MAX_DAY ||
		isnan(s->unit_days) || isinf(s->unit_days) || s->unit_days < RFM_MIN_UNIT_DAYS)
		churn_ereturn(escontext, false,
					  errcode(errcode_value),
					  errmsg("invalid rfm_state calibration end or unit"),
					  errdetail("The calibration end is a date from 0001-01-01 to 9999-12-31 and the unit a number of days of at least one microsecond."));
	if (s->npurchases < 1)
		churn_ereturn(escontext, false,
					  errcode(errcode_value),
					  errmsg("rfm_state must have at least one purchase"));
	for (i = 0; i < s->npurchases; i++)
	{
		const RfmPurchase *p = &s->purchases[i];

		if (p->day < RFM_MIN_DAY || p->day > RFM_MAX_DAY || p->reserved != 0 ||
			isnan(p->amount) || isinf(p->amount))
			churn_ereturn(escontext, false,
						  errcode(errcode_value),
						  errmsg("invalid rfm_state purchase %d", i + 1),
						  errdetail("A purchase has a date from 0001-01-01 to 9999-12-31 and a finite amount."));
	}
	return true;
}

/* "YYYY-MM-DD" at *p as a day within the supported range, or false */
static bool
rfm_parse_day(char **p, int32 *day)
{
	char	   *s = *p;
	int			y,
				m,
				d,
				y2,
				m2,
				d2,
				j;

	if (strlen(s) < 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (j = 0; j < 10; j++)
		if (j != 4 && j != 7 && (s[j] < '0' || s[j] > '9'))
			return false;
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (y < 1 || m < 1 || m > 12 || d < 1 || d > 31)
		return false;
	j = date2j(y, m, d);
	j2date(j, &y2, &m2, &d2);
	if (y2 != y || m2 != m || d2 != d)
		return false;			/* 2023-02-30 */
	*day = j - POSTGRES_EPOCH_JDATE;
	*p = s + 10;
	return true;
}

/*
 * Text form: "v1 <calibration_end> <unit in days> ["<zone>"] <date>:<amount>
 * ...", dates as YYYY-MM-DD, numbers in shortest exact form, the time zone
 * key of a state of timestamps in double quotes, purchases sorted by date
 * and amount, e.g. "v1 1997-09-30 7 1997-01-01:29.33 1997-01-18:29.73" or
 * "v1 2024-01-31 1 "UTC" 2024-01-02:5".
 */
PG_FUNCTION_INFO_V1(rfm_state_in);
Datum
rfm_state_in(PG_FUNCTION_ARGS)
{
	char	   *input = PG_GETARG_CSTRING(0);
	char	   *p = input;
	char	   *end;
	long		version;
	int32		cal_end;
	float8		unit;
	int32		n = 0,
				cap = 16;
	RfmPurchase *ps;
	RfmState   *s;
	char	   *zone = NULL;
	int			zonelen = 0;

#define BAD_TEXT(detail) \
	churn_ereturn(fcinfo->context, (Datum) 0, \
				  errcode(ERRCODE_INVALID_TEXT_REPRESENTATION), \
				  errmsg("invalid input syntax for type %s: \"%s\"", "rfm_state", input), \
				  errdetail(detail))

	while (*p == ' ')
		p++;
	if (*p != 'v')
		BAD_TEXT("The value must start with a format version such as \"v1\".");
	errno = 0;
	version = strtol(p + 1, &end, 10);
	if (end == p + 1 || errno != 0 || *end != ' ')
		BAD_TEXT("The value must start with a format version such as \"v1\".");
	if (version != RFM_STATE_VERSION)
		churn_ereturn(fcinfo->context, (Datum) 0,
					  errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					  errmsg("unsupported rfm_state format version %ld", version),
					  errhint("This version of churn reads version %d.", RFM_STATE_VERSION));
	p = end;
	while (*p == ' ')
		p++;
	if (!rfm_parse_day(&p, &cal_end) || *p != ' ')
		BAD_TEXT("The version must be followed by the calibration end, a date written YYYY-MM-DD.");
	while (*p == ' ')
		p++;
	if (!churn_parse_float8(p, &end, &unit) || (*end != ' ' && *end != '\0'))
		BAD_TEXT("The calibration end must be followed by the unit in days.");
	p = end;
	while (*p == ' ')
		p++;
	if (*p == '"')
	{
		zone = p + 1;
		while (zone[zonelen] != '"' && zone[zonelen] != '\0')
			zonelen++;
		if (zone[zonelen] != '"' || !churn_zone_key_valid(zone, zonelen) ||
			(zone[zonelen + 1] != ' ' && zone[zonelen + 1] != '\0'))
			BAD_TEXT("The time zone of a state of timestamps must be a time zone key in double quotes.");
		p = zone + zonelen + 1;
	}
	ps = palloc(sizeof(RfmPurchase) * cap);
	for (;;)
	{
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		if (n == cap)
		{
			if (cap >= RFM_MAX_PURCHASES / 2)
				BAD_TEXT("The value has too many purchases.");
			cap *= 2;
			ps = repalloc(ps, sizeof(RfmPurchase) * cap);
		}
		if (!rfm_parse_day(&p, &ps[n].day) || *p != ':')
			BAD_TEXT("Each purchase must be written as YYYY-MM-DD:amount.");
		p++;
		if (!churn_parse_float8(p, &end, &ps[n].amount) || (*end != ' ' && *end != '\0'))
			BAD_TEXT("Each purchase must be written as YYYY-MM-DD:amount.");
		if (ps[n].amount == 0.0)
			ps[n].amount = 0.0;
		ps[n].reserved = 0;
		p = end;
		n++;
	}
#undef BAD_TEXT
	s = rfm_new(n, cal_end, unit);
	s->version = (uint8) version;
	s->npurchases = n;
	memcpy(s->purchases, ps, sizeof(RfmPurchase) * n);
	if (zone)
	{
		s->flags = RFM_HAS_ZONE;
		s->zone = churn_zone_key_hash(zone, zonelen);
	}
	if (!rfm_state_check(s, ERRCODE_INVALID_TEXT_REPRESENTATION, fcinfo->context))
		return (Datum) 0;
	if (zone)
		churn_zone_remember(zone, zonelen);
	PG_RETURN_POINTER(s);
}

/* The purchases of s sorted, for the canonical text and binary forms. */
static RfmPurchase *
rfm_sorted(const RfmState *s)
{
	RfmPurchase *ps = palloc(sizeof(RfmPurchase) * Max(s->npurchases, 1));

	memcpy(ps, s->purchases, sizeof(RfmPurchase) * s->npurchases);
	rfm_sort_purchases(ps, s->npurchases);
	return ps;
}

PG_FUNCTION_INFO_V1(rfm_state_out);
Datum
rfm_state_out(PG_FUNCTION_ARGS)
{
	RfmState   *s = (RfmState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	RfmPurchase *ps = rfm_sorted(s);
	StringInfoData buf;
	char		num[DOUBLE_SHORTEST_DECIMAL_LEN];
	int32		i;

	initStringInfo(&buf);
	double_to_shortest_decimal_buf(s->unit_days, num);
	appendStringInfo(&buf, "v%d %s %s", s->version, rfm_day_text(s->calibration_end), num);
	if (s->flags & RFM_HAS_ZONE)
		appendStringInfo(&buf, " \"%s\"", churn_zone_of_hash(s->zone));
	for (i = 0; i < s->npurchases; i++)
	{
		double_to_shortest_decimal_buf(ps[i].amount, num);
		appendStringInfo(&buf, " %s:%s", rfm_day_text(ps[i].day), num);
	}
	PG_RETURN_CSTRING(buf.data);
}

/*
 * Binary form: version byte, int32 calibration end (days from 2000-01-01,
 * as PostgreSQL sends dates), float8 unit in days, int32 length and the
 * bytes of the time zone key (length 0: a state of dates), int32 number of
 * purchases, then per purchase int32 day and float8 amount, sorted.
 */
PG_FUNCTION_INFO_V1(rfm_state_recv);
Datum
rfm_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			version;
	int32		cal_end;
	float8		unit;
	int32		n,
				i,
				zonelen;
	const char *zone = NULL;
	RfmState   *s;

	version = pq_getmsgbyte(buf);
	if (version != RFM_STATE_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported rfm_state format version %d", version),
				 errhint("This version of churn reads version %d.", RFM_STATE_VERSION)));
	cal_end = pq_getmsgint(buf, 4);
	unit = pq_getmsgfloat8(buf);
	zonelen = pq_getmsgint(buf, 4);
	if (zonelen != 0)
	{
		if (zonelen < 0 || zonelen > buf->len - buf->cursor)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid time zone length %d in external rfm_state value", zonelen)));
		zone = pq_getmsgbytes(buf, zonelen);
		if (!churn_zone_key_valid(zone, zonelen))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid time zone in external rfm_state value")));
	}
	n = pq_getmsgint(buf, 4);
	if (n < 1 || n > (buf->len - buf->cursor) / 12)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid number of purchases %d in external rfm_state value", n)));
	s = rfm_new(n, cal_end, unit);
	s->version = (uint8) version;
	s->npurchases = n;
	if (zone)
	{
		s->flags = RFM_HAS_ZONE;
		s->zone = churn_zone_key_hash(zone, zonelen);
	}
	for (i = 0; i < n; i++)
	{
		s->purchases[i].day = pq_getmsgint(buf, 4);
		s->purchases[i].amount = pq_getmsgfloat8(buf);
		/* fold -0 into 0, as the text input does: one value, one form */
		if (s->purchases[i].amount == 0.0)
			s->purchases[i].amount = 0.0;
	}
	pq_getmsgend(buf);
	rfm_state_check(s, ERRCODE_INVALID_BINARY_REPRESENTATION, NULL);
	if (zone)
		churn_zone_remember(zone, zonelen);
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(rfm_state_send);
Datum
rfm_state_send(PG_FUNCTION_ARGS)
{
	RfmState   *s = (RfmState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	RfmPurchase *ps = rfm_sorted(s);
	StringInfoData buf;
	int32		i;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, s->version);
	pq_sendint32(&buf, s->calibration_end);
	pq_sendfloat8(&buf, s->unit_days);
	if (s->flags & RFM_HAS_ZONE)
	{
		const char *zone = churn_zone_of_hash(s->zone);

		pq_sendint32(&buf, strlen(zone));
		pq_sendbytes(&buf, zone, strlen(zone));
	}
	else
		pq_sendint32(&buf, 0);
	pq_sendint32(&buf, s->npurchases);
	for (i = 0; i < s->npurchases; i++)
	{
		pq_sendint32(&buf, ps[i].day);
		pq_sendfloat8(&buf, ps[i].amount);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}
