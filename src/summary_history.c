/*-------------------------------------------------------------------------
 *
 * summary_history.c
 *	  A tracked customer's history (churn.history): reading it, appending
 *	  entries, deleting it, and the locks that serialize its writers.
 *
 * The history is read and written with heap and index calls: the table is
 * churn's own, keyed by one index, and the executor would add nothing but
 * its start-up cost.
 *
 * src/summary_history.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/skey.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "summary_capture.h"

/*
 * The OIDs of churn's own relations, looked up by name once per backend and
 * forgotten on any invalidation that could change the answer: a relcache
 * invalidation of one of them (drop, rename, ALTER) or of everything, and any
 * change of a schema.  Every capture used to do the two syscache lookups.
 */
#define CHURN_NRELS 7
static const char *const churn_rel_names[CHURN_NRELS] = {
	"history", "history_customer", "summary_delta", "summary", "summary_range",
	"summary_cell", "summary_cell_range"
};
static Oid	churn_rel_oids[CHURN_NRELS];
static bool churn_rel_callbacks = false;

static void
churn_relids_reset(void)
{
	memset(churn_rel_oids, 0, sizeof(churn_rel_oids));
}

static void
churn_relids_relcache_cb(Datum arg, Oid relid)
{
	if (!OidIsValid(relid))
	{
		churn_relids_reset();
		return;
	}
	for (int i = 0; i < CHURN_NRELS; i++)
		if (churn_rel_oids[i] == relid)
		{
			churn_relids_reset();
			return;
		}
}

static void
churn_relids_syscache_cb(Datum arg, int cacheid, uint32 hashvalue)
{
	churn_relids_reset();
}

/* the OID of one of churn's own relations */
Oid
summary_churn_relid(const char *name)
{
	int			slot = -1;
	Oid			nsp;
	Oid			relid;

	for (int i = 0; i < CHURN_NRELS; i++)
		if (strcmp(churn_rel_names[i], name) == 0)
		{
			slot = i;
			break;
		}
	if (slot >= 0 && OidIsValid(churn_rel_oids[slot]))
		return churn_rel_oids[slot];
	nsp = get_namespace_oid("churn", false);
	relid = get_relname_relid(name, nsp);
	if (!OidIsValid(relid))
		elog(ERROR, "relation churn.%s is missing", name);
	if (slot >= 0)
	{
		if (!churn_rel_callbacks)
		{
			CacheRegisterRelcacheCallback(churn_relids_relcache_cb, (Datum) 0);
			CacheRegisterSyscacheCallback(NAMESPACEOID, churn_relids_syscache_cb, (Datum) 0);
			churn_rel_callbacks = true;
		}
		churn_rel_oids[slot] = relid;
	}
	return relid;
}


/*
 * The row type of churn.history's entries, checked to be the one this
 * version reads and writes: churn.history_entry (seq, at, kind, channel,
 * from_channel, lost_at, reason, from_state, to_state).
 */
void
summary_entry_type(Oid elemtype, HistoryEntryType *et)
{
	TupleDesc	edesc = lookup_rowtype_tupdesc_copy(elemtype, -1);

	if (edesc->natts != HISTORY_ENTRY_NATTS ||
		TupleDescAttr(edesc, 0)->atttypid != INT4OID ||
		TupleDescAttr(edesc, 1)->atttypid != TIMESTAMPOID ||
		TupleDescAttr(edesc, 2)->atttypid != CHAROID ||
		TupleDescAttr(edesc, 5)->atttypid != TIMESTAMPOID)
		elog(ERROR, "churn.history_entry does not have the fields of this version of churn");
	et->desc = edesc;
	get_typlenbyvalalign(edesc->tdtypeid, &et->len, &et->byval, &et->align);
}

/* the entry type of churn.history's entries column, looked up per statement */
static void
history_entry_type(Relation hrel, HistoryEntryType *et)
{
	TupleDesc	desc = RelationGetDescr(hrel);
	Oid			elemtype;

	if (desc->natts != HISTORY_NATTS ||
		!OidIsValid(elemtype = get_element_type(TupleDescAttr(desc, 2)->atttypid)))
		elog(ERROR, "churn.history does not have the columns of this version of churn");
	summary_entry_type(elemtype, et);
}

