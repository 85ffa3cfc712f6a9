/*-------------------------------------------------------------------------
 *
 * summary_fast.c
 *	  Capture in C, without the set-based capture statement.
 *
 * A single-customer INSERT, UPDATE or DELETE is the common write of an
 * application.  Planning and starting the set-based capture statement of
 * summary_sql.c costs more than the write itself, so:
 *
 * - INSERTs (COPY included) of any size are grouped in a hash table while
 *   the transition table is read: new customers have no history, so the
 *   events follow from the groups (summary_fast_bulk_insert);
 * - UPDATE and DELETE statements of up to SUMMARY_FAST_MAX rows are read and
 *   paired in C, rows whose tracked values did not change are skipped, the
 *   history of the customers involved is read through its index, moves,
 *   reactivations and state transitions are recorded, and the events (the
 *   same as churn._timeline and the fast path of summary_sql.c give, which
 *   churn.verify recomputes) are computed by the C twin of churn._timeline
 *   (summary_fast_capture).
 *
 * Deltas and history are written with heap (and index) calls: the tables
 * are churn's own, append-only or keyed by one index, and the executor would
 * add nothing but its start-up cost.  Bigger UPDATE and DELETE statements
 * use the set-based statement.
 *
 * Values are converted to text exactly as the SQL path does ("x::text"):
 * through the cast function to text when the type has one, else through its
 * output function.  Types whose cast to text is neither are left to the SQL
 * path.
 *
 * src/summary_fast.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/hash.h"
#include "common/hashfn.h"
#include "access/htup_details.h"
#include "access/skey.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "common/int.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "pgtime.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "parser/parse_coerce.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/fmgroids.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "utils/typcache.h"

#include "summary.h"

/* how a column becomes text, as "col::text" does */
typedef enum TextWay
{
	TEXT_VIA_OUTPUT,
	TEXT_RELABEL,
	TEXT_VIA_FUNC
} TextWay;

typedef struct FastColumn
{
	char	   *name;
	Oid			atttype;
	AttrNumber	attnum;
	Oid			basetype;
	TextWay		way;
	FmgrInfo	fn;				/* output function or cast function */
} FastColumn;

struct SummaryFastInfo
{
	bool		usable;
	FastColumn	customer;
	FastColumn	since;
	FastColumn	until;
	bool		has_channel;
	FastColumn	channel;
	bool		has_reason;
	FastColumn	reason;
	bool		has_state;
	FastColumn	state;
	bool		has_changed_at;
	FastColumn	changed_at;
	int			nsegments;
	char	  **segment_names;
	FastColumn *segments;
	/* whether the customer column alone is unique, as of these indexes */
	List	   *index_oids;
	bool		key_unique;
};

/* one normalized row of a transition table */
typedef struct CapRow
{
	char	   *key;
	bool		has_s;
	bool		has_u;
	Timestamp	s;
	Timestamp	u;
	Timestamp	c;
	char	   *ch;
	char	   *sg;				/* jsonb text of the segment values */
	char	   *rs;
	char	   *st;
	int			pair;			/* index of the paired row, or -1 */
	bool		changed;
} CapRow;

/* one history entry of a customer */
typedef struct HistEntry
{
	int64		seq;
	Timestamp	at;
	char		kind;
	char	   *channel;
	char	   *from_channel;
	bool		has_lost;
	Timestamp	lost_at;
	char	   *reason;
	char	   *from_state;
	char	   *to_state;
} HistEntry;

/* the history of one customer: its entries, and its row of churn.history */
typedef struct HistList
{
	int			n;
	int			cap;
	HistEntry  *e;
	bool		stored;			/* the customer has a row */
	ItemPointerData tid;		/* its row */
	int			nstored;		/* its entries as stored (composite datums) */
	Datum	   *stored_elems;
	int			nadded;			/* entries this statement adds */
	bool		written;		/* heap_write_history: row written or deleted */
} HistList;

/* churn.history: relid 1, customer 2, entries 3 (churn.history_entry[]) */
#define HISTORY_NATTS		3
#define HISTORY_ENTRY_NATTS	9

/* events to append */
typedef struct EventBuf
{
	int			n;
	int			cap;
	Datum	   *b;
	Datum	   *kind;
	Datum	   *ch;
	bool	   *ch_null;
	Datum	   *sg;
	Datum	   *d;
	bool	   *d_null;
	Datum	   *w;
} EventBuf;

static SPIPlanPtr write_plan = NULL;
static SPIPlanPtr events_plan = NULL;

static bool
setup_column(Relation rel, const char *name, FastColumn *col)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int			attno = SPI_fnumber(desc, name);
	Oid			funcid = InvalidOid;
	CoercionPathType path;

	if (attno <= 0)
		return false;
	col->name = MemoryContextStrdup(TopMemoryContext, name);
	col->atttype = SPI_gettypeid(desc, attno);
	col->attnum = attno;
	col->basetype = getBaseType(SPI_gettypeid(desc, attno));
	path = find_coercion_pathway(TEXTOID, col->basetype, COERCION_EXPLICIT, &funcid);
	if (col->basetype == TEXTOID)
		path = COERCION_PATH_RELABELTYPE;
	switch (path)
	{
		case COERCION_PATH_COERCEVIAIO:
			{
				Oid			outfn;
				bool		isvarlena;

				getTypeOutputInfo(col->basetype, &outfn, &isvarlena);
				fmgr_info_cxt(outfn, &col->fn, TopMemoryContext);
				col->way = TEXT_VIA_OUTPUT;
				return true;
			}
		case COERCION_PATH_RELABELTYPE:
			col->way = TEXT_RELABEL;
			return true;
		case COERCION_PATH_FUNC:
			if (!OidIsValid(funcid) || get_func_nargs(funcid) != 1)
				return false;
			fmgr_info_cxt(funcid, &col->fn, TopMemoryContext);
			col->way = TEXT_VIA_FUNC;
			return true;
		default:
			return false;
	}
}

