/*-------------------------------------------------------------------------
 *
 * miscnodes.h
 *	  Test shim, not part of churn: what PostgreSQL 16 declares for soft
 *	  errors in nodes/miscnodes.h (ErrorSaveContext) and utils/elog.h
 *	  (errsave, ereturn, errsave_start, errsave_finish), so that churn's
 *	  PG_VERSION_NUM >= 160000 branch of state_io.h can be compiled and run
 *	  against PostgreSQL 15 by test/suites/soft_errors.sh.  The macros are
 *	  PostgreSQL 16's; errsave_start and errsave_finish are implemented in
 *	  soft16_shim.c.
 *
 * test/soft16/include/nodes/miscnodes.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MISCNODES_H
#define MISCNODES_H

#include "nodes/nodes.h"
#include "utils/elog.h"

/* PostgreSQL 15 has no such node tag: any value no real node uses */
#define T_ErrorSaveContext	((NodeTag) 9999)

typedef struct ErrorSaveContext
{
	NodeTag		type;
	bool		error_occurred; /* set to true if we detect a soft error */
	bool		details_wanted; /* does caller want more info than that? */
	ErrorData  *error_data;		/* details of error, if so */
} ErrorSaveContext;

#define SOFT_ERROR_OCCURRED(escontext) \
	((escontext) != NULL && IsA(escontext, ErrorSaveContext) && \
	 ((ErrorSaveContext *) (escontext))->error_occurred)

#define errsave_domain(context, domain, ...)	\
	do { \
		struct Node *context_ = (context); \
		pg_prevent_errno_in_scope(); \
		if (errsave_start(context_, domain)) \
			__VA_ARGS__, errsave_finish(context_, __FILE__, __LINE__, __func__); \
	} while(0)

#define errsave(context, ...)	\
	errsave_domain(context, TEXTDOMAIN, __VA_ARGS__)

#define ereturn_domain(context, dummy_value, domain, ...)	\
	do { \
		errsave_domain(context, domain, __VA_ARGS__); \
		return dummy_value; \
	} while(0)

#define ereturn(context, dummy_value, ...)	\
	ereturn_domain(context, dummy_value, TEXTDOMAIN, __VA_ARGS__)

extern bool errsave_start(struct Node *context, const char *domain);
extern void errsave_finish(struct Node *context,
						   const char *filename, int lineno,
						   const char *funcname);

#endif							/* MISCNODES_H */
