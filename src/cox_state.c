/*-------------------------------------------------------------------------
 *
 * cox_state.c
 *	  The transition state of the coxph() aggregate, churn.coxph_state:
 *	  the rows (duration, event, covariates, stratum) collected for the
 *	  fit, their text and binary I/O, the transition and combine functions,
 *	  and the final function that hands the rows to the fit (cox_fit.c).
 *
 * A Cox model cannot be fitted incrementally: each Newton-Raphson step
 * walks every risk set, which needs every row.  So the state keeps the
 * rows, and the combine function (parallel workers, Citus) concatenates
 * two states.  The fit sorts the rows itself, so it does not depend on the
 * order they arrived in, nor on how they were split between workers.
 *
 * Inside an aggregate the state is an expanded object in a child context
 * of the aggregate context, column arrays grown by doubling and appended
 * to in place (PostgreSQL keeps a read-write expanded object of the
 * aggregate context without copying it, see ExecAggTransReparent).  It is
 * flattened only when it leaves the aggregate: a partial state sent by a
 * parallel worker, or the state stored by a user's own aggregate over
 * churn.coxph_trans.  The final function reads the expanded object where
 * it lies.  A stratified state keeps its distinct stratum labels once, in
 * first-seen order with a hash table over them, and each row the index of
 * its label; combining states matches labels by name.
 *
 * Text form: "v1 <ties> <covariates> <omitted> [strata={"label",...}]
 * <row> ...", each row "<time>:<event>:<x1>,<x2>,..." (":<stratum index>"
 * appended when stratified), event 0 or 1, numbers in shortest exact
 * decimal form, labels double-quoted with " and \ escaped, covariates "-"
 * while no covariate array has been seen:
 *
 *	v1 efron 2 0 5:1:61,0 3.5:0:42,1
 *	v1 breslow 1 0 strata={"north","south"} 5:1:61:0 3.5:0:42:1
 *
 * Binary form: version byte, ties byte, flags byte, int32 covariates,
 * int64 rows, int64 omitted; when stratified int32 strata and per label
 * int32 length and bytes; then per row float8 time, byte event, float8
 * covariates and, when stratified, int32 stratum index.
 *
 * src/cox_state.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "common/int.h"
#include "common/shortest_dec.h"
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
#include "state_io.h"

/* Rows allocated by the first append (grows by doubling). */
#define COX_STATE_MIN_ROWS		16

static Size cox_state_get_flat_size(ExpandedObjectHeader *eohptr);
static void cox_state_flatten_into(ExpandedObjectHeader *eohptr,
								   void *result, Size allocated_size);

static const ExpandedObjectMethods cox_state_methods =
{
	cox_state_get_flat_size,
	cox_state_flatten_into
};

const char *
cox_ties_name(uint8 ties)
{
	return ties == COX_TIES_BRESLOW ? "breslow" : "efron";
}

/*
 * The ties method named by a text argument: "efron" or "breslow", in any
 * letter case.
 */
static uint8
cox_parse_ties(text *t)
{
	char	   *s = text_to_cstring(t);

	if (pg_strcasecmp(s, "efron") == 0)
		return COX_TIES_EFRON;
	if (pg_strcasecmp(s, "breslow") == 0)
		return COX_TIES_BRESLOW;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unsupported ties method \"%s\"", s),
			 errhint("The ties method must be \"efron\" (R's default) or \"breslow\".")));
	return COX_TIES_EFRON;		/* keep compiler quiet */
}

/* The largest number of rows a flat state of nvar covariates can hold. */
static int64
cox_state_max_flat_rows(int32 nvar, bool stratified)
{
	return (int64) ((MaxAllocSize - COX_STATE_HDRSZ) / COX_STATE_ROW_BYTES(nvar, stratified));
}

/*
 * The elements of a float8[] argument, without the palloc'd copy that
 * PG_GETARG_ARRAYTYPE_P makes of every short (1-byte header) array: a
 * covariates column of a few elements is stored that way, and the
 * aggregate and the scoring functions read one per row.  The fields of an
 * array keep their offsets from the start of a 4-byte header whatever
 * header the value has, so they are read relative to VARDATA_ANY, with
 * memcpy (a short value is not aligned).  Returns the number of elements
 * (0 for an empty array) and whether one is NULL; copies the elements into
 * out when there are at most max of them and none is NULL.  A
 * multidimensional array is an error; what names the argument.
 */
int
cox_float8_array(Datum d, float8 *out, int max, bool *hasnull, const char *what)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(d);
	const char *body;
	int32		ndim;
	int32		dataoffset;
	int32		n;
	int32		i;

	/* the field at offset off of an ArrayType */
#define COX_ARR_FIELD(off)	(body + (off) - VARHDRSZ)

	/* PG_DETOAST_DATUM_PACKED, without a call for the usual plain value */
	if (VARATT_IS_COMPRESSED(v) || VARATT_IS_EXTERNAL(v))
		v = pg_detoast_datum_packed(v);
	body = VARDATA_ANY(v);
	*hasnull = false;
	memcpy(&ndim, COX_ARR_FIELD(offsetof(ArrayType, ndim)), sizeof(int32));
	if (ndim == 0)
		return 0;
	if (ndim != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a one-dimensional array, not %d-dimensional",
						what, ndim)));
	memcpy(&dataoffset, COX_ARR_FIELD(offsetof(ArrayType, dataoffset)), sizeof(int32));
	memcpy(&n, COX_ARR_FIELD(sizeof(ArrayType)), sizeof(int32));
	if (dataoffset != 0)
	{
		const bits8 *bitmap = (const bits8 *) COX_ARR_FIELD(sizeof(ArrayType) + 2 * sizeof(int32));

		for (i = 0; i < n; i++)
		{
			if (!(bitmap[i / 8] & (1 << (i % 8))))
			{
				*hasnull = true;
				return n;
			}
		}
	}
	if (n <= max)
	{
		const char *data = COX_ARR_FIELD(dataoffset != 0 ? dataoffset : ARR_OVERHEAD_NONULLS(1));

		/* element by element: a fixed-size memcpy is a plain load */
		for (i = 0; i < n; i++)
			memcpy(&out[i], data + sizeof(float8) * i, sizeof(float8));
	}
	return n;
