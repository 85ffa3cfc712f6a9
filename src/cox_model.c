/*-------------------------------------------------------------------------
 *
 * cox_model.c
 *	  The churn.cox_model type: text and binary I/O with validation, and
 *	  the functions that read a fitted Cox model (cox_coefficients,
 *	  cox_loglik, cox_summary, concordance, relative_risk, predict_survival,
 *	  churn_probability, cox_baseline).
 *
 * Every figure is that of R's survival package: summary(coxph(...)) for
 * the coefficients and tests, concordance(fit) for Harrell's C,
 * predict(fit, newdata, type = "risk", reference = "zero") for the
 * relative risk and summary(survfit(fit, newdata), times = t) for the
 * survival curve of a customer.
 *
 * Scoring calls a reader once per customer with the same model.  A model
 * stored in a table comes toasted (it holds a step per distinct event
 * time, easily some kilobytes), and detoasting it for every row would cost
 * more than the scoring itself; so each call site keeps the last few
 * models it unpacked (fn_extra), recognised by their toast pointer, their
 * bytes (small inline values) or their size and digest (a hash of the
 * value stored in it, for large values in memory).
 *
 * Text form (one line, key=value fields in this order, numbers in
 * shortest exact decimal form, lists in braces):
 *
 *	v1 ties=efron n=10000 omitted=0 events=2037 iterations=4
 *	converged=true loglik_null=-17060.1 loglik=-16567.9 score=1043.9
 *	concordance={c,d,tied_x,tied_y,tied_xy} concordance_var=4.1e-05
 *	coef={...} status={ok,singular,infinite,...} means={...}
 *	var={row by row} [strata={"label":steps,...}] hazard={time:cumhaz,...}
 *
 * Binary form: version, ties and flags bytes; int32 covariates, steps,
 * iterations and strata; int64 n, events, omitted; float8 loglik_null,
 * loglik, score; int64 concordant, discordant, tied_x, tied_y, tied_xy;
 * float8 concordance_var; per covariate float8 coef, byte status, float8
 * mean; the variance row by row; per stratum int32 steps, int32 length
 * and the label's bytes; per step float8 time and cumulative hazard.
 *
 * src/cox_model.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "common/int.h"
#include "common/shortest_dec.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/memutils.h"
#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif

#include "cox.h"
#include "linalg.h"
#include "state_io.h"
#include "survival_stats.h"			/* chi-square and normal tails */

static const char *const cox_status_names[] = {"ok", "singular", "infinite"};

#define COX_NSTATUS				lengthof(cox_status_names)

void
cox_model_set_digest(CoxModel *m)
{
	m->digest = 0;
	m->digest = hash_bytes_extended((const unsigned char *) m, (int) VARSIZE(m),
									UINT64CONST(0x636f78));
}

/*
 * Check every field of a model that came from outside (text or binary
 * input).  Returns NULL when it is valid, else a sentence saying what is
 * wrong (the caller reports it with its own error code).
 */
const char *
cox_model_problem(const CoxModel *m)
{
	int			p = m->nvar;
	const float8 *coef = COX_MODEL_COEF(m);
	const float8 *means = COX_MODEL_MEANS(m);
	const float8 *var = COX_MODEL_VAR(m);
	const float8 *st = COX_MODEL_STEP_TIME(m);
	const float8 *sh = COX_MODEL_STEP_CUMHAZ(m);
	const uint8 *status = COX_MODEL_STATUS(m);
	int64		npair;
	int			i,
				j;

	if (m->ties != COX_TIES_EFRON && m->ties != COX_TIES_BRESLOW)
		return "The ties method must be efron or breslow.";
	if ((m->flags & ~COX_MODEL_VALID_FLAGS) != 0 || m->reserved != 0)
		return "Unknown flags are set.";
	if (m->n < 1 || m->events < 1 || m->events > m->n || m->omitted < 0)
		return "The counts must satisfy 1 <= events <= n and omitted >= 0.";
	if (m->nsteps < 1 || m->nsteps > m->events)
		return "The baseline hazard must have between 1 and events steps.";
	if (m->iterations < 0 || m->iterations > COX_ITER_MAX)
		return "The number of iterations must be between 0 and 20.";
	if (isnan(m->loglik_null) || isinf(m->loglik_null) ||
		isnan(m->loglik) || isinf(m->loglik) ||
		isnan(m->score) || isinf(m->score))
		return "The log likelihoods and the score test must be finite.";
	if (m->concordant < 0 || m->discordant < 0 || m->tied_x < 0 ||
		m->tied_y < 0 || m->tied_xy < 0 ||
		pg_add_s64_overflow(m->concordant, m->discordant, &npair) ||
		pg_add_s64_overflow(npair, m->tied_x, &npair))
		return "The concordance counts must not be negative.";
	if (npair == 0 ? !isnan(m->concordance_var) :
		(isnan(m->concordance_var) || isinf(m->concordance_var) ||
		 m->concordance_var < 0))
		return "The concordance variance must be a number not below zero, NaN without comparable pairs.";
	for (i = 0; i < p; i++)
	{
		if (status[i] >= COX_NSTATUS)
			return "A term status must be ok, singular or infinite.";
		if (isnan(coef[i]) || isinf(coef[i]) || isnan(means[i]) || isinf(means[i]))
			return "Coefficients and means must be finite.";
		for (j = 0; j < p; j++)
		{
			float8		v = var[i * p + j];

			if (isnan(v) || isinf(v) || v != var[j * p + i])
				return "The variance matrix must be finite and symmetric.";
			if (status[i] == COX_TERM_SINGULAR && v != 0.0)
				return "A singular term must have a zero row and column of the variance.";
		}
		if (status[i] == COX_TERM_SINGULAR ? coef[i] != 0.0 : !(var[i * p + i] > 0))
			return "A singular term must have coefficient 0, any other a positive variance.";
	}
	/* the strata: steps adding up, labels distinct in byte order */
	if (m->nstrata > 0)
	{
		const int32 *ssteps = COX_MODEL_STRATA_STEPS(m);
		const int32 *off = COX_MODEL_LABEL_OFF(m);
		const char *labels = COX_MODEL_LABELS(m);
		Size		len = COX_MODEL_LABEL_BYTES(m);
		int64		sum = 0;

		for (i = 0; i < m->nstrata; i++)
		{
			if (ssteps[i] < 0)
				return "The steps of a stratum must not be negative.";
			sum += ssteps[i];
			if (off[i] < 0 || (Size) off[i] >= len ||
				memchr(labels + off[i], '\0', len - off[i]) == NULL ||
				(i > 0 ? off[i] != off[i - 1] + (int32) strlen(labels + off[i - 1]) + 1 : off[i] != 0))
				return "The stratum labels are not where their offsets say.";
			if (i > 0 && strcmp(labels + off[i - 1], labels + off[i]) >= 0)
				return "The stratum labels must be distinct and in increasing byte order.";
		}
		if (sum != m->nsteps ||
			(Size) off[m->nstrata - 1] + strlen(labels + off[m->nstrata - 1]) + 1 != len)
			return "The steps of the strata must add up to the steps of the hazard.";
	}
	else if (COX_MODEL_LABEL_BYTES(m) != 0)
		return "A model without strata has no labels.";
	{
		int32		stratum = 0;
		int32		left = m->nstrata > 0 ? COX_MODEL_STRATA_STEPS(m)[0] : m->nsteps;
		bool		first = true;

		for (i = 0; i < m->nsteps; i++)
		{
			while (left == 0)
			{
				stratum++;
				left = COX_MODEL_STRATA_STEPS(m)[stratum];
				first = true;
			}
			if (isnan(st[i]) || isinf(st[i]) || st[i] < 0 ||
				(!first && !(st[i] > st[i - 1])))
				return "The hazard times must be finite, not negative and strictly increasing.";
			if (isnan(sh[i]) || isinf(sh[i]) || !(sh[i] > 0) ||
				(!first && sh[i] < sh[i - 1]))
				return "The cumulative hazard must be finite, positive and never decreasing.";
			first = false;
			left--;
		}
	}
	return NULL;
}

