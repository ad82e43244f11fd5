#!/usr/bin/python3
"""Audit a lab run for artefacts a model could key on instead of tunnel behaviour.

  audit.py --run DIR [--features FEATURES.csv]

1. Host properties seen in the capture, per class: client TTL, MSS, window, TCP options of every SYN.
2. With --features (flowdx extract -f doh:dohlyzer or doh:ip output for DIR/doh.pcap): for each feature,
   the best balanced accuracy a single threshold reaches between the classes (rows joined to the label by
   the client address, which is unique to one scenario). Features above 0.95 are flagged: expected for some
   (tunnels really are bulkier and steadier), but a flag on a length feature that only a header, TTL or
   option could explain is an artefact to fix.
Stdlib only.
"""
import argparse
import collections
import csv
import json
import math
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # test/lab: common/
from common.pcap import syn_props  # noqa: E402


def best_threshold_accuracy(a, b):
    """Best balanced accuracy of a rule 'x <= t' (either orientation) separating samples a from b."""
    vals = sorted(set(a) | set(b))
    if len(vals) < 2 or not a or not b:
        return 0.5
    sa, sb = sorted(a), sorted(b)
    import bisect
    best = 0.5
    for t in vals:
        fa = bisect.bisect_right(sa, t) / len(sa)
        fb = bisect.bisect_right(sb, t) / len(sb)
        acc = max((fa + (1 - fb)) / 2, (fb + (1 - fa)) / 2)
        best = max(best, acc)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True)
    ap.add_argument("--features")
    a = ap.parse_args()
    plan = json.load(open(os.path.join(a.run, "plan.json")))
    by_addr = {c["addr"]: c for c in plan["clients"]}
    print("== SYN properties per class (value: count)")
    per = collections.defaultdict(lambda: collections.defaultdict(collections.Counter))
    for s in syn_props(os.path.join(a.run, "doh.pcap")):
        cl = by_addr.get(s["src"])
        if not cl:
            continue
        for k in ("ttl", "mss", "win", "ws", "opts", "len"):
            per[cl["label"]][k][s[k]] += 1
    for label in sorted(per):
        print(" ", label)
        for k in ("ttl", "mss", "win", "ws", "opts", "len"):
            print("    %-5s %s" % (k, dict(sorted(per[label][k].items(), key=lambda kv: -kv[1]))))
    if not a.features:
        return 0
    rows = list(csv.DictReader(open(a.features)))
    if not rows:
        print("no feature rows")
        return 0
    src_key = "SourceIP" if "SourceIP" in rows[0] else "src_addr"
    dst_key = "DestinationIP" if "DestinationIP" in rows[0] else "dst_addr"
    ids = {"SourceIP", "DestinationIP", "SourcePort", "DestinationPort", "TimeStamp", "flow_id", "src_addr",
           "src_port", "dst_addr", "dst_port", "proto", "start_us", "end_us", "end_reason"}
    feats = [k for k in rows[0] if k not in ids]
    cls = collections.defaultdict(lambda: collections.defaultdict(list))
    n = collections.Counter()
    for r in rows:
        cl = by_addr.get(r[src_key]) or by_addr.get(r[dst_key])
        if not cl:
            continue
        n[cl["label"]] += 1
        for f in feats:
            try:
                v = float(r[f])
            except ValueError:
                continue
            if not math.isnan(v):
                cls[f][cl["label"]].append(v)
    print("\n== flows per class:", dict(n))
    print("== best single-threshold balanced accuracy per feature (>0.95 flagged)")
    res = []
    for f in feats:
        acc = best_threshold_accuracy(cls[f].get("benign", []), cls[f].get("malicious", []))
        res.append((acc, f))
    for acc, f in sorted(res, reverse=True):
        print("  %s %.3f %s" % ("!" if acc > 0.95 else " ", acc, f))
    return 0


if __name__ == "__main__":
    sys.exit(main())
