/*-------------------------------------------------------------------------
 *
 * summary_convert.c
 *	  A tracked row's columns as the capture in C reads them: conversion to
 *	  text as "col::text" does, times in the table's fixed time zone, the
 *	  check that no customer stops before it starts, normalized rows.
 *
 * Values are converted to text exactly as the SQL path does ("x::text"):
 * through the cast function to text when the type has one, else through its
 * output function.  Types whose cast to text is neither are left to the SQL
 * path (summary_columns_usable).
 *
 * src/summary_convert.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "parser/parse_coerce.h"
#include "parser/scansup.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "summary_capture.h"

static bool
setup_column(Relation rel, const char *name, SummaryColumn *col)
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
 * history itself (summary_lock_customers).
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
bool
summary_key_unique(SummaryColumns *info, Relation rel)
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

SummaryColumns *
summary_columns_setup(const SummaryConfig *cfg, Relation rel)
{
	SummaryColumns *info;
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
	bool		ok = true;

	info = palloc0(sizeof(SummaryColumns));
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
	info->segments = palloc0(sizeof(SummaryColumn) * (cfg->nsegments + 1));
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
summary_columns_usable(const SummaryColumns *info)
{
	return info != NULL && info->usable;
}

static bool
column_still_there(const SummaryColumn *col, TupleDesc desc)
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
summary_columns_valid(const SummaryColumns *info, Relation rel)
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
bool
summary_key_eq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

char *
summary_column_text(SummaryColumn *col, TupleTableSlot *slot)
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
 * A text column's bytes without a copy when they are the datum's own (a
 * text or varchar column not stored out of line): the bulk insert builds a
 * group key from every row and copies only a new group's values.  Other
 * types go through summary_column_text, in the caller's context.
 */
const char *
summary_column_bytes(SummaryColumn *col, TupleTableSlot *slot, int *len)
{
	bool		isnull;
	Datum		d = slot_getattr(slot, col->attnum, &isnull);
	char	   *s;

	*len = 0;
	if (isnull)
		return NULL;
	if (col->way == TEXT_RELABEL)
	{
		text	   *t = (text *) PG_DETOAST_DATUM_PACKED(d);

		*len = VARSIZE_ANY_EXHDR(t);
		return VARDATA_ANY(t);
	}
	s = summary_column_text(col, slot);
	*len = strlen(s);
	return s;
}


/*
 * The offsets of the UTC days a statement's values fell on, for a zone with
 * daylight saving time: a day without a change of offset converts by
 * addition.  The memo is made after ZONE_DAYS_AFTER conversions of the
 * statement, so that a one-row statement does not pay for it.
 */
#define ZONE_DAYS 4096
#define ZONE_DAYS_AFTER 64
#define ZONE_DAY_MIXED PG_INT64_MIN /* a change of offset that day */

struct LocalZoneDays
{
	MemoryContext cxt;			/* the zone's (a row's may be reset) */
	int			conversions;	/* before the memo is made */
	int64	   *day;			/* UTC day number, or PG_INT64_MIN for none */
	int64	   *offset;			/* its offset in microseconds, or MIXED */
};

/*
 * The zone of the last statement: whether a name is a fixed offset can only
 * change with timezone_abbreviations (timezone() prefers an abbreviation to
 * a zone of the same name).
 */
static char last_zone_name[NAMEDATALEN * 2];
static char *last_zone_abbrevs = NULL;
static bool last_zone_fixed;
static int64 last_zone_offset;
static pg_tz *last_zone_tz;

/*
 * The zone timezone(name, t) reads, or NULL when it takes the name for an
 * abbreviation (which it prefers to a zone of the same name): the same
 * decision as timestamptz_zone's.
 */
