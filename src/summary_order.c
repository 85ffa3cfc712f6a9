/*-------------------------------------------------------------------------
 *
 * summary_order.c
 *	  Capture of a tracked table's statements in the order they ran.
 *
 * A statement's capture runs among its AFTER triggers, at the end of the
 * statement.  The user's AFTER ROW triggers of the same statement run before
 * it, and so do AFTER STATEMENT triggers named before churn's: when one of
 * them changes the tracked table again, that nested statement is captured
 * first, although its OLD rows are the NEW rows of the statement still
 * waiting for its capture.  The counts of row contributions would still add
 * up, but the history would not: a channel move of the nested statement
 * would be recorded before the move that led to it, and the timelines
 * replayed from the history would be wrong (churn.verify reports it).
 *
 * So churn.track also installs churn.summary_begin() as a BEFORE ... FOR
 * EACH STATEMENT trigger, which notes the statement (its table and command
 * id) on a stack kept for the transaction.  The capture of a statement pops
 * its note; when a note of an earlier statement of the same tracked table is
 * still on the stack, that statement's capture is pending, and this one
 * keeps a copy of its transition rows on that note instead of capturing.
 * The pending capture captures its own rows first, then the rows kept on its
 * note, in the order their statements ended, which is the order in which
 * they changed the rows.
 *
 * One query can have several captures of a table (INSERT ... ON CONFLICT DO
 * UPDATE, MERGE, WITH): its notes share a command id, and what its AFTER
 * triggers' statements leave goes to the query's last capture.  The
 * captures of statements run by foreign-key actions fire after the capture
 * of the statement that ran them, under its snapshot: their notes stay until
 * then, and what statements run after them left on them is captured after
 * them.
 *
 * Rows kept by a subtransaction that aborts are dropped with it; notes of
 * statements that failed go with their subtransaction.  A transaction
 * never commits with kept rows nobody captured (that would take the table's
 * capture trigger being disabled in mid-statement): it fails instead.
 *
 * src/summary_order.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "access/xact.h"
#include "catalog/partition.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/tuplestore.h"

#include "summary.h"

/* A statement's capture, kept until an earlier statement's is done */
typedef struct KeptCapture
{
	Oid			relid;			/* the table the statement wrote */
	TriggerEvent event;			/* its capture trigger's event */
	Trigger		trigger;		/* a copy of its capture trigger */
	List	   *old_rows;		/* HeapTuple copies of its transition tables */
	List	   *new_rows;
	SubTransactionId subid;		/* the subtransaction that kept it */
} KeptCapture;

/* A statement of a tracked table whose capture has not run yet */
typedef struct PendingStatement
{
	Oid			relid;			/* the table it writes */
	Oid			root;			/* its partition root (relid if none), or
								 * InvalidOid until needed (a partition) */
	TriggerEvent event;			/* TRIGGER_EVENT_INSERT, _UPDATE, ... */
	CommandId	cid;			/* its command id */
	SubTransactionId subid;		/* the subtransaction that started it */
	TimestampTz started;		/* its client statement's start */
	List	   *kept;			/* KeptCapture: later statements, in order */
} PendingStatement;

/*
 * The statements of this transaction, innermost last, in
 * TopTransactionContext.  A backend runs one transaction at a time, and the
 * callbacks below empty the stack when it ends.
 */
static List *pending_statements = NIL;
static bool order_callbacks_registered = false;

/*
 * A transaction may run millions of statements (a batch job updating one
 * customer at a time): every note and kept row is freed when done with, not
 * left to the end of the transaction.
 */
static void
free_kept(KeptCapture *k)
{
	list_free_deep(k->old_rows);
	list_free_deep(k->new_rows);
	pfree(k->trigger.tgname);
	if (k->trigger.tgoldtable != NULL)
		pfree(k->trigger.tgoldtable);
	if (k->trigger.tgnewtable != NULL)
		pfree(k->trigger.tgnewtable);
	pfree(k);
}

/*
 * Rows were left to a statement whose capture never came (its capture
 * trigger was disabled while the BEFORE trigger was not): they would be
 * missing from the summaries.
 */
static void
report_uncaptured(PendingStatement *p)
{
	ereport(ERROR,
			(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
			 errmsg("changes to table \"%s\" were never captured into the churn summaries",
					churn_table_name(p->relid)),
			 errdetail("A statement's capture trigger did not run after a later statement's capture was left to it."),
			 errhint("Do not disable churn's capture triggers one by one; use churn.suspend.")));
}