/* ---------- text I/O ---------- */

/* what the text parser collects before building a model */
typedef struct CoxParse
{
	char	   *p;
	char	   *field;			/* start of the field being parsed */
	CoxModel	hdr;
	float8	   *coef;
	int			ncoef;
	uint8	   *status;
	int			nstatus;
	float8	   *means;
	int			nmeans;
	float8	   *var;
	int			nvarv;
	float8	   *htime;
	float8	   *hcum;
	int			nsteps;
	int32		nstrata;
	int32	   *ssteps;
	StringInfoData labels;		/* NUL-terminated, one after the other */
	int32	   *label_off;
} CoxParse;

static bool
cox_expect(CoxParse *ps, const char *key)
{
	size_t		len = strlen(key);

	while (*ps->p == ' ')
		ps->p++;
	ps->field = ps->p;
	if (strncmp(ps->p, key, len) != 0)
		return false;
	ps->p += len;
	return true;
}

static bool
cox_parse_int64(CoxParse *ps, int64 *out)
{
	char	   *end;

	if (*ps->p == ' ' || *ps->p == '+' || *ps->p == '\0')
		return false;
	errno = 0;
	*out = strtoll(ps->p, &end, 10);
	if (end == ps->p || errno != 0)
		return false;
	ps->p = end;
	return true;
}

/* a float8 as float8in reads it (subnormals included), NaN allowed */
static bool
cox_parse_number(CoxParse *ps, float8 *out)
{
	return cox_parse_float8(&ps->p, out);
}

/* a list "{a,b,...}" of exactly n whole numbers */
static bool
cox_parse_int64_list(CoxParse *ps, int64 *out, int n)
{
	int			i;

	if (*ps->p != '{')
		return false;
	ps->p++;
	for (i = 0; i < n; i++)
	{
		if (i > 0)
		{
			if (*ps->p != ',')
				return false;
			ps->p++;
		}
		if (!cox_parse_int64(ps, &out[i]))
			return false;
	}
	if (*ps->p != '}')
		return false;
	ps->p++;
	return true;
}

/*
 * A list "{a,b,...}" of numbers (pairs "a:b" when second is not NULL) into
 * palloc'd arrays; *count gets the number of elements.
 */
static bool
cox_parse_list(CoxParse *ps, float8 **first, float8 **second, int *count,
			   int limit)
{
	int			cap = 8;
	int			n = 0;

	if (*ps->p != '{')
		return false;
	ps->p++;
	*first = palloc(sizeof(float8) * cap);
	if (second)
		*second = palloc(sizeof(float8) * cap);
	if (*ps->p == '}')
	{
		ps->p++;
		*count = 0;
		return true;
	}
	for (;;)
	{
		if (n == cap)
		{
			if (cap >= limit)
				return false;
			cap = Min(cap * 2, limit);
			*first = repalloc_huge(*first, sizeof(float8) * cap);
			if (second)
				*second = repalloc_huge(*second, sizeof(float8) * cap);
		}
		if (!cox_parse_number(ps, &(*first)[n]))
			return false;
		if (second)
		{
			if (*ps->p != ':')
				return false;
			ps->p++;
			if (!cox_parse_number(ps, &(*second)[n]))
				return false;
		}
		n++;
		if (*ps->p == '}')
		{
			ps->p++;
			break;
		}
		if (*ps->p != ',')
			return false;
		ps->p++;
	}
	*count = n;
	return true;
}

static bool
cox_parse_status(CoxParse *ps)
{
	int			cap = 8;

	ps->nstatus = 0;
	if (*ps->p != '{')
		return false;
	ps->p++;
	ps->status = palloc(cap);
	if (*ps->p == '}')
	{
		ps->p++;
		return true;
	}
	for (;;)
	{
		uint8		s;

		for (s = 0; s < COX_NSTATUS; s++)
		{
			size_t		len = strlen(cox_status_names[s]);

			if (strncmp(ps->p, cox_status_names[s], len) == 0 &&
				(ps->p[len] == ',' || ps->p[len] == '}'))
			{
				ps->p += len;
				break;
			}
		}
		if (s == COX_NSTATUS || ps->nstatus >= COX_MAX_COVARIATES)
			return false;
		if (ps->nstatus == cap)
		{
			cap *= 2;
			ps->status = repalloc(ps->status, cap);
		}
		ps->status[ps->nstatus++] = s;
		if (*ps->p == '}')
		{
			ps->p++;
			return true;
		}
		ps->p++;				/* the comma */
	}
}

/* "{"label":steps,...}" into ps->nstrata, ps->ssteps, ps->labels */
static bool
cox_parse_strata(CoxParse *ps)
{
	int32		cap = 8;
	StringInfoData label;

	if (*ps->p != '{')
		return false;
	ps->p++;
	initStringInfo(&label);
	initStringInfo(&ps->labels);
	ps->ssteps = palloc(sizeof(int32) * cap);
	ps->label_off = palloc(sizeof(int32) * cap);
	for (;;)
	{
		int64		steps;

		if (ps->nstrata > 0)
		{
			if (*ps->p == '}')
				break;
			if (*ps->p != ',')
				return false;
			ps->p++;
		}
		if (!cox_parse_label(&ps->p, &label) || *ps->p != ':')
			return false;
		ps->p++;
		if (!cox_parse_int64(ps, &steps) || steps < 0 || steps > PG_INT32_MAX ||
			ps->nstrata >= COX_MAX_STRATA || memchr(label.data, '\0', label.len))
			return false;
		if (ps->nstrata == cap)
		{
			cap *= 2;
			ps->ssteps = repalloc(ps->ssteps, sizeof(int32) * cap);
			ps->label_off = repalloc(ps->label_off, sizeof(int32) * cap);
		}
		ps->ssteps[ps->nstrata] = (int32) steps;
		ps->label_off[ps->nstrata] = ps->labels.len;
		appendBinaryStringInfo(&ps->labels, label.data, label.len + 1);
		ps->nstrata++;
	}
	ps->p++;
	return true;
}

