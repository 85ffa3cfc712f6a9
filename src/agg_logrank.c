/*-------------------------------------------------------------------------
 *
 * agg_logrank.c
 *	  The log-rank (G-rho) comparison of survival between groups: the
 *	  churn.logrank_state type, the logrank() and logrank_state()
 *	  aggregates, rollup(logrank_state), and the readers of a state (the
 *	  test, per-group figures, pairwise tests, the groups' curves).
 *
 * A state is one Kaplan-Meier life table per group: the group's name and
 * its events and censorings per distinct duration (a survival_curve), so
 * it holds one entry per distinct (duration, group), never one per row.
 * That is all the test needs, and what makes the state mergeable: the
 * union of two disjoint sets of subjects has the summed counts, so
 * partial states from parallel workers, Citus nodes or stored tables
 * combine into exactly the one-pass state.
 *
 * Inside an aggregate the state is an expanded object in the aggregate
 * context: the groups sorted by name, each with the expanded curve of
 * agg_survival.c (its own small memory context), and the previous row's
 * group remembered, so that a row costs a name comparison (a binary search
 * when the group changes) and a counter increment.  Group names are
 * compared byte for byte, so the order of the groups is that of the C
 * collation, whatever the database's.
 *
 * The weight exponent rho of the G-rho family is a parameter of the state:
 * every row and every state merged into it must have the same.
 *
 * src/agg_logrank.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "common/shortest_dec.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/expandeddatum.h"
#include "utils/float.h"
#include "utils/memutils.h"

#include "rates.h"
#include "state_io.h"
#include "survival_curve.h"
#include "survival_stats.h"

#define LOGRANK_STATE_TYPNAME	"churn.logrank_state"

/*
 * Format version of the flat value (text, binary and on disk).  A reader
 * refuses versions it does not know; a later release converts old versions
 * on read.
 */
#define LOGRANK_STATE_VERSION	1

/*
 * Flat form.  After the header, for each group in byte order of the names
 * (strictly increasing, so no name twice), each part starting on a MAXALIGN
 * boundary:
 *	int32 name length, the name's bytes (no terminator);
 *	a complete flat survival_curve of the group (version, flags zero).
 * flags is zero: reserved, like the curves', for a later format (durations
 * in days, say).
 */
typedef struct LogrankState
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	uint8		version;		/* LOGRANK_STATE_VERSION */
	uint8		flags;			/* zero */
	uint16		reserved;		/* zero */
	int32		ngroups;		/* at least 1 */
	float8		rho;			/* weight exponent, finite and >= 0 */
	char		data[FLEXIBLE_ARRAY_MEMBER];
} LogrankState;

#define LOGRANK_STATE_HDRSZ		offsetof(LogrankState, data)
#define LOGRANK_NAME_SIZE(len)	MAXALIGN(sizeof(int32) + (Size) (len))

#define DatumGetLogrankStateP(X)	((LogrankState *) PG_DETOAST_DATUM(X))
#define PG_GETARG_LOGRANK_STATE_P(n)	DatumGetLogrankStateP(PG_GETARG_DATUM(n))

/* The groups of a flat state, as arrays (pointers into the value). */
typedef struct LogrankView
{
	int32		ngroups;
	float8		rho;
	const char **names;
	int32	   *lens;
	const SurvivalCurve **curves;
} LogrankView;

/* One group of the expanded state. */
typedef struct LogrankGroup
{
	char	   *name;
	int32		len;
	ExpandedSurvival *curve;
} LogrankGroup;

/* Expanded form, the aggregate transition state. */
typedef struct ExpandedLogrank
{
	ExpandedObjectHeader hdr;
	float8		rho;
	int32		ngroups;
	int32		capacity;
	LogrankGroup *groups;		/* sorted by name, byte order */
	int32		last;			/* index of the previous row's group */
} ExpandedLogrank;

static Size logrank_get_flat_size(ExpandedObjectHeader *eohptr);
static void logrank_flatten_into(ExpandedObjectHeader *eohptr,
								 void *result, Size allocated_size);

static const ExpandedObjectMethods logrank_methods =
{
	logrank_get_flat_size,
	logrank_flatten_into
};

/* Byte order of names, shorter first on a common prefix. */
static int
logrank_name_cmp(const char *a, int32 alen, const char *b, int32 blen)
{
	int			r = memcmp(a, b, Min(alen, blen));

	if (r != 0)
		return r;
	return (alen > blen) - (alen < blen);
}

static void
logrank_view(const LogrankState *st, LogrankView *v)
{
	const char *p = st->data;
	int32		g;

	v->ngroups = st->ngroups;
	v->rho = st->rho;
	v->names = palloc(sizeof(char *) * st->ngroups);
	v->lens = palloc(sizeof(int32) * st->ngroups);
	v->curves = palloc(sizeof(SurvivalCurve *) * st->ngroups);
	for (g = 0; g < st->ngroups; g++)
	{
		int32		len;

		memcpy(&len, p, sizeof(int32));
		v->lens[g] = len;
		v->names[g] = p + sizeof(int32);
		p += LOGRANK_NAME_SIZE(len);
		v->curves[g] = (const SurvivalCurve *) p;
		p += MAXALIGN(VARSIZE(v->curves[g]));
	}
}

