/*-------------------------------------------------------------------------
 *
 * lifecycle.h
 *	  The churn.lifecycle type: a customer-lifecycle state in one byte.
 *
 * src/lifecycle.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHURN_LIFECYCLE_H
#define CHURN_LIFECYCLE_H

#include "fmgr.h"

/*
 * The byte is the on-disk and binary-wire format of churn.lifecycle: these
 * codes are frozen.  Never renumber them; a new state gets a new code and its
 * place in the lifecycle order comes from the rank table in lifecycle.c, not
 * from the code.
 */
typedef uint8 Lifecycle;

#define LIFECYCLE_PROSPECT		0
#define LIFECYCLE_NEW			1
#define LIFECYCLE_ACTIVE		2
#define LIFECYCLE_AT_RISK		3
#define LIFECYCLE_DORMANT		4
#define LIFECYCLE_CHURNED		5
#define LIFECYCLE_REACTIVATED	6

#define LIFECYCLE_NSTATES		7

#define LifecycleIsValid(c)		((c) < LIFECYCLE_NSTATES)

#define DatumGetLifecycle(X)	((Lifecycle) DatumGetUInt8(X))
#define LifecycleGetDatum(X)	UInt8GetDatum(X)
#define PG_GETARG_LIFECYCLE(n)	DatumGetLifecycle(PG_GETARG_DATUM(n))
#define PG_RETURN_LIFECYCLE(x)	return LifecycleGetDatum(x)

/* Languages of churn.label(). */
typedef enum LifecycleLang
{
	LIFECYCLE_LANG_EN,			/* the English name, as lifecycle_out prints */
	LIFECYCLE_LANG_ZH			/* the Chinese label (doc/lifecycle.md) */
} LifecycleLang;

/*
 * Names, labels and order (lifecycle.c).
 *
 * lifecycle_name() is the ASCII English name; lifecycle_label_utf8() the
 * label in UTF-8 (as written in the source); lifecycle_label() the label as a
 * palloc'd string in the database encoding (22P05 when the database encoding
 * cannot represent it).  All of them raise 22P03 for a byte that is not a
 * valid code, as does lifecycle_check().
 */
extern void lifecycle_check(Lifecycle code);
extern const char *lifecycle_name(Lifecycle code);
extern const char *lifecycle_label_utf8(Lifecycle code, LifecycleLang lang);
extern char *lifecycle_label(Lifecycle code, LifecycleLang lang);
extern LifecycleLang lifecycle_lang_from_string(const char *lang);

/*
 * The position of a state in lifecycle order (0 .. LIFECYCLE_NSTATES - 1),
 * and back.  Sort, compare and iterate in this order, never by raw code.
 */
extern int	lifecycle_rank(Lifecycle code);
extern Lifecycle lifecycle_at_rank(int rank);
extern int	lifecycle_cmp_internal(Lifecycle a, Lifecycle b);

/*
 * Parsing text in the database encoding: an English name (ASCII letters in
 * any case) or a Chinese label, surrounding whitespace ignored.
 * lifecycle_parse() reports failure by returning false and never raises an
 * error; lifecycle_from_cstring() raises 22P02 quoting the input, with a
 * hint that lists the accepted values (lifecycle_accepted_values()).
 */
extern bool lifecycle_parse(const char *str, int len, Lifecycle *result);
extern Lifecycle lifecycle_from_cstring(const char *str);
extern char *lifecycle_accepted_values(void);

/*
 * The transition table (lifecycle_transition.c).  Staying in the same state
 * is always allowed.  lifecycle_next_states() lists the other states that
 * "from" may move to, in lifecycle order, as "a, b, c" (palloc'd).
 */
extern bool lifecycle_transition_allowed(Lifecycle from, Lifecycle to);
extern char *lifecycle_next_states(Lifecycle from);

#endif							/* CHURN_LIFECYCLE_H */
