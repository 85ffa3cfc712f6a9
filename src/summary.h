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

#include "churn.h"				/* pg_noreturn */

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
	TimestampTz states_from;	/* lifecycle states are known from */
	bool		version_1_0;	/* the database's churn is still at 1.0 */
	/* base types of the time columns (date, timestamp or timestamptz) */
	Oid			since_type;
	Oid			until_type;
	Oid			changed_at_type;
} SummaryConfig;

/*
 * Where a statement's capture goes and how it buckets times: what the
 * trigger keeps of the configuration for the captures in C
 */
typedef struct SummaryTarget
{
	Oid			tracked;		/* the tracked table (an ancestor for a partition) */
	Interval	bucket;			/* the bucket width */
	char		time_zone[NAMEDATALEN * 2]; /* the fixed time zone */
	TimestampTz states_from;	/* lifecycle states are known from */
} SummaryTarget;

/* Kinds of capture statement */
typedef enum SummaryStatement
{
	SUMMARY_INSERT,
	SUMMARY_UPDATE,
	SUMMARY_DELETE,
	SUMMARY_TRUNCATE
} SummaryStatement;

/*
 * Statements of at most this many rows are captured in C (summary_capture.c):
 * the default and the greatest value of churn.capture_fast_max (churn.c).
 * Pairing old and new rows in C costs rows squared.
 */
#define SUMMARY_FAST_MAX	1000

extern int	churn_capture_fast_max;

typedef struct SummaryColumns SummaryColumns;

/*
 * The rules of a customer's start and stop (summary_timeline.c): which kind
 * of count, in the bucket of which point, when, keyed by what.
 */
typedef enum SummaryRuleAt
{
	RULE_AT_START,				/* the bucket of since (or a reactivation) */
	RULE_AT_STATE_KNOWN,		/* the bucket from which its state is known */
	RULE_AT_STOP				/* the bucket of until (or a loss) */
} SummaryRuleAt;

typedef enum SummaryRuleWhen
{
	RULE_ALWAYS,
	RULE_IF_STATE,				/* the customer has a state */
	RULE_IF_STAYED_BEFORE,		/* its stay began before the stop's bucket */
	RULE_IF_REASON_TRACKED		/* the table tracks a reason */
} SummaryRuleWhen;

typedef enum SummaryRuleKey
{
	RULE_KEY_CELL,				/* channel, segment */
	RULE_KEY_REASON,			/* channel, detail = reason */
	RULE_KEY_STATE				/* detail = state */
} SummaryRuleKey;

typedef struct SummaryRule
{
	char		kind;			/* a SummaryKind */
	SummaryRuleAt at;
	SummaryRuleWhen when;
	SummaryRuleKey key;
} SummaryRule;

extern const SummaryRule summary_row_rules[];
extern const int summary_nrow_rules;

/* what a customer is at a point of its timeline, for the rules */
typedef struct SummaryRuleRow
{
	Timestamp	bucket;			/* of the point */
	Timestamp	stay_bucket;	/* at a stop: of the start of the stay */
	const char *channel;
	const char *segment;		/* jsonb text */
	const char *reason;
	const char *state;
	bool		with_reason;	/* the table tracks a reason */
} SummaryRuleRow;

typedef void (*summary_emit_fn) (void *arg, Timestamp b, char kind, const char *ch,
								 const char *sg, const char *d, int64 w);

/* summary_bucket.c */
extern void summary_check_width(const Interval *width);
extern Timestamp summary_bucket_floor(Timestamp ts, const Interval *width);

/*
 * The buckets of the days last seen, for a loop over many rows: a month-based
 * bucket's start depends only on the day, and a calendar conversion per row
 * is most of what a bulk capture spends on times.  The memo is made after
 * SUMMARY_BUCKET_MEMO_AFTER rows, so that a one-row statement does not pay
 * for it.
 */
#define SUMMARY_BUCKET_MEMO 4096
#define SUMMARY_BUCKET_MEMO_AFTER 64

typedef struct SummaryBucketMemo
{
	Interval	width;
	MemoryContext cxt;			/* of the memo (a row's may be reset) */
	int			calls;			/* before the memo is made */
	int64	   *day;			/* a day, or PG_INT64_MIN for none */
	Timestamp  *floor;			/* the start of its bucket */
} SummaryBucketMemo;

extern SummaryBucketMemo *summary_bucket_memo(const Interval *width);
extern Timestamp summary_bucket_floor_memo(SummaryBucketMemo *memo, Timestamp ts);

/* summary_sql.c */
extern bool summary_load_config(Oid relid, Relation rel, SummaryConfig *cfg);
pg_noreturn extern void summary_rethrow_bare(ErrorData *edata);
extern char *summary_capture_sql(const SummaryConfig *cfg, SummaryStatement stmt,
								 const char *newtable, const char *oldtable);
extern char *summary_events_sql(const SummaryConfig *cfg, Relation rel);
extern int	summary_lock_dropped_partitions(const Oid *named_partitions, int npartitions,
											const Oid *named_tables, int nnamed,
											Oid **trackeds, Oid **counted);
extern void summary_subtract_dropped(const Oid *trackeds, const Oid *counted, int ncounted);

/* summary_trigger.c */
extern int	summary_pin_search_path(void);
extern int	summary_become_owner(Oid owner, Oid *save_userid, int *save_sec_context);
extern void summary_end_owner(int nestlevel, Oid save_userid, int save_sec_context);
extern Oid	summary_extension_owner(void);

/* summary_convert.c */
extern SummaryColumns *summary_columns_setup(const SummaryConfig *cfg, Relation rel);
extern bool summary_columns_usable(const SummaryColumns *cols);
extern bool summary_columns_valid(const SummaryColumns *cols, Relation rel);
extern bool summary_update_unchanged(TriggerData *trigdata, SummaryColumns *cols);
extern void summary_check_rows(TriggerData *trigdata, SummaryColumns *cols);

/* summary_capture.c */
extern void summary_capture_changes(TriggerData *trigdata, SummaryStatement stmt,
									SummaryColumns *cols, const SummaryTarget *target);
extern void summary_capture_insert(TriggerData *trigdata, SummaryColumns *cols,
								   const SummaryTarget *target);

/* summary_order.c */
extern bool summary_order_take(TriggerData *trigdata, List **kept,
							   void (*check) (TriggerData *trigdata));
extern void summary_order_replay(List *kept, void (*capture) (TriggerData *trigdata, List **rest));

#endif							/* CHURN_SUMMARY_H */
