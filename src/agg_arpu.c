/*-------------------------------------------------------------------------
 *
 * agg_arpu.c
 *	  arpu(revenue, customer): total revenue / number of distinct customers,
 *	  exact, and the I/O of its state type churn.arpu_state.
 *
 * The state must remember every distinct customer seen (that is what makes
 * the count exact), so it grows with the number of distinct customers, and
 * with nothing else.  During aggregation it is an expanded object (see
 * utils/expandeddatum.h) living in its own memory context under the
 * aggregate context: the transition function updates it in place through
 * its read/write pointer, and nodeAgg adopts it without copying.  It holds
 *
 *	- the running revenue total, accumulated inside an aggregate by the
 *	  transition function of PostgreSQL's sum(numeric) (no allocation per
 *	  row, see arpu_add_revenue);
 *	- the distinct customers in first-seen order in a dense Datum array
 *	  (by-reference values are copied into a bump arena: no per-value
 *	  palloc header);
 *	- an open-addressing hash table (linear probing, load <= 3/4) of uint32
 *	  indexes into that array, and for types hashed through their hash
 *	  support function a parallel array of 32-bit hashes so that growing
 *	  the table never calls the type's functions again.
 *
 * For types whose equality is bitwise equality of a by-value Datum (bool,
 * "char", int2/4/8, oid, date, time, timestamp, timestamptz) the hash and the
 * comparison are inlined: 13 to 27 bytes per distinct customer (the arrays
 * grow by doubling).  Any other type needs a default hash operator class
 * and is hashed and compared with it, under the aggregate's collation.
 *
 * Flat form (what a tuple stores and what crosses the parallel-worker tuple
 * queue), all in native byte order:
 *
 *	int32	vl_len_
 *	uint8	version (ARPU_FORMAT_VERSION)
 *	uint8	flags (0, reserved)
 *	uint16	reserved (0)
 *	Oid		customer type
 *	int32	number of customers
 *	int32	bytes of the revenue total
 *	numeric	revenue total (4-byte varlena header) at ARPU_FLAT_HDRSZ
 *	values	customers in first-seen order, each aligned per the type's
 *			typalign, stored like array elements
 *
 * Text form: version, the schema-qualified customer type, the revenue total
 * and the customers' text forms, each double-quoted (\ escapes " and \):
 *
 *	1 "bigint" 123.45 {"17","42"}
 *
 * Binary form: version byte; int32 length + type name; int32 length +
 * numeric_send of the total; int32 count; per customer int32 length + the
 * type's send output.  Both inputs check the version, every length, the
 * element type and that no customer appears twice.  The text form is exact
 * as long as the customer type's text output is (floats are, with the
 * default extra_float_digits; the binary form always is).
 *
 * src/agg_arpu.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "access/htup_details.h"
#include "access/tupmacs.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "parser/parse_type.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/expandeddatum.h"
#include "utils/fmgroids.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/syscache.h"
#include "utils/typcache.h"
#if PG_VERSION_NUM >= 160000
#include "nodes/miscnodes.h"
#include "varatt.h"
#endif

#include "metrics.h"
#include "state_io.h"

#define ARPU_FORMAT_VERSION		1

typedef struct ArpuFlat
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	uint8		version;
	uint8		flags;
	uint16		reserved;
	Oid			elemtype;
	int32		nvalues;
	int32		sumlen;
} ArpuFlat;

#define ARPU_FLAT_HDRSZ			MAXALIGN(sizeof(ArpuFlat))
#define ARPU_FLAT_SUM(f)		((Numeric) ((char *) (f) + ARPU_FLAT_HDRSZ))
#define ARPU_FLAT_VALUES(f)		((char *) (f) + ARPU_FLAT_HDRSZ + (f)->sumlen)

/* Largest value copied into the arena; bigger ones get their own chunk. */
#define ARPU_ARENA_MAX_VALUE	1024
#define ARPU_ARENA_MAX_BLOCK	(64 * 1024)
/*
 * Most distinct customers in one state.  Keeps every array size and the
 * uint32 slot count (up to 2^30 slots at load 3/4) far from overflow; the
 * flat form's 1 GB limit is lower still for most types.
 */
#define ARPU_MAX_VALUES			((uint32) 1 << 28)

/*
 * The errors of the limits above, as ereport() argument lists: thrown
 * inside aggregates, reported softly by the text input.
 */
#define ARPU_TOO_MANY_VALUES_ERROR() \
	(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED), \
	 errmsg("arpu cannot count more than %u distinct customers in one group", \
			ARPU_MAX_VALUES))
#define ARPU_TOO_LARGE_ERROR(nvalues) \
	(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED), \
	 errmsg("arpu state of %u distinct customers is too large", (nvalues)), \
	 errdetail("The flat form of an arpu state is limited to 1 GB."))

typedef struct ArpuObject
{
	ExpandedObjectHeader hdr;

	/* the customer type */
	Oid			elemtype;
	Oid			collation;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	bool		bitwise;		/* hash and compare the Datum bits inline */
	FmgrInfo   *hash_finfo;		/* type's hash function (typcache) */
	FmgrInfo   *eq_finfo;		/* type's equality function (typcache) */

	/*
	 * Revenue total.  Outside aggregation it is just sum (a buffer of
	 * sum_cap bytes).  Inside, revenues go into acc, a NumericAggState of
	 * PostgreSQL's own sum(numeric) (see arpu_add_revenue), and the total is
	 * sum + acc, materialised on demand into total (total_cap bytes) and
	 * cached until the next update.
	 */
	Numeric		sum;
	Size		sum_cap;
	void	   *acc;
	Numeric		total;
	Size		total_cap;
	bool		total_valid;

	/* distinct customers, in first-seen order */
	Datum	   *values;
	uint32	   *hashes;			/* NULL when bitwise */
	uint32		nvalues;
	uint32		values_cap;

	/* hash table of index + 1 (0 = empty), nslots a power of 2 */
	uint32	   *slots;
	uint32		nslots;

	/* bump arena for by-reference values */
	char	   *arena;
	Size		arena_free;
	Size		arena_block;

	Size		flat_size;		/* cached by get_flat_size, 0 = unknown */
} ArpuObject;