/*
 * Build the per-trigger conversion information (in TopMemoryContext).  The
 * result has usable = false when some column needs the SQL path.
 */
/*
 * Whether some valid, immediate unique index of rel has the customer column
 * as its only key column (no expressions, no predicate).  Otherwise one
 * customer value can be in two rows (a partitioned table's key including the
 * partition key, a deferrable constraint), written by transactions that do
 * not share a row lock, so the capture serializes writers of a customer's
 * history itself (lock_customers).
 */
static bool
customer_key_unique(Relation rel, AttrNumber attnum)
{
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;
	bool		unique = false;

	foreach(lc, indexes)
	{
		HeapTuple	tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(lc)));
		Form_pg_index ix;

		if (!HeapTupleIsValid(tup))
			continue;
		ix = (Form_pg_index) GETSTRUCT(tup);
		if (ix->indisunique && ix->indimmediate && ix->indisvalid &&
			ix->indnkeyatts == 1 && ix->indkey.values[0] == attnum &&
			heap_attisnull(tup, Anum_pg_index_indexprs, NULL) &&
			heap_attisnull(tup, Anum_pg_index_indpred, NULL))
			unique = true;
		ReleaseSysCache(tup);
		if (unique)
			break;
	}
	list_free(indexes);
	return unique;
}

/*
 * The customer key's uniqueness, recomputed when the table's set of indexes
 * changed since it was last looked at (an index's uniqueness, keys and
 * deferrability cannot change without a new index OID).
 */
static bool
key_unique(SummaryFastInfo *info, Relation rel)
{
	List	   *indexes = RelationGetIndexList(rel);

	if (!equal(indexes, info->index_oids))
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		list_free(info->index_oids);
		info->index_oids = list_copy(indexes);
		info->key_unique = customer_key_unique(rel, info->customer.attnum);
		MemoryContextSwitchTo(old);
	}
	list_free(indexes);
	return info->key_unique;
}

SummaryFastInfo *
summary_fast_setup(const SummaryConfig *cfg, Relation rel)
{
	SummaryFastInfo *info;
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
	bool		ok = true;

	info = palloc0(sizeof(SummaryFastInfo));
	ok &= setup_column(rel, cfg->customer, &info->customer);
	ok &= setup_column(rel, cfg->since, &info->since);
	ok &= setup_column(rel, cfg->until, &info->until);
	if (cfg->channel)
	{
		info->has_channel = true;
		ok &= setup_column(rel, cfg->channel, &info->channel);
	}
	if (cfg->reason)
	{
		info->has_reason = true;
		ok &= setup_column(rel, cfg->reason, &info->reason);
	}
	if (cfg->state)
	{
		info->has_state = true;
		ok &= setup_column(rel, cfg->state, &info->state);
	}
	if (cfg->changed_at)
	{
		info->has_changed_at = true;
		ok &= setup_column(rel, cfg->changed_at, &info->changed_at);
	}
	info->nsegments = cfg->nsegments;
	info->segments = palloc0(sizeof(FastColumn) * (cfg->nsegments + 1));
	info->segment_names = palloc0(sizeof(char *) * (cfg->nsegments + 1));
	for (int i = 0; i < cfg->nsegments; i++)
	{
		info->segment_names[i] = pstrdup(cfg->segments[i]);
		ok &= setup_column(rel, cfg->segments[i], &info->segments[i]);
	}
	info->usable = ok;
	MemoryContextSwitchTo(old);
	return info;
}

bool
summary_fast_usable(const SummaryFastInfo *info)
{
	return info != NULL && info->usable;
}

static bool
column_still_there(const FastColumn *col, TupleDesc desc)
{
	Form_pg_attribute att;

	if (col->name == NULL)
		return true;			/* not set up: the info is unusable anyway */
	if (col->attnum > desc->natts)
		return false;
	att = TupleDescAttr(desc, col->attnum - 1);
	return !att->attisdropped && att->atttypid == col->atttype &&
		strcmp(NameStr(att->attname), col->name) == 0;
}

/*
 * Whether every tracked column is still where the cached plans and
 * conversions expect it (not dropped, renamed or retyped).
 */
bool
summary_fast_still_valid(const SummaryFastInfo *info, Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);

	if (info == NULL)
		return true;
	if (!column_still_there(&info->customer, desc) ||
		!column_still_there(&info->since, desc) ||
		!column_still_there(&info->until, desc))
		return false;
	if (info->has_channel && !column_still_there(&info->channel, desc))
		return false;
	if (info->has_reason && !column_still_there(&info->reason, desc))
		return false;
	if (info->has_state && !column_still_there(&info->state, desc))
		return false;
	if (info->has_changed_at && !column_still_there(&info->changed_at, desc))
		return false;
	for (int i = 0; i < info->nsegments; i++)
		if (!column_still_there(&info->segments[i], desc))
			return false;
	return true;
}

/* customers pair only on equal, non-NULL keys (as "o.k = n.k" in SQL) */
static bool
key_eq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static char *
column_text(FastColumn *col, TupleTableSlot *slot)
{
	bool		isnull;
	Datum		d = slot_getattr(slot, col->attnum, &isnull);

	if (isnull)
		return NULL;
	switch (col->way)
	{
		case TEXT_VIA_OUTPUT:
			return OutputFunctionCall(&col->fn, d);
		case TEXT_RELABEL:
			return TextDatumGetCString(d);
		case TEXT_VIA_FUNC:
			return TextDatumGetCString(FunctionCall1(&col->fn, d));
	}
	return NULL;
}

