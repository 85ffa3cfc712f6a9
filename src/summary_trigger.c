/*-------------------------------------------------------------------------
 *
 * summary_trigger.c
 *	  churn.summary_trigger(): statement-level capture into summary deltas.
 *
 * churn.track installs this function as four AFTER ... FOR EACH STATEMENT
 * triggers on the tracked table (and on each of its partitions): INSERT
 * (REFERENCING NEW TABLE), UPDATE (OLD and NEW TABLE), DELETE (OLD TABLE)
 * and TRUNCATE (with the BEFORE trigger of summary_order.c, which orders the
 * captures of statements run by other AFTER triggers).  Each firing folds
 * the transition tables into grouped, signed counts appended to
 * churn.summary_delta.  No summary row is updated in the writer's
 * transaction, so writers never wait on each other because of the
 * summaries; churn.refresh() folds the deltas later.
 *
 * INSERTs of any size and UPDATE/DELETE statements of up to SUMMARY_FAST_MAX
 * rows are captured in C (summary_capture.c); bigger UPDATE/DELETE statements
 * and TRUNCATE run ONE set-based statement (summary_sql.c).  Its plans are
 * prepared once per trigger and size class of the transition table (a plan
 * made for one row is a poor plan for a million), kept with SPI_keepplan in
 * a backend-lifetime hash table, and prepared again when invalidated or when
 * a tracked column moved (the pattern of ri_triggers.c).  Capture runs as
 * the extension owner, so writers need no privilege on churn's tables.
 *
 * src/summary_trigger.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/partition.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "summary.h"

typedef struct SummaryPlanKey
{
	Oid			tgoid;			/* the trigger */
	int			size;			/* size class of the transition table */
} SummaryPlanKey;

typedef struct SummaryPlanEntry
{
	SummaryPlanKey key;
	SPIPlanPtr	plan;
	SummaryStatement stmt;
	SummaryTarget target;		/* where the capture goes */
	SummaryColumns *fast;		/* capture in C of small statements, or NULL */
} SummaryPlanEntry;

static void capture(TriggerData *trigdata, List **rest);

static HTAB *summary_plans = NULL;
static Oid	summary_owner = InvalidOid;

static int
size_class(int64 rows)
{
	if (rows <= SUMMARY_FAST_MAX)
		return 0;
	if (rows < 100000)
		return 1;
	return 2;
}

/*
 * The largest statement captured in C.  The placeholder setting
 * churn.capture_fast_max (unset: SUMMARY_FAST_MAX) lets tests force the
 * set-based path with 0; it is not part of the documented interface.
 */
static int64
fast_max(void)
{
	const char *v = GetConfigOption("churn.capture_fast_max", true, false);

	if (v == NULL || *v == '\0')
		return SUMMARY_FAST_MAX;
	return Min(pg_strtoint64(v), SUMMARY_FAST_MAX);
}

/*
 * summary_extension_owner: the owner of the churn extension, who owns its
 * tables.  The caller is connected to SPI.
 */
Oid
summary_extension_owner(void)
{
	int			ret;
	bool		isnull;
	Datum		d;

	if (OidIsValid(summary_owner))
		return summary_owner;
	ret = SPI_execute("SELECT extowner FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) 'churn'",
					  true, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"churn\" is not installed in this database")));
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	summary_owner = DatumGetObjectId(d);
	return summary_owner;
}

