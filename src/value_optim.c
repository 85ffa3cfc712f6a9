/*-------------------------------------------------------------------------
 *
 * value_optim.c
 *	  The maximum likelihood fit of the value models: a damped Newton
 *	  (Levenberg-Marquardt) iteration on log-parameters with analytic
 *	  gradient and Hessian, Nelder-Mead as a fallback.
 *
 * Every parameter of the three models is positive, so the fit works on
 * theta = ln(params): no constraints, and a parameter running off to 0 or
 * infinity (the likelihood has no interior maximum) shows as |theta| growing
 * without bound, which is detected rather than iterated on forever.
 *
 * Each iteration solves (H + mu D) d = -g, D the diagonal of |H|, by
 * Cholesky; a step is taken only when it lowers f (the mean negative
 * log-likelihood), mu shrinks tenfold after a success and grows tenfold
 * after a failure.  Far from the optimum, where the Hessian is not positive
 * definite, this is gradient descent with a step that adapts; close to it
 * mu reaches 0 and the steps are Newton's, which converge quadratically: the
 * fit stops when the Newton step is below 1e-10 in every log-parameter, so
 * the parameters are known to about 1e-10 relative error (far below their
 * statistical error).  When the damped Newton iteration fails (no descent
 * from the start, 200 iterations), Nelder-Mead (Lagarias et al. 1998
 * coefficients) restarts it from a simplex minimum.
 *
 * The objective's f, gradient and Hessian are means over customers, so the
 * tolerances do not depend on how many customers there are.
 *
 * src/value_optim.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "miscadmin.h"

#include "value_models.h"

#define FIT_MAX_ITER		200
#define FIT_MAX_TRIES		40		/* damping increases per iteration */
#define FIT_STEP_TOL		1e-10	/* Newton step at convergence */
#define FIT_GRAD_TOL		1e-6	/* sanity bound on the gradient then */
#define FIT_MAX_STEP		5.0		/* largest step in a log-parameter */
#define FIT_BOUNDARY_LOG	25.0	/* |ln p| beyond this: p ran off */
#define NM_MAX_EVAL_PER_DIM 1000

/*
 * Solve A x = b for a symmetric n x n matrix A by Cholesky; false when A is
 * not (numerically) positive definite.
 */
static bool
cholesky_solve(int n, const double *A, const double *b, double *x)
{
	double		L[VALUE_MAX_PARAMS * VALUE_MAX_PARAMS];
	double		y[VALUE_MAX_PARAMS];
	int			i,
				j,
				k;

	for (i = 0; i < n; i++)
	{
		for (j = 0; j <= i; j++)
		{
			double		s = A[i * n + j];

			for (k = 0; k < j; k++)
				s -= L[i * n + k] * L[j * n + k];
			if (i == j)
			{
				if (!(s > 0.0) || !isfinite(s))
					return false;
				L[i * n + i] = sqrt(s);
			}
			else
				L[i * n + j] = s / L[j * n + j];
		}
	}
	for (i = 0; i < n; i++)
	{
		double		s = b[i];

		for (k = 0; k < i; k++)
			s -= L[i * n + k] * y[k];
		y[i] = s / L[i * n + i];
	}
	for (i = n - 1; i >= 0; i--)
	{
		double		s = y[i];

		for (k = i + 1; k < n; k++)
			s -= L[k * n + i] * x[k];
		x[i] = s / L[i * n + i];
	}
	return true;
}

/* The parameter farthest beyond FIT_BOUNDARY_LOG, or -1. */
static int
boundary_param(int n, const double *theta)
{
	int			i,
				far = -1;

	for (i = 0; i < n; i++)
		if (fabs(theta[i]) > FIT_BOUNDARY_LOG &&
			(far < 0 || fabs(theta[i]) > fabs(theta[far])))
			far = i;
	return far;
}

