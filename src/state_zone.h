/*-------------------------------------------------------------------------
 *
 * state_zone.h
 *	  The time zone in which an aggregate state's local-time computations
 *	  were made, recorded in the state so that states of different zones
 *	  are never mixed.
 *
 * Calendar steps and minimum tenures over timestamptz are computed in the
 * session TimeZone: '1 month' after 2024-01-31 00:00+08 is local midnight of
 * 2024-02-29, '1 day' is 23 hours across a spring DST change.  A partial
 * state computed under one TimeZone and combined with, or finalised beside,
 * one of another would give a number that is silently wrong.  That happens
 * on Citus, whose workers run the transition functions in their own
 * sessions, which keep their TimeZone unless the coordinator's is
 * propagated.  So the states of churn_periods, cohort_retention and the
 * timestamptz rates with a minimum tenure record the zone when (and only
 * when) their computations used it; their combine functions refuse two
 * different zones and their final functions a zone other than the
 * session's; so do rfm's, whose purchase days are local dates.  States
 * without a zone (those of churn 1.0, and those whose steps and tenures
 * have no month or day part) combine with anything.
 *
 * A zone is recorded as a key: for a zone with a single UTC offset ("UTC",
 * "Etc/UTC", "Etc/GMT-2", a numeric TimeZone) that offset, written "UTC" or
 * in ISO 8601 form east of Greenwich positive ("+02:00", "-03:30"), since
 * two such zones give the same local times whatever they are called; for
 * any other zone its name as PostgreSQL spells it ("America/New_York").
 * Two names of the same rules ("US/Eastern", "America/New_York") are thus
 * refused as different, never confused.  A key is 1 to TZ_STRLEN_MAX
 * printable ASCII characters other than space, double quote and backslash.
 *
 * src/state_zone.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHURN_STATE_ZONE_H
#define CHURN_STATE_ZONE_H

#include "datatype/timestamp.h"
#include "pgtime.h"

#include "churn.h"				/* pg_noreturn */

#define CHURN_ZONE_MAXLEN	TZ_STRLEN_MAX

/*
 * True when timestamptz + iv depends on the session TimeZone: months and
 * days are added in local time, the time part as elapsed microseconds.
 */
static inline bool
churn_interval_uses_zone(const Interval *iv)
{
	return iv->month != 0 || iv->day != 0;
}

/* The key of the session TimeZone (valid until the TimeZone changes). */
extern const char *churn_session_zone(void);

/* Its 32-bit hash (churn_zone_hash), for states with no room for a key. */
extern uint32 churn_session_zone_hash(void);

/* FNV-1a hash of a key: the same on every platform. */
extern uint32 churn_zone_hash(const char *key, int len);

/*
 * The hash a key read from a state's text or binary form stands for: its
 * churn_zone_hash, or for the placeholder "#XXXXXXXX" that
 * churn_zone_of_hash writes for a hash it cannot name, that hash.
 */
extern uint32 churn_zone_key_hash(const char *key, int len);

/* Whether len bytes at key form a valid key (input validation). */
extern bool churn_zone_key_valid(const char *key, int len);

/*
 * Remember a key read from a state's text or binary form, so that a state
 * holding only its hash can name it in messages (churn_zone_of_hash).
 */
extern void churn_zone_remember(const char *key, int len);

/*
 * The key of a hash, for messages and the text and binary forms of a state
 * that holds only the hash: one remembered by this backend, else one of the
 * time zone database whose key has that hash, else the placeholder
 * "#XXXXXXXX" (the hash in hexadecimal).  A palloc'd string.
 */
extern const char *churn_zone_of_hash(uint32 hash);

/*
 * ERROR 22023: two partial states of what (an aggregate or state type
 * name) were computed in different zones.
 */
pg_noreturn extern void churn_zone_combine_mismatch(const char *what,
													 const char *zone1,
													 const char *zone2);

/*
 * ERROR 22023: a state of what computed in zone is used (extended or
 * finalised) in a session of another zone.
 */
pg_noreturn extern void churn_zone_session_mismatch(const char *what,
													 const char *zone);

#endif							/* CHURN_STATE_ZONE_H */