/*
 * Assemble a flat state from its groups (already in order); the curves are
 * copied.
 */
static LogrankState *
logrank_build_flat(float8 rho, int32 ngroups, char **names, int32 *lens,
				   SurvivalCurve **curves)
{
	Size		size = LOGRANK_STATE_HDRSZ;
	LogrankState *st;
	char	   *p;
	int32		g;

	for (g = 0; g < ngroups; g++)
		size += LOGRANK_NAME_SIZE(lens[g]) + MAXALIGN(VARSIZE(curves[g]));
	if (!AllocSizeIsValid(size))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("logrank_state value too large")));
	st = palloc0(size);
	SET_VARSIZE(st, size);
	st->version = LOGRANK_STATE_VERSION;
	st->ngroups = ngroups;
	st->rho = rho;
	p = st->data;
	for (g = 0; g < ngroups; g++)
	{
		memcpy(p, &lens[g], sizeof(int32));
		memcpy(p + sizeof(int32), names[g], lens[g]);
		p += LOGRANK_NAME_SIZE(lens[g]);
		memcpy(p, curves[g], VARSIZE(curves[g]));
		p += MAXALIGN(VARSIZE(curves[g]));
	}
	return st;
}

/* ----------------------------------------------------------------------
 * Validation and I/O
 * ----------------------------------------------------------------------
 */

static bool
logrank_check_rho_value(float8 rho)
{
	return !isnan(rho) && !isinf(rho) && rho >= 0.0;
}

/*
 * Check a state that came from outside: known version and flags, a valid
 * rho, at least one group, names in strictly increasing byte order, and
 * every curve a valid life table (at least one point, finite non-negative
 * times strictly increasing, counts not negative and not both zero, the
 * subject count equal to their sum).  Reports through escontext for text
 * input (soft on PostgreSQL 16+) and returns false; binary input throws.
 */
static bool
logrank_state_validate(const LogrankState *st, bool binary, Node *escontext)
{
	LogrankView v;
	int32		g;

#define BAD(...) \
	do { \
		churn_state_invalid(escontext, LOGRANK_STATE_TYPNAME, binary, \
							psprintf(__VA_ARGS__)); \
		return false; \
	} while (0)

	if (st->version != LOGRANK_STATE_VERSION)
		BAD("Unsupported format version %d.", st->version);
	if (st->flags != 0 || st->reserved != 0)
		BAD("Unknown flags %d.", st->flags);
	if (!logrank_check_rho_value(st->rho))
		BAD("The rho \"%s\" is not a finite number >= 0.", float8out_internal(st->rho));
	if (st->ngroups < 1)
		BAD("A state has at least one group.");
	logrank_view(st, &v);
	for (g = 0; g < v.ngroups; g++)
	{
		const SurvivalCurve *c = v.curves[g];
		char	   *name = pnstrdup(v.names[g], v.lens[g]);
		int64		sum = 0;
		int32		i;

		if (g > 0 && logrank_name_cmp(v.names[g - 1], v.lens[g - 1],
									  v.names[g], v.lens[g]) >= 0)
			BAD("Group \"%s\" is out of order or repeated: groups are in increasing byte order of their names.", name);
		if (c->version != SURVIVAL_CURVE_VERSION || c->flags != 0 || c->reserved != 0)
			BAD("Group \"%s\" has an unknown curve version or flags.", name);
		if (c->npoints < 1)
			BAD("Group \"%s\" has no durations.", name);
		for (i = 0; i < c->npoints; i++)
		{
			const SurvivalPoint *p = &c->points[i];

			if (isnan(p->time) || isinf(p->time) || p->time < 0)
				BAD("Group \"%s\" has an invalid duration \"%s\": durations must be finite and not negative.",
					name, float8out_internal(p->time));
			if (i > 0 && !(p->time > c->points[i - 1].time))
				BAD("The durations of group \"%s\" are not strictly increasing at \"%s\".",
					name, float8out_internal(p->time));
			if (p->events < 0 || p->censored < 0 ||
				(p->events == 0 && p->censored == 0))
				BAD("Group \"%s\" has invalid counts at duration \"%s\": counts must not be negative and a duration must have an event or a censoring.",
					name, float8out_internal(p->time));
			if (pg_add_s64_overflow(sum, p->events, &sum) ||
				pg_add_s64_overflow(sum, p->censored, &sum))
				BAD("The counts of group \"%s\" are out of range.", name);
		}
		if (sum != c->total)
			BAD("Group \"%s\" has " INT64_FORMAT " subjects, but its durations sum to " INT64_FORMAT ".",
				name, c->total, sum);
		pfree(name);
	}
#undef BAD
	return true;
}

static float8
logrank_scan_float8(ChurnScan *s, const char *what)
{
	char	   *end;
	float8		v;

	if (s->failed)
		return 0.0;
	if (!churn_parse_float8(s->p, &end, &v))
	{
		churn_scan_error(s, psprintf("Expected %s at offset %d.", what,
									 (int) (s->p - s->str)));
		return 0.0;
	}
	s->p = end;
	return v;
}

