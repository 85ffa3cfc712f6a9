/*-------------------------------------------------------------------------
 *
 * summary_kinds.c
 *	  The table of summary kinds (summary_kinds.h) and the SQL functions
 *	  through which churn's SQL names them: churn._kind(name),
 *	  churn._kind_family(kind) and churn._kinds().
 *
 * The views and functions of src/sql/500_summaries.sql write
 * churn._kind('lost') rather than 'l': the function is IMMUTABLE, so the
 * planner folds it into the code (and an index can use it), and a kind
 * named wrong is an error rather than a count of nothing.
 *
 * src/summary_kinds.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

#include "summary_kinds.h"

static const SummaryKindInfo summary_kinds[] = {
	{SUMMARY_KIND_NEW, "new", SUMMARY_FAMILY_CHURN},
	{SUMMARY_KIND_REACTIVATED, "reactivated", SUMMARY_FAMILY_CHURN},
	{SUMMARY_KIND_MOVED_IN, "moved_in", SUMMARY_FAMILY_CHURN},
	{SUMMARY_KIND_MOVED_OUT, "moved_out", SUMMARY_FAMILY_CHURN},
	{SUMMARY_KIND_LOST, "lost", SUMMARY_FAMILY_CHURN},
	{SUMMARY_KIND_LOST_FROM_START, "lost_from_start", SUMMARY_FAMILY_CHURN},
	{SUMMARY_KIND_LOST_BY_REASON, "lost_by_reason", 0},
	{SUMMARY_KIND_MOVED, "moved", 0},
	{SUMMARY_KIND_STATE_ENTERED, "state_entered", SUMMARY_FAMILY_LIFECYCLE},
	{SUMMARY_KIND_STATE_LEFT, "state_left", SUMMARY_FAMILY_LIFECYCLE},
	{SUMMARY_KIND_TRANSITION, "transition", 0},
	{SUMMARY_KIND_AT_START, "at_start", 0}
};

/* the entry of a kind's code, or NULL */
const SummaryKindInfo *
summary_kind_info(char kind)
{
	for (int i = 0; i < lengthof(summary_kinds); i++)
		if ((char) summary_kinds[i].kind == kind)
			return &summary_kinds[i];
	return NULL;
}

PG_FUNCTION_INFO_V1(churn_kind);

/* churn._kind(name text) → "char": the code of a kind named in SQL */
Datum
churn_kind(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));

	for (int i = 0; i < lengthof(summary_kinds); i++)
		if (strcmp(summary_kinds[i].name, name) == 0)
			PG_RETURN_CHAR((char) summary_kinds[i].kind);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("summary kind \"%s\" does not exist", name),
			 errhint("The kinds are listed by churn._kinds().")));
	PG_RETURN_NULL();			/* keep the compiler quiet */
}

PG_FUNCTION_INFO_V1(churn_kind_family);

/*
 * churn._kind_family(kind "char") → "char": the family of summary_cell that
 * counts a kind (c or l), NULL for a kind counted in churn.summary
 */
Datum
churn_kind_family(PG_FUNCTION_ARGS)
{
	const SummaryKindInfo *k = summary_kind_info(PG_GETARG_CHAR(0));

	if (k == NULL || k->family == 0)
		PG_RETURN_NULL();
	PG_RETURN_CHAR(k->family);
}

PG_FUNCTION_INFO_V1(churn_kinds);

/* churn._kinds() → SETOF (kind "char", name text, family "char") */
Datum
churn_kinds(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < lengthof(summary_kinds); i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = CharGetDatum((char) summary_kinds[i].kind);
		values[1] = CStringGetTextDatum(summary_kinds[i].name);
		values[2] = CharGetDatum(summary_kinds[i].family);
		nulls[2] = summary_kinds[i].family == 0;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
