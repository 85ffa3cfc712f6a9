/*-------------------------------------------------------------------------
 *
 * survival_curve.c
 *	  The churn.survival_curve type: text and binary I/O with validation,
 *	  and the functions that read a Kaplan-Meier curve (survival_at,
 *	  median_lifetime, restricted_mean_lifetime, survival_points).
 *
 * Every figure is that of R's survival::survfit with its defaults
 * (Kaplan-Meier, Greenwood variance, conf.type = "log", conf.int = 0.95).
 *
 * src/survival_curve.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "common/int.h"
#include "common/shortest_dec.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/timestamp.h"

#include "state_io.h"
#include "survival_curve.h"

/*
 * Check every field of a flat curve that came from outside (text input,
 * binary input); errcode says which kind of input it was.  A failure is
 * reported through escontext when the text input has one (a soft error,
 * PostgreSQL 16+) and then returns false; otherwise it throws, so with
 * escontext NULL (binary input) this returns only true.
 */
static bool
survival_curve_check(const SurvivalCurve *c, int errcode_value,
					 Node *escontext)
{
	int32		i;
	int64		sum = 0;

	if (c->version != SURVIVAL_CURVE_VERSION)
		churn_ereturn(escontext, false,
					  errcode(errcode_value),
					  errmsg("unsupported survival_curve format version %d", c->version),
					  errhint("This version of churn reads version %d.",
							  SURVIVAL_CURVE_VERSION));
	if ((c->flags & ~SURVIVAL_VALID_FLAGS) != 0 || c->reserved != 0)
		churn_ereturn(escontext, false,
					  errcode(errcode_value),
					  errmsg("invalid survival_curve flags %d", c->flags));
	if (c->npoints < 1)
		churn_ereturn(escontext, false,
					  errcode(errcode_value),
					  errmsg("survival_curve must have at least one point"));
	for (i = 0; i < c->npoints; i++)
	{
		const SurvivalPoint *p = &c->points[i];

		if (isnan(p->time) || isinf(p->time) || p->time < 0)
			churn_ereturn(escontext, false,
						  errcode(errcode_value),
						  errmsg("invalid survival_curve duration \"%s\"",
								 float8out_internal(p->time)),
						  errdetail("Durations must be finite and not negative."));
		if (i > 0 && !(p->time > c->points[i - 1].time))
			churn_ereturn(escontext, false,
						  errcode(errcode_value),
						  errmsg("survival_curve durations are not strictly increasing at \"%s\"",
								 float8out_internal(p->time)));
		if (p->events < 0 || p->censored < 0 ||
			(p->events == 0 && p->censored == 0))
			churn_ereturn(escontext, false,
						  errcode(errcode_value),
						  errmsg("invalid survival_curve counts at duration \"%s\"",
								 float8out_internal(p->time)),
						  errdetail("Counts must not be negative and a point must have an event or a censoring."));
		if (pg_add_s64_overflow(sum, p->events, &sum) ||
			pg_add_s64_overflow(sum, p->censored, &sum))
			churn_ereturn(escontext, false,
						  errcode(errcode_value),
						  errmsg("survival_curve counts out of range"));
	}
	if (sum != c->total)
		churn_ereturn(escontext, false,
					  errcode(errcode_value),
					  errmsg("survival_curve total " INT64_FORMAT " does not match its points",
							 c->total),
					  errdetail("The events and censorings of the points sum to " INT64_FORMAT ".",
								sum));
	return true;
}

/*
 * Text form: "v1 <unit> <subjects> <time>:<events>:<censored> ...", unit
 * being "number" or "days", times in shortest exact decimal form, e.g.
 * "v1 number 3 1:1:0 2.5:1:1".
 */
