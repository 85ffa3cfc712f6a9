#!/usr/bin/env python3
"""test/suites/summary_workload.py: random write workload for summary_concurrency.sh.

Prints one psql script for one worker session.  Worker W of N owns the
customers whose id % N == W, so the workers never touch the same base rows:
any lock wait or deadlock between them can only come from the summary
maintenance.  Every change that the oracle cannot read back from the base
table (a reactivation: the loss it undoes; a channel move: the old channel)
is logged in t.react_log / t.move_log by the same statement, so it commits or
rolls back with the change.

Per customer every event time is later than the previous one (the row's
updated_at holds the latest event time, prev_at the time of the event before
a loss), so "the channel in effect at time t" has one answer.

The script uses no random() of the server: all choices are made here from a
seeded generator, times are computed from the row by SQL.
"""

import argparse
import random

CHANNELS = ["north", "south", "east", "west", "online", "phone"]
CONTRACTS = ["monthly", "annual", "prepaid"]
REGIONS = ["r1", "r2", "r3", "r4"]
REASONS = ["price", "service", "competitor", "moved away", None]
LIMIT = "2026-01-01"         # no event after this: all buckets lie in the past
COLS = "id, since, until, branch, contract, region, cancel_reason, updated_at, prev_at"


def lit(v):
    if v is None:
        return "NULL"
    return "'" + str(v).replace("'", "''") + "'"


def copy_val(v):
    return "\\N" if v is None else str(v)


