#!/usr/bin/python3
# test/docs/examples.py: run the SQL examples of Markdown pages and compare
# what they print with the output printed beside them, so that the
# documentation fails the tests when the code changes under it.
#
#   examples.py PAGE.md ...
#
# Conventions of the pages (DEVELOPER.md, "Documentation"):
#   - A ```sql block is an example: the blocks of a page run in order, in one
#     psql session on a database of the page's own, holding nothing but churn
#     (created by this script).  A page creates the tables it uses.
#   - A fence without an info string (or ```text) right after an example is
#     its output: what the example's last statement prints, in psql's
#     default aligned format (the "(N rows)" footer may be left out).
#     Examples without one must run without error.
#   - ```sql norun is shown but not run (it needs something the test database
#     does not have, such as pg_cron or another server).
#
# Environment: PGBIN, PGHOST, PGPORT, PGUSER (as for every suite).
# Output: one "ok - ..." / "not ok - ..." line per page, and per failing
# example the page's line number, the expected and the printed output.

import os
import re
import subprocess
import sys

PGBIN = os.environ.get("PGBIN", "")
PSQL = os.path.join(PGBIN, "psql") if PGBIN else "psql"
MARK = "@@churn-docs-example@@"


def blocks(text):
    """The fenced blocks of a page: (line, info, body)."""
    out = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^(```+)(.*)$", lines[i])
        if not m:
            i += 1
            continue
        fence, info = m.group(1), m.group(2).strip()
        start = i + 1
        j = start
        while j < len(lines) and lines[j].rstrip() != fence:
            j += 1
        out.append((start, info, "\n".join(lines[start:j]), j))
        i = j + 1
    return out, lines


def examples(text):
    """(line, sql, expected or None) for every example of a page."""
    found, lines = blocks(text)
    result = []
    for k, (line, info, body, end) in enumerate(found):
        words = info.split()
        if not words or words[0] != "sql" or "norun" in words[1:]:
            continue
        expected = None
        if k + 1 < len(found):
            nline, ninfo, nbody, _ = found[k + 1]
            between = lines[end + 1:nline - 1]
            if ninfo in ("", "text") and all(not l.strip() for l in between):
                expected = nbody
        result.append((line, body, expected))
    return result


def statements(sql):
    """Split SQL into statements: quotes, dollar quotes, comments and psql
    backslash commands (one per line) are respected."""
    out = []
    cur = []
    i = 0
    n = len(sql)
    at_line_start = True
    while i < n:
        c = sql[i]
        if at_line_start and c == "\\" and not "".join(cur).strip():
            j = sql.find("\n", i)
            j = n if j < 0 else j
            out.append(sql[i:j])
            i = j + 1
            continue
        at_line_start = False
        if c == "\n":
            at_line_start = True
            cur.append(c)
            i += 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            j = n if j < 0 else j
            cur.append(sql[i:j])
            i = j
        elif sql.startswith("/*", i):
            depth = 0
            j = i
            while j < n:
                if sql.startswith("/*", j):
                    depth += 1
                    j += 2
                elif sql.startswith("*/", j):
                    depth -= 1
                    j += 2
                    if depth == 0:
                        break
                else:
                    j += 1
            cur.append(sql[i:j])
            i = j
        elif c in ("'", '"'):
            j = i + 1
            while j < n:
                if sql[j] == c:
                    if j + 1 < n and sql[j + 1] == c:
                        j += 2
                        continue
                    break
                j += 1
            cur.append(sql[i:j + 1])
            i = j + 1
        elif c == "$":
            m = re.match(r"\$([A-Za-z_][A-Za-z_0-9]*)?\$", sql[i:])
            if m:
                tag = m.group(0)
                j = sql.find(tag, i + len(tag))
                j = n if j < 0 else j + len(tag)
                cur.append(sql[i:j])
                i = j
            else:
                cur.append(c)
                i += 1
        elif c == ";":
            cur.append(c)
            stmt = "".join(cur).strip()
            if stmt and stmt != ";":
                out.append(stmt)
            cur = []
            i += 1
        else:
            cur.append(c)
            i += 1
    rest = "".join(cur).strip()
    if rest and not all(l.strip().startswith("--") or not l.strip() for l in rest.split("\n")):
        out.append(rest)
    return out


def normalize(text):
    lines = [re.sub(r"^psql:[^:]*:\d+: ", "", l).rstrip() for l in text.split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def run_page(path, index):
    text = open(path, encoding="utf-8").read()
    exs = examples(text)
    name = os.path.relpath(path)
    if not exs:
        return ["not ok - %s: no example to run" % name], 1
    db = "churn_docs_%d" % index
    subprocess.run([PSQL, "-X", "-q", "-d", "postgres", "-c", "DROP DATABASE IF EXISTS %s" % db,
                    "-c", "CREATE DATABASE %s" % db], check=True, capture_output=True)
    subprocess.run([PSQL, "-X", "-q", "-d", db, "-c", "SET client_min_messages = warning",
                    "-c", "CREATE EXTENSION churn"], check=True, capture_output=True)
    script = ["\\set ON_ERROR_STOP 0", "\\pset pager off"]
    plan = []
    for e, (line, sql, expected) in enumerate(exs):
        stmts = statements(sql)
        for s, stmt in enumerate(stmts):
            script.append("\\echo %s %d %d" % (MARK, e, s))
            script.append(stmt)
        plan.append((line, len(stmts), expected))
    script.append("\\echo %s end" % MARK)
    # stderr into stdout: psql flushes its output before an error message,
    # so an error lands after the output of the statements before it
    proc = subprocess.run([PSQL, "-X", "-q", "-d", db, "-f", "-"], input="\n".join(script) + "\n",
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    outputs = {}
    key = None
    for l in proc.stdout.split("\n"):
        if l.startswith(MARK):
            parts = l.split()
            key = None if parts[1] == "end" else (int(parts[1]), int(parts[2]))
            outputs.setdefault(key, [])
            continue
        outputs.setdefault(key, []).append(l)
    lines = []
    bad = 0
    for e, (line, nstmts, expected) in enumerate(plan):
        printed = [normalize("\n".join(outputs.get((e, s), []))) for s in range(nstmts)]
        last = printed[-1] if printed else []
        earlier_errors = [l for p in printed[:-1] for l in p if l.startswith("ERROR:")]
        if expected is None:
            errs = [l for p in printed for l in p if l.startswith("ERROR:")]
            if errs:
                bad += 1
                lines.append("#   %s:%d: the example fails: %s" % (name, line, errs[0]))
            continue
        want = normalize(expected)
        # a page may leave out psql's "(N rows)" footer: the rows show it
        if (last and re.match(r"^\(\d+ rows?\)$", last[-1]) and
                not (want and re.match(r"^\(\d+ rows?\)$", want[-1]))):
            last = last[:-1]
            while last and not last[-1]:
                last.pop()
        if earlier_errors and not any(l.startswith("ERROR:") for l in want):
            bad += 1
            lines.append("#   %s:%d: an earlier statement of the example fails: %s" % (name, line, earlier_errors[0]))
        elif last != want:
            bad += 1
            lines.append("#   %s:%d: the example prints something else" % (name, line))
            lines.extend("#     expected: " + l for l in want[:15])
            lines.extend("#     printed:  " + l for l in last[:15])
    if bad:
        return ["not ok - %s: %d of %d examples differ from what the page prints" % (name, bad, len(plan))] + lines, 1
    subprocess.run([PSQL, "-X", "-q", "-d", "postgres", "-c", "DROP DATABASE IF EXISTS %s" % db],
                   capture_output=True)
    return ["ok - %s: %d examples, %d with their output compared" %
            (name, len(plan), sum(1 for p in plan if p[2] is not None))], 0


def main():
    failed = 0
    for i, path in enumerate(sys.argv[1:]):
        out, f = run_page(path, i)
        print("\n".join(out))
        failed += f
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
