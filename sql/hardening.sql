--
-- hardening: support functions of the counter aggregates called directly
-- with a NULL state (they are not STRICT); once a segfault, now a NULL
-- state starts empty in a transition function (new = 1, base = 1 below,
-- checked by hand) and makes an inverse function return NULL, which tells
-- a window frame to restart.
-- The wider fuzzing lives in test/suites/input_fuzz.sh.
--
\set VERBOSITY sqlstate
SELECT churn.churn_counts_trans(NULL, date '2024-03-01', NULL, daterange('2024-02-01', '2024-05-01'));
SELECT churn.churn_counts_inv(NULL, date '2024-03-01', NULL, daterange('2024-02-01', '2024-05-01'));
SELECT churn.churn_counts_trans(NULL, timestamptz '2024-03-01 00:00+00', NULL,
       tstzrange('2024-02-01 00:00+00', '2024-05-01 00:00+00'), interval '1 month');
SELECT churn.diversion_counts_trans(NULL, date '2024-03-01', NULL, 'x'::text, daterange('2024-02-01', '2024-05-01'));
SELECT churn.diversion_counts_inv(NULL, timestamptz '2024-03-01 00:00+00', NULL, 'x'::text,
       tstzrange('2024-02-01 00:00+00', '2024-05-01 00:00+00'));
\set VERBOSITY default
-- a NULL period is still an error
SELECT churn.churn_counts_trans(NULL, NULL, NULL, NULL);
-- the server is still up and a state built from the initial value works
SELECT churn.churn_counts_trans('(1,c,-,0,0,0,0,0,0,0,0,0)', date '2024-01-15', date '2024-03-01',
       daterange('2024-02-01', '2024-05-01'));

-- arpu with long customer values: a value bigger than the current arena
-- block of the state (128 bytes at first) once overran it and corrupted the
-- heap.  Oracle: sum / count(DISTINCT) over the same rows.
SELECT churn.arpu(r, c) = sum(r) / count(DISTINCT c) AS arpu_long_values_exact,
       count(DISTINCT c) AS customers
  FROM (SELECT (g % 7)::numeric AS r, repeat(chr(97 + g % 5), 200 * (g % 5 + 1)) || (g % 11) AS c
          FROM generate_series(1, 400) g) t;
