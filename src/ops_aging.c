/*-------------------------------------------------------------------------
 *
 * ops_aging.c
 *	  churn.advance_lifecycle(): age a tracked table's customers by inactivity.
 *
 * A C procedure, for two reasons.  It commits between batches, so that the
 * job never holds row locks on more than one batch: that needs a non-atomic
 * SPI connection (SPI_connect_ext with SPI_OPT_NONATOMIC), which only a
 * procedure called at top level gets.  And it must not change search_path:
 * its UPDATEs fire the table's own triggers, which have to run with the
 * caller's settings (a PL/pgSQL procedure could neither pin search_path, a
 * SET clause forbids COMMIT, nor leave it alone safely).  Every name in the
 * generated SQL is qualified instead.
 *
 * One pass walks the table in customer-key order, batch_size keys at a time
 * (a range of the primary key, found by an index walk), and in each range
 * updates the customers whose inactivity moves them, locked FOR UPDATE SKIP
 * LOCKED: the application is never waited for, and a customer it has locked
 * now is aged by the next run.  A customer two allowed steps from its target
 * (new -> at_risk -> dormant) takes one step per pass; at most three passes.
 *
 * src/ops_aging.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "churn.h"
#include "ops.h"
#include "summary.h"				/* summary_pin_search_path */

/* The three passes that reach any target from any agable state. */
#define AGING_MAX_PASSES	3

/* What churn.track recorded for the table (via churn._aging_config). */
typedef struct AgingConfig
{
	char	   *customer_col;
	char	   *state_col;
	char	   *activity_col;
	char	   *changed_col;	/* NULL when none is tracked */
	Datum		thresholds[3];	/* at_risk_after, dormant_after, churned_after */
} AgingConfig;

pg_noreturn static void aging_not_tracked(Oid relid);

static void
aging_not_tracked(Oid relid)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("table \"%s\" is not tracked by churn", churn_table_name(relid)),
			 errhint("Track it with churn.track(), giving state, activity and the at_risk_after, dormant_after and churned_after thresholds.")));
}

/*
 * Reads what churn.track recorded for the table (through the SECURITY
 * DEFINER churn._aging_config, as churn.tracked_table is not readable by
 * PUBLIC); errors when the table is not tracked or tracked without what aging
 * needs.  Allocates in the SPI procedure context, which survives the commits.
 */
static void
aging_read_config(const char *schema, Oid relid, AgingConfig *cfg)
{
	StringInfoData q;
	Oid			argtypes[1] = {REGCLASSOID};
	Datum		args[1];
	HeapTuple	tup;
	TupleDesc	desc;
	bool		complete = true;
	int			rc;
	int			i;

	args[0] = ObjectIdGetDatum(relid);
	initStringInfo(&q);
	appendStringInfo(&q,
					 "SELECT customer_col, state_col, activity_col, changed_col,"
					 " at_risk_after, dormant_after, churned_after"
					 " FROM %s._aging_config($1)", quote_identifier(schema));
	rc = SPI_execute_with_args(q.data, 1, argtypes, args, NULL, false, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read the configuration of a tracked table: %s",
			 SPI_result_code_string(rc));
	if (SPI_processed == 0)
		aging_not_tracked(relid);
	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	cfg->customer_col = SPI_getvalue(tup, desc, 1);
	if (cfg->customer_col == NULL)
		aging_not_tracked(relid);
	cfg->state_col = SPI_getvalue(tup, desc, 2);
	cfg->activity_col = SPI_getvalue(tup, desc, 3);
	cfg->changed_col = SPI_getvalue(tup, desc, 4);
	if (cfg->state_col == NULL || cfg->activity_col == NULL)
		complete = false;
	for (i = 0; i < 3; i++)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(tup, desc, 5 + i, &isnull);

		if (isnull)
		{
			complete = false;
			continue;
		}
		/* a copy: the tuple table goes away below */
		cfg->thresholds[i] = PointerGetDatum(palloc(sizeof(Interval)));
		memcpy(DatumGetPointer(cfg->thresholds[i]), DatumGetPointer(d), sizeof(Interval));
	}
	if (!complete)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table \"%s\" is tracked without a lifecycle state column, an activity column and inactivity thresholds",
						churn_table_name(relid)),
				 errhint("Track it again with state => ..., activity => ..., at_risk_after => ..., dormant_after => ..., churned_after => ....")));
	SPI_freetuptable(SPI_tuptable);
}

