/*-------------------------------------------------------------------------
 *
 * agg_diversion.c
 *	  diversion_matrix: the from × to matrix of channel moves in a period,
 *	  with each from-channel's base; its state type churn.matrix_state.
 *
 * The state is one flat varlena (so that it is a real, shippable type) that
 * holds a channel dictionary (name, base count) and the (from, to, moved)
 * pairs, each with an open-addressing hash index, and the channel names in a
 * string area.  A row costs one or two hash look-ups; the state grows with
 * the number of distinct channels and pairs, never with the row count.  When
 * a table is full the state is rebuilt with twice the room (the new value
 * is allocated in the per-call context: nodeAgg copies a new by-reference
 * transition value into the aggregate context and frees the old one).
 *
 * Channels are text and are compared byte for byte (so under a
 * non-deterministic collation two "equal" names stay two channels).
 *
 * src/agg_diversion.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "common/hashfn.h"
#include "common/int.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "period.h"
#include "rates.h"

typedef struct MatrixChan
{
	int64		base;			/* stays of this channel in the base */
	int32		stroff;			/* name: offset in the string area */
	int32		len;			/* name: length in bytes */
} MatrixChan;

typedef struct MatrixPair
{
	int32		from;			/* channel index */
	int32		to;				/* channel index */
	int64		moved;			/* stays of "from" diverted to "to" */
} MatrixPair;

typedef struct MatrixState
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	uint8		version;		/* CHURN_STATE_VERSION */
	uint8		domain;			/* ChurnDomain */
	uint8		flags;			/* zero: reserved */
	uint8		pad;			/* zero */
	int32		nchan;
	int32		chancap;		/* a power of two */
	int32		npairs;
	int32		paircap;		/* a power of two */
	int32		strused;
	int32		strcap;
	int64		lower;			/* period [lower, upper) */
	int64		upper;

	/*
	 * chans[chancap], pairs[paircap], chanslots[2 * chancap],
	 * pairslots[2 * paircap] (index + 1, 0 = free), strings[strcap]
	 */
	char		data[FLEXIBLE_ARRAY_MEMBER];
} MatrixState;

#define MATRIX_STATE_TYPNAME	"churn.matrix_state"

#define MS_CHANS(st)	((MatrixChan *) (st)->data)
#define MS_PAIRS(st)	((MatrixPair *) ((st)->data + sizeof(MatrixChan) * (st)->chancap))
#define MS_CHANSLOTS(st) ((int32 *) ((char *) MS_PAIRS(st) + sizeof(MatrixPair) * (st)->paircap))
#define MS_PAIRSLOTS(st) (MS_CHANSLOTS(st) + 2 * (st)->chancap)
#define MS_STRINGS(st)	((char *) (MS_PAIRSLOTS(st) + 2 * (st)->paircap))

/* fn_extra of the transition functions */
typedef struct MatrixTransCache
{
	ChurnPeriodCache period;
} MatrixTransCache;

static Size matrix_size(int chancap, int paircap, int strcap);
static MatrixState *matrix_new(ChurnDomain domain, const ChurnPeriod *period,
							   int chancap, int paircap, int strcap);
static MatrixState *matrix_grow(MatrixState *st, int morechan, int morepair,
								int morestr);
static int	matrix_chan(MatrixState **stp, const char *name, int len, bool add);
static int	matrix_pair(MatrixState **stp, int from, int to, bool add);
static bool matrix_validate(MatrixState *st, bool binary, Node *escontext);

static Size
matrix_size(int chancap, int paircap, int strcap)
{
	Size		sz;

	sz = offsetof(MatrixState, data) +
		(Size) chancap * (sizeof(MatrixChan) + 2 * sizeof(int32)) +
		(Size) paircap * (sizeof(MatrixPair) + 2 * sizeof(int32)) +
		MAXALIGN((Size) strcap);
	if (sz > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("diversion matrix is too large"),
				 errdetail("The channel names and pairs of one group must fit in 1 GB.")));
	return sz;
}

