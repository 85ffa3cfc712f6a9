/*-------------------------------------------------------------------------
 *
 * soft16_shim.c
 *	  Test shim, not part of churn: PostgreSQL 16's errsave_start(),
 *	  errsave_finish(), InputFunctionCallSafe() and
 *	  DirectInputFunctionCallSafe() for a PostgreSQL 15 backend, and
 *	  churn_soft_input(type, text), which calls the type's input function
 *	  with an ErrorSaveContext as PostgreSQL 16's pg_input_error_info()
 *	  does.  test/suites/soft_errors.sh links it into a build of churn whose
 *	  state_io.h takes its PostgreSQL 16 branch.
 *
 * PostgreSQL 15 keeps its error stack private to elog.c, so a soft error
 * cannot be collected into an ErrorData as 16 does.  Instead it is raised
 * at LOG_SERVER_ONLY, a level at which errfinish() returns, and an
 * emit_log_hook set for the duration of the call copies its SQLSTATE,
 * message, detail and hint and keeps it out of the server log.  The input
 * function sees what it would see on 16: errsave() returns, ereturn()
 * returns its dummy value, and errors without an ErrorSaveContext throw.
 *
 * 16's built-in input functions (int4in, numeric_in, ...) report bad input
 * softly too, where 15's throw.  So that an input function calling them
 * through InputFunctionCallSafe() (arpu_state for its customers and total)
 * sees what it would on 16, the shim's version runs a built-in input
 * function in a subtransaction, as PL/pgSQL's exception blocks do, and
 * reports what it throws again through errsave(), with the same SQLSTATE,
 * message, detail and hint.
 *
 * test/soft16/soft16_shim.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "access/xact.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "nodes/miscnodes.h"
#include "utils/builtins.h"
#include "utils/elog.h"
#include "utils/lsyscache.h"
#include "utils/resowner.h"

/* The call of churn_soft_input in progress. */
static ErrorSaveContext *soft_context = NULL;
static StringInfo soft_report = NULL;
static int	soft_count = 0;
static bool soft_in_errsave = false;
static emit_log_hook_type soft_prev_hook = NULL;

static void
soft_capture(ErrorData *edata)
{
	if (!soft_in_errsave)
	{
		if (soft_prev_hook)
			soft_prev_hook(edata);
		return;
	}
	appendStringInfo(soft_report, "%s %s", unpack_sql_state(edata->sqlerrcode),
					 edata->message ? edata->message : "");
	if (edata->detail)
		appendStringInfo(soft_report, " (%s)", edata->detail);
	if (edata->hint)
		appendStringInfo(soft_report, " HINT %s", edata->hint);
	edata->output_to_server = false;
	edata->output_to_client = false;
}

bool
errsave_start(struct Node *context, const char *domain)
{
	if (context != NULL && IsA(context, ErrorSaveContext))
	{
		ErrorSaveContext *es = (ErrorSaveContext *) context;

		if (es != soft_context)
			elog(ERROR, "soft error outside churn_soft_input");
		es->error_occurred = true;
		if (++soft_count > 1)
			return false;		/* reported as a count, below */
		soft_in_errsave = errstart(LOG_SERVER_ONLY, domain);
		if (!soft_in_errsave)
			elog(ERROR, "log_min_messages hides LOG: cannot capture soft errors");
		return true;
	}
	return errstart(ERROR, domain);
}

void
errsave_finish(struct Node *context, const char *filename, int lineno,
			   const char *funcname)
{
	errfinish(filename, lineno, funcname);
	soft_in_errsave = false;
}

/*
 * Call input function func with fcinfo, PostgreSQL 16 style: false when it
 * reported a soft error.  A built-in one (builtin) called with an
 * ErrorSaveContext has what it throws turned into a soft error; any other
 * (churn's own types) is held to the soft-error contract as it is.
 */
static bool
soft_input_invoke(PGFunction func, FunctionCallInfo fcinfo, bool builtin,
				  Datum *result)
{
	Node	   *escontext = fcinfo->context;
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	ErrorData  *edata = NULL;

	if (!builtin || escontext == NULL || !IsA(escontext, ErrorSaveContext))
	{
		*result = (*func) (fcinfo);
		return !SOFT_ERROR_OCCURRED(escontext);
	}

	BeginInternalSubTransaction(NULL);
	/* the result must outlive the subtransaction */
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		*result = (*func) (fcinfo);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcxt);
	CurrentResourceOwner = oldowner;

	if (edata != NULL)
	{
		errsave(escontext,
				errcode(edata->sqlerrcode),
				errmsg_internal("%s", edata->message),
				edata->detail ? errdetail_internal("%s", edata->detail) : 0,
				edata->hint ? errhint("%s", edata->hint) : 0);
		*result = (Datum) 0;
		return false;
	}
	return !SOFT_ERROR_OCCURRED(escontext);
}

