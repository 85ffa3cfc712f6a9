/*-------------------------------------------------------------------------
 *
 * summary_sql.c
 *	  Configuration of tracked tables and the SQL the summary triggers run.
 *
 * Every capture statement turns rows of a transition table (or of the base
 * table, for rebuild and verify) into "events": signed counts keyed by
 * (bucket, kind, channel, segment, detail), of the kinds of summary_kinds.h.
 *
 * The rules are summary_timeline.c's.  A customer without history rows
 * (never moved, never won back, no state transition) contributes only
 * through its own row: the VALUES list that append_rule_values generates
 * from summary_row_rules, over rows grouped first.  A customer with history
 * is replayed by churn._timeline(), summary_timeline in SQL.  UPDATE and
 * DELETE subtract the old contribution and add the new one, so corrections
 * behave as if the rows had always been so.
 *
 * Parameters of every statement: $1 the tracked relation (oid), $2 the bucket
 * width (interval), $3 the fixed time zone (text), $4 the time from which
 * lifecycle states are known (timestamptz, tracked_table.states_from).
 * Identifiers are quoted with quote_identifier, values never appear in the
 * text.
 *
 * src/summary_sql.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/qunique.h"
#include "lib/stringinfo.h"
#include "storage/lmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "summary.h"
#include "summary_kinds.h"

static char *
get_text_col(HeapTuple tup, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);

	if (isnull)
		return NULL;
	return TextDatumGetCString(d);
}

/*
 * Throw again an error caught from a statement churn ran (edata, copied from
 * the error state, which this flushes), without that statement as its
 * context or internal query: for errors whose message says all, in churn's
 * words or track's.
 */
void
summary_rethrow_bare(ErrorData *edata)
{
	FlushErrorState();
	edata->context = NULL;
	edata->internalquery = NULL;
	edata->internalpos = 0;
	edata->cursorpos = 0;
	ReThrowError(edata);
}

/*
 * The base type of a column of the table being written (rel), after checking
 * it exists; tracked names the tracked table (rel, or the partitioned table
 * above the partition rel).
 */
static Oid
column_type(Relation rel, const char *tracked, const char *col)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int			attno = SPI_fnumber(desc, col);

	if (attno <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of tracked table \"%s\" does not exist", col, tracked),
				 errhint("A tracked column was renamed or dropped: call churn.retrack with the table's columns as they are now.")));
	return getBaseType(SPI_gettypeid(desc, attno));
}

/* customer, since, until, channel, state, reason, changed_at */
#define TRACKED_SINGLE_COLUMNS 7

/*
 * The checks churn.track made of the columns named to it: churn._column_type
 * of each, churn._check_time_type of a time column (their one home), made
 * again on the settings as they are loaded, in one statement.  A column may
 * have been retyped since (a time column to text, whose values the
 * conversions would read as timestamps), or a cast from its type to text
 * added, whose function the capture would run as the extension owner.
 */
typedef struct TrackChecks
{
	int			n;
	int			room;			/* the length of the arrays */
	Datum	   *columns;		/* text */
	Datum	   *arguments;		/* text: the argument of track naming it */
	Datum	   *times;			/* bool: a time column */
} TrackChecks;

/* the base type of a column (column_type), and its checks to make */
static Oid
column_to_check(TrackChecks *tc, Relation rel, const char *tracked, const char *col,
				const char *argument, bool time)
{
	Oid			type = column_type(rel, tracked, col);

	Assert(tc->n < tc->room);
	tc->columns[tc->n] = CStringGetTextDatum(col);
	tc->arguments[tc->n] = CStringGetTextDatum(argument);
	tc->times[tc->n] = BoolGetDatum(time);
	tc->n++;
	return type;
}

static void
make_checks(const TrackChecks *tc, Oid relid)
{
	Oid			argtypes[4] = {REGCLASSOID, TEXTARRAYOID, TEXTARRAYOID, BOOLARRAYOID};
	Datum		values[4];
	MemoryContext cxt = CurrentMemoryContext;
	int			ret;

	values[0] = ObjectIdGetDatum(relid);
	values[1] = PointerGetDatum(construct_array(tc->columns, tc->n, TEXTOID, -1, false, TYPALIGN_INT));
	values[2] = PointerGetDatum(construct_array(tc->arguments, tc->n, TEXTOID, -1, false, TYPALIGN_INT));
	values[3] = PointerGetDatum(construct_array(tc->times, tc->n, BOOLOID, 1, true, TYPALIGN_CHAR));
	PG_TRY();
	{
		ret = SPI_execute_with_args("SELECT pg_catalog.count(CASE WHEN c.is_time"
									" THEN churn._check_time_type($1, c.col::pg_catalog.name, c.arg)"
									" ELSE churn._column_type($1, c.col::pg_catalog.name, c.arg) END)"
									" FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3),"
									" pg_catalog.unnest($4)) AS c(col, arg, is_time)",
									4, argtypes, values, NULL, true, 1);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		/*
		 * The check's message names the column, its type and what track
		 * accepts: this statement and the function, as context, would only
		 * hide them.
		 */
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		summary_rethrow_bare(edata);
	}
	PG_END_TRY();
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not check the columns of a tracked table");
}

/* the OID of churn.lifecycle */
static Oid
lifecycle_type(void)
{
	return GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid, CStringGetDatum("lifecycle"),
						   ObjectIdGetDatum(get_namespace_oid("churn", false)));
}

/*
 * Read the configuration of a tracked table.  The caller is connected to SPI
 * and holds the relation open.  Returns false when the table is not tracked.
 * Strings are allocated in the current memory context.
 */
