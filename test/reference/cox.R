# test/reference/cox.R: the R figures that sql/cox.sql compares churn's
# Cox models with.  Not run by the tests (CI has no R): run it by hand with
#
#   apt-get install -y r-base-core r-cran-survival
#   Rscript test/reference/cox.R > /tmp/cox_reference.sql
#
# from the top of the tree, and paste what it prints into sql/cox.sql.  The
# figures in sql/cox.sql were printed by R 4.2.2 with survival 3.5.3
# (Debian 12).  Every number is printed with %.17g, so that the tests
# compare with R's own doubles.
#
# Data: sql/data/bank.csv (Tenure in years as time, Exited == 1 as event;
# covariates Age, CreditScore / 100, Balance / 1e5, IsActiveMember) and
# sql/data/telco.csv (IBM Telco: tenure in months, Churn == "Yes";
# covariates MonthlyCharges, SeniorCitizen and the dummies of a one- and a
# two-year contract), each with ties = "efron" (R's default) and "breslow",
# plus small data sets for the hand-worked example and the degenerate fits.

suppressMessages(library(survival))

g <- function(x) ifelse(is.na(x), "NULL", sprintf("%.17g", x))
arr <- function(x) paste0("'{", paste(sprintf("%.17g", x), collapse = ","), "}'")
emit <- function(table, rows) {
	cat(sprintf("INSERT INTO %s VALUES\n  %s;\n", table,
				paste(rows, collapse = ",\n  ")))
}

bank <- read.csv("sql/data/bank.csv")
bank$time <- bank$Tenure
bank$event <- bank$Exited == 1
bank$x1 <- bank$Age
bank$x2 <- bank$CreditScore / 100
bank$x3 <- bank$Balance / 1e5
bank$x4 <- bank$IsActiveMember

telco <- read.csv("sql/data/telco.csv")
telco$time <- telco$tenure
telco$event <- telco$Churn == "Yes"
telco$x1 <- telco$MonthlyCharges
telco$x2 <- telco$SeniorCitizen
telco$x3 <- as.numeric(telco$Contract == "One year")
telco$x4 <- as.numeric(telco$Contract == "Two year")

# customers to score: covariates in the order x1 .. x4
profiles <- list(
	bank = rbind(c(40, 6.5, 1, 1), c(62, 5.2, 1.5, 0), c(25, 8.1, 0, 1)),
	telco = rbind(c(70, 0, 0, 0), c(105.5, 1, 0, 0), c(20.25, 0, 0, 1)))
times <- list(bank = c(0, 2, 4.5, 7, 10, 12), telco = c(0, 1, 12, 24.5, 36, 72, 80))
conds <- list(bank = rbind(c(2, 3), c(5, 5), c(9.5, 1)),
			  telco = rbind(c(1, 6), c(12, 12), c(60, 24)))