/*
 * Between two tokens: at least one space (more are accepted, as in
 * survival_curve's text form).  Returns the character after the spaces,
 * '\0' at the end of the input (trailing spaces are accepted too).
 */
static char
logrank_scan_gap(ChurnScan *s)
{
	if (s->failed)
		return '\0';
	if (*s->p != ' ' && *s->p != '\0')
	{
		churn_scan_error(s, psprintf("Expected a space at offset %d.",
									 (int) (s->p - s->str)));
		return '\0';
	}
	while (*s->p == ' ')
		s->p++;
	return *s->p;
}

/*
 * Text form: "v1 rho=<rho>" then per group its double-quoted name (\
 * escapes " and \), its number of subjects and its points
 * time:events:censored, times and rho in shortest exact decimal form:
 *	v1 rho=0 "France" 3 1:1:0 2.5:1:1 "Germany" 2 4:2:0
 */
PG_FUNCTION_INFO_V1(logrank_state_in);
Datum
logrank_state_in(PG_FUNCTION_ARGS)
{
	char	   *input = PG_GETARG_CSTRING(0);
	ChurnScan	s;
	int64		version;
	float8		rho;
	int32		ngroups = 0;
	int32		gcap = 4;
	char	  **names = palloc(sizeof(char *) * gcap);
	int32	   *lens = palloc(sizeof(int32) * gcap);
	SurvivalCurve **curves = palloc(sizeof(SurvivalCurve *) * gcap);
	LogrankState *st;

	churn_scan_init(&s, input, LOGRANK_STATE_TYPNAME, fcinfo->context);
	while (*s.p == ' ')
		s.p++;
	churn_scan_expect(&s, 'v');
	version = churn_scan_int64(&s);
	if (!s.failed && version != LOGRANK_STATE_VERSION)
		churn_ereturn(fcinfo->context, (Datum) 0,
					  errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					  errmsg("unsupported logrank_state format version " INT64_FORMAT, version),
					  errhint("This version of churn reads version %d.",
							  LOGRANK_STATE_VERSION));
	logrank_scan_gap(&s);
	if (!s.failed && strncmp(s.p, "rho=", 4) != 0)
		churn_scan_error(&s, "The version must be followed by rho=<number>.");
	else if (!s.failed)
		s.p += 4;
	rho = logrank_scan_float8(&s, "the value of rho");

	/* groups: "name" subjects time:events:censored ... */
	while (logrank_scan_gap(&s) != '\0')
	{
		int32		len;
		char	   *name;
		int64		total;
		int32		n = 0;
		int32		cap = 16;
		SurvivalPoint *pts;
		SurvivalCurve *c;

		name = churn_scan_quoted(&s, &len);
		logrank_scan_gap(&s);
		total = churn_scan_int64(&s);
		pts = palloc(sizeof(SurvivalPoint) * cap);
		for (;;)
		{
			const char *before = s.p;
			char		next = logrank_scan_gap(&s);

			if (s.failed || next == '\0')
				break;
			if (next == '"')
			{
				s.p = before;	/* the next group's gap */
				break;
			}
			if (n == cap)
			{
				if (cap >= SURVIVAL_CURVE_MAX_POINTS / 2)
				{
					churn_scan_error(&s, "A group has too many points.");
					break;
				}
				cap *= 2;
				pts = repalloc(pts, sizeof(SurvivalPoint) * cap);
			}
			pts[n].time = logrank_scan_float8(&s, "a duration");
			churn_scan_expect(&s, ':');
			pts[n].events = churn_scan_int64(&s);
			churn_scan_expect(&s, ':');
			pts[n].censored = churn_scan_int64(&s);
			n++;
		}
		if (s.failed)
			break;
		c = palloc0(SURVIVAL_CURVE_SIZE(n));
		SET_VARSIZE(c, SURVIVAL_CURVE_SIZE(n));
		c->version = SURVIVAL_CURVE_VERSION;
		c->npoints = n;
		c->total = total;
		memcpy(c->points, pts, sizeof(SurvivalPoint) * n);
		pfree(pts);
		if (ngroups == gcap)
		{
			gcap *= 2;
			names = repalloc(names, sizeof(char *) * gcap);
			lens = repalloc(lens, sizeof(int32) * gcap);
			curves = repalloc(curves, sizeof(SurvivalCurve *) * gcap);
		}
		names[ngroups] = name;
		lens[ngroups] = len;
		curves[ngroups] = c;
		ngroups++;
	}
	if (s.failed)
		return (Datum) 0;		/* soft error (PostgreSQL 16+) */

	st = logrank_build_flat(rho, ngroups, names, lens, curves);
	if (!logrank_state_validate(st, false, fcinfo->context))
		return (Datum) 0;		/* soft error (PostgreSQL 16+) */
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(logrank_state_out);
Datum
logrank_state_out(PG_FUNCTION_ARGS)
{
	LogrankState *st = PG_GETARG_LOGRANK_STATE_P(0);
	LogrankView v;
	StringInfoData buf;
	char		num[DOUBLE_SHORTEST_DECIMAL_LEN];
	int32		g,
				i;

	logrank_view(st, &v);
	initStringInfo(&buf);
	double_to_shortest_decimal_buf(st->rho, num);
	appendStringInfo(&buf, "v%d rho=%s", st->version, num);
	for (g = 0; g < v.ngroups; g++)
	{
		const SurvivalCurve *c = v.curves[g];

		appendStringInfoChar(&buf, ' ');
		churn_append_quoted(&buf, v.names[g], v.lens[g]);
		appendStringInfo(&buf, " " INT64_FORMAT, c->total);
		for (i = 0; i < c->npoints; i++)
		{
			double_to_shortest_decimal_buf(c->points[i].time, num);
			appendStringInfo(&buf, " %s:" INT64_FORMAT ":" INT64_FORMAT, num,
							 c->points[i].events, c->points[i].censored);
		}
	}
	PG_RETURN_CSTRING(buf.data);
}

/*
 * Binary form: version byte, flags byte, float8 rho, int32 number of
 * groups, then per group int32 name length and the name (in the client
 * encoding, as text is sent), int64 subjects, int32 number of points and
 * per point float8 time, int64 events, int64 censored.
 */
PG_FUNCTION_INFO_V1(logrank_state_recv);
Datum
logrank_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			version;
	int			flags;
	float8		rho;
	int32		ngroups;
	char	  **names;
	int32	   *lens;
	SurvivalCurve **curves;
	LogrankState *st;
	int32		g,
				i;

	version = pq_getmsgbyte(buf);
	if (version != LOGRANK_STATE_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported logrank_state format version %d", version),
				 errhint("This version of churn reads version %d.",
						 LOGRANK_STATE_VERSION)));
	flags = pq_getmsgbyte(buf);
	rho = pq_getmsgfloat8(buf);
	ngroups = pq_getmsgint(buf, 4);
	/* each group takes at least 4 + 8 + 4 + 24 bytes */
	if (ngroups < 1 || ngroups > (buf->len - buf->cursor) / 40)
		churn_recv_invalid(LOGRANK_STATE_TYPNAME,
						   psprintf("Invalid number of groups %d.", ngroups));
	names = palloc(sizeof(char *) * ngroups);
	lens = palloc(sizeof(int32) * ngroups);
	curves = palloc(sizeof(SurvivalCurve *) * ngroups);
	for (g = 0; g < ngroups; g++)
	{
		int32		len = pq_getmsgint(buf, 4);
		int			nbytes;
		int64		total;
		int32		n;
		SurvivalCurve *c;

		if (len < 0 || len > buf->len - buf->cursor)
			churn_recv_invalid(LOGRANK_STATE_TYPNAME,
							   psprintf("Invalid group name length %d.", len));
		/* converts from the client encoding and checks the encoding */
		names[g] = pq_getmsgtext(buf, len, &nbytes);
		lens[g] = nbytes;
		total = pq_getmsgint64(buf);
		n = pq_getmsgint(buf, 4);
		if (n < 1 || n > (buf->len - buf->cursor) / 24)
			churn_recv_invalid(LOGRANK_STATE_TYPNAME,
							   psprintf("Invalid number of points %d.", n));
		c = palloc0(SURVIVAL_CURVE_SIZE(n));
		SET_VARSIZE(c, SURVIVAL_CURVE_SIZE(n));
		c->version = SURVIVAL_CURVE_VERSION;
		c->npoints = n;
		c->total = total;
		for (i = 0; i < n; i++)
		{
			c->points[i].time = pq_getmsgfloat8(buf);
			c->points[i].events = pq_getmsgint64(buf);
			c->points[i].censored = pq_getmsgint64(buf);
		}
		curves[g] = c;
	}
	pq_getmsgend(buf);
	st = logrank_build_flat(rho, ngroups, names, lens, curves);
	st->flags = (uint8) flags;
	/* binary input errors stay hard, as for the other types */
	logrank_state_validate(st, true, NULL);
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(logrank_state_send);
Datum
logrank_state_send(PG_FUNCTION_ARGS)
{
	LogrankState *st = PG_GETARG_LOGRANK_STATE_P(0);
	LogrankView v;
	StringInfoData buf;
	int32		g,
				i;

	logrank_view(st, &v);
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, st->version);
	pq_sendbyte(&buf, st->flags);
	pq_sendfloat8(&buf, st->rho);
	pq_sendint32(&buf, st->ngroups);
	for (g = 0; g < v.ngroups; g++)
	{
		const SurvivalCurve *c = v.curves[g];
		StringInfoData name;

		/* pq_sendtext converts to the client encoding: send its length */
		initStringInfo(&name);
		pq_sendtext(&name, v.names[g], v.lens[g]);
		pq_sendint32(&buf, name.len);
		pq_sendbytes(&buf, name.data, name.len);
		pfree(name.data);
		pq_sendint64(&buf, c->total);
		pq_sendint32(&buf, c->npoints);
		for (i = 0; i < c->npoints; i++)
		{
			pq_sendfloat8(&buf, c->points[i].time);
			pq_sendint64(&buf, c->points[i].events);
			pq_sendint64(&buf, c->points[i].censored);
		}
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ----------------------------------------------------------------------
 * Expanded state
 * ----------------------------------------------------------------------
 */

static ExpandedLogrank *
logrank_new(MemoryContext parent, float8 rho)
{
	MemoryContext objcxt;
	ExpandedLogrank *es;

	objcxt = AllocSetContextCreate(parent, "logrank_state",
								   ALLOCSET_SMALL_SIZES);
	es = MemoryContextAllocZero(objcxt, sizeof(ExpandedLogrank));
	EOH_init_header(&es->hdr, &logrank_methods, objcxt);
	es->rho = rho;
	es->capacity = 4;
	es->groups = MemoryContextAlloc(objcxt, sizeof(LogrankGroup) * es->capacity);
	return es;
}

/*
 * The group of this name, created (empty) if it is new: the previous
 * row's group first, as rows of one group often come together (a scan of
 * a table clustered or partitioned by segment), else a binary search.
 */
static ExpandedSurvival *
logrank_group(ExpandedLogrank *es, const char *name, int32 len)
{
	int32		lo = 0,
				hi = es->ngroups;
	LogrankGroup *g;

	if (es->ngroups > 0)
	{
		g = &es->groups[es->last];
		if (g->len == len && memcmp(g->name, name, len) == 0)
			return g->curve;
	}
	while (lo < hi)
	{
		int32		mid = lo + (hi - lo) / 2;
		int			r;

		g = &es->groups[mid];
		r = logrank_name_cmp(g->name, g->len, name, len);
		if (r == 0)
		{
			es->last = mid;
			return g->curve;
		}
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}

	/* a new group at position lo */
	if (es->ngroups == es->capacity)
	{
		if (es->capacity >= (int32) (MaxAllocSize / sizeof(LogrankGroup) / 2))
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("logrank_state cannot have more than %d groups",
							es->capacity)));
		es->capacity *= 2;
		es->groups = repalloc(es->groups, sizeof(LogrankGroup) * es->capacity);
	}
	memmove(&es->groups[lo + 1], &es->groups[lo],
			sizeof(LogrankGroup) * (es->ngroups - lo));
	g = &es->groups[lo];
	g->name = MemoryContextAlloc(es->hdr.eoh_context, Max(len, 1));
	memcpy(g->name, name, len);
	g->len = len;
	g->curve = survival_expand(NULL, es->hdr.eoh_context, 0);
	es->ngroups++;
	es->last = lo;
	return g->curve;
}