static MatrixState *
matrix_new(ChurnDomain domain, const ChurnPeriod *period,
		   int chancap, int paircap, int strcap)
{
	Size		sz = matrix_size(chancap, paircap, strcap);
	MatrixState *st = palloc0(sz);

	SET_VARSIZE(st, sz);
	st->version = CHURN_STATE_VERSION;
	st->domain = (uint8) domain;
	st->chancap = chancap;
	st->paircap = paircap;
	st->strcap = (int32) MAXALIGN(strcap);
	st->lower = period->lower;
	st->upper = period->upper;
	return st;
}

static inline uint32
pair_hash(int from, int to)
{
	return murmurhash32(((uint32) from * 0x9E3779B1U) ^ (uint32) to);
}

/*
 * A copy of st with room for more channels, pairs and string bytes; the hash
 * indexes are rebuilt.
 */
static MatrixState *
matrix_grow(MatrixState *st, int morechan, int morepair, int morestr)
{
	int			chancap = st->chancap;
	int			paircap = st->paircap;
	int64		strcap = st->strcap;
	ChurnPeriod period;
	MatrixState *ns;
	int			k;

	while (st->nchan + morechan > chancap)
		chancap *= 2;
	while (st->npairs + morepair > paircap)
		paircap *= 2;
	while ((int64) st->strused + morestr > strcap)
		strcap *= 2;
	if (chancap > (1 << 24) || paircap > (1 << 24) || strcap > (int64) MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("diversion matrix is too large"),
				 errdetail("The channel names and pairs of one group must fit in 1 GB.")));

	period.lower = st->lower;
	period.upper = st->upper;
	ns = matrix_new(st->domain, &period, chancap, paircap, (int) strcap);
	ns->nchan = st->nchan;
	ns->npairs = st->npairs;
	ns->strused = st->strused;
	memcpy(MS_CHANS(ns), MS_CHANS(st), sizeof(MatrixChan) * st->nchan);
	memcpy(MS_PAIRS(ns), MS_PAIRS(st), sizeof(MatrixPair) * st->npairs);
	memcpy(MS_STRINGS(ns), MS_STRINGS(st), st->strused);

	for (k = 0; k < ns->nchan; k++)
	{
		MatrixChan *c = &MS_CHANS(ns)[k];
		uint32		mask = 2 * ns->chancap - 1;
		uint32		slot = hash_bytes((const unsigned char *) MS_STRINGS(ns) + c->stroff,
									  c->len) & mask;

		while (MS_CHANSLOTS(ns)[slot] != 0)
			slot = (slot + 1) & mask;
		MS_CHANSLOTS(ns)[slot] = k + 1;
	}
	for (k = 0; k < ns->npairs; k++)
	{
		MatrixPair *p = &MS_PAIRS(ns)[k];
		uint32		mask = 2 * ns->paircap - 1;
		uint32		slot = pair_hash(p->from, p->to) & mask;

		while (MS_PAIRSLOTS(ns)[slot] != 0)
			slot = (slot + 1) & mask;
		MS_PAIRSLOTS(ns)[slot] = k + 1;
	}
	return ns;
}

/*
 * Index of the channel called name; -1 when absent and !add.  May replace
 * *stp by a larger copy.
 */
static int
matrix_chan(MatrixState **stp, const char *name, int len, bool add)
{
	MatrixState *st = *stp;
	uint32		h = hash_bytes((const unsigned char *) name, len);
	uint32		mask;
	uint32		slot;
	MatrixChan *c;

	for (;;)
	{
		mask = 2 * st->chancap - 1;
		slot = h & mask;
		for (;;)
		{
			int32		v = MS_CHANSLOTS(st)[slot];

			if (v == 0)
				break;
			c = &MS_CHANS(st)[v - 1];
			if (c->len == len &&
				memcmp(MS_STRINGS(st) + c->stroff, name, len) == 0)
				return v - 1;
			slot = (slot + 1) & mask;
		}
		if (!add)
			return -1;
		if (st->nchan < st->chancap && (int64) st->strused + len <= st->strcap)
			break;
		st = matrix_grow(st, 1, 0, len);
		*stp = st;
	}
	c = &MS_CHANS(st)[st->nchan];
	c->base = 0;
	c->stroff = st->strused;
	c->len = len;
	memcpy(MS_STRINGS(st) + st->strused, name, len);
	st->strused += len;
	MS_CHANSLOTS(st)[slot] = ++st->nchan;
	return st->nchan - 1;
}

