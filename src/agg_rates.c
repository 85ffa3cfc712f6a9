/*-------------------------------------------------------------------------
 *
 * agg_rates.c
 *	  Counter aggregates over one period: churn_rate, retention_rate (with a
 *	  minimum-tenure variant) and diversion_rate, and their state type
 *	  churn.rate_state.
 *
 * The state is a fixed-size pass-by-reference type (72 bytes) holding the
 * period, the minimum tenure and four counters.  Transition functions update
 * it in place in aggregate context (as numeric.c's int8_avg_accum does with
 * its int8[] state), so a row costs a few comparisons and additions.  Each
 * aggregate has a combine function (parallel and Citus partial aggregation)
 * and an inverse transition function (window frames in O(1) per row).
 *
 * Period semantics (period P = [lower, upper), until NULL = still a customer):
 *	 at_start  since < lower AND (until IS NULL OR until >= lower)
 *	 new	   lower <= since < upper
 *	 lost	   at_start AND until < upper
 *	 new_lost  new AND until < upper
 *	 at_end    = at_start + new - lost - new_lost
 * Diversion (channel stays):
 *	 base	   since < upper AND (until IS NULL OR until >= lower)
 *	 diverted  lower <= until < upper AND moved_to IS NOT NULL
 *
 * The domain (period.h) is date, timestamptz or timestamp without time
 * zone, each with its own overloads.  A minimum tenure with months or days
 * over timestamptz is computed in the session TimeZone, and such a state
 * records the zone (format version 2, see state_zone.h); over timestamp it
 * is timestamp + interval, which needs no zone.  With no room left in the 72 bytes for a zone name,
 * the state holds a 32-bit hash of its key; the text and binary forms carry
 * the key itself.
 *
 * src/agg_rates.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <errno.h>

#include "common/int.h"
#include "libpq/pqformat.h"
#include "nodes/execnodes.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "period.h"
#include "rates.h"
#include "state_zone.h"

/* kinds of rate_state */
#define RATE_KIND_CHURN		'c'		/* at_start, new, lost, new_lost */
#define RATE_KIND_DIVERSION	'v'		/* base, diverted, 0, 0 */

/* flags */
#define RATE_HAS_PERIOD		0x01	/* period, domain and tenure are set */

typedef struct RateState
{
	uint8		version;		/* CHURN_STATE_VERSION[_ZONE] */
	uint8		kind;			/* RATE_KIND_* */
	uint8		domain;			/* ChurnDomain, when RATE_HAS_PERIOD */
	uint8		flags;			/* RATE_HAS_PERIOD */
	int32		tenure_month;	/* minimum tenure (zero: none) */
	int32		tenure_day;
	uint32		zone;			/* version 2: hash of the time zone key;
								 * version 1: zero (the padding of 1.0) */
	int64		tenure_time;
	int64		lower;			/* period [lower, upper) in the domain */
	int64		upper;
	int64		n[4];			/* counters, see RATE_KIND_* */
} RateState;

StaticAssertDecl(sizeof(RateState) == 72, "rate_state must be 72 bytes");

#define RATE_STATE_TYPNAME "churn.rate_state"

#define DatumGetRateState(d)	((RateState *) DatumGetPointer(d))
#define PG_GETARG_RATESTATE(n)	DatumGetRateState(PG_GETARG_DATUM(n))

/*
 * Whether the counts of a state with these parameters depend on the session
 * TimeZone: only a minimum tenure with months or days over timestamptz.
 */
static inline bool
rate_uses_zone(ChurnDomain domain, int32 tenure_month, int32 tenure_day)
{
	return domain == CHURN_DOMAIN_TIMESTAMPTZ &&
		(tenure_month != 0 || tenure_day != 0);
}

#define RateStateHasZone(st)	((st)->version == CHURN_STATE_VERSION_ZONE)

static bool rate_state_validate(const RateState *st, bool binary,
								Node *escontext);
static void rate_state_expect_kind(const RateState *st, int kind);
static inline RateState *rate_state_writable(FunctionCallInfo fcinfo,
											  int kind);
static void rate_state_set_params(RateState *st, int kind, ChurnDomain domain,
								  const ChurnPeriod *period,
								  const Interval *tenure);
static void rate_state_check_params(const RateState *st, int kind,
									ChurnDomain domain,
									const ChurnPeriod *period,
									const Interval *tenure);

/* ----------------------------------------------------------------------
 * Shared text scanning helpers (declared in rates.h)
 * ----------------------------------------------------------------------
 */

void
churn_scan_init(ChurnScan *s, const char *str, const char *typname,
				Node *escontext)
{
	s->str = str;
	s->p = str;
	s->typname = typname;
	s->escontext = escontext;
	s->failed = false;
}

void
churn_scan_error(ChurnScan *s, const char *detail)
{
	if (!s->failed)
		churn_errsave(s->escontext,
					  errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					  errmsg("invalid input syntax for type %s: \"%s\"",
							 s->typname, s->str),
					  errdetail("%s", detail));
	s->failed = true;
}