#undef COX_ARR_FIELD
}

/* ---------- the expanded state ---------- */

static CoxStateObject *
cox_state_new(MemoryContext parent, uint8 ties, bool stratified)
{
	MemoryContext objcxt;
	CoxStateObject *s;

	objcxt = AllocSetContextCreate(parent, "coxph_state",
								   ALLOCSET_SMALL_SIZES);
	s = MemoryContextAllocZero(objcxt, sizeof(CoxStateObject));
	EOH_init_header(&s->hdr, &cox_state_methods, objcxt);
	s->ties = ties;
	s->stratified = stratified;
	s->nvar = -1;
	return s;
}

/* Is d a read-write pointer to one of our expanded states? */
static inline bool
cox_state_is_rw_expanded(Datum d)
{
	return VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d)) &&
		DatumGetEOHP(d)->eoh_methods == &cox_state_methods;
}

static void
cox_state_too_many_rows(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("coxph state has too many rows")));
}

/*
 * Room for "more" rows beyond nrows.  The arrays grow by doubling, as huge
 * allocations: a serial aggregate keeps its state expanded to the end, so
 * only a flattened state is bound by the 1 GB of a value.
 */
static void
cox_state_reserve(CoxStateObject *s, int64 more)
{
	MemoryContext cxt = s->hdr.eoh_context;
	int64		need;
	int64		cap;
	Size		xw = (Size) Max(s->nvar, 0);

	Assert(s->nvar >= 0);
	if (pg_add_s64_overflow(s->nrows, more, &need))
		cox_state_too_many_rows();
	if (need <= s->cap)
		return;
	cap = Max(s->cap * 2, COX_STATE_MIN_ROWS);
	while (cap < need)
		cap *= 2;
	if ((Size) cap > MaxAllocHugeSize / sizeof(float8) / Max(xw, 1))
		cox_state_too_many_rows();
	if (s->time == NULL)
	{
		s->time = MemoryContextAllocHuge(cxt, sizeof(float8) * cap);
		s->x = MemoryContextAllocHuge(cxt, sizeof(float8) * Max(xw * cap, 1));
		s->event = MemoryContextAllocHuge(cxt, cap);
		if (s->stratified)
			s->stratum = MemoryContextAllocHuge(cxt, sizeof(int32) * cap);
	}
	else
	{
		s->time = repalloc_huge(s->time, sizeof(float8) * cap);
		s->x = repalloc_huge(s->x, sizeof(float8) * Max(xw * cap, 1));
		s->event = repalloc_huge(s->event, cap);
		if (s->stratified)
			s->stratum = repalloc_huge(s->stratum, sizeof(int32) * cap);
	}
	s->cap = cap;
}

/*
 * The index of a stratum label in the state, added when new.  Labels are
 * kept NUL-terminated in one buffer; an open-addressing table of label
 * indexes (linear probing, at most half full) finds them.
 */
static int32
cox_state_stratum(CoxStateObject *s, const char *label, int len)
{
	MemoryContext cxt = s->hdr.eoh_context;
	uint32		h = hash_bytes((const unsigned char *) label, len);
	int32		i;
	int32		idx;

	if (memchr(label, '\0', len) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("coxph stratum must not contain a NUL byte")));
	if (s->nslots > 0)
	{
		for (i = h & (s->nslots - 1); s->slots[i] != 0; i = (i + 1) & (s->nslots - 1))
		{
			idx = s->slots[i] - 1;
			if (s->label_hash[idx] == h &&
				strncmp(s->labelbuf + s->label_off[idx], label, len) == 0 &&
				s->labelbuf[s->label_off[idx] + len] == '\0')
				return idx;
		}
	}

	/* a new label */
	if (s->nlabels >= COX_MAX_STRATA)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("coxph cannot have more than %d strata", COX_MAX_STRATA)));
	if (s->nlabels == s->labelscap)
	{
		s->labelscap = Max(s->labelscap * 2, 8);
		if (s->label_off == NULL)
		{
			s->label_off = MemoryContextAlloc(cxt, sizeof(int32) * s->labelscap);
			s->label_hash = MemoryContextAlloc(cxt, sizeof(uint32) * s->labelscap);
		}
		else
		{
			s->label_off = repalloc(s->label_off, sizeof(int32) * s->labelscap);
			s->label_hash = repalloc(s->label_hash, sizeof(uint32) * s->labelscap);
		}
	}
	if (s->labellen + len + 1 > s->labelcap)
	{
		Size		cap = Max(s->labelcap * 2, 256);

		while (cap < s->labellen + len + 1)
			cap *= 2;
		if (cap > MaxAllocSize / 2)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("coxph stratum labels take too much memory")));
		s->labelbuf = s->labelbuf ? repalloc(s->labelbuf, cap) :
			MemoryContextAlloc(cxt, cap);
		s->labelcap = cap;
	}
	idx = s->nlabels++;
	s->label_off[idx] = (int32) s->labellen;
	s->label_hash[idx] = h;
	memcpy(s->labelbuf + s->labellen, label, len);
	s->labelbuf[s->labellen + len] = '\0';
	s->labellen += len + 1;

	/* keep the table at most half full */
	if (2 * s->nlabels > s->nslots)
	{
		int32		n = Max(s->nslots * 2, 16);
		int32		k;

		if (s->slots)
			pfree(s->slots);
		s->slots = MemoryContextAllocZero(cxt, sizeof(int32) * n);
		s->nslots = n;
		for (k = 0; k < s->nlabels; k++)
		{
			for (i = s->label_hash[k] & (n - 1); s->slots[i] != 0; i = (i + 1) & (n - 1))
				;
			s->slots[i] = k + 1;
		}
	}
	else
	{
		for (i = h & (s->nslots - 1); s->slots[i] != 0; i = (i + 1) & (s->nslots - 1))
			;
		s->slots[i] = idx + 1;
	}
	return idx;
}

