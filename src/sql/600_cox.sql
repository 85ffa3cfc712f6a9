
--
-- 600_cox.sql: churn early warning with Cox proportional hazards: the
-- coxph() aggregate, its state type coxph_state, the fitted model type
-- cox_model and its readers (src/cox_state.c, src/cox_fit.c,
-- src/cox_model.c).
--

-- coxph_state: the rows (duration, event, covariates) collected for a fit
CREATE TYPE @extschema@.coxph_state;

CREATE FUNCTION @extschema@.coxph_state_in(pg_catalog.cstring)
RETURNS @extschema@.coxph_state
AS 'MODULE_PATHNAME', 'coxph_state_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.coxph_state_out(@extschema@.coxph_state)
RETURNS pg_catalog.cstring
AS 'MODULE_PATHNAME', 'coxph_state_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.coxph_state_recv(pg_catalog.internal)
RETURNS @extschema@.coxph_state
AS 'MODULE_PATHNAME', 'coxph_state_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.coxph_state_send(@extschema@.coxph_state)
RETURNS pg_catalog.bytea
AS 'MODULE_PATHNAME', 'coxph_state_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.coxph_state (
	INPUT = @extschema@.coxph_state_in,
	OUTPUT = @extschema@.coxph_state_out,
	RECEIVE = @extschema@.coxph_state_recv,
	SEND = @extschema@.coxph_state_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = extended
);

COMMENT ON TYPE @extschema@.coxph_state IS
'transition state of coxph(): the ties method and the rows (duration, event, covariates, stratum) to fit';
COMMENT ON FUNCTION @extschema@.coxph_state_in(pg_catalog.cstring) IS
'text input of coxph_state, form: v1 <ties> <covariates> <omitted> [strata={"label",...}] <time>:<event>:<x1>,<x2>,...[:<stratum>] ...';
COMMENT ON FUNCTION @extschema@.coxph_state_out(@extschema@.coxph_state) IS
'text output of coxph_state, form: v1 <ties> <covariates> <omitted> [strata={"label",...}] <time>:<event>:<x1>,<x2>,...[:<stratum>] ...';
COMMENT ON FUNCTION @extschema@.coxph_state_recv(pg_catalog.internal) IS
'binary input of coxph_state';
COMMENT ON FUNCTION @extschema@.coxph_state_send(@extschema@.coxph_state) IS
'binary output of coxph_state';

-- cox_model: a fitted Cox proportional hazards model
CREATE TYPE @extschema@.cox_model;

CREATE FUNCTION @extschema@.cox_model_in(pg_catalog.cstring)
RETURNS @extschema@.cox_model
AS 'MODULE_PATHNAME', 'cox_model_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.cox_model_out(@extschema@.cox_model)
RETURNS pg_catalog.cstring
AS 'MODULE_PATHNAME', 'cox_model_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.cox_model_recv(pg_catalog.internal)
RETURNS @extschema@.cox_model
AS 'MODULE_PATHNAME', 'cox_model_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.cox_model_send(@extschema@.cox_model)
RETURNS pg_catalog.bytea
AS 'MODULE_PATHNAME', 'cox_model_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.cox_model (
	INPUT = @extschema@.cox_model_in,
	OUTPUT = @extschema@.cox_model_out,
	RECEIVE = @extschema@.cox_model_recv,
	SEND = @extschema@.cox_model_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = extended
);

COMMENT ON TYPE @extschema@.cox_model IS
'fitted Cox proportional hazards model: coefficients, variance, log likelihoods, concordance and baseline hazard';
COMMENT ON FUNCTION @extschema@.cox_model_in(pg_catalog.cstring) IS
'text input of cox_model, form: v1 ties=... n=... key=value ... hazard={time:cumhaz,...}';
COMMENT ON FUNCTION @extschema@.cox_model_out(@extschema@.cox_model) IS
'text output of cox_model, form: v1 ties=... n=... key=value ... hazard={time:cumhaz,...}';
COMMENT ON FUNCTION @extschema@.cox_model_recv(pg_catalog.internal) IS
'binary input of cox_model';
COMMENT ON FUNCTION @extschema@.cox_model_send(@extschema@.cox_model) IS
'binary output of cox_model';

-- aggregate support
CREATE FUNCTION @extschema@.coxph_trans(@extschema@.coxph_state, pg_catalog.float8,
	pg_catalog.bool, pg_catalog.float8[])
RETURNS @extschema@.coxph_state
AS 'MODULE_PATHNAME', 'coxph_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.coxph_trans(@extschema@.coxph_state, pg_catalog.float8,
	pg_catalog.bool, pg_catalog.float8[], pg_catalog.text)
RETURNS @extschema@.coxph_state
AS 'MODULE_PATHNAME', 'coxph_trans_ties'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.coxph_trans(@extschema@.coxph_state, pg_catalog.float8,
	pg_catalog.bool, pg_catalog.float8[], pg_catalog.text, pg_catalog.text)
