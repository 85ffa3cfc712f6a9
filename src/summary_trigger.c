/*-------------------------------------------------------------------------
 *
 * summary_trigger.c
 *	  churn.summary_trigger(): statement-level capture into summary deltas.
 *
 * churn.track installs this function as four AFTER ... FOR EACH STATEMENT
 * triggers on the tracked table (and on each of its partitions): INSERT
 * (REFERENCING NEW TABLE), UPDATE (OLD and NEW TABLE), DELETE (OLD TABLE)
 * and TRUNCATE, beside the BEFORE trigger of summary_order.c.  Each firing
 * folds the transition tables into grouped, signed counts appended to
 * churn.summary_delta.  No summary row is updated in the writer's
 * transaction, so writers never wait on each other because of the
 * summaries; churn.refresh() folds the deltas later.
 *
 * One statement's capture, top down (the functions below, in this order):
 *
 *   churn_summary_trigger    checks it is fired as it must be; a statement
 *                            run by another statement's AFTER triggers is
 *                            left to that statement's capture
 *                            (summary_order.c), which replays it after its
 *                            own rows;
 *   capture_statement        the statement's kind and transition table;
 *                            its trigger's entry (trigger_entry: the
 *                            table's configuration, summary_sql.c; how its
 *                            columns are read, summary_convert.c; the
 *                            set-based statement, prepared); then either
 *   capture_in_c             INSERTs of any size and UPDATEs and DELETEs of
 *                            up to churn.capture_fast_max rows, in C
 *                            (summary_capture.c), or
 *   capture_set_based        bigger ones and TRUNCATE: ONE set-based
 *                            statement (summary_sql.c).
 *
 * The entries are kept for the backend's lifetime in a hash table keyed by
 * trigger and size class of the transition table (a plan made for one row
 * is a poor plan for a million), their plans with SPI_keepplan, prepared
 * again when invalidated or when a tracked column moved (the pattern of
 * ri_triggers.c).  churn.retrack replaces a table's triggers, so that no
 * entry outlives the settings it was made from.  A trigger seen before
 * whose statement goes to C needs no SPI connection at all.
 *
 * Capture runs as the extension owner, so writers need no privilege on
 * churn's tables.
 *
 * src/summary_trigger.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/partition.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/elog.h"
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
	SPIPlanPtr	plan;			/* the set-based capture statement */
	SummaryStatement stmt;
	SummaryTarget target;		/* where the capture goes */
	SummaryColumns *fast;		/* capture in C of small statements, or NULL */
} SummaryPlanEntry;

/* the entries of the triggers this backend has seen (see the top) */
static HTAB *summary_plans = NULL;

/* the extension's owner, once looked up (it cannot change while loaded) */
static Oid	summary_owner = InvalidOid;

static void capture_statement(TriggerData *trigdata, List **kept);
static void capture_replayed(TriggerData *trigdata, List **rest);
static void check_kept(TriggerData *trigdata);
static SummaryStatement statement_kind(TriggerData *trigdata, Tuplestorestate **ts);
static bool goes_to_c(const SummaryPlanEntry *entry, SummaryStatement stmt,
					  Tuplestorestate *ts);
static void capture_in_c(TriggerData *trigdata, SummaryStatement stmt,
						 SummaryPlanEntry *entry);
static void capture_set_based(SummaryPlanEntry *entry, SummaryStatement stmt, int size);
static int	size_class(int64 rows);
static SummaryPlanEntry *cached_entry(TriggerData *trigdata, int size);
static SummaryPlanEntry *trigger_entry(TriggerData *trigdata, SummaryStatement stmt, int size);
static int	connect_as_owner(TriggerData *trigdata, Oid *save_userid, int *save_sec_context);
static void disconnect_owner(int nestlevel, Oid save_userid, int save_sec_context);

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
		summary_order_replay(kept, capture_replayed);
	return PointerGetDatum(NULL);
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
	Tuplestorestate *ts;
	SummaryStatement stmt = statement_kind(trigdata, &ts);
	int			size = ts ? size_class(tuplestore_tuple_count(ts)) : 0;
	SummaryPlanEntry *entry;
	Oid			save_userid;
	int			save_sec_context;
	int			nestlevel;

	/* nothing happened: nothing to capture */
	if (ts != NULL && tuplestore_tuple_count(ts) == 0)
		return;

	/*
	 * The common case, a statement captured in C by a trigger seen before:
	 * no SPI connection is needed.
	 */
	entry = cached_entry(trigdata, size);

	/*
	 * An UPDATE of other columns only (an e-mail address, the time of a
	 * login), of any size, has nothing to capture: it is the common write
	 * of an application, and costs a comparison of the tracked columns.
	 */
	if (stmt == SUMMARY_UPDATE && entry != NULL && summary_columns_usable(entry->fast) &&
		summary_update_unchanged(trigdata, entry->fast))
		return;
	if (entry != NULL && goes_to_c(entry, stmt, ts))
	{
		GetUserIdAndSecContext(&save_userid, &save_sec_context);
		SetUserIdAndSecContext(summary_owner, save_sec_context | SECURITY_LOCAL_USERID_CHANGE);
		capture_in_c(trigdata, stmt, entry);
		SetUserIdAndSecContext(save_userid, save_sec_context);
		return;
	}

	nestlevel = connect_as_owner(trigdata, &save_userid, &save_sec_context);
	entry = trigger_entry(trigdata, stmt, size);

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
		summary_order_replay(*kept, capture_replayed);
		*kept = NIL;
		/* the replayed captures may have prepared plans again */
		entry = trigger_entry(trigdata, stmt, size);
	}

	if (goes_to_c(entry, stmt, ts))
		capture_in_c(trigdata, stmt, entry);
	else
		capture_set_based(entry, stmt, size);
	disconnect_owner(nestlevel, save_userid, save_sec_context);
}

