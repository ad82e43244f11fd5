#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Trains scikit-learn's five model types on exactly the rows, features and folds flowdx used,
# and prints both sides' cross-validated accuracy and training/prediction times.
"""Usage: bench/sklearn_compare.py [--flowdx BUILD/tools/flowdx] [--data CSV] [--seed N]
                                   [--no-correct-header]

Runs `flowdx train --export-prepared` (header-corrected by default, 5-fold CV, seed 42), then
fits KNeighborsClassifier(5), SVC(probability=True), DecisionTreeClassifier,
RandomForestClassifier(100) and MLPClassifier((100,), early_stopping=True) on the same folds,
scaling each training fold with StandardScaler as flowdx does. Needs Debian's python3-sklearn
(run with /usr/bin/python3). Exit status 1 if a model differs from its counterpart by more than
one point of accuracy.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

here = os.path.dirname(os.path.abspath(__file__))
top = os.path.dirname(here)
ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
ap.add_argument("--flowdx", default=os.path.join(top, "build", "tools", "flowdx"))
ap.add_argument("--data", default=os.path.join(top, "samples", "doh", "cira_sample",
                                               "train_set_3000.csv"))
ap.add_argument("--seed", type=int, default=42)
ap.add_argument("--no-correct-header", action="store_true")
args = ap.parse_args()

models = {
    "knn": lambda s: KNeighborsClassifier(n_neighbors=5),
    "svm": lambda s: SVC(C=1.0, gamma="scale", probability=True, random_state=s),
    "tree": lambda s: DecisionTreeClassifier(random_state=s),
    "forest": lambda s: RandomForestClassifier(n_estimators=100, max_features="sqrt",
                                               random_state=s),
    "mlp": lambda s: MLPClassifier(hidden_layer_sizes=(100,), early_stopping=True,
                                   max_iter=200, random_state=s),
}

with tempfile.TemporaryDirectory() as tmp:
    prepared = os.path.join(tmp, "prepared.csv")
    report = os.path.join(tmp, "report.json")
    cmd = [args.flowdx, "train", "-q", "-i", args.data, "-o", os.path.join(tmp, "m.fdxm"),
           "--seed", str(args.seed), "--json", report, "--export-prepared", prepared]
    if not args.no_correct_header:
        cmd.append("--correct-header")
    t0 = time.monotonic()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    flowdx_wall = time.monotonic() - t0
    flowdx = {r["model"]: r for r in json.load(open(report))["results"]}
    data = np.genfromtxt(prepared, delimiter=",", names=True)
    names = [n for n in data.dtype.names if n not in ("label", "fold")]
    X = np.column_stack([data[n] for n in names])
    y = data["label"].astype(int)
    fold = data["fold"].astype(int)

print(f"data: {args.data}: {len(y)} rows, {len(names)} features after flowdx's preparation, "
      f"{fold.max() + 1} folds (flowdx's own split)")
print(f"{'model':7} {'flowdx acc':>10} {'sklearn acc':>11} {'diff':>7} "
      f"{'flowdx train s':>14} {'sklearn train s':>15} {'flowdx pred s':>13} "
      f"{'sklearn pred s':>14}")
worst = 0.0
for name, make in models.items():
    accs, tr, pr = [], 0.0, 0.0
    for f in range(fold.max() + 1):
        test = fold == f
        sc = StandardScaler().fit(X[~test])
        m = make(args.seed)
        t0 = time.monotonic()
        m.fit(sc.transform(X[~test]), y[~test])
        t1 = time.monotonic()
        # The class with the highest probability, as flowdx decides.
        pred = m.classes_[np.argmax(m.predict_proba(sc.transform(X[test])), axis=1)]
        pr += time.monotonic() - t1
        tr += t1 - t0
        accs.append(np.mean(pred == y[test]))
    fx = flowdx[name]
    fa = float(np.mean(fx["fold_accuracy"]))
    sa = float(np.mean(accs))
    worst = max(worst, abs(fa - sa))
    print(f"{name:7} {fa:10.4f} {sa:11.4f} {100 * (fa - sa):+6.2f}p "
          f"{fx['train_seconds']:14.2f} {tr:15.2f} {fx['predict_seconds']:13.3f} {pr:14.3f}")
if "jury" in flowdx:
    print(f"{'jury':7} {np.mean(flowdx['jury']['fold_accuracy']):10.4f}")
print(f"largest difference: {100 * worst:.2f} points of accuracy "
      f"({'within' if worst <= 0.01 else 'MORE than'} 1 point)")
sys.exit(0 if worst <= 0.01 else 1)