static void
order_xact_callback(XactEvent event, void *arg)
{
	ListCell   *lc;

	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PARALLEL_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			foreach(lc, pending_statements)
			{
				PendingStatement *p = lfirst(lc);

				if (p->kept != NIL)
					report_uncaptured(p);
			}
			break;
		default:
			/* commit, abort, prepare: the memory goes with the transaction */
			pending_statements = NIL;
			break;
	}
}

static void
order_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					   SubTransactionId parentSubid, void *arg)
{
	ListCell   *lc;

	if (pending_statements == NIL)
		return;
	if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		/*
		 * Its statements failed; the rows it kept were rolled back.  (What a
		 * failed statement's note kept was kept in the same subtransaction
		 * or in committed ones below it, relabeled as this one.)
		 */
		foreach(lc, pending_statements)
		{
			PendingStatement *p = lfirst(lc);

			if (p->subid == mySubid)
			{
				ListCell   *kc;

				pending_statements = foreach_delete_current(pending_statements, lc);
				foreach(kc, p->kept)
					free_kept(lfirst(kc));
				list_free(p->kept);
				pfree(p);
			}
		}
		foreach(lc, pending_statements)
		{
			PendingStatement *p = lfirst(lc);
			ListCell   *kc;

			foreach(kc, p->kept)
			{
				KeptCapture *k = lfirst(kc);

				if (k->subid == mySubid)
				{
					p->kept = foreach_delete_current(p->kept, kc);
					free_kept(k);
				}
			}
		}
	}
	else if (event == SUBXACT_EVENT_COMMIT_SUB)
	{
		/* what it did is now its parent's */
		foreach(lc, pending_statements)
		{
			PendingStatement *p = lfirst(lc);
			ListCell   *kc;

			if (p->subid == mySubid)
				p->subid = parentSubid;
			foreach(kc, p->kept)
			{
				KeptCapture *k = lfirst(kc);

				if (k->subid == mySubid)
					k->subid = parentSubid;
			}
		}
	}
}

/* the command id of the statement whose triggers run now */
static CommandId
statement_cid(void)
{
	if (ActiveSnapshotSet())
		return GetActiveSnapshot()->curcid;
	return GetCurrentCommandId(false);
}

/* the event (INSERT, UPDATE, DELETE, TRUNCATE) of a trigger firing */
static TriggerEvent
firing_event(TriggerEvent ev)
{
	return ev & TRIGGER_EVENT_OPMASK;
}

/*
 * Whether the capture trigger of an event will fire for a statement on rel
 * (the test of TriggerEnabled in trigger.c; churn names its triggers).
 */
static bool
capture_will_fire(Relation rel, TriggerEvent event)
{
	static const char *const names[] = {
		[TRIGGER_EVENT_INSERT] = "churn_summary_insert",
		[TRIGGER_EVENT_DELETE] = "churn_summary_delete",
		[TRIGGER_EVENT_UPDATE] = "churn_summary_update",
		[TRIGGER_EVENT_TRUNCATE] = "churn_summary_truncate"
	};
	TriggerDesc *desc = rel->trigdesc;

	if (desc == NULL)
		return false;
	for (int i = 0; i < desc->numtriggers; i++)
	{
		Trigger    *t = &desc->triggers[i];

		if (strcmp(t->tgname, names[event]) != 0)
			continue;
		if (SessionReplicationRole == SESSION_REPLICATION_ROLE_REPLICA)
			return t->tgenabled == TRIGGER_FIRES_ON_REPLICA ||
				t->tgenabled == TRIGGER_FIRES_ALWAYS;
		return t->tgenabled == TRIGGER_FIRES_ON_ORIGIN ||
			t->tgenabled == TRIGGER_FIRES_ALWAYS;
	}
	return false;
}

/* the partition root of a table (itself if it is no partition) */
static Oid
relation_root(Oid relid, bool is_partition)
{
	List	   *ancestors;
	Oid			root;

	if (!is_partition)
		return relid;
	ancestors = get_partition_ancestors(relid);
	root = llast_oid(ancestors);
	list_free(ancestors);
	return root;
}

/* the partition root of a note's table, looked up once */
static Oid
note_root(PendingStatement *p)
{
	if (!OidIsValid(p->root))
		p->root = relation_root(p->relid, true);
	return p->root;
}

PG_FUNCTION_INFO_V1(churn_summary_begin);