/* Owner of churn.aging_runs, who records the runs. */
static Oid
aging_runs_owner(const char *schema)
{
	Oid			relid = get_relname_relid("aging_runs", get_namespace_oid(schema, false));
	HeapTuple	tup;
	Oid			owner;

	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

/* SQL type name of the customer key, as format_type gives it. */
static char *
aging_key_type(Oid relid, const char *col)
{
	AttrNumber	attnum = get_attnum(relid, col);

	if (attnum == InvalidAttrNumber)
		elog(ERROR, "column \"%s\" of a tracked table is missing", col);
	return format_type_be_qualified(get_atttype(relid, attnum));
}

/*
 * The batch statement: moves the customers with keys in ($5, $6] (the first
 * batch: up to $6) whose inactivity as of $1 moves them; returns how many
 * went to at_risk, dormant and churned, and how many are still short of
 * their target after this step.
 */
static char *
aging_batch_sql(const char *schema, const char *table, const char *key_type,
				const AgingConfig *cfg, bool first)
{
	StringInfoData q;
	const char *s = quote_identifier(schema);
	const char *k = quote_identifier(cfg->customer_col);
	const char *st = quote_identifier(cfg->state_col);
	const char *act = quote_identifier(cfg->activity_col);

	initStringInfo(&q);
	appendStringInfo(&q,
					 "WITH batch AS ("
					 " SELECT t.%s AS k, t.%s AS st, x.target,"
					 " %s.aging_step(t.%s, x.target) AS to_state"
					 " FROM %s AS t"
					 " CROSS JOIN LATERAL (SELECT %s.lifecycle_from_activity(t.%s, $1, $2, $3, $4) AS target) AS x"
					 " WHERE ",
					 k, st, s, st, table, s, act);
	if (first)
		appendStringInfoString(&q, "$5::pg_catalog.text IS NULL AND ");
	else
		appendStringInfo(&q, "t.%s OPERATOR(pg_catalog.>) $5::%s AND ", k, key_type);
	appendStringInfo(&q,
					 "t.%s OPERATOR(pg_catalog.<=) $6::%s"
					 " AND t.%s::pg_catalog.text OPERATOR(pg_catalog.=) ANY ('{new,active,reactivated,at_risk,dormant}'::pg_catalog.text[])"
					 " AND t.%s IS NOT NULL"
					 " AND %s.aging_step(t.%s, x.target)::pg_catalog.text OPERATOR(pg_catalog.<>) t.%s::pg_catalog.text"
					 " FOR UPDATE OF t SKIP LOCKED"
					 "), moved AS ("
					 " UPDATE %s AS t SET %s = m.to_state",
					 k, key_type, st, act, s, st, st, table, st);

	/*
	 * The change time of a state moved by inactivity is when the threshold
	 * was crossed (last activity + threshold), never before the row's last
	 * change and never after as_of: the summaries then put the transition in
	 * the right bucket however late the job runs.
	 */
	if (cfg->changed_col)
	{
		const char *ch = quote_identifier(cfg->changed_col);

		appendStringInfo(&q,
						 ", %s = LEAST($1, GREATEST(t.%s, t.%s OPERATOR(pg_catalog.+)"
						 " CASE WHEN m.to_state::pg_catalog.text OPERATOR(pg_catalog.=) 'at_risk' THEN $2"
						 " WHEN m.to_state::pg_catalog.text OPERATOR(pg_catalog.=) 'dormant' THEN $3"
						 " ELSE $4 END))",
						 ch, ch, act);
	}
	appendStringInfo(&q,
					 " FROM batch AS m WHERE t.%s OPERATOR(pg_catalog.=) m.k"
					 " RETURNING m.to_state::pg_catalog.text AS to_state)"
					 " SELECT pg_catalog.count(*) FILTER (WHERE to_state OPERATOR(pg_catalog.=) 'at_risk'),"
					 " pg_catalog.count(*) FILTER (WHERE to_state OPERATOR(pg_catalog.=) 'dormant'),"
					 " pg_catalog.count(*) FILTER (WHERE to_state OPERATOR(pg_catalog.=) 'churned'),"
					 " (SELECT pg_catalog.count(*) FROM batch AS b"
					 " WHERE %s.aging_step(b.to_state, b.target)::pg_catalog.text"
					 " OPERATOR(pg_catalog.<>) b.to_state::pg_catalog.text)"
					 " FROM moved",
					 k, s);
	return q.data;
}

/* The upper key of the next batch: the batch_size-th key after $1. */
static char *
aging_upper_sql(const char *table, const char *key_type, const char *key_col,
				bool first)
{
	StringInfoData q;
	const char *k = quote_identifier(key_col);

	initStringInfo(&q);
	appendStringInfo(&q,
					 "SELECT pg_catalog.max(s.k)::pg_catalog.text FROM (SELECT t.%s AS k FROM %s AS t WHERE ",
					 k, table);
	if (first)
		appendStringInfoString(&q, "$1::pg_catalog.text IS NULL");
	else
		appendStringInfo(&q, "t.%s OPERATOR(pg_catalog.>) $1::%s", k, key_type);
	appendStringInfo(&q, " ORDER BY t.%s LIMIT $2) AS s", k);
	return q.data;
}

PG_FUNCTION_INFO_V1(churn_advance_lifecycle);

/*
 * CALL churn.advance_lifecycle(tbl regclass, as_of timestamptz DEFAULT now(),
 *		batch_size int DEFAULT 1000, INOUT to_at_risk bigint DEFAULT NULL,
 *		INOUT to_dormant bigint DEFAULT NULL, INOUT to_churned bigint DEFAULT NULL)
 */
Datum
churn_advance_lifecycle(PG_FUNCTION_ARGS)
{
	Oid			relid;
	TimestampTz as_of;
	int32		batch_size;
	char	   *schema;
	char	   *table;
	char	   *key_type;
	AgingConfig cfg;
	char	   *q_batch[2];
	char	   *q_upper[2];
	int64		moved[3] = {0, 0, 0};
	TimestampTz started = GetCurrentTimestamp();
	TupleDesc	result_desc;
	Datum		result[3];
	bool		result_null[3] = {false, false, false};
	int			pass;

	/* a non-atomic context: CALL at top level, outside a transaction block */
	if (fcinfo->context == NULL || !IsA(fcinfo->context, CallContext) ||
		((CallContext *) fcinfo->context)->atomic)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TRANSACTION_TERMINATION),
				 errmsg("advance_lifecycle cannot run inside a transaction block"),
				 errdetail("It commits after every batch, so that it never holds locks on more than one batch of customers."),
				 errhint("CALL it at top level in autocommit mode, as psql and pg_cron do.")));
	churn_require_writable("churn.advance_lifecycle");

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("table must not be NULL")));
	relid = PG_GETARG_OID(0);
	if (PG_ARGISNULL(1) || TIMESTAMP_NOT_FINITE(PG_GETARG_TIMESTAMPTZ(1)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of must be a finite time, got \"%s\"",
						PG_ARGISNULL(1) ? "NULL" :
						DatumGetCString(DirectFunctionCall1(timestamptz_out,
															PG_GETARG_DATUM(1))))));
	as_of = PG_GETARG_TIMESTAMPTZ(1);
	if (PG_ARGISNULL(2) || PG_GETARG_INT32(2) < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("batch size must be at least 1, got \"%s\"",
						PG_ARGISNULL(2) ? "NULL" : psprintf("%d", PG_GETARG_INT32(2)))));
	batch_size = PG_GETARG_INT32(2);
	if (get_rel_name(relid) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));

	/*
	 * The batches read and update the table as the caller: say so now, not
	 * after the first batch (or never, when nothing is due).
	 */
	if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK ||
		pg_class_aclcheck(relid, GetUserId(), ACL_UPDATE) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for table %s", churn_table_name(relid)),
				 errhint("advance_lifecycle needs SELECT and UPDATE on the table it ages.")));
	churn_require_all_rows(relid);

	if (SPI_connect_ext(SPI_OPT_NONATOMIC) != SPI_OK_CONNECT)
		elog(ERROR, "could not connect to SPI");

	/* everything below lives in the SPI procedure context: it survives commits */
	schema = get_namespace_name(get_func_namespace(fcinfo->flinfo->fn_oid));
	table = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									   get_rel_name(relid));
	aging_read_config(schema, relid, &cfg);
	key_type = aging_key_type(relid, cfg.customer_col);
	q_batch[0] = aging_batch_sql(schema, table, key_type, &cfg, true);
	q_batch[1] = aging_batch_sql(schema, table, key_type, &cfg, false);
	q_upper[0] = aging_upper_sql(table, key_type, cfg.customer_col, true);
	q_upper[1] = aging_upper_sql(table, key_type, cfg.customer_col, false);

	for (pass = 0; pass < AGING_MAX_PASSES; pass++)
	{
		char	   *last_key = NULL;
		int64		further = 0;

		for (;;)
		{
			Oid			up_types[2] = {TEXTOID, INT4OID};
			Datum		up_args[2];
			char		up_nulls[2] = {' ', ' '};
			Oid			b_types[6] = {TIMESTAMPTZOID, INTERVALOID, INTERVALOID,
			INTERVALOID, TEXTOID, TEXTOID};
			Datum		b_args[6];
			char		b_nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
			char	   *upper_key;
			int			rc;
			int			i;

			up_args[0] = last_key ? CStringGetTextDatum(last_key) : (Datum) 0;
			up_nulls[0] = last_key ? ' ' : 'n';
			up_args[1] = Int32GetDatum(batch_size);
			rc = SPI_execute_with_args(q_upper[last_key ? 1 : 0], 2, up_types,
									   up_args, up_nulls, false, 1);
			if (rc != SPI_OK_SELECT)
				elog(ERROR, "could not find the next batch: %s", SPI_result_code_string(rc));
			upper_key = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
			SPI_freetuptable(SPI_tuptable);
			if (upper_key == NULL)
				break;

			b_args[0] = TimestampTzGetDatum(as_of);
			for (i = 0; i < 3; i++)
				b_args[1 + i] = cfg.thresholds[i];
			b_args[4] = last_key ? CStringGetTextDatum(last_key) : (Datum) 0;
			b_nulls[4] = last_key ? ' ' : 'n';
			b_args[5] = CStringGetTextDatum(upper_key);
			rc = SPI_execute_with_args(q_batch[last_key ? 1 : 0], 6, b_types,
									   b_args, b_nulls, false, 0);
			if (rc != SPI_OK_SELECT)
				elog(ERROR, "could not age a batch of customers: %s", SPI_result_code_string(rc));
			for (i = 0; i < 3; i++)
			{
				bool		isnull;

				moved[i] += DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
														SPI_tuptable->tupdesc,
														1 + i, &isnull));
			}
			{
				bool		isnull;

				further += DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
													   SPI_tuptable->tupdesc,
													   4, &isnull));
			}
			SPI_freetuptable(SPI_tuptable);
			last_key = upper_key;

			/* the batch's row locks are held only until here */
			SPI_commit();
		}
		if (further == 0)
			break;
	}

	/* the run, for churn.health() */
	{
		StringInfoData q;
		Oid			types[6] = {REGCLASSOID, TIMESTAMPTZOID, TIMESTAMPTZOID,
		INT8OID, INT8OID, INT8OID};
		Datum		args[6];
		int			rc;
		Oid			save_userid;
		int			save_sec_context;
		int			nestlevel;

		initStringInfo(&q);
		appendStringInfo(&q,
						 "INSERT INTO %s.aging_runs AS r"
						 " (relation, started_at, finished_at, as_of, to_at_risk, to_dormant, to_churned)"
						 " VALUES ($1, $2, pg_catalog.clock_timestamp(), $3, $4, $5, $6)"
						 " ON CONFLICT (relation) DO UPDATE"
						 " SET started_at = excluded.started_at, finished_at = excluded.finished_at,"
						 " as_of = excluded.as_of, to_at_risk = excluded.to_at_risk,"
						 " to_dormant = excluded.to_dormant, to_churned = excluded.to_churned",
						 quote_identifier(schema));
		args[0] = ObjectIdGetDatum(relid);
		args[1] = TimestampTzGetDatum(started);
		args[2] = TimestampTzGetDatum(as_of);
		args[3] = Int64GetDatum(moved[0]);
		args[4] = Int64GetDatum(moved[1]);
		args[5] = Int64GetDatum(moved[2]);
		/*
		 * As the owner of churn.aging_runs (the extension's owner): the
		 * caller, allowed to age this table, need not be allowed to write
		 * churn's own tables (the pattern of ri_triggers.c).  With
		 * search_path pinned, as all SQL churn runs as its owner.
		 */
		nestlevel = summary_become_owner(aging_runs_owner(schema), &save_userid, &save_sec_context);
		rc = SPI_execute_with_args(q.data, 6, types, args, NULL, false, 0);
		summary_end_owner(nestlevel, save_userid, save_sec_context);
		if (rc != SPI_OK_INSERT)
			elog(ERROR, "could not record the aging run: %s", SPI_result_code_string(rc));
	}

	SPI_finish();

	/* after the commits: the caller's memory of the entry may be gone */
	if (get_call_result_type(fcinfo, NULL, &result_desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "advance_lifecycle must return a composite result");
	result_desc = BlessTupleDesc(result_desc);
	result[0] = Int64GetDatum(moved[0]);
	result[1] = Int64GetDatum(moved[1]);
	result[2] = Int64GetDatum(moved[2]);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(result_desc, result, result_null)));
}