static Size arpu_get_flat_size(ExpandedObjectHeader *eohptr);
static void arpu_flatten_into(ExpandedObjectHeader *eohptr,
							  void *result, Size allocated_size);

static const ExpandedObjectMethods arpu_methods =
{
	arpu_get_flat_size,
	arpu_flatten_into
};

/* ---------- hashing and the table ---------- */

static inline uint32
arpu_mix64(uint64 k)
{
	/* murmur3 finalizer: every input bit affects the low bits we probe */
	k ^= k >> 33;
	k *= UINT64CONST(0xff51afd7ed558ccd);
	k ^= k >> 33;
	k *= UINT64CONST(0xc4ceb9fe1a85ec53);
	k ^= k >> 33;
	return (uint32) k;
}

static bool
arpu_type_is_bitwise(Oid typid)
{
	switch (typid)
	{
		case BOOLOID:
		case CHAROID:
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case OIDOID:
		case DATEOID:
		case TIMEOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			return true;
		default:
			return false;
	}
}

static inline uint32
arpu_hash(ArpuObject *obj, Datum value)
{
	if (obj->bitwise)
		return arpu_mix64((uint64) value);
	/* remix: a user type's hash function may leave the low bits poor */
	return murmurhash32(DatumGetUInt32(FunctionCall1Coll(obj->hash_finfo,
														 obj->collation, value)));
}

