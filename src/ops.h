/*-------------------------------------------------------------------------
 *
 * ops.h
 *	  Declarations of the operations part of churn (lifecycle aging).
 *
 * src/ops.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHURN_OPS_H
#define CHURN_OPS_H

#include "fmgr.h"

extern Datum churn_advance_lifecycle(PG_FUNCTION_ARGS);

#endif							/* CHURN_OPS_H */
