/*-------------------------------------------------------------------------
 *
 * churn.c
 *	  Module magic block and settings of the churn extension.
 *
 * src/churn.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "churn.h"
#include "summary.h"

PG_MODULE_MAGIC;

/*
 * churn.capture_fast_max: the largest UPDATE or DELETE (in rows) whose
 * capture runs in C; bigger ones run the set-based capture statement.  0
 * sends every statement, INSERTs too, to the set-based statement (the
 * regression tests run every capture rule through both paths so).
 */
int			churn_capture_fast_max = SUMMARY_FAST_MAX;

void		_PG_init(void);

void
_PG_init(void)
{
	DefineCustomIntVariable("churn.capture_fast_max",
							"Largest UPDATE or DELETE of a tracked table, in rows, captured in C.",
							"Bigger statements run one set-based capture statement; 0 sends every statement there.",
							&churn_capture_fast_max,
							SUMMARY_FAST_MAX, 0, SUMMARY_FAST_MAX,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
	MarkGUCPrefixReserved("churn");
}
