/*-------------------------------------------------------------------------
 *
 * churn.h
 *	  Declarations shared by the C sources of the churn extension.
 *
 * src/churn.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHURN_H
#define CHURN_H

#include "fmgr.h"

/*
 * PostgreSQL 18 replaced pg_attribute_noreturn(), written after a
 * declaration, by pg_noreturn, written before it (C11 _Noreturn).  Before
 * 18 the attribute that pg_attribute_noreturn() expands to may stand in
 * front as well, so churn writes pg_noreturn first on every version.
 */
#ifndef pg_noreturn
#define pg_noreturn pg_attribute_noreturn()
#endif

/*
 * What changes churn's tables, settings or grants calls this first: it
 * refuses a standby and a read-only transaction with churn's own message
 * (churn.c).
 */
extern void churn_require_writable(const char *what);

/*
 * What reads a tracked table to count or age all of its customers calls
 * this: it refuses a role that row-level security shows only some rows
 * (churn.c).
 */
extern void churn_require_all_rows(Oid relid);

/*
 * How churn's messages name a table (churn.c): as regclass prints it, but
 * with no identifier quotes inside the message's own.
 */
extern char *churn_table_name(Oid relid);

#endif							/* CHURN_H */
