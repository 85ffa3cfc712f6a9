-- test/suites/summary_oracle.sql: the test-owned schema of the summary suites
-- and an independent plain-SQL recomputation of the churn summaries.
--
-- Nothing here reads the extension's own history tables: the expected rows
-- come from the base table public.customers (or the relation psql variable
-- "source" names, below) plus two logs that the workload writes in the same
-- statement as the change (t.react_log: a reactivation and the loss it
-- ended; t.move_log: a channel move and the old channel).
--
-- Definitions (issue 6, with the boundary rule of the aggregates issue):
-- an event at time t falls in the bucket [lower, upper) that holds t;
-- at_start(B) counts the customers after every event before B.lower, so
-- at_end(B) = at_start(B) + new + reactivated + moved_in - moved_out - lost
-- = at_start(next B).  Events per customer strictly increase in time
-- (the workload guarantees it), which gives "the channel at time t" one
-- meaning: the channel of the last move before t, else the first channel.
--
-- Buckets are calendar months in the session's TimeZone, the database's
-- default, which is also the time zone churn.track fixed for the table.

SET client_min_messages = warning;
CREATE SCHEMA t;

-- psql variables naming what the oracle reads (the defaults are the suites'
-- own table): "source", the relation the customer rows are read from, with
-- the columns of public.customers below (given, the caller made it, often
-- a view that renames the columns of a table with other names, and
-- public.customers is not created); "relation", the tracked table whose
-- summaries are compared (default: source); "contract_key" and
-- "region_key", the segment keys churn shows for the two segment columns
-- (the names of the tracked columns; default contract and region).
\if :{?source}
\else
\set source public.customers
\set create_customers 1
\endif
\if :{?relation}
\else
\set relation :source
\endif
\if :{?contract_key}
\else
\set contract_key contract
\endif
\if :{?region_key}
\else
\set region_key region
\endif

-- The tracked table; hash-partitioned on id when psql's variable
-- "partitioned" is set (churn tracks partitioned tables too), its time
-- columns of type date when "dates" is set.
\if :{?create_customers}
\if :{?dates}
\set moment date
\else
\set moment timestamptz
\endif
CREATE TABLE public.customers (
	id bigint PRIMARY KEY,
	since :moment NOT NULL,
	until :moment,
	branch text NOT NULL,
	contract text NOT NULL,
	region text NOT NULL,
	cancel_reason text,
	updated_at :moment NOT NULL,
	-- test bookkeeping, not tracked: moves + reactivations so far, and the
	-- time of the customer's latest event that is not a loss
	n_events int NOT NULL DEFAULT 0,
	prev_at :moment NOT NULL,
	note text
)
\if :{?partitioned}
PARTITION BY HASH (id);
CREATE TABLE public.customers_p0 PARTITION OF public.customers FOR VALUES WITH (MODULUS 4, REMAINDER 0);
CREATE TABLE public.customers_p1 PARTITION OF public.customers FOR VALUES WITH (MODULUS 4, REMAINDER 1);
CREATE TABLE public.customers_p2 PARTITION OF public.customers FOR VALUES WITH (MODULUS 4, REMAINDER 2);
CREATE TABLE public.customers_p3 PARTITION OF public.customers FOR VALUES WITH (MODULUS 4, REMAINDER 3);
\else
;
\endif
\endif

CREATE TABLE t.react_log (
	seq bigserial PRIMARY KEY,
	id bigint NOT NULL,
	at timestamptz NOT NULL,
	prev_until timestamptz NOT NULL,
	prev_reason text
);
CREATE INDEX ON t.react_log (id);

CREATE TABLE t.move_log (
	seq bigserial PRIMARY KEY,
	id bigint NOT NULL,
	at timestamptz NOT NULL,
	from_ch text NOT NULL,
	to_ch text NOT NULL
);
CREATE INDEX ON t.move_log (id, at);