/* Merge a flat state into an expanded one: counts add up per group. */
static void
logrank_merge_flat(ExpandedLogrank *es, const LogrankState *other)
{
	LogrankView v;
	int32		g;

	if (es->rho != other->rho)
		churn_report_mismatch("rho", float8out_internal(other->rho),
							  float8out_internal(es->rho));
	logrank_view(other, &v);
	for (g = 0; g < v.ngroups; g++)
		survival_merge_flat(logrank_group(es, v.names[g], v.lens[g]),
							v.curves[g]);
}

static Size
logrank_get_flat_size(ExpandedObjectHeader *eohptr)
{
	ExpandedLogrank *es = (ExpandedLogrank *) eohptr;
	Size		size = LOGRANK_STATE_HDRSZ;
	int32		g;

	for (g = 0; g < es->ngroups; g++)
	{
		size += LOGRANK_NAME_SIZE(es->groups[g].len);
		size += MAXALIGN(EOH_get_flat_size(&es->groups[g].curve->hdr));
	}
	if (!AllocSizeIsValid(size))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("logrank_state value too large")));
	return size;
}

static void
logrank_flatten_into(ExpandedObjectHeader *eohptr, void *result,
					 Size allocated_size)
{
	ExpandedLogrank *es = (ExpandedLogrank *) eohptr;
	LogrankState *st = (LogrankState *) result;
	char	   *p;
	int32		g;

	memset(st, 0, allocated_size);
	SET_VARSIZE(st, allocated_size);
	st->version = LOGRANK_STATE_VERSION;
	st->ngroups = es->ngroups;
	st->rho = es->rho;
	p = st->data;
	for (g = 0; g < es->ngroups; g++)
	{
		LogrankGroup *grp = &es->groups[g];
		Size		csize = EOH_get_flat_size(&grp->curve->hdr);

		memcpy(p, &grp->len, sizeof(int32));
		memcpy(p + sizeof(int32), grp->name, grp->len);
		p += LOGRANK_NAME_SIZE(grp->len);
		EOH_flatten_into(&grp->curve->hdr, p, csize);
		p += MAXALIGN(csize);
	}
	Assert(p == (char *) result + allocated_size);
}

