--
-- lifecycle_copy: binary COPY round trip of churn.lifecycle, and binary
-- input that is not a valid value.
--
-- psql writes the files (COPY ... TO STDOUT \g file, client side, into
-- results/); the server reads them back (COPY ... FROM file), so the test
-- works whether or not psql and the server run as the same OS user, as long
-- as the server can read results/.
--
SET search_path = churn, public;
\getenv abs_builddir PG_ABS_BUILDDIR
\set lc_small :abs_builddir '/results/lifecycle_copy_small.bin'
\set lc_all :abs_builddir '/results/lifecycle_copy_all.bin'
\set lc_bad7 :abs_builddir '/results/lifecycle_copy_bad7.bin'
\set lc_bad255 :abs_builddir '/results/lifecycle_copy_bad255.bin'
\set lc_long :abs_builddir '/results/lifecycle_copy_long.bin'
\set lc_empty :abs_builddir '/results/lifecycle_copy_empty.bin'

-- Three values, byte for byte.  The binary COPY format: the signature
-- PGCOPY\n\377\r\n\0, flags (int32 0), header extension length (int32 0);
-- per row the field count (int16 1), then per field its length (int32)
-- and bytes, length -1 for NULL; finally the trailer int16 -1.  Our value
-- is its one-byte code: prospect 00, reactivated 06.
CREATE TABLE lc_copy_small (state lifecycle);
INSERT INTO lc_copy_small VALUES ('prospect'), ('reactivated'), (NULL);
COPY lc_copy_small TO STDOUT (FORMAT binary) \g :lc_small
SELECT encode(pg_read_binary_file(:'lc_small'), 'hex')
     = '5047434f50590aff0d0a00' || '00000000' || '00000000'
       || '0001' || '00000001' || '00'
       || '0001' || '00000001' || '06'
       || '0001' || 'ffffffff'
       || 'ffff' AS bytes_as_expected;

-- Round trip of every state (and NULL) through a file.
CREATE TABLE lc_copy_src (id int, state lifecycle);
INSERT INTO lc_copy_src
SELECT i, (ARRAY['prospect', 'new', 'active', 'at_risk', 'dormant', 'churned', 'reactivated'])[i % 7 + 1]::lifecycle
  FROM generate_series(1, 70) i;
INSERT INTO lc_copy_src VALUES (71, NULL);
COPY lc_copy_src TO STDOUT (FORMAT binary) \g :lc_all
CREATE TABLE lc_copy_dst (id int, state lifecycle);
COPY lc_copy_dst FROM :'lc_all' (FORMAT binary);
SELECT (SELECT count(*) FROM lc_copy_dst) AS rows,
       (SELECT count(*) FROM (SELECT * FROM lc_copy_src EXCEPT ALL SELECT * FROM lc_copy_dst) d) AS missing,
       (SELECT count(*) FROM (SELECT * FROM lc_copy_dst EXCEPT ALL SELECT * FROM lc_copy_src) d) AS extra,
       (SELECT count(*) FROM lc_copy_dst WHERE state IS NULL) AS nulls;
SELECT state, count(*) FROM lc_copy_dst GROUP BY state ORDER BY state;

-- Bad binary input.  Files with a single "char" field carry one arbitrary
-- byte; an int2 field carries two bytes, a zero-length bytea none.
COPY (SELECT '\007'::"char") TO STDOUT (FORMAT binary) \g :lc_bad7
COPY (SELECT '\377'::"char") TO STDOUT (FORMAT binary) \g :lc_bad255
COPY (SELECT 1::int2) TO STDOUT (FORMAT binary) \g :lc_long
COPY (SELECT ''::bytea) TO STDOUT (FORMAT binary) \g :lc_empty
CREATE TABLE lc_copy_bad (state lifecycle);
-- a byte that is not a code: 22P03
COPY lc_copy_bad FROM :'lc_bad7' (FORMAT binary);
\set VERBOSITY sqlstate
COPY lc_copy_bad FROM :'lc_bad255' (FORMAT binary);
\set VERBOSITY default
-- extra bytes after the code: 22P03 from COPY
COPY lc_copy_bad FROM :'lc_long' (FORMAT binary);
-- no byte at all: 08P01, as for any binary input that is too short
COPY lc_copy_bad FROM :'lc_empty' (FORMAT binary);
SELECT count(*) AS rows_loaded FROM lc_copy_bad;

-- Text COPY (what pg_dump writes and reads) goes through input and output:
-- names in any case and labels in, English names out.
CREATE TABLE lc_copy_text (id int, state lifecycle);
COPY lc_copy_text FROM STDIN;
1	Active
2	 流失客户
3	\N
4	AT_RISK
\.
COPY lc_copy_text TO STDOUT;
COPY lc_copy_text FROM STDIN;
5	dormant
6	asleep
\.
SELECT count(*) AS rows_after_bad_copy FROM lc_copy_text;
DROP TABLE lc_copy_text;

-- The send function gives the same bytes as the file: one byte, the code.
SELECT state, lifecycle_send(state) FROM lc_copy_small ORDER BY state;

DROP TABLE lc_copy_small, lc_copy_src, lc_copy_dst, lc_copy_bad;