/*
 * churn.summary_begin(): BEFORE ... FOR EACH STATEMENT trigger noting the
 * statement whose capture is to come.
 */
Datum
churn_summary_begin(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata;
	Relation	rel;
	PendingStatement *p;
	MemoryContext oldcxt;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"summary_begin\" was not called by trigger manager")));
	trigdata = (TriggerData *) fcinfo->context;
	if (!TRIGGER_FIRED_FOR_STATEMENT(trigdata->tg_event) ||
		!TRIGGER_FIRED_BEFORE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"summary_begin\" must be fired BEFORE ... FOR EACH STATEMENT")));

	if (!order_callbacks_registered)
	{
		RegisterXactCallback(order_xact_callback, NULL);
		RegisterSubXactCallback(order_subxact_callback, NULL);
		order_callbacks_registered = true;
	}

	rel = trigdata->tg_relation;

	/*
	 * No note for a statement whose capture will not fire (its trigger
	 * disabled by hand, or not enabled in this session's replication role):
	 * nothing would pop it, and it would take the rows of later statements.
	 */
	if (!capture_will_fire(rel, firing_event(trigdata->tg_event)))
		return PointerGetDatum(NULL);

	/*
	 * Use the command id, so that the statements run inside this one get
	 * later ones: a TRUNCATE of a table created in this subtransaction, for
	 * one, writes nothing with it, and the command counter would not move.
	 */
	(void) GetCurrentCommandId(true);

	oldcxt = MemoryContextSwitchTo(TopTransactionContext);
	p = palloc(sizeof(PendingStatement));
	p->relid = RelationGetRelid(rel);
	/* a partition's root is looked up only if another note is there */
	p->root = rel->rd_rel->relispartition ? InvalidOid : p->relid;
	p->event = firing_event(trigdata->tg_event);
	p->cid = statement_cid();
	p->subid = GetCurrentSubTransactionId();
	p->started = GetCurrentStatementStartTimestamp();
	p->kept = NIL;
	pending_statements = lappend(pending_statements, p);
	MemoryContextSwitchTo(oldcxt);

	return PointerGetDatum(NULL);
}

/* the rows of a transition table, copied into the current memory context */
static List *
copy_rows(Tuplestorestate *ts, Relation rel)
{
	List	   *rows = NIL;
	TupleTableSlot *slot;
	int			ptr;

	if (ts == NULL)
		return NIL;
	/* a read pointer of our own: other triggers read the same store */
	ptr = tuplestore_alloc_read_pointer(ts, EXEC_FLAG_REWIND);
	slot = MakeSingleTupleTableSlot(RelationGetDescr(rel), &TTSOpsMinimalTuple);
	tuplestore_select_read_pointer(ts, ptr);
	tuplestore_rescan(ts);
	while (tuplestore_gettupleslot(ts, true, false, slot))
		rows = lappend(rows, ExecCopySlotHeapTuple(slot));
	tuplestore_select_read_pointer(ts, 0);
	ExecDropSingleTupleTableSlot(slot);
	return rows;
}

static Tuplestorestate *
rows_store(List *rows)
{
	Tuplestorestate *ts = tuplestore_begin_heap(false, false, work_mem);
	ListCell   *lc;

	foreach(lc, rows)
		tuplestore_puttuple(ts, (HeapTuple) lfirst(lc));
	return ts;
}

/*
 * The first note still there of one query on the tracked table root.  The
 * captures of one query (the INSERT and UPDATE of an INSERT ... ON CONFLICT
 * DO UPDATE, the actions of a MERGE, the statements of a WITH) share its
 * command id and fire in an order of their own, and the statements run by
 * the query's AFTER triggers come after all of them: the rows those leave
 * go to this note, each capture of the query hands them on to the next note
 * still there, and the last capture of the query captures them.
 */
static PendingStatement *
first_of_query(Oid root, CommandId cid)
{
	ListCell   *lc;

	foreach(lc, pending_statements)
	{
		PendingStatement *p = lfirst(lc);

		if (note_root(p) == root && p->cid == cid)
			return p;
	}
	return NULL;
}

/*
 * Notes of statements of earlier client statements of the transaction.  A
 * statement's capture fires before its client statement ends (the captures
 * of foreign-key actions and of deferred triggers' statements too), so such
 * a note was never popped: its capture trigger was disabled (ALTER TABLE
 * ... DISABLE TRIGGER churn_summary_update, which churn.health reports) or
 * did not fire.  It must not hold the rows of later statements, which would
 * then never be captured; rows that statements inside it left to it are
 * lost, and the transaction fails rather than commit without them.
 */
