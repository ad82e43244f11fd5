#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Where a spam model goes wrong on lab runs: its verdicts joined with the lab's own record of every connection.

  errors.py [--flowdx PATH] [--model FILE] [--top N] RUN_DIR [RUN_DIR ...]

Runs `flowdx run -r RUN_DIR/smtp.pcap --detect spam` (with --model, if given) and joins each judged flow with
the run's labels.csv (by client address and port) and plan.json (the client host's traits). It prints, over all
the runs given:
  - the confusion matrix (rows true ham, spam; columns the verdicts ham, spam, uncertain);
  - the same figures for the flows on which the MX accepted a message and for those on which it accepted none
    (labels.csv's mx_messages, from the MX's log; runs made before it was recorded count as "not known");
  - the errors by class and by the client host's STARTTLS use;
  - the groups of flows with the most errors, a group being (label, host kind, link class, STARTTLS use,
    behaviour, outcome);
  - the client hosts with the most errors.
A flow the labels do not list by port (flowdx can make a flow of a late retransmission after a RST) takes its
label from its client address in clients.csv; its behaviour is then '?'. Needs only Python 3 and flowdx.
Judge runs the model was not trained on: the shipped model was trained on the bundled runs (samples/spam/lab/,
sites A and B, seeds 1 and 2), so other seeds (or your own runs) show how it does on hosts it has not seen."""
import argparse
import collections
import csv
import json
import os
import subprocess
import sys


def host_traits(plan):
    """address -> (host name, kind, link class, STARTTLS use) from plan.json."""
    out = {}
    for h in plan["hosts"]:
        if h["kind"] == "relay":
            tls = "tls"  # a Postfix relay uses STARTTLS wherever the MX offers it
        else:
            traits = h.get("client") if h["kind"] == "direct" else h.get("bot")
            tls = "tls" if (traits or {}).get("tls") else "no-tls"
        for a in h["addrs"]:
            out[a["addr"]] = (h["name"], h["kind"], a["link"]["class"], tls)
    return out


def judge(flowdx, model, run):
    cmd = [flowdx, "run", "-r", os.path.join(run, "smtp.pcap"), "--detect", "spam", "--format", "jsonl", "-q"]
    if model:
        cmd += ["-m", model]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit("errors.py: %s failed (exit %d): %s" % (" ".join(cmd), res.returncode, res.stderr.strip()))
    return [json.loads(line) for line in res.stdout.splitlines() if line.strip()]


def summary(conf):
    """Flows, accuracy, ham called spam and uncertain of a confusion counter {(label, verdict): n}."""
    n_ham = sum(v for (t, _), v in conf.items() if t == "ham")
    n_spam = sum(v for (t, _), v in conf.items() if t == "spam")
    right = conf[("ham", "ham")] + conf[("spam", "spam")]
    return "%d flows (%d ham, %d spam): accuracy %.3f, ham called spam %d (%.1f %%), spam recall %.3f, " \
        "uncertain %d" % (n_ham + n_spam, n_ham, n_spam, right / max(1, n_ham + n_spam), conf[("ham", "spam")],
                          100.0 * conf[("ham", "spam")] / max(1, n_ham), conf[("spam", "spam")] / max(1, n_spam),
                          conf[("ham", "uncertain")] + conf[("spam", "uncertain")])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("runs", nargs="+", metavar="RUN_DIR")
    ap.add_argument("--flowdx", default="build/tools/flowdx",
                    help="the flowdx binary (default: build/tools/flowdx, from the top of the clone)")
    ap.add_argument("--model", help="spam model file (default: flowdx's shipped conf/models/spam.fdxm)")
    ap.add_argument("--top", type=int, default=12, help="rows per table (default 12)")
    a = ap.parse_args()

    conf = collections.Counter()
    by_mail = collections.defaultdict(collections.Counter)
    groups, group_bad = collections.Counter(), collections.Counter()
    tlsg, tls_bad = collections.Counter(), collections.Counter()
    hosts, host_bad = collections.Counter(), collections.Counter()
    for run in a.runs:
        for f in ("smtp.pcap", "labels.csv", "clients.csv", "plan.json"):
            if not os.path.exists(os.path.join(run, f)):
                sys.exit("errors.py: %s: no %s (not a lab run directory?)" % (run, f))
        with open(os.path.join(run, "plan.json")) as fh:
            traits = host_traits(json.load(fh))
        with open(os.path.join(run, "labels.csv")) as fh:
            conns = {(r["src_ip"], r["src_port"]): r for r in csv.DictReader(fh)}
        with open(os.path.join(run, "clients.csv")) as fh:
            by_addr = {r["addr"]: r["label"] for r in csv.DictReader(fh)}
        for j in judge(a.flowdx, a.model, run):
            conn = conns.get((j["src_addr"], str(j["src_port"])), {})
            label = conn.get("label") or by_addr.get(j["src_addr"])
            if label is None:
                sys.exit("errors.py: %s: flow from %s:%s has no label" % (run, j["src_addr"], j["src_port"]))
            verdict = j["verdict"] if j["verdict"] in ("ham", "spam") else "uncertain"
            conf[(label, verdict)] += 1
            mx = conn.get("mx_messages", "")
            by_mail["not known" if mx == "" else "with a message" if int(mx) > 0 else "without a message"][
                (label, verdict)] += 1
            host, kind, link, tls = traits.get(j["src_addr"], ("?", "?", "?", "?"))
            key = (label, kind, link, tls, conn.get("behaviour", "?"), conn.get("outcome") or "-")
            wrong = verdict != label
            tlsg[(label, tls)] += 1
            tls_bad[(label, tls)] += wrong
            groups[key] += 1
            group_bad[key] += wrong
            hk = (os.path.basename(os.path.normpath(run)), host, kind, link, tls, label)
            hosts[hk] += 1
            host_bad[hk] += wrong

    print(summary(conf))
    print("%-6s %8s %8s %10s" % ("true", "ham", "spam", "uncertain"))
    for t in ("ham", "spam"):
        print("%-6s %8d %8d %10d" % (t, conf[(t, "ham")], conf[(t, "spam")], conf[(t, "uncertain")]))
    for k in ("with a message", "without a message", "not known"):
        if by_mail[k]:
            print("  %-17s %s" % (k + ":", summary(by_mail[k])))
    print("by STARTTLS use of the client host: " + ", ".join(
        "%s %s %d of %d wrong" % (k[0], k[1], tls_bad[k], tlsg[k]) for k in sorted(tlsg)))
    print("\ngroups with the most errors (label, kind, link, STARTTLS, behaviour, outcome): wrong / flows")
    for k in sorted(groups, key=lambda k: (-group_bad[k], -groups[k]))[: a.top]:
        if group_bad[k]:
            print("  %4d / %4d  %s" % (group_bad[k], groups[k], " ".join(k)))
    print("\nhosts with the most errors (run, host, kind, link, STARTTLS, label): wrong / flows")
    for k in sorted(hosts, key=lambda k: (-host_bad[k], -hosts[k]))[: a.top]:
        if host_bad[k]:
            print("  %4d / %4d  %s" % (host_bad[k], hosts[k], " ".join(k)))


if __name__ == "__main__":
    main()
