#!/usr/bin/env python3
# test/soft16/corpus.py: prints the inputs of test/suites/soft_errors.sh as
# SQL: every literal that sql/*.sql casts to a churn type, a few mutations
# of each (cut at a quarter, half and three quarters; junk appended; the
# first digit replaced), deterministic so that a failure replays.
import glob
import os
import re
import sys

root = sys.argv[1]
lit = re.compile(r"'((?:[^']|'')*)'::churn\.([a-z_]+)\b")
seen = set()
rows = []


def add(typ, s):
    if (typ, s) not in seen:
        seen.add((typ, s))
        rows.append((typ, s))


for path in sorted(glob.glob(os.path.join(root, 'sql', '*.sql'))):
    with open(path, encoding='utf-8') as f:
        for m in lit.finditer(f.read()):
            typ, s = m.group(2), m.group(1).replace("''", "'")
            add(typ, s)
            for cut in (len(s) // 4, len(s) // 2, 3 * len(s) // 4):
                add(typ, s[:cut])
            add(typ, s + ' x')
            d = re.search(r'[0-9]', s)
            if d:
                add(typ, s[:d.start()] + 'x' + s[d.end():])


def q(s):
    return "'" + s.replace("'", "''") + "'"


print('INSERT INTO soft16_corpus (typ, input) VALUES')
print(',\n'.join('(%s, %s)' % (q(t), q(s)) for t, s in rows) + ';')