static void
arpu_grow_slots(ArpuObject *obj)
{
	uint32		nslots = obj->nslots * 2;
	uint32		mask = nslots - 1;
	uint32	   *slots;
	uint32		i;

	slots = MemoryContextAllocExtended(obj->hdr.eoh_context,
									   (Size) nslots * sizeof(uint32),
									   MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	for (i = 0; i < obj->nvalues; i++)
	{
		uint32		h = obj->bitwise ? arpu_mix64((uint64) obj->values[i]) : obj->hashes[i];
		uint32		s = h & mask;

		while (slots[s] != 0)
			s = (s + 1) & mask;
		slots[s] = i + 1;
	}
	pfree(obj->slots);
	obj->slots = slots;
	obj->nslots = nslots;
}

/* Copy a by-reference value into the object's arena. */
static Datum
arpu_copy_value(ArpuObject *obj, Datum value)
{
	Size		size = datumGetSize(value, false, obj->typlen);
	Size		asize = MAXALIGN(size);
	char	   *dest;

	if (asize > ARPU_ARENA_MAX_VALUE)
		dest = MemoryContextAlloc(obj->hdr.eoh_context, size);
	else
	{
		if (asize > obj->arena_free)
		{
			if (obj->arena_block < ARPU_ARENA_MAX_BLOCK)
				obj->arena_block *= 2;
			/* a new block must hold the value (up to ARPU_ARENA_MAX_VALUE) */
			while (obj->arena_block < asize)
				obj->arena_block *= 2;
			obj->arena = MemoryContextAlloc(obj->hdr.eoh_context, obj->arena_block);
			obj->arena_free = obj->arena_block;
		}
		dest = obj->arena;
		obj->arena += asize;
		obj->arena_free -= asize;
	}
	memcpy(dest, DatumGetPointer(value), size);
	return PointerGetDatum(dest);
}

/*
 * Add a customer unless already present; value must be detoasted (it may
 * have a short header).  Returns true if it was new.
 */
static bool
arpu_insert(ArpuObject *obj, Datum value)
{
	uint32		h = arpu_hash(obj, value);
	uint32		mask = obj->nslots - 1;
	uint32		s = h & mask;
	uint32		idx;

	for (;;)
	{
		uint32		slot = obj->slots[s];

		if (slot == 0)
			break;
		idx = slot - 1;
		if (obj->bitwise)
		{
			if (obj->values[idx] == value)
				return false;
		}
		else if (obj->hashes[idx] == h &&
				 DatumGetBool(FunctionCall2Coll(obj->eq_finfo, obj->collation,
												obj->values[idx], value)))
			return false;
		s = (s + 1) & mask;
	}

	if (obj->nvalues >= ARPU_MAX_VALUES)
		ereport(ERROR, ARPU_TOO_MANY_VALUES_ERROR());
	if (obj->nvalues == obj->values_cap)
	{
		obj->values_cap *= 2;
		obj->values = repalloc_huge(obj->values, (Size) obj->values_cap * sizeof(Datum));
		if (!obj->bitwise)
			obj->hashes = repalloc_huge(obj->hashes, (Size) obj->values_cap * sizeof(uint32));
	}
	idx = obj->nvalues++;
	obj->values[idx] = obj->typbyval ? value : arpu_copy_value(obj, value);
	if (!obj->bitwise)
		obj->hashes[idx] = h;
	obj->slots[s] = idx + 1;
	obj->flat_size = 0;

	/* keep the load factor at or below 3/4 */
	if ((uint64) obj->nvalues * 4 > (uint64) obj->nslots * 3)
		arpu_grow_slots(obj);
	return true;
}

/* Copy a numeric into a growable buffer of the object. */
static void
arpu_store_numeric(ArpuObject *obj, Numeric *buf, Size *cap, Numeric value)
{
	Size		size = VARSIZE(value);

	if (size > *cap)
	{
		Size		newcap = Max(size, *cap * 2);

		*buf = *buf ? repalloc(*buf, newcap)
			: MemoryContextAlloc(obj->hdr.eoh_context, newcap);
		*cap = newcap;
	}
	memcpy(*buf, value, size);
}

static void
arpu_set_sum(ArpuObject *obj, Numeric sum)
{
	arpu_store_numeric(obj, &obj->sum, &obj->sum_cap, sum);
	obj->total_valid = false;
	obj->flat_size = 0;
}

/*
 * Add a revenue.
 *
 * Inside an aggregate (aggfcinfo is the caller's fcinfo) the revenue goes
 * through numeric_avg_accum, the transition function of PostgreSQL's own
 * sum(numeric), called with the aggregate's context: it keeps its
 * NumericAggState in the aggregate memory context and adds without
 * allocating per row, so arpu sums exactly like sum() and as fast.
 * Elsewhere (direct calls, state input) numeric_add does, its result being
 * copied into the object's buffer.
 */
static void
arpu_add_revenue(ArpuObject *obj, Numeric revenue, FunctionCallInfo aggfcinfo)
{
	if (aggfcinfo)
	{
		LOCAL_FCINFO(acc_fcinfo, 2);
		Datum		result;

		InitFunctionCallInfoData(*acc_fcinfo, NULL, 2, InvalidOid,
								 aggfcinfo->context, NULL);
		acc_fcinfo->args[0].value = PointerGetDatum(obj->acc);
		acc_fcinfo->args[0].isnull = (obj->acc == NULL);
		acc_fcinfo->args[1].value = NumericGetDatum(revenue);
		acc_fcinfo->args[1].isnull = false;
		result = numeric_avg_accum(acc_fcinfo);
		if (acc_fcinfo->isnull)
			elog(ERROR, "numeric_avg_accum returned NULL");
		obj->acc = DatumGetPointer(result);
		obj->total_valid = false;
		obj->flat_size = 0;
	}
	else
		arpu_set_sum(obj, numeric_add_opt_error(obj->sum, revenue, NULL));
}

/* The revenue total of an expanded state (valid until the next update). */
static Numeric
arpu_total(ArpuObject *obj)
{
	LOCAL_FCINFO(sum_fcinfo, 1);
	MemoryContext oldcxt;
	Datum		accsum;
	Numeric		total;

	if (obj->acc == NULL)
		return obj->sum;
	if (obj->total_valid)
		return obj->total;

	/*
	 * The expanded-object methods call this in whatever memory context
	 * their caller is in, and from PostgreSQL 17 on that may be a bump
	 * context, where pfree is not allowed (tuplesort forms its tuples in
	 * one: a partial arpu state sorted in a parallel worker).  numeric_sum
	 * frees its temporaries, so the sums are computed in the object's own
	 * context and their results freed once copied.
	 */
	oldcxt = MemoryContextSwitchTo(obj->hdr.eoh_context);
	InitFunctionCallInfoData(*sum_fcinfo, NULL, 1, InvalidOid, NULL, NULL);
	sum_fcinfo->args[0].value = PointerGetDatum(obj->acc);
	sum_fcinfo->args[0].isnull = false;
	accsum = numeric_sum(sum_fcinfo);
	if (sum_fcinfo->isnull)
	{
		/* nothing accumulated */
		MemoryContextSwitchTo(oldcxt);
		return obj->sum;
	}
	total = numeric_add_opt_error(obj->sum, DatumGetNumeric(accsum), NULL);
	arpu_store_numeric(obj, &obj->total, &obj->total_cap, total);
	pfree(total);
	pfree(DatumGetPointer(accsum));
	MemoryContextSwitchTo(oldcxt);
	obj->total_valid = true;
	return obj->total;
}

/* Create an empty state for customers of elemtype under parent. */
static ArpuObject *
arpu_new(Oid elemtype, Oid collation, MemoryContext parent)
{
	MemoryContext objcxt;
	ArpuObject *obj;
	TypeCacheEntry *typentry;
	Numeric		zero;

	typentry = lookup_type_cache(elemtype,
								 TYPECACHE_HASH_PROC_FINFO | TYPECACHE_EQ_OPR_FINFO);
	if (!OidIsValid(typentry->hash_proc_finfo.fn_oid) ||
		!OidIsValid(typentry->eq_opr_finfo.fn_oid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("could not identify a hash function for type %s",
						format_type_be(elemtype)),
				 errhint("arpu needs a customer type with a default hash operator class.")));

	objcxt = AllocSetContextCreate(parent, "churn arpu state", ALLOCSET_SMALL_SIZES);
	obj = MemoryContextAllocZero(objcxt, sizeof(ArpuObject));
	EOH_init_header(&obj->hdr, &arpu_methods, objcxt);

	obj->elemtype = elemtype;
	obj->collation = OidIsValid(collation) ? collation : typentry->typcollation;
	obj->typlen = typentry->typlen;
	obj->typbyval = typentry->typbyval;
	obj->typalign = typentry->typalign;
	obj->bitwise = obj->typbyval && arpu_type_is_bitwise(elemtype);
	obj->hash_finfo = &typentry->hash_proc_finfo;
	obj->eq_finfo = &typentry->eq_opr_finfo;

	zero = int64_to_numeric(0);
	obj->sum_cap = Max(VARSIZE(zero), 32);
	obj->sum = MemoryContextAlloc(objcxt, obj->sum_cap);
	memcpy(obj->sum, zero, VARSIZE(zero));

	obj->values_cap = 8;
	obj->values = MemoryContextAlloc(objcxt, obj->values_cap * sizeof(Datum));
	if (!obj->bitwise)
		obj->hashes = MemoryContextAlloc(objcxt, obj->values_cap * sizeof(uint32));
	obj->nslots = 16;
	obj->slots = MemoryContextAllocZero(objcxt, obj->nslots * sizeof(uint32));
	obj->arena_block = 128;
	return obj;
}

/* ---------- flat form ---------- */

/*
 * Size of the flat form, cached, or 0 if it would exceed the 1 GB limit of
 * a varlena (arpu_get_flat_size throws then; the text input, whose
 * customers' flat forms may be longer than their text, reports it softly).
 */
static Size
arpu_compute_flat_size(ArpuObject *obj)
{
	Size		size;
	uint32		i;

	if (obj->flat_size)
		return obj->flat_size;
	size = ARPU_FLAT_HDRSZ + VARSIZE(arpu_total(obj));
	for (i = 0; i < obj->nvalues; i++)
	{
		size = att_align_nominal(size, obj->typalign);
		size = att_addlength_datum(size, obj->typlen, obj->values[i]);
	}
	if (!AllocSizeIsValid(size))
		return 0;
	obj->flat_size = size;
	return size;
}

static Size
arpu_get_flat_size(ExpandedObjectHeader *eohptr)
{
	ArpuObject *obj = (ArpuObject *) eohptr;
	Size		size;

	Assert(obj->hdr.eoh_methods == &arpu_methods);
	size = arpu_compute_flat_size(obj);
	if (size == 0)
		ereport(ERROR, ARPU_TOO_LARGE_ERROR(obj->nvalues));
	return size;
}

static void
arpu_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	ArpuObject *obj = (ArpuObject *) eohptr;
	ArpuFlat   *flat = (ArpuFlat *) result;
	Numeric		total;
	Size		off;
	uint32		i;

	Assert(allocated_size == obj->flat_size);
	memset(result, 0, allocated_size);
	SET_VARSIZE(flat, allocated_size);
	flat->version = ARPU_FORMAT_VERSION;
	flat->elemtype = obj->elemtype;
	flat->nvalues = (int32) obj->nvalues;
	total = arpu_total(obj);
	flat->sumlen = (int32) VARSIZE(total);
	memcpy(ARPU_FLAT_SUM(flat), total, VARSIZE(total));
	off = ARPU_FLAT_HDRSZ + VARSIZE(total);
	for (i = 0; i < obj->nvalues; i++)
	{
		Datum		v = obj->values[i];
		char	   *p;

		off = att_align_nominal(off, obj->typalign);
		p = (char *) result + off;
		if (obj->typbyval)
			store_att_byval(p, v, obj->typlen);
		else
			memcpy(p, DatumGetPointer(v), datumGetSize(v, false, obj->typlen));
		off = att_addlength_datum(off, obj->typlen, v);
	}
	Assert(off == allocated_size);
}

