/*-------------------------------------------------------------------------
 *
 * cox_fit.c
 *	  The fit behind coxph(): Newton-Raphson on the Cox partial likelihood
 *	  with Efron or Breslow ties, as R's survival::coxph fits it, plus what
 *	  the model keeps for its readers: the baseline cumulative hazard of
 *	  survfit.coxph and Harrell's concordance as R's concordance() counts
 *	  it.
 *
 * The steps follow R (survival 3.x, coxph.fit and its C routine coxfit6),
 * so that the iterations, and hence the numbers, are R's:
 *
 *	- rows are sorted by time; the sums over risk sets run from the longest
 *	  duration down, every row with the same duration (a tie) added before
 *	  the deaths at that duration are accounted for;
 *	- each covariate that is not confined to -1, 0 and 1 (R's nocenter) is
 *	  centred on its mean and scaled by n / sum |x - mean|, which changes no
 *	  estimate but keeps exp() in range and the information matrix well
 *	  conditioned; the singularity test sees the scaled matrix, as R's does;
 *	- start at beta = 0; each step solves I(beta) d = U(beta) by an LDL'
 *	  factorisation (linalg.c); the fit has converged when
 *	  |1 - loglik_old / loglik_new| <= 1e-9, at most 20 iterations; a step
 *	  that lowers the log likelihood, or makes anything infinite, is
 *	  retried from the last good beta a half, a third, a quarter... of the
 *	  way (step halving);
 *	- at convergence the variance is the inverse of the information at the
 *	  final beta; a redundant covariate (zero pivot) has a NULL coefficient
 *	  and a zero row of the variance (R: NA and "X matrix deemed to be
 *	  singular"); a coefficient whose one-step change U' V exceeds both eps
 *	  and sqrt(eps) |beta| is flagged as possibly infinite (R: "Loglik
 *	  converged before variable ...").
 *
 * The log partial likelihood with d deaths at time t, R the sum of the
 * risk scores exp(x beta) of everyone still at risk at t (duration >= t)
 * and D that of the d deaths:
 *
 *	Breslow:	sum over deaths of x beta, minus d log R
 *	Efron:		sum over deaths of x beta, minus
 *				sum over k = 0 .. d - 1 of log(R - k/d D)
 *
 * With strata (R's strata()) the risk sets, the baseline hazard and the
 * concordance pairs are each stratum's own; the sums over strata make one
 * likelihood, score and information for the common coefficients.
 *
 * The fit does not depend on the order the rows arrived in: they are
 * sorted on everything they hold (stratum label, time, event, then the
 * covariates), so the same multiset of rows gives the same sums in the
 * same order, bit for bit, however a parallel plan split them.
 *
 * Cost: the rows are copied once, sorted (n log n), and each iteration
 * walks them once, O(n p^2) for p covariates; concordance and baseline
 * hazard are one more sort and walk (Fenwick trees over the ranks of the
 * linear predictor).  Memory: 8 (p + 1) + 1 bytes per row for the sorted
 * copy beside the state's own, 16 more while sorting, and about 60 per
 * row during the concordance (the covariates are freed by then).  One
 * fit holds at most 2^31 - 1 rows (row numbers are int32).  Measured at
 * 1,000,000 rows of 4 covariates: 0.64 s and 112 MB, of which 39 MB are
 * the state (test/bench/cox.sh).
 *
 * src/cox_fit.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "common/hashfn.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/float.h"
#include "utils/memutils.h"

#include "cox.h"
#include "linalg.h"

typedef struct CoxSortKey
{
	float8		time;
	int32		stratum;		/* rank of the stratum label, 0 without strata */
	uint32		tiebreak;		/* event in the top bit, then a row hash */
	int32		row;
} CoxSortKey;

/* everything the iterations need, on the sorted rows */
typedef struct CoxWork
{
	int			nvar;
	int64		n;
	uint8		ties;
	/* strata: rows start[k] .. start[k + 1] - 1 (one stratum without) */
	int32		nstrata;
	int64	   *start;
	const char **labels;		/* stratified only: in increasing byte order */
	float8	   *time;			/* ascending */
	uint8	   *status;
	float8	   *x;				/* n x nvar, centred and scaled */
	float8	   *means;
	float8	   *scale;
	/* results of one pass over the data */
	float8	   *u;				/* score */
	float8	   *imat;			/* information, lower triangle then full */
	/* scratch of one pass */
	float8	   *a;
	float8	   *a2;
	float8	   *cmat;
	float8	   *cmat2;
} CoxWork;

/* ---------- sorting the rows ---------- */

