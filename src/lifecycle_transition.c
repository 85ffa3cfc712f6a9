/*-------------------------------------------------------------------------
 *
 * lifecycle_transition.c
 *	  Allowed lifecycle moves, the enforce_lifecycle trigger, and the state
 *	  inferred from inactivity.
 *
 * src/lifecycle_transition.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "storage/itemptr.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "lifecycle.h"

/*
 * allowed_move[from][to], indexed by code: the table of doc/lifecycle.md.  The
 * diagonal (staying put) is allowed as well, by lifecycle_transition_allowed.
 */
static const bool allowed_move[LIFECYCLE_NSTATES][LIFECYCLE_NSTATES] = {
	[LIFECYCLE_PROSPECT] = {
		[LIFECYCLE_NEW] = true,
	},
	[LIFECYCLE_NEW] = {
		[LIFECYCLE_ACTIVE] = true,
		[LIFECYCLE_AT_RISK] = true,
		[LIFECYCLE_CHURNED] = true,
	},
	[LIFECYCLE_ACTIVE] = {
		[LIFECYCLE_AT_RISK] = true,
		[LIFECYCLE_DORMANT] = true,
		[LIFECYCLE_CHURNED] = true,
	},
	[LIFECYCLE_AT_RISK] = {
		[LIFECYCLE_ACTIVE] = true,
		[LIFECYCLE_DORMANT] = true,
		[LIFECYCLE_CHURNED] = true,
	},
	[LIFECYCLE_DORMANT] = {
		[LIFECYCLE_REACTIVATED] = true,
		[LIFECYCLE_CHURNED] = true,
	},
	[LIFECYCLE_CHURNED] = {
		[LIFECYCLE_REACTIVATED] = true,
	},
	[LIFECYCLE_REACTIVATED] = {
		[LIFECYCLE_ACTIVE] = true,
		[LIFECYCLE_AT_RISK] = true,
		[LIFECYCLE_DORMANT] = true,
		[LIFECYCLE_CHURNED] = true,
	},
};

bool
lifecycle_transition_allowed(Lifecycle from, Lifecycle to)
{
	lifecycle_check(from);
	lifecycle_check(to);
	return from == to || allowed_move[from][to];
}

char *
lifecycle_next_states(Lifecycle from)
{
	StringInfoData buf;
	int			r;

	lifecycle_check(from);
	initStringInfo(&buf);
	for (r = 0; r < LIFECYCLE_NSTATES; r++)
	{
		Lifecycle	to = lifecycle_at_rank(r);

		if (to != from && allowed_move[from][to])
			appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "",
							 lifecycle_name(to));
	}
	return buf.data;
}

PG_FUNCTION_INFO_V1(lifecycle_can_transition);
Datum
lifecycle_can_transition(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(lifecycle_transition_allowed(PG_GETARG_LIFECYCLE(0),
												PG_GETARG_LIFECYCLE(1)));
}

/*
 * The OID of churn.lifecycle: the type named lifecycle in the schema of the
 * calling function (the extension's schema).
 */
static Oid
lifecycle_type_oid(FunctionCallInfo fcinfo)
{
	Oid			nsp = get_func_namespace(fcinfo->flinfo->fn_oid);
	Oid			typid;

	typid = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
							CStringGetDatum("lifecycle"),
							ObjectIdGetDatum(nsp));
	if (!OidIsValid(typid))
		elog(ERROR, "type lifecycle not found in schema of function %u",
			 fcinfo->flinfo->fn_oid);
	return typid;
}

/*
 * The column checked by an enforce_lifecycle trigger, resolved and validated
 * on the first row and kept in fn_extra: the FmgrInfo belongs to one trigger
 * of one result relation for one statement, during which the relation's
 * columns cannot change.  The trigger and relation OIDs are kept anyway, as
 * a guard.
 */
typedef struct EnforceLifecycleCache
{
	Oid			tgoid;
	Oid			relid;
	int			attnum;
} EnforceLifecycleCache;