/* Flatten a temporary object into the current context and free it. */
static ArpuFlat *
arpu_flatten_and_free(ArpuObject *obj)
{
	Size		size = EOH_get_flat_size(&obj->hdr);
	ArpuFlat   *flat = palloc(size);

	EOH_flatten_into(&obj->hdr, flat, size);
	DeleteExpandedObject(EOHPGetRWDatum(&obj->hdr));
	return flat;
}

/* ---------- reading a state in either form ---------- */

typedef struct ArpuView
{
	Oid			elemtype;
	Numeric		sum;
	uint32		nvalues;
	ArpuObject *obj;			/* expanded form, or NULL */
	char	   *next;			/* flat form: next value */
	int16		typlen;
	bool		typbyval;
	char		typalign;
	uint32		pos;
} ArpuView;

static void
arpu_view_init(ArpuView *view, Datum state)
{
	memset(view, 0, sizeof(ArpuView));
	if (VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(state)))
	{
		ArpuObject *obj = (ArpuObject *) DatumGetEOHP(state);

		if (obj->hdr.eoh_methods != &arpu_methods)
			elog(ERROR, "expanded object is not an arpu state");
		view->obj = obj;
		view->elemtype = obj->elemtype;
		view->sum = arpu_total(obj);
		view->nvalues = obj->nvalues;
	}
	else
	{
		ArpuFlat   *flat = (ArpuFlat *) PG_DETOAST_DATUM(state);

		if (flat->version != ARPU_FORMAT_VERSION)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("unsupported arpu_state format version \"%d\"", flat->version)));
		view->elemtype = flat->elemtype;
		view->sum = ARPU_FLAT_SUM(flat);
		view->nvalues = (uint32) flat->nvalues;
		view->next = ARPU_FLAT_VALUES(flat);
		get_typlenbyvalalign(flat->elemtype, &view->typlen, &view->typbyval,
							 &view->typalign);
	}
}

static Datum
arpu_view_next(ArpuView *view)
{
	Datum		v;

	Assert(view->pos < view->nvalues);
	if (view->obj)
		return view->obj->values[view->pos++];
	view->next = (char *) att_align_nominal(view->next, view->typalign);
	v = fetch_att(view->next, view->typbyval, view->typlen);
	view->next = att_addlength_pointer(view->next, view->typlen, view->next);
	view->pos++;
	return v;
}

/* Merge a state into obj (same customer type). */
static void
arpu_merge(ArpuObject *obj, ArpuView *view, FunctionCallInfo aggfcinfo)
{
	if (view->elemtype != obj->elemtype)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("cannot combine arpu states of customer types %s and %s",
						format_type_be(obj->elemtype), format_type_be(view->elemtype))));
	arpu_add_revenue(obj, view->sum, aggfcinfo);
	while (view->pos < view->nvalues)
		arpu_insert(obj, arpu_view_next(view));
}

