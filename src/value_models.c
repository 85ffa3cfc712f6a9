/*-------------------------------------------------------------------------
 *
 * value_models.c
 *	  Predicted customer value: the BG/NBD, Gamma-Gamma and shifted-beta-
 *	  geometric models.  Their fitted model types (churn.bgnbd_model,
 *	  churn.gamma_gamma_model, churn.sbg_model) with validated text and
 *	  binary I/O, the final functions that fit them by maximum likelihood,
 *	  and the scoring functions.
 *
 * BG/NBD: Fader, Hardie & Lee (2005), "Counting your customers the easy
 * way: an alternative to the Pareto/NBD model", Marketing Science 24(2).
 * A customer with x repeat purchases, the last at t_x, observed for T since
 * the first has likelihood
 *
 *	 L = B(a, b + x) / B(a, b) * Gamma(r + x) alpha^r / (Gamma(r) (alpha + T)^(r + x))
 *	   + [x > 0] B(a + 1, b + x - 1) / B(a, b) * Gamma(r + x) alpha^r / (Gamma(r) (alpha + t_x)^(r + x))
 *
 * P(alive) = 1 / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x))
 * and the expected number of purchases in the next t (eq. 10), see
 * bgnbd_expected() for how it is computed.
 *
 * Gamma-Gamma: Fader & Hardie (2013), "The Gamma-Gamma model of monetary
 * value".  A customer's x repeat purchases of average value m:
 *
 *	 f(m) = Gamma(p x + q) / (Gamma(p x) Gamma(q)) gamma^q m^(p x - 1) x^(p x) / (gamma + x m)^(p x + q)
 *	 E(M | x, m) = p (gamma + x m) / (p x + q - 1)
 *
 * Shifted-beta-geometric: Fader & Hardie (2007), "How to project customer
 * retention", Journal of Interactive Marketing 21(1): a customer churns at
 * the end of period t with P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha,
 * beta), survives t periods with S(t) = B(alpha, beta + t) / B(alpha, beta),
 * and the retention rate of period t is (beta + t - 1) / (alpha + beta + t - 1).
 *
 * Each fit maximizes the summed log-likelihood with value_optim.c, with the
 * analytic gradient and Hessian below; terms that depend only on x are
 * computed once per distinct x (the state is sorted by x).
 *
 * src/value_models.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "common/shortest_dec.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/float.h"

#include "special_functions.h"
#include "state_io.h"
#include "survival_curve.h"
#include "value_models.h"

/* agg_survival.c: the transition function sbg() reuses */
extern Datum survival_trans_float8(PG_FUNCTION_ARGS);

typedef struct ModelKindInfo
{
	const char *type_name;
	const char *fit_name;
	int			nparams;
	const char *param_names[VALUE_MAX_PARAMS];
} ModelKindInfo;

static const ModelKindInfo model_kinds[] =
{
	{NULL, NULL, 0, {NULL}},
	{"bgnbd_model", "bgnbd", 4, {"r", "alpha", "a", "b"}},
	{"gamma_gamma_model", "gamma_gamma", 3, {"p", "q", "gamma", NULL}},
	{"sbg_model", "sbg", 2, {"alpha", "beta", NULL, NULL}}
};

#define MODEL_INFO(kind)	(&model_kinds[(kind)])

/*
 * ---------------------------------------------------------------------
 * The model types
 * ---------------------------------------------------------------------
 */

static ValueModel *
model_new(uint8 kind)
{
	ValueModel *m = palloc0(sizeof(ValueModel));

	SET_VARSIZE(m, sizeof(ValueModel));
	m->version = VALUE_FORMAT_VERSION;
	m->kind = kind;
	return m;
}

/*
 * A model argument of the expected kind.  Models are stored with STORAGE
 * plain, so this normally returns the argument itself without copying (the
 * scoring functions run once per customer).
 */
static const ValueModel *
model_arg(FunctionCallInfo fcinfo, int argno, uint8 kind)
{
	ValueModel *m = DatumGetValueModelP(PG_GETARG_DATUM(argno));

	if (VARSIZE(m) != sizeof(ValueModel) || m->version != VALUE_FORMAT_VERSION ||
		m->kind != kind)
		elog(ERROR, "invalid %s value", MODEL_INFO(kind)->type_name);
	return m;
}

/* Check a model that came from outside; soft errors as in value_state.c. */
static bool
model_check(const ValueModel *m, uint8 kind, int errcode_value, Node *escontext)
{
	const ModelKindInfo *info = MODEL_INFO(kind);
	int			i;

	if (m->version != VALUE_FORMAT_VERSION)
		churn_ereturn(escontext, false,
					  errcode(errcode_value),
					  errmsg("unsupported %s format version %d", info->type_name, m->version),
					  errhint("This version of churn reads version %d.", VALUE_FORMAT_VERSION));
	if (m->kind != kind || (m->flags & ~VALUE_MODEL_VALID_FLAGS) != 0 || m->reserved != 0)
		churn_ereturn(escontext, false,
					  errcode(errcode_value),
					  errmsg("invalid %s header", info->type_name));
	for (i = 0; i < VALUE_MAX_PARAMS; i++)
	{
		float8		v = m->params[i];

		if (i < info->nparams ? (isnan(v) || isinf(v) || v <= 0.0) : v != 0.0)
			churn_ereturn(escontext, false,
						  errcode(errcode_value),
						  errmsg("invalid %s parameter %s \"%s\"", info->type_name,
								 i < info->nparams ? info->param_names[i] : "(unused)",
								 float8out_internal(v)),
						  errdetail("The parameters of the model are positive finite numbers."));
	}
	if (m->flags & VALUE_MODEL_FITTED)
	{
		if (isnan(m->log_likelihood) || isinf(m->log_likelihood) ||
			m->customers < 1 || m->iterations < 0)
			churn_ereturn(escontext, false,
						  errcode(errcode_value),
						  errmsg("invalid %s fit statistics", info->type_name),
						  errdetail("A fitted model has a finite log-likelihood, at least one customer and a number of iterations that is not negative."));
	}
	else if (m->log_likelihood != 0.0 || m->customers != 0 || m->iterations != 0)
		churn_ereturn(escontext, false,
					  errcode(errcode_value),
					  errmsg("invalid %s header", info->type_name));
	return true;
}

