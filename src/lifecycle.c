/*-------------------------------------------------------------------------
 *
 * lifecycle.c
 *	  The churn.lifecycle type: I/O, comparison, hashing, labels and casts.
 *
 * A value is one byte holding a frozen code (lifecycle.h).  Order comes from
 * the rank table below, never from the code, so that a state added later can
 * take its place in the lifecycle without renumbering what is on disk.
 *
 * Text is in the database encoding.  The English names are ASCII and so the
 * same bytes in every server encoding; the Chinese labels are written here in
 * UTF-8 and converted to the database encoding once per backend.  In a
 * database whose encoding cannot represent them (LATIN1, ...) they simply
 * cannot be typed, and churn.label(x, 'zh') fails with the conversion error
 * of PostgreSQL (22P05) rather than returning mis-encoded bytes.  A SQL_ASCII
 * database stores bytes unchecked; there the labels are their UTF-8 bytes.
 *
 * src/lifecycle.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/sortsupport.h"

#include "lifecycle.h"
#include "state_io.h"

typedef struct LifecycleInfo
{
	const char *name;			/* English name: ASCII, lower case */
	const char *zh;				/* Chinese label, UTF-8 */
} LifecycleInfo;

/* Indexed by code. */
static const LifecycleInfo lifecycle_info[LIFECYCLE_NSTATES] = {
	[LIFECYCLE_PROSPECT] = {"prospect", "潜在客户"},
	[LIFECYCLE_NEW] = {"new", "新客户"},
	[LIFECYCLE_ACTIVE] = {"active", "活跃客户"},
	[LIFECYCLE_AT_RISK] = {"at_risk", "潜在流失"},
	[LIFECYCLE_DORMANT] = {"dormant", "休眠客户"},
	[LIFECYCLE_CHURNED] = {"churned", "流失客户"},
	[LIFECYCLE_REACTIVATED] = {"reactivated", "挽回客户"},
};

/*
 * Lifecycle order.  rank_of_code[] and code_at_rank[] must stay inverse
 * permutations of 0 .. LIFECYCLE_NSTATES - 1.  Today the order happens to be
 * the code order; changing it later changes the sort order of btree indexes
 * on lifecycle columns, which then need a REINDEX.
 */
static const int rank_of_code[LIFECYCLE_NSTATES] = {
	[LIFECYCLE_PROSPECT] = 0,
	[LIFECYCLE_NEW] = 1,
	[LIFECYCLE_ACTIVE] = 2,
	[LIFECYCLE_AT_RISK] = 3,
	[LIFECYCLE_DORMANT] = 4,
	[LIFECYCLE_CHURNED] = 5,
	[LIFECYCLE_REACTIVATED] = 6,
};

static const Lifecycle code_at_rank[LIFECYCLE_NSTATES] = {
	LIFECYCLE_PROSPECT,
	LIFECYCLE_NEW,
	LIFECYCLE_ACTIVE,
	LIFECYCLE_AT_RISK,
	LIFECYCLE_DORMANT,
	LIFECYCLE_CHURNED,
	LIFECYCLE_REACTIVATED,
};

/*
 * The Chinese labels in the database encoding, computed on first use (the
 * database of a backend never changes).  NULL where the encoding cannot
 * represent a label.
 */
static const char *zh_server[LIFECYCLE_NSTATES];
static int	zh_server_len[LIFECYCLE_NSTATES];
static bool zh_server_loaded = false;

/* Longest label we ever convert, in bytes of UTF-8. */
#define LIFECYCLE_MAX_LABEL_BYTES	32

static void
load_server_labels(void)
{
	int			enc = GetDatabaseEncoding();
	Oid			proc = InvalidOid;
	int			i;

	if (zh_server_loaded)
		return;

	if (enc != PG_UTF8 && enc != PG_SQL_ASCII)
		proc = FindDefaultConversionProc(PG_UTF8, enc);

	for (i = 0; i < LIFECYCLE_NSTATES; i++)
	{
		const char *src = lifecycle_info[i].zh;
		int			srclen = strlen(src);

		zh_server[i] = NULL;
		zh_server_len[i] = 0;

		if (enc == PG_UTF8 || enc == PG_SQL_ASCII)
		{
			zh_server[i] = src;
			zh_server_len[i] = srclen;
		}
		else if (OidIsValid(proc) && srclen <= LIFECYCLE_MAX_LABEL_BYTES)
		{
			unsigned char buf[LIFECYCLE_MAX_LABEL_BYTES * MAX_CONVERSION_GROWTH + 1];
			int			done;

			done = pg_do_encoding_conversion_buf(proc, PG_UTF8, enc,
												 (unsigned char *) src, srclen,
												 buf, sizeof(buf), true);
			if (done == srclen)
			{
				zh_server[i] = MemoryContextStrdup(TopMemoryContext,
												   (char *) buf);
				zh_server_len[i] = strlen(zh_server[i]);
			}
		}
	}
	zh_server_loaded = true;
}

