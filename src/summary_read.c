/*-------------------------------------------------------------------------
 *
 * summary_read.c
 *	  The rows of the summary cells that pending deltas change, for the
 *	  summary views and for churn.refresh.
 *
 * churn.summary_cell holds, as of the last refresh, a row for every bucket
 * of every cell (a channel and segment, family c, or a lifecycle state,
 * family l) from the cell's first bucket with a count through the last
 * bucket with a count of its family, each with at_start, the running
 * balance.  Pending deltas change the rows of their own buckets and, through
 * at_start, of every later bucket; nothing before the first pending bucket.
 * And the views show every bucket through the current one, which may lie
 * after the last stored bucket.  So each family of a tracked table has a
 * bucket, changed_from: the earliest pending bucket, or the bucket after the
 * last stored one, whichever comes first.  The views (_cells in
 * src/sql/500_summaries.sql) show
 *
 * - the stored rows of the buckets before changed_from, read through an
 *   index range scan of the buckets asked for, as they are; and
 * - from changed_from on, the rows churn._cell_changes computes here: the
 *   stored rows from changed_from on plus the pending counts (each in its
 *   bucket, and its net flow in the at_start of every later bucket), and
 *   the customers of each cell at the end of the last stored bucket in
 *   every bucket after it, through the end (the current bucket, or a later
 *   one with counts).
 *
 * So a read costs the buckets it returns plus the pending counts and the
 * buckets since the earliest of them, not the table's history.  The
 * pending deltas of a family are read once, as they are, and summed per
 * cell and bucket here in a hash table: grouping them in SQL sorted them by
 * their jsonb segments, which cost a read several times more.  In the
 * usual case (refreshed, or pending counts of the current bucket only) the
 * function computes the rows of one bucket.  The result is exact as of the
 * reader's snapshot: the functions are STABLE and read, as the view does,
 * with the snapshot of the query that calls them.
 *
 * The range of a cell is computed, not only stored: in the rare case that
 * pending counts cancel every count of a cell's first bucket (or of its
 * family's last bucket), the cell starts (or the family ends) at the next
 * bucket with a count, as after a rebuild.
 *
 * churn.refresh folds through the same view (_fold), so the stored rows are
 * what these rules make of the counts: the rules live here only.  The calls
 * of one query share one read of each family (read_family's memo).
 *
 * The functions read churn's tables as the extension owner, after checking
 * that the caller may read the summaries of the family (SELECT on one of
 * the views that show them, or on churn.summary_cell).
 *
 * src/summary_read.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "common/int.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif

#include "summary.h"
#include "summary_capture.h"
#include "summary_kinds.h"

/* the counts of a cell in a bucket, in the order of summary_cell's columns */
#define CELL_NCOUNTS 8
enum
{
	C_NEW,
	C_REACTIVATED,
	C_MOVED_IN,
	C_MOVED_OUT,
	C_LOST,
	C_LOST_FROM_START,
	C_ENTERED,
	C_EXITED
};

typedef struct CellCounts
{
	int64		c[CELL_NCOUNTS];
} CellCounts;

/* a cell: channel and segment (family c) or state (family l) */
typedef struct CellKey
{
	const char *channel;		/* NULL for SQL NULL */
	int			channel_len;	/* its bytes (a cell's are NUL-terminated
								 * too; a key read from a delta points into
								 * the tuple) */
	Datum		segment;		/* jsonb */
	const char *state;
	int			state_len;
} CellKey;

/* one bucket of a cell: a stored row, or pending counts */
typedef struct CellBucket
{
	Timestamp	bucket;
	int64		at_start;		/* stored rows */
	CellCounts	counts;
} CellBucket;

/* a cell, with its stored rows from the window start on and its pending counts */
typedef struct Cell
{
	CellKey		key;
	uint32		hash;			/* of key (key_hash) */
	int			nstored;		/* stored rows, in bucket order */
	int			stored_cap;
	CellBucket *stored;
	Timestamp	first_bucket;	/* stored first bucket (if nstored > 0) */
	int			npending;		/* pending counts, in bucket order */
	int			pending_cap;
	CellBucket *pending;
	bool		vanished;		/* no count left at all */
	Timestamp	first;			/* first bucket with a count left */
} Cell;

/* one family of a tracked table */
typedef struct Family
{
	MemoryContext cxt;			/* where what is read is kept */
	Datum		relid;
	Datum		family;
	Datum		zone;			/* time_zone, text */
	Interval	width;
	Timestamp	current;		/* the bucket holding now() */
	bool		has_stored;
	Timestamp	stored_last;	/* last stored bucket (all cells have a row) */
	TimestampTz stored_last_start;
	bool		has_pending;
	Timestamp	pending_first;
	bool		has_changed_from;
	Timestamp	changed_from;	/* first bucket whose rows pending counts or
								 * the passing time change */
	bool		has_last;
	Timestamp	last;			/* last bucket with a count */
	Timestamp	end;			/* GREATEST(current, last): the last shown */
	int			npcells;		/* the cells with pending counts (each with
								 * no stored row) */
	Cell	   *pcells;
	int			nccells;		/* the pending counts of the kinds of
								 * churn.summary (no family), per channel,
								 * segment and detail (key.state) */
	Cell	   *ccells;
	int			ncount_kinds;	/* their kinds, one per slot of CellCounts */
	char		count_kinds[CELL_NCOUNTS];
	int			ncells;			/* every cell of the window (read_window) */
	Cell	   *cells;
	struct ChannelBases *bases; /* the channels' bases of the buckets met
								 * (bucket_bases), in cxt */
} Family;

/*
 * The customers of each channel in a bucket (the base of a diversion rate,
 * add_stay_base), its channels sorted (NULL first) for lookups
 */
typedef struct ChannelSum
{
	char	   *channel;		/* NULL for SQL NULL */
	int64		base;
} ChannelSum;

typedef struct BucketBases
{
	TimestampTz start;
	int			n;
	ChannelSum *sums;
} BucketBases;

typedef struct ChannelBases
{
	int			n;
	int			cap;
	int			last;			/* the bucket found last */
	BucketBases *buckets;
} ChannelBases;

/*
 * an open-addressing hash table of the entries of an array (of cells, or
 * segments) by their hashes: it holds their indexes, at most half full
 */
typedef struct CellTable
{
	int			mask;			/* slots - 1, slots a power of 2 */
	int		   *slots;			/* cell index + 1, 0 for free */
	int			used;
} CellTable;

/*
 * Which pending counts of the kinds churn.summary counts (no family) a read
 * sums besides its family's: the moves (diversion_summary reads only
 * those), the others (losses by reason, transitions), or both
 * (_count_changes)
 */
typedef enum PendingCounts
{
	COUNTS_NONE = 0,
	COUNTS_MOVES = 1 << 0,
	COUNTS_OTHERS = 1 << 1,
	COUNTS_ALL = COUNTS_MOVES | COUNTS_OTHERS
} PendingCounts;

/* queries, kept for the backend's lifetime ($1 relation, $2 family) */
enum
{
	Q_CONFIG,
	Q_STATE,
	NQUERIES
};

static const char *const read_queries[NQUERIES] = {
	/* Q_CONFIG: the time zone, the bucket width, the current bucket */
	"SELECT t.time_zone, t.bucket,"
	" churn.bucket_floor(pg_catalog.timezone(t.time_zone, pg_catalog.now()), t.bucket)"
	" FROM churn.tracked_table t WHERE t.relid OPERATOR(pg_catalog.=) $1",
	/* Q_STATE: the last stored bucket */
	"SELECT d.bucket, d.bucket_start FROM churn.summary_cell d"
	" WHERE d.relid OPERATOR(pg_catalog.=) $1 AND d.family OPERATOR(pg_catalog.=) $2"
	" ORDER BY d.bucket_start DESC LIMIT 1"
};

static SPIPlanPtr read_plans[NQUERIES];

/* the columns of churn.summary_delta that read_pending reads */
enum
{
	P_RELID,
	P_BUCKET,
	P_KIND,
	P_CHANNEL,
	P_SEGMENT,
	P_STATE,					/* detail */
	P_N,
	NPCOLUMNS
};

static const char *const pending_columns[NPCOLUMNS] = {
	"relid", "bucket", "kind", "channel", "segment", "detail", "n"
};

static int
run_query(Family *f, int q)
{
	Oid			argtypes[2] = {OIDOID, CHAROID};
	Datum		values[2];
	int			nargs = (q == Q_CONFIG) ? 1 : 2;
	int			ret;

	if (read_plans[q] != NULL && !SPI_plan_is_valid(read_plans[q]))
	{
		SPI_freeplan(read_plans[q]);
		read_plans[q] = NULL;
	}
	if (read_plans[q] == NULL)
	{
		/* (search_path is pinned: see read_family_checked) */
		SPIPlanPtr	plan = SPI_prepare(read_queries[q], nargs, argtypes);

		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed for churn summary read: %s",
				 SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed");
		read_plans[q] = plan;
	}
	values[0] = f->relid;
	values[1] = f->family;
	ret = SPI_execute_plan(read_plans[q], values, NULL, true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "churn summary read failed: %s", SPI_result_code_string(ret));
	/* SPI leaves its procedure context current; what is read goes to cxt */
	MemoryContextSwitchTo(f->cxt);
	return (int) SPI_processed;
}

static bool
get_value(HeapTuple tup, TupleDesc desc, int col, Datum *d)
{
	bool		isnull;

	*d = SPI_getbinval(tup, desc, col, &isnull);
	return !isnull;
}

static char *
get_text(HeapTuple tup, TupleDesc desc, int col)
{
	Datum		d;

	return get_value(tup, desc, col, &d) ? TextDatumGetCString(d) : NULL;
}

