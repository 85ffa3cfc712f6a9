/*-------------------------------------------------------------------------
 *
 * agg_metrics.c
 *	  Counter aggregates nps, conversion_rate and value_churn_rate, and the
 *	  I/O of their fixed-size state types.
 *
 * Every aggregate here keeps a fixed-size, pass-by-reference state of a real
 * type of the extension (not internal) so that Citus can push partial
 * aggregation to its workers and ship the states through their text form.
 * Like int8_avg_accum in PostgreSQL's numeric.c, the transition, inverse and
 * combine functions update their first argument in place when they run
 * inside an aggregate or window aggregate (AggCheckCallContext's test,
 * inlined; the executor then owns that datum, copied into the aggregate
 * context from INITCOND), and work on a copy when called directly from SQL.
 * Nothing is allocated per row.
 *
 * Rates are returned as float8 fractions (0.05 for 5%), NPS in points from
 * -100 to 100.  Both are computed from exact integer counts with one
 * division, so they are the correctly rounded value of the exact ratio (as
 * long as the counts stay below 2^53).
 *
 * src/agg_metrics.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "nodes/execnodes.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"
#include "utils/syscache.h"
#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif

#include "metrics.h"
#include "state_io.h"

/* Length in bytes of the binary forms: version byte plus the counters. */
#define NPS_STATE_BINARY_LEN	(1 + 3 * 8)
#define RATIO_STATE_BINARY_LEN	(1 + 2 * 8)

/*
 * Input functions raise soft errors from PostgreSQL 16 on, so that
 * pg_input_is_valid() (and from 17 COPY ... ON_ERROR) can trap them.
 */
#define STATE_INPUT_ERROR(fcinfo, ...) \
	churn_ereturn((fcinfo)->context, (Datum) 0, __VA_ARGS__)

/*
 * Parse "(n1,n2,...,nk)" of exactly nfields non-negative bigints, with
 * optional white space around the numbers and the whole.  Returns false on
 * anything else.
 */
static bool
parse_counter_tuple(const char *str, int64 *fields, int nfields)
{
	const char *p = str;
	int			i;

	while (isspace((unsigned char) *p))
		p++;
	if (*p++ != '(')
		return false;
	for (i = 0; i < nfields; i++)
	{
		char	   *end;
		int64		v;

		while (isspace((unsigned char) *p))
			p++;
		if (!isdigit((unsigned char) *p))
			return false;		/* no sign, no empty field */
		errno = 0;
		v = strtoi64(p, &end, 10);
		if (errno != 0 || end == p)
			return false;
		fields[i] = v;
		p = end;
		while (isspace((unsigned char) *p))
			p++;
		if (*p++ != (i == nfields - 1 ? ')' : ','))
			return false;
	}
	while (isspace((unsigned char) *p))
		p++;
	return *p == '\0';
}

/*
 * Check the invariants of a counter state read from text or binary input.
 * Returns NULL when valid, else a description for errdetail.
 */
static const char *
nps_state_problem(const NpsState *s)
{
	int64		sum;

	if (s->promoters < 0 || s->passives < 0 || s->detractors < 0)
		return "Counts cannot be negative.";
	if (pg_add_s64_overflow(s->promoters, s->passives, &sum) ||
		pg_add_s64_overflow(sum, s->detractors, &sum))
		return "The total number of answers exceeds the bigint range.";
	return NULL;
}

static const char *
ratio_state_problem(const RatioState *s)
{
	if (s->hits < 0 || s->total < 0)
		return "Counts cannot be negative.";
	if (s->hits > s->total)
		return "The count of hits cannot exceed the total.";
	return NULL;
}

/* ---------- churn.nps_state I/O ---------- */

