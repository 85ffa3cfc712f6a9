/*-------------------------------------------------------------------------
 *
 * agg_state.c
 *	  state_agg(state lifecycle, at timestamptz): time in lifecycle states,
 *	  the state at an instant and the transitions of a timeline, and
 *	  rollup(state_agg) over many entities.
 *
 * Semantics (see doc/lifetime.md, "Time in lifecycle states"):
 *	- state_agg aggregates ONE entity's observations (state, at): from "at"
 *	  on the entity is in "state" until the next observation.  Rows may come
 *	  in any order; they are sorted when the value is read.  Observing the
 *	  same state again is harmless; two different states at the same instant
 *	  are an error.  Its combine function (parallel query) is the union of
 *	  the observations, so it equals the one-pass value exactly.
 *	- time_in(agg, state): the total length of the segments [at_i, at_i+1)
 *	  spent in state; the last observation is open-ended and counts nothing.
 *	- transitions(agg): consecutive observations with different states.
 *	- rollup(state_agg) sums the time in each state and the transition
 *	  counts of many entities' values into a rolled-up value; state_at of a
 *	  rolled-up value is an error (it has no single timeline).
 *
 * In an aggregate the timeline lives as an expanded object (an array of
 * observations appended in place, deduplicated when it fills up); the
 * rolled-up value is fixed-size and updated in place.
 *
 * src/agg_state.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/int.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/expandeddatum.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "agg_state.h"
#include "state_io.h"

/* microseconds between the Unix epoch and the PostgreSQL epoch */
#define STATE_AGG_UNIX_OFFSET \
	((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY)

typedef struct ExpandedStateAgg
{
	ExpandedObjectHeader hdr;
	int32		npoints;
	int32		capacity;
	StateAggPoint *points;
	bool		sorted;			/* points sorted and without duplicates */
} ExpandedStateAgg;

static Size state_agg_get_flat_size(ExpandedObjectHeader *eohptr);
static void state_agg_flatten_into(ExpandedObjectHeader *eohptr,
								   void *result, Size allocated_size);

static const ExpandedObjectMethods state_agg_methods =
{
	state_agg_get_flat_size,
	state_agg_flatten_into
};

static char *
state_agg_ts_text(int64 ts)
{
	return DatumGetCString(DirectFunctionCall1(timestamptz_out,
											   TimestampTzGetDatum(ts)));
}

static int
state_agg_point_cmp(const void *a, const void *b)
{
	const StateAggPoint *pa = (const StateAggPoint *) a;
	const StateAggPoint *pb = (const StateAggPoint *) b;

	if (pa->at != pb->at)
		return pa->at < pb->at ? -1 : 1;
	return (int) pa->state - (int) pb->state;
}

/*
 * Sort the observations, drop exact duplicates, and refuse two states at
 * the same instant.
 */
static void
state_agg_sort(ExpandedStateAgg *es)
{
	int32		i,
				n = 0;

	if (es->sorted)
		return;
	qsort(es->points, es->npoints, sizeof(StateAggPoint), state_agg_point_cmp);
	for (i = 0; i < es->npoints; i++)
	{
		if (n > 0 && es->points[n - 1].at == es->points[i].at)
		{
			if (es->points[n - 1].state != es->points[i].state)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("state_agg has two states at \"%s\": \"%s\" and \"%s\"",
								state_agg_ts_text(es->points[i].at),
								lifecycle_name(es->points[n - 1].state),
								lifecycle_name(es->points[i].state)),
						 errhint("An entity is in one state at a time; state_agg aggregates the timeline of one entity.")));
			continue;
		}
		es->points[n++] = es->points[i];
	}
	es->npoints = n;
	es->sorted = true;
}

static ExpandedStateAgg *
state_agg_new(MemoryContext parent, int32 capacity)
{
	MemoryContext objcxt;
	ExpandedStateAgg *es;

	objcxt = AllocSetContextCreate(parent, "state_agg", ALLOCSET_SMALL_SIZES);
	es = MemoryContextAllocZero(objcxt, sizeof(ExpandedStateAgg));
	EOH_init_header(&es->hdr, &state_agg_methods, objcxt);
	es->capacity = Max(capacity, 8);
	es->points = MemoryContextAllocZero(objcxt, sizeof(StateAggPoint) * es->capacity);
	es->sorted = true;
	return es;
}