/* the attribute number of a column of one of churn's tables */
static AttrNumber
column_of(Oid rel, const char *name)
{
	AttrNumber	attnum = get_attnum(rel, name);

	if (attnum == InvalidAttrNumber)
		elog(ERROR, "churn table %u has no column \"%s\"", rel, name);
	return attnum;
}

/* text of len bytes (NULL for SQL NULL) equal */
static bool
bytes_eq(const char *a, int alen, const char *b, int blen)
{
	if (a == NULL || b == NULL)
		return a == b;
	return alen == blen && memcmp(a, b, alen) == 0;
}

/*
 * The bytes of a text value (*data NULL for SQL NULL), in place when it is
 * held inline: returns what was detoasted, for the caller to free, or NULL
 */
static struct varlena *
text_bytes(Datum d, bool isnull, const char **data, int *len)
{
	struct varlena *v;
	struct varlena *plain;

	*data = NULL;
	*len = 0;
	if (isnull)
		return NULL;
	v = (struct varlena *) DatumGetPointer(d);
	plain = pg_detoast_datum_packed(v);
	*data = VARDATA_ANY(plain);
	*len = VARSIZE_ANY_EXHDR(plain);
	return plain != v ? plain : NULL;
}

/*
 * An index range scan of one of churn's summary tables by relid, its kind
 * or family column and bucket_start (equal to start, or from start on),
 * with the snapshot of the query that calls the read: each row deformed
 * into values and isnull, which point into the row's buffer until the next row
 */
typedef struct SummaryScan
{
	Relation	rel;
	SysScanDesc scan;
	Datum	   *values;
	bool	   *isnull;
} SummaryScan;

static void
summary_scan_begin(SummaryScan *s, const char *table, const char *index,
				   const char *kind_column, char kind, Datum relid,
				   StrategyNumber strategy, TimestampTz start)
{
	Oid			rel = summary_churn_relid(table);
	ScanKeyData key[3];

	Assert(strategy == BTEqualStrategyNumber || strategy == BTGreaterEqualStrategyNumber);
	s->rel = table_open(rel, AccessShareLock);
	s->values = palloc(sizeof(Datum) * RelationGetDescr(s->rel)->natts);
	s->isnull = palloc(sizeof(bool) * RelationGetDescr(s->rel)->natts);
	ScanKeyInit(&key[0], column_of(rel, "relid"), BTEqualStrategyNumber, F_OIDEQ, relid);
	ScanKeyInit(&key[1], column_of(rel, kind_column), BTEqualStrategyNumber, F_CHAREQ,
				CharGetDatum(kind));
	ScanKeyInit(&key[2], column_of(rel, "bucket_start"), strategy,
				strategy == BTEqualStrategyNumber ? F_TIMESTAMPTZ_EQ : F_TIMESTAMPTZ_GE,
				TimestampTzGetDatum(start));
	s->scan = systable_beginscan(s->rel, summary_churn_relid(index), true,
								 GetActiveSnapshot(), 3, key);
}

/* the attribute numbers of the scanned table's columns names */
static void
summary_scan_columns(const SummaryScan *s, const char *const *names, int n, AttrNumber *attnum)
{
	for (int i = 0; i < n; i++)
		attnum[i] = column_of(RelationGetRelid(s->rel), names[i]);
}

static bool
summary_scan_next(SummaryScan *s)
{
	HeapTuple	tup = systable_getnext(s->scan);

	if (tup == NULL)
		return false;
	heap_deform_tuple(tup, RelationGetDescr(s->rel), s->values, s->isnull);
	return true;
}

static void
summary_scan_end(SummaryScan *s)
{
	systable_endscan(s->scan);
	table_close(s->rel, AccessShareLock);
	pfree(s->values);
	pfree(s->isnull);
}

/*
 * The bytes of a segment (a jsonb) held inline, whatever its header; false
 * for one stored out of line or compressed
 */
static bool
segment_bytes(Datum segment, const char **data, int *len)
{
	const struct varlena *v = (const struct varlena *) DatumGetPointer(segment);

	if (VARATT_IS_EXTERNAL(v) || VARATT_IS_COMPRESSED(v))
		return false;
	*data = VARDATA_ANY(v);
	*len = VARSIZE_ANY_EXHDR(v);
	return true;
}

/*
 * cells are equal as in GROUP BY: NULLs equal, jsonb by its equality (which
 * the same bytes have: the usual case, tested first)
 */
static bool
key_eq(const CellKey *a, const CellKey *b)
{
	const char *da;
	const char *db;
	int			la;
	int			lb;

	if (!bytes_eq(a->channel, a->channel_len, b->channel, b->channel_len) ||
		!bytes_eq(a->state, a->state_len, b->state, b->state_len))
		return false;
	if (a->segment == b->segment)
		return true;			/* one copy (segment_hash) */
	if (segment_bytes(a->segment, &da, &la) && segment_bytes(b->segment, &db, &lb) &&
		la == lb && memcmp(da, db, la) == 0)
		return true;
	return DatumGetBool(DirectFunctionCall2(jsonb_eq, a->segment, b->segment));
}

/*
 * A hash of a cell's key consistent with key_eq, from the jsonb hash of its
 * segment
 */
static uint32
key_hash_with(const CellKey *k, uint32 segment_hash)
{
	uint32		h = k->channel ? hash_bytes((const unsigned char *) k->channel,
											k->channel_len) : 0x9e3779b9;

	h = hash_combine(h, segment_hash);
	return hash_combine(h, k->state ? hash_bytes((const unsigned char *) k->state,
												 k->state_len) : 0x7f4a7c15);
}

static uint32
key_hash(const CellKey *k)
{
	return key_hash_with(k, DatumGetUInt32(DirectFunctionCall1(jsonb_hash, k->segment)));
}

static void
table_init(CellTable *t, int expected)
{
	int			slots = 16;

	while (slots < 2 * expected)
		slots *= 2;
	t->mask = slots - 1;
	t->slots = palloc0(sizeof(int) * slots);
	t->used = 0;
}

/* put the index of an entry whose hash is h in t */
static void
table_put(CellTable *t, uint32 h, int index)
{
	int			i = h & t->mask;

	while (t->slots[i] != 0)
		i = (i + 1) & t->mask;
	t->slots[i] = index + 1;
	t->used++;
}

/*
 * Room in t for one more of its n entries (entries: an array of them, each
 * size bytes, its hash hash_offset bytes into it): grown and rebuilt when
 * one more would make it over half full
 */
static void
table_make_room(CellTable *t, int n, const void *entries, size_t size, size_t hash_offset)
{
	CellTable	bigger;

	if (2 * (t->used + 1) <= t->mask + 1)
		return;
	table_init(&bigger, t->used + 1);
	for (int j = 0; j < n; j++)
		table_put(&bigger, *(const uint32 *) ((const char *) entries + j * size + hash_offset), j);
	pfree(t->slots);
	*t = bigger;
}

/*
 * The index of the entry of t (entries as for table_make_room) whose hash is
 * h and that matches arg (matches(entry, arg)), or -1
 */
static inline int
table_probe(const CellTable *t, const void *entries, size_t size, size_t hash_offset, uint32 h,
			bool (*matches) (const void *entry, const void *arg), const void *arg)
{
	for (int i = h & t->mask; t->slots[i] != 0; i = (i + 1) & t->mask)
	{
		const char *e = (const char *) entries + (size_t) (t->slots[i] - 1) * size;

		if (*(const uint32 *) (e + hash_offset) == h && matches(e, arg))
			return t->slots[i] - 1;
	}
	return -1;
}

static bool
cell_has_key(const void *cell, const void *key)
{
	return key_eq(&((const Cell *) cell)->key, (const CellKey *) key);
}

/* the index of the cell of key (whose hash is h) in cells, or -1 */
static int
table_find(const CellTable *t, const Cell *cells, const CellKey *key, uint32 h)
{
	return table_probe(t, cells, sizeof(Cell), offsetof(Cell, hash), h, cell_has_key, key);
}

/*
 * The cell of key (whose key_hash is h) in *cells (of *ncells, room for
 * *cap), made when missing: its key copied, so that the caller's may go,
 * but for its segment when segment_kept (the caller's lasts as long as
 * the cells).
 */
static Cell *
cell_of_hashed(CellTable *t, Cell **cells, int *ncells, int *cap, const CellKey *key,
			   uint32 h, bool segment_kept)
{
	int			i = table_find(t, *cells, key, h);
	Cell	   *c;

	if (i >= 0)
		return &(*cells)[i];
	if (*ncells == *cap)
	{
		*cap *= 2;
		*cells = repalloc(*cells, sizeof(Cell) * *cap);
	}
	table_make_room(t, *ncells, *cells, sizeof(Cell), offsetof(Cell, hash));
	c = &(*cells)[*ncells];
	memset(c, 0, sizeof(*c));
	/* copies: the caller's may point into a buffer or at a TOAST value */
	c->key = *key;
	c->key.channel = key->channel ? pnstrdup(key->channel, key->channel_len) : NULL;
	c->key.segment = segment_kept ? key->segment :
		PointerGetDatum(PG_DETOAST_DATUM_COPY(key->segment));
	c->key.state = key->state ? pnstrdup(key->state, key->state_len) : NULL;
	c->hash = h;
	table_put(t, h, (*ncells)++);
	return c;
}

static Cell *
cell_of(CellTable *t, Cell **cells, int *ncells, int *cap, const CellKey *key)
{
	return cell_of_hashed(t, cells, ncells, cap, key, key_hash(key), false);
}

