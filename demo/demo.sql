-- demo/demo.sql: the tour of churn on a generated customer base.
-- Run by demo/demo.sh (README command 1) and by test/suites/demo.sh in CI.
-- Needs a database where CREATE EXTENSION churn works; takes psql variable
-- n (customers, default 10000).

\set ON_ERROR_STOP on
\pset footer off
SET client_min_messages = warning;
SET TimeZone = 'UTC';
CREATE EXTENSION IF NOT EXISTS churn;

\echo
\echo '== 1. A generated customer base (demo/generate.sql: generate_series + setseed, no external data)'
\ir generate.sql
SELECT count(DISTINCT customer_id) AS customers,
	   count(*) FILTER (WHERE kind = 'signup') AS sign_ups,
	   count(*) FILTER (WHERE kind = 'cancel') AS cancellations,
	   count(*) FILTER (WHERE kind = 'move') AS channel_moves,
	   count(*) FILTER (WHERE kind = 'reactivate') AS reactivations,
	   min(at)::date AS first_event, max(at)::date AS last_event
  FROM customer_events;

\echo
\echo '== 2. Track the (still empty) customers table'
\echo 'SELECT relation, customers, cells FROM churn.track(''customers'', customer => ''id'', since => ''signed_up'', until => ''cancelled_at'','
\echo '       channel => ''branch'', segments => ARRAY[''contract'', ''region''], state => ''status'','
\echo '       reason => ''cancel_reason'', changed_at => ''updated_at'', bucket => ''1 month'','
\echo '       activity => ''last_activity'', at_risk_after => ''45 days'', dormant_after => ''90 days'', churned_after => ''180 days'','
\echo '       states_from => ''-infinity'');  -- the replay writes the past as it happened'
\ir track.sql

\echo
\echo '== 3. Replay the history month by month through the triggers (demo/replay.sql)'
\echo '   INSERTs for sign-ups, UPDATEs for moves, cancellations, reactivations and activity,'
\echo '   CALL churn.advance_lifecycle(''customers'', month_end) for inactivity'
SELECT clock_timestamp() AS replay_started \gset
\ir replay.sql
SELECT round(extract(epoch FROM clock_timestamp() - :'replay_started'::timestamptz)::numeric, 1) AS replay_seconds,
	   (SELECT count(*) FROM customers) AS customers_now;

\echo
\echo '== 4. Pending deltas folded by churn.refresh() (what pg_cron runs every few minutes)'
SELECT relation, pending_deltas AS pending_before FROM churn.health();
SELECT churn.refresh() IS NOT NULL AS refreshed;
SELECT relation, pending_deltas AS pending_after, status FROM churn.health();

\echo
\echo '== 5. Monthly churn and retention, all channels (last 12 months, churn.churn_summary)'
SELECT to_char(bucket_start, 'YYYY-MM') AS month,
	   sum(at_start) AS at_start, sum(new) AS new, sum(reactivated) AS reactivated,
	   sum(lost) AS lost, sum(at_end) AS at_end,
	   round(100 * sum(lost_from_start) / nullif(sum(at_start), 0), 2) AS churn_pct,
	   round(100 * sum(at_end - new) / nullif(sum(at_start), 0), 2) AS retention_pct
  FROM churn.churn_summary
 WHERE relation = 'customers'::regclass
   AND bucket_start >= date_trunc('month', now()) - interval '12 months'
 GROUP BY bucket_start
 ORDER BY bucket_start;

\echo
\echo '== 6. Churn by contract (last 12 months: lost from the start / customers at the start of each month)'
SELECT segment->>'contract' AS contract,
	   sum(at_start) AS customer_months, sum(lost_from_start) AS lost,
	   round(100 * sum(lost_from_start) / nullif(sum(at_start), 0), 2) AS monthly_churn_pct
  FROM churn.churn_summary
 WHERE relation = 'customers'::regclass
   AND bucket_start >= date_trunc('month', now()) - interval '12 months'
 GROUP BY 1
 ORDER BY 4 DESC;

\echo
\echo '== 7. Diversion matrix: moves between channels, last 12 months (churn.diversion_summary)'
SELECT from_channel,
	   sum(moved) FILTER (WHERE to_channel = 'branch_north') AS to_branch_north,
	   sum(moved) FILTER (WHERE to_channel = 'branch_south') AS to_branch_south,
	   sum(moved) FILTER (WHERE to_channel = 'store') AS to_store,
	   sum(moved) FILTER (WHERE to_channel = 'online') AS to_online,
	   sum(moved) AS moved_out
  FROM churn.diversion_summary
 WHERE relation = 'customers'::regclass
   AND bucket_start >= date_trunc('month', now()) - interval '12 months'
 GROUP BY 1
 ORDER BY 1;

\echo
\echo '== 8. Churn reasons, last 12 months (churn.churn_reasons)'
SELECT coalesce(reason, '(none)') AS reason, sum(lost) AS lost,
	   round(100.0 * sum(lost) / sum(sum(lost)) OVER (), 1) AS pct
  FROM churn.churn_reasons
 WHERE relation = 'customers'::regclass
   AND bucket_start >= date_trunc('month', now()) - interval '12 months'
 GROUP BY 1
HAVING sum(lost) > 0
 ORDER BY 2 DESC, 1;

\echo
\echo '== 9. Lifecycle states now (status column; at_risk/dormant/churned-by-inactivity set by churn.advance_lifecycle)'
SELECT status, churn.label(status, 'zh') AS label_zh, count(*) AS customers,
	   count(*) FILTER (WHERE cancelled_at IS NULL) AS not_cancelled
  FROM customers
 GROUP BY 1
 ORDER BY 1;
SELECT as_of::date, to_at_risk, to_dormant, to_churned FROM churn.aging_runs;

\echo
\echo '== 10. Survival by contract (Kaplan-Meier over tenure in months, churn.survival)'
SELECT contract,
	   n AS customers,
	   round(churn.survival_at(curve, 12)::numeric, 3) AS still_there_12m,
	   round(churn.survival_at(curve, 24)::numeric, 3) AS still_there_24m,
	   round(churn.median_lifetime(curve)::numeric, 1) AS median_months,
	   round(churn.restricted_mean_lifetime(curve, 36)::numeric, 1) AS mean_months_of_first_36
  FROM (SELECT contract, count(*) AS n,
			   churn.survival(extract(epoch FROM coalesce(cancelled_at, now()) - signed_up) / 2629800,
							  cancelled_at IS NOT NULL) AS curve
		  FROM customers GROUP BY contract) AS s
 ORDER BY 1;

\echo
\echo '== 11. NPS by contract (churn.nps over the survey answers)'
SELECT c.contract, count(*) AS answers, round(churn.nps(s.score)::numeric, 1) AS nps
  FROM surveys s JOIN customers c ON c.id = s.customer_id
 GROUP BY 1
 ORDER BY 1;

\echo
\echo '== 12. churn.verify: the summaries recomputed from the base table (no rows = exact)'
SELECT count(*) AS differences FROM churn.verify('customers');