static SummaryPlanEntry *
get_plan_entry(TriggerData *trigdata, SummaryStatement stmt, int size)
{
	SummaryPlanKey key;
	SummaryPlanEntry *entry;
	bool		found;

	if (summary_plans == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(SummaryPlanKey);
		ctl.entrysize = sizeof(SummaryPlanEntry);
		summary_plans = hash_create("churn summary plans", 64, &ctl,
									HASH_ELEM | HASH_BLOBS);
	}
	memset(&key, 0, sizeof(key));
	key.tgoid = trigdata->tg_trigger->tgoid;
	key.size = size;
	entry = hash_search(summary_plans, &key, HASH_ENTER, &found);
	if (!found)
	{
		entry->plan = NULL;
		entry->fast = NULL;
	}

	if (entry->plan != NULL &&
		(!SPI_plan_is_valid(entry->plan) ||
		 !summary_columns_valid(entry->fast, trigdata->tg_relation)))
	{
		SPI_freeplan(entry->plan);
		entry->plan = NULL;
	}

	if (entry->plan == NULL)
	{
		Relation	rel = trigdata->tg_relation;
		SummaryConfig cfg;
		char	   *sql;
		Oid			argtypes[4] = {OIDOID, INTERVALOID, TEXTOID, TIMESTAMPTZOID};
		SPIPlanPtr	plan;

		bool		found_cfg;

		found_cfg = summary_load_config(RelationGetRelid(rel), rel, &cfg);

		/*
		 * A partition written directly: its triggers capture for the tracked
		 * partitioned table above it.
		 */
		if (!found_cfg && rel->rd_rel->relispartition)
		{
			List	   *ancestors = get_partition_ancestors(RelationGetRelid(rel));
			ListCell   *lc;

			foreach(lc, ancestors)
			{
				if (summary_load_config(lfirst_oid(lc), rel, &cfg))
				{
					found_cfg = true;
					break;
				}
			}
		}
		if (!found_cfg)
		{
			/*
			 * A table with churn's triggers but no configuration: most likely
			 * a Citus shard of a tracked table that was distributed anyway
			 * (citus.enable_unsafe_triggers copies the triggers to shards).
			 */
			bool		citus = OidIsValid(get_relname_relid("pg_dist_partition",
															 PG_CATALOG_NAMESPACE));

			ereport(ERROR,
					(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
					 errmsg("table \"%s\" is not tracked by churn",
							RelationGetRelationName(rel)),
					 citus ?
					 errhint("A Citus shard of a tracked table has churn's triggers but cannot be tracked: run churn.untrack on the table before distributing it.") :
					 errhint("Install churn.summary_trigger only through churn.track.")));
		}
		if (strlen(cfg.time_zone) >= sizeof(entry->target.time_zone))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("time zone name \"%s\" is too long", cfg.time_zone)));
		if (stmt == SUMMARY_TRUNCATE && cfg.relid != RelationGetRelid(rel))
		{
			/*
			 * A TRUNCATE of one partition has no transition table: recompute
			 * the partitioned table's summaries.
			 */
			sql = pstrdup("SELECT churn._recompute_after_truncate($1)");
		}
		else
			sql = summary_capture_sql(&cfg, stmt,
									  trigdata->tg_trigger->tgnewtable,
									  trigdata->tg_trigger->tgoldtable);
		plan = SPI_prepare_cursor(sql, 4, argtypes, CURSOR_OPT_GENERIC_PLAN);
		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed for churn capture: %s",
				 SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed");
		entry->stmt = stmt;
		entry->target.tracked = cfg.relid;
		entry->target.bucket = cfg.bucket;
		strlcpy(entry->target.time_zone, cfg.time_zone, sizeof(entry->target.time_zone));
		entry->target.states_from = cfg.states_from;
		entry->fast = NULL;
		if (stmt != SUMMARY_TRUNCATE)
			entry->fast = summary_columns_setup(&cfg, rel);
		entry->plan = plan;
	}
	return entry;
}

/*
 * summary_pin_search_path: for SQL that churn runs as the extension owner,
 * set search_path to pg_catalog, pg_temp in a new GUC nest level, which the
 * caller ends with AtEOXact_GUC.  With the writer's search_path, a name in
 * that SQL, or an operator such as the "=" of IN and IS DISTINCT FROM, could
 * resolve to a look-alike the writer created in a schema of their own, and
 * run with the owner's privileges.  (The SQL is generated after this too:
 * format_type_be then qualifies every type the path does not show.)
 */
int
summary_pin_search_path(void)
{
	int			nestlevel = NewGUCNestLevel();

	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return nestlevel;
}

/*
 * Connect to SPI with the statement's transition tables registered (the
 * plans get_plan_entry prepares read them), become the extension owner and
 * pin search_path: the configuration is read and the summaries written as
 * the owner, so writers of the customer table need no privilege on churn's
 * tables.  Returns the GUC nest level for disconnect_owner.
 */
static int
connect_as_owner(TriggerData *trigdata, Oid *save_userid, int *save_sec_context)
{
	int			ret;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_register_trigger_data(trigdata);
	if (ret != SPI_OK_TD_REGISTER)
		elog(ERROR, "SPI_register_trigger_data failed: %s", SPI_result_code_string(ret));
	GetUserIdAndSecContext(save_userid, save_sec_context);
	SetUserIdAndSecContext(summary_extension_owner(),
						   *save_sec_context | SECURITY_LOCAL_USERID_CHANGE);
	return summary_pin_search_path();
}

/* Undo connect_as_owner: the settings, the user, the SPI connection. */
static void
disconnect_owner(int nestlevel, Oid save_userid, int save_sec_context)
{
	AtEOXact_GUC(true, nestlevel);
	SetUserIdAndSecContext(save_userid, save_sec_context);
	SPI_finish();
}