/*
 * The segments a scan of the deltas met, each copied once, with its jsonb
 * hash: a few segments recur in thousands of deltas, and hashing their
 * bytes costs a fraction of walking the jsonb.  Equal bytes are an equal
 * jsonb, so the hash is the one key_hash computes.  The cells made from
 * the deltas share the copies (so a cell's key compares with a delta's by
 * the pointer), which last as long as the read's memory.
 */
typedef struct SegmentEntry
{
	struct varlena *copy;
	uint32		bytes_hash;		/* hash_bytes of its data */
	uint32		hash;			/* jsonb_hash */
} SegmentEntry;

typedef struct SegmentHashMemo
{
	SegmentEntry *entries;
	int			n;
	int			cap;
	CellTable	index;			/* by bytes_hash */
	int			last;			/* the entry found last, or -1 */
} SegmentHashMemo;

static void
segment_memo_init(SegmentHashMemo *m)
{
	m->cap = 16;
	m->entries = palloc(sizeof(SegmentEntry) * m->cap);
	m->n = 0;
	table_init(&m->index, m->cap);
	m->last = -1;
}

/* free the memo, but not its copies, which the cells share */
static void
segment_memo_free(SegmentHashMemo *m)
{
	pfree(m->entries);
	pfree(m->index.slots);
}

/* whether e holds the segment of len bytes at data */
static inline bool
segment_in_entry(const SegmentEntry *e, const char *data, int len)
{
	return VARSIZE(e->copy) - VARHDRSZ == len && memcmp(VARDATA(e->copy), data, len) == 0;
}

/* a segment's bytes, as segment_find looks for them */
typedef struct SegmentBytes
{
	const char *data;
	int			len;
} SegmentBytes;

static bool
entry_has_segment(const void *entry, const void *bytes)
{
	const SegmentBytes *b = bytes;

	return segment_in_entry(entry, b->data, b->len);
}

/* the index of the entry of the segment of len bytes at data (bytes_hash), or -1 */
static int
segment_find(const SegmentHashMemo *m, uint32 bytes_hash, const char *data, int len)
{
	SegmentBytes bytes = {data, len};

	return table_probe(&m->index, m->entries, sizeof(SegmentEntry),
					   offsetof(SegmentEntry, bytes_hash), bytes_hash, entry_has_segment, &bytes);
}

/*
 * The jsonb hash of a segment, and in *kept the memo's copy of it, or 0
 * when the segment is stored out of line or compressed
 */
static uint32
segment_hash(SegmentHashMemo *m, Datum segment, Datum *kept)
{
	const char *data;
	int			len;
	uint32		bytes_hash;
	int			i;

	*kept = (Datum) 0;
	if (!segment_bytes(segment, &data, &len))
		return DatumGetUInt32(DirectFunctionCall1(jsonb_hash, segment));
	/* the deltas of a statement follow each other, with one segment */
	if (m->last >= 0 && segment_in_entry(&m->entries[m->last], data, len))
		i = m->last;
	else
	{
		bytes_hash = hash_bytes((const unsigned char *) data, len);
		i = segment_find(m, bytes_hash, data, len);
		if (i < 0)
		{
			SegmentEntry *e;
			struct varlena *copy = palloc(VARHDRSZ + len);

			SET_VARSIZE(copy, VARHDRSZ + len);
			memcpy(VARDATA(copy), data, len);
			if (m->n == m->cap)
			{
				m->cap *= 2;
				m->entries = repalloc(m->entries, sizeof(SegmentEntry) * m->cap);
			}
			table_make_room(&m->index, m->n, m->entries, sizeof(SegmentEntry),
							offsetof(SegmentEntry, bytes_hash));
			i = m->n++;
			e = &m->entries[i];
			e->copy = copy;
			e->bytes_hash = bytes_hash;
			e->hash = DatumGetUInt32(DirectFunctionCall1(jsonb_hash, PointerGetDatum(copy)));
			table_put(&m->index, bytes_hash, i);
		}
		m->last = i;
	}
	*kept = PointerGetDatum(m->entries[i].copy);
	return m->entries[i].hash;
}

/* the count of summary_cell a pending delta of kind adds to */
static int
count_of_kind(char kind)
{
	switch ((SummaryKind) kind)
	{
		case SUMMARY_KIND_NEW:
			return C_NEW;
		case SUMMARY_KIND_REACTIVATED:
			return C_REACTIVATED;
		case SUMMARY_KIND_MOVED_IN:
			return C_MOVED_IN;
		case SUMMARY_KIND_MOVED_OUT:
			return C_MOVED_OUT;
		case SUMMARY_KIND_LOST:
			return C_LOST;
		case SUMMARY_KIND_LOST_FROM_START:
			return C_LOST_FROM_START;
		case SUMMARY_KIND_STATE_ENTERED:
			return C_ENTERED;
		case SUMMARY_KIND_STATE_LEFT:
			return C_EXITED;
		default:
			break;
	}
	elog(ERROR, "summary count kind \"%c\" belongs to no summary cell", kind);
	return -1;					/* keep compiler quiet */
}

/*
 * The slot of CellCounts that pending deltas of a kind churn.summary counts
 * (no family) add to in f->ccells: one per kind met, in the order met.
 */
static int
count_slot(Family *f, char kind)
{
	for (int i = 0; i < f->ncount_kinds; i++)
		if (f->count_kinds[i] == kind)
			return i;
	if (f->ncount_kinds == CELL_NCOUNTS)
		elog(ERROR, "more than %d kinds of pending summary counts", CELL_NCOUNTS);
	f->count_kinds[f->ncount_kinds] = kind;
	return f->ncount_kinds++;
}

/*
 * a new, zeroed bucket at the end of *rows (of *n, room for *cap), room
 * for one made first: most cells have a bucket or two in a read, and room
 * for four each doubled the memory of a read with a thousand cells (about
 * 330 kB with 7,650 pending deltas, which malloc gave back to the kernel
 * at the end of each transaction and faulted in again: 15 % of a
 * diversion panel's read)
 */
static CellBucket *
bucket_append(CellBucket **rows, int *n, int *cap)
{
	CellBucket *b;

	if (*n == *cap)
	{
		*cap = Max(1, 2 * *cap);
		*rows = *rows ? repalloc(*rows, sizeof(CellBucket) * *cap) :
			palloc(sizeof(CellBucket) * *cap);
	}
	b = &(*rows)[(*n)++];
	memset(b, 0, sizeof(*b));
	return b;
}

/* *sum += n, a summary count that must stay in range */
static void
count_add(int64 *sum, int64 n)
{
	if (pg_add_s64_overflow(*sum, n, sum))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("summary count out of range")));
}

/*
 * Add n to count k of a cell's pending bucket, made when missing (looked
 * for from the last: a scan meets a bucket's counts together)
 */
static void
pending_add(Cell *c, Timestamp bucket, int k, int64 n)
{
	CellBucket *b = NULL;

	for (int j = c->npending - 1; j >= 0 && b == NULL; j--)
		if (c->pending[j].bucket == bucket)
			b = &c->pending[j];
	if (b == NULL)
	{
		b = bucket_append(&c->pending, &c->npending, &c->pending_cap);
		b->bucket = bucket;
	}
	count_add(&b->counts.c[k], n);
}

static int
bucket_cmp(const void *a, const void *b)
{
	Timestamp	x = ((const CellBucket *) a)->bucket;
	Timestamp	y = ((const CellBucket *) b)->bucket;

	return (x > y) - (x < y);
}

static int64
net_flow(const CellCounts *k)
{
	return k->c[C_NEW] + k->c[C_REACTIVATED] + k->c[C_MOVED_IN] - k->c[C_MOVED_OUT] -
		k->c[C_LOST] + k->c[C_ENTERED] - k->c[C_EXITED];
}

static bool
nonzero(const CellCounts *k)
{
	for (int i = 0; i < CELL_NCOUNTS; i++)
		if (k->c[i] != 0)
			return true;
	return false;
}

static Timestamp
next_bucket(const Family *f, Timestamp b)
{
	return DatumGetTimestamp(DirectFunctionCall2(timestamp_pl_interval,
												 TimestampGetDatum(b),
												 IntervalPGetDatum(&f->width)));
}

/* timezone(time_zone, b): how the stored rows' bucket_start was computed */
static TimestampTz
bucket_start(const Family *f, Timestamp b)
{
	return DatumGetTimestampTz(DirectFunctionCall2(timestamp_zone, f->zone, TimestampGetDatum(b)));
}

/* the stored row (or pending counts) of a cell in bucket b, or NULL */
static const CellBucket *
find_bucket(const CellBucket *rows, int n, Timestamp b)
{
	for (int i = 0; i < n; i++)
		if (rows[i].bucket == b)
			return &rows[i];
	return NULL;
}

/*
 * The counts of a cell in bucket b, compacted plus pending, and its
 * customers at the start of b (at_start).  The caller knows that b is a
 * bucket of the window (b >= changed_from, or a bucket of a stored row).
 */
static void
combined(const Family *f, const Cell *c, Timestamp b, CellCounts *counts, int64 *at_start)
{
	const CellBucket *s = find_bucket(c->stored, c->nstored, b);

	memset(counts, 0, sizeof(*counts));
	*at_start = 0;
	if (s != NULL)
	{
		*counts = s->counts;
		*at_start = s->at_start;
	}
	else if (c->nstored > 0 && f->has_stored && b > f->stored_last)
	{
		/* after the last stored bucket: the customers at its end */
		const CellBucket *l = &c->stored[c->nstored - 1];

		*at_start = l->at_start + net_flow(&l->counts);
	}
	for (int i = 0; i < c->npending && c->pending[i].bucket <= b; i++)
	{
		if (c->pending[i].bucket == b)
			for (int k = 0; k < CELL_NCOUNTS; k++)
				counts->c[k] += c->pending[i].counts.c[k];
		else
			*at_start += net_flow(&c->pending[i].counts);
	}
}

