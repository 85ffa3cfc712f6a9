/*-------------------------------------------------------------------------
 *
 * agg_periods.c
 *	  churn_periods: at_start, new, lost, new_lost, at_end and the rates of
 *	  every consecutive step of a period, in one pass over the rows; its
 *	  state type churn.periods_state.
 *
 * The state holds the step boundaries (computed once per group: calendar
 * arithmetic, timestamptz in the session TimeZone) and, per step, a few
 * counters.  A row costs two binary searches over the boundaries and at most
 * five counter updates, whatever the number of steps, so the aggregate is
 * O(rows × log steps + steps):
 *
 *	 i = step holding since (-1 before the period, n after it)
 *	 j = step holding until (n when until is NULL or after the period)
 *	 new[i]++				when 0 <= i < n
 *	 new_lost[i]++			when 0 <= i < n and i = j
 *	 lost[j]++				when 0 <= j < n and i < j
 *	 at_start[k]++ for every k in (i, j]: a difference array,
 *	   diff[max(i+1, 0)]++ and diff[min(j, n) + 1]--
 *
 * at_start is kept for k = 0 .. n (k = n is "at the end of the last step"),
 * and the final function prefix-sums it: at_end(k) = at_start(k + 1) is
 * counted independently of new, lost and new_lost, so the balance identity
 * at_end = at_start + new - lost - new_lost is a real invariant, which input
 * validation checks.
 *
 * Over timestamptz, steps and minimum tenures with months or days are
 * computed in the session TimeZone; such a state records the zone's key
 * after its counters (format version 2, see state_zone.h), and its combine
 * and final functions refuse another zone.  Over timestamp without time
 * zone they are timestamp + interval, and the state records none.
 *
 * src/agg_periods.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "period.h"
#include "rates.h"
#include "state_zone.h"

typedef struct PeriodsState
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	uint8		version;		/* CHURN_STATE_VERSION[_ZONE] */
	uint8		domain;			/* ChurnDomain */
	uint8		flags;			/* zero: reserved */
	uint8		pad;			/* zero */
	int32		nsteps;			/* n >= 1 */
	int32		zonelen;		/* version 2: bytes of the time zone key
								 * after the data; version 1: zero (the
								 * padding of 1.0) */
	int64		step_time;
	int64		tenure_time;
	int32		step_day;
	int32		step_month;
	int32		tenure_day;
	int32		tenure_month;
	/* bounds[n+1], diff[n+2], new[n], lost[n], new_lost[n], then the zone */
	int64		data[FLEXIBLE_ARRAY_MEMBER];
} PeriodsState;

#define PERIODS_STATE_TYPNAME	"churn.periods_state"
#define PS_NDATA(n)				(5 * (int64) (n) + 3)
#define PS_SIZE(n)				(offsetof(PeriodsState, data) + sizeof(int64) * PS_NDATA(n))
#define PS_BOUNDS(st)			((st)->data)
#define PS_DIFF(st)				((st)->data + (st)->nsteps + 1)
#define PS_NEW(st)				((st)->data + 2 * (st)->nsteps + 3)
#define PS_LOST(st)				((st)->data + 3 * (st)->nsteps + 3)
#define PS_NEWLOST(st)			((st)->data + 4 * (st)->nsteps + 3)
#define PS_ZONE(st)				((char *) ((st)->data + PS_NDATA((st)->nsteps)))

#define DatumGetPeriodsState(d)	((PeriodsState *) PG_DETOAST_DATUM(d))

/* fn_extra of the transition functions */
typedef struct PeriodsTransCache
{
	ChurnPeriodCache period;
	bool		tenure_checked;
	Interval	tenure;
	/* boundaries computed for the last (period, step, TimeZone) */
	bool		bounds_valid;
	ChurnPeriod bounds_period;
	Interval	bounds_step;
	pg_tz	   *bounds_tz;
	int			nsteps;
	int64	   *bounds;			/* in fn_mcxt */
} PeriodsTransCache;

static bool periods_state_validate(const PeriodsState *st, bool binary,
								   Node *escontext);
static PeriodsState *periods_state_new(ChurnDomain domain, int n,
									   const int64 *bounds,
									   const Interval *step,
									   const Interval *tenure,
									   const char *zone);
static PeriodsState *periods_state_with_zone(const PeriodsState *st,
											 const char *zone, int zonelen);
static bool periods_uses_zone(ChurnDomain domain, const Interval *step,
							  const Interval *tenure);