bool
summary_load_config(Oid relid, Relation rel, SummaryConfig *cfg)
{
	Oid			argtypes[1] = {OIDOID};
	Datum		values[1];
	int			ret;
	HeapTuple	tup;
	TupleDesc	desc;
	bool		isnull;
	Datum		d;
	MemoryContext callercxt = CurrentMemoryContext;
	MemoryContext oldcxt;
	const char *tracked;
	TrackChecks tc;
	Oid			state_type = InvalidOid;

	values[0] = ObjectIdGetDatum(relid);
	/*
	 * The row whole (t.*): the library also serves databases whose churn is
	 * still at 1.0, until ALTER EXTENSION UPDATE, and their tracked_table
	 * has no states_from.
	 */
	ret = SPI_execute_with_args("SELECT t.customer_column::pg_catalog.text, t.since_column::pg_catalog.text,"
								" t.until_column::pg_catalog.text, t.channel_column::pg_catalog.text,"
								" t.state_column::pg_catalog.text, t.reason_column::pg_catalog.text,"
								" t.changed_at_column::pg_catalog.text,"
								" t.segment_columns::pg_catalog.text[], t.bucket, t.time_zone, t"
								" FROM churn.tracked_table t WHERE t.relid OPERATOR(pg_catalog.=) $1",
								1, argtypes, values, NULL, true, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read churn.tracked_table: %s", SPI_result_code_string(ret));
	if (SPI_processed == 0)
		return false;

	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	oldcxt = MemoryContextSwitchTo(callercxt);

	memset(cfg, 0, sizeof(*cfg));
	cfg->relid = relid;
	cfg->customer = get_text_col(tup, desc, 1);
	cfg->since = get_text_col(tup, desc, 2);
	cfg->until = get_text_col(tup, desc, 3);
	cfg->channel = get_text_col(tup, desc, 4);
	cfg->state = get_text_col(tup, desc, 5);
	cfg->reason = get_text_col(tup, desc, 6);
	cfg->changed_at = get_text_col(tup, desc, 7);
	d = SPI_getbinval(tup, desc, 8, &isnull);
	if (!isnull)
	{
		Datum	   *elems;
		bool	   *nulls;
		int			n;
		int			i;

		deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT,
						  &elems, &nulls, &n);
		cfg->segments = palloc(sizeof(char *) * (n + 1));
		for (i = 0; i < n; i++)
			cfg->segments[i] = TextDatumGetCString(elems[i]);
		cfg->nsegments = n;
	}
	d = SPI_getbinval(tup, desc, 9, &isnull);
	memcpy(&cfg->bucket, DatumGetIntervalP(d), sizeof(Interval));
	cfg->time_zone = get_text_col(tup, desc, 10);
	/* 1.0 counted lifecycle states from since: -infinity */
	cfg->states_from = DT_NOBEGIN;
	cfg->version_1_0 = true;
	d = SPI_getbinval(tup, desc, 11, &isnull);
	if (!isnull)
	{
		HeapTupleHeader row = DatumGetHeapTupleHeader(d);
		TupleDesc	rowdesc = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(row),
													 HeapTupleHeaderGetTypMod(row));
		int			attno = SPI_fnumber(rowdesc, "states_from");
		HeapTupleData rowtup;

		if (attno > 0)
		{
			rowtup.t_len = HeapTupleHeaderGetDatumLength(row);
			ItemPointerSetInvalid(&rowtup.t_self);
			rowtup.t_tableOid = InvalidOid;
			rowtup.t_data = row;
			d = heap_getattr(&rowtup, attno, rowdesc, &isnull);
			if (!isnull)
				cfg->states_from = DatumGetTimestampTz(d);
			cfg->version_1_0 = false;
		}
		ReleaseTupleDesc(rowdesc);
	}

	/*
	 * Every named column must still exist, of a type track accepts: the
	 * checks of track's functions, then since and until of one type (a rule
	 * of churn._check_settings), the state column churn.lifecycle (another).
	 */
	tracked = churn_table_name(relid);
	tc.n = 0;
	tc.room = TRACKED_SINGLE_COLUMNS + cfg->nsegments;
	tc.columns = palloc(sizeof(Datum) * tc.room);
	tc.arguments = palloc(sizeof(Datum) * tc.room);
	tc.times = palloc(sizeof(Datum) * tc.room);
	(void) column_to_check(&tc, rel, tracked, cfg->customer, "customer", false);
	cfg->since_type = column_to_check(&tc, rel, tracked, cfg->since, "since", true);
	cfg->until_type = column_to_check(&tc, rel, tracked, cfg->until, "until", true);
	if (cfg->channel)
		(void) column_to_check(&tc, rel, tracked, cfg->channel, "channel", false);
	if (cfg->state)
		state_type = column_to_check(&tc, rel, tracked, cfg->state, "state", false);
	if (cfg->reason)
		(void) column_to_check(&tc, rel, tracked, cfg->reason, "reason", false);
	if (cfg->changed_at)
		cfg->changed_at_type = column_to_check(&tc, rel, tracked, cfg->changed_at, "changed_at", true);
	for (int i = 0; i < cfg->nsegments; i++)
		(void) column_to_check(&tc, rel, tracked, cfg->segments[i], "segments", false);
	make_checks(&tc, relid);
	if (cfg->since_type != cfg->until_type)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("columns \"%s\" and \"%s\" of tracked table \"%s\" have different types %s and %s",
						cfg->since, cfg->until, tracked,
						format_type_be(cfg->since_type), format_type_be(cfg->until_type)),
				 errhint("A tracked column was retyped: give since and until one type again (date, timestamp or timestamp with time zone), or call churn.retrack naming other columns.")));
	if (cfg->state && state_type != lifecycle_type())
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" of tracked table \"%s\" has type %s, not churn.lifecycle",
						cfg->state, tracked, format_type_be(state_type)),
				 errhint("A tracked column was retyped: give it back the type churn.lifecycle, or call churn.retrack naming another column.")));

	MemoryContextSwitchTo(oldcxt);
	return true;
}