void
churn_scan_expect(ChurnScan *s, char c)
{
	if (s->failed)
		return;
	if (*s->p != c)
	{
		churn_scan_error(s, psprintf("Expected \"%c\" at offset %d.",
									 c, (int) (s->p - s->str)));
		return;
	}
	s->p++;
}

bool
churn_scan_maybe(ChurnScan *s, char c)
{
	if (s->failed || *s->p != c)
		return false;
	s->p++;
	return true;
}

int64
churn_scan_int64(ChurnScan *s)
{
	char	   *end;
	long long	v;

	if (s->failed)
		return 0;
	if (!(*s->p == '-' || (*s->p >= '0' && *s->p <= '9')))
	{
		churn_scan_error(s, psprintf("Expected an integer at offset %d.",
									 (int) (s->p - s->str)));
		return 0;
	}
	errno = 0;
	v = strtoll(s->p, &end, 10);
	if (errno == ERANGE || end == s->p)
	{
		churn_scan_error(s, psprintf("Integer out of range at offset %d.",
									 (int) (s->p - s->str)));
		return 0;
	}
	s->p = end;
	return (int64) v;
}

int32
churn_scan_int32(ChurnScan *s)
{
	const char *at = s->p;
	int64		v = churn_scan_int64(s);

	if (v < PG_INT32_MIN || v > PG_INT32_MAX)
	{
		churn_scan_error(s, psprintf("Integer out of range at offset %d.",
									 (int) (at - s->str)));
		return 0;
	}
	return (int32) v;
}

char
churn_scan_char(ChurnScan *s)
{
	char		c;

	if (s->failed)
		return '\0';
	c = *s->p;
	if (c == '\0')
	{
		churn_scan_error(s, "Unexpected end of input.");
		return '\0';
	}
	s->p++;
	return c;
}

char *
churn_scan_quoted(ChurnScan *s, int *len)
{
	StringInfoData buf;

	initStringInfo(&buf);
	*len = 0;
	churn_scan_expect(s, '"');
	while (!s->failed)
	{
		char		c = *s->p;

		if (c == '\0')
		{
			churn_scan_error(s, "Unterminated quoted string.");
			break;
		}
		s->p++;
		if (c == '"')
		{
			*len = buf.len;
			break;
		}
		if (c == '\\')
		{
			c = *s->p;
			if (c != '"' && c != '\\')
			{
				churn_scan_error(s, psprintf("Invalid escape at offset %d.",
											 (int) (s->p - s->str)));
				break;
			}
			s->p++;
		}
		appendStringInfoChar(&buf, c);
	}
	return buf.data;
}

void
churn_scan_end(ChurnScan *s)
{
	if (!s->failed && *s->p != '\0')
		churn_scan_error(s, psprintf("Junk after the value at offset %d.",
									 (int) (s->p - s->str)));
}

void
churn_append_quoted(StringInfo buf, const char *str, int len)
{
	int			i;

	appendStringInfoChar(buf, '"');
	for (i = 0; i < len; i++)
	{
		if (str[i] == '"' || str[i] == '\\')
			appendStringInfoChar(buf, '\\');
		appendStringInfoChar(buf, str[i]);
	}
	appendStringInfoChar(buf, '"');
}

void
churn_state_invalid(Node *escontext, const char *typname, bool binary,
					const char *detail)
{
	churn_errsave(binary ? NULL : escontext,
				  errcode(binary ? ERRCODE_INVALID_BINARY_REPRESENTATION :
						  ERRCODE_INVALID_TEXT_REPRESENTATION),
				  errmsg("invalid %s value for type %s",
						 binary ? "binary" : "text", typname),
				  errdetail("%s", detail));
}

void
churn_recv_invalid(const char *typname, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid binary value for type %s", typname),
			 errdetail("%s", detail)));
}

void
churn_report_mismatch(const char *what, const char *got, const char *had)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s \"%s\" differs from \"%s\" given earlier in the same group",
					what, got, had),
			 errhint("Every row (and every partial state) of one aggregate group must use the same %s.",
					 what)));
}

/* ----------------------------------------------------------------------
 * churn.rate_state I/O
 *
 * Text form: (version,kind,domain,lower,upper,tenure_month,tenure_day,
 *			   tenure_time,n0,n1,n2,n3[,"zone"])
 * with domain 'd' (date: days), 't' (timestamptz: microseconds), 'l'
 * (timestamp without time zone: microseconds; since 1.1) or '-' (no row
 * seen yet: every number zero), and the key of the time zone last in
 * version 2 only.  Integers are exact, so the text form round-trips bit for
 * bit.
 *
 * Binary form: the version byte, kind, domain and flags bytes, the tenure
 * (int32 months, int32 days, int64 microseconds), the period and the four
 * counters (int64 each), 8 reserved zero bytes; in version 2 then an int32
 * length and the bytes of the time zone key.
 * ----------------------------------------------------------------------
 */