/*
 * The state to update from argument argno: the R/W expanded object itself
 * inside an aggregate, else a new object (under the aggregate context, or
 * the current one for a direct call) filled from the argument.
 */
static ArpuObject *
arpu_state_for_update(FunctionCallInfo fcinfo, int argno, MemoryContext aggcontext,
					  Oid elemtype)
{
	Datum		state;
	ArpuObject *obj;
	ArpuView	view;

	if (PG_ARGISNULL(argno))
		return arpu_new(elemtype, PG_GET_COLLATION(),
						aggcontext ? aggcontext : CurrentMemoryContext);
	state = PG_GETARG_DATUM(argno);
	if (aggcontext && VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(state)) &&
		DatumGetEOHP(state)->eoh_methods == &arpu_methods)
		obj = (ArpuObject *) DatumGetEOHP(state);
	else
	{
		arpu_view_init(&view, state);
		obj = arpu_new(view.elemtype, PG_GET_COLLATION(),
					   aggcontext ? aggcontext : CurrentMemoryContext);
		arpu_merge(obj, &view, aggcontext ? fcinfo : NULL);
	}
	if (OidIsValid(elemtype) && obj->elemtype != elemtype)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("arpu state holds customers of type %s, not %s",
						format_type_be(obj->elemtype), format_type_be(elemtype))));
	return obj;
}

/* Inside an aggregate return the R/W object; outside, a flat copy of it. */
static Datum
arpu_result(ArpuObject *obj, MemoryContext aggcontext)
{
	if (aggcontext)
		return EOHPGetRWDatum(&obj->hdr);
	return PointerGetDatum(arpu_flatten_and_free(obj));
}

/* ---------- aggregate support ---------- */

/*
 * The customer type of a call of arpu_trans, looked up once per call site
 * and kept in fn_extra.
 *
 * The call expression gives the argument's actual type, which is what the
 * polymorphic arpu(numeric, anyelement) needs.  Some callers have none:
 * Citus's worker_partial_agg runs the transition function through a bare
 * fmgr_info() of its OID.  There the type the function was declared with
 * is the answer when it is not polymorphic, as for the overloads over
 * bigint, integer, smallint, text and uuid (one C function behind all of
 * them).  A polymorphic declaration without a call expression leaves the
 * type unknown, and that is an error: guessing (say, from the type stored
 * in a non-empty state) could read a Datum as a type it is not.
 */
static Oid
arpu_customer_type(FunctionCallInfo fcinfo)
{
	Oid		   *cached = (Oid *) fcinfo->flinfo->fn_extra;
	Oid			typid;

	if (likely(cached != NULL))
		return *cached;

	typid = get_fn_expr_argtype(fcinfo->flinfo, 2);
	if (!OidIsValid(typid))
	{
		HeapTuple	tup;
		Form_pg_proc procform;

		tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fcinfo->flinfo->fn_oid));
		if (!HeapTupleIsValid(tup))
			elog(ERROR, "cache lookup failed for function %u",
				 fcinfo->flinfo->fn_oid);
		procform = (Form_pg_proc) GETSTRUCT(tup);
		if (procform->pronargs == 3 &&
			!IsPolymorphicType(procform->proargtypes.values[2]) &&
			procform->proargtypes.values[2] != ANYOID)
			typid = procform->proargtypes.values[2];
		ReleaseSysCache(tup);
	}
	if (!OidIsValid(typid))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("could not determine the customer type of arpu"),
				 errdetail("The transition function was called without its call expression, and its customer argument is polymorphic."),
				 errhint("Call an overload of arpu with a declared customer type: bigint, integer, smallint, text or uuid.")));
	typid = getBaseType(typid);

	cached = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(Oid));
	*cached = typid;
	fcinfo->flinfo->fn_extra = cached;
	return typid;
}

PG_FUNCTION_INFO_V1(arpu_trans);
Datum
arpu_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	Oid			elemtype;
	ArpuObject *obj;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		aggcontext = NULL;
	elemtype = arpu_customer_type(fcinfo);

	obj = arpu_state_for_update(fcinfo, 0, aggcontext, elemtype);
	if (!PG_ARGISNULL(1))
		arpu_add_revenue(obj, PG_GETARG_NUMERIC(1), aggcontext ? fcinfo : NULL);
	if (!PG_ARGISNULL(2))
	{
		Datum		customer = PG_GETARG_DATUM(2);

		if (obj->typlen == -1)
			customer = PointerGetDatum(PG_DETOAST_DATUM_PACKED(customer));
		arpu_insert(obj, customer);
	}
	PG_RETURN_DATUM(arpu_result(obj, aggcontext));
}

PG_FUNCTION_INFO_V1(arpu_combine);
Datum
arpu_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	ArpuObject *obj;
	ArpuView	view;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		aggcontext = NULL;
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	arpu_view_init(&view, PG_GETARG_DATUM(1));
	if (PG_ARGISNULL(0))
		obj = arpu_new(view.elemtype, PG_GET_COLLATION(),
					   aggcontext ? aggcontext : CurrentMemoryContext);
	else
		obj = arpu_state_for_update(fcinfo, 0, aggcontext, InvalidOid);
	arpu_merge(obj, &view, aggcontext ? fcinfo : NULL);
	PG_RETURN_DATUM(arpu_result(obj, aggcontext));
}

PG_FUNCTION_INFO_V1(arpu_final);
Datum
arpu_final(PG_FUNCTION_ARGS)
{
	ArpuView	view;

	arpu_view_init(&view, PG_GETARG_DATUM(0));
	if (view.nvalues == 0)
		PG_RETURN_NULL();
	PG_RETURN_NUMERIC(numeric_div_opt_error(view.sum,
											int64_to_numeric(view.nvalues),
											NULL));
}

