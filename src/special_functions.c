/*-------------------------------------------------------------------------
 *
 * special_functions.c
 *	  Digamma, trigamma, ln B and the Gauss hypergeometric function 2F1,
 *	  and the SQL function churn.hyp2f1.
 *
 * The value models (value_models.c) need these beyond what libm offers:
 * digamma and trigamma for the analytic gradients and Hessians of their
 * likelihoods, and 2F1 for the conditional expectation of the BG/NBD model
 * (Fader, Hardie & Lee 2005, eq. 10), whose argument t / (alpha + T + t)
 * lies in [0, 1) and comes close to 1 when the horizon t is long beside
 * the customer's age T.
 *
 * 2F1 is summed as its Gauss series where that converges fast (|z| <= 1/2)
 * and continued analytically beyond by re-expanding the solution of the
 * hypergeometric differential equation
 *
 *	   z (1 - z) w'' + [c - (a + b + 1) z] w' - a b w = k
 *
 * in Taylor series around successive points z0 = 1/2, z1, ... each halfway
 * between the previous one and the singular point z = 1 (the series around
 * z_i converges with ratio 1/2 there), as mpmath and Pearson, Olver &
 * Porter (2017, "Numerical methods for the computation of the confluent
 * and Gauss hypergeometric functions", Numer. Algorithms 74) describe.
 * Unlike the connection formulas around z = 1 this has no special case
 * when c - a - b is (close to) an integer, which fitted parameters can be.
 * Reaching z = 1 - 2^-k takes k steps of about 50 terms.  Negative z < -1/2
 * go through Pfaff's transformation 2F1(a, b; c; z) = (1 - z)^-a
 * 2F1(a, c - b; c; z / (z - 1)).
 *
 * src/special_functions.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/float.h"

#include "special_functions.h"

/* A term below this fraction of the sum no longer changes it. */
#define HYP_EPS			(DBL_EPSILON / 16.0)
/* Iteration limits: far beyond what moderate parameters need. */
#define HYP_MAX_TERMS	1000000
#define HYP_MAX_TAYLOR	20000
/* Where the Gauss series hands over to the continuation. */
#define HYP_SWITCH		0.5

double
churn_digamma(double x)
{
	double		r = 0.0;
	double		f;

	if (isnan(x))
		return x;
	if (x <= 0.0)
	{
		if (x == floor(x))
			return get_float8_nan();	/* a pole */
		/* reflection: psi(1 - x) - psi(x) = pi cot(pi x) */
		return churn_digamma(1.0 - x) - M_PI / tan(M_PI * x);
	}
	/* psi(x) = psi(x + 1) - 1/x up to where the asymptotic series is exact */
	while (x < 10.0)
	{
		r -= 1.0 / x;
		x += 1.0;
	}
	f = 1.0 / (x * x);
	/* ln x - 1/(2x) - sum B_2k / (2k x^2k), k = 1 .. 7 */
	return r + log(x) - 0.5 / x -
		f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 -
																f * (1.0 / 132 - f * (691.0 / 32760 - f / 12))))));
}

double
churn_trigamma(double x)
{
	double		r = 0.0;
	double		f;

	if (isnan(x))
		return x;
	if (x <= 0.0)
	{
		double		s;

		if (x == floor(x))
			return get_float8_nan();
		/* reflection: psi'(1 - x) + psi'(x) = pi^2 / sin^2(pi x) */
		s = sin(M_PI * x);
		return M_PI * M_PI / (s * s) - churn_trigamma(1.0 - x);
	}
	while (x < 10.0)
	{
		r += 1.0 / (x * x);
		x += 1.0;
	}
	f = 1.0 / (x * x);
	/* 1/x + 1/(2x^2) + sum B_2k / x^(2k+1), k = 1 .. 7 */
	return r + 1.0 / x + 0.5 * f +
		f / x * (1.0 / 6 - f * (1.0 / 30 - f * (1.0 / 42 - f * (1.0 / 30 -
															   f * (5.0 / 66 - f * (691.0 / 2730 - f * 7.0 / 6))))));
}

double
churn_lbeta(double a, double b)
{
	return lgamma(a) + lgamma(b) - lgamma(a + b);
}

static bool
is_nonpositive_integer(double v)
{
	return v <= 0.0 && v == floor(v);
}

/*
 * Sum the Gauss series of 2F1(a, b; c; z) (tail = false: terms from n = 0,
 * the first being 1) or of the tail series S (tail = true: terms from n = 1,
 * the first being a z); both have the term ratio
 * (a + n)(b + n) z / ((c + n)(n + 1)).  Sets the value and the derivative
 * in z; false when the series did not converge.
 */
