/*-------------------------------------------------------------------------
 *
 * survival_stats.c
 *	  Statistics over Kaplan-Meier life tables: the G-rho (log-rank) test,
 *	  restricted mean survival with its standard error and a two-curve
 *	  difference test, the median's confidence interval, the Nelson-Aalen
 *	  cumulative hazard, conditional survival, and the chi-square and
 *	  normal tail probabilities they need.
 *
 * Every figure is the one R's survival package (3.5) gives with its
 * defaults: survdiff for the tests, survfit (Kaplan-Meier, Greenwood,
 * conf.type = "log", conf.int = 0.95) and print.survfit's survmean() for
 * the rest.  The comments name the R code each computation follows; the
 * tests (sql/survival_compare.sql) carry R's figures.
 *
 * src/survival_stats.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "access/htup_details.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/float.h"

#include "survival_stats.h"

/* Iteration limit of the incomplete gamma series and continued fraction. */
#define GAMMA_MAX_ITER	100000

/*
 * A relative pivot below this makes the log-rank variance matrix singular:
 * its rank is at most groups - 1 by construction, and a matrix that lost
 * one more rank (groups that were never at risk together at an event time
 * with survivors) leaves pivots at rounding level, some 1e-16 of the
 * largest variance.  A genuine pivot is a sum of variance terms of the
 * same order as the others.
 */
#define LOGRANK_SINGULAR_TOL	1e-10

/* ----------------------------------------------------------------------
 * Tail probabilities
 * ----------------------------------------------------------------------
 */

/*
 * log of the common factor x^a e^-x / Gamma(a) of the incomplete gamma
 * series and continued fraction.
 */
static float8
gamma_log_prefactor(float8 a, float8 x)
{
	return a * log(x) - x - lgamma(a);
}

/*
 * Regularized upper incomplete gamma Q(a, x) = Gamma(a, x) / Gamma(a), for
 * a > 0 and x > 0: the power series of P = 1 - Q below x = a + 1, where it
 * converges fast and Q is not small, and the Legendre continued fraction of
 * Q (modified Lentz) above, which keeps Q's relative accuracy far into the
 * tail (p-values of 1e-300 come out to about 1e-13 relative).
 */
static float8
gamma_q(float8 a, float8 x)
{
	int			i;

	if (x < a + 1.0)
	{
		float8		ap = a;
		float8		del = 1.0 / a;
		float8		sum = del;

		for (i = 0; i < GAMMA_MAX_ITER; i++)
		{
			ap += 1.0;
			del *= x / ap;
			sum += del;
			if (fabs(del) < fabs(sum) * DBL_EPSILON)
				break;
		}
		return 1.0 - sum * exp(gamma_log_prefactor(a, x));
	}
	else
	{
		const float8 tiny = DBL_MIN / DBL_EPSILON;
		float8		b = x + 1.0 - a;
		float8		c = 1.0 / tiny;
		float8		d = 1.0 / b;
		float8		h = d;

		for (i = 1; i < GAMMA_MAX_ITER; i++)
		{
			float8		an = -i * (i - a);
			float8		del;

			b += 2.0;
			d = an * d + b;
			if (fabs(d) < tiny)
				d = tiny;
			c = b + an / c;
			if (fabs(c) < tiny)
				c = tiny;
			d = 1.0 / d;
			del = d * c;
			h *= del;
			if (fabs(del - 1.0) < DBL_EPSILON)
				break;
		}
		return exp(gamma_log_prefactor(a, x)) * h;
	}
}

float8
churn_chisq_upper(float8 x, float8 df)
{
	Assert(df > 0);
	if (isnan(x))
		return x;
	if (x <= 0.0)
		return 1.0;
	if (isinf(x))
		return 0.0;
	/* the common cases in closed form: Q(1/2, x/2) and Q(1, x/2) */
	if (df == 1.0)
		return erfc(sqrt(0.5 * x));
	if (df == 2.0)
		return exp(-0.5 * x);
	return gamma_q(0.5 * df, 0.5 * x);
}

float8
churn_normal_two_sided(float8 z)
{
	return erfc(fabs(z) / M_SQRT2);
}