-- Every business event of every customer still in the table.  kind: new,
-- reactivated, lost, move.  ch: the channel the customer is in just before
-- the event (for a move: the channel left); to_ch: the channel entered.
CREATE VIEW t.events AS
WITH m AS (
	SELECT l.* FROM t.move_log l JOIN :source c USING (id)
), r AS (
	SELECT l.* FROM t.react_log l JOIN :source c USING (id)
), first_ch AS (
	SELECT c.id,
		   coalesce((SELECT l.from_ch FROM t.move_log l WHERE l.id = c.id ORDER BY l.at LIMIT 1), c.branch) AS ch
	  FROM :source c
), raw AS (
	SELECT id, since AS at, 'new' AS kind, NULL::text AS reason, NULL::text AS to_ch FROM :source
	UNION ALL
	SELECT id, at, 'reactivated', NULL, NULL FROM r
	UNION ALL
	SELECT id, prev_until, 'lost', prev_reason, NULL FROM r
	UNION ALL
	SELECT id, until, 'lost', cancel_reason, NULL FROM :source WHERE until IS NOT NULL
	UNION ALL
	SELECT id, at, 'move', NULL, to_ch FROM m
)
SELECT raw.id, raw.at, raw.kind, raw.reason, raw.to_ch,
	   coalesce((SELECT l.to_ch FROM t.move_log l WHERE l.id = raw.id AND l.at < raw.at ORDER BY l.at DESC LIMIT 1),
				f.ch) AS ch,
	   pg_catalog.jsonb_build_object(:'contract_key', c.contract, :'region_key', c.region) AS segment,
	   pg_catalog.date_trunc('month', raw.at) AS bucket,
	   pg_catalog.lag(raw.at) OVER (PARTITION BY raw.id ORDER BY raw.at) AS prev_at
  FROM raw JOIN first_ch f USING (id) JOIN :source c USING (id);

-- Self-checks of the workload's promises: strictly increasing event times,
-- alternating starts and losses, moves only while a customer, the logged old
-- channel equal to the reconstructed one.  Returns the offending events.
CREATE VIEW t.event_anomalies AS
SELECT * FROM (
	SELECT e.*,
		   pg_catalog.lag(kind) OVER w AS prev_kind,
		   pg_catalog.count(*) FILTER (WHERE kind IN ('new', 'reactivated')) OVER w
		   - pg_catalog.count(*) FILTER (WHERE kind = 'lost') OVER w AS active,
		   (SELECT l.from_ch FROM t.move_log l WHERE l.id = e.id AND l.at = e.at AND e.kind = 'move') AS logged_from
	  FROM t.events e
	WINDOW w AS (PARTITION BY id ORDER BY at)
) x
 WHERE at = prev_at
	OR (kind = 'new' AND prev_kind IS NOT NULL)
	OR (kind <> 'new' AND prev_kind IS NULL)
	OR (kind = 'lost' AND active <> 0)
	OR (kind <> 'lost' AND active <> 1)
	OR (kind = 'move' AND logged_from IS DISTINCT FROM ch);

-- Events as seen by one (channel, segment) cell: sign +1 entering, -1 leaving.
CREATE VIEW t.cell_events AS
SELECT id, at, bucket, ch AS channel, segment, kind,
	   CASE WHEN kind IN ('new', 'reactivated') THEN 1 ELSE -1 END AS sign,
	   (kind = 'lost' AND prev_at < bucket) AS from_start,
	   reason
  FROM t.events WHERE kind <> 'move'
UNION ALL
SELECT id, at, bucket, ch, segment, 'moved_out', -1, false, NULL FROM t.events WHERE kind = 'move'
UNION ALL
SELECT id, at, bucket, to_ch, segment, 'moved_in', 1, false, NULL FROM t.events WHERE kind = 'move';

-- The expected churn_summary: one row per (channel, segment, month) from the
-- cell's first event through the current month.
CREATE VIEW t.expected_summary AS
WITH cells AS (
	SELECT channel, segment, pg_catalog.min(bucket) AS first_bucket
	  FROM t.cell_events GROUP BY channel, segment
), grid AS (
	SELECT channel, segment, b::timestamptz AS bucket
	  FROM cells,
		   pg_catalog.generate_series(first_bucket, pg_catalog.date_trunc('month', pg_catalog.now()), '1 month') b
), d AS (
	SELECT g.channel, g.segment, g.bucket,
		   pg_catalog.count(e.*) FILTER (WHERE e.kind = 'new') AS new,
		   pg_catalog.count(e.*) FILTER (WHERE e.kind = 'reactivated') AS reactivated,
		   pg_catalog.count(e.*) FILTER (WHERE e.kind = 'moved_in') AS moved_in,
		   pg_catalog.count(e.*) FILTER (WHERE e.kind = 'moved_out') AS moved_out,
		   pg_catalog.count(e.*) FILTER (WHERE e.kind = 'lost') AS lost,
		   pg_catalog.count(e.*) FILTER (WHERE e.kind = 'lost' AND e.from_start) AS lost_from_start,
		   coalesce(pg_catalog.sum(e.sign), 0) AS net
	  FROM grid g LEFT JOIN t.cell_events e USING (channel, segment, bucket)
	 GROUP BY 1, 2, 3
)
SELECT channel, segment, bucket AS bucket_start,
	   coalesce(pg_catalog.sum(net) OVER w - net, 0)::bigint AS at_start,
	   new, reactivated, moved_in, moved_out, lost, lost_from_start,
	   (pg_catalog.sum(net) OVER w)::bigint AS at_end
  FROM d