PG_FUNCTION_INFO_V1(survival_curve_in);
Datum
survival_curve_in(PG_FUNCTION_ARGS)
{
	char	   *input = PG_GETARG_CSTRING(0);
	char	   *p = input;
	char	   *end;
	long		version;
	uint8		flags;
	int64		total;
	int32		n = 0;
	int32		cap = 16;
	SurvivalPoint *pts;
	SurvivalCurve *c;

	/* soft errors (PostgreSQL 16+) return at once: no half-built value */
#define BAD_TEXT(detail) \
	churn_ereturn(fcinfo->context, (Datum) 0, \
				  errcode(ERRCODE_INVALID_TEXT_REPRESENTATION), \
				  errmsg("invalid input syntax for type %s: \"%s\"", \
						 "survival_curve", input), \
				  errdetail(detail))

	while (*p == ' ')
		p++;
	if (*p != 'v')
		BAD_TEXT("The value must start with a format version such as \"v1\".");
	errno = 0;
	version = strtol(p + 1, &end, 10);
	if (end == p + 1 || errno != 0)
		BAD_TEXT("The value must start with a format version such as \"v1\".");
	if (version != SURVIVAL_CURVE_VERSION)
		churn_ereturn(fcinfo->context, (Datum) 0,
					  errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					  errmsg("unsupported survival_curve format version %ld", version),
					  errhint("This version of churn reads version %d.",
							  SURVIVAL_CURVE_VERSION));
	p = end;
	while (*p == ' ')
		p++;
	if (strncmp(p, "number", 6) == 0 && (p[6] == ' ' || p[6] == '\0'))
	{
		flags = 0;
		p += 6;
	}
	else if (strncmp(p, "days", 4) == 0 && (p[4] == ' ' || p[4] == '\0'))
	{
		flags = SURVIVAL_FLAG_DAYS;
		p += 4;
	}
	else
		BAD_TEXT("The unit after the version must be \"number\" or \"days\".");
	while (*p == ' ')
		p++;
	errno = 0;
	total = strtoll(p, &end, 10);
	if (end == p || errno != 0)
		BAD_TEXT("The unit must be followed by the number of subjects.");
	p = end;

	pts = palloc(sizeof(SurvivalPoint) * cap);
	for (;;)
	{
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		if (n == cap)
		{
			if (cap >= SURVIVAL_CURVE_MAX_POINTS / 2)
				BAD_TEXT("The value has too many points.");
			cap *= 2;
			pts = repalloc(pts, sizeof(SurvivalPoint) * cap);
		}
		if (!churn_parse_float8(p, &end, &pts[n].time) || *end != ':')
			BAD_TEXT("Each point must be written as time:events:censored.");
		p = end + 1;
		pts[n].events = strtoll(p, &end, 10);
		if (end == p || errno != 0 || *end != ':')
			BAD_TEXT("Each point must be written as time:events:censored.");
		p = end + 1;
		errno = 0;
		pts[n].censored = strtoll(p, &end, 10);
		if (end == p || errno != 0 || (*end != ' ' && *end != '\0'))
			BAD_TEXT("Each point must be written as time:events:censored.");
		p = end;
		n++;
	}
#undef BAD_TEXT

	c = palloc0(SURVIVAL_CURVE_SIZE(n));
	SET_VARSIZE(c, SURVIVAL_CURVE_SIZE(n));
	c->version = (uint8) version;
	c->flags = flags;
	c->npoints = n;
	c->total = total;
	memcpy(c->points, pts, sizeof(SurvivalPoint) * n);
	if (!survival_curve_check(c, ERRCODE_INVALID_TEXT_REPRESENTATION,
							  fcinfo->context))
		return (Datum) 0;		/* soft error (PostgreSQL 16+) */
	PG_RETURN_SURVIVAL_CURVE_P(c);
}

PG_FUNCTION_INFO_V1(survival_curve_out);
Datum
survival_curve_out(PG_FUNCTION_ARGS)
{
	SurvivalCurve *c = PG_GETARG_SURVIVAL_CURVE_P(0);
	StringInfoData buf;
	char		num[DOUBLE_SHORTEST_DECIMAL_LEN];
	int32		i;

	initStringInfo(&buf);
	appendStringInfo(&buf, "v%d %s " INT64_FORMAT, c->version,
					 (c->flags & SURVIVAL_FLAG_DAYS) ? "days" : "number",
					 c->total);
	for (i = 0; i < c->npoints; i++)
	{
		double_to_shortest_decimal_buf(c->points[i].time, num);
		appendStringInfo(&buf, " %s:" INT64_FORMAT ":" INT64_FORMAT, num,
						 c->points[i].events, c->points[i].censored);
	}
	PG_RETURN_CSTRING(buf.data);
}

/*
 * Binary form: version byte, flags byte, int64 subjects, int32 number of
 * points, then per point float8 time, int64 events, int64 censored.
 */
