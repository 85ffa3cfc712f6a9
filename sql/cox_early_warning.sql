--
-- cox_early_warning: the early-warning recipe of doc/early-warning.md ("Early
-- warning: Cox proportional hazards"), end to end on IBM Telco: fit a
-- model per segment, keep the models in a table, score every active
-- customer with the probability of churning within the next six months,
-- and move the riskiest to at_risk through the lifecycle rules (the
-- enforce_lifecycle trigger guards the table; churn.can_transition keeps
-- the UPDATE within them).
--
SET search_path = public, churn;
\getenv abs_srcdir PG_ABS_SRCDIR
\set f :abs_srcdir '/sql/data/telco.csv'
CREATE TABLE telco (customer_id text, gender text, senior_citizen int, partner text,
	dependents text, tenure int, phone_service text, multiple_lines text,
	internet_service text, online_security text, online_backup text,
	device_protection text, tech_support text, streaming_tv text,
	streaming_movies text, contract text, paperless_billing text,
	payment_method text, monthly_charges float8, total_charges text, churn text);
COPY telco FROM :'f' WITH (FORMAT csv, HEADER true);

-- the customer table of an application: a lifecycle state guarded by the trigger
CREATE TABLE customers (
	id text PRIMARY KEY,
	segment text NOT NULL,			-- internet service: DSL, Fiber optic, No
	tenure_months int NOT NULL,
	churned boolean NOT NULL,
	monthly_charges float8 NOT NULL,
	senior boolean NOT NULL,
	contract text NOT NULL,
	status churn.lifecycle NOT NULL
);
CREATE TRIGGER customers_lifecycle BEFORE UPDATE OF status ON customers
	FOR EACH ROW EXECUTE FUNCTION churn.enforce_lifecycle('status');
INSERT INTO customers
SELECT customer_id, internet_service, tenure, churn = 'Yes', monthly_charges,
	   senior_citizen = 1, contract,
	   CASE WHEN churn = 'Yes' THEN 'churned' WHEN tenure < 3 THEN 'new' ELSE 'active' END::churn.lifecycle
  FROM telco;
SELECT status, count(*) FROM customers GROUP BY status ORDER BY status;

-- 1. the covariates, one expression everyone uses (fit and scoring alike)
CREATE FUNCTION cox_covariates(c customers) RETURNS float8[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ARRAY[c.monthly_charges, c.senior::int, (c.contract = 'One year')::int,
			 (c.contract = 'Two year')::int];

-- 2. the models, one per segment and refit, newest last
CREATE TABLE churn_models (
	segment text NOT NULL,
	fitted_at timestamptz NOT NULL,
	model churn.cox_model NOT NULL,
	PRIMARY KEY (segment, fitted_at)
);
INSERT INTO churn_models
SELECT segment, timestamptz '2026-12-01 02:30+00', churn.coxph(tenure_months, churned, cox_covariates(c))
  FROM customers c GROUP BY segment;
-- (a refit, e.g. daily by pg_cron, adds the next version)
INSERT INTO churn_models
SELECT segment, timestamptz '2026-12-02 02:30+00', churn.coxph(tenure_months, churned, cox_covariates(c))
  FROM customers c GROUP BY segment;
CREATE VIEW current_models AS
SELECT DISTINCT ON (segment) segment, fitted_at, model
  FROM churn_models ORDER BY segment, fitted_at DESC;

SELECT m.segment, s.n, s.events, round(s.concordance::numeric, 3) AS concordance,
	   round(s.lr_chisq::numeric, 1) AS lr_chisq, s.converged
  FROM current_models m, churn.cox_summary(m.model) s ORDER BY m.segment;
SELECT m.segment, c.name, round(c.exp_coef::numeric, 3) AS hazard_ratio, c.p_value < 0.05 AS significant
  FROM current_models m,
	   churn.cox_coefficients(m.model, '{monthly_charges,senior,one_year,two_year}') c
 ORDER BY m.segment, c.term;

-- 3. score every customer still with us: relative risk, and the
--    probability of churning within the next 6 months given the tenure
--    reached (1 - S(t + 6) / S(t))
CREATE VIEW churn_scores AS
SELECT c.id, c.segment, c.status, c.tenure_months,
	   churn.relative_risk(m.model, cox_covariates(c)) AS relative_risk,
	   churn.churn_probability(m.model, cox_covariates(c), c.tenure_months, 6) AS p_churn_6m
  FROM customers c JOIN current_models m USING (segment)
 WHERE c.status NOT IN ('churned', 'prospect');
SELECT id, segment, status, tenure_months, round(relative_risk::numeric, 3) AS relative_risk,
	   round(p_churn_6m::numeric, 4) AS p_churn_6m
  FROM churn_scores ORDER BY p_churn_6m DESC, id LIMIT 5;

-- 4. the riskiest 5% become at_risk, where the lifecycle allows the move
--    (new, active and reactivated customers; an at_risk one stays)
UPDATE customers c SET status = 'at_risk'
  FROM (SELECT id FROM churn_scores
		 WHERE p_churn_6m >= (SELECT percentile_disc(0.95) WITHIN GROUP (ORDER BY p_churn_6m) FROM churn_scores)) r
 WHERE c.id = r.id AND churn.can_transition(c.status, 'at_risk') AND c.status <> 'at_risk';
SELECT status, count(*) FROM customers GROUP BY status ORDER BY status;
-- every at_risk customer is among the riskiest, and the rules held
SELECT min(p_churn_6m) >= (SELECT percentile_disc(0.95) WITHIN GROUP (ORDER BY p_churn_6m) FROM churn_scores)
	   AS only_the_riskiest
  FROM churn_scores WHERE status = 'at_risk';
-- the trigger refuses what the rules forbid: churned customers are never
-- marked at_risk
UPDATE customers SET status = 'at_risk' WHERE id = (SELECT min(id) FROM customers WHERE status = 'churned');

DROP VIEW churn_scores, current_models;
DROP FUNCTION cox_covariates(customers);
DROP TABLE churn_models, customers, telco;
RESET search_path;