/*
 * Text form: "v1 r=0.243 alpha=4.414 a=0.793 b=2.426" for a model given by
 * its parameters; a fitted one goes on with
 * " log_likelihood=-9582.43 customers=2357 iterations=9".  Numbers in
 * shortest exact form.
 */
static bool
model_read_field(char **pp, const char *name, char **value)
{
	char	   *p = *pp;
	size_t		len = strlen(name);

	while (*p == ' ')
		p++;
	if (strncmp(p, name, len) != 0 || p[len] != '=')
		return false;
	*value = p + len + 1;
	*pp = p + len + 1;
	return true;
}

static Datum
model_in_common(FunctionCallInfo fcinfo, uint8 kind)
{
	char	   *input = PG_GETARG_CSTRING(0);
	const ModelKindInfo *info = MODEL_INFO(kind);
	ValueModel *m = model_new(kind);
	char	   *p = input;
	char	   *end;
	char	   *v;
	long		version;
	int			i;

#define BAD_TEXT(detail) \
	churn_ereturn(fcinfo->context, (Datum) 0, \
				  errcode(ERRCODE_INVALID_TEXT_REPRESENTATION), \
				  errmsg("invalid input syntax for type %s: \"%s\"", info->type_name, input), \
				  errdetail detail)

	while (*p == ' ')
		p++;
	if (*p != 'v')
		BAD_TEXT(("The value must start with a format version such as \"v1\"."));
	errno = 0;
	version = strtol(p + 1, &end, 10);
	if (end == p + 1 || errno != 0 || *end != ' ')
		BAD_TEXT(("The value must start with a format version such as \"v1\"."));
	if (version != VALUE_FORMAT_VERSION)
		churn_ereturn(fcinfo->context, (Datum) 0,
					  errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					  errmsg("unsupported %s format version %ld", info->type_name, version),
					  errhint("This version of churn reads version %d.", VALUE_FORMAT_VERSION));
	m->version = (uint8) version;
	p = end;
	for (i = 0; i < info->nparams; i++)
	{
		if (!model_read_field(&p, info->param_names[i], &v))
			BAD_TEXT(("Expected \"%s=\" at \"%s\".", info->param_names[i], p));
		if (!churn_parse_float8(v, &end, &m->params[i]) || (*end != ' ' && *end != '\0'))
			BAD_TEXT(("Parameter %s must be a number.", info->param_names[i]));
		p = end;
	}
	while (*p == ' ')
		p++;
	if (*p != '\0')
	{
		if (!model_read_field(&p, "log_likelihood", &v))
			BAD_TEXT(("Expected \"log_likelihood=\" or the end of the value at \"%s\".", p));
		if (!churn_parse_float8(v, &end, &m->log_likelihood) || *end != ' ')
			BAD_TEXT(("The log-likelihood must be a number followed by customers=."));
		p = end;
		if (!model_read_field(&p, "customers", &v))
			BAD_TEXT(("Expected \"customers=\" at \"%s\".", p));
		errno = 0;
		m->customers = strtoll(v, &end, 10);
		if (end == v || errno != 0 || *end != ' ')
			BAD_TEXT(("The number of customers must be an integer followed by iterations=."));
		p = end;
		if (!model_read_field(&p, "iterations", &v))
			BAD_TEXT(("Expected \"iterations=\" at \"%s\".", p));
		errno = 0;
		i = (int) strtol(v, &end, 10);
		if (end == v || errno != 0)
			BAD_TEXT(("The number of iterations must be an integer."));
		m->iterations = i;
		p = end;
		while (*p == ' ')
			p++;
		if (*p != '\0')
			BAD_TEXT(("Unexpected \"%s\" after the number of iterations.", p));
		m->flags = VALUE_MODEL_FITTED;
	}
#undef BAD_TEXT
	if (!model_check(m, kind, ERRCODE_INVALID_TEXT_REPRESENTATION, fcinfo->context))
		return (Datum) 0;		/* soft error (PostgreSQL 16+) */
	PG_RETURN_POINTER(m);
}

PG_FUNCTION_INFO_V1(bgnbd_model_in);
Datum
bgnbd_model_in(PG_FUNCTION_ARGS)
{
	return model_in_common(fcinfo, VALUE_KIND_BGNBD);
}

PG_FUNCTION_INFO_V1(gamma_gamma_model_in);
Datum
gamma_gamma_model_in(PG_FUNCTION_ARGS)
{
	return model_in_common(fcinfo, VALUE_KIND_GAMMA_GAMMA);
}

PG_FUNCTION_INFO_V1(sbg_model_in);
Datum
sbg_model_in(PG_FUNCTION_ARGS)
{
	return model_in_common(fcinfo, VALUE_KIND_SBG);
}

/* Output of the three model types. */
PG_FUNCTION_INFO_V1(value_model_out);
Datum
value_model_out(PG_FUNCTION_ARGS)
{
	ValueModel *m = DatumGetValueModelP(PG_GETARG_DATUM(0));
	const ModelKindInfo *info;
	StringInfoData buf;
	char		num[DOUBLE_SHORTEST_DECIMAL_LEN];
	int			i;

	if (m->kind < VALUE_KIND_BGNBD || m->kind > VALUE_KIND_SBG)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid internal value model kind %d", m->kind)));
	info = MODEL_INFO(m->kind);
	initStringInfo(&buf);
	appendStringInfo(&buf, "v%d", m->version);
	for (i = 0; i < info->nparams; i++)
	{
		double_to_shortest_decimal_buf(m->params[i], num);
		appendStringInfo(&buf, " %s=%s", info->param_names[i], num);
	}
	if (m->flags & VALUE_MODEL_FITTED)
	{
		double_to_shortest_decimal_buf(m->log_likelihood, num);
		appendStringInfo(&buf, " log_likelihood=%s customers=" INT64_FORMAT " iterations=%d",
						 num, m->customers, m->iterations);
	}
	PG_RETURN_CSTRING(buf.data);
}

/*
 * Binary form: version byte, flags byte, the model's parameters (float8
 * each, in the order of the text form), then for a fitted model float8
 * log-likelihood, int64 customers, int32 iterations.
 */