/*
 * Keys compare on stratum, time, then the tiebreak (censored rows before
 * deaths at the same time, then the hash of the covariates), then the
 * covariates themselves: rows that compare equal are equal bit for bit, so
 * their order does not matter.
 */
static inline int
cox_key_cmp(const CoxSortKey *a, const CoxSortKey *b, const CoxRows *rows)
{
	if (a->stratum != b->stratum)
		return a->stratum < b->stratum ? -1 : 1;
	if (a->time != b->time)
		return a->time < b->time ? -1 : 1;
	if (a->tiebreak != b->tiebreak)
		return a->tiebreak < b->tiebreak ? -1 : 1;
	if (rows->nvar == 0)
		return 0;
	return memcmp(rows->x + a->row * rows->nvar, rows->x + b->row * rows->nvar,
				  sizeof(float8) * rows->nvar);
}

#define ST_SORT cox_sort_keys
#define ST_ELEMENT_TYPE CoxSortKey
#define ST_COMPARE_ARG_TYPE const CoxRows
#define ST_COMPARE(a, b, arg) cox_key_cmp(a, b, arg)
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

/* a linear predictor and its row, to rank the rows by predictor */
typedef struct CoxLp
{
	float8		lp;
	int32		row;
} CoxLp;

#define ST_SORT cox_sort_lp
#define ST_ELEMENT_TYPE CoxLp
#define ST_COMPARE(a, b) ((a)->lp < (b)->lp ? -1 : (a)->lp > (b)->lp ? 1 : 0)
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

/* stratum labels in byte order (strcmp: not the collation's, which may change) */
typedef struct CoxLabel
{
	const char *label;
	int32		index;
} CoxLabel;

#define ST_SORT cox_sort_labels
#define ST_ELEMENT_TYPE CoxLabel
#define ST_COMPARE(a, b) strcmp((a)->label, (b)->label)
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

#define ST_SORT cox_sort_int32
#define ST_ELEMENT_TYPE int32
#define ST_COMPARE(a, b) (*(a) < *(b) ? -1 : *(a) > *(b) ? 1 : 0)
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * Copy the rows in sorted order, then centre and scale the covariates as R
 * does: a column whose values are all -1, 0 or 1 is left alone (mean 0,
 * scale 1); any other is centred on its mean and multiplied by
 * n / sum |x - mean| (1 for a constant column).
 */
static void
cox_prepare(CoxWork *w, const CoxRows *rows)
{
	int64		n = rows->nrows;
	int			p = rows->nvar;
	CoxSortKey *keys;
	int32	   *srank = NULL;
	int64		i;
	int			j;
	int32		k;

	w->nvar = p;
	w->n = n;
	w->ties = rows->ties;

	/* strata in the byte order of their labels */
	w->nstrata = rows->stratified ? rows->nstrata : 1;
	w->labels = NULL;
	if (rows->stratified)
	{
		CoxLabel   *lab = palloc(sizeof(CoxLabel) * Max(rows->nstrata, 1));

		for (k = 0; k < rows->nstrata; k++)
		{
			lab[k].label = rows->labelbuf + rows->label_off[k];
			lab[k].index = k;
		}
		cox_sort_labels(lab, rows->nstrata);
		srank = palloc(sizeof(int32) * Max(rows->nstrata, 1));
		w->labels = palloc(sizeof(char *) * Max(rows->nstrata, 1));
		for (k = 0; k < rows->nstrata; k++)
		{
			srank[lab[k].index] = k;
			w->labels[k] = lab[k].label;
		}
		pfree(lab);
	}

	keys = palloc_extended(sizeof(CoxSortKey) * n, MCXT_ALLOC_HUGE);
	for (i = 0; i < n; i++)
	{
		uint32		h = 0;

		if (p > 0)
			h = hash_bytes((const unsigned char *) (rows->x + i * p),
						   (int) (sizeof(float8) * p));
		keys[i].time = rows->time[i];
		keys[i].stratum = srank ? srank[rows->stratum[i]] : 0;
		keys[i].tiebreak = ((uint32) (rows->event[i] ? 1 : 0) << 31) | (h >> 1);
		keys[i].row = (int32) i;
	}
	cox_sort_keys(keys, n, rows);

	/* where each stratum starts among the sorted rows */
	w->start = palloc0(sizeof(int64) * (w->nstrata + 1));
	for (i = 0; i < n; i++)
		w->start[keys[i].stratum + 1]++;
	for (k = 0; k < w->nstrata; k++)
		w->start[k + 1] += w->start[k];

	w->time = palloc_extended(sizeof(float8) * n, MCXT_ALLOC_HUGE);
	w->status = palloc_extended(n, MCXT_ALLOC_HUGE);
	w->x = palloc_extended(sizeof(float8) * Max(n * p, 1), MCXT_ALLOC_HUGE);
	for (i = 0; i < n; i++)
	{
		int64		r = keys[i].row;

		w->time[i] = rows->time[r];
		w->status[i] = rows->event[r] ? 1 : 0;
		if (p > 0)
			memcpy(w->x + i * p, rows->x + r * p, sizeof(float8) * p);
	}
	pfree(keys);
	if (srank)
		pfree(srank);

	w->means = palloc0(sizeof(float8) * Max(p, 1));
	w->scale = palloc(sizeof(float8) * Max(p, 1));
	for (j = 0; j < p; j++)
	{
		bool		doscale = false;
		float8		sum = 0.0;
		float8		mean;

		w->scale[j] = 1.0;
		for (i = 0; i < n; i++)
		{
			float8		v = w->x[i * p + j];

			if (v != 0.0 && v != 1.0 && v != -1.0)
				doscale = true;
			sum += v;
		}
		if (!doscale)
			continue;
		mean = sum / (float8) n;
		w->means[j] = mean;
		sum = 0.0;
		for (i = 0; i < n; i++)
		{
			w->x[i * p + j] -= mean;
			sum += fabs(w->x[i * p + j]);
		}
		w->scale[j] = sum > 0.0 ? (float8) n / sum : 1.0;
		for (i = 0; i < n; i++)
			w->x[i * p + j] *= w->scale[j];
	}

	w->u = palloc(sizeof(float8) * Max(p, 1));
	w->imat = palloc(sizeof(float8) * Max(p * p, 1));
	w->a = palloc(sizeof(float8) * Max(p, 1));
	w->a2 = palloc(sizeof(float8) * Max(p, 1));
	w->cmat = palloc(sizeof(float8) * Max(p * p, 1));
	w->cmat2 = palloc(sizeof(float8) * Max(p * p, 1));
}

