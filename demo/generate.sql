-- demo/generate.sql: a generated customer base for the demo and the tests.
--
-- Creates, in the current database:
--   customers        the application's table, EMPTY: demo/replay.sql fills it
--                    through the churn triggers, event by event
--   customer_profile one row per customer: everything that will happen to it
--   customer_events  the event log derived from the profiles (signup, move,
--                    quiet, cancel, reactivate), in time order; the tests use
--                    it as the independent truth
--   surveys          NPS answers (0..10), loaded directly
--
-- Everything comes from setseed() + random(): no external data.  Psql
-- variables (optional): n (customers, default 10000), seed (default 0.42),
-- months (history length, default 36), anchor (the moment the history ends
-- at, default now()).  The history ends just before the anchor: with the
-- default the summaries' "current bucket" is the last month with data; a
-- fixed anchor (doc/recipes.md uses one) makes the same data on any day.
-- demo/replay.sql reads the anchor back from the setting churn_demo.anchor.

SET TimeZone = 'UTC';
\if :{?n}
\else
\set n 10000
\endif
\if :{?seed}
\else
\set seed 0.42
\endif
\if :{?months}
\else
\set months 36
\endif
\if :{?anchor}
\else
SELECT pg_catalog.now() AS anchor \gset
\endif
SELECT pg_catalog.set_config('churn_demo.anchor', :'anchor'::timestamptz::text, false) AS anchor \gset

CREATE TABLE customers (
	id				bigint PRIMARY KEY,
	signed_up		timestamptz NOT NULL,
	cancelled_at	timestamptz,
	cancel_reason	text,
	branch			text NOT NULL,		-- the channel
	contract		text NOT NULL,		-- segment: monthly, one_year, two_year
	region			text NOT NULL,		-- segment: north, south, west
	status			churn.lifecycle NOT NULL,
	last_activity	timestamptz NOT NULL,
	updated_at		timestamptz NOT NULL
);

SELECT pg_catalog.setseed(:seed) \gset

-- One row per customer.  Columns r_* are the draws, the rest derive from them.
CREATE TABLE customer_profile AS
WITH params AS (
	SELECT date_trunc('month', :'anchor'::timestamptz) - make_interval(months => :months) AS origin,
		   :'anchor'::timestamptz - interval '1 hour' AS horizon
), draws AS (
	SELECT i AS id, random() AS r_signup, random() AS r_channel,
		   random() AS r_contract, random() AS r_region, random() AS r_life,
		   random() AS r_reason, random() AS r_move, random() AS r_move_at,
		   random() AS r_move_to, random() AS r_react, random() AS r_react_at,
		   random() AS r_recancel, random() AS r_recancel_at,
		   random() AS r_reason2, random() AS r_quiet, random() AS r_quiet_at,
		   random() AS r_sec
	  FROM generate_series(1, :n) AS i
	 ORDER BY i
), signup AS (
	SELECT d.*, p.horizon,
		   -- the business grows: more sign-ups in later months (sqrt)
		   p.origin + (p.horizon - p.origin) * sqrt(d.r_signup)
			 + make_interval(secs => d.r_sec) AS signed_up,
		   CASE WHEN d.r_channel < 0.30 THEN 'branch_north'
				WHEN d.r_channel < 0.55 THEN 'branch_south'
				WHEN d.r_channel < 0.75 THEN 'store'
				ELSE 'online' END AS channel,
		   CASE WHEN d.r_contract < 0.50 THEN 'monthly'
				WHEN d.r_contract < 0.80 THEN 'one_year'
				ELSE 'two_year' END AS contract,
		   CASE WHEN d.r_region < 0.40 THEN 'north'
				WHEN d.r_region < 0.75 THEN 'south'
				ELSE 'west' END AS region
	  FROM draws d CROSS JOIN params p
), life AS (
	SELECT s.*,
		   -- exponential lifetimes; longer contracts stay longer
		   s.signed_up + make_interval(days => 1 + floor(-ln(1 - s.r_life) *
				CASE s.contract WHEN 'monthly' THEN 420
								WHEN 'one_year' THEN 900
								ELSE 1600 END)::int)
			 + make_interval(secs => 3600 * s.r_sec) AS planned_end
	  FROM signup s
), first_stay AS (
	SELECT l.*,
		   CASE WHEN l.planned_end < l.horizon THEN l.planned_end END AS cancel_at,
		   CASE WHEN l.r_reason < 0.28 THEN 'price'
				WHEN l.r_reason < 0.43 THEN 'service'
				WHEN l.r_reason < 0.62 THEN 'competitor'
				WHEN l.r_reason < 0.72 THEN 'location'
				WHEN l.r_reason < 0.80 THEN 'product_range'
				WHEN l.r_reason < 0.86 THEN 'delivery'
				WHEN l.r_reason < 0.92 THEN 'quality'
				WHEN l.r_reason < 0.96 THEN 'stopped_trading'
				ELSE 'unreachable' END AS reason
	  FROM life l
), moves AS (
	SELECT f.*,
		   CASE WHEN f.r_move < 0.18 THEN
				f.signed_up + (least(f.planned_end, f.horizon) - f.signed_up)
							  * (0.05 + 0.9 * f.r_move_at) END AS move_at,
		   CASE WHEN f.channel = 'store' AND f.r_move_to < 0.7 THEN 'online'
				ELSE (ARRAY['branch_north', 'branch_south', 'store', 'online'])
					 [1 + (array_position(ARRAY['branch_north', 'branch_south', 'store', 'online'], f.channel)
						   + floor(f.r_move_to * 3)::int) % 4] END AS move_to
	  FROM first_stay f
), react AS (
	SELECT m.*,
		   CASE WHEN m.cancel_at IS NOT NULL AND m.r_react < 0.20
					 AND m.cancel_at + make_interval(days => 30 + floor(m.r_react_at * 300)::int) < m.horizon
				THEN m.cancel_at + make_interval(days => 30 + floor(m.r_react_at * 300)::int) END AS react_at
	  FROM moves m
)
SELECT r.id, r.signed_up, r.channel, r.contract, r.region,
	   r.cancel_at, CASE WHEN r.cancel_at IS NOT NULL THEN r.reason END AS reason,
	   r.move_at, CASE WHEN r.move_at IS NOT NULL THEN r.move_to END AS move_to,
	   r.react_at,
	   CASE WHEN r.react_at IS NOT NULL AND r.r_recancel < 0.4
				 AND r.react_at + make_interval(days => 1 + floor(r.r_recancel_at * 600)::int) < r.horizon
			THEN r.react_at + make_interval(days => 1 + floor(r.r_recancel_at * 600)::int) END AS recancel_at,
	   CASE WHEN r.r_reason2 < 0.5 THEN 'price' WHEN r.r_reason2 < 0.8 THEN 'competitor'
			ELSE 'service' END AS reason2,
	   -- activity stops some time before a cancellation, and for a few
	   -- customers who never cancel (advance_lifecycle infers their churn)
	   CASE WHEN r.cancel_at IS NOT NULL
				 AND r.cancel_at - make_interval(days => 20 + floor(r.r_quiet_at * 100)::int)
					 > greatest(r.signed_up, r.move_at) + interval '1 day'
			THEN r.cancel_at - make_interval(days => 20 + floor(r.r_quiet_at * 100)::int)
			WHEN r.cancel_at IS NULL AND r.r_quiet < 0.08
			THEN greatest(r.signed_up, r.move_at) + interval '1 day'
				 + (r.horizon - greatest(r.signed_up, r.move_at)) * r.r_quiet_at
	   END AS quiet_from
  FROM react r;
