/*-------------------------------------------------------------------------
 *
 * cox.h
 *	  Cox proportional hazards: the coxph() aggregate's transition state
 *	  (churn.coxph_state) and the fitted model (churn.cox_model), in flat
 *	  (on-disk) and expanded (aggregate state) form.
 *
 * src/cox.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHURN_COX_H
#define CHURN_COX_H

#include "fmgr.h"
#include "utils/expandeddatum.h"

/*
 * Ties methods, as stored in states and models.  The codes are on disk:
 * never renumber.
 */
#define COX_TIES_BRESLOW		0
#define COX_TIES_EFRON			1

/*
 * The Newton-Raphson controls of R's coxph.control() defaults: start at
 * beta = 0, stop when |1 - loglik_old / loglik_new| <= eps, at most
 * iter.max iterations; a pivot of the information matrix below toler.chol
 * times its largest diagonal element marks a covariate as redundant
 * (toler.chol = .Machine$double.eps^0.75 = 2^-39); a coefficient whose
 * one-step change at convergence exceeds toler.inf times its size is
 * reported as possibly infinite.
 */
#define COX_EPS					1e-9
#define COX_ITER_MAX			20
#define COX_TOLER_CHOL			1.818989403545856475830078125e-12
#define COX_TOLER_INF			3.1622776601683795e-05	/* sqrt(COX_EPS) */

/* Most covariates a model may have (the fit costs n * p^2 per iteration). */
#define COX_MAX_COVARIATES		100

/* Two-sided 95% normal quantile, qnorm(0.975). */
#define COX_Z95					1.959963984540054

/* ---------- the transition state: the rows ---------- */

#define COX_STATE_VERSION		1

/*
 * Flat form of churn.coxph_state.  After the header, all in native byte
 * order:
 *
 *	float8	time[nrows]
 *	float8	x[nrows * nvar]		row by row
 *	uint8	event[nrows]		0 or 1
 *
 * nvar is -1 while no covariate array has been seen (only rows skipped for
 * a NULL array so far); then nrows is 0.  Durations are finite and not
 * negative, covariates finite, and neither is ever -0.
 */
typedef struct CoxStateFlat
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	uint8		version;		/* COX_STATE_VERSION */
	uint8		ties;			/* COX_TIES_* */
	uint16		flags;			/* zero: reserved */
	int32		nvar;			/* covariates per row, -1 = not known yet */
	int32		reserved;		/* zero */
	int64		nrows;			/* rows kept */
	int64		omitted;		/* rows skipped for a NULL */
} CoxStateFlat;

#define COX_STATE_HDRSZ			MAXALIGN(sizeof(CoxStateFlat))
#define COX_STATE_ROW_BYTES(nvar) \
	((Size) sizeof(float8) * (1 + (Size) Max(nvar, 0)) + 1)
#define COX_STATE_SIZE(nvar, nrows) \
	(COX_STATE_HDRSZ + (Size) (nrows) * COX_STATE_ROW_BYTES(nvar))
#define COX_STATE_TIMES(f)		((float8 *) ((char *) (f) + COX_STATE_HDRSZ))
#define COX_STATE_X(f)			(COX_STATE_TIMES(f) + (f)->nrows)
#define COX_STATE_EVENTS(f) \
	((uint8 *) (COX_STATE_X(f) + (f)->nrows * Max((f)->nvar, 0)))

/*
 * Expanded form, the aggregate's transition state: the same columns in
 * arrays that grow by doubling (huge allocations, so a serial aggregate is
 * not bound by the 1 GB of a flat value).
 */
typedef struct CoxStateObject
{
	ExpandedObjectHeader hdr;
	uint8		ties;
	int32		nvar;
	int64		nrows;
	int64		omitted;
	int64		cap;			/* rows allocated */
	float8	   *time;
	float8	   *x;
	uint8	   *event;
} CoxStateObject;

/*
 * A read-only view of a state, flat or expanded, as the final function and
 * the output functions use it.
 */
typedef struct CoxRows
{
	uint8		ties;
	int32		nvar;
	int64		nrows;
	int64		omitted;
	const float8 *time;
	const float8 *x;
	const uint8 *event;
} CoxRows;

/* ---------- the fitted model ---------- */

#define COX_MODEL_VERSION		1