/* a column of alias t, quoted */
static void
append_col(StringInfo buf, const char *col)
{
	appendStringInfo(buf, "t.%s", quote_identifier(col));
}

/* a time column converted to the local timestamp of the fixed time zone */
static void
append_local(StringInfo buf, Oid type, const char *col)
{
	if (type == TIMESTAMPTZOID)
	{
		appendStringInfoString(buf, "pg_catalog.timezone($3, ");
		append_col(buf, col);
		appendStringInfoString(buf, ")");
	}
	else
	{
		appendStringInfoString(buf, "(");
		append_col(buf, col);
		appendStringInfoString(buf, ")::pg_catalog.timestamp");
	}
}

static void
append_text_or_null(StringInfo buf, const char *col)
{
	if (col)
	{
		appendStringInfoString(buf, "(");
		append_col(buf, col);
		appendStringInfoString(buf, ")::pg_catalog.text");
	}
	else
		appendStringInfoString(buf, "NULL::pg_catalog.text");
}

/*
 * SELECT k, s, u, bs, bu, ch, sg, rs, st, c FROM <source> t, with the check
 * that no row stops before it starts.
 */
static void
append_segment_object(StringInfo buf, const SummaryConfig *cfg, bool from_g)
{
	if (cfg->nsegments == 0)
	{
		appendStringInfoString(buf, "'{}'::pg_catalog.jsonb");
		return;
	}
	appendStringInfoString(buf, "pg_catalog.jsonb_build_object(");
	for (int i = 0; i < cfg->nsegments; i++)
	{
		if (i > 0)
			appendStringInfoString(buf, ", ");
		appendStringInfo(buf, "%s::pg_catalog.text, ", quote_literal_cstr(cfg->segments[i]));
		if (from_g)
			appendStringInfo(buf, "r.g%d", i + 1);
		else
		{
			appendStringInfoString(buf, "(");
			append_col(buf, cfg->segments[i]);
			appendStringInfoString(buf, ")::pg_catalog.text");
		}
	}
	appendStringInfoString(buf, ")");
}

/*
 * With raw_segments, the segment values come out as text columns g1..gn
 * (cheap to group by) instead of the jsonb column sg.  Segment values are
 * always captured as text, so that grouping and every path agree on them.
 */
static void
append_normalize(StringInfo buf, const SummaryConfig *cfg, const char *source,
				 bool raw_segments)
{
	appendStringInfoString(buf, "SELECT (");
	append_col(buf, cfg->customer);
	appendStringInfoString(buf, ")::pg_catalog.text COLLATE pg_catalog.\"C\" AS k, ");
	append_local(buf, cfg->since_type, cfg->since);
	appendStringInfoString(buf, " AS s, ");
	append_local(buf, cfg->until_type, cfg->until);
	appendStringInfoString(buf, " AS u, churn.bucket_floor(");
	append_local(buf, cfg->since_type, cfg->since);
	appendStringInfoString(buf, ", $2) AS bs, churn.bucket_floor(");
	append_local(buf, cfg->until_type, cfg->until);
	appendStringInfoString(buf, ", $2) AS bu, ");
	append_text_or_null(buf, cfg->channel);
	appendStringInfoString(buf, " AS ch, ");
	if (raw_segments)
	{
		for (int i = 0; i < cfg->nsegments; i++)
		{
			appendStringInfoString(buf, "(");
			append_col(buf, cfg->segments[i]);
			appendStringInfo(buf, ")::pg_catalog.text AS g%d, ", i + 1);
		}
	}
	else
	{
		append_segment_object(buf, cfg, false);
		appendStringInfoString(buf, " AS sg, ");
	}
	append_text_or_null(buf, cfg->reason);
	appendStringInfoString(buf, " AS rs, ");
	append_text_or_null(buf, cfg->state);
	appendStringInfoString(buf, " AS st, ");
	if (cfg->changed_at)
	{
		appendStringInfoString(buf, "COALESCE(");
		append_local(buf, cfg->changed_at_type, cfg->changed_at);
		appendStringInfoString(buf, ", pg_catalog.timezone($3, pg_catalog.now()))");
	}
	else
		appendStringInfoString(buf, "pg_catalog.timezone($3, pg_catalog.now())");
	appendStringInfo(buf, " AS c FROM %s t WHERE (", source);
	append_col(buf, cfg->until);
	appendStringInfoString(buf, " IS NULL OR ");
	append_col(buf, cfg->since);
	appendStringInfoString(buf, " IS NULL OR ");
	append_col(buf, cfg->until);
	appendStringInfoString(buf, " OPERATOR(pg_catalog.>=) ");
	append_col(buf, cfg->since);
	appendStringInfoString(buf, " OR churn._period_error((");
	append_col(buf, cfg->customer);
	appendStringInfoString(buf, ")::pg_catalog.text, (");
	append_col(buf, cfg->since);
	appendStringInfoString(buf, ")::pg_catalog.text, (");
	append_col(buf, cfg->until);
	appendStringInfoString(buf, ")::pg_catalog.text))");
}

/*
 * The rules of a customer's start and stop (summary_row_rules in
 * summary_timeline.c, which the capture in C applies too) as a VALUES list
 * over the grouped rows r (r.bs, r.bu, r.ch, r.rs, r.st) with weight
 * expression w: what a customer without history counts.  cell_seg is the
 * segment of a count keyed by cell, other_seg that of the others (one
 * expression, or several columns).  A rule that does not apply to a row
 * gives it a NULL bucket, and the caller drops those.
 */