WINDOW w AS (PARTITION BY channel, segment ORDER BY bucket);

-- A second, independent way to at_start: membership of each customer at each
-- month start from its stints (start .. the loss that ends it) and the
-- channel of the last move before the month.  Used only to check the first.
CREATE VIEW t.brute_at_start AS
WITH ev AS (
	SELECT e.*, pg_catalog.count(*) FILTER (WHERE kind IN ('new', 'reactivated')) OVER w AS stint
	  FROM t.events e
	WINDOW w AS (PARTITION BY id ORDER BY at)
), stints AS (
	SELECT id, segment, stint,
		   pg_catalog.min(at) FILTER (WHERE kind IN ('new', 'reactivated')) AS s,
		   pg_catalog.min(at) FILTER (WHERE kind = 'lost') AS u
	  FROM ev GROUP BY id, segment, stint
), months AS (
	SELECT b::timestamptz AS bucket
	  FROM pg_catalog.generate_series((SELECT pg_catalog.min(bucket) FROM t.events),
									  pg_catalog.date_trunc('month', pg_catalog.now()), '1 month') b
)
SELECT ch AS channel, segment, bucket AS bucket_start, pg_catalog.count(*) AS at_start
  FROM (
	SELECT st.id, st.segment, mo.bucket,
		   coalesce((SELECT l.to_ch FROM t.move_log l WHERE l.id = st.id AND l.at < mo.bucket ORDER BY l.at DESC LIMIT 1),
					(SELECT l.from_ch FROM t.move_log l WHERE l.id = st.id ORDER BY l.at LIMIT 1),
					(SELECT c.branch FROM :source c WHERE c.id = st.id)) AS ch
	  FROM stints st JOIN months mo ON st.s < mo.bucket AND (st.u IS NULL OR st.u >= mo.bucket)
  ) x
 GROUP BY 1, 2, 3;

-- The summary as the extension shows it, for the tracked table.
CREATE VIEW t.actual_summary AS
SELECT channel::text AS channel, segment::jsonb AS segment, bucket_start,
	   at_start::bigint, new::bigint, reactivated::bigint, moved_in::bigint, moved_out::bigint,
	   lost::bigint, lost_from_start::bigint, at_end::bigint
  FROM churn.churn_summary
 WHERE relation = :'relation'::regclass;

-- Rows that differ between expected and actual.  A row the extension shows
-- and the oracle lacks must be all zeros (an empty bucket of a live cell),
-- and vice versa.
CREATE VIEW t.summary_diff AS
SELECT coalesce(e.channel, a.channel) AS channel, coalesce(e.segment, a.segment) AS segment,
	   coalesce(e.bucket_start, a.bucket_start) AS bucket_start,
	   e.at_start AS e_at_start, a.at_start AS a_at_start,
	   e.new AS e_new, a.new AS a_new,
	   e.reactivated AS e_react, a.reactivated AS a_react,
	   e.moved_in AS e_in, a.moved_in AS a_in,
	   e.moved_out AS e_out, a.moved_out AS a_out,
	   e.lost AS e_lost, a.lost AS a_lost,
	   e.lost_from_start AS e_lfs, a.lost_from_start AS a_lfs,
	   e.at_end AS e_at_end, a.at_end AS a_at_end
  FROM t.expected_summary e
  FULL JOIN t.actual_summary a
	ON a.channel = e.channel AND a.segment = e.segment AND a.bucket_start = e.bucket_start
 WHERE (coalesce(e.at_start, 0), coalesce(e.new, 0), coalesce(e.reactivated, 0), coalesce(e.moved_in, 0),
		coalesce(e.moved_out, 0), coalesce(e.lost, 0), coalesce(e.lost_from_start, 0), coalesce(e.at_end, 0))
	   IS DISTINCT FROM
	   (coalesce(a.at_start, 0), coalesce(a.new, 0), coalesce(a.reactivated, 0), coalesce(a.moved_in, 0),
		coalesce(a.moved_out, 0), coalesce(a.lost, 0), coalesce(a.lost_from_start, 0), coalesce(a.at_end, 0));

