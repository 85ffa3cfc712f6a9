/*-------------------------------------------------------------------------
 *
 * summary.h
 *	  Declarations of the trigger-maintained churn summaries.
 *
 * src/summary.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHURN_SUMMARY_H
#define CHURN_SUMMARY_H

#include "fmgr.h"
#include "nodes/pg_list.h"
#include "datatype/timestamp.h"
#include "commands/trigger.h"
#include "utils/relcache.h"

/* What a tracked table's row of churn.tracked_table says, plus column types */
typedef struct SummaryConfig
{
	Oid			relid;
	char	   *customer;
	char	   *since;
	char	   *until;
	char	   *channel;		/* NULL when not tracked */
	char	   *state;			/* NULL when not tracked */
	char	   *reason;			/* NULL when not tracked */
	char	   *changed_at;		/* NULL when not tracked */
	int			nsegments;
	char	  **segments;
	Interval	bucket;
	char	   *time_zone;
	/* base types of the time columns (date, timestamp or timestamptz) */
	Oid			since_type;
	Oid			until_type;
	Oid			changed_at_type;
} SummaryConfig;

/* Kinds of capture statement */
typedef enum SummaryStatement
{
	SUMMARY_INSERT,
	SUMMARY_UPDATE,
	SUMMARY_DELETE,
	SUMMARY_TRUNCATE
} SummaryStatement;

/* Statements of at most this many rows are captured in C (summary_capture.c) */
#define SUMMARY_FAST_MAX	1000

typedef struct SummaryColumns SummaryColumns;

/* summary_bucket.c */
extern void summary_check_width(const Interval *width);
extern Timestamp summary_bucket_floor(Timestamp ts, const Interval *width);

/* summary_sql.c */
extern bool summary_load_config(Oid relid, Relation rel, SummaryConfig *cfg);
extern char *summary_capture_sql(const SummaryConfig *cfg, SummaryStatement stmt,
								 const char *newtable, const char *oldtable);
extern char *summary_events_sql(const SummaryConfig *cfg, Relation rel);

/* summary_trigger.c */
extern int	summary_pin_search_path(void);
extern Oid	summary_extension_owner(void);

/* summary_convert.c */
extern SummaryColumns *summary_columns_setup(const SummaryConfig *cfg, Relation rel);
extern bool summary_columns_usable(const SummaryColumns *cols);
extern bool summary_columns_valid(const SummaryColumns *cols, Relation rel);
extern void summary_check_rows(TriggerData *trigdata, SummaryColumns *cols);

/* summary_capture.c */
extern void summary_capture_changes(TriggerData *trigdata, SummaryStatement stmt,
									SummaryColumns *cols, Oid tracked,
									const Interval *width, const char *time_zone);
extern void summary_capture_insert(TriggerData *trigdata, SummaryColumns *cols,
								   Oid tracked, const Interval *width,
								   const char *time_zone);

/* summary_order.c */
extern bool summary_order_take(TriggerData *trigdata, List **kept,
							   void (*check) (TriggerData *trigdata));
extern void summary_order_replay(List *kept, void (*capture) (TriggerData *trigdata, List **rest));

#endif							/* CHURN_SUMMARY_H */