/* Number of distinct customers in a state (for tests and diagnostics). */
PG_FUNCTION_INFO_V1(arpu_state_customers);
Datum
arpu_state_customers(PG_FUNCTION_ARGS)
{
	ArpuView	view;

	arpu_view_init(&view, PG_GETARG_DATUM(0));
	PG_RETURN_INT64((int64) view.nvalues);
}

/* Revenue total of a state (for tests and diagnostics). */
PG_FUNCTION_INFO_V1(arpu_state_revenue);
Datum
arpu_state_revenue(PG_FUNCTION_ARGS)
{
	ArpuView	view;
	Numeric		copy;

	arpu_view_init(&view, PG_GETARG_DATUM(0));
	copy = palloc(VARSIZE(view.sum));
	memcpy(copy, view.sum, VARSIZE(view.sum));
	PG_RETURN_NUMERIC(copy);
}

/* ---------- text I/O ---------- */

static void
append_quoted(StringInfo buf, const char *s)
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
 * Parse a double-quoted string at *p into out; returns false on bad syntax.
 */
static bool
parse_quoted(const char **p, StringInfo out)
{
	const char *s = *p;

	resetStringInfo(out);
	if (*s++ != '"')
		return false;
	for (;;)
	{
		if (*s == '\0')
			return false;
		if (*s == '"')
			break;
		if (*s == '\\')
		{
			s++;
			if (*s == '\0')
				return false;
		}
		appendStringInfoChar(out, *s++);
	}
	*p = s + 1;
	return true;
}

/*
 * Resolve a type name of a state's text or binary form; InvalidOid if
 * unknown, not a plain type or without a default hash opclass (so the input
 * functions report it with their own SQLSTATE, 22P02 or 22P03, and the text
 * input softly when it has an ErrorSaveContext).
 *
 * The name comes from the user, and a bad one must not throw.  From 16
 * parseTypeString() reports an unknown or shell type softly (before, with
 * missing_ok, it returns InvalidOid for an unknown one), but on every
 * version a syntax error, a cross-database reference or a schema the user
 * may not use is thrown, so those are caught here.  Catching without a
 * subtransaction is safe only because what they leave behind is memory of
 * the current context, nothing that needs the transaction's abort: the
 * caller may go on (a soft error) rather than throw.  Hence two guards.  A
 * type modifier is evaluated by typenameTypeMod() while it holds a syscache
 * reference, and may throw; the forms we write never have one, so a "("
 * outside double quotes is refused before parsing.  Any other error (query
 * cancel, out of memory, an internal error) is rethrown.
 */
static Oid
arpu_parse_type_name(const char *name)
{
	Oid			typid = InvalidOid;
	int32		typmod = -1;
	TypeCacheEntry *typentry;
	MemoryContext oldcxt = CurrentMemoryContext;
	bool		bad = false;
	bool		quoted = false;
	const char *c;
#if PG_VERSION_NUM >= 160000
	ErrorSaveContext escontext = {T_ErrorSaveContext};
#endif

	for (c = name; *c; c++)
	{
		if (*c == '"')
			quoted = !quoted;
		else if (*c == '(' && !quoted)
			return InvalidOid;
	}

	PG_TRY();
	{
#if PG_VERSION_NUM >= 160000
		if (!parseTypeString(name, &typid, &typmod, (Node *) &escontext))
			typid = InvalidOid;
#else
		parseTypeString(name, &typid, &typmod, true);
#endif
	}
	PG_CATCH();
	{
		int			sqlerrcode;

		MemoryContextSwitchTo(oldcxt);
		sqlerrcode = geterrcode();
		if (ERRCODE_TO_CATEGORY(sqlerrcode) != ERRCODE_SYNTAX_ERROR_OR_ACCESS_RULE_VIOLATION &&
			sqlerrcode != ERRCODE_FEATURE_NOT_SUPPORTED &&
			ERRCODE_TO_CATEGORY(sqlerrcode) != ERRCODE_INVALID_SCHEMA_NAME)
			PG_RE_THROW();
		FlushErrorState();
		bad = true;
	}
	PG_END_TRY();
	if (bad || !OidIsValid(typid) || typmod != -1)
		return InvalidOid;
	typentry = lookup_type_cache(typid, TYPECACHE_HASH_PROC | TYPECACHE_EQ_OPR);
	if (!OidIsValid(typentry->hash_proc) || !OidIsValid(typentry->eq_opr))
		return InvalidOid;
	return typid;
}

/*
 * The customer type's name for the text and binary forms: qualified unless
 * built in, and without a type modifier.  FORMAT_TYPE_TYPEMOD_GIVEN with -1
 * makes bpchar "bpchar" rather than "character", which would read back as
 * character(1).
 */
static char *
arpu_type_name(Oid typid)
{
	return format_type_extended(typid, -1,
								FORMAT_TYPE_TYPEMOD_GIVEN | FORMAT_TYPE_FORCE_QUALIFY);
}

PG_FUNCTION_INFO_V1(arpu_state_out);
Datum
arpu_state_out(PG_FUNCTION_ARGS)
{
	ArpuView	view;
	StringInfoData buf;
	Oid			typoutput;
	bool		isvarlena;
	uint32		i;

	arpu_view_init(&view, PG_GETARG_DATUM(0));
	getTypeOutputInfo(view.elemtype, &typoutput, &isvarlena);
	initStringInfo(&buf);
	appendStringInfo(&buf, "%d ", ARPU_FORMAT_VERSION);
	append_quoted(&buf, arpu_type_name(view.elemtype));
	appendStringInfo(&buf, " %s {",
					 DatumGetCString(DirectFunctionCall1(numeric_out,
														 NumericGetDatum(view.sum))));
	for (i = 0; i < view.nvalues; i++)
	{
		if (i > 0)
			appendStringInfoChar(&buf, ',');
		append_quoted(&buf, OidOutputFunctionCall(typoutput, arpu_view_next(&view)));
	}
	appendStringInfoChar(&buf, '}');
	PG_RETURN_CSTRING(buf.data);
}

