/*-------------------------------------------------------------------------
 *
 * churn.c
 *	  Module magic block and settings of the churn extension, and the
 *	  check every writer of churn's makes first.
 *
 * src/churn.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_namespace.h"
#include "commands/event_trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "tcop/deparse_utility.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rls.h"
#include "utils/syscache.h"

#include "churn.h"
#include "summary.h"

PG_MODULE_MAGIC;

/*
 * churn.capture_fast_max: the largest UPDATE or DELETE (in rows) whose
 * capture runs in C; bigger ones run the set-based capture statement.  0
 * sends every statement, INSERTs too, to the set-based statement (the
 * regression tests run every capture rule through both paths so).
 */
int			churn_capture_fast_max = SUMMARY_FAST_MAX;

void		_PG_init(void);

void
_PG_init(void)
{
	DefineCustomIntVariable("churn.capture_fast_max",
							"Largest UPDATE or DELETE of a tracked table, in rows, captured in C.",
							"Bigger statements run one set-based capture statement; 0 sends every statement there.",
							&churn_capture_fast_max,
							SUMMARY_FAST_MAX, 0, SUMMARY_FAST_MAX,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
	MarkGUCPrefixReserved("churn");
}

/*
 * churn_require_writable: a standby or a read-only transaction (a reporting
 * role's default_transaction_read_only, SET TRANSACTION READ ONLY) cannot
 * run what changes churn's tables, settings or grants.  PostgreSQL would
 * refuse the first write anyway, but from deep inside, with one of churn's
 * internal statements as the context and a verb the user never wrote
 * ("cannot execute SELECT"); this refuses up front and says where to run
 * it.  WHAT names the function, as the user called it.
 */
void
churn_require_writable(const char *what)
{
	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("%s cannot run on a standby server", what),
				 errdetail("A standby's summaries follow the primary's through replication."),
				 errhint("Run it on the primary.")));
	if (XactReadOnly)
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("%s cannot run in a read-only transaction", what),
				 errdetail("The transaction is read-only: default_transaction_read_only is on, or it began READ ONLY."),
				 errhint("Run it in a read-write transaction.")));
}

/*
 * churn_table_name: the name of a table as churn's messages write it, between
 * their own double quotes: qualified by its schema when it is not visible on
 * the search path (as regclass prints it, so that the name a user passed
 * comes back the same), but with no identifier quoting, as PostgreSQL's own
 * messages name relations: table "public.Customers", not
 * "public.""Customers""".  A table gone (dropped without the event that
 * tells churn) is named by its OID, as regclass does.
 */
char *
churn_table_name(Oid relid)
{
	HeapTuple	tuple;
	Form_pg_class form;
	char	   *schema = NULL;
	char	   *name;

	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		return psprintf("%u", relid);
	form = (Form_pg_class) GETSTRUCT(tuple);
	/* (the session's temporary schema is pg_temp, as regclass writes it) */
	if (!RelationIsVisible(relid))
		schema = get_namespace_name_or_temp(form->relnamespace);
	name = schema ? psprintf("%s.%s", schema, NameStr(form->relname)) :
		pstrdup(NameStr(form->relname));
	ReleaseSysCache(tuple);
	return name;
}

PG_FUNCTION_INFO_V1(churn_table_name_sql);

/*
 * churn._table_name(relation regclass) → text: churn_table_name, for the
 * messages of churn's PL/pgSQL functions.
 */
Datum
churn_table_name_sql(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(churn_table_name(PG_GETARG_OID(0))));
}

/*
 * churn_require_all_rows: what reads a tracked table to count, recompute or
 * age all of its customers refuses a role under the table's row-level
 * security (its owner too, when the table forces it on owners), which would
 * see only the rows its policies show: the recomputation would take the
 * customers hidden from it for gone and drop their history, and aging would
 * pass them over, with no error to tell.
 */