/* whether a cell has a count in bucket b, compacted plus pending */
static bool
counted(const Family *f, const Cell *c, Timestamp b)
{
	CellCounts	k;
	int64		at_start;

	combined(f, c, b, &k, &at_start);
	return nonzero(&k);
}

/*
 * The offset in a tuple's data of column attnum, never NULL and attlen
 * bytes wide, when every column before it has a fixed width and is never
 * NULL (their NULL bits then do not move it, and the other columns come
 * after), or -1
 */
static int
leading_offset(TupleDesc desc, AttrNumber attnum, int attlen)
{
	int			off = 0;
	Form_pg_attribute att;

	for (int i = 0; i < attnum - 1; i++)
	{
		att = TupleDescAttr(desc, i);
		if (att->attlen <= 0 || !att->attnotnull || att->attisdropped)
			return -1;
		off = att_align_nominal(off, att->attalign) + att->attlen;
	}
	att = TupleDescAttr(desc, attnum - 1);
	if (att->attlen != attlen || !att->attnotnull || att->attisdropped)
		return -1;
	return att_align_nominal(off, att->attalign);
}

/*
 * Read the pending deltas of the family and sum them per cell and bucket
 * into f->pcells, each cell's buckets in order, leaving out the sums of
 * nothing (as a fold would); and the first pending bucket, of the deltas as
 * they are (a bucket whose pending counts sum to nothing is changed too,
 * which costs a bucket more to compute but nothing in truth).  With counts,
 * the pending deltas of those kinds churn.summary counts (losses by reason,
 * moves, transitions: no family) are summed into f->ccells, which
 * _count_changes and _move_changes return, in the same pass (a diversion
 * panel reads the moves and the cells with one scan) or alone (with cells
 * false, when the family was read before).
 *
 * summary_delta has no index (it is appended to by every write), so this is
 * a scan of it, with the snapshot of the query that calls the read as SPI
 * would use: a heap scan here, keyed on relid, rather than a query, whose
 * executor and copies of the rows cost a read with a few thousand pending
 * deltas more than the summing does.
 */
static void
read_pending(Family *f, bool cells, PendingCounts counts)
{
	Oid			deltas = summary_churn_relid("summary_delta");
	Relation	rel;
	TupleDesc	desc;
	AttrNumber	attnum[NPCOLUMNS];
	ScanKeyData scankey;
	TableScanDesc scan;
	HeapTuple	tup;
	int			cap = 16;
	int			ccap = 16;
	CellTable	table;
	CellTable	ctable;
	SegmentHashMemo segments;
	const SummaryKindInfo *kind_of[256];
	bool		kind_known[256];
	int			kind_offset;
	int			relid_offset;
	int			kept = 0;
	Datum	   *v;
	bool	   *isnull;

	rel = table_open(deltas, AccessShareLock);
	desc = RelationGetDescr(rel);
	for (int i = 0; i < NPCOLUMNS; i++)
	{
		attnum[i] = get_attnum(deltas, pending_columns[i]);
		if (attnum[i] == InvalidAttrNumber)
			elog(ERROR, "churn.summary_delta has no column \"%s\"", pending_columns[i]);
	}
	v = palloc(sizeof(Datum) * desc->natts);
	isnull = palloc(sizeof(bool) * desc->natts);
	kind_offset = leading_offset(desc, attnum[P_KIND], 1);
	relid_offset = leading_offset(desc, attnum[P_RELID], sizeof(Oid));
	memset(kind_known, 0, sizeof(kind_known));
	segment_memo_init(&segments);

	if (cells)
	{
		f->pcells = palloc(sizeof(Cell) * cap);
		f->npcells = 0;
	}
	if (counts)
	{
		f->ccells = palloc(sizeof(Cell) * ccap);
		f->nccells = 0;
		f->ncount_kinds = 0;
	}
	table_init(&table, 64);
	table_init(&ctable, 64);
	/*
	 * The table's deltas: relid read at its offset when it has one (a scan
	 * key would be tested through heap_getattr, which walks the tuple of a
	 * delta with a NULL column)
	 */
	ScanKeyInit(&scankey, attnum[P_RELID], BTEqualStrategyNumber, F_OIDEQ, f->relid);
	if (relid_offset >= 0)
		scan = table_beginscan(rel, GetActiveSnapshot(), 0, NULL);
	else
		scan = table_beginscan(rel, GetActiveSnapshot(), 1, &scankey);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		const SummaryKindInfo *kind;
		CellKey		key;
		struct varlena *channel_copy;
		struct varlena *state_copy;
		Cell	   *c;
		Timestamp	bucket;
		unsigned char code;
		bool		of_family;
		int			k;
		uint32		h;
		Datum		segment_copy;

		/*
		 * The kind first (after fixed-width columns that are never NULL: at
		 * a fixed offset), so that the deltas of the other family cost no
		 * more; then one pass over the tuple (its varlenas make each column
		 * a walk).
		 */
		if (relid_offset >= 0 &&
			*(Oid *) ((char *) tup->t_data + tup->t_data->t_hoff + relid_offset) !=
			DatumGetObjectId(f->relid))
			continue;
		if (kind_offset >= 0)
			code = *((unsigned char *) tup->t_data + tup->t_data->t_hoff + kind_offset);
		else
		{
			bool		kind_null;

			code = (unsigned char) DatumGetChar(heap_getattr(tup, attnum[P_KIND], desc,
															 &kind_null));
		}
		if (!kind_known[code])
		{
			kind_of[code] = summary_kind_info((char) code);
			kind_known[code] = true;
		}
		kind = kind_of[code];
		if (kind == NULL)
			continue;
		of_family = kind->family == DatumGetChar(f->family);
		if (of_family ? !cells :
			(kind->family != 0 ||
			 !(counts & (kind->kind == SUMMARY_KIND_MOVED ? COUNTS_MOVES : COUNTS_OTHERS))))
			continue;
		heap_deform_tuple(tup, desc, v, isnull);
		k = of_family ? count_of_kind(kind->kind) : count_slot(f, kind->kind);
		/* channel and state in place (cell_of_hashed copies a new key) */
		channel_copy = text_bytes(v[attnum[P_CHANNEL] - 1], isnull[attnum[P_CHANNEL] - 1],
								  &key.channel, &key.channel_len);
		key.segment = v[attnum[P_SEGMENT] - 1];
		state_copy = text_bytes(v[attnum[P_STATE] - 1], isnull[attnum[P_STATE] - 1],
								&key.state, &key.state_len);
		bucket = DatumGetTimestamp(v[attnum[P_BUCKET] - 1]);

		h = key_hash_with(&key, segment_hash(&segments, key.segment, &segment_copy));
		if (segment_copy != (Datum) 0)
			key.segment = segment_copy;
		if (of_family)
		{
			if (!f->has_pending || bucket < f->pending_first)
				f->pending_first = bucket;
			f->has_pending = true;
			c = cell_of_hashed(&table, &f->pcells, &f->npcells, &cap, &key, h,
							   segment_copy != (Datum) 0);
		}
		else
			c = cell_of_hashed(&ctable, &f->ccells, &f->nccells, &ccap, &key, h,
							   segment_copy != (Datum) 0);
		pending_add(c, bucket, k, DatumGetInt64(v[attnum[P_N] - 1]));
		if (channel_copy)
			pfree(channel_copy);
		if (state_copy)
			pfree(state_copy);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	pfree(table.slots);
	pfree(ctable.slots);
	segment_memo_free(&segments);
	pfree(v);
	pfree(isnull);

	if (!cells)
		return;

	/* the buckets in order, without the sums of nothing; cells with any */
	for (int i = 0; i < f->npcells; i++)
	{
		Cell	   *c = &f->pcells[i];
		int			m = 0;

		for (int j = 0; j < c->npending; j++)
			if (nonzero(&c->pending[j].counts))
				c->pending[m++] = c->pending[j];
		c->npending = m;
		if (m == 0)
			continue;
		qsort(c->pending, m, sizeof(CellBucket), bucket_cmp);
		f->pcells[kept++] = *c;
	}
	f->npcells = kept;
}

/*
 * Read the configuration, the last stored bucket and the pending deltas
 * (with counts, those of churn.summary's kinds too), and so changed_from.
 * The caller is connected to SPI as the extension owner.
 */
static void
family_state(Family *f, Datum relid, char family, PendingCounts counts)
{
	HeapTuple	tup;
	TupleDesc	desc;
	Datum		d;
	MemoryContext cxt = f->cxt;

	memset(f, 0, sizeof(*f));
	f->cxt = cxt;
	f->bases = MemoryContextAllocZero(cxt, sizeof(struct ChannelBases));
	f->relid = relid;
	f->family = CharGetDatum(family);
	if (run_query(f, Q_CONFIG) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table \"%s\" is not tracked by churn",
						churn_table_name(DatumGetObjectId(relid)))));
	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	f->zone = CStringGetTextDatum(get_text(tup, desc, 1));
	if (get_value(tup, desc, 2, &d))
		memcpy(&f->width, DatumGetIntervalP(d), sizeof(Interval));
	if (get_value(tup, desc, 3, &d))
		f->current = DatumGetTimestamp(d);
	SPI_freetuptable(SPI_tuptable);

	if (run_query(f, Q_STATE) == 1)
	{
		tup = SPI_tuptable->vals[0];
		desc = SPI_tuptable->tupdesc;
		f->has_stored = true;
		get_value(tup, desc, 1, &d);
		f->stored_last = DatumGetTimestamp(d);
		get_value(tup, desc, 2, &d);
		f->stored_last_start = DatumGetTimestampTz(d);
	}
	SPI_freetuptable(SPI_tuptable);
	read_pending(f, true, counts);

	if (f->has_stored)
	{
		f->has_changed_from = true;
		f->changed_from = next_bucket(f, f->stored_last);
	}
	if (f->has_pending && (!f->has_changed_from || f->pending_first < f->changed_from))
	{
		f->has_changed_from = true;
		f->changed_from = f->pending_first;
	}
}

