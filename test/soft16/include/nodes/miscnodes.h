/*-------------------------------------------------------------------------
 *
 * miscnodes.h
 *	  Test shim, not part of churn: what PostgreSQL 16 declares for soft
 *	  errors in nodes/miscnodes.h (ErrorSaveContext), utils/elog.h
 *	  (errsave, ereturn, errsave_start, errsave_finish) and fmgr.h
 *	  (InputFunctionCallSafe, DirectInputFunctionCallSafe), so that churn's
 *	  PG_VERSION_NUM >= 160000 branch of state_io.h can be compiled and run
 *	  against PostgreSQL 15 by test/suites/soft_errors.sh.  The macros and
 *	  prototypes are PostgreSQL 16's; the functions are implemented in
 *	  soft16_shim.c.  The fmgr.h ones live here rather than in a shadowing
 *	  fmgr.h because state_io.h's 16 branch includes this header, which is
 *	  all that needs them.
 *
 * test/soft16/include/nodes/miscnodes.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MISCNODES_H
#define MISCNODES_H

#include "fmgr.h"
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

/* PostgreSQL 16's fmgr.h */
extern bool InputFunctionCallSafe(FmgrInfo *flinfo, char *str,
								  Oid typioparam, int32 typmod,
								  fmNodePtr escontext,
								  Datum *result);
extern bool DirectInputFunctionCallSafe(PGFunction func, char *str,
										Oid typioparam, int32 typmod,
										fmNodePtr escontext,
										Datum *result);

#endif							/* MISCNODES_H */