static pg_tz *
zone_of_name(const char *name)
{
	int			offset;
	pg_tz	   *tz;

#if PG_VERSION_NUM >= 160000
	if (DecodeTimezoneName(name, &offset, &tz) == TZNAME_ZONE)
		return tz;
	return NULL;
#else
	char	   *lower = downcase_truncate_identifier(name, strlen(name), false);
	int			type = DecodeTimezoneAbbrev(0, lower, &offset, &tz);

	if (type == TZ || type == DTZ || type == DYNTZ)
		return NULL;
	return pg_tzset(name);
#endif
}

void
summary_local_zone(LocalZone *z, const char *time_zone)
{
	const char *abbrevs = GetConfigOption("timezone_abbreviations", true, false);

	z->name = CStringGetTextDatum(time_zone);
	z->days = palloc0(sizeof(LocalZoneDays));
	z->days->cxt = CurrentMemoryContext;
	if (last_zone_abbrevs == NULL || abbrevs == NULL ||
		strcmp(last_zone_name, time_zone) != 0 || strcmp(last_zone_abbrevs, abbrevs) != 0)
	{
		pg_tz	   *tzp = pg_tzset(time_zone);
		long int	gmtoff;
		bool		fixed = false;
		int64		offset = 0;
		pg_tz	   *tz = NULL;

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

		if (!fixed)
			tz = zone_of_name(time_zone);

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
			last_zone_tz = tz;
		}
		z->fixed = fixed;
		z->offset = offset;
		z->tz = tz;
		return;
	}
	z->fixed = last_zone_fixed;
	z->offset = last_zone_offset;
	z->tz = last_zone_tz;
}

/*
 * The offset of a whole UTC day, or ZONE_DAY_MIXED: the zone's next change
 * after the day's start is on a later day, and timezone() agrees at the
 * day's first and last microsecond (which a zone with leap seconds, whose
 * local times drift from the offset, would not).
 */
static int64
zone_day_offset(const LocalZone *z, int64 day)
{
	TimestampTz first;
	TimestampTz last;
	pg_time_t	start;
	long int	before;
	long int	after;
	int			before_dst;
	int			after_dst;
	pg_time_t	boundary;
	int64		offset;

	if (pg_mul_s64_overflow(day, USECS_PER_DAY, &first) ||
		!IS_VALID_TIMESTAMP(first) || !IS_VALID_TIMESTAMP(first + USECS_PER_DAY))
		return ZONE_DAY_MIXED;
	last = first + USECS_PER_DAY - 1;
	start = (pg_time_t) (first / USECS_PER_SEC) +
		(pg_time_t) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY;
	switch (pg_next_dst_boundary(&start, &before, &before_dst, &boundary,
								 &after, &after_dst, z->tz))
	{
		case 0:
			break;				/* no change after it */
		case 1:
			if (boundary < start + SECS_PER_DAY)
				return ZONE_DAY_MIXED;
			break;
		default:
			return ZONE_DAY_MIXED;
	}
	offset = (int64) before * USECS_PER_SEC;
	if (DatumGetTimestamp(DirectFunctionCall2(timestamptz_zone, z->name,
											  TimestampTzGetDatum(first))) != first + offset ||
		DatumGetTimestamp(DirectFunctionCall2(timestamptz_zone, z->name,
											  TimestampTzGetDatum(last))) != last + offset)
		return ZONE_DAY_MIXED;
	return offset;
}

/* t + the offset of its day, if the day has one */
static bool
zone_day_local(const LocalZone *z, TimestampTz t, Timestamp *result)
{
	LocalZoneDays *d = z->days;
	int64		day;
	int			i;

	if (d->day == NULL)
	{
		if (++d->conversions < ZONE_DAYS_AFTER)
			return false;
		d->day = MemoryContextAlloc(d->cxt, sizeof(int64) * ZONE_DAYS);
		d->offset = MemoryContextAlloc(d->cxt, sizeof(int64) * ZONE_DAYS);
		for (i = 0; i < ZONE_DAYS; i++)
			d->day[i] = PG_INT64_MIN;
	}
	day = t / USECS_PER_DAY;
	if (t % USECS_PER_DAY < 0)
		day--;
	i = (int) (day & (ZONE_DAYS - 1));
	if (d->day[i] != day)
	{
		d->offset[i] = zone_day_offset(z, day);
		d->day[i] = day;
	}
	return d->offset[i] != ZONE_DAY_MIXED &&
		!pg_add_s64_overflow(t, d->offset[i], result) && IS_VALID_TIMESTAMP(*result);
}