PG_FUNCTION_INFO_V1(survival_curve_recv);
Datum
survival_curve_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			version;
	int			flags;
	int64		total;
	int32		n;
	int32		i;
	SurvivalCurve *c;

	version = pq_getmsgbyte(buf);
	if (version != SURVIVAL_CURVE_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported survival_curve format version %d", version),
				 errhint("This version of churn reads version %d.",
						 SURVIVAL_CURVE_VERSION)));
	flags = pq_getmsgbyte(buf);
	total = pq_getmsgint64(buf);
	n = pq_getmsgint(buf, 4);
	if (n < 1 || n > (buf->len - buf->cursor) / 24)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid number of points %d in external survival_curve value", n)));
	c = palloc0(SURVIVAL_CURVE_SIZE(n));
	SET_VARSIZE(c, SURVIVAL_CURVE_SIZE(n));
	c->version = (uint8) version;
	c->flags = (uint8) flags;
	c->npoints = n;
	c->total = total;
	for (i = 0; i < n; i++)
	{
		c->points[i].time = pq_getmsgfloat8(buf);
		c->points[i].events = pq_getmsgint64(buf);
		c->points[i].censored = pq_getmsgint64(buf);
	}
	pq_getmsgend(buf);
	/* binary input errors stay hard, as for the other types */
	survival_curve_check(c, ERRCODE_INVALID_BINARY_REPRESENTATION, NULL);
	PG_RETURN_SURVIVAL_CURVE_P(c);
}

PG_FUNCTION_INFO_V1(survival_curve_send);
Datum
survival_curve_send(PG_FUNCTION_ARGS)
{
	SurvivalCurve *c = PG_GETARG_SURVIVAL_CURVE_P(0);
	StringInfoData buf;
	int32		i;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, c->version);
	pq_sendbyte(&buf, c->flags);
	pq_sendint64(&buf, c->total);
	pq_sendint32(&buf, c->npoints);
	for (i = 0; i < c->npoints; i++)
	{
		pq_sendfloat8(&buf, c->points[i].time);
		pq_sendint64(&buf, c->points[i].events);
		pq_sendint64(&buf, c->points[i].censored);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

static void
survival_check_time(float8 t, const char *what)
{
	if (isnan(t) || isinf(t))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid %s \"%s\"", what, float8out_internal(t)),
				 errdetail("The %s must be a finite number.", what)));
}

static float8
survival_interval_arg(const SurvivalCurve *c, Interval *iv)
{
	if (!(c->flags & SURVIVAL_FLAG_DAYS))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("survival curve durations are numbers, not intervals"),
				 errhint("Pass the time as a number in the unit of the durations.")));
#ifdef INTERVAL_NOT_FINITE
	if (INTERVAL_NOT_FINITE(iv))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid time \"%s\"",
						DatumGetCString(DirectFunctionCall1(interval_out,
															IntervalPGetDatum(iv)))),
				 errdetail("The time must be finite.")));
#endif
	return survival_interval_days(iv);
}

/* S(t): the product of (1 - d/n) over event times <= t. */
static float8
survival_at_internal(const SurvivalCurve *c, float8 t)
{
	float8		s = 1.0;
	int64		at_risk = c->total;
	int32		i;

	for (i = 0; i < c->npoints && c->points[i].time <= t; i++)
	{
		const SurvivalPoint *p = &c->points[i];

		if (p->events > 0)
			s *= 1.0 - (float8) p->events / (float8) at_risk;
		at_risk -= p->events + p->censored;
	}
	return s;
}

PG_FUNCTION_INFO_V1(survival_at);
Datum
survival_at(PG_FUNCTION_ARGS)
{
	SurvivalCurve *c = PG_GETARG_SURVIVAL_CURVE_P(0);
	float8		t = PG_GETARG_FLOAT8(1);

	survival_check_time(t, "time");
	PG_RETURN_FLOAT8(survival_at_internal(c, t));
}

PG_FUNCTION_INFO_V1(survival_at_interval);
Datum
survival_at_interval(PG_FUNCTION_ARGS)
{
	SurvivalCurve *c = PG_GETARG_SURVIVAL_CURVE_P(0);

	PG_RETURN_FLOAT8(survival_at_internal(c,
										  survival_interval_arg(c, PG_GETARG_INTERVAL_P(1))));
}

/*
 * Median as print.survfit computes it (its minmin()): the first time where
 * S <= 0.5 (within sqrt(DBL_EPSILON)); if S equals 0.5 there and falls
 * later, the mean of that time and the time where it first falls below.
 * NULL when the curve never reaches 0.5.
 */