static int
enforce_lifecycle_column(FunctionCallInfo fcinfo, Trigger *trigger, Relation rel)
{
	EnforceLifecycleCache *cache = (EnforceLifecycleCache *) fcinfo->flinfo->fn_extra;
	TupleDesc	tupdesc = RelationGetDescr(rel);
	const char *colname;
	int			attnum;
	Oid			coltype;

	if (cache != NULL && cache->tgoid == trigger->tgoid &&
		cache->relid == RelationGetRelid(rel))
		return cache->attnum;

	if (trigger->tgnargs != 1)
		ereport(ERROR,
				errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("trigger \"%s\" on relation \"%s\" must have exactly one argument",
					   trigger->tgname, RelationGetRelationName(rel)),
				errdetail("The argument names the lifecycle column to check; %d arguments were given.",
						  trigger->tgnargs));

	colname = trigger->tgargs[0];
	attnum = SPI_fnumber(tupdesc, colname);
	if (attnum == SPI_ERROR_NOATTRIBUTE)
		ereport(ERROR,
				errcode(ERRCODE_UNDEFINED_COLUMN),
				errmsg("column \"%s\" of relation \"%s\" does not exist",
					   colname, RelationGetRelationName(rel)),
				errhint("The argument of trigger \"%s\" must name a column of type churn.lifecycle exactly, without quotes.",
						trigger->tgname));

	coltype = SPI_gettypeid(tupdesc, attnum);
	if (attnum <= 0 || getBaseType(coltype) != lifecycle_type_oid(fcinfo))
		ereport(ERROR,
				errcode(ERRCODE_DATATYPE_MISMATCH),
				errmsg("column \"%s\" of relation \"%s\" is not of type churn.lifecycle",
					   colname, RelationGetRelationName(rel)),
				errdetail("The column is of type %s.", format_type_be(coltype)));

	if (cache == NULL)
	{
		cache = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt,
								   sizeof(EnforceLifecycleCache));
		fcinfo->flinfo->fn_extra = cache;
	}
	cache->tgoid = trigger->tgoid;
	cache->relid = RelationGetRelid(rel);
	cache->attnum = attnum;
	return attnum;
}

/*
 * Identify a row for an error message: by its primary key when the table has
 * one and the user may see its columns (BuildIndexValueDescription checks
 * that, as unique-violation messages do), else by its ctid.
 */
static char *
describe_row(Relation rel, HeapTuple tuple)
{
	Oid			pkoid;

#if PG_VERSION_NUM >= 180000
	pkoid = RelationGetPrimaryKeyIndex(rel, true);
#else
	pkoid = RelationGetPrimaryKeyIndex(rel);
#endif

	if (OidIsValid(pkoid))
	{
		Relation	idx = index_open(pkoid, AccessShareLock);
		int			nkeys = IndexRelationGetNumberOfKeyAttributes(idx);
		Datum		values[INDEX_MAX_KEYS];
		bool		isnull[INDEX_MAX_KEYS];
		char	   *desc;
		int			i;

		for (i = 0; i < nkeys; i++)
			values[i] = heap_getattr(tuple, idx->rd_index->indkey.values[i],
									 RelationGetDescr(rel), &isnull[i]);
		desc = BuildIndexValueDescription(idx, values, isnull);
		index_close(idx, AccessShareLock);
		if (desc != NULL)
			return desc;
	}
	return psprintf("with ctid (%u,%u)",
					ItemPointerGetBlockNumber(&tuple->t_self),
					(unsigned int) ItemPointerGetOffsetNumber(&tuple->t_self));
}

/*
 * enforce_lifecycle: BEFORE UPDATE FOR EACH ROW trigger; its one argument
 * names a column of type churn.lifecycle (or a domain over it).  A change of
 * that column must follow the transition table.  NULL on either side is not
 * checked (use NOT NULL to forbid it).
 */