coef_rows <- c()
fit_rows <- c()
surv_rows <- c()
risk_rows <- c()
cond_rows <- c()
base_rows <- c()
prof_rows <- c()
for (ds in c("bank", "telco")) {
	d <- get(ds)
	p <- profiles[[ds]]
	for (i in seq_len(nrow(p)))
		prof_rows <- c(prof_rows, sprintf("('%s', %d, %s)", ds, i, arr(p[i, ])))
	for (ties in c("efron", "breslow")) {
		fit <- coxph(Surv(time, event) ~ x1 + x2 + x3 + x4, data = d, ties = ties)
		s <- summary(fit)
		cf <- s$coefficients
		ci <- s$conf.int
		for (j in 1:4)
			coef_rows <- c(coef_rows, sprintf("('%s', '%s', %d, %s, %s, %s, %s, %s, %s)",
				ds, ties, j, g(cf[j, "coef"]), g(cf[j, "se(coef)"]), g(cf[j, "z"]),
				g(cf[j, "Pr(>|z|)"]), g(ci[j, "lower .95"]), g(ci[j, "upper .95"])))
		cc <- fit$concordance
		fit_rows <- c(fit_rows, sprintf("('%s', '%s', %d, %d, %d, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
			ds, ties, fit$n, fit$nevent, fit$iter, g(fit$loglik[1]), g(fit$loglik[2]),
			g(fit$score), g(fit$wald.test), g(cc["concordant"]), g(cc["discordant"]),
			g(cc["tied.x"]), g(cc["tied.y"]), g(cc["tied.xy"]), g(cc["concordance"]),
			g(cc["std"]), g(s$logtest["pvalue"])))
		nd <- data.frame(x1 = p[, 1], x2 = p[, 2], x3 = p[, 3], x4 = p[, 4])
		risk <- predict(fit, newdata = nd, type = "risk", reference = "zero")
		sf <- survfit(fit, newdata = nd)
		tt <- times[[ds]]
		sm <- summary(sf, times = tt, extend = TRUE)$surv
		for (i in seq_len(nrow(p))) {
			risk_rows <- c(risk_rows, sprintf("('%s', '%s', %d, %s)", ds, ties, i, g(risk[i])))
			for (k in seq_along(tt))
				surv_rows <- c(surv_rows, sprintf("('%s', '%s', %d, %s, %s)",
					ds, ties, i, g(tt[k]), g(sm[k, i])))
			cd <- conds[[ds]]
			for (k in seq_len(nrow(cd))) {
				s2 <- summary(sf[i], times = c(cd[k, 1], cd[k, 1] + cd[k, 2]), extend = TRUE)$surv
				cond_rows <- c(cond_rows, sprintf("('%s', '%s', %d, %s, %s, %s)",
					ds, ties, i, g(cd[k, 1]), g(cd[k, 2]), g(1 - s2[2] / s2[1])))
			}
		}
		if (ds == "bank") {
			b <- basehaz(fit, centered = FALSE)
			b <- b[b$time %in% d$time[d$event], ]
			for (k in seq_len(nrow(b)))
				base_rows <- c(base_rows, sprintf("('%s', '%s', %s, %s)",
					ds, ties, g(b$time[k]), g(b$hazard[k])))
		}
	}
}
cat("-- printed by test/reference/cox.R\n")
emit("profiles", prof_rows)
emit("r_coef", coef_rows)
emit("r_fit", fit_rows)
emit("r_risk", risk_rows)
emit("r_surv", surv_rows)
emit("r_cond", cond_rows)
emit("r_base", base_rows)

# Stratified by internet service (DSL, Fiber optic, No): common
# coefficients, a baseline per stratum; concordance within strata.
coef_rows <- c()
fit_rows <- c()
surv_rows <- c()
cond_rows <- c()
for (ties in c("efron", "breslow")) {
	fit <- coxph(Surv(time, event) ~ x1 + x2 + x3 + x4 + strata(InternetService),
				 data = telco, ties = ties)
	s <- summary(fit)
	cf <- s$coefficients
	for (j in 1:4)
		coef_rows <- c(coef_rows, sprintf("('%s', %d, %s, %s, %s)", ties, j,
			g(cf[j, "coef"]), g(cf[j, "se(coef)"]), g(cf[j, "Pr(>|z|)"])))
	cc <- fit$concordance
	fit_rows <- c(fit_rows, sprintf("('%s', %d, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
		ties, fit$iter, g(fit$loglik[1]), g(fit$loglik[2]), g(fit$score), g(fit$wald.test),
		g(cc["concordant"]), g(cc["discordant"]), g(cc["tied.x"]), g(cc["tied.y"]),
		g(cc["tied.xy"]), g(cc["concordance"]), g(cc["std"])))
	p <- profiles$telco
	for (st in c("DSL", "Fiber optic", "No")) {
		nd <- data.frame(x1 = p[, 1], x2 = p[, 2], x3 = p[, 3], x4 = p[, 4], InternetService = st)
		sf <- survfit(fit, newdata = nd)
		tt <- times$telco
		for (i in seq_len(nrow(p))) {
			sm <- summary(sf[i], times = tt, extend = TRUE)$surv
			for (k in seq_along(tt))
				surv_rows <- c(surv_rows, sprintf("('%s', '%s', %d, %s, %s)",
					ties, st, i, g(tt[k]), g(sm[k])))
			s2 <- summary(sf[i], times = c(12, 24), extend = TRUE)$surv
			cond_rows <- c(cond_rows, sprintf("('%s', '%s', %d, %s)", ties, st, i, g(1 - s2[2] / s2[1])))
		}
	}
}
emit("r_strata_coef", coef_rows)
emit("r_strata_fit", fit_rows)
emit("r_strata_surv", surv_rows)
emit("r_strata_cond", cond_rows)