/* A covariate array of nvar elements meets a state: their counts must agree. */
static void
cox_state_check_nvar(CoxStateObject *s, int32 nvar)
{
	if (s->nvar == nvar)
		return;
	if (s->nvar < 0)
	{
		Assert(s->nrows == 0);
		s->nvar = nvar;
		return;
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("coxph covariate arrays have different lengths: %d and %d",
					s->nvar, nvar),
			 errhint("Every row must give the same covariates in the same order.")));
}

/* Append the rows of a read-only view (another state). */
static void
cox_state_append_rows(CoxStateObject *s, const CoxRows *r)
{
	if (s->ties != r->ties)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine coxph states of ties methods \"%s\" and \"%s\"",
						cox_ties_name(s->ties), cox_ties_name(r->ties))));
	if (s->stratified != r->stratified)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine a stratified coxph state with one without strata")));
	if (r->nvar >= 0)
		cox_state_check_nvar(s, r->nvar);
	if (pg_add_s64_overflow(s->omitted, r->omitted, &s->omitted))
		cox_state_too_many_rows();
	if (r->nrows == 0)
		return;
	cox_state_reserve(s, r->nrows);
	memcpy(s->time + s->nrows, r->time, sizeof(float8) * r->nrows);
	if (s->nvar > 0)
		memcpy(s->x + s->nrows * s->nvar, r->x,
			   sizeof(float8) * r->nrows * s->nvar);
	memcpy(s->event + s->nrows, r->event, r->nrows);
	if (s->stratified)
	{
		/* the other state's label indexes, in this one's numbering */
		int32	   *map = palloc(sizeof(int32) * Max(r->nstrata, 1));
		int32		k;
		int64		i;

		for (k = 0; k < r->nstrata; k++)
		{
			const char *label = r->labelbuf + r->label_off[k];

			map[k] = cox_state_stratum(s, label, strlen(label));
		}
		for (i = 0; i < r->nrows; i++)
			s->stratum[s->nrows + i] = map[r->stratum[i]];
		pfree(map);
	}
	s->nrows += r->nrows;
}

static Size
cox_state_get_flat_size(ExpandedObjectHeader *eohptr)
{
	CoxStateObject *s = (CoxStateObject *) eohptr;
	int64		maxrows = cox_state_max_flat_rows(s->nvar, s->stratified);

	if (s->nrows > maxrows ||
		COX_STATE_SIZE(s->nvar, s->stratified, s->nrows, s->labellen) > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("coxph state of " INT64_FORMAT " rows of %d covariates is too large to be stored",
						s->nrows, s->nvar),
				 errdetail("A coxph_state value is limited to 1 GB, " INT64_FORMAT " such rows.",
						   maxrows),
				 errhint("Parallel workers ship their partial states as values: fit larger inputs without them (max_parallel_workers_per_gather = 0).")));
	return COX_STATE_SIZE(s->nvar, s->stratified, s->nrows, s->labellen);
}

static void
cox_state_flatten_into(ExpandedObjectHeader *eohptr, void *result,
					   Size allocated_size)
{
	CoxStateObject *s = (CoxStateObject *) eohptr;
	CoxStateFlat *f = (CoxStateFlat *) result;

	Assert(allocated_size == COX_STATE_SIZE(s->nvar, s->stratified, s->nrows, s->labellen));
	memset(f, 0, COX_STATE_HDRSZ);
	SET_VARSIZE(f, allocated_size);
	f->version = COX_STATE_VERSION;
	f->ties = s->ties;
	f->flags = s->stratified ? COX_STATE_STRATIFIED : 0;
	f->nvar = s->nvar;
	f->nstrata = s->nlabels;
	f->nrows = s->nrows;
	f->omitted = s->omitted;
	if (s->nrows > 0)
	{
		memcpy(COX_STATE_TIMES(f), s->time, sizeof(float8) * s->nrows);
		if (s->nvar > 0)
			memcpy(COX_STATE_X(f), s->x, sizeof(float8) * s->nrows * s->nvar);
		if (s->stratified)
			memcpy(COX_STATE_STRATA(f), s->stratum, sizeof(int32) * s->nrows);
		memcpy(COX_STATE_EVENTS(f), s->event, s->nrows);
	}
	if (s->labellen > 0)
		memcpy(COX_STATE_LABELS(f), s->labelbuf, s->labellen);
}