static void
state_agg_append(ExpandedStateAgg *es, int64 at, uint8 state)
{
	StateAggPoint *p;

	if (es->npoints == es->capacity)
	{
		/* first squeeze out repeated observations, then grow if still full */
		state_agg_sort(es);
		if (es->npoints > es->capacity / 2)
		{
			if (es->capacity >= STATE_AGG_MAX_POINTS / 2)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("state_agg cannot hold more than %d observations",
								es->capacity)));
			es->capacity *= 2;
			es->points = repalloc(es->points, sizeof(StateAggPoint) * es->capacity);
		}
	}
	p = &es->points[es->npoints];
	if (es->npoints > 0 && es->sorted)
	{
		const StateAggPoint *last = &es->points[es->npoints - 1];

		if (last->at == at && last->state == state)
			return;				/* the same observation again */
		if (last->at >= at)
			es->sorted = false;
	}
	memset(p, 0, sizeof(StateAggPoint));
	p->at = at;
	p->state = state;
	es->npoints++;
}

static Size
state_agg_get_flat_size(ExpandedObjectHeader *eohptr)
{
	ExpandedStateAgg *es = (ExpandedStateAgg *) eohptr;

	state_agg_sort(es);
	return STATE_AGG_TIMELINE_SIZE(es->npoints);
}

static void
state_agg_flatten_into(ExpandedObjectHeader *eohptr, void *result,
					   Size allocated_size)
{
	ExpandedStateAgg *es = (ExpandedStateAgg *) eohptr;
	StateAgg   *s = (StateAgg *) result;

	Assert(es->sorted);
	memset(s, 0, STATE_AGG_HDRSZ);
	SET_VARSIZE(s, allocated_size);
	s->version = STATE_AGG_VERSION;
	s->npoints = es->npoints;
	memcpy(STATE_AGG_POINTS(s), es->points, sizeof(StateAggPoint) * es->npoints);
}

static bool
state_agg_is_rw_expanded(Datum d)
{
	return VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d)) &&
		DatumGetEOHP(d)->eoh_methods == &state_agg_methods;
}

static void
state_agg_require_timeline(const StateAgg *s, const char *what)
{
	if (s->flags & STATE_AGG_FLAG_ROLLUP)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s is not defined for a rolled-up state_agg", what),
				 errdetail("A rolled-up state_agg holds totals over many entities, not one timeline."),
				 errhint("Call %s on the state_agg of each entity.", what)));
}

/* Add the points of a flat timeline to an expanded one. */
static void
state_agg_merge_flat(ExpandedStateAgg *es, const StateAgg *s)
{
	const StateAggPoint *p = STATE_AGG_POINTS(s);
	int32		i;

	state_agg_require_timeline(s, "state_agg combine");
	for (i = 0; i < s->npoints; i++)
		state_agg_append(es, p[i].at, p[i].state);
}

static ExpandedStateAgg *
state_agg_state(FunctionCallInfo fcinfo, MemoryContext aggcontext)
{
	ExpandedStateAgg *es;

	if (PG_ARGISNULL(0))
		return NULL;
	if (state_agg_is_rw_expanded(PG_GETARG_DATUM(0)))
		return (ExpandedStateAgg *) DatumGetEOHP(PG_GETARG_DATUM(0));
	es = state_agg_new(aggcontext, 8);
	state_agg_merge_flat(es, PG_GETARG_STATE_AGG_P(0));
	return es;
}

PG_FUNCTION_INFO_V1(state_agg_trans);
Datum
state_agg_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	ExpandedStateAgg *es;
	Lifecycle	state;
	TimestampTz at;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("churn.%s can only be called by an aggregate", "state_agg_trans"),
				 errhint("Merge stored values with the churn.rollup aggregate, or an aggregate of your own over this function.")));
	es = state_agg_state(fcinfo, aggcontext);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		/* an observation without state or time is skipped */
		if (es == NULL)
			PG_RETURN_NULL();
		return EOHPGetRWDatum(&es->hdr);
	}
	state = PG_GETARG_LIFECYCLE(1);
	lifecycle_check(state);
	at = PG_GETARG_TIMESTAMPTZ(2);
	if (TIMESTAMP_NOT_FINITE(at))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("state_agg time \"%s\" must be finite", state_agg_ts_text(at))));
	if (es == NULL)
		es = state_agg_new(aggcontext, 8);
	state_agg_append(es, at, state);
	return EOHPGetRWDatum(&es->hdr);
}

