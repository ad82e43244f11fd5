#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Audit an SMTP-lab run: are the labels complete, and what could a model key on besides behaviour?

  audit.py --run DIR [--features LABELLED.csv] [--flag 0.95]

1. Labels: every TCP connection in DIR/smtp.pcap has exactly one row in DIR/labels.csv, with ham or spam,
   and no client address carries both classes. With --features (the output of label-features.sh), every
   flow row has a Label, and the flows' initiators are all client addresses of the run.
2. Host properties seen in the capture, per class: initial-TTL family, MSS, SYN window and TCP option layout
   of the clients' SYNs (they should overlap: README.md, "Host and link pools").
3. With --features: for each feature, the best balanced accuracy of a single threshold between the classes.
   Features at or above --flag are listed: expected for some behaviour features, but a flag on a TTL,
   window or option feature is an artefact to fix.
Exit status 1 if a label check fails. Stdlib only."""
import argparse
import collections
import csv
import json
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # test/lab: common/
import labels  # noqa: E402
from common.pcap import syn_props  # noqa: E402

ID_COLUMNS = {"flow_id", "src_addr", "src_port", "dst_addr", "dst_port", "proto", "start_us", "end_us", "end_reason",
              "Label"}


def best_threshold(values, ys):
    """Best balanced accuracy of 'x > t' or 'x <= t' over all thresholds t."""
    pos = sum(ys)
    neg = len(ys) - pos
    if not pos or not neg:
        return 0.5
    pairs = sorted(zip(values, ys))
    best, tp, fp = 0.5, 0, 0
    i = 0
    while i < len(pairs):
        x = pairs[i][0]
        while i < len(pairs) and pairs[i][0] == x:
            tp += pairs[i][1]
            fp += 1 - pairs[i][1]
            i += 1
        # "x <= t is spam": sensitivity tp/pos, specificity (neg-fp)/neg
        ba = 0.5 * (tp / pos + (neg - fp) / neg)
        best = max(best, ba, 1.0 - ba)
    return best


def main():
    ap = argparse.ArgumentParser(description="audit an SMTP-lab run")
    ap.add_argument("--run", required=True)
    ap.add_argument("--features")
    ap.add_argument("--flag", type=float, default=0.95)
    a = ap.parse_args()
    plan = json.load(open(os.path.join(a.run, "plan.json")))
    pcap = os.path.join(a.run, "smtp.pcap")
    rows = list(csv.DictReader(open(os.path.join(a.run, "labels.csv"))))
    failed = False

    conns = labels.connections(pcap, plan["mx"]["addr"])
    keys = collections.Counter((r["src_ip"], int(r["src_port"]), "%.6f" % float(r["first_ts"])) for r in rows)
    missing = [c for c in conns if keys.get((c["client_ip"], c["client_port"], "%.6f" % c["first_ts"]), 0) != 1]
    problems = labels.check(rows, plan)
    print("labels: %d connections in the capture, %d rows in labels.csv, %d without exactly one row, %s"
          % (len(conns), len(rows), len(missing), "; ".join(problems[:5]) or "classes consistent"))
    failed |= bool(missing or problems or len(conns) != len(rows))
    amap = labels.address_map(plan)

    print("\nclient SYNs per class (TTL at the MX, MSS, window, options):")
    per = collections.defaultdict(lambda: collections.defaultdict(collections.Counter))
    for s in syn_props(pcap):
        if s["dst"] != plan["mx"]["addr"]:
            continue
        h = amap.get(s["src"], (None,))[0]
        cls = h["label"] if h else "unknown"
        for k in ("ttl", "mss", "win", "opts"):
            per[k][s[k]][cls] += 1
    for k in ("ttl", "mss", "win", "opts"):
        vals = sorted(per[k].items(), key=lambda kv: -sum(kv[1].values()))[:12]
        print("  %-4s " % k + "  ".join("%s:%d/%d" % (v, c["ham"], c["spam"]) for v, c in vals) + "  (ham/spam)")

    if a.features:
        feats = list(csv.DictReader(open(a.features)))
        bad = [f for f in feats if f.get("Label") not in ("ham", "spam")]
        strangers = [f for f in feats if f["src_addr"] not in amap]
        print("\nfeatures: %d rows, %d without a ham/spam Label, %d whose initiator is not a client address"
              % (len(feats), len(bad), len(strangers)))
        failed |= bool(bad or strangers)
        ys = [1 if f["Label"] == "spam" else 0 for f in feats]
        names = [n for n in feats[0] if n not in ID_COLUMNS] if feats else []
        scores = sorted(((best_threshold([float(f[n]) for f in feats], ys), n) for n in names), reverse=True)
        print("best single-threshold balanced accuracy (top 15):")
        for s, n in scores[:15]:
            print("  %-8s %.3f%s" % (n, s, "  <-- flag" if s >= a.flag else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