/* ---------- one pass: log likelihood, score and information ---------- */

/*
 * The rows of one stratum, lo .. hi - 1: its log partial likelihood at
 * beta (on the scaled covariates), adding its score to w->u and its
 * information to w->imat (lower triangle).  Rows are walked from the
 * longest duration down, so the risk set sums (denom, a, cmat) only ever
 * grow; the rows of one duration are all added before its deaths are
 * accounted for.
 */
static float8
cox_pass_stratum(CoxWork *w, const float8 *beta, int64 lo, int64 hi)
{
	int			p = w->nvar;
	int64		person = hi - 1;
	float8		loglik = 0.0;
	float8		denom = 0.0;
	int			i,
				j,
				k;

	memset(w->a, 0, sizeof(float8) * p);
	memset(w->a2, 0, sizeof(float8) * p);
	memset(w->cmat, 0, sizeof(float8) * p * p);
	memset(w->cmat2, 0, sizeof(float8) * p * p);

	while (person >= lo)
	{
		float8		dtime = w->time[person];
		int64		ndead = 0;
		float8		denom2 = 0.0;	/* risk of the deaths at dtime */

		/* every row of this duration joins the risk set */
		while (person >= lo && w->time[person] == dtime)
		{
			const float8 *xi = w->x + person * p;
			float8		zbeta = 0.0;
			float8		risk;

			for (i = 0; i < p; i++)
				zbeta += beta[i] * xi[i];
			risk = exp(zbeta);
			if (w->status[person] == 0)
			{
				denom += risk;
				for (i = 0; i < p; i++)
				{
					float8		rx = risk * xi[i];

					w->a[i] += rx;
					for (j = 0; j <= i; j++)
						w->cmat[i * p + j] += rx * xi[j];
				}
			}
			else
			{
				ndead++;
				denom2 += risk;
				loglik += zbeta;
				for (i = 0; i < p; i++)
				{
					float8		rx = risk * xi[i];

					w->u[i] += xi[i];
					w->a2[i] += rx;
					for (j = 0; j <= i; j++)
						w->cmat2[i * p + j] += rx * xi[j];
				}
			}
			person--;
		}
		if (ndead == 0)
			continue;

		if (w->ties == COX_TIES_BRESLOW || ndead == 1)
		{
			float8		dw = (float8) ndead;

			denom += denom2;
			loglik -= dw * log(denom);
			for (i = 0; i < p; i++)
			{
				float8		mean;

				w->a[i] += w->a2[i];
				mean = w->a[i] / denom;
				w->u[i] -= dw * mean;
				for (j = 0; j <= i; j++)
				{
					w->cmat[i * p + j] += w->cmat2[i * p + j];
					w->imat[i * p + j] += dw * (w->cmat[i * p + j] - mean * w->a[j]) / denom;
				}
			}
		}
		else
		{
			/*
			 * Efron: the d deaths leave the risk set a d-th at a time, so
			 * the k-th of the d terms (k = 1 .. d) has the deaths' sums
			 * in with weight k/d; adding a d-th of them before each term
			 * makes the risk set sums run through those weights.
			 */
			float8		fd = (float8) ndead;

			for (k = 0; k < ndead; k++)
			{
				denom += denom2 / fd;
				loglik -= log(denom);
				for (i = 0; i < p; i++)
				{
					float8		mean;

					w->a[i] += w->a2[i] / fd;
					mean = w->a[i] / denom;
					w->u[i] -= mean;
					for (j = 0; j <= i; j++)
					{
						w->cmat[i * p + j] += w->cmat2[i * p + j] / fd;
						w->imat[i * p + j] += (w->cmat[i * p + j] - mean * w->a[j]) / denom;
					}
				}
			}
		}
		memset(w->a2, 0, sizeof(float8) * p);
		memset(w->cmat2, 0, sizeof(float8) * p * p);
	}

	return loglik;
}