static Datum
model_recv_common(FunctionCallInfo fcinfo, uint8 kind)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	const ModelKindInfo *info = MODEL_INFO(kind);
	ValueModel *m = model_new(kind);
	int			version;
	int			i;

	version = pq_getmsgbyte(buf);
	if (version != VALUE_FORMAT_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported %s format version %d", info->type_name, version),
				 errhint("This version of churn reads version %d.", VALUE_FORMAT_VERSION)));
	m->version = (uint8) version;
	m->flags = (uint8) pq_getmsgbyte(buf);
	for (i = 0; i < info->nparams; i++)
		m->params[i] = pq_getmsgfloat8(buf);
	if (m->flags & VALUE_MODEL_FITTED)
	{
		m->log_likelihood = pq_getmsgfloat8(buf);
		m->customers = pq_getmsgint64(buf);
		m->iterations = pq_getmsgint(buf, 4);
	}
	pq_getmsgend(buf);
	model_check(m, kind, ERRCODE_INVALID_BINARY_REPRESENTATION, NULL);
	PG_RETURN_POINTER(m);
}

PG_FUNCTION_INFO_V1(bgnbd_model_recv);
Datum
bgnbd_model_recv(PG_FUNCTION_ARGS)
{
	return model_recv_common(fcinfo, VALUE_KIND_BGNBD);
}

PG_FUNCTION_INFO_V1(gamma_gamma_model_recv);
Datum
gamma_gamma_model_recv(PG_FUNCTION_ARGS)
{
	return model_recv_common(fcinfo, VALUE_KIND_GAMMA_GAMMA);
}

PG_FUNCTION_INFO_V1(sbg_model_recv);
Datum
sbg_model_recv(PG_FUNCTION_ARGS)
{
	return model_recv_common(fcinfo, VALUE_KIND_SBG);
}

PG_FUNCTION_INFO_V1(value_model_send);
Datum
value_model_send(PG_FUNCTION_ARGS)
{
	ValueModel *m = DatumGetValueModelP(PG_GETARG_DATUM(0));
	StringInfoData buf;
	int			i;

	if (m->kind < VALUE_KIND_BGNBD || m->kind > VALUE_KIND_SBG)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid internal value model kind %d", m->kind)));
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, m->version);
	pq_sendbyte(&buf, m->flags);
	for (i = 0; i < MODEL_INFO(m->kind)->nparams; i++)
		pq_sendfloat8(&buf, m->params[i]);
	if (m->flags & VALUE_MODEL_FITTED)
	{
		pq_sendfloat8(&buf, m->log_likelihood);
		pq_sendint64(&buf, m->customers);
		pq_sendint32(&buf, m->iterations);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/*
 * Constructors from given parameters (published ones, or a model fitted
 * elsewhere): bgnbd_model(r, alpha, a, b), gamma_gamma_model(p, q, gamma),
 * sbg_model(alpha, beta).
 */
static Datum
model_make(FunctionCallInfo fcinfo, uint8 kind)
{
	const ModelKindInfo *info = MODEL_INFO(kind);
	ValueModel *m = model_new(kind);
	int			i;

	for (i = 0; i < info->nparams; i++)
	{
		float8		v = PG_GETARG_FLOAT8(i);

		if (isnan(v) || isinf(v) || v <= 0.0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid %s parameter %s \"%s\"", info->type_name,
							info->param_names[i], float8out_internal(v)),
					 errdetail("The parameters of the model are positive finite numbers.")));
		m->params[i] = v;
	}
	PG_RETURN_POINTER(m);
}

PG_FUNCTION_INFO_V1(bgnbd_model_make);
Datum
bgnbd_model_make(PG_FUNCTION_ARGS)
{
	return model_make(fcinfo, VALUE_KIND_BGNBD);
}

PG_FUNCTION_INFO_V1(gamma_gamma_model_make);
Datum
gamma_gamma_model_make(PG_FUNCTION_ARGS)
{
	return model_make(fcinfo, VALUE_KIND_GAMMA_GAMMA);
}

PG_FUNCTION_INFO_V1(sbg_model_make);
Datum
sbg_model_make(PG_FUNCTION_ARGS)
{
	return model_make(fcinfo, VALUE_KIND_SBG);
}

/*
 * bgnbd_params, gamma_gamma_params, sbg_params: one row, the parameters,
 * log_likelihood and customers (NULL for a model that was not fitted).
 */
PG_FUNCTION_INFO_V1(value_model_params);
Datum
value_model_params(PG_FUNCTION_ARGS)
{
	ValueModel *m = DatumGetValueModelP(PG_GETARG_DATUM(0));
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum		values[VALUE_MAX_PARAMS + 2];
	bool		nulls[VALUE_MAX_PARAMS + 2] = {false};
	int			n,
				i;

	if (m->kind < VALUE_KIND_BGNBD || m->kind > VALUE_KIND_SBG)
		elog(ERROR, "invalid value model kind %d", m->kind);
	n = MODEL_INFO(m->kind)->nparams;
	InitMaterializedSRF(fcinfo, 0);
	if (rsinfo->setDesc->natts != n + 2)
		elog(ERROR, "%s parameters function must return %d columns",
			 MODEL_INFO(m->kind)->type_name, n + 2);
	for (i = 0; i < n; i++)
		values[i] = Float8GetDatum(m->params[i]);
	values[n] = Float8GetDatum(m->log_likelihood);
	values[n + 1] = Int64GetDatum(m->customers);
	if (!(m->flags & VALUE_MODEL_FITTED))
		nulls[n] = nulls[n + 1] = true;
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	return (Datum) 0;
}

/*
 * ---------------------------------------------------------------------
 * Fitting
 * ---------------------------------------------------------------------
 */

/* Customers sharing x, a run of the sorted state. */
typedef struct XRun
{
	int32		x;
	int32		start;			/* first tuple */
	int32		end;			/* one past the last */
	double		weight;			/* customers in the run */
} XRun;

typedef struct FitData
{
	const ValueTuple *tuples;
	XRun	   *runs;
	int32		nruns;
	double		customers;
	double	   *log_t1;			/* gamma_gamma: ln m per tuple */
	/* sbg: the life table */
	const SurvivalPoint *points;
	int32		npoints;
} FitData;

