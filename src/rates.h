/*-------------------------------------------------------------------------
 *
 * rates.h
 *	  Text scanning and validation helpers shared by the state types of the
 *	  rate, period-series and diversion aggregates.
 *
 * Every aggregate state of these files is a real type of the extension (not
 * internal), so that partial aggregation can be shipped as text (Citus) or
 * binary; input validates every field and fails with 22P02 (text) or 22P03
 * (binary).
 *
 * src/rates.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHURN_RATES_H
#define CHURN_RATES_H

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "nodes/nodes.h"

#include "churn.h"				/* pg_noreturn */
#include "state_io.h"			/* churn_errsave */

/* Format version stored first in every state of these files. */
#define CHURN_STATE_VERSION		1

/*
 * Version 1 plus the time zone its local-time computations used
 * (state_zone.h): rate_state and periods_state.  A state that used no time
 * zone is still written as version 1, which churn 1.0 reads too.
 */
#define CHURN_STATE_VERSION_ZONE	2

/*
 * A cursor over the text form of a state.  After the first syntax error
 * (reported softly when escontext asks for it) failed is set and every
 * further scan call does nothing and returns a dummy value.
 */
typedef struct ChurnScan
{
	const char *str;			/* the whole input, for messages */
	const char *p;				/* next character */
	const char *typname;		/* type name, for messages */
	Node	   *escontext;		/* fcinfo->context of the input function */
	bool		failed;			/* an error was reported */
} ChurnScan;

extern void churn_scan_init(ChurnScan *s, const char *str, const char *typname,
							Node *escontext);
extern void churn_scan_expect(ChurnScan *s, char c);
extern bool churn_scan_maybe(ChurnScan *s, char c);
extern int64 churn_scan_int64(ChurnScan *s);
extern int32 churn_scan_int32(ChurnScan *s);
extern char churn_scan_char(ChurnScan *s);
extern char *churn_scan_quoted(ChurnScan *s, int *len);
extern void churn_scan_end(ChurnScan *s);
extern void churn_scan_error(ChurnScan *s, const char *detail);

/* Append a double-quoted string, backslash-escaping " and \. */
extern void churn_append_quoted(StringInfo buf, const char *str, int len);

/*
 * Report an input state that parses but is inconsistent: 22P02 when it came
 * as text (binary false; soft through escontext when asked), 22P03 when
 * binary (always thrown: pass escontext NULL).
 */
extern void churn_state_invalid(Node *escontext, const char *typname,
								bool binary, const char *detail);

/* ERROR 22P03 from a receive function. */
pg_noreturn extern void churn_recv_invalid(const char *typname,
										   const char *detail);

/* ERROR 22023: states or rows of one group disagree on a parameter. */
pg_noreturn extern void churn_report_mismatch(const char *what,
											  const char *got,
											  const char *had);

#endif							/* CHURN_RATES_H */