static bool
rate_state_validate(const RateState *st, bool binary, Node *escontext)
{
	int			i;

#define BAD(msg) \
	do { \
		churn_state_invalid(escontext, RATE_STATE_TYPNAME, binary, msg); \
		return false; \
	} while (0)

	if (st->version != CHURN_STATE_VERSION &&
		st->version != CHURN_STATE_VERSION_ZONE)
		BAD(psprintf("Unsupported format version %d.", st->version));
	if (st->kind != RATE_KIND_CHURN && st->kind != RATE_KIND_DIVERSION)
		BAD("Unknown state kind.");
	if (st->flags & ~RATE_HAS_PERIOD ||
		(!RateStateHasZone(st) && st->zone != 0))
		BAD("Unknown flags.");
	for (i = 0; i < 4; i++)
		if (st->n[i] < 0)
			BAD("A counter is negative.");

	if (RateStateHasZone(st) &&
		(!(st->flags & RATE_HAS_PERIOD) ||
		 !rate_uses_zone(st->domain, st->tenure_month, st->tenure_day)))
		BAD("Only a minimum tenure with months or days over timestamptz has a time zone.");

	if (!(st->flags & RATE_HAS_PERIOD))
	{
		if (st->domain != 0 || st->lower != 0 || st->upper != 0 ||
			st->tenure_month != 0 || st->tenure_day != 0 ||
			st->tenure_time != 0 ||
			st->n[0] != 0 || st->n[1] != 0 || st->n[2] != 0 || st->n[3] != 0)
			BAD("A state without a period must be all zero.");
		return true;
	}

	if (!ChurnDomainIsValid(st->domain))
		BAD("Unknown domain.");
	if (st->domain == CHURN_DOMAIN_DATE)
	{
		if (st->lower <= PG_INT32_MIN || st->upper >= PG_INT32_MAX ||
			st->lower >= PG_INT32_MAX || st->upper <= PG_INT32_MIN)
			BAD("Period bound out of range.");
	}
	else if (TIMESTAMP_NOT_FINITE(st->lower) || TIMESTAMP_NOT_FINITE(st->upper))
		BAD("Period bound out of range.");
	if (st->lower >= st->upper)
		BAD("Period lower bound must be below its upper bound.");
	if (st->tenure_month < 0 || st->tenure_day < 0 || st->tenure_time < 0)
		BAD("Minimum tenure must not be negative.");

	if (st->kind == RATE_KIND_CHURN)
	{
		if (st->n[2] > st->n[0])
			BAD("More customers lost than at start.");
		if (st->n[3] > st->n[1])
			BAD("More new customers lost than new.");
	}
	else
	{
		if (st->n[1] > st->n[0])
			BAD("More stays diverted than in the base.");
		if (st->n[2] != 0 || st->n[3] != 0 ||
			st->tenure_month != 0 || st->tenure_day != 0 ||
			st->tenure_time != 0)
			BAD("Unused fields of a diversion state must be zero.");
	}
	return true;
#undef BAD
}