PG_FUNCTION_INFO_V1(nps_state_in);
Datum
nps_state_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	NpsState   *state = palloc(sizeof(NpsState));
	int64		f[3];
	const char *problem;

	if (!parse_counter_tuple(str, f, 3))
		STATE_INPUT_ERROR(fcinfo,
						  (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
						   errmsg("invalid input syntax for type %s: \"%s\"",
								  "nps_state", str),
						   errhint("The form is (promoters,passives,detractors), three non-negative integers.")));
	state->promoters = f[0];
	state->passives = f[1];
	state->detractors = f[2];
	problem = nps_state_problem(state);
	if (problem)
		STATE_INPUT_ERROR(fcinfo,
						  (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
						   errmsg("invalid input syntax for type %s: \"%s\"",
								  "nps_state", str),
						   errdetail("%s", problem)));
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(nps_state_out);
Datum
nps_state_out(PG_FUNCTION_ARGS)
{
	NpsState   *state = (NpsState *) PG_GETARG_POINTER(0);

	PG_RETURN_CSTRING(psprintf("(" INT64_FORMAT "," INT64_FORMAT "," INT64_FORMAT ")",
							   state->promoters, state->passives,
							   state->detractors));
}

PG_FUNCTION_INFO_V1(nps_state_recv);
Datum
nps_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	NpsState   *state = palloc(sizeof(NpsState));
	const char *problem;
	int			version;

	if (buf->len - buf->cursor != NPS_STATE_BINARY_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary nps_state: length %d, expected %d",
						buf->len - buf->cursor, NPS_STATE_BINARY_LEN)));
	version = pq_getmsgbyte(buf);
	if (version != METRICS_STATE_BINARY_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported binary nps_state format version \"%d\"", version)));
	state->promoters = pq_getmsgint64(buf);
	state->passives = pq_getmsgint64(buf);
	state->detractors = pq_getmsgint64(buf);
	problem = nps_state_problem(state);
	if (problem)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary nps_state (" INT64_FORMAT "," INT64_FORMAT "," INT64_FORMAT ")",
						state->promoters, state->passives, state->detractors),
				 errdetail("%s", problem)));
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(nps_state_send);
Datum
nps_state_send(PG_FUNCTION_ARGS)
{
	NpsState   *state = (NpsState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, METRICS_STATE_BINARY_VERSION);
	pq_sendint64(&buf, state->promoters);
	pq_sendint64(&buf, state->passives);
	pq_sendint64(&buf, state->detractors);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ---------- conversion_state / value_churn_state I/O (shared) ---------- */

/*
 * The name of a ratio state type (conversion_state or value_churn_state,
 * which share their I/O functions), from the typioparam the I/O gets.
 */
static const char *
ratio_type_name(FunctionCallInfo fcinfo, int argno)
{
	HeapTuple	tup;
	char	   *name;

	if (PG_NARGS() <= argno || PG_ARGISNULL(argno))
		return "ratio state";
	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(PG_GETARG_OID(argno)));
	if (!HeapTupleIsValid(tup))
		return "ratio state";
	name = pstrdup(NameStr(((Form_pg_type) GETSTRUCT(tup))->typname));
	ReleaseSysCache(tup);
	return name;
}

PG_FUNCTION_INFO_V1(ratio_state_in);
Datum
ratio_state_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	RatioState *state = palloc(sizeof(RatioState));
	int64		f[2];
	const char *problem;

	if (!parse_counter_tuple(str, f, 2))
		STATE_INPUT_ERROR(fcinfo,
						  (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
						   errmsg("invalid input syntax for type %s: \"%s\"",
								  ratio_type_name(fcinfo, 1), str),
						   errhint("The form is (hits,total), two non-negative integers.")));
	state->hits = f[0];
	state->total = f[1];
	problem = ratio_state_problem(state);
	if (problem)
		STATE_INPUT_ERROR(fcinfo,
						  (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
						   errmsg("invalid input syntax for type %s: \"%s\"",
								  ratio_type_name(fcinfo, 1), str),
						   errdetail("%s", problem)));
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(ratio_state_out);
Datum
ratio_state_out(PG_FUNCTION_ARGS)
{
	RatioState *state = (RatioState *) PG_GETARG_POINTER(0);

	PG_RETURN_CSTRING(psprintf("(" INT64_FORMAT "," INT64_FORMAT ")",
							   state->hits, state->total));
}