static void periods_check_params(const PeriodsState *st, ChurnDomain domain,
								 const ChurnPeriod *period,
								 const Interval *step,
								 const Interval *tenure);
static char *interval_str(int32 month, int32 day, int64 time);

static char *
interval_str(int32 month, int32 day, int64 time)
{
	Interval	iv;

	iv.month = month;
	iv.day = day;
	iv.time = time;
	return DatumGetCString(DirectFunctionCall1(interval_out, PointerGetDatum(&iv)));
}

/* Whether steps or tenures with these parameters use the time zone. */
static bool
periods_uses_zone(ChurnDomain domain, const Interval *step,
				  const Interval *tenure)
{
	return domain == CHURN_DOMAIN_TIMESTAMPTZ &&
		(churn_interval_uses_zone(step) || churn_interval_uses_zone(tenure));
}

/* A new empty state; zone is the key of its time zone, or NULL for none. */
static PeriodsState *
periods_state_new(ChurnDomain domain, int n, const int64 *bounds,
				  const Interval *step, const Interval *tenure,
				  const char *zone)
{
	int			zonelen = zone ? strlen(zone) : 0;
	PeriodsState *st = palloc0(PS_SIZE(n) + zonelen);

	SET_VARSIZE(st, PS_SIZE(n) + zonelen);
	st->version = zone ? CHURN_STATE_VERSION_ZONE : CHURN_STATE_VERSION;
	st->zonelen = zonelen;
	st->domain = (uint8) domain;
	st->nsteps = n;
	st->step_month = step->month;
	st->step_day = step->day;
	st->step_time = step->time;
	if (tenure)
	{
		st->tenure_month = tenure->month;
		st->tenure_day = tenure->day;
		st->tenure_time = tenure->time;
	}
	memcpy(PS_BOUNDS(st), bounds, sizeof(int64) * (n + 1));
	if (zone)
		memcpy(PS_ZONE(st), zone, zonelen);
	return st;
}

/* A copy of a state without a zone, with that zone (a new palloc'd value). */
static PeriodsState *
periods_state_with_zone(const PeriodsState *st, const char *zone, int zonelen)
{
	PeriodsState *ns = palloc(PS_SIZE(st->nsteps) + zonelen);

	Assert(st->zonelen == 0);
	memcpy(ns, st, PS_SIZE(st->nsteps));
	SET_VARSIZE(ns, PS_SIZE(st->nsteps) + zonelen);
	ns->version = CHURN_STATE_VERSION_ZONE;
	ns->zonelen = zonelen;
	memcpy(PS_ZONE(ns), zone, zonelen);
	return ns;
}

/* ----------------------------------------------------------------------
 * Validation and I/O
 *
 * Text form: (version,domain,n,step_month,step_day,step_usec,tenure_month,
 *			   tenure_day,tenure_usec,{bounds},{at_start_diff},{new},{lost},
 *			   {new_lost}[,"zone"])
 * with the key of the time zone last in version 2 only.
 * ----------------------------------------------------------------------
 */