static void
fit_data_runs(FitData *d, const ValueStateView *s)
{
	int32		i;

	d->tuples = s->tuples;
	d->customers = (double) s->customers;
	d->runs = palloc(sizeof(XRun) * s->ntuples);
	d->nruns = 0;
	for (i = 0; i < s->ntuples; i++)
	{
		XRun	   *run;

		if (d->nruns == 0 || d->runs[d->nruns - 1].x != s->tuples[i].x)
		{
			run = &d->runs[d->nruns++];
			run->x = s->tuples[i].x;
			run->start = i;
			run->weight = 0.0;
		}
		run = &d->runs[d->nruns - 1];
		run->end = i + 1;
		run->weight += (double) s->tuples[i].count;
	}
}

/*
 * From sums over customers in natural parameters p (log-likelihood ll,
 * gradient g, Hessian H, upper triangle filled) to the optimizer's
 * objective in theta = ln p: f = -ll / N, grad_i = -p_i g_i / N,
 * hess_ij = -(p_i p_j H_ij + [i = j] p_i g_i) / N.
 */
static double
fit_objective_out(int n, const double *p, double ll, const double *g,
				  const double *H, double N, double *grad, double *hess)
{
	int			i,
				j;

	if (grad)
		for (i = 0; i < n; i++)
			grad[i] = -p[i] * g[i] / N;
	if (hess)
		for (i = 0; i < n; i++)
			for (j = i; j < n; j++)
			{
				double		h = p[i] * p[j] * H[i * n + j];

				if (i == j)
					h += p[i] * g[i];
				hess[i * n + j] = hess[j * n + i] = -h / N;
			}
	return isfinite(ll) ? -ll / N : get_float8_infinity();
}

/* BG/NBD: mean negative log-likelihood over the distinct (x, t_x, T). */
static double
bgnbd_objective(void *arg, const double *theta, double *grad, double *hess)
{
	FitData    *d = (FitData *) arg;
	double		p[4];
	double		r,
				al,
				a,
				b,
				lal;
	double		ll = 0.0;
	double		g[4] = {0.0};
	double		H[16] = {0.0};
	int32		k,
				i;

	for (i = 0; i < 4; i++)
		p[i] = exp(theta[i]);
	r = p[0];
	al = p[1];
	a = p[2];
	b = p[3];
	lal = log(al);

	for (k = 0; k < d->nruns; k++)
	{
		const XRun *run = &d->runs[k];
		double		x = run->x;
		double		W = run->weight;
		double		rx = r + x;
		double		v0 = 0.0,
					bx1 = b + x - 1.0;

		/* the terms of ln(A1 A2) that depend on x only */
		ll += W * (lgamma(rx) - lgamma(r) + r * lal + lgamma(a + b) + lgamma(b + x)
				   - lgamma(b) - lgamma(a + b + x));
		if (run->x > 0)
			v0 = log(a) - log(bx1);
		if (grad || hess)
		{
			double		psab = churn_digamma(a + b),
						psabx = churn_digamma(a + b + x);

			g[0] += W * (churn_digamma(rx) - churn_digamma(r) + lal);
			g[1] += W * r / al;
			g[2] += W * (psab - psabx);
			g[3] += W * (psab + churn_digamma(b + x) - churn_digamma(b) - psabx);
		}
		if (hess)
		{
			double		t1ab = churn_trigamma(a + b),
						t1abx = churn_trigamma(a + b + x);

			H[0] += W * (churn_trigamma(rx) - churn_trigamma(r));
			H[1] += W / al;
			H[5] -= W * r / (al * al);
			H[10] += W * (t1ab - t1abx);
			H[11] += W * (t1ab - t1abx);
			H[15] += W * (t1ab + churn_trigamma(b + x) - churn_trigamma(b) - t1abx);
		}

		for (i = run->start; i < run->end; i++)
		{
			const ValueTuple *t = &d->tuples[i];
			double		c = (double) t->count;
			double		aT = al + t->t2;
			double		L3 = log(aT);
			double		u = -rx * L3;
			double		atx,
						L4,
						v,
						e,
						w;
			double		du[4],
						dv[4];

			if (run->x == 0)
			{
				/* ln L = ln(A1 A2) + u: no second term */
				ll += c * u;
				if (grad || hess)
				{
					g[0] -= c * L3;
					g[1] -= c * rx / aT;
				}
				if (hess)
				{
					H[1] -= c / aT;
					H[5] += c * rx / (aT * aT);
				}
				continue;
			}
			atx = al + t->t1;
			L4 = log(atx);
			v = v0 - rx * L4;
			/* ln(e^u + e^v), and w, the share of the e^u term */
			e = exp(-fabs(u - v));
			ll += c * (Max(u, v) + log1p(e));
			w = u >= v ? 1.0 / (1.0 + e) : e / (1.0 + e);
			if (!(grad || hess))
				continue;
			du[0] = -L3;
			du[1] = -rx / aT;
			du[2] = 0.0;
			du[3] = 0.0;
			dv[0] = -L4;
			dv[1] = -rx / atx;
			dv[2] = 1.0 / a;
			dv[3] = -1.0 / bx1;
			{
				int			m,
							j;

				for (m = 0; m < 4; m++)
					g[m] += c * (w * du[m] + (1.0 - w) * dv[m]);
				if (hess)
				{
					double		ww = c * w * (1.0 - w);

					/* w Hu + (1 - w) Hv */
					H[1] -= c * (w / aT + (1.0 - w) / atx);
					H[5] += c * rx * (w / (aT * aT) + (1.0 - w) / (atx * atx));
					H[10] -= c * (1.0 - w) / (a * a);
					H[15] += c * (1.0 - w) / (bx1 * bx1);
					/* + w (1 - w) (du - dv)(du - dv)' */
					for (m = 0; m < 4; m++)
						for (j = m; j < 4; j++)
							H[m * 4 + j] += ww * (du[m] - dv[m]) * (du[j] - dv[j]);
				}
			}
		}
	}
	return fit_objective_out(4, p, ll, g, H, d->customers, grad, hess);
}