/*
 * A read-only view of a state datum: an expanded state of ours (read-write
 * or read-only pointer) is read where it lies, anything else is detoasted
 * (and its label offsets found).
 */
void
cox_rows_from_datum(Datum d, CoxRows *rows)
{
	if (VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)) &&
		DatumGetEOHP(d)->eoh_methods == &cox_state_methods)
	{
		CoxStateObject *s = (CoxStateObject *) DatumGetEOHP(d);

		rows->ties = s->ties;
		rows->stratified = s->stratified;
		rows->nvar = s->nvar;
		rows->nstrata = s->nlabels;
		rows->nrows = s->nrows;
		rows->omitted = s->omitted;
		rows->time = s->time;
		rows->x = s->x;
		rows->event = s->event;
		rows->stratum = s->stratum;
		rows->labelbuf = s->labelbuf;
		rows->label_off = s->label_off;
	}
	else
	{
		CoxStateFlat *f = (CoxStateFlat *) PG_DETOAST_DATUM(d);
		Size		fixed;
		int32	   *off = NULL;

		/* a value of this type was validated when it was read in */
		if (f->version != COX_STATE_VERSION || f->nrows < 0 ||
			f->nrows > cox_state_max_flat_rows(f->nvar, COX_STATE_IS_STRATIFIED(f)))
			elog(ERROR, "corrupt coxph_state value");
		fixed = COX_STATE_SIZE(f->nvar, COX_STATE_IS_STRATIFIED(f), f->nrows, 0);
		if (VARSIZE(f) < fixed)
			elog(ERROR, "corrupt coxph_state value");
		if (f->nstrata > 0)
		{
			const char *labels = COX_STATE_LABELS(f);
			Size		len = VARSIZE(f) - fixed;
			Size		pos = 0;
			int32		k;

			off = palloc(sizeof(int32) * f->nstrata);
			for (k = 0; k < f->nstrata; k++)
			{
				const char *nul = memchr(labels + pos, '\0', len - pos);

				if (pos >= len || nul == NULL)
					elog(ERROR, "corrupt coxph_state value");
				off[k] = (int32) pos;
				pos = nul - labels + 1;
			}
		}
		rows->ties = f->ties;
		rows->stratified = COX_STATE_IS_STRATIFIED(f);
		rows->nvar = f->nvar;
		rows->nstrata = f->nstrata;
		rows->nrows = f->nrows;
		rows->omitted = f->omitted;
		rows->time = COX_STATE_TIMES(f);
		rows->x = COX_STATE_X(f);
		rows->event = COX_STATE_EVENTS(f);
		rows->stratum = rows->stratified ? COX_STATE_STRATA(f) : NULL;
		rows->labelbuf = COX_STATE_LABELS(f);
		rows->label_off = off;
	}
}

/*
 * The transition state of argument 0 as an expanded state of ours in the
 * aggregate context, or NULL when it is NULL.
 */
static CoxStateObject *
cox_state_arg(FunctionCallInfo fcinfo, MemoryContext aggcontext)
{
	CoxRows		r;
	CoxStateObject *s;

	if (PG_ARGISNULL(0))
		return NULL;
	if (cox_state_is_rw_expanded(PG_GETARG_DATUM(0)))
		return (CoxStateObject *) DatumGetEOHP(PG_GETARG_DATUM(0));
	/* a flat value (e.g. copied by the executor): expand a copy of it */
	cox_rows_from_datum(PG_GETARG_DATUM(0), &r);
	s = cox_state_new(aggcontext, r.ties, r.stratified);
	cox_state_append_rows(s, &r);
	return s;
}

/* ---------- transition, combine, final ---------- */

/*
 * One row: duration (arg 1), event (2), covariates (3) and, when
 * stratified, the stratum (arg 5).
 */
static Datum
coxph_trans_common(FunctionCallInfo fcinfo, uint8 ties, bool stratified)
{
	MemoryContext aggcontext;
	CoxStateObject *s;
	int32		nvar;
	float8		t;
	float8		xs[COX_MAX_COVARIATES];
	bool		hasnull;
	int32		j;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("churn.%s can only be called by an aggregate", "coxph_trans")));
	s = cox_state_arg(fcinfo, aggcontext);
	if (s == NULL)
		s = cox_state_new(aggcontext, ties, stratified);
	else if (s->ties != ties)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ties method changed from \"%s\" to \"%s\" within one coxph aggregate",
						cox_ties_name(s->ties), cox_ties_name(ties))));
	else if (s->stratified != stratified)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot add rows with and without strata to one coxph state")));

	/* a row with a NULL anywhere is skipped, and counted (R's na.omit) */
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3) ||
		(stratified && PG_ARGISNULL(5)))
	{
		s->omitted++;
		return EOHPGetRWDatum(&s->hdr);
	}

	nvar = cox_float8_array(PG_GETARG_DATUM(3), xs, COX_MAX_COVARIATES, &hasnull,
							"coxph covariates");
	if (nvar > COX_MAX_COVARIATES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("coxph cannot fit more than %d covariates, the array has %d",
						COX_MAX_COVARIATES, nvar)));
	cox_state_check_nvar(s, nvar);
	if (hasnull)
	{
		s->omitted++;
		return EOHPGetRWDatum(&s->hdr);
	}

	t = PG_GETARG_FLOAT8(1);
	if (isnan(t) || isinf(t) || t < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid coxph duration \"%s\"", float8out_internal(t)),
				 errdetail("Durations must be finite and not negative.")));
	for (j = 0; j < nvar; j++)
	{
		if (isnan(xs[j]) || isinf(xs[j]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid coxph covariate %d \"%s\"", j + 1,
							float8out_internal(xs[j])),
					 errdetail("Covariates must be finite numbers.")));
	}

	cox_state_reserve(s, 1);
	/* -0 is stored as 0, so that equal rows are equal bit for bit */
	s->time[s->nrows] = t == 0.0 ? 0.0 : t;
	for (j = 0; j < nvar; j++)
		s->x[s->nrows * nvar + j] = xs[j] == 0.0 ? 0.0 : xs[j];
	s->event[s->nrows] = PG_GETARG_BOOL(2) ? 1 : 0;
	if (stratified)
	{
		text	   *label = PG_GETARG_TEXT_PP(5);

		s->stratum[s->nrows] = cox_state_stratum(s, VARDATA_ANY(label),
												 VARSIZE_ANY_EXHDR(label));
	}
	s->nrows++;
	return EOHPGetRWDatum(&s->hdr);
}