static bool
periods_state_validate(const PeriodsState *st, bool binary, Node *escontext)
{
	int			n = st->nsteps;
	const int64 *b = PS_BOUNDS(st);
	const int64 *diff = PS_DIFF(st);
	const int64 *nw = PS_NEW(st);
	const int64 *lost = PS_LOST(st);
	const int64 *nl = PS_NEWLOST(st);
	int64		at_start = 0;
	int64		expect;
	int			k;

#define BAD(msg) \
	do { \
		churn_state_invalid(escontext, PERIODS_STATE_TYPNAME, binary, msg); \
		return false; \
	} while (0)
	if (st->version != CHURN_STATE_VERSION &&
		st->version != CHURN_STATE_VERSION_ZONE)
		BAD(psprintf("Unsupported format version %d.", st->version));
	if (!ChurnDomainIsValid(st->domain))
		BAD("Unknown domain.");
	if (st->flags != 0 || st->pad != 0 ||
		(st->version == CHURN_STATE_VERSION && st->zonelen != 0))
		BAD("Unknown flags.");
	if (n < 1 || n > CHURN_MAX_STEPS)
		BAD(psprintf("The number of steps must be between 1 and %d.", CHURN_MAX_STEPS));
	if ((st->step_month <= 0 && st->step_day <= 0 && st->step_time <= 0) ||
		(st->domain == CHURN_DOMAIN_DATE && st->step_time != 0))
		BAD("Invalid step.");
	if (st->tenure_month < 0 || st->tenure_day < 0 || st->tenure_time < 0)
		BAD("Minimum tenure must not be negative.");
	if (st->version == CHURN_STATE_VERSION_ZONE)
	{
		Interval	step,
					tenure;

		step.month = st->step_month;
		step.day = st->step_day;
		step.time = st->step_time;
		tenure.month = st->tenure_month;
		tenure.day = st->tenure_day;
		tenure.time = st->tenure_time;
		if (!periods_uses_zone(st->domain, &step, &tenure))
			BAD("Only steps or minimum tenures with months or days over timestamptz have a time zone.");
		if (!churn_zone_key_valid(PS_ZONE(st), st->zonelen))
			BAD("Invalid time zone.");
	}
	for (k = 0; k <= n; k++)
	{
		if (st->domain == CHURN_DOMAIN_DATE ?
			(b[k] <= PG_INT32_MIN || b[k] >= PG_INT32_MAX) :
			TIMESTAMP_NOT_FINITE(b[k]))
			BAD("Step boundary out of range.");
		if (k > 0 && b[k] <= b[k - 1])
			BAD("Step boundaries must increase.");
	}
	for (k = 0; k <= n; k++)
	{
		int64		next;

		if (pg_add_s64_overflow(at_start, diff[k], &at_start) || at_start < 0)
			BAD("Customer counts at step starts must not be negative.");
		if (k == n)
			break;
		if (nw[k] < 0 || lost[k] < 0 || nl[k] < 0)
			BAD("A counter is negative.");
		if (lost[k] > at_start || nl[k] > nw[k])
			BAD("More customers lost than present.");
		/*
		 * at_end(k) = at_start(k + 1).  The numbers come from outside:
		 * compute (at_start - lost) + (new - new_lost), both terms in
		 * [0, INT64_MAX] after the checks above, so that only a true sum
		 * beyond bigint (which next cannot equal) overflows.
		 */
		if (pg_add_s64_overflow(at_start, diff[k + 1], &next) ||
			pg_add_s64_overflow(at_start - lost[k], nw[k] - nl[k], &expect) ||
			next != expect)
			BAD(psprintf("Step %d does not balance: at_end must equal at_start + new - lost - new_lost.", k));
	}
	if (pg_add_s64_overflow(at_start, diff[n + 1], &expect) || expect != 0)
		BAD("The at_start differences must sum to zero.");
	return true;
#undef BAD
}

static void
append_int64_array(StringInfo buf, const int64 *a, int len)
{
	int			i;

	appendStringInfoString(buf, ",{");
	for (i = 0; i < len; i++)
	{
		if (i > 0)
			appendStringInfoChar(buf, ',');
		appendStringInfo(buf, INT64_FORMAT, a[i]);
	}
	appendStringInfoChar(buf, '}');
}

static void
scan_int64_array(ChurnScan *s, int64 *a, int len)
{
	int			i;

	churn_scan_expect(s, ',');
	churn_scan_expect(s, '{');
	for (i = 0; i < len; i++)
	{
		if (i > 0)
			churn_scan_expect(s, ',');
		a[i] = churn_scan_int64(s);
	}
	churn_scan_expect(s, '}');
}