PG_FUNCTION_INFO_V1(state_agg_combine);
Datum
state_agg_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	ExpandedStateAgg *es;
	StateAgg   *other;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("churn.%s can only be called by an aggregate", "state_agg_combine"),
				 errhint("Merge stored values with the churn.rollup aggregate, or an aggregate of your own over this function.")));
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	other = PG_GETARG_STATE_AGG_P(1);
	es = state_agg_state(fcinfo, aggcontext);
	if (es == NULL)
		es = state_agg_new(aggcontext, other->npoints);
	state_agg_merge_flat(es, other);
	return EOHPGetRWDatum(&es->hdr);
}

/* Totals of a timeline (timeline_to_totals) or of a rolled-up value. */
static void
state_agg_add_time(StateAggTotals *t, int state, int64 us)
{
	int64		days = us / USECS_PER_DAY;

	t->us[state] += us % USECS_PER_DAY;
	if (t->us[state] >= USECS_PER_DAY)
	{
		t->us[state] -= USECS_PER_DAY;
		days++;
	}
	if (pg_add_s64_overflow(t->days[state], days, &t->days[state]))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("state_agg time total out of range")));
}

static void
state_agg_add_count(int64 *dst, int64 n)
{
	if (pg_add_s64_overflow(*dst, n, dst))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("state_agg count out of range")));
}

/* Add a flat value (timeline or rolled up) into totals. */
static void
state_agg_accumulate(StateAggTotals *t, const StateAgg *s)
{
	int			i,
				j;

	if (s->flags & STATE_AGG_FLAG_ROLLUP)
	{
		const StateAggTotals *o = STATE_AGG_TOTALS(s);

		state_agg_add_count(&t->entities, o->entities);
		for (i = 0; i < STATE_AGG_NSTATES; i++)
		{
			state_agg_add_time(t, i, o->us[i]);
			if (pg_add_s64_overflow(t->days[i], o->days[i], &t->days[i]))
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("state_agg time total out of range")));
			for (j = 0; j < STATE_AGG_NSTATES; j++)
				state_agg_add_count(&t->transitions[i][j], o->transitions[i][j]);
		}
	}
	else
	{
		const StateAggPoint *p = STATE_AGG_POINTS(s);

		state_agg_add_count(&t->entities, 1);
		for (i = 1; i < s->npoints; i++)
		{
			state_agg_add_time(t, p[i - 1].state, p[i].at - p[i - 1].at);
			if (p[i].state != p[i - 1].state)
				state_agg_add_count(&t->transitions[p[i - 1].state][p[i].state], 1);
		}
	}
}

/*
 * rollup(state_agg): transition and combine function.  The state is a
 * fixed-size rolled-up value allocated in the aggregate context on the
 * first call and updated in place afterwards.
 */
PG_FUNCTION_INFO_V1(state_agg_rollup_trans);
Datum
state_agg_rollup_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	StateAgg   *state;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("churn.%s can only be called by an aggregate", "state_agg_rollup_trans"),
				 errhint("Merge stored values with the churn.rollup aggregate, or an aggregate of your own over this function.")));
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	if (PG_ARGISNULL(0))
	{
		state = MemoryContextAllocZero(aggcontext, STATE_AGG_ROLLUP_SIZE);
		SET_VARSIZE(state, STATE_AGG_ROLLUP_SIZE);
		state->version = STATE_AGG_VERSION;
		state->flags = STATE_AGG_FLAG_ROLLUP;
	}
	else
	{
		state = (StateAgg *) PG_GETARG_POINTER(0);
		/* the state is always our own rolled-up copy in aggcontext */
		if (VARATT_IS_EXTENDED(state) || !(state->flags & STATE_AGG_FLAG_ROLLUP))
			elog(ERROR, "unexpected rollup(state_agg) transition state");
	}
	state_agg_accumulate(STATE_AGG_TOTALS(state), PG_GETARG_STATE_AGG_P(1));
	PG_RETURN_POINTER(state);
}