/* timezone(zone, t) */
Timestamp
summary_local_time(const LocalZone *z, TimestampTz t)
{
	Timestamp	r;

	if (TIMESTAMP_NOT_FINITE(t))
		;
	else if (z->fixed)
	{
		if (!pg_add_s64_overflow(t, z->offset, &r) && IS_VALID_TIMESTAMP(r))
			return r;
	}
	else if (z->tz != NULL && zone_day_local(z, t, &r))
		return r;
	/* other zones and days, infinities, out of range (for its error) */
	return DatumGetTimestamp(DirectFunctionCall2(timestamptz_zone, z->name,
												 TimestampTzGetDatum(t)));
}

/* a time column as the local timestamp of the fixed time zone */
bool
summary_column_local(SummaryColumn *col, TupleTableSlot *slot, const LocalZone *tz, Timestamp *result)
{
	bool		isnull;
	Datum		d = slot_getattr(slot, col->attnum, &isnull);

	if (isnull)
		return false;
	if (col->basetype == TIMESTAMPTZOID)
		*result = summary_local_time(tz, DatumGetTimestampTz(d));
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
void
summary_check_period(SummaryColumns *info, TupleTableSlot *slot, const char *key)
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
		key = summary_column_text(&info->customer, slot);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("until value \"%s\" precedes since value \"%s\" of customer \"%s\"",
					summary_column_text(&info->until, slot), summary_column_text(&info->since, slot),
					key ? key : "NULL"),
			 errhint("A customer cannot stop before it starts; correct the row or set until to NULL.")));
}

/*
 * summary_check_rows: the checks of a statement's new rows that need
 * no history, for a statement whose capture comes later (summary_order.c):
 * its errors are raised in the statement, where the caller can catch them.
 */
void
summary_check_rows(TriggerData *trigdata, SummaryColumns *info)
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
		summary_check_period(info, slot, NULL);
	tuplestore_select_read_pointer(ts, 0);
	ExecDropSingleTupleTableSlot(slot);
}