/* Damped Newton from fit->theta; sets status, iterations, f, max_gradient. */
static void
newton(ValueObjective fn, void *arg, int n, ValueFit *fit)
{
	double	   *theta = fit->theta;
	double		mu = 0.0;
	int			it;

	for (it = 1; it <= FIT_MAX_ITER; it++)
	{
		double		g[VALUE_MAX_PARAMS];
		double		H[VALUE_MAX_PARAMS * VALUE_MAX_PARAMS];
		double		d[VALUE_MAX_PARAMS];
		double		d0[VALUE_MAX_PARAMS];
		double		rhs[VALUE_MAX_PARAMS];
		double		f,
					gmax = 0.0,
					d0max = -1.0;
		bool		accepted = false;
		int			i,
					tries;

		CHECK_FOR_INTERRUPTS();
		f = fn(arg, theta, g, H);
		fit->f = f;
		fit->iterations = it;
		if (!isfinite(f))
			break;
		for (i = 0; i < n; i++)
		{
			gmax = Max(gmax, fabs(g[i]));
			rhs[i] = -g[i];
		}
		fit->max_gradient = gmax;

		/* converged when the undamped Newton step is negligible */
		if (cholesky_solve(n, H, rhs, d0))
		{
			d0max = 0.0;
			for (i = 0; i < n; i++)
				d0max = Max(d0max, fabs(d0[i]));
			if (d0max < FIT_STEP_TOL && gmax < FIT_GRAD_TOL)
				goto converged;
		}

		for (tries = 0; tries < FIT_MAX_TRIES && !accepted; tries++)
		{
			double		A[VALUE_MAX_PARAMS * VALUE_MAX_PARAMS];
			double		trial[VALUE_MAX_PARAMS];
			double		dmax = 0.0;
			double		ft;

			memcpy(A, H, sizeof(double) * n * n);
			for (i = 0; i < n; i++)
				A[i * n + i] += mu * Max(fabs(H[i * n + i]), 1e-12);
			if (!cholesky_solve(n, A, rhs, d))
			{
				mu = mu == 0.0 ? 1e-6 : mu * 10.0;
				continue;
			}
			for (i = 0; i < n; i++)
				dmax = Max(dmax, fabs(d[i]));
			for (i = 0; i < n; i++)
				trial[i] = theta[i] + (dmax > FIT_MAX_STEP ? d[i] * FIT_MAX_STEP / dmax : d[i]);
			ft = fn(arg, trial, NULL, NULL);
			if (isfinite(ft) && ft < f)
			{
				memcpy(theta, trial, sizeof(double) * n);
				accepted = true;
				mu = mu < 1e-9 ? 0.0 : mu / 10.0;
			}
			else
				mu = mu == 0.0 ? 1e-6 : mu * 10.0;
		}
		if (!accepted)
		{
			/*
			 * No step lowers f any more: that happens at the optimum, where
			 * f changes below its rounding error.  Converged if the gradient
			 * is small and the Newton step short; that step is then the best
			 * estimate there is.
			 */
			elog(DEBUG2, "value fit: no descent at iteration %d, Newton step %g, gradient %g",
				 it, d0max, gmax);
			if (d0max >= 0.0 && d0max < 1e-5 && gmax < FIT_GRAD_TOL)
				goto converged;
			fit->status = VALUE_FIT_NOT_CONVERGED;
			return;
		}
		if ((fit->boundary_param = boundary_param(n, theta)) >= 0)
		{
			fit->status = VALUE_FIT_BOUNDARY;
			return;
		}
	}
	fit->status = VALUE_FIT_NOT_CONVERGED;
	return;

converged:
	{
		int			i;
		double		g[VALUE_MAX_PARAMS] = {0.0};
		double		H[VALUE_MAX_PARAMS * VALUE_MAX_PARAMS] = {0.0};
		double		rhs[VALUE_MAX_PARAMS] = {0.0};
		double		d0[VALUE_MAX_PARAMS];

		/* a last Newton step at theta: the error goes from its square to nothing */
		fn(arg, theta, g, H);
		for (i = 0; i < n; i++)
			rhs[i] = -g[i];
		if (cholesky_solve(n, H, rhs, d0))
			for (i = 0; i < n; i++)
				theta[i] += d0[i];
		fit->f = fn(arg, theta, g, NULL);
		fit->max_gradient = 0.0;
		for (i = 0; i < n; i++)
			fit->max_gradient = Max(fit->max_gradient, fabs(g[i]));
		fit->status = VALUE_FIT_CONVERGED;
	}
}