/*
 * Bad text input: reported softly through escontext, returning dummy, when
 * there is one (16+), else thrown.
 */
#define ARPU_BAD_TEXT(escontext, dummy, str, ...) \
	churn_ereturn(escontext, dummy, \
				  (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION), \
				   errmsg("invalid input syntax for type %s: \"%s\"", "arpu_state", (str)), \
				   __VA_ARGS__))

/*
 * The rest of a state's text form from p: the customers, read into obj with
 * their type's input function, and the end of the string; str is the whole
 * input, tok a scratch buffer.  Returns false after a soft error (escontext
 * set), the state then being half-built.
 */
static bool
arpu_read_customers(ArpuObject *obj, const char *p, const char *str,
					StringInfo tok, Node *escontext)
{
	Oid			typinput;
	Oid			typioparam;
	FmgrInfo	flinfo;

	getTypeInputInfo(obj->elemtype, &typinput, &typioparam);
	fmgr_info(typinput, &flinfo);
	if (*p++ != '{')
		ARPU_BAD_TEXT(escontext, false, str,
					  errdetail("Expected \"{\" before the customers."));
	if (*p == '}')
		p++;
	else
	{
		for (;;)
		{
			Datum		v;

			if (!parse_quoted(&p, tok))
				ARPU_BAD_TEXT(escontext, false, str,
							  errdetail("Expected a double-quoted customer."));

			/* the customer type's own bad input is soft as well (16+) */
			if (!churn_input_call_safe(&flinfo, tok->data, typioparam, -1,
									   escontext, &v))
				return false;
			if (obj->typlen == -1)
				v = PointerGetDatum(PG_DETOAST_DATUM_PACKED(v));

			/* arpu_insert would throw */
			if (obj->nvalues >= ARPU_MAX_VALUES)
				churn_ereturn(escontext, false, ARPU_TOO_MANY_VALUES_ERROR());
			if (!arpu_insert(obj, v))
				ARPU_BAD_TEXT(escontext, false, str,
							  errdetail("Customer \"%s\" appears twice.", tok->data));
			if (*p == ',')
				p++;
			else if (*p == '}')
			{
				p++;
				break;
			}
			else
				ARPU_BAD_TEXT(escontext, false, str,
							  errdetail("Expected \",\" or \"}\" after a customer."));
		}
	}
	if (*p != '\0')
		ARPU_BAD_TEXT(escontext, false, str,
					  errdetail("Unexpected text after the customers."));

	/*
	 * A customer's flat form may be longer than its text (a range type's
	 * is), so the state may not fit in 1 GB; flattening would throw.
	 */
	if (arpu_compute_flat_size(obj) == 0)
		churn_ereturn(escontext, false, ARPU_TOO_LARGE_ERROR(obj->nvalues));
	return true;
}

/*
 * From 16, with an ErrorSaveContext in fcinfo->context, every error of bad
 * input (ours, the customer type's and numeric's) is reported softly and
 * (Datum) 0 returned at once.
 */
PG_FUNCTION_INFO_V1(arpu_state_in);
Datum
arpu_state_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	const char *p = str;
	StringInfoData tok;
	Oid			elemtype;
	ArpuObject *obj;
	Datum		sum;
	const char *start;
	char	   *sumtext;

	initStringInfo(&tok);

	/* version */
	if (!isdigit((unsigned char) *p))
		ARPU_BAD_TEXT(fcinfo->context, (Datum) 0, str,
					  errdetail("The state must start with its format version."));
	if (strtol(p, (char **) &p, 10) != ARPU_FORMAT_VERSION)
		ARPU_BAD_TEXT(fcinfo->context, (Datum) 0, str,
					  errdetail("Unsupported format version."));
	if (*p++ != ' ')
		ARPU_BAD_TEXT(fcinfo->context, (Datum) 0, str,
					  errdetail("Expected a space after the format version."));

	/* customer type */
	if (!parse_quoted(&p, &tok))
		ARPU_BAD_TEXT(fcinfo->context, (Datum) 0, str,
					  errdetail("Expected the customer type as a double-quoted name."));
	elemtype = arpu_parse_type_name(tok.data);
	if (!OidIsValid(elemtype))
		ARPU_BAD_TEXT(fcinfo->context, (Datum) 0, str,
					  errdetail("Unknown or unhashable customer type \"%s\".", tok.data));
	if (*p++ != ' ')
		ARPU_BAD_TEXT(fcinfo->context, (Datum) 0, str,
					  errdetail("Expected a space after the customer type."));

	/* revenue total */
	start = p;
	while (*p && *p != ' ')
		p++;
	if (p == start || *p != ' ')
		ARPU_BAD_TEXT(fcinfo->context, (Datum) 0, str,
					  errdetail("Expected the revenue total."));
	sumtext = pnstrdup(start, p - start);
	if (!churn_direct_input_call_safe(numeric_in, sumtext, InvalidOid, -1,
									  fcinfo->context, &sum))
		PG_RETURN_DATUM((Datum) 0);
	p++;

	obj = arpu_new(elemtype, InvalidOid, CurrentMemoryContext);
	arpu_set_sum(obj, DatumGetNumeric(sum));
	if (!arpu_read_customers(obj, p, str, &tok, fcinfo->context))
	{
		/* reported softly: drop the half-built state, return nothing */
		DeleteExpandedObject(EOHPGetRWDatum(&obj->hdr));
		PG_RETURN_DATUM((Datum) 0);
	}
	PG_RETURN_POINTER(arpu_flatten_and_free(obj));
}

