/*-------------------------------------------------------------------------
 *
 * value_state.c
 *	  The transition states of bgnbd() and gamma_gamma(): the distinct
 *	  customer summaries with their counts (churn.bgnbd_state,
 *	  churn.gamma_gamma_state), their transition and combine functions and
 *	  their validated text and binary I/O.
 *
 * A customer enters a fit only through its summary: (x, t_x, T) for the
 * BG/NBD model, (x, average value) for the Gamma-Gamma model; customers
 * sharing a summary share a likelihood term.  So the state keeps each
 * distinct summary once with a count: that is all the fit needs, the
 * combine function of two states is the sum of their counts, and the state
 * does not depend on the order the rows came in (parallel workers, Citus
 * shards).  Whole-number durations (days, weeks) make few distinct
 * summaries; continuous ones up to one per customer.
 *
 * During aggregation the state is an expanded object in the aggregate
 * context, updated in place, with the layout of agg_survival.c: sorted
 * distinct tuples plus an unsorted buffer that is sorted and merged into
 * them when it fills up (sequential memory access, amortized O(log n) per
 * row).  It is flattened only when it leaves the aggregate.
 *
 * src/value_state.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "common/int.h"
#include "common/shortest_dec.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/memutils.h"

#include "state_io.h"
#include "value_models.h"

/* Smallest buffer of not-yet-merged tuples. */
#define VALUE_MIN_BUFFER	64

static Size value_get_flat_size(ExpandedObjectHeader *eohptr);
static void value_flatten_into(ExpandedObjectHeader *eohptr,
							   void *result, Size allocated_size);

static const ExpandedObjectMethods value_methods =
{
	value_get_flat_size,
	value_flatten_into
};

static inline int
value_tuple_cmp(const ValueTuple *a, const ValueTuple *b)
{
	if (a->x != b->x)
		return a->x < b->x ? -1 : 1;
	if (a->t1 != b->t1)
		return a->t1 < b->t1 ? -1 : 1;
	if (a->t2 != b->t2)
		return a->t2 < b->t2 ? -1 : 1;
	return 0;
}

/* an inlined sort of tuples (lib/sort_template.h) */
#define ST_SORT value_sort_tuples
#define ST_ELEMENT_TYPE ValueTuple
#define ST_COMPARE(a, b) value_tuple_cmp(a, b)
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

const char *
value_kind_name(uint8 kind)
{
	switch (kind)
	{
		case VALUE_KIND_BGNBD:
			return "bgnbd_state";
		case VALUE_KIND_GAMMA_GAMMA:
			return "gamma_gamma_state";
	}
	return "value state";
}

static void
value_count_overflow(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("customer count of a value model state out of range")));
}

/*
 * Fold the buffer into the sorted tuples: sort it, add up equal tuples and
 * merge it with the tuples into a new array; the buffer is then emptied
 * and sized to the number of tuples.
 */
static void
value_compact(ExpandedValueState *es)
{
	ValueTuple *merged;
	int32		i = 0,
				j = 0,
				n = 0,
				nb = 0,
				newcap;

	if (es->nbuf == 0)
		goto size_buffer;
	value_sort_tuples(es->buf, es->nbuf);
	for (j = 0; j < es->nbuf; j++)
	{
		if (nb > 0 && value_tuple_cmp(&es->buf[nb - 1], &es->buf[j]) == 0)
		{
			if (pg_add_s64_overflow(es->buf[nb - 1].count, es->buf[j].count,
									&es->buf[nb - 1].count))
				value_count_overflow();
		}
		else
			es->buf[nb++] = es->buf[j];
	}
	if ((int64) es->ntuples + nb > VALUE_STATE_MAX_TUPLES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s cannot have more than %d distinct customer summaries",
						value_kind_name(es->kind), VALUE_STATE_MAX_TUPLES),
				 errhint("Round the durations, for example to whole days, so that customers share summaries.")));
	merged = MemoryContextAlloc(es->hdr.eoh_context,
								sizeof(ValueTuple) * ((Size) es->ntuples + nb));
	j = 0;
	while (i < es->ntuples || j < nb)
	{
		int			c;

		if (j >= nb)
			c = -1;
		else if (i >= es->ntuples)
			c = 1;
		else
			c = value_tuple_cmp(&es->tuples[i], &es->buf[j]);
		if (c < 0)
			merged[n++] = es->tuples[i++];
		else if (c > 0)
			merged[n++] = es->buf[j++];
		else
		{
			merged[n] = es->tuples[i++];
			if (pg_add_s64_overflow(merged[n].count, es->buf[j].count,
									&merged[n].count))
				value_count_overflow();
			n++;
			j++;
		}
	}
	if (es->tuples)
		pfree(es->tuples);
	es->tuples = merged;
	es->ntuples = n;
	es->nbuf = 0;