static void
forget_ended_statements(void)
{
	TimestampTz now = GetCurrentStatementStartTimestamp();
	ListCell   *lc;

	foreach(lc, pending_statements)
	{
		PendingStatement *p = lfirst(lc);

		if (p->started == now)
			continue;
		if (p->kept != NIL)
			report_uncaptured(p);
		pending_statements = foreach_delete_current(pending_statements, lc);
		pfree(p);
	}
}

/*
 * summary_order_take: at the start of a statement's capture, pop the
 * statement's note.  Returns true when an earlier statement of the same
 * tracked table still awaits its capture: the rows of this statement (and
 * of the statements it kept) are then left to it, and the caller captures
 * nothing.  Otherwise *kept receives the statements left to this one, for
 * summary_order_replay once its own rows are captured.
 */
bool
summary_order_take(TriggerData *trigdata, List **kept,
				   void (*check) (TriggerData *trigdata))
{
	Relation	rel = trigdata->tg_relation;
	Oid			relid = RelationGetRelid(rel);
	TriggerEvent event = firing_event(trigdata->tg_event);
	CommandId	cid;
	int			i;
	int			own = -1;
	Oid			root = InvalidOid;
	PendingStatement *own_note = NULL;
	CommandId	own_cid = InvalidCommandId;
	PendingStatement *outer = NULL;
	PendingStatement *sibling;
	List	   *mine = NIL;
	MemoryContext oldcxt;

	*kept = NIL;
	if (pending_statements == NIL)
		return false;
	forget_ended_statements();
	if (pending_statements == NIL)
		return false;
	cid = statement_cid();

	/*
	 * This statement's note: the one of its table, event and command id.
	 */
	for (i = list_length(pending_statements) - 1; i >= 0 && own < 0; i--)
	{
		PendingStatement *p = list_nth(pending_statements, i);

		if (p->relid == relid && p->event == event && p->cid == cid)
			own = i;
	}

	/*
	 * The AFTER triggers of a statement run by a foreign-key action fire
	 * later, among those of the statement that ran the action, whose
	 * snapshot is active then.  The notes begun after that statement and
	 * still there are those of such actions, whose captures fire in the
	 * order the actions ran: take the first of the table and event.  Never
	 * a note begun before that statement: it is the note of a statement
	 * still running around this one, whose capture is to come.
	 */
	for (i = 0; i < list_length(pending_statements) && own < 0; i++)
	{
		PendingStatement *p = list_nth(pending_statements, i);

		if (p->relid == relid && p->event == event && p->cid > cid)
			own = i;
	}
	if (own >= 0)
	{
		own_note = list_nth(pending_statements, own);
		own_cid = own_note->cid;
	}

	/*
	 * Pop the note; what it kept is this statement's to capture, after its
	 * own rows.  Notes above it stay: statements run by foreign-key actions
	 * of this statement, whose captures fire after this one (the statements
	 * kept on them ran after them, and are captured after them), and the
	 * other statements of its query (same command id).
	 */
	oldcxt = MemoryContextSwitchTo(TopTransactionContext);
	if (own_note != NULL)
	{
		mine = own_note->kept;
		pending_statements = list_delete_nth_cell(pending_statements, own);
		pfree(own_note);
	}
	if (pending_statements == NIL)
	{
		/* the common case: no other statement of the table is running */
		MemoryContextSwitchTo(oldcxt);
		*kept = mine;
		return false;
	}
	root = relation_root(relid, rel->rd_rel->relispartition);

	/*
	 * Other captures of this statement's query still to come: the rows kept
	 * so far go to the next of them, to be captured after all of the query's
	 * own rows (an AFTER INSERT row trigger of a MERGE or an INSERT ... ON
	 * CONFLICT runs its statements after the query's updates too).
	 */
	if (own_note != NULL && mine != NIL &&
		(sibling = first_of_query(root, own_cid)) != NULL)
	{
		List	   *later = sibling->kept;

		sibling->kept = list_concat(mine, later);
		list_free(later);
		mine = NIL;
	}

	/*
	 * An earlier statement of the same tracked table awaiting its capture:
	 * one that began before the statement whose triggers fire now.  Its
	 * query's first capture to come keeps the rows.
	 */
	for (i = list_length(pending_statements) - 1; i >= 0; i--)
	{
		PendingStatement *p = list_nth(pending_statements, i);

		if (note_root(p) == root && p->cid < cid)
		{
			outer = first_of_query(root, p->cid);
			break;
		}
	}
	if (outer == NULL)
	{
		MemoryContextSwitchTo(oldcxt);
		*kept = mine;
		return false;
	}

	/*
	 * Leave this statement's rows, then what it kept, to the outer one.
	 * What its capture would reject without reading the history is
	 * rejected now, in the statement (whose caller may catch the error),
	 * not when the outer capture replays it.
	 */
	MemoryContextSwitchTo(oldcxt);
	check(trigdata);
	MemoryContextSwitchTo(TopTransactionContext);
	if ((trigdata->tg_oldtable != NULL && tuplestore_tuple_count(trigdata->tg_oldtable) > 0) ||
		(trigdata->tg_newtable != NULL && tuplestore_tuple_count(trigdata->tg_newtable) > 0) ||
		event == TRIGGER_EVENT_TRUNCATE)
	{
		KeptCapture *k = palloc(sizeof(KeptCapture));

		k->relid = relid;
		k->event = trigdata->tg_event;
		k->trigger = *trigdata->tg_trigger;
		k->trigger.tgname = pstrdup(trigdata->tg_trigger->tgname);
		k->trigger.tgoldtable = trigdata->tg_trigger->tgoldtable ?
			pstrdup(trigdata->tg_trigger->tgoldtable) : NULL;
		k->trigger.tgnewtable = trigdata->tg_trigger->tgnewtable ?
			pstrdup(trigdata->tg_trigger->tgnewtable) : NULL;
		k->trigger.tgattr = NULL;
		k->trigger.tgnattr = 0;
		k->trigger.tgargs = NULL;
		k->trigger.tgnargs = 0;
		k->trigger.tgqual = NULL;
		k->old_rows = copy_rows(trigdata->tg_oldtable, rel);
		k->new_rows = copy_rows(trigdata->tg_newtable, rel);
		k->subid = GetCurrentSubTransactionId();
		outer->kept = lappend(outer->kept, k);
	}
	outer->kept = list_concat(outer->kept, mine);
	list_free(mine);
	MemoryContextSwitchTo(oldcxt);
	return true;
}