PG_FUNCTION_INFO_V1(periods_state_in);
Datum
periods_state_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	ChurnScan	s;
	PeriodsState hdr;
	PeriodsState *st;
	int64		v;
	int			version;
	char		dom;
	ChurnDomain domain = CHURN_DOMAIN_DATE;
	int			n;

	memset(&hdr, 0, sizeof(hdr));
	churn_scan_init(&s, str, PERIODS_STATE_TYPNAME, fcinfo->context);
	churn_scan_expect(&s, '(');
	v = churn_scan_int64(&s);
	if (!s.failed && v != CHURN_STATE_VERSION && v != CHURN_STATE_VERSION_ZONE)
		churn_scan_error(&s, psprintf("Unsupported format version " INT64_FORMAT ".", v));
	version = (int) v;
	churn_scan_expect(&s, ',');
	dom = churn_scan_char(&s);
	if (!s.failed && !churn_domain_of_letter(dom, &domain))
		churn_scan_error(&s, "The domain must be \"d\", \"t\" or \"l\".");
	churn_scan_expect(&s, ',');
	v = churn_scan_int64(&s);
	if (!s.failed && (v < 1 || v > CHURN_MAX_STEPS))
		churn_scan_error(&s, psprintf("The number of steps must be between 1 and %d.",
									  CHURN_MAX_STEPS));
	if (s.failed)
		return (Datum) 0;		/* soft error (PostgreSQL 16+) */
	n = (int) v;
	churn_scan_expect(&s, ',');
	hdr.step_month = churn_scan_int32(&s);
	churn_scan_expect(&s, ',');
	hdr.step_day = churn_scan_int32(&s);
	churn_scan_expect(&s, ',');
	hdr.step_time = churn_scan_int64(&s);
	churn_scan_expect(&s, ',');
	hdr.tenure_month = churn_scan_int32(&s);
	churn_scan_expect(&s, ',');
	hdr.tenure_day = churn_scan_int32(&s);
	churn_scan_expect(&s, ',');
	hdr.tenure_time = churn_scan_int64(&s);
	/* every number takes a character at least: refuse before allocating */
	if (!s.failed && PS_NDATA(n) > (int64) strlen(s.p))
		churn_scan_error(&s, "The arrays are shorter than the number of steps requires.");
	if (s.failed)
		return (Datum) 0;		/* soft error (PostgreSQL 16+) */

	st = palloc0(PS_SIZE(n));
	memcpy(st, &hdr, offsetof(PeriodsState, data));
	SET_VARSIZE(st, PS_SIZE(n));
	st->version = CHURN_STATE_VERSION;
	st->domain = (uint8) domain;
	st->nsteps = n;
	scan_int64_array(&s, PS_BOUNDS(st), n + 1);
	scan_int64_array(&s, PS_DIFF(st), n + 2);
	scan_int64_array(&s, PS_NEW(st), n);
	scan_int64_array(&s, PS_LOST(st), n);
	scan_int64_array(&s, PS_NEWLOST(st), n);
	if (version == CHURN_STATE_VERSION_ZONE)
	{
		int			zonelen;
		char	   *zone;

		churn_scan_expect(&s, ',');
		zone = churn_scan_quoted(&s, &zonelen);
		if (!s.failed && (zonelen < 1 || zonelen > CHURN_ZONE_MAXLEN))
			churn_scan_error(&s, "Invalid time zone.");
		if (!s.failed)
		{
			st = repalloc(st, PS_SIZE(n) + zonelen);
			SET_VARSIZE(st, PS_SIZE(n) + zonelen);
			st->version = CHURN_STATE_VERSION_ZONE;
			st->zonelen = zonelen;
			memcpy(PS_ZONE(st), zone, zonelen);
		}
	}
	churn_scan_expect(&s, ')');
	churn_scan_end(&s);

	if (s.failed || !periods_state_validate(st, false, fcinfo->context))
		return (Datum) 0;		/* soft error (PostgreSQL 16+) */
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(periods_state_out);
Datum
periods_state_out(PG_FUNCTION_ARGS)
{
	PeriodsState *st = DatumGetPeriodsState(PG_GETARG_DATUM(0));
	StringInfoData buf;
	int			n = st->nsteps;

	initStringInfo(&buf);
	appendStringInfo(&buf, "(%d,%c,%d,%d,%d," INT64_FORMAT ",%d,%d," INT64_FORMAT,
					 st->version,
					 churn_domain_letter((ChurnDomain) st->domain),
					 n, st->step_month, st->step_day, st->step_time,
					 st->tenure_month, st->tenure_day, st->tenure_time);
	append_int64_array(&buf, PS_BOUNDS(st), n + 1);
	append_int64_array(&buf, PS_DIFF(st), n + 2);
	append_int64_array(&buf, PS_NEW(st), n);
	append_int64_array(&buf, PS_LOST(st), n);
	append_int64_array(&buf, PS_NEWLOST(st), n);
	if (st->zonelen > 0)
	{
		appendStringInfoChar(&buf, ',');
		churn_append_quoted(&buf, PS_ZONE(st), st->zonelen);
	}
	appendStringInfoChar(&buf, ')');
	PG_RETURN_CSTRING(buf.data);
}

#define PS_BINARY_HEADER	(1 + 1 + 4 + 4 + 4 + 8 + 4 + 4 + 8)