/*
 * chi_square_p_value(x float8, df float8): P(X > x) for X chi-square with
 * df degrees of freedom (R: pchisq(x, df, lower.tail = FALSE)).
 */
PG_FUNCTION_INFO_V1(chi_square_p_value);
Datum
chi_square_p_value(PG_FUNCTION_ARGS)
{
	float8		x = PG_GETARG_FLOAT8(0);
	float8		df = PG_GETARG_FLOAT8(1);

	if (isnan(x))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid chi-square statistic \"%s\"", float8out_internal(x))));
	if (isnan(df) || isinf(df) || df <= 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid degrees of freedom \"%s\"", float8out_internal(df)),
				 errdetail("Degrees of freedom must be a positive finite number.")));
	PG_RETURN_FLOAT8(churn_chisq_upper(x, df));
}

/* ----------------------------------------------------------------------
 * The G-rho test (R: survdiff.fit and its C routine survdiff2)
 * ----------------------------------------------------------------------
 */

/*
 * chi_square = u' V⁻¹ u over the groups with an expected count above zero,
 * the first of them left out (its row is minus the sum of the others), by
 * Cholesky factorization V = L L': then chi_square = |L⁻¹ u|².  survdiff
 * solves the same system by LU (solve()); both give the same number to
 * rounding.  False when V is singular.
 */
static bool
logrank_chi_square(const LogrankResult *res, const int *sel, int m,
				   float8 *chi)
{
	int			n = m - 1;
	float8	   *l = palloc0(sizeof(float8) * n * n);
	float8	   *y = palloc(sizeof(float8) * n);
	float8		maxdiag = 0.0;
	float8		sum = 0.0;
	int			i,
				j,
				p;

#define V(a, b)	res->variance[sel[(a) + 1] * res->k + sel[(b) + 1]]
#define L(a, b)	l[(a) * n + (b)]

	for (i = 0; i < n; i++)
		maxdiag = Max(maxdiag, V(i, i));
	if (!(maxdiag > 0.0))
		return false;
	for (j = 0; j < n; j++)
	{
		float8		s = V(j, j);

		for (p = 0; p < j; p++)
			s -= L(j, p) * L(j, p);
		if (!(s > maxdiag * LOGRANK_SINGULAR_TOL))
			return false;
		L(j, j) = sqrt(s);
		for (i = j + 1; i < n; i++)
		{
			float8		t = V(i, j);

			for (p = 0; p < j; p++)
				t -= L(i, p) * L(j, p);
			L(i, j) = t / L(j, j);
		}
	}
	for (j = 0; j < n; j++)
	{
		int			g = sel[j + 1];
		float8		t = res->observed[g] - res->expected[g];

		for (p = 0; p < j; p++)
			t -= L(j, p) * y[p];
		y[j] = t / L(j, j);
		sum += y[j] * y[j];
	}
#undef V
#undef L
	pfree(l);
	pfree(y);
	*chi = sum;
	return true;
}

/*
 * Walk the k life tables together, one distinct time at a time, as
 * survdiff2 walks the pooled sorted rows.  At a time t with n subjects at
 * risk (n_g of group g) and d events (d_g), weighted by w = S(t-)^rho with S
 * the Kaplan-Meier curve of all groups pooled:
 *	observed_g += w d_g
 *	expected_g += w d n_g / n
 *	V_gh += w² d (n - d) / (n (n - 1)) × n_g (δ_gh - n_h / n)	(if n > 1)
 */