/*
 * Raise 22P03 for a byte that is not one of the codes: such a byte can only
 * come from outside (a binary-coercible cast, a corrupt page), and must never
 * index our tables.
 */
void
lifecycle_check(Lifecycle code)
{
	if (!LifecycleIsValid(code))
		ereport(ERROR,
				errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				errmsg("invalid internal value %u for type lifecycle",
					   (unsigned int) code),
				errdetail("Valid codes are 0 to %d.", LIFECYCLE_NSTATES - 1));
}

const char *
lifecycle_name(Lifecycle code)
{
	lifecycle_check(code);
	return lifecycle_info[code].name;
}

const char *
lifecycle_label_utf8(Lifecycle code, LifecycleLang lang)
{
	lifecycle_check(code);
	return lang == LIFECYCLE_LANG_ZH ? lifecycle_info[code].zh
		: lifecycle_info[code].name;
}

/*
 * The label in the database encoding, palloc'd.  pg_any_to_server raises the
 * usual 22P05 when the database encoding has no such characters.
 */
char *
lifecycle_label(Lifecycle code, LifecycleLang lang)
{
	const char *src = lifecycle_label_utf8(code, lang);
	char	   *res;

	if (lang == LIFECYCLE_LANG_EN)
		return pstrdup(src);
	res = pg_any_to_server(src, strlen(src), PG_UTF8);
	return res == src ? pstrdup(src) : res;
}

LifecycleLang
lifecycle_lang_from_string(const char *lang)
{
	if (pg_strcasecmp(lang, "en") == 0)
		return LIFECYCLE_LANG_EN;
	if (pg_strcasecmp(lang, "zh") == 0)
		return LIFECYCLE_LANG_ZH;
	ereport(ERROR,
			errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			errmsg("unsupported language \"%s\" for lifecycle labels", lang),
			errhint("Supported languages are \"en\" (English) and \"zh\" (Chinese)."));
	return LIFECYCLE_LANG_EN;	/* keep compiler quiet */
}

int
lifecycle_rank(Lifecycle code)
{
	lifecycle_check(code);
	return rank_of_code[code];
}

Lifecycle
lifecycle_at_rank(int rank)
{
	if (rank < 0 || rank >= LIFECYCLE_NSTATES)
		elog(ERROR, "lifecycle rank %d out of range", rank);
	return code_at_rank[rank];
}

int
lifecycle_cmp_internal(Lifecycle a, Lifecycle b)
{
	int			ra = lifecycle_rank(a);
	int			rb = lifecycle_rank(b);

	return (ra > rb) - (ra < rb);
}

/* Whitespace as the SQL scanner knows it, plus vertical tab. */
static inline bool
lifecycle_isspace(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		c == '\f' || c == '\v';
}

/* ASCII-only case-insensitive equality: locale rules must not fold to ASCII. */
static bool
ascii_caseless_equal(const char *s, const char *lower, int n)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		char		c = s[i];

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (c != lower[i])
			return false;
	}
	return true;
}

/*
 * Parse a name or label given in the database encoding.  Trimming ASCII
 * whitespace byte by byte is safe: every server encoding is ASCII-safe (no
 * byte of a multibyte character is below 0x80).
 */
bool
lifecycle_parse(const char *str, int len, Lifecycle *result)
{
	const char *s = str;
	const char *e = str + len;
	int			n;
	int			i;

	while (s < e && lifecycle_isspace(*s))
		s++;
	while (e > s && lifecycle_isspace(e[-1]))
		e--;
	n = e - s;

	for (i = 0; i < LIFECYCLE_NSTATES; i++)
	{
		const char *name = lifecycle_info[i].name;

		if ((int) strlen(name) == n && ascii_caseless_equal(s, name, n))
		{
			*result = (Lifecycle) i;
			return true;
		}
	}

	/*
	 * Only now look at the labels: names are the common case.  Loading them
	 * here also means that the error path (whose hint lists them) never
	 * does its catalog lookup while an error is being built.
	 */
	load_server_labels();
	if (n == 0 || n > LIFECYCLE_MAX_LABEL_BYTES * MAX_CONVERSION_GROWTH)
		return false;
	for (i = 0; i < LIFECYCLE_NSTATES; i++)
	{
		if (zh_server[i] != NULL && zh_server_len[i] == n &&
			memcmp(zh_server[i], s, n) == 0)
		{
			*result = (Lifecycle) i;
			return true;
		}
	}
	return false;
}

