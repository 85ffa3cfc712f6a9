# Makefile for the churn extension (PGXS)

MODULE_big = churn
OBJS = \
	$(WIN32RES) \
	src/agg_arpu.o \
	src/agg_cohort.o \
	src/agg_diversion.o \
	src/agg_logrank.o \
	src/agg_metrics.o \
	src/agg_periods.o \
	src/agg_rates.o \
	src/agg_state.o \
	src/agg_survival.o \
	src/churn.o \
	src/clv.o \
	src/cox_fit.o \
	src/cox_model.o \
	src/cox_state.o \
	src/lifecycle.o \
	src/lifecycle_transition.o \
	src/linalg.o \
	src/ops_aging.o \
	src/period.o \
	src/rfm.o \
	src/special_functions.o \
	src/state_io.o \
	src/state_zone.o \
	src/summary_bucket.o \
	src/summary_capture.o \
	src/summary_convert.o \
	src/summary_history.o \
	src/summary_kinds.o \
	src/summary_order.o \
	src/summary_read.o \
	src/summary_sql.o \
	src/summary_timeline.o \
	src/summary_trigger.o \
	src/survival_curve.o \
	src/survival_stats.o \
	src/value_models.o \
	src/value_optim.o \
	src/value_state.o

EXTENSION = churn
# The version being built is churn.control's default_version.
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'$$/\1/p" $(EXTENSION).control)
# The install script of that version is assembled from one fragment per
# concern, applied in name order, so that each concern's SQL sits beside its
# C code in src/.
SQL_FRAGMENTS = \
	src/sql/000_header.sql \
	src/sql/100_lifecycle.sql \
	src/sql/200_rates.sql \
	src/sql/300_metrics.sql \
	src/sql/400_survival.sql \
	src/sql/410_state_agg.sql \
	src/sql/420_survival_compare.sql \
	src/sql/500_summaries.sql \
	src/sql/520_lifetimes.sql \
	src/sql/600_cox.sql \
	src/sql/610_value_models.sql \
	src/sql/700_ops.sql \
	src/sql/720_dashboards.sql
DATA_built = churn--$(EXTVERSION).sql
# Released versions: their install scripts, frozen as released, and the
# upgrade scripts from each to the next (DEVELOPER.md, "Releasing").
DATA = churn--1.0.sql churn--1.0--1.1.sql
PGFILEDESC = "churn - customer churn, retention and diversion analytics"

# pg_regress: setup creates the extension; one file per feature after it;
# zz_catalog checks rules over every object the others have seen.
REGRESS = setup \
	lifecycle lifecycle_opclass lifecycle_transition lifecycle_activity \
	lifecycle_copy lifecycle_encoding lifecycle_soft \
	rates rates_periods rates_diversion rates_parallel rates_states rates_timestamp \
	metrics metrics_state metrics_parallel metrics_window metrics_memory \
	survival survival_bank survival_parallel \
	survival_compare survival_compare_state survival_compare_parallel \
	cohort state_agg \
	cox cox_state cox_parallel cox_early_warning \
	track_api summary_capture summary_capture_sql summary_copy summary_nested \
	summary_lifecycle summary_lifecycle_sql summary_partition \
	summary_partition_sql summary_rates summary_types summary_retrack summary_reads \
	lifetimes value_models value_models_state value_models_parallel \
	ops hardening zz_catalog
REGRESS_OPTS = --inputdir=. --outputdir=. --encoding=UTF8 --no-locale

# isolation specs live in test/specs, their outputs in test/expected
ISOLATION = lifecycle_concurrent \
	summary_writers summary_refresh summary_snapshot summary_same_customer \
	summary_serializable summary_partition_drop
ISOLATION_OPTS = --inputdir=test --outputdir=output_iso --encoding=UTF8 --no-locale

PG_CPPFLAGS += -Isrc
PG_CFLAGS += -Werror

EXTRA_CLEAN = churn--$(EXTVERSION).sql $(EXTENSION)-$(EXTVERSION).zip

PG_CONFIG ?= pg_config
# Rebuild an object when a header it includes changes (PGXS does so only in
# PostgreSQL's own tree built with --enable-depend): dependency files in .deps.
override autodepend = yes

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# The reference pages (README.md's map links them) go into a directory of
# churn's own under the extensions' documentation (pg_config --docdir, then
# extension/churn): PGXS's DOCS would put them flat into a directory every
# extension shares, where names such as lifecycle.md or testing.md could
# overwrite another extension's (and its uninstall would miss them).
CHURN_DOCS = $(sort $(wildcard doc/*.md))
install: install-churn-docs
uninstall: uninstall-churn-docs
install-churn-docs:
	$(MKDIR_P) '$(DESTDIR)$(docdir)/$(docmoduledir)/churn'
	$(INSTALL_DATA) $(addprefix $(srcdir)/, $(CHURN_DOCS)) '$(DESTDIR)$(docdir)/$(docmoduledir)/churn/'
uninstall-churn-docs:
	rm -rf '$(DESTDIR)$(docdir)/$(docmoduledir)/churn'
.PHONY: install-churn-docs uninstall-churn-docs

churn--$(EXTVERSION).sql: $(SQL_FRAGMENTS) $(EXTENSION).control
	cat $(SQL_FRAGMENTS) > $@

# The release archive PGXN and distributions build from: the committed tree
# at HEAD (test/suites/packaging.sh checks it builds).
dist:
	git archive --format zip --prefix=$(EXTENSION)-$(EXTVERSION)/ -o $(EXTENSION)-$(EXTVERSION).zip HEAD

.PHONY: dist