static uint8
cox_ties_arg(FunctionCallInfo fcinfo, int argno)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("coxph ties method must not be null"),
				 errhint("The ties method must be \"efron\" (R's default) or \"breslow\".")));
	return cox_parse_ties(PG_GETARG_TEXT_PP(argno));
}

PG_FUNCTION_INFO_V1(coxph_trans);
Datum
coxph_trans(PG_FUNCTION_ARGS)
{
	return coxph_trans_common(fcinfo, COX_TIES_EFRON, false);
}

PG_FUNCTION_INFO_V1(coxph_trans_ties);
Datum
coxph_trans_ties(PG_FUNCTION_ARGS)
{
	return coxph_trans_common(fcinfo, cox_ties_arg(fcinfo, 4), false);
}

PG_FUNCTION_INFO_V1(coxph_trans_strata);
Datum
coxph_trans_strata(PG_FUNCTION_ARGS)
{
	return coxph_trans_common(fcinfo, cox_ties_arg(fcinfo, 4), true);
}

/*
 * Combine function of coxph(): the state of the union of two sets of rows
 * is the concatenation of their rows (stratum labels matched by name).
 */
PG_FUNCTION_INFO_V1(coxph_combine);
Datum
coxph_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	CoxStateObject *s;
	CoxRows		other;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("churn.%s can only be called by an aggregate", "coxph_combine"),
				 errhint("Combine stored states with an aggregate of your own over this function.")));
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	cox_rows_from_datum(PG_GETARG_DATUM(1), &other);
	s = cox_state_arg(fcinfo, aggcontext);
	if (s == NULL)
		s = cox_state_new(aggcontext, other.ties, other.stratified);
	cox_state_append_rows(s, &other);
	return EOHPGetRWDatum(&s->hdr);
}

/*
 * Final function: the fitted model, or NULL without rows or without any
 * event (no partial likelihood to maximise).  Reads the state and never
 * changes it (the fit works on sorted copies).
 */
PG_FUNCTION_INFO_V1(coxph_final);
Datum
coxph_final(PG_FUNCTION_ARGS)
{
	CoxRows		rows;
	int64		i;
	bool		any_event = false;

	cox_rows_from_datum(PG_GETARG_DATUM(0), &rows);
	for (i = 0; i < rows.nrows && !any_event; i++)
		any_event = rows.event[i] != 0;
	if (!any_event)
		PG_RETURN_NULL();
	PG_RETURN_COX_MODEL_P(cox_fit(&rows));
}

/* Rows a state holds for the fit (for tests and diagnostics). */
PG_FUNCTION_INFO_V1(coxph_state_rows);
Datum
coxph_state_rows(PG_FUNCTION_ARGS)
{
	CoxRows		rows;

	cox_rows_from_datum(PG_GETARG_DATUM(0), &rows);
	PG_RETURN_INT64(rows.nrows);
}

/* ---------- text I/O ---------- */

/*
 * What an input syntax error quotes: the whole input when it is short, as
 * PostgreSQL's types do, else some 40 bytes from where the parser stopped
 * (a state holds a row per customer: its text can run to megabytes).
 */
char *
cox_text_excerpt(const char *input, const char *pos)
{
	StringInfoData buf;
	int			len = strlen(pos);
	int			clip;

	if (strlen(input) <= 64)
		return pstrdup(input);
	initStringInfo(&buf);
	if (pos > input)
		appendStringInfoString(&buf, "...");
	clip = pg_mbcliplen(pos, len, 40);
	appendBinaryStringInfo(&buf, pos, clip);
	if (clip < len)
		appendStringInfoString(&buf, "...");
	return buf.data;
}

/* A label double-quoted, " and \ escaped by a backslash. */
void
cox_append_label(StringInfo buf, const char *s)
{
	appendStringInfoChar(buf, '"');
	for (; *s; s++)
	{
		if (*s == '"' || *s == '\\')
			appendStringInfoChar(buf, '\\');
		appendStringInfoChar(buf, *s);
	}
	appendStringInfoChar(buf, '"');
}

/*
 * Parse a double-quoted label at *p into out (reset first): false on bad
 * syntax.
 */
bool
cox_parse_label(char **p, StringInfo out)
{
	char	   *s = *p;

	resetStringInfo(out);
	if (*s != '"')
		return false;
	for (s++; *s != '"'; s++)
	{
		if (*s == '\0')
			return false;
		if (*s == '\\')
		{
			s++;
			if (*s != '"' && *s != '\\')
				return false;
		}
		appendStringInfoChar(out, *s);
	}
	*p = s + 1;
	return true;
}