static int
matrix_pair(MatrixState **stp, int from, int to, bool add)
{
	MatrixState *st = *stp;
	uint32		h = pair_hash(from, to);
	uint32		mask;
	uint32		slot;
	MatrixPair *p;

	for (;;)
	{
		mask = 2 * st->paircap - 1;
		slot = h & mask;
		for (;;)
		{
			int32		v = MS_PAIRSLOTS(st)[slot];

			if (v == 0)
				break;
			p = &MS_PAIRS(st)[v - 1];
			if (p->from == from && p->to == to)
				return v - 1;
			slot = (slot + 1) & mask;
		}
		if (!add)
			return -1;
		if (st->npairs < st->paircap)
			break;
		st = matrix_grow(st, 0, 1, 0);
		*stp = st;
	}
	p = &MS_PAIRS(st)[st->npairs];
	p->from = from;
	p->to = to;
	p->moved = 0;
	MS_PAIRSLOTS(st)[slot] = ++st->npairs;
	return st->npairs - 1;
}

/* ----------------------------------------------------------------------
 * Validation and I/O
 *
 * Text form: (version,domain,lower,upper,{"name":base,...},{from:to:moved,...})
 * with domain 'd', 't' or 'l' (churn_domain_letter), channels in dictionary
 * order and pairs referring to them by 0-based position.
 * ----------------------------------------------------------------------
 */

/*
 * Check a state rebuilt by matrix_chan/matrix_pair from input: the
 * dictionaries are duplicate-free by construction, so what is left is the
 * numbers.
 */
static bool
matrix_validate(MatrixState *st, bool binary, Node *escontext)
{
	int64	   *out;
	int			k;

#define BAD(msg) \
	do { \
		churn_state_invalid(escontext, MATRIX_STATE_TYPNAME, binary, msg); \
		return false; \
	} while (0)
	if (!ChurnDomainIsValid(st->domain))
		BAD("Unknown domain.");
	if (st->domain == CHURN_DOMAIN_DATE ?
		(st->lower <= PG_INT32_MIN || st->upper >= PG_INT32_MAX ||
		 st->lower >= PG_INT32_MAX || st->upper <= PG_INT32_MIN) :
		(TIMESTAMP_NOT_FINITE(st->lower) || TIMESTAMP_NOT_FINITE(st->upper)))
		BAD("Period bound out of range.");
	if (st->lower >= st->upper)
		BAD("Period lower bound must be below its upper bound.");
	out = palloc0(sizeof(int64) * (st->nchan + 1));
	for (k = 0; k < st->npairs; k++)
	{
		MatrixPair *p = &MS_PAIRS(st)[k];

		if (p->moved <= 0)
			BAD("Every pair must have a positive count of moves.");
		if (pg_add_s64_overflow(out[p->from], p->moved, &out[p->from]))
			BAD("Counter out of range.");
	}
	for (k = 0; k < st->nchan; k++)
	{
		if (MS_CHANS(st)[k].base < 0)
			BAD("A base count is negative.");
		if (out[k] > MS_CHANS(st)[k].base)
			BAD("More stays diverted from a channel than in its base.");
	}
	pfree(out);
	return true;
#undef BAD
}

/* 22P03 unless at least n more bytes are left in buf */
static void
matrix_recv_need(StringInfo buf, int64 n)
{
	if (n < 0 || n > buf->len - buf->cursor)
		churn_recv_invalid(MATRIX_STATE_TYPNAME, "Message too short.");
}

static MatrixState *
matrix_empty_for_input(ChurnDomain domain, int64 lower, int64 upper)
{
	ChurnPeriod p;

	p.lower = lower;
	p.upper = upper;
	return matrix_new(domain, &p, 8, 8, 64);
}