void
churn_logrank_compute(const SurvivalCurve *const *curves, int k, float8 rho,
					  bool with_test, LogrankResult *res)
{
	int32	   *idx = palloc0(sizeof(int32) * k);
	float8	   *risk = palloc(sizeof(float8) * k);
	int64	   *dg = palloc(sizeof(int64) * k);
	int64	   *cg = palloc(sizeof(int64) * k);
	int		   *sel = palloc(sizeof(int) * k);
	float8		km = 1.0;
	int			g,
				h,
				m = 0;

	res->k = k;
	res->observed = palloc0(sizeof(float8) * k);
	res->expected = palloc0(sizeof(float8) * k);
	res->variance_diag = palloc0(sizeof(float8) * k);
	res->variance = with_test ? palloc0(sizeof(float8) * k * k) : NULL;
	res->events = palloc0(sizeof(int64) * k);
	res->has_test = false;
	res->chi_square = 0.0;
	res->df = 0;
	res->p_value = 0.0;

	for (g = 0; g < k; g++)
		risk[g] = (float8) curves[g]->total;

	for (;;)
	{
		float8		t = 0.0;
		float8		nrisk = 0.0;
		float8		deaths = 0.0;
		float8		wt;
		bool		any = false;

		for (g = 0; g < k; g++)
		{
			if (idx[g] < curves[g]->npoints &&
				(!any || curves[g]->points[idx[g]].time < t))
			{
				t = curves[g]->points[idx[g]].time;
				any = true;
			}
		}
		if (!any)
			break;
		CHECK_FOR_INTERRUPTS();

		for (g = 0; g < k; g++)
		{
			const SurvivalPoint *p = &curves[g]->points[idx[g]];

			if (idx[g] < curves[g]->npoints && p->time == t)
			{
				dg[g] = p->events;
				cg[g] = p->censored;
				idx[g]++;
			}
			else
				dg[g] = cg[g] = 0;
			nrisk += risk[g];
			deaths += (float8) dg[g];
		}

		wt = (rho == 0.0) ? 1.0 : pow(km, rho);
		for (g = 0; g < k; g++)
		{
			res->observed[g] += (float8) dg[g] * wt;
			res->events[g] += dg[g];
		}
		if (deaths > 0)
		{
			for (g = 0; g < k; g++)
				res->expected[g] += wt * deaths * risk[g] / nrisk;
			if (nrisk > 1)
			{
				float8		w2 = wt * wt;

				for (g = 0; g < k; g++)
				{
					float8		tmp = w2 * deaths * risk[g] * (nrisk - deaths) /
						(nrisk * (nrisk - 1));

					/* the diagonal as the matrix's, in the same two steps */
					res->variance_diag[g] += tmp;
					res->variance_diag[g] -= tmp * risk[g] / nrisk;
					if (!with_test)
						continue;
					res->variance[g * k + g] += tmp;
					for (h = 0; h < k; h++)
						res->variance[g * k + h] -= tmp * risk[h] / nrisk;
				}
			}
			km = km * (nrisk - deaths) / nrisk;
		}
		for (g = 0; g < k; g++)
			risk[g] -= (float8) (dg[g] + cg[g]);
	}

	/* survdiff: only groups with expected > 0 take part, df = their number - 1 */
	for (g = 0; g < k; g++)
		if (res->expected[g] > 0)
			sel[m++] = g;
	if (with_test && m >= 2 && logrank_chi_square(res, sel, m, &res->chi_square))
	{
		res->has_test = true;
		res->df = m - 1;
		res->p_value = churn_chisq_upper(res->chi_square, (float8) res->df);
	}
	pfree(idx);
	pfree(risk);
	pfree(dg);
	pfree(cg);
	pfree(sel);
}

/* ----------------------------------------------------------------------
 * Readers of one survival_curve
 * ----------------------------------------------------------------------
 */

static void
stats_check_finite(float8 v, const char *what)
{
	if (isnan(v) || isinf(v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid %s \"%s\"", what, float8out_internal(v)),
				 errdetail("The %s must be a finite number.", what)));
}

static void
stats_check_horizon(float8 horizon)
{
	if (isnan(horizon) || isinf(horizon) || horizon <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid horizon \"%s\"", float8out_internal(horizon)),
				 errdetail("The horizon of a restricted mean lifetime must be a positive finite number.")));
}

/*
 * Restricted mean survival time and its variance, survmean()'s pfun() of
 * print.survfit with rmean = horizon.  With the distinct times
 * t_1 < ... < t_k <= horizon, S_i = S(t_i) and h_i = d_i / (n_i (n_i - d_i))
 * (0 where n_i = d_i), the area is cut into rectangles r_1 = t_1 × 1,
 * r_i = (t_i - t_{i-1}) S_{i-1}, r_{k+1} = (horizon - t_k) S_k; then
 *	rmean = sum of r_i
 *	var = sum over i of h_i × (r_{i+1} + ... + r_{k+1})²
 * i.e. Greenwood's terms weighted by the squared area between t_i and the
 * horizon.  Before the first time S is 1: rmean = horizon, var = 0 (where
 * R refuses such a horizon).
 */
