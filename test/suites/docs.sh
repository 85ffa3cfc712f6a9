#!/bin/bash
# test/suites/docs.sh: the SQL examples of README.md and doc/*.md run, and
# print what the pages say they print (test/docs/examples.py; the page
# conventions are in DEVELOPER.md, "Documentation").
set -u
cd "$(dirname "$0")/../.."
pages=(README.md doc/*.md)
exec python3 test/docs/examples.py "${pages[@]}"