void
churn_require_all_rows(Oid relid)
{
	HeapTuple	tuple;
	Form_pg_class form;
	char	   *name;
	char	   *table;
	bool		owner;

	if (check_enable_rls(relid, InvalidOid, true) != RLS_ENABLED)
		return;
	/* there: the caller has opened it, or has just looked it up */
	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	form = (Form_pg_class) GETSTRUCT(tuple);
	name = pstrdup(NameStr(form->relname));
	table = quote_qualified_identifier(get_namespace_name(form->relnamespace), name);
	/* the owner is under it only when the table forces it on the owner */
	owner = has_privs_of_role(GetUserId(), form->relowner);
	ReleaseSysCache(tuple);
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("churn cannot read every row of table \"%s\": row-level security applies to role \"%s\"",
					churn_table_name(relid), GetUserNameFromId(GetUserId(), false)),
			 errdetail("churn counts all of the table's customers; its policies show this role only some of them."),
			 owner ?
			 errhint("Run it as a superuser or a role with BYPASSRLS, or after ALTER TABLE %s NO FORCE ROW LEVEL SECURITY.", table) :
			 errhint("Run it as a superuser or a role with BYPASSRLS.")));
}

PG_FUNCTION_INFO_V1(churn_reshapes_tables);

/*
 * churn._reshapes_tables(command pg_ddl_command) → bool: whether a command
 * collected by a ddl_command_end event trigger can make a table a partition
 * or an inheritance child (CREATE TABLE ... PARTITION OF or INHERITS, ALTER
 * TABLE ... ATTACH PARTITION or INHERIT) or unlogged (CREATE UNLOGGED
 * TABLE, ALTER TABLE ... SET UNLOGGED), which a tracked table may not
 * become.  churn_follow_partitions checks the tables of such commands only:
 * a table tracked before churn refused those shapes (1.0) must not fail
 * every other ALTER TABLE of it, among them a restore's foreign keys and
 * policies, which come after its triggers in a dump.
 */
Datum
churn_reshapes_tables(PG_FUNCTION_ARGS)
{
	CollectedCommand *cmd = (CollectedCommand *) PG_GETARG_POINTER(0);
	ListCell   *lc;

	if (cmd->parsetree != NULL && IsA(cmd->parsetree, CreateStmt))
	{
		CreateStmt *create = (CreateStmt *) cmd->parsetree;

		PG_RETURN_BOOL(create->inhRelations != NIL || create->partbound != NULL ||
					   create->relation->relpersistence != RELPERSISTENCE_PERMANENT);
	}
	if (cmd->type != SCT_AlterTable)
		PG_RETURN_BOOL(false);
	foreach(lc, cmd->d.alterTable.subcmds)
	{
		CollectedATSubcmd *sub = lfirst(lc);
		AlterTableCmd *at = (AlterTableCmd *) sub->parsetree;

		if (at == NULL || !IsA(at, AlterTableCmd))
			continue;
		if (at->subtype == AT_AttachPartition || at->subtype == AT_AddInherit ||
			at->subtype == AT_SetUnLogged)
			PG_RETURN_BOOL(true);
	}
	PG_RETURN_BOOL(false);
}

/*
 * Whether relation relid is a partition, a table DROP TABLE drops (not a
 * foreign table, which it refuses), that the current role may drop as DROP
 * TABLE decides it (owner of the table or of its schema)
 */
static bool
droppable_partition(Oid relid)
{
	HeapTuple	tuple;
	Form_pg_class form;
	bool		result = false;

	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		return false;
	form = (Form_pg_class) GETSTRUCT(tuple);
	if (form->relispartition &&
		(form->relkind == RELKIND_RELATION || form->relkind == RELKIND_PARTITIONED_TABLE))
	{
		result = has_privs_of_role(GetUserId(), form->relowner);
		if (!result)
		{
			HeapTuple	nsp = SearchSysCache1(NAMESPACEOID,
											  ObjectIdGetDatum(form->relnamespace));

			if (HeapTupleIsValid(nsp))
			{
				result = has_privs_of_role(GetUserId(),
										   ((Form_pg_namespace) GETSTRUCT(nsp))->nspowner);
				ReleaseSysCache(nsp);
			}
		}
	}
	ReleaseSysCache(tuple);
	return result;
}

/*
 * The tables a DROP TABLE names, as it will find them (by the role's
 * search_path), in *named, of *nnamed, each slot InvalidOid for a name
 * that finds none; those that are partitions the role may drop in
 * *partitions.  Returns how many of those.
 */