/*
 * Decode a customer's entries (an array of churn.history_entry, which the
 * caller owns) into l, keeping the stored elements for appending to them.
 */
void
summary_decode_history(ArrayType *arr, const HistoryEntryType *et, HistList *l, const char *key)
{
	TupleDesc	edesc = et->desc;
	bool	   *enulls;

	deconstruct_array(arr, edesc->tdtypeid, et->len, et->byval, et->align,
					  &l->stored_elems, &enulls, &l->nstored);
	l->cap = l->nstored + 4;
	l->e = palloc(sizeof(HistEntry) * l->cap);
	l->n = 0;
	for (int j = 0; j < l->nstored; j++)
	{
		HeapTupleHeader th;
		HeapTupleData tup;
		Datum		ev[HISTORY_ENTRY_NATTS];
		bool		en[HISTORY_ENTRY_NATTS];
		HistEntry  *e;

		if (enulls[j])
			elog(ERROR, "churn.history has a NULL entry for customer \"%s\"", key ? key : "NULL");
		th = DatumGetHeapTupleHeader(l->stored_elems[j]);
		tup.t_len = HeapTupleHeaderGetDatumLength(th);
		ItemPointerSetInvalid(&tup.t_self);
		tup.t_tableOid = InvalidOid;
		tup.t_data = th;
		heap_deform_tuple(&tup, edesc, ev, en);
		if (en[0] || en[1] || en[2])
			elog(ERROR, "churn.history has an entry without seq, at or kind for customer \"%s\"",
				 key ? key : "NULL");
		e = &l->e[l->n++];
		/* seq, at, kind, channel, from_channel, lost_at, reason, from_state, to_state */
		e->seq = DatumGetInt32(ev[0]);
		e->at = DatumGetTimestamp(ev[1]);
		e->kind = DatumGetChar(ev[2]);
		e->channel = en[3] ? NULL : TextDatumGetCString(ev[3]);
		e->from_channel = en[4] ? NULL : TextDatumGetCString(ev[4]);
		e->has_lost = !en[5];
		e->lost_at = en[5] ? 0 : DatumGetTimestamp(ev[5]);
		e->reason = en[6] ? NULL : TextDatumGetCString(ev[6]);
		e->from_state = en[7] ? NULL : TextDatumGetCString(ev[7]);
		e->to_state = en[8] ? NULL : TextDatumGetCString(ev[8]);
	}
}

/*
 * History of the given customers (index-aligned with keys): one row per
 * customer, read through the primary key on (relid, customer), its entries
 * decoded.
 *
 * The scan sees the latest committed state (SnapshotSelf), not an MVCC
 * snapshot: a customer's history is only written by transactions that hold
 * the lock on its row (or summary_lock_customers' lock, when the customer column is
 * not unique by itself), which this statement holds now, so the latest state
 * is the one that follows from the row; and a non-MVCC scan takes no
 * predicate locks, so SERIALIZABLE writers of different customers do not
 * conflict through the history index.
 */
