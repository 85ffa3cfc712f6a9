/*-------------------------------------------------------------------------
 *
 * state_zone.c
 *	  Keys of time zones recorded in aggregate states, and the errors of a
 *	  mismatch (see state_zone.h).
 *
 * src/state_zone.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "state_zone.h"

/*
 * The session's key, computed again only when session_timezone points to
 * another zone.  pg_tz structs are cached for the life of the backend, so
 * the pointer identifies the zone: a transition function can compare it on
 * every row for the cost of a pointer comparison.
 */
static pg_tz *session_tz = NULL;
static char session_key[CHURN_ZONE_MAXLEN + 1];
static uint32 session_hash;

/* Keys seen by this backend, by hash (churn_zone_of_hash) */
typedef struct ZoneKeyEntry
{
	uint32		hash;			/* hash key: must be first */
	char		key[CHURN_ZONE_MAXLEN + 1];
} ZoneKeyEntry;

static HTAB *zone_keys = NULL;

static void zone_key_of(pg_tz *tz, char *key);
static void zone_keys_init(void);

static void
zone_keys_init(void)
{
	HASHCTL		ctl;

	if (zone_keys != NULL)
		return;
	ctl.keysize = sizeof(uint32);
	ctl.entrysize = sizeof(ZoneKeyEntry);
	ctl.hcxt = TopMemoryContext;
	zone_keys = hash_create("churn time zone keys", 16, &ctl,
							HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/*
 * The key of a zone: its single UTC offset when it has one, else its name
 * (see state_zone.h).  key has room for CHURN_ZONE_MAXLEN + 1 bytes.
 */
static void
zone_key_of(pg_tz *tz, char *key)
{
	long int	gmtoff;

	if (pg_get_timezone_offset(tz, &gmtoff))
	{
		long int	a = gmtoff < 0 ? -gmtoff : gmtoff;

		if (gmtoff == 0)
			strlcpy(key, "UTC", CHURN_ZONE_MAXLEN + 1);
		else if (a % 60 == 0)
			snprintf(key, CHURN_ZONE_MAXLEN + 1, "%c%02ld:%02ld",
					 gmtoff < 0 ? '-' : '+', a / 3600, (a / 60) % 60);
		else
			snprintf(key, CHURN_ZONE_MAXLEN + 1, "%c%02ld:%02ld:%02ld",
					 gmtoff < 0 ? '-' : '+', a / 3600, (a / 60) % 60, a % 60);
	}
	else
	{
		char	   *c;

		strlcpy(key, pg_get_timezone_name(tz), CHURN_ZONE_MAXLEN + 1);

		/*
		 * Zone names are file names of the time zone database or POSIX
		 * zone specifications, neither of which holds these characters;
		 * should one, the key must still read back from a state's text
		 * form.
		 */
		for (c = key; *c; c++)
			if ((unsigned char) *c <= ' ' || (unsigned char) *c > '~' ||
				*c == '"' || *c == '\\')
				*c = '?';
		if (key[0] == '\0' || key[0] == '#')
			key[0] = '?';
	}
}

static void
session_zone_refresh(void)
{
	if (likely(session_tz == session_timezone && session_tz != NULL))
		return;
	if (session_timezone == NULL)
		elog(ERROR, "TimeZone is not set");
	zone_key_of(session_timezone, session_key);
	session_hash = churn_zone_hash(session_key, strlen(session_key));
	session_tz = session_timezone;
	churn_zone_remember(session_key, strlen(session_key));
}

const char *
churn_session_zone(void)
{
	session_zone_refresh();
	return session_key;
}

uint32
churn_session_zone_hash(void)
{
	session_zone_refresh();
	return session_hash;
}

uint32
churn_zone_hash(const char *key, int len)
{
	uint32		h = 2166136261U;
	int			i;

	for (i = 0; i < len; i++)
	{
		h ^= (unsigned char) key[i];
		h *= 16777619U;
	}
	return h;
}

bool
churn_zone_key_valid(const char *key, int len)
{
	int			i;

	if (len < 1 || len > CHURN_ZONE_MAXLEN)
		return false;
	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) key[i];

		if (c <= ' ' || c > '~' || c == '"' || c == '\\')
			return false;
	}
	return true;
}

