/*-------------------------------------------------------------------------
 *
 * churn.h
 *	  Declarations shared by the C sources of the churn extension.
 *
 * src/churn.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHURN_H
#define CHURN_H

#include "fmgr.h"

#endif							/* CHURN_H */