/*
 * A float8 at *p, not preceded by a space (churn_parse_float8: as float8in
 * reads it, subnormals and NaN included); *p moves past it.  The text forms
 * of the Cox state and of the model read their numbers with it.
 */
bool
cox_parse_float8(char **p, float8 *out)
{
	char	   *end;

	if (**p == ' ' || **p == '\0' || !churn_parse_float8(*p, &end, out))
		return false;
	*p = end;
	return true;
}

/*
 * Text form: "v1 <ties> <covariates> <omitted> [strata={"label",...}]
 * <time>:<event>:<x1>,<x2>,...[:<stratum>] ...".  The parsed rows go into
 * an expanded state (so labels are checked for duplicates by the same
 * table), which is then flattened.
 */
PG_FUNCTION_INFO_V1(coxph_state_in);
Datum
coxph_state_in(PG_FUNCTION_ARGS)
{
	char	   *input = PG_GETARG_CSTRING(0);
	char	   *p = input;
	char	   *tok = input;	/* start of what is being parsed */
	char	   *end;
	long		version;
	uint8		ties;
	long		nvar;
	int64		omitted;
	bool		stratified = false;
	int64		maxrows;
	CoxStateObject *s;
	MemoryContext cxt;
	CoxStateFlat *f;
	Size		size;
	int32		j;

	/* soft errors (PostgreSQL 16+) return at once: no half-built value */
#define BAD_TEXT(...) \
	do { \
		MemoryContextDelete(cxt); \
		churn_ereturn(fcinfo->context, (Datum) 0, \
					  errcode(ERRCODE_INVALID_TEXT_REPRESENTATION), \
					  errmsg("invalid input syntax for type %s: \"%s\"", \
							 "coxph_state", cox_text_excerpt(input, tok)), \
					  errdetail(__VA_ARGS__)); \
	} while (0)

	cxt = AllocSetContextCreate(CurrentMemoryContext, "coxph_state input",
								ALLOCSET_DEFAULT_SIZES);
	while (*p == ' ')
		p++;
	if (*p != 'v')
		BAD_TEXT("The value must start with a format version such as \"v1\".");
	errno = 0;
	version = strtol(p + 1, &end, 10);
	if (end == p + 1 || errno != 0 || p[1] == ' ' || p[1] == '+' || p[1] == '-')
		BAD_TEXT("The value must start with a format version such as \"v1\".");
	if (version != COX_STATE_VERSION)
	{
		MemoryContextDelete(cxt);
		churn_ereturn(fcinfo->context, (Datum) 0,
					  errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					  errmsg("unsupported coxph_state format version %ld", version),
					  errhint("This version of churn reads version %d.",
							  COX_STATE_VERSION));
	}
	p = end;
	while (*p == ' ')
		p++;
	if (strncmp(p, "efron", 5) == 0 && (p[5] == ' ' || p[5] == '\0'))
	{
		ties = COX_TIES_EFRON;
		p += 5;
	}
	else if (strncmp(p, "breslow", 7) == 0 && (p[7] == ' ' || p[7] == '\0'))
	{
		ties = COX_TIES_BRESLOW;
		p += 7;
	}
	else
		BAD_TEXT("The version must be followed by the ties method, \"efron\" or \"breslow\".");
	while (*p == ' ')
		p++;
	if (*p == '-' && (p[1] == ' ' || p[1] == '\0'))
	{
		nvar = -1;
		p++;
	}
	else
	{
		errno = 0;
		nvar = strtol(p, &end, 10);
		if (end == p || errno != 0 || *p == ' ' || *p == '+' || *p == '-' ||
			(*end != ' ' && *end != '\0'))
			BAD_TEXT("The ties method must be followed by the number of covariates, or \"-\" when not known yet.");
		if (nvar > COX_MAX_COVARIATES)
			BAD_TEXT("A coxph state has at most %d covariates.", COX_MAX_COVARIATES);
		p = end;
	}
	while (*p == ' ')
		p++;
	errno = 0;
	omitted = strtoll(p, &end, 10);
	if (end == p || errno != 0 || *p == '+' || *p == '-' ||
		(*end != ' ' && *end != '\0'))
		BAD_TEXT("The number of covariates must be followed by the number of rows omitted.");
	p = end;
	while (*p == ' ')
		p++;

	/* collect the rows in an expanded state of a context of our own */
	if (strncmp(p, "strata={", 8) == 0)
		stratified = true;
	s = cox_state_new(cxt, ties, stratified);
	s->nvar = (int32) nvar;
	s->omitted = omitted;
	if (stratified)
	{
		StringInfoData label;

		tok = p;
		p += 8;
		initStringInfo(&label);
		while (*p != '}')
		{
			if (s->nlabels > 0)
			{
				if (*p != ',')
					BAD_TEXT("The strata must be written as strata={\"label\",...}.");
				p++;
			}
			if (!cox_parse_label(&p, &label))
				BAD_TEXT("The strata must be written as strata={\"label\",...}.");
			if (s->nlabels >= COX_MAX_STRATA || memchr(label.data, '\0', label.len) != NULL)
				BAD_TEXT("A coxph state has at most %d strata.", COX_MAX_STRATA);
			j = s->nlabels;
			if (cox_state_stratum(s, label.data, label.len) != j)
				BAD_TEXT("The stratum \"%s\" is listed twice.", label.data);
		}
		p++;
	}

	maxrows = cox_state_max_flat_rows((int32) nvar, stratified);
	for (;;)
	{
		float8		t;
		int			e;

		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		tok = p;
		if (nvar < 0)
			BAD_TEXT("A state whose number of covariates is not known (\"-\") has no rows.");
		if (s->nrows >= maxrows)
			BAD_TEXT("The value has too many rows.");
		cox_state_reserve(s, 1);
		if (!cox_parse_float8(&p, &t) || *p != ':')
			BAD_TEXT("Each row must be written as time:event:covariates, covariates separated by commas.");
		if (isnan(t) || isinf(t) || t < 0)
			BAD_TEXT("Durations must be finite and not negative.");
		p++;
		if ((*p != '0' && *p != '1') || p[1] != ':')
			BAD_TEXT("The event of a row must be 0 or 1.");
		e = *p - '0';
		p += 2;
		for (j = 0; j < nvar; j++)
		{
			float8	   *x = &s->x[s->nrows * nvar + j];

			if (j > 0)
			{
				if (*p != ',')
					BAD_TEXT("Each row must have as many covariates as the state says, %ld.", nvar);
				p++;
			}
			if (!cox_parse_float8(&p, x))
				BAD_TEXT("Each row must be written as time:event:covariates, covariates separated by commas.");
			if (isnan(*x) || isinf(*x))
				BAD_TEXT("Covariates must be finite numbers.");
			if (*x == 0.0)
				*x = 0.0;
		}
		if (stratified)
		{
			long		k;

			if (*p != ':')
				BAD_TEXT("Each row of a stratified state must end with :stratum, the index of its label.");
			p++;
			errno = 0;
			k = strtol(p, &end, 10);
			if (end == p || errno != 0 || *p == '+' || *p == '-' || k >= s->nlabels)
				BAD_TEXT("Each row of a stratified state must end with :stratum, the index of its label.");
			s->stratum[s->nrows] = (int32) k;
			p = end;
		}
		if (*p != ' ' && *p != '\0')
			BAD_TEXT("Each row must have as many covariates as the state says, %ld.", nvar);
		s->time[s->nrows] = t == 0.0 ? 0.0 : t;
		s->event[s->nrows] = (uint8) e;
		s->nrows++;
	}
#undef BAD_TEXT

	size = cox_state_get_flat_size(&s->hdr);
	f = palloc(size);
	cox_state_flatten_into(&s->hdr, f, size);
	MemoryContextDelete(cxt);
	PG_RETURN_POINTER(f);
}

