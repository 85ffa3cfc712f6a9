/*-------------------------------------------------------------------------
 *
 * summary_capture.h
 *	  What the files of the capture in C share: a tracked row's columns, a
 *	  normalized row, a customer's history, the events of a statement.
 *
 * The capture of a statement reads its rows (summary_convert.c), the
 * history of their customers (summary_history.c), replays each customer's
 * timeline into events (summary_timeline.c) and appends the events and the
 * new history (summary_capture.c).
 *
 * src/summary_capture.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHURN_SUMMARY_CAPTURE_H
#define CHURN_SUMMARY_CAPTURE_H

#include "access/tupdesc.h"
#include "datatype/timestamp.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "nodes/pg_list.h"
#include "pgtime.h"
#include "storage/itemptr.h"
#include "utils/array.h"
#include "utils/relcache.h"
#include "utils/tuplestore.h"

#include "summary.h"

/* how a column becomes text, as "col::text" does */
typedef enum TextWay
{
	TEXT_VIA_OUTPUT,
	TEXT_RELABEL,
	TEXT_VIA_FUNC
} TextWay;

typedef struct SummaryColumn
{
	char	   *name;
	Oid			atttype;
	AttrNumber	attnum;
	Oid			basetype;
	TextWay		way;
	FmgrInfo	fn;				/* output function or cast function */
} SummaryColumn;

/* the tracked columns of a table, as the capture in C reads them */
struct SummaryColumns
{
	bool		usable;
	SummaryColumn	customer;
	SummaryColumn	since;
	SummaryColumn	until;
	bool		has_channel;
	SummaryColumn	channel;
	bool		has_reason;
	SummaryColumn	reason;
	bool		has_state;
	SummaryColumn	state;
	bool		has_changed_at;
	SummaryColumn	changed_at;
	int			nsegments;
	char	  **segment_names;
	SummaryColumn *segments;
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


/*
 * The time zone of a tracked table, for converting its timestamptz values to
 * local timestamps as timezone(zone, value) does.  A zone of a fixed offset
 * from UTC (UTC itself, Etc/UTC, Etc/GMT-3, ...), the usual choice of a
 * server, is an addition: timezone() would parse the zone's name for every
 * value (an eighth of what the capture of a COPY costs in C).  A zone with
 * daylight saving time (Europe/Berlin) is an addition too on the days
 * without a change of offset, once a statement has converted enough values
 * for a memo of the days' offsets to pay (summary_local_time).
 */
typedef struct LocalZoneDays LocalZoneDays;

typedef struct LocalZone
{
	Datum		name;			/* text, for timezone() */
	bool		fixed;			/* a fixed offset from UTC */
	int64		offset;			/* that offset, in microseconds east */
	pg_tz	   *tz;				/* else the zone timezone() reads, or NULL */
	LocalZoneDays *days;		/* the offsets of the days seen (mutable) */
} LocalZone;

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
	bool		written;		/* summary_write_history: row written or deleted */
} HistList;

/* churn.history: relid 1, customer 2, entries 3 (churn.history_entry[]) */
#define HISTORY_NATTS		3
#define HISTORY_ENTRY_NATTS	9


/* the row type of churn.history's entries, with what arrays of it need */
typedef struct HistoryEntryType
{
	TupleDesc	desc;
	int16		len;
	bool		byval;
	char		align;
} HistoryEntryType;

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


/* summary_convert.c */
extern bool summary_key_unique(SummaryColumns *cols, Relation rel);
extern bool summary_str_eq(const char *a, const char *b);
extern bool summary_key_eq(const char *a, const char *b);
extern char *summary_column_text(SummaryColumn *col, TupleTableSlot *slot);
extern const char *summary_column_bytes(SummaryColumn *col, TupleTableSlot *slot, int *len);
extern void summary_local_zone(LocalZone *z, const char *time_zone);
extern Timestamp summary_local_time(const LocalZone *z, TimestampTz t);
extern bool summary_column_local(SummaryColumn *col, TupleTableSlot *slot, const LocalZone *tz,
								 Timestamp *result);
extern void summary_check_period(SummaryColumns *cols, TupleTableSlot *slot, const char *key);
extern void summary_read_rows(Tuplestorestate *ts, Relation rel, SummaryColumns *cols,
							  const LocalZone *tz, CapRow **rows_out, int *n_out);
extern bool summary_same_tracked(const CapRow *a, const CapRow *b);

/* summary_history.c */
extern Oid	summary_churn_relid(const char *name);
extern void summary_entry_type(Oid elemtype, HistoryEntryType *et);
extern void summary_decode_history(ArrayType *arr, const HistoryEntryType *et, HistList *l,
								   const char *key);
extern HistList *summary_fetch_history(Oid tracked, char **keys, int nkeys, HistoryEntryType *et);
extern void summary_append_history(HistList *l, HistEntry *e);
extern bool summary_write_history(Oid tracked, const HistoryEntryType *et, char **cust,
								  HistEntry *h, HistList **hl, int nh, HistList **gone, int ngone);
extern void summary_lock_customers(Oid tracked, char **keys, int nkeys);

/* summary_timeline.c */
extern void summary_add_event(EventBuf *ev, Timestamp b, char kind, const char *ch,
							  const char *sg, const char *d, int w);
extern void summary_merge_events(EventBuf *ev);
extern void summary_apply_rules(SummaryRuleAt at, const SummaryRuleRow *r, int64 w,
								summary_emit_fn emit, void *arg);
extern void summary_timeline(EventBuf *ev, const CapRow *r, HistEntry *h, int nh,
							 const Interval *width, bool with_reason, Timestamp states_from,
							 int w);

#endif							/* CHURN_SUMMARY_CAPTURE_H */