PG_FUNCTION_INFO_V1(matrix_state_in);
Datum
matrix_state_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	ChurnScan	s;
	MatrixState *st;
	int64		v,
				lower,
				upper;
	char		dom;
	ChurnDomain domain = CHURN_DOMAIN_DATE;

	churn_scan_init(&s, str, MATRIX_STATE_TYPNAME, fcinfo->context);
	churn_scan_expect(&s, '(');
	v = churn_scan_int64(&s);
	if (!s.failed && v != CHURN_STATE_VERSION)
		churn_scan_error(&s, psprintf("Unsupported format version " INT64_FORMAT ".", v));
	churn_scan_expect(&s, ',');
	dom = churn_scan_char(&s);
	if (!s.failed && !churn_domain_of_letter(dom, &domain))
		churn_scan_error(&s, "The domain must be \"d\", \"t\" or \"l\".");
	churn_scan_expect(&s, ',');
	lower = churn_scan_int64(&s);
	churn_scan_expect(&s, ',');
	upper = churn_scan_int64(&s);
	if (s.failed)
		return (Datum) 0;		/* soft error (PostgreSQL 16+) */
	st = matrix_empty_for_input(domain, lower, upper);

	/* after an error (soft, 16+) the loops stop: churn_scan_maybe is false */
	churn_scan_expect(&s, ',');
	churn_scan_expect(&s, '{');
	if (!s.failed && !churn_scan_maybe(&s, '}'))
	{
		do
		{
			int			len;
			char	   *name = churn_scan_quoted(&s, &len);
			int			c;

			if (s.failed)
				break;
			if (matrix_chan(&st, name, len, false) >= 0)
			{
				churn_scan_error(&s, "Duplicate channel.");
				break;
			}
			c = matrix_chan(&st, name, len, true);
			churn_scan_expect(&s, ':');
			MS_CHANS(st)[c].base = churn_scan_int64(&s);
		} while (churn_scan_maybe(&s, ','));
		churn_scan_expect(&s, '}');
	}
	churn_scan_expect(&s, ',');
	churn_scan_expect(&s, '{');
	if (!s.failed && !churn_scan_maybe(&s, '}'))
	{
		do
		{
			int32		from,
						to;
			int			p;

			from = churn_scan_int32(&s);
			churn_scan_expect(&s, ':');
			to = churn_scan_int32(&s);
			churn_scan_expect(&s, ':');
			if (s.failed)
				break;
			if (from < 0 || from >= st->nchan || to < 0 || to >= st->nchan)
			{
				churn_scan_error(&s, "Pair refers to an unknown channel.");
				break;
			}
			if (matrix_pair(&st, from, to, false) >= 0)
			{
				churn_scan_error(&s, "Duplicate pair.");
				break;
			}
			p = matrix_pair(&st, from, to, true);
			MS_PAIRS(st)[p].moved = churn_scan_int64(&s);
		} while (churn_scan_maybe(&s, ','));
		churn_scan_expect(&s, '}');
	}
	churn_scan_expect(&s, ')');
	churn_scan_end(&s);

	if (s.failed || !matrix_validate(st, false, fcinfo->context))
		return (Datum) 0;		/* soft error (PostgreSQL 16+) */
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(matrix_state_out);
Datum
matrix_state_out(PG_FUNCTION_ARGS)
{
	MatrixState *st = (MatrixState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	StringInfoData buf;
	int			k;

	initStringInfo(&buf);
	appendStringInfo(&buf, "(%d,%c," INT64_FORMAT "," INT64_FORMAT ",{",
					 st->version, churn_domain_letter((ChurnDomain) st->domain),
					 st->lower, st->upper);
	for (k = 0; k < st->nchan; k++)
	{
		MatrixChan *c = &MS_CHANS(st)[k];

		if (k > 0)
			appendStringInfoChar(&buf, ',');
		churn_append_quoted(&buf, MS_STRINGS(st) + c->stroff, c->len);
		appendStringInfo(&buf, ":" INT64_FORMAT, c->base);
	}
	appendStringInfoString(&buf, "},{");
	for (k = 0; k < st->npairs; k++)
	{
		MatrixPair *p = &MS_PAIRS(st)[k];

		if (k > 0)
			appendStringInfoChar(&buf, ',');
		appendStringInfo(&buf, "%d:%d:" INT64_FORMAT, p->from, p->to, p->moved);
	}
	appendStringInfoString(&buf, "})");
	PG_RETURN_CSTRING(buf.data);
}

PG_FUNCTION_INFO_V1(matrix_state_recv);
Datum
matrix_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	MatrixState *st;
	int			version,
				dom,
				nchan,
				npairs,
				k;
	int64		lower,
				upper;

	matrix_recv_need(buf, 1 + 1 + 8 + 8 + 4);
	version = pq_getmsgbyte(buf);
	if (version != CHURN_STATE_VERSION)
		churn_recv_invalid(MATRIX_STATE_TYPNAME,
						   psprintf("Unsupported format version %d.", version));
	dom = pq_getmsgbyte(buf);
	if (!ChurnDomainIsValid(dom))
		churn_recv_invalid(MATRIX_STATE_TYPNAME, "Unknown domain.");
	lower = pq_getmsgint64(buf);
	upper = pq_getmsgint64(buf);
	st = matrix_empty_for_input((ChurnDomain) dom, lower, upper);

	nchan = (int32) pq_getmsgint(buf, 4);
	if (nchan < 0 || (int64) nchan * 12 > buf->len - buf->cursor)
		churn_recv_invalid(MATRIX_STATE_TYPNAME, "Invalid number of channels.");
	for (k = 0; k < nchan; k++)
	{
		int64		base;
		int			len;
		int			nbytes;
		char	   *name;
		int			c;

		matrix_recv_need(buf, 12);
		base = pq_getmsgint64(buf);
		len = (int32) pq_getmsgint(buf, 4);
		if (len < 0 || len > buf->len - buf->cursor)
			churn_recv_invalid(MATRIX_STATE_TYPNAME, "Invalid channel name length.");
		name = pq_getmsgtext(buf, len, &nbytes);
		if (matrix_chan(&st, name, nbytes, false) >= 0)
			churn_recv_invalid(MATRIX_STATE_TYPNAME, "Duplicate channel.");
		c = matrix_chan(&st, name, nbytes, true);
		MS_CHANS(st)[c].base = base;
	}
	matrix_recv_need(buf, 4);
	npairs = (int32) pq_getmsgint(buf, 4);
	if (npairs < 0 || (int64) npairs * 16 != buf->len - buf->cursor)
		churn_recv_invalid(MATRIX_STATE_TYPNAME, "Invalid number of pairs.");
	for (k = 0; k < npairs; k++)
	{
		int32		from = (int32) pq_getmsgint(buf, 4);
		int32		to = (int32) pq_getmsgint(buf, 4);
		int64		moved = pq_getmsgint64(buf);
		int			p;

		if (from < 0 || from >= st->nchan || to < 0 || to >= st->nchan)
			churn_recv_invalid(MATRIX_STATE_TYPNAME, "Pair refers to an unknown channel.");
		if (matrix_pair(&st, from, to, false) >= 0)
			churn_recv_invalid(MATRIX_STATE_TYPNAME, "Duplicate pair.");
		p = matrix_pair(&st, from, to, true);
		MS_PAIRS(st)[p].moved = moved;
	}
	pq_getmsgend(buf);

	matrix_validate(st, true, NULL);
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(matrix_state_send);
Datum
matrix_state_send(PG_FUNCTION_ARGS)
{
	MatrixState *st = (MatrixState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	StringInfoData buf;
	int			k;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, st->version);
	pq_sendbyte(&buf, st->domain);
	pq_sendint64(&buf, st->lower);
	pq_sendint64(&buf, st->upper);
	pq_sendint32(&buf, st->nchan);
	for (k = 0; k < st->nchan; k++)
	{
		MatrixChan *c = &MS_CHANS(st)[k];
		StringInfoData name;

		/* pq_sendtext converts to the client encoding: send its length */
		initStringInfo(&name);
		pq_sendtext(&name, MS_STRINGS(st) + c->stroff, c->len);
		pq_sendint64(&buf, c->base);
		pq_sendint32(&buf, name.len);
		pq_sendbytes(&buf, name.data, name.len);
		pfree(name.data);
	}
	pq_sendint32(&buf, st->npairs);
	for (k = 0; k < st->npairs; k++)
	{
		MatrixPair *p = &MS_PAIRS(st)[k];

		pq_sendint32(&buf, p->from);
		pq_sendint32(&buf, p->to);
		pq_sendint64(&buf, p->moved);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ----------------------------------------------------------------------
 * Transition and combine
 * ----------------------------------------------------------------------
 */

static void
matrix_check_period(const MatrixState *st, ChurnDomain domain,
					const ChurnPeriod *period)
{
	if (st->domain != domain)
		churn_report_domain_mismatch((ChurnDomain) st->domain, domain);
	if (st->lower != period->lower || st->upper != period->upper)
	{
		ChurnPeriod had;

		had.lower = st->lower;
		had.upper = st->upper;
		churn_report_mismatch("period", churn_period_out(domain, period),
							  churn_period_out(domain, &had));
	}
}

/* args: (state, channel text, moved_to text, since, until, period) */
static pg_attribute_always_inline Datum
diversion_matrix_accum(FunctionCallInfo fcinfo, ChurnDomain domain)
{
	MatrixTransCache *cache = (MatrixTransCache *) fcinfo->flinfo->fn_extra;
	MatrixState *st;
	ChurnPeriod period;
	int64		since,
				until = 0;
	bool		until_null;
	text	   *chan;
	int			c;

	if (unlikely(cache == NULL))
	{
		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt,
									   sizeof(MatrixTransCache));
		fcinfo->flinfo->fn_extra = cache;
	}
	churn_period_arg(fcinfo, 5, domain, &cache->period, &period);
	if (PG_ARGISNULL(0))
		st = matrix_new(domain, &period, 8, 8, 128);	/* see header comment */
	else
	{
		st = (MatrixState *) churn_state_writable(fcinfo, 0);
		if (st->lower != period.lower || st->upper != period.upper ||
			st->domain != domain)
			matrix_check_period(st, domain, &period);
	}

	/* a stay without channel or since is ignored */
	if (PG_ARGISNULL(1) || PG_ARGISNULL(3))
		PG_RETURN_POINTER(st);
	since = churn_value_from_datum(domain, PG_GETARG_DATUM(3));
	until_null = PG_ARGISNULL(4);
	if (!until_null)
		until = churn_value_from_datum(domain, PG_GETARG_DATUM(4));
	churn_check_since_until(domain, since, until_null, until);

	if (!(since < period.upper && (until_null || until >= period.lower)))
		PG_RETURN_POINTER(st);	/* not in the base */

	chan = PG_GETARG_TEXT_PP(1);
	c = matrix_chan(&st, VARDATA_ANY(chan), VARSIZE_ANY_EXHDR(chan), true);
	/* a hand-made state may hold a count at the bigint limit */
	if (pg_add_s64_overflow(MS_CHANS(st)[c].base, 1, &MS_CHANS(st)[c].base))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("bigint out of range")));
	if (!until_null && until < period.upper && !PG_ARGISNULL(2))
	{
		text	   *to = PG_GETARG_TEXT_PP(2);
		int			t = matrix_chan(&st, VARDATA_ANY(to), VARSIZE_ANY_EXHDR(to), true);
		int			p = matrix_pair(&st, c, t, true);

		if (pg_add_s64_overflow(MS_PAIRS(st)[p].moved, 1, &MS_PAIRS(st)[p].moved))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("bigint out of range")));
	}
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(diversion_matrix_trans_date);
Datum
diversion_matrix_trans_date(PG_FUNCTION_ARGS)
{
	return diversion_matrix_accum(fcinfo, CHURN_DOMAIN_DATE);
}