/* Gamma-Gamma: mean negative log-likelihood over the distinct (x, m). */
static double
gamma_gamma_objective(void *arg, const double *theta, double *grad, double *hess)
{
	FitData    *d = (FitData *) arg;
	double		p[3];
	double		pp,
				q,
				ga,
				lga;
	double		ll = 0.0;
	double		g[3] = {0.0};
	double		H[9] = {0.0};
	int32		k,
				i;

	for (i = 0; i < 3; i++)
		p[i] = exp(theta[i]);
	pp = p[0];
	q = p[1];
	ga = p[2];
	lga = log(ga);

	for (k = 0; k < d->nruns; k++)
	{
		const XRun *run = &d->runs[k];
		double		x = run->x;
		double		W = run->weight;
		double		px = pp * x;
		double		lx = log(x);

		ll += W * (lgamma(px + q) - lgamma(px) - lgamma(q) + q * lga + px * lx);
		if (grad || hess)
		{
			double		pspxq = churn_digamma(px + q);

			g[0] += W * x * (pspxq - churn_digamma(px) + lx);
			g[1] += W * (pspxq - churn_digamma(q) + lga);
			g[2] += W * q / ga;
		}
		if (hess)
		{
			double		t1pxq = churn_trigamma(px + q);

			H[0] += W * x * x * (t1pxq - churn_trigamma(px));
			H[1] += W * x * t1pxq;
			H[4] += W * (t1pxq - churn_trigamma(q));
			H[5] += W / ga;
			H[8] -= W * q / (ga * ga);
		}
		for (i = run->start; i < run->end; i++)
		{
			const ValueTuple *t = &d->tuples[i];
			double		c = (double) t->count;
			double		lm = d->log_t1[i];
			double		gxm = ga + x * t->t1;
			double		lgxm = log(gxm);

			ll += c * ((px - 1.0) * lm - (px + q) * lgxm);
			if (grad || hess)
			{
				g[0] += c * x * (lm - lgxm);
				g[1] -= c * lgxm;
				g[2] -= c * (px + q) / gxm;
			}
			if (hess)
			{
				H[2] -= c * x / gxm;
				H[5] -= c / gxm;
				H[8] += c * (px + q) / (gxm * gxm);
			}
		}
	}
	return fit_objective_out(3, p, ll, g, H, d->customers, grad, hess);
}

/* sBG: mean negative log-likelihood over the life table. */
static double
sbg_objective(void *arg, const double *theta, double *grad, double *hess)
{
	FitData    *d = (FitData *) arg;
	double		p[2];
	double		al,
				be;
	double		lab,
				lb,
				psab = 0.0,
				psb = 0.0,
				t1ab = 0.0,
				t1b = 0.0;
	double		ll = 0.0;
	double		g[2] = {0.0};
	double		H[4] = {0.0};
	int32		i;

	p[0] = al = exp(theta[0]);
	p[1] = be = exp(theta[1]);
	lab = lgamma(al + be);
	lb = lgamma(be);
	if (grad || hess)
	{
		psab = churn_digamma(al + be);
		psb = churn_digamma(be);
	}
	if (hess)
	{
		t1ab = churn_trigamma(al + be);
		t1b = churn_trigamma(be);
	}
	for (i = 0; i < d->npoints; i++)
	{
		const SurvivalPoint *pt = &d->points[i];
		double		t = pt->time;
		double		e = (double) pt->events;
		double		c = (double) pt->censored;
		double		labt = lgamma(al + be + t);

		/* churned in period t: ln B(al + 1, be + t - 1) - ln B(al, be) */
		if (e > 0)
		{
			ll += e * (log(al) + lgamma(be + (t - 1.0)) - labt - lb + lab);
			if (grad || hess)
			{
				double		psabt = churn_digamma(al + be + t);

				g[0] += e * (1.0 / al - psabt + psab);
				g[1] += e * (churn_digamma(be + (t - 1.0)) - psb - psabt + psab);
			}
			if (hess)
			{
				double		t1abt = churn_trigamma(al + be + t);

				H[0] += e * (-1.0 / (al * al) - t1abt + t1ab);
				H[1] += e * (-t1abt + t1ab);
				H[3] += e * (churn_trigamma(be + (t - 1.0)) - t1b - t1abt + t1ab);
			}
		}
		/* still a customer after t periods: ln B(al, be + t) - ln B(al, be) */
		if (c > 0)
		{
			ll += c * (lgamma(be + t) - lb - labt + lab);
			if (grad || hess)
			{
				double		psabt = churn_digamma(al + be + t);

				g[0] += c * (-psabt + psab);
				g[1] += c * (churn_digamma(be + t) - psb - psabt + psab);
			}
			if (hess)
			{
				double		t1abt = churn_trigamma(al + be + t);

				H[0] += c * (-t1abt + t1ab);
				H[1] += c * (-t1abt + t1ab);
				H[3] += c * (churn_trigamma(be + t) - t1b - t1abt + t1ab);
			}
		}
	}
	return fit_objective_out(2, p, ll, g, H, d->customers, grad, hess);
}

/*
 * Run the fit and make the model, or report why there is none and return
 * NULL: a parameter running off to 0 or infinity (the likelihood has no
 * maximum inside the parameter space) or no convergence are warnings, so
 * that one degenerate segment of a GROUP BY does not fail the others.
 */
static ValueModel *
fit_model(uint8 kind, ValueObjective fn, FitData *d, const double *start_params)
{
	const ModelKindInfo *info = MODEL_INFO(kind);
	double		start[VALUE_MAX_PARAMS];
	ValueFit	fit;
	ValueModel *m;
	int			i;

	for (i = 0; i < info->nparams; i++)
		start[i] = log(start_params[i]);
	churn_value_fit(fn, d, info->nparams, d->customers, start, &fit);
	elog(DEBUG1, "%s fit: status %d after %d iterations, mean log-likelihood %.17g, largest gradient %g, ln params %g %g %g %g",
		 info->fit_name, (int) fit.status, fit.iterations, -fit.f, fit.max_gradient,
		 fit.theta[0], fit.theta[1], fit.theta[2], fit.theta[3]);
	if (fit.status == VALUE_FIT_BOUNDARY)
	{
		ereport(WARNING,
				(errmsg("%s model has no maximum likelihood estimate for these customers",
						info->fit_name),
				 errdetail("The likelihood keeps increasing, or stays flat, as parameter %s goes to %s: the data do not determine the parameters.",
						   info->param_names[fit.boundary_param],
						   fit.theta[fit.boundary_param] > 0 ? "infinity" : "zero"),
				 errhint("The data may hold too little variation for the model (for example nobody dropping out, or everybody alike); the result is NULL.")));
		return NULL;
	}
	if (fit.status != VALUE_FIT_CONVERGED)
	{
		ereport(WARNING,
				(errmsg("%s model fit did not converge after %d iterations",
						info->fit_name, fit.iterations),
				 errdetail("The largest gradient component of the mean log-likelihood is %g.",
						   fit.max_gradient),
				 errhint("The result is NULL.")));
		return NULL;
	}
	m = model_new(kind);
	m->flags = VALUE_MODEL_FITTED;
	for (i = 0; i < info->nparams; i++)
		m->params[i] = exp(fit.theta[i]);
	m->log_likelihood = -fit.f * d->customers;
	m->customers = (int64) d->customers;
	m->iterations = fit.iterations;
	if (!model_check(m, kind, ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE, NULL))
		return NULL;			/* not reached: model_check throws */
	return m;
}