PG_FUNCTION_INFO_V1(rate_state_in);
Datum
rate_state_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	RateState  *st = palloc0(sizeof(RateState));
	ChurnScan	s;
	int64		version;
	char		dom;
	ChurnDomain domain;
	int			i;
	char	   *zone = NULL;
	int			zonelen = 0;

	churn_scan_init(&s, str, RATE_STATE_TYPNAME, fcinfo->context);
	churn_scan_expect(&s, '(');
	version = churn_scan_int64(&s);
	if (!s.failed && version != CHURN_STATE_VERSION &&
		version != CHURN_STATE_VERSION_ZONE)
		churn_scan_error(&s, psprintf("Unsupported format version " INT64_FORMAT ".",
									  version));
	st->version = (uint8) version;
	churn_scan_expect(&s, ',');
	st->kind = (uint8) churn_scan_char(&s);
	churn_scan_expect(&s, ',');
	dom = churn_scan_char(&s);
	if (churn_domain_of_letter(dom, &domain))
	{
		st->domain = (uint8) domain;
		st->flags = RATE_HAS_PERIOD;
	}
	else if (!s.failed && dom != '-')
		churn_scan_error(&s, "The domain must be \"d\", \"t\", \"l\" or \"-\".");
	churn_scan_expect(&s, ',');
	st->lower = churn_scan_int64(&s);
	churn_scan_expect(&s, ',');
	st->upper = churn_scan_int64(&s);
	churn_scan_expect(&s, ',');
	st->tenure_month = churn_scan_int32(&s);
	churn_scan_expect(&s, ',');
	st->tenure_day = churn_scan_int32(&s);
	churn_scan_expect(&s, ',');
	st->tenure_time = churn_scan_int64(&s);
	for (i = 0; i < 4; i++)
	{
		churn_scan_expect(&s, ',');
		st->n[i] = churn_scan_int64(&s);
	}
	if (version == CHURN_STATE_VERSION_ZONE)
	{
		churn_scan_expect(&s, ',');
		zone = churn_scan_quoted(&s, &zonelen);
		if (!s.failed && !churn_zone_key_valid(zone, zonelen))
			churn_scan_error(&s, "Invalid time zone.");
		if (!s.failed)
			st->zone = churn_zone_key_hash(zone, zonelen);
	}
	churn_scan_expect(&s, ')');
	churn_scan_end(&s);

	if (s.failed || !rate_state_validate(st, false, fcinfo->context))
		return (Datum) 0;		/* soft error (PostgreSQL 16+) */
	if (zone)
		churn_zone_remember(zone, zonelen);
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(rate_state_out);
Datum
rate_state_out(PG_FUNCTION_ARGS)
{
	RateState  *st = PG_GETARG_RATESTATE(0);
	char		dom;
	StringInfoData buf;

	if (!(st->flags & RATE_HAS_PERIOD))
		dom = '-';
	else
		dom = churn_domain_letter((ChurnDomain) st->domain);

	initStringInfo(&buf);
	appendStringInfo(&buf, "(%d,%c,%c," INT64_FORMAT "," INT64_FORMAT
					 ",%d,%d," INT64_FORMAT "," INT64_FORMAT ","
					 INT64_FORMAT "," INT64_FORMAT "," INT64_FORMAT,
					 st->version, st->kind, dom,
					 st->lower, st->upper,
					 st->tenure_month, st->tenure_day, st->tenure_time,
					 st->n[0], st->n[1], st->n[2], st->n[3]);
	if (RateStateHasZone(st))
	{
		const char *zone = churn_zone_of_hash(st->zone);

		appendStringInfoChar(&buf, ',');
		churn_append_quoted(&buf, zone, strlen(zone));
	}
	appendStringInfoChar(&buf, ')');
	PG_RETURN_CSTRING(buf.data);
}

PG_FUNCTION_INFO_V1(rate_state_recv);
Datum
rate_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	RateState  *st = palloc0(sizeof(RateState));
	int			i;
	int			fixed = 4 + 4 * 2 + 8 * 8;
	const char *zone = NULL;
	int			zonelen = 0;

	/* version 1 is these 76 bytes; version 2 adds the time zone */
	if (buf->len - buf->cursor < fixed ||
		(buf->data[buf->cursor] != CHURN_STATE_VERSION_ZONE &&
		 buf->len - buf->cursor != fixed))
		churn_recv_invalid(RATE_STATE_TYPNAME,
						   psprintf("Expected 76 bytes, got %d.",
									buf->len - buf->cursor));
	st->version = (uint8) pq_getmsgbyte(buf);
	st->kind = (uint8) pq_getmsgbyte(buf);
	st->domain = (uint8) pq_getmsgbyte(buf);
	st->flags = (uint8) pq_getmsgbyte(buf);
	st->tenure_month = (int32) pq_getmsgint(buf, 4);
	st->tenure_day = (int32) pq_getmsgint(buf, 4);
	st->tenure_time = pq_getmsgint64(buf);
	st->lower = pq_getmsgint64(buf);
	st->upper = pq_getmsgint64(buf);
	for (i = 0; i < 4; i++)
		st->n[i] = pq_getmsgint64(buf);
	/* 8 bytes reserved for future use, must be zero */
	if (pq_getmsgint64(buf) != 0)
		churn_recv_invalid(RATE_STATE_TYPNAME, "Reserved bytes must be zero.");
	if (st->version == CHURN_STATE_VERSION_ZONE)
	{
		if (buf->len - buf->cursor < 4)
			churn_recv_invalid(RATE_STATE_TYPNAME, "Message too short.");
		zonelen = (int32) pq_getmsgint(buf, 4);
		if (zonelen != buf->len - buf->cursor)
			churn_recv_invalid(RATE_STATE_TYPNAME, "Invalid time zone length.");
		zone = pq_getmsgbytes(buf, zonelen);
		if (!churn_zone_key_valid(zone, zonelen))
			churn_recv_invalid(RATE_STATE_TYPNAME, "Invalid time zone.");
		st->zone = churn_zone_key_hash(zone, zonelen);
	}
	pq_getmsgend(buf);

	rate_state_validate(st, true, NULL);
	if (zone)
		churn_zone_remember(zone, zonelen);
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(rate_state_send);
Datum
rate_state_send(PG_FUNCTION_ARGS)
{
	RateState  *st = PG_GETARG_RATESTATE(0);
	StringInfoData buf;
	int			i;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, st->version);
	pq_sendbyte(&buf, st->kind);
	pq_sendbyte(&buf, st->domain);
	pq_sendbyte(&buf, st->flags);
	pq_sendint32(&buf, st->tenure_month);
	pq_sendint32(&buf, st->tenure_day);
	pq_sendint64(&buf, st->tenure_time);
	pq_sendint64(&buf, st->lower);
	pq_sendint64(&buf, st->upper);
	for (i = 0; i < 4; i++)
		pq_sendint64(&buf, st->n[i]);
	pq_sendint64(&buf, 0);		/* reserved */
	if (RateStateHasZone(st))
	{
		const char *zone = churn_zone_of_hash(st->zone);

		pq_sendint32(&buf, strlen(zone));
		pq_sendbytes(&buf, zone, strlen(zone));
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ----------------------------------------------------------------------
 * Transition machinery
 * ----------------------------------------------------------------------
 */

static void
rate_state_expect_kind(const RateState *st, int kind)
{
	if (st->kind != kind)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rate_state of kind \"%c\" given where kind \"%c\" is expected",
						st->kind, kind)));
}