class Gen:
    def __init__(self, args):
        self.r = random.Random(args.seed * 1000 + args.worker)
        self.w = args.worker
        self.n = args.workers
        self.ids = [i for i in range(1, args.initial + 1) if i % self.n == self.w]
        self.next_k = ((args.new_from or args.initial) // self.n) + 10
        self.intended_errors = 0
        self.dates = args.dates
        self.out = []

    def emit(self, s):
        self.out.append(s)

    def some_ids(self):
        k = self.r.choice([1, 1, 1, 2, 3, 5, 8, 20])
        return sorted(set(self.r.choice(self.ids) for _ in range(k)))

    def ids_lit(self, ids):
        return "'{" + ",".join(map(str, ids)) + "}'::bigint[]"

    def new_id(self):
        i = self.w + self.n * self.next_k
        self.next_k += 1
        self.ids.append(i)
        return i

    def new_row(self):
        r = self.r
        i = self.new_id()
        day = r.randrange(0, 900)          # 2023-01-01 .. mid 2025
        sec = r.randrange(0, 86400)
        lost = r.random() < 0.3
        until_days = r.randrange(1 if self.dates else 0, 400) if lost else None
        return (i, (day, sec), until_days, r.choice(CHANNELS), r.choice(CONTRACTS),
                r.choice(REGIONS), r.choice(REASONS[:-1]) if lost and r.random() < 0.9 else None)

    @staticmethod
    def row_times(row):
        import datetime as dt
        base = dt.datetime(2023, 1, 1, tzinfo=dt.timezone.utc)
        day, sec = row[1]
        since = base + dt.timedelta(days=day, seconds=sec)
        until = None if row[2] is None else since + dt.timedelta(days=row[2], seconds=3600)
        upd = until if until is not None else since
        f = lambda t: None if t is None else t.strftime("%Y-%m-%d %H:%M:%S+00")
        return f(since), f(until), f(upd), f(since)

    def op_insert(self):
        rows = [self.new_row() for _ in range(self.r.choice([1, 1, 2, 4, 10]))]
        vals = []
        for row in rows:
            since, until, upd, prev = self.row_times(row)
            vals.append("(" + ", ".join(lit(v) for v in
                        (row[0], since, until, row[3], row[4], row[5], row[6], upd, prev)) + ")")
        self.emit(f"INSERT INTO customers ({COLS}) VALUES\n  " + ",\n  ".join(vals) + ";")

    def op_copy(self, bad=False):
        rows = [self.new_row() for _ in range(self.r.randrange(10, 60))]
        self.emit(f"COPY customers ({COLS}) FROM STDIN;")
        for row in rows:
            since, until, upd, prev = self.row_times(row)
            self.emit("\t".join(copy_val(v) for v in
                      (row[0], since, until, row[3], row[4], row[5], row[6], upd, prev)))
        if bad:
            self.emit(f"{self.new_id()}\tbogus-time\t\\N\tnorth\tannual\tr1\t\\N\tbogus-time\tbogus-time")
        self.emit("\\.")

    def iv(self):
        # a per-row interval: k days plus a few hours, varying with the id
        k = self.r.randrange(1, 25)
        if self.dates:
            # whole days: date columns keep every event on its own day
            return f"make_interval(days => 1 + (c.id::int * 7 + {k}) % 23)"
        return f"make_interval(days => 1 + (c.id::int * 7 + {k}) % 23, hours => (c.id::int + {k}) % 24)"

    def op_cancel(self):
        ids, iv, reason = self.some_ids(), self.iv(), self.r.choice(REASONS)
        self.emit(f"UPDATE customers c SET until = c.updated_at + {iv}, updated_at = c.updated_at + {iv},"
                  f" cancel_reason = {lit(reason)}\n WHERE c.id = ANY({self.ids_lit(ids)}) AND c.until IS NULL"
                  f" AND c.updated_at < '{LIMIT}';")

    def op_reactivate(self):
        ids, iv = self.some_ids(), self.iv()
        self.emit(
            "WITH o AS (SELECT id, until, cancel_reason FROM customers"
            f" WHERE id = ANY({self.ids_lit(ids)}) AND until IS NOT NULL AND updated_at < '{LIMIT}'),\n"
            f" u AS (UPDATE customers c SET until = NULL, cancel_reason = NULL, updated_at = c.updated_at + {iv},"
            f" prev_at = c.updated_at + {iv}, n_events = c.n_events + 1\n"
            "   FROM o WHERE c.id = o.id RETURNING c.id, c.updated_at, o.until, o.cancel_reason)\n"
            "INSERT INTO t.react_log (id, at, prev_until, prev_reason) SELECT * FROM u;")

    def op_move(self):
        ids, iv = self.some_ids(), self.iv()
        k = self.r.randrange(0, len(CHANNELS))
        arr = "ARRAY[" + ",".join(lit(c) for c in CHANNELS) + "]"
        target = f"({arr})[1 + (c.id::int + {k}) % {len(CHANNELS)}]"
        self.emit(
            f"WITH u AS (UPDATE customers c SET branch = {target}, updated_at = c.updated_at + {iv},"
            f" prev_at = c.updated_at + {iv}, n_events = c.n_events + 1\n"
            f"   FROM customers o WHERE o.id = c.id AND c.id = ANY({self.ids_lit(ids)}) AND c.until IS NULL"
            f" AND c.branch <> {target} AND c.updated_at < '{LIMIT}'\n"
            "   RETURNING c.id, c.updated_at, o.branch AS from_ch, c.branch AS to_ch)\n"
            "INSERT INTO t.move_log (id, at, from_ch, to_ch) SELECT * FROM u;")

    def op_since_earlier(self):
        ids, iv = self.some_ids(), self.iv()
        self.emit(f"UPDATE customers c SET since = c.since - {iv},"
                  f" prev_at = CASE WHEN c.n_events = 0 THEN c.since - {iv} ELSE c.prev_at END"
                  f"\n WHERE c.id = ANY({self.ids_lit(ids)});")

    def op_since_later(self):
        ids, iv = self.some_ids(), self.iv()
        self.emit(f"UPDATE customers c SET since = c.since + {iv}, prev_at = c.since + {iv},"
                  f" updated_at = greatest(c.updated_at, c.since + {iv})"
                  f"\n WHERE c.id = ANY({self.ids_lit(ids)}) AND c.n_events = 0"
                  f" AND c.since + {iv} < coalesce(c.until, '{LIMIT}');")

    def op_until_later(self):
        ids, iv = self.some_ids(), self.iv()
        self.emit(f"UPDATE customers c SET until = c.until + {iv}, updated_at = greatest(c.updated_at, c.until + {iv})"
                  f"\n WHERE c.id = ANY({self.ids_lit(ids)}) AND c.until IS NOT NULL AND c.until + {iv} < '{LIMIT}';")

    def op_until_earlier(self):
        ids, iv = self.some_ids(), self.iv()
        self.emit(f"UPDATE customers c SET until = c.until - {iv}"
                  f"\n WHERE c.id = ANY({self.ids_lit(ids)}) AND c.until IS NOT NULL AND c.until - {iv} > c.prev_at;")

    def op_reason(self):
        ids = self.some_ids()
        self.emit(f"UPDATE customers c SET cancel_reason = {lit(self.r.choice(REASONS))}"
                  f"\n WHERE c.id = ANY({self.ids_lit(ids)}) AND c.until IS NOT NULL;")

    def op_segment(self):
        ids = self.some_ids()
        if self.r.random() < 0.5:
            s = f"contract = {lit(self.r.choice(CONTRACTS))}"
        else:
            s = f"region = {lit(self.r.choice(REGIONS))}, contract = {lit(self.r.choice(CONTRACTS))}"
        self.emit(f"UPDATE customers c SET {s} WHERE c.id = ANY({self.ids_lit(ids)});")

    def op_note(self):
        ids = self.some_ids()
        self.emit(f"UPDATE customers c SET note = 'touched {self.r.randrange(1000)}' WHERE c.id = ANY({self.ids_lit(ids)});")

    def op_delete(self):
        ids = self.some_ids()[:2]
        self.emit(f"DELETE FROM customers WHERE id = ANY({self.ids_lit(ids)});")

    def op(self):
        ops = [(self.op_insert, 7), (self.op_cancel, 14), (self.op_reactivate, 9), (self.op_move, 16),
               (self.op_since_earlier, 4), (self.op_since_later, 3), (self.op_until_later, 4),
               (self.op_until_earlier, 4), (self.op_reason, 2), (self.op_segment, 5), (self.op_note, 2),
               (self.op_delete, 2)]
        f = self.r.choices([o for o, _ in ops], weights=[w for _, w in ops])[0]
        f()

    def txn(self):
        r = self.r
        x = r.random()
        if x < 0.3:
            self.op()
            return
        self.emit("BEGIN;")
        for _ in range(r.randrange(1, 5)):
            self.op()
        if r.random() < 0.3:
            self.emit("SAVEPOINT sp;")
            for _ in range(r.randrange(1, 4)):
                self.op()
            self.emit("ROLLBACK TO SAVEPOINT sp;" if r.random() < 0.5 else "RELEASE SAVEPOINT sp;")
            self.op()
        if r.random() < 0.05:
            # an aborted COPY inside a savepoint leaves no trace
            self.emit("SAVEPOINT bad;")
            self.emit("\\set ON_ERROR_STOP 0")
            self.op_copy(bad=True)
            self.intended_errors += 1
            self.emit("\\set ON_ERROR_STOP 1")
            self.emit("ROLLBACK TO SAVEPOINT bad;")
        if r.random() < 0.04:
            self.op_copy()
        self.emit("ROLLBACK;" if r.random() < 0.15 else "COMMIT;")

    def script(self, txns):
        self.emit("\\set ON_ERROR_STOP 1")
        self.emit("SET TimeZone = 'UTC';")
        for _ in range(txns):
            self.txn()
        return "\n".join(self.out) + "\n"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--worker", type=int, required=True)
    p.add_argument("--workers", type=int, required=True)
    p.add_argument("--initial", type=int, required=True)
    p.add_argument("--txns", type=int, required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--new-from", type=int, help="new customers get ids above this (default: --initial)")
    p.add_argument("--dates", action="store_true", help="the time columns are of type date")
    p.add_argument("--errors-file")
    a = p.parse_args()
    g = Gen(a)
    s = g.script(a.txns)
    print(s, end="")
    if a.errors_file:
        with open(a.errors_file, "w") as f:
            f.write(f"{g.intended_errors}\n")


if __name__ == "__main__":
    main()