# The hand-worked example: t = 1, 1, 2, 3, 4; event 1, 1, 0, 1, 0; x = 1, 0, 1, 0, 1.
hand <- data.frame(t = c(1, 1, 2, 3, 4), e = c(1, 1, 0, 1, 0), x = c(1, 0, 1, 0, 1))
rows <- c()
for (ties in c("efron", "breslow")) {
	fit <- coxph(Surv(t, e) ~ x, data = hand, ties = ties)
	rows <- c(rows, sprintf("('%s', %s, %s, %s, %s, %d, %s)", ties, g(coef(fit)),
		g(sqrt(fit$var[1, 1])), g(fit$loglik[1]), g(fit$loglik[2]), fit$iter,
		g(fit$concordance["concordance"])))
}
emit("r_hand", rows)

# Degenerate fits.
#  collinear: the bank model with 2 Age + 1 as third covariate (R: NA)
bank$age2 <- 2 * bank$Age + 1
fit <- coxph(Surv(time, event) ~ x1 + x2 + age2 + x4, data = bank)
cat(sprintf("-- collinear: coef %s; loglik %s; iter %d\n",
	paste(g(coef(fit)), collapse = ", "), g(fit$loglik[2]), fit$iter))
#  monotone likelihood: t = 1 .. 20, events at odd t, sep = (t <= 6), w = rnorm(20) of seed 1
set.seed(1)
mono <- data.frame(t = 1:20, e = rep(c(1, 0), 10), w = rnorm(20))
mono$sep <- as.numeric(mono$t <= 6)
cat(sprintf("-- monotone: w = %s\n", arr(mono$w)))
fit <- withCallingHandlers(coxph(Surv(t, e) ~ sep + w, data = mono),
	warning = function(w) { cat("-- R warns:", conditionMessage(w), "\n"); invokeRestart("muffleWarning") })
cat(sprintf("-- monotone: coef %s; se %s; loglik %s; iter %d\n",
	paste(g(coef(fit)), collapse = ", "), paste(g(sqrt(diag(fit$var))), collapse = ", "),
	g(fit$loglik[2]), fit$iter))
#  no convergence: t = 1 .. 6, all events, x = 7 - t (the likelihood rises to 1 forever)
nc <- data.frame(t = 1:6, e = 1, x = 7 - (1:6))
fit <- withCallingHandlers(coxph(Surv(t, e) ~ x, data = nc),
	warning = function(w) { cat("-- R warns:", conditionMessage(w), "\n"); invokeRestart("muffleWarning") })
cat(sprintf("-- no convergence: coef %s; var %s; loglik %s; iter %d\n",
	g(coef(fit)), g(fit$var[1, 1]), g(fit$loglik[2]), fit$iter))
#  no covariates (the null model): its log likelihood and baseline
fit <- coxph(Surv(time, event) ~ 1, data = bank)
sf <- survfit(fit)
cat(sprintf("-- null model: loglik %s; S(5) %s\n", g(fit$loglik[1]),
	g(summary(sf, times = 5)$surv)))