/*
 * The state argument, modifiable in place in aggregate context only.  The
 * transition functions are not STRICT (they skip rows with a NULL since), so
 * a NULL state can reach them when called directly or from an aggregate
 * declared without INITCOND: it starts as an empty state of the given kind.
 */
static inline RateState *
rate_state_writable(FunctionCallInfo fcinfo, int kind)
{
	RateState  *st;

	if (unlikely(PG_ARGISNULL(0)))
	{
		st = palloc0(sizeof(RateState));
		st->version = CHURN_STATE_VERSION;
		st->kind = (uint8) kind;
		return st;
	}
	st = PG_GETARG_RATESTATE(0);

	if (!churn_in_aggregate(fcinfo))
	{
		RateState  *copy = palloc(sizeof(RateState));

		memcpy(copy, st, sizeof(RateState));
		st = copy;
	}
	return st;
}

static void
rate_state_set_params(RateState *st, int kind, ChurnDomain domain,
					  const ChurnPeriod *period, const Interval *tenure)
{
	rate_state_expect_kind(st, kind);
	st->domain = (uint8) domain;
	st->flags |= RATE_HAS_PERIOD;
	st->lower = period->lower;
	st->upper = period->upper;
	st->tenure_month = tenure ? tenure->month : 0;
	st->tenure_day = tenure ? tenure->day : 0;
	st->tenure_time = tenure ? tenure->time : 0;
}

static void
rate_state_check_params(const RateState *st, int kind, ChurnDomain domain,
						const ChurnPeriod *period, const Interval *tenure)
{
	Interval	none = {0};

	rate_state_expect_kind(st, kind);
	if (st->domain != domain)
		churn_report_domain_mismatch((ChurnDomain) st->domain, domain);
	if (tenure == NULL)
		tenure = &none;
	if (st->lower != period->lower || st->upper != period->upper)
	{
		ChurnPeriod had;

		had.lower = st->lower;
		had.upper = st->upper;
		churn_report_mismatch("period", churn_period_out(domain, period),
							  churn_period_out(domain, &had));
	}
	if (st->tenure_month != tenure->month ||
		st->tenure_day != tenure->day ||
		st->tenure_time != tenure->time)
	{
		Interval	had;

		had.month = st->tenure_month;
		had.day = st->tenure_day;
		had.time = st->tenure_time;
		churn_report_mismatch("min_tenure",
							  DatumGetCString(DirectFunctionCall1(interval_out,
																  PointerGetDatum(tenure))),
							  DatumGetCString(DirectFunctionCall1(interval_out,
																  PointerGetDatum(&had))));
	}
}

/* Add one row to counter i; a hand-made state may sit at the bigint limit. */
static inline void
rate_state_add(RateState *st, int i, int sign)
{
	if (unlikely(pg_add_s64_overflow(st->n[i], sign, &st->n[i])))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s counter out of range", RATE_STATE_TYPNAME)));
}

/*
 * After an inverse transition: the row removed must have been counted, so
 * no counter went negative and lost <= at_start, new_lost <= new (churn),
 * diverted <= base (diversion) still hold.  Only a direct call can break
 * this; the moving-aggregate machinery removes only rows it added.
 */
static void
rate_state_check_removal(const RateState *st)
{
	if (st->n[0] < 0 || st->n[1] < 0 || st->n[2] < 0 || st->n[3] < 0 ||
		(st->kind == RATE_KIND_CHURN && (st->n[2] > st->n[0] || st->n[3] > st->n[1])) ||
		(st->kind == RATE_KIND_DIVERSION && st->n[1] > st->n[0]))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot remove a row from a %s that does not count it",
						RATE_STATE_TYPNAME)));
}

/* fn_extra of the transition functions */
typedef struct RateTransCache
{
	ChurnPeriodCache period;
	bool		tenure_checked;
	Interval	tenure;			/* last min_tenure validated */
	bool		tenure_uses_zone;	/* it has months or days */
	pg_tz	   *tz;				/* session TimeZone of zone_hash */
	uint32		zone_hash;		/* churn_session_zone_hash() */
} RateTransCache;