/* Nelder-Mead minimum of f from theta (overwritten). */
static void
nelder_mead(ValueObjective fn, void *arg, int n, double *theta)
{
	double		x[VALUE_MAX_PARAMS + 1][VALUE_MAX_PARAMS];
	double		fx[VALUE_MAX_PARAMS + 1];
	int			evals = 0;
	int			maxeval = NM_MAX_EVAL_PER_DIM * n;
	int			i,
				j;

	for (i = 0; i <= n; i++)
	{
		memcpy(x[i], theta, sizeof(double) * n);
		if (i > 0)
			x[i][i - 1] += 0.5;
	}
	for (i = 0; i <= n; i++)
	{
		double		v = fn(arg, x[i], NULL, NULL);

		evals++;
		fx[i] = isfinite(v) ? v : DBL_MAX;
	}
	while (evals < maxeval)
	{
		double		c[VALUE_MAX_PARAMS],
					xr[VALUE_MAX_PARAMS],
					xt[VALUE_MAX_PARAMS];
		double		fr,
					ft,
					size = 0.0;
		int			w;

		CHECK_FOR_INTERRUPTS();
		/* order: x[0] best .. x[n] worst (insertion sort, n <= 4) */
		for (i = 1; i <= n; i++)
			for (j = i; j > 0 && fx[j] < fx[j - 1]; j--)
			{
				double		tf = fx[j];
				double		tx[VALUE_MAX_PARAMS];

				fx[j] = fx[j - 1];
				fx[j - 1] = tf;
				memcpy(tx, x[j], sizeof(double) * n);
				memcpy(x[j], x[j - 1], sizeof(double) * n);
				memcpy(x[j - 1], tx, sizeof(double) * n);
			}
		for (i = 1; i <= n; i++)
			for (j = 0; j < n; j++)
				size = Max(size, fabs(x[i][j] - x[0][j]));
		if (size < 1e-9 && fx[n] - fx[0] <= 1e-13 * (fabs(fx[0]) + 1e-10))
			break;
		w = n;
		for (j = 0; j < n; j++)
		{
			c[j] = 0.0;
			for (i = 0; i < n; i++)
				c[j] += x[i][j] / n;
			xr[j] = c[j] + (c[j] - x[w][j]);
		}
		fr = fn(arg, xr, NULL, NULL);
		evals++;
		if (!isfinite(fr))
			fr = DBL_MAX;
		if (fr < fx[0])
		{
			/* expand */
			for (j = 0; j < n; j++)
				xt[j] = c[j] + 2.0 * (c[j] - x[w][j]);
			ft = fn(arg, xt, NULL, NULL);
			evals++;
			if (isfinite(ft) && ft < fr)
			{
				memcpy(x[w], xt, sizeof(double) * n);
				fx[w] = ft;
			}
			else
			{
				memcpy(x[w], xr, sizeof(double) * n);
				fx[w] = fr;
			}
			continue;
		}
		if (fr < fx[n - 1])
		{
			memcpy(x[w], xr, sizeof(double) * n);
			fx[w] = fr;
			continue;
		}
		/* contract, outside or inside */
		for (j = 0; j < n; j++)
			xt[j] = fr < fx[w] ? c[j] + 0.5 * (xr[j] - c[j]) : c[j] + 0.5 * (x[w][j] - c[j]);
		ft = fn(arg, xt, NULL, NULL);
		evals++;
		if (isfinite(ft) && ft < Min(fr, fx[w]))
		{
			memcpy(x[w], xt, sizeof(double) * n);
			fx[w] = ft;
			continue;
		}
		/* shrink towards the best point */
		for (i = 1; i <= n; i++)
		{
			double		v;

			for (j = 0; j < n; j++)
				x[i][j] = x[0][j] + 0.5 * (x[i][j] - x[0][j]);
			v = fn(arg, x[i], NULL, NULL);
			evals++;
			fx[i] = isfinite(v) ? v : DBL_MAX;
		}
	}
	j = 0;
	for (i = 1; i <= n; i++)
		if (fx[i] < fx[j])
			j = i;
	memcpy(theta, x[j], sizeof(double) * n);
}

/*
 * Is the likelihood flat in some direction at theta, so that the data do
 * not determine the parameters?  That is where the maximum lies at infinity
 * along a ridge (for example q and gamma of the Gamma-Gamma model growing
 * together when the customers' mean values do not vary): the gradient
 * vanishes there without a maximum.  With N customers the standard error
 * of a log-parameter along the eigenvector of the smallest eigenvalue
 * lambda of the mean Hessian is 1 / sqrt(N lambda); flat means it exceeds
 * 100, i.e. H - 1e-4 / N I is not positive definite.  The parameter
 * farthest from 1 is the one reported as running off.
 */
static bool
flat_at(ValueObjective fn, void *arg, int n, double customers, ValueFit *fit)
{
	double		g[VALUE_MAX_PARAMS];
	double		H[VALUE_MAX_PARAMS * VALUE_MAX_PARAMS];
	double		rhs[VALUE_MAX_PARAMS] = {0.0};
	double		x[VALUE_MAX_PARAMS];
	int			i;

	if (!isfinite(fn(arg, fit->theta, g, H)))
		return false;
	for (i = 0; i < n; i++)
		H[i * n + i] -= 1e-4 / customers;
	if (cholesky_solve(n, H, rhs, x))
		return false;
	fit->boundary_param = 0;
	for (i = 1; i < n; i++)
		if (fabs(fit->theta[i]) > fabs(fit->theta[fit->boundary_param]))
			fit->boundary_param = i;
	return true;
}

void
churn_value_fit(ValueObjective fn, void *arg, int n, double customers,
				const double *start, ValueFit *fit)
{
	int			iterations;

	memset(fit, 0, sizeof(ValueFit));
	fit->boundary_param = -1;
	memcpy(fit->theta, start, sizeof(double) * n);
	newton(fn, arg, n, fit);
	if (fit->status == VALUE_FIT_CONVERGED)
		goto done;

	/* restart from a Nelder-Mead minimum */
	iterations = fit->iterations;
	memcpy(fit->theta, start, sizeof(double) * n);
	nelder_mead(fn, arg, n, fit->theta);
	fit->boundary_param = -1;
	newton(fn, arg, n, fit);
	fit->iterations += iterations;
	if (fit->status != VALUE_FIT_BOUNDARY &&
		(fit->boundary_param = boundary_param(n, fit->theta)) >= 0)
		fit->status = VALUE_FIT_BOUNDARY;

done:
	if (fit->status != VALUE_FIT_BOUNDARY && flat_at(fn, arg, n, customers, fit))
		fit->status = VALUE_FIT_BOUNDARY;
}