/*
 * capture_replayed: capture_statement of a statement replayed by
 * summary_order.c; rest, if not NULL, holds the statements left after it
 * (for a TRUNCATE)
 */
static void
capture_replayed(TriggerData *trigdata, List **rest)
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
	entry = trigger_entry(trigdata,
						  TRIGGER_FIRED_BY_INSERT(ev) ? SUMMARY_INSERT : SUMMARY_UPDATE,
						  size_class(tuplestore_tuple_count(ts)));
	/* (the set-based capture checks with the same message when it replays) */
	if (summary_columns_usable(entry->fast))
		summary_check_rows(trigdata, entry->fast);
	disconnect_owner(nestlevel, save_userid, save_sec_context);
}

/* The kind of a statement and the transition table whose rows count. */
static SummaryStatement
statement_kind(TriggerData *trigdata, Tuplestorestate **ts)
{
	TriggerEvent ev = trigdata->tg_event;
	SummaryStatement stmt;

	*ts = NULL;
	if (TRIGGER_FIRED_BY_INSERT(ev))
	{
		stmt = SUMMARY_INSERT;
		*ts = trigdata->tg_newtable;
	}
	else if (TRIGGER_FIRED_BY_UPDATE(ev))
	{
		stmt = SUMMARY_UPDATE;
		if (trigdata->tg_oldtable != NULL)
			*ts = trigdata->tg_newtable;
	}
	else if (TRIGGER_FIRED_BY_DELETE(ev))
	{
		stmt = SUMMARY_DELETE;
		*ts = trigdata->tg_oldtable;
	}
	else
		return SUMMARY_TRUNCATE;

	if (*ts == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"summary_trigger\" needs the transition tables of the statement"),
				 errhint("Install churn.summary_trigger only through churn.track.")));
	return stmt;
}

/*
 * Whether a statement is captured in C: an INSERT of any size (new customers
 * have no history, so its rows are grouped as they are read), other
 * statements up to churn.capture_fast_max rows; never when a tracked
 * column has a type the capture in C cannot convert like SQL.
 */
static bool
goes_to_c(const SummaryPlanEntry *entry, SummaryStatement stmt, Tuplestorestate *ts)
{
	if (!summary_columns_usable(entry->fast) || churn_capture_fast_max <= 0 ||
		ts == NULL || stmt == SUMMARY_TRUNCATE)
		return false;
	return stmt == SUMMARY_INSERT || tuplestore_tuple_count(ts) <= churn_capture_fast_max;
}

static void
capture_in_c(TriggerData *trigdata, SummaryStatement stmt, SummaryPlanEntry *entry)
{
	if (stmt == SUMMARY_INSERT)
		summary_capture_insert(trigdata, entry->fast, &entry->target);
	else
		summary_capture_changes(trigdata, stmt, entry->fast, &entry->target);
}

/*
 * Run the set-based capture statement of a statement (connected to SPI as
 * the extension owner, search_path pinned).
 */
static void
capture_set_based(SummaryPlanEntry *entry, SummaryStatement stmt, int size)
{
	Datum		values[4];
	MemoryContext cxt = CurrentMemoryContext;
	int			ret;

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

	PG_TRY();
	{
		ret = SPI_execute_plan(entry->plan, values, NULL, false, 0);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		/*
		 * A row churn refuses (22023: an until before its since, or before
		 * a reactivation) is reported as the capture in C reports it, its
		 * message naming the customer and the values: the capture
		 * statement, as context, would only hide them.
		 */
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		if (edata->sqlerrcode != ERRCODE_INVALID_PARAMETER_VALUE)
			PG_RE_THROW();
		summary_rethrow_bare(edata);
	}
	PG_END_TRY();
	if (ret != (stmt == SUMMARY_TRUNCATE ? SPI_OK_SELECT : SPI_OK_INSERT))
		elog(ERROR, "churn capture statement failed: %s", SPI_result_code_string(ret));
}

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
 * The entry of a trigger seen before, still valid, without SPI (NULL when
 * there is none, or it must be prepared again).
 */