PG_FUNCTION_INFO_V1(cox_model_in);
Datum
cox_model_in(PG_FUNCTION_ARGS)
{
	char	   *input = PG_GETARG_CSTRING(0);
	CoxParse	ps;
	CoxModel   *h = &ps.hdr;
	CoxModel   *m;
	char	   *end;
	long		version;
	int64		v;
	int64		conc[5];
	const char *detail = NULL;
	const char *problem;
	int			p;

	memset(&ps, 0, sizeof(ps));
	ps.p = input;
	ps.field = input;

	/* a syntax error: say which part is wrong */
#define SYNTAX(what) \
	do { detail = (what); goto bad; } while (0)

	while (*ps.p == ' ')
		ps.p++;
	if (*ps.p != 'v')
		SYNTAX("The value must start with a format version such as \"v1\".");
	errno = 0;
	version = strtol(ps.p + 1, &end, 10);
	if (end == ps.p + 1 || errno != 0 || ps.p[1] == ' ' || ps.p[1] == '+' || ps.p[1] == '-')
		SYNTAX("The value must start with a format version such as \"v1\".");
	if (version != COX_MODEL_VERSION)
		churn_ereturn(fcinfo->context, (Datum) 0,
					  errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					  errmsg("unsupported cox_model format version %ld", version),
					  errhint("This version of churn reads version %d.",
							  COX_MODEL_VERSION));
	ps.p = end;

	if (cox_expect(&ps, "ties=efron"))
		h->ties = COX_TIES_EFRON;
	else if (cox_expect(&ps, "ties=breslow"))
		h->ties = COX_TIES_BRESLOW;
	else
		SYNTAX("Expected \"ties=efron\" or \"ties=breslow\" after the version.");
	if (!cox_expect(&ps, "n=") || !cox_parse_int64(&ps, &h->n))
		SYNTAX("Expected \"n=\" and the number of rows used.");
	if (!cox_expect(&ps, "omitted=") || !cox_parse_int64(&ps, &h->omitted))
		SYNTAX("Expected \"omitted=\" and the number of rows omitted.");
	if (!cox_expect(&ps, "events=") || !cox_parse_int64(&ps, &h->events))
		SYNTAX("Expected \"events=\" and the number of events.");
	if (!cox_expect(&ps, "iterations=") || !cox_parse_int64(&ps, &v) ||
		v < 0 || v > COX_ITER_MAX)
		SYNTAX("Expected \"iterations=\" and a number of iterations from 0 to 20.");
	h->iterations = (int32) v;
	if (cox_expect(&ps, "converged=true"))
		h->flags |= COX_MODEL_CONVERGED;
	else if (!cox_expect(&ps, "converged=false"))
		SYNTAX("Expected \"converged=true\" or \"converged=false\".");
	if (!cox_expect(&ps, "loglik_null=") || !cox_parse_number(&ps, &h->loglik_null))
		SYNTAX("Expected \"loglik_null=\" and a number.");
	if (!cox_expect(&ps, "loglik=") || !cox_parse_number(&ps, &h->loglik))
		SYNTAX("Expected \"loglik=\" and a number.");
	if (!cox_expect(&ps, "score=") || !cox_parse_number(&ps, &h->score))
		SYNTAX("Expected \"score=\" and a number.");
	if (!cox_expect(&ps, "concordance=") || !cox_parse_int64_list(&ps, conc, 5))
		SYNTAX("Expected \"concordance=\" and {concordant,discordant,tied_x,tied_y,tied_xy}.");
	h->concordant = conc[0];
	h->discordant = conc[1];
	h->tied_x = conc[2];
	h->tied_y = conc[3];
	h->tied_xy = conc[4];
	if (!cox_expect(&ps, "concordance_var=") || !cox_parse_number(&ps, &h->concordance_var))
		SYNTAX("Expected \"concordance_var=\" and a number.");
	if (!cox_expect(&ps, "coef=") ||
		!cox_parse_list(&ps, &ps.coef, NULL, &ps.ncoef, COX_MAX_COVARIATES))
		SYNTAX("Expected \"coef=\" and a list of at most 100 coefficients.");
	p = ps.ncoef;
	if (!cox_expect(&ps, "status=") || !cox_parse_status(&ps) || ps.nstatus != p)
		SYNTAX("Expected \"status=\" and one of ok, singular, infinite per coefficient.");
	if (!cox_expect(&ps, "means=") ||
		!cox_parse_list(&ps, &ps.means, NULL, &ps.nmeans, COX_MAX_COVARIATES) ||
		ps.nmeans != p)
		SYNTAX("Expected \"means=\" and one mean per coefficient.");
	if (!cox_expect(&ps, "var=") ||
		!cox_parse_list(&ps, &ps.var, NULL, &ps.nvarv,
						COX_MAX_COVARIATES * COX_MAX_COVARIATES) ||
		ps.nvarv != p * p)
		SYNTAX("Expected \"var=\" and the variance matrix, row by row.");
	if (cox_expect(&ps, "strata=") && !cox_parse_strata(&ps))
		SYNTAX("Expected \"strata=\" and a list of \"label\":steps.");
	if (!cox_expect(&ps, "hazard=") ||
		!cox_parse_list(&ps, &ps.htime, &ps.hcum, &ps.nsteps, COX_MODEL_MAX_STEPS))
		SYNTAX("Expected \"hazard=\" and a list of time:cumulative_hazard steps.");
	while (*ps.p == ' ')
		ps.p++;
	ps.field = ps.p;
	if (*ps.p != '\0')
		SYNTAX("Unexpected text after the hazard steps.");
#undef SYNTAX

	m = palloc0(COX_MODEL_SIZE(p, ps.nsteps, ps.nstrata, ps.labels.len));
	memcpy(m, h, sizeof(CoxModel));
	SET_VARSIZE(m, COX_MODEL_SIZE(p, ps.nsteps, ps.nstrata, ps.labels.len));
	m->version = COX_MODEL_VERSION;
	m->nvar = p;
	m->nsteps = ps.nsteps;
	m->nstrata = ps.nstrata;
	if (ps.nstrata > 0)
	{
		memcpy(COX_MODEL_STRATA_STEPS(m), ps.ssteps, sizeof(int32) * ps.nstrata);
		memcpy(COX_MODEL_LABEL_OFF(m), ps.label_off, sizeof(int32) * ps.nstrata);
		memcpy(COX_MODEL_LABELS(m), ps.labels.data, ps.labels.len);
	}
	if (p > 0)
	{
		memcpy(COX_MODEL_COEF(m), ps.coef, sizeof(float8) * p);
		memcpy(COX_MODEL_MEANS(m), ps.means, sizeof(float8) * p);
		memcpy(COX_MODEL_VAR(m), ps.var, sizeof(float8) * p * p);
		memcpy(COX_MODEL_STATUS(m), ps.status, p);
	}
	if (ps.nsteps > 0)
	{
		memcpy(COX_MODEL_STEP_TIME(m), ps.htime, sizeof(float8) * ps.nsteps);
		memcpy(COX_MODEL_STEP_CUMHAZ(m), ps.hcum, sizeof(float8) * ps.nsteps);
	}
	problem = cox_model_problem(m);
	if (problem)
		churn_ereturn(fcinfo->context, (Datum) 0,
					  errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					  errmsg("invalid cox_model value"),
					  errdetail("%s", problem));
	cox_model_set_digest(m);
	PG_RETURN_COX_MODEL_P(m);

bad:
	churn_ereturn(fcinfo->context, (Datum) 0,
				  errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				  errmsg("invalid input syntax for type %s: \"%s\"", "cox_model",
						 cox_text_excerpt(input, ps.field)),
				  errdetail("%s", detail));
}