PG_FUNCTION_INFO_V1(periods_state_recv);
Datum
periods_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	PeriodsState hdr;
	PeriodsState *st;
	int			n;
	int64		i;

	memset(&hdr, 0, sizeof(hdr));
	if (buf->len - buf->cursor < PS_BINARY_HEADER)
		churn_recv_invalid(PERIODS_STATE_TYPNAME, "Message too short.");
	hdr.version = (uint8) pq_getmsgbyte(buf);
	hdr.domain = (uint8) pq_getmsgbyte(buf);
	n = (int32) pq_getmsgint(buf, 4);
	hdr.step_month = (int32) pq_getmsgint(buf, 4);
	hdr.step_day = (int32) pq_getmsgint(buf, 4);
	hdr.step_time = pq_getmsgint64(buf);
	hdr.tenure_month = (int32) pq_getmsgint(buf, 4);
	hdr.tenure_day = (int32) pq_getmsgint(buf, 4);
	hdr.tenure_time = pq_getmsgint64(buf);
	if (hdr.version != CHURN_STATE_VERSION &&
		hdr.version != CHURN_STATE_VERSION_ZONE)
		churn_recv_invalid(PERIODS_STATE_TYPNAME,
						   psprintf("Unsupported format version %d.", hdr.version));
	if (n < 1 || n > CHURN_MAX_STEPS)
		churn_recv_invalid(PERIODS_STATE_TYPNAME,
						   psprintf("The number of steps must be between 1 and %d.",
									 CHURN_MAX_STEPS));
	/* version 2: the counters, then an int32 length and the zone's key */
	if (hdr.version == CHURN_STATE_VERSION_ZONE ?
		buf->len - buf->cursor < PS_NDATA(n) * 8 + 4 :
		buf->len - buf->cursor != PS_NDATA(n) * 8)
		churn_recv_invalid(PERIODS_STATE_TYPNAME, "Message length does not match the number of steps.");

	st = palloc0(PS_SIZE(n));
	memcpy(st, &hdr, offsetof(PeriodsState, data));
	SET_VARSIZE(st, PS_SIZE(n));
	st->nsteps = n;
	for (i = 0; i < PS_NDATA(n); i++)
		st->data[i] = pq_getmsgint64(buf);
	if (hdr.version == CHURN_STATE_VERSION_ZONE)
	{
		int32		zonelen = (int32) pq_getmsgint(buf, 4);

		if (zonelen < 1 || zonelen > CHURN_ZONE_MAXLEN ||
			zonelen != buf->len - buf->cursor)
			churn_recv_invalid(PERIODS_STATE_TYPNAME, "Invalid time zone length.");
		st = repalloc(st, PS_SIZE(n) + zonelen);
		SET_VARSIZE(st, PS_SIZE(n) + zonelen);
		st->zonelen = zonelen;
		pq_copymsgbytes(buf, PS_ZONE(st), zonelen);
	}
	pq_getmsgend(buf);

	periods_state_validate(st, true, NULL);
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(periods_state_send);
Datum
periods_state_send(PG_FUNCTION_ARGS)
{
	PeriodsState *st = DatumGetPeriodsState(PG_GETARG_DATUM(0));
	StringInfoData buf;
	int64		i;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, st->version);
	pq_sendbyte(&buf, st->domain);
	pq_sendint32(&buf, st->nsteps);
	pq_sendint32(&buf, st->step_month);
	pq_sendint32(&buf, st->step_day);
	pq_sendint64(&buf, st->step_time);
	pq_sendint32(&buf, st->tenure_month);
	pq_sendint32(&buf, st->tenure_day);
	pq_sendint64(&buf, st->tenure_time);
	for (i = 0; i < PS_NDATA(st->nsteps); i++)
		pq_sendint64(&buf, st->data[i]);
	if (st->zonelen > 0)
	{
		pq_sendint32(&buf, st->zonelen);
		pq_sendbytes(&buf, PS_ZONE(st), st->zonelen);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ----------------------------------------------------------------------
 * Transition
 * ----------------------------------------------------------------------
 */

static void
periods_check_params(const PeriodsState *st, ChurnDomain domain,
					 const ChurnPeriod *period, const Interval *step,
					 const Interval *tenure)
{
	const int64 *b = PS_BOUNDS(st);

	if (st->domain != domain)
		churn_report_domain_mismatch((ChurnDomain) st->domain, domain);
	if (b[0] != period->lower || b[st->nsteps] != period->upper)
	{
		ChurnPeriod had;

		had.lower = b[0];
		had.upper = b[st->nsteps];
		churn_report_mismatch("period", churn_period_out(domain, period),
							  churn_period_out(domain, &had));
	}
	if (st->step_month != step->month || st->step_day != step->day ||
		st->step_time != step->time)
		churn_report_mismatch("step",
							  interval_str(step->month, step->day, step->time),
							  interval_str(st->step_month, st->step_day, st->step_time));
	if (st->tenure_month != tenure->month || st->tenure_day != tenure->day ||
		st->tenure_time != tenure->time)
		churn_report_mismatch("min_tenure",
							  interval_str(tenure->month, tenure->day, tenure->time),
							  interval_str(st->tenure_month, st->tenure_day, st->tenure_time));
}

/*
 * args: (state, since, until, period, step [, min_tenure])
 */
static pg_attribute_always_inline Datum
churn_periods_accum(FunctionCallInfo fcinfo, ChurnDomain domain,
					bool with_tenure)
{
	PeriodsTransCache *cache = (PeriodsTransCache *) fcinfo->flinfo->fn_extra;
	PeriodsState *st;
	ChurnPeriod period;
	const Interval *step;
	Interval	no_tenure = {0};
	const Interval *tenure = &no_tenure;
	int64		since,
				until = 0;
	bool		until_null;
	int			n,
				i,
				j,
				lo,
				hi;
	const int64 *b;
	bool		uses_zone;

	if (unlikely(cache == NULL))
	{
		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt,
									   sizeof(PeriodsTransCache));
		fcinfo->flinfo->fn_extra = cache;
	}
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("period must not be null")));
	if (PG_ARGISNULL(4))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("step must not be null")));
	churn_period_from_range_cached(&cache->period, PG_GETARG_DATUM(3), domain,
								   "period", &period);
	step = PG_GETARG_INTERVAL_P(4);
	if (with_tenure)
	{
		if (PG_ARGISNULL(5))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("min_tenure must not be null")));
		tenure = PG_GETARG_INTERVAL_P(5);
		if (!cache->tenure_checked ||
			memcmp(&cache->tenure, tenure, sizeof(Interval)) != 0)
		{
			churn_check_nonnegative_interval(tenure, "min_tenure");
			cache->tenure = *tenure;
			cache->tenure_checked = true;
		}
	}
	uses_zone = periods_uses_zone(domain, step, tenure);

	if (PG_ARGISNULL(0))
	{
		/*
		 * First row of a group.  The boundaries of the last (period, step)
		 * are cached across groups.  The new state is allocated in the
		 * per-call context: nodeAgg and nodeWindowAgg copy a new by-reference
		 * transition value into the aggregate context, and later calls
		 * update that copy in place.
		 */
		if (!cache->bounds_valid ||
			cache->bounds_period.lower != period.lower ||
			cache->bounds_period.upper != period.upper ||
			memcmp(&cache->bounds_step, step, sizeof(Interval)) != 0 ||
			(domain == CHURN_DOMAIN_TIMESTAMPTZ &&
			 cache->bounds_tz != session_timezone))
		{
			int64	   *bounds;
			int			nb;

			nb = churn_step_bounds(domain, &period, step, CHURN_MAX_STEPS,
								   &bounds);
			if (cache->bounds)
				pfree(cache->bounds);
			cache->bounds_valid = false;
			cache->bounds = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt,
											   sizeof(int64) * (nb + 1));
			memcpy(cache->bounds, bounds, sizeof(int64) * (nb + 1));
			pfree(bounds);
			cache->nsteps = nb;
			cache->bounds_period = period;
			cache->bounds_step = *step;
			cache->bounds_tz = session_timezone;
			cache->bounds_valid = true;
		}
		st = periods_state_new(domain, cache->nsteps, cache->bounds, step,
							   tenure, uses_zone ? churn_session_zone() : NULL);
	}
	else
	{
		/* a state that is not our own in-memory value may be toasted */
		st = (PeriodsState *) churn_state_writable(fcinfo, 0);
		n = st->nsteps;
		if (PS_BOUNDS(st)[0] != period.lower ||
			PS_BOUNDS(st)[n] != period.upper ||
			st->step_month != step->month || st->step_day != step->day ||
			st->step_time != step->time ||
			st->tenure_month != tenure->month ||
			st->tenure_day != tenure->day ||
			st->tenure_time != tenure->time ||
			st->domain != domain)
			periods_check_params(st, domain, &period, step, tenure);

		/*
		 * Rows counted in local time go into a state of the session's zone;
		 * one without a zone (churn 1.0's) takes it.
		 */
		if (uses_zone)
		{
			const char *zone = churn_session_zone();
			int			zonelen = strlen(zone);

			if (unlikely(st->zonelen != zonelen ||
						 memcmp(PS_ZONE(st), zone, zonelen) != 0))
			{
				if (st->zonelen != 0)
					churn_zone_session_mismatch("churn_periods",
												pnstrdup(PS_ZONE(st), st->zonelen));
				st = periods_state_with_zone(st, zone, zonelen);
			}
		}
	}

	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(st);
	since = churn_value_from_datum(domain, PG_GETARG_DATUM(1));
	until_null = PG_ARGISNULL(2);
	if (!until_null)
		until = churn_value_from_datum(domain, PG_GETARG_DATUM(2));
	churn_check_since_until(domain, since, until_null, until);
	if (with_tenure && !until_null &&
		churn_tenure_below(domain, since, until, tenure))
		PG_RETURN_POINTER(st);	/* excluded from the sample */

	n = st->nsteps;
	b = PS_BOUNDS(st);
	i = churn_step_index(b, n, since);
	if (i >= n)
		PG_RETURN_POINTER(st);	/* a customer only from after the period */
	j = until_null ? n : churn_step_index(b, n, until);
	if (j < 0)
		PG_RETURN_POINTER(st);	/* gone before the period */

	if (i >= 0)
	{
		PS_NEW(st)[i]++;
		if (i == j)
			PS_NEWLOST(st)[i]++;
	}
	if (j < n && i < j)
		PS_LOST(st)[j]++;
	/* at_start(k) for k in (i, j], k <= n */
	lo = i + 1;
	hi = j;
	if (lo <= hi)
	{
		PS_DIFF(st)[lo]++;
		PS_DIFF(st)[hi + 1]--;
	}
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(churn_periods_trans_date);
Datum
churn_periods_trans_date(PG_FUNCTION_ARGS)
{
	return churn_periods_accum(fcinfo, CHURN_DOMAIN_DATE, false);
}