RETURNS @extschema@.coxph_state
AS 'MODULE_PATHNAME', 'coxph_trans_strata'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.coxph_combine(@extschema@.coxph_state, @extschema@.coxph_state)
RETURNS @extschema@.coxph_state
AS 'MODULE_PATHNAME', 'coxph_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.coxph_final(@extschema@.coxph_state)
RETURNS @extschema@.cox_model
AS 'MODULE_PATHNAME', 'coxph_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.coxph_state_rows(@extschema@.coxph_state)
RETURNS pg_catalog.int8
AS 'MODULE_PATHNAME', 'coxph_state_rows'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.coxph_trans(@extschema@.coxph_state, pg_catalog.float8,
	pg_catalog.bool, pg_catalog.float8[]) IS
'transition function of coxph(duration, event, covariates): appends a row';
COMMENT ON FUNCTION @extschema@.coxph_trans(@extschema@.coxph_state, pg_catalog.float8,
	pg_catalog.bool, pg_catalog.float8[], pg_catalog.text) IS
'transition function of coxph(duration, event, covariates, ties): appends a row';
COMMENT ON FUNCTION @extschema@.coxph_trans(@extschema@.coxph_state, pg_catalog.float8,
	pg_catalog.bool, pg_catalog.float8[], pg_catalog.text, pg_catalog.text) IS
'transition function of coxph(duration, event, covariates, ties, strata): appends a row';
COMMENT ON FUNCTION @extschema@.coxph_combine(@extschema@.coxph_state, @extschema@.coxph_state) IS
'combine function of coxph(): concatenates the rows of two states';
COMMENT ON FUNCTION @extschema@.coxph_final(@extschema@.coxph_state) IS
'final function of coxph(): fits the model; NULL without rows or without events';
COMMENT ON FUNCTION @extschema@.coxph_state_rows(@extschema@.coxph_state) IS
'number of rows a coxph_state holds for the fit';

CREATE AGGREGATE @extschema@.coxph(duration pg_catalog.float8, event pg_catalog.bool,
	covariates pg_catalog.float8[]) (
	SFUNC = @extschema@.coxph_trans,
	STYPE = @extschema@.coxph_state,
	SSPACE = 4096,
	FINALFUNC = @extschema@.coxph_final,
	COMBINEFUNC = @extschema@.coxph_combine,
	PARALLEL = SAFE
);

CREATE AGGREGATE @extschema@.coxph(duration pg_catalog.float8, event pg_catalog.bool,
	covariates pg_catalog.float8[], ties pg_catalog.text) (
	SFUNC = @extschema@.coxph_trans,
	STYPE = @extschema@.coxph_state,
	SSPACE = 4096,
	FINALFUNC = @extschema@.coxph_final,
	COMBINEFUNC = @extschema@.coxph_combine,
	PARALLEL = SAFE
);