/*
 * The cells of the window: those with pending counts, and the stored rows
 * from window_start on added to theirs or making more.  An index range scan
 * of summary_cell_range, with the snapshot of the query that calls the read.
 */
static void
read_window(Family *f, TimestampTz window_start)
{
	enum
	{
		R_CHANNEL, R_SEGMENT, R_STATE, R_BUCKET, R_FIRST, R_AT_START, R_COUNTS,
		NRCOLUMNS = R_COUNTS + CELL_NCOUNTS
	};

	/* the counts in the order of CellCounts */
	static const char *const names[NRCOLUMNS] = {
		"channel", "segment", "state", "bucket", "first_bucket", "at_start",
		"new", "reactivated", "moved_in", "moved_out", "lost", "lost_from_start",
		"entered", "exited"
	};
	AttrNumber	attnum[NRCOLUMNS];
	SummaryScan scan;
	int			cap = f->npcells + 64;
	CellTable	table;

	f->cells = palloc(sizeof(Cell) * cap);
	f->ncells = f->npcells;
	table_init(&table, cap);
	for (int i = 0; i < f->npcells; i++)
	{
		/* the pending counts are shared: nothing changes them from here */
		f->cells[i] = f->pcells[i];
		f->cells[i].nstored = 0;
		f->cells[i].stored_cap = 0;
		f->cells[i].stored = NULL;
		table_put(&table, f->cells[i].hash, i);
	}
	summary_scan_begin(&scan, "summary_cell", "summary_cell_range", "family",
					   DatumGetChar(f->family), f->relid, BTGreaterEqualStrategyNumber,
					   window_start);
	summary_scan_columns(&scan, names, NRCOLUMNS, attnum);
	while (summary_scan_next(&scan))
	{
		Datum	   *v = scan.values;
		bool	   *isnull = scan.isnull;
		CellKey		ckey;
		struct varlena *channel_copy;
		struct varlena *state_copy;
		Cell	   *c;
		CellBucket *b;

		/* the key in place (cell_of copies a new one) */
		channel_copy = text_bytes(v[attnum[R_CHANNEL] - 1], isnull[attnum[R_CHANNEL] - 1],
								  &ckey.channel, &ckey.channel_len);
		ckey.segment = v[attnum[R_SEGMENT] - 1];
		state_copy = text_bytes(v[attnum[R_STATE] - 1], isnull[attnum[R_STATE] - 1],
								&ckey.state, &ckey.state_len);
		c = cell_of(&table, &f->cells, &f->ncells, &cap, &ckey);
		b = bucket_append(&c->stored, &c->nstored, &c->stored_cap);
		c->first_bucket = DatumGetTimestamp(v[attnum[R_FIRST] - 1]);
		b->at_start = DatumGetInt64(v[attnum[R_AT_START] - 1]);
		b->bucket = DatumGetTimestamp(v[attnum[R_BUCKET] - 1]);
		for (int k = 0; k < CELL_NCOUNTS; k++)
			b->counts.c[k] = DatumGetInt64(v[attnum[R_COUNTS + k] - 1]);
		if (channel_copy)
			pfree(channel_copy);
		if (state_copy)
			pfree(state_copy);
	}
	summary_scan_end(&scan);
	pfree(table.slots);

	/*
	 * Each cell's rows in bucket order: the index returns them in the order
	 * of bucket_start, which is the buckets' (one row per cell and bucket)
	 * unless a time zone's shift reorders two local buckets' starts.
	 */
	for (int i = 0; i < f->ncells; i++)
	{
		Cell	   *c = &f->cells[i];

		for (int j = 1; j < c->nstored; j++)
			if (c->stored[j].bucket < c->stored[j - 1].bucket)
			{
				qsort(c->stored, c->nstored, sizeof(CellBucket), bucket_cmp);
				break;
			}
	}
}

/* every bucket of a cell's rows, stored or pending, in the window */
static bool
last_counted(const Family *f, Timestamp before, Timestamp *last)
{
	bool		found = false;

	for (int i = 0; i < f->ncells; i++)
	{
		const Cell *c = &f->cells[i];

		for (int j = 0; j < c->nstored; j++)
			if (c->stored[j].bucket < before && (!found || c->stored[j].bucket > *last) &&
				counted(f, c, c->stored[j].bucket))
			{
				*last = c->stored[j].bucket;
				found = true;
			}
		for (int j = 0; j < c->npending; j++)
			if (c->pending[j].bucket < before && (!found || c->pending[j].bucket > *last) &&
				counted(f, c, c->pending[j].bucket))
			{
				*last = c->pending[j].bucket;
				found = true;
			}
	}
	return found;
}

/*
 * Read the window (the stored rows from changed_from, or from the last
 * stored bucket, on) and work out the last bucket with a count, the end,
 * and each cell's first bucket with a count.
 */
static void
family_rows(Family *f)
{
	TimestampTz window_start;

	if (!f->has_changed_from)
	{
		/* nothing stored, nothing pending */
		f->end = f->current;
		return;
	}
	if (!f->has_pending && f->current <= f->stored_last)
	{
		/* refreshed, and the current bucket stored: nothing changes */
		f->has_last = true;
		f->last = f->stored_last;
		f->end = f->stored_last;
		return;
	}
	/* the rows of the last stored bucket are needed to carry it on */
	if (f->has_stored && (!f->has_pending || f->stored_last < f->pending_first))
		window_start = f->stored_last_start;
	else
		window_start = bucket_start(f, f->changed_from);
	read_window(f, window_start);

	/*
	 * The last bucket with a count: the last stored one (a cell has a count
	 * there) or a later pending one.  In the rare case that pending counts
	 * cancel every count there, an earlier one, from every stored row.
	 */
	if (!last_counted(f, DT_NOEND, &f->last))
	{
		read_window(f, DT_NOBEGIN);
		f->has_last = last_counted(f, DT_NOEND, &f->last);
	}
	else
		f->has_last = true;
	f->end = (f->has_last && f->last > f->current) ? f->last : f->current;

	/*
	 * (rare) Stored rows after the end, when pending counts cancelled every
	 * count of the last stored bucket, which lies after the current one:
	 * the views must not show them, so they change too.
	 */
	if (f->has_stored && f->end < f->stored_last && next_bucket(f, f->end) < f->changed_from)
		f->changed_from = next_bucket(f, f->end);

	/* the first bucket with a count of each cell */
	for (int i = 0; i < f->ncells; i++)
	{
		Cell	   *c = &f->cells[i];
		Timestamp	p1 = c->npending > 0 ? c->pending[0].bucket : 0;

		c->first = c->first_bucket;
		if (c->npending == 0)
			continue;
		if (c->nstored == 0 || p1 < c->first_bucket)
			c->first = p1;		/* a pending count before anything stored */
		else if (p1 == c->first_bucket && !counted(f, c, p1))
		{
			/*
			 * (rare) pending counts cancel every count of the first bucket:
			 * the next bucket with a count (all are in the window, which
			 * starts at or before p1)
			 */
			bool		found = false;

			for (int j = 0; j < c->nstored && !found; j++)
				if (counted(f, c, c->stored[j].bucket))
				{
					c->first = c->stored[j].bucket;
					found = true;
				}
			for (int j = 0; j < c->npending; j++)
				if ((!found || c->pending[j].bucket < c->first) &&
					counted(f, c, c->pending[j].bucket))
				{
					c->first = c->pending[j].bucket;
					found = true;
				}
			c->vanished = !found;
		}
	}
}

/* one row of _cell_changes */
static void
put_row(Tuplestorestate *ts, TupleDesc desc, const Cell *c, Timestamp b, TimestampTz b_start,
		TimestampTz b_end, int64 at_start, const CellCounts *counts)
{
	Datum		values[8 + CELL_NCOUNTS];
	bool		nulls[8 + CELL_NCOUNTS];
	int			n = 0;

	memset(nulls, 0, sizeof(nulls));
	nulls[n] = c->key.channel == NULL;
	values[n++] = c->key.channel ? CStringGetTextDatum(c->key.channel) : (Datum) 0;
	values[n++] = c->key.segment;
	nulls[n] = c->key.state == NULL;
	values[n++] = c->key.state ? CStringGetTextDatum(c->key.state) : (Datum) 0;
	values[n++] = TimestampGetDatum(b);
	values[n++] = TimestampTzGetDatum(b_start);
	values[n++] = TimestampTzGetDatum(b_end);
	values[n++] = TimestampGetDatum(c->first);
	values[n++] = Int64GetDatum(at_start);
	for (int k = 0; k < CELL_NCOUNTS; k++)
		values[n++] = Int64GetDatum(counts->c[k]);
	tuplestore_putvalues(ts, desc, values, nulls);
}

/*
 * The rows of every cell from changed_from through the end, within the
 * cell's range.
 */
static void
family_changes(Tuplestorestate *ts, TupleDesc desc, Family *f)
{
	if (!f->has_changed_from)
		return;
	for (Timestamp b = f->changed_from; b <= f->end; b = next_bucket(f, b))
	{
		Timestamp	next = next_bucket(f, b);
		TimestampTz b_start = bucket_start(f, b);
		TimestampTz b_end = bucket_start(f, next);

		for (int i = 0; i < f->ncells; i++)
		{
			const Cell *c = &f->cells[i];
			CellCounts	counts;
			int64		at_start;

			if (c->vanished || b < c->first)
				continue;
			combined(f, c, b, &counts, &at_start);
			put_row(ts, desc, c, b, b_start, b_end, at_start, &counts);
		}
	}
}

