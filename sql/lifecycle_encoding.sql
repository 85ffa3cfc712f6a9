--
-- lifecycle_encoding: churn.lifecycle in databases that are not UTF8.
--
-- The Chinese labels are UTF-8 in the C source and converted to the
-- database encoding: in EUC_CN they work exactly as in UTF8; in LATIN1
-- they cannot be represented, so only the names are accepted, the hint
-- says why, and label(x, 'zh') fails with PostgreSQL's conversion error
-- (22P05) instead of returning mis-encoded bytes; in SQL_ASCII (no
-- encoding) the labels are their UTF-8 bytes.  The client is UTF8
-- throughout, so this file is UTF-8 whatever the database encoding.
--
SELECT current_database() AS lc_regress_db \gset
DROP DATABASE IF EXISTS churn_lc_latin1;
DROP DATABASE IF EXISTS churn_lc_euccn;
DROP DATABASE IF EXISTS churn_lc_sqlascii;
CREATE DATABASE churn_lc_latin1 TEMPLATE template0 ENCODING 'LATIN1' LOCALE 'C' LOCALE_PROVIDER libc;
CREATE DATABASE churn_lc_euccn TEMPLATE template0 ENCODING 'EUC_CN' LOCALE 'C' LOCALE_PROVIDER libc;
CREATE DATABASE churn_lc_sqlascii TEMPLATE template0 ENCODING 'SQL_ASCII' LOCALE 'C' LOCALE_PROVIDER libc;

--
-- EUC_CN: everything as in UTF8.
--
\c churn_lc_euccn
SET client_encoding = 'UTF8';
CREATE EXTENSION churn;
SET search_path = churn, public;
SELECT current_setting('server_encoding') AS server_encoding;
SELECT s::lifecycle AS state, label(s::lifecycle, 'zh') AS zh,
       label(s::lifecycle, 'zh') = zh AS same_as_typed,
       label(s::lifecycle, 'zh')::lifecycle = s::lifecycle AS round_trip
  FROM (VALUES ('prospect', '潜在客户'), ('new', '新客户'), ('active', '活跃客户'), ('at_risk', '潜在流失'),
               ('dormant', '休眠客户'), ('churned', '流失客户'), ('reactivated', '挽回客户')) t(s, zh)
 ORDER BY 1;
-- the label's bytes are GB2312 (EUC_CN), two per character: 活跃客户 is
-- bb ee d4 be bf cd bb a7 (checked with Python's gb2312 codec), where UTF-8
-- would be e6b4bb e8b783 e5aea2 e688b7
SELECT convert_to(label('active', 'zh'), 'EUC_CN') = '\xbbeed4bebfcdbba7'::bytea AS euc_cn_bytes,
       octet_length(label('active', 'zh')) AS bytes, length(label('active', 'zh')) AS chars;
SELECT ' 休眠客户 '::lifecycle AS spaced, '挽回客户'::text::lifecycle AS cast,
       can_transition('休眠客户', '挽回客户') AS dormant_to_reactivated;
SELECT '活跃'::lifecycle;
CREATE TABLE lc_enc (id int PRIMARY KEY, state lifecycle);
CREATE TRIGGER lc_enc_lifecycle BEFORE UPDATE ON lc_enc
	FOR EACH ROW EXECUTE FUNCTION enforce_lifecycle('state');
INSERT INTO lc_enc VALUES (1, '流失客户');
UPDATE lc_enc SET state = '活跃客户';

--
-- LATIN1: names only.
--
\c churn_lc_latin1
SET client_encoding = 'UTF8';
CREATE EXTENSION churn;
SET search_path = churn, public;
SELECT current_setting('server_encoding') AS server_encoding;
SELECT 'Active'::lifecycle AS state, label('at_risk') AS en, 'dormant'::lifecycle < 'churned' AS ordered;
-- the hint lists the names and says why the labels are missing
SELECT 'aktiv'::lifecycle;
-- a LATIN1 character in bad input is quoted intact
SELECT 'élan'::lifecycle;
-- a Chinese label cannot even reach the server: the client's text has no
-- LATIN1 form (22P05, raised by PostgreSQL before our code runs)
SELECT '活跃客户'::lifecycle;
-- nor can a Chinese label leave it
SELECT label('active', 'zh');
\set VERBOSITY sqlstate
SELECT label('reactivated', 'zh');
\set VERBOSITY default

--
-- SQL_ASCII: bytes pass unchecked; the labels are their UTF-8 bytes.
--
\c churn_lc_sqlascii
SET client_encoding = 'UTF8';
CREATE EXTENSION churn;
SET search_path = churn, public;
SELECT current_setting('server_encoding') AS server_encoding;
SELECT '潜在流失'::lifecycle AS state, label('at_risk', 'zh') AS zh,
       octet_length(label('at_risk', 'zh')) AS bytes,
       convert_to(label('reactivated', 'zh'), 'SQL_ASCII') = '\xe68cbde59b9ee5aea2e688b7'::bytea AS utf8_bytes;
SELECT 'unknown'::lifecycle;

\c :lc_regress_db
DROP DATABASE churn_lc_latin1;
DROP DATABASE churn_lc_euccn;
DROP DATABASE churn_lc_sqlascii;