static inline bool
logrank_is_rw_expanded(Datum d)
{
	return VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d)) &&
		DatumGetEOHP(d)->eoh_methods == &logrank_methods;
}

/*
 * The transition state of argument 0 as an expanded state of ours in the
 * aggregate context, or NULL when it is NULL.
 */
static ExpandedLogrank *
logrank_state_arg(FunctionCallInfo fcinfo, MemoryContext aggcontext)
{
	LogrankState *flat;
	ExpandedLogrank *es;

	if (PG_ARGISNULL(0))
		return NULL;
	if (logrank_is_rw_expanded(PG_GETARG_DATUM(0)))
		return (ExpandedLogrank *) DatumGetEOHP(PG_GETARG_DATUM(0));
	/* a flat value (e.g. copied by the executor): expand a copy of it */
	flat = PG_GETARG_LOGRANK_STATE_P(0);
	es = logrank_new(aggcontext, flat->rho);
	logrank_merge_flat(es, flat);
	return es;
}

/* ----------------------------------------------------------------------
 * Aggregate support
 * ----------------------------------------------------------------------
 */

static void
logrank_check_rho(float8 rho)
{
	if (!logrank_check_rho_value(rho))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid rho \"%s\"", float8out_internal(rho)),
				 errdetail("The weight exponent rho must be a finite number >= 0."),
				 errhint("rho = 0 is the log-rank test, rho = 1 the Peto-Peto modification of the Gehan-Wilcoxon test.")));
}