/*
 * "#" and 8 hexadecimal digits: what churn_zone_of_hash writes for a hash
 * it cannot name, read back as that hash, so that such a state still
 * round-trips exactly.  No zone's key starts with "#".
 */
static bool
zone_key_is_placeholder(const char *key, int len, uint32 *hash)
{
	int			i;
	uint32		h = 0;

	if (len != 9 || key[0] != '#')
		return false;
	for (i = 1; i < 9; i++)
	{
		char		c = key[i];

		h <<= 4;
		if (c >= '0' && c <= '9')
			h |= c - '0';
		else if (c >= 'A' && c <= 'F')
			h |= c - 'A' + 10;
		else
			return false;
	}
	*hash = h;
	return true;
}

uint32
churn_zone_key_hash(const char *key, int len)
{
	uint32		hash;

	if (zone_key_is_placeholder(key, len, &hash))
		return hash;
	return churn_zone_hash(key, len);
}

void
churn_zone_remember(const char *key, int len)
{
	uint32		hash;
	ZoneKeyEntry *entry;
	bool		found;

	Assert(churn_zone_key_valid(key, len));
	if (zone_key_is_placeholder(key, len, &hash))
		return;
	hash = churn_zone_hash(key, len);
	zone_keys_init();
	entry = (ZoneKeyEntry *) hash_search(zone_keys, &hash, HASH_ENTER, &found);
	/* a placeholder remembered by churn_zone_of_hash gives way */
	if (!found || entry->key[0] == '#')
	{
		memcpy(entry->key, key, len);
		entry->key[len] = '\0';
	}
}

const char *
churn_zone_of_hash(uint32 hash)
{
	ZoneKeyEntry *entry = NULL;
	pg_tzenum  *dir;
	pg_tz	   *tz;

	if (zone_keys != NULL)
		entry = (ZoneKeyEntry *) hash_search(zone_keys, &hash, HASH_FIND, NULL);
	if (entry != NULL)
		return pstrdup(entry->key);

	/*
	 * A state stored by another session, in a zone this backend has not
	 * met: look through the time zone database.  Error reports and the
	 * output functions of such a state come here, once per zone and
	 * backend (the answer is remembered either way), so reading every zone
	 * file is affordable.
	 */
	zone_keys_init();
	dir = pg_tzenumerate_start();
	while ((tz = pg_tzenumerate_next(dir)) != NULL)
	{
		char		key[CHURN_ZONE_MAXLEN + 1];

		zone_key_of(tz, key);
		if (churn_zone_hash(key, strlen(key)) == hash)
		{
			pg_tzenumerate_end(dir);
			churn_zone_remember(key, strlen(key));
			return pstrdup(key);
		}
	}
	pg_tzenumerate_end(dir);

	/* remembered, so that the search is not repeated */
	entry = (ZoneKeyEntry *) hash_search(zone_keys, &hash, HASH_ENTER, NULL);
	snprintf(entry->key, sizeof(entry->key), "#%08X", hash);
	return pstrdup(entry->key);
}

#define ZONE_MISMATCH_HINT \
	"Compute every partial state in the session's time zone. " \
	"On Citus, whose workers keep their own TimeZone, run SET citus.propagate_set_commands = 'local' " \
	"and then SET LOCAL TimeZone inside a transaction, or give every node the same TimeZone " \
	"with ALTER DATABASE or ALTER ROLE ... SET TimeZone."

void
churn_zone_combine_mismatch(const char *what, const char *zone1,
							const char *zone2)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("cannot combine %s states computed in time zones \"%s\" and \"%s\"",
					what, zone1, zone2),
			 errdetail("A state cuts timestamptz values into local days, calendar periods or minimum tenures in its own time zone; in another zone the same rows can fall elsewhere."),
			 errhint(ZONE_MISMATCH_HINT)));
}

void
churn_zone_session_mismatch(const char *what, const char *zone)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s state was computed in time zone \"%s\", not in the session's time zone \"%s\"",
					what, zone, churn_session_zone()),
			 errdetail("A state cuts timestamptz values into local days, calendar periods or minimum tenures in its own time zone; in another zone the same rows can fall elsewhere."),
			 errhint(ZONE_MISMATCH_HINT)));
}