PG_FUNCTION_INFO_V1(churn_periods_trans_tstz);
Datum
churn_periods_trans_tstz(PG_FUNCTION_ARGS)
{
	return churn_periods_accum(fcinfo, CHURN_DOMAIN_TIMESTAMPTZ, false);
}

PG_FUNCTION_INFO_V1(churn_periods_trans_ts);
Datum
churn_periods_trans_ts(PG_FUNCTION_ARGS)
{
	return churn_periods_accum(fcinfo, CHURN_DOMAIN_TIMESTAMP, false);
}

PG_FUNCTION_INFO_V1(churn_periods_trans_tenure_date);
Datum
churn_periods_trans_tenure_date(PG_FUNCTION_ARGS)
{
	return churn_periods_accum(fcinfo, CHURN_DOMAIN_DATE, true);
}

PG_FUNCTION_INFO_V1(churn_periods_trans_tenure_tstz);
Datum
churn_periods_trans_tenure_tstz(PG_FUNCTION_ARGS)
{
	return churn_periods_accum(fcinfo, CHURN_DOMAIN_TIMESTAMPTZ, true);
}

PG_FUNCTION_INFO_V1(churn_periods_trans_tenure_ts);
Datum
churn_periods_trans_tenure_ts(PG_FUNCTION_ARGS)
{
	return churn_periods_accum(fcinfo, CHURN_DOMAIN_TIMESTAMP, true);
}