CREATE AGGREGATE @extschema@.coxph(duration pg_catalog.float8, event pg_catalog.bool,
	covariates pg_catalog.float8[], ties pg_catalog.text, strata pg_catalog.text) (
	SFUNC = @extschema@.coxph_trans,
	STYPE = @extschema@.coxph_state,
	SSPACE = 4096,
	FINALFUNC = @extschema@.coxph_final,
	COMBINEFUNC = @extschema@.coxph_combine,
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE @extschema@.coxph(pg_catalog.float8, pg_catalog.bool, pg_catalog.float8[]) IS
'Cox proportional hazards model of (duration, event, covariates) rows, Efron ties, fitted as R coxph does';
COMMENT ON AGGREGATE @extschema@.coxph(pg_catalog.float8, pg_catalog.bool, pg_catalog.float8[], pg_catalog.text) IS
'Cox proportional hazards model of (duration, event, covariates) rows, ties ''efron'' or ''breslow''';
COMMENT ON AGGREGATE @extschema@.coxph(pg_catalog.float8, pg_catalog.bool, pg_catalog.float8[], pg_catalog.text, pg_catalog.text) IS
'stratified Cox proportional hazards model: common coefficients, a baseline hazard per stratum';

-- readers
CREATE FUNCTION @extschema@.cox_coefficients(model @extschema@.cox_model,
	OUT term pg_catalog.int4, OUT coef pg_catalog.float8, OUT exp_coef pg_catalog.float8,
	OUT std_error pg_catalog.float8, OUT z pg_catalog.float8, OUT p_value pg_catalog.float8,
	OUT lower_95 pg_catalog.float8, OUT upper_95 pg_catalog.float8)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'cox_coefficients'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 5;

CREATE FUNCTION @extschema@.cox_coefficients(model @extschema@.cox_model,
	names pg_catalog.text[],
	OUT term pg_catalog.int4, OUT name pg_catalog.text, OUT coef pg_catalog.float8,
	OUT exp_coef pg_catalog.float8, OUT std_error pg_catalog.float8,
	OUT z pg_catalog.float8, OUT p_value pg_catalog.float8,
	OUT lower_95 pg_catalog.float8, OUT upper_95 pg_catalog.float8)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'cox_coefficients_named'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 5;

CREATE FUNCTION @extschema@.cox_loglik(model @extschema@.cox_model)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'cox_loglik'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.cox_summary(model @extschema@.cox_model,
	OUT n pg_catalog.int8, OUT events pg_catalog.int8, OUT omitted pg_catalog.int8,
	OUT ties pg_catalog.text, OUT strata pg_catalog.int4, OUT iterations pg_catalog.int4,
	OUT converged pg_catalog.bool,
	OUT loglik_null pg_catalog.float8, OUT loglik pg_catalog.float8,
	OUT df pg_catalog.int4, OUT lr_chisq pg_catalog.float8, OUT lr_p_value pg_catalog.float8,
	OUT wald_chisq pg_catalog.float8, OUT wald_p_value pg_catalog.float8,
	OUT score_chisq pg_catalog.float8, OUT score_p_value pg_catalog.float8,
	OUT concordance pg_catalog.float8, OUT concordance_se pg_catalog.float8,
	OUT singular_terms pg_catalog.int4[], OUT infinite_terms pg_catalog.int4[])
RETURNS record
AS 'MODULE_PATHNAME', 'cox_summary'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.concordance(model @extschema@.cox_model)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'cox_concordance'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.relative_risk(model @extschema@.cox_model,
	covariates pg_catalog.float8[])
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'cox_relative_risk'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.predict_survival(model @extschema@.cox_model,
	covariates pg_catalog.float8[], t pg_catalog.float8)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'cox_predict_survival'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.predict_survival(model @extschema@.cox_model,
	covariates pg_catalog.float8[], t pg_catalog.float8, stratum pg_catalog.text)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'cox_predict_survival_stratum'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.churn_probability(model @extschema@.cox_model,
	covariates pg_catalog.float8[], tenure pg_catalog.float8, horizon pg_catalog.float8)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'cox_churn_probability'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.churn_probability(model @extschema@.cox_model,
	covariates pg_catalog.float8[], tenure pg_catalog.float8, horizon pg_catalog.float8,
	stratum pg_catalog.text)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'cox_churn_probability_stratum'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.cox_baseline(model @extschema@.cox_model,
	OUT stratum pg_catalog.text, OUT "time" pg_catalog.float8,
	OUT cumulative_hazard pg_catalog.float8, OUT survival pg_catalog.float8)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'cox_baseline'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 100;

COMMENT ON FUNCTION @extschema@.cox_coefficients(@extschema@.cox_model) IS
'per covariate: coef, exp(coef), standard error, z, p-value and 95% bounds of exp(coef), as R summary(coxph)';
COMMENT ON FUNCTION @extschema@.cox_coefficients(@extschema@.cox_model, pg_catalog.text[]) IS
'per covariate, with its name: coef, exp(coef), standard error, z, p-value and 95% bounds of exp(coef)';
COMMENT ON FUNCTION @extschema@.cox_loglik(@extschema@.cox_model) IS
'log partial likelihood of a Cox model at its fitted coefficients';
COMMENT ON FUNCTION @extschema@.cox_summary(@extschema@.cox_model) IS
'counts, convergence, likelihood-ratio, Wald and score tests, concordance of a Cox model, as R summary(coxph)';
COMMENT ON FUNCTION @extschema@.concordance(@extschema@.cox_model) IS
'Harrell''s C of a Cox model on its own rows, as R concordance(fit)';
COMMENT ON FUNCTION @extschema@.relative_risk(@extschema@.cox_model, pg_catalog.float8[]) IS
'relative risk exp(x . beta) of covariates x, as R predict(fit, type = "risk", reference = "zero")';
COMMENT ON FUNCTION @extschema@.predict_survival(@extschema@.cox_model, pg_catalog.float8[], pg_catalog.float8) IS
'survival probability at time t of a customer with covariates x, as R summary(survfit(fit, newdata), times = t)';
COMMENT ON FUNCTION @extschema@.predict_survival(@extschema@.cox_model, pg_catalog.float8[], pg_catalog.float8, pg_catalog.text) IS
'survival probability at time t of a customer with covariates x in a stratum of a stratified model';
COMMENT ON FUNCTION @extschema@.churn_probability(@extschema@.cox_model, pg_catalog.float8[], pg_catalog.float8, pg_catalog.float8, pg_catalog.text) IS
'probability that a customer with covariates x in a stratum of a stratified model churns within the next horizon';
COMMENT ON FUNCTION @extschema@.churn_probability(@extschema@.cox_model, pg_catalog.float8[], pg_catalog.float8, pg_catalog.float8) IS
'probability that a customer with covariates x who has lasted tenure churns within the next horizon: 1 - S(tenure + horizon) / S(tenure)';
COMMENT ON FUNCTION @extschema@.cox_baseline(@extschema@.cox_model) IS
'baseline cumulative hazard and survival of a Cox model at covariates zero, per stratum and distinct event time';
