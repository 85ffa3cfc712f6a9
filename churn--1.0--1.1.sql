/*
 * churn--1.0--1.1.sql: upgrade of the churn extension from 1.0 to 1.1
 * (ALTER EXTENSION churn UPDATE TO '1.1').
 *
 * After it, a database holds exactly what a fresh CREATE EXTENSION churn
 * VERSION '1.1' creates: test/suites/upgrade.sh compares the two, object by
 * object and definition by definition.  Summaries of tracked tables carry
 * over unchanged (their format is the same in both versions).
 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION churn UPDATE TO '1.1'" to load this file. \quit