PG_FUNCTION_INFO_V1(coxph_state_out);
Datum
coxph_state_out(PG_FUNCTION_ARGS)
{
	CoxRows		r;
	StringInfoData buf;
	char		num[DOUBLE_SHORTEST_DECIMAL_LEN];
	int64		i;
	int32		j;

	cox_rows_from_datum(PG_GETARG_DATUM(0), &r);
	initStringInfo(&buf);
	appendStringInfo(&buf, "v%d %s ", COX_STATE_VERSION, cox_ties_name(r.ties));
	if (r.nvar < 0)
		appendStringInfoChar(&buf, '-');
	else
		appendStringInfo(&buf, "%d", r.nvar);
	appendStringInfo(&buf, " " INT64_FORMAT, r.omitted);
	if (r.stratified)
	{
		appendStringInfoString(&buf, " strata={");
		for (j = 0; j < r.nstrata; j++)
		{
			if (j > 0)
				appendStringInfoChar(&buf, ',');
			cox_append_label(&buf, r.labelbuf + r.label_off[j]);
		}
		appendStringInfoChar(&buf, '}');
	}
	for (i = 0; i < r.nrows; i++)
	{
		appendStringInfoChar(&buf, ' ');
		double_to_shortest_decimal_buf(r.time[i], num);
		appendStringInfoString(&buf, num);
		appendStringInfo(&buf, ":%d:", (int) r.event[i]);
		for (j = 0; j < r.nvar; j++)
		{
			if (j > 0)
				appendStringInfoChar(&buf, ',');
			double_to_shortest_decimal_buf(r.x[i * r.nvar + j], num);
			appendStringInfoString(&buf, num);
		}
		if (r.stratified)
			appendStringInfo(&buf, ":%d", r.stratum[i]);
	}
	PG_RETURN_CSTRING(buf.data);
}

/* ---------- binary I/O ---------- */

/*
 * Binary form: version byte, ties byte, flags byte, int32 covariates,
 * int64 rows, int64 omitted; when stratified int32 strata and per stratum
 * int32 length and the label's bytes; then per row float8 time, byte
 * event, float8 covariates and, when stratified, int32 stratum.
 */
PG_FUNCTION_INFO_V1(coxph_state_recv);
Datum
coxph_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			version;
	int			ties;
	int			flags;
	int32		nvar;
	int64		nrows;
	int64		omitted;
	int32		nstrata = 0;
	bool		stratified;
	int64		i;
	int32		j;
	MemoryContext cxt;
	CoxStateObject *s;
	CoxStateFlat *f;
	Size		size;