PG_FUNCTION_INFO_V1(median_lifetime);
Datum
median_lifetime(PG_FUNCTION_ARGS)
{
	SurvivalCurve *c = PG_GETARG_SURVIVAL_CURVE_P(0);
	float8		tol = sqrt(DBL_EPSILON);
	float8		s = 1.0;
	int64		at_risk = c->total;
	int32		i;

	for (i = 0; i < c->npoints; i++)
	{
		const SurvivalPoint *p = &c->points[i];

		if (p->events > 0)
			s *= 1.0 - (float8) p->events / (float8) at_risk;
		at_risk -= p->events + p->censored;
		if (s < 0.5 + tol)
		{
			float8		first = s;
			float8		t1 = p->time;

			if (fabs(first - 0.5) < tol)
			{
				/* look for the first later point where S falls below it */
				for (i++; i < c->npoints; i++)
				{
					p = &c->points[i];
					if (p->events > 0)
						s *= 1.0 - (float8) p->events / (float8) at_risk;
					at_risk -= p->events + p->censored;
					if (s < first)
						PG_RETURN_FLOAT8((t1 + p->time) / 2.0);
				}
			}
			PG_RETURN_FLOAT8(t1);
		}
	}
	PG_RETURN_NULL();
}

/* Area under the step function S from 0 to horizon. */
static float8
survival_rmst_internal(const SurvivalCurve *c, float8 horizon)
{
	float8		s = 1.0;
	float8		area = 0.0;
	float8		prev = 0.0;
	int64		at_risk = c->total;
	int32		i;

	if (isnan(horizon) || isinf(horizon) || horizon <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid horizon \"%s\"", float8out_internal(horizon)),
				 errdetail("The horizon of a restricted mean lifetime must be a positive finite number.")));
	for (i = 0; i < c->npoints && c->points[i].time < horizon; i++)
	{
		const SurvivalPoint *p = &c->points[i];

		area += s * (p->time - prev);
		prev = p->time;
		if (p->events > 0)
			s *= 1.0 - (float8) p->events / (float8) at_risk;
		at_risk -= p->events + p->censored;
	}
	return area + s * (horizon - prev);
}

PG_FUNCTION_INFO_V1(restricted_mean_lifetime);
Datum
restricted_mean_lifetime(PG_FUNCTION_ARGS)
{
	SurvivalCurve *c = PG_GETARG_SURVIVAL_CURVE_P(0);

	PG_RETURN_FLOAT8(survival_rmst_internal(c, PG_GETARG_FLOAT8(1)));
}

PG_FUNCTION_INFO_V1(restricted_mean_lifetime_interval);
Datum
restricted_mean_lifetime_interval(PG_FUNCTION_ARGS)
{
	SurvivalCurve *c = PG_GETARG_SURVIVAL_CURVE_P(0);

	PG_RETURN_FLOAT8(survival_rmst_internal(c,
											survival_interval_arg(c, PG_GETARG_INTERVAL_P(1))));
}

/*
 * One row per distinct duration: time, at_risk, events, censored, survival,
 * std_error (Greenwood, of S: S * sqrt(sum d / (n (n - d)))), and the 95%
 * bounds of survfit's default log transform, exp(log S -+ z * se(log S)),
 * the upper one capped at 1; NULL bounds where S is 0.
 */
PG_FUNCTION_INFO_V1(survival_points);
Datum
survival_points(PG_FUNCTION_ARGS)
{
	SurvivalCurve *c = PG_GETARG_SURVIVAL_CURVE_P(0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	float8		s = 1.0;
	float8		varsum = 0.0;
	int64		at_risk = c->total;
	int32		i;

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < c->npoints; i++)
	{
		const SurvivalPoint *p = &c->points[i];
		Datum		values[8];
		bool		nulls[8] = {false};
		float8		se_log;

		if (p->events > 0)
		{
			s *= 1.0 - (float8) p->events / (float8) at_risk;
			if (p->events < at_risk)
				varsum += (float8) p->events /
					((float8) at_risk * (float8) (at_risk - p->events));
			else
				varsum = get_float8_infinity();
		}
		se_log = sqrt(varsum);
		values[0] = Float8GetDatum(p->time);
		values[1] = Int64GetDatum(at_risk);
		values[2] = Int64GetDatum(p->events);
		values[3] = Int64GetDatum(p->censored);
		values[4] = Float8GetDatum(s);
		values[5] = Float8GetDatum(s == 0.0 ? get_float8_nan() : s * se_log);
		if (s > 0.0)
		{
			/* exp(log S -+ z se) = S / f and S * f, f = exp(z se) */
			float8		f = exp(SURVIVAL_Z95 * se_log);

			values[6] = Float8GetDatum(s / f);
			values[7] = Float8GetDatum(Min(1.0, s * f));
		}
		else
			nulls[6] = nulls[7] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		at_risk -= p->events + p->censored;
	}
	return (Datum) 0;
}
