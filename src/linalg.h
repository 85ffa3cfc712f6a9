/*-------------------------------------------------------------------------
 *
 * linalg.h
 *	  Small dense symmetric linear algebra for the model fits: LDL'
 *	  factorisation with a singularity tolerance, solve and inverse.
 *
 * src/linalg.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHURN_LINALG_H
#define CHURN_LINALG_H

extern int	churn_ldl_factor(double *m, int n, double toler);
extern void churn_ldl_solve(const double *m, int n, double *y);
extern void churn_ldl_invert(double *m, int n);

#endif							/* CHURN_LINALG_H */
