#!/bin/bash
# test/suites/input_fuzz.sh: no input can crash the server or give a wrong
# result silently.  For every base type of churn (lifecycle and every
# aggregate state type): values produced by the aggregates on generated data
# round-trip exactly through text and binary COPY; thousands of mutated text
# and binary inputs are each either rejected with a class-22 SQLSTATE or
# accepted as a value that re-parses to itself and that every function
# taking the type handles (no crash, no internal error, results in range);
# the support functions are called directly with NULLs and with states built
# for other parameters (22023 expected).  Seeded: FUZZ_SEED=<n> replays a
# run, FUZZ_ROUNDS=<n> sets the number of mutation rounds (default 400; the
# inputs tried do not depend on the machine's speed), FUZZ_SECONDS=<s>
# fuzzes for that long instead (by hand, for longer sessions).  The engine is
# test/suites/input_fuzz.py; doc/testing.md, "Hardening" explains it.
set -u
exec python3 "$(dirname "$0")/input_fuzz.py"