/*
 * Diversion.  diversion_summary shows, per bucket and pair of channels, the
 * customers moved and the base of the channel left: the customers it had
 * during the bucket, those at the bucket's start and those who came (new,
 * reactivated, moved in), summed over its cells (add_stay_base).  Like the
 * cells, the view reads the stored moves of the buckets before a bucket,
 * moves_from, as they are, each with the base of its channel in the stored
 * cells of its bucket (_channel_base); and from moves_from on, the moves
 * _move_changes computes here, stored plus pending, each with the base of
 * its channel in the cells' rows of family_changes.  moves_from is the
 * churn family's changed_from (a base there on depends on pending counts
 * or the passing time), or an earlier bucket with pending moves.  So the
 * view costs the moves it returns, with no window or sort over the cells.
 */

/* add the customers of a cell during a bucket to *base */
static void
add_stay_base(int64 *base, int64 at_start, const CellCounts *k)
{
	int64		terms[4] = {at_start, k->c[C_NEW], k->c[C_REACTIVATED], k->c[C_MOVED_IN]};

	for (int i = 0; i < lengthof(terms); i++)
		count_add(base, terms[i]);
}

/* channels in order, NULL first: only for finding equal ones */
static int
channel_cmp(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int
channel_sum_cmp(const void *a, const void *b)
{
	return channel_cmp(((const ChannelSum *) a)->channel, ((const ChannelSum *) b)->channel);
}

/* a channel of len bytes (NULL for SQL NULL) and its base, copied */
static void
sum_append(ChannelSum **sums, int *n, int *cap, const char *channel, int len, int64 base)
{
	if (*n == *cap)
	{
		*cap *= 2;
		*sums = repalloc(*sums, sizeof(ChannelSum) * *cap);
	}
	(*sums)[*n].channel = channel ? pnstrdup(channel, len) : NULL;
	(*sums)[(*n)++].base = base;
}

/*
 * The stay bases of the stored cells of the bucket starting at start, one
 * per cell, appended to *sums: an index scan of summary_cell_range, with the
 * snapshot of the query that calls the read.
 */
static void
stored_bases(const Family *f, TimestampTz start, ChannelSum **sums, int *n, int *cap)
{
	enum
	{
		S_CHANNEL, S_AT_START, S_NEW, S_REACTIVATED, S_MOVED_IN, NSCOLUMNS
	};
	static const char *const names[NSCOLUMNS] = {
		"channel", "at_start", "new", "reactivated", "moved_in"
	};
	AttrNumber	attnum[NSCOLUMNS];
	SummaryScan scan;

	summary_scan_begin(&scan, "summary_cell", "summary_cell_range", "family",
					   DatumGetChar(f->family), f->relid, BTEqualStrategyNumber, start);
	summary_scan_columns(&scan, names, NSCOLUMNS, attnum);
	while (summary_scan_next(&scan))
	{
		Datum	   *v = scan.values;
		CellCounts	k;
		int64		base = 0;
		const char *channel;
		int			channel_len;
		struct varlena *channel_copy;

		memset(&k, 0, sizeof(k));
		k.c[C_NEW] = DatumGetInt64(v[attnum[S_NEW] - 1]);
		k.c[C_REACTIVATED] = DatumGetInt64(v[attnum[S_REACTIVATED] - 1]);
		k.c[C_MOVED_IN] = DatumGetInt64(v[attnum[S_MOVED_IN] - 1]);
		add_stay_base(&base, DatumGetInt64(v[attnum[S_AT_START] - 1]), &k);
		channel_copy = text_bytes(v[attnum[S_CHANNEL] - 1], scan.isnull[attnum[S_CHANNEL] - 1],
								  &channel, &channel_len);
		sum_append(sums, n, cap, channel, channel_len, base);
		if (channel_copy)
			pfree(channel_copy);
	}
	summary_scan_end(&scan);
}

/*
 * The base of every channel in bucket b (starting at start): from the rows
 * family_changes computes when b is changed_from or later (the caller has
 * read the family's rows), else from the stored cells.  Remembered in the
 * family's memo; the result is valid until the next call.
 */
static const BucketBases *
bucket_bases(Family *f, Timestamp b, TimestampTz start)
{
	ChannelBases *cache = f->bases;
	BucketBases *bb;
	MemoryContext old;
	ChannelSum *sums;
	int			n = 0;
	int			cap = 16;
	int			m = 0;

	if (cache->last < cache->n && cache->buckets[cache->last].start == start)
		return &cache->buckets[cache->last];
	for (int i = 0; i < cache->n; i++)
		if (cache->buckets[i].start == start)
		{
			cache->last = i;
			return &cache->buckets[i];
		}

	old = MemoryContextSwitchTo(f->cxt);
	sums = palloc(sizeof(ChannelSum) * cap);
	if (f->has_changed_from && b >= f->changed_from)
	{
		/* the cells that have a row in b (family_changes) */
		for (int i = 0; i < f->ncells; i++)
		{
			const Cell *c = &f->cells[i];
			CellCounts	counts;
			int64		at_start;
			int64		base = 0;

			if (c->vanished || b < c->first || b > f->end)
				continue;
			combined(f, c, b, &counts, &at_start);
			add_stay_base(&base, at_start, &counts);
			sum_append(&sums, &n, &cap, c->key.channel, c->key.channel_len, base);
		}
	}
	else
		stored_bases(f, start, &sums, &n, &cap);

	/* one sum per channel */
	qsort(sums, n, sizeof(ChannelSum), channel_sum_cmp);
	for (int i = 0; i < n; i++)
	{
		if (m > 0 && channel_cmp(sums[m - 1].channel, sums[i].channel) == 0)
		{
			count_add(&sums[m - 1].base, sums[i].base);
			continue;
		}
		sums[m++] = sums[i];
	}

	if (cache->n == cache->cap)
	{
		cache->cap = Max(8, 2 * cache->cap);
		cache->buckets = cache->buckets ?
			repalloc(cache->buckets, sizeof(BucketBases) * cache->cap) :
			palloc(sizeof(BucketBases) * cache->cap);
	}
	bb = &cache->buckets[cache->n];
	bb->start = start;
	bb->n = m;
	bb->sums = sums;
	cache->last = cache->n++;
	MemoryContextSwitchTo(old);
	return bb;
}

/* the base of channel in a bucket's bases, or false when it has no cell there */
static bool
channel_base(const BucketBases *bb, const char *channel, int64 *base)
{
	int			lo = 0;
	int			hi = bb->n - 1;

	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;
		int			cmp = channel_cmp(channel, bb->sums[mid].channel);

		if (cmp == 0)
		{
			*base = bb->sums[mid].base;
			return true;
		}
		if (cmp < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return false;
}

/* the slot of the pending moves in f->ccells' counts, or -1 */
static int
moved_slot(const Family *f)
{
	for (int i = 0; i < f->ncount_kinds; i++)
		if (f->count_kinds[i] == SUMMARY_KIND_MOVED)
			return i;
	return -1;
}

/*
 * moves_from: the family's changed_from, or an earlier bucket with pending
 * moves (the family read with counts); false when there is neither.
 */
static bool
moves_from(const Family *f, Timestamp *from)
{
	bool		found = f->has_changed_from;
	int			k = moved_slot(f);

	if (found)
		*from = f->changed_from;
	for (int i = 0; k >= 0 && i < f->nccells; i++)
		for (int j = 0; j < f->ccells[i].npending; j++)
		{
			const CellBucket *b = &f->ccells[i].pending[j];

			if (b->counts.c[k] != 0 && (!found || b->bucket < *from))
			{
				*from = b->bucket;
				found = true;
			}
		}
	return found;
}

/*
 * add n customers moved in bucket to the pair of channels of key (whose
 * segment lasts as long as the moves, and its jsonb hash is segment_hash)
 */
static void
add_move(CellTable *table, Cell **moves, int *nmoves, int *cap, const CellKey *key,
		 uint32 segment_hash, Timestamp bucket, int64 n)
{
	pending_add(cell_of_hashed(table, moves, nmoves, cap, key,
							   key_hash_with(key, segment_hash), true),
				bucket, 0, n);
}

/*
 * The moves of every pair of channels (key.channel from, key.state to)
 * from bucket from on, stored plus pending (the family read with counts),
 * summed over segments into *moves (of *nmoves): each pair's buckets, with
 * counts.c[0] the customers moved.  The stored ones through an index range
 * scan of summary_range, with the snapshot of the query that calls the
 * read.
 */
static void
read_moves(const Family *f, Timestamp from, Cell **moves, int *nmoves)
{
	enum
	{
		M_BUCKET, M_CHANNEL, M_DETAIL, M_N, NMCOLUMNS
	};
	static const char *const names[NMCOLUMNS] = {"bucket", "channel", "detail", "n"};
	AttrNumber	attnum[NMCOLUMNS];
	SummaryScan scan;
	Datum		no_segment = DirectFunctionCall1(jsonb_in, CStringGetDatum("{}"));
	uint32		no_segment_hash = DatumGetUInt32(DirectFunctionCall1(jsonb_hash, no_segment));
	int			cap = 16;
	CellTable	table;
	int			k = moved_slot(f);

	*moves = palloc(sizeof(Cell) * cap);
	*nmoves = 0;
	table_init(&table, cap);
	summary_scan_begin(&scan, "summary", "summary_range", "kind", SUMMARY_KIND_MOVED, f->relid,
					   BTGreaterEqualStrategyNumber, bucket_start(f, from));
	summary_scan_columns(&scan, names, NMCOLUMNS, attnum);
	while (summary_scan_next(&scan))
	{
		Datum	   *v = scan.values;
		bool	   *isnull = scan.isnull;
		CellKey		mkey;
		struct varlena *from_copy;
		struct varlena *to_copy;

		/* the key in place (add_move copies a new one) */
		from_copy = text_bytes(v[attnum[M_CHANNEL] - 1], isnull[attnum[M_CHANNEL] - 1],
							   &mkey.channel, &mkey.channel_len);
		to_copy = text_bytes(v[attnum[M_DETAIL] - 1], isnull[attnum[M_DETAIL] - 1],
							 &mkey.state, &mkey.state_len);
		mkey.segment = no_segment;
		add_move(&table, moves, nmoves, &cap, &mkey, no_segment_hash,
				 DatumGetTimestamp(v[attnum[M_BUCKET] - 1]),
				 DatumGetInt64(v[attnum[M_N] - 1]));
		if (from_copy)
			pfree(from_copy);
		if (to_copy)
			pfree(to_copy);
	}
	summary_scan_end(&scan);

	/* the pending ones (all from from on: see moves_from) */
	for (int i = 0; k >= 0 && i < f->nccells; i++)
	{
		const Cell *c = &f->ccells[i];
		CellKey		mkey = c->key;

		mkey.segment = no_segment;
		for (int j = 0; j < c->npending; j++)
			if (c->pending[j].counts.c[k] != 0)
				add_move(&table, moves, nmoves, &cap, &mkey, no_segment_hash,
						 c->pending[j].bucket, c->pending[j].counts.c[k]);
	}
	pfree(table.slots);
}

/*
 * Whether the current user may read the summaries of a family: SELECT on
 * one of the views that show them, or on churn.summary_cell itself; for
 * family 0, the counts of churn.summary: SELECT on one of the views that
 * show them, or on churn.summary.
 */
static void
check_read_privilege(Oid relid, char family)
{
	static const char *const views_c[] = {"churn_summary", "diversion_summary", NULL};
	static const char *const views_l[] = {"lifecycle_summary", NULL};
	static const char *const views_counts[] = {"churn_reasons", "diversion_summary",
	"lifecycle_transitions", NULL};
	const char *const *views = (family == SUMMARY_FAMILY_LIFECYCLE) ? views_l :
		(family == SUMMARY_FAMILY_CHURN) ? views_c : views_counts;
	Oid			nsp = get_namespace_oid("churn", false);
	Oid			table = get_relname_relid(family == 0 ? "summary" : "summary_cell", nsp);

	if (OidIsValid(table) && pg_class_aclcheck(table, GetUserId(), ACL_SELECT) == ACLCHECK_OK)
		return;
	for (int i = 0; views[i] != NULL; i++)
	{
		Oid			v = get_relname_relid(views[i], nsp);

		if (OidIsValid(v) && pg_class_aclcheck(v, GetUserId(), ACL_SELECT) == ACLCHECK_OK)
			return;
	}
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied for the churn summaries of table \"%s\"",
					churn_table_name(relid)),
			 errhint("Read them through churn's summary views; churn.grant_reader lets a role read them.")));
}

