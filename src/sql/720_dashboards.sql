--
-- 720_dashboards.sql: reads of tables churn does not track (survey answers,
-- customer scores) for the Grafana dashboards, whose variables name the
-- table and its columns.  The names arrive as a regclass and names and are
-- quoted here (%s of a regclass, %I), never pasted into SQL as text; the
-- rows are read with the caller's privileges.
--

-- The type of a column of a relation, or 42703 naming the columns there are.
CREATE FUNCTION @extschema@._dashboard_column(relation pg_catalog.regclass, col pg_catalog.name,
	what pg_catalog.text)
RETURNS pg_catalog.regtype
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	typ pg_catalog.regtype;
BEGIN
	IF col IS NULL OR col = '' THEN
		RAISE EXCEPTION '% column of "%" is not given', what, @extschema@._table_name(relation)
			USING ERRCODE = '22004';
	END IF;
	SELECT a.atttypid INTO typ FROM pg_attribute a
	 WHERE a.attrelid = relation AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'column "%" of relation "%" does not exist', col, @extschema@._table_name(relation)
			USING ERRCODE = '42703',
				  HINT = format('The %s column is one of: %s.', what,
								(SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
								   FROM pg_attribute a
								  WHERE a.attrelid = relation AND a.attnum > 0 AND NOT a.attisdropped));
	END IF;
	RETURN typ;
END
$$;
COMMENT ON FUNCTION @extschema@._dashboard_column(pg_catalog.regclass, pg_catalog.name, pg_catalog.text) IS
'internal: the type of a column named by a dashboard variable, or an error naming the columns there are';

CREATE FUNCTION @extschema@.survey_answers(survey_table pg_catalog.regclass,
	customer_column pg_catalog.name, answered_at_column pg_catalog.name, score_column pg_catalog.name,
	from_time pg_catalog.timestamptz DEFAULT '-infinity',
	to_time pg_catalog.timestamptz DEFAULT 'infinity')
RETURNS TABLE (customer pg_catalog.text, answered_at pg_catalog.timestamptz, score pg_catalog.int4)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t pg_catalog.regtype;
BEGIN
	-- no survey table configured: no answers (a dashboard shows its
	-- no-value text instead of an error)
	IF survey_table IS NULL THEN
		RETURN;
	END IF;
	PERFORM @extschema@._dashboard_column(survey_table, customer_column, 'customer');
	t := @extschema@._dashboard_column(survey_table, answered_at_column, 'answer time');
	IF t NOT IN ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype) THEN
		RAISE EXCEPTION 'column "%" of relation "%" is not a time', answered_at_column, @extschema@._table_name(survey_table)
			USING ERRCODE = '42804',
				  DETAIL = format('Its type is %s.', t),
				  HINT = 'The answer time is a timestamptz, timestamp or date column (timestamp and date in the session''s time zone).';
	END IF;
	t := @extschema@._dashboard_column(survey_table, score_column, 'score');
	IF t NOT IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype) THEN
		RAISE EXCEPTION 'column "%" of relation "%" is not an integer', score_column, @extschema@._table_name(survey_table)
			USING ERRCODE = '42804',
				  DETAIL = format('Its type is %s.', t),
				  HINT = 'A net promoter score answer is a whole number from 0 to 10.';
	END IF;
	RETURN QUERY EXECUTE format(
		'SELECT s.%1$I::pg_catalog.text, s.%2$I::pg_catalog.timestamptz, s.%3$I::pg_catalog.int4'
		' FROM %4$s s'
		' WHERE s.%2$I::pg_catalog.timestamptz OPERATOR(pg_catalog.>=) $1'
		' AND s.%2$I::pg_catalog.timestamptz OPERATOR(pg_catalog.<=) $2',
		customer_column, answered_at_column, score_column, survey_table)
		USING from_time, to_time;
END
$$;
COMMENT ON FUNCTION @extschema@.survey_answers(pg_catalog.regclass, pg_catalog.name, pg_catalog.name,
	pg_catalog.name, pg_catalog.timestamptz, pg_catalog.timestamptz) IS
'the answers of a survey table between two times (inclusive), read through the columns named: customer as text, answer time, score; none when the table is NULL';

CREATE FUNCTION @extschema@.riskiest_customers(scores pg_catalog.regclass,
	customer_column pg_catalog.name, score_column pg_catalog.name,
	segment_column pg_catalog.name DEFAULT NULL, n pg_catalog.int4 DEFAULT 20,
	higher_is_riskier pg_catalog.bool DEFAULT true)
RETURNS TABLE ("rank" pg_catalog.int8, customer pg_catalog.text, segment pg_catalog.text,
			   score pg_catalog.float8)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t pg_catalog.regtype;
	dir pg_catalog.text;
	seg pg_catalog.text := 'NULL::pg_catalog.text';
BEGIN
	IF n IS NULL OR higher_is_riskier IS NULL THEN
		RAISE EXCEPTION 'n and higher_is_riskier must not be NULL' USING ERRCODE = '22004';
	END IF;
	IF n < 1 THEN
		RAISE EXCEPTION 'n "%" is not a positive number of customers', n USING ERRCODE = '22023';
	END IF;
	-- no scores configured: no customers (a dashboard shows its no-value
	-- text instead of an error)
	IF scores IS NULL THEN
		RETURN;
	END IF;
	PERFORM @extschema@._dashboard_column(scores, customer_column, 'customer');
	t := @extschema@._dashboard_column(scores, score_column, 'score');
	IF NOT EXISTS (SELECT 1 FROM pg_type y WHERE y.oid = t AND y.typcategory = 'N') THEN
		RAISE EXCEPTION 'column "%" of relation "%" is not a number', score_column, @extschema@._table_name(scores)
			USING ERRCODE = '42804',
				  DETAIL = format('Its type is %s.', t);
	END IF;
	IF segment_column IS NOT NULL AND segment_column <> '' THEN
		PERFORM @extschema@._dashboard_column(scores, segment_column, 'segment');
		seg := format('s.%I::pg_catalog.text', segment_column);
	END IF;
	dir := CASE WHEN higher_is_riskier THEN 'DESC' ELSE 'ASC' END;
	-- the n riskiest first (a bounded sort), then their ranks; ties in
	-- customer order
	RETURN QUERY EXECUTE format(
		'SELECT pg_catalog.row_number() OVER (ORDER BY r.score %5$s, r.k), r.k::pg_catalog.text, r.seg, r.score'
		' FROM (SELECT s.%2$I AS k, %4$s AS seg, s.%3$I::pg_catalog.float8 AS score'
		' FROM %1$s s WHERE s.%3$I IS NOT NULL'
		' ORDER BY s.%3$I %5$s, s.%2$I LIMIT $1) r'
		' ORDER BY 1',
		scores, customer_column, score_column, seg, dir)
		USING n;
END
$$;
COMMENT ON FUNCTION @extschema@.riskiest_customers(pg_catalog.regclass, pg_catalog.name, pg_catalog.name,
	pg_catalog.name, pg_catalog.int4, pg_catalog.bool) IS
'the n customers of a scores table or view with the highest (or lowest) score, ranked, ties in customer order; none when the table is NULL';
