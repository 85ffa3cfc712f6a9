-- demo/track.sql: how the demo's customers table is tracked.  Shared by
-- demo/demo.sql and test/suites/grafana.sh so the tests track it the same way.

-- the application's own rule: lifecycle moves must be allowed ones
CREATE TRIGGER customers_lifecycle
	BEFORE UPDATE OF status ON customers
	FOR EACH ROW EXECUTE FUNCTION churn.enforce_lifecycle('status');

-- The table is empty now and demo/replay.sql writes its past into it as it
-- happened, as if it had been tracked all along: every customer's state is
-- known from its sign-up (states_from => '-infinity').  A table tracked with
-- customers in it would leave the default, the tracking time: what was
-- known of their states then.
SELECT relation, customers, cells FROM churn.track('customers',
	customer => 'id', since => 'signed_up', until => 'cancelled_at',
	channel => 'branch', segments => ARRAY['contract', 'region'],
	state => 'status', reason => 'cancel_reason', changed_at => 'updated_at',
	bucket => '1 month',
	activity => 'last_activity', at_risk_after => '45 days',
	dormant_after => '90 days', churned_after => '180 days',
	states_from => '-infinity');
SELECT relation, bucket, time_zone, pending_deltas FROM churn.status;