/*
 * The log partial likelihood at beta, with the score in w->u and the
 * information matrix in w->imat (whole, symmetric): the sums over the
 * strata, each with risk sets of its own.
 */
static float8
cox_pass(CoxWork *w, const float8 *beta)
{
	int			p = w->nvar;
	float8		loglik = 0.0;
	int32		k;
	int			i,
				j;

	memset(w->u, 0, sizeof(float8) * p);
	memset(w->imat, 0, sizeof(float8) * p * p);
	for (k = 0; k < w->nstrata; k++)
		loglik += cox_pass_stratum(w, beta, w->start[k], w->start[k + 1]);
	for (i = 0; i < p; i++)
		for (j = 0; j < i; j++)
			w->imat[j * p + i] = w->imat[i * p + j];
	return loglik;
}

/* ---------- the fit ---------- */

typedef struct CoxResult
{
	float8	   *beta;			/* scaled during the fit, then R's coef */
	float8	   *var;			/* the factor, then the inverse */
	bool	   *singular;		/* redundant covariates: zero pivots */
	float8		loglik_null;
	float8		loglik;
	float8		score;
	int			iterations;
	bool		converged;
} CoxResult;

/* is anything of the score or the information not finite? */
static bool
cox_pass_not_finite(const CoxWork *w, float8 loglik)
{
	int			p = w->nvar;
	int			i;

	if (isnan(loglik) || isinf(loglik))
		return true;
	for (i = 0; i < p; i++)
		if (isnan(w->u[i]) || isinf(w->u[i]))
			return true;
	for (i = 0; i < p * p; i++)
		if (isnan(w->imat[i]) || isinf(w->imat[i]))
			return true;
	return false;
}

static void
cox_newton(CoxWork *w, CoxResult *res)
{
	int			p = w->nvar;
	float8	   *beta = palloc0(sizeof(float8) * Max(p, 1));
	float8	   *newbeta = palloc0(sizeof(float8) * Max(p, 1));
	float8	   *step = palloc(sizeof(float8) * Max(p, 1));
	float8		best;
	int			halving = 0;
	int			iter;
	int			i,
				j;

	res->beta = beta;
	res->var = w->imat;
	res->singular = palloc0(sizeof(bool) * Max(p, 1));
	res->converged = true;
	res->iterations = 0;
	res->score = 0.0;

	/* beta = 0: the null log likelihood, the score test and the first step */
	res->loglik_null = cox_pass(w, beta);
	res->loglik = res->loglik_null;
	if (p == 0)
		return;
	memcpy(step, w->u, sizeof(float8) * p);
	churn_ldl_factor(w->imat, p, COX_TOLER_CHOL);
	churn_ldl_solve(w->imat, p, step);
	for (i = 0; i < p; i++)
		res->score += w->u[i] * step[i];

	best = res->loglik_null;
	for (i = 0; i < p; i++)
		newbeta[i] = beta[i] + step[i];

	for (iter = 1; iter <= COX_ITER_MAX; iter++)
	{
		float8		newlk;
		bool		notfinite;

		CHECK_FOR_INTERRUPTS();
		newlk = cox_pass(w, newbeta);
		notfinite = cox_pass_not_finite(w, newlk);
		churn_ldl_factor(w->imat, p, COX_TOLER_CHOL);

		if (!notfinite && fabs(1.0 - best / newlk) <= COX_EPS)
		{
			/* converged: newbeta, with its score and information */
			res->loglik = newlk;
			res->iterations = iter;
			memcpy(beta, newbeta, sizeof(float8) * p);
			goto finish;
		}
		if (notfinite || newlk < best)
		{
			/* worse: retry nearer the last good beta */
			halving++;
			for (i = 0; i < p; i++)
				newbeta[i] = (newbeta[i] + halving * beta[i]) / (halving + 1.0);
		}
		else
		{
			halving = 0;
			best = newlk;
			memcpy(step, w->u, sizeof(float8) * p);
			churn_ldl_solve(w->imat, p, step);
			for (i = 0; i < p; i++)
			{
				beta[i] = newbeta[i];
				newbeta[i] += step[i];
			}
		}
	}

	/* out of iterations: the last good beta, its score and information */
	res->converged = false;
	res->iterations = COX_ITER_MAX;
	res->loglik = cox_pass(w, beta);
	churn_ldl_factor(w->imat, p, COX_TOLER_CHOL);

finish:
	churn_ldl_invert(w->imat, p);
	/*
	 * Redundant covariates are those of a zero pivot, seen on the scaled
	 * matrix (as R's rank test): the variance of a very small but real
	 * coefficient may underflow to 0 once scaled back.
	 */
	for (i = 0; i < p; i++)
		res->singular[i] = w->imat[i * p + i] == 0.0;
	/* back to the covariates' own scale */
	for (i = 0; i < p; i++)
	{
		beta[i] *= w->scale[i];
		w->u[i] /= w->scale[i];
		for (j = 0; j < p; j++)
			w->imat[i * p + j] *= w->scale[i] * w->scale[j];
	}
}