static void
append_rule_values(StringInfo buf, const SummaryConfig *cfg, const char *w,
				   const char *cell_seg, const char *other_seg)
{
	bool		first = true;

	appendStringInfoString(buf, "(VALUES ");
	for (int i = 0; i < summary_nrow_rules; i++)
	{
		const SummaryRule *rule = &summary_row_rules[i];
		const char *b = NULL;
		StringInfoData bucket;

		/* rules of what the table does not track count nothing */
		if ((rule->when == RULE_IF_REASON_TRACKED && !cfg->reason) ||
			((rule->when == RULE_IF_STATE || rule->key == RULE_KEY_STATE) && !cfg->state))
			continue;
		switch (rule->at)
		{
			case RULE_AT_START:
				b = "r.bs";
				break;
			case RULE_AT_STATE_KNOWN:
				/* the later of since and states_from ($4; 1.0: -infinity) */
				b = cfg->version_1_0 ? "r.bs" :
					"GREATEST(r.bs, churn.bucket_floor(pg_catalog.timezone($3, $4), $2))";
				break;
			case RULE_AT_STOP:
				b = "r.bu";
				break;
		}
		initStringInfo(&bucket);
		switch (rule->when)
		{
			case RULE_ALWAYS:
			case RULE_IF_REASON_TRACKED:
				appendStringInfoString(&bucket, b);
				break;
			case RULE_IF_STATE:
				appendStringInfo(&bucket, "CASE WHEN r.st IS NOT NULL THEN %s END", b);
				break;
			case RULE_IF_STAYED_BEFORE:
				/* the stay of a customer without history began at since */
				appendStringInfo(&bucket, "CASE WHEN %s OPERATOR(pg_catalog.>) r.bs THEN %s END", b, b);
				break;
		}
		appendStringInfo(buf, "%s(%s, '%c'::pg_catalog.\"char\", ", first ? "" : ", ",
						 bucket.data, rule->kind);
		switch (rule->key)
		{
			case RULE_KEY_CELL:
				appendStringInfo(buf, "r.ch, %s, NULL::pg_catalog.text", cell_seg);
				break;
			case RULE_KEY_REASON:
				appendStringInfo(buf, "r.ch, %s, r.rs", other_seg);
				break;
			case RULE_KEY_STATE:
				appendStringInfo(buf, "NULL::pg_catalog.text, %s, r.st", other_seg);
				break;
		}
		appendStringInfo(buf, ", %s)", w);
		first = false;
	}
	appendStringInfoString(buf, ")");
}

/*
 * The last argument of churn._timeline: states_from in the table's local
 * time.  1.0's churn._timeline (PL/pgSQL, still there until ALTER
 * EXTENSION UPDATE) takes none and counts states from since.
 */
static const char *
timeline_states_from(const SummaryConfig *cfg)
{
	return cfg->version_1_0 ? "" : ", pg_catalog.timezone($3, $4)";
}

/*
 * The events of a customer without history, as a VALUES list f(b, kind,
 * ch, sg, d, n) over row r with weight expression w.
 */
static void
append_fast_values(StringInfo buf, const SummaryConfig *cfg, const char *w)
{
	append_rule_values(buf, cfg, w, "r.sg", "'{}'::pg_catalog.jsonb");
	appendStringInfoString(buf, " f(b, kind, ch, sg, d, n)");
}

/*
 * SELECT b, kind, ch, sg, d, n: the events of the rows of CTE "rel", whose
 * columns are those of append_normalize plus hist (churn.history_entry[] or NULL)
 * and w (the sign).
 */
static void
append_events(StringInfo buf, const SummaryConfig *cfg, const char *rel)
{
	appendStringInfo(buf,
					 "SELECT v.b, v.kind, v.ch, v.sg, v.d, v.n FROM %s r CROSS JOIN LATERAL ("
					 "SELECT f.b, f.kind, f.ch, f.sg, f.d, f.n FROM ", rel);
	append_fast_values(buf, cfg, "r.w");
	appendStringInfo(buf,
					 " WHERE r.hist IS NULL AND r.bs IS NOT NULL AND f.b IS NOT NULL"
					 " UNION ALL SELECT x.b, x.kind, x.ch, x.sg, x.d, x.n"
					 " FROM churn._timeline(r.k, r.s, r.u, r.ch, r.sg, r.rs, r.st, r.hist, $2, r.w, %s%s) x"
					 " WHERE r.hist IS NOT NULL) v",
					 cfg->reason ? "true" : "false", timeline_states_from(cfg));
}

/*
 * SELECT b, kind, ch, sg, d, n: the events of the rows of source without
 * history (and passing the extra filter on the normalized row r), grouped on
 * cheap text values before the events are spread out.
 */
static void
append_fast_grouped(StringInfo buf, const SummaryConfig *cfg, const char *source,
					const char *filter)
{
	appendStringInfoString(buf,
						   "SELECT f.b, f.kind, f.ch, f.sg, f.d, f.n FROM ("
						   "SELECT r.bs, r.bu, r.ch, ");
	append_segment_object(buf, cfg, true);
	appendStringInfoString(buf,
						   " AS sg, r.rs, r.st, r.w FROM ("
						   "SELECT r.bs, r.bu, r.ch, r.rs, r.st, pg_catalog.count(*)::pg_catalog.int4 AS w");
	for (int i = 0; i < cfg->nsegments; i++)
		appendStringInfo(buf, ", r.g%d", i + 1);
	appendStringInfoString(buf, " FROM (");
	append_normalize(buf, cfg, source, true);
	appendStringInfoString(buf, ") r WHERE r.bs IS NOT NULL");
	if (filter)
		appendStringInfo(buf, " AND %s", filter);
	appendStringInfoString(buf, " GROUP BY r.bs, r.bu, r.ch, r.rs, r.st");
	for (int i = 0; i < cfg->nsegments; i++)
		appendStringInfo(buf, ", r.g%d", i + 1);
	appendStringInfoString(buf, ") r) r CROSS JOIN LATERAL ");
	append_fast_values(buf, cfg, "r.w");
	appendStringInfoString(buf, " WHERE f.b IS NOT NULL");
}

/*
 * The INSERT capture: rows grouped on cheap text values, spread into events
 * that keep the segment values as text, grouped again, and only then turned
 * into jsonb (once per summary key rather than once per row or group).
 */
