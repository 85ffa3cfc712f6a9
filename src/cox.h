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
#include "lib/stringinfo.h"
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

/* state flags */
#define COX_STATE_STRATIFIED	0x0001	/* rows carry a stratum */
#define COX_STATE_VALID_FLAGS	(COX_STATE_STRATIFIED)

/*
 * Flat form of churn.coxph_state.  After the header, all in native byte
 * order:
 *
 *	float8	time[nrows]
 *	float8	x[nrows * nvar]		row by row
 *	int32	stratum[nrows]		stratified states only: index of a label
 *	uint8	event[nrows]		0 or 1
 *	char	labels[]			stratified states only: nstrata distinct
 *								NUL-terminated stratum labels
 *
 * nvar is -1 while no covariate array has been seen (only rows skipped for
 * a NULL so far); then nrows is 0.  Durations are finite and not negative,
 * covariates finite, and neither is ever -0.
 */
typedef struct CoxStateFlat
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	uint8		version;		/* COX_STATE_VERSION */
	uint8		ties;			/* COX_TIES_* */
	uint16		flags;			/* COX_STATE_* */
	int32		nvar;			/* covariates per row, -1 = not known yet */
	int32		nstrata;		/* stratum labels, 0 when not stratified */
	int64		nrows;			/* rows kept */
	int64		omitted;		/* rows skipped for a NULL */
} CoxStateFlat;

#define COX_STATE_HDRSZ			MAXALIGN(sizeof(CoxStateFlat))
#define COX_STATE_ROW_BYTES(nvar, strat) \
	((Size) sizeof(float8) * (1 + (Size) Max(nvar, 0)) + ((strat) ? sizeof(int32) : 0) + 1)
#define COX_STATE_SIZE(nvar, strat, nrows, labelbytes) \
	(COX_STATE_HDRSZ + (Size) (nrows) * COX_STATE_ROW_BYTES(nvar, strat) + (Size) (labelbytes))
#define COX_STATE_IS_STRATIFIED(f)	(((f)->flags & COX_STATE_STRATIFIED) != 0)
#define COX_STATE_TIMES(f)		((float8 *) ((char *) (f) + COX_STATE_HDRSZ))
#define COX_STATE_X(f)			(COX_STATE_TIMES(f) + (f)->nrows)
#define COX_STATE_STRATA(f) \
	((int32 *) (COX_STATE_X(f) + (f)->nrows * Max((f)->nvar, 0)))
#define COX_STATE_EVENTS(f) \
	((uint8 *) (COX_STATE_STRATA(f) + (COX_STATE_IS_STRATIFIED(f) ? (f)->nrows : 0)))
#define COX_STATE_LABELS(f)		((char *) (COX_STATE_EVENTS(f) + (f)->nrows))

/*
 * Expanded form, the aggregate's transition state: the same columns in
 * arrays that grow by doubling (huge allocations, so a serial aggregate is
 * not bound by the 1 GB of a flat value), and for a stratified state the
 * distinct stratum labels in first-seen order with a hash table over them.
 */
typedef struct CoxStateObject
{
	ExpandedObjectHeader hdr;
	uint8		ties;
	bool		stratified;
	int32		nvar;
	int64		nrows;
	int64		omitted;
	int64		cap;			/* rows allocated */
	float8	   *time;
	float8	   *x;
	uint8	   *event;
	int32	   *stratum;		/* stratified only */
	/* stratum labels: NUL-terminated in labelbuf, at label_off[i] */
	char	   *labelbuf;
	Size		labellen;
	Size		labelcap;
	int32	   *label_off;
	uint32	   *label_hash;
	int32		nlabels;
	int32		labelscap;
	int32	   *slots;			/* open addressing: label index + 1, 0 empty */
	int32		nslots;			/* a power of 2, load <= 1/2 */
} CoxStateObject;

/*
 * A read-only view of a state, flat or expanded, as the final function and
 * the output functions use it.
 */