PG_FUNCTION_INFO_V1(ratio_state_recv);
Datum
ratio_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	RatioState *state = palloc(sizeof(RatioState));
	const char *problem;
	int			version;

	if (buf->len - buf->cursor != RATIO_STATE_BINARY_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary %s: length %d, expected %d",
						ratio_type_name(fcinfo, 1),
						buf->len - buf->cursor, RATIO_STATE_BINARY_LEN)));
	version = pq_getmsgbyte(buf);
	if (version != METRICS_STATE_BINARY_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported binary %s format version \"%d\"",
						ratio_type_name(fcinfo, 1), version)));
	state->hits = pq_getmsgint64(buf);
	state->total = pq_getmsgint64(buf);
	problem = ratio_state_problem(state);
	if (problem)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary %s (" INT64_FORMAT "," INT64_FORMAT ")",
						ratio_type_name(fcinfo, 1), state->hits, state->total),
				 errdetail("%s", problem)));
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(ratio_state_send);
Datum
ratio_state_send(PG_FUNCTION_ARGS)
{
	RatioState *state = (RatioState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, METRICS_STATE_BINARY_VERSION);
	pq_sendint64(&buf, state->hits);
	pq_sendint64(&buf, state->total);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ---------- state access for the support functions ---------- */

/*
 * The counter transition and inverse functions are not STRICT, which saves
 * the executor a separate NULL-check step per row; they skip NULL inputs
 * themselves (so the aggregates still ignore NULLs) and return NULL for a
 * NULL state, which only a direct call can pass (INITCOND is never NULL).
 */
#define COUNTER_SKIP_NULLS(nargs) \
	do { \
		int			argno_; \
		if (PG_ARGISNULL(0)) \
			PG_RETURN_NULL(); \
		for (argno_ = 1; argno_ <= (nargs); argno_++) \
			if (PG_ARGISNULL(argno_)) \
				PG_RETURN_DATUM(PG_GETARG_DATUM(0)); \
	} while (0)

/*
 * The state to update: argument 0 itself inside an aggregate (the executor
 * owns it), else a copy, since a direct SQL call must not scribble on its
 * input.
 */
static NpsState *
nps_state_for_update(FunctionCallInfo fcinfo)
{
	NpsState   *state = (NpsState *) PG_GETARG_POINTER(0);

	if (!churn_in_aggregate(fcinfo))
	{
		NpsState   *copy = palloc(sizeof(NpsState));

		memcpy(copy, state, sizeof(NpsState));
		state = copy;
	}
	return state;
}

static RatioState *
ratio_state_for_update(FunctionCallInfo fcinfo)
{
	RatioState *state = (RatioState *) PG_GETARG_POINTER(0);

	if (!churn_in_aggregate(fcinfo))
	{
		RatioState *copy = palloc(sizeof(RatioState));

		memcpy(copy, state, sizeof(RatioState));
		state = copy;
	}
	return state;
}

/* ---------- nps ---------- */

/* Add (delta = 1) or remove (delta = -1) one score. */
static void
nps_count(NpsState *state, int64 score, int delta)
{
	int64	   *counter;

	if (score < 0 || score > 10)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("value \"" INT64_FORMAT "\" is out of range for an NPS score", score),
				 errdetail("NPS scores are integers from 0 to 10.")));
	if (score >= 9)
		counter = &state->promoters;
	else if (score >= 7)
		counter = &state->passives;
	else
		counter = &state->detractors;
	if (delta < 0 && *counter <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot remove NPS score \"" INT64_FORMAT "\" from a state that does not count it", score)));
	/* a hand-made state may already hold the largest total */
	if (pg_add_s64_overflow(*counter, delta, counter) ||
		(delta > 0 && nps_state_problem(state) != NULL))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("nps state out of range"),
				 errdetail("The total number of answers exceeds the bigint range.")));
}