/* ---------- binary I/O ---------- */

#define ARPU_BAD_BINARY(...) \
	ereport(ERROR, \
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION), \
			 errmsg("invalid binary arpu_state"), \
			 __VA_ARGS__))

static void
arpu_send_bytes(StringInfo buf, const char *data, int len)
{
	pq_sendint32(buf, len);
	pq_sendbytes(buf, data, len);
}

PG_FUNCTION_INFO_V1(arpu_state_send);
Datum
arpu_state_send(PG_FUNCTION_ARGS)
{
	ArpuView	view;
	StringInfoData buf;
	Oid			typsend;
	bool		isvarlena;
	char	   *name;
	bytea	   *b;
	uint32		i;

	arpu_view_init(&view, PG_GETARG_DATUM(0));
	getTypeBinaryOutputInfo(view.elemtype, &typsend, &isvarlena);
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, ARPU_FORMAT_VERSION);
	name = arpu_type_name(view.elemtype);
	arpu_send_bytes(&buf, name, strlen(name));
	b = DatumGetByteaPP(DirectFunctionCall1(numeric_send, NumericGetDatum(view.sum)));
	arpu_send_bytes(&buf, VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
	pq_sendint32(&buf, view.nvalues);
	for (i = 0; i < view.nvalues; i++)
	{
		b = OidSendFunctionCall(typsend, arpu_view_next(&view));
		arpu_send_bytes(&buf, VARDATA(b), VARSIZE(b) - VARHDRSZ);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* Read an int32 length and point sub at that many following bytes. */
static void
arpu_recv_part(StringInfo buf, StringInfo sub, const char *what)
{
	int			len;

	if (buf->len - buf->cursor < 4)
		ARPU_BAD_BINARY(errdetail("The message ends before the length of the %s.", what));
	len = pq_getmsgint(buf, 4);
	if (len < 0 || len > buf->len - buf->cursor)
		ARPU_BAD_BINARY(errdetail("Invalid length %d of the %s.", len, what));
	/* like array_recv: a NUL-terminated window into the message */
	sub->data = palloc(len + 1);
	memcpy(sub->data, buf->data + buf->cursor, len);
	sub->data[len] = '\0';
	sub->len = len;
	sub->maxlen = len + 1;
	sub->cursor = 0;
	buf->cursor += len;
}

/*
 * Run a receive function on a part of the message.  A receive function that
 * runs out of bytes reports a protocol violation (08P01, from pq_getmsg*);
 * here the message is a state value, so report it as bad binary data.
 */
static Datum
arpu_call_recv(Oid typreceive, StringInfo sub, Oid typioparam, const char *what)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	Datum		result = (Datum) 0;

	PG_TRY();
	{
		result = OidReceiveFunctionCall(typreceive, sub, typioparam, -1);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		if (edata->sqlerrcode != ERRCODE_PROTOCOL_VIOLATION)
			PG_RE_THROW();
		FlushErrorState();
		ARPU_BAD_BINARY(errdetail("The %s is malformed: %s", what, edata->message));
	}
	PG_END_TRY();
	if (sub->cursor != sub->len)
		ARPU_BAD_BINARY(errdetail("Trailing bytes after the %s.", what));
	return result;
}

PG_FUNCTION_INFO_V1(arpu_state_recv);
Datum
arpu_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	StringInfoData sub;
	int			version;
	Oid			elemtype;
	Oid			typreceive;
	Oid			typioparam;
	Datum		sum;
	int			n;
	int			i;
	ArpuObject *obj;

	if (buf->len - buf->cursor < 1)
		ARPU_BAD_BINARY(errdetail("The message is empty."));
	version = pq_getmsgbyte(buf);
	if (version != ARPU_FORMAT_VERSION)
		ARPU_BAD_BINARY(errdetail("Unsupported format version %d.", version));

	arpu_recv_part(buf, &sub, "customer type");
	elemtype = arpu_parse_type_name(sub.data);
	if (!OidIsValid(elemtype))
		ARPU_BAD_BINARY(errdetail("Unknown or unhashable customer type \"%s\".", sub.data));

	arpu_recv_part(buf, &sub, "revenue total");
	sum = arpu_call_recv(F_NUMERIC_RECV, &sub, InvalidOid, "revenue total");

	obj = arpu_new(elemtype, InvalidOid, CurrentMemoryContext);
	arpu_set_sum(obj, DatumGetNumeric(sum));

	if (buf->len - buf->cursor < 4)
		ARPU_BAD_BINARY(errdetail("The message ends before the number of customers."));
	n = pq_getmsgint(buf, 4);
	if (n < 0)
		ARPU_BAD_BINARY(errdetail("Invalid number of customers %d.", n));
	getTypeBinaryInputInfo(elemtype, &typreceive, &typioparam);
	for (i = 0; i < n; i++)
	{
		Datum		v;

		arpu_recv_part(buf, &sub, "customer");
		v = arpu_call_recv(typreceive, &sub, typioparam, "customer");
		if (obj->typlen == -1)
			v = PointerGetDatum(PG_DETOAST_DATUM_PACKED(v));
		if (!arpu_insert(obj, v))
			ARPU_BAD_BINARY(errdetail("Customer %d appears twice.", i + 1));
	}
	if (buf->cursor != buf->len)
		ARPU_BAD_BINARY(errdetail("Trailing bytes after the customers."));
	PG_RETURN_POINTER(arpu_flatten_and_free(obj));
}
