#!/usr/bin/python3
"""User-space link impairment for the DoH lab (this kernel has no sch_netem).

Runs in the router namespace. It owns one TUN device; policy routing in that namespace sends every packet that
arrives from a lab link into the TUN, this program holds it for the link's delay (plus jitter, serialisation at
the link rate, a bounded queue and random loss) and writes it back into the TUN, from where the kernel forwards
it on the main table. Packets are never reordered within one direction of one link.

Config (JSON, written by lab.py from the seed):
  {"tun": "fdximp0",
   "links": [{"name": "...", "addr": "10.99.1.11",      # the client end of this link (packets from/to it)
              "up":   {"delay_ms": 20, "jitter_ms": 2, "loss": 0.005, "rate_kbit": 20000, "queue_ms": 80},
              "down": {...}, "seed": 123}],
   "default": {"name": "upstream", "up": {...}, "down": {...}, "seed": 7},   # everything else (resolver<->auth)
   "default_up_src": ["10.99.2.2"]}                  # sources that make a default-link packet "up"
Stats are written as JSON to the path given by --stats when the program gets SIGTERM/SIGINT.
Stdlib only.
"""
import argparse
import fcntl
import heapq
import json
import os
import random
import select
import signal
import socket
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


class Dir:
    def __init__(self, cfg, rng):
        self.delay = cfg.get("delay_ms", 0) / 1000.0
        self.jitter = cfg.get("jitter_ms", 0) / 1000.0
        self.loss = float(cfg.get("loss", 0.0))
        # Gilbert-Elliott style bursts: once a loss happens, the next packet is lost with this probability.
        self.burst = float(cfg.get("loss_burst", 0.0))
        rate = cfg.get("rate_kbit", 0)
        self.rate = rate * 1000.0 / 8.0 if rate else 0.0  # bytes/s
        self.queue = cfg.get("queue_ms", 100) / 1000.0
        self.rng = rng
        self.busy_until = 0.0
        self.last_deliver = 0.0
        self.in_loss = False
        self.stats = {"packets": 0, "bytes": 0, "dropped_loss": 0, "dropped_queue": 0}

    def schedule(self, now, length):
        """Return the delivery time, or None if the packet is dropped."""
        self.stats["packets"] += 1
        self.stats["bytes"] += length
        p = self.burst if self.in_loss else self.loss
        if p > 0 and self.rng.random() < p:
            self.in_loss = True
            self.stats["dropped_loss"] += 1
            return None
        self.in_loss = False
        start = max(now, self.busy_until)
        if self.rate > 0:
            if start - now > self.queue:  # tail drop: the link's buffer is full
                self.stats["dropped_queue"] += 1
                return None
            self.busy_until = start + length / self.rate
        else:
            self.busy_until = start
        j = self.rng.gauss(0.0, self.jitter) if self.jitter > 0 else 0.0
        t = self.busy_until + max(0.0, self.delay + j)
        t = max(t, self.last_deliver)  # no reordering within a direction
        self.last_deliver = t
        return t


class Link:
    def __init__(self, cfg):
        rng = random.Random(cfg.get("seed", 0))
        self.name = cfg.get("name", "?")
        self.up = Dir(cfg.get("up", {}), random.Random(rng.getrandbits(64)))
        self.down = Dir(cfg.get("down", {}), random.Random(rng.getrandbits(64)))


def open_tun(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    os.set_blocking(fd, False)
    return fd


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--stats")
    ap.add_argument("--ready", help="file to create once the TUN exists")
    a = ap.parse_args()
    cfg = json.load(open(a.config))
    fd = open_tun(cfg["tun"])
    by_addr = {}
    links = []
    for lc in cfg["links"]:
        ln = Link(lc)
        links.append(ln)
        by_addr[socket.inet_aton(lc["addr"])] = ln
    default = Link(cfg["default"])
    links.append(default)
    default_up = {socket.inet_aton(x) for x in cfg.get("default_up_src", [])}
    other = {"non_ipv4": 0}

    stop = [False]

    def on_sig(*_):
        stop[0] = True

    signal.signal(signal.SIGTERM, on_sig)
    signal.signal(signal.SIGINT, on_sig)
    if a.ready:
        open(a.ready, "w").close()

    heap = []
    seq = 0
    clock = time.monotonic
    while not stop[0]:
        timeout = None
        if heap:
            timeout = max(0.0, heap[0][0] - clock())
        try:
            r, _, _ = select.select([fd], [], [], timeout if timeout is not None else 0.5)
        except InterruptedError:
            continue
        now = clock()
        if r:
            for _ in range(256):
                try:
                    pkt = os.read(fd, 65536)
                except BlockingIOError:
                    break
                except OSError:
                    break
                if len(pkt) < 20 or (pkt[0] >> 4) != 4:
                    other["non_ipv4"] += 1
                    continue
                src, dst = pkt[12:16], pkt[16:20]
                if src in by_addr:
                    d = by_addr[src].up
                elif dst in by_addr:
                    d = by_addr[dst].down
                elif src in default_up:
                    d = default.up
                else:
                    d = default.down
                t = d.schedule(now, len(pkt))
                if t is not None:
                    heapq.heappush(heap, (t, seq, pkt))
                    seq += 1
            now = clock()
        while heap and heap[0][0] <= now + 0.0002:
            _, _, pkt = heapq.heappop(heap)
            try:
                os.write(fd, pkt)
            except OSError:
                pass
    if a.stats:
        out = {ln.name: {"up": ln.up.stats, "down": ln.down.stats} for ln in links}
        out["_other"] = other
        with open(a.stats, "w") as f:
            json.dump(out, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    sys.exit(main())
