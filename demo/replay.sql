-- demo/replay.sql: replays customer_events (demo/generate.sql) into the
-- customers table month by month, as an application would have written it:
-- sign-ups are INSERTs, moves, cancellations and reactivations are UPDATEs
-- with updated_at = the time the change took effect, activity pings update
-- last_activity, and at each month end new/reactivated customers of the
-- previous month become active and churn.advance_lifecycle ages the quiet
-- ones.  Every write goes through the churn triggers.
--
-- Run it at top level (not inside BEGIN): advance_lifecycle commits between
-- its batches.  The months run in one DO block, so the whole replay is a
-- handful of multi-row statements per month.

SET TimeZone = 'UTC';
-- churn.lifecycle's comparison operators live in schema churn
SET search_path = public, churn;
-- The capture trigger's statement over the transition tables is costed high
-- enough for JIT, which then spends seconds compiling it on every UPDATE of a
-- few thousand rows: off for the replay's many multi-row statements.
SET jit = off;

CREATE TEMP TABLE replay_young (id bigint PRIMARY KEY);

DO $replay$
DECLARE
	first_month	timestamptz;
	n_months	int;
	m_start		timestamptz;
	m_end		timestamptz;
	cut			timestamptz;
	max_round	int;
	n_at_risk	bigint;
	n_dormant	bigint;
	n_churned	bigint;
BEGIN
	SELECT date_trunc('month', min(at)),
		   (extract(year FROM age(date_trunc('month', max(at)), date_trunc('month', min(at)))) * 12
			+ extract(month FROM age(date_trunc('month', max(at)), date_trunc('month', min(at)))))::int + 1
	  INTO first_month, n_months
	  FROM customer_events;

	FOR m IN 0 .. n_months - 1 LOOP
		m_start := first_month + make_interval(months => m);
		m_end := m_start + interval '1 month';
		-- the end of the history: now(), or generate.sql's fixed anchor
		cut := least(m_end, current_setting('churn_demo.anchor')::timestamptz);

		-- who was new or reactivated when the month began
		TRUNCATE replay_young;
		INSERT INTO replay_young
		SELECT id FROM customers WHERE status IN ('new', 'reactivated');

		-- sign-ups
		INSERT INTO customers (id, signed_up, branch, contract, region,
							   status, last_activity, updated_at)
		SELECT p.id, p.signed_up, p.channel, p.contract, p.region,
			   'new', p.signed_up, p.signed_up
		  FROM customer_events e JOIN customer_profile p ON p.id = e.customer_id
		 WHERE e.kind = 'signup' AND e.at >= m_start AND e.at < m_end
		 ORDER BY e.at;

		-- moves, cancellations, reactivations: a customer with several
		-- events this month gets them one statement ("round") after another
		SELECT coalesce(max(c), 0) INTO max_round
		  FROM (SELECT count(*) AS c FROM customer_events
				 WHERE kind IN ('move', 'cancel', 'reactivate')
				   AND at >= m_start AND at < m_end
				 GROUP BY customer_id) s;
		FOR r IN 1 .. max_round LOOP
			UPDATE customers c
			   SET branch = CASE WHEN e.kind = 'move' THEN e.channel ELSE c.branch END,
				   cancelled_at = CASE e.kind WHEN 'cancel' THEN e.at
											  WHEN 'reactivate' THEN NULL
											  ELSE c.cancelled_at END,
				   cancel_reason = CASE e.kind WHEN 'cancel' THEN e.reason
											   WHEN 'reactivate' THEN NULL
											   ELSE c.cancel_reason END,
				   status = CASE e.kind WHEN 'cancel' THEN 'churned'
										WHEN 'reactivate' THEN 'reactivated'
										ELSE c.status END,
				   last_activity = CASE WHEN e.kind IN ('move', 'reactivate') THEN e.at
										ELSE c.last_activity END,
				   updated_at = e.at
			  FROM (SELECT customer_id, at, kind, channel, reason,
						   row_number() OVER (PARTITION BY customer_id ORDER BY at) AS rn
					  FROM customer_events
					 WHERE kind IN ('move', 'cancel', 'reactivate')
					   AND at >= m_start AND at < m_end) e
			 WHERE e.rn = r AND c.id = e.customer_id;
		END LOOP;

		-- activity pings in the last ten days of the month, except from
		-- customers who have gone quiet or cancelled
		UPDATE customers c
		   SET last_activity = s.ping, updated_at = s.ping
		  FROM (SELECT c2.id,
					   cut - make_interval(secs => (abs(hashint8(c2.id * 1000 + m)) % 864000)::int) AS ping
				  FROM customers c2) s
			   JOIN customer_profile p ON p.id = s.id
		 WHERE c.id = s.id
		   AND c.cancelled_at IS NULL
		   AND s.ping > c.last_activity
		   AND coalesce(p.quiet_from <= s.ping AND (p.react_at IS NULL OR s.ping < p.react_at), false) = false;

		-- last month's new and reactivated customers are active now
		UPDATE customers c
		   SET status = 'active', updated_at = cut - interval '1 second'
		  FROM replay_young y
		 WHERE c.id = y.id AND c.status IN ('new', 'reactivated')
		   AND c.updated_at < cut - interval '1 second';

		-- inactivity: active -> at_risk -> dormant -> churned
		CALL churn.advance_lifecycle('customers', cut, 5000,
									 n_at_risk, n_dormant, n_churned);
	END LOOP;
END
$replay$;

DROP TABLE replay_young;