PG_FUNCTION_INFO_V1(diversion_matrix_trans_tstz);
Datum
diversion_matrix_trans_tstz(PG_FUNCTION_ARGS)
{
	return diversion_matrix_accum(fcinfo, CHURN_DOMAIN_TIMESTAMPTZ);
}

PG_FUNCTION_INFO_V1(diversion_matrix_trans_ts);
Datum
diversion_matrix_trans_ts(PG_FUNCTION_ARGS)
{
	return diversion_matrix_accum(fcinfo, CHURN_DOMAIN_TIMESTAMP);
}

PG_FUNCTION_INFO_V1(matrix_state_combine);
Datum
matrix_state_combine(PG_FUNCTION_ARGS)
{
	MatrixState *st = (MatrixState *) churn_state_writable(fcinfo, 0);
	MatrixState *other = (MatrixState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(1));
	ChurnPeriod period;
	int		   *map;
	int			k;

	period.lower = other->lower;
	period.upper = other->upper;
	matrix_check_period(st, other->domain, &period);

	map = palloc(sizeof(int) * (other->nchan + 1));
	for (k = 0; k < other->nchan; k++)
	{
		MatrixChan *oc = &MS_CHANS(other)[k];
		int			c = matrix_chan(&st, MS_STRINGS(other) + oc->stroff, oc->len, true);

		if (pg_add_s64_overflow(MS_CHANS(st)[c].base, oc->base, &MS_CHANS(st)[c].base))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("bigint out of range")));
		map[k] = c;
	}
	for (k = 0; k < other->npairs; k++)
	{
		MatrixPair *op = &MS_PAIRS(other)[k];
		int			p = matrix_pair(&st, map[op->from], map[op->to], true);

		if (pg_add_s64_overflow(MS_PAIRS(st)[p].moved, op->moved, &MS_PAIRS(st)[p].moved))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("bigint out of range")));
	}
	pfree(map);
	PG_RETURN_POINTER(st);
}