ALTER TABLE customer_profile ADD PRIMARY KEY (id);
-- a quiet time past the horizon is no event
UPDATE customer_profile SET quiet_from = NULL WHERE quiet_from >= :'anchor'::timestamptz - interval '1 hour';
-- a move must precede the first cancellation
UPDATE customer_profile SET move_at = NULL, move_to = NULL
 WHERE move_at IS NOT NULL AND cancel_at IS NOT NULL AND move_at >= cancel_at;

-- The event log, in time order.  channel = the channel the customer is in
-- after the event; reason for cancellations.
CREATE TABLE customer_events AS
SELECT e.*, row_number() OVER (ORDER BY e.at, e.customer_id, e.kind) AS seq
  FROM (SELECT id AS customer_id, signed_up AS at, 'signup'::text AS kind,
			   channel, NULL::text AS reason
		  FROM customer_profile
		UNION ALL
		SELECT id, move_at, 'move', move_to, NULL
		  FROM customer_profile WHERE move_at IS NOT NULL
		UNION ALL
		SELECT id, quiet_from, 'quiet', coalesce(move_to, channel), NULL
		  FROM customer_profile WHERE quiet_from IS NOT NULL
		UNION ALL
		SELECT id, cancel_at, 'cancel', coalesce(move_to, channel), reason
		  FROM customer_profile WHERE cancel_at IS NOT NULL
		UNION ALL
		SELECT id, react_at, 'reactivate', coalesce(move_to, channel), NULL
		  FROM customer_profile WHERE react_at IS NOT NULL
		UNION ALL
		SELECT id, recancel_at, 'cancel', coalesce(move_to, channel), reason2
		  FROM customer_profile WHERE recancel_at IS NOT NULL) e;
CREATE INDEX ON customer_events (at);

-- NPS answers: up to three per customer while a customer; those who will
-- cancel answer lower.
CREATE TABLE surveys AS
SELECT p.id AS customer_id,
	   p.signed_up + (coalesce(p.recancel_at, CASE WHEN p.react_at IS NULL THEN p.cancel_at END, :'anchor'::timestamptz - interval '1 hour')
					  - p.signed_up) * ((k - 0.5) / 3.0) AS answered_at,
	   least(10, greatest(0, round(CASE WHEN p.cancel_at IS NOT NULL THEN 5.5 ELSE 8.2 END
									 + 2.2 * (random() + random() + random() - 1.5))))::int AS score
  FROM customer_profile p
	   CROSS JOIN generate_series(1, 3) AS k
 WHERE (hashint8(p.id * 7 + k) & 3) <> 0
 ORDER BY p.id, k;