/*
 * The time zone of a tracked table, for converting its timestamptz values to
 * local timestamps as timezone(zone, value) does.  A zone of a fixed offset
 * from UTC (UTC itself, Etc/UTC, Etc/GMT-3, ...), the usual choice of a
 * server, is an addition: timezone() would parse the zone's name for every
 * value (an eighth of what the capture of a COPY costs in C).
 */
typedef struct LocalZone
{
	Datum		name;			/* text, for timezone() */
	bool		fixed;			/* a fixed offset from UTC */
	int64		offset;			/* that offset, in microseconds east */
} LocalZone;

/*
 * The zone of the last statement: whether a name is a fixed offset can only
 * change with timezone_abbreviations (timezone() prefers an abbreviation to
 * a zone of the same name).
 */
static char last_zone_name[NAMEDATALEN * 2];
static char *last_zone_abbrevs = NULL;
static bool last_zone_fixed;
static int64 last_zone_offset;

static void
local_zone_init(LocalZone *z, const char *time_zone)
{
	const char *abbrevs = GetConfigOption("timezone_abbreviations", true, false);

	z->name = CStringGetTextDatum(time_zone);
	if (last_zone_abbrevs == NULL || abbrevs == NULL ||
		strcmp(last_zone_name, time_zone) != 0 || strcmp(last_zone_abbrevs, abbrevs) != 0)
	{
		pg_tz	   *tzp = pg_tzset(time_zone);
		long int	gmtoff;
		bool		fixed = false;
		int64		offset = 0;

		if (tzp != NULL && pg_get_timezone_offset(tzp, &gmtoff))
		{
			/*
			 * The zone has one offset for all time.  An abbreviation of the
			 * same name would win in timezone(), and a zone with leap
			 * seconds (right/UTC) drifts from its offset: the result must
			 * be the zone's offset at times far apart.
			 */
			static const TimestampTz probes[] = {
				INT64CONST(-1577836800000000),	/* 1950-01-01 */
				INT64CONST(0),	/* 2000-01-01 */
				INT64CONST(773107200000000)		/* 2024-07-01 */
			};

			fixed = true;
			offset = (int64) gmtoff * USECS_PER_SEC;
			for (int i = 0; i < lengthof(probes); i++)
			{
				Datum		local = DirectFunctionCall2(timestamptz_zone, z->name,
														TimestampTzGetDatum(probes[i]));

				if (DatumGetTimestamp(local) != probes[i] + offset)
					fixed = false;
			}
		}

		/*
		 * Remember it only when all is known (a probe may fail), the new key
		 * allocated before the old one is freed.
		 */
		if (strlen(time_zone) < sizeof(last_zone_name) && abbrevs != NULL)
		{
			char	   *key = MemoryContextStrdup(TopMemoryContext, abbrevs);

			if (last_zone_abbrevs != NULL)
				pfree(last_zone_abbrevs);
			last_zone_abbrevs = key;
			strlcpy(last_zone_name, time_zone, sizeof(last_zone_name));
			last_zone_fixed = fixed;
			last_zone_offset = offset;
		}
		z->fixed = fixed;
		z->offset = offset;
		return;
	}
	z->fixed = last_zone_fixed;
	z->offset = last_zone_offset;
}

/* timezone(zone, t) */
static Timestamp
local_time(const LocalZone *z, TimestampTz t)
{
	Timestamp	r;

	if (z->fixed && !TIMESTAMP_NOT_FINITE(t) &&
		!pg_add_s64_overflow(t, z->offset, &r) && IS_VALID_TIMESTAMP(r))
		return r;
	/* other zones, infinities, and out of range (for its error) */
	return DatumGetTimestamp(DirectFunctionCall2(timestamptz_zone, z->name,
												 TimestampTzGetDatum(t)));
}

/* a time column as the local timestamp of the fixed time zone */
static bool
column_local(FastColumn *col, TupleTableSlot *slot, const LocalZone *tz, Timestamp *result)
{
	bool		isnull;
	Datum		d = slot_getattr(slot, col->attnum, &isnull);

	if (isnull)
		return false;
	if (col->basetype == TIMESTAMPTZOID)
		*result = local_time(tz, DatumGetTimestampTz(d));
	else if (col->basetype == DATEOID)
		*result = DatumGetTimestamp(DirectFunctionCall1(date_timestamp, d));
	else
		*result = DatumGetTimestamp(d);
	return true;
}

/*
 * The check of summary_sql.c on a row's raw values: until >= since.  key is
 * the row's customer as text, if the caller has it.
 */
static void
check_period(SummaryFastInfo *info, TupleTableSlot *slot, const char *key)
{
	bool		s_null;
	bool		u_null;
	Datum		sd = slot_getattr(slot, info->since.attnum, &s_null);
	Datum		ud = slot_getattr(slot, info->until.attnum, &u_null);
	bool		bad;

	if (s_null || u_null)
		return;
	if (info->since.basetype == DATEOID)
		bad = DatumGetDateADT(ud) < DatumGetDateADT(sd);
	else
		bad = DatumGetTimestamp(ud) < DatumGetTimestamp(sd);
	if (!bad)
		return;
	if (key == NULL)
		key = column_text(&info->customer, slot);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("until value \"%s\" precedes since value \"%s\" of customer \"%s\"",
					column_text(&info->until, slot), column_text(&info->since, slot),
					key ? key : "NULL"),
			 errhint("A customer cannot stop before it starts; correct the row or set until to NULL.")));
}

/*
 * summary_fast_check_rows: the checks of a statement's new rows that need
 * no history, for a statement whose capture comes later (summary_order.c):
 * its errors are raised in the statement, where the caller can catch them.
 */
