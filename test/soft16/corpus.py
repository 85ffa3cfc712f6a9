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


# arpu_state reads its customer type's name with the SQL parser and its
# total and customers with other input functions: errors that sql/*.sql
# does not reach, added here (the type name, its syntax, a type modifier,
# a cross-database name; built-in and churn input functions' bad input)
ARPU_EXTRA = [
    r'1 "pg_catalog.tg.text" 30.73 {"c1"}',
    r'1 "a.b.c.d" 1 {}',
    r'1 "big[nt" 1 {"1"}',
    r'1 "int4 int4" 1 {}',
    r'1 "" 1 {}',
    r'1 "U&\"\\d800\"" 1 {}',
    r'1 "pg_catalog.void" 1 {}',
    r'1 "no_such_schema.t" 1 {}',
    r'1 "integer(3)" 1 {}',
    r'1 "numeric(10,2)" 1 {}',
    r'1 "my(type" 1 {}',
    r'1 "\"my(type\"" 1 {}',
    r'1 "\"int4\"" 1 {"1"}',
    r'1 "int4[]" 1 {"{1,2}","{1,x}"}',
    r'1 "int4" 1 {"2147483648"}',
    r'1 "int4" 1 {"1","01"}',
    r'1 "int4range" 1 {"[1,2)","[2,1)"}',
    r'1 "date" 1 {"2024-02-30"}',
    r'1 "uuid" 1 {"zz"}',
    r'1 "bigint" 1e999999 {}',
    r'1 "bigint" 12.5 {"42","7"}',
    r'1 "churn.lifecycle" 1 {"active"}',
    r'1 "churn.lifecycle" 1 {"nope"}',
]
for s in ARPU_EXTRA:
    add('arpu_state', s)


def q(s):
    return "'" + s.replace("'", "''") + "'"


print('INSERT INTO soft16_corpus (typ, input) VALUES')
print(',\n'.join('(%s, %s)' % (q(t), q(s)) for t, s in rows) + ';')