/*
 * Whether a statement is captured in C: an INSERT of any size (new customers
 * have no history), other statements up to SUMMARY_FAST_MAX rows.
 */
static bool
capture_in_c(SummaryPlanEntry *entry, SummaryStatement stmt, Tuplestorestate *ts)
{
	int64		max = fast_max();

	if (max <= 0 || ts == NULL || stmt == SUMMARY_TRUNCATE)
		return false;
	return stmt == SUMMARY_INSERT || tuplestore_tuple_count(ts) <= max;
}

/*
 * capture_statement: fold one statement's transition tables into summary
 * deltas (or, for TRUNCATE, recompute).  *kept, when kept is not NULL, holds
 * the statements left to this one (summary_order.c), to be captured after
 * it; a TRUNCATE that recomputes captures them first instead, and empties
 * the list.
 */
static void
capture_statement(TriggerData *trigdata, List **kept)
{
	TriggerEvent ev = trigdata->tg_event;
	SummaryStatement stmt;
	Tuplestorestate *ts = NULL;
	SummaryPlanEntry *entry;
	Oid			save_userid;
	int			save_sec_context;
	Datum		values[4];
	int			ret;
	int			size;
	int			nestlevel;

	if (TRIGGER_FIRED_BY_INSERT(ev))
	{
		stmt = SUMMARY_INSERT;
		ts = trigdata->tg_newtable;
	}
	else if (TRIGGER_FIRED_BY_UPDATE(ev))
	{
		stmt = SUMMARY_UPDATE;
		ts = trigdata->tg_newtable;
		if (trigdata->tg_oldtable == NULL)
			ts = NULL;
	}
	else if (TRIGGER_FIRED_BY_DELETE(ev))
	{
		stmt = SUMMARY_DELETE;
		ts = trigdata->tg_oldtable;
	}
	else
		stmt = SUMMARY_TRUNCATE;

	if (stmt != SUMMARY_TRUNCATE && ts == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"summary_trigger\" needs the transition tables of the statement"),
				 errhint("Install churn.summary_trigger only through churn.track.")));

	/* nothing happened: nothing to capture */
	if (ts != NULL && tuplestore_tuple_count(ts) == 0)
		return;

	/*
	 * The common case, a statement captured in C by a trigger seen before:
	 * no SPI connection is needed.
	 */
	if (ts != NULL && summary_plans != NULL && OidIsValid(summary_owner))
	{
		SummaryPlanKey key;
		SummaryPlanEntry *cached;

		memset(&key, 0, sizeof(key));
		key.tgoid = trigdata->tg_trigger->tgoid;
		key.size = size_class(tuplestore_tuple_count(ts));
		cached = hash_search(summary_plans, &key, HASH_FIND, NULL);
		if (cached != NULL && cached->plan != NULL && SPI_plan_is_valid(cached->plan) &&
			summary_columns_usable(cached->fast) &&
			summary_columns_valid(cached->fast, trigdata->tg_relation) &&
			capture_in_c(cached, stmt, ts))
		{
			GetUserIdAndSecContext(&save_userid, &save_sec_context);
			SetUserIdAndSecContext(summary_owner, save_sec_context | SECURITY_LOCAL_USERID_CHANGE);
			if (stmt == SUMMARY_INSERT)
				summary_capture_insert(trigdata, cached->fast, &cached->target);
			else
				summary_capture_changes(trigdata, stmt, cached->fast, &cached->target);
			SetUserIdAndSecContext(save_userid, save_sec_context);
			return;
		}
	}

	nestlevel = connect_as_owner(trigdata, &save_userid, &save_sec_context);

	size = ts ? size_class(tuplestore_tuple_count(ts)) : 0;
	entry = get_plan_entry(trigdata, stmt, size);

	/*
	 * The TRUNCATE of a partition recomputes the tracked table's summaries
	 * from its rows and history.  The rows of the statements left to it (an
	 * AFTER TRUNCATE trigger's INSERT) are in the table already, and
	 * capturing them after the recomputation would count them twice: capture
	 * them first, so that their history is there and the recomputation
	 * replaces their counts.  (The TRUNCATE of a tracked table itself
	 * empties the history, so what it kept comes after it.)
	 */
	if (stmt == SUMMARY_TRUNCATE && kept != NULL && *kept != NIL &&
		entry->target.tracked != RelationGetRelid(trigdata->tg_relation))
	{
		summary_order_replay(*kept, capture);
		*kept = NIL;
		/* the replayed captures may have prepared plans again */
		entry = get_plan_entry(trigdata, stmt, size);
	}

	/*
	 * An INSERT of any size is grouped in C (new customers have no history);
	 * other statements of up to SUMMARY_FAST_MAX rows are captured in C.
	 */
	if (summary_columns_usable(entry->fast) && capture_in_c(entry, stmt, ts))
	{
		if (stmt == SUMMARY_INSERT)
			summary_capture_insert(trigdata, entry->fast, &entry->target);
		else
			summary_capture_changes(trigdata, stmt, entry->fast, &entry->target);
		disconnect_owner(nestlevel, save_userid, save_sec_context);
		return;
	}

	/*
	 * The capture statement runs once per writing statement, and its cost
	 * estimate over the transition tables easily passes jit_above_cost:
	 * compiling it would cost far more than it saves (seconds against a
	 * tenth of a second for a 3,000-row UPDATE), so JIT is off for it (in
	 * the nest level of connect_as_owner, which ends it).
	 */
	(void) set_config_option("jit", "off",
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);

	/*
	 * A big statement is grouped in one pass: give the hash aggregation the
	 * memory of maintenance, as ri_triggers.c does for its initial check.
	 */
	if (size > 0 && maintenance_work_mem > work_mem)
	{
		char		workmembuf[32];

		snprintf(workmembuf, sizeof(workmembuf), "%d", maintenance_work_mem);
		(void) set_config_option("work_mem", workmembuf,
								 PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
	}

	values[0] = ObjectIdGetDatum(entry->target.tracked);
	values[1] = IntervalPGetDatum(&entry->target.bucket);
	values[2] = CStringGetTextDatum(entry->target.time_zone);
	values[3] = TimestampTzGetDatum(entry->target.states_from);

	ret = SPI_execute_plan(entry->plan, values, NULL, false, 0);
	if (ret != (stmt == SUMMARY_TRUNCATE ? SPI_OK_SELECT : SPI_OK_INSERT))
		elog(ERROR, "churn capture statement failed: %s", SPI_result_code_string(ret));

	disconnect_owner(nestlevel, save_userid, save_sec_context);
}

