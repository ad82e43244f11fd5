#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Does retraining on the target site's own labelled flows help? A learning curve in flowdx's ensemble.

  adapt.py --flowdx FLOWDX --base A1.csv [A2.csv ...] --local B1.csv --test B2.csv [B3.csv ...]
           [--k 25,50,100,200,all] [--repeats 3] [--margins 0,0.4] [--work DIR] [--json OUT]

Inputs are label-features.sh outputs (zadnik features + Label ham/spam). The base model is trained on --base
(the other site). For each k, k flows drawn at random from --local (the target site's labelled flows, another
run than the test runs) make three models, each tested on --test:
  update   the base model plus 61 trees grown on the k flows (`flowdx train --update`: every tree, old and
           new, is weighed again on the new flows' validation share), the paper's way of retraining;
  scratch  the k flows alone;
  pooled   the base rows and the k flows, trained together.
Every model leaves out the host-stack features (TTL, TCP window) of scripts/spam-host-features.txt, as
scripts/build-spam-model.sh does, and is seeded (--seed 42); draw r of size k uses random.Random(1000 * k + r).
It prints one line per model and margin (means over the draws, with the range of the ham called spam) and with
--json writes every measurement.
Needs only flowdx and python3."""
import argparse
import collections
import csv
import json
import os
import random
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from crosssite import HOST_FEATURES_FILE  # noqa: E402

HOST = "@" + HOST_FEATURES_FILE  # flowdx train --exclude @FILE


def read(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if len(rows) < 2 or "Label" not in rows[0]:
        sys.exit(f"adapt.py: {path}: no labelled rows (a label-features.sh output has a Label column)")
    return rows[0], rows[1:]


def write(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


class Flowdx:
    def __init__(self, exe):
        self.exe = exe

    def run(self, *args):
        p = subprocess.run([self.exe, *args], capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f"adapt.py: flowdx {' '.join(args)}: {p.stderr.strip()}")
        return p.stdout

    def train(self, out, inputs, *extra):
        args = ["train", "-q", "-i", inputs[0]]
        for x in inputs[1:]:
            args += ["--add", x]
        self.run(*args, "--model", "weighted-trees", "--seed", "42", "-o", out, *extra)

    def evaluate(self, model, test, margin):
        r = json.loads(self.run("eval", "-m", model, "-i", test, "--json", "--margin", str(margin)))
        r = r["results"][0]
        (hh, hs), (sh, ss) = r["confusion"]  # uncertain rows are counted as ham here
        return dict(accuracy=r["accuracy"], ham_called_spam=hs / (hh + hs),
                    uncertain=sum(r["uncertain"]) / (hh + hs + sh + ss), spam_recall=ss / (sh + ss))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--flowdx", required=True)
    ap.add_argument("--base", nargs="+", required=True)
    ap.add_argument("--local", required=True)
    ap.add_argument("--test", nargs="+", required=True)
    ap.add_argument("--k", default="25,50,100,200,all")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--margins", default="0,0.4")
    ap.add_argument("--work")
    ap.add_argument("--json")
    a = ap.parse_args()
    fx = Flowdx(a.flowdx)
    work = a.work or tempfile.mkdtemp(prefix="adapt-")
    os.makedirs(work, exist_ok=True)
    header, local = read(a.local)
    test_rows = []
    for t in a.test:
        h, rows = read(t)
        if h != header:
            sys.exit(f"adapt.py: {t}: columns differ from {a.local}'s")
        test_rows += rows
    test = os.path.join(work, "test.csv")
    write(test, header, test_rows)
    margins = [float(m) for m in a.margins.split(",")]
    sizes = [len(local) if k == "all" else int(k) for k in a.k.split(",")]
    if any(k < 1 or k > len(local) for k in sizes):
        sys.exit(f"adapt.py: --k: each size from 1 to {len(local)} (the rows of {a.local}), or 'all'")
    base = os.path.join(work, "base.fdxm")
    fx.train(base, a.base, "--exclude", HOST)
    out = []

    def measure(variant, k, draw, model):
        for m in margins:
            out.append(dict(variant=variant, k=k, draw=draw, margin=m, **fx.evaluate(model, test, m)))

    measure("base", 0, 0, base)
    for k in sizes:
        for draw in range(a.repeats if k < len(local) else 1):
            sub = os.path.join(work, f"local-{k}-{draw}.csv")
            write(sub, header, random.Random(1000 * k + draw).sample(local, k))
            m = os.path.join(work, f"update-{k}-{draw}.fdxm")
            fx.run("train", "-q", "-i", sub, "--model", "weighted-trees", "--update", base, "--seed", "42",
                   "-o", m)
            measure("update", k, draw, m)
            m = os.path.join(work, f"scratch-{k}-{draw}.fdxm")
            fx.train(m, [sub], "--exclude", HOST)
            measure("scratch", k, draw, m)
            m = os.path.join(work, f"pooled-{k}-{draw}.fdxm")
            fx.train(m, a.base + [sub], "--exclude", HOST)
            measure("pooled", k, draw, m)
            print(f"k={k} draw {draw}: done", file=sys.stderr, flush=True)
    groups = collections.defaultdict(list)
    for r in out:
        groups[(r["margin"], r["variant"], r["k"])].append(r)
    print(f"test: {len(test_rows)} flows of {', '.join(a.test)}; local pool: {len(local)} flows of {a.local}")
    print("margin variant      k  draws accuracy ham-called-spam (range)  uncertain spam-recall")
    for key in sorted(groups, key=lambda g: (g[0], ["base", "update", "scratch", "pooled"].index(g[1]), g[2])):
        rs = groups[key]
        mean = {f: sum(r[f] for r in rs) / len(rs) for f in ("accuracy", "ham_called_spam", "uncertain",
                                                             "spam_recall")}
        lo = min(r["ham_called_spam"] for r in rs)
        hi = max(r["ham_called_spam"] for r in rs)
        print(f"{key[0]:<6} {key[1]:<8} {key[2]:>5} {len(rs):>6} {mean['accuracy']:8.3f} "
              f"{100 * mean['ham_called_spam']:8.1f} % ({100 * lo:.1f}-{100 * hi:.1f})"
              f" {100 * mean['uncertain']:8.1f} % {mean['spam_recall']:9.3f}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