/*
 * The accepted values, for a HINT, in the database encoding: the names, and
 * the Chinese labels when the database encoding can represent them.
 */
char *
lifecycle_accepted_values(void)
{
	StringInfoData buf;
	bool		all_zh = true;
	int			r;

	load_server_labels();
	initStringInfo(&buf);
	for (r = 0; r < LIFECYCLE_NSTATES; r++)
	{
		Lifecycle	c = code_at_rank[r];

		appendStringInfo(&buf, "%s%s", r > 0 ? ", " : "", lifecycle_info[c].name);
		if (zh_server[c] == NULL)
			all_zh = false;
	}
	appendStringInfoString(&buf, " (in any letter case)");
	if (all_zh)
	{
		appendStringInfoString(&buf, " and the Chinese labels ");
		for (r = 0; r < LIFECYCLE_NSTATES; r++)
			appendStringInfo(&buf, "%s%s", r > 0 ? ", " : "",
							 zh_server[code_at_rank[r]]);
	}
	else
		appendStringInfo(&buf, "; the Chinese labels cannot be represented in database encoding \"%s\"",
						 GetDatabaseEncodingName());
	return buf.data;
}

#define LIFECYCLE_SYNTAX_ERROR(str) \
	errcode(ERRCODE_INVALID_TEXT_REPRESENTATION), \
	errmsg("invalid input syntax for type lifecycle: \"%s\"", (str)), \
	errhint("Accepted values are %s.", lifecycle_accepted_values())

Lifecycle
lifecycle_from_cstring(const char *str)
{
	Lifecycle	result;

	if (!lifecycle_parse(str, strlen(str), &result))
		ereport(ERROR, LIFECYCLE_SYNTAX_ERROR(str));
	return result;
}

/*
 * I/O
 */

PG_FUNCTION_INFO_V1(lifecycle_in);
Datum
lifecycle_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	Lifecycle	result;

	if (!lifecycle_parse(str, strlen(str), &result))
		churn_ereturn(fcinfo->context, (Datum) 0, LIFECYCLE_SYNTAX_ERROR(str));
	PG_RETURN_LIFECYCLE(result);
}

PG_FUNCTION_INFO_V1(lifecycle_out);
Datum
lifecycle_out(PG_FUNCTION_ARGS)
{
	Lifecycle	code = PG_GETARG_LIFECYCLE(0);

	PG_RETURN_CSTRING(pstrdup(lifecycle_name(code)));
}

/* Binary format: the code, one byte. */
PG_FUNCTION_INFO_V1(lifecycle_recv);
Datum
lifecycle_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			code = pq_getmsgbyte(buf);

	if (!LifecycleIsValid(code))
		ereport(ERROR,
				errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				errmsg("invalid binary value %d for type lifecycle", code),
				errdetail("Valid codes are 0 to %d.", LIFECYCLE_NSTATES - 1));
	PG_RETURN_LIFECYCLE((Lifecycle) code);
}

PG_FUNCTION_INFO_V1(lifecycle_send);
Datum
lifecycle_send(PG_FUNCTION_ARGS)
{
	Lifecycle	code = PG_GETARG_LIFECYCLE(0);
	StringInfoData buf;

	lifecycle_check(code);
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, code);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/*
 * Comparison, in lifecycle order
 */

PG_FUNCTION_INFO_V1(lifecycle_lt);
Datum
lifecycle_lt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(lifecycle_cmp_internal(PG_GETARG_LIFECYCLE(0),
										  PG_GETARG_LIFECYCLE(1)) < 0);
}

PG_FUNCTION_INFO_V1(lifecycle_le);
Datum
lifecycle_le(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(lifecycle_cmp_internal(PG_GETARG_LIFECYCLE(0),
										  PG_GETARG_LIFECYCLE(1)) <= 0);
}

PG_FUNCTION_INFO_V1(lifecycle_eq);
Datum
lifecycle_eq(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(lifecycle_cmp_internal(PG_GETARG_LIFECYCLE(0),
										  PG_GETARG_LIFECYCLE(1)) == 0);
}