void
summary_fast_check_rows(TriggerData *trigdata, SummaryFastInfo *info)
{
	Tuplestorestate *ts = trigdata->tg_newtable;
	TupleTableSlot *slot;
	int			ptr;

	if (ts == NULL || info == NULL)
		return;
	slot = MakeSingleTupleTableSlot(RelationGetDescr(trigdata->tg_relation), &TTSOpsMinimalTuple);
	ptr = tuplestore_alloc_read_pointer(ts, EXEC_FLAG_REWIND);
	tuplestore_select_read_pointer(ts, ptr);
	tuplestore_rescan(ts);
	while (tuplestore_gettupleslot(ts, true, false, slot))
		check_period(info, slot, NULL);
	tuplestore_select_read_pointer(ts, 0);
	ExecDropSingleTupleTableSlot(slot);
}

static void
read_rows(Tuplestorestate *ts, Relation rel, SummaryFastInfo *info, const LocalZone *tz,
		  CapRow **rows_out, int *n_out)
{
	TupleTableSlot *slot = MakeSingleTupleTableSlot(RelationGetDescr(rel), &TTSOpsMinimalTuple);
	int			n = (int) tuplestore_tuple_count(ts);
	CapRow	   *rows = palloc0(sizeof(CapRow) * (n + 1));
	int			ptr = tuplestore_alloc_read_pointer(ts, EXEC_FLAG_REWIND);
	int			i = 0;
	Timestamp	now_local;

	now_local = local_time(tz, GetCurrentTransactionStartTimestamp());
	tuplestore_select_read_pointer(ts, ptr);
	tuplestore_rescan(ts);
	while (i < n && tuplestore_gettupleslot(ts, true, false, slot))
	{
		CapRow	   *r = &rows[i++];

		r->key = column_text(&info->customer, slot);
		check_period(info, slot, r->key);
		r->has_s = column_local(&info->since, slot, tz, &r->s);
		r->has_u = column_local(&info->until, slot, tz, &r->u);
		if (!info->has_changed_at || !column_local(&info->changed_at, slot, tz, &r->c))
			r->c = now_local;
		r->ch = info->has_channel ? column_text(&info->channel, slot) : NULL;
		r->rs = info->has_reason ? column_text(&info->reason, slot) : NULL;
		r->st = info->has_state ? column_text(&info->state, slot) : NULL;
		if (info->nsegments > 0)
		{
			StringInfoData sg;

			initStringInfo(&sg);
			appendStringInfoChar(&sg, '{');
			for (int j = 0; j < info->nsegments; j++)
			{
				char	   *v = column_text(&info->segments[j], slot);

				if (j > 0)
					appendStringInfoString(&sg, ", ");
				escape_json(&sg, info->segment_names[j]);
				appendStringInfoString(&sg, ": ");
				if (v)
					escape_json(&sg, v);
				else
					appendStringInfoString(&sg, "null");
			}
			appendStringInfoChar(&sg, '}');
			r->sg = sg.data;
		}
		else
			r->sg = "{}";
		r->pair = -1;
		r->changed = true;
	}
	tuplestore_select_read_pointer(ts, 0);
	ExecDropSingleTupleTableSlot(slot);
	*rows_out = rows;
	*n_out = i;
}

static bool
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool
same_tracked(const CapRow *a, const CapRow *b)
{
	return a->has_s == b->has_s && (!a->has_s || a->s == b->s) &&
		a->has_u == b->has_u && (!a->has_u || a->u == b->u) &&
		str_eq(a->ch, b->ch) && str_eq(a->sg, b->sg) &&
		str_eq(a->rs, b->rs) && str_eq(a->st, b->st);
}

/* ---- events ---- */

static void
add_event(EventBuf *ev, Timestamp b, char kind, const char *ch, const char *sg,
		  const char *d, int w)
{
	if (ev->n == ev->cap)
	{
		int			cap = ev->cap ? ev->cap * 2 : 16;

		if (ev->cap == 0)
		{
			ev->b = palloc(sizeof(Datum) * cap);
			ev->kind = palloc(sizeof(Datum) * cap);
			ev->ch = palloc(sizeof(Datum) * cap);
			ev->ch_null = palloc(sizeof(bool) * cap);
			ev->sg = palloc(sizeof(Datum) * cap);
			ev->d = palloc(sizeof(Datum) * cap);
			ev->d_null = palloc(sizeof(bool) * cap);
			ev->w = palloc(sizeof(Datum) * cap);
		}
		else
		{
			ev->b = repalloc(ev->b, sizeof(Datum) * cap);
			ev->kind = repalloc(ev->kind, sizeof(Datum) * cap);
			ev->ch = repalloc(ev->ch, sizeof(Datum) * cap);
			ev->ch_null = repalloc(ev->ch_null, sizeof(bool) * cap);
			ev->sg = repalloc(ev->sg, sizeof(Datum) * cap);
			ev->d = repalloc(ev->d, sizeof(Datum) * cap);
			ev->d_null = repalloc(ev->d_null, sizeof(bool) * cap);
			ev->w = repalloc(ev->w, sizeof(Datum) * cap);
		}
		ev->cap = cap;
	}
	ev->b[ev->n] = TimestampGetDatum(b);
	ev->kind[ev->n] = CharGetDatum(kind);
	ev->ch_null[ev->n] = (ch == NULL);
	ev->ch[ev->n] = ch ? CStringGetTextDatum(ch) : (Datum) 0;
	ev->sg[ev->n] = CStringGetTextDatum(sg);
	ev->d_null[ev->n] = (d == NULL);
	ev->d[ev->n] = d ? CStringGetTextDatum(d) : (Datum) 0;
	ev->w[ev->n] = Int32GetDatum(w);
	ev->n++;
}

