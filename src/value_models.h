/*-------------------------------------------------------------------------
 *
 * value_models.h
 *	  Predicted customer value models: the aggregate states of bgnbd() and
 *	  gamma_gamma() (distinct customer tuples with counts), the fitted model
 *	  types (churn.bgnbd_model, churn.gamma_gamma_model, churn.sbg_model)
 *	  and the optimizer that fits them.
 *
 * src/value_models.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHURN_VALUE_MODELS_H
#define CHURN_VALUE_MODELS_H

#include <float.h>

#include "fmgr.h"
#include "utils/expandeddatum.h"

#include "churn.h"

/*
 * Format version of the states and models (text, binary and on disk).  A
 * reader refuses versions it does not know; a later release converts old
 * versions on read.
 */
#define VALUE_FORMAT_VERSION	1

/* What a state or a model is of; stored, never renumber. */
#define VALUE_KIND_BGNBD		1
#define VALUE_KIND_GAMMA_GAMMA	2
#define VALUE_KIND_SBG			3

/*
 * One distinct customer summary and how many customers share it.  For
 * bgnbd: x = repeat purchases, t1 = recency t_x, t2 = age T.  For
 * gamma_gamma: x = repeat purchases, t1 = their average value, t2 = 0.
 */
typedef struct ValueTuple
{
	float8		t1;
	float8		t2;
	int64		count;
	int32		x;
	int32		reserved;		/* zero */
} ValueTuple;

/*
 * churn.bgnbd_state and churn.gamma_gamma_state, flat form.  Tuples are
 * sorted by strictly increasing (x, t1, t2), each has count >= 1 and
 * customers is the sum of the counts; a state has at least one tuple.
 */
typedef struct ValueState
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	uint8		version;		/* VALUE_FORMAT_VERSION */
	uint8		kind;			/* VALUE_KIND_BGNBD or _GAMMA_GAMMA */
	uint16		reserved;		/* zero */
	int32		ntuples;
	int64		customers;
	ValueTuple	tuples[FLEXIBLE_ARRAY_MEMBER];
} ValueState;

#define VALUE_STATE_HDRSZ		offsetof(ValueState, tuples)
#define VALUE_STATE_SIZE(n)		(VALUE_STATE_HDRSZ + (Size) (n) * sizeof(ValueTuple))
#define VALUE_STATE_MAX_TUPLES \
	((int32) ((MaxAllocSize - VALUE_STATE_HDRSZ) / sizeof(ValueTuple)))

#define DatumGetValueStateP(X)		((ValueState *) PG_DETOAST_DATUM(X))
#define PG_GETARG_VALUE_STATE_P(n)	DatumGetValueStateP(PG_GETARG_DATUM(n))

/*
 * Expanded form, the transition state: sorted distinct tuples plus an
 * unsorted buffer, sorted and merged into them whenever it fills up.
 */
typedef struct ExpandedValueState
{
	ExpandedObjectHeader hdr;
	uint8		kind;
	int64		customers;
	ValueTuple *tuples;
	int32		ntuples;
	ValueTuple *buf;
	int32		nbuf;
	int32		bufcap;
} ExpandedValueState;

/*
 * A fitted (or given) model, the same layout for the three model types;
 * kind says which.  params: bgnbd r, alpha, a, b; gamma_gamma p, q, gamma;
 * sbg alpha, beta; unused ones zero.  When flags has VALUE_MODEL_FITTED,
 * the model came from data and log_likelihood, customers and iterations
 * describe the fit; otherwise they are zero.  STORAGE = plain, so a stored
 * model keeps its 4-byte header and is read in place.
 */
#define VALUE_MODEL_FITTED		0x01
#define VALUE_MODEL_VALID_FLAGS	(VALUE_MODEL_FITTED)

typedef struct ValueModel
{
	int32		vl_len_;
	uint8		version;		/* VALUE_FORMAT_VERSION */
	uint8		kind;			/* VALUE_KIND_* */
	uint8		flags;			/* VALUE_MODEL_* */
	uint8		reserved;		/* zero */
	int32		iterations;
	int64		customers;
	float8		log_likelihood;
	float8		params[4];
} ValueModel;

#define DatumGetValueModelP(X)		((ValueModel *) PG_DETOAST_DATUM(X))

/*
 * The optimizer (value_optim.c) minimizes f(theta), the mean negative
 * log-likelihood per customer over log-parameters theta = ln(params), n <= 4.
 * An objective returns f and, when asked, its gradient and Hessian (n x n,
 * row-major) in theta; a non-finite f means "outside the domain".
 */
#define VALUE_MAX_PARAMS		4

typedef double (*ValueObjective) (void *arg, const double *theta,
								  double *grad, double *hess);

typedef enum ValueFitStatus
{
	VALUE_FIT_CONVERGED,
	VALUE_FIT_BOUNDARY,			/* a parameter ran off to 0 or infinity */
	VALUE_FIT_NOT_CONVERGED		/* iteration limit, or no descent left */
} ValueFitStatus;

typedef struct ValueFit
{
	double		theta[VALUE_MAX_PARAMS];
	double		f;
	double		max_gradient;
	int			iterations;
	int			boundary_param; /* which ran off, for VALUE_FIT_BOUNDARY */
	ValueFitStatus status;
} ValueFit;

/* value_optim.c */
extern void churn_value_fit(ValueObjective fn, void *arg, int n,
							double customers, const double *start,
							ValueFit *fit);

/* value_state.c */
extern ExpandedValueState *value_state_expand(const ValueState *flat,
											  MemoryContext parent, uint8 kind);
extern void value_state_add(ExpandedValueState *es, int32 x, float8 t1,
							float8 t2, int64 count);
extern ValueState *value_state_flatten(ExpandedValueState *es);
extern ValueState *value_state_from_datum(Datum d, uint8 kind);

/* The sorted distinct tuples of a state, flat or expanded, read in place. */
typedef struct ValueStateView
{
	const ValueTuple *tuples;
	int32		ntuples;
	int64		customers;
} ValueStateView;

extern void value_state_view(Datum d, uint8 kind, ValueStateView *view);
extern const char *value_kind_name(uint8 kind);
pg_noreturn extern void value_report_customer(int32 x, float8 tx, float8 T);
extern void value_check_avg_value(float8 m);

/*
 * Check one customer summary of the BG/NBD model: x >= 0, 0 <= t_x <= T,
 * all finite, and t_x = 0 when x = 0 (every comparison with a NaN fails).
 * Inline: the scoring functions run once per customer.
 */
static inline void
value_check_customer(int32 x, float8 tx, float8 T)
{
	if (unlikely(x < 0 || !(tx >= 0.0) || !(T <= DBL_MAX) || tx > T ||
				 (x == 0 && tx != 0.0)))
		value_report_customer(x, tx, T);
}

#endif							/* CHURN_VALUE_MODELS_H */