/* ---------- concordance ---------- */

/* Fenwick tree over ranks 0 .. m - 1 of the linear predictor */
typedef struct CoxTree
{
	int32		m;
	int64		total;
	int64	   *fen;			/* 1-based partial sums */
	int64	   *cnt;			/* per rank */
} CoxTree;

static void
cox_tree_init(CoxTree *t, int32 m)
{
	t->m = m;
	t->total = 0;
	t->fen = palloc_extended(sizeof(int64) * ((Size) m + 1), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	t->cnt = palloc_extended(sizeof(int64) * (Size) Max(m, 1), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
}

static inline void
cox_tree_add(CoxTree *t, int32 r)
{
	int32		i;

	t->total++;
	t->cnt[r]++;
	for (i = r + 1; i <= t->m; i += i & (-i))
		t->fen[i]++;
}

static inline void
cox_tree_remove(CoxTree *t, int32 r)
{
	int32		i;

	t->total--;
	t->cnt[r]--;
	for (i = r + 1; i <= t->m; i += i & (-i))
		t->fen[i]--;
}

/* how many in the tree have a smaller, equal, greater rank than r */
static inline void
cox_tree_query(const CoxTree *t, int32 r, int64 *less, int64 *equal, int64 *greater)
{
	int64		s = 0;
	int32		i;

	for (i = r; i > 0; i -= i & (-i))
		s += t->fen[i];
	*less = s;
	*equal = t->cnt[r];
	*greater = t->total - s - *equal;
}

/*
 * Harrell's C as R's concordance(fit) counts it for a Cox model (timewt
 * "n", reverse = TRUE): a pair is comparable when the shorter of the two
 * durations ends in a death (a row censored at the time of a death counts
 * as lasting longer); it is concordant when the row that died first has
 * the higher linear predictor, tied.x when the predictors are equal;
 * deaths at the same time are tied.y (tied.xy when the predictors are
 * equal too) and not comparable.  C = (concordant + tied.x / 2) /
 * (concordant + discordant + tied.x).  The variance is R's infinitesimal
 * jackknife: from each row's share of the concordant, discordant and
 * tied.x counts.
 *
 * Rows are processed from the longest duration down; within a duration,
 * censored rows before deaths (the sort put them first).  Two trees
 * count, by rank of the linear predictor, every row seen and every death
 * seen.  A row's share as the longer-lived member of a pair is the deaths
 * counted after it: the death tree at the end minus the death tree when it
 * was added.
 */
static void
cox_concordance(const CoxWork *w, const float8 *lp, CoxModel *m)
{
	int64		n = w->n;
	CoxLp	   *sorted;
	int32	   *rank;
	int32	   *block;
	int64		nu = 0;
	int64		i;
	int64	   *infl;
	CoxTree		all,
				dead;
	int64		c0 = 0,
				c1 = 0,
				c2 = 0,
				ty = 0,
				txy = 0;
	int64		hi;
	int32		stratum;

	/* ranks of the linear predictor, equal values sharing one */
	sorted = palloc_extended(sizeof(CoxLp) * n, MCXT_ALLOC_HUGE);
	for (i = 0; i < n; i++)
	{
		sorted[i].lp = lp[i];
		sorted[i].row = (int32) i;
	}
	cox_sort_lp(sorted, n);
	rank = palloc_extended(sizeof(int32) * n, MCXT_ALLOC_HUGE);
	for (i = 0; i < n; i++)
	{
		if (i > 0 && sorted[i].lp != sorted[i - 1].lp)
			nu++;
		rank[sorted[i].row] = (int32) nu;
	}
	nu++;
	pfree(sorted);

	cox_tree_init(&all, (int32) nu);
	cox_tree_init(&dead, (int32) nu);
	/* per row: its concordant, discordant and tied.x shares (pre-reverse) */
	infl = palloc_extended(sizeof(int64) * 3 * n, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	block = palloc_extended(sizeof(int32) * n, MCXT_ALLOC_HUGE);

	for (stratum = 0; stratum < w->nstrata; stratum++)
	{
		int64		slo = w->start[stratum];
		int64		shi = w->start[stratum + 1];

		hi = shi - 1;
		while (hi >= slo)
		{
			int64		lo = hi;
			int64		first_death;
			int64		nd;
			int64		k;
			int64		less,
						equal,
						greater;

			while (lo > slo && w->time[lo - 1] == w->time[hi])
				lo--;
			first_death = lo;
			while (first_death <= hi && w->status[first_death] == 0)
				first_death++;
			CHECK_FOR_INTERRUPTS();

			/* censored rows of this duration: at risk for its deaths */
			for (k = lo; k < first_death; k++)
			{
				cox_tree_query(&dead, rank[k], &less, &equal, &greater);
				infl[3 * k] -= less;
				infl[3 * k + 1] -= greater;
				infl[3 * k + 2] -= equal;
				cox_tree_add(&all, rank[k]);
			}

			nd = hi - first_death + 1;
			if (nd > 0)
			{
				int64		run = 0;

				/* each death against everyone lasting longer */
				for (k = first_death; k <= hi; k++)
				{
					cox_tree_query(&all, rank[k], &less, &equal, &greater);
					c0 += greater;
					c1 += less;
					c2 += equal;
					infl[3 * k] += greater;
					infl[3 * k + 1] += less;
					infl[3 * k + 2] += equal;
					cox_tree_add(&dead, rank[k]);
					block[k - first_death] = rank[k];
				}
				/* pairs of these deaths: tied on time, maybe on the predictor */
				ty += nd * (nd - 1) / 2;
				cox_sort_int32(block, nd);
				for (k = 1; k <= nd; k++)
				{
					run++;
					if (k == nd || block[k] != block[k - 1])
					{
						txy += run * (run - 1) / 2;
						run = 0;
					}
				}
				/* then they join the risk set of the shorter durations */
				for (k = first_death; k <= hi; k++)
				{
					cox_tree_query(&dead, rank[k], &less, &equal, &greater);
					infl[3 * k] -= less;
					infl[3 * k + 1] -= greater;
					infl[3 * k + 2] -= equal;
					cox_tree_add(&all, rank[k]);
				}
			}
			hi = lo - 1;
		}

		/*
		 * A row's share as the longer-lived member of a pair: the deaths
		 * counted after it.  Then the trees are emptied for the next
		 * stratum (pairs are compared within a stratum only).
		 */
		for (i = slo; i < shi; i++)
		{
			int64		less,
						equal,
						greater;

			cox_tree_query(&dead, rank[i], &less, &equal, &greater);
			infl[3 * i] += less;
			infl[3 * i + 1] += greater;
			infl[3 * i + 2] += equal;
		}
		for (i = slo; i < shi; i++)
		{
			cox_tree_remove(&all, rank[i]);
			if (w->status[i])
				cox_tree_remove(&dead, rank[i]);
		}
	}

	m->concordant = c1;			/* reverse: higher risk, shorter life */
	m->discordant = c0;
	m->tied_x = c2;
	m->tied_y = ty - txy;
	m->tied_xy = txy;
	m->concordance_var = get_float8_nan();
	if (c0 + c1 + c2 > 0)
	{
		float8		npair = (float8) (c0 + c1 + c2);
		float8		somer = (float8) (c0 - c1) / npair;
		float8		sumsq = 0.0;

		for (i = 0; i < n; i++)
		{
			float8		i0 = (float8) infl[3 * i];
			float8		i1 = (float8) infl[3 * i + 1];
			float8		i2 = (float8) infl[3 * i + 2];
			float8		dfbeta;

			dfbeta = (i0 - i1) / npair - (somer / npair) * (i0 + i1 + i2);
			sumsq += dfbeta * dfbeta;
		}
		m->concordance_var = sumsq / 4.0;
	}
	pfree(rank);
	pfree(block);
	pfree(infl);
}

/* ---------- the model ---------- */

/* the warnings R gives, naming the covariates (1-based) */
static void
cox_warn_terms(const CoxModel *m, uint8 status, const char *fmt_one,
			   const char *fmt_many, const char *detail)
{
	const uint8 *st = COX_MODEL_STATUS(m);
	StringInfoData list;
	int			count = 0;
	int			j;

	initStringInfo(&list);
	for (j = 0; j < m->nvar; j++)
	{
		if (st[j] != status)
			continue;
		appendStringInfo(&list, "%s%d", count > 0 ? ", " : "", j + 1);
		count++;
	}
	if (count == 0)
		return;
	if (count == 1)
		ereport(WARNING,
				(errmsg(fmt_one, list.data),
				 errdetail_internal("%s", detail)));
	else
		ereport(WARNING,
				(errmsg(fmt_many, list.data),
				 errdetail_internal("%s", detail)));
}

CoxModel *
cox_fit(const CoxRows *rows)
{
	MemoryContext fitcxt;
	MemoryContext outcxt = CurrentMemoryContext;
	CoxWork		w;
	CoxResult	res;
	CoxModel   *m;
	int			p = rows->nvar;
	float8	   *lp;
	float8	   *haz_time;
	float8	   *haz;
	int64		nsteps = 0;
	int64		events = 0;
	int32	   *stratum_steps;
	int32		stratum;
	int32		nstrata;
	int64		from;
	Size		labelbytes = 0;
	Size		size;
	const char *problem;
	float8		cum;
	int64		i;
	int			j;

	Assert(p >= 0 && rows->nrows > 0);
	if (rows->nrows > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("coxph cannot fit more than %d rows, the state has " INT64_FORMAT,
						PG_INT32_MAX, rows->nrows)));
	fitcxt = AllocSetContextCreate(CurrentMemoryContext, "coxph fit",
								   ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(fitcxt);

	cox_prepare(&w, rows);
	cox_newton(&w, &res);

	/*
	 * The linear predictor of each row at the final beta, centred as R's
	 * fit$linear.predictors (x beta - sum(means * beta)): it is what the
	 * scaled covariates times the scaled beta give.
	 */
	lp = palloc_extended(sizeof(float8) * rows->nrows, MCXT_ALLOC_HUGE);
	for (i = 0; i < w.n; i++)
	{
		const float8 *xi = w.x + i * p;
		float8		z = 0.0;

		for (j = 0; j < p; j++)
			z += (res.beta[j] / w.scale[j]) * xi[j];
		lp[i] = z;
		events += w.status[i];
	}

	/*
	 * Baseline cumulative hazard as survfit.coxph computes it (ctype 1 for
	 * Breslow ties, 2 for Efron): at each event time with d deaths, risk
	 * set sum R and deaths' risk sum D, the increment d / R (Breslow) or
	 * sum over k = 0 .. d - 1 of 1 / (R - k/d D) (Efron), risk scores
	 * exp(lp) centred as above.
	 */
	haz_time = palloc_extended(sizeof(float8) * Max(events, 1), MCXT_ALLOC_HUGE);
	haz = palloc_extended(sizeof(float8) * Max(events, 1), MCXT_ALLOC_HUGE);
	stratum_steps = palloc0(sizeof(int32) * w.nstrata);
	for (stratum = 0; stratum < w.nstrata; stratum++)
	{
		int64		lo = w.start[stratum];
		int64		person = w.start[stratum + 1] - 1;
		float8		nrisk = 0.0;

		/* the steps of a stratum, latest first */
		while (person >= lo)
		{
			float8		dtime = w.time[person];
			float8		tsum = 0.0;
			float8		erisk = 0.0;
			int64		d = 0;

			while (person >= lo && w.time[person] == dtime)
			{
				float8		r = exp(lp[person]);

				tsum += r;
				if (w.status[person])
				{
					d++;
					erisk += r;
				}
				person--;
			}
			nrisk += tsum;
			if (d == 0)
				continue;
			haz_time[nsteps] = dtime;
			if (w.ties == COX_TIES_BRESLOW)
				haz[nsteps] = (float8) d / nrisk;
			else
			{
				float8		sum1 = 0.0;
				int64		k;

				for (k = 0; k < d; k++)
					sum1 += (1.0 / (nrisk - erisk * (float8) k / (float8) d)) / (float8) d;
				haz[nsteps] = (float8) d * sum1;
			}
			nsteps++;
			stratum_steps[stratum]++;
		}
	}
	if (nsteps > COX_MODEL_MAX_STEPS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("cox model of " INT64_FORMAT " distinct event times is too large",
						nsteps)));

	/* the model, in the caller's context */
	MemoryContextSwitchTo(outcxt);
	nstrata = rows->stratified ? w.nstrata : 0;
	for (stratum = 0; stratum < nstrata; stratum++)
		labelbytes += strlen(w.labels[stratum]) + 1;
	size = COX_MODEL_SIZE(p, nsteps, nstrata, labelbytes);
	if (size > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("cox model of " INT64_FORMAT " distinct event times is too large",
						nsteps)));
	m = palloc0(size);
	SET_VARSIZE(m, size);
	m->version = COX_MODEL_VERSION;
	m->ties = rows->ties;
	m->flags = res.converged ? COX_MODEL_CONVERGED : 0;
	m->nvar = p;
	m->nsteps = (int32) nsteps;
	m->nstrata = nstrata;
	m->iterations = res.iterations;
	m->n = rows->nrows;
	m->events = events;
	m->omitted = rows->omitted;
	m->loglik_null = res.loglik_null;
	m->loglik = res.loglik;
	m->score = res.score;
	for (j = 0; j < p; j++)
	{
		uint8	   *st = COX_MODEL_STATUS(m);

		COX_MODEL_COEF(m)[j] = res.beta[j];
		COX_MODEL_MEANS(m)[j] = w.means[j];
		if (res.singular[j])
		{
			st[j] = COX_TERM_SINGULAR;
			COX_MODEL_COEF(m)[j] = 0.0;
		}
		else if (res.converged)
		{
			/* one more Newton step would move beta_j by (U' V)_j */
			float8		move = 0.0;
			int			k;

			for (k = 0; k < p; k++)
				move += w.u[k] * res.var[k * p + j];
			move = fabs(move);
			if (isnan(w.u[j]) || isinf(w.u[j]) ||
				(move > COX_EPS && move > COX_TOLER_INF * fabs(res.beta[j])))
				st[j] = COX_TERM_INFINITE;
		}
	}
	memcpy(COX_MODEL_VAR(m), res.var, sizeof(float8) * p * p);
	/*
	 * Steps ascending within each stratum, cumulated from its earliest
	 * (they were found latest first).
	 */
	from = 0;
	for (stratum = 0; stratum < w.nstrata; stratum++)
	{
		int32		ns = stratum_steps[stratum];

		cum = 0.0;
		for (i = 0; i < ns; i++)
		{
			int64		src = from + ns - 1 - i;

			cum += haz[src];
			COX_MODEL_STEP_TIME(m)[from + i] = haz_time[src];
			COX_MODEL_STEP_CUMHAZ(m)[from + i] = cum;
		}
		from += ns;
	}
	/* the strata, in the byte order of their labels */
	labelbytes = 0;
	for (stratum = 0; stratum < nstrata; stratum++)
	{
		Size		len = strlen(w.labels[stratum]) + 1;

		COX_MODEL_STRATA_STEPS(m)[stratum] = stratum_steps[stratum];
		COX_MODEL_LABEL_OFF(m)[stratum] = (int32) labelbytes;
		memcpy(COX_MODEL_LABELS(m) + labelbytes, w.labels[stratum], len);
		labelbytes += len;
	}

	MemoryContextSwitchTo(fitcxt);
	pfree(w.x);					/* the concordance needs times and lp only */
	w.x = NULL;
	cox_concordance(&w, lp, m);
	MemoryContextSwitchTo(outcxt);
	MemoryContextDelete(fitcxt);

	/*
	 * Covariates or durations so extreme that the sums overflowed leave
	 * numbers a model cannot hold: refuse them rather than return a value
	 * that would not read back.
	 */
	problem = cox_model_problem(m);
	if (problem)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("coxph cannot fit these rows: the computation went out of range"),
				 errdetail("%s", problem),
				 errhint("Scale the covariates to moderate magnitudes.")));
	cox_model_set_digest(m);

	if (!res.converged)
		ereport(WARNING,
				(errmsg("coxph did not converge in %d iterations", COX_ITER_MAX),
				 errdetail("The coefficients are those of the last iteration that increased the log partial likelihood.")));
	cox_warn_terms(m, COX_TERM_SINGULAR,
				   "coxph covariate %s is redundant: its coefficient is NULL",
				   "coxph covariates %s are redundant: their coefficients are NULL",
				   "The covariate is a linear combination of the covariates before it (R: \"X matrix deemed to be singular\"), so the fit leaves it out.");
	cox_warn_terms(m, COX_TERM_INFINITE,
				   "coxph coefficient of covariate %s may be infinite",
				   "coxph coefficients of covariates %s may be infinite",
				   "The log partial likelihood converged before the coefficient did (R: \"Loglik converged before variable\"): the covariate may separate the rows with events from the others.");
	return m;
}