/* text datums equal (both NULL, or same bytes) */
static bool
text_datum_eq(Datum a, bool anull, Datum b, bool bnull)
{
	if (anull || bnull)
		return anull && bnull;
	return VARSIZE_ANY_EXHDR(DatumGetPointer(a)) == VARSIZE_ANY_EXHDR(DatumGetPointer(b)) &&
		memcmp(VARDATA_ANY(DatumGetPointer(a)), VARDATA_ANY(DatumGetPointer(b)),
			   VARSIZE_ANY_EXHDR(DatumGetPointer(a))) == 0;
}

/*
 * Sum identical events and drop those that cancel out (an old and a new
 * contribution of the same row), as the GROUP BY ... HAVING of the SQL path.
 */
static void
merge_events(EventBuf *ev)
{
	int			out = 0;

	for (int i = 0; i < ev->n; i++)
	{
		int			j;

		for (j = 0; j < out; j++)
			if (ev->b[j] == ev->b[i] && ev->kind[j] == ev->kind[i] &&
				text_datum_eq(ev->ch[j], ev->ch_null[j], ev->ch[i], ev->ch_null[i]) &&
				text_datum_eq(ev->sg[j], false, ev->sg[i], false) &&
				text_datum_eq(ev->d[j], ev->d_null[j], ev->d[i], ev->d_null[i]))
				break;
		if (j < out)
			ev->w[j] = Int32GetDatum(DatumGetInt32(ev->w[j]) + DatumGetInt32(ev->w[i]));
		else
		{
			ev->b[out] = ev->b[i];
			ev->kind[out] = ev->kind[i];
			ev->ch[out] = ev->ch[i];
			ev->ch_null[out] = ev->ch_null[i];
			ev->sg[out] = ev->sg[i];
			ev->d[out] = ev->d[i];
			ev->d_null[out] = ev->d_null[i];
			ev->w[out] = ev->w[i];
			out++;
		}
	}
	ev->n = 0;
	for (int i = 0; i < out; i++)
		if (DatumGetInt32(ev->w[i]) != 0)
		{
			ev->b[ev->n] = ev->b[i];
			ev->kind[ev->n] = ev->kind[i];
			ev->ch[ev->n] = ev->ch[i];
			ev->ch_null[ev->n] = ev->ch_null[i];
			ev->sg[ev->n] = ev->sg[i];
			ev->d[ev->n] = ev->d[i];
			ev->d_null[ev->n] = ev->d_null[i];
			ev->w[ev->n] = ev->w[i];
			ev->n++;
		}
}

/* timeline points, as in churn._timeline */
typedef struct Point
{
	Timestamp	at;
	int			ord;
	int64		seq;
	char		what;			/* N, L, m, r, s */
	const char *channel;
	const char *reason;
	const char *to_state;
} Point;

static int
point_cmp(const void *a, const void *b)
{
	const Point *x = a;
	const Point *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	if (x->ord != y->ord)
		return x->ord < y->ord ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return 0;
}

static int
hist_cmp(const void *a, const void *b)
{
	const HistEntry *x = a;
	const HistEntry *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return 0;
}

/*
 * The events of one customer row with its history (possibly empty): the C
 * twin of churn._timeline in src/sql/500_summaries.sql.
 */
static void
timeline(EventBuf *ev, const CapRow *r, HistEntry *h, int nh, const Interval *width,
		 bool with_reason, int w)
{
	const char *cur_ch = r->ch;
	const char *cur_st = r->st;
	bool		started = false;
	bool		active = false;
	Timestamp	stay_start = 0;
	bool		have_react = false;
	Timestamp	last_react = 0;
	Point	   *pts;
	int			np = 0;

	if (!r->has_s)
		return;
	if (nh > 1)
		qsort(h, nh, sizeof(HistEntry), hist_cmp);
	for (int i = 0; i < nh; i++)
		if (h[i].kind == 'm')
		{
			cur_ch = h[i].from_channel;
			break;
		}
	for (int i = 0; i < nh; i++)
		if (h[i].kind == 's')
		{
			cur_st = h[i].from_state;
			break;
		}
	for (int i = 0; i < nh; i++)
		if (h[i].kind == 'r' && (!have_react || h[i].at > last_react))
		{
			have_react = true;
			last_react = h[i].at;
		}
	if (r->has_u && have_react && r->u < last_react)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("until value \"%s\" precedes the reactivation at \"%s\" of customer \"%s\"",
						DatumGetCString(DirectFunctionCall1(timestamp_out, TimestampGetDatum(r->u))),
						DatumGetCString(DirectFunctionCall1(timestamp_out, TimestampGetDatum(last_react))),
						r->key ? r->key : "NULL"),
				 errhint("A customer won back cannot have stopped before it came back; correct the row or set until to NULL.")));

	pts = palloc(sizeof(Point) * (2 * nh + 2));
	pts[np++] = (Point)
	{
		r->s, 0, 0, 'N', NULL, NULL, NULL
	};
	for (int i = 0; i < nh; i++)
	{
		if (h[i].kind == 'r')
			pts[np++] = (Point)
		{
			h[i].lost_at, 1, h[i].seq, 'L', NULL, h[i].reason, NULL
		};
		pts[np++] = (Point)
		{
			h[i].at, h[i].kind == 'm' ? 2 : h[i].kind == 'r' ? 3 : 4, h[i].seq,
				h[i].kind, h[i].channel, NULL, h[i].to_state
		};
	}
	if (r->has_u)
		pts[np++] = (Point)
	{
		r->u, 5, 0, 'L', NULL, r->rs, NULL
	};
	qsort(pts, np, sizeof(Point), point_cmp);

	for (int i = 0; i < np; i++)
	{
		Point	   *p = &pts[i];
		Timestamp	b = summary_bucket_floor(p->at, width);

		switch (p->what)
		{
			case 'N':
				started = true;
				active = true;
				stay_start = p->at;
				add_event(ev, b, 'n', cur_ch, r->sg, NULL, w);
				if (cur_st)
					add_event(ev, b, 's', NULL, "{}", cur_st, w);
				break;
			case 'L':
				if (active)
				{
					active = false;
					add_event(ev, b, 'l', cur_ch, r->sg, NULL, w);
					if (summary_bucket_floor(stay_start, width) < b)
						add_event(ev, b, 'f', cur_ch, r->sg, NULL, w);
					if (with_reason)
						add_event(ev, b, 'c', cur_ch, "{}", p->reason, w);
				}
				break;
			case 'm':
				if (active && !str_eq(cur_ch, p->channel))
				{
					add_event(ev, b, 'o', cur_ch, r->sg, NULL, w);
					add_event(ev, b, 'i', p->channel, r->sg, NULL, w);
					add_event(ev, b, 'd', cur_ch, "{}", p->channel, w);
					stay_start = p->at;
				}
				cur_ch = p->channel;
				break;
			case 'r':
				if (started && !active)
				{
					active = true;
					stay_start = p->at;
					add_event(ev, b, 'r', cur_ch, r->sg, NULL, w);
				}
				break;
			case 's':
				if (started && !str_eq(cur_st, p->to_state))
				{
					if (cur_st)
						add_event(ev, b, 'x', NULL, "{}", cur_st, w);
					if (p->to_state)
						add_event(ev, b, 's', NULL, "{}", p->to_state, w);
					if (cur_st && p->to_state)
						add_event(ev, b, 't', NULL, "{}", psprintf("%s>%s", cur_st, p->to_state), w);
				}
				cur_st = p->to_state;
				break;
		}
	}
}

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
 * The OIDs of churn's own relations, looked up by name once per backend and
 * forgotten on any invalidation that could change the answer: a relcache
 * invalidation of one of them (drop, rename, ALTER) or of everything, and any
 * change of a schema.  Every capture used to do the two syscache lookups.
 */
