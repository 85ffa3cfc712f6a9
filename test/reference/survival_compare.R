# test/reference/survival_compare.R: the R figures that sql/survival_compare.sql
# compares churn's survival comparisons with.  Run from the top of the tree:
#
#   Rscript test/reference/survival_compare.R > /tmp/figures.sql
#
# (Debian: apt-get install r-base-core r-cran-survival; the figures in the
# test came from R 4.2.2 with survival 3.5.3.)  It prints SQL: INSERT
# statements into the r_* tables that the test creates, every number with
# 17 significant digits so that the test can compare to 1e-8 or better.
# CI does not run R; rerun this by hand when a figure is in doubt.
suppressMessages(library(survival))

bank <- read.csv("sql/data/bank.csv")
telco <- read.csv("sql/data/telco.csv")
bank$event <- bank$Exited == 1
telco$event <- telco$Churn == "Yes"

num <- function(x) ifelse(is.na(x), "NULL", sprintf("%.17g", x))
str <- function(x) paste0("'", gsub("'", "''", x), "'")
row <- function(...) paste0("(", paste(..., sep = ", "), ")")
insert <- function(table, rows) {
	cat("INSERT INTO ", table, " VALUES\n  ", paste(rows, collapse = ",\n  "), ";\n", sep = "")
}
cat("-- R ", R.version$major, ".", R.version$minor, ", survival ",
    as.character(packageVersion("survival")), "\n", sep = "")

# --- survdiff: the whole test and each group ---------------------------
tests <- list(
	list("bank", "geography", bank$Tenure, bank$event, bank$Geography),
	list("bank", "gender", bank$Tenure, bank$event, bank$Gender),
	list("telco", "contract", telco$tenure, telco$event, telco$Contract),
	list("telco", "internet", telco$tenure, telco$event, telco$InternetService))
rhos <- c(0, 1, 0.5)
test_rows <- c()
group_rows <- c()
pair_rows <- c()
for (t in tests) {
	for (rho in rhos) {
		time <- t[[3]]; ev <- t[[4]]; grp <- t[[5]]
		sd <- survdiff(Surv(time, ev) ~ grp, rho = rho)
		df <- sum(sd$exp > 0) - 1
		test_rows <- c(test_rows, row(str(t[[1]]), str(t[[2]]), num(rho), num(sd$chisq),
									  df, num(sd$pvalue)))
		lv <- sub("^grp=", "", names(sd$n))
		for (i in seq_along(lv))
			group_rows <- c(group_rows, row(str(t[[1]]), str(t[[2]]), num(rho), str(lv[i]),
											sd$n[[i]], num(sd$obs[i]), num(sd$exp[i]),
											num(sd$var[i, i])))
		# pairwise: each pair's own test on its two groups' subjects, then
		# p.adjust over all pairs
		if (length(lv) > 2) {
			pr <- combn(lv, 2)
			chi <- c(); p <- c()
			for (j in seq_len(ncol(pr))) {
				keep <- grp %in% pr[, j]
				s2 <- survdiff(Surv(time[keep], ev[keep]) ~ grp[keep], rho = rho)
				chi <- c(chi, s2$chisq); p <- c(p, s2$pvalue)
			}
			holm <- p.adjust(p, "holm"); bonf <- p.adjust(p, "bonferroni"); bh <- p.adjust(p, "BH")
			for (j in seq_len(ncol(pr)))
				pair_rows <- c(pair_rows, row(str(t[[1]]), str(t[[2]]), num(rho), str(pr[1, j]),
											  str(pr[2, j]), num(chi[j]), num(p[j]), num(holm[j]),
											  num(bonf[j]), num(bh[j])))
		}
	}
}
insert("r_logrank", test_rows)
insert("r_logrank_group", group_rows)
insert("r_logrank_pair", pair_rows)

# survminer's pairwise_survdiff (when installed: Debian r-cran-survminer)
# gives the same adjusted p-values as the subsets above
if (suppressWarnings(requireNamespace("survminer", quietly = TRUE))) {
	pw <- survminer::pairwise_survdiff(Surv(tenure, event) ~ Contract, data = telco,
									   p.adjust.method = "holm")$p.value
	m2m <- survdiff(Surv(tenure, event) ~ Contract, rho = 0,
					data = telco[telco$Contract != "Two year", ])$pvalue
	one <- survdiff(Surv(tenure, event) ~ Contract, rho = 0,
					data = telco[telco$Contract != "Month-to-month", ])$pvalue
	stopifnot(isTRUE(all.equal(pw["Two year", "One year"], min(1, max(2 * m2m, one)))))
	cat("-- survminer ", as.character(packageVersion("survminer")),
		" pairwise_survdiff agrees (holm, telco contract)\n", sep = "")
}

# --- the chi-square distribution -----------------------------------------
pts <- expand.grid(x = c(1e-10, 0.001, 0.1, 0.5, 1, 2.5, 3.841458820694124, 7.5, 10, 25,
						 50, 100, 300, 700, 1400),
				   df = c(1, 2, 3, 4, 5, 7, 10, 25, 50, 100))
insert("r_pchisq", row(num(pts$x), pts$df, num(pchisq(pts$x, pts$df, lower.tail = FALSE))))