/* time_in(agg, state): total time spent in state, as an interval. */
PG_FUNCTION_INFO_V1(state_agg_time_in);
Datum
state_agg_time_in(PG_FUNCTION_ARGS)
{
	StateAgg   *s = PG_GETARG_STATE_AGG_P(0);
	Lifecycle	state = PG_GETARG_LIFECYCLE(1);
	StateAggTotals t;
	Interval   *result;

	lifecycle_check(state);
	memset(&t, 0, sizeof(t));
	state_agg_accumulate(&t, s);
	if (t.days[state] > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("time in state \"%s\" of " INT64_FORMAT " days does not fit in an interval",
						lifecycle_name(state), t.days[state])));
	result = palloc0(sizeof(Interval));
	result->day = (int32) t.days[state];
	result->time = t.us[state];
	PG_RETURN_INTERVAL_P(result);
}

/* state_at(agg, ts): the state of the last observation at or before ts. */
PG_FUNCTION_INFO_V1(state_agg_state_at);
Datum
state_agg_state_at(PG_FUNCTION_ARGS)
{
	StateAgg   *s = PG_GETARG_STATE_AGG_P(0);
	TimestampTz ts = PG_GETARG_TIMESTAMPTZ(1);
	const StateAggPoint *p = STATE_AGG_POINTS(s);
	int32		lo = 0,
				hi;

	state_agg_require_timeline(s, "state_at");
	hi = s->npoints;
	/* first point with at > ts */
	while (lo < hi)
	{
		int32		mid = lo + (hi - lo) / 2;

		if (p[mid].at <= ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		PG_RETURN_NULL();		/* before the first observation */
	PG_RETURN_LIFECYCLE(p[lo - 1].state);
}

/* transitions(agg): (from, to, count) in lifecycle order. */
PG_FUNCTION_INFO_V1(state_agg_transitions);
Datum
state_agg_transitions(PG_FUNCTION_ARGS)
{
	StateAgg   *s = PG_GETARG_STATE_AGG_P(0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	StateAggTotals t;
	int			ri,
				rj;

	memset(&t, 0, sizeof(t));
	state_agg_accumulate(&t, s);
	InitMaterializedSRF(fcinfo, 0);
	for (ri = 0; ri < STATE_AGG_NSTATES; ri++)
	{
		Lifecycle	from = lifecycle_at_rank(ri);

		for (rj = 0; rj < STATE_AGG_NSTATES; rj++)
		{
			Lifecycle	to = lifecycle_at_rank(rj);
			Datum		values[3];
			bool		nulls[3] = {false};

			if (t.transitions[from][to] == 0)
				continue;
			values[0] = LifecycleGetDatum(from);
			values[1] = LifecycleGetDatum(to);
			values[2] = Int64GetDatum(t.transitions[from][to]);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	return (Datum) 0;
}

/*
 * Check every field of a flat value that came from outside.  A failure is
 * reported through escontext when the text input has one (a soft error,
 * PostgreSQL 16+) and then returns false; otherwise it throws, so with
 * escontext NULL (binary input) this returns only true.
 */
static bool
state_agg_check(const StateAgg *s, Size size, int errcode_value,
				Node *escontext)
{
	int			i,
				j;

	if (s->version != STATE_AGG_VERSION)
		churn_ereturn(escontext, false,
					  errcode(errcode_value),
					  errmsg("unsupported state_agg format version %d", s->version),
					  errhint("This version of churn reads version %d.", STATE_AGG_VERSION));
	if ((s->flags & ~STATE_AGG_VALID_FLAGS) != 0 || s->reserved != 0 || s->reserved2 != 0)
		churn_ereturn(escontext, false,
					  errcode(errcode_value),
					  errmsg("invalid state_agg flags %d", s->flags));
	if (s->flags & STATE_AGG_FLAG_ROLLUP)
	{
		const StateAggTotals *t = STATE_AGG_TOTALS(s);

		if (s->npoints != 0 || size != STATE_AGG_ROLLUP_SIZE || t->entities < 0)
			churn_ereturn(escontext, false,
						  errcode(errcode_value),
						  errmsg("invalid rolled-up state_agg"));
		for (i = 0; i < STATE_AGG_NSTATES; i++)
		{
			if (t->days[i] < 0 || t->us[i] < 0 || t->us[i] >= USECS_PER_DAY)
				churn_ereturn(escontext, false,
							  errcode(errcode_value),
							  errmsg("invalid time in state \"%s\" in rolled-up state_agg",
									 lifecycle_name((Lifecycle) i)));
			for (j = 0; j < STATE_AGG_NSTATES; j++)
				if (t->transitions[i][j] < 0 || (i == j && t->transitions[i][j] != 0))
					churn_ereturn(escontext, false,
								  errcode(errcode_value),
								  errmsg("invalid transition count in rolled-up state_agg"));
		}
	}
	else
	{
		const StateAggPoint *p = STATE_AGG_POINTS(s);

		if (s->npoints < 1 || size != STATE_AGG_TIMELINE_SIZE(s->npoints))
			churn_ereturn(escontext, false,
						  errcode(errcode_value),
						  errmsg("invalid number of observations %d in state_agg", s->npoints));
		for (i = 0; i < s->npoints; i++)
		{
			if (!LifecycleIsValid(p[i].state))
				churn_ereturn(escontext, false,
							  errcode(errcode_value),
							  errmsg("invalid lifecycle code %d in state_agg", p[i].state));
			if (TIMESTAMP_NOT_FINITE(p[i].at) || !IS_VALID_TIMESTAMP(p[i].at))
				churn_ereturn(escontext, false,
							  errcode(errcode_value),
							  errmsg("invalid time in state_agg"));
			if (i > 0 && p[i].at <= p[i - 1].at)
				churn_ereturn(escontext, false,
							  errcode(errcode_value),
							  errmsg("state_agg observations are not in strictly increasing time order"));
		}
	}
	return true;
}

/*
 * Text form, independent of TimeZone and DateStyle:
 *	 "v1 timeline <n> <unix_us>:<state> ..." with times in microseconds since
 *	 1970-01-01 00:00 UTC, or
 *	 "v1 rollup <entities> <days>:<us>,... (7 states) <count>,... (49)"
 * both indexed by state code (prospect, new, active, at_risk, dormant,
 * churned, reactivated).
 */
PG_FUNCTION_INFO_V1(state_agg_in);
Datum
state_agg_in(PG_FUNCTION_ARGS)
{
	char	   *input = PG_GETARG_CSTRING(0);
	char	   *p = input;
	char	   *end;
	StateAgg   *s;
	Size		size;
	long long	v;

	/* soft errors (PostgreSQL 16+) return at once: no half-built value */
#define BAD_TEXT() \
	churn_ereturn(fcinfo->context, (Datum) 0, \
				  errcode(ERRCODE_INVALID_TEXT_REPRESENTATION), \
				  errmsg("invalid input syntax for type %s: \"%s\"", "state_agg", input))
#define SKIP_SPACES() do { while (*p == ' ') p++; } while (0)
#define READ_INT(var) \
	do { \
		errno = 0; \
		(var) = strtoll(p, &end, 10); \
		if (end == p || errno != 0) \
			BAD_TEXT(); \
		p = end; \
	} while (0)
#define EXPECT(ch) do { if (*p != (ch)) BAD_TEXT(); p++; } while (0)

	SKIP_SPACES();
	if (*p != 'v')
		BAD_TEXT();
	p++;
	READ_INT(v);
	if (v != STATE_AGG_VERSION)
		churn_ereturn(fcinfo->context, (Datum) 0,
					  errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					  errmsg("unsupported state_agg format version %lld", v),
					  errhint("This version of churn reads version %d.", STATE_AGG_VERSION));
	SKIP_SPACES();
	if (strncmp(p, "timeline ", 9) == 0)
	{
		long long	n;
		int32		i;
		StateAggPoint *pts;

		p += 9;
		SKIP_SPACES();
		READ_INT(n);
		if (n < 1 || n > STATE_AGG_MAX_POINTS || n > (long long) strlen(p))
			BAD_TEXT();
		size = STATE_AGG_TIMELINE_SIZE(n);
		s = palloc0(size);
		s->npoints = (int32) n;
		pts = STATE_AGG_POINTS(s);
		for (i = 0; i < n; i++)
		{
			char	   *colon;
			Lifecycle	code;
			long long	us;

			SKIP_SPACES();
			errno = 0;
			us = strtoll(p, &end, 10);
			if (errno == ERANGE && us == LLONG_MAX && *p != '-')
			{
				/*
				 * Times in the last 30 years of the timestamp range are
				 * beyond the int64 range as Unix microseconds: state_agg_out
				 * prints them unsigned.
				 */
				unsigned long long uus;

				errno = 0;
				uus = strtoull(p, &end, 10);
				if (end == p || errno != 0 ||
					uus - (uint64) STATE_AGG_UNIX_OFFSET > (uint64) PG_INT64_MAX)
					BAD_TEXT();
				pts[i].at = (int64) (uus - (uint64) STATE_AGG_UNIX_OFFSET);
			}
			else if (end == p || errno != 0 ||
					 pg_sub_s64_overflow(us, STATE_AGG_UNIX_OFFSET, &pts[i].at))
				BAD_TEXT();
			p = end;
			EXPECT(':');
			colon = p;
			while (*p != ' ' && *p != '\0')
				p++;
			if (!lifecycle_parse(colon, p - colon, &code))
				BAD_TEXT();
			pts[i].state = code;
		}
	}
	else if (strncmp(p, "rollup ", 7) == 0)
	{
		StateAggTotals *t;
		int			i;

		p += 7;
		size = STATE_AGG_ROLLUP_SIZE;
		s = palloc0(size);
		s->flags = STATE_AGG_FLAG_ROLLUP;
		t = STATE_AGG_TOTALS(s);
		SKIP_SPACES();
		READ_INT(t->entities);
		SKIP_SPACES();
		for (i = 0; i < STATE_AGG_NSTATES; i++)
		{
			if (i > 0)
				EXPECT(',');
			READ_INT(t->days[i]);
			EXPECT(':');
			READ_INT(t->us[i]);
		}
		SKIP_SPACES();
		for (i = 0; i < STATE_AGG_NSTATES * STATE_AGG_NSTATES; i++)
		{
			if (i > 0)
				EXPECT(',');
			READ_INT(t->transitions[i / STATE_AGG_NSTATES][i % STATE_AGG_NSTATES]);
		}
	}
	else
		BAD_TEXT();
	SKIP_SPACES();
	if (*p != '\0')
		BAD_TEXT();
#undef BAD_TEXT
#undef SKIP_SPACES
#undef READ_INT
#undef EXPECT
	SET_VARSIZE(s, size);
	s->version = STATE_AGG_VERSION;
	if (!state_agg_check(s, size, ERRCODE_INVALID_TEXT_REPRESENTATION,
						 fcinfo->context))
		return (Datum) 0;		/* soft error (PostgreSQL 16+) */
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(state_agg_out);
Datum
state_agg_out(PG_FUNCTION_ARGS)
{
	StateAgg   *s = PG_GETARG_STATE_AGG_P(0);
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	if (s->flags & STATE_AGG_FLAG_ROLLUP)
	{
		const StateAggTotals *t = STATE_AGG_TOTALS(s);

		appendStringInfo(&buf, "v%d rollup " INT64_FORMAT " ", s->version, t->entities);
		for (i = 0; i < STATE_AGG_NSTATES; i++)
			appendStringInfo(&buf, "%s" INT64_FORMAT ":" INT64_FORMAT,
							 i > 0 ? "," : "", t->days[i], t->us[i]);
		appendStringInfoChar(&buf, ' ');
		for (i = 0; i < STATE_AGG_NSTATES * STATE_AGG_NSTATES; i++)
			appendStringInfo(&buf, "%s" INT64_FORMAT, i > 0 ? "," : "",
							 t->transitions[i / STATE_AGG_NSTATES][i % STATE_AGG_NSTATES]);
	}
	else
	{
		const StateAggPoint *p = STATE_AGG_POINTS(s);

		appendStringInfo(&buf, "v%d timeline %d", s->version, s->npoints);
		for (i = 0; i < s->npoints; i++)
		{
			/* beyond int64 as Unix time near the end of the range: unsigned */
			if (p[i].at > PG_INT64_MAX - STATE_AGG_UNIX_OFFSET)
				appendStringInfo(&buf, " " UINT64_FORMAT,
								 (uint64) p[i].at + (uint64) STATE_AGG_UNIX_OFFSET);
			else
				appendStringInfo(&buf, " " INT64_FORMAT,
								 p[i].at + STATE_AGG_UNIX_OFFSET);
			appendStringInfo(&buf, ":%s", lifecycle_name(p[i].state));
		}
	}
	PG_RETURN_CSTRING(buf.data);
}

/*
 * Binary form: version byte, flags byte, then for a timeline int32 n and n
 * times (int64 microseconds since 2000-01-01 UTC, byte state code); for a
 * rolled-up value int64 entities, 7 × (int64 days, int64 us), 49 × int64.
 */
PG_FUNCTION_INFO_V1(state_agg_recv);
Datum
state_agg_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			version = pq_getmsgbyte(buf);
	int			flags;
	StateAgg   *s;
	Size		size;
	int			i;

	if (version != STATE_AGG_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported state_agg format version %d", version),
				 errhint("This version of churn reads version %d.", STATE_AGG_VERSION)));
	flags = pq_getmsgbyte(buf);
	if (flags == STATE_AGG_FLAG_ROLLUP)
	{
		StateAggTotals *t;

		size = STATE_AGG_ROLLUP_SIZE;
		s = palloc0(size);
		t = STATE_AGG_TOTALS(s);
		t->entities = pq_getmsgint64(buf);
		for (i = 0; i < STATE_AGG_NSTATES; i++)
		{
			t->days[i] = pq_getmsgint64(buf);
			t->us[i] = pq_getmsgint64(buf);
		}
		for (i = 0; i < STATE_AGG_NSTATES * STATE_AGG_NSTATES; i++)
			t->transitions[i / STATE_AGG_NSTATES][i % STATE_AGG_NSTATES] = pq_getmsgint64(buf);
	}
	else if (flags == 0)
	{
		int32		n = pq_getmsgint(buf, 4);
		StateAggPoint *p;

		if (n < 1 || n > (buf->len - buf->cursor) / 9)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid number of observations %d in external state_agg value", n)));
		size = STATE_AGG_TIMELINE_SIZE(n);
		s = palloc0(size);
		s->npoints = n;
		p = STATE_AGG_POINTS(s);
		for (i = 0; i < n; i++)
		{
			p[i].at = pq_getmsgint64(buf);
			p[i].state = (uint8) pq_getmsgbyte(buf);
		}
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid state_agg flags %d", flags)));
	pq_getmsgend(buf);
	SET_VARSIZE(s, size);
	s->version = (uint8) version;
	s->flags = (uint8) flags;
	/* binary input errors stay hard, as for the other types */
	state_agg_check(s, size, ERRCODE_INVALID_BINARY_REPRESENTATION, NULL);
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(state_agg_send);
Datum
state_agg_send(PG_FUNCTION_ARGS)
{
	StateAgg   *s = PG_GETARG_STATE_AGG_P(0);
	StringInfoData buf;
	int			i;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, s->version);
	pq_sendbyte(&buf, s->flags);
	if (s->flags & STATE_AGG_FLAG_ROLLUP)
	{
		const StateAggTotals *t = STATE_AGG_TOTALS(s);

		pq_sendint64(&buf, t->entities);
		for (i = 0; i < STATE_AGG_NSTATES; i++)
		{
			pq_sendint64(&buf, t->days[i]);
			pq_sendint64(&buf, t->us[i]);
		}
		for (i = 0; i < STATE_AGG_NSTATES * STATE_AGG_NSTATES; i++)
			pq_sendint64(&buf, t->transitions[i / STATE_AGG_NSTATES][i % STATE_AGG_NSTATES]);
	}
	else
	{
		const StateAggPoint *p = STATE_AGG_POINTS(s);

		pq_sendint32(&buf, s->npoints);
		for (i = 0; i < s->npoints; i++)
		{
			pq_sendint64(&buf, p[i].at);
			pq_sendbyte(&buf, p[i].state);
		}
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}