PG_FUNCTION_INFO_V1(nps_trans_int2);
Datum
nps_trans_int2(PG_FUNCTION_ARGS)
{
	NpsState   *state;

	COUNTER_SKIP_NULLS(1);
	state = nps_state_for_update(fcinfo);
	nps_count(state, PG_GETARG_INT16(1), 1);
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(nps_trans_int4);
Datum
nps_trans_int4(PG_FUNCTION_ARGS)
{
	NpsState   *state;

	COUNTER_SKIP_NULLS(1);
	state = nps_state_for_update(fcinfo);
	nps_count(state, PG_GETARG_INT32(1), 1);
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(nps_trans_int8);
Datum
nps_trans_int8(PG_FUNCTION_ARGS)
{
	NpsState   *state;

	COUNTER_SKIP_NULLS(1);
	state = nps_state_for_update(fcinfo);
	nps_count(state, PG_GETARG_INT64(1), 1);
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(nps_inv_int2);
Datum
nps_inv_int2(PG_FUNCTION_ARGS)
{
	NpsState   *state;

	COUNTER_SKIP_NULLS(1);
	state = nps_state_for_update(fcinfo);
	nps_count(state, PG_GETARG_INT16(1), -1);
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(nps_inv_int4);
Datum
nps_inv_int4(PG_FUNCTION_ARGS)
{
	NpsState   *state;

	COUNTER_SKIP_NULLS(1);
	state = nps_state_for_update(fcinfo);
	nps_count(state, PG_GETARG_INT32(1), -1);
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(nps_inv_int8);
Datum
nps_inv_int8(PG_FUNCTION_ARGS)
{
	NpsState   *state;

	COUNTER_SKIP_NULLS(1);
	state = nps_state_for_update(fcinfo);
	nps_count(state, PG_GETARG_INT64(1), -1);
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(nps_combine);
Datum
nps_combine(PG_FUNCTION_ARGS)
{
	NpsState   *state = nps_state_for_update(fcinfo);
	NpsState   *other = (NpsState *) PG_GETARG_POINTER(1);
	NpsState	sum;

	if (pg_add_s64_overflow(state->promoters, other->promoters, &sum.promoters) ||
		pg_add_s64_overflow(state->passives, other->passives, &sum.passives) ||
		pg_add_s64_overflow(state->detractors, other->detractors, &sum.detractors) ||
		nps_state_problem(&sum) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("bigint out of range"),
				 errdetail("The combined answer count of an nps_state exceeds the bigint range.")));
	*state = sum;
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(nps_final);
Datum
nps_final(PG_FUNCTION_ARGS)
{
	NpsState   *state = (NpsState *) PG_GETARG_POINTER(0);
	int64		total = state->promoters + state->passives + state->detractors;
	double		nps;

	if (total == 0)
		PG_RETURN_NULL();
	nps = (double) (state->promoters - state->detractors) * 100.0 / (double) total;

	/*
	 * Exact below 2^53 answers.  Above, the rounding of the numerator and of
	 * the total can carry the quotient a few units in the last place past
	 * the bounds the exact value keeps to: hold it to them.
	 */
	PG_RETURN_FLOAT8(Max(-100.0, Min(100.0, nps)));
}

/* ---------- ratio states: combine and final ---------- */

PG_FUNCTION_INFO_V1(ratio_combine);
Datum
ratio_combine(PG_FUNCTION_ARGS)
{
	RatioState *state = ratio_state_for_update(fcinfo);
	RatioState *other = (RatioState *) PG_GETARG_POINTER(1);
	RatioState	sum;

	if (pg_add_s64_overflow(state->hits, other->hits, &sum.hits) ||
		pg_add_s64_overflow(state->total, other->total, &sum.total))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("bigint out of range"),
				 errdetail("The combined row count of a rate state exceeds the bigint range.")));
	*state = sum;
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(ratio_final);
Datum
ratio_final(PG_FUNCTION_ARGS)
{
	RatioState *state = (RatioState *) PG_GETARG_POINTER(0);

	if (state->total == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8((double) state->hits / (double) state->total);
}

/* Step a ratio state by delta (1 or -1) for one row that counts. */
static void
ratio_count(RatioState *state, bool hit, int delta)
{
	/* removing a miss needs a miss: total - hits > 0 */
	if (delta < 0 && (hit ? state->hits <= 0 : state->total - state->hits <= 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot remove a row from a rate state that does not count it")));
	if (pg_add_s64_overflow(state->total, delta, &state->total) ||
		(hit && pg_add_s64_overflow(state->hits, delta, &state->hits)))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("rate state counter out of range")));
}

/* ---------- conversion_rate ---------- */

PG_FUNCTION_INFO_V1(conversion_trans);
Datum
conversion_trans(PG_FUNCTION_ARGS)
{
	RatioState *state;

	COUNTER_SKIP_NULLS(1);
	state = ratio_state_for_update(fcinfo);
	ratio_count(state, PG_GETARG_BOOL(1), 1);
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(conversion_inv);
Datum
conversion_inv(PG_FUNCTION_ARGS)
{
	RatioState *state;

	COUNTER_SKIP_NULLS(1);
	state = ratio_state_for_update(fcinfo);
	ratio_count(state, PG_GETARG_BOOL(1), -1);
	PG_RETURN_POINTER(state);
}

/* ---------- value_churn_rate ---------- */

/*
 * A numeric argument in plain 4-byte-header form without palloc: numerics
 * read from a table mostly have a 1-byte header (short varlena), which
 * PG_GETARG_NUMERIC would copy into a fresh palloc'd chunk; convert those
 * into the caller's buffer instead.  Compressed or external values (rare
 * for numerics) are detoasted as usual.
 */
typedef union NumericBuf
{
	struct varlena hdr;
	int32		align;
	char		data[VARHDRSZ + VARATT_SHORT_MAX];
} NumericBuf;

static inline Numeric
numeric_arg_nocopy(FunctionCallInfo fcinfo, int argno, NumericBuf *buf)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(argno));

	if (VARATT_IS_SHORT(v))
	{
		Size		len = VARSIZE_SHORT(v) - VARHDRSZ_SHORT;

		SET_VARSIZE(&buf->hdr, len + VARHDRSZ);
		memcpy(VARDATA(&buf->hdr), VARDATA_SHORT(v), len);
		return (Numeric) &buf->hdr;
	}
	if (VARATT_IS_EXTENDED(v))
		return (Numeric) PG_DETOAST_DATUM(PG_GETARG_DATUM(argno));
	return (Numeric) v;
}

/*
 * Classify one customer row: *base if arpu_before >= threshold, *fell if
 * also arpu_after < threshold.  NaN compares above everything in numeric
 * ordering, which would silently classify a customer: reject it.
 */
static void
value_churn_classify(FunctionCallInfo fcinfo, bool *base, bool *fell)
{
	NumericBuf	bbuf;
	NumericBuf	abuf;
	NumericBuf	tbuf;
	Numeric		before = numeric_arg_nocopy(fcinfo, 1, &bbuf);
	Numeric		after = numeric_arg_nocopy(fcinfo, 2, &abuf);
	Numeric		threshold = numeric_arg_nocopy(fcinfo, 3, &tbuf);

	if (numeric_is_nan(before) || numeric_is_nan(after) || numeric_is_nan(threshold))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("value \"NaN\" is not allowed in value_churn_rate"),
				 errdetail("The arguments arpu_before, arpu_after and threshold must be numbers, not NaN.")));
	*base = DatumGetInt32(DirectFunctionCall2(numeric_cmp,
											  NumericGetDatum(before),
											  NumericGetDatum(threshold))) >= 0;
	*fell = *base &&
		DatumGetInt32(DirectFunctionCall2(numeric_cmp,
										  NumericGetDatum(after),
										  NumericGetDatum(threshold))) < 0;
}

PG_FUNCTION_INFO_V1(value_churn_trans);
Datum
value_churn_trans(PG_FUNCTION_ARGS)
{
	RatioState *state;
	bool		base;
	bool		fell;

	COUNTER_SKIP_NULLS(3);
	state = ratio_state_for_update(fcinfo);
	value_churn_classify(fcinfo, &base, &fell);
	if (base)
		ratio_count(state, fell, 1);
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(value_churn_inv);
Datum
value_churn_inv(PG_FUNCTION_ARGS)
{
	RatioState *state;
	bool		base;
	bool		fell;

	COUNTER_SKIP_NULLS(3);
	state = ratio_state_for_update(fcinfo);
	value_churn_classify(fcinfo, &base, &fell);
	if (base)
		ratio_count(state, fell, -1);
	PG_RETURN_POINTER(state);
}