/*
 * A state whose counts depend on the session TimeZone takes the session's
 * zone if it has none (a new state, or one of churn 1.0); one of another
 * zone cannot take rows counted in this one.
 */
static void
rate_state_zone_for_session(RateState *st, uint32 session_hash)
{
	if (!RateStateHasZone(st))
	{
		st->version = CHURN_STATE_VERSION_ZONE;
		st->zone = session_hash;
	}
	else if (st->zone != session_hash)
		churn_zone_session_mismatch("churn_rate/retention_rate",
									churn_zone_of_hash(st->zone));
}

static inline RateTransCache *
rate_trans_cache(FunctionCallInfo fcinfo)
{
	RateTransCache *c = (RateTransCache *) fcinfo->flinfo->fn_extra;

	if (unlikely(c == NULL))
	{
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt,
								   sizeof(RateTransCache));
		fcinfo->flinfo->fn_extra = c;
	}
	return c;
}

/*
 * Add (sign = 1) or remove (sign = -1) one customer row:
 * args (state, since, until, period [, min_tenure]).
 */
static pg_attribute_always_inline Datum
churn_counts_accum(FunctionCallInfo fcinfo, ChurnDomain domain,
				   bool with_tenure, int sign)
{
	RateState  *st;
	RateTransCache *cache = rate_trans_cache(fcinfo);
	ChurnPeriod period;
	const Interval *tenure = NULL;
	int64		since,
				until = 0;
	bool		until_null;

	/* no row to remove from a state that does not exist: cannot invert */
	if (sign < 0 && PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = rate_state_writable(fcinfo, RATE_KIND_CHURN);

	churn_period_arg(fcinfo, 3, domain, &cache->period, &period);
	if (with_tenure)
	{
		if (PG_ARGISNULL(4))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("min_tenure must not be null")));
		tenure = PG_GETARG_INTERVAL_P(4);
		if (!cache->tenure_checked ||
			memcmp(&cache->tenure, tenure, sizeof(Interval)) != 0)
		{
			churn_check_nonnegative_interval(tenure, "min_tenure");
			cache->tenure = *tenure;
			cache->tenure_uses_zone = churn_interval_uses_zone(tenure);
			cache->tenure_checked = true;
		}
	}

	if (unlikely(!(st->flags & RATE_HAS_PERIOD)))
		rate_state_set_params(st, RATE_KIND_CHURN, domain, &period, tenure);
	else if (st->kind != RATE_KIND_CHURN || st->domain != domain ||
			 st->lower != period.lower || st->upper != period.upper ||
			 st->tenure_month != (tenure ? tenure->month : 0) ||
			 st->tenure_day != (tenure ? tenure->day : 0) ||
			 st->tenure_time != (tenure ? tenure->time : 0))
		rate_state_check_params(st, RATE_KIND_CHURN, domain, &period, tenure);

	/* tenure in local time: the state is of the session's zone */
	if (with_tenure && domain == CHURN_DOMAIN_TIMESTAMPTZ &&
		cache->tenure_uses_zone)
	{
		if (unlikely(cache->tz != session_timezone))
		{
			cache->zone_hash = churn_session_zone_hash();
			cache->tz = session_timezone;
		}
		if (unlikely(!RateStateHasZone(st) || st->zone != cache->zone_hash))
			rate_state_zone_for_session(st, cache->zone_hash);
	}

	/* a row without since is not a customer: ignored, like NULL in count() */
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

	if (since < period.lower)
	{
		if (until_null || until >= period.lower)
		{
			rate_state_add(st, 0, sign);	/* at_start */
			if (!until_null && until < period.upper)
				rate_state_add(st, 2, sign);	/* lost */
		}
	}
	else if (since < period.upper)
	{
		rate_state_add(st, 1, sign);	/* new */
		if (!until_null && until < period.upper)
			rate_state_add(st, 3, sign);	/* new_lost */
	}
	if (sign < 0)
		rate_state_check_removal(st);
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(churn_counts_trans_date);
Datum
churn_counts_trans_date(PG_FUNCTION_ARGS)
{
	return churn_counts_accum(fcinfo, CHURN_DOMAIN_DATE, false, 1);
}

PG_FUNCTION_INFO_V1(churn_counts_trans_tstz);
Datum
churn_counts_trans_tstz(PG_FUNCTION_ARGS)
{
	return churn_counts_accum(fcinfo, CHURN_DOMAIN_TIMESTAMPTZ, false, 1);
}

PG_FUNCTION_INFO_V1(churn_counts_trans_ts);
Datum
churn_counts_trans_ts(PG_FUNCTION_ARGS)
{
	return churn_counts_accum(fcinfo, CHURN_DOMAIN_TIMESTAMP, false, 1);
}

PG_FUNCTION_INFO_V1(churn_counts_trans_tenure_date);
Datum
churn_counts_trans_tenure_date(PG_FUNCTION_ARGS)
{
	return churn_counts_accum(fcinfo, CHURN_DOMAIN_DATE, true, 1);
}

