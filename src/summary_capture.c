/*-------------------------------------------------------------------------
 *
 * summary_capture.c
 *	  Capture in C, without the set-based capture statement.
 *
 * A single-customer INSERT, UPDATE or DELETE is the common write of an
 * application.  Planning and starting the set-based capture statement of
 * summary_sql.c costs more than the write itself, so:
 *
 * - INSERTs (COPY included) of any size are grouped in a hash table while
 *   the transition table is read: new customers have no history, so the
 *   events follow from the groups (summary_capture_insert);
 * - UPDATE and DELETE statements of up to churn.capture_fast_max rows are
 *   read and paired in C (summary_convert.c), rows whose tracked values did
 *   not change are skipped, the history of the customers involved is read
 *   through its index (summary_history.c), moves, reactivations and state
 *   transitions are recorded, and the events are computed by the timeline
 *   of summary_timeline.c, which the set-based statement runs too through
 *   churn._timeline (summary_capture_changes).
 *
 * Deltas and history are written with heap (and index) calls: the tables
 * are churn's own, append-only or keyed by one index, and the executor would
 * add nothing but its start-up cost.  Bigger UPDATE and DELETE statements
 * use the set-based statement.
 *
 * src/summary_capture.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "summary_capture.h"
#include "summary_kinds.h"

static SPIPlanPtr write_plan = NULL;
static SPIPlanPtr events_plan = NULL;


/* ---- SPI statements ---- */

static SPIPlanPtr
keep_plan(SPIPlanPtr *cache, const char *sql, int nargs, Oid *argtypes)
{
	if (*cache != NULL && !SPI_plan_is_valid(*cache))
	{
		SPI_freeplan(*cache);
		*cache = NULL;
	}
	if (*cache == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare_cursor(sql, nargs, argtypes, CURSOR_OPT_GENERIC_PLAN);

		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed for churn capture: %s", SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed");
		*cache = plan;
	}
	return *cache;
}

static Datum
text_array(char **vals, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * (n + 1));
	bool	   *nulls = palloc(sizeof(bool) * (n + 1));
	int			dims[1] = {n};
	int			lbs[1] = {1};

	for (int i = 0; i < n; i++)
	{
		nulls[i] = (vals[i] == NULL);
		d[i] = vals[i] ? CStringGetTextDatum(vals[i]) : (Datum) 0;
	}
	return PointerGetDatum(construct_md_array(d, nulls, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT));
}

static Datum
datum_array(Datum *d, bool *nulls, int n, Oid type, int len, bool byval, char align)
{
	int			dims[1] = {n};
	int			lbs[1] = {1};

	return PointerGetDatum(construct_md_array(d, nulls, 1, dims, lbs, type, len, byval, align));
}


/*
 * The jsonb of a segment text ("{"contract": "annual", ...}"), as jsonb_in
 * gives it.  A statement's events share a handful of segments and so do a
 * backend's statements: the last few conversions are kept, keyed by the
 * exact text, in a backend-lifetime context.  jsonb_in depends on its input
 * alone, so a kept value is the value jsonb_in would give again.
 */
#define SEGMENT_CACHE_SIZE 32
typedef struct SegmentJsonb
{
	text	   *key;
	Datum		jsonb;
} SegmentJsonb;
static SegmentJsonb segment_cache[SEGMENT_CACHE_SIZE];
static int	segment_cache_next = 0;
static MemoryContext segment_cache_cxt = NULL;

static Datum
segment_jsonb(Datum sg)
{
	text	   *t = DatumGetTextPP(sg);
	Size		len = VARSIZE_ANY_EXHDR(t);
	SegmentJsonb *e;
	MemoryContext old;
	Datum		j;

	for (int i = 0; i < SEGMENT_CACHE_SIZE; i++)
	{
		e = &segment_cache[i];
		if (e->key != NULL && VARSIZE_ANY_EXHDR(e->key) == len &&
			memcmp(VARDATA_ANY(e->key), VARDATA_ANY(t), len) == 0)
			return e->jsonb;
	}
	j = DirectFunctionCall1(jsonb_in, CStringGetDatum(text_to_cstring(t)));
	if (segment_cache_cxt == NULL)
		segment_cache_cxt = AllocSetContextCreate(TopMemoryContext, "churn segment jsonb",
												  ALLOCSET_SMALL_SIZES);
	e = &segment_cache[segment_cache_next];
	segment_cache_next = (segment_cache_next + 1) % SEGMENT_CACHE_SIZE;
	if (e->key != NULL)
	{
		pfree(e->key);
		pfree(DatumGetPointer(e->jsonb));
		e->key = NULL;
	}
	old = MemoryContextSwitchTo(segment_cache_cxt);
	e->jsonb = PointerGetDatum(PG_DETOAST_DATUM_COPY(j));
	e->key = (text *) PG_DETOAST_DATUM_COPY(PointerGetDatum(t));
	MemoryContextSwitchTo(old);
	return e->jsonb;
}

