#!/usr/bin/python3
"""
test/bench/value_models_gen.py: simulates customers of the BG/NBD and
Gamma-Gamma models for test/bench/value_models.sh (NumPy: Debian's
python3-numpy).

    value_models_gen.py N SEED > customers.tsv      (summary per customer)
    value_models_gen.py N SEED --transactions > tx.tsv

Each customer: a purchase rate lambda ~ Gamma(r, alpha), a dropout
probability p ~ Beta(a, b); the first purchase on a day uniform over 52
weeks before the calibration end, then purchases at exponential(lambda)
intervals, dropping out with probability p after each repeat purchase,
until the calibration end.  Times are in weeks, kept to whole days (the time of day
is dropped, as rfm() does) and in exact fractions for a second column set
where nearly every customer's summary is distinct.  Values: nu ~ Gamma(q,
gamma) per customer, each purchase ~ Gamma(p_value, nu).

Summary output columns (tab-separated): id, frequency, recency, age,
avg_value, recency_exact, age_exact.  Transaction output: id, day offset
from the calibration end (negative), amount.
"""

import sys

import numpy as np

R, ALPHA, A, B = 0.25, 4.0, 0.8, 2.5        # BG/NBD, weeks
P, Q, GAMMA = 6.0, 3.8, 15.0                # Gamma-Gamma
HORIZON_DAYS = 364


def simulate(n, seed):
    rng = np.random.default_rng(seed)
    lam = rng.gamma(R, 1.0 / ALPHA, n)            # per week
    drop = rng.beta(A, B, n)
    nu = rng.gamma(Q, 1.0 / GAMMA, n)
    T = rng.uniform(0.0, HORIZON_DAYS / 7.0, n)   # weeks from first purchase to the end
    t = np.zeros(n)
    alive = np.ones(n, dtype=bool)
    x = np.zeros(n, dtype=np.int64)
    tx = np.zeros(n)
    vsum = np.zeros(n)
    events = []                                   # (ids, times, values) per round
    idx = np.arange(n)
    first = True
    while idx.size:
        # dropout after the previous repeat purchase (not after the first
        # purchase: FHL 2005, the likelihood's (1 - p)^x), then the next one
        if not first:
            stay = rng.random(idx.size) >= drop[idx]
            idx = idx[stay]
        first = False
        dt = rng.exponential(1.0, idx.size) / lam[idx]
        tn = t[idx] + dt
        ok = tn <= T[idx]
        idx = idx[ok]
        tn = tn[ok]
        t[idx] = tn
        x[idx] += 1
        tx[idx] = tn
        v = rng.gamma(P, 1.0 / nu[idx])
        vsum[idx] += v
        events.append((idx.copy(), tn.copy(), v))
    return T, x, tx, vsum, nu, events


def main():
    n = int(sys.argv[1])
    seed = int(sys.argv[2])
    tx_mode = len(sys.argv) > 3 and sys.argv[3] == "--transactions"
    T, x, tx, vsum, nu, events = simulate(n, seed)
    out = sys.stdout
    # days: the first purchase on day -floor(T*7); purchases on their day
    first_day = -np.floor(T * 7.0).astype(np.int64)
    if tx_mode:
        rng = np.random.default_rng(seed + 1)
        v0 = rng.gamma(P, 1.0 / nu)
        for i in range(n):
            out.write("%d\t%d\t%.2f\n" % (i + 1, first_day[i], v0[i]))
        for ids, times, vals in events:
            days = first_day[ids] + np.floor(times * 7.0).astype(np.int64)
            for i, d, v in zip(ids, days, vals):
                out.write("%d\t%d\t%.2f\n" % (i + 1, d, v))
        return
    age_days = -first_day
    last_days = np.floor(tx * 7.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        avg = np.where(x > 0, vsum / np.maximum(x, 1), 0.0)
    for i in range(n):
        out.write("%d\t%d\t%r\t%r\t%.6f\t%r\t%r\n" % (
            i + 1, x[i], last_days[i] / 7.0, age_days[i] / 7.0, avg[i],
            float(tx[i]), float(T[i])))


if __name__ == "__main__":
    main()