static void
km_rmst(const SurvivalCurve *c, float8 horizon, float8 *mean, float8 *var)
{
	int32		k = 0;
	int32		i;
	int64		at_risk = c->total;
	float8		s = 1.0;
	float8		prev = 0.0;
	float8		area = 0.0;
	float8	   *rect;
	float8	   *hh;

	while (k < c->npoints && c->points[k].time <= horizon)
		k++;
	if (k == 0)
	{
		*mean = horizon;
		*var = 0.0;
		return;
	}
	rect = palloc(sizeof(float8) * (k + 1));
	hh = palloc(sizeof(float8) * k);
	for (i = 0; i < k; i++)
	{
		const SurvivalPoint *p = &c->points[i];

		rect[i] = (p->time - prev) * s;
		prev = p->time;
		hh[i] = (at_risk > p->events) ?
			(float8) p->events / ((float8) at_risk * (float8) (at_risk - p->events)) : 0.0;
		if (p->events > 0)
			s *= 1.0 - (float8) p->events / (float8) at_risk;
		at_risk -= p->events + p->censored;
	}
	rect[k] = (horizon - prev) * s;

	*mean = 0.0;
	for (i = 0; i <= k; i++)
		*mean += rect[i];
	*var = 0.0;
	for (i = k - 1; i >= 0; i--)
	{
		area += rect[i + 1];
		*var += area * area * hh[i];
	}
	pfree(rect);
	pfree(hh);
}

/*
 * restricted_mean_lifetime_ci(curve, horizon): (estimate, std_error,
 * lower, upper), the 95% interval being estimate -+ z × std_error.
 */
PG_FUNCTION_INFO_V1(restricted_mean_lifetime_ci);
Datum
restricted_mean_lifetime_ci(PG_FUNCTION_ARGS)
{
	SurvivalCurve *c = PG_GETARG_SURVIVAL_CURVE_P(0);
	float8		horizon = PG_GETARG_FLOAT8(1);
	TupleDesc	tupdesc;
	Datum		values[4];
	bool		nulls[4] = {false};
	float8		mean,
				var,
				se;

	stats_check_horizon(horizon);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	km_rmst(c, horizon, &mean, &var);
	se = sqrt(var);
	values[0] = Float8GetDatum(mean);
	values[1] = Float8GetDatum(se);
	values[2] = Float8GetDatum(mean - SURVIVAL_Z95 * se);
	values[3] = Float8GetDatum(mean + SURVIVAL_Z95 * se);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc),
													  values, nulls)));
}

/*
 * restricted_mean_lifetime_difference(a, b, horizon): the difference of two
 * independent groups' restricted means, a - b, with se = sqrt(se_a² +
 * se_b²), its 95% interval, z = difference / se and the two-sided normal
 * p-value.  z and p are NULL when se is 0 (both curves flat up to the
 * horizon).
 */
PG_FUNCTION_INFO_V1(restricted_mean_lifetime_difference);
Datum
restricted_mean_lifetime_difference(PG_FUNCTION_ARGS)
{
	SurvivalCurve *a = PG_GETARG_SURVIVAL_CURVE_P(0);
	SurvivalCurve *b = PG_GETARG_SURVIVAL_CURVE_P(1);
	float8		horizon = PG_GETARG_FLOAT8(2);
	TupleDesc	tupdesc;
	Datum		values[6];
	bool		nulls[6] = {false};
	float8		mean_a,
				var_a,
				mean_b,
				var_b,
				diff,
				se;

	stats_check_horizon(horizon);
	if (a->flags != b->flags)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot compare survival curves of different duration units"),
				 errdetail("One curve was built from intervals (days), the other from numbers.")));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	km_rmst(a, horizon, &mean_a, &var_a);
	km_rmst(b, horizon, &mean_b, &var_b);
	diff = mean_a - mean_b;
	se = sqrt(var_a + var_b);
	values[0] = Float8GetDatum(diff);
	values[1] = Float8GetDatum(se);
	values[2] = Float8GetDatum(diff - SURVIVAL_Z95 * se);
	values[3] = Float8GetDatum(diff + SURVIVAL_Z95 * se);
	if (se > 0.0)
	{
		values[4] = Float8GetDatum(diff / se);
		values[5] = Float8GetDatum(churn_normal_two_sided(diff / se));
	}
	else
		nulls[4] = nulls[5] = true;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc),
													  values, nulls)));
}

