#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""How well flow features can tell ham from spam within parts of a site's traffic, on hosts not trained on.

  strata.py [--features NAME] [--keep-host] [--folds K] RUN_DIR [RUN_DIR ...]

Joins every feature row of RUN_DIR/NAME (a label-features.sh output, default zadnik.csv) with the lab's record of
its connection (labels.csv: mx_messages) and of its client host (plan.json: STARTTLS use), and splits the rows
into strata: all flows; flows on which the MX accepted a message, and of those the ones whose client host uses
STARTTLS and the ones whose host does not; flows with no message. In each stratum a random forest (300 trees,
scikit-learn) is cross-validated with whole client hosts held out (K folds, default 5; a host is one run's
namespace, so the same plan's host in two runs counts twice): every row is judged by a forest that never saw its
host. Accuracy near the share of the larger class means the stratum's ham and spam do not differ in the features
in any way that carries over to new hosts; its ham then costs false alarms whatever the model.
The TTL and TCP-window features are left out, as in the shipped model (--keep-host keeps them). Flows without an
MX record (mx_messages empty) are left out and counted. Needs python3-sklearn."""
import argparse
import collections
import csv
import json
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from crosssite import ID, host_features  # noqa: E402
from errors import host_traits  # noqa: E402

Row = collections.namedtuple("Row", "x spam host tls message")  # message: the MX accepted one or more
HOST_FEATURES = set(host_features())


def load(run, name, keep_host):
    """The Rows of one run (spam 1 or 0; host: run and host name; tls: the host uses STARTTLS), and the number of
    rows left out for want of an MX record."""
    for f in (name, "labels.csv", "plan.json"):
        if not os.path.exists(os.path.join(run, f)):
            sys.exit("strata.py: %s: no %s (a lab run directory after label-features.sh?)" % (run, f))
    with open(os.path.join(run, "plan.json")) as fh:
        traits = host_traits(json.load(fh))
    with open(os.path.join(run, "labels.csv")) as fh:
        mx = {(r["src_ip"], r["src_port"]): r["mx_messages"] for r in csv.DictReader(fh)}
    out, unknown = [], 0
    with open(os.path.join(run, name)) as fh:
        rows = csv.DictReader(fh)
        cols = [c for c in rows.fieldnames if c not in ID and (keep_host or c not in HOST_FEATURES)]
        for r in rows:
            m = mx.get((r["src_addr"], r["src_port"]), "")
            if m == "":
                unknown += 1
                continue
            host, _, _, tls = traits.get(r["src_addr"], ("?", "?", "?", "?"))
            out.append(Row([float(r[c]) for c in cols], int(r["Label"] == "spam"), run + "/" + host, tls == "tls",
                           int(m) > 0))
    return out, unknown


STRATA = (("all flows", lambda r: True),
          ("a message accepted", lambda r: r.message),
          ("  host uses STARTTLS", lambda r: r.message and r.tls),
          ("  host does not", lambda r: r.message and not r.tls),
          ("no message", lambda r: not r.message))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", metavar="RUN_DIR")
    ap.add_argument("--features", default="zadnik.csv", help="feature file in each run (default zadnik.csv)")
    ap.add_argument("--keep-host", action="store_true", help="keep the TTL and TCP-window features")
    ap.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    a = ap.parse_args()
    try:
        from sklearn.ensemble import RandomForestClassifier
        from sklearn.model_selection import GroupKFold
    except ImportError:
        print("strata.py: needs scikit-learn (apt-get install python3-sklearn)", file=sys.stderr)
        return 3
    rows, unknown = [], 0
    for run in a.runs:
        r, u = load(run, a.features, a.keep_host)
        rows += r
        unknown += u
    n_ham = sum(1 for r in rows if not r.spam)
    print("%d flows (%d ham), %d left out without an MX record; forest judged with its hosts held out"
          % (len(rows), n_ham, unknown))
    print("%-22s %6s %6s %6s %6s %9s %16s %7s %10s" % ("stratum", "flows", "ham", "spam", "hosts", "accuracy",
                                                      "ham called spam", "recall", "ham share"))
    for name, keep in STRATA:
        part = [r for r in rows if keep(r)]
        y = [r.spam for r in part]
        hosts = sorted(set(r.host for r in part))
        ham = y.count(0)
        if len(set(y)) < 2 or len(hosts) < 2:
            print("%-22s %6d %6d %6d %6d   (one class or one host: not judged)" % (name, len(y), ham,
                                                                                 len(y) - ham, len(hosts)))
            continue
        X, g = [r.x for r in part], [r.host for r in part]
        pred = [0] * len(y)
        for tr, te in GroupKFold(min(a.folds, len(hosts))).split(X, y, g):
            ytr = [y[i] for i in tr]
            if len(set(ytr)) < 2:  # a fold whose training hosts are all of one class
                for i in te:
                    pred[i] = ytr[0]
                continue
            f = RandomForestClassifier(300, random_state=1).fit([X[i] for i in tr], ytr)
            for i, p in zip(te, f.predict([X[i] for i in te])):
                pred[i] = int(p)
        right = sum(int(p == t) for p, t in zip(pred, y))
        fa = sum(1 for p, t in zip(pred, y) if t == 0 and p == 1)
        hit = sum(1 for p, t in zip(pred, y) if t == 1 and p == 1)
        print("%-22s %6d %6d %6d %6d %9.3f %9d (%4.1f %%) %7.3f %8.1f %%"
              % (name, len(y), ham, len(y) - ham, len(hosts), right / len(y), fa, 100.0 * fa / max(1, ham),
                 hit / max(1, len(y) - ham), 100.0 * ham / max(1, n_ham)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
