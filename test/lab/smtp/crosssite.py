#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Sanity check of a lab data set: train on some runs, test on others (e.g. site A -> site B).

  crosssite.py --train A1.csv [A2.csv ...] --test B1.csv [B2.csv ...] [--model M] [--depth N] [--drop FEATURES]

Inputs are label-features.sh outputs (zadnik features + Label ham/spam). Reports a scikit-learn model's accuracy,
ham false-positive rate (ham flagged spam) and spam recall, its most important features (tree models), and the
best single feature by balanced accuracy on the training data, so that a one-feature artefact shows.
--model: tree (default), forest (300 trees), extra (300 extremely randomised trees), boost (gradient boosting,
200 rounds), logistic (standardised features, L2); --depth limits the trees of the first four. All seeded.
It is an outside reference for flowdx's own ensemble: if none of these families does better on the same rows,
the limit is in the data, not in the model.
Needs python3-sklearn (Debian); it is not a dependency of the lab itself."""
import argparse
import csv
import os
import sys

ID = {"flow_id", "src_addr", "src_port", "dst_addr", "dst_port", "proto", "start_us", "end_us", "end_reason",
      "Label"}
# The host-stack features (TTL, TCP window) the shipped model leaves out: the one list, which
# scripts/build-spam-model.sh passes to flowdx train --exclude @FILE.
HOST_FEATURES_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts",
                                  "spam-host-features.txt")


def host_features():
    """The names in HOST_FEATURES_FILE, in file order ('#' comments and blank lines skipped)."""
    with open(HOST_FEATURES_FILE) as f:
        return [w for line in f for w in line.split("#", 1)[0].split()]


def load(paths, drop):
    X, y, names = [], [], None
    for p in paths:
        rows = list(csv.DictReader(open(p)))
        if names is None:
            names = [n for n in rows[0] if n not in ID and n not in drop]
        for r in rows:
            X.append([float(r[n]) for n in names])
            y.append(1 if r["Label"] == "spam" else 0)
    return X, y, names


def report(tag, y, pred):
    n = len(y)
    ham = [p for t, p in zip(y, pred) if t == 0]
    spam = [p for t, p in zip(y, pred) if t == 1]
    acc = sum(int(t == p) for t, p in zip(y, pred)) / n
    fpr = sum(ham) / len(ham) if ham else 0.0
    rec = sum(spam) / len(spam) if spam else 0.0
    print("%-14s n=%5d (ham %d, spam %d)  accuracy %.3f  ham FPR %.3f  spam recall %.3f  balanced %.3f"
          % (tag, n, len(ham), len(spam), acc, fpr, rec, 0.5 * (1 - fpr + rec)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", nargs="+", required=True)
    ap.add_argument("--test", nargs="+", required=True)
    ap.add_argument("--model", default="tree", choices=["tree", "forest", "extra", "boost", "logistic"])
    ap.add_argument("--depth", type=int, default=0, help="maximum tree depth (0 = unlimited; boost: 3)")
    ap.add_argument("--drop", default="", help="comma-separated features to leave out")
    a = ap.parse_args()
    try:
        from sklearn.tree import DecisionTreeClassifier
        from sklearn import ensemble, linear_model, pipeline, preprocessing
    except ImportError:
        print("crosssite.py: needs scikit-learn (apt-get install python3-sklearn)", file=sys.stderr)
        return 3
    drop = set(x for x in a.drop.split(",") if x)
    Xtr, ytr, names = load(a.train, drop)
    Xte, yte, _ = load(a.test, drop)
    depth = a.depth or None
    clf = {
        "tree": lambda: DecisionTreeClassifier(random_state=0, max_depth=depth),
        "forest": lambda: ensemble.RandomForestClassifier(300, max_depth=depth, random_state=0),
        "extra": lambda: ensemble.ExtraTreesClassifier(300, max_depth=depth, random_state=0),
        "boost": lambda: ensemble.GradientBoostingClassifier(n_estimators=200, max_depth=a.depth or 3,
                                                             random_state=0),
        "logistic": lambda: pipeline.make_pipeline(preprocessing.StandardScaler(),
                                                   linear_model.LogisticRegression(max_iter=5000)),
    }[a.model]().fit(Xtr, ytr)
    report("train (self)", ytr, clf.predict(Xtr))
    report("test", yte, clf.predict(Xte))
    if hasattr(clf, "feature_importances_"):
        imp = sorted(zip(clf.feature_importances_, names), reverse=True)[:8]
        print("importance: " + ", ".join("%s %.2f" % (n, v) for v, n in imp))
    best = []
    for j, n in enumerate(names):
        one = DecisionTreeClassifier(max_depth=1, random_state=0).fit([[x[j]] for x in Xtr], ytr)
        p = one.predict([[x[j]] for x in Xte])
        ham = [q for t, q in zip(yte, p) if t == 0]
        spam = [q for t, q in zip(yte, p) if t == 1]
        ba = 0.5 * (1 - sum(ham) / max(1, len(ham)) + sum(spam) / max(1, len(spam)))
        best.append((ba, n, one.tree_.threshold[0]))
    best.sort(reverse=True)
    print("best single-feature stumps (trained on train, balanced accuracy on test): " +
          ", ".join("%s<=%.1f %.3f" % (n, t, b) for b, n, t in best[:5]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