static void
cox_append_number(StringInfo buf, float8 v)
{
	char		num[DOUBLE_SHORTEST_DECIMAL_LEN];

	double_to_shortest_decimal_buf(v, num);
	appendStringInfoString(buf, num);
}

static void
cox_append_list(StringInfo buf, const char *key, const float8 *v, Size n)
{
	Size		i;

	appendStringInfo(buf, " %s={", key);
	for (i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoChar(buf, ',');
		cox_append_number(buf, v[i]);
	}
	appendStringInfoChar(buf, '}');
}

PG_FUNCTION_INFO_V1(cox_model_out);
Datum
cox_model_out(PG_FUNCTION_ARGS)
{
	CoxModel   *m = PG_GETARG_COX_MODEL_P(0);
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	appendStringInfo(&buf, "v%d ties=%s n=" INT64_FORMAT " omitted=" INT64_FORMAT
					 " events=" INT64_FORMAT " iterations=%d converged=%s",
					 m->version, cox_ties_name(m->ties), m->n, m->omitted,
					 m->events, m->iterations,
					 (m->flags & COX_MODEL_CONVERGED) ? "true" : "false");
	appendStringInfoString(&buf, " loglik_null=");
	cox_append_number(&buf, m->loglik_null);
	appendStringInfoString(&buf, " loglik=");
	cox_append_number(&buf, m->loglik);
	appendStringInfoString(&buf, " score=");
	cox_append_number(&buf, m->score);
	appendStringInfo(&buf, " concordance={" INT64_FORMAT "," INT64_FORMAT ","
					 INT64_FORMAT "," INT64_FORMAT "," INT64_FORMAT "}",
					 m->concordant, m->discordant, m->tied_x, m->tied_y,
					 m->tied_xy);
	appendStringInfoString(&buf, " concordance_var=");
	cox_append_number(&buf, m->concordance_var);
	cox_append_list(&buf, "coef", COX_MODEL_COEF(m), m->nvar);
	appendStringInfoString(&buf, " status={");
	for (i = 0; i < m->nvar; i++)
		appendStringInfo(&buf, "%s%s", i > 0 ? "," : "",
						 cox_status_names[COX_MODEL_STATUS(m)[i]]);
	appendStringInfoChar(&buf, '}');
	cox_append_list(&buf, "means", COX_MODEL_MEANS(m), m->nvar);
	cox_append_list(&buf, "var", COX_MODEL_VAR(m), (Size) m->nvar * m->nvar);
	if (m->nstrata > 0)
	{
		appendStringInfoString(&buf, " strata={");
		for (i = 0; i < m->nstrata; i++)
		{
			if (i > 0)
				appendStringInfoChar(&buf, ',');
			cox_append_label(&buf, COX_MODEL_LABEL(m, i));
			appendStringInfo(&buf, ":%d", COX_MODEL_STRATA_STEPS(m)[i]);
		}
		appendStringInfoChar(&buf, '}');
	}
	appendStringInfoString(&buf, " hazard={");
	for (i = 0; i < m->nsteps; i++)
	{
		if (i > 0)
			appendStringInfoChar(&buf, ',');
		cox_append_number(&buf, COX_MODEL_STEP_TIME(m)[i]);
		appendStringInfoChar(&buf, ':');
		cox_append_number(&buf, COX_MODEL_STEP_CUMHAZ(m)[i]);
	}
	appendStringInfoChar(&buf, '}');
	PG_RETURN_CSTRING(buf.data);
}

/* ---------- binary I/O ---------- */

PG_FUNCTION_INFO_V1(cox_model_recv);
Datum
cox_model_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	CoxModel	h;
	CoxModel   *m;
	int			version;
	int			p;
	int			i;
	float8	   *coef;
	uint8	   *status;
	float8	   *means;
	float8	   *var;
	int32	   *ssteps;
	int32	   *label_off;
	StringInfoData labels;
	const char *problem;

	memset(&h, 0, sizeof(h));
	version = pq_getmsgbyte(buf);
	if (version != COX_MODEL_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported cox_model format version %d", version),
				 errhint("This version of churn reads version %d.",
						 COX_MODEL_VERSION)));
	h.ties = (uint8) pq_getmsgbyte(buf);
	h.flags = (uint8) pq_getmsgbyte(buf);
	h.nvar = pq_getmsgint(buf, 4);
	h.nsteps = pq_getmsgint(buf, 4);
	h.iterations = pq_getmsgint(buf, 4);
	h.nstrata = pq_getmsgint(buf, 4);
	if (h.nvar < 0 || h.nvar > COX_MAX_COVARIATES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid number of covariates %d in external cox_model value", h.nvar)));
	if (h.nstrata < 0 || h.nstrata > COX_MAX_STRATA || h.nstrata > (buf->len - buf->cursor) / 8)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid number of strata %d in external cox_model value", h.nstrata)));
	if (h.nsteps < 0 || h.nsteps > (buf->len - buf->cursor) / 16)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid number of hazard steps %d in external cox_model value", h.nsteps)));
	h.n = pq_getmsgint64(buf);
	h.events = pq_getmsgint64(buf);
	h.omitted = pq_getmsgint64(buf);
	h.loglik_null = pq_getmsgfloat8(buf);
	h.loglik = pq_getmsgfloat8(buf);
	h.score = pq_getmsgfloat8(buf);
	h.concordant = pq_getmsgint64(buf);
	h.discordant = pq_getmsgint64(buf);
	h.tied_x = pq_getmsgint64(buf);
	h.tied_y = pq_getmsgint64(buf);
	h.tied_xy = pq_getmsgint64(buf);
	h.concordance_var = pq_getmsgfloat8(buf);

	p = h.nvar;
	coef = palloc(sizeof(float8) * Max(p, 1));
	status = palloc(Max(p, 1));
	means = palloc(sizeof(float8) * Max(p, 1));
	for (i = 0; i < p; i++)
	{
		coef[i] = pq_getmsgfloat8(buf);
		status[i] = (uint8) pq_getmsgbyte(buf);
		means[i] = pq_getmsgfloat8(buf);
	}
	var = palloc(sizeof(float8) * Max(p * p, 1));
	for (i = 0; i < p * p; i++)
		var[i] = pq_getmsgfloat8(buf);
	ssteps = palloc(sizeof(int32) * Max(h.nstrata, 1));
	label_off = palloc(sizeof(int32) * Max(h.nstrata, 1));
	initStringInfo(&labels);
	for (i = 0; i < h.nstrata; i++)
	{
		int32		len;
		const char *label;

		ssteps[i] = pq_getmsgint(buf, 4);
		len = pq_getmsgint(buf, 4);
		if (len < 0 || len > buf->len - buf->cursor)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid stratum label length %d in external cox_model value", len)));
		label = pq_getmsgbytes(buf, len);
		if (memchr(label, '\0', len) != NULL ||
			!pg_verify_mbstr(GetDatabaseEncoding(), label, len, true))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid stratum label in external cox_model value")));
		label_off[i] = labels.len;
		appendBinaryStringInfo(&labels, label, len);
		appendStringInfoChar(&labels, '\0');
	}
	m = palloc0(COX_MODEL_SIZE(p, h.nsteps, h.nstrata, labels.len));
	memcpy(m, &h, sizeof(CoxModel));
	SET_VARSIZE(m, COX_MODEL_SIZE(p, h.nsteps, h.nstrata, labels.len));
	m->version = COX_MODEL_VERSION;
	if (p > 0)
	{
		memcpy(COX_MODEL_COEF(m), coef, sizeof(float8) * p);
		memcpy(COX_MODEL_STATUS(m), status, p);
		memcpy(COX_MODEL_MEANS(m), means, sizeof(float8) * p);
		memcpy(COX_MODEL_VAR(m), var, sizeof(float8) * p * p);
	}
	if (h.nstrata > 0)
	{
		memcpy(COX_MODEL_STRATA_STEPS(m), ssteps, sizeof(int32) * h.nstrata);
		memcpy(COX_MODEL_LABEL_OFF(m), label_off, sizeof(int32) * h.nstrata);
		memcpy(COX_MODEL_LABELS(m), labels.data, labels.len);
	}
	for (i = 0; i < h.nsteps; i++)
	{
		COX_MODEL_STEP_TIME(m)[i] = pq_getmsgfloat8(buf);
		COX_MODEL_STEP_CUMHAZ(m)[i] = pq_getmsgfloat8(buf);
	}
	pq_getmsgend(buf);
	problem = cox_model_problem(m);
	if (problem)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid external cox_model value"),
				 errdetail("%s", problem)));
	cox_model_set_digest(m);
	PG_RETURN_COX_MODEL_P(m);
}

