/*-------------------------------------------------------------------------
 *
 * clv.c
 *	  Customer lifetime value: clv() and clv_from_churn(), numeric and float8.
 *
 * Impossible inputs are errors, never a silent number: a negative, NaN or
 * infinite amount is 22023 (invalid parameter value); a margin outside
 * [0, 1] or a churn rate outside (0, 1] is 22003 (out of range).  A churn
 * rate of 0 would mean customers never leave, so the value is unbounded.
 *
 * src/clv.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"

#include "metrics.h"

static char *
numeric_text(Numeric v)
{
	return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v)));
}

static char *
float8_text(float8 v)
{
	return DatumGetCString(DirectFunctionCall1(float8out, Float8GetDatum(v)));
}

static void
report_not_finite(const char *name, const char *value)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid %s \"%s\"", name, value),
			 errdetail("The value of %s must be a finite number.", name)));
}

static void
report_negative(const char *name, const char *value)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid %s \"%s\"", name, value),
			 errdetail("The value of %s cannot be negative.", name)));
}

static void
report_margin(const char *value)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("margin \"%s\" is out of range", value),
			 errdetail("The margin is a fraction of revenue from 0 to 1."),
			 errhint("Write a 30%% margin as 0.30.")));
}

static void
report_churn(const char *value)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("monthly_churn_rate \"%s\" is out of range", value),
			 errdetail("The monthly churn rate must be greater than 0 and at most 1."),
			 errhint("A churn rate of 0 means customers never leave, so their lifetime value is unbounded.")));
}

/* Compare a numeric with a small integer: <0, 0, >0 like numeric_cmp. */
static int
numeric_cmp_int(Numeric v, int64 i)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(v),
											 NumericGetDatum(int64_to_numeric(i))));
}

/* Numeric checks */

static void
check_amount_numeric(Numeric v, const char *name)
{
	if (numeric_is_nan(v) || numeric_is_inf(v))
		report_not_finite(name, numeric_text(v));
	if (numeric_cmp_int(v, 0) < 0)
		report_negative(name, numeric_text(v));
}

/* Float8 checks */

static void
check_amount_float8(float8 v, const char *name)
{
	if (isnan(v) || isinf(v))
		report_not_finite(name, float8_text(v));
	if (v < 0)
		report_negative(name, float8_text(v));
}

PG_FUNCTION_INFO_V1(clv_numeric);
Datum
clv_numeric(PG_FUNCTION_ARGS)
{
	Numeric		spend = PG_GETARG_NUMERIC(0);
	Numeric		frequency = PG_GETARG_NUMERIC(1);
	Numeric		lifetime = PG_GETARG_NUMERIC(2);

	check_amount_numeric(spend, "avg_monthly_spend");
	check_amount_numeric(frequency, "purchases_per_month");
	check_amount_numeric(lifetime, "lifetime_months");
	PG_RETURN_NUMERIC(numeric_mul_opt_error(numeric_mul_opt_error(spend, frequency, NULL),
											lifetime, NULL));
}

PG_FUNCTION_INFO_V1(clv_float8);
Datum
clv_float8(PG_FUNCTION_ARGS)
{
	float8		spend = PG_GETARG_FLOAT8(0);
	float8		frequency = PG_GETARG_FLOAT8(1);
	float8		lifetime = PG_GETARG_FLOAT8(2);
	float8		result;

	check_amount_float8(spend, "avg_monthly_spend");
	check_amount_float8(frequency, "purchases_per_month");
	check_amount_float8(lifetime, "lifetime_months");
	result = spend * frequency * lifetime;
	if (isinf(result))
		float_overflow_error();
	PG_RETURN_FLOAT8(result);
}

PG_FUNCTION_INFO_V1(clv_from_churn_numeric);
Datum
clv_from_churn_numeric(PG_FUNCTION_ARGS)
{
	Numeric		arpu = PG_GETARG_NUMERIC(0);
	Numeric		margin = PG_GETARG_NUMERIC(1);
	Numeric		churn = PG_GETARG_NUMERIC(2);

	check_amount_numeric(arpu, "arpu");
	if (numeric_is_nan(margin))
		report_not_finite("margin", "NaN");
	if (numeric_is_nan(churn))
		report_not_finite("monthly_churn_rate", "NaN");
	if (numeric_cmp_int(margin, 0) < 0 || numeric_cmp_int(margin, 1) > 0)
		report_margin(numeric_text(margin));
	if (numeric_cmp_int(churn, 0) <= 0 || numeric_cmp_int(churn, 1) > 0)
		report_churn(numeric_text(churn));
	PG_RETURN_NUMERIC(numeric_div_opt_error(numeric_mul_opt_error(arpu, margin, NULL),
											churn, NULL));
}

PG_FUNCTION_INFO_V1(clv_from_churn_float8);
Datum
clv_from_churn_float8(PG_FUNCTION_ARGS)
{
	float8		arpu = PG_GETARG_FLOAT8(0);
	float8		margin = PG_GETARG_FLOAT8(1);
	float8		churn = PG_GETARG_FLOAT8(2);
	float8		result;

	check_amount_float8(arpu, "arpu");
	if (isnan(margin))
		report_not_finite("margin", "NaN");
	if (isnan(churn))
		report_not_finite("monthly_churn_rate", "NaN");
	if (!(margin >= 0.0 && margin <= 1.0))
		report_margin(float8_text(margin));
	if (!(churn > 0.0 && churn <= 1.0))
		report_churn(float8_text(churn));
	result = arpu * margin / churn;
	if (isinf(result))
		float_overflow_error();
	PG_RETURN_FLOAT8(result);
}