PG_FUNCTION_INFO_V1(churn_counts_trans_tenure_tstz);
Datum
churn_counts_trans_tenure_tstz(PG_FUNCTION_ARGS)
{
	return churn_counts_accum(fcinfo, CHURN_DOMAIN_TIMESTAMPTZ, true, 1);
}

PG_FUNCTION_INFO_V1(churn_counts_trans_tenure_ts);
Datum
churn_counts_trans_tenure_ts(PG_FUNCTION_ARGS)
{
	return churn_counts_accum(fcinfo, CHURN_DOMAIN_TIMESTAMP, true, 1);
}

PG_FUNCTION_INFO_V1(churn_counts_inv_date);
Datum
churn_counts_inv_date(PG_FUNCTION_ARGS)
{
	return churn_counts_accum(fcinfo, CHURN_DOMAIN_DATE, false, -1);
}

PG_FUNCTION_INFO_V1(churn_counts_inv_tstz);
Datum
churn_counts_inv_tstz(PG_FUNCTION_ARGS)
{
	return churn_counts_accum(fcinfo, CHURN_DOMAIN_TIMESTAMPTZ, false, -1);
}

PG_FUNCTION_INFO_V1(churn_counts_inv_ts);
Datum
churn_counts_inv_ts(PG_FUNCTION_ARGS)
{
	return churn_counts_accum(fcinfo, CHURN_DOMAIN_TIMESTAMP, false, -1);
}

PG_FUNCTION_INFO_V1(churn_counts_inv_tenure_date);
Datum
churn_counts_inv_tenure_date(PG_FUNCTION_ARGS)
{
	return churn_counts_accum(fcinfo, CHURN_DOMAIN_DATE, true, -1);
}

PG_FUNCTION_INFO_V1(churn_counts_inv_tenure_tstz);
Datum
churn_counts_inv_tenure_tstz(PG_FUNCTION_ARGS)
{
	return churn_counts_accum(fcinfo, CHURN_DOMAIN_TIMESTAMPTZ, true, -1);
}

PG_FUNCTION_INFO_V1(churn_counts_inv_tenure_ts);
Datum
churn_counts_inv_tenure_ts(PG_FUNCTION_ARGS)
{
	return churn_counts_accum(fcinfo, CHURN_DOMAIN_TIMESTAMP, true, -1);
}

/*
 * Add or remove one channel stay: args (state, since, until, moved_to "any",
 * period).
 */