/*
 * The families read with the current snapshot.  A view's read calls
 * _cell_changed_from and then _cell_changes for its family, and a refresh
 * _cell_extent and both, for each family: each would read the pending
 * deltas again, a scan of summary_delta (and of the dead rows a refresh
 * leaves there until vacuum).  They read with the snapshot of the query that
 * calls them (read-only SPI), so one read serves them all: a memo keyed by
 * that snapshot and what it sees (its transactions and command), forgotten
 * when a subtransaction aborts (its rows vanish from the same snapshot) and
 * when the transaction ends.
 *
 * Each memo's memory is a context of the backend's, emptied when the memo
 * is forgotten or replaced but for its first block, of READ_KEEP bytes,
 * which stays for the next read: a read with a few thousand pending deltas
 * takes about 200 kB, and freed at each commit, that memory went back to
 * the kernel (malloc trims what it gets back past 128 kB) and was faulted
 * in again page by page at the next read (12 % of a diversion panel's
 * read).  The transaction's first read takes the first memo, so a backend
 * that reads once per transaction keeps one block.
 */
#define READ_MEMOS 4
#define READ_KEEP (256 * 1024)

typedef struct ReadMemo
{
	bool		used;
	Oid			relid;
	char		family;
	bool		rows;			/* family_rows done too */
	PendingCounts counts;		/* which pending counts of churn.summary's
								 * kinds were read too */
	Snapshot	snapshot;		/* the snapshot read with, and its contents */
	TransactionId xmin;
	TransactionId xmax;
	CommandId	curcid;
	uint64		completions;
	MemoryContext cxt;			/* holds f's data (NULL until first used) */
	Family		f;
} ReadMemo;

static ReadMemo read_memos[READ_MEMOS];
static int	read_memo_next;
static bool read_memo_callbacks;

/* forget every memo, its memory emptied but for the kept block */
static void
forget_memos(void)
{
	for (int i = 0; i < READ_MEMOS; i++)
	{
		if (read_memos[i].cxt != NULL)
			MemoryContextReset(read_memos[i].cxt);
		read_memos[i].used = false;
	}
	read_memo_next = 0;
}

static void
memo_xact_callback(XactEvent event, void *arg)
{
	/* every event ends the transaction (or leads to its end) */
	forget_memos();
}

static void
memo_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					  SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		forget_memos();
}

static bool
memo_matches(const ReadMemo *m, Snapshot snap, Oid relid, char family)
{
	return m->used && m->relid == relid && m->family == family && m->snapshot == snap &&
		m->xmin == snap->xmin && m->xmax == snap->xmax && m->curcid == snap->curcid &&
		m->completions == snap->snapXactCompletionCount;
}

/*
 * Read a family of a tracked table as the extension owner, the caller's
 * privilege checked first (read_family) or by the caller
 * (read_family_checked); with rows, the window and the cells too; and
 * the pending counts of churn.summary's kinds that counts names.  *f
 * points into the memo's memory: valid until the next read.
 */
static void
read_family_checked(Family *f, Datum relid, char family, bool rows, PendingCounts counts)
{
	MemoryContext callcxt = CurrentMemoryContext;
	Snapshot	snap;
	ReadMemo   *m = NULL;
	Oid			save_userid;
	int			save_sec_context;
	int			nestlevel;

	if (!read_memo_callbacks)
	{
		RegisterXactCallback(memo_xact_callback, NULL);
		RegisterSubXactCallback(memo_subxact_callback, NULL);
		read_memo_callbacks = true;
	}
	snap = ActiveSnapshotSet() ? GetActiveSnapshot() : NULL;
	for (int i = 0; snap != NULL && i < READ_MEMOS; i++)
		if (memo_matches(&read_memos[i], snap, DatumGetObjectId(relid), family))
			m = &read_memos[i];
	if (m != NULL && (m->rows || !rows) && (m->counts & counts) == counts)
	{
		*f = m->f;
		return;
	}

	/*
	 * The queries run as the extension owner, with search_path pinned as all
	 * SQL churn runs so: names are resolved when a kept plan is prepared and
	 * again whenever it is executed under another search_path (the plan
	 * cache re-analyses it then), so the caller's search_path must not be in
	 * effect at either, or a look-alike in one of its schemas could stand in
	 * for churn's or pg_catalog's objects (and every read would re-analyse).
	 */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	nestlevel = summary_become_owner(summary_extension_owner(), &save_userid, &save_sec_context);
	if (m == NULL)
	{
		/* a new memo, in place of the oldest (of an older snapshot, most) */
		m = &read_memos[read_memo_next];
		read_memo_next = (read_memo_next + 1) % READ_MEMOS;
		m->used = false;
		if (m->cxt == NULL)
			m->cxt = AllocSetContextCreate(TopMemoryContext, "churn summary read",
										   READ_KEEP, READ_KEEP, ALLOCSET_DEFAULT_MAXSIZE);
		else
			MemoryContextReset(m->cxt);
		m->f.cxt = m->cxt;
		MemoryContextSwitchTo(m->cxt);
		family_state(&m->f, relid, family, counts);
		m->rows = false;
		m->counts = counts;
	}
	else
		MemoryContextSwitchTo(m->cxt);
	if ((counts & ~m->counts) != 0)
	{
		/* (rare: a query reading moves and other counts) both, anew */
		m->counts |= counts;
		read_pending(&m->f, false, m->counts);
	}

	/*
	 * Pending counts with stored buckets after the current one may end the
	 * family earlier (see family_rows), which changed_from must know.
	 */
	if (rows || (m->f.has_pending && m->f.has_stored && m->f.current < m->f.stored_last))
	{
		family_rows(&m->f);
		m->rows = true;
	}
	summary_end_owner(nestlevel, save_userid, save_sec_context);
	SPI_finish();
	MemoryContextSwitchTo(callcxt);

	/* complete: remember it (read with a snapshot) */
	*f = m->f;
	if (snap == NULL)
		return;
	m->relid = DatumGetObjectId(relid);
	m->family = family;
	m->snapshot = snap;
	m->xmin = snap->xmin;
	m->xmax = snap->xmax;
	m->curcid = snap->curcid;
	m->completions = snap->snapXactCompletionCount;
	m->used = true;
}

static void
read_family(Family *f, Datum relid, char family, bool rows)
{
	if (family != SUMMARY_FAMILY_CHURN && family != SUMMARY_FAMILY_LIFECYCLE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("summary cell family \"%c\" is not c or l", family)));
	check_read_privilege(DatumGetObjectId(relid), family);
	read_family_checked(f, relid, family, rows, COUNTS_NONE);
}

PG_FUNCTION_INFO_V1(churn_cell_changes);