void
summary_read_rows(Tuplestorestate *ts, Relation rel, SummaryColumns *info, const LocalZone *tz,
		  CapRow **rows_out, int *n_out)
{
	TupleTableSlot *slot = MakeSingleTupleTableSlot(RelationGetDescr(rel), &TTSOpsMinimalTuple);
	int			n = (int) tuplestore_tuple_count(ts);
	CapRow	   *rows = palloc0(sizeof(CapRow) * (n + 1));
	int			ptr = tuplestore_alloc_read_pointer(ts, EXEC_FLAG_REWIND);
	int			i = 0;
	Timestamp	now_local;

	now_local = summary_local_time(tz, GetCurrentTransactionStartTimestamp());
	tuplestore_select_read_pointer(ts, ptr);
	tuplestore_rescan(ts);
	while (i < n && tuplestore_gettupleslot(ts, true, false, slot))
	{
		CapRow	   *r = &rows[i++];

		r->key = summary_column_text(&info->customer, slot);
		summary_check_period(info, slot, r->key);
		r->has_s = summary_column_local(&info->since, slot, tz, &r->s);
		r->has_u = summary_column_local(&info->until, slot, tz, &r->u);
		if (!info->has_changed_at || !summary_column_local(&info->changed_at, slot, tz, &r->c))
			r->c = now_local;
		r->ch = info->has_channel ? summary_column_text(&info->channel, slot) : NULL;
		r->rs = info->has_reason ? summary_column_text(&info->reason, slot) : NULL;
		r->st = info->has_state ? summary_column_text(&info->state, slot) : NULL;
		if (info->nsegments > 0)
		{
			StringInfoData sg;

			initStringInfo(&sg);
			appendStringInfoChar(&sg, '{');
			for (int j = 0; j < info->nsegments; j++)
			{
				char	   *v = summary_column_text(&info->segments[j], slot);

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

/* whether a column has the same bytes in two slots (both NULL counts) */
static bool
same_datum(TupleTableSlot *a, TupleTableSlot *b, const SummaryColumn *col)
{
	Form_pg_attribute att = TupleDescAttr(a->tts_tupleDescriptor, col->attnum - 1);
	bool		a_null;
	bool		b_null;
	Datum		ad = slot_getattr(a, col->attnum, &a_null);
	Datum		bd = slot_getattr(b, col->attnum, &b_null);

	if (a_null || b_null)
		return a_null == b_null;
	return datumIsEqual(ad, bd, att->attbyval, att->attlen);
}

/*
 * Whether an UPDATE left every tracked column of every row as it was: the
 * common write of an application (an e-mail address, the time of a login)
 * then costs no conversion.  The transition tables hold each row's old and
 * new versions at the same position, so they are compared in pairs, byte for
 * byte: a difference of representation only (a value stored another way)
 * makes a false "changed", which the capture then finds unchanged.  When
 * every pair is the same, the capture, which pairs rows by customer in
 * order, would pair them the same way and find nothing to count.  The
 * changed_at column is not compared: alone, it changes nothing either.  (A
 * row churn would refuse, written while the trigger was disabled, is not
 * checked again by an update that leaves its tracked columns alone.)
 */
bool
summary_update_unchanged(TriggerData *trigdata, SummaryColumns *info)
{
	Tuplestorestate *olds = trigdata->tg_oldtable;
	Tuplestorestate *news = trigdata->tg_newtable;
	TupleDesc	desc = RelationGetDescr(trigdata->tg_relation);
	TupleTableSlot *o;
	TupleTableSlot *n;
	int			optr;
	int			nptr;
	bool		same = true;

	if (olds == NULL || news == NULL ||
		tuplestore_tuple_count(olds) != tuplestore_tuple_count(news))
		return false;
	o = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	n = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	optr = tuplestore_alloc_read_pointer(olds, EXEC_FLAG_REWIND);
	nptr = tuplestore_alloc_read_pointer(news, EXEC_FLAG_REWIND);
	tuplestore_select_read_pointer(olds, optr);
	tuplestore_rescan(olds);
	tuplestore_select_read_pointer(news, nptr);
	tuplestore_rescan(news);
	while (same && tuplestore_gettupleslot(olds, true, false, o))
	{
		if (!tuplestore_gettupleslot(news, true, false, n))
		{
			same = false;
			break;
		}
		same = same_datum(o, n, &info->customer) &&
			same_datum(o, n, &info->since) &&
			same_datum(o, n, &info->until) &&
			(!info->has_channel || same_datum(o, n, &info->channel)) &&
			(!info->has_reason || same_datum(o, n, &info->reason)) &&
			(!info->has_state || same_datum(o, n, &info->state));
		for (int j = 0; same && j < info->nsegments; j++)
			same = same_datum(o, n, &info->segments[j]);
	}
	tuplestore_select_read_pointer(olds, 0);
	tuplestore_select_read_pointer(news, 0);
	ExecDropSingleTupleTableSlot(o);
	ExecDropSingleTupleTableSlot(n);
	return same;
}

bool
summary_str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

bool
summary_same_tracked(const CapRow *a, const CapRow *b)
{
	return a->has_s == b->has_s && (!a->has_s || a->s == b->s) &&
		a->has_u == b->has_u && (!a->has_u || a->u == b->u) &&
		summary_str_eq(a->ch, b->ch) && summary_str_eq(a->sg, b->sg) &&
		summary_str_eq(a->rs, b->rs) && summary_str_eq(a->st, b->st);
}

