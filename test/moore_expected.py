#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Expected moore values of test/test_moore.c's built flows, from the raw packet table with numpy/scipy.
#
# Independent of flowdx: each definition of doc/features/moore.md written again in numpy terms
# (np.quantile's default linear method, np.var, np.fft.rfft, scipy's logsumexp). Run with Debian's
# /usr/bin/python3 (python3-numpy, python3-scipy); test_moore.c holds the numbers it printed.
import math

import numpy as np
from scipy.special import logsumexp

T0 = 1700000000000000  # microseconds

# The TCP flow: (direction 0 = a->b, time offset us, IP header, TCP header, payload)
TCP = [
    (0, 0, 20, 40, 0),  # SYN with 20 option bytes
    (1, 10000, 20, 32, 0),  # SYN/ACK
    (0, 20000, 20, 20, 0),  # ACK
    (0, 30000, 20, 20, 100),  # request
    (1, 50000, 20, 20, 1000),
    (1, 60000, 20, 20, 1000),
    (1, 70000, 20, 20, 1000),
    (1, 80000, 20, 20, 500),
    (0, 2580000, 20, 20, 0),  # after 2.5 s
    (0, 2600000, 20, 20, 0),  # FIN
    (1, 2610000, 20, 20, 0),  # FIN
    (0, 2620000, 20, 20, 0),
]

# The UDP flow: (direction, time offset, IP header, UDP header, payload)
UDP = [
    (0, 0, 20, 8, 30),
    (1, 200000, 20, 8, 100),
    (0, 250000, 20, 8, 30),
]


def cap_flow(n=1100):
    """The long UDP flow of the cap test: the same formulas as cap_packet() in test_moore.c."""
    out = []
    x = 12345
    for i in range(n):
        x = (1103515245 * x + 12345) % 2**31  # jitter without a period in 1100 packets
        t = i * 1000 + (x >> 16) % 1000
        payload = (x >> 8) % 1000
        out.append((int(i % 3 == 2), t, 20, 8, payload))  # every third packet b->a
    return out


def seven_capped(all_x, stored_x):
    """min/mean/max/var of every value, quartiles of the stored ones."""
    a = np.asarray(all_x, dtype=float)
    s = np.asarray(stored_x, dtype=float)
    q = np.quantile(s, [0.25, 0.5, 0.75])
    return [a.min(), q[0], q[1], a.mean(), q[2], a.max(), a.var()]


def iats(pkts, d=None):
    t = [p[1] for p in pkts if d is None or p[0] == d]
    return list(np.diff(np.asarray(t, dtype=np.int64)) / 1e6)


def fft_top(x):
    x = np.asarray(x, dtype=float)
    if len(x) < 2:
        return [0.0] * 10
    X = np.fft.rfft(x)
    bins = list(range(1, len(x) // 2 + 1))
    bins.sort(key=lambda k: (-abs(X[k]), k))
    vals = []
    for k in bins[:10]:
        re, im = X[k].real, X[k].imag
        vals.append(math.atan(im / re) if re != 0 else math.copysign(math.pi / 2, im) if im else 0.0)
    return vals + [0.0] * (10 - len(vals))


def eff_bw(pkts, d=None, block_us=100000, theta=1e-5):
    t0 = pkts[0][1]
    k = (pkts[-1][1] - t0) // block_us + 1
    x = np.zeros(k)
    for p in pkts:
        if d is None or p[0] == d:
            x[(p[1] - t0) // block_us] += p[2] + p[3] + p[4]
    return (logsumexp(theta * x) - math.log(k)) / (theta * block_us / 1e6)


def modes(pkts):
    """(transitions, bulk seconds): runs of data packets one way; a run of 4+ is bulk."""
    runs = []
    for d, t, _, _, pay in pkts:
        if pay == 0:
            continue
        if runs and runs[-1][0] == d:
            runs[-1][1] += 1
            runs[-1][3] = t
        else:
            runs.append([d, 1, t, t])
    mode, trans, bulk = False, 0, 0
    for d, n, first, last in runs:
        b = n >= 4
        if b:
            bulk += last - first
        if b != mode:
            trans += 1
        mode = b
    return trans, bulk / 1e6


def report(name, pkts, stored=None):
    stored = stored if stored is not None else len(pkts)
    ip = [p[2] + p[3] + p[4] for p in pkts]
    ctl = [p[2] + p[3] for p in pkts]
    dirs = [p[0] for p in pkts]
    s = pkts[:stored]
    sip = [p[2] + p[3] + p[4] for p in s]
    sctl = [p[2] + p[3] for p in s]
    v = {}

    def sev(a, st):
        return seven_capped(a, st) if len(a) else [0.0] * 7

    v[3] = sev(iats(pkts), iats(s))
    v[10] = sev([x + 18 for x in ip], [x + 18 for x in sip])
    v[17] = sev(ip, sip)
    v[24] = sev(ctl, sctl)
    for d, base in ((0, 153), (1, 174)):
        sel = [x for x, dd in zip(ip, dirs) if dd == d]
        ssel = [p[2] + p[3] + p[4] for p in s if p[0] == d]
        csel = [x for x, dd in zip(ctl, dirs) if dd == d]
        scsel = [p[2] + p[3] for p in s if p[0] == d]
        v[base] = sev([x + 18 for x in sel], [x + 18 for x in ssel])
        v[base + 7] = sev(sel, ssel)
        v[base + 14] = sev(csel, scsel)
    v[195] = sev(iats(pkts, 0), iats(s, 0))
    v[202] = sev(iats(pkts, 1), iats(s, 1))
    trans, bulk = modes(pkts)
    dur = (pkts[-1][1] - pkts[0][1]) / 1e6
    gaps = np.diff([p[1] for p in pkts])
    idle = gaps[gaps >= 2000000].sum() / 1e6
    v[210] = [trans, bulk, dur, bulk / dur, idle, idle / dur]
    v[216] = [eff_bw(pkts), eff_bw(pkts, 0), eff_bw(pkts, 1)]
    v[219] = fft_top(iats(s))
    v[229] = fft_top(iats(s, 0))
    v[239] = fft_top(iats(s, 1))
    print(f"/* {name} */")
    for k in sorted(v):
        print(f"    {{{k}, {{" + ", ".join(repr(float(x)) for x in v[k]) + "}},")


report("tcp flow", TCP)
report("udp flow", UDP)
report("cap flow", cap_flow(), stored=1024)