/*
 * bgnbd_final(bgnbd_state) -> bgnbd_model.  NULL when no customer made a
 * repeat purchase: the purchase rate has no maximum likelihood then.
 */
PG_FUNCTION_INFO_V1(bgnbd_final);
Datum
bgnbd_final(PG_FUNCTION_ARGS)
{
	ValueStateView view;
	const ValueStateView *s = &view;
	FitData		d = {0};
	double		start[4];
	double		sum_x = 0.0,
				sum_T = 0.0;
	ValueModel *m;
	int32		i;

	value_state_view(PG_GETARG_DATUM(0), VALUE_KIND_BGNBD, &view);
	for (i = 0; i < s->ntuples; i++)
	{
		sum_x += (double) s->tuples[i].x * (double) s->tuples[i].count;
		sum_T += s->tuples[i].t2 * (double) s->tuples[i].count;
	}
	if (sum_x == 0.0)
		PG_RETURN_NULL();
	fit_data_runs(&d, s);
	/* start: r = 1 and the mean purchase rate r / alpha = sum x / sum T */
	start[0] = 1.0;
	start[1] = sum_T > 0.0 ? Max(sum_T / sum_x, 1e-6) : 1.0;
	start[2] = 1.0;
	start[3] = 1.0;
	m = fit_model(VALUE_KIND_BGNBD, bgnbd_objective, &d, start);
	if (m == NULL)
		PG_RETURN_NULL();
	PG_RETURN_POINTER(m);
}

/*
 * gamma_gamma_final(gamma_gamma_state) -> gamma_gamma_model.  NULL when
 * all average values are equal (no variation to model).
 */
PG_FUNCTION_INFO_V1(gamma_gamma_final);
Datum
gamma_gamma_final(PG_FUNCTION_ARGS)
{
	ValueStateView view;
	const ValueStateView *s = &view;
	FitData		d = {0};
	double		start[3];
	double		sum = 0.0;
	bool		varies = false;
	ValueModel *m;
	int32		i;

	value_state_view(PG_GETARG_DATUM(0), VALUE_KIND_GAMMA_GAMMA, &view);
	d.log_t1 = palloc(sizeof(double) * s->ntuples);
	for (i = 0; i < s->ntuples; i++)
	{
		d.log_t1[i] = log(s->tuples[i].t1);
		sum += s->tuples[i].t1 * (double) s->tuples[i].count;
		if (s->tuples[i].t1 != s->tuples[0].t1)
			varies = true;
	}
	if (!varies)
		PG_RETURN_NULL();
	fit_data_runs(&d, s);
	/* start: p = 1, q = 2, so that the mean value p gamma / (q - 1) = mean m */
	start[0] = 1.0;
	start[1] = 2.0;
	start[2] = sum / (double) s->customers;
	m = fit_model(VALUE_KIND_GAMMA_GAMMA, gamma_gamma_objective, &d, start);
	if (m == NULL)
		PG_RETURN_NULL();
	PG_RETURN_POINTER(m);
}

/*
 * sbg_final(survival_curve) -> sbg_model: the final function of sbg(), and
 * a fit of any life table of whole-number durations.  NULL when nobody
 * churned, or when everybody churned in the first period.
 */
PG_FUNCTION_INFO_V1(sbg_final);
Datum
sbg_final(PG_FUNCTION_ARGS)
{
	SurvivalCurve *c = PG_GETARG_SURVIVAL_CURVE_P(0);
	FitData		d = {0};
	double		start[2] = {1.0, 1.0};
	int64		events = 0,
				beyond_first = 0;
	ValueModel *m;
	int32		i;

	for (i = 0; i < c->npoints; i++)
	{
		const SurvivalPoint *p = &c->points[i];

		if (p->time != floor(p->time) || p->time > (double) PG_INT32_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("sbg needs whole-number durations, not \"%s\"",
							float8out_internal(p->time)),
					 errdetail("The shifted-beta-geometric model counts periods.")));
		if (p->events > 0 && p->time < 1.0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("sbg cannot use churn at duration \"%s\"",
							float8out_internal(p->time)),
					 errdetail("A customer who churned was a customer for at least 1 period.")));
		events += p->events;
		/* customers known to have survived the first period */
		if (p->time > 1.0 || (p->time == 1.0 && p->censored > 0))
			beyond_first += p->time > 1.0 ? p->events + p->censored : p->censored;
	}
	if (events == 0 || beyond_first == 0)
		PG_RETURN_NULL();
	d.points = c->points;
	d.npoints = c->npoints;
	d.customers = (double) c->total;
	m = fit_model(VALUE_KIND_SBG, sbg_objective, &d, start);
	if (m == NULL)
		PG_RETURN_NULL();
	PG_RETURN_POINTER(m);
}

/*
 * sbg_trans(survival_curve, duration int, churned boolean): the life table
 * of survival(), with durations that count periods.
 */
PG_FUNCTION_INFO_V1(sbg_trans);
Datum
sbg_trans(PG_FUNCTION_ARGS)
{
	int32		duration;

	if (!AggCheckCallContext(fcinfo, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("churn.sbg_trans can only be called by an aggregate")));
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		/* a row with a NULL is skipped */
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	duration = PG_GETARG_INT32(1);
	if (duration < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid duration \"%d\"", duration),
				 errdetail("The duration counts the periods a customer was a customer and cannot be negative.")));
	if (duration == 0 && PG_GETARG_BOOL(2))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("duration \"0\" of a customer who churned is out of range"),
				 errdetail("A customer who churned during the first period has duration 1.")));
	/* the same call frame, duration as float8, through survival()'s own */
	fcinfo->args[1].value = Float8GetDatum((float8) duration);
	return survival_trans_float8(fcinfo);
}

/*
 * ---------------------------------------------------------------------
 * Scoring
 * ---------------------------------------------------------------------
 */