/*
 * survmean()'s minmin(y, x): among the points where y is defined, the first
 * time where y < 0.5 + tol; when y equals 0.5 there (within tol) and some
 * later defined y is lower still, the mean of that time and the first time
 * with a lower y (a curve resting on exactly 0.5 over a flat stretch has
 * its median in the middle of the stretch).  False when y never gets there.
 * tol is sqrt(DBL_EPSILON), R's .Machine$double.eps^0.5.
 */
static bool
km_minmin(const float8 *time, const float8 *y, const bool *defined, int32 n,
		  float8 *result)
{
	float8		tol = sqrt(DBL_EPSILON);
	int32		first = -1;
	int32		i;

	for (i = 0; i < n; i++)
	{
		if (defined[i] && y[i] < 0.5 + tol)
		{
			first = i;
			break;
		}
	}
	if (first < 0)
		return false;
	if (fabs(y[first] - 0.5) < tol)
	{
		for (i = first + 1; i < n; i++)
		{
			if (defined[i] && y[i] < y[first])
			{
				*result = (time[first] + time[i]) / 2.0;
				return true;
			}
		}
	}
	*result = time[first];
	return true;
}

/*
 * median_lifetime_ci(curve): (median, lower, upper) as print.survfit gives
 * median, 0.95LCL and 0.95UCL: the median is minmin() of S, the bounds are
 * minmin() of the lower and the upper 95% curves of survfit's default log
 * transform, exp(log S -+ z se) with se = sqrt(sum d / (n (n - d))), the
 * upper capped at 1 and both undefined where S is 0.  So the lower limit
 * of the median is where the lower curve crosses 0.5 (it comes first), the
 * upper limit where the upper curve does.  NULL where a curve never falls
 * to 0.5.
 */
PG_FUNCTION_INFO_V1(median_lifetime_ci);
Datum
median_lifetime_ci(PG_FUNCTION_ARGS)
{
	SurvivalCurve *c = PG_GETARG_SURVIVAL_CURVE_P(0);
	int32		n = c->npoints;
	float8	   *time = palloc(sizeof(float8) * n);
	float8	   *surv = palloc(sizeof(float8) * n);
	float8	   *lower = palloc(sizeof(float8) * n);
	float8	   *upper = palloc(sizeof(float8) * n);
	bool	   *all = palloc(sizeof(bool) * n);
	bool	   *positive = palloc(sizeof(bool) * n);
	TupleDesc	tupdesc;
	Datum		values[3];
	bool		nulls[3] = {false};
	float8		s = 1.0;
	float8		varsum = 0.0;
	float8		r;
	int64		at_risk = c->total;
	int32		i;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	for (i = 0; i < n; i++)
	{
		const SurvivalPoint *p = &c->points[i];

		if (p->events > 0)
		{
			s *= 1.0 - (float8) p->events / (float8) at_risk;
			if (p->events < at_risk)
				varsum += (float8) p->events /
					((float8) at_risk * (float8) (at_risk - p->events));
		}
		at_risk -= p->events + p->censored;
		time[i] = p->time;
		surv[i] = s;
		all[i] = true;
		positive[i] = s > 0.0;
		if (positive[i])
		{
			/* survfit_confint(), type "log", written as R writes it */
			lower[i] = exp(log(s) - SURVIVAL_Z95 * sqrt(varsum));
			upper[i] = Min(exp(log(s) + SURVIVAL_Z95 * sqrt(varsum)), 1.0);
		}
		else
			lower[i] = upper[i] = 0.0;
	}
	nulls[0] = !km_minmin(time, surv, all, n, &r);
	values[0] = Float8GetDatum(r);
	nulls[1] = !km_minmin(time, lower, positive, n, &r);
	values[1] = Float8GetDatum(r);
	nulls[2] = !km_minmin(time, upper, positive, n, &r);
	values[2] = Float8GetDatum(r);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc),
													  values, nulls)));
}