/* ----------------------------------------------------------------------
 * Final: array of churn.diversion_flow, ordered by from, to (bytewise)
 * ----------------------------------------------------------------------
 */

typedef struct FlowSort
{
	const char *from;
	int			fromlen;
	const char *to;
	int			tolen;
	int			pair;
} FlowSort;

static int
name_cmp(const char *a, int alen, const char *b, int blen)
{
	int			r = memcmp(a, b, Min(alen, blen));

	if (r != 0)
		return r;
	return (alen > blen) - (alen < blen);
}

static int
flow_cmp(const void *a, const void *b)
{
	const FlowSort *x = (const FlowSort *) a;
	const FlowSort *y = (const FlowSort *) b;
	int			r = name_cmp(x->from, x->fromlen, y->from, y->fromlen);

	if (r != 0)
		return r;
	return name_cmp(x->to, x->tolen, y->to, y->tolen);
}

PG_FUNCTION_INFO_V1(diversion_matrix_final);
Datum
diversion_matrix_final(PG_FUNCTION_ARGS)
{
	MatrixState *st = (MatrixState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	ChurnRowArray *ra = churn_row_array(fcinfo, 7, "final function of diversion_matrix");
	int64	   *out;
	FlowSort   *fs;
	Datum	   *elems;
	int			k;

	out = palloc0(sizeof(int64) * (st->nchan + 1));
	fs = palloc(sizeof(FlowSort) * (st->npairs + 1));
	for (k = 0; k < st->npairs; k++)
	{
		MatrixPair *p = &MS_PAIRS(st)[k];
		MatrixChan *f = &MS_CHANS(st)[p->from];
		MatrixChan *t = &MS_CHANS(st)[p->to];

		out[p->from] += p->moved;
		fs[k].from = MS_STRINGS(st) + f->stroff;
		fs[k].fromlen = f->len;
		fs[k].to = MS_STRINGS(st) + t->stroff;
		fs[k].tolen = t->len;
		fs[k].pair = k;
	}
	qsort(fs, st->npairs, sizeof(FlowSort), flow_cmp);

	elems = palloc(sizeof(Datum) * (st->npairs + 1));
	for (k = 0; k < st->npairs; k++)
	{
		MatrixPair *p = &MS_PAIRS(st)[fs[k].pair];
		int64		base = MS_CHANS(st)[p->from].base;
		Datum		values[7];
		bool		nulls[7] = {0};

		values[0] = PointerGetDatum(cstring_to_text_with_len(fs[k].from, fs[k].fromlen));
		values[1] = PointerGetDatum(cstring_to_text_with_len(fs[k].to, fs[k].tolen));
		values[2] = Int64GetDatum(p->moved);
		values[3] = Int64GetDatum(base);
		values[4] = Int64GetDatum(out[p->from]);
		/* base >= moved > 0 for every valid state */
		values[5] = Float8GetDatum((double) p->moved / (double) base);
		values[6] = Float8GetDatum((double) out[p->from] / (double) base);
		elems[k] = HeapTupleGetDatum(heap_form_tuple(ra->tupdesc, values, nulls));
	}
	return churn_row_array_build(ra, elems, st->npairs);
}