static pg_attribute_always_inline Datum
diversion_counts_accum(FunctionCallInfo fcinfo, ChurnDomain domain, int sign)
{
	RateState  *st;
	RateTransCache *cache = rate_trans_cache(fcinfo);
	ChurnPeriod period;
	int64		since,
				until = 0;
	bool		until_null;

	if (sign < 0 && PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = rate_state_writable(fcinfo, RATE_KIND_DIVERSION);

	churn_period_arg(fcinfo, 4, domain, &cache->period, &period);
	if (unlikely(!(st->flags & RATE_HAS_PERIOD)))
		rate_state_set_params(st, RATE_KIND_DIVERSION, domain, &period, NULL);
	else if (st->kind != RATE_KIND_DIVERSION || st->domain != domain ||
			 st->lower != period.lower || st->upper != period.upper ||
			 st->tenure_month != 0 || st->tenure_day != 0 || st->tenure_time != 0)
		rate_state_check_params(st, RATE_KIND_DIVERSION, domain, &period, NULL);

	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(st);
	since = churn_value_from_datum(domain, PG_GETARG_DATUM(1));
	until_null = PG_ARGISNULL(2);
	if (!until_null)
		until = churn_value_from_datum(domain, PG_GETARG_DATUM(2));
	churn_check_since_until(domain, since, until_null, until);

	if (since < period.upper && (until_null || until >= period.lower))
	{
		rate_state_add(st, 0, sign);	/* base */
		if (!until_null && until < period.upper && !PG_ARGISNULL(3))
			rate_state_add(st, 1, sign);	/* diverted (until >= lower: in base) */
	}
	if (sign < 0)
		rate_state_check_removal(st);
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(diversion_counts_trans_date);
Datum
diversion_counts_trans_date(PG_FUNCTION_ARGS)
{
	return diversion_counts_accum(fcinfo, CHURN_DOMAIN_DATE, 1);
}

PG_FUNCTION_INFO_V1(diversion_counts_trans_tstz);
Datum
diversion_counts_trans_tstz(PG_FUNCTION_ARGS)
{
	return diversion_counts_accum(fcinfo, CHURN_DOMAIN_TIMESTAMPTZ, 1);
}

PG_FUNCTION_INFO_V1(diversion_counts_trans_ts);
Datum
diversion_counts_trans_ts(PG_FUNCTION_ARGS)
{
	return diversion_counts_accum(fcinfo, CHURN_DOMAIN_TIMESTAMP, 1);
}

PG_FUNCTION_INFO_V1(diversion_counts_inv_date);
Datum
diversion_counts_inv_date(PG_FUNCTION_ARGS)
{
	return diversion_counts_accum(fcinfo, CHURN_DOMAIN_DATE, -1);
}

PG_FUNCTION_INFO_V1(diversion_counts_inv_tstz);
Datum
diversion_counts_inv_tstz(PG_FUNCTION_ARGS)
{
	return diversion_counts_accum(fcinfo, CHURN_DOMAIN_TIMESTAMPTZ, -1);
}

PG_FUNCTION_INFO_V1(diversion_counts_inv_ts);
Datum
diversion_counts_inv_ts(PG_FUNCTION_ARGS)
{
	return diversion_counts_accum(fcinfo, CHURN_DOMAIN_TIMESTAMP, -1);
}

/*
 * Combine two partial states (STRICT; in place in aggregate context).  A
 * state that has seen no row takes the other's parameters; two states with
 * parameters must agree on them.
 */
PG_FUNCTION_INFO_V1(rate_state_combine);
Datum
rate_state_combine(PG_FUNCTION_ARGS)
{
	RateState  *st;
	RateState  *other = PG_GETARG_RATESTATE(1);
	int			i;

	st = rate_state_writable(fcinfo, other->kind);	/* STRICT: never NULL */
	if (st->kind != other->kind)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine a rate_state of kind \"%c\" with one of kind \"%c\"",
						st->kind, other->kind)));
	if (!(other->flags & RATE_HAS_PERIOD))
		PG_RETURN_POINTER(st);
	if (!(st->flags & RATE_HAS_PERIOD))
	{
		memcpy(st, other, sizeof(RateState));
		PG_RETURN_POINTER(st);
	}

	/*
	 * States of two time zones are refused first: their periods, taken
	 * from local midnight, usually differ too, but the zone is the cause.
	 * A state without a zone (churn 1.0's) combines with any.
	 */
	if (RateStateHasZone(st) && RateStateHasZone(other) &&
		st->zone != other->zone)
	{
		const char *zone1 = churn_zone_of_hash(st->zone);
		const char *zone2 = churn_zone_of_hash(other->zone);

		churn_zone_combine_mismatch("churn_rate/retention_rate", zone1, zone2);
	}
	{
		ChurnPeriod p;
		Interval	t;

		p.lower = other->lower;
		p.upper = other->upper;
		t.month = other->tenure_month;
		t.day = other->tenure_day;
		t.time = other->tenure_time;
		rate_state_check_params(st, other->kind, other->domain, &p, &t);
	}
	/* the same parameters: both depend on the time zone or neither */
	if (RateStateHasZone(other) && !RateStateHasZone(st))
	{
		st->version = CHURN_STATE_VERSION_ZONE;
		st->zone = other->zone;
	}

	for (i = 0; i < 4; i++)
		if (pg_add_s64_overflow(st->n[i], other->n[i], &st->n[i]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("bigint out of range")));
	PG_RETURN_POINTER(st);
}

/* ----------------------------------------------------------------------
 * Final functions (read-only: also used for window frames)
 * ----------------------------------------------------------------------
 */

/* A state counted in local time must be of the session's time zone. */
static void
rate_state_check_final_zone(const RateState *st, const char *aggname)
{
	if (RateStateHasZone(st) && st->zone != churn_session_zone_hash())
		churn_zone_session_mismatch(aggname, churn_zone_of_hash(st->zone));
}

PG_FUNCTION_INFO_V1(churn_rate_final);
Datum
churn_rate_final(PG_FUNCTION_ARGS)
{
	RateState  *st = PG_GETARG_RATESTATE(0);

	rate_state_expect_kind(st, RATE_KIND_CHURN);
	rate_state_check_final_zone(st, "churn_rate");
	if (st->n[0] == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8((double) st->n[2] / (double) st->n[0]);
}

PG_FUNCTION_INFO_V1(retention_rate_final);
Datum
retention_rate_final(PG_FUNCTION_ARGS)
{
	RateState  *st = PG_GETARG_RATESTATE(0);

	rate_state_expect_kind(st, RATE_KIND_CHURN);
	rate_state_check_final_zone(st, "retention_rate");
	if (st->n[0] == 0)
		PG_RETURN_NULL();
	/* (at_end - new) / at_start = (at_start - lost - new_lost) / at_start */
	PG_RETURN_FLOAT8((double) (st->n[0] - st->n[2] - st->n[3]) /
					 (double) st->n[0]);
}

PG_FUNCTION_INFO_V1(diversion_rate_final);
Datum
diversion_rate_final(PG_FUNCTION_ARGS)
{
	RateState  *st = PG_GETARG_RATESTATE(0);

	rate_state_expect_kind(st, RATE_KIND_DIVERSION);
	if (st->n[0] == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8((double) st->n[1] / (double) st->n[0]);
}