static void
append_insert_capture(StringInfo buf, const SummaryConfig *cfg, const char *source)
{
	StringInfoData g;			/* ", r.g1, r.g2" */
	StringInfoData gnull;		/* ", NULL::text, NULL::text" */
	StringInfoData eg;			/* ", e.g1, e.g2" */
	StringInfoData cell_seg;	/* "true, r.g1, r.g2" */
	StringInfoData other_seg;	/* "false, NULL::text, NULL::text" */

	initStringInfo(&g);
	initStringInfo(&gnull);
	initStringInfo(&eg);
	initStringInfo(&cell_seg);
	initStringInfo(&other_seg);
	for (int i = 0; i < cfg->nsegments; i++)
	{
		appendStringInfo(&g, ", r.g%d", i + 1);
		appendStringInfoString(&gnull, ", NULL::pg_catalog.text");
		appendStringInfo(&eg, ", e.g%d", i + 1);
	}

	appendStringInfoString(buf,
						   "INSERT INTO churn.summary_delta (relid, bucket, kind, channel, segment, detail, n)"
						   " SELECT $1, e.b, e.kind, e.ch, CASE WHEN e.seg THEN ");
	if (cfg->nsegments > 0)
	{
		appendStringInfoString(buf, "pg_catalog.jsonb_build_object(");
		for (int i = 0; i < cfg->nsegments; i++)
			appendStringInfo(buf, "%s%s::pg_catalog.text, e.g%d", i > 0 ? ", " : "",
							 quote_literal_cstr(cfg->segments[i]), i + 1);
		appendStringInfoString(buf, ")");
	}
	else
		appendStringInfoString(buf, "'{}'::pg_catalog.jsonb");
	appendStringInfoString(buf,
						   " ELSE '{}'::pg_catalog.jsonb END, e.d, pg_catalog.sum(e.n) FROM ("
						   "SELECT f.* FROM (SELECT r.bs, r.bu, r.ch, r.rs, r.st");
	appendStringInfoString(buf, g.data);
	appendStringInfoString(buf, ", pg_catalog.count(*)::pg_catalog.int4 AS w FROM (");
	append_normalize(buf, cfg, source, true);
	appendStringInfoString(buf, ") r WHERE r.bs IS NOT NULL GROUP BY r.bs, r.bu, r.ch, r.rs, r.st");
	appendStringInfoString(buf, g.data);
	appendStringInfoString(buf, ") r CROSS JOIN LATERAL ");
	appendStringInfo(&cell_seg, "true%s", g.data);
	appendStringInfo(&other_seg, "false%s", gnull.data);
	append_rule_values(buf, cfg, "r.w", cell_seg.data, other_seg.data);
	appendStringInfoString(buf, " f(b, kind, ch, seg");
	for (int i = 0; i < cfg->nsegments; i++)
		appendStringInfo(buf, ", g%d", i + 1);
	appendStringInfoString(buf, ", d, n) WHERE f.b IS NOT NULL) e GROUP BY e.b, e.kind, e.ch, e.seg");
	appendStringInfoString(buf, eg.data);
	appendStringInfoString(buf, ", e.d HAVING pg_catalog.sum(e.n) OPERATOR(pg_catalog.<>) 0");
}

static const char *insert_delta =
"INSERT INTO churn.summary_delta (relid, bucket, kind, channel, segment, detail, n) "
"SELECT $1, e.b, e.kind, e.ch, e.sg, e.d, pg_catalog.sum(e.n) FROM (";

static const char *insert_delta_end =
") e GROUP BY e.b, e.kind, e.ch, e.sg, e.d HAVING pg_catalog.sum(e.n) OPERATOR(pg_catalog.<>) 0";

/*
 * The statement a trigger runs for one statement on the tracked table.
 */