/* PostgreSQL 16's InputFunctionCallSafe() (fmgr.c), see above */
bool
InputFunctionCallSafe(FmgrInfo *flinfo, char *str,
					  Oid typioparam, int32 typmod,
					  fmNodePtr escontext,
					  Datum *result)
{
	LOCAL_FCINFO(fcinfo, 3);

	if (str == NULL && flinfo->fn_strict)
	{
		*result = (Datum) 0;	/* just return null result */
		return true;
	}

	InitFunctionCallInfoData(*fcinfo, flinfo, 3, InvalidOid, escontext, NULL);
	fcinfo->args[0].value = CStringGetDatum(str);
	fcinfo->args[0].isnull = false;
	fcinfo->args[1].value = ObjectIdGetDatum(typioparam);
	fcinfo->args[1].isnull = false;
	fcinfo->args[2].value = Int32GetDatum(typmod);
	fcinfo->args[2].isnull = false;

	/* built-in functions have OIDs below FirstGenbkiObjectId */
	if (!soft_input_invoke(flinfo->fn_addr, fcinfo,
						   flinfo->fn_oid < FirstGenbkiObjectId, result))
		return false;

	/* Otherwise, should get null result if and only if str is NULL */
	if (str == NULL)
	{
		if (!fcinfo->isnull)
			elog(ERROR, "input function %u returned non-NULL",
				 flinfo->fn_oid);
	}
	else
	{
		if (fcinfo->isnull)
			elog(ERROR, "input function %u returned NULL",
				 flinfo->fn_oid);
	}
	return true;
}

/* PostgreSQL 16's DirectInputFunctionCallSafe() (fmgr.c), see above */
bool
DirectInputFunctionCallSafe(PGFunction func, char *str,
							Oid typioparam, int32 typmod,
							fmNodePtr escontext,
							Datum *result)
{
	LOCAL_FCINFO(fcinfo, 3);

	if (str == NULL)
	{
		*result = (Datum) 0;	/* just return null result */
		return true;
	}

	InitFunctionCallInfoData(*fcinfo, NULL, 3, InvalidOid, escontext, NULL);
	fcinfo->args[0].value = CStringGetDatum(str);
	fcinfo->args[0].isnull = false;
	fcinfo->args[1].value = ObjectIdGetDatum(typioparam);
	fcinfo->args[1].isnull = false;
	fcinfo->args[2].value = Int32GetDatum(typmod);
	fcinfo->args[2].isnull = false;

	/* only built-in input functions are called directly (numeric_in) */
	if (!soft_input_invoke(func, fcinfo, true, result))
		return false;

	/* Otherwise, shouldn't get null result */
	if (fcinfo->isnull)
		elog(ERROR, "input function %p returned NULL", (void *) func);
	return true;
}

/*
 * churn_soft_input(type regtype, input text) returns text:
 *	"ok <output of the value>" when the input is valid,
 *	"soft <SQLSTATE> <message>[ (<detail>)][ HINT <hint>]" for a soft error
 * and an error of its own when the input function broke the soft-error
 * contract: reported twice, or returned a value or NULL after reporting.
 * A hard error simply propagates.
 */
PG_FUNCTION_INFO_V1(churn_soft_input);
Datum
churn_soft_input(PG_FUNCTION_ARGS)
{
	Oid			typid = PG_GETARG_OID(0);
	char	   *str = text_to_cstring(PG_GETARG_TEXT_PP(1));
	Oid			typinput,
				typioparam,
				typoutput;
	bool		isvarlena;
	FmgrInfo	flinfo;
	ErrorSaveContext es = {T_ErrorSaveContext};
	StringInfoData report;
	Datum		result = (Datum) 0;
	LOCAL_FCINFO(fc, 3);

	getTypeInputInfo(typid, &typinput, &typioparam);
	fmgr_info(typinput, &flinfo);
	InitFunctionCallInfoData(*fc, &flinfo, 3, InvalidOid, (Node *) &es, NULL);
	fc->args[0].value = CStringGetDatum(str);
	fc->args[0].isnull = false;
	fc->args[1].value = ObjectIdGetDatum(typioparam);
	fc->args[1].isnull = false;
	fc->args[2].value = Int32GetDatum(-1);
	fc->args[2].isnull = false;

	initStringInfo(&report);
	soft_context = &es;
	soft_report = &report;
	soft_count = 0;
	soft_in_errsave = false;
	soft_prev_hook = emit_log_hook;
	emit_log_hook = soft_capture;
	PG_TRY();
	{
		result = FunctionCallInvoke(fc);
	}
	PG_FINALLY();
	{
		emit_log_hook = soft_prev_hook;
		soft_context = NULL;
		soft_report = NULL;
		soft_in_errsave = false;
	}
	PG_END_TRY();

	if (es.error_occurred)
	{
		if (soft_count != 1)
			elog(ERROR, "soft error reported %d times: %s", soft_count, report.data);
		if (result != (Datum) 0 || fc->isnull)
			elog(ERROR, "a value was returned after the soft error: %s", report.data);
		PG_RETURN_TEXT_P(cstring_to_text(psprintf("soft %s", report.data)));
	}
	if (fc->isnull)
		elog(ERROR, "input function returned NULL without an error");
	getTypeOutputInfo(typid, &typoutput, &isvarlena);
	PG_RETURN_TEXT_P(cstring_to_text(psprintf("ok %s",
											  OidOutputFunctionCall(typoutput, result))));
}