/*
 * churn._cell_changes(relation regclass, family "char") → SETOF (channel,
 * segment, state, bucket, bucket_start, bucket_end, first_bucket, at_start, new,
 * reactivated, moved_in, moved_out, lost, lost_from_start, entered, exited):
 * the rows of the family's cells from changed_from on
 */
Datum
churn_cell_changes(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Family		f;

	InitMaterializedSRF(fcinfo, 0);
	read_family(&f, PG_GETARG_DATUM(0), PG_GETARG_CHAR(1), true);
	family_changes(rsinfo->setResult, rsinfo->setDesc, &f);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(churn_cell_changed_from);

/*
 * churn._cell_changed_from(relation regclass, family "char") → timestamptz:
 * the start of the first bucket whose rows _cell_changes returns (NULL when
 * it returns none); the views read the stored rows before it
 */
Datum
churn_cell_changed_from(PG_FUNCTION_ARGS)
{
	Family		f;

	read_family(&f, PG_GETARG_DATUM(0), PG_GETARG_CHAR(1), false);
	if (!f.has_changed_from)
		PG_RETURN_NULL();
	PG_RETURN_TIMESTAMPTZ(bucket_start(&f, f.changed_from));
}

PG_FUNCTION_INFO_V1(churn_cell_extent);

/*
 * churn._cell_extent(relation regclass, family "char", OUT current_bucket,
 * OUT stored_last, OUT last_bucket, OUT end_bucket, OUT changed_from), local
 * timestamps of the table's time zone: what churn.refresh folds
 */
Datum
churn_cell_extent(PG_FUNCTION_ARGS)
{
	Family		f;
	TupleDesc	desc;
	Datum		values[5];
	bool		nulls[5];

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	read_family(&f, PG_GETARG_DATUM(0), PG_GETARG_CHAR(1), true);
	memset(nulls, 0, sizeof(nulls));
	values[0] = TimestampGetDatum(f.current);
	values[1] = TimestampGetDatum(f.stored_last);
	nulls[1] = !f.has_stored;
	values[2] = TimestampGetDatum(f.last);
	nulls[2] = !f.has_last;
	values[3] = TimestampGetDatum(f.end);
	values[4] = TimestampGetDatum(f.changed_from);
	nulls[4] = !f.has_changed_from;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}

PG_FUNCTION_INFO_V1(churn_count_changes);

/*
 * churn._count_changes(relation regclass) → SETOF (kind, bucket,
 * bucket_start, bucket_end, channel, segment, detail, n): the pending
 * deltas of the kinds churn.summary counts (losses by reason, moves,
 * lifecycle transitions), summed per kind, bucket, channel, segment and
 * detail, the sums of nothing left out: what _counts adds to
 * churn.summary's rows.  They are read with the churn family's pending
 * deltas (read_pending), which the views' reads of the cells in the same
 * query share.
 */
Datum
churn_count_changes(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum		relid = PG_GETARG_DATUM(0);
	Family		f;

	InitMaterializedSRF(fcinfo, 0);
	check_read_privilege(DatumGetObjectId(relid), 0);
	read_family_checked(&f, relid, SUMMARY_FAMILY_CHURN, false, COUNTS_ALL);
	for (int i = 0; i < f.nccells; i++)
	{
		const Cell *c = &f.ccells[i];

		for (int j = 0; j < c->npending; j++)
		{
			const CellBucket *b = &c->pending[j];
			TimestampTz b_start = bucket_start(&f, b->bucket);
			TimestampTz b_end = bucket_start(&f, next_bucket(&f, b->bucket));

			for (int k = 0; k < f.ncount_kinds; k++)
			{
				Datum		values[8];
				bool		nulls[8];

				if (b->counts.c[k] == 0)
					continue;
				memset(nulls, 0, sizeof(nulls));
				values[0] = CharGetDatum(f.count_kinds[k]);
				values[1] = TimestampGetDatum(b->bucket);
				values[2] = TimestampTzGetDatum(b_start);
				values[3] = TimestampTzGetDatum(b_end);
				nulls[4] = c->key.channel == NULL;
				values[4] = c->key.channel ? CStringGetTextDatum(c->key.channel) : (Datum) 0;
				values[5] = c->key.segment;
				nulls[6] = c->key.state == NULL;
				values[6] = c->key.state ? CStringGetTextDatum(c->key.state) : (Datum) 0;
				values[7] = Int64GetDatum(b->counts.c[k]);
				tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
			}
		}
	}
	return (Datum) 0;
}

/*
 * The caller may read moves: SELECT on diversion_summary, or on one view of
 * the churn cells and one of the counts (or on the tables).
 */
static void
check_move_privilege(Oid relid)
{
	check_read_privilege(relid, SUMMARY_FAMILY_CHURN);
	check_read_privilege(relid, 0);
}

/*
 * Whether this call site has checked the caller's privilege in this query
 * (fn_extra), and from now on it has: diversion_summary may call
 * _move_changed_from and _channel_base for every row, and what the check
 * finds depends on the caller, not on the arguments.
 */
static bool
checked_here(FunctionCallInfo fcinfo)
{
	if (fcinfo->flinfo->fn_extra != NULL)
		return true;
	fcinfo->flinfo->fn_extra = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, 1);
	return false;
}

PG_FUNCTION_INFO_V1(churn_move_changed_from);

/*
 * churn._move_changed_from(relation regclass) → timestamptz: the start of
 * moves_from, the first bucket whose moves _move_changes returns (NULL when
 * it returns none); diversion_summary reads the stored moves before it
 */
Datum
churn_move_changed_from(PG_FUNCTION_ARGS)
{
	Datum		relid = PG_GETARG_DATUM(0);
	Family		f;
	Timestamp	from;

	if (!checked_here(fcinfo))
		check_move_privilege(DatumGetObjectId(relid));
	read_family_checked(&f, relid, SUMMARY_FAMILY_CHURN, false, COUNTS_MOVES);
	if (!moves_from(&f, &from))
		PG_RETURN_NULL();
	PG_RETURN_TIMESTAMPTZ(bucket_start(&f, from));
}

PG_FUNCTION_INFO_V1(churn_move_changes);

/*
 * churn._move_changes(relation regclass) → SETOF (bucket_start,
 * bucket_end, from_channel, to_channel, moved, from_base): the moves of
 * every pair of channels from moves_from on, stored plus pending and summed
 * over segments, the sums of nothing left out, each with the base of the
 * channel left in its bucket (NULL if the channel has no cell there)
 */
Datum
churn_move_changes(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum		relid = PG_GETARG_DATUM(0);
	Family		f;
	Timestamp	from;
	Cell	   *moves;
	int			nmoves;
	bool		have_bucket = false;
	Timestamp	bucket = 0;
	TimestampTz b_start = 0;
	TimestampTz b_end = 0;

	InitMaterializedSRF(fcinfo, 0);
	check_move_privilege(DatumGetObjectId(relid));
	read_family_checked(&f, relid, SUMMARY_FAMILY_CHURN, true, COUNTS_MOVES);
	if (!moves_from(&f, &from))
		return (Datum) 0;
	read_moves(&f, from, &moves, &nmoves);
	for (int i = 0; i < nmoves; i++)
	{
		const Cell *c = &moves[i];

		for (int j = 0; j < c->npending; j++)
		{
			const CellBucket *b = &c->pending[j];
			int64		base;
			Datum		values[6];
			bool		nulls[6];

			if (b->counts.c[0] == 0)
				continue;
			/* a bucket's start and end once for a run of its moves */
			if (!have_bucket || b->bucket != bucket)
			{
				bucket = b->bucket;
				b_start = bucket_start(&f, bucket);
				b_end = bucket_start(&f, next_bucket(&f, bucket));
				have_bucket = true;
			}
			memset(nulls, 0, sizeof(nulls));
			values[0] = TimestampTzGetDatum(b_start);
			values[1] = TimestampTzGetDatum(b_end);
			nulls[2] = c->key.channel == NULL;
			values[2] = c->key.channel ? CStringGetTextDatum(c->key.channel) : (Datum) 0;
			nulls[3] = c->key.state == NULL;
			values[3] = c->key.state ? CStringGetTextDatum(c->key.state) : (Datum) 0;
			values[4] = Int64GetDatum(b->counts.c[0]);
			nulls[5] = !channel_base(bucket_bases(&f, b->bucket, b_start), c->key.channel, &base);
			values[5] = Int64GetDatum(base);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(churn_channel_base);

/*
 * churn._channel_base(relation regclass, bucket_start timestamptz, channel
 * text) → int8: the base of a channel in a bucket of a tracked table, the
 * customers it had during the bucket (NULL if it has no cell there), as of
 * the query's snapshot (diversion_summary calls it for every stored move)
 */
Datum
churn_channel_base(PG_FUNCTION_ARGS)
{
	Datum		relid;
	TimestampTz start;
	char	   *channel;
	Family		f;
	Timestamp	b;
	int64		base;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	relid = PG_GETARG_DATUM(0);
	start = PG_GETARG_TIMESTAMPTZ(1);
	channel = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	if (!checked_here(fcinfo))
		check_read_privilege(DatumGetObjectId(relid), SUMMARY_FAMILY_CHURN);
	read_family_checked(&f, relid, SUMMARY_FAMILY_CHURN, false, COUNTS_NONE);
	b = DatumGetTimestamp(DirectFunctionCall2(timestamptz_zone, f.zone,
											  TimestampTzGetDatum(start)));
	/* a bucket whose rows the pending counts or the passing time change */
	if (f.has_changed_from && b >= f.changed_from)
		read_family_checked(&f, relid, SUMMARY_FAMILY_CHURN, true, COUNTS_NONE);
	if (!channel_base(bucket_bases(&f, b, start), channel, &base))
		PG_RETURN_NULL();
	PG_RETURN_INT64(base);
}