#define CHURN_NRELS 3
static const char *const churn_rel_names[CHURN_NRELS] = {
	"history", "history_customer", "summary_delta"
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
static Oid
churn_relid(const char *name)
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

/* the row type of churn.history's entries, with what arrays of it need */
typedef struct HistoryEntryType
{
	TupleDesc	desc;
	int16		len;
	bool		byval;
	char		align;
} HistoryEntryType;

/*
 * The row type of churn.history's entries, checked to be the one this file
 * reads and writes: churn.history_entry (seq, at, kind, channel,
 * from_channel, lost_at, reason, from_state, to_state).  Looked up once per
 * statement, by fetch_history, and used again to write.
 */
static void
history_entry_type(Relation hrel, HistoryEntryType *et)
{
	TupleDesc	desc = RelationGetDescr(hrel);
	Oid			elemtype;
	TupleDesc	edesc;

	if (desc->natts != HISTORY_NATTS ||
		!OidIsValid(elemtype = get_element_type(TupleDescAttr(desc, 2)->atttypid)))
		elog(ERROR, "churn.history does not have the columns of this version of churn");
	edesc = lookup_rowtype_tupdesc_copy(elemtype, -1);
	if (edesc->natts != HISTORY_ENTRY_NATTS ||
		TupleDescAttr(edesc, 0)->atttypid != INT4OID ||
		TupleDescAttr(edesc, 1)->atttypid != TIMESTAMPOID ||
		TupleDescAttr(edesc, 2)->atttypid != CHAROID ||
		TupleDescAttr(edesc, 5)->atttypid != TIMESTAMPOID)
		elog(ERROR, "churn.history_entry does not have the fields of this version of churn");
	et->desc = edesc;
	get_typlenbyvalalign(edesc->tdtypeid, &et->len, &et->byval, &et->align);
}

/*
 * History of the given customers (index-aligned with keys): one row per
 * customer, read through the primary key on (relid, customer), its entries
 * decoded.
 *
 * The scan sees the latest committed state (SnapshotSelf), not an MVCC
 * snapshot: a customer's history is only written by transactions that hold
 * the lock on its row (or lock_customers' lock, when the customer column is
 * not unique by itself), which this statement holds now, so the latest state
 * is the one that follows from the row; and a non-MVCC scan takes no
 * predicate locks, so SERIALIZABLE writers of different customers do not
 * conflict through the history index.
 */
static HistList *
fetch_history(Oid tracked, char **keys, int nkeys, HistoryEntryType *et)
{
	HistList   *lists = palloc0(sizeof(HistList) * (nkeys + 1));
	Oid			idxoid = churn_relid("history_customer");
	Relation	hrel = table_open(churn_relid("history"), AccessShareLock);
	Relation	irel = index_open(idxoid, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(hrel);
	TupleDesc	edesc;
	Datum		values[HISTORY_NATTS];
	bool		nulls[HISTORY_NATTS];

	history_entry_type(hrel, et);
	edesc = et->desc;
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
			bool	   *enulls;

			/* the primary key allows one row */
			if (l->stored)
				elog(ERROR, "churn.history has two rows for customer \"%s\"", keys[k]);
			heap_deform_tuple(tup, desc, values, nulls);
			l->stored = true;
			l->tid = tup->t_self;
			/*
			 * A copy, never the tuple's bytes: an uncompressed in-line array
			 * points into the shared buffer, whose pin systable_endscan
			 * drops, and stored_elems are read again in heap_write_history
			 * after the page may have been pruned (and compacted) by another
			 * backend, VACUUM or an index probe of this one.
			 */
			arr = DatumGetArrayTypePCopy(values[2]);
			deconstruct_array(arr, edesc->tdtypeid, et->len, et->byval, et->align,
							  &l->stored_elems, &enulls, &l->nstored);
			l->cap = l->nstored + 4;
			l->e = palloc(sizeof(HistEntry) * l->cap);
			for (int j = 0; j < l->nstored; j++)
			{
				HeapTupleHeader th;
				HeapTupleData et;
				Datum		ev[HISTORY_ENTRY_NATTS];
				bool		en[HISTORY_ENTRY_NATTS];
				HistEntry  *e;

				if (enulls[j])
					elog(ERROR, "churn.history has a NULL entry for customer \"%s\"", keys[k]);
				th = DatumGetHeapTupleHeader(l->stored_elems[j]);
				et.t_len = HeapTupleHeaderGetDatumLength(th);
				ItemPointerSetInvalid(&et.t_self);
				et.t_tableOid = InvalidOid;
				et.t_data = th;
				heap_deform_tuple(&et, edesc, ev, en);
				if (en[0] || en[1] || en[2])
					elog(ERROR, "churn.history has an entry without seq, at or kind for customer \"%s\"",
						 keys[k]);
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
		systable_endscan(scan);
	}
	index_close(irel, AccessShareLock);
	table_close(hrel, AccessShareLock);
	return lists;
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
	Relation	rel = table_open(churn_relid("summary_delta"), RowExclusiveLock);
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

static void
append_history(HistList *l, HistEntry *e)
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
 * fetch_history looked up.  The rewritten row is a HOT update when its page
 * has room (churn.history's fillfactor leaves some), so the index is only
 * touched otherwise.
 * churn.history has one index, its primary key on (relid, customer).
 * Returns false (nothing written) if the table has grown another index or a
 * trigger.
 */
static bool
heap_write_history(Oid tracked, const HistoryEntryType *et, char **cust, HistEntry *h,
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
	idxoid = churn_relid("history_customer");
	hrel = table_open(churn_relid("history"), RowExclusiveLock);
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
	if (heap_write_history(tracked, et, cust, h, hl, nh, gone_hl, ngone))
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
	struct AggEntry *next;
	uint32		hash;
	int			keylen;
	char	   *key;
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
} AggEntry;

typedef struct AggTable
{
	int			nbuckets;
	int			n;
	AggEntry  **buckets;
} AggTable;

static void
agg_init(AggTable *t, int nbuckets)
{
	t->nbuckets = nbuckets;
	t->n = 0;
	t->buckets = palloc0(sizeof(AggEntry *) * nbuckets);
}

static void
agg_grow(AggTable *t)
{
	int			nb = t->nbuckets * 4;
	AggEntry  **buckets = palloc0(sizeof(AggEntry *) * nb);

	for (int i = 0; i < t->nbuckets; i++)
	{
		AggEntry   *e = t->buckets[i];

		while (e)
		{
			AggEntry   *next = e->next;

			e->next = buckets[e->hash % nb];
			buckets[e->hash % nb] = e;
			e = next;
		}
	}
	pfree(t->buckets);
	t->buckets = buckets;
	t->nbuckets = nb;
}

/* find or add the entry of a key; *found says which */
static AggEntry *
agg_lookup(AggTable *t, const char *key, int keylen, bool *found)
{
	uint32		h = DatumGetUInt32(hash_any((const unsigned char *) key, keylen));
	AggEntry   *e;

	for (e = t->buckets[h % t->nbuckets]; e; e = e->next)
		if (e->hash == h && e->keylen == keylen && memcmp(e->key, key, keylen) == 0)
		{
			*found = true;
			return e;
		}
	if (t->n >= t->nbuckets)
		agg_grow(t);
	e = palloc0(sizeof(AggEntry));
	e->hash = h;
	e->keylen = keylen;
	e->key = palloc(keylen);
	memcpy(e->key, key, keylen);
	e->next = t->buckets[h % t->nbuckets];
	t->buckets[h % t->nbuckets] = e;
	t->n++;
	*found = false;
	return e;
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
/*
 * Capture an INSERT of any size: rows are read from the transition table and
 * grouped on (since bucket, until bucket, channel, segments, reason, state)
 * in a hash table as they come, then spread into events (those of the fast
 * path: new customers have no history) and appended.
 */
void
summary_fast_bulk_insert(TriggerData *trigdata, SummaryFastInfo *info, Oid tracked,
						 const Interval *width, const char *time_zone)
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

	local_zone_init(&zone, time_zone);
	agg_init(&groups, 1024);
	initStringInfo(&k);
	initStringInfo(&sg);
	tuplestore_select_read_pointer(ts, ptr);
	tuplestore_rescan(ts);
	while (tuplestore_gettupleslot(ts, true, false, slot))
	{
		MemoryContext old = MemoryContextSwitchTo(rowcxt);
		bool		u_null;
		Timestamp	s;
		Timestamp	u = 0;
		Timestamp	bs;
		Timestamp	bu = 0;
		char	   *ch;
		char	   *rs;
		char	   *st;
		char	  **segv = NULL;
		AggEntry   *e;
		bool		found;

		check_period(info, slot, NULL);
		if (!column_local(&info->since, slot, &zone, &s))
		{
			/* not a customer yet */
			MemoryContextSwitchTo(old);
			MemoryContextReset(rowcxt);
			continue;
		}
		bs = summary_bucket_floor(s, width);
		u_null = !column_local(&info->until, slot, &zone, &u);
		if (!u_null)
			bu = summary_bucket_floor(u, width);
		ch = info->has_channel ? column_text(&info->channel, slot) : NULL;
		rs = info->has_reason ? column_text(&info->reason, slot) : NULL;
		st = info->has_state ? column_text(&info->state, slot) : NULL;
		if (info->nsegments > 0)
		{
			segv = palloc(sizeof(char *) * info->nsegments);
			for (int j = 0; j < info->nsegments; j++)
				segv[j] = column_text(&info->segments[j], slot);
		}

		resetStringInfo(&k);
		appendBinaryStringInfo(&k, (const char *) &bs, sizeof(bs));
		appendStringInfoChar(&k, u_null ? 'N' : 'U');
		if (!u_null)
			appendBinaryStringInfo(&k, (const char *) &bu, sizeof(bu));
		key_str(&k, ch);
		key_str(&k, rs);
		key_str(&k, st);
		for (int j = 0; j < info->nsegments; j++)
			key_str(&k, segv[j]);

		MemoryContextSwitchTo(aggcxt);
		e = agg_lookup(&groups, k.data, k.len, &found);
		if (!found)
		{
			e->bs = bs;
			e->has_bu = !u_null;
			e->bu = bu;
			e->ch = pstrdup_null(ch);
			e->rs = pstrdup_null(rs);
			e->st = pstrdup_null(st);
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
						escape_json(&sg, segv[j]);
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
		MemoryContextSwitchTo(old);
		MemoryContextReset(rowcxt);
	}
	tuplestore_select_read_pointer(ts, 0);
	ExecDropSingleTupleTableSlot(slot);

	/* spread the groups into events, summed per summary key */
	agg_init(&events, 1024);
	for (int i = 0; i < groups.nbuckets; i++)
		for (AggEntry *g = groups.buckets[i]; g; g = g->next)
		{
			agg_event(&events, &k, g->bs, 'n', g->ch, g->sg, NULL, g->count);
			if (g->has_bu)
			{
				agg_event(&events, &k, g->bu, 'l', g->ch, g->sg, NULL, g->count);
				if (g->bu > g->bs)
					agg_event(&events, &k, g->bu, 'f', g->ch, g->sg, NULL, g->count);
				if (info->has_reason)
					agg_event(&events, &k, g->bu, 'c', g->ch, "{}", g->rs, g->count);
			}
			if (info->has_state && g->st)
				agg_event(&events, &k, g->bs, 's', NULL, "{}", g->st, g->count);
		}

	memset(&ev, 0, sizeof(ev));
	for (int i = 0; i < events.nbuckets; i++)
		for (AggEntry *e = events.buckets[i]; e; e = e->next)
		{
			if (e->count == 0)
				continue;
			if (e->count > PG_INT32_MAX)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("too many rows in one statement for churn capture")));
			add_event(&ev, e->b, e->kind, e->ch, e->sg, e->d, (int) e->count);
		}
	write_capture(tracked, NULL, NULL, NULL, NULL, 0, NULL, NULL, 0, &ev);
	MemoryContextDelete(rowcxt);
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

static void
lock_customers(Oid tracked, char **keys, int nkeys)
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

/*
 * Capture one small statement.  The caller is connected to SPI and runs as
 * the extension owner.
 */
void
summary_fast_capture(TriggerData *trigdata, SummaryStatement stmt, SummaryFastInfo *info,
					 Oid tracked, const Interval *width, const char *time_zone)
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

	memset(&ev, 0, sizeof(ev));
	local_zone_init(&zone, time_zone);
	if (stmt == SUMMARY_UPDATE || stmt == SUMMARY_DELETE)
		read_rows(trigdata->tg_oldtable, rel, info, &zone, &old, &nold);
	if (stmt == SUMMARY_UPDATE || stmt == SUMMARY_INSERT)
		read_rows(trigdata->tg_newtable, rel, info, &zone, &new, &nnew);

	/* pair old and new rows by customer; unchanged pairs need nothing */
	if (stmt == SUMMARY_UPDATE)
	{
		for (int i = 0; i < nold; i++)
			for (int j = 0; j < nnew; j++)
				if (new[j].pair < 0 && key_eq(old[i].key, new[j].key))
				{
					old[i].pair = j;
					new[j].pair = i;
					old[i].changed = new[j].changed = !same_tracked(&old[i], &new[j]);
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
				if (key_eq(keys[k], old[i].key))
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
	if (nkeys > 0 && !key_unique(info, rel))
		lock_customers(tracked, keys, nkeys);
	if (nkeys > 0)
		hist = fetch_history(tracked, keys, nkeys, &etype);

	/* old contributions out */
	for (int i = 0; i < nold; i++)
	{
		if (!old[i].changed)
			continue;
		timeline(&ev, &old[i], hist[kidx[i]].e, hist[kidx[i]].n, width, info->has_reason, -1);
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
		if (!str_eq(o->ch, n->ch))
		{
			HistEntry	e = {0};

			e.seq = ++last_seq;
			e.at = at;
			e.kind = 'm';
			e.channel = n->ch;
			e.from_channel = o->ch;
			added_cust[nadded] = n->key;
			added_hl[nadded] = l;
			l->nadded++;
			added[nadded++] = e;
			append_history(l, &e);
		}
		if (o->has_u && !n->has_u && at >= o->u)
		{
			HistEntry	e = {0};

			e.seq = ++last_seq;
			e.at = at;
			e.kind = 'r';
			e.has_lost = true;
			e.lost_at = o->u;
			e.reason = o->rs;
			added_cust[nadded] = n->key;
			added_hl[nadded] = l;
			l->nadded++;
			added[nadded++] = e;
			append_history(l, &e);
		}
		if (!str_eq(o->st, n->st))
		{
			HistEntry	e = {0};

			e.seq = ++last_seq;
			e.at = at;
			e.kind = 's';
			e.from_state = o->st;
			e.to_state = n->st;
			added_cust[nadded] = n->key;
			added_hl[nadded] = l;
			l->nadded++;
			added[nadded++] = e;
			append_history(l, &e);
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

			timeline(&ev, &new[j], l->e, l->n, width, info->has_reason, 1);
		}
		else
			timeline(&ev, &new[j], NULL, 0, width, info->has_reason, 1);
	}

	merge_events(&ev);
	write_capture(tracked, &etype, added_cust, added, added_hl, nadded, gone, gone_hl,
				  ngone, &ev);
}