/*
 * Combine (STRICT: nodeAgg takes the first non-NULL state as it is).
 */
PG_FUNCTION_INFO_V1(periods_state_combine);
Datum
periods_state_combine(PG_FUNCTION_ARGS)
{
	PeriodsState *st = (PeriodsState *) churn_state_writable(fcinfo, 0);
	PeriodsState *other = DatumGetPeriodsState(PG_GETARG_DATUM(1));
	int64		k;
	Interval	step,
				tenure;
	ChurnPeriod period;

	period.lower = PS_BOUNDS(other)[0];
	period.upper = PS_BOUNDS(other)[other->nsteps];
	step.month = other->step_month;
	step.day = other->step_day;
	step.time = other->step_time;
	tenure.month = other->tenure_month;
	tenure.day = other->tenure_day;
	tenure.time = other->tenure_time;
	/*
	 * States of two time zones are refused first: their periods, taken from
	 * local midnight, usually differ too, but the zone is the cause.  A
	 * state without a zone (churn 1.0's) combines with any, and the
	 * boundaries below still catch two of those from different zones.
	 */
	if (st->zonelen > 0 && other->zonelen > 0 &&
		(st->zonelen != other->zonelen ||
		 memcmp(PS_ZONE(st), PS_ZONE(other), st->zonelen) != 0))
		churn_zone_combine_mismatch("churn_periods",
									pnstrdup(PS_ZONE(st), st->zonelen),
									pnstrdup(PS_ZONE(other), other->zonelen));
	periods_check_params(st, other->domain, &period, &step, &tenure);
	/* the same parameters: both use the time zone or neither */
	if (other->zonelen > 0 && st->zonelen == 0)
		st = periods_state_with_zone(st, PS_ZONE(other), other->zonelen);
	if (st->nsteps != other->nsteps ||
		memcmp(PS_BOUNDS(st), PS_BOUNDS(other),
			   sizeof(int64) * (st->nsteps + 1)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine churn_periods states with different step boundaries"),
				 errdetail("The states were computed in different time zones.")));
	for (k = st->nsteps + 1; k < PS_NDATA(st->nsteps); k++)
		if (pg_add_s64_overflow(st->data[k], other->data[k], &st->data[k]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("bigint out of range")));
	PG_RETURN_POINTER(st);
}