-- Live cells (customers at a month's end, before the current month) whose
-- next month has no row in the view: panels would draw a gap.
CREATE VIEW t.summary_gaps AS
SELECT a.channel, a.segment, a.bucket_start
  FROM t.actual_summary a
 WHERE a.at_end > 0
   AND a.bucket_start < pg_catalog.date_trunc('month', pg_catalog.now())
   AND NOT EXISTS (SELECT 1 FROM t.actual_summary n
					WHERE n.channel = a.channel AND n.segment = a.segment
					  AND n.bucket_start = a.bucket_start + interval '1 month');

-- Balance identities on the view itself, every row: at_end from the flows,
-- at_end = next month's at_start, the rates from the counts, bucket_end.
CREATE VIEW t.identity_violations AS
SELECT s.*
  FROM (
	SELECT cs.*,
		   pg_catalog.lead(at_start) OVER (PARTITION BY channel, segment ORDER BY bucket_start) AS next_at_start,
		   pg_catalog.lead(bucket_start) OVER (PARTITION BY channel, segment ORDER BY bucket_start) AS next_bucket
	  FROM churn.churn_summary cs
	 WHERE relation = :'relation'::regclass
  ) s
 WHERE at_end <> at_start + new + reactivated + moved_in - moved_out - lost
	OR (next_bucket = bucket_end AND next_at_start <> at_end)
	OR bucket_end <> bucket_start + interval '1 month'
	OR lost_from_start > lost OR lost_from_start > at_start
	OR least(at_start, new, reactivated, moved_in, moved_out, lost, lost_from_start, at_end) < 0
	OR (at_start = 0 AND (churn_rate IS NOT NULL OR retention_rate IS NOT NULL))
	OR (at_start > 0 AND pg_catalog.abs(churn_rate::float8 - lost_from_start::float8 / at_start) > 1e-9)
	OR (at_start > 0 AND pg_catalog.abs(retention_rate::float8 - (at_end - new)::float8 / at_start) > 1e-9);

-- churn_reasons against the oracle's losses per month, channel and reason.
CREATE VIEW t.reasons_diff AS
WITH e AS (
	SELECT bucket AS bucket_start, channel, reason, pg_catalog.count(*) AS lost
	  FROM t.cell_events WHERE kind = 'lost' GROUP BY 1, 2, 3
), a AS (
	SELECT bucket_start, channel::text, reason::text, lost::bigint
	  FROM churn.churn_reasons WHERE relation = :'relation'::regclass AND lost <> 0
)
(SELECT 'missing' AS side, * FROM e EXCEPT SELECT 'missing', * FROM a)
UNION ALL
(SELECT 'extra', * FROM a EXCEPT SELECT 'extra', * FROM e);

-- diversion_summary: moves per month and channel pair, and the base of the
-- channel left: its stays during the month (customers at the start plus
-- every entry: new, reactivated, moved in), summed over segments.
CREATE VIEW t.diversion_diff AS
WITH base AS (
	SELECT channel, bucket_start, pg_catalog.sum(at_start + new + reactivated + moved_in)::bigint AS from_base
	  FROM t.expected_summary GROUP BY 1, 2
), e AS (
	SELECT m.bucket AS bucket_start, m.from_channel, m.to_channel, m.moved, b.from_base,
		   pg_catalog.round((m.moved::numeric / b.from_base), 12) AS diversion_rate
	  FROM (SELECT bucket, ch AS from_channel, to_ch AS to_channel, pg_catalog.count(*) AS moved
			  FROM t.events WHERE kind = 'move' GROUP BY 1, 2, 3) m
	  JOIN base b ON b.channel = m.from_channel AND b.bucket_start = m.bucket
), a AS (
	SELECT bucket_start, from_channel::text, to_channel::text, moved::bigint, from_base::bigint,
		   pg_catalog.round(diversion_rate::numeric, 12)
	  FROM churn.diversion_summary WHERE relation = :'relation'::regclass AND moved <> 0
)
(SELECT 'missing' AS side, * FROM e EXCEPT SELECT 'missing', * FROM a)
UNION ALL
(SELECT 'extra', * FROM a EXCEPT SELECT 'extra', * FROM e);

-- One line for the checks: how many rows differ in each comparison.
CREATE VIEW t.all_diffs AS
SELECT (SELECT pg_catalog.count(*) FROM t.summary_diff) AS summary,
	   (SELECT pg_catalog.count(*) FROM t.identity_violations) AS identities,
	   (SELECT pg_catalog.count(*) FROM t.summary_gaps) AS gaps,
	   (SELECT pg_catalog.count(*) FROM t.reasons_diff) AS reasons,
	   (SELECT pg_catalog.count(*) FROM t.diversion_diff) AS diversion;

RESET client_min_messages;
