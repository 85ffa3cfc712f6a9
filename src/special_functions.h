/*-------------------------------------------------------------------------
 *
 * special_functions.h
 *	  Digamma, trigamma and the Gauss hypergeometric function 2F1, for the
 *	  likelihoods and scoring functions of the predicted customer value
 *	  models (value_models.c).
 *
 * src/special_functions.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHURN_SPECIAL_FUNCTIONS_H
#define CHURN_SPECIAL_FUNCTIONS_H

/* psi(x) = d/dx ln Gamma(x), and its derivative psi'(x); x > 0 */
extern double churn_digamma(double x);
extern double churn_trigamma(double x);

/* ln B(a, b) = ln Gamma(a) + ln Gamma(b) - ln Gamma(a + b); a, b > 0 */
extern double churn_lbeta(double a, double b);

/*
 * 2F1(a, b; c; z) for real z < 1 (any z when a or b is zero or a negative
 * integer).  NaN when c is zero or a negative integer, or when the series
 * does not converge within its iteration limit (huge parameters).
 */
extern double churn_hyp2f1(double a, double b, double c, double z);

/*
 * The same with an estimate of its condition: the sum of the absolute
 * values of the terms over the absolute value of their sum (at most 1/eps
 * of precision is lost to cancellation between terms of both signs).
 * HYP_MAX_COND is where churn gives up: half of the digits lost.
 */
#define HYP_MAX_COND	1e8
extern double churn_hyp2f1_cond(double a, double b, double c, double z,
								double *cond);

/*
 * S(z) = sum over n >= 1 of (a)_n (b + 1)_(n-1) / ((c + 1)_(n-1) n!) z^n,
 * 0 <= z < 1, c > -1: the series of c (2F1(a, b; c; z) - 1) / b with the
 * division done term by term, so that it stays regular as b or c goes to
 * zero (value_models.c, conditional expectation of the BG/NBD model).
 */
extern double churn_hyp2f1_tail(double a, double b, double c, double z,
								double *cond);

#endif							/* CHURN_SPECIAL_FUNCTIONS_H */