/* model flags */
#define COX_MODEL_CONVERGED		0x01
#define COX_MODEL_VALID_FLAGS	(COX_MODEL_CONVERGED)

/* per-term status (on disk: never renumber) */
#define COX_TERM_OK				0
#define COX_TERM_SINGULAR		1	/* redundant: coefficient NULL (R: NA) */
#define COX_TERM_INFINITE		2	/* loglik converged before it: may be infinite */

/*
 * Flat form of churn.cox_model.  After the header, in native byte order:
 *
 *	float8	coef[nvar]			0 for singular terms
 *	float8	means[nvar]			the centring R uses (0 for -1/0/1 columns)
 *	float8	var[nvar * nvar]	inverse information, row by row
 *	float8	step_time[nsteps]	the distinct event times, increasing
 *	float8	step_cumhaz[nsteps] baseline cumulative hazard at the centred
 *								covariates (covariates = means)
 *	uint8	status[nvar]		COX_TERM_*
 *
 * digest is a hash of everything else, computed whenever a model is built
 * (fit, text or binary input) and used by the readers to recognise a model
 * they have already unpacked; it is not part of the text or binary form.
 */
typedef struct CoxModel
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	uint8		version;		/* COX_MODEL_VERSION */
	uint8		ties;			/* COX_TIES_* */
	uint8		flags;			/* COX_MODEL_* */
	uint8		reserved;		/* zero */
	int32		nvar;
	int32		nsteps;
	int32		iterations;
	int32		reserved2;		/* zero */
	int64		n;				/* rows used */
	int64		events;
	int64		omitted;		/* rows skipped for a NULL */
	float8		loglik_null;	/* log partial likelihood at beta = 0 */
	float8		loglik;			/* at the fitted beta */
	float8		score;			/* score (log-rank) test statistic at beta = 0 */
	int64		concordant;		/* Harrell's C counts, as R's concordance() */
	int64		discordant;
	int64		tied_x;
	int64		tied_y;
	int64		tied_xy;
	float8		concordance_var;	/* R's infinitesimal jackknife variance */
	uint64		digest;
} CoxModel;

#define COX_MODEL_HDRSZ			MAXALIGN(sizeof(CoxModel))
#define COX_MODEL_SIZE(nvar, nsteps) \
	(COX_MODEL_HDRSZ + sizeof(float8) * \
	 ((Size) (nvar) * (2 + (Size) (nvar)) + 2 * (Size) (nsteps)) + (Size) (nvar))
#define COX_MODEL_COEF(m)		((float8 *) ((char *) (m) + COX_MODEL_HDRSZ))
#define COX_MODEL_MEANS(m)		(COX_MODEL_COEF(m) + (m)->nvar)
#define COX_MODEL_VAR(m)		(COX_MODEL_MEANS(m) + (m)->nvar)
#define COX_MODEL_STEP_TIME(m)	(COX_MODEL_VAR(m) + (Size) (m)->nvar * (m)->nvar)
#define COX_MODEL_STEP_CUMHAZ(m) (COX_MODEL_STEP_TIME(m) + (m)->nsteps)
#define COX_MODEL_STATUS(m)		((uint8 *) (COX_MODEL_STEP_CUMHAZ(m) + (m)->nsteps))
/* the most distinct event times a model can hold within 1 GB */
#define COX_MODEL_MAX_STEPS \
	((int32) ((MaxAllocSize - COX_MODEL_HDRSZ) / (2 * sizeof(float8)) / 2))

#define DatumGetCoxModelP(X)	((CoxModel *) PG_DETOAST_DATUM(X))
#define PG_GETARG_COX_MODEL_P(n)	DatumGetCoxModelP(PG_GETARG_DATUM(n))
#define PG_RETURN_COX_MODEL_P(x)	PG_RETURN_POINTER(x)

/* cox_state.c */
extern void cox_rows_from_datum(Datum d, CoxRows *rows);
extern const char *cox_ties_name(uint8 ties);
extern char *cox_text_excerpt(const char *input, const char *pos);
extern int	cox_float8_array(Datum d, float8 *out, int max, bool *hasnull,
							 const char *what);

/* cox_fit.c */
extern CoxModel *cox_fit(const CoxRows *rows);

/* cox_model.c */
extern void cox_model_set_digest(CoxModel *m);

#endif							/* CHURN_COX_H */