size_buffer:
	newcap = Max(VALUE_MIN_BUFFER, Min(es->ntuples, VALUE_STATE_MAX_TUPLES / 2));
	if (newcap > es->bufcap)
	{
		if (es->buf)
			pfree(es->buf);
		es->buf = MemoryContextAlloc(es->hdr.eoh_context,
									 sizeof(ValueTuple) * newcap);
		es->bufcap = newcap;
	}
}

ExpandedValueState *
value_state_expand(const ValueState *flat, MemoryContext parent, uint8 kind)
{
	MemoryContext objcxt;
	ExpandedValueState *es;

	objcxt = AllocSetContextCreate(parent, "value_state", ALLOCSET_SMALL_SIZES);
	es = MemoryContextAllocZero(objcxt, sizeof(ExpandedValueState));
	EOH_init_header(&es->hdr, &value_methods, objcxt);
	es->kind = flat ? flat->kind : kind;
	if (flat)
	{
		/* already sorted and distinct: it becomes the tuples as it is */
		es->tuples = MemoryContextAlloc(objcxt, sizeof(ValueTuple) * (Size) flat->ntuples);
		memcpy(es->tuples, flat->tuples, sizeof(ValueTuple) * (Size) flat->ntuples);
		es->ntuples = flat->ntuples;
		es->customers = flat->customers;
	}
	value_compact(es);			/* sizes the buffer */
	return es;
}

void
value_state_add(ExpandedValueState *es, int32 x, float8 t1, float8 t2,
				int64 count)
{
	ValueTuple *t;

	if (pg_add_s64_overflow(es->customers, count, &es->customers))
		value_count_overflow();
	if (es->nbuf == es->bufcap)
		value_compact(es);
	t = &es->buf[es->nbuf++];
	t->x = x;
	t->t1 = t1 == 0.0 ? 0.0 : t1;	/* fold -0 into 0 */
	t->t2 = t2 == 0.0 ? 0.0 : t2;
	t->count = count;
	t->reserved = 0;
}

static Size
value_get_flat_size(ExpandedObjectHeader *eohptr)
{
	ExpandedValueState *es = (ExpandedValueState *) eohptr;

	value_compact(es);
	return VALUE_STATE_SIZE(es->ntuples);
}

static void
value_flatten_into(ExpandedObjectHeader *eohptr, void *result,
				   Size allocated_size)
{
	ExpandedValueState *es = (ExpandedValueState *) eohptr;
	ValueState *s = (ValueState *) result;

	Assert(es->nbuf == 0);
	Assert(allocated_size == VALUE_STATE_SIZE(es->ntuples));
	memset(s, 0, VALUE_STATE_HDRSZ);
	SET_VARSIZE(s, allocated_size);
	s->version = VALUE_FORMAT_VERSION;
	s->kind = es->kind;
	s->ntuples = es->ntuples;
	s->customers = es->customers;
	memcpy(s->tuples, es->tuples, sizeof(ValueTuple) * (Size) es->ntuples);
}