/* The BG/NBD parameters of a model, named. */
typedef struct Bgnbd
{
	double		r,
				alpha,
				a,
				b;
} Bgnbd;

static inline Bgnbd
bgnbd_of(const ValueModel *m)
{
	Bgnbd		p = {m->params[0], m->params[1], m->params[2], m->params[3]};

	return p;
}

/*
 * a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x), x > 0: the odds
 * that the customer has dropped out.  exp and log rather than pow, which
 * costs a third more and is what scoring a million customers spends most
 * of its time on; the relative error stays below 1e-13 up to odds of
 * e^700, beyond which P(alive) is 0 anyway.
 */
static inline double
bgnbd_dead_odds(const Bgnbd *p, int32 x, double tx, double T)
{
	return p->a / (p->b + (x - 1)) *
		exp((p->r + x) * log((p->alpha + T) / (p->alpha + tx)));
}

/*
 * E[Y(t) | x, t_x, T], FHL 2005 eq. (10):
 *
 *	 (a + b + x - 1) / (a - 1) [1 - ((alpha + T) / (alpha + T + t))^(r + x)
 *		 2F1(r + x, b + x; a + b + x - 1; z)] / (1 + [x > 0] odds),
 *	 z = t / (alpha + T + t).
 *
 * Written as it stands this loses precision or breaks down: 2F1 grows like
 * (1 - z)^(a - 1 - r - x) and is cancelled by the power in front, and the
 * bracket and a - 1 both vanish as a -> 1.  Euler's transformation
 * 2F1(A', B'; C; z) = (1 - z)^(C - A' - B') 2F1(C - A', C - B'; C; z)
 * turns the product into (1 - z)^B F, F = 2F1(A, B; C; z) with A = a + b -
 * 1 - r, B = a - 1, C = a + b + x - 1, and then, with S = C (F - 1) / B
 * summed term by term (churn_hyp2f1_tail) and L = ln(1 - z),
 *
 *	 C (1 - (1 - z)^B F) / B = -C (e^(B L) - 1) / B - e^(B L) S,
 *
 * regular at B = 0 (a = 1) and at C = 0, and with parameters that do not
 * grow with x.  This is the form used, unless its terms cancel: when r is
 * much larger than a + b (A very negative) the terms of S alternate in
 * sign, and then the form as written, whose series has positive terms,
 * is the better one.  The condition of each (how many digits cancellation
 * costs) decides; when both would lose more than half of the digits
 * (absurd parameters) the function says so rather than return noise.
 */
static double
bgnbd_expected(const Bgnbd *p, double t, int32 x, double tx, double T)
{
	double		z,
				L,
				A,
				B,
				C,
				em,
				S,
				e1,
				e2,
				num,
				cond,
				condS;

	if (t == 0.0)
		return 0.0;
	z = t / (p->alpha + T + t);
	/* ln(1 - z): log1p(-z) for small z, the ratio itself close to 1 */
	L = z < 0.5 ? log1p(-z) : log((p->alpha + T) / (p->alpha + T + t));
	A = p->a + p->b - 1.0 - p->r;
	B = p->a - 1.0;
	C = p->a + p->b + x - 1.0;
	em = B == 0.0 ? L : expm1(B * L) / B;
	S = churn_hyp2f1_tail(A, B, C, z, &condS);
	e1 = -C * em;
	e2 = -exp(B * L) * S;
	num = e1 + e2;
	cond = (fabs(e1) + fabs(e2) * condS) / fabs(num);
	if (!(cond < 1e4) && B != 0.0)
	{
		/* the form as written: C (1 - G) / B, G = (1 - z)^(r + x) 2F1 */
		double		condF,
					F = churn_hyp2f1_cond(p->r + x, p->b + x, C, z, &condF),
					G = exp((p->r + x) * L + log(F)),
					cond2 = (1.0 + fabs(G) * condF) / fabs(1.0 - G);

		if (F > 0.0 && isfinite(G) && cond2 < cond)
		{
			num = C * (1.0 - G) / B;
			cond = cond2;
		}
	}
	if (!(cond < HYP_MAX_COND) || !isfinite(num))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("could not compute expected purchases over \"%s\" accurately",
						float8out_internal(t)),
				 errdetail("With r = %s, alpha = %s, a = %s, b = %s, frequency %d, recency %s and age %s the terms of the hypergeometric series cancel so much that less than half of the digits would be right, or t / (alpha + age + t) rounds to 1.",
						   float8out_internal(p->r), float8out_internal(p->alpha),
						   float8out_internal(p->a), float8out_internal(p->b), x,
						   float8out_internal(tx), float8out_internal(T))));
	if (x > 0)
		num /= 1.0 + bgnbd_dead_odds(p, x, tx, T);
	return num;
}

static void
check_time_arg(const char *name, double t)
{
	if (isnan(t) || isinf(t) || t < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid %s \"%s\"", name, float8out_internal(t)),
				 errdetail("The %s is a finite number of time units that cannot be negative.", name)));
}

/* p_alive(bgnbd_model, frequency int, recency float8, age float8) */
PG_FUNCTION_INFO_V1(bgnbd_p_alive);
Datum
bgnbd_p_alive(PG_FUNCTION_ARGS)
{
	const ValueModel *m = model_arg(fcinfo, 0, VALUE_KIND_BGNBD);
	int32		x = PG_GETARG_INT32(1);
	double		tx = PG_GETARG_FLOAT8(2);
	double		T = PG_GETARG_FLOAT8(3);
	Bgnbd		p;

	value_check_customer(x, tx, T);
	if (x == 0)
		PG_RETURN_FLOAT8(1.0);
	p = bgnbd_of(m);
	PG_RETURN_FLOAT8(1.0 / (1.0 + bgnbd_dead_odds(&p, x, tx, T)));
}

/* expected_purchases(bgnbd_model, t, frequency, recency, age) */
PG_FUNCTION_INFO_V1(bgnbd_expected_purchases);
Datum
bgnbd_expected_purchases(PG_FUNCTION_ARGS)
{
	const ValueModel *m = model_arg(fcinfo, 0, VALUE_KIND_BGNBD);
	double		t = PG_GETARG_FLOAT8(1);
	int32		x = PG_GETARG_INT32(2);
	double		tx = PG_GETARG_FLOAT8(3);
	double		T = PG_GETARG_FLOAT8(4);
	Bgnbd		p = bgnbd_of(m);

	check_time_arg("horizon", t);
	value_check_customer(x, tx, T);
	PG_RETURN_FLOAT8(bgnbd_expected(&p, t, x, tx, T));
}