PG_FUNCTION_INFO_V1(cox_model_send);
Datum
cox_model_send(PG_FUNCTION_ARGS)
{
	CoxModel   *m = PG_GETARG_COX_MODEL_P(0);
	StringInfoData buf;
	int			i;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, m->version);
	pq_sendbyte(&buf, m->ties);
	pq_sendbyte(&buf, m->flags);
	pq_sendint32(&buf, m->nvar);
	pq_sendint32(&buf, m->nsteps);
	pq_sendint32(&buf, m->iterations);
	pq_sendint32(&buf, m->nstrata);
	pq_sendint64(&buf, m->n);
	pq_sendint64(&buf, m->events);
	pq_sendint64(&buf, m->omitted);
	pq_sendfloat8(&buf, m->loglik_null);
	pq_sendfloat8(&buf, m->loglik);
	pq_sendfloat8(&buf, m->score);
	pq_sendint64(&buf, m->concordant);
	pq_sendint64(&buf, m->discordant);
	pq_sendint64(&buf, m->tied_x);
	pq_sendint64(&buf, m->tied_y);
	pq_sendint64(&buf, m->tied_xy);
	pq_sendfloat8(&buf, m->concordance_var);
	for (i = 0; i < m->nvar; i++)
	{
		pq_sendfloat8(&buf, COX_MODEL_COEF(m)[i]);
		pq_sendbyte(&buf, COX_MODEL_STATUS(m)[i]);
		pq_sendfloat8(&buf, COX_MODEL_MEANS(m)[i]);
	}
	for (i = 0; i < m->nvar * m->nvar; i++)
		pq_sendfloat8(&buf, COX_MODEL_VAR(m)[i]);
	for (i = 0; i < m->nstrata; i++)
	{
		const char *label = COX_MODEL_LABEL(m, i);
		int			len = strlen(label);

		pq_sendint32(&buf, COX_MODEL_STRATA_STEPS(m)[i]);
		pq_sendint32(&buf, len);
		pq_sendbytes(&buf, label, len);
	}
	for (i = 0; i < m->nsteps; i++)
	{
		pq_sendfloat8(&buf, COX_MODEL_STEP_TIME(m)[i]);
		pq_sendfloat8(&buf, COX_MODEL_STEP_CUMHAZ(m)[i]);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ---------- the per-call-site cache of unpacked models ---------- */

/*
 * Up to COX_CACHE_SLOTS models, and at most COX_CACHE_BYTES of them, per
 * call site: scoring customers joined with the model of their segment
 * meets the segments' models in any order, so a handful of slots would be
 * unpacked again and again.
 */
#define COX_CACHE_SLOTS			64
#define COX_CACHE_BYTES			((Size) 64 * 1024 * 1024)
/* inline values up to this size are recognised by their bytes */
#define COX_CACHE_MAX_KEY		(64 * 1024)

typedef struct CoxCacheEntry
{
	char	   *key;			/* raw bytes of the datum, or NULL */
	Size		keylen;
	Size		size;			/* else: size and digest of a plain value */
	uint64		digest;
	CoxModel   *model;			/* NULL: empty slot */
	int32	   *strata_from;	/* first step of each stratum, when needed */
} CoxCacheEntry;

typedef struct CoxCache
{
	int			last;			/* slot of the last hit, looked at first */
	int			next;			/* slot to replace next */
	Size		bytes;			/* of the models kept */
	CoxCacheEntry e[COX_CACHE_SLOTS];
} CoxCache;

static void
cox_cache_evict(CoxCache *cache, CoxCacheEntry *e)
{
	if (e->model)
	{
		cache->bytes -= VARSIZE(e->model);
		pfree(e->model);
	}
	if (e->key)
		pfree(e->key);
	if (e->strata_from)
		pfree(e->strata_from);
	e->model = NULL;
	e->key = NULL;
	e->strata_from = NULL;
}

/*
 * Equal keys?  Most are toast pointers of 18 bytes, compared on every call:
 * 8 bytes at a time, inline, rather than by a call to memcmp.
 */
static inline bool
cox_key_equal(const char *a, const char *b, Size n)
{
	uint64		x,
				y;

	if (n > 64)
		return memcmp(a, b, n) == 0;
	for (; n >= 8; a += 8, b += 8, n -= 8)
	{
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		if (x != y)
			return false;
	}
	for (; n > 0; a++, b++, n--)
		if (*a != *b)
			return false;
	return true;
}

static void
cox_model_check_header(const CoxModel *m)
{
	/* a stored model was validated when it was read in or built */
	if (m->version != COX_MODEL_VERSION || m->nvar < 0 || m->nsteps < 0 ||
		m->nstrata < 0 || VARSIZE(m) < COX_MODEL_SIZE(m->nvar, m->nsteps, m->nstrata, 0))
		elog(ERROR, "corrupt cox_model value");
}

/*
 * The model of argument argno, unpacked.  Values that are toasted (on disk
 * or compressed) or short are recognised by their raw bytes (for a value on
 * disk, the toast pointer: the same stored value); plain values in memory,
 * which may be large, by their size and their digest.  Models too large to
 * keep are unpacked on every call.
 */
static const CoxModel *
cox_model_arg(FunctionCallInfo fcinfo, int argno)
{
	Datum		d = PG_GETARG_DATUM(argno);
	struct varlena *raw = (struct varlena *) DatumGetPointer(d);
	CoxCache   *cache = (CoxCache *) fcinfo->flinfo->fn_extra;
	CoxCacheEntry *e;
	MemoryContext old;
	bool		by_bytes;
	Size		size = 0;
	uint64		digest = 0;
	CoxModel   *m;
	int			i;

	if ((VARATT_IS_EXTERNAL(raw) && !VARATT_IS_EXTERNAL_ONDISK(raw)) ||
		VARSIZE_ANY(raw) > COX_CACHE_BYTES)
	{
		/* indirect, expanded or too large: not worth keeping */
		m = DatumGetCoxModelP(d);
		cox_model_check_header(m);
		return m;
	}
	by_bytes = !VARATT_IS_4B_U(raw);
	if (by_bytes)
	{
		if (VARSIZE_ANY(raw) > COX_CACHE_MAX_KEY)
		{
			m = DatumGetCoxModelP(d);
			cox_model_check_header(m);
			return m;
		}
	}
	else
	{
		if (VARSIZE(raw) < COX_MODEL_HDRSZ)
			elog(ERROR, "corrupt cox_model value");
		size = VARSIZE(raw);
		memcpy(&digest, (char *) raw + offsetof(CoxModel, digest), sizeof(uint64));
	}

	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(CoxCache));
		fcinfo->flinfo->fn_extra = cache;
	}
	for (i = 0; i < COX_CACHE_SLOTS; i++)
	{
		int			k = (cache->last + i) % COX_CACHE_SLOTS;

		e = &cache->e[k];
		if (e->model == NULL)
			continue;
		if (by_bytes ? (e->key != NULL && e->keylen == VARSIZE_ANY(raw) &&
						cox_key_equal(e->key, (const char *) raw, e->keylen)) :
			(e->key == NULL && e->size == size && e->digest == digest))
		{
			cache->last = k;
			return e->model;
		}
	}

	/* not seen: unpack it into the slot that is next in turn */
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	m = (CoxModel *) PG_DETOAST_DATUM_COPY(d);
	MemoryContextSwitchTo(old);
	cox_model_check_header(m);
	/* make room: the slot in turn, then older ones while over the budget */
	cox_cache_evict(cache, &cache->e[cache->next]);
	for (i = 1; i < COX_CACHE_SLOTS && cache->bytes + VARSIZE(m) > COX_CACHE_BYTES; i++)
		cox_cache_evict(cache, &cache->e[(cache->next + i) % COX_CACHE_SLOTS]);
	e = &cache->e[cache->next];
	cache->next = (cache->next + 1) % COX_CACHE_SLOTS;
	if (by_bytes)
	{
		e->keylen = VARSIZE_ANY(raw);
		e->key = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, e->keylen);
		memcpy(e->key, raw, e->keylen);
	}
	e->size = size;
	e->digest = digest;
	e->model = m;
	cache->bytes += VARSIZE(m);
	cache->last = e - cache->e;
	return m;
}