PG_FUNCTION_INFO_V1(lifecycle_ne);
Datum
lifecycle_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(lifecycle_cmp_internal(PG_GETARG_LIFECYCLE(0),
										  PG_GETARG_LIFECYCLE(1)) != 0);
}

PG_FUNCTION_INFO_V1(lifecycle_ge);
Datum
lifecycle_ge(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(lifecycle_cmp_internal(PG_GETARG_LIFECYCLE(0),
										  PG_GETARG_LIFECYCLE(1)) >= 0);
}

PG_FUNCTION_INFO_V1(lifecycle_gt);
Datum
lifecycle_gt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(lifecycle_cmp_internal(PG_GETARG_LIFECYCLE(0),
										  PG_GETARG_LIFECYCLE(1)) > 0);
}

PG_FUNCTION_INFO_V1(lifecycle_cmp);
Datum
lifecycle_cmp(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(lifecycle_cmp_internal(PG_GETARG_LIFECYCLE(0),
										   PG_GETARG_LIFECYCLE(1)));
}

/*
 * Btree sort support: the same comparison without the function-call
 * overhead, for sorts and index builds.
 */
static int
lifecycle_fastcmp(Datum x, Datum y, SortSupport ssup)
{
	return lifecycle_cmp_internal(DatumGetLifecycle(x), DatumGetLifecycle(y));
}

PG_FUNCTION_INFO_V1(lifecycle_sortsupport);
Datum
lifecycle_sortsupport(PG_FUNCTION_ARGS)
{
	SortSupport ssup = (SortSupport) PG_GETARG_POINTER(0);

	ssup->comparator = lifecycle_fastcmp;
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(lifecycle_smaller);
Datum
lifecycle_smaller(PG_FUNCTION_ARGS)
{
	Lifecycle	a = PG_GETARG_LIFECYCLE(0);
	Lifecycle	b = PG_GETARG_LIFECYCLE(1);

	PG_RETURN_LIFECYCLE(lifecycle_cmp_internal(a, b) <= 0 ? a : b);
}

PG_FUNCTION_INFO_V1(lifecycle_larger);
Datum
lifecycle_larger(PG_FUNCTION_ARGS)
{
	Lifecycle	a = PG_GETARG_LIFECYCLE(0);
	Lifecycle	b = PG_GETARG_LIFECYCLE(1);

	PG_RETURN_LIFECYCLE(lifecycle_cmp_internal(a, b) >= 0 ? a : b);
}

/*
 * Hashing.  Equal values have equal codes, so hashing the frozen code is
 * consistent with "=" and keeps hash indexes valid if the order ever changes.
 */
PG_FUNCTION_INFO_V1(lifecycle_hash);
Datum
lifecycle_hash(PG_FUNCTION_ARGS)
{
	Lifecycle	code = PG_GETARG_LIFECYCLE(0);

	lifecycle_check(code);
	return hash_uint32((uint32) code);
}

PG_FUNCTION_INFO_V1(lifecycle_hash_extended);
Datum
lifecycle_hash_extended(PG_FUNCTION_ARGS)
{
	Lifecycle	code = PG_GETARG_LIFECYCLE(0);
	uint64		seed = PG_GETARG_INT64(1);

	lifecycle_check(code);
	return hash_uint32_extended((uint32) code, seed);
}

/*
 * Labels and casts
 */

PG_FUNCTION_INFO_V1(lifecycle_label_sql);
Datum
lifecycle_label_sql(PG_FUNCTION_ARGS)
{
	Lifecycle	code = PG_GETARG_LIFECYCLE(0);
	char	   *lang = text_to_cstring(PG_GETARG_TEXT_PP(1));

	PG_RETURN_TEXT_P(cstring_to_text(lifecycle_label(code,
													 lifecycle_lang_from_string(lang))));
}

PG_FUNCTION_INFO_V1(lifecycle_to_text);
Datum
lifecycle_to_text(PG_FUNCTION_ARGS)
{
	Lifecycle	code = PG_GETARG_LIFECYCLE(0);

	PG_RETURN_TEXT_P(cstring_to_text(lifecycle_name(code)));
}

PG_FUNCTION_INFO_V1(lifecycle_from_text);
Datum
lifecycle_from_text(PG_FUNCTION_ARGS)
{
	char	   *str = text_to_cstring(PG_GETARG_TEXT_PP(0));

	PG_RETURN_LIFECYCLE(lifecycle_from_cstring(str));
}