/*
 * capture: capture_statement of a statement replayed by summary_order.c;
 * rest, if not NULL, holds the statements left after it (for a TRUNCATE)
 */
static void
capture(TriggerData *trigdata, List **rest)
{
	capture_statement(trigdata, rest);
}

/*
 * check_kept: the checks of the capture that need no history (until >=
 * since), on the new rows of a statement whose capture is left to an
 * earlier statement's (summary_order.c), so that the statement itself
 * raises them.
 */
static void
check_kept(TriggerData *trigdata)
{
	TriggerEvent ev = trigdata->tg_event;
	Tuplestorestate *ts = trigdata->tg_newtable;
	SummaryPlanEntry *entry;
	Oid			save_userid;
	int			save_sec_context;
	int			nestlevel;

	if (ts == NULL || tuplestore_tuple_count(ts) == 0 ||
		!(TRIGGER_FIRED_BY_INSERT(ev) || TRIGGER_FIRED_BY_UPDATE(ev)))
		return;
	nestlevel = connect_as_owner(trigdata, &save_userid, &save_sec_context);
	entry = get_plan_entry(trigdata,
						   TRIGGER_FIRED_BY_INSERT(ev) ? SUMMARY_INSERT : SUMMARY_UPDATE,
						   size_class(tuplestore_tuple_count(ts)));
	/* (the set-based capture checks with the same message when it replays) */
	if (summary_columns_usable(entry->fast))
		summary_check_rows(trigdata, entry->fast);
	disconnect_owner(nestlevel, save_userid, save_sec_context);
}

PG_FUNCTION_INFO_V1(churn_summary_trigger);

Datum
churn_summary_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata;
	List	   *kept;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"summary_trigger\" was not called by trigger manager")));
	trigdata = (TriggerData *) fcinfo->context;
	if (!TRIGGER_FIRED_FOR_STATEMENT(trigdata->tg_event) ||
		!TRIGGER_FIRED_AFTER(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"summary_trigger\" must be fired AFTER ... FOR EACH STATEMENT")));

	/*
	 * A statement that ran inside an earlier statement of the same table
	 * (from one of its AFTER triggers) is captured after it (see
	 * summary_order.c).
	 */
	if (summary_order_take(trigdata, &kept, check_kept))
		return PointerGetDatum(NULL);
	capture_statement(trigdata, &kept);
	if (kept != NIL)
		summary_order_replay(kept, capture);
	return PointerGetDatum(NULL);
}