/* ---------- readers ---------- */

/*
 * The covariates argument as nvar doubles in buf, or NULL when an element
 * is NULL.  Wrong shape or length: 22023.
 */
static const float8 *
cox_covariates_arg(FunctionCallInfo fcinfo, int argno, const CoxModel *m,
				   float8 *buf)
{
	bool		hasnull;
	int			n;
	int			j;

	n = cox_float8_array(PG_GETARG_DATUM(argno), buf, m->nvar, &hasnull,
						 "covariates");
	if (n != m->nvar)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg_plural("cox model has %d covariate, the array has %d",
							   "cox model has %d covariates, the array has %d",
							   m->nvar, m->nvar, n),
				 errhint("Pass the covariates in the order and number the model was fitted with.")));
	if (hasnull)
		return NULL;
	for (j = 0; j < n; j++)
		if (isnan(buf[j]) || isinf(buf[j]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid covariate %d \"%s\"", j + 1, float8out_internal(buf[j])),
					 errdetail("Covariates must be finite numbers.")));
	return buf;
}

/* x . beta, singular terms (coefficient 0) contributing nothing */
static inline float8
cox_xbeta(const CoxModel *m, const float8 *x)
{
	const float8 *coef = COX_MODEL_COEF(m);
	float8		z = 0.0;
	int			j;

	for (j = 0; j < m->nvar; j++)
		z += x[j] * coef[j];
	return z;
}

/* sum(means * beta): R's centring of the linear predictor */
static float8
cox_xcenter(const CoxModel *m)
{
	return cox_xbeta(m, COX_MODEL_MEANS(m));
}

/*
 * The first step of each stratum (nstrata + 1 entries, the last nsteps):
 * kept with the model in the call site's cache, computed on every call for
 * a model that is not kept.
 */
static const int32 *
cox_strata_from(FunctionCallInfo fcinfo, const CoxModel *m)
{
	CoxCache   *cache = (CoxCache *) fcinfo->flinfo->fn_extra;
	CoxCacheEntry *e = NULL;
	int32	   *from;
	int32		i;

	if (cache)
	{
		for (i = 0; i < COX_CACHE_SLOTS && e == NULL; i++)
			if (cache->e[i].model == m)
				e = &cache->e[i];
	}
	if (e && e->strata_from)
		return e->strata_from;
	from = MemoryContextAlloc(e ? fcinfo->flinfo->fn_mcxt : CurrentMemoryContext,
							  sizeof(int32) * (m->nstrata + 1));
	from[0] = 0;
	for (i = 0; i < m->nstrata; i++)
		from[i + 1] = from[i] + COX_MODEL_STRATA_STEPS(m)[i];
	if (e)
		e->strata_from = from;
	return from;
}

/*
 * The steps [*from, *to) of the baseline a customer follows: the stratum
 * named by argument argno, or the one baseline of a model without strata
 * (argno < 0: the function was called without a stratum).
 */
static void
cox_stratum_arg(FunctionCallInfo fcinfo, const CoxModel *m, int argno,
				int32 *from, int32 *to)
{
	char	   *label;
	int32		lo = 0,
				hi;
	const int32 *first;

	if (argno < 0)
	{
		if (m->nstrata > 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg_plural("cox model is stratified (%d stratum): the stratum is required",
								   "cox model is stratified (%d strata): the stratum is required",
								   m->nstrata, m->nstrata),
					 errhint("Pass the customer's stratum as the last argument.")));
		*from = 0;
		*to = m->nsteps;
		return;
	}
	label = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	if (m->nstrata == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cox model has no strata, stratum \"%s\" was given", label),
				 errhint("Call the function without the stratum.")));
	/* labels are in increasing byte order */
	hi = m->nstrata;
	while (lo < hi)
	{
		int32		mid = lo + (hi - lo) / 2;

		if (strcmp(COX_MODEL_LABEL(m, mid), label) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == m->nstrata || strcmp(COX_MODEL_LABEL(m, lo), label) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("stratum \"%s\" is not in the cox model", label),
				 errdetail_plural("The model was fitted on %d stratum.",
								  "The model was fitted on %d strata.",
								  m->nstrata, m->nstrata)));
	first = cox_strata_from(fcinfo, m);
	*from = first[lo];
	*to = first[lo + 1];
}