static bool
hyp_series(double a, double b, double c, double z, bool tail,
		   double *w, double *dw, double *cond)
{
	double		u = tail ? a * z : 1.0;
	double		n = tail ? 1.0 : 0.0;
	double		s = 0.0;
	double		d = 0.0;
	double		abs_sum = 0.0;
	bool		finite = is_nonpositive_integer(a) || is_nonpositive_integer(b);
	int			i;

	if (z == 0.0)
	{
		*w = tail ? 0.0 : 1.0;
		*dw = tail ? a : a * b / c;
		*cond = 1.0;
		return true;
	}
	for (i = 0; i < HYP_MAX_TERMS; i++)
	{
		double		ratio;

		s += u;
		d += n * u;
		abs_sum += fabs(u);
		if (u == 0.0)
			break;				/* a terminating (polynomial) series */
		ratio = (a + n) * (b + n) / ((c + n) * (n + 1.0)) * z;
		/* the rest is below |u| ratio / (1 - ratio) once ratio < 1 */
		if (!finite && fabs(ratio) < 1.0 &&
			fabs(u) <= HYP_EPS * (1.0 - fabs(ratio)) * fabs(s) &&
			fabs(u) * (n + 1.0) <= HYP_EPS * (1.0 - fabs(ratio)) * (fabs(d) + fabs(s)))
			break;
		u *= ratio;
		n += 1.0;
		if (!isfinite(u))
			return false;
	}
	if (i == HYP_MAX_TERMS)
		return false;
	*w = s;
	*dw = d / z;
	/* terms of both signs cancel: the digits lost */
	*cond = s == 0.0 ? (abs_sum == 0.0 ? 1.0 : get_float8_infinity()) : abs_sum / fabs(s);
	return true;
}

/*
 * Continue the solution of z (1 - z) w'' + [c - (a + b + 1) z] w' - a b w
 * = k with value *w and derivative *dw at z0 to z1 (z0 < z1 < 1), by Taylor
 * series around points each halfway from the last to 1.  The coefficients
 * are carried scaled by the power of the step h, e_n = c_n h^n, so that
 * they neither overflow nor underflow however close to 1 the points come:
 *
 *	 e_(m+2) = [k h^2 [m = 0] - (m + 1)((1 - 2 z0) m + c - (a + b + 1) z0) h e_(m+1)
 *				+ (m + a)(m + b) h^2 e_m] / (z0 (1 - z0)(m + 1)(m + 2))
 */
static bool
hyp_continue(double a, double b, double c, double k, double z0, double z1,
			 double *w, double *dw, double *cond)
{
	while (z0 < z1)
	{
		double		h = Min(z1 - z0, 0.5 * (1.0 - z0));
		double		q0 = z0 * (1.0 - z0);
		double		q1 = 1.0 - 2.0 * z0;
		double		p0 = c - (a + b + 1.0) * z0;
		double		e0 = *w;
		double		e1 = *dw * h;
		double		sw = e0 + e1;
		double		sd = e1;		/* sum of n e_n; the derivative is sd / h */
		double		abs_sum = fabs(e0) + fabs(e1);
		int			small = 0;
		int			m;

		for (m = 0; m < HYP_MAX_TAYLOR; m++)
		{
			double		e2;

			e2 = ((m == 0 ? k * h * h : 0.0)
				  - (m + 1.0) * (q1 * m + p0) * h * e1
				  + (m + a) * (m + b) * h * h * e0) / (q0 * (m + 1.0) * (m + 2.0));
			sw += e2;
			sd += (m + 2.0) * e2;
			abs_sum += fabs(e2);
			if (!isfinite(sw) || !isfinite(sd))
				return false;
			/*
			 * Two negligible terms in a row: the rest decays as 2^-n.  The
			 * derivative (sd / h) starts the next step as e1 = w' h, so its
			 * error counts on the scale of the value too.
			 */
			if (fabs(e2) <= HYP_EPS * fabs(sw) &&
				fabs(e2) * (m + 2.0) <= HYP_EPS * (fabs(sd) + fabs(sw)))
			{
				if (++small == 2)
					break;
			}
			else
				small = 0;
			e0 = e1;
			e1 = e2;
		}
		if (m == HYP_MAX_TAYLOR)
			return false;
		*w = sw;
		*dw = sd / h;
		z0 += h;
		if (sw != 0.0)
			*cond = Max(*cond, abs_sum / fabs(sw));
		else if (abs_sum != 0.0)
			*cond = get_float8_infinity();
	}
	return true;
}

