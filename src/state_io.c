/*-------------------------------------------------------------------------
 *
 * state_io.c
 *	  Helpers shared by the aggregate state types: the numbers of their
 *	  text forms, writable varlena states and arrays of composite rows for
 *	  final functions (see state_io.h).
 *
 * src/state_io.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

#include "state_io.h"

/*
 * strtod flags a subnormal result with ERANGE as it flags overflow and
 * underflow to zero; but a subnormal is exact, float8in accepts it, and
 * float8out prints it (5e-324), so a state holding one must read back (dump
 * and restore): only the other two are out of range.
 */
bool
churn_parse_float8(const char *str, char **end, float8 *result)
{
	errno = 0;
	*result = strtod(str, end);
	if (*end == str)
		return false;
	if (errno == ERANGE && (*result == 0.0 || isinf(*result)))
		return false;
	errno = 0;					/* callers go on to check strtol's */
	return true;
}

struct varlena *
churn_state_writable(FunctionCallInfo fcinfo, int argno)
{
	struct varlena *raw = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(argno));
	struct varlena *st = PG_DETOAST_DATUM(PG_GETARG_DATUM(argno));

	if (st == raw && !churn_in_aggregate(fcinfo))
	{
		struct varlena *copy = palloc(VARSIZE(st));

		memcpy(copy, st, VARSIZE(st));
		st = copy;
	}
	return st;
}

ChurnRowArray *
churn_row_array(FunctionCallInfo fcinfo, int natts, const char *what)
{
	ChurnRowArray *ra = (ChurnRowArray *) fcinfo->flinfo->fn_extra;

	if (ra == NULL)
	{
		Oid			elemtype = get_element_type(get_func_rettype(fcinfo->flinfo->fn_oid));
		TupleDesc	td;
		MemoryContext old;

		if (!OidIsValid(elemtype))
			elog(ERROR, "%s must return an array", what);
		td = lookup_rowtype_tupdesc(elemtype, -1);
		old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		ra = palloc(sizeof(ChurnRowArray));
		ra->elemtype = elemtype;
		ra->tupdesc = CreateTupleDescCopy(td);
		MemoryContextSwitchTo(old);
		ReleaseTupleDesc(td);
		if (ra->tupdesc->natts != natts)
			elog(ERROR, "element type of %s must have %d attributes", what, natts);
		get_typlenbyvalalign(elemtype, &ra->typlen, &ra->typbyval,
							 &ra->typalign);
		fcinfo->flinfo->fn_extra = ra;
	}
	return ra;
}

Datum
churn_row_array_build(const ChurnRowArray *ra, Datum *elems, int nelems)
{
	return PointerGetDatum(construct_array(elems, nelems, ra->elemtype,
										   ra->typlen, ra->typbyval,
										   ra->typalign));
}