/* ----------------------------------------------------------------------
 * Final: array of churn.churn_period (date), churn.churn_period_tz
 * (timestamptz) or churn.churn_period_ts (timestamp)
 * ----------------------------------------------------------------------
 */
static Datum
churn_periods_final_common(FunctionCallInfo fcinfo, ChurnDomain domain)
{
	PeriodsState *st = DatumGetPeriodsState(PG_GETARG_DATUM(0));
	ChurnRowArray *ra;
	int			n = st->nsteps;
	const int64 *b = PS_BOUNDS(st);
	const int64 *diff = PS_DIFF(st);
	Datum	   *elems;
	int64		at_start;
	int			k;

	if (st->domain != domain)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("churn_periods state of %s values cannot give %s rows",
						churn_domain_name((ChurnDomain) st->domain),
						churn_domain_name(domain))));
	if (st->zonelen > 0)
	{
		const char *zone = churn_session_zone();

		if (st->zonelen != (int) strlen(zone) ||
			memcmp(PS_ZONE(st), zone, st->zonelen) != 0)
			churn_zone_session_mismatch("churn_periods",
										pnstrdup(PS_ZONE(st), st->zonelen));
	}
	ra = churn_row_array(fcinfo, 9, "final function of churn_periods");

	elems = palloc(sizeof(Datum) * n);
	at_start = diff[0];
	for (k = 0; k < n; k++)
	{
		Datum		values[9];
		bool		nulls[9];
		int64		nw = PS_NEW(st)[k];
		int64		lost = PS_LOST(st)[k];
		int64		nl = PS_NEWLOST(st)[k];
		int64		at_end = at_start + diff[k + 1];
		HeapTuple	tup;

		memset(nulls, 0, sizeof(nulls));
		values[0] = churn_value_to_datum(domain, b[k]);
		values[1] = churn_value_to_datum(domain, b[k + 1]);
		values[2] = Int64GetDatum(at_start);
		values[3] = Int64GetDatum(nw);
		values[4] = Int64GetDatum(lost);
		values[5] = Int64GetDatum(nl);
		values[6] = Int64GetDatum(at_end);
		if (at_start == 0)
		{
			nulls[7] = true;
			nulls[8] = true;
			values[7] = values[8] = (Datum) 0;
		}
		else
		{
			values[7] = Float8GetDatum((double) lost / (double) at_start);
			values[8] = Float8GetDatum((double) (at_end - nw) / (double) at_start);
		}
		tup = heap_form_tuple(ra->tupdesc, values, nulls);
		elems[k] = HeapTupleGetDatum(tup);
		at_start = at_end;
	}
	return churn_row_array_build(ra, elems, n);
}

PG_FUNCTION_INFO_V1(churn_periods_final_date);
Datum
churn_periods_final_date(PG_FUNCTION_ARGS)
{
	return churn_periods_final_common(fcinfo, CHURN_DOMAIN_DATE);
}

PG_FUNCTION_INFO_V1(churn_periods_final_tstz);
Datum
churn_periods_final_tstz(PG_FUNCTION_ARGS)
{
	return churn_periods_final_common(fcinfo, CHURN_DOMAIN_TIMESTAMPTZ);
}

PG_FUNCTION_INFO_V1(churn_periods_final_ts);
Datum
churn_periods_final_ts(PG_FUNCTION_ARGS)
{
	return churn_periods_final_common(fcinfo, CHURN_DOMAIN_TIMESTAMP);
}