ValueState *
value_state_flatten(ExpandedValueState *es)
{
	Size		size = value_get_flat_size(&es->hdr);
	ValueState *s = palloc(size);

	value_flatten_into(&es->hdr, s, size);
	return s;
}

/*
 * A state argument of one of our types as a flat value of the kind
 * expected (a flat copy when it is an expanded object).
 */
ValueState *
value_state_from_datum(Datum d, uint8 kind)
{
	ValueState *s = DatumGetValueStateP(d);

	if (s->kind != kind)
		elog(ERROR, "%s expected, got a value state of kind %d",
			 value_kind_name(kind), s->kind);
	return s;
}

/*
 * The tuples of a state argument without copying them: a final function
 * gets the expanded state of the aggregate (read-only), whose buffer is
 * merged into its sorted tuples first, which leaves its value unchanged
 * (EOH_get_flat_size does the same); a flat state is read as it is.  At a
 * million distinct summaries this spares the fit a 32 MB copy.
 */
void
value_state_view(Datum d, uint8 kind, ValueStateView *view)
{
	if (VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)) &&
		DatumGetEOHP(d)->eoh_methods == &value_methods)
	{
		ExpandedValueState *es = (ExpandedValueState *) DatumGetEOHP(d);

		if (es->kind != kind)
			elog(ERROR, "%s expected, got a value state of kind %d",
				 value_kind_name(kind), es->kind);
		value_compact(es);
		view->tuples = es->tuples;
		view->ntuples = es->ntuples;
		view->customers = es->customers;
	}
	else
	{
		ValueState *s = value_state_from_datum(d, kind);

		view->tuples = s->tuples;
		view->ntuples = s->ntuples;
		view->customers = s->customers;
	}
}

/* Is d a read-write pointer to one of our expanded states? */
static inline bool
value_is_rw_expanded(Datum d)
{
	return VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d)) &&
		DatumGetEOHP(d)->eoh_methods == &value_methods;
}

/*
 * The transition state of argument 0 as an expanded state of ours in the
 * aggregate context, or NULL when it is NULL.
 */
static ExpandedValueState *
value_state_arg(FunctionCallInfo fcinfo, MemoryContext aggcontext, uint8 kind)
{
	if (PG_ARGISNULL(0))
		return NULL;
	if (value_is_rw_expanded(PG_GETARG_DATUM(0)))
		return (ExpandedValueState *) DatumGetEOHP(PG_GETARG_DATUM(0));
	/* a flat value (e.g. copied by the executor): expand a copy of it */
	return value_state_expand(value_state_from_datum(PG_GETARG_DATUM(0), kind),
							  aggcontext, kind);
}

static MemoryContext
value_agg_context(FunctionCallInfo fcinfo, const char *fname)
{
	MemoryContext aggcontext;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("churn.%s can only be called by an aggregate", fname)));
	return aggcontext;
}

/*
 * Report what is wrong with a customer summary that value_check_customer()
 * (value_models.h) refused.
 */
void
value_report_customer(int32 x, float8 tx, float8 T)
{
	if (x < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid frequency \"%d\"", x),
				 errdetail("The frequency is the number of repeat purchases and cannot be negative.")));
	if (isnan(tx) || isinf(tx) || tx < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid recency \"%s\"", float8out_internal(tx)),
				 errdetail("The recency is the time from the first to the last purchase, a finite number that cannot be negative.")));
	if (isnan(T) || isinf(T) || T < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid age \"%s\"", float8out_internal(T)),
				 errdetail("The age is the time from the first purchase to the end of the observation, a finite number that cannot be negative.")));
	if (tx > T)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("recency \"%s\" is greater than age \"%s\"",
						float8out_internal(tx), float8out_internal(T)),
				 errdetail("Both are measured from the first purchase: the last purchase cannot come after the end of the observation.")));
	if (x == 0 && tx != 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("recency \"%s\" of a customer with frequency 0 must be 0",
						float8out_internal(tx)),
				 errdetail("Without repeat purchases the last purchase is the first one, at time 0.")));
	elog(ERROR, "customer summary (%d, %s, %s) refused without a reason",
		 x, float8out_internal(tx), float8out_internal(T));
}