HistList *
summary_fetch_history(Oid tracked, char **keys, int nkeys, HistoryEntryType *et)
{
	HistList   *lists = palloc0(sizeof(HistList) * (nkeys + 1));
	Oid			idxoid = summary_churn_relid("history_customer");
	Relation	hrel = table_open(summary_churn_relid("history"), AccessShareLock);
	Relation	irel = index_open(idxoid, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(hrel);
	Datum		values[HISTORY_NATTS];
	bool		nulls[HISTORY_NATTS];

	history_entry_type(hrel, et);
	for (int k = 0; k < nkeys; k++)
	{
		ScanKeyData key[2];
		SysScanDesc scan;
		HeapTuple	tup;
		HistList   *l = &lists[k];

		if (keys[k] == NULL)
			continue;
		ScanKeyInit(&key[0], 1, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(tracked));
		ScanKeyEntryInitialize(&key[1], 0, 2, BTEqualStrategyNumber, InvalidOid,
							   irel->rd_indcollation[1], F_TEXTEQ, CStringGetTextDatum(keys[k]));
		scan = systable_beginscan(hrel, idxoid, true, SnapshotSelf, 2, key);
		while (HeapTupleIsValid(tup = systable_getnext(scan)))
		{
			ArrayType  *arr;

			/* the primary key allows one row */
			if (l->stored)
				elog(ERROR, "churn.history has two rows for customer \"%s\"", keys[k]);
			heap_deform_tuple(tup, desc, values, nulls);
			l->stored = true;
			l->tid = tup->t_self;
			/*
			 * A copy, never the tuple's bytes: an uncompressed in-line array
			 * points into the shared buffer, whose pin systable_endscan
			 * drops, and stored_elems are read again in summary_write_history
			 * after the page may have been pruned (and compacted) by another
			 * backend, VACUUM or an index probe of this one.
			 */
			arr = DatumGetArrayTypePCopy(values[2]);
			summary_decode_history(arr, et, l, keys[k]);
		}
		systable_endscan(scan);
	}
	index_close(irel, AccessShareLock);
	table_close(hrel, AccessShareLock);
	return lists;
}

void
summary_append_history(HistList *l, HistEntry *e)
{
	if (l->n == l->cap)
	{
		l->cap = l->cap ? l->cap * 2 : 4;
		l->e = l->e ? repalloc(l->e, sizeof(HistEntry) * l->cap) : palloc(sizeof(HistEntry) * l->cap);
	}
	l->e[l->n++] = *e;
}

/*
 * Append the new history entries to their customers' rows (made for a
 * customer without history) and delete the rows of customers gone, with
 * plain heap and index operations.  h[i] belongs to the customer whose
 * HistList is hl[i] (in the order they were made); et is the entry type
 * summary_fetch_history looked up.  The rewritten row is a HOT update when its page
 * has room (churn.history's fillfactor leaves some), so the index is only
 * touched otherwise.
 * churn.history has one index, its primary key on (relid, customer).
 * Returns false (nothing written) if the table has grown another index or a
 * trigger.
 */
bool
summary_write_history(Oid tracked, const HistoryEntryType *et, char **cust, HistEntry *h,
				   HistList **hl, int nh, HistList **gone, int ngone)
{
	Oid			idxoid;
	Relation	hrel;
	Relation	irel;
	List	   *indexes;
	TupleDesc	desc;
	TupleDesc	edesc = et ? et->desc : NULL;
	IndexInfo  *ii;

	if (nh == 0 && ngone == 0)
		return true;
	Assert(nh == 0 || (et != NULL && et->desc != NULL));
	idxoid = summary_churn_relid("history_customer");
	hrel = table_open(summary_churn_relid("history"), RowExclusiveLock);
	indexes = RelationGetIndexList(hrel);
	desc = RelationGetDescr(hrel);
	if (list_length(indexes) != 1 || linitial_oid(indexes) != idxoid ||
		hrel->trigdesc != NULL || desc->natts != HISTORY_NATTS)
	{
		list_free(indexes);
		table_close(hrel, RowExclusiveLock);
		return false;
	}
	list_free(indexes);
	irel = index_open(idxoid, RowExclusiveLock);
	ii = BuildIndexInfo(irel);

	for (int i = 0; i < nh; i++)
	{
		HistList   *l = hl[i];
		int			n;
		int			next;
		Datum	   *elems;
		Datum		values[HISTORY_NATTS];
		bool		nulls[HISTORY_NATTS] = {false, false, false};
		bool		insert_index;
		HeapTuple	tup;

		/* each customer's row once, with all its new entries in order */
		if (l->written)
			continue;
		l->written = true;
		n = l->nstored + l->nadded;
		elems = palloc(sizeof(Datum) * n);
		if (l->stored)
			memcpy(elems, l->stored_elems, sizeof(Datum) * l->nstored);
		next = l->nstored;
		for (int m = i; m < nh; m++)
		{
			Datum		ev[HISTORY_ENTRY_NATTS];
			bool		en[HISTORY_ENTRY_NATTS];
			HeapTuple	et;

			if (hl[m] != l)
				continue;
			memset(en, 0, sizeof(en));
			ev[0] = Int32GetDatum((int32) h[m].seq);
			ev[1] = TimestampGetDatum(h[m].at);
			ev[2] = CharGetDatum(h[m].kind);
#define SET_TEXT(k, v) do { en[k] = ((v) == NULL); ev[k] = (v) ? CStringGetTextDatum(v) : (Datum) 0; } while (0)
			SET_TEXT(3, h[m].channel);
			SET_TEXT(4, h[m].from_channel);
			en[5] = !h[m].has_lost;
			ev[5] = TimestampGetDatum(h[m].lost_at);
			SET_TEXT(6, h[m].reason);
			SET_TEXT(7, h[m].from_state);
			SET_TEXT(8, h[m].to_state);
#undef SET_TEXT
			et = heap_form_tuple(edesc, ev, en);
			elems[next++] = heap_copy_tuple_as_datum(et, edesc);
		}
		Assert(next == n);
		values[0] = ObjectIdGetDatum(tracked);
		values[1] = CStringGetTextDatum(cust[i]);
		values[2] = PointerGetDatum(construct_array(elems, n, edesc->tdtypeid,
													et->len, et->byval, et->align));
		tup = heap_form_tuple(desc, values, nulls);
		if (l->stored)
		{
#if PG_VERSION_NUM >= 160000
			TU_UpdateIndexes update_indexes;

			simple_heap_update(hrel, &l->tid, tup, &update_indexes);
			insert_index = (update_indexes != TU_None);
#else
			simple_heap_update(hrel, &l->tid, tup);
			insert_index = !HeapTupleIsHeapOnly(tup);
#endif
		}
		else
		{
			simple_heap_insert(hrel, tup);
			insert_index = true;
		}
		if (insert_index)
		{
			Datum		ivalues[2] = {values[0], values[1]};
			bool		inulls[2] = {false, false};

			index_insert(irel, ivalues, inulls, &tup->t_self, hrel, UNIQUE_CHECK_YES,
						 l->stored, ii);
		}
		heap_freetuple(tup);
	}

	for (int k = 0; k < ngone; k++)
		if (gone[k] != NULL && gone[k]->stored && !gone[k]->written)
		{
			gone[k]->written = true;
			simple_heap_delete(hrel, &gone[k]->tid);
		}
	index_close(irel, RowExclusiveLock);
	table_close(hrel, RowExclusiveLock);
	return true;
}

static int
uint32_cmp(const void *a, const void *b)
{
	uint32		x = *(const uint32 *) a;
	uint32		y = *(const uint32 *) b;

	return x < y ? -1 : x > y ? 1 : 0;
}

/*
 * Serialize the writers of these customers' history until the end of the
 * transaction: a transaction-level lock per (tracked table, hash of the
 * customer value), in the advisory lock space with a field4 of its own so
 * that it cannot meet the locks of pg_advisory_xact_lock().  Only needed when
 * the customer column is not unique by itself (customer_key_unique); there
 * the row lock on the customer's row, which every writer of its history
 * otherwise holds, does not cover the other rows of the same customer.
 * Locks are taken in hash order, so two statements never wait for each
 * other in a cycle through them.
 */
#define CHURN_HISTORY_LOCK_FIELD4	0x4348

void
summary_lock_customers(Oid tracked, char **keys, int nkeys)
{
	uint32	   *h = palloc(sizeof(uint32) * (nkeys + 1));
	int			n = 0;

	for (int k = 0; k < nkeys; k++)
		if (keys[k] != NULL)
			h[n++] = hash_bytes((const unsigned char *) keys[k], strlen(keys[k]));
	qsort(h, n, sizeof(uint32), uint32_cmp);
	for (int i = 0; i < n; i++)
	{
		LOCKTAG		tag;

		if (i > 0 && h[i] == h[i - 1])
			continue;
		SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, (uint32) tracked, h[i],
							 CHURN_HISTORY_LOCK_FIELD4);
		(void) LockAcquire(&tag, ExclusiveLock, false, false);
	}
}