char *
summary_capture_sql(const SummaryConfig *cfg, SummaryStatement stmt,
					const char *newtable, const char *oldtable)
{
	StringInfoData buf;

	initStringInfo(&buf);
	switch (stmt)
	{
		case SUMMARY_INSERT:

			/*
			 * New customers have no history (it is deleted with the
			 * customer), so only the fast path applies; rows are grouped
			 * before the events are spread out.
			 */
			append_insert_capture(&buf, cfg, quote_identifier(newtable));
			break;

		case SUMMARY_DELETE:
			appendStringInfoString(&buf, "WITH o AS MATERIALIZED (");
			append_normalize(&buf, cfg, quote_identifier(oldtable), false);
			appendStringInfoString(&buf,
								   "), h AS MATERIALIZED (SELECT x.customer, x.entries AS hist"
								   " FROM churn.history x WHERE x.relid OPERATOR(pg_catalog.=) $1"
								   " AND x.customer IN (SELECT o.k FROM o)),"
								   " del AS (DELETE FROM churn.history x WHERE x.relid OPERATOR(pg_catalog.=) $1"
								   " AND x.customer IN (SELECT h.customer FROM h)),"
								   " ro AS (SELECT o.*, h.hist, -1 AS w FROM o LEFT JOIN h ON h.customer OPERATOR(pg_catalog.=) o.k) ");
			appendStringInfoString(&buf, insert_delta);
			append_events(&buf, cfg, "ro");
			appendStringInfoString(&buf, insert_delta_end);
			break;

		case SUMMARY_UPDATE:
			appendStringInfoString(&buf, "WITH o AS MATERIALIZED (");
			append_normalize(&buf, cfg, quote_identifier(oldtable), false);
			appendStringInfoString(&buf, "), n AS MATERIALIZED (");
			append_normalize(&buf, cfg, quote_identifier(newtable), false);
			appendStringInfoString(&buf,
								   /* rows whose tracked values changed, paired by customer */
								   "), p AS MATERIALIZED (SELECT o.k AS ok, n.k AS nk, o.u AS ou, o.ch AS och,"
								   " o.rs AS ors, o.st AS ost, n.s AS ns, n.u AS nu, n.ch AS nch, n.st AS nst, n.c AS nc"
								   " FROM o FULL JOIN n ON o.k OPERATOR(pg_catalog.=) n.k"
								   " WHERE o.k IS NULL OR n.k IS NULL"
								   " OR (o.s, o.u, o.ch, o.sg, o.rs, o.st) IS DISTINCT FROM (n.s, n.u, n.ch, n.sg, n.rs, n.st)),"
								   /* their history before this statement */
								   " h AS MATERIALIZED (SELECT x.customer, x.entries AS hist, m.last_at, m.last_seq"
								   " FROM churn.history x CROSS JOIN LATERAL (SELECT pg_catalog.max(e.at) AS last_at,"
								   " pg_catalog.max(e.seq) AS last_seq FROM pg_catalog.unnest(x.entries) e) m"
								   " WHERE x.relid OPERATOR(pg_catalog.=) $1"
								   " AND x.customer IN (SELECT p.ok FROM p)),"
								   /*
									* moves, reactivations and state transitions become history:
									* the customer's row gets them appended (or is made)
									*/
								   " ins AS (INSERT INTO churn.history AS y (relid, customer, entries)"
								   " SELECT $1, b.nk, pg_catalog.array_agg(ROW(b.seq, b.at, b.kind, b.channel,"
								   " b.from_channel, b.lost_at, b.reason, b.from_state, b.to_state)::churn.history_entry"
								   " ORDER BY b.seq) FROM ("
								   " SELECT q.nk, (COALESCE(q.last_seq, 0) OPERATOR(pg_catalog.+)"
								   " pg_catalog.row_number() OVER (PARTITION BY q.nk ORDER BY v.o))::pg_catalog.int4 AS seq,"
								   " q.at, v.kind, v.channel, v.from_channel, v.lost_at, v.reason,"
								   " v.from_state, v.to_state"
								   " FROM (SELECT p.*, GREATEST(p.nc, h.last_at) AS at, h.last_seq FROM p"
								   " LEFT JOIN h ON h.customer OPERATOR(pg_catalog.=) p.ok"
								   " WHERE p.ok OPERATOR(pg_catalog.=) p.nk AND p.ns IS NOT NULL) q"
								   " CROSS JOIN LATERAL (VALUES");
			/* a move, a reactivation, a state transition (summary_kinds.h) */
			appendStringInfo(&buf,
							 " (1, '%c'::pg_catalog.\"char\", q.nch, q.och, NULL::pg_catalog.timestamp, NULL::pg_catalog.text,"
							 " NULL::pg_catalog.text, NULL::pg_catalog.text, q.och IS DISTINCT FROM q.nch),"
							 " (2, '%c'::pg_catalog.\"char\", NULL, NULL, q.ou, q.ors, NULL, NULL,"
							 " q.ou IS NOT NULL AND q.nu IS NULL AND q.at OPERATOR(pg_catalog.>=) q.ou),"
							 " (3, '%c'::pg_catalog.\"char\", NULL, NULL, NULL, NULL, q.ost, q.nst, q.ost IS DISTINCT FROM q.nst))",
							 HISTORY_MOVE, HISTORY_REACTIVATION, HISTORY_STATE);
			appendStringInfoString(&buf,
								   " v(o, kind, channel, from_channel, lost_at, reason, from_state, to_state, keep)"
								   " WHERE v.keep AND q.at OPERATOR(pg_catalog.>=) q.ns) b GROUP BY b.nk"
								   " ON CONFLICT (relid, customer) DO UPDATE"
								   " SET entries = y.entries OPERATOR(pg_catalog.||) EXCLUDED.entries"
								   " RETURNING y.customer, y.entries),"
								   /* customers whose key changed leave their history behind */
								   " del AS (DELETE FROM churn.history x WHERE x.relid OPERATOR(pg_catalog.=) $1"
								   " AND x.customer IN (SELECT p.ok FROM p WHERE p.nk IS NULL)),"
								   " ih AS (SELECT i.customer, i.entries AS hist FROM ins i),"
								   " ro AS (SELECT o.*, h.hist, -1 AS w FROM o JOIN p ON p.ok OPERATOR(pg_catalog.=) o.k"
								   " LEFT JOIN h ON h.customer OPERATOR(pg_catalog.=) o.k),"
								   " rn AS (SELECT n.*, COALESCE(ih.hist, h.hist) AS hist, 1 AS w"
								   " FROM n JOIN p ON p.nk OPERATOR(pg_catalog.=) n.k"
								   " LEFT JOIN h ON h.customer OPERATOR(pg_catalog.=) n.k AND p.ok IS NOT NULL"
								   " LEFT JOIN ih ON ih.customer OPERATOR(pg_catalog.=) n.k) ");
			appendStringInfoString(&buf, insert_delta);
			append_events(&buf, cfg, "ro");
			appendStringInfoString(&buf, " UNION ALL ");
			append_events(&buf, cfg, "rn");
			appendStringInfoString(&buf, insert_delta_end);
			break;

		case SUMMARY_TRUNCATE:
			/* the deletes wait for a refresh at work (advisory lock) */
			appendStringInfoString(&buf, "SELECT churn._truncated($1)");
			break;
	}
	return buf.data;
}

/*
 * SELECT b, kind, ch, sg, d, n: the events of the rows of rel (the tracked
 * table of cfg, or one of its partitions), from them and the tracked table's
 * history ($1), for churn.rebuild and churn.verify, and for the DROP of a
 * partition.
 */