/* Check the average repeat purchase value of the Gamma-Gamma model. */
void
value_check_avg_value(float8 m)
{
	if (isnan(m) || isinf(m) || m <= 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid avg_value \"%s\"", float8out_internal(m)),
				 errdetail("The Gamma-Gamma model needs the average value of a customer's repeat purchases to be a positive finite number."),
				 errhint("Leave out customers whose repeat purchases are worth nothing, or model a positive amount.")));
}

/* bgnbd_trans(state, frequency int, recency float8, age float8) */
PG_FUNCTION_INFO_V1(bgnbd_trans);
Datum
bgnbd_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = value_agg_context(fcinfo, "bgnbd_trans");
	ExpandedValueState *es;
	int32		x;
	float8		tx,
				T;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
	{
		/* a row with a NULL summary is skipped */
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	x = PG_GETARG_INT32(1);
	tx = PG_GETARG_FLOAT8(2);
	T = PG_GETARG_FLOAT8(3);
	value_check_customer(x, tx, T);
	es = value_state_arg(fcinfo, aggcontext, VALUE_KIND_BGNBD);
	if (es == NULL)
		es = value_state_expand(NULL, aggcontext, VALUE_KIND_BGNBD);
	value_state_add(es, x, tx, T, 1);
	return EOHPGetRWDatum(&es->hdr);
}

/* gamma_gamma_trans(state, frequency int, avg_value float8) */
PG_FUNCTION_INFO_V1(gamma_gamma_trans);
Datum
gamma_gamma_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = value_agg_context(fcinfo, "gamma_gamma_trans");
	ExpandedValueState *es;
	int32		x;
	float8		m;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_GETARG_INT32(1) == 0)
	{
		/*
		 * A row with a NULL is skipped, and so is a customer without repeat
		 * purchases: the model describes the value of repeat purchases.
		 */
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	x = PG_GETARG_INT32(1);
	m = PG_GETARG_FLOAT8(2);
	if (x < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid frequency \"%d\"", x),
				 errdetail("The frequency is the number of repeat purchases and cannot be negative.")));
	value_check_avg_value(m);
	es = value_state_arg(fcinfo, aggcontext, VALUE_KIND_GAMMA_GAMMA);
	if (es == NULL)
		es = value_state_expand(NULL, aggcontext, VALUE_KIND_GAMMA_GAMMA);
	value_state_add(es, x, m, 0.0, 1);
	return EOHPGetRWDatum(&es->hdr);
}

/*
 * Combine function of bgnbd() and gamma_gamma(): the state of the union of
 * two disjoint sets of customers has the summed counts.
 */
PG_FUNCTION_INFO_V1(value_state_combine);
Datum
value_state_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = value_agg_context(fcinfo, "value_state_combine");
	ExpandedValueState *es;
	ValueState *other;
	int32		i;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	other = DatumGetValueStateP(PG_GETARG_DATUM(1));
	es = value_state_arg(fcinfo, aggcontext, other->kind);
	if (es == NULL)
		es = value_state_expand(other, aggcontext, other->kind);
	else
	{
		if (es->kind != other->kind)
			elog(ERROR, "cannot combine value states of kinds %d and %d",
				 es->kind, other->kind);
		for (i = 0; i < other->ntuples; i++)
			value_state_add(es, other->tuples[i].x, other->tuples[i].t1,
							other->tuples[i].t2, other->tuples[i].count);
	}
	return EOHPGetRWDatum(&es->hdr);
}

/*
 * Check every field of a flat state that came from outside (text or binary
 * input); errcode says which.  Soft errors as survival_curve_check.
 */
