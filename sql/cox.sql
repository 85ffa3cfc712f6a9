--
-- cox: coxph() and the readers of cox_model against R 4.2.2 with survival
-- 3.5.3 (Debian 12), on the public bank churn data (sql/data/bank.csv) and
-- IBM Telco (sql/data/telco.csv), Efron and Breslow ties, Telco also
-- stratified by internet service, and on small data sets: a hand-worked
-- example, a redundant covariate, a monotone likelihood, a fit that does
-- not converge.  test/reference/cox.R printed
-- every R figure below (with %.17g); the comparisons print booleans,
-- with tolerances: coefficients, standard errors, z and p-values 1e-6
-- relative, log likelihoods 1e-8, concordance 1e-9 (its counts exactly),
-- survival probabilities 1e-7; rounded values are printed as well.
--
\getenv abs_srcdir PG_ABS_SRCDIR

--
-- A hand-worked example: five customers, one covariate x.
--
--   t  event  x
--   1    1    1
--   1    1    0
--   2    0    1
--   3    1    0
--   4    0    1
--
-- At t = 1 everyone is at risk: R = 3 e^b + 2 (three with x = 1, two with
-- x = 0); the two deaths have risk D = e^b + 1.  At t = 2 nobody dies.  At
-- t = 3 the customers of t = 3 and t = 4 are at risk: R = 1 + e^b; the
-- death has x = 0.  So the log partial likelihood is
--
--   Breslow: b - 2 log(3 e^b + 2) - log(1 + e^b)
--   Efron:   b - log(3 e^b + 2) - log(3 e^b + 2 - (e^b + 1) / 2) - log(1 + e^b)
--          = b - log(3 e^b + 2) - log(2.5 e^b + 1.5) - log(1 + e^b)
--
-- (the deaths' numerators e^(1 b) e^(0 b) give the leading b; Efron's
-- second term removes half the deaths' risk from the risk set).  At b = 0:
-- Breslow -2 log 5 - log 2 = -log 50, Efron -log 5 - log 4 - log 2 =
-- -log 40.  The score (derivative) of Efron's is
--
--   U(b) = 1 - 3 e^b / (3 e^b + 2) - 2.5 e^b / (2.5 e^b + 1.5) - e^b / (1 + e^b)
--
-- U(0) = 1 - 3/5 - 2.5/4 - 1/2 = -0.725: the fit moves b down, to where
-- U = 0; the information is minus the derivative of U,
--
--   I(b) = 6 e^b / (3 e^b + 2)^2 + 3.75 e^b / (2.5 e^b + 1.5)^2 + e^b / (1 + e^b)^2
--
-- and the standard error of b is 1 / sqrt(I(b)).  Concordance: the
-- comparable pairs are the two deaths at t = 1 against the three later
-- customers (6 pairs) and the death at t = 3 against the customer of t = 4;
-- with b < 0 a higher x means a lower risk: 3 concordant, 1 discordant and
-- 3 tied on x, C = (3 + 3/2) / 7 = 0.642857...
--
CREATE TABLE hand (t float8, e boolean, x float8);
INSERT INTO hand VALUES (1, true, 1), (1, true, 0), (2, false, 1), (3, true, 0), (4, false, 1);
CREATE TABLE r_hand (ties text, coef float8, se float8, loglik_null float8,
	loglik float8, iter int, concordance float8);
INSERT INTO r_hand VALUES
  ('efron', -1.0070001575747174, 1.2310267550803162, -3.6888794541139358, -3.3294635716682182, 3, 0.64285714285714279),
  ('breslow', -0.96981580527875444, 1.2294739140307815, -3.912023005428146, -3.5781114773380294, 3, 0.64285714285714279);

CREATE TABLE hand_fit AS
SELECT ties, churn.coxph(t, e, ARRAY[x], ties) AS m FROM hand, (VALUES ('efron'), ('breslow')) v(ties) GROUP BY ties;

-- the null log likelihood by hand: -log 40 (Efron), -log 50 (Breslow)
SELECT h.ties, abs(s.loglik_null - CASE h.ties WHEN 'efron' THEN -ln(40) ELSE -ln(50) END) < 1e-14 AS null_loglik_by_hand
  FROM hand_fit h, churn.cox_summary(h.m) s ORDER BY h.ties;
-- the fitted log likelihood is the formula at the fitted b; for Efron the
-- score there is 0 (to the precision the convergence test leaves) and the
-- standard error is 1 / sqrt(I(b))
SELECT ties, round(c.coef::numeric, 6) AS coef, round(c.std_error::numeric, 6) AS se,
	   round(churn.cox_loglik(m)::numeric, 6) AS loglik,
	   abs(churn.cox_loglik(m) - CASE ties
		   WHEN 'efron' THEN c.coef - ln(3 * exp(c.coef) + 2) - ln(2.5 * exp(c.coef) + 1.5) - ln(1 + exp(c.coef))
		   ELSE c.coef - 2 * ln(3 * exp(c.coef) + 2) - ln(1 + exp(c.coef)) END) < 1e-14 AS loglik_by_hand,
	   ties <> 'efron' OR abs(1 - 3 * exp(c.coef) / (3 * exp(c.coef) + 2)
		   - 2.5 * exp(c.coef) / (2.5 * exp(c.coef) + 1.5) - exp(c.coef) / (1 + exp(c.coef))) < 1e-6 AS score_zero,
	   ties <> 'efron' OR abs(c.std_error - 1 / sqrt(6 * exp(c.coef) / (3 * exp(c.coef) + 2) ^ 2
		   + 3.75 * exp(c.coef) / (2.5 * exp(c.coef) + 1.5) ^ 2 + exp(c.coef) / (1 + exp(c.coef)) ^ 2)) < 1e-12 AS se_by_hand,
	   abs(churn.concordance(m) - 4.5 / 7) < 1e-15 AS concordance_by_hand
  FROM hand_fit, churn.cox_coefficients(m) c ORDER BY ties;
-- and all of it is R's
SELECT h.ties, abs(c.coef / r.coef - 1) < 1e-6 AS coef_ok, abs(c.std_error / r.se - 1) < 1e-6 AS se_ok,
	   abs(s.loglik_null - r.loglik_null) < 1e-8 AND abs(s.loglik - r.loglik) < 1e-8 AS loglik_ok,
	   s.iterations = r.iter AS iterations_ok, abs(s.concordance - r.concordance) < 1e-9 AS concordance_ok
  FROM hand_fit h JOIN r_hand r USING (ties), churn.cox_coefficients(h.m) c, churn.cox_summary(h.m) s
 ORDER BY h.ties;
DROP TABLE hand, hand_fit, r_hand;

--
-- Bank and Telco against R
--
\set f :abs_srcdir '/sql/data/bank.csv'
CREATE TABLE bank (
	row_number int, customer_id int, surname text, credit_score int,
	geography text, gender text, age int, tenure int, balance float8,
	num_of_products int, has_cr_card int, is_active_member int,
	estimated_salary float8, exited int);
COPY bank FROM :'f' WITH (FORMAT csv, HEADER true);
\set f :abs_srcdir '/sql/data/telco.csv'
CREATE TABLE telco (customer_id text, gender text, senior_citizen int, partner text,
	dependents text, tenure int, phone_service text, multiple_lines text,
	internet_service text, online_security text, online_backup text,
	device_protection text, tech_support text, streaming_tv text,
	streaming_movies text, contract text, paperless_billing text,
	payment_method text, monthly_charges float8, total_charges text, churn text);
COPY telco FROM :'f' WITH (FORMAT csv, HEADER true);
SELECT count(*) AS customers, sum(exited) AS exited FROM bank;
SELECT count(*) AS customers, count(*) FILTER (WHERE churn = 'Yes') AS churned FROM telco;

-- the rows both data sets are fitted on: time, event, covariates x1 .. x4
-- (bank: age, credit score / 100, balance / 1e5, active member; telco:
-- monthly charges, senior citizen, one-year contract, two-year contract),
-- computed in float8 as R computes them
CREATE VIEW cox_rows AS
SELECT 'bank' AS dataset, tenure::float8 AS time, exited = 1 AS event,
	   ARRAY[age, credit_score::float8 / 100, balance / 1e5, is_active_member]::float8[] AS x
  FROM bank
UNION ALL
SELECT 'telco', tenure, churn = 'Yes',
	   ARRAY[monthly_charges, senior_citizen, (contract = 'One year')::int,
			 (contract = 'Two year')::int]::float8[]
  FROM telco;

CREATE TABLE profiles (dataset text, profile int, x float8[]);
CREATE TABLE r_coef (dataset text, ties text, term int, coef float8, se float8, z float8,
	p float8, lower float8, upper float8);
CREATE TABLE r_fit (dataset text, ties text, n int8, events int8, iter int, loglik_null float8,
	loglik float8, score float8, wald float8, concordant float8, discordant float8,
	tied_x float8, tied_y float8, tied_xy float8, concordance float8, concordance_se float8,
	lr_p float8);
CREATE TABLE r_risk (dataset text, ties text, profile int, risk float8);
CREATE TABLE r_surv (dataset text, ties text, profile int, t float8, surv float8);
CREATE TABLE r_cond (dataset text, ties text, profile int, tenure float8, horizon float8, prob float8);
CREATE TABLE r_base (dataset text, ties text, time float8, cumhaz float8);
INSERT INTO profiles VALUES
  ('bank', 1, '{40,6.5,1,1}'),
  ('bank', 2, '{62,5.2000000000000002,1.5,0}'),
  ('bank', 3, '{25,8.0999999999999996,0,1}'),
  ('telco', 1, '{70,0,0,0}'),
  ('telco', 2, '{105.5,1,0,0}'),
  ('telco', 3, '{20.25,0,0,1}');
INSERT INTO r_coef VALUES
  ('bank', 'efron', 1, 0.049082757060258962, 0.0017692230568194709, 27.742548838638214, 2.1432405030658024e-169, 1.0466715151898096, 1.0539556490485198),
  ('bank', 'efron', 2, -0.051847328883780346, 0.022557171707258881, -2.2984853578560966, 0.02153418030281545, 0.90841080614326153, 0.99239299608234721),
  ('bank', 'efron', 3, 0.3693367650516497, 0.037433355491065426, 9.8665150427084427, 5.8149864793552849e-23, 1.3444281246042329, 1.5569126559687481),
  ('bank', 'efron', 4, -0.77778372466673207, 0.047489911159756565, -16.377872808611063, 2.7520062752323006e-60, 0.41859046808478295, 0.50423885266000301),
  ('bank', 'breslow', 1, 0.047497627626357626, 0.0017814748787429735, 26.661968795132509, 1.3002455685897326e-156, 1.0449886258721393, 1.0523115853221385),
  ('bank', 'breslow', 2, -0.050266390417239744, 0.022511867268801444, -2.2328840969537209, 0.025556588572511675, 0.90992887716350557, 0.99387489406768637),
  ('bank', 'breslow', 3, 0.35480466702664248, 0.037434659908181581, 9.4779722293963644, 2.592722639195822e-21, 1.3250286499830026, 1.5344549740458107),
  ('bank', 'breslow', 4, -0.73601629474557806, 0.047291070269437074, -15.563536425633515, 1.2878230233967536e-54, 0.43661429696402937, 0.52554077430595736),
  ('telco', 'efron', 1, 0.00013429559151501063, 0.00091775640909166098, 0.14633032271376689, 0.88366062942625467, 0.9983369105515808, 1.0019349346747315),
  ('telco', 'efron', 2, 0.022768568794846483, 0.054881588404764745, 0.41486716140434715, 0.67823915055151018, 0.9186984233393205, 1.1392093913836017),
  ('telco', 'efron', 3, -2.1871047829691186, 0.083866269707346355, -26.078479352916023, 6.3971619989357307e-150, 0.095228153476104416, 0.13229382081299987),
  ('telco', 'efron', 4, -4.2174382155966903, 0.15725705084878819, -26.818754344134323, 1.9530145018762497e-158, 0.010827605171268621, 0.020056137554709426),
  ('telco', 'breslow', 1, 0.00024828356170669138, 0.00091963937873321036, 0.26997926301144076, 0.78717620713899461, 0.99844703060748707, 1.0020528478356463),
  ('telco', 'breslow', 2, 0.021444558617407967, 0.05486435092461802, 0.39086507460686359, 0.69589697084172264, 0.91751385969765176, 1.1376636282001085),
  ('telco', 'breslow', 3, -2.1725589094267894, 0.083884668505956675, -25.899356200859462, 6.7718424313988888e-148, 0.096619969207436068, 0.13423705426482185),
  ('telco', 'breslow', 4, -4.1953772221448755, 0.15707970840302701, -26.708588046144019, 3.740983014467871e-157, 0.011072975339895102, 0.020496387026647481);
INSERT INTO r_fit VALUES
  ('bank', 'efron', 10000, 2037, 4, -17060.114108588106, -16567.963925856027, 1043.524416222418, 1006.5492255381973, 7641988, 3281929, 35, 197798, 0, 0.69956417787262337, 0.0064599417752468063, 9.013024885152098e-212),
  ('bank', 'breslow', 10000, 2037, 4, -17119.923426523008, -16660.997080141871, 970.13688160318645, 937.59607263924681, 7648603, 3275314, 35, 197798, 0, 0.70016972795193533, 0.0064486073610297854, 2.2568799329498405e-197),
  ('telco', 'efron', 7043, 1869, 6, -15653.039635111487, -14343.456120178667, 2350.6496415496445, 1282.4053125358896, 6789415, 2105085, 2934, 102174, 131, 0.7632405028236231, 0.0045940877928400646, 0),
  ('telco', 'breslow', 7043, 1869, 6, -15669.70531760337, -14376.84928825803, 2311.5446255823522, 1269.5851113912531, 6789227, 2105273, 2934, 102174, 131, 0.76321937313611987, 0.0045941865722598117, 0);
INSERT INTO r_risk VALUES
  ('bank', 'efron', 1, 3.3799323180561731),
  ('bank', 'efron', 2, 27.869418460168635),
  ('bank', 'efron', 3, 1.0297559556248157),
  ('bank', 'breslow', 1, 3.2935365927163831),
  ('bank', 'breslow', 2, 24.92009941318641),
  ('bank', 'breslow', 3, 1.0452610193754011),
  ('telco', 'efron', 1, 1.0094450166927424),
  ('telco', 'efron', 2, 1.0376273926691126),
  ('telco', 'efron', 3, 0.014776477364368648),
  ('telco', 'breslow', 1, 1.0175317576726819),
  ('telco', 'breslow', 2, 1.0487914218056051),
  ('telco', 'breslow', 3, 0.015140992473949589);
INSERT INTO r_surv VALUES
  ('bank', 'efron', 1, 0, 0.99403567909759893),
  ('bank', 'efron', 1, 2, 0.96424850763509973),
  ('bank', 'efron', 1, 4.5, 0.92813150996512905),
  ('bank', 'efron', 1, 7, 0.85259723598296711),
  ('bank', 'efron', 1, 10, 0.63233984808177135),
  ('bank', 'efron', 1, 12, 0.63233984808177135),
  ('bank', 'efron', 2, 0, 0.95187040466542661),
  ('bank', 'efron', 2, 2, 0.7406777931783094),
  ('bank', 'efron', 2, 4.5, 0.54065781668763124),
  ('bank', 'efron', 2, 7, 0.26850054614591806),
  ('bank', 'efron', 2, 10, 0.022841613545343843),
  ('bank', 'efron', 2, 12, 0.022841613545343843),
  ('bank', 'efron', 3, 0, 0.99817908375932229),
  ('bank', 'efron', 3, 2, 0.98896948766073656),
  ('bank', 'efron', 3, 4.5, 0.97753354260298497),
  ('bank', 'efron', 3, 7, 0.95257661261054527),
  ('bank', 'efron', 3, 10, 0.86967317953547485),
  ('bank', 'efron', 3, 12, 0.86967317953547485),
  ('bank', 'breslow', 1, 0, 0.99387701731696121),
  ('bank', 'breslow', 1, 2, 0.96368366576690367),
  ('bank', 'breslow', 1, 4.5, 0.92723539536049404),
  ('bank', 'breslow', 1, 7, 0.85182925426585698),
  ('bank', 'breslow', 1, 10, 0.65060566508195361),
  ('bank', 'breslow', 1, 12, 0.65060566508195361),
  ('bank', 'breslow', 2, 0, 0.95459211218913753),
  ('bank', 'breslow', 2, 2, 0.75586206506571829),
  ('bank', 'breslow', 2, 4.5, 0.56460872135882556),
  ('bank', 'breslow', 2, 7, 0.2971816511613336),
  ('bank', 'breslow', 2, 10, 0.038680731261517956),
  ('bank', 'breslow', 2, 12, 0.038680731261517956),
  ('bank', 'breslow', 3, 0, 0.99805269001939356),
  ('bank', 'breslow', 3, 2, 0.98832853381487262),
  ('bank', 'breslow', 3, 4.5, 0.9763087404419446),
  ('bank', 'breslow', 3, 7, 0.95037755887961173),
  ('bank', 'breslow', 3, 10, 0.87247536979462814),
  ('bank', 'breslow', 3, 12, 0.87247536979462814),
  ('telco', 'efron', 1, 0, 1),
  ('telco', 'efron', 1, 1, 0.90691166624052533),
  ('telco', 'efron', 1, 12, 0.71625604160979883),
  ('telco', 'efron', 1, 24.5, 0.60252633465073124),
  ('telco', 'efron', 1, 36, 0.50668794210974788),
  ('telco', 'efron', 1, 72, 0.02448685026070152),
  ('telco', 'efron', 1, 80, 0.02448685026070152),
  ('telco', 'efron', 2, 0, 1),
  ('telco', 'efron', 2, 1, 0.90444103626291428),
  ('telco', 'efron', 2, 12, 0.70961370723413253),
  ('telco', 'efron', 2, 24.5, 0.59406402566975425),
  ('telco', 'efron', 2, 36, 0.49716129969668188),
  ('telco', 'efron', 2, 72, 0.022077711487844664),
  ('telco', 'efron', 2, 80, 0.022077711487844664),
  ('telco', 'efron', 3, 0, 1),
  ('telco', 'efron', 3, 1, 0.99857071871475034),
  ('telco', 'efron', 3, 12, 0.99512688135123084),
  ('telco', 'efron', 3, 24.5, 0.99261135945564483),
  ('telco', 'efron', 3, 36, 0.99009741754590119),
  ('telco', 'efron', 3, 72, 0.9471458203557791),
  ('telco', 'efron', 3, 80, 0.9471458203557791),
  ('telco', 'breslow', 1, 0, 1),
  ('telco', 'breslow', 1, 1, 0.9111191837451873),
  ('telco', 'breslow', 1, 12, 0.72165699358398372),
  ('telco', 'breslow', 1, 24.5, 0.60799618025428048),
  ('telco', 'breslow', 1, 36, 0.51208759831460404),
  ('telco', 'breslow', 1, 72, 0.027095275260679012),
  ('telco', 'breslow', 1, 80, 0.027095275260679012),
  ('telco', 'breslow', 2, 0, 1),
  ('telco', 'breslow', 2, 1, 0.90851750065819903),
  ('telco', 'breslow', 2, 12, 0.71446111350874897),
  ('telco', 'breslow', 2, 24.5, 0.59877278624854502),
  ('telco', 'breslow', 2, 36, 0.50166638681041575),
  ('telco', 'breslow', 2, 72, 0.024252157572335457),
  ('telco', 'breslow', 2, 80, 0.024252157572335457),
  ('telco', 'breslow', 3, 0, 1),
  ('telco', 'breslow', 3, 1, 0.99861589413340346),
  ('telco', 'breslow', 3, 12, 0.99515778772156194),
  ('telco', 'breslow', 3, 24.5, 0.99262319474754801),
  ('telco', 'breslow', 3, 36, 0.99009076187208933),
  ('telco', 'breslow', 3, 72, 0.94772267502584673),
  ('telco', 'breslow', 3, 80, 0.94772267502584673);
INSERT INTO r_cond VALUES
  ('bank', 'efron', 1, 2, 3, 0.060537223045952104),
  ('bank', 'efron', 1, 5, 5, 0.30195728686781742),
  ('bank', 'efron', 1, 9.5, 1, 0.13920117371716401),
  ('bank', 'efron', 2, 2, 3, 0.40244613731820489),
  ('bank', 'efron', 2, 5, 5, 0.94839159970523756),
  ('bank', 'efron', 2, 9.5, 1, 0.70944517244322736),
  ('bank', 'efron', 3, 2, 3, 0.018845759468737788),
  ('bank', 'efron', 3, 5, 5, 0.10373611078613532),
  ('bank', 'efron', 3, 9.5, 1, 0.044640898995403466),
  ('bank', 'breslow', 1, 2, 3, 0.060976969611863718),
  ('bank', 'breslow', 1, 5, 5, 0.28103607629209437),
  ('bank', 'breslow', 1, 9.5, 1, 0.12246638525229603),
  ('bank', 'breslow', 2, 2, 3, 0.37876131354068421),
  ('bank', 'breslow', 2, 5, 5, 0.91762534031231069),
  ('bank', 'breslow', 2, 9.5, 1, 0.62785437217972417),
  ('bank', 'breslow', 3, 2, 3, 0.019769228963111618),
  ('bank', 'breslow', 3, 5, 5, 0.099417486652733755),
  ('bank', 'breslow', 3, 9.5, 1, 0.040613131808512337),
  ('telco', 'efron', 1, 1, 6, 0.13868381756894821),
  ('telco', 'efron', 1, 12, 12, 0.1587835918332472),
  ('telco', 'efron', 1, 60, 24, 0.90688970694385573),
  ('telco', 'efron', 2, 1, 6, 0.14226638195299768),
  ('telco', 'efron', 2, 12, 12, 0.16283462450966069),
  ('telco', 'efron', 2, 60, 24, 0.91286082047774686),
  ('telco', 'efron', 3, 1, 6, 0.0021830064204562127),
  ('telco', 'efron', 3, 12, 12, 0.0025278403615932588),
  ('telco', 'efron', 3, 60, 24, 0.034153829289761628),
  ('telco', 'breslow', 1, 1, 6, 0.1369095042756292),
  ('telco', 'breslow', 1, 12, 12, 0.15749977390952263),
  ('telco', 'breslow', 1, 60, 24, 0.89894092701302897),
  ('telco', 'breslow', 2, 1, 6, 0.14080465304029222),
  ('telco', 'breslow', 2, 12, 12, 0.16192389630844095),
  ('telco', 'breslow', 2, 60, 24, 0.90581216837048861),
  ('telco', 'breslow', 3, 1, 6, 0.0021884868016839309),
  ('telco', 'breslow', 3, 12, 12, 0.0025469257290514635),
  ('telco', 'breslow', 3, 60, 24, 0.033530922254543905);
INSERT INTO r_base VALUES
  ('bank', 'efron', 0, 0.001769910738570362),
  ('bank', 'efron', 1, 0.0063371783210999675),
  ('bank', 'efron', 2, 0.01077128953012038),
  ('bank', 'efron', 3, 0.016140655596922231),
  ('bank', 'efron', 4, 0.022066075854063612),
  ('bank', 'efron', 5, 0.029247127238308974),
  ('bank', 'efron', 6, 0.037562337275165288),
  ('bank', 'efron', 7, 0.047180831306241781),
  ('bank', 'efron', 8, 0.062359996443959821),
  ('bank', 'efron', 9, 0.091254443266126806),
  ('bank', 'efron', 10, 0.13560280263823471),
  ('bank', 'breslow', 0, 0.0018648054577432441),
  ('bank', 'breslow', 1, 0.006612390783690969),
  ('bank', 'breslow', 2, 0.011231751865241691),
  ('bank', 'breslow', 3, 0.016800846875603948),
  ('bank', 'breslow', 4, 0.022938203689923945),
  ('bank', 'breslow', 5, 0.0303344008866137),
  ('bank', 'breslow', 6, 0.038880689719295432),
  ('bank', 'breslow', 7, 0.048692089343305739),
  ('bank', 'breslow', 8, 0.063779572087372602),
  ('bank', 'breslow', 9, 0.090848099638070792),
  ('bank', 'breslow', 10, 0.13051367288840116);

CREATE TABLE fits AS
SELECT dataset, ties, churn.coxph(time, event, x, ties) AS m
  FROM cox_rows, (VALUES ('efron'), ('breslow')) v(ties)
 GROUP BY dataset, ties;
-- the default ties method is Efron, as R's
SELECT dataset, (SELECT churn.coxph(time, event, x)::text FROM cox_rows r WHERE r.dataset = f.dataset) = m::text AS default_is_efron
  FROM fits f WHERE ties = 'efron' ORDER BY dataset;

-- coefficients: R's summary(fit)$coefficients and $conf.int
SELECT f.dataset, f.ties, c.term, round(c.coef::numeric, 6) AS coef, round(c.exp_coef::numeric, 4) AS exp_coef,
	   round(c.std_error::numeric, 6) AS se, round(c.z::numeric, 3) AS z,
	   abs(c.coef / r.coef - 1) < 1e-6 AS coef_ok,
	   abs(c.exp_coef / exp(r.coef) - 1) < 1e-6 AS exp_coef_ok,
	   abs(c.std_error / r.se - 1) < 1e-6 AS se_ok,
	   abs(c.z / r.z - 1) < 1e-6 AS z_ok,
	   abs(c.p_value / r.p - 1) < 1e-6 AS p_ok,
	   abs(c.lower_95 / r.lower - 1) < 1e-6 AND abs(c.upper_95 / r.upper - 1) < 1e-6 AS bounds_ok
  FROM fits f, churn.cox_coefficients(f.m) c
  JOIN r_coef r ON r.term = c.term
 WHERE r.dataset = f.dataset AND r.ties = f.ties
 ORDER BY f.dataset, f.ties DESC, c.term;

-- the whole fit: counts, iterations, log likelihoods, tests, concordance
SELECT f.dataset, f.ties, s.n, s.events, s.iterations, s.converged,
	   round(s.loglik_null::numeric, 4) AS loglik_null, round(s.loglik::numeric, 4) AS loglik,
	   round(s.concordance::numeric, 6) AS concordance,
	   s.n = r.n AND s.events = r.events AND s.iterations = r.iter AS counts_ok,
	   abs(s.loglik_null - r.loglik_null) < 1e-8 AND abs(s.loglik - r.loglik) < 1e-8
	   AND abs(churn.cox_loglik(f.m) - r.loglik) < 1e-8 AS loglik_ok,
	   abs(s.score_chisq / r.score - 1) < 1e-6 AS score_ok,
	   abs(s.wald_chisq / r.wald - 1) < 1e-6 AS wald_ok,
	   abs(s.lr_chisq - 2 * (r.loglik - r.loglik_null)) < 1e-7
	   AND (r.lr_p = 0 OR abs(s.lr_p_value / r.lr_p - 1) < 1e-6) AS lr_ok,
	   abs(churn.concordance(f.m) - r.concordance) < 1e-9 AS concordance_ok,
	   abs(s.concordance_se / r.concordance_se - 1) < 1e-6 AS concordance_se_ok,
	   s.singular_terms = '{}' AND s.infinite_terms = '{}' AS no_warnings
  FROM fits f, churn.cox_summary(f.m) s, r_fit r
 WHERE r.dataset = f.dataset AND r.ties = f.ties
 ORDER BY f.dataset, f.ties DESC;
-- concordance counts, exactly R's (concordant, discordant, tied.x, tied.y, tied.xy)
SELECT f.dataset, f.ties, substring(f.m::text FROM 'concordance=\{[0-9,]*\}') AS counts,
	   substring(f.m::text FROM 'concordance=\{[0-9,]*\}') =
	   format('concordance={%s,%s,%s,%s,%s}', r.concordant, r.discordant, r.tied_x, r.tied_y, r.tied_xy) AS counts_ok
  FROM fits f JOIN r_fit r USING (dataset, ties)
 ORDER BY f.dataset, f.ties DESC;

-- scoring: R's predict(fit, newdata, type = "risk", reference = "zero")
SELECT f.dataset, f.ties, p.profile, round(churn.relative_risk(f.m, p.x)::numeric, 6) AS relative_risk,
	   abs(churn.relative_risk(f.m, p.x) / r.risk - 1) < 1e-6 AS risk_ok
  FROM fits f JOIN profiles p USING (dataset) JOIN r_risk r USING (dataset, ties, profile)
 ORDER BY f.dataset, f.ties DESC, p.profile;

-- survival curves of new customers: R's summary(survfit(fit, newdata), times, extend = TRUE)
SELECT f.dataset, f.ties, count(*) AS points,
	   max(abs(churn.predict_survival(f.m, p.x, r.t) - r.surv)) < 1e-7 AS survival_ok
  FROM fits f JOIN profiles p USING (dataset) JOIN r_surv r USING (dataset, ties, profile)
 GROUP BY f.dataset, f.ties ORDER BY f.dataset, f.ties DESC;
SELECT p.profile, r.t, round(churn.predict_survival(f.m, p.x, r.t)::numeric, 6) AS survival
  FROM fits f JOIN profiles p USING (dataset) JOIN r_surv r USING (dataset, ties, profile)
 WHERE f.dataset = 'telco' AND f.ties = 'efron'
 ORDER BY p.profile, r.t;

-- churn within a horizon of a customer who has lasted tenure: 1 - S(t + h) / S(t) from R's curves
SELECT f.dataset, f.ties, count(*) AS cases,
	   max(abs(churn.churn_probability(f.m, p.x, r.tenure, r.horizon) - r.prob)) < 1e-7 AS probability_ok
  FROM fits f JOIN profiles p USING (dataset) JOIN r_cond r USING (dataset, ties, profile)
 GROUP BY f.dataset, f.ties ORDER BY f.dataset, f.ties DESC;

-- the baseline at covariates zero: R's basehaz(fit, centered = FALSE) at the event times
SELECT f.ties, count(*) AS steps, max(abs(b.cumulative_hazard / r.cumhaz - 1)) < 1e-7 AS baseline_ok,
	   bool_and(abs(b.survival - exp(-b.cumulative_hazard)) < 1e-12) AS survival_is_exp_minus_hazard
  FROM fits f, churn.cox_baseline(f.m) b JOIN r_base r ON r.time = b.time
 WHERE f.dataset = 'bank' AND r.dataset = 'bank' AND r.ties = f.ties
 GROUP BY f.ties ORDER BY f.ties DESC;

-- names for the terms
SELECT term, name, round(coef::numeric, 6) AS coef, round(exp_coef::numeric, 4) AS hazard_ratio,
	   round(lower_95::numeric, 4) AS lower_95, round(upper_95::numeric, 4) AS upper_95,
	   p_value < 0.001 AS significant
  FROM churn.cox_coefficients((SELECT m FROM fits WHERE dataset = 'bank' AND ties = 'efron'),
							  ARRAY['age', 'credit_score / 100', 'balance / 1e5', 'is_active_member']);

--
-- Stratified by internet service (DSL, Fiber optic, No), R's
-- coxph(Surv(tenure, churn) ~ x1 + x2 + x3 + x4 + strata(InternetService)):
-- the same coefficients for everyone, a baseline hazard per stratum, risk
-- sets and concordance pairs within a stratum only
--
CREATE TABLE r_strata_coef (ties text, term int, coef float8, se float8, p float8);
CREATE TABLE r_strata_fit (ties text, iter int, loglik_null float8, loglik float8, score float8,
	wald float8, concordant float8, discordant float8, tied_x float8, tied_y float8,
	tied_xy float8, concordance float8, concordance_se float8);
CREATE TABLE r_strata_surv (ties text, stratum text, profile int, t float8, surv float8);
CREATE TABLE r_strata_cond (ties text, stratum text, profile int, prob float8);
INSERT INTO r_strata_coef VALUES
  ('efron', 1, -0.03262770934230115, 0.0021101571471457297, 6.241216612019882e-54),
  ('efron', 2, -0.06106008062799332, 0.054685657734350621, 0.26418044807242325),
  ('efron', 3, -1.8493309291771218, 0.086145796431980087, 3.1374158981105804e-102),
  ('efron', 4, -3.5697917488504367, 0.16394527428468253, 4.0673395898084474e-105),
  ('breslow', 1, -0.031826703680386752, 0.0021099291981941113, 2.0559141335903626e-51),
  ('breslow', 2, -0.061406249274996466, 0.05467500140862129, 0.26138916062178258),
  ('breslow', 3, -1.838608832494103, 0.086193515107423638, 5.8326095512114773e-101),
  ('breslow', 4, -3.5580508147202599, 0.16392985028356905, 1.8516419680585863e-104);
INSERT INTO r_strata_fit VALUES
  ('efron', 6, -13939.157264465812, -12795.075989154895, 1930.5681944142298, 1278.1918797826816, 2855169, 701164, 2777, 45511, 129, 0.80260444324564295, 0.0045449273304000379),
  ('breslow', 6, -13958.239104140428, -12834.909737450394, 1888.383438443386, 1254.199771482866, 2855165, 701168, 2777, 45511, 129, 0.80260331936916818, 0.0045447508137388412);
INSERT INTO r_strata_surv VALUES
  ('efron', 'DSL', 1, 0, 1),
  ('efron', 'DSL', 1, 1, 0.95407295162360106),
  ('efron', 'DSL', 1, 12, 0.85720327478794833),
  ('efron', 'DSL', 1, 24.5, 0.79666421888847816),
  ('efron', 'DSL', 1, 36, 0.76080947498100426),
  ('efron', 'DSL', 1, 72, 0.16384770206864666),
  ('efron', 'DSL', 1, 80, 0.16384770206864666),
  ('efron', 'DSL', 2, 0, 1),
  ('efron', 'DSL', 2, 1, 0.98620661292202039),
  ('efron', 'DSL', 2, 12, 0.95550146394212265),
  ('efron', 'DSL', 2, 24.5, 0.93504897939273779),
  ('efron', 'DSL', 2, 36, 0.92241436678720301),
  ('efron', 'DSL', 2, 72, 0.58603944669311192),
  ('efron', 'DSL', 2, 80, 0.58603944669311192),
  ('efron', 'DSL', 3, 0, 1),
  ('efron', 'DSL', 3, 1, 0.99331041164932754),
  ('efron', 'DSL', 3, 12, 0.97824308532687365),
  ('efron', 'DSL', 3, 24.5, 0.96806758993472941),
  ('efron', 'DSL', 3, 36, 0.96172407676774219),
  ('efron', 'DSL', 3, 72, 0.77241457107552736),
  ('efron', 'DSL', 3, 80, 0.77241457107552736),
  ('efron', 'Fiber optic', 1, 0, 1),
  ('efron', 'Fiber optic', 1, 1, 0.84865583215670604),
  ('efron', 'Fiber optic', 1, 12, 0.5171175041089483),
  ('efron', 'Fiber optic', 1, 24.5, 0.34925925151444054),
  ('efron', 'Fiber optic', 1, 36, 0.22455331891936367),
  ('efron', 'Fiber optic', 1, 72, 0.00010443617261132361),
  ('efron', 'Fiber optic', 1, 80, 0.00010443617261132361),
  ('efron', 'Fiber optic', 2, 0, 1),
  ('efron', 'Fiber optic', 2, 1, 0.95267683737818531),
  ('efron', 'Fiber optic', 2, 12, 0.82297642644050051),
  ('efron', 'Fiber optic', 2, 24.5, 0.73288349926723484),
  ('efron', 'Fiber optic', 2, 36, 0.64322693770966421),
  ('efron', 'Fiber optic', 2, 72, 0.066661201179755894),
  ('efron', 'Fiber optic', 2, 80, 0.066661201179755894),
  ('efron', 'Fiber optic', 3, 0, 1),
  ('efron', 'Fiber optic', 3, 1, 0.97684452514327336),
  ('efron', 'Fiber optic', 3, 12, 0.91014563108117652),
  ('efron', 'Fiber optic', 3, 24.5, 0.86055379620519745),
  ('efron', 'Fiber optic', 3, 36, 0.80796370585631139),
  ('efron', 'Fiber optic', 3, 72, 0.27016912626531397),
  ('efron', 'Fiber optic', 3, 80, 0.27016912626531397),
  ('efron', 'No', 1, 0, 1),
  ('efron', 'No', 1, 1, 0.97995815086765437),
  ('efron', 'No', 1, 12, 0.95897452458169508),
  ('efron', 'No', 1, 24.5, 0.94847771837067063),
  ('efron', 'No', 1, 36, 0.93640866580691495),
  ('efron', 'No', 1, 72, 0.85680343521321445),
  ('efron', 'No', 1, 80, 0.85680343521321445),
  ('efron', 'No', 2, 0, 1),
  ('efron', 'No', 2, 1, 0.99403687060288515),
  ('efron', 'No', 2, 12, 0.98770072468397729),
  ('efron', 'No', 2, 24.5, 0.98449443226569899),
  ('efron', 'No', 2, 36, 0.98077684084388006),
  ('efron', 'No', 2, 72, 0.9553697746623353),
  ('efron', 'No', 2, 80, 0.9553697746623353),
  ('efron', 'No', 3, 0, 1),
  ('efron', 'No', 3, 1, 0.99711385946704467),
  ('efron', 'No', 3, 12, 0.99403735884547584),
  ('efron', 'No', 3, 24.5, 0.99247666479157315),
  ('efron', 'No', 3, 36, 0.9906637990940218),
  ('efron', 'No', 3, 72, 0.97817792940024806),
  ('efron', 'No', 3, 80, 0.97817792940024806),
  ('breslow', 'DSL', 1, 0, 1),
  ('breslow', 'DSL', 1, 1, 0.95577163464868375),
  ('breslow', 'DSL', 1, 12, 0.8583541364469689),
  ('breslow', 'DSL', 1, 24.5, 0.79717374941395214),
  ('breslow', 'DSL', 1, 36, 0.76090282548688304),
  ('breslow', 'DSL', 1, 72, 0.16584003115353629),
  ('breslow', 'DSL', 1, 80, 0.16584003115353629),
  ('breslow', 'DSL', 2, 0, 1),
  ('breslow', 'DSL', 2, 1, 0.98634943988027868),
  ('breslow', 'DSL', 2, 12, 0.95465232518595511),
  ('breslow', 'DSL', 2, 24.5, 0.93344313522571898),
  ('breslow', 'DSL', 2, 36, 0.9203289220685289),
  ('breslow', 'DSL', 2, 72, 0.57930925302682146),
  ('breslow', 'DSL', 2, 80, 0.57930925302682146),
  ('breslow', 'DSL', 3, 0, 1),
  ('breslow', 'DSL', 3, 1, 0.99374057084292744),
  ('breslow', 'DSL', 3, 12, 0.97902202079552814),
  ('breslow', 'DSL', 3, 24.5, 0.96902478744568799),
  ('breslow', 'DSL', 3, 36, 0.96278138913729439),
  ('breslow', 'DSL', 3, 72, 0.7792693332093914),
  ('breslow', 'DSL', 3, 80, 0.7792693332093914),
  ('breslow', 'Fiber optic', 1, 0, 1),
  ('breslow', 'Fiber optic', 1, 1, 0.85877866426381932),
  ('breslow', 'Fiber optic', 1, 12, 0.53052063690841822),
  ('breslow', 'Fiber optic', 1, 24.5, 0.36169448218074968),
  ('breslow', 'Fiber optic', 1, 36, 0.23520665320655645),
  ('breslow', 'Fiber optic', 1, 72, 0.00015935031507037463),
  ('breslow', 'Fiber optic', 1, 80, 0.00015935031507037463),
  ('breslow', 'Fiber optic', 2, 0, 1),
  ('breslow', 'Fiber optic', 2, 1, 0.95479576013804213),
  ('breslow', 'Fiber optic', 2, 12, 0.82480931692306636),
  ('breslow', 'Fiber optic', 2, 24.5, 0.73418688860572123),
  ('breslow', 'Fiber optic', 2, 36, 0.64420083733503297),
  ('breslow', 'Fiber optic', 2, 72, 0.070165422018202472),
  ('breslow', 'Fiber optic', 2, 80, 0.070165422018202472),
  ('breslow', 'Fiber optic', 3, 0, 1),
  ('breslow', 'Fiber optic', 3, 1, 0.9790892178676398),
  ('breslow', 'Fiber optic', 3, 12, 0.91577083301205775),
  ('breslow', 'Fiber optic', 3, 24.5, 0.8683500910999864),
  ('breslow', 'Fiber optic', 3, 36, 0.81799930824812117),
  ('breslow', 'Fiber optic', 3, 72, 0.29707136853580424),
  ('breslow', 'Fiber optic', 3, 80, 0.29707136853580424),
  ('breslow', 'No', 1, 0, 1),
  ('breslow', 'No', 1, 1, 0.98019077575027402),
  ('breslow', 'No', 1, 12, 0.95850657575893683),
  ('breslow', 'No', 1, 24.5, 0.94768023910523091),
  ('breslow', 'No', 1, 36, 0.93521641586939708),
  ('breslow', 'No', 1, 72, 0.85364254280262308),
  ('breslow', 'No', 1, 80, 0.85364254280262308),
  ('breslow', 'No', 2, 0, 1),
  ('breslow', 'No', 2, 1, 0.99393919435808176),
  ('breslow', 'No', 2, 12, 0.98720615694665581),
  ('breslow', 'No', 2, 24.5, 0.9838047844027602),
  ('breslow', 'No', 2, 36, 0.97985528796930299),
  ('breslow', 'No', 2, 72, 0.95305709635366043),
  ('breslow', 'No', 2, 80, 0.95305709635366043),
  ('breslow', 'No', 3, 0, 1),
  ('breslow', 'No', 3, 1, 0.99722659880117337),
  ('breslow', 'No', 3, 12, 0.9941347948597733),
  ('breslow', 'No', 3, 24.5, 0.99256853297556924),
  ('breslow', 'No', 3, 36, 0.99074617637171469),
  ('breslow', 'No', 3, 72, 0.97827431063812342),
  ('breslow', 'No', 3, 80, 0.97827431063812342);
INSERT INTO r_strata_cond VALUES
  ('efron', 'DSL', 1, 0.070623920463260159),
  ('efron', 'DSL', 2, 0.021404974582669767),
  ('efron', 'DSL', 3, 0.010401806611026743),
  ('efron', 'Fiber optic', 1, 0.3246036950223653),
  ('efron', 'Fiber optic', 2, 0.10947206296410139),
  ('efron', 'Fiber optic', 3, 0.054487801932387558),
  ('efron', 'No', 1, 0.010945865549038647),
  ('efron', 'No', 2, 0.003246218554010083),
  ('efron', 'No', 3, 0.0015700557328302001),
  ('breslow', 'DSL', 1, 0.071276393315076181),
  ('breslow', 'DSL', 2, 0.022216664015462184),
  ('breslow', 'DSL', 3, 0.01021144891278003),
  ('breslow', 'Fiber optic', 1, 0.31822730914200492),
  ('breslow', 'Fiber optic', 2, 0.10987076219678282),
  ('breslow', 'Fiber optic', 3, 0.051782323920603557),
  ('breslow', 'No', 1, 0.011295005091784271),
  ('breslow', 'No', 2, 0.0034454531304948244),
  ('breslow', 'No', 3, 0.001575502529739925);
CREATE TABLE strata_fits AS
SELECT ties, churn.coxph(tenure, churn = 'Yes',
						 ARRAY[monthly_charges, senior_citizen, (contract = 'One year')::int,
							   (contract = 'Two year')::int]::float8[], ties, internet_service) AS m
  FROM telco, (VALUES ('efron'), ('breslow')) v(ties)
 GROUP BY ties;
SELECT f.ties, c.term, round(c.coef::numeric, 6) AS coef, abs(c.coef / r.coef - 1) < 1e-6 AS coef_ok,
	   abs(c.std_error / r.se - 1) < 1e-6 AS se_ok, abs(c.p_value / r.p - 1) < 1e-6 AS p_ok
  FROM strata_fits f, churn.cox_coefficients(f.m) c JOIN r_strata_coef r ON r.term = c.term
 WHERE r.ties = f.ties
 ORDER BY f.ties DESC, c.term;
SELECT f.ties, s.strata, s.iterations, round(s.loglik::numeric, 4) AS loglik,
	   round(s.concordance::numeric, 6) AS concordance,
	   s.iterations = r.iter AND abs(s.loglik_null - r.loglik_null) < 1e-8
	   AND abs(s.loglik - r.loglik) < 1e-8 AS loglik_ok,
	   abs(s.score_chisq / r.score - 1) < 1e-6 AND abs(s.wald_chisq / r.wald - 1) < 1e-6 AS tests_ok,
	   substring(f.m::text FROM 'concordance=\{[0-9,]*\}') =
	   format('concordance={%s,%s,%s,%s,%s}', r.concordant, r.discordant, r.tied_x, r.tied_y, r.tied_xy)
	   AS counts_ok,
	   abs(s.concordance - r.concordance) < 1e-9 AS concordance_ok,
	   abs(s.concordance_se / r.concordance_se - 1) < 1e-6 AS concordance_se_ok
  FROM strata_fits f, churn.cox_summary(f.m) s, r_strata_fit r
 WHERE r.ties = f.ties ORDER BY f.ties DESC;
-- a survival curve per stratum (R: survfit(fit, newdata) with the stratum in newdata)
SELECT f.ties, r.stratum, count(*) AS points,
	   max(abs(churn.predict_survival(f.m, p.x, r.t, r.stratum) - r.surv)) < 1e-7 AS survival_ok
  FROM strata_fits f JOIN r_strata_surv r USING (ties)
  JOIN profiles p ON p.dataset = 'telco' AND p.profile = r.profile
 GROUP BY f.ties, r.stratum ORDER BY f.ties DESC, r.stratum;
SELECT f.ties, count(*) AS cases,
	   max(abs(churn.churn_probability(f.m, p.x, 12, 12, r.stratum) - r.prob)) < 1e-7 AS probability_ok
  FROM strata_fits f JOIN r_strata_cond r USING (ties)
  JOIN profiles p ON p.dataset = 'telco' AND p.profile = r.profile
 GROUP BY f.ties ORDER BY f.ties DESC;
SELECT stratum, count(*) AS steps, round(max(cumulative_hazard)::numeric, 4) AS last_cumulative_hazard
  FROM churn.cox_baseline((SELECT m FROM strata_fits WHERE ties = 'efron'))
 GROUP BY stratum ORDER BY stratum;

--
-- Degenerate fits: R's answers and warnings
--
-- A redundant covariate (2 age + 1 is a linear function of age): NULL
-- coefficient and a WARNING, the others as R's (R: NA, "X matrix deemed to
-- be singular; variable 3").
-- collinear: coef 0.049696141657743616, -0.049760162544682657, NULL, -0.80248934739283018; loglik -16618.249236225503; iter 4
CREATE TABLE collinear AS
SELECT churn.coxph(tenure, exited = 1, ARRAY[age, credit_score::float8 / 100, 2 * age + 1, is_active_member]::float8[]) AS m
  FROM bank;
SELECT c.term, round(c.coef::numeric, 6) AS coef, c.std_error IS NULL AS se_null,
	   c.coef IS NULL OR abs(c.coef / r.coef - 1) < 1e-6 AS coef_ok
  FROM collinear, churn.cox_coefficients(m) c
  JOIN (VALUES (1, 0.049696141657743616), (2, -0.049760162544682657), (3, NULL),
			   (4, -0.80248934739283018)) r(term, coef) USING (term)
 ORDER BY c.term;
SELECT s.singular_terms, s.df, s.iterations, abs(s.loglik - (-16618.249236225503)) < 1e-8 AS loglik_ok
  FROM collinear, churn.cox_summary(m) s;

-- Monotone likelihood: a covariate that is 1 for the first six customers
-- only, three of whom die before anyone with 0: its coefficient grows
-- without bound, the log likelihood converges first; a WARNING names it
-- and the model marks it (R: "Loglik converged before variable 1;
-- coefficient may be infinite").
-- monotone: w = '{-0.62645381074233242,0.18364332422208224,-0.83562861241004716,1.5952808021377916,0.32950777181536051,-0.82046838411801526,0.48742905242848528,0.73832470512921733,0.57578135165349231,-0.30538838715635602,1.511781168450848,0.38984323641143109,-0.62124058054180376,-2.2146998871774999,1.1249309181431082,-0.044933609015230851,-0.016190263098946087,0.94383621068529922,0.82122119509808855,0.59390132121750883}'
-- R warns: Loglik converged before variable  1 ; coefficient may be infinite.
-- monotone: coef 21.86251002272266, 0.042188490349589637; se 15468.939478418197, 0.40675402004358319; loglik -17.242971036172495; iter 18
CREATE TABLE mono AS
SELECT churn.coxph(t, t % 2 = 1, ARRAY[(t <= 6)::int, w]::float8[]) AS m
  FROM unnest('{-0.62645381074233242,0.18364332422208224,-0.83562861241004716,1.5952808021377916,0.32950777181536051,-0.82046838411801526,0.48742905242848528,0.73832470512921733,0.57578135165349231,-0.30538838715635602,1.511781168450848,0.38984323641143109,-0.62124058054180376,-2.2146998871774999,1.1249309181431082,-0.044933609015230851,-0.016190263098946087,0.94383621068529922,0.82122119509808855,0.59390132121750883}'::float8[]) WITH ORDINALITY AS u(w, t);
SELECT c.term, round(c.coef::numeric, 4) AS coef,
	   abs(c.coef / r.coef - 1) < 1e-6 AND abs(c.std_error / r.se - 1) < 1e-6 AS as_r,
	   s.iterations, s.converged, s.infinite_terms
  FROM mono, churn.cox_coefficients(m) c, churn.cox_summary(m) s,
	   (VALUES (1, 21.86251002272266, 15468.939478418197),
			   (2, 0.042188490349589637, 0.40675402004358319)) r(term, coef, se)
 WHERE r.term = c.term ORDER BY c.term;

-- No convergence: every customer dies and x orders them perfectly, so the
-- likelihood rises towards 1 for ever; after 20 iterations a WARNING, the
-- last coefficient (R's), converged false.  R reports iter 21 there (its
-- loop counter) and we 20, the iterations done.
-- R warns: Ran out of iterations and did not converge
-- no convergence: coef 19.738864916143626; var 74732603.465849921; loglik -1.3381047381244571e-08; iter 21
CREATE TABLE nc AS SELECT churn.coxph(t, true, ARRAY[7 - t]) AS m FROM generate_series(1, 6) t;
SELECT round(c.coef::numeric, 4) AS coef, abs(c.coef / 19.738864916143626 - 1) < 1e-6 AS coef_ok,
	   abs(c.std_error ^ 2 / 74732603.465849921 - 1) < 1e-6 AS var_ok,
	   abs(churn.cox_loglik(m) / -1.3381047381244571e-08 - 1) < 1e-6 AS loglik_ok,
	   s.iterations, s.converged
  FROM nc, churn.cox_coefficients(m) c, churn.cox_summary(m) s;

-- No covariates: the null model (R: coxph(Surv(time, event) ~ 1)), its log
-- likelihood and its baseline survival, exp(-Efron's cumulative hazard)
-- null model: loglik -17060.114108588106; S(5) 0.8546509783621169
SELECT abs(churn.cox_loglik(m) - (-17060.114108588106)) < 1e-8 AS loglik_ok,
	   abs(churn.predict_survival(m, '{}', 5) - 0.8546509783621169) < 1e-7 AS survival_ok,
	   (SELECT count(*) FROM churn.cox_coefficients(m)) AS terms,
	   (churn.cox_summary(m)).df, (churn.cox_summary(m)).lr_chisq IS NULL AS no_test,
	   churn.concordance(m) AS concordance
  FROM (SELECT churn.coxph(tenure, exited = 1, '{}') AS m FROM bank) s;

-- Nothing to fit: no rows, or no events (every customer censored): NULL
SELECT churn.coxph(tenure, exited = 1, ARRAY[age]::float8[]) IS NULL AS no_rows FROM bank WHERE false;
SELECT churn.coxph(tenure, false, ARRAY[age]::float8[]) IS NULL AS no_events FROM bank;
SELECT churn.coxph(NULL::float8, true, ARRAY[age]::float8[]) IS NULL AS only_null_rows FROM bank;
-- rows with a NULL (duration, event, array or element) are skipped and
-- counted, as R's na.omit
SELECT s.n, s.events, s.omitted,
	   churn.cox_loglik(m) = (SELECT churn.cox_loglik(churn.coxph(tenure, exited = 1, ARRAY[age]::float8[]))
							   FROM bank WHERE row_number > 4) AS same_as_without_them
  FROM (SELECT churn.coxph(CASE WHEN row_number = 1 THEN NULL ELSE tenure END,
						   CASE WHEN row_number = 2 THEN NULL ELSE exited = 1 END,
						   CASE row_number WHEN 3 THEN NULL WHEN 4 THEN ARRAY[NULL::float8]
							   ELSE ARRAY[age::float8] END) AS m FROM bank) q,
	   churn.cox_summary(m) s;

DROP TABLE fits, collinear, mono, nc, profiles, r_coef, r_fit, r_risk, r_surv, r_cond, r_base,
	strata_fits, r_strata_coef, r_strata_fit, r_strata_surv, r_strata_cond;
DROP VIEW cox_rows;
DROP TABLE bank, telco;