#define BAD_BINARY(...) \
	ereport(ERROR, \
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION), \
			 errmsg(__VA_ARGS__)))

	version = pq_getmsgbyte(buf);
	if (version != COX_STATE_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported coxph_state format version %d", version),
				 errhint("This version of churn reads version %d.",
						 COX_STATE_VERSION)));
	ties = pq_getmsgbyte(buf);
	if (ties != COX_TIES_EFRON && ties != COX_TIES_BRESLOW)
		BAD_BINARY("invalid ties method %d in external coxph_state value", ties);
	flags = pq_getmsgbyte(buf);
	if ((flags & ~COX_STATE_VALID_FLAGS) != 0)
		BAD_BINARY("invalid flags %d in external coxph_state value", flags);
	stratified = (flags & COX_STATE_STRATIFIED) != 0;
	nvar = pq_getmsgint(buf, 4);
	if (nvar < -1 || nvar > COX_MAX_COVARIATES)
		BAD_BINARY("invalid number of covariates %d in external coxph_state value", nvar);
	nrows = pq_getmsgint64(buf);
	omitted = pq_getmsgint64(buf);
	if (omitted < 0)
		BAD_BINARY("invalid number of omitted rows " INT64_FORMAT " in external coxph_state value", omitted);
	if (stratified)
	{
		nstrata = pq_getmsgint(buf, 4);
		if (nstrata < 0 || nstrata > COX_MAX_STRATA ||
			nstrata > (buf->len - buf->cursor) / 4)
			BAD_BINARY("invalid number of strata %d in external coxph_state value", nstrata);
	}

	cxt = AllocSetContextCreate(CurrentMemoryContext, "coxph_state input",
								ALLOCSET_DEFAULT_SIZES);
	s = cox_state_new(cxt, (uint8) ties, stratified);
	s->nvar = nvar;
	s->omitted = omitted;
	for (j = 0; j < nstrata; j++)
	{
		int32		len = pq_getmsgint(buf, 4);
		const char *label;

		if (len < 0 || len > buf->len - buf->cursor)
			BAD_BINARY("invalid stratum label length %d in external coxph_state value", len);
		label = pq_getmsgbytes(buf, len);
		if (memchr(label, '\0', len) != NULL ||
			!pg_verify_mbstr(GetDatabaseEncoding(), label, len, true))
			BAD_BINARY("invalid stratum label in external coxph_state value");
		if (cox_state_stratum(s, label, len) != j)
			BAD_BINARY("duplicate stratum label in external coxph_state value");
	}
	if (nrows < 0 || (nvar < 0 && nrows > 0) ||
		nrows > (buf->len - buf->cursor) /
		(int64) (9 + 8 * (int64) Max(nvar, 0) + (stratified ? 4 : 0)) ||
		nrows > cox_state_max_flat_rows(nvar, stratified))
		BAD_BINARY("invalid number of rows " INT64_FORMAT " in external coxph_state value", nrows);
	if (nrows > 0)
		cox_state_reserve(s, nrows);
	for (i = 0; i < nrows; i++)
	{
		float8		t = pq_getmsgfloat8(buf);
		int			e;

		if (isnan(t) || isinf(t) || t < 0)
			BAD_BINARY("invalid duration \"%s\" in external coxph_state value",
					   float8out_internal(t));
		s->time[i] = t == 0.0 ? 0.0 : t;
		e = pq_getmsgbyte(buf);
		if (e != 0 && e != 1)
			BAD_BINARY("invalid event %d in external coxph_state value", e);
		s->event[i] = (uint8) e;
		for (j = 0; j < nvar; j++)
		{
			float8		x = pq_getmsgfloat8(buf);

			if (isnan(x) || isinf(x))
				BAD_BINARY("invalid covariate \"%s\" in external coxph_state value",
						   float8out_internal(x));
			s->x[i * nvar + j] = x == 0.0 ? 0.0 : x;
		}
		if (stratified)
		{
			int32		k = pq_getmsgint(buf, 4);

			if (k < 0 || k >= nstrata)
				BAD_BINARY("invalid stratum %d in external coxph_state value", k);
			s->stratum[i] = k;
		}
	}
	s->nrows = nrows;
	pq_getmsgend(buf);
#undef BAD_BINARY

	size = cox_state_get_flat_size(&s->hdr);
	f = palloc(size);
	cox_state_flatten_into(&s->hdr, f, size);
	MemoryContextDelete(cxt);
	PG_RETURN_POINTER(f);
}

PG_FUNCTION_INFO_V1(coxph_state_send);
Datum
coxph_state_send(PG_FUNCTION_ARGS)
{
	CoxRows		r;
	StringInfoData buf;
	int64		i;
	int32		j;

	cox_rows_from_datum(PG_GETARG_DATUM(0), &r);
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, COX_STATE_VERSION);
	pq_sendbyte(&buf, r.ties);
	pq_sendbyte(&buf, r.stratified ? COX_STATE_STRATIFIED : 0);
	pq_sendint32(&buf, r.nvar);
	pq_sendint64(&buf, r.nrows);
	pq_sendint64(&buf, r.omitted);
	if (r.stratified)
	{
		pq_sendint32(&buf, r.nstrata);
		for (j = 0; j < r.nstrata; j++)
		{
			const char *label = r.labelbuf + r.label_off[j];
			int			len = strlen(label);

			pq_sendint32(&buf, len);
			pq_sendbytes(&buf, label, len);
		}
	}
	for (i = 0; i < r.nrows; i++)
	{
		pq_sendfloat8(&buf, r.time[i]);
		pq_sendbyte(&buf, r.event[i]);
		for (j = 0; j < r.nvar; j++)
			pq_sendfloat8(&buf, r.x[i * r.nvar + j]);
		if (r.stratified)
			pq_sendint32(&buf, r.stratum[i]);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}
