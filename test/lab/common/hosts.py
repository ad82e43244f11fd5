# SPDX-License-Identifier: BSD-3-Clause
"""Random draws the labs' plans share: the TCP/IP host-profile pool, log-normal values. Stdlib only.

Every value comes from the random.Random the caller passes, in a fixed order: the same stream gives the same
profile, and the labs' plan.json files stay byte-identical for the same options."""
import math


def lognorm(r, median, sigma, lo, hi):
    """Log-normal around median (sigma of the log), clipped to [lo, hi]."""
    return min(hi, max(lo, median * math.exp(r.gauss(0.0, sigma))))


def draw_host(r, rmem_default, rmem_max):
    """A client's TCP/IP stack, one pool for every class: initial TTL, TCP options on or off, receive and send
    buffers (sysctl), MSS and initial congestion window (routes).

    rmem_default: the choices for tcp_rmem's default (drawn here, after the options), or a value the caller
    has already drawn; rmem_max: the choices for tcp_rmem's maximum."""
    h = {"ttl": r.choice([64, 64, 64, 64, 128, 128, 128, 255]),
         "tcp_timestamps": r.choice([1, 1, 1, 0]),
         "tcp_sack": r.choice([1, 1, 1, 1, 0]),
         "tcp_window_scaling": r.choice([1] * 9 + [0]),
         "tcp_ecn": r.choice([2, 2, 2, 1, 0])}
    if isinstance(rmem_default, (list, tuple)):
        rmem_default = r.choice(rmem_default)
    h["tcp_rmem"] = [4096, rmem_default, r.choice(rmem_max)]
    h["tcp_wmem"] = [4096, r.choice([16384, 65536]), r.choice([1048576, 4194304])]
    h["advmss"] = r.choice([1460, 1460, 1460, 1448, 1440, 1412, 1400, 1380, 1360, 1220])
    h["initcwnd"] = r.choice([10, 10, 10, 4])
    return h