/*
 * Append the events to churn.summary_delta with plain heap inserts: the
 * table is append-only and has no index, trigger or constraint beyond NOT
 * NULL, so the executor would add nothing but its start-up cost.  Returns
 * false (nothing written) if the table has grown an index.
 */
static bool
heap_append_events(Oid tracked, EventBuf *ev)
{
	Relation	rel = table_open(summary_churn_relid("summary_delta"), RowExclusiveLock);
	TupleDesc	desc = RelationGetDescr(rel);
	Datum		values[8];
	bool		nulls[8];
	List	   *indexes = RelationGetIndexList(rel);
	TupleTableSlot **slots;

	if (indexes != NIL || desc->natts != 8 || rel->trigdesc != NULL)
	{
		list_free(indexes);
		table_close(rel, RowExclusiveLock);
		return false;
	}
	slots = palloc(sizeof(TupleTableSlot *) * (ev->n + 1));
	memset(nulls, 0, sizeof(nulls));
	for (int i = 0; i < ev->n; i++)
	{
		HeapTuple	tup;

		/* relid, bucket, kind, channel, segment, detail, n, added */
		values[0] = ObjectIdGetDatum(tracked);
		values[1] = ev->b[i];
		values[2] = ev->kind[i];
		values[3] = ev->ch[i];
		nulls[3] = ev->ch_null[i];
		values[4] = segment_jsonb(ev->sg[i]);
		values[5] = ev->d[i];
		nulls[5] = ev->d_null[i];
		values[6] = Int64GetDatum((int64) DatumGetInt32(ev->w[i]));
		values[7] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
		tup = heap_form_tuple(desc, values, nulls);
		slots[i] = MakeSingleTupleTableSlot(desc, &TTSOpsHeapTuple);
		ExecStoreHeapTuple(tup, slots[i], true);
	}

	/*
	 * One multi-insert for the statement's rows: one WAL record per page
	 * instead of one per row (what simple_heap_insert did for each).
	 */
	if (ev->n > 0)
		heap_multi_insert(rel, slots, ev->n, GetCurrentCommandId(true), 0, NULL);
	for (int i = 0; i < ev->n; i++)
		ExecDropSingleTupleTableSlot(slots[i]);
	table_close(rel, RowExclusiveLock);
	return true;
}



/*
 * One statement writes everything: the new history entries, the deletion of
 * the history of customers gone, and the events.
 */