char *
summary_events_sql(const SummaryConfig *cfg, Relation rel)
{
	StringInfoData buf;
	StringInfoData src;

	initStringInfo(&buf);
	initStringInfo(&src);
	appendStringInfo(&src, "%s%s",
					 rel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE ? "" : "ONLY ",
					 quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
												RelationGetRelationName(rel)));
	appendStringInfoString(&buf,
						   "WITH h AS (SELECT x.customer, x.entries AS hist"
						   " FROM churn.history x WHERE x.relid OPERATOR(pg_catalog.=) $1");
	/* of a partition: the history of its customers only (by the key's index) */
	if (RelationGetRelid(rel) != cfg->relid)
	{
		appendStringInfoString(&buf, " AND x.customer OPERATOR(pg_catalog.=) ANY (SELECT (");
		append_col(&buf, cfg->customer);
		appendStringInfo(&buf, ")::pg_catalog.text COLLATE pg_catalog.\"C\" FROM %s t)", src.data);
	}
	appendStringInfoString(&buf, ") ");
	append_fast_grouped(&buf, cfg, src.data,
						"NOT EXISTS (SELECT FROM h WHERE h.customer OPERATOR(pg_catalog.=) r.k)");
	appendStringInfoString(&buf,
						   " UNION ALL SELECT x.b, x.kind, x.ch, x.sg, x.d, x.n FROM (SELECT r.*, ");
	append_segment_object(&buf, cfg, true);
	appendStringInfoString(&buf, " AS sg, h.hist FROM (");
	append_normalize(&buf, cfg, src.data, true);
	appendStringInfo(&buf,
					 ") r JOIN h ON h.customer OPERATOR(pg_catalog.=) r.k) r"
					 " CROSS JOIN LATERAL churn._timeline(r.k, r.s, r.u, r.ch, r.sg, r.rs, r.st, r.hist, $2, 1, %s%s) x",
					 cfg->reason ? "true" : "false", timeline_states_from(cfg));
	return buf.data;
}

PG_FUNCTION_INFO_V1(churn_events_query);

/*
 * churn._events_query(relation regclass) → text: the query giving the events
 * of a tracked table recomputed from scratch ($1 relation, $2 bucket width,
 * $3 time zone).
 */
Datum
churn_events_query(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	Relation	rel;
	SummaryConfig cfg;
	char	   *sql;

	MemoryContext outer = CurrentMemoryContext;

	rel = table_open(relid, AccessShareLock);
	/* the recomputation reads every row (as the caller) */
	churn_require_all_rows(relid);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	MemoryContextSwitchTo(outer);
	if (!summary_load_config(relid, rel, &cfg))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table \"%s\" is not tracked by churn",
						churn_table_name(relid))));
	MemoryContextSwitchTo(outer);
	sql = summary_events_sql(&cfg, rel);
	SPI_finish();
	table_close(rel, AccessShareLock);
	PG_RETURN_TEXT_P(cstring_to_text(sql));
}

/*
 * Run sql through SPI with a snapshot taken now, not the transaction's: under
 * REPEATABLE READ or SERIALIZABLE the transaction's snapshot can predate rows
 * committed while the caller waited for its locks, rows that the DROP about
 * to run takes all the same (as the RI triggers read for a check).  A query
 * read_only leaves its rows in SPI_tuptable.
 */
static void
execute_with_latest_snapshot(const char *sql, int nargs, Oid *argtypes, Datum *values,
							 bool read_only)
{
	SPIPlanPtr	plan = SPI_prepare(sql, nargs, argtypes);

	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	if (SPI_execute_snapshot(plan, values, NULL, GetLatestSnapshot(), InvalidSnapshot,
							 read_only, !read_only, 0) < 0)
		elog(ERROR, "SPI_execute_snapshot failed: %s", sql);
	SPI_freeplan(plan);
}

/*
 * The tracked table in whose summaries a partition that a DROP TABLE names
 * counts, or InvalidOid, and in *parent the partition's parent: a tracked
 * table above it that is not suspended and has its triggers (a table being
 * restored gets them later), when neither it nor a partition between them
 * is named too (named, an oid[]: the tracked table then forgets it whole,
 * the partition above subtracts it).  Read with a snapshot taken now, as the
 * catalogs are read: once the caller holds its locks, a concurrent DETACH,
 * track, untrack or suspend has committed, and the transaction's own
 * snapshot (REPEATABLE READ) may predate it.
 */
static Oid
partition_tracked(Oid partition, Datum named, Oid *parent)
{
	static const char *sql =
		"SELECT tt.relid::pg_catalog.oid, i.inhparent"
		" FROM pg_catalog.pg_inherits i"
		" JOIN pg_catalog.pg_partition_ancestors($1) a ON a.relid OPERATOR(pg_catalog.<>) $1"
		" JOIN churn.tracked_table tt ON tt.relid OPERATOR(pg_catalog.=) a.relid"
		" WHERE i.inhrelid OPERATOR(pg_catalog.=) $1 AND NOT tt.suspended"
		" AND EXISTS (SELECT FROM pg_catalog.pg_trigger g"
		"  WHERE g.tgrelid OPERATOR(pg_catalog.=) tt.relid"
		"  AND g.tgname OPERATOR(pg_catalog.=) 'churn_summary_insert')"
		" AND NOT EXISTS (SELECT FROM pg_catalog.pg_partition_ancestors($1) b"
		"  WHERE b.relid OPERATOR(pg_catalog.<>) $1"
		"  AND b.relid::pg_catalog.oid OPERATOR(pg_catalog.=) ANY ($2))";
	Oid			argtypes[2] = {REGCLASSOID, OIDARRAYOID};
	Datum		args[2] = {ObjectIdGetDatum(partition), named};
	Oid			tracked = InvalidOid;
	bool		isnull;

	execute_with_latest_snapshot(sql, 2, argtypes, args, true);
	if (SPI_processed >= 1)
	{
		tracked = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0],
												 SPI_tuptable->tupdesc, 1, &isnull));
		*parent = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0],
												 SPI_tuptable->tupdesc, 2, &isnull));
	}
	return tracked;
}