/* E(M | x, m) of a Gamma-Gamma model */
static double
gamma_gamma_expected(const ValueModel *m, int32 x, double avg)
{
	double		p = m->params[0],
				q = m->params[1],
				g = m->params[2];

	if (x < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid frequency \"%d\"", x),
				 errdetail("The frequency is the number of repeat purchases and cannot be negative.")));
	if (x == 0)
	{
		/* no repeat purchase: the population mean p gamma / (q - 1) */
		if (!(q > 1.0))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("gamma_gamma model with q = \"%s\" has no expected value for a customer without repeat purchases",
							float8out_internal(q)),
					 errdetail("The mean value p gamma / (q - 1) of the population is finite only for q > 1.")));
		return p * g / (q - 1.0);
	}
	value_check_avg_value(avg);
	if (!(p * x + q > 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("gamma_gamma model with p = \"%s\" and q = \"%s\" has no expected value for frequency %d",
						float8out_internal(p), float8out_internal(q), x),
				 errdetail("The conditional expected value p (gamma + x m) / (p x + q - 1) is finite only for p x + q > 1.")));
	return p * (g + x * avg) / (p * x + q - 1.0);
}

/* expected_value(gamma_gamma_model, frequency int, avg_value float8) */
PG_FUNCTION_INFO_V1(gamma_gamma_expected_value);
Datum
gamma_gamma_expected_value(PG_FUNCTION_ARGS)
{
	const ValueModel *m = model_arg(fcinfo, 0, VALUE_KIND_GAMMA_GAMMA);

	PG_RETURN_FLOAT8(gamma_gamma_expected(m, PG_GETARG_INT32(1), PG_GETARG_FLOAT8(2)));
}

/*
 * predicted_clv(bgnbd_model, gamma_gamma_model, frequency, recency, age,
 * avg_value, periods int, discount_rate float8, period_length float8):
 * lifetimes' customer_lifetime_value,
 *
 *	 sum over k = 1 .. periods of E(M) (E[Y(k P)] - E[Y((k - 1) P)]) / (1 + d)^k,
 *
 * P the length of a period in the models' time unit.
 */
#define CLV_MAX_PERIODS		10000

PG_FUNCTION_INFO_V1(predicted_clv);
Datum
predicted_clv(PG_FUNCTION_ARGS)
{
	const ValueModel *bg = model_arg(fcinfo, 0, VALUE_KIND_BGNBD);
	const ValueModel *gg = model_arg(fcinfo, 1, VALUE_KIND_GAMMA_GAMMA);
	int32		x = PG_GETARG_INT32(2);
	double		tx = PG_GETARG_FLOAT8(3);
	double		T = PG_GETARG_FLOAT8(4);
	double		avg = PG_GETARG_FLOAT8(5);
	int32		periods = PG_GETARG_INT32(6);
	double		rate = PG_GETARG_FLOAT8(7);
	double		length = PG_GETARG_FLOAT8(8);
	Bgnbd		p = bgnbd_of(bg);
	double		value,
				prev = 0.0,
				discount = 1.0,
				total = 0.0;
	int32		k;

	value_check_customer(x, tx, T);
	if (periods < 0 || periods > CLV_MAX_PERIODS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid number of periods \"%d\"", periods),
				 errdetail("The number of periods is from 0 to %d.", CLV_MAX_PERIODS),
				 errhint("Use longer periods (period_length) for a longer horizon.")));
	if (isnan(rate) || isinf(rate) || rate <= -1.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid discount_rate \"%s\"", float8out_internal(rate)),
				 errdetail("The discount rate per period is a finite number greater than -1."),
				 errhint("Write a 1%% monthly rate as 0.01.")));
	if (isnan(length) || isinf(length) || length <= 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid period_length \"%s\"", float8out_internal(length)),
				 errdetail("The length of a period, in the time unit of the models, is a positive finite number."),
				 errhint("For models fitted in weeks and monthly periods, pass 4.345.")));
	value = gamma_gamma_expected(gg, x, avg);
	for (k = 1; k <= periods; k++)
	{
		double		e = bgnbd_expected(&p, k * length, x, tx, T);

		CHECK_FOR_INTERRUPTS();
		discount *= 1.0 + rate;
		total += value * (e - prev) / discount;
		prev = e;
	}
	PG_RETURN_FLOAT8(total);
}

/* sbg_survival(sbg_model, t int): S(t) = B(alpha, beta + t) / B(alpha, beta) */
PG_FUNCTION_INFO_V1(sbg_survival);
Datum
sbg_survival(PG_FUNCTION_ARGS)
{
	const ValueModel *m = model_arg(fcinfo, 0, VALUE_KIND_SBG);
	int32		t = PG_GETARG_INT32(1);
	double		al = m->params[0],
				be = m->params[1];
	double		s = 1.0;
	int32		i;

	if (t < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid period \"%d\"", t),
				 errdetail("Survival is defined after t >= 0 periods.")));
	if (t > 100000)
		PG_RETURN_FLOAT8(exp(churn_lbeta(al, be + t) - churn_lbeta(al, be)));
	/* the product of the retention rates: exact to rounding */
	for (i = 1; i <= t; i++)
		s *= (be + (i - 1)) / ((al + be) + (i - 1));
	PG_RETURN_FLOAT8(s);
}

/*
 * sbg_retention_rate(sbg_model, t int) = (beta + t - 1) / (alpha + beta + t - 1),
 * t - 1 added last so that a tiny beta is not lost in it.
 */
PG_FUNCTION_INFO_V1(sbg_retention_rate);
Datum
sbg_retention_rate(PG_FUNCTION_ARGS)
{
	const ValueModel *m = model_arg(fcinfo, 0, VALUE_KIND_SBG);
	int32		t = PG_GETARG_INT32(1);
	double		al = m->params[0],
				be = m->params[1];

	if (t < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid period \"%d\"", t),
				 errdetail("The retention rate is that of period t >= 1: the share of the customers of period t - 1 who renew.")));
	PG_RETURN_FLOAT8((be + (t - 1)) / ((al + be) + (t - 1)));
}
