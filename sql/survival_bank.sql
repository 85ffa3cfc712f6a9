--
-- survival_bank: Kaplan-Meier curves of the public bank churn data set
-- (sql/data/bank.csv: Tenure in years as time, Exited = 1 as event) against
-- R 4.2 survival::survfit(Surv(Tenure, Exited == 1) ~ 1) with its defaults,
-- overall and by Geography.  The R figures below were printed with %.17g by
--   s <- summary(survfit(Surv(Tenure, Exited == 1) ~ 1, data = d), censored = TRUE)
--   summary(fit)$table["median"];  summary(fit, rmean = 5)$table["rmean"]
-- and are compared to 1e-9.
--
\getenv abs_srcdir PG_ABS_SRCDIR
\set f :abs_srcdir '/sql/data/bank.csv'
CREATE TABLE bank (
	row_number int, customer_id int, surname text, credit_score int,
	geography text, gender text, age int, tenure int, balance numeric,
	num_of_products int, has_cr_card int, is_active_member int,
	estimated_salary numeric, exited int);
COPY bank FROM :'f' WITH (FORMAT csv, HEADER true);
SELECT count(*), sum(exited) FROM bank;

-- R: summary(survfit(...), censored = TRUE)
CREATE TABLE r_km (grp text, time float8, n_risk int8, n_event int8,
	n_censor int8, surv float8, std_err float8, lower float8, upper float8);
INSERT INTO r_km VALUES
  ('all', 0, 10000, 95, 318, 0.99050000000000005, 0.00097003865902344324, 0.98860058269071771, 0.99240306669628253),
  ('all', 1, 9587, 232, 803, 0.96653045791175551, 0.0018200318509622247, 0.9629698357112777, 0.97010424566528008),
  ('all', 2, 8552, 201, 847, 0.94381382764512045, 0.0023802695838390435, 0.93916009608847828, 0.94849061939937063),
  ('all', 3, 7504, 213, 796, 0.9170238029531681, 0.0029364050889048735, 0.91128657700289917, 0.92279714900268472),
  ('all', 4, 6495, 203, 786, 0.88836239694862729, 0.0034658494904121406, 0.88159536210374734, 0.89518137485328297),
  ('all', 5, 5506, 209, 803, 0.85464141239318536, 0.0040437193832184, 0.84675250359800391, 0.86260381950306242),
  ('all', 6, 4494, 196, 771, 0.81736733210189383, 0.0046621727219360812, 0.8082805286998902, 0.8265562906259557),
  ('all', 7, 3527, 177, 851, 0.77634833074605736, 0.0053514416431466949, 0.76593023170318963, 0.78690813562997219),
  ('all', 8, 2499, 197, 828, 0.7151476019917663, 0.0064664348305068899, 0.70258526742751481, 0.72793455306453358),
  ('all', 9, 1474, 213, 771, 0.6118053772806088, 0.0085730263973633706, 0.59523119547568315, 0.62884106631934678),
  ('all', 10, 490, 101, 389, 0.48569855461664657, 0.013088946699737952, 0.4607104173656642, 0.51204200527001364),
  ('France', 0, 5014, 35, 170, 0.99301954527323499, 0.0011757868287440177, 0.99071771739372949, 0.99532672120647347),
  ('France', 1, 4809, 83, 446, 0.97588071760476369, 0.002193880871102661, 0.97159024938716509, 0.9801901322018034),
  ('France', 2, 4280, 90, 435, 0.95535986139344853, 0.0030320590652254771, 0.94943557964912184, 0.96132110943115878),
  ('France', 3, 3755, 83, 408, 0.9342427193173749, 0.00374771839088853, 0.9269261269382022, 0.94161706443701654),
  ('France', 4, 3264, 85, 427, 0.90991348183515164, 0.0044839391225244959, 0.90116742732688215, 0.91874441898247583),
  ('France', 5, 2752, 76, 409, 0.88478505719144829, 0.0052047572781746291, 0.8746425020691011, 0.89504522770999051),
  ('France', 6, 2267, 77, 426, 0.85473280778529859, 0.0060507193888615718, 0.8429555080997585, 0.86667465327017235),
  ('France', 7, 1764, 76, 476, 0.81790758477414061, 0.0071133027758666029, 0.80408391934430956, 0.83196890416187164),
  ('France', 8, 1212, 69, 396, 0.77134353910630582, 0.0086392232419360698, 0.754595472394748, 0.78846332516794748),
  ('France', 9, 747, 88, 416, 0.6804757593990034, 0.011868552574494547, 0.65760693404840576, 0.7041398670768364),
  ('France', 10, 243, 48, 195, 0.54606079457944723, 0.019818219313334381, 0.50856712709154239, 0.58631864997256145),
  ('Germany', 0, 2509, 36, 69, 0.98565165404543642, 0.0023741727533242466, 0.98100932786368544, 0.99031594861399641),
  ('Germany', 1, 2404, 105, 159, 0.94260114502930881, 0.0046941488866073878, 0.93344553712283196, 0.95184655480724301),
  ('Germany', 2, 2140, 64, 211, 0.91441120424338551, 0.005725572293667232, 0.90325786720824608, 0.9257022615592283),
  ('Germany', 3, 1865, 84, 177, 0.87322592748389782, 0.0070127969999713912, 0.85958870640036733, 0.88707950064080521),
  ('Germany', 4, 1604, 76, 156, 0.83185113291483526, 0.0081293754591601399, 0.8160694733037418, 0.84793798808614507),
  ('Germany', 5, 1372, 90, 169, 0.77728363877319151, 0.0094135619221643319, 0.75905064912865305, 0.79595459907457533),
  ('Germany', 6, 1113, 76, 151, 0.7242076670330635, 0.010557550244519872, 0.70380807026535452, 0.74519853799307922),
  ('Germany', 7, 886, 61, 164, 0.67434686828699486, 0.011601376440121585, 0.65198767124565549, 0.69747284929432285),
  ('Germany', 8, 661, 87, 177, 0.58559017004044644, 0.013421059171745048, 0.55986743699134545, 0.61249471676864076),
  ('Germany', 9, 397, 93, 176, 0.44841161635338972, 0.016141922237126943, 0.41786432970920184, 0.48119201229879882),
  ('Germany', 10, 128, 42, 86, 0.3012765547374337, 0.02153919437737617, 0.26188480497129918, 0.34659346671299002),
  ('Spain', 0, 2477, 24, 79, 0.99031085991118284, 0.0019681825865624858, 0.98646079638863726, 0.9941759498688203),
  ('Spain', 1, 2374, 44, 198, 0.97195631996337661, 0.0033535271039048238, 0.96540570165047046, 0.9785513865328116),
  ('Spain', 2, 2132, 47, 201, 0.95052951553641662, 0.0045065151862155031, 0.94173781888769292, 0.95940328803301744),
  ('Spain', 3, 1884, 46, 211, 0.92732125772607954, 0.0055454823404459154, 0.91651576029334791, 0.93825414933993412),
  ('Spain', 4, 1627, 42, 203, 0.90338303226541861, 0.0065174175523109029, 0.89069901639539617, 0.91624767509879179),
  ('Spain', 5, 1382, 43, 225, 0.87527487713704455, 0.0075945099952699196, 0.86051576385615625, 0.89028713095758083),
  ('Spain', 6, 1114, 43, 194, 0.84148958116137762, 0.0088786569387713649, 0.82426643287222368, 0.8590726092480826),
  ('Spain', 7, 877, 40, 211, 0.80310921257933077, 0.010341676745956624, 0.78309354432504741, 0.82363647613224578),
  ('Spain', 8, 626, 41, 255, 0.75050940792157905, 0.01250845039570612, 0.72638939217433107, 0.77543033729162381),
  ('Spain', 9, 330, 32, 179, 0.67773273806251688, 0.016644896397651827, 0.64588207348301829, 0.71115406836538053),
  ('Spain', 10, 119, 11, 108, 0.61508517403993124, 0.023494930013166163, 0.57071750283366329, 0.66290199519953652);