PG_FUNCTION_INFO_V1(enforce_lifecycle);
Datum
enforce_lifecycle(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata;
	Trigger    *trigger;
	Relation	rel;
	TupleDesc	tupdesc;
	int			attnum;
	Datum		oldval;
	Datum		newval;
	bool		oldnull;
	bool		newnull;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("function \"enforce_lifecycle\" must be called as a trigger"));

	trigdata = (TriggerData *) fcinfo->context;
	trigger = trigdata->tg_trigger;
	rel = trigdata->tg_relation;
	tupdesc = RelationGetDescr(rel);

	if (!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		ereport(ERROR,
				errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("trigger \"%s\" on relation \"%s\" must be fired BEFORE UPDATE FOR EACH ROW",
					   trigger->tgname, RelationGetRelationName(rel)),
				errhint("Create it with CREATE TRIGGER ... BEFORE UPDATE ON table FOR EACH ROW EXECUTE FUNCTION churn.enforce_lifecycle('column')."));

	attnum = enforce_lifecycle_column(fcinfo, trigger, rel);

	oldval = heap_getattr(trigdata->tg_trigtuple, attnum, tupdesc, &oldnull);
	newval = heap_getattr(trigdata->tg_newtuple, attnum, tupdesc, &newnull);

	if (!oldnull && !newnull)
	{
		Lifecycle	from = DatumGetLifecycle(oldval);
		Lifecycle	to = DatumGetLifecycle(newval);

		if (!lifecycle_transition_allowed(from, to))
			ereport(ERROR,
					errcode(ERRCODE_CHECK_VIOLATION),
					errmsg("lifecycle transition from \"%s\" to \"%s\" is not allowed for row %s of relation \"%s\"",
						   lifecycle_name(from), lifecycle_name(to),
						   describe_row(rel, trigdata->tg_trigtuple),
						   RelationGetRelationName(rel)),
					errhint("Allowed next states after \"%s\" are: %s.",
							lifecycle_name(from), lifecycle_next_states(from)),
					errtablecol(rel, attnum));
	}

	return PointerGetDatum(trigdata->tg_newtuple);
}

/*
 * Check one threshold of lifecycle_from_activity: every field non-negative
 * and not all zero, so that last_activity + threshold lies strictly after
 * last_activity whatever the calendar.
 */
static void
check_threshold(const char *name, Interval *iv)
{
	if (iv->month < 0 || iv->day < 0 || iv->time < 0 ||
		(iv->month == 0 && iv->day == 0 && iv->time == 0))
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("invalid lifecycle threshold %s: \"%s\"", name,
					   DatumGetCString(DirectFunctionCall1(interval_out,
														   IntervalPGetDatum(iv)))),
				errdetail("A threshold must be a positive interval with no negative field."));
}

static bool
threshold_reached(TimestampTz last, TimestampTz as_of, Interval *iv)
{
	TimestampTz at;

	at = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_pl_interval,
												 TimestampTzGetDatum(last),
												 IntervalPGetDatum(iv)));
	return as_of >= at;
}

/*
 * lifecycle_from_activity(last_activity, as_of, at_risk_after, dormant_after,
 * churned_after): the most advanced state whose threshold has been reached,
 * a threshold being reached when as_of >= last_activity + threshold
 * (calendar arithmetic in the session time zone).  Activity at or after
 * as_of means active.  STRICT: a NULL last_activity gives NULL.
 */
PG_FUNCTION_INFO_V1(lifecycle_from_activity);
Datum
lifecycle_from_activity(PG_FUNCTION_ARGS)
{
	TimestampTz last = PG_GETARG_TIMESTAMPTZ(0);
	TimestampTz as_of = PG_GETARG_TIMESTAMPTZ(1);
	Interval   *at_risk = PG_GETARG_INTERVAL_P(2);
	Interval   *dormant = PG_GETARG_INTERVAL_P(3);
	Interval   *churned = PG_GETARG_INTERVAL_P(4);

	check_threshold("at_risk_after", at_risk);
	check_threshold("dormant_after", dormant);
	check_threshold("churned_after", churned);

	if (DatumGetInt32(DirectFunctionCall2(interval_cmp,
										  IntervalPGetDatum(at_risk),
										  IntervalPGetDatum(dormant))) >= 0 ||
		DatumGetInt32(DirectFunctionCall2(interval_cmp,
										  IntervalPGetDatum(dormant),
										  IntervalPGetDatum(churned))) >= 0)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("lifecycle thresholds must be increasing: at_risk_after < dormant_after < churned_after"),
				errdetail("Got at_risk_after \"%s\", dormant_after \"%s\", churned_after \"%s\".",
						  DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(at_risk))),
						  DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(dormant))),
						  DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(churned)))),
				errhint("Intervals are compared with a month as 30 days and a day as 24 hours."));

	if (last >= as_of)
		PG_RETURN_LIFECYCLE(LIFECYCLE_ACTIVE);
	if (threshold_reached(last, as_of, churned))
		PG_RETURN_LIFECYCLE(LIFECYCLE_CHURNED);
	if (threshold_reached(last, as_of, dormant))
		PG_RETURN_LIFECYCLE(LIFECYCLE_DORMANT);
	if (threshold_reached(last, as_of, at_risk))
		PG_RETURN_LIFECYCLE(LIFECYCLE_AT_RISK);
	PG_RETURN_LIFECYCLE(LIFECYCLE_ACTIVE);
}