/*
 * Take the customers of partitions of tracked table relid out of its
 * summaries, as a DELETE of their rows would: the events of their rows,
 * recomputed from them and the history by the table's settings (the query
 * of churn.rebuild, over the partition), go in as negative pending deltas;
 * then their history goes (after every partition's events, which read it).
 * Connected to SPI; the partitions are locked.
 */
static void
subtract_partitions(Oid relid, const Oid *partitions, int npartitions)
{
	Relation	rel = table_open(relid, AccessShareLock);
	SummaryConfig cfg;
	Oid			argtypes[4] = {REGCLASSOID, INTERVALOID, TEXTOID, TIMESTAMPTZOID};
	Datum		args[4];

	if (!summary_load_config(relid, rel, &cfg))
		elog(ERROR, "churn: table %u is not tracked", relid);
	args[0] = ObjectIdGetDatum(relid);
	args[1] = IntervalPGetDatum(&cfg.bucket);
	args[2] = CStringGetTextDatum(cfg.time_zone);
	args[3] = TimestampTzGetDatum(cfg.states_from);
	for (int i = 0; i < npartitions; i++)
	{
		Relation	source = table_open(partitions[i], NoLock);

		execute_with_latest_snapshot(psprintf("INSERT INTO churn.summary_delta"
											  " (relid, bucket, kind, channel, segment, detail, n)"
											  " SELECT $1, e.b, e.kind, e.ch, e.sg, e.d, - pg_catalog.sum(e.n)"
											  " FROM (%s) e GROUP BY e.b, e.kind, e.ch, e.sg, e.d"
											  " HAVING pg_catalog.sum(e.n) OPERATOR(pg_catalog.<>) 0",
											  summary_events_sql(&cfg, source)),
									 4, argtypes, args, false);
		table_close(source, NoLock);
	}
	for (int i = 0; i < npartitions; i++)
		execute_with_latest_snapshot(psprintf("DELETE FROM churn.history h USING %s d"
											  " WHERE h.relid OPERATOR(pg_catalog.=) $1"
											  " AND h.customer OPERATOR(pg_catalog.=)"
											  " (d.%s)::pg_catalog.text COLLATE pg_catalog.\"C\"",
											  quote_qualified_identifier(get_namespace_name(get_rel_namespace(partitions[i])),
																		 get_rel_name(partitions[i])),
											  quote_identifier(cfg.customer)),
									 1, argtypes, args, false);
	table_close(rel, AccessShareLock);
}

/*
 * summary_lock_dropped_partitions: of the partitions a DROP TABLE names that
 * the role may drop (churn._on_drop_start, connected to SPI as the
 * extension owner; named_tables: every table it names), those that
 * count in a tracked table's summaries, locked top-down, as queries and
 * DROP lock: the tracked table (for reading, when it is not the parent),
 * the parent, then the partition and its own partitions.  What makes one
 * count is read again under the locks until it holds still.  Returns how
 * many count, each in *counted with its tracked table in *trackeds.
 */
int
summary_lock_dropped_partitions(const Oid *named_partitions, int npartitions,
								const Oid *named_tables, int nnamed,
								Oid **trackeds, Oid **counted)
{
	Oid		   *partitions = palloc(sizeof(Oid) * npartitions);
	Datum	   *names = palloc(sizeof(Datum) * Max(nnamed, 1));
	Datum		named;
	int			ncounted = 0;

	for (int i = 0; i < nnamed; i++)
		names[i] = ObjectIdGetDatum(named_tables[i]);
	named = PointerGetDatum(construct_array(names, nnamed, OIDOID, sizeof(Oid),
											true, TYPALIGN_INT));

	*trackeds = palloc(sizeof(Oid) * npartitions);
	*counted = palloc(sizeof(Oid) * npartitions);
	/* a partition named twice is dropped once */
	memcpy(partitions, named_partitions, sizeof(Oid) * npartitions);
	qsort(partitions, npartitions, sizeof(Oid), oid_cmp);
	npartitions = qunique(partitions, npartitions, sizeof(Oid), oid_cmp);
	for (int i = 0; i < npartitions; i++)
	{
		Oid			partition = partitions[i];
		Oid			locked_tracked = InvalidOid;
		Oid			locked_parent = InvalidOid;

		for (;;)
		{
			Oid			parent = InvalidOid;
			Oid			tracked = partition_tracked(partition, named, &parent);

			if (!OidIsValid(tracked))
				break;
			if (tracked == locked_tracked && parent == locked_parent)
			{
				(*trackeds)[ncounted] = tracked;
				(*counted)[ncounted++] = partition;
				break;
			}
			if (tracked != parent)
				LockRelationOid(tracked, AccessShareLock);
			LockRelationOid(parent, AccessExclusiveLock);
			/* (find_all_inheritors locks the partitions under it, not it) */
			LockRelationOid(partition, AccessExclusiveLock);
			(void) find_all_inheritors(partition, AccessExclusiveLock, NULL);
			locked_tracked = tracked;
			locked_parent = parent;
		}
	}
	return ncounted;
}

/*
 * summary_subtract_dropped: what summary_lock_dropped_partitions found, each
 * tracked table's partitions subtracted at once (connected to SPI as the
 * extension owner)
 */
void
summary_subtract_dropped(const Oid *trackeds, const Oid *counted, int ncounted)
{
	Oid		   *group = palloc(sizeof(Oid) * Max(ncounted, 1));

	for (int i = 0; i < ncounted; i++)
	{
		int			n = 0;
		bool		seen = false;

		for (int j = 0; j < i && !seen; j++)
			seen = trackeds[j] == trackeds[i];
		if (seen)
			continue;
		for (int j = i; j < ncounted; j++)
			if (trackeds[j] == trackeds[i])
				group[n++] = counted[j];
		subtract_partitions(trackeds[i], group, n);
	}
}