# --- survfit: restricted mean with its se, median and its interval --------
km_rows <- c()
km <- function(data, grp, time, ev, g, taus) {
	for (tau in taus) {
		f <- survfit(Surv(time, ev) ~ 1)
		tab <- summary(f, rmean = tau)$table
		km_rows <<- c(km_rows, row(str(data), str(grp), str(g), num(tau),
								   num(tab[["rmean"]]), num(tab[["se(rmean)"]]),
								   num(tab[["median"]]), num(tab[["0.95LCL"]]),
								   num(tab[["0.95UCL"]])))
	}
}
for (t in tests) {
	time <- t[[3]]; ev <- t[[4]]; grp <- t[[5]]
	taus <- if (t[[1]] == "bank") c(5, 7.5, 10) else c(1.5, 12, 36, 72)
	km(t[[1]], t[[2]], time, ev, "all", taus)
	for (g in sort(unique(grp)))
		km(t[[1]], t[[2]], time[grp == g], ev[grp == g], g, taus)
}
insert("r_km", km_rows)

# --- difference of two restricted means: a - b, se = sqrt(se_a^2 + se_b^2),
# the 95% interval, z and the two-sided normal p-value, from
# print.survfit's rmean and se(rmean) ---------------------------------------
z95 <- qnorm(0.975)
diff_rows <- c()
for (t in tests) {
	time <- t[[3]]; ev <- t[[4]]; grp <- t[[5]]
	lv <- sort(unique(grp))
	pr <- combn(lv, 2)
	for (tau in if (t[[1]] == "bank") c(5, 10) else c(12, 72)) {
		for (j in seq_len(ncol(pr))) {
			ta <- summary(survfit(Surv(time[grp == pr[1, j]], ev[grp == pr[1, j]]) ~ 1), rmean = tau)$table
			tb <- summary(survfit(Surv(time[grp == pr[2, j]], ev[grp == pr[2, j]]) ~ 1), rmean = tau)$table
			d <- ta[["rmean"]] - tb[["rmean"]]
			se <- sqrt(ta[["se(rmean)"]]^2 + tb[["se(rmean)"]]^2)
			diff_rows <- c(diff_rows, row(str(t[[1]]), str(pr[1, j]), str(pr[2, j]), num(tau), num(d),
										  num(se), num(d - z95 * se), num(d + z95 * se), num(d / se),
										  num(2 * pnorm(-abs(d / se)))))
		}
	}
}
insert("r_rmst_diff", diff_rows)

# --- Nelson-Aalen: survfit's cumhaz and std.chaz at every time -----------
na_rows <- c()
for (t in tests[c(1, 3)]) {
	time <- t[[3]]; ev <- t[[4]]; grp <- t[[5]]
	for (g in sort(unique(grp))) {
		f <- survfit(Surv(time[grp == g], ev[grp == g]) ~ 1)
		na_rows <- c(na_rows, row(str(t[[1]]), str(g), num(f$time), num(f$cumhaz),
								  num(f$std.chaz)))
	}
}
insert("r_cumhaz", na_rows)

# --- conditional survival S(t + s | t) = S(t + s) / S(t) -------------------
# survfit(start.time = a) is the curve of the subjects still at risk at a,
# i.e. S(u) / S(a-); with whole-number durations and a = t + 0.5 that is
# S(u) / S(t).
cond_rows <- c()
for (t in tests[3:4]) {
	time <- t[[3]]; ev <- t[[4]]; grp <- t[[5]]
	for (g in sort(unique(grp)))
		for (from in c(0, 6, 12, 24))
			for (s in c(1, 6, 12, 24)) {
				f <- survfit(Surv(time[grp == g], ev[grp == g]) ~ 1, start.time = from + 0.5)
				v <- summary(f, times = from + s, extend = TRUE)$surv
				cond_rows <- c(cond_rows, row(str(t[[1]]), str(g), from, s, num(v)))
			}
}
insert("r_conditional", cond_rows)

# --- the small examples of the test ----------------------------------------
hand <- data.frame(t = c(1, 3, 4, 2, 3, 5), e = c(1, 1, 0, 1, 0, 1),
				   g = c("a", "a", "a", "b", "b", "b"))
for (rho in c(0, 1)) {
	s <- survdiff(Surv(t, e) ~ g, data = hand, rho = rho)
	cat("-- hand example, rho = ", rho, ": chisq ", num(s$chisq), " (",
		if (rho == 0) "18/37 = " else "9/19 = ", num(if (rho == 0) 18/37 else 9/19),
		"), p ", num(s$pvalue), ", O ", num(s$obs[1]), " ", num(s$obs[2]),
		", E ", num(s$exp[1]), " ", num(s$exp[2]), ", V ", num(s$var[1, 1]), "\n", sep = "")
}
f <- survfit(Surv(t, e) ~ 1, data = hand)
tab <- summary(f, rmean = 4.5)$table
cat("-- hand example, one curve, rmean = 4.5: ", num(tab[["rmean"]]), " se ",
	num(tab[["se(rmean)"]]), " median ", num(tab[["median"]]), " ",
	num(tab[["0.95LCL"]]), " ", num(tab[["0.95UCL"]]), "\n", sep = "")