double
churn_hyp2f1_cond(double a, double b, double c, double z, double *cond)
{
	double		w,
				dw;

	*cond = get_float8_infinity();
	if (isnan(a) || isnan(b) || isnan(c) || isnan(z) || is_nonpositive_integer(c))
		return get_float8_nan();
	if (is_nonpositive_integer(a) || is_nonpositive_integer(b))
	{
		/* a polynomial of degree -a (or -b): the series terminates */
		if (!hyp_series(a, b, c, z, false, &w, &dw, cond))
			return get_float8_nan();
		return w;
	}
	if (!(z < 1.0))
		return get_float8_nan();
	if (z < -HYP_SWITCH)
	{
		/* Pfaff: z / (z - 1) lies in (1/3, 1) */
		double		v = churn_hyp2f1_cond(a, c - b, c, z / (z - 1.0), cond);

		return pow(1.0 - z, -a) * v;
	}
	if (!hyp_series(a, b, c, Min(z, HYP_SWITCH), false, &w, &dw, cond))
		return get_float8_nan();
	if (z > HYP_SWITCH &&
		!hyp_continue(a, b, c, 0.0, HYP_SWITCH, z, &w, &dw, cond))
		return get_float8_nan();
	return w;
}

double
churn_hyp2f1(double a, double b, double c, double z)
{
	double		cond;

	return churn_hyp2f1_cond(a, b, c, z, &cond);
}

/*
 * S = c (F - 1) / b, F = 2F1(a, b; c; z): since L[F] = 0 and L[1] = -a b
 * for the hypergeometric operator L, S solves L[S] = c a.
 */
double
churn_hyp2f1_tail(double a, double b, double c, double z, double *cond)
{
	double		w,
				dw;

	*cond = get_float8_infinity();
	if (isnan(z) || z < 0.0 || !(z < 1.0) || !(c > -1.0))
		return get_float8_nan();
	if (!hyp_series(a, b, c, Min(z, HYP_SWITCH), true, &w, &dw, cond))
		return get_float8_nan();
	if (z > HYP_SWITCH &&
		!hyp_continue(a, b, c, c * a, HYP_SWITCH, z, &w, &dw, cond))
		return get_float8_nan();
	return w;
}

static void
hyp2f1_check_finite(const char *name, double v)
{
	if (isnan(v) || isinf(v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid %s \"%s\" for hyp2f1", name, float8out_internal(v)),
				 errdetail("The parameters and the argument must be finite numbers.")));
}

/* churn.hyp2f1(a, b, c, z): the Gauss hypergeometric function */
PG_FUNCTION_INFO_V1(churn_hyp2f1_sql);
Datum
churn_hyp2f1_sql(PG_FUNCTION_ARGS)
{
	double		a = PG_GETARG_FLOAT8(0);
	double		b = PG_GETARG_FLOAT8(1);
	double		c = PG_GETARG_FLOAT8(2);
	double		z = PG_GETARG_FLOAT8(3);
	double		result,
				cond;

	hyp2f1_check_finite("a", a);
	hyp2f1_check_finite("b", b);
	hyp2f1_check_finite("c", c);
	hyp2f1_check_finite("z", z);
	if (is_nonpositive_integer(c))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("hyp2f1 is undefined for c = \"%s\"", float8out_internal(c)),
				 errdetail("The series of 2F1(a, b; c; z) has a pole where c is zero or a negative integer.")));
	if (!(z < 1.0) && !is_nonpositive_integer(a) && !is_nonpositive_integer(b))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("hyp2f1 argument z = \"%s\" is out of range", float8out_internal(z)),
				 errdetail("churn.hyp2f1 computes 2F1(a, b; c; z) for z < 1 (any z when a or b is zero or a negative integer).")));
	result = churn_hyp2f1_cond(a, b, c, z, &cond);
	if (!isnan(result) && !(cond < HYP_MAX_COND))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("could not compute hyp2f1(%s, %s, %s, %s) accurately",
						float8out_internal(a), float8out_internal(b),
						float8out_internal(c), float8out_internal(z)),
				 errdetail("Terms of the series cancel so much that less than half of the digits would be right.")));
	if (isinf(result))
		float_overflow_error();
	if (isnan(result))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("could not compute hyp2f1(%s, %s, %s, %s)",
						float8out_internal(a), float8out_internal(b),
						float8out_internal(c), float8out_internal(z)),
				 errdetail("The series did not converge within its iteration limit, or overflowed."),
				 errhint("Parameters of moderate size (up to a few thousand) are supported.")));
	PG_RETURN_FLOAT8(result);
}