static SummaryPlanEntry *
cached_entry(TriggerData *trigdata, int size)
{
	SummaryPlanKey key;
	SummaryPlanEntry *entry;

	if (summary_plans == NULL || !OidIsValid(summary_owner))
		return NULL;
	memset(&key, 0, sizeof(key));
	key.tgoid = trigdata->tg_trigger->tgoid;
	key.size = size;
	entry = hash_search(summary_plans, &key, HASH_FIND, NULL);
	if (entry == NULL || entry->plan == NULL || !SPI_plan_is_valid(entry->plan) ||
		!summary_columns_valid(entry->fast, trigdata->tg_relation))
		return NULL;
	return entry;
}

/*
 * The entry of a trigger and size class, made or made again when missing
 * or no longer valid.  The caller is connected to SPI.
 */
static SummaryPlanEntry *
trigger_entry(TriggerData *trigdata, SummaryStatement stmt, int size)
{
	Relation	rel = trigdata->tg_relation;
	SummaryPlanKey key;
	SummaryPlanEntry *entry;
	bool		found;
	SummaryConfig cfg;
	bool		found_cfg;
	char	   *sql;
	Oid			argtypes[4] = {OIDOID, INTERVALOID, TEXTOID, TIMESTAMPTZOID};
	SPIPlanPtr	plan;

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
		(!SPI_plan_is_valid(entry->plan) || !summary_columns_valid(entry->fast, rel)))
	{
		SPI_freeplan(entry->plan);
		entry->plan = NULL;
	}
	if (entry->plan != NULL)
		return entry;

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
		 * A table with churn's triggers but no configuration: a table
		 * restored from a dump of itself alone (pg_dump -t dumps its
		 * triggers, not churn's settings), or a Citus shard of a tracked
		 * table that was distributed anyway (citus.enable_unsafe_triggers
		 * copies the triggers to shards).
		 */
		bool		citus = OidIsValid(get_relname_relid("pg_dist_partition",
														 PG_CATALOG_NAMESPACE));

		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("table \"%s\" is not tracked by churn",
						churn_table_name(RelationGetRelid(rel))),
				 citus ? 0 :
				 errdetail("It has churn's capture triggers but churn has no settings for it, as when the table was restored from a dump of itself alone (pg_dump -t)."),
				 citus ?
				 errhint("A Citus shard of a tracked table has churn's triggers but cannot be tracked: run churn.untrack on the table before distributing it.") :
				 errhint("Track it with churn.track, or drop its triggers churn_summary_begin, churn_summary_insert, churn_summary_update, churn_summary_delete and churn_summary_truncate.")));
	}
	if (strlen(cfg.time_zone) >= sizeof(entry->target.time_zone))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time zone name \"%s\" is too long", cfg.time_zone)));
	if (stmt == SUMMARY_TRUNCATE && cfg.relid != RelationGetRelid(rel))
	{
		/*
		 * A TRUNCATE of one partition has no transition table: recompute the
		 * partitioned table's summaries.
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
	return entry;
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
 * summary_become_owner: run churn's SQL as owner (the extension owner, or
 * the owner of the churn table a caller writes) with search_path pinned
 * (summary_pin_search_path).  The caller's user goes to *save_userid and
 * *save_sec_context, for summary_end_owner with the GUC nest level returned.
 */
int
summary_become_owner(Oid owner, Oid *save_userid, int *save_sec_context)
{
	GetUserIdAndSecContext(save_userid, save_sec_context);
	SetUserIdAndSecContext(owner, *save_sec_context | SECURITY_LOCAL_USERID_CHANGE);
	return summary_pin_search_path();
}

/* Undo summary_become_owner: the settings, then the user. */
void
summary_end_owner(int nestlevel, Oid save_userid, int save_sec_context)
{
	AtEOXact_GUC(true, nestlevel);
	SetUserIdAndSecContext(save_userid, save_sec_context);
}

/*
 * Connect to SPI with the statement's transition tables registered (the
 * plans trigger_entry prepares read them), become the extension owner and
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
	return summary_become_owner(summary_extension_owner(), save_userid, save_sec_context);
}

/* Undo connect_as_owner: the settings, the user, the SPI connection. */
static void
disconnect_owner(int nestlevel, Oid save_userid, int save_sec_context)
{
	summary_end_owner(nestlevel, save_userid, save_sec_context);
	SPI_finish();
}
