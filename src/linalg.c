/*-------------------------------------------------------------------------
 *
 * linalg.c
 *	  Small dense symmetric linear algebra for the model fits: LDL'
 *	  factorisation with a singularity tolerance, solve and inverse.
 *
 * Matrices are n x n, row by row (m[i * n + j]).  The factorisation is the
 * one R's survival package uses for its information matrices (A = L D L',
 * L unit lower triangular): a pivot that is not finite or falls below
 * toler times the largest diagonal element marks its column as redundant
 * (collinear with the columns before it).  A redundant column drops out of
 * the factorisation, gets a zero pivot, and its component of a solution
 * and its row and column of the inverse are zero: the solution and the
 * inverse of the matrix without that column.  That is what turns a
 * collinear covariate into a NULL coefficient instead of a wrong number.
 *
 * src/linalg.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "linalg.h"

/*
 * Factor the symmetric matrix m (its lower triangle is read) in place: D
 * on the diagonal, L below it.  Returns the rank, negated when a pivot was
 * clearly negative (the matrix is not non-negative definite).
 */
int
churn_ldl_factor(double *m, int n, double toler)
{
	double		eps = 0.0;
	int			rank = 0;
	bool		nonneg = true;
	int			i,
				j,
				k;

	for (i = 0; i < n; i++)
	{
		if (m[i * n + i] > eps)
			eps = m[i * n + i];
	}
	eps *= toler;

	for (i = 0; i < n; i++)
	{
		double		pivot = m[i * n + i];

		/* eps = 0 (no positive diagonal element) marks every column */
		if (isnan(pivot) || isinf(pivot) || eps == 0.0 || pivot < eps)
		{
			if (pivot < -8 * eps)
				nonneg = false;
			m[i * n + i] = 0.0;
			for (j = i + 1; j < n; j++)
				m[j * n + i] = 0.0;
			continue;
		}
		rank++;
		for (j = i + 1; j < n; j++)
		{
			double		l = m[j * n + i] / pivot;

			m[j * n + i] = l;
			m[j * n + j] -= l * l * pivot;
			for (k = j + 1; k < n; k++)
				m[k * n + j] -= l * m[k * n + i];
		}
	}
	return nonneg ? rank : -rank;
}

/* Solve A b = y for b, given the factor of A; y is overwritten with b. */
void
churn_ldl_solve(const double *m, int n, double *y)
{
	int			i,
				j;

	/* L z = y */
	for (i = 0; i < n; i++)
	{
		double		s = y[i];

		for (j = 0; j < i; j++)
			s -= m[i * n + j] * y[j];
		y[i] = s;
	}
	/* D L' b = z */
	for (i = n - 1; i >= 0; i--)
	{
		double		s;

		if (m[i * n + i] == 0.0)
		{
			y[i] = 0.0;
			continue;
		}
		s = y[i] / m[i * n + i];
		for (j = i + 1; j < n; j++)
			s -= m[j * n + i] * y[j];
		y[i] = s;
	}
}

/*
 * Replace the factor of A by A's (generalised) inverse, the whole
 * symmetric matrix: A^-1 = L'^-1 D^-1 L^-1, with the rows and columns of
 * redundant columns zero.
 */
void
churn_ldl_invert(double *m, int n)
{
	int			i,
				j,
				k;

	/* L^-1 in place, below the diagonal (unit diagonal implied) */
	for (j = 0; j < n; j++)
	{
		for (i = j + 1; i < n; i++)
		{
			double		s = -m[i * n + j];

			for (k = j + 1; k < i; k++)
				s -= m[i * n + k] * m[k * n + j];
			m[i * n + j] = s;
		}
	}
	/* D^-1 on the diagonal, zero for redundant columns */
	for (i = 0; i < n; i++)
	{
		if (m[i * n + i] != 0.0)
			m[i * n + i] = 1.0 / m[i * n + i];
	}
	/*
	 * (A^-1)[i][j] = sum over k >= max(i, j) of Linv[k][i] Dinv[k]
	 * Linv[k][j], with Linv[k][k] = 1, into the upper triangle.  Row i reads
	 * the diagonal from i on and the lower triangle, which it does not write.
	 */
	for (i = 0; i < n; i++)
	{
		for (j = i; j < n; j++)
		{
			double		s = 0.0;

			for (k = j; k < n; k++)
			{
				double		lki = (k == i) ? 1.0 : m[k * n + i];
				double		lkj = (k == j) ? 1.0 : m[k * n + j];

				s += lki * m[k * n + k] * lkj;
			}
			m[i * n + j] = s;
		}
	}
	for (i = 0; i < n; i++)
	{
		for (j = i + 1; j < n; j++)
			m[j * n + i] = m[i * n + j];
	}
}
