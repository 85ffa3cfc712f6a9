/* churn--1.0.sql: install script of the churn extension, version 1.0 */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION churn" to load this file. \quit