/*
 * The baseline cumulative hazard (centred) at t along steps [from, to):
 * the last step at or before t, 0 before the first.
 */
static float8
cox_cumhaz_at(const CoxModel *m, int32 from, int32 to, float8 t)
{
	const float8 *st = COX_MODEL_STEP_TIME(m);
	int32		lo = from,
				hi = to;

	/* first step after t */
	while (lo < hi)
	{
		int32		mid = lo + (hi - lo) / 2;

		if (st[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == from ? 0.0 : COX_MODEL_STEP_CUMHAZ(m)[lo - 1];
}

static void
cox_check_time(float8 t, const char *what)
{
	if (isnan(t) || isinf(t))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid %s \"%s\"", what, float8out_internal(t)),
				 errdetail("The %s must be a finite number.", what)));
}

/* exp(x . beta - xcenter): the risk relative to the centre, R's risk2 */
static float8
cox_centred_risk(const CoxModel *m, const float8 *x)
{
	float8		r = exp(cox_xbeta(m, x) - cox_xcenter(m));

	if (isnan(r))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("linear predictor of the covariates is out of range")));
	return r;
}

PG_FUNCTION_INFO_V1(cox_relative_risk);
Datum
cox_relative_risk(PG_FUNCTION_ARGS)
{
	const CoxModel *m = cox_model_arg(fcinfo, 0);
	float8		xbuf[COX_MAX_COVARIATES];
	const float8 *x = cox_covariates_arg(fcinfo, 1, m, xbuf);
	float8		z;

	if (x == NULL)
		PG_RETURN_NULL();
	z = cox_xbeta(m, x);
	if (isnan(z))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("linear predictor of the covariates is out of range")));
	PG_RETURN_FLOAT8(exp(z));
}

/*
 * S(t | x) = S0(t) ^ exp(x . beta - xcenter), S0(t) = exp(-H0(t)) of the
 * centred baseline (of the customer's stratum): survfit.coxph's default
 * (stype 2) for one new subject.
 */
static Datum
cox_predict_survival_common(FunctionCallInfo fcinfo, int stratum_arg)
{
	const CoxModel *m = cox_model_arg(fcinfo, 0);
	float8		xbuf[COX_MAX_COVARIATES];
	const float8 *x = cox_covariates_arg(fcinfo, 1, m, xbuf);
	float8		t = PG_GETARG_FLOAT8(2);
	int32		from,
				to;

	cox_check_time(t, "time");
	cox_stratum_arg(fcinfo, m, stratum_arg, &from, &to);
	if (x == NULL)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(pow(exp(-cox_cumhaz_at(m, from, to, t)), cox_centred_risk(m, x)));
}

PG_FUNCTION_INFO_V1(cox_predict_survival);
Datum
cox_predict_survival(PG_FUNCTION_ARGS)
{
	return cox_predict_survival_common(fcinfo, -1);
}

PG_FUNCTION_INFO_V1(cox_predict_survival_stratum);
Datum
cox_predict_survival_stratum(PG_FUNCTION_ARGS)
{
	return cox_predict_survival_common(fcinfo, 3);
}

/*
 * The probability that a customer who has lasted until tenure churns within
 * the next horizon: 1 - S(tenure + horizon | x) / S(tenure | x)
 * = 1 - exp(-(H0(tenure + horizon) - H0(tenure)) exp(x . beta - xcenter)).
 */
static Datum
cox_churn_probability_common(FunctionCallInfo fcinfo, int stratum_arg)
{
	const CoxModel *m = cox_model_arg(fcinfo, 0);
	float8		xbuf[COX_MAX_COVARIATES];
	const float8 *x = cox_covariates_arg(fcinfo, 1, m, xbuf);
	float8		tenure = PG_GETARG_FLOAT8(2);
	float8		horizon = PG_GETARG_FLOAT8(3);
	float8		dh;
	int32		from,
				to;

	cox_check_time(tenure, "tenure");
	cox_check_time(horizon, "horizon");
	if (horizon < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid horizon \"%s\"", float8out_internal(horizon)),
				 errdetail("The horizon must not be negative.")));
	cox_stratum_arg(fcinfo, m, stratum_arg, &from, &to);
	if (x == NULL)
		PG_RETURN_NULL();
	dh = cox_cumhaz_at(m, from, to, tenure + horizon) - cox_cumhaz_at(m, from, to, tenure);
	if (dh == 0.0)
		PG_RETURN_FLOAT8(0.0);
	PG_RETURN_FLOAT8(-expm1(-dh * cox_centred_risk(m, x)));
}

PG_FUNCTION_INFO_V1(cox_churn_probability);
Datum
cox_churn_probability(PG_FUNCTION_ARGS)
{
	return cox_churn_probability_common(fcinfo, -1);
}

PG_FUNCTION_INFO_V1(cox_churn_probability_stratum);
Datum
cox_churn_probability_stratum(PG_FUNCTION_ARGS)
{
	return cox_churn_probability_common(fcinfo, 4);
}

PG_FUNCTION_INFO_V1(cox_loglik);
Datum
cox_loglik(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(cox_model_arg(fcinfo, 0)->loglik);
}

/* Harrell's C; NULL when no pair is comparable */
static bool
cox_c_index(const CoxModel *m, float8 *c)
{
	int64		npair = m->concordant + m->discordant + m->tied_x;

	if (npair == 0)
		return false;
	*c = ((float8) m->concordant + (float8) m->tied_x / 2.0) / (float8) npair;
	return true;
}

PG_FUNCTION_INFO_V1(cox_concordance);
Datum
cox_concordance(PG_FUNCTION_ARGS)
{
	float8		c;

	if (!cox_c_index(cox_model_arg(fcinfo, 0), &c))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(c);
}

/*
 * One row per covariate, as R's summary(fit)$coefficients and
 * $conf.int: coef, exp(coef), se(coef), z, Pr(>|z|), and the 95% bounds
 * of exp(coef).  A redundant covariate has NULLs (R: NA).
 */