static int
dropped_partitions(DropStmt *drop, Oid **partitions, Oid **named)
{
	int			n = 0;
	int			i = 0;
	ListCell   *lc;

	*partitions = palloc(sizeof(Oid) * list_length(drop->objects));
	*named = palloc(sizeof(Oid) * list_length(drop->objects));
	foreach(lc, drop->objects)
	{
		Oid			relid = RangeVarGetRelid(makeRangeVarFromNameList((List *) lfirst(lc)),
											 NoLock, true);

		(*named)[i++] = relid;
		if (OidIsValid(relid) && droppable_partition(relid))
			(*partitions)[n++] = relid;
	}
	return n;
}

PG_FUNCTION_INFO_V1(churn_on_drop_start);

/*
 * churn._on_drop_start() → event_trigger, of churn_count_dropped_partitions
 * (ddl_command_start of DROP TABLE).  A DROP TABLE of a partition takes its
 * rows without any trigger firing, and the summaries of the tracked table
 * above it would go on counting its customers.  The rows are still there
 * when the command starts: the customers of the partitions it names leave
 * the summaries as a DELETE of the rows would take them out
 * (summary_sql.c), under the locks the DROP takes (a partition whose
 * tracked table goes too is left to churn_forget_dropped).  Only the
 * partitions the role may drop: a DROP that PostgreSQL refuses next must
 * not have cost a read of the partition under its locks first.  The names
 * are looked up again once the locks are held, as the DROP will look them
 * up: a table renamed, or another put in its place, while the locks were
 * awaited is not the one dropped.  (Partitions dropped by a cascade, of a
 * DROP SCHEMA or of a parent, are not named here; a tracked parent dropped
 * is forgotten whole.)
 */
Datum
churn_on_drop_start(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;
	DropStmt   *drop;
	Oid		   *partitions;
	Oid		   *named;
	int			nnamed;
	int			n;
	Oid		   *trackeds = NULL;
	Oid		   *counted = NULL;
	int			ncounted = 0;
	Oid			save_userid;
	int			save_sec_context;
	int			nestlevel;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		elog(ERROR, "churn._on_drop_start: not fired by the event trigger manager");
	trigdata = (EventTriggerData *) fcinfo->context;
	if (!IsA(trigdata->parsetree, DropStmt))
		PG_RETURN_NULL();
	drop = (DropStmt *) trigdata->parsetree;
	if (drop->removeType != OBJECT_TABLE)
		PG_RETURN_NULL();
	nnamed = list_length(drop->objects);
	n = dropped_partitions(drop, &partitions, &named);
	if (n == 0)
		PG_RETURN_NULL();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	for (;;)
	{
		Oid		   *again;
		Oid		   *named_again;
		int			n_again;

		/*
		 * As the extension owner, whose churn's tables are, on churn's
		 * search_path, as the capture writes them
		 */
		nestlevel = summary_become_owner(summary_extension_owner(), &save_userid, &save_sec_context);
		ncounted = summary_lock_dropped_partitions(partitions, n, named, nnamed, &trackeds, &counted);
		summary_end_owner(nestlevel, save_userid, save_sec_context);

		/*
		 * (as the role, on its search_path, with the catalog changes
		 * committed while it waited for the locks)
		 */
		AcceptInvalidationMessages();
		n_again = dropped_partitions(drop, &again, &named_again);
		if (n_again == n && memcmp(again, partitions, sizeof(Oid) * n) == 0 &&
			memcmp(named_again, named, sizeof(Oid) * nnamed) == 0)
			break;
		partitions = again;
		named = named_again;
		n = n_again;
		if (n == 0)
		{
			ncounted = 0;
			break;
		}
	}
	if (ncounted > 0)
	{
		nestlevel = summary_become_owner(summary_extension_owner(), &save_userid, &save_sec_context);
		summary_subtract_dropped(trackeds, counted, ncounted);
		summary_end_owner(nestlevel, save_userid, save_sec_context);
	}
	SPI_finish();
	PG_RETURN_NULL();
}

PG_FUNCTION_INFO_V1(churn_require_writable_sql);

/* churn._require_writable(what text), for the writers written in PL/pgSQL */
Datum
churn_require_writable_sql(PG_FUNCTION_ARGS)
{
	churn_require_writable(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	PG_RETURN_VOID();
}
