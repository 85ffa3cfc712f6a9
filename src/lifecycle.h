/*-------------------------------------------------------------------------
 *
 * lifecycle.h
 *	  The churn.lifecycle type: a customer-lifecycle state in one byte.
 *
 * src/lifecycle.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHURN_LIFECYCLE_H
#define CHURN_LIFECYCLE_H

#include "fmgr.h"

/*
 * The byte is the on-disk and binary-wire format of churn.lifecycle: these
 * codes are frozen.  Never renumber them; a new state gets a new code and its
 * place in the lifecycle order comes from the rank table in lifecycle.c, not
 * from the code.
 */
typedef uint8 Lifecycle;

#define LIFECYCLE_PROSPECT		0
#define LIFECYCLE_NEW			1
#define LIFECYCLE_ACTIVE		2
#define LIFECYCLE_AT_RISK		3
#define LIFECYCLE_DORMANT		4
#define LIFECYCLE_CHURNED		5
#define LIFECYCLE_REACTIVATED	6

#define LIFECYCLE_NSTATES		7

#define LifecycleIsValid(c)		((c) < LIFECYCLE_NSTATES)

#define DatumGetLifecycle(X)	((Lifecycle) DatumGetUInt8(X))
#define LifecycleGetDatum(X)	UInt8GetDatum(X)
#define PG_GETARG_LIFECYCLE(n)	DatumGetLifecycle(PG_GETARG_DATUM(n))
#define PG_RETURN_LIFECYCLE(x)	return LifecycleGetDatum(x)

#endif							/* CHURN_LIFECYCLE_H */