static Datum
cox_coefficients_common(FunctionCallInfo fcinfo, bool with_names)
{
	const CoxModel *m = cox_model_arg(fcinfo, 0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum	   *names = NULL;
	bool	   *name_nulls = NULL;
	int			j;

	if (with_names)
	{
		ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(1);
		int			nnames;

		if (ARR_NDIM(arr) > 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("covariate names must be a one-dimensional array")));
		deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT,
						  &names, &name_nulls, &nnames);
		if (nnames != m->nvar)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg_plural("cox model has %d covariate, %d names were given",
								   "cox model has %d covariates, %d names were given",
								   m->nvar, m->nvar, nnames)));
	}

	InitMaterializedSRF(fcinfo, 0);
	for (j = 0; j < m->nvar; j++)
	{
		Datum		values[9];
		bool		nulls[9] = {false};
		int			c = 0;
		float8		b = COX_MODEL_COEF(m)[j];
		float8		se = sqrt(COX_MODEL_VAR(m)[j * m->nvar + j]);
		int			k;

		values[c++] = Int32GetDatum(j + 1);
		if (with_names)
		{
			values[c] = names[j];
			nulls[c++] = name_nulls[j];
		}
		if (COX_MODEL_STATUS(m)[j] == COX_TERM_SINGULAR)
		{
			for (k = c; k < c + 7; k++)
				nulls[k] = true;
		}
		else
		{
			float8		z = b / se;

			values[c] = Float8GetDatum(b);
			values[c + 1] = Float8GetDatum(exp(b));
			values[c + 2] = Float8GetDatum(se);
			values[c + 3] = Float8GetDatum(z);
			values[c + 4] = Float8GetDatum(churn_normal_two_sided(z));
			values[c + 5] = Float8GetDatum(exp(b - COX_Z95 * se));
			values[c + 6] = Float8GetDatum(exp(b + COX_Z95 * se));
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(cox_coefficients);
Datum
cox_coefficients(PG_FUNCTION_ARGS)
{
	return cox_coefficients_common(fcinfo, false);
}

PG_FUNCTION_INFO_V1(cox_coefficients_named);
Datum
cox_coefficients_named(PG_FUNCTION_ARGS)
{
	return cox_coefficients_common(fcinfo, true);
}

static Datum
cox_int_array(const CoxModel *m, uint8 status, bool *isnull)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(m->nvar, 1));
	int			n = 0;
	int			j;

	for (j = 0; j < m->nvar; j++)
		if (COX_MODEL_STATUS(m)[j] == status)
			elems[n++] = Int32GetDatum(j + 1);
	*isnull = false;
	return PointerGetDatum(construct_array(elems, n, INT4OID, sizeof(int32),
										   true, TYPALIGN_INT));
}

/*
 * The whole-model figures of R's summary(fit): counts, iterations, the
 * likelihood-ratio, Wald and score tests on the number of non-redundant
 * covariates, concordance with its standard error, and which covariates
 * are redundant or may have infinite coefficients.
 */
PG_FUNCTION_INFO_V1(cox_summary);
Datum
cox_summary(PG_FUNCTION_ARGS)
{
	const CoxModel *m = cox_model_arg(fcinfo, 0);
	TupleDesc	tupdesc;
	Datum		values[20];
	bool		nulls[20] = {false};
	int			p = m->nvar;
	int			df = 0;
	int			j,
				k;
	float8		c;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	if (tupdesc->natts != lengthof(values))
		elog(ERROR, "cox_summary must return %d columns", (int) lengthof(values));

	for (j = 0; j < p; j++)
		if (COX_MODEL_STATUS(m)[j] != COX_TERM_SINGULAR)
			df++;

	values[0] = Int64GetDatum(m->n);
	values[1] = Int64GetDatum(m->events);
	values[2] = Int64GetDatum(m->omitted);
	values[3] = CStringGetTextDatum(cox_ties_name(m->ties));
	values[4] = Int32GetDatum(m->nstrata);
	values[5] = Int32GetDatum(m->iterations);
	values[6] = BoolGetDatum((m->flags & COX_MODEL_CONVERGED) != 0);
	values[7] = Float8GetDatum(m->loglik_null);
	values[8] = Float8GetDatum(m->loglik);
	values[9] = Int32GetDatum(df);
	if (df > 0)
	{
		float8		lr = 2.0 * (m->loglik - m->loglik_null);
		float8	   *v = palloc(sizeof(float8) * df * df);
		float8	   *b = palloc(sizeof(float8) * df);
		float8		wald = 0.0;
		int			r = 0;

		/*
		 * Wald: beta' V^-1 beta over the non-redundant covariates, V
		 * factored with R's tolerance (coxph.wtest).
		 */
		for (j = 0; j < p; j++)
		{
			int			cidx = 0;

			if (COX_MODEL_STATUS(m)[j] == COX_TERM_SINGULAR)
				continue;
			b[r] = COX_MODEL_COEF(m)[j];
			for (k = 0; k < p; k++)
			{
				if (COX_MODEL_STATUS(m)[k] == COX_TERM_SINGULAR)
					continue;
				v[r * df + cidx++] = COX_MODEL_VAR(m)[j * p + k];
			}
			r++;
		}
		{
			float8	   *sol = palloc(sizeof(float8) * df);

			memcpy(sol, b, sizeof(float8) * df);
			churn_ldl_factor(v, df, COX_TOLER_CHOL);
			churn_ldl_solve(v, df, sol);
			for (j = 0; j < df; j++)
				wald += b[j] * sol[j];
		}
		values[10] = Float8GetDatum(lr);
		values[11] = Float8GetDatum(churn_chisq_upper(lr, df));
		values[12] = Float8GetDatum(wald);
		values[13] = Float8GetDatum(churn_chisq_upper(wald, df));
		values[14] = Float8GetDatum(m->score);
		values[15] = Float8GetDatum(churn_chisq_upper(m->score, df));
	}
	else
	{
		for (j = 10; j <= 15; j++)
			nulls[j] = true;
	}
	if (cox_c_index(m, &c))
	{
		values[16] = Float8GetDatum(c);
		values[17] = Float8GetDatum(sqrt(m->concordance_var));
	}
	else
		nulls[16] = nulls[17] = true;
	values[18] = cox_int_array(m, COX_TERM_SINGULAR, &nulls[18]);
	values[19] = cox_int_array(m, COX_TERM_INFINITE, &nulls[19]);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * The baseline of the model at covariates zero (reference = "zero", like
 * relative_risk): per stratum (NULL without strata) and distinct event
 * time the cumulative hazard H0(t) exp(-xcenter) and the survival
 * exp(-H0(t)) ^ exp(-xcenter), R's survfit(fit, newdata = <all covariates
 * 0>).
 */
PG_FUNCTION_INFO_V1(cox_baseline);
Datum
cox_baseline(PG_FUNCTION_ARGS)
{
	const CoxModel *m = cox_model_arg(fcinfo, 0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	float8		r = exp(-cox_xcenter(m));
	int32		stratum = 0;
	int32		left = m->nstrata > 0 ? COX_MODEL_STRATA_STEPS(m)[0] : m->nsteps;
	int32		i;

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < m->nsteps; i++)
	{
		Datum		values[4];
		bool		nulls[4] = {false};
		float8		h = COX_MODEL_STEP_CUMHAZ(m)[i];

		while (left == 0)
			left = COX_MODEL_STRATA_STEPS(m)[++stratum];
		left--;
		if (m->nstrata > 0)
			values[0] = CStringGetTextDatum(COX_MODEL_LABEL(m, stratum));
		else
			nulls[0] = true;
		values[1] = Float8GetDatum(COX_MODEL_STEP_TIME(m)[i]);
		values[2] = Float8GetDatum(h * r);
		values[3] = Float8GetDatum(pow(exp(-h), r));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
