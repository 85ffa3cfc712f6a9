/*-------------------------------------------------------------------------
 *
 * churn.c
 *	  Module magic block of the churn extension.
 *
 * src/churn.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

#include "churn.h"

PG_MODULE_MAGIC;
