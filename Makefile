# Makefile for the churn extension (PGXS)

MODULE_big = churn
# Every C source of src/ is part of the library; keep one file per concern.
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))

EXTENSION = churn
# The install script is assembled from one fragment per concern (src/sql/*.sql,
# applied in name order), so that each concern's SQL sits beside its C code.
DATA_built = churn--1.0.sql
PGFILEDESC = "churn - customer churn, retention and diversion analytics"

# pg_regress suites: setup creates the extension, the rest are one per feature.
REGRESS = setup $(filter-out setup,$(sort $(notdir $(basename $(wildcard sql/*.sql)))))
REGRESS_OPTS = --inputdir=. --outputdir=. --encoding=UTF8 --no-locale
ISOLATION = $(sort $(notdir $(basename $(wildcard test/specs/*.spec))))
ISOLATION_OPTS = --inputdir=test --outputdir=output_iso --encoding=UTF8 --no-locale

PG_CPPFLAGS += -Isrc
PG_CFLAGS += -Werror

EXTRA_CLEAN = churn--1.0.sql

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

churn--1.0.sql: $(sort $(wildcard src/sql/*.sql))
	cat $^ > $@
