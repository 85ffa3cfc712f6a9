/*-------------------------------------------------------------------------
 *
 * summary_kinds.h
 *	  The kinds of summary counts and of history entries: one definition for
 *	  the capture in C, the SQL it generates, the views and the rules.
 *
 * The codes are what churn.summary, churn.summary_delta and churn.history
 * store: never renumber them.  SQL names a kind through churn._kind('name'),
 * which the planner folds into the code, and tells a kind's family (the
 * cells of churn.summary_cell that count it) through churn._kind_family()
 * (summary_kinds.c).
 *
 * src/summary_kinds.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHURN_SUMMARY_KINDS_H
#define CHURN_SUMMARY_KINDS_H

/* A kind of count: a delta's, a compacted count's, or verify's */
typedef enum SummaryKind
{
	SUMMARY_KIND_NEW = 'n',		/* a first start (churn cell) */
	SUMMARY_KIND_REACTIVATED = 'r', /* a start after a loss */
	SUMMARY_KIND_MOVED_IN = 'i',	/* a move into the cell's channel */
	SUMMARY_KIND_MOVED_OUT = 'o',	/* a move out of it */
	SUMMARY_KIND_LOST = 'l',	/* a loss */
	SUMMARY_KIND_LOST_FROM_START = 'f', /* a loss of a customer at the
										 * bucket's start */
	SUMMARY_KIND_LOST_BY_REASON = 'c',	/* a loss; channel, detail: reason */
	SUMMARY_KIND_MOVED = 'd',	/* a move; channel: from, detail: to */
	SUMMARY_KIND_STATE_ENTERED = 's',	/* lifecycle cell; detail: state */
	SUMMARY_KIND_STATE_LEFT = 'x',	/* lifecycle cell; detail: state */
	SUMMARY_KIND_TRANSITION = 't',	/* detail: 'from>to' */
	SUMMARY_KIND_AT_START = 'a' /* verify only: a stored running balance */
} SummaryKind;

/* The families of churn.summary_cell (a kind counted in none is 0) */
#define SUMMARY_FAMILY_CHURN		'c' /* a channel and segment */
#define SUMMARY_FAMILY_LIFECYCLE	'l' /* a lifecycle state */

/* A kind of history entry (churn.history_entry.kind) */
typedef enum HistoryKind
{
	HISTORY_MOVE = 'm',			/* channel, from_channel */
	HISTORY_REACTIVATION = 'r', /* lost_at, reason: the loss it ended */
	HISTORY_STATE = 's'			/* from_state, to_state */
} HistoryKind;

typedef struct SummaryKindInfo
{
	SummaryKind kind;
	const char *name;			/* verify's name, churn._kind()'s argument */
	char		family;			/* SUMMARY_FAMILY_..., or 0 */
} SummaryKindInfo;

extern const SummaryKindInfo *summary_kind_info(char kind);

#endif							/* CHURN_SUMMARY_KINDS_H */