/*
 * logrank_trans(state, duration float8, event bool, grp text [, rho float8])
 *
 * A row whose duration, event or group is NULL is skipped, as R drops rows
 * with a missing value (na.action = na.omit).  rho NULL is an error: it is
 * a parameter, not data.
 */
PG_FUNCTION_INFO_V1(logrank_trans);
Datum
logrank_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	ExpandedLogrank *es;
	text	   *grp;
	float8		t;
	float8		rho = 0.0;
	bool		event;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("churn.%s can only be called by an aggregate", "logrank_trans")));
	if (PG_NARGS() > 4)
	{
		if (PG_ARGISNULL(4))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("rho must not be null"),
					 errhint("rho = 0 is the log-rank test, rho = 1 the Peto-Peto modification of the Gehan-Wilcoxon test.")));
		rho = PG_GETARG_FLOAT8(4);
		logrank_check_rho(rho);
		if (rho == 0.0)
			rho = 0.0;			/* fold -0 into 0 */
	}
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	t = PG_GETARG_FLOAT8(1);
	if (isnan(t) || isinf(t) || t < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid survival duration \"%s\"", float8out_internal(t)),
				 errdetail("Durations must be finite and not negative.")));
	event = PG_GETARG_BOOL(2);
	grp = PG_GETARG_TEXT_PP(3);

	es = logrank_state_arg(fcinfo, aggcontext);
	if (es == NULL)
		es = logrank_new(aggcontext, rho);
	else if (es->rho != rho)
		churn_report_mismatch("rho", float8out_internal(rho),
							  float8out_internal(es->rho));
	survival_add(logrank_group(es, VARDATA_ANY(grp), VARSIZE_ANY_EXHDR(grp)),
				 t, event ? 1 : 0, event ? 0 : 1);
	return EOHPGetRWDatum(&es->hdr);
}

/*
 * Combine function of logrank() and logrank_state(), and both transition
 * and combine function of rollup(logrank_state): the state of the union of
 * two disjoint sets of subjects has the summed counts per group and
 * duration.
 */
PG_FUNCTION_INFO_V1(logrank_combine);
Datum
logrank_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	ExpandedLogrank *es;
	LogrankState *other;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("churn.%s can only be called by an aggregate", "logrank_combine"),
				 errhint("Merge stored values with the churn.rollup aggregate, or an aggregate of your own over this function.")));
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	other = PG_GETARG_LOGRANK_STATE_P(1);
	es = logrank_state_arg(fcinfo, aggcontext);
	if (es == NULL)
		es = logrank_new(aggcontext, other->rho);
	logrank_merge_flat(es, other);
	return EOHPGetRWDatum(&es->hdr);
}

/* ----------------------------------------------------------------------
 * Readers
 * ----------------------------------------------------------------------
 */

/*
 * The test's variance matrix has groups² entries, each updated at every
 * event time: a state of more groups (a customer id passed as the group,
 * say) is refused rather than left to run for hours.
 */
static void
logrank_check_groups(int32 ngroups)
{
	if (ngroups > LOGRANK_MAX_GROUPS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("cannot test %d groups: a log-rank test takes at most %d",
						ngroups, LOGRANK_MAX_GROUPS),
				 errhint("Group customers into fewer segments; logrank_groups and logrank_curves read a state of any size.")));
}

static Datum
logrank_text_array(const LogrankView *v)
{
	Datum	   *elems = palloc(sizeof(Datum) * v->ngroups);
	int32		g;

	for (g = 0; g < v->ngroups; g++)
		elems[g] = PointerGetDatum(cstring_to_text_with_len(v->names[g], v->lens[g]));
	return PointerGetDatum(construct_array(elems, v->ngroups, TEXTOID, -1,
										   false, TYPALIGN_INT));
}