/*
 * summary_order_replay: capture the statements left to this one, in order,
 * as their own capture triggers would have.  A TRUNCATE is given the
 * statements left after it (the TRUNCATE of a partition recomputes from the
 * table, which holds their rows already, so capture_statement captures them
 * before it); when it took them, they are done with.
 */
void
summary_order_replay(List *kept, void (*capture) (TriggerData *trigdata, List **rest))
{
	ListCell   *lc;

	foreach(lc, kept)
	{
		KeptCapture *k = lfirst(lc);
		TriggerData td;
		List	   *rest = NIL;
		bool		took_rest;

		/* make the captures before it visible to it, as between statements */
		CommandCounterIncrement();

		memset(&td, 0, sizeof(td));
		td.type = T_TriggerData;
		td.tg_event = k->event;
		td.tg_relation = table_open(k->relid, NoLock);
		td.tg_trigger = &k->trigger;
		if (k->trigger.tgoldtable != NULL)
			td.tg_oldtable = rows_store(k->old_rows);
		if (k->trigger.tgnewtable != NULL)
			td.tg_newtable = rows_store(k->new_rows);
		if (firing_event(k->event) == TRIGGER_EVENT_TRUNCATE)
			rest = list_copy_tail(kept, foreach_current_index(lc) + 1);
		took_rest = (rest != NIL);
		capture(&td, took_rest ? &rest : NULL);
		/* if it emptied rest, it replayed (and freed) what followed it */
		took_rest = took_rest && rest == NIL;
		list_free(rest);
		if (td.tg_oldtable != NULL)
			tuplestore_end(td.tg_oldtable);
		if (td.tg_newtable != NULL)
			tuplestore_end(td.tg_newtable);
		table_close(td.tg_relation, NoLock);
		free_kept(k);
		if (took_rest)
			break;
	}

	/*
	 * And make the last one visible to the AFTER triggers still to fire: a
	 * capture in C writes the history without a command counter increment
	 * of its own, and one that follows in the same query (of another
	 * statement) would find the rows written by this command invisible to
	 * its update.
	 */
	if (kept != NIL)
		CommandCounterIncrement();
	list_free(kept);
}
