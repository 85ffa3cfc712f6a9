-- churn--<version>.sql: install script of the churn extension at the
-- version churn.control names (default_version), assembled by the Makefile
-- from the fragments in src/sql.  Released versions' scripts are frozen
-- beside it.

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION churn" to load this file. \quit