static void
write_capture(Oid tracked, const HistoryEntryType *et, char **cust, HistEntry *h,
			  HistList **hl, int nh, char **gone, HistList **gone_hl, int ngone,
			  EventBuf *ev)
{
	Oid			argtypes[18] = {OIDOID,
		TEXTARRAYOID, TIMESTAMPARRAYOID, CHARARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
		TIMESTAMPARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
		TEXTARRAYOID,
		TIMESTAMPARRAYOID, CHARARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, INT4ARRAYOID,
		INT4ARRAYOID};
	Oid			ev_argtypes[7] = {OIDOID, TIMESTAMPARRAYOID, CHARARRAYOID, TEXTARRAYOID,
		TEXTARRAYOID, TEXTARRAYOID, INT4ARRAYOID};
	Datum		values[18];
	Datum	   *seq = palloc(sizeof(Datum) * (nh + 1));
	Datum	   *at = palloc(sizeof(Datum) * (nh + 1));
	Datum	   *kind = palloc(sizeof(Datum) * (nh + 1));
	Datum	   *lost = palloc(sizeof(Datum) * (nh + 1));
	bool	   *lost_null = palloc(sizeof(bool) * (nh + 1));
	char	  **ch = palloc(sizeof(char *) * (nh + 1));
	char	  **fch = palloc(sizeof(char *) * (nh + 1));
	char	  **rs = palloc(sizeof(char *) * (nh + 1));
	char	  **fs = palloc(sizeof(char *) * (nh + 1));
	char	  **ts = palloc(sizeof(char *) * (nh + 1));
	SPIPlanPtr	plan;
	int			ret;
	int			nestlevel;

	if (nh == 0 && ngone == 0 && ev->n == 0)
		return;
	if (summary_write_history(tracked, et, cust, h, hl, nh, gone_hl, ngone))
	{
		nh = 0;
		ngone = 0;
		if (heap_append_events(tracked, ev))
			return;
	}
	/*
	 * Fallback through SPI (the trigger may not be connected: nest a
	 * connection of our own), as the extension owner: with search_path
	 * pinned, as for every SQL of churn's run so.
	 */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	nestlevel = summary_pin_search_path();
	if (nh == 0 && ngone == 0)
	{
		/* events only, the smallest plan */
		plan = keep_plan(&events_plan,
						 "INSERT INTO churn.summary_delta (relid, bucket, kind, channel, segment, detail, n)"
						 " SELECT $1, u.b, u.k, u.ch, u.sg::pg_catalog.jsonb, u.d, u.n"
						 " FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4),"
						 " pg_catalog.unnest($5), pg_catalog.unnest($6), pg_catalog.unnest($7)) u(b, k, ch, sg, d, n)",
						 7, ev_argtypes);
		values[0] = ObjectIdGetDatum(tracked);
		values[1] = datum_array(ev->b, NULL, ev->n, TIMESTAMPOID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
		values[2] = datum_array(ev->kind, NULL, ev->n, CHAROID, 1, true, TYPALIGN_CHAR);
		values[3] = datum_array(ev->ch, ev->ch_null, ev->n, TEXTOID, -1, false, TYPALIGN_INT);
		values[4] = datum_array(ev->sg, NULL, ev->n, TEXTOID, -1, false, TYPALIGN_INT);
		values[5] = datum_array(ev->d, ev->d_null, ev->n, TEXTOID, -1, false, TYPALIGN_INT);
		values[6] = datum_array(ev->w, NULL, ev->n, INT4OID, 4, true, TYPALIGN_INT);
		ret = SPI_execute_plan(plan, values, NULL, false, 0);
		if (ret != SPI_OK_INSERT)
			elog(ERROR, "could not append summary deltas: %s", SPI_result_code_string(ret));
		AtEOXact_GUC(true, nestlevel);
		SPI_finish();
		return;
	}
	for (int i = 0; i < nh; i++)
	{
		seq[i] = Int32GetDatum((int32) h[i].seq);
		at[i] = TimestampGetDatum(h[i].at);
		kind[i] = CharGetDatum(h[i].kind);
		lost[i] = TimestampGetDatum(h[i].lost_at);
		lost_null[i] = !h[i].has_lost;
		ch[i] = h[i].channel;
		fch[i] = h[i].from_channel;
		rs[i] = h[i].reason;
		fs[i] = h[i].from_state;
		ts[i] = h[i].to_state;
	}
	plan = keep_plan(&write_plan,
					 "WITH hi AS (INSERT INTO churn.history AS x (relid, customer, entries)"
					 " SELECT $1, u.customer, pg_catalog.array_agg(ROW(u.seq, u.at, u.kind, u.channel,"
					 " u.from_channel, u.lost_at, u.reason, u.from_state, u.to_state)::churn.history_entry"
					 " ORDER BY u.o)"
					 " FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($18), pg_catalog.unnest($3),"
					 " pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6), pg_catalog.unnest($7),"
					 " pg_catalog.unnest($8), pg_catalog.unnest($9), pg_catalog.unnest($10))"
					 " WITH ORDINALITY u(customer, seq, at, kind, channel, from_channel, lost_at, reason,"
					 " from_state, to_state, o) GROUP BY u.customer"
					 " ON CONFLICT (relid, customer) DO UPDATE"
					 " SET entries = x.entries OPERATOR(pg_catalog.||) EXCLUDED.entries),"
					 " hd AS (DELETE FROM churn.history WHERE relid OPERATOR(pg_catalog.=) $1"
					 " AND customer OPERATOR(pg_catalog.=) ANY ($11))"
					 " INSERT INTO churn.summary_delta (relid, bucket, kind, channel, segment, detail, n)"
					 " SELECT $1, u.b, u.k, u.ch, u.sg::pg_catalog.jsonb, u.d, u.n"
					 " FROM ROWS FROM (pg_catalog.unnest($12), pg_catalog.unnest($13), pg_catalog.unnest($14),"
					 " pg_catalog.unnest($15), pg_catalog.unnest($16), pg_catalog.unnest($17)) u(b, k, ch, sg, d, n)",
					 18, argtypes);
	values[0] = ObjectIdGetDatum(tracked);
	values[1] = text_array(cust, nh);
	values[17] = datum_array(seq, NULL, nh, INT4OID, 4, true, TYPALIGN_INT);
	values[2] = datum_array(at, NULL, nh, TIMESTAMPOID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
	values[3] = datum_array(kind, NULL, nh, CHAROID, 1, true, TYPALIGN_CHAR);
	values[4] = text_array(ch, nh);
	values[5] = text_array(fch, nh);
	values[6] = datum_array(lost, lost_null, nh, TIMESTAMPOID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
	values[7] = text_array(rs, nh);
	values[8] = text_array(fs, nh);
	values[9] = text_array(ts, nh);
	values[10] = text_array(gone, ngone);
	values[11] = datum_array(ev->b, NULL, ev->n, TIMESTAMPOID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
	values[12] = datum_array(ev->kind, NULL, ev->n, CHAROID, 1, true, TYPALIGN_CHAR);
	values[13] = datum_array(ev->ch, ev->ch_null, ev->n, TEXTOID, -1, false, TYPALIGN_INT);
	values[14] = datum_array(ev->sg, NULL, ev->n, TEXTOID, -1, false, TYPALIGN_INT);
	values[15] = datum_array(ev->d, ev->d_null, ev->n, TEXTOID, -1, false, TYPALIGN_INT);
	values[16] = datum_array(ev->w, NULL, ev->n, INT4OID, 4, true, TYPALIGN_INT);
	ret = SPI_execute_plan(plan, values, NULL, false, 0);
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "could not append summary deltas: %s", SPI_result_code_string(ret));
	AtEOXact_GUC(true, nestlevel);
	SPI_finish();
}


/* ---- bulk INSERT: rows aggregated in C while they are read ---- */

typedef struct AggEntry
{
	/* group of rows (first table) */
	Timestamp	bs;
	bool		has_bu;
	Timestamp	bu;
	char	   *ch;
	char	   *sg;
	char	   *rs;
	char	   *st;
	/* event (second table) */
	Timestamp	b;
	char		kind;
	char	   *d;
	int64		count;
	int			keylen;
	char		key[FLEXIBLE_ARRAY_MEMBER];
} AggEntry;

/*
 * An open-addressing table, at most half full: a probe compares the hashes
 * in the slots' array and reads an entry (its key beside it) only for an
 * equal hash.  Chained entries cost a cache miss per link on a bulk load's
 * few thousand groups.
 */
typedef struct AggSlot
{
	uint32		hash;
	AggEntry   *entry;			/* NULL for a free slot */
} AggSlot;

typedef struct AggTable
{
	int			nslots;			/* a power of 2 */
	int			n;
	AggSlot    *slots;
} AggTable;

static void
agg_init(AggTable *t, int nslots)
{
	Assert((nslots & (nslots - 1)) == 0);
	t->nslots = nslots;
	t->n = 0;
	t->slots = palloc0(sizeof(AggSlot) * nslots);
}

/* the slot of hash h: its entry's, or the free one where it goes */
static inline AggSlot *
agg_probe(AggTable *t, uint32 h, const char *key, int keylen)
{
	uint32		mask = t->nslots - 1;

	for (uint32 i = h & mask;; i = (i + 1) & mask)
	{
		AggSlot    *slot = &t->slots[i];

		if (slot->entry == NULL ||
			(slot->hash == h && slot->entry->keylen == keylen &&
			 memcmp(slot->entry->key, key, keylen) == 0))
			return slot;
	}
}

static void
agg_grow(AggTable *t)
{
	AggSlot    *old = t->slots;
	int			nold = t->nslots;

	if (t->nslots > PG_INT32_MAX / 4)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many groups of rows in one statement for churn capture")));
	t->nslots *= 4;
	t->slots = MemoryContextAllocExtended(CurrentMemoryContext, sizeof(AggSlot) * (Size) t->nslots,
										  MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	for (int i = 0; i < nold; i++)
		if (old[i].entry != NULL)
			*agg_probe(t, old[i].hash, old[i].entry->key, old[i].entry->keylen) = old[i];
	pfree(old);
}

/*
 * The hash of a group's key.  Every row of a bulk INSERT hashes its key (some
 * 60 bytes), so the key is taken eight bytes at a time, each step a rotation,
 * an exclusive or and a multiplication (FxHash's), and the result mixed by
 * the 64-bit finalizer of MurmurHash3.  hash_any took about three times as
 * long on such keys (2 % of a 1,000,000-row INSERT ... SELECT against 0.7 %).
 */
#define AGG_HASH_STEP(h, w) \
	(((((h) << 5) | ((h) >> 59)) ^ (w)) * UINT64CONST(0x517cc1b727220a95))

static inline uint32
agg_hash(const char *key, int keylen)
{
	uint64		h = (uint64) keylen;
	uint64		w;

	for (; keylen >= (int) sizeof(w); key += sizeof(w), keylen -= sizeof(w))
	{
		memcpy(&w, key, sizeof(w));
		h = AGG_HASH_STEP(h, w);
	}
	if (keylen > 0)
	{
		w = 0;
		memcpy(&w, key, keylen);
		h = AGG_HASH_STEP(h, w);
	}
	h ^= h >> 33;
	h *= UINT64CONST(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64CONST(0xc4ceb9fe1a85ec53);
	h ^= h >> 33;
	return (uint32) h;
}

/* find or add the entry of a key; *found says which */
static AggEntry *
agg_lookup(AggTable *t, const char *key, int keylen, bool *found)
{
	uint32		h = agg_hash(key, keylen);
	AggSlot    *slot = agg_probe(t, h, key, keylen);

	*found = (slot->entry != NULL);
	if (*found)
		return slot->entry;
	if (2 * (t->n + 1) > t->nslots)
	{
		agg_grow(t);
		slot = agg_probe(t, h, key, keylen);
	}
	slot->hash = h;
	slot->entry = palloc0(offsetof(AggEntry, key) + keylen);
	slot->entry->keylen = keylen;
	memcpy(slot->entry->key, key, keylen);
	t->n++;
	return slot->entry;
}

/*
 * A value of a group's key, at p: its length (-1 for NULL) and its bytes.
 * The caller has made room for them.
 */
static char *
key_put(char *p, const char *v, int32 len)
{
	if (v == NULL)
		len = -1;
	memcpy(p, &len, sizeof(len));
	p += sizeof(len);
	if (v != NULL)
	{
		memcpy(p, v, len);
		p += len;
	}
	return p;
}

static void
key_str(StringInfo k, const char *v)
{
	if (v == NULL)
		appendStringInfoChar(k, 'N');
	else
	{
		int32		len = strlen(v);

		appendStringInfoChar(k, 'V');
		appendBinaryStringInfo(k, (const char *) &len, sizeof(len));
		appendBinaryStringInfo(k, v, len);
	}
}

static char *
pstrdup_null(const char *v)
{
	return v ? pstrdup(v) : NULL;
}

/* add weight w to the event (b, kind, ch, sg, d) */
static void
agg_event(AggTable *t, StringInfo k, Timestamp b, char kind, const char *ch,
		  const char *sg, const char *d, int64 w)
{
	AggEntry   *e;
	bool		found;

	resetStringInfo(k);
	appendBinaryStringInfo(k, (const char *) &b, sizeof(b));
	appendStringInfoChar(k, kind);
	key_str(k, ch);
	key_str(k, sg);
	key_str(k, d);
	e = agg_lookup(t, k->data, k->len, &found);
	if (!found)
	{
		e->b = b;
		e->kind = kind;
		e->ch = pstrdup_null(ch);
		e->sg = pstrdup(sg);
		e->d = pstrdup_null(d);
	}
	e->count += w;
}
/* summary_emit_fn of the grouped INSERT: into the table of events */
typedef struct GroupedEmit
{
	AggTable   *events;
	StringInfo	k;
} GroupedEmit;

static void
emit_grouped(void *arg, Timestamp b, char kind, const char *ch, const char *sg, const char *d,
			 int64 w)
{
	GroupedEmit *e = (GroupedEmit *) arg;

	agg_event(e->events, e->k, b, kind, ch, sg, d, w);
}

/*
 * Capture an INSERT of any size: rows are read from the transition table and
 * grouped on (since bucket, until bucket, channel, segments, reason, state)
 * in a hash table as they come, then spread into events (those of the fast
 * path: new customers have no history) and appended.
 */
void
summary_capture_insert(TriggerData *trigdata, SummaryColumns *info, const SummaryTarget *target)
{
	Relation	rel = trigdata->tg_relation;
	Tuplestorestate *ts = trigdata->tg_newtable;
	LocalZone	zone;
	TupleTableSlot *slot = MakeSingleTupleTableSlot(RelationGetDescr(rel), &TTSOpsMinimalTuple);
	MemoryContext aggcxt = CurrentMemoryContext;
	MemoryContext rowcxt = AllocSetContextCreate(CurrentMemoryContext, "churn capture row",
												 ALLOCSET_DEFAULT_SIZES);
	int			ptr = tuplestore_alloc_read_pointer(ts, EXEC_FLAG_REWIND);
	AggTable	groups;
	AggTable	events;
	StringInfoData k;
	StringInfoData sg;
	EventBuf	ev;
	GroupedEmit emit;
	Timestamp	known;
	const char **segv;
	int		   *seglen;
	int64		nrows = 0;
	SummaryBucketMemo *memo;

	summary_local_zone(&zone, target->time_zone);
	agg_init(&groups, 2048);
	initStringInfo(&k);
	initStringInfo(&sg);
	memo = summary_bucket_memo(&target->bucket);
	segv = palloc(sizeof(char *) * (info->nsegments + 1));
	seglen = palloc(sizeof(int) * (info->nsegments + 1));
	tuplestore_select_read_pointer(ts, ptr);
	tuplestore_rescan(ts);

	/*
	 * Every row of a bulk load passes here: its key is built from the bytes
	 * of its text columns in place (no copy, nothing to free), and only a
	 * new group copies them.  Conversions of other types allocate in rowcxt,
	 * reset now and then.  The slot is filled in aggcxt: a tuple read back
	 * from a spilled tuplestore is the slot's to free.
	 */
	while (tuplestore_gettupleslot(ts, true, false, slot))
	{
		bool		u_null;
		Timestamp	s;
		Timestamp	u = 0;
		Timestamp	bs;
		Timestamp	bu = 0;
		const char *ch = NULL;
		const char *rs = NULL;
		const char *st = NULL;
		int			chlen = 0;
		int			rslen = 0;
		int			stlen = 0;
		AggEntry   *e;
		bool		found;

		if (++nrows % 1024 == 0)
			MemoryContextReset(rowcxt);
		MemoryContextSwitchTo(rowcxt);
		summary_check_period(info, slot, NULL);
		if (!summary_column_local(&info->since, slot, &zone, &s))
		{
			MemoryContextSwitchTo(aggcxt);
			continue;			/* not a customer yet */
		}
		bs = summary_bucket_floor_memo(memo, s);
		u_null = !summary_column_local(&info->until, slot, &zone, &u);
		if (!u_null)
			bu = summary_bucket_floor_memo(memo, u);
		if (info->has_channel)
			ch = summary_column_bytes(&info->channel, slot, &chlen);
		if (info->has_reason)
			rs = summary_column_bytes(&info->reason, slot, &rslen);
		if (info->has_state)
			st = summary_column_bytes(&info->state, slot, &stlen);
		for (int j = 0; j < info->nsegments; j++)
			segv[j] = summary_column_bytes(&info->segments[j], slot, &seglen[j]);

		/* the key: the two buckets, then each value */
		{
			int			room = 2 * sizeof(Timestamp) + 1 +
				(3 + info->nsegments) * sizeof(int32) + chlen + rslen + stlen;
			char	   *p;

			for (int j = 0; j < info->nsegments; j++)
				room += seglen[j];
			resetStringInfo(&k);
			enlargeStringInfo(&k, room);
			p = k.data;
			memcpy(p, &bs, sizeof(bs));
			p += sizeof(bs);
			*p++ = u_null ? 'N' : 'U';
			memcpy(p, &bu, sizeof(bu));
			p += sizeof(bu);
			p = key_put(p, ch, chlen);
			p = key_put(p, rs, rslen);
			p = key_put(p, st, stlen);
			for (int j = 0; j < info->nsegments; j++)
				p = key_put(p, segv[j], seglen[j]);
			k.len = p - k.data;
		}

		MemoryContextSwitchTo(aggcxt);
		e = agg_lookup(&groups, k.data, k.len, &found);
		if (!found)
		{
			e->bs = bs;
			e->has_bu = !u_null;
			e->bu = bu;
			e->ch = ch ? pnstrdup(ch, chlen) : NULL;
			e->rs = rs ? pnstrdup(rs, rslen) : NULL;
			e->st = st ? pnstrdup(st, stlen) : NULL;
			if (info->nsegments > 0)
			{
				resetStringInfo(&sg);
				appendStringInfoChar(&sg, '{');
				for (int j = 0; j < info->nsegments; j++)
				{
					if (j > 0)
						appendStringInfoString(&sg, ", ");
					escape_json(&sg, info->segment_names[j]);
					appendStringInfoString(&sg, ": ");
					if (segv[j])
						escape_json(&sg, pnstrdup(segv[j], seglen[j]));
					else
						appendStringInfoString(&sg, "null");
				}
				appendStringInfoChar(&sg, '}');
				e->sg = pstrdup(sg.data);
			}
			else
				e->sg = "{}";
		}
		e->count++;
	}
	tuplestore_select_read_pointer(ts, 0);
	ExecDropSingleTupleTableSlot(slot);

	/*
	 * Spread the groups into events, summed per summary key: new customers
	 * have no history, so the rules of a start and a stop are all there is.
	 */
	agg_init(&events, 2048);
	emit.events = &events;
	emit.k = &k;
	known = summary_bucket_floor(summary_local_time(&zone, target->states_from), &target->bucket);
	for (int i = 0; i < groups.nslots; i++)
		if (groups.slots[i].entry != NULL)
		{
			AggEntry   *g = groups.slots[i].entry;
			SummaryRuleRow rr;

			memset(&rr, 0, sizeof(rr));
			rr.channel = g->ch;
			rr.segment = g->sg;
			rr.with_reason = info->has_reason;
			rr.bucket = g->bs;
			summary_apply_rules(RULE_AT_START, &rr, g->count, emit_grouped, &emit);
			rr.bucket = g->bs > known ? g->bs : known;
			rr.state = g->st;
			summary_apply_rules(RULE_AT_STATE_KNOWN, &rr, g->count, emit_grouped, &emit);
			if (g->has_bu)
			{
				rr.bucket = g->bu;
				rr.stay_bucket = g->bs;
				rr.reason = g->rs;
				summary_apply_rules(RULE_AT_STOP, &rr, g->count, emit_grouped, &emit);
			}
		}

	memset(&ev, 0, sizeof(ev));
	for (int i = 0; i < events.nslots; i++)
		if (events.slots[i].entry != NULL)
		{
			AggEntry   *e = events.slots[i].entry;

			if (e->count == 0)
				continue;
			if (e->count > PG_INT32_MAX)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("too many rows in one statement for churn capture")));
			summary_add_event(&ev, e->b, e->kind, e->ch, e->sg, e->d, (int) e->count);
		}
	write_capture(target->tracked, NULL, NULL, NULL, NULL, 0, NULL, NULL, 0, &ev);
	MemoryContextDelete(rowcxt);
}


/*
 * Capture one small statement.  The caller is connected to SPI and runs as
 * the extension owner.
 */
void
summary_capture_changes(TriggerData *trigdata, SummaryStatement stmt, SummaryColumns *info,
						const SummaryTarget *target)
{
	Relation	rel = trigdata->tg_relation;
	LocalZone	zone;
	CapRow	   *old = NULL;
	CapRow	   *new = NULL;
	int			nold = 0;
	int			nnew = 0;
	EventBuf	ev;
	char	  **keys;
	int			nkeys = 0;
	HistList   *hist = NULL;
	int		   *kidx;
	HistoryEntryType etype = {0};
	char	  **gone;
	HistList  **gone_hl;
	int			ngone = 0;
	HistEntry  *added;
	char	  **added_cust;
	HistList  **added_hl;
	int			nadded = 0;
	Oid			tracked = target->tracked;
	const Interval *width = &target->bucket;
	Timestamp	states_from;

	memset(&ev, 0, sizeof(ev));
	summary_local_zone(&zone, target->time_zone);
	states_from = summary_local_time(&zone, target->states_from);
	if (stmt == SUMMARY_UPDATE || stmt == SUMMARY_DELETE)
		summary_read_rows(trigdata->tg_oldtable, rel, info, &zone, &old, &nold);
	if (stmt == SUMMARY_UPDATE || stmt == SUMMARY_INSERT)
		summary_read_rows(trigdata->tg_newtable, rel, info, &zone, &new, &nnew);

	/* pair old and new rows by customer; unchanged pairs need nothing */
	if (stmt == SUMMARY_UPDATE)
	{
		for (int i = 0; i < nold; i++)
			for (int j = 0; j < nnew; j++)
				if (new[j].pair < 0 && summary_key_eq(old[i].key, new[j].key))
				{
					old[i].pair = j;
					new[j].pair = i;
					old[i].changed = new[j].changed = !summary_same_tracked(&old[i], &new[j]);
					break;
				}
	}

	/*
	 * The history of the customers whose old rows count: one per distinct
	 * customer value (kidx maps each old row to it), since a value can be in
	 * two rows when the customer column is not unique by itself.
	 */
	keys = palloc(sizeof(char *) * (nold + 1));
	kidx = palloc(sizeof(int) * (nold + 1));
	for (int i = 0; i < nold; i++)
	{
		kidx[i] = -1;
		if (!old[i].changed)
			continue;
		if (old[i].key != NULL)
			for (int k = 0; k < nkeys; k++)
				if (summary_key_eq(keys[k], old[i].key))
				{
					kidx[i] = k;
					break;
				}
		if (kidx[i] < 0)
		{
			kidx[i] = nkeys;
			keys[nkeys++] = old[i].key;
		}
	}
	if (nkeys > 0 && !summary_key_unique(info, rel))
		summary_lock_customers(tracked, keys, nkeys);
	if (nkeys > 0)
		hist = summary_fetch_history(tracked, keys, nkeys, &etype);

	/* old contributions out */
	for (int i = 0; i < nold; i++)
	{
		if (!old[i].changed)
			continue;
		summary_timeline(&ev, &old[i], hist[kidx[i]].e, hist[kidx[i]].n, width, info->has_reason,
						 states_from, -1);
	}

	/* moves, reactivations and state transitions become history */
	added = palloc(sizeof(HistEntry) * (3 * nold + 1));
	added_cust = palloc(sizeof(char *) * (3 * nold + 1));
	added_hl = palloc(sizeof(HistList *) * (3 * nold + 1));
	for (int i = 0; i < nold; i++)
	{
		CapRow	   *o = &old[i];
		CapRow	   *n;
		HistList   *l;
		Timestamp	at;
		bool		have_last = false;
		Timestamp	last_at = 0;
		int64		last_seq = 0;

		if (!o->changed)
			continue;
		l = &hist[kidx[i]];
		if (o->pair < 0)
			continue;
		n = &new[o->pair];
		if (!n->has_s)
			continue;
		for (int j = 0; j < l->n; j++)
		{
			if (!have_last || l->e[j].at > last_at)
			{
				have_last = true;
				last_at = l->e[j].at;
			}
			last_seq = Max(last_seq, l->e[j].seq);
		}
		/* the entries this statement adds are numbered on from the last */
		if (last_seq > PG_INT32_MAX - 3)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("customer \"%s\" has too many history entries", n->key)));
		at = (have_last && last_at > n->c) ? last_at : n->c;
		if (at < n->s)
			continue;
		if (!summary_str_eq(o->ch, n->ch))
		{
			HistEntry	e = {0};

			e.seq = ++last_seq;
			e.at = at;
			e.kind = HISTORY_MOVE;
			e.channel = n->ch;
			e.from_channel = o->ch;
			added_cust[nadded] = n->key;
			added_hl[nadded] = l;
			l->nadded++;
			added[nadded++] = e;
			summary_append_history(l, &e);
		}
		if (o->has_u && !n->has_u && at >= o->u)
		{
			HistEntry	e = {0};

			e.seq = ++last_seq;
			e.at = at;
			e.kind = HISTORY_REACTIVATION;
			e.has_lost = true;
			e.lost_at = o->u;
			e.reason = o->rs;
			added_cust[nadded] = n->key;
			added_hl[nadded] = l;
			l->nadded++;
			added[nadded++] = e;
			summary_append_history(l, &e);
		}
		if (!summary_str_eq(o->st, n->st))
		{
			HistEntry	e = {0};

			e.seq = ++last_seq;
			e.at = at;
			e.kind = HISTORY_STATE;
			e.from_state = o->st;
			e.to_state = n->st;
			added_cust[nadded] = n->key;
			added_hl[nadded] = l;
			l->nadded++;
			added[nadded++] = e;
			summary_append_history(l, &e);
		}
	}

	/*
	 * Customers gone (old rows without a new one) leave their history behind,
	 * unless another row of the same customer value adds to it.
	 */
	gone = palloc(sizeof(char *) * (nold + 1));
	gone_hl = palloc(sizeof(HistList *) * (nold + 1));
	for (int i = 0; i < nold; i++)
	{
		HistList   *l;
		bool		listed = false;

		if (!old[i].changed || old[i].pair >= 0)
			continue;
		l = &hist[kidx[i]];
		if (l->nadded > 0)
			continue;
		for (int g = 0; g < ngone; g++)
			listed |= (gone_hl[g] == l);
		if (listed)
			continue;
		gone_hl[ngone] = l;
		gone[ngone++] = old[i].key;
	}

	/* new contributions in: paired rows with their history, others without */
	for (int j = 0; j < nnew; j++)
	{
		if (!new[j].changed)
			continue;
		if (new[j].pair >= 0)
		{
			HistList   *l = &hist[kidx[new[j].pair]];

			summary_timeline(&ev, &new[j], l->e, l->n, width, info->has_reason, states_from, 1);
		}
		else
			summary_timeline(&ev, &new[j], NULL, 0, width, info->has_reason, states_from, 1);
	}

	summary_merge_events(&ev);
	write_capture(tracked, &etype, added_cust, added, added_hl, nadded, gone, gone_hl,
				  ngone, &ev);
}