typedef struct CoxRows
{
	uint8		ties;
	bool		stratified;
	int32		nvar;
	int32		nstrata;
	int64		nrows;
	int64		omitted;
	const float8 *time;
	const float8 *x;
	const uint8 *event;
	const int32 *stratum;		/* stratified only */
	const char *labelbuf;		/* stratified only: the labels ... */
	const int32 *label_off;		/* ... at these offsets */
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
 *	float8	step_time[nsteps]	the distinct event times, increasing within
 *								each stratum
 *	float8	step_cumhaz[nsteps] baseline cumulative hazard at the centred
 *								covariates (covariates = means)
 *	uint8	status[nvar]		COX_TERM_*
 *	(int32 alignment)
 *	int32	strata_steps[nstrata]	stratified models only: steps of each
 *									stratum, in the order of the labels
 *	int32	label_off[nstrata]	offset of each label in labels
 *	char	labels[]			NUL-terminated, in strictly increasing byte
 *								order
 *
 * nstrata is 0 for a model without strata (one baseline).  digest is a
 * hash of everything else, computed whenever a model is built (fit, text
 * or binary input) and used by the readers to recognise a model they have
 * already unpacked; it is not part of the text or binary form.
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
	int32		nstrata;		/* 0: not stratified */
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
#define COX_MODEL_STRATA_OFFSET(nvar, nsteps) \
	INTALIGN(COX_MODEL_HDRSZ + sizeof(float8) * \
			 ((Size) (nvar) * (2 + (Size) (nvar)) + 2 * (Size) (nsteps)) + (Size) (nvar))
#define COX_MODEL_SIZE(nvar, nsteps, nstrata, labelbytes) \
	(COX_MODEL_STRATA_OFFSET(nvar, nsteps) + 2 * sizeof(int32) * (Size) (nstrata) + \
	 (Size) (labelbytes))
#define COX_MODEL_COEF(m)		((float8 *) ((char *) (m) + COX_MODEL_HDRSZ))
#define COX_MODEL_MEANS(m)		(COX_MODEL_COEF(m) + (m)->nvar)
#define COX_MODEL_VAR(m)		(COX_MODEL_MEANS(m) + (m)->nvar)
#define COX_MODEL_STEP_TIME(m)	(COX_MODEL_VAR(m) + (Size) (m)->nvar * (m)->nvar)
#define COX_MODEL_STEP_CUMHAZ(m) (COX_MODEL_STEP_TIME(m) + (m)->nsteps)
#define COX_MODEL_STATUS(m)		((uint8 *) (COX_MODEL_STEP_CUMHAZ(m) + (m)->nsteps))
#define COX_MODEL_STRATA_STEPS(m) \
	((int32 *) ((char *) (m) + COX_MODEL_STRATA_OFFSET((m)->nvar, (m)->nsteps)))
#define COX_MODEL_LABEL_OFF(m)	(COX_MODEL_STRATA_STEPS(m) + (m)->nstrata)
#define COX_MODEL_LABELS(m)		((char *) (COX_MODEL_LABEL_OFF(m) + (m)->nstrata))
#define COX_MODEL_LABEL(m, i)	(COX_MODEL_LABELS(m) + COX_MODEL_LABEL_OFF(m)[i])
/* bytes of the labels: what is left of the value */
#define COX_MODEL_LABEL_BYTES(m) \
	((Size) VARSIZE(m) - COX_MODEL_SIZE((m)->nvar, (m)->nsteps, (m)->nstrata, 0))
/* the most distinct event times a model can hold within 1 GB */
#define COX_MODEL_MAX_STEPS \
	((int32) ((MaxAllocSize - COX_MODEL_HDRSZ) / (2 * sizeof(float8)) / 2))
/* the most strata of a model or a state */
#define COX_MAX_STRATA			(1 << 24)

#define DatumGetCoxModelP(X)	((CoxModel *) PG_DETOAST_DATUM(X))
#define PG_GETARG_COX_MODEL_P(n)	DatumGetCoxModelP(PG_GETARG_DATUM(n))
#define PG_RETURN_COX_MODEL_P(x)	PG_RETURN_POINTER(x)

/* cox_state.c */
extern void cox_rows_from_datum(Datum d, CoxRows *rows);
extern const char *cox_ties_name(uint8 ties);
extern char *cox_text_excerpt(const char *input, const char *pos);
extern int	cox_float8_array(Datum d, float8 *out, int max, bool *hasnull,
							 const char *what);
extern void cox_append_label(StringInfo buf, const char *s);
extern bool cox_parse_label(char **p, StringInfo out);
extern bool cox_parse_float8(char **p, float8 *out);

/* cox_fit.c */
extern CoxModel *cox_fit(const CoxRows *rows);

/* cox_model.c */
extern void cox_model_set_digest(CoxModel *m);
extern const char *cox_model_problem(const CoxModel *m);

#endif							/* CHURN_COX_H */