static bool
value_state_check(const ValueState *s, uint8 kind, int errcode_value,
				  Node *escontext)
{
	const char *name = value_kind_name(kind);
	int64		sum = 0;
	int32		i;

	if (s->version != VALUE_FORMAT_VERSION)
		churn_ereturn(escontext, false,
					  errcode(errcode_value),
					  errmsg("unsupported %s format version %d", name, s->version),
					  errhint("This version of churn reads version %d.", VALUE_FORMAT_VERSION));
	if (s->kind != kind || s->reserved != 0)
		churn_ereturn(escontext, false,
					  errcode(errcode_value),
					  errmsg("invalid %s header", name));
	if (s->ntuples < 1)
		churn_ereturn(escontext, false,
					  errcode(errcode_value),
					  errmsg("%s must have at least one customer summary", name));
	for (i = 0; i < s->ntuples; i++)
	{
		const ValueTuple *t = &s->tuples[i];

		if (t->x < 0 || t->count < 1 || t->reserved != 0 ||
			isnan(t->t1) || isinf(t->t1) || isnan(t->t2) || isinf(t->t2) ||
			(kind == VALUE_KIND_BGNBD &&
			 (t->t1 < 0 || t->t1 > t->t2 || (t->x == 0 && t->t1 != 0.0))) ||
			(kind == VALUE_KIND_GAMMA_GAMMA &&
			 (t->x < 1 || !(t->t1 > 0) || t->t2 != 0.0)))
			churn_ereturn(escontext, false,
						  errcode(errcode_value),
						  errmsg("invalid %s customer summary %d", name, i + 1),
						  kind == VALUE_KIND_BGNBD ?
						  errdetail("A summary needs frequency >= 0, 0 <= recency <= age (recency 0 when frequency is 0), finite times and a count >= 1.") :
						  errdetail("A summary needs frequency >= 1, a positive finite average value and a count >= 1."));
		if (i > 0 && value_tuple_cmp(&s->tuples[i - 1], t) >= 0)
			churn_ereturn(escontext, false,
						  errcode(errcode_value),
						  errmsg("%s customer summaries are not in strictly increasing order at summary %d",
								 name, i + 1));
		if (pg_add_s64_overflow(sum, t->count, &sum))
			churn_ereturn(escontext, false,
						  errcode(errcode_value),
						  errmsg("%s counts out of range", name));
	}
	if (sum != s->customers)
		churn_ereturn(escontext, false,
					  errcode(errcode_value),
					  errmsg("%s customer count " INT64_FORMAT " does not match its summaries",
							 name, s->customers),
					  errdetail("The counts of the summaries sum to " INT64_FORMAT ".", sum));
	return true;
}

/*
 * Text form: "v1 <customers> <summary> ...", a bgnbd_state summary written
 * x:t_x:T:count, a gamma_gamma_state summary x:avg_value:count, numbers in
 * shortest exact form, e.g. "v1 3 0:0:38.857142857142854:2 2:30.5:38:1".
 */