/*
 * The Nelson-Aalen cumulative hazard H(t) = sum over t_i <= t of d_i / n_i,
 * and its variance sum d_i / n_i², survfit's cumhaz and std.chaz².
 */
static float8
km_cumhaz(const SurvivalCurve *c, float8 t)
{
	float8		h = 0.0;
	int64		at_risk = c->total;
	int32		i;

	for (i = 0; i < c->npoints && c->points[i].time <= t; i++)
	{
		const SurvivalPoint *p = &c->points[i];

		if (p->events > 0)
			h += (float8) p->events / (float8) at_risk;
		at_risk -= p->events + p->censored;
	}
	return h;
}

PG_FUNCTION_INFO_V1(cumulative_hazard);
Datum
cumulative_hazard(PG_FUNCTION_ARGS)
{
	SurvivalCurve *c = PG_GETARG_SURVIVAL_CURVE_P(0);
	float8		t = PG_GETARG_FLOAT8(1);

	stats_check_finite(t, "time");
	PG_RETURN_FLOAT8(km_cumhaz(c, t));
}

/*
 * cumulative_hazard_points(curve): one row per distinct duration with
 * time, at_risk, events, censored, cumulative_hazard and std_error.
 */
PG_FUNCTION_INFO_V1(cumulative_hazard_points);
Datum
cumulative_hazard_points(PG_FUNCTION_ARGS)
{
	SurvivalCurve *c = PG_GETARG_SURVIVAL_CURVE_P(0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	float8		h = 0.0;
	float8		var = 0.0;
	int64		at_risk = c->total;
	int32		i;

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < c->npoints; i++)
	{
		const SurvivalPoint *p = &c->points[i];
		Datum		values[6];
		bool		nulls[6] = {false};

		if (p->events > 0)
		{
			h += (float8) p->events / (float8) at_risk;
			var += (float8) p->events / ((float8) at_risk * (float8) at_risk);
		}
		values[0] = Float8GetDatum(p->time);
		values[1] = Int64GetDatum(at_risk);
		values[2] = Int64GetDatum(p->events);
		values[3] = Int64GetDatum(p->censored);
		values[4] = Float8GetDatum(h);
		values[5] = Float8GetDatum(sqrt(var));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		at_risk -= p->events + p->censored;
	}
	return (Datum) 0;
}

/*
 * conditional_survival(curve, t, s) = S(t + s) / S(t): the probability of
 * lasting s longer for a subject who has lasted t.  NULL when S(t) = 0.
 */
PG_FUNCTION_INFO_V1(conditional_survival);
Datum
conditional_survival(PG_FUNCTION_ARGS)
{
	SurvivalCurve *c = PG_GETARG_SURVIVAL_CURVE_P(0);
	float8		t = PG_GETARG_FLOAT8(1);
	float8		s = PG_GETARG_FLOAT8(2);
	float8		st = 1.0;
	float8		sts;
	int64		at_risk = c->total;
	int32		i;

	if (isnan(t) || isinf(t) || t < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid time \"%s\"", float8out_internal(t)),
				 errdetail("The time survived must be a finite number, not negative.")));
	if (isnan(s) || isinf(s) || s < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid additional time \"%s\"", float8out_internal(s)),
				 errdetail("The additional time must be a finite number, not negative.")));

	/* one walk: S(t) on the way to S(t + s) */
	for (i = 0; i < c->npoints && c->points[i].time <= t; i++)
	{
		const SurvivalPoint *p = &c->points[i];

		if (p->events > 0)
			st *= 1.0 - (float8) p->events / (float8) at_risk;
		at_risk -= p->events + p->censored;
	}
	if (st == 0.0)
		PG_RETURN_NULL();
	sts = st;
	for (; i < c->npoints && c->points[i].time <= t + s; i++)
	{
		const SurvivalPoint *p = &c->points[i];

		if (p->events > 0)
			sts *= 1.0 - (float8) p->events / (float8) at_risk;
		at_risk -= p->events + p->censored;
	}
	PG_RETURN_FLOAT8(sts / st);
}
