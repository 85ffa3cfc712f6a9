/*-------------------------------------------------------------------------
 *
 * survival_stats.h
 *	  Tail probabilities of the chi-square and normal distributions, and
 *	  the log-rank (G-rho) test over Kaplan-Meier life tables, shared by
 *	  the survival comparison functions.
 *
 * src/survival_stats.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHURN_SURVIVAL_STATS_H
#define CHURN_SURVIVAL_STATS_H

#include "survival_curve.h"

/*
 * Upper tail P(X > x) of a chi-square distribution with df degrees of
 * freedom (df > 0); 1 for x <= 0.
 */
extern float8 churn_chisq_upper(float8 x, float8 df);

/* Two-sided normal p-value P(|Z| > |z|). */
extern float8 churn_normal_two_sided(float8 z);

/*
 * The most groups a log-rank test takes: its variance matrix has k × k
 * entries, each updated at every event time.
 */
#define LOGRANK_MAX_GROUPS	1000

/*
 * The G-rho test of k groups, each given as its Kaplan-Meier life table,
 * as R's survival::survdiff(rho = rho) computes it.  observed, expected,
 * events and the variance's diagonal are filled for every group; with
 * with_test also the whole variance matrix and the test, where has_test is
 * false (and chi_square, df, p_value undefined) when the test cannot be
 * computed: fewer than two groups with an expected count above zero, or a
 * singular variance matrix.  Without with_test the work is linear in k.
 */
typedef struct LogrankResult
{
	int			k;
	float8	   *observed;		/* sum of weight × events, per group */
	float8	   *expected;		/* sum of weight × events × at risk / n */
	float8	   *variance_diag;	/* variance of each observed - expected */
	float8	   *variance;		/* k × k, row-major; NULL without the test */
	int64	   *events;			/* unweighted events, per group */
	bool		has_test;
	float8		chi_square;
	int32		df;
	float8		p_value;
} LogrankResult;

extern void churn_logrank_compute(const SurvivalCurve *const *curves, int k,
								  float8 rho, bool with_test,
								  LogrankResult *res);

#endif							/* CHURN_SURVIVAL_STATS_H */