CREATE TABLE km AS
SELECT 'all' AS grp, churn.survival(tenure, exited = 1) AS curve FROM bank
UNION ALL
SELECT geography, churn.survival(tenure, exited = 1) FROM bank GROUP BY geography;

-- every point of every curve matches R, and nothing is missing on either side
SELECT r.grp, count(*) AS points,
	   bool_and(p.at_risk = r.n_risk AND p.events = r.n_event
				AND p.censored = r.n_censor) AS counts_equal,
	   max(abs(p.survival - r.surv)) < 1e-9 AS survival_ok,
	   max(abs(p.std_error - r.std_err)) < 1e-9 AS std_error_ok,
	   max(abs(p.lower - r.lower)) < 1e-9 AS lower_ok,
	   max(abs(p.upper - r.upper)) < 1e-9 AS upper_ok
  FROM r_km r
  FULL JOIN (SELECT grp, (churn.survival_points(curve)).* FROM km) p
	   ON p.grp = r.grp AND p.time = r.time
 GROUP BY r.grp ORDER BY r.grp;

-- R: median (NA = not reached) and restricted mean to 5 years
SELECT k.grp, churn.median_lifetime(k.curve) AS median,
	   churn.median_lifetime(k.curve) IS NOT DISTINCT FROM r.median AS median_ok,
	   abs(churn.restricted_mean_lifetime(k.curve, 5) - r.rmean5) < 1e-9 AS rmean_ok
  FROM km k JOIN (VALUES ('all', 10::float8, 4.7062304854586712::float8),
						 ('France', NULL, 4.7684163254239742),
						 ('Germany', 9, 4.547741063716864),
						 ('Spain', NULL, 4.7435009854024743)) r(grp, median, rmean5)
	   ON r.grp = k.grp
 ORDER BY k.grp;

-- survival_at between and on the event times is the step function of R's curve
SELECT bool_and(abs(churn.survival_at(k.curve, r.time) - r.surv) < 1e-9
				AND abs(churn.survival_at(k.curve, r.time + 0.5) - r.surv) < 1e-9)
	   AS survival_at_ok
  FROM km k JOIN r_km r USING (grp);

-- the curves by geography roll up exactly into the overall curve
SELECT (SELECT churn.rollup(curve) FROM km WHERE grp <> 'all')::text =
	   (SELECT curve FROM km WHERE grp = 'all')::text AS rollup_equals_whole;

-- numeric and interval durations give the same curve (interval unit: days)
SELECT churn.survival(tenure::numeric, exited = 1)::text =
	   churn.survival(tenure::float8, exited = 1)::text AS numeric_same,
	   replace(churn.survival(make_interval(days => tenure), exited = 1)::text, 'days', 'number') =
	   churn.survival(tenure::float8, exited = 1)::text AS interval_same
  FROM bank;

DROP TABLE bank, r_km, km;