static Datum
logrank_int8_array(const int64 *vals, int32 n)
{
	Datum	   *elems = palloc(sizeof(Datum) * n);
	int32		i;

	for (i = 0; i < n; i++)
		elems[i] = Int64GetDatum(vals[i]);
	return PointerGetDatum(construct_array(elems, n, INT8OID, sizeof(int64),
										   FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

static Datum
logrank_float8_array(const float8 *vals, int32 n)
{
	Datum	   *elems = palloc(sizeof(Datum) * n);
	int32		i;

	for (i = 0; i < n; i++)
		elems[i] = Float8GetDatum(vals[i]);
	return PointerGetDatum(construct_array(elems, n, FLOAT8OID, sizeof(float8),
										   FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/*
 * logrank(state) → logrank_result (also the final function of the logrank
 * aggregates): chi_square, df, p_value (NULL when the test cannot be
 * computed: fewer than two groups with an expected event, or a singular
 * variance), rho, and per group in name order: groups, n (subjects),
 * events, observed and expected (weighted by S(t-)^rho like survdiff's;
 * with rho = 0 observed equals events).
 *
 * As a final function it receives the expanded state read-only, and reads
 * its flat copy: flattening merges each curve's buffer of unsorted points
 * into its sorted points, which changes the representation but not the
 * value, and leaves the state valid for more rows (as expanded arrays
 * cache their flat size), so FINALFUNC_MODIFY = READ_ONLY holds.
 */
PG_FUNCTION_INFO_V1(logrank_final);
Datum
logrank_final(PG_FUNCTION_ARGS)
{
	LogrankState *st = PG_GETARG_LOGRANK_STATE_P(0);
	LogrankView v;
	LogrankResult res;
	TupleDesc	tupdesc;
	Datum		values[9];
	bool		nulls[9] = {false};
	int64	   *n;
	int32		g;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	logrank_check_groups(st->ngroups);
	logrank_view(st, &v);
	churn_logrank_compute(v.curves, v.ngroups, v.rho, true, &res);
	n = palloc(sizeof(int64) * v.ngroups);
	for (g = 0; g < v.ngroups; g++)
		n[g] = v.curves[g]->total;
	if (res.has_test)
	{
		values[0] = Float8GetDatum(res.chi_square);
		values[1] = Int32GetDatum(res.df);
		values[2] = Float8GetDatum(res.p_value);
	}
	else
		nulls[0] = nulls[1] = nulls[2] = true;
	values[3] = Float8GetDatum(v.rho);
	values[4] = logrank_text_array(&v);
	values[5] = logrank_int8_array(n, v.ngroups);
	values[6] = logrank_int8_array(res.events, v.ngroups);
	values[7] = logrank_float8_array(res.observed, v.ngroups);
	values[8] = logrank_float8_array(res.expected, v.ngroups);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc),
													  values, nulls)));
}

/*
 * logrank_groups(state): one row per group, in name order: grp, n, events,
 * observed, expected, variance (the group's diagonal element of the
 * variance matrix, survdiff's diag(var)).
 */
PG_FUNCTION_INFO_V1(logrank_groups);
Datum
logrank_groups(PG_FUNCTION_ARGS)
{
	LogrankState *st = PG_GETARG_LOGRANK_STATE_P(0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	LogrankView v;
	LogrankResult res;
	int32		g;

	InitMaterializedSRF(fcinfo, 0);
	logrank_view(st, &v);
	churn_logrank_compute(v.curves, v.ngroups, v.rho, false, &res);
	for (g = 0; g < v.ngroups; g++)
	{
		Datum		values[6];
		bool		nulls[6] = {false};

		values[0] = PointerGetDatum(cstring_to_text_with_len(v.names[g], v.lens[g]));
		values[1] = Int64GetDatum(v.curves[g]->total);
		values[2] = Int64GetDatum(res.events[g]);
		values[3] = Float8GetDatum(res.observed[g]);
		values[4] = Float8GetDatum(res.expected[g]);
		values[5] = Float8GetDatum(res.variance_diag[g]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* p-value adjustments of logrank_pairwise, R's p.adjust methods */
typedef enum LogrankAdjust
{
	LOGRANK_ADJUST_HOLM,
	LOGRANK_ADJUST_BONFERRONI,
	LOGRANK_ADJUST_BH,
	LOGRANK_ADJUST_NONE
} LogrankAdjust;

typedef struct LogrankPair
{
	int32		a;
	int32		b;
	bool		has_test;
	float8		chi_square;
	float8		p;
	float8		adjusted;
} LogrankPair;

/* ascending p, ties in pair order (R's order() is stable) */
static int
logrank_pair_cmp(const void *x, const void *y)
{
	const LogrankPair *a = *(const LogrankPair *const *) x;
	const LogrankPair *b = *(const LogrankPair *const *) y;

	if (a->p != b->p)
		return a->p < b->p ? -1 : 1;
	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	return (a->b > b->b) - (a->b < b->b);
}

/*
 * Adjust the p-values of the pairs that have a test, as p.adjust does with
 * its default n (the number of p-values that are not NA), m below:
 *	holm: the i-th smallest becomes max over j <= i of min(1, (m - j + 1) p_(j))
 *	bonferroni: min(1, m p)
 *	BH: the i-th smallest becomes min over j >= i of min(1, m / j × p_(j))
 */
static void
logrank_adjust(LogrankPair *pairs, int32 npairs, LogrankAdjust method)
{
	LogrankPair **sorted = palloc(sizeof(LogrankPair *) * Max(npairs, 1));
	int32		m = 0;
	int32		i;
	float8		run;

	for (i = 0; i < npairs; i++)
		if (pairs[i].has_test)
			sorted[m++] = &pairs[i];
	qsort(sorted, m, sizeof(LogrankPair *), logrank_pair_cmp);
	switch (method)
	{
		case LOGRANK_ADJUST_HOLM:
			run = 0.0;
			for (i = 0; i < m; i++)
			{
				run = Max(run, (float8) (m - i) * sorted[i]->p);
				sorted[i]->adjusted = Min(1.0, run);
			}
			break;
		case LOGRANK_ADJUST_BONFERRONI:
			for (i = 0; i < m; i++)
				sorted[i]->adjusted = Min(1.0, (float8) m * sorted[i]->p);
			break;
		case LOGRANK_ADJUST_BH:
			run = get_float8_infinity();
			for (i = m - 1; i >= 0; i--)
			{
				run = Min(run, (float8) m / (float8) (i + 1) * sorted[i]->p);
				sorted[i]->adjusted = Min(1.0, run);
			}
			break;
		case LOGRANK_ADJUST_NONE:
			for (i = 0; i < m; i++)
				sorted[i]->adjusted = sorted[i]->p;
			break;
	}
	pfree(sorted);
}

/*
 * logrank_pairwise(state, adjust text DEFAULT 'holm'): for every pair of
 * groups (in name order), the G-rho test of those two groups alone (their
 * subjects only, with the state's rho: what R gets from survdiff on the
 * subset, and survminer's pairwise_survdiff), and its p-value adjusted for
 * the number of pairs tested.
 */
PG_FUNCTION_INFO_V1(logrank_pairwise);
Datum
logrank_pairwise(PG_FUNCTION_ARGS)
{
	LogrankState *st = PG_GETARG_LOGRANK_STATE_P(0);
	char	   *adjust = text_to_cstring(PG_GETARG_TEXT_PP(1));
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	LogrankAdjust method;
	LogrankView v;
	LogrankPair *pairs;
	int32		npairs = 0;
	int32		a,
				b,
				i;

	if (pg_strcasecmp(adjust, "holm") == 0)
		method = LOGRANK_ADJUST_HOLM;
	else if (pg_strcasecmp(adjust, "bonferroni") == 0)
		method = LOGRANK_ADJUST_BONFERRONI;
	else if (pg_strcasecmp(adjust, "BH") == 0 || pg_strcasecmp(adjust, "fdr") == 0)
		method = LOGRANK_ADJUST_BH;
	else if (pg_strcasecmp(adjust, "none") == 0)
		method = LOGRANK_ADJUST_NONE;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown p-value adjustment \"%s\"", adjust),
				 errhint("Use \"holm\", \"bonferroni\", \"BH\" (Benjamini-Hochberg) or \"none\".")));

	logrank_check_groups(st->ngroups);
	InitMaterializedSRF(fcinfo, 0);
	logrank_view(st, &v);
	pairs = palloc0(sizeof(LogrankPair) * Max(1, v.ngroups * (v.ngroups - 1) / 2));
	for (a = 0; a < v.ngroups; a++)
	{
		for (b = a + 1; b < v.ngroups; b++)
		{
			const SurvivalCurve *two[2];
			LogrankResult res;
			LogrankPair *p = &pairs[npairs++];

			CHECK_FOR_INTERRUPTS();
			two[0] = v.curves[a];
			two[1] = v.curves[b];
			churn_logrank_compute(two, 2, v.rho, true, &res);
			p->a = a;
			p->b = b;
			p->has_test = res.has_test;
			p->chi_square = res.chi_square;
			p->p = res.p_value;
			pfree(res.observed);
			pfree(res.expected);
			pfree(res.variance_diag);
			pfree(res.variance);
			pfree(res.events);
		}
	}
	logrank_adjust(pairs, npairs, method);
	for (i = 0; i < npairs; i++)
	{
		Datum		values[5];
		bool		nulls[5] = {false};
		LogrankPair *p = &pairs[i];

		values[0] = PointerGetDatum(cstring_to_text_with_len(v.names[p->a], v.lens[p->a]));
		values[1] = PointerGetDatum(cstring_to_text_with_len(v.names[p->b], v.lens[p->b]));
		if (p->has_test)
		{
			values[2] = Float8GetDatum(p->chi_square);
			values[3] = Float8GetDatum(p->p);
			values[4] = Float8GetDatum(p->adjusted);
		}
		else
			nulls[2] = nulls[3] = nulls[4] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * logrank_curves(state): each group's Kaplan-Meier curve, as the
 * survival_curve that survival() builds from the group's rows.
 */
PG_FUNCTION_INFO_V1(logrank_curves);
Datum
logrank_curves(PG_FUNCTION_ARGS)
{
	LogrankState *st = PG_GETARG_LOGRANK_STATE_P(0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	LogrankView v;
	int32		g;

	InitMaterializedSRF(fcinfo, 0);
	logrank_view(st, &v);
	for (g = 0; g < v.ngroups; g++)
	{
		Datum		values[2];
		bool		nulls[2] = {false};
		SurvivalCurve *c = palloc(VARSIZE(v.curves[g]));

		memcpy(c, v.curves[g], VARSIZE(v.curves[g]));
		values[0] = PointerGetDatum(cstring_to_text_with_len(v.names[g], v.lens[g]));
		values[1] = PointerGetDatum(c);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