static Datum
value_state_in_common(FunctionCallInfo fcinfo, uint8 kind)
{
	char	   *input = PG_GETARG_CSTRING(0);
	const char *name = value_kind_name(kind);
	char	   *p = input;
	char	   *end;
	long		version;
	int64		customers;
	int32		n = 0;
	int32		cap = 16;
	ValueTuple *ts;
	ValueState *s;

#define BAD_TEXT(detail) \
	churn_ereturn(fcinfo->context, (Datum) 0, \
				  errcode(ERRCODE_INVALID_TEXT_REPRESENTATION), \
				  errmsg("invalid input syntax for type %s: \"%s\"", name, input), \
				  errdetail(detail))

	while (*p == ' ')
		p++;
	if (*p != 'v')
		BAD_TEXT("The value must start with a format version such as \"v1\".");
	errno = 0;
	version = strtol(p + 1, &end, 10);
	if (end == p + 1 || errno != 0 || *end != ' ')
		BAD_TEXT("The value must start with a format version such as \"v1\".");
	if (version != VALUE_FORMAT_VERSION)
		churn_ereturn(fcinfo->context, (Datum) 0,
					  errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					  errmsg("unsupported %s format version %ld", name, version),
					  errhint("This version of churn reads version %d.", VALUE_FORMAT_VERSION));
	p = end;
	while (*p == ' ')
		p++;
	errno = 0;
	customers = strtoll(p, &end, 10);
	if (end == p || errno != 0 || (*end != ' ' && *end != '\0'))
		BAD_TEXT("The version must be followed by the number of customers.");
	p = end;

	ts = palloc(sizeof(ValueTuple) * cap);
	for (;;)
	{
		ValueTuple *t;
		long		x;

		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		if (n == cap)
		{
			if (cap >= VALUE_STATE_MAX_TUPLES / 2)
				BAD_TEXT("The value has too many customer summaries.");
			cap *= 2;
			ts = repalloc(ts, sizeof(ValueTuple) * cap);
		}
		t = &ts[n];
		memset(t, 0, sizeof(ValueTuple));
		errno = 0;
		x = strtol(p, &end, 10);
		if (end == p || errno != 0 || *end != ':' || x < PG_INT32_MIN || x > PG_INT32_MAX)
			BAD_TEXT(kind == VALUE_KIND_BGNBD ?
					 "Each customer summary must be written as frequency:recency:age:count." :
					 "Each customer summary must be written as frequency:avg_value:count.");
		t->x = (int32) x;
		p = end + 1;
		if (!churn_parse_float8(p, &end, &t->t1) || *end != ':')
			BAD_TEXT(kind == VALUE_KIND_BGNBD ?
					 "Each customer summary must be written as frequency:recency:age:count." :
					 "Each customer summary must be written as frequency:avg_value:count.");
		p = end + 1;
		if (kind == VALUE_KIND_BGNBD)
		{
			if (!churn_parse_float8(p, &end, &t->t2) || *end != ':')
				BAD_TEXT("Each customer summary must be written as frequency:recency:age:count.");
			p = end + 1;
		}
		errno = 0;
		t->count = strtoll(p, &end, 10);
		if (end == p || errno != 0 || (*end != ' ' && *end != '\0'))
			BAD_TEXT(kind == VALUE_KIND_BGNBD ?
					 "Each customer summary must be written as frequency:recency:age:count." :
					 "Each customer summary must be written as frequency:avg_value:count.");
		/* fold -0 into 0, as the transition function does */
		if (t->t1 == 0.0)
			t->t1 = 0.0;
		if (t->t2 == 0.0)
			t->t2 = 0.0;
		p = end;
		n++;
	}
#undef BAD_TEXT

	s = palloc0(VALUE_STATE_SIZE(n));
	SET_VARSIZE(s, VALUE_STATE_SIZE(n));
	s->version = (uint8) version;
	s->kind = kind;
	s->ntuples = n;
	s->customers = customers;
	memcpy(s->tuples, ts, sizeof(ValueTuple) * n);
	if (!value_state_check(s, kind, ERRCODE_INVALID_TEXT_REPRESENTATION,
						   fcinfo->context))
		return (Datum) 0;		/* soft error (PostgreSQL 16+) */
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(bgnbd_state_in);
Datum
bgnbd_state_in(PG_FUNCTION_ARGS)
{
	return value_state_in_common(fcinfo, VALUE_KIND_BGNBD);
}

PG_FUNCTION_INFO_V1(gamma_gamma_state_in);
Datum
gamma_gamma_state_in(PG_FUNCTION_ARGS)
{
	return value_state_in_common(fcinfo, VALUE_KIND_GAMMA_GAMMA);
}

/* Output of both state types: the kind says which fields to write. */
PG_FUNCTION_INFO_V1(value_state_out);
Datum
value_state_out(PG_FUNCTION_ARGS)
{
	ValueState *s = DatumGetValueStateP(PG_GETARG_DATUM(0));
	StringInfoData buf;
	char		n1[DOUBLE_SHORTEST_DECIMAL_LEN];
	char		n2[DOUBLE_SHORTEST_DECIMAL_LEN];
	int32		i;

	initStringInfo(&buf);
	appendStringInfo(&buf, "v%d " INT64_FORMAT, s->version, s->customers);
	for (i = 0; i < s->ntuples; i++)
	{
		const ValueTuple *t = &s->tuples[i];

		double_to_shortest_decimal_buf(t->t1, n1);
		if (s->kind == VALUE_KIND_BGNBD)
		{
			double_to_shortest_decimal_buf(t->t2, n2);
			appendStringInfo(&buf, " %d:%s:%s:" INT64_FORMAT, t->x, n1, n2, t->count);
		}
		else
			appendStringInfo(&buf, " %d:%s:" INT64_FORMAT, t->x, n1, t->count);
	}
	PG_RETURN_CSTRING(buf.data);
}

/*
 * Binary form: version byte, int64 customers, int32 number of summaries,
 * then per summary int32 frequency, float8 recency (bgnbd) or average value
 * (gamma_gamma), float8 age (bgnbd only), int64 count.
 */
static Datum
value_state_recv_common(FunctionCallInfo fcinfo, uint8 kind)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	const char *name = value_kind_name(kind);
	int			tuple_bytes = kind == VALUE_KIND_BGNBD ? 28 : 20;
	int			version;
	int64		customers;
	int32		n;
	int32		i;
	ValueState *s;

	version = pq_getmsgbyte(buf);
	if (version != VALUE_FORMAT_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported %s format version %d", name, version),
				 errhint("This version of churn reads version %d.", VALUE_FORMAT_VERSION)));
	customers = pq_getmsgint64(buf);
	n = pq_getmsgint(buf, 4);
	if (n < 1 || n > (buf->len - buf->cursor) / tuple_bytes)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid number of customer summaries %d in external %s value", n, name)));
	s = palloc0(VALUE_STATE_SIZE(n));
	SET_VARSIZE(s, VALUE_STATE_SIZE(n));
	s->version = (uint8) version;
	s->kind = kind;
	s->ntuples = n;
	s->customers = customers;
	for (i = 0; i < n; i++)
	{
		ValueTuple *t = &s->tuples[i];

		t->x = pq_getmsgint(buf, 4);
		t->t1 = pq_getmsgfloat8(buf);
		if (kind == VALUE_KIND_BGNBD)
			t->t2 = pq_getmsgfloat8(buf);
		t->count = pq_getmsgint64(buf);
		/* fold -0 into 0, as the text input does: one value, one form */
		if (t->t1 == 0.0)
			t->t1 = 0.0;
		if (t->t2 == 0.0)
			t->t2 = 0.0;
	}
	pq_getmsgend(buf);
	value_state_check(s, kind, ERRCODE_INVALID_BINARY_REPRESENTATION, NULL);
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(bgnbd_state_recv);
Datum
bgnbd_state_recv(PG_FUNCTION_ARGS)
{
	return value_state_recv_common(fcinfo, VALUE_KIND_BGNBD);
}

PG_FUNCTION_INFO_V1(gamma_gamma_state_recv);
Datum
gamma_gamma_state_recv(PG_FUNCTION_ARGS)
{
	return value_state_recv_common(fcinfo, VALUE_KIND_GAMMA_GAMMA);
}

PG_FUNCTION_INFO_V1(value_state_send);
Datum
value_state_send(PG_FUNCTION_ARGS)
{
	ValueState *s = DatumGetValueStateP(PG_GETARG_DATUM(0));
	StringInfoData buf;
	int32		i;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, s->version);
	pq_sendint64(&buf, s->customers);
	pq_sendint32(&buf, s->ntuples);
	for (i = 0; i < s->ntuples; i++)
	{
		pq_sendint32(&buf, s->tuples[i].x);
		pq_sendfloat8(&buf, s->tuples[i].t1);
		if (s->kind == VALUE_KIND_BGNBD)
			pq_sendfloat8(&buf, s->tuples[i].t2);
		pq_sendint64(&buf, s->tuples[i].count);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}
