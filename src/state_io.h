/*-------------------------------------------------------------------------
 *
 * state_io.h
 *	  Helpers shared by the aggregate state types of the churn extension:
 *	  soft input errors, the numbers of their text forms, the in-aggregate
 *	  test, writable varlena states and the arrays of composite rows that
 *	  final functions return.
 *
 * src/state_io.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHURN_STATE_IO_H
#define CHURN_STATE_IO_H

#include "access/tupdesc.h"
#include "fmgr.h"
#include "nodes/execnodes.h"

/*
 * Soft errors of input functions (PostgreSQL 16+: pg_input_is_valid(),
 * pg_input_error_info(), from 17 COPY ... ON_ERROR): churn_errsave reports
 * through the caller's ErrorSaveContext when there is one, and throws
 * otherwise; before 16 it always throws.  Code after it must cope with
 * returning normally.
 *
 * An input function that calls another type's input function (arpu_state
 * reads its customers with theirs) passes its ErrorSaveContext on with
 * churn_input_call_safe or churn_direct_input_call_safe, so that their bad
 * input is soft too: false when it was reported softly, and *result is then
 * garbage.  Before 16 they throw, and always return true.
 */
#if PG_VERSION_NUM >= 160000
#include "nodes/miscnodes.h"
#define churn_errsave(escontext, ...)	errsave(escontext, __VA_ARGS__)
#define churn_ereturn(escontext, dummy, ...) \
	ereturn(escontext, dummy, __VA_ARGS__)
#define churn_input_call_safe(flinfo, str, typioparam, typmod, escontext, result) \
	InputFunctionCallSafe(flinfo, str, typioparam, typmod, escontext, result)
#define churn_direct_input_call_safe(func, str, typioparam, typmod, escontext, result) \
	DirectInputFunctionCallSafe(func, str, typioparam, typmod, escontext, result)
#else
#define churn_errsave(escontext, ...)	ereport(ERROR, __VA_ARGS__)
#define churn_ereturn(escontext, dummy, ...)	ereport(ERROR, __VA_ARGS__)
#define churn_input_call_safe(flinfo, str, typioparam, typmod, escontext, result) \
	(*(result) = InputFunctionCall(flinfo, str, typioparam, typmod), true)
#define churn_direct_input_call_safe(func, str, typioparam, typmod, escontext, result) \
	(*(result) = DirectFunctionCall3(func, CStringGetDatum(str), \
									 ObjectIdGetDatum(typioparam), \
									 Int32GetDatum(typmod)), true)
#endif

/*
 * A float8 in a state's text form, read as float8in reads it but ending at
 * the first character that cannot continue the number, which the caller
 * checks: false on no number or a value out of range; on success errno is
 * 0, as a strtol that follows expects.
 */
extern bool churn_parse_float8(const char *str, char **end, float8 *result);

/*
 * True when called by an aggregate or a window aggregate: what
 * AggCheckCallContext(fcinfo, NULL) != 0 tests, inlined because the counter
 * transition functions run once per row and should cost no more than the
 * COUNT(*) FILTER they replace.  There the executor owns the transition
 * value (copied into the aggregate context), which may be updated in place.
 */
static inline bool
churn_in_aggregate(FunctionCallInfo fcinfo)
{
	return fcinfo->context != NULL &&
		(IsA(fcinfo->context, AggState) ||
		 IsA(fcinfo->context, WindowAggState));
}

/*
 * A varlena state argument that may be updated in place: detoasted (a state
 * read from a tuple may have a short header or be compressed: detoasting
 * makes a fresh copy), and copied when called outside an aggregate, where
 * the argument is not ours to scribble on.
 */
extern struct varlena *churn_state_writable(FunctionCallInfo fcinfo,
											int argno);

/*
 * Final functions returning an array of a composite type (churn_period[],
 * diversion_flow[], cohort_cell[]): the element type and its row
 * descriptor, looked up once per call site and kept in fn_extra (the final
 * function must use fn_extra for nothing else).  natts is checked against
 * the type, what names the function in the can't-happen errors.
 */
typedef struct ChurnRowArray
{
	Oid			elemtype;
	TupleDesc	tupdesc;
	int16		typlen;
	bool		typbyval;
	char		typalign;
} ChurnRowArray;

extern ChurnRowArray *churn_row_array(FunctionCallInfo fcinfo, int natts,
									  const char *what);
extern Datum churn_row_array_build(const ChurnRowArray *ra, Datum *elems,
								   int nelems);

#endif							/* CHURN_STATE_IO_H */
